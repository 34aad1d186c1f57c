use crate::platform::Platform;
use crate::{open_in_browser, App, AppError};
use carbonsync_oauth::{LoopbackListener, OAuthClient, TokenSet};
use carbonsync_providers::xero::Tenant;
use carbonsync_providers::{AuthKind, RedirectStyle};
use carbonsync_store::{Connection, NewConnection};
use std::time::Duration;

/// Asks the user to pick one of the organisations; `None` cancels.
pub type TenantPicker = Box<dyn Fn(&[Tenant]) -> Option<usize> + Send + Sync>;
/// Shows a message or the sign-in address to the user.
pub type UrlSink = Box<dyn Fn(&str) + Send + Sync>;

/// Which organisation to connect when the grant covers several.
pub enum TenantChoice {
    /// By tenant id or by name (case-insensitive).
    Named(String),
    /// Ask: given the tenants, return the index chosen, or `None` to cancel.
    Ask(TenantPicker),
    /// Only when there is exactly one; otherwise an error that lists them.
    OnlyOne,
}

pub struct ConnectOptions {
    pub tenant: TenantChoice,
    /// How long to wait for the browser's answer.
    pub timeout: Duration,
    /// Called with the authorization URL before the browser opens, so a front end can
    /// show it (for a browser on another machine, or if opening fails).
    pub show_url: Option<UrlSink>,
}

impl App {
    /// Refuses platforms that cannot be connected through a browser sign-in yet.
    pub(crate) fn connectable(&self, provider_id: &str) -> Result<(), AppError> {
        let entry = self.catalogue_entry(provider_id)?;
        if !entry.available {
            return Err(AppError::new(
                "not_available",
                format!(
                    "{} is not yet available in CarbonSync. {}",
                    entry.name,
                    entry.status_note.clone().unwrap_or_default()
                ),
            ));
        }
        if entry.auth != AuthKind::OAuth {
            return Err(AppError::new(
                "not_available",
                format!("{} does not connect through a browser sign-in.", entry.name),
            ));
        }
        Ok(())
    }

    /// Connects an organisation of an OAuth platform through the system browser and a
    /// loopback redirect: PKCE, one-time `state`, code exchange, tenant choice, tokens
    /// into the keychain and a reference into the database. Any failure stores nothing.
    pub async fn connect(
        &self,
        provider_id: &str,
        opts: ConnectOptions,
    ) -> Result<Connection, AppError> {
        self.connectable(provider_id)?;
        let platform = self.platform(provider_id, None).await?;
        let name = platform.display_name();
        // A locked or missing keychain is found before the user signs in anywhere.
        self.vault().probe()?;
        let redirect = self
            .config()
            .provider(provider_id)
            .redirect
            .unwrap_or(platform.entry.redirect);
        if redirect != RedirectStyle::Loopback {
            return Err(AppError::new(
                "redirect_unsupported",
                format!("{name} is configured for the {redirect} redirect, which only the desktop app can receive; use the desktop app or set `redirect = \"loopback\"` for it."),
            ));
        }

        let show = opts.show_url.as_ref();
        let (oauth, tokens) = self
            .loopback_sign_in(
                &platform,
                |url| {
                    if let Some(show) = show {
                        show(url);
                    }
                    // A browser that cannot be opened is not fatal: the address is shown.
                    if let Err(e) = open_in_browser(url) {
                        tracing::warn!("browser: {}", e.message);
                        if let Some(show) = show {
                            show(&format!(
                                "({}) Open the address above in a browser to continue.",
                                e.message
                            ));
                        }
                    }
                    Ok(())
                },
                opts.timeout,
            )
            .await?;

        self.finish_connect(provider_id, &platform, &oauth, tokens, &opts.tenant)
            .await
    }

    /// The loopback half of a sign-in (RFC 8252 §7.3): listens once on 127.0.0.1,
    /// hands the authorization URL to `open`, waits for the browser's answer and
    /// exchanges it for tokens.
    pub(crate) async fn loopback_sign_in(
        &self,
        platform: &Platform,
        open: impl FnOnce(&str) -> Result<(), AppError>,
        timeout: Duration,
    ) -> Result<(OAuthClient, TokenSet), AppError> {
        let oauth = platform.oauth()?;
        let listener = LoopbackListener::bind().await?;
        let pending = oauth.begin(&listener.redirect_uri())?;
        open(pending.url.as_str())?;
        let answer = listener.wait(timeout).await?;
        let tokens = oauth.complete(pending, &answer).await?;
        Ok((oauth, tokens))
    }

    /// Turns freshly issued tokens into a connection: lists the organisations, picks
    /// one, stores the tokens in the keychain and a reference in the database. On any
    /// failure the tokens are revoked, so nothing is left behind.
    pub(crate) async fn finish_connect(
        &self,
        provider_id: &str,
        platform: &Platform,
        oauth: &OAuthClient,
        tokens: TokenSet,
        choice: &TenantChoice,
    ) -> Result<Connection, AppError> {
        let name = platform.display_name();
        let result: Result<Connection, AppError> = async {
            let xero = platform.xero(self)?;
            let tenants = xero.connections(tokens.access_token.expose()).await?;
            let tenant = choose_tenant(&tenants, choice, &name)?;
            self.store_connection(provider_id, platform, oauth, &tokens, tenant)
                .await
        }
        .await;
        if result.is_err() {
            if let Some(rt) = &tokens.refresh_token {
                let _ = oauth.revoke(rt, true).await;
            }
        }
        result
    }

    pub(crate) async fn store_connection(
        &self,
        provider_id: &str,
        platform: &Platform,
        oauth: &OAuthClient,
        tokens: &TokenSet,
        tenant: &Tenant,
    ) -> Result<Connection, AppError> {
        let xero = platform.xero(self)?;
        let org = xero
            .organisation(tokens.access_token.expose(), &tenant.tenant_id)
            .await?;
        let store = self.store()?;
        let install = store.install_id()?;
        let (conn, created) = store.upsert_connection(
            &NewConnection {
                provider: provider_id,
                tenant_id: &tenant.tenant_id,
                tenant_name: &tenant.tenant_name,
                base_currency: Some(&org.base_currency),
                sandbox: platform.sandbox,
                frequency: &self.config().sync.default_frequency,
            },
            |id| format!("{install}/connection/{id}"),
        )?;
        // Reconnecting replaces an older grant: retire it at the platform first.
        if let Some(old) = self
            .vault()
            .get(&conn.vault_key)?
            .and_then(|s| TokenSet::from_secret(&s))
        {
            if let Some(rt) = &old.refresh_token {
                let _ = oauth.revoke(rt, true).await;
            }
        }
        if let Err(e) = self.vault().put(&conn.vault_key, &tokens.to_secret()) {
            // Without its tokens the connection cannot work: take a new one back out;
            // an existing one keeps its data and waits for a reconnect.
            if created {
                let _ = store.delete_connection(conn.id);
            } else {
                let _ = store.set_connection_status(
                    conn.id,
                    carbonsync_store::ConnectionStatus::NeedsReconnect,
                    Some("its sign-in could not be saved in the keychain"),
                );
            }
            return Err(e.into());
        }
        store.reset_cursors(conn.id)?;
        tracing::info!(connection = conn.id, provider = provider_id, "connected");
        Ok(store.connection(conn.id)?)
    }
}

fn choose_tenant<'a>(
    tenants: &'a [Tenant],
    choice: &TenantChoice,
    name: &str,
) -> Result<&'a Tenant, AppError> {
    if tenants.is_empty() {
        return Err(AppError::new(
            "no_tenant",
            format!("{name} did not share any organisation with CarbonSync. Connect again and select an organisation on the consent page."),
        ));
    }
    let list = || {
        tenants
            .iter()
            .map(|t| format!("\"{}\" ({})", t.tenant_name, t.tenant_id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match choice {
        TenantChoice::Named(wanted) => tenants
            .iter()
            .find(|t| t.tenant_id == *wanted || t.tenant_name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                AppError::new(
                    "no_such_tenant",
                    format!("{name} has no organisation called \"{wanted}\" for this sign-in. Available: {}.", list()),
                )
            }),
        TenantChoice::OnlyOne if tenants.len() == 1 => Ok(&tenants[0]),
        TenantChoice::OnlyOne => Err(AppError::new(
            "choose_tenant",
            format!("{name} gave access to several organisations; choose one with --tenant. Available: {}.", list()),
        )),
        TenantChoice::Ask(ask) => ask(tenants)
            .and_then(|i| tenants.get(i))
            .ok_or_else(|| AppError::new("cancelled", "No organisation was chosen; nothing was stored.")),
    }
}
