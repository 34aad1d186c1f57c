import { describe, expect, it } from 'vitest';
import type { AppError } from '../bindings/AppError';
import type { Classification } from '../bindings/Classification';
import type { InventoryReport } from '../bindings/InventoryReport';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import { dec, sumDecimals } from '../lib/decimal';
import { FakeBackend } from './fake';
import { parsePeriod } from './fakeInventory';
import { ledgerEntry } from './ledger.fixture';
import { EMPTY_FILTER } from './types';

const NOW = Date.parse('2025-01-15T12:00:00Z');

function fake(): FakeBackend {
  return new FakeBackend({ now: NOW });
}

const NONE: Classification = {
  action: 'accept',
  category: null,
  factor_code: null,
  scope3_category: null,
  reason: null,
  activity: null,
  quantity: null,
  quantity_unit: null,
};

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

const days = (from: string, to: string): LedgerFilter => ({ ...EMPTY_FILTER, from, to });

/** Whether decimals `values` add up to `total` exactly. */
function addsUp(values: ReadonlyArray<string>, total: string): boolean {
  return dec(sumDecimals(values)).eq(dec(total));
}

function expectConsistent(r: InventoryReport) {
  const s = r.scopes;
  expect(s.scope2_market_kg_co2e).toBeNull();
  expect(addsUp([s.scope1_kg_co2e, s.scope2_location_kg_co2e, s.scope3_kg_co2e], r.totals.kg_co2e)).toBe(true);
  expect(addsUp(r.scope3_categories.map((l) => l.kg_co2e), s.scope3_kg_co2e)).toBe(true);
  for (const table of [r.by_connection, r.by_category, r.method_mix]) {
    expect(addsUp(table.map((l) => l.kg_co2e), r.totals.kg_co2e)).toBe(true);
    expect(table.reduce((n, l) => n + l.entries, 0)).toBe(r.totals.counted);
  }
  expect(addsUp(r.by_month.map((m) => m.kg_co2e), r.totals.kg_co2e)).toBe(true);
  for (const m of r.by_month) expect(addsUp(m.by_scope, m.kg_co2e)).toBe(true);
  expect(r.scope3_categories.reduce((n, l) => n + l.entries, 0)).toBeLessThanOrEqual(r.totals.counted);
}

describe('periods as people write them', () => {
  it('reads years, months, quarters and financial years', () => {
    expect(parsePeriod('2024', 1)).toEqual({ label: '2024', from: '2024-01-01', to: '2024-12-31' });
    expect(parsePeriod('2024-02', 1)).toEqual({ label: '2024-02', from: '2024-02-01', to: '2024-02-29' });
    expect(parsePeriod('2024-q4', 1)).toEqual({ label: '2024-Q4', from: '2024-10-01', to: '2024-12-31' });
    expect(parsePeriod('FY2024', 1)).toEqual({ label: 'FY2024', from: '2024-01-01', to: '2024-12-31' });
    expect(parsePeriod('FY2024', 4)).toEqual({ label: 'FY2024', from: '2024-04-01', to: '2025-03-31' });
    expect(parsePeriod('fy2023', 7)).toEqual({ label: 'FY2023', from: '2023-07-01', to: '2024-06-30' });
  });

  it('refuses anything else in words that show the forms', () => {
    for (const bad of ['2024-13', '2024-Q5', '24', 'FY24', '2024-03-01', 'March', '', '2024-003']) {
      expect(() => parsePeriod(bad, 1)).toThrow();
      try {
        parsePeriod(bad, 1);
      } catch (e) {
        expect((e as AppError).code).toBe('usage');
        expect((e as AppError).message).toContain('financial year (FY2024');
      }
    }
  });
});

describe('the fake inventory report', () => {
  it('has the emissions’ totals of the period, and every table adds up to them exactly', async () => {
    const b = fake();
    for (const [period, fy, from, to] of [
      ['2024', 1, '2024-01-01', '2024-12-31'],
      ['2023', 1, '2023-01-01', '2023-12-31'],
      ['2024-Q1', 1, '2024-01-01', '2024-03-31'],
      ['2024-03', 1, '2024-03-01', '2024-03-31'],
      ['FY2024', 4, '2024-04-01', '2025-03-31'],
    ] as const) {
      const r = await b.inventoryReport(period, fy, null);
      expect(r.period).toEqual({ label: period, from, to });
      expect(r.totals).toEqual((await b.emissionsSummary(days(from, to), null)).totals);
      expectConsistent(r);
    }
    const year = await b.inventoryReport('2024', 1, null);
    expect(year.by_month.map((m) => m.month)).toEqual(Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`));
    expect(year.scope3_categories.map((l) => l.key)).toEqual(['3.01', '3.03', '3.04', '3.06', '3.08']);
    expect(year.scope3_categories.find((l) => l.key === '3.06')!.label).toBe('6. Business travel');
    expect(year.by_connection.map((l) => l.label).sort()).toEqual(['QuickBooks Online: Cedar & Finch Trading Co.', 'Xero: Harbour & Pine Ltd']);
    // Nobody has decided anything: every entry is counted with the account mapping's factor.
    expect(year.method_mix.map((m) => [m.method, m.data_quality])).toEqual([['spend_mapped', 5]]);
    expect(year.data_quality_score).toBe('5.00');
    expect(year.audit).toEqual({ rows: 0, intact: true, broken_at: null, problem: null });
    expect(year.method_notes.some((n) => n.includes('not reported rather than repeated'))).toBe(true);
  });

  it('narrows to one connection', async () => {
    const b = fake();
    const r = await b.inventoryReport('2024', 1, 2);
    expect(r.totals).toEqual((await b.emissionsSummary({ ...days('2024-01-01', '2024-12-31'), connection_id: 2 }, null)).totals);
    expect(r.by_connection.map((l) => l.key)).toEqual(['2']);
    expect(r.organisations).toEqual(['QuickBooks Online: Cedar & Finch Trading Co.']);
    expectConsistent(r);
    expect((await refusal(b.inventoryReport('2024', 1, 99))).code).toBe('no_such_connection');
  });

  it('sorts the method mix: activity data (2), a person’s factor (4), the mapping (5), and weighs the score by kg', async () => {
    const b = fake();
    // 41.5 litres of diesel: Scope 1, 104.280785 kg CO2e.
    await b.decideEntries([10], { ...NONE, action: 'activity', activity: 'diesel', quantity: '41.5', quantity_unit: 'litres' }, null, null);
    await b.decideEntries([13], { ...NONE, action: 'reclassify', factor_code: '721110', category: 'Hotel stays', scope3_category: 6 }, null, null);
    const r = await b.inventoryReport('2024', 1, null);
    expectConsistent(r);
    expect(r.scopes.scope1_kg_co2e).toBe('104.280785');
    const [activity, reviewed, mapped] = r.method_mix;
    expect(activity).toMatchObject({ method: 'activity', data_quality: 2, entries: 1, kg_co2e: '104.280785' });
    expect(reviewed).toMatchObject({ method: 'spend_reviewed', data_quality: 4, entries: 1, kg_co2e: '21.439014' });
    expect(mapped).toMatchObject({ method: 'spend_mapped', data_quality: 5 });
    const weighted = dec(activity!.kg_co2e).times(2).plus(dec(reviewed!.kg_co2e).times(4)).plus(dec(mapped!.kg_co2e).times(5));
    expect(r.data_quality_score).toBe(weighted.div(dec(r.totals.kg_co2e)).toFixed(2, 1));
    // The decisions are in the audit trail, which is intact.
    expect(r.audit).toEqual({ rows: 2, intact: true, broken_at: null, problem: null });
    expect(r.factor_sets.map((s) => s.name)).toContain('UK DESNZ greenhouse gas conversion factors');
  });

  it('lists what was excluded by reason, with exact amounts per currency', async () => {
    const b = fake();
    b.setLedger([
      ledgerEntry({ id: 901, status: 'excluded', reason: 'personal, repaid', net_amount: '0.10', kg_co2e: null, scope: null }),
      ledgerEntry({ id: 902, status: 'excluded', reason: 'personal, repaid', net_amount: '0.20', kg_co2e: null, scope: null }),
      ledgerEntry({ id: 903, status: 'excluded', reason: 'personal, repaid', net_amount: '-12.50', currency: 'USD', kg_co2e: null, scope: null }),
      ledgerEntry({ id: 904, status: 'excluded', reason: null, kg_co2e: null, scope: null }),
      ledgerEntry({ id: 905 }),
    ]);
    const r = await b.inventoryReport('2024-01', 1, null);
    expect(r.excluded).toEqual([
      { reason: 'personal, repaid', entries: 3, amounts: { GBP: '0.30', USD: '-12.50' } },
      { reason: 'No reason given', entries: 1, amounts: { GBP: '100.00' } },
    ]);
    expect(r.totals.kg_co2e).toBe('13.690700');
  });
});

describe('the fake period close', () => {
  it('freezes a period’s numbers; a change after close is listed, not counted, until restated', async () => {
    const b = fake();
    const march = days('2024-03-01', '2024-03-31');
    const before = (await b.emissionsSummary(march, null)).totals;
    const close = await b.closePeriod('2024-03', 1, ' books closed ');
    expect(close).toMatchObject({ label: '2024-03', from: '2024-03-01', to: '2024-03-31', closed_by: 'you', note: 'books closed', entries: 3 });
    expect(close.reported).toEqual(before);
    expect(close.changes_after_close).toBe(0);

    // The platform changes British Airways' line of 14 March: the live entry counts more.
    const changed = await b.changeLine(7, { net_amount: '1334.56' });
    expect(dec(changed.kg_co2e!).gt(dec('957.508453'))).toBe(true);
    expect((await b.emissionsSummary(march, null)).totals).toEqual(before);
    const report = await b.inventoryReport('2024-03', 1, null);
    expect(report.totals).toEqual(before);
    expectConsistent(report);
    expect(report.closes.map((c) => c.label)).toEqual(['2024-03']);
    const [change] = report.changes_after_close;
    expect(report.changes_after_close).toHaveLength(1);
    expect(change).toMatchObject({ label: '2024-03', entry_id: 7, kind: 'changed', contact: 'British Airways' });
    expect(change!.reported!.net_amount).toBe('1234.56');
    expect(change!.now!.net_amount).toBe('1334.56');
    expect(change!.kg_co2e_difference).toBe(dec(changed.kg_co2e!).minus(dec('957.508453')).toFixed(6));
    expect((await b.periodCloses())[0]!.changes_after_close).toBe(1);
    expect(await b.changesAfterClose('2024-03')).toEqual(report.changes_after_close);

    const restated = await b.restatePeriod('2024-03', [7], 'the airline corrected the fare');
    expect(restated).toMatchObject({ label: '2024-03', entries: 1, before });
    const after = (await b.emissionsSummary(march, null)).totals;
    expect(restated.after).toEqual(after);
    expect(dec(after.kg_co2e).minus(dec(before.kg_co2e)).toFixed(6)).toBe(change!.kg_co2e_difference);
    expect(await b.changesAfterClose(null)).toEqual([]);
    expect((await refusal(b.restatePeriod('2024-03', null, null))).message).toBe('2024-03 has no change after close to restate');
  });

  it('leaves a change out of the numbers, and lists it again if the entry changes once more', async () => {
    const b = fake();
    await b.closePeriod('2024-Q1', 1, null);
    const frozen = (await b.periodCloses())[0]!.reported;
    await b.decideEntries([33], { ...NONE, action: 'exclude', reason: 'refunded in full' }, null, null);
    const [change] = await b.changesAfterClose(null);
    expect(change).toMatchObject({ entry_id: 33, kind: 'changed', kg_co2e_difference: '-758.534945' });
    expect(change!.now).toMatchObject({ status: 'excluded', reason: 'refunded in full', kg_co2e: null });
    expect(await b.leaveChanges('2024-Q1', null, 'immaterial')).toBe(1);
    expect(await b.changesAfterClose(null)).toEqual([]);
    expect((await b.periodCloses())[0]!.reported).toEqual(frozen);
    await b.undoDecisions([33], null);
    // Back as it was reported: nothing to list.
    expect(await b.changesAfterClose(null)).toEqual([]);
    await b.changeLine(33, { net_amount: '1300' });
    expect((await b.changesAfterClose('2024-q1')).map((c) => c.entry_id)).toEqual([33]);
  });

  it('lists an entry added to a closed period and one that left it', async () => {
    const b = fake();
    await b.closePeriod('2024-03', 1, null);
    await b.changeLine(34, { date: '2024-04-02' });
    await b.changeLine(8, { date: '2024-03-31' });
    const changes = await b.changesAfterClose(null);
    expect(changes.map((c) => [c.entry_id, c.kind])).toEqual([
      [8, 'added'],
      [34, 'removed'],
    ]);
    expect(changes[0]!.reported).toBeNull();
    expect(changes[0]!.kg_co2e_difference).toBe('839.415173');
    expect(changes[1]!.kg_co2e_difference).toBe('45.512097');
    const restated = await b.restatePeriod('2024-03', null, null);
    expect(restated.entries).toBe(2);
    expect(restated.after).toEqual((await b.emissionsSummary(days('2024-03-01', '2024-03-31'), null)).totals);
  });

  it('reopens with a reason only; the period reads the live ledger again', async () => {
    const b = fake();
    await b.closePeriod('2024-03', 1, null);
    await b.changeLine(7, { net_amount: '1334.56' });
    const refused = await refusal(b.reopenPeriod('2024-03', '  '));
    expect(refused).toEqual({
      code: 'reason_required',
      message: 'Reopening 2024-03 changes numbers that were reported: give the reason, which goes in the audit trail',
      detail: null,
      permanent: true,
    });
    const reopened = await b.reopenPeriod('2024-03', 'a late credit note');
    expect(reopened).toMatchObject({ reopen_reason: 'a late credit note', reopened_by: 'you', changes_after_close: 0 });
    expect(reopened.reopened_at_ms).not.toBeNull();
    const live = await b.ledgerPage(days('2024-03-01', '2024-03-31'), 0, 10);
    expect((await b.emissionsSummary(days('2024-03-01', '2024-03-31'), null)).totals.kg_co2e).toBe(
      dec(sumDecimals(live.entries.map((e) => e.kg_co2e))).toFixed(6),
    );
    expect((await refusal(b.reopenPeriod('2024-03', 'again'))).code).toBe('no_such_close');
    // It can be closed again, and every step is in the trail, which is intact.
    await b.closePeriod('2024-03', 1, null);
    expect(await b.auditCheck()).toEqual({ rows: 3, intact: true, broken_at: null, problem: null });
    expect((await b.periodCloses()).map((c) => [c.label, c.reopened_at_ms === null])).toEqual([
      ['2024-03', true],
      ['2024-03', false],
    ]);
  });

  it('refuses, in words that say what to do', async () => {
    const b = fake();
    await b.closePeriod('2024-Q1', 1, null);
    expect(await refusal(b.closePeriod('2024-03', 1, null))).toEqual({
      code: 'refused',
      message: '2024-03 overlaps 2024-Q1, which is closed: reopen 2024-Q1 first, or close a period that does not overlap it',
      detail: null,
      permanent: true,
    });
    expect(await refusal(b.closePeriod('2027-01', 1, null))).toMatchObject({
      code: 'period_not_over',
      message: '2027-01 runs to 2027-01-31: a period can be closed once its last day has passed, when its records are in',
    });
    // 15 January 2025: January is not over yet.
    expect((await refusal(b.closePeriod('2025-01', 1, null))).code).toBe('period_not_over');
    expect((await refusal(b.closePeriod('March', 1, null))).code).toBe('usage');
    expect((await refusal(b.reopenPeriod('2023', 'why not'))).code).toBe('no_such_close');
    expect((await refusal(b.leaveChanges('2024-Q1', [7], null))).message).toBe(
      '2024-Q1 has no change after close among the entries named to leave',
    );
    expect((await refusal(b.changesAfterClose('2024-Q2'))).code).toBe('no_such_close');
    // Nothing refused was written.
    expect((await b.periodCloses()).map((c) => c.label)).toEqual(['2024-Q1']);
    expect((await b.auditCheck()).rows).toBe(1);
  });
});

describe('the fake suppliers', () => {
  it('groups a supplier whatever its case and spaces, with exact spend per currency, most kg CO2e first', async () => {
    const b = fake();
    b.setLedger([
      ledgerEntry({ id: 801, contact: 'Acme Ltd', net_amount: '0.10', kg_co2e: '1.000000', category: 'Office supplies' }),
      ledgerEntry({ id: 802, contact: ' acme LTD ', net_amount: '0.20', kg_co2e: '2.500000', category: 'Printing' }),
      ledgerEntry({ id: 803, contact: 'ACME LTD', net_amount: '-5', currency: 'USD', status: 'unmapped', kg_co2e: null, connection_id: 2 }),
      ledgerEntry({ id: 804, contact: 'Zed & Co', kg_co2e: '10.000000' }),
      ledgerEntry({ id: 805, contact: '  ', kg_co2e: '99.000000' }),
      ledgerEntry({ id: 806, contact: null, kg_co2e: '99.000000' }),
    ]);
    const page = await b.suppliers(EMPTY_FILTER, 0, 10);
    expect(page.total).toBe(2);
    expect(page.items.map((s) => s.name)).toEqual(['Zed & Co', ' acme LTD ']);
    expect(page.items[1]).toEqual({
      name: ' acme LTD ',
      connection_ids: [1, 2],
      entries: 3,
      counted: 2,
      unmapped: 1,
      excluded: 0,
      kg_co2e: '3.500000',
      spend: { GBP: '0.30', USD: '-5' },
      categories: ['Printing', 'Office supplies'],
      rule_id: null,
    });
    expect((await b.suppliers(EMPTY_FILTER, 1, 10)).items.map((s) => s.name)).toEqual([' acme LTD ']);
  });

  it('names the rule that maps a supplier alone', async () => {
    const b = fake();
    const match = { platform: null, supplier: 'arnold laver timber ', account_code: null, description_contains: null, amount_min: null, amount_max: null };
    const rule = await b.addRule(
      { name: 'Timber', match, classification: { ...NONE, action: 'reclassify', factor_code: '321113', category: 'Timber' } },
      null,
    );
    await b.addRule(
      { name: 'Rent in 2024', match: { ...match, supplier: 'Albion Property Management', description_contains: '2024' }, classification: { ...NONE, action: 'exclude', reason: 'x' } },
      null,
    );
    const all = (await b.suppliers(EMPTY_FILTER, 0, 100)).items;
    const timber = all.find((s) => s.name === 'Arnold Laver Timber')!;
    expect(timber.rule_id).toBe(rule.id);
    expect(timber.unmapped).toBe(0);
    expect(timber.spend).toEqual({ GBP: '2385.19' });
    expect(all.find((s) => s.name === 'Albion Property Management')!.rule_id).toBeNull();
    // Most kg CO2e first.
    for (let i = 1; i < all.length; i++) expect(dec(all[i - 1]!.kg_co2e).gte(dec(all[i]!.kg_co2e))).toBe(true);
  });
});
