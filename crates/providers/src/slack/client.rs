//! Slack's Web API and incoming webhooks, as CarbonSync uses them: list the channels a bot
//! can post to, post a Block Kit message, upload the report's chart in Slack's two steps
//! (`files.getUploadURLExternal`, a POST of the bytes, `files.completeUploadExternal`), and
//! post through an incoming-webhook URL.
//!
//! Slack answers Web API calls with HTTP 200 and `"ok": false` when it refuses; each such
//! code becomes a [`ProviderError::Refused`] whose words say what to do. A 429 carries
//! `Retry-After` (chat.postMessage allows about one message a second per channel; Slack's
//! "Rate limits" page), which the retry policy waits out.

use async_trait::async_trait;
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

use crate::http::{Body, CallMeter, HttpClient, PlatformRules, Request, RetryPolicy};
use crate::notifier::{ChartImage, Delivered, Message, Notifier};
use crate::ProviderError;

use super::blocks;

const RULES: PlatformRules = PlatformRules {
    name: "Slack",
    limit_header: None,
    long_limits: &[],
    request_id_header: Some("x-slack-req-id"),
    describe_code: None,
    usage_header: None,
    refusal: Some(webhook_refusal),
};

/// An incoming webhook's refusal: its body is the code alone, in plain text
/// (`channel_not_found`; Slack's "Handling errors" for incoming webhooks).
fn webhook_refusal(body: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let is_code = !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    is_code.then(|| (text.to_owned(), describe(text)))
}

/// A channel the bot can see, from `conversations.list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Channel {
    /// Slack's id (`C…`, `G…`).
    pub id: String,
    /// Without the `#`.
    pub name: String,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    /// Whether the bot is in the channel (it must be invited to post to it).
    #[serde(default)]
    pub is_member: bool,
}

/// What `oauth.v2.access` says about the workspace and the bot, beside the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub team_id: String,
    pub team_name: String,
}

/// Slack's refusal codes in words, with what to do. Source: each method's "Errors" table in
/// Slack's API reference (chat.postMessage, files.completeUploadExternal,
/// conversations.list) and the incoming-webhooks error list.
pub fn describe(code: &str) -> String {
    let words = match code {
        "channel_not_found" => "Slack cannot find the channel: it was deleted, renamed into a private channel the app cannot see, or belongs to another workspace. Pick the channel again in CarbonSync (Notifications)",
        "not_in_channel" => "The CarbonSync app is not a member of the channel. In Slack, open the channel and type /invite @CarbonSync, then send again",
        "is_archived" | "channel_is_archived" => "The channel is archived. Unarchive it in Slack or pick another channel in CarbonSync",
        "invalid_auth" | "not_authed" | "account_inactive" => "Slack no longer accepts CarbonSync's token for this workspace. Connect Slack again in CarbonSync",
        "token_revoked" | "token_expired" => "The CarbonSync app was removed from the workspace or its token revoked. Connect Slack again in CarbonSync",
        "missing_scope" => "The Slack app lacks a permission it needs (chat:write, channels:read, files:write). Connect Slack again and approve every permission asked",
        "no_service" | "no_active_hooks" | "invalid_token" => "This incoming-webhook URL no longer works (the webhook or its app was removed). Create a new webhook in Slack and paste its URL in CarbonSync",
        "action_prohibited" => "A Slack administrator restricts posting to this channel. Ask them to allow the app, or pick another channel",
        "posting_to_general_channel_denied" => "Only administrators may post to this channel. Pick another channel",
        "ratelimited" | "rate_limited" => "Slack's rate limit was reached and did not reset in time. Send again in a minute",
        "invalid_blocks" | "invalid_blocks_format" | "invalid_payload" | "no_text" | "msg_too_long" => "Slack refused the message's format. This is a problem in CarbonSync: send the destination's history to support",
        "restricted_action" | "ekm_access_denied" => "The workspace's settings do not allow this app to post. Ask a Slack administrator",
        "file_upload_failed" | "file_not_found" | "upload_failed" => "Slack did not take the chart image; the report itself was sent",
        _ => "Slack refused the message",
    };
    words.to_owned()
}

fn refused(code: &str) -> ProviderError {
    // Slack's codes are short snake_case words; anything else is cut and cleaned.
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    ProviderError::Refused {
        words: describe(&code),
        code,
    }
}

/// A Web API answer's envelope.
#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

/// Reads a Web API answer: the typed body when `ok`, a [`ProviderError::Refused`] otherwise.
fn read<T: for<'de> Deserialize<'de>>(
    body: Option<bytes::Bytes>,
    method: &str,
) -> Result<T, ProviderError> {
    let body = body.unwrap_or_default();
    let envelope: Envelope = serde_json::from_slice(&body).map_err(|e| bad(method, &e))?;
    if !envelope.ok {
        return Err(refused(
            envelope.error.as_deref().unwrap_or("unknown_error"),
        ));
    }
    serde_json::from_slice(&body).map_err(|e| bad(method, &e))
}

fn bad(method: &str, e: &serde_json::Error) -> ProviderError {
    ProviderError::BadResponse {
        detail: format!("{method}: {e}"),
    }
}

fn http(retry: &RetryPolicy) -> Result<HttpClient, ProviderError> {
    HttpClient::new(
        RULES,
        retry.clone(),
        Duration::from_secs(10),
        Duration::from_secs(60),
    )
}

/// The Web API with a bot token (`xoxb-…`).
#[derive(Clone)]
pub struct SlackApi {
    http: HttpClient,
    api_base: Url,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SlackApi({})", self.api_base)
    }
}

impl SlackApi {
    /// `api_base`: `https://slack.com/api` (or the sandbox's). Errors:
    /// [`ProviderError::InvalidConfig`] for an unusable URL.
    pub fn new(api_base: &str, retry: &RetryPolicy) -> Result<Self, ProviderError> {
        let api_base =
            Url::parse(&format!("{}/", api_base.trim_end_matches('/'))).map_err(|e| {
                ProviderError::InvalidConfig {
                    detail: format!("Slack API address {api_base:?}: {e}"),
                }
            })?;
        Ok(SlackApi {
            http: http(retry)?,
            api_base,
        })
    }

    fn url(&self, method: &str) -> Url {
        self.api_base.join(method).expect("a method name joins")
    }

    /// The public channels the bot can see (private ones would need the `groups:read` scope,
    /// which CarbonSync does not ask for), archived ones left out, by name.
    pub async fn channels(
        &self,
        token: &str,
        meter: &CallMeter,
    ) -> Result<Vec<Channel>, ProviderError> {
        #[derive(Deserialize)]
        struct Page {
            channels: Vec<Channel>,
            #[serde(default)]
            response_metadata: Option<Meta>,
        }
        #[derive(Deserialize)]
        struct Meta {
            #[serde(default)]
            next_cursor: String,
        }
        let mut all = Vec::new();
        let mut cursor = String::new();
        // A workspace has at most some thousands of channels; the bound keeps a platform
        // that repeats a cursor from looping for ever.
        for _ in 0..200 {
            let mut url = self.url("conversations.list");
            url.query_pairs_mut()
                .append_pair("types", "public_channel")
                .append_pair("exclude_archived", "true")
                .append_pair("limit", "200");
            if !cursor.is_empty() {
                url.query_pairs_mut().append_pair("cursor", &cursor);
            }
            let answer = self
                .http
                .send(
                    &Request {
                        label: "conversations.list",
                        url,
                        bearer: token,
                        headers: Vec::new(),
                        body: None,
                    },
                    meter,
                )
                .await?;
            let page: Page = read(answer.body, "conversations.list")?;
            all.extend(page.channels.into_iter().filter(|c| !c.is_archived));
            cursor = page
                .response_metadata
                .map(|m| m.next_cursor)
                .unwrap_or_default();
            if cursor.is_empty() {
                break;
            }
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// Posts a message; returns the channel id and the message's `ts`.
    pub async fn post_message(
        &self,
        token: &str,
        channel: &str,
        text: &str,
        blocks: &Value,
        meter: &CallMeter,
    ) -> Result<(String, String), ProviderError> {
        #[derive(Deserialize)]
        struct Posted {
            channel: String,
            ts: String,
        }
        let body =
            json!({ "channel": channel, "text": text, "blocks": blocks, "unfurl_links": false });
        let answer = self
            .http
            .send(
                &Request {
                    label: "chat.postMessage",
                    url: self.url("chat.postMessage"),
                    bearer: token,
                    headers: Vec::new(),
                    body: Some(Body::Create(body.to_string())),
                },
                meter,
            )
            .await?;
        let posted: Posted = read(answer.body, "chat.postMessage")?;
        Ok((posted.channel, posted.ts))
    }

    /// Uploads `chart` and shares it in `channel` (in the thread of `thread_ts` when given);
    /// returns Slack's file id.
    pub async fn upload_chart(
        &self,
        token: &str,
        channel: &str,
        thread_ts: Option<&str>,
        chart: &ChartImage,
        meter: &CallMeter,
    ) -> Result<String, ProviderError> {
        #[derive(Deserialize)]
        struct Ticket {
            upload_url: String,
            file_id: String,
        }
        let ticket: Ticket = {
            let answer = self
                .http
                .send(
                    &Request {
                        label: "files.getUploadURLExternal",
                        url: self.url("files.getUploadURLExternal"),
                        bearer: token,
                        headers: Vec::new(),
                        body: Some(Body::Form(vec![
                            ("filename", chart.file_name.clone()),
                            ("length", chart.png.len().to_string()),
                            ("alt_txt", chart.alt_text.clone()),
                        ])),
                    },
                    meter,
                )
                .await?;
            read(answer.body, "files.getUploadURLExternal")?
        };
        let upload_url =
            Url::parse(&ticket.upload_url).map_err(|e| ProviderError::BadResponse {
                detail: format!("files.getUploadURLExternal gave no usable upload address: {e}"),
            })?;
        // The address is pre-signed: no token goes with the bytes.
        self.http
            .send(
                &Request {
                    label: "file upload",
                    url: upload_url,
                    bearer: "",
                    headers: Vec::new(),
                    body: Some(Body::Upload(bytes::Bytes::from(chart.png.clone()))),
                },
                meter,
            )
            .await?;
        let files = json!([{ "id": ticket.file_id, "title": chart.alt_text }]).to_string();
        let mut form = vec![("files", files), ("channel_id", channel.to_owned())];
        if let Some(ts) = thread_ts {
            form.push(("thread_ts", ts.to_owned()));
        }
        let answer = self
            .http
            .send(
                &Request {
                    label: "files.completeUploadExternal",
                    url: self.url("files.completeUploadExternal"),
                    bearer: token,
                    headers: Vec::new(),
                    body: Some(Body::Form(form)),
                },
                meter,
            )
            .await?;
        let _: Value = read(answer.body, "files.completeUploadExternal")?;
        Ok(ticket.file_id)
    }

    /// Revokes the bot token (disconnecting Slack). Errors as for every call.
    pub async fn revoke(&self, token: &str, meter: &CallMeter) -> Result<(), ProviderError> {
        let answer = self
            .http
            .send(
                &Request {
                    label: "auth.revoke",
                    url: self.url("auth.revoke"),
                    bearer: token,
                    headers: Vec::new(),
                    body: Some(Body::Form(Vec::new())),
                },
                meter,
            )
            .await?;
        let _: Value = read(answer.body, "auth.revoke")?;
        Ok(())
    }
}

/// Replaces a message through the `response_url` Slack gave with a button click (valid for
/// 30 minutes, up to five uses; Slack's "Handling user interaction" page). The address is
/// itself the credential, so it is never logged.
pub async fn respond(
    response_url: &str,
    text: &str,
    blocks: &Value,
    retry: &RetryPolicy,
    meter: &CallMeter,
) -> Result<(), ProviderError> {
    let url = Url::parse(response_url).map_err(|_| ProviderError::InvalidConfig {
        detail: "the interaction's response_url is not an address".to_owned(),
    })?;
    let body = json!({ "replace_original": true, "text": text, "blocks": blocks });
    http(retry)?
        .send(
            &Request {
                label: "response_url",
                url,
                bearer: "",
                headers: Vec::new(),
                body: Some(Body::Create(body.to_string())),
            },
            meter,
        )
        .await?;
    Ok(())
}

/// Where a Slack destination posts.
pub enum SlackRoute {
    /// An incoming-webhook URL (itself the secret); carries no image.
    Webhook { url: String },
    /// A bot token and the channel chosen.
    Bot {
        api: Box<SlackApi>,
        token: String,
        channel: String,
    },
}

/// A Slack destination as a [`Notifier`]. Its Debug output names the route, never the secret.
pub struct SlackNotifier {
    route: SlackRoute,
    retry: RetryPolicy,
}

impl std::fmt::Debug for SlackNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.route {
            SlackRoute::Webhook { .. } => f.write_str("SlackNotifier(webhook)"),
            SlackRoute::Bot { channel, .. } => write!(f, "SlackNotifier(bot, {channel})"),
        }
    }
}

impl SlackNotifier {
    pub fn new(route: SlackRoute, retry: RetryPolicy) -> Self {
        SlackNotifier { route, retry }
    }
}

fn message_blocks(message: &Message, chart_note: Option<&str>) -> Value {
    match message {
        Message::Report(r) => blocks::report_blocks(r, chart_note),
        Message::Alert(a) => blocks::alert_blocks(a),
    }
}

#[async_trait]
impl Notifier for SlackNotifier {
    fn platform(&self) -> &'static str {
        "slack"
    }

    async fn send(
        &self,
        message: &Message,
        chart: Option<&ChartImage>,
        meter: &CallMeter,
    ) -> Result<Delivered, ProviderError> {
        let text = blocks::notification_text(message);
        match &self.route {
            SlackRoute::Webhook { url } => {
                let note = chart.map(|_| {
                    "The chart is in CarbonSync (an incoming webhook carries no image; connect Slack with the app to have it here)"
                });
                let body = json!({ "text": text, "blocks": message_blocks(message, note) });
                let url = Url::parse(url).map_err(|_| ProviderError::InvalidConfig {
                    detail:
                        "the incoming-webhook URL in the keychain is not an address; paste it again"
                            .to_owned(),
                })?;
                http(&self.retry)?
                    .send(
                        &Request {
                            label: "incoming webhook",
                            url,
                            bearer: "",
                            headers: Vec::new(),
                            body: Some(Body::Create(body.to_string())),
                        },
                        meter,
                    )
                    .await?;
                Ok(Delivered {
                    message_ref: None,
                    chart_sent: false,
                    chart_note: note.map(str::to_owned),
                })
            }
            SlackRoute::Bot {
                api,
                token,
                channel,
            } => {
                let (channel_id, ts) = api
                    .post_message(token, channel, &text, &message_blocks(message, None), meter)
                    .await?;
                let mut delivered = Delivered {
                    message_ref: Some(format!("{channel_id}/{ts}")),
                    ..Delivered::default()
                };
                if let Some(chart) = chart {
                    // The report is in the channel already; a chart Slack refuses is noted,
                    // not a failed report.
                    match api
                        .upload_chart(token, &channel_id, None, chart, meter)
                        .await
                    {
                        Ok(_) => delivered.chart_sent = true,
                        Err(e) => {
                            delivered.chart_note = Some(format!("The chart was not sent: {e}"))
                        }
                    }
                }
                Ok(delivered)
            }
        }
    }
}
