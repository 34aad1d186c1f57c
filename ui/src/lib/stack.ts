// Turns the month groups of an emissions summary (one group per month and scope) into
// columns for a stacked chart: every month between the first and the last, each with its
// kilograms per scope.

import type { EmissionsGroup } from '../bindings/EmissionsGroup';

export interface MonthColumn {
  /** `YYYY-MM` */
  month: string;
  /** Kilograms per scope, in the order of `StackedMonths.scopes`; 0 where there is none. */
  values: number[];
  total: number;
}

export interface StackedMonths {
  /** The scopes that have emissions, ascending (1, 2, 3). */
  scopes: number[];
  columns: MonthColumn[];
  /** The largest column total: the top of the axis. */
  max: number;
}

function nextMonth(key: string): string {
  const y = Number(key.slice(0, 4));
  const m = Number(key.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

const MONTH_KEY = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * Stacks month groups by scope. Groups without a scope (excluded and unmapped entries,
 * which carry no kilograms) only make their month appear; months missing between the
 * first and the last are filled with zeros so the time axis has no holes.
 */
export function stackByScope(groups: ReadonlyArray<EmissionsGroup>): StackedMonths {
  const byMonth = new Map<string, Map<number, number>>();
  const scopeSet = new Set<number>();
  for (const g of groups) {
    if (!MONTH_KEY.test(g.key)) continue;
    let m = byMonth.get(g.key);
    if (!m) {
      m = new Map();
      byMonth.set(g.key, m);
    }
    if (g.scope !== null && g.kg_co2e !== 0) {
      scopeSet.add(g.scope);
      m.set(g.scope, (m.get(g.scope) ?? 0) + g.kg_co2e);
    }
  }
  const scopes = [...scopeSet].sort((a, b) => a - b);
  const months = [...byMonth.keys()].sort();
  if (months.length === 0) return { scopes, columns: [], max: 0 };

  const columns: MonthColumn[] = [];
  const last = months[months.length - 1]!;
  // Bounded so a stray far-off date cannot make the chart enormous.
  for (let key = months[0]!, n = 0; n < 1200; key = nextMonth(key), n++) {
    const m = byMonth.get(key);
    const values = scopes.map((s) => m?.get(s) ?? 0);
    columns.push({ month: key, values, total: values.reduce((a, b) => a + b, 0) });
    if (key === last) break;
  }
  const max = columns.reduce((a, c) => Math.max(a, c.total), 0);
  return { scopes, columns, max };
}

/** A round number at or above `max` for the top of an axis, and the ticks below it. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const rough = max / count;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= rough) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(Math.round(v * 1e6) / 1e6);
    if (v >= max) break;
  }
  return ticks;
}
