import { describe, expect, it } from 'vitest';
import type { AppError } from '../bindings/AppError';
import type { Classification } from '../bindings/Classification';
import type { InventoryReport } from '../bindings/InventoryReport';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import { dec, sumDecimals } from '../lib/decimal';
import { readReport } from '../lib/notifications';
import { FakeBackend } from './fake';
import { CLOUD_SAMPLE, reportedTotalsOf } from './fakeCloud';
import { type ReportGroup, type ReportedSlice, parsePeriod, reportedPart } from './fakeInventory';
import { ledgerEntry } from './ledger.fixture';
import { netZeroRow, withCloud, withNetZeroCloud } from './reported.fixture';
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
  market_factor: null,
  market_factor_source: null,
  unit_price: null,
  unit_price_currency: null,
  unit_price_source: null,
  parts: [],
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

/**
 * The report adds up as an auditor checks it: the total is Scope 1 + Scope 2 (location-based)
 * + Scope 3, and the books' total plus what is reported less what that leaves out; every table
 * adds up to it; market-based Scope 2 is the books' (no supplier factor here: the grid
 * average) plus the inventory platform's market-based Scope 2.
 */
function expectConsistent(r: InventoryReport) {
  const s = r.scopes;
  const total = r.inventory_kg_co2e;
  expect(addsUp([s.scope1_kg_co2e, s.scope2_location_kg_co2e, s.scope3_kg_co2e], total)).toBe(true);
  expect(dec(total).eq(dec(r.totals.kg_co2e).plus(dec(r.reported_kg_co2e)).minus(dec(r.replaced_kg_co2e)))).toBe(true);
  expect(addsUp(r.reported.map((l) => l.kg_co2e), r.reported_kg_co2e)).toBe(true);
  expect(addsUp(r.replaced.map((l) => l.kg_co2e), r.replaced_kg_co2e)).toBe(true);
  const scope2 = r.reported.filter((l) => l.scope === 2);
  expect(
    dec(s.scope2_market_kg_co2e).eq(
      dec(s.scope2_location_kg_co2e).minus(dec(sumDecimals(scope2.map((l) => l.kg_co2e)))).plus(dec(sumDecimals(scope2.map((l) => l.market_kg_co2e)))),
    ),
  ).toBe(true);
  expect(addsUp(r.scope3_categories.map((l) => l.kg_co2e), s.scope3_kg_co2e)).toBe(true);
  // Entries counted: the books' less those left out; a reported line counts no entry.
  const entries = r.totals.counted - r.replaced.reduce((n, l) => n + l.entries, 0);
  for (const table of [r.by_connection, r.by_category, r.method_mix]) {
    expect(addsUp(table.map((l) => l.kg_co2e), total)).toBe(true);
    expect(table.reduce((n, l) => n + l.entries, 0)).toBe(entries);
  }
  expect(addsUp(r.by_month.map((m) => m.kg_co2e), total)).toBe(true);
  for (const m of r.by_month) expect(addsUp(m.by_scope, m.kg_co2e)).toBe(true);
  const byScope = [s.scope1_kg_co2e, s.scope2_location_kg_co2e, s.scope3_kg_co2e] as const;
  for (const i of [0, 1, 2] as const) expect(addsUp(r.by_month.map((m) => m.by_scope[i]), byScope[i])).toBe(true);
  expect(r.scope3_categories.reduce((n, l) => n + l.entries, 0)).toBeLessThanOrEqual(entries);
  if (!dec(total).eq(0)) {
    const weighted = r.method_mix.reduce((sum, m) => sum.plus(dec(m.kg_co2e).times(m.data_quality)), dec('0'));
    expect(r.data_quality_score).toBe(weighted.div(dec(total)).toFixed(2, 1));
  }
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
    // Nothing reported: the inventory is the books', and market-based Scope 2 the grid average.
    expect(year.reported).toEqual([]);
    expect(year.replaced).toEqual([]);
    expect(year.inventory_kg_co2e).toBe(year.totals.kg_co2e);
    expect(year.scopes.scope2_market_kg_co2e).toBe(year.scopes.scope2_location_kg_co2e);
    expect(year.method_notes.some((n) => n.includes('the grid average elsewhere'))).toBe(true);
    expect(year.method_notes.some((n) => n.includes('count as purchased services (Scope 3 category 1)'))).toBe(true);
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

describe('the fake inventory’s estimates, splits and warnings', () => {
  const PRICE_SOURCE = 'DESNZ Quarterly Energy Prices, non-domestic, 2024';

  it('counts a quantity estimated from spend at data quality 3, and market-based Scope 2 from the supplier’s factor', async () => {
    const b = fake();
    b.setLedger([
      ledgerEntry({ id: 701, contact: 'Northern Power', description: 'Electricity, January', net_amount: '512.34', kg_co2e: '60.000000' }),
      ledgerEntry({ id: 702, contact: 'Northern Power', description: 'Electricity, January, second site', net_amount: '100.00', kg_co2e: '11.000000' }),
      ledgerEntry({ id: 703 }),
    ]);
    const electricity = { ...NONE, action: 'activity' as const, activity: 'electricity-uk', quantity_unit: 'kWh' };
    // 512.34 / 0.245 = 2091.183673 kWh; × 0.20705 = 432.979579 kg; × 0.05 = 104.559184 kg market-based.
    await b.decideEntries(
      [701],
      { ...electricity, unit_price: '0.245', unit_price_currency: 'GBP', unit_price_source: PRICE_SOURCE, market_factor: '0.05', market_factor_source: 'Supplier disclosure' },
      null,
      null,
    );
    // 400 kWh measured × 0.20705 = 82.82 kg; no supplier factor: the grid average stands for both.
    await b.decideEntries([702], { ...electricity, quantity: '400' }, null, null);
    const r = await b.inventoryReport('2024-01', 1, null);
    // (Not expectConsistent: that one expects no supplier factor in the books.)
    expect(r.inventory_kg_co2e).toBe('529.490279');
    expect(addsUp(r.method_mix.map((m) => m.kg_co2e), r.inventory_kg_co2e)).toBe(true);
    expect(r.method_mix.map((m) => [m.method, m.label, m.data_quality, m.entries, m.kg_co2e])).toEqual([
      ['activity', 'Activity-based (quantity x published factor)', 2, 1, '82.820000'],
      ['estimated', 'Activity-based, quantity estimated from spend at a stated price', 3, 1, '432.979579'],
      ['spend_mapped', 'Spend-based, factor from the account mapping', 5, 1, '13.690700'],
    ]);
    expect(r.scopes.scope2_location_kg_co2e).toBe('515.799579');
    // Market-based: Σ of the Scope 2 entries' market-based kg where given, else their kg.
    expect(r.scopes.scope2_market_kg_co2e).toBe('187.379184');
    // (82.82 × 2 + 432.979579 × 3 + 13.6907 × 5) / 529.490279 = 1533.032237 / 529.490279 = 2.8953… → 2.90.
    expect(r.data_quality_score).toBe('2.90');
  });

  it('counts a split line’s parts as a person’s factor (4), each in its own category', async () => {
    const b = fake();
    b.setLedger([ledgerEntry({ id: 901, contact: 'Clarity Business Travel', net_amount: '1000.00' })]);
    await b.decideEntries(
      [901],
      {
        ...NONE,
        action: 'split',
        parts: [
          { share_percent: '60', factor_code: '481111', category: 'Air travel', scope3_category: 6 },
          { share_percent: '40', factor_code: '721110', category: 'Hotel stays', scope3_category: 6 },
        ],
      },
      null,
      null,
    );
    const r = await b.inventoryReport('2024-01', 1, null);
    expectConsistent(r);
    expect(r.totals.counted).toBe(2);
    expect(r.method_mix.map((m) => [m.method, m.entries, m.kg_co2e])).toEqual([['spend_reviewed', 2, '535.203073']]);
    expect(r.by_category.map((l) => [l.label, l.kg_co2e])).toEqual([
      ['Air travel', '465.352087'],
      ['Hotel stays', '69.850986'],
    ]);
    expect(r.scope3_categories.map((l) => [l.key, l.entries])).toEqual([['3.06', 2]]);
  });

  it('warns first about what the reader must know, with what to do', async () => {
    const b = fake();
    const empty = await b.inventoryReport('2020', 1, null);
    expect(empty.warnings).toEqual([
      "Nothing is dated in 2020 (2020-01-01 to 2020-12-31): no entry and no provider's figure. Sync the connections first (carbonsync sync), or check the period.",
    ]);
    const year = await b.inventoryReport('2024', 1, null);
    expect(year.warnings).toEqual([
      `${year.totals.unmapped} entries are unmapped and not counted: review them (carbonsync review --from 2024-01-01 --to 2024-12-31) before relying on the totals.`,
    ]);
    const c = await withCloud(b, 'aws');
    const q4 = await b.inventoryReport('2024-Q4', 1, c.id);
    expect(q4.warnings).toContain(
      `${q4.organisations[0]} has not published 2024-12 yet: the inventory lacks those months' figures. Sync it again once they are published, then make the report again.`,
    );
  });
});

describe('the fake inventory’s reported part', () => {
  it('counts a cloud provider’s report as purchased services, Scope 3 category 1, whatever scope it files it under', async () => {
    const b = fake();
    const before = await b.inventoryReport('2024', 1, null);
    const aws = await withCloud(b, 'aws');
    const r = await b.inventoryReport('2024', 1, null);
    expectConsistent(r);
    // The books are as they were; the inventory adds what AWS reports, location-based.
    expect(r.totals).toEqual(before.totals);
    const rows = CLOUD_SAMPLE.accounts.aws!.rows.filter((x) => x.month >= '2024-01' && x.month <= '2024-12');
    expect(r.reported_kg_co2e).toBe(reportedTotalsOf(rows).location_kg_co2e);
    expect(r.inventory_kg_co2e).toBe(dec(before.inventory_kg_co2e).plus(dec(r.reported_kg_co2e)).toFixed(6));
    const source = 'Amazon Web Services: AWS (1 account)';
    expect(r.reported.map((l) => [l.source, l.scope, l.scope3_category, l.published_scope, l.method, l.months]).sort()).toEqual([
      [source, 3, 1, 1, 'reported_by_supplier', 6],
      [source, 3, 1, 2, 'reported_by_supplier', 6],
      [source, 3, 1, 3, 'reported_by_supplier', 6],
    ]);
    for (const l of r.reported) {
      const published = reportedTotalsOf(rows.filter((x) => x.scope === l.published_scope));
      expect([l.connection_id, l.platform, l.period_end]).toEqual([aws.id, 'aws', null]);
      expect(l.kg_co2e).toBe(published.location_kg_co2e);
      expect(l.market_kg_co2e).toBe(published.market_kg_co2e);
    }
    // Largest first.
    for (let i = 1; i < r.reported.length; i++) expect(dec(r.reported[i - 1]!.kg_co2e).gte(dec(r.reported[i]!.kg_co2e))).toBe(true);
    // A supplier's report replaces none of the books, and is not Scope 2 of the company.
    expect(r.replaced).toEqual([]);
    expect(r.scopes.scope1_kg_co2e).toBe(before.scopes.scope1_kg_co2e);
    expect(r.scopes.scope2_location_kg_co2e).toBe(before.scopes.scope2_location_kg_co2e);
    expect(r.scopes.scope2_market_kg_co2e).toBe(before.scopes.scope2_market_kg_co2e);
    expect(r.scopes.scope3_kg_co2e).toBe(dec(before.scopes.scope3_kg_co2e).plus(dec(r.reported_kg_co2e)).toFixed(6));
    const cat1 = (x: InventoryReport) => x.scope3_categories.find((l) => l.key === '3.01')!;
    expect(cat1(r).kg_co2e).toBe(dec(cat1(before).kg_co2e).plus(dec(r.reported_kg_co2e)).toFixed(6));
    expect(cat1(r).entries).toBe(cat1(before).entries);
    // Its own line in the tables, with no entry; in the months it reports, in Scope 3.
    expect(r.by_connection.find((l) => l.key === String(aws.id))).toEqual({ key: String(aws.id), label: source, entries: 0, kg_co2e: r.reported_kg_co2e });
    expect(r.by_category.find((l) => l.key === `Reported by ${source}`)).toMatchObject({ entries: 0, kg_co2e: r.reported_kg_co2e });
    for (const m of r.by_month) {
      const was = before.by_month.find((x) => x.month === m.month)!;
      const month = reportedTotalsOf(rows.filter((x) => x.month === m.month)).location_kg_co2e;
      expect(m.by_scope[2]).toBe(dec(was.by_scope[2]).plus(dec(month)).toFixed(6));
    }
    expect(r.method_mix.find((m) => m.method === 'reported_by_supplier')).toEqual({
      method: 'reported_by_supplier',
      label: 'Reported by the supplier (cloud provider)',
      data_quality: 1,
      entries: 0,
      kg_co2e: r.reported_kg_co2e,
    });
    // The reported data lowers (betters) the score.
    expect(Number(r.data_quality_score)).toBeLessThan(Number(before.data_quality_score));
    // A period it does not report, and a report of one other connection, count none of it.
    expect((await b.inventoryReport('2024-03', 1, null)).reported).toEqual([]);
    const other = await b.inventoryReport('2024', 1, 2);
    expect(other.reported).toEqual([]);
    expectConsistent(other);
    const own = await b.inventoryReport('2024', 1, aws.id);
    expect(own.inventory_kg_co2e).toBe(r.reported_kg_co2e);
    expectConsistent(own);
  });

  it('counts the inventory platform’s figures in their own scopes, leaving out the books’ entries of each slice it reports', async () => {
    const b = fake();
    const before = await b.inventoryReport('2024', 1, null);
    const travel = await b.ledgerPage({ ...days('2024-01-01', '2024-12-31'), scope: 3, status: 'counted' }, 0, 10_000);
    const cat6 = travel.entries.filter((e) => e.scope3_category === 6);
    expect(cat6.length).toBeGreaterThan(1);
    const nzc = await withNetZeroCloud(b, [
      // An annual business-travel footprint, from January to December.
      { month: '2024-01', period_end: '2024-12-31', scope: 3, scope3_category: 6, kg_co2e: '5000.5' },
      // Electricity of March under both bases, and fuel of the year's first month (no basis).
      { month: '2024-03', scope: 2, basis: 'location', kg_co2e: '300' },
      { month: '2024-03', scope: 2, basis: 'market', kg_co2e: '120.25' },
      { month: '2024-01', scope: 1, kg_co2e: '40' },
    ]);
    const r = await b.inventoryReport('2024', 1, null);
    expectConsistent(r);
    const source = 'Salesforce: CarbonSync Demo Group';
    expect(r.reported.map((l) => [l.source, l.platform, l.scope, l.scope3_category, l.published_scope, l.method, l.months, l.period_end, l.kg_co2e, l.market_kg_co2e])).toEqual([
      [source, 'salesforce', 3, 6, 3, 'reported_by_inventory', 1, '2024-12-31', '5000.500000', '5000.500000'],
      [source, 'salesforce', 2, null, 2, 'reported_by_inventory', 1, null, '300.000000', '120.250000'],
      [source, 'salesforce', 1, null, 1, 'reported_by_inventory', 1, null, '40.000000', '40.000000'],
    ]);
    // Every month of the year's business travel in the books is left out, listed by month.
    const byMonth = new Map<string, string[]>();
    for (const e of cat6) byMonth.set(e.date.slice(0, 7), [...(byMonth.get(e.date.slice(0, 7)) ?? []), e.kg_co2e!]);
    expect(r.replaced).toEqual(
      [...byMonth.keys()].sort().map((month) => ({
        month,
        scope: 3,
        scope3_category: 6,
        entries: byMonth.get(month)!.length,
        kg_co2e: dec(sumDecimals(byMonth.get(month)!)).toFixed(6),
        replaced_by: source,
      })),
    );
    expect(r.replaced_kg_co2e).toBe(dec(sumDecimals(cat6.map((e) => e.kg_co2e))).toFixed(6));
    const six = (x: InventoryReport) => x.scope3_categories.find((l) => l.key === '3.06');
    expect(six(r)).toEqual({ key: '3.06', label: '6. Business travel', entries: 0, kg_co2e: '5000.500000' });
    expect(six(before)!.entries).toBe(cat6.length);
    // The books' Scope 2 has no entry in March to replace (it reports none of the books' slices).
    expect(r.replaced.every((l) => l.scope === 3)).toBe(true);
    // Scope 2: location-based adds its location-based figure; market-based its market-based one.
    expect(r.scopes.scope2_location_kg_co2e).toBe(dec(before.scopes.scope2_location_kg_co2e).plus(300).toFixed(6));
    expect(r.scopes.scope2_market_kg_co2e).toBe(dec(before.scopes.scope2_location_kg_co2e).plus('120.25').toFixed(6));
    expect(r.scopes.scope1_kg_co2e).toBe(dec(before.scopes.scope1_kg_co2e).plus(40).toFixed(6));
    // An annual footprint counts in its first month.
    const jan = (x: InventoryReport) => x.by_month.find((m) => m.month === '2024-01')!;
    expect(dec(jan(r).by_scope[2]).minus(dec(jan(before).by_scope[2])).plus(dec(sumDecimals(byMonth.get('2024-01') ?? []))).toFixed(6)).toBe('5000.500000');
    expect(r.method_mix.find((m) => m.method === 'reported_by_inventory')).toMatchObject({ data_quality: 2, entries: 0, kg_co2e: '5340.500000' });
    // The report of one connection replaces nothing.
    const one = await b.inventoryReport('2024', 1, nzc.id);
    expect(one.replaced).toEqual([]);
    expect(one.inventory_kg_co2e).toBe('5340.500000');
    expectConsistent(one);
    // A footprint of nothing replaces nothing.
    b.setReportedRows(nzc.id, [netZeroRow({ month: '2024-01', period_end: '2024-12-31', scope: 3, scope3_category: 6, kg_co2e: '0' })]);
    const zero = await b.inventoryReport('2024', 1, null);
    expect(zero.replaced).toEqual([]);
    expect(zero.inventory_kg_co2e).toBe(before.inventory_kg_co2e);
    expectConsistent(zero);
  });

  it('places a cloud provider’s figures in the monthly report’s scopes as the inventory does', async () => {
    const b = fake();
    await withCloud(b, 'aws');
    const inventory = await b.inventoryReport('2024-11', 1, null);
    expect(inventory.reported.length).toBe(3);
    const monthly = readReport((await b.previewReport('2024-11')).report)!;
    const scopes = [inventory.scopes.scope1_kg_co2e, inventory.scopes.scope2_location_kg_co2e, inventory.scopes.scope3_kg_co2e];
    expect(monthly.by_scope.map((f) => f.label)).toEqual(['Scope 1', 'Scope 2', 'Scope 3']);
    monthly.by_scope.forEach((f, i) => expect(dec(f.t_co2e).eq(dec(scopes[i]!).times('0.001'))).toBe(true));
    expect(dec(monthly.total_t_co2e).eq(dec(inventory.inventory_kg_co2e).times('0.001'))).toBe(true);
  });

  it('places slices as the application does (its own cases)', () => {
    const slice = (platform: string, month: string, end: string | null, scope: number, cat: number | null): ReportedSlice => ({
      connection_id: 9,
      platform,
      month,
      period_end: end,
      scope,
      scope3_category: cat,
      location_kg_co2e: '100',
      market_kg_co2e: '80',
    });
    const group = (month: string, scope: number, cat: number | null, kg: number): ReportGroup => ({
      month,
      connection_id: 1,
      scope,
      scope3_category: cat,
      category: 'Office supplies',
      method: 'spend_mapped',
      entries: 2,
      kg_co2e: String(kg),
      market_kg_co2e: String(kg),
    });
    const cloud = reportedPart([slice('aws', '2024-03', null, 2, null)], [group('2024-03', 2, null, 5)], true, (id) => `AWS ${id}`);
    expect(cloud.lines.map((l) => [l.scope, l.scope3_category, l.published_scope, l.method])).toEqual([[3, 1, 2, 'reported_by_supplier']]);
    expect(cloud.replacedGroups.size).toBe(0);

    const groups = [group('2024-01', 3, 1, 5), group('2024-06', 3, 1, 7), group('2024-06', 3, 6, 11), group('2025-01', 3, 1, 13)];
    const annual = [slice('salesforce', '2024-01', '2024-12-31', 3, 1)];
    const part = reportedPart(annual, groups, true, () => 'Salesforce: Acme');
    expect([...part.replacedGroups].sort()).toEqual([0, 1]);
    expect(part.replaced.map((l) => [l.month, l.entries, l.kg_co2e])).toEqual([
      ['2024-01', 2, '5.000000'],
      ['2024-06', 2, '7.000000'],
    ]);
    expect(reportedPart(annual, groups, false, () => '').replacedGroups.size).toBe(0);
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

  it('takes a closed month into the quarter closed over it, as the month reported', async () => {
    const b = fake();
    const march = await b.closePeriod('2024-03', 1, null);
    await b.changeLine(7, { net_amount: '1334.56' });
    const quarter = await b.closePeriod('2024-Q1', 1, 'quarter end');
    const janFeb = (await b.emissionsSummary(days('2024-01-01', '2024-02-29'), null)).totals.kg_co2e;
    expect(quarter.took_in).toEqual(['2024-03']);
    expect(quarter.reported.kg_co2e).toBe(dec(march.reported.kg_co2e).plus(dec(janFeb)).toFixed(6));
    expect(quarter.changes_after_close).toBe(1);
    expect((await b.changesAfterClose('2024-Q1')).map((c) => c.entry_id)).toEqual([7]);
    const closes = await b.periodCloses();
    expect(closes.map((c) => [c.label, c.taken_into])).toEqual([
      ['2024-Q1', null],
      ['2024-03', '2024-Q1'],
    ]);
    expect(await refusal(b.changesAfterClose('2024-03'))).toMatchObject({ code: 'taken_in' });
    expect(await b.auditCheck()).toEqual({ rows: 3, intact: true, broken_at: null, problem: null });
    // Reopening the quarter gives the month back, as it reported, with its change waiting.
    await b.reopenPeriod('2024-Q1', 'auditor asked');
    expect((await b.emissionsSummary(days('2024-03-01', '2024-03-31'), null)).totals.kg_co2e).toBe(march.reported.kg_co2e);
    expect((await b.changesAfterClose('2024-03')).map((c) => c.entry_id)).toEqual([7]);
    expect((await b.periodCloses()).find((c) => c.label === '2024-03')!.taken_into).toBeNull();
    expect(await b.auditCheck()).toEqual({ rows: 5, intact: true, broken_at: null, problem: null });
  });

  it('refuses, in words that say what to do', async () => {
    const b = fake();
    await b.closePeriod('2024-Q1', 1, null);
    expect(await refusal(b.closePeriod('2024-03', 1, null))).toEqual({
      code: 'refused',
      message:
        '2024-03 overlaps 2024-Q1, which is closed and reaches past it: reopen 2024-Q1 first, or close a period that holds all of 2024-Q1 or none of it',
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
