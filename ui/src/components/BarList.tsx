import { useState } from 'react';
import { type DecimalString, decimalToNumber, maxDecimal } from '../lib/decimal';
import { formatKg, formatShare } from '../lib/format';

export interface BarItem {
  key: string;
  label: string;
  /** Kilograms of CO2e, an exact decimal. */
  kg: DecimalString;
  /** Secondary text under the label (e.g. the number of entries). */
  note?: string;
}

/**
 * A ranked list of horizontal bars. Each row is a button when `onPick` is given, so a
 * breakdown doubles as a filter.
 */
export function BarList({
  items,
  total,
  onPick,
  selected,
  testId,
  pickLabel,
  limit = 8,
}: {
  items: BarItem[];
  /** The whole the shares are of, in kilograms of CO2e (an exact decimal). */
  total: DecimalString;
  onPick?: (key: string) => void;
  selected?: string | null;
  testId?: string;
  pickLabel?: (label: string) => string;
  /** Rows shown before “Show all” (the selected row is always shown). */
  limit?: number;
}) {
  const [all, setAll] = useState(false);
  // Bar lengths are drawing, so numbers will do; the figures beside them are the exact decimals.
  const max = decimalToNumber(maxDecimal(['0', ...items.map((i) => i.kg)]));
  if (items.length === 0) return <p className="muted">Nothing counted in this selection.</p>;
  const shown = all || items.length <= limit + 1 ? items : items.filter((i, n) => n < limit || i.key === selected);
  const hidden = items.length - shown.length;
  return (
    <>
    <ol className="bar-list" data-testid={testId}>
      {shown.map((i) => {
        const body = (
          <>
            <span className="bar-label">
              <span className="bar-name">{i.label}</span>
              {i.note && <span className="bar-note">{i.note}</span>}
            </span>
            <span className="bar-track" aria-hidden="true">
              <span className="bar-fill" style={{ width: `${max > 0 ? Math.max(0.5, (decimalToNumber(i.kg) / max) * 100) : 0}%` }} />
            </span>
            <span className="bar-value">
              {formatKg(i.kg)}
              <span className="bar-share">{formatShare(i.kg, total)}</span>
            </span>
          </>
        );
        return (
          <li key={i.key} className={selected === i.key ? 'selected' : undefined}>
            {onPick ? (
              <button
                type="button"
                className="bar-row"
                onClick={() => onPick(i.key)}
                aria-pressed={selected === i.key}
                title={pickLabel?.(i.label)}
              >
                {body}
              </button>
            ) : (
              <div className="bar-row">{body}</div>
            )}
          </li>
        );
      })}
    </ol>
    {(hidden > 0 || all) && items.length > limit + 1 && (
      <button type="button" className="link-button small" onClick={() => setAll((a) => !a)} aria-expanded={all}>
        {all ? 'Show fewer' : `Show all ${items.length}`}
      </button>
    )}
    </>
  );
}
