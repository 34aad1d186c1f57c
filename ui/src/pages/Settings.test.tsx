import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
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
});
