//! The monthly report's schedule: due on the destination's day and time (local), sent once
//! for the previous month, never for a month before the destination existed, and not at all
//! when turned off.

use carbonsync_core::{App, DestinationSettings, OpenOptions};
use carbonsync_sandbox::SandboxOptions;
use chrono::{Datelike, Local, TimeZone};

#[tokio::test]
async fn the_previous_months_report_goes_out_once_when_due_and_never_before() {
    let sandbox = carbonsync_sandbox::start(SandboxOptions::default(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(
        &config,
        format!("[sandbox]\nurl = \"{}\"\n", sandbox.base_url()),
    )
    .unwrap();
    let app = App::open(&OpenOptions {
        config_file: Some(config),
        data_dir: Some(dir.path().join("data")),
    })
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
    let now = Local::now();
    assert!(app.send_due_reports(now).await.unwrap().is_empty());

    // Next month, before 09:00 on the 1st: not yet; from 09:00: the month before, once.
    let next_month = (now.date_naive().with_day0(0).unwrap() + chrono::Months::new(1))
        .and_hms_opt(8, 59, 0)
        .unwrap();
    let early = Local.from_local_datetime(&next_month).earliest().unwrap();
    assert!(app.send_due_reports(early).await.unwrap().is_empty());
    let due = early + chrono::Duration::minutes(1);
    let sent = app.send_due_reports(due).await.unwrap();
    assert_eq!(sent.len(), 1);
    let expected = now.date_naive().format("%Y-%m").to_string();
    assert_eq!(
        sent[0].subject, expected,
        "the report of the month just ended"
    );
    assert_eq!(sent[0].trigger, "schedule");
    for minutes in [2, 60, 60 * 24 * 3] {
        let later = due + chrono::Duration::minutes(minutes);
        assert!(app.send_due_reports(later).await.unwrap().is_empty());
    }
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
    let month_after = due + chrono::Duration::days(32);
    assert!(app.send_due_reports(month_after).await.unwrap().is_empty());
    assert_eq!(cards().await.len(), 1);
}
