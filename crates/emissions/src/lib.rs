//! Spend-based greenhouse-gas emissions for accounting lines.
//!
//! A [`Calculator`] holds the US EPA supply-chain emission factors (kg CO2e per 2022 USD,
//! purchaser price), annual exchange rates to USD, a US price index to deflate to 2022 dollars,
//! and one account mapping per platform, keyed on what that platform says of an account (Xero:
//! its code; QuickBooks Online: its `AccountSubType`); a line is looked up only in its own
//! platform's mapping, so a Xero account "400" never takes a rule meant for another platform.
//! [`Calculator::assess`] turns one
//! [`SpendLine`] into an [`Assessment`] that records every number and source used, or says in a
//! finance person's words why the line was not counted. Nothing is guessed: a line that cannot
//! be converted exactly as documented is reported as unmapped, never estimated.

pub mod activity;
mod error;
mod scope3_by_industry;
mod tables;

use std::fmt;
use std::sync::{Arc, OnceLock};

use chrono::Datelike;
pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;
use serde::{Deserialize, Serialize};

pub use error::EmissionsError;
pub use scope3_by_industry::scope3_category_by_industry;
use tables::{currency_key, Rule, Tables};

/// The tables shipped inside the crate, byte for byte, so the app can show them or write them
/// out as a starting point for a user's own files (see `data/` for their provenance).
pub mod builtin {
    use crate::MappingTable;

    /// US EPA Supply Chain GHG Emission Factors v1.3.0, by 2017 NAICS code.
    pub const FACTORS_CSV: &str = crate::tables::BUILTIN_FACTORS;
    /// Default mapping of the Xero standard chart of accounts, keyed by account code
    /// (`data/mappings/`).
    pub const XERO_MAPPING_CSV: &str = crate::tables::BUILTIN_XERO_MAPPING;
    /// Default mapping of QuickBooks Online accounts, keyed by the account's `AccountSubType`
    /// exactly as Intuit spells it (`data/mappings/`).
    pub const QUICKBOOKS_MAPPING_CSV: &str = crate::tables::BUILTIN_QUICKBOOKS_MAPPING;
    /// Every platform's default mapping, shipped as data. A platform joins by adding its CSV
    /// under `data/mappings/` (with its sources) and a row here; every rule id starts with a
    /// prefix that belongs to one platform (`xero-std-`, `qbo-`), so a rule id alone says which
    /// platform's chart it is for. Xero stays first: callers that want only its table take it
    /// from there.
    pub const MAPPINGS: &[MappingTable<'static>] = &[
        MappingTable {
            platform: "xero",
            platform_name: "Xero",
            csv: XERO_MAPPING_CSV,
        },
        MappingTable {
            platform: "quickbooks",
            platform_name: "QuickBooks Online",
            csv: QUICKBOOKS_MAPPING_CSV,
        },
    ];
    /// Annual average USD per unit of currency.
    pub const FX_CSV: &str = crate::tables::BUILTIN_FX;
    /// US GDP implicit price deflator, annual, 2017 = 100.
    pub const INDEX_CSV: &str = crate::tables::BUILTIN_INDEX;
}

/// One row of the factor table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// 2017 NAICS code, six digits.
    pub code: String,
    pub title: String,
    /// Always "All GHGs": the CO2e total.
    pub ghg: String,
    pub unit: String,
    /// kg CO2e per 2022 USD at producer price, exactly as published.
    pub without_margins: Decimal,
    /// kg CO2e per 2022 USD added by trade and transport margins, exactly as published.
    pub margins: Decimal,
    /// The factor used: accounting records hold purchaser prices, which include margins.
    pub with_margins: Decimal,
    pub useeio_code: String,
}

/// Which factor set a calculator uses; copied onto every emission as set name and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorSetInfo {
    pub name: String,
    /// "v1.3.0" for the built-in set; "sha256:<first 16 hex digits>" for a user's file.
    pub version: String,
    pub unit: String,
    pub publisher: String,
    pub doi: Option<String>,
    pub user_supplied: bool,
    /// SHA-256 of the factor table text as loaded.
    pub sha256: String,
    pub factor_count: usize,
}

/// What a mapping row does with the spend on its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Treatment {
    /// Multiply by the row's NAICS spend factor.
    Spend,
    /// Not a purchase (payroll, tax, transfers, ...): shown with the reason, never counted.
    Exclude,
    /// Could be a purchase but no single factor fits: a person has to choose.
    Unmapped,
}

/// One platform's account mapping table, as CSV text in the shipped columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingTable<'a> {
    /// The platform's catalogue id (`xero`, `quickbooks`), as on [`SpendLine::platform`].
    pub platform: &'a str,
    /// The platform's name as people know it (`Xero`), for messages.
    pub platform_name: &'a str,
    /// The table: a header row naming `rule_id`, the key column (`mapping_key`, or
    /// `account_code` as in the Xero table), `account_name`, `treatment`, `category`,
    /// `naics_code`, `scope`, `scope3_category` and `reason`, in any order; other columns are
    /// ignored.
    pub csv: &'a str,
}

/// One row of an account mapping table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingRule {
    pub rule_id: String,
    /// The row's key, what a line's account is looked up by: for Xero the account code
    /// (`"494"`), for QuickBooks Online the account's `AccountSubType` (`"Travel"`). Read from
    /// the table's `mapping_key` column, or its `account_code` column in the Xero layout.
    pub account_code: String,
    /// The platform's name for the account or account kind (an organisation may have renamed
    /// its own accounts).
    pub account_name: String,
    pub treatment: Treatment,
    pub category: Option<String>,
    pub naics_code: Option<String>,
    pub scope: Option<u8>,
    pub scope3_category: Option<u8>,
    /// Why the account is excluded or unmapped, or a caveat on a counted account.
    pub reason: Option<String>,
}

/// The kind of accounting record a line comes from, which decides whether it is a purchase at
/// all. The rule for each platform's document types is in `docs/methodology.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SpendKind {
    /// Money spent straight from a bank or card account (Xero `SPEND`; a QuickBooks Online
    /// `Purchase` paid by cash, check or credit card): a purchase.
    BankSpend,
    /// Money moved between the organisation's own accounts: never a purchase.
    BankTransfer,
    /// Money received (Xero `RECEIVE`; a QuickBooks Online card `Purchase` marked
    /// `Credit: true`, a refund to the card). On an account mapped to a purchase category it is
    /// a supplier refund and reduces that spend (the caller passes the amount negative); on any
    /// other account it is income.
    BankReceive,
    /// A payment made before the bill (Xero `SPEND-PREPAYMENT`): the purchase is counted once,
    /// from the bill it is allocated to, so the prepayment itself is not.
    Prepayment,
    /// Money paid over what a bill asked (Xero `SPEND-OVERPAYMENT`): refunded or allocated to a
    /// later bill, which is where a purchase is counted; not a purchase itself.
    Overpayment,
    /// A supplier's bill (Xero `ACCPAY`, QuickBooks Online `Bill`): a purchase.
    Bill,
    /// A supplier credit note (Xero `ACCPAYCREDIT`, QuickBooks Online `VendorCredit`): reverses
    /// part of a purchase (the caller passes the amount negative).
    SupplierCredit,
    /// A sales invoice or anything issued to customers: income.
    SalesInvoice,
}

/// One line of an accounting record, borrowed from wherever the caller keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendLine<'a> {
    /// The catalogue id of the platform the line comes from: which mapping applies.
    #[serde(borrow)]
    pub platform: &'a str,
    pub kind: SpendKind,
    /// Deleted or voided in the source: produces no emission.
    pub status_deleted: bool,
    /// What the platform's mapping table is keyed on, for this line's account: Xero's account
    /// code, QuickBooks Online's `AccountSubType`. `None` when the line names no account.
    #[serde(borrow)]
    pub account_code: Option<&'a str>,
    /// The organisation's own name for the account, used in messages.
    #[serde(borrow)]
    pub account_name: Option<&'a str>,
    pub date: chrono::NaiveDate,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Line amount excluding tax, in `currency`, exactly as the platform sent it. Negative for
    /// refunds.
    pub net_amount: Decimal,
}

/// A line's spend in 2022 US dollars and how it was converted ([`Calculator::spend_usd_2022`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendConversion {
    /// USD 2022, rounded as a counted line's is.
    pub amount_usd_2022: Decimal,
    /// USD per unit of the line's currency, for the line's year, exactly as in the table.
    pub fx_rate: Decimal,
    pub fx_source: String,
    /// index(2022) / index(line's year), as shown.
    pub deflator: Decimal,
    pub deflator_source: String,
    /// The amount before rounding, which a counted line's kg CO2e is worked out from.
    #[serde(skip)]
    unrounded: Decimal,
}

/// What became of one line, and which rule decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub outcome: Outcome,
    /// The mapping row that decided the outcome; `None` when the record's kind or state did.
    pub rule_id: Option<String>,
    pub category: Option<String>,
    /// For excluded and unmapped lines, why, and what to do where something can be done. For a
    /// counted line, a caveat from the mapping row when it has one (for example that fuel burnt
    /// in owned vehicles is Scope 1 and needs litres).
    pub reason: Option<String>,
}

// Most lines of a spend ledger are counted, so boxing the emission would add an allocation per
// line to save memory only on the minority that are not.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Counted(Emission),
    Excluded,
    Unmapped,
}

/// A counted line with every number needed to recompute it by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Emission {
    pub scope: u8,
    pub scope3_category: Option<u8>,
    pub factor_code: String,
    pub factor_title: String,
    /// kg CO2e per 2022 USD, with margins, exactly as published.
    pub factor_value: Decimal,
    pub factor_unit: String,
    pub factor_set: String,
    pub factor_version: String,
    /// USD per unit of the line's currency, for the line's year, exactly as in the table.
    pub fx_rate: Decimal,
    pub fx_source: String,
    /// index(2022) / index(line's year), rounded to [`DEFLATOR_DP`] decimal places for display.
    /// The calculation divides by the index itself, so this rounding never reaches a result.
    pub deflator: Decimal,
    pub deflator_source: String,
    /// net_amount × fx_rate × index(2022) / index(year), in 2022 USD, rounded half away from
    /// zero to [`RESULT_DP`] decimal places (one millionth of a dollar).
    pub amount_usd_2022: Decimal,
    /// net_amount × fx_rate × index(2022) / index(year) × factor_value, in kg CO2e, rounded once,
    /// half away from zero, to [`RESULT_DP`] decimal places (one milligram).
    pub kg_co2e: Decimal,
}

const DELETED: &str = "deleted in the source";
const TRANSFER: &str = "transfer between the organisation's own accounts";
const INCOME: &str = "income, not a purchase";
const PREPAYMENT: &str =
    "prepayment to a supplier: the purchase is counted from the bill it is allocated to";
const OVERPAYMENT: &str =
    "overpayment of a bill: refunded or allocated to a later bill, where the purchase is counted";
const TOO_LARGE: &str = "the line amount is too large to convert exactly; check the line";

/// Decimal places kept in [`Emission::amount_usd_2022`] and [`Emission::kg_co2e`]: a millionth
/// of a dollar and a milligram of CO2e, far below any factor's own precision (three significant
/// digits in EPA v1.3), so a total over millions of lines is exact to the published digits.
pub const RESULT_DP: u32 = 6;
/// Decimal places of the deflator as shown on an emission (the calculation uses the two index
/// values themselves).
pub const DEFLATOR_DP: u32 = 12;

impl Assessment {
    /// An outcome decided by the record itself, before any mapping row is consulted.
    fn by_record(outcome: Outcome, reason: &str) -> Assessment {
        Assessment {
            outcome,
            rule_id: None,
            category: None,
            reason: Some(reason.to_owned()),
        }
    }

    /// An outcome decided by a mapping row, with the row's own category kept for the ledger.
    fn by_rule(outcome: Outcome, rule: &MappingRule, reason: Option<String>) -> Assessment {
        Assessment {
            outcome,
            rule_id: Some(rule.rule_id.clone()),
            category: rule.category.clone(),
            reason,
        }
    }
}

/// Rounds a result to [`RESULT_DP`] places, half away from zero (the convention of financial
/// statements, and what a person checking by hand expects).
fn round_result(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(RESULT_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// Turns spend lines into emissions with one factor set, mapping, exchange-rate table and price
/// index. Cheap to clone (the tables are shared) and safe to use from many threads.
#[derive(Clone)]
pub struct Calculator {
    tables: Arc<Tables>,
}

impl fmt::Debug for Calculator {
    // The derived form would print a thousand factors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tables;
        f.debug_struct("Calculator")
            .field("factor_set", &t.info.name)
            .field("factor_version", &t.info.version)
            .field("factors", &t.factors.len())
            .field("mappings", &t.mappings.keys().collect::<Vec<_>>())
            .field("fx_rates", &t.fx.len())
            .field("price_index_years", &t.deflators.len())
            .finish()
    }
}

impl Calculator {
    /// The calculator over the tables shipped in the crate. They are parsed on the first call
    /// only; later calls share them.
    pub fn builtin() -> Result<Calculator, EmissionsError> {
        static BUILTIN: OnceLock<Result<Calculator, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Calculator::with_tables(
                    builtin::FACTORS_CSV,
                    builtin::MAPPINGS,
                    builtin::FX_CSV,
                    builtin::INDEX_CSV,
                )
                .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(EmissionsError::Builtin)
    }

    /// A calculator over tables the user supplied (CSV text, same columns as the built-in
    /// files), with one mapping table per platform. Every row is checked here; the error names
    /// the table (and platform) and line to fix.
    pub fn with_tables(
        factors_csv: &str,
        mappings: &[MappingTable<'_>],
        fx_csv: &str,
        index_csv: &str,
    ) -> Result<Calculator, EmissionsError> {
        Ok(Calculator {
            tables: Arc::new(Tables::load(factors_csv, mappings, fx_csv, index_csv)?),
        })
    }

    pub fn factor(&self, naics: &str) -> Option<&Factor> {
        let index = *self.tables.factor_index.get(naics.trim())?;
        self.tables.factors.get(index)
    }

    pub fn factor_set(&self) -> &FactorSetInfo {
        &self.tables.info
    }

    /// SHA-256 (64 hex digits) over every table this calculator was built from (factors, each
    /// platform's mapping, rates, price index): two calculators with the same fingerprint give
    /// the same answer for every line, so a stored ledger made with another fingerprint is
    /// owed a recomputation.
    pub fn fingerprint(&self) -> &str {
        &self.tables.fingerprint
    }

    /// The mapping row of `platform` (catalogue id) for a mapping key (Xero: an account code;
    /// QuickBooks Online: an `AccountSubType`), if that platform's table has one. Never another
    /// platform's row, whatever the key.
    pub fn rule(&self, platform: &str, key: &str) -> Option<&MappingRule> {
        self.tables
            .mappings
            .get(platform)?
            .rules
            .get(key.trim())
            .map(|r| &r.rule)
    }

    /// Every mapping row of `platform`, in no particular order (none for a platform without a
    /// mapping table).
    pub fn rules(&self, platform: &str) -> impl Iterator<Item = &MappingRule> {
        self.tables
            .mappings
            .get(platform)
            .into_iter()
            .flat_map(|m| m.rules.values().map(|r| &r.rule))
    }

    /// The Scope 3 category of spend counted with spend factor `code` when a person names
    /// none: the one the shipped account mappings give it, where every row that counts with
    /// it agrees (481111, air transportation: 6, business travel); else the one its industry
    /// settles ([`scope3_category_by_industry`]: 721110, hotels: 6); `None` for the rest,
    /// which are purchased goods and services (1).
    pub fn scope3_category_for_factor(&self, code: &str) -> Option<u8> {
        let mut mapped = self
            .tables
            .mappings
            .values()
            .flat_map(|m| m.rules.values().map(|r| &r.rule))
            .filter(|r| r.treatment == Treatment::Spend && r.naics_code.as_deref() == Some(code))
            .map(|r| r.scope3_category);
        let by_mapping = match mapped.next() {
            Some(Some(first)) => mapped.all(|c| c == Some(first)).then_some(first),
            _ => None,
        };
        by_mapping.or_else(|| scope3_category_by_industry(code))
    }

    /// Whether the platform's account mapping says the line is not a purchase at all
    /// ([`Treatment::Exclude`]: payroll, tax, loans, …): a rule for similar entries leaves
    /// it to the mapping, and only a person's decision on the entry itself (or a new
    /// mapping table) counts it.
    pub fn excluded_by_mapping(&self, line: &SpendLine<'_>) -> bool {
        line.account_code
            .map(str::trim)
            .and_then(|code| self.rule(line.platform, code))
            .is_some_and(|rule| rule.treatment == Treatment::Exclude)
    }

    /// Whether the record itself settles the line, whatever account, rule or person says:
    /// deleted, a transfer, income, a prepayment or overpayment, money in that is not a refund
    /// of a purchase. Exactly the lines [`Calculator::assess`] excludes "by record", without
    /// computing anything else.
    pub fn settled_by_record(&self, line: &SpendLine<'_>) -> bool {
        if line.status_deleted {
            return true;
        }
        match line.kind {
            SpendKind::BankTransfer
            | SpendKind::SalesInvoice
            | SpendKind::Prepayment
            | SpendKind::Overpayment => true,
            SpendKind::BankReceive => line
                .account_code
                .map(str::trim)
                .zip(self.tables.mappings.get(line.platform))
                .and_then(|(code, m)| m.rules.get(code))
                .is_none_or(|rule| rule.factor.is_none()),
            SpendKind::BankSpend | SpendKind::Bill | SpendKind::SupplierCredit => false,
        }
    }

    /// Decides what one line contributes. Pure: the same line always gives the same answer.
    pub fn assess(&self, line: &SpendLine<'_>) -> Assessment {
        if line.status_deleted {
            return Assessment::by_record(Outcome::Excluded, DELETED);
        }
        let mapping = self.tables.mappings.get(line.platform);
        match line.kind {
            SpendKind::BankTransfer => return Assessment::by_record(Outcome::Excluded, TRANSFER),
            SpendKind::SalesInvoice => return Assessment::by_record(Outcome::Excluded, INCOME),
            SpendKind::Prepayment => return Assessment::by_record(Outcome::Excluded, PREPAYMENT),
            SpendKind::Overpayment => return Assessment::by_record(Outcome::Excluded, OVERPAYMENT),
            SpendKind::BankReceive => {
                // Money in is a refund only where it goes back to a purchase category; on
                // sales, interest or any account without a purchase factor it is income.
                let is_purchase = line
                    .account_code
                    .map(str::trim)
                    .zip(mapping)
                    .and_then(|(code, m)| m.rules.get(code))
                    .is_some_and(|rule| rule.factor.is_some());
                if !is_purchase {
                    return Assessment::by_record(Outcome::Excluded, INCOME);
                }
            }
            SpendKind::BankSpend | SpendKind::Bill | SpendKind::SupplierCredit => {}
        }
        let Some(mapping) = mapping else {
            // Never another platform's table: the same code means another account there.
            return Assessment::by_record(
                Outcome::Unmapped,
                &format!(
                    "there is no account mapping for {}; add a mapping table for it in the \
                     emissions settings",
                    line.platform
                ),
            );
        };
        let code = match line.account_code.map(str::trim) {
            Some(code) if !code.is_empty() => code,
            _ => {
                return Assessment::by_record(
                    Outcome::Unmapped,
                    &format!(
                        "no account on this line; code it in {}",
                        mapping.platform_name
                    ),
                )
            }
        };
        let Some(rule) = mapping.rules.get(code) else {
            let reason = match line.account_name.map(str::trim) {
                Some(name) if !name.is_empty() => {
                    format!("account {code} {name} has no mapping; choose a category for it")
                }
                _ => format!("account {code} has no mapping; choose a category for it"),
            };
            return Assessment {
                outcome: Outcome::Unmapped,
                rule_id: None,
                category: None,
                reason: Some(reason),
            };
        };
        match rule.factor {
            Some(factor) => self.count(line, &mapping.platform_name, rule, factor),
            None => {
                let outcome = match rule.rule.treatment {
                    Treatment::Exclude => Outcome::Excluded,
                    Treatment::Spend | Treatment::Unmapped => Outcome::Unmapped,
                };
                Assessment::by_rule(outcome, &rule.rule, rule.rule.reason.clone())
            }
        }
    }

    /// Decides one line with `row` in place of its account's mapping row: a person's
    /// classification of the entry, or a person's rule for entries like it. What the record
    /// itself settles still comes first (a deleted record, a transfer, income, a prepayment
    /// counts nothing whatever the row says). A `Spend` row names its factor by `naics_code`;
    /// an `Exclude` row gives its `reason`. Pure, like [`Calculator::assess`].
    pub fn assess_as(&self, line: &SpendLine<'_>, row: &MappingRule) -> Assessment {
        if line.status_deleted {
            return Assessment::by_record(Outcome::Excluded, DELETED);
        }
        let factor = row
            .naics_code
            .as_deref()
            .and_then(|code| self.tables.factor_index.get(code.trim()).copied());
        match line.kind {
            SpendKind::BankTransfer => return Assessment::by_record(Outcome::Excluded, TRANSFER),
            SpendKind::SalesInvoice => return Assessment::by_record(Outcome::Excluded, INCOME),
            SpendKind::Prepayment => return Assessment::by_record(Outcome::Excluded, PREPAYMENT),
            SpendKind::Overpayment => return Assessment::by_record(Outcome::Excluded, OVERPAYMENT),
            // Money in counts (as a refund) only where a person says it is a purchase.
            SpendKind::BankReceive if row.treatment != Treatment::Spend || factor.is_none() => {
                return Assessment::by_record(Outcome::Excluded, INCOME)
            }
            _ => {}
        }
        match row.treatment {
            Treatment::Exclude => Assessment::by_rule(Outcome::Excluded, row, row.reason.clone()),
            Treatment::Unmapped => Assessment::by_rule(Outcome::Unmapped, row, row.reason.clone()),
            Treatment::Spend => match factor {
                Some(factor) => {
                    let platform_name = self
                        .tables
                        .mappings
                        .get(line.platform)
                        .map_or(line.platform, |m| m.platform_name.as_str());
                    let rule = Rule {
                        rule: row.clone(),
                        factor: Some(factor),
                    };
                    self.count(line, platform_name, &rule, factor)
                }
                None => Assessment::by_rule(
                    Outcome::Unmapped,
                    row,
                    Some(format!(
                        "factor {} is not in {} {}; choose another factor",
                        row.naics_code.as_deref().unwrap_or("(none)"),
                        self.tables.info.name,
                        self.tables.info.version
                    )),
                ),
            },
        }
    }

    /// Every factor of the set, in the table's order (for a searchable list).
    pub fn factors(&self) -> &[Factor] {
        &self.tables.factors
    }

    fn count(
        &self,
        line: &SpendLine<'_>,
        platform_name: &str,
        rule: &Rule,
        factor: usize,
    ) -> Assessment {
        let mapping = &rule.rule;
        let unmapped =
            |reason: String| Assessment::by_rule(Outcome::Unmapped, mapping, Some(reason));

        let conversion = match self.convert(line, platform_name) {
            Ok(c) => c,
            Err(reason) => return unmapped(reason),
        };
        let factor = &self.tables.factors[factor];
        let info = &self.tables.info;
        let Some(kg) = conversion.unrounded.checked_mul(factor.with_margins) else {
            return unmapped(TOO_LARGE.to_owned());
        };
        let kg_co2e = round_result(kg);
        let emission = Emission {
            scope: mapping.scope.unwrap_or(3),
            scope3_category: mapping.scope3_category,
            factor_code: factor.code.clone(),
            factor_title: factor.title.clone(),
            factor_value: factor.with_margins,
            factor_unit: factor.unit.clone(),
            factor_set: info.name.clone(),
            factor_version: info.version.clone(),
            fx_rate: conversion.fx_rate,
            fx_source: conversion.fx_source,
            deflator: conversion.deflator,
            deflator_source: conversion.deflator_source,
            amount_usd_2022: conversion.amount_usd_2022,
            kg_co2e,
        };
        Assessment::by_rule(Outcome::Counted(emission), mapping, mapping.reason.clone())
    }

    /// A line's amount in 2022 US dollars, with the exchange rate and price index that made
    /// it, whatever its account: how large an unmapped line is, next to lines in other
    /// currencies. `None` when the line's currency or year has no rate or index (the counted
    /// path says which, in words).
    pub fn spend_usd_2022(&self, line: &SpendLine<'_>) -> Option<SpendConversion> {
        self.convert(line, line.platform).ok()
    }

    /// net_amount × fx_rate × index(2022) / index(year), rounded and as worked out; refused
    /// in words (naming `platform_name` where the line must be corrected) when a rate or
    /// index is missing or the result overflows.
    fn convert(
        &self,
        line: &SpendLine<'_>,
        platform_name: &str,
    ) -> Result<SpendConversion, String> {
        let Some(currency) = currency_key(line.currency) else {
            return Err(format!(
                "currency {:?} is not a three-letter ISO 4217 code; check the line in {platform_name}",
                line.currency
            ));
        };
        // Built from ASCII letters only, so this cannot fail.
        let code = std::str::from_utf8(&currency).unwrap_or("???");
        let year = line.date.year();
        let rate = self.tables.fx.get(&(currency, year));
        let deflator = self.tables.deflators.get(&year);
        let (rate, deflator) = match (rate, deflator) {
            (Some(rate), Some(deflator)) => (rate, deflator),
            // Another year's rate or index would be a silent guess, and an unconverted amount
            // would treat pounds or euros as dollars: both are refused.
            (None, Some(_)) => {
                return Err(format!(
                    "no USD exchange rate for {code} in {year}; add the {year} rate for {code} \
                     to the exchange-rate table"
                ))
            }
            (Some(_), None) => {
                return Err(format!(
                    "no US price index for {year} to convert to 2022 dollars; add {year} to the \
                     price-index table"
                ))
            }
            (None, None) => {
                return Err(format!(
                    "no USD exchange rate for {code} in {year} and no US price index for {year}; \
                     add them to the exchange-rate and price-index tables"
                ))
            }
        };

        // Negative amounts are refunds or credits and pass through the same arithmetic, so
        // they reverse the emission of the purchase they undo. The division by the year's index
        // comes last among the conversions, so the only rounding before the final one is the
        // 28th significant digit of that quotient.
        let Some(usd_2022) = line
            .net_amount
            .checked_mul(rate.usd_per_unit)
            .and_then(|usd| usd.checked_mul(deflator.base))
            .and_then(|usd| usd.checked_div(deflator.index))
        else {
            return Err(TOO_LARGE.to_owned());
        };
        Ok(SpendConversion {
            amount_usd_2022: round_result(usd_2022),
            unrounded: usd_2022,
            fx_rate: rate.usd_per_unit,
            fx_source: rate.source.clone(),
            deflator: deflator.shown,
            deflator_source: deflator.source.clone(),
        })
    }
}
