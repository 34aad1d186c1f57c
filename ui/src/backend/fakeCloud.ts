// The cloud platforms (AWS, Azure, Google Cloud) in the in-memory Backend: their connect
// forms, the refusal of wrong keys, and what a sync of the sandbox's own account stores
// (rows, months, bills, the accounting entries a month covers, supplier rules), all as the
// application answered on the sandbox (./cloud-sample.json, see its `how` field). Totals and
// groups are worked out from the rows as the application does: a row with no basis counts
// under both.

import type { AppError } from '../bindings/AppError';
import type { CloudSummary } from '../bindings/CloudSummary';
import type { Connection } from '../bindings/Connection';
import type { CredentialField } from '../bindings/CredentialField';
import type { ReportedFilter } from '../bindings/ReportedFilter';
import type { ReportedGroup } from '../bindings/ReportedGroup';
import type { ReportedGroupBy } from '../bindings/ReportedGroupBy';
import type { ReportedMonth } from '../bindings/ReportedMonth';
import type { ReportedRow } from '../bindings/ReportedRow';
import type { ReportedTotals } from '../bindings/ReportedTotals';
import type { SupplierRule } from '../bindings/SupplierRule';
import { dec, sumDecimals } from '../lib/decimal';

/** A sum as the application writes kg: to the milligram (`"0.000000"`). */
const mgSum = (values: string[]): string => dec(sumDecimals(values)).toFixed(6);
import sampleFile from './cloud-sample.json';
import { RECORDED } from './recorded';

/** One cloud account of the sample: the connection the sandbox's keys made, and its sync. */
export interface SampleAccount {
  connection: Connection;
  rows: ReportedRow[];
  months: ReportedMonth[];
}

export interface CloudSample {
  how: string;
  publication_days: Record<string, number>;
  accounts: Record<string, SampleAccount>;
  rules: SupplierRule[];
  /** The answer to keys the platform does not accept, by platform. */
  refused: Record<string, AppError>;
}

export const CLOUD_SAMPLE = sampleFile as unknown as CloudSample;

function err(code: string, message: string): AppError {
  return { code, message, detail: null, permanent: true };
}

/** The connections that publish Scope 2 location-based: any row of theirs says so. */
export function locationScope2Of(rows: ReadonlyArray<ReportedRow>): Set<number> {
  return new Set(rows.filter((r) => r.scope === 2 && r.basis === 'location').map((r) => r.connection_id));
}

/**
 * Sums of rows under both bases. `locationScope2`: the connections that publish Scope 2
 * location-based, of all their rows and not only these (by default, of these).
 */
export function reportedTotalsOf(
  rows: ReadonlyArray<ReportedRow>,
  locationScope2: ReadonlySet<number> = locationScope2Of(rows),
): ReportedTotals {
  return {
    location_kg_co2e: mgSum(rows.filter((r) => r.basis !== 'market').map((r) => r.kg_co2e)),
    market_kg_co2e: mgSum(rows.filter((r) => r.basis !== 'location').map((r) => r.kg_co2e)),
    // Scope 2 of a connection that publishes it market-based only: in the market-based sum,
    // missing from the location-based one.
    scope2_market_only_kg_co2e: mgSum(
      rows.filter((r) => r.scope === 2 && r.basis === 'market' && !locationScope2.has(r.connection_id)).map((r) => r.kg_co2e),
    ),
    rows: rows.length,
  };
}

function groupKey(r: ReportedRow, by: ReportedGroupBy, sourceOf: (id: number) => string): string {
  switch (by) {
    case 'month':
      return r.month;
    case 'service':
      return r.service;
    case 'region':
      return r.region ?? 'No region';
    case 'scope':
      return `Scope ${r.scope}`;
    case 'account':
      return r.account_name ?? r.account;
    case 'source':
      return sourceOf(r.connection_id);
  }
}

/** Groups as the application orders them: the largest location-based first, by month in order. */
export function reportedGroupsOf(
  rows: ReadonlyArray<ReportedRow>,
  by: ReportedGroupBy,
  sourceOf: (id: number) => string,
  locationScope2: ReadonlySet<number> = locationScope2Of(rows),
): ReportedGroup[] {
  const groups = new Map<string, { key: string; scope: number | null; rows: ReportedRow[] }>();
  for (const r of rows) {
    const key = groupKey(r, by, sourceOf);
    const scope = by === 'month' ? r.scope : null;
    const id = `${key}|${scope ?? ''}`;
    const g = groups.get(id) ?? { key, scope, rows: [] };
    g.rows.push(r);
    groups.set(id, g);
  }
  const out = [...groups.values()].map((g) => ({ key: g.key, scope: g.scope, ...reportedTotalsOf(g.rows, locationScope2) }));
  if (by === 'month') return out.sort((a, b) => (a.key === b.key ? (a.scope ?? 0) - (b.scope ?? 0) : a.key < b.key ? -1 : 1));
  return out.sort((a, b) => Number(b.location_kg_co2e) - Number(a.location_kg_co2e) || a.key.localeCompare(b.key));
}

/** The cloud side of the in-memory backend: keyed connections' data by connection id. */
export class FakeCloud {
  private rows = new Map<number, ReportedRow[]>();
  private months = new Map<number, ReportedMonth[]>();
  private rules: SupplierRule[] = CLOUD_SAMPLE.rules.map((r) => ({ ...r }));

  constructor(private readonly platformName: (id: string) => string) {}

  isCloud(provider: string): boolean {
    return provider in RECORDED.cloudFields;
  }

  fields(provider: string): CredentialField[] {
    const f = RECORDED.cloudFields[provider];
    if (!f) {
      const name = this.platformName(provider);
      throw err('not_available', `${name} is not connected with keys; use \`carbonsync connect ${provider}\`.`);
    }
    return f.map((x) => ({ ...x }));
  }

  publicationDay(provider: string): number {
    this.fields(provider);
    return CLOUD_SAMPLE.publication_days[provider] ?? 15;
  }

  /**
   * Checks a form as the application does and says which account it reaches: the sandbox's
   * own one for an empty form on the sandbox; any keys typed are refused, since only the
   * sandbox's own are right and the sample does not hold them. The refusal names the
   * platform as the application does: "(sandbox)" only when it was the sandbox that refused.
   */
  check(provider: string, typed: Record<string, string>, sandbox: boolean): SampleAccount {
    const fields = this.fields(provider);
    const values = Object.fromEntries(Object.entries(typed).filter(([, v]) => v.trim() !== ''));
    const account = CLOUD_SAMPLE.accounts[provider];
    if (sandbox && Object.keys(values).length === 0) {
      if (!account) throw err('sandbox', `The sandbox did not give its ${provider} keys.`);
      return account;
    }
    const profile = 'profile' in values;
    for (const f of fields) {
      if (!f.optional && !(f.name in values) && !profile) throw err('missing_field', `${f.label} is needed to connect.`);
    }
    const name = this.platformName(provider);
    const refused = CLOUD_SAMPLE.refused[provider];
    if (!refused) throw err('keys_refused', `${sandbox ? `${name} (sandbox)` : name} refused these credentials. Nothing was stored; check them and connect again.`);
    throw sandbox ? { ...refused } : { ...refused, message: refused.message.replace(`${name} (sandbox)`, name) };
  }

  /** What a sync of connection `c` stores: the sample account's rows and months. */
  sync(c: Connection): number {
    const account = CLOUD_SAMPLE.accounts[c.provider];
    if (!account || account.connection.tenant_id !== c.tenant_id) return 0;
    this.rows.set(c.id, account.rows.map((r) => ({ ...r, connection_id: c.id })));
    this.months.set(c.id, account.months.map((m) => ({ ...m, connection_id: c.id })));
    return account.rows.length;
  }

  /** Stores `rows` as connection `connectionId`'s, in place of those it had. */
  store(connectionId: number, rows: ReadonlyArray<ReportedRow>): void {
    this.rows.set(connectionId, rows.map((r) => ({ ...r, connection_id: connectionId })));
  }

  forget(connectionId: number): void {
    this.rows.delete(connectionId);
    this.months.delete(connectionId);
  }

  select(f: ReportedFilter, live: ReadonlySet<number>): ReportedRow[] {
    const month = (d: string | null) => d?.slice(0, 7) ?? null;
    const from = month(f.from);
    const to = month(f.to);
    return [...this.rows.entries()]
      .filter(([id]) => live.has(id) && (f.connection_id === null || f.connection_id === id))
      .flatMap(([, rows]) => rows)
      .filter(
        (r) =>
          (from === null || r.month >= from) &&
          (to === null || r.month <= to) &&
          (f.scope === null || r.scope === f.scope) &&
          (f.service === null || r.service === f.service) &&
          (f.region === null || r.region === f.region),
      )
      .sort((a, b) => (a.month === b.month ? a.row_key.localeCompare(b.row_key) : a.month < b.month ? 1 : -1));
  }

  summary(f: ReportedFilter, by: ReportedGroupBy, live: ReadonlySet<number>, sourceOf: (id: number) => string): CloudSummary {
    const rows = this.select(f, live);
    const locationScope2 = locationScope2Of([...this.rows.values()].flat());
    return {
      totals: reportedTotalsOf(rows, locationScope2),
      by,
      groups: reportedGroupsOf(rows, by, sourceOf, locationScope2),
      // The stand-in's inventories hold nothing to meet the books with.
      overlaps: [],
    };
  }

  monthsOf(connectionId: number | null, live: ReadonlySet<number>): ReportedMonth[] {
    return [...this.months.entries()]
      .filter(([id]) => live.has(id) && (connectionId === null || connectionId === id))
      .flatMap(([, m]) => m.map((x) => ({ ...x })));
  }

  supplierRules(): SupplierRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  addRule(provider: string, pattern: string, unless: string | null, at: string): SupplierRule {
    this.fields(provider);
    const p = pattern.trim();
    if (!p) throw err('invalid_pattern', 'A supplier pattern needs at least one letter or digit.');
    const rule: SupplierRule = {
      id: Math.max(0, ...this.rules.map((r) => r.id)) + 1,
      platform: provider,
      pattern: p,
      unless: unless?.trim() || null,
      origin: 'user',
      enabled: true,
      changed_at: at,
    };
    this.rules.push(rule);
    return { ...rule };
  }

  setRuleEnabled(id: number, enabled: boolean, at: string): void {
    const rule = this.rules.find((r) => r.id === id);
    if (!rule) throw err('no_such_rule', `There is no supplier rule ${id}.`);
    rule.enabled = enabled;
    rule.changed_at = at;
  }
}
