//! The Azure stand-in's protocol, spoken with plain reqwest: the identity platform's token
//! endpoint and its `AADSTS` errors, ARM's authentication and api-version errors, the
//! subscription list, and the Carbon Optimization report API's validation, access decisions,
//! `skipToken` paging, throttling and exact numbers.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::support::{options, sandbox, Sandbox};

/// The sandbox directory and its principals (published with the stand-in).
const TENANT: &str = "4b1c2f8e-7d3a-4e59-9a61-2c8f0d5e7b13";
const CLIENT: &str = "9d2e6a41-3f7b-4c85-b0e2-71a4c6d8f359";
const NO_ROLE_CLIENT: &str = "e3f1b7c2-58a9-4d06-8c4e-0a9b2d6f1e84";
const SECRET: &str = "Sbx8Q~CarbonSync.Sandbox-Azure_Secret.0001";
const SCOPE: &str = "https://management.azure.com/.default";
const REPORTS: &str =
    "/azure/management/providers/Microsoft.Carbon/carbonEmissionReports?api-version=2025-04-01";

impl Sandbox {
    async fn azure_token_answer(&self, tenant: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/azure/{tenant}/oauth2/v2.0/token")))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn azure_token(&self, client: &str) -> String {
        let answer = self
            .azure_token_answer(
                TENANT,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client),
                    ("client_secret", SECRET),
                    ("scope", SCOPE),
                ],
            )
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn report(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn subscription_ids(&self, token: &str) -> Vec<String> {
        let answer = self
            .http
            .get(self.url("/azure/management/subscriptions?api-version=2022-12-01"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["subscriptionId"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// An ARM error: `{"error": {"code", "message"}}`.
async fn arm_error(answer: reqwest::Response, status: StatusCode) -> (String, String) {
    assert_eq!(answer.status(), status);
    let body: Value = answer.json().await.unwrap();
    (
        body["error"]["code"].as_str().unwrap().to_owned(),
        body["error"]["message"].as_str().unwrap().to_owned(),
    )
}

/// A report answer read with its numbers as published.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    value: Vec<Item>,
    #[serde(default)]
    skip_token: Option<String>,
    subscription_access_decision_list: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    data_type: String,
    latest_month_emissions: Box<RawValue>,
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

fn kg(raw: &RawValue) -> Decimal {
    raw.get().parse().unwrap()
}

fn details(subscriptions: &[String], month: &str, page_size: u64) -> Value {
    json!({
        "reportType": "ItemDetailsReport",
        "subscriptionList": subscriptions,
        "carbonScopeList": ["Scope1", "Scope2", "Scope3"],
        "dateRange": { "start": month, "end": month },
        "categoryType": "Resource",
        "orderBy": "LatestMonthEmissions",
        "sortDirection": "Desc",
        "pageSize": page_size,
    })
}

#[tokio::test]
async fn the_token_endpoint_speaks_the_identity_platforms_shapes() {
    let sb = sandbox(options()).await;
    let form = |secret: &'static str| {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", secret),
            ("scope", SCOPE),
        ]
    };

    let answer = sb.azure_token_answer(TENANT, &form(SECRET)).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.headers()["date"].to_str().unwrap(),
        "Fri, 10 Jan 2025 12:00:00 GMT",
        "the providers' clock"
    );
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(
        body["access_token"].as_str().unwrap().split('.').count(),
        3,
        "a JWT"
    );

    // The domain works as well as the id.
    let answer = sb
        .azure_token_answer("cedarfinch.onmicrosoft.com", &form(SECRET))
        .await;
    assert_eq!(answer.status(), StatusCode::OK);

    let wrong = "not-the-secret";
    let answer = sb.azure_token_answer(TENANT, &form(wrong)).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let text = answer.text().await.unwrap();
    assert!(!text.contains(wrong) && !text.contains(SECRET), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with("AADSTS7000215: Invalid client secret provided."),
        "{description}"
    );
    assert!(description.contains("\r\nTrace ID: ") && description.contains("\r\nCorrelation ID: "));
    assert_eq!(body["timestamp"], "2025-01-10 12:00:00Z");
    for field in ["trace_id", "correlation_id"] {
        assert_eq!(body[field].as_str().unwrap().len(), 36, "{field}");
    }
    assert_eq!(
        body["error_uri"],
        "https://login.microsoftonline.com/error?code=7000215"
    );

    let cases = [
        (
            TENANT,
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
                ("client_secret", SECRET),
                ("scope", SCOPE),
            ],
            (StatusCode::BAD_REQUEST, "unauthorized_client", 700016u64),
        ),
        (
            "11111111-2222-4333-8444-555555555555",
            form(SECRET),
            (StatusCode::BAD_REQUEST, "invalid_request", 90002u64),
        ),
        (
            "not_a_tenant",
            form(SECRET),
            (StatusCode::BAD_REQUEST, "invalid_request", 900023u64),
        ),
        (
            TENANT,
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
            ],
            (StatusCode::BAD_REQUEST, "invalid_request", 900144u64),
        ),
        (
            TENANT,
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", "https://management.azure.com/user_impersonation"),
            ],
            (StatusCode::BAD_REQUEST, "invalid_scope", 1002012u64),
        ),
        (
            TENANT,
            vec![
                ("grant_type", "password"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", SCOPE),
            ],
            (StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003u64),
        ),
        (
            TENANT,
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("scope", SCOPE),
            ],
            (StatusCode::UNAUTHORIZED, "invalid_client", 7000216u64),
        ),
    ];
    for (tenant, form, (status, error, code)) in cases {
        let answer = sb.azure_token_answer(tenant, &form).await;
        assert_eq!(answer.status(), status, "{error} {code}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], error);
        assert_eq!(body["error_codes"], json!([code]));
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{description}"
        );
    }
}

#[tokio::test]
async fn arm_checks_the_token_and_the_api_version_and_lists_subscriptions() {
    let sb = sandbox(options()).await;
    let subscriptions = "/azure/management/subscriptions?api-version=2022-12-01";

    let answer = sb.http.get(sb.url(subscriptions)).send().await.unwrap();
    assert!(answer.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer authorization_uri="));
    let (code, _) = arm_error(answer, StatusCode::UNAUTHORIZED).await;
    assert_eq!(code, "AuthenticationFailed");

    let answer = sb
        .http
        .get(sb.url(subscriptions))
        .bearer_auth("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")
        .send()
        .await
        .unwrap();
    let (code, message) = arm_error(answer, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("InvalidAuthenticationToken", "The access token is invalid.")
    );

    let token = sb.azure_token(CLIENT).await;
    let answer = sb
        .http
        .get(sb.url("/azure/management/subscriptions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (code, _) = arm_error(answer, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "MissingApiVersionParameter");
    let answer = sb
        .http
        .get(sb.url("/azure/management/subscriptions?api-version=2015-01-01"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (code, message) = arm_error(answer, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "InvalidApiVersionParameter");
    assert!(message.contains("'2015-01-01' is invalid"), "{message}");

    let answer = sb
        .http
        .get(sb.url(subscriptions))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers().contains_key("x-ms-request-id"));
    assert_eq!(
        answer.headers()["date"].to_str().unwrap(),
        "Fri, 10 Jan 2025 12:00:00 GMT"
    );
    let body: Value = answer.json().await.unwrap();
    let list = body["value"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(body["count"], json!({ "type": "Total", "value": 3 }));
    let first = &list[0];
    let id = first["subscriptionId"].as_str().unwrap();
    assert_eq!(first["id"], format!("/subscriptions/{id}"));
    assert_eq!(first["tenantId"], TENANT);
    assert_eq!(first["state"], "Enabled");
    assert_eq!(first["displayName"], "Cedar & Finch Production");

    // The principal without the role still lists them (it has a role on resource groups).
    let other = sb.azure_token(NO_ROLE_CLIENT).await;
    assert_eq!(sb.subscription_ids(&other).await.len(), 3);
}

#[tokio::test]
async fn reports_are_validated_as_the_api_description_states() {
    let sb = sandbox(options()).await;
    let token = sb.azure_token(CLIENT).await;
    let subs = sb.subscription_ids(&token).await;
    let good = details(&subs, "2024-05-01", 100);

    let answer = sb
        .report(
            &token,
            "/azure/management/providers/Microsoft.Carbon/carbonEmissionReports?api-version=2024-02-01-preview",
            &good,
        )
        .await;
    let (code, message) = arm_error(answer, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "NoRegisteredProviderFound");
    assert!(
        message.contains("The supported api-versions are '2025-04-01'"),
        "{message}"
    );

    let broken = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    for (body, words) in [
        (
            broken("pageSize", json!(5001)),
            "'pageSize' must be between 1 and 5000",
        ),
        (
            broken(
                "dateRange",
                json!({ "start": "2024-05-01", "end": "2024-06-01" }),
            ),
            "same date",
        ),
        (
            broken(
                "dateRange",
                json!({ "start": "2024-05-15", "end": "2024-05-15" }),
            ),
            "first day",
        ),
        (broken("carbonScopeList", json!([])), "carbonScopeList"),
        (broken("categoryType", json!("Region")), "categoryType"),
        (
            broken(
                "subscriptionList",
                json!(vec!["00000000-0000-0000-0000-000000000000"; 101]),
            ),
            "at most 100",
        ),
        (
            broken("skipToken", json!("dGVzZGZhZGZzZnNkZg==")),
            "skipToken is invalid",
        ),
    ] {
        let (code, message) = arm_error(
            sb.report(&token, REPORTS, &body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(code, "BadRequest");
        assert!(message.contains(words), "{message}");
    }
    let answer = sb
        .http
        .post(sb.url(REPORTS))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (code, _) = arm_error(answer, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "InvalidRequestContent");

    // Without the role: ARM's 403.
    let other = sb.azure_token(NO_ROLE_CLIENT).await;
    let (code, message) = arm_error(
        sb.report(&other, REPORTS, &good).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(code, "AuthorizationFailed");
    assert!(
        message.contains(&format!("The client '{NO_ROLE_CLIENT}'")),
        "{message}"
    );
    assert!(
        message.contains("'Microsoft.Carbon/carbonEmissionReports/action'"),
        "{message}"
    );

    // An unknown subscription beside known ones is Denied, the rest served.
    let mut mixed = subs.clone();
    mixed.push("00000000-0000-0000-0000-000000000009".to_owned());
    let answer = sb
        .report(&token, REPORTS, &details(&mixed, "2024-05-01", 100))
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let report: Report = answer.json().await.unwrap();
    let denied: Vec<&Value> = report
        .subscription_access_decision_list
        .iter()
        .filter(|d| d["decision"] == "Denied")
        .collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(
        denied[0]["subscriptionId"],
        "00000000-0000-0000-0000-000000000009"
    );
    assert!(!report.value.is_empty());

    // Throttled: 429 with Retry-After and ARM's body, then served again.
    sb.control_ok("/_control/cloud/azure/throttle", json!({ "count": 1 }))
        .await;
    let answer = sb.report(&token, REPORTS, &good).await;
    assert_eq!(answer.headers()["retry-after"], "1");
    let (code, _) = arm_error(answer, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(code, "ResourceRequestsThrottled");
    assert_eq!(
        sb.report(&token, REPORTS, &good).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn resource_pages_follow_skip_tokens_and_add_up_to_the_monthly_summary() {
    let sb = sandbox(options()).await;
    let token = sb.azure_token(CLIENT).await;
    let subs = sb.subscription_ids(&token).await;

    let mut body = details(&subs, "2024-05-01", 9);
    let mut ids = BTreeSet::new();
    let mut sum = Decimal::ZERO;
    let mut pages = 0;
    let mut last = None;
    loop {
        let answer = sb.report(&token, REPORTS, &body).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let report: Report = answer.json().await.unwrap();
        pages += 1;
        assert!(report.value.len() <= 9);
        assert_eq!(report.subscription_access_decision_list.len(), subs.len());
        for item in &report.value {
            assert_eq!(item.data_type, "ResourceItemDetailsData");
            assert_eq!(item.rest["categoryType"], "Resource");
            let id = item.resource_id.clone().unwrap();
            assert!(
                id.starts_with("/subscriptions/") && id.contains("/resourceGroups/rg-"),
                "{id}"
            );
            let location = item.rest["location"].as_str().unwrap();
            assert!(
                location == location.to_lowercase(),
                "a display name in lower case: {location}"
            );
            assert!(item.rest["resourceType"]
                .as_str()
                .unwrap()
                .starts_with("microsoft."));
            let value = kg(&item.latest_month_emissions);
            // Ordered by LatestMonthEmissions, descending, across pages.
            if let Some(previous) = last {
                assert!(value <= previous, "{value} after {previous}");
            }
            last = Some(value);
            sum += value;
            assert!(ids.insert(id), "no resource twice");
        }
        match report.skip_token {
            Some(token) => body["skipToken"] = json!(token),
            None => break,
        }
    }
    assert!(pages > 5, "{pages} pages");

    let summary = json!({
        "reportType": "MonthlySummaryReport",
        "subscriptionList": subs,
        "carbonScopeList": ["Scope1", "Scope2", "Scope3"],
        "dateRange": { "start": "2024-04-01", "end": "2024-05-01" },
    });
    let report: Report = sb
        .report(&token, REPORTS, &summary)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report.value.len(), 2);
    assert_eq!(
        report.value[0].date.as_deref(),
        Some("2024-05-01"),
        "newest first"
    );
    assert_eq!(report.value[0].data_type, "MonthlySummaryData");
    assert_eq!(kg(&report.value[0].latest_month_emissions), sum);

    // The same total as the generated estate's: Scope 1, and Scope 2 and 3 market-based.
    let totals = sb.control_get("/_control/cloud/azure/totals").await;
    let may = &totals["2024-05"];
    let expected: Decimal = ["scope1", "scope2_market", "scope3_market"]
        .iter()
        .map(|s| match &may[*s] {
            Value::String(text) => text.parse::<Decimal>().unwrap(),
            other => other.to_string().parse().unwrap(),
        })
        .sum();
    assert_eq!(sum, expected);

    // By subscription: one item each, the same sum.
    let mut by_sub = details(&subs, "2024-05-01", 5000);
    by_sub["categoryType"] = json!("Subscription");
    let report: Report = sb
        .report(&token, REPORTS, &by_sub)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report.value.len(), 3);
    assert_eq!(
        report
            .value
            .iter()
            .map(|i| kg(&i.latest_month_emissions))
            .sum::<Decimal>(),
        sum
    );

    // December 2024 is not published on 10 January: no items.
    let report: Report = sb
        .report(&token, REPORTS, &details(&subs, "2024-12-01", 100))
        .await
        .json()
        .await
        .unwrap();
    assert!(report.value.is_empty() && report.skip_token.is_none());
}
