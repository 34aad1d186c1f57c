//! The Xero client against a real HTTP server on a loopback port: what it sends, and how it
//! reports answers that are not worth asking again. Retries live in `retries`, record reading in
//! `records`, paging in `paging`.

use rust_decimal::dec;
use std::time::{Duration, Instant};

use carbonsync_providers::xero::Timeouts;
use carbonsync_providers::{CallMeter, ProviderError, RetryPolicy, XeroClient, XeroEndpoints};
use chrono::NaiveDate;

use crate::support::{
    accounts, assert_no_token, bank_transactions, credit_notes, fast_retries, invoices, utc,
    Canned, FakeXero, API, CONNECTIONS, TENANT, TOKEN,
};

fn since() -> chrono::DateTime<chrono::Utc> {
    utc("2024-03-14T10:00:00.123Z")
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
    xero.on(&accounts(), [Canned::fixture("accounts.json")]);
    let meter = CallMeter::default();

    let page = xero
        .client()
        .accounts(TOKEN, TENANT, None, &meter)
        .await
        .unwrap();

    assert_eq!(meter.calls(), 1);
    assert_eq!(meter.rate_limited(), 0);
    assert_eq!(meter.waited(), Duration::ZERO);
    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    assert_eq!(page.pagination, None, "Xero does not page accounts");
    assert_eq!(page.server_time, Some(utc("2024-03-14T10:00:00.123Z")));
    let codes: Vec<Option<&str>> = page.items.iter().map(|a| a.code.as_deref()).collect();
    assert_eq!(codes, [Some("090"), Some("449"), None]);
    let motor = &page.items[1];
    assert_eq!(motor.account_id, "7d7a1f2e-3b4c-4d5e-8f90-a1b2c3d4e5f6");
    assert_eq!(motor.name.as_deref(), Some("Motor Vehicle Expenses"));
    assert_eq!(motor.account_type.as_deref(), Some("OVERHEADS"));
    assert_eq!(motor.class.as_deref(), Some("EXPENSE"));
    assert_eq!(motor.tax_type.as_deref(), Some("INPUT2"));
    assert_eq!(motor.status.as_deref(), Some("ACTIVE"));
    assert_eq!(motor.updated, Some(utc("2023-11-02T14:20:11.250Z")));
    assert_eq!(page.items[2].status.as_deref(), Some("ARCHIVED"));
    let request = &xero.requests()[0];
    assert_eq!(request.path, accounts());
    assert!(request.query.is_empty(), "{:?}", request.query);
    assert_eq!(request.header("xero-tenant-id"), Some(TENANT));
    assert_eq!(request.header("if-modified-since"), None);
}

#[tokio::test]
async fn sends_tenant_paging_order_and_modified_since_for_bank_transactions() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::fixture("bank_transactions.json")],
    );
    let meter = CallMeter::default();

    let page = xero
        .client()
        .bank_transactions(TOKEN, TENANT, Some(since()), 2, &meter)
        .await
        .unwrap();

    assert_eq!(page.items.len(), 3);
    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    assert_eq!(
        page.items[0].date,
        NaiveDate::from_ymd_opt(2024, 3, 12).unwrap()
    );
    assert_eq!(page.server_time, Some(utc("2024-03-14T11:15:02Z")));
    assert!(page.is_last(2, 100), "3 records when 100 were asked for");
    assert_eq!(meter.calls(), 1);
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

    let page = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].invoice_number.as_deref(), Some("DHL-88123"));
    let request = &xero.requests()[0];
    assert_eq!(request.path, invoices());
    assert_eq!(request.query("where"), Some(r#"Type=="ACCPAY""#));
    assert_eq!(request.query("page"), Some("1"));
    assert_eq!(request.query("order"), Some("UpdatedDateUTC ASC"));
    assert_eq!(request.header("if-modified-since"), None);
}

#[tokio::test]
async fn asks_the_credit_notes_endpoint_for_supplier_credit_notes_only() {
    let xero = FakeXero::start().await;
    xero.on(&credit_notes(), [Canned::fixture("credit_notes.json")]);
    let meter = CallMeter::default();

    let page = xero
        .client()
        .supplier_credit_notes(TOKEN, TENANT, Some(since()), 3, &meter)
        .await
        .unwrap();

    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    assert_eq!(page.items.len(), 1);
    let note = &page.items[0];
    assert_eq!(note.id, "b4c1f7e2-58d3-4a9e-9c61-2f0d8e7a3b15");
    assert_eq!(note.kind, "ACCPAYCREDIT");
    assert_eq!(note.credit_note_number.as_deref(), Some("CN-DHL-0042"));
    assert_eq!(note.contact_name.as_deref(), Some("DHL Express UK"));
    assert_eq!(note.date, NaiveDate::from_ymd_opt(2024, 3, 8).unwrap());
    assert_eq!(note.currency.as_deref(), Some("GBP"));
    assert_eq!(note.status.as_deref(), Some("AUTHORISED"));
    assert_eq!(note.total, Some(dec!(60.00)));
    assert_eq!(note.line_amount_types, "Exclusive");
    assert_eq!(note.line_items[0].account_code.as_deref(), Some("425"));
    assert_eq!(
        note.line_items[0].net_amount(&note.line_amount_types),
        dec!(50.00)
    );
    assert_eq!(note.updated, utc("2024-03-14T09:30:00Z"));
    assert_eq!(page.pagination.map(|p| p.item_count), Some(201));
    assert!(page.is_last(3, 100), "page 3 of 3");
    assert_eq!(meter.calls(), 1);

    let request = &xero.requests()[0];
    assert_eq!(request.path, credit_notes());
    assert_eq!(request.query("where"), Some(r#"Type=="ACCPAYCREDIT""#));
    assert_eq!(request.query("page"), Some("3"));
    assert_eq!(request.query("pageSize"), Some("100"));
    assert_eq!(request.query("order"), Some("UpdatedDateUTC ASC"));
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
}

#[tokio::test]
async fn uses_the_configured_page_size() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::fixture("bank_transactions.json")],
    );
    let client = xero.client_paging(3);

    let page = client
        .bank_transactions(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap();

    assert_eq!(client.page_size(), 3);
    assert_eq!(xero.requests()[0].query("pageSize"), Some("3"));
    assert!(
        !page.is_last(1, client.page_size()),
        "a full page may have more behind it"
    );
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
    let meter = CallMeter::default();

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
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
    assert_eq!(meter.calls(), 1);
}

#[tokio::test]
async fn reports_a_listing_of_the_wrong_shape_as_a_bad_response() {
    // Records are read one by one, but an envelope whose list is not a list is not a page.
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [Canned::json(
            200,
            r#"{"Invoices":{"InvoiceID":"CONFIDENTIAL"}}"#,
        )],
    );

    let error = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
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
    let meter = CallMeter::default();

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    let ProviderError::Unauthorized { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("TokenExpired"), "{detail}");
    assert!(detail.contains("[redacted]"), "{detail}");
    assert!(error.is_auth());
    assert!(!error.is_retryable());
    assert_no_token(&error);
    assert_eq!(xero.requests_to(&bank_transactions()), 1);
    assert_eq!(meter.calls(), 1);
}

#[tokio::test]
async fn summarises_an_error_body_from_its_known_fields_only() {
    let xero = FakeXero::start().await;
    // Xero's validation errors: Type and Message, then the rejected documents in Elements.
    let body = r#"{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred\u001b[2J\r\nplease check","Elements":[{"Reference":"CONFIDENTIAL-REFERENCE"}]}"#;
    xero.on(&invoices(), [Canned::json(400, body)]);

    let error = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap_err();

    let ProviderError::Server { status, detail } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 400);
    assert_eq!(
        detail,
        "GET Invoices: HTTP 400: ValidationException: A validation exception occurred [2J please check"
    );
    assert!(!detail.chars().any(char::is_control), "{detail:?}");
    assert!(!detail.contains("CONFIDENTIAL"), "{detail}");
    assert!(!error.is_retryable());
    assert_eq!(xero.requests_to(&invoices()), 1);
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
    let meter = CallMeter::default();

    let forbidden = client
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();
    assert!(
        matches!(forbidden, ProviderError::Forbidden { .. }),
        "{forbidden:?}"
    );
    assert!(forbidden.is_auth());
    assert!(!forbidden.is_retryable());
    assert_eq!(xero.requests_to(&invoices()), 1);

    // Nothing is scripted for /Accounts, so the fake answers 404.
    let missing = client
        .accounts(TOKEN, TENANT, None, &meter)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, ProviderError::Server { status: 404, .. }),
        "{missing:?}"
    );
    assert!(!missing.is_retryable());
    assert!(!missing.is_auth());
    assert_eq!(xero.requests_to(&accounts()), 1);
    assert_eq!(meter.calls(), 2, "one meter adds up the calls it is given");
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
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
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
    let meter = CallMeter::default();

    let page = xero
        .client()
        .bank_transactions(TOKEN, TENANT, Some(since()), 1, &meter)
        .await
        .unwrap();

    assert!(page.items.is_empty());
    assert!(page.unreadable.is_empty());
    assert!(page.is_last(1, 100));
    assert_eq!(meter.calls(), 1);
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
    let meter = CallMeter::default();
    let started = Instant::now();

    let error = client
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    let ProviderError::Transport { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("BankTransactions"), "{detail}");
    assert!(!detail.contains(&port.to_string()), "no URL: {detail}");
    assert!(error.is_retryable());
    assert_no_token(&error);
    assert_eq!(meter.calls(), 4, "every attempt of fast_retries()");
    // Three backoffs of fast_retries(), each at least its step: 5 + 10 + 20 ms.
    assert!(
        meter.waited() >= Duration::from_millis(35),
        "{:?}",
        meter.waited()
    );
    assert!(started.elapsed() >= meter.waited());

    let error = client.connections(TOKEN).await.unwrap_err();
    let ProviderError::Transport { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("connections"), "{detail}");
    assert!(!detail.contains(&port.to_string()), "no URL: {detail}");
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
    let meter = CallMeter::default();
    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 0, &meter)
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::InvalidConfig { .. }));
    assert!(xero.requests().is_empty());
    assert_eq!(meter.calls(), 0);
}

#[test]
fn builds_production_endpoints_from_the_catalogue() {
    let production = XeroEndpoints::production().unwrap();
    assert_eq!(production.api_base, "https://api.xero.com/api.xro/2.0");
    assert_eq!(production.connections, "https://api.xero.com/connections");
    assert!(XeroClient::new(production, 100, RetryPolicy::default()).is_ok());
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
    let meter = CallMeter::default();

    let page = client.bills(TOKEN, TENANT, None, 1, &meter).await.unwrap();

    assert_eq!(meter.calls(), 2);
    assert_eq!(page.items.len(), 1);
}
