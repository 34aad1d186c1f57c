//! The tray icon: Sync now, the state of the last sync, the state of the schedule, Open,
//! Quit. Its tooltip shows progress while a sync runs.

use crate::shell::Shell;
use carbonsync_core::{
    next_tick, AppError, Connection, Frequency, Progress, SchedulerCommand, SyncFinished, Trigger,
};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

const TRAY_ID: &str = "carbonsync";

/// The menu item that shows the last sync; kept to update its text.
struct LastSyncItem(MenuItem<Wry>);

/// The menu item that says whether the schedule runs, or which connection it holds back
/// and until when; kept to update its text.
struct ScheduleItem(MenuItem<Wry>);

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let sync_now = MenuItem::with_id(app, "sync_now", "Sync now", true, None::<&str>)?;
    let last = MenuItem::with_id(app, "last_sync", "Last sync: none yet", false, None::<&str>)?;
    let schedule = MenuItem::with_id(
        app,
        "schedule",
        schedule_text(&connections(app)),
        false,
        None::<&str>,
    )?;
    let open = MenuItem::with_id(app, "open", "Open CarbonSync", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &sync_now,
            &last,
            &schedule,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &quit,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("CarbonSync")
        .on_menu_event(|app, event| match event.id.as_ref() {
            "sync_now" => sync_all_from_tray(app),
            "open" => crate::shell::show_main_window(app),
            "quit" => crate::shell::quit(app),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(LastSyncItem(last));
    app.manage(ScheduleItem(schedule));
    // The next sync's time moves on by itself (a tick passes, midnight turns "tomorrow" into
    // today): read again every minute, besides after each sync and change.
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            refresh_schedule(&handle);
        }
    });
    Ok(())
}

fn connections(app: &AppHandle) -> Vec<Connection> {
    app.try_state::<Shell>()
        .and_then(|shell| shell.app.connections().ok())
        .unwrap_or_default()
}

/// One line for the schedule: when the next sync is due (`Next sync: 14:14, Harbour & Pine
/// Ltd`), the one connection it holds back (`Harbour & Pine Ltd: Paused until 09:14 tomorrow:
/// Xero's daily limit`), or how many.
fn schedule_text(connections: &[Connection]) -> String {
    let held: Vec<(&Connection, String)> = connections
        .iter()
        .filter_map(|c| Some((c, c.schedule_hold_words_local()?)))
        .collect();
    match held.as_slice() {
        [] => next_sync_text(connections, chrono::Utc::now()),
        [(c, words)] => format!("{}: {words}", c.tenant_name),
        many => format!(
            "Schedule: {} connections paused or stopped; open CarbonSync to see why",
            many.len()
        ),
    }
}

/// `Next sync: 14:14, Harbour & Pine Ltd` (local time; `tomorrow` or the date when not
/// today), or that nothing is scheduled.
fn next_sync_text(connections: &[Connection], now: chrono::DateTime<chrono::Utc>) -> String {
    let next = connections
        .iter()
        .filter(|c| c.schedule_due(now.timestamp_millis()))
        .filter_map(|c| {
            // As the schedule reads it: a frequency it cannot read runs hourly.
            let freq = Frequency::parse(&c.frequency).unwrap_or(Frequency::Hourly);
            Some((next_tick(&freq, c.id, now)?, c))
        })
        .min_by_key(|(at, c)| (*at, c.id));
    let Some((at, c)) = next else {
        return "Schedule: no sync scheduled".into();
    };
    let (at, today) = (
        at.with_timezone(&chrono::Local),
        now.with_timezone(&chrono::Local),
    );
    let day = if at.date_naive() == today.date_naive() {
        String::new()
    } else if at.date_naive() == today.date_naive().succ_opt().unwrap_or_default() {
        " tomorrow".into()
    } else {
        at.format(" on %-d %b").to_string()
    };
    format!("Next sync: {}{day}, {}", at.format("%H:%M"), c.tenant_name)
}

/// Re-reads the schedule's state into the menu: after a sync, and after the person acts
/// on a connection (reconnects, changes its frequency, disconnects it).
pub fn refresh_schedule(app: &AppHandle) {
    if let Some(item) = app.try_state::<ScheduleItem>() {
        let _ = item.0.set_text(schedule_text(&connections(app)));
    }
}

fn sync_all_from_tray(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let shell = app.state::<Shell>();
        if let Err(e) = queue_syncs(&shell, None, Trigger::Tray).await {
            tracing::warn!("tray sync: {}", e.message);
        }
    });
}

/// Queues one connection, or every active one, on the schedule's worker.
pub async fn queue_syncs(
    shell: &Shell,
    connection_id: Option<i64>,
    trigger: Trigger,
) -> Result<(), AppError> {
    let ids = match connection_id {
        Some(id) => vec![id],
        None => shell
            .app
            .active_connections()?
            .iter()
            .map(|c| c.id)
            .collect(),
    };
    shell
        .with_daemon(|d| {
            for id in ids {
                d.send(SchedulerCommand::Sync {
                    connection_id: id,
                    trigger,
                });
            }
        })
        .await
        .ok_or_else(|| {
            AppError::new(
                "stopping",
                "CarbonSync is quitting; the sync was not started.",
            )
        })
}

pub fn progress(app: &AppHandle, p: &Progress) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let text = format!(
            "CarbonSync — syncing connection {}: {} records, {} pages",
            p.connection_id, p.counts.fetched, p.counts.pages
        );
        let _ = tray.set_tooltip(Some(&text));
    }
}

pub fn sync_finished(app: &AppHandle, f: &SyncFinished) {
    let time = chrono::Local::now().format("%H:%M");
    let text = match (&f.report, &f.error) {
        (Some(r), _) => format!(
            "Last sync: {time}, connection {} — {} records",
            f.connection_id, r.counts.fetched
        ),
        (None, Some(e)) => format!(
            "Last sync: {time}, connection {} failed — {}",
            f.connection_id, e.code
        ),
        _ => format!("Last sync: {time}"),
    };
    if let Some(item) = app.try_state::<LastSyncItem>() {
        let _ = item.0.set_text(&text);
    }
    refresh_schedule(app);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some("CarbonSync"));
    }
}
