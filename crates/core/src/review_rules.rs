//! People's rules for similar entries ("apply to similar"): previewed with the entries they
//! would change, then saved, ordered, edited and removed. Rules apply to every later sync; a
//! person's decision on an entry outranks them. Every change lands in the audit trail.

use carbonsync_store::{
    LedgerEntry, LedgerRow, Reassess, ReviewAction, ReviewRule, RuleInput, RuleMatch,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{App, AppError};

/// How many changed entries a preview lists (the counts cover them all).
pub const PREVIEW_LISTED: usize = 50;

/// One entry a rule change would change.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PreviewedEntry {
    pub entry: LedgerEntry,
    pub after: LedgerRow,
}

/// What saving a rule (or a change to one) would do, before it is saved.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RulePreview {
    /// Entries whose outcome would change.
    #[ts(type = "number")]
    pub changes: i64,
    /// Of those, the entries whose result would stay as it is (status, category, Scope 3
    /// category, factor, kg CO2e): only who decides them would change, the rule taking them
    /// over from the account mapping or another rule, which takes them out of the review
    /// queue.
    #[ts(type = "number")]
    pub same_result: i64,
    /// kg CO2e of those entries now and after, exactly. Decimal text.
    #[ts(type = "string")]
    pub kg_co2e_now: Decimal,
    #[ts(type = "string")]
    pub kg_co2e_after: Decimal,
    /// The first [`PREVIEW_LISTED`] of them, largest change first.
    pub entries: Vec<PreviewedEntry>,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new("invalid_rule", message)
}

/// Refuses `name` when another rule than `this` has it: the rules list, the entries and the
/// report name a rule by it, and two of one name could not be told apart there.
fn refuse_taken_name(
    store: &carbonsync_store::Store,
    name: &str,
    this: Option<i64>,
) -> Result<(), AppError> {
    let taken = store
        .review_rules()?
        .into_iter()
        .find(|r| Some(r.id) != this && r.name.trim().eq_ignore_ascii_case(name.trim()));
    match taken {
        Some(r) => Err(invalid(format!(
            "Rule {} is already named {:?}; give this one another name.",
            r.id, r.name
        ))),
        None => Ok(()),
    }
}

fn no_such_rule(id: i64) -> AppError {
    AppError::new(
        "no_such_rule",
        format!("There is no rule {id}; `carbonsync rules` lists them."),
    )
}

impl App {
    /// The rules, in the order they are tried, each with how many entries it decides.
    pub fn review_rules(&self) -> Result<Vec<ReviewRule>, AppError> {
        Ok(self.store()?.review_rules()?)
    }

    /// A rule matching entries like `entry_id` (same platform and supplier, or account when it
    /// has no supplier) that does what the person decided for it: the start of "apply to
    /// similar".
    pub fn rule_like(&self, entry_id: i64) -> Result<RuleInput, AppError> {
        let detail = self.entry_detail(entry_id)?;
        let e = &detail.entry;
        let platform = self.connection(e.connection_id)?.provider;
        let Some(decision) = detail.decision.filter(|d| {
            matches!(
                d.classification.action,
                ReviewAction::Reclassify | ReviewAction::Exclude
            )
        }) else {
            return Err(invalid(format!(
                "Entry {entry_id} has no reclassification or exclusion to apply to similar \
                 entries; decide it first."
            )));
        };
        let matches = match &e.contact {
            Some(supplier) => RuleMatch {
                platform: Some(platform),
                supplier: Some(supplier.clone()),
                ..RuleMatch::default()
            },
            None => RuleMatch {
                platform: Some(platform),
                account_code: e.account_code.clone(),
                ..RuleMatch::default()
            },
        };
        let name = match (&e.contact, &decision.classification.category) {
            (Some(s), Some(c)) => format!("{s}: {c}"),
            (Some(s), None) => format!("{s}: excluded"),
            (None, Some(c)) => format!("Account {}: {c}", e.account_code.as_deref().unwrap_or("-")),
            (None, None) => format!(
                "Account {}: excluded",
                e.account_code.as_deref().unwrap_or("-")
            ),
        };
        Ok(RuleInput {
            name,
            matches,
            classification: decision.classification,
        })
    }

    fn checked_rule(&self, rule: &RuleInput) -> Result<RuleInput, AppError> {
        let mut rule = rule.clone();
        rule.name = rule.name.trim().to_owned();
        if rule.name.is_empty() {
            return Err(invalid(
                "Name the rule, so the entries it decides can say which.",
            ));
        }
        let m = &mut rule.matches;
        for field in [
            &mut m.platform,
            &mut m.supplier,
            &mut m.account_code,
            &mut m.description_contains,
        ] {
            *field = field
                .take()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty());
        }
        if m.is_empty() {
            return Err(invalid(
                "Say what the rule matches (a supplier, an account, words of the description, \
                 an amount range or a platform): a rule that matches everything would decide \
                 every entry.",
            ));
        }
        if let Some(p) = &m.platform {
            if carbonsync_providers::Catalogue::builtin().get(p).is_none() {
                return Err(invalid(format!(
                    "There is no platform {p:?}; use a catalogue id such as xero or quickbooks."
                )));
            }
        }
        if let (Some(min), Some(max)) = (m.amount_min, m.amount_max) {
            if min > max {
                return Err(invalid(format!(
                    "The amount range is empty: from {min} to {max}."
                )));
            }
        }
        match rule.classification.action {
            ReviewAction::Accept => {
                return Err(invalid(
                    "A rule reclassifies or excludes; to accept entries as they are, accept them \
                     in the review.",
                ))
            }
            ReviewAction::Activity => {
                return Err(invalid(
                    "A rule reclassifies or excludes; a quantity belongs to one entry, so enter \
                     activity data on each entry in the review.",
                ))
            }
            ReviewAction::Split => {
                return Err(invalid(
                    "A rule reclassifies or excludes; shares belong to one line, so split each \
                     entry in the review.",
                ))
            }
            ReviewAction::Reclassify | ReviewAction::Exclude => {}
        }
        rule.classification = self.checked_classification(&rule.classification)?;
        Ok(rule)
    }

    /// What saving `rule` (as a new rule, or in place of rule `replacing`) would change,
    /// writing nothing.
    pub fn preview_rule(
        &self,
        rule: &RuleInput,
        replacing: Option<i64>,
    ) -> Result<RulePreview, AppError> {
        let rule = self.checked_rule(rule)?;
        let mut rules = self.store()?.review_rules()?;
        let mut touched = vec![rule.matches.clone()];
        let draft = |id: i64, position: i64| ReviewRule {
            id,
            position,
            name: rule.name.clone(),
            matches: rule.matches.clone(),
            classification: rule.classification.clone(),
            entries: 0,
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        match replacing {
            Some(id) => {
                let at = rules
                    .iter()
                    .position(|r| r.id == id)
                    .ok_or_else(|| no_such_rule(id))?;
                touched.push(rules[at].matches.clone());
                rules[at] = draft(id, rules[at].position);
            }
            // Not saved yet: an id no saved rule has.
            None => rules.push(draft(0, i64::MAX)),
        }
        self.preview_rules(rules, &Reassess::RuleChange(touched))
    }

    fn preview_rules(
        &self,
        rules: Vec<ReviewRule>,
        which: &Reassess,
    ) -> Result<RulePreview, AppError> {
        let mut store = self.store()?;
        let mut changes =
            carbonsync_sync::preview_rules(&mut store, self.calculator(), rules, which)?;
        let kg = |r: &LedgerRow| r.kg_co2e.unwrap_or_default();
        let kg_co2e_now = changes
            .iter()
            .map(|c| c.kg_co2e_now.unwrap_or_default())
            .sum();
        let kg_co2e_after = changes.iter().map(|c| kg(&c.after)).sum();
        // What changes a number first, the largest change first; then the entries the rule
        // would only take over.
        changes.sort_by_key(|c| {
            (
                c.same_result,
                std::cmp::Reverse((kg(&c.after) - c.kg_co2e_now.unwrap_or_default()).abs()),
                c.entry_id,
            )
        });
        let same_result = changes.iter().filter(|c| c.same_result).count() as i64;
        let entries = changes
            .iter()
            .take(PREVIEW_LISTED)
            .map(|c| {
                Ok(PreviewedEntry {
                    entry: store.entry(c.entry_id)?,
                    after: c.after.clone(),
                })
            })
            .collect::<Result<_, carbonsync_store::StoreError>>()?;
        Ok(RulePreview {
            changes: changes.len() as i64,
            same_result,
            kg_co2e_now,
            kg_co2e_after,
            entries,
        })
    }

    /// Saves a new rule, tried after the others, and decides again the entries it may change.
    pub fn add_rule(&self, rule: &RuleInput, why: Option<&str>) -> Result<ReviewRule, AppError> {
        self.refuse_if_read_only()?;
        let rule = self.checked_rule(rule)?;
        let mut store = self.store()?;
        refuse_taken_name(&store, &rule.name, None)?;
        // Until the entries are decided: another process that starts meanwhile leaves
        // them to this one.
        let _applying = store.rule_work()?;
        let saved = self.with_actor(|who| store.add_review_rule(&rule, who, why))?;
        crate::connect::crash_point("after_rule_saved");
        carbonsync_sync::reassess_entries(
            &mut store,
            self.calculator(),
            &Reassess::RuleChange(vec![rule.matches.clone()]),
        )?;
        Ok(store.review_rule(saved.id)?)
    }

    /// Replaces what rule `id` matches and does, and decides again the entries either
    /// version may change.
    pub fn edit_rule(
        &self,
        id: i64,
        rule: &RuleInput,
        why: Option<&str>,
    ) -> Result<ReviewRule, AppError> {
        self.refuse_if_read_only()?;
        let rule = self.checked_rule(rule)?;
        let mut store = self.store()?;
        let before = store.review_rule(id).map_err(|_| no_such_rule(id))?;
        refuse_taken_name(&store, &rule.name, Some(id))?;
        if before.name == rule.name
            && before.matches == rule.matches
            && before.classification == rule.classification
        {
            return Err(invalid(format!(
                "Rule {id} already matches and does exactly this: nothing was changed. Give \
                 what should change (a name, what it matches, a factor, category or reason)."
            )));
        }
        let _applying = store.rule_work()?;
        self.with_actor(|who| store.update_review_rule(id, &rule, who, why))?;
        crate::connect::crash_point("after_rule_saved");
        carbonsync_sync::reassess_entries(
            &mut store,
            self.calculator(),
            &Reassess::RuleChange(vec![before.matches, rule.matches.clone()]),
        )?;
        Ok(store.review_rule(id)?)
    }

    /// Moves rule `id` to `position` (from 1) in the order rules are tried.
    pub fn move_rule(
        &self,
        id: i64,
        position: i64,
        why: Option<&str>,
    ) -> Result<Vec<ReviewRule>, AppError> {
        self.refuse_if_read_only()?;
        let mut store = self.store()?;
        store.review_rule(id).map_err(|_| no_such_rule(id))?;
        let count = store.review_rules()?.len() as i64;
        if !(1..=count).contains(&position) {
            return Err(invalid(if count == 1 {
                format!("There is one rule, so its position can only be 1, not {position}.")
            } else {
                format!(
                    "There are {count} rules, so a rule's position is 1 to {count}, not \
                     {position}."
                )
            }));
        }
        let _applying = store.rule_work()?;
        self.with_actor(|who| store.move_review_rule(id, position, who, why))?;
        crate::connect::crash_point("after_rule_saved");
        carbonsync_sync::reassess_entries(
            &mut store,
            self.calculator(),
            &Reassess::RuleChange(vec![]),
        )?;
        Ok(store.review_rules()?)
    }

    /// Removes rule `id`; the entries it decided go back to the other rules and the mapping.
    pub fn remove_rule(&self, id: i64, why: Option<&str>) -> Result<ReviewRule, AppError> {
        self.refuse_if_read_only()?;
        let mut store = self.store()?;
        store.review_rule(id).map_err(|_| no_such_rule(id))?;
        let _applying = store.rule_work()?;
        let removed = self.with_actor(|who| store.remove_review_rule(id, who, why))?;
        crate::connect::crash_point("after_rule_saved");
        carbonsync_sync::reassess_entries(
            &mut store,
            self.calculator(),
            &Reassess::RuleChange(vec![]),
        )?;
        Ok(removed)
    }
}
