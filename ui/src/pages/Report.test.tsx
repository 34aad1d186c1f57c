import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { CLOUD_SAMPLE } from '../backend/fakeCloud';
import { withCloud, withNetZeroCloud } from '../backend/reported.fixture';
import { EMPTY_FILTER } from '../backend/types';
import type { Classification } from '../bindings/Classification';
import type { InventoryReport } from '../bindings/InventoryReport';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import { dec, sumDecimals } from '../lib/decimal';
import { formatKg2, formatTonnes } from '../lib/format';
import { renderApp } from '../test/render';

const NOW = Date.parse('2025-01-15T12:00:00Z');

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

const days = (from: string, to: string): LedgerFilter => ({ ...EMPTY_FILTER, from, to });
const YEAR = days('2024-01-01', '2024-12-31');
const MARCH = days('2024-03-01', '2024-03-31');

async function totalOf(backend: FakeBackend, filter: LedgerFilter): Promise<string> {
  return (await backend.emissionsSummary(filter, null)).totals.kg_co2e;
}

describe('the Report page', { timeout: 20_000 }, () => {
  it('is in the navigation after Review', async () => {
    renderApp({ hash: '#/report' });
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const links = within(nav).getAllByRole('link').map((a) => a.getAttribute('data-testid'));
    expect(links.indexOf('nav-report')).toBe(links.indexOf('nav-review') + 1);
    expect(screen.getByTestId('nav-report')).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByTestId('page-report')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Report', level: 1 })).toBeInTheDocument();
  });

  it('shows the emissions’ totals of the period, scopes that add up to them, and market-based Scope 2 at the grid average', async () => {
    const { backend } = renderApp({ hash: '#/report' });
    // The latest year with entries is chosen first.
    const total = await totalOf(backend as FakeBackend, YEAR);
    await waitFor(() => expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(total)));
    expect(screen.getByTestId('report-period')).toHaveValue('2024');
    expect(screen.getByTestId('report-total-tonnes')).toHaveTextContent(formatTonnes(total));
    expect(screen.getByTestId('report-days')).toHaveTextContent('2024: 1 Jan 2024 – 31 Dec 2024');

    const r = await backend.inventoryReport('2024', 1, null);
    const s = r.scopes;
    expect(screen.getByTestId('report-scope-1')).toHaveTextContent(formatKg2(s.scope1_kg_co2e));
    expect(screen.getByTestId('report-scope-2-location')).toHaveTextContent(formatKg2(s.scope2_location_kg_co2e));
    expect(screen.getByTestId('report-scope-3')).toHaveTextContent(formatKg2(s.scope3_kg_co2e));
    expect(dec(sumDecimals([s.scope1_kg_co2e, s.scope2_location_kg_co2e, s.scope3_kg_co2e])).eq(dec(total))).toBe(true);
    // No supplier or contract factor entered: market-based Scope 2 is the grid average.
    expect(screen.getByTestId('report-scope-2-market')).toHaveTextContent(formatKg2(s.scope2_location_kg_co2e));
    // Nothing reported by providers: the total is the books', with no parts beneath it.
    expect(screen.queryByTestId('report-total-parts')).not.toBeInTheDocument();
    expect(screen.getByTestId('report-reported')).toHaveTextContent('No provider reports emissions for this period.');

    // Every Scope 3 category and every month, each adding up.
    const cats = within(screen.getByTestId('report-scope3-categories'));
    for (const l of r.scope3_categories) expect(cats.getByTestId(`report-scope3-categories-${l.key}`)).toHaveTextContent(formatKg2(l.kg_co2e));
    expect(within(screen.getByTestId('report-by-month')).getAllByRole('row')).toHaveLength(13);
    expect(screen.getByTestId('report-dq')).toHaveTextContent('5.00 on a scale of 1 (best) to 5');
    expect(screen.getByTestId('report-dq')).toHaveTextContent('Spend-based, with the factor the account mapping gives · in this period');
    expect(screen.getByTestId('report-excluded')).toHaveTextContent('tax: taxes paid are not a purchase of goods or services');
    expect(screen.getByTestId('report-factor-sets')).toHaveTextContent('US EPA');
    expect(screen.getByTestId('report-method-notes')).toHaveTextContent('the grid average elsewhere');
  });

  it('reads a month, a quarter or a financial year starting in the month chosen', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/report' });
    await screen.findByTestId('report-total');
    await user.selectOptions(screen.getByTestId('report-period'), '2024-03');
    const march = await totalOf(backend as FakeBackend, MARCH);
    await waitFor(() => expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(march)));
    expect(screen.getByTestId('report-days')).toHaveTextContent('2024-03: 1 Mar 2024 – 31 Mar 2024');

    await user.selectOptions(screen.getByTestId('report-fy-start'), '4');
    await user.selectOptions(screen.getByTestId('report-period'), 'FY2024');
    const fy = await totalOf(backend as FakeBackend, days('2024-04-01', '2025-03-31'));
    await waitFor(() => expect(screen.getByTestId('report-days')).toHaveTextContent('FY2024: 1 Apr 2024 – 31 Mar 2025'));
    expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(fy));

    await user.selectOptions(screen.getByTestId('report-connection'), '2');
    const one = await totalOf(backend as FakeBackend, { ...days('2024-04-01', '2025-03-31'), connection_id: 2 });
    await waitFor(() => expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(one)));
    expect(within(screen.getByTestId('report-by-connection')).getAllByRole('row')).toHaveLength(2);
  });

  it('lists the entries behind the Scope 3 figure, and each opens its whole trail', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/report' });
    await user.click(await screen.findByTestId('report-scope-3'));
    const panel = await screen.findByTestId('report-entries');
    const behind = await backend.ledgerPage({ ...YEAR, scope: 3, status: 'counted' }, 0, 500);
    await waitFor(() => expect(within(panel).getAllByTestId(/^report-entry-\d+$/)).toHaveLength(behind.total));
    // They add up to the figure.
    expect(dec(sumDecimals(behind.entries.map((e) => e.kg_co2e))).eq(dec((await backend.inventoryReport('2024', 1, null)).scopes.scope3_kg_co2e))).toBe(true);
    const link = within(panel).getByTestId('report-entry-7');
    expect(link).toHaveAttribute('href', '#/review/entry/7');
    expect(link).toHaveTextContent('British Airways');

    await user.click(link);
    expect(await screen.findByTestId('page-review-entry')).toBeInTheDocument();
    expect(window.location.hash).toBe('#/review/entry/7');
    expect(await screen.findByTestId('entry-kg')).toHaveTextContent('957.5 kg CO2e');
  });

  it('lists the entries of a Scope 3 category and of a month', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/report' });
    const travel = await screen.findByTestId('report-scope3-categories-3.06');
    await user.click(within(travel).getByRole('button'));
    const panel = await screen.findByTestId('report-entries');
    await waitFor(() => expect(within(panel).getAllByTestId(/^report-entry-\d+$/)).toHaveLength(7));
    expect(panel).toHaveTextContent('Scope 3 category 6. Business travel in 2024');
    for (const row of within(screen.getByTestId('report-entries-table')).getAllByRole('row').slice(1)) {
      expect(row).toHaveTextContent('Scope 3 · cat. 6');
    }

    const march = screen.getByTestId('report-month-2024-03');
    await user.click(within(march).getAllByRole('button').at(-1)!);
    await waitFor(() => expect(screen.getByTestId('report-entries')).toHaveTextContent('Everything counted in Mar 2024'));
    await waitFor(() =>
      expect(within(screen.getByTestId('report-entries')).getAllByTestId(/^report-entry-\d+$/).map((a) => a.textContent)).toEqual([
        'United Airlines',
        'British Airways',
        'United Airlines',
      ]),
    );
  });

  it('closes a period: a later change keeps the closed total and is listed; restating moves the total', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    const { queryClient } = renderApp({ backend, hash: '#/report' });
    await screen.findByTestId('report-total');
    await user.selectOptions(screen.getByTestId('report-period'), '2024-03');
    const reported = await totalOf(backend, MARCH);
    await waitFor(() => expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(reported)));
    await user.type(screen.getByTestId('close-note'), 'sent to the board');
    await user.click(screen.getByTestId('close-period'));
    const row = await screen.findByTestId('close-row-1');
    expect(row).toHaveTextContent('2024-03');
    expect(row).toHaveTextContent(formatKg2(reported));
    expect(row).toHaveTextContent('Note: sent to the board');
    expect(await screen.findByText('Closed 2024-03')).toBeInTheDocument();

    // The platform changes British Airways' line, and a person excludes a United flight.
    const changed = await backend.changeLine(7, { net_amount: '1334.56' });
    await backend.decideEntries([33], { ...NONE, action: 'exclude', reason: 'refunded in full' }, null, null);
    await queryClient.invalidateQueries();
    const changes = within(await screen.findByTestId('changes-after-close'));
    const seven = await changes.findByTestId('change-7');
    expect(seven).toHaveTextContent('1,234.56 GBP');
    expect(seven).toHaveTextContent('1,334.56 GBP');
    expect(changes.getByTestId('change-difference-7')).toHaveTextContent(
      `+${formatKg2(dec(changed.kg_co2e!).minus(dec('957.508453')).toFixed(6))}`,
    );
    expect(changes.getByTestId('change-33')).toHaveTextContent('Excluded: refunded in full');
    expect(changes.getByTestId('change-difference-33')).toHaveTextContent(formatKg2('-758.534945'));
    // The report keeps what was reported, and says a closed period is in it.
    expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(reported));
    expect(screen.getByTestId('report-closed-note')).toHaveTextContent('2 changes after close wait');
    expect(screen.getByTestId('close-row-1')).toHaveTextContent('2');

    await user.click(changes.getByTestId('restate-7'));
    const restated = dec(reported).plus(dec(changed.kg_co2e!)).minus(dec('957.508453')).toFixed(6);
    await waitFor(() => expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(restated)));
    expect(await totalOf(backend, MARCH)).toBe(restated);
    await waitFor(() => expect(screen.queryByTestId('change-7')).not.toBeInTheDocument());

    await user.click(screen.getByTestId('leave-33'));
    await waitFor(() => expect(screen.queryByTestId('change-33')).not.toBeInTheDocument());
    expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(restated));
    expect(screen.getByTestId('changes-after-close')).toHaveTextContent('No change waits');
  });

  it('refuses to close a period that overlaps a closed one, in words', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await backend.closePeriod('2024-Q1', 1, null);
    renderApp({ backend, hash: '#/report' });
    await screen.findByTestId('report-total');
    await user.selectOptions(screen.getByTestId('report-period'), '2024-03');
    await user.click(screen.getByTestId('close-period'));
    expect(await within(screen.getByTestId('closes')).findByRole('alert')).toHaveTextContent(
      '2024-03 overlaps 2024-Q1, which is closed and reaches past it: reopen 2024-Q1 first, or close a period that holds all of 2024-Q1 or none of it',
    );
  });

  it('closes a quarter over its closed month and shows the month taken in', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    const march = await backend.closePeriod('2024-03', 1, null);
    renderApp({ backend, hash: '#/report' });
    await screen.findByTestId('report-total');
    await user.selectOptions(screen.getByTestId('report-period'), '2024-Q1');
    await user.click(screen.getByTestId('close-period'));
    expect(await screen.findByTestId(`taken-into-${march.id}`)).toHaveTextContent('Taken into 2024-Q1');
    expect(screen.getByTestId('closes')).toHaveTextContent('Took in 2024-03 as they reported');
    expect(screen.queryByTestId(`reopen-${march.id}`)).not.toBeInTheDocument();
  });

  it('reopens a close only with a reason, refused in words without one', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    const close = await backend.closePeriod('2024-03', 1, null);
    renderApp({ backend, hash: '#/report' });
    await user.click(await screen.findByTestId(`reopen-${close.id}`));
    const dialog = await screen.findByRole('dialog', { name: 'Reopen 2024-03?' });
    expect(screen.getByTestId('reopen-reason')).toHaveFocus();
    await user.click(within(dialog).getByTestId('reopen-confirm'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Reopening 2024-03 changes numbers that were reported: give the reason, which goes in the audit trail',
    );
    expect((await backend.periodCloses())[0]!.reopened_at_ms).toBeNull();

    await user.type(screen.getByTestId('reopen-reason'), 'a late credit note');
    await user.click(within(dialog).getByTestId('reopen-confirm'));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const row = await screen.findByTestId(`close-row-${close.id}`);
    await waitFor(() => expect(row).toHaveTextContent('Reopened'));
    expect(row).toHaveTextContent('a late credit note');
    expect(screen.queryByTestId(`reopen-${close.id}`)).not.toBeInTheDocument();
  });

  it('shows the audit trail intact with the rows checked', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await backend.decideEntries([13], { ...NONE, action: 'reclassify', factor_code: '721110', category: 'Hotel stays', scope3_category: 6 }, null, null);
    await backend.closePeriod('2023', 1, null);
    renderApp({ backend, hash: '#/report' });
    const audit = await screen.findByTestId('report-audit');
    expect((await backend.auditCheck()).rows).toBe(2);
    expect(audit).toHaveTextContent('Audit trail intact: 2 rows checked');
    expect(audit).not.toHaveAttribute('role', 'alert');
    // A reclassified entry is spend-based with a person's factor.
    expect(screen.getByTestId('report-method-mix')).toHaveTextContent('Spend-based, factor chosen by a person or rule');
  });

  it('shows a broken audit trail prominently, where it breaks and why', async () => {
    class Broken extends FakeBackend {
      override async inventoryReport(period: string, fy: number, connectionId: number | null): Promise<InventoryReport> {
        const r = await super.inventoryReport(period, fy, connectionId);
        return {
          ...r,
          audit: { rows: 3, intact: false, broken_at: 3, problem: 'row 3 was changed after it was written: its content no longer matches its hash' },
        };
      }
    }
    renderApp({ backend: new Broken({ entriesPerOrg: 300, now: NOW }), hash: '#/report' });
    const audit = await screen.findByTestId('report-audit');
    expect(audit).toHaveAttribute('role', 'alert');
    expect(audit).toHaveTextContent(
      'Audit trail broken at row 3: row 3 was changed after it was written: its content no longer matches its hash',
    );
  });

  it('exports the report as a PDF and says where it was written', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/report' });
    await screen.findByTestId('report-total');
    await user.click(screen.getByTestId('report-export'));
    const path = await screen.findByTestId('report-export-path');
    expect(path).toHaveTextContent(/~\/Downloads\/carbonsync-inventory-2024-\d{8}-\d{6}\.pdf/);
    expect(await screen.findByText('Inventory report exported as PDF')).toBeInTheDocument();
    expect(screen.getByTestId('notice')).toHaveTextContent('its CSV tables and the audit trail are in a folder beside it');
  });
});

describe('what to know before relying on the report', { timeout: 20_000 }, () => {
  it('warns above the totals of the entries left unmapped, and lists them', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/report' });
    const r = await backend.inventoryReport('2024', 1, null);
    expect(r.totals.unmapped).toBeGreaterThan(0);
    const unmapped = r.warnings.find((w) => w.includes('unmapped'));
    expect(unmapped).toContain(`${r.totals.unmapped} entries are unmapped and not counted`);

    const region = await screen.findByRole('alert', { name: 'Before relying on these numbers' });
    expect(region).toHaveAttribute('data-testid', 'report-warnings');
    expect(within(region).getByRole('heading', { name: 'Before relying on these numbers' })).toBeInTheDocument();
    const items = within(region).getAllByRole('listitem');
    expect(items).toHaveLength(r.warnings.length);
    expect(region).toHaveTextContent(unmapped!);
    expect(region).toHaveTextContent(`${r.totals.unmapped} entries are unmapped and not counted`);
    // Above the totals.
    const total = screen.getByTestId('report-total');
    expect(region.compareDocumentPosition(total) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    // The review queue, and the period's unmapped entries listed here.
    expect(within(region).getByTestId('report-warning-review')).toHaveAttribute('href', '#/review');
    const list = within(region).getByTestId('report-warning-unmapped');
    expect(list).toHaveTextContent(`List the ${r.totals.unmapped} unmapped entries of 2024`);
    await user.click(list);
    const panel = await screen.findByTestId('report-entries');
    expect(panel).toHaveTextContent('Unmapped in 2024');
    await waitFor(() => expect(within(panel).getAllByTestId(/^report-entry-\d+$/)).toHaveLength(r.totals.unmapped));
  });

  it('shows no warnings when there is nothing to know', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/report' });
    expect((await backend.inventoryReport('2023', 1, null)).warnings).toEqual([]);
    await screen.findByTestId('report-warnings');
    await user.selectOptions(screen.getByTestId('report-period'), '2023');
    await waitFor(() => expect(screen.getByTestId('report-days')).toHaveTextContent('2023: 1 Jan 2023 – 31 Dec 2023'));
    await screen.findByTestId('report-total');
    expect(screen.queryByTestId('report-warnings')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert', { name: 'Before relying on these numbers' })).not.toBeInTheDocument();
    expect(screen.queryByText('Before relying on these numbers')).not.toBeInTheDocument();
  });
});

describe('what providers report, in the Report page', { timeout: 20_000 }, () => {
  it('counts a cloud provider’s report in Scope 3 category 1: the total is the scopes’, the books’ plus the reported', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    const aws = await withCloud(backend, 'aws');
    renderApp({ backend, hash: '#/report' });
    const r = await backend.inventoryReport('2024', 1, null);
    expect(r.reported.length).toBeGreaterThan(0);
    const s = r.scopes;
    // The headline is Scope 1 + Scope 2 (location-based) + Scope 3 ...
    const scopes = sumDecimals([s.scope1_kg_co2e, s.scope2_location_kg_co2e, s.scope3_kg_co2e]);
    await waitFor(() => expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(scopes)));
    expect(screen.getByTestId('report-scope-3')).toHaveTextContent(formatKg2(s.scope3_kg_co2e));
    // ... which is the books' total, as on the Emissions page, plus what providers report.
    const books = await totalOf(backend, YEAR);
    expect(dec(scopes).eq(dec(books).plus(dec(r.reported_kg_co2e)))).toBe(true);
    const parts = screen.getByTestId('report-total-parts');
    expect(within(parts).getByTestId('report-from-books')).toHaveTextContent(formatKg2(books));
    expect(parts).toHaveTextContent(`From the books${formatKg2(books)} (${r.totals.counted} counted entries)`);
    expect(within(parts).getByTestId('report-from-providers')).toHaveTextContent(formatKg2(r.reported_kg_co2e));
    expect(within(parts).queryByTestId('report-left-out')).not.toBeInTheDocument();

    // AWS's Scope 2 is the company's purchased services.
    const line = r.reported.find((l) => l.published_scope === 2)!;
    const key = `${aws.id}-3-1-2`;
    const row = within(screen.getByTestId('report-reported-lines')).getByTestId(`report-reported-${key}`);
    expect(row).toHaveTextContent('Amazon Web Services: AWS (1 account)');
    expect(row).toHaveTextContent('Scope 3 · cat. 1 Purchased goods and services');
    expect(row).toHaveTextContent('Scope 2');
    expect(within(row).getByRole('cell', { name: 'Scope 2' })).toBeInTheDocument();
    expect(row).toHaveTextContent(formatKg2(line.kg_co2e));
    expect(screen.getByTestId('report-reported-total')).toHaveTextContent(formatKg2(r.reported_kg_co2e));
    expect(screen.queryByTestId('report-replaced')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('never added');
  });

  it('opens the rows behind a reported line on the Cloud page: that connection, the period, the scope it was published under', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    const aws = await withCloud(backend, 'aws');
    renderApp({ backend, hash: '#/report' });
    const link = await screen.findByTestId(`report-reported-kg-${aws.id}-3-1-2`);
    const target = `#/cloud?connection=${aws.id}&from=2024-01-01&to=2024-12-31&scope=2`;
    expect(link).toHaveAttribute('href', target);
    await user.click(link);
    expect(await screen.findByTestId('page-cloud', {}, { timeout: 5000 })).toBeInTheDocument();
    expect(window.location.hash).toBe(target);
    await waitFor(() => expect(screen.getByTestId('cloud-filter-connection')).toHaveValue(String(aws.id)));
    expect(screen.getByTestId('cloud-filter-scope')).toHaveValue('2');
    expect(screen.getByTestId('cloud-filter-months')).toHaveTextContent('1 Jan 2024 – 31 Dec 2024');
    // Only AWS's Scope 2 rows, which add up to the line.
    const rows = CLOUD_SAMPLE.accounts.aws!.rows.filter((x) => x.scope === 2 && x.month.startsWith('2024'));
    const table = await screen.findByTestId('cloud-rows');
    const listed = within(table).getAllByRole('row').slice(1);
    expect(listed).toHaveLength(Math.min(100, rows.length));
    for (const tr of listed) {
      expect(tr).toHaveTextContent('Amazon Web Services');
      expect(tr).toHaveTextContent('Scope 2');
    }
    // Every month again, from the chip.
    await user.click(screen.getByRole('button', { name: 'Show every month' }));
    expect(screen.queryByTestId('cloud-filter-months')).not.toBeInTheDocument();
  });

  it('lists what a figure counts from providers beside its entries, each opening the provider’s rows', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    const aws = await withCloud(backend, 'aws');
    renderApp({ backend, hash: '#/report' });
    await user.click(await screen.findByTestId('report-scope-3'));
    const panel = await screen.findByTestId('report-entries');
    const reported = within(panel).getByTestId('report-entries-reported');
    expect(within(reported).getAllByRole('link')).toHaveLength(3);
    expect(within(reported).getByTestId(`report-entries-reported-${aws.id}-3-1-1`)).toHaveAttribute(
      'href',
      `#/cloud?connection=${aws.id}&from=2024-01-01&to=2024-12-31&scope=1`,
    );
    // The books' entries of the figure are listed below.
    await waitFor(() => expect(within(panel).getAllByTestId(/^report-entry-\d+$/).length).toBeGreaterThan(0));

    // AWS's own line of the connections is only what it reports: no entry of the books.
    await user.click(within(screen.getByTestId(`report-by-connection-${aws.id}`)).getByRole('button'));
    await waitFor(() => expect(screen.getByTestId('report-entries')).toHaveTextContent('Amazon Web Services: AWS (1 account) in 2024'));
    expect(within(screen.getByTestId('report-entries')).queryAllByTestId(/^report-entry-\d+$/)).toHaveLength(0);
    expect(within(screen.getByTestId('report-entries')).getAllByRole('link')).toHaveLength(3);
  });

  it('leaves out the books’ entries the inventory platform reports, listed, each opening the entries left out', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    await withNetZeroCloud(backend, [{ month: '2024-03', scope: 3, scope3_category: 6, kg_co2e: '2500' }]);
    renderApp({ backend, hash: '#/report' });
    const r = await backend.inventoryReport('2024', 1, null);
    expect(r.replaced).toHaveLength(1);
    const [left] = r.replaced;
    expect(left).toMatchObject({ month: '2024-03', scope: 3, scope3_category: 6, replaced_by: 'Salesforce: CarbonSync Demo Group' });
    const books = await totalOf(backend, YEAR);
    const total = dec(books).plus(2500).minus(dec(left!.kg_co2e)).toFixed(6);
    expect(r.inventory_kg_co2e).toBe(total);
    await waitFor(() => expect(screen.getByTestId('report-total')).toHaveTextContent(formatKg2(total)));
    expect(screen.getByTestId('report-left-out')).toHaveTextContent(formatKg2(left!.kg_co2e));

    // Net Zero Cloud's figure counts in its own scope and category, published as such.
    const row = screen.getByTestId(`report-reported-${r.reported[0]!.connection_id}-3-6-3`);
    expect(row).toHaveTextContent('Scope 3 · cat. 6 Business travel');
    expect(row).toHaveTextContent('Your inventory platform');

    const line = within(screen.getByTestId('report-replaced-lines')).getByTestId('report-replaced-2024-03-3-6');
    expect(line).toHaveTextContent('Mar 2024');
    expect(line).toHaveTextContent('Salesforce: CarbonSync Demo Group');
    await user.click(within(line).getByTestId('report-replaced-kg-2024-03-3-6'));
    const panel = await screen.findByTestId('report-entries');
    expect(panel).toHaveTextContent(formatKg2(left!.kg_co2e));
    await waitFor(() => expect(within(panel).getAllByTestId(/^report-entry-\d+$/)).toHaveLength(left!.entries));
    for (const tr of within(screen.getByTestId('report-entries-table')).getAllByRole('row').slice(1)) {
      expect(tr).toHaveTextContent('Scope 3 · cat. 6');
      expect(tr).toHaveTextContent('Mar 2024');
    }

    // The Scope 3 figure's entries leave them out.
    await user.click(screen.getByTestId('report-scope-3'));
    await waitFor(() => expect(screen.getByTestId('report-entries')).toHaveTextContent('Scope 3 in 2024'));
    const scope3 = await backend.ledgerPage({ ...YEAR, scope: 3, status: 'counted' }, 0, 500);
    await waitFor(() =>
      expect(within(screen.getByTestId('report-entries')).getAllByTestId(/^report-entry-\d+$/)).toHaveLength(scope3.total - left!.entries),
    );
  });
});
