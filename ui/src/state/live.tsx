// What arrives from the application on its own (sync progress, syncs ending, sign-ins
// answered in the browser) and the actions that start it: connect and sync now.

import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Connection } from '../bindings/Connection';
import type { ProviderView } from '../bindings/ProviderView';
import type { SyncActivity } from '../bindings/SyncActivity';
import type { ChannelOption } from '../bindings/ChannelOption';
import type { TenantOption } from '../bindings/TenantOption';
import { useBackend } from '../backend/context';
import { toAppError } from '../backend/types';
import { formatInt, formatKg } from '../lib/format';
import { connectionLabel, errorTitle } from '../lib/labels';
import { type Platforms, platformsFrom } from '../lib/platforms';
import { useNotices } from './notices';
import { keys, refreshData, useProviders } from './queries';

export interface TenantChoice {
  choiceId: string;
  provider: string;
  tenants: TenantOption[];
}

/** After a Slack sign-in: which channel reports and alerts go to. */
export interface ChannelChoice {
  choiceId: string;
  provider: string;
  /** The workspace's name. */
  workspace: string;
  channels: ChannelOption[];
}

interface LiveApi {
  /** Platforms whose sign-in is open in the browser. */
  waiting: ReadonlySet<string>;
  beginConnect: (provider: string) => Promise<void>;
  stopWaiting: (provider: string) => void;
  choice: TenantChoice | null;
  chooseTenant: (tenantId: string) => Promise<void>;
  cancelChoice: () => Promise<void>;
  channelChoice: ChannelChoice | null;
  chooseChannel: (channelId: string) => Promise<void>;
  cancelChannelChoice: () => Promise<void>;
  syncNow: (connectionId: number | null) => Promise<void>;
}

const LiveContext = createContext<LiveApi | null>(null);

function upsertActivity(list: SyncActivity[] | undefined, a: SyncActivity): SyncActivity[] {
  const rest = (list ?? []).filter((x) => x.connection_id !== a.connection_id);
  return [...rest, a];
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const backend = useBackend();
  const qc = useQueryClient();
  const { push, pushError } = useNotices();
  const [waiting, setWaiting] = useState<ReadonlySet<string>>(new Set());
  const [choice, setChoice] = useState<TenantChoice | null>(null);
  const [channelChoice, setChannelChoice] = useState<ChannelChoice | null>(null);
  /** Syncs asked for in this window: their successes are worth a word, scheduled ones are not. */
  const requested = useRef(new Set<number>());
  // Loaded here, whichever page the window opens on, so notices name platforms as the
  // application does.
  useProviders();

  /** The platforms as the providers query last answered: read when a notice is written, not when this renders. */
  const platforms = useCallback(
    (): Platforms => platformsFrom(qc.getQueryData<ProviderView[]>(keys.providers)),
    [qc],
  );

  const nameOf = useCallback(
    (connectionId: number): string => {
      const c = qc.getQueryData<Connection[]>(keys.connections)?.find((x) => x.id === connectionId);
      return c ? connectionLabel(c, platforms()) : `Connection ${connectionId}`;
    },
    [qc, platforms],
  );

  /** When each connection's history was last refreshed during a sync (refreshed at most every 2 s). */
  const historyRefreshed = useRef(new Map<number, number>());

  useEffect(() => {
    const offProgress = backend.on('sync-progress', (p) => {
      qc.setQueryData<SyncActivity[]>(keys.activity, (list) =>
        upsertActivity(list, { connection_id: p.connection_id, queued: false, progress: p }),
      );
      const now = Date.now();
      if (now - (historyRefreshed.current.get(p.connection_id) ?? 0) > 2000) {
        historyRefreshed.current.set(p.connection_id, now);
        void qc.invalidateQueries({ queryKey: keys.historyOf(p.connection_id) });
      }
    });
    const offFinished = backend.on('sync-finished', (f) => {
      qc.setQueryData<SyncActivity[]>(keys.activity, (list) => (list ?? []).filter((a) => a.connection_id !== f.connection_id));
      const asked = requested.current.delete(f.connection_id);
      if (f.error) {
        push({
          tone: 'error',
          title: `Sync of ${nameOf(f.connection_id)} failed`,
          message: f.error.message,
          detail: f.error.detail,
        });
      } else if (asked && f.report) {
        const c = f.report.counts;
        push({
          tone: 'success',
          title: `${nameOf(f.connection_id)} is up to date`,
          message: `${formatInt(c.fetched)} records read, ${formatInt(c.emissions_added)} emissions added (${formatKg(c.kg_co2e_delta)}).`,
        });
      }
      refreshData(qc);
    });
    const offConnect = backend.on('connect-result', (r) => {
      setWaiting(new Set());
      if (r.error) {
        push({ tone: 'error', title: errorTitle(r.error.code), message: r.error.message, detail: r.error.detail });
      } else if (r.outcome?.kind === 'connected') {
        const c = r.outcome.connection;
        push({ tone: 'success', title: `Connected ${connectionLabel(c, platforms())}`, message: 'Its first sync has started.' });
        requested.current.add(c.id);
      } else if (r.outcome?.kind === 'choose_tenant') {
        setChoice({ choiceId: r.outcome.choice_id, provider: r.outcome.provider, tenants: r.outcome.tenants });
      } else if (r.outcome?.kind === 'choose_channel') {
        setChannelChoice({
          choiceId: r.outcome.choice_id,
          provider: r.outcome.provider,
          workspace: r.outcome.workspace,
          channels: r.outcome.channels,
        });
      }
      void qc.invalidateQueries({ queryKey: keys.connections });
      void qc.invalidateQueries({ queryKey: keys.providers });
      void qc.invalidateQueries({ queryKey: keys.activity });
    });
    return () => {
      offProgress();
      offFinished();
      offConnect();
    };
  }, [backend, qc, push, nameOf, platforms]);

  const beginConnect = useCallback(
    async (provider: string) => {
      setWaiting((w) => new Set(w).add(provider));
      try {
        await backend.beginConnect(provider);
      } catch (e) {
        setWaiting((w) => {
          const n = new Set(w);
          n.delete(provider);
          return n;
        });
        pushError(`Could not start connecting ${platforms().name(provider)}`, toAppError(e));
      }
    },
    [backend, pushError, platforms],
  );

  const stopWaiting = useCallback((provider: string) => {
    setWaiting((w) => {
      const n = new Set(w);
      n.delete(provider);
      return n;
    });
  }, []);

  const chooseTenant = useCallback(
    async (tenantId: string) => {
      if (!choice) return;
      try {
        const c = await backend.chooseTenant(choice.choiceId, tenantId);
        setChoice(null);
        requested.current.add(c.id);
        push({ tone: 'success', title: `Connected ${connectionLabel(c, platforms())}`, message: 'Its first sync has started.' });
      } catch (e) {
        setChoice(null);
        pushError('The organisation could not be connected', toAppError(e));
      }
      void qc.invalidateQueries({ queryKey: keys.connections });
      void qc.invalidateQueries({ queryKey: keys.providers });
      void qc.invalidateQueries({ queryKey: keys.activity });
    },
    [backend, choice, push, pushError, qc, platforms],
  );

  const cancelChoice = useCallback(async () => {
    if (!choice) return;
    setChoice(null);
    try {
      await backend.cancelTenantChoice(choice.choiceId);
    } catch {
      // The choice expires on its own; nothing for the person to do.
    }
  }, [backend, choice]);

  const chooseChannel = useCallback(
    async (channelId: string) => {
      if (!channelChoice) return;
      try {
        const d = await backend.chooseChannel(channelChoice.choiceId, channelId);
        setChannelChoice(null);
        push({
          tone: 'success',
          title: `Added ${d.name}`,
          message: 'The monthly report and sync alerts go there now. Send a test from the Notifications page to see it arrive.',
        });
      } catch (e) {
        setChannelChoice(null);
        pushError(`The ${platforms().name(channelChoice.provider)} channel could not be added`, toAppError(e));
      }
      void qc.invalidateQueries({ queryKey: keys.destinations });
    },
    [backend, channelChoice, push, pushError, qc, platforms],
  );

  const cancelChannelChoice = useCallback(async () => {
    if (!channelChoice) return;
    setChannelChoice(null);
    try {
      await backend.cancelTenantChoice(channelChoice.choiceId);
    } catch {
      // The choice expires on its own; nothing for the person to do.
    }
  }, [backend, channelChoice]);

  const syncNow = useCallback(
    async (connectionId: number | null) => {
      const ids =
        connectionId === null
          ? (qc.getQueryData<Connection[]>(keys.connections) ?? []).filter((c) => c.status === 'active').map((c) => c.id)
          : [connectionId];
      for (const id of ids) {
        requested.current.add(id);
        qc.setQueryData<SyncActivity[]>(keys.activity, (list) =>
          list?.some((a) => a.connection_id === id) ? list : upsertActivity(list, { connection_id: id, queued: false, progress: null }),
        );
      }
      try {
        await backend.syncNow(connectionId);
        void qc.invalidateQueries({ queryKey: keys.activity });
      } catch (e) {
        for (const id of ids) requested.current.delete(id);
        qc.setQueryData<SyncActivity[]>(keys.activity, (list) => (list ?? []).filter((a) => !ids.includes(a.connection_id) || a.progress));
        const err = toAppError(e);
        pushError(connectionId === null ? 'Could not start syncing' : `Could not sync ${nameOf(connectionId)}`, err);
        void qc.invalidateQueries({ queryKey: keys.connections });
      }
    },
    [backend, qc, pushError, nameOf],
  );

  const api = useMemo(
    () => ({
      waiting,
      beginConnect,
      stopWaiting,
      choice,
      chooseTenant,
      cancelChoice,
      channelChoice,
      chooseChannel,
      cancelChannelChoice,
      syncNow,
    }),
    [waiting, beginConnect, stopWaiting, choice, chooseTenant, cancelChoice, channelChoice, chooseChannel, cancelChannelChoice, syncNow],
  );
  return <LiveContext.Provider value={api}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveApi {
  const api = useContext(LiveContext);
  if (!api) throw new Error('useLive must be used inside <LiveProvider>');
  return api;
}
