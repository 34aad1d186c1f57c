import type { Connection } from '../../bindings/Connection';
import type { ReportedMonth } from '../../bindings/ReportedMonth';
import { basisLabel, pendingWords } from '../../lib/cloud';
import { formatAmount, formatInt, formatKg, formatMonth, plural } from '../../lib/format';
import { connectionLabel } from '../../lib/labels';
import type { Platforms } from '../../lib/platforms';

/**
 * Each month of each cloud connection: published (with its sums under both bases) or pending
 * (not zero: not published yet, with the day it is expected), the platform's bill where it
 * was read, and the accounting entries the month covers so they are not counted twice.
 */
export function CloudMonths({
  months,
  connections,
  platforms,
  publicationDays,
}: {
  months: ReadonlyArray<ReportedMonth>;
  connections: ReadonlyArray<Connection>;
  platforms: Platforms;
  /** By platform id. */
  publicationDays: ReadonlyMap<string, number>;
}) {
  if (months.length === 0) return <p className="muted">No months yet: sync a cloud connection.</p>;
  const byId = new Map(connections.map((c) => [c.id, c]));
  const several = new Set(months.map((m) => m.connection_id)).size > 1;
  return (
    <div className="table-scroll">
      <table className="table compact" data-testid="cloud-months">
        <thead>
          <tr>
            <th scope="col">Month</th>
            {several && <th scope="col">Connection</th>}
            <th scope="col">State</th>
            <th scope="col" className="num">
              kg CO2e, {basisLabel('location')}
            </th>
            <th scope="col" className="num">
              kg CO2e, {basisLabel('market')}
            </th>
            <th scope="col" className="num">
              Bill
            </th>
            <th scope="col">Accounting spend covered</th>
          </tr>
        </thead>
        <tbody>
          {months.map((m) => {
            const c = byId.get(m.connection_id);
            const pending = m.state === 'pending';
            return (
              <tr key={`${m.connection_id}|${m.month}`} data-testid={`cloud-month-${m.connection_id}-${m.month}`}>
                <th scope="row">{formatMonth(m.month)}</th>
                {several && <td>{c ? connectionLabel(c, platforms) : `Connection ${m.connection_id}`}</td>}
                <td className={pending ? 'warn-text' : undefined}>
                  {pending ? pendingWords(m.month, c ? publicationDays.get(c.provider) : undefined) : 'Published'}
                </td>
                <td className="num">{pending ? <NotYet /> : formatKg(m.location_kg_co2e)}</td>
                <td className="num">{pending ? <NotYet /> : formatKg(m.market_kg_co2e)}</td>
                <td className="num">{m.spend !== null ? `${formatAmount(m.spend)} ${m.spend_currency ?? ''}`.trim() : '–'}</td>
                <td>
                  {m.covered_entries > 0 ? (
                    <>
                      {plural(m.covered_entries, 'accounting entry', 'accounting entries')} excluded
                      <span className="hint">{formatKg(m.covered_kg_co2e)} spend-based not counted twice</span>
                    </>
                  ) : (
                    <span className="muted">{pending ? 'none until published' : 'none'}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="small muted">
        A pending month is not zero: the platform has not published it yet, so it counts as nothing and covers no
        accounting spend until it does. Entries a month covers stay in the ledger as excluded, with the reason.
      </p>
      <p className="visually-hidden">{formatInt(months.length)} months.</p>
    </div>
  );
}

function NotYet() {
  return <span className="muted">not yet published</span>;
}
