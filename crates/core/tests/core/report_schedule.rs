//! The monthly report's schedule: due on the destination's day and time (local), sent once
//! for the previous month, never for a month before the destination existed, not at all when
//! turned off; a month with nothing synced is not sent as zeros but said in the history once.

use carbonsync_core::{App, ConnectOutcome, DestinationSettings, OpenOptions};
use carbonsync_sandbox::{SandboxOptions, UK_TENANT_ID};
use chrono::{Local, TimeZone};

/// The sandbox approves by itself and redirects to the deep link, as a browser would.
async fn answer(authorize_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(authorize_url).send().await.unwrap();
    r.headers()["location"].to_str().unwrap().to_string()
}

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Local> {
    Local
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
}

#[tokio::test]
async fn the_previous_months_report_goes_out_once_when_due_and_never_before() {
    let sandbox = carbonsync_sandbox::start(
        SandboxOptions {
            auto_approve: true,
            records_per_org: 300,
            rate_limit: None,
            ..SandboxOptions::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(
        &config,
        format!("[sandbox]\nurl = \"{}\"\n", sandbox.base_url()),
    )
    .unwrap();
    let opts = OpenOptions {
        config_file: Some(config),
        data_dir: Some(dir.path().join("data")),
    };
    let app = App::open(&opts).unwrap();
    // The UK organisation, synced: its books run to December 2024.
    let link = answer(&app.begin_connect("xero").await.unwrap()).await;
    let ConnectOutcome::ChooseTenant { choice_id, .. } = app.complete_connect(&link).await.unwrap()
    else {
        panic!("two organisations to choose from")
    };
    let conn = app.choose_tenant(&choice_id, UK_TENANT_ID).await.unwrap();
    app.sync(
        conn.id,
        &carbonsync_core::SyncOptions::new(carbonsync_core::Trigger::Cli),
    )
    .await
    .unwrap();

    let url = app.sandbox_destination_url("teams").await.unwrap();
    let dest = app
        .add_webhook_destination("teams", &url, Some("ESG channel"), true)
        .await
        .unwrap();
    assert_eq!((dest.report_day, dest.report_time.as_str()), (1, "09:00"));
    let cards = || async {
        reqwest::get(format!("{}/_control/teams/messages", sandbox.base_url()))
            .await
            .unwrap()
            .json::<Vec<serde_json::Value>>()
            .await
            .unwrap()
    };

    // The 1st of this month at 09:00 came before the destination existed: nothing now.
    assert!(app.send_due_reports(Local::now()).await.unwrap().is_empty());

    // As if it had been added in mid-December 2024 (its creation time set in the file).
    let db = rusqlite::Connection::open(dir.path().join("data/carbonsync.sqlite3")).unwrap();
    db.execute(
        "UPDATE destinations SET created_at_ms = ?1",
        [local(2024, 12, 15, 12, 0).timestamp_millis()],
    )
    .unwrap();
    drop(db);
    // 1 January 2025, before 09:00: not yet; from 09:00: December 2024's, once.
    assert!(app
        .send_due_reports(local(2025, 1, 1, 8, 59))
        .await
        .unwrap()
        .is_empty());
    let sent = app.send_due_reports(local(2025, 1, 1, 9, 0)).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].subject, "2024-12",
        "the report of the month just ended"
    );
    assert_eq!(
        (sent[0].trigger.as_str(), sent[0].chart_sent),
        ("schedule", true)
    );
    for later in [
        local(2025, 1, 1, 9, 2),
        local(2025, 1, 1, 10, 0),
        local(2025, 1, 4, 9, 0),
    ] {
        assert!(app.send_due_reports(later).await.unwrap().is_empty());
    }
    assert_eq!(cards().await.len(), 1);

    // A month with nothing synced: no report of zeros, the reason in the history, once.
    for tick in [
        local(2025, 3, 1, 9, 0),
        local(2025, 3, 1, 9, 1),
        local(2025, 3, 2, 9, 0),
    ] {
        assert!(app.send_due_reports(tick).await.unwrap().is_empty());
    }
    let history = app.destination_history(dest.id, 10).unwrap();
    let not_sent: Vec<_> = history.iter().filter(|d| d.subject == "2025-02").collect();
    assert_eq!(not_sent.len(), 1, "{history:?}");
    assert_eq!(not_sent[0].error_code.as_deref(), Some("empty_period"));
    assert!(not_sent[0]
        .error_message
        .as_deref()
        .unwrap()
        .contains("Nothing was synced for February 2025"));
    assert_eq!(cards().await.len(), 1);

    // Turned off: nothing the month after either.
    app.set_destination_settings(
        dest.id,
        &DestinationSettings {
            report_enabled: Some(false),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(app
        .send_due_reports(local(2025, 2, 1, 9, 0))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(cards().await.len(), 1);
}
