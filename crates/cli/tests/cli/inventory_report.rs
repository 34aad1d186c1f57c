//! The inventory report through `carbonsync report --period`, against the Xero sandbox: its
//! totals are the ledger's sums exactly, every table adds up to them, activity data shows as
//! Scope 2 with its data quality, and the PDF (read back with `pdftotext`) and the CSV files
//! hold the same numbers.

use crate::support::*;
use rust_decimal::{dec, Decimal};
use serde_json::Value;

fn sum(values: &Value, field: &str) -> Decimal {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| decimal(&v[field]))
        .sum()
}

#[test]
fn the_report_of_a_year_equals_the_ledger_and_its_pdf_and_csv_hold_the_same_totals() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    let us = env.connect(US)["id"].as_i64().unwrap();
    env.sync(uk);
    env.sync(us);

    // Electricity for one unmapped 2024 line in pounds: 1234.5 kWh, UK grid 2024 (DESNZ
    // v1.1, 0.20705 kg CO2e/kWh), Scope 2 location-based.
    let q = env.json(&["review", "--period", "2024", "--limit", "5000", "--json"]);
    let entry = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["why"] == "unmapped" && i["entry"]["currency"] == "GBP")
        .expect("an unmapped line in pounds")["entry"]["id"]
        .as_i64()
        .unwrap();
    env.json(&[
        "review",
        "activity",
        &entry.to_string(),
        "--activity",
        "electricity-uk",
        "--quantity",
        "1234.5",
        "--unit",
        "kWh",
        "--json",
    ]);

    // A rule whose name a spreadsheet would run as a formula (it matches nothing).
    env.json(&[
        "rules",
        "add",
        "--description",
        "no line says this",
        "--exclude",
        "never",
        "--name",
        "=HYPERLINK(\"http://x\")",
        "--json",
    ]);

    let r = env.json(&["report", "--period", "2024", "--json"]);
    assert_eq!(r["period"]["from"], "2024-01-01");
    assert_eq!(r["period"]["to"], "2024-12-31");
    let total = decimal(&r["totals"]["kg_co2e"]);
    assert_eq!(
        decimal(&r["inventory_kg_co2e"]),
        total,
        "nothing reported by providers"
    );

    // The ledger's counted entries, summed one by one, and the totals the app shows.
    let by_hand = counted_kg(&ledger_between(&env, "2024-01-01", "2024-12-31"));
    assert!(total > Decimal::ZERO);
    assert_eq!(total, by_hand, "the report's total is the ledger's sum");
    let shown = env.json(&[
        "emissions",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--json",
    ]);
    assert_eq!(total, decimal(&shown["totals"]["kg_co2e"]));

    // Every table adds up to it.
    let s = &r["scopes"];
    assert_eq!(decimal(&s["scope2_location_kg_co2e"]), dec!(255.603225));
    // No supplier or contract factor was given: market-based falls back to the grid average.
    assert_eq!(decimal(&s["scope2_market_kg_co2e"]), dec!(255.603225));
    assert_eq!(
        decimal(&s["scope1_kg_co2e"])
            + decimal(&s["scope2_location_kg_co2e"])
            + decimal(&s["scope3_kg_co2e"]),
        total
    );
    assert_eq!(
        sum(&r["scope3_categories"], "kg_co2e"),
        decimal(&s["scope3_kg_co2e"])
    );
    assert_eq!(sum(&r["by_connection"], "kg_co2e"), total);
    assert_eq!(r["by_connection"].as_array().unwrap().len(), 2);
    assert_eq!(sum(&r["by_category"], "kg_co2e"), total);
    assert_eq!(sum(&r["by_month"], "kg_co2e"), total);
    assert_eq!(r["by_month"].as_array().unwrap().len(), 12);
    assert_eq!(sum(&r["method_mix"], "kg_co2e"), total);
    let activity = r["method_mix"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "activity")
        .expect("the activity data is in the mix");
    assert_eq!(activity["data_quality"], 2);
    assert_eq!(decimal(&activity["kg_co2e"]), dec!(255.603225));
    let dq = decimal(&r["data_quality_score"]);
    assert!(dq > dec!(2) && dq <= dec!(5), "{dq}");
    assert!(r["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["entries"].as_i64().unwrap() > 0));
    assert_eq!(r["audit"]["intact"], true);
    assert!(r["factor_sets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"].as_str().unwrap().contains("DESNZ")));

    // The PDF, read as text, holds the exact total and the scopes.
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("inventory-2024.pdf");
    let csv = dir.path().join("tables");
    let out = env.run(&[
        "report",
        "--period",
        "2024",
        "--pdf",
        pdf.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF file");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/install-deps");
    assert!(
        text.status.success(),
        "pdftotext reads it: {}",
        stderr(&text)
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Greenhouse gas inventory 2024"), "{text}");
    assert!(
        text.contains(&format!("Exact total: {total} kg CO2e")),
        "{text}"
    );
    assert!(text.contains("Scope 2 (location-based)"), "{text}");
    assert!(text.contains("255.60"), "the Scope 2 line: {text}");
    assert!(text.contains("chain of hashes is intact"), "{text}");

    // The CSV tables: the scopes' file ends with the same total.
    let scopes = std::fs::read_to_string(csv.join("scopes.csv")).unwrap();
    assert!(
        scopes.lines().next().unwrap() == "scope,basis,kg_co2e",
        "{scopes}"
    );
    assert!(
        scopes.contains(&format!("total,location-based,{total}")),
        "{scopes}"
    );
    let rules = std::fs::read_to_string(csv.join("rules.csv")).unwrap();
    assert!(rules.contains("'=HYPERLINK"), "defused: {rules}");
    let trail = std::fs::read_to_string(csv.join("audit-trail.csv")).unwrap();
    assert!(
        trail.contains("entry_activity_data"),
        "the trail goes with the report"
    );
    let months = std::fs::read_to_string(csv.join("by-month.csv")).unwrap();
    assert_eq!(months.lines().count(), 13, "a header and 12 months");

    // A financial year starting in April, and the refusals.
    let fy = env.json(&[
        "report",
        "--period",
        "FY2024",
        "--fy-start-month",
        "4",
        "--json",
    ]);
    assert_eq!(fy["period"]["from"], "2024-04-01");
    assert_eq!(fy["period"]["to"], "2025-03-31");
    let out = env.run(&["report"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--period FY2024"), "{}", stderr(&out));
    let out = env.run(&["report", "--period", "2024-13"]);
    assert!(stderr(&out).contains("is not a period"), "{}", stderr(&out));
    // The same year named by both its years; a start month given with a calendar year is
    // refused, with the financial year it may have meant.
    let named = env.json(&[
        "report",
        "--period",
        "FY2024-25",
        "--fy-start-month",
        "4",
        "--json",
    ]);
    assert_eq!(named["period"]["label"], "FY2024-25");
    assert_eq!(named["totals"], fy["totals"]);
    let out = env.run(&["report", "--period", "2024", "--fy-start-month", "4"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "--fy-start-month is for a financial year, and 2024 is not one (2024-01-01 to \
             2024-12-31): write FY2024 for 2024-04-01 to 2025-03-31"
        ),
        "{}",
        stderr(&out)
    );
    // What a reader must know comes first: the unmapped entries, and a period with nothing.
    let warnings = |r: &Value| -> String {
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let unmapped = r["totals"]["unmapped"].as_i64().unwrap();
    assert!(unmapped > 0);
    assert!(
        warnings(&r).contains(&format!("{unmapped} entries are unmapped and not counted")),
        "{}",
        warnings(&r)
    );
    assert!(text.contains("Before relying on these numbers"), "{text}");
    let empty = env.json(&["report", "--period", "2019", "--json"]);
    assert!(
        warnings(&empty).contains("Nothing is dated in 2019"),
        "{}",
        warnings(&empty)
    );
    let a_file = dir.path().join("inventory-2024.pdf");
    let out = env.run(&[
        "report",
        "--period",
        "2024",
        "--csv",
        a_file.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is a file, not a folder"),
        "{}",
        stderr(&out)
    );
}

/// The company's scope an inventory line counts in, as `(scope, Scope 3 category)`.
fn counted_in(line: &Value) -> (i64, Option<i64>) {
    (
        line["scope"].as_i64().unwrap(),
        line["scope3_category"].as_i64(),
    )
}

#[test]
fn what_providers_report_counts_in_the_companys_scopes_once() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let us = env.connect(US)["id"].as_i64().unwrap();
    env.sync(us);
    let aws = env.json(&["connect", "aws", "--sandbox", "--json"])["id"]
        .as_i64()
        .unwrap();
    env.sync(aws);
    let sf = env.json(&["connect", "salesforce", "--timeout", "30", "--json"])["id"]
        .as_i64()
        .unwrap();
    env.sync(sf);

    let r = env.json(&["report", "--period", "2024", "--json"]);
    let inventory = decimal(&r["inventory_kg_co2e"]);
    let books = decimal(&r["totals"]["kg_co2e"]);
    let reported = decimal(&r["reported_kg_co2e"]);
    let replaced = decimal(&r["replaced_kg_co2e"]);
    assert!(reported > Decimal::ZERO, "the providers reported 2024: {r}");
    assert_eq!(inventory, books + reported - replaced);
    let s = &r["scopes"];
    assert_eq!(
        decimal(&s["scope1_kg_co2e"])
            + decimal(&s["scope2_location_kg_co2e"])
            + decimal(&s["scope3_kg_co2e"]),
        inventory
    );
    for table in ["by_connection", "by_category", "by_month", "method_mix"] {
        assert_eq!(sum(&r[table], "kg_co2e"), inventory, "{table} adds up");
    }
    assert_eq!(
        sum(&r["scope3_categories"], "kg_co2e"),
        decimal(&s["scope3_kg_co2e"])
    );

    // AWS's own scopes are the company's purchased services, and add up to what
    // `carbonsync cloud` shows for AWS in 2024, location-based.
    let lines = r["reported"].as_array().unwrap();
    let of =
        |id: i64| -> Vec<&Value> { lines.iter().filter(|l| l["connection_id"] == id).collect() };
    let aws_lines = of(aws);
    assert!(!aws_lines.is_empty());
    assert!(aws_lines
        .iter()
        .all(|l| counted_in(l) == (3, Some(1)) && l["method"] == "reported_by_supplier"));
    assert!(aws_lines.iter().any(|l| l["published_scope"] == 2));
    let aws_kg: Decimal = aws_lines.iter().map(|l| decimal(&l["kg_co2e"])).sum();
    let cloud = env.json(&[
        "cloud",
        "--connection",
        &aws.to_string(),
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--json",
    ]);
    assert_eq!(
        aws_kg,
        decimal(&cloud["totals"]["location_kg_co2e"]),
        "{cloud}"
    );
    let supplier = r["method_mix"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "reported_by_supplier")
        .expect("in the mix");
    assert_eq!(supplier["data_quality"], 1);

    // Net Zero Cloud's footprints are the company's own: Scope 1 comes from them, as the
    // books (spend only) have none.
    let sf_lines = of(sf);
    assert!(sf_lines
        .iter()
        .all(|l| l["scope"] == l["published_scope"] && l["method"] == "reported_by_inventory"));
    let sf_scope1: Decimal = sf_lines
        .iter()
        .filter(|l| l["scope"] == 1)
        .map(|l| decimal(&l["kg_co2e"]))
        .sum();
    assert!(sf_scope1 > Decimal::ZERO);
    assert_eq!(decimal(&s["scope1_kg_co2e"]), sf_scope1);
    let sf_market2: Decimal = sf_lines
        .iter()
        .filter(|l| l["scope"] == 2)
        .map(|l| decimal(&l["market_kg_co2e"]))
        .sum();
    assert!(decimal(&s["scope2_market_kg_co2e"]) >= sf_market2);

    // Each slice of the books left out is exactly the ledger's counted entries of that month,
    // scope and category, and names the footprint's connection.
    let ledger = ledger_between(&env, "2024-01-01", "2024-12-31");
    let left_out = r["replaced"].as_array().unwrap();
    assert!(
        !left_out.is_empty(),
        "Net Zero Cloud reports Scope 3 category 1 months the books estimate: {r}"
    );
    for line in left_out {
        let month = line["month"].as_str().unwrap();
        let entries: Vec<Value> = ledger
            .iter()
            .filter(|e| {
                e["date"].as_str().unwrap().starts_with(month)
                    && e["scope"] == line["scope"]
                    && e["scope3_category"] == line["scope3_category"]
            })
            .cloned()
            .collect();
        assert_eq!(counted_kg(&entries), decimal(&line["kg_co2e"]), "{line}");
        assert!(
            line["replaced_by"].as_str().unwrap().contains("Salesforce"),
            "{line}"
        );
    }

    // The monthly ESG report counts each month the same way: its Scope 2 for a month AWS
    // reports is the inventory's for that month (AWS's own Scope 2 is not the company's).
    let month = r["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2024-06")
        .unwrap();
    let monthly = env.json(&["report", "preview", "--period", "2024-06", "--json"]);
    let scope2 = monthly["by_scope"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == "Scope 2")
        .unwrap();
    assert_eq!(
        decimal(&scope2["t_co2e"]),
        (decimal(&month["by_scope"][1]) / dec!(1000)).normalize(),
        "{monthly}"
    );

    // One connection's report is that connection's alone: nothing replaced.
    let only_books = env.json(&[
        "report",
        "--period",
        "2024",
        "--connection",
        &us.to_string(),
        "--json",
    ]);
    assert_eq!(
        decimal(&only_books["inventory_kg_co2e"]),
        decimal(&only_books["totals"]["kg_co2e"])
    );
    assert!(only_books["reported"].as_array().unwrap().is_empty());
}

/// Rounds to six places, half away from zero, as the ledger keeps kg CO2e and quantities.
fn six(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[test]
fn a_quantity_estimated_from_spend_and_a_supplier_factor_give_hand_computed_scope_2() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let q = env.json(&["review", "--period", "2024", "--limit", "5000", "--json"]);
    let unmapped: Vec<&Value> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["why"] == "unmapped" && i["entry"]["currency"] == "GBP")
        .map(|i| &i["entry"])
        .filter(|e| decimal(&e["net_amount"]) > Decimal::ZERO)
        .collect();
    assert!(unmapped.len() >= 2, "two unmapped lines in pounds");
    let (a, b) = (unmapped[0], unmapped[1]);
    let a_id = a["id"].as_i64().unwrap().to_string();
    let b_id = b["id"].as_i64().unwrap().to_string();

    // A: electricity estimated from its amount at a stated price, with the supplier's factor.
    let decided = env.json(&[
        "review",
        "activity",
        &a_id,
        "--activity",
        "electricity-uk",
        "--price",
        "0.245",
        "--currency",
        "GBP",
        "--price-source",
        "Non-domestic electricity price, 2024 (stated by finance)",
        "--market-factor",
        "0.05",
        "--market-factor-source",
        "Supplier fuel mix disclosure 2024",
        "--json",
    ]);
    let kwh = six(decimal(&a["net_amount"]) / dec!(0.245));
    let a_kg = six(kwh * dec!(0.20705));
    let a_market = six(kwh * dec!(0.05));
    let shown = &decided[0];
    assert_eq!(shown["status"], "counted", "{shown}");
    assert_eq!(shown["scope"], 2);
    assert_eq!(decimal(&shown["kg_co2e"]), a_kg);
    assert_eq!(decimal(&shown["market_kg_co2e"]), a_market);
    let reason = shown["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("estimated from spend") && reason.contains(&kwh.to_string()),
        "{reason}"
    );

    // B: a measured quantity with a contract factor.
    env.json(&[
        "review",
        "activity",
        &b_id,
        "--activity",
        "electricity-uk",
        "--quantity",
        "1000",
        "--market-factor",
        "0.1",
        "--market-factor-source",
        "Renewable supply contract",
        "--json",
    ]);

    // The estimate stays in the queue, first, until someone gives the measured quantity.
    let q = env.json(&["review", "--period", "2024", "--limit", "3", "--json"]);
    assert_eq!(q["items"][0]["why"], "estimated", "{}", q["items"][0]);
    assert_eq!(q["items"][0]["entry"]["id"].to_string(), a_id);

    let r = env.json(&["report", "--period", "2024", "--json"]);
    let s = &r["scopes"];
    assert_eq!(
        decimal(&s["scope2_location_kg_co2e"]),
        a_kg + dec!(207.050000)
    );
    assert_eq!(decimal(&s["scope2_market_kg_co2e"]), a_market + dec!(100));
    let estimated = r["method_mix"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "estimated")
        .expect("the estimate is in the mix");
    assert_eq!(estimated["data_quality"], 3);
    assert_eq!(decimal(&estimated["kg_co2e"]), a_kg);

    // Refused in words: a price in another currency, a market factor for a fuel, both a
    // quantity and a price, a price without its source.
    let refused = |args: &[&str]| {
        let out = env.run(args);
        assert!(!out.status.success(), "{args:?}");
        stderr(&out)
    };
    let err = refused(&[
        "review",
        "activity",
        &b_id,
        "--activity",
        "electricity-uk",
        "--price",
        "0.3",
        "--currency",
        "USD",
        "--price-source",
        "x",
    ]);
    assert!(err.contains("is in GBP, and the price is in USD"), "{err}");
    let err = refused(&[
        "review",
        "activity",
        &b_id,
        "--activity",
        "diesel",
        "--quantity",
        "10",
        "--market-factor",
        "1",
        "--market-factor-source",
        "x",
    ]);
    assert!(
        err.contains("market-based factor is for purchased electricity"),
        "{err}"
    );
    let err = refused(&[
        "review",
        "activity",
        &b_id,
        "--activity",
        "electricity-uk",
        "--quantity",
        "10",
        "--price",
        "0.3",
        "--currency",
        "GBP",
        "--price-source",
        "x",
    ]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = refused(&[
        "review",
        "activity",
        &b_id,
        "--activity",
        "electricity-uk",
        "--price",
        "0.3",
    ]);
    assert!(err.contains("--price-source"), "{err}");
}
