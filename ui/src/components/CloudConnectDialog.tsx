import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { CredentialField } from '../bindings/CredentialField';
import type { ProviderView } from '../bindings/ProviderView';
import { useBackend } from '../backend/context';
import { connectionLabel } from '../lib/labels';
import { useLive } from '../state/live';
import { useNotices } from '../state/notices';
import { useCloudFields, usePlatforms, useRefreshData } from '../state/queries';
import { Dialog } from './Dialog';
import { ErrorView } from './ErrorView';
import { Loading } from './Feedback';

/**
 * Connects a cloud account with keys: the platform's own form, as the application lists its
 * fields. Secrets are typed into password fields and go to the keychain only; once stored
 * they are never shown again (connecting again with new ones replaces them). Typed keys go to
 * the provider itself; "Use the sandbox's account" connects the built-in sandbox's generated
 * account instead, with nothing typed.
 */
export function CloudConnectDialog({
  provider: p,
  reconnect,
  onClose,
}: {
  provider: ProviderView;
  /** An account of this platform is already connected: its stored secrets stay hidden. */
  reconnect: boolean;
  onClose: () => void;
}) {
  const backend = useBackend();
  const fields = useCloudFields(p.id);
  const refresh = useRefreshData();
  const platforms = usePlatforms();
  const { push } = useNotices();
  const { syncNow } = useLive();
  const [values, setValues] = useState<Record<string, string>>({});

  const m = useMutation({
    mutationFn: ({ typed, sandbox }: { typed: Record<string, string>; sandbox: boolean }) =>
      backend.connectCloud(p.id, typed, sandbox),
    onSuccess: (c) => {
      setValues({});
      refresh();
      push({
        tone: 'success',
        title: `Connected ${connectionLabel(c, platforms)}`,
        message: 'Its keys are in the keychain. Its first sync has started.',
      });
      void syncNow(c.id);
      onClose();
    },
  });

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    m.mutate({ typed: values, sandbox: false });
  };

  return (
    <Dialog
      title={`Connect ${p.name}`}
      onClose={onClose}
      testId={`cloud-connect-${p.id}`}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={m.isPending}>
            Cancel
          </button>
          <button
            type="button"
            className="button"
            onClick={() => m.mutate({ typed: {}, sandbox: true })}
            disabled={m.isPending}
            data-testid="cloud-use-sandbox"
          >
            Use the sandbox's account
          </button>
          <button
            type="submit"
            form={`cloud-form-${p.id}`}
            className="button primary"
            disabled={m.isPending || !fields.data}
            data-testid="cloud-connect-submit"
          >
            {m.isPending ? 'Checking the keys…' : 'Check and connect'}
          </button>
        </>
      }
    >
      <p>
        {p.name} is connected with keys, not a sign-in. CarbonSync asks {p.name} whether they work before keeping
        anything; secrets go to this computer's keychain only and are never shown again.
      </p>
      {reconnect && (
        <p className="hint" data-testid="cloud-reconnect-note">
          An account is already connected: its stored secrets stay hidden. To replace one, fill in the form again; the
          new keys replace the old ones and the history is kept.
        </p>
      )}
      <p className="hint">
        Keys typed here are checked by {p.name} itself. To try CarbonSync without an account, choose “Use the
        sandbox's account”: the built-in sandbox's generated {p.name} account, labelled Sandbox.
      </p>
      {fields.isPending && <Loading>Reading the form…</Loading>}
      {fields.isError && <ErrorView error={fields.error} title="The form could not be read" compact />}
      {fields.data && (
        <form id={`cloud-form-${p.id}`} className="cloud-form" onSubmit={submit} autoComplete="off">
          {fields.data.map((f) => (
            <CredentialInput
              key={f.name}
              field={f}
              value={values[f.name] ?? ''}
              onChange={(v) => setValues((all) => ({ ...all, [f.name]: v }))}
            />
          ))}
        </form>
      )}
      {m.isError && <ErrorView error={m.error} title={`${p.name} was not connected`} compact />}
    </Dialog>
  );
}

/** One field of the form: its label, "optional" when it may be left empty, its help below. */
function CredentialInput({ field: f, value, onChange }: { field: CredentialField; value: string; onChange: (v: string) => void }) {
  const id = useId();
  const [file, setFile] = useState<string | null>(null);
  // A secret the CLI reads from a file (a service-account key) can be read from one here too.
  const fromFile = f.secret && f.flag !== '';
  const readFile = (e: React.ChangeEvent<HTMLInputElement>) => {
    const picked = e.target.files?.[0];
    e.target.value = '';
    if (!picked) return;
    void picked.text().then((text) => {
      setFile(picked.name);
      onChange(text);
    });
  };
  return (
    <div className="field cloud-field">
      <label htmlFor={id}>
        {f.label}
        {f.optional && <span className="muted small"> (optional)</span>}
      </label>
      <input
        id={id}
        type={f.secret ? 'password' : 'text'}
        value={value}
        onChange={(e) => {
          setFile(null);
          onChange(e.target.value);
        }}
        autoComplete={f.secret ? 'new-password' : 'off'}
        spellCheck={false}
        required={false}
        aria-describedby={`${id}-help`}
        data-testid={`cloud-field-${f.name}`}
      />
      {fromFile && (
        <label className="button small file-button">
          Read from a file…
          <input type="file" accept=".json,application/json" onChange={readFile} className="visually-hidden" />
        </label>
      )}
      {file && <p className="small muted">Read from {file}.</p>}
      <p id={`${id}-help`} className="small muted field-help">
        {f.help}
      </p>
    </div>
  );
}
