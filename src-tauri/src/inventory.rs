//! Tauri commands of the inventory: suppliers, period close and changes after close, the
//! inventory report and its export, the audit chain's check. Each runs off the window's
//! thread (a year's report reads every entry of the year).

use crate::review::off_thread;
use crate::shell::Shell;
use carbonsync_core::{
    AuditCheck, ChangeAfterClose, InventoryReport, LedgerFilter, Period, PeriodClose, Restatement,
    SupplierPage,
};
use tauri::State;

type Result<T> = std::result::Result<T, carbonsync_core::AppError>;

#[tauri::command]
pub async fn suppliers(
    shell: State<'_, Shell>,
    filter: LedgerFilter,
    offset: i64,
    limit: i64,
) -> Result<SupplierPage> {
    off_thread(shell, move |app| app.suppliers(&filter, offset, limit)).await
}

#[tauri::command]
pub async fn period_closes(shell: State<'_, Shell>) -> Result<Vec<PeriodClose>> {
    off_thread(shell, |app| app.period_closes()).await
}

/// `period` as people write it (`2024-03`, `2024-Q2`, `FY2024`); `fy_start_month` 1–12.
#[tauri::command]
pub async fn close_period(
    shell: State<'_, Shell>,
    period: String,
    fy_start_month: u32,
    note: Option<String>,
) -> Result<PeriodClose> {
    off_thread(shell, move |app| {
        app.close_period(&Period::parse(&period, fy_start_month)?, note.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn reopen_period(
    shell: State<'_, Shell>,
    label: String,
    reason: String,
) -> Result<PeriodClose> {
    off_thread(shell, move |app| app.reopen_period(&label, &reason)).await
}

#[tauri::command]
pub async fn changes_after_close(
    shell: State<'_, Shell>,
    label: Option<String>,
) -> Result<Vec<ChangeAfterClose>> {
    off_thread(shell, move |app| app.changes_after_close(label.as_deref())).await
}

#[tauri::command]
pub async fn restate_period(
    shell: State<'_, Shell>,
    label: String,
    entry_ids: Option<Vec<i64>>,
    why: Option<String>,
) -> Result<Restatement> {
    off_thread(shell, move |app| {
        app.restate_period(&label, entry_ids.as_deref(), why.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn leave_changes(
    shell: State<'_, Shell>,
    label: String,
    entry_ids: Option<Vec<i64>>,
    why: Option<String>,
) -> Result<i64> {
    off_thread(shell, move |app| {
        app.leave_changes(&label, entry_ids.as_deref(), why.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn inventory_report(
    shell: State<'_, Shell>,
    period: String,
    fy_start_month: u32,
    connection_id: Option<i64>,
) -> Result<InventoryReport> {
    off_thread(shell, move |app| {
        app.inventory_report(&Period::parse(&period, fy_start_month)?, connection_id)
    })
    .await
}

/// Writes the report's PDF (and its CSV tables beside it) to Downloads; returns the PDF's path.
#[tauri::command]
pub async fn export_inventory(
    shell: State<'_, Shell>,
    period: String,
    fy_start_month: u32,
    connection_id: Option<i64>,
) -> Result<String> {
    off_thread(shell, move |app| {
        let p = Period::parse(&period, fy_start_month)?;
        Ok(app
            .export_inventory_to_downloads(&p, connection_id)?
            .display()
            .to_string())
    })
    .await
}

#[tauri::command]
pub async fn audit_check(shell: State<'_, Shell>) -> Result<AuditCheck> {
    off_thread(shell, |app| app.verify_audit()).await
}
