import { useNotices } from '../state/notices';
import { TechnicalDetails } from './ErrorView';

/** The messages region: polite for news, assertive (role="alert") for problems. */
export function Notices() {
  const { notices, dismiss } = useNotices();
  return (
    <div className="notices" data-testid="notice" role="status" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.tone}`} role={n.tone === 'error' || n.tone === 'warn' ? 'alert' : undefined}>
          <div className="notice-text">
            <p className="notice-title">{n.title}</p>
            {n.message && <p className="notice-message">{n.message}</p>}
            {n.code && <code className="selectable notice-code">{n.code}</code>}
            <TechnicalDetails detail={n.detail} />
          </div>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
