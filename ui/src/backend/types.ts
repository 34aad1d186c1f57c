// The one interface the window uses to reach the application. In the desktop app it is
// implemented over Tauri commands and events (tauri.ts); in a plain browser and in tests
// by an in-memory stand-in (fake.ts). Nothing else in the UI knows which one it has.

import type { AppError } from '../bindings/AppError';
import type { Connection } from '../bindings/Connection';
import type { ConnectResult } from '../bindings/ConnectResult';
import type { CursorView } from '../bindings/CursorView';
import type { SetAsideRecord } from '../bindings/SetAsideRecord';
import type { EmissionsSummary } from '../bindings/EmissionsSummary';
import type { GroupBy } from '../bindings/GroupBy';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { LedgerPage } from '../bindings/LedgerPage';
import type { Progress } from '../bindings/Progress';
import type { ProviderView } from '../bindings/ProviderView';
import type { SettingsView } from '../bindings/SettingsView';
import type { SyncActivity } from '../bindings/SyncActivity';
import type { SyncFinished } from '../bindings/SyncFinished';
import type { SyncRun } from '../bindings/SyncRun';
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
import type { LedgerEntry } from '../bindings/LedgerEntry';
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

export type { AppError };

/** Whether CarbonSync starts at login (in the tray, window hidden), and whether the person was asked. */
export interface AutostartState {
  enabled: boolean;
  /** The first-run question was answered, either way; the window asks only until then. */
  asked: boolean;
}

/** What a check for a newer version found. */
export type UpdateCheck =
  /** No `[updates] endpoint` in carbonsync.toml: CarbonSync never asks. */
  | { state: 'off' }
  /** This is the newest version the endpoint offers. */
  | { state: 'current'; version: string }
  /** A newer version is out; `date` is when it was published (RFC 3339), if the endpoint says. */
  | { state: 'available'; version: string; current_version: string; notes: string | null; date: string | null };

/** What accepting an update did. */
export interface UpdateInstalled {
  version: string;
  /** Installed over this copy: it runs the next time CarbonSync starts. */
  installed: boolean;
  /** Otherwise: this copy was not installed from a package, and the verified package was saved here. */
  saved_to: string | null;
}

/** How far an update's download got, in bytes; `total` when the server gives the size. */
export interface UpdateProgress {
  downloaded: number;
  total: number | null;
}

/** The events the application sends to the window, by name. */
export interface BackendEvents {
  'sync-progress': Progress;
  'sync-finished': SyncFinished;
  'connect-result': ConnectResult;
  'update-progress': UpdateProgress;
}

export type BackendEventName = keyof BackendEvents;

/** Stops listening. Safe to call more than once. */
export type Unsubscribe = () => void;

export interface Backend {
  /** `tauri` inside the desktop app, `fake` in a browser or a test. */
  readonly kind: 'tauri' | 'fake';

  listProviders(): Promise<ProviderView[]>;
  listConnections(): Promise<Connection[]>;
  syncActivity(): Promise<SyncActivity[]>;
  /** Opens the platform's sign-in in the browser; the answer arrives as `connect-result`. */
  beginConnect(provider: string): Promise<null>;
  /**
   * Cancels the platform's sign-in that waits for the browser: its one-time state leaves
   * the keychain (or its loopback listener stops), so an answer that still comes is refused.
   */
  cancelConnect(provider: string): Promise<null>;
  chooseTenant(choiceId: string, tenantId: string): Promise<Connection>;
  cancelTenantChoice(choiceId: string): Promise<null>;
  /** `null` syncs every active connection. Progress and the end arrive as events. */
  syncNow(connectionId: number | null): Promise<null>;
  /** Resolves to a warning to show (e.g. the platform could not be told), or null. */
  disconnect(connectionId: number, deleteData: boolean): Promise<string | null>;
  syncHistory(connectionId: number, limit: number): Promise<SyncRun[]>;
  connectionCursors(connectionId: number): Promise<CursorView[]>;
  /** Records the platform sent that could not be read, newest first. */
  connectionSetAside(connectionId: number): Promise<SetAsideRecord[]>;
  /** Resolves to the label stored (manual, 15m, hourly, 6h, daily or a cron expression). */
  setFrequency(connectionId: number, frequency: string): Promise<string>;
  emissionsSummary(filter: LedgerFilter, by: GroupBy | null): Promise<EmissionsSummary>;
  ledgerPage(filter: LedgerFilter, offset: number, limit: number): Promise<LedgerPage>;
  /** Resolves to the path of the file written. */
  exportLedgerCsv(filter: LedgerFilter): Promise<string>;
  getSettings(): Promise<SettingsView>;
  setProviderCredentials(
    provider: string,
    clientId: string | null,
    clientSecret: string | null,
  ): Promise<SettingsView>;

  /** The connect form of a cloud platform (keys, not a sign-in), in the order it is asked. */
  cloudFields(provider: string): Promise<CredentialField[]>;
  /**
   * Connects a cloud account with the keys typed into its form, by field name: the provider
   * checks them first and nothing is kept when it refuses. With `sandbox`, an empty form means
   * the sandbox's own account.
   */
  connectCloud(provider: string, fields: Record<string, string>, sandbox: boolean): Promise<Connection>;
  /** The day of the following month by which the cloud platform publishes a month. */
  cloudPublicationDay(provider: string): Promise<number>;
  /** Reported emissions of a selection under both bases, grouped. */
  cloudEmissions(filter: ReportedFilter, by: ReportedGroupBy): Promise<CloudSummary>;
  /** Reported rows as the providers published them, newest month first. */
  cloudRows(filter: ReportedFilter, offset: number, limit: number): Promise<ReportedRow[]>;
  /** The months of cloud connections (`null`: every one): published or pending, bill, cover. */
  cloudMonths(connectionId: number | null): Promise<ReportedMonth[]>;
  /** The rules that match accounting suppliers to cloud platforms, so a bill is not counted twice. */
  supplierRules(): Promise<SupplierRule[]>;
  /** `unless`: words in a line's description that keep it out although its supplier matches. */
  addSupplierRule(provider: string, pattern: string, unless: string | null): Promise<SupplierRule>;
  setSupplierRuleEnabled(id: number, enabled: boolean): Promise<null>;

  /** Where reports and alerts go (Slack channels, Teams workflows), oldest first. */
  listDestinations(): Promise<Destination[]>;
  /** What was sent to a destination, or tried, newest first. */
  destinationHistory(destinationId: number, limit: number): Promise<Delivery[]>;
  /**
   * Changes when the destination's monthly report goes out and which alerts it receives; a
   * field left `null` stays as it is. `alert_connections`: `null` for every connection, a
   * list for only those, `undefined` to leave it.
   */
  setDestinationSettings(destinationId: number, settings: DestinationSettings): Promise<Destination>;
  /**
   * Adds a destination from a pasted webhook URL (`slack`: an incoming webhook; `teams`: a
   * workflow's URL). The URL is checked, then kept in the keychain only; it is never sent back.
   */
  addWebhookDestination(platform: string, url: string, name: string | null): Promise<Destination>;
  /** Adds the built-in sandbox's own webhook of the platform (its URL never reaches the window). */
  addSandboxDestination(platform: string, name: string | null): Promise<Destination>;
  /** Stops sending there; the history stays. Resolves to a warning to show, or null. */
  removeDestination(destinationId: number): Promise<string | null>;
  /** Sends a short test message. Rejects with the platform's refusal in words (the history keeps it). */
  sendTestMessage(destinationId: number): Promise<Delivery>;
  /** The monthly report of `period` (`YYYY-MM`) as it would be sent: its figures, its text, its chart. */
  previewReport(period: string): Promise<ReportPreview>;
  /** Sends the report of `period` now. Rejects with the platform's refusal in words (the history keeps it). */
  sendReport(destinationId: number, period: string): Promise<Delivery>;
  /** Problems with connections that alerts are about, newest first; `openOnly` leaves out resolved ones. */
  listIncidents(openOnly: boolean, limit: number): Promise<Incident[]>;
  /** Finishes a Slack sign-in (a `choose_channel` answer) with the channel chosen. */
  chooseChannel(choiceId: string, channelId: string): Promise<Destination>;

  /**
   * The entries of a selection that still need a person, most pressing first (changed since
   * review, unmapped, new supplier, then by kg CO2e), and the review's progress over it.
   */
  reviewQueue(filter: LedgerFilter, offset: number, limit: number): Promise<ReviewQueue>;
  /** One entry with its record, factor, conversions, decision or rule, and every change to it. */
  entryDetail(entryId: number): Promise<EntryDetail>;
  /** Factors of the shipped spend-based set whose code starts with, or title holds, `query`. */
  findFactors(query: string, limit: number): Promise<FactorChoice[]>;
  /**
   * Records a person's decision on each entry (accept, reclassify with a factor, exclude with
   * a reason) and resolves to the entries as they are now. `why` goes in the audit trail.
   */
  decideEntries(
    entryIds: number[],
    classification: Classification,
    note: string | null,
    why: string | null,
  ): Promise<LedgerEntry[]>;
  /** Takes back the decisions on entries ("include again"): rules and the mapping decide them. */
  undoDecisions(entryIds: number[], why: string | null): Promise<LedgerEntry[]>;
  /** A person's rules for similar entries, in the order they are tried. */
  reviewRules(): Promise<ReviewRule[]>;
  /** A rule matching entries like this one and doing what its decision did ("apply to similar"). */
  ruleLike(entryId: number): Promise<RuleInput>;
  /** What saving the rule (new, or in place of rule `replacing`) would change; saves nothing. */
  previewRule(rule: RuleInput, replacing: number | null): Promise<RulePreview>;
  addRule(rule: RuleInput, why: string | null): Promise<ReviewRule>;
  editRule(id: number, rule: RuleInput, why: string | null): Promise<ReviewRule>;
  /** Moves a rule to `position` (1 is tried first); resolves to every rule in the new order. */
  moveRule(id: number, position: number, why: string | null): Promise<ReviewRule[]>;
  removeRule(id: number, why: string | null): Promise<ReviewRule>;

  /**
   * The suppliers of a selection (a record's contact, whatever its letters' case and
   * surrounding spaces), the most kg CO2e first: their connections, entries, kg CO2e, spend
   * in each currency, categories, and the person's rule that maps that supplier alone.
   */
  suppliers(filter: LedgerFilter, offset: number, limit: number): Promise<SupplierPage>;
  /** Every period close, newest first, with its reported totals and changes waiting. */
  periodCloses(): Promise<PeriodClose[]>;
  /**
   * Closes `period` (`2024-03`, `2024-Q2`, `2024`, `FY2024`; a financial year starts in
   * `fyStartMonth`, 1–12): its numbers are frozen as reported. Refused with `period_not_over`
   * before its last day has passed, `refused` when it overlaps a standing close, `usage` for
   * text that is not a period.
   */
  closePeriod(period: string, fyStartMonth: number, note: string | null): Promise<PeriodClose>;
  /**
   * Reopens the standing close `label`: its dates read from the live ledger again. `reason`
   * is required (`reason_required`) and goes in the audit trail; `no_such_close` for a label
   * not closed.
   */
  reopenPeriod(label: string, reason: string): Promise<PeriodClose>;
  /** What later syncs and decisions changed in standing closes (`null`: every one), by entry. */
  changesAfterClose(label: string | null): Promise<ChangeAfterClose[]>;
  /**
   * Accepts changes after close of `label` (all, or only these entries) into its reported
   * numbers; `why` goes in the audit trail.
   */
  restatePeriod(label: string, entryIds: number[] | null, why: string | null): Promise<Restatement>;
  /**
   * Leaves changes after close of `label` (all, or only these entries) out of its numbers;
   * resolves to how many were left. They are listed again only if the entry changes once more.
   */
  leaveChanges(label: string, entryIds: number[] | null, why: string | null): Promise<number>;
  /**
   * The greenhouse-gas inventory of `period` (as `closePeriod` reads it), for one connection
   * or every one (`null`): scopes, categories, months, the method mix, what was excluded, the
   * sources, rules, closes and the audit chain's state.
   */
  inventoryReport(period: string, fyStartMonth: number, connectionId: number | null): Promise<InventoryReport>;
  /**
   * Writes the inventory of `period` as a PDF to Downloads, with its CSV tables and the audit
   * trail in a folder beside it; resolves to the PDF's path.
   */
  exportInventory(period: string, fyStartMonth: number, connectionId: number | null): Promise<string>;
  /** Walks the audit trail's hash chain: intact, or the first row where it breaks. */
  auditCheck(): Promise<AuditCheck>;

  /** Whether CarbonSync starts at login, and whether the first-run question was answered. */
  autostartState(): Promise<AutostartState>;
  /**
   * Turns starting at login on or off, and records that the person chose (so the first-run
   * question is not asked again). Rejects with code `autostart`.
   */
  setAutostart(enabled: boolean): Promise<AutostartState>;
  /**
   * Asks the update endpoint whether a newer version is out (`off` without an endpoint), and
   * remembers it for `installUpdate`. Downloads nothing. Rejects with code `update`.
   */
  checkForUpdate(): Promise<UpdateCheck>;
  /**
   * Downloads `version`, the update the last check found and the person agreed to (progress
   * arrives as `update-progress`), checks its signature, and installs it, or saves it when this
   * copy was not installed from a package. Only ever called on the person's click. Rejects with
   * code `update`, e.g. when the signature does not match, no check found an update, or the
   * update found is not the version agreed to.
   */
  installUpdate(version: string): Promise<UpdateInstalled>;

  /** Calls `handler` for every event of that name until the returned function is called. */
  on<E extends BackendEventName>(event: E, handler: (payload: BackendEvents[E]) => void): Unsubscribe;
}

/** Every filter field empty: the whole ledger. */
export const EMPTY_FILTER: LedgerFilter = {
  connection_id: null,
  from: null,
  to: null,
  status: null,
  scope: null,
  category: null,
  record_id: null,
};

/** Every reported-emissions filter field empty: everything the cloud platforms reported. */
export const EMPTY_REPORTED_FILTER: ReportedFilter = {
  connection_id: null,
  from: null,
  to: null,
  scope: null,
  service: null,
  region: null,
};

export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * Whatever a command rejected with, as an AppError: the backend's own, or a plain
 * string or exception (an unknown command, a bridge failure) wrapped so it reads the same.
 */
export function toAppError(value: unknown): AppError {
  if (isAppError(value)) {
    return {
      code: value.code,
      message: value.message,
      detail: value.detail ?? null,
      permanent: Boolean(value.permanent),
    };
  }
  if (value instanceof Error) {
    return {
      code: 'internal',
      message: 'Something went wrong inside CarbonSync. Try again; if it keeps happening, report it with the technical details.',
      detail: `${value.name}: ${value.message}`,
      permanent: false,
    };
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return {
    code: 'internal',
    message: 'Something went wrong inside CarbonSync. Try again; if it keeps happening, report it with the technical details.',
    detail: text ?? null,
    permanent: false,
  };
}
