// The FakeBackend's inventory: suppliers across connections, period close (a period's numbers
// frozen as reported, the changes made to its entries afterwards, restatements, reopening with
// a reason), the greenhouse-gas inventory report of a period and its export, and the audit
// chain's check. Written by hand after the application's rules and words (crates/core/src/
// period.rs, closes.rs, ghg_report/mod.rs, crates/store/src/closes.rs, report_groups.rs and
// suppliers.rs), because the recording of ./recorded/ holds none of it:
// - a close keeps a copy of the period's entries as they were; while it stands, totals of its
//   dates (the emissions' and the report's) are read from the copy, everything else from the
//   live ledger;
// - an entry of a closed period whose counted fields differ from its copy (or one added to or
//   gone from the period) is a change after close, until a person restates it into the copy or
//   leaves it (it is listed again if the entry changes once more);
// - every figure of the report is an exact sum of the entries as reported and of what the
//   platforms report (ghg_report/reported_part.rs): a cloud provider's figures count as the
//   company's purchased services (Scope 3 category 1), whatever scope the provider files them
//   under; an inventory platform's (Salesforce Net Zero Cloud) in the scopes it gives, and the
//   books' entries of each month, scope and category it reports are left out (and listed). So
//   the scopes, the Scope 3 categories, the connections, the categories, the months and the
//   method mix each add up to the inventory's total, which is the emissions' total of the same
//   period plus what is reported, less what that leaves out;
// - every close, reopening, restatement and change left is written to the audit trail.

import type { AppError } from '../bindings/AppError';
import type { AuditCheck } from '../bindings/AuditCheck';
import type { ChangeAfterClose } from '../bindings/ChangeAfterClose';
import type { ClosedLine } from '../bindings/ClosedLine';
import type { ConversionUse } from '../bindings/ConversionUse';
import type { ExcludedGroup } from '../bindings/ExcludedGroup';
import type { InventoryReport } from '../bindings/InventoryReport';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { Method } from '../bindings/Method';
import type { MethodLine } from '../bindings/MethodLine';
import type { MonthLine } from '../bindings/MonthLine';
import type { Period } from '../bindings/Period';
import type { PeriodClose } from '../bindings/PeriodClose';
import type { ReplacedLine } from '../bindings/ReplacedLine';
import type { ReportLine } from '../bindings/ReportLine';
import type { ReportedLine } from '../bindings/ReportedLine';
import type { ReportedRow } from '../bindings/ReportedRow';
import type { ReportedTotals } from '../bindings/ReportedTotals';
import type { Restatement } from '../bindings/Restatement';
import type { ReviewAction } from '../bindings/ReviewAction';
import type { ReviewRule } from '../bindings/ReviewRule';
import type { SourceUse } from '../bindings/SourceUse';
import type { SupplierPage } from '../bindings/SupplierPage';
import type { SupplierSummary } from '../bindings/SupplierSummary';
import type { Totals } from '../bindings/Totals';
import { HALF_UP, compareDecimals, dec, sumDecimals } from '../lib/decimal';
import { reportedTotalsOf } from './fakeCloud';
import { FACTOR_SET, FACTOR_UNIT, FACTOR_VERSION } from './fakeData';
import { ACTIVITY_SET, ACTIVITY_SET_VERSION, REVIEWER } from './fakeReview';

/** What the FakeInventory needs of the FakeBackend around it. */
export interface InventoryHost {
  /** The fake's clock, ms since 1970. */
  nowMs(): number;
  /** Every stored entry (the live ledger), of every connection, in the ledger's order. */
  entries(): LedgerEntry[];
  /** The entries of connections that exist, narrowed by `filter`, in the ledger's order. */
  select(filter: LedgerFilter): LedgerEntry[];
  /** The ids of the connections that exist. */
  liveIds(): Set<number>;
  /** A connection as the report names it (`Xero: Harbour & Pine Ltd`), or null when there is none. */
  connectionName(id: number): string | null;
  /** The totals of entries, as the emissions add them up. */
  totals(entries: ReadonlyArray<LedgerEntry>): Totals;
  /** What the person's decision on an entry did, if one decided it. */
  decisionAction(e: LedgerEntry): ReviewAction | null;
  /** Whether a person's decision counts the entry from a quantity estimated from spend at a stated price. */
  estimated(e: LedgerEntry): boolean;
  /**
   * The months of `fromMonth` to `toMonth` (`YYYY-MM`) that connections not disconnected (of
   * `connectionId`, or all) have not published yet, newest first, by connection in id order,
   * with the connection as the report names it; connections with none are left out.
   */
  pendingMonths(connectionId: number | null, fromMonth: string, toMonth: string): Array<{ connection: string; months: string[] }>;
  /** The person's rules, in the order they are tried. */
  rules(): ReviewRule[];
  /** What the platforms reported for a connection (or all) and days, in their own scopes, as the Cloud page sums it. */
  reportedTotals(connectionId: number | null, from: string, to: string): ReportedTotals;
  /** The rows the platforms reported for a connection (or all, of connections that exist) and the months of days `from` to `to`. */
  reportedRows(connectionId: number | null, from: string, to: string): ReportedRow[];
  /** Adds a row to the audit trail. */
  audit(action: string, subject: string, before: string | null, after: string | null, why: string | null): void;
  auditCheck(): AuditCheck;
}

function err(code: string, message: string): AppError {
  return { code, message, detail: null, permanent: true };
}

// ---- periods ----------------------------------------------------------------------------------

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function day(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`;
}

/** The last day of month `m` (1–12) of year `y`. */
function monthEnd(y: number, m: number): string {
  return day(y, m, new Date(Date.UTC(y, m, 0)).getUTCDate());
}

/**
 * Reads a period as people write it: a year (`2024`), a month (`2024-03`), a quarter
 * (`2024-Q2`) or a financial year (`FY2024`, the one that starts in 2024 in month
 * `fyStartMonth`). Refused with `usage`, in words that show the forms accepted.
 */
export function parsePeriod(text: string, fyStartMonth: number): Period {
  const p = text.trim();
  const bad = () =>
    err(
      'usage',
      `${JSON.stringify(text)} is not a period: write a year (2024), a month (2024-03), a quarter (2024-Q2) or a financial year (FY2024, the one that starts in 2024, or FY2024-25)`,
    );
  if (!(Number.isInteger(fyStartMonth) && fyStartMonth >= 1 && fyStartMonth <= 12)) {
    throw err('usage', `The financial year cannot start in month ${fyStartMonth}: give 1 (January) to 12 (December)`);
  }
  const year = (s: string): number => {
    if (!/^\d{4}$/.test(s)) throw bad();
    const y = Number(s);
    if (y < 1900) throw bad();
    return y;
  };
  const upper = p.toUpperCase();
  if (upper.startsWith('FY')) {
    const y = year(upper.slice(2));
    const endMonth = ((fyStartMonth + 10) % 12) + 1;
    const endYear = fyStartMonth === 1 ? y : y + 1;
    return { label: upper, from: day(y, fyStartMonth, 1), to: monthEnd(endYear, endMonth) };
  }
  const quarter = /^(.*)-Q(.*)$/.exec(upper);
  if (quarter) {
    const y = year(quarter[1]!);
    if (!/^\d+$/.test(quarter[2]!)) throw bad();
    const q = Number(quarter[2]);
    if (q < 1 || q > 4) throw bad();
    return { label: upper, from: day(y, (q - 1) * 3 + 1, 1), to: monthEnd(y, q * 3) };
  }
  const dash = p.indexOf('-');
  if (dash >= 0) {
    const y = year(p.slice(0, dash));
    const m = p.slice(dash + 1);
    if (!/^\d{1,2}$/.test(m)) throw bad();
    const month = Number(m);
    if (month < 1 || month > 12) throw bad();
    return { label: p, from: day(y, month, 1), to: monthEnd(y, month) };
  }
  const y = year(p);
  return { label: p, from: day(y, 1, 1), to: day(y, 12, 31) };
}

/** The months a period spans, `YYYY-MM`, in order. */
export function monthsOf(period: Pick<Period, 'from' | 'to'>): string[] {
  const out: string[] = [];
  let y = Number(period.from.slice(0, 4));
  let m = Number(period.from.slice(5, 7));
  const last = period.to.slice(0, 7);
  for (let key = `${y}-${pad(m)}`; key <= last; key = `${y}-${pad(m)}`) {
    out.push(key);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

/** Today, on the computer's calendar, at `ms`. */
function localDay(ms: number): string {
  const d = new Date(ms);
  return day(d.getFullYear(), d.getMonth() + 1, d.getDate());
}

// ---- the report's words -------------------------------------------------------------------------

/** The GHG Protocol's names of the Scope 3 categories, 1 to 15. */
const SCOPE3_NAMES = [
  'Purchased goods and services',
  'Capital goods',
  'Fuel- and energy-related activities',
  'Upstream transportation and distribution',
  'Waste generated in operations',
  'Business travel',
  'Employee commuting',
  'Upstream leased assets',
  'Downstream transportation and distribution',
  'Processing of sold products',
  'Use of sold products',
  'End-of-life treatment of sold products',
  'Downstream leased assets',
  'Franchises',
  'Investments',
];

/** The methods in the application's order, with their words and data quality (1 best to 5). */
const METHODS: ReadonlyArray<{ method: Method; label: string; quality: number }> = [
  { method: 'activity', label: 'Activity-based (quantity x published factor)', quality: 2 },
  { method: 'estimated', label: 'Activity-based, quantity estimated from spend at a stated price', quality: 3 },
  { method: 'spend_reviewed', label: 'Spend-based, factor chosen by a person or rule', quality: 4 },
  { method: 'spend_mapped', label: 'Spend-based, factor from the account mapping', quality: 5 },
  { method: 'reported_by_supplier', label: 'Reported by the supplier (cloud provider)', quality: 1 },
  { method: 'reported_by_inventory', label: "Reported by the company's inventory platform", quality: 2 },
];

/** The platforms whose scopes are the company's own: its inventory platform (Salesforce Net Zero Cloud). */
const INVENTORY_PLATFORMS: ReadonlySet<string> = new Set(['salesforce']);

const METHOD_NOTES: ReadonlyArray<string> = [
  `Spend-based entries: the line's amount before tax, converted to US dollars at the year's average rate and deflated to 2022 prices with the US GDP price index, times the ${FACTOR_SET} ${FACTOR_VERSION} factor (${FACTOR_UNIT}) of the category the entry is mapped to.`,
  `Activity-based entries: the quantity entered times the ${ACTIVITY_SET} (${ACTIVITY_SET_VERSION}) factor of the activity, in the scope that publication gives it.`,
  "Scope 2 totals are location-based (the grid's average factor). Market-based Scope 2 uses the supplier-specific or contractual factor where one was entered and the grid average elsewhere, the last step of the GHG Protocol Scope 2 Guidance's hierarchy (no residual-mix factor is shipped).",
  'Data quality, 1 (best) to 5: 1 reported by the supplier itself, 2 activity data with a published factor, 3 a quantity estimated from spend with an average price, 4 spend-based with a factor chosen by a person or rule, 5 spend-based from the account mapping. The score is the mean over counted entries, weighted by kg CO2e.',
  'A closed period counts as it was reported when closed (and as restated since); changes made to its records later are listed, not counted, until accepted.',
  "Cloud providers' reports of the company's share of their emissions count as purchased services (Scope 3 category 1), whatever scope the provider files them under, location-based; spend with a provider for a month it reports is excluded from the books. The company's inventory platform (Salesforce Net Zero Cloud) counts in the scopes it reports, and the books' entries of a month, scope and category it reports are left out (listed), as its figure is the more specific one.",
];

// ---- small pieces -------------------------------------------------------------------------------

/** kg CO2e as the report writes it: exact, six decimal places. */
function six(values: Iterable<string | null>): string {
  return dec(sumDecimals(values)).toFixed(6, HALF_UP);
}

function counted(e: LedgerEntry): boolean {
  return e.status === 'counted';
}

/** What of an entry makes its reported number: two entries alike here report the same. */
function fingerprint(e: LedgerEntry): string {
  const c = counted(e);
  return JSON.stringify([
    e.status,
    c ? e.kg_co2e : null,
    c ? e.amount_usd_2022 : null,
    e.date,
    e.net_amount,
    e.currency,
    e.account_code,
    e.category,
    e.scope,
    e.scope3_category,
    e.factor_code,
  ]);
}

function closedLine(e: LedgerEntry): ClosedLine {
  return {
    date: e.date,
    net_amount: e.net_amount,
    currency: e.currency,
    status: e.status,
    reason: e.reason,
    account_code: e.account_code,
    category: e.category,
    scope: e.scope,
    scope3_category: e.scope3_category,
    factor_code: e.factor_code,
    kg_co2e: counted(e) ? e.kg_co2e : null,
  };
}

function matches(e: LedgerEntry, f: LedgerFilter): boolean {
  return (
    (f.connection_id === null || e.connection_id === f.connection_id) &&
    (f.from === null || e.date >= f.from) &&
    (f.to === null || e.date <= f.to) &&
    (f.status === null || e.status === f.status) &&
    (f.scope === null || e.scope === f.scope) &&
    (f.category === null || e.category === f.category) &&
    (f.record_id === null || e.record_id === f.record_id)
  );
}

/** Lines by kg CO2e, largest first, then by key. */
function largestFirst(a: ReportLine, b: ReportLine): number {
  return compareDecimals(b.kg_co2e, a.kg_co2e) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Adds counted lines up into report lines by a key. */
class Lines {
  private map = new Map<string, { label: string; entries: number; kg: string[] }>();

  add(key: string, label: string, entries: number, kg: string): void {
    let l = this.map.get(key);
    if (!l) {
      l = { label, entries: 0, kg: [] };
      this.map.set(key, l);
    }
    l.entries += entries;
    l.kg.push(kg);
  }

  lines(): ReportLine[] {
    return [...this.map].map(([key, l]) => ({ key, label: l.label, entries: l.entries, kg_co2e: six(l.kg) })).sort(largestFirst);
  }
}

/** Orders numbers or texts with nothing first, as the database orders them. */
function nullsFirst<T extends number | string>(a: T | null, b: T | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

// ---- the reported part (ghg_report/reported_part.rs) -------------------------------------------

/** One group of the books' counted entries, as the report sums them. */
export interface ReportGroup {
  /** `YYYY-MM`. */
  month: string;
  connection_id: number;
  scope: number | null;
  scope3_category: number | null;
  category: string | null;
  method: Method;
  entries: number;
  /** kg CO2e, exactly. */
  kg_co2e: string;
  /** kg CO2e market-based: a person's supplier or contract factor where given, else the same as `kg_co2e`. */
  market_kg_co2e: string;
}

/** What one connection reported for one month, scope and Scope 3 category, under both bases. */
export interface ReportedSlice {
  connection_id: number;
  /** The connection's platform (`aws`, `salesforce`, …). */
  platform: string;
  /** `YYYY-MM`: the month the figure is for, or the first month of a longer footprint. */
  month: string;
  /** Inclusive `YYYY-MM-DD` end of a footprint longer than its month, the latest of the slice's rows. */
  period_end: string | null;
  /** The scope as the platform reports it. */
  scope: number;
  scope3_category: number | null;
  location_kg_co2e: string;
  market_kg_co2e: string;
}

/** The reported part of an inventory, and which of the books' groups it replaces. */
export interface ReportedPart {
  lines: ReportedLine[];
  replaced: ReplacedLine[];
  /** Indices into the books' groups that are left out. */
  replacedGroups: Set<number>;
}

/** Rows grouped by connection, month, scope and Scope 3 category; by month, connection, scope and category. */
export function reportedSlicesOf(rows: ReadonlyArray<ReportedRow>): ReportedSlice[] {
  const by = new Map<string, ReportedRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.connection_id, r.platform, r.month, r.scope, r.scope3_category]);
    const g = by.get(key);
    if (g) g.push(r);
    else by.set(key, [r]);
  }
  return [...by.values()]
    .map((g) => {
      const first = g[0]!;
      const ends = g.map((r) => r.period_end).filter((d): d is string => d !== null).sort();
      const totals = reportedTotalsOf(g);
      return {
        connection_id: first.connection_id,
        platform: first.platform,
        month: first.month,
        period_end: ends.at(-1) ?? null,
        scope: first.scope,
        scope3_category: first.scope3_category,
        location_kg_co2e: totals.location_kg_co2e,
        market_kg_co2e: totals.market_kg_co2e,
      };
    })
    .sort(
      (a, b) =>
        nullsFirst(a.month, b.month) ||
        a.connection_id - b.connection_id ||
        a.scope - b.scope ||
        nullsFirst(a.scope3_category, b.scope3_category),
    );
}

/**
 * The company's scope, Scope 3 category and method of a reported slice: an inventory
 * platform's own; a cloud provider's is the company's purchased services, Scope 3 category 1.
 */
export function companyScope(slice: Pick<ReportedSlice, 'platform' | 'scope' | 'scope3_category'>): [number, number | null, Method] {
  if (INVENTORY_PLATFORMS.has(slice.platform)) return [slice.scope, slice.scope3_category, 'reported_by_inventory'];
  return [3, 1, 'reported_by_supplier'];
}

/**
 * Places `slices` in the company's scopes and, when `replace` (every connection is in the
 * report), finds the books' groups an inventory platform's figure replaces: same scope and
 * Scope 3 category, a month from the footprint's first to the month of its end.
 */
export function reportedPart(
  slices: ReadonlyArray<ReportedSlice>,
  groups: ReadonlyArray<ReportGroup>,
  replace: boolean,
  nameOf: (id: number) => string,
): ReportedPart {
  const lines = new Map<string, { line: ReportedLine; kg: string[]; market: string[] }>();
  const replacedGroups = new Set<number>();
  const replaced = new Map<string, { line: ReplacedLine; kg: string[] }>();
  for (const slice of slices) {
    const [scope, scope3Category, method] = companyScope(slice);
    const key = JSON.stringify([slice.connection_id, scope, scope3Category, slice.scope]);
    let l = lines.get(key);
    if (!l) {
      l = {
        line: {
          connection_id: slice.connection_id,
          source: nameOf(slice.connection_id),
          platform: slice.platform,
          scope,
          scope3_category: scope3Category,
          published_scope: slice.scope,
          method,
          months: 0,
          period_end: null,
          kg_co2e: '0',
          market_kg_co2e: '0',
        },
        kg: [],
        market: [],
      };
      lines.set(key, l);
    }
    l.line.months += 1;
    l.kg.push(slice.location_kg_co2e);
    l.market.push(slice.market_kg_co2e);
    if (slice.period_end !== null && (l.line.period_end === null || slice.period_end > l.line.period_end)) {
      l.line.period_end = slice.period_end;
    }
    const reportsIt = dec(slice.location_kg_co2e).gt(0) || dec(slice.market_kg_co2e).gt(0);
    if (!replace || method !== 'reported_by_inventory' || !reportsIt) continue;
    const end = slice.period_end?.slice(0, 7) ?? null;
    const lastMonth = end !== null && end > slice.month ? end : slice.month;
    groups.forEach((g, i) => {
      const sameSlice = g.scope === scope && g.scope3_category === scope3Category;
      const within = g.month >= slice.month && g.month <= lastMonth;
      if (!sameSlice || !within || replacedGroups.has(i)) return;
      replacedGroups.add(i);
      const source = nameOf(slice.connection_id);
      const rkey = JSON.stringify([g.month, scope, scope3Category, source]);
      let r = replaced.get(rkey);
      if (!r) {
        r = {
          line: { month: g.month, scope, scope3_category: scope3Category, entries: 0, kg_co2e: '0', replaced_by: source },
          kg: [],
        };
        replaced.set(rkey, r);
      }
      r.line.entries += g.entries;
      r.kg.push(g.kg_co2e);
    });
  }
  return {
    lines: [...lines.values()]
      .map((l) => ({ ...l.line, kg_co2e: six(l.kg), market_kg_co2e: six(l.market) }))
      .sort(
        (a, b) =>
          compareDecimals(b.kg_co2e, a.kg_co2e) ||
          nullsFirst(a.source, b.source) ||
          a.connection_id - b.connection_id ||
          a.scope - b.scope ||
          nullsFirst(a.scope3_category, b.scope3_category) ||
          a.published_scope - b.published_scope,
      ),
    replaced: [...replaced.values()]
      .map((r) => ({ ...r.line, kg_co2e: six(r.kg) }))
      .sort(
        (a, b) =>
          nullsFirst(a.month, b.month) ||
          a.scope - b.scope ||
          nullsFirst(a.scope3_category, b.scope3_category) ||
          nullsFirst(a.replaced_by, b.replaced_by),
      ),
    replacedGroups,
  };
}

interface StoredClose {
  id: number;
  label: string;
  from: string;
  to: string;
  closed_at_ms: number;
  closed_by: string;
  note: string | null;
  reopened_at_ms: number | null;
  reopened_by: string | null;
  reopen_reason: string | null;
  /** The id of the longer close that took this one in. */
  taken_into: number | null;
  /** The period's entries as reported, by entry id: copied at close, replaced by restatements. */
  copy: Map<number, LedgerEntry>;
  /** Changes a person left, by entry id: the entry's fingerprint then (`gone` when it was gone). */
  left: Map<number, string>;
}

/** A change found: the entry, and whether its copy and its live entry are in the period. */
interface ChangeKey {
  entryId: number;
  inCopy: boolean;
  liveInPeriod: boolean;
  live: LedgerEntry | null;
}

export class FakeInventory {
  private closes: StoredClose[] = [];
  private nextCloseId = 1;

  /** The close that took `c` in, while it stands (a reopened one gives `c` back). */
  private readonly takerOf = (c: StoredClose): StoredClose | null =>
    this.closes.find((t) => t.id === c.taken_into && t.reopened_at_ms === null) ?? null;

  /** In force: not reopened, and not taken into a longer close that stands. */
  private readonly isStanding = (c: StoredClose): boolean => c.reopened_at_ms === null && this.takerOf(c) === null;

  constructor(private readonly host: InventoryHost) {}

  // ---- for the FakeBackend ------------------------------------------------------------------

  /**
   * The entries of `filter` as reported: those of a standing close's dates from its copy,
   * every other from the live ledger (connections that exist only).
   */
  reported(filter: LedgerFilter): LedgerEntry[] {
    const standing = this.closes.filter(this.isStanding);
    const live = this.host.select(filter);
    if (standing.length === 0) return live;
    const closed = (date: string) => standing.some((c) => date >= c.from && date <= c.to);
    const ids = this.host.liveIds();
    const out = live.filter((e) => !closed(e.date));
    for (const c of standing) {
      for (const e of c.copy.values()) if (ids.has(e.connection_id) && matches(e, filter)) out.push(e);
    }
    return out;
  }

  // ---- suppliers ----------------------------------------------------------------------------

  suppliers(filter: LedgerFilter, offset: number, limit: number): SupplierPage {
    const groups = new Map<string, LedgerEntry[]>();
    for (const e of this.host.select(filter)) {
      const key = e.contact?.trim().toLowerCase() ?? '';
      if (key === '') continue;
      const g = groups.get(key);
      if (g) g.push(e);
      else groups.set(key, [e]);
    }
    const rules = this.host.rules();
    const all = [...groups].map(([key, rows]) => ({ key, summary: this.supplier(key, rows, rules) }));
    all.sort(
      (a, b) =>
        compareDecimals(b.summary.kg_co2e, a.summary.kg_co2e) ||
        b.summary.entries - a.summary.entries ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    const from = Math.max(0, offset);
    return { items: all.slice(from, from + Math.max(0, limit)).map((x) => x.summary), offset, total: all.length };
  }

  private supplier(key: string, rows: LedgerEntry[], rules: ReadonlyArray<ReviewRule>): SupplierSummary {
    const spend = new Map<string, string[]>();
    const categories = new Map<string, (string | null)[]>();
    let name: string | null = null;
    for (const e of rows) {
      if (name === null || e.contact! < name) name = e.contact!;
      const s = spend.get(e.currency) ?? [];
      s.push(e.net_amount);
      spend.set(e.currency, s);
      if (counted(e) && e.category !== null) {
        const c = categories.get(e.category) ?? [];
        c.push(e.kg_co2e);
        categories.set(e.category, c);
      }
    }
    const byKg = [...categories].map(([c, kg]) => ({ c, kg: sumDecimals(kg) }));
    byKg.sort((a, b) => compareDecimals(b.kg, a.kg) || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0));
    const rule = rules.find((r) => {
      const m = r.match;
      return (
        m.supplier !== null &&
        m.supplier.trim().toLowerCase() === key &&
        m.account_code === null &&
        m.description_contains === null &&
        m.amount_min === null &&
        m.amount_max === null &&
        m.platform === null
      );
    });
    return {
      name: name ?? key,
      connection_ids: [...new Set(rows.map((e) => e.connection_id))].sort((a, b) => a - b),
      entries: rows.length,
      counted: rows.filter(counted).length,
      unmapped: rows.filter((e) => e.status === 'unmapped').length,
      excluded: rows.filter((e) => e.status === 'excluded').length,
      kg_co2e: six(rows.filter(counted).map((e) => e.kg_co2e)),
      spend: Object.fromEntries([...spend.keys()].sort().map((c) => [c, sumDecimals(spend.get(c)!)])),
      categories: byKg.slice(0, 5).map((x) => x.c),
      rule_id: rule?.id ?? null,
    };
  }

  // ---- period close -------------------------------------------------------------------------

  periodCloses(): PeriodClose[] {
    return [...this.closes].sort((a, b) => b.closed_at_ms - a.closed_at_ms || b.id - a.id).map((c) => this.view(c));
  }

  closePeriod(text: string, fyStartMonth: number, note: string | null): PeriodClose {
    const period = parsePeriod(text, fyStartMonth);
    const at = this.host.nowMs();
    if (!(period.to < localDay(at))) {
      throw err(
        'period_not_over',
        `${period.label} runs to ${period.to}: a period can be closed once its last day has passed, when its records are in`,
      );
    }
    const overlapping = this.closes
      .filter((c) => this.isStanding(c) && c.from <= period.to && c.to >= period.from)
      .sort((a, b) => (a.from < b.from ? -1 : 1));
    const same = overlapping.find((c) => c.from === period.from && c.to === period.to);
    if (same) {
      const as = same.label.toUpperCase() === period.label.toUpperCase() ? '' : ` as ${same.label}`;
      throw err('refused', `${period.label} is already closed${as}; reopen ${same.label} to close it again`);
    }
    const past = overlapping.find((c) => c.from < period.from || c.to > period.to);
    if (past) {
      throw err(
        'refused',
        `${period.label} overlaps ${past.label}, which is closed and reaches past it: reopen ${past.label} first, or close a period that holds all of ${past.label} or none of it`,
      );
    }
    // Closes wholly inside are taken in as they reported; the live ledger gives the rest.
    const inTaken = (date: string) => overlapping.some((c) => date >= c.from && date <= c.to);
    const copy = new Map<number, LedgerEntry>();
    for (const e of this.host.entries()) {
      if (e.date >= period.from && e.date <= period.to && !inTaken(e.date)) copy.set(e.id, { ...e });
    }
    const left = new Map<number, string>();
    for (const t of [...overlapping].sort((a, b) => b.closed_at_ms - a.closed_at_ms || b.id - a.id)) {
      for (const [id, e] of t.copy) if (!copy.has(id)) copy.set(id, { ...e });
      for (const [id, f] of t.left) if (!left.has(id)) left.set(id, f);
    }
    const close: StoredClose = {
      id: this.nextCloseId++,
      label: period.label,
      from: period.from,
      to: period.to,
      closed_at_ms: at,
      closed_by: REVIEWER.os_user,
      note: note?.trim() ? note.trim() : null,
      reopened_at_ms: null,
      reopened_by: null,
      reopen_reason: null,
      taken_into: null,
      copy,
      left,
    };
    this.closes.push(close);
    for (const t of overlapping) {
      const before = this.view(t);
      t.taken_into = close.id;
      this.host.audit(
        'period_taken_in',
        `period:${t.label}`,
        JSON.stringify(auditOf(before)),
        JSON.stringify(auditOf(this.view(t))),
        close.note,
      );
    }
    const view = this.view(close);
    this.host.audit('period_closed', `period:${close.label}`, null, JSON.stringify(auditOf(view)), close.note);
    return view;
  }

  reopenPeriod(label: string, reason: string): PeriodClose {
    const why = reason.trim();
    if (why === '') {
      throw err(
        'reason_required',
        `Reopening ${label.trim()} changes numbers that were reported: give the reason, which goes in the audit trail`,
      );
    }
    const c = this.standing(label);
    const before = this.view(c);
    const givenBack = this.closes.filter((t) => this.takerOf(t) === c).map((t) => [t, this.view(t)] as const);
    c.reopened_at_ms = this.host.nowMs();
    c.reopened_by = REVIEWER.os_user;
    c.reopen_reason = why;
    const after = this.view(c);
    this.host.audit('period_reopened', `period:${c.label}`, JSON.stringify(auditOf(before)), JSON.stringify(auditOf(after)), why);
    // The closes it took in stand again, as they reported.
    for (const [t, was] of givenBack) {
      this.host.audit('period_given_back', `period:${t.label}`, JSON.stringify(auditOf(was)), JSON.stringify(auditOf(this.view(t))), why);
    }
    return after;
  }

  changesAfterClose(label: string | null): ChangeAfterClose[] {
    const closes =
      label === null
        ? this.closes.filter(this.isStanding).sort((a, b) => (a.from < b.from ? -1 : 1))
        : [this.standing(label)];
    return closes.flatMap((c) => this.changeKeys(c).map((k) => this.changeOf(c, k)));
  }

  restatePeriod(label: string, entryIds: ReadonlyArray<number> | null, why: string | null): Restatement {
    const c = this.standing(label);
    const keys = this.changeKeys(c).filter((k) => entryIds === null || entryIds.includes(k.entryId));
    if (keys.length === 0) {
      throw err('refused', `${c.label} has no change after close${entryIds !== null ? ' among the entries named' : ''} to restate`);
    }
    const before = this.view(c);
    const changes = keys.map((k) => this.changeOf(c, k));
    for (const k of keys) {
      c.copy.delete(k.entryId);
      if (k.live && k.liveInPeriod) c.copy.set(k.entryId, { ...k.live });
      c.left.delete(k.entryId);
    }
    const after = this.view(c);
    this.host.audit(
      'period_restated',
      `period:${c.label}`,
      JSON.stringify(auditOf(before)),
      JSON.stringify({ close: auditOf(after), changes }),
      why?.trim() || null,
    );
    return { close_id: c.id, label: c.label, entries: keys.length, before: before.reported, after: after.reported };
  }

  leaveChanges(label: string, entryIds: ReadonlyArray<number> | null, why: string | null): number {
    const c = this.standing(label);
    const keys = this.changeKeys(c).filter((k) => entryIds === null || entryIds.includes(k.entryId));
    if (keys.length === 0) {
      throw err('refused', `${c.label} has no change after close${entryIds !== null ? ' among the entries named' : ''} to leave`);
    }
    const changes = keys.map((k) => this.changeOf(c, k));
    for (const k of keys) c.left.set(k.entryId, k.live ? fingerprint(k.live) : 'gone');
    this.host.audit('period_changes_left', `period:${c.label}`, null, JSON.stringify(changes), why?.trim() || null);
    return keys.length;
  }

  // ---- the report ---------------------------------------------------------------------------

  report(text: string, fyStartMonth: number, connectionId: number | null): InventoryReport {
    const period = parsePeriod(text, fyStartMonth);
    if (connectionId !== null && this.host.connectionName(connectionId) === null) {
      throw err('no_such_connection', `There is no connection ${connectionId}.`);
    }
    const filter: LedgerFilter = {
      connection_id: connectionId,
      from: period.from,
      to: period.to,
      status: null,
      scope: null,
      category: null,
      record_id: null,
    };
    const rows = this.reported(filter);
    const name = (id: number) => this.host.connectionName(id) ?? `Connection ${id}`;
    const groups = this.groups(rows);
    const slices = reportedSlicesOf(this.host.reportedRows(connectionId, period.from, period.to));
    const part = reportedPart(slices, groups, connectionId === null, name);

    type Kgs = string[];
    const scopes: [Kgs, Kgs, Kgs] = [[], [], []];
    const cat3 = new Lines();
    const byConnection = new Lines();
    const byCategory = new Lines();
    const byMonth = new Map<string, [Kgs, Kgs, Kgs]>(monthsOf(period).map((m) => [m, [[], [], []]]));
    const mix = new Map<Method, { entries: number; kg: Kgs }>();
    /** Counts one line: a group of the books' entries or a reported figure. */
    const add = (line: {
      connection_id: number;
      scope: number;
      scope3_category: number | null;
      category: string;
      method: Method;
      entries: number;
      kg: string;
      months: ReadonlyArray<readonly [string, string]>;
    }) => {
      const s = Math.min(3, Math.max(1, line.scope)) - 1;
      scopes[s]!.push(line.kg);
      if (s === 2) {
        const c = line.scope3_category;
        if (c === null) cat3.add('3.99', 'Category not given', line.entries, line.kg);
        else cat3.add(`3.${pad(c)}`, `${c}. ${SCOPE3_NAMES[c - 1] ?? 'Unknown category'}`, line.entries, line.kg);
      }
      byConnection.add(String(line.connection_id), name(line.connection_id), line.entries, line.kg);
      byCategory.add(line.category, line.category, line.entries, line.kg);
      for (const [month, kg] of line.months) {
        let m = byMonth.get(month);
        if (!m) {
          m = [[], [], []];
          byMonth.set(month, m);
        }
        m[s]!.push(kg);
      }
      const x = mix.get(line.method) ?? { entries: 0, kg: [] };
      x.entries += line.entries;
      x.kg.push(line.kg);
      mix.set(line.method, x);
    };
    // The books' groups, less those the inventory platform reports.
    const scope2MarketBooks: Kgs = [];
    groups.forEach((g, i) => {
      if (part.replacedGroups.has(i)) return;
      const scope = g.scope ?? 3;
      if (scope === 2) scope2MarketBooks.push(g.market_kg_co2e);
      add({
        connection_id: g.connection_id,
        scope,
        scope3_category: g.scope3_category,
        category: g.category ?? 'Uncategorised',
        method: g.method,
        entries: g.entries,
        kg: g.kg_co2e,
        months: [[g.month, g.kg_co2e]],
      });
    });
    // What the platforms report, in the company's scopes; by month in the months they report.
    const scope2MarketReported: Kgs = [];
    for (const line of part.lines) {
      if (line.scope === 2) scope2MarketReported.push(line.market_kg_co2e);
      const months = slices
        .filter((s) => s.connection_id === line.connection_id && s.scope === line.published_scope)
        .filter((s) => {
          const [scope, cat] = companyScope(s);
          return scope === line.scope && cat === line.scope3_category;
        })
        .map((s) => [s.month, s.location_kg_co2e] as const);
      add({
        connection_id: line.connection_id,
        scope: line.scope,
        scope3_category: line.scope3_category,
        category: `Reported by ${line.source}`,
        method: line.method,
        entries: 0,
        kg: line.kg_co2e,
        months,
      });
    }
    const totals = this.host.totals(rows);
    const methodMix: MethodLine[] = METHODS.filter((m) => mix.has(m.method)).map((m) => ({
      method: m.method,
      label: m.label,
      data_quality: m.quality,
      entries: mix.get(m.method)!.entries,
      kg_co2e: six(mix.get(m.method)!.kg),
    }));
    const inventoryKg = six(scopes.flat());
    const countedKg = dec(inventoryKg);
    const weighted = methodMix.reduce((sum, m) => sum.plus(dec(m.kg_co2e).times(m.data_quality)), dec('0'));
    const months: MonthLine[] = [...byMonth.keys()].sort().map((month) => {
      const [a, b, c] = byMonth.get(month)!.map((kg) => six(kg)) as [string, string, string];
      return { month, by_scope: [a, b, c], kg_co2e: six([a, b, c]) };
    });
    const [factorSets, conversions] = this.sources(rows);
    const closes = this.closes
      .filter((c) => this.isStanding(c) && c.to >= period.from && c.from <= period.to)
      .sort((a, b) => (a.from < b.from ? -1 : 1));
    const ids = this.host.liveIds();
    const audit = this.host.auditCheck();
    return {
      warnings: this.warnings(period, connectionId, totals, part.lines.length, audit),
      period,
      connection_id: connectionId,
      generated_at_ms: this.host.nowMs(),
      generated_by: `${REVIEWER.os_user} on ${REVIEWER.machine}`,
      organisations: [...ids].filter((id) => connectionId === null || id === connectionId).map(name),
      totals,
      inventory_kg_co2e: inventoryKg,
      scopes: {
        scope1_kg_co2e: six(scopes[0]),
        scope2_location_kg_co2e: six(scopes[1]),
        // The books' Scope 2 with a person's supplier or contract factor where given, the grid
        // average elsewhere, and the inventory platform's market-based Scope 2.
        scope2_market_kg_co2e: six([...scope2MarketBooks, ...scope2MarketReported]),
        scope3_kg_co2e: six(scopes[2]),
      },
      reported: part.lines,
      reported_kg_co2e: six(part.lines.map((l) => l.kg_co2e)),
      replaced: part.replaced,
      replaced_kg_co2e: six(part.replaced.map((r) => r.kg_co2e)),
      scope3_categories: cat3.lines().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      by_connection: byConnection.lines(),
      by_category: byCategory.lines(),
      by_month: months,
      method_mix: methodMix,
      data_quality_score: countedKg.eq(0) ? null : weighted.div(countedKg).toFixed(2, HALF_UP),
      excluded: this.excluded(rows),
      factor_sets: factorSets,
      conversions,
      rules: this.host.rules(),
      closes: closes.map((c) => this.view(c)),
      changes_after_close: closes.flatMap((c) => this.changeKeys(c).map((k) => this.changeOf(c, k))),
      reported_by_providers: this.host.reportedTotals(connectionId, period.from, period.to),
      audit,
      method_notes: [...METHOD_NOTES],
    };
  }

  /** Where the export of the report would be written. */
  exportPath(text: string, fyStartMonth: number, connectionId: number | null): string {
    const { period } = this.report(text, fyStartMonth, connectionId);
    const d = new Date(this.host.nowMs());
    const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
    return `~/Downloads/carbonsync-inventory-${period.label}-${stamp}.pdf`;
  }

  // ---- inside ---------------------------------------------------------------------------------

  /**
   * What the reader must know before relying on the report, each with what to do, in the
   * application's order: nothing dated in the period, unmapped entries, a provider's months
   * not published yet, a broken audit chain.
   */
  private warnings(period: Period, connectionId: number | null, totals: Totals, reportedLines: number, audit: AuditCheck): string[] {
    const out: string[] = [];
    if (totals.counted + totals.excluded + totals.unmapped === 0 && reportedLines === 0) {
      out.push(
        `Nothing is dated in ${period.label} (${period.from} to ${period.to}): no entry and no provider's figure. Sync the connections first (carbonsync sync), or check the period.`,
      );
    }
    if (totals.unmapped > 0) {
      out.push(
        `${totals.unmapped === 1 ? '1 entry is' : `${totals.unmapped} entries are`} unmapped and not counted: review them (carbonsync review --from ${period.from} --to ${period.to}${connectionId != null ? ` --connection ${connectionId}` : ''}) before relying on the totals.`,
      );
    }
    for (const { connection, months } of this.host.pendingMonths(connectionId, period.from.slice(0, 7), period.to.slice(0, 7))) {
      out.push(
        `${connection} has not published ${months.join(', ')} yet: the inventory lacks those months' figures. Sync it again once they are published, then make the report again.`,
      );
    }
    if (!audit.intact) {
      out.push(
        `The audit trail's chain is broken at row ${audit.broken_at ?? 0}: run carbonsync audit verify before giving this report to anyone.`,
      );
    }
    return out;
  }

  /** The counted entries of `rows` by month, connection, scope, Scope 3 category, category and method, in that order. */
  private groups(rows: ReadonlyArray<LedgerEntry>): ReportGroup[] {
    const by = new Map<string, { group: ReportGroup; kg: string[]; market: string[] }>();
    for (const e of rows) {
      if (!counted(e)) continue;
      const group: ReportGroup = {
        month: e.date.slice(0, 7),
        connection_id: e.connection_id,
        scope: e.scope,
        scope3_category: e.scope3_category,
        category: e.category,
        method: this.methodOf(e),
        entries: 0,
        kg_co2e: '0',
        market_kg_co2e: '0',
      };
      const key = JSON.stringify([group.month, group.connection_id, group.scope, group.scope3_category, group.category, group.method]);
      const g = by.get(key) ?? { group, kg: [], market: [] };
      g.group.entries += 1;
      g.kg.push(e.kg_co2e ?? '0');
      g.market.push(e.market_kg_co2e ?? e.kg_co2e ?? '0');
      by.set(key, g);
    }
    return [...by.values()]
      .map((g) => ({ ...g.group, kg_co2e: six(g.kg), market_kg_co2e: six(g.market) }))
      .sort(
        (a, b) =>
          nullsFirst(a.month, b.month) ||
          a.connection_id - b.connection_id ||
          nullsFirst(a.scope, b.scope) ||
          nullsFirst(a.scope3_category, b.scope3_category) ||
          nullsFirst(a.category, b.category) ||
          nullsFirst(a.method, b.method),
      );
  }

  private methodOf(e: LedgerEntry): Method {
    // A quantity estimated from spend at a stated price is data quality 3, a measured one 2.
    if (this.host.decisionAction(e) === 'activity') return this.host.estimated(e) ? 'estimated' : 'activity';
    return e.decision_id !== null || e.review_rule_id !== null ? 'spend_reviewed' : 'spend_mapped';
  }

  private excluded(rows: ReadonlyArray<LedgerEntry>): ExcludedGroup[] {
    const by = new Map<string, { entries: number; amounts: Map<string, string[]> }>();
    for (const e of rows) {
      if (e.status !== 'excluded') continue;
      const reason = e.reason ?? 'No reason given';
      const g = by.get(reason) ?? { entries: 0, amounts: new Map<string, string[]>() };
      g.entries += 1;
      const a = g.amounts.get(e.currency) ?? [];
      a.push(e.net_amount);
      g.amounts.set(e.currency, a);
      by.set(reason, g);
    }
    return [...by]
      .map(([reason, g]) => ({
        reason,
        entries: g.entries,
        amounts: Object.fromEntries([...g.amounts.keys()].sort().map((c) => [c, sumDecimals(g.amounts.get(c)!)])),
      }))
      .sort((a, b) => b.entries - a.entries || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  }

  private sources(rows: ReadonlyArray<LedgerEntry>): [SourceUse[], ConversionUse[]] {
    const sets = new Map<string, SourceUse>();
    const conversions = new Map<string, ConversionUse>();
    for (const e of rows) {
      if (!counted(e)) continue;
      if (e.factor_set !== null) {
        const key = JSON.stringify([e.factor_set, e.factor_version ?? '']);
        const s = sets.get(key) ?? { name: e.factor_set, version: e.factor_version ?? '', entries: 0 };
        s.entries += 1;
        sets.set(key, s);
      }
      if (e.fx_source !== null && e.deflator_source !== null) {
        const key = JSON.stringify([e.fx_source, e.deflator_source]);
        const c = conversions.get(key) ?? { fx_source: e.fx_source, deflator_source: e.deflator_source, entries: 0 };
        c.entries += 1;
        conversions.set(key, c);
      }
    }
    const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [
      [...sets.values()].sort((a, b) => b.entries - a.entries || text(a.name, b.name) || text(a.version, b.version)),
      [...conversions.values()].sort(
        (a, b) => b.entries - a.entries || text(a.fx_source, b.fx_source) || text(a.deflator_source, b.deflator_source),
      ),
    ];
  }

  /** The standing close named `label`, whatever its letters' case. */
  private standing(label: string): StoredClose {
    const l = label.trim().toUpperCase();
    const c = this.closes.find((x) => this.isStanding(x) && x.label.toUpperCase() === l);
    const taken = this.closes.find((x) => this.takerOf(x) !== null && x.label.toUpperCase() === l);
    if (!c && taken) {
      const into = this.takerOf(taken)!.label;
      throw err(
        'taken_in',
        `${taken.label} was taken into ${into} when ${into} was closed: its days are ${into}'s now`,
      );
    }
    if (!c) {
      throw err(
        'no_such_close',
        `${label.trim()} is not closed; the period closes list the periods closed and reopened`,
      );
    }
    return c;
  }

  private view(c: StoredClose): PeriodClose {
    return {
      id: c.id,
      label: c.label,
      from: c.from,
      to: c.to,
      closed_at_ms: c.closed_at_ms,
      closed_by: c.closed_by,
      note: c.note,
      reopened_at_ms: c.reopened_at_ms,
      reopened_by: c.reopened_by,
      reopen_reason: c.reopen_reason,
      taken_into: this.takerOf(c)?.label ?? null,
      took_in: this.closes
        .filter((t) => t.taken_into === c.id)
        .sort((a, b) => (a.from < b.from ? -1 : 1))
        .map((t) => t.label),
      reported: this.host.totals([...c.copy.values()]),
      entries: c.copy.size,
      changes_after_close: this.isStanding(c) ? this.changeKeys(c).length : 0,
    };
  }

  /**
   * The entries of close `c` whose live entry differs from its copy (or left the period), and
   * the live entries dated in the period the copy lacks, less the changes a person left.
   */
  private changeKeys(c: StoredClose): ChangeKey[] {
    const inPeriod = (e: LedgerEntry) => e.date >= c.from && e.date <= c.to;
    const live = new Map(this.host.entries().map((e) => [e.id, e]));
    const keys: ChangeKey[] = [];
    for (const [id, copy] of c.copy) {
      const now = live.get(id) ?? null;
      if (now && inPeriod(now) && fingerprint(now) === fingerprint(copy)) continue;
      keys.push({ entryId: id, inCopy: true, liveInPeriod: now !== null && inPeriod(now), live: now });
    }
    for (const e of live.values()) {
      if (inPeriod(e) && !c.copy.has(e.id)) keys.push({ entryId: e.id, inCopy: false, liveInPeriod: true, live: e });
    }
    return keys
      .filter((k) => c.left.get(k.entryId) !== (k.live ? fingerprint(k.live) : 'gone'))
      .sort((a, b) => a.entryId - b.entryId);
  }

  private changeOf(c: StoredClose, k: ChangeKey): ChangeAfterClose {
    const reported = k.inCopy ? (c.copy.get(k.entryId) ?? null) : null;
    const who = k.live ?? reported!;
    const kg = (e: LedgerEntry | null) => (e && counted(e) && e.kg_co2e !== null ? e.kg_co2e : '0');
    const nowKg = k.liveInPeriod ? kg(k.live) : '0';
    return {
      close_id: c.id,
      label: c.label,
      entry_id: k.entryId,
      kind: !k.inCopy ? 'added' : k.liveInPeriod ? 'changed' : 'removed',
      connection_id: who.connection_id,
      record_id: who.record_id,
      line_no: who.line_no,
      contact: who.contact,
      description: who.description,
      reported: reported && closedLine(reported),
      now: k.live && closedLine(k.live),
      kg_co2e_difference: dec(nowKg).minus(dec(kg(reported))).toFixed(6, HALF_UP),
    };
  }
}

/** A close as its audit rows record it. */
function auditOf(c: PeriodClose) {
  return { label: c.label, from: c.from, to: c.to, entries: c.entries, reported: c.reported };
}
