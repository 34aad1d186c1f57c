import { describe, expect, it } from 'vitest';
import { dec, sumDecimals } from '../lib/decimal';
import { EMPTY_FILTER, type BackendEventName, type BackendEvents } from './types';
import { FakeBackend, LEDGER_CSV_HEADER, ledgerCsv } from './fake';
import { CLOUD_SAMPLE, locationScope2Of, reportedTotalsOf } from './fakeCloud';
import { ledgerEntry } from './ledger.fixture';
import { RECORDED } from './recorded';

/** The fields of one CSV line as a spreadsheet reads them: quoted fields unquoted. */
function fields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
        value += line[i];
        i += line[i] === '"' ? 2 : 1;
      }
      out.push(value);
      i += 2; // the closing quote and the comma
    } else {
      const end = line.indexOf(',', i);
      out.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return out;
}

/** The cells of one exported line, by column name. */
function cells(line: string): Record<string, string> {
  const names = LEDGER_CSV_HEADER.split(',');
  const values = fields(line);
  expect(values).toHaveLength(names.length);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

describe('the ledger export', () => {
  it('writes a credit note of -12.50 exactly, as a number, and defuses text that starts with a minus', () => {
    const credit = ledgerEntry({
      description: '-10 discount',
      net_amount: '-12.50',
      amount_usd_2022: '-15.42',
      kg_co2e: '-1.7116',
      fx_rate: '1.2781',
      deflator: '0.965021',
      factor_value: '0.111',
    });
    const lines = ledgerCsv([credit]).split('\r\n');
    expect(lines[0]).toBe(LEDGER_CSV_HEADER);
    const row = cells(lines[1]!);
    expect(row.net_amount).toBe('-12.50');
    expect(row.amount_usd_2022).toBe('-15.42');
    expect(row.kg_co2e).toBe('-1.7116');
    expect(row.fx_rate).toBe('1.2781');
    expect(row.deflator).toBe('0.965021');
    expect(row.factor_value).toBe('0.111');
    expect(row.description).toBe("'-10 discount");
    expect(lines[2]).toBe('');
  });

  it('writes every digit an amount has, and nothing for an entry that was not counted', () => {
    const big = ledgerEntry({ net_amount: '1234567890123456789.01', kg_co2e: '0.000123' });
    const excluded = ledgerEntry({
      status: 'excluded',
      net_amount: '0',
      factor_value: null,
      fx_rate: null,
      deflator: null,
      amount_usd_2022: null,
      kg_co2e: null,
    });
    const [, first, second] = ledgerCsv([big, excluded]).split('\r\n');
    expect(cells(first!).net_amount).toBe('1234567890123456789.01');
    expect(cells(first!).kg_co2e).toBe('0.000123');
    expect(cells(second!).net_amount).toBe('0');
    expect(cells(second!).kg_co2e).toBe('');
    expect(cells(second!).fx_rate).toBe('');
  });
});

describe('the stand-in, on what the application answered when it was recorded', () => {
  const recorded = () => new FakeBackend({ now: RECORDED.readAt });

  it('lists the platforms as the application does: Xero, QuickBooks Online and Salesforce on the sandbox, AWS, Azure and Google Cloud connected with keys, and Slack (on the sandbox) and Microsoft Teams to send to', async () => {
    const providers = await recorded().listProviders();
    expect(providers).toEqual(RECORDED.providers);
    expect(providers.filter((p) => !p.available)).toEqual([]);
    expect(providers.map((p) => p.name)).toEqual([
      'Xero',
      'QuickBooks Online',
      'Amazon Web Services',
      'Microsoft Azure',
      'Google Cloud',
      'Salesforce',
      'Slack',
      'Microsoft Teams',
    ]);
    const [xero, quickbooks, aws, azure, gcp, salesforce, slack, teams] = providers;
    for (const p of [xero!, quickbooks!, salesforce!]) {
      expect(p.sandbox).toBe(true);
      expect(p.auth).toBe('oauth');
      expect(p.status_note).toBeNull();
    }
    expect(quickbooks!.streams.map((s) => s.label)).toEqual(['Chart of accounts', 'Purchases', 'Bills', 'Vendor credits']);
    for (const p of [aws!, azure!, gcp!]) {
      // Connected with keys, each connection on the sandbox or not as its form chose.
      expect(p.category).toBe('cloud');
      expect(p.auth).not.toBe('oauth');
      expect(p.sandbox).toBe(false);
      expect(p.streams).toEqual([]);
      expect(p.status_note).toBeNull();
    }
    // Signed in through the browser, answering by deep link; its footprints are reported
    // rows, not record streams.
    expect(salesforce!.category).toBe('crm');
    expect(salesforce!.redirect).toBe('deep_link');
    expect(salesforce!.streams).toEqual([]);
    // Sent to, not read from: Slack signs in through an https bounce page and runs on the
    // sandbox until the organisation's own app is set up; Teams takes a workflow's URL, real
    // or the sandbox's as the form chooses, like cloud keys.
    for (const p of [slack!, teams!]) {
      expect(p.category).toBe('communication');
      expect(p.streams).toEqual([]);
    }
    expect(slack!.sandbox).toBe(true);
    expect(teams!.sandbox).toBe(false);
    expect(slack!.redirect).toBe('https_bounce');
    expect(teams!.auth).toBe('webhook_url');
  });

  it('lists the connections, their histories, positions and records set aside as recorded', async () => {
    const backend = recorded();
    expect(await backend.listConnections()).toEqual(RECORDED.connections);
    for (const c of RECORDED.connections) {
      const id = String(c.id);
      expect(await backend.syncHistory(c.id, 50)).toEqual(RECORDED.history[id]);
      expect(await backend.connectionCursors(c.id)).toEqual(RECORDED.cursors[id]);
      expect(await backend.connectionSetAside(c.id)).toEqual(RECORDED.setAside[id]);
    }
  });

  it('adds up and groups every recorded summary exactly as the application did', async () => {
    const backend = recorded();
    expect(RECORDED.emissions.length).toBeGreaterThan(5);
    for (const call of RECORDED.emissions) {
      expect(await backend.emissionsSummary(call.filter, call.by), JSON.stringify([call.filter, call.by])).toEqual(call.summary);
    }
  });

  it('selects and orders ledger pages as the application did, the fixed sandbox records included', async () => {
    const backend = recorded();
    expect(await backend.ledgerPage(EMPTY_FILTER, 0, RECORDED.ledger.total)).toEqual(RECORDED.ledger);
    const records = RECORDED.ledgerPages.map((c) => c.filter.record_id).filter((id) => id !== null);
    expect(records).toEqual(expect.arrayContaining(['f1a00000-0000-4000-8000-000000000001', '9001', '9005']));
    for (const call of RECORDED.ledgerPages) {
      expect(await backend.ledgerPage(call.filter, call.offset, call.limit), JSON.stringify(call.filter)).toEqual(call.page);
    }
  });

  it('sends amounts and kilograms as plain decimal strings', async () => {
    const page = await recorded().ledgerPage(EMPTY_FILTER, 0, 400);
    const counted = page.entries.filter((e) => e.status === 'counted');
    expect(counted.length).toBeGreaterThan(20);
    for (const e of page.entries) expect(e.net_amount).toMatch(/^-?\d+(\.\d+)?$/);
    for (const e of counted) {
      for (const v of [e.factor_value, e.fx_rate, e.deflator, e.amount_usd_2022, e.kg_co2e]) {
        expect(v).toMatch(/^-?\d+(\.\d+)?$/);
      }
    }
  });

  it('adds its totals up exactly from the entries', async () => {
    const backend = recorded();
    const page = await backend.ledgerPage(EMPTY_FILTER, 0, 400);
    const summary = await backend.emissionsSummary(EMPTY_FILTER, 'category');
    const counted = page.entries.filter((e) => e.status === 'counted');
    expect(summary.totals.kg_co2e).toBe(sumDecimals(counted.map((e) => e.kg_co2e)));
    expect(summary.totals.spend_usd_2022).toBe(sumDecimals(counted.map((e) => e.amount_usd_2022)));
    expect(sumDecimals(summary.groups.map((g) => g.kg_co2e))).toBe(summary.totals.kg_co2e);
  });

  it('totals a thousand lines of 0.10 and a thousand of 0.20 to exactly 300, to six places as the application writes totals', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 10 });
    const lines = [];
    for (let i = 0; i < 1000; i++) {
      lines.push(ledgerEntry({ amount_usd_2022: '0.10', kg_co2e: '0.10' }), ledgerEntry({ amount_usd_2022: '0.20', kg_co2e: '0.20' }));
    }
    backend.setLedger(lines);
    const { totals } = await backend.emissionsSummary(EMPTY_FILTER, null);
    expect(totals).toMatchObject({ kg_co2e: '300.000000', spend_usd_2022: '300.000000', counted: 2000 });
  });
});

describe('the stand-in, on what the cloud platforms reported', () => {
  it('counts Scope 2 of a connection that publishes it market-based only, and only that, as missing from the location-based total', () => {
    const aws = CLOUD_SAMPLE.accounts.aws!.rows;
    // An account that publishes one Scope 2 number, market-based, as Microsoft does.
    const marketOnly = aws.filter((r) => !(r.scope === 2 && r.basis === 'location')).map((r) => ({ ...r, connection_id: 9 }));
    const scope2Market = sumDecimals(marketOnly.filter((r) => r.scope === 2 && r.basis === 'market').map((r) => r.kg_co2e));
    expect(dec(scope2Market).gt(0)).toBe(true);
    expect(dec(reportedTotalsOf(aws).scope2_market_only_kg_co2e).eq(0)).toBe(true);
    const both = reportedTotalsOf([...aws, ...marketOnly]);
    expect(dec(both.scope2_market_only_kg_co2e).eq(scope2Market)).toBe(true);
    // Judged on all of a connection's rows, not on the selection: its Scope 2 market-based
    // rows alone are not market-only when it publishes location-based too.
    const awsMarket = aws.filter((r) => r.scope === 2 && r.basis === 'market');
    expect(dec(reportedTotalsOf(awsMarket, locationScope2Of(aws)).scope2_market_only_kg_co2e).eq(0)).toBe(true);
  });
});

describe('the stand-in, doing again what the recording did', () => {
  it('connects Xero with the choice the application offered, and its first sync ends as the recorded one', async () => {
    const backend = new FakeBackend({ scenario: 'empty', now: RECORDED.readAt });
    const answer = next(backend, 'connect-result');
    await backend.beginConnect('xero');
    const { outcome } = await answer;
    expect(outcome?.kind).toBe('choose_tenant');
    const recordedChoice = RECORDED.signIn.xero.outcome;
    if (outcome?.kind !== 'choose_tenant' || recordedChoice?.kind !== 'choose_tenant') throw new Error('a choice of organisation');
    expect(outcome.tenants).toEqual(recordedChoice.tenants);
    expect(outcome.tenants.map((t) => t.tenant_name)).toEqual(['Harbour & Pine Ltd', 'Northwind Outfitters Inc.']);

    const finished = next(backend, 'sync-finished');
    const chosen = await backend.chooseTenant(outcome.choice_id, RECORDED.signIn.xero_chosen.tenant_id);
    const { created_at: _c, updated_at: _u, ...rest } = RECORDED.signIn.xero_chosen;
    expect(chosen).toMatchObject(rest);
    expect(await finished).toEqual(RECORDED.syncFinished[0]);
    const [run] = await backend.syncHistory(chosen.id, 1);
    const { started_at: _s, finished_at: _f, ...counts } = RECORDED.history[String(chosen.id)]!.at(-1)!;
    expect(run).toMatchObject(counts);
    expect(await backend.connectionSetAside(chosen.id)).toEqual([
      expect.objectContaining({ reason: RECORDED.setAside['1']![0]!.reason, record_id: RECORDED.setAside['1']![0]!.record_id }),
    ]);
    const perXero = RECORDED.emissions.find((c) => c.filter.connection_id === chosen.id)!;
    expect(await backend.emissionsSummary(perXero.filter, perXero.by)).toEqual(perXero.summary);
  });

  it('connects QuickBooks Online at once, its one company, and a second sync finds nothing new, as recorded', async () => {
    const backend = new FakeBackend({ scenario: 'empty', now: RECORDED.readAt });
    const answer = next(backend, 'connect-result');
    await backend.beginConnect('quickbooks');
    const { outcome } = await answer;
    if (outcome?.kind !== 'connected') throw new Error(`connected at once, not ${JSON.stringify(outcome)}`);
    expect(outcome.connection.tenant_name).toBe('Cedar & Finch Trading Co.');
    const first = await next(backend, 'sync-finished');
    expect(first.report?.counts).toEqual(RECORDED.syncFinished[1]!.report!.counts);
    const again = next(backend, 'sync-finished');
    await backend.syncNow(outcome.connection.id);
    expect((await again).report?.counts).toEqual(RECORDED.syncFinished[3]!.report!.counts);
    expect((await again).report?.counts.fetched).toBe(0);
  });

  it("ends a sign-in with the application's words when the answer is forged or access is refused", async () => {
    const forged = new FakeBackend({ scenario: 'empty', connectAnswer: 'forged' });
    let answer = next(forged, 'connect-result');
    await forged.beginConnect('xero');
    expect(await answer).toEqual(RECORDED.signIn.forged);

    const denied = new FakeBackend({ scenario: 'empty', connectAnswer: 'denied' });
    for (const platform of ['xero', 'quickbooks']) {
      answer = next(denied, 'connect-result');
      await denied.beginConnect(platform);
      expect(await answer).toEqual(RECORDED.signIn.denied[platform]);
    }
    expect((await answer).error?.message).toMatch(/^Access was declined at QuickBooks Online/);
  });

  it("refuses a choice of organisation that no longer waits, or names another, in the application's words", async () => {
    const backend = new FakeBackend({ scenario: 'empty', syncAfterConnect: false });
    await expect(backend.chooseTenant('never-offered', 'x')).rejects.toEqual(RECORDED.signIn.choice_gone);
    const answer = next(backend, 'connect-result');
    await backend.beginConnect('xero');
    const { outcome } = await answer;
    if (outcome?.kind !== 'choose_tenant') throw new Error('a choice of organisation');
    await expect(backend.chooseTenant(outcome.choice_id, 'not-offered')).rejects.toEqual(RECORDED.signIn.tenant_not_offered);
    expect(await backend.listConnections()).toEqual([]);
  });

  it('fails a sync with the words the application used when Xero withdrew the grant, and leaves the connection as the application did', async () => {
    const backend = new FakeBackend({ now: RECORDED.readAt });
    const { sync_finished, connection } = RECORDED.revoked;
    backend.failNextSync(connection.id, sync_finished.error!);
    const finished = next(backend, 'sync-finished');
    await backend.syncNow(connection.id);
    expect(await finished).toEqual(sync_finished);
    const after = (await backend.listConnections()).find((c) => c.id === connection.id)!;
    for (const field of ['status', 'last_status', 'last_error', 'pause_reason', 'schedule_stopped', 'failure_streak', 'paused_until_ms'] as const) {
      expect(after[field], field).toEqual(connection[field]);
    }
    expect(after.status).toBe('needs_reconnect');
    const [run] = await backend.syncHistory(connection.id, 1);
    const { id: _id, started_at: _s, finished_at: _f, ...failed } = RECORDED.revoked.history[0]!;
    expect(run).toMatchObject(failed);
  });

  it('starts from the state the application left once the grant was withdrawn', async () => {
    const backend = new FakeBackend({ scenario: 'revoked', now: RECORDED.readAt });
    const { connection, history } = RECORDED.revoked;
    expect((await backend.listConnections()).find((c) => c.id === connection.id)).toEqual(connection);
    expect(await backend.syncHistory(connection.id, 50)).toEqual(history);
    expect(history[0]).toMatchObject({ status: 'failed', error_code: 'needs_reconnect' });
  });

  it("moves the recording's moments to its own clock, and keeps the records' own dates", async () => {
    const later = RECORDED.readAt + 86_400_000;
    const backend = new FakeBackend({ now: later });
    const [xero] = await backend.listConnections();
    expect(Date.parse(xero!.last_sync_at!) - Date.parse(RECORDED.connections[0]!.last_sync_at!)).toBe(86_400_000);
    expect(await backend.connectionCursors(xero!.id)).toEqual(RECORDED.cursors[String(xero!.id)]);
  });
});

describe('the fake backend: starting at login and updates', () => {
  it('records the answer about starting at login, whichever it is', async () => {
    const backend = new FakeBackend({ scenario: 'empty', autostart: { enabled: false, asked: false } });
    expect(await backend.autostartState()).toEqual({ enabled: false, asked: false });
    expect(await backend.setAutostart(false)).toEqual({ enabled: false, asked: true });
    expect(await backend.setAutostart(true)).toEqual({ enabled: true, asked: true });
    // Tests that do not care see no question.
    expect(await new FakeBackend({ scenario: 'empty' }).autostartState()).toEqual({ enabled: false, asked: true });
  });

  it('answers "off" without an endpoint, and with one offers its update, downloaded in pieces only when installed', async () => {
    const backend = new FakeBackend({ scenario: 'empty' });
    expect(await backend.checkForUpdate()).toEqual({ state: 'off' });
    expect((await backend.getSettings()).update_endpoint).toBeNull();
    backend.setUpdate(null);
    expect(await backend.checkForUpdate()).toEqual({ state: 'current', version: '0.1.0' });
    backend.setUpdate({ version: '0.2.0', notes: 'Faster rules.', date: '2026-12-01T09:00:00Z', size: null });
    expect((await backend.getSettings()).update_endpoint).toBe('https://updates.carbonsync.example/latest.json');
    expect(await backend.checkForUpdate()).toEqual({
      state: 'available',
      version: '0.2.0',
      current_version: '0.1.0',
      notes: 'Faster rules.',
      date: '2026-12-01T09:00:00Z',
    });
    const pieces: BackendEvents['update-progress'][] = [];
    backend.on('update-progress', (p) => pieces.push(p));
    expect(await backend.installUpdate('0.2.0')).toEqual({
      version: '0.2.0',
      installed: false,
      saved_to: '/home/you/.local/share/carbonsync/updates/CarbonSync_0.2.0_amd64.deb',
    });
    expect(pieces.map((p) => p.total)).toEqual([null, null, null]);
    expect(pieces.at(-1)!.downloaded).toBe(4_300_800);
    // The found update is taken by the install: another needs a new check.
    await expect(backend.installUpdate('0.2.0')).rejects.toMatchObject({ code: 'update', message: 'There is no update to install; check for updates first.' });
  });
});

/** The payload of the next `event` the backend sends. */
function next<E extends BackendEventName>(backend: FakeBackend, event: E): Promise<BackendEvents[E]> {
  return new Promise((resolve) => {
    const stop = backend.on(event, (payload) => {
      stop();
      resolve(payload);
    });
  });
}
