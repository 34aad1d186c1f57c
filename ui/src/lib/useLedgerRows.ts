import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import { useBackend } from '../backend/context';
import { filterKey, useDataEpoch } from '../state/queries';
import { PagedRows } from './pagedRows';

export const LEDGER_PAGE_SIZE = 200;

/**
 * The ledger rows of a selection, fetched by page as they come into view. A new cache is
 * made when the selection changes, or when stored data changed (a sync ended); in the
 * second case the old rows stay on screen until the fresh ones arrive.
 */
export function useLedgerRows(filter: LedgerFilter): PagedRows<LedgerEntry> {
  const backend = useBackend();
  const epoch = useDataEpoch();
  const key = filterKey(filter);
  const prev = useRef<{ key: string; rows: PagedRows<LedgerEntry> } | null>(null);

  const rows = useMemo(() => {
    const previous = prev.current && prev.current.key === key ? prev.current.rows : null;
    const f = JSON.parse(key) as unknown[];
    const selection: LedgerFilter = {
      connection_id: f[0] as number | null,
      from: f[1] as string | null,
      to: f[2] as string | null,
      status: f[3] as LedgerFilter['status'],
      scope: f[4] as number | null,
      category: f[5] as string | null,
      record_id: f[6] as string | null,
    };
    return new PagedRows<LedgerEntry>((offset, limit) => backend.ledgerPage(selection, offset, limit), {
      pageSize: LEDGER_PAGE_SIZE,
      previous,
    });
    // `epoch` is a dependency on purpose: new data, new cache.
  }, [backend, key, epoch]);

  useEffect(() => {
    prev.current = { key, rows };
  }, [key, rows]);

  useSyncExternalStore(rows.subscribe, rows.getVersion, rows.getVersion);
  return rows;
}
