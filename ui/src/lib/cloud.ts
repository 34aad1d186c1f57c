// Words and dates for emissions the platforms report themselves: the cloud platforms'
// footprints and a CRM's carbon inventory (Salesforce Net Zero Cloud).

import type { ProviderView } from '../bindings/ProviderView';
import type { DecimalString } from './decimal';
import { formatDay, formatKg } from './format';

/** A platform connected with keys (AWS, Azure, Google Cloud) rather than a sign-in. */
export function isKeyed(p: Pick<ProviderView, 'auth'>): boolean {
  return p.auth !== 'oauth';
}

/**
 * A platform whose connections import emissions the platform reports itself, kept beside the
 * spend-based estimate: a cloud platform, or a CRM's carbon inventory. Accounting platforms
 * bring spending to estimate instead, and communication platforms bring no emissions.
 */
export function reportsEmissions(p: Pick<ProviderView, 'category'>): boolean {
  return p.category === 'cloud' || p.category === 'crm';
}

/** The two ways GHG Protocol Scope 2 counts electricity, as every total names its own. */
export type BasisName = 'location' | 'market';

/** `location-based` / `market-based`. */
export function basisLabel(basis: BasisName): string {
  return basis === 'location' ? 'location-based' : 'market-based';
}

/** A row's basis in words: a row without one counts the same under both. */
export function rowBasisWords(basis: string | null): string {
  if (basis === 'location' || basis === 'market') return basisLabel(basis);
  return 'same under both';
}

/** `1,234.5 kg CO2e, location-based`: a reported total always says which basis it is. */
export function formatReportedKg(kg: DecimalString, basis: BasisName): string {
  return `${formatKg(kg)}, ${basisLabel(basis)}`;
}

/**
 * The day a pending month is expected: `day` of the month after `month` (`2025-04`, 19 →
 * `2025-05-19`), clamped to that month's last day.
 */
export function expectedBy(month: string, day: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = new Date(Date.UTC(y, m, 1));
  const last = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate();
  const d = Math.min(Math.max(1, day), last);
  const mm = String(next.getUTCMonth() + 1).padStart(2, '0');
  return `${next.getUTCFullYear()}-${mm}-${String(d).padStart(2, '0')}`;
}

/** `Pending, expected by 19 May 2025`, or `Pending` while the platform's day is not known. */
export function pendingWords(month: string, day: number | undefined): string {
  return day === undefined ? 'Pending' : `Pending, expected by ${formatDay(expectedBy(month, day))}`;
}
