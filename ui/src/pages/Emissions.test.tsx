import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { EMPTY_FILTER } from '../backend/types';
import { formatKg } from '../lib/format';
import { renderApp } from '../test/render';

describe('the Emissions page', () => {
  it('shows the total in kg with one decimal and in tonnes, with the counts', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 300 });
    const expected = await backend.emissionsSummary(EMPTY_FILTER, null);
    renderApp({ backend, hash: '#/emissions' });
    const total = await screen.findByTestId('total-kg');
    expect(total.textContent).toBe(formatKg(expected.totals.kg_co2e));
    expect(total.textContent).toMatch(/^\d{1,3}(,\d{3})*\.\d kg CO2e$/);
    expect(screen.getByTestId('total-tonnes')).toHaveTextContent(/t CO2e$/);
    expect(screen.getByTestId('count-counted')).toHaveTextContent(String(expected.totals.counted));
  });

  it('names the method and says spend-based is the least precise', async () => {
    renderApp({ hash: '#/emissions' });
    const method = await screen.findByTestId('method');
    expect(method).toHaveTextContent('Spend-based: US EPA Supply Chain GHG Emission Factors');
    expect(method).toHaveTextContent('v1.3');
    expect(method).toHaveTextContent('least precise');
  });

  it('says how to get started when nothing has been synced', async () => {
    renderApp({ scenario: 'empty', hash: '#/emissions' });
    expect(await screen.findByText('No emissions yet — connect Xero and sync')).toBeInTheDocument();
    expect(screen.queryByTestId('ledger')).not.toBeInTheDocument();
  });

  it('lists ledger entries in a virtualised table that knows the whole size', async () => {
    renderApp({ hash: '#/emissions' });
    const ledger = await screen.findByTestId('ledger');
    await waitFor(() => expect(ledger).toHaveAttribute('data-total', '600'));
    await waitFor(() => expect(within(ledger).getAllByRole('row').length).toBeGreaterThan(5));
    // Only the rows in view are in the page, not all 600.
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
