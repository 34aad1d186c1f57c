//! When a listing has no further page, and which page sizes the client accepts.

use carbonsync_providers::xero::{check_page_size, BankTransaction, Pagination, MAX_PAGE_SIZE};
use carbonsync_providers::{CallMeter, Page, ProviderError, XeroClient, XeroEndpoints};
use serde_json::{json, Value};

use crate::support::{bank_transactions, fast_retries, Canned, FakeXero, TENANT, TOKEN};

/// A page of `count` distinct spend transactions, with Xero's `pagination` object when given.
fn listing(count: usize, pagination: Option<Value>) -> String {
    let records: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "BankTransactionID": format!("00000000-0000-4000-8000-{i:012}"),
                "Type": "SPEND",
                "Date": "/Date(1710201600000+0000)/",
                "Status": "AUTHORISED",
                "LineAmountTypes": "Exclusive",
                "LineItems": [{"AccountCode": "449", "LineAmount": 10.0, "TaxAmount": 2.0}],
                "Total": 12.0,
                "CurrencyCode": "GBP",
                "UpdatedDateUTC": format!("/Date({}+0000)/", 1_710_410_400_000_u64 + i as u64),
            })
        })
        .collect();
    let mut body = json!({
        "Id": "5a4f0e93-6c3d-4b1a-a2f8-1f0e9d8c7b6a",
        "Status": "OK",
        "DateTimeUTC": "/Date(1710414902000)/",
        "BankTransactions": records,
    });
    if let Some(pagination) = pagination {
        body["pagination"] = pagination;
    }
    body.to_string()
}

async fn fetch(client: &XeroClient, page: u32) -> Page<BankTransaction> {
    let page = client
        .bank_transactions(TOKEN, TENANT, None, page, &CallMeter::default())
        .await
        .unwrap();
    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    page
}

#[tokio::test]
async fn a_full_page_of_a_thousand_with_more_pages_reported_is_not_the_last() {
    let xero = FakeXero::start().await;
    let pagination = json!({"page": 1, "pageSize": 1000, "pageCount": 3, "itemCount": 2500});
    xero.on(
        &bank_transactions(),
        [Canned::json(200, listing(1000, Some(pagination)))],
    );
    let client = xero.client_paging(1000);

    let page = fetch(&client, 1).await;

    assert_eq!(page.items.len(), 1000);
    assert_eq!(
        page.pagination,
        Some(Pagination {
            page: 1,
            page_size: 1000,
            page_count: 3,
            item_count: 2500
        })
    );
    assert!(!page.is_last(1, 1000));
    assert!(!page.is_last(2, 1000));
    assert!(page.is_last(3, 1000), "page 3 of 3");
    assert_eq!(xero.requests()[0].query("pageSize"), Some("1000"));
}

#[tokio::test]
async fn a_server_that_serves_fewer_than_asked_is_judged_by_its_pagination() {
    // Asked for 1,000 a page, the server silently serves 100: a short page is then no sign of
    // the end, and the pagination it reports is what tells.
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [
            Canned::json(
                200,
                listing(
                    100,
                    Some(json!({"page": 1, "pageSize": 100, "pageCount": 25, "itemCount": 2500})),
                ),
            ),
            Canned::json(
                200,
                listing(
                    100,
                    Some(json!({"page": 25, "pageSize": 100, "pageCount": 25, "itemCount": 2500})),
                ),
            ),
        ],
    );
    let client = xero.client_paging(1000);

    let first = fetch(&client, 1).await;
    assert_eq!(first.items.len(), 100);
    assert!(!first.is_last(1, 1000), "page 1 of 25 is not the last");

    let last = fetch(&client, 25).await;
    assert_eq!(last.items.len(), 100);
    assert!(last.is_last(25, 1000), "page 25 of 25 is the last");
    let requests = xero.requests();
    assert_eq!(requests[0].query("pageSize"), Some("1000"));
    assert_eq!(requests[1].query("page"), Some("25"));
}

#[tokio::test]
async fn without_pagination_only_a_page_shorter_than_asked_is_the_last() {
    let xero = FakeXero::start().await;
    xero.on(
        &bank_transactions(),
        [
            Canned::json(200, listing(1000, None)),
            Canned::json(200, listing(100, None)),
            Canned::json(200, listing(0, None)),
        ],
    );
    let client = xero.client_paging(1000);

    let full = fetch(&client, 1).await;
    assert_eq!(full.pagination, None);
    assert_eq!(full.items.len(), 1000);
    assert!(
        !full.is_last(1, 1000),
        "a full page may have more behind it"
    );

    let short = fetch(&client, 2).await;
    assert_eq!(short.items.len(), 100);
    assert!(short.is_last(2, 1000), "100 of the 1,000 asked for");

    let empty = fetch(&client, 3).await;
    assert!(empty.is_empty());
    assert!(empty.is_last(3, 1000));
}

#[test]
fn refuses_a_page_size_xero_would_not_serve_and_says_the_limit() {
    let endpoints = XeroEndpoints::sandbox("http://127.0.0.1:1").unwrap();

    let error = XeroClient::new(endpoints.clone(), 2000, fast_retries()).unwrap_err();

    let ProviderError::InvalidConfig { detail } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("page_size"), "names the setting: {detail}");
    assert!(detail.contains("2000"), "{detail}");
    assert!(detail.contains("1000"), "says the limit: {detail}");
    assert!(!error.is_retryable());

    assert_eq!(MAX_PAGE_SIZE, 1000);
    assert!(check_page_size(1000).is_ok());
    assert!(check_page_size(1).is_ok());
    assert!(check_page_size(1001).is_err());
    assert!(check_page_size(0).is_err());
    assert_eq!(
        XeroClient::new(endpoints, 1000, fast_retries())
            .unwrap()
            .page_size(),
        1000
    );
}
