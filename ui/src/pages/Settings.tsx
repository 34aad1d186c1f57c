import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { ProviderSettings } from '../bindings/ProviderSettings';
import type { SettingsView } from '../bindings/SettingsView';
import { useBackend } from '../backend/context';
import { SandboxBadge } from '../components/Badge';
import { ErrorView } from '../components/ErrorView';
import { EmptyState, Loading } from '../components/Feedback';
import { href } from '../router';
import { keys, useAutostart, useConnections, usePlatforms, useProviders, useSetAutostart, useSettings } from '../state/queries';
import { useUpdates } from '../state/updates';
import { FrequencySelect } from './Connection';

export function SettingsPage() {
  const settings = useSettings();
  // Platforms reached by a pasted URL alone (a Teams workflow) have no app to register.
  const providers = useProviders();
  const byUrl = new Set((providers.data ?? []).filter((p) => p.auth === 'webhook_url').map((p) => p.id));
  const unavailable = (settings.data?.providers ?? []).filter((p) => !p.available);
  return (
    <div className="page" data-testid="page-settings">
      <header className="page-header">
        <h1>Settings</h1>
        <p className="lede">
          Where CarbonSync keeps its data, how it reaches each platform, how often it syncs, and how it starts and
          updates.
        </p>
      </header>
      {settings.isPending && <Loading>Loading the settings…</Loading>}
      {settings.isError && (
        <ErrorView error={settings.error} title="The settings could not be read" onRetry={() => void settings.refetch()} />
      )}
      {settings.data && (
        <>
          <Locations settings={settings.data} />
          <section className="panel" aria-labelledby="creds-title">
            <h2 id="creds-title" className="section-title">
              Platform credentials
            </h2>
            <p className="small muted">
              Without credentials of your own, a platform runs on CarbonSync's built-in sandbox, with generated sample
              data. To read your real books, register an app with the platform and enter its client id here. A client
              secret is kept only in this computer's keychain and is never shown again.
            </p>
            {settings.data.providers
              .filter((p) => p.available && !byUrl.has(p.id))
              .map((p) => (
                <CredentialsForm key={p.id} provider={p} />
              ))}
            {byUrl.size > 0 && (
              <p className="small muted">
                {settings.data.providers
                  .filter((p) => byUrl.has(p.id))
                  .map((p) => p.name)
                  .join(', ')}{' '}
                {byUrl.size === 1 ? 'needs' : 'need'} no app: paste a workflow's URL on the{' '}
                <a href={href({ page: 'notifications' })}>Notifications page</a>.
              </p>
            )}
            {unavailable.length > 0 && (
              <p className="small muted">
                {unavailable.map((p) => p.name).join(', ')} can be set up here once they become available.
              </p>
            )}
          </section>
          <Frequencies />
          <StartAtLogin />
          <Updates endpoint={settings.data.update_endpoint} />
        </>
      )}
    </div>
  );
}

function Locations({ settings }: { settings: SettingsView }) {
  const rows: [string, string, string][] = [
    ['Data folder', settings.data_dir, 'The local database with every synced record and ledger entry.'],
    ['Configuration file', settings.config_file, 'Platform client ids, sync defaults and factor table overrides.'],
    ['Log folder', settings.log_dir, 'Diagnostic logs. They never contain tokens or secrets.'],
  ];
  return (
    <section className="panel" aria-labelledby="loc-title">
      <h2 id="loc-title" className="section-title">
        On this computer
      </h2>
      <dl className="paths">
        {rows.map(([label, value, note]) => (
          <div key={label} className="path-row">
            <dt>{label}</dt>
            <dd>
              <input
                className="path-input"
                type="text"
                readOnly
                value={value}
                aria-label={label}
                onFocus={(e) => e.currentTarget.select()}
                data-testid={`path-${label.split(' ')[0]!.toLowerCase()}`}
              />
              <span className="small muted">{note}</span>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function CredentialsForm({ provider: p }: { provider: ProviderSettings }) {
  const backend = useBackend();
  const qc = useQueryClient();
  const id = useId();
  const [clientId, setClientId] = useState(p.client_id ?? '');
  const [secret, setSecret] = useState('');
  const [saved, setSaved] = useState<string | null>(null);

  const m = useMutation({
    mutationFn: (v: { clientId: string | null; secret: string | null }) =>
      backend.setProviderCredentials(p.id, v.clientId, v.secret),
    onSuccess: (view, v) => {
      qc.setQueryData(keys.settings, view);
      void qc.invalidateQueries({ queryKey: keys.providers });
      setSecret('');
      const now = view.providers.find((x) => x.id === p.id);
      setClientId(now?.client_id ?? '');
      setSaved(v.clientId === null ? `${p.name} now runs on the sandbox.` : `Saved. ${p.name} now uses your app.`);
    },
  });

  const dirty = clientId.trim() !== (p.client_id ?? '') || secret.trim() !== '';
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setSaved(null);
    m.mutate({ clientId: clientId.trim() || null, secret: secret.trim() || null });
  };

  return (
    <form className="creds" onSubmit={submit} aria-labelledby={`${id}-name`} data-testid={`credentials-${p.id}`}>
      <h3 id={`${id}-name`} className="creds-title">
        {p.name} {p.sandbox ? <SandboxBadge /> : <span className="tag">Your app</span>}
      </h3>
      <p className="small muted">
        {p.sandbox
          ? `Runs on the built-in sandbox: connections made now use generated sample data.`
          : `Connects to the real ${p.name} with your app's client id.`}
      </p>
      <div className="form-row">
        <div className="field grow">
          <label htmlFor={`${id}-cid`}>Client id</label>
          <input
            id={`${id}-cid`}
            type="text"
            value={clientId}
            onChange={(e) => setClientId(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            placeholder="Not set: the sandbox is used"
            data-testid={`client-id-${p.id}`}
          />
        </div>
        <div className="field grow">
          <label htmlFor={`${id}-sec`}>Client secret</label>
          <input
            id={`${id}-sec`}
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            autoComplete="new-password"
            placeholder={p.has_client_secret ? 'Stored in the keychain' : 'Optional for apps that use PKCE'}
            aria-describedby={`${id}-sec-note`}
            data-testid={`client-secret-${p.id}`}
          />
          <span id={`${id}-sec-note`} className="small muted">
            {p.has_client_secret
              ? 'A secret is stored in the keychain. Type a new one to replace it; leave empty to keep it.'
              : 'No secret stored.'}
          </span>
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={!dirty || m.isPending}>
          {m.isPending ? 'Saving…' : 'Save'}
        </button>
        {!p.sandbox && (
          <button
            type="button"
            className="button"
            disabled={m.isPending}
            onClick={() => {
              setSaved(null);
              m.mutate({ clientId: null, secret: null });
            }}
            data-testid={`use-sandbox-${p.id}`}
          >
            Use the sandbox
          </button>
        )}
        <span role="status" className="small">
          {saved}
        </span>
      </div>
      {p.sandbox === false && (
        <p className="small muted">Using the sandbox removes the client id and the stored secret.</p>
      )}
      {m.isError && <ErrorView error={m.error} title="The credentials could not be saved" compact />}
    </form>
  );
}

function Frequencies() {
  const connections = useConnections();
  const platforms = usePlatforms();
  const live = (connections.data ?? []).filter((c) => c.status !== 'disconnected');
  return (
    <section className="panel" aria-labelledby="freq-title">
      <h2 id="freq-title" className="section-title">
        Sync frequencies
      </h2>
      <p className="small muted">
        How often each connection syncs by itself while CarbonSync is running. Changes are saved at once.
      </p>
      {connections.isPending && <Loading />}
      {connections.isError && <ErrorView error={connections.error} compact onRetry={() => void connections.refetch()} />}
      {connections.data && live.length === 0 && (
        <EmptyState title="Nothing connected yet">
          <a href={href({ page: 'integrations' })}>Connect a platform</a> to schedule its syncs.
        </EmptyState>
      )}
      {live.length > 0 && (
        <ul className="freq-list">
          {live.map((c) => (
            <li key={c.id} className="freq-row">
              <span>
                <a href={href({ page: 'connection', id: c.id })}>{c.tenant_name}</a>{' '}
                <span className="muted small">{platforms.name(c.provider)}</span>{' '}
                {c.sandbox && <SandboxBadge />}
              </span>
              <FrequencySelect connection={c} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// The first-run question answers the same setting; the section has no region name of its own,
// so "Start at login" names only that question.
function StartAtLogin() {
  const state = useAutostart();
  const set = useSetAutostart();
  const id = useId();
  const enabled = set.isPending ? set.variables : state.data?.enabled;
  return (
    <section className="panel" data-testid="start-at-login">
      <h2 className="section-title">Start at login</h2>
      <p className="small muted">
        With this on, CarbonSync starts in the tray when you log in, without opening this window, so syncs run on
        schedule.
      </p>
      {state.isPending && <Loading />}
      {state.isError && <ErrorView error={state.error} compact onRetry={() => void state.refetch()} />}
      {state.data && (
        <label className="switch" htmlFor={`${id}-autostart`}>
          <input
            id={`${id}-autostart`}
            type="checkbox"
            checked={Boolean(enabled)}
            disabled={set.isPending}
            onChange={(e) => set.mutate(e.currentTarget.checked)}
            data-testid="autostart"
          />
          <span>Start CarbonSync at login (in the tray, window hidden)</span>
        </label>
      )}
      {set.isError && <ErrorView error={set.error} compact />}
    </section>
  );
}

function Updates({ endpoint }: { endpoint: string | null }) {
  return (
    <section className="panel" aria-labelledby="updates-title" data-testid="updates">
      <h2 id="updates-title" className="section-title">
        Updates
      </h2>
      {endpoint === null ? (
        <p className="small muted">Updates are off: no update endpoint is set ([updates] endpoint in carbonsync.toml).</p>
      ) : (
        <UpdateCheckNow endpoint={endpoint} />
      )}
    </section>
  );
}

function UpdateCheckNow({ endpoint }: { endpoint: string }) {
  const { check, install, dismissed, checkAgain } = useUpdates();
  const result = check.data;
  return (
    <>
      <p className="small muted">
        CarbonSync asks <code className="selectable update-endpoint">{endpoint}</code> for a newer version when it
        starts. Nothing is downloaded until you choose to install it, and only an update signed with CarbonSync's key
        is installed.
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="button"
          disabled={check.isFetching || install.isPending}
          onClick={checkAgain}
          data-testid="check-for-updates"
        >
          Check for updates
        </button>
        <span role="status" className="small">
          {check.isFetching
            ? 'Checking for updates…'
            : check.isError
              ? null
              : result?.state === 'current'
                ? `CarbonSync ${result.version} is the newest version.`
                : result?.state === 'available'
                  ? `CarbonSync ${result.version} is available (you have ${result.current_version}). ${
                      dismissed
                        ? 'Check for updates to see the notice again.'
                        : 'Install it from the notice at the top of the window.'
                    }`
                  : result?.state === 'off'
                    ? 'Updates are off.'
                    : null}
        </span>
      </div>
      {check.isError && !check.isFetching && (
        <ErrorView error={check.error} title="CarbonSync could not check for updates" compact />
      )}
    </>
  );
}
