//! The Azure connector signing in with a certificate instead of a client secret, against the
//! sandbox's Azure stand-in: the client-assertion grant works for identify and a month of
//! emissions, a certificate the app registration does not hold is refused in words naming the
//! certificate and nothing secret, and a connection with both or neither of the secret and
//! the certificate is refused before any call.

use std::collections::BTreeMap;
use std::time::Duration;

use carbonsync_providers::{
    cloud_registration, Basis, CallMeter, CloudCredentials, ProviderError, RetryPolicy,
};

use crate::cloud_support::{fields, month, read_all, sums, CloudSandbox, ScopeNames};

const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    max_wait: Duration::from_secs(2),
    base_backoff: Duration::from_millis(5),
};

const SCOPES: &ScopeNames = &[
    ((1, None), "scope1"),
    ((2, Some(Basis::Market)), "scope2_market"),
    ((3, None), "scope3_market"),
];

/// The sandbox's certificate PEM: the registered one, or one of another key.
async fn certificate(azure: &CloudSandbox, registered: bool) -> String {
    let answer = azure
        .get(&format!(
            "/_control/azure/certificate?registered={registered}"
        ))
        .await;
    assert!(answer.status().is_success());
    answer.text().await.unwrap()
}

/// The sandbox's tenant and client with `certificate` in place of the client secret.
fn with_certificate(pem: &str) -> CloudCredentials {
    let mut f: BTreeMap<String, String> = fields("azure");
    f.remove("client_secret");
    f.insert("certificate".to_owned(), pem.to_owned());
    CloudCredentials::new(f)
}

/// The base64 body lines of the PEM's private key.
fn key_lines(pem: &str) -> Vec<String> {
    let start = pem.find("-----BEGIN PRIVATE KEY-----").unwrap();
    pem[start..]
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn assert_nothing_secret(error: &ProviderError, pem: &str) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    for line in key_lines(pem) {
        assert!(!text.contains(&line), "{text}");
    }
}

#[tokio::test]
async fn the_form_offers_a_secret_or_a_certificate_both_optional() {
    let registration = cloud_registration("azure").unwrap();
    let secret = registration
        .fields
        .iter()
        .find(|f| f.name == "client_secret")
        .unwrap();
    let cert = registration
        .fields
        .iter()
        .find(|f| f.name == "certificate")
        .unwrap();
    assert!(secret.optional && secret.secret);
    assert!(cert.optional && cert.secret);
    assert_eq!(cert.flag, "--certificate-file");
    assert!(
        cert.help.contains("Certificates & secrets"),
        "{}",
        cert.help
    );
    assert!(cert.help.contains("keychain"), "{}", cert.help);
    assert!(cert.help.contains("either"), "{}", cert.help);
}

#[tokio::test]
async fn a_certificate_signs_in_for_identify_and_a_month_of_emissions() {
    let azure = CloudSandbox::start().await;
    let pem = certificate(&azure, true).await;
    let creds = with_certificate(&pem);
    let connector = azure.connector("azure", 5000, RETRY);
    let meter = CallMeter::default();
    let estate = connector.identify(&creds, &meter).await.unwrap();
    assert_eq!(estate.tenant_id, fields("azure")["tenant_id"]);
    assert_eq!(estate.accounts.len(), 3);

    let (rows, _) = read_all(
        &*connector,
        &creds,
        month("2024-03"),
        month("2024-03"),
        &meter,
    )
    .await
    .unwrap();
    assert!(!rows.is_empty());
    // The same month read with the client secret gives the same numbers.
    let by_secret = azure.connector("azure", 5000, RETRY);
    let (secret_rows, _) = read_all(
        &*by_secret,
        &crate::cloud_support::credentials("azure"),
        month("2024-03"),
        month("2024-03"),
        &CallMeter::default(),
    )
    .await
    .unwrap();
    assert_eq!(sums(&rows, SCOPES), sums(&secret_rows, SCOPES));
    assert_eq!(sums(&rows, SCOPES)["2024-03"].len(), 3);
}

#[tokio::test]
async fn a_certificate_of_another_key_is_refused_naming_the_certificate() {
    let azure = CloudSandbox::start().await;
    let pem = certificate(&azure, false).await;
    let connector = azure.connector("azure", 5000, RETRY);
    let meter = CallMeter::default();
    let error = connector
        .identify(&with_certificate(&pem), &meter)
        .await
        .unwrap_err();
    match &error {
        ProviderError::Unauthorized { detail } => {
            assert!(detail.contains("certificate"), "{detail}");
            assert!(detail.contains("AADSTS700027"), "{detail}");
            assert!(detail.contains("thumbprint"), "{detail}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert_nothing_secret(&error, &pem);
    assert_eq!(meter.calls(), 1, "the token request only");
}

#[tokio::test]
async fn a_certificate_whose_key_is_another_is_refused_before_any_call() {
    let azure = CloudSandbox::start().await;
    let registered = certificate(&azure, true).await;
    let other = certificate(&azure, false).await;
    // The registered certificate with the other certificate's private key.
    let cert_end = registered.find("-----BEGIN PRIVATE KEY-----").unwrap();
    let key_start = other.find("-----BEGIN PRIVATE KEY-----").unwrap();
    let mixed = format!("{}{}", &registered[..cert_end], &other[key_start..]);
    let connector = azure.connector("azure", 5000, RETRY);
    let meter = CallMeter::default();
    let error = connector
        .identify(&with_certificate(&mixed), &meter)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::InvalidConfig { detail } if detail.contains("certificate") && detail.contains("private key")),
        "{error:?}"
    );
    assert_nothing_secret(&error, &mixed);
    assert_eq!(meter.calls(), 0);

    // Text that is no PEM at all, and a certificate without its key.
    for (text, words) in [
        ("not a pem file", "PEM"),
        (&registered[..cert_end], "no private key"),
    ] {
        let error = connector
            .identify(&with_certificate(text), &meter)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ProviderError::InvalidConfig { detail } if detail.contains(words)),
            "{error:?}"
        );
    }
    assert_eq!(meter.calls(), 0);
}

#[tokio::test]
async fn neither_or_both_of_secret_and_certificate_are_refused_before_any_call() {
    let azure = CloudSandbox::start().await;
    let pem = certificate(&azure, true).await;
    let connector = azure.connector("azure", 5000, RETRY);
    let meter = CallMeter::default();

    let mut both = fields("azure");
    both.insert("certificate".to_owned(), pem.clone());
    let error = connector
        .identify(&CloudCredentials::new(both), &meter)
        .await
        .unwrap_err();
    match &error {
        ProviderError::InvalidConfig { detail } => {
            assert!(detail.contains("both"), "{detail}");
            assert!(detail.contains("client secret"), "{detail}");
            assert!(detail.contains("certificate"), "{detail}");
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    assert_nothing_secret(&error, &pem);

    let mut neither = fields("azure");
    neither.remove("client_secret");
    neither.insert("certificate".to_owned(), "  ".to_owned());
    let error = connector
        .identify(&CloudCredentials::new(neither), &meter)
        .await
        .unwrap_err();
    match &error {
        ProviderError::InvalidConfig { detail } => {
            assert!(detail.contains("neither"), "{detail}");
            assert!(detail.contains("client secret"), "{detail}");
            assert!(detail.contains("certificate"), "{detail}");
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    assert_eq!(meter.calls(), 0, "nothing is sent");
}

#[tokio::test]
async fn the_principal_shows_nothing_secret_in_debug() {
    let azure = CloudSandbox::start().await;
    let pem = certificate(&azure, true).await;
    let principal =
        carbonsync_providers::cloud::azure::identity::ServicePrincipal::from_credentials(
            &with_certificate(&pem),
        )
        .unwrap();
    let shown = format!("{principal:?}");
    assert!(shown.contains("thumbprint"), "{shown}");
    for line in key_lines(&pem) {
        assert!(!shown.contains(&line), "{shown}");
    }
}
