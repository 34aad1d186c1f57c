import { useId, useState } from 'react';
import type { AppError } from '../bindings/AppError';
import { toAppError } from '../backend/types';

/** A technical detail, hidden until asked for; `label` names it (default "Technical details"). */
export function TechnicalDetails({ detail, label = 'Technical details' }: { detail: string | null | undefined; label?: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  if (!detail) return null;
  return (
    <div className="tech">
      <button type="button" className="link-button" aria-expanded={open} aria-controls={id} onClick={() => setOpen((o) => !o)}>
        {open ? `Hide ${label.charAt(0).toLowerCase()}${label.slice(1)}` : label}
      </button>
      {open && (
        <pre id={id} className="tech-detail">
          {detail}
        </pre>
      )}
    </div>
  );
}

/** An error as a person reads it: what happened and what to do, then the detail on request. */
export function ErrorView({
  error,
  title,
  onRetry,
  compact,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  compact?: boolean;
}) {
  const e: AppError = toAppError(error);
  return (
    <div className={compact ? 'error-box compact' : 'error-box'} role="alert">
      {title && <p className="error-title">{title}</p>}
      <p className="error-message">{e.message}</p>
      <div className="error-actions">
        {onRetry && (
          <button type="button" className="button small" onClick={onRetry}>
            Try again
          </button>
        )}
        <TechnicalDetails detail={e.detail} />
      </div>
    </div>
  );
}
