//! The Google Cloud stand-in's protocol over raw HTTP: the service account's key file, the
//! JWT-bearer grant and its refusals, BigQuery's `jobs.query` / `jobs.getQueryResults` answers
//! and error shapes.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand_chacha_03::rand_core::SeedableRng;
use reqwest::StatusCode;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::{json, Value};

use crate::support::{options, sandbox, Sandbox};

const TABLE: &str = "cedar-finch-carbon.carbon_footprint_export.carbon_footprint";
const EMAIL: &str = "carbonsync-reader@cedar-finch-carbon.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/bigquery.readonly";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn base(s: &Sandbox) -> &str {
    s.handle.base_url()
}

async fn key_file(s: &Sandbox) -> Value {
    let response = s
        .http
        .get(format!("{}/_control/gcp/service-account-key", base(s)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An assertion signed with `pem`, with these claims.
fn assertion(pem: &str, kid: Option<&str>, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn claims(s: &Sandbox, scope: &str) -> Value {
    let t = now();
    json!({
        "iss": EMAIL,
        "scope": scope,
        "aud": format!("{}/gcp/token", base(s)),
        "iat": t,
        "exp": t + 3600,
    })
}

async fn grant(
    s: &Sandbox,
    form: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = s
        .http
        .post(format!("{}/gcp/token", base(s)))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

async fn token_for(s: &Sandbox, scope: &str) -> String {
    let key = key_file(s).await;
    let jwt = assertion(
        key["private_key"].as_str().unwrap(),
        key["private_key_id"].as_str(),
        claims(s, scope),
    );
    let (status, _, body) = grant(s, &[("grant_type", JWT_BEARER), ("assertion", &jwt)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn query(s: &Sandbox, token: &str, project: &str, body: Value) -> (StatusCode, Value) {
    let response = s
        .http
        .post(format!(
            "{}/gcp/bigquery/v2/projects/{project}/queries",
            base(s)
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn results(s: &Sandbox, token: &str, job: &str, params: &str) -> (StatusCode, Value) {
    let response = s
        .http
        .get(format!(
            "{}/gcp/bigquery/v2/projects/cedar-finch-carbon/queries/{job}?{params}",
            base(s)
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn standard(sql: &str) -> Value {
    json!({"query": sql, "useLegacySql": false})
}

/// Google's error envelope: code, message, status and the first reason.
fn assert_google_error(body: &Value, code: u16, status: &str, reason: &str) -> String {
    let e = &body["error"];
    assert_eq!(e["code"], code, "{body}");
    assert_eq!(e["status"], status, "{body}");
    assert_eq!(e["errors"][0]["reason"], reason, "{body}");
    assert!(e["errors"][0]["message"].is_string(), "{body}");
    e["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_key_file_has_googles_shape() {
    let s = sandbox(options()).await;
    let key = key_file(&s).await;
    assert_eq!(key["type"], "service_account");
    assert_eq!(key["project_id"], "cedar-finch-carbon");
    assert_eq!(key["client_email"], EMAIL);
    assert_eq!(key["token_uri"], "https://oauth2.googleapis.com/token");
    assert_eq!(key["auth_uri"], "https://accounts.google.com/o/oauth2/auth");
    let kid = key["private_key_id"].as_str().unwrap();
    assert_eq!(kid.len(), 40);
    assert!(kid.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(key["client_id"].as_str().unwrap().len(), 21);
    let pem = key["private_key"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "PKCS#8");
    assert!(pem.ends_with("-----END PRIVATE KEY-----\n"));
    // The same seed gives the same key.
    let again = sandbox(options()).await;
    assert_eq!(key_file(&again).await, key);
}

#[tokio::test]
async fn a_signed_assertion_is_traded_for_an_access_token() {
    let s = sandbox(options()).await;
    let key = key_file(&s).await;
    let pem = key["private_key"].as_str().unwrap();
    let kid = key["private_key_id"].as_str();

    let jwt = assertion(pem, kid, claims(&s, SCOPE));
    let (status, headers, body) =
        grant(&s, &[("grant_type", JWT_BEARER), ("assertion", &jwt)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].as_str().unwrap().starts_with("ya29."));
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["token_type"], "Bearer");
    // The providers' clock, not the wall clock, is in `Date`.
    assert_eq!(headers["date"], "Fri, 10 Jan 2025 12:00:00 GMT");

    // Google's own token URI is a good audience too (it is what the key file names).
    let mut google_aud = claims(&s, SCOPE);
    google_aud["aud"] = json!("https://oauth2.googleapis.com/token");
    let jwt = assertion(pem, kid, google_aud);
    let (status, _, _) = grant(&s, &[("grant_type", JWT_BEARER), ("assertion", &jwt)]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn refused_assertions_get_googles_oauth_errors() {
    let s = sandbox(options()).await;
    let key = key_file(&s).await;
    let pem = key["private_key"].as_str().unwrap();
    let kid = key["private_key_id"].as_str();
    let refused = |body: &Value, error: &str, description: &str| {
        assert_eq!(body["error"], error, "{body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains(description),
            "{body}"
        );
    };

    // Another RSA key for the same account and key id.
    let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(99);
    let forged = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let forged_pem = forged.to_pkcs8_pem(LineEnding::LF).unwrap();
    let jwt = assertion(&forged_pem, kid, claims(&s, SCOPE));
    let (status, _, body) = grant(&s, &[("grant_type", JWT_BEARER), ("assertion", &jwt)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    );

    // A key id the account does not have.
    let jwt = assertion(
        pem,
        Some("0123456789abcdef0123456789abcdef01234567"),
        claims(&s, SCOPE),
    );
    let (_, _, body) = grant(&s, &[("grant_type", JWT_BEARER), ("assertion", &jwt)]).await;
    refused(&body, "invalid_grant", "Invalid JWT Signature.");

    // Not a JWT at all.
    let (status, _, body) = grant(
        &s,
        &[("grant_type", JWT_BEARER), ("assertion", "not.a.jwt")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    refused(&body, "invalid_grant", "Invalid JWT Signature.");

    // Another account.
    let mut c = claims(&s, SCOPE);
    c["iss"] = json!("someone@else.iam.gserviceaccount.com");
    let (_, _, body) = grant(
        &s,
        &[
            ("grant_type", JWT_BEARER),
            ("assertion", &assertion(pem, kid, c)),
        ],
    )
    .await;
    refused(&body, "invalid_grant", "account not found");

    // Expired, or longer than an hour.
    let t = now();
    for (iat, exp) in [(t - 7200, t - 3600), (t, t + 7200)] {
        let mut c = claims(&s, SCOPE);
        c["iat"] = json!(iat);
        c["exp"] = json!(exp);
        let (_, _, body) = grant(
            &s,
            &[
                ("grant_type", JWT_BEARER),
                ("assertion", &assertion(pem, kid, c)),
            ],
        )
        .await;
        refused(
            &body,
            "invalid_grant",
            "Token must be a short-lived token (60 minutes)",
        );
    }

    // Another audience.
    let mut c = claims(&s, SCOPE);
    c["aud"] = json!("https://login.example.com/token");
    let (_, _, body) = grant(
        &s,
        &[
            ("grant_type", JWT_BEARER),
            ("assertion", &assertion(pem, kid, c)),
        ],
    )
    .await;
    refused(&body, "invalid_grant", "audience");

    // No scope.
    let mut c = claims(&s, SCOPE);
    c.as_object_mut().unwrap().remove("scope");
    let (_, _, body) = grant(
        &s,
        &[
            ("grant_type", JWT_BEARER),
            ("assertion", &assertion(pem, kid, c)),
        ],
    )
    .await;
    refused(&body, "invalid_scope", "Invalid OAuth scope");

    // Another grant.
    let (_, _, body) = grant(&s, &[("grant_type", "client_credentials")]).await;
    refused(
        &body,
        "unsupported_grant_type",
        "Invalid grant_type: client_credentials",
    );
}

#[tokio::test]
async fn bigquery_refuses_missing_unknown_and_unscoped_tokens() {
    let s = sandbox(options()).await;
    let url = format!(
        "{}/gcp/bigquery/v2/projects/cedar-finch-carbon/queries",
        base(&s)
    );
    let body = standard(&format!("SELECT usage_month FROM `{TABLE}` LIMIT 1"));

    let response = s.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer realm=\"https://accounts.google.com/\""));
    let message = assert_google_error(
        &response.json().await.unwrap(),
        401,
        "UNAUTHENTICATED",
        "required",
    );
    assert!(message.starts_with("Request is missing required authentication credential"));

    let (status, answer) = query(&s, "ya29.made-up", "cedar-finch-carbon", body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_google_error(&answer, 401, "UNAUTHENTICATED", "authError");

    let email_only = token_for(&s, "https://www.googleapis.com/auth/userinfo.email").await;
    let (status, answer) = query(&s, &email_only, "cedar-finch-carbon", body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = assert_google_error(&answer, 403, "PERMISSION_DENIED", "insufficientPermissions");
    assert_eq!(message, "Request had insufficient authentication scopes.");
}

#[tokio::test]
async fn a_query_answers_nested_rows_with_strings_and_pages_through_get_query_results() {
    let s = sandbox(options()).await;
    let token = token_for(&s, SCOPE).await;
    let mut body = standard(&format!(
        "SELECT usage_month, billing_account_id, project, service, location, carbon_model_version, carbon_footprint_kgCO2e \
         FROM `{TABLE}` WHERE usage_month BETWEEN @from_month AND @to_month LIMIT 3"
    ));
    body["maxResults"] = json!(2);
    body["parameterMode"] = json!("NAMED");
    body["queryParameters"] = json!([
        {"name": "from_month", "parameterType": {"type": "DATE"}, "parameterValue": {"value": "2024-06-01"}},
        {"name": "to_month", "parameterType": {"type": "DATE"}, "parameterValue": {"value": "2024-06-01"}},
    ]);
    let (status, first) = query(&s, &token, "cedar-finch-carbon", body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["kind"], "bigquery#queryResponse");
    assert_eq!(first["jobComplete"], true);
    assert_eq!(first["totalRows"], "3");
    assert_eq!(first["jobReference"]["projectId"], "cedar-finch-carbon");
    assert_eq!(first["jobReference"]["location"], "EU");
    let fields = &first["schema"]["fields"];
    assert_eq!(fields[2]["name"], "project");
    assert_eq!(fields[2]["type"], "RECORD");
    assert_eq!(fields[2]["fields"][0]["name"], "id");
    assert_eq!(fields[2]["fields"][1]["name"], "number");
    assert_eq!(fields[5]["type"], "INTEGER");
    assert_eq!(fields[6]["fields"][1]["name"], "scope2");
    assert_eq!(fields[6]["fields"][1]["fields"][1]["name"], "market_based");

    let rows = first["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let row = &rows[0]["f"];
    assert_eq!(row[0]["v"], "2024-06-01");
    assert_eq!(row[1]["v"], "01A7C3-5E9B2F-D48C61");
    assert_eq!(row[2]["v"]["f"][0]["v"], "cedar-finch-web");
    assert_eq!(row[2]["v"]["f"][1]["v"].as_str().unwrap().len(), 12);
    assert_eq!(row[3]["v"]["f"][0]["v"], "6F81-5844-456A");
    assert_eq!(row[3]["v"]["f"][1]["v"], "Compute Engine");
    assert_eq!(row[4]["v"]["f"][1]["v"], "europe-west2");
    assert_eq!(row[5]["v"], "11");
    let kg = &row[6]["v"]["f"];
    for v in [
        &kg[0]["v"],
        &kg[1]["v"]["f"][0]["v"],
        &kg[1]["v"]["f"][1]["v"],
        &kg[2]["v"],
    ] {
        let text = v.as_str().expect("numbers are strings");
        assert!(text.parse::<f64>().is_ok(), "{text}");
    }

    let token_page = first["pageToken"].as_str().unwrap();
    let job = first["jobReference"]["jobId"].as_str().unwrap();
    let (status, second) = results(
        &s,
        &token,
        job,
        &format!("pageToken={token_page}&maxResults=2&location=EU"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["kind"], "bigquery#getQueryResultsResponse");
    assert_eq!(second["rows"].as_array().unwrap().len(), 1);
    assert!(second.get("pageToken").is_none());

    let (status, answer) = results(&s, &token, job, "location=US").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let message = assert_google_error(&answer, 404, "NOT_FOUND", "notFound");
    assert_eq!(
        message,
        format!("Not found: Job cedar-finch-carbon:US.{job}")
    );

    let (status, answer) = results(&s, &token, job, "pageToken=bm90LXRoaXMtam9iLzE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_google_error(&answer, 400, "INVALID_ARGUMENT", "invalid");
}

#[tokio::test]
async fn a_large_result_is_still_running_on_the_first_answer() {
    let s = sandbox(options()).await;
    let token = token_for(&s, SCOPE).await;
    let mut body = standard(&format!("SELECT * FROM `{TABLE}`"));
    body["maxResults"] = json!(100);
    let (status, first) = query(&s, &token, "cedar-finch-carbon", body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["jobComplete"], false);
    assert!(first.get("rows").is_none() && first.get("totalRows").is_none());
    let job = first["jobReference"]["jobId"].as_str().unwrap();

    let (status, done) = results(
        &s,
        &token,
        job,
        "maxResults=100&timeoutMs=10000&location=EU",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["jobComplete"], true);
    let total: usize = done["totalRows"].as_str().unwrap().parse().unwrap();
    assert!(total > 1000, "{total}");
    assert_eq!(done["rows"].as_array().unwrap().len(), 100);
    assert!(done["pageToken"].is_string());
    // `SELECT *` names every column of the export, the totals too.
    let names: Vec<&str> = done["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "usage_month",
            "billing_account_id",
            "project",
            "service",
            "location",
            "carbon_model_version",
            "carbon_footprint_total_kgCO2e",
            "carbon_footprint_kgCO2e"
        ]
    );
}

#[tokio::test]
async fn only_published_months_are_served_and_restated_ones_change_model_version() {
    let s = sandbox(options()).await;
    let token = token_for(&s, SCOPE).await;
    let months = |answer: &Value| -> Vec<String> {
        answer["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["f"][0]["v"].as_str().unwrap().to_owned())
            .collect()
    };
    let sql =
        format!("SELECT DISTINCT usage_month FROM `{TABLE}` WHERE usage_month >= '2024-10-01'");
    let (_, answer) = query(&s, &token, "cedar-finch-carbon", standard(&sql)).await;
    assert_eq!(months(&answer), ["2024-10-01", "2024-11-01"]);

    s.control_post(
        "/_control/cloud/clock",
        json!({"now": "2025-01-15T00:00:00Z"}),
    )
    .await;
    let (_, answer) = query(&s, &token, "cedar-finch-carbon", standard(&sql)).await;
    assert_eq!(months(&answer), ["2024-10-01", "2024-11-01", "2024-12-01"]);

    s.control_post(
        "/_control/cloud/gcp/restate",
        json!({"month": "2024-11", "factor": "1.1"}),
    )
    .await;
    let sql = format!(
        "SELECT DISTINCT usage_month, carbon_model_version AS version FROM `{TABLE}` WHERE usage_month >= DATE '2024-10-01'"
    );
    let (_, answer) = query(&s, &token, "cedar-finch-carbon", standard(&sql)).await;
    let pairs: Vec<(String, String)> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["f"][0]["v"].as_str().unwrap().to_owned(),
                r["f"][1]["v"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("2024-10-01".to_owned(), "11".to_owned()),
            ("2024-11-01".to_owned(), "12".to_owned()),
            ("2024-12-01".to_owned(), "11".to_owned()),
        ]
    );
    assert_eq!(answer["schema"]["fields"][1]["name"], "version");
}

#[tokio::test]
async fn bad_queries_get_bigquerys_errors() {
    let s = sandbox(options()).await;
    let token = token_for(&s, SCOPE).await;
    let project = "cedar-finch-carbon";

    let (status, answer) = query(
        &s,
        &token,
        project,
        standard("SELECT usage_month FROM `cedar-finch-carbon.carbon_footprint_export.nope`"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let message = assert_google_error(&answer, 404, "NOT_FOUND", "notFound");
    assert_eq!(
        message,
        "Not found: Table cedar-finch-carbon:carbon_footprint_export.nope was not found in location EU"
    );

    let (status, answer) = query(
        &s,
        &token,
        project,
        standard("SELECT usage_month FROM `cedar-finch-carbon.billing.carbon_footprint`"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(assert_google_error(&answer, 404, "NOT_FOUND", "notFound")
        .starts_with("Not found: Dataset"));

    let (status, answer) = query(
        &s,
        &token,
        project,
        standard("SELECT usage_month FROM `other-project.data.carbon_footprint`"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        assert_google_error(&answer, 403, "PERMISSION_DENIED", "accessDenied")
            .starts_with("Access Denied: Table other-project:data.carbon_footprint")
    );

    let (status, answer) = query(
        &s,
        &token,
        "other-project",
        standard(&format!("SELECT usage_month FROM `{TABLE}`")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        assert_google_error(&answer, 403, "PERMISSION_DENIED", "accessDenied")
            .contains("bigquery.jobs.create permission in project other-project")
    );

    let cases = [
        (format!("SELECT usage_mont FROM `{TABLE}`"), "Unrecognized name: usage_mont at [1:8]"),
        (
            format!("SELECT project.name FROM `{TABLE}`"),
            "Field name name does not exist in STRUCT<id STRING, number STRING> at [1:16]",
        ),
        (format!("SELECT FROM `{TABLE}`"), "Syntax error: Unexpected keyword FROM at [1:8]"),
        (
            format!("SELECT usage_month FROM `{TABLE}` WHERE usage_month BETWEEN @from_month AND @to_month"),
            "Query parameter 'from_month' not found at [1:",
        ),
    ];
    for (sql, expected) in cases {
        let (status, answer) = query(&s, &token, project, standard(&sql)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{sql}");
        let message = assert_google_error(&answer, 400, "INVALID_ARGUMENT", "invalidQuery");
        assert!(message.starts_with(expected), "{sql}: {message}");
    }

    // jobs.query defaults to legacy SQL.
    let (status, answer) = query(
        &s,
        &token,
        project,
        json!({"query": format!("SELECT usage_month FROM `{TABLE}`")}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        assert_google_error(&answer, 400, "INVALID_ARGUMENT", "invalidQuery")
            .contains("standard SQL")
    );
}

#[tokio::test]
async fn throttled_calls_get_rate_limit_exceeded_and_calls_are_counted() {
    let s = sandbox(options()).await;
    let token = token_for(&s, SCOPE).await;
    s.control_post("/_control/cloud/gcp/throttle", json!({"count": 1}))
        .await;
    let body = standard(&format!("SELECT usage_month FROM `{TABLE}` LIMIT 1"));
    let (status, answer) = query(&s, &token, "cedar-finch-carbon", body.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let message = assert_google_error(&answer, 429, "RESOURCE_EXHAUSTED", "rateLimitExceeded");
    assert!(message.starts_with("Exceeded rate limits"));
    assert_eq!(answer["error"]["errors"][0]["domain"], "usageLimits");

    let (status, _) = query(&s, &token, "cedar-finch-carbon", body).await;
    assert_eq!(status, StatusCode::OK);

    let stats = s.control_get("/_control/stats").await;
    let text = stats.to_string();
    assert!(text.contains("\"gcp.jobs.query\":2"), "{text}");
    assert!(text.contains("\"gcp.token\":1"), "{text}");
}
