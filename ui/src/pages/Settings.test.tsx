import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { RECORDED } from '../backend/recorded';
import { renderApp } from '../test/render';

describe('the Settings page', () => {
  it('shows where the data, configuration and logs are, as text that can be selected', async () => {
    renderApp({ hash: '#/settings' });
    const data = await screen.findByTestId('path-data');
    expect(data).toHaveValue('/home/you/.local/share/carbonsync');
    expect(data).toHaveAttribute('readonly');
    expect(screen.getByTestId('path-configuration')).toHaveValue('/home/you/.config/carbonsync/carbonsync.toml');
    expect(screen.getByTestId('path-log')).toHaveValue('/home/you/.local/share/app.carbonsync.desktop/logs');
  });

  it('stores a client secret without ever showing it, and can go back to the sandbox', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/settings' });
    const form = await screen.findByTestId('credentials-xero');
    expect(within(form).getByText('Sandbox')).toBeInTheDocument();
    await user.type(screen.getByTestId('client-id-xero'), 'MY-CLIENT-ID');
    await user.type(screen.getByTestId('client-secret-xero'), 's3cret-value');
    expect(screen.getByTestId('client-secret-xero')).toHaveAttribute('type', 'password');
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByTestId('client-secret-xero')).toHaveValue(''));
    expect(screen.getByTestId('client-secret-xero')).toHaveAttribute('placeholder', 'Stored in the keychain');
    expect(document.body.textContent).not.toContain('s3cret-value');
    expect((await backend.getSettings()).providers[0]).toMatchObject({ client_id: 'MY-CLIENT-ID', has_client_secret: true, sandbox: false });

    await user.click(screen.getByTestId('use-sandbox-xero'));
    await waitFor(async () => expect((await backend.getSettings()).providers[0]).toMatchObject({ client_id: null, sandbox: true }));
  });

  it("offers Slack's app credentials, but none for Microsoft Teams, which a workflow's URL reaches", async () => {
    renderApp({ hash: '#/settings' });
    expect(await screen.findByTestId('credentials-slack')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByTestId('credentials-teams')).not.toBeInTheDocument());
    expect(screen.getByText(/Microsoft Teams needs no app/)).toHaveTextContent("paste a workflow's URL on the Notifications page");
  });

  it('lists the sync frequency of each connection', async () => {
    // Both hourly as the application connected them; one changed since.
    const backend = new FakeBackend({ now: RECORDED.readAt });
    await backend.setFrequency(2, 'daily');
    renderApp({ hash: '#/settings', backend });
    expect(await screen.findByTestId('frequency-1')).toHaveValue(RECORDED.connections[0]!.frequency);
    expect(screen.getByTestId('frequency-1')).toHaveValue('hourly');
    expect(screen.getByTestId('frequency-2')).toHaveValue('daily');
  });

  it('turns starting at login on and off with its checkbox', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ now: RECORDED.readAt });
    const setAutostart = vi.spyOn(backend, 'setAutostart');
    renderApp({ hash: '#/settings', backend });
    expect(await screen.findByRole('heading', { name: 'Start at login' })).toBeInTheDocument();
    const box = await screen.findByRole('checkbox', { name: 'Start CarbonSync at login (in the tray, window hidden)' });
    expect(box).not.toBeChecked();
    await user.click(box);
    await waitFor(() => expect(box).toBeChecked());
    expect(await backend.autostartState()).toEqual({ enabled: true, asked: true });
    await user.click(box);
    await waitFor(() => expect(box).not.toBeChecked());
    expect(setAutostart.mock.calls).toEqual([[true], [false]]);
    expect(await backend.autostartState()).toEqual({ enabled: false, asked: true });
  });

  it('says why starting at login could not be turned on, and leaves the checkbox as it was', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ now: RECORDED.readAt });
    const message =
      'CarbonSync could not turn on starting at login: permission denied. Check that the folder ~/.config/autostart can be written.';
    backend.failNextAutostart({ code: 'autostart', message, detail: null, permanent: false });
    renderApp({ hash: '#/settings', backend });
    const box = await screen.findByRole('checkbox', { name: 'Start CarbonSync at login (in the tray, window hidden)' });
    await user.click(box);
    expect(await within(screen.getByTestId('start-at-login')).findByRole('alert')).toHaveTextContent(message);
    expect(box).not.toBeChecked();
  });

  it('says updates are off when no update endpoint is set', async () => {
    const backend = new FakeBackend({ now: RECORDED.readAt });
    const check = vi.spyOn(backend, 'checkForUpdate');
    renderApp({ hash: '#/settings', backend });
    expect(await screen.findByRole('heading', { name: 'Updates' })).toBeInTheDocument();
    expect(screen.getByTestId('updates')).toHaveTextContent(
      'Updates are off: no update endpoint is set ([updates] endpoint in carbonsync.toml).',
    );
    expect(within(screen.getByTestId('updates')).queryByRole('button', { name: 'Check for updates' })).not.toBeInTheDocument();
    expect(check).not.toHaveBeenCalled();
  });

  it('shows the update endpoint, and checks for updates when asked', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ now: RECORDED.readAt, updateEndpoint: 'https://updates.example.com/carbonsync/latest.json' });
    const check = vi.spyOn(backend, 'checkForUpdate');
    renderApp({ hash: '#/settings', backend });
    const updates = await screen.findByTestId('updates');
    expect(updates).toHaveTextContent('https://updates.example.com/carbonsync/latest.json');
    await waitFor(() => expect(updates).toHaveTextContent('CarbonSync 0.1.0 is the newest version.'));
    expect(check).toHaveBeenCalledTimes(1);

    // A newer version is published: the check finds it, and the notice offers it.
    backend.setUpdate({ version: '0.2.0' });
    await user.click(within(updates).getByRole('button', { name: 'Check for updates' }));
    await waitFor(() => expect(updates).toHaveTextContent('CarbonSync 0.2.0 is available (you have 0.1.0).'));
    expect(check).toHaveBeenCalledTimes(2);
    expect(await screen.findByRole('status', { name: 'Update available' })).toHaveTextContent(
      'CarbonSync 0.2.0 is available (you have 0.1.0).',
    );
  });

  it('says why a check for updates failed', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend({ now: RECORDED.readAt, updateEndpoint: 'https://updates.example.com/latest.json' });
    renderApp({ hash: '#/settings', backend });
    const updates = await screen.findByTestId('updates');
    await waitFor(() => expect(updates).toHaveTextContent('CarbonSync 0.1.0 is the newest version.'));
    const message = 'CarbonSync could not reach its update server: connection refused. It will ask again next time it starts.';
    backend.failNextUpdate('check', { code: 'update', message, detail: null, permanent: false });
    await user.click(within(updates).getByRole('button', { name: 'Check for updates' }));
    expect(await within(updates).findByRole('alert')).toHaveTextContent(message);
  });
});
