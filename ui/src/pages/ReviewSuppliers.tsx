import { useEffect, useState } from 'react';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { SupplierSummary } from '../bindings/SupplierSummary';
import { ErrorView } from '../components/ErrorView';
import { EmptyState, Loading } from '../components/Feedback';
import { formatAmount, formatInt, formatKgNumber, plural } from '../lib/format';
import { filterKey, useReviewRules, useSuppliers } from '../state/queries';

/** Suppliers on one page of the list. */
export const SUPPLIERS_PAGE_SIZE = 50;

/**
 * The suppliers of the review's selection across connections, the most kg CO2e first: what
 * each is spent with and emits, and the rule that maps it, so a supplier is mapped once with a
 * rule rather than entry by entry. `onMap` starts that rule for a supplier with none.
 */
export function ReviewSuppliers({ filter, onMap }: { filter: LedgerFilter; onMap: (supplier: string) => void }) {
  const [offset, setOffset] = useState(0);
  const suppliers = useSuppliers(filter, offset, SUPPLIERS_PAGE_SIZE);
  const rules = useReviewRules();
  const key = filterKey(filter);
  // Another selection starts at its first page.
  useEffect(() => setOffset(0), [key]);
  const page = suppliers.data;
  const ruleName = (id: number) => rules.data?.find((r) => r.id === id)?.name ?? `Rule ${id}`;

  return (
    <section className="panel" aria-labelledby="suppliers-title" data-testid="review-suppliers">
      <div className="section-head">
        <h2 id="suppliers-title" className="section-title">
          Suppliers {page && <span className="count">{formatInt(page.total)}</span>}
        </h2>
      </div>
      <p className="small muted">
        Every supplier of the selection across your connections (the same name whatever its letters’ case), the most kg
        CO2e first. Map a supplier once with a rule, and every entry from it is decided, now and on later syncs.
      </p>
      {suppliers.isPending && <Loading>Reading the suppliers…</Loading>}
      {suppliers.isError && (
        <ErrorView error={suppliers.error} title="The suppliers could not be read" onRetry={() => void suppliers.refetch()} />
      )}
      {page && page.items.length === 0 && (
        <EmptyState title="No suppliers">
          <p>Entries with a supplier appear here once an accounting platform is synced.</p>
        </EmptyState>
      )}
      {page && page.items.length > 0 && (
        <div className="table-scroll">
          <table className="table compact suppliers-table">
            <thead>
              <tr>
                <th scope="col">Supplier</th>
                <th scope="col" className="num">
                  Connections
                </th>
                <th scope="col" className="num">
                  Entries
                </th>
                <th scope="col" className="num">
                  Unmapped
                </th>
                <th scope="col" className="num">
                  kg CO2e
                </th>
                <th scope="col" className="num">
                  Spend (excluding tax)
                </th>
                <th scope="col">Categories</th>
                <th scope="col">Mapped by</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((s, i) => (
                <SupplierRow
                  key={s.name}
                  index={offset + i}
                  supplier={s}
                  ruleName={s.rule_id === null ? null : ruleName(s.rule_id)}
                  onMap={() => onMap(s.name.trim())}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && page.total > SUPPLIERS_PAGE_SIZE && (
        <nav className="pager" aria-label="Pages of suppliers">
          <button
            type="button"
            className="button small"
            onClick={() => setOffset(Math.max(0, offset - SUPPLIERS_PAGE_SIZE))}
            disabled={offset === 0}
          >
            Previous
          </button>
          <span className="small muted" aria-live="polite">
            {formatInt(offset + 1)}–{formatInt(Math.min(offset + page.items.length, page.total))} of {formatInt(page.total)}
          </span>
          <button
            type="button"
            className="button small"
            onClick={() => setOffset(offset + SUPPLIERS_PAGE_SIZE)}
            disabled={offset + SUPPLIERS_PAGE_SIZE >= page.total}
          >
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function SupplierRow({
  index,
  supplier: s,
  ruleName,
  onMap,
}: {
  index: number;
  supplier: SupplierSummary;
  ruleName: string | null;
  onMap: () => void;
}) {
  const spend = Object.entries(s.spend);
  return (
    <tr data-testid={`supplier-row-${index}`}>
      <th scope="row">{s.name}</th>
      <td className="num">{formatInt(s.connection_ids.length)}</td>
      <td className="num">
        {formatInt(s.entries)}
        {s.excluded > 0 && <span className="small muted block">{formatInt(s.excluded)} excluded</span>}
      </td>
      <td className={s.unmapped > 0 ? 'num warn-text' : 'num'}>{formatInt(s.unmapped)}</td>
      <td className="num">{formatKgNumber(s.kg_co2e)}</td>
      <td className="num">
        {spend.length === 0
          ? '–'
          : spend.map(([currency, amount]) => (
              <span key={currency} className="block nowrap">
                {formatAmount(amount)} <span className="muted">{currency}</span>
              </span>
            ))}
      </td>
      <td>{s.categories.length > 0 ? s.categories.join(', ') : <span className="muted">–</span>}</td>
      <td>
        {ruleName !== null ? (
          <span data-testid={`supplier-rule-${index}`}>The rule “{ruleName}”</span>
        ) : (
          <button
            type="button"
            className="button small"
            onClick={onMap}
            data-testid={`map-supplier-${index}`}
            title={`Make a rule that counts every entry from ${s.name.trim()} with one factor`}
          >
            Map this supplier…
          </button>
        )}
        {ruleName === null && s.unmapped > 0 && (
          <span className="small muted block">{plural(s.unmapped, 'entry waits', 'entries wait')} for a factor</span>
        )}
      </td>
    </tr>
  );
}
