// For tests: ledger entries written out by hand, as the application would send them, so a
// test can hold the exact amounts it checks (a credit note of -12.50, a thousand lines of
// cents) instead of depending on the generated sample ledger.

import type { LedgerEntry } from '../bindings/LedgerEntry';
import { FACTOR_SET, FACTOR_UNIT, FACTOR_VERSION } from './fakeData';

let serial = 0;

/**
 * A counted line of connection 1 (Harbour & Pine Ltd, in pounds) on 15 January 2024, for
 * office supplies, with `patch` over it. Every amount is an exact decimal string.
 */
export function ledgerEntry(patch: Partial<LedgerEntry> = {}): LedgerEntry {
  serial += 1;
  return {
    id: serial,
    connection_id: 1,
    source: 'Harbour & Pine Ltd',
    stream: 'bills',
    record_id: `00000000-0000-4000-a000-${String(serial).padStart(12, '0')}`,
    line_no: 1,
    date: '2024-01-15',
    contact: 'Paperworks Supplies',
    description: 'Desk supplies',
    account_code: '453',
    account_name: 'Office Expenses',
    net_amount: '100.00',
    currency: 'GBP',
    line_net_amount: null,
    status: 'counted',
    reason: null,
    rule_id: 'xero-std-453',
    category: 'Office supplies',
    scope: 3,
    scope3_category: 1,
    factor_set: FACTOR_SET,
    factor_version: FACTOR_VERSION,
    factor_code: '453210',
    factor_title: 'Office Supplies and Stationery Stores',
    factor_value: '0.111',
    factor_unit: FACTOR_UNIT,
    fx_rate: '1.2781',
    fx_source: 'Federal Reserve G.5A annual average, noon buying rates in New York',
    deflator: '0.965021',
    deflator_source: 'BEA NIPA Table 1.1.9 line 1, GDP implicit price deflator (FRED GDPDEF)',
    amount_usd_2022: '123.34',
    decision_id: null,
    review_rule_id: null,
    kg_co2e: '13.6907',
    market_kg_co2e: null,
    part_no: 0,
    share_percent: null,
    part_amount: null,
    ...patch,
  };
}
