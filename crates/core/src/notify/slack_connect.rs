//! Connecting Slack with its app (OAuth v2, bot token): Slack redirects only to https, so
//! the answer goes through the bounce page (`web/oauth-bounce/index.html`, hosted by the
//! organisation at `bounce_url`), which forwards it to `carbonsync://oauth/callback`; the
//! `state` and PKCE verifier are checked as for every platform. The channel is then chosen
//! from `conversations.list`.

use carbonsync_providers::CallMeter;
use carbonsync_store::{Destination, NewDestination};
use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::{App, AppError};

/// Where the sandbox serves the bounce page, after its base URL.
pub const SLACK_BOUNCE_PATH: &str = "/bounce/";

/// A channel a person can pick.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ChannelOption {
    pub id: String,
    /// Without the `#`.
    pub name: String,
    pub is_private: bool,
    /// The app is in the channel; otherwise it must be invited (`/invite @CarbonSync`)
    /// before anything can be posted there.
    pub is_member: bool,
}

impl App {
    /// The redirect URI a sign-in of this platform uses: the bounce page's https address
    /// where the platform demands one, otherwise the deep link.
    ///
    /// Errors: `config` when a bounce page is needed and none is configured, or it is not
    /// https.
    pub(crate) fn redirect_uri(&self, platform: &Platform) -> Result<String, AppError> {
        if platform.entry.redirect != carbonsync_providers::RedirectStyle::HttpsBounce {
            return Ok(crate::DEEP_LINK_REDIRECT.to_owned());
        }
        let configured = self
            .config()
            .provider(&platform.entry.id)
            .bounce_url
            .clone();
        match (configured, &platform.sandbox_base) {
            (Some(url), _) => {
                let loopback = url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost");
                if !(url.starts_with("https://") || platform.sandbox && loopback) {
                    return Err(AppError::new(
                        "config",
                        format!("{} redirects only to https: bounce_url under [providers.{}] must start with https://", platform.entry.name, platform.entry.id),
                    ));
                }
                Ok(url)
            }
            (None, Some(base)) => Ok(format!("{base}{SLACK_BOUNCE_PATH}")),
            (None, None) => Err(AppError::new(
                "config",
                format!(
                    "{name} sends its sign-in answer only to an https page. Host CarbonSync's bounce page (web/oauth-bounce/index.html) at an https address, register that address as the redirect URL of your {name} app, and set it as bounce_url under [providers.{id}] in the configuration file.",
                    name = platform.entry.name,
                    id = platform.entry.id
                ),
            )),
        }
    }

    /// The channels a fresh bot token can post to, for the person to choose one; the token
    /// waits in memory only.
    pub(crate) async fn slack_channels(
        &self,
        sandbox: bool,
        token: &str,
    ) -> Result<Vec<ChannelOption>, AppError> {
        let api = self.slack_api(sandbox).await?;
        let channels = api
            .channels(token, &CallMeter::default())
            .await
            .map_err(|e| super::send_error("slack", e))?;
        Ok(channels
            .into_iter()
            .map(|c| ChannelOption {
                id: c.id,
                name: c.name,
                is_private: c.is_private,
                is_member: c.is_member,
            })
            .collect())
    }

    /// Adds the Slack destination of a finished sign-in and the channel chosen.
    pub(crate) fn store_slack_destination(
        &self,
        sandbox: bool,
        tokens: &carbonsync_oauth::TokenSet,
        channel: &ChannelOption,
        name: Option<&str>,
    ) -> Result<Destination, AppError> {
        let team_id = tokens.extras.get("team.id").cloned();
        let team_name = tokens.extras.get("team.name").cloned();
        let name = match (name.map(str::trim).filter(|n| !n.is_empty()), &team_name) {
            (Some(name), _) => name.to_owned(),
            (None, Some(team)) => format!("#{} ({team})", channel.name),
            (None, None) => format!("#{}", channel.name),
        };
        self.store_destination(
            NewDestination {
                platform: "slack".into(),
                route: "bot".into(),
                name,
                workspace_id: team_id,
                workspace_name: team_name,
                channel_id: Some(channel.id.clone()),
                channel_name: Some(channel.name.clone()),
                vault_key: String::new(),
                sandbox,
            },
            &tokens.to_secret(),
        )
    }
}
