//! `carbonsync://oauth/callback?…` links: the sign-in answers that come back from the
//! browser. A link that arrives while the app is closed starts it (and is read at
//! start-up); one that arrives while it runs is handed over by the single-instance
//! plugin. Each is checked by the core (state known, unexpired, unused) before anything
//! is exchanged or stored, and the outcome is announced to the window.

use crate::shell::Shell;
use carbonsync_core::ConnectResult;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

pub fn listen(app: &AppHandle) -> Result<(), Box<dyn std::error::Error>> {
    // Registers the scheme with the desktop (a .desktop handler on Linux) so the
    // browser can hand answers back; macOS takes it from the bundle.
    #[cfg(any(target_os = "linux", windows))]
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
    tauri::async_runtime::spawn(async move {
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
        crate::shell::show_main_window(&app);
        let _ = app.emit("connect-result", ConnectResult::from(result));
    });
    Ok(())
}
