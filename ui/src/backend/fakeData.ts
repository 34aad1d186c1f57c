// Sample data for the FakeBackend: the platform catalogue and a deterministic two-year
// ledger for two organisations. The accounts, factors, exchange rates and deflators are
// those the application ships, so the numbers look like the real ones. Amounts, rates,
// factors and kilograms are exact decimal strings, as the application sends them.

import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { ProviderView } from '../bindings/ProviderView';
import type { StreamView } from '../bindings/StreamView';
import { type DecimalString, HALF_UP, dec, multiplyDecimals, roundDecimal } from '../lib/decimal';

/** A small, fast, seeded random number generator (mulberry32): the same seed, the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The streams Xero's connector reads, in its order, as the application lists them: the
 * chart of accounts every connector reads first, then Xero's own.
 */
export const XERO_STREAMS: StreamView[] = [
  { name: 'accounts', label: 'Chart of accounts', short: 'Account', singular: 'Account' },
  { name: 'bank_transactions', label: 'Bank transactions', short: 'Bank', singular: 'Bank transaction' },
  { name: 'bills', label: 'Bills', short: 'Bill', singular: 'Bill' },
  { name: 'credit_notes', label: 'Supplier credit notes', short: 'Credit', singular: 'Supplier credit note' },
];

/** The application's built-in catalogue: Xero can be connected, the others not yet (and so read no streams). */
export const CATALOGUE: ProviderView[] = [
  provider('xero', 'Xero', 'accounting', 'Accounting', 'oauth', 'OAuth 2.0', true, 'loopback',
    ['offline_access', 'accounting.settings.read', 'accounting.banktransactions.read', 'accounting.invoices.read'],
    'https://developer.xero.com/documentation/api/accounting/overview', XERO_STREAMS),
  provider('quickbooks', 'QuickBooks Online', 'accounting', 'Accounting', 'oauth', 'OAuth 2.0', false, 'loopback',
    ['com.intuit.quickbooks.accounting'], null),
  provider('aws', 'Amazon Web Services', 'cloud', 'Cloud', 'api_key', 'API key', false, 'none', [], null),
  provider('azure', 'Microsoft Azure', 'cloud', 'Cloud', 'service_principal', 'Service principal', false, 'none',
    ['https://management.azure.com/.default'], null),
  provider('gcp', 'Google Cloud', 'cloud', 'Cloud', 'service_account_key', 'Service account key', false, 'none',
    ['https://www.googleapis.com/auth/bigquery.readonly'], null),
  provider('salesforce', 'Salesforce', 'crm', 'CRM', 'oauth', 'OAuth 2.0', false, 'deep_link',
    ['api', 'refresh_token'], null),
  provider('slack', 'Slack', 'communication', 'Communication', 'oauth', 'OAuth 2.0', false, 'https_bounce',
    ['chat:write'], null),
  provider('teams', 'Microsoft Teams', 'communication', 'Communication', 'webhook_url', 'Webhook URL', false, 'none', [], null),
];

function provider(
  id: string,
  name: string,
  category: ProviderView['category'],
  category_label: string,
  auth: ProviderView['auth'],
  auth_label: string,
  available: boolean,
  redirect: ProviderView['redirect'],
  scopes: string[],
  docs_url: string | null,
  streams: StreamView[] = [],
): ProviderView {
  return {
    id,
    name,
    category,
    category_label,
    auth,
    auth_label,
    available,
    status_note: available ? null : 'Not yet available in CarbonSync.',
    redirect,
    scopes,
    sandbox: available,
    connections: 0,
    docs_url,
    streams,
  };
}

export interface SampleOrg {
  tenant_id: string;
  tenant_name: string;
  currency: 'GBP' | 'USD';
}

export const SAMPLE_ORGS: SampleOrg[] = [
  { tenant_id: '7c1e5a52-3b7d-4f0e-9a51-1d2c3b4a5e6f', tenant_name: 'Harbour & Pine Ltd', currency: 'GBP' },
  { tenant_id: 'b93f0d18-8e2a-4c6b-b1f4-6a7e8d9c0b1a', tenant_name: 'Harbour & Pine Inc', currency: 'USD' },
];

interface Account {
  code: string;
  name: string;
  treatment: 'spend' | 'exclude' | 'unmapped';
  category: string | null;
  naics: string | null;
  scope3: number | null;
  /** kg CO2e per 2022 US dollar, an exact decimal. */
  factor: DecimalString | null;
  title: string | null;
  reason: string | null;
  /** Relative frequency of lines on this account. */
  weight: number;
  /** Typical net amount of one line, in the organisation's currency. */
  typical: number;
  contacts: string[];
}

function spend(code: string, name: string, category: string, naics: string, scope3: number, factor: DecimalString, title: string,
  weight: number, typical: number, contacts: string[], reason: string | null = null): Account {
  return { code, name, treatment: 'spend', category, naics, scope3, factor, title, reason, weight, typical, contacts };
}

function other(code: string, name: string, treatment: 'exclude' | 'unmapped', category: string | null, reason: string,
  weight: number, typical: number, contacts: string[]): Account {
  return { code, name, treatment, category, naics: null, scope3: null, factor: null, title: null, reason, weight, typical, contacts };
}

const ACCOUNTS: Account[] = [
  spend('400', 'Advertising', 'Advertising & marketing', '541810', 1, '0.085', 'Advertising Agencies', 5, 1400, ['Brightside Media', 'Northwall Print & Digital']),
  spend('404', 'Bank Fees', 'Bank fees', '522110', 1, '0.059', 'Commercial Banking', 6, 35, ['Harbour Bank']),
  spend('408', 'Cleaning', 'Cleaning services', '561720', 1, '0.214', 'Janitorial Services', 4, 420, ['Greenleaf Cleaning Co']),
  spend('412', 'Consulting & Accounting', 'Accounting & consulting', '541211', 1, '0.054', 'Offices of Certified Public Accountants', 3, 2600, ['Harper & Cole Accountants']),
  spend('420', 'Entertainment', 'Meals & entertainment', '722511', 1, '0.194', 'Full-Service Restaurants', 6, 180, ['The Quayside Kitchen', 'Pepper & Thyme']),
  spend('425', 'Freight & Courier', 'Freight & courier', '492110', 4, '0.303', 'Couriers and Express Delivery Services', 7, 260, ['Northline Couriers', 'Swift Parcel']),
  spend('433', 'Insurance', 'Insurance', '524126', 1, '0.033', 'Direct Property and Casualty Insurance Carriers', 2, 3100, ['Lighthouse Mutual']),
  spend('441', 'Legal expenses', 'Legal services', '541110', 1, '0.041', 'Offices of Lawyers', 2, 1900, ['Oakridge Legal LLP']),
  spend('449', 'Motor Vehicle Expenses', 'Vehicle fuel (supply chain)', '324110', 3, '0.27', 'Petroleum Refineries', 6, 95, ['Fuel Stop', 'Roadside Energy'],
    'counted as the supply chain of the fuel bought (Scope 3 category 3); burning fuel in vehicles the organisation owns or controls is Scope 1 and needs the litres'),
  spend('453', 'Office Expenses', 'Office supplies', '453210', 1, '0.111', 'Office Supplies and Stationery Stores', 6, 140, ['Paperworks Supplies']),
  spend('461', 'Printing & Stationery', 'Printing & stationery', '323111', 1, '0.236', 'Commercial Printing (except Screen and Books)', 3, 310, ['Northwall Print & Digital']),
  spend('469', 'Rent', 'Rent of premises', '531120', 8, '0.246', 'Lessors of Nonresidential Buildings (except Miniwarehouses)', 3, 4200, ['Parkside Properties']),
  spend('473', 'Repairs and Maintenance', 'Repairs & maintenance', '811310', 1, '0.136', 'Commercial and Industrial Machinery and Equipment Repair and Maintenance', 3, 520, ['FixRight Engineering']),
  spend('485', 'Subscriptions', 'Software subscriptions', '511210', 1, '0.08', 'Software Publishers', 7, 240, ['CloudDesk Software', 'Ledgerly', 'Meetwise']),
  spend('489', 'Telephone & Internet', 'Telephone & internet', '517311', 1, '0.075', 'Wired Telecommunications Carriers', 4, 190, ['Brightwave Telecom']),
  spend('493', 'Travel - National', 'Business travel – ground', '485310', 6, '0.566', 'Taxi Service', 6, 70, ['Metro Taxis', 'City Rail']),
  spend('494', 'Travel - International', 'Business travel – air', '481111', 6, '0.644', 'Scheduled Passenger Air Transportation', 3, 880, ['SkyBridge Airways']),
  other('800', 'Accounts Payable', 'exclude', 'Balance sheet', "transfer/balance sheet: paying a supplier's bill settles a purchase already counted on the bill's own expense lines", 6, 1200, ['Parkside Properties', 'CloudDesk Software']),
  other('820', 'VAT/Sales Tax', 'exclude', 'Tax', 'tax: VAT or sales tax is not a purchase; emissions are calculated on amounts excluding tax', 3, 900, ['HM Revenue & Customs']),
  other('090', 'Business Bank Account', 'exclude', 'Bank & transfers', 'a bank account: money moving into or out of it is a transfer or a balance, not a purchase', 2, 5000, ['Harbour Bank']),
  other('437', 'Interest Expense', 'exclude', 'Interest & financing', 'interest is a cost of borrowing (interest/financial), not a purchase of goods or services', 1, 210, ['Harbour Bank']),
  other('429', 'General Expenses', 'unmapped', null, 'too broad to choose a factor; map it to a category, or recode the spend to a more specific account in Xero', 3, 160, ['Sundry supplier', 'Corner Shop']),
  other('445', 'Light, Power, Heating', 'unmapped', null, 'electricity and gas need kWh (Scope 2 for electricity, Scope 1 for gas burnt on site); the EPA spend factors have no factor for electric power generation. Enter the kWh from the bills', 3, 640, ['Gridline Energy']),
  other('720', 'Computer Equipment', 'unmapped', null, 'a capital purchase (Scope 3 category 2) whose factor depends on the equipment; map it to a category', 1, 1350, ['Byte Hardware']),
];

const DESCRIPTIONS: Record<string, string[]> = {
  '400': ['Social media campaign', 'Trade magazine advert', 'Brochure design'],
  '404': ['Monthly account fee', 'International payment fee', 'Card processing fee'],
  '408': ['Office cleaning, monthly', 'Window cleaning'],
  '412': ['Year-end accounts', 'Quarterly VAT return', 'Advisory retainer'],
  '420': ['Client lunch', 'Team dinner', 'Coffee with supplier'],
  '425': ['Next-day parcels', 'Pallet delivery', 'Document courier'],
  '433': ['Professional indemnity cover', 'Office contents insurance'],
  '441': ['Contract review', 'Lease advice'],
  '449': ['Diesel, pool car', 'Fuel, delivery van'],
  '453': ['Printer paper and toner', 'Desk supplies', 'Kitchen supplies'],
  '461': ['Business cards', 'Printed catalogues'],
  '469': ['Office rent, monthly', 'Storage unit rent'],
  '473': ['Boiler service', 'Forklift repair', 'Air conditioning service'],
  '485': ['Accounting software', 'Video conferencing', 'Design tools licence'],
  '489': ['Broadband', 'Mobile phones', 'Phone line rental'],
  '493': ['Taxi to client site', 'Train tickets', 'Airport transfer'],
  '494': ['Flights to trade fair', 'Return flight, client visit'],
  '800': ['Payment of supplier invoice'],
  '820': ['VAT payment', 'Sales tax payment'],
  '090': ['Transfer between accounts'],
  '437': ['Overdraft interest', 'Loan interest'],
  '429': ['Sundry purchases', 'Miscellaneous'],
  '445': ['Electricity', 'Gas', 'Electricity and gas'],
  '720': ['Laptop', 'Monitors', 'Network switch'],
};

const TOTAL_WEIGHT = ACCOUNTS.reduce((s, a) => s + a.weight, 0);

/** US dollars per unit of a currency, by year. */
const USD_PER: Record<string, Record<number, DecimalString>> = {
  GBP: { 2023: '1.244', 2024: '1.2781' },
  USD: { 2023: '1', 2024: '1' },
};
const GDP_INDEX: Record<number, DecimalString> = { 2022: '117.996', 2023: '122.273', 2024: '125.224' };
const FX_SOURCE = 'Federal Reserve G.5A annual average, noon buying rates in New York';
const DEFLATOR_SOURCE = 'BEA NIPA Table 1.1.9 line 1, GDP implicit price deflator (FRED GDPDEF)';
export const FACTOR_SET = 'US EPA Supply Chain GHG Emission Factors (USEEIO v2.2)';
export const FACTOR_VERSION = 'v1.3.0';
export const FACTOR_UNIT = 'kg CO2e/2022 USD, purchaser price';
export const METHOD = `Spend-based: ${FACTOR_SET} ${FACTOR_VERSION} (${FACTOR_UNIT}), amounts converted to USD at annual average rates and deflated to 2022 with the US GDP price index`;

function pickAccount(r: number): Account {
  let x = r * TOTAL_WEIGHT;
  for (const a of ACCOUNTS) {
    x -= a.weight;
    if (x <= 0) return a;
  }
  return ACCOUNTS[ACCOUNTS.length - 1]!;
}

function hex(rand: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

function recordId(rand: () => number): string {
  return `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-a${hex(rand, 3)}-${hex(rand, 12)}`;
}

const DAY_MS = 86_400_000;
const START = Date.UTC(2023, 0, 1);
const DAYS = 731; // 2023-01-01 … 2024-12-31


/**
 * One organisation's ledger lines, about `count` of them, newest first within the
 * organisation. A record (a bill or a spend bank transaction) has one to three lines.
 */
export function generateLedger(connectionId: number, org: SampleOrg, count: number, seed: number): LedgerEntry[] {
  const rand = seededRandom(seed);
  const out: LedgerEntry[] = [];
  while (out.length < count) {
    const day = Math.floor(rand() * DAYS);
    const date = new Date(START + day * DAY_MS).toISOString().slice(0, 10);
    const year = Number(date.slice(0, 4));
    const stream = rand() < 0.55 ? 'bills' : 'bank_transactions';
    const id = recordId(rand);
    const lines = 1 + Math.floor(rand() * rand() * 3);
    const deleted = rand() < 0.01;
    for (let line = 1; line <= lines && out.length < count; line++) {
      const account = pickAccount(rand());
      const contact = account.contacts[Math.floor(rand() * account.contacts.length)] ?? null;
      const cents = Math.round(account.typical * (0.35 + rand() * 1.3) * 100);
      const net = dec(String(cents)).times('0.01').toFixed(2);
      const options = DESCRIPTIONS[account.code] ?? [account.name];
      const description = options[Math.floor(rand() * options.length)] ?? null;
      out.push(assess(connectionId, org, stream, id, line, date, year, contact, description, account, net, deleted));
    }
  }
  return out;
}

function assess(
  connectionId: number,
  org: SampleOrg,
  stream: string,
  record_id: string,
  line_no: number,
  date: string,
  year: number,
  contact: string | null,
  description: string | null,
  account: Account,
  net: DecimalString,
  deleted: boolean,
): LedgerEntry {
  const base: LedgerEntry = {
    connection_id: connectionId,
    source: org.tenant_name,
    stream,
    record_id,
    line_no,
    date,
    contact,
    description,
    account_code: account.code,
    account_name: account.name,
    net_amount: net,
    currency: org.currency,
    status: 'excluded',
    reason: null,
    rule_id: `xero-std-${account.code}`,
    category: account.category,
    scope: null,
    scope3_category: null,
    factor_set: null,
    factor_version: null,
    factor_code: null,
    factor_title: null,
    factor_value: null,
    factor_unit: null,
    fx_rate: null,
    fx_source: null,
    deflator: null,
    deflator_source: null,
    amount_usd_2022: null,
    kg_co2e: null,
  };
  if (deleted) {
    return { ...base, status: 'excluded', reason: 'deleted or voided in Xero: kept for the record, never counted', category: 'Deleted records' };
  }
  if (account.treatment === 'exclude') return { ...base, status: 'excluded', reason: account.reason };
  if (account.treatment === 'unmapped') return { ...base, status: 'unmapped', reason: account.reason, category: null };
  // Rounded to the places the application keeps, so sums look like the real ones.
  const fx = USD_PER[org.currency]?.[year] ?? '1';
  const deflator = dec(GDP_INDEX[2022]!).div(dec(GDP_INDEX[year] ?? GDP_INDEX[2022]!)).toFixed(6, HALF_UP);
  const usd2022 = roundDecimal(multiplyDecimals(multiplyDecimals(net, fx), deflator), 2);
  return {
    ...base,
    status: 'counted',
    reason: account.reason,
    scope: 3,
    scope3_category: account.scope3,
    factor_set: FACTOR_SET,
    factor_version: FACTOR_VERSION,
    factor_code: account.naics,
    factor_title: account.title,
    factor_value: account.factor,
    factor_unit: FACTOR_UNIT,
    fx_rate: fx,
    fx_source: org.currency === 'USD' ? 'identity' : FX_SOURCE,
    deflator,
    deflator_source: DEFLATOR_SOURCE,
    amount_usd_2022: usd2022,
    kg_co2e: roundDecimal(multiplyDecimals(usd2022, account.factor ?? '0'), 4),
  };
}

/** Sorts like the database: newest first, then by record and line. */
export function compareEntries(a: LedgerEntry, b: LedgerEntry): number {
  if (a.date !== b.date) return a.date < b.date ? 1 : -1;
  if (a.record_id !== b.record_id) return a.record_id < b.record_id ? -1 : 1;
  return a.line_no - b.line_no;
}
