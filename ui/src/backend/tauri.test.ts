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
const { EMPTY_FILTER } = await import('./types');
const { ledgerEntry } = await import('./ledger.fixture');

/** An emissions summary as the application sends it: amounts as decimal strings. */
const SUMMARY = {
  totals: { kg_co2e: '1234.5678', spend_usd_2022: '-12.50', counted: 3, excluded: 1, unmapped: 0 },
  by: 'month',
  groups: [{ key: '2024-01', scope: 3, connection_id: null, kg_co2e: '1234.5678', spend_usd_2022: '-12.50', counted: 3, excluded: 0, unmapped: 0 }],
  method: 'Spend-based',
};

/** Answers each command as the application does, with `patch` over what it answers. */
function answer(patch: Record<string, unknown> = {}) {
  return (command: string) => {
    if (command in patch) return Promise.resolve(patch[command]);
    if (command === 'emissions_summary') return Promise.resolve(structuredClone(SUMMARY));
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
    ]);
  });

  it('passes amounts on as the exact decimal strings they arrive as', async () => {
    const b = createTauriBackend();
    expect(await b.emissionsSummary(EMPTY_FILTER, 'month')).toEqual(SUMMARY);
    const page = await b.ledgerPage(EMPTY_FILTER, 0, 200);
    expect(page.entries[0]!.net_amount).toBe('-12.50');
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
