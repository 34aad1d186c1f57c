import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { SupplierRule } from '../../bindings/SupplierRule';
import { useBackend } from '../../backend/context';
import type { Platforms } from '../../lib/platforms';
import { useRefreshData } from '../../state/queries';
import { ErrorView } from '../ErrorView';

/**
 * The rules that match suppliers in the accounting data to cloud platforms: a bill from a
 * matching supplier is covered by that platform's published month instead of being counted
 * again spend-based. Each can be switched off; new ones apply at once.
 */
export function SupplierRules({
  rules,
  platforms,
  cloudPlatforms,
}: {
  rules: ReadonlyArray<SupplierRule>;
  platforms: Platforms;
  /** The cloud platforms a rule can name, by id. */
  cloudPlatforms: ReadonlyArray<string>;
}) {
  const backend = useBackend();
  const refresh = useRefreshData();
  const toggle = useMutation({
    mutationFn: ({ id, enabled }: { id: number; enabled: boolean }) => backend.setSupplierRuleEnabled(id, enabled),
    onSuccess: refresh,
  });
  return (
    <>
      {rules.length === 0 ? (
        <p className="muted">No rules yet: each cloud platform brings its own when it is first connected.</p>
      ) : (
        <ul className="rule-list" data-testid="supplier-rules">
          {rules.map((r) => (
            <li key={r.id} className="rule">
              <label className="switch">
                <input
                  type="checkbox"
                  role="switch"
                  checked={r.enabled}
                  disabled={toggle.isPending}
                  onChange={(e) => toggle.mutate({ id: r.id, enabled: e.target.checked })}
                  data-testid={`rule-${r.id}`}
                />
                <span>
                  Supplier name contains <strong>{r.pattern}</strong> → {platforms.name(r.platform)}
                  {r.unless && <> (unless the line says {r.unless})</>}
                  <span className="hint">
                    {r.origin === 'user' ? 'Added by you' : 'Shipped with CarbonSync'} · {r.enabled ? 'on' : 'off'}
                  </span>
                </span>
              </label>
            </li>
          ))}
        </ul>
      )}
      {toggle.isError && <ErrorView error={toggle.error} title="The rule could not be changed" compact />}
      {cloudPlatforms.length > 0 && <AddRule platforms={platforms} cloudPlatforms={cloudPlatforms} />}
    </>
  );
}

function AddRule({ platforms, cloudPlatforms }: { platforms: Platforms; cloudPlatforms: ReadonlyArray<string> }) {
  const backend = useBackend();
  const refresh = useRefreshData();
  const id = useId();
  const [platform, setPlatform] = useState(cloudPlatforms[0] ?? '');
  const [pattern, setPattern] = useState('');
  const [unless, setUnless] = useState('');
  const add = useMutation({
    mutationFn: () => backend.addSupplierRule(platform, pattern.trim(), unless.trim() || null),
    onSuccess: () => {
      setPattern('');
      setUnless('');
      refresh();
    },
  });
  return (
    <form
      className="toolbar add-rule"
      onSubmit={(e) => {
        e.preventDefault();
        if (pattern.trim()) add.mutate();
      }}
    >
      <div className="field grow">
        <label htmlFor={`${id}-pattern`}>Supplier name contains</label>
        <input
          id={`${id}-pattern`}
          value={pattern}
          onChange={(e) => setPattern(e.target.value)}
          placeholder="e.g. Amazon Web Services EMEA"
          data-testid="rule-pattern"
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-unless`}>Unless the line says (optional)</label>
        <input id={`${id}-unless`} value={unless} onChange={(e) => setUnless(e.target.value)} data-testid="rule-unless" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-platform`}>Covered by</label>
        <select id={`${id}-platform`} value={platform} onChange={(e) => setPlatform(e.target.value)} data-testid="rule-platform">
          {cloudPlatforms.map((p) => (
            <option key={p} value={p}>
              {platforms.name(p)}
            </option>
          ))}
        </select>
      </div>
      <div className="field actions">
        <button type="submit" className="button" disabled={add.isPending || !pattern.trim()} data-testid="rule-add">
          {add.isPending ? 'Adding…' : 'Add rule'}
        </button>
      </div>
      {add.isError && <ErrorView error={add.error} title="The rule could not be added" compact />}
    </form>
  );
}
