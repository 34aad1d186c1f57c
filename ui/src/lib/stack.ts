// Turns the month groups of an emissions summary (one group per month and scope) into
// columns for a stacked chart: every month between the first and the last, each with its
// kilograms per scope.

import Big from 'big.js';
import type { EmissionsGroup } from '../bindings/EmissionsGroup';
import { type DecimalString, isZero, maxDecimal, parseDecimal, sumDecimals } from './decimal';

export interface MonthColumn {
  /** `YYYY-MM` */
  month: string;
  /** Kilograms of CO2e per scope, exact decimals, in the order of `StackedMonths.scopes`; `0` where there is none. */
  values: DecimalString[];
  /** The exact sum of `values`, in kilograms of CO2e. */
  total: DecimalString;
}

export interface StackedMonths {
  /** The scopes that have emissions, ascending (1, 2, 3). */
  scopes: number[];
  columns: MonthColumn[];
  /** The largest column total, in kilograms of CO2e: the top of the axis. */
  max: DecimalString;
}

function nextMonth(key: string): string {
  const y = Number(key.slice(0, 4));
  const m = Number(key.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

const MONTH_KEY = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * Stacks month groups by scope, adding up exactly (decimal, not floating point). Groups
 * without a scope (excluded and unmapped entries, which carry no kilograms) only make their
 * month appear; months missing between the first and the last are filled with zeros so the
 * time axis has no holes.
 */
export function stackByScope(groups: ReadonlyArray<EmissionsGroup>): StackedMonths {
  const byMonth = new Map<string, Map<number, DecimalString[]>>();
  const scopeSet = new Set<number>();
  for (const g of groups) {
    if (!MONTH_KEY.test(g.key)) continue;
    let m = byMonth.get(g.key);
    if (!m) {
      m = new Map();
      byMonth.set(g.key, m);
    }
    if (g.scope !== null && !isZero(g.kg_co2e)) {
      scopeSet.add(g.scope);
      const terms = m.get(g.scope);
      if (terms) terms.push(g.kg_co2e);
      else m.set(g.scope, [g.kg_co2e]);
    }
  }
  const scopes = [...scopeSet].sort((a, b) => a - b);
  const months = [...byMonth.keys()].sort();
  if (months.length === 0) return { scopes, columns: [], max: '0' };

  const columns: MonthColumn[] = [];
  const last = months[months.length - 1]!;
  // Bounded so a stray far-off date cannot make the chart enormous.
  for (let key = months[0]!, n = 0; n < 1200; key = nextMonth(key), n++) {
    const m = byMonth.get(key);
    const values = scopes.map((s) => {
      const terms = m?.get(s);
      return terms ? sumDecimals(terms) : '0';
    });
    columns.push({ month: key, values, total: sumDecimals(values) });
    if (key === last) break;
  }
  // From zero, so that a month of net reductions does not lower the axis below it.
  const max = maxDecimal(['0', ...columns.map((c) => c.total)]);
  return { scopes, columns, max };
}

/**
 * A round number at or above `max` (an exact decimal) for the top of an axis, and the ticks
 * below it, as exact decimals so that each label reads as the round number it is: `18300`
 * gives `0`, `5000`, `10000`, `15000`, `20000`.
 */
export function niceTicks(max: DecimalString, count = 4): DecimalString[] {
  const top = parseDecimal(max);
  if (!top || !top.gt(0)) return ['0'];
  const rough = top.div(count);
  // A power of ten at or below the rough step: `e` is the exponent of its first digit.
  const mag = new Big(`1e${rough.e}`);
  const step = [1, 2, 2.5, 5, 10].map((f) => mag.times(f)).find((s) => s.gte(rough)) ?? mag.times(10);
  const ticks: DecimalString[] = [];
  for (let v = new Big(0); ; v = v.plus(step)) {
    ticks.push(v.eq(0) ? '0' : v.toFixed());
    if (v.gte(top)) break;
  }
  return ticks;
}
