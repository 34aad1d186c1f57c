import type { ReactNode } from 'react';

export function Spinner({ label }: { label?: string }) {
  return <span className="spinner" role={label ? 'img' : undefined} aria-label={label} aria-hidden={label ? undefined : true} />;
}

export function Loading({ children = 'Loading…' }: { children?: ReactNode }) {
  return (
    <div className="loading" role="status">
      <Spinner /> <span>{children}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

/** A bar for work whose end is not known: the counts beside it say how far it got. */
export function ProgressBar({ label, value }: { label: string; value?: number }) {
  const determinate = value !== undefined;
  return (
    <div
      className={determinate ? 'progress' : 'progress indeterminate'}
      role="progressbar"
      aria-label={label}
      aria-valuemin={determinate ? 0 : undefined}
      aria-valuemax={determinate ? 100 : undefined}
      aria-valuenow={determinate ? Math.round(value * 100) : undefined}
    >
      <div className="progress-fill" style={determinate ? { width: `${Math.min(100, Math.max(0, value * 100))}%` } : undefined} />
    </div>
  );
}
