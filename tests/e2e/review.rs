//! The review in the window: a person reclassifies an unmapped timber bill from the queue as
//! sawmill products, with a factor found by searching, and gets the kg CO2e the published
//! factor gives by hand;
//! then makes a rule for similar entries from that decision, previews what it would change and
//! saves it; then opens the inventory report of 2024, whose total is the CLI's, and goes from
//! a figure to the entries behind it and on to one entry's trail in two clicks. The CLI, on
//! the same database, agrees with everything the window showed.

use crate::harness::cli;
use crate::{connect_and_sync_uk, desktop_on_sandbox};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use std::time::Duration;

fn decimal(v: &Value) -> Decimal {
    v.as_str()
        .expect("a decimal string")
        .parse()
        .expect("a decimal")
}

/// kg CO2e as the report writes it: two places, thousands separated, half away from zero.
fn as_report_kg(kg: Decimal) -> String {
    format!(
        "{} kg CO2e",
        carbonsync_core::message_words::grouped(kg, 2, '-')
    )
}

/// The sandbox's timber merchant.
const SUPPLIER: &str = "Arnold Laver Timber";

/// kg CO2e of `amount` GBP spent in 2024 with factor 321113, Sawmills (0.264 kg CO2e per 2022
/// USD with margins): USD per GBP 2024 1.2781 (Federal Reserve G.5A), GDP price index 2022
/// 117.996 and 2024 125.224 (BEA), rounded once to the milligram.
fn sawmills_2024_gbp(amount: Decimal) -> Decimal {
    (amount * Decimal::new(12781, 4) * Decimal::new(117996, 3) / Decimal::new(125224, 3)
        * Decimal::new(264, 3))
    .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_reclassifies_an_entry_in_the_window_and_makes_a_rule_from_it() {
    let (sandbox, _base, d) = desktop_on_sandbox(300).await;
    connect_and_sync_uk(&d).await;

    // The queue's first page, as the window shows it: an unmapped 2024 line from the timber
    // merchant, whose other lines a rule can then decide.
    let queue = d.cli_json(&["review", "--limit", "50"]);
    let ledger = d.cli_json(&["emissions", "--ledger", "--limit", "100000"]);
    let items = queue["items"].as_array().unwrap();
    let pick = items
        .iter()
        .map(|i| &i["entry"])
        .find(|e| {
            e["status"] == "unmapped"
                && e["currency"] == "GBP"
                && e["date"].as_str().unwrap().starts_with("2024-")
                && e["contact"] == SUPPLIER
        })
        .expect("an unmapped 2024 timber bill on the queue's first page")
        .clone();
    let entry = pick["id"].as_i64().unwrap();
    let supplier = pick["contact"].as_str().unwrap().to_owned();
    let kg = sawmills_2024_gbp(decimal(&pick["net_amount"]));

    // Reclassify it in the window: search the factors, pick 321113, name the category.
    d.click("[data-testid=nav-review]").await;
    d.find("[data-testid=page-review]").await;
    d.text_until("[data-testid=review-progress]", "the progress", |t| {
        t.contains("reviewed")
    })
    .await;
    d.click(&format!("[data-testid=review-select-{entry}]"))
        .await;
    d.click("[data-testid=review-reclassify]").await;
    d.find("[data-testid=factor-search]")
        .await
        .send_keys("sawmills")
        .await
        .unwrap();
    d.click("[data-testid=factor-option-321113]").await;
    let category = d.find("[data-testid=reclassify-category]").await;
    category.clear().await.unwrap();
    category.send_keys("Timber").await.unwrap();
    d.find("[data-testid=reclassify-scope3]")
        .await
        .select_by_value("1")
        .await
        .unwrap();
    d.screenshot("review-reclassify").await;
    d.click("[data-testid=reclassify-save]").await;
    d.find("[data-testid=review-decided]").await;

    // The application decided it as the window asked, with the published factor's kg.
    let shown = d.cli_json(&["review", "show", &entry.to_string()]);
    assert_eq!(shown["entry"]["status"], "counted");
    assert_eq!(shown["entry"]["category"], "Timber");
    assert_eq!(shown["entry"]["factor_code"], "321113");
    assert_eq!(shown["entry"]["scope3_category"], 1);
    assert_eq!(decimal(&shown["entry"]["kg_co2e"]), kg);
    assert_eq!(shown["history"][0]["action"], "entry_reclassified");
    // It left the queue.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(d
        .client
        .find(fantoccini::Locator::Css(&format!(
            "[data-testid=review-row-{entry}]"
        )))
        .await
        .is_err());

    // Apply to similar: the rule form comes prefilled from the decision; preview, then save
    // (the notice of the decision is read and dismissed first, as a person would).
    d.dismiss_notices().await;
    d.click("[data-testid=apply-to-similar]").await;
    let name = d.find("[data-testid=rule-name]").await;
    name.clear().await.unwrap();
    name.send_keys("Timber from Arnold Laver").await.unwrap();
    let prefilled = d
        .find("[data-testid=rule-supplier]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(prefilled, SUPPLIER, "the rule matches the entry's supplier");
    d.click("[data-testid=rule-preview]").await;
    let preview = d
        .text_until("[data-testid=rule-preview-count]", "the preview", |t| {
            t.starts_with("Saving it would change")
        })
        .await;
    d.screenshot("review-rule-preview").await;
    d.dismiss_notices().await;
    d.click("[data-testid=rule-save]").await;
    d.find("[data-testid=rules-list]").await;

    let rules = d.cli_json(&["rules"]);
    let rule = &rules.as_array().expect("the rules")[0];
    assert_eq!(rule["name"], "Timber from Arnold Laver");
    assert_eq!(rule["match"]["supplier"], supplier.as_str());
    assert_eq!(rule["classification"]["factor_code"], "321113");
    let rule_id = rule["id"].as_i64().unwrap();
    let listed = d
        .text_until(
            &format!("[data-testid=rule-row-{rule_id}]"),
            "the saved rule",
            |t| t.contains("Timber from Arnold Laver"),
        )
        .await;
    // What the preview promised is what the rule decides: every other line of the supplier
    // (the reclassified one is the person's decision, which outranks the rule).
    let others = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["contact"] == supplier.as_str() && o["id"] != entry)
        .filter(|o| !(o["status"] == "excluded" && o["rule_id"].is_null()))
        .count() as i64;
    assert_eq!(rule["entries"], others, "{listed}");
    let want = if others == 1 {
        "1 entry".to_owned()
    } else {
        format!("{others} entries")
    };
    assert!(preview.contains(&want), "{preview} (want {want})");
    d.screenshot("review-rules").await;

    // The inventory report of 2024: its total is the application's, and two clicks lead from
    // a figure to an entry's whole trail.
    d.click("[data-testid=nav-report]").await;
    d.find("[data-testid=page-report]").await;
    d.find("[data-testid=report-period] option[value='2024']")
        .await;
    d.find("[data-testid=report-period]")
        .await
        .select_by_value("2024")
        .await
        .unwrap();
    let report = d.cli_json(&["report", "--period", "2024"]);
    let want = as_report_kg(decimal(&report["totals"]["kg_co2e"]));
    d.text_until("[data-testid=report-total]", &want, |t| t == want)
        .await;
    d.text_until("[data-testid=report-audit]", "the chain's state", |t| {
        t.contains("intact")
    })
    .await;
    d.screenshot("report").await;
    // The Timber figure (the rule's category) lists its entries; one opens its trail.
    d.click("[data-testid=report-by-category-Timber] button")
        .await;
    d.find("[data-testid=report-entries]").await;
    d.click(&format!("[data-testid=report-entry-{entry}]"))
        .await;
    d.text_until("[data-testid=entry-kg]", "the entry's kg", |t| {
        t.contains("kg CO2e")
    })
    .await;
    let trail = d
        .text_until("[data-testid=entry-detail]", "the entry's trail", |t| {
            t.contains("321113")
        })
        .await;
    assert!(trail.contains("Timber"), "{trail}");

    let check = d.command(cli()).args(["audit", "verify"]).output().unwrap();
    assert!(check.status.success(), "the audit chain holds");
    d.quit().await;
    drop(sandbox);
}
