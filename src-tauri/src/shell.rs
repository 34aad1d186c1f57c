//! The state the shell keeps: the application and its running schedule.

use carbonsync_core::{App, AppError, DaemonHandle, OpenOptions, Progress, SyncFinished};
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager};

pub struct Shell {
    pub app: Arc<App>,
    daemon: tokio::sync::Mutex<Option<DaemonHandle>>,
    _log: Option<carbonsync_core::logging::LogGuard>,
}

impl Shell {
    pub fn start(handle: &AppHandle) -> Result<Shell, Box<dyn std::error::Error>> {
        let log_dir = handle.path().app_log_dir()?;
        let log = carbonsync_core::logging::init(&log_dir, false);
        // The login entry names the data folder and configuration it was written with;
        // otherwise the variables (or the platform's folders) decide.
        let app = App::open(&OpenOptions {
            config_file: crate::autostart::arg_value(crate::autostart::CONFIG_ARG)
                .or_else(|| std::env::var_os("CARBONSYNC_CONFIG").map(Into::into)),
            data_dir: crate::autostart::arg_value(crate::autostart::DATA_DIR_ARG),
        })?;

        let on_report = {
            let handle = handle.clone();
            Arc::new(move |id: i64, result: &Result<_, AppError>| {
                let finished = SyncFinished::new(id, result);
                crate::tray::sync_finished(&handle, &finished);
                crate::notify::sync_finished(&handle, &finished);
                let _ = handle.emit("sync-finished", finished);
            })
        };
        let on_progress = {
            let handle = handle.clone();
            Arc::new(move |p: &Progress| {
                crate::tray::progress(&handle, p);
                let _ = handle.emit("sync-progress", p.clone());
            })
        };
        let daemon =
            tauri::async_runtime::block_on(app.start_daemon(Some(on_report), Some(on_progress)))?;
        tracing::info!("CarbonSync desktop started");
        Ok(Shell {
            app,
            daemon: tokio::sync::Mutex::new(Some(daemon)),
            _log: log,
        })
    }

    /// Runs `f` with the schedule, if it is still running.
    pub async fn with_daemon<T>(&self, f: impl FnOnce(&DaemonHandle) -> T) -> Option<T> {
        self.daemon.lock().await.as_ref().map(f)
    }

    /// Stops the schedule; a sync in progress finishes the page it is writing first.
    pub async fn stop(&self) {
        if let Some(d) = self.daemon.lock().await.take() {
            d.stop().await;
        }
    }
}

pub fn show_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Quit from the tray: stop the schedule cleanly, then leave.
pub fn quit(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<Shell>().stop().await;
        app.exit(0);
    });
}
