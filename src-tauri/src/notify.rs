//! Desktop notifications for what needs a person: a failed sync, a connection that
//! must be reconnected.

use carbonsync_core::SyncFinished;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

pub fn sync_finished(app: &AppHandle, f: &SyncFinished) {
    let Some(error) = &f.error else { return };
    let title = if error.code == "needs_reconnect" {
        "A connection needs reconnecting"
    } else {
        "A sync failed"
    };
    // A desktop without a notification service just doesn't show it; the window and
    // the sync history still say what happened.
    if let Err(e) = app
        .notification()
        .builder()
        .title(title)
        .body(&error.message)
        .show()
    {
        tracing::info!("notification not shown: {e}");
    }
}
