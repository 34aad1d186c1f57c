import { ConnectionField, DayRangeFields } from '../components/FilterFields';
import { useMutation } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { LedgerStatus } from '../bindings/LedgerStatus';
import { useBackend } from '../backend/context';
import { EMPTY_FILTER, toAppError } from '../backend/types';
import { BarList } from '../components/BarList';
import { ErrorView } from '../components/ErrorView';
import { EmptyState, Loading } from '../components/Feedback';
import { Ledger } from '../components/Ledger';
import { ReportedBeside } from '../components/cloud/ReportedBeside';
import { MonthChart } from '../components/MonthChart';
import { isPositive } from '../lib/decimal';
import { formatAmount, formatInt, formatKg, formatMonth, formatTonnes, plural } from '../lib/format';
import { sourceLabel } from '../lib/labels';
import { type Platforms, orList } from '../lib/platforms';
import { href } from '../router';
import { useNotices } from '../state/notices';
import { useConnections, useEmissions, usePlatforms } from '../state/queries';
import { ScopeSelect } from '../components/ScopeSelect';

function isFiltered(f: LedgerFilter): boolean {
  return Object.values(f).some((v) => v !== null);
}

function lastDayOf(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${month}-${String(d).padStart(2, '0')}`;
}

export function EmissionsPage() {
  const [filter, setFilter] = useState<LedgerFilter>(EMPTY_FILTER);
  const connections = useConnections();
  const platforms = usePlatforms();
  const byMonth = useEmissions(filter, 'month');
  const byCategory = useEmissions(filter, 'category');
  const bySource = useEmissions(filter, 'source');
  const everything = useEmissions(EMPTY_FILTER, 'category');

  const set = (patch: Partial<LedgerFilter>) => setFilter((f) => ({ ...f, ...patch }));
  const summary = byMonth.data;
  const totals = summary?.totals;
  const nothingAtAll =
    everything.data &&
    everything.data.totals.counted + everything.data.totals.excluded + everything.data.totals.unmapped === 0 &&
    everything.data.reported.rows === 0;

  return (
    <div className="page" data-testid="page-emissions">
      <header className="page-header">
        <h1>Emissions</h1>
        <p className="lede">
          Greenhouse-gas emissions estimated from what your organisations spent, entry by entry, with the factor behind
          each number.
        </p>
      </header>

      {byMonth.isPending && <Loading>Adding up the emissions…</Loading>}
      {byMonth.isError && (
        <ErrorView error={byMonth.error} title="The emissions could not be read" onRetry={() => void byMonth.refetch()} />
      )}

      {nothingAtAll && <NothingYet platforms={platforms} />}

      {summary && totals && !nothingAtAll && (
        <>
          <Filters
            filter={filter}
            set={set}
            reset={() => setFilter(EMPTY_FILTER)}
            categories={(everything.data?.groups ?? []).map((g) => g.key).filter((k) => k !== 'Uncategorised')}
            platforms={platforms}
          />

          <section className="panel totals" aria-labelledby="totals-title">
            <h2 id="totals-title" className="visually-hidden">
              Totals
            </h2>
            <div className="total-main">
              <p className="total-label">Spend-based total{isFiltered(filter) ? ' for this selection' : ''}</p>
              <p className="total-kg" data-testid="total-kg">
                {formatKg(totals.kg_co2e)}
              </p>
              <p className="total-t" data-testid="total-tonnes">
                {formatTonnes(totals.kg_co2e)}
              </p>
            </div>
            <dl className="total-counts">
              <div>
                <dt>Counted</dt>
                <dd data-testid="count-counted">{formatInt(totals.counted)}</dd>
                <dd className="small muted">entries in the total</dd>
              </div>
              <div>
                <dt>Excluded</dt>
                <dd data-testid="count-excluded">{formatInt(totals.excluded)}</dd>
                <dd className="small muted">not purchases (tax, transfers, payroll…)</dd>
              </div>
              <div>
                <dt>Unmapped</dt>
                <dd data-testid="count-unmapped" className={totals.unmapped > 0 ? 'warn-text' : undefined}>
                  {formatInt(totals.unmapped)}
                </dd>
                <dd className="small muted">could be purchases; not counted yet</dd>
              </div>
              <div>
                <dt>Spend counted</dt>
                <dd>{formatAmount(totals.spend_usd_2022)} USD</dd>
                <dd className="small muted">in 2022 US dollars</dd>
              </div>
            </dl>
          </section>

          {summary.reported.rows > 0 && (
            <ReportedBeside
              spendKg={totals.kg_co2e}
              reported={summary.reported}
              filtered={isFiltered(filter)}
              platforms={platforms}
            />
          )}

          <MethodNote method={summary.method} unmapped={totals.unmapped} onShowUnmapped={() => set({ status: 'unmapped' })} />

          <section className="panel" aria-labelledby="chart-title">
            <h2 id="chart-title" className="section-title">
              By month
            </h2>
            <MonthChart
              groups={summary.groups}
              onPickMonth={(m) => set({ from: `${m}-01`, to: lastDayOf(m) })}
            />
          </section>

          <div className="two-col">
            <section className="panel" aria-labelledby="cat-title">
              <h2 id="cat-title" className="section-title">
                By category
              </h2>
              {byCategory.isError ? (
                <ErrorView error={byCategory.error} compact onRetry={() => void byCategory.refetch()} />
              ) : (
                <BarList
                  testId="by-category"
                  total={totals.kg_co2e}
                  selected={filter.category}
                  onPick={(k) => set({ category: filter.category === k ? null : k })}
                  pickLabel={(l) => `Show only ${l}`}
                  items={(byCategory.data?.groups ?? [])
                    .filter((g) => isPositive(g.kg_co2e))
                    .map((g) => ({ key: g.key, label: g.key, kg: g.kg_co2e, note: plural(g.counted, 'entry', 'entries') }))}
                />
              )}
            </section>
            <section className="panel" aria-labelledby="src-title">
              <h2 id="src-title" className="section-title">
                By source
              </h2>
              {bySource.isError ? (
                <ErrorView error={bySource.error} compact onRetry={() => void bySource.refetch()} />
              ) : (
                <BarList
                  testId="by-source"
                  total={totals.kg_co2e}
                  selected={
                    filter.connection_id !== null
                      ? (bySource.data?.groups ?? []).find((g) => sourceKeyId(g.key, connections.data) === filter.connection_id)?.key
                      : null
                  }
                  onPick={(k) => {
                    const id = sourceKeyId(k, connections.data);
                    if (id !== null) set({ connection_id: filter.connection_id === id ? null : id });
                  }}
                  pickLabel={(l) => `Show only ${l}`}
                  items={(bySource.data?.groups ?? [])
                    .filter((g) => isPositive(g.kg_co2e))
                    .map((g) => ({
                      key: g.key,
                      label: sourceLabel(g.key, platforms, connections.data, g.connection_id),
                      kg: g.kg_co2e,
                      note: plural(g.counted, 'entry', 'entries'),
                    }))}
                />
              )}
            </section>
          </div>

          <section className="panel" aria-labelledby="ledger-title">
            <div className="section-head">
              <h2 id="ledger-title" className="section-title">
                Ledger{' '}
                <span className="count">
                  {formatInt(totals.counted + totals.excluded + totals.unmapped)} entries
                </span>
              </h2>
              <ExportButton filter={filter} />
            </div>
            <p className="small muted">
              Every line of every synced record, counted or not, newest first. Select an entry to see how its kilograms
              were calculated.
            </p>
            <Ledger filter={filter} connections={connections.data ?? []} onShowRecord={(id) => set({ record_id: id })} />
          </section>
        </>
      )}
    </div>
  );
}

/**
 * Before anything is synced: what to connect, naming the platforms that can be connected
 * today as the application lists them.
 */
function NothingYet({ platforms }: { platforms: Platforms }) {
  const names = platforms.available.map((p) => p.name);
  return (
    <EmptyState title={names.length === 1 ? `No emissions yet — connect ${names[0]} and sync` : 'No emissions yet — connect a platform and sync'}>
      <p>
        Emissions appear here once {names.length > 0 ? orList(names) : 'a platform'} is connected and synced.{' '}
        <a href={href({ page: 'integrations' })}>Go to Integrations</a>
      </p>
    </EmptyState>
  );
}

function sourceKeyId(key: string, connections: ReadonlyArray<{ id: number; provider: string; tenant_name: string }> | undefined) {
  const c = (connections ?? []).find((x) => `${x.provider}: ${x.tenant_name}` === key);
  return c ? c.id : null;
}

function MethodNote({ method, unmapped, onShowUnmapped }: { method: string; unmapped: number; onShowUnmapped: () => void }) {
  return (
    <aside className="callout method" aria-label="Method" data-testid="method">
      <p>
        <strong>Method.</strong> {method}.
      </p>
      <p className="small">
        Spend-based estimates are the least precise method in the GHG Protocol: they turn money spent into emissions
        with industry averages, so two suppliers at the same price count the same. Use them to find where emissions
        concentrate, and replace them with activity data (kWh, litres, kilometres, supplier-specific figures) where it
        matters.
        {unmapped > 0 && (
          <>
            {' '}
            {plural(unmapped, 'entry is', 'entries are')} unmapped and not in the total.{' '}
            <button type="button" className="link-button" onClick={onShowUnmapped}>
              Show unmapped entries
            </button>
          </>
        )}
      </p>
    </aside>
  );
}

const STATUS_OPTIONS: { value: LedgerStatus; label: string }[] = [
  { value: 'counted', label: 'Counted' },
  { value: 'excluded', label: 'Excluded' },
  { value: 'unmapped', label: 'Unmapped' },
];

function Filters({
  filter,
  set,
  reset,
  categories,
  platforms,
}: {
  filter: LedgerFilter;
  set: (patch: Partial<LedgerFilter>) => void;
  reset: () => void;
  categories: string[];
  platforms: Platforms;
}) {
  const id = useId();
  const sortedCategories = useMemo(() => [...categories].sort((a, b) => a.localeCompare(b)), [categories]);
  const badRange = filter.from !== null && filter.to !== null && filter.from > filter.to;
  return (
    <section className="filters panel" aria-label="Filters" data-testid="filters">
      <DayRangeFields id={id} filter={filter} set={set} testIdPrefix="filter" />
      <ScopeSelect id={`${id}-scope`} value={filter.scope} onChange={(scope) => set({ scope })} testId="filter-scope" />
      <div className="field">
        <label htmlFor={`${id}-cat`}>Category</label>
        <select
          id={`${id}-cat`}
          value={filter.category ?? ''}
          onChange={(e) => set({ category: e.target.value || null })}
          data-testid="filter-category"
        >
          <option value="">All categories</option>
          {filter.category && !sortedCategories.includes(filter.category) && <option value={filter.category}>{filter.category}</option>}
          {sortedCategories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      <ConnectionField id={id} filter={filter} set={set} platforms={platforms} testId="filter-connection" />
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={filter.status ?? ''}
          onChange={(e) => set({ status: (e.target.value || null) as LedgerStatus | null })}
          data-testid="filter-status"
        >
          <option value="">Any status</option>
          {STATUS_OPTIONS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field actions">
        <button type="button" className="button" onClick={reset} disabled={!isFiltered(filter)} data-testid="filter-reset">
          Clear filters
        </button>
      </div>
      {(filter.record_id || (filter.from && filter.to && filter.from.slice(0, 7) === filter.to.slice(0, 7))) && (
        <div className="chips">
          {filter.record_id && (
            <span className="chip">
              Record <code>{filter.record_id}</code>
              <button type="button" className="icon-button" aria-label="Show every record" onClick={() => set({ record_id: null })}>
                ×
              </button>
            </span>
          )}
          {filter.from && filter.to && filter.from.slice(0, 7) === filter.to.slice(0, 7) && (
            <span className="chip">
              {formatMonth(filter.from.slice(0, 7))}
              <button type="button" className="icon-button" aria-label="Show every month" onClick={() => set({ from: null, to: null })}>
                ×
              </button>
            </span>
          )}
        </div>
      )}
      {badRange && (
        <p className="field-error" role="alert">
          “From” is after “To”: nothing can match.
        </p>
      )}
    </section>
  );
}

function ExportButton({ filter }: { filter: LedgerFilter }) {
  const backend = useBackend();
  const { push, pushError } = useNotices();
  const m = useMutation({
    mutationFn: () => backend.exportLedgerCsv(filter),
    onSuccess: (path) => push({ tone: 'success', title: 'Ledger exported as CSV', message: 'Saved to:', code: path }),
    onError: (e) => pushError('The ledger could not be exported', toAppError(e)),
  });
  return (
    <div className="export">
      <button type="button" className="button" onClick={() => m.mutate()} disabled={m.isPending} data-testid="export-csv">
        {m.isPending ? 'Exporting…' : isFiltered(filter) ? 'Export selection as CSV' : 'Export as CSV'}
      </button>
      {m.isSuccess && (
        <p className="small export-path" data-testid="export-path">
          Saved to <code className="selectable">{m.data}</code>
        </p>
      )}
    </div>
  );
}
