// Exact decimal amounts. The application sends every amount of money and every quantity of
// emissions as a JSON string holding a plain decimal number (`-12.50`, `1234.567891`, `0`),
// never as a binary floating-point number, so that a total of a thousand lines with cents is
// the exact sum and not 299.99999999999. Whatever the window adds up, compares or rounds
// for display goes through big.js here; a `Number` is made of an amount only to draw it.

import Big from 'big.js';

/**
 * An exact decimal number in a string, as the application writes amounts and kg CO2e: an
 * optional minus, digits, and an optional dot followed by digits (`-12.50`, `0.000123`, `0`).
 * Never exponent notation, never a leading plus or dot.
 */
export type DecimalString = string;

/** What a `DecimalString` looks like; the CSV formula guard keeps such a cell a number. */
const PLAIN_DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

/** big.js rounding mode 1: to the nearest, ties away from zero (`2.5` → `3`, `-2.5` → `-3`). */
export const HALF_UP = 1;

// A constructor of our own, so that these settings never leak into another user of big.js.
// Addition, subtraction and multiplication are exact whatever they are; DP only bounds a
// quotient (a share of a whole), and 40 places is far finer than any amount's 28.
const Dec = Big();
Dec.DP = 40;
Dec.RM = HALF_UP;

/** Whether `s` is a plain decimal number as the application writes one. */
export function isPlainDecimal(s: string): boolean {
  return PLAIN_DECIMAL.test(s);
}

/** `s` as an exact decimal, or null when it is missing or not a plain decimal number. */
export function parseDecimal(s: DecimalString | null | undefined): Big | null {
  if (s === null || s === undefined || !PLAIN_DECIMAL.test(s)) return null;
  return new Dec(s);
}

/**
 * `s` as an exact decimal; throws when it is not a plain decimal number, which would mean the
 * application broke its promise about the shape of amounts (better an error than a wrong sum).
 */
export function dec(s: DecimalString): Big {
  const d = parseDecimal(s);
  if (!d) throw new Error(`Not a plain decimal number: ${JSON.stringify(s)}`);
  return d;
}

/** A decimal as a plain decimal string (never exponent notation), `0` for any zero. */
export function toDecimalString(d: Big): DecimalString {
  return d.eq(0) ? '0' : d.toFixed();
}

/** The number of digits after the dot: 2 for `-12.50`, 0 for `7`. */
function scaleOf(s: DecimalString): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/**
 * The exact sum of decimal strings, missing values counting as nothing. Written with as many
 * decimals as the most precise term (as the application's decimals add up): 1,000 lines of
 * `0.10` and 1,000 of `0.20` make `300.00`. No terms make `0`.
 */
export function sumDecimals(values: Iterable<DecimalString | null | undefined>): DecimalString {
  let sum = new Dec(0);
  let scale = 0;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    sum = sum.plus(dec(v));
    scale = Math.max(scale, scaleOf(v));
  }
  return sum.toFixed(scale).replace(/^-(?=[0.]+$)/, '');
}

/** The exact product, as a plain decimal string: the exchange rate times an amount, say. */
export function multiplyDecimals(a: DecimalString, b: DecimalString): DecimalString {
  return toDecimalString(dec(a).times(dec(b)));
}

/** Compares two decimals by value: -1, 0 or 1, so `-12.5` < `-2` < `0.10` = `0.1` < `9`. */
export function compareDecimals(a: DecimalString, b: DecimalString): -1 | 0 | 1 {
  return dec(a).cmp(dec(b));
}

/** Whether `s` is greater than zero. */
export function isPositive(s: DecimalString): boolean {
  return dec(s).gt(0);
}

/** Whether `s` is zero (`0`, `0.00`, `-0`). */
export function isZero(s: DecimalString): boolean {
  return dec(s).eq(0);
}

/** The largest of `values` by value, or `fallback` for none. */
export function maxDecimal(values: Iterable<DecimalString>, fallback: DecimalString = '0'): DecimalString {
  let best: DecimalString | null = null;
  for (const v of values) {
    if (best === null || compareDecimals(v, best) > 0) best = v;
  }
  return best ?? fallback;
}

/**
 * `s` rounded to `places` decimals, ties away from zero (as the application rounds), written
 * with exactly that many decimals and no negative zero: `roundDecimal('2.345', 2)` is `2.35`,
 * `roundDecimal('-2.345', 2)` is `-2.35`, `roundDecimal('-0.04', 1)` is `0.0`.
 */
export function roundDecimal(s: DecimalString, places: number): DecimalString {
  return dec(s).toFixed(places, HALF_UP).replace(/^-(?=[0.]+$)/, '');
}

/**
 * An approximation of `s` as a JavaScript number, for drawing only (a bar's height, a share
 * of a track's width). Never print it or export it: it is not the amount. NaN for a value
 * that is not a plain decimal.
 */
export function decimalToNumber(s: DecimalString | null | undefined): number {
  return s !== null && s !== undefined && PLAIN_DECIMAL.test(s) ? Number(s) : Number.NaN;
}

/**
 * `percent` % of `amount`, exactly, as the application's decimals write it: `amount × percent
 * ÷ 100`, keeping the product's places when the quotient fits them (`1000.00` × `60` ÷ 100 is
 * `600.00`) and as many as it needs otherwise (`1000.01` × `60` ÷ 100 is `600.006`); zero is
 * `0`. What each part of a split line is counted on.
 */
export function percentOf(amount: DecimalString, percent: DecimalString): DecimalString {
  const product = dec(amount).times(dec(percent));
  if (product.eq(0)) return '0';
  // A division by 100 always comes out even: only the places change.
  const quotient = product.div(100);
  return quotient.toFixed(Math.max(scaleOf(amount) + scaleOf(percent), scaleOf(quotient.toFixed())));
}
