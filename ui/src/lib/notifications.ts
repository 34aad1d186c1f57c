// The words of the Notifications page: reports and alerts sent to Slack and Microsoft Teams.
// Figures of a report read exactly as the message that is sent writes them (tonnes to one
// decimal place, a real minus sign, percentages with their sign), so what the window shows
// is what arrives in the channel.

import type { Delivery } from '../bindings/Delivery';
import type { Destination } from '../bindings/Destination';
import { HALF_UP, type DecimalString, parseDecimal } from './decimal';
import { MONTH_NAMES } from './format';
import type { Tone } from './labels';

/** The minus sign (U+2212) a message writes negative figures with, not a hyphen. */
export const MINUS = '\u2212';

/** One labelled figure of a report, t CO2e. */
export interface ReportFigure {
  label: string;
  t_co2e: DecimalString;
}

/** A total compared with an earlier period's. */
export interface ReportChange {
  against: string;
  earlier_t_co2e: DecimalString;
  percent: DecimalString | null;
}

/** The monthly ESG report as the application composes it (`EsgReport`), every figure in t CO2e. */
export interface EsgReport {
  period: string;
  period_label: string;
  total_t_co2e: DecimalString;
  spend_based_t_co2e: DecimalString;
  reported_t_co2e: DecimalString;
  by_scope: ReportFigure[];
  vs_previous_month: ReportChange;
  vs_year_before: ReportChange;
  top_categories: ReportFigure[];
  top_suppliers: ReportFigure[];
  spend_based_percent: DecimalString | null;
  reported_percent: DecimalString | null;
  unmapped_entries: number;
  overlap_note: string | null;
  chart: { month: string; by_scope: [DecimalString, DecimalString, DecimalString] }[];
  method: string;
  sandbox: boolean;
}

const isText = (v: unknown): v is string => typeof v === 'string';
const isFigure = (v: unknown): v is ReportFigure =>
  typeof v === 'object' && v !== null && isText((v as ReportFigure).label) && isText((v as ReportFigure).t_co2e);
const isChange = (v: unknown): v is ReportChange =>
  typeof v === 'object' &&
  v !== null &&
  isText((v as ReportChange).against) &&
  isText((v as ReportChange).earlier_t_co2e) &&
  ((v as ReportChange).percent === null || isText((v as ReportChange).percent));

/**
 * The report of a preview, checked: `null` when it is not the shape the application sends
 * (then the window shows the message's text only, never a figure it cannot read exactly).
 */
export function readReport(json: Record<string, unknown>): EsgReport | null {
  const r = json as Partial<EsgReport>;
  const figures = (v: unknown) => Array.isArray(v) && v.every(isFigure);
  const ok =
    isText(r.period) &&
    isText(r.period_label) &&
    isText(r.total_t_co2e) &&
    isText(r.spend_based_t_co2e) &&
    isText(r.reported_t_co2e) &&
    figures(r.by_scope) &&
    figures(r.top_categories) &&
    figures(r.top_suppliers) &&
    isChange(r.vs_previous_month) &&
    isChange(r.vs_year_before) &&
    typeof r.unmapped_entries === 'number' &&
    isText(r.method) &&
    Array.isArray(r.chart);
  return ok ? (json as unknown as EsgReport) : null;
}

/** `1234.45` → `1,234.5`, `-4` → `−4.0`: one decimal, ties away from zero, thousands separated. */
export function oneDecimal(value: DecimalString): string {
  const d = parseDecimal(value);
  if (!d) return '–';
  const fixed = d.round(1, HALF_UP).abs().toFixed(1);
  const [whole = '0', fraction = '0'] = fixed.split('.');
  const negative = d.round(1, HALF_UP).lt(0);
  return `${negative ? MINUS : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

/**
 * Tonnes CO2e as the message writes them: `1,234.5 t CO2e`; `< 0.1 t CO2e` for anything
 * above zero and below 0.1, so a small but real amount never reads as nothing.
 */
export function reportTonnes(t: DecimalString): string {
  const d = parseDecimal(t);
  if (!d) return '–';
  if (d.gt(0) && d.lt('0.1')) return '< 0.1 t CO2e';
  return `${oneDecimal(t)} t CO2e`;
}

/** `+12.3%`, `−4.0%`, `0.0%`; `n/a` when there is none (the earlier total was zero). */
export function reportPercent(p: DecimalString | null): string {
  if (p === null) return 'n/a';
  const d = parseDecimal(p);
  if (!d) return '–';
  return `${d.round(1, HALF_UP).gt(0) ? '+' : ''}${oneDecimal(p)}%`;
}

/** `+12.3% against October 2024 (1,100.0 t CO2e)`. */
export function changeLine(c: ReportChange): string {
  return `${reportPercent(c.percent)} against ${c.against} (${reportTonnes(c.earlier_t_co2e)})`;
}

/** A share without a sign: `81.0%`, `n/a`. */
export function reportShare(p: DecimalString | null): string {
  return p === null ? 'n/a' : `${oneDecimal(p)}%`;
}

/** The month before the one `now` falls in (local time), as `YYYY-MM`: what the monthly report covers. */
export function previousMonth(now: Date = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return monthKey(d);
}

/** A local date's month as `YYYY-MM`. */
export function monthKey(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

/** `2024-11` → `November 2024`; anything else as it is. */
export function monthName(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  const name = m ? MONTH_NAMES[Number(m[2]) - 1] : undefined;
  return m && name ? `${name} ${m[1]}` : period;
}

/**
 * The months to offer for a report, newest first: the `recent` months before `now` (the
 * current one included) and every month that has data.
 */
export function reportMonths(withData: ReadonlyArray<string>, now: Date = new Date(), recent = 13): string[] {
  const all = new Set<string>();
  for (let i = 0; i < recent; i++) all.add(monthKey(new Date(now.getFullYear(), now.getMonth() - i, 1)));
  for (const m of withData) if (/^\d{4}-\d{2}$/.test(m)) all.add(m);
  return [...all].sort().reverse();
}

/** `1` → `1st`, `2` → `2nd`, `11` → `11th`, `23` → `23rd`. */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  switch (n % 10) {
    case 1:
      return `${n}st`;
    case 2:
      return `${n}nd`;
    case 3:
      return `${n}rd`;
    default:
      return `${n}th`;
  }
}

/** When the monthly report goes out: `1st at 09:00`, or `Off`. */
export function scheduleWords(d: Pick<Destination, 'report_enabled' | 'report_day' | 'report_time'>): string {
  return d.report_enabled ? `${ordinal(d.report_day)} at ${d.report_time}` : 'Off';
}

/** The alert kinds a destination can receive, in the order the form lists them. */
export const ALERT_KINDS = ['sync_failed', 'needs_reconnect', 'limit_paused'] as const;

/** An alert kind in words, as the alert's status line says it. */
export function alertKindWords(kind: string): string {
  switch (kind) {
    case 'sync_failed':
      return 'Sync failed';
    case 'needs_reconnect':
      return 'Reconnect needed';
    case 'limit_paused':
      return 'Syncs paused by a platform limit';
    default:
      return kind.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  }
}

/** The alert kinds a destination receives, in words: `Sync failed, Reconnect needed`, or `None`. */
export function alertKindsWords(kinds: ReadonlyArray<string>): string {
  return kinds.length === 0 ? 'None' : kinds.map(alertKindWords).join(', ');
}

/** How a destination is reached, in words. */
export function routeWords(d: Pick<Destination, 'platform' | 'route'>): string {
  if (d.route === 'bot') return 'Slack app';
  return d.platform === 'teams' ? 'Workflow URL' : 'Incoming webhook';
}

/** What a delivery carried, in words: `Monthly report · November 2024`, `Alert · incident 3`, `Test message`. */
export function deliveryWhat(d: Pick<Delivery, 'kind' | 'subject' | 'incident_id'>): string {
  const incident = d.incident_id !== null ? ` · incident ${d.incident_id}` : '';
  switch (d.kind) {
    case 'report':
      return `Monthly report · ${monthName(d.subject)}`;
    case 'alert':
      return `Alert${incident}`;
    case 'resolved':
      return `Resolved${incident}`;
    case 'retry_result':
      return `Retry result${incident}`;
    case 'test':
      return 'Test message';
    default:
      return d.kind;
  }
}

/** Who or what sent a delivery. */
export function deliveryTrigger(trigger: string): string {
  switch (trigger) {
    case 'schedule':
      return 'Schedule';
    case 'manual':
      return 'Sent by hand';
    case 'alert':
      return 'Alert';
    case 'interaction':
      return 'A button in Slack';
    default:
      return trigger;
  }
}

/** A delivery's status in words and tone. */
export function deliveryStatus(status: string): { label: string; tone: Tone } {
  switch (status) {
    case 'sent':
      return { label: 'Sent', tone: 'ok' };
    case 'sending':
      return { label: 'Sending', tone: 'busy' };
    case 'failed':
      return { label: 'Failed', tone: 'error' };
    default:
      return { label: status, tone: 'muted' };
  }
}

/** A short heading for a delivery's error code; the message itself says what happened and what to do. */
export function deliveryErrorTitle(code: string | null, platform: string): string {
  switch (code) {
    case 'rate_limited':
      return `${platform} asked CarbonSync to slow down`;
    case 'network':
      return `Could not reach ${platform}`;
    case 'reconnect':
      return `${platform} no longer accepts this destination`;
    case 'interrupted':
      return 'CarbonSync stopped while sending';
    default:
      return `${platform} did not take the message`;
  }
}
