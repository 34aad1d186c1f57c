import { describe, expect, it } from 'vitest';
import { sumDecimals } from '../lib/decimal';
import { EMPTY_FILTER } from './types';
import { FakeBackend, LEDGER_CSV_HEADER, ledgerCsv } from './fake';
import { ledgerEntry } from './ledger.fixture';

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

describe('the sample backend', () => {
  it('sends amounts and kilograms as plain decimal strings', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 200 });
    const page = await backend.ledgerPage(EMPTY_FILTER, 0, 400);
    const counted = page.entries.filter((e) => e.status === 'counted');
    expect(counted.length).toBeGreaterThan(50);
    for (const e of page.entries) expect(e.net_amount).toMatch(/^-?\d+\.\d{2}$/);
    for (const e of counted) {
      for (const v of [e.factor_value, e.fx_rate, e.deflator, e.amount_usd_2022, e.kg_co2e]) {
        expect(v).toMatch(/^-?\d+(\.\d+)?$/);
      }
    }
  });

  it('adds up its totals exactly from the entries', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 200 });
    const page = await backend.ledgerPage(EMPTY_FILTER, 0, 400);
    const summary = await backend.emissionsSummary(EMPTY_FILTER, 'category');
    const counted = page.entries.filter((e) => e.status === 'counted');
    expect(summary.totals.kg_co2e).toBe(sumDecimals(counted.map((e) => e.kg_co2e)));
    expect(summary.totals.spend_usd_2022).toBe(sumDecimals(counted.map((e) => e.amount_usd_2022)));
    expect(sumDecimals(summary.groups.map((g) => g.kg_co2e))).toBe(summary.totals.kg_co2e);
  });

  it('totals a thousand lines of 0.10 and a thousand of 0.20 to exactly 300.00', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 10 });
    const lines = [];
    for (let i = 0; i < 1000; i++) {
      lines.push(ledgerEntry({ amount_usd_2022: '0.10', kg_co2e: '0.10' }), ledgerEntry({ amount_usd_2022: '0.20', kg_co2e: '0.20' }));
    }
    backend.setLedger(lines);
    const { totals } = await backend.emissionsSummary(EMPTY_FILTER, null);
    expect(totals).toMatchObject({ kg_co2e: '300.00', spend_usd_2022: '300.00', counted: 2000 });
  });
});

describe('the sample platforms', () => {
  it('list the streams each connector reads, in its order, as the application does: none for a platform not yet available', async () => {
    const providers = await new FakeBackend({ scenario: 'empty' }).listProviders();
    expect(providers.find((p) => p.id === 'xero')!.streams).toEqual([
      { name: 'accounts', label: 'Chart of accounts', short: 'Account', singular: 'Account' },
      { name: 'bank_transactions', label: 'Bank transactions', short: 'Bank', singular: 'Bank transaction' },
      { name: 'bills', label: 'Bills', short: 'Bill', singular: 'Bill' },
      { name: 'credit_notes', label: 'Supplier credit notes', short: 'Credit', singular: 'Supplier credit note' },
    ]);
    for (const p of providers.filter((x) => !x.available)) expect(p.streams).toEqual([]);
  });
});
