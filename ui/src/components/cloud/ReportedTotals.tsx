import type { ReportedTotals as Totals } from '../../bindings/ReportedTotals';
import { basisLabel } from '../../lib/cloud';
import { isZero } from '../../lib/decimal';
import { formatInt, formatKg, formatTonnes } from '../../lib/format';

/**
 * What the platforms reported, location- and market-based side by side; each figure
 * names its basis, since the two differ wherever renewable electricity was bought. Scope 2
 * that a platform publishes market-based only is named with its amount, since the
 * location-based total leaves it out.
 */
export function ReportedTotals({ totals, testId = 'reported' }: { totals: Totals; testId?: string }) {
  return (
    <dl className="reported-totals" data-testid={testId}>
      <BasisTotal label={basisLabel('location')} kg={totals.location_kg_co2e} testId={`${testId}-location`} />
      <BasisTotal label={basisLabel('market')} kg={totals.market_kg_co2e} testId={`${testId}-market`} />
      {!isZero(totals.scope2_market_only_kg_co2e) && (
        <div data-testid={`${testId}-market-only`}>
          <dt>Scope 2 market-based only</dt>
          <dd>{formatKg(totals.scope2_market_only_kg_co2e)}</dd>
          <dd className="small muted">
            published market-based only (as Microsoft Azure does): in the market-based total, and the location-based
            total is short by this much
          </dd>
        </div>
      )}
      <div>
        <dt>Rows</dt>
        <dd>{formatInt(totals.rows)}</dd>
        <dd className="small muted">as the platforms published them</dd>
      </div>
    </dl>
  );
}

function BasisTotal({ label, kg, testId }: { label: string; kg: string; testId: string }) {
  return (
    <div>
      <dt>Reported, {label}</dt>
      <dd className="reported-kg" data-testid={testId}>
        {formatKg(kg)}
      </dd>
      <dd className="small muted">
        {formatTonnes(kg)} · {label}
      </dd>
    </div>
  );
}
