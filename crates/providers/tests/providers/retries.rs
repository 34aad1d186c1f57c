//! Retries, rate limits and the call meter, through real HTTP: which answers are asked again,
//! how long the client waits, and what it counts.

use std::time::{Duration, Instant};

use carbonsync_providers::{CallMeter, ProviderError, RetryPolicy};

use crate::support::{bank_transactions, fast_retries, invoices, Canned, FakeXero, TENANT, TOKEN};

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
    let meter = CallMeter::default();
    let started = Instant::now();

    let page = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap();

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(page.items.len(), 3);
    assert_eq!(meter.calls(), 2);
    assert_eq!(meter.rate_limited(), 1);
    assert_eq!(meter.waited(), Duration::from_secs(1));
    assert_eq!(xero.requests_to(&bank_transactions()), 2);
}

#[tokio::test]
async fn hands_back_a_retry_after_longer_than_the_longest_allowed_wait_at_once() {
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
    let meter = CallMeter::default();
    let started = Instant::now();

    let error = client
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(3600)),
            limit: None,
        }
    );
    assert!(
        error.is_retryable(),
        "the scheduler pauses, then tries again"
    );
    assert_eq!(xero.requests_to(&invoices()), 1, "no second request");
    assert_eq!(meter.calls(), 1);
    assert_eq!(meter.rate_limited(), 0, "nothing was waited out");
    assert_eq!(meter.waited(), Duration::ZERO);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn waits_out_a_retry_after_equal_to_the_longest_allowed_wait() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [
            Canned::json(429, "").header("Retry-After", "1"),
            Canned::fixture("bills.json"),
        ],
    );
    let client = xero.client_with(RetryPolicy {
        max_wait: Duration::from_secs(1),
        ..fast_retries()
    });
    let meter = CallMeter::default();

    let page = client.bills(TOKEN, TENANT, None, 1, &meter).await.unwrap();

    assert_eq!(page.items.len(), 1);
    assert_eq!(meter.calls(), 2);
    assert_eq!(meter.waited(), Duration::from_secs(1));
}

#[tokio::test]
async fn backs_off_when_a_429_has_no_retry_after() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [Canned::status(429), Canned::fixture("bills.json")],
    );
    let meter = CallMeter::default();

    let page = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
    assert_eq!(meter.calls(), 2);
    assert_eq!(meter.rate_limited(), 1);
    // First backoff step of fast_retries() with jitter: 5 ms plus up to 5 ms more.
    let waited = meter.waited();
    assert!(waited >= Duration::from_millis(5), "{waited:?}");
    assert!(waited <= Duration::from_millis(10), "{waited:?}");
}

#[tokio::test]
async fn reports_rate_limited_once_every_attempt_is_used() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::status(429)
            .header("Retry-After", "0")
            .header("X-Rate-Limit-Problem", "minute")],
    );
    let meter = CallMeter::default();

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::ZERO),
            limit: Some("minute".into()),
        }
    );
    assert!(error.is_retryable());
    assert!(!error.is_auth());
    assert_eq!(xero.requests_to(&bank_transactions()), 4, "max_attempts");
    assert_eq!(meter.calls(), 4, "the failed call's requests are counted");
    assert_eq!(meter.rate_limited(), 3, "the last 429 was not waited out");
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
    let meter = CallMeter::default();

    let error = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(43200)),
            limit: Some("day".into()),
        }
    );
    assert_eq!(xero.requests_to(&bank_transactions()), 1);
    assert_eq!(meter.calls(), 1);
}

#[tokio::test]
async fn hands_the_daily_limit_back_at_once_even_with_a_short_retry_after() {
    // The daily limit resets hours away whatever Retry-After says; asking again within the
    // policy's waits would only spend the attempts.
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [
            Canned::status(429)
                .header("Retry-After", "1")
                .header("X-Rate-Limit-Problem", "Day"),
            Canned::fixture("bills.json"),
        ],
    );
    let meter = CallMeter::default();

    let error = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    let ProviderError::RateLimited { retry_after, limit } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(limit.as_deref(), Some("day"));
    assert_eq!(*retry_after, Some(Duration::from_secs(1)));
    assert_eq!(xero.requests_to(&invoices()), 1, "no second request");
    assert_eq!(meter.calls(), 1);
    assert_eq!(meter.waited(), Duration::ZERO);
}

#[tokio::test]
async fn names_no_limit_when_the_platform_does_not() {
    let xero = FakeXero::start().await;
    xero.on(
        &invoices(),
        [Canned::status(429).header("Retry-After", "0")],
    );
    let client = xero.client_with(RetryPolicy {
        max_attempts: 1,
        ..fast_retries()
    });

    let error = client
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap_err();

    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::ZERO),
            limit: None,
        }
    );
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
    let meter = CallMeter::default();

    let page = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap();

    assert_eq!(page.items.len(), 3);
    assert_eq!(meter.calls(), 2);
    assert_eq!(meter.rate_limited(), 0);
    assert!(meter.waited() > Duration::ZERO);
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
    let meter = CallMeter::default();

    let page = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap();

    assert_eq!(meter.calls(), 4);
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn gives_up_on_a_server_error_after_the_last_attempt() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::status(503)]);
    let client = xero.client_with(RetryPolicy {
        max_attempts: 3,
        ..fast_retries()
    });
    let meter = CallMeter::default();

    let error = client
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    assert!(
        matches!(error, ProviderError::Server { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable(), "the scheduler may try again later");
    assert_eq!(xero.requests_to(&invoices()), 3);
    assert_eq!(meter.calls(), 3);
}

#[tokio::test]
async fn counts_every_request_of_a_call_that_ends_in_an_error() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [Canned::json(500, r#"{"Title":"An error occurred"}"#)],
    );
    let client = xero.client_with(RetryPolicy {
        max_attempts: 3,
        ..fast_retries()
    });
    let meter = CallMeter::default();

    let error = client
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    let ProviderError::Server { status, detail } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 500);
    assert!(detail.contains("An error occurred"), "{detail}");
    assert_eq!(xero.requests_to(&bank_transactions()), 3);
    assert_eq!(meter.calls(), 3, "three 500s, then the call gives up");
    assert_eq!(meter.rate_limited(), 0);
    // Two backoffs of fast_retries(), each at least its step: 5 + 10 ms.
    assert!(
        meter.waited() >= Duration::from_millis(15),
        "{:?}",
        meter.waited()
    );

    // The same meter keeps counting across the calls of a sync.
    xero.on(&invoices(), [Canned::fixture("bills.json")]);
    client.bills(TOKEN, TENANT, None, 1, &meter).await.unwrap();
    assert_eq!(meter.calls(), 4);
}

#[tokio::test]
async fn never_waits_longer_than_the_longest_allowed_wait_between_attempts() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::status(503)]);
    let max_wait = Duration::from_millis(20);
    let client = xero.client_with(RetryPolicy {
        max_attempts: 4,
        max_wait,
        base_backoff: Duration::from_millis(20),
    });
    let meter = CallMeter::default();

    client
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();

    assert_eq!(meter.calls(), 4);
    // Three waits, none longer than max_wait.
    assert!(meter.waited() <= max_wait * 3, "{:?}", meter.waited());
}

#[tokio::test]
async fn does_not_retry_a_501() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::status(501)]);
    let meter = CallMeter::default();
    let error = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::Server { status: 501, .. }));
    assert!(!error.is_retryable());
    assert_eq!(xero.requests_to(&invoices()), 1);
    assert_eq!(meter.calls(), 1);
    assert_eq!(meter.waited(), Duration::ZERO);
}

#[test]
fn defaults_the_retry_policy_to_six_attempts_a_minute_cap_and_half_a_second() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.max_attempts, 6);
    assert_eq!(policy.max_wait, Duration::from_secs(60));
    assert_eq!(policy.base_backoff, Duration::from_millis(500));
}
