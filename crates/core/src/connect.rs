use crate::platform::Platform;
use crate::{open_in_browser, App, AppError};
use carbonsync_oauth::{describe_ports, LoopbackListener, OAuthClient, OAuthError, TokenSet};
use carbonsync_providers::Tenant;
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
                // The catalogue's note often says the same thing; say it once.
                match entry
                    .status_note
                    .as_deref()
                    .filter(|n| !n.to_lowercase().contains("not yet available"))
                {
                    Some(note) => {
                        format!("{} is not yet available in CarbonSync. {note}", entry.name)
                    }
                    None => format!("{} is not yet available in CarbonSync.", entry.name),
                },
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
        self.ensure_keychain_writable(provider_id).await?;
        // A connect interrupted earlier is finished or undone before a new one starts.
        self.finish_interrupted_connects().await?;
        let platform = self.platform(provider_id, None).await?;
        // Settings the platform's client refuses (a page size it does not serve) are
        // found now, not after the user has signed in.
        platform.signed_in_api(self)?;
        let name = platform.display_name();
        // The command line listens on a loopback port. A platform whose desktop route is
        // the deep link (Salesforce) takes loopback redirects too; an https bounce
        // (Slack) and a route configured on purpose are kept.
        let redirect = match self.config().provider(provider_id).redirect {
            Some(style) => style,
            None if platform.entry.redirect == RedirectStyle::DeepLink => RedirectStyle::Loopback,
            None => platform.entry.redirect,
        };
        if redirect != RedirectStyle::Loopback {
            return Err(AppError::new(
                "redirect_unsupported",
                format!("{name} is configured for the {redirect} redirect, which only the desktop app can receive; use the desktop app or set `redirect = \"loopback\"` for it."),
            ));
        }

        let show = opts.show_url.as_ref();
        let (oauth, tokens) = self
            .loopback_sign_in(
                provider_id,
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

    /// Checks that the keychain can take the tokens before the user signs in
    /// anywhere: a grant that cannot be stored has to be revoked, and the user signs
    /// in for nothing. Every path that opens a sign-in (CLI and window) calls this
    /// before the browser opens.
    ///
    /// Errors (code `keychain`): a locked keychain says how to unlock it; a missing
    /// one, what to install.
    pub(crate) async fn ensure_keychain_writable(&self, provider_id: &str) -> Result<(), AppError> {
        let vault = self.vault().clone();
        // The check talks D-Bus synchronously and may wait on an unlock prompt.
        let checked = tokio::task::spawn_blocking(move || vault.probe())
            .await
            .map_err(|e| AppError::new("keychain", format!("The keychain check stopped: {e}")))?;
        checked.map_err(|e| {
            let name = self
                .catalogue_entry(provider_id)
                .map(|entry| entry.name.clone())
                .unwrap_or_else(|_| provider_id.to_string());
            let mut err = AppError::from(e);
            err.message = format!(
                "{}. The sign-in was not started, so nothing was sent to {name}.",
                err.message
            );
            err
        })
    }

    /// The listener that will receive a platform's sign-in answer: on the first free
    /// port of its configured `redirect_ports` (the redirect URIs registered with the
    /// platform), or on any free port when none are configured.
    ///
    /// Errors (code `redirect_ports_unavailable`): every configured port is taken;
    /// the message names them and says what to do.
    pub(crate) async fn loopback_listener(
        &self,
        provider_id: &str,
        platform: &Platform,
    ) -> Result<LoopbackListener, AppError> {
        let Some(ports) = self.config().provider(provider_id).redirect_ports else {
            return Ok(LoopbackListener::bind().await?);
        };
        match LoopbackListener::bind_first_free(&ports).await {
            Ok(listener) => Ok(listener),
            Err(OAuthError::PortsUnavailable { ports }) => {
                let name = platform.display_name();
                Err(AppError::new(
                    "redirect_ports_unavailable",
                    format!(
                        "{name} sends the sign-in answer only to the ports registered for CarbonSync, and none of them is free ({}). \
                         Close the program that uses one of them and connect again, or register another redirect URI \
                         http://localhost:PORT/callback in {name}'s app settings and add PORT to `redirect_ports` under \
                         [providers.{provider_id}] in {}. The browser was not opened.",
                        describe_ports(&ports),
                        self.paths().config_file.display()
                    ),
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The loopback half of a sign-in (RFC 8252 §7.3): listens once on loopback,
    /// hands the authorization URL to `open`, waits for the browser's answer and
    /// exchanges it for tokens. The redirect URI in the request and the exchange is
    /// the listener's own, port included.
    pub(crate) async fn loopback_sign_in(
        &self,
        provider_id: &str,
        platform: &Platform,
        open: impl FnOnce(&str) -> Result<(), AppError>,
        timeout: Duration,
    ) -> Result<(OAuthClient, TokenSet), AppError> {
        let oauth = platform.oauth()?;
        let listener = self.loopback_listener(provider_id, platform).await?;
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
            let tenants = platform
                .signed_in_api(self)?
                .tenants(tokens.access_token.expose(), &tokens.extras)
                .await?;
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

    /// Stores a sign-in as a connection so that a crash at any step leaves either the
    /// state before it or the state after it, never a connection without working tokens:
    ///
    /// - a new organisation: an unlisted row, then its tokens in the keychain, then the
    ///   row made active and listed;
    /// - an organisation already connected: the new tokens staged in the keychain, the
    ///   old ones kept aside, the new ones put in the old ones' place (from here the
    ///   connection works with the new sign-in), the row made active, then the old grant
    ///   revoked at the platform and the staged entries removed.
    ///
    /// What a crash leaves half done is finished or undone by
    /// [`App::finish_interrupted_connects`].
    pub(crate) async fn store_connection(
        &self,
        provider_id: &str,
        platform: &Platform,
        oauth: &OAuthClient,
        tokens: &TokenSet,
        tenant: &Tenant,
    ) -> Result<Connection, AppError> {
        let base_currency = platform
            .signed_in_api(self)?
            .base_currency(tokens.access_token.expose(), tenant)
            .await?;
        // One connection is stored at a time, and never while interrupted ones are
        // being finished or undone.
        let _setup = self.setup_lock().await?;
        // A database handle is not Send: each is opened for a stretch without an await, so
        // the window can run this on any thread.
        let (conn, created) = {
            let store = self.store()?;
            let install = store.install_id()?;
            store.start_connection(
                &NewConnection {
                    provider: provider_id,
                    tenant_id: &tenant.tenant_id,
                    tenant_name: &tenant.tenant_name,
                    base_currency: base_currency.as_deref(),
                    sandbox: platform.sandbox,
                    frequency: &self.config().sync.default_frequency,
                },
                |id| format!("{install}/connection/{id}"),
            )?
        };
        crash_point("after_connection_row");
        let conn = if created {
            self.store_new_connection(
                &self.store()?,
                &conn,
                tokens,
                &tenant.tenant_name,
                base_currency.as_deref(),
            )?
        } else {
            self.replace_sign_in(
                oauth,
                &conn,
                tokens,
                &tenant.tenant_name,
                base_currency.as_deref(),
            )
            .await?
        };
        tracing::info!(connection = conn.id, provider = provider_id, "connected");
        Ok(conn)
    }

    /// A new organisation: tokens into the keychain, then the row made visible.
    fn store_new_connection(
        &self,
        store: &carbonsync_store::Store,
        conn: &Connection,
        tokens: &TokenSet,
        tenant_name: &str,
        base_currency: Option<&str>,
    ) -> Result<Connection, AppError> {
        let stored = self
            .vault()
            .put(&conn.vault_key, &tokens.to_secret())
            .map_err(AppError::from);
        crash_point("after_keychain_write");
        let activated = stored
            .and_then(|()| Ok(store.activate_connection(conn.id, tenant_name, base_currency)?));
        if activated.is_err() {
            // The caller revokes the tokens; nothing of this connection may stay behind.
            let _ = self.vault().delete(&conn.vault_key);
            let _ = store.delete_connection(conn.id);
        }
        activated
    }

    /// An organisation already connected: the new sign-in takes the old one's place
    /// before the old grant is revoked, so the connection always has a working one.
    async fn replace_sign_in(
        &self,
        oauth: &OAuthClient,
        conn: &Connection,
        tokens: &TokenSet,
        tenant_name: &str,
        base_currency: Option<&str>,
    ) -> Result<Connection, AppError> {
        // A sync renewing the old tokens meanwhile would overwrite the new ones.
        let _refresh = self
            .connection_lock(&format!("refresh-{}", conn.id))
            .await?;
        let vault = self.vault();
        let staged = staged_key(&conn.vault_key);
        let retired = retired_key(&conn.vault_key);
        let old = vault.get(&conn.vault_key)?;
        let store = self.store()?;
        let swapped = (|| -> Result<(), AppError> {
            vault.put(&staged, &tokens.to_secret())?;
            crash_point("after_staged_tokens");
            if let Some(old) = &old {
                vault.put(&retired, old)?;
            }
            crash_point("after_old_tokens_kept");
            vault.put(&conn.vault_key, &tokens.to_secret())?;
            Ok(())
        })();
        if let Err(e) = swapped {
            // The old sign-in is still in place and still works: keep it. The caller
            // revokes the new tokens.
            let _ = vault.delete(&staged);
            let _ = vault.delete(&retired);
            let _ = store.end_connection_setup(conn.id);
            return Err(e);
        }
        crash_point("after_new_tokens_in_place");
        let activated = match store.activate_connection(conn.id, tenant_name, base_currency) {
            Ok(activated) => activated,
            Err(e) => {
                // The caller revokes the new grant on an error, so the old sign-in goes
                // back in place first.
                let _ = match &old {
                    Some(old) => vault.put(&conn.vault_key, old).map(|()| true),
                    None => vault.delete(&conn.vault_key),
                };
                let _ = vault.delete(&retired);
                let _ = vault.delete(&staged);
                let _ = store.end_connection_setup(conn.id);
                return Err(e.into());
            }
        };
        crash_point("after_connection_activated");
        drop(store);
        if let Some(old) = old.as_ref().and_then(TokenSet::from_secret) {
            revoke_quietly(oauth, &old).await;
        }
        crash_point("after_old_grant_revoked");
        let _ = vault.delete(&retired);
        let _ = vault.delete(&staged);
        self.store()?.end_connection_setup(conn.id)?;
        Ok(activated)
    }

    /// Finishes or undoes what an interrupted connect left behind: a connection being
    /// created is removed with its keychain entry, and its tokens revoked when they had
    /// been stored; a reconnect whose new tokens were already in place is finished (and
    /// the old grant revoked), one whose were not is undone (and the new grant revoked).
    /// Call it when CarbonSync starts; connecting calls it too. Returns how many
    /// connections it finished or undid.
    ///
    /// A platform that cannot be reached to revoke leaves that connection's leftovers
    /// for the next call (a warning is logged); the others are still handled.
    pub async fn finish_interrupted_connects(&self) -> Result<usize, AppError> {
        let _setup = self.setup_lock().await?;
        let unfinished = self.store()?.unfinished_connections()?;
        let mut handled = 0;
        for (conn, setup) in unfinished {
            let done = if setup.is_new() {
                self.undo_new_connection(&conn).await
            } else {
                self.settle_reconnect(&conn).await
            };
            match done {
                Ok(()) => handled += 1,
                Err(e) => tracing::warn!(
                    connection = conn.id,
                    "an interrupted connect could not be cleaned up yet: {}",
                    e.message
                ),
            }
        }
        Ok(handled)
    }

    async fn undo_new_connection(&self, conn: &Connection) -> Result<(), AppError> {
        if let Some(tokens) = self
            .vault()
            .get(&conn.vault_key)?
            .and_then(|s| TokenSet::from_secret(&s))
        {
            let oauth = self
                .platform(&conn.provider, Some(conn.sandbox))
                .await?
                .oauth()?;
            revoke(&oauth, &tokens).await?;
        }
        self.vault().delete(&conn.vault_key)?;
        self.store()?.delete_connection(conn.id)?;
        tracing::info!(
            connection = conn.id,
            "removed a connection whose connect was interrupted"
        );
        Ok(())
    }

    async fn settle_reconnect(&self, conn: &Connection) -> Result<(), AppError> {
        let vault = self.vault();
        let staged_key = staged_key(&conn.vault_key);
        let retired_key = retired_key(&conn.vault_key);
        let staged = vault.get(&staged_key)?;
        let current = vault.get(&conn.vault_key)?;
        let in_place = staged.is_some() && staged == current;
        // The grant that is not kept is the one to revoke.
        let dropped = if in_place {
            vault.get(&retired_key)?
        } else {
            staged
        };
        if let Some(tokens) = dropped.as_ref().and_then(TokenSet::from_secret) {
            let oauth = self
                .platform(&conn.provider, Some(conn.sandbox))
                .await?
                .oauth()?;
            revoke(&oauth, &tokens).await?;
        }
        let store = self.store()?;
        if in_place {
            let base_currency = conn.base_currency.as_deref();
            store.activate_connection(conn.id, &conn.tenant_name, base_currency)?;
        }
        vault.delete(&retired_key)?;
        vault.delete(&staged_key)?;
        store.end_connection_setup(conn.id)?;
        tracing::info!(
            connection = conn.id,
            kept = if in_place {
                "new sign-in"
            } else {
                "old sign-in"
            },
            "settled a reconnect that was interrupted"
        );
        Ok(())
    }

    pub(crate) async fn setup_lock(&self) -> Result<carbonsync_sync::ConnectionLock, AppError> {
        self.connection_lock("connection-setup").await
    }

    async fn connection_lock(
        &self,
        name: &str,
    ) -> Result<carbonsync_sync::ConnectionLock, AppError> {
        let dir = self.paths().locks_dir();
        carbonsync_sync::ConnectionLock::acquire(&dir, name)
            .await
            .map_err(|e| {
                AppError::new(
                    "lock",
                    format!("Cannot take the lock {name} in {}: {e}", dir.display()),
                )
            })
    }
}

/// The keychain entry a reconnect stages its new tokens in.
fn staged_key(vault_key: &str) -> String {
    format!("{vault_key}/reconnect-new")
}

/// The keychain entry a reconnect keeps the old tokens in until their grant is revoked.
fn retired_key(vault_key: &str) -> String {
    format!("{vault_key}/reconnect-old")
}

/// Revokes a grant: by its refresh token (which ends the whole grant), or else its
/// access token.
async fn revoke(oauth: &OAuthClient, tokens: &TokenSet) -> Result<(), AppError> {
    match &tokens.refresh_token {
        Some(rt) => oauth.revoke(rt, true).await?,
        None => oauth.revoke(&tokens.access_token, false).await?,
    };
    Ok(())
}

/// [`revoke`], logging instead of failing: for an old grant that nothing uses any more.
async fn revoke_quietly(oauth: &OAuthClient, tokens: &TokenSet) {
    if let Err(e) = revoke(oauth, tokens).await {
        tracing::warn!(
            "the replaced sign-in could not be revoked at the platform: {}",
            e.message
        );
    }
}

/// Test hooks at a named step, so tests can prove that stopping there leaves a whole
/// state: `CARBONSYNC_TEST_CRASH_AT=<step>` stops the process on the spot (as `kill -9`
/// would); `CARBONSYNC_TEST_PAUSE_AT=<step>` says "paused at <step>" on stderr and waits
/// a minute, for a test to send a real signal (Ctrl-C's SIGINT, SIGKILL). Compiled only
/// into debug builds: a release build ignores both variables.
pub(crate) fn crash_point(step: &str) {
    #[cfg(debug_assertions)]
    {
        let named = |var: &str| std::env::var(var).is_ok_and(|s| s == step);
        if named("CARBONSYNC_TEST_CRASH_AT") {
            eprintln!("stopping at {step} (CARBONSYNC_TEST_CRASH_AT)");
            std::process::abort();
        }
        if named("CARBONSYNC_TEST_PAUSE_AT") {
            eprintln!("paused at {step} (CARBONSYNC_TEST_PAUSE_AT)");
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
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
