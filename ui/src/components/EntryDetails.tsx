import type { Connection } from '../bindings/Connection';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import { type DecimalString, multiplyDecimals } from '../lib/decimal';
import { formatAmount, formatDay, formatKg } from '../lib/format';
import { ledgerStatusWords, scopeLabel } from '../lib/labels';
import { usePlatforms } from '../state/queries';
import { Badge, SandboxBadge } from './Badge';
import { Dialog } from './Dialog';

const usd = (amount: DecimalString) => `${formatAmount(amount)} USD`;

/**
 * One ledger entry with every step from the amount to the kilograms, for an auditor to retrace.
 * Rates, deflators and factors are shown as the application stored them, digit for digit.
 */
export function EntryDetails({
  entry: e,
  connection,
  onClose,
  onShowRecord,
}: {
  entry: LedgerEntry;
  connection: Connection | undefined;
  onClose: () => void;
  onShowRecord: (recordId: string) => void;
}) {
  const platforms = usePlatforms();
  const status = ledgerStatusWords(e.status);
  const counted = e.status === 'counted';
  // Exact, like every step after it: the amount times the rate, as decimals.
  const usdNominal = e.fx_rate !== null ? multiplyDecimals(e.net_amount, e.fx_rate) : null;
  return (
    <Dialog
      title={`${platforms.streamSingular(e.stream, connection?.provider)} line ${e.line_no} · ${formatDay(e.date)}`}
      onClose={onClose}
      testId="entry-details"
      initialFocus=".dialog-footer .primary"
      footer={
        <>
          <button type="button" className="button" onClick={() => onShowRecord(e.record_id)}>
            Show every line of this record
          </button>
          <button type="button" className="button primary" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <dl className="detail-grid">
        <dt>Status</dt>
        <dd>
          <Badge tone={status.tone}>{status.label}</Badge> {e.reason ?? status.detail}
        </dd>
        <dt>Source</dt>
        <dd>
          {e.source}
          {connection && <> ({platforms.name(connection.provider)})</>} {connection?.sandbox && <SandboxBadge />}
        </dd>
        <dt>Record</dt>
        <dd>
          <code className="selectable">{e.record_id}</code>, line {e.line_no}
        </dd>
        <dt>Contact</dt>
        <dd>{e.contact ?? '–'}</dd>
        <dt>Description</dt>
        <dd>{e.description ?? '–'}</dd>
        <dt>Account</dt>
        <dd>
          {e.account_code ?? '–'} {e.account_name ?? ''}
          {e.rule_id && <span className="muted"> · mapping rule {e.rule_id}</span>}
        </dd>
        <dt>Category</dt>
        <dd>
          {e.category ?? '–'}
          {e.scope !== null && <span className="muted"> · {scopeLabel(e.scope, e.scope3_category)}</span>}
        </dd>
      </dl>

      {counted && e.fx_rate !== null && e.deflator !== null && e.amount_usd_2022 !== null && e.factor_value !== null && (
        <section className="calc" aria-label="Calculation">
          <h3 className="small-title">How the kilograms were calculated</h3>
          <table className="table compact calc-table">
            <tbody>
              <tr>
                <th scope="row">Net amount (excluding tax)</th>
                <td className="num mono">
                  {formatAmount(e.net_amount)} {e.currency}
                </td>
                <td className="muted small">as recorded</td>
              </tr>
              <tr>
                <th scope="row">× exchange rate</th>
                <td className="num mono">
                  {e.fx_rate} USD/{e.currency}
                </td>
                <td className="muted small">{e.fx_source === 'identity' ? 'already in USD' : e.fx_source}</td>
              </tr>
              <tr>
                <th scope="row">= in US dollars</th>
                <td className="num mono">{usdNominal !== null ? usd(usdNominal) : '–'}</td>
                <td />
              </tr>
              <tr>
                <th scope="row">× price deflator to 2022</th>
                <td className="num mono">{e.deflator}</td>
                <td className="muted small">{e.deflator_source}</td>
              </tr>
              <tr>
                <th scope="row">= in 2022 US dollars</th>
                <td className="num mono">{usd(e.amount_usd_2022)}</td>
                <td />
              </tr>
              <tr>
                <th scope="row">× emission factor</th>
                <td className="num mono">{e.factor_value}</td>
                <td className="small">
                  {e.factor_unit}; NAICS {e.factor_code} {e.factor_title}
                  <span className="muted block">
                    {e.factor_set} {e.factor_version}
                  </span>
                </td>
              </tr>
              <tr className="total-row">
                <th scope="row">= emissions</th>
                <td className="num mono strong">{e.kg_co2e !== null ? formatKg(e.kg_co2e) : '–'}</td>
                <td />
              </tr>
            </tbody>
          </table>
        </section>
      )}
    </Dialog>
  );
}
