import type { ReportedGroup } from '../../bindings/ReportedGroup';
import { basisLabel } from '../../lib/cloud';
import { formatInt, formatKg } from '../../lib/format';

/**
 * Reported groups (by service, by region) with both bases in their own columns. A row is a
 * button when `onPick` is given: it narrows the rows below to that group.
 */
export function ReportedGroupTable({
  groups,
  heading,
  selected,
  onPick,
  pickable = () => true,
  testId,
}: {
  groups: ReadonlyArray<ReportedGroup>;
  /** What the first column holds (`Service`). */
  heading: string;
  selected: string | null;
  onPick?: (key: string) => void;
  /** Whether a group can narrow the rows (default: every one). */
  pickable?: (key: string) => boolean;
  testId: string;
}) {
  if (groups.length === 0) return <p className="muted">Nothing reported in this selection.</p>;
  return (
    <div className="table-scroll">
      <table className="table compact" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">{heading}</th>
            <th scope="col" className="num">
              kg CO2e, {basisLabel('location')}
            </th>
            <th scope="col" className="num">
              kg CO2e, {basisLabel('market')}
            </th>
            <th scope="col" className="num">
              Rows
            </th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={`${g.key}|${g.scope ?? ''}`} className={selected === g.key ? 'selected' : undefined}>
              <th scope="row">
                {onPick && pickable(g.key) ? (
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => onPick(g.key)}
                    aria-pressed={selected === g.key}
                    title={`Show only the rows of ${g.key}`}
                  >
                    {g.key}
                  </button>
                ) : (
                  g.key
                )}
              </th>
              <td className="num">{formatKg(g.location_kg_co2e)}</td>
              <td className="num">{formatKg(g.market_kg_co2e)}</td>
              <td className="num">{formatInt(g.rows)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
