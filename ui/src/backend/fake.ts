// An in-memory Backend with realistic sample data, so the window runs in a plain browser
// (`npm run dev`) and in tests without the desktop app. It behaves like the application:
// syncs report progress and finish through events, a sign-in answers later through
// `connect-result`, and failures reject with an AppError.

import type { AppError } from '../bindings/AppError';
import type { Connection } from '../bindings/Connection';
import type { CursorView } from '../bindings/CursorView';
import type { EmissionsGroup } from '../bindings/EmissionsGroup';
import type { EmissionsSummary } from '../bindings/EmissionsSummary';
import type { GroupBy } from '../bindings/GroupBy';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { LedgerPage } from '../bindings/LedgerPage';
import type { ProviderSettings } from '../bindings/ProviderSettings';
import type { ProviderView } from '../bindings/ProviderView';
import type { SetAsideRecord } from '../bindings/SetAsideRecord';
import type { SettingsView } from '../bindings/SettingsView';
import type { SyncActivity } from '../bindings/SyncActivity';
import type { SyncRun } from '../bindings/SyncRun';
import type { SyncRunCounts } from '../bindings/SyncRunCounts';
import type { TenantOption } from '../bindings/TenantOption';
import type { Totals } from '../bindings/Totals';
import { csvRow, safeFileName } from '../lib/csv';
import { HALF_UP, compareDecimals, dec, sumDecimals } from '../lib/decimal';
import {
  CATALOGUE,
  METHOD,
  SAMPLE_ORGS,
  type SampleOrg,
  compareEntries,
  generateLedger,
} from './fakeData';
import type { Backend, BackendEventName, BackendEvents, Unsubscribe } from './types';

export interface FakeBackendOptions {
  /** `demo`: both sample organisations connected and synced; `empty`: nothing connected. */
  scenario?: 'demo' | 'empty';
  /** Ledger lines per organisation (default 1,600, so a few thousand in all). */
  entriesPerOrg?: number;
  /** Delay before each command answers, in ms (default 0). */
  latencyMs?: number;
  /** Delay between two progress events of a sync, in ms (default 0). */
  stepMs?: number;
  /** Delay before a sign-in answers through `connect-result`, in ms (default 0). */
  connectDelayMs?: number;
  /** How the next sign-ins end: normally, or as a forged/replayed answer, or refused. */
  connectAnswer?: 'normal' | 'forged' | 'denied';
  /** Sync a connection right after it is made (default true). */
  syncAfterConnect?: boolean;
  /** The fake's clock at start, in ms since 1970 (default: now). */
  now?: number;
  /**
   * Pretend the unfiltered ledger has this many entries (repeating the generated ones), to
   * try the window on a very large ledger without holding it in memory.
   */
  syntheticRows?: number;
  /**
   * The platforms the application knows, as `list_providers` lists them (default: the
   * built-in catalogue). `sandbox` and `connections` are worked out as the application does.
   */
  catalogue?: ReadonlyArray<ProviderView>;
}

const ZERO_COUNTS: SyncRunCounts = {
  pages: 0,
  calls: 0,
  rate_limited: 0,
  fetched: 0,
  created: 0,
  updated: 0,
  deleted: 0,
  skipped: 0,
  set_aside: 0,
  emissions_added: 0,
  kg_co2e_delta: '0',
};


function err(code: string, message: string, detail: string | null = null, permanent = true): AppError {
  return { code, message, detail, permanent };
}

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

interface Choice {
  provider: string;
  tenants: TenantOption[];
}

export class FakeBackend implements Backend {
  readonly kind = 'fake' as const;

  private readonly opts: Required<FakeBackendOptions>;
  private connections: Connection[] = [];
  private ledger: LedgerEntry[] = [];
  private runs: SyncRun[] = [];
  private setAside: SetAsideRecord[] = [];
  private activity = new Map<number, SyncActivity>();
  private choices = new Map<string, Choice>();
  private failures = new Map<number, AppError>();
  private credentials = new Map<string, { clientId: string | null; hasSecret: boolean }>();
  private listeners = new Map<BackendEventName, Set<(payload: never) => void>>();
  private nextConnectionId = 1;
  private nextRunId = 1;
  private nextChoiceId = 1;
  private clock: number;
  private readonly startedAt: number;
  private realClock = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  /** Platforms whose sign-in is open in the (pretend) browser. */
  private signIns = new Set<string>();

  constructor(options: FakeBackendOptions = {}) {
    this.opts = {
      scenario: options.scenario ?? 'demo',
      entriesPerOrg: options.entriesPerOrg ?? 1600,
      latencyMs: options.latencyMs ?? 0,
      stepMs: options.stepMs ?? 0,
      connectDelayMs: options.connectDelayMs ?? 0,
      connectAnswer: options.connectAnswer ?? 'normal',
      syncAfterConnect: options.syncAfterConnect ?? true,
      now: options.now ?? Date.now(),
      syntheticRows: options.syntheticRows ?? 0,
      catalogue: options.catalogue ?? CATALOGUE,
    };
    this.startedAt = this.opts.now;
    this.clock = this.opts.now - 5 * 86_400_000;
    if (this.opts.scenario === 'demo') {
      SAMPLE_ORGS.forEach((org, i) => {
        const c = this.addConnection('xero', org, i === 0 ? 'hourly' : 'daily');
        this.ledger.push(...generateLedger(c.id, org, this.opts.entriesPerOrg, 1000 + i));
        this.recordHistory(c.id);
      });
      this.ledger.sort(compareEntries);
    }
    // From now on, moments are real ones (unless a test fixed the clock).
    this.realClock = options.now === undefined;
  }

  // ---- test helpers -------------------------------------------------------------------

  /** The next sync of this connection fails with `error` after its first page. */
  failNextSync(connectionId: number, error: AppError): void {
    this.failures.set(connectionId, error);
  }

  /** Sends an event as the application would. */
  emit<E extends BackendEventName>(event: E, payload: BackendEvents[E]): void {
    for (const h of [...(this.listeners.get(event) ?? [])]) (h as (p: BackendEvents[E]) => void)(payload);
  }

  /** Cancels pending timers (syncs and sign-ins still in flight). */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  // ---- Backend --------------------------------------------------------------------------

  on<E extends BackendEventName>(event: E, handler: (payload: BackendEvents[E]) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const h = handler as (payload: never) => void;
    set.add(h);
    return () => {
      set.delete(h);
    };
  }

  listProviders(): Promise<ProviderView[]> {
    return this.answer(() =>
      this.opts.catalogue.map((p) => ({
        ...p,
        scopes: [...p.scopes],
        streams: p.streams.map((x) => ({ ...x })),
        sandbox: p.available && this.credentials.get(p.id)?.clientId == null,
        connections: this.connections.filter((c) => c.provider === p.id && c.status !== 'disconnected').length,
      })),
    );
  }

  listConnections(): Promise<Connection[]> {
    return this.answer(() => this.connections.map((c) => ({ ...c })));
  }

  syncActivity(): Promise<SyncActivity[]> {
    return this.answer(() => [...this.activity.values()].map((a) => structuredClone(a)));
  }

  beginConnect(providerId: string): Promise<null> {
    return this.answer(() => {
      const p = this.opts.catalogue.find((x) => x.id === providerId);
      if (!p) throw err('unknown_provider', `CarbonSync does not know a platform called “${providerId}”.`);
      if (!p.available) throw err('not_available', `${p.name} is not yet available in CarbonSync.`);
      this.signIns.add(providerId);
      this.later(this.opts.connectDelayMs, () => {
        // A cancelled sign-in's answer is refused by the application: nothing arrives.
        if (this.signIns.delete(providerId)) this.answerSignIn(providerId);
      });
      return null;
    });
  }

  cancelConnect(providerId: string): Promise<null> {
    return this.answer(() => {
      this.signIns.delete(providerId);
      return null;
    });
  }

  chooseTenant(choiceId: string, tenantId: string): Promise<Connection> {
    return this.answer(() => {
      const choice = this.choices.get(choiceId);
      if (!choice) {
        throw err('choice_expired', 'This choice of organisation has expired. Start the connection again.');
      }
      const tenant = choice.tenants.find((t) => t.tenant_id === tenantId);
      const org = SAMPLE_ORGS.find((o) => o.tenant_id === tenant?.tenant_id);
      if (!tenant || !org) throw err('unknown_tenant', 'That organisation was not offered by this sign-in.');
      this.choices.delete(choiceId);
      return { ...this.connectOrg(choice.provider, org) };
    });
  }

  cancelTenantChoice(choiceId: string): Promise<null> {
    return this.answer(() => {
      this.choices.delete(choiceId);
      return null;
    });
  }

  syncNow(connectionId: number | null): Promise<null> {
    return this.answer(() => {
      const targets =
        connectionId === null
          ? this.connections.filter((c) => c.status === 'active')
          : [this.connectionOrThrow(connectionId)];
      for (const c of targets) {
        if (c.status === 'disconnected') {
          throw err('disconnected', `Connection ${c.id} is disconnected; connect it again to sync`);
        }
        if (c.status === 'needs_reconnect') {
          throw err('needs_reconnect', `${this.platformName(c.provider)} no longer accepts CarbonSync's access to ${c.tenant_name}; reconnect it to continue syncing.`);
        }
      }
      targets.forEach((c, i) => this.startSync(c, i > 0 || this.activity.size > 0));
      return null;
    });
  }

  disconnect(connectionId: number, deleteData: boolean): Promise<string | null> {
    return this.answer(() => {
      const c = this.connectionOrThrow(connectionId);
      this.activity.delete(connectionId);
      if (deleteData) {
        this.connections = this.connections.filter((x) => x.id !== connectionId);
        this.ledger = this.ledger.filter((e) => e.connection_id !== connectionId);
        this.runs = this.runs.filter((r) => r.connection_id !== connectionId);
      } else {
        c.status = 'disconnected';
        c.updated_at = this.now();
      }
      return null;
    });
  }

  syncHistory(connectionId: number, limit: number): Promise<SyncRun[]> {
    return this.answer(() => {
      this.connectionOrThrow(connectionId);
      return this.runs
        .filter((r) => r.connection_id === connectionId)
        .sort((a, b) => b.id - a.id)
        .slice(0, Math.max(0, limit))
        .map((r) => ({ ...r }));
    });
  }

  connectionSetAside(connectionId: number): Promise<SetAsideRecord[]> {
    return this.answer(() => {
      this.connectionOrThrow(connectionId);
      return this.setAside.filter((r) => r.connection_id === connectionId).map((r) => ({ ...r }));
    });
  }

  /** Test hook: the synced ledger holds exactly these entries (of connections that exist). */
  setLedger(entries: ReadonlyArray<LedgerEntry>): void {
    this.ledger = entries.map((e) => ({ ...e })).sort(compareEntries);
  }

  /** Test hook: the platform sent a record that could not be read. */
  addSetAside(record: Omit<SetAsideRecord, 'id'>): void {
    this.setAside.unshift({ ...record, id: this.setAside.length + 1 });
  }

  connectionCursors(connectionId: number): Promise<CursorView[]> {
    return this.answer(() => {
      const c = this.connectionOrThrow(connectionId);
      const done = this.runs.filter((r) => r.connection_id === connectionId && r.status === 'succeeded');
      const last = done.length ? done[done.length - 1]!.started_at : null;
      // A cursor for each stream the platform's connector reads, by name, as the store lists them.
      const streams = this.streamsOf(c.provider).map((x) => x.name).sort();
      return streams.map((stream, i) => ({
        stream,
        modified_since: last ? isoAt(Date.parse(last) - (i + 1) * 3_600_000) : null,
        resuming: false,
      }));
    });
  }

  setFrequency(connectionId: number, frequency: string): Promise<string> {
    return this.answer(() => {
      const c = this.connectionOrThrow(connectionId);
      const label = parseFrequency(frequency);
      c.frequency = label;
      c.updated_at = this.now();
      return label;
    });
  }

  emissionsSummary(filter: LedgerFilter, by: GroupBy | null): Promise<EmissionsSummary> {
    return this.answer(() => {
      const rows = this.select(filter);
      return {
        totals: totalsOf(rows),
        by,
        groups: by ? this.groupBy(rows, by) : [],
        method: METHOD,
      };
    });
  }

  ledgerPage(filter: LedgerFilter, offset: number, limit: number): Promise<LedgerPage> {
    return this.answer(() => {
      const n = this.opts.syntheticRows;
      if (n > 0 && Object.values(filter).every((v) => v === null) && this.ledger.length > 0) {
        const entries: LedgerEntry[] = [];
        for (let i = offset; i < Math.min(n, offset + limit); i++) {
          const e = this.ledger[i % this.ledger.length]!;
          entries.push({ ...e, record_id: `${e.record_id.slice(0, 24)}${String(i).padStart(12, '0')}` });
        }
        return { total: n, offset, entries };
      }
      const rows = this.select(filter);
      return {
        total: rows.length,
        offset,
        entries: rows.slice(offset, offset + limit).map((e) => ({ ...e })),
      };
    });
  }

  exportLedgerCsv(filter: LedgerFilter): Promise<string> {
    return this.answer(() => {
      const name = safeFileName(`carbonsync-ledger-${this.now().slice(0, 10)}.csv`);
      offerDownload(name, ledgerCsv(this.select(filter)));
      return `~/Downloads/${name}`;
    });
  }

  getSettings(): Promise<SettingsView> {
    return this.answer(() => this.settings());
  }

  setProviderCredentials(providerId: string, clientId: string | null, clientSecret: string | null): Promise<SettingsView> {
    return this.answer(() => {
      const p = this.opts.catalogue.find((x) => x.id === providerId);
      if (!p) throw err('unknown_provider', `CarbonSync does not know a platform called “${providerId}”.`);
      const id = clientId?.trim() ? clientId.trim() : null;
      const prev = this.credentials.get(providerId);
      const secretGiven = Boolean(clientSecret?.trim());
      this.credentials.set(providerId, {
        clientId: id,
        hasSecret: secretGiven ? true : id === null ? false : (prev?.hasSecret ?? false),
      });
      return this.settings();
    });
  }

  // ---- inside -----------------------------------------------------------------------------

  private answer<T>(f: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        try {
          resolve(f());
        } catch (e) {
          reject(e);
        }
      };
      if (this.opts.latencyMs > 0) this.later(this.opts.latencyMs, run);
      else queueMicrotask(run);
    });
  }

  private later(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, ms);
    this.timers.add(t);
  }

  private now(): string {
    this.clock = Math.max(this.clock + 1000, this.realClock ? Date.now() : 0);
    return isoAt(this.clock);
  }

  private settings(): SettingsView {
    const providers: ProviderSettings[] = this.opts.catalogue.map((p) => {
      const c = this.credentials.get(p.id);
      return {
        id: p.id,
        name: p.name,
        available: p.available,
        sandbox: c?.clientId == null,
        client_id: c?.clientId ?? null,
        has_client_secret: c?.hasSecret ?? false,
      };
    });
    return {
      data_dir: '/home/you/.local/share/carbonsync',
      config_file: '/home/you/.config/carbonsync/carbonsync.toml',
      // The desktop app logs to the platform's log folder for apps, not the data folder.
      log_dir: '/home/you/.local/share/app.carbonsync.desktop/logs',
      providers,
    };
  }

  /** The platform's name as the catalogue gives it, or its id. */
  private platformName(providerId: string): string {
    return this.opts.catalogue.find((p) => p.id === providerId)?.name ?? providerId;
  }

  /** The streams the platform's connector reads, in its order (none for an unknown platform). */
  private streamsOf(providerId: string): ReadonlyArray<{ name: string }> {
    return this.opts.catalogue.find((p) => p.id === providerId)?.streams ?? [];
  }

  private connectionOrThrow(id: number): Connection {
    const c = this.connections.find((x) => x.id === id);
    if (!c) throw err('no_such_connection', `There is no connection ${id}.`);
    return c;
  }

  private addConnection(providerId: string, org: SampleOrg, frequency: string): Connection {
    const at = this.now();
    const c: Connection = {
      id: this.nextConnectionId++,
      provider: providerId,
      tenant_id: org.tenant_id,
      tenant_name: org.tenant_name,
      base_currency: org.currency,
      sandbox: this.credentials.get(providerId)?.clientId == null,
      status: 'active',
      vault_key: `carbonsync/${providerId}/${org.tenant_id}`,
      frequency,
      created_at: at,
      updated_at: at,
      last_sync_at: null,
      last_status: null,
      last_error: null,
      paused_until_ms: null,
      pause_reason: null,
      schedule_stopped: false,
      failure_streak: 0,
    };
    this.connections.push(c);
    return c;
  }

  private connectOrg(providerId: string, org: SampleOrg): Connection {
    const existing = this.connections.find((c) => c.provider === providerId && c.tenant_id === org.tenant_id);
    let c: Connection;
    if (existing) {
      existing.status = 'active';
      existing.updated_at = this.now();
      c = existing;
    } else {
      c = this.addConnection(providerId, org, 'hourly');
    }
    if (this.opts.syncAfterConnect) this.later(0, () => this.startSync(c, false));
    return c;
  }

  private answerSignIn(providerId: string): void {
    const platform = this.platformName(providerId);
    if (this.opts.connectAnswer === 'forged') {
      this.emit('connect-result', {
        outcome: null,
        error: err(
          'state_mismatch',
          'The sign-in answer does not belong to a sign-in started here (unknown, expired or already used state); it may be forged or replayed. Nothing was stored; start the connection again',
          'StateMismatch',
        ),
      });
      return;
    }
    if (this.opts.connectAnswer === 'denied') {
      this.emit('connect-result', {
        outcome: null,
        error: err('access_denied', `Access was not granted at ${platform}, so nothing was connected. Connect again and choose Allow access.`, 'Denied { error: "access_denied" }'),
      });
      return;
    }
    const free = SAMPLE_ORGS.filter(
      (o) => !this.connections.some((c) => c.provider === providerId && c.tenant_id === o.tenant_id && c.status === 'active'),
    );
    if (free.length === 0) {
      this.emit('connect-result', {
        outcome: null,
        error: err('already_connected', 'Every organisation this sign-in can reach is already connected.'),
      });
    } else if (free.length === 1) {
      const c = this.connectOrg(providerId, free[0]!);
      this.emit('connect-result', { outcome: { kind: 'connected', connection: { ...c } }, error: null });
    } else {
      const choice_id = `choice-${this.nextChoiceId++}`;
      const tenants = free.map((o) => ({ tenant_id: o.tenant_id, tenant_name: o.tenant_name }));
      this.choices.set(choice_id, { provider: providerId, tenants });
      this.emit('connect-result', {
        outcome: { kind: 'choose_tenant', choice_id, provider: providerId, tenants },
        error: null,
      });
    }
  }

  /** Seeds a believable history: a first full sync and a few incremental ones. */
  private recordHistory(connectionId: number): void {
    const c = this.connectionOrThrow(connectionId);
    const entries = this.opts.entriesPerOrg;
    const start = this.startedAt - 4 * 86_400_000 - 3 * 3_600_000;
    const mk = (i: number, patch: Partial<SyncRun>, tookMs = i === 0 ? 14_200 : 1_900): SyncRun => {
      const started = start + i * 86_400_000 + connectionId * 600_000;
      return {
        id: this.nextRunId++,
        connection_id: connectionId,
        trigger: i === 0 ? 'window' : 'schedule',
        full: i === 0,
        started_at: isoAt(started),
        finished_at: isoAt(started + tookMs),
        status: 'succeeded',
        error_code: null,
        error_message: null,
        error_detail: null,
        ...ZERO_COUNTS,
        pages: 2,
        calls: 3,
        fetched: 0,
        ...patch,
      };
    };
    const records = Math.ceil(entries / 1.5);
    this.runs.push(
      mk(0, {
        pages: Math.ceil(records / 100),
        calls: Math.ceil(records / 100) + 2,
        fetched: records,
        created: records,
        emissions_added: entries,
        kg_co2e_delta: '0',
      }),
      mk(1, { fetched: 12, created: 9, updated: 3, emissions_added: 14, kg_co2e_delta: '212.6' }),
      mk(2, {
        status: 'failed',
        pages: 1,
        calls: 4,
        rate_limited: 3,
        error_code: 'rate_limited',
        error_message: 'The platform is limiting how fast CarbonSync may read. Nothing was lost; the next sync continues where this one stopped.',
        error_detail: 'Provider(RateLimited { retry_after: Some(61s), problem: "minute" })',
      }, 48_000),
      mk(3, { fetched: 31, created: 22, updated: 8, deleted: 1, skipped: 0, emissions_added: 34, kg_co2e_delta: '488.1' }),
      mk(4, { fetched: 0 }),
    );
    // The first run brought in the whole ledger.
    const first = this.runs.find((r) => r.connection_id === connectionId && r.full);
    if (first) first.kg_co2e_delta = totalsOf(this.ledger.filter((e) => e.connection_id === connectionId)).kg_co2e;
    const last = this.runs[this.runs.length - 1]!;
    c.last_sync_at = last.finished_at;
    c.last_status = 'succeeded';
  }

  private startSync(c: Connection, queued: boolean): void {
    if (this.activity.has(c.id)) return; // already queued or syncing: dropped, as the scheduler does
    this.activity.set(c.id, { connection_id: c.id, queued, progress: null });
    const run: SyncRun = {
      id: this.nextRunId++,
      connection_id: c.id,
      trigger: 'window',
      full: !this.ledger.some((e) => e.connection_id === c.id),
      started_at: this.now(),
      finished_at: null,
      status: 'running',
      error_code: null,
      error_message: null,
      error_detail: null,
      ...ZERO_COUNTS,
    };
    this.runs.push(run);
    const org = SAMPLE_ORGS.find((o) => o.tenant_id === c.tenant_id);
    const newEntries = run.full && org
      ? generateLedger(c.id, org, this.opts.entriesPerOrg, 1000 + SAMPLE_ORGS.indexOf(org))
      : [];
    const records = run.full ? Math.ceil(newEntries.length / 1.5) : 7 + (c.id % 5);
    const steps = run.full ? 5 : 2;
    const failure = this.failures.get(c.id);
    this.failures.delete(c.id);
    const kgTotal = totalsOf(newEntries).kg_co2e;

    const step = (i: number) => {
      const a = this.activity.get(c.id);
      if (!a) return; // disconnected meanwhile
      a.queued = false;
      const share = (i + 1) / steps;
      run.pages = run.full ? Math.ceil((records / 100) * share) : i + 1;
      run.calls = run.pages + 1;
      run.fetched = Math.round(records * share);
      run.created = run.full ? run.fetched : Math.max(0, run.fetched - 2);
      run.updated = run.full ? 0 : Math.min(2, run.fetched);
      run.emissions_added = run.full ? Math.round(newEntries.length * share) : run.created;
      // A full sync adds its share of the ledger so far; an incremental one 11.7 kg for each record it created.
      run.kg_co2e_delta = run.full
        ? dec(kgTotal).times(i + 1).div(steps).toFixed(1, HALF_UP)
        : dec('11.7').times(run.created).toFixed(1, HALF_UP);
      // The platform's streams in its order, spread over the steps, as a sync walks them.
      const streams = this.streamsOf(c.provider);
      const stream = streams[Math.floor((i * streams.length) / steps)]?.name ?? 'records';
      a.progress = { connection_id: c.id, run_id: run.id, stream, counts: countsOf(run) };
      this.emit('sync-progress', structuredClone(a.progress));
      if (failure) return this.later(this.opts.stepMs, () => this.finish(c, run, [], failure));
      if (i + 1 < steps) this.later(this.opts.stepMs, () => step(i + 1));
      else this.later(this.opts.stepMs, () => this.finish(c, run, newEntries, null));
    };
    this.later(this.opts.stepMs, () => step(0));
  }

  private finish(c: Connection, run: SyncRun, entries: LedgerEntry[], failure: AppError | null): void {
    this.activity.delete(c.id);
    run.finished_at = this.now();
    if (failure) {
      run.status = 'failed';
      run.error_code = failure.code;
      run.error_message = failure.message;
      run.error_detail = failure.detail;
      if (failure.code === 'needs_reconnect') c.status = 'needs_reconnect';
    } else {
      run.status = 'succeeded';
      if (entries.length) {
        this.ledger.push(...entries);
        this.ledger.sort(compareEntries);
      }
    }
    c.last_sync_at = run.finished_at;
    c.last_status = run.status;
    c.last_error = failure?.message ?? null;
    this.emit('sync-finished', {
      connection_id: c.id,
      report: failure ? null : { connection_id: c.id, run_id: run.id, status: run.status, counts: countsOf(run), refreshed_token: false },
      error: failure ? { ...failure } : null,
    });
  }

  private select(f: LedgerFilter): LedgerEntry[] {
    const live = new Set(this.connections.map((c) => c.id));
    return this.ledger.filter(
      (e) =>
        live.has(e.connection_id) &&
        (f.connection_id === null || e.connection_id === f.connection_id) &&
        (f.from === null || e.date >= f.from) &&
        (f.to === null || e.date <= f.to) &&
        (f.status === null || e.status === f.status) &&
        (f.scope === null || e.scope === f.scope) &&
        (f.category === null || e.category === f.category) &&
        (f.record_id === null || e.record_id === f.record_id),
    );
  }

  private groupBy(rows: LedgerEntry[], by: GroupBy): EmissionsGroup[] {
    const groups = new Map<
      string,
      { key: string; scope: number | null; connection_id: number | null; rows: LedgerEntry[] }
    >();
    const sources = new Map(this.connections.map((c) => [c.id, `${c.provider}: ${c.tenant_name}`]));
    for (const e of rows) {
      let key: string;
      let scope: number | null = null;
      let connectionId: number | null = null;
      switch (by) {
        case 'month':
          key = e.date.slice(0, 7);
          scope = e.scope;
          break;
        case 'category':
          key = e.category ?? 'Uncategorised';
          break;
        case 'scope':
          key = e.scope === null ? 'Not counted' : e.scope3_category === null ? `Scope ${e.scope}` : `Scope ${e.scope} cat. ${e.scope3_category}`;
          break;
        case 'source':
          // As the core does: one group a connection, whatever its name.
          key = sources.get(e.connection_id) ?? 'unknown';
          connectionId = e.connection_id;
          break;
      }
      const id = `${key}\u0000${scope ?? ''}\u0000${connectionId ?? ''}`;
      let g = groups.get(id);
      if (!g) {
        g = { key, scope, connection_id: connectionId, rows: [] };
        groups.set(id, g);
      }
      g.rows.push(e);
    }
    const out = [...groups.values()].map((g) => ({
      key: g.key,
      scope: g.scope,
      connection_id: g.connection_id,
      ...totalsOf(g.rows),
    }));
    if (by === 'month') {
      out.sort((a, b) => (a.key === b.key ? (a.scope ?? -1) - (b.scope ?? -1) : a.key < b.key ? -1 : 1));
    } else {
      out.sort((a, b) => compareDecimals(b.kg_co2e, a.kg_co2e) || (a.key < b.key ? -1 : 1));
    }
    return out;
  }
}

function countsOf(r: SyncRun): SyncRunCounts {
  return {
    pages: r.pages,
    calls: r.calls,
    rate_limited: r.rate_limited,
    fetched: r.fetched,
    created: r.created,
    updated: r.updated,
    deleted: r.deleted,
    skipped: r.skipped,
    set_aside: r.set_aside,
    emissions_added: r.emissions_added,
    kg_co2e_delta: r.kg_co2e_delta,
  };
}

/** The totals of entries, as the application adds them up: exactly, counted entries only. */
function totalsOf(rows: LedgerEntry[]): Totals {
  const kg: (string | null)[] = [];
  const usd: (string | null)[] = [];
  let counted = 0;
  let excluded = 0;
  let unmapped = 0;
  for (const e of rows) {
    if (e.status === 'counted') {
      counted++;
      kg.push(e.kg_co2e);
      usd.push(e.amount_usd_2022);
    } else if (e.status === 'excluded') excluded++;
    else unmapped++;
  }
  return { kg_co2e: sumDecimals(kg), spend_usd_2022: sumDecimals(usd), counted, excluded, unmapped };
}

/** The columns of the ledger export, in the application's order. */
export const LEDGER_CSV_HEADER =
  'date,source,stream,record_id,line,contact,description,account_code,account_name,net_amount,currency,status,reason,rule_id,category,scope,scope3_category,factor_set,factor_version,factor_code,factor_value,factor_unit,fx_rate,fx_source,deflator,deflator_source,amount_usd_2022,kg_co2e';

/**
 * The ledger export's text: the header, then one line per entry, each ending in CRLF.
 * Amounts, rates, factors and kilograms are written as the exact decimal strings they are
 * (`-12.50` stays `-12.50`, a number to a spreadsheet), never re-formatted.
 */
export function ledgerCsv(entries: ReadonlyArray<LedgerEntry>): string {
  const lines = entries.map((e) =>
    csvRow([
      e.date, e.source, e.stream, e.record_id, e.line_no, e.contact, e.description, e.account_code,
      e.account_name, e.net_amount, e.currency, e.status, e.reason, e.rule_id, e.category, e.scope,
      e.scope3_category, e.factor_set, e.factor_version, e.factor_code, e.factor_value, e.factor_unit,
      e.fx_rate, e.fx_source, e.deflator, e.deflator_source, e.amount_usd_2022, e.kg_co2e,
    ]),
  );
  return [LEDGER_CSV_HEADER, ...lines].join('\r\n') + '\r\n';
}

/** What the scheduler accepts, as the application reads it. */
export function parseFrequency(input: string): string {
  const s = input.trim();
  switch (s.toLowerCase()) {
    case 'manual':
    case 'off':
    case 'never':
      return 'manual';
    case '15m':
    case '15min':
      return '15m';
    case 'hourly':
    case '1h':
    case '60m':
      return 'hourly';
    case '6h':
      return '6h';
    case 'daily':
    case '24h':
    case '1d':
      return 'daily';
  }
  if (s.split(/\s+/).length === 6) return s;
  throw err(
    'invalid_frequency',
    `“${s}” is not a frequency; use manual, 15m, hourly, 6h, daily or a six-field cron expression`,
  );
}

function offerDownload(name: string, text: string): void {
  if (typeof document === 'undefined' || typeof URL.createObjectURL !== 'function') return;
  if (navigator.userAgent.includes('jsdom')) return;
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
