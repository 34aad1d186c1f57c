// For tests: what the platforms report, in a FakeBackend: a cloud platform's sandbox account
// connected and synced (its rows are the sample's, ./cloud-sample.json), and Salesforce Net
// Zero Cloud's footprints, which the recording does not hold, written out by hand.

import type { Connection } from '../bindings/Connection';
import type { ReportedRow } from '../bindings/ReportedRow';
import type { FakeBackend } from './fake';
import type { BackendEventName, BackendEvents } from './types';

function next<E extends BackendEventName>(backend: FakeBackend, event: E): Promise<BackendEvents[E]> {
  return new Promise((resolve) => {
    const stop = backend.on(event, (payload) => {
      stop();
      resolve(payload);
    });
  });
}

/** The sandbox's account of a cloud platform, connected with the form and synced. */
export async function withCloud(b: FakeBackend, platform: 'aws' | 'gcp'): Promise<Connection> {
  const c = await b.connectCloud(platform, {}, true);
  const done = next(b, 'sync-finished');
  await b.syncNow(c.id);
  await done;
  return c;
}

/** The sandbox's Salesforce org, connected, with what Net Zero Cloud reported: `rows`. */
export async function withNetZeroCloud(b: FakeBackend, rows: ReadonlyArray<Partial<ReportedRow>>): Promise<Connection> {
  const answer = next(b, 'connect-result');
  await b.beginConnect('salesforce');
  const { outcome } = await answer;
  if (outcome?.kind !== 'connected') throw new Error('Salesforce connects at once');
  const c = outcome.connection;
  b.setReportedRows(c.id, rows.map((r, i) => netZeroRow({ ...r, row_key: `nzc-${i}` })));
  return c;
}

/** A Net Zero Cloud footprint's row. */
export function netZeroRow(r: Partial<ReportedRow>): ReportedRow {
  return {
    connection_id: 0,
    source: 'Salesforce: CarbonSync Demo Group',
    platform: 'salesforce',
    row_key: 'nzc',
    month: '2024-01',
    account: '00D8d0000000001EAA',
    account_name: 'CarbonSync Demo Group',
    service: 'Net Zero Cloud',
    region: null,
    grouping: null,
    scope: 3,
    scope3_category: null,
    basis: null,
    kg_co2e: '0',
    reported_value: '0',
    reported_unit: 'kgCO2e',
    method: 'Salesforce Net Zero Cloud',
    model_version: null,
    period_end: null,
    source_url: null,
    first_synced_at: '2025-01-15T12:00:00.000Z',
    updated_at: '2025-01-15T12:00:00.000Z',
    restatements: 0,
    ...r,
  };
}
