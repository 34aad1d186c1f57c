import { describe, expect, it } from 'vitest';
import type { EmissionsGroup } from '../bindings/EmissionsGroup';
import { formatKgNumber } from './format';
import { niceTicks, stackByScope } from './stack';

function g(key: string, scope: number | null, kg: string): EmissionsGroup {
  const counted = kg !== '0';
  return { key, scope, connection_id: null, kg_co2e: kg, spend_usd_2022: '0', counted: counted ? 1 : 0, excluded: counted ? 0 : 1, unmapped: 0 };
}

describe('stackByScope', () => {
  it('puts the scopes of one month in one column, in scope order', () => {
    const s = stackByScope([g('2024-01', 3, '30'), g('2024-01', 1, '10'), g('2024-01', 2, '5')]);
    expect(s.scopes).toEqual([1, 2, 3]);
    expect(s.columns).toEqual([{ month: '2024-01', values: ['10', '5', '30'], total: '45' }]);
    expect(s.max).toBe('45');
  });

  it('fills the months missing between the first and the last with zeros', () => {
    const s = stackByScope([g('2023-11', 3, '1'), g('2024-02', 3, '2')]);
    expect(s.columns.map((c) => c.month)).toEqual(['2023-11', '2023-12', '2024-01', '2024-02']);
    expect(s.columns.map((c) => c.total)).toEqual(['1', '0', '0', '2']);
  });

  it('gives a month a zero where one scope has nothing', () => {
    const s = stackByScope([g('2024-01', 1, '4'), g('2024-02', 3, '6')]);
    expect(s.columns.map((c) => c.values)).toEqual([
      ['4', '0'],
      ['0', '6'],
    ]);
  });

  it('keeps months that only have entries without a scope, without inventing a scope', () => {
    const s = stackByScope([g('2024-01', null, '0'), g('2024-02', 3, '6')]);
    expect(s.scopes).toEqual([3]);
    expect(s.columns[0]).toEqual({ month: '2024-01', values: ['0'], total: '0' });
  });

  it('adds up groups that repeat a month and scope', () => {
    const s = stackByScope([g('2024-01', 3, '1.5'), g('2024-01', 3, '2.5')]);
    expect(s.columns[0]!.values).toEqual(['4.0']);
  });

  it('adds a thousand lines of cents to the exact total, not 299.99999…', () => {
    const groups: EmissionsGroup[] = [];
    for (let i = 0; i < 1000; i++) groups.push(g('2024-01', 1, '0.10'), g('2024-01', 3, '0.20'));
    const s = stackByScope(groups);
    expect(s.columns[0]!.values).toEqual(['100.00', '200.00']);
    expect(s.columns[0]!.total).toBe('300.00');
    expect(s.max).toBe('300.00');
  });

  it('adds scopes exactly, so a total on a rounding tie rounds as the exact figure does', () => {
    // 100.10 + 200.45 in floating point is 300.54999…, which would show as 300.5.
    const s = stackByScope([g('2024-01', 1, '100.10'), g('2024-01', 3, '200.45')]);
    expect(s.columns[0]!.total).toBe('300.55');
    expect(formatKgNumber(s.columns[0]!.total)).toBe('300.6');
  });

  it('keeps the axis at zero or above when a month is a net reduction', () => {
    const s = stackByScope([g('2024-01', 3, '-12.50'), g('2024-02', 3, '2')]);
    expect(s.columns.map((c) => c.total)).toEqual(['-12.50', '2']);
    expect(s.max).toBe('2');
  });

  it('ignores keys that are not months and answers empty for no groups', () => {
    expect(stackByScope([g('Rent', 3, '1')]).columns).toEqual([]);
    expect(stackByScope([])).toEqual({ scopes: [], columns: [], max: '0' });
  });
});

describe('niceTicks', () => {
  it('ends at a round number at or above the largest value', () => {
    expect(niceTicks('18300')).toEqual(['0', '5000', '10000', '15000', '20000']);
    expect(niceTicks('0')).toEqual(['0']);
    expect(niceTicks('-4')).toEqual(['0']);
    expect(niceTicks('7')).toEqual(['0', '2', '4', '6', '8']);
  });

  it('gives exact round ticks for small values', () => {
    expect(niceTicks('0.3')).toEqual(['0', '0.1', '0.2', '0.3']);
    expect(niceTicks('0.0009')).toEqual(['0', '0.00025', '0.0005', '0.00075', '0.001']);
  });
});
