//! Salesforce (Net Zero Cloud): the web-server flow with PKCE and Salesforce's token answer,
//! SOQL batches and keyset paging, getDeleted, upsert by external id, the daily allocation,
//! session expiry, refresh-token rotation and field-level security, as a client relies on
//! them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Duration, SecondsFormat, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const SF_CLIENT_ID: &str = "carbonsync-sandbox-salesforce";
const SF_CLIENT_SECRET: &str = "sandbox-salesforce-secret";
const SF_SCOPE: &str = "api refresh_token";
const LOGIN: &str = "/salesforce/services/oauth2";
const DEEP_LINK: &str = "carbonsync://oauth/callback";
const FOOTPRINTS: &str = "StnryAssetCrbnFtprnt";
/// Four buildings, 24 months.
const FOOTPRINT_COUNT: usize = 96;

struct SfSession {
    access: String,
    refresh: String,
    instance_url: String,
}

/// An ISO 8601 text for a time `minutes` from now (negative: ago).
fn iso_from_now(minutes: i64) -> String {
    (Utc::now() + Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The one error of a Salesforce error array, after checking the status.
async fn sf_error(answer: Response, status: StatusCode) -> Value {
    assert_eq!(answer.status(), status);
    let body: Value = answer.json().await.unwrap();
    let errors = body.as_array().expect("errors come as a JSON array");
    assert_eq!(errors.len(), 1, "{body}");
    errors[0].clone()
}

fn ids_of(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["Id"].as_str().unwrap().to_owned())
        .collect()
}

impl Sandbox {
    async fn sf_code(&self, pkce: &Pkce, redirect_uri: &str) -> String {
        let page = self
            .http
            .get(self.url(&format!("{LOGIN}/authorize")))
            .query(&[
                ("response_type", "code"),
                ("client_id", SF_CLIENT_ID),
                ("redirect_uri", redirect_uri),
                ("scope", SF_SCOPE),
                ("state", "sf-st4te"),
                ("code_challenge", &pkce.challenge),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("a local stand-in for Salesforce"));
        assert!(html.contains(&format!("action=\"{LOGIN}/authorize/decision\"")));
        let answer = self
            .http
            .post(self.url(&format!("{LOGIN}/authorize/decision")))
            .form(&[
                ("request_id", scrape_request_id(&html).as_str()),
                ("decision", "approve"),
            ])
            .send()
            .await
            .unwrap();
        let (location, params) = location_params(&answer);
        assert!(location.as_str().starts_with(redirect_uri), "{location}");
        assert_eq!(param(&params, "state"), Some("sf-st4te"));
        param(&params, "code").expect("a code").to_owned()
    }

    async fn sf_token(&self, form: &[(&str, &str)]) -> Response {
        let mut form = form.to_vec();
        form.extend([
            ("client_id", SF_CLIENT_ID),
            ("client_secret", SF_CLIENT_SECRET),
        ]);
        self.http
            .post(self.url(&format!("{LOGIN}/token")))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    async fn sf_exchange(&self, code: &str, verifier: &str, redirect_uri: &str) -> Response {
        self.sf_token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    async fn sf_refresh(&self, refresh_token: &str) -> Response {
        self.sf_token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn sf_sign_in(&self) -> SfSession {
        let pkce = pkce();
        let code = self.sf_code(&pkce, REDIRECT).await;
        let answer = self.sf_exchange(&code, &pkce.verifier, REDIRECT).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        SfSession {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            instance_url: body["instance_url"].as_str().unwrap().to_owned(),
        }
    }

    /// `GET {instance_url}{path}`; `path` is what Salesforce's URLs hold (`/services/data/…`).
    async fn sf_get(&self, session: &SfSession, access: &str, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", session.instance_url))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
    }

    async fn sf_query(&self, session: &SfSession, soql: &str) -> Response {
        self.http
            .get(format!(
                "{}/services/data/v62.0/query",
                session.instance_url
            ))
            .query(&[("q", soql)])
            .bearer_auth(&session.access)
            .send()
            .await
            .unwrap()
    }

    /// Every record a query selects, following `nextRecordsUrl`; also the batch sizes.
    async fn sf_query_all(&self, session: &SfSession, soql: &str) -> (Vec<Value>, Vec<usize>) {
        let answer = self.sf_query(session, soql).await;
        assert_eq!(answer.status(), StatusCode::OK, "{soql}");
        let mut body: Value = answer.json().await.unwrap();
        let total = body["totalSize"].as_u64().unwrap() as usize;
        let (mut all, mut sizes) = (Vec::new(), Vec::new());
        loop {
            assert_eq!(body["totalSize"], total);
            let records = body["records"].as_array().unwrap();
            sizes.push(records.len());
            all.extend(records.iter().cloned());
            if body["done"] == true {
                assert!(body.get("nextRecordsUrl").is_none());
                break;
            }
            let next = body["nextRecordsUrl"].as_str().expect("a nextRecordsUrl");
            assert!(next.starts_with("/services/data/v62.0/query/01g"), "{next}");
            let answer = self.sf_get(session, &session.access, next).await;
            assert_eq!(answer.status(), StatusCode::OK);
            body = answer.json().await.unwrap();
        }
        assert_eq!(all.len(), total);
        (all, sizes)
    }

    async fn sf_upsert(&self, session: &SfSession, key: &str, body: Value) -> Response {
        self.http
            .patch(format!(
                "{}/services/data/v62.0/sobjects/Scope3PcmtSummary/CarbonSync_Key__c/{key}",
                session.instance_url
            ))
            .bearer_auth(&session.access)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn sf_settings(&self, patch: Value) -> Value {
        self.control_ok("/_control/salesforce/settings", patch)
            .await
    }
}

#[tokio::test]
async fn signing_in_with_pkce_gives_salesforce_shaped_tokens_without_expires_in() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let code = sb.sf_code(&pkce, REDIRECT).await;

    let wrong = sb.sf_exchange(&code, &"x".repeat(43), REDIRECT).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "invalid code verifier"})
    );

    let pkce = crate::support::pkce();
    let code = sb.sf_code(&pkce, REDIRECT).await;
    let answer = sb.sf_exchange(&code, &pkce.verifier, REDIRECT).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let body: Value = answer.json().await.unwrap();
    let mut fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "access_token",
            "id",
            "instance_url",
            "issued_at",
            "refresh_token",
            "scope",
            "signature",
            "token_type"
        ],
        "Salesforce sends no expires_in"
    );
    let base = sb.handle.base_url();
    assert_eq!(body["instance_url"], format!("{base}/salesforce/instance"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], SF_SCOPE);
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with(&format!("{base}/salesforce/id/00D")), "{id}");
    let issued_at: i64 = body["issued_at"].as_str().unwrap().parse().unwrap();
    assert!((Utc::now().timestamp_millis() - issued_at).abs() < 60_000);
    let signature = STANDARD
        .decode(body["signature"].as_str().unwrap())
        .unwrap();
    assert_eq!(signature.len(), 32, "an HMAC-SHA256");

    // The token opens the API under instance_url, and the identity URL.
    let session = SfSession {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        instance_url: body["instance_url"].as_str().unwrap().to_owned(),
    };
    let limits = sb
        .sf_get(&session, &session.access, "/services/data/v62.0/limits")
        .await;
    assert_eq!(limits.status(), StatusCode::OK);
    let who = sb
        .http
        .get(id)
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(who.status(), StatusCode::OK);
    let who: Value = who.json().await.unwrap();
    assert_eq!(who["id"], id);
    assert_eq!(
        who["urls"]["query"],
        format!("{base}/salesforce/instance/services/data/v{{version}}/query/")
    );

    // The desktop app's deep link is a registered callback too.
    let pkce = crate::support::pkce();
    let code = sb.sf_code(&pkce, DEEP_LINK).await;
    let answer = sb.sf_exchange(&code, &pkce.verifier, DEEP_LINK).await;
    assert_eq!(answer.status(), StatusCode::OK);

    // A wrong secret, and no session at all.
    let answer = sb
        .http
        .post(sb.url(&format!("{LOGIN}/token")))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", session.refresh.as_str()),
            ("client_id", SF_CLIENT_ID),
            ("client_secret", "guess"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let error = sf_error(
        sb.sf_get(&session, "nonsense", "/services/data/v62.0/limits")
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error["errorCode"], "INVALID_SESSION_ID");
    let unknown_version = sb
        .sf_get(&session, &session.access, "/services/data/v99.0/limits")
        .await;
    assert_eq!(unknown_version.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn paging_through_next_records_url_returns_every_record_exactly_once() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    sb.sf_settings(json!({"batch_size": 7})).await;
    let (records, sizes) = sb
        .sf_query_all(
            &session,
            &format!(
                "SELECT Id, Name, StartDate, SystemModstamp, TotScope1EmissionsInTco2e, \
                 TotScope2LocBasedEmissions FROM {FOOTPRINTS} ORDER BY SystemModstamp, Id"
            ),
        )
        .await;
    assert_eq!(records.len(), FOOTPRINT_COUNT);
    assert_eq!(sizes.len(), FOOTPRINT_COUNT.div_ceil(7));
    assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == 7));
    let mut ids = ids_of(&records);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), FOOTPRINT_COUNT, "no record twice");

    let first = &records[0];
    assert_eq!(first["attributes"]["type"], FOOTPRINTS);
    let id = first["Id"].as_str().unwrap();
    assert_eq!(id.len(), 18);
    assert_eq!(
        first["attributes"]["url"],
        format!("/services/data/v62.0/sobjects/{FOOTPRINTS}/{id}")
    );
    assert!(first["TotScope1EmissionsInTco2e"].is_number(), "{first}");
    let scope2 = first["TotScope2LocBasedEmissions"].to_string();
    assert!(
        scope2.split_once('.').is_none_or(|(_, d)| d.len() <= 4),
        "{scope2}"
    );
    assert!(first["SystemModstamp"]
        .as_str()
        .unwrap()
        .ends_with(".000+0000"));

    // A client may ask for smaller batches than the server allows, within 200 to 2,000.
    sb.sf_settings(json!({"batch_size": 2000})).await;
    let answer = sb
        .http
        .get(format!(
            "{}/services/data/v62.0/query",
            session.instance_url
        ))
        .query(&[("q", format!("SELECT Id FROM {FOOTPRINTS}"))])
        .header("Sforce-Query-Options", "batchSize=200")
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["done"], true, "96 records fit one batch of 200");
    // `query/?q=…`, as many clients write it, is the same resource.
    let answer = sb
        .http
        .get(format!(
            "{}/services/data/v62.0/query/",
            session.instance_url
        ))
        .query(&[("q", format!("SELECT Id FROM {FOOTPRINTS} LIMIT 3"))])
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["totalSize"], 3);

    let stale = sb
        .sf_get(
            &session,
            &session.access,
            "/services/data/v62.0/query/01g8d0000000zzzAAA-7",
        )
        .await;
    let error = sf_error(stale, StatusCode::BAD_REQUEST).await;
    assert_eq!(error["errorCode"], "INVALID_QUERY_LOCATOR");
}

#[tokio::test]
async fn the_system_modstamp_and_id_keyset_breaks_ties_by_id() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    let listing = |condition: &str, limit: usize| {
        format!(
            "SELECT Id, SystemModstamp FROM {FOOTPRINTS} {condition} \
             ORDER BY SystemModstamp, Id LIMIT {limit}"
        )
    };
    let (all, _) = sb.sf_query_all(&session, &listing("", 1000)).await;
    assert_eq!(all.len(), FOOTPRINT_COUNT);
    let stamp = |r: &Value| r["SystemModstamp"].as_str().unwrap().to_owned();
    // A month's footprints are written by one calculation run: they share a stamp.
    let tie = stamp(&all[0]);
    let tied = all.iter().take_while(|r| stamp(r) == tie).count();
    assert!(tied >= 2, "the first {tied} records share {tie}");

    // Resume after the first record of the tie: the keyset finds the rest of it.
    let after = &all[0];
    let keyset = format!(
        "WHERE SystemModstamp > {tie} OR (SystemModstamp = {tie} AND Id > '{}')",
        after["Id"].as_str().unwrap()
    );
    let (page, _) = sb.sf_query_all(&session, &listing(&keyset, 5)).await;
    assert_eq!(ids_of(&page), ids_of(&all[1..6]));
    // Resuming by the stamp alone would skip the rest of the tie.
    let (naive, _) = sb
        .sf_query_all(
            &session,
            &listing(&format!("WHERE SystemModstamp > {tie}"), 1),
        )
        .await;
    assert_eq!(ids_of(&naive), ids_of(&all[tied..tied + 1]));

    // Keyset pages of 10 walk the whole object once.
    let mut walked: Vec<Value> = Vec::new();
    loop {
        let condition = match walked.last() {
            None => String::new(),
            Some(last) => format!(
                "WHERE SystemModstamp > {s} OR (SystemModstamp = {s} AND Id > '{id}')",
                s = stamp(last),
                id = last["Id"].as_str().unwrap()
            ),
        };
        let (page, _) = sb.sf_query_all(&session, &listing(&condition, 10)).await;
        if page.is_empty() {
            break;
        }
        walked.extend(page);
    }
    assert_eq!(ids_of(&walked), ids_of(&all));

    // Records changed together share their new stamp and come after everything else.
    let changed = vec![all[5]["Id"].clone(), all[40]["Id"].clone()];
    let answer = sb
        .control_ok(
            "/_control/salesforce/records/change",
            json!({"object": FOOTPRINTS, "ids": changed}),
        )
        .await;
    let new_stamp = answer["at"].as_str().unwrap().to_owned();
    let last = all.last().unwrap();
    let since = format!(
        "WHERE SystemModstamp > {s} OR (SystemModstamp = {s} AND Id > '{id}')",
        s = stamp(last),
        id = last["Id"].as_str().unwrap()
    );
    let (fresh, _) = sb.sf_query_all(&session, &listing(&since, 100)).await;
    assert_eq!(
        ids_of(&fresh),
        [
            all[5]["Id"].as_str().unwrap(),
            all[40]["Id"].as_str().unwrap()
        ]
    );
    assert!(fresh.iter().all(|r| stamp(r) == new_stamp));
}

#[tokio::test]
async fn get_deleted_reports_a_deletion_and_refuses_a_start_before_the_window() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    let (all, _) = sb
        .sf_query_all(&session, &format!("SELECT Id FROM {FOOTPRINTS}"))
        .await;
    let gone = all[3]["Id"].as_str().unwrap().to_owned();
    sb.control_ok(
        "/_control/salesforce/records/delete",
        json!({"object": FOOTPRINTS, "ids": [gone], "at": iso_from_now(-10)}),
    )
    .await;

    let deleted = |start: String, end: String| {
        let url = format!(
            "{}/services/data/v62.0/sobjects/{FOOTPRINTS}/deleted/",
            session.instance_url
        );
        let request = sb
            .http
            .get(url)
            .query(&[("start", start), ("end", end)])
            .bearer_auth(&session.access);
        async move { request.send().await.unwrap() }
    };
    let answer = deleted(iso_from_now(-60), iso_from_now(0)).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    let records = body["deletedRecords"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{body}");
    assert_eq!(records[0]["id"], gone.as_str());
    assert!(records[0]["deletedDate"]
        .as_str()
        .unwrap()
        .ends_with(".000+0000"));
    assert!(body["earliestDateAvailable"].is_string());
    assert!(body["latestDateCovered"].is_string());

    let (left, _) = sb
        .sf_query_all(&session, &format!("SELECT Id FROM {FOOTPRINTS}"))
        .await;
    assert_eq!(left.len(), FOOTPRINT_COUNT - 1);
    assert!(!ids_of(&left).contains(&gone));

    // Beyond the 15 days the delete log keeps.
    let error = sf_error(
        deleted(iso_from_now(-16 * 24 * 60), iso_from_now(0)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error["errorCode"], "INVALID_REPLICATION_DATE");

    // A narrower window set by the control.
    sb.sf_settings(json!({"earliest_deleted": iso_from_now(-120)}))
        .await;
    let error = sf_error(
        deleted(iso_from_now(-180), iso_from_now(0)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error["errorCode"], "INVALID_REPLICATION_DATE");
    assert_eq!(
        deleted(iso_from_now(-60), iso_from_now(0)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn upserting_twice_by_external_id_keeps_one_record() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    let summary = |purchases: f64| {
        json!({
            "Name": "Harbour & Pine Ltd purchases — March 2024",
            "CalendarYear": "2024",
            "CurrencyCode": "GBP",
            "TotalSpentAmount": 12345.67,
            "Scp3EmssnPurchGoodsService": purchases,
            "TotalScp3Emissions": purchases,
        })
    };
    let key = "uk-2024-03-purchases";
    let created = sb.sf_upsert(&session, key, summary(3.0864)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["success"], true);
    assert_eq!(created["created"], true);
    assert_eq!(created["errors"], json!([]));
    let id = created["id"].as_str().unwrap();
    assert_eq!(id.len(), 18);

    let updated = sb.sf_upsert(&session, key, summary(3.5)).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["created"], false);
    assert_eq!(updated["id"], id);

    let (rows, _) = sb
        .sf_query_all(
            &session,
            &format!(
                "SELECT Id, Name, Scp3EmssnPurchGoodsService, CarbonSync_Key__c \
                 FROM Scope3PcmtSummary WHERE CarbonSync_Key__c = '{key}'"
            ),
        )
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Scp3EmssnPurchGoodsService"], json!(3.5));
    let exported = sb.control_get("/_control/salesforce/exports").await;
    assert_eq!(exported["totalSize"], 1);
    assert_eq!(exported["records"][0]["CarbonSync_Key__c"], key);
    assert_eq!(exported["records"][0]["TotalSpentAmount"], json!(12345.67));

    // The platform's refusals: a new record without its name, a field that does not exist,
    // a field only the platform writes.
    let error = sf_error(
        sb.sf_upsert(&session, "another", json!({"CalendarYear": "2024"}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(error["fields"], json!(["Name"]));
    let error = sf_error(
        sb.sf_upsert(&session, key, json!({"Foo__c": 1})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error["errorCode"], "INVALID_FIELD");
    let error = sf_error(
        sb.sf_upsert(
            &session,
            key,
            json!({"SystemModstamp": "2024-01-01T00:00:00Z"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error["errorCode"], "INVALID_FIELD_FOR_INSERT_UPDATE");
    let exported = sb.control_get("/_control/salesforce/exports").await;
    assert_eq!(exported["totalSize"], 1);
}

#[tokio::test]
async fn the_daily_allocation_runs_out_with_request_limit_exceeded() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    sb.sf_settings(json!({"daily_api_limit": 3, "api_requests_used": 0}))
        .await;
    for used in 1..=3 {
        let answer = sb
            .sf_get(&session, &session.access, "/services/data/v62.0/limits")
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(
            answer.headers()["sforce-limit-info"],
            format!("api-usage={used}/3").as_str()
        );
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            body["DailyApiRequests"],
            json!({"Max": 3, "Remaining": 3 - used})
        );
    }
    let answer = sb
        .sf_query(&session, "SELECT Id FROM Scope3CrbnFtprnt")
        .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(answer.headers()["sforce-limit-info"], "api-usage=3/3");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );

    sb.sf_settings(json!({"api_requests_used": 0})).await;
    let answer = sb
        .sf_query(&session, "SELECT Id FROM Scope3CrbnFtprnt")
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["sforce-limit-info"], "api-usage=1/3");
}

#[tokio::test]
async fn an_expired_session_answers_invalid_session_id_until_the_client_refreshes() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    let soql = "SELECT Id FROM VehicleAssetCrbnFtprnt LIMIT 1";
    assert_eq!(sb.sf_query(&session, soql).await.status(), StatusCode::OK);

    let expired = sb
        .control_ok("/_control/salesforce/sessions/expire", json!({}))
        .await;
    assert_eq!(expired["expired"], 1);
    let answer = sb.sf_query(&session, soql).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );

    // Without rotation a refresh answers a new access token only; the refresh token stays.
    let answer = sb.sf_refresh(&session.refresh).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("expires_in").is_none(), "{body}");
    let renewed = SfSession {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: session.refresh.clone(),
        instance_url: body["instance_url"].as_str().unwrap().to_owned(),
    };
    assert_eq!(sb.sf_query(&renewed, soql).await.status(), StatusCode::OK);
    assert_eq!(
        sb.sf_refresh(&session.refresh).await.status(),
        StatusCode::OK,
        "the same refresh token works again"
    );

    // Revoking the refresh token ends its sessions too.
    let revoked = sb
        .http
        .post(sb.url(&format!("{LOGIN}/revoke")))
        .form(&[("token", session.refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let error = sf_error(sb.sf_query(&renewed, soql).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error["errorCode"], "INVALID_SESSION_ID");
    let body: Value = sb.sf_refresh(&session.refresh).await.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn with_rotation_on_a_refresh_retires_the_old_refresh_token() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    let settings = sb
        .sf_settings(json!({"refresh_token_rotation": true}))
        .await;
    assert_eq!(settings["refresh_token_rotation"], true);

    let answer = sb.sf_refresh(&session.refresh).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    let rotated = body["refresh_token"].as_str().expect("a new refresh token");
    assert_ne!(rotated, session.refresh);

    let old = sb.sf_refresh(&session.refresh).await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST);
    let body: Value = old.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "expired access/refresh token"})
    );
    assert_eq!(sb.sf_refresh(rotated).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_field_hidden_by_field_level_security_is_an_invalid_field_named_in_the_error() {
    let sb = sandbox(options()).await;
    let session = sb.sf_sign_in().await;
    let soql = format!("SELECT Id, TotScope2MktBasedEmissions FROM {FOOTPRINTS}");
    assert_eq!(sb.sf_query(&session, &soql).await.status(), StatusCode::OK);

    sb.sf_settings(json!({"hidden_fields": {FOOTPRINTS: ["TotScope2MktBasedEmissions"]}}))
        .await;
    let error = sf_error(sb.sf_query(&session, &soql).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(error["errorCode"], "INVALID_FIELD");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(
            "No such column 'TotScope2MktBasedEmissions' on entity 'StnryAssetCrbnFtprnt'"
        ),
        "{message}"
    );
    assert!(message.contains("ERROR at Row:1:Column:12"), "{message}");

    // The other fields still read.
    let answer = sb
        .sf_query(
            &session,
            &format!("SELECT Id, TotScope2LocBasedEmissions FROM {FOOTPRINTS}"),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);

    // A misspelt field and a malformed query fail the same ways.
    let error = sf_error(
        sb.sf_query(&session, &format!("SELECT Id, Foo FROM {FOOTPRINTS}"))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("No such column 'Foo' on entity 'StnryAssetCrbnFtprnt'"));
    let error = sf_error(
        sb.sf_query(&session, &format!("SELECT Id FROM {FOOTPRINTS} WHERE"))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error["errorCode"], "MALFORMED_QUERY");
}

#[tokio::test]
async fn footprints_come_from_the_company_and_repeat_for_the_same_seed() {
    let soql = "SELECT Id, Name, StartDate, EndDate, Scp3EmssnPurchGoodsService, \
                TotScope3EmissionsInTco2e FROM Scope3CrbnFtprnt ORDER BY StartDate, Name";
    let mut listings = Vec::new();
    for _ in 0..2 {
        let sb = sandbox(options()).await;
        let session = sb.sf_sign_in().await;
        let (records, _) = sb.sf_query_all(&session, soql).await;
        listings.push(records);
    }
    assert_eq!(listings[0], listings[1], "same seed, same org");
    let records = &listings[0];
    // Two organisations, 24 months.
    assert_eq!(records.len(), 48);
    assert_eq!(records[0]["StartDate"], "2023-01-01");
    assert_eq!(records[0]["EndDate"], "2023-01-31");
    let totals: Vec<f64> = records
        .iter()
        .map(|r| r["TotScope3EmissionsInTco2e"].as_f64().expect("a number"))
        .collect();
    assert!(
        totals.iter().any(|&t| t > 0.0),
        "the organisations' supplier spend gives Scope 3 emissions"
    );
    for record in records {
        let text = record["TotScope3EmissionsInTco2e"].to_string();
        assert!(
            text.split_once('.').is_none_or(|(_, d)| d.len() <= 4),
            "{text}"
        );
    }
}
