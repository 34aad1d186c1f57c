//! What the QuickBooks connector really sends over HTTP.

use carbonsync_providers::{CallMeter, Catalogue, ConnectorSettings};

use crate::support::*;

const REALM: &str = "9341453050090071";

#[tokio::test]
async fn the_chart_is_asked_for_with_inactive_accounts_and_transactions_without_the_condition() {
    let qb = FakeXero::start().await;
    let query_path = format!("/quickbooks/v3/company/{REALM}/query");
    qb.on(&query_path, [Canned::json(200, r#"{"QueryResponse":{}}"#)]);
    let entry = Catalogue::builtin().get("quickbooks").unwrap();
    let connector = (carbonsync_providers::quickbooks::REGISTRATION.build)(&ConnectorSettings {
        endpoints: entry.sandbox_endpoints(&qb.base),
        page_size: 1000,
        retry: fast_retries(),
    })
    .unwrap();
    let meter = CallMeter::default();
    connector
        .accounts(TOKEN, REALM, None, &meter)
        .await
        .unwrap();
    connector
        .documents(TOKEN, REALM, "bills", None, 1, &meter)
        .await
        .unwrap();
    let sent: Vec<String> = qb
        .requests()
        .iter()
        .filter(|r| r.path == query_path)
        .map(|r| r.query("query").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        sent,
        [
            "SELECT * FROM Account WHERE Active IN (true, false) ORDERBY Metadata.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000",
            "SELECT * FROM Bill ORDERBY Metadata.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000",
        ]
    );
}
