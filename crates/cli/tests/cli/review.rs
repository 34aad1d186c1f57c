//! The review through `carbonsync review` and `carbonsync rules`, against the Xero sandbox: a
//! person's decisions give the kg CO2e a hand computation gives, survive a full re-sync, and
//! bring an entry back to the queue when the platform changes its record; a rule is previewed
//! with exactly the entries it would change, saved, applied to what later syncs bring, and
//! outranked by a person's decision; every change is in the audit trail, which verifies.

use crate::support::*;
use rust_decimal::{dec, Decimal, RoundingStrategy};
use serde_json::{json, Value};

/// kg CO2e of `amount` GBP spent in 2024 with EPA USEEIO v1.3 factor `factor` (kg CO2e per
/// 2022 USD, purchaser price), worked out from the published figures: USD per GBP 2024 1.2781
/// (Federal Reserve G.5A), GDP price index 2022 117.996 and 2024 125.224 (BEA), rounded once
/// to the milligram, half away from zero.
fn by_hand_gbp_2024(amount: Decimal, factor: Decimal) -> Decimal {
    (amount * dec!(1.2781) * dec!(117.996) / dec!(125.224) * factor)
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
}

fn queue(env: &Env, args: &[&str]) -> Value {
    let mut all = vec!["review", "--json", "--limit", "5000"];
    all.extend_from_slice(args);
    env.json(&all)
}

/// The sandbox's name for a stream in its control API: Xero keeps bills among its invoices.
fn control_stream(stream: &str) -> &str {
    match stream {
        "bills" => "invoices",
        other => other,
    }
}

fn total_kg(env: &Env) -> Decimal {
    decimal(&env.json(&["emissions", "--json"])["totals"]["kg_co2e"])
}

fn ok(out: std::process::Output) {
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn decisions_count_as_worked_by_hand_survive_a_full_resync_and_a_changed_record_returns_to_the_queue(
) {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);

    // Two unmapped 2024 lines in pounds, each the first line of its record (the sandbox's
    // change amends a record's first line).
    let q = queue(&env, &["--period", "2024"]);
    let before = &q["progress"];
    assert_eq!(before["reviewed"], 0);
    let unmapped: Vec<&Value> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["why"] == "unmapped"
                && i["entry"]["currency"] == "GBP"
                && i["entry"]["line_no"] == 0
                && i["entry"]["stream"] == "bills"
        })
        .collect();
    assert!(unmapped.len() >= 2, "the sandbox has unmapped pounds: {q}");
    let (first, second) = (&unmapped[0]["entry"], &unmapped[1]["entry"]);
    // Unmapped entries come before counted ones, the largest amount first.
    let amounts: Vec<Decimal> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .take_while(|i| i["why"] == "unmapped")
        .map(|i| decimal(&i["entry"]["net_amount"]).abs())
        .collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "{amounts:?}");
    // A later page is the same queue, further on, across the sections' boundaries.
    let ids = |items: &Value| -> Vec<i64> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["entry"]["id"].as_i64().unwrap())
            .collect()
    };
    let all = ids(&q["items"]);
    let sections = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .take_while(|i| i["why"] == "unmapped")
        .count();
    for offset in [0, 3, sections - 2, sections, sections + 5] {
        let page = env.json(&[
            "review",
            "--json",
            "--period",
            "2024",
            "--offset",
            &offset.to_string(),
            "--limit",
            "7",
        ]);
        assert_eq!(
            ids(&page["items"]),
            all[offset..(offset + 7).min(all.len())].to_vec(),
            "from {offset}"
        );
    }
    let id = first["id"].as_i64().unwrap();
    let other = second["id"].as_i64().unwrap();
    let amount = decimal(&first["net_amount"]);
    let kg_before = total_kg(&env);

    // Reclassified as flights: counted with 481111 (0.644), Scope 3 category 6.
    let decided = env.json(&[
        "review",
        "reclassify",
        &id.to_string(),
        "--factor",
        "481111",
        "--category",
        "Flights",
        "--scope3-category",
        "6",
        "--why",
        "the receipt is a flight to Edinburgh",
        "--json",
    ]);
    let e = &decided[0];
    assert_eq!(e["status"], "counted");
    assert_eq!(e["category"], "Flights");
    assert_eq!(e["scope"], 3);
    assert_eq!(e["scope3_category"], 6);
    assert_eq!(e["factor_code"], "481111");
    assert_eq!(e["factor_value"], "0.644");
    let kg = by_hand_gbp_2024(amount, dec!(0.644));
    assert_eq!(decimal(&e["kg_co2e"]), kg);
    assert_eq!(
        total_kg(&env),
        kg_before + kg,
        "the total moves by exactly that"
    );

    // Excluded with a reason; the reason is what the entry says.
    ok(env.run(&[
        "review",
        "exclude",
        &other.to_string(),
        "--reason",
        "a director's personal purchase, repaid",
    ]));
    let shown = env.json(&["review", "show", &other.to_string(), "--json"]);
    assert_eq!(shown["entry"]["status"], "excluded");
    assert_eq!(
        shown["entry"]["reason"],
        "a director's personal purchase, repaid"
    );
    let q = queue(&env, &["--period", "2024"]);
    assert_eq!(q["progress"]["reviewed"], 2);
    assert_eq!(
        decimal(&q["progress"]["kg_co2e_reviewed"]),
        kg,
        "reviewed kg is the reclassified entry's"
    );
    assert!(q["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["entry"]["id"] != id && i["entry"]["id"] != other));

    // A full re-sync keeps both decisions, on the same entries.
    let out = env.run(&["sync", &uk.to_string(), "--full", "--json"]);
    ok(out);
    let shown = env.json(&["review", "show", &id.to_string(), "--json"]);
    assert_eq!(decimal(&shown["entry"]["kg_co2e"]), kg);
    assert_eq!(shown["entry"]["category"], "Flights");
    assert_eq!(
        env.json(&["review", "show", &other.to_string(), "--json"])["entry"]["status"],
        "excluded"
    );

    // The platform amends the reclassified record (+10.00 on its first line): the entry comes
    // back first in the queue, with the line as it was when decided; the decision still
    // applies, to the new amount.
    let tenant = env.sandbox.tenant_id(UK);
    env.sandbox.post(
        "/_control/records/change",
        json!({"tenantId": tenant, "stream": control_stream("bills"),
               "ids": [first["record_id"]]}),
    );
    env.sync(uk);
    let q = queue(&env, &["--period", "2024"]);
    let top = &q["items"][0];
    assert_eq!(top["why"], "changed_since_review", "{top}");
    assert_eq!(top["entry"]["id"], id);
    assert_eq!(decimal(&top["seen"]["net_amount"]), amount);
    // 10.00 more on the line, before tax when the bill's amounts include it.
    let amended = decimal(&top["entry"]["net_amount"]);
    assert!(amended > amount, "{amended} after {amount}");
    assert_eq!(
        decimal(&top["entry"]["kg_co2e"]),
        by_hand_gbp_2024(amended, dec!(0.644))
    );
    assert_eq!(q["progress"]["changed_since_review"], 1);
    let text = env.run(&["review", "--period", "2024", "--limit", "1"]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains(&format!("amount {amount:.2} → {amended:.2}")),
        "{text}"
    );

    // Deciding it again takes it off the queue; including the excluded one again puts it back
    // as unmapped.
    ok(env.run(&[
        "review",
        "accept",
        &id.to_string(),
        "--note",
        "still a flight",
    ]));
    ok(env.run(&[
        "review",
        "include",
        &other.to_string(),
        "--why",
        "not repaid after all",
    ]));
    let shown = env.json(&["review", "show", &other.to_string(), "--json"]);
    assert_eq!(shown["entry"]["status"], "unmapped");
    assert!(shown["decision"].is_null());

    // The entry's trail, newest first, and the chain verifies.
    let shown = env.json(&["review", "show", &id.to_string(), "--json"]);
    let actions: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["entry_confirmed", "entry_reclassified"]);
    assert_eq!(
        shown["history"][1]["reason"],
        "the receipt is a flight to Edinburgh"
    );
    assert_eq!(shown["decision"]["note"], "still a flight");
    assert_eq!(
        decimal(&shown["entry"]["kg_co2e"]),
        by_hand_gbp_2024(amended, dec!(0.644)),
        "accepting confirms the decision before"
    );
    assert_eq!(shown["changed_since_review"], false);
    ok(env.run(&["audit", "verify"]));
}

#[test]
fn a_rule_is_previewed_then_applies_to_what_later_syncs_bring_and_a_decision_outranks_it() {
    const SUPPLIER: &str = "Arnold Laver Timber";
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let ledger = env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]);
    let timber: Vec<&Value> = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["contact"] == SUPPLIER)
        .collect();
    assert!(timber.len() >= 3, "the sandbox buys timber");
    // Everything of the supplier's that is a purchase: neither settled by the record (deleted,
    // a transfer) nor on an account the mapping says is none (payroll, tax).
    let decidable = timber.iter().filter(|e| e["status"] != "excluded").count() as i64;

    let rule = [
        "--supplier",
        "arnold laver timber",
        "--factor",
        "321113",
        "--category",
        "Timber",
        "--name",
        "Timber from Arnold Laver",
    ];
    let mut args = vec!["rules", "add", "--preview", "--json"];
    args.extend_from_slice(&rule);
    let preview = env.json(&args);
    assert_eq!(preview["changes"], decidable, "{preview}");
    assert_eq!(
        preview["same_result"], 0,
        "timber is unmapped until the rule"
    );
    assert!(preview["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["entry"]["contact"] == SUPPLIER && p["after"]["category"] == "Timber"));
    assert_eq!(
        env.json(&["rules", "--json"]),
        json!([]),
        "a preview saves nothing"
    );

    let mut args = vec![
        "rules",
        "add",
        "--json",
        "--why",
        "all of it is sawn timber",
    ];
    args.extend_from_slice(&rule);
    let saved = env.json(&args);
    assert_eq!(saved["entries"], decidable);
    assert_eq!(decimal(&preview["kg_co2e_after"]), {
        let ledger = env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]);
        ledger
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["contact"] == SUPPLIER && e["review_rule_id"] == saved["id"])
            .map(|e| decimal(&e["kg_co2e"]))
            .sum::<Decimal>()
    });

    // A person's decision on one of them outranks the rule.
    let counted: Vec<&Value> = timber
        .iter()
        .filter(|e| e["status"] != "excluded")
        .copied()
        .collect();
    let mine = counted[0]["id"].as_i64().unwrap();
    ok(env.run(&[
        "review",
        "exclude",
        &mine.to_string(),
        "--reason",
        "returned to the supplier",
    ]));
    let rules = env.json(&["rules", "--json"]);
    assert_eq!(rules[0]["entries"], decidable - 1);
    assert_eq!(
        env.json(&["review", "show", &mine.to_string(), "--json"])["entry"]["status"],
        "excluded"
    );

    // A record of the supplier the platform changes is decided by the rule when synced.
    let changed = counted
        .iter()
        .find(|e| {
            e["id"].as_i64() != Some(mine)
                && e["line_no"] == 0
                && e["stream"] == "bank_transactions"
        })
        .or_else(|| {
            counted
                .iter()
                .find(|e| e["id"].as_i64() != Some(mine) && e["line_no"] == 0)
        })
        .expect("a record of the supplier to change");
    let stream = changed["stream"].as_str().unwrap();
    let tenant = env.sandbox.tenant_id(UK);
    env.sandbox.post(
        "/_control/records/change",
        json!({"tenantId": tenant, "stream": control_stream(stream),
               "ids": [changed["record_id"]]}),
    );
    env.sync(uk);
    let after = env.json(&["review", "show", &changed["id"].to_string(), "--json"]);
    assert!(decimal(&after["entry"]["net_amount"]) > decimal(&changed["net_amount"]));
    assert_eq!(after["entry"]["review_rule_id"], saved["id"]);
    assert_eq!(after["entry"]["category"], "Timber");
    assert_eq!(after["rule"]["name"], "Timber from Arnold Laver");
    assert_month_totals_agree(&env);

    // Removed: the entries go back to the account mapping.
    ok(env.run(&[
        "rules",
        "remove",
        &saved["id"].to_string(),
        "--why",
        "wrong factor",
    ]));
    let back = env.json(&["review", "show", &changed["id"].to_string(), "--json"]);
    assert!(back["entry"]["review_rule_id"].is_null());
    assert_ne!(back["entry"]["category"], "Timber");

    let trail: Vec<String> = env
        .json(&[
            "audit",
            "--json",
            "--subject",
            &format!("review_rule:{}", saved["id"]),
        ])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(trail, ["review_rule_removed", "review_rule_added"]);
    ok(env.run(&["audit", "verify"]));
    assert_month_totals_agree(&env);
}

#[test]
fn a_decision_or_rule_that_cannot_be_applied_is_refused_in_words_and_changes_nothing() {
    let env = Env::new(&["--no-rate-limit", "--records", "50"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let entry = queue(&env, &[])["items"][0]["entry"]["id"].to_string();
    let cases: [(&[&str], &str); 6] = [
        (
            &["review", "reclassify", &entry, "--factor", "999999"],
            "Factor 999999 is not in",
        ),
        (
            &[
                "review",
                "reclassify",
                &entry,
                "--factor",
                "481111",
                "--scope3-category",
                "16",
            ],
            "numbers them 1 to 15",
        ),
        (&["review", "exclude", &entry, "--reason", " "], "Say why"),
        (
            &["review", "accept", "99999999"],
            "There is no ledger entry 99999999",
        ),
        (
            &["rules", "add", "--factor", "481111", "--name", "all"],
            "Say what the rule matches",
        ),
        (
            &[
                "rules",
                "add",
                "--supplier",
                "x",
                "--min",
                "10",
                "--max",
                "5",
                "--exclude",
                "y",
                "--name",
                "n",
            ],
            "The amount range is empty",
        ),
    ];
    for (args, says) in cases {
        let out = env.run(args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(env.json(&["rules", "--json"]), json!([]));
    assert_eq!(env.json(&["audit", "--json"]), json!([]));

    // A rule's edit that changes nothing, and a move past the end, are refused and leave no
    // audit row; a new factor keeps the category the person gave.
    let rule = env.json(&[
        "rules",
        "add",
        "--json",
        "--supplier",
        "x",
        "--factor",
        "481111",
        "--category",
        "Flights",
        "--name",
        "n",
    ]);
    let id = rule["id"].to_string();
    // Air travel is business travel (Scope 3 category 6), as the account mappings count it.
    assert_eq!(rule["classification"]["scope3_category"], 6, "{rule}");
    for (args, says) in [
        (vec!["rules", "edit", &id], "nothing was changed"),
        (
            vec!["rules", "edit", &id, "--name", "n"],
            "nothing was changed",
        ),
        (vec!["rules", "move", &id, "2"], "can only be 1, not 2"),
        (vec!["rules", "move", &id, "0"], "can only be 1, not 0"),
        (
            vec![
                "rules",
                "add",
                "--supplier",
                "y",
                "--exclude",
                "z",
                "--name",
                "N ",
            ],
            "is already named \"n\"",
        ),
    ] {
        let out = env.run(&args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let actions = |env: &Env| env.json(&["audit", "--json"]).as_array().unwrap().len();
    assert_eq!(actions(&env), 1, "only the rule's addition");
    let edited = env.json(&["rules", "edit", &id, "--json", "--factor", "721110"]);
    assert_eq!(edited["classification"]["factor_code"], "721110");
    assert_eq!(edited["classification"]["category"], "Flights");
    assert_eq!(actions(&env), 2);
}

#[test]
fn activity_data_turns_an_electricity_bill_into_scope_2_with_the_desnz_factor() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let scope2 = |env: &Env| -> Decimal {
        env.json(&["emissions", "--by", "scope", "--json"])["groups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["key"] == "2" || g["key"] == "Scope 2")
            .map(|g| decimal(&g["kg_co2e"]))
            .sum()
    };
    assert_eq!(scope2(&env), Decimal::ZERO, "spend alone gives no Scope 2");
    let q = queue(&env, &[]);
    let bill = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["why"] == "unmapped"
                && i["entry"]["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("Electricity"))
        })
        .expect("the sandbox's electricity bills are unmapped")["entry"]
        .clone();
    let id = bill["id"].to_string();

    // 1,234.5 kWh × 0.20705 kg CO2e/kWh (DESNZ 2024, UK electricity generated) = 255.603225.
    let e = env.json(&[
        "review",
        "activity",
        &id,
        "--activity",
        "electricity-uk",
        "--quantity",
        "1234.5",
        "--unit",
        "kWh",
        "--json",
    ])[0]
        .clone();
    assert_eq!(e["status"], "counted");
    assert_eq!(e["scope"], 2);
    assert_eq!(e["factor_code"], "7_400_4000_5_1");
    assert_eq!(e["factor_value"], "0.20705");
    assert_eq!(decimal(&e["kg_co2e"]), dec!(255.603225));
    assert_eq!(scope2(&env), dec!(255.603225));

    // The wrong unit, an unknown activity, or no quantity change nothing.
    for (args, says) in [
        (
            vec![
                "--activity",
                "electricity-uk",
                "--quantity",
                "10",
                "--unit",
                "litres",
            ],
            "given in kWh",
        ),
        (
            vec!["--activity", "coal", "--quantity", "10"],
            "Say which activity",
        ),
        (
            vec!["--activity", "diesel", "--quantity", "0"],
            "more than zero",
        ),
    ] {
        let mut all = vec!["review", "activity", &id];
        all.extend(args.iter().copied());
        let out = env.run(&all);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    assert_eq!(scope2(&env), dec!(255.603225));
    let shown = env.json(&["review", "show", &id, "--json"]);
    assert_eq!(shown["decision"]["action"], "activity");
    assert_eq!(shown["decision"]["quantity"], "1234.5");
    assert_eq!(shown["history"][0]["action"], "entry_activity_data");
}

#[test]
fn suppliers_add_up_to_the_ledger_and_a_supplier_is_mapped_once_with_a_rule() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    let us = env.connect(US)["id"].as_i64().unwrap();
    env.sync(uk);
    env.sync(us);
    let entries = ledger_between(&env, "2024-01-01", "2024-12-31");
    let page = env.json(&[
        "review",
        "suppliers",
        "--period",
        "2024",
        "--limit",
        "100000",
        "--json",
    ]);
    let items = page["items"].as_array().unwrap();
    assert_eq!(page["total"].as_i64().unwrap() as usize, items.len());
    // Every counted kg of an entry with a supplier is some supplier's, exactly.
    let with_supplier: Decimal = entries
        .iter()
        .filter(|e| {
            e["status"] == "counted" && !e["contact"].as_str().unwrap_or("").trim().is_empty()
        })
        .map(|e| decimal(&e["kg_co2e"]))
        .sum();
    assert_eq!(
        items
            .iter()
            .map(|s| decimal(&s["kg_co2e"]))
            .sum::<Decimal>(),
        with_supplier
    );
    let kgs: Vec<Decimal> = items.iter().map(|s| decimal(&s["kg_co2e"])).collect();
    assert!(
        kgs.windows(2).all(|w| w[0] >= w[1]),
        "the most kg CO2e first"
    );

    // A supplier with unmapped entries: its spend per currency is its entries' amounts.
    let supplier = items
        .iter()
        .find(|s| s["unmapped"].as_i64().unwrap() > 0)
        .expect("a supplier with unmapped entries");
    let name = supplier["name"].as_str().unwrap();
    let mine: Vec<&Value> = entries.iter().filter(|e| e["contact"] == name).collect();
    assert_eq!(supplier["entries"].as_i64().unwrap() as usize, mine.len());
    for (currency, amount) in supplier["spend"].as_object().unwrap() {
        let by_hand: Decimal = mine
            .iter()
            .filter(|e| e["currency"] == currency.as_str())
            .map(|e| decimal(&e["net_amount"]))
            .sum();
        assert_eq!(decimal(amount), by_hand, "{name} in {currency}");
    }
    assert!(supplier["rule_id"].is_null());

    // Mapped once: a rule on the supplier decides all its entries, and the view says which.
    let rule = env.json(&[
        "rules",
        "add",
        "--supplier",
        name,
        "--factor",
        "541611",
        "--category",
        "Consulting",
        "--name",
        "Everything from this supplier",
        "--json",
    ]);
    let page = env.json(&[
        "review",
        "suppliers",
        "--period",
        "2024",
        "--limit",
        "100000",
        "--json",
    ]);
    let after = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap();
    assert_eq!(after["rule_id"], rule["id"]);
    assert_eq!(after["unmapped"], 0);
    assert!(after["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "Consulting"));
}

/// The entries of one line of one record, by part.
fn parts_of(env: &Env, record_id: &str, line_no: i64) -> Vec<Value> {
    let mut parts: Vec<Value> = env
        .json(&["emissions", "--ledger", "--record", record_id, "--json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["line_no"] == line_no)
        .cloned()
        .collect();
    parts.sort_by_key(|e| e["part_no"].as_i64().unwrap());
    parts
}

#[test]
fn a_split_line_counts_each_share_with_its_own_factor_and_survives_a_full_resync() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let q = queue(&env, &["--period", "2024"]);
    let line = &q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["why"] == "unmapped" && i["entry"]["currency"] == "GBP")
        .expect("an unmapped line in pounds")["entry"];
    let id = line["id"].as_i64().unwrap().to_string();
    let record = line["record_id"].as_str().unwrap().to_owned();
    let line_no = line["line_no"].as_i64().unwrap();
    let amount = decimal(&line["net_amount"]);
    let kg_before = total_kg(&env);

    // 60 % flights (481111, 0.644, Scope 3 category 6), 40 % hotels (721110, 0.145, 6).
    ok(env.run(&[
        "review",
        "split",
        &id,
        "--part",
        "60:481111:6",
        "--part",
        "40%:721110:6",
        "--why",
        "one invoice for a trip: flights and two nights",
    ]));
    let parts = parts_of(&env, &record, line_no);
    assert_eq!(parts.len(), 2, "{parts:?}");
    let (a, b) = (amount * dec!(0.6), amount * dec!(0.4));
    assert_eq!(decimal(&parts[0]["net_amount"]), a);
    assert_eq!(decimal(&parts[1]["net_amount"]), b);
    assert_eq!(a + b, amount, "the parts add up to the line exactly");
    assert_eq!(
        parts[0]["id"].to_string(),
        id,
        "the first part keeps the entry's id"
    );
    for (p, share, factor, category) in [
        (
            &parts[0],
            "60",
            dec!(0.644),
            "Scheduled Passenger Air Transportation",
        ),
        (
            &parts[1],
            "40",
            dec!(0.145),
            "Hotels (except Casino Hotels) and Motels",
        ),
    ] {
        assert_eq!(p["status"], "counted", "{p}");
        assert_eq!(
            decimal(&p["share_percent"]),
            share.parse::<Decimal>().unwrap()
        );
        assert_eq!(decimal(&p["line_net_amount"]), amount);
        assert_eq!(p["category"], category);
        assert_eq!(p["scope3_category"], 6);
        assert_eq!(
            decimal(&p["kg_co2e"]),
            by_hand_gbp_2024(decimal(&p["net_amount"]), factor)
        );
    }
    let split_kg = by_hand_gbp_2024(a, dec!(0.644)) + by_hand_gbp_2024(b, dec!(0.145));
    assert_eq!(total_kg(&env), kg_before + split_kg);

    // A full re-sync decides the line again the same way, on the same entries.
    let ids: Vec<String> = parts.iter().map(|p| p["id"].to_string()).collect();
    ok(env.run(&["sync", &uk.to_string(), "--full", "--json"]));
    let again = parts_of(&env, &record, line_no);
    assert_eq!(
        again
            .iter()
            .map(|p| p["id"].to_string())
            .collect::<Vec<_>>(),
        ids
    );
    assert_eq!(total_kg(&env), kg_before + split_kg);

    // Split three ways, then decided whole again: the parts follow.
    ok(env.run(&[
        "review",
        "split",
        &ids[1],
        "--part",
        "50:481111",
        "--part",
        "25:721110",
        "--part",
        "25:721110",
    ]));
    assert_eq!(parts_of(&env, &record, line_no).len(), 3);
    let three: Vec<i64> = parts_of(&env, &record, line_no)
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    // Split through a part's id: the decision, and its trail, are the line's.
    let shown = env.json(&["review", "show", &id, "--json"]);
    let splits = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "entry_split")
        .count();
    assert_eq!(splits, 2, "both splits are in the line's trail: {shown}");
    ok(env.run(&["review", "reclassify", &id, "--factor", "721110"]));
    let whole = parts_of(&env, &record, line_no);
    assert_eq!(whole.len(), 1, "{whole:?}");
    assert_eq!(decimal(&whole[0]["net_amount"]), amount);
    assert!(whole[0]["line_net_amount"].is_null());
    assert!(whole[0]["share_percent"].is_null());
    assert_eq!(
        decimal(&whole[0]["kg_co2e"]),
        by_hand_gbp_2024(amount, dec!(0.145))
    );

    // Refused in words, changing nothing: shares that do not add up to 100, a single part.
    for (parts, says) in [
        (vec!["60:481111", "30:721110"], "add up to 90 %, not 100 %"),
        (vec!["100:481111"], "at least two parts"),
        (vec!["sixty:481111", "40:721110"], "is not a part"),
    ] {
        let mut args = vec!["review", "split", id.as_str()];
        for p in &parts {
            args.extend(["--part", p]);
        }
        let out = env.run(&args);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    assert_eq!(parts_of(&env, &record, line_no).len(), 1);

    // An id a folded-back part had is never given to another line's part.
    let other = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["entry"])
        .find(|e| e["id"] != shown["entry"]["id"] && e["status"] == "unmapped")
        .expect("another unmapped line");
    let decided = env.json(&[
        "review",
        "split",
        &other["id"].to_string(),
        "--part",
        "50:481111",
        "--part",
        "50:721110:1:Hotels",
        "--json",
    ]);
    assert_eq!(
        decided.as_array().unwrap().len(),
        2,
        "both parts are shown: {decided}"
    );
    assert_eq!(decided[1]["category"], "Hotels");
    for part in decided.as_array().unwrap() {
        let new_id = part["id"].as_i64().unwrap();
        assert!(
            !three.contains(&new_id) || new_id == other["id"].as_i64().unwrap(),
            "id {new_id} was a part of another line"
        );
    }

    assert_month_totals_agree(&env);
    let trail = env.json(&["audit", "--json"]);
    assert!(
        trail
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "entry_split"),
        "the split is in the audit trail"
    );
    assert_eq!(env.json(&["audit", "verify", "--json"])["intact"], true);
}

#[test]
fn a_rule_that_restates_what_the_mapping_counts_is_previewed_as_keeping_the_results() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let ledger = env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]);
    let entries = ledger.as_array().unwrap();
    let result = |e: &Value| {
        (
            e["factor_code"].clone(),
            e["category"].clone(),
            e["scope3_category"].clone(),
        )
    };
    // A supplier whose purchases the mapping counts all alike, with one factor and category.
    let purchases = |contact: &Value| -> Vec<&Value> {
        entries
            .iter()
            .filter(|e| &e["contact"] == contact && e["status"] != "excluded")
            .collect()
    };
    let (contact, alike) = entries
        .iter()
        .filter(|e| e["status"] == "counted" && e["contact"].is_string())
        .map(|e| (e["contact"].clone(), purchases(&e["contact"])))
        .find(|(_, p)| {
            p.len() >= 2
                && p.iter()
                    .all(|e| e["status"] == "counted" && result(e) == result(p[0]))
        })
        .expect("a supplier the mapping counts alike");
    let (code, category, scope3) = result(alike[0]);
    let scope3 = scope3.as_i64().unwrap().to_string();
    let rule = [
        "--supplier",
        contact.as_str().unwrap(),
        "--factor",
        code.as_str().unwrap(),
        "--category",
        category.as_str().unwrap(),
        "--scope3-category",
        &scope3,
        "--name",
        "As the mapping says",
    ];
    let mut args = vec!["rules", "add", "--preview", "--json"];
    args.extend_from_slice(&rule);
    let preview = env.json(&args);
    // Every purchase becomes the rule's, and none changes what it counts.
    assert_eq!(preview["changes"], alike.len() as i64, "{preview}");
    assert_eq!(preview["same_result"], alike.len() as i64, "{preview}");
    assert_eq!(
        decimal(&preview["kg_co2e_now"]),
        decimal(&preview["kg_co2e_after"])
    );
    let mut words = vec!["rules", "add", "--preview"];
    words.extend_from_slice(&rule);
    let out = env.run(&words);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!(
            "Of them, {} keep the results they have and only become decided by this rule.",
            alike.len()
        )),
        "{said}"
    );
    // Each entry's line names the factor on both sides, so a change of factor alone shows.
    let factor = format!(
        "{} ({}, ",
        category.as_str().unwrap(),
        code.as_str().unwrap()
    );
    assert!(
        said.lines().any(|l| l.matches(&factor).count() == 2),
        "{said}"
    );
}

#[test]
fn a_factor_is_found_by_the_everyday_word_as_well_as_the_industrys() {
    let env = Env::new(&[], "");
    let codes = |q: &str| -> Vec<String> {
        env.json(&["factors", q, "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        codes("flights").contains(&"481111".to_owned()),
        "{:?}",
        codes("flights")
    );
    assert!(codes("hotel").contains(&"721110".to_owned()));
    assert!(codes("air transportation").contains(&"481111".to_owned()));
    assert!(codes("481111") == vec!["481111".to_owned()]);
    // A word is found at a word's start: air transport, not dairy farming or repair shops.
    let air = codes("air");
    assert!(air.contains(&"481111".to_owned()), "{air:?}");
    assert!(
        !air.contains(&"112120".to_owned()),
        "dairy cattle is not air: {air:?}"
    );
    // Each factor says which Scope 3 category its spend goes under when nobody names one,
    // as the account mappings file it: flights are business travel, hotels too (both
    // category 6), office supplies are purchased goods and services (1).
    let scope3 = |code: &str| env.json(&["factors", code, "--json"])[0]["scope3_category"].clone();
    assert_eq!(scope3("481111"), 6);
    assert_eq!(scope3("721110"), 6);
    assert_eq!(scope3("541211"), 1);
}

#[test]
fn a_rules_amount_range_takes_its_bounds_to_the_penny() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let ledger = env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]);
    // What a rule may decide: every purchase. Excluded before any rule is what the record
    // settles (a transfer, income) and what the mapping says is no purchase (payroll, tax).
    let amounts: Vec<Decimal> = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] != "excluded")
        .map(|e| decimal(&e["net_amount"]))
        .collect();
    let mut distinct = amounts.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() > 50, "the sandbox spends varied amounts");
    let preview = |bounds: &[&str]| -> i64 {
        let mut args = vec![
            "rules",
            "add",
            "--preview",
            "--json",
            "--exclude",
            "checked by amount",
            "--name",
            "By amount",
        ];
        args.extend_from_slice(bounds);
        env.json(&args)["changes"].as_i64().unwrap()
    };
    let count =
        |keep: &dyn Fn(Decimal) -> bool| amounts.iter().filter(|a| keep(**a)).count() as i64;
    // Amounts spread over the ledger's range, each the exact bound of a range of its own.
    for a in distinct.iter().step_by(distinct.len() / 7) {
        let a_text = a.to_string();
        assert_eq!(
            preview(&["--min", &a_text, "--max", &a_text]),
            count(&|x| x == *a),
            "entries of exactly {a}"
        );
        assert_eq!(
            preview(&["--max", &a_text]),
            count(&|x| x <= *a),
            "entries up to {a}"
        );
        let above = (*a + dec!(0.01)).to_string();
        assert_eq!(
            preview(&["--min", &above]),
            count(&|x| x >= *a + dec!(0.01)),
            "entries from {above}"
        );
    }

    // A rule over every amount counts every purchase, and nothing the mapping says is none:
    // salaries and tax keep the mapping's exclusion and its reason.
    let not_purchases: Vec<&Value> = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "excluded" && !e["rule_id"].is_null())
        .collect();
    assert!(
        not_purchases
            .iter()
            .any(|e| e["reason"].as_str().unwrap_or("").contains("payroll")
                || e["reason"].as_str().unwrap_or("").contains("tax")),
        "the sandbox pays salaries or tax: {not_purchases:?}"
    );
    let lowest = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| decimal(&e["net_amount"]))
        .min()
        .unwrap()
        .to_string();
    let saved = env.json(&[
        "rules",
        "add",
        "--json",
        "--factor",
        "453210",
        "--category",
        "Office supplies",
        "--name",
        "Everything",
        "--min",
        &lowest,
    ]);
    assert_eq!(saved["entries"], amounts.len() as i64);
    let after = env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]);
    for before in &not_purchases {
        let now = after
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == before["id"])
            .unwrap();
        assert_eq!(
            (&now["status"], &now["reason"], &now["category"]),
            (&before["status"], &before["reason"], &before["category"]),
            "{now}"
        );
        assert!(now["review_rule_id"].is_null(), "{now}");
    }
    assert_month_totals_agree(&env);
}

/// Saving a change of the rules and deciding its entries again are two steps; a process
/// stopped between them (killed, a power cut) leaves the change owed, and the next start
/// decides every entry again, so the ledger never disagrees with the rules in force.
#[test]
fn a_rule_change_interrupted_before_its_entries_are_decided_is_finished_at_the_next_start() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let decided_by = |rule: &Value| -> Vec<i64> {
        env.json(&["emissions", "--ledger", "--limit", "100000", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["review_rule_id"] == *rule)
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let crashed = |args: &[&str]| env.run_crashing_at("after_rule_saved", args);
    let rule = [
        "--supplier",
        "arnold laver timber",
        "--factor",
        "321113",
        "--category",
        "Timber",
        "--name",
        "Timber",
    ];
    let mut preview = vec!["rules", "add", "--preview", "--json"];
    preview.extend_from_slice(&rule);
    let expected = env.json(&preview)["changes"].as_i64().unwrap();
    assert!(expected > 0, "the sandbox buys timber");

    // Added, then stopped: the rule is saved, and the next command finds its entries decided.
    let mut add = vec!["rules", "add"];
    add.extend_from_slice(&rule);
    crashed(&add);
    let saved = env.json(&["rules", "--json"])[0].clone();
    assert_eq!(saved["name"], "Timber");
    assert_eq!(decided_by(&saved["id"]).len() as i64, expected);
    assert_eq!(saved["entries"].as_i64(), Some(expected), "{saved}");

    // Removed, then stopped: no entry stays decided by a rule that no longer exists.
    crashed(&["rules", "remove", &saved["id"].to_string()]);
    assert_eq!(env.json(&["rules", "--json"]), json!([]));
    assert!(decided_by(&saved["id"]).is_empty());
    assert_month_totals_agree(&env);
    ok(env.run(&["audit", "verify"]));

    // Only an interrupted change is finished at the next start: one that ran to its end
    // leaves nothing owed, and the next command recomputes nothing.
    let recomputes = |args: &[&str]| {
        let mut all = vec!["--verbose"];
        all.extend_from_slice(args);
        let out = env.run(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out).contains("recomputed every ledger entry")
    };
    assert!(!recomputes(&add));
    assert!(!recomputes(&["rules"]));
    crashed(&["rules", "remove", "1"]);
    assert!(recomputes(&["rules"]));
    assert!(!recomputes(&["rules"]));

    // A start while another process is still deciding a change's entries leaves them to
    // it; once that process is gone without finishing, the next start decides them.
    let mut applying = env
        .cmd()
        .env("CARBONSYNC_TEST_PAUSE_AT", "after_rule_saved")
        .args(&add)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run carbonsync");
    let mut said = std::io::BufReader::new(applying.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("paused at after_rule_saved") {
        line.clear();
        let read = std::io::BufRead::read_line(&mut said, &mut line).unwrap();
        assert!(read > 0, "the rule change ended before it paused");
    }
    assert!(!recomputes(&["rules"]), "the paused process applies it");
    applying.kill().unwrap();
    applying.wait().unwrap();
    assert!(recomputes(&["rules"]), "abandoned with its process");
    assert!(!recomputes(&["rules"]));
    assert_month_totals_agree(&env);
}

#[test]
fn unmapped_lines_in_several_currencies_are_ranked_by_their_amount_in_2022_dollars() {
    let env = Env::new(&["--no-rate-limit", "--records", "600"], "");
    let qb = env.json(&["connect", "quickbooks", "--timeout", "30", "--json"])["id"]
        .as_i64()
        .unwrap();
    env.sync(qb);

    let q = queue(&env, &[]);
    let unmapped: Vec<&Value> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .skip_while(|i| i["why"] != "unmapped")
        .take_while(|i| i["why"] == "unmapped")
        .map(|i| &i["entry"])
        .collect();
    let currencies: std::collections::BTreeSet<&str> = unmapped
        .iter()
        .map(|e| e["currency"].as_str().unwrap())
        .collect();
    assert!(
        currencies.len() >= 2,
        "the company buys in several currencies: {currencies:?}"
    );
    // Each carries its amount in 2022 dollars, converted as a counted line would be, and the
    // queue goes by it, largest first.
    let usd: Vec<Decimal> = unmapped
        .iter()
        .map(|e| {
            let (net, fx, deflator) = (
                decimal(&e["net_amount"]),
                decimal(&e["fx_rate"]),
                decimal(&e["deflator"]),
            );
            let usd = decimal(&e["amount_usd_2022"]);
            assert!(
                (net * fx * deflator - usd).abs() < Decimal::new(1, 2),
                "{e}"
            );
            assert!(e["kg_co2e"].is_null(), "counted in no total: {e}");
            usd.abs()
        })
        .collect();
    assert!(usd.windows(2).all(|w| w[0] >= w[1]), "{usd:?}");
    // Which is not the order of the amounts' own digits.
    let raw: Vec<Decimal> = unmapped
        .iter()
        .map(|e| decimal(&e["net_amount"]).abs())
        .collect();
    assert!(
        raw.windows(2).any(|w| w[0] < w[1]),
        "a smaller amount in a stronger currency comes first somewhere: {raw:?}"
    );
    // The totals count only what is counted.
    let totals = env.json(&["emissions", "--json"])["totals"].clone();
    let counted: Decimal = env
        .json(&["emissions", "--ledger", "--limit", "100000", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "counted" && e["covered_by"].is_null())
        .map(|e| decimal(&e["amount_usd_2022"]))
        .sum();
    assert_eq!(decimal(&totals["spend_usd_2022"]), counted);
}
