//! Sign-ins whose answer comes back later, by deep link (`carbonsync://oauth/callback`)
//! or an https bounce page that forwards to it, possibly to a process that was not
//! running when the sign-in began. The pending request (state and PKCE verifier) waits
//! in the keychain, not the database; it is single-use and expires, and an abandoned
//! one is removed (see [`pending`]).

mod pending;

use crate::connect::TenantChoice;
use crate::{App, AppError};
use carbonsync_oauth::{CallbackParams, OAuthError, PendingAuthorization, TokenSet};
use carbonsync_providers::RedirectStyle;
use carbonsync_providers::Tenant;
use carbonsync_store::Connection;
use carbonsync_vault::Sensitive;
use pending::{PendingSignIns, PENDING_LIFETIME_MINUTES};
use serde::{Deserialize, Serialize};

/// The redirect URI registered for the desktop app's scheme.
pub const DEEP_LINK_REDIRECT: &str = "carbonsync://oauth/callback";

/// What a completed redirect leads to.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectOutcome {
    Connected {
        connection: Box<Connection>,
    },
    /// The sign-in covers several organisations: ask which one.
    ChooseTenant {
        choice_id: String,
        provider: String,
        tenants: Vec<TenantOption>,
    },
    /// A chat platform (Slack) signed in: ask which channel reports and alerts go to.
    ChooseChannel {
        choice_id: String,
        provider: String,
        /// The workspace's name.
        workspace: String,
        channels: Vec<crate::notify::ChannelOption>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TenantOption {
    pub tenant_id: String,
    pub tenant_name: String,
}

/// Tokens that wait for the user's choice of organisation; only in memory.
pub(crate) struct TenantChoiceWaiting {
    provider: String,
    sandbox: bool,
    tokens: TokenSet,
    tenants: Vec<Tenant>,
}

#[derive(Serialize, Deserialize)]
struct PendingRecord {
    provider: String,
    sandbox: bool,
    pending: String,
}

impl App {
    /// Starts a sign-in that returns by deep link. Returns the URL to open in the
    /// system browser. Expired sign-ins still waiting in the keychain are removed first.
    pub async fn begin_connect(&self, provider_id: &str) -> Result<String, AppError> {
        self.connectable(provider_id)?;
        self.ensure_keychain_writable(provider_id).await?;
        let platform = self.platform(provider_id, None).await?;
        if !is_destination(&platform) {
            platform.signed_in_api(self)?;
        }
        let oauth = platform.oauth()?;
        let redirect = self.redirect_uri(&platform)?;
        let pending = oauth.begin(redirect.as_str())?;
        let record = PendingRecord {
            provider: provider_id.to_string(),
            sandbox: platform.sandbox,
            pending: pending.to_secret().into_inner(),
        };
        self.pending_sign_ins()?.add(
            provider_id,
            pending.state(),
            pending.created_at,
            &Sensitive::new(serde_json::to_string(&record).expect("serialisable")),
        )?;
        Ok(pending.url.to_string())
    }

    /// Completes a sign-in from the redirect URL that came back. An unknown, expired,
    /// cancelled or already used `state` is refused, and so is an answer that repeats
    /// a parameter; either way nothing is stored. An `error=` answer for a sign-in
    /// started here ends that sign-in with the platform's (cleaned) words.
    pub async fn complete_connect(&self, callback_url: &str) -> Result<ConnectOutcome, AppError> {
        let url =
            url::Url::parse(callback_url).map_err(|_| AppError::from(OAuthError::StateMismatch))?;
        // A repeated parameter is refused before the keychain is touched, so a forged
        // link cannot use up the real sign-in.
        let answer = CallbackParams::from_url(&url)
            .map_err(|e| AppError::new("state_mismatch", capitalise(&e.to_string())))?;
        let state = answer.state.clone().ok_or(OAuthError::StateMismatch)?;
        // Single use: gone before anything else happens, so a replay finds nothing.
        let record = self
            .pending_sign_ins()?
            .take(&state)?
            .ok_or(OAuthError::StateMismatch)?;
        let record: PendingRecord =
            serde_json::from_str(record.expose()).map_err(|_| OAuthError::StateMismatch)?;
        let pending = PendingAuthorization::from_secret(&Sensitive::new(record.pending))
            .ok_or(OAuthError::StateMismatch)?;
        if pending.is_expired(chrono::Duration::minutes(PENDING_LIFETIME_MINUTES)) {
            return Err(OAuthError::StateMismatch.into());
        }
        let platform = self
            .platform(&record.provider, Some(record.sandbox))
            .await?;
        let oauth = platform.oauth()?;
        let tokens = oauth.complete(pending, &answer).await?;

        if is_destination(&platform) {
            return self
                .channel_choice(&record.provider, &platform, tokens)
                .await;
        }
        self.outcome_for(&record.provider, &platform, &oauth, tokens)
            .await
    }

    /// Cancels the deep-link sign-ins of `provider_id` that wait for the browser: their
    /// keychain entries are removed, so a link that still arrives for one is refused
    /// as unknown. Returns how many there were (0 when none waited).
    pub fn cancel_connect(&self, provider_id: &str) -> Result<usize, AppError> {
        Ok(self.pending_sign_ins()?.cancel(provider_id)?)
    }

    /// Removes the deep-link sign-ins whose time is up (abandoned in the browser),
    /// with their state and PKCE verifier. Called when the app starts; every new
    /// sign-in does it too. Returns how many were removed.
    pub fn forget_expired_sign_ins(&self) -> Result<usize, AppError> {
        Ok(self.pending_sign_ins()?.remove_expired()?)
    }

    fn pending_sign_ins(&self) -> Result<PendingSignIns<'_>, AppError> {
        Ok(PendingSignIns::new(
            self.vault(),
            self.store()?.install_id()?,
        ))
    }

    /// The sign-in route the window uses for a platform: the deep link for the sandbox
    /// (and wherever the configuration asks for it), otherwise what the platform
    /// allows (Xero: loopback only).
    pub async fn sign_in_route(&self, provider_id: &str) -> Result<RedirectStyle, AppError> {
        let platform = self.platform(provider_id, None).await?;
        let configured = self.config().provider(provider_id).redirect;
        Ok(match (platform.sandbox, configured) {
            (_, Some(style)) => style,
            // The sandbox shows the deep link wherever its stand-in for the platform takes
            // one; otherwise the platform's own route.
            (true, None) if carbonsync_sandbox::accepts_deep_link(provider_id) => {
                RedirectStyle::DeepLink
            }
            (_, None) => platform.entry.redirect,
        })
    }

    /// A sign-in for the window through a loopback listener, for platforms that allow
    /// no custom scheme: the same keychain check and listener (configured
    /// `redirect_ports` included) as the CLI's. `open` shows the authorization URL in
    /// the system browser.
    pub async fn connect_with_loopback(
        &self,
        provider_id: &str,
        open: impl FnOnce(&str) -> Result<(), AppError>,
        timeout: std::time::Duration,
    ) -> Result<ConnectOutcome, AppError> {
        self.connectable(provider_id)?;
        self.ensure_keychain_writable(provider_id).await?;
        let platform = self.platform(provider_id, None).await?;
        platform.signed_in_api(self)?;
        let (oauth, tokens) = self
            .loopback_sign_in(provider_id, &platform, open, timeout)
            .await?;
        self.outcome_for(provider_id, &platform, &oauth, tokens)
            .await
    }

    /// Fresh tokens become a connection at once when they cover one organisation, or
    /// wait (in memory only) for the user's choice when they cover several.
    async fn outcome_for(
        &self,
        provider_id: &str,
        platform: &crate::platform::Platform,
        oauth: &carbonsync_oauth::OAuthClient,
        tokens: TokenSet,
    ) -> Result<ConnectOutcome, AppError> {
        let tenants = match platform
            .signed_in_api(self)?
            .tenants(tokens.access_token.expose(), &tokens.extras)
            .await
        {
            Ok(t) => t,
            Err(e) => {
                if let Some(rt) = &tokens.refresh_token {
                    let _ = oauth.revoke(rt, true).await;
                }
                return Err(e);
            }
        };
        if tenants.len() == 1 {
            let connection = self
                .finish_connect(provider_id, platform, oauth, tokens, &TenantChoice::OnlyOne)
                .await?;
            return Ok(ConnectOutcome::Connected {
                connection: Box::new(connection),
            });
        }
        let choice_id = choice_id();
        let options = tenants
            .iter()
            .map(|t| TenantOption {
                tenant_id: t.tenant_id.clone(),
                tenant_name: t.tenant_name.clone(),
            })
            .collect();
        self.waiting.lock().expect("waiting lock").insert(
            choice_id.clone(),
            TenantChoiceWaiting {
                provider: provider_id.to_string(),
                sandbox: platform.sandbox,
                tokens,
                tenants,
            },
        );
        Ok(ConnectOutcome::ChooseTenant {
            choice_id,
            provider: provider_id.to_string(),
            tenants: options,
        })
    }

    /// Finishes a sign-in that covers several organisations with the one chosen.
    pub async fn choose_tenant(
        &self,
        choice_id: &str,
        tenant_id: &str,
    ) -> Result<Connection, AppError> {
        let waiting = self.take_waiting(choice_id)?;
        let platform = self
            .platform(&waiting.provider, Some(waiting.sandbox))
            .await?;
        let oauth = platform.oauth()?;
        let Some(tenant) = waiting.tenants.iter().find(|t| t.tenant_id == tenant_id) else {
            if let Some(rt) = &waiting.tokens.refresh_token {
                let _ = oauth.revoke(rt, true).await;
            }
            return Err(AppError::new(
                "no_such_tenant",
                "That organisation is not part of this sign-in; nothing was stored.",
            ));
        };
        let tenant = tenant.clone();
        self.store_connection(
            &waiting.provider,
            &platform,
            &oauth,
            &waiting.tokens,
            &tenant,
        )
        .await
    }

    /// Drops a waiting choice (the user closed the picker): revokes its tokens (a chat
    /// platform's bot token, which has no refresh token, included).
    pub async fn cancel_tenant_choice(&self, choice_id: &str) -> Result<(), AppError> {
        let waiting = self.waiting.lock().expect("waiting lock").remove(choice_id);
        if let Some(w) = waiting {
            let platform = self.platform(&w.provider, Some(w.sandbox)).await?;
            if is_destination(&platform) {
                let _ = self
                    .slack_api(w.sandbox)
                    .await?
                    .revoke(
                        w.tokens.access_token.expose(),
                        &carbonsync_providers::CallMeter::default(),
                    )
                    .await;
                return Ok(());
            }
            if let Some(rt) = &w.tokens.refresh_token {
                let _ = platform.oauth()?.revoke(rt, true).await;
            }
        }
        Ok(())
    }
}

impl App {
    /// The sign-in waiting for a choice under `choice_id`, taken (single use). Errors:
    /// `no_such_choice` when none waits (used, cancelled, or from before a restart).
    fn take_waiting(&self, choice_id: &str) -> Result<TenantChoiceWaiting, AppError> {
        self.waiting
            .lock()
            .expect("waiting lock")
            .remove(choice_id)
            .ok_or_else(|| {
                AppError::new(
                    "no_such_choice",
                    "This sign-in is no longer waiting for a choice; connect again.",
                )
            })
    }
}

/// A platform CarbonSync sends to (chat), not one it syncs from.
fn is_destination(platform: &crate::platform::Platform) -> bool {
    carbonsync_providers::notifier::notifier_registration(&platform.entry.id).is_some()
}

impl App {
    /// A chat platform's fresh token waits (in memory only) for the person's choice of
    /// channel; the token is revoked if listing the channels fails.
    async fn channel_choice(
        &self,
        provider_id: &str,
        platform: &crate::platform::Platform,
        tokens: TokenSet,
    ) -> Result<ConnectOutcome, AppError> {
        let channels = match self
            .slack_channels(platform.sandbox, tokens.access_token.expose())
            .await
        {
            Ok(c) => c,
            Err(e) => {
                let _ = self
                    .slack_api(platform.sandbox)
                    .await?
                    .revoke(
                        tokens.access_token.expose(),
                        &carbonsync_providers::CallMeter::default(),
                    )
                    .await;
                return Err(e);
            }
        };
        let workspace = tokens
            .extras
            .get("team.name")
            .cloned()
            .unwrap_or_else(|| platform.entry.name.clone());
        let choice_id = choice_id();
        self.waiting.lock().expect("waiting lock").insert(
            choice_id.clone(),
            TenantChoiceWaiting {
                provider: provider_id.to_string(),
                sandbox: platform.sandbox,
                tokens,
                tenants: channels
                    .iter()
                    .map(|c| Tenant {
                        id: String::new(),
                        tenant_id: c.id.clone(),
                        tenant_type: "channel".into(),
                        tenant_name: c.name.clone(),
                    })
                    .collect(),
            },
        );
        Ok(ConnectOutcome::ChooseChannel {
            choice_id,
            provider: provider_id.to_string(),
            workspace,
            channels,
        })
    }

    /// Finishes a chat sign-in with the channel chosen: the destination is added, its token
    /// kept in the keychain. Errors: `no_such_choice`, `no_such_channel` (nothing stored).
    pub async fn choose_channel(
        &self,
        choice_id: &str,
        channel_id: &str,
        name: Option<&str>,
    ) -> Result<carbonsync_store::Destination, AppError> {
        let waiting = self.take_waiting(choice_id)?;
        let Some(channel) = waiting.tenants.iter().find(|t| t.tenant_id == channel_id) else {
            let _ = self
                .slack_api(waiting.sandbox)
                .await?
                .revoke(
                    waiting.tokens.access_token.expose(),
                    &carbonsync_providers::CallMeter::default(),
                )
                .await;
            return Err(AppError::new(
                "no_such_channel",
                "That channel is not one this sign-in can post to; nothing was stored. Connect again and pick one from the list.",
            ));
        };
        let member = self
            .slack_channels(waiting.sandbox, waiting.tokens.access_token.expose())
            .await?
            .into_iter()
            .find(|c| c.id == channel.tenant_id);
        let option = member.unwrap_or(crate::notify::ChannelOption {
            id: channel.tenant_id.clone(),
            name: channel.tenant_name.clone(),
            is_private: false,
            is_member: false,
        });
        self.store_slack_destination(waiting.sandbox, &waiting.tokens, &option, name)
    }
}

/// "The sign-in…" from "the sign-in…": an error's words as the start of a message.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// An id for a waiting choice: random, and unrelated to any sign-in state.
fn choice_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
