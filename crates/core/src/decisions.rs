//! The review queue and people's decisions on entries: accept, reclassify with another factor,
//! exclude with a reason, include again, with a note. Offline: everything here reads and writes
//! the local database only, and every change lands in the audit trail.

use carbonsync_store::{
    Actor, AuditRow, Classification, Decision, LedgerEntry, LedgerFilter, QueueItem, Reassess,
    ReviewAction, ReviewProgress, ReviewRule,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::capitalised;
use crate::{App, AppError};

/// A page of the review queue and how far the review of the same entries has come.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReviewQueue {
    pub items: Vec<QueueItem>,
    pub offset: i64,
    pub progress: ReviewProgress,
}

/// One entry with everything behind its number: the entry (record, factor, conversions), the
/// person's decision on it, the rule that decided it, and every change to it, newest first.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EntryDetail {
    pub entry: LedgerEntry,
    pub decision: Option<Decision>,
    /// The person's rule that decides it (when no decision does).
    pub rule: Option<ReviewRule>,
    /// The decision saw another line than the one stored now.
    pub changed_since_review: bool,
    pub history: Vec<AuditRow>,
}

/// A factor of the shipped spend-based set, for choosing one.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FactorChoice {
    /// `US EPA Supply Chain GHG Emission Factors`.
    pub set: String,
    pub version: String,
    /// A 2017 NAICS code.
    pub code: String,
    pub title: String,
    /// kg CO2e per 2022 USD, purchaser price, exactly as published. Decimal text.
    #[ts(type = "string")]
    pub value: rust_decimal::Decimal,
    pub unit: String,
    pub publisher: String,
    /// The GHG Protocol Scope 3 category (1 to 15) spend counted with this factor goes under
    /// when the person names none: the one the account mappings give the factor, else the
    /// one its industry settles (6, business travel, for flights and hotels), else 1,
    /// purchased goods and services.
    pub scope3_category: u8,
}

/// The GHG Protocol's Scope 3 categories, 1 to 15.
pub(crate) fn check_scope3_category(c: Option<u8>) -> Result<(), AppError> {
    match c {
        Some(n) if !(1..=15).contains(&n) => Err(AppError::new(
            "invalid_review",
            format!(
                "Scope 3 category {n} does not exist: the GHG Protocol numbers them 1 to 15 \
                 (1 purchased goods and services, 6 business travel, …)"
            ),
        )),
        _ => Ok(()),
    }
}

impl App {
    /// Who is making a change now, for decisions and rules and their audit rows.
    pub(crate) fn with_actor<T>(&self, f: impl FnOnce(&Actor<'_>) -> T) -> T {
        let (user, machine) = crate::audit::actor();
        f(&Actor {
            os_user: &user,
            machine: &machine,
            at_ms: chrono::Utc::now().timestamp_millis(),
        })
    }

    /// The entries of `filter` that still need a person, most pressing first (changed since
    /// review, unmapped, new supplier, then the largest by kg CO2e and amount), with the
    /// review's progress over the same entries.
    pub fn review_queue(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<ReviewQueue, AppError> {
        Ok(ReviewQueue {
            items: self.review_queue_items(filter, offset, limit)?,
            offset,
            progress: self.review_progress(filter)?,
        })
    }

    /// One page of the review queue of `filter` (see [`App::review_queue`]), without the
    /// progress: what the window asks for as the person scrolls.
    pub fn review_queue_items(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<QueueItem>, AppError> {
        Ok(self.store()?.review_queue(filter, offset, limit)?)
    }

    /// How far the review of `filter`'s entries has come: by entries, kg CO2e and spend per
    /// currency.
    pub fn review_progress(&self, filter: &LedgerFilter) -> Result<ReviewProgress, AppError> {
        Ok(self.store()?.review_progress(filter)?)
    }

    /// One entry and its trail.
    pub fn entry_detail(&self, id: i64) -> Result<EntryDetail, AppError> {
        let store = self.store()?;
        let entry = store.entry(id).map_err(|_| no_such_entry(id))?;
        let decision = store.decision(id)?;
        let rule = match (&decision, entry.assessment.review_rule_id) {
            (None, Some(rule)) => store.review_rule(rule).ok(),
            _ => None,
        };
        let changed_since_review = store.changed_since_review(id)?;
        // A decision is the line's, recorded under its first part.
        let line = store.line_entries(id)?.first().copied().unwrap_or(id);
        let history = store.audit_rows(Some(&format!("entry:{line}")), 200)?;
        Ok(EntryDetail {
            entry,
            decision,
            rule,
            changed_since_review,
            history,
        })
    }

    /// Factors of the spend-based set whose code starts with `query` or whose title has a word
    /// beginning with each word of it (letters' case aside: `air` finds "Air Transportation",
    /// not "Dairy"; an everyday word also finds the industry's name for it, see
    /// [`everyday_words`]), in the set's order; at most `limit`.
    pub fn find_factors(&self, query: &str, limit: usize) -> Vec<FactorChoice> {
        let calc = self.calculator();
        let info = calc.factor_set();
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        calc.factors()
            .iter()
            .filter(|f| {
                let title = f.title.to_lowercase();
                query.trim().is_empty()
                    || f.code.starts_with(query.trim())
                    || words.iter().all(|w| {
                        starts_a_word(&title, w)
                            || everyday_words(w).iter().any(|s| starts_a_word(&title, s))
                    })
            })
            .take(limit)
            .map(|f| FactorChoice {
                set: info.name.clone(),
                version: info.version.clone(),
                code: f.code.clone(),
                title: f.title.clone(),
                value: f.with_margins,
                unit: f.unit.clone(),
                publisher: info.publisher.clone(),
                scope3_category: self.default_scope3_category(&f.code),
            })
            .collect()
    }

    /// The Scope 3 category of spend counted with factor `code` when none is given: the one
    /// [`carbonsync_emissions::Calculator::scope3_category_for_factor`] gives (6, business
    /// travel, for flights and hotels), else 1 (purchased goods and services), the category
    /// of spend-based purchases.
    fn default_scope3_category(&self, code: &str) -> u8 {
        self.calculator()
            .scope3_category_for_factor(code)
            .unwrap_or(1)
    }

    /// Checks a classification and fills what it may leave out (a reclassification's category
    /// is the factor's title unless given, its Scope 3 category as
    /// [`App::default_scope3_category`] says).
    pub(crate) fn checked_classification(
        &self,
        c: &Classification,
    ) -> Result<Classification, AppError> {
        let mut c = c.clone();
        check_scope3_category(c.scope3_category)?;
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        match c.action {
            ReviewAction::Reclassify => {
                let code = c.factor_code.as_deref().unwrap_or("").trim().to_owned();
                let Some(factor) = self.calculator().factor(&code) else {
                    let set = self.calculator().factor_set();
                    return Err(AppError::new(
                        "invalid_review",
                        if code.is_empty() {
                            "Choose the factor to count this with (its code, e.g. 481111 for \
                             air transportation; `carbonsync factors TEXT` finds one)."
                                .to_owned()
                        } else {
                            format!(
                                "Factor {code} is not in {} {}; `carbonsync factors TEXT` \
                                 finds the right code.",
                                set.name, set.version
                            )
                        },
                    ));
                };
                if blank(&c.category) {
                    c.category = Some(factor.title.clone());
                }
                c.scope3_category = c
                    .scope3_category
                    .or_else(|| Some(self.default_scope3_category(&code)));
                c.factor_code = Some(code);
            }
            ReviewAction::Split => {
                let refused = |why: String| AppError::new("invalid_review", why);
                if c.parts.len() < 2 {
                    return Err(refused(
                        "Give at least two parts to split an entry, each as a share in percent \
                         and a factor (e.g. 60% 481111 and 40% 721110)."
                            .into(),
                    ));
                }
                let mut total = Decimal::ZERO;
                for (i, p) in c.parts.iter_mut().enumerate() {
                    if p.share_percent <= Decimal::ZERO {
                        return Err(refused(format!(
                            "Part {}'s share must be more than 0 %.",
                            i + 1
                        )));
                    }
                    total += p.share_percent;
                    let code = p.factor_code.trim().to_owned();
                    let Some(factor) = self.calculator().factor(&code) else {
                        let set = self.calculator().factor_set();
                        return Err(refused(format!(
                            "Part {}: factor {code:?} is not in {} {}; `carbonsync factors TEXT` \
                             finds the right code.",
                            i + 1,
                            set.name,
                            set.version
                        )));
                    };
                    check_scope3_category(p.scope3_category)?;
                    if p.category.as_deref().is_none_or(|s| s.trim().is_empty()) {
                        p.category = Some(factor.title.clone());
                    }
                    p.scope3_category = p
                        .scope3_category
                        .or_else(|| Some(self.default_scope3_category(&code)));
                    p.factor_code = code;
                }
                if total != Decimal::ONE_HUNDRED {
                    return Err(refused(format!(
                        "The parts' shares add up to {} %, not 100 %: change them so the whole \
                         line is counted once.",
                        total.normalize()
                    )));
                }
                c.category = None;
                c.factor_code = None;
                c.scope3_category = None;
            }
            ReviewAction::Exclude => {
                if blank(&c.reason) {
                    return Err(AppError::new(
                        "invalid_review",
                        "Say why the entry is excluded (e.g. \"personal expense, repaid\"): the \
                         reason goes in the audit trail and the inventory report.",
                    ));
                }
                c.factor_code = None;
                c.scope3_category = None;
            }
            ReviewAction::Accept => {
                c.factor_code = None;
                c.category = None;
                c.scope3_category = None;
            }
            ReviewAction::Activity => {
                let key = c.activity.as_deref().unwrap_or("").trim().to_owned();
                let known = || {
                    carbonsync_emissions::activity::activities()
                        .iter()
                        .map(|a| format!("{} ({})", a.key, a.quantity_unit))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let Some(activity) = carbonsync_emissions::activity::activity(&key) else {
                    return Err(AppError::new(
                        "invalid_review",
                        format!("Say which activity the quantity is of: one of {}.", known()),
                    ));
                };
                let given = c
                    .quantity_unit
                    .as_deref()
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .unwrap_or(&activity.quantity_unit);
                // `kwh` is kWh: the unit is kept as the publication writes it.
                let unit = if given.eq_ignore_ascii_case(&activity.quantity_unit) {
                    activity.quantity_unit.clone()
                } else {
                    given.to_owned()
                };
                let refused = |why: String| AppError::new("invalid_review", capitalised(why) + ".");
                match c.unit_price {
                    None => {
                        activity
                            .emission(c.quantity.unwrap_or_default(), &unit)
                            .map_err(refused)?;
                    }
                    Some(price) => {
                        if c.quantity.is_some() {
                            return Err(refused(
                                "give either the quantity or a price per unit to estimate it from \
                                 the amount, not both"
                                    .into(),
                            ));
                        }
                        carbonsync_emissions::activity::estimated_quantity(Decimal::ONE, price)
                            .map_err(refused)?;
                        let currency = c
                            .unit_price_currency
                            .as_deref()
                            .map(|s| s.trim().to_ascii_uppercase())
                            .filter(|s| {
                                s.len() == 3 && s.chars().all(|ch| ch.is_ascii_alphabetic())
                            })
                            .ok_or_else(|| {
                                refused(format!(
                                    "say which currency the price per {unit} is in (e.g. GBP)"
                                ))
                            })?;
                        if blank(&c.unit_price_source) {
                            return Err(refused(format!(
                                "say where the price per {unit} comes from (e.g. DESNZ \
                                 Quarterly Energy Prices, non-domestic, 2024): an estimate \
                                 states its source"
                            )));
                        }
                        c.unit_price_currency = Some(currency);
                    }
                }
                match c.market_factor {
                    None if !blank(&c.market_factor_source) => {
                        return Err(refused(
                            "give the market-based factor itself (kg CO2e per kWh) with its \
                             source, or neither"
                                .into(),
                        ));
                    }
                    None => c.market_factor_source = None,
                    Some(f) => {
                        if activity.scope != 2 {
                            return Err(refused(format!(
                                "a market-based factor is for purchased electricity, heat or \
                                 steam (Scope 2), not {}",
                                activity.label
                            )));
                        }
                        carbonsync_emissions::activity::market_kg(Decimal::ONE, f)
                            .map_err(refused)?;
                        if blank(&c.market_factor_source) {
                            return Err(refused(
                                "say where the market-based factor comes from (the supplier's \
                                 fuel mix disclosure, a contract or certificates)"
                                    .into(),
                            ));
                        }
                    }
                }
                if blank(&c.category) {
                    c.category = Some(activity.label.clone());
                }
                c.activity = Some(activity.key.clone());
                c.quantity_unit = Some(unit);
                c.scope3_category = activity.scope3_category;
                c.factor_code = Some(activity.factor_id.clone());
            }
        }
        if c.action != ReviewAction::Split {
            c.parts.clear();
        }
        if c.action != ReviewAction::Activity {
            c.activity = None;
            c.quantity = None;
            c.quantity_unit = None;
            c.market_factor = None;
            c.market_factor_source = None;
            c.unit_price = None;
            c.unit_price_currency = None;
            c.unit_price_source = None;
        }
        if c.unit_price.is_none() {
            c.unit_price_currency = None;
            c.unit_price_source = None;
        }
        Ok(c)
    }

    /// Records a person's decision on each entry of `ids` and decides them again with it
    /// (accepting an entry that already has a decision confirms that decision):
    /// it outranks every rule and the account mapping, survives re-syncs, and returns the
    /// entry to the queue if the platform later changes the line. `why` goes in the audit
    /// trail. Returns the entries as they are now.
    pub fn decide_entries(
        &self,
        ids: &[i64],
        classification: &Classification,
        note: Option<&str>,
        why: Option<&str>,
    ) -> Result<Vec<LedgerEntry>, AppError> {
        self.refuse_if_read_only()?;
        let c = self.checked_classification(classification)?;
        let mut store = self.store()?;
        for &id in ids {
            let entry = store.entry(id).map_err(|_| no_such_entry(id))?;
            // A price estimates a quantity only from an amount in its own currency.
            if let Some(currency) = c.unit_price_currency.as_deref() {
                if !entry.currency.eq_ignore_ascii_case(currency) {
                    return Err(AppError::new(
                        "invalid_review",
                        format!(
                            "Entry {id} is in {}, and the price is in {currency}: give a price in \
                             {} for it, or decide it on its own.",
                            entry.currency, entry.currency
                        ),
                    ));
                }
            }
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let mut out = Vec::with_capacity(ids.len());
        for id in lines_of(&store, ids)? {
            // Accepting an entry a person already reclassified or excluded confirms that
            // decision (for the line as it is now), rather than undoing it.
            let c = match store.decision(id)? {
                Some(d) if c.action == ReviewAction::Accept => d.classification,
                _ => c.clone(),
            };
            self.with_actor(|who| store.put_decision(id, &c, note, who, why))?;
            carbonsync_sync::reassess_entries(&mut store, self.calculator(), &Reassess::Entry(id))?;
            for part in store.line_entries(id)? {
                out.push(store.entry(part)?);
            }
        }
        Ok(out)
    }

    /// Removes the person's decisions on `ids` ("include again" after an exclusion, or undo):
    /// the entries go back to what the rules and the mapping make of them. Entries without a
    /// decision are left as they are.
    pub fn undo_decisions(
        &self,
        ids: &[i64],
        why: Option<&str>,
    ) -> Result<Vec<LedgerEntry>, AppError> {
        self.refuse_if_read_only()?;
        let mut store = self.store()?;
        for &id in ids {
            store.entry(id).map_err(|_| no_such_entry(id))?;
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in lines_of(&store, ids)? {
            if self
                .with_actor(|who| store.remove_decision(id, who, why))?
                .is_some()
            {
                carbonsync_sync::reassess_entries(
                    &mut store,
                    self.calculator(),
                    &Reassess::Entry(id),
                )?;
            }
            for part in store.line_entries(id)? {
                out.push(store.entry(part)?);
            }
        }
        Ok(out)
    }

    pub(crate) fn refuse_if_read_only(&self) -> Result<(), AppError> {
        match self.read_only() {
            Some(cause) => Err(AppError::new(
                "read_only",
                format!(
                    "The database is open read-only ({cause}), so nothing can be changed: give \
                     your user write access to the data folder and its files (or run CarbonSync \
                     as the user who owns them, on a file system mounted for writing), then try \
                     again"
                ),
            )),
            None => Ok(()),
        }
    }
}

pub(crate) fn no_such_entry(id: i64) -> AppError {
    AppError::new(
        "no_such_entry",
        format!(
            "There is no ledger entry {id}; `carbonsync review` and `carbonsync emissions --ledger` list them."
        ),
    )
}

/// What the industry classification (2017 NAICS titles, as in US EPA USEEIO) calls what people
/// type when they look for a factor: `flight` finds air transportation, `hotel` the hotels.
fn everyday_words(word: &str) -> &'static [&'static str] {
    match word.trim_end_matches('s') {
        "flight" | "airfare" | "airline" | "plane" => &["air transportation"],
        "hotel" | "accommodation" | "lodging" => &["hotels"],
        "taxi" | "cab" | "uber" | "rideshare" => &["taxi", "ground passenger"],
        "train" | "rail" => &["rail"],
        "software" | "saa" | "subscription" => &["software"],
        "courier" | "postage" | "parcel" => &["couriers", "postal"],
        "stationery" => &["office supplies"],
        "petrol" | "gasoline" => &["gasoline"],
        "electricity" | "power" => &["electric power"],
        "internet" | "broadband" | "phone" | "mobile" => &["telecommunications"],
        "advertising" | "marketing" => &["advertising"],
        "meal" | "restaurant" | "catering" => &["restaurants", "food services"],
        "legal" | "lawyer" | "solicitor" => &["legal services"],
        _ => &[],
    }
}

/// The lines `ids` name, each by its first part's entry (a decision and its audit row belong
/// to the whole line, whichever part was chosen), once each, in the order given.
fn lines_of(store: &carbonsync_store::Store, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let mut lines: Vec<i64> = Vec::with_capacity(ids.len());
    for &id in ids {
        let first = store
            .line_entries(id)
            .map_err(|_| no_such_entry(id))?
            .first()
            .copied()
            .unwrap_or(id);
        if !lines.contains(&first) {
            lines.push(first);
        }
    }
    Ok(lines)
}

/// Whether `needle` appears in `haystack` at the start of a word (both lower case).
fn starts_a_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        haystack[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}
