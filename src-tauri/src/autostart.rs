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

/// Arguments that move the data folder and the configuration file, as the login entry
/// passes them when this copy runs with `CARBONSYNC_DATA_DIR` or `CARBONSYNC_CONFIG` (the
/// session at login may not have those variables).
pub const DATA_DIR_ARG: &str = "--data-dir=";
pub const CONFIG_ARG: &str = "--config=";

/// The value of `--data-dir=` or `--config=` among this launch's arguments.
pub fn arg_value(prefix: &str) -> Option<std::path::PathBuf> {
    std::env::args()
        .find_map(|a| a.strip_prefix(prefix).map(std::path::PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty())
}

/// The login entry's plugin: the command it writes starts hidden ([`HIDDEN_ARG`]) on the
/// data folder and configuration this copy uses.
pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    let mut args = vec![HIDDEN_ARG.to_owned()];
    let moved = [
        (DATA_DIR_ARG, "CARBONSYNC_DATA_DIR"),
        (CONFIG_ARG, "CARBONSYNC_CONFIG"),
    ];
    for (prefix, variable) in moved {
        let value = arg_value(prefix).or_else(|| std::env::var_os(variable).map(Into::into));
        if let Some(path) = value {
            args.push(format!("{prefix}{}", path.display()));
        }
    }
    tauri_plugin_autostart::Builder::new().args(args).build()
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
