import type { ReportedRow } from '../../bindings/ReportedRow';
import { rowBasisWords } from '../../lib/cloud';
import { formatInt, formatKg, formatMonth } from '../../lib/format';
import { scopeLabel } from '../../lib/labels';
import type { Platforms } from '../../lib/platforms';

/**
 * The providers' rows behind every reported figure, as published: the value in the
 * provider's own unit beside the kg CO2e it was converted to, the model version, and how
 * many times the provider restated it.
 */
export function ReportedRows({
  rows,
  platforms,
  more,
  onMore,
}: {
  rows: ReadonlyArray<ReportedRow>;
  platforms: Platforms;
  /** More rows may follow. */
  more: boolean;
  onMore: () => void;
}) {
  if (rows.length === 0) return <p className="muted">No rows in this selection.</p>;
  return (
    <>
      <div className="table-scroll">
        <table className="table compact" data-testid="cloud-rows">
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col">Platform</th>
              <th scope="col">Account</th>
              <th scope="col">Service</th>
              <th scope="col">Region</th>
              <th scope="col">Scope</th>
              <th scope="col">Basis</th>
              <th scope="col" className="num">
                As published
              </th>
              <th scope="col" className="num">
                kg CO2e
              </th>
              <th scope="col">Model version</th>
              <th scope="col" className="num">
                Restated
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.connection_id}|${r.row_key}`} title={`${r.method} · ${r.source} · ${r.row_key}`}>
                <td>
                  {formatMonth(r.month)}
                  {/* An inventory's footprint may cover more than its first month (a year). */}
                  {r.period_end && r.period_end.slice(0, 7) !== r.month && (
                    <span className="hint">until {r.period_end}</span>
                  )}
                </td>
                <td>{platforms.name(r.platform)}</td>
                <td>
                  {r.account_name ?? r.account}
                  {r.account_name && <span className="hint">{r.account}</span>}
                </td>
                <td>
                  {r.service}
                  {/* The record it comes from, to find it in the platform: its id, its address. */}
                  {r.source_url && r.grouping && (
                    <span className="hint" title={r.source_url} data-testid="row-source">
                      record {r.grouping}
                    </span>
                  )}
                </td>
                <td>{r.region ?? '–'}</td>
                <td>{scopeLabel(r.scope, r.scope3_category)}</td>
                <td>{rowBasisWords(r.basis)}</td>
                <td className="num">
                  {r.reported_value} {r.reported_unit}
                </td>
                <td className="num">{formatKg(r.kg_co2e)}</td>
                <td>{r.model_version ?? '–'}</td>
                <td className="num">{r.restatements > 0 ? formatInt(r.restatements) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more && (
        <button type="button" className="link-button small" onClick={onMore} data-testid="cloud-rows-more">
          Show more rows
        </button>
      )}
    </>
  );
}
