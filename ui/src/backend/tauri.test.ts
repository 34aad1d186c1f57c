import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
const listeners = new Map<string, (e: { payload: unknown }) => void>();
const unlisten = vi.fn();

vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock('@tauri-apps/api/event', () => ({
  listen: (name: string, handler: (e: { payload: unknown }) => void) => {
    listeners.set(name, handler);
    return Promise.resolve(unlisten);
  },
}));

const { createTauriBackend } = await import('./tauri');
const { EMPTY_FILTER, EMPTY_REPORTED_FILTER } = await import('./types');
const { ledgerEntry } = await import('./ledger.fixture');

/** An emissions summary as the application sends it: amounts as decimal strings. */
const SUMMARY = {
  totals: { kg_co2e: '1234.5678', spend_usd_2022: '-12.50', counted: 3, excluded: 1, unmapped: 0 },
  by: 'month',
  groups: [{ key: '2024-01', scope: 3, connection_id: null, kg_co2e: '1234.5678', spend_usd_2022: '-12.50', counted: 3, excluded: 0, unmapped: 0 }],
  method: 'Spend-based',
  reported: { location_kg_co2e: '469.774000', market_kg_co2e: '12.5', scope2_market_only_kg_co2e: '0.000000', rows: 2 },
  reported_groups: [
    { key: '2024-01', scope: 2, location_kg_co2e: '469.774000', market_kg_co2e: '12.5', scope2_market_only_kg_co2e: '0', rows: 2 },
  ],
};

/** Reported emissions as the application sends them: amounts as decimal strings. */
const CLOUD_SUMMARY = {
  totals: { location_kg_co2e: '469.774', market_kg_co2e: '0.000001', scope2_market_only_kg_co2e: '-0.50', rows: 3 },
  by: 'service',
  groups: [{ key: 'AWSLambda', scope: null, location_kg_co2e: '469.774', market_kg_co2e: '0.000001', scope2_market_only_kg_co2e: '-0.50', rows: 3 }],
};

/** An inventory report as the application sends it (the parts the window adds up). */
const REPORT = {
  period: { label: '2024', from: '2024-01-01', to: '2024-12-31' },
  connection_id: null,
  generated_at_ms: 1736942400000,
  generated_by: 'you on this-computer',
  organisations: ['Xero: Harbour & Pine Ltd'],
  totals: { kg_co2e: '1234.567800', spend_usd_2022: '-12.500000', counted: 3, excluded: 1, unmapped: 0 },
  scopes: { scope1_kg_co2e: '0', scope2_location_kg_co2e: '0', scope2_market_kg_co2e: null, scope3_kg_co2e: '1234.567800' },
  scope3_categories: [{ key: '3.01', label: '1. Purchased goods and services', entries: 3, kg_co2e: '1234.567800' }],
  by_connection: [{ key: '1', label: 'Xero: Harbour & Pine Ltd', entries: 3, kg_co2e: '1234.567800' }],
  by_category: [{ key: 'Office supplies', label: 'Office supplies', entries: 3, kg_co2e: '1234.567800' }],
  by_month: [{ month: '2024-01', by_scope: ['0', '0', '1234.567800'], kg_co2e: '1234.567800' }],
  method_mix: [{ method: 'spend_mapped', label: 'Spend-based, factor from the account mapping', data_quality: 5, entries: 3, kg_co2e: '1234.567800' }],
  data_quality_score: '5.00',
  excluded: [],
  factor_sets: [],
  conversions: [],
  rules: [],
  closes: [],
  changes_after_close: [],
  reported_by_providers: { location_kg_co2e: '0', market_kg_co2e: '0', scope2_market_only_kg_co2e: '0', rows: 0 },
  audit: { rows: 4, intact: true, broken_at: null, problem: null },
  method_notes: [],
};

/** Answers each command as the application does, with `patch` over what it answers. */
function answer(patch: Record<string, unknown> = {}) {
  return (command: string) => {
    if (command in patch) return Promise.resolve(patch[command]);
    if (command === 'emissions_summary') return Promise.resolve(structuredClone(SUMMARY));
    if (command === 'cloud_emissions') return Promise.resolve(structuredClone(CLOUD_SUMMARY));
    if (command === 'ledger_page') return Promise.resolve({ total: 1, offset: 0, entries: [ledgerEntry({ net_amount: '-12.50' })] });
    return Promise.resolve(null);
  };
}

describe('the Tauri backend', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockImplementation(answer());
    listeners.clear();
    unlisten.mockReset();
  });

  it('calls each command by its name with camelCase argument keys', async () => {
    const b = createTauriBackend();
    await b.listProviders();
    await b.beginConnect('xero');
    await b.cancelConnect('xero');
    await b.chooseTenant('c-1', 't-1');
    await b.cancelTenantChoice('c-1');
    await b.syncNow(null);
    await b.disconnect(3, true);
    await b.syncHistory(3, 50);
    await b.connectionCursors(3);
    await b.connectionSetAside(3);
    await b.setFrequency(3, '6h');
    await b.emissionsSummary(EMPTY_FILTER, 'month');
    await b.ledgerPage(EMPTY_FILTER, 400, 200);
    await b.exportLedgerCsv(EMPTY_FILTER);
    await b.setProviderCredentials('xero', 'abc', null);
    await b.cloudFields('aws');
    await b.connectCloud('azure', { tenant_id: 'contoso', client_secret: 'hunter2' }, false);
    await b.connectCloud('gcp', {}, true);
    await b.cloudPublicationDay('gcp');
    await b.cloudEmissions(EMPTY_REPORTED_FILTER, 'service');
    await b.cloudRows({ ...EMPTY_REPORTED_FILTER, connection_id: 4 }, 100, 50);
    await b.cloudMonths(4);
    await b.cloudMonths(null);
    await b.supplierRules();
    await b.addSupplierRule('gcp', 'Google Cloud EMEA', 'Workspace');
    await b.addSupplierRule('aws', 'AWS EMEA SARL', null);
    await b.setSupplierRuleEnabled(5, false);
    expect(invoke.mock.calls).toEqual([
      ['list_providers', undefined],
      ['begin_connect', { provider: 'xero' }],
      ['cancel_connect', { provider: 'xero' }],
      ['choose_tenant', { choiceId: 'c-1', tenantId: 't-1' }],
      ['cancel_tenant_choice', { choiceId: 'c-1' }],
      ['sync_now', { connectionId: null }],
      ['disconnect', { connectionId: 3, deleteData: true }],
      ['sync_history', { connectionId: 3, limit: 50 }],
      ['connection_cursors', { connectionId: 3 }],
      ['connection_set_aside', { connectionId: 3 }],
      ['set_frequency', { connectionId: 3, frequency: '6h' }],
      ['emissions_summary', { filter: EMPTY_FILTER, by: 'month' }],
      ['ledger_page', { filter: EMPTY_FILTER, offset: 400, limit: 200 }],
      ['export_ledger_csv', { filter: EMPTY_FILTER }],
      ['set_provider_credentials', { provider: 'xero', clientId: 'abc', clientSecret: null }],
      ['cloud_fields', { provider: 'aws' }],
      ['connect_cloud', { provider: 'azure', fields: { tenant_id: 'contoso', client_secret: 'hunter2' }, sandbox: false }],
      ['connect_cloud', { provider: 'gcp', fields: {}, sandbox: true }],
      ['cloud_publication_day', { provider: 'gcp' }],
      ['cloud_emissions', { filter: EMPTY_REPORTED_FILTER, by: 'service' }],
      ['cloud_rows', { filter: { ...EMPTY_REPORTED_FILTER, connection_id: 4 }, offset: 100, limit: 50 }],
      ['cloud_months', { connectionId: 4 }],
      ['cloud_months', { connectionId: null }],
      ['supplier_rules', undefined],
      ['add_supplier_rule', { provider: 'gcp', pattern: 'Google Cloud EMEA', unless: 'Workspace' }],
      ['add_supplier_rule', { provider: 'aws', pattern: 'AWS EMEA SARL', unless: null }],
      ['set_supplier_rule_enabled', { id: 5, enabled: false }],
    ]);
  });

  it('calls the notifications commands, saying "every connection" apart from the settings', async () => {
    const b = createTauriBackend();
    const settings = { report_enabled: true, report_day: 15, report_time: '08:30', alert_kinds: ['sync_failed'] };
    await b.listDestinations();
    await b.destinationHistory(2, 10);
    await b.setDestinationSettings(2, { ...settings, alert_connections: null });
    await b.setDestinationSettings(2, { ...settings, alert_connections: [1, 3] });
    await b.setDestinationSettings(2, { ...settings, alert_connections: undefined });
    await b.addWebhookDestination('teams', 'https://example.test/workflows/1?sig=abc', null);
    await b.addSandboxDestination('slack', '#esg-reports');
    await b.removeDestination(2);
    await b.sendTestMessage(2);
    await b.previewReport('2024-11');
    await b.sendReport(2, '2024-11');
    await b.listIncidents(false, 50);
    await b.chooseChannel('c-1', 'C0SANDBOX03');
    expect(invoke.mock.calls).toEqual([
      ['list_destinations', undefined],
      ['destination_history', { destinationId: 2, limit: 10 }],
      ['set_destination_settings', { destinationId: 2, settings: { ...settings, alert_connections: null } }],
      ['set_destination_settings', { destinationId: 2, settings: { ...settings, alert_connections: [1, 3] } }],
      ['set_destination_settings', { destinationId: 2, settings: { ...settings, alert_connections: undefined } }],
      ['add_webhook_destination', { platform: 'teams', url: 'https://example.test/workflows/1?sig=abc', name: null }],
      ['add_sandbox_destination', { platform: 'slack', name: '#esg-reports' }],
      ['remove_destination', { destinationId: 2 }],
      ['send_test_message', { destinationId: 2 }],
      ['preview_report', { period: '2024-11' }],
      ['send_report', { destinationId: 2, period: '2024-11' }],
      ['list_incidents', { openOnly: false, limit: 50 }],
      ['choose_channel', { choiceId: 'c-1', channelId: 'C0SANDBOX03' }],
    ]);
  });

  it('calls the start-at-login and update commands, and passes the download progress on', async () => {
    const b = createTauriBackend();
    const available = { state: 'available', version: '0.2.0', current_version: '0.1.0', notes: null, date: null };
    const saved = { version: '0.2.0', installed: false, saved_to: '/data/updates/CarbonSync_0.2.0_amd64.deb' };
    invoke.mockImplementation(
      answer({
        autostart_state: { enabled: false, asked: false },
        set_autostart: { enabled: true, asked: true },
        check_for_update: available,
        install_update: saved,
      }),
    );
    const progress = vi.fn();
    b.on('update-progress', progress);
    expect(await b.autostartState()).toEqual({ enabled: false, asked: false });
    expect(await b.setAutostart(true)).toEqual({ enabled: true, asked: true });
    expect(await b.checkForUpdate()).toEqual(available);
    expect(await b.installUpdate('0.2.0')).toEqual(saved);
    expect(invoke.mock.calls).toEqual([
      ['autostart_state', undefined],
      ['set_autostart', { enabled: true }],
      ['check_for_update', undefined],
      ['install_update', { version: '0.2.0' }],
    ]);
    listeners.get('update-progress')!({ payload: { downloaded: 1024, total: null } });
    expect(progress).toHaveBeenCalledWith({ downloaded: 1024, total: null });
  });

  it('rejects an update whose signature does not match with the words the application used', async () => {
    const refused = {
      code: 'update',
      message: "The update's signature does not match CarbonSync's key (bad signature), so it was not installed.",
      detail: null,
      permanent: false,
    };
    invoke.mockRejectedValueOnce(refused);
    await expect(createTauriBackend().installUpdate('0.2.0')).rejects.toEqual(refused);
    expect(invoke).toHaveBeenLastCalledWith('install_update', { version: '0.2.0' });
  });

  it('calls the inventory commands: suppliers, period close, the report and the audit check', async () => {
    const b = createTauriBackend();
    invoke.mockImplementation(answer({ inventory_report: structuredClone(REPORT) }));
    const filter = { ...EMPTY_FILTER, from: '2024-01-01', to: '2024-12-31' };
    await b.suppliers(filter, 50, 25);
    await b.periodCloses();
    await b.closePeriod('2024-Q1', 1, 'books closed by finance');
    await b.closePeriod('FY2024', 4, null);
    await b.reopenPeriod('2024-Q1', 'a late invoice from the landlord');
    await b.changesAfterClose(null);
    await b.changesAfterClose('FY2024');
    await b.restatePeriod('FY2024', [12, 13], 'invoices corrected');
    await b.restatePeriod('FY2024', null, null);
    await b.leaveChanges('FY2024', [14], 'immaterial');
    await b.leaveChanges('FY2024', null, null);
    await b.inventoryReport('2024', 1, null);
    await b.inventoryReport('FY2024', 4, 2);
    await b.exportInventory('2024-03', 1, null);
    await b.exportInventory('FY2024', 7, 1);
    await b.auditCheck();
    expect(invoke.mock.calls).toEqual([
      ['suppliers', { filter, offset: 50, limit: 25 }],
      ['period_closes', undefined],
      ['close_period', { period: '2024-Q1', fyStartMonth: 1, note: 'books closed by finance' }],
      ['close_period', { period: 'FY2024', fyStartMonth: 4, note: null }],
      ['reopen_period', { label: '2024-Q1', reason: 'a late invoice from the landlord' }],
      ['changes_after_close', { label: null }],
      ['changes_after_close', { label: 'FY2024' }],
      ['restate_period', { label: 'FY2024', entryIds: [12, 13], why: 'invoices corrected' }],
      ['restate_period', { label: 'FY2024', entryIds: null, why: null }],
      ['leave_changes', { label: 'FY2024', entryIds: [14], why: 'immaterial' }],
      ['leave_changes', { label: 'FY2024', entryIds: null, why: null }],
      ['inventory_report', { period: '2024', fyStartMonth: 1, connectionId: null }],
      ['inventory_report', { period: 'FY2024', fyStartMonth: 4, connectionId: 2 }],
      ['export_inventory', { period: '2024-03', fyStartMonth: 1, connectionId: null }],
      ['export_inventory', { period: 'FY2024', fyStartMonth: 7, connectionId: 1 }],
      ['audit_check', undefined],
    ]);
  });

  it('passes the inventory on as it arrives, and refuses one whose figures are not decimal strings', async () => {
    const b = createTauriBackend();
    invoke.mockImplementation(answer({ inventory_report: structuredClone(REPORT) }));
    const report = await b.inventoryReport('2024', 1, null);
    expect(report).toEqual(REPORT);
    // Market-based Scope 2 not reported stays null, never a zero.
    expect(report.scopes.scope2_market_kg_co2e).toBeNull();
    invoke.mockImplementation(answer({ inventory_report: { ...REPORT, scopes: { ...REPORT.scopes, scope3_kg_co2e: 1234.5 } } }));
    await expect(b.inventoryReport('2024', 1, null)).rejects.toMatchObject({
      code: 'internal',
      detail: expect.stringContaining('scopes.scope3_kg_co2e is 1234.5 (number)'),
    });
    invoke.mockImplementation(
      answer({ inventory_report: { ...REPORT, by_month: [{ ...REPORT.by_month[0], by_scope: ['0', '1e3', '0'] }] } }),
    );
    await expect(b.inventoryReport('2024', 1, null)).rejects.toMatchObject({
      detail: expect.stringContaining('by_month[0].by_scope.1 is "1e3"'),
    });
    invoke.mockImplementation(
      answer({ inventory_report: { ...REPORT, by_category: [{ ...REPORT.by_category[0], kg_co2e: null }] } }),
    );
    await expect(b.inventoryReport('2024', 1, null)).rejects.toMatchObject({
      detail: expect.stringContaining('by_category[0].kg_co2e is null'),
    });
  });

  it('passes amounts on as the exact decimal strings they arrive as', async () => {
    const b = createTauriBackend();
    expect(await b.emissionsSummary(EMPTY_FILTER, 'month')).toEqual(SUMMARY);
    const page = await b.ledgerPage(EMPTY_FILTER, 0, 200);
    expect(page.entries[0]!.net_amount).toBe('-12.50');
    expect(await b.cloudEmissions(EMPTY_REPORTED_FILTER, 'service')).toEqual(CLOUD_SUMMARY);
  });

  it('refuses an answer whose amounts are not decimal strings, rather than show a wrong figure', async () => {
    const b = createTauriBackend();
    invoke.mockImplementation(answer({ emissions_summary: { ...SUMMARY, totals: { ...SUMMARY.totals, kg_co2e: 1234.5678 } } }));
    await expect(b.emissionsSummary(EMPTY_FILTER, 'month')).rejects.toMatchObject({
      code: 'internal',
      detail: expect.stringContaining('totals.kg_co2e is 1234.5678 (number)'),
    });
    invoke.mockImplementation(
      answer({ ledger_page: { total: 2, offset: 0, entries: [ledgerEntry(), ledgerEntry({ kg_co2e: '1.2e-7' })] } }),
    );
    await expect(b.ledgerPage(EMPTY_FILTER, 0, 200)).rejects.toMatchObject({
      code: 'internal',
      detail: expect.stringContaining('entries[1].kg_co2e is "1.2e-7"'),
    });
    invoke.mockImplementation(answer({ emissions_summary: null }));
    await expect(b.emissionsSummary(EMPTY_FILTER, null)).rejects.toMatchObject({ code: 'internal' });
    // What the cloud platforms reported, beside the spend-based totals and on its own.
    invoke.mockImplementation(
      answer({ emissions_summary: { ...SUMMARY, reported: { ...SUMMARY.reported, scope2_market_only_kg_co2e: 0.5 } } }),
    );
    await expect(b.emissionsSummary(EMPTY_FILTER, 'month')).rejects.toMatchObject({
      code: 'internal',
      detail: expect.stringContaining('reported.scope2_market_only_kg_co2e is 0.5 (number)'),
    });
    invoke.mockImplementation(
      answer({ emissions_summary: { ...SUMMARY, reported_groups: [{ ...SUMMARY.reported_groups[0], market_kg_co2e: '1e3' }] } }),
    );
    await expect(b.emissionsSummary(EMPTY_FILTER, 'month')).rejects.toMatchObject({
      detail: expect.stringContaining('reported_groups[0].market_kg_co2e is "1e3"'),
    });
    invoke.mockImplementation(answer({ emissions_summary: { ...SUMMARY, reported: undefined } }));
    await expect(b.emissionsSummary(EMPTY_FILTER, 'month')).rejects.toMatchObject({ code: 'internal' });
    invoke.mockImplementation(
      answer({ cloud_emissions: { ...CLOUD_SUMMARY, groups: [{ ...CLOUD_SUMMARY.groups[0], location_kg_co2e: 469.774 }] } }),
    );
    await expect(b.cloudEmissions(EMPTY_REPORTED_FILTER, 'service')).rejects.toMatchObject({
      code: 'internal',
      detail: expect.stringContaining('groups[0].location_kg_co2e is 469.774 (number)'),
    });
  });

  it('rejects with the AppError the command failed with', async () => {
    const error = { code: 'database', message: 'The database is locked', detail: 'SQLITE_BUSY', permanent: false };
    invoke.mockRejectedValueOnce(error);
    await expect(createTauriBackend().listConnections()).rejects.toEqual(error);
  });

  it('turns a bare string rejection into an AppError with the text as detail', async () => {
    invoke.mockRejectedValueOnce('Command list_connections not found');
    await expect(createTauriBackend().listConnections()).rejects.toMatchObject({
      code: 'internal',
      detail: 'Command list_connections not found',
    });
  });

  it('passes event payloads to the handler and stops listening when asked', async () => {
    const b = createTauriBackend();
    const handler = vi.fn();
    const off = b.on('sync-finished', handler);
    await Promise.resolve();
    listeners.get('sync-finished')!({ payload: { connection_id: 1, report: null, error: null } });
    expect(handler).toHaveBeenCalledWith({ connection_id: 1, report: null, error: null });
    off();
    expect(unlisten).toHaveBeenCalled();
  });

  it('still stops listening when asked before the listener was registered', async () => {
    const off = createTauriBackend().on('sync-progress', vi.fn());
    off();
    await Promise.resolve();
    await Promise.resolve();
    expect(unlisten).toHaveBeenCalled();
  });
});
