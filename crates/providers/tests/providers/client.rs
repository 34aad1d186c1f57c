//! The Xero client against a real HTTP server on a loopback port.

use std::time::{Duration, Instant};

use carbonsync_providers::xero::Timeouts;
use carbonsync_providers::{ProviderError, RetryPolicy, XeroClient, XeroEndpoints};
use chrono::{DateTime, NaiveDate, Utc};

use crate::support::{fast_retries, Canned, FakeXero, API, CONNECTIONS, TENANT, TOKEN};

fn bank_transactions() -> String {
    format!("{API}/BankTransactions")
}

fn invoices() -> String {
    format!("{API}/Invoices")
}

fn since() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-03-14T10:00:00.123Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// No part of an error may carry the access token, in either of its printed forms.
fn assert_no_token(error: &ProviderError) {
    assert!(!error.to_string().contains(TOKEN), "{error}");
    assert!(!format!("{error:?}").contains(TOKEN), "{error:?}");
}

#[tokio::test]
async fn lists_tenants_from_connections_with_the_bearer_token() {
    let xero = FakeXero::start().await;
    xero.on(CONNECTIONS, [Canned::fixture("connections.json")]);

    let tenants = xero.client().connections(TOKEN).await.unwrap();

    assert_eq!(tenants.len(), 2);
    assert_eq!(tenants[0].tenant_id, TENANT);
    assert_eq!(tenants[0].tenant_type, "ORGANISATION");
    assert_eq!(tenants[0].tenant_name, "Harbour Freight & Logistics Ltd");
    assert_eq!(tenants[0].id, "e1eede29-f875-4a5d-8470-17f6a29a88b1");
    assert_eq!(tenants[1].tenant_name, "", "null tenantName");
    let request = &xero.requests()[0];
    assert_eq!(request.path, CONNECTIONS);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("xero-tenant-id"), None);
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("CarbonSync/", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn reads_the_organisation_of_a_tenant() {
    let xero = FakeXero::start().await;
    xero.on(
        &format!("{API}/Organisation"),
        [Canned::fixture("organisation.json")],
    );

    let org = xero.client().organisation(TOKEN, TENANT).await.unwrap();

    assert_eq!(org.organisation_id, TENANT);
    assert_eq!(org.name, "Harbour Freight & Logistics");
    assert_eq!(org.base_currency, "GBP");
    assert_eq!(org.country_code, "GB");
    assert_eq!(xero.requests()[0].header("xero-tenant-id"), Some(TENANT));
}

#[tokio::test]
async fn reports_an_organisation_list_with_nobody_in_it_as_a_bad_response() {
    let xero = FakeXero::start().await;
    xero.on(
        &format!("{API}/Organisation"),
        [Canned::json(200, r#"{"Organisations":[]}"#)],
    );
    let error = xero.client().organisation(TOKEN, TENANT).await.unwrap_err();
    assert!(
        matches!(error, ProviderError::BadResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn reads_the_chart_of_accounts_without_paging() {
    let xero = FakeXero::start().await;
    xero.on(
        &format!("{API}/Accounts"),
        [Canned::fixture("accounts.json")],
    );

    let fetched = xero.client().accounts(TOKEN, TENANT, None).await.unwrap();

    assert_eq!(fetched.calls, 1);
    assert_eq!(fetched.rate_limited, 0);
    assert_eq!(fetched.waited, Duration::ZERO);
    let codes: Vec<Option<&str>> = fetched.items.iter().map(|a| a.code.as_deref()).collect();
    assert_eq!(codes, [Some("090"), Some("449"), None]);
    let motor = &fetched.items[1];
    assert_eq!(motor.account_type, "OVERHEADS");
    assert_eq!(motor.class.as_deref(), Some("EXPENSE"));
    assert_eq!(motor.tax_type.as_deref(), Some("INPUT2"));
    assert_eq!(motor.status, "ACTIVE");
    assert_eq!(fetched.items[2].status, "ARCHIVED");
    let request = &xero.requests()[0];
    assert!(request.query.is_empty(), "{:?}", request.query);
    assert_eq!(request.header("if-modified-since"), None);
}

#[tokio::test]
async fn sends_tenant_paging_order_and_modified_since_for_bank_transactions() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::fixture("bank_transactions.json")],
    );

    let fetched = xero
        .client()
        .bank_transactions(TOKEN, TENANT, Some(since()), 2)
        .await
        .unwrap();

    assert_eq!(fetched.items.len(), 3);
    assert_eq!(
        fetched.items[0].date,
        NaiveDate::from_ymd_opt(2024, 3, 12).unwrap()
    );
    assert!(fetched.is_last_page(100));
    let request = &xero.requests()[0];
    assert_eq!(request.path, bank_transactions());
    assert_eq!(request.header("xero-tenant-id"), Some(TENANT));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("if-modified-since"),
        Some("2024-03-14T10:00:00.123Z")
    );
    assert_eq!(request.query("page"), Some("2"));
    assert_eq!(request.query("pageSize"), Some("100"));
    assert_eq!(request.query("order"), Some("UpdatedDateUTC ASC"));
    assert_eq!(request.query("where"), None);
}

#[tokio::test]
async fn asks_the_invoices_endpoint_for_bills_only() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::fixture("bills.json")]);

    let fetched = xero.client().bills(TOKEN, TENANT, None, 1).await.unwrap();

    assert_eq!(fetched.items.len(), 1);
    assert_eq!(
        fetched.items[0].invoice_number.as_deref(),
        Some("DHL-88123")
    );
    let request = &xero.requests()[0];
    assert_eq!(request.query("where"), Some(r#"Type=="ACCPAY""#));
    assert_eq!(request.query("page"), Some("1"));
    assert_eq!(request.query("order"), Some("UpdatedDateUTC ASC"));
    assert_eq!(request.header("if-modified-since"), None);
}

#[tokio::test]
async fn uses_the_configured_page_size() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::fixture("bank_transactions.json")],
    );
    let client = XeroClient::new(xero.endpoints(), 3, fast_retries()).unwrap();

    let fetched = client
        .bank_transactions(TOKEN, TENANT, None, 1)
        .await
        .unwrap();

    assert_eq!(xero.requests()[0].query("pageSize"), Some("3"));
    assert!(!fetched.is_last_page(client.page_size()));
}

#[tokio::test]
async fn waits_out_a_429_for_its_retry_after_then_succeeds() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [
            Canned::json(429, "")
                .header("Retry-After", "1")
                .header("X-Rate-Limit-Problem", "minute"),
            Canned::fixture("bank_transactions.json"),
        ],
    );
    let started = Instant::now();

    let fetched = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1)
        .await
        .unwrap();

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fetched.items.len(), 3);
    assert_eq!(fetched.calls, 2);
    assert_eq!(fetched.rate_limited, 1);
    assert_eq!(fetched.waited, Duration::from_secs(1));
    assert_eq!(xero.requests_to(&bank_transactions()), 2);
}

#[tokio::test]
async fn caps_a_long_retry_after_at_the_longest_allowed_wait() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [
            Canned::json(429, "").header("Retry-After", "3600"),
            Canned::fixture("bills.json"),
        ],
    );
    let client = xero.client_with(RetryPolicy {
        max_wait: Duration::from_millis(50),
        ..fast_retries()
    });

    let fetched = client.bills(TOKEN, TENANT, None, 1).await.unwrap();

    assert_eq!(fetched.waited, Duration::from_millis(50));
    assert_eq!(fetched.rate_limited, 1);
}

#[tokio::test]
async fn backs_off_when_a_429_has_no_retry_after() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [Canned::status(429), Canned::fixture("bills.json")],
    );

    let fetched = xero.client().bills(TOKEN, TENANT, None, 1).await.unwrap();

    assert_eq!(fetched.rate_limited, 1);
    // First backoff step of fast_retries(): between half of 5 ms and 5 ms.
    assert!(
        fetched.waited >= Duration::from_micros(2500),
        "{:?}",
        fetched.waited
    );
    assert!(
        fetched.waited <= Duration::from_millis(5),
        "{:?}",
        fetched.waited
    );
}

#[tokio::test]
async fn reports_rate_limited_once_every_attempt_is_used() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::status(429).header("Retry-After", "0")],
    );

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::ZERO)
        }
    );
    assert!(error.is_retryable());
    assert!(!error.is_auth());
    assert_eq!(xero.requests_to(&bank_transactions()), 4, "max_attempts");
}

#[tokio::test]
async fn hands_the_daily_limit_back_at_once_instead_of_waiting_hours() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::status(429)
            .header("Retry-After", "43200")
            .header("X-Rate-Limit-Problem", "day")],
    );

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(43200))
        }
    );
    assert_eq!(xero.requests_to(&bank_transactions()), 1);
}

#[tokio::test]
async fn retries_a_500_then_succeeds() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [
            Canned::json(500, r#"{"Title":"An error occurred"}"#),
            Canned::fixture("bank_transactions.json"),
        ],
    );

    let fetched = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1)
        .await
        .unwrap();

    assert_eq!(fetched.items.len(), 3);
    assert_eq!(fetched.calls, 2);
    assert_eq!(fetched.rate_limited, 0);
    assert!(fetched.waited > Duration::ZERO);
}

#[tokio::test]
async fn retries_every_transient_gateway_status() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [
            Canned::status(502),
            Canned::status(503),
            Canned::status(504),
            Canned::fixture("bills.json"),
        ],
    );

    let fetched = xero.client().bills(TOKEN, TENANT, None, 1).await.unwrap();

    assert_eq!(fetched.calls, 4);
    assert_eq!(fetched.items.len(), 1);
}

#[tokio::test]
async fn gives_up_on_a_server_error_after_the_last_attempt() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::status(503)]);
    let client = xero.client_with(RetryPolicy {
        max_attempts: 3,
        ..fast_retries()
    });

    let error = client.bills(TOKEN, TENANT, None, 1).await.unwrap_err();

    assert!(
        matches!(error, ProviderError::Server { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable(), "the scheduler may try again later");
    assert_eq!(xero.requests_to(&invoices()), 3);
}

#[tokio::test]
async fn does_not_retry_a_501() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::status(501)]);
    let error = xero
        .client()
        .bills(TOKEN, TENANT, None, 1)
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::Server { status: 501, .. }));
    assert!(!error.is_retryable());
    assert_eq!(xero.requests_to(&invoices()), 1);
}

#[tokio::test]
async fn reports_broken_json_by_endpoint_and_position_without_its_content() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::json(
            200,
            r#"{"BankTransactions":[{"BankTransactionID":"CONFIDENTIAL-PAYEE","Type":"SPEND""#,
        )],
    );

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1)
        .await
        .unwrap_err();

    let ProviderError::BadResponse { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("BankTransactions"), "{detail}");
    assert!(detail.contains("line 1 column"), "{detail}");
    assert!(!detail.contains("CONFIDENTIAL"), "{detail}");
    assert!(!error.is_retryable());
    assert_no_token(&error);
    assert_eq!(xero.requests_to(&bank_transactions()), 1, "not retried");
}

#[tokio::test]
async fn reports_a_wrongly_typed_field_without_echoing_its_value() {
    let xero = FakeXero::start().await;
    let body = crate::support::fixture("bills.json")
        .replace(r#""Total": 540.00"#, r#""Total": "CONFIDENTIAL-AMOUNT""#);
    assert!(body.contains("CONFIDENTIAL-AMOUNT"));
    xero.on(&invoices(), [Canned::json(200, body)]);

    let error = xero
        .client()
        .bills(TOKEN, TENANT, None, 1)
        .await
        .unwrap_err();

    let ProviderError::BadResponse { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("Invoices"), "{detail}");
    assert!(detail.contains("unexpected shape"), "{detail}");
    assert!(!detail.contains("CONFIDENTIAL"), "{detail}");
}

#[tokio::test]
async fn does_not_retry_a_401_and_keeps_the_token_out_of_the_error() {
    let xero = FakeXero::start().await;
    // A server that (wrongly) echoes the token must not get it into our message.
    let body = format!(
        r#"{{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"TokenExpired: token {TOKEN} expired"}}"#
    );
    xero.on(
        &bank_transactions(),
        [Canned::json(401, body).header("WWW-Authenticate", &format!("Bearer {TOKEN}"))],
    );

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1)
        .await
        .unwrap_err();

    let ProviderError::Unauthorized { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("TokenExpired"), "{detail}");
    assert!(error.is_auth());
    assert!(!error.is_retryable());
    assert_no_token(&error);
    assert_eq!(xero.requests_to(&bank_transactions()), 1);
}

#[tokio::test]
async fn does_not_retry_a_403_or_a_404() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [Canned::json(
            403,
            r#"{"Title":"Forbidden","Detail":"AuthenticationUnsuccessful"}"#,
        )],
    );
    let client = xero.client();

    let forbidden = client.bills(TOKEN, TENANT, None, 1).await.unwrap_err();
    assert!(
        matches!(forbidden, ProviderError::Forbidden { .. }),
        "{forbidden:?}"
    );
    assert!(forbidden.is_auth());
    assert!(!forbidden.is_retryable());
    assert_eq!(xero.requests_to(&invoices()), 1);

    // Nothing is scripted for /Accounts, so the fake answers 404.
    let missing = client.accounts(TOKEN, TENANT, None).await.unwrap_err();
    assert!(
        matches!(missing, ProviderError::Server { status: 404, .. }),
        "{missing:?}"
    );
    assert!(!missing.is_retryable());
    assert!(!missing.is_auth());
    assert_eq!(xero.requests_to(&format!("{API}/Accounts")), 1);
}

#[tokio::test]
async fn does_not_follow_a_redirect() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [Canned::status(302).header("Location", "/elsewhere")],
    );
    xero.on("/elsewhere", [Canned::fixture("bills.json")]);

    let error = xero
        .client()
        .bills(TOKEN, TENANT, None, 1)
        .await
        .unwrap_err();

    assert!(
        matches!(error, ProviderError::Server { status: 302, .. }),
        "{error:?}"
    );
    assert_eq!(xero.requests_to("/elsewhere"), 0);
}

#[tokio::test]
async fn treats_not_modified_as_no_changes() {
    let xero = FakeXero::start().await;
    xero.on(&bank_transactions(), [Canned::status(304)]);

    let fetched = xero
        .client()
        .bank_transactions(TOKEN, TENANT, Some(since()), 1)
        .await
        .unwrap();

    assert!(fetched.items.is_empty());
    assert_eq!(fetched.calls, 1);
}

#[tokio::test]
async fn times_out_a_stalled_answer_and_asks_again() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [
            Canned::fixture("bills.json").after(Duration::from_secs(5)),
            Canned::fixture("bills.json"),
        ],
    );
    let client = XeroClient::with_timeouts(
        xero.endpoints(),
        100,
        fast_retries(),
        Timeouts {
            connect: Duration::from_secs(1),
            request: Duration::from_millis(300),
        },
    )
    .unwrap();

    let fetched = client.bills(TOKEN, TENANT, None, 1).await.unwrap();

    assert_eq!(fetched.calls, 2);
    assert_eq!(fetched.items.len(), 1);
}

#[tokio::test]
async fn retries_a_refused_connection_then_reports_a_transport_error() {
    // Bind and release a port so that nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoints = XeroEndpoints::sandbox(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = XeroClient::new(endpoints, 100, fast_retries()).unwrap();
    let started = Instant::now();

    let error = client.connections(TOKEN).await.unwrap_err();

    let ProviderError::Transport { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("connections"), "{detail}");
    assert!(!detail.contains(&port.to_string()), "no URL: {detail}");
    assert!(error.is_retryable());
    assert_no_token(&error);
    // Three backoffs of fast_retries() happened: at least 2.5 + 5 + 10 ms halves.
    assert!(started.elapsed() >= Duration::from_millis(8));
}

#[test]
fn refuses_an_unusable_configuration() {
    let good = XeroEndpoints::sandbox("http://127.0.0.1:1").unwrap();
    let invalid = |result: Result<XeroClient, ProviderError>| {
        matches!(result, Err(ProviderError::InvalidConfig { .. }))
    };
    assert!(invalid(XeroClient::new(
        good.clone(),
        0,
        RetryPolicy::default()
    )));
    assert!(invalid(XeroClient::new(
        good.clone(),
        100,
        RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        }
    )));
    let mut bad = good.clone();
    bad.api_base = "api.xero.com/api.xro/2.0".into();
    assert!(invalid(XeroClient::new(bad, 100, RetryPolicy::default())));
    let mut bad = good;
    bad.connections = "ftp://api.xero.com/connections".into();
    assert!(invalid(XeroClient::new(bad, 100, RetryPolicy::default())));
}

#[tokio::test]
async fn refuses_page_zero_without_a_request() {
    let xero = FakeXero::start().await;
    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 0)
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::InvalidConfig { .. }));
    assert!(xero.requests().is_empty());
}

#[test]
fn builds_production_endpoints_from_the_catalogue() {
    let production = XeroEndpoints::production().unwrap();
    assert_eq!(production.api_base, "https://api.xero.com/api.xro/2.0");
    assert_eq!(production.connections, "https://api.xero.com/connections");
    assert!(XeroClient::new(production, 100, RetryPolicy::default()).is_ok());
}

#[test]
fn defaults_the_retry_policy_to_six_attempts_a_minute_cap_and_half_a_second() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.max_attempts, 6);
    assert_eq!(policy.max_wait, Duration::from_secs(60));
    assert_eq!(policy.base_backoff, Duration::from_millis(500));
}

#[test]
fn formats_modified_since_as_utc_with_milliseconds() {
    assert_eq!(
        carbonsync_providers::xero::format_modified_since(since()),
        "2024-03-14T10:00:00.123Z"
    );
}

#[tokio::test]
async fn refuses_a_tenant_id_that_cannot_be_a_header_without_retrying() {
    let xero = FakeXero::start().await;
    let error = xero
        .client()
        .organisation(TOKEN, "tenant\nwith-a-newline")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::InvalidConfig { .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_no_token(&error);
    assert!(xero.requests().is_empty());
}
