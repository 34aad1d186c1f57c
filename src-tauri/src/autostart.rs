//! Starting at login, opt-in: the person turns it on in Settings, or answers the question the
//! window asks on its first run. On Linux an XDG autostart entry
//! (`~/.config/autostart/CarbonSync.desktop`) starts `carbonsync-desktop --hidden`: the app
//! comes up in the tray, without its window, so the sync schedule runs after a reboot.

use carbonsync_core::AppError;
use serde::Serialize;
use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt;

use crate::shell::Shell;

/// The argument the login entry passes: start in the tray, window hidden.
pub const HIDDEN_ARG: &str = "--hidden";

/// The desktop preference that records the first-run question was answered.
const ASKED: &str = "autostart_asked";

/// Whether CarbonSync starts at login, and whether the person was asked.
#[derive(Debug, Clone, Serialize)]
pub struct AutostartState {
    pub enabled: bool,
    /// The first-run question was answered (either way); the window asks only until then.
    pub asked: bool,
}

/// Whether this launch is the login entry's: start in the tray without the window.
pub fn launched_hidden() -> bool {
    std::env::args().any(|a| a == HIDDEN_ARG)
}

/// The login entry's plugin, adding [`HIDDEN_ARG`] to the command it writes.
pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_autostart::Builder::new()
        .arg(HIDDEN_ARG)
        .build()
}

fn state(app: &AppHandle) -> Result<AutostartState, AppError> {
    let enabled = app.autolaunch().is_enabled().map_err(|e| {
        AppError::new(
            "autostart",
            format!("CarbonSync could not tell whether it starts at login: {e}"),
        )
    })?;
    let asked = app
        .state::<Shell>()
        .app
        .desktop_preference(ASKED)?
        .is_some();
    Ok(AutostartState { enabled, asked })
}

#[tauri::command]
pub fn autostart_state(app: AppHandle) -> Result<AutostartState, AppError> {
    state(&app)
}

/// Turns starting at login on or off, and records that the person chose.
#[tauri::command]
pub fn set_autostart(app: AppHandle, enabled: bool) -> Result<AutostartState, AppError> {
    let launcher = app.autolaunch();
    let done = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    done.map_err(|e| {
        AppError::new(
            "autostart",
            format!(
                "CarbonSync could not {} starting at login: {e}. Check that the folder \
                 ~/.config/autostart can be written.",
                if enabled { "turn on" } else { "turn off" }
            ),
        )
    })?;
    app.state::<Shell>()
        .app
        .set_desktop_preference(ASKED, if enabled { "on" } else { "off" })?;
    tracing::info!(enabled, "start at login changed");
    state(&app)
}
