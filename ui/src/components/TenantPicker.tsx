import { useState } from 'react';
import { useLive } from '../state/live';
import { usePlatforms } from '../state/queries';
import { Dialog } from './Dialog';

/** After a sign-in that reaches several organisations: which one to connect. */
export function TenantPicker() {
  const { choice, chooseTenant, cancelChoice } = useLive();
  const [picked, setPicked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const platforms = usePlatforms();
  if (!choice) return null;
  const selected = picked && choice.tenants.some((t) => t.tenant_id === picked) ? picked : choice.tenants[0]?.tenant_id ?? null;

  const submit = async () => {
    if (!selected) return;
    setBusy(true);
    await chooseTenant(selected);
    setBusy(false);
    setPicked(null);
  };

  return (
    <Dialog
      title={`Which ${platforms.name(choice.provider)} organisation?`}
      testId="tenant-picker"
      onClose={() => void cancelChoice()}
      initialFocus="input[type=radio]:checked"
      footer={
        <>
          <button type="button" className="button" onClick={() => void cancelChoice()} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="button primary" onClick={() => void submit()} disabled={!selected || busy} data-testid="confirm-tenant">
            {busy ? 'Connecting…' : 'Connect organisation'}
          </button>
        </>
      }
    >
      <p>Your sign-in can reach more than one organisation. Choose the one to connect; you can connect the others afterwards.</p>
      <fieldset className="choice-list">
        <legend className="visually-hidden">Organisations</legend>
        {choice.tenants.map((t) => (
          <label key={t.tenant_id} className="choice">
            <input
              type="radio"
              name="tenant"
              value={t.tenant_id}
              checked={selected === t.tenant_id}
              onChange={() => setPicked(t.tenant_id)}
              data-testid={`tenant-${t.tenant_id}`}
            />
            <span>{t.tenant_name}</span>
          </label>
        ))}
      </fieldset>
    </Dialog>
  );
}
