// The words the window uses for the application's codes: states, statuses, triggers,
// frequencies and scopes. Kept in one place so every page says the same thing. Platforms and
// their streams are named as the application names them (see platforms.ts).

import type { Category } from '../bindings/Category';
import type { Connection } from '../bindings/Connection';
import type { LedgerStatus } from '../bindings/LedgerStatus';
import type { RunStatus } from '../bindings/RunStatus';
import type { SyncActivity } from '../bindings/SyncActivity';
import type { DecimalString } from './decimal';
import { formatInt, formatKg } from './format';
import type { Platforms } from './platforms';

export type Tone = 'ok' | 'busy' | 'warn' | 'error' | 'muted' | 'info';

export interface StateWords {
  /** The word the badge shows, and the start of the status line. */
  label: string;
  /** One line that says what it means or what to do. */
  detail: string | null;
  tone: Tone;
}

export const CATEGORY_ORDER: Category[] = ['accounting', 'cloud', 'crm', 'communication'];

export const CATEGORY_LABELS: Record<Category, string> = {
  accounting: 'Accounting',
  cloud: 'Cloud',
  crm: 'CRM',
  communication: 'Communication',
};

/**
 * The state of one connection in words: connected, syncing, needs reconnect, stopped, paused,
 * retrying, error… `platforms` names the platform; `now` is in ms since 1970.
 */
export function connectionState(
  c: Connection,
  activity: SyncActivity | undefined,
  platforms: Platforms,
  now: number = Date.now(),
): StateWords {
  if (c.status === 'disconnected') {
    return { label: 'Disconnected', detail: 'No longer syncing. Its synced data is kept.', tone: 'muted' };
  }
  if (activity) {
    if (activity.queued && !activity.progress) {
      return { label: 'Syncing', detail: 'Queued: waits for another sync to finish.', tone: 'busy' };
    }
    const p = activity.progress;
    return {
      label: 'Syncing',
      detail: p ? progressWords(p.counts.pages, p.counts.fetched, p.counts.emissions_added) : 'Starting…',
      tone: 'busy',
    };
  }
  if (c.status === 'needs_reconnect') {
    return {
      label: 'Needs reconnect',
      detail: c.last_error ?? `${platforms.name(c.provider)} no longer accepts CarbonSync's access. Connect it again to continue syncing.`,
      tone: 'warn',
    };
  }
  const hold = scheduleHold(c, now);
  if (hold) return hold;
  if (c.last_status === 'failed') {
    return { label: 'Error', detail: c.last_error ?? 'The last sync failed.', tone: 'error' };
  }
  if (c.last_status === 'interrupted') {
    return { label: 'Connected', detail: 'The last sync was stopped before it finished; the next one continues.', tone: 'warn' };
  }
  if (!c.last_sync_at) return { label: 'Connected', detail: 'Not synced yet.', tone: 'ok' };
  return { label: 'Connected', detail: null, tone: 'ok' };
}

/** How a connection's schedule stands, as `schedule_hold_words` says it in the command line and the tray. */
export type ScheduleHoldKind = 'stopped' | 'paused' | 'retrying';

/**
 * Whether the schedule holds this connection back, and why: stopped until the person acts
 * (a failure retrying cannot fix), paused until the platform's time (a daily limit), or
 * retrying after failures that may pass. `null` when the schedule runs as usual, for a
 * disconnected connection, and once a platform's pause is over.
 */
export function scheduleHoldKind(c: Connection, now: number = Date.now()): ScheduleHoldKind | null {
  if (c.status === 'disconnected') return null;
  if (c.schedule_stopped) return 'stopped';
  if (c.paused_until_ms === null) return null;
  if (c.failure_streak > 0) return 'retrying';
  return c.paused_until_ms > now ? 'paused' : null;
}

/** The schedule's hold as the status line says it; `null` when it runs as usual. */
export function scheduleHold(c: Connection, now: number = Date.now()): StateWords | null {
  const kind = scheduleHoldKind(c, now);
  const reason = c.pause_reason ?? c.last_error ?? 'The last sync failed.';
  switch (kind) {
    case null:
      return null;
    case 'stopped':
      return {
        label: 'Stopped',
        detail: `${sentence(reason)} The schedule is stopped until you act: once the cause is fixed, use Sync now (a successful sync starts it again), or choose a frequency.`,
        tone: 'error',
      };
    case 'paused':
      return { label: 'Paused', detail: `Paused until ${momentWords(c.paused_until_ms!, now)}: ${reason}`, tone: 'warn' };
    case 'retrying': {
      const until = c.paused_until_ms!;
      const when = until > now ? `at ${momentWords(until, now)}` : 'shortly';
      const times = c.failure_streak === 1 ? '1 failure' : `${formatInt(c.failure_streak)} failures in a row`;
      return { label: 'Retrying', detail: `Retrying ${when} (${times}): ${sentence(reason)}`, tone: 'warn' };
    }
  }
}

const clockFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dayFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** A moment in the viewer's time zone relative to `now`: `09:14 today`, `09:14 tomorrow`, `09:14 on 3 Mar 2026`. */
export function momentWords(ms: number, now: number = Date.now()): string {
  const time = clockFmt.format(new Date(ms));
  if (localDay(ms) === localDay(now)) return `${time} today`;
  const tomorrow = new Date(now);
  tomorrow.setDate(tomorrow.getDate() + 1);
  if (localDay(ms) === localDay(tomorrow.getTime())) return `${time} tomorrow`;
  return `${time} on ${dayFmt.format(new Date(ms))}`;
}

/** Ends with a full stop unless it already ends a sentence. */
function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** `Page 3 · 2,400 records · 1,900 emissions` */
export function progressWords(pages: number, fetched: number, emissions: number): string {
  return `Page ${formatInt(pages)} · ${formatInt(fetched)} ${fetched === 1 ? 'record' : 'records'} · ${formatInt(emissions)} ${emissions === 1 ? 'emission' : 'emissions'} added`;
}

export function runStatusWords(status: RunStatus): StateWords {
  switch (status) {
    case 'running':
      return { label: 'Running', detail: null, tone: 'busy' };
    case 'succeeded':
      return { label: 'Succeeded', detail: null, tone: 'ok' };
    case 'failed':
      return { label: 'Failed', detail: null, tone: 'error' };
    case 'interrupted':
      return { label: 'Interrupted', detail: 'Stopped before it finished; pages already saved are kept.', tone: 'warn' };
  }
}

/** A short heading for an error code; the message itself says what happened and what to do. */
export function errorTitle(code: string | null): string {
  switch (code) {
    case 'rate_limited':
      return 'The platform asked CarbonSync to slow down';
    case 'network':
      return 'Could not reach the platform';
    case 'platform_error':
      return 'The platform had a problem';
    case 'bad_response':
      return 'The platform sent unreadable data';
    case 'platform_refused':
      return 'The platform refused the request';
    case 'needs_reconnect':
    case 'invalid_grant':
      return 'Access was withdrawn';
    case 'auth_failed':
      return 'Sign-in failed';
    case 'access_denied':
      return 'Access was not granted';
    case 'state_mismatch':
      return 'The sign-in answer was not trusted';
    case 'timeout':
      return 'The sign-in took too long';
    case 'redirect_ports_unavailable':
      return 'The registered sign-in ports are in use';
    case 'code_rejected':
    case 'missing_code':
    case 'callback_error':
      return 'The sign-in answer could not be used';
    case 'config':
      return 'The configuration file needs a correction';
    case 'cancelled':
      return 'The sign-in was cancelled';
    case 'no_such_connection':
      return 'That connection does not exist';
    case 'invalid_client':
    case 'unauthorized_client':
      return 'The platform did not accept the app credentials';
    case 'disk_full':
      return 'The disk is full';
    case 'database':
    case 'database_too_new':
      return 'The local database could not be used';
    case 'keychain':
      return 'The keychain could not be used';
    case 'disconnected':
      return 'The connection is disconnected';
    case 'lock':
      return 'Another sync is holding the lock';
    case 'stopped':
      return 'The sync was stopped';
    default:
      return 'Something went wrong';
  }
}

export function triggerLabel(trigger: string): string {
  switch (trigger) {
    case 'window':
      return 'Window';
    case 'tray':
      return 'Tray menu';
    case 'cli':
      return 'Command line';
    case 'schedule':
      return 'Schedule';
    case 'webhook':
      return 'Webhook';
    case 'chat':
      return 'Retry button in Slack';
    case 'export':
      return 'Sent to the platform';
    default:
      return trigger;
  }
}

export interface FrequencyOption {
  value: string;
  label: string;
}

/** The schedules offered in the window; the application also accepts a cron expression. */
export const FREQUENCY_OPTIONS: FrequencyOption[] = [
  { value: 'manual', label: 'Manual only' },
  { value: '15m', label: 'Every 15 minutes' },
  { value: 'hourly', label: 'Every hour' },
  { value: '6h', label: 'Every 6 hours' },
  { value: 'daily', label: 'Once a day' },
];

/** The options for a select, with a stored custom (cron) schedule kept as one of them. */
export function frequencyOptions(current: string | null): FrequencyOption[] {
  if (!current || FREQUENCY_OPTIONS.some((o) => o.value === current)) return FREQUENCY_OPTIONS;
  return [...FREQUENCY_OPTIONS, { value: current, label: frequencyLabel(current) }];
}

export function frequencyLabel(value: string): string {
  const known = FREQUENCY_OPTIONS.find((o) => o.value === value);
  if (known) return known.label;
  return `Custom schedule (cron ${value})`;
}

export function ledgerStatusWords(status: LedgerStatus): StateWords {
  switch (status) {
    case 'counted':
      return { label: 'Counted', detail: 'Included in the totals.', tone: 'ok' };
    case 'excluded':
      return { label: 'Excluded', detail: 'Not a purchase: kept for the record, never counted.', tone: 'muted' };
    case 'unmapped':
      return { label: 'Unmapped', detail: 'Could be a purchase, but no factor fits yet: not counted.', tone: 'warn' };
  }
}

/** GHG Protocol Scope 3 categories, as the ledger labels them. */
export const SCOPE3_CATEGORIES: Record<number, string> = {
  1: 'Purchased goods and services',
  2: 'Capital goods',
  3: 'Fuel- and energy-related activities',
  4: 'Upstream transportation and distribution',
  5: 'Waste generated in operations',
  6: 'Business travel',
  7: 'Employee commuting',
  8: 'Upstream leased assets',
  9: 'Downstream transportation and distribution',
  10: 'Processing of sold products',
  11: 'Use of sold products',
  12: 'End-of-life treatment of sold products',
  13: 'Downstream leased assets',
  14: 'Franchises',
  15: 'Investments',
};

/** `Scope 3`, or `Scope 3 · cat. 6 Business travel`. */
export function scopeLabel(scope: number | null, scope3Category: number | null = null): string {
  if (scope === null) return 'Not counted';
  if (scope === 3 && scope3Category !== null) {
    const name = SCOPE3_CATEGORIES[scope3Category];
    return `Scope 3 · cat. ${scope3Category}${name ? ` ${name}` : ''}`;
  }
  return `Scope ${scope}`;
}


/** A connection as a list names it: `Harbour & Pine Ltd (Xero, Sandbox)`. */
export function connectionLabel(c: Pick<Connection, 'tenant_name' | 'provider' | 'sandbox'>, platforms: Platforms): string {
  return `${c.tenant_name} (${platforms.name(c.provider)}${c.sandbox ? ', Sandbox' : ''})`;
}

/**
 * A source key of the emissions breakdown (`xero: Harbour & Pine Ltd`) in words,
 * marked Sandbox when the connection it names runs on the sandbox.
 */
export function sourceLabel(
  key: string,
  platforms: Platforms,
  connections: ReadonlyArray<Connection> = [],
  connectionId: number | null = null,
): string {
  // The group names its connection: no need to take the key apart (a name may hold ': ').
  const byId = connectionId === null ? undefined : connections.find((x) => x.id === connectionId);
  if (byId) return connectionLabel(byId, platforms);
  const i = key.indexOf(': ');
  if (i < 0) return key;
  const provider = key.slice(0, i);
  const tenant = key.slice(i + 2);
  const c = connections.find((x) => x.provider === provider && x.tenant_name === tenant);
  return `${tenant} (${platforms.name(provider)}${c?.sandbox ? ', Sandbox' : ''})`;
}

/** What a run added to the emissions (kg CO2e, an exact decimal), in words: `1,204 entries, 3,120.5 kg CO2e`. */
export function emissionsAddedWords(entries: number, kg: DecimalString): string {
  return `${formatInt(entries)} ${entries === 1 ? 'entry' : 'entries'}, ${formatKg(kg)}`;
}
