import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { EMPTY_FILTER } from '../backend/types';
import { compareDecimals, dec, toDecimalString } from '../lib/decimal';
import { monthName, readReport, reportTonnes } from '../lib/notifications';
import { renderApp } from '../test/render';

/** A Teams workflow URL as Power Automate gives one (its `sig` is the secret). */
const TEAMS_URL =
  'https://prod-12.westeurope.logic.azure.com:443/workflows/0f1e2d3c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cret-signature';

/** The month of the ledger with the most kg CO2e counted. */
async function busiestMonth(backend: FakeBackend): Promise<string> {
  const { groups } = await backend.emissionsSummary(EMPTY_FILTER, 'month');
  const withScope = groups.filter((g) => g.scope !== null);
  return withScope.sort((a, b) => compareDecimals(b.kg_co2e, a.kg_co2e))[0]!.key;
}

function newBackend() {
  return new FakeBackend({ entriesPerOrg: 300, now: Date.parse('2025-01-15T12:00:00Z') });
}

describe('the Notifications page', () => {
  it('is in the navigation beside the other pages', async () => {
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByTestId('nav-notifications'));
    expect(await screen.findByTestId('page-notifications')).toBeInTheDocument();
    expect(screen.getByText('Nothing is sent anywhere yet')).toBeInTheDocument();
  });

  it('adds a Teams destination from a pasted workflow URL, which it never shows again', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/notifications' });
    const form = await screen.findByTestId('webhook-form-teams');
    const url = within(form).getByTestId('webhook-url-teams');
    expect(url).toHaveAttribute('type', 'password');
    await user.type(url, TEAMS_URL);
    await user.type(within(form).getByTestId('webhook-name-teams'), 'ESG reports channel');
    await user.click(within(form).getByTestId('webhook-add-teams'));

    const card = await screen.findByTestId('destination-1');
    expect(within(card).getByRole('heading', { level: 3 })).toHaveTextContent('ESG reports channel');
    expect(within(card).getByTestId('destination-route-1')).toHaveTextContent('Microsoft Teams · Workflow URL');
    // The application's defaults, as it stored them.
    const [stored] = await backend.listDestinations();
    expect(within(card).getByTestId('schedule-1')).toHaveTextContent(`1st at ${stored!.report_time}`);
    expect(within(card).getByTestId('alerts-1')).toHaveTextContent('Sync failed, Reconnect needed, Syncs paused by a platform limit');
    expect(within(card).getByTestId('alerts-about-1')).toHaveTextContent('Every connection');
    expect(within(card).queryByText('Sandbox')).not.toBeInTheDocument();
    expect(url).toHaveValue('');
    expect(screen.getByTestId('notice')).toHaveTextContent('Added ESG reports channel');
    expect(document.body.innerHTML).not.toContain('s3cret-signature');
  });

  it("refuses a URL that is not a Teams workflow's, in words that say where to copy one", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/notifications' });
    const form = await screen.findByTestId('webhook-form-teams');
    await user.type(within(form).getByTestId('webhook-url-teams'), 'https://example.com/hook');
    await user.click(within(form).getByTestId('webhook-add-teams'));
    const alert = await within(form).findByRole('alert');
    expect(alert).toHaveTextContent('The Microsoft Teams destination was not added');
    expect(alert).toHaveTextContent('its signature (sig=…) is missing');
    expect(alert).toHaveTextContent('copy its HTTP POST URL and paste it whole');
    expect(await backend.listDestinations()).toEqual([]);
  });

  it("previews a month's report: its total as the message writes it, and the chart", async () => {
    const user = userEvent.setup();
    const backend = newBackend();
    const month = await busiestMonth(backend);
    renderApp({ hash: '#/notifications', backend });
    // Months with data are offered however old they are.
    await screen.findByRole('option', { name: monthName(month) });
    await user.selectOptions(screen.getByTestId('report-month'), month);
    await user.click(screen.getByTestId('report-preview'));

    // The month's total from the Emissions page's own query, in tonnes, as the message has it.
    const [y, m] = month.split('-').map(Number) as [number, number];
    const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const summary = await backend.emissionsSummary({ ...EMPTY_FILTER, from: `${month}-01`, to: `${month}-${last}` }, null);
    const kg = dec(summary.totals.kg_co2e).plus(dec(summary.reported.location_kg_co2e));
    const total = reportTonnes(toDecimalString(kg.times('0.001')));
    expect(await screen.findByTestId('report-total')).toHaveTextContent(total);
    const preview = await backend.previewReport(month);
    expect(preview.text).toContain(`Total: ${total}`);
    expect(readReport(preview.report)?.period).toBe(month);

    const chart = screen.getByTestId('report-chart');
    expect(chart.getAttribute('src')).toBe(`data:image/png;base64,${preview.chart_png_base64}`);
    expect(chart).toHaveAccessibleName(/^Emissions by scope/);
    // A real PNG: its signature, base64.
    expect(preview.chart_png_base64!.startsWith('iVBORw0KGgo')).toBe(true);
  });

  it('sends the report now to the sandbox Teams workflow, and the delivery shows in its history as sent with the chart', async () => {
    const user = userEvent.setup();
    const backend = newBackend();
    const month = await busiestMonth(backend);
    renderApp({ hash: '#/notifications', backend });
    await user.click(await screen.findByTestId('sandbox-teams'));
    const card = await screen.findByTestId('destination-1');
    expect(within(card).getByText('Sandbox')).toBeInTheDocument();
    expect(within(card).getByRole('heading', { level: 3 })).toHaveTextContent('Teams workflow');

    await screen.findByRole('option', { name: monthName(month) });
    await user.selectOptions(screen.getByTestId('report-month'), month);
    expect(screen.getByTestId('report-destination')).toHaveValue('1');
    await user.click(screen.getByTestId('report-send'));
    const result = await screen.findByTestId('report-result');
    expect(result).toHaveTextContent(/^The report of \w+ \d{4} was sent to Teams workflow at .*, with its chart\.$/);

    const [delivery] = await backend.destinationHistory(1, 10);
    const row = await within(card).findByTestId(`delivery-${delivery!.id}`);
    expect(row).toHaveTextContent('Monthly report');
    expect(row).toHaveTextContent('Sent by hand');
    expect(within(row).getByTestId(`delivery-status-${delivery!.id}`)).toHaveTextContent('Sentwith chart');
    expect(screen.queryByTestId(`delivery-error-${delivery!.id}`)).not.toBeInTheDocument();
    // What was sent, behind a toggle.
    await user.click(within(row).getByRole('button', { name: 'What was sent' }));
    expect(row).toHaveTextContent(delivery!.summary.split('\n')[1]!);
  });

  it('shows a delivery the platform refused with its words, and the code behind a toggle', async () => {
    const user = userEvent.setup();
    const backend = newBackend();
    renderApp({ hash: '#/notifications', backend });
    await user.click(await screen.findByTestId('sandbox-teams'));
    await screen.findByTestId('destination-1');
    const refusal = {
      code: 'WorkflowTriggerIsNotEnabled',
      message: 'The workflow is turned off. Turn it on in Power Automate (My flows) and send again.',
      detail: null,
      permanent: false,
    };
    backend.failNextDelivery(1, refusal);
    await user.click(screen.getByTestId('send-test-1'));

    await waitFor(() => expect(screen.getAllByTestId('notice').some((n) => n.textContent?.includes('was not delivered'))).toBe(true));
    const [delivery] = await backend.destinationHistory(1, 10);
    expect(delivery!.status).toBe('failed');
    const row = await screen.findByTestId(`delivery-${delivery!.id}`);
    expect(row).toHaveTextContent('Test message');
    expect(within(row).getByTestId(`delivery-status-${delivery!.id}`)).toHaveTextContent('Failed');
    const error = screen.getByTestId(`delivery-error-${delivery!.id}`);
    expect(error).toHaveTextContent('Microsoft Teams did not take the message');
    expect(error).toHaveTextContent(refusal.message);
    expect(error).not.toHaveTextContent(refusal.code);
    await user.click(within(error).getByRole('button', { name: 'Technical details' }));
    expect(error).toHaveTextContent(`code: ${refusal.code}`);
  });

  it('asks which Slack channel after the Slack sign-in, members first, the others marked to invite the app first', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/notifications', connectDelayMs: 5 });
    await user.click(await screen.findByTestId('sign-in-slack'));
    const picker = await screen.findByTestId('channel-picker');
    expect(within(picker).getByRole('heading')).toHaveTextContent('Which Slack channel?');
    expect(picker).toHaveTextContent('Harbour & Pine workspace');

    const options = within(picker).getAllByRole('radio');
    const names = options.map((o) => o.closest('label')!.textContent!);
    const invite = names.map((n) => n.includes('Invite the app first'));
    // Every channel the app is in comes before any it is not in.
    expect(invite.indexOf(true)).toBeGreaterThan(0);
    expect(invite.slice(invite.indexOf(true)).every(Boolean)).toBe(true);
    expect(names.filter((n) => n.startsWith('#random'))).toHaveLength(1);
    expect(names.find((n) => n.startsWith('#random'))).toContain('Invite the app first');
    expect(names.find((n) => n.startsWith('#esg-reports'))).not.toContain('Invite the app first');
    // The first channel it can post to is chosen unless the person picks another.
    expect(options[0]).toBeChecked();

    await user.click(within(picker).getByText('#esg-reports'));
    await user.click(within(picker).getByTestId('confirm-channel'));
    await waitFor(() => expect(screen.queryByTestId('channel-picker')).not.toBeInTheDocument());
    const card = await screen.findByTestId('destination-1');
    expect(within(card).getByRole('heading', { level: 3 })).toHaveTextContent('#esg-reports (Harbour & Pine)');
    expect(within(card).getByTestId('destination-route-1')).toHaveTextContent('Slack · Slack app · Harbour & Pine workspace');
    expect((await backend.listDestinations())[0]).toMatchObject({ route: 'bot', channel_name: 'esg-reports' });
  });

  it('starts the Slack sign-in from the Slack card, and Teams opens its form on this page', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ connectDelayMs: 5 });
    const slack = await screen.findByTestId('card-slack');
    expect(within(slack).queryByText('Not yet available')).not.toBeInTheDocument();
    await user.click(within(slack).getByTestId('connect-slack'));
    await screen.findByTestId('channel-picker');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByTestId('channel-picker')).not.toBeInTheDocument());
    expect(await backend.listDestinations()).toEqual([]);

    const teams = screen.getByTestId('card-teams');
    expect(within(teams).queryByText('Not yet available')).not.toBeInTheDocument();
    await user.click(within(teams).getByTestId('connect-teams'));
    expect(await screen.findByTestId('page-notifications')).toBeInTheDocument();
    expect(window.location.hash).toBe('#/notifications/add/teams');
    await waitFor(() => expect(screen.getByTestId('webhook-url-teams')).toHaveFocus());
  });

  it('changes when the report goes out, which alerts come and about which connections', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/notifications' });
    await user.click(await screen.findByTestId('sandbox-teams'));
    const card = await screen.findByTestId('destination-1');
    await user.click(within(card).getByTestId('edit-1'));
    await user.selectOptions(within(card).getByTestId('report-day-1'), '15');
    const time = within(card).getByTestId('report-time-1');
    await user.clear(time);
    await user.type(time, '08:30');
    await user.click(within(card).getByTestId('alert-limit_paused-1'));
    await user.click(within(card).getByTestId('about-chosen-1'));
    await user.click(within(card).getByTestId('about-1-1'));
    await user.click(within(card).getByTestId('save-settings-1'));

    await waitFor(() => expect(within(card).getByTestId('schedule-1')).toHaveTextContent('15th at 08:30'));
    expect(within(card).getByTestId('alerts-1')).toHaveTextContent('Sync failed, Reconnect needed');
    expect(within(card).getByTestId('alerts-1')).not.toHaveTextContent('limit');
    expect(within(card).getByTestId('alerts-about-1')).toHaveTextContent('Harbour & Pine Ltd (Xero, Sandbox)');
    expect((await backend.listDestinations())[0]).toMatchObject({
      report_day: 15,
      report_time: '08:30',
      alert_kinds: ['sync_failed', 'needs_reconnect'],
      alert_connections: [1],
    });

    // Back to every connection, and a time that is not one is refused in words.
    await user.click(within(card).getByTestId('about-every-1'));
    await user.clear(time);
    await user.type(time, '25:00');
    await user.click(within(card).getByTestId('save-settings-1'));
    expect(await within(card).findByRole('alert')).toHaveTextContent('"25:00" is not a time of day: give it as HH:MM, e.g. 09:00.');
    await user.clear(time);
    await user.type(time, '07:00');
    await user.click(within(card).getByTestId('save-settings-1'));
    await waitFor(() => expect(within(card).getByTestId('alerts-about-1')).toHaveTextContent('Every connection'));
    expect((await backend.listDestinations())[0]!.alert_connections).toBeNull();
  });

  it('asks before removing a destination, and removes it', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/notifications' });
    await user.click(await screen.findByTestId('sandbox-slack'));
    const card = await screen.findByTestId('destination-1');
    await user.click(within(card).getByTestId('remove-1'));
    const dialog = await screen.findByTestId('remove-destination-dialog');
    expect(dialog).toHaveTextContent('Remove Slack incoming webhook?');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.getByTestId('destination-1')).toBeInTheDocument();
    await user.click(within(card).getByTestId('remove-1'));
    await user.click(screen.getByTestId('confirm-remove'));
    await waitFor(() => expect(screen.queryByTestId('destination-1')).not.toBeInTheDocument());
    expect(await backend.listDestinations()).toEqual([]);
  });

  it('lists incidents, open ones first', async () => {
    const backend = newBackend();
    const t = Date.parse('2025-01-10T09:00:00Z');
    backend.addIncident({
      connection_id: 2,
      kind: 'sync_failed',
      what: 'QuickBooks Online did not answer.',
      fix: '',
      opened_at_ms: t,
      resolved_at_ms: t + 3_600_000,
      resolved_how: 'a sync succeeded',
    });
    backend.addIncident({
      connection_id: 1,
      kind: 'needs_reconnect',
      what: 'Xero no longer accepts CarbonSync’s access.',
      fix: 'Connect Harbour & Pine Ltd again on the Integrations page.',
      opened_at_ms: t - 86_400_000,
      resolved_at_ms: null,
      resolved_how: null,
    });
    renderApp({ hash: '#/notifications', backend });
    const list = await screen.findByTestId('incidents');
    const items = await within(list).findAllByRole('listitem');
    expect(items.map((i) => i.getAttribute('data-testid'))).toEqual(['incident-2', 'incident-1']);
    expect(items[0]).toHaveTextContent('Open Reconnect needed · Harbour & Pine Ltd (Xero, Sandbox)');
    expect(items[0]).toHaveTextContent('What to do: Connect Harbour & Pine Ltd again');
    expect(items[1]).toHaveTextContent('Resolved');
    expect(items[1]).toHaveTextContent('a sync succeeded');
  });
});
