import { describe, expect, it } from 'vitest';
import type { AppError } from '../bindings/AppError';
import type { Classification } from '../bindings/Classification';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { RuleInput } from '../bindings/RuleInput';
import { dec, sumDecimals } from '../lib/decimal';
import { FakeBackend } from './fake';
import { ledgerEntry } from './ledger.fixture';
import { RECORDED } from './recorded';
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

const reclassify = (factor_code: string, category: string | null = null, scope3_category: number | null = null): Classification => ({
  ...NONE,
  action: 'reclassify',
  factor_code,
  category,
  scope3_category,
});

const exclude = (reason: string | null): Classification => ({ ...NONE, action: 'exclude', reason });

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

function entry(id: number) {
  const e = RECORDED.ledger.entries.find((x) => x.id === id);
  if (!e) throw new Error(`no recorded entry ${id}`);
  return e;
}

describe('the fake review queue', () => {
  it('lists purchases not yet reviewed, unmapped first, then by kg CO2e, largest first', async () => {
    const b = fake();
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    const inReview = RECORDED.ledger.entries.filter((e) => e.status !== 'excluded');
    expect(q.items).toHaveLength(inReview.length);
    const unmapped = inReview.filter((e) => e.status === 'unmapped').length;
    expect(q.items.slice(0, unmapped).every((i) => i.why === 'unmapped')).toBe(true);
    expect(q.items.slice(unmapped).every((i) => i.why === 'not_reviewed')).toBe(true);
    const kgs = q.items.slice(unmapped).map((i) => i.entry.kg_co2e!);
    for (let i = 1; i < kgs.length; i++) expect(dec(kgs[i - 1]!).gte(dec(kgs[i]!))).toBe(true);
    // Unmapped entries have no kilograms: the largest amount comes first among them.
    expect(q.items[0]!.entry.net_amount).toBe('15044.26');

    expect(q.progress.entries).toBe(inReview.length);
    expect(q.progress.reviewed).toBe(0);
    expect(q.progress.unmapped).toBe(unmapped);
    expect(q.progress.kg_co2e_reviewed).toBe('0.000000');
    expect(q.progress.spend.map((s) => s.currency)).toEqual(['CAD', 'EUR', 'GBP', 'USD']);
    // Absolute amounts: the refund of -150 USD adds 150.
    const usd = inReview.filter((e) => e.currency === 'USD').reduce((sum, e) => sum.plus(dec(e.net_amount).abs()), dec('0'));
    expect(dec(q.progress.spend.find((s) => s.currency === 'USD')!.total).eq(usd)).toBe(true);
  });

  it('ranks unmapped lines by their amount in 2022 dollars across currencies, those without one last', async () => {
    const b = fake();
    const unmapped = { status: 'unmapped' as const, kg_co2e: null, scope: null, factor_code: null };
    b.setLedger([
      ledgerEntry({ id: 1, ...unmapped, net_amount: '900.00', currency: 'GBP', amount_usd_2022: '1160.000000' }),
      ledgerEntry({ id: 2, ...unmapped, net_amount: '150000', currency: 'JPY', amount_usd_2022: '1050.000000' }),
      ledgerEntry({ id: 3, ...unmapped, net_amount: '-1000.00', currency: 'EUR', amount_usd_2022: '-1100.000000' }),
      ledgerEntry({ id: 4, ...unmapped, net_amount: '5000.00', currency: 'XTS', amount_usd_2022: null }),
    ]);
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 10);
    expect(q.items.map((i) => i.entry.id)).toEqual([1, 3, 2, 4]);
  });

  it('pages the queue', async () => {
    const b = fake();
    const all = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    const second = await b.reviewQueue(EMPTY_FILTER, 10, 10);
    expect(second.offset).toBe(10);
    expect(second.items.map((i) => i.entry.id)).toEqual(all.items.slice(10, 20).map((i) => i.entry.id));
  });

  it('marks a supplier first seen in the period as new, after the unmapped entries', async () => {
    const b = fake();
    const filter: LedgerFilter = { ...EMPTY_FILTER, from: '2024-11-01', to: '2024-12-31' };
    const q = await b.reviewQueue(filter, 0, 100);
    const why = new Map(q.items.map((i) => [i.entry.id, i.why]));
    // Clarity Business Travel and Bay Facilities Repair appear for the first time in November.
    expect(why.get(21)).toBe('new_supplier');
    expect(why.get(46)).toBe('new_supplier');
    // Premier Inn too; Shell bought nothing before either.
    expect(why.get(48)).toBe('unmapped');
    const order = q.items.map((i) => i.why);
    expect(order.indexOf('new_supplier')).toBeGreaterThan(order.lastIndexOf('unmapped'));
  });
});

describe('fake decisions', () => {
  it('counts every recorded entry again with its own factor to exactly the kilograms the application worked out', async () => {
    const b = fake();
    const counted = RECORDED.ledger.entries.filter((e) => e.status === 'counted');
    for (const e of counted) {
      const [after] = await b.decideEntries([e.id], reclassify(e.factor_code!, e.category, e.scope3_category), null, null);
      expect({ id: e.id, usd: after!.amount_usd_2022, kg: after!.kg_co2e, fx: after!.fx_source, deflator: after!.deflator }).toEqual({
        id: e.id,
        usd: e.amount_usd_2022,
        kg: e.kg_co2e,
        fx: e.fx_source,
        deflator: e.deflator,
      });
      expect(after!.deflator_source).toBe(e.deflator_source);
    }
  });

  it('reclassifies an entry: its kilograms change exactly, and the review and the totals move', async () => {
    const b = fake();
    const before = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    const totalBefore = (await b.emissionsSummary(EMPTY_FILTER, null)).totals;
    // The Premier Inn night, 122.77 GBP in 2024, counted as a taxi: now as a hotel stay.
    const [e] = await b.decideEntries([13], reclassify('721110', 'Hotel stays', 6), 'A hotel, not a taxi', 'checked the invoice');
    // 122.77 × 1.2781 × 117.996 / 125.224 = 147.85526829…; × 0.145 = 21.43901390…
    expect(e!.amount_usd_2022).toBe('147.855268');
    expect(e!.kg_co2e).toBe('21.439014');
    expect(e!.factor_code).toBe('721110');
    expect(e!.factor_title).toBe('Hotels (except Casino Hotels) and Motels');
    expect(e!.category).toBe('Hotel stays');
    expect(e!.scope).toBe(3);
    expect(e!.scope3_category).toBe(6);
    expect(e!.decision_id).not.toBeNull();
    expect(e!.rule_id).toBeNull();

    const after = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(after.progress.reviewed).toBe(before.progress.reviewed + 1);
    expect(after.items.some((i) => i.entry.id === 13)).toBe(false);
    expect(after.progress.kg_co2e_reviewed).toBe('21.439014');
    expect(after.progress.spend.find((s) => s.currency === 'GBP')!.reviewed).toBe('122.77');
    const totalAfter = (await b.emissionsSummary(EMPTY_FILTER, null)).totals;
    expect(dec(totalAfter.kg_co2e).minus(dec(totalBefore.kg_co2e)).eq(dec('21.439014').minus(dec(entry(13).kg_co2e!)))).toBe(true);

    const detail = await b.entryDetail(13);
    expect(detail.decision?.action).toBe('reclassify');
    expect(detail.decision?.note).toBe('A hotel, not a taxi');
    expect(detail.decision?.seen).toEqual({ date: '2024-11-22', net_amount: '122.77', account_code: '493', deleted: false });
    expect(detail.history).toHaveLength(1);
    expect(detail.history[0]).toMatchObject({ action: 'entry_reclassified', subject: 'entry:13', reason: 'checked the invoice', os_user: 'you' });
    expect(JSON.parse(detail.history[0]!.after!)).toMatchObject({ action: 'reclassify', factor_code: '721110' });
  });

  it('fills a reclassification’s category with the factor’s title and its Scope 3 category with 1', async () => {
    const b = fake();
    const [e] = await b.decideEntries([48], reclassify('424990'), null, null);
    expect(e!.status).toBe('counted');
    expect(e!.category).toBe('Other Miscellaneous Nondurable Goods Merchant Wholesalers');
    expect(e!.scope3_category).toBe(1);
    // CAD in 2024: 0.729980 USD per CAD, from the exchange-rate table.
    expect(e!.fx_rate).toBe('0.729980');
    expect(e!.kg_co2e).toBe(dec('1310.08').times('0.729980').times('117.996').div('125.224').times('0.144').toFixed(6, 1));
  });

  it('refuses an exclusion without a reason, in words, and changes nothing', async () => {
    const b = fake();
    const e = await refusal(b.decideEntries([36, 37], exclude('  '), null, null));
    expect(e.code).toBe('invalid_review');
    expect(e.message).toMatch(/^Say why the entry is excluded/);
    expect(e.permanent).toBe(true);
    expect((await b.entryDetail(37)).decision).toBeNull();
  });

  it('refuses a factor that is not in the set, and an unknown entry, in words', async () => {
    const b = fake();
    expect((await refusal(b.decideEntries([13], reclassify('999999'), null, null))).message).toMatch(/^Factor 999999 is not in US EPA/);
    expect((await refusal(b.decideEntries([13], reclassify(''), null, null))).message).toMatch(/^Choose the factor/);
    expect((await refusal(b.decideEntries([13], reclassify('721110', null, 16), null, null))).message).toMatch(/numbers them 1 to 15/);
    expect((await refusal(b.decideEntries([9999], NONE, null, null))).code).toBe('no_such_entry');
  });

  it('excludes with a reason: not counted, no kilograms, reviewed', async () => {
    const b = fake();
    const [e] = await b.decideEntries([11], exclude('personal expense, repaid'), null, null);
    expect(e!.status).toBe('excluded');
    expect(e!.kg_co2e).toBeNull();
    expect(e!.reason).toBe('personal expense, repaid');
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.progress.reviewed).toBe(1);
  });

  it('counts activity data with the DESNZ factor, exactly', async () => {
    const b = fake();
    const [e] = await b.decideEntries(
      [10],
      { ...NONE, action: 'activity', activity: 'diesel', quantity: '41.5', quantity_unit: 'litres' },
      null,
      null,
    );
    // 41.5 litres × 2.51279 = 104.280785 kg CO2e, Scope 1.
    expect(e!.kg_co2e).toBe('104.280785');
    expect(e!.scope).toBe(1);
    expect(e!.factor_set).toBe('UK DESNZ greenhouse gas conversion factors');
    expect(e!.fx_rate).toBeNull();
    const wrong = await refusal(
      b.decideEntries([10], { ...NONE, action: 'activity', activity: 'diesel', quantity: '41.5', quantity_unit: 'kWh' }, null, null),
    );
    expect(wrong.message).toBe('Diesel (average biofuel blend) burnt in owned vehicles or plant is given in litres, not "kWh".');
  });

  it('takes a decision back: the entry is as the mapping made it, and back in the queue', async () => {
    const b = fake();
    await b.decideEntries([13], exclude('duplicate'), null, null);
    const [e] = await b.undoDecisions([13], 'excluded by mistake');
    const original = entry(13);
    expect(e!.status).toBe('counted');
    expect(e!.kg_co2e).toBe(original.kg_co2e);
    expect(e!.category).toBe(original.category);
    expect(e!.rule_id).toBe(original.rule_id);
    expect(e!.decision_id).toBeNull();
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.items.some((i) => i.entry.id === 13)).toBe(true);
    const history = (await b.entryDetail(13)).history;
    expect(history.map((h) => h.action)).toEqual(['entry_decision_removed', 'entry_excluded']);
    expect(history[0]!.reason).toBe('excluded by mistake');
    expect(history[0]!.prev_hash).toBe(history[1]!.hash);
  });

  it('puts an entry whose line changed after the decision first in the queue, with what it was', async () => {
    const b = fake();
    await b.decideEntries([12], NONE, null, null);
    expect((await b.reviewQueue(EMPTY_FILTER, 0, 100)).items.some((i) => i.entry.id === 12)).toBe(false);
    await b.changeLine(12, { net_amount: '2933.33' });
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.items[0]!.entry.id).toBe(12);
    expect(q.items[0]!.why).toBe('changed_since_review');
    expect(q.items[0]!.seen).toEqual({ date: '2024-10-01', net_amount: '2833.33', account_code: '469', deleted: false });
    expect(q.progress.changed_since_review).toBe(1);
    expect((await b.entryDetail(12)).changed_since_review).toBe(true);
    // Counted anew from the new amount.
    expect(q.items[0]!.entry.kg_co2e).not.toBe(entry(12).kg_co2e);
  });
});

describe('fake rules for similar entries', () => {
  const hotels = (supplier: string): RuleInput => ({
    name: `${supplier}: Office rent`,
    match: { platform: null, supplier, account_code: null, description_contains: null, amount_min: null, amount_max: null },
    classification: reclassify('531120', 'Office rent', 8),
  });

  it('previews what a rule would change, saves it, and lists it with the entries it decides', async () => {
    const b = fake();
    // Albion Property Management's four rents, whatever the letters' case.
    const preview = await b.previewRule(hotels('albion property management'), null);
    expect(preview.changes).toBe(4);
    const albion = RECORDED.ledger.entries.filter((e) => e.contact === 'Albion Property Management');
    expect(preview.entries.map((p) => p.entry.id).sort()).toEqual(albion.map((e) => e.id).sort());
    // Same factor, so the same kilograms; the category and scope 3 category change.
    expect(preview.kg_co2e_now).toBe(preview.kg_co2e_after);
    expect(preview.entries[0]!.after.category).toBe('Office rent');
    expect(await b.reviewRules()).toEqual([]);

    const saved = await b.addRule(hotels('albion property management'), 'rent is rent');
    expect(saved).toMatchObject({ id: 1, position: 1, entries: 4 });
    const rules = await b.reviewRules();
    expect(rules).toHaveLength(1);
    expect(rules[0]!.entries).toBe(4);
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.progress.reviewed).toBe(4);
    expect((await b.entryDetail(12)).rule?.id).toBe(1);
    // Saved: nothing more to change.
    expect((await b.previewRule(hotels('Albion Property Management'), 1)).changes).toBe(0);
  });

  it('lets a person’s decision outrank a rule', async () => {
    const b = fake();
    await b.decideEntries([12], exclude('paid twice, refunded'), null, null);
    await b.addRule(hotels('Albion Property Management'), null);
    expect((await b.reviewRules())[0]!.entries).toBe(3);
    const detail = await b.entryDetail(12);
    expect(detail.entry.status).toBe('excluded');
    expect(detail.rule).toBeNull();
    // Taken back, the rule decides it.
    const [e] = await b.undoDecisions([12], null);
    expect(e!.review_rule_id).toBe(1);
    expect(e!.category).toBe('Office rent');
    expect((await b.reviewRules())[0]!.entries).toBe(4);
  });

  it('tries rules in their order, moves and removes them', async () => {
    const b = fake();
    const first = await b.addRule({ ...hotels('Albion Property Management'), name: 'Rent' }, null);
    const second = await b.addRule(
      { ...hotels('Albion Property Management'), name: 'Not counted', classification: exclude('shared office, the landlord reports it') },
      null,
    );
    expect((await b.reviewRules()).map((r) => [r.name, r.entries])).toEqual([
      ['Rent', 4],
      ['Not counted', 0],
    ]);
    const moved = await b.moveRule(second.id, 1, null);
    expect(moved.map((r) => [r.name, r.position, r.entries])).toEqual([
      ['Not counted', 1, 4],
      ['Rent', 2, 0],
    ]);
    expect((await b.entryDetail(12)).entry.status).toBe('excluded');
    const removed = await b.removeRule(second.id, null);
    expect(removed.entries).toBe(4);
    expect((await b.reviewRules()).map((r) => [r.id, r.entries])).toEqual([[first.id, 4]]);
    expect((await b.entryDetail(12)).entry.status).toBe('counted');
  });

  it('refuses a rule that matches nothing in particular, in words', async () => {
    const b = fake();
    const empty: RuleInput = {
      ...hotels(''),
      match: { platform: null, supplier: ' ', account_code: null, description_contains: '', amount_min: null, amount_max: null },
    };
    const e = await refusal(b.previewRule(empty, null));
    expect(e.code).toBe('invalid_rule');
    expect(e.message).toMatch(/^Say what the rule matches/);
    expect((await refusal(b.addRule({ ...hotels('BP'), name: ' ' }, null))).message).toMatch(/^Name the rule/);
    expect((await refusal(b.addRule({ ...hotels('BP'), classification: NONE }, null))).message).toMatch(/^A rule reclassifies or excludes/);
    expect((await refusal(b.removeRule(42, null))).code).toBe('no_such_rule');
  });

  it('starts "apply to similar" from a decision: same platform and supplier, doing the same', async () => {
    const b = fake();
    expect((await refusal(b.ruleLike(21))).message).toMatch(/decide it first/);
    await b.decideEntries([21], reclassify('481111', 'Air travel', 6), null, null);
    const like = await b.ruleLike(21);
    expect(like.name).toBe('Clarity Business Travel: Air travel');
    expect(like.match).toMatchObject({ platform: 'xero', supplier: 'Clarity Business Travel', account_code: null });
    expect(like.classification).toMatchObject({ action: 'reclassify', factor_code: '481111', category: 'Air travel', scope3_category: 6 });
    // The decided entry itself does not change: its decision outranks the rule.
    expect((await b.previewRule(like, null)).changes).toBe(0);
  });

  it('matches amounts in the line’s own currency, bounds included', async () => {
    const b = fake();
    const preview = await b.previewRule(
      {
        name: 'Large GBP bills',
        match: { platform: 'xero', supplier: null, account_code: null, description_contains: 'rent', amount_min: '2708.33', amount_max: '2800' },
        classification: exclude('test'),
      },
      null,
    );
    expect(preview.entries.map((p) => p.entry.id).sort()).toEqual([1, 4]);
    expect(preview.kg_co2e_after).toBe('0');
    expect(preview.kg_co2e_now).toBe('1599.645618');
  });
});

describe('fake activity data estimated from spend, and a supplier or contract factor', () => {
  const PRICE_SOURCE = 'DESNZ Quarterly Energy Prices, non-domestic, 2024';
  const electricity = (patch: Partial<Classification>): Classification => ({
    ...NONE,
    action: 'activity',
    activity: 'electricity-uk',
    quantity_unit: 'kWh',
    ...patch,
  });
  const estimate = (price: string, currency = 'GBP', source: string | null = PRICE_SOURCE) =>
    electricity({ unit_price: price, unit_price_currency: currency, unit_price_source: source });

  /** Three bills of Harbour & Pine Ltd, in pounds: electricity, a refund of it, and rent counted with more kg. */
  function bills(): FakeBackend {
    const b = new FakeBackend({ entriesPerOrg: 10, now: NOW });
    b.setLedger([
      ledgerEntry({ id: 701, contact: 'Northern Power', description: 'Electricity, March', net_amount: '512.34', kg_co2e: '60.000000' }),
      ledgerEntry({ id: 702, contact: 'Northern Power', description: 'Credit: meter misread', net_amount: '-100.00', kg_co2e: '-11.000000' }),
      ledgerEntry({ id: 703, contact: 'Albion Property Management', description: 'Rent', net_amount: '2833.33', kg_co2e: '839.415173' }),
      ledgerEntry({ id: 704, contact: 'Northern Power', description: 'Electricity, April', net_amount: '180.00', kg_co2e: '20.000000' }),
      ledgerEntry({ id: 705, contact: 'Unknown', description: 'Unmapped line', net_amount: '50.00', status: 'unmapped', kg_co2e: null }),
    ]);
    return b;
  }

  it('counts the quantity the amount buys at the price, with the supplier factor beside, and says how', async () => {
    const b = bills();
    const [e] = await b.decideEntries(
      [701],
      { ...estimate('0.245'), market_factor: '0.05', market_factor_source: 'Supplier disclosure' },
      null,
      null,
    );
    // 512.34 / 0.245 = 2091.1836734… → 2091.183673 kWh; × 0.20705 = 432.97957949… → 432.979579 kg;
    // × 0.05 = 104.55918365 → 104.559184 kg market-based.
    expect(e!.status).toBe('counted');
    expect(e!.scope).toBe(2);
    expect(e!.kg_co2e).toBe('432.979579');
    expect(e!.market_kg_co2e).toBe('104.559184');
    expect(e!.reason).toBe(
      'estimated from spend: 512.34 GBP at 0.245 GBP per kWh (DESNZ Quarterly Energy Prices, non-domestic, 2024) = 2091.183673 kWh × 0.20705 kg CO2e per kWh; market-based 0.05 kg CO2e per kWh (Supplier disclosure) = 104.559184 kg CO2e',
    );
    const d = (await b.entryDetail(701)).decision!;
    expect(d).toMatchObject({ quantity: null, unit_price: '0.245', unit_price_currency: 'GBP', unit_price_source: PRICE_SOURCE });
    expect(d).toMatchObject({ market_factor: '0.05', market_factor_source: 'Supplier disclosure' });
  });

  it('counts a refund negative, its quantity from the amount without the sign', async () => {
    const b = bills();
    const [e] = await b.decideEntries([702], estimate('0.25', 'gbp'), null, null);
    // 100.00 / 0.25 = 400 kWh (the quotient comes out even: no places); × 0.20705 = 82.82 kg, negative.
    expect(e!.kg_co2e).toBe('-82.820000');
    expect(e!.market_kg_co2e).toBeNull();
    expect(e!.reason).toBe(`estimated from spend: 100.00 GBP at 0.25 GBP per kWh (${PRICE_SOURCE}) = 400 kWh × 0.20705 kg CO2e per kWh`);
    // The currency is kept as the application keeps it: upper case.
    expect((await b.entryDetail(702)).decision?.unit_price_currency).toBe('GBP');
  });

  it('keeps an estimate first in the queue, reviewed, until the measured quantity is given', async () => {
    const b = bills();
    await b.decideEntries([701], estimate('0.245'), null, null);
    let q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.items.map((i) => [i.entry.id, i.why])).toEqual([
      [701, 'estimated'],
      [705, 'unmapped'],
      [703, 'not_reviewed'],
      [704, 'not_reviewed'],
      [702, 'not_reviewed'],
    ]);
    expect(q.items[0]!.seen).toBeNull();
    expect(q.progress.reviewed).toBe(1);
    expect(q.progress.kg_co2e_reviewed).toBe('432.979579');

    // A line changed since the estimate comes before it.
    await b.decideEntries([703], NONE, null, null);
    await b.changeLine(703, { net_amount: '2933.33' });
    q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.items.slice(0, 2).map((i) => [i.entry.id, i.why])).toEqual([
      [703, 'changed_since_review'],
      [701, 'estimated'],
    ]);

    // The bill arrives: 2,100 kWh measured.
    const [e] = await b.decideEntries([701], electricity({ quantity: '2100' }), null, null);
    expect(e!.kg_co2e).toBe('434.805000');
    expect(e!.reason).toBe('activity data: 2100 kWh × 0.20705 kg CO2e per kWh');
    q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.items.some((i) => i.entry.id === 701)).toBe(false);
    expect(q.progress.reviewed).toBe(1);
    // The decision no longer carries the price.
    expect((await b.entryDetail(701)).decision).toMatchObject({ quantity: '2100', unit_price: null, unit_price_currency: null, unit_price_source: null });
  });

  it('keeps a measured quantity’s market-based kg beside the location-based kg', async () => {
    const b = bills();
    const [e] = await b.decideEntries([704], electricity({ quantity: '1000', market_factor: '0.1', market_factor_source: 'contract' }), null, null);
    // 1000 × 0.20705 = 207.05 kg location-based; 1000 × 0.1 = 100 kg market-based.
    expect(e!.kg_co2e).toBe('207.050000');
    expect(e!.market_kg_co2e).toBe('100.000000');
    // In the reason, the product has the places of its factors, as the application writes it.
    expect(e!.reason).toBe('activity data: 1000 kWh × 0.20705 kg CO2e per kWh; market-based 0.1 kg CO2e per kWh (contract) = 100.0 kg CO2e');
    // A decision without a factor has no market-based kg: the location-based kg stands for both.
    const [again] = await b.decideEntries([704], electricity({ quantity: '1000', market_factor_source: 'ignored' }), null, null);
    expect(again!.market_kg_co2e).toBeNull();
    expect((await b.entryDetail(704)).decision?.market_factor_source).toBeNull();
    const trail = (await b.entryDetail(704)).history;
    expect(JSON.parse(trail[1]!.after!)).toMatchObject({ market_factor: '0.1', market_factor_source: 'contract', unit_price: null });
  });

  it('refuses a price in another currency than the entry’s, and changes nothing', async () => {
    const b = bills();
    const e = await refusal(b.decideEntries([701], estimate('0.3', 'USD'), null, null));
    expect(e.code).toBe('invalid_review');
    expect(e.message).toBe('Entry 701 is in GBP, and the price is in USD: give a price in GBP for it, or decide it on its own.');
    expect((await b.entryDetail(701)).decision).toBeNull();
  });

  it('refuses a market-based factor for anything but purchased electricity', async () => {
    const b = bills();
    const e = await refusal(
      b.decideEntries(
        [704],
        { ...NONE, action: 'activity', activity: 'diesel', quantity: '10', quantity_unit: 'litres', market_factor: '1', market_factor_source: 'x' },
        null,
        null,
      ),
    );
    expect(e.message).toBe(
      'A market-based factor is for purchased electricity, heat or steam (Scope 2), not Diesel (average biofuel blend) burnt in owned vehicles or plant.',
    );
    expect((await b.entryDetail(704)).decision).toBeNull();
  });

  it('refuses an estimate that is not one, in the application’s words', async () => {
    const b = bills();
    const message = async (c: Classification) => (await refusal(b.decideEntries([701], c, null, null))).message;
    expect(await message({ ...estimate('0.245'), quantity: '2000' })).toBe(
      'Give either the quantity or a price per unit to estimate it from the amount, not both.',
    );
    expect(await message(estimate('0'))).toBe('The price per unit must be more than zero.');
    expect(await message(estimate('0.245', 'pounds'))).toBe('Say which currency the price per kWh is in (e.g. GBP).');
    expect(await message(estimate('0.245', 'GBP', '  '))).toBe(
      'Say where the price per kWh comes from (e.g. DESNZ Quarterly Energy Prices, non-domestic, 2024): an estimate states its source.',
    );
    expect(await message(electricity({ quantity: '10', market_factor: '0.05' }))).toBe(
      "Say where the market-based factor comes from (the supplier's fuel mix disclosure, a contract or certificates).",
    );
    expect(await message(electricity({ quantity: '10', market_factor: '-0.05', market_factor_source: 'x' }))).toBe(
      'A market-based factor cannot be negative.',
    );
    expect((await b.entryDetail(701)).decision).toBeNull();
  });
});

describe('fake split of a line between categories', () => {
  const part = (share_percent: string, factor_code: string, category: string | null = null, scope3_category: number | null = null) => ({
    share_percent,
    factor_code,
    category,
    scope3_category,
  });
  const split = (...parts: ReturnType<typeof part>[]): Classification => ({ ...NONE, action: 'split', parts });
  /** Flights 60 %, the hotel 40 %. */
  const TRIP = split(part('60', '481111', 'Air travel', 6), part('40', '721110', 'Hotel stays', 6));

  /** A travel agent's invoice of 1,000.00 GBP (a flight and a hotel on one line) and an unrelated bill, of Harbour & Pine Ltd in 2024. */
  function trip(): FakeBackend {
    const b = new FakeBackend({ entriesPerOrg: 10, now: NOW });
    b.setLedger([
      ledgerEntry({ id: 901, contact: 'Clarity Business Travel', description: 'Trip to Leeds: flight and hotel', net_amount: '1000.00' }),
      ledgerEntry({ id: 902, contact: 'Paperworks Supplies', description: 'Paper', net_amount: '50.00', kg_co2e: '6.684516' }),
    ]);
    return b;
  }

  /** The entries of line 901 in the ledger: its parts, in part order. */
  async function partsOf(b: FakeBackend) {
    const page = await b.ledgerPage(EMPTY_FILTER, 0, 100);
    return page.entries.filter((e) => e.contact === 'Clarity Business Travel').sort((x, y) => x.part_no - y.part_no);
  }

  it('counts each part on its share of the amount with its own factor, exactly as a reclassification of that amount', async () => {
    const b = trip();
    const totalBefore = (await b.emissionsSummary(EMPTY_FILTER, null)).totals;
    const [first] = await b.decideEntries([901], TRIP, 'one invoice, two things', null);
    expect(first!.id).toBe(901);
    const parts = await partsOf(b);
    expect(parts).toHaveLength(2);
    const [flight, hotel] = parts as [(typeof parts)[0], (typeof parts)[0]];
    // The first part keeps the line's id; the other is a new entry.
    expect(flight.id).toBe(901);
    expect(hotel.id).not.toBe(901);
    expect(hotel.id).not.toBe(902);

    // 1000.00 × 60 ÷ 100 = 600.00 and 1000.00 × 40 ÷ 100 = 400.00: together the line, exactly.
    expect([flight.net_amount, hotel.net_amount]).toEqual(['600.00', '400.00']);
    expect([flight.part_amount, hotel.part_amount]).toEqual(['600.00', '400.00']);
    expect(dec(flight.net_amount).plus(dec(hotel.net_amount)).eq(dec('1000.00'))).toBe(true);
    expect([flight.line_net_amount, hotel.line_net_amount]).toEqual(['1000.00', '1000.00']);
    expect([flight.part_no, hotel.part_no]).toEqual([0, 1]);
    expect([flight.share_percent, hotel.share_percent]).toEqual(['60', '40']);

    // 600.00 GBP × 1.2781 × 117.996 / 125.224 = 722.59640771…; × 0.644 = 465.35208656… → 465.352087.
    expect(flight.amount_usd_2022).toBe('722.596408');
    expect(flight.kg_co2e).toBe('465.352087');
    // 400.00 GBP × 1.2781 × 117.996 / 125.224 = 481.73093847…; × 0.145 = 69.85098607… → 69.850986.
    expect(hotel.amount_usd_2022).toBe('481.730938');
    expect(hotel.kg_co2e).toBe('69.850986');
    expect(flight).toMatchObject({ status: 'counted', category: 'Air travel', factor_code: '481111', scope: 3, scope3_category: 6 });
    expect(hotel).toMatchObject({ status: 'counted', category: 'Hotel stays', factor_code: '721110', scope: 3, scope3_category: 6 });
    expect(flight.reason).toBe('split: 60 % of 1000.00 GBP');
    expect(hotel.reason).toBe('split: 40 % of 1000.00 GBP');
    expect(flight.decision_id).not.toBeNull();
    expect(hotel.decision_id).toBe(flight.decision_id);

    // The same as reclassifying lines of each part's amount.
    const alone = new FakeBackend({ entriesPerOrg: 10, now: NOW });
    alone.setLedger([ledgerEntry({ id: 1, net_amount: '600.00' }), ledgerEntry({ id: 2, net_amount: '400.00' })]);
    const [asFlight] = await alone.decideEntries([1], reclassify('481111'), null, null);
    const [asHotel] = await alone.decideEntries([2], reclassify('721110'), null, null);
    expect([flight.kg_co2e, hotel.kg_co2e]).toEqual([asFlight!.kg_co2e, asHotel!.kg_co2e]);

    // The totals count the parts, not the line: the mapping's kilograms of the line go.
    const totalAfter = (await b.emissionsSummary(EMPTY_FILTER, null)).totals;
    expect(totalAfter.counted).toBe(totalBefore.counted + 1);
    expect(dec(totalAfter.kg_co2e).eq(dec('465.352087').plus(dec('69.850986')).plus(dec('6.684516')))).toBe(true);

    // Both parts are reviewed; the spend reviewed is the line's.
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.items.map((i) => i.entry.id)).toEqual([902]);
    expect(q.progress).toMatchObject({ entries: 3, reviewed: 2, kg_co2e_reviewed: '535.203073' });
    const gbp = q.progress.spend.find((x) => x.currency === 'GBP')!;
    expect(dec(gbp.total).eq(dec('1050.00'))).toBe(true);
    expect(dec(gbp.reviewed).eq(dec('1000.00'))).toBe(true);

    // The decision keeps the parts, filled in as the application fills them; the trail says split.
    const detail = await b.entryDetail(hotel.id);
    expect(detail.decision).toMatchObject({ action: 'split', entry_id: 901, category: null, factor_code: null, note: 'one invoice, two things' });
    expect(detail.decision!.seen).toEqual({ date: '2024-01-15', net_amount: '1000.00', account_code: '453', deleted: false });
    expect(detail.decision!.parts).toEqual([part('60', '481111', 'Air travel', 6), part('40', '721110', 'Hotel stays', 6)]);
    const history = (await b.entryDetail(901)).history;
    expect(history.map((h) => h.action)).toEqual(['entry_split']);
    expect(JSON.parse(history[0]!.after!)).toMatchObject({ action: 'split', parts: [{ share_percent: '60' }, { share_percent: '40' }] });
  });

  it('fills a part’s category with the factor’s title and its Scope 3 category with the factor’s (flights and hotels 6, supplies 1), and keeps the places of an amount that needs them', async () => {
    const b = new FakeBackend({ entriesPerOrg: 10, now: NOW });
    b.setLedger([ledgerEntry({ id: 911, net_amount: '1000.01' })]);
    await b.decideEntries([911], split(part('60', '481111'), part('25.5', '721110'), part('14.5', '453210')), null, null);
    const parts = (await b.ledgerPage(EMPTY_FILTER, 0, 10)).entries.sort((x, y) => x.part_no - y.part_no);
    // 1000.01 × 60 = 60000.60, ÷ 100 = 600.006 (three places where the product has two);
    // 1000.01 × 25.5 = 25500.255, ÷ 100 = 255.00255; 1000.01 × 14.5 = 14500.145, ÷ 100 = 145.00145.
    expect(parts.map((p) => p.net_amount)).toEqual(['600.006', '255.00255', '145.00145']);
    expect(dec(sumDecimals(parts.map((p) => p.net_amount))).eq(dec('1000.01'))).toBe(true);
    expect(parts.map((p) => [p.category, p.scope3_category])).toEqual([
      ['Scheduled Passenger Air Transportation', 6],
      ['Hotels (except Casino Hotels) and Motels', 6],
      ['Office Supplies and Stationery Stores', 1],
    ]);
    expect(parts[1]!.reason).toBe('split: 25.5 % of 1000.01 GBP');
  });

  it('refuses shares that do not add up to 100, and other splits that are not one, in the application’s words', async () => {
    const b = trip();
    const message = async (c: Classification) => (await refusal(b.decideEntries([901], c, null, null))).message;
    expect(await message(split(part('60', '481111'), part('30', '721110')))).toBe(
      "The parts' shares add up to 90 %, not 100 %: change them so the whole line is counted once.",
    );
    expect(await message(split(part('60.50', '481111'), part('40.00', '721110')))).toBe(
      "The parts' shares add up to 100.5 %, not 100 %: change them so the whole line is counted once.",
    );
    expect(await message(split(part('100', '481111')))).toBe(
      'Give at least two parts to split an entry, each as a share in percent and a factor (e.g. 60% 481111 and 40% 721110).',
    );
    expect(await message(split(part('100', '481111'), part('0', '721110')))).toBe("Part 2's share must be more than 0 %.");
    expect(await message(split(part('60', '481111'), part('40', '999999')))).toBe(
      'Part 2: factor "999999" is not in US EPA Supply Chain GHG Emission Factors (USEEIO v2.2) v1.3.0; `carbonsync factors TEXT` finds the right code.',
    );
    expect(await message(split(part('60', '481111', null, 16), part('40', '721110')))).toMatch(/numbers them 1 to 15/);
    const e = await refusal(b.decideEntries([901], split(part('60', '481111'), part('30', '721110')), null, null));
    expect(e.code).toBe('invalid_review');
    // Nothing changed.
    expect((await b.entryDetail(901)).decision).toBeNull();
    expect((await b.ledgerPage(EMPTY_FILTER, 0, 10)).total).toBe(2);
    // A rule cannot split.
    const rule: RuleInput = {
      name: 'Travel',
      match: { platform: null, supplier: 'Clarity Business Travel', account_code: null, description_contains: null, amount_min: null, amount_max: null },
      classification: TRIP,
    };
    expect((await refusal(b.previewRule(rule, null))).message).toBe(
      'A rule reclassifies or excludes; shares belong to one line, so split each entry in the review.',
    );
  });

  it('folds the parts back into one entry with the whole amount when the line is decided whole', async () => {
    const b = trip();
    await b.decideEntries([901], TRIP, null, null);
    const hotelId = (await partsOf(b))[1]!.id;

    // Reclassified whole, from the hotel part: one entry again, the line's, with its id.
    const [whole] = await b.decideEntries([hotelId], reclassify('481111', 'Air travel', 6), null, null);
    expect(whole!.id).toBe(901);
    const parts = await partsOf(b);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ id: 901, net_amount: '1000.00', line_net_amount: null, part_no: 0, share_percent: null, part_amount: null });
    // 1000.00 GBP × 1.2781 × 117.996 / 125.224 = 1204.32734619…; × 0.644 = 775.58681094… → 775.586811.
    expect(parts[0]!.kg_co2e).toBe('775.586811');
    expect(parts[0]!.reason).toBeNull();
    expect((await refusal(b.entryDetail(hotelId))).code).toBe('no_such_entry');
    expect((await b.emissionsSummary(EMPTY_FILTER, null)).totals.counted).toBe(2);
    // The trail names the entry the decision was made on, as the application's does.
    expect((await b.entryDetail(901)).history.map((h) => h.action)).toEqual(['entry_split']);

    // Split again, then included again: the mapping counts the whole line as it did.
    await b.decideEntries([901], TRIP, null, null);
    expect(await partsOf(b)).toHaveLength(2);
    const [back] = await b.undoDecisions([901], null);
    expect(back).toMatchObject({ id: 901, net_amount: '1000.00', line_net_amount: null, share_percent: null, decision_id: null, kg_co2e: '13.6907' });
    expect(await partsOf(b)).toHaveLength(1);
  });

  it('keeps the parts’ ids when the line is split again, and returns every part to the queue when the platform changes the line', async () => {
    const b = trip();
    await b.decideEntries([901], TRIP, null, null);
    const hotelId = (await partsOf(b))[1]!.id;
    await b.decideEntries([901], split(part('50', '481111'), part('30', '721110'), part('20', '453210')), null, null);
    let parts = await partsOf(b);
    expect(parts.map((p) => p.id).slice(0, 2)).toEqual([901, hotelId]);
    expect(parts.map((p) => p.net_amount)).toEqual(['500.00', '300.00', '200.00']);
    // In two parts again: the third goes.
    await b.decideEntries([901], TRIP, null, null);
    parts = await partsOf(b);
    expect(parts.map((p) => p.id)).toEqual([901, hotelId]);

    await b.changeLine(901, { net_amount: '1100.00' });
    parts = await partsOf(b);
    // Counted anew on the new amount, with the same shares.
    expect(parts.map((p) => [p.net_amount, p.line_net_amount])).toEqual([
      ['660.00', '1100.00'],
      ['440.00', '1100.00'],
    ]);
    const q = await b.reviewQueue(EMPTY_FILTER, 0, 100);
    expect(q.items.slice(0, 2).map((i) => [i.entry.id, i.why])).toEqual(
      expect.arrayContaining([
        [901, 'changed_since_review'],
        [hotelId, 'changed_since_review'],
      ]),
    );
    // What the decision saw is the whole line.
    expect(q.items[0]!.seen).toMatchObject({ net_amount: '1000.00' });
    expect(q.progress.changed_since_review).toBe(2);
  });
});
