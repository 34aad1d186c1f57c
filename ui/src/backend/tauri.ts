// The only module that imports @tauri-apps: the Backend over the desktop app's commands
// and events. Argument keys are camelCase, as Tauri v2 maps them to the Rust parameters.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Backend, BackendEventName, BackendEvents, Unsubscribe } from './types';
import { toAppError } from './types';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toAppError(e);
  }
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
    emissionsSummary: (filter, by) => call('emissions_summary', { filter, by }),
    ledgerPage: (filter, offset, limit) => call('ledger_page', { filter, offset, limit }),
    exportLedgerCsv: (filter) => call('export_ledger_csv', { filter }),
    getSettings: () => call('get_settings'),
    setProviderCredentials: (provider, clientId, clientSecret) =>
      call('set_provider_credentials', { provider, clientId, clientSecret }),

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
