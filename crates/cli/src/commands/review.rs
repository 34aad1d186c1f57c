//! `carbonsync review`, `carbonsync rules` and `carbonsync factors`: the review queue,
//! decisions on entries, rules for similar entries, and the factors to choose from.

use carbonsync_core::{
    App, AppError, Classification, LedgerEntry, LedgerFilter, QueueReason, ReviewAction,
    ReviewQueue, ReviewRule, RuleInput, RuleMatch, RulePreview,
};
use rust_decimal::Decimal;

use crate::output::{fixed, kg, print_json, truncate};
use crate::{QueueArgs, ReviewCmd, RuleCmd, RuleFields};

/// The `--from`/`--to` of a `--period` (`2024`, `2024-03`, `2024-Q2`, `FY2024` as the
/// calendar year), or the days given.
pub fn period_days(
    period: Option<&str>,
    from: Option<String>,
    to: Option<String>,
) -> Result<(Option<String>, Option<String>), AppError> {
    let Some(p) = period else {
        return Ok((from, to));
    };
    if from.is_some() || to.is_some() {
        return Err(AppError::new(
            "usage",
            "--period sets both ends; give it or --from/--to, not both",
        ));
    }
    let p = carbonsync_core::Period::parse(p, 1)?;
    Ok((Some(p.from), Some(p.to)))
}

/// A part of a split as typed: `SHARE:FACTOR[:SCOPE3_CATEGORY[:NAME]]` (a `%` after the share
/// is allowed; the name may hold colons). Errors: `usage`, with the shape expected.
fn split_part(typed: &str) -> Result<carbonsync_core::SplitPart, carbonsync_core::AppError> {
    let bad = || {
        carbonsync_core::AppError::new(
            "usage",
            format!(
                "{typed:?} is not a part: give it as SHARE:FACTOR[:SCOPE3_CATEGORY[:NAME]], e.g. \
                 60:481111 or 40:721110:6:Hotels"
            ),
        )
    };
    let mut fields = typed.splitn(4, ':').map(str::trim);
    let share = fields
        .next()
        .map(|s| s.trim_end_matches('%').trim())
        .and_then(|s| s.parse::<Decimal>().ok())
        .ok_or_else(bad)?;
    let factor_code = fields
        .next()
        .filter(|f| !f.is_empty())
        .ok_or_else(bad)?
        .to_owned();
    let scope3_category = match fields.next() {
        Some("") | None => None,
        Some(c) => Some(c.parse::<u8>().map_err(|_| bad())?),
    };
    let category = fields.next().filter(|n| !n.is_empty()).map(str::to_owned);
    Ok(carbonsync_core::SplitPart {
        share_percent: share,
        category,
        factor_code,
        scope3_category,
    })
}

fn why_words(why: QueueReason) -> &'static str {
    match why {
        QueueReason::ChangedSinceReview => "changed",
        QueueReason::Estimated => "estimate",
        QueueReason::Unmapped => "unmapped",
        QueueReason::NewSupplier => "new supplier",
        QueueReason::NotReviewed => "to review",
    }
}

fn share(part: Decimal, whole: Decimal) -> String {
    if whole.is_zero() {
        "-".into()
    } else {
        format!("{}%", fixed(part / whole * Decimal::ONE_HUNDRED, 1))
    }
}

fn queue(q: &ReviewQueue) {
    let p = &q.progress;
    say!(
        "Reviewed {} of {} entries; {} of {} CO2e ({}).",
        p.reviewed,
        p.entries,
        kg(p.kg_co2e_reviewed),
        kg(p.kg_co2e),
        share(p.kg_co2e_reviewed, p.kg_co2e)
    );
    for s in &p.spend {
        say!(
            "  Spend in {}: {} of {} reviewed ({}).",
            s.currency,
            fixed(s.reviewed, 2),
            fixed(s.total, 2),
            share(s.reviewed, s.total)
        );
    }
    if q.items.is_empty() {
        say!("Nothing left to review here.");
        return;
    }
    say!();
    say!(
        "{:>7} {:<12} {:<10} {:<24} {:<14} {:>12} {:<4} {:<26} {:>10}",
        "ENTRY",
        "WHY",
        "DATE",
        "SUPPLIER",
        "ACCOUNT",
        "AMOUNT",
        "CCY",
        "NOW",
        "KG CO2E"
    );
    for item in &q.items {
        let e = &item.entry;
        say!(
            "{:>7} {:<12} {:<10} {:<24} {:<14} {:>12} {:<4} {:<26} {:>10}",
            e.id,
            why_words(item.why),
            e.date,
            truncate(e.contact.as_deref().unwrap_or(""), 24),
            truncate(
                e.account_code
                    .as_deref()
                    .or(e.account_name.as_deref())
                    .unwrap_or("-"),
                14
            ),
            fixed(e.net_amount, 2),
            e.currency,
            truncate(&outcome(e), 26),
            e.assessment
                .kg_co2e
                .map(|k| fixed(k, 2))
                .unwrap_or_else(|| "-".into())
        );
        if let Some(seen) = &item.seen {
            let mut diffs = Vec::new();
            // A decision saw the whole line: a split line's part compares the line's amount.
            let now = e.line_net_amount.unwrap_or(e.net_amount);
            if seen.net_amount != now {
                diffs.push(format!(
                    "amount {} → {}",
                    fixed(seen.net_amount, 2),
                    fixed(now, 2)
                ));
            }
            if seen.date != e.date {
                diffs.push(format!("date {} → {}", seen.date, e.date));
            }
            if seen.account_code != e.account_code {
                diffs.push(format!(
                    "account {} → {}",
                    seen.account_code.as_deref().unwrap_or("-"),
                    e.account_code.as_deref().unwrap_or("-")
                ));
            }
            if seen.deleted != is_deleted(e) {
                diffs.push("deleted at the platform".into());
            }
            say!("          ↳ since review: {}", diffs.join("; "));
        } else if item.why == QueueReason::Unmapped {
            if let Some(r) = &e.assessment.reason {
                say!("          ↳ {r}");
            }
        }
    }
}

fn is_deleted(e: &LedgerEntry) -> bool {
    e.assessment.reason.as_deref() == Some(carbonsync_core::DELETED_REASON)
}

/// What an entry is now, in a few words: its category, or why it counts nothing.
fn outcome(e: &LedgerEntry) -> String {
    let a = &e.assessment;
    match a.status {
        carbonsync_core::LedgerStatus::Counted => a.category.clone().unwrap_or_default(),
        carbonsync_core::LedgerStatus::Excluded => format!(
            "excluded: {}",
            a.reason.as_deref().unwrap_or("no reason given")
        ),
        carbonsync_core::LedgerStatus::Unmapped => "unmapped".into(),
    }
}

/// An outcome in a rule's preview: a counted entry with its factor and kg CO2e, so that a
/// rule that changes only the factor shows what it changes.
fn previewed(e: &LedgerEntry) -> String {
    let a = &e.assessment;
    match (a.status, &a.factor_code, a.kg_co2e) {
        (carbonsync_core::LedgerStatus::Counted, Some(code), Some(k)) => {
            format!("{} ({code}, {} CO2e)", outcome(e), kg(k))
        }
        _ => outcome(e),
    }
}

fn decided_by(e: &LedgerEntry) -> String {
    let a = &e.assessment;
    match (a.decision_id, a.review_rule_id, &a.rule_id) {
        (Some(_), _, _) => "a person's decision".into(),
        (None, Some(r), _) => format!("rule {r}"),
        (None, None, Some(m)) => format!("the account mapping ({m})"),
        (None, None, None) => "the record itself".into(),
    }
}

fn entry_line(e: &LedgerEntry) {
    say!(
        "Entry {}: {} {} {} from {}, {} — {} (decided by {}){}",
        e.id,
        e.date,
        fixed(e.net_amount, 2),
        e.currency,
        e.contact.as_deref().unwrap_or("no supplier"),
        e.account_code
            .as_deref()
            .or(e.account_name.as_deref())
            .unwrap_or("no account"),
        outcome(e),
        decided_by(e),
        e.assessment
            .kg_co2e
            .map(|k| format!(": {} kg CO2e", fixed(k, 6)))
            .unwrap_or_default()
    );
}

/// `carbonsync review …`.
/// The selection, offset and page size of `QueueArgs`.
fn queue_filter(args: QueueArgs) -> Result<(LedgerFilter, i64, i64), AppError> {
    let QueueArgs {
        period,
        from,
        to,
        connection,
        limit,
        offset,
    } = args;
    let (from, to) = period_days(period.as_deref(), from, to)?;
    Ok((
        LedgerFilter {
            connection_id: connection,
            from,
            to,
            ..Default::default()
        },
        offset,
        limit,
    ))
}

fn suppliers(page: &carbonsync_core::SupplierPage) {
    if page.items.is_empty() {
        say!("No supplier in this selection.");
        return;
    }
    say!(
        "{:<30} {:>5} {:>7} {:>8} {:>12} {:<30} {:<24} RULE",
        "SUPPLIER",
        "CONN",
        "ENTRIES",
        "UNMAPPED",
        "KG CO2E",
        "SPEND",
        "CATEGORIES"
    );
    for s in &page.items {
        let spend: Vec<String> = s
            .spend
            .iter()
            .map(|(c, a)| format!("{} {c}", fixed(*a, 2)))
            .collect();
        say!(
            "{:<30} {:>5} {:>7} {:>8} {:>12} {:<30} {:<24} {}",
            truncate(&s.name, 30),
            s.connection_ids.len(),
            s.entries,
            s.unmapped,
            fixed(s.kg_co2e, 2),
            truncate(&spend.join(", "), 30),
            truncate(&s.categories.join(", "), 24),
            s.rule_id
                .map(|id| format!("#{id}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    say!();
    say!(
        "{} of {} suppliers (from {}). Map every entry of a supplier at once: `carbonsync rules add --supplier \"NAME\" --factor CODE --category NAME --preview`.",
        page.items.len(),
        page.total,
        page.offset + 1
    );
}

pub async fn review(
    app: &App,
    cmd: Option<ReviewCmd>,
    queue_args: QueueArgs,
    json: bool,
) -> Result<(), AppError> {
    let Some(cmd) = cmd else {
        let (filter, offset, limit) = queue_filter(queue_args)?;
        let q = app.review_queue(&filter, offset, limit)?;
        if json {
            print_json(&q);
        } else {
            queue(&q);
        }
        return Ok(());
    };
    match cmd {
        ReviewCmd::Suppliers { queue } => {
            let (filter, offset, limit) = queue_filter(queue)?;
            let page = app.suppliers(&filter, offset, limit)?;
            if json {
                print_json(&page);
            } else {
                suppliers(&page);
            }
        }
        ReviewCmd::Show { entry } => {
            let d = app.entry_detail(entry)?;
            if json {
                print_json(&d);
                return Ok(());
            }
            let e = &d.entry;
            entry_line(e);
            say!(
                "  Record {} ({}), line {}, from {}{}",
                e.record_id,
                e.stream,
                e.line_no + 1,
                e.source,
                e.description
                    .as_deref()
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default()
            );
            let a = &e.assessment;
            if let (Some(code), Some(value)) = (&a.factor_code, a.factor_value) {
                say!(
                    "  Factor {} {} {}: {} {} ({})",
                    a.factor_set.as_deref().unwrap_or(""),
                    a.factor_version.as_deref().unwrap_or(""),
                    code,
                    value,
                    a.factor_unit.as_deref().unwrap_or(""),
                    a.factor_title.as_deref().unwrap_or("")
                );
            }
            if let (Some(fx), Some(defl), Some(usd)) = (a.fx_rate, a.deflator, a.amount_usd_2022) {
                say!(
                    "  Conversions: × {fx} USD/{} ({}), × {defl} to 2022 dollars ({}) = {} USD 2022",
                    e.currency,
                    a.fx_source.as_deref().unwrap_or(""),
                    a.deflator_source.as_deref().unwrap_or(""),
                    fixed(usd, 2)
                );
            }
            if let Some(dec) = &d.decision {
                say!(
                    "  Decision: {} by {}{}{}{}",
                    dec.classification.action.as_str(),
                    dec.decided_by,
                    dec.classification
                        .reason
                        .as_deref()
                        .map(|r| format!(", because {r}"))
                        .unwrap_or_default(),
                    dec.note
                        .as_deref()
                        .map(|n| format!("; note: {n}"))
                        .unwrap_or_default(),
                    if d.changed_since_review {
                        "; the line has changed since"
                    } else {
                        ""
                    }
                );
            }
            if let Some(dec) = d
                .decision
                .as_ref()
                .filter(|dec| dec.classification.action == ReviewAction::Activity)
            {
                let c = &dec.classification;
                let unit = c.quantity_unit.as_deref().unwrap_or("");
                match (c.quantity, c.unit_price) {
                    (_, Some(price)) => say!(
                        "  Activity data: {} estimated from the amount at {} {} per {unit} ({})",
                        c.activity.as_deref().unwrap_or(""),
                        price,
                        c.unit_price_currency.as_deref().unwrap_or(""),
                        c.unit_price_source.as_deref().unwrap_or("")
                    ),
                    (q, None) => say!(
                        "  Activity data: {} {unit} of {}",
                        q.map(|q| q.to_string()).unwrap_or_default(),
                        c.activity.as_deref().unwrap_or("")
                    ),
                }
                if let Some(f) = c.market_factor {
                    say!(
                        "  Market-based factor: {f} kg CO2e per {unit} ({})",
                        c.market_factor_source.as_deref().unwrap_or("")
                    );
                }
                if let Some(how) = &d.entry.assessment.reason {
                    say!("  Computed: {how}");
                }
                if let Some(kg) = d.entry.assessment.market_kg_co2e {
                    say!("  Market-based: {kg} kg CO2e");
                }
            }
            if let Some(dec) = d
                .decision
                .as_ref()
                .filter(|dec| dec.classification.action == ReviewAction::Split)
            {
                say!("  Split:");
                for p in &dec.classification.parts {
                    say!(
                        "    {:>6} %  {}  {}",
                        p.share_percent,
                        p.factor_code,
                        p.category.as_deref().unwrap_or("")
                    );
                }
            }
            if let Some(rule) = &d.rule {
                say!("  Rule {}: {}", rule.id, rule.name);
            }
            for h in &d.history {
                say!(
                    "  {}  {}@{}  {}{}",
                    crate::output::local_time(h.at_ms),
                    h.os_user,
                    h.machine,
                    h.action,
                    h.reason
                        .as_deref()
                        .map(|w| format!("  ({w})"))
                        .unwrap_or_default()
                );
            }
        }
        ReviewCmd::Accept { entries, note, why } => {
            let c = Classification {
                action: ReviewAction::Accept,
                category: None,
                factor_code: None,
                scope3_category: None,
                reason: None,
                activity: None,
                quantity: None,
                quantity_unit: None,
                ..Default::default()
            };
            decided(
                app,
                app.decide_entries(&entries, &c, note.as_deref(), why.as_deref())?,
                json,
            )?;
        }
        ReviewCmd::Split {
            entries,
            parts,
            note,
            why,
        } => {
            let c = Classification {
                action: ReviewAction::Split,
                parts: parts
                    .iter()
                    .map(|p| split_part(p))
                    .collect::<Result<_, _>>()?,
                ..Default::default()
            };
            decided(
                app,
                app.decide_entries(&entries, &c, note.as_deref(), why.as_deref())?,
                json,
            )?;
        }
        ReviewCmd::Reclassify {
            entries,
            factor,
            category,
            scope3_category,
            note,
            why,
        } => {
            let c = Classification {
                action: ReviewAction::Reclassify,
                category,
                factor_code: Some(factor),
                scope3_category,
                reason: None,
                activity: None,
                quantity: None,
                quantity_unit: None,
                ..Default::default()
            };
            decided(
                app,
                app.decide_entries(&entries, &c, note.as_deref(), why.as_deref())?,
                json,
            )?;
        }
        ReviewCmd::Exclude {
            entries,
            reason,
            note,
        } => {
            let c = Classification {
                action: ReviewAction::Exclude,
                category: None,
                factor_code: None,
                scope3_category: None,
                reason: Some(reason.clone()),
                activity: None,
                quantity: None,
                quantity_unit: None,
                ..Default::default()
            };
            decided(
                app,
                app.decide_entries(&entries, &c, note.as_deref(), Some(&reason))?,
                json,
            )?;
        }
        ReviewCmd::Activity {
            entries,
            activity,
            quantity,
            unit,
            price,
            currency,
            price_source,
            market_factor,
            market_factor_source,
            category,
            note,
            why,
        } => {
            let c = Classification {
                action: ReviewAction::Activity,
                category,
                factor_code: None,
                scope3_category: None,
                reason: None,
                activity: Some(activity),
                quantity,
                quantity_unit: unit,
                market_factor,
                market_factor_source,
                unit_price: price,
                unit_price_currency: currency,
                unit_price_source: price_source,
                ..Default::default()
            };
            decided(
                app,
                app.decide_entries(&entries, &c, note.as_deref(), why.as_deref())?,
                json,
            )?;
        }
        ReviewCmd::Include { entries, why } => {
            decided(app, app.undo_decisions(&entries, why.as_deref())?, json)?;
        }
    }
    Ok(())
}

fn decided(app: &App, entries: Vec<LedgerEntry>, json: bool) -> Result<(), AppError> {
    if json {
        print_json(&entries);
        return Ok(());
    }
    for e in &entries {
        entry_line(e);
    }
    // A decision on an entry of a closed period changes the live ledger only: say where the
    // change waits, so that nobody looks for it in the period's totals.
    let first = entries.iter().map(|e| e.date.as_str()).min();
    let last = entries.iter().map(|e| e.date.as_str()).max();
    if let (Some(first), Some(last)) = (first, last) {
        for (label, from, to) in app.close_days_within(Some(first), Some(last))? {
            let n = entries
                .iter()
                .filter(|e| (from.as_str()..=to.as_str()).contains(&e.date.as_str()))
                .count();
            if n > 0 {
                say!(
                    "{label} is closed: its numbers stay as reported, and {} waits as a change \
                     after close (`carbonsync period changes {label}`) to restate or leave.",
                    if n == 1 {
                        "this decision"
                    } else {
                        "these decisions"
                    },
                );
            }
        }
    }
    Ok(())
}

fn rule_input(app: &App, f: RuleFields) -> Result<RuleInput, AppError> {
    let mut rule = match f.like {
        Some(entry) => app.rule_like(entry)?,
        None => RuleInput {
            name: String::new(),
            matches: RuleMatch::default(),
            classification: Classification {
                action: ReviewAction::Reclassify,
                category: None,
                factor_code: None,
                scope3_category: None,
                reason: None,
                activity: None,
                quantity: None,
                quantity_unit: None,
                ..Default::default()
            },
        },
    };
    if let Some(name) = f.name {
        rule.name = name;
    }
    let m = &mut rule.matches;
    // What is given replaces what `--like` suggested, field by field.
    m.supplier = f.supplier.or(m.supplier.take());
    m.account_code = f.account.or(m.account_code.take());
    m.description_contains = f.description.or(m.description_contains.take());
    m.amount_min = f.min.or(m.amount_min);
    m.amount_max = f.max.or(m.amount_max);
    m.platform = f.platform.or(m.platform.take());
    match (f.factor, f.exclude) {
        (Some(_), Some(_)) => {
            return Err(AppError::new(
                "usage",
                "A rule either counts with a factor (--factor) or excludes (--exclude REASON), not both",
            ))
        }
        (Some(code), None) => {
            rule.classification = Classification {
                action: ReviewAction::Reclassify,
                category: f.category,
                factor_code: Some(code),
                scope3_category: f.scope3_category,
                reason: None,
                activity: None,
                quantity: None,
                quantity_unit: None,
                ..Default::default()
            }
        }
        (None, Some(reason)) => {
            rule.classification = Classification {
                action: ReviewAction::Exclude,
                category: None,
                factor_code: None,
                scope3_category: None,
                reason: Some(reason),
                activity: None,
                quantity: None,
                quantity_unit: None,
                ..Default::default()
            }
        }
        (None, None) => {
            if f.category.is_some() {
                rule.classification.category = f.category;
            }
            if f.scope3_category.is_some() {
                rule.classification.scope3_category = f.scope3_category;
            }
        }
    }
    Ok(rule)
}

fn rules_table(rules: &[ReviewRule]) {
    if rules.is_empty() {
        say!("No rules yet: `carbonsync rules add --like ENTRY` makes one from a decision.");
        return;
    }
    say!(
        "{:>3} {:>4} {:<30} {:<44} {:<34} {:>8}",
        "#",
        "ID",
        "NAME",
        "MATCHES",
        "DOES",
        "ENTRIES"
    );
    for r in rules {
        say!(
            "{:>3} {:>4} {:<30} {:<44} {:<34} {:>8}",
            r.position,
            r.id,
            truncate(&r.name, 30),
            truncate(&match_words(&r.matches), 44),
            truncate(&does_words(&r.classification), 34),
            r.entries
        );
    }
}

fn match_words(m: &RuleMatch) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &m.platform {
        parts.push(format!("platform {p}"));
    }
    if let Some(s) = &m.supplier {
        parts.push(format!("supplier {s:?}"));
    }
    if let Some(a) = &m.account_code {
        parts.push(format!("account {a}"));
    }
    if let Some(d) = &m.description_contains {
        parts.push(format!("description has {d:?}"));
    }
    match (m.amount_min, m.amount_max) {
        (Some(a), Some(b)) => parts.push(format!("amount {a} to {b}")),
        (Some(a), None) => parts.push(format!("amount ≥ {a}")),
        (None, Some(b)) => parts.push(format!("amount ≤ {b}")),
        (None, None) => {}
    }
    parts.join(", ")
}

fn does_words(c: &Classification) -> String {
    match c.action {
        ReviewAction::Exclude => format!("exclude: {}", c.reason.as_deref().unwrap_or("")),
        _ => format!(
            "{} ({})",
            c.category.as_deref().unwrap_or(""),
            c.factor_code.as_deref().unwrap_or("")
        ),
    }
}

fn preview(p: &RulePreview) {
    say!(
        "Would change {} entries: {} CO2e now, {} after.",
        p.changes,
        kg(p.kg_co2e_now),
        kg(p.kg_co2e_after)
    );
    match p.same_result {
        0 => {}
        1 => say!("  Of them, 1 keeps the result it has and only becomes decided by this rule."),
        n => {
            say!("  Of them, {n} keep the results they have and only become decided by this rule.")
        }
    }
    for c in &p.entries {
        let e = &c.entry;
        let after = LedgerEntry {
            assessment: c.after.clone(),
            ..e.clone()
        };
        say!(
            "  {:>7} {} {:>12} {} {:<24} {} → {}",
            e.id,
            e.date,
            fixed(e.net_amount, 2),
            e.currency,
            truncate(e.contact.as_deref().unwrap_or(""), 24),
            previewed(e),
            previewed(&after)
        );
    }
    if p.changes as usize > p.entries.len() {
        say!("  … and {} more.", p.changes as usize - p.entries.len());
    }
}

/// `carbonsync rules …`.
pub async fn rules(app: &App, cmd: Option<RuleCmd>, json: bool) -> Result<(), AppError> {
    match cmd {
        None => {
            let rules = app.review_rules()?;
            if json {
                print_json(&rules);
            } else {
                rules_table(&rules);
            }
        }
        Some(RuleCmd::Add {
            fields,
            preview: only_preview,
            why,
        }) => {
            let rule = rule_input(app, fields)?;
            if only_preview {
                let p = app.preview_rule(&rule, None)?;
                if json {
                    print_json(&p);
                } else {
                    preview(&p);
                    say!("Nothing was saved: run it again without --preview to save the rule.");
                }
            } else {
                let saved = app.add_rule(&rule, why.as_deref())?;
                if json {
                    print_json(&saved);
                } else {
                    say!(
                        "Rule {} saved, tried after the others; it decides {} entries now and every matching entry of later syncs.",
                        saved.id,
                        saved.entries
                    );
                }
            }
        }
        Some(RuleCmd::Edit {
            id,
            fields,
            preview: only_preview,
            why,
        }) => {
            let current = app
                .review_rules()?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| {
                    AppError::new(
                        "no_such_rule",
                        format!("There is no rule {id}; `carbonsync rules` lists them."),
                    )
                })?;
            let mut base = RuleInput {
                name: current.name,
                matches: current.matches,
                classification: current.classification,
            };
            let given = rule_input(app, fields)?;
            merge(&mut base, given);
            if only_preview {
                let p = app.preview_rule(&base, Some(id))?;
                if json {
                    print_json(&p);
                } else {
                    preview(&p);
                    say!("Nothing was saved: run it again without --preview to save the change.");
                }
            } else {
                let saved = app.edit_rule(id, &base, why.as_deref())?;
                if json {
                    print_json(&saved);
                } else {
                    say!(
                        "Rule {} changed; it decides {} entries now.",
                        saved.id,
                        saved.entries
                    );
                }
            }
        }
        Some(RuleCmd::Move { id, position, why }) => {
            let rules = app.move_rule(id, position, why.as_deref())?;
            if json {
                print_json(&rules);
            } else {
                if let Some(r) = rules.iter().find(|r| r.id == id) {
                    say!(
                        "Rule {} ({}) is now #{}; the entries the rules decide were decided \
                         again in the new order:",
                        r.id,
                        r.name,
                        r.position
                    );
                }
                rules_table(&rules);
            }
        }
        Some(RuleCmd::Remove { id, why }) => {
            let removed = app.remove_rule(id, why.as_deref())?;
            if json {
                print_json(&removed);
            } else {
                say!(
                    "Rule {} ({}) removed; the entries it decided are decided by the other rules and the mapping again.",
                    removed.id,
                    removed.name
                );
            }
        }
    }
    Ok(())
}

/// What an edit gives replaces the rule's own, field by field.
fn merge(base: &mut RuleInput, given: RuleInput) {
    if !given.name.is_empty() {
        base.name = given.name;
    }
    let (b, g) = (&mut base.matches, given.matches);
    b.platform = g.platform.or(b.platform.take());
    b.supplier = g.supplier.or(b.supplier.take());
    b.account_code = g.account_code.or(b.account_code.take());
    b.description_contains = g.description_contains.or(b.description_contains.take());
    b.amount_min = g.amount_min.or(b.amount_min);
    b.amount_max = g.amount_max.or(b.amount_max);
    let c = given.classification;
    if c.action == ReviewAction::Exclude {
        base.classification = c;
    } else if c.factor_code.is_some() {
        // Another factor for the same spend: the rule's category is the person's word for
        // that spend and stays unless a new one is given (the factor's title otherwise).
        let kept = if base.classification.action == ReviewAction::Reclassify {
            base.classification.category.take()
        } else {
            None
        };
        base.classification = Classification {
            category: c.category.or(kept),
            ..c
        };
    } else {
        if c.category.is_some() {
            base.classification.category = c.category;
        }
        if c.scope3_category.is_some() {
            base.classification.scope3_category = c.scope3_category;
        }
    }
}

/// `carbonsync factors [TEXT]`.
pub fn factors(app: &App, query: &str, limit: usize, json: bool) {
    // One more than asked: to say when there are more.
    let mut found = app.find_factors(query, limit.saturating_add(1));
    let more = found.len() > limit;
    found.truncate(limit);
    if json {
        print_json(&found);
        return;
    }
    if found.is_empty() {
        say!("No factor's code or title matches {query:?}.");
        return;
    }
    say!(
        "{} {} — {} per {}",
        found[0].set,
        found[0].version,
        "kg CO2e",
        "2022 USD (purchaser price)"
    );
    for f in &found {
        // Category 1 is what spend-based purchases go under; another is worth saying.
        let scope3 = match f.scope3_category {
            1 => String::new(),
            n => format!(" (Scope 3 category {n})"),
        };
        say!("  {:<7} {:>7}  {}{scope3}", f.code, f.value, f.title);
    }
    if more {
        say!(
            "More match: narrow the words, or show more with --limit {}.",
            limit * 4
        );
    }
}

/// `carbonsync factors --activities`.
pub fn activities(json: bool) {
    let list = carbonsync_core::activities();
    if json {
        print_json(list);
        return;
    }
    say!(
        "{} {} — the quantity's unit, then the factor in kg CO2e per the factor's unit",
        carbonsync_core::ACTIVITY_SET,
        carbonsync_core::ACTIVITY_SET_VERSION
    );
    for a in list {
        say!(
            "  {:<18} {:<12} {:>10} per {:<8}  scope {}{}  {}",
            a.key,
            a.quantity_unit,
            a.value,
            a.factor_unit,
            a.scope,
            a.scope3_category
                .map(|c| format!(" cat {c}"))
                .unwrap_or_default(),
            a.label
        );
    }
}
