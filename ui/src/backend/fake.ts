// An in-memory Backend, so the window runs in a plain browser (`npm run dev`) and in tests
// without the desktop app. What it says is what the application said: its data and messages
// are recorded from the application (./recorded/): the platforms, the organisations a sign-in
// offers and the connections it makes, each sync's counts and report, the history, the
// streams' positions, the records set aside, the ledger, and the errors of a forged or refused
// sign-in, of a choice of organisation that went wrong and of a withdrawn grant. It behaves
// like the application too: syncs report progress and finish through events, a sign-in
// answers later through `connect-result`, failures reject with an AppError, totals add up
// exactly, and the ledger is in the application's order.
//
// Written here by hand, because the recording cannot hold them:
// - the progress events between a sync's start and its end (their pace and the counts on
//   the way; the end is the recorded run);
// - failures a test queues with `failNextSync` (only the withdrawn grant is recorded);
// - the folders of the settings, which are the machine's own;
// - what happens to an organisation or platform the recording did not connect (Xero's second
//   organisation, a platform a test adds to the catalogue): it connects with the names the
//   sign-in gave, and its syncs read nothing;
// - Salesforce's sign-in, which the recording does not hold: the sandbox's one org, connected
//   at once as the application connects the org its sign-in names (`SALESFORCE_ORG`); its
//   syncs read nothing;
// - the refusals of commands the window never sends (a sync of a connection that is not
//   active, an unknown platform or connection);
// - everything about notifications (./fakeNotify.ts): Slack and Teams destinations, what is
//   sent to them, incidents, and the monthly report, whose figures are this backend's own
//   totals; Slack's sign-in offers the sandbox workspace's channels;
// - everything about the review (./fakeReview.ts): the queue, people's decisions and rules
//   for similar entries, the factors to choose from, and the audit trail of them;
// - everything about the inventory (./fakeInventory.ts): suppliers, period closes and the
//   changes after them, the inventory report and its export; totals of a closed period's
//   dates, the emissions' too, read from what was reported when it was closed;
// - starting at login and updates: whether the first-run question was answered, the update
//   an endpoint offers (none unless a test or the page address gives one), its download's
//   progress and where the verified package is saved.

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
import type { SyncReport } from '../bindings/SyncReport';
import type { SyncRun } from '../bindings/SyncRun';
import type { SyncRunCounts } from '../bindings/SyncRunCounts';
import type { TenantOption } from '../bindings/TenantOption';
import type { Totals } from '../bindings/Totals';
import { csvRow, safeFileName } from '../lib/csv';
import { HALF_UP, compareDecimals, dec, sumDecimals } from '../lib/decimal';
import type { CloudSummary } from '../bindings/CloudSummary';
import type { CredentialField } from '../bindings/CredentialField';
import type { ReportedFilter } from '../bindings/ReportedFilter';
import type { ReportedGroupBy } from '../bindings/ReportedGroupBy';
import type { ReportedMonth } from '../bindings/ReportedMonth';
import type { ReportedRow } from '../bindings/ReportedRow';
import type { SupplierRule } from '../bindings/SupplierRule';
import type { Delivery } from '../bindings/Delivery';
import type { Destination } from '../bindings/Destination';
import type { DestinationSettings } from '../bindings/DestinationSettings';
import type { Incident } from '../bindings/Incident';
import type { ReportPreview } from '../bindings/ReportPreview';
import type { Classification } from '../bindings/Classification';
import type { EntryDetail } from '../bindings/EntryDetail';
import type { FactorChoice } from '../bindings/FactorChoice';
import type { ReviewQueue } from '../bindings/ReviewQueue';
import type { ReviewRule } from '../bindings/ReviewRule';
import type { RuleInput } from '../bindings/RuleInput';
import type { RulePreview } from '../bindings/RulePreview';
import type { AuditCheck } from '../bindings/AuditCheck';
import type { ChangeAfterClose } from '../bindings/ChangeAfterClose';
import type { InventoryReport } from '../bindings/InventoryReport';
import type { PeriodClose } from '../bindings/PeriodClose';
import type { Restatement } from '../bindings/Restatement';
import type { SupplierPage } from '../bindings/SupplierPage';
import type { EsgReport, ReportChange, ReportFigure } from '../lib/notifications';
import { monthName } from '../lib/notifications';
import { toDecimalString } from '../lib/decimal';
import { CATALOGUE, FACTOR_SET, FACTOR_UNIT, FACTOR_VERSION, METHOD } from './fakeData';
import { FakeCloud } from './fakeCloud';
import { FakeNotifications } from './fakeNotify';
import { FakeReview, type LineChange } from './fakeReview';
import { FakeInventory, companyScope, reportedSlicesOf } from './fakeInventory';
import { RECORDED, type RecordedOrganisation, isRecordingMoment, recordedOrganisation } from './recorded';
import type {
  AutostartState,
  Backend,
  BackendEventName,
  BackendEvents,
  UpdateCheck,
  UpdateInstalled,
  Unsubscribe,
} from './types';

/** A newer version an update endpoint offers. */
export interface FakeUpdate {
  version: string;
  notes?: string | null;
  /** When it was published (RFC 3339). */
  date?: string | null;
  /** The package's size in bytes (default 4.2 MB); `null`: the server does not say. */
  size?: number | null;
}

/** The version of CarbonSync the fake is. */
export const FAKE_VERSION = '0.1.0';

/** The endpoint the fake's updates come from when a test gives an update but no endpoint. */
export const FAKE_UPDATE_ENDPOINT = 'https://updates.carbonsync.example/latest.json';

export interface FakeBackendOptions {
  /**
   * `demo`: the recording as it was read (Harbour & Pine Ltd on Xero and Cedar & Finch
   * Trading Co. on QuickBooks Online, each synced twice); `revoked`: the same once Xero had
   * withdrawn the grant and a sync had found out; `empty`: nothing connected.
   */
  scenario?: 'demo' | 'revoked' | 'empty';
  /** At most this many of each organisation's recorded ledger lines, the newest (default: every one). */
  entriesPerOrg?: number;
  /** Delay before each command answers, in ms (default 0). */
  latencyMs?: number;
  /** Delay between two progress events of a sync or of an update's download, in ms (default 0). */
  stepMs?: number;
  /** Delay before a sign-in answers through `connect-result`, in ms (default 0). */
  connectDelayMs?: number;
  /** How the next sign-ins end: normally, or as a forged/replayed answer, or refused. */
  connectAnswer?: 'normal' | 'forged' | 'denied';
  /** Sync a connection right after it is made (default true). */
  syncAfterConnect?: boolean;
  /**
   * The fake's clock at start, in ms since 1970 (default: now). The recording is read at this
   * moment: its moments move by the time between it and `RECORDED.readAt`.
   */
  now?: number;
  /**
   * Pretend the unfiltered ledger has this many entries (repeating the recorded ones), to
   * try the window on a very large ledger without holding it in memory.
   */
  syntheticRows?: number;
  /**
   * The platforms the application knows, as `list_providers` lists them (default: the
   * recorded catalogue). `sandbox` and `connections` are worked out as the application does.
   */
  catalogue?: ReadonlyArray<ProviderView>;
  /**
   * Starting at login at start (default: off, and the first-run question already answered, so
   * tests that do not care about it see no question; `{ enabled: false, asked: false }` is a
   * fresh install).
   */
  autostart?: AutostartState;
  /**
   * `[updates] endpoint` of carbonsync.toml (default: none, so updates are off; with `update`
   * given, `FAKE_UPDATE_ENDPOINT`).
   */
  updateEndpoint?: string | null;
  /** The newer version the endpoint offers (default: none, this copy is the newest). */
  update?: FakeUpdate | null;
  /**
   * Whether this copy was installed from a package, so an update is installed over it
   * (default false: the verified package is saved in the data folder instead).
   */
  packaged?: boolean;
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
  kg_co2e_delta: '0.000000',
};

/** The org the sandbox's Salesforce sign-in reaches: its name and 18-character org id. */
const SALESFORCE_ORG: TenantOption = { tenant_id: '00D8d0000000001EAA', tenant_name: 'CarbonSync Demo Group' };

const COUNT_FIELDS = ['pages', 'calls', 'rate_limited', 'fetched', 'created', 'updated', 'deleted', 'skipped', 'set_aside', 'emissions_added'] as const;

function err(code: string, message: string, detail: string | null = null, permanent = true): AppError {
  return { code, message, detail, permanent };
}

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

/** A ledger line with its place in the order the application stores lines. */
interface Stored {
  /** Later lines have a larger number; the application lists a day's lines newest first. */
  seq: number;
  entry: LedgerEntry;
}

interface Choice {
  provider: string;
  tenants: TenantOption[];
}

/** What a sync will do: end as this recorded run (if any), with what it stores. */
interface SyncPlan {
  recorded: SyncRun | null;
  report: SyncReport | null;
  entries: LedgerEntry[];
  setAside: SetAsideRecord[];
  cursors: CursorView[] | null;
}

export class FakeBackend implements Backend {
  readonly kind = 'fake' as const;

  private readonly opts: Required<
    Omit<FakeBackendOptions, 'entriesPerOrg' | 'autostart' | 'updateEndpoint' | 'update' | 'packaged'>
  > & { entriesPerOrg: number };
  private connections: Connection[] = [];
  private ledger: Stored[] = [];
  private runs: SyncRun[] = [];
  private setAside: SetAsideRecord[] = [];
  private cursors = new Map<number, CursorView[]>();
  private activity = new Map<number, SyncActivity>();
  private choices = new Map<string, Choice>();
  private failures = new Map<number, AppError>();
  private credentials = new Map<string, { clientId: string | null; hasSecret: boolean }>();
  private listeners = new Map<BackendEventName, Set<(payload: never) => void>>();
  private nextConnectionId = 1;
  private nextRunId = 1;
  private nextChoiceId = 1;
  private nextSeq = 1;
  /** The largest entry id given so far (a split line's new parts get the next ones). */
  private lastEntryId = 0;
  private clock: number;
  /** How far the recording's moments move: from `RECORDED.readAt` to the fake's start. */
  private readonly shiftMs: number;
  private realClock = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  /** Platforms whose sign-in is open in the (pretend) browser. */
  private signIns = new Set<string>();
  /** Starting at login, and whether the first-run question was answered. */
  private autostart: AutostartState;
  /** `[updates] endpoint`; null: updates are off. */
  private updateEndpoint: string | null;
  /** What the update endpoint offers. */
  private offered: FakeUpdate | null;
  /** The update the last check found, kept for `installUpdate` (which takes it). */
  private pendingUpdate: FakeUpdate | null = null;
  private packaged: boolean;
  private autostartFailure: AppError | null = null;
  private updateFailure: { at: 'check' | 'install'; error: AppError } | null = null;
  /** The cloud platforms' forms, rows, months and supplier rules. */
  private readonly cloud = new FakeCloud((id) => this.platformName(id));
  /** Destinations, deliveries, incidents and the monthly report. */
  private readonly notify = new FakeNotifications({
    nowMs: () => Date.parse(this.now()),
    onSandbox: (platform) => this.credentials.get(platform)?.clientId == null,
    report: (period) => this.esgReport(period),
  });
  /** The review queue, decisions, rules for similar entries and their audit trail. */
  private readonly review = new FakeReview({
    nowMs: () => Date.parse(this.now()),
    entries: () => this.ledger.map((s) => s.entry),
    select: (filter) => this.select(filter),
    platformOf: (id) => this.connections.find((c) => c.id === id)?.provider ?? null,
    platformIds: () => this.opts.catalogue.map((p) => p.id),
    addEntries: (entries) => {
      // Written after the line's first part, so listed before it (the newest first), as the
      // application lists a day's entries by id, the largest first.
      for (const entry of entries) this.ledger.push({ seq: this.nextSeq++, entry });
      this.sortLedger();
    },
    removeEntries: (entries) => {
      const gone = new Set(entries);
      this.ledger = this.ledger.filter((s) => !gone.has(s.entry));
    },
    newEntryId: () => {
      for (const { entry } of this.ledger) this.lastEntryId = Math.max(this.lastEntryId, entry.id);
      return ++this.lastEntryId;
    },
  });
  /** Suppliers, period closes and changes after close, the inventory report. */
  private readonly inventory = new FakeInventory({
    nowMs: () => Date.parse(this.now()),
    entries: () => this.ledger.map((s) => s.entry),
    select: (filter) => this.select(filter),
    liveIds: () => this.liveIds(),
    connectionName: (id) => {
      const c = this.connections.find((x) => x.id === id);
      return c ? `${this.platformName(c.provider)}: ${c.tenant_name}` : null;
    },
    totals: (entries) => totalsOf([...entries]),
    decisionAction: (e) => this.review.decisionAction(e),
    estimated: (e) => this.review.estimated(e),
    pendingMonths: (connectionId, fromMonth, toMonth) =>
      this.connections
        .filter((c) => (connectionId === null || c.id === connectionId) && c.status !== 'disconnected')
        .sort((a, b) => a.id - b.id)
        .map((c) => ({
          connection: `${this.platformName(c.provider)}: ${c.tenant_name}`,
          months: this.cloud
            .monthsOf(c.id, this.liveIds())
            .filter((m) => m.state === 'pending' && m.month >= fromMonth && m.month <= toMonth)
            .map((m) => m.month)
            .sort()
            .reverse(),
        }))
        .filter((x) => x.months.length > 0),
    rules: () => this.review.reviewRules(),
    reportedTotals: (connectionId, from, to) =>
      this.cloud.summary(
        { connection_id: connectionId, from, to, scope: null, service: null, region: null },
        'month',
        this.liveIds(),
        (id) => this.sourceKey(id),
      ).totals,
    reportedRows: (connectionId, from, to) =>
      this.cloud.select({ connection_id: connectionId, from, to, scope: null, service: null, region: null }, this.liveIds()),
    audit: (action, subject, before, after, why) => this.review.record(action, subject, before, after, why),
    auditCheck: () => this.review.auditCheck(),
  });

  constructor(options: FakeBackendOptions = {}) {
    this.opts = {
      scenario: options.scenario ?? 'demo',
      entriesPerOrg: options.entriesPerOrg ?? Infinity,
      latencyMs: options.latencyMs ?? 0,
      stepMs: options.stepMs ?? 0,
      connectDelayMs: options.connectDelayMs ?? 0,
      connectAnswer: options.connectAnswer ?? 'normal',
      syncAfterConnect: options.syncAfterConnect ?? true,
      now: options.now ?? Date.now(),
      syntheticRows: options.syntheticRows ?? 0,
      catalogue: options.catalogue ?? CATALOGUE,
    };
    this.autostart = { ...(options.autostart ?? { enabled: false, asked: true }) };
    this.offered = options.update ?? null;
    this.updateEndpoint =
      options.updateEndpoint !== undefined ? options.updateEndpoint : this.offered ? FAKE_UPDATE_ENDPOINT : null;
    this.packaged = options.packaged ?? false;
    this.clock = this.opts.now;
    this.shiftMs = this.opts.now - RECORDED.readAt;
    if (this.opts.scenario !== 'empty') this.loadRecording(this.opts.scenario === 'revoked');
    // From now on, moments are real ones (unless a test fixed the clock).
    this.realClock = options.now === undefined;
  }

  // ---- for tests ------------------------------------------------------------------------

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

  /** Test hook: the synced ledger holds exactly these entries (of connections that exist), stored in this order. */
  setLedger(entries: ReadonlyArray<LedgerEntry>): void {
    this.ledger = [];
    this.store(entries.map((e) => ({ ...e })));
  }

  /**
   * Test hook: what a platform that reports emissions published for connection `connectionId`
   * (Salesforce Net Zero Cloud's footprints, whose sync the recording does not hold), as a
   * sync would store it: the connection's rows are these.
   */
  setReportedRows(connectionId: number, rows: ReadonlyArray<ReportedRow>): void {
    this.connectionOrThrow(connectionId);
    this.cloud.store(connectionId, rows);
  }

  /** Test hook: the next send to this destination is refused with `error`, kept in its history as failed. */
  failNextDelivery(destinationId: number, error: AppError): void {
    this.notify.failNextDelivery(destinationId, error);
  }

  /**
   * Test hook: the platform changed a line of entry `entryId` and a sync read it again; a
   * person's decision on it no longer matches what they saw.
   */
  changeLine(entryId: number, change: LineChange): Promise<LedgerEntry> {
    return this.answer(() => this.review.changeLine(entryId, change));
  }

  /** Test hook: an incident about a connection, as the application opens one. */
  addIncident(incident: Omit<Incident, 'id'>): Incident {
    return this.notify.addIncident(incident);
  }

  /**
   * Test hook: the update endpoint now offers `update` (`null`: this copy is the newest). An
   * endpoint is set if none was (`FAKE_UPDATE_ENDPOINT`); `endpoint: null` turns updates off.
   */
  setUpdate(update: FakeUpdate | null, endpoint?: string | null): void {
    this.offered = update;
    this.updateEndpoint = endpoint !== undefined ? endpoint : (this.updateEndpoint ?? FAKE_UPDATE_ENDPOINT);
  }

  /** Test hook: the next update check (`check`) or install (`install`) fails with `error`. */
  failNextUpdate(at: 'check' | 'install', error: AppError): void {
    this.updateFailure = { at, error };
  }

  /** Test hook: the next change to starting at login fails with `error` (and changes nothing). */
  failNextAutostart(error: AppError): void {
    this.autostartFailure = error;
  }

  /** Test hook: the platform sent a record that could not be read. */
  addSetAside(record: Omit<SetAsideRecord, 'id'>): void {
    const id = Math.max(0, ...this.setAside.map((r) => r.id)) + 1;
    this.setAside.unshift({ ...record, id });
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
        ...structuredClone(p),
        // A cloud platform is never on the sandbox as a whole: each of its connections is, or
        // is not, as its connect form chose.
        sandbox:
          p.available && !this.cloud.isCloud(p.id) && p.auth !== 'webhook_url' && this.credentials.get(p.id)?.clientId == null,
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
      if (!p) throw this.unknownPlatform(providerId);
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
      if (!choice) throw structuredClone(RECORDED.signIn.choice_gone);
      this.choices.delete(choiceId);
      const tenant = choice.tenants.find((t) => t.tenant_id === tenantId);
      if (!tenant) throw structuredClone(RECORDED.signIn.tenant_not_offered);
      return { ...this.connectOrg(choice.provider, tenant) };
    });
  }

  cancelTenantChoice(choiceId: string): Promise<null> {
    return this.answer(() => {
      this.choices.delete(choiceId);
      this.notify.cancelChoice(choiceId);
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
          throw err('needs_reconnect', c.last_error ?? `${this.platformName(c.provider)} no longer accepts CarbonSync's access to ${c.tenant_name}; reconnect it to continue syncing.`);
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
        this.ledger = this.ledger.filter((s) => s.entry.connection_id !== connectionId);
        this.runs = this.runs.filter((r) => r.connection_id !== connectionId);
        this.setAside = this.setAside.filter((r) => r.connection_id !== connectionId);
        this.cursors.delete(connectionId);
        this.cloud.forget(connectionId);
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
        .map((r) => structuredClone(r));
    });
  }

  connectionSetAside(connectionId: number): Promise<SetAsideRecord[]> {
    return this.answer(() => {
      this.connectionOrThrow(connectionId);
      return this.setAside.filter((r) => r.connection_id === connectionId).map((r) => ({ ...r }));
    });
  }

  connectionCursors(connectionId: number): Promise<CursorView[]> {
    return this.answer(() => {
      this.connectionOrThrow(connectionId);
      return (this.cursors.get(connectionId) ?? []).map((c) => ({ ...c }));
    });
  }

  setFrequency(connectionId: number, frequency: string): Promise<string> {
    return this.answer(() => {
      const c = this.connectionOrThrow(connectionId);
      const label = parseFrequency(frequency);
      c.frequency = label;
      c.updated_at = this.now();
      // As the application does: choosing a frequency is acting on a stopped schedule.
      if (c.schedule_stopped) {
        c.schedule_stopped = false;
        c.pause_reason = null;
      }
      return label;
    });
  }

  emissionsSummary(filter: LedgerFilter, by: GroupBy | null): Promise<EmissionsSummary> {
    return this.answer(() => {
      const rows = this.inventory.reported(filter);
      const reportedBy: ReportedGroupBy | null = by === 'month' || by === 'scope' || by === 'source' ? by : null;
      const reported = this.cloud.summary(
        { connection_id: filter.connection_id, from: filter.from, to: filter.to, scope: filter.scope, service: null, region: null },
        reportedBy ?? 'month',
        this.liveIds(),
        (id) => this.sourceKey(id),
      );
      return {
        totals: totalsOf(rows),
        by,
        groups: by ? this.groupBy(rows, by) : [],
        method: METHOD,
        reported: reported.totals,
        reported_groups: reportedBy ? reported.groups : [],
      };
    });
  }

  ledgerPage(filter: LedgerFilter, offset: number, limit: number): Promise<LedgerPage> {
    return this.answer(() => {
      const n = this.opts.syntheticRows;
      if (n > 0 && Object.values(filter).every((v) => v === null) && this.ledger.length > 0) {
        const entries: LedgerEntry[] = [];
        for (let i = offset; i < Math.min(n, offset + limit); i++) {
          const e = this.ledger[i % this.ledger.length]!.entry;
          entries.push({ ...e, record_id: `${e.record_id}~${i}` });
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
      if (!p) throw this.unknownPlatform(providerId);
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

  autostartState(): Promise<AutostartState> {
    return this.answer(() => ({ ...this.autostart }));
  }

  setAutostart(enabled: boolean): Promise<AutostartState> {
    return this.answer(() => {
      const failure = this.autostartFailure;
      this.autostartFailure = null;
      if (failure) throw { ...failure };
      this.autostart = { enabled, asked: true };
      return { ...this.autostart };
    });
  }

  checkForUpdate(): Promise<UpdateCheck> {
    return this.answer((): UpdateCheck => {
      if (this.updateEndpoint === null) return { state: 'off' };
      const failure = this.takeUpdateFailure('check');
      if (failure) throw failure;
      const u = this.offered;
      this.pendingUpdate = u;
      if (!u) return { state: 'current', version: FAKE_VERSION };
      return { state: 'available', version: u.version, current_version: FAKE_VERSION, notes: u.notes ?? null, date: u.date ?? null };
    });
  }

  /** As the application: the package arrives in a few pieces, then is verified and installed or saved. */
  installUpdate(version: string): Promise<UpdateInstalled> {
    return new Promise<UpdateInstalled>((resolve, reject) => {
      const u = this.pendingUpdate;
      this.pendingUpdate = null;
      if (!u) {
        reject(err('update', 'There is no update to install; check for updates first.', null, false));
        return;
      }
      if (u.version !== version) {
        reject(
          err(
            'update',
            `The update server now offers ${u.version} instead of ${version}, which you agreed to; check again to see what it offers.`,
            null,
            false,
          ),
        );
        return;
      }
      const size = u.size === undefined ? 4_300_800 : u.size;
      const bytes = size ?? 4_300_800;
      const pieces = [Math.round(bytes / 3), Math.round((bytes * 2) / 3), bytes];
      const step = (i: number) => {
        if (i < pieces.length) {
          this.emit('update-progress', { downloaded: pieces[i]!, total: size });
          this.later(this.opts.stepMs, () => step(i + 1));
          return;
        }
        const failure = this.takeUpdateFailure('install');
        if (failure) {
          reject(failure);
          return;
        }
        resolve(
          this.packaged
            ? { version: u.version, installed: true, saved_to: null }
            : {
                version: u.version,
                installed: false,
                saved_to: `/home/you/.local/share/carbonsync/updates/CarbonSync_${u.version}_amd64.deb`,
              },
        );
      };
      this.later(this.opts.latencyMs, () => step(0));
    });
  }

  private takeUpdateFailure(at: 'check' | 'install'): AppError | null {
    if (this.updateFailure?.at !== at) return null;
    const { error } = this.updateFailure;
    this.updateFailure = null;
    return { ...error };
  }

  // ---- the recording ------------------------------------------------------------------------

  /** The state the recording was read in, or the one after the grant was withdrawn. */
  private loadRecording(revoked: boolean): void {
    const withdrawn = RECORDED.revoked.connection.id;
    for (const recorded of RECORDED.connections) {
      const c = revoked && recorded.id === withdrawn ? RECORDED.revoked.connection : recorded;
      this.connections.push(this.moveConnection(structuredClone(c)));
      const id = String(c.id);
      const history = revoked && c.id === withdrawn ? RECORDED.revoked.history : (RECORDED.history[id] ?? []);
      this.runs.push(...history.map((r) => this.moveRun(structuredClone(r))));
      this.cursors.set(c.id, (RECORDED.cursors[id] ?? []).map((x) => ({ ...x, modified_since: this.moved(x.modified_since) })));
      this.setAside.push(...(RECORDED.setAside[id] ?? []).map((r) => ({ ...r, seen_at: this.moved(r.seen_at)! })));
    }
    // Stored oldest first, so that the application's order (newest first) comes out again.
    const kept = new Map<number, number>();
    const entries = RECORDED.ledger.entries.filter((e) => {
      const n = kept.get(e.connection_id) ?? 0;
      kept.set(e.connection_id, n + 1);
      return n < this.opts.entriesPerOrg;
    });
    this.store(entries.map((e) => ({ ...e })).reverse());
    this.nextConnectionId = Math.max(0, ...this.connections.map((c) => c.id)) + 1;
    this.nextRunId = Math.max(0, ...this.runs.map((r) => r.id)) + 1;
  }

  /** A recorded moment moved to the fake's time; a record's own date stays as it is. */
  private moved<T extends string | null>(iso: T): T {
    if (iso === null || !isRecordingMoment(iso)) return iso;
    return isoAt(Date.parse(iso) + this.shiftMs) as T;
  }

  private moveConnection(c: Connection): Connection {
    c.created_at = this.moved(c.created_at);
    c.updated_at = this.moved(c.updated_at);
    c.last_sync_at = this.moved(c.last_sync_at);
    if (c.paused_until_ms !== null) c.paused_until_ms = Date.parse(this.moved(isoAt(c.paused_until_ms)));
    return c;
  }

  private moveRun(r: SyncRun): SyncRun {
    r.started_at = this.moved(r.started_at);
    r.finished_at = this.moved(r.finished_at);
    return r;
  }

  /** Adds lines to the ledger as a sync stores them, in the order given. */
  private store(entries: LedgerEntry[]): void {
    for (const entry of entries) this.ledger.push({ seq: this.nextSeq++, entry });
    // As a sync does: people's decisions and rules decide the lines before the mapping.
    this.review.stored(entries);
    this.sortLedger();
  }

  /** The application's order: newest date first, then the line stored last first. */
  private sortLedger(): void {
    this.ledger.sort((a, b) => (a.entry.date === b.entry.date ? b.seq - a.seq : a.entry.date < b.entry.date ? 1 : -1));
  }

  /** What the next sync of `c` does: what the recorded syncs of its organisation did. */
  private planSync(c: Connection, runId: number): SyncPlan {
    const org = recordedOrganisation(c.provider, c.tenant_id);
    const first = !this.cursors.has(c.id);
    const recorded = org ? (first ? org.runs[0] : org.runs[org.runs.length - 1]) ?? null : null;
    if (!org || !recorded) {
      // No recording of this organisation: the sync reads nothing, and then each stream's
      // position is where it began.
      return { recorded: null, report: null, entries: [], setAside: [], cursors: null };
    }
    const report = org.reports.get(recorded.id) ?? null;
    return {
      recorded,
      report: report && { ...structuredClone(report), connection_id: c.id, run_id: runId },
      entries: first ? this.entriesOf(org, c) : [],
      setAside: first ? org.setAside.map((r) => ({ ...r, connection_id: c.id, run_id: runId })) : [],
      cursors: org.cursors,
    };
  }

  /** The recorded ledger lines of `org`, as connection `c` stores them. */
  private entriesOf(org: RecordedOrganisation, c: Connection): LedgerEntry[] {
    return org.ledger
      .slice(0, this.opts.entriesPerOrg)
      .map((e) => ({ ...e, connection_id: c.id }))
      .reverse();
  }

  cloudFields(provider: string): Promise<CredentialField[]> {
    return this.answer(() => this.cloud.fields(provider));
  }

  connectCloud(provider: string, fields: Record<string, string>, sandbox: boolean): Promise<Connection> {
    return this.answer(() => {
      const account = this.cloud.check(provider, fields, sandbox);
      const template = account.connection;
      const existing = this.connections.find((c) => c.provider === provider && c.tenant_id === template.tenant_id);
      if (existing) {
        existing.status = 'active';
        existing.schedule_stopped = false;
        existing.pause_reason = null;
        existing.updated_at = this.now();
        return { ...existing };
      }
      const at = this.now();
      const id = this.nextConnectionId++;
      const c: Connection = {
        ...structuredClone(template),
        id,
        sandbox,
        vault_key: template.vault_key.replace(/\d+$/, String(id)),
        created_at: at,
        updated_at: at,
        last_sync_at: null,
        last_status: null,
        last_error: null,
      };
      this.connections.push(c);
      return { ...c };
    });
  }

  cloudPublicationDay(provider: string): Promise<number> {
    return this.answer(() => this.cloud.publicationDay(provider));
  }

  cloudEmissions(filter: ReportedFilter, by: ReportedGroupBy): Promise<CloudSummary> {
    return this.answer(() => this.cloud.summary(filter, by, this.liveIds(), (id) => this.sourceKey(id)));
  }

  cloudRows(filter: ReportedFilter, offset: number, limit: number): Promise<ReportedRow[]> {
    return this.answer(() => this.cloud.select(filter, this.liveIds()).slice(offset, offset + limit));
  }

  cloudMonths(connectionId: number | null): Promise<ReportedMonth[]> {
    return this.answer(() => this.cloud.monthsOf(connectionId, this.liveIds()));
  }

  supplierRules(): Promise<SupplierRule[]> {
    return this.answer(() => this.cloud.supplierRules());
  }

  addSupplierRule(provider: string, pattern: string, unless: string | null): Promise<SupplierRule> {
    return this.answer(() => this.cloud.addRule(provider, pattern, unless, this.now()));
  }

  setSupplierRuleEnabled(id: number, enabled: boolean): Promise<null> {
    return this.answer(() => {
      this.cloud.setRuleEnabled(id, enabled, this.now());
      return null;
    });
  }

  listDestinations(): Promise<Destination[]> {
    return this.answer(() => this.notify.list());
  }

  destinationHistory(destinationId: number, limit: number): Promise<Delivery[]> {
    return this.answer(() => this.notify.history(destinationId, limit));
  }

  setDestinationSettings(destinationId: number, settings: DestinationSettings): Promise<Destination> {
    return this.answer(() => this.notify.setSettings(destinationId, settings));
  }

  addWebhookDestination(platform: string, url: string, name: string | null): Promise<Destination> {
    return this.answer(() => this.notify.addWebhook(platform, url, name, false));
  }

  addSandboxDestination(platform: string, name: string | null): Promise<Destination> {
    return this.answer(() => this.notify.addSandbox(platform, name));
  }

  removeDestination(destinationId: number): Promise<string | null> {
    return this.answer(() => this.notify.remove(destinationId));
  }

  sendTestMessage(destinationId: number): Promise<Delivery> {
    return this.answer(() => this.notify.sendTest(destinationId));
  }

  previewReport(period: string): Promise<ReportPreview> {
    return this.answer(() => this.notify.preview(period));
  }

  sendReport(destinationId: number, period: string): Promise<Delivery> {
    return this.answer(() => this.notify.sendReport(destinationId, period));
  }

  listIncidents(openOnly: boolean, limit: number): Promise<Incident[]> {
    return this.answer(() => this.notify.incidents(openOnly, limit));
  }

  chooseChannel(choiceId: string, channelId: string): Promise<Destination> {
    return this.answer(() => this.notify.chooseChannel(choiceId, channelId));
  }

  reviewQueue(filter: LedgerFilter, offset: number, limit: number): Promise<ReviewQueue> {
    return this.answer(() => this.review.queue(filter, offset, limit));
  }

  entryDetail(entryId: number): Promise<EntryDetail> {
    return this.answer(() => this.review.detail(entryId));
  }

  findFactors(query: string, limit: number): Promise<FactorChoice[]> {
    return this.answer(() => this.review.findFactors(query, limit));
  }

  decideEntries(entryIds: number[], classification: Classification, note: string | null, why: string | null): Promise<LedgerEntry[]> {
    return this.answer(() => this.review.decide(entryIds, classification, note, why));
  }

  undoDecisions(entryIds: number[], why: string | null): Promise<LedgerEntry[]> {
    return this.answer(() => this.review.undo(entryIds, why));
  }

  reviewRules(): Promise<ReviewRule[]> {
    return this.answer(() => this.review.reviewRules());
  }

  ruleLike(entryId: number): Promise<RuleInput> {
    return this.answer(() => this.review.ruleLike(entryId));
  }

  previewRule(rule: RuleInput, replacing: number | null): Promise<RulePreview> {
    return this.answer(() => this.review.previewRule(rule, replacing));
  }

  addRule(rule: RuleInput, why: string | null): Promise<ReviewRule> {
    return this.answer(() => this.review.addRule(rule, why));
  }

  editRule(id: number, rule: RuleInput, why: string | null): Promise<ReviewRule> {
    return this.answer(() => this.review.editRule(id, rule, why));
  }

  moveRule(id: number, position: number, why: string | null): Promise<ReviewRule[]> {
    return this.answer(() => this.review.moveRule(id, position, why));
  }

  removeRule(id: number, why: string | null): Promise<ReviewRule> {
    return this.answer(() => this.review.removeRule(id, why));
  }

  suppliers(filter: LedgerFilter, offset: number, limit: number): Promise<SupplierPage> {
    return this.answer(() => this.inventory.suppliers(filter, offset, limit));
  }

  periodCloses(): Promise<PeriodClose[]> {
    return this.answer(() => this.inventory.periodCloses());
  }

  closePeriod(period: string, fyStartMonth: number, note: string | null): Promise<PeriodClose> {
    return this.answer(() => this.inventory.closePeriod(period, fyStartMonth, note));
  }

  reopenPeriod(label: string, reason: string): Promise<PeriodClose> {
    return this.answer(() => this.inventory.reopenPeriod(label, reason));
  }

  changesAfterClose(label: string | null): Promise<ChangeAfterClose[]> {
    return this.answer(() => this.inventory.changesAfterClose(label));
  }

  restatePeriod(label: string, entryIds: number[] | null, why: string | null): Promise<Restatement> {
    return this.answer(() => this.inventory.restatePeriod(label, entryIds, why));
  }

  leaveChanges(label: string, entryIds: number[] | null, why: string | null): Promise<number> {
    return this.answer(() => this.inventory.leaveChanges(label, entryIds, why));
  }

  inventoryReport(period: string, fyStartMonth: number, connectionId: number | null): Promise<InventoryReport> {
    return this.answer(() => this.inventory.report(period, fyStartMonth, connectionId));
  }

  exportInventory(period: string, fyStartMonth: number, connectionId: number | null): Promise<string> {
    return this.answer(() => this.inventory.exportPath(period, fyStartMonth, connectionId));
  }

  auditCheck(): Promise<AuditCheck> {
    return this.answer(() => this.review.auditCheck());
  }

  /**
   * The monthly report of `period` as the application composes it, from this backend's own
   * ledger and reported rows: the spend-based total plus what providers report
   * (location-based), by scope, against the month before and the year before, the largest
   * categories and suppliers, and twelve months for the chart. Figures in t CO2e, exact.
   */
  private esgReport(period: string): EsgReport {
    const m = /^(\d{4})-(\d{2})$/.exec(period.trim());
    const month = m ? Number(m[2]) : 0;
    if (!m || month < 1 || month > 12) {
      throw err('usage', `${JSON.stringify(period)} is not a month: give it as YYYY-MM, e.g. 2024-11`);
    }
    const year = Number(m[1]);
    const key = (offset: number) => {
      const d = new Date(Date.UTC(year, month - 1 + offset, 1));
      return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    };
    const lastDay = (k: string) => {
      const [y, mo] = k.split('-').map(Number) as [number, number];
      return `${k}-${String(new Date(Date.UTC(y, mo, 0)).getUTCDate()).padStart(2, '0')}`;
    };
    const tonnes = (kg: string) => toDecimalString(dec(kg).times('0.001'));
    const percentOf = (part: ReturnType<typeof dec>, whole: ReturnType<typeof dec>) =>
      whole.eq(0) ? null : toDecimalString(part.times(100).div(whole).round(1, HALF_UP));
    const live = this.liveIds();
    const reportedFilter = (from: string, to: string): ReportedFilter => ({
      connection_id: null,
      from,
      to,
      scope: null,
      service: null,
      region: null,
    });

    // kg by month and scope, spend-based and reported, over the chart's months and the year before.
    const from = `${key(-12)}-01`;
    const to = lastDay(key(0));
    const byMonth = new Map<string, ReturnType<typeof dec>>();
    const add = (k: string, kg: string) => byMonth.set(k, (byMonth.get(k) ?? dec('0')).plus(dec(kg)));
    for (const g of this.groupBy(this.inventory.reported({ ...NO_FILTER, from, to }), 'month')) {
      if (g.scope !== null) add(`${g.key}|${g.scope}`, g.kg_co2e);
    }
    // In the company's scopes, as the inventory counts them: a cloud provider's figures are the
    // company's purchased services (Scope 3), whatever scope the provider files them under.
    for (const slice of reportedSlicesOf(this.cloud.select(reportedFilter(from, to), live))) {
      add(`${slice.month}|${companyScope(slice)[0]}`, slice.location_kg_co2e);
    }
    const scopeKg = (k: string, s: number) => byMonth.get(`${k}|${s}`) ?? dec('0');
    const monthKg = (k: string) => [1, 2, 3].reduce((sum, s) => sum.plus(scopeKg(k, s)), dec('0'));

    const periodFilter = { ...NO_FILTER, from: `${key(0)}-01`, to };
    const rows = this.inventory.reported(periodFilter);
    const totals = totalsOf(rows);
    const reported = this.cloud.summary(reportedFilter(periodFilter.from, to), 'source', live, (id) => this.sourceKey(id));
    const spendKg = dec(totals.kg_co2e);
    const reportedKg = dec(reported.totals.location_kg_co2e);
    const totalKg = spendKg.plus(reportedKg);
    const change = (offset: number): ReportChange => {
      const earlier = monthKg(key(offset));
      return {
        against: monthName(key(offset)),
        earlier_t_co2e: tonnes(toDecimalString(earlier)),
        percent: percentOf(totalKg.minus(earlier), earlier),
      };
    };

    const categories: ReportFigure[] = this.groupBy(rows, 'category')
      .filter((g) => dec(g.kg_co2e).gt(0))
      .map((g) => ({ label: g.key, t_co2e: tonnes(g.kg_co2e) }));
    for (const g of reported.groups) {
      if (!dec(g.location_kg_co2e).gt(0)) continue;
      const c = this.connections.find((x) => this.sourceKey(x.id) === g.key);
      const source = c ? `${this.platformName(c.provider)}: ${c.tenant_name}` : g.key;
      categories.push({ label: `Reported by ${source}`, t_co2e: tonnes(g.location_kg_co2e) });
    }
    const largestFirst = (a: ReportFigure, b: ReportFigure) =>
      compareDecimals(b.t_co2e, a.t_co2e) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
    const suppliers = new Map<string, ReturnType<typeof dec>>();
    for (const e of rows) {
      if (e.status !== 'counted' || !e.contact?.trim() || e.kg_co2e === null) continue;
      suppliers.set(e.contact, (suppliers.get(e.contact) ?? dec('0')).plus(dec(e.kg_co2e)));
    }

    return {
      period: key(0),
      period_label: monthName(key(0)),
      total_t_co2e: tonnes(toDecimalString(totalKg)),
      spend_based_t_co2e: tonnes(toDecimalString(spendKg)),
      reported_t_co2e: tonnes(toDecimalString(reportedKg)),
      by_scope: [1, 2, 3].map((s) => ({ label: `Scope ${s}`, t_co2e: tonnes(toDecimalString(scopeKg(key(0), s))) })),
      vs_previous_month: change(-1),
      vs_year_before: change(-12),
      top_categories: categories.sort(largestFirst).slice(0, 5),
      top_suppliers: [...suppliers]
        .filter(([, kg]) => kg.gt(0))
        .map(([label, kg]) => ({ label, t_co2e: tonnes(toDecimalString(kg)) }))
        .sort(largestFirst)
        .slice(0, 5),
      spend_based_percent: percentOf(spendKg, totalKg),
      reported_percent: percentOf(reportedKg, totalKg),
      unmapped_entries: totals.unmapped,
      overlap_note: null,
      chart: Array.from({ length: 12 }, (_, i) => {
        const k = key(i - 11);
        const [a, b, c] = [1, 2, 3].map((s) => tonnes(toDecimalString(scopeKg(k, s)))) as [string, string, string];
        return { month: k, by_scope: [a, b, c] as [string, string, string] };
      }),
      method: `Spend-based: ${FACTOR_SET} ${FACTOR_VERSION} (${FACTOR_UNIT}), converted to USD 2022. Reported: as each provider publishes it, location-based.`,
      sandbox: this.connections.some((c) => c.sandbox),
    };
  }

  // ---- inside -----------------------------------------------------------------------------

  private liveIds(): Set<number> {
    return new Set(this.connections.map((c) => c.id));
  }

  /** A connection as the emissions' source groups name it (`gcp: Example project`). */
  private sourceKey(id: number): string {
    const c = this.connections.find((x) => x.id === id);
    return c ? `${c.provider}: ${c.tenant_name}` : String(id);
  }

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
    // As the application: platforms connected with keys have no app credentials to set.
    const providers: ProviderSettings[] = this.opts.catalogue
      .filter((p) => !this.cloud.isCloud(p.id))
      .map((p) => {
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
      update_endpoint: this.updateEndpoint,
    };
  }

  /** The application's words for a platform it does not know. */
  private unknownPlatform(providerId: string): AppError {
    const known = this.opts.catalogue.map((p) => p.id).join(', ');
    return err('unknown_provider', `There is no platform called \`${providerId}\`. Known platforms: ${known}.`);
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

  /**
   * The connection a sign-in makes for `tenant`: the one the recording made for it (with this
   * backend's id and moments), or one with the names the sign-in gave. Reconnecting an
   * organisation brings its connection back, active, with its schedule running again.
   */
  private connectOrg(providerId: string, tenant: TenantOption): Connection {
    const existing = this.connections.find((c) => c.provider === providerId && c.tenant_id === tenant.tenant_id);
    let c: Connection;
    if (existing) {
      existing.status = 'active';
      existing.schedule_stopped = false;
      existing.pause_reason = null;
      existing.updated_at = this.now();
      c = existing;
    } else {
      const recorded = recordedOrganisation(providerId, tenant.tenant_id)?.connected;
      const template = recorded ?? RECORDED.signIn.xero_chosen;
      const at = this.now();
      const id = this.nextConnectionId++;
      c = {
        ...structuredClone(template),
        id,
        provider: providerId,
        tenant_id: tenant.tenant_id,
        tenant_name: tenant.tenant_name,
        // Only the application's reading of the organisation knows its currency.
        base_currency: recorded?.base_currency ?? null,
        sandbox: this.credentials.get(providerId)?.clientId == null,
        vault_key: template.vault_key.replace(/\d+$/, String(id)),
        created_at: at,
        updated_at: at,
      };
      this.connections.push(c);
    }
    if (this.opts.syncAfterConnect) this.later(0, () => this.startSync(c, false));
    return c;
  }

  private answerSignIn(providerId: string): void {
    if (this.opts.connectAnswer === 'forged') {
      this.emit('connect-result', structuredClone(RECORDED.signIn.forged));
      return;
    }
    if (this.opts.connectAnswer === 'denied') {
      const recorded = RECORDED.signIn.denied[providerId];
      const name = this.platformName(providerId);
      this.emit(
        'connect-result',
        recorded
          ? structuredClone(recorded)
          : {
              outcome: null,
              error: err(
                'access_denied',
                `Access was declined at ${name} (access_denied); nothing was stored. Connect again and choose Approve to continue`,
                `Denied { provider: "${name}", code: "access_denied" }`,
              ),
            },
      );
      return;
    }
    // Slack's sign-in gives a bot token: the channel its messages go to is chosen next.
    if (providerId === 'slack') {
      this.emit('connect-result', { outcome: this.notify.channelOffer(this.credentials.get('slack')?.clientId == null), error: null });
      return;
    }
    // A Salesforce sign-in names one org: nothing to choose.
    if (providerId === 'salesforce') {
      const c = this.connectOrg(providerId, SALESFORCE_ORG);
      this.emit('connect-result', { outcome: { kind: 'connected', connection: { ...c } }, error: null });
      return;
    }
    // The platform's recorded answer; a platform the recording has none for (one a test adds)
    // offers the sandbox's Xero organisations.
    const recorded = providerId === 'quickbooks' ? RECORDED.signIn.quickbooks.outcome : RECORDED.signIn.xero.outcome;
    if (providerId === 'quickbooks' && recorded?.kind === 'connected') {
      const c = this.connectOrg(providerId, recorded.connection);
      this.emit('connect-result', { outcome: { kind: 'connected', connection: { ...c } }, error: null });
      return;
    }
    const tenants = recorded?.kind === 'choose_tenant' ? recorded.tenants.map((t) => ({ ...t })) : [];
    const choice_id = String(this.nextChoiceId++).padStart(32, '0');
    this.choices.set(choice_id, { provider: providerId, tenants });
    this.emit('connect-result', {
      outcome: { kind: 'choose_tenant', choice_id, provider: providerId, tenants },
      error: null,
    });
  }

  private startSync(c: Connection, queued: boolean): void {
    if (this.activity.has(c.id)) return; // already queued or syncing: dropped, as the scheduler does
    this.activity.set(c.id, { connection_id: c.id, queued, progress: null });
    const run: SyncRun = {
      id: this.nextRunId++,
      connection_id: c.id,
      trigger: 'window',
      full: false,
      started_at: this.now(),
      finished_at: null,
      status: 'running',
      error_code: null,
      error_message: null,
      error_detail: null,
      notes: [],
      ...ZERO_COUNTS,
    };
    this.runs.push(run);
    const plan = this.planSync(c, run.id);
    const target = plan.recorded ? countsOf(plan.recorded) : ZERO_COUNTS;
    const steps = plan.entries.length > 0 ? 5 : 2;
    const failure = this.failures.get(c.id);
    this.failures.delete(c.id);

    const step = (i: number) => {
      const a = this.activity.get(c.id);
      if (!a) return; // disconnected meanwhile
      a.queued = false;
      Object.assign(run, partCounts(target, (i + 1) / steps));
      // The platform's streams in its order, spread over the steps, as a sync walks them.
      const streams = this.streamsOf(c.provider);
      const stream = streams[Math.floor((i * streams.length) / steps)]?.name ?? 'records';
      a.progress = { connection_id: c.id, run_id: run.id, stream, counts: countsOf(run) };
      this.emit('sync-progress', structuredClone(a.progress));
      if (failure) return this.later(this.opts.stepMs, () => this.fail(c, run, failure));
      if (i + 1 < steps) this.later(this.opts.stepMs, () => step(i + 1));
      else this.later(this.opts.stepMs, () => this.succeed(c, run, plan));
    };
    this.later(this.opts.stepMs, () => step(0));
  }

  private succeed(c: Connection, run: SyncRun, plan: SyncPlan): void {
    this.activity.delete(c.id);
    run.finished_at = this.now();
    run.status = 'succeeded';
    if (plan.recorded) {
      Object.assign(run, countsOf(plan.recorded));
      run.full = plan.recorded.full;
      run.notes = [...plan.recorded.notes];
    }
    if (plan.entries.length) this.store(plan.entries);
    if (this.cloud.isCloud(c.provider)) {
      const rows = this.cloud.sync(c);
      run.fetched = rows;
      run.created = rows;
    }
    for (const r of plan.setAside) this.addSetAside({ ...r, seen_at: run.started_at });
    this.cursors.set(c.id, this.positionsAfter(c, run, plan));
    c.last_sync_at = run.finished_at;
    c.last_status = 'succeeded';
    c.last_error = null;
    // A success lets the schedule run as usual again.
    c.paused_until_ms = null;
    c.pause_reason = null;
    c.schedule_stopped = false;
    c.failure_streak = 0;
    this.emit('sync-finished', {
      connection_id: c.id,
      report: plan.report ?? { connection_id: c.id, run_id: run.id, status: 'succeeded', counts: countsOf(run), refreshed_token: false },
      error: null,
    });
  }

  private fail(c: Connection, run: SyncRun, failure: AppError): void {
    this.activity.delete(c.id);
    run.finished_at = this.now();
    run.status = 'failed';
    // The failure the recording holds ends with the recorded run's counts.
    const recorded = RECORDED.revoked.history.find((r) => r.status === 'failed' && r.error_message === failure.message);
    if (recorded) Object.assign(run, countsOf(recorded));
    run.error_code = failure.code;
    run.error_message = failure.message;
    run.error_detail = failure.detail;
    c.last_sync_at = run.finished_at;
    c.last_status = 'failed';
    c.last_error = failure.message;
    if (failure.code === 'needs_reconnect') {
      c.status = 'needs_reconnect';
      c.updated_at = run.finished_at;
    }
    // As the application does with a failure that trying again cannot fix: the schedule stops
    // until the person acts, saying why.
    if (failure.permanent) {
      c.schedule_stopped = true;
      c.pause_reason = failure.message;
    }
    this.emit('sync-finished', { connection_id: c.id, report: null, error: { ...failure } });
  }

  /**
   * Each stream's position after a successful run: as recorded (a position the recording set
   * during its run keeps its distance from that run's start), or, for an organisation the
   * recording does not hold, the run's start for each stream of the platform.
   */
  private positionsAfter(c: Connection, run: SyncRun, plan: SyncPlan): CursorView[] {
    const start = Date.parse(run.started_at);
    if (!plan.cursors || !plan.recorded) {
      const names = this.streamsOf(c.provider).map((s) => s.name).sort();
      return names.map((stream) => ({ stream, modified_since: run.started_at, resuming: false }));
    }
    const recordedStart = Date.parse(plan.recorded.started_at);
    return plan.cursors.map((x) => ({
      ...x,
      modified_since:
        x.modified_since !== null && isRecordingMoment(x.modified_since)
          ? isoAt(start + Date.parse(x.modified_since) - recordedStart)
          : x.modified_since,
    }));
  }

  private select(f: LedgerFilter): LedgerEntry[] {
    const live = new Set(this.connections.map((c) => c.id));
    const out: LedgerEntry[] = [];
    for (const { entry: e } of this.ledger) {
      if (
        live.has(e.connection_id) &&
        (f.connection_id === null || e.connection_id === f.connection_id) &&
        (f.from === null || e.date >= f.from) &&
        (f.to === null || e.date <= f.to) &&
        (f.status === null || e.status === f.status) &&
        (f.scope === null || e.scope === f.scope) &&
        (f.category === null || e.category === f.category) &&
        (f.record_id === null || e.record_id === f.record_id)
      ) {
        out.push(e);
      }
    }
    return out;
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
          // As the application does: one group a connection, whatever its name.
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

/** Every ledger filter field empty. */
const NO_FILTER: LedgerFilter = {
  connection_id: null,
  from: null,
  to: null,
  status: null,
  scope: null,
  category: null,
  record_id: null,
};

function countsOf(r: SyncRunCounts): SyncRunCounts {
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

/** The counts of a run `share` of the way to `target`, as a progress event shows them. */
function partCounts(target: SyncRunCounts, share: number): SyncRunCounts {
  const out = { ...target };
  for (const k of COUNT_FIELDS) out[k] = Math.round(target[k] * share);
  out.kg_co2e_delta = dec(target.kg_co2e_delta).times(share).toFixed(6, HALF_UP);
  return out;
}

/** An exact sum as the application writes totals: six decimal places. */
function total(values: Iterable<string | null>): string {
  return dec(sumDecimals(values)).toFixed(6, HALF_UP);
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
  return { kg_co2e: total(kg), spend_usd_2022: total(usd), counted, excluded, unmapped };
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
