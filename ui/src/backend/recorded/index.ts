// What the application answers, recorded from it. `crates/core/tests/core/recorded_for_ui.rs`
// drives the application's own API (the methods the desktop's commands call) against the
// built-in sandbox and writes these files from the very structs the commands return, so the
// shapes are the window's bindings and every message, count and amount is the application's.
// That test fails when the application's answers no longer match the files; record them again
// with
//
//   CARBONSYNC_RECORD_UI=1 scripts/with-keyring cargo test -p carbonsync-core --test core recorded_for_ui
//
// What the recording did, in order: a forged sign-in answer, access refused at Xero and at
// QuickBooks, a choice of organisation that no longer waits and one naming an organisation the
// sign-in did not offer; then Harbour & Pine Ltd (Xero, connection 1) connected through the deep
// link and Cedar & Finch Trading Co. (QuickBooks Online, connection 2) through a loopback port;
// each synced twice (Xero's first sync met a bank transaction with an unreadable date, which
// was set aside); everything the window reads, read back; last, Xero withdrew the grant and a
// sync of connection 1 found out (`revoked.json`).
//
// Moments of the recording are fixed ones on 15 January 2025 (UTC): connections made at 11:00
// and 11:01, run n started at 11:00 + 10n min and took 2 s, read at 12:00 (`readAt`). Dates
// before that day are the sandbox records' own. Install ids in vault keys and the id of a
// choice of organisation are zeros.

import type { AppError } from '../../bindings/AppError';
import type { ConnectResult } from '../../bindings/ConnectResult';
import type { Connection } from '../../bindings/Connection';
import type { CredentialField } from '../../bindings/CredentialField';
import type { CursorView } from '../../bindings/CursorView';
import type { EmissionsSummary } from '../../bindings/EmissionsSummary';
import type { GroupBy } from '../../bindings/GroupBy';
import type { LedgerEntry } from '../../bindings/LedgerEntry';
import type { LedgerFilter } from '../../bindings/LedgerFilter';
import type { LedgerPage } from '../../bindings/LedgerPage';
import type { ProviderView } from '../../bindings/ProviderView';
import type { SetAsideRecord } from '../../bindings/SetAsideRecord';
import type { SyncFinished } from '../../bindings/SyncFinished';
import type { SyncReport } from '../../bindings/SyncReport';
import type { SyncRun } from '../../bindings/SyncRun';
import cloudFieldsFile from './cloud-fields.json';
import connectionsFile from './connections.json';
import cursorsFile from './cursors.json';
import emissionsFile from './emissions.json';
import historyFile from './history.json';
import ledgerPagesFile from './ledger-pages.json';
import ledgerFile from './ledger.json';
import providersFile from './providers.json';
import recordingFile from './recording.json';
import revokedFile from './revoked.json';
import setAsideFile from './set-aside.json';
import signInFile from './sign-in.json';
import syncFinishedFile from './sync-finished.json';

/** `sign-in.json`: how each sign-in ended, as the window heard it (`connect-result`). */
export interface RecordedSignIns {
  /** Xero's answer through the deep link: a choice of its two organisations. */
  xero: ConnectResult;
  /** `choose_tenant` with Harbour & Pine Ltd: the new connection, not synced yet. */
  xero_chosen: Connection;
  /** QuickBooks' answer through a loopback port: its one company, connected at once. */
  quickbooks: ConnectResult;
  /** A deep link whose `state` the install never issued. */
  forged: ConnectResult;
  /** Access refused in the browser, by platform id. */
  denied: Record<string, ConnectResult>;
  /** `choose_tenant` for a choice that no longer waits. */
  choice_gone: AppError;
  /** `choose_tenant` with an organisation the sign-in did not offer. */
  tenant_not_offered: AppError;
}

/** One `emissions_summary` call of the recording and its answer. */
export interface RecordedEmissions {
  filter: LedgerFilter;
  by: GroupBy | null;
  summary: EmissionsSummary;
}

/** One `ledger_page` call of the recording and its answer. */
export interface RecordedLedgerPage {
  filter: LedgerFilter;
  offset: number;
  limit: number;
  page: LedgerPage;
}

/** `revoked.json`: Xero withdrew the grant of connection 1, and its next sync found out. */
export interface RecordedRevoked {
  /** The `sync-finished` event of that sync. */
  sync_finished: SyncFinished;
  /** The connection as the application left it. */
  connection: Connection;
  /** Its sync history afterwards, newest first. */
  history: SyncRun[];
}

/** Each file as the type the window's binding gives its command's answer. */
export const RECORDED = {
  /** The moment the recording is read at (ms since 1970): every recorded moment is before it. */
  readAt: Date.parse(recordingFile.read_at),
  /** `list_providers` with both connections made. */
  providers: providersFile as ProviderView[],
  /** `cloud_fields` of each platform connected with keys, by platform id. */
  cloudFields: cloudFieldsFile as Record<string, CredentialField[]>,
  signIn: signInFile as RecordedSignIns,
  /** `list_connections` after both syncs of each, before the grant was withdrawn. */
  connections: connectionsFile as Connection[],
  /** `sync_history` of each connection, newest first, by connection id. */
  history: historyFile as Record<string, SyncRun[]>,
  /** `connection_cursors` of each connection, by connection id. */
  cursors: cursorsFile as Record<string, CursorView[]>,
  /** `connection_set_aside` of each connection, by connection id. */
  setAside: setAsideFile as Record<string, SetAsideRecord[]>,
  /** The `sync-finished` events of the four syncs, in order. */
  syncFinished: syncFinishedFile as SyncFinished[],
  emissions: emissionsFile as RecordedEmissions[],
  /** `ledger_page` of the whole ledger, in the application's order (newest first). */
  ledger: ledgerFile as LedgerPage,
  /** `ledger_page` of each fixed sandbox record, and of a page of two narrower selections. */
  ledgerPages: ledgerPagesFile as RecordedLedgerPage[],
  revoked: revokedFile as RecordedRevoked,
} as const;

/** The first moment of the recording (RFC 3339); earlier ones are the records' own dates. */
export const RECORDING_BEGAN: string = RECORDED.connections.map((c) => c.created_at).sort()[0]!;

/** Whether a moment is one of the recording's fixed moments (not a record's own date). */
export function isRecordingMoment(iso: string): boolean {
  return iso >= RECORDING_BEGAN;
}

/** One organisation as the recording holds it, from its sign-in to what its syncs stored. */
export interface RecordedOrganisation {
  provider: string;
  tenant_id: string;
  /** The connection the sign-in made, before any sync. */
  connected: Connection;
  /** Its runs before the grant was withdrawn, oldest first: the first read, then one that found nothing new. */
  runs: SyncRun[];
  /** The `sync-finished` report of each run, by run id. */
  reports: Map<number, SyncReport>;
  /** Its ledger lines, in the application's order. */
  ledger: LedgerEntry[];
  /** Its streams' positions after the last run. */
  cursors: CursorView[];
  /** Records its first sync set aside. */
  setAside: SetAsideRecord[];
}

function connectedBySignIn(): Connection[] {
  const out: Connection[] = [RECORDED.signIn.xero_chosen];
  const qb = RECORDED.signIn.quickbooks.outcome;
  if (qb?.kind === 'connected') out.push(qb.connection);
  return out;
}

/** The organisations the recording connected, each with what the application said about it. */
export const RECORDED_ORGANISATIONS: ReadonlyArray<RecordedOrganisation> = connectedBySignIn().map((connected) => {
  const id = String(connected.id);
  const reports = new Map<number, SyncReport>();
  for (const f of RECORDED.syncFinished) if (f.report && f.connection_id === connected.id) reports.set(f.report.run_id, f.report);
  return {
    provider: connected.provider,
    tenant_id: connected.tenant_id,
    connected,
    runs: [...(RECORDED.history[id] ?? [])].reverse(),
    reports,
    ledger: RECORDED.ledger.entries.filter((e) => e.connection_id === connected.id),
    cursors: RECORDED.cursors[id] ?? [],
    setAside: RECORDED.setAside[id] ?? [],
  };
});

/** The recorded organisation of that platform and tenant, if the recording connected it. */
export function recordedOrganisation(provider: string, tenantId: string): RecordedOrganisation | undefined {
  return RECORDED_ORGANISATIONS.find((o) => o.provider === provider && o.tenant_id === tenantId);
}
