import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ChangeAfterClose } from '../bindings/ChangeAfterClose';
import type { ClosedLine } from '../bindings/ClosedLine';
import type { EmissionsGroup } from '../bindings/EmissionsGroup';
import type { InventoryReport } from '../bindings/InventoryReport';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { Period } from '../bindings/Period';
import type { PeriodClose } from '../bindings/PeriodClose';
import type { ReplacedLine } from '../bindings/ReplacedLine';
import type { ReportLine } from '../bindings/ReportLine';
import type { ReportedLine } from '../bindings/ReportedLine';
import { useBackend } from '../backend/context';
import { EMPTY_FILTER, toAppError } from '../backend/types';
import { Badge } from '../components/Badge';
import { Dialog } from '../components/Dialog';
import { ErrorView } from '../components/ErrorView';
import { EmptyState, Loading } from '../components/Feedback';
import { MonthChart } from '../components/MonthChart';
import { type DecimalString, isPositive, sumDecimals } from '../lib/decimal';
import {
  formatAmount,
  formatDateTime,
  formatDay,
  formatDecimal,
  formatInt,
  formatKg2,
  formatMonth,
  formatShare,
  formatTonnes,
  MONTH_NAMES,
  plural,
} from '../lib/format';
import { connectionLabel, ledgerStatusWords, scopeLabel } from '../lib/labels';
import { classificationWords, ruleMatchWords } from '../lib/review';
import { href } from '../router';
import { useNotices } from '../state/notices';
import {
  useChangesAfterClose,
  useConnections,
  useEmissions,
  useInventoryReport,
  usePeriodCloses,
  usePlatforms,
  useRefreshInventory,
  useReportEntries,
} from '../state/queries';

/** How many entries behind a figure are listed. */
const ENTRIES_LISTED = 500;

/** The data-quality scale of the report, 1 (best) to 5. */
const QUALITY_SCALE: ReadonlyArray<readonly [number, string]> = [
  [1, 'Reported by the supplier itself (a cloud provider’s own emissions report)'],
  [2, 'Activity data (kWh, litres, km) with a published average factor, or your inventory platform’s own calculation'],
  [3, 'A quantity estimated from spend with an average price'],
  [4, 'Spend-based, with the factor a person or a person’s rule chose for the entry'],
  [5, 'Spend-based, with the factor the account mapping gives'],
];

/** What the entries panel lists: the entries behind one figure, and what providers report in it. */
interface Selection {
  /** What the figure is, in words: `Scope 3 in 2024`. */
  title: string;
  /** The figure, kg CO2e. */
  kg: DecimalString | null;
  /** The books' entries to list; `null` when the figure is only what providers report. */
  filter: LedgerFilter | null;
  /** Only entries of this Scope 3 category (`null`: those without one); the ledger filter has none. */
  scope3Category?: number | null;
  /** Only excluded entries with this reason. */
  reason?: string;
  /** What providers report within the figure: each opens its rows on the Cloud page. */
  reported?: ReadonlyArray<ReportedLine>;
  /** Of what providers report, only this month's (`YYYY-MM`): the figure is a month's. */
  month?: string;
  /** The figure is market-based: entries and reported lines show their market-based kg. */
  market?: boolean;
  /** Counted entries of these slices are not listed: the inventory platform's figure replaces them. */
  leaveOut?: ReadonlyArray<ReplacedLine>;
  /** Only the counted entries of these slices are listed (those left out of the inventory). */
  onlyIn?: ReadonlyArray<ReplacedLine>;
}

/** Whether entry `e` is in one of the books' slices `slices` (month, scope and Scope 3 category). */
function inSlices(e: LedgerEntry, slices: ReadonlyArray<ReplacedLine>): boolean {
  const month = e.date.slice(0, 7);
  return slices.some((x) => x.month === month && x.scope === e.scope && x.scope3_category === e.scope3_category);
}

/** The Cloud page at the rows behind a reported line: its connection, the scope it was published under, the period's months (or one month). */
function cloudRoute(line: ReportedLine, period: Pick<Period, 'from' | 'to'>, month?: string) {
  return href({
    page: 'cloud',
    view: {
      connectionId: line.connection_id,
      from: month ? `${month}-01` : period.from,
      to: month ? lastDayOf(month) : period.to,
      scope: line.published_scope,
    },
  });
}

/** Where a reported figure counts: `Scope 3 · cat. 1 Purchased goods and services`, `Scope 1`. */
function countedIn(line: Pick<ReportedLine, 'scope' | 'scope3_category'>): string {
  return scopeLabel(line.scope, line.scope3_category);
}

/** A reported line's key, for React and tests: `4-3-1-2` (connection, scope, category, published scope). */
function reportedKey(l: ReportedLine): string {
  return `${l.connection_id}-${l.scope}-${l.scope3_category ?? 'none'}-${l.published_scope}`;
}

/** A replaced line's key: `2024-03-3-6` (month, scope, category). */
function replacedKey(l: ReplacedLine): string {
  return `${l.month}-${l.scope}-${l.scope3_category ?? 'none'}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function lastDayOf(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${pad(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
}

/** The financial year that starts in `year`, in words: `Apr 2024 – Mar 2025`. */
function fyWords(year: number, startMonth: number): string {
  const endMonth = ((startMonth + 10) % 12) + 1;
  const endYear = startMonth === 1 ? year : year + 1;
  return `${formatMonth(`${year}-${pad(startMonth)}`)} – ${formatMonth(`${endYear}-${pad(endMonth)}`)}`;
}

/** Signed kg CO2e, for a difference: `+12.30 kg CO2e`. */
function signedKg(kg: DecimalString): string {
  return `${isPositive(kg) ? '+' : ''}${formatKg2(kg)}`;
}

export function ReportPage() {
  const platforms = usePlatforms();
  const connections = useConnections();
  const everything = useEmissions(EMPTY_FILTER, 'month');
  const [chosen, setChosen] = useState<string | null>(null);
  const [fyStart, setFyStart] = useState(1);
  const [connectionId, setConnectionId] = useState<number | null>(null);
  const [selection, setSelection] = useState<Selection | null>(null);

  // The years to choose from: those with entries, up to this one; the latest with entries first.
  const thisYear = new Date().getFullYear();
  const dataYears = useMemo(
    () =>
      (everything.data?.groups ?? [])
        .map((g) => Number(g.key.slice(0, 4)))
        .filter((y) => Number.isInteger(y) && y > 1900),
    [everything.data],
  );
  const latest = dataYears.length > 0 ? Math.max(...dataYears) : thisYear;
  const earliest = Math.min(latest, ...dataYears);
  const years: number[] = [];
  for (let y = Math.max(latest, thisYear); y >= Math.min(earliest, thisYear - 1); y--) years.push(y);
  const ready = everything.data !== undefined || everything.isError;
  const period = chosen ?? (ready ? String(latest) : null);

  const report = useInventoryReport(period, fyStart, connectionId);
  const r = report.data;

  const choose = (patch: { period?: string; fyStart?: number; connectionId?: number | null }) => {
    if (patch.period !== undefined) setChosen(patch.period);
    if (patch.fyStart !== undefined) setFyStart(patch.fyStart);
    if (patch.connectionId !== undefined) setConnectionId(patch.connectionId);
    setSelection(null);
  };

  return (
    <div className="page" data-testid="page-report">
      <header className="page-header with-actions">
        <div>
          <h1>Report</h1>
          <p className="lede">
            The greenhouse-gas inventory of a period, as you would hand it to an auditor: every figure adds up from the
            ledger’s entries and what providers report, and each one opens what is behind it: the entries, down to the
            record, the factor and the decision, or the rows a provider published.
          </p>
        </div>
        {period !== null && <ExportButton period={period} fyStart={fyStart} connectionId={connectionId} />}
      </header>

      <section className="filters panel" aria-label="Period" data-testid="report-chooser">
        <PeriodChooser
          period={period}
          years={years}
          fyStart={fyStart}
          connectionId={connectionId}
          onChoose={choose}
          connections={(connections.data ?? []).map((c) => ({ id: c.id, label: connectionLabel(c, platforms) }))}
        />
        {r && (
          <p className="small muted report-days" data-testid="report-days">
            {r.period.label}: {formatDay(r.period.from)} – {formatDay(r.period.to)}
            {r.organisations.length > 0 && <> · {r.organisations.join(' · ')}</>}
          </p>
        )}
      </section>

      {(period === null || report.isPending) && <Loading>Adding up the inventory…</Loading>}
      {report.isError && (
        <ErrorView error={report.error} title="The report could not be made" onRetry={() => void report.refetch()} />
      )}

      {r && (
        <InventoryView
          report={r}
          connectionId={connectionId}
          selection={selection}
          onSelect={setSelection}
        />
      )}

      {period !== null && <ClosesSection period={period} fyStart={fyStart} report={r} />}
    </div>
  );
}

// ---- choosing the period ----------------------------------------------------------------------

function PeriodChooser({
  period,
  years,
  fyStart,
  connectionId,
  connections,
  onChoose,
}: {
  period: string | null;
  years: ReadonlyArray<number>;
  fyStart: number;
  connectionId: number | null;
  connections: ReadonlyArray<{ id: number; label: string }>;
  onChoose: (patch: { period?: string; fyStart?: number; connectionId?: number | null }) => void;
}) {
  const id = useId();
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-period`}>Period</label>
        <select
          id={`${id}-period`}
          value={period ?? ''}
          onChange={(e) => onChoose({ period: e.target.value })}
          data-testid="report-period"
        >
          {period !== null && !years.some((y) => period.includes(String(y))) && <option value={period}>{period}</option>}
          {years.map((y) => (
            <optgroup key={y} label={String(y)}>
              <option value={String(y)}>{y} (calendar year)</option>
              <option value={`FY${y}`}>
                FY{y} (financial year, {fyWords(y, fyStart)})
              </option>
              {[4, 3, 2, 1].map((q) => (
                <option key={q} value={`${y}-Q${q}`}>
                  Q{q} {y}
                </option>
              ))}
              {MONTH_NAMES.map((_, i) => 12 - i).map((m) => (
                <option key={m} value={`${y}-${pad(m)}`}>
                  {MONTH_NAMES[m - 1]} {y}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-fy`}>Financial year starts in</label>
        <select
          id={`${id}-fy`}
          value={fyStart}
          onChange={(e) => onChoose({ fyStart: Number(e.target.value) })}
          data-testid="report-fy-start"
        >
          {MONTH_NAMES.map((name, i) => (
            <option key={name} value={i + 1}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-conn`}>Connection</label>
        <select
          id={`${id}-conn`}
          value={connectionId ?? ''}
          onChange={(e) => onChoose({ connectionId: e.target.value ? Number(e.target.value) : null })}
          data-testid="report-connection"
        >
          <option value="">All connections</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
    </>
  );
}

// ---- the inventory ----------------------------------------------------------------------------

function InventoryView({
  report: r,
  connectionId,
  selection,
  onSelect,
}: {
  report: InventoryReport;
  connectionId: number | null;
  selection: Selection | null;
  onSelect: (s: Selection | null) => void;
}) {
  const platforms = usePlatforms();
  const total = r.inventory_kg_co2e;
  const books = r.totals.kg_co2e;
  const label = r.period.label;
  /** The counted entries of the period, narrowed by `patch`. */
  const counted = (patch: Partial<LedgerFilter> = {}): LedgerFilter => ({
    ...EMPTY_FILTER,
    connection_id: connectionId,
    from: r.period.from,
    to: r.period.to,
    status: 'counted',
    ...patch,
  });
  // A figure counts the books' entries less the slices the inventory platform reports.
  const show = (title: string, kg: DecimalString | null, filter: LedgerFilter | null, extra: Partial<Selection> = {}) =>
    onSelect({ title, kg, filter, leaveOut: r.replaced, ...extra });
  const reportedIn = (scope: number, scope3Category?: number | null) =>
    r.reported.filter((l) => l.scope === scope && (scope3Category === undefined || l.scope3_category === scope3Category));
  const showReplaced = (l: ReplacedLine) =>
    show(
      `Left out of ${label}: ${countedIn(l)} in ${formatMonth(l.month)}, reported by ${l.replaced_by}`,
      l.kg_co2e,
      counted({ from: `${l.month}-01`, to: lastDayOf(l.month), scope: l.scope }),
      { scope3Category: l.scope3_category, leaveOut: [] },
    );
  const nothing = r.totals.counted + r.totals.excluded + r.totals.unmapped === 0 && r.reported.length === 0;
  const waiting = r.changes_after_close.length;

  return (
    <>
      <Warnings
        report={r}
        onShowUnmapped={() => show(`Unmapped in ${label}`, null, counted({ status: 'unmapped' }))}
      />

      <AuditState audit={r.audit} />

      {r.closes.length > 0 && (
        <aside className="callout" data-testid="report-closed-note">
          <p>
            {r.closes.length === 1 ? 'This period includes a closed period' : 'This period includes closed periods'}:{' '}
            {r.closes.map((c) => `${c.label} (closed ${formatDateTime(new Date(c.closed_at_ms).toISOString())} by ${c.closed_by})`).join(', ')}
            . Its figures are as they were reported when closed, and as restated since.
            {waiting > 0 && (
              <>
                {' '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => document.getElementById('closes-title')?.scrollIntoView?.({ block: 'start' })}
                >
                  {plural(waiting, 'change after close waits', 'changes after close wait')}
                </button>{' '}
                for a person.
              </>
            )}
          </p>
        </aside>
      )}

      {nothing && (
        <EmptyState title={`No entries in ${label}`}>
          <p>Nothing synced is dated in this period. Choose another period, or sync your connections.</p>
        </EmptyState>
      )}

      <section className="panel" aria-labelledby="scopes-title">
        <h2 id="scopes-title" className="section-title">
          Emissions in {label}
        </h2>
        <div className="report-scopes">
          <ScopeCard
            title="Scope 1"
            note="Direct: fuel burnt in owned vehicles, plant and premises"
            kg={r.scopes.scope1_kg_co2e}
            total={total}
            testId="report-scope-1"
            onShow={() => show(`Scope 1 in ${label}`, r.scopes.scope1_kg_co2e, counted({ scope: 1 }), { reported: reportedIn(1) })}
          />
          <ScopeCard
            title="Scope 2, location-based"
            note="Purchased energy, at the grid’s average factor"
            kg={r.scopes.scope2_location_kg_co2e}
            total={total}
            testId="report-scope-2-location"
            onShow={() =>
              show(`Scope 2 (location-based) in ${label}`, r.scopes.scope2_location_kg_co2e, counted({ scope: 2 }), {
                reported: reportedIn(2),
              })
            }
          />
          <ScopeCard
            title="Scope 2, market-based"
            note="Supplier or contract factors where given, the grid average elsewhere"
            kg={r.scopes.scope2_market_kg_co2e}
            total={null}
            testId="report-scope-2-market"
            onShow={() =>
              show(`Scope 2 (market-based) in ${label}`, r.scopes.scope2_market_kg_co2e, counted({ scope: 2 }), {
                reported: reportedIn(2),
                market: true,
              })
            }
          />
          <ScopeCard
            title="Scope 3"
            note="The value chain: what was bought, travel, freight…"
            kg={r.scopes.scope3_kg_co2e}
            total={total}
            testId="report-scope-3"
            onShow={() => show(`Scope 3 in ${label}`, r.scopes.scope3_kg_co2e, counted({ scope: 3 }), { reported: reportedIn(3) })}
          />
        </div>
        <div className="report-total">
          <div>
            <p className="total-label">Total (Scope 1, Scope 2 location-based and Scope 3)</p>
            <button
              type="button"
              className="figure-link total-kg"
              data-testid="report-total"
              onClick={() => show(`Everything counted in ${label}`, total, counted(), { reported: r.reported })}
              title="Show the entries behind this figure"
            >
              {formatKg2(total)}
            </button>
            <p className="total-t" data-testid="report-total-tonnes">
              {formatTonnes(total)}
            </p>
            {(r.reported.length > 0 || r.replaced.length > 0) && (
              <dl className="report-total-parts" data-testid="report-total-parts">
                <div>
                  <dt>From the books</dt>
                  <dd>
                    <button
                      type="button"
                      className="figure-link"
                      data-testid="report-from-books"
                      onClick={() => show(`From the books in ${label}`, books, counted(), { leaveOut: [] })}
                      title="Show the counted entries"
                    >
                      {formatKg2(books)}
                    </button>{' '}
                    <span className="muted">({plural(r.totals.counted, 'counted entry', 'counted entries')})</span>
                  </dd>
                </div>
                {r.reported.length > 0 && (
                  <div>
                    <dt>Reported by providers</dt>
                    <dd>
                      +{' '}
                      <button
                        type="button"
                        className="figure-link"
                        data-testid="report-from-providers"
                        onClick={() => show(`Reported by providers in ${label}`, r.reported_kg_co2e, null, { reported: r.reported })}
                        title="Show what providers report"
                      >
                        {formatKg2(r.reported_kg_co2e)}
                      </button>
                    </dd>
                  </div>
                )}
                {r.replaced.length > 0 && (
                  <div>
                    <dt>Left out (reported by the inventory platform)</dt>
                    <dd>
                      −{' '}
                      <button
                        type="button"
                        className="figure-link"
                        data-testid="report-left-out"
                        onClick={() =>
                          show(`Left out of ${label}: reported by the inventory platform`, r.replaced_kg_co2e, counted(), {
                            leaveOut: [],
                            onlyIn: r.replaced,
                          })
                        }
                        title="Show the entries left out"
                      >
                        {formatKg2(r.replaced_kg_co2e)}
                      </button>
                    </dd>
                  </div>
                )}
              </dl>
            )}
          </div>
          <dl className="total-counts">
            <div>
              <dt>Counted</dt>
              <dd>
                <button
                  type="button"
                  className="figure-link"
                  onClick={() => show(`Counted in the books in ${label}`, books, counted(), { leaveOut: [] })}
                >
                  {formatInt(r.totals.counted)}
                </button>
              </dd>
              <dd className="small muted">entries from the books</dd>
            </div>
            <div>
              <dt>Excluded</dt>
              <dd>
                <button
                  type="button"
                  className="figure-link"
                  onClick={() => show(`Excluded in ${label}`, null, counted({ status: 'excluded' }))}
                >
                  {formatInt(r.totals.excluded)}
                </button>
              </dd>
              <dd className="small muted">not purchases, or covered by a provider’s report</dd>
            </div>
            <div>
              <dt>Unmapped</dt>
              <dd className={r.totals.unmapped > 0 ? 'warn-text' : undefined}>
                <button
                  type="button"
                  className="figure-link"
                  onClick={() => show(`Unmapped in ${label}`, null, counted({ status: 'unmapped' }))}
                >
                  {formatInt(r.totals.unmapped)}
                </button>
              </dd>
              <dd className="small muted">could be purchases; not counted yet</dd>
            </div>
            <div>
              <dt>Spend counted</dt>
              <dd>{formatAmount(r.totals.spend_usd_2022)} USD</dd>
              <dd className="small muted">in 2022 US dollars</dd>
            </div>
          </dl>
        </div>
      </section>

      {selection && (
        <EntriesPanel selection={selection} period={r.period} closed={r.closes.length > 0} onClose={() => onSelect(null)} />
      )}

      <ReportedSection report={r} onShowReplaced={showReplaced} />

      <DataQuality report={r} />

      <section className="panel" aria-labelledby="cat3-title">
        <h2 id="cat3-title" className="section-title">
          Scope 3 by category
        </h2>
        <LineTable
          testId="report-scope3-categories"
          lines={r.scope3_categories}
          total={r.scopes.scope3_kg_co2e}
          what="Category (GHG Protocol)"
          shareOf="of Scope 3"
          onShow={(l) => {
            const n = l.key === '3.99' ? null : Number(l.key.slice(2));
            show(`Scope 3 category ${l.label} in ${label}`, l.kg_co2e, counted({ scope: 3 }), {
              scope3Category: n,
              reported: reportedIn(3, n),
            });
          }}
        />
      </section>

      <div className="two-col">
        <section className="panel" aria-labelledby="conn-title">
          <h2 id="conn-title" className="section-title">
            By connection
          </h2>
          <LineTable
            testId="report-by-connection"
            lines={r.by_connection}
            total={total}
            what="Organisation"
            onShow={(l) => {
              const reported = r.reported.filter((x) => String(x.connection_id) === l.key);
              // A provider's connection has no entries in the books: only what it reports.
              const filter = l.entries === 0 && reported.length > 0 ? null : counted({ connection_id: Number(l.key) });
              show(`${l.label} in ${label}`, l.kg_co2e, filter, { reported });
            }}
          />
        </section>
        <section className="panel" aria-labelledby="bycat-title">
          <h2 id="bycat-title" className="section-title">
            By category
          </h2>
          <LineTable
            testId="report-by-category"
            lines={r.by_category}
            total={total}
            what="Category"
            onShow={(l) => {
              // A provider's figures are a line of their own, `Reported by <source>`.
              const reported = r.reported.filter((x) => `Reported by ${x.source}` === l.key);
              if (reported.length > 0) show(`${l.label} in ${label}`, l.kg_co2e, null, { reported });
              else show(`${l.label} in ${label}`, l.kg_co2e, counted(l.key === 'Uncategorised' ? {} : { category: l.key }));
            }}
          />
        </section>
      </div>

      <MonthsSection
        report={r}
        onShow={(month, scope, kg) => {
          const days = { from: `${month}-01`, to: lastDayOf(month) };
          show(
            `${scope === null ? 'Everything counted' : scopeLabel(scope)} in ${formatMonth(month)}`,
            kg,
            counted(scope === null ? days : { ...days, scope }),
            { reported: scope === null ? r.reported : reportedIn(scope), month },
          );
        }}
      />

      <section className="panel" aria-labelledby="mix-title">
        <h2 id="mix-title" className="section-title">
          How the numbers were made
        </h2>
        {r.method_mix.length === 0 ? (
          <p className="muted">Nothing counted in this period.</p>
        ) : (
          <div className="table-scroll">
            <table className="table compact" data-testid="report-method-mix">
              <thead>
                <tr>
                  <th scope="col">Method</th>
                  <th scope="col" className="num">
                    Data quality
                  </th>
                  <th scope="col" className="num">
                    Entries
                  </th>
                  <th scope="col" className="num">
                    kg CO2e
                  </th>
                  <th scope="col" className="num">
                    Share
                  </th>
                </tr>
              </thead>
              <tbody>
                {r.method_mix.map((m) => (
                  <tr key={m.method}>
                    <th scope="row">{m.label}</th>
                    <td className="num">{m.data_quality}</td>
                    <td className="num">{formatInt(m.entries)}</td>
                    <td className="num">{formatKg2(m.kg_co2e)}</td>
                    <td className="num">{formatShare(m.kg_co2e, total)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="excluded-title">
        <h2 id="excluded-title" className="section-title">
          Excluded, and why
        </h2>
        {r.excluded.length === 0 ? (
          <p className="muted">Nothing was excluded in this period.</p>
        ) : (
          <div className="table-scroll">
            <table className="table compact" data-testid="report-excluded">
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col" className="num">
                    Entries
                  </th>
                  <th scope="col" className="num">
                    Amounts (excluding tax)
                  </th>
                </tr>
              </thead>
              <tbody>
                {r.excluded.map((g) => (
                  <tr key={g.reason}>
                    <th scope="row">{g.reason}</th>
                    <td className="num">
                      <button
                        type="button"
                        className="figure-link"
                        onClick={() =>
                          show(`Excluded in ${label}: ${g.reason}`, null, counted({ status: 'excluded' }), { reason: g.reason })
                        }
                        title="Show these entries"
                      >
                        {formatInt(g.entries)}
                      </button>
                    </td>
                    <td className="num">
                      {Object.entries(g.amounts).map(([currency, amount]) => (
                        <span key={currency} className="block nowrap">
                          {formatAmount(amount)} <span className="muted">{currency}</span>
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="sources-title">
        <h2 id="sources-title" className="section-title">
          Sources
        </h2>
        <div className="two-col">
          <div>
            <h3 className="small-title">Emission factors</h3>
            {r.factor_sets.length === 0 ? (
              <p className="muted">No factor used.</p>
            ) : (
              <ul className="report-sources" data-testid="report-factor-sets">
                {r.factor_sets.map((s) => (
                  <li key={`${s.name} ${s.version}`}>
                    {s.name} <span className="muted">{s.version}</span> · {plural(s.entries, 'entry', 'entries')}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div>
            <h3 className="small-title">Exchange rates and price index</h3>
            {r.conversions.length === 0 ? (
              <p className="muted">No conversion used.</p>
            ) : (
              <ul className="report-sources" data-testid="report-conversions">
                {r.conversions.map((c) => (
                  <li key={`${c.fx_source}|${c.deflator_source}`}>
                    <span className="block">{c.fx_source}</span>
                    <span className="block small muted">{c.deflator_source}</span>
                    <span className="small">{plural(c.entries, 'entry', 'entries')}</span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
      </section>

      <section className="panel" aria-labelledby="rules-title">
        <h2 id="rules-title" className="section-title">
          Rules in force <span className="count">{formatInt(r.rules.length)}</span>
        </h2>
        {r.rules.length === 0 ? (
          <p className="muted">No person’s rule decides entries: the account mapping and people’s decisions do.</p>
        ) : (
          <ol className="report-rules" data-testid="report-rules">
            {r.rules.map((rule) => (
              <li key={rule.id}>
                <span className="strong">{rule.name}</span>{' '}
                <span className="small">
                  <span className="muted">when</span> {ruleMatchWords(rule.match, platforms.name)} <span className="muted">→</span>{' '}
                  {classificationWords(rule.classification)} · {plural(rule.entries, 'entry', 'entries')}
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="panel" aria-labelledby="notes-title">
        <h2 id="notes-title" className="section-title">
          Method
        </h2>
        <ul className="report-notes" data-testid="report-method-notes">
          {r.method_notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
        <p className="small muted">
          Made {formatDateTime(new Date(r.generated_at_ms).toISOString())} by {r.generated_by}.
        </p>
      </section>
    </>
  );
}

/**
 * What providers report for the period, counted in the inventory in the company's scopes, each
 * line opening the rows published; and the books' entries left out because the inventory
 * platform reports their month, scope and category, each opening those entries.
 */
function ReportedSection({ report: r, onShowReplaced }: { report: InventoryReport; onShowReplaced: (l: ReplacedLine) => void }) {
  const label = r.period.label;
  const marketOnly = r.reported_by_providers.scope2_market_only_kg_co2e;
  return (
    <section className="panel" aria-labelledby="reported-title" data-testid="report-reported">
      <h2 id="reported-title" className="section-title">
        Reported by providers
      </h2>
      <p className="small muted">
        What cloud providers and your inventory platform report for {label}, counted in the inventory location-based. A
        cloud provider’s figures are your purchased services (Scope 3, category 1), whatever scope it files them under;
        Salesforce Net Zero Cloud’s count in the scopes it reports. Each figure opens the rows as published.
      </p>
      {r.reported.length === 0 ? (
        <p className="muted">No provider reports emissions for this period.</p>
      ) : (
        <div className="table-scroll">
          <table className="table compact" data-testid="report-reported-lines">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Counted in</th>
                <th scope="col">Published as</th>
                <th scope="col" className="num">
                  Months
                </th>
                <th scope="col" className="num">
                  kg CO2e
                </th>
                <th scope="col" className="num">
                  Market-based
                </th>
              </tr>
            </thead>
            <tbody>
              {r.reported.map((l) => (
                <tr key={reportedKey(l)} data-testid={`report-reported-${reportedKey(l)}`}>
                  <th scope="row">
                    {l.source}
                    <span className="small muted block">
                      {l.method === 'reported_by_inventory' ? 'Your inventory platform' : 'The supplier’s own report'}
                    </span>
                  </th>
                  <td>{countedIn(l)}</td>
                  <td className="nowrap">Scope {l.published_scope}</td>
                  <td className="num">
                    {formatInt(l.months)}
                    {l.period_end && <span className="small muted block">until {formatDay(l.period_end)}</span>}
                  </td>
                  <td className="num">
                    <a
                      className="figure-link"
                      href={cloudRoute(l, r.period)}
                      data-testid={`report-reported-kg-${reportedKey(l)}`}
                      title={`Open the rows ${l.source} published`}
                    >
                      {formatKg2(l.kg_co2e)}
                    </a>
                  </td>
                  <td className="num">{formatKg2(l.market_kg_co2e)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={4}>
                  Counted in the total
                </th>
                <td className="num strong" data-testid="report-reported-total">
                  {formatKg2(r.reported_kg_co2e)}
                </td>
                <td className="num">{formatKg2(sumDecimals(r.reported.map((l) => l.market_kg_co2e)))}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
      {isPositive(marketOnly) && (
        <p className="small" data-testid="report-market-only">
          A provider publishes Scope 2 market-based only: {formatKg2(marketOnly)} of what it reports is in the market-based
          figures and missing from the location-based ones.
        </p>
      )}
      {r.replaced.length > 0 && (
        <div data-testid="report-replaced">
          <h3 className="small-title">Left out of the books</h3>
          <p className="small muted">
            The books’ entries of a month, scope and category your inventory platform reports: its figure is the more
            specific one, so they are not counted. Each figure opens the entries.
          </p>
          <div className="table-scroll">
            <table className="table compact" data-testid="report-replaced-lines">
              <thead>
                <tr>
                  <th scope="col">Month</th>
                  <th scope="col">Scope</th>
                  <th scope="col" className="num">
                    Entries
                  </th>
                  <th scope="col" className="num">
                    kg CO2e
                  </th>
                  <th scope="col">Reported instead by</th>
                </tr>
              </thead>
              <tbody>
                {r.replaced.map((l) => (
                  <tr key={`${replacedKey(l)}-${l.replaced_by}`} data-testid={`report-replaced-${replacedKey(l)}`}>
                    <th scope="row">{formatMonth(l.month)}</th>
                    <td>{countedIn(l)}</td>
                    <td className="num">
                      <button
                        type="button"
                        className="figure-link"
                        onClick={() => onShowReplaced(l)}
                        title="Show the entries left out"
                      >
                        {formatInt(l.entries)}
                      </button>
                    </td>
                    <td className="num">
                      <button
                        type="button"
                        className="figure-link"
                        onClick={() => onShowReplaced(l)}
                        title="Show the entries left out"
                        data-testid={`report-replaced-kg-${replacedKey(l)}`}
                      >
                        {formatKg2(l.kg_co2e)}
                      </button>
                    </td>
                    <td>{l.replaced_by}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={2}>
                    Left out of the total
                  </th>
                  <td className="num">{formatInt(r.replaced.reduce((n, l) => n + l.entries, 0))}</td>
                  <td className="num strong" data-testid="report-replaced-total">
                    {formatKg2(r.replaced_kg_co2e)}
                  </td>
                  <td />
                </tr>
              </tfoot>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}

/** Whether a warning is the one about unmapped entries. */
function isUnmappedWarning(w: string): boolean {
  return /\bunmapped\b/i.test(w);
}

/**
 * What the reader must know before relying on the numbers, each saying what to do, as the PDF
 * shows them after its title block; nothing when there is nothing to know. The warning about
 * unmapped entries lists them here (each opens on the Review page) and opens the review queue.
 */
function Warnings({ report: r, onShowUnmapped }: { report: InventoryReport; onShowUnmapped: () => void }) {
  const id = useId();
  if (r.warnings.length === 0) return null;
  return (
    <section className="callout warn report-warnings" role="alert" aria-labelledby={`${id}-title`} data-testid="report-warnings">
      <h2 id={`${id}-title`} className="report-warnings-title">
        Before relying on these numbers
      </h2>
      <ul className="report-warnings-list">
        {r.warnings.map((w, i) => (
          <li key={i} data-testid="report-warning">
            {w}
            {isUnmappedWarning(w) && r.totals.unmapped > 0 && (
              <span className="report-warning-actions">
                <button type="button" className="link-button" onClick={onShowUnmapped} data-testid="report-warning-unmapped">
                  List the {plural(r.totals.unmapped, 'unmapped entry', 'unmapped entries')} of {r.period.label}
                </button>
                <span aria-hidden="true"> · </span>
                <a href={href({ page: 'review' })} data-testid="report-warning-review">
                  Open the review queue
                </a>{' '}
                <span className="muted">(unmapped entries first)</span>
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function AuditState({ audit }: { audit: InventoryReport['audit'] }) {
  if (audit.intact) {
    return (
      <p className="callout ok report-audit" data-testid="report-audit">
        Audit trail intact: {plural(audit.rows, 'row', 'rows')} checked
      </p>
    );
  }
  return (
    <div className="callout warn report-audit broken" role="alert" data-testid="report-audit">
      <p className="strong">
        Audit trail broken at row {audit.broken_at ?? '?'}: {audit.problem ?? 'the chain does not hold'}
      </p>
      <p className="small">
        A row of the trail was changed, removed or inserted outside CarbonSync after it was written. Keep the database
        as it is and tell whoever audits these numbers; the figures below are still the ledger’s.
      </p>
    </div>
  );
}

function ScopeCard({
  title,
  note,
  kg,
  total,
  testId,
  onShow,
}: {
  title: string;
  note: string;
  kg: DecimalString;
  /** The total the figure is a share of; `null` when it is not part of it (market-based Scope 2). */
  total: DecimalString | null;
  testId: string;
  onShow: () => void;
}) {
  return (
    <div className="report-scope">
      <p className="total-label">{title}</p>
      <button type="button" className="figure-link report-figure" data-testid={testId} onClick={onShow} title="Show what is behind this figure">
        {formatKg2(kg)}
      </button>
      <p className="small muted">
        {formatTonnes(kg)}
        {total !== null && isPositive(total) && <> · {formatShare(kg, total)}</>}
      </p>
      <p className="small muted">{note}</p>
    </div>
  );
}

function DataQuality({ report: r }: { report: InventoryReport }) {
  const used = new Set(r.method_mix.map((m) => m.data_quality));
  return (
    <section className="panel" aria-labelledby="dq-title" data-testid="report-dq">
      <h2 id="dq-title" className="section-title">
        Data quality
      </h2>
      {r.data_quality_score === null ? (
        <p className="muted">No score: nothing is counted in this period.</p>
      ) : (
        <p>
          <span className="report-figure" data-testid="report-dq-score">
            {formatDecimal(r.data_quality_score, 2)}
          </span>{' '}
          on a scale of 1 (best) to 5, the mean quality of what is counted (the entries and what providers report),
          weighted by kg CO2e.
        </p>
      )}
      <ol className="dq-scale">
        {QUALITY_SCALE.map(([n, words]) => (
          <li key={n} className={used.has(n) ? 'used' : undefined}>
            <span className="dq-level">{n}</span> {words}
            {used.has(n) && <span className="muted"> · in this period</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function LineTable({
  lines,
  total,
  what,
  shareOf = 'of the total',
  testId,
  onShow,
}: {
  lines: ReadonlyArray<ReportLine>;
  total: DecimalString;
  what: string;
  shareOf?: string;
  testId: string;
  onShow: (line: ReportLine) => void;
}) {
  if (lines.length === 0) return <p className="muted">Nothing counted in this period.</p>;
  return (
    <div className="table-scroll">
      <table className="table compact" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">{what}</th>
            <th scope="col" className="num">
              Entries
            </th>
            <th scope="col" className="num">
              kg CO2e
            </th>
            <th scope="col" className="num">
              Share {shareOf}
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.key} data-testid={`${testId}-${l.key}`}>
              <th scope="row">{l.label}</th>
              <td className="num">{formatInt(l.entries)}</td>
              <td className="num">
                <button type="button" className="figure-link" onClick={() => onShow(l)} title={`Show the entries of ${l.label}`}>
                  {formatKg2(l.kg_co2e)}
                </button>
              </td>
              <td className="num">{formatShare(l.kg_co2e, total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MonthsSection({
  report: r,
  onShow,
}: {
  report: InventoryReport;
  onShow: (month: string, scope: number | null, kg: DecimalString) => void;
}) {
  // The chart draws emissions groups: one a month and scope.
  const groups = useMemo<EmissionsGroup[]>(
    () =>
      r.by_month.flatMap((m) =>
        m.by_scope.map((kg, i) => ({
          key: m.month,
          scope: i + 1,
          connection_id: null,
          kg_co2e: kg,
          spend_usd_2022: '0',
          counted: 0,
          excluded: 0,
          unmapped: 0,
        })),
      ),
    [r.by_month],
  );
  const kgOf = (month: string) => r.by_month.find((m) => m.month === month)?.kg_co2e ?? '0';
  return (
    <section className="panel" aria-labelledby="months-title">
      <h2 id="months-title" className="section-title">
        By month
      </h2>
      <MonthChart groups={groups} onPickMonth={(m) => onShow(m, null, kgOf(m))} />
      <div className="table-scroll">
        <table className="table compact" data-testid="report-by-month">
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="num">
                Scope 1
              </th>
              <th scope="col" className="num">
                Scope 2 (location)
              </th>
              <th scope="col" className="num">
                Scope 3
              </th>
              <th scope="col" className="num">
                Total kg CO2e
              </th>
            </tr>
          </thead>
          <tbody>
            {r.by_month.map((m) => (
              <tr key={m.month} data-testid={`report-month-${m.month}`}>
                <th scope="row">{formatMonth(m.month)}</th>
                {m.by_scope.map((kg, i) => (
                  <td key={i} className="num">
                    <button
                      type="button"
                      className="figure-link"
                      onClick={() => onShow(m.month, i + 1, kg)}
                      title={`Show the Scope ${i + 1} entries of ${formatMonth(m.month)}`}
                    >
                      {formatDecimal(kg, 2)}
                    </button>
                  </td>
                ))}
                <td className="num">
                  <button
                    type="button"
                    className="figure-link strong"
                    onClick={() => onShow(m.month, null, m.kg_co2e)}
                    title={`Show the entries of ${formatMonth(m.month)}`}
                  >
                    {formatDecimal(m.kg_co2e, 2)}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The entries behind a figure, each opening its whole trail, and what providers report in it, each opening its rows. */
function EntriesPanel({
  selection,
  period,
  closed,
  onClose,
}: {
  selection: Selection;
  period: Period;
  closed: boolean;
  onClose: () => void;
}) {
  const page = useReportEntries(selection.filter, ENTRIES_LISTED);
  // A figure that is only what providers report lists no entries.
  const data = selection.filter === null ? undefined : page.data;
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [selection]);
  const { leaveOut = [], onlyIn, reported = [], month } = selection;
  const entries: LedgerEntry[] = (data?.entries ?? []).filter(
    (e) =>
      (selection.scope3Category === undefined || e.scope3_category === selection.scope3Category) &&
      (selection.reason === undefined || (e.reason ?? 'No reason given') === selection.reason) &&
      (e.status !== 'counted' || !inSlices(e, leaveOut)) &&
      (onlyIn === undefined || inSlices(e, onlyIn)),
  );
  const narrowed =
    selection.scope3Category !== undefined || selection.reason !== undefined || leaveOut.length > 0 || onlyIn !== undefined;
  const more = data && data.total > data.entries.length;
  const kgOf = (e: LedgerEntry) => (selection.market ? (e.market_kg_co2e ?? e.kg_co2e) : e.kg_co2e);
  return (
    <section className="panel report-entries" aria-labelledby="entries-title" data-testid="report-entries">
      <div className="section-head">
        <h2 id="entries-title" className="section-title" tabIndex={-1} ref={ref}>
          {selection.title}
          {selection.kg !== null && <span className="count"> · {formatKg2(selection.kg)}</span>}
        </h2>
        <button type="button" className="button small" onClick={onClose}>
          Close
        </button>
      </div>
      {reported.length > 0 && (
        <div data-testid="report-entries-reported">
          <h3 className="small-title">
            {month ? `Reported by providers for ${formatMonth(month)}, where they report it` : 'Reported by providers'}
          </h3>
          <ul className="report-sources">
            {reported.map((l) => (
              <li key={reportedKey(l)}>
                <a
                  href={cloudRoute(l, period, month)}
                  data-testid={`report-entries-reported-${reportedKey(l)}`}
                  title="Open the rows the provider published"
                >
                  {l.source}
                </a>{' '}
                <span className="small muted">
                  · {countedIn(l)}, published as Scope {l.published_scope}
                </span>
                {month === undefined && (
                  <span className="small"> · {formatKg2(selection.market ? l.market_kg_co2e : l.kg_co2e)}</span>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {selection.filter !== null && (
        <p className="small muted">
          The entries behind the figure{reported.length > 0 ? ', from the books' : ''}. Open one to see its record, its
          factor, the conversions, the decision or rule that decided it, and every change to it.
          {leaveOut.length > 0 && ' Entries your inventory platform reports instead are left out.'}
          {closed && ' The entries are as the ledger holds them now; a closed period’s figures are as reported.'}
        </p>
      )}
      {selection.filter !== null && page.isPending && <Loading>Reading the entries…</Loading>}
      {selection.filter !== null && page.isError && <ErrorView error={page.error} compact onRetry={() => void page.refetch()} />}
      {data && entries.length === 0 && <p className="muted">{reported.length > 0 ? 'No entries from the books.' : 'No entries.'}</p>}
      {entries.length > 0 && (
        <div className="table-scroll">
          <table className="table compact" data-testid="report-entries-table">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Supplier</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Category</th>
                <th scope="col">Scope</th>
                <th scope="col" className="num">
                  {selection.market ? 'kg CO2e (market-based)' : 'kg CO2e'}
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td className="nowrap">{formatDay(e.date)}</td>
                  <td>
                    <a
                      href={href({ page: 'review', entryId: e.id })}
                      data-testid={`report-entry-${e.id}`}
                      title="Open the entry with everything behind its number"
                    >
                      {e.contact ?? `Entry ${e.id}`}
                    </a>
                  </td>
                  <td>{e.description ?? '–'}</td>
                  <td className="num nowrap">
                    {formatAmount(e.net_amount)} <span className="muted">{e.currency}</span>
                  </td>
                  <td>{e.category ?? (e.status === 'counted' ? '–' : ledgerStatusWords(e.status).label)}</td>
                  <td className="nowrap">{scopeLabel(e.scope, e.scope3_category)}</td>
                  <td className="num">{kgOf(e) === null ? <span className="muted">–</span> : formatDecimal(kgOf(e), 2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && (
        <p className="small muted" data-testid="report-entries-count">
          {more
            ? `The first ${formatInt(data.entries.length)} of ${formatInt(data.total)} entries${narrowed ? ', narrowed' : ''}.`
            : plural(entries.length, 'entry', 'entries')}
        </p>
      )}
    </section>
  );
}

function ExportButton({ period, fyStart, connectionId }: { period: string; fyStart: number; connectionId: number | null }) {
  const backend = useBackend();
  const { push, pushError } = useNotices();
  const m = useMutation({
    mutationFn: () => backend.exportInventory(period, fyStart, connectionId),
    onSuccess: (path) =>
      push({
        tone: 'success',
        title: 'Inventory report exported as PDF',
        message: 'Saved to the path below; its CSV tables and the audit trail are in a folder beside it.',
        code: path,
      }),
    onError: (e) => pushError('The report could not be exported', toAppError(e)),
  });
  // A new period is a new report: the path of the last one no longer applies.
  const reset = m.reset;
  useEffect(() => reset(), [period, fyStart, connectionId, reset]);
  return (
    <div className="export header-actions">
      <button type="button" className="button primary" onClick={() => m.mutate()} disabled={m.isPending} data-testid="report-export">
        {m.isPending ? 'Exporting…' : 'Export PDF'}
      </button>
      {m.isSuccess && (
        <p className="small export-path" data-testid="report-export-path">
          Saved to <code className="selectable">{m.data}</code>
        </p>
      )}
    </div>
  );
}

// ---- period close -------------------------------------------------------------------------------

function ClosesSection({ period, fyStart, report }: { period: string; fyStart: number; report: InventoryReport | undefined }) {
  const backend = useBackend();
  const refresh = useRefreshInventory();
  const { push } = useNotices();
  const closes = usePeriodCloses();
  const changes = useChangesAfterClose();
  const id = useId();
  const [note, setNote] = useState('');
  const [why, setWhy] = useState('');
  const [reopening, setReopening] = useState<PeriodClose | null>(null);
  const label = report?.period.label ?? period;

  const close = useMutation({
    mutationFn: () => backend.closePeriod(period, fyStart, note.trim() || null),
    onSuccess: (c) => {
      refresh();
      setNote('');
      push({
        tone: 'success',
        title: `Closed ${c.label}`,
        message: `${formatKg2(c.reported.kg_co2e)} from ${plural(c.entries, 'entry', 'entries')}, as reported from now on.`,
      });
    },
  });
  const restate = useMutation({
    mutationFn: ({ label, ids }: { label: string; ids: number[] | null }) => backend.restatePeriod(label, ids, why.trim() || null),
    onSuccess: (r) => {
      refresh();
      setWhy('');
      push({
        tone: 'success',
        title: `Restated ${r.label}: ${plural(r.entries, 'change', 'changes')} accepted`,
        message: `${formatKg2(r.before.kg_co2e)} as reported before → ${formatKg2(r.after.kg_co2e)} now.`,
      });
    },
  });
  const leave = useMutation({
    mutationFn: ({ label, ids }: { label: string; ids: number[] | null }) => backend.leaveChanges(label, ids, why.trim() || null),
    onSuccess: (n, { label }) => {
      refresh();
      setWhy('');
      push({
        tone: 'success',
        title: `Left ${plural(n, 'change', 'changes')} out of ${label}`,
        message: 'Its reported numbers stay as they were; a change is listed again if the entry changes once more.',
      });
    },
  });
  const busy = close.isPending || restate.isPending || leave.isPending;
  const list = closes.data ?? [];
  const waiting = changes.data ?? [];
  const byClose = new Map<number, ChangeAfterClose[]>();
  for (const c of waiting) byClose.set(c.close_id, [...(byClose.get(c.close_id) ?? []), c]);
  const actionError = restate.error ?? leave.error;

  return (
    <section className="panel" aria-labelledby="closes-title" data-testid="closes">
      <h2 id="closes-title" className="section-title">
        Period close
      </h2>
      <p className="small muted">
        Closing a period freezes its numbers as reported. Later syncs and decisions that change its entries are listed
        here as changes after close, and count only once you restate them. Reopening needs a reason, which goes in the
        audit trail.
      </p>

      <div className="form-row close-form">
        <div className="field grow">
          <label htmlFor={`${id}-note`}>Note (optional)</label>
          <input
            id={`${id}-note`}
            type="text"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder="e.g. figures sent to the board on 10 February"
            data-testid="close-note"
          />
        </div>
        <div className="field actions">
          <button
            type="button"
            className="button primary"
            onClick={() => close.mutate()}
            disabled={busy}
            data-testid="close-period"
          >
            {close.isPending ? 'Closing…' : `Close ${label}`}
          </button>
        </div>
      </div>
      {close.isError && <ErrorView error={close.error} title={`${label} was not closed`} compact />}

      {closes.isPending && <Loading>Reading the closes…</Loading>}
      {closes.isError && <ErrorView error={closes.error} compact onRetry={() => void closes.refetch()} />}
      {closes.data && list.length === 0 && <p className="muted">No period is closed yet.</p>}
      {list.length > 0 && (
        <div className="table-scroll">
          <table className="table compact" data-testid="closes-list">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Days</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Reported
                </th>
                <th scope="col" className="num">
                  Changes waiting
                </th>
                <th scope="col">Closed</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => {
                const standing = c.reopened_at_ms === null && c.taken_into === null;
                return (
                  <tr key={c.id} data-testid={`close-row-${c.id}`}>
                    <th scope="row">{c.label}</th>
                    <td className="nowrap">
                      {formatDay(c.from)} – {formatDay(c.to)}
                    </td>
                    <td>
                      {standing ? (
                        <Badge tone="ok">Closed</Badge>
                      ) : c.taken_into !== null ? (
                        <Badge tone="muted">Taken in</Badge>
                      ) : (
                        <Badge tone="muted">Reopened</Badge>
                      )}
                      {c.taken_into !== null && (
                        <span className="small block" data-testid={`taken-into-${c.id}`}>
                          Taken into {c.taken_into} when it was closed
                        </span>
                      )}
                      {c.took_in.length > 0 && (
                        <span className="small muted block">Took in {c.took_in.join(', ')} as they reported</span>
                      )}
                      {c.reopened_at_ms !== null && (
                        <span className="small block">
                          {c.reopened_by}, {formatDateTime(new Date(c.reopened_at_ms).toISOString())}: {c.reopen_reason}
                        </span>
                      )}
                    </td>
                    <td className="num nowrap">
                      {formatKg2(c.reported.kg_co2e)}
                      <span className="small muted block">{plural(c.entries, 'entry', 'entries')}</span>
                    </td>
                    <td className={c.changes_after_close > 0 ? 'num warn-text' : 'num'}>{formatInt(c.changes_after_close)}</td>
                    <td>
                      {c.closed_by}, {formatDateTime(new Date(c.closed_at_ms).toISOString())}
                      {c.note && <span className="small muted block">Note: {c.note}</span>}
                    </td>
                    <td>
                      {standing && (
                        <button
                          type="button"
                          className="button small"
                          onClick={() => setReopening(c)}
                          disabled={busy}
                          data-testid={`reopen-${c.id}`}
                        >
                          Reopen…
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <div className="changes-after-close" data-testid="changes-after-close">
        <h3 className="small-title">
          Changes after close {changes.data && <span className="count">{formatInt(waiting.length)}</span>}
        </h3>
        {changes.isError && <ErrorView error={changes.error} compact onRetry={() => void changes.refetch()} />}
        {changes.data && waiting.length === 0 && <p className="muted">No change waits: every closed period is as it was reported.</p>}
        {waiting.length > 0 && (
          <>
            <div className="field">
              <label htmlFor={`${id}-why`}>Why (optional, goes in the audit trail with a restatement or a change left)</label>
              <input
                id={`${id}-why`}
                type="text"
                value={why}
                onChange={(e) => setWhy(e.target.value)}
                placeholder="e.g. the supplier’s credit note arrived after the close"
                data-testid="changes-why"
              />
            </div>
            {actionError && <ErrorView error={actionError} title="Nothing was changed" compact />}
            {[...byClose].map(([closeId, rows]) => {
              const closeLabel = rows[0]!.label;
              const difference = sumDecimals(rows.map((c) => c.kg_co2e_difference));
              return (
                <div key={closeId} className="change-group">
                  <div className="section-head">
                    <p className="strong">
                      {closeLabel}: {plural(rows.length, 'change', 'changes')}{' '}
                      <span className="muted small">({signedKg(difference)} if all were restated)</span>
                    </p>
                    <button
                      type="button"
                      className="button small"
                      onClick={() => restate.mutate({ label: closeLabel, ids: null })}
                      disabled={busy}
                      data-testid={`restate-all-${closeId}`}
                    >
                      Restate all
                    </button>
                  </div>
                  <div className="table-scroll">
                    <table className="table compact">
                      <thead>
                        <tr>
                          <th scope="col">Entry</th>
                          <th scope="col">Change</th>
                          <th scope="col">Was (reported)</th>
                          <th scope="col">Now</th>
                          <th scope="col" className="num">
                            Difference
                          </th>
                          <th scope="col">
                            <span className="visually-hidden">Actions</span>
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {rows.map((c) => (
                          <tr key={`${c.close_id}-${c.entry_id}`} data-testid={`change-${c.entry_id}`}>
                            <td>
                              <a href={href({ page: 'review', entryId: c.entry_id })}>{c.contact ?? `Entry ${c.entry_id}`}</a>
                              <span className="small muted block">{c.description ?? '–'}</span>
                            </td>
                            <td>
                              <Badge tone={c.kind === 'changed' ? 'warn' : 'info'}>{KIND_WORDS[c.kind]}</Badge>
                            </td>
                            <td>
                              <LineWords line={c.reported} none="Not in the period when closed" />
                            </td>
                            <td>
                              <LineWords line={c.now} none="Gone from the ledger" />
                            </td>
                            <td className="num nowrap" data-testid={`change-difference-${c.entry_id}`}>
                              {signedKg(c.kg_co2e_difference)}
                            </td>
                            <td className="nowrap">
                              <button
                                type="button"
                                className="button small"
                                onClick={() => restate.mutate({ label: c.label, ids: [c.entry_id] })}
                                disabled={busy}
                                data-testid={`restate-${c.entry_id}`}
                              >
                                Restate
                              </button>{' '}
                              <button
                                type="button"
                                className="button small subtle"
                                onClick={() => leave.mutate({ label: c.label, ids: [c.entry_id] })}
                                disabled={busy}
                                data-testid={`leave-${c.entry_id}`}
                              >
                                Leave
                              </button>
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </div>
              );
            })}
          </>
        )}
      </div>

      {reopening && <ReopenDialog close={reopening} onClose={() => setReopening(null)} />}
    </section>
  );
}

const KIND_WORDS: Record<ChangeAfterClose['kind'], string> = {
  added: 'Added',
  removed: 'Left the period',
  changed: 'Changed',
};

function LineWords({ line, none }: { line: ClosedLine | null; none: string }) {
  if (!line) return <span className="muted">{none}</span>;
  const status = ledgerStatusWords(line.status);
  return (
    <span className="small">
      <span className="block">
        {formatDay(line.date)} · {formatAmount(line.net_amount)} {line.currency}
      </span>
      <span className="block">
        {line.status === 'counted' ? (
          <>
            {formatKg2(line.kg_co2e)} · {line.category ?? '–'}
          </>
        ) : (
          <>
            {status.label}
            {line.reason && <span className="muted">: {line.reason}</span>}
          </>
        )}
      </span>
    </span>
  );
}

function ReopenDialog({ close, onClose }: { close: PeriodClose; onClose: () => void }) {
  const backend = useBackend();
  const refresh = useRefreshInventory();
  const { push } = useNotices();
  const id = useId();
  const [reason, setReason] = useState('');
  const reopen = useMutation({
    mutationFn: () => backend.reopenPeriod(close.label, reason),
    onSuccess: (c) => {
      refresh();
      push({ tone: 'success', title: `Reopened ${c.label}`, message: 'Its numbers are the live ledger’s again.' });
      onClose();
    },
  });
  return (
    <Dialog
      title={`Reopen ${close.label}?`}
      onClose={onClose}
      testId="reopen-dialog"
      initialFocus="[data-testid='reopen-reason']"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={reopen.isPending}>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            onClick={() => reopen.mutate()}
            disabled={reopen.isPending}
            data-testid="reopen-confirm"
          >
            {reopen.isPending ? 'Reopening…' : 'Reopen'}
          </button>
        </>
      }
    >
      <p>
        {close.label} was reported as {formatKg2(close.reported.kg_co2e)}. Reopened, it reads the ledger as it is now
        {close.changes_after_close > 0 ? `, with the ${plural(close.changes_after_close, 'change', 'changes')} after close` : ''}.
      </p>
      <div className="field">
        <label htmlFor={`${id}-reason`}>Why is it reopened?</label>
        <input
          id={`${id}-reason`}
          type="text"
          value={reason}
          onChange={(e) => {
            setReason(e.target.value);
            reopen.reset();
          }}
          placeholder="e.g. a supplier’s invoice for March arrived in May"
          data-testid="reopen-reason"
          aria-describedby={`${id}-hint`}
        />
        <span id={`${id}-hint`} className="hint">
          Required: the reason goes in the audit trail.
        </span>
      </div>
      {reopen.isError && <ErrorView error={reopen.error} title={`${close.label} was not reopened`} compact />}
    </Dialog>
  );
}
