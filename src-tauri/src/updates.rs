//! Updates the person agrees to: with `[updates] endpoint` set in `carbonsync.toml`, the
//! window asks the endpoint's manifest whether a newer version is out and shows "version X is
//! available"; nothing is downloaded or installed until the person says so. The package is
//! then downloaded and its minisign signature checked against CarbonSync's public key
//! (`plugins.updater.pubkey` in `tauri.conf.json`, built into the app) by the updater plugin
//! before anything is done with it; the signature must also name the version the manifest
//! announces (`requireSignedVersion`), so an old signed package cannot be passed off as a new
//! one. Without an endpoint the app never asks.

use carbonsync_core::AppError;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_updater::{Update, UpdaterExt};
use time::format_description::well_known::Rfc3339;

use crate::shell::Shell;

/// The update found by the last check, kept for the person to accept.
#[derive(Default)]
pub struct Pending(tokio::sync::Mutex<Option<Update>>);

/// What the last check found.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateCheck {
    /// No endpoint is configured: the app does not look for updates.
    Off,
    /// This is the newest version the endpoint offers.
    Current { version: String },
    /// A newer version is out. `date` is the manifest's `pub_date` (RFC 3339), if given.
    Available {
        version: String,
        current_version: String,
        notes: Option<String>,
        date: Option<String>,
    },
}

/// What accepting the update did.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateInstalled {
    pub version: String,
    /// Installed over this copy (a package install): it runs after CarbonSync restarts.
    pub installed: bool,
    /// This copy was not installed from a package, so the verified package was saved here
    /// for the person (or their IT department) to install.
    pub saved_to: Option<String>,
}

/// Download progress, as the `update-progress` event carries it: bytes so far, and the
/// package's size when the server gives it.
#[derive(Debug, Clone, Serialize)]
struct Progress {
    downloaded: u64,
    total: Option<u64>,
}

fn error(message: impl Into<String>) -> AppError {
    AppError::new("update", message)
}

/// Words for the updater's errors, each saying what to do; a signature that does not verify
/// says so plainly.
fn said(e: tauri_plugin_updater::Error) -> AppError {
    use tauri_plugin_updater::Error;
    match e {
        Error::Minisign(_)
        | Error::Base64(_)
        | Error::SignatureUtf8(_)
        | Error::SignedVersionMismatch { .. }
        | Error::MissingSignedVersion => error(format!(
            "The update's signature does not match CarbonSync's key or the version it \
             announces ({e}), so it was not installed. It may have been tampered with; tell \
             whoever runs the update server."
        )),
        Error::InsecureTransportProtocol => error(
            "The update endpoint must be an https URL; change [updates] endpoint in \
             carbonsync.toml.",
        ),
        Error::TargetsNotFound(_) | Error::TargetNotFound(_) | Error::InvalidUpdaterFormat => {
            error(format!(
                "The update server offers no package for this kind of installation ({e}); \
                 tell whoever runs it, or install the new version by hand."
            ))
        }
        Error::AuthenticationFailed => error(
            "The update was not installed: the administrator's password was not given. \
             Choose Install again when you can give it.",
        ),
        Error::PackageInstallFailed | Error::DebInstallFailed => error(
            "The package manager could not install the update; install the package by hand \
             or ask your IT department.",
        ),
        Error::Io(_) | Error::TempDirNotFound => error(format!(
            "The update could not be written on this computer ({e}); check the free space \
             and try again."
        )),
        other => error(format!(
            "CarbonSync could not reach its update server: {other}. Check the network, then \
             check again."
        )),
    }
}

/// The updater for `url`. A debug build (the end-to-end tests) may be given a test key in
/// `CARBONSYNC_UPDATER_TEST_PUBKEY`, so that CarbonSync's own key never signs test packages;
/// a release build only ever trusts the key it was built with.
fn updater(app: &AppHandle, url: tauri::Url) -> Result<tauri_plugin_updater::Updater, AppError> {
    let builder = app.updater_builder().endpoints(vec![url]).map_err(said)?;
    #[cfg(debug_assertions)]
    let builder = match std::env::var("CARBONSYNC_UPDATER_TEST_PUBKEY") {
        Ok(key) => builder.pubkey(key),
        Err(_) => builder,
    };
    builder.build().map_err(said)
}

fn endpoint(shell: &Shell) -> Result<Option<tauri::Url>, AppError> {
    let Some(url) = shell.app.config().updates.endpoint else {
        return Ok(None);
    };
    url.parse().map(Some).map_err(|e| {
        error(format!(
            "[updates] endpoint {url:?} is not a URL ({e}); correct it in carbonsync.toml."
        ))
    })
}

/// Asks the endpoint whether a newer version is out; remembers it for [`install_update`].
#[tauri::command]
pub async fn check_for_update(
    app: AppHandle,
    shell: State<'_, Shell>,
    pending: State<'_, Pending>,
) -> Result<UpdateCheck, AppError> {
    let Some(url) = endpoint(&shell)? else {
        return Ok(UpdateCheck::Off);
    };
    let current = app.package_info().version.to_string();
    let found = updater(&app, url)?.check().await.map_err(said)?;
    let check = match &found {
        None => UpdateCheck::Current { version: current },
        Some(u) => UpdateCheck::Available {
            version: u.version.clone(),
            current_version: u.current_version.clone(),
            notes: u.body.clone(),
            date: u.date.and_then(|d| d.format(&Rfc3339).ok()),
        },
    };
    tracing::info!(?check, "update check");
    *pending.0.lock().await = found;
    Ok(check)
}

/// Downloads `version`, the update the last check found and the person agreed to, checks
/// its signature, and installs it over this copy when this copy came from a package;
/// otherwise saves the verified package in the data folder's `updates/`. Only ever called by
/// the person's click.
#[tauri::command]
pub async fn install_update(
    app: AppHandle,
    shell: State<'_, Shell>,
    pending: State<'_, Pending>,
    version: String,
) -> Result<UpdateInstalled, AppError> {
    let Some(update) = pending.0.lock().await.take() else {
        return Err(error(
            "There is no update to install; check for updates first.",
        ));
    };
    if update.version != version {
        return Err(error(format!(
            "The update server now offers {} instead of {version}, which you agreed to; check \
             again to see what it offers.",
            update.version
        )));
    }
    let mut downloaded = 0u64;
    let bytes = update
        .download(
            |chunk, total| {
                downloaded += chunk as u64;
                let _ = app.emit("update-progress", Progress { downloaded, total });
            },
            || {},
        )
        .await
        .map_err(said)?;
    tracing::info!(version = %update.version, bytes = bytes.len(), "update verified");
    if tauri::utils::platform::bundle_type().is_some() {
        // The package manager waits for the administrator's password: off the async runtime.
        let version = update.version.clone();
        tauri::async_runtime::spawn_blocking(move || update.install(bytes))
            .await
            .map_err(|e| error(format!("The installation stopped unexpectedly: {e}")))?
            .map_err(said)?;
        return Ok(UpdateInstalled {
            version,
            installed: true,
            saved_to: None,
        });
    }
    let dir = shell.app.paths().data_dir.join("updates");
    let name = update
        .download_url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("CarbonSync-{}", update.version), str::to_owned);
    let path = dir.join(name);
    let saved = std::fs::create_dir_all(&dir).and_then(|()| {
        use std::io::Write;
        carbonsync_core::create_private(&path)?.write_all(&bytes)
    });
    saved.map_err(|e| {
        error(format!(
            "The update was verified but could not be saved to {}: {e}. Check that the \
             folder can be written and has free space, then check again.",
            path.display()
        ))
    })?;
    Ok(UpdateInstalled {
        version: update.version,
        installed: false,
        saved_to: Some(path.display().to_string()),
    })
}

/// Registers the updater and the slot for a found update.
pub fn plugin(app: &AppHandle) -> tauri::Result<()> {
    app.plugin(tauri_plugin_updater::Builder::new().build())?;
    app.manage(Pending::default());
    Ok(())
}
