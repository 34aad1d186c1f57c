//! The CarbonSync desktop shell: window, tray, deep link, notifications. Every action
//! goes through `carbonsync_core::App`, the same API the `carbonsync` CLI uses.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod autostart;
mod commands;
mod deep_link;
mod inventory;
#[cfg(target_os = "linux")]
mod link_handler;
mod notify;
mod review;
mod shell;
mod tray;
mod updates;

use tauri::Manager;

fn main() {
    let started = std::time::Instant::now();
    tauri::Builder::default()
        // First: a second launch (e.g. by a deep link) hands over to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // The login entry starting a second copy changes nothing; anything else (the
            // menu, a sign-in link) brings the window up.
            if !argv.iter().any(|a| a == autostart::HIDDEN_ARG) {
                shell::show_main_window(app);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(autostart::plugin())
        .setup(move |app| {
            let handle = app.handle().clone();
            let setup_from = started.elapsed();
            updates::plugin(&handle)?;
            let shell = shell::Shell::start(&handle)?;
            app.manage(shell);
            let opened = started.elapsed();
            tray::build(&handle)?;
            deep_link::listen(&handle)?;
            // Replaces the handler entry the deep-link plugin registers, whose quoted
            // `Exec` line xdg-open cannot run outside GNOME and KDE.
            #[cfg(target_os = "linux")]
            link_handler::register(&handle);
            // A start at login stays in the tray: the window, built from the configuration
            // before this runs, is hidden before the first event can map it on screen.
            let hidden = autostart::launched_hidden();
            if hidden {
                if let Some(w) = handle.get_webview_window("main") {
                    w.hide()?;
                }
            }
            // Where a start's time goes, for anyone asking why the window came up late.
            tracing::info!(
                hidden,
                setup_from_ms = setup_from.as_millis() as u64,
                database_and_schedule_ms = (opened - setup_from).as_millis() as u64,
                tray_and_links_ms = (started.elapsed() - opened).as_millis() as u64,
                shown_ms = started.elapsed().as_millis() as u64,
                "started"
            );
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps CarbonSync in the tray with its schedule running.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_providers,
            commands::list_connections,
            commands::sync_activity,
            commands::begin_connect,
            commands::cancel_connect,
            commands::choose_tenant,
            commands::cancel_tenant_choice,
            commands::sync_now,
            commands::disconnect,
            commands::sync_history,
            commands::connection_cursors,
            commands::connection_set_aside,
            commands::set_frequency,
            commands::emissions_summary,
            commands::ledger_page,
            commands::export_ledger_csv,
            commands::get_settings,
            commands::set_provider_credentials,
            commands::cloud_fields,
            commands::connect_cloud,
            commands::cloud_publication_day,
            commands::cloud_emissions,
            commands::cloud_rows,
            commands::cloud_months,
            commands::supplier_rules,
            review::review_queue,
            review::entry_detail,
            review::find_factors,
            review::decide_entries,
            review::undo_decisions,
            review::review_rules,
            review::rule_like,
            review::preview_rule,
            review::add_rule,
            review::edit_rule,
            review::move_rule,
            review::remove_rule,
            inventory::suppliers,
            inventory::period_closes,
            inventory::close_period,
            inventory::reopen_period,
            inventory::changes_after_close,
            inventory::restate_period,
            inventory::leave_changes,
            inventory::inventory_report,
            inventory::export_inventory,
            inventory::audit_check,
            commands::add_supplier_rule,
            commands::set_supplier_rule_enabled,
            commands::list_destinations,
            commands::destination_history,
            commands::set_destination_settings,
            commands::add_webhook_destination,
            commands::add_sandbox_destination,
            commands::remove_destination,
            commands::send_test_message,
            commands::preview_report,
            commands::send_report,
            commands::list_incidents,
            commands::choose_channel,
            autostart::autostart_state,
            autostart::set_autostart,
            updates::check_for_update,
            updates::install_update,
        ])
        .run(tauri::generate_context!())
        .expect("CarbonSync could not start");
}
