// How numbers, amounts, dates and durations read in the window. One locale everywhere, so
// the figures on screen match the figures in an exported report.
//
// Amounts of money and kg CO2e arrive as exact decimal strings (see `decimal.ts`) and are
// rounded for display from those strings, ties away from zero (as the application rounds
// its results, and as `carbonsync` prints them); plain JavaScript numbers here are
// only counts, durations and chart axes.

import type Big from 'big.js';
import { HALF_UP, type DecimalString, parseDecimal } from './decimal';

const LOCALE = 'en-GB';

const F64 = new DataView(new ArrayBuffer(8));

/**
 * `n × 10^places`, rounded to the nearest integer from the exact binary value of `n`,
 * ties to even. For counts and durations, which are JavaScript numbers; amounts are
 * decimal strings and go through `formatDecimal`.
 */
export function scaledRound(n: number, places: number): bigint {
  F64.setFloat64(0, Math.abs(n));
  const hi = F64.getUint32(0);
  const lo = F64.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) {
    exp = -1074;
  } else {
    mantissa |= 1n << 52n;
    exp = expBits - 1075;
  }
  const scale = 10n ** BigInt(places);
  let q: bigint;
  if (exp >= 0) {
    q = (mantissa << BigInt(exp)) * scale;
  } else {
    const num = mantissa * scale;
    const den = 1n << BigInt(-exp);
    q = num / den;
    const twice = (num % den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  }
  return n < 0 ? -q : q;
}

/** Digits with thousands separators: `1234567` → `1,234,567`. */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `n` with `places` decimals and thousands separators; never a negative zero. For counts and durations. */
export function formatFixed(n: number, places: number): string {
  if (!Number.isFinite(n)) return '–';
  const q = scaledRound(n, places);
  const negative = q < 0n;
  let digits = (negative ? -q : q).toString().padStart(places + 1, '0');
  const frac = places > 0 ? digits.slice(-places) : '';
  digits = places > 0 ? digits.slice(0, -places) : digits;
  return `${negative ? '-' : ''}${group(digits)}${places > 0 ? `.${frac}` : ''}`;
}

/**
 * An exact decimal (`-1234.567`) with `places` decimals, rounded ties away from zero (as the
 * application's results round), and thousands separators: `-1,234.57`. Never a negative
 * zero; a dash for a missing value or one that is not a plain decimal number.
 */
export function formatDecimal(value: DecimalString | null | undefined, places: number): string {
  const d = parseDecimal(value);
  if (!d) return '–';
  const fixed = d.toFixed(places, HALF_UP);
  const unsigned = fixed.startsWith('-') ? fixed.slice(1) : fixed;
  const negative = unsigned !== fixed && /[1-9]/.test(unsigned);
  const dot = unsigned.indexOf('.');
  const int = dot < 0 ? unsigned : unsigned.slice(0, dot);
  const frac = dot < 0 ? '' : unsigned.slice(dot);
  return `${negative ? '-' : ''}${group(int)}${frac}`;
}

/** Rounds to `places` (ties away from zero) without a negative zero: for durations. */
function clean(n: number, places: number): number {
  const f = 10 ** places;
  const r = (Math.sign(n) * Math.round(Math.abs(n) * f)) / f;
  return Object.is(r, -0) || r === 0 ? 0 : r;
}

/** A count: `1,234`. */
export function formatInt(n: number): string {
  return formatFixed(n, 0);
}

/** Kilograms (an exact decimal) with thousands separators and one decimal: `318,812.4`. */
export function formatKgNumber(kg: DecimalString | null | undefined): string {
  return formatDecimal(kg, 1);
}

/** Kilograms of CO2e (an exact decimal) as the totals show them: `318,812.4 kg CO2e`. */
export function formatKg(kg: DecimalString | null | undefined): string {
  return `${formatKgNumber(kg)} kg CO2e`;
}

/** Kilograms of CO2e as the inventory report shows them, to two decimals: `318,812.37 kg CO2e`. */
export function formatKg2(kg: DecimalString | null | undefined): string {
  return `${formatDecimal(kg, 2)} kg CO2e`;
}

/**
 * Tonnes of CO2e from kilograms (an exact decimal), with more decimals for small amounts so
 * a value never rounds to nothing: `318.8 t CO2e`, `4.27 t CO2e`, `0.212 t CO2e`.
 */
export function formatTonnes(kg: DecimalString | null | undefined): string {
  const d = parseDecimal(kg);
  if (!d) return '–';
  // Multiplying by 0.001 moves the dot: exact, unlike a division.
  const t = d.times('0.001');
  const abs = t.abs();
  return `${formatDecimal(t.toFixed(), abs.gte(100) ? 1 : abs.gte(1) ? 2 : 3)} t CO2e`;
}

/** A compact label for a chart axis, from a decimal tick value: `0`, `850`, `2.5`, `12k`, `1.5M`. */
export function formatCompact(n: DecimalString): string {
  const d = parseDecimal(n);
  if (!d) return '–';
  const abs = d.abs();
  if (abs.gte(1_000_000)) return `${trim(d.times('0.000001'))}M`;
  if (abs.gte(1_000)) return `${trim(d.times('0.001'))}k`;
  return trim(d);
}

/** One decimal below 10, none above, ties away from zero, no trailing zeros or negative zero. */
function trim(d: Big): string {
  const r = d.round(d.abs().lt(10) ? 1 : 0, HALF_UP);
  return r.eq(0) ? '0' : r.toFixed();
}

/** An amount (an exact decimal) in its own currency, with two decimals: `1,234.50` (the currency is shown apart). */
export function formatAmount(amount: DecimalString | null | undefined): string {
  return formatDecimal(amount, 2);
}

/** A share of a whole, both exact decimals: `42.1 %`, `< 0.1 %` for a small but non-zero share. */
export function formatShare(part: DecimalString, whole: DecimalString): string {
  const p = parseDecimal(part);
  const w = parseDecimal(whole);
  if (!p || !w || !w.gt(0)) return '–';
  const percent = p.div(w).times(100);
  if (percent.gt(0) && percent.lt('0.05')) return '< 0.1 %';
  return `${formatDecimal(percent.toFixed(), 1)} %`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2024-03` → `Mar 2024`. Anything else is returned as it is. */
export function formatMonth(key: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m) return key;
  const name = MONTHS[Number(m[2]) - 1];
  return name ? `${name} ${m[1]}` : key;
}

/** `2024-03-05` → `5 Mar 2024`. */
export function formatDay(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m) return date;
  const name = MONTHS[Number(m[2]) - 1];
  return name ? `${Number(m[3])} ${name} ${m[1]}` : date;
}

const dateTimeFmt = new Intl.DateTimeFormat(LOCALE, {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A moment in the viewer's time zone: `15 Jan 2025, 09:30:12`. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return dateTimeFmt.format(new Date(t));
}

const timeFmt = new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The time of day of a moment, in the viewer's time zone: `09:30:12`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return timeFmt.format(new Date(t));
}

/** How long something took: `0.4 s`, `14.2 s`, `2 min 05 s`, `1 h 03 min`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 60_000) return `${formatFixed(clean(ms / 1000, 1), 1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

/** The time between two RFC 3339 moments, or null while the second is unknown. */
export function durationBetween(start: string, end: string | null): number | null {
  if (!end) return null;
  const a = Date.parse(start);
  const b = Date.parse(end);
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return b - a;
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`, then the date. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 14) return d === 1 ? 'yesterday' : `${d} days ago`;
  return formatDay(new Date(t).toISOString());
}

/** `1 entry`, `2 entries`. */
export function plural(n: number, one: string, many: string): string {
  return `${formatInt(n)} ${n === 1 ? one : many}`;
}

/** The months' names, January first. */
export const MONTH_NAMES: ReadonlyArray<string> = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
