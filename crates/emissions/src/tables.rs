//! Reading and checking the four tables a [`crate::Calculator`] is built from.
//!
//! Every check happens here, once, so that `assess` can trust what it looks up and never has
//! to decide at run time what a malformed row meant.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::{EmissionsError, Factor, FactorSetInfo, MappingRule, MappingTable, Treatment};

pub(crate) const FACTORS_TABLE: &str = "emission factor table";
pub(crate) const MAPPING_TABLE: &str = "account mapping table";
pub(crate) const FX_TABLE: &str = "exchange-rate table";
pub(crate) const INDEX_TABLE: &str = "price-index table";

/// The dollar year the spend factors are expressed in; amounts are deflated to it.
pub(crate) const BASE_YEAR: i32 = 2022;
/// The only factor unit the calculation is correct for: the deflator targets 2022 dollars, and
/// accounting records hold what the buyer paid (purchaser price, hence the factor with margins).
pub(crate) const FACTOR_UNIT: &str = "kg CO2e/2022 USD, purchaser price";

pub(crate) const BUILTIN_FACTORS: &str = include_str!(
    "../data/epa-useeio-v1.3/SupplyChainGHGEmissionFactors_v1.3.0_NAICS_CO2e_USD2022.csv"
);
pub(crate) const BUILTIN_XERO_MAPPING: &str =
    include_str!("../data/mappings/xero-standard-chart.csv");
pub(crate) const BUILTIN_QUICKBOOKS_MAPPING: &str =
    include_str!("../data/mappings/quickbooks-account-subtypes.csv");
pub(crate) const BUILTIN_FX: &str = include_str!("../data/rates/usd_per_currency_annual.csv");
pub(crate) const BUILTIN_INDEX: &str = include_str!("../data/rates/us_gdp_price_index_annual.csv");

pub(crate) const BUILTIN_SET_NAME: &str = "US EPA Supply Chain GHG Emission Factors (USEEIO v2.2)";
pub(crate) const BUILTIN_SET_VERSION: &str = "v1.3.0";

/// A mapping row joined to the factor it names, so `assess` does one lookup, not two.
#[derive(Debug)]
pub(crate) struct Rule {
    pub rule: MappingRule,
    pub factor: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct Rate {
    pub usd_per_unit: Decimal,
    pub source: String,
}

#[derive(Debug)]
pub(crate) struct Deflator {
    /// The base year's index value, exactly as in the table.
    pub base: Decimal,
    /// The line year's index value, exactly as in the table (never zero).
    pub index: Decimal,
    /// base / index rounded to [`crate::DEFLATOR_DP`] places, shown on each emission.
    pub shown: Decimal,
    pub source: String,
}

#[derive(Debug)]
pub(crate) struct Tables {
    pub info: FactorSetInfo,
    /// SHA-256 (hex) over every table as loaded: changes exactly when a result could.
    pub fingerprint: String,
    pub factors: Vec<Factor>,
    pub factor_index: HashMap<String, usize>,
    /// By platform (catalogue id): the platform's mapping, by mapping key.
    pub mappings: HashMap<String, Mapping>,
    pub fx: HashMap<([u8; 3], i32), Rate>,
    pub deflators: HashMap<i32, Deflator>,
}

/// One platform's account mapping.
#[derive(Debug)]
pub(crate) struct Mapping {
    /// The platform's name as people know it ("Xero"), for messages.
    pub platform_name: String,
    /// By mapping key (Xero: the account code; QuickBooks Online: the account subtype).
    pub rules: HashMap<String, Rule>,
}

impl Tables {
    pub(crate) fn load(
        factors_csv: &str,
        mapping_tables: &[MappingTable<'_>],
        fx_csv: &str,
        index_csv: &str,
    ) -> Result<Tables, EmissionsError> {
        let (factors, factor_index) = read_factors(factors_csv)?;
        let info = factor_set_info(factors_csv, factors.len());
        let mut mappings = HashMap::with_capacity(mapping_tables.len());
        for table in mapping_tables {
            let rules = read_mapping(table.csv, &factor_index).map_err(|source| {
                EmissionsError::Mapping {
                    platform: table.platform_name.to_owned(),
                    source: Box::new(source),
                }
            })?;
            let mapping = Mapping {
                platform_name: table.platform_name.to_owned(),
                rules,
            };
            if mappings
                .insert(table.platform.to_owned(), mapping)
                .is_some()
            {
                return Err(EmissionsError::InvalidTable {
                    table: MAPPING_TABLE,
                    message: format!(
                        "two mapping tables are given for {}; give one per platform",
                        table.platform_name
                    ),
                });
            }
        }
        let fx = read_fx(fx_csv)?;
        let deflators = read_index(index_csv)?;
        let fingerprint = {
            let mut hasher = Sha256::new();
            // Each part with its length, so that no two different sets of tables hash alike.
            let mut part = |text: &str| {
                hasher.update((text.len() as u64).to_le_bytes());
                hasher.update(text.as_bytes());
            };
            part(factors_csv);
            let mut sorted: Vec<&MappingTable<'_>> = mapping_tables.iter().collect();
            sorted.sort_by_key(|t| t.platform);
            for table in sorted {
                part(table.platform);
                part(table.csv);
            }
            part(fx_csv);
            part(index_csv);
            hex(&hasher.finalize())
        };
        Ok(Tables {
            info,
            fingerprint,
            factors,
            factor_index,
            mappings,
            fx,
            deflators,
        })
    }
}

/// Turns an ISO 4217 code into an upper-case key without allocating, so the hot path can look
/// rates up with whatever case the source used. `None` when it is not three ASCII letters.
pub(crate) fn currency_key(code: &str) -> Option<[u8; 3]> {
    let bytes = code.trim().as_bytes();
    if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    Some([
        bytes[0].to_ascii_uppercase(),
        bytes[1].to_ascii_uppercase(),
        bytes[2].to_ascii_uppercase(),
    ])
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lower-case hex of a digest.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn factor_set_info(factors_csv: &str, count: usize) -> FactorSetInfo {
    let sha256 = sha256_hex(factors_csv);
    if factors_csv == BUILTIN_FACTORS {
        // The same bytes as the shipped file (a user may point settings at a copy of it): keep
        // the published identity rather than calling it user-supplied.
        FactorSetInfo {
            name: BUILTIN_SET_NAME.to_owned(),
            version: BUILTIN_SET_VERSION.to_owned(),
            unit: FACTOR_UNIT.to_owned(),
            publisher: "US EPA Office of Research and Development".to_owned(),
            doi: Some("10.23719/1531143".to_owned()),
            user_supplied: false,
            sha256,
            factor_count: count,
        }
    } else {
        // Nothing in the file says who published it or which version it is; its hash is the
        // only identity an auditor can check, so it becomes the version on every emission.
        FactorSetInfo {
            name: "User-supplied spend factor table".to_owned(),
            version: format!("sha256:{}", &sha256[..16]),
            unit: FACTOR_UNIT.to_owned(),
            publisher: "unknown (supplied by the user)".to_owned(),
            doi: None,
            user_supplied: true,
            sha256,
            factor_count: count,
        }
    }
}

/// A CSV reader that finds its columns by header name, so a user's file may order columns
/// differently or carry extra ones.
struct Table<'a> {
    name: &'static str,
    reader: csv::Reader<&'a [u8]>,
    columns: Vec<usize>,
}

struct Row {
    line: u64,
    record: csv::StringRecord,
}

/// A CSV reader over `text` with every field trimmed.
fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    // Spreadsheet programs often save a byte-order mark, which would otherwise become part of
    // the first column's name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// The header row of `text`, as the table named `name`.
fn header_row(name: &'static str, text: &str) -> Result<csv::StringRecord, EmissionsError> {
    csv_reader(text)
        .headers()
        .cloned()
        .map_err(|source| EmissionsError::Csv {
            table: name,
            source,
        })
}

impl<'a> Table<'a> {
    fn open(
        name: &'static str,
        text: &'a str,
        wanted: &[&'static str],
    ) -> Result<Table<'a>, EmissionsError> {
        let mut reader = csv_reader(text);
        let headers = reader
            .headers()
            .map_err(|source| EmissionsError::Csv {
                table: name,
                source,
            })?
            .clone();
        let mut columns = Vec::with_capacity(wanted.len());
        for column in wanted {
            match headers.iter().position(|h| h == *column) {
                Some(index) => columns.push(index),
                None => {
                    return Err(EmissionsError::MissingColumn {
                        table: name,
                        column,
                        expected: wanted.join(", "),
                    })
                }
            }
        }
        Ok(Table {
            name,
            reader,
            columns,
        })
    }

    fn rows(&mut self) -> Result<Vec<Row>, EmissionsError> {
        let name = self.name;
        let mut rows = Vec::new();
        for record in self.reader.records() {
            let record = record.map_err(|source| EmissionsError::Csv {
                table: name,
                source,
            })?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push(Row { line, record });
        }
        Ok(rows)
    }

    /// The value of the `n`th wanted column in `row` ("" when the row is short).
    fn get<'r>(&self, row: &'r Row, n: usize) -> &'r str {
        row.record.get(self.columns[n]).unwrap_or("")
    }

    fn invalid(&self, row: &Row, message: String) -> EmissionsError {
        EmissionsError::InvalidRow {
            table: self.name,
            line: row.line,
            message,
        }
    }

    fn required<'r>(
        &self,
        row: &'r Row,
        n: usize,
        column: &str,
    ) -> Result<&'r str, EmissionsError> {
        let value = self.get(row, n);
        if value.is_empty() {
            Err(self.invalid(row, format!("`{column}` is empty")))
        } else {
            Ok(value)
        }
    }

    /// A decimal number exactly as written ("0.532", "1.2781", or with an exponent, "5.3e-1").
    fn number(&self, row: &Row, n: usize, column: &str) -> Result<Decimal, EmissionsError> {
        let text = self.required(row, n, column)?;
        let parsed = if text.contains(['e', 'E']) {
            Decimal::from_scientific(text)
        } else {
            text.parse::<Decimal>()
        };
        parsed.map_err(|_| self.invalid(row, format!("`{column}` is not a number: {text:?}")))
    }

    fn year(&self, row: &Row, n: usize) -> Result<i32, EmissionsError> {
        let text = self.required(row, n, "year")?;
        match text.parse::<i32>() {
            Ok(year) if (1900..=2200).contains(&year) => Ok(year),
            _ => Err(self.invalid(row, format!("`year` is not a year: {text:?}"))),
        }
    }
}

const FACTOR_COLUMNS: [&str; 8] = [
    "2017 NAICS Code",
    "2017 NAICS Title",
    "GHG",
    "Unit",
    "Supply Chain Emission Factors without Margins",
    "Margins of Supply Chain Emission Factors",
    "Supply Chain Emission Factors with Margins",
    "Reference USEEIO Code",
];

type FactorTable = (Vec<Factor>, HashMap<String, usize>);

fn read_factors(text: &str) -> Result<FactorTable, EmissionsError> {
    let mut table = Table::open(FACTORS_TABLE, text, &FACTOR_COLUMNS)?;
    let rows = table.rows()?;
    let mut factors = Vec::with_capacity(rows.len());
    let mut index = HashMap::with_capacity(rows.len());
    for row in &rows {
        let code = table.required(row, 0, FACTOR_COLUMNS[0])?;
        let ghg = table.required(row, 2, FACTOR_COLUMNS[2])?;
        if ghg != "All GHGs" {
            // A per-gas row would be counted on top of the total for the same code.
            return Err(table.invalid(
                row,
                format!("GHG is {ghg:?}; only \"All GHGs\" rows (the CO2e total) can be used"),
            ));
        }
        let unit = table.required(row, 3, FACTOR_COLUMNS[3])?;
        if unit != FACTOR_UNIT {
            return Err(table.invalid(
                row,
                format!(
                    "unit is {unit:?}; amounts are converted to 2022 US dollars at purchaser \
                     price, so factors must be in {FACTOR_UNIT:?}"
                ),
            ));
        }
        let with_margins = table.number(row, 6, FACTOR_COLUMNS[6])?;
        if with_margins < Decimal::ZERO {
            return Err(table.invalid(row, format!("factor {with_margins} is negative")));
        }
        let factor = Factor {
            code: code.to_owned(),
            title: table.required(row, 1, FACTOR_COLUMNS[1])?.to_owned(),
            ghg: ghg.to_owned(),
            unit: unit.to_owned(),
            without_margins: table.number(row, 4, FACTOR_COLUMNS[4])?,
            margins: table.number(row, 5, FACTOR_COLUMNS[5])?,
            with_margins,
            useeio_code: table.get(row, 7).to_owned(),
        };
        if index.insert(factor.code.clone(), factors.len()).is_some() {
            return Err(table.invalid(row, format!("NAICS code {code} appears twice")));
        }
        factors.push(factor);
    }
    if factors.is_empty() {
        return Err(EmissionsError::InvalidTable {
            table: FACTORS_TABLE,
            message: "the table has no factors".to_owned(),
        });
    }
    Ok((factors, index))
}

/// The column holding each row's key under the name that suits any platform: QuickBooks Online
/// maps by the account's `AccountSubType`, which is no code.
const MAPPING_KEY: &str = "mapping_key";
/// The Xero table's name for its key column (Xero maps by account code), kept so that every
/// file written in the Xero table's columns loads as it always has.
const ACCOUNT_CODE: &str = "account_code";

/// The mapping columns after the key, in the order [`read_mapping`] reads them.
const MAPPING_COLUMNS: [&str; 7] = [
    "account_name",
    "treatment",
    "category",
    "naics_code",
    "scope",
    "scope3_category",
    "reason",
];

/// Which column of this mapping table holds the keys: `mapping_key` or `account_code`, exactly
/// one of them. Other columns a user adds (notes, the platform's account type) are ignored.
fn key_column(text: &str) -> Result<&'static str, EmissionsError> {
    let headers = header_row(MAPPING_TABLE, text)?;
    let has = |column: &str| headers.iter().any(|h| h == column);
    match (has(MAPPING_KEY), has(ACCOUNT_CODE)) {
        (true, false) => Ok(MAPPING_KEY),
        (false, true) => Ok(ACCOUNT_CODE),
        (false, false) => Err(EmissionsError::InvalidTable {
            table: MAPPING_TABLE,
            message: format!(
                "the header has no key column: add `{MAPPING_KEY}` (what the platform maps an \
                 account by, such as a QuickBooks Online account subtype), or `{ACCOUNT_CODE}` \
                 for Xero account codes; expected columns: rule_id, {MAPPING_KEY} or \
                 {ACCOUNT_CODE}, {}",
                MAPPING_COLUMNS.join(", ")
            ),
        }),
        (true, true) => Err(EmissionsError::InvalidTable {
            table: MAPPING_TABLE,
            message: format!(
                "the header has both `{MAPPING_KEY}` and `{ACCOUNT_CODE}`; keep one, so each \
                 row has a single key"
            ),
        }),
    }
}

fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn read_mapping(
    text: &str,
    factor_index: &HashMap<String, usize>,
) -> Result<HashMap<String, Rule>, EmissionsError> {
    let key_column = key_column(text)?;
    // "account code 400" in Xero's words; "key Travel" for a table keyed by anything else.
    let key_label = if key_column == ACCOUNT_CODE {
        "account code"
    } else {
        "key"
    };
    let mut columns = vec!["rule_id", key_column];
    columns.extend(MAPPING_COLUMNS);
    let mut table = Table::open(MAPPING_TABLE, text, &columns)?;
    let rows = table.rows()?;
    let mut rules: HashMap<String, Rule> = HashMap::with_capacity(rows.len());
    let mut rule_ids: HashMap<String, u64> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let rule_id = table.required(row, 0, "rule_id")?;
        let key = table.required(row, 1, key_column)?;
        let treatment = match table.required(row, 3, "treatment")? {
            t if t.eq_ignore_ascii_case("spend") => Treatment::Spend,
            t if t.eq_ignore_ascii_case("exclude") => Treatment::Exclude,
            t if t.eq_ignore_ascii_case("unmapped") => Treatment::Unmapped,
            other => {
                return Err(table.invalid(
                    row,
                    format!("treatment {other:?} is not one of spend, exclude, unmapped"),
                ))
            }
        };
        let naics = table.get(row, 5);
        let scope = table.get(row, 6);
        let scope3 = table.get(row, 7);
        let reason = table.get(row, 8);

        let (factor, scope, scope3_category) = match treatment {
            Treatment::Spend => {
                table.required(row, 4, "category")?;
                let naics = table.required(row, 5, "naics_code")?;
                let Some(&factor) = factor_index.get(naics) else {
                    return Err(table.invalid(
                        row,
                        format!("NAICS code {naics} is not in the emission factor table"),
                    ));
                };
                // Spend factors cover the supply chain up to the purchase (cradle to gate);
                // they can never be the buyer's own Scope 1 or 2.
                if scope != "3" {
                    return Err(table.invalid(
                        row,
                        format!(
                            "scope is {scope:?}; spend-based supply-chain factors are always \
                             Scope 3"
                        ),
                    ));
                }
                let category = match scope3.parse::<u8>() {
                    Ok(c) if (1..=15).contains(&c) => c,
                    _ => {
                        return Err(table.invalid(
                            row,
                            format!("scope3_category {scope3:?} is not a number from 1 to 15"),
                        ))
                    }
                };
                (Some(factor), Some(3), Some(category))
            }
            Treatment::Exclude | Treatment::Unmapped => {
                if reason.is_empty() {
                    return Err(table.invalid(
                        row,
                        "`reason` is empty; an excluded or unmapped account must say why"
                            .to_owned(),
                    ));
                }
                // A factor or scope on a row that is not counted would look, to a reader of
                // the file, as if it were used.
                if !naics.is_empty() || !scope.is_empty() || !scope3.is_empty() {
                    return Err(table.invalid(
                        row,
                        "naics_code, scope and scope3_category must be empty unless the \
                         treatment is spend"
                            .to_owned(),
                    ));
                }
                (None, None, None)
            }
        };

        if let Some(first) = rule_ids.insert(rule_id.to_owned(), row.line) {
            return Err(table.invalid(
                row,
                format!("rule_id {rule_id} is already used on line {first}"),
            ));
        }
        let rule = MappingRule {
            rule_id: rule_id.to_owned(),
            account_code: key.to_owned(),
            account_name: table.get(row, 2).to_owned(),
            treatment,
            category: optional(table.get(row, 4)),
            naics_code: optional(naics),
            scope,
            scope3_category,
            reason: optional(reason),
        };
        if rules
            .insert(key.to_owned(), Rule { rule, factor })
            .is_some()
        {
            return Err(table.invalid(row, format!("{key_label} {key} is mapped twice")));
        }
    }
    Ok(rules)
}

/// "source (note)" or just "source": the note qualifies the source, so they read together.
fn with_note(source: &str, note: &str) -> String {
    if note.is_empty() {
        source.to_owned()
    } else {
        format!("{source} ({note})")
    }
}

fn read_fx(text: &str) -> Result<HashMap<([u8; 3], i32), Rate>, EmissionsError> {
    let mut table = Table::open(
        FX_TABLE,
        text,
        &["currency", "year", "usd_per_unit", "source", "note"],
    )?;
    let rows = table.rows()?;
    let mut fx = HashMap::with_capacity(rows.len());
    for row in &rows {
        let currency = table.required(row, 0, "currency")?;
        let Some(key) = currency_key(currency) else {
            return Err(table.invalid(
                row,
                format!("currency {currency:?} is not a three-letter ISO 4217 code"),
            ));
        };
        let year = table.year(row, 1)?;
        let usd_per_unit = table.number(row, 2, "usd_per_unit")?;
        if usd_per_unit <= Decimal::ZERO {
            return Err(table.invalid(row, format!("usd_per_unit {usd_per_unit} is not positive")));
        }
        let source = table.required(row, 3, "source")?;
        let code = std::str::from_utf8(&key).unwrap_or(currency);
        let rate = Rate {
            usd_per_unit,
            source: format!(
                "USD per {code}, {year}: {}",
                with_note(source, table.get(row, 4))
            ),
        };
        if fx.insert((key, year), rate).is_some() {
            return Err(table.invalid(row, format!("{code} {year} appears twice")));
        }
    }
    Ok(fx)
}

fn read_index(text: &str) -> Result<HashMap<i32, Deflator>, EmissionsError> {
    let mut table = Table::open(
        INDEX_TABLE,
        text,
        &["year", "index_2017_100", "source", "note"],
    )?;
    let rows = table.rows()?;
    // (index, source, note) by year, ordered so any error about duplicates is deterministic.
    let mut years: BTreeMap<i32, (Decimal, String, String)> = BTreeMap::new();
    for row in &rows {
        let year = table.year(row, 0)?;
        let index = table.number(row, 1, "index_2017_100")?;
        if index <= Decimal::ZERO {
            return Err(table.invalid(row, format!("index {index} is not positive")));
        }
        let source = table.required(row, 2, "source")?.to_owned();
        let note = table.get(row, 3).to_owned();
        if years.insert(year, (index, source, note)).is_some() {
            return Err(table.invalid(row, format!("year {year} appears twice")));
        }
    }
    let Some((base, base_source, base_note)) = years.get(&BASE_YEAR).cloned() else {
        return Err(EmissionsError::InvalidTable {
            table: INDEX_TABLE,
            message: format!(
                "there is no {BASE_YEAR} index, which every conversion to {BASE_YEAR} dollars \
                 divides by"
            ),
        });
    };
    let mut deflators = HashMap::with_capacity(years.len());
    for (year, (index, source, note)) in years {
        let mut text = format!(
            "index({BASE_YEAR}) {base} / index({year}) {index}, US GDP price index (2017 = 100); "
        );
        if source == base_source {
            text.push_str(&format!("source: {source}"));
        } else {
            text.push_str(&format!(
                "source {BASE_YEAR}: {base_source}; source {year}: {source}"
            ));
        }
        if !base_note.is_empty() {
            text.push_str(&format!("; {BASE_YEAR}: {base_note}"));
        }
        if year != BASE_YEAR && !note.is_empty() {
            text.push_str(&format!("; {year}: {note}"));
        }
        deflators.insert(
            year,
            Deflator {
                base,
                index,
                shown: (base / index).round_dp(crate::DEFLATOR_DP),
                source: text,
            },
        );
    }
    Ok(deflators)
}
