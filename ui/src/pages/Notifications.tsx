import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState } from 'react';
import type { Connection } from '../bindings/Connection';
import type { Delivery } from '../bindings/Delivery';
import type { Destination } from '../bindings/Destination';
import type { ProviderView } from '../bindings/ProviderView';
import type { ReportPreview } from '../bindings/ReportPreview';
import { useBackend } from '../backend/context';
import { EMPTY_FILTER, toAppError } from '../backend/types';
import { Badge, SandboxBadge } from '../components/Badge';
import { Dialog } from '../components/Dialog';
import { ErrorView, TechnicalDetails } from '../components/ErrorView';
import { EmptyState, Loading } from '../components/Feedback';
import { formatDateTime, formatDuration, formatInt } from '../lib/format';
import { connectionLabel } from '../lib/labels';
import {
  ALERT_KINDS,
  type EsgReport,
  alertKindWords,
  alertKindsWords,
  changeLine,
  deliveryErrorTitle,
  deliveryStatus,
  deliveryTrigger,
  deliveryWhat,
  monthName,
  ordinal,
  previousMonth,
  readReport,
  reportMonths,
  reportShare,
  reportTonnes,
  routeWords,
  scheduleWords,
} from '../lib/notifications';
import type { Platforms } from '../lib/platforms';
import { type DestinationPlatform, href } from '../router';
import { useLive } from '../state/live';
import { useNotices } from '../state/notices';
import {
  keys,
  useConnections,
  useDeliveries,
  useDestinations,
  useEmissions,
  useIncidents,
  usePlatforms,
  useProviders,
} from '../state/queries';
import { WaitingForBrowser } from './Integrations';

/** A moment in ms since 1970 as the window writes moments. */
function at(ms: number): string {
  return formatDateTime(new Date(ms).toISOString());
}

export function NotificationsPage({ add }: { add?: DestinationPlatform }) {
  const destinations = useDestinations();
  const platforms = usePlatforms();
  const connections = useConnections().data ?? [];

  // Opened at an add form (a platform card's Connect): bring it into view, ready to paste.
  useEffect(() => {
    if (!add) return;
    const t = setTimeout(() => {
      const section = document.getElementById(`add-${add}`);
      section?.scrollIntoView?.({ block: 'start' });
      section?.querySelector<HTMLElement>('input[type=password]')?.focus({ preventScroll: true });
    }, 0);
    return () => clearTimeout(t);
  }, [add]);

  return (
    <div className="page" data-testid="page-notifications">
      <header className="page-header">
        <h1>Notifications</h1>
        <p className="lede">
          Send the monthly emissions report and sync alerts where your team already talks: a Slack channel or a
          Microsoft Teams channel. Webhook addresses and tokens are kept in this computer's keychain only.
        </p>
      </header>

      <section className="panel" aria-labelledby="destinations-title">
        <h2 id="destinations-title" className="section-title">
          Destinations {destinations.data && <span className="count">{destinations.data.length}</span>}
        </h2>
        {destinations.isPending && <Loading>Loading the destinations…</Loading>}
        {destinations.isError && (
          <ErrorView error={destinations.error} title="The destinations could not be read" onRetry={() => void destinations.refetch()} />
        )}
        {destinations.data && destinations.data.length === 0 && (
          <EmptyState title="Nothing is sent anywhere yet">
            <a href="#add-destination">Add a Slack or Microsoft Teams destination</a> below to receive the monthly report
            and sync alerts.
          </EmptyState>
        )}
        {destinations.data?.map((d) => (
          <DestinationCard key={d.id} destination={d} connections={connections} platforms={platforms} />
        ))}
      </section>

      <ReportPanel destinations={destinations.data ?? []} />
      <AddDestination />
      <Incidents connections={connections} platforms={platforms} />
    </div>
  );
}

// ---- one destination ----------------------------------------------------------------------

function DestinationCard({
  destination: d,
  connections,
  platforms,
}: {
  destination: Destination;
  connections: Connection[];
  platforms: Platforms;
}) {
  const backend = useBackend();
  const qc = useQueryClient();
  const { push, pushError } = useNotices();
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  const platform = platforms.name(d.platform);
  const titleId = `destination-title-${d.id}`;

  const test = useMutation({
    mutationFn: () => backend.sendTestMessage(d.id),
    onSuccess: () => push({ tone: 'success', title: `Test message sent to ${d.name}`, message: `Look for it in ${platform}.` }),
    onError: (e) => pushError(`The test message to ${d.name} was not delivered`, toAppError(e)),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.deliveriesOf(d.id) }),
  });

  const about =
    d.alert_connections === null
      ? 'Every connection'
      : d.alert_connections.length === 0
        ? 'No connection'
        : d.alert_connections
            .map((id) => {
              const c = connections.find((x) => x.id === id);
              return c ? connectionLabel(c, platforms) : `Connection ${id}`;
            })
            .join(', ');

  return (
    <article className="destination" aria-labelledby={titleId} data-testid={`destination-${d.id}`}>
      <header className="destination-head">
        <div>
          <h3 id={titleId} className="destination-name">
            {d.name} {d.sandbox && <SandboxBadge />}
          </h3>
          <p className="small muted" data-testid={`destination-route-${d.id}`}>
            {platform} · {routeWords(d)}
            {d.workspace_name && d.route === 'bot' ? ` · ${d.workspace_name} workspace` : ''}
          </p>
        </div>
        <div className="connection-actions">
          <button
            type="button"
            className="button small"
            onClick={() => test.mutate()}
            disabled={test.isPending}
            data-testid={`send-test-${d.id}`}
          >
            {test.isPending ? 'Sending…' : 'Send test'}
          </button>
          <button
            type="button"
            className="button small"
            aria-expanded={editing}
            onClick={() => setEditing((e) => !e)}
            data-testid={`edit-${d.id}`}
          >
            {editing ? 'Close settings' : 'Settings'}
          </button>
          <button type="button" className="button small subtle" onClick={() => setRemoving(true)} data-testid={`remove-${d.id}`}>
            Remove
          </button>
        </div>
      </header>

      <dl className="fact-grid destination-facts">
        <div>
          <dt>Monthly report</dt>
          <dd data-testid={`schedule-${d.id}`}>{scheduleWords(d)}</dd>
        </div>
        <div>
          <dt>Alerts</dt>
          <dd data-testid={`alerts-${d.id}`}>{alertKindsWords(d.alert_kinds)}</dd>
        </div>
        <div>
          <dt>Alerts about</dt>
          <dd data-testid={`alerts-about-${d.id}`}>{about}</dd>
        </div>
      </dl>

      {editing && <SettingsForm destination={d} connections={connections} platforms={platforms} onDone={() => setEditing(false)} />}
      <DeliveryHistory destination={d} platform={platform} />
      {removing && <RemoveDialog destination={d} platform={platform} onClose={() => setRemoving(false)} />}
    </article>
  );
}

function RemoveDialog({ destination: d, platform, onClose }: { destination: Destination; platform: string; onClose: () => void }) {
  const backend = useBackend();
  const qc = useQueryClient();
  const { push } = useNotices();
  const m = useMutation({
    mutationFn: () => backend.removeDestination(d.id),
    onSuccess: (warning) => {
      void qc.invalidateQueries({ queryKey: keys.destinations });
      push({ tone: 'success', title: `Removed ${d.name}`, message: 'Nothing more is sent there. Its history is kept.' });
      if (warning) push({ tone: 'warn', title: `${platform} was not told`, message: warning });
      onClose();
    },
  });
  return (
    <Dialog
      title={`Remove ${d.name}?`}
      onClose={onClose}
      testId="remove-destination-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={m.isPending}>
            Cancel
          </button>
          <button type="button" className="button danger" onClick={() => m.mutate()} disabled={m.isPending} data-testid="confirm-remove">
            {m.isPending ? 'Removing…' : 'Remove'}
          </button>
        </>
      }
    >
      <p>
        CarbonSync stops sending the monthly report and alerts to {d.name}
        {d.route === 'bot' ? `, asks ${platform} to withdraw its access,` : ''} and removes its{' '}
        {d.route === 'bot' ? 'token' : 'address'} from this computer's keychain. What was sent stays in {platform}.
      </p>
      {m.isError && <ErrorView error={m.error} title="The destination could not be removed" compact />}
    </Dialog>
  );
}

/** When the report goes out and which alerts come; saved with Save. */
function SettingsForm({
  destination: d,
  connections,
  platforms,
  onDone,
}: {
  destination: Destination;
  connections: Connection[];
  platforms: Platforms;
  onDone: () => void;
}) {
  const backend = useBackend();
  const qc = useQueryClient();
  const id = useId();
  const [enabled, setEnabled] = useState(d.report_enabled);
  const [day, setDay] = useState(d.report_day);
  const [time, setTime] = useState(d.report_time);
  const [kinds, setKinds] = useState<ReadonlySet<string>>(new Set(d.alert_kinds));
  const [every, setEvery] = useState(d.alert_connections === null);
  const [chosen, setChosen] = useState<ReadonlySet<number>>(new Set(d.alert_connections ?? []));
  const live = connections.filter((c) => c.status !== 'disconnected' || chosen.has(c.id));

  const m = useMutation({
    mutationFn: () =>
      backend.setDestinationSettings(d.id, {
        report_enabled: enabled,
        report_day: day,
        report_time: time.trim(),
        alert_kinds: ALERT_KINDS.filter((k) => kinds.has(k)),
        alert_connections: every ? null : [...chosen].sort((a, b) => a - b),
      }),
    onSuccess: (stored) => {
      qc.setQueryData<Destination[]>(keys.destinations, (list) => list?.map((x) => (x.id === stored.id ? stored : x)));
      void qc.invalidateQueries({ queryKey: keys.destinations });
    },
  });

  const toggle = <T,>(set: ReadonlySet<T>, value: T, on: boolean): ReadonlySet<T> => {
    const next = new Set(set);
    if (on) next.add(value);
    else next.delete(value);
    return next;
  };

  return (
    <form
      className="destination-settings"
      onSubmit={(e) => {
        e.preventDefault();
        m.mutate();
      }}
      data-testid={`settings-form-${d.id}`}
    >
      <fieldset className="settings-group">
        <legend>Monthly report</legend>
        <label className="switch">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} data-testid={`report-enabled-${d.id}`} />
          <span>Send the previous month's report every month</span>
        </label>
        <div className="form-row">
          <div className="field">
            <label htmlFor={`${id}-day`}>Day of the month</label>
            <select id={`${id}-day`} value={day} onChange={(e) => setDay(Number(e.target.value))} disabled={!enabled} data-testid={`report-day-${d.id}`}>
              {Array.from({ length: 28 }, (_, i) => i + 1).map((n) => (
                <option key={n} value={n}>
                  {ordinal(n)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-time`}>Time (HH:MM)</label>
            <input
              id={`${id}-time`}
              type="text"
              inputMode="numeric"
              value={time}
              onChange={(e) => setTime(e.target.value)}
              disabled={!enabled}
              placeholder="09:00"
              size={6}
              data-testid={`report-time-${d.id}`}
            />
          </div>
        </div>
        <p className="small muted">In this computer's time, while CarbonSync is running (it sends a missed report when it starts).</p>
      </fieldset>

      <fieldset className="settings-group">
        <legend>Alerts</legend>
        {ALERT_KINDS.map((k) => (
          <label key={k} className="switch">
            <input
              type="checkbox"
              checked={kinds.has(k)}
              onChange={(e) => setKinds((s) => toggle(s, k, e.target.checked))}
              data-testid={`alert-${k}-${d.id}`}
            />
            <span>{alertKindWords(k)}</span>
          </label>
        ))}
      </fieldset>

      <fieldset className="settings-group">
        <legend>Alerts about</legend>
        <label className="switch">
          <input type="radio" name={`${id}-about`} checked={every} onChange={() => setEvery(true)} data-testid={`about-every-${d.id}`} />
          <span>Every connection, including those added later</span>
        </label>
        <label className="switch">
          <input type="radio" name={`${id}-about`} checked={!every} onChange={() => setEvery(false)} data-testid={`about-chosen-${d.id}`} />
          <span>Only the connections chosen here</span>
        </label>
        {!every && (
          <div className="indent">
            {live.length === 0 && <p className="small muted">Nothing is connected yet.</p>}
            {live.map((c) => (
              <label key={c.id} className="switch">
                <input
                  type="checkbox"
                  checked={chosen.has(c.id)}
                  onChange={(e) => setChosen((s) => toggle(s, c.id, e.target.checked))}
                  data-testid={`about-${c.id}-${d.id}`}
                />
                <span>{connectionLabel(c, platforms)}</span>
              </label>
            ))}
          </div>
        )}
      </fieldset>

      <div className="form-actions">
        <button type="submit" className="button primary" disabled={m.isPending} data-testid={`save-settings-${d.id}`}>
          {m.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button" onClick={onDone} disabled={m.isPending}>
          Close
        </button>
        <span role="status" className="small" data-testid={`settings-saved-${d.id}`}>
          {m.isSuccess && !m.isPending ? `Saved: report ${scheduleWords(m.data).toLowerCase()}.` : null}
        </span>
      </div>
      {m.isError && <ErrorView error={m.error} title="The settings were not saved" compact />}
    </form>
  );
}

const HISTORY_PAGE = 10;

/** What was sent to a destination, newest first, like a connection's sync history. */
function DeliveryHistory({ destination: d, platform }: { destination: Destination; platform: string }) {
  const [limit, setLimit] = useState(HISTORY_PAGE);
  const q = useDeliveries(d.id, limit);
  const rows = q.data ?? [];
  return (
    <div className="destination-history">
      <h4 className="small-title">History</h4>
      {q.isPending && <Loading>Loading the history…</Loading>}
      {q.isError && <ErrorView error={q.error} title="The history could not be read" compact onRetry={() => void q.refetch()} />}
      {q.data && rows.length === 0 && <p className="small muted">Nothing sent yet. Use Send test to check the destination works.</p>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="table history compact" data-testid={`history-${d.id}`}>
            <caption className="visually-hidden">What was sent to {d.name}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Sent by</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Took
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <DeliveryRow key={r.id} delivery={r} platform={platform} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows.length >= limit && (
        <button type="button" className="button small" onClick={() => setLimit((l) => l + HISTORY_PAGE)} disabled={q.isFetching}>
          {q.isFetching ? 'Loading…' : 'Show older messages'}
        </button>
      )}
    </div>
  );
}

function DeliveryRow({ delivery: r, platform }: { delivery: Delivery; platform: string }) {
  const status = deliveryStatus(r.status);
  const failed = r.status === 'failed';
  const detail = [
    r.error_code && `code: ${r.error_code}`,
    `calls: ${formatInt(r.calls)}`,
    r.waited_ms > 0 ? `waited for the platform: ${formatDuration(r.waited_ms)}` : null,
    r.message_ref && `message: ${r.message_ref}`,
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <>
      <tr data-testid={`delivery-${r.id}`} className={failed ? 'has-error' : undefined}>
        <td>{at(r.started_at_ms)}</td>
        <td>
          <span className="block">{deliveryWhat(r)}</span>
          <TechnicalDetails detail={r.summary} label="What was sent" />
        </td>
        <td>{deliveryTrigger(r.trigger)}</td>
        <td data-testid={`delivery-status-${r.id}`}>
          <Badge tone={status.tone}>{status.label}</Badge>
          {r.chart_sent && <span className="small muted block">with chart</span>}
          {r.chart_note && <span className="small muted block">{r.chart_note}</span>}
        </td>
        <td className="num">{r.finished_at_ms === null ? '–' : formatDuration(r.finished_at_ms - r.started_at_ms)}</td>
      </tr>
      {failed && (
        <tr className="run-error" data-testid={`delivery-error-${r.id}`}>
          <td colSpan={5}>
            <p className="error-title">{deliveryErrorTitle(r.error_code, platform)}</p>
            <p>{r.error_message ?? 'The message was not delivered.'}</p>
            <TechnicalDetails detail={detail} />
          </td>
        </tr>
      )}
    </>
  );
}

// ---- the monthly report ------------------------------------------------------------------

function ReportPanel({ destinations }: { destinations: Destination[] }) {
  const backend = useBackend();
  const qc = useQueryClient();
  const id = useId();
  // The months with data, so an older month can be picked too.
  const byMonth = useEmissions(EMPTY_FILTER, 'month');
  const months = useMemo(() => {
    const withData = [...(byMonth.data?.groups ?? []), ...(byMonth.data?.reported_groups ?? [])].map((g) => g.key);
    return reportMonths(withData);
  }, [byMonth.data]);
  const [period, setPeriod] = useState(previousMonth);
  const [picked, setPicked] = useState<number | null>(null);
  const target = destinations.find((d) => d.id === picked) ?? destinations[0] ?? null;

  const preview = useMutation({ mutationFn: (p: string) => backend.previewReport(p) });
  const send = useMutation({
    mutationFn: (v: { destination: Destination; period: string }) => backend.sendReport(v.destination.id, v.period),
    onSettled: (_d, _e, v) => void qc.invalidateQueries({ queryKey: keys.deliveriesOf(v.destination.id) }),
  });

  return (
    <section className="panel" aria-labelledby="report-title" data-testid="report-panel">
      <h2 id="report-title" className="section-title">
        Monthly report
      </h2>
      <p className="small muted">
        Preview the report of a month exactly as it is sent (the figures and the chart), and send it now to a destination.
      </p>
      <div className="toolbar">
        <div className="field">
          <label htmlFor={`${id}-month`}>Month</label>
          <select
            id={`${id}-month`}
            value={period}
            onChange={(e) => {
              setPeriod(e.target.value);
              preview.reset();
              send.reset();
            }}
            data-testid="report-month"
          >
            {(months.includes(period) ? months : [period, ...months]).map((m) => (
              <option key={m} value={m}>
                {monthName(m)}
              </option>
            ))}
          </select>
        </div>
        <div className="field actions">
          <button type="button" className="button" onClick={() => preview.mutate(period)} disabled={preview.isPending} data-testid="report-preview">
            {preview.isPending ? 'Composing…' : 'Preview'}
          </button>
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>Send to</label>
          <select
            id={`${id}-to`}
            value={target?.id ?? ''}
            onChange={(e) => {
              setPicked(Number(e.target.value));
              send.reset();
            }}
            disabled={destinations.length === 0}
            data-testid="report-destination"
          >
            {destinations.length === 0 && <option value="">No destination yet</option>}
            {destinations.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field actions">
          <button
            type="button"
            className="button primary"
            onClick={() => target && send.mutate({ destination: target, period })}
            disabled={!target || send.isPending}
            data-testid="report-send"
          >
            {send.isPending ? 'Sending…' : 'Send now'}
          </button>
        </div>
      </div>

      {send.isSuccess && (
        <p className="callout" role="status" data-testid="report-result">
          The report of {monthName(send.variables.period)} was sent to {send.variables.destination.name} at{' '}
          {at(send.data.finished_at_ms ?? send.data.started_at_ms)}
          {send.data.chart_sent ? ', with its chart' : ''}.{send.data.chart_note ? ` ${send.data.chart_note}.` : ''}
        </p>
      )}
      {send.isError && (
        <div data-testid="report-result">
          <ErrorView error={send.error} title={`The report was not delivered to ${send.variables.destination.name}`} compact />
        </div>
      )}
      {preview.isError && <ErrorView error={preview.error} title="The report could not be composed" compact />}
      {preview.data && <ReportView preview={preview.data} />}
    </section>
  );
}

/** The report as it is sent: its figures, the chart, and the message's text behind a toggle. */
function ReportView({ preview }: { preview: ReportPreview }) {
  const r = readReport(preview.report);
  return (
    <div className="report-preview" data-testid="report-view">
      {r ? <ReportFigures report={r} /> : <pre className="report-text">{preview.text}</pre>}
      {preview.chart_png_base64 ? (
        <img
          className="report-chart"
          src={`data:image/png;base64,${preview.chart_png_base64}`}
          alt={r ? `Emissions by scope, the twelve months to ${r.period_label}, in tonnes CO2e` : 'Emissions by scope, by month'}
          data-testid="report-chart"
        />
      ) : (
        <p className="small muted" data-testid="report-chart-note">
          {preview.chart_note ?? 'The report has no chart.'}
        </p>
      )}
      {r && <TechnicalDetails detail={preview.text} label="The message as plain text" />}
    </div>
  );
}

function ReportFigures({ report: r }: { report: EsgReport }) {
  return (
    <div className="report-figures">
      <h3 className="creds-title">
        Emissions report · {r.period_label} {r.sandbox && <SandboxBadge />}
      </h3>
      <div className="totals">
        <div>
          <p className="total-label">Total</p>
          <p className="total-kg" data-testid="report-total">
            {reportTonnes(r.total_t_co2e)}
          </p>
          <p className="small muted">
            Spend-based {reportTonnes(r.spend_based_t_co2e)} · reported by providers {reportTonnes(r.reported_t_co2e)}
          </p>
        </div>
        <dl className="reported-totals">
          {r.by_scope.map((f) => (
            <div key={f.label}>
              <dt>{f.label}</dt>
              <dd>{reportTonnes(f.t_co2e)}</dd>
            </div>
          ))}
        </dl>
      </div>
      <dl className="fact-grid">
        <div>
          <dt>Month on month</dt>
          <dd>{changeLine(r.vs_previous_month)}</dd>
        </div>
        <div>
          <dt>Year on year</dt>
          <dd>{changeLine(r.vs_year_before)}</dd>
        </div>
        <div>
          <dt>Share</dt>
          <dd>
            {reportShare(r.spend_based_percent)} spend-based, {reportShare(r.reported_percent)} reported by providers
          </dd>
        </div>
      </dl>
      <div className="two-col">
        <FigureList title="Largest categories" figures={r.top_categories} />
        <FigureList title="Largest suppliers" figures={r.top_suppliers} />
      </div>
      {r.unmapped_entries > 0 && (
        <p className="callout warn">
          {r.unmapped_entries === 1 ? '1 entry' : `${formatInt(r.unmapped_entries)} entries`} of {r.period_label} have no
          emission factor yet, so they are not counted above. <a href={href({ page: 'emissions' })}>Map them on the Emissions page.</a>
        </p>
      )}
      {r.overlap_note && <p className="callout warn">{r.overlap_note}</p>}
      <p className="small muted">{r.method}</p>
    </div>
  );
}

function FigureList({ title, figures }: { title: string; figures: EsgReport['top_categories'] }) {
  return (
    <div>
      <h4 className="small-title">{title}</h4>
      {figures.length === 0 ? (
        <p className="small muted">None this month.</p>
      ) : (
        <ol className="figure-list">
          {figures.map((f) => (
            <li key={f.label}>
              <span>{f.label}</span>
              <span className="num">{reportTonnes(f.t_co2e)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

// ---- adding a destination ------------------------------------------------------------------

function AddDestination() {
  const providers = useProviders();
  const find = (id: string) => providers.data?.find((p) => p.id === id);
  return (
    <section className="panel" id="add-destination" aria-labelledby="add-title">
      <h2 id="add-title" className="section-title">
        Add a destination
      </h2>
      <div className="two-col">
        <AddSlack provider={find('slack')} />
        <AddTeams provider={find('teams')} />
      </div>
    </section>
  );
}

function AddSlack({ provider: p }: { provider: ProviderView | undefined }) {
  const live = useLive();
  const waiting = live.waiting.has('slack');
  return (
    <div className="add-destination" id="add-slack" data-testid="add-slack">
      <h3 className="creds-title">
        Slack {p?.sandbox && <SandboxBadge />}
      </h3>
      <p className="small">
        <strong>With the Slack app</strong> (recommended): sign in, choose a channel, and reports arrive with their chart.
      </p>
      <div className="form-actions">
        {waiting && p ? (
          <WaitingForBrowser provider={p} />
        ) : (
          <button
            type="button"
            className="button primary"
            onClick={() => void live.beginConnect('slack')}
            disabled={!p?.available}
            data-testid="sign-in-slack"
          >
            Sign in with Slack
          </button>
        )}
      </div>
      <p className="small">
        <strong>Or with an incoming webhook</strong>: in Slack, add the Incoming Webhooks app to a channel and paste its
        Webhook URL here. Reports arrive without the chart.
      </p>
      <WebhookForm platform="slack" provider={p} label="Webhook URL" placeholder="https://hooks.slack.com/services/…" />
    </div>
  );
}

function AddTeams({ provider: p }: { provider: ProviderView | undefined }) {
  return (
    <div className="add-destination" id="add-teams" data-testid="add-teams">
      <h3 className="creds-title">
        Microsoft Teams {p?.sandbox && <SandboxBadge />}
      </h3>
      <p className="small">
        In Teams, open the channel's Workflows, add “Send webhook alerts to a channel” (a workflow that starts with “When a
        Teams webhook request is received”), and paste its URL here. Reports arrive as a card with their chart.
      </p>
      <WebhookForm platform="teams" provider={p} label="Workflow URL" placeholder="https://…/workflows/…&sig=…" />
    </div>
  );
}

/** A pasted webhook URL (a secret: typed unseen, kept in the keychain only) and an optional name. */
function WebhookForm({
  platform,
  provider: p,
  label,
  placeholder,
}: {
  platform: DestinationPlatform;
  provider: ProviderView | undefined;
  label: string;
  placeholder: string;
}) {
  const backend = useBackend();
  const qc = useQueryClient();
  const { push } = useNotices();
  const id = useId();
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const platformName = p?.name ?? platform;

  const added = (d: Destination) => {
    setUrl('');
    setName('');
    void qc.invalidateQueries({ queryKey: keys.destinations });
    push({
      tone: 'success',
      title: `Added ${d.name}`,
      message: `The monthly report and sync alerts go there now. Use Send test to see one arrive in ${platformName}.`,
    });
  };
  const paste = useMutation({
    mutationFn: () => backend.addWebhookDestination(platform, url.trim(), name.trim() || null),
    onSuccess: added,
  });
  // A pasted URL is real or the sandbox's by choice, as cloud keys are: Teams always offers
  // the sandbox's workflow; Slack's webhook, while Slack runs on the sandbox.
  const offersSandbox = Boolean(p?.sandbox || p?.auth === 'webhook_url');
  const sandbox = useMutation({
    mutationFn: () => backend.addSandboxDestination(platform, name.trim() || null),
    onSuccess: added,
  });
  const busy = paste.isPending || sandbox.isPending;
  const error = paste.error ?? sandbox.error;

  return (
    <form
      className="cloud-form"
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        sandbox.reset();
        paste.mutate();
      }}
      data-testid={`webhook-form-${platform}`}
    >
      <div className="field">
        <label htmlFor={`${id}-url`}>{label}</label>
        <input
          id={`${id}-url`}
          type="password"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder={placeholder}
          autoComplete="new-password"
          spellCheck={false}
          aria-describedby={`${id}-url-help`}
          data-testid={`webhook-url-${platform}`}
        />
        <span id={`${id}-url-help`} className="small muted">
          The URL is a secret: anyone who has it can post to the channel. It goes to this computer's keychain only and is
          never shown again.
        </span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-name`}>
          Name <span className="muted small">(optional)</span>
        </label>
        <input
          id={`${id}-name`}
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder={platform === 'slack' ? '#esg-reports' : 'ESG reports channel'}
          spellCheck={false}
          data-testid={`webhook-name-${platform}`}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy || url.trim() === '' || !p?.available} data-testid={`webhook-add-${platform}`}>
          {paste.isPending ? 'Checking…' : 'Add'}
        </button>
        {offersSandbox && (
          <button
            type="button"
            className="button"
            onClick={() => {
              paste.reset();
              sandbox.mutate();
            }}
            disabled={busy}
            data-testid={`sandbox-${platform}`}
          >
            {sandbox.isPending ? 'Adding…' : "Use the sandbox's webhook"}
          </button>
        )}
      </div>
      {offersSandbox && (
        <p className="small muted">
          “Use the sandbox's webhook” sends to the built-in sandbox's stand-in for {platformName}, to try CarbonSync
          without a real channel.
        </p>
      )}
      {error && <ErrorView error={error} title={`The ${platformName} destination was not added`} compact />}
    </form>
  );
}

// ---- incidents ------------------------------------------------------------------------------

function Incidents({ connections, platforms }: { connections: Connection[]; platforms: Platforms }) {
  const q = useIncidents(50);
  const list = useMemo(
    () =>
      [...(q.data ?? [])].sort((a, b) => {
        const open = Number(a.resolved_at_ms === null) - Number(b.resolved_at_ms === null);
        return open !== 0 ? -open : b.opened_at_ms - a.opened_at_ms;
      }),
    [q.data],
  );
  const name = (id: number) => {
    const c = connections.find((x) => x.id === id);
    return c ? connectionLabel(c, platforms) : `Connection ${id}`;
  };
  return (
    <section className="panel" aria-labelledby="incidents-title" data-testid="incidents">
      <h2 id="incidents-title" className="section-title">
        Incidents
      </h2>
      <p className="small muted">
        A problem with a connection, from the sync that met it until a sync succeeds again. Alerts are sent when one opens
        and when it is resolved.
      </p>
      {q.isPending && <Loading>Loading the incidents…</Loading>}
      {q.isError && <ErrorView error={q.error} title="The incidents could not be read" compact onRetry={() => void q.refetch()} />}
      {q.data && list.length === 0 && <p className="muted">No incidents: every connection's syncs have been working.</p>}
      {list.length > 0 && (
        <ul className="incident-list">
          {list.map((i) => {
            const open = i.resolved_at_ms === null;
            return (
              <li key={i.id} className="incident" data-testid={`incident-${i.id}`}>
                <p>
                  <Badge tone={open ? 'warn' : 'ok'}>{open ? 'Open' : 'Resolved'}</Badge>{' '}
                  <strong>{alertKindWords(i.kind)}</strong> · {name(i.connection_id)}
                </p>
                <p>{i.what}</p>
                {open && i.fix && <p className="small">What to do: {i.fix}</p>}
                <p className="small muted">
                  Opened {at(i.opened_at_ms)}
                  {i.resolved_at_ms !== null && ` · resolved ${at(i.resolved_at_ms)}${i.resolved_how ? `: ${i.resolved_how}` : ''}`}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
