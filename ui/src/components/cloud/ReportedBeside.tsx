import type { ReportedTotals as Totals } from '../../bindings/ReportedTotals';
import { reportsEmissions } from '../../lib/cloud';
import type { DecimalString } from '../../lib/decimal';
import { formatKg, formatTonnes } from '../../lib/format';
import { type Platforms, orList } from '../../lib/platforms';
import { href } from '../../router';
import { ReportedTotals } from './ReportedTotals';

/**
 * The spend-based estimate and what the platforms reported themselves for the same
 * selection, side by side: two methods, each with its basis named, never added together.
 */
export function ReportedBeside({
  spendKg,
  reported,
  filtered,
  platforms,
}: {
  spendKg: DecimalString;
  reported: Totals;
  filtered: boolean;
  platforms: Platforms;
}) {
  const reporting = orList(platforms.available.filter(reportsEmissions).map((p) => p.name)) || 'your platforms';
  return (
    <section className="panel" aria-labelledby="beside-title" data-testid="reported-beside">
      <h2 id="beside-title" className="section-title">
        Spend-based and reported, side by side{filtered ? ' for this selection' : ''}
      </h2>
      <dl className="reported-totals">
        <div>
          <dt>Estimated, spend-based</dt>
          <dd className="reported-kg" data-testid="beside-spend">
            {formatKg(spendKg)}
          </dd>
          <dd className="small muted">{formatTonnes(spendKg)} · from accounting spend</dd>
        </div>
      </dl>
      <ReportedTotals totals={reported} testId="beside-reported" />
      <p className="small muted">
        Reported figures are what {reporting} published for your accounts and organisations; they are not in the
        spend-based total, and accounting bills a cloud platform's month covers are excluded from it so nothing counts
        twice. <a href={href({ page: 'cloud' })}>See the reported figures</a>
      </p>
    </section>
  );
}
