import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { CATALOGUE } from '../backend/fakeData';
import { ledgerEntry } from '../backend/ledger.fixture';
import { RECORDED } from '../backend/recorded';
import type { ProviderView } from '../bindings/ProviderView';
import { formatKg } from '../lib/format';
import { renderApp } from '../test/render';

describe('the Emissions page', () => {
  it('shows the total the application worked out, in kg with one decimal and in tonnes, with the counts', async () => {
    const recorded = RECORDED.emissions.find((c) => c.by === null && Object.values(c.filter).every((v) => v === null))!;
    renderApp({ hash: '#/emissions' });
    const total = await screen.findByTestId('total-kg');
    expect(total.textContent).toBe(formatKg(recorded.summary.totals.kg_co2e));
    expect(total).toHaveTextContent(/^8,865\.3 kg CO2e$/);
    expect(screen.getByTestId('total-tonnes')).toHaveTextContent(/^8\.87 t CO2e$/);
    expect(screen.getByTestId('count-counted')).toHaveTextContent(String(recorded.summary.totals.counted));
  });

  it('shows totals of a thousand lines of cents exactly, the month chart adding its scopes exactly too', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 10 });
    const fuel = { scope: 1, scope3_category: null, category: 'Fuel' };
    const lines = [ledgerEntry({ ...fuel, amount_usd_2022: '0.10', kg_co2e: '0.10' })];
    for (let i = 0; i < 1000; i++) {
      lines.push(
        ledgerEntry({ ...fuel, amount_usd_2022: '0.10', kg_co2e: '0.10' }),
        ledgerEntry({ amount_usd_2022: '0.20', kg_co2e: '0.20' }),
      );
    }
    lines.push(ledgerEntry({ amount_usd_2022: '0.45', kg_co2e: '0.45' }));
    backend.setLedger(lines);
    renderApp({ backend, hash: '#/emissions' });
    // Scope 1 makes 100.10 and scope 3 200.45: exactly 300.55, a tie at one decimal that
    // rounds to 300.6. Added as floating-point numbers they make 300.54999…, shown as 300.5.
    expect(await screen.findByTestId('total-kg')).toHaveTextContent(/^300\.6 kg CO2e$/);
    expect(screen.getByText('300.55 USD')).toBeInTheDocument();
    expect(screen.getByTestId('count-counted')).toHaveTextContent('2,002');
    const month = screen.getByRole('rowheader', { name: 'Jan 2024' }).closest('tr')!;
    expect([...month.querySelectorAll('td')].map((td) => td.textContent)).toEqual(['100.1', '200.5', '300.6']);
  });

  it('shows a credit note of -12.50 as it is, with each step of its calculation', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 10 });
    backend.setLedger([
      ledgerEntry({
        net_amount: '-12.50',
        fx_rate: '1.2781',
        deflator: '0.965021',
        amount_usd_2022: '-15.42',
        factor_value: '0.111',
        kg_co2e: '-1.7116',
      }),
    ]);
    renderApp({ backend, hash: '#/emissions' });
    expect(await screen.findByTestId('total-kg')).toHaveTextContent(/^-1\.7 kg CO2e$/);
    const ledger = screen.getByTestId('ledger');
    await waitFor(() => expect(ledger.querySelector('[data-index="0"]')).not.toBeNull());
    const row = ledger.querySelector<HTMLElement>('[data-index="0"]')!;
    const cells = within(row).getAllByRole('gridcell').map((c) => c.textContent);
    expect(cells).toContain('-12.50');
    expect(cells).toContain('-1.7');
    await user.click(row);
    const dialog = await screen.findByRole('dialog');
    const step = (name: string) => within(dialog).getByRole('rowheader', { name }).closest('tr')!.querySelector('td')!.textContent;
    expect(step('Net amount (excluding tax)')).toBe('-12.50 GBP');
    expect(step('× exchange rate')).toBe('1.2781 USD/GBP');
    // -12.50 × 1.2781 = -15.97625 exactly.
    expect(step('= in US dollars')).toBe('-15.98 USD');
    expect(step('× price deflator to 2022')).toBe('0.965021');
    expect(step('= in 2022 US dollars')).toBe('-15.42 USD');
    expect(step('× emission factor')).toBe('0.111');
    expect(step('= emissions')).toBe('-1.7 kg CO2e');
  });

  it('names the method and says spend-based is the least precise', async () => {
    renderApp({ hash: '#/emissions' });
    const method = await screen.findByTestId('method');
    expect(method).toHaveTextContent('Spend-based: US EPA Supply Chain GHG Emission Factors');
    expect(method).toHaveTextContent('v1.3');
    expect(method).toHaveTextContent('least precise');
  });

  it('says how to get started when nothing has been synced, naming each platform that can be connected', async () => {
    renderApp({ scenario: 'empty', hash: '#/emissions' });
    expect(await screen.findByText('No emissions yet — connect a platform and sync')).toBeInTheDocument();
    expect(
      await screen.findByText(
        /Emissions appear here once Xero, QuickBooks Online, Amazon Web Services, Microsoft Azure, Google Cloud or Salesforce is connected and synced\./,
      ),
    ).toBeInTheDocument();
    // Not the platforms that cannot be connected yet.
    expect(screen.queryByText(/Slack|Microsoft Teams/)).not.toBeInTheDocument();
    expect(screen.queryByTestId('ledger')).not.toBeInTheDocument();
  });

  it('names the one platform that can be connected when there is one', async () => {
    const xeroOnly = CATALOGUE.map((p) => (p.id === 'xero' ? p : { ...p, available: false, streams: [] }));
    renderApp({ backend: new FakeBackend({ scenario: 'empty', catalogue: xeroOnly }), hash: '#/emissions' });
    expect(await screen.findByText('No emissions yet — connect Xero and sync')).toBeInTheDocument();
    expect(screen.getByText(/Emissions appear here once Xero is connected and synced\./)).toBeInTheDocument();
  });

  it('names every platform that can be connected when there are several', async () => {
    const acme: ProviderView = {
      ...CATALOGUE.find((p) => p.id === 'xero')!,
      id: 'acme',
      name: 'Acme Books',
      streams: [{ name: 'receipts', label: 'Expense receipts', short: 'Receipt', singular: 'Expense receipt' }],
    };
    renderApp({ backend: new FakeBackend({ scenario: 'empty', catalogue: [...CATALOGUE, acme] }), hash: '#/emissions' });
    expect(await screen.findByText('No emissions yet — connect a platform and sync')).toBeInTheDocument();
    expect(
      await screen.findByText(
        /Emissions appear here once Xero, QuickBooks Online, Amazon Web Services, Microsoft Azure, Google Cloud, Salesforce or Acme Books is connected and synced\./,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/connect Xero and sync/)).not.toBeInTheDocument();
  });

  it('lists the ledger the application stored, as many entries as it says', async () => {
    renderApp({ hash: '#/emissions' });
    const ledger = await screen.findByTestId('ledger');
    await waitFor(() => expect(ledger).toHaveAttribute('data-total', String(RECORDED.ledger.total)));
    await waitFor(() => expect(ledger.querySelector('[data-index="0"]')).not.toBeNull());
    // Newest first, as the application lists it.
    const first = RECORDED.ledger.entries[0]!;
    expect(ledger.querySelector('[data-index="0"]')).toHaveTextContent(first.contact!);
  });

  it('lists a very large ledger in a virtualised table that knows the whole size', async () => {
    renderApp({ hash: '#/emissions', syntheticRows: 5000 });
    const ledger = await screen.findByTestId('ledger');
    await waitFor(() => expect(ledger).toHaveAttribute('data-total', '5000'));
    await waitFor(() => expect(within(ledger).getAllByRole('row').length).toBeGreaterThan(5));
    // Only the rows in view are in the page, not all 5,000.
    expect(within(ledger).getAllByRole('row').length).toBeLessThan(60);
  });

  it('narrows totals and ledger to the chosen status', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/emissions' });
    await screen.findByTestId('total-kg');
    await user.selectOptions(screen.getByTestId('filter-status'), 'unmapped');
    await waitFor(() => expect(screen.getByTestId('total-kg')).toHaveTextContent('0.0 kg CO2e'));
    expect(screen.getByTestId('count-counted')).toHaveTextContent('0');
  });

  it('exports the selection as CSV and shows where the file went', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/emissions' });
    await user.click(await screen.findByTestId('export-csv'));
    expect(await screen.findByTestId('export-path')).toHaveTextContent(/carbonsync-ledger-.*\.csv/);
  });

  it('opens an entry with the calculation from amount to kilograms', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/emissions' });
    await user.selectOptions(await screen.findByTestId('filter-status'), 'counted');
    const ledger = screen.getByTestId('ledger');
    await waitFor(() => expect(ledger.querySelector('[data-index="0"]')).not.toBeNull());
    await user.click(ledger.querySelector('[data-index="0"]')!);
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('How the kilograms were calculated');
    expect(dialog).toHaveTextContent('× emission factor');
    expect(dialog).toHaveTextContent('kg CO2e/2022 USD');
  });
});
