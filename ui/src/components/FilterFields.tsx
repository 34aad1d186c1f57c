// The fields the ledger's selections share, on the Emissions and Review pages: a range of days
// and a connection. Each page keeps its own test ids through `testIdPrefix`.

import type { LedgerFilter } from '../bindings/LedgerFilter';
import { connectionLabel } from '../lib/labels';
import type { Platforms } from '../lib/platforms';
import { useConnections } from '../state/queries';

type Set = (patch: Partial<LedgerFilter>) => void;

/** From and To, each bounded by the other; To is marked invalid when it comes before From. */
export function DayRangeFields({ id, filter, set, testIdPrefix }: { id: string; filter: LedgerFilter; set: Set; testIdPrefix: string }) {
  const badRange = filter.from !== null && filter.to !== null && filter.from > filter.to;
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-from`}>From</label>
        <input
          id={`${id}-from`}
          type="date"
          value={filter.from ?? ''}
          max={filter.to ?? undefined}
          onChange={(e) => set({ from: e.target.value || null })}
          data-testid={`${testIdPrefix}-from`}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>To</label>
        <input
          id={`${id}-to`}
          type="date"
          value={filter.to ?? ''}
          min={filter.from ?? undefined}
          onChange={(e) => set({ to: e.target.value || null })}
          data-testid={`${testIdPrefix}-to`}
          aria-invalid={badRange || undefined}
        />
      </div>
    </>
  );
}

/** Every connection, disconnected ones marked, or all of them. */
export function ConnectionField({
  id,
  filter,
  set,
  platforms,
  testId,
}: {
  id: string;
  filter: LedgerFilter;
  set: Set;
  platforms: Platforms;
  testId: string;
}) {
  const connections = useConnections().data ?? [];
  return (
    <div className="field">
      <label htmlFor={`${id}-conn`}>Connection</label>
      <select
        id={`${id}-conn`}
        value={filter.connection_id ?? ''}
        onChange={(e) => set({ connection_id: e.target.value ? Number(e.target.value) : null })}
        data-testid={testId}
      >
        <option value="">All connections</option>
        {connections.map((c) => (
          <option key={c.id} value={c.id}>
            {connectionLabel(c, platforms)}
            {c.status === 'disconnected' ? ' – disconnected' : ''}
          </option>
        ))}
      </select>
    </div>
  );
}
