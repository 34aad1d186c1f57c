//! The monthly report sent to Microsoft Teams from the window: a Teams destination added with
//! the sandbox's own workflow, the report of a month with data previewed (its total and its
//! chart), sent with Send now, and found in the destination's history and in the channel.
//!
//! The sandbox runs inside this test, so the test can ask it what Teams received; the app and
//! the CLI reach it through the configuration file. Xero is connected and synced through the
//! CLI (the window's own Xero sign-in is the main scenario's).

use crate::harness::Desktop;
use crate::{connect_and_sync_uk, desktop_on_sandbox};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Tonnes CO2e (a decimal, as `--json` prints it) as the messages and the window write them.
fn as_tonnes(t: &str) -> String {
    carbonsync_core::message_words::t_co2e(t.parse().expect("a decimal"))
}

/// Scrolls the element into view and lets the window paint before a screenshot.
async fn show(d: &Desktop, css: &str) {
    let el = d.find(css).await;
    let arg = serde_json::to_value(&el).unwrap();
    d.client
        .execute("arguments[0].scrollIntoView({block: 'start'});", vec![arg])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// A GET of the sandbox's, as JSON.
fn get_json(url: &str) -> Value {
    let out = std::process::Command::new("curl")
        .args(["-fsS", url])
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "GET {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_previews_the_monthly_report_and_sends_it_to_a_teams_channel() {
    let (sandbox, base, d) = desktop_on_sandbox(400).await;
    // A Xero organisation with data, connected and synced through the CLI (the window's own
    // Xero sign-in is the main scenario's).
    connect_and_sync_uk(&d).await;

    // The newest month with emissions counted.
    let by_month = d.cli_json(&["emissions", "--by", "month"]);
    let month = by_month["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| !g["scope"].is_null())
        .filter(|g| {
            g["kg_co2e"]
                .as_str()
                .and_then(|k| k.parse::<rust_decimal::Decimal>().ok())
                .is_some_and(|k| k > rust_decimal::Decimal::ZERO)
        })
        .filter_map(|g| g["key"].as_str())
        .max()
        .expect("a month with emissions")
        .to_owned();

    // A Teams destination: the sandbox's own workflow, whose URL never reaches the window.
    d.click("[data-testid=nav-notifications]").await;
    d.find("[data-testid=page-notifications]").await;
    d.click("[data-testid=sandbox-teams]").await;
    let destinations = {
        let start = Instant::now();
        loop {
            let list = d.cli_json(&["destinations"]);
            if list.as_array().is_some_and(|l| !l.is_empty()) {
                break list;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no destination was added: {list}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let dest = &destinations[0];
    assert_eq!(dest["platform"], "teams");
    assert_eq!(dest["sandbox"], true);
    let dest_id = dest["id"].as_i64().unwrap();
    d.text_until(
        &format!("[data-testid=destination-{dest_id}]"),
        "the destination",
        |t| t.contains("Microsoft Teams") && t.contains("1st at 09:00"),
    )
    .await;
    // The URL is in the keychain, and nowhere in the window.
    let secret = d
        .command("secret-tool")
        .args([
            "lookup",
            "service",
            "carbonsync",
            "username",
            dest["vault_key"].as_str().unwrap(),
        ])
        .output()
        .unwrap();
    let url = String::from_utf8_lossy(&secret.stdout).trim().to_owned();
    let signature = url.split("sig=").nth(1).unwrap_or_default().to_owned();
    assert!(
        url.starts_with("http") && signature.len() > 8,
        "the workflow's URL is in the keychain"
    );
    let page = d.find("[data-testid=page-notifications]").await;
    let html = page.html(false).await.unwrap();
    assert!(
        !html.contains(&signature),
        "the workflow's URL is not in the window"
    );

    // Preview the month: its total is the application's, written as the message writes it.
    d.find(&format!(
        "[data-testid=report-month] option[value='{month}']"
    ))
    .await;
    d.find("[data-testid=report-month]")
        .await
        .select_by_value(&month)
        .await
        .unwrap();
    d.click("[data-testid=report-preview]").await;
    let preview = d.cli_json(&["report", "preview", "--period", &month]);
    let want = as_tonnes(preview["total_t_co2e"].as_str().expect("the total"));
    let shown = d
        .text_until("[data-testid=report-total]", &want, |t| t == want)
        .await;
    let chart = d.find("[data-testid=report-chart]").await;
    let src = chart.attr("src").await.unwrap().unwrap_or_default();
    assert!(
        src.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "the chart is a PNG"
    );
    d.dismiss_notices().await;
    show(&d, "[data-testid=report-panel]").await;
    d.screenshot("notifications-report-preview").await;

    // Send now: the history says sent, and the channel has the card with the same total.
    d.click("[data-testid=report-send]").await;
    d.text_until("[data-testid=report-result]", "the report sent", |t| {
        t.contains("was sent to")
    })
    .await;
    let history = d.cli_json(&["destinations", "history", &dest_id.to_string()]);
    let delivery = &history[0];
    assert_eq!(delivery["kind"], "report");
    assert_eq!(delivery["subject"], month.as_str());
    assert_eq!(delivery["status"], "sent");
    let delivery_id = delivery["id"].as_i64().unwrap();
    d.text_until(
        &format!("[data-testid=delivery-status-{delivery_id}]"),
        "Sent",
        |t| t.contains("Sent"),
    )
    .await;
    let row = d
        .text_until(
            &format!("[data-testid=delivery-{delivery_id}]"),
            "the report's row",
            |t| t.contains("Monthly report"),
        )
        .await;
    assert!(row.contains("Sent by hand"), "{row}");

    let messages = get_json(&format!("{base}/_control/teams/messages"));
    let messages = messages.as_array().expect("a list of messages");
    assert_eq!(messages.len(), 1, "one card arrived: {messages:?}");
    assert_eq!(messages[0]["posted"], true, "{:?}", messages[0]);
    let card = messages[0]["card"].to_string();
    assert!(
        card.contains(&format!("Total: {shown}")),
        "the card says the total the window shows ({shown}): {card}"
    );
    show(&d, &format!("[data-testid=destination-{dest_id}]")).await;
    d.screenshot("notifications-sent").await;
    d.quit().await;
    drop(sandbox);
}
