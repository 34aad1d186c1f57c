// The only module that imports @tauri-apps: the Backend over the desktop app's commands
// and events. Argument keys are camelCase, as Tauri v2 maps them to the Rust parameters.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { AppError } from '../bindings/AppError';
import type { CloudSummary } from '../bindings/CloudSummary';
import type { EmissionsSummary } from '../bindings/EmissionsSummary';
import type { InventoryReport } from '../bindings/InventoryReport';
import type { LedgerPage } from '../bindings/LedgerPage';
import { isPlainDecimal } from '../lib/decimal';
import type { Backend, BackendEventName, BackendEvents, Unsubscribe } from './types';
import { toAppError } from './types';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toAppError(e);
  }
}

/** An amount that is not an exact decimal string: refused whole rather than shown wrong. */
function unreadableAmount(command: string, field: string, value: unknown): AppError {
  return {
    code: 'internal',
    message:
      'CarbonSync received an amount it cannot read exactly, and shows nothing rather than a wrong figure. Try again; if it keeps happening, report it with the technical details.',
    detail: `${command}: ${field} is ${JSON.stringify(value) ?? String(value)} (${typeof value}), not a decimal number in a string`,
    permanent: true,
  };
}

/**
 * Checks that `row`'s amount fields hold exact decimals (`"-12.50"`), as the application
 * promises: the window adds them up and multiplies them, which a floating-point number or
 * exponent notation would make wrong. `nullable` fields may also be null.
 */
function checkAmounts(
  command: string,
  where: string,
  row: Record<string, unknown>,
  required: readonly string[],
  nullable: readonly string[] = [],
): void {
  for (const f of [...required, ...nullable]) {
    const v = row[f];
    if (v === null && nullable.includes(f)) continue;
    if (typeof v !== 'string' || !isPlainDecimal(v)) throw unreadableAmount(command, `${where}${f}`, v);
  }
}

async function emissionsSummary(args: Record<string, unknown>): Promise<EmissionsSummary> {
  const s = await call<EmissionsSummary | null>('emissions_summary', args);
  if (!s?.totals || !Array.isArray(s.groups)) throw unreadableAmount('emissions_summary', 'totals', s);
  const money = ['kg_co2e', 'spend_usd_2022'] as const;
  checkAmounts('emissions_summary', 'totals.', s.totals, money);
  s.groups.forEach((g, i) => checkAmounts('emissions_summary', `groups[${i}].`, g, money));
  const bases = ['location_kg_co2e', 'market_kg_co2e', 'scope2_market_only_kg_co2e'] as const;
  if (!s.reported) throw unreadableAmount('emissions_summary', 'reported', s.reported);
  checkAmounts('emissions_summary', 'reported.', s.reported, bases);
  (s.reported_groups ?? []).forEach((g, i) => checkAmounts('emissions_summary', `reported_groups[${i}].`, g, bases));
  return s;
}

async function cloudEmissions(args: Record<string, unknown>): Promise<CloudSummary> {
  const s = await call<CloudSummary | null>('cloud_emissions', args);
  if (!s?.totals || !Array.isArray(s.groups)) throw unreadableAmount('cloud_emissions', 'totals', s);
  const bases = ['location_kg_co2e', 'market_kg_co2e', 'scope2_market_only_kg_co2e'] as const;
  checkAmounts('cloud_emissions', 'totals.', s.totals, bases);
  s.groups.forEach((g, i) => checkAmounts('cloud_emissions', `groups[${i}].`, g, bases));
  return s;
}

async function ledgerPage(args: Record<string, unknown>): Promise<LedgerPage> {
  const page = await call<LedgerPage | null>('ledger_page', args);
  if (!Array.isArray(page?.entries)) throw unreadableAmount('ledger_page', 'entries', page);
  page.entries.forEach((e, i) =>
    checkAmounts('ledger_page', `entries[${i}].`, e, ['net_amount'], ['factor_value', 'fx_rate', 'deflator', 'amount_usd_2022', 'kg_co2e']),
  );
  return page;
}

/** The inventory's figures are added up (the chart stacks its months) and shown as exact decimals. */
async function inventoryReport(args: Record<string, unknown>): Promise<InventoryReport> {
  const r = await call<InventoryReport | null>('inventory_report', args);
  const command = 'inventory_report';
  if (!r?.totals || !r.scopes || !Array.isArray(r.by_month)) throw unreadableAmount(command, 'totals', r);
  checkAmounts(command, 'totals.', r.totals, ['kg_co2e', 'spend_usd_2022']);
  checkAmounts(command, 'scopes.', r.scopes, ['scope1_kg_co2e', 'scope2_location_kg_co2e', 'scope3_kg_co2e'], ['scope2_market_kg_co2e']);
  for (const table of ['scope3_categories', 'by_connection', 'by_category', 'method_mix'] as const) {
    (r[table] ?? []).forEach((line, i) => checkAmounts(command, `${table}[${i}].`, line, ['kg_co2e']));
  }
  r.by_month.forEach((m, i) => {
    checkAmounts(command, `by_month[${i}].`, m, ['kg_co2e']);
    const [s1, s2, s3] = Array.isArray(m.by_scope) ? m.by_scope : [];
    checkAmounts(command, `by_month[${i}].by_scope.`, { '0': s1, '1': s2, '2': s3 }, ['0', '1', '2']);
  });
  checkAmounts(command, '', r, [], ['data_quality_score']);
  return r;
}

export function createTauriBackend(): Backend {
  return {
    kind: 'tauri',
    listProviders: () => call('list_providers'),
    listConnections: () => call('list_connections'),
    syncActivity: () => call('sync_activity'),
    beginConnect: (provider) => call('begin_connect', { provider }),
    cancelConnect: (provider) => call('cancel_connect', { provider }),
    chooseTenant: (choiceId, tenantId) => call('choose_tenant', { choiceId, tenantId }),
    cancelTenantChoice: (choiceId) => call('cancel_tenant_choice', { choiceId }),
    syncNow: (connectionId) => call('sync_now', { connectionId }),
    disconnect: (connectionId, deleteData) => call('disconnect', { connectionId, deleteData }),
    syncHistory: (connectionId, limit) => call('sync_history', { connectionId, limit }),
    connectionCursors: (connectionId) => call('connection_cursors', { connectionId }),
    connectionSetAside: (connectionId) => call('connection_set_aside', { connectionId }),
    setFrequency: (connectionId, frequency) => call('set_frequency', { connectionId, frequency }),
    // The two answers whose amounts the window adds up or multiplies are checked on arrival;
    // elsewhere an amount is only shown, and an unreadable one shows as a dash.
    emissionsSummary: (filter, by) => emissionsSummary({ filter, by }),
    ledgerPage: (filter, offset, limit) => ledgerPage({ filter, offset, limit }),
    exportLedgerCsv: (filter) => call('export_ledger_csv', { filter }),
    getSettings: () => call('get_settings'),
    setProviderCredentials: (provider, clientId, clientSecret) =>
      call('set_provider_credentials', { provider, clientId, clientSecret }),
    cloudFields: (provider) => call('cloud_fields', { provider }),
    connectCloud: (provider, fields, sandbox) => call('connect_cloud', { provider, fields, sandbox }),
    cloudPublicationDay: (provider) => call('cloud_publication_day', { provider }),
    cloudEmissions: (filter, by) => cloudEmissions({ filter, by }),
    cloudRows: (filter, offset, limit) => call('cloud_rows', { filter, offset, limit }),
    cloudMonths: (connectionId) => call('cloud_months', { connectionId }),
    reviewQueue: (filter, offset, limit) => call('review_queue', { filter, offset, limit }),
    entryDetail: (entryId) => call('entry_detail', { entryId }),
    findFactors: (query, limit) => call('find_factors', { query, limit }),
    decideEntries: (entryIds, classification, note, why) =>
      call('decide_entries', { entryIds, classification, note, why }),
    undoDecisions: (entryIds, why) => call('undo_decisions', { entryIds, why }),
    reviewRules: () => call('review_rules'),
    ruleLike: (entryId) => call('rule_like', { entryId }),
    previewRule: (rule, replacing) => call('preview_rule', { rule, replacing }),
    addRule: (rule, why) => call('add_rule', { rule, why }),
    editRule: (id, rule, why) => call('edit_rule', { id, rule, why }),
    moveRule: (id, position, why) => call('move_rule', { id, position, why }),
    removeRule: (id, why) => call('remove_rule', { id, why }),
    suppliers: (filter, offset, limit) => call('suppliers', { filter, offset, limit }),
    periodCloses: () => call('period_closes'),
    closePeriod: (period, fyStartMonth, note) => call('close_period', { period, fyStartMonth, note }),
    reopenPeriod: (label, reason) => call('reopen_period', { label, reason }),
    changesAfterClose: (label) => call('changes_after_close', { label }),
    restatePeriod: (label, entryIds, why) => call('restate_period', { label, entryIds, why }),
    leaveChanges: (label, entryIds, why) => call('leave_changes', { label, entryIds, why }),
    inventoryReport: (period, fyStartMonth, connectionId) => inventoryReport({ period, fyStartMonth, connectionId }),
    exportInventory: (period, fyStartMonth, connectionId) =>
      call('export_inventory', { period, fyStartMonth, connectionId }),
    auditCheck: () => call('audit_check'),
    supplierRules: () => call('supplier_rules'),
    addSupplierRule: (provider, pattern, unless) => call('add_supplier_rule', { provider, pattern, unless }),
    setSupplierRuleEnabled: (id, enabled) => call('set_supplier_rule_enabled', { id, enabled }),
    listDestinations: () => call('list_destinations'),
    destinationHistory: (destinationId, limit) => call('destination_history', { destinationId, limit }),
    // An absent field is unchanged; `alert_connections: null` means every connection.
    setDestinationSettings: (destinationId, settings) =>
      call('set_destination_settings', { destinationId, settings }),
    addWebhookDestination: (platform, url, name) => call('add_webhook_destination', { platform, url, name }),
    addSandboxDestination: (platform, name) => call('add_sandbox_destination', { platform, name }),
    removeDestination: (destinationId) => call('remove_destination', { destinationId }),
    sendTestMessage: (destinationId) => call('send_test_message', { destinationId }),
    previewReport: (period) => call('preview_report', { period }),
    sendReport: (destinationId, period) => call('send_report', { destinationId, period }),
    listIncidents: (openOnly, limit) => call('list_incidents', { openOnly, limit }),
    chooseChannel: (choiceId, channelId) => call('choose_channel', { choiceId, channelId }),
    autostartState: () => call('autostart_state'),
    setAutostart: (enabled) => call('set_autostart', { enabled }),
    checkForUpdate: () => call('check_for_update'),
    installUpdate: (version) => call('install_update', { version }),

    on<E extends BackendEventName>(event: E, handler: (payload: BackendEvents[E]) => void): Unsubscribe {
      // `listen` registers asynchronously; an unsubscribe that comes first still unlistens
      // once registration completes, so a quickly unmounted component leaks nothing.
      let stopped = false;
      let unlisten: (() => void) | null = null;
      listen<BackendEvents[E]>(event, (e) => {
        if (!stopped) handler(e.payload);
      })
        .then((fn) => {
          if (stopped) fn();
          else unlisten = fn;
        })
        .catch((e: unknown) => {
          console.error(`CarbonSync could not listen to ${event}`, e);
        });
      return () => {
        if (stopped) return;
        stopped = true;
        unlisten?.();
      };
    },
  };
}
