import type { ReportedOverlap } from '../../bindings/ReportedOverlap';
import { formatKg } from '../../lib/format';

/** Month, scope and category both an inventory reports and the books estimate from spend. */
function scopeLabel(o: ReportedOverlap): string {
  return o.scope3_category === null ? `Scope ${o.scope}` : `Scope ${o.scope}, category ${o.scope3_category}`;
}

/**
 * Where an inventory platform (Salesforce) and CarbonSync's spend-based ledger count the same
 * month, scope and category. Neither total adds the other in; this says so, so that nobody adds
 * them together by hand either.
 */
export function ReportedOverlaps({ overlaps, nameOf }: { overlaps: ReportedOverlap[]; nameOf: (id: number) => string }) {
  if (overlaps.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="cloud-overlaps-title" data-testid="cloud-overlaps">
      <h2 id="cloud-overlaps-title" className="section-title">
        Counted twice if added together
      </h2>
      <p className="muted">
        An inventory reports these months, scopes and categories, and CarbonSync also estimates them from spend. The
        totals never add them together; choose one for your report.
      </p>
      <table className="table">
        <thead>
          <tr>
            <th>Month</th>
            <th>Scope</th>
            <th>Reported by</th>
            <th className="num">Reported</th>
            <th className="num">Spend-based</th>
          </tr>
        </thead>
        <tbody>
          {overlaps.map((o) => (
            <tr key={`${o.connection_id}-${o.month}-${o.scope}-${o.scope3_category ?? ''}`}>
              <td>{o.month}</td>
              <td>{scopeLabel(o)}</td>
              <td>{nameOf(o.connection_id)}</td>
              <td className="num">{formatKg(o.reported_kg_co2e)}</td>
              <td className="num">{formatKg(o.spend_based_kg_co2e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
