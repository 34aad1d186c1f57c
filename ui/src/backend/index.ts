// Picks the Backend: the desktop app's when the window runs inside Tauri, otherwise the
// in-memory stand-in with sample data. Each is loaded only where it is used, so the
// desktop build carries no sample data and the browser build no Tauri bridge.

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
 * `?demo=empty` (nothing connected), `?connect=forged|denied` (how a sign-in ends),
 * `?entries=N` (ledger lines per organisation), `?fail=ID` (the next sync of ID fails),
 * `?rows=N` (the unfiltered ledger pretends to hold N entries), `&revoked` (with `fail`: the
 * platform withdrew access).
 */
export function fakeOptionsFromUrl(search: string): FakeBackendOptions {
  const q = new URLSearchParams(search);
  const connect = q.get('connect');
  return {
    scenario: q.get('demo') === 'empty' ? 'empty' : 'demo',
    latencyMs: Number(q.get('latency') ?? 60),
    stepMs: Number(q.get('step') ?? 700),
    connectDelayMs: 1800,
    connectAnswer: connect === 'forged' || connect === 'denied' ? connect : 'normal',
    entriesPerOrg: Math.min(Number(q.get('entries') ?? 1600), 100_000),
    syntheticRows: Math.min(Number(q.get('rows') ?? 0), 10_000_000),
  };
}

export async function loadBackend(): Promise<Backend> {
  if (inTauri()) {
    const { createTauriBackend } = await import('./tauri');
    return createTauriBackend();
  }
  const { FakeBackend } = await import('./fake');
  const fake = new FakeBackend(fakeOptionsFromUrl(window.location.search));
  // `?fail=ID`: the next sync of connection ID fails, as a rate-limited sync would.
  // `?fail=ID&revoked`: it fails because the platform withdrew access.
  const q = new URLSearchParams(window.location.search);
  const fail = Number(q.get('fail'));
  if (fail > 0) {
    fake.failNextSync(
      fail,
      q.has('revoked')
        ? {
            code: 'needs_reconnect',
            message: "Xero no longer accepts CarbonSync's access to this organisation; reconnect it to continue syncing (invalid_grant)",
            detail: 'NeedsReconnect { provider: "Xero", detail: "invalid_grant" }',
            permanent: true,
          }
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
