// Picks the Backend: the desktop app's when the window runs inside Tauri, otherwise the
// in-memory stand-in that answers with what the application answered when it was recorded
// (./recorded/). Each is loaded only where it is used, so the desktop app never loads the
// recording and the browser build no Tauri bridge.

import type { Backend } from './types';
import type { FakeBackendOptions } from './fake';

export type { Backend } from './types';

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

export function inTauri(): boolean {
  return typeof window !== 'undefined' && window.__TAURI_INTERNALS__ !== undefined;
}

/**
 * Options for the stand-in from the page address, so every state can be seen in a browser:
 * `?demo=empty` (nothing connected), `?demo=revoked` (Xero withdrew the grant of connection 1),
 * `?connect=forged|denied` (how a sign-in ends), `?entries=N` (at most N ledger lines per
 * organisation), `?fail=ID` (the next sync of ID fails), `?rows=N` (the unfiltered ledger
 * pretends to hold N entries), `&revoked` (with `fail=1`: Xero withdrew access),
 * `?asked` (the start-at-login question was answered, as after the first run; without it the
 * window asks, as on a fresh install), `?update=VERSION` (the update endpoint offers VERSION),
 * `&packaged` (this copy came from a package, so an update is installed rather than saved).
 */
export function fakeOptionsFromUrl(search: string): FakeBackendOptions {
  const q = new URLSearchParams(search);
  const connect = q.get('connect');
  const demo = q.get('demo');
  const entries = q.get('entries');
  return {
    scenario: demo === 'empty' || demo === 'revoked' ? demo : 'demo',
    latencyMs: Number(q.get('latency') ?? 60),
    stepMs: Number(q.get('step') ?? 700),
    connectDelayMs: 1800,
    connectAnswer: connect === 'forged' || connect === 'denied' ? connect : 'normal',
    ...(entries === null ? {} : { entriesPerOrg: Math.max(0, Number(entries)) }),
    syntheticRows: Math.min(Number(q.get('rows') ?? 0), 10_000_000),
    autostart: { enabled: false, asked: q.has('asked') },
    ...(q.get('update')
      ? { update: { version: q.get('update')!, notes: 'Faster syncs and clearer reports.' }, packaged: q.has('packaged') }
      : {}),
  };
}

export async function loadBackend(): Promise<Backend> {
  if (inTauri()) {
    const { createTauriBackend } = await import('./tauri');
    return createTauriBackend();
  }
  const [{ FakeBackend }, { RECORDED }] = await Promise.all([import('./fake'), import('./recorded')]);
  const fake = new FakeBackend(fakeOptionsFromUrl(window.location.search));
  // `?fail=ID`: the next sync of connection ID fails, as a rate-limited sync would (written by
  // hand: the recording has no rate limit). `?fail=1&revoked`: it fails as the application's
  // sync of connection 1 failed when Xero withdrew the grant (recorded, so its words name
  // Harbour & Pine Ltd on Xero).
  const q = new URLSearchParams(window.location.search);
  const fail = Number(q.get('fail'));
  if (fail > 0) {
    const revoked = RECORDED.revoked.sync_finished.error;
    fake.failNextSync(
      fail,
      q.has('revoked') && revoked
        ? { ...revoked }
        : {
            code: 'rate_limited',
            message: 'The platform is limiting how fast CarbonSync may read. Nothing was lost; the next sync continues where this one stopped.',
            detail: 'Provider(RateLimited { retry_after: Some(61s), problem: "minute" })',
            permanent: false,
          },
    );
  }
  return fake;
}
