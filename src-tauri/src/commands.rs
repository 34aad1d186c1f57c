//! Tauri commands: one-line adapters over `carbonsync_core::App`.

use crate::shell::Shell;
use std::collections::BTreeMap;

use carbonsync_core::{
    AppError, CloudSummary, Connection, CredentialField, CursorView, Delivery, Destination,
    DestinationSettings, EmissionsSummary, GroupBy, Incident, LedgerFilter, LedgerPage,
    ProviderView, RedirectStyle, ReportPreview, ReportedFilter, ReportedGroupBy, ReportedMonth,
    ReportedRow, SchedulerCommand, Sensitive, SetAsideRecord, SettingsView, SupplierRule,
    SyncActivity, SyncRun, Trigger,
};
use tauri::State;
use tauri_plugin_opener::OpenerExt;

type Result<T> = std::result::Result<T, AppError>;

#[tauri::command]
pub fn list_providers(shell: State<'_, Shell>) -> Result<Vec<ProviderView>> {
    shell.app.providers()
}

#[tauri::command]
pub fn list_connections(shell: State<'_, Shell>) -> Result<Vec<Connection>> {
    shell.app.connections()
}

#[tauri::command]
pub async fn sync_activity(shell: State<'_, Shell>) -> Result<Vec<SyncActivity>> {
    Ok(shell
        .with_daemon(|d| d.activity())
        .await
        .unwrap_or_default())
}

/// Opens the platform's sign-in in the system browser. The answer comes back by deep
/// link, or to a loopback listener for platforms that allow no custom scheme; either
/// way it is announced with the `connect-result` event.
#[tauri::command]
pub async fn begin_connect(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    provider: String,
) -> Result<()> {
    match shell.app.sign_in_route(&provider).await? {
        RedirectStyle::Loopback => crate::deep_link::connect_with_loopback(&app, provider),
        _ => open_in_browser(&app, &shell.app.begin_connect(&provider).await?),
    }
}

/// Cancels a sign-in that waits for the browser: the loopback listener stops, or the
/// deep-link sign-in's state leaves the keychain, so a late answer is refused. Async,
/// so the keychain call never holds up the window.
#[tauri::command]
pub async fn cancel_connect(app: tauri::AppHandle, provider: String) -> Result<()> {
    crate::deep_link::cancel_connect(&app, &provider)
}

pub fn open_in_browser(app: &tauri::AppHandle, url: &str) -> Result<()> {
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| AppError::new("browser", format!("Could not open the browser: {e}")))
}

#[tauri::command]
pub async fn choose_tenant(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    choice_id: String,
    tenant_id: String,
) -> Result<Connection> {
    let conn = shell.app.choose_tenant(&choice_id, &tenant_id).await?;
    shell
        .with_daemon(|d| d.send(SchedulerCommand::Reload))
        .await;
    // Reconnecting restarts a stopped schedule.
    crate::tray::refresh_schedule(&app);
    Ok(conn)
}

#[tauri::command]
pub async fn cancel_tenant_choice(shell: State<'_, Shell>, choice_id: String) -> Result<()> {
    shell.app.cancel_tenant_choice(&choice_id).await
}

/// Queues a sync of one connection, or of every active one; progress and the end
/// arrive as `sync-progress` and `sync-finished` events.
#[tauri::command]
pub async fn sync_now(shell: State<'_, Shell>, connection_id: Option<i64>) -> Result<()> {
    crate::tray::queue_syncs(&shell, connection_id, Trigger::Window).await
}

#[tauri::command]
pub async fn disconnect(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    connection_id: i64,
    delete_data: bool,
) -> Result<Option<String>> {
    let warning = shell.app.disconnect(connection_id, delete_data).await?;
    shell
        .with_daemon(|d| d.send(SchedulerCommand::Reload))
        .await;
    crate::tray::refresh_schedule(&app);
    Ok(warning)
}

#[tauri::command]
pub fn sync_history(
    shell: State<'_, Shell>,
    connection_id: i64,
    limit: i64,
) -> Result<Vec<SyncRun>> {
    shell.app.logs(Some(connection_id), limit)
}

#[tauri::command]
pub fn connection_cursors(shell: State<'_, Shell>, connection_id: i64) -> Result<Vec<CursorView>> {
    shell.app.cursors(connection_id)
}

#[tauri::command]
pub fn connection_set_aside(
    shell: State<'_, Shell>,
    connection_id: i64,
) -> Result<Vec<SetAsideRecord>> {
    shell.app.set_aside(Some(connection_id))
}

/// Changes how often a connection syncs; this also restarts a schedule that a failure
/// had stopped.
#[tauri::command]
pub async fn set_frequency(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    connection_id: i64,
    frequency: String,
) -> Result<String> {
    let f = shell.app.set_frequency(connection_id, &frequency)?;
    shell
        .with_daemon(|d| d.send(SchedulerCommand::Reload))
        .await;
    crate::tray::refresh_schedule(&app);
    Ok(f.label())
}

#[tauri::command]
pub fn emissions_summary(
    shell: State<'_, Shell>,
    filter: LedgerFilter,
    by: Option<GroupBy>,
) -> Result<EmissionsSummary> {
    shell.app.emissions(by, &filter)
}

#[tauri::command]
pub fn ledger_page(
    shell: State<'_, Shell>,
    filter: LedgerFilter,
    offset: i64,
    limit: i64,
) -> Result<LedgerPage> {
    shell.app.ledger_page(&filter, offset, limit)
}

/// Writes the selected ledger to a CSV file in the user's Downloads folder.
#[tauri::command]
pub fn export_ledger_csv(shell: State<'_, Shell>, filter: LedgerFilter) -> Result<String> {
    shell
        .app
        .export_ledger_to_downloads(&filter)
        .map(|p| p.display().to_string())
}

#[tauri::command]
pub fn get_settings(shell: State<'_, Shell>) -> Result<SettingsView> {
    shell.app.settings()
}

#[tauri::command]
pub fn set_provider_credentials(
    shell: State<'_, Shell>,
    provider: String,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<SettingsView> {
    shell
        .app
        .set_provider_credentials(&provider, client_id, client_secret.map(Sensitive::new))
}

/// The connect form of a cloud platform (AWS, Azure, Google Cloud), in order.
#[tauri::command]
pub fn cloud_fields(shell: State<'_, Shell>, provider: String) -> Result<Vec<CredentialField>> {
    shell.app.cloud_fields(&provider).map(<[_]>::to_vec)
}

/// Connects a cloud account with the keys typed into its form; on the sandbox an empty form
/// means the sandbox's own account. The keys go to the keychain only, after the provider
/// accepted them.
#[tauri::command]
pub async fn connect_cloud(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    provider: String,
    fields: BTreeMap<String, String>,
    sandbox: bool,
) -> Result<Connection> {
    let fields = fields
        .into_iter()
        .map(|(k, v)| (k, Sensitive::new(v)))
        .collect();
    let conn = shell.app.connect_cloud(&provider, fields, sandbox).await?;
    shell
        .with_daemon(|d| d.send(SchedulerCommand::Reload))
        .await;
    crate::tray::refresh_schedule(&app);
    Ok(conn)
}

/// The day of the month after a reported month by which the cloud platform publishes it.
#[tauri::command]
pub async fn cloud_publication_day(shell: State<'_, Shell>, provider: String) -> Result<u32> {
    shell.app.cloud_publication_day(&provider).await
}

#[tauri::command]
pub fn cloud_emissions(
    shell: State<'_, Shell>,
    filter: ReportedFilter,
    by: ReportedGroupBy,
) -> Result<CloudSummary> {
    shell.app.cloud_emissions(&filter, by)
}

#[tauri::command]
pub fn cloud_rows(
    shell: State<'_, Shell>,
    filter: ReportedFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<ReportedRow>> {
    shell.app.cloud_rows(&filter, offset, limit)
}

#[tauri::command]
pub fn cloud_months(
    shell: State<'_, Shell>,
    connection_id: Option<i64>,
) -> Result<Vec<ReportedMonth>> {
    shell.app.cloud_months(connection_id)
}

#[tauri::command]
pub fn supplier_rules(shell: State<'_, Shell>) -> Result<Vec<SupplierRule>> {
    shell.app.supplier_rules()
}

/// Adds a supplier rule for a cloud platform and applies it at once. `unless`: words in a
/// line's description that keep it out although its supplier matches (`Workspace`).
#[tauri::command]
pub fn add_supplier_rule(
    shell: State<'_, Shell>,
    provider: String,
    pattern: String,
    unless: Option<String>,
) -> Result<SupplierRule> {
    shell
        .app
        .add_supplier_rule(&provider, &pattern, unless.as_deref())
}

#[tauri::command]
pub fn set_supplier_rule_enabled(shell: State<'_, Shell>, id: i64, enabled: bool) -> Result<()> {
    shell.app.set_supplier_rule_enabled(id, enabled)
}

// ---- Notifications: reports and alerts sent to Slack and Microsoft Teams -----------------

#[tauri::command]
pub fn list_destinations(shell: State<'_, Shell>) -> Result<Vec<Destination>> {
    shell.app.destinations()
}

#[tauri::command]
pub fn destination_history(
    shell: State<'_, Shell>,
    destination_id: i64,
    limit: i64,
) -> Result<Vec<Delivery>> {
    shell.app.destination_history(destination_id, limit)
}

/// Changes when a destination's report goes out and which alerts it receives; in
/// `settings`, an absent field is unchanged and `alert_connections: null` means every
/// connection.
#[tauri::command]
pub fn set_destination_settings(
    shell: State<'_, Shell>,
    destination_id: i64,
    settings: DestinationSettings,
) -> Result<Destination> {
    shell
        .app
        .set_destination_settings(destination_id, &settings)
}

/// Adds a destination from a pasted webhook URL (a Slack incoming webhook, a Teams
/// workflow). The URL is a secret: wrapped at once, it goes to the keychain only and is
/// never logged or sent back.
#[tauri::command]
pub async fn add_webhook_destination(
    shell: State<'_, Shell>,
    platform: String,
    url: String,
    name: Option<String>,
) -> Result<Destination> {
    let url = Sensitive::new(url);
    shell
        .app
        .add_webhook_destination(&platform, &url, name.as_deref(), false)
        .await
}

/// Adds the sandbox's own webhook of `platform` as a destination. Its URL is asked of the
/// sandbox and stored here, so it never reaches the window.
#[tauri::command]
pub async fn add_sandbox_destination(
    shell: State<'_, Shell>,
    platform: String,
    name: Option<String>,
) -> Result<Destination> {
    let url = shell.app.sandbox_destination_url(&platform).await?;
    shell
        .app
        .add_webhook_destination(&platform, &url, name.as_deref(), true)
        .await
}

/// Resolves to a warning to show (Slack could not be told to revoke its token), or null.
#[tauri::command]
pub async fn remove_destination(
    shell: State<'_, Shell>,
    destination_id: i64,
) -> Result<Option<String>> {
    shell.app.remove_destination(destination_id).await
}

#[tauri::command]
pub async fn send_test_message(shell: State<'_, Shell>, destination_id: i64) -> Result<Delivery> {
    shell.app.send_test(destination_id).await
}

/// The report of `period` (`YYYY-MM`) as it would be sent, its chart drawn. Drawn off the
/// window's thread and the async workers, so it never holds anything up.
#[tauri::command]
pub async fn preview_report(shell: State<'_, Shell>, period: String) -> Result<ReportPreview> {
    let app = shell.app.clone();
    tauri::async_runtime::spawn_blocking(move || app.preview_report(&period))
        .await
        .map_err(|e| {
            AppError::new(
                "internal",
                "The report could not be previewed. Try again; if it keeps happening, report it with the technical details.",
            )
            .with_detail(e.to_string())
        })?
}

#[tauri::command]
pub async fn send_report(
    shell: State<'_, Shell>,
    destination_id: i64,
    period: String,
) -> Result<Delivery> {
    shell.app.send_report(destination_id, &period).await
}

#[tauri::command]
pub fn list_incidents(
    shell: State<'_, Shell>,
    open_only: bool,
    limit: i64,
) -> Result<Vec<Incident>> {
    shell.app.incidents(open_only, limit)
}

/// Finishes a Slack sign-in with the channel chosen (after a `choose_channel` outcome).
#[tauri::command]
pub async fn choose_channel(
    shell: State<'_, Shell>,
    choice_id: String,
    channel_id: String,
) -> Result<Destination> {
    shell
        .app
        .choose_channel(&choice_id, &channel_id, None)
        .await
}
