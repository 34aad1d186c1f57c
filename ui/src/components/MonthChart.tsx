import { useId, useMemo, useRef, useState } from 'react';
import type { EmissionsGroup } from '../bindings/EmissionsGroup';
import { decimalToNumber } from '../lib/decimal';
import { formatCompact, formatKg, formatKgNumber, formatMonth } from '../lib/format';
import { scopeLabel } from '../lib/labels';
import { niceTicks, stackByScope } from '../lib/stack';
import { useWidth } from '../lib/useWidth';

const HEIGHT = 240;
const PAD = { top: 12, right: 8, bottom: 34, left: 52 };

/**
 * Emissions per month, stacked by scope, drawn as plain SVG. Arrow keys (or the pointer)
 * move between months and the line above the chart reads the selected month out; a
 * click or Enter narrows the period to that month. Every figure printed is the exact decimal
 * (the stacking adds up decimals); numbers are made of them only to place bars and ticks.
 */
export function MonthChart({
  groups,
  onPickMonth,
}: {
  groups: ReadonlyArray<EmissionsGroup>;
  onPickMonth?: (month: string) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref, 720);
  const data = useMemo(() => stackByScope(groups), [groups]);
  const [active, setActive] = useState<number | null>(null);
  const readoutId = useId();

  const n = data.columns.length;
  const ticks = niceTicks(data.max);
  const top = decimalToNumber(ticks[ticks.length - 1] ?? '0');
  const plotW = Math.max(50, width - PAD.left - PAD.right);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = n > 0 ? plotW / n : plotW;
  const barW = Math.max(2, Math.min(36, slot * 0.7));
  const y = (v: number) => PAD.top + plotH - (top > 0 ? (v / top) * plotH : 0);
  const labelEvery = Math.max(1, Math.ceil(46 / slot));

  const current = active !== null ? data.columns[active] : null;

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (n === 0) return;
    const i = active ?? n - 1;
    if (e.key === 'ArrowRight') setActive(Math.min(n - 1, active === null ? n - 1 : i + 1));
    else if (e.key === 'ArrowLeft') setActive(Math.max(0, active === null ? n - 1 : i - 1));
    else if (e.key === 'Home') setActive(0);
    else if (e.key === 'End') setActive(n - 1);
    else if ((e.key === 'Enter' || e.key === ' ') && active !== null && onPickMonth) {
      onPickMonth(data.columns[active]!.month);
    } else return;
    e.preventDefault();
  };

  if (n === 0) return <p className="muted">No counted emissions in this period.</p>;

  return (
    <div className="chart" ref={ref}>
      <div className="chart-head">
        <ul className="legend" aria-label="Scopes">
          {data.scopes.map((s) => (
            <li key={s}>
              <span className={`swatch scope-${s}`} aria-hidden="true" />
              {scopeLabel(s)}
            </li>
          ))}
        </ul>
        <p className="readout" id={readoutId} aria-live="polite">
          {current ? (
            <>
              <strong>{formatMonth(current.month)}</strong> · {formatKg(current.total)}
              {data.scopes.length > 1 &&
                data.scopes.map((s, i) => (
                  <span key={s} className="muted">
                    {' '}
                    · {scopeLabel(s)} {formatKg(current.values[i] ?? '0')}
                  </span>
                ))}
            </>
          ) : (
            <span className="muted">Point at a month, or focus the chart and use the arrow keys.</span>
          )}
        </p>
      </div>
      <svg
        width={width}
        height={HEIGHT}
        role="group"
        aria-label={`Emissions by month, ${formatMonth(data.columns[0]!.month)} to ${formatMonth(data.columns[n - 1]!.month)}, stacked by scope`}
        aria-describedby={readoutId}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onBlur={() => setActive(null)}
        onMouseLeave={() => setActive(null)}
        className="chart-svg"
        data-testid="month-chart"
      >
        {ticks.map((t) => {
          const ty = y(decimalToNumber(t));
          return (
            <g key={t}>
              <line x1={PAD.left} x2={width - PAD.right} y1={ty} y2={ty} className="grid-line" />
              <text x={PAD.left - 6} y={ty} dy="0.32em" textAnchor="end" className="axis-label">
                {formatCompact(t)}
              </text>
            </g>
          );
        })}
        <text x={12} y={PAD.top + plotH / 2} transform={`rotate(-90 12 ${PAD.top + plotH / 2})`} textAnchor="middle" className="axis-label">
          kg CO2e
        </text>
        {data.columns.map((c, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          let acc = 0;
          const [yy, mm] = [c.month.slice(0, 4), Number(c.month.slice(5, 7))];
          const showLabel = i % labelEvery === 0;
          return (
            <g
              key={c.month}
              className={active === i ? 'bar active' : 'bar'}
              onMouseEnter={() => setActive(i)}
              onClick={() => onPickMonth?.(c.month)}
            >
              <rect x={PAD.left + i * slot} y={PAD.top} width={slot} height={plotH} className="bar-hit" />
              {c.values.map((v, si) => {
                // Geometry only: the height of a slice, never a figure shown.
                const kg = decimalToNumber(v);
                if (!(kg > 0)) return null;
                const y0 = y(acc);
                acc += kg;
                const y1 = y(acc);
                return (
                  <rect
                    key={si}
                    x={x}
                    y={y1}
                    width={barW}
                    height={Math.max(0.5, y0 - y1)}
                    className={`scope-${data.scopes[si]}`}
                    rx={1.5}
                  />
                );
              })}
              {showLabel && (
                <text x={x + barW / 2} y={HEIGHT - PAD.bottom + 14} textAnchor="middle" className="axis-label">
                  {formatMonth(c.month).slice(0, 3)}
                </text>
              )}
              {showLabel && (mm === 1 || i === 0) && (
                <text x={x + barW / 2} y={HEIGHT - PAD.bottom + 28} textAnchor="middle" className="axis-label year">
                  {yy}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details className="chart-table">
        <summary>Chart data as a table</summary>
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Month</th>
              {data.scopes.map((s) => (
                <th key={s} scope="col" className="num">
                  {scopeLabel(s)} (kg CO2e)
                </th>
              ))}
              <th scope="col" className="num">
                Total (kg CO2e)
              </th>
            </tr>
          </thead>
          <tbody>
            {data.columns.map((c) => (
              <tr key={c.month}>
                <th scope="row">{formatMonth(c.month)}</th>
                {c.values.map((v, i) => (
                  <td key={i} className="num">
                    {formatKgNumber(v)}
                  </td>
                ))}
                <td className="num">{formatKgNumber(c.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
