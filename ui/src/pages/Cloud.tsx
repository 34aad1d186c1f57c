import { useId, useMemo, useState } from 'react';
import type { ReportedFilter } from '../bindings/ReportedFilter';
import { EMPTY_REPORTED_FILTER } from '../backend/types';
import { ScopeSelect } from '../components/ScopeSelect';
import { CloudMonths } from '../components/cloud/CloudMonths';
import { ReportedGroupTable } from '../components/cloud/ReportedGroupTable';
import { ReportedOverlaps } from '../components/cloud/ReportedOverlaps';
import { ReportedRows } from '../components/cloud/ReportedRows';
import { ReportedTotals } from '../components/cloud/ReportedTotals';
import { SupplierRules } from '../components/cloud/SupplierRules';
import { ErrorView } from '../components/ErrorView';
import { EmptyState, Loading } from '../components/Feedback';
import { isKeyed, reportsEmissions } from '../lib/cloud';
import { formatDay } from '../lib/format';
import { connectionLabel } from '../lib/labels';
import { type Platforms, orList } from '../lib/platforms';
import { type CloudView, href } from '../router';
import {
  useCloudEmissions,
  useCloudMonths,
  useCloudRows,
  useConnections,
  usePlatforms,
  useProviders,
  usePublicationDays,
  useSupplierRules,
} from '../state/queries';

const ROWS_PAGE = 100;

/**
 * Emissions the platforms report themselves for the accounts and organisations connected
 * (cloud footprints, a CRM's carbon inventory): imported as published, under both bases,
 * beside the spend-based estimate and never added into it (the inventory report counts them in
 * the company's scopes). Months, their bills and supplier matching are the cloud platforms' own.
 * Opened from a figure of the report, it shows that figure's rows (`view`).
 */
export function CloudPage({ view }: { view?: CloudView } = {}) {
  // A link (from a figure of the inventory report) opens the page at the rows behind it.
  const [filter, setFilter] = useState<ReportedFilter>(() => ({
    ...EMPTY_REPORTED_FILTER,
    connection_id: view?.connectionId ?? null,
    from: view?.from ?? null,
    to: view?.to ?? null,
    scope: view?.scope ?? null,
  }));
  const [limit, setLimit] = useState(ROWS_PAGE);
  const providers = useProviders();
  const platforms = usePlatforms();
  const connections = useConnections();
  const reportingIds = useMemo(
    () => (providers.data ?? []).filter((p) => p.available && reportsEmissions(p)).map((p) => p.id),
    [providers.data],
  );
  // Connected with keys: the platforms that publish by month, send a bill and have supplier rules.
  const cloudIds = useMemo(
    () => (providers.data ?? []).filter((p) => p.available && reportsEmissions(p) && isKeyed(p)).map((p) => p.id),
    [providers.data],
  );
  const reportingConnections = (connections.data ?? []).filter((c) => reportingIds.includes(c.provider));
  const cloudConnections = reportingConnections.filter((c) => cloudIds.includes(c.provider));
  // A connection of another kind (Salesforce) has no months: nothing to show when it is the one chosen.
  const showMonths =
    cloudConnections.length > 0 && (filter.connection_id === null || cloudConnections.some((c) => c.id === filter.connection_id));
  const byService = useCloudEmissions(filter, 'service');
  const byRegion = useCloudEmissions(filter, 'region');
  const months = useCloudMonths(filter.connection_id);
  const rows = useCloudRows(filter, limit);
  const rules = useSupplierRules();
  const days = usePublicationDays(cloudIds);

  const set = (patch: Partial<ReportedFilter>) => {
    setLimit(ROWS_PAGE);
    setFilter((f) => ({ ...f, ...patch }));
  };
  const totals = byService.data?.totals;

  return (
    <div className="page" data-testid="page-cloud">
      <header className="page-header">
        <h1>Cloud</h1>
        <p className="lede">
          Emissions your platforms report themselves for your accounts and organisations, imported as they publish them
          and never re-estimated. They sit beside the spend-based estimate, never inside it; every total names its basis.
          The <a href={href({ page: 'report' })}>inventory report</a> counts them in your scopes.
        </p>
      </header>

      {connections.data && reportingConnections.length === 0 && (
        <EmptyState title="No platform that reports emissions is connected">
          <p>
            Connect {orList(platforms.available.filter(reportsEmissions).map((p) => p.name)) || 'a platform'} to see the
            emissions it reports. <a href={href({ page: 'integrations' })}>Go to Integrations</a>
          </p>
        </EmptyState>
      )}

      {reportingConnections.length > 0 && (
        <>
          <CloudFilters filter={filter} set={set} connections={reportingConnections} platforms={platforms} />

          <section className="panel totals" aria-labelledby="cloud-totals-title">
            <h2 id="cloud-totals-title" className="section-title">
              Reported{Object.values(filter).some((v) => v !== null) ? ' for this selection' : ''}
            </h2>
            {byService.isPending && <Loading>Adding up what was reported…</Loading>}
            {byService.isError && <ErrorView error={byService.error} onRetry={() => void byService.refetch()} />}
            {totals && <ReportedTotals totals={totals} testId="cloud-total" />}
          </section>

          {byService.data && (
            <ReportedOverlaps
              overlaps={byService.data.overlaps}
              nameOf={(id) => {
                const c = reportingConnections.find((r) => r.id === id);
                return c ? connectionLabel(c, platforms) : `Connection ${id}`;
              }}
            />
          )}

          <div className="two-col">
            <section className="panel" aria-labelledby="cloud-service-title">
              <h2 id="cloud-service-title" className="section-title">
                By service
              </h2>
              {byService.data && (
                <ReportedGroupTable
                  groups={byService.data.groups}
                  heading="Service"
                  selected={filter.service}
                  onPick={(k) => set({ service: filter.service === k ? null : k })}
                  testId="cloud-by-service"
                />
              )}
            </section>
            <section className="panel" aria-labelledby="cloud-region-title">
              <h2 id="cloud-region-title" className="section-title">
                By region
              </h2>
              {byRegion.isError && <ErrorView error={byRegion.error} compact onRetry={() => void byRegion.refetch()} />}
              {byRegion.data && (
                <ReportedGroupTable
                  groups={byRegion.data.groups}
                  heading="Region"
                  selected={filter.region}
                  onPick={(k) => set({ region: filter.region === k ? null : k })}
                  // Rows without a region are grouped under a label that no row's region equals.
                  pickable={(k) => k !== 'No region'}
                  testId="cloud-by-region"
                />
              )}
            </section>
          </div>

          {showMonths && (
            <section className="panel" aria-labelledby="cloud-months-title">
              <h2 id="cloud-months-title" className="section-title">
                By month
              </h2>
              {months.isError && <ErrorView error={months.error} compact onRetry={() => void months.refetch()} />}
              {months.data && (
                <CloudMonths
                  months={months.data}
                  connections={cloudConnections}
                  platforms={platforms}
                  publicationDays={days}
                />
              )}
            </section>
          )}

          <section className="panel" aria-labelledby="cloud-rows-title">
            <h2 id="cloud-rows-title" className="section-title">
              Rows as published
            </h2>
            <p className="small muted">
              Every figure above is a sum of these rows. Hover a row for the platform's method and the row's key.
            </p>
            {rows.isError && <ErrorView error={rows.error} compact onRetry={() => void rows.refetch()} />}
            {rows.data && (
              <ReportedRows
                rows={rows.data}
                platforms={platforms}
                more={rows.data.length >= limit}
                onMore={() => setLimit((l) => l + ROWS_PAGE)}
              />
            )}
          </section>
        </>
      )}

      <section className="panel" aria-labelledby="rules-title">
        <h2 id="rules-title" className="section-title">
          Supplier matching
        </h2>
        <p className="small muted">
          A bill in your accounting data from a supplier matched here is covered by that platform's published month, so
          its spend-based estimate is excluded rather than counted twice. The ledger shows each such entry's reason.
        </p>
        {rules.isError && <ErrorView error={rules.error} compact onRetry={() => void rules.refetch()} />}
        {rules.data && <SupplierRules rules={rules.data} platforms={platforms} cloudPlatforms={cloudIds} />}
      </section>
    </div>
  );
}

function CloudFilters({
  filter,
  set,
  connections,
  platforms,
}: {
  filter: ReportedFilter;
  set: (patch: Partial<ReportedFilter>) => void;
  connections: ReadonlyArray<{ id: number; provider: string; tenant_name: string; sandbox: boolean }>;
  platforms: Platforms;
}) {
  const id = useId();
  return (
    <section className="filters panel" aria-label="Filters" data-testid="cloud-filters">
      <div className="field">
        <label htmlFor={`${id}-conn`}>Connection</label>
        <select
          id={`${id}-conn`}
          value={filter.connection_id ?? ''}
          onChange={(e) => set({ connection_id: e.target.value ? Number(e.target.value) : null })}
          data-testid="cloud-filter-connection"
        >
          <option value="">All connections</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {connectionLabel(c, platforms)}
            </option>
          ))}
        </select>
      </div>
      <ScopeSelect id={`${id}-scope`} value={filter.scope} onChange={(scope) => set({ scope })} testId="cloud-filter-scope" />
      {(filter.service || filter.region || filter.from || filter.to) && (
        <div className="chips">
          {(filter.from || filter.to) && (
            <span className="chip" data-testid="cloud-filter-months">
              {filter.from && filter.to
                ? `${formatDay(filter.from)} – ${formatDay(filter.to)}`
                : filter.from
                  ? `From ${formatDay(filter.from)}`
                  : `Until ${formatDay(filter.to!)}`}
              <button type="button" className="icon-button" aria-label="Show every month" onClick={() => set({ from: null, to: null })}>
                ×
              </button>
            </span>
          )}
          {filter.service && (
            <span className="chip">
              {filter.service}
              <button type="button" className="icon-button" aria-label="Show every service" onClick={() => set({ service: null })}>
                ×
              </button>
            </span>
          )}
          {filter.region && (
            <span className="chip">
              {filter.region}
              <button type="button" className="icon-button" aria-label="Show every region" onClick={() => set({ region: null })}>
                ×
              </button>
            </span>
          )}
        </div>
      )}
    </section>
  );
}
