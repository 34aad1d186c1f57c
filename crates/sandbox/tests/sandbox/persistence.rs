//! The state file: a restarted sandbox keeps its grants, tokens, settings and record changes.

use carbonsync_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn tokens_settings_and_record_changes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("sandbox").join("state.json");
    let opts = || SandboxOptions {
        state_path: Some(state_path.clone()),
        ..options()
    };

    let first = sandbox(opts()).await;
    let tokens = first.sign_in().await;
    first
        .control_ok(
            "/_control/settings",
            json!({"rate_limit": {"calls": 500, "window_secs": 60}, "access_token_ttl_secs": 900}),
        )
        .await;
    let changed = first
        .control_ok(
            "/_control/records/change",
            json!({"tenantId": UK, "stream": "bank_transactions", "count": 2}),
        )
        .await;
    let deleted = first
        .control_ok("/_control/records/delete", json!({"tenantId": US, "stream": "invoices", "ids": ["f1a00000-0000-4000-8000-000000000006"]}))
        .await;
    let before_uk = first
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    first.handle.shutdown().await;

    // Nothing that would let someone use the tokens is written down.
    let text = std::fs::read_to_string(&state_path).unwrap();
    assert!(!text.contains(&tokens.access) && !text.contains(&tokens.refresh));

    let second = sandbox(opts()).await;
    assert_eq!(
        second
            .api(&tokens.access, None, "/connections", None)
            .await
            .status(),
        StatusCode::OK
    );
    let settings = second.control_get("/_control/settings").await;
    assert_eq!(
        settings["rate_limit"],
        json!({"calls": 500, "window_secs": 60})
    );
    assert_eq!(settings["access_token_ttl_secs"], 900);

    let after_uk = second
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    assert_eq!(
        after_uk, before_uk,
        "the same records, changes included, in the same order"
    );
    let tail: Vec<&Value> = after_uk[after_uk.len() - 2..]
        .iter()
        .map(|r| &r["BankTransactionID"])
        .collect();
    assert_eq!(
        tail,
        changed["ids"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    );
    assert!(after_uk[after_uk.len() - 1]["Reference"]
        .as_str()
        .unwrap()
        .ends_with(" (amended)"));
    let us = second
        .all_records(&tokens.access, US, "/Invoices", None)
        .await;
    let f6 = us
        .iter()
        .find(|r| r["InvoiceID"] == deleted["ids"][0])
        .unwrap();
    assert_eq!(f6["Status"], "DELETED");

    // The refresh token still rotates, and the rotation is saved too.
    let refreshed: Value = second.refresh(&tokens.refresh).await.json().await.unwrap();
    assert_eq!(refreshed["expires_in"], 900);
    second.handle.shutdown().await;

    // The rotation is remembered across the restart: within the grace the old token can
    // still be retried, and once the grace is over it is refused.
    let third = sandbox(opts()).await;
    assert_eq!(
        third.refresh(&tokens.refresh).await.status(),
        StatusCode::OK
    );
    third
        .control_ok("/_control/refresh_grace", json!({"secs": 0}))
        .await;
    let reused = third.refresh(&tokens.refresh).await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    let new_refresh = refreshed["refresh_token"].as_str().unwrap();
    assert_eq!(third.refresh(new_refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_grant_stays_revoked_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || SandboxOptions {
        state_path: Some(dir.path().join("state.json")),
        ..options()
    };
    let first = sandbox(opts()).await;
    let tokens = first.sign_in().await;
    assert_eq!(first.revoke(&tokens.refresh).await.status(), StatusCode::OK);
    first.handle.shutdown().await;
    let second = sandbox(opts()).await;
    assert_eq!(
        second
            .api(&tokens.access, None, "/connections", None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn ties_new_settings_and_a_narrowed_grant_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || SandboxOptions {
        state_path: Some(dir.path().join("state.json")),
        ..options()
    };
    let first = sandbox(opts()).await;
    let us_only = first.sign_in_choosing(&[US]).await;
    first
        .control_ok(
            "/_control/settings",
            json!({"modified_since": "whole_seconds", "max_page_size": 25}),
        )
        .await;
    for (stream, op, count) in [
        ("bank_transactions", "change", 30),
        ("credit_notes", "delete", 1),
        ("bank_transactions", "delete", 5),
    ] {
        first
            .control_ok(
                &format!("/_control/records/{op}"),
                json!({"tenantId": US, "stream": stream, "count": count,
                       "same_updated": true, "whole_second": true}),
            )
            .await;
    }
    let before = first
        .walk(&us_only, US, "/BankTransactions", None, 25)
        .await;
    let notes_before = first.all_records(&us_only, US, "/CreditNotes", None).await;
    first.handle.shutdown().await;

    let second = sandbox(opts()).await;
    let settings = second.control_get("/_control/settings").await;
    assert_eq!(settings["modified_since"], "whole_seconds");
    assert_eq!(settings["max_page_size"], 25);
    let after = second
        .walk(&us_only, US, "/BankTransactions", None, 25)
        .await;
    assert_eq!(after, before, "the same records, ties and order included");
    let tail: Vec<i64> = after.0[after.0.len() - 35..]
        .iter()
        .map(|r| xero_ms(&r["UpdatedDateUTC"]))
        .collect();
    assert!(tail[..30].iter().all(|&s| s == tail[0] && s % 1000 == 0));
    assert!(tail[30..].iter().all(|&s| s == tail[30] && s > tail[0]));
    assert_eq!(
        second.all_records(&us_only, US, "/CreditNotes", None).await,
        notes_before
    );
    assert_eq!(
        second
            .api(&us_only, Some(UK), "/api.xro/2.0/Accounts", None)
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "the grant still reaches only what was ticked"
    );
}
