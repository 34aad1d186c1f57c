import { useId, useMemo, useState } from 'react';
import type { Category } from '../bindings/Category';
import type { Connection } from '../bindings/Connection';
import type { Destination } from '../bindings/Destination';
import type { ProviderView } from '../bindings/ProviderView';
import type { SyncActivity } from '../bindings/SyncActivity';
import { useBackend } from '../backend/context';
import { toAppError } from '../backend/types';
import { Badge, SandboxBadge } from '../components/Badge';
import { CloudConnectDialog } from '../components/CloudConnectDialog';
import { DisconnectDialog } from '../components/DisconnectDialog';
import { ErrorView } from '../components/ErrorView';
import { EmptyState, Loading, ProgressBar, Spinner } from '../components/Feedback';
import { isKeyed } from '../lib/cloud';
import { formatRelative } from '../lib/format';
import { CATEGORY_LABELS, CATEGORY_ORDER, connectionState, type StateWords } from '../lib/labels';
import { type Platforms, isDestinationPlatform, markColour, monogram, platformsFrom } from '../lib/platforms';
import { href, navigate } from '../router';
import { useLive } from '../state/live';
import { useNotices } from '../state/notices';
import { useActivityById, useConnections, useDestinations, useProviders } from '../state/queries';

/** Platforms whose name, category or note matches every word of the search. */
export function matchProviders(
  providers: ReadonlyArray<ProviderView>,
  search: string,
  category: Category | 'all',
): ProviderView[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return providers.filter((p) => {
    if (category !== 'all' && p.category !== category) return false;
    const text = `${p.name} ${p.id} ${p.category_label} ${p.auth_label}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

export function IntegrationsPage() {
  const providers = useProviders();
  const connections = useConnections();
  const destinations = useDestinations();
  const activity = useActivityById();
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState<Category | 'all'>('all');
  const searchId = useId();

  const shown = useMemo(() => matchProviders(providers.data ?? [], search, category), [providers.data, search, category]);
  const platforms = useMemo(() => platformsFrom(providers.data), [providers.data]);

  return (
    <div className="page" data-testid="page-integrations">
      <header className="page-header">
        <h1>Integrations</h1>
        <p className="lede">
          Connect the systems where your organisation's spending, or the emissions it reports, are recorded. CarbonSync
          reads them, turns spend into emissions, imports reported emissions as published, and keeps everything on this
          computer.
        </p>
      </header>

      <div className="toolbar" role="search">
        <div className="field grow">
          <label htmlFor={searchId} className="visually-hidden">
            Search platforms
          </label>
          <input
            id={searchId}
            type="search"
            placeholder="Search platforms"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="integration-search"
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <div className="segmented" role="group" aria-label="Category">
          {(['all', ...CATEGORY_ORDER] as const).map((c) => (
            <button
              key={c}
              type="button"
              aria-pressed={category === c}
              onClick={() => setCategory(c)}
              data-testid={`category-${c}`}
            >
              {c === 'all' ? 'All' : CATEGORY_LABELS[c]}
            </button>
          ))}
        </div>
      </div>

      {providers.isPending && <Loading>Loading platforms…</Loading>}
      {providers.isError && (
        <ErrorView error={providers.error} title="The platforms could not be listed" onRetry={() => void providers.refetch()} />
      )}
      {connections.isError && (
        <ErrorView error={connections.error} title="The connections could not be read" onRetry={() => void connections.refetch()} />
      )}
      {providers.data && shown.length === 0 && (
        <EmptyState title="No platform matches">
          <p>
            Nothing matches “{search}”{category !== 'all' ? ` in ${CATEGORY_LABELS[category]}` : ''}.{' '}
            <button type="button" className="link-button" onClick={() => { setSearch(''); setCategory('all'); }}>
              Show every platform
            </button>
          </p>
        </EmptyState>
      )}

      {CATEGORY_ORDER.map((cat) => {
        const list = shown.filter((p) => p.category === cat);
        if (list.length === 0) return null;
        return (
          <section key={cat} className="category" aria-labelledby={`cat-${cat}`} data-testid={`category-section-${cat}`}>
            <h2 id={`cat-${cat}`} className="section-title">
              {CATEGORY_LABELS[cat]} <span className="count">{list.length}</span>
            </h2>
            <div className="card-grid">
              {list.map((p) =>
                isDestinationPlatform(p) ? (
                  <DestinationCard
                    key={p.id}
                    provider={p}
                    destinations={(destinations.data ?? []).filter((d) => d.platform === p.id)}
                  />
                ) : (
                  <ProviderCard
                    key={p.id}
                    provider={p}
                    connections={(connections.data ?? []).filter((c) => c.provider === p.id)}
                    activity={activity}
                    platforms={platforms}
                  />
                ),
              )}
            </div>
          </section>
        );
      })}
    </div>
  );
}

/** The one badge a card shows: the state that most needs attention. */
export function providerState(
  p: ProviderView,
  connections: ReadonlyArray<Connection>,
  activity: ReadonlyMap<number, SyncActivity>,
  waiting: boolean,
  platforms: Platforms,
): StateWords {
  if (!p.available) return { label: 'Not yet available', detail: p.status_note, tone: 'muted' };
  if (waiting) return { label: 'Waiting for approval', detail: null, tone: 'info' };
  const live = connections.filter((c) => c.status !== 'disconnected');
  const states = live.map((c) => connectionState(c, activity.get(c.id), platforms));
  if (states.some((s) => s.label === 'Syncing')) return { label: 'Syncing', detail: null, tone: 'busy' };
  // Most in need of the person first: what only they can fix, then what fixes itself.
  for (const [label, tone] of [
    ['Needs reconnect', 'warn'],
    ['Stopped', 'error'],
    ['Error', 'error'],
    ['Retrying', 'warn'],
    ['Paused', 'warn'],
  ] as const) {
    if (states.some((s) => s.label === label)) return { label, detail: null, tone };
  }
  if (live.length > 0) {
    return { label: 'Connected', detail: live.map((c) => c.tenant_name).join(', '), tone: 'ok' };
  }
  return { label: 'Not connected', detail: null, tone: 'muted' };
}

function ProviderCard({
  provider: p,
  connections,
  activity,
  platforms,
}: {
  provider: ProviderView;
  connections: Connection[];
  activity: ReadonlyMap<number, SyncActivity>;
  platforms: Platforms;
}) {
  const live = useLive();
  const waiting = live.waiting.has(p.id);
  const state = providerState(p, connections, activity, waiting, platforms);
  const active = connections.filter((c) => c.status !== 'disconnected');
  const gone = connections.filter((c) => c.status === 'disconnected');
  const titleId = `provider-${p.id}`;
  const keyed = isKeyed(p);
  const [keysOpen, setKeysOpen] = useState(false);

  let summary: string;
  if (!p.available) summary = p.status_note ?? 'Not yet available in CarbonSync.';
  else if (active.length === 0) summary = 'Not connected.';
  else if (keyed) summary = `${active.length === 1 ? '1 account' : `${active.length} accounts`} connected.`;
  else summary = `${active.length === 1 ? '1 organisation' : `${active.length} organisations`} connected.`;

  return (
    <article className={p.available ? 'card' : 'card unavailable'} data-testid={`card-${p.id}`} aria-labelledby={titleId}>
      <header className="card-head">
        <ProviderMark id={p.id} name={p.name} />
        <div className="card-title">
          <h3 id={titleId}>{p.name}</h3>
          <p className="small muted">{p.auth_label}</p>
        </div>
        <div className="badges">
          <Badge tone={state.tone}>{state.label}</Badge>
          {p.available && p.sandbox && <SandboxBadge />}
        </div>
      </header>

      <p className="card-summary" data-testid={`summary-${p.id}`}>
        {summary}
        {p.available && p.sandbox && active.length === 0 && (
          <span className="hint">Runs on the built-in sandbox until your own {p.name} app is set up in Settings.</span>
        )}
      </p>

      {active.length > 0 && (
        <ul className="connection-list">
          {active.map((c) => (
            <ConnectionRow
              key={c.id}
              connection={c}
              activity={activity.get(c.id)}
              platforms={platforms}
              onReconnect={keyed ? () => setKeysOpen(true) : undefined}
            />
          ))}
        </ul>
      )}
      {gone.length > 0 && (
        <details className="gone">
          <summary>
            {gone.length === 1 ? '1 disconnected organisation' : `${gone.length} disconnected organisations`} (data kept)
          </summary>
          <ul className="connection-list">
            {gone.map((c) => (
              <ConnectionRow key={c.id} connection={c} activity={undefined} platforms={platforms} />
            ))}
          </ul>
        </details>
      )}

      <div className="card-actions">
        {waiting ? (
          <WaitingForBrowser provider={p} />
        ) : (
          <button
            type="button"
            className={active.length === 0 && p.available ? 'button primary' : 'button'}
            disabled={!p.available}
            onClick={() => (keyed ? setKeysOpen(true) : void live.beginConnect(p.id))}
            data-testid={`connect-${p.id}`}
            aria-describedby={titleId}
          >
            {active.length === 0 ? 'Connect' : keyed ? 'Connect another account' : 'Connect another organisation'}
          </button>
        )}
      </div>
      {keysOpen && <CloudConnectDialog provider={p} reconnect={active.length > 0} onClose={() => setKeysOpen(false)} />}
    </article>
  );
}

/** The state of a platform CarbonSync sends to: the destinations it has there. */
export function destinationState(p: ProviderView, destinations: ReadonlyArray<Destination>, waiting: boolean): StateWords {
  if (!p.available) return { label: 'Not yet available', detail: p.status_note, tone: 'muted' };
  if (waiting) return { label: 'Waiting for approval', detail: null, tone: 'info' };
  if (destinations.length > 0) return { label: 'Connected', detail: destinations.map((d) => d.name).join(', '), tone: 'ok' };
  return { label: 'Not connected', detail: null, tone: 'muted' };
}

/**
 * A platform CarbonSync sends the monthly report and alerts to. Its destinations are managed
 * on the Notifications page: Connect there adds one (Slack's Connect signs in with its app
 * right away; a webhook can be pasted there instead).
 */
function DestinationCard({ provider: p, destinations }: { provider: ProviderView; destinations: Destination[] }) {
  const live = useLive();
  const waiting = live.waiting.has(p.id);
  const state = destinationState(p, destinations, waiting);
  const titleId = `provider-${p.id}`;
  const signIn = p.auth === 'oauth';
  const platform = p.id === 'slack' || p.id === 'teams' ? p.id : undefined;
  const addHref = href({ page: 'notifications', add: platform });

  let summary: string;
  if (!p.available) summary = p.status_note ?? 'Not yet available in CarbonSync.';
  else if (destinations.length === 0) summary = 'Not connected. Sends the monthly report and sync alerts to a channel.';
  else summary = `Sends to ${destinations.length === 1 ? '1 destination' : `${destinations.length} destinations`}.`;

  return (
    <article className={p.available ? 'card' : 'card unavailable'} data-testid={`card-${p.id}`} aria-labelledby={titleId}>
      <header className="card-head">
        <ProviderMark id={p.id} name={p.name} />
        <div className="card-title">
          <h3 id={titleId}>{p.name}</h3>
          <p className="small muted">{signIn ? `${p.auth_label} or webhook URL` : p.auth_label}</p>
        </div>
        <div className="badges">
          <Badge tone={state.tone}>{state.label}</Badge>
          {p.available && p.sandbox && <SandboxBadge />}
        </div>
      </header>

      <p className="card-summary" data-testid={`summary-${p.id}`}>
        {summary}
        {p.available && p.sandbox && destinations.length === 0 && (
          <span className="hint">The built-in sandbox stands in for {p.name} until your own app is set up.</span>
        )}
      </p>

      {destinations.length > 0 && (
        <ul className="connection-list">
          {destinations.map((d) => (
            <li key={d.id} className="connection-row" data-testid={`card-destination-${d.id}`}>
              <div className="connection-name">
                <a href={href({ page: 'notifications' })} className="strong-link">
                  {d.name}
                </a>
                {d.sandbox && <SandboxBadge />}
              </div>
            </li>
          ))}
        </ul>
      )}

      <div className="card-actions">
        {waiting ? (
          <WaitingForBrowser provider={p} />
        ) : (
          <div className="connection-actions">
            <button
              type="button"
              className={destinations.length === 0 && p.available ? 'button primary' : 'button'}
              disabled={!p.available}
              onClick={() => (signIn ? void live.beginConnect(p.id) : navigate({ page: 'notifications', add: platform }))}
              data-testid={`connect-${p.id}`}
              aria-describedby={titleId}
            >
              {destinations.length === 0 ? 'Connect' : 'Add another channel'}
            </button>
            {p.available && signIn && (
              <a className="button subtle" href={addHref} data-testid={`paste-webhook-${p.id}`}>
                Paste a webhook instead
              </a>
            )}
            {p.available && destinations.length > 0 && (
              <a className="button subtle" href={href({ page: 'notifications' })}>
                Manage
              </a>
            )}
          </div>
        )}
      </div>
    </article>
  );
}

/**
 * While a sign-in is open in the browser: says so, and offers Cancel, which tells the
 * application to forget the sign-in (so a late answer is refused) before the card
 * stops waiting.
 */
export function WaitingForBrowser({ provider: p }: { provider: ProviderView }) {
  const backend = useBackend();
  const { stopWaiting } = useLive();
  const { pushError } = useNotices();
  const [cancelling, setCancelling] = useState(false);

  const cancel = async () => {
    setCancelling(true);
    try {
      await backend.cancelConnect(p.id);
    } catch (e) {
      pushError(`The sign-in to ${p.name} could not be cancelled`, toAppError(e));
    } finally {
      setCancelling(false);
      stopWaiting(p.id);
    }
  };

  return (
    <div className="waiting" role="status">
      <Spinner />
      <span>Waiting for you to approve in the browser…</span>
      <button
        type="button"
        className="button small"
        onClick={() => void cancel()}
        disabled={cancelling}
        data-testid={`cancel-connect-${p.id}`}
        aria-label={`Cancel the sign-in to ${p.name}`}
      >
        {cancelling ? 'Cancelling…' : 'Cancel'}
      </button>
    </div>
  );
}

function ConnectionRow({
  connection: c,
  activity,
  platforms,
  onReconnect,
}: {
  connection: Connection;
  activity: SyncActivity | undefined;
  platforms: Platforms;
  /** Reconnects with keys (a cloud platform) instead of a sign-in in the browser. */
  onReconnect?: () => void;
}) {
  const { syncNow, beginConnect, waiting } = useLive();
  const [confirming, setConfirming] = useState(false);
  const state = connectionState(c, activity, platforms);
  const syncing = state.label === 'Syncing';
  const progress = activity?.progress;

  return (
    <li className="connection-row" data-testid={`connection-${c.id}`}>
      <div className="connection-main">
        <div className="connection-name">
          <a href={href({ page: 'connection', id: c.id })} className="strong-link" data-testid={`open-${c.id}`}>
            {c.tenant_name}
          </a>
          {c.sandbox && <SandboxBadge />}
          {c.base_currency && <span className="tag">{c.base_currency}</span>}
        </div>
        <p className={`status-line tone-${state.tone}`} data-testid={`status-${c.id}`}>
          <StatusDot tone={state.tone} />
          <span className="status-word">{state.label}</span>
          {state.label === 'Connected' && c.last_sync_at && !state.detail && (
            <span className="muted"> · synced {formatRelative(c.last_sync_at)}</span>
          )}
          {state.detail && <span className="status-detail"> · {state.detail}</span>}
        </p>
        {syncing && (
          <ProgressBar label={`Syncing ${c.tenant_name}${progress ? `: page ${progress.counts.pages}` : ''}`} />
        )}
      </div>
      {c.status !== 'disconnected' && (
        <div className="connection-actions">
          {c.status === 'needs_reconnect' && (
            <button
              type="button"
              className="button small primary"
              onClick={() => (onReconnect ? onReconnect() : void beginConnect(c.provider))}
              disabled={waiting.has(c.provider)}
              data-testid={`reconnect-${c.id}`}
            >
              Reconnect
            </button>
          )}
          <button
            type="button"
            className="button small"
            onClick={() => void syncNow(c.id)}
            disabled={syncing || c.status !== 'active'}
            data-testid={`sync-${c.id}`}
          >
            {syncing ? 'Syncing…' : 'Sync now'}
          </button>
          <button type="button" className="button small subtle" onClick={() => setConfirming(true)} data-testid={`disconnect-${c.id}`}>
            Disconnect
          </button>
          <a className="button small subtle" href={href({ page: 'connection', id: c.id })} aria-label={`History and settings of ${c.tenant_name}`}>
            Details
          </a>
        </div>
      )}
      {c.status === 'disconnected' && (
        <div className="connection-actions">
          <a className="button small subtle" href={href({ page: 'connection', id: c.id })}>
            History
          </a>
        </div>
      )}
      {confirming && <DisconnectDialog connection={c} onClose={() => setConfirming(false)} />}
    </li>
  );
}

export function StatusDot({ tone }: { tone: string }) {
  return <span className={`dot dot-${tone}`} aria-hidden="true" />;
}

/**
 * A plain monogram from the platform's name, in a colour picked by its id (no logos are
 * bundled). Decorative: the name next to it is the card's label.
 */
function ProviderMark({ id, name }: { id: string; name: string }) {
  return (
    <span className="mark" style={{ background: markColour(id) }} aria-hidden="true" data-testid={`mark-${id}`}>
      {monogram(name)}
    </span>
  );
}
