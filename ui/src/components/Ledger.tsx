import { useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { Connection } from '../bindings/Connection';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import { formatAmount, formatInt, formatKgNumber } from '../lib/format';
import { ledgerStatusWords } from '../lib/labels';
import type { PagedRows } from '../lib/pagedRows';
import type { Platforms } from '../lib/platforms';
import { useLedgerRows } from '../lib/useLedgerRows';
import { usePlatforms } from '../state/queries';
import { Badge } from './Badge';
import { EntryDetails } from './EntryDetails';
import { ErrorView } from './ErrorView';
import { Loading } from './Feedback';

export const ROW_HEIGHT = 46;
/**
 * Browsers cap how tall an element may be (about 33 million pixels in Chromium, less
 * elsewhere), which a million rows would exceed. Above this height the scrollbar is
 * scaled: the list scrolls the same, but the scroll area stays within the limit.
 */
const MAX_SCROLL_PX = 8_000_000;

const COLUMNS = [
  { key: 'date', label: 'Date' },
  { key: 'source', label: 'Source' },
  { key: 'contact', label: 'Contact' },
  { key: 'record', label: 'Record' },
  { key: 'account', label: 'Account' },
  { key: 'amount', label: 'Amount', num: true },
  { key: 'currency', label: 'Cur.' },
  { key: 'status', label: 'Status' },
  { key: 'factor', label: 'Factor' },
  { key: 'kg', label: 'kg CO2e', num: true },
] as const;

export function Ledger({
  filter,
  connections,
  onShowRecord,
}: {
  filter: LedgerFilter;
  connections: ReadonlyArray<Connection>;
  onShowRecord: (recordId: string) => void;
}) {
  const rows = useLedgerRows(filter);
  const [open, setOpen] = useState<LedgerEntry | null>(null);
  const total = rows.total;

  if (!rows.ready && rows.error) {
    return <ErrorView error={rows.error} title="The ledger could not be read" onRetry={() => void rows.retry()} />;
  }
  return (
    <>
      {total === null ? (
        <LedgerFirstPage rows={rows} />
      ) : (
        <LedgerGrid rows={rows} total={total} connections={connections} onOpen={setOpen} />
      )}
      {open && (
        <EntryDetails
          entry={open}
          connection={connections.find((c) => c.id === open.connection_id)}
          onClose={() => setOpen(null)}
          onShowRecord={(id) => {
            setOpen(null);
            onShowRecord(id);
          }}
        />
      )}
    </>
  );
}

function LedgerFirstPage({ rows }: { rows: PagedRows<LedgerEntry> }) {
  useEffect(() => {
    void rows.ensure(0, 0);
  }, [rows]);
  return <Loading>Loading the ledger…</Loading>;
}

/** The scroll position the virtualizer works in, from the one the browser has, and back. */
function scaleFor(total: number, viewport: number) {
  const virtual = total * ROW_HEIGHT;
  const real = Math.min(virtual, MAX_SCROLL_PX);
  const ratio = real > viewport && virtual > real ? (virtual - viewport) / (real - viewport) : 1;
  return { virtual, real, ratio };
}

function LedgerGrid({
  rows,
  total,
  connections,
  onOpen,
}: {
  rows: PagedRows<LedgerEntry>;
  total: number;
  connections: ReadonlyArray<Connection>;
  onOpen: (e: LedgerEntry) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState<number | null>(null);
  const ratioRef = useRef(1);
  const baseId = useId();
  const sandbox = new Set(connections.filter((c) => c.sandbox).map((c) => c.id));
  const platforms = usePlatforms();
  const platformOf = new Map(connections.map((c) => [c.id, c.provider]));

  const viewport = scrollRef.current?.clientHeight ?? 560;
  const scale = scaleFor(total, viewport);
  ratioRef.current = scale.ratio;

  const observeOffset = useCallback(
    (instance: Virtualizer<HTMLDivElement, Element>, cb: (offset: number, isScrolling: boolean) => void) => {
      const el = instance.scrollElement;
      if (!el) return;
      // Always reported as "not scrolling": the virtualizer otherwise compares a scaled
      // offset with the element's own scroll height and takes it for an overscroll. Rows
      // have a fixed height, so nothing it does while scrolling is needed here.
      const report = () => cb(el.scrollTop * ratioRef.current, false);
      report();
      el.addEventListener('scroll', report, { passive: true });
      return () => el.removeEventListener('scroll', report);
    },
    [],
  );

  const scrollTo = useCallback(
    (offset: number, options: { adjustments?: number; behavior?: ScrollBehavior }, instance: Virtualizer<HTMLDivElement, Element>) => {
      instance.scrollElement?.scrollTo({ top: (offset + (options.adjustments ?? 0)) / ratioRef.current, behavior: options.behavior });
    },
    [],
  );

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1000, height: 560 },
    observeElementOffset: observeOffset,
    scrollToFn: scrollTo,
  });

  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  // Fetch the pages the rows in view (and a little around them) fall in.
  useEffect(() => {
    if (total > 0) void rows.ensure(first, last);
  }, [rows, first, last, total]);

  const virtualOffset = virtualizer.scrollOffset ?? 0;
  const realTop = virtualOffset / scale.ratio;

  // Scrolls the least needed to bring a row into view. Done here rather than by the
  // virtualizer, which does not know about the scaled scrollbar.
  const move = (to: number) => {
    const i = Math.max(0, Math.min(total - 1, to));
    setActive(i);
    const el = scrollRef.current;
    if (!el) return;
    const view = el.clientHeight;
    const top = i * ROW_HEIGHT;
    const current = el.scrollTop * scale.ratio;
    let target = current;
    if (top < current) target = top;
    else if (top + ROW_HEIGHT > current + view) target = top + ROW_HEIGHT - view;
    if (target !== current) el.scrollTop = target / scale.ratio;
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (total === 0) return;
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    const cur = active ?? first;
    switch (e.key) {
      case 'ArrowDown':
        move(active === null ? first : cur + 1);
        break;
      case 'ArrowUp':
        move(active === null ? first : cur - 1);
        break;
      case 'PageDown':
        move(cur + page);
        break;
      case 'PageUp':
        move(cur - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(total - 1);
        break;
      case 'Enter':
      case ' ': {
        const entry = active !== null ? rows.get(active) : undefined;
        if (entry) onOpen(entry);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  const activeEntryLoaded = active !== null && rows.isLoaded(active);

  return (
    <div className="ledger-wrap">
      <div
        className="ledger"
        role="grid"
        aria-label={`Ledger: ${formatInt(total)} entries. Use the arrow keys to move, Enter to see how an entry was calculated.`}
        aria-rowcount={total + 1}
        aria-colcount={COLUMNS.length}
        aria-activedescendant={active !== null && activeEntryLoaded ? `${baseId}-r${active}` : undefined}
        data-testid="ledger"
        data-total={total}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onFocus={() => active === null && total > 0 && setActive(first)}
      >
        <div className="ledger-row ledger-head" role="row" aria-rowindex={1}>
          {COLUMNS.map((c) => (
            <div key={c.key} role="columnheader" className={'num' in c ? 'cell num' : 'cell'}>
              {c.label}
            </div>
          ))}
        </div>
        <div className="ledger-body" ref={scrollRef} role="rowgroup">
          {total === 0 ? (
            <p className="ledger-empty">No entries match these filters.</p>
          ) : (
            <div style={{ height: scale.real, position: 'relative' }}>
              {items.map((item) => {
                const entry = rows.get(item.index);
                const top = realTop + (item.start - virtualOffset);
                return (
                  <LedgerRow
                    key={item.key}
                    id={`${baseId}-r${item.index}`}
                    index={item.index}
                    top={top}
                    entry={entry}
                    active={active === item.index}
                    sandbox={entry ? sandbox.has(entry.connection_id) : false}
                    platforms={platforms}
                    platform={entry ? platformOf.get(entry.connection_id) : undefined}
                    onClick={() => {
                      setActive(item.index);
                      if (entry) onOpen(entry);
                    }}
                  />
                );
              })}
            </div>
          )}
        </div>
      </div>
      {rows.error != null && (
        <ErrorView error={rows.error} title="Some ledger rows could not be read" onRetry={() => void rows.retry()} compact />
      )}
    </div>
  );
}

function LedgerRow({
  id,
  index,
  top,
  entry: e,
  active,
  sandbox,
  platforms,
  platform,
  onClick,
}: {
  id: string;
  index: number;
  top: number;
  entry: LedgerEntry | undefined;
  active: boolean;
  sandbox: boolean;
  platforms: Platforms;
  /** The platform of the entry's connection, when the window knows the connection. */
  platform: string | undefined;
  onClick: () => void;
}) {
  const style = { transform: `translateY(${top}px)`, height: ROW_HEIGHT };
  if (!e) {
    return (
      <div className="ledger-row placeholder" role="row" aria-rowindex={index + 2} style={style} id={id} aria-busy="true">
        {COLUMNS.map((c) => (
          <div key={c.key} role="gridcell" className="cell">
            <span className="skeleton" />
          </div>
        ))}
      </div>
    );
  }
  const status = ledgerStatusWords(e.status);
  return (
    <div
      className={`ledger-row status-${e.status}${active ? ' active' : ''}`}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={active}
      style={style}
      id={id}
      onClick={onClick}
      data-index={index}
    >
      <div role="gridcell" className="cell mono">
        {e.date}
      </div>
      <div role="gridcell" className="cell two">
        <span className="clip" title={e.source}>
          {e.source}
        </span>
        {sandbox && <span className="sub">Sandbox</span>}
      </div>
      <div role="gridcell" className="cell two">
        <span className="clip" title={e.contact ?? undefined}>
          {e.contact ?? '–'}
        </span>
        {e.description && (
          <span className="sub clip" title={e.description}>
            {e.description}
          </span>
        )}
      </div>
      <div role="gridcell" className="cell two">
        <span title={platforms.streamLabel(e.stream, platform)}>{platforms.streamShort(e.stream, platform)}</span>
        <span className="sub mono clip" title={`${e.record_id}, line ${e.line_no}`}>
          {e.record_id.slice(0, 8)} #{e.line_no}
        </span>
      </div>
      <div role="gridcell" className="cell two">
        <span className="clip" title={e.account_name ?? undefined}>
          {e.account_code ? `${e.account_code} ` : ''}
          {e.account_name ?? '–'}
        </span>
        {e.category && <span className="sub clip">{e.category}</span>}
      </div>
      <div role="gridcell" className="cell num mono">
        {formatAmount(e.net_amount)}
      </div>
      <div role="gridcell" className="cell mono">
        {e.currency}
      </div>
      <div role="gridcell" className="cell two" title={e.reason ?? status.detail ?? undefined}>
        <span>
          <Badge tone={status.tone}>{status.label}</Badge>
        </span>
        {e.status !== 'counted' && e.reason && <span className="sub clip">{e.reason}</span>}
      </div>
      <div role="gridcell" className="cell two" title={e.factor_title ? `${e.factor_title}: ${e.factor_value} ${e.factor_unit}` : undefined}>
        <span className="mono">{e.factor_code ?? '–'}</span>
        {e.factor_value !== null && <span className="sub mono">× {e.factor_value}</span>}
      </div>
      <div role="gridcell" className="cell num mono strong">
        {e.kg_co2e !== null && e.status === 'counted' ? formatKgNumber(e.kg_co2e) : <span className="muted">–</span>}
      </div>
    </div>
  );
}
