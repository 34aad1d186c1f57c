import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Connection } from '../bindings/Connection';
import type { SyncRun } from '../bindings/SyncRun';
import { useBackend } from '../backend/context';
import { toAppError } from '../backend/types';
import { Badge, SandboxBadge } from '../components/Badge';
import { DisconnectDialog } from '../components/DisconnectDialog';
import { ErrorView, TechnicalDetails } from '../components/ErrorView';
import { EmptyState, Loading, ProgressBar } from '../components/Feedback';
import {
  durationBetween,
  formatDateTime,
  formatDay,
  formatDuration,
  formatInt,
  formatKg,
  formatRelative,
  formatTime,
  plural,
} from '../lib/format';
import {
  connectionState,
  errorTitle,
  frequencyLabel,
  frequencyOptions,
  momentWords,
  runStatusWords,
  scheduleHold,
  scheduleHoldKind,
  triggerLabel,
} from '../lib/labels';
import type { Platforms } from '../lib/platforms';
import { href, navigate } from '../router';
import { useLive } from '../state/live';
import { useNotices } from '../state/notices';
import { keys, useActivityById, useConnections, useCursors, useHistory, usePlatforms, useSetAside } from '../state/queries';
import { StatusDot } from './Integrations';

export function ConnectionPage({ id }: { id: number }) {
  const connections = useConnections();
  const connection = connections.data?.find((c) => c.id === id);

  return (
    <div className="page" data-testid="page-connection">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <a href={href({ page: 'integrations' })}>Integrations</a>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{connection?.tenant_name ?? `Connection ${id}`}</span>
      </nav>
      {connections.isPending && <Loading>Loading the connection…</Loading>}
      {connections.isError && (
        <ErrorView error={connections.error} title="The connection could not be read" onRetry={() => void connections.refetch()} />
      )}
      {connections.data && !connection && (
        <EmptyState title="This connection no longer exists">
          <p>
            It was disconnected and its data deleted. <a href={href({ page: 'integrations' })}>Back to Integrations</a>
          </p>
        </EmptyState>
      )}
      {connection && <ConnectionDetails connection={connection} />}
    </div>
  );
}

function ConnectionDetails({ connection: c }: { connection: Connection }) {
  const activity = useActivityById().get(c.id);
  const { syncNow } = useLive();
  const [confirming, setConfirming] = useState(false);
  const platforms = usePlatforms();
  const platform = platforms.name(c.provider);
  const state = connectionState(c, activity, platforms);
  const syncing = state.label === 'Syncing';

  return (
    <>
      <header className="page-header with-actions">
        <div>
          <h1>
            {c.tenant_name} {c.sandbox && <SandboxBadge />}
          </h1>
          <p className="lede">
            {platform} organisation{c.base_currency ? ` · amounts in ${c.base_currency}` : ''} · connected{' '}
            {formatDateTime(c.created_at)}
          </p>
        </div>
        {c.status !== 'disconnected' && (
          <div className="header-actions">
            <button
              type="button"
              className="button primary"
              onClick={() => void syncNow(c.id)}
              disabled={syncing || c.status !== 'active'}
              data-testid={`sync-${c.id}`}
            >
              {syncing ? 'Syncing…' : 'Sync now'}
            </button>
            <button type="button" className="button" onClick={() => setConfirming(true)} data-testid={`disconnect-${c.id}`}>
              Disconnect
            </button>
          </div>
        )}
      </header>

      <section className="panel facts" aria-label="Connection">
        <dl className="fact-grid">
          <div>
            <dt>Status</dt>
            <dd>
              <span className={`status-line tone-${state.tone}`} data-testid={`status-${c.id}`}>
                <StatusDot tone={state.tone} />
                <span className="status-word">{state.label}</span>
                {state.detail && <span className="status-detail"> · {state.detail}</span>}
              </span>
              {syncing && <ProgressBar label={`Syncing ${c.tenant_name}`} />}
            </dd>
          </div>
          <div>
            <dt>Platform</dt>
            <dd data-testid="platform">
              {platform}
              {c.sandbox ? ' (Sandbox: generated sample data, not your real books)' : ''}
            </dd>
          </div>
          <div>
            <dt>Last sync</dt>
            <dd>
              {c.last_sync_at ? (
                <>
                  {formatDateTime(c.last_sync_at)} <span className="muted">({formatRelative(c.last_sync_at)})</span>
                </>
              ) : (
                'Never'
              )}
            </dd>
          </div>
          <div>
            <dt>Sync frequency</dt>
            <dd>
              <FrequencySelect connection={c} />
            </dd>
          </div>
          <div>
            <dt>Organisation id</dt>
            <dd>
              <code className="selectable">{c.tenant_id}</code>
            </dd>
          </div>
        </dl>
        {c.status === 'needs_reconnect' && (
          <p className="callout warn">
            {platform} no longer accepts CarbonSync's access to this organisation. Use{' '}
            <a href={href({ page: 'integrations' })}>Connect on the Integrations page</a> to sign in again; the data
            already synced is kept. The schedule waits until then.
          </p>
        )}
        {c.status === 'active' && <ScheduleHoldNote connection={c} platforms={platforms} />}
      </section>

      <SetAside connection={c} platforms={platforms} />
      <Cursors connection={c} platforms={platforms} />
      <History connection={c} />

      {confirming && (
        <DisconnectDialog
          connection={c}
          onClose={() => setConfirming(false)}
          onDone={(deleted) => deleted && navigate({ page: 'integrations' })}
        />
      )}
    </>
  );
}

/** What the schedule does about this connection when it holds it back, and what the person can do. */
function ScheduleHoldNote({ connection: c, platforms }: { connection: Connection; platforms: Platforms }) {
  const kind = scheduleHoldKind(c);
  const reason = c.pause_reason ?? c.last_error ?? 'The last sync failed.';
  if (kind === null) return null;
  if (kind === 'stopped') {
    return (
      <div className="callout warn" role="status" data-testid={`schedule-hold-${c.id}`}>
        <p className="error-title">The schedule is stopped</p>
        <p>{reason}</p>
        <p>
          Waiting will not fix this, so CarbonSync no longer syncs this organisation on its own. Once the cause is
          fixed, use <strong>Sync now</strong>: when it succeeds the schedule starts again. Choosing a sync frequency,
          or connecting the organisation again, starts it again too.
        </p>
      </div>
    );
  }
  if (kind === 'paused') {
    return (
      <div className="callout warn" role="status" data-testid={`schedule-hold-${c.id}`}>
        <p className="error-title">
          Paused until {momentWords(c.paused_until_ms!)}: {reason}
        </p>
        <p>
          {platforms.name(c.provider)} asked CarbonSync to wait. The schedule syncs again by itself then; Sync now tries
          at once, but will likely be refused until that time.
        </p>
      </div>
    );
  }
  const state = scheduleHold(c);
  return (
    <div className="callout warn" role="status" data-testid={`schedule-hold-${c.id}`}>
      <p className="error-title">{state?.detail}</p>
      <p>
        This may pass by itself: CarbonSync tries again before the next scheduled sync, waiting longer after each
        failure in a row.
      </p>
    </div>
  );
}

/** The schedule of one connection; saved as soon as it changes. */
export function FrequencySelect({ connection: c, label }: { connection: Connection; label?: string }) {
  const backend = useBackend();
  const qc = useQueryClient();
  const { pushError } = useNotices();
  const id = useId();
  const m = useMutation({
    mutationFn: (frequency: string) => backend.setFrequency(c.id, frequency),
    onSuccess: (stored) => {
      qc.setQueryData<Connection[]>(keys.connections, (list) =>
        list?.map((x) => (x.id === c.id ? { ...x, frequency: stored } : x)),
      );
      void qc.invalidateQueries({ queryKey: keys.connections });
    },
    onError: (e) => pushError(`The schedule of ${c.tenant_name} could not be changed`, toAppError(e)),
  });
  const value = m.isPending && m.variables ? m.variables : c.frequency;
  return (
    <span className="inline-field">
      <label htmlFor={id} className={label ? undefined : 'visually-hidden'}>
        {label ?? `Sync frequency of ${c.tenant_name}`}
      </label>
      <select
        id={id}
        value={value}
        disabled={m.isPending || c.status === 'disconnected'}
        onChange={(e) => m.mutate(e.target.value)}
        data-testid={`frequency-${c.id}`}
      >
        {frequencyOptions(c.frequency).map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {m.isPending && <span className="small muted"> Saving…</span>}
      {m.isSuccess && !m.isPending && <span className="small muted"> Saved: {frequencyLabel(m.data).toLowerCase()}</span>}
    </span>
  );
}

/** Records the platform sent that could not be read: kept aside, shown until a sync reads them. */
function SetAside({ connection: c, platforms }: { connection: Connection; platforms: Platforms }) {
  const q = useSetAside(c.id);
  if (!q.data || q.data.length === 0) return null;
  const records = q.data;
  return (
    <section className="panel" aria-labelledby="set-aside-title" data-testid="set-aside">
      <h2 id="set-aside-title" className="section-title">
        {plural(records.length, 'record', 'records')} set aside
      </h2>
      <p className="small">
        The platform sent {records.length === 1 ? 'a record' : 'records'} CarbonSync could not read; the rest of each sync went on,
        and these are not in the ledger. A record leaves this list when a later sync reads it: once it is corrected at the
        platform, or after a full sync.
      </p>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Records</th>
            <th scope="col">Record id</th>
            <th scope="col">What could not be read</th>
            <th scope="col">Last met</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.id} data-testid={`set-aside-${r.id}`}>
              <td>{platforms.streamLabel(r.stream, c.provider)}</td>
              <td>{r.record_id ? <code className="selectable">{r.record_id}</code> : <span className="muted">No id</span>}</td>
              <td>
                {r.reason}
                <TechnicalDetails detail={r.raw} label="As the platform sent it" />
              </td>
              <td>{formatDateTime(r.seen_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Cursors({ connection: c, platforms }: { connection: Connection; platforms: Platforms }) {
  const q = useCursors(c.id);
  // In the order the platform's connector reads its streams; any it no longer lists last.
  const cursors = q.data
    ? [...q.data].sort((a, b) => {
        const x = platforms.streamOrder(a.stream, c.provider);
        const y = platforms.streamOrder(b.stream, c.provider);
        return x === y ? 0 : x < y ? -1 : 1;
      })
    : undefined;
  return (
    <section className="panel" aria-labelledby="cursors-title">
      <h2 id="cursors-title" className="section-title">
        Where the next sync starts
      </h2>
      <p className="small muted">
        Each sync asks only for what changed after the newest change already stored, per kind of record.
      </p>
      {q.isPending && <Loading />}
      {q.isError && <ErrorView error={q.error} compact onRetry={() => void q.refetch()} />}
      {cursors && cursors.length === 0 && <p className="muted">Not synced yet: the first sync reads everything.</p>}
      {cursors && cursors.length > 0 && (
        <table className="table compact" data-testid="cursors">
          <thead>
            <tr>
              <th scope="col">Records</th>
              <th scope="col">Changes stored up to</th>
            </tr>
          </thead>
          <tbody>
            {cursors.map((cur) => (
              <tr key={cur.stream}>
                <td>{platforms.streamLabel(cur.stream, c.provider)}</td>
                <td>
                  {cur.modified_since ? formatDateTime(cur.modified_since) : <span className="muted">Not synced yet</span>}
                  {cur.resuming && <span className="small muted block">A sync stopped part-way; the next one goes on from there.</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const PAGE = 25;

function History({ connection: c }: { connection: Connection }) {
  const [limit, setLimit] = useState(PAGE);
  const q = useHistory(c.id, limit);
  const runs = q.data ?? [];
  return (
    <section className="panel" aria-labelledby="history-title">
      <h2 id="history-title" className="section-title">
        Sync history
      </h2>
      {q.isPending && <Loading>Loading the history…</Loading>}
      {q.isError && <ErrorView error={q.error} title="The sync history could not be read" onRetry={() => void q.refetch()} />}
      {q.data && runs.length === 0 && <EmptyState title="No sync yet">Use Sync now to read this organisation's records.</EmptyState>}
      {runs.length > 0 && (
        <div className="table-scroll">
          <table className="table history" data-testid="history">
            <caption className="visually-hidden">Sync runs of {c.tenant_name}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col" className="num">Duration</th>
                <th scope="col" className="num">Pages</th>
                <th scope="col" className="num">Fetched</th>
                <th scope="col" className="num">Created</th>
                <th scope="col" className="num">Updated</th>
                <th scope="col" className="num">Deleted</th>
                <th scope="col" className="num">Skipped</th>
                <th scope="col" className="num">Emissions added</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <RunRow key={r.id} run={r} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs.length >= limit && (
        <button type="button" className="button small" onClick={() => setLimit((l) => l + PAGE)} disabled={q.isFetching}>
          {q.isFetching ? 'Loading…' : 'Show older runs'}
        </button>
      )}
    </section>
  );
}

function RunRow({ run: r }: { run: SyncRun }) {
  const status = runStatusWords(r.status);
  const failed = r.status === 'failed' || r.status === 'interrupted';
  return (
    <>
      <tr data-testid={`run-${r.id}`} className={failed ? 'has-error' : undefined}>
        <td>
          <span className="block">
            {formatDay(r.started_at.slice(0, 10))}
            {r.full && <span className="tag" title="A full sync reads every record, not only changes">Full</span>}
          </span>
          <span className="small muted">{formatTime(r.started_at)}</span>
        </td>
        <td>
          <Badge tone={status.tone}>{status.label}</Badge>
          {r.rate_limited > 0 && (
            <span className="small muted block" title="Times the platform asked CarbonSync to wait">
              slowed {formatInt(r.rate_limited)}×
            </span>
          )}
        </td>
        <td>{triggerLabel(r.trigger)}</td>
        <td className="num">{r.status === 'running' ? 'running' : formatDuration(durationBetween(r.started_at, r.finished_at))}</td>
        <td className="num">{formatInt(r.pages)}</td>
        <td className="num">{formatInt(r.fetched)}</td>
        <td className="num">{formatInt(r.created)}</td>
        <td className="num">{formatInt(r.updated)}</td>
        <td className="num">{formatInt(r.deleted)}</td>
        <td className="num">
          {formatInt(r.skipped)}
          {r.set_aside > 0 && <span className="small muted block">{formatInt(r.set_aside)} set aside</span>}
        </td>
        <td className="num">
          <span className="block">{plural(r.emissions_added, 'entry', 'entries')}</span>
          <span className="small muted">{formatKg(r.kg_co2e_delta)}</span>
        </td>
      </tr>
      {r.notes.length > 0 && (
        <tr className="run-notes" data-testid={`run-notes-${r.id}`}>
          <td colSpan={11}>
            {r.notes.map((note) => (
              <p key={note} className="small">
                {note}
              </p>
            ))}
          </td>
        </tr>
      )}
      {failed && (r.error_message || r.error_code || status.detail) && (
        <tr className="run-error" data-testid={`run-error-${r.id}`}>
          <td colSpan={11}>
            <p className="error-title">{errorTitle(r.error_code)}</p>
            <p>{r.error_message ?? status.detail}</p>
            <TechnicalDetails detail={[r.error_code && `code: ${r.error_code}`, r.error_detail].filter(Boolean).join('\n') || null} />
          </td>
        </tr>
      )}
    </>
  );
}

