/** A labelled choice of GHG Protocol scope (1, 2, 3) or all of them, for a filter bar. */
export function ScopeSelect({
  id,
  value,
  onChange,
  testId,
}: {
  /** The select's element id, for its label. */
  id: string;
  value: number | null;
  onChange: (scope: number | null) => void;
  testId: string;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>Scope</label>
      <select
        id={id}
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value ? Number(e.target.value) : null)}
        data-testid={testId}
      >
        <option value="">All scopes</option>
        <option value="1">Scope 1</option>
        <option value="2">Scope 2</option>
        <option value="3">Scope 3</option>
      </select>
    </div>
  );
}
