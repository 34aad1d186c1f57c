// What the window asks or tells at the top of every page, without stopping anything else:
// the first-run question about starting at login, and an update the endpoint offers.

import { useAutostart, useSetAutostart } from '../state/queries';
import { useUpdates } from '../state/updates';
import type { UpdateProgress } from '../backend/types';
import { formatFixed } from '../lib/format';
import { ErrorView } from './ErrorView';
import { ProgressBar } from './Feedback';

export function Banners() {
  return (
    <div className="banners">
      <StartAtLoginQuestion />
      <UpdateNotice />
    </div>
  );
}

/** Asked until answered, either way; answered here or in Settings. */
export function StartAtLoginQuestion() {
  const state = useAutostart();
  const set = useSetAutostart();
  if (!state.data || state.data.asked) return null;
  return (
    <section className="banner" role="region" aria-label="Start at login" data-testid="start-at-login-question">
      <div className="banner-body">
        <p>
          Start CarbonSync when you log in, so syncs run on schedule? It starts in the tray, without opening this
          window.
        </p>
        <div className="banner-actions">
          <button type="button" className="button primary small" disabled={set.isPending} onClick={() => set.mutate(true)}>
            Start at login
          </button>
          <button type="button" className="button small" disabled={set.isPending} onClick={() => set.mutate(false)}>
            Not now
          </button>
        </div>
        {set.isError && <ErrorView error={set.error} compact />}
      </div>
    </section>
  );
}

/** Kilobytes, whole, with thousands separators. */
function kb(bytes: number): string {
  return `${formatFixed(bytes / 1024, 0)} KB`;
}

export function downloadText(p: UpdateProgress | null): string {
  if (!p) return 'Downloading…';
  return p.total ? `Downloading… ${kb(p.downloaded)} of ${kb(p.total)}` : `Downloading… ${kb(p.downloaded)}`;
}

/** A newer version: offered, downloaded and installed only when the person says so. */
export function UpdateNotice() {
  const { check, install, progress, dismissed, later, checkAgain } = useUpdates();
  const offer = check.data?.state === 'available' ? check.data : null;
  if (dismissed || (!offer && install.isIdle)) return null;

  let body: React.ReactNode;
  if (install.isPending) {
    body = (
      <>
        <p className="banner-title">Installing CarbonSync {install.variables}</p>
        <p>{downloadText(progress)}</p>
        <ProgressBar
          label="Download of the update"
          value={progress?.total ? Math.min(1, progress.downloaded / progress.total) : undefined}
        />
      </>
    );
  } else if (install.isSuccess) {
    const done = install.data;
    body = (
      <>
        <p className="banner-title">
          {done.installed
            ? `CarbonSync ${done.version} is installed; it runs the next time CarbonSync starts.`
            : `CarbonSync ${done.version} was downloaded and its signature verified. This copy was not installed from a package, so install it from ${done.saved_to ?? 'the updates folder in the data folder'}.`}
        </p>
        <div className="banner-actions">
          <button type="button" className="button small" onClick={later}>
            Close
          </button>
        </div>
      </>
    );
  } else {
    // Offered, or an install or a check that went wrong: say so, and offer to check again
    // (an install starts from a fresh check).
    const failed = install.isError ? install.error : check.isError && !check.isFetching ? check.error : null;
    body = (
      <>
        {offer && (
          <p className="banner-title">
            CarbonSync {offer.version} is available (you have {offer.current_version}).
          </p>
        )}
        {offer?.notes && <p className="banner-notes small">{offer.notes}</p>}
        {failed !== null && <ErrorView error={failed} compact />}
        {check.isFetching && <p className="small muted">Checking for updates…</p>}
        <div className="banner-actions">
          {failed === null && offer && !check.isFetching && (
            <button type="button" className="button primary small" onClick={() => install.mutate(offer.version)}>
              Install {offer.version}
            </button>
          )}
          {failed !== null && (
            <button type="button" className="button primary small" disabled={check.isFetching} onClick={checkAgain}>
              Check again
            </button>
          )}
          <button type="button" className="button small" onClick={later}>
            Later
          </button>
        </div>
        {failed === null && offer && (
          <p className="small muted">Nothing is downloaded until you choose to install it.</p>
        )}
      </>
    );
  }
  return (
    <section className="banner" role="status" aria-label="Update available" data-testid="update-notice">
      <div className="banner-body">{body}</div>
    </section>
  );
}
