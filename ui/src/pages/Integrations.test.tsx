import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { DAILY_LIMIT, EVENING, HeldBackend, type Hold, REFUSED, RETRYING } from './ConnectionHolds.fixture';
import { renderApp } from '../test/render';
import { matchProviders, providerState } from './Integrations';
import { CATALOGUE } from '../backend/fakeData';
import { RECORDED } from '../backend/recorded';
import { platformsFrom } from '../lib/platforms';
import type { ProviderView } from '../bindings/ProviderView';

describe('the Integrations page', () => {
  it('lists the 8 platforms of the catalogue in 4 categories', async () => {
    renderApp();
    const page = await screen.findByTestId('page-integrations');
    await screen.findByTestId('card-xero');
    const sections = within(page).getAllByRole('heading', { level: 2 });
    expect(sections.map((h) => h.textContent?.replace(/\d+$/, '').trim())).toEqual(['Accounting', 'Cloud', 'CRM', 'Communication']);
    for (const id of ['xero', 'quickbooks', 'aws', 'azure', 'gcp', 'salesforce', 'slack', 'teams']) {
      expect(screen.getByTestId(`card-${id}`)).toBeInTheDocument();
    }
    expect(within(page).getAllByRole('article')).toHaveLength(8);
  });

  it('shows each connected organisation on its platform, labelled Sandbox, with its state in words', async () => {
    renderApp();
    const xero = await screen.findByTestId('card-xero');
    await within(xero).findByText('Harbour & Pine Ltd');
    const quickbooks = screen.getByTestId('card-quickbooks');
    expect(within(quickbooks).getByText('Cedar & Finch Trading Co.')).toBeInTheDocument();
    for (const card of [xero, quickbooks]) expect(within(card).getAllByText('Sandbox').length).toBeGreaterThanOrEqual(2);
    expect(within(xero).getByTestId('status-1')).toHaveTextContent('Connected');
    expect(within(quickbooks).getByTestId('status-2')).toHaveTextContent('Connected');
    // Their currencies, as each platform's organisation gave them.
    expect(within(screen.getByTestId('connection-1')).getByText('GBP')).toBeInTheDocument();
    expect(within(screen.getByTestId('connection-2')).getByText('USD')).toBeInTheDocument();
  });

  it('offers every platform of the catalogue: Xero, QuickBooks Online, AWS, Azure, Google Cloud and Salesforce to read from, Slack and Microsoft Teams to send to', async () => {
    renderApp();
    await screen.findByTestId('card-quickbooks');
    const offered = ['xero', 'quickbooks', 'aws', 'azure', 'gcp', 'salesforce', 'slack', 'teams'];
    for (const id of offered) {
      expect(screen.getByTestId(`connect-${id}`)).toBeEnabled();
      expect(within(screen.getByTestId(`card-${id}`)).queryByText('Not yet available')).not.toBeInTheDocument();
    }
    // Nothing connected on the cloud platforms yet, and none of them on the sandbox as a whole.
    for (const id of ['aws', 'azure', 'gcp']) {
      expect(screen.getByTestId(`summary-${id}`)).toHaveTextContent('Not connected.');
      expect(within(screen.getByTestId(`card-${id}`)).queryByText('Sandbox')).not.toBeInTheDocument();
    }
    // Salesforce signs in on the sandbox until its own app is set up.
    expect(screen.getByTestId('summary-salesforce')).toHaveTextContent(
      'Not connected.Runs on the built-in sandbox until your own Salesforce app is set up in Settings.',
    );
    expect(within(screen.getByTestId('card-salesforce')).getByText('Sandbox')).toBeInTheDocument();
    // Slack and Teams receive the monthly report and alerts. Slack signs in on the sandbox until
    // its own app is set up; Teams takes a workflow's URL, real or the sandbox's by choice.
    for (const id of ['slack', 'teams']) {
      expect(screen.getByTestId(`summary-${id}`)).toHaveTextContent('Not connected. Sends the monthly report and sync alerts to a channel.');
    }
    expect(within(screen.getByTestId('card-slack')).getByText('Sandbox')).toBeInTheDocument();
    expect(within(screen.getByTestId('card-teams')).queryByText('Sandbox')).not.toBeInTheDocument();
    // Slack's webhook can be pasted on the Notifications page instead of signing in.
    expect(screen.getByTestId('paste-webhook-slack')).toHaveAttribute('href', '#/notifications/add/slack');
    const cards = screen.getAllByRole('article').map((a) => a.getAttribute('data-testid')!.replace(/^card-/, ''));
    expect(cards).toEqual(offered);
  });

  it("shows a Slack or Teams card's destinations once one is added", async () => {
    const backend = new FakeBackend({ entriesPerOrg: 50 });
    await backend.addSandboxDestination('teams', 'ESG reports channel');
    renderApp({ backend });
    const teams = await screen.findByTestId('card-teams');
    expect(await within(teams).findByTestId('card-destination-1')).toHaveTextContent('ESG reports channelSandbox');
    expect(screen.getByTestId('summary-teams')).toHaveTextContent('Sends to 1 destination.');
    expect(within(teams).getByText('Connected')).toBeInTheDocument();
    expect(screen.getByTestId('connect-teams')).toHaveTextContent('Add another channel');
  });

  it('connects a cloud platform with its keys form, not a sign-in in the browser', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp();
    const beginConnect = vi.spyOn(backend, 'beginConnect');
    await user.click(await screen.findByTestId('connect-azure'));
    const dialog = await screen.findByRole('dialog', { name: 'Connect Microsoft Azure' });
    expect(await within(dialog).findByTestId('cloud-field-client_secret')).toHaveAttribute('type', 'password');
    expect(screen.queryByText('Waiting for you to approve in the browser…')).not.toBeInTheDocument();
    expect(beginConnect).not.toHaveBeenCalled();
  });

  it('connects Salesforce through a sign-in in the browser: its one org at once, with no currency to show', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ scenario: 'empty', connectDelayMs: 10, stepMs: 5 });
    const beginConnect = vi.spyOn(backend, 'beginConnect');
    await user.click(await screen.findByTestId('connect-salesforce'));
    expect(beginConnect).toHaveBeenCalledExactlyOnceWith('salesforce');
    expect(screen.queryByTestId('cloud-connect-salesforce')).not.toBeInTheDocument();
    const card = screen.getByTestId('card-salesforce');
    const row = await within(card).findByTestId('connection-1');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByTestId('notice')).toHaveTextContent('Connected CarbonSync Demo Group (Salesforce, Sandbox)');
    expect(screen.getByTestId('summary-salesforce')).toHaveTextContent('1 organisation connected.');
    await waitFor(() => expect(within(row).getByTestId('status-1')).toHaveTextContent('Connected · synced'), { timeout: 3000 });
    // The org has no base currency: no currency tag, and never the word null.
    expect((await backend.listConnections())[0]!.base_currency).toBeNull();
    expect(row.querySelector('.connection-name')!.textContent).toBe('CarbonSync Demo GroupSandbox');
    expect(row.querySelector('.tag')).toBeNull();
    expect(card.textContent).not.toMatch(/null|undefined/);
  });

  it('narrows the list to the platforms whose name matches the search', async () => {
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('card-xero');
    await user.type(screen.getByTestId('integration-search'), 'micro');
    expect(screen.getByTestId('card-azure')).toBeInTheDocument();
    expect(screen.getByTestId('card-teams')).toBeInTheDocument();
    expect(screen.queryByTestId('card-xero')).not.toBeInTheDocument();
    expect(screen.queryByTestId('card-slack')).not.toBeInTheDocument();
  });

  it('says so when nothing matches, and can show everything again', async () => {
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('card-xero');
    await user.type(screen.getByTestId('integration-search'), 'oracle');
    expect(screen.getByText('No platform matches')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Show every platform' }));
    expect(screen.getByTestId('card-xero')).toBeInTheDocument();
  });

  it('filters by category', async () => {
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('card-xero');
    await user.click(screen.getByRole('button', { name: 'Cloud' }));
    expect(screen.getByTestId('card-aws')).toBeInTheDocument();
    expect(screen.queryByTestId('card-xero')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cloud' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('shows Syncing while a sync runs and Connected once it ends', async () => {
    const user = userEvent.setup();
    renderApp({ stepMs: 20 });
    await screen.findByTestId('status-1');
    await user.click(screen.getByTestId('sync-1'));
    await waitFor(() => expect(screen.getByTestId('status-1')).toHaveTextContent('Syncing'));
    expect(within(screen.getByTestId('connection-1')).getByRole('progressbar')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('status-1')).toHaveTextContent('Connected'), { timeout: 3000 });
  });

  it('shows the message of a failed sync on the card and in a notice', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ entriesPerOrg: 100, stepMs: 5 });
    backend.failNextSync(1, {
      code: 'network',
      message: 'CarbonSync could not reach the platform. Check the network connection; the next sync continues where this one stopped.',
      detail: 'Provider(Transport { source: "connection refused" })',
      permanent: false,
    });
    renderApp({ backend });
    await screen.findByTestId('status-1');
    await user.click(screen.getByTestId('sync-1'));
    await waitFor(() => expect(screen.getByTestId('status-1')).toHaveTextContent('Error'));
    expect(screen.getByTestId('status-1')).toHaveTextContent('CarbonSync could not reach the platform');
    const notice = screen.getByTestId('notice');
    expect(within(notice).getByRole('alert')).toHaveTextContent('Sync of Harbour & Pine Ltd (Xero, Sandbox) failed');
    // The technical detail stays hidden until asked for.
    expect(within(notice).queryByText(/connection refused/)).not.toBeInTheDocument();
    await user.click(within(notice).getByRole('button', { name: 'Technical details' }));
    expect(within(notice).getByText(/connection refused/)).toBeInTheDocument();
  });

  it('waits for the browser, then asks which of the organisations the sign-in reaches to connect', async () => {
    const user = userEvent.setup();
    renderApp({ scenario: 'empty', connectDelayMs: 30, stepMs: 5 });
    await user.click(await screen.findByTestId('connect-xero'));
    expect(await screen.findByText('Waiting for you to approve in the browser…')).toBeInTheDocument();
    const dialog = await screen.findByRole('dialog', { name: 'Which Xero organisation?' });
    expect(within(dialog).getByLabelText('Northwind Outfitters Inc.')).toBeInTheDocument();
    await user.click(within(dialog).getByLabelText('Harbour & Pine Ltd'));
    await user.click(within(dialog).getByRole('button', { name: 'Connect organisation' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await screen.findByTestId('connection-1')).toHaveTextContent('Harbour & Pine Ltd');
    expect(screen.getByTestId('notice')).toHaveTextContent('Connected Harbour & Pine Ltd (Xero, Sandbox)');
    // The first sync brings in what the application's first sync of it read.
    await waitFor(() => expect(screen.getByTestId('status-1')).toHaveTextContent('Connected · synced'), { timeout: 3000 });
  });

  it('connects the one QuickBooks company without asking which', async () => {
    const user = userEvent.setup();
    renderApp({ scenario: 'empty', connectDelayMs: 10, stepMs: 5 });
    await user.click(await screen.findByTestId('connect-quickbooks'));
    const card = screen.getByTestId('card-quickbooks');
    expect(await within(card).findByTestId('connection-1')).toHaveTextContent('Cedar & Finch Trading Co.');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByTestId('notice')).toHaveTextContent('Connected Cedar & Finch Trading Co. (QuickBooks Online, Sandbox)');
  });

  it("says in the application's words that access was declined, and connects nothing", async () => {
    const user = userEvent.setup();
    renderApp({ scenario: 'empty', connectAnswer: 'denied', connectDelayMs: 10 });
    await user.click(await screen.findByTestId('connect-quickbooks'));
    const alert = await within(screen.getByTestId('notice')).findByRole('alert');
    expect(alert).toHaveTextContent('Access was declined at QuickBooks Online (sandbox)');
    expect(alert).toHaveTextContent('Connect again and choose Approve to continue');
    expect(screen.queryByTestId('connection-1')).not.toBeInTheDocument();
  });

  it('says which organisation no longer accepts access and offers to reconnect it, which makes it Connected again', async () => {
    const user = userEvent.setup();
    renderApp({ scenario: 'revoked', connectDelayMs: 10, stepMs: 5 });
    const status = await screen.findByTestId('status-1');
    expect(status).toHaveTextContent('Needs reconnect');
    expect(status).toHaveTextContent("Xero no longer accepts CarbonSync's access to Harbour & Pine Ltd; reconnect it to continue syncing");
    expect(screen.getByTestId('sync-1')).toBeDisabled();
    expect(screen.getByTestId('status-2')).toHaveTextContent('Connected');

    await user.click(screen.getByTestId('reconnect-1'));
    const dialog = await screen.findByRole('dialog', { name: 'Which Xero organisation?' });
    await user.click(within(dialog).getByLabelText('Harbour & Pine Ltd'));
    await user.click(within(dialog).getByRole('button', { name: 'Connect organisation' }));
    await waitFor(() => expect(screen.getByTestId('status-1')).toHaveTextContent('Connected · synced'), { timeout: 3000 });
    expect(screen.queryByTestId('reconnect-1')).not.toBeInTheDocument();
  });

  it('cancels a sign-in that waits for the browser: the application forgets it and no answer follows', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ scenario: 'empty', connectDelayMs: 80, now: Date.parse('2025-01-15T12:00:00Z') });
    const cancelConnect = vi.spyOn(backend, 'cancelConnect');
    renderApp({ backend });
    await user.click(await screen.findByTestId('connect-xero'));
    const card = screen.getByTestId('card-xero');
    expect(await within(card).findByText('Waiting for you to approve in the browser…')).toBeInTheDocument();

    await user.click(within(card).getByRole('button', { name: 'Cancel the sign-in to Xero' }));
    expect(cancelConnect).toHaveBeenCalledExactlyOnceWith('xero');
    await waitFor(() => expect(within(card).queryByText('Waiting for you to approve in the browser…')).not.toBeInTheDocument());
    expect(within(card).getByTestId('connect-xero')).toBeEnabled();
    expect(within(card).getByText('Not connected')).toBeInTheDocument();

    // The answer the browser would have sent never turns into a connection or a choice.
    await new Promise((r) => setTimeout(r, 150));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await backend.listConnections()).toEqual([]);
  });

  it('keeps the card waiting no longer when the cancel fails, and says why', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ scenario: 'empty', connectDelayMs: 10_000, now: Date.parse('2025-01-15T12:00:00Z') });
    vi.spyOn(backend, 'cancelConnect').mockRejectedValueOnce({
      code: 'keychain',
      message: 'The keychain is locked. Unlock it and try again.',
      detail: null,
      permanent: false,
    });
    renderApp({ backend });
    await user.click(await screen.findByTestId('connect-xero'));
    await user.click(await screen.findByTestId('cancel-connect-xero'));
    const alert = await within(screen.getByTestId('notice')).findByRole('alert');
    expect(alert).toHaveTextContent('The sign-in to Xero could not be cancelled');
    expect(screen.queryByTestId('cancel-connect-xero')).not.toBeInTheDocument();
  });

  it('says clearly when a sign-in answer may be forged or replayed', async () => {
    const user = userEvent.setup();
    renderApp({ connectAnswer: 'forged', connectDelayMs: 10 });
    await user.click(await screen.findByTestId('connect-xero'));
    const alert = await within(screen.getByTestId('notice')).findByRole('alert');
    expect(alert).toHaveTextContent('may be forged or replayed. Nothing was stored');
    expect(screen.queryByText('Waiting for you to approve in the browser…')).not.toBeInTheDocument();
  });

  it('asks before disconnecting and can delete the synced data too', async () => {
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByTestId('disconnect-2'));
    const dialog = screen.getByRole('dialog', { name: 'Disconnect Cedar & Finch Trading Co.?' });
    await user.click(within(dialog).getByLabelText(/Also delete synced data/));
    await user.click(screen.getByTestId('confirm-disconnect'));
    await waitFor(() => expect(screen.queryByTestId('connection-2')).not.toBeInTheDocument());
    expect(screen.getByTestId('notice')).toHaveTextContent('Disconnected Cedar & Finch Trading Co.');
  });

  it('closes the disconnect question with Escape and changes nothing', async () => {
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByTestId('disconnect-1'));
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByTestId('status-1')).toHaveTextContent('Connected');
    expect(screen.getByTestId('disconnect-1')).toHaveFocus();
  });
});

describe('the schedule on the Integrations page', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(EVENING);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const badge = (card: HTMLElement) => card.querySelector('.badges .badge')?.textContent;

  it("says a connection is paused by Xero's daily limit, until when, in local time", async () => {
    renderApp({ backend: new HeldBackend({ 1: DAILY_LIMIT }) });
    const status = await screen.findByTestId('status-1');
    await waitFor(() => expect(status).toHaveTextContent('Paused'));
    expect(status).toHaveTextContent("Paused until 09:14 tomorrow: Xero's daily limit");
    expect(badge(screen.getByTestId('card-xero'))).toBe('Paused');
    expect(screen.getByTestId('status-2')).toHaveTextContent('Connected');
    // Sync now still runs when asked.
    expect(screen.getByTestId('sync-1')).toBeEnabled();
  });

  it('says when a failing connection is retried and how many times it failed', async () => {
    renderApp({ backend: new HeldBackend({ 2: RETRYING }) });
    const status = await screen.findByTestId('status-2');
    await waitFor(() => expect(status).toHaveTextContent('Retrying'));
    expect(status).toHaveTextContent('Retrying at 21:34 today (2 failures in a row): CarbonSync could not reach the platform.');
    expect(badge(screen.getByTestId('card-quickbooks'))).toBe('Retrying');
  });

  it('says why a schedule stopped and what to do, and a successful Sync now starts it again', async () => {
    const user = userEvent.setup();
    renderApp({ backend: new HeldBackend({ 1: REFUSED, 2: RETRYING }) });
    const status = await screen.findByTestId('status-1');
    await waitFor(() => expect(status).toHaveTextContent('Stopped'));
    expect(status).toHaveTextContent('The platform refused the request (HTTP 400).');
    expect(status).toHaveTextContent('The schedule is stopped until you act');
    expect(status).toHaveTextContent('use Sync now');
    // The state most in need of the person leads the card.
    expect(badge(screen.getByTestId('card-xero'))).toBe('Stopped');

    await user.click(screen.getByTestId('sync-1'));
    await waitFor(() => expect(screen.getByTestId('status-1')).toHaveTextContent('Connected'), { timeout: 3000 });
    expect(screen.getByTestId('status-1')).not.toHaveTextContent('stopped');
    await waitFor(() => expect(badge(screen.getByTestId('card-xero'))).toBe('Connected'));
    // The other platform's connection keeps its own hold.
    expect(badge(screen.getByTestId('card-quickbooks'))).toBe('Retrying');
  });

  it("leads a platform's card with the state of its organisations that most needs the person", () => {
    const xero = CATALOGUE.find((p) => p.id === 'xero')!;
    const recorded = RECORDED.connections.find((c) => c.provider === 'xero')!;
    const second = { ...recorded, id: 9, tenant_name: 'Northwind Outfitters Inc.' };
    const state = (holds: [Hold, Hold]) =>
      providerState(xero, [{ ...recorded, ...holds[0] }, { ...second, ...holds[1] }], new Map(), false, platformsFrom(CATALOGUE)).label;
    expect(state([REFUSED, DAILY_LIMIT])).toBe('Stopped');
    expect(state([DAILY_LIMIT, RETRYING])).toBe('Retrying');
    expect(state([DAILY_LIMIT, {}])).toBe('Paused');
    expect(state([{}, {}])).toBe('Connected');
    const revoked = RECORDED.revoked.connection;
    expect(providerState(xero, [revoked, { ...second, ...REFUSED }], new Map(), false, platformsFrom(CATALOGUE)).label).toBe('Needs reconnect');
  });
});

describe('the tile of a platform', () => {
  it("shows a monogram made from the platform's name, hidden from screen readers, with the name as the card's label", async () => {
    const acme: ProviderView = {
      ...CATALOGUE.find((p) => p.id === 'xero')!,
      id: 'acme',
      name: 'Acme Books',
      docs_url: null,
      streams: [{ name: 'receipts', label: 'Expense receipts', short: 'Receipt', singular: 'Expense receipt' }],
    };
    renderApp({ backend: new FakeBackend({ scenario: 'empty', catalogue: [...CATALOGUE, acme] }) });
    const card = await screen.findByRole('article', { name: 'Acme Books' });
    const mark = within(card).getByTestId('mark-acme');
    expect(mark).toHaveTextContent(/^AB$/);
    expect(mark).toHaveAttribute('aria-hidden', 'true');
    expect(mark.style.background).not.toBe('');
    expect(within(screen.getByTestId('card-xero')).getByTestId('mark-xero')).toHaveTextContent(/^X$/);
    expect(within(screen.getByTestId('card-quickbooks')).getByTestId('mark-quickbooks')).toHaveTextContent(/^QBO$/);
    expect(screen.getByTestId('connect-acme')).toBeEnabled();
  });
});

describe('matchProviders', () => {
  it('matches every word of the search against name, category and sign-in kind', () => {
    expect(matchProviders(CATALOGUE, 'google', 'all').map((p) => p.id)).toEqual(['gcp']);
    expect(matchProviders(CATALOGUE, 'crm', 'all').map((p) => p.id)).toEqual(['salesforce']);
    expect(matchProviders(CATALOGUE, 'microsoft teams', 'all').map((p) => p.id)).toEqual(['teams']);
    expect(matchProviders(CATALOGUE, '', 'communication').map((p) => p.id)).toEqual(['slack', 'teams']);
  });
});
