// The FakeBackend's review: the queue of entries that still need a person, people's decisions
// on entries (accept, reclassify, exclude, activity data, split, include again), their rules for
// similar entries, and the audit trail of it all. Written by hand after the application's
// rules and words (crates/core/src/decisions.rs, review_rules.rs, crates/store/src/review.rs
// and crates/sync/src/review.rs), because the recording of ./recorded/ holds no review:
// - an entry is decided as the application decides it: the person's decision first (accepting
//   keeps what the rules or the mapping made of it), then the person's rules in their order,
//   then the account mapping (the entry as the sync stored it); what the record itself settles
//   (a deleted record, a transfer) stays as it is;
// - a reclassified entry is counted again with the chosen factor from the same exchange rates
//   and US price index as the application's tables, rounded once to six places, so the
//   kilograms are those the application works out; activity data uses the UK DESNZ 2024
//   factors, with the quantity as given or estimated from the line's amount at a stated price
//   per unit, and a supplier or contract factor kept beside as the market-based kg;
// - the factor list is a part of the shipped US EPA set (the factors the sample ledger uses
//   and some more), with their published values;
// - decisions are kept by line (connection, stream, record, line number), so a line the
//   platform later changes returns to the queue as changed since review;
// - a line split between categories is one entry per part (the first keeps the line's id),
//   each counted as a reclassification of its exact share of the amount; deciding the line
//   whole folds the parts back into the first.

import type { AppError } from '../bindings/AppError';
import type { AuditCheck } from '../bindings/AuditCheck';
import type { AuditRow } from '../bindings/AuditRow';
import type { Classification } from '../bindings/Classification';
import type { Decision } from '../bindings/Decision';
import type { EntryDetail } from '../bindings/EntryDetail';
import type { FactorChoice } from '../bindings/FactorChoice';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { LedgerRow } from '../bindings/LedgerRow';
import type { LineSnapshot } from '../bindings/LineSnapshot';
import type { PreviewedEntry } from '../bindings/PreviewedEntry';
import type { QueueItem } from '../bindings/QueueItem';
import type { QueueReason } from '../bindings/QueueReason';
import type { ReviewAction } from '../bindings/ReviewAction';
import type { ReviewProgress } from '../bindings/ReviewProgress';
import type { ReviewQueue } from '../bindings/ReviewQueue';
import type { ReviewRule } from '../bindings/ReviewRule';
import type { RuleInput } from '../bindings/RuleInput';
import type { RuleMatch } from '../bindings/RuleMatch';
import type { RulePreview } from '../bindings/RulePreview';
import type { SplitPart } from '../bindings/SplitPart';
import { HALF_UP, compareDecimals, dec, isPlainDecimal, percentOf, sumDecimals } from '../lib/decimal';
import { FACTOR_SET, FACTOR_UNIT, FACTOR_VERSION } from './fakeData';

/** What the FakeReview needs of the FakeBackend around it. */
export interface ReviewHost {
  /** The fake's clock, ms since 1970. */
  nowMs(): number;
  /** Every stored entry, of every connection, in the ledger's order. */
  entries(): LedgerEntry[];
  /** The entries of connections that exist, narrowed by `filter`, in the ledger's order. */
  select(filter: LedgerFilter): LedgerEntry[];
  /** The platform (catalogue id) of a connection, or null when there is no such connection. */
  platformOf(connectionId: number): string | null;
  /** The catalogue's platform ids. */
  platformIds(): string[];
  /** Stores the other parts of a line just split, as new entries of the ledger. */
  addEntries(entries: ReadonlyArray<LedgerEntry>): void;
  /** Removes parts of a line no longer split (or split in fewer parts) from the ledger. */
  removeEntries(entries: ReadonlyArray<LedgerEntry>): void;
  /** An id no entry has had yet, for a new part of a split line. */
  newEntryId(): number;
}

/** The operating-system user and machine the audit trail names. */
export const REVIEWER = { os_user: 'you', machine: 'this-computer' } as const;

/** How many changed entries a preview lists (the counts cover them all). */
export const PREVIEW_LISTED = 50;

// ---- the factors ----------------------------------------------------------------------------

/** The publisher of the shipped spend-based set, as the application names it. */
const FACTOR_PUBLISHER = 'US EPA Office of Research and Development';

/**
 * Part of the shipped US EPA Supply Chain GHG Emission Factors v1.3 (2017 NAICS, kg CO2e per
 * 2022 USD, purchaser price, with margins), in the set's order, titles as published.
 */
const FACTOR_ROWS: ReadonlyArray<readonly [code: string, title: string, value: string]> = [
  ['221210', 'Natural Gas Distribution', '0.532'],
  ['221310', 'Water Supply and Irrigation Systems', '0.578'],
  ['237310', 'Highway, Street, and Bridge Construction', '0.255'],
  ['315990', 'Apparel Accessories and Other Apparel Manufacturing', '0.12'],
  ['316210', 'Footwear Manufacturing', '0.282'],
  ['321113', 'Sawmills', '0.264'],
  ['321211', 'Hardwood Veneer and Plywood Manufacturing', '0.208'],
  ['322211', 'Corrugated and Solid Fiber Box Manufacturing', '0.479'],
  ['323111', 'Commercial Printing (except Screen and Books)', '0.236'],
  ['324110', 'Petroleum Refineries', '0.27'],
  ['334111', 'Electronic Computer Manufacturing', '0.058'],
  ['337211', 'Wood Office Furniture Manufacturing', '0.24'],
  ['339940', 'Office Supplies (except Paper) Manufacturing', '0.265'],
  ['423310', 'Lumber, Plywood, Millwork, and Wood Panel Merchant Wholesalers', '0.108'],
  ['423430', 'Computer and Computer Peripheral Equipment and Software Merchant Wholesalers', '0.074'],
  ['424120', 'Stationery and Office Supplies Merchant Wholesalers', '0.144'],
  ['424340', 'Footwear Merchant Wholesalers', '0.144'],
  ['424990', 'Other Miscellaneous Nondurable Goods Merchant Wholesalers', '0.144'],
  ['448210', 'Shoe Stores', '0.138'],
  ['453210', 'Office Supplies and Stationery Stores', '0.111'],
  ['481111', 'Scheduled Passenger Air Transportation', '0.644'],
  ['481211', 'Nonscheduled Chartered Passenger Air Transportation', '0.644'],
  ['483111', 'Deep Sea Freight Transportation', '0.816'],
  ['484110', 'General Freight Trucking, Local', '0.595'],
  ['484121', 'General Freight Trucking, Long-Distance, Truckload', '0.595'],
  ['485310', 'Taxi Service', '0.566'],
  ['485999', 'All Other Transit and Ground Passenger Transportation', '0.566'],
  ['488510', 'Freight Transportation Arrangement', '0.162'],
  ['492110', 'Couriers and Express Delivery Services', '0.303'],
  ['511210', 'Software Publishers', '0.08'],
  ['517311', 'Wired Telecommunications Carriers', '0.075'],
  ['517312', 'Wireless Telecommunications Carriers (except Satellite)', '0.096'],
  ['518210', 'Data Processing, Hosting, and Related Services', '0.093'],
  ['531120', 'Lessors of Nonresidential Buildings (excpet Miniwarehouses)', '0.246'],
  ['532111', 'Passenger Car Rental', '0.11'],
  ['541110', 'Offices of Lawyers', '0.041'],
  ['541211', 'Offices of Certified Public Accountants', '0.054'],
  ['541511', 'Custom Computer Programming Services', '0.084'],
  ['541611', 'Administrative Management and General Management Consulting Services', '0.078'],
  ['541810', 'Advertising Agencies', '0.085'],
  ['561320', 'Temporary Help Services', '0.051'],
  ['561720', 'Janitorial Services', '0.214'],
  ['711310', 'Promoters of Performing Arts, Sports, and Similar Events with Facilities', '0.093'],
  ['721110', 'Hotels (except Casino Hotels) and Motels', '0.145'],
  ['722511', 'Full-Service Restaurants', '0.194'],
  ['811111', 'General Automotive Repair', '0.103'],
  ['811310', 'Commercial and Industrial Machinery and Equipment (except Automotive and Electronic) Repair and Maintenance', '0.136'],
  ['813910', 'Business Associations', '0.128'],
];

/**
 * The Scope 3 category of the factors above whose spend does not go under 1 (purchased goods
 * and services) when nobody names one, as the application gives it: from the account
 * mappings (air travel 6, fuel 3, computers 2, rent 8), else from the industry (passenger transport and
 * hotels 6, freight and couriers 4).
 */
const SCOPE3_BY_CODE: Readonly<Record<string, number>> = {
  '324110': 3,
  '334111': 2,
  '481111': 6,
  '481211': 6,
  '483111': 4,
  '484110': 4,
  '484121': 4,
  '485310': 6,
  '485999': 6,
  '488510': 4,
  '492110': 4,
  '531120': 8,
  '721110': 6,
};

export const FAKE_FACTORS: ReadonlyArray<FactorChoice> = FACTOR_ROWS.map(([code, title, value]) => ({
  set: FACTOR_SET,
  version: FACTOR_VERSION,
  code,
  title,
  value,
  unit: FACTOR_UNIT,
  publisher: FACTOR_PUBLISHER,
  scope3_category: SCOPE3_BY_CODE[code] ?? 1,
}));

// ---- exchange rates and the US price index, as the application's tables hold them ------------

interface Rate {
  usd_per_unit: string;
  source: string;
  note: string;
}

const FED = 'Federal Reserve G.5A annual average, noon buying rates in New York';
const RATES: Record<string, Rate> = {
  'USD-2022': { usd_per_unit: '1', source: 'identity', note: '' },
  'USD-2023': { usd_per_unit: '1', source: 'identity', note: '' },
  'USD-2024': { usd_per_unit: '1', source: 'identity', note: '' },
  'GBP-2022': { usd_per_unit: '1.2371', source: FED, note: '' },
  'GBP-2023': { usd_per_unit: '1.2440', source: FED, note: '' },
  'GBP-2024': { usd_per_unit: '1.2781', source: FED, note: 'G.5A release of January 2025' },
  'EUR-2022': { usd_per_unit: '1.0534', source: FED, note: '' },
  'EUR-2023': { usd_per_unit: '1.0817', source: FED, note: '' },
  'EUR-2024': { usd_per_unit: '1.0824', source: FED, note: 'G.5A release of January 2025' },
  'CAD-2022': {
    usd_per_unit: '0.768226',
    source: FED,
    note: '1 / 1.3017 Canadian dollars per US dollar (G.5A quotes CAD per USD), to six places',
  },
  'CAD-2023': {
    usd_per_unit: '0.740905',
    source: FED,
    note: '1 / 1.3497 Canadian dollars per US dollar (G.5A quotes CAD per USD), to six places',
  },
  'CAD-2024': {
    usd_per_unit: '0.729980',
    source: FED,
    note: '1 / 1.3699 Canadian dollars per US dollar (G.5A quotes CAD per USD), to six places; G.5A release of January 2025',
  },
};

const AS_TRANSCRIBED = 'annual value as transcribed; verify against the current BEA vintage';
const PRICE_INDEX: Record<number, { index: string; note: string }> = {
  2022: { index: '117.996', note: AS_TRANSCRIBED },
  2023: { index: '122.273', note: AS_TRANSCRIBED },
  2024: { index: '125.224', note: 'mean of the four 2024 quarterly values 124.163, 124.943, 125.532, 126.257' },
};
const BASE_YEAR = 2022;

function fxSource(currency: string, year: number, r: Rate): string {
  return `USD per ${currency}, ${year}: ${r.source}${r.note ? ` (${r.note})` : ''}`;
}

function deflatorSource(year: number): string {
  const base = PRICE_INDEX[BASE_YEAR]!;
  const it = PRICE_INDEX[year]!;
  const notes = year === BASE_YEAR ? `${BASE_YEAR}: ${base.note}` : `${BASE_YEAR}: ${base.note}; ${year}: ${it.note}`;
  return (
    `index(${BASE_YEAR}) ${base.index} / index(${year}) ${it.index}, US GDP price index (2017 = 100); ` +
    `source: BEA NIPA Table 1.1.9 line 1, GDP implicit price deflator (FRED GDPDEF); ${notes}`
  );
}

// ---- activity data: UK DESNZ greenhouse gas conversion factors 2024 ---------------------------

export const ACTIVITY_SET = 'UK DESNZ greenhouse gas conversion factors';
export const ACTIVITY_SET_VERSION = '2024 v1.1';

interface Activity {
  key: string;
  label: string;
  scope: number;
  scope3_category: number | null;
  factor_id: string;
  title: string;
  factor_unit: string;
  quantity_unit: string;
  /** Factor units in one quantity unit (kilograms of waste against a per-tonne factor). */
  per: string;
  value: string;
}

/** The shipped activity table, in its order. */
const ACTIVITIES: ReadonlyArray<Activity> = [
  a('electricity-uk', 'Electricity, UK grid (location-based)', 2, null, '7_400_4000_5_1', 'UK electricity › Electricity generated › Electricity: UK › kWh', 'kWh', '0.20705'),
  a('natural-gas', 'Natural gas burnt on site', 1, null, '1_100_1004_6_1', 'Fuels › Gaseous fuels › Natural gas', 'kWh (Gross CV)', '0.1829'),
  a('diesel', 'Diesel (average biofuel blend) burnt in owned vehicles or plant', 1, null, '1_101_1011_8_1', 'Fuels › Liquid fuels › Diesel (average biofuel blend)', 'litres', '2.51279'),
  a('petrol', 'Petrol (average biofuel blend) burnt in owned vehicles or plant', 1, null, '1_101_1017_8_1', 'Fuels › Liquid fuels › Petrol (average biofuel blend)', 'litres', '2.0844'),
  a('flight-domestic', 'Flights within the UK, average passenger, with radiative forcing', 3, 6, '21_316_3160_11_1', 'Business travel- air › Flights › Domestic, to/from UK › Average passenger › With RF', 'passenger.km', '0.27257'),
  a('flight-short-haul', 'Short-haul flights to or from the UK, average passenger, with radiative forcing', 3, 6, '21_316_3162_11_1', 'Business travel- air › Flights › Short-haul, to/from UK › Average passenger › With RF', 'passenger.km', '0.18592'),
  a('flight-long-haul', 'Long-haul flights to or from the UK, average passenger, with radiative forcing', 3, 6, '21_316_3168_11_1', 'Business travel- air › Flights › Long-haul, to/from UK › Average passenger › With RF', 'passenger.km', '0.26128'),
  a('rail', 'National rail', 3, 6, '25_315_3147_11_1', 'Business travel- land › Rail › National rail', 'passenger.km', '0.03546'),
  a('car', 'Business travel by car, average car, fuel unknown', 3, 6, '25_301_3074_4_1', 'Business travel- land › Cars (by size) › Average car › Unknown', 'km', '0.16691'),
  a('hotel-uk', 'Hotel stay in the UK', 3, 6, '29_600_4000_13_1', 'Hotel stay › Hotel stay › UK', 'Room per night', '10.4'),
  a('freight-hgv', 'Freight by HGV (all diesel), average laden', 3, 4, '27_304_3140_14_1', 'Freighting goods › HGV (all diesel) › All HGVs › Average laden', 'tonne.km', '0.09752'),
  a('waste-landfill', 'Commercial and industrial waste to landfill', 3, 5, '20_507_5313_15_1', 'Waste disposal › Refuse › Commercial and industrial waste › Landfill', 'tonnes', '520.3342'),
  a('waste-combustion', 'Commercial and industrial waste to combustion', 3, 5, '20_507_5311_15_1', 'Waste disposal › Refuse › Commercial and industrial waste › Combustion', 'tonnes', '6.41061'),
];

function a(
  key: string,
  label: string,
  scope: number,
  scope3: number | null,
  factorId: string,
  title: string,
  factorUnit: string,
  value: string,
): Activity {
  const [unit, per] = quantityUnit(factorUnit);
  return { key, label, scope, scope3_category: scope3, factor_id: factorId, title, factor_unit: factorUnit, quantity_unit: unit, per, value };
}

/** The unit a person gives a quantity in for a DESNZ unit, and how many factor units one of it is. */
function quantityUnit(factorUnit: string): [string, string] {
  switch (factorUnit) {
    case 'kWh':
    case 'kWh (Gross CV)':
    case 'kWh (Net CV)':
      return ['kWh', '1'];
    case 'litres':
      return ['litres', '1'];
    case 'passenger.km':
      return ['passenger-km', '1'];
    case 'km':
      return ['km', '1'];
    case 'Room per night':
      return ['room-nights', '1'];
    case 'tonne.km':
      return ['tonne-km', '1'];
    case 'tonnes':
      // Waste is weighed in kilograms on a collection note; the factor is per tonne.
      return ['kg', '0.001'];
    default:
      return ['', '1'];
  }
}

function scaleOf(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** The kg CO2e of `quantity` of an activity, or the application's words for what is wrong. */
function emission(act: Activity, quantity: string | null, unit: string): { kg: string; quantity: string } | string {
  if (unit.trim() !== act.quantity_unit) return `${act.label} is given in ${act.quantity_unit}, not ${JSON.stringify(unit)}`;
  const q = quantity !== null && isPlainDecimal(quantity.trim()) ? quantity.trim() : null;
  if (q === null || !dec(q).gt(0)) return `the quantity must be more than zero ${act.quantity_unit}`;
  const inFactorUnit = dec(q).times(act.per);
  // Decimals multiply exactly; the result is rounded once, to six places at most.
  const scale = Math.min(6, scaleOf(q) + scaleOf(act.per) + scaleOf(act.value));
  return { kg: inFactorUnit.times(act.value).toFixed(scale, HALF_UP), quantity: q };
}

/** Places a quantity estimated from spend is kept to (a millionth of a kWh or litre). */
const ESTIMATE_DP = 6;

/**
 * The quantity `amount` buys at `unitPrice` (both in the same currency): |amount| ÷ price,
 * rounded once to six places, half away from zero, and written with the places the
 * application's decimals keep (a quotient that comes out even keeps the dividend's places less
 * the divisor's, `10.00 / 4` is `2.50`; any other is as short as it is exact, to six places at
 * most). Or the application's words for a price that is not more than zero.
 */
function estimatedQuantity(amount: string, unitPrice: string): { quantity: string } | string {
  const price = dec(unitPrice);
  if (!price.gt(0)) return 'the price per unit must be more than zero';
  const spent = dec(amount).abs();
  if (spent.eq(0)) return { quantity: '0' };
  const q = spent.div(price);
  const exact = q.times(price).eq(spent);
  const places = exact ? Math.max(0, scaleOf(amount) - scaleOf(unitPrice), scaleOf(q.toFixed())) : ESTIMATE_DP + 1;
  return { quantity: places > ESTIMATE_DP ? q.toFixed(ESTIMATE_DP, HALF_UP) : q.toFixed(places) };
}

/**
 * kg CO2e market-based: `quantity` × a supplier-specific or contractual `factor` (kg CO2e per
 * unit of the quantity), rounded once to six places at most; or the application's words for a
 * negative factor.
 */
function marketKg(quantity: string, factor: string): { kg: string } | string {
  const f = dec(factor);
  if (f.lt(0)) return 'a market-based factor cannot be negative';
  const scale = Math.min(6, scaleOf(quantity) + scaleOf(factor));
  return { kg: dec(quantity).times(f).toFixed(scale, HALF_UP) };
}

/** `-x` for `x` as the application's decimals negate (the places kept); zero stays zero. */
function negated(s: string): string {
  if (dec(s).eq(0)) return s;
  return s.startsWith('-') ? s.slice(1) : `-${s}`;
}

/** kg CO2e as the ledger keeps and returns it: in milligrams, six places. */
function milligrams(kg: string): string {
  return dec(kg).toFixed(6, HALF_UP);
}

// ---- small pieces -------------------------------------------------------------------------------

function err(code: string, message: string): AppError {
  return { code, message, detail: null, permanent: true };
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function blank(s: string | null | undefined): boolean {
  return s === null || s === undefined || s.trim() === '';
}

function trimmed(s: string | null | undefined): string | null {
  return blank(s) ? null : s!.trim();
}

function noSuchEntry(id: number): AppError {
  return err('no_such_entry', `There is no ledger entry ${id}; \`carbonsync review\` and \`carbonsync emissions --ledger\` list them.`);
}

function noSuchRule(id: number): AppError {
  return err('no_such_rule', `There is no rule ${id}; \`carbonsync rules\` lists them.`);
}

function invalidRule(message: string): AppError {
  return err('invalid_rule', message);
}

function invalidReview(message: string): AppError {
  return err('invalid_review', message);
}

/**
 * `s` when it is a plain decimal number. The application reads these as numbers before it
 * looks at them (another shape never reaches its checks); the fake says so in words.
 */
function number(s: string, what: string, example: string): string {
  if (!isPlainDecimal(s)) throw invalidReview(`The ${what} ${JSON.stringify(s)} is not a number: write it like ${example}.`);
  return s;
}

const ROW_FIELDS = [
  'status', 'reason', 'rule_id', 'category', 'scope', 'scope3_category', 'factor_set', 'factor_version',
  'factor_code', 'factor_title', 'factor_value', 'factor_unit', 'fx_rate', 'fx_source', 'deflator',
  'deflator_source', 'amount_usd_2022', 'kg_co2e', 'decision_id', 'review_rule_id', 'market_kg_co2e',
  'part_no', 'share_percent', 'part_amount',
] as const satisfies ReadonlyArray<keyof LedgerRow>;

function rowOf(e: LedgerRow): LedgerRow {
  const out = {} as Record<string, unknown>;
  // As stored: entries recorded before the market-based and part columns existed have none,
  // and the stand-in answers with them as they were recorded.
  for (const f of ROW_FIELDS) out[f] = e[f];
  return out as LedgerRow;
}

function sameRow(x: LedgerRow, y: LedgerRow): boolean {
  return ROW_FIELDS.every((f) => x[f] === y[f]);
}

/** What an entry counts, as the report shows it: not who decided it, nor its share. */
const RESULT_FIELDS = [
  'status', 'reason', 'category', 'scope', 'scope3_category', 'factor_code', 'factor_version',
  'kg_co2e', 'market_kg_co2e', 'amount_usd_2022',
] as const satisfies ReadonlyArray<keyof LedgerRow>;

/** Whether `x` and `y` count the same, whoever decided them. */
function sameResult(x: LedgerRow, y: LedgerRow): boolean {
  return RESULT_FIELDS.every((f) => (x[f] ?? null) === (y[f] ?? null));
}

/** An entry with only its status and reason: no rule, no factor, no emission. */
function bare(status: LedgerRow['status'], reason: string | null): LedgerRow {
  return {
    status,
    reason,
    rule_id: null,
    category: null,
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
    decision_id: null,
    review_rule_id: null,
    market_kg_co2e: null,
    part_no: 0,
    share_percent: null,
    part_amount: null,
  };
}

/** A line's place, which a decision keeps across re-syncs: connection, stream, record, line. */
function lineKey(e: Pick<LedgerEntry, 'connection_id' | 'stream' | 'record_id' | 'line_no'>): string {
  return JSON.stringify([e.connection_id, e.stream, e.record_id, e.line_no]);
}

/** Whether the entry is a split line's second, third, … part (its first part stands for the line). */
function isLaterPart(e: LedgerEntry): boolean {
  return (e.part_no ?? 0) > 0;
}

/** The whole line's amount: a split line's (`line_net_amount`), else the entry's own. */
function lineAmountOf(e: LedgerEntry): string {
  return e.line_net_amount ?? e.net_amount;
}

/** The line as the platform sent it, whole: what decisions, rules and the mapping see. */
function wholeLine(e: LedgerEntry): LedgerEntry {
  return e.line_net_amount == null ? e : { ...e, net_amount: e.line_net_amount, line_net_amount: null };
}

/**
 * Places an entry's amounts after it was decided: a part's own amount with the line's beside,
 * or the whole line's amount again for a line counted whole.
 */
function placeAmounts(e: LedgerEntry, row: LedgerRow, line: string): void {
  if (row.part_amount != null) {
    e.net_amount = row.part_amount;
    e.line_net_amount = line;
  } else if (e.line_net_amount != null) {
    e.net_amount = line;
    e.line_net_amount = null;
  }
}

/** A share in percent as the application's decimals keep it: `060` is `60`, `12.50` stays `12.50`. */
function canonicalShare(s: string): string {
  return dec(s).toFixed(scaleOf(s));
}

/** Refuses a Scope 3 category that is not one of the GHG Protocol's 1 to 15. */
function checkScope3(s3: number | null): void {
  if (s3 !== null && !(Number.isInteger(s3) && s3 >= 1 && s3 <= 15)) {
    throw invalidReview(
      `Scope 3 category ${s3} does not exist: the GHG Protocol numbers them 1 to 15 (1 purchased goods and services, 6 business travel, …)`,
    );
  }
}

function classificationOf(c: Classification): Classification {
  return {
    action: c.action,
    category: c.category,
    factor_code: c.factor_code,
    scope3_category: c.scope3_category,
    reason: c.reason,
    activity: c.activity ?? null,
    quantity: c.quantity ?? null,
    quantity_unit: c.quantity_unit ?? null,
    market_factor: c.market_factor ?? null,
    market_factor_source: c.market_factor_source ?? null,
    unit_price: c.unit_price ?? null,
    unit_price_currency: c.unit_price_currency ?? null,
    unit_price_source: c.unit_price_source ?? null,
    parts: (c.parts ?? []).map((p) => ({ ...p })),
  };
}

function sameClassification(x: Classification, y: Classification): boolean {
  return JSON.stringify(classificationOf(x)) === JSON.stringify(classificationOf(y));
}

/** A decision as the application writes it to the audit trail (its classification flattened in). */
function decisionJson(d: Decision): string {
  return JSON.stringify({
    id: d.id,
    entry_id: d.entry_id,
    connection_id: d.connection_id,
    stream: d.stream,
    record_id: d.record_id,
    line_no: d.line_no,
    ...classificationOf(d),
    note: d.note,
    seen: d.seen,
    decided_at_ms: d.decided_at_ms,
    decided_by: d.decided_by,
  });
}

function ruleJson(r: Pick<ReviewRule, 'name' | 'match' | 'classification'>): string {
  return JSON.stringify({ name: r.name, match: r.match, classification: r.classification });
}

/** A stand-in for the trail's SHA-256 chain: 64 hex digits that change with every byte of the row. */
function chainHash(text: string): string {
  let out = '';
  for (let round = 0; round < 8; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}

type StoredRule = Omit<ReviewRule, 'entries'>;

/** Something that changed about a line at the platform (for tests: a re-synced, edited line). */
export type LineChange = Partial<Pick<LedgerEntry, 'date' | 'net_amount' | 'account_code' | 'contact' | 'description'>>;

/**
 * Unmapped lines, which have no kg CO2e, rank by their amount in 2022 US dollars across
 * currencies; a line whose currency has no rate (no dollar amount) comes after those that have.
 */
function byUsd(x: LedgerEntry, y: LedgerEntry): number {
  const none = (e: LedgerEntry) => (e.amount_usd_2022 === null ? 1 : 0);
  if (none(x) !== none(y)) return none(x) - none(y);
  if (x.amount_usd_2022 === null || y.amount_usd_2022 === null) return 0;
  return compareDecimals(dec(y.amount_usd_2022).abs().toFixed(), dec(x.amount_usd_2022).abs().toFixed());
}

export class FakeReview {
  private decisions = new Map<string, Decision>();
  private rules: StoredRule[] = [];
  private audit: AuditRow[] = [];
  /** What the account mapping made of each stored entry, before any decision or rule. */
  private mapped = new WeakMap<LedgerEntry, LedgerRow>();
  /** Whether the platform deleted the record of an entry. */
  private deleted = new WeakSet<LedgerEntry>();
  private nextDecisionId = 1;
  private nextRuleId = 1;
  private nextAuditId = 1;

  constructor(private readonly host: ReviewHost) {}

  // ---- for the FakeBackend ------------------------------------------------------------------

  /** Entries a sync just stored: what the mapping made of them is kept, and the review decides them. */
  stored(entries: ReadonlyArray<LedgerEntry>): void {
    for (const e of entries) {
      this.mapped.set(e, { ...rowOf(e), decision_id: null, review_rule_id: null });
      if (e.status === 'excluded' && e.rule_id === null && e.reason === 'deleted in the source') this.deleted.add(e);
      this.apply(e);
    }
  }

  /**
   * The platform changed a line and a sync read it again: the mapping counts it anew (same
   * factor, the rates of its year), and a decision on it no longer matches what it saw.
   */
  changeLine(entryId: number, change: LineChange): LedgerEntry {
    // The platform changes the line: a split line's amount is the whole line's.
    const e = this.head(this.entryOrThrow(entryId));
    const { net_amount: amount, ...rest } = change;
    Object.assign(e, rest);
    if (amount !== undefined) {
      if (e.line_net_amount != null) e.line_net_amount = amount;
      else e.net_amount = amount;
    }
    const m = this.mappedOf(e);
    let row = m;
    if (m.status === 'counted' && m.factor_code !== null) {
      const factor = FAKE_FACTORS.find((f) => f.code === m.factor_code);
      if (factor) {
        const counted = this.spend(wholeLine(e), factor, m.category, m.scope3_category, m.reason);
        row = { ...counted, rule_id: m.rule_id, scope: m.scope };
      }
    }
    this.mapped.set(e, row);
    this.apply(e);
    return { ...e };
  }

  /** What the person's decision on the entry did (`activity`: counted from a quantity), if one decided it. */
  decisionAction(e: LedgerEntry): ReviewAction | null {
    return e.decision_id === null ? null : (this.decisions.get(lineKey(e))?.action ?? null);
  }

  /**
   * Whether a person's decision counts the entry from a quantity estimated from spend at a
   * stated price (data quality 3): it stays in the queue until someone gives the measured
   * quantity.
   */
  estimated(e: LedgerEntry): boolean {
    if (e.decision_id === null) return false;
    const d = this.decisions.get(lineKey(e));
    return d !== undefined && d.action === 'activity' && d.unit_price !== null;
  }

  /** Adds a row to the audit trail, chained to the last (period closes write theirs here too). */
  record(action: string, subject: string, before: string | null, after: string | null, why: string | null): void {
    this.trail(this.host.nowMs(), action, subject, before, after, why);
  }

  /**
   * Walks the trail from its first row as the application does: ids follow one another, each
   * row's `prev_hash` is the hash of the row before, and its hash is what its fields give.
   */
  auditCheck(): AuditCheck {
    let prev = '0'.repeat(64);
    let count = 0;
    for (const [i, r] of this.audit.entries()) {
      count++;
      const broken = (problem: string): AuditCheck => ({ rows: count, intact: false, broken_at: r.id, problem });
      if (r.id !== i + 1) return broken(`row ${r.id} follows row ${i}: the rows between were removed`);
      if (r.prev_hash !== prev) {
        return broken(`row ${r.id} does not follow the row before it (it was inserted, or the row before was changed)`);
      }
      const { hash, ...fields } = r;
      if (chainHash(JSON.stringify(fields)) !== hash) {
        return broken(`row ${r.id} was changed after it was written: its content no longer matches its hash`);
      }
      prev = hash;
    }
    return { rows: count, intact: true, broken_at: null, problem: null };
  }

  // ---- the Backend's review commands ---------------------------------------------------------

  queue(filter: LedgerFilter, offset: number, limit: number): ReviewQueue {
    const all = this.host.entries();
    const rows = this.host.select(filter).filter((e) => this.inReview(e));
    const items: (QueueItem & { rank: number })[] = [];
    for (const e of rows) {
      // An estimate counts as reviewed, and waits here for the measured quantity all the same.
      const estimated = this.estimated(e);
      if (this.isReviewed(e) && !estimated) continue;
      const decision = this.decisionOf(e);
      const changed = decision !== null && this.changed(e, decision);
      let why: QueueReason;
      if (changed) why = 'changed_since_review';
      else if (estimated) why = 'estimated';
      else if (e.status === 'unmapped') why = 'unmapped';
      else if (filter.from !== null && e.contact !== null && !all.some((p) => p.contact === e.contact && p.connection_id === e.connection_id && p.date < filter.from!))
        why = 'new_supplier';
      else why = 'not_reviewed';
      items.push({ entry: e, why, seen: changed ? { ...decision.seen } : null, rank: REASON_RANK[why] });
    }
    items.sort(
      (x, y) =>
        x.rank - y.rank ||
        compareDecimals(y.entry.kg_co2e ?? '0', x.entry.kg_co2e ?? '0') ||
        (x.why === 'unmapped' ? byUsd(x.entry, y.entry) : 0) ||
        compareDecimals(dec(y.entry.net_amount).abs().toFixed(), dec(x.entry.net_amount).abs().toFixed()) ||
        x.entry.id - y.entry.id,
    );
    return {
      items: items.slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit)).map((i) => ({
        entry: { ...i.entry },
        why: i.why,
        seen: i.seen,
      })),
      offset,
      progress: this.progress(rows),
    };
  }

  detail(entryId: number): EntryDetail {
    const e = this.entryOrThrow(entryId);
    const decision = this.decisionOf(e);
    const rule = decision === null && e.review_rule_id !== null ? this.ruleView(e.review_rule_id) : null;
    const subject = `entry:${entryId}`;
    return {
      entry: { ...e },
      decision: decision && structuredClone(decision),
      rule,
      changed_since_review: decision !== null && this.changed(e, decision),
      history: this.audit
        .filter((r) => r.subject === subject)
        .reverse()
        .slice(0, 200)
        .map((r) => ({ ...r })),
    };
  }

  findFactors(query: string, limit: number): FactorChoice[] {
    const q = query.trim();
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    return FAKE_FACTORS.filter((f) => {
      const title = f.title.toLowerCase();
      return q === '' || f.code.startsWith(q) || words.every((w) => title.includes(w));
    })
      .slice(0, Math.max(0, limit))
      .map((f) => ({ ...f }));
  }

  decide(ids: ReadonlyArray<number>, classification: Classification, note: string | null, why: string | null): LedgerEntry[] {
    const c = this.checkedClassification(classification);
    const entries = ids.map((id) => {
      const e = this.entryOrThrow(id);
      // A price estimates a quantity only from an amount in its own currency.
      const currency = c.unit_price_currency;
      if (currency !== null && e.currency.toLowerCase() !== currency.toLowerCase()) {
        throw invalidReview(
          `Entry ${id} is in ${e.currency}, and the price is in ${currency}: give a price in ${e.currency} for it, or decide it on its own.`,
        );
      }
      return e;
    });
    const n = trimmed(note);
    const at = this.host.nowMs();
    return this.byLine(entries).map((e) => {
      const key = lineKey(e);
      const before = this.decisions.get(key) ?? null;
      // Accepting an entry a person already reclassified or excluded confirms that decision
      // (for the line as it is now), rather than undoing it.
      const chosen = before && c.action === 'accept' ? classificationOf(before) : c;
      const after: Decision = {
        id: before?.id ?? this.nextDecisionId++,
        entry_id: this.head(e).id,
        connection_id: e.connection_id,
        stream: e.stream,
        record_id: e.record_id,
        line_no: e.line_no,
        note: n,
        seen: this.snapshot(e),
        decided_at_ms: at,
        decided_by: REVIEWER.os_user,
        ...chosen,
      };
      this.decisions.set(key, after);
      const confirmed = before !== null && sameClassification(before, chosen);
      this.trail(at, confirmed ? 'entry_confirmed' : DECIDED[chosen.action], `entry:${e.id}`, before && decisionJson(before), decisionJson(after), why);
      return { ...this.apply(e) };
    });
  }

  undo(ids: ReadonlyArray<number>, why: string | null): LedgerEntry[] {
    const entries = ids.map((id) => this.entryOrThrow(id));
    const at = this.host.nowMs();
    return this.byLine(entries).map((e) => {
      const key = lineKey(e);
      const before = this.decisions.get(key);
      if (!before) return { ...e };
      this.decisions.delete(key);
      this.trail(at, 'entry_decision_removed', `entry:${e.id}`, decisionJson(before), null, why);
      return { ...this.apply(e) };
    });
  }

  reviewRules(): ReviewRule[] {
    return this.ordered().map((r) => this.withCount(r));
  }

  ruleLike(entryId: number): RuleInput {
    const e = this.entryOrThrow(entryId);
    const platform = this.host.platformOf(e.connection_id);
    const decision = this.decisionOf(e);
    if (!decision || (decision.action !== 'reclassify' && decision.action !== 'exclude')) {
      throw invalidRule(`Entry ${entryId} has no reclassification or exclusion to apply to similar entries; decide it first.`);
    }
    const none: RuleMatch = {
      platform,
      supplier: null,
      account_code: null,
      description_contains: null,
      amount_min: null,
      amount_max: null,
    };
    const match: RuleMatch = e.contact !== null ? { ...none, supplier: e.contact } : { ...none, account_code: e.account_code };
    const category = decision.category;
    const account = e.account_code ?? '-';
    const name =
      e.contact !== null
        ? `${e.contact}: ${category ?? 'excluded'}`
        : `Account ${account}: ${category ?? 'excluded'}`;
    return { name, match, classification: classificationOf(decision) };
  }

  previewRule(input: RuleInput, replacing: number | null): RulePreview {
    const rule = this.checkedRule(input);
    const rules = this.ordered().map((r) => ({ ...r }));
    const draft = (id: number, position: number): StoredRule => ({
      id,
      position,
      name: rule.name,
      match: rule.match,
      classification: rule.classification,
      created_at_ms: 0,
      updated_at_ms: 0,
    });
    if (replacing !== null) {
      const at = rules.findIndex((r) => r.id === replacing);
      if (at < 0) throw noSuchRule(replacing);
      rules[at] = draft(replacing, rules[at]!.position);
    } else {
      // Not saved yet: an id no saved rule has, tried after every saved one.
      rules.push(draft(0, Number.MAX_SAFE_INTEGER));
    }
    const changes: { e: LedgerEntry; now: LedgerRow; after: LedgerRow }[] = [];
    for (const e of this.host.entries()) {
      // A split line is a person's decision, which no rule changes: its first part stands for it.
      if (isLaterPart(e)) continue;
      const now = rowOf(e);
      const after = this.decideLine(e, rules)[0]!;
      if (!sameRow(now, after)) changes.push({ e, now, after });
    }
    const kg = (r: LedgerRow) => r.kg_co2e ?? '0';
    const change = (x: { now: LedgerRow; after: LedgerRow }) => dec(kg(x.after)).minus(dec(kg(x.now))).abs();
    const same = (x: { now: LedgerRow; after: LedgerRow }) => (sameResult(x.now, x.after) ? 1 : 0);
    // What changes a number first, the largest change first; then what the rule only takes over.
    changes.sort((x, y) => same(x) - same(y) || change(y).cmp(change(x)) || x.e.id - y.e.id);
    const entries: PreviewedEntry[] = changes.slice(0, PREVIEW_LISTED).map((x) => ({ entry: { ...x.e }, after: x.after }));
    return {
      changes: changes.length,
      same_result: changes.filter((x) => same(x) === 1).length,
      kg_co2e_now: sumDecimals(changes.map((x) => x.now.kg_co2e)),
      kg_co2e_after: sumDecimals(changes.map((x) => x.after.kg_co2e)),
      entries,
    };
  }

  addRule(input: RuleInput, why: string | null): ReviewRule {
    const rule = this.checkedRule(input);
    const at = this.host.nowMs();
    const saved: StoredRule = {
      id: this.nextRuleId++,
      position: Math.max(0, ...this.rules.map((r) => r.position)) + 1,
      name: rule.name,
      match: rule.match,
      classification: rule.classification,
      created_at_ms: at,
      updated_at_ms: at,
    };
    this.rules.push(saved);
    this.trail(at, 'review_rule_added', `review_rule:${saved.id}`, null, ruleJson(saved), why);
    this.applyAll();
    return this.withCount(saved);
  }

  editRule(id: number, input: RuleInput, why: string | null): ReviewRule {
    const rule = this.checkedRule(input);
    const r = this.ruleOrThrow(id);
    const before = ruleJson(r);
    const at = this.host.nowMs();
    Object.assign(r, { name: rule.name, match: rule.match, classification: rule.classification, updated_at_ms: at });
    this.trail(at, 'review_rule_edited', `review_rule:${id}`, before, ruleJson(r), why);
    this.applyAll();
    return this.withCount(r);
  }

  moveRule(id: number, position: number, why: string | null): ReviewRule[] {
    const r = this.ruleOrThrow(id);
    const before = r.position;
    const order = this.ordered().filter((x) => x.id !== id);
    const at = Math.min(Math.max(1, Math.trunc(position)) - 1, order.length);
    order.splice(at, 0, r);
    order.forEach((x, i) => (x.position = i + 1));
    this.trail(this.host.nowMs(), 'review_rule_moved', `review_rule:${id}`, JSON.stringify({ position: before }), JSON.stringify({ position: at + 1 }), why);
    this.applyAll();
    return this.reviewRules();
  }

  removeRule(id: number, why: string | null): ReviewRule {
    const r = this.ruleOrThrow(id);
    const removed = this.withCount(r);
    this.rules = this.rules.filter((x) => x.id !== id);
    this.trail(this.host.nowMs(), 'review_rule_removed', `review_rule:${id}`, ruleJson(r), null, why);
    this.applyAll();
    return removed;
  }

  // ---- inside ---------------------------------------------------------------------------------

  private entryOrThrow(id: number): LedgerEntry {
    const e = this.host.entries().find((x) => x.id === id);
    if (!e) throw noSuchEntry(id);
    return e;
  }

  /** A split line's first part (the one that stands for the line), for any of its parts; else the entry. */
  private head(e: LedgerEntry): LedgerEntry {
    if (!isLaterPart(e)) return e;
    const key = lineKey(e);
    return this.host.entries().find((x) => !isLaterPart(x) && lineKey(x) === key) ?? e;
  }

  /** A split line's other parts (second, third, …), in the ledger's order. */
  private laterParts(head: LedgerEntry): LedgerEntry[] {
    const key = lineKey(head);
    return this.host.entries().filter((x) => isLaterPart(x) && lineKey(x) === key);
  }

  /** The entries named, one a line: a line is decided once, however many of its parts are named. */
  private byLine(entries: ReadonlyArray<LedgerEntry>): LedgerEntry[] {
    const seen = new Set<string>();
    return entries.filter((e) => {
      const key = lineKey(e);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private ruleOrThrow(id: number): StoredRule {
    const r = this.rules.find((x) => x.id === id);
    if (!r) throw noSuchRule(id);
    return r;
  }

  private ruleView(id: number): ReviewRule | null {
    const r = this.rules.find((x) => x.id === id);
    return r ? this.withCount(r) : null;
  }

  private ordered(): StoredRule[] {
    return [...this.rules].sort((x, y) => x.position - y.position || x.id - y.id);
  }

  private withCount(r: StoredRule): ReviewRule {
    const entries = this.host.entries().filter((e) => e.review_rule_id === r.id && e.decision_id === null).length;
    return structuredClone({ ...r, entries });
  }

  private mappedOf(e: LedgerEntry): LedgerRow {
    let m = this.mapped.get(e);
    if (!m) {
      m = { ...rowOf(e), decision_id: null, review_rule_id: null };
      this.mapped.set(e, m);
    }
    return m;
  }

  /** The decision on the entry's line; it names the line's first part, as the application's does. */
  private decisionOf(e: LedgerEntry): Decision | null {
    const d = this.decisions.get(lineKey(e));
    return d ? { ...d, entry_id: this.head(e).id } : null;
  }

  /** The line as a decision sees it: whole, whatever its parts. */
  private snapshot(e: LedgerEntry): LineSnapshot {
    return { date: e.date, net_amount: lineAmountOf(e), account_code: e.account_code, deleted: this.deleted.has(this.head(e)) };
  }

  /** The decision saw another line than the one stored now. */
  private changed(e: LedgerEntry, d: Decision): boolean {
    return (
      d.seen.date !== e.date ||
      compareDecimals(d.seen.net_amount, lineAmountOf(e)) !== 0 ||
      (d.seen.account_code ?? '') !== (e.account_code ?? '') ||
      d.seen.deleted !== this.deleted.has(this.head(e))
    );
  }

  /** Purchases, and whatever a person or a rule decided. */
  private inReview(e: LedgerEntry): boolean {
    return e.status === 'counted' || e.status === 'unmapped' || e.decision_id !== null || e.review_rule_id !== null;
  }

  /** A person decided it (and the line has not changed since), or a person's rule did. */
  private isReviewed(e: LedgerEntry): boolean {
    if (e.decision_id !== null) {
      const d = this.decisionOf(e);
      return d !== null && !this.changed(e, d);
    }
    return e.review_rule_id !== null;
  }

  private progress(rows: ReadonlyArray<LedgerEntry>): ReviewProgress {
    const spend = new Map<string, { total: string[]; reviewed: string[] }>();
    const kg: (string | null)[] = [];
    const kgReviewed: (string | null)[] = [];
    let reviewed = 0;
    let changed = 0;
    let unmapped = 0;
    for (const e of rows) {
      const isReviewed = this.isReviewed(e);
      const d = this.decisionOf(e);
      if (d && this.changed(e, d)) changed++;
      if (e.status === 'unmapped') unmapped++;
      const counted = e.status === 'counted' ? e.kg_co2e : null;
      kg.push(counted);
      const amount = dec(e.net_amount).abs();
      const s = spend.get(e.currency) ?? { total: [], reviewed: [] };
      spend.set(e.currency, s);
      s.total.push(amount.toFixed());
      if (isReviewed) {
        reviewed++;
        kgReviewed.push(counted);
        s.reviewed.push(amount.toFixed());
      }
    }
    const six = (values: (string | null)[]) => dec(sumDecimals(values)).toFixed(6, HALF_UP);
    return {
      entries: rows.length,
      reviewed,
      changed_since_review: changed,
      unmapped,
      kg_co2e: six(kg),
      kg_co2e_reviewed: six(kgReviewed),
      spend: [...spend.keys()].sort().map((currency) => {
        const s = spend.get(currency)!;
        return { currency, total: sumDecimals(s.total), reviewed: sumDecimals(s.reviewed) };
      }),
    };
  }

  private trail(at: number, action: string, subject: string, before: string | null, after: string | null, why: string | null): void {
    const prev = this.audit.at(-1)?.hash ?? '0'.repeat(64);
    const row: Omit<AuditRow, 'hash'> = {
      id: this.nextAuditId++,
      at_ms: at,
      os_user: REVIEWER.os_user,
      machine: REVIEWER.machine,
      action,
      subject,
      before,
      after,
      reason: trimmed(why),
      prev_hash: prev,
    };
    this.audit.push({ ...row, hash: chainHash(JSON.stringify(row)) });
  }

  /**
   * Decides the entry's line again and writes what it makes of it: the first part into the
   * line's first entry, the other parts into entries of their own (kept by part number, new
   * ones for parts the line did not have, gone for parts it no longer has). Returns the
   * entry, or the line's first part when the entry was a part that is gone.
   */
  private apply(e: LedgerEntry, rules: ReadonlyArray<StoredRule> = this.ordered()): LedgerEntry {
    const head = this.head(e);
    const wasSplit = head.line_net_amount != null;
    const line = lineAmountOf(head);
    const [first, ...more] = this.decideLine(head, rules);
    Object.assign(head, first);
    placeAmounts(head, first!, line);
    if (!wasSplit && more.length === 0) return head;
    const existing = this.laterParts(head);
    const added: LedgerEntry[] = [];
    for (const row of more) {
      const old = existing.find((p) => p.part_no === row.part_no);
      const part: LedgerEntry = { ...head, ...row, id: old?.id ?? this.host.newEntryId() };
      placeAmounts(part, row, line);
      if (old) Object.assign(old, part);
      else added.push(part);
    }
    const gone = existing.filter((p) => !more.some((row) => row.part_no === p.part_no));
    if (gone.length > 0) this.host.removeEntries(gone);
    if (added.length > 0) this.host.addEntries(added);
    return gone.includes(e) ? head : e;
  }

  private applyAll(): void {
    const rules = this.ordered();
    // A line's other parts are decided with its first.
    for (const e of this.host.entries().filter((x) => !isLaterPart(x))) this.apply(e, rules);
  }

  private ruleMatches(m: RuleMatch, e: LedgerEntry): boolean {
    const empty =
      m.platform === null && m.supplier === null && m.account_code === null && m.description_contains === null && m.amount_min === null && m.amount_max === null;
    if (empty) return false;
    const same = (want: string | null, have: string | null) => want === null || (have !== null && have.trim().toLowerCase() === want.trim().toLowerCase());
    const contains =
      m.description_contains === null ||
      (e.description !== null && e.description.toLowerCase().includes(m.description_contains.trim().toLowerCase()));
    return (
      (m.platform === null || m.platform === this.host.platformOf(e.connection_id)) &&
      same(m.supplier, e.contact) &&
      same(m.account_code, e.account_code) &&
      contains &&
      (m.amount_min === null || compareDecimals(e.net_amount, m.amount_min) >= 0) &&
      (m.amount_max === null || compareDecimals(e.net_amount, m.amount_max) <= 0)
    );
  }

  /**
   * One line decided: the person's decision on it, else the first rule that matches, else the
   * mapping. One row a part: a line split by a person has a row for each of its parts, in
   * order; any other line, one. `head` is the line's first entry.
   */
  private decideLine(head: LedgerEntry, rules: ReadonlyArray<StoredRule>): LedgerRow[] {
    const m = this.mappedOf(head);
    // Decisions, rules and the mapping see the line whole, whatever its parts.
    const e = wholeLine(head);
    // What the record itself settles (deleted, a transfer, income) is not a rule's to decide,
    // nor a quantity's to count, nor a share's to split.
    const byRecord = m.rule_id === null && m.status === 'excluded';
    const rule = byRecord ? undefined : rules.find((r) => this.ruleMatches(r.match, e));
    const byRule: LedgerRow = rule ? { ...this.classified(e, rule.classification, byRecord, m), review_rule_id: rule.id } : { ...m };
    const d = this.decisions.get(lineKey(e));
    if (!d) return [byRule];
    let rows: LedgerRow[];
    switch (d.action) {
      case 'accept':
        rows = [byRule];
        break;
      case 'activity':
        rows = [byRecord ? { ...m } : this.measured(d, e)];
        break;
      case 'split':
        rows = byRecord ? [{ ...m }] : this.split(e, d);
        break;
      default:
        rows = [this.classified(e, d, byRecord, m)];
    }
    return rows.map((row) => ({ ...row, decision_id: d.id }));
  }

  /**
   * A line split between categories: a row for each part, counted spend-based with the part's
   * factor on its share of the amount (line × share ÷ 100, exactly), as a reclassification of
   * that amount would count it.
   */
  private split(e: LedgerEntry, c: Classification): LedgerRow[] {
    if (c.parts.length === 0) return [bare('unmapped', 'the split has no parts; split the entry again')];
    return c.parts.map((p, i) => {
      const amount = percentOf(e.net_amount, p.share_percent);
      const row = this.classified(
        { ...e, net_amount: amount },
        { ...classificationOf(c), action: 'reclassify', category: p.category, factor_code: p.factor_code, scope3_category: p.scope3_category, reason: null, parts: [] },
        false,
        bare('unmapped', null),
      );
      return {
        ...row,
        reason: row.reason ?? `split: ${p.share_percent} % of ${e.net_amount} ${e.currency}`,
        part_no: i,
        share_percent: p.share_percent,
        part_amount: amount,
      };
    });
  }

  /** A line as a reclassification or an exclusion makes it. */
  private classified(e: LedgerEntry, c: Classification, byRecord: boolean, m: LedgerRow): LedgerRow {
    if (byRecord) return { ...m };
    if (c.action === 'exclude') return { ...bare('excluded', c.reason), category: c.category };
    const factor = FAKE_FACTORS.find((f) => f.code === (c.factor_code ?? '').trim());
    if (!factor) {
      return {
        ...bare('unmapped', `factor ${c.factor_code ?? '(none)'} is not in ${FACTOR_SET} ${FACTOR_VERSION}; choose another factor`),
        category: c.category,
      };
    }
    return this.spend(e, factor, c.category, c.scope3_category, c.reason);
  }

  /** The line counted with a spend-based factor: net amount × rate × index(2022) / index(year) × factor, rounded once. */
  private spend(e: LedgerEntry, factor: FactorChoice, category: string | null, scope3: number | null, reason: string | null): LedgerRow {
    const year = Number(e.date.slice(0, 4));
    const code = e.currency.trim().toUpperCase();
    const unmapped = (why: string): LedgerRow => ({ ...bare('unmapped', why), category });
    if (!/^[A-Z]{3}$/.test(code)) {
      return unmapped(`currency ${JSON.stringify(e.currency)} is not a three-letter ISO 4217 code; check the line in ${this.host.platformOf(e.connection_id) ?? 'the platform'}`);
    }
    const rate = RATES[`${code}-${year}`];
    const index = PRICE_INDEX[year];
    if (!rate && !index) {
      return unmapped(`no USD exchange rate for ${code} in ${year} and no US price index for ${year}; add them to the exchange-rate and price-index tables`);
    }
    if (!rate) return unmapped(`no USD exchange rate for ${code} in ${year}; add the ${year} rate for ${code} to the exchange-rate table`);
    if (!index) return unmapped(`no US price index for ${year} to convert to 2022 dollars; add ${year} to the price-index table`);
    const base = PRICE_INDEX[BASE_YEAR]!.index;
    // The division by the year's index comes last among the conversions, as the application does it.
    const usd2022 = dec(e.net_amount).times(rate.usd_per_unit).times(base).div(index.index);
    return {
      ...bare('counted', reason),
      category,
      scope: 3,
      scope3_category: scope3,
      factor_set: factor.set,
      factor_version: factor.version,
      factor_code: factor.code,
      factor_title: factor.title,
      factor_value: factor.value,
      factor_unit: factor.unit,
      fx_rate: rate.usd_per_unit,
      fx_source: fxSource(code, year, rate),
      deflator: dec(base).div(index.index).toFixed(12, HALF_UP),
      deflator_source: deflatorSource(year),
      amount_usd_2022: usd2022.toFixed(6, HALF_UP),
      kg_co2e: usd2022.times(factor.value).toFixed(6, HALF_UP),
    };
  }

  /**
   * A line counted from a person's quantity with the activity's factor, or unmapped saying why
   * not. The quantity is the one given, or, with a price per unit instead, the line's amount at
   * that price (an estimate; a refund counts negative). With a supplier or contract factor, the
   * market-based kg is kept beside.
   */
  private measured(c: Classification, e: LedgerEntry): LedgerRow {
    const act = ACTIVITIES.find((x) => x.key === (c.activity ?? '').trim());
    if (!act) {
      return bare('unmapped', `the activity ${JSON.stringify(c.activity ?? '')} is not one this version knows; enter the activity data again`);
    }
    const unit = c.quantity_unit ?? '';
    let quantity = c.quantity;
    let negative = false;
    let estimate: string | null = null;
    if (c.unit_price !== null) {
      const currency = c.unit_price_currency ?? '';
      if (currency.toLowerCase() !== e.currency.toLowerCase()) {
        return bare(
          'unmapped',
          `the price per ${unit} is in ${currency} but the line is in ${e.currency}; enter the activity data again with a price in ${e.currency}`,
        );
      }
      const q = estimatedQuantity(e.net_amount, c.unit_price);
      if (typeof q === 'string') return bare('unmapped', `${q}; enter the activity data again`);
      quantity = q.quantity;
      negative = dec(e.net_amount).lt(0);
      const spent = e.net_amount.replace(/^-/, '');
      estimate = `estimated from spend: ${spent} ${e.currency} at ${c.unit_price} ${currency} per ${unit} (${c.unit_price_source ?? 'source not given'}) = `;
    }
    const result = emission(act, quantity, unit);
    if (typeof result === 'string') return bare('unmapped', `${result}; enter the activity data again`);
    const signed = (kg: string) => (negative ? negated(kg) : kg);
    let market = '';
    let marketKgCo2e: string | null = null;
    if (c.market_factor !== null) {
      const m = marketKg(result.quantity, c.market_factor);
      if (typeof m === 'string') return bare('unmapped', `${m}; enter the activity data again`);
      marketKgCo2e = signed(m.kg);
      market = `; market-based ${c.market_factor} kg CO2e per ${act.quantity_unit} (${c.market_factor_source ?? 'source not given'}) = ${marketKgCo2e} kg CO2e`;
    }
    return {
      ...bare(
        'counted',
        `${estimate ?? 'activity data: '}${result.quantity} ${act.quantity_unit} × ${act.value} kg CO2e per ${act.factor_unit}${market}`,
      ),
      category: c.category ?? act.label,
      scope: act.scope,
      scope3_category: act.scope3_category,
      factor_set: ACTIVITY_SET,
      factor_version: ACTIVITY_SET_VERSION,
      factor_code: act.factor_id,
      factor_title: act.title,
      factor_value: act.value,
      factor_unit: `kg CO2e per ${act.factor_unit}`,
      // The ledger keeps kilograms in milligrams: six places, as the application returns them.
      kg_co2e: milligrams(signed(result.kg)),
      market_kg_co2e: marketKgCo2e === null ? null : milligrams(marketKgCo2e),
    };
  }

  /** Checks a classification and fills what it may leave out, as the application does. */
  private checkedClassification(input: Classification): Classification {
    const c = classificationOf(input);
    checkScope3(c.scope3_category);
    switch (c.action) {
      case 'reclassify': {
        const code = (c.factor_code ?? '').trim();
        const factor = FAKE_FACTORS.find((f) => f.code === code);
        if (!factor) {
          throw invalidReview(
            code === ''
              ? 'Choose the factor to count this with (its code, e.g. 481111 for air transportation; `carbonsync factors TEXT` finds one).'
              : `Factor ${code} is not in ${FACTOR_SET} ${FACTOR_VERSION}; \`carbonsync factors TEXT\` finds the right code.`,
          );
        }
        if (blank(c.category)) c.category = factor.title;
        c.factor_code = code;
        c.scope3_category = c.scope3_category ?? factor.scope3_category;
        break;
      }
      case 'split': {
        if (c.parts.length < 2) {
          throw invalidReview(
            'Give at least two parts to split an entry, each as a share in percent and a factor (e.g. 60% 481111 and 40% 721110).',
          );
        }
        let total = dec('0');
        c.parts = c.parts.map((p, i): SplitPart => {
          const share = canonicalShare(number(String(p.share_percent ?? '').trim(), `share of part ${i + 1}`, '60'));
          if (!dec(share).gt(0)) throw invalidReview(`Part ${i + 1}'s share must be more than 0 %.`);
          total = total.plus(dec(share));
          const code = (p.factor_code ?? '').trim();
          const factor = FAKE_FACTORS.find((f) => f.code === code);
          if (!factor) {
            throw invalidReview(
              `Part ${i + 1}: factor ${JSON.stringify(code)} is not in ${FACTOR_SET} ${FACTOR_VERSION}; \`carbonsync factors TEXT\` finds the right code.`,
            );
          }
          checkScope3(p.scope3_category);
          return {
            share_percent: share,
            category: blank(p.category) ? factor.title : p.category,
            factor_code: code,
            scope3_category: p.scope3_category ?? factor.scope3_category,
          };
        });
        if (!total.eq(100)) {
          // As the application writes a sum of shares: without trailing zeros (90, 99.5).
          throw invalidReview(
            `The parts' shares add up to ${total.toFixed()} %, not 100 %: change them so the whole line is counted once.`,
          );
        }
        c.category = null;
        c.factor_code = null;
        c.scope3_category = null;
        break;
      }
      case 'exclude':
        if (blank(c.reason)) {
          throw invalidReview(
            'Say why the entry is excluded (e.g. "personal expense, repaid"): the reason goes in the audit trail and the inventory report.',
          );
        }
        c.factor_code = null;
        c.scope3_category = null;
        break;
      case 'accept':
        c.factor_code = null;
        c.category = null;
        c.scope3_category = null;
        break;
      case 'activity': {
        const key = (c.activity ?? '').trim();
        const act = ACTIVITIES.find((x) => x.key === key);
        if (!act) {
          const known = ACTIVITIES.map((x) => `${x.key} (${x.quantity_unit})`).join(', ');
          throw invalidReview(`Say which activity the quantity is of: one of ${known}.`);
        }
        const unit = trimmed(c.quantity_unit) ?? act.quantity_unit;
        const refused = (why: string) => invalidReview(`${capitalised(why)}.`);
        const price = trimmed(c.unit_price);
        if (price === null) {
          const result = emission(act, c.quantity, unit);
          if (typeof result === 'string') throw refused(result);
          c.quantity = result.quantity;
          c.unit_price = null;
        } else {
          if (trimmed(c.quantity) !== null) {
            throw refused('give either the quantity or a price per unit to estimate it from the amount, not both');
          }
          const q = estimatedQuantity('1', number(price, `price per ${unit}`, '0.245'));
          if (typeof q === 'string') throw refused(q);
          const currency = (c.unit_price_currency ?? '').trim().toUpperCase();
          if (!/^[A-Z]{3}$/.test(currency)) throw refused(`say which currency the price per ${unit} is in (e.g. GBP)`);
          if (blank(c.unit_price_source)) {
            throw refused(
              `say where the price per ${unit} comes from (e.g. DESNZ Quarterly Energy Prices, non-domestic, 2024): an estimate states its source`,
            );
          }
          c.quantity = null;
          c.unit_price = price;
          c.unit_price_currency = currency;
        }
        const factor = trimmed(c.market_factor);
        if (factor === null) {
          c.market_factor = null;
          c.market_factor_source = null;
        } else {
          if (act.scope !== 2) throw refused(`a market-based factor is for purchased electricity, heat or steam (Scope 2), not ${act.label}`);
          const m = marketKg('1', number(factor, 'market-based factor', '0.05'));
          if (typeof m === 'string') throw refused(m);
          if (blank(c.market_factor_source)) {
            throw refused(
              "say where the market-based factor comes from (the supplier's fuel mix disclosure, a contract or certificates)",
            );
          }
          c.market_factor = factor;
        }
        if (blank(c.category)) c.category = act.label;
        c.activity = act.key;
        c.quantity_unit = unit;
        c.scope3_category = act.scope3_category;
        c.factor_code = act.factor_id;
        break;
      }
    }
    if (c.action !== 'split') c.parts = [];
    if (c.action !== 'activity') {
      c.activity = null;
      c.quantity = null;
      c.quantity_unit = null;
      c.market_factor = null;
      c.market_factor_source = null;
      c.unit_price = null;
      c.unit_price_currency = null;
      c.unit_price_source = null;
    }
    if (c.unit_price === null) {
      c.unit_price_currency = null;
      c.unit_price_source = null;
    }
    return c;
  }

  private checkedRule(input: RuleInput): RuleInput {
    const name = input.name.trim();
    if (name === '') throw invalidRule('Name the rule, so the entries it decides can say which.');
    const amount = (s: string | null, which: string): string | null => {
      const t = trimmed(s);
      if (t === null) return null;
      if (!isPlainDecimal(t)) throw invalidRule(`The ${which} amount ${JSON.stringify(t)} is not a number: write it like 1250.00 or -75.`);
      return t;
    };
    const match: RuleMatch = {
      platform: trimmed(input.match.platform),
      supplier: trimmed(input.match.supplier),
      account_code: trimmed(input.match.account_code),
      description_contains: trimmed(input.match.description_contains),
      amount_min: amount(input.match.amount_min, 'smallest'),
      amount_max: amount(input.match.amount_max, 'largest'),
    };
    if (Object.values(match).every((v) => v === null)) {
      throw invalidRule(
        'Say what the rule matches (a supplier, an account, words of the description, an amount range or a platform): a rule that matches everything would decide every entry.',
      );
    }
    if (match.platform !== null && !this.host.platformIds().includes(match.platform)) {
      throw invalidRule(`There is no platform ${JSON.stringify(match.platform)}; use a catalogue id such as xero or quickbooks.`);
    }
    if (match.amount_min !== null && match.amount_max !== null && compareDecimals(match.amount_min, match.amount_max) > 0) {
      throw invalidRule(`The amount range is empty: from ${match.amount_min} to ${match.amount_max}.`);
    }
    const action: ReviewAction = input.classification.action;
    if (action === 'accept') {
      throw invalidRule('A rule reclassifies or excludes; to accept entries as they are, accept them in the review.');
    }
    if (action === 'activity') {
      throw invalidRule(
        'A rule reclassifies or excludes; a quantity belongs to one entry, so enter activity data on each entry in the review.',
      );
    }
    if (action === 'split') {
      throw invalidRule('A rule reclassifies or excludes; shares belong to one line, so split each entry in the review.');
    }
    return { name, match, classification: this.checkedClassification(input.classification) };
  }
}

const REASON_RANK: Record<QueueReason, number> = {
  changed_since_review: 0,
  estimated: 1,
  unmapped: 2,
  new_supplier: 3,
  not_reviewed: 4,
};

const DECIDED: Record<ReviewAction, string> = {
  accept: 'entry_accepted',
  reclassify: 'entry_reclassified',
  exclude: 'entry_excluded',
  activity: 'entry_activity_data',
  split: 'entry_split',
};
