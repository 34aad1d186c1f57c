//! Microsoft Teams through a Power Automate Workflows webhook ("When a Teams webhook request
//! is received"; Office 365 connectors are retired): one POST of an Adaptive Card per
//! message, answered `202 Accepted`. The URL carries its own signature (`sig=`) and is the
//! secret.
//!
//! Refusals come in Logic Apps' shape, `{"error": {"code": …, "message": …}}`; each known
//! code becomes words that say what to do. A card over Teams' message size limit is
//! accepted by the webhook and then fails inside the flow, unseen; so the card is checked
//! here first and the chart left out when it would not fit.

use async_trait::async_trait;
use reqwest::Url;
use std::time::Duration;

use crate::http::{Body, CallMeter, HttpClient, PlatformRules, Request, RetryPolicy};
use crate::notifier::{ChartImage, Delivered, Message, Notifier};
use crate::ProviderError;

use super::card;

const RULES: PlatformRules = PlatformRules {
    name: "Microsoft Teams",
    limit_header: None,
    long_limits: &[],
    request_id_header: Some("x-ms-workflow-run-id"),
    describe_code: None,
    usage_header: None,
    refusal: Some(workflow_refusal),
};

/// A Logic Apps refusal, `{"error": {"code": "WorkflowNotFound", "message": …}}`.
fn workflow_refusal(body: &[u8]) -> Option<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        code: String,
    }
    let code = serde_json::from_slice::<Envelope>(body).ok()?.error.code;
    let code: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    (!code.is_empty()).then(|| (code.clone(), describe(&code)))
}

/// A Workflows error code in words, with what to do (codes from Azure Logic Apps, which runs
/// Power Automate's HTTP triggers).
pub fn describe(code: &str) -> String {
    match code {
        "DirectApiAuthorizationRequired" | "DirectApiInvalidAuthorizationSignature" => {
            "The workflow's address is incomplete or its signature no longer matches (the URL was changed or regenerated). Copy the URL again from the workflow in Teams and paste it in CarbonSync"
        }
        "WorkflowNotFound" => {
            "The workflow no longer exists. Create it again in Teams (Workflows → \"Send webhook alerts to a channel\") and paste its URL in CarbonSync"
        }
        "WorkflowTriggerIsNotEnabled" | "WorkflowDisabled" => {
            "The workflow is turned off. Turn it on in Power Automate (My flows) and send again"
        }
        "InvalidRequestContent" | "TriggerInputSchemaMismatch" => {
            "The workflow refused the card's format. This is a problem in CarbonSync: send the destination's history to support"
        }
        "WorkflowRequestsThrottled" | "TooManyRequests" => {
            "Power Automate's rate limit was reached and did not reset in time. Send again in a minute"
        }
        _ => "Teams refused the message",
    }
    .to_owned()
}

/// A Teams destination: its Workflows URL.
pub struct TeamsNotifier {
    http: HttpClient,
    url: Url,
}

impl std::fmt::Debug for TeamsNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The query holds the signature: only the host is shown.
        write!(
            f,
            "TeamsNotifier({})",
            self.url.host_str().unwrap_or("no host")
        )
    }
}

impl TeamsNotifier {
    /// Errors: [`ProviderError::InvalidConfig`] for a URL that is not an https (or, for the
    /// sandbox, loopback http) address.
    pub fn new(url: &str, retry: &RetryPolicy) -> Result<Self, ProviderError> {
        let url = check_url(url)?;
        Ok(TeamsNotifier {
            http: HttpClient::new(
                RULES,
                retry.clone(),
                Duration::from_secs(10),
                Duration::from_secs(60),
            )?,
            url,
        })
    }
}

/// Checks a pasted Workflows URL: https (http only on loopback, for the sandbox), with the
/// `sig` parameter a Workflows trigger address always has.
pub fn check_url(url: &str) -> Result<Url, ProviderError> {
    let invalid = |why: &str| {
        ProviderError::InvalidConfig {
        detail: format!("this is not a Teams workflow address: {why}. In Teams, open the workflow (\"When a Teams webhook request is received\"), copy its HTTP POST URL and paste it whole"),
    }
    };
    let parsed = Url::parse(url.trim()).map_err(|_| invalid("it is not a URL"))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        return Err(invalid("it does not start with https://"));
    }
    if !parsed
        .query_pairs()
        .any(|(k, v)| k == "sig" && !v.is_empty())
    {
        return Err(invalid("its signature (sig=…) is missing"));
    }
    Ok(parsed)
}

#[async_trait]
impl Notifier for TeamsNotifier {
    fn platform(&self) -> &'static str {
        "teams"
    }

    async fn send(
        &self,
        message: &Message,
        chart: Option<&ChartImage>,
        meter: &CallMeter,
    ) -> Result<Delivered, ProviderError> {
        let mut delivered = Delivered::default();
        let mut payload = card::payload(message, chart);
        if chart.is_some() {
            if card::fits(&payload) {
                delivered.chart_sent = true;
            } else {
                payload = card::payload(message, None);
                delivered.chart_note = Some(
                    "The chart was left out: with it the card would pass Teams' 28 KB message limit"
                        .to_owned(),
                );
            }
        }
        if !card::fits(&payload) {
            return Err(ProviderError::Refused {
                code: "MessageTooLarge".to_owned(),
                words: "The card is larger than Teams' 28 KB message limit even without its chart. This is a problem in CarbonSync: send the destination's history to support".to_owned(),
            });
        }
        self.http
            .send(
                &Request {
                    label: "workflow webhook",
                    url: self.url.clone(),
                    bearer: "",
                    headers: Vec::new(),
                    body: Some(Body::Create(payload.to_string())),
                },
                meter,
            )
            .await?;
        Ok(delivered)
    }
}
