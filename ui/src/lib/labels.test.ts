import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../backend/fakeData';
import type { Connection } from '../bindings/Connection';
import type { SyncActivity } from '../bindings/SyncActivity';
import {
  FREQUENCY_OPTIONS,
  connectionLabel,
  connectionState,
  emissionsAddedWords,
  errorTitle,
  frequencyLabel,
  frequencyOptions,
  ledgerStatusWords,
  momentWords,
  runStatusWords,
  scheduleHold,
  scheduleHoldKind,
  scopeLabel,
  sourceLabel,
  triggerLabel,
} from './labels';
import { platformsFrom } from './platforms';

/** The platforms as the application lists them. */
const platforms = platformsFrom(CATALOGUE);

function connection(patch: Partial<Connection> = {}): Connection {
  return {
    id: 1,
    provider: 'xero',
    tenant_id: 't-1',
    tenant_name: 'Harbour & Pine Ltd',
    base_currency: 'GBP',
    sandbox: true,
    status: 'active',
    vault_key: 'carbonsync/xero/t-1',
    frequency: 'hourly',
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    last_sync_at: '2025-01-02T00:00:00Z',
    last_status: 'succeeded',
    last_error: null,
    paused_until_ms: null,
    pause_reason: null,
    schedule_stopped: false,
    failure_streak: 0,
    ...patch,
  };
}

const counts = { pages: 3, calls: 4, rate_limited: 0, fetched: 2400, created: 2400, updated: 0, deleted: 0, skipped: 0, set_aside: 0, emissions_added: 1900, kg_co2e_delta: '1.5' };

describe('connectionState', () => {
  it('says Connected for an active connection that is not syncing', () => {
    const s = connectionState(connection(), undefined, platforms);
    expect(s.label).toBe('Connected');
    expect(s.tone).toBe('ok');
  });

  it('says Connected and not synced yet before the first sync', () => {
    expect(connectionState(connection({ last_sync_at: null, last_status: null }), undefined, platforms)).toMatchObject({
      label: 'Connected',
      detail: 'Not synced yet.',
    });
  });

  it('says Syncing with the counts while a sync reports progress', () => {
    const a: SyncActivity = { connection_id: 1, queued: false, progress: { connection_id: 1, run_id: 9, stream: 'bills', counts } };
    const s = connectionState(connection(), a, platforms);
    expect(s.label).toBe('Syncing');
    expect(s.detail).toBe('Page 3 · 2,400 records · 1,900 emissions added');
  });

  it('says Syncing and queued while a sync waits behind another', () => {
    const s = connectionState(connection(), { connection_id: 1, queued: true, progress: null }, platforms);
    expect(s.label).toBe('Syncing');
    expect(s.detail).toMatch(/Queued/);
  });

  it('says Needs reconnect when the platform no longer accepts access', () => {
    const s = connectionState(connection({ status: 'needs_reconnect', last_error: 'Xero no longer accepts access' }), undefined, platforms);
    expect(s.label).toBe('Needs reconnect');
    expect(s.detail).toBe('Xero no longer accepts access');
  });

  it('says Error with the reason when the last sync failed', () => {
    const s = connectionState(connection({ last_status: 'failed', last_error: 'CarbonSync could not reach the platform.' }), undefined, platforms);
    expect(s).toMatchObject({ label: 'Error', detail: 'CarbonSync could not reach the platform.', tone: 'error' });
  });

  it('says Disconnected for a connection that was disconnected with its data kept', () => {
    expect(connectionState(connection({ status: 'disconnected' }), undefined, platforms).label).toBe('Disconnected');
  });

  it('shows a running sync even over an earlier failure', () => {
    const s = connectionState(connection({ last_status: 'failed' }), { connection_id: 1, queued: false, progress: null }, platforms);
    expect(s.label).toBe('Syncing');
  });
});

describe('the schedule of a connection', () => {
  // The tests run in UTC (vite.config.ts), so local times read as written here.
  const evening = Date.parse('2025-03-05T21:30:00Z');
  const at = (iso: string) => Date.parse(iso);

  it('says nothing when the schedule runs as usual', () => {
    expect(scheduleHold(connection(), evening)).toBeNull();
    expect(connectionState(connection(), undefined, platforms, evening).label).toBe('Connected');
  });

  it('says until when a platform paused it, in local words', () => {
    const c = connection({
      last_status: 'failed',
      last_error: 'The platform is limiting how fast CarbonSync may read.',
      paused_until_ms: at('2025-03-06T09:14:00Z'),
      pause_reason: "Xero's daily limit",
    });
    expect(scheduleHoldKind(c, evening)).toBe('paused');
    expect(connectionState(c, undefined, platforms, evening)).toEqual({
      label: 'Paused',
      detail: "Paused until 09:14 tomorrow: Xero's daily limit",
      tone: 'warn',
    });
    expect(connectionState(c, undefined, platforms, at('2025-03-06T08:00:00Z')).detail).toBe("Paused until 09:14 today: Xero's daily limit");
    // Once the time has passed, the last sync's failure is what is left to say.
    expect(connectionState(c, undefined, platforms, at('2025-03-06T09:15:00Z')).label).toBe('Error');
  });

  it('names the day of a pause beyond tomorrow', () => {
    expect(momentWords(at('2025-03-08T07:05:00Z'), evening)).toBe('07:05 on 8 Mar 2025');
    expect(momentWords(at('2025-03-05T23:59:00Z'), evening)).toBe('23:59 today');
    expect(momentWords(at('2025-03-06T00:00:00Z'), evening)).toBe('00:00 tomorrow');
  });

  it('says when it retries and how many failures in a row', () => {
    const c = connection({
      last_status: 'failed',
      last_error: 'The platform had a problem answering.',
      paused_until_ms: at('2025-03-05T21:34:00Z'),
      pause_reason: 'The platform had a problem answering',
      failure_streak: 3,
    });
    expect(connectionState(c, undefined, platforms, evening)).toEqual({
      label: 'Retrying',
      detail: 'Retrying at 21:34 today (3 failures in a row): The platform had a problem answering.',
      tone: 'warn',
    });
    expect(scheduleHold({ ...c, failure_streak: 1 }, evening)?.detail).toMatch(/\(1 failure\)/);
    expect(scheduleHold(c, at('2025-03-05T21:40:00Z'))?.detail).toMatch(/^Retrying shortly/);
  });

  it('says why it stopped and what the person can do', () => {
    const c = connection({
      last_status: 'failed',
      pause_reason: 'The platform refused the request (HTTP 400)',
      schedule_stopped: true,
    });
    const s = connectionState(c, undefined, platforms, evening);
    expect(s.label).toBe('Stopped');
    expect(s.tone).toBe('error');
    expect(s.detail).toMatch(/^The platform refused the request \(HTTP 400\)\. The schedule is stopped until you act/);
    expect(s.detail).toMatch(/Sync now/);
  });

  it('keeps Needs reconnect, and Syncing, above a stopped schedule', () => {
    const c = connection({ status: 'needs_reconnect', schedule_stopped: true, pause_reason: 'Access withdrawn' });
    expect(connectionState(c, undefined, platforms, evening).label).toBe('Needs reconnect');
    const running = connection({ schedule_stopped: true });
    expect(connectionState(running, { connection_id: 1, queued: false, progress: null }, platforms, evening).label).toBe('Syncing');
  });

  it('says nothing of the schedule of a disconnected connection', () => {
    expect(scheduleHold(connection({ status: 'disconnected', schedule_stopped: true }), evening)).toBeNull();
  });
});

describe('status words', () => {
  it('names each run status', () => {
    expect(runStatusWords('succeeded').label).toBe('Succeeded');
    expect(runStatusWords('failed').label).toBe('Failed');
    expect(runStatusWords('running').label).toBe('Running');
    expect(runStatusWords('interrupted').label).toBe('Interrupted');
  });

  it('names each ledger status and says what it means for the totals', () => {
    expect(ledgerStatusWords('counted')).toMatchObject({ label: 'Counted', tone: 'ok' });
    expect(ledgerStatusWords('excluded').detail).toMatch(/never counted/);
    expect(ledgerStatusWords('unmapped').detail).toMatch(/not counted/);
  });

  it('gives every known error code a heading, and unknown ones a general one', () => {
    expect(errorTitle('rate_limited')).toMatch(/slow down/);
    expect(errorTitle('state_mismatch')).toMatch(/not trusted/);
    expect(errorTitle('something_new')).toBe('Something went wrong');
    expect(errorTitle(null)).toBe('Something went wrong');
  });

  it('names who started a sync', () => {
    expect(triggerLabel('schedule')).toBe('Schedule');
    expect(triggerLabel('window')).toBe('Window');
    expect(triggerLabel('webhook')).toBe('Webhook');
    expect(triggerLabel('export')).toBe('Sent to the platform');
    expect(triggerLabel('chat')).toBe('Retry button in Slack');
    expect(triggerLabel('cli')).toBe('Command line');
    expect(triggerLabel('future')).toBe('future');
  });
});

describe('frequencies', () => {
  it('offers manual, 15 minutes, hourly, 6 hours and daily with the values the application accepts', () => {
    expect(FREQUENCY_OPTIONS.map((o) => o.value)).toEqual(['manual', '15m', 'hourly', '6h', 'daily']);
    expect(FREQUENCY_OPTIONS.map((o) => o.label)).toEqual([
      'Manual only',
      'Every 15 minutes',
      'Every hour',
      'Every 6 hours',
      'Once a day',
    ]);
  });

  it('keeps a stored cron schedule as an extra option so it is not lost', () => {
    const options = frequencyOptions('0 30 2 * * Mon');
    expect(options).toHaveLength(6);
    expect(options[5]).toEqual({ value: '0 30 2 * * Mon', label: 'Custom schedule (cron 0 30 2 * * Mon)' });
    expect(frequencyOptions('daily')).toHaveLength(5);
  });

  it('labels known frequencies in words', () => {
    expect(frequencyLabel('6h')).toBe('Every 6 hours');
  });
});

describe('names and scopes', () => {
  it('labels scopes with the Scope 3 category when there is one', () => {
    expect(scopeLabel(3, 6)).toBe('Scope 3 · cat. 6 Business travel');
    expect(scopeLabel(1)).toBe('Scope 1');
    expect(scopeLabel(null)).toBe('Not counted');
  });

  it('marks sandbox connections wherever they are named', () => {
    expect(connectionLabel(connection(), platforms)).toBe('Harbour & Pine Ltd (Xero, Sandbox)');
    expect(connectionLabel(connection({ sandbox: false }), platforms)).toBe('Harbour & Pine Ltd (Xero)');
    expect(sourceLabel('xero: Harbour & Pine Ltd', platforms, [connection()])).toBe('Harbour & Pine Ltd (Xero, Sandbox)');
    expect(sourceLabel('xero: Someone Else', platforms, [connection()])).toBe('Someone Else (Xero)');
  });

  it('names a source group by its connection, even when the name holds ": " or two connections share it', () => {
    const odd = connection({ id: 7, tenant_name: 'Pine: Holdings', sandbox: false });
    const twin = connection({ id: 8, tenant_name: 'Pine: Holdings', sandbox: true });
    expect(sourceLabel('xero: Pine: Holdings', platforms, [odd, twin], 7)).toBe('Pine: Holdings (Xero)');
    expect(sourceLabel('xero: Pine: Holdings', platforms, [odd, twin], 8)).toBe('Pine: Holdings (Xero, Sandbox)');
  });

  it('names a platform the application lists by the name it gives, and one it does not by its id', () => {
    const withAcme = platformsFrom([...CATALOGUE, { ...CATALOGUE[0]!, id: 'acme', name: 'Acme Books', streams: [] }]);
    expect(connectionLabel(connection({ provider: 'acme' }), withAcme)).toBe('Harbour & Pine Ltd (Acme Books, Sandbox)');
    expect(sourceLabel('acme: Harbour & Pine Ltd', withAcme)).toBe('Harbour & Pine Ltd (Acme Books)');
    expect(connectionLabel(connection({ provider: 'acme' }), platforms)).toBe('Harbour & Pine Ltd (acme, Sandbox)');
  });

  it('says which platform withdrew access when the connection has no message of its own', () => {
    const c = connection({ status: 'needs_reconnect', last_error: null });
    expect(connectionState(c, undefined, platforms).detail).toBe(
      "Xero no longer accepts CarbonSync's access. Connect it again to continue syncing.",
    );
  });

  it('names record streams as the platform labels them, and in short for the ledger column', () => {
    expect(platforms.streamLabel('bank_transactions', 'xero')).toBe('Bank transactions');
    expect(platforms.streamLabel('credit_notes', 'xero')).toBe('Supplier credit notes');
    expect(platforms.streamLabel('accounts', 'xero')).toBe('Chart of accounts');
    expect(platforms.streamShort('bank_transactions', 'xero')).toBe('Bank');
    expect(platforms.streamShort('bills', 'xero')).toBe('Bill');
    expect(platforms.streamShort('credit_notes', 'xero')).toBe('Credit');
    expect(platforms.streamSingular('credit_notes', 'xero')).toBe('Supplier credit note');
  });
});

describe('what a run added', () => {
  it('says how many entries and how many kilograms, from the exact decimal', () => {
    expect(emissionsAddedWords(1204, '3120.45')).toBe('1,204 entries, 3,120.5 kg CO2e');
    expect(emissionsAddedWords(1, '-12.50')).toBe('1 entry, -12.5 kg CO2e');
  });
});
