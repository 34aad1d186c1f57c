// For the page tests: the sample data with some connections' schedules held back (stopped,
// paused, retrying) as the application holds them, and released as the application
// releases them: by a successful sync, or (for a stop) by choosing a frequency.

import type { Connection } from '../bindings/Connection';
import { FakeBackend, type FakeBackendOptions } from '../backend/fake';

export type Hold = Partial<
  Pick<Connection, 'paused_until_ms' | 'pause_reason' | 'schedule_stopped' | 'failure_streak' | 'last_status' | 'last_error'>
>;

/** The moment the page tests read the window at: 21:30 UTC (the tests run in UTC). */
export const EVENING = Date.parse('2025-01-15T21:30:00Z');

export class HeldBackend extends FakeBackend {
  private readonly holds: Map<number, Hold>;

  constructor(holds: Record<number, Hold>, options: FakeBackendOptions = {}) {
    super({ entriesPerOrg: 100, stepMs: 5, now: Date.parse('2025-01-15T12:00:00Z'), ...options });
    this.holds = new Map(Object.entries(holds).map(([id, h]) => [Number(id), h]));
    this.on('sync-finished', (f) => {
      if (f.report) this.holds.delete(f.connection_id);
    });
  }

  override async listConnections(): Promise<Connection[]> {
    const list = await super.listConnections();
    return list.map((c) => ({ ...c, ...this.holds.get(c.id) }));
  }

  override async setFrequency(connectionId: number, frequency: string): Promise<string> {
    const stored = await super.setFrequency(connectionId, frequency);
    if (this.holds.get(connectionId)?.schedule_stopped) this.holds.delete(connectionId);
    return stored;
  }
}

/** Xero's daily limit, hit at 21:00, over at 09:14 the next morning. */
export const DAILY_LIMIT: Hold = {
  last_status: 'failed',
  last_error: 'The platform is limiting how fast CarbonSync may read. Nothing was lost; the next sync continues where this one stopped.',
  paused_until_ms: Date.parse('2025-01-16T09:14:00Z'),
  pause_reason: "Xero's daily limit",
  failure_streak: 0,
};

/** A request Xero refuses: retrying cannot help. */
export const REFUSED: Hold = {
  last_status: 'failed',
  last_error: 'The platform refused the request (HTTP 400).',
  pause_reason: 'The platform refused the request (HTTP 400).',
  schedule_stopped: true,
};

/** Two failures in a row that may pass; the next try at 21:34. */
export const RETRYING: Hold = {
  last_status: 'failed',
  last_error: 'CarbonSync could not reach the platform.',
  pause_reason: 'CarbonSync could not reach the platform.',
  paused_until_ms: Date.parse('2025-01-15T21:34:00Z'),
  failure_streak: 2,
};
