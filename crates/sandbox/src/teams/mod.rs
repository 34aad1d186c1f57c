//! A stand-in for Microsoft Teams as CarbonSync reaches it: a Power Automate workflow made
//! from the "When a Teams webhook request is received" trigger and "Post card in a chat or
//! channel" (what replaced Office 365 connectors' incoming webhooks). The workflow's URL is an
//! Azure Logic Apps "manual" trigger URL with a shared-access signature:
//!
//! `{base}/teams/workflows/<workflow id, 32 hex>/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=<signature>`
//!
//! The signature is an HMAC of the workflow id, `sp` and `sv` under a key derived from the
//! seed (URL-safe base64), so a URL given out by one sandbox process still works in the next
//! started with the same seed. A default workflow posts to the channel "ESG reports" of the
//! team "Harbour & Pine" (its id derived from the seed too).
//!
//! `POST` the URL with `{"type": "message", "attachments": [{"contentType":
//! "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": {"type":
//! "AdaptiveCard", "version": "1.5", "body": […]}}]}` → **202 Accepted**, empty body (with
//! Logic Apps' `x-ms-workflow-run-id`). Errors have Logic Apps' shape `{"error": {"code",
//! "message"}}`:
//!
//! | status | code | when |
//! | --- | --- | --- |
//! | 400 | `MissingApiVersionParameter` | no `api-version` |
//! | 404 | `WorkflowNotFound` | unknown or deleted workflow |
//! | 401 | `DirectApiAuthorizationRequired` | no `sig` |
//! | 401 | `DirectApiInvalidAuthorizationSignature` | a wrong `sig` (or `sp`, `sv`) |
//! | 409 | `WorkflowTriggerIsNotEnabled` | the workflow is turned off |
//! | 429 | `WorkflowRequestsThrottled` | over 100 calls a minute (with `Retry-After`) |
//! | 400 | `InvalidRequestContent` | the body is not JSON |
//!
//! **The quirk:** the trigger answers 202 as soon as it has the request; posting the card is
//! a later step of the run. A card the flow cannot post (no attachment of the Adaptive Card
//! type, content that is not an `AdaptiveCard`, a card `version` above 1.5, the highest Teams
//! renders, or a payload over Teams' 28 KB message limit) is therefore still answered 202,
//! and kept as `posted: false` with the reason, e.g. "the card could not be posted: the
//! message is larger than Teams' 28 KB". A sender learns of it only from the channel.
//!
//! Test controls live under `/_control/teams` (`control.rs`). Workflows and received cards
//! (the newest 200) are kept in the state file.

mod card;
mod control;
mod store;
mod trigger;

use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::app::AppState;
use crate::signing::hmac_sha256;

pub use store::{TeamsSaved, TeamsShared};

/// The `api-version` a workflow URL carries (Logic Apps' request trigger).
pub const API_VERSION: &str = "2016-06-01";
/// The trigger URL's `sp` (the permission it grants): run the manual trigger.
pub const TRIGGER_PERMISSION: &str = "/triggers/manual/run";
/// The trigger URL's `sv` (signature version).
pub const SIGNATURE_VERSION: &str = "1.0";
/// Teams' message size limit: "about 28 KB" for a message, card included (Microsoft's docs:
/// "Send messages in Teams using incoming webhooks / Workflows: the message size limit is
/// 28 KB"). Counted here on the request body, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;
/// The highest Adaptive Card version Teams renders (Microsoft's docs: "Cards reference",
/// Teams supports Adaptive Cards up to 1.5 on desktop and mobile).
pub const MAX_CARD_VERSION: (u32, u32) = (1, 5);
/// The pace a workflow takes before its trigger throttles (calls a minute; a setting).
pub const DEFAULT_CALLS_PER_MINUTE: u32 = 100;
/// The team the default workflow posts to.
pub const TEAM_NAME: &str = "Harbour & Pine";
/// The channel the default workflow posts to.
pub const CHANNEL_NAME: &str = "ESG reports";
/// The Adaptive Card attachment's content type.
pub const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";

/// The workflow trigger and the controls.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/teams/workflows/{id}/triggers/manual/paths/invoke",
            post(trigger::invoke),
        )
        .merge(control::routes())
}

fn key(seed: u64) -> Vec<u8> {
    format!("carbonsync sandbox teams workflows {seed}").into_bytes()
}

/// The signature of workflow `id`'s trigger URL with permission `sp` and version `sv`:
/// URL-safe base64 (no padding) of an HMAC-SHA256, 43 characters as Logic Apps' are.
pub fn signature(seed: u64, id: &str, sp: &str, sv: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(
        &key(seed),
        format!("{id}\n{sp}\n{sv}").as_bytes(),
    ))
}

/// The default workflow's id: 32 hex digits derived from the seed.
pub fn default_workflow_id(seed: u64) -> String {
    crate::slack::hex(&hmac_sha256(&key(seed), b"default workflow")[..16])
}

/// Workflow `id`'s trigger URL under `base`.
pub fn workflow_url(base: &str, seed: u64, id: &str) -> String {
    let sig = signature(seed, id, TRIGGER_PERMISSION, SIGNATURE_VERSION);
    format!(
        "{base}/teams/workflows/{id}/triggers/manual/paths/invoke?api-version={API_VERSION}&sp={sp}&sv={SIGNATURE_VERSION}&sig={sig}",
        sp = url::form_urlencoded::byte_serialize(TRIGGER_PERMISSION.as_bytes()).collect::<String>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shaped_like_logic_apps_and_depend_on_the_seed() {
        let id = default_workflow_id(2024);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, default_workflow_id(2025));
        let url = workflow_url("http://127.0.0.1:1", 2024, &id);
        assert!(url.contains("/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig="), "{url}");
        let sig = url.rsplit("sig=").next().unwrap();
        assert_eq!(sig.len(), 43);
        assert_eq!(url, workflow_url("http://127.0.0.1:1", 2024, &id));
    }
}
