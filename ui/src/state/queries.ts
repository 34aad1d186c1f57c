// Every piece of application data the window shows lives in React Query, under these keys.

import { QueryClient, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { GroupBy } from '../bindings/GroupBy';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { ReportedFilter } from '../bindings/ReportedFilter';
import type { ReportedGroupBy } from '../bindings/ReportedGroupBy';
import type { SyncActivity } from '../bindings/SyncActivity';
import { useBackend } from '../backend/context';
import { EMPTY_FILTER } from '../backend/types';
import { type Platforms, platformsFrom } from '../lib/platforms';

export const keys = {
  providers: ['providers'] as const,
  connections: ['connections'] as const,
  activity: ['activity'] as const,
  history: (connectionId: number, limit: number) => ['history', connectionId, limit] as const,
  historyOf: (connectionId: number) => ['history', connectionId] as const,
  cursors: (connectionId: number) => ['cursors', connectionId] as const,
  setAside: (connectionId: number) => ['set-aside', connectionId] as const,
  emissions: (filter: LedgerFilter, by: GroupBy | null) => ['emissions', filterKey(filter), by] as const,
  emissionsAll: ['emissions'] as const,
  settings: ['settings'] as const,
  cloudFields: (provider: string) => ['cloud-fields', provider] as const,
  publicationDay: (provider: string) => ['publication-day', provider] as const,
  cloudEmissions: (filter: ReportedFilter, by: ReportedGroupBy) => ['cloud', 'emissions', reportedKey(filter), by] as const,
  cloudRows: (filter: ReportedFilter, limit: number) => ['cloud', 'rows', reportedKey(filter), limit] as const,
  cloudMonths: (connectionId: number | null) => ['cloud', 'months', connectionId] as const,
  supplierRules: ['cloud', 'supplier-rules'] as const,
  cloudAll: ['cloud'] as const,
  destinations: ['destinations'] as const,
  deliveries: (destinationId: number, limit: number) => ['deliveries', destinationId, limit] as const,
  deliveriesOf: (destinationId: number) => ['deliveries', destinationId] as const,
  incidents: ['incidents'] as const,
  reviewQueue: (filter: LedgerFilter, offset: number, limit: number) =>
    ['review', 'queue', filterKey(filter), offset, limit] as const,
  reviewRules: ['review', 'rules'] as const,
  entryDetail: (entryId: number) => ['review', 'entry', entryId] as const,
  /** Everything about the review: the queue, its progress, rules, entries' details. */
  reviewAll: ['review'] as const,
  factors: (query: string, limit: number) => ['factors', query, limit] as const,
  suppliers: (filter: LedgerFilter, offset: number, limit: number) =>
    ['review', 'suppliers', filterKey(filter), offset, limit] as const,
  inventoryReport: (period: string, fyStartMonth: number, connectionId: number | null) =>
    ['inventory', 'report', period, fyStartMonth, connectionId] as const,
  periodCloses: ['inventory', 'closes'] as const,
  changesAfterClose: ['inventory', 'changes'] as const,
  /** The entries behind a figure of the inventory report. */
  reportEntries: (filter: LedgerFilter, limit: number) => ['inventory', 'entries', filterKey(filter), limit] as const,
  /** Everything about the inventory: reports, closes, changes after close, entries behind figures. */
  inventoryAll: ['inventory'] as const,
  /** Whether CarbonSync starts at login, and whether the first-run question was answered. */
  autostart: ['autostart'] as const,
  /** The last check for a newer version (one at start, then only when asked). */
  updateCheck: ['update-check'] as const,
  /** Bumped whenever stored ledger data may have changed (a sync ended, a disconnect). */
  dataEpoch: ['data-epoch'] as const,
};

/** A stable text for a filter, for cache keys. */
export function filterKey(f: LedgerFilter): string {
  return JSON.stringify([f.connection_id, f.from, f.to, f.status, f.scope, f.category, f.record_id]);
}

/** A stable text for a reported-emissions filter, for cache keys. */
export function reportedKey(f: ReportedFilter): string {
  return JSON.stringify([f.connection_id, f.from, f.to, f.scope, f.service, f.region]);
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The backend reads a local database: an answer is cheap, and a failure is not
        // fixed by asking again at once, so say so rather than retry quietly.
        retry: false,
        staleTime: 30_000,
        refetchOnWindowFocus: true,
        networkMode: 'always',
      },
      mutations: { networkMode: 'always', retry: false },
    },
  });
}

export function useProviders() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.providers, queryFn: () => backend.listProviders() });
}

/**
 * The platforms as the application names them, from the providers query: each one's name
 * and stream labels. Until the list arrives it names a platform by its id.
 */
export function usePlatforms(): Platforms {
  const { data } = useProviders();
  return useMemo(() => platformsFrom(data), [data]);
}

export function useConnections() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.connections, queryFn: () => backend.listConnections() });
}

export function useActivity() {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.activity,
    queryFn: () => backend.syncActivity(),
    // Events keep it current; while something runs, a slow poll covers a missed event.
    refetchInterval: (q) => (q.state.data?.length ? 5000 : false),
  });
}

/** The activity of each connection by id. */
export function useActivityById(): Map<number, SyncActivity> {
  const { data } = useActivity();
  const map = new Map<number, SyncActivity>();
  for (const a of data ?? []) map.set(a.connection_id, a);
  return map;
}

export function useHistory(connectionId: number, limit: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.history(connectionId, limit),
    queryFn: () => backend.syncHistory(connectionId, limit),
    placeholderData: (prev) => prev,
  });
}

export function useCursors(connectionId: number) {
  const backend = useBackend();
  return useQuery({ queryKey: keys.cursors(connectionId), queryFn: () => backend.connectionCursors(connectionId) });
}

export function useSetAside(connectionId: number) {
  const backend = useBackend();
  return useQuery({ queryKey: keys.setAside(connectionId), queryFn: () => backend.connectionSetAside(connectionId) });
}

export function useEmissions(filter: LedgerFilter, by: GroupBy | null) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.emissions(filter, by),
    queryFn: () => backend.emissionsSummary(filter, by),
    placeholderData: (prev) => prev,
  });
}

export function useCloudFields(provider: string) {
  const backend = useBackend();
  return useQuery({ queryKey: keys.cloudFields(provider), queryFn: () => backend.cloudFields(provider), staleTime: Infinity });
}

/** By which day of the following month each cloud platform publishes a month, by platform id. */
export function usePublicationDays(providers: ReadonlyArray<string>) {
  const backend = useBackend();
  return useQueries({
    queries: providers.map((p) => ({
      queryKey: keys.publicationDay(p),
      queryFn: () => backend.cloudPublicationDay(p),
      staleTime: Infinity,
    })),
    combine: (results) => {
      const days = new Map<string, number>();
      results.forEach((r, i) => {
        if (r.data !== undefined) days.set(providers[i]!, r.data);
      });
      return days;
    },
  });
}

export function useCloudEmissions(filter: ReportedFilter, by: ReportedGroupBy) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.cloudEmissions(filter, by),
    queryFn: () => backend.cloudEmissions(filter, by),
    placeholderData: (prev) => prev,
  });
}

export function useCloudRows(filter: ReportedFilter, limit: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.cloudRows(filter, limit),
    queryFn: () => backend.cloudRows(filter, 0, limit),
    placeholderData: (prev) => prev,
  });
}

export function useCloudMonths(connectionId: number | null) {
  const backend = useBackend();
  return useQuery({ queryKey: keys.cloudMonths(connectionId), queryFn: () => backend.cloudMonths(connectionId) });
}

export function useSupplierRules() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.supplierRules, queryFn: () => backend.supplierRules() });
}

export function useSettings() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.settings, queryFn: () => backend.getSettings() });
}

/** Starting at login: read once, then kept current by what `setAutostart` answers. */
export function useAutostart() {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.autostart,
    queryFn: () => backend.autostartState(),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

/** Turns starting at login on or off; the answer is the state everyone reads. */
export function useSetAutostart() {
  const backend = useBackend();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (enabled: boolean) => backend.setAutostart(enabled),
    onSuccess: (state) => qc.setQueryData(keys.autostart, state),
  });
}

export function useDestinations() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.destinations, queryFn: () => backend.listDestinations() });
}

export function useDeliveries(destinationId: number, limit: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.deliveries(destinationId, limit),
    queryFn: () => backend.destinationHistory(destinationId, limit),
    placeholderData: (prev) => prev,
  });
}

/** Every incident, newest first (the page puts the open ones first). */
export function useIncidents(limit: number) {
  const backend = useBackend();
  return useQuery({ queryKey: [...keys.incidents, limit], queryFn: () => backend.listIncidents(false, limit) });
}

export function useReviewQueue(filter: LedgerFilter, offset: number, limit: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.reviewQueue(filter, offset, limit),
    queryFn: () => backend.reviewQueue(filter, offset, limit),
    placeholderData: (prev) => prev,
  });
}

export function useReviewRules() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.reviewRules, queryFn: () => backend.reviewRules() });
}

export function useEntryDetail(entryId: number) {
  const backend = useBackend();
  return useQuery({ queryKey: keys.entryDetail(entryId), queryFn: () => backend.entryDetail(entryId) });
}

/** Factors of the shipped spend-based set matching `query` (a code's start or words of a title). */
export function useFactors(query: string, limit: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.factors(query.trim(), limit),
    queryFn: () => backend.findFactors(query.trim(), limit),
    // The shipped set does not change while the app runs.
    staleTime: Infinity,
    placeholderData: (prev) => prev,
  });
}

/** Suppliers of a selection, the most kg CO2e first, a page at a time. */
export function useSuppliers(filter: LedgerFilter, offset: number, limit: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.suppliers(filter, offset, limit),
    queryFn: () => backend.suppliers(filter, offset, limit),
    placeholderData: (prev) => prev,
  });
}

/** The inventory report of a period (`null`: not chosen yet, nothing read). */
export function useInventoryReport(period: string | null, fyStartMonth: number, connectionId: number | null) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.inventoryReport(period ?? '', fyStartMonth, connectionId),
    queryFn: () => backend.inventoryReport(period!, fyStartMonth, connectionId),
    enabled: period !== null,
    placeholderData: (prev) => prev,
  });
}

export function usePeriodCloses() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.periodCloses, queryFn: () => backend.periodCloses() });
}

/** The changes after close of every standing close. */
export function useChangesAfterClose() {
  const backend = useBackend();
  return useQuery({ queryKey: keys.changesAfterClose, queryFn: () => backend.changesAfterClose(null) });
}

/** The first `limit` entries of a selection, for the entries behind a figure. */
export function useReportEntries(filter: LedgerFilter | null, limit: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: keys.reportEntries(filter ?? EMPTY_FILTER, limit),
    queryFn: () => backend.ledgerPage(filter!, 0, limit),
    enabled: filter !== null,
  });
}

/**
 * After a period is closed or reopened, or changes after close are restated or left: the
 * report, the closes, the changes and the emissions' totals are read again.
 */
export function useRefreshInventory() {
  const qc = useQueryClient();
  return () => refreshInventory(qc);
}

export function refreshInventory(qc: QueryClient): void {
  void qc.invalidateQueries({ queryKey: keys.inventoryAll });
  void qc.invalidateQueries({ queryKey: keys.emissionsAll });
  // The monthly report's figures and the cloud page read the same totals.
  void qc.invalidateQueries({ queryKey: keys.cloudAll });
}

export function useDataEpoch(): number {
  const { data } = useQuery({
    queryKey: keys.dataEpoch,
    queryFn: () => 0,
    initialData: 0,
    staleTime: Infinity,
    gcTime: Infinity,
  });
  return data;
}

/** After anything that changes stored data: every view of it is refreshed. */
export function useRefreshData() {
  const qc = useQueryClient();
  return () => refreshData(qc);
}

export function refreshData(qc: QueryClient): void {
  qc.setQueryData<number>(keys.dataEpoch, (n) => (n ?? 0) + 1);
  void qc.invalidateQueries({ queryKey: keys.connections });
  void qc.invalidateQueries({ queryKey: keys.providers });
  void qc.invalidateQueries({ queryKey: keys.activity });
  void qc.invalidateQueries({ queryKey: keys.emissionsAll });
  void qc.invalidateQueries({ queryKey: keys.reviewAll });
  void qc.invalidateQueries({ queryKey: keys.inventoryAll });
  void qc.invalidateQueries({ queryKey: keys.cloudAll });
  void qc.invalidateQueries({ queryKey: ['history'] });
  void qc.invalidateQueries({ queryKey: ['cursors'] });
  void qc.invalidateQueries({ queryKey: ['set-aside'] });
  // A sync that ends may open or resolve an incident, and send alerts about it.
  void qc.invalidateQueries({ queryKey: keys.incidents });
  void qc.invalidateQueries({ queryKey: ['deliveries'] });
}

/**
 * After a person's decision or a change to their rules: the review, the emissions' totals
 * and the ledger are read again (what the entries count for has changed).
 */
export function useRefreshReview() {
  const qc = useQueryClient();
  return () => refreshReview(qc);
}

export function refreshReview(qc: QueryClient): void {
  qc.setQueryData<number>(keys.dataEpoch, (n) => (n ?? 0) + 1);
  void qc.invalidateQueries({ queryKey: keys.reviewAll });
  void qc.invalidateQueries({ queryKey: keys.emissionsAll });
  // The inventory report, a closed period's changes after close and the suppliers change with them.
  void qc.invalidateQueries({ queryKey: keys.inventoryAll });
  // The monthly report's figures and what the cloud page sets beside them come from the same totals.
  void qc.invalidateQueries({ queryKey: keys.cloudAll });
}
