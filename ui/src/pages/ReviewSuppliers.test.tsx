import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../backend/types';
import { formatKgNumber } from '../lib/format';
import { renderApp } from '../test/render';

describe('the suppliers of the Review page', { timeout: 20_000 }, () => {
  it('lists suppliers across connections, the most kg CO2e first, with spend per currency', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/review' });
    await user.click(await screen.findByTestId('review-tab-suppliers'));
    const list = await screen.findByTestId('review-suppliers');
    const page = await backend.suppliers(EMPTY_FILTER, 0, 50);
    await waitFor(() => expect(within(list).getAllByTestId(/^supplier-row-\d+$/)).toHaveLength(page.items.length));
    expect(list).toHaveTextContent(`Suppliers ${page.total}`);
    // The largest first: the San Francisco rent.
    const first = screen.getByTestId('supplier-row-0');
    expect(first).toHaveTextContent(page.items[0]!.name);
    expect(first).toHaveTextContent(formatKgNumber(page.items[0]!.kg_co2e));
    // Albion's four rents in pounds, added up exactly.
    const albion = page.items.findIndex((s) => s.name === 'Albion Property Management');
    const row = screen.getByTestId(`supplier-row-${albion}`);
    expect(row).toHaveTextContent('11,083.32 GBP');
    expect(row).toHaveTextContent('Rent of premises');
    expect(screen.queryByTestId('review-queue')).not.toBeInTheDocument();
  });

  it('maps a supplier with a rule: the factor first, then the rule form with the supplier filled in', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/review' });
    await user.click(await screen.findByTestId('review-tab-suppliers'));
    await screen.findByTestId('review-suppliers');
    const page = await backend.suppliers(EMPTY_FILTER, 0, 50);
    const timber = page.items.findIndex((s) => s.name === 'Arnold Laver Timber');
    const row = await screen.findByTestId(`supplier-row-${timber}`);
    expect(row).toHaveTextContent('3 entries wait for a factor');

    await user.click(within(row).getByTestId(`map-supplier-${timber}`));
    await screen.findByRole('dialog', { name: 'Reclassify every entry from Arnold Laver Timber' });
    await user.type(screen.getByTestId('factor-search'), 'sawmills');
    await user.click(await screen.findByTestId('factor-option-321113'));
    await user.click(screen.getByTestId('reclassify-save'));

    const dialog = await screen.findByRole('dialog', { name: 'Apply to similar entries' });
    expect(screen.getByTestId('rule-supplier')).toHaveValue('Arnold Laver Timber');
    expect(screen.getByTestId('rule-name')).toHaveValue('Arnold Laver Timber: Sawmills');
    expect(screen.getByTestId('rule-platform')).toHaveValue('');
    await user.click(within(dialog).getByTestId('rule-preview'));
    expect(await screen.findByTestId('rule-preview-count')).toHaveTextContent('Saving it would change 3 entries');
    await user.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());

    const mapped = (await backend.suppliers(EMPTY_FILTER, 0, 50)).items.findIndex((s) => s.name === 'Arnold Laver Timber');
    await waitFor(() => expect(screen.getByTestId(`supplier-rule-${mapped}`)).toHaveTextContent('The rule “Arnold Laver Timber: Sawmills”'));
    expect(screen.getByTestId(`supplier-row-${mapped}`)).not.toHaveTextContent('wait for a factor');
  });
});
