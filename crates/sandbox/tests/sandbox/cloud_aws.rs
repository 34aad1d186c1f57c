//! The AWS stand-in's protocols over raw HTTP, each request signed here with `aws-sigv4`: the
//! Sustainability API (restJson1) and Cost Explorer (awsJson1_1) verify SigV4 and refuse as
//! AWS's front door does, throttle as each service does, page by `NextToken` and
//! `NextPageToken`, publish MTCO2e exactly, leave a pending month out and publish a restated
//! one with a new model version.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::support::{options, sandbox, Sandbox};

/// The sandbox's own keys (published with the stand-in).
const KEY_ID: &str = "carbonsync-sandbox-access-key";
const SECRET: &str = "sandbox+CarbonSync/OpensOnlyTheSandbox01";
const REGION: &str = "us-east-1";
const EMISSIONS: &str = "/aws/sustainability/v1/estimated-carbon-emissions";
const DIMENSION_VALUES: &str = "/aws/sustainability/v1/estimated-carbon-emissions-dimension-values";
const COST_EXPLORER: &str = "/aws/ce/";
const SCOPES: [&str; 5] = [
    "TOTAL_SCOPE_1_CARBON_EMISSIONS",
    "TOTAL_SCOPE_2_LBM_CARBON_EMISSIONS",
    "TOTAL_SCOPE_2_MBM_CARBON_EMISSIONS",
    "TOTAL_SCOPE_3_LBM_CARBON_EMISSIONS",
    "TOTAL_SCOPE_3_MBM_CARBON_EMISSIONS",
];
/// AWS's words when a signature does not verify.
const MISMATCH: &str = "The request signature we calculated does not match the signature you \
                        provided.";

/// The keys a request is signed with.
#[derive(Clone, Copy)]
struct Keys {
    id: &'static str,
    secret: &'static str,
    session_token: Option<&'static str>,
    /// The SigV4 service name the signature is scoped to.
    service: &'static str,
}

const SUSTAINABILITY: Keys = Keys {
    id: KEY_ID,
    secret: SECRET,
    session_token: None,
    service: "sustainability",
};
const CE: Keys = Keys {
    service: "ce",
    ..SUSTAINABILITY
};

/// The headers SigV4 adds (`authorization`, `x-amz-date`, `x-amz-security-token`) to a `POST`
/// of `body` to `url` with `headers`.
fn signature(
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    keys: Keys,
) -> Vec<(String, String)> {
    let identity: Identity = Credentials::new(
        keys.id,
        keys.secret,
        keys.session_token.map(str::to_owned),
        None,
        "test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(keys.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let request = SignableRequest::new(
        "POST",
        url,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

impl Sandbox {
    /// `POST path` with `body` as JSON, signed with `keys` (unsigned with `None`); `target` is
    /// Cost Explorer's operation (awsJson1_1), `None` for the Sustainability API (restJson1).
    async fn aws_raw(
        &self,
        path: &str,
        target: Option<&str>,
        body: &[u8],
        signed_body: &[u8],
        keys: Option<Keys>,
    ) -> reqwest::Response {
        let url = self.url(path);
        let mut headers = vec![(
            "content-type".to_owned(),
            match target {
                Some(_) => "application/x-amz-json-1.1",
                None => "application/json",
            }
            .to_owned(),
        )];
        if let Some(operation) = target {
            headers.push((
                "x-amz-target".to_owned(),
                format!("AWSInsightsIndexService.{operation}"),
            ));
        }
        if let Some(keys) = keys {
            let added = signature(&url, &headers, signed_body, keys);
            headers.extend(added);
        }
        let mut request = self.http.post(url).body(body.to_vec());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send().await.unwrap()
    }

    async fn aws(
        &self,
        path: &str,
        target: Option<&str>,
        body: &Value,
        keys: Option<Keys>,
    ) -> reqwest::Response {
        let bytes = body.to_string().into_bytes();
        self.aws_raw(path, target, &bytes, &bytes, keys).await
    }

    async fn emissions(&self, body: &Value) -> reqwest::Response {
        self.aws(EMISSIONS, None, body, Some(SUSTAINABILITY)).await
    }

    async fn cost(&self, body: &Value) -> reqwest::Response {
        self.aws(COST_EXPLORER, Some("GetCostAndUsage"), body, Some(CE))
            .await
    }

    /// Every result of `request`, page by page by `NextToken`; also how many pages it took.
    async fn all_emissions(&self, mut request: Value) -> (Vec<CarbonResult>, usize) {
        let mut results = Vec::new();
        let mut pages = 0;
        loop {
            let answer = self.emissions(&request).await;
            assert_eq!(answer.status(), StatusCode::OK);
            let page: EmissionsPage = answer.json().await.unwrap();
            pages += 1;
            results.extend(page.results);
            match page.next_token {
                Some(token) => request["NextToken"] = json!(token),
                None => return (results, pages),
            }
            assert!(pages < 1000, "paging does not end");
        }
    }
}

/// A restJson1 error: the code from `x-amzn-ErrorType` as AWS writes it, and the message.
async fn rest_error(answer: reqwest::Response, status: StatusCode) -> (String, String) {
    assert_eq!(answer.status(), status);
    assert_eq!(answer.headers()["content-type"], "application/json");
    assert!(answer.headers().contains_key("x-amzn-requestid"));
    let code = answer.headers()["x-amzn-errortype"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = answer.json().await.unwrap();
    (code, body["message"].as_str().unwrap().to_owned())
}

/// An awsJson1_1 error: `__type` and the message (`message` or `Message`).
async fn json_error(answer: reqwest::Response) -> (String, String) {
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
    let body: Value = answer.json().await.unwrap();
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    (body["__type"].as_str().unwrap().to_owned(), message)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EmissionsPage {
    results: Vec<CarbonResult>,
    #[serde(default)]
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CarbonResult {
    time_period: Period,
    dimensions_values: BTreeMap<String, String>,
    model_version: String,
    emissions_values: BTreeMap<String, Emissions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Period {
    start: String,
    end: String,
}

/// A value read as the JSON number it was written as.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Emissions {
    value: Box<RawValue>,
    unit: String,
}

impl Emissions {
    /// MTCO2e, exact.
    fn tons(&self) -> Decimal {
        self.value.get().parse().unwrap()
    }
}

/// `GetEstimatedCarbonEmissions` of the months `[from, to)` (`YYYY-MM-DD`), monthly, grouped
/// by account, region and service, every per-scope type.
fn by_everything(from: &str, to: &str, page: u32) -> Value {
    json!({
        "TimePeriod": { "Start": format!("{from}T00:00:00Z"), "End": format!("{to}T00:00:00Z") },
        "Granularity": "MONTHLY",
        "GroupBy": ["USAGE_ACCOUNT_ID", "REGION", "SERVICE"],
        "EmissionsTypes": SCOPES,
        "MaxResults": page,
    })
}

fn cost_request(from: &str, to: &str) -> Value {
    json!({
        "TimePeriod": { "Start": from, "End": to },
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [{ "Type": "DIMENSION", "Key": "SERVICE" }],
    })
}

fn decimal(value: &Value) -> Decimal {
    match value {
        Value::String(s) => s.parse().unwrap(),
        other => other.to_string().parse().unwrap(),
    }
}

/// The totals' name of an emissions type.
fn total_name(kind: &str) -> &'static str {
    match kind {
        "TOTAL_SCOPE_1_CARBON_EMISSIONS" => "scope1",
        "TOTAL_SCOPE_2_LBM_CARBON_EMISSIONS" => "scope2_location",
        "TOTAL_SCOPE_2_MBM_CARBON_EMISSIONS" => "scope2_market",
        "TOTAL_SCOPE_3_LBM_CARBON_EMISSIONS" => "scope3_location",
        "TOTAL_SCOPE_3_MBM_CARBON_EMISSIONS" => "scope3_market",
        "TOTAL_LBM_CARBON_EMISSIONS" => "total_location",
        "TOTAL_MBM_CARBON_EMISSIONS" => "total_market",
        other => panic!("unexpected emissions type {other}"),
    }
}

/// kg per month (`YYYY-MM`) and totals' name, from results in MTCO2e.
fn kg_by_month(results: &[CarbonResult]) -> BTreeMap<String, BTreeMap<&'static str, Decimal>> {
    let mut out: BTreeMap<String, BTreeMap<&'static str, Decimal>> = BTreeMap::new();
    for r in results {
        let month = r.time_period.start[..7].to_owned();
        for (kind, e) in &r.emissions_values {
            *out.entry(month.clone())
                .or_default()
                .entry(total_name(kind))
                .or_default() += e.tons() * Decimal::ONE_THOUSAND;
        }
    }
    out
}

#[tokio::test]
async fn signatures_are_verified_and_refused_as_awss_front_door_does() {
    let sb = sandbox(options()).await;
    let request = json!({
        "TimePeriod": { "Start": "2022-01-01T00:00:00Z", "End": "2025-02-01T00:00:00Z" },
        "Dimensions": ["USAGE_ACCOUNT_ID"],
    });

    let answer = sb
        .aws(DIMENSION_VALUES, None, &request, Some(SUSTAINABILITY))
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "application/json");
    assert_eq!(
        answer.headers()["date"].to_str().unwrap(),
        "Fri, 10 Jan 2025 12:00:00 GMT",
        "the providers' clock"
    );
    assert_eq!(
        answer.headers()["x-amzn-requestid"].to_str().unwrap().len(),
        36
    );
    let body: Value = answer.json().await.unwrap();
    let results = body["Results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{body}");
    for entry in results {
        assert_eq!(entry["Dimension"], "USAGE_ACCOUNT_ID");
        let id = entry["Value"].as_str().unwrap();
        assert!(
            id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );
    }
    assert!(body.get("NextToken").is_none());

    // A wrong secret: InvalidSignatureException, in the front door's namespace, on 403.
    let wrong = Keys {
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ..SUSTAINABILITY
    };
    let answer = sb.aws(DIMENSION_VALUES, None, &request, Some(wrong)).await;
    let (code, message) = rest_error(answer, StatusCode::FORBIDDEN).await;
    assert_eq!(
        code,
        "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/"
    );
    assert!(message.starts_with(MISMATCH), "{message}");
    assert!(!message.contains(SECRET) && !message.contains(wrong.secret));

    // An access key id AWS does not know.
    let unknown = Keys {
        id: "carbonsync-unknown-access-key",
        ..SUSTAINABILITY
    };
    let answer = sb
        .aws(DIMENSION_VALUES, None, &request, Some(unknown))
        .await;
    let (code, message) = rest_error(answer, StatusCode::FORBIDDEN).await;
    assert!(code.starts_with("UnrecognizedClientException:"), "{code}");
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );

    // A session token the sandbox never issued, with its long-term key.
    let temporary = Keys {
        session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN"),
        ..SUSTAINABILITY
    };
    let answer = sb
        .aws(DIMENSION_VALUES, None, &request, Some(temporary))
        .await;
    let (code, _) = rest_error(answer, StatusCode::FORBIDDEN).await;
    assert!(code.starts_with("UnrecognizedClientException:"), "{code}");

    // Unsigned.
    let answer = sb.aws(DIMENSION_VALUES, None, &request, None).await;
    let (code, message) = rest_error(answer, StatusCode::FORBIDDEN).await;
    assert!(
        code.starts_with("MissingAuthenticationTokenException:"),
        "{code}"
    );
    assert_eq!(message, "Missing Authentication Token");

    // Signed for another service.
    let answer = sb.aws(DIMENSION_VALUES, None, &request, Some(CE)).await;
    let (code, message) = rest_error(answer, StatusCode::FORBIDDEN).await;
    assert!(code.starts_with("InvalidSignatureException:"), "{code}");
    assert!(message.contains("'sustainability'"), "{message}");

    // A body changed after it was signed.
    let signed = request.to_string().into_bytes();
    let mut changed = request.clone();
    changed["Dimensions"] = json!(["REGION"]);
    let changed = changed.to_string().into_bytes();
    let answer = sb
        .aws_raw(
            DIMENSION_VALUES,
            None,
            &changed,
            &signed,
            Some(SUSTAINABILITY),
        )
        .await;
    let (code, message) = rest_error(answer, StatusCode::FORBIDDEN).await;
    assert!(code.starts_with("InvalidSignatureException:"), "{code}");
    assert!(message.starts_with(MISMATCH), "{message}");

    // Cost Explorer (awsJson1_1) says the same in `__type`, on 400.
    let bill = cost_request("2024-06-01", "2024-07-01");
    for (keys, expected) in [
        (
            Keys {
                service: "ce",
                ..wrong
            },
            "com.amazon.coral.service#InvalidSignatureException",
        ),
        (
            Keys {
                service: "ce",
                ..unknown
            },
            "com.amazon.coral.service#UnrecognizedClientException",
        ),
    ] {
        let answer = sb
            .aws(COST_EXPLORER, Some("GetCostAndUsage"), &bill, Some(keys))
            .await;
        let (code, message) = json_error(answer).await;
        assert_eq!(code, expected);
        assert!(!message.contains(SECRET));
    }
    let answer = sb
        .aws(COST_EXPLORER, Some("GetCostAndUsage"), &bill, None)
        .await;
    let (code, _) = json_error(answer).await;
    assert_eq!(
        code,
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    let answer = sb.cost(&bill).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
}

#[tokio::test]
async fn emissions_page_by_next_token_and_add_up_to_the_totals() {
    let sb = sandbox(options()).await;
    let totals = sb.control_get("/_control/cloud/aws/totals").await;

    let (results, pages) = sb
        .all_emissions(by_everything("2024-01-01", "2025-02-01", 100))
        .await;
    assert!(pages > 5, "{pages} pages");
    let months: BTreeSet<String> = results
        .iter()
        .map(|r| r.time_period.start[..7].to_owned())
        .collect();
    let expected: BTreeSet<String> = (1..=11).map(|m| format!("2024-{m:02}")).collect();
    assert_eq!(months, expected, "December 2024 is pending on 10 January");

    let mut keys = BTreeSet::new();
    for r in &results {
        let start = &r.time_period.start;
        assert!(start.ends_with("-01T00:00:00Z"), "{start}");
        assert!(r.time_period.end.ends_with("-01T00:00:00Z") && r.time_period.end > *start);
        assert_eq!(r.model_version, "v3.0.0");
        assert_eq!(r.dimensions_values.len(), 3);
        assert_eq!(
            r.emissions_values
                .keys()
                .map(String::as_str)
                .collect::<BTreeSet<_>>(),
            SCOPES.into_iter().collect::<BTreeSet<_>>()
        );
        for e in r.emissions_values.values() {
            assert_eq!(e.unit, "MTCO2e");
            let text = e.value.get();
            assert!(
                !text.contains(['e', 'E', '"']),
                "a plain JSON number: {text}"
            );
            // AWS's resolution is a gram: at most six decimals of a ton.
            assert!(e.tons().scale() <= 6, "{text}");
            assert!(e.tons() >= Decimal::ZERO);
            // What an SDK parses (an f64) prints back as the text published.
            let float: f64 = text.parse().unwrap();
            assert_eq!(
                float.to_string().parse::<Decimal>().unwrap(),
                e.tons(),
                "{text}"
            );
        }
        let key = (
            start.clone(),
            r.dimensions_values["USAGE_ACCOUNT_ID"].clone(),
            r.dimensions_values["REGION"].clone(),
            r.dimensions_values["SERVICE"].clone(),
        );
        assert!(keys.insert(key), "no result twice across pages");
    }
    for (month, by_scope) in kg_by_month(&results) {
        assert_eq!(
            results
                .iter()
                .filter(|r| r.time_period.start.starts_with(&month))
                .count() as u64,
            totals[&month]["rows"].as_u64().unwrap(),
            "{month}"
        );
        for (name, kg) in by_scope {
            assert_eq!(kg, decimal(&totals[&month][name]), "{month} {name}");
        }
    }

    // Ungrouped, with AWS's totals: one result a month, the same sums.
    let (whole, _) = sb
        .all_emissions(json!({
            "TimePeriod": { "Start": "2024-05-01T00:00:00Z", "End": "2024-07-01T00:00:00Z" },
            "Granularity": "MONTHLY",
            "EmissionsTypes": ["TOTAL_LBM_CARBON_EMISSIONS", "TOTAL_MBM_CARBON_EMISSIONS"],
        }))
        .await;
    assert_eq!(whole.len(), 2);
    assert!(whole.iter().all(|r| r.dimensions_values.is_empty()));
    for (month, by_scope) in kg_by_month(&whole) {
        for (name, kg) in by_scope {
            assert_eq!(kg, decimal(&totals[&month][name]), "{month} {name}");
        }
    }

    // A month is in a range only when the range holds its first day.
    let (none, _) = sb
        .all_emissions(by_everything("2024-05-02", "2024-06-01", 1000))
        .await;
    assert!(none.is_empty());

    // A token of another request, a page too big, an unknown dimension: ValidationException.
    let first: EmissionsPage = sb
        .emissions(&by_everything("2024-01-01", "2024-03-01", 10))
        .await
        .json()
        .await
        .unwrap();
    let token = first.next_token.expect("a second page");
    let mut other = by_everything("2024-01-01", "2024-04-01", 10);
    other["NextToken"] = json!(token);
    let mut too_big = by_everything("2024-01-01", "2024-03-01", 10);
    too_big["MaxResults"] = json!(5001);
    let mut unknown = by_everything("2024-01-01", "2024-03-01", 10);
    unknown["GroupBy"] = json!(["AVAILABILITY_ZONE"]);
    for (body, words) in [
        (other, "NextToken"),
        (too_big, "Member must have value less than or equal to 5000"),
        (unknown, "Member must satisfy enum value set"),
    ] {
        let (code, message) = rest_error(sb.emissions(&body).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(code, "ValidationException");
        assert!(message.contains(words), "{message}");
    }
    let answer = sb
        .aws_raw(
            EMISSIONS,
            None,
            b"{not json",
            b"{not json",
            Some(SUSTAINABILITY),
        )
        .await;
    let (code, _) = rest_error(answer, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "SerializationException");
}

#[tokio::test]
async fn each_service_throttles_in_its_own_way_when_asked() {
    let sb = sandbox(options()).await;
    let request = by_everything("2024-01-01", "2024-02-01", 50);
    sb.control_ok("/_control/cloud/aws/throttle", json!({ "count": 2 }))
        .await;

    // The Sustainability API: ThrottlingException, HTTP 429.
    let (code, message) =
        rest_error(sb.emissions(&request).await, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(code, "ThrottlingException");
    assert_eq!(message, "Rate exceeded");

    // Cost Explorer: LimitExceededException, HTTP 400, its model's `Message`.
    let answer = sb.cost(&cost_request("2024-01-01", "2024-02-01")).await;
    let (code, message) = json_error(answer).await;
    assert_eq!(code, "LimitExceededException");
    assert_eq!(message, "Rate limit exceeded");

    // Then served again; a refused signature does not use up a throttled answer.
    sb.control_ok("/_control/cloud/aws/throttle", json!({ "count": 1 }))
        .await;
    let wrong = Keys {
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ..SUSTAINABILITY
    };
    let answer = sb.aws(EMISSIONS, None, &request, Some(wrong)).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        sb.emissions(&request).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(sb.emissions(&request).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn cost_explorer_pages_the_bill_by_next_page_token() {
    let sb = sandbox(options()).await;
    let totals = sb.control_get("/_control/cloud/aws/totals").await;

    let mut request = cost_request("2024-11-01", "2024-12-01");
    let mut services = BTreeMap::new();
    let mut pages = 0;
    loop {
        let answer = sb.cost(&request).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        pages += 1;
        assert_eq!(
            body["GroupDefinitions"],
            json!([{ "Type": "DIMENSION", "Key": "SERVICE" }])
        );
        for result in body["ResultsByTime"].as_array().unwrap() {
            assert_eq!(
                result["TimePeriod"],
                json!({ "Start": "2024-11-01", "End": "2024-12-01" })
            );
            assert_eq!(result["Estimated"], false, "November is closed in January");
            for group in result["Groups"].as_array().unwrap() {
                let keys = group["Keys"].as_array().unwrap();
                assert_eq!(keys.len(), 1);
                let metric = &group["Metrics"]["UnblendedCost"];
                assert_eq!(metric["Unit"], "USD");
                let amount: Decimal = metric["Amount"].as_str().unwrap().parse().unwrap();
                let service = keys[0].as_str().unwrap().to_owned();
                assert!(
                    services.insert(service, amount).is_none(),
                    "one group a service"
                );
            }
        }
        match body.get("NextPageToken").and_then(Value::as_str) {
            Some(token) => request["NextPageToken"] = json!(token),
            None => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    assert!(pages >= 2, "{} services in {pages} page(s)", services.len());
    assert!(services.contains_key("Amazon Elastic Compute Cloud - Compute"));
    let sum: Decimal = services.values().sum();
    assert_eq!(sum, decimal(&totals["2024-11"]["cost_usd"]));

    // A token of another request; an unknown operation.
    let mut other = cost_request("2024-10-01", "2024-11-01");
    let first: Value = sb
        .cost(&cost_request("2024-11-01", "2024-12-01"))
        .await
        .json()
        .await
        .unwrap();
    other["NextPageToken"] = first["NextPageToken"].clone();
    let (code, _) = json_error(sb.cost(&other).await).await;
    assert_eq!(code, "InvalidNextTokenException");
    let answer = sb
        .aws(
            COST_EXPLORER,
            Some("GetSavingsPlansCoverage"),
            &json!({}),
            Some(CE),
        )
        .await;
    let (code, _) = json_error(answer).await;
    assert_eq!(code, "UnknownOperationException");
}

#[tokio::test]
async fn a_pending_month_is_published_by_the_21st_and_a_restated_one_anew() {
    let sb = sandbox(options()).await;
    let december = by_everything("2024-12-01", "2025-01-01", 1000);
    let (results, _) = sb.all_emissions(december.clone()).await;
    assert!(results.is_empty(), "December 2024 is pending on 10 January");

    sb.control_ok(
        "/_control/cloud/clock",
        json!({ "now": "2025-01-20T23:59:59Z" }),
    )
    .await;
    assert!(
        sb.all_emissions(december.clone()).await.0.is_empty(),
        "not before the 21st"
    );
    sb.control_ok(
        "/_control/cloud/clock",
        json!({ "now": "2025-01-21T00:00:00Z" }),
    )
    .await;
    let (results, _) = sb.all_emissions(december).await;
    assert!(!results.is_empty(), "published on the 21st");
    let totals = sb.control_get("/_control/cloud/aws/totals").await;
    for (name, kg) in &kg_by_month(&results)["2024-12"] {
        assert_eq!(*kg, decimal(&totals["2024-12"][*name]), "{name}");
    }

    let june = by_everything("2024-06-01", "2024-07-01", 1000);
    let (before, _) = sb.all_emissions(june.clone()).await;
    sb.control_ok(
        "/_control/cloud/aws/restate",
        json!({ "month": "2024-06", "factor": "1.05" }),
    )
    .await;
    let (after, _) = sb.all_emissions(june).await;
    assert_eq!(before.len(), after.len());
    let factor = Decimal::new(105, 2);
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(old.dimensions_values, new.dimensions_values);
        assert_eq!(new.model_version, "v3.0.1");
        for (kind, value) in &new.emissions_values {
            let kg = old.emissions_values[kind].tons() * Decimal::ONE_THOUSAND;
            assert_eq!(
                value.tons() * Decimal::ONE_THOUSAND,
                (kg * factor).round_dp(3),
                "{kind}"
            );
        }
    }
    let totals = sb.control_get("/_control/cloud/aws/totals").await;
    for (name, kg) in &kg_by_month(&after)["2024-06"] {
        assert_eq!(*kg, decimal(&totals["2024-06"][*name]), "{name}");
    }
}
