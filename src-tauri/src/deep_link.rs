//! `carbonsync://oauth/callback?…` links: the sign-in answers that come back from the
//! browser. A link that arrives while the app is closed starts it (and is read at
//! start-up); one that arrives while it runs is handed over by the single-instance
//! plugin. Each is checked by the core (state known, unexpired, unused) before anything
//! is exchanged or stored, and the outcome is announced to the window.
//!
//! A sign-in that waits for the browser can be cancelled from the window; sign-ins
//! abandoned in the browser are removed from the keychain when the app starts.

use crate::shell::Shell;
use carbonsync_core::ConnectResult;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

/// One loopback sign-in that waits for the browser: a number that tells it from a
/// later one for the same platform, and the task that waits.
type LoopbackWait = (u64, tauri::async_runtime::JoinHandle<()>);

/// The loopback sign-ins that wait for the browser, by platform, so Cancel can stop
/// them (ending the task drops the listener, which closes its port).
static LOOPBACK_WAITS: LazyLock<Mutex<HashMap<String, LoopbackWait>>> =
    LazyLock::new(Mutex::default);
static NEXT_WAIT: AtomicU64 = AtomicU64::new(0);

pub fn listen(app: &AppHandle) -> Result<(), Box<dyn std::error::Error>> {
    forget_expired_sign_ins(app);
    // Registers the scheme with the desktop so the browser can hand answers back: on
    // Windows through the plugin; on Linux `link_handler::register` writes a handler entry
    // every xdg-open can run; macOS takes it from the bundle.
    #[cfg(windows)]
    if let Err(e) = app.deep_link().register_all() {
        tracing::warn!("could not register the carbonsync:// scheme: {e}");
    }
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            handle_url(&handle, url.to_string());
        }
    });
    if let Some(urls) = app.deep_link().get_current()? {
        for url in urls {
            handle_url(app, url.to_string());
        }
    }
    Ok(())
}

/// Removes the sign-ins that were abandoned in the browser while the app was closed
/// (their state and PKCE verifier wait in the keychain until they expire).
fn forget_expired_sign_ins(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let shell = app.state::<Shell>();
        match shell.app.forget_expired_sign_ins() {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} expired sign-in(s) from the keychain"),
            Err(e) => {
                tracing::warn!(code = %e.code, "could not remove expired sign-ins: {}", e.message)
            }
        }
    });
}

/// Cancels what waits for the browser for `provider`: a loopback listener stops, and
/// deep-link sign-ins leave the keychain, so an answer that still comes is refused.
pub fn cancel_connect(app: &AppHandle, provider: &str) -> Result<(), carbonsync_core::AppError> {
    if let Some((_, wait)) = LOOPBACK_WAITS
        .lock()
        .expect("loopback waits lock")
        .remove(provider)
    {
        wait.abort();
    }
    let shell = app.state::<Shell>();
    let removed = shell.app.cancel_connect(provider)?;
    tracing::info!("sign-in to {provider} cancelled ({removed} waiting in the keychain removed)");
    Ok(())
}

fn handle_url(app: &AppHandle, url: String) {
    if !url.starts_with(carbonsync_core::DEEP_LINK_REDIRECT) {
        tracing::warn!("ignored a carbonsync:// link that is not a sign-in answer");
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        crate::shell::show_main_window(&app);
        let shell = app.state::<Shell>();
        let result = shell.app.complete_connect(&url).await;
        if let Err(e) = &result {
            tracing::warn!(code = %e.code, "sign-in answer refused: {}", e.message);
        } else {
            shell
                .with_daemon(|d| d.send(carbonsync_core::SchedulerCommand::Reload))
                .await;
        }
        let _ = app.emit("connect-result", ConnectResult::from(result));
    });
}

/// The loopback route: waits (off the UI thread) for the browser's answer on a local
/// port, then announces the outcome like a deep link's.
pub fn connect_with_loopback(
    app: &AppHandle,
    provider: String,
) -> Result<(), carbonsync_core::AppError> {
    let app = app.clone();
    let key = provider.clone();
    let id = NEXT_WAIT.fetch_add(1, Ordering::Relaxed);
    // Held until the wait is filed, so a wait that ends at once still finds itself.
    let mut waits = LOOPBACK_WAITS.lock().expect("loopback waits lock");
    let wait = tauri::async_runtime::spawn(async move {
        let shell = app.state::<Shell>();
        let opener = app.clone();
        let result = shell
            .app
            .connect_with_loopback(
                &provider,
                |url| crate::commands::open_in_browser(&opener, url),
                std::time::Duration::from_secs(600),
            )
            .await;
        if result.is_ok() {
            shell
                .with_daemon(|d| d.send(carbonsync_core::SchedulerCommand::Reload))
                .await;
        }
        {
            let mut waits = LOOPBACK_WAITS.lock().expect("loopback waits lock");
            if waits.get(&provider).is_some_and(|(filed, _)| *filed == id) {
                waits.remove(&provider);
            }
        }
        crate::shell::show_main_window(&app);
        let _ = app.emit("connect-result", ConnectResult::from(result));
    });
    // A second Connect for the same platform replaces (and stops) the first wait.
    if let Some((_, previous)) = waits.insert(key, (id, wait)) {
        previous.abort();
    }
    Ok(())
}
