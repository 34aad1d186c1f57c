//! Period close through `carbonsync period`, against the Xero sandbox: a closed month's totals
//! stay as reported when the platform amends one of its records and a full re-sync brings the
//! change in; the change is listed after close with its difference, left (and listed again
//! when the record changes once more) or restated into the month's numbers; reopening needs a
//! reason; every step is in the audit trail, which verifies.

use crate::support::*;
use carbonsync_core::Period;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: std::process::Output) -> String {
    assert!(!out.status.success(), "expected a refusal");
    stderr(&out)
}

fn month_kg(env: &Env, month: &str, last_day: &str) -> Decimal {
    let from = format!("{month}-01");
    decimal(
        &env.json(&["emissions", "--from", &from, "--to", last_day, "--json"])["totals"]["kg_co2e"],
    )
}

/// Every counted kg CO2e of the live ledger between the two days, summed by hand from the
/// entries (not through the totals query the close changes).
fn ledger_sum(env: &Env, from: &str, to: &str) -> Decimal {
    counted_kg(&ledger_between(env, from, to))
}

fn amend(env: &Env, record_id: &Value) {
    let tenant = env.sandbox.tenant_id(UK);
    env.sandbox.post(
        "/_control/records/change",
        json!({"tenantId": tenant, "stream": "invoices", "ids": [record_id]}),
    );
}

/// The audit rows about a period, newest first, and their actions.
fn trail_of(env: &Env, period: &str) -> (Value, Vec<String>) {
    let trail = env.json(&["audit", "--subject", &format!("period:{period}"), "--json"]);
    let actions = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect();
    (trail, actions)
}

/// The ledger's counted bills of 2024, by their first line: the line the sandbox amends.
fn counted_bills_of_2024(env: &Env) -> Vec<Value> {
    let ledger = env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]);
    ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["stream"] == "bills"
                && e["line_no"] == 0
                && e["status"] == "counted"
                && e["date"].as_str().unwrap().starts_with("2024-")
        })
        .cloned()
        .collect()
}

#[test]
fn a_closed_month_keeps_its_numbers_through_a_full_resync_and_its_changes_are_restated_or_left() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);

    // A counted bill of 2024 whose first line the sandbox can amend, and its month.
    let bill = counted_bills_of_2024(&env)
        .into_iter()
        .next()
        .expect("the sandbox has counted bills in 2024");
    let date = bill["date"].as_str().unwrap();
    let month = &date[..7];
    let period = Period::parse(month, 1).unwrap();
    let (from, to) = (period.from.as_str(), period.to.as_str());
    let entry = bill["id"].as_i64().unwrap();
    let live_before = ledger_sum(&env, from, to);
    assert_eq!(
        month_kg(&env, month, to),
        live_before,
        "totals are the ledger's sum"
    );

    // Closing it reports what the ledger holds now.
    let closed = env.json(&[
        "period",
        "close",
        month,
        "--note",
        "month-end close",
        "--json",
    ]);
    assert_eq!(closed["label"], month);
    assert_eq!(closed["from"], from);
    assert_eq!(closed["to"], to);
    assert_eq!(decimal(&closed["reported"]["kg_co2e"]), live_before);
    assert_eq!(closed["changes_after_close"], 0);

    // The same days closed again, or a period not over yet, cannot be closed.
    let e = refused(env.run(&["period", "close", month]));
    assert!(e.contains(&format!("{month} is already closed")), "{e}");
    // However the month is written (2024-3 for 2024-03).
    let written = format!("{}-{}", &month[..4], month[5..].parse::<u32>().unwrap());
    let e = refused(env.run(&["period", "close", &written]));
    assert!(e.contains(&format!("{month} is already closed")), "{e}");
    assert_eq!(
        env.json(&["period", "changes", &written, "--json"]),
        json!([])
    );
    let e = refused(env.run(&["period", "close", "2999-01"]));
    assert!(e.contains("once its last day has passed"), "{e}");

    // The platform amends the bill; a full re-sync brings the change into the live ledger,
    // and the month's totals stay as reported.
    amend(&env, &bill["record_id"]);
    ok(env.run(&["sync", &uk.to_string(), "--full", "--json"]));
    let live_after = ledger_sum(&env, from, to);
    assert_ne!(
        live_after, live_before,
        "the amendment changes the live ledger"
    );
    assert_eq!(
        month_kg(&env, month, to),
        live_before,
        "the closed month does not move"
    );
    let text = ok(env.run(&["emissions", "--from", from, "--to", to]));
    assert!(text.contains(&format!("Closed: {month}")), "{text}");
    assert!(text.contains("1 change after close waits"), "{text}");

    // The change after close: that entry, with the difference.
    let changes = env.json(&["period", "changes", month, "--json"]);
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let c = &changes[0];
    assert_eq!(c["entry_id"], entry);
    assert_eq!(c["kind"], "changed");
    assert_eq!(
        decimal(&c["reported"]["kg_co2e"]),
        decimal(&bill["kg_co2e"])
    );
    let now = env.json(&["review", "show", &entry.to_string(), "--json"]);
    assert_eq!(
        decimal(&c["now"]["kg_co2e"]),
        decimal(&now["entry"]["kg_co2e"])
    );
    assert_eq!(
        decimal(&c["kg_co2e_difference"]),
        live_after - live_before,
        "the difference is exactly what restating would add"
    );

    // The inventory report of the month says the same: as reported, the change listed.
    let report = env.json(&["report", "--period", month, "--json"]);
    assert_eq!(decimal(&report["totals"]["kg_co2e"]), live_before);
    assert_eq!(report["closes"][0]["label"], month);
    assert_eq!(report["closes"][0]["changes_after_close"], 1);
    assert_eq!(report["changes_after_close"][0]["entry_id"], entry);

    // Left: no longer listed, the month still as reported...
    ok(env.run(&[
        "period",
        "leave",
        month,
        "--entry",
        &entry.to_string(),
        "--why",
        "immaterial",
    ]));
    assert_eq!(env.json(&["period", "changes", month, "--json"]), json!([]));
    assert_eq!(month_kg(&env, month, to), live_before);
    // ...until the record changes once more.
    amend(&env, &bill["record_id"]);
    env.sync(uk);
    let changes = env.json(&["period", "changes", "--json"]);
    assert_eq!(changes.as_array().unwrap().len(), 1, "{changes}");
    let live_now = ledger_sum(&env, from, to);

    // Restated: the month's numbers become the ledger's, exactly.
    let r = env.json(&[
        "period",
        "restate",
        month,
        "--why",
        "supplier corrected the bill",
        "--json",
    ]);
    assert_eq!(r["entries"], 1);
    assert_eq!(decimal(&r["before"]["kg_co2e"]), live_before);
    assert_eq!(decimal(&r["after"]["kg_co2e"]), live_now);
    assert_eq!(month_kg(&env, month, to), live_now);
    assert_month_totals_agree(&env);
    assert_eq!(env.json(&["period", "changes", "--json"]), json!([]));
    let e = refused(env.run(&["period", "restate", month]));
    assert!(e.contains("no change after close to restate"), "{e}");

    // Reopening asks for a reason; with one, the month reads the live ledger again.
    let e = refused(env.run(&["period", "reopen", month]));
    assert!(e.contains("--reason"), "{e}");
    ok(env.run(&[
        "period",
        "reopen",
        month,
        "--reason",
        "auditor asked for a re-run",
    ]));
    let list = env.json(&["period", "--json"]);
    assert_eq!(list[0]["reopen_reason"], "auditor asked for a re-run");
    assert!(list[0]["reopened_at_ms"].is_i64());
    let e = refused(env.run(&["period", "changes", month]));
    assert!(e.contains(&format!("{month} is not closed")), "{e}");

    // Each step is in the trail, and the chain holds.
    let (_, actions) = trail_of(&env, month);
    assert_eq!(
        actions,
        [
            "period_reopened",
            "period_restated",
            "period_changes_left",
            "period_closed"
        ]
    );
    ok(env.run(&["audit", "verify"]));
}

/// The quarter of a `YYYY-MM` month, as `carbonsync period` names it.
fn quarter_of(month: &str) -> String {
    format!(
        "{}-Q{}",
        &month[..4],
        (month[5..].parse::<u32>().unwrap() - 1) / 3 + 1
    )
}

#[test]
fn a_quarter_closed_over_its_closed_months_takes_them_in_as_they_reported() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);

    // Two counted bills of 2024 in different months of one quarter.
    let bills = counted_bills_of_2024(&env);
    let month = |e: &Value| e["date"].as_str().unwrap()[..7].to_owned();
    let (b1, b2) = bills
        .iter()
        .flat_map(|a| bills.iter().map(move |b| (a, b)))
        .find(|(a, b)| month(a) < month(b) && quarter_of(&month(a)) == quarter_of(&month(b)))
        .expect("the sandbox has counted bills in two months of one quarter of 2024");
    let (m1, m2) = (month(b1), month(b2));
    let quarter = Period::parse(&quarter_of(&m1), 1).unwrap();
    let m1_reported =
        decimal(&env.json(&["period", "close", &m1, "--json"])["reported"]["kg_co2e"]);
    let m2_reported =
        decimal(&env.json(&["period", "close", &m2, "--json"])["reported"]["kg_co2e"]);
    let reported = m1_reported + m2_reported;
    // The quarter's third month, closed by nobody, counts from the live ledger.
    let third: Vec<Period> = (0..3)
        .map(|i| {
            let first = chrono::NaiveDate::parse_from_str(&quarter.from, "%Y-%m-%d").unwrap();
            let m = first + chrono::Months::new(i);
            Period::parse(&m.format("%Y-%m").to_string(), 1).unwrap()
        })
        .filter(|p| p.label != m1 && p.label != m2)
        .collect();
    let open = ledger_sum(&env, &third[0].from, &third[0].to);

    // Both bills are amended and re-synced: two changes after close; one is left.
    for b in [b1, b2] {
        amend(&env, &b["record_id"]);
    }
    ok(env.run(&["sync", &uk.to_string(), "--full", "--json"]));
    let b2_id = b2["id"].as_i64().unwrap().to_string();
    ok(env.run(&[
        "period",
        "leave",
        &m2,
        "--entry",
        &b2_id,
        "--why",
        "immaterial",
    ]));
    // Another entry of the first month is re-dated into the open month, as a sync writes a
    // record the platform re-dated (the sandbox's amendments change amounts, not dates).
    let moved = ledger_between(
        &env,
        &format!("{m1}-01"),
        &Period::parse(&m1, 1).unwrap().to,
    )
    .into_iter()
    .find(|e| e["id"] != b1["id"] && e["status"] == "counted")
    .expect("another counted entry in the first month");
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    db.execute(
        "UPDATE ledger SET date = ?1 WHERE id = ?2",
        rusqlite::params![third[0].from, moved["id"].as_i64().unwrap()],
    )
    .unwrap();
    drop(db);

    // The quarter takes the months in: its numbers are theirs as reported, plus the third
    // month's live entries (the moved one counts as its month reported it), and the changes
    // still waiting are the quarter's now.
    let q = env.json(&[
        "period",
        "close",
        &quarter.label,
        "--note",
        "Q close",
        "--json",
    ]);
    assert_eq!(q["took_in"], json!([m1, m2]));
    assert_eq!(decimal(&q["reported"]["kg_co2e"]), reported + open);
    assert_eq!(q["changes_after_close"], 2, "{q}");
    let changes = env.json(&["period", "changes", &quarter.label, "--json"]);
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let change = |id: &Value| changes.iter().find(|c| &c["entry_id"] == id).unwrap();
    assert_eq!(
        decimal(&change(&b1["id"])["reported"]["kg_co2e"]),
        decimal(&b1["kg_co2e"])
    );
    let m = change(&moved["id"]);
    assert_eq!(m["kind"], "changed");
    assert_eq!(m["reported"]["date"], moved["date"]);
    assert_eq!(m["now"]["date"], third[0].from.as_str());
    let totals = env.json(&[
        "emissions",
        "--from",
        &quarter.from,
        "--to",
        &quarter.to,
        "--json",
    ]);
    assert_eq!(decimal(&totals["totals"]["kg_co2e"]), reported + open);
    assert_month_totals_agree(&env);

    // The months no longer stand; each names the quarter, and is refused what only a
    // standing close can do.
    let list = env.json(&["period", "--json"]);
    for m in [&m1, &m2] {
        let c = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == m.as_str())
            .unwrap();
        assert_eq!(c["taken_into"], quarter.label.as_str());
        assert!(c["reopened_at_ms"].is_null());
    }
    let text = ok(env.run(&["period"]));
    assert!(
        text.contains(&format!("taken into {}", quarter.label)),
        "{text}"
    );
    for args in [
        vec!["period", "changes", m1.as_str()],
        vec!["period", "reopen", m1.as_str(), "--reason", "typo"],
    ] {
        let e = refused(env.run(&args));
        assert!(e.contains(&m1) && e.contains(&quarter.label), "{e}");
    }
    // A financial year that starts inside the quarter would split it: refused, naming it.
    let start_month: u32 = third
        .iter()
        .map(|p| p.from[5..7].parse::<u32>().unwrap())
        .chain([m2[5..].parse().unwrap()])
        .max()
        .unwrap();
    let e = refused(env.run(&[
        "period",
        "close",
        &format!("FY{}", &m1[..4]),
        "--fy-start-month",
        &start_month.to_string(),
    ]));
    assert!(
        e.contains(&format!(
            "overlaps {}, which is closed and reaches past it",
            quarter.label
        )),
        "{e}"
    );

    // Reopening the quarter gives the months back: they stand again as they reported, with
    // their own changes after close waiting, and the open month reads the live ledger.
    let text = ok(env.run(&["period", "reopen", &quarter.label, "--reason", "re-run"]));
    assert!(text.contains("stand again as they reported"), "{text}");
    let m1_to = Period::parse(&m1, 1).unwrap().to;
    assert_eq!(month_kg(&env, &m1, &m1_to), m1_reported);
    assert_ne!(ledger_sum(&env, &format!("{m1}-01"), &m1_to), m1_reported);
    assert_eq!(
        month_kg(&env, &third[0].label, &third[0].to),
        ledger_sum(&env, &third[0].from, &third[0].to)
    );
    let waiting = env.json(&["period", "changes", &m1, "--json"]);
    let mut ids: Vec<&Value> = waiting
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["entry_id"])
        .collect();
    ids.sort_by_key(|v| v.as_i64());
    let mut expected = vec![&b1["id"], &moved["id"]];
    expected.sort_by_key(|v| v.as_i64());
    assert_eq!(ids, expected);
    let (trail, actions) = trail_of(&env, &m1);
    assert_eq!(
        actions,
        ["period_given_back", "period_taken_in", "period_closed"]
    );
    assert_eq!(trail[0]["reason"], "re-run");
    assert_eq!(trail[1]["reason"], "Q close");

    // A decision on an entry of a month that stands says where it waits.
    let text = ok(env.run(&["review", "exclude", &b2_id, "--reason", "personal, repaid"]));
    assert!(
        text.contains(&format!("{m2} is closed")) && text.contains("period changes"),
        "{text}"
    );
    assert_eq!(
        month_kg(&env, &m2, &Period::parse(&m2, 1).unwrap().to),
        m2_reported
    );
    assert_month_totals_agree(&env);
    ok(env.run(&["audit", "verify"]));
}
