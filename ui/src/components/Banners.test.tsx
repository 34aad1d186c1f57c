import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { FakeBackend, type FakeBackendOptions } from '../backend/fake';
import { renderApp } from '../test/render';
import { downloadText } from './Banners';

const FRESH = { enabled: false, asked: false };

function fake(options: FakeBackendOptions = {}) {
  return new FakeBackend({ entriesPerOrg: 300, now: Date.parse('2025-01-15T12:00:00Z'), ...options });
}

const SIGNATURE_REFUSED = {
  code: 'update',
  message:
    "The update's signature does not match CarbonSync's key (the signature was made with another key), so it was not installed. It may have been tampered with; tell whoever runs the update server.",
  detail: null,
  permanent: false,
};

describe('the first-run question about starting at login', () => {
  it('asks on a fresh install, on every page, without stopping anything else', async () => {
    const user = userEvent.setup();
    renderApp({ backend: fake({ autostart: FRESH }) });
    const ask = await screen.findByRole('region', { name: 'Start at login' });
    expect(ask).toHaveTextContent(
      'Start CarbonSync when you log in, so syncs run on schedule? It starts in the tray, without opening this window.',
    );
    expect(within(ask).getByRole('button', { name: 'Start at login' })).toBeEnabled();
    expect(within(ask).getByRole('button', { name: 'Not now' })).toBeEnabled();
    // Not a dialog: the rest of the window can be used, and the question stays until answered.
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('nav-emissions'));
    await screen.findByTestId('page-emissions');
    expect(screen.getByRole('region', { name: 'Start at login' })).toBeInTheDocument();
  });

  it('"Start at login" turns it on, and the question goes away for good', async () => {
    const user = userEvent.setup();
    const backend = fake({ autostart: FRESH });
    const setAutostart = vi.spyOn(backend, 'setAutostart');
    renderApp({ backend });
    const ask = await screen.findByRole('region', { name: 'Start at login' });
    await user.click(within(ask).getByRole('button', { name: 'Start at login' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Start at login' })).not.toBeInTheDocument());
    expect(setAutostart).toHaveBeenCalledExactlyOnceWith(true);
    expect(await backend.autostartState()).toEqual({ enabled: true, asked: true });
  });

  it('"Not now" records the answer with starting at login off', async () => {
    const user = userEvent.setup();
    const backend = fake({ autostart: FRESH });
    const setAutostart = vi.spyOn(backend, 'setAutostart');
    renderApp({ backend, hash: '#/settings' });
    const ask = await screen.findByRole('region', { name: 'Start at login' });
    await user.click(within(ask).getByRole('button', { name: 'Not now' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Start at login' })).not.toBeInTheDocument());
    expect(setAutostart).toHaveBeenCalledExactlyOnceWith(false);
    expect(await backend.autostartState()).toEqual({ enabled: false, asked: true });
    expect(await screen.findByRole('checkbox', { name: 'Start CarbonSync at login (in the tray, window hidden)' })).not.toBeChecked();
  });

  it('answered in the question, the setting on the Settings page shows it', async () => {
    const user = userEvent.setup();
    renderApp({ backend: fake({ autostart: FRESH }), hash: '#/settings' });
    const box = await screen.findByRole('checkbox', { name: 'Start CarbonSync at login (in the tray, window hidden)' });
    expect(box).not.toBeChecked();
    await user.click(within(screen.getByRole('region', { name: 'Start at login' })).getByRole('button', { name: 'Start at login' }));
    await waitFor(() => expect(box).toBeChecked());
  });

  it('says why when starting at login could not be changed, and keeps asking', async () => {
    const user = userEvent.setup();
    const backend = fake({ autostart: FRESH });
    const message =
      'CarbonSync could not turn on starting at login: permission denied. Check that the folder ~/.config/autostart can be written.';
    backend.failNextAutostart({ code: 'autostart', message, detail: null, permanent: false });
    renderApp({ backend });
    const ask = await screen.findByRole('region', { name: 'Start at login' });
    await user.click(within(ask).getByRole('button', { name: 'Start at login' }));
    expect(await within(ask).findByRole('alert')).toHaveTextContent(message);
    expect(await backend.autostartState()).toEqual(FRESH);
    // Asked again, it works.
    await user.click(within(ask).getByRole('button', { name: 'Start at login' }));
    await waitFor(() => expect(ask).not.toBeInTheDocument());
  });

  it('is not asked once answered', async () => {
    renderApp({ backend: fake({ autostart: { enabled: false, asked: true } }) });
    await screen.findByTestId('card-xero');
    expect(screen.queryByRole('region', { name: 'Start at login' })).not.toBeInTheDocument();
  });
});

describe('the update notice', () => {
  it('is never shown, and the endpoint never asked, when updates are off', async () => {
    const backend = fake({ update: { version: '0.2.0' }, updateEndpoint: null });
    const check = vi.spyOn(backend, 'checkForUpdate');
    renderApp({ backend });
    await screen.findByTestId('card-xero');
    await new Promise((r) => setTimeout(r, 50));
    expect(check).not.toHaveBeenCalled();
    expect(screen.queryByRole('status', { name: 'Update available' })).not.toBeInTheDocument();
  });

  it('offers an available update once at start, and downloads nothing until "Install"', async () => {
    const user = userEvent.setup();
    const backend = fake({ update: { version: '0.2.0', notes: 'Faster rules.' }, stepMs: 150 });
    const check = vi.spyOn(backend, 'checkForUpdate');
    const install = vi.spyOn(backend, 'installUpdate');
    renderApp({ backend });
    const notice = await screen.findByRole('status', { name: 'Update available' });
    expect(notice).toHaveTextContent('CarbonSync 0.2.0 is available (you have 0.1.0).');
    expect(notice).toHaveTextContent('Faster rules.');
    expect(within(notice).getByRole('button', { name: 'Later' })).toBeEnabled();
    // Going to another page does not ask again.
    await user.click(screen.getByTestId('nav-settings'));
    await screen.findByTestId('page-settings');
    expect(check).toHaveBeenCalledTimes(1);
    expect(install).not.toHaveBeenCalled();

    await user.click(within(notice).getByRole('button', { name: 'Install 0.2.0' }));
    expect(await within(notice).findByText('Downloading… 1,400 KB of 4,200 KB')).toBeInTheDocument();
    expect(within(notice).getByRole('progressbar', { name: 'Download of the update' })).toBeInTheDocument();
    await waitFor(() =>
      expect(notice).toHaveTextContent(
        'CarbonSync 0.2.0 was downloaded and its signature verified. This copy was not installed from a package, so install it from /home/you/.local/share/carbonsync/updates/CarbonSync_0.2.0_amd64.deb.',
      ),
    );
    expect(install).toHaveBeenCalledTimes(1);
    expect(within(notice).queryByRole('button', { name: 'Install 0.2.0' })).not.toBeInTheDocument();
  });

  it('says an update installed over a package install runs at the next start', async () => {
    const user = userEvent.setup();
    renderApp({ backend: fake({ update: { version: '0.2.0' }, packaged: true }) });
    const notice = await screen.findByRole('status', { name: 'Update available' });
    await user.click(await within(notice).findByRole('button', { name: 'Install 0.2.0' }));
    await waitFor(() =>
      expect(notice).toHaveTextContent('CarbonSync 0.2.0 is installed; it runs the next time CarbonSync starts.'),
    );
  });

  it('shows why an install was refused, and installs after checking again', async () => {
    const user = userEvent.setup();
    const backend = fake({ update: { version: '0.2.0' } });
    backend.failNextUpdate('install', SIGNATURE_REFUSED);
    const check = vi.spyOn(backend, 'checkForUpdate');
    renderApp({ backend });
    const notice = await screen.findByRole('status', { name: 'Update available' });
    await user.click(await within(notice).findByRole('button', { name: 'Install 0.2.0' }));
    expect(await within(notice).findByRole('alert')).toHaveTextContent(SIGNATURE_REFUSED.message);
    // The notice stays; an install starts from a fresh check.
    expect(notice).toHaveTextContent('CarbonSync 0.2.0 is available (you have 0.1.0).');
    expect(within(notice).queryByRole('button', { name: 'Install 0.2.0' })).not.toBeInTheDocument();
    await user.click(within(notice).getByRole('button', { name: 'Check again' }));
    await user.click(await within(notice).findByRole('button', { name: 'Install 0.2.0' }));
    expect(check).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(notice).toHaveTextContent('signature verified'));
    expect(within(notice).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('"Later" hides it for this session; checking for updates in Settings shows it again', async () => {
    const user = userEvent.setup();
    const backend = fake({ update: { version: '0.2.0' } });
    const install = vi.spyOn(backend, 'installUpdate');
    renderApp({ backend, hash: '#/settings' });
    const notice = await screen.findByRole('status', { name: 'Update available' });
    await user.click(within(notice).getByRole('button', { name: 'Later' }));
    expect(notice).not.toBeInTheDocument();
    const updates = await screen.findByTestId('updates');
    expect(updates).toHaveTextContent('CarbonSync 0.2.0 is available (you have 0.1.0). Check for updates to see the notice again.');
    await user.click(within(updates).getByRole('button', { name: 'Check for updates' }));
    const again = await screen.findByRole('status', { name: 'Update available' });
    expect(again).toHaveTextContent('CarbonSync 0.2.0 is available (you have 0.1.0).');
    expect(install).not.toHaveBeenCalled();
  });

  it('reads download progress without a total when the server gives none', () => {
    expect(downloadText(null)).toBe('Downloading…');
    expect(downloadText({ downloaded: 1_433_600, total: null })).toBe('Downloading… 1,400 KB');
    expect(downloadText({ downloaded: 700, total: 4_300_800 })).toBe('Downloading… 1 KB of 4,200 KB');
  });
});
