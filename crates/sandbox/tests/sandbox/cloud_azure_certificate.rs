//! The Azure stand-in's certificate credential, spoken with plain reqwest: the control route
//! serves the registered certificate and its key as PEM; the token endpoint accepts a client
//! assertion signed by it and refuses, with the identity platform's codes, one signed by
//! another key, naming an unknown certificate, for another audience, issued by another client,
//! or expired.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::{DecodePem, Encode};

use crate::support::{options, sandbox, Sandbox};

const TENANT: &str = "4b1c2f8e-7d3a-4e59-9a61-2c8f0d5e7b13";
const CLIENT: &str = "9d2e6a41-3f7b-4c85-b0e2-71a4c6d8f359";
const NO_ROLE_CLIENT: &str = "e3f1b7c2-58a9-4d06-8c4e-0a9b2d6f1e84";
const SCOPE: &str = "https://management.azure.com/.default";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A certificate PEM split into what signing needs.
struct Pem {
    key: EncodingKey,
    x5t: String,
    x5t_s256: String,
}

impl Pem {
    fn read(text: &str) -> Pem {
        let key_start = text.find("-----BEGIN PRIVATE KEY-----").unwrap();
        let cert = x509_cert::Certificate::from_pem(&text.as_bytes()[..key_start]).unwrap();
        let der = cert.to_der().unwrap();
        Pem {
            key: EncodingKey::from_rsa_pem(&text.as_bytes()[key_start..]).unwrap(),
            x5t: URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der)),
            x5t_s256: URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
        }
    }
}

impl Sandbox {
    async fn azure_certificate(&self, registered: bool) -> String {
        let answer = self
            .http
            .get(self.url(&format!(
                "/_control/azure/certificate?registered={registered}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answer.text().await.unwrap()
    }

    fn azure_token_url(&self) -> String {
        self.url(&format!("/azure/{TENANT}/oauth2/v2.0/token"))
    }

    async fn azure_assertion_answer(&self, client: &str, assertion: &str) -> (StatusCode, Value) {
        let answer = self
            .http
            .post(self.azure_token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion),
                ("scope", SCOPE),
            ])
            .send()
            .await
            .unwrap();
        let status = answer.status();
        (status, answer.json().await.unwrap())
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An assertion as the platform's documentation describes it, with `claims` overriding.
fn assertion(key: &EncodingKey, header: Header, aud: &str, claims: Value) -> String {
    let t = now();
    let mut body = json!({
        "aud": aud,
        "iss": CLIENT,
        "sub": CLIENT,
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": t,
        "iat": t,
        "exp": t + 300,
    });
    for (k, v) in claims.as_object().unwrap() {
        body[k] = v.clone();
    }
    jsonwebtoken::encode(&header, &body, key).unwrap()
}

fn header(alg: Algorithm, x5t: Option<&str>, x5t_s256: Option<&str>) -> Header {
    let mut h = Header::new(alg);
    h.x5t = x5t.map(str::to_owned);
    h.x5t_s256 = x5t_s256.map(str::to_owned);
    h
}

fn code(body: &Value) -> u64 {
    body["error_codes"][0].as_u64().unwrap()
}

#[tokio::test]
async fn the_control_route_serves_a_certificate_and_key_the_same_for_the_same_seed() {
    let sb = sandbox(options()).await;
    let pem = sb.azure_certificate(true).await;
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(pem.contains("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(pem, sb.azure_certificate(true).await);
    let other = sb.azure_certificate(false).await;
    assert_ne!(Pem::read(&pem).x5t, Pem::read(&other).x5t);
}

#[tokio::test]
async fn an_assertion_signed_by_the_registered_certificate_is_answered_with_a_token() {
    let sb = sandbox(options()).await;
    let pem = Pem::read(&sb.azure_certificate(true).await);
    let aud = sb.azure_token_url();
    for (h, client) in [
        (header(Algorithm::PS256, None, Some(&pem.x5t_s256)), CLIENT),
        (header(Algorithm::RS256, Some(&pem.x5t), None), CLIENT),
        (
            header(Algorithm::RS256, Some(&pem.x5t), Some(&pem.x5t_s256)),
            CLIENT,
        ),
    ] {
        let a = assertion(&pem.key, h, &aud, json!({"iss": client, "sub": client}));
        let (status, body) = sb.azure_assertion_answer(client, &a).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["access_token"].as_str().is_some());
    }
    // Microsoft's own token URL is an audience as good as the stand-in's, and the second
    // principal has the same certificate registered.
    let a = assertion(
        &pem.key,
        header(Algorithm::PS256, None, Some(&pem.x5t_s256)),
        &format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"),
        json!({"iss": NO_ROLE_CLIENT, "sub": NO_ROLE_CLIENT}),
    );
    let (status, body) = sb.azure_assertion_answer(NO_ROLE_CLIENT, &a).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn assertions_the_platform_would_refuse_are_refused_with_its_codes() {
    let sb = sandbox(options()).await;
    let pem = Pem::read(&sb.azure_certificate(true).await);
    let other = Pem::read(&sb.azure_certificate(false).await);
    let aud = sb.azure_token_url();
    let ps = |p: &Pem| header(Algorithm::PS256, None, Some(&p.x5t_s256));

    // Signed by another key while naming the registered certificate.
    let forged = assertion(&other.key, ps(&pem), &aud, json!({}));
    let (status, body) = sb.azure_assertion_answer(CLIENT, &forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(code(&body), 700027);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("invalid signature"));

    // A certificate the application does not have.
    let unknown = assertion(&other.key, ps(&other), &aud, json!({}));
    let (status, body) = sb.azure_assertion_answer(CLIENT, &unknown).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), 700027);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("key was not found"));

    // No thumbprint at all.
    let unnamed = assertion(
        &pem.key,
        header(Algorithm::RS256, None, None),
        &aud,
        json!({}),
    );
    let (_, body) = sb.azure_assertion_answer(CLIENT, &unnamed).await;
    assert_eq!(code(&body), 700027);

    // Another audience.
    let elsewhere = assertion(
        &pem.key,
        ps(&pem),
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        json!({}),
    );
    let (status, body) = sb.azure_assertion_answer(CLIENT, &elsewhere).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), 700023);

    // Issued by another client than the one asking.
    let (status, body) = sb
        .azure_assertion_answer(
            NO_ROLE_CLIENT,
            &assertion(&pem.key, ps(&pem), &aud, json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), 700021);

    // Expired, and not yet valid.
    let t = now();
    for claims in [
        json!({"nbf": t - 3600, "iat": t - 3600, "exp": t - 3000}),
        json!({"nbf": t + 3600, "iat": t + 3600, "exp": t + 3900}),
    ] {
        let a = assertion(&pem.key, ps(&pem), &aud, claims);
        let (status, body) = sb.azure_assertion_answer(CLIENT, &a).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&body), 700024, "{body}");
    }

    // Not a JWT, and the wrong assertion type.
    let (status, body) = sb.azure_assertion_answer(CLIENT, "not-a-jwt").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), 50027);
    let answer = sb
        .http
        .post(sb.azure_token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_assertion_type", "urn:example:other"),
            ("client_assertion", forged.as_str()),
            ("scope", SCOPE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
}
