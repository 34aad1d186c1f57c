import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { ledgerEntry } from '../backend/ledger.fixture';
import { RECORDED } from '../backend/recorded';
import { EMPTY_FILTER } from '../backend/types';
import type { Classification } from '../bindings/Classification';
import type { RuleInput } from '../bindings/RuleInput';
import { formatKg, formatKgNumber } from '../lib/format';
import { renderApp } from '../test/render';

const NOW = Date.parse('2025-01-15T12:00:00Z');

/** Entries that are purchases: the whole of the review before anyone decides anything. */
const IN_REVIEW = RECORDED.ledger.entries.filter((e) => e.status !== 'excluded');

const ACCEPT: Classification = {
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

const rent = (name: string, classification: Classification): RuleInput => ({
  name,
  match: {
    platform: null,
    supplier: 'Albion Property Management',
    account_code: null,
    description_contains: null,
    amount_min: null,
    amount_max: null,
  },
  classification,
});

/**
 * Reclassifies one of Albion Property Management's rents (entry 12) as rent of premises (531120) under `category`, from
 * the queue; the Scope 3 category is the factor's own, 8 (upstream leased assets).
 */
async function reclassifyRent(user: ReturnType<typeof userEvent.setup>, category: string): Promise<void> {
  await user.click(await screen.findByTestId('review-select-12'));
  await user.click(screen.getByTestId('review-reclassify'));
  await user.type(await screen.findByTestId('factor-search'), '531120');
  await user.click(await screen.findByTestId('factor-option-531120'));
  expect(screen.getByTestId('reclassify-scope3')).toHaveValue('8');
  await user.clear(screen.getByTestId('reclassify-category'));
  await user.type(screen.getByTestId('reclassify-category'), category);
  await user.click(screen.getByTestId('reclassify-save'));
}

function rowIds(): number[] {
  return within(screen.getByTestId('review-queue'))
    .getAllByRole('row')
    .slice(1)
    .map((r) => Number(r.getAttribute('data-testid')!.replace('review-row-', '')));
}

describe('the Review page', { timeout: 15_000 }, () => {
  it('is in the navigation between Emissions and Report', async () => {
    renderApp({ hash: '#/review' });
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const links = within(nav).getAllByRole('link').map((a) => a.getAttribute('data-testid'));
    expect(links.indexOf('nav-review')).toBe(links.indexOf('nav-emissions') + 1);
    expect(links.indexOf('nav-report')).toBe(links.indexOf('nav-review') + 1);
    expect(screen.getByTestId('nav-review')).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByRole('heading', { name: 'Review', level: 1 })).toBeInTheDocument();
  });

  it('shows the progress and the queue, unmapped entries first and the rest by kg CO2e', async () => {
    renderApp({ hash: '#/review' });
    const progress = await screen.findByTestId('review-progress');
    expect(progress).toHaveTextContent(`0 of ${IN_REVIEW.length} entries reviewed`);
    expect(progress).toHaveTextContent('0% of kg CO2e');
    expect(progress).toHaveTextContent('0% of GBP spend');
    expect(screen.getByRole('progressbar', { name: 'Entries reviewed' })).toHaveAttribute('aria-valuenow', '0');
    const ids = rowIds();
    expect(ids).toHaveLength(IN_REVIEW.length);
    const unmapped = IN_REVIEW.filter((e) => e.status === 'unmapped').length;
    // The largest unmapped line first: 15,044.26 CAD of hiking boots.
    expect(ids[0]).toBe(47);
    const first = screen.getByTestId('review-row-47');
    expect(within(first).getByText('Unmapped')).toBeInTheDocument();
    expect(first).toHaveTextContent('15,044.26');
    expect(first).toHaveTextContent('CAD');
    // Then the counted ones, largest first: January's rent in San Francisco, 2,051.4 kg.
    expect(ids[unmapped]).toBe(29);
    const firstCounted = screen.getByTestId('review-row-29');
    expect(within(firstCounted).getByText('Not reviewed')).toBeInTheDocument();
    expect(firstCounted).toHaveTextContent('2,051.4');
  });

  it('reclassifies an entry with a factor found by name: its kilograms change exactly and the progress rises', async () => {
    const user = userEvent.setup();
    // The emissions are read first, and kept while the review changes them.
    const { backend } = renderApp({ hash: '#/emissions' });
    const totalBefore = (await backend.emissionsSummary(EMPTY_FILTER, null)).totals.kg_co2e;
    expect(await screen.findByTestId('total-kg', {}, { timeout: 5000 })).toHaveTextContent(formatKg(totalBefore));
    window.location.hash = '#/review';
    await screen.findByTestId('review-row-13', {}, { timeout: 5000 });
    await user.click(screen.getByTestId('review-select-13'));
    await user.click(screen.getByTestId('review-reclassify'));
    const dialog = await screen.findByRole('dialog', { name: 'Reclassify 1 entry' });
    expect(screen.getByTestId('factor-search')).toHaveFocus();
    await user.type(screen.getByTestId('factor-search'), 'hotels');
    const option = await within(dialog).findByTestId('factor-option-721110');
    expect(option).toHaveTextContent('Hotels (except Casino Hotels) and Motels');
    expect(option).toHaveTextContent('0.145 kg CO2e/2022 USD, purchaser price');
    expect(option).toHaveTextContent('US EPA Office of Research and Development');
    await user.click(option);
    // The category is the factor's title until it is named, and the Scope 3 category the
    // factor's own: a hotel is business travel.
    expect(screen.getByTestId('reclassify-category')).toHaveValue('Hotels (except Casino Hotels) and Motels');
    expect(screen.getByTestId('reclassify-scope3')).toHaveValue('6');
    await user.clear(screen.getByTestId('reclassify-category'));
    await user.type(screen.getByTestId('reclassify-category'), 'Hotel stays');
    await user.type(screen.getByTestId('review-note'), 'a hotel, not a taxi');
    await user.click(screen.getByTestId('reclassify-save'));

    await waitFor(() => expect(screen.queryByTestId('review-row-13')).not.toBeInTheDocument());
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await screen.findByText('Reclassified 1 entry as Hotel stays')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('review-progress')).toHaveTextContent(`1 of ${IN_REVIEW.length} entries reviewed`));
    // 122.77 GBP × 1.2781 × 117.996 / 125.224 × 0.145 = 21.439014 kg CO2e.
    const detail = await backend.entryDetail(13);
    expect(detail.entry.kg_co2e).toBe('21.439014');
    expect(detail.entry.category).toBe('Hotel stays');
    expect(detail.entry.scope3_category).toBe(6);
    expect(detail.decision?.note).toBe('a hotel, not a taxi');

    // The emissions' totals are read again.
    window.location.hash = '#/emissions';
    const total = (await backend.emissionsSummary(EMPTY_FILTER, null)).totals.kg_co2e;
    expect(total).not.toBe(totalBefore);
    await waitFor(() => expect(screen.getByTestId('total-kg')).toHaveTextContent(formatKg(total)), { timeout: 5000 });
  });

  it('keeps the Scope 3 category a person chose when the factor changes after it', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/review' });
    await user.click(await screen.findByTestId('review-select-13'));
    await user.click(screen.getByTestId('review-reclassify'));
    const dialog = await screen.findByRole('dialog', { name: 'Reclassify 1 entry' });
    await user.type(screen.getByTestId('factor-search'), 'couriers');
    await user.click(await within(dialog).findByTestId('factor-option-492110'));
    // Couriers bought by the company are upstream transportation and distribution.
    expect(screen.getByTestId('reclassify-scope3')).toHaveValue('4');
    await user.selectOptions(screen.getByTestId('reclassify-scope3'), '9');
    await user.clear(screen.getByTestId('factor-search'));
    await user.type(screen.getByTestId('factor-search'), 'taxi');
    await user.click(await within(dialog).findByTestId('factor-option-485310'));
    expect(screen.getByTestId('reclassify-scope3')).toHaveValue('9');
    await user.click(screen.getByTestId('reclassify-save'));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const e = (await backend.entryDetail(13)).entry;
    expect(e.factor_code).toBe('485310');
    expect(e.scope3_category).toBe(9);
  });

  it('refuses to exclude without a reason, in the application’s words, then excludes with one', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/review' });
    await user.click(await screen.findByTestId('review-select-11'));
    await user.click(screen.getByTestId('review-select-3'));
    await user.click(screen.getByTestId('review-exclude'));
    const dialog = await screen.findByRole('dialog', { name: 'Exclude 2 entries' });
    await user.click(screen.getByTestId('exclude-save'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(/Say why the entry is excluded/);
    expect(screen.getByTestId('review-row-11')).toBeInTheDocument();
    await user.type(screen.getByTestId('exclude-reason'), 'team meals are not counted');
    await user.click(screen.getByTestId('exclude-save'));
    await waitFor(() => expect(screen.queryByTestId('review-row-11')).not.toBeInTheDocument());
    expect(screen.queryByTestId('review-row-3')).not.toBeInTheDocument();
    expect(screen.getByTestId('review-progress')).toHaveTextContent(`2 of ${IN_REVIEW.length} entries reviewed`);
    // Two entries: no offer to apply to similar ones.
    expect(screen.queryByTestId('apply-to-similar')).not.toBeInTheDocument();
  });

  it('accepts the selection and counts it as reviewed', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/review' });
    await user.click(await screen.findByTestId('review-select-7'));
    await user.click(screen.getByTestId('review-accept'));
    await waitFor(() => expect(screen.queryByTestId('review-row-7')).not.toBeInTheDocument());
    const e = (await backend.entryDetail(7)).entry;
    expect(e.kg_co2e).toBe(RECORDED.ledger.entries.find((x) => x.id === 7)!.kg_co2e);
    expect(e.decision_id).not.toBeNull();
  });

  it('applies a decision to similar entries: previews the change, saves the rule and lists it with its entries', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/review' });
    await reclassifyRent(user, 'Office rent');

    await user.click(await screen.findByTestId('apply-to-similar'));
    const dialog = await screen.findByRole('dialog', { name: 'Apply to similar entries' });
    expect(screen.getByTestId('rule-name')).toHaveValue('Albion Property Management: Office rent');
    expect(screen.getByTestId('rule-supplier')).toHaveValue('Albion Property Management');
    expect(screen.getByTestId('rule-platform')).toHaveValue('xero');
    await user.click(screen.getByTestId('rule-preview'));
    // The other three rents; the one decided keeps its decision.
    expect(await screen.findByTestId('rule-preview-count')).toHaveTextContent('Saving it would change 3 entries');
    // Each changes what it counts: the category is the person's.
    expect(screen.queryByTestId('rule-preview-same-result')).not.toBeInTheDocument();
    expect(within(dialog).getAllByTestId(/^rule-preview-\d+$/)).toHaveLength(3);
    expect(within(dialog).queryByTestId('rule-preview-12')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('rule-save'));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const row = within(await screen.findByTestId('rules-list')).getByTestId('rule-row-1');
    expect(row).toHaveTextContent('Albion Property Management: Office rent');
    expect(row).toHaveTextContent('supplier Albion Property Management');
    expect(row).toHaveTextContent('Decides 3 entries');
    await waitFor(() => expect(screen.getByTestId('review-progress')).toHaveTextContent(`4 of ${IN_REVIEW.length} entries reviewed`));
    for (const id of [1, 4, 8, 12]) expect(screen.queryByTestId(`review-row-${id}`)).not.toBeInTheDocument();
  });

  it('says which entries a rule would only take over, keeping what they count', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/review' });
    // The mapping counts the rents as rent of premises (531120, Scope 3 category 8); the
    // person says the same of one of them and applies it to the similar ones.
    await reclassifyRent(user, 'Rent of premises');
    await user.click(await screen.findByTestId('apply-to-similar'));
    await screen.findByRole('dialog', { name: 'Apply to similar entries' });
    await user.click(screen.getByTestId('rule-preview'));
    expect(await screen.findByTestId('rule-preview-count')).toHaveTextContent('Saving it would change 3 entries');
    expect(screen.getByTestId('rule-preview-same-result')).toHaveTextContent(
      'Of them, 3 entries keep the results they have and only become decided by this rule.',
    );
  });

  it('refuses a rule that matches nothing in particular, in words', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await backend.decideEntries([21], { ...ACCEPT, action: 'reclassify', factor_code: '481111', category: 'Air travel' }, null, null);
    renderApp({ backend, hash: '#/review/entry/21' });
    await user.click(await screen.findByTestId('apply-to-similar'));
    await screen.findByRole('dialog', { name: 'Apply to similar entries' });
    await user.clear(screen.getByTestId('rule-supplier'));
    await user.selectOptions(screen.getByTestId('rule-platform'), '');
    await user.click(screen.getByTestId('rule-preview'));
    expect(await screen.findByRole('alert')).toHaveTextContent(/Say what the rule matches/);
    expect(screen.queryByTestId('rule-preview-count')).not.toBeInTheDocument();
  });

  it('lists rules in their order, moves and deletes them', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await backend.addRule(rent('Rent', { ...ACCEPT, action: 'reclassify', factor_code: '531120', category: 'Office rent' }), null);
    await backend.addRule(rent('Shared office', { ...ACCEPT, action: 'exclude', reason: 'the landlord reports it' }), null);
    renderApp({ backend, hash: '#/review' });
    const list = await screen.findByTestId('rules-list');
    const names = () => within(list).getAllByRole('listitem').map((li) => li.querySelector('.strong')!.textContent);
    expect(names()).toEqual(['Rent', 'Shared office']);
    expect(screen.getByTestId('rule-row-1')).toHaveTextContent('Decides 4 entries');
    expect(screen.getByTestId('rule-row-2')).toHaveTextContent('Decides 0 entries');
    await user.click(screen.getByRole('button', { name: 'Move “Shared office” up' }));
    await waitFor(() => expect(names()).toEqual(['Shared office', 'Rent']));
    await waitFor(() => expect(screen.getByTestId('rule-row-2')).toHaveTextContent('Decides 4 entries'));
    expect((await backend.entryDetail(12)).entry.status).toBe('excluded');

    await user.click(screen.getByRole('button', { name: 'Delete “Shared office”' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete the rule “Shared office”?' });
    expect(confirm).toHaveTextContent('The 4 entries it decides go back');
    await user.click(screen.getByTestId('rule-delete-confirm'));
    await waitFor(() => expect(screen.queryByTestId('rule-row-2')).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getByTestId('rule-row-1')).toHaveTextContent('Decides 4 entries'));
  });

  it('edits a rule with a preview of what the change does', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await backend.addRule(rent('Rent', { ...ACCEPT, action: 'exclude', reason: 'the landlord reports it' }), null);
    renderApp({ backend, hash: '#/review' });
    await user.click(await screen.findByRole('button', { name: 'Edit “Rent”' }));
    await screen.findByRole('dialog', { name: 'Change the rule' });
    await user.type(screen.getByTestId('rule-description'), '2024');
    await user.click(screen.getByTestId('rule-preview'));
    // The 2023 rents are counted again.
    expect(await screen.findByTestId('rule-preview-count')).toHaveTextContent(
      `Saving it would change 2 entries: 0.0 kg CO2e now → ${formatKg('1599.645618')} after.`,
    );
    await user.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(screen.getByTestId('rule-row-1')).toHaveTextContent('Decides 2 entries'));
  });

  it('shows an entry with its numbers, its decision and its history; a decision outranks a rule, and can be taken back', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await backend.decideEntries([12], { ...ACCEPT, action: 'exclude', reason: 'paid twice, refunded' }, 'see the credit note', 'checked with finance');
    await backend.addRule(rent('Rent', { ...ACCEPT, action: 'reclassify', factor_code: '531120', category: 'Office rent' }), null);
    renderApp({ backend, hash: '#/review/entry/12' });

    const detail = await screen.findByTestId('entry-detail');
    expect(screen.getByTestId('entry-kg')).toHaveTextContent('Nothing counted');
    expect(screen.getByTestId('entry-decided-by')).toHaveTextContent('Excluded: paid twice, refunded — you');
    expect(screen.getByTestId('entry-decided-by')).toHaveTextContent('Note: see the credit note');
    expect(detail).toHaveTextContent('2833.33');
    const history = screen.getByTestId('entry-history');
    expect(within(history).getAllByRole('row')).toHaveLength(2);
    expect(history).toHaveTextContent('Excluded');
    expect(history).toHaveTextContent('checked with finance');

    await user.type(screen.getByTestId('review-note'), 'the refund was for another month');
    await user.click(screen.getByTestId('review-include'));
    // The rule decides it now, counted again with the rent factor.
    await waitFor(() => expect(screen.getByTestId('entry-decided-by')).toHaveTextContent('The rule “Rent”'));
    expect(screen.getByTestId('entry-kg')).toHaveTextContent(formatKg(RECORDED.ledger.entries.find((e) => e.id === 12)!.kg_co2e));
    expect(detail).toHaveTextContent('531120 Lessors of Nonresidential Buildings (excpet Miniwarehouses)');
    expect(detail).toHaveTextContent('1.2781 USD/GBP');
    expect(detail).toHaveTextContent('0.942279435252');
    await waitFor(() => expect(within(screen.getByTestId('entry-history')).getAllByRole('row')).toHaveLength(3));
    expect(screen.getByTestId('entry-history')).toHaveTextContent('Took the decision back');
    expect(screen.getByTestId('entry-history')).toHaveTextContent('the refund was for another month');
  });

  it('puts a line the platform changed after its review first, saying what changed', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await backend.decideEntries([12], ACCEPT, null, null);
    await backend.changeLine(12, { net_amount: '2933.33' });
    renderApp({ backend, hash: '#/review' });
    const row = await screen.findByTestId('review-row-12');
    expect(rowIds()[0]).toBe(12);
    expect(within(row).getByText('Changed since review')).toBeInTheDocument();
    expect(screen.getByTestId('review-change-12')).toHaveTextContent('Since the decision: amount 2,833.33 → 2,933.33 GBP');
    expect(screen.getByText(/1 entry changed since review/)).toBeInTheDocument();
  });

  it('pages a long queue', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 10, now: NOW });
    backend.setLedger(Array.from({ length: 60 }, (_, i) => ledgerEntry({ kg_co2e: `${100 - i}.000000` })));
    renderApp({ backend, hash: '#/review' });
    await screen.findByTestId('review-queue');
    expect(rowIds()).toHaveLength(50);
    expect(screen.getByTestId('review-previous')).toBeDisabled();
    expect(screen.getByText('1–50 of 60')).toBeInTheDocument();
    await user.click(screen.getByTestId('review-next'));
    await waitFor(() => expect(rowIds()).toHaveLength(10));
    expect(screen.getByText('51–60 of 60')).toBeInTheDocument();
    expect(screen.getByTestId('review-next')).toBeDisabled();
    await user.click(screen.getByTestId('review-previous'));
    await waitFor(() => expect(rowIds()).toHaveLength(50));
  });

  it('counts an entry from activity data', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/review' });
    await user.click(await screen.findByTestId('review-select-10'));
    await user.click(screen.getByTestId('review-activity'));
    await screen.findByRole('dialog', { name: 'Add activity data for 1 entry' });
    await user.selectOptions(screen.getByTestId('activity-select'), 'diesel');
    expect(screen.getByTestId('activity-unit')).toHaveValue('litres');
    await user.type(screen.getByTestId('activity-quantity'), '41.5');
    await user.click(screen.getByTestId('activity-save'));
    await waitFor(() => expect(screen.queryByTestId('review-row-10')).not.toBeInTheDocument());
    // 41.5 litres × 2.51279 kg CO2e per litre.
    expect((await backend.entryDetail(10)).entry.kg_co2e).toBe('104.280785');
  });

  it('narrows the queue to a period and marks suppliers new in it', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/review' });
    await screen.findByTestId('review-queue');
    await user.type(screen.getByTestId('review-from'), '2024-11-01');
    await waitFor(() => expect(screen.queryByTestId('review-row-1')).not.toBeInTheDocument());
    expect(within(screen.getByTestId('review-row-21')).getByText('New supplier')).toBeInTheDocument();
  });
});

describe('activity data estimated from spend, and a supplier or contract factor', { timeout: 15_000 }, () => {
  /** Harbour & Pine Ltd’s bills, in pounds: two electricity bills, the rent (more kg), an unmapped line. */
  function bills(): FakeBackend {
    const backend = new FakeBackend({ entriesPerOrg: 10, now: NOW });
    backend.setLedger([
      ledgerEntry({ id: 801, contact: 'Northern Power', description: 'Electricity, March', net_amount: '512.34', kg_co2e: '60.000000' }),
      ledgerEntry({ id: 802, contact: 'Albion Property Management', description: 'Rent', net_amount: '2833.33', kg_co2e: '839.415173' }),
      ledgerEntry({ id: 803, contact: 'Northern Power', description: 'Electricity, April', net_amount: '180.00', kg_co2e: '20.000000' }),
      ledgerEntry({ id: 804, contact: 'Arnold Laver Timber', description: 'Walnut boards', net_amount: '50.00', status: 'unmapped', kg_co2e: null }),
    ]);
    return backend;
  }

  async function openActivityDialog(user: ReturnType<typeof userEvent.setup>, id: number) {
    await user.click(await screen.findByTestId(`review-select-${id}`));
    await user.click(screen.getByTestId('review-activity'));
    return screen.findByRole('dialog', { name: 'Add activity data for 1 entry' });
  }

  it('estimates an entry from its amount: counted at the price, first in the queue as estimated from spend', async () => {
    const user = userEvent.setup();
    const backend = bills();
    renderApp({ backend, hash: '#/review' });
    await screen.findByTestId('review-queue');
    expect(rowIds()).toEqual([804, 802, 801, 803]);

    const dialog = await openActivityDialog(user, 801);
    expect(screen.getByTestId('activity-select')).toHaveValue('electricity-uk');
    await user.click(within(dialog).getByRole('radio', { name: /Estimate from the amount/ }));
    // The price’s currency is the entry’s.
    expect(within(dialog).getByLabelText('Currency of the price')).toHaveValue('GBP');
    expect(within(dialog).getByTestId('activity-estimate-note')).toHaveTextContent('data quality 3');
    expect(within(dialog).getByTestId('activity-estimate-note')).toHaveTextContent('until someone gives the measured quantity');
    await user.type(within(dialog).getByLabelText('Price per kWh'), '0.245');
    await user.type(within(dialog).getByLabelText('Source of the price'), 'DESNZ Quarterly Energy Prices, non-domestic, 2024');
    await user.click(screen.getByTestId('activity-save'));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    // 512.34 GBP / 0.245 GBP per kWh = 2091.183673 kWh (to a millionth); × 0.20705 kg CO2e per kWh
    // = 432.97957949… → 432.979579 kg CO2e.
    await waitFor(() => expect(rowIds()[0]).toBe(801));
    const row = screen.getByTestId('review-row-801');
    expect(within(row).getByText('Estimated from spend')).toBeInTheDocument();
    expect(row).toHaveTextContent(formatKgNumber('432.979579'));
    expect(rowIds()).toEqual([801, 804, 802, 803]);
    // Counted as reviewed, and still in the queue until measured.
    expect(screen.getByTestId('review-progress')).toHaveTextContent('1 of 4 entries reviewed');
    expect(screen.getByTestId('review-estimates')).toHaveTextContent('1 estimate from spend waiting for the measured quantity');
    expect((await backend.entryDetail(801)).entry.kg_co2e).toBe('432.979579');

    // The entry says what the estimate rests on.
    window.location.hash = '#/review/entry/801';
    const estimate = await screen.findByTestId('entry-estimate');
    expect(estimate).toHaveTextContent('Estimated from the amount: 512.34 GBP at 0.245 GBP per kWh');
    expect(estimate).toHaveTextContent('Price from: DESNZ Quarterly Energy Prices, non-domestic, 2024');
    expect(screen.getByTestId('entry-kg')).toHaveTextContent(formatKg('432.979579'));
    expect(screen.getByTestId('entry-detail')).toHaveTextContent('2091.183673 kWh');
    expect(screen.getByTestId('entry-decided-by')).toHaveTextContent('Activity data: estimated from the amount at 0.245 GBP per kWh');
    expect(screen.queryByTestId('entry-market-kg')).not.toBeInTheDocument();
  });

  it('counts a measured quantity with the supplier’s factor, and shows the market-based kg', async () => {
    const user = userEvent.setup();
    const backend = bills();
    renderApp({ backend, hash: '#/review/entry/803' });
    await screen.findByTestId('entry-detail');
    await user.click(screen.getByTestId('review-activity'));
    const dialog = await screen.findByRole('dialog', { name: 'Add activity data for 1 entry' });
    // A supplier factor is for electricity only.
    await user.selectOptions(screen.getByTestId('activity-select'), 'diesel');
    expect(within(dialog).queryByLabelText(/Supplier or contract factor/)).not.toBeInTheDocument();
    await user.selectOptions(screen.getByTestId('activity-select'), 'electricity-uk');
    expect(within(dialog).getByRole('radio', { name: /Measured quantity/ })).toBeChecked();
    await user.type(screen.getByTestId('activity-quantity'), '1,000');
    await user.type(within(dialog).getByLabelText('Supplier or contract factor (kg CO2e per kWh)'), '0.1');
    // The factor needs its source: the application says so.
    await user.click(screen.getByTestId('activity-save'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Say where the market-based factor comes from');
    await user.type(within(dialog).getByLabelText('Source of the factor'), 'Renewable supply contract');
    await user.click(screen.getByTestId('activity-save'));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    // 1000 kWh × 0.20705 = 207.05 kg location-based; × 0.1 = 100 kg market-based.
    await waitFor(() => expect(screen.getByTestId('entry-kg')).toHaveTextContent(formatKg('207.050000')));
    const market = screen.getByTestId('entry-market-kg');
    expect(market).toHaveTextContent(formatKg('100.000000'));
    expect(market).toHaveTextContent('Supplier or contract factor 0.1 kg CO2e per kWh (Renewable supply contract)');
    expect(screen.getByTestId('entry-quantity')).toHaveTextContent('1000 kWh, measured');
    expect(screen.getByTestId('entry-detail')).toHaveTextContent('= emissions, market-based');
    expect((await backend.entryDetail(803)).entry.market_kg_co2e).toBe('100.000000');
  });

  it('refuses a price in another currency than the entry’s, in the application’s words', async () => {
    const user = userEvent.setup();
    const backend = bills();
    renderApp({ backend, hash: '#/review' });
    const dialog = await openActivityDialog(user, 801);
    await user.click(within(dialog).getByRole('radio', { name: /Estimate from the amount/ }));
    // A price that is not a number is caught before it is sent.
    await user.type(within(dialog).getByLabelText('Price per kWh'), '30p');
    await user.click(screen.getByTestId('activity-save'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Write the price per kWh as a number, like 0.245.');
    expect(within(dialog).getByLabelText('Price per kWh')).toHaveAttribute('aria-invalid', 'true');
    await user.clear(within(dialog).getByLabelText('Price per kWh'));
    await user.type(within(dialog).getByLabelText('Price per kWh'), '0.3');
    await user.clear(within(dialog).getByLabelText('Currency of the price'));
    await user.type(within(dialog).getByLabelText('Currency of the price'), 'usd');
    await user.type(within(dialog).getByLabelText('Source of the price'), 'US average, 2024');
    await user.click(screen.getByTestId('activity-save'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Entry 801 is in GBP, and the price is in USD: give a price in GBP for it, or decide it on its own.',
    );
    expect((await backend.entryDetail(801)).decision).toBeNull();
    expect(rowIds()).toEqual([804, 802, 801, 803]);
  });
});

describe('splitting a line between categories', { timeout: 20_000 }, () => {
  /** A travel agent’s invoice of 1,000.00 GBP (a flight and a hotel on one line), and a bill for paper. */
  function trip(): FakeBackend {
    const backend = new FakeBackend({ entriesPerOrg: 10, now: NOW });
    backend.setLedger([
      ledgerEntry({ id: 901, contact: 'Clarity Business Travel', description: 'Trip to Leeds: flight and hotel', net_amount: '1000.00' }),
      ledgerEntry({ id: 902, contact: 'Paperworks Supplies', description: 'Paper', net_amount: '50.00', kg_co2e: '6.684516' }),
    ]);
    return backend;
  }

  const TRIP: Classification = {
    ...ACCEPT,
    action: 'split',
    parts: [
      { share_percent: '60', factor_code: '481111', category: 'Air travel', scope3_category: 6 },
      { share_percent: '40', factor_code: '721110', category: 'Hotel stays', scope3_category: 6 },
    ],
  };

  it('splits an entry 60/40 with a factor for each part, the amounts shown as the shares are typed; shares short of 100 are refused', async () => {
    const user = userEvent.setup();
    const backend = trip();
    renderApp({ backend, hash: '#/review' });
    await screen.findByTestId('review-row-901');
    // One entry at a time.
    expect(screen.getByTestId('review-split')).toBeDisabled();
    await user.click(screen.getByTestId('review-select-901'));
    await user.click(screen.getByTestId('review-select-902'));
    expect(screen.getByTestId('review-split')).toBeDisabled();
    await user.click(screen.getByTestId('review-select-902'));
    await user.click(screen.getByTestId('review-split'));
    const dialog = await screen.findByRole('dialog', { name: 'Split 1,000.00 GBP between categories' });
    expect(screen.getByTestId('split-share-0')).toHaveFocus();

    // Part 1: 60 % of the line, a flight.
    const first = within(dialog).getByRole('group', { name: 'Part 1' });
    await user.type(within(first).getByLabelText('Share (%)'), '60');
    expect(within(first).getByTestId('split-amount-0')).toHaveTextContent('600.00 GBP');
    expect(screen.getByTestId('split-total')).toHaveTextContent('Total 60 % · 40 % of the line is in no part yet');
    await user.type(screen.getByTestId('split-factor-0-search'), 'air');
    const air = await within(dialog).findByTestId('split-factor-0-option-481111');
    expect(air).toHaveTextContent('Scheduled Passenger Air Transportation');
    expect(air).toHaveTextContent('0.644 kg CO2e/2022 USD, purchaser price');
    expect(air).toHaveTextContent('US EPA Office of Research and Development');
    await user.click(air);
    expect(screen.getByTestId('split-factor-0')).toHaveTextContent('481111 Scheduled Passenger Air Transportation');
    expect(within(first).getByLabelText('Category name')).toHaveValue('Scheduled Passenger Air Transportation');
    await user.clear(within(first).getByLabelText('Category name'));
    await user.type(within(first).getByLabelText('Category name'), 'Air travel');
    // A flight is business travel without anyone saying so.
    expect(within(first).getByLabelText('Scope 3 category')).toHaveValue('6');

    // Part 2: 30 % (too little), a hotel.
    const second = within(dialog).getByRole('group', { name: 'Part 2' });
    await user.type(within(second).getByLabelText('Share (%)'), '30');
    expect(within(second).getByTestId('split-amount-1')).toHaveTextContent('300.00 GBP');
    await user.click(screen.getByTestId('split-choose-1'));
    await user.type(screen.getByTestId('split-factor-1-search'), 'hotels');
    await user.click(await within(dialog).findByTestId('split-factor-1-option-721110'));
    expect(screen.getByTestId('split-total')).toHaveTextContent('Total 90 % · 10 % of the line is in no part yet');

    // The application refuses shares that do not add up to 100, in its words, in the dialog.
    await user.click(screen.getByTestId('split-save'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      "The parts' shares add up to 90 %, not 100 %: change them so the whole line is counted once.",
    );
    expect((await backend.entryDetail(901)).decision).toBeNull();

    await user.clear(within(second).getByLabelText('Share (%)'));
    await user.type(within(second).getByLabelText('Share (%)'), '40');
    expect(within(second).getByTestId('split-amount-1')).toHaveTextContent('400.00 GBP');
    expect(screen.getByTestId('split-total')).toHaveTextContent('Total 100 % · 1,000.00 GBP, the whole line counted once');
    // The refusal was of the shares as they were.
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('split-save'));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await screen.findByText('Split 1 entry into 2 parts')).toBeInTheDocument();
    await waitFor(() => expect(rowIds()).toEqual([902]));
    expect(screen.getByTestId('review-progress')).toHaveTextContent('2 of 3 entries reviewed');

    // 600.00 GBP × 1.2781 × 117.996 / 125.224 × 0.644 = 465.352087 kg CO2e;
    // 400.00 GBP × 1.2781 × 117.996 / 125.224 × 0.145 = 69.850986 kg CO2e.
    const page = await backend.ledgerPage(EMPTY_FILTER, 0, 10);
    const parts = page.entries.filter((e) => e.contact === 'Clarity Business Travel').sort((a, b) => a.part_no - b.part_no);
    expect(parts.map((p) => [p.id === 901, p.net_amount, p.share_percent, p.category, p.scope3_category, p.kg_co2e])).toEqual([
      [true, '600.00', '60', 'Air travel', 6, '465.352087'],
      [false, '400.00', '40', 'Hotels (except Casino Hotels) and Motels', 6, '69.850986'],
    ]);

    // The entry says which part it is, of what.
    window.location.hash = '#/review/entry/901';
    expect(await screen.findByTestId('entry-part')).toHaveTextContent('Part 1 of 2 · 60 % of 1,000.00 GBP');
    expect(screen.getByTestId('entry-part-amount')).toHaveTextContent('600.00 GBP');
    expect(screen.getByTestId('entry-kg')).toHaveTextContent(formatKg('465.352087'));
    expect(screen.getByTestId('entry-decided-by')).toHaveTextContent(
      'Split in 2 parts: 60 % Air travel (NAICS 481111, Scope 3 cat. 6); 40 % Hotels (except Casino Hotels) and Motels (NAICS 721110, Scope 3 cat. 6)',
    );
    expect(within(screen.getByTestId('entry-history')).getByText('Split between categories')).toBeInTheDocument();

  });

  it('shows each part of a split line the platform changed in the queue, with its share of the line', async () => {
    const backend = trip();
    await backend.decideEntries([901], TRIP, null, null);
    const hotel = (await backend.ledgerPage(EMPTY_FILTER, 0, 10)).entries.find((e) => e.contact === 'Clarity Business Travel' && e.part_no === 1)!;
    await backend.changeLine(901, { net_amount: '1100.00' });
    renderApp({ backend, hash: '#/review' });
    const row = await screen.findByTestId('review-row-901');
    expect(rowIds().slice(0, 2).sort()).toEqual([901, hotel.id].sort());
    expect(within(row).getByText('Changed since review')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('review-part-901')).toHaveTextContent('Part 1 of 2 · 60 % of 1,100.00 GBP'));
    await waitFor(() => expect(screen.getByTestId(`review-part-${hotel.id}`)).toHaveTextContent('Part 2 of 2 · 40 % of 1,100.00 GBP'));
    // Each part is counted anew on its share of the new amount: 1100.00 × 60 ÷ 100 = 660.00.
    expect(row).toHaveTextContent('660.00');
    expect(screen.getByTestId('review-change-901')).toHaveTextContent('Since the decision: amount 1,000.00 → 1,100.00 GBP');
    expect(screen.getByText(/2 entries changed since review/)).toBeInTheDocument();
  });

  it('starts a split again from the parts, and folds them back into one entry when the line is reclassified whole', async () => {
    const user = userEvent.setup();
    const backend = trip();
    await backend.decideEntries([901], TRIP, null, null);
    const hotel = (await backend.ledgerPage(EMPTY_FILTER, 0, 10)).entries.find((e) => e.contact === 'Clarity Business Travel' && e.part_no === 1)!;
    renderApp({ backend, hash: `#/review/entry/${hotel.id}` });
    expect(await screen.findByTestId('entry-part')).toHaveTextContent('Part 2 of 2 · 40 % of 1,000.00 GBP');

    // The split as it stands, to change.
    await user.click(screen.getByTestId('review-split'));
    const dialog = await screen.findByRole('dialog', { name: 'Split 1,000.00 GBP between categories' });
    expect(screen.getByTestId('split-share-0')).toHaveValue('60');
    expect(screen.getByTestId('split-share-1')).toHaveValue('40');
    expect(within(dialog).getByTestId('split-amount-1')).toHaveTextContent('400.00 GBP');
    expect(screen.getByTestId('split-total')).toHaveTextContent('Total 100 %');
    expect(await within(dialog).findByTestId('split-factor-1')).toHaveTextContent('721110 Hotels (except Casino Hotels) and Motels');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));

    // Reclassified whole: the hotel part is gone, and the page shows the line’s entry.
    await user.click(screen.getByTestId('review-reclassify'));
    await screen.findByRole('dialog', { name: 'Reclassify 1 entry' });
    await user.type(screen.getByTestId('factor-search'), 'hotels');
    await user.click(await screen.findByTestId('factor-option-721110'));
    await user.click(screen.getByTestId('reclassify-save'));
    await waitFor(() => expect(window.location.hash).toBe('#/review/entry/901'));
    // 1000.00 GBP × 1.2781 × 117.996 / 125.224 × 0.145 = 174.627465 kg CO2e.
    await waitFor(() => expect(screen.getByTestId('entry-kg')).toHaveTextContent(formatKg('174.627465')));
    expect(screen.queryByTestId('entry-part')).not.toBeInTheDocument();
    const page = await backend.ledgerPage(EMPTY_FILTER, 0, 10);
    expect(page.entries.filter((e) => e.contact === 'Clarity Business Travel')).toEqual([
      expect.objectContaining({ id: 901, net_amount: '1000.00', line_net_amount: null, share_percent: null, kg_co2e: '174.627465' }),
    ]);
  });
});
