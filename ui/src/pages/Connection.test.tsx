import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { CATALOGUE } from '../backend/fakeData';
import { RECORDED } from '../backend/recorded';
import type { ProviderView } from '../bindings/ProviderView';
import { renderApp } from '../test/render';
import { DAILY_LIMIT, EVENING, HeldBackend, REFUSED, RETRYING } from './ConnectionHolds.fixture';

describe('the Connection page', () => {
  it('shows the organisation, its platform and that it runs on the sandbox', async () => {
    renderApp({ hash: '#/connections/1' });
    const page = await screen.findByTestId('page-connection');
    expect(await within(page).findByRole('heading', { level: 1 })).toHaveTextContent('Harbour & Pine Ltd');
    expect(within(page).getAllByText('Sandbox').length).toBeGreaterThan(0);
    expect(screen.getByTestId('status-1')).toHaveTextContent('Connected');
  });

  it('names a Salesforce org\'s platform and shows no currency for it, since the org has none', async () => {
    const backend = new FakeBackend({ scenario: 'empty', now: Date.parse('2025-01-15T12:00:00Z') });
    await backend.beginConnect('salesforce');
    await waitFor(async () => expect(await backend.listConnections()).toHaveLength(1));
    renderApp({ backend, hash: '#/connections/1' });
    const page = await screen.findByTestId('page-connection');
    expect(await within(page).findByRole('heading', { level: 1 })).toHaveTextContent('CarbonSync Demo Group');
    expect(screen.getByTestId('platform')).toHaveTextContent(/^Salesforce \(Sandbox: /);
    const lede = page.querySelector('.lede')!;
    expect(lede).toHaveTextContent(/^Salesforce organisation · connected /);
    expect(lede).not.toHaveTextContent('amounts in');
    expect(page.textContent).not.toMatch(/null|undefined/);
  });

  it('lists one history row per run, newest first, with counts', async () => {
    renderApp({ hash: '#/connections/1' });
    const history = await screen.findByTestId('history');
    const runs = within(history)
      .getAllByRole('row')
      .filter((r) => /^run-\d+$/.test(r.getAttribute('data-testid') ?? ''));
    // The application's two syncs of it: the second found nothing new.
    expect(runs.map((r) => r.getAttribute('data-testid'))).toEqual(['run-3', 'run-1']);
    const cells = (row: HTMLElement) => [...row.querySelectorAll('td')].map((td) => td.textContent);
    // Status, trigger, duration (every recorded run takes 2 s), pages, fetched, created,
    // updated, deleted, and skipped: 1, set aside.
    expect(cells(runs[1]!).slice(1, 10)).toEqual(['Succeeded', 'Window', '2.0 s', '4', '59', '58', '0', '0', '1' + '1 set aside']);
    expect(cells(runs[1]!)[10]).toMatch(/^17 entries4,980\.1 kg CO2e$/);
    expect(cells(runs[0]!).slice(5, 7)).toEqual(['0', '0']);
  });

  it('explains a failed run in words and keeps the technical detail behind a toggle', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/connections/1', scenario: 'revoked' });
    const error = await screen.findByTestId('run-error-5');
    expect(error).toHaveTextContent("Xero no longer accepts CarbonSync's access to Harbour & Pine Ltd; reconnect it to continue syncing");
    expect(within(error).queryByText(/NeedsReconnect/)).not.toBeInTheDocument();
    await user.click(within(error).getByRole('button', { name: 'Technical details' }));
    expect(within(error).getByText(/NeedsReconnect/)).toBeInTheDocument();
    expect(screen.getByTestId('status-1')).toHaveTextContent('Needs reconnect');
  });

  it('shows where the next sync starts for each kind of record, in the order a sync reads them', async () => {
    renderApp({ hash: '#/connections/1' });
    const cursors = await screen.findByTestId('cursors');
    const kinds = within(cursors)
      .getAllByRole('row')
      .slice(1)
      .map((r) => r.querySelector('td')?.textContent);
    expect(kinds).toEqual(['Chart of accounts', 'Bank transactions', 'Bills', 'Supplier credit notes']);
  });

  it("orders QuickBooks' positions as its connector reads its streams, not as they are stored", async () => {
    renderApp({ hash: '#/connections/2' });
    const cursors = await screen.findByTestId('cursors');
    const kinds = within(cursors)
      .getAllByRole('row')
      .slice(1)
      .map((r) => r.querySelector('td')?.textContent);
    expect(kinds).toEqual(['Chart of accounts', 'Purchases', 'Bills', 'Vendor credits']);
  });

  it('names the platform in the header and the facts', async () => {
    renderApp({ hash: '#/connections/1' });
    const page = await screen.findByTestId('page-connection');
    expect(await within(page).findByText(/^Xero organisation · amounts in GBP/)).toBeInTheDocument();
    expect(screen.getByTestId('platform')).toHaveTextContent(/^Xero \(Sandbox/);
  });

  it('saves a new sync frequency at once', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/connections/1' });
    const select = await screen.findByTestId('frequency-1');
    expect(select).toHaveValue('hourly');
    await user.selectOptions(select, '6h');
    await waitFor(async () => expect((await backend.listConnections())[0]!.frequency).toBe('6h'));
    await waitFor(() => expect(screen.getByTestId('frequency-1')).toHaveValue('6h'));
  });

  it('says when the connection no longer exists', async () => {
    renderApp({ hash: '#/connections/42' });
    expect(await screen.findByText('This connection no longer exists')).toBeInTheDocument();
  });
});

describe('the schedule on the Connection page', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(EVENING);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says the schedule is stopped, why, and that Sync now or a frequency starts it again', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/connections/1', backend: new HeldBackend({ 1: REFUSED }) });
    const note = await screen.findByTestId('schedule-hold-1');
    expect(note).toHaveTextContent('The schedule is stopped');
    expect(note).toHaveTextContent('The platform refused the request (HTTP 400).');
    expect(note).toHaveTextContent('Once the cause is fixed, use Sync now: when it succeeds the schedule starts again.');
    expect(screen.getByTestId('status-1')).toHaveTextContent('Stopped');
    expect(screen.getByTestId('sync-1')).toBeEnabled();

    // Choosing a frequency is acting on it too.
    await user.selectOptions(screen.getByTestId('frequency-1'), '6h');
    await waitFor(() => expect(screen.queryByTestId('schedule-hold-1')).not.toBeInTheDocument());
    expect(screen.getByTestId('status-1')).not.toHaveTextContent('Stopped');
  });

  it("says until when Xero's daily limit pauses it, and that it resumes by itself", async () => {
    renderApp({ hash: '#/connections/1', backend: new HeldBackend({ 1: DAILY_LIMIT }) });
    const note = await screen.findByTestId('schedule-hold-1');
    expect(note).toHaveTextContent("Paused until 09:14 tomorrow: Xero's daily limit");
    expect(note).toHaveTextContent('syncs again by itself');
    expect(screen.getByTestId('status-1')).toHaveTextContent('Paused');
  });

  it('says when a failure that may pass is retried, and a successful sync clears it', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/connections/1', backend: new HeldBackend({ 1: RETRYING }) });
    const note = await screen.findByTestId('schedule-hold-1');
    expect(note).toHaveTextContent('Retrying at 21:34 today (2 failures in a row): CarbonSync could not reach the platform.');
    expect(note).toHaveTextContent('waiting longer after each failure in a row');
    await user.click(screen.getByTestId('sync-1'));
    await waitFor(() => expect(screen.queryByTestId('schedule-hold-1')).not.toBeInTheDocument(), { timeout: 3000 });
    expect(screen.getByTestId('status-1')).toHaveTextContent('Connected');
  });

  it('shows nothing about the schedule when it runs as usual', async () => {
    renderApp({ hash: '#/connections/1' });
    await screen.findByTestId('status-1');
    expect(screen.queryByTestId('schedule-hold-1')).not.toBeInTheDocument();
  });
});

describe('records set aside', () => {
  it('lists a record the platform sent that could not be read, with the reason and the JSON behind a toggle', async () => {
    const user = userEvent.setup();
    // Xero sent one bank transaction with an unreadable date to the application's first sync.
    const [recorded] = RECORDED.setAside['1']!;
    renderApp({ hash: '#/connections/1' });
    const section = await screen.findByTestId('set-aside');
    expect(section).toHaveTextContent('1 record set aside');
    const row = within(section).getByTestId('set-aside-1');
    expect(row).toHaveTextContent('Bank transactions');
    expect(row).toHaveTextContent(recorded!.record_id!);
    expect(row).toHaveTextContent('Date: not a Xero date (expected /Date(ms+zzzz)/ or ISO 8601)');
    expect(within(row).queryByText(/Date\(abc\)/)).not.toBeInTheDocument();
    await user.click(within(row).getByRole('button', { name: 'As the platform sent it' }));
    expect(within(row).getByText(/Date\(abc\)/)).toBeInTheDocument();
  });

  it('shows nothing about set-aside records when every record could be read', async () => {
    renderApp({ hash: '#/connections/2' });
    await screen.findByTestId('history');
    expect(screen.queryByTestId('set-aside')).not.toBeInTheDocument();
  });
});

describe('a platform the window has no words of its own for', () => {
  /** Acme Books, as the application would list it once it had a connector for it. */
  const ACME: ProviderView = {
    ...CATALOGUE.find((p) => p.id === 'xero')!,
    id: 'acme',
    name: 'Acme Books',
    docs_url: null,
    streams: [
      { name: 'accounts', label: 'Chart of accounts', short: 'Account', singular: 'Account' },
      { name: 'receipts', label: 'Expense receipts', short: 'Receipt', singular: 'Expense receipt' },
      { name: 'card_payments', label: 'Card payments', short: 'Card', singular: 'Card payment' },
    ],
  };

  it('is named, with its streams in its order, as the application lists it, from connecting to the connection page', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({
      scenario: 'empty',
      catalogue: [...CATALOGUE, ACME],
      entriesPerOrg: 50,
      stepMs: 5,
      now: Date.parse('2025-01-15T12:00:00Z'),
    });
    renderApp({ backend });
    await user.click(await screen.findByTestId('connect-acme'));
    const dialog = await screen.findByRole('dialog', { name: 'Which Acme Books organisation?' });
    await user.click(within(dialog).getByLabelText('Harbour & Pine Ltd'));
    await user.click(within(dialog).getByRole('button', { name: 'Connect organisation' }));
    await waitFor(() => expect(screen.getByTestId('notice')).toHaveTextContent('Connected Harbour & Pine Ltd (Acme Books, Sandbox)'));
    backend.addSetAside({
      connection_id: 1,
      run_id: 1,
      stream: 'receipts',
      record_id: 'rc-19',
      reason: 'Amount: not a number',
      seen_at: '2025-01-15T12:01:00Z',
      raw: '{"id":"rc-19","amount":"twelve"}',
    });

    await user.click(await screen.findByTestId('open-1'));
    const page = await screen.findByTestId('page-connection');
    expect(await within(page).findByText(/^Acme Books organisation/)).toBeInTheDocument();
    expect(screen.getByTestId('platform')).toHaveTextContent(/^Acme Books/);
    const cursors = await screen.findByTestId('cursors');
    expect(within(cursors).getAllByRole('row').slice(1).map((r) => r.querySelector('td')?.textContent)).toEqual([
      'Chart of accounts',
      'Expense receipts',
      'Card payments',
    ]);
    expect(within(await screen.findByTestId('set-aside')).getByTestId('set-aside-1')).toHaveTextContent('Expense receipts');
  });
});
