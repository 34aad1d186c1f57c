//! People's decisions and rules, applied whenever a line is decided: on every sync, full
//! re-sync and recomputation. The order is the review's rule: a person's decision on the entry
//! first, then the person's rules in their order (the first that matches), then the platform's
//! account mapping.

use std::collections::HashMap;

use rust_decimal::Decimal;

use carbonsync_emissions::{activity, Calculator, MappingRule, SpendLine, Treatment};
use carbonsync_store::{
    Classification, Decision, LedgerRow, LedgerStatus, ReviewAction, ReviewRule, Store, StoreError,
};

use crate::records::row_of;

/// A line's place: connection, stream, the record's id at the platform, line number.
type LineKey = (i64, String, String, i64);

/// What a line says beyond its amount, for rules to match on.
#[derive(Debug, Clone, Copy)]
pub struct LineFacts<'a> {
    pub connection_id: i64,
    pub stream: &'a str,
    pub record_id: &'a str,
    pub line_no: i64,
    /// The supplier (the record's contact).
    pub contact: Option<&'a str>,
    pub description: Option<&'a str>,
    /// The code people know the account by.
    pub account_code: Option<&'a str>,
}

/// The decisions and rules in force, loaded once per sync or recomputation.
#[derive(Debug, Default)]
pub struct Review {
    rules: Vec<ReviewRule>,
    decisions: HashMap<LineKey, Decision>,
}

impl Review {
    /// The rules and the decisions on `connection_id`'s entries (every connection's with
    /// `None`).
    pub fn load(store: &Store, connection_id: Option<i64>) -> Result<Review, StoreError> {
        let decisions = store
            .decisions(connection_id)?
            .into_iter()
            .map(|d| {
                (
                    (
                        d.connection_id,
                        d.stream.clone(),
                        d.record_id.clone(),
                        d.line_no,
                    ),
                    d,
                )
            })
            .collect();
        Ok(Review {
            rules: store.review_rules()?,
            decisions,
        })
    }

    /// The rules in force, in order.
    pub fn rules(&self) -> &[ReviewRule] {
        &self.rules
    }

    /// Replaces the rules (to preview a change before it is saved).
    pub fn with_rules(mut self, rules: Vec<ReviewRule>) -> Review {
        self.rules = rules;
        self
    }

    /// The first rule that matches a line.
    pub fn rule_for(&self, line: &SpendLine<'_>, facts: &LineFacts<'_>) -> Option<&ReviewRule> {
        self.rules.iter().find(|r| {
            r.matches.matches(
                line.platform,
                facts.contact,
                facts.account_code,
                facts.description,
                line.net_amount,
            )
        })
    }

    /// Decides one line: the person's decision on it, else the first rule that matches, else
    /// `mapped` (the account mapping's row).
    pub fn decide(
        &self,
        calc: &Calculator,
        line: &SpendLine<'_>,
        facts: &LineFacts<'_>,
        mapped: impl Fn() -> LedgerRow,
    ) -> LedgerRow {
        // What the record itself settles (deleted, a transfer, income) is not a rule's to
        // decide, nor a quantity's to count. Nor is what the mapping says is no purchase
        // (payroll, tax): a rule on an amount or a word would otherwise sweep salaries into
        // a spend category. The account mapping is computed only where it decides: a rule or
        // a person's decision makes it unnecessary.
        let by_record = calc.settled_by_record(line);
        let rule = if by_record || calc.excluded_by_mapping(line) {
            None
        } else {
            self.rule_for(line, facts)
        };
        let by_rule = |mapped: &dyn Fn() -> LedgerRow| match rule {
            Some(r) => LedgerRow {
                review_rule_id: Some(r.id),
                ..classified(calc, line, &r.classification)
            },
            None => mapped(),
        };
        // Most syncs have no decisions at all: no key to build then.
        let decision = if self.decisions.is_empty() {
            None
        } else {
            self.decisions.get(&(
                facts.connection_id,
                facts.stream.to_owned(),
                facts.record_id.to_owned(),
                facts.line_no,
            ))
        };
        let row = match decision {
            None => by_rule(&mapped),
            Some(d) => LedgerRow {
                decision_id: Some(d.id),
                ..match d.classification.action {
                    ReviewAction::Accept => by_rule(&mapped),
                    ReviewAction::Activity if by_record => mapped(),
                    ReviewAction::Activity => measured(&d.classification, line),
                    ReviewAction::Split if by_record => mapped(),
                    ReviewAction::Split => split(calc, line, &d.classification, d.id),
                    ReviewAction::Reclassify | ReviewAction::Exclude => {
                        classified(calc, line, &d.classification)
                    }
                }
            },
        };
        with_spend_size(calc, line, row)
    }
}

/// An unmapped entry carries its amount in 2022 US dollars, with the exchange rate and price
/// index that made it, so that the review queue ranks unmapped lines in different currencies
/// by what they are worth (a hundred thousand yen is not larger than a thousand pounds). It
/// counts in no total: only counted entries do.
fn with_spend_size(calc: &Calculator, line: &SpendLine<'_>, mut row: LedgerRow) -> LedgerRow {
    if row.status != LedgerStatus::Unmapped || row.amount_usd_2022.is_some() {
        return row;
    }
    if let Some(c) = calc.spend_usd_2022(line) {
        row.fx_rate = Some(c.fx_rate);
        row.fx_source = Some(c.fx_source);
        row.deflator = Some(c.deflator);
        row.deflator_source = Some(c.deflator_source);
        row.amount_usd_2022 = Some(c.amount_usd_2022);
    }
    row
}

/// A line counted from a person's quantity with the activity's factor (DESNZ 2024), or
/// unmapped with the reason when the quantity cannot be used. The quantity is the one given,
/// or, with a price per unit instead, the line's amount at that price (an estimate; a refund
/// counts negative). With a supplier or contract factor, the market-based kg is kept beside.
fn measured(c: &Classification, line: &SpendLine<'_>) -> LedgerRow {
    let unmapped = |reason: String| LedgerRow {
        status: LedgerStatus::Unmapped,
        reason: Some(reason),
        ..crate::records::bare_row()
    };
    let Some(activity) = c.activity.as_deref().and_then(activity::activity) else {
        return unmapped(format!(
            "the activity {:?} is not one this version knows; enter the activity data again",
            c.activity.as_deref().unwrap_or("")
        ));
    };
    let unit = c.quantity_unit.as_deref().unwrap_or("");
    let (quantity, sign, estimate) = match c.unit_price {
        None => (c.quantity.unwrap_or_default(), Decimal::ONE, None),
        Some(price) => {
            let currency = c.unit_price_currency.as_deref().unwrap_or("");
            if !currency.eq_ignore_ascii_case(line.currency) {
                return unmapped(format!(
                    "the price per {unit} is in {currency} but the line is in {}; enter the \
                     activity data again with a price in {}",
                    line.currency, line.currency
                ));
            }
            match activity::estimated_quantity(line.net_amount, price) {
                Ok(q) => (
                    q,
                    if line.net_amount < Decimal::ZERO {
                        Decimal::NEGATIVE_ONE
                    } else {
                        Decimal::ONE
                    },
                    Some(format!(
                        "estimated from spend: {} {} at {} {} per {} ({}) = ",
                        line.net_amount.abs(),
                        line.currency,
                        price,
                        currency,
                        unit,
                        c.unit_price_source.as_deref().unwrap_or("source not given")
                    )),
                ),
                Err(why) => return unmapped(format!("{why}; enter the activity data again")),
            }
        }
    };
    let e = match activity.emission(quantity, unit) {
        Ok(e) => e,
        Err(why) => return unmapped(format!("{why}; enter the activity data again")),
    };
    let market_kg = match c.market_factor {
        None => None,
        Some(f) => match activity::market_kg(e.quantity, f) {
            Ok(kg) => Some(kg * sign),
            Err(why) => return unmapped(format!("{why}; enter the activity data again")),
        },
    };
    let a = &e.activity;
    let market = match (c.market_factor, market_kg) {
        (Some(f), Some(kg)) => format!(
            "; market-based {} kg CO2e per {} ({}) = {} kg CO2e",
            f,
            a.quantity_unit,
            c.market_factor_source
                .as_deref()
                .unwrap_or("source not given"),
            kg
        ),
        _ => String::new(),
    };
    LedgerRow {
        status: LedgerStatus::Counted,
        reason: Some(format!(
            "{}{} {} × {} kg CO2e per {}{market}",
            estimate.unwrap_or_else(|| "activity data: ".to_owned()),
            e.quantity,
            a.quantity_unit,
            a.value,
            a.factor_unit
        )),
        category: Some(c.category.clone().unwrap_or_else(|| a.label.clone())),
        scope: Some(a.scope),
        scope3_category: a.scope3_category,
        factor_set: Some(activity::ACTIVITY_SET.to_owned()),
        factor_version: Some(activity::ACTIVITY_SET_VERSION.to_owned()),
        factor_code: Some(a.factor_id.clone()),
        factor_title: Some(a.title.clone()),
        factor_value: Some(a.value),
        factor_unit: Some(format!("kg CO2e per {}", a.factor_unit)),
        kg_co2e: Some(e.kg_co2e * sign),
        market_kg_co2e: market_kg,
        ..crate::records::bare_row()
    }
}

/// A line a person split between categories: one row per part (the first carrying the
/// others), each counted spend-based with its own factor on its share of the amount
/// (line × share ÷ 100, exactly), all under decision `decision_id`.
fn split(
    calc: &Calculator,
    line: &SpendLine<'_>,
    c: &Classification,
    decision_id: i64,
) -> LedgerRow {
    let mut rows = c.parts.iter().enumerate().map(|(i, p)| {
        let amount = line.net_amount * p.share_percent / Decimal::ONE_HUNDRED;
        let part_line = SpendLine {
            net_amount: amount,
            ..line.clone()
        };
        let as_reclassified = Classification {
            action: ReviewAction::Reclassify,
            category: p.category.clone(),
            factor_code: Some(p.factor_code.clone()),
            scope3_category: p.scope3_category,
            ..Classification::default()
        };
        let row = classified(calc, &part_line, &as_reclassified);
        LedgerRow {
            reason: row.reason.clone().or_else(|| {
                Some(format!(
                    "split: {} % of {} {}",
                    p.share_percent, line.net_amount, line.currency
                ))
            }),
            part_no: i as i64,
            share_percent: Some(p.share_percent),
            part_amount: Some(amount),
            decision_id: Some(decision_id),
            ..row
        }
    });
    let Some(mut first) = rows.next() else {
        return LedgerRow {
            status: LedgerStatus::Unmapped,
            reason: Some("the split has no parts; split the entry again".to_owned()),
            ..crate::records::bare_row()
        };
    };
    first.more_parts = rows.collect();
    first
}

/// A line as a reclassification or an exclusion makes it.
fn classified(calc: &Calculator, line: &SpendLine<'_>, c: &Classification) -> LedgerRow {
    let row = MappingRule {
        rule_id: String::new(),
        account_code: String::new(),
        account_name: String::new(),
        treatment: match c.action {
            ReviewAction::Exclude => Treatment::Exclude,
            ReviewAction::Reclassify
            | ReviewAction::Accept
            | ReviewAction::Activity
            | ReviewAction::Split => Treatment::Spend,
        },
        category: c.category.clone(),
        naics_code: c.factor_code.clone(),
        // Spend-based supply-chain factors cover what was bought: Scope 3.
        scope: Some(3),
        scope3_category: c.scope3_category,
        reason: c.reason.clone(),
    };
    LedgerRow {
        // No mapping row decided it: the decision or rule does.
        rule_id: None,
        ..row_of(calc.assess_as(line, &row))
    }
}
