// The words of the review: why an entry waits for a person, how far the review has come, what
// a decision or a rule does, and what each row of an entry's history says.

import type { AuditRow } from '../bindings/AuditRow';
import type { Classification } from '../bindings/Classification';
import type { LineSnapshot } from '../bindings/LineSnapshot';
import type { QueueReason } from '../bindings/QueueReason';
import type { ReviewProgress } from '../bindings/ReviewProgress';
import type { RuleMatch } from '../bindings/RuleMatch';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import { HALF_UP, type DecimalString, compareDecimals, parseDecimal } from './decimal';
import { formatAmount, formatDay, formatDecimal, formatInt } from './format';
import { SCOPE3_CATEGORIES, type StateWords } from './labels';

export function queueReasonWords(why: QueueReason): StateWords {
  switch (why) {
    case 'changed_since_review':
      return {
        label: 'Changed since review',
        detail: 'The platform changed the line after a person decided it: check the decision still holds.',
        tone: 'error',
      };
    case 'estimated':
      return {
        label: 'Estimated from spend',
        detail:
          'Counted from a quantity estimated from the amount at a stated price (data quality 3): give the measured quantity from the bill or a meter reading when it is at hand.',
        tone: 'info',
      };
    case 'unmapped':
      return { label: 'Unmapped', detail: 'No rule could classify it: it is not counted until someone does.', tone: 'warn' };
    case 'new_supplier':
      return { label: 'New supplier', detail: 'Nothing came from this supplier before the period.', tone: 'info' };
    case 'not_reviewed':
      return { label: 'Not reviewed', detail: 'Counted by the account mapping; nobody has looked at it yet.', tone: 'muted' };
  }
}

/**
 * `part` as a whole percentage of `whole` (exact decimals), for a progress line: `64%`, never
 * `100%` before the whole is reached nor `0%` once something is, `< 1%` for a sliver. Null
 * when the whole is nothing.
 */
export function percentWords(part: DecimalString, whole: DecimalString): string | null {
  const p = parseDecimal(part);
  const w = parseDecimal(whole);
  if (!p || !w || !w.gt(0)) return null;
  const share = p.div(w).times(100);
  if (share.gt(0) && share.lt(1)) return '< 1%';
  const rounded = share.round(0, HALF_UP);
  if (rounded.gte(100) && share.lt(100)) return '99%';
  return `${rounded.toFixed(0)}%`;
}

/** `312 of 1,204 entries reviewed · 64% of kg CO2e · 58% of GBP spend`. */
export function progressWords(p: ReviewProgress): string {
  const parts = [`${formatInt(p.reviewed)} of ${formatInt(p.entries)} ${p.entries === 1 ? 'entry' : 'entries'} reviewed`];
  const kg = percentWords(p.kg_co2e_reviewed, p.kg_co2e);
  if (kg) parts.push(`${kg} of kg CO2e`);
  for (const s of p.spend) {
    const share = percentWords(s.reviewed, s.total);
    if (share) parts.push(`${share} of ${s.currency} spend`);
  }
  return parts.join(' · ');
}

/** The Scope 3 categories as a select lists them: `6 Business travel`. */
export const SCOPE3_OPTIONS: ReadonlyArray<{ value: number; label: string }> = Object.entries(SCOPE3_CATEGORIES).map(
  ([n, name]) => ({ value: Number(n), label: `${n} ${name}` }),
);

/** The activities a quantity can be given for, as the application's table names them, and their units. */
export const ACTIVITY_CHOICES: ReadonlyArray<{ key: string; label: string; unit: string }> = [
  { key: 'electricity-uk', label: 'Electricity, UK grid (location-based)', unit: 'kWh' },
  { key: 'natural-gas', label: 'Natural gas burnt on site', unit: 'kWh' },
  { key: 'diesel', label: 'Diesel (average biofuel blend) burnt in owned vehicles or plant', unit: 'litres' },
  { key: 'petrol', label: 'Petrol (average biofuel blend) burnt in owned vehicles or plant', unit: 'litres' },
  { key: 'flight-domestic', label: 'Flights within the UK, average passenger, with radiative forcing', unit: 'passenger-km' },
  { key: 'flight-short-haul', label: 'Short-haul flights to or from the UK, average passenger, with radiative forcing', unit: 'passenger-km' },
  { key: 'flight-long-haul', label: 'Long-haul flights to or from the UK, average passenger, with radiative forcing', unit: 'passenger-km' },
  { key: 'rail', label: 'National rail', unit: 'passenger-km' },
  { key: 'car', label: 'Business travel by car, average car, fuel unknown', unit: 'km' },
  { key: 'hotel-uk', label: 'Hotel stay in the UK', unit: 'room-nights' },
  { key: 'freight-hgv', label: 'Freight by HGV (all diesel), average laden', unit: 'tonne-km' },
  { key: 'waste-landfill', label: 'Commercial and industrial waste to landfill', unit: 'kg' },
  { key: 'waste-combustion', label: 'Commercial and industrial waste to combustion', unit: 'kg' },
];

/** The units a quantity can be given in. */
export const QUANTITY_UNITS: ReadonlyArray<string> = ['kWh', 'litres', 'passenger-km', 'km', 'room-nights', 'tonne-km', 'kg'];

/** What a decision or a rule makes of entries, in a few words. */
export function classificationWords(c: Classification): string {
  switch (c.action) {
    case 'accept':
      return 'Accepted as it is';
    case 'exclude':
      return `Excluded${c.reason ? `: ${c.reason}` : ''}`;
    case 'reclassify': {
      const cat = c.scope3_category !== null ? `, Scope 3 cat. ${c.scope3_category}` : '';
      return `Reclassified as ${c.category ?? 'another category'}${c.factor_code ? ` (NAICS ${c.factor_code}${cat})` : ''}`;
    }
    case 'activity': {
      const act = ACTIVITY_CHOICES.find((x) => x.key === c.activity);
      return `Activity data: ${c.quantity ?? '?'} ${c.quantity_unit ?? ''} of ${act?.label ?? c.activity ?? 'an activity'}`;
    }
    case 'split': {
      const parts = (c.parts ?? []).map((p) => {
        const cat = p.scope3_category !== null ? `, Scope 3 cat. ${p.scope3_category}` : '';
        return `${p.share_percent} % ${p.category ?? 'another category'} (NAICS ${p.factor_code}${cat})`;
      });
      return `Split in ${parts.length} parts: ${parts.join('; ')}`;
    }
  }
}

/**
 * Where an entry is a part of a split line: `Part 1 of 2 · 60 % of 1,000.00 GBP`; null for a
 * line counted whole. `of` is the number of parts, when known.
 */
export function partWords(e: Pick<LedgerEntry, 'part_no' | 'share_percent' | 'line_net_amount' | 'net_amount' | 'currency'>, of: number | null): string | null {
  if (e.share_percent == null) return null;
  const n = (e.part_no ?? 0) + 1;
  const line = e.line_net_amount ?? e.net_amount;
  return `Part ${n}${of !== null ? ` of ${of}` : ''} · ${e.share_percent} % of ${exactAmount(line)} ${e.currency}`;
}

/** An amount with two decimals (`1,000.00`), or all of its own when it has more (a part's `600.006`). */
export function exactAmount(amount: DecimalString): string {
  const dot = amount.indexOf('.');
  const places = dot < 0 ? 0 : amount.length - dot - 1;
  return formatDecimal(amount, Math.max(2, places));
}

/** What a rule matches, in words: `supplier Albion Property Management · on Xero`. */
export function ruleMatchWords(m: RuleMatch, platformName: (id: string) => string): string {
  const parts: string[] = [];
  if (m.supplier !== null) parts.push(`supplier ${m.supplier}`);
  if (m.account_code !== null) parts.push(`account ${m.account_code}`);
  if (m.description_contains !== null) parts.push(`description contains “${m.description_contains}”`);
  if (m.amount_min !== null && m.amount_max !== null) parts.push(`amount ${formatAmount(m.amount_min)} to ${formatAmount(m.amount_max)}`);
  else if (m.amount_min !== null) parts.push(`amount at least ${formatAmount(m.amount_min)}`);
  else if (m.amount_max !== null) parts.push(`amount at most ${formatAmount(m.amount_max)}`);
  if (m.platform !== null) parts.push(`on ${platformName(m.platform)}`);
  return parts.length > 0 ? parts.join(' · ') : 'nothing';
}

/**
 * How the line differs from what the person saw when deciding it: `amount 2,833.33 → 2,933.33
 * GBP`. A decision sees the whole line: for a part of a split line, the line's amount.
 */
export function changeWords(
  seen: LineSnapshot,
  e: Pick<LedgerEntry, 'date' | 'net_amount' | 'account_code' | 'currency'> & { line_net_amount?: string | null },
): string[] {
  const out: string[] = [];
  const amount = e.line_net_amount ?? e.net_amount;
  if (compareDecimals(seen.net_amount, amount) !== 0) {
    out.push(`amount ${formatAmount(seen.net_amount)} → ${formatAmount(amount)} ${e.currency}`);
  }
  if ((seen.account_code ?? '') !== (e.account_code ?? '')) {
    out.push(`account ${seen.account_code ?? 'none'} → ${e.account_code ?? 'none'}`);
  }
  if (seen.date !== e.date) out.push(`date ${formatDay(seen.date)} → ${formatDay(e.date)}`);
  if (seen.deleted) out.push('was deleted at the platform');
  return out;
}

const AUDIT_ACTIONS: Record<string, string> = {
  entry_accepted: 'Accepted',
  entry_confirmed: 'Confirmed the decision',
  entry_reclassified: 'Reclassified',
  entry_excluded: 'Excluded',
  entry_activity_data: 'Entered activity data',
  entry_split: 'Split between categories',
  entry_decision_removed: 'Took the decision back (included again)',
  review_rule_added: 'Added a rule',
  review_rule_edited: 'Changed a rule',
  review_rule_moved: 'Moved a rule',
  review_rule_removed: 'Removed a rule',
};

/** One row of an entry's history in words: what was done, and the details the row keeps. */
export function auditWords(row: AuditRow): { what: string; detail: string | null; note: string | null } {
  const what = AUDIT_ACTIONS[row.action] ?? row.action.replace(/_/g, ' ');
  let detail: string | null = null;
  let note: string | null = null;
  const after = parseJson(row.after);
  if (after && typeof after.action === 'string' && row.action !== 'entry_decision_removed') {
    detail = classificationWords(after as unknown as Classification);
    note = typeof after.note === 'string' ? after.note : null;
  }
  return { what, detail, note };
}

function parseJson(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
