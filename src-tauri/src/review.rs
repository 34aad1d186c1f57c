//! Tauri commands of the review: the queue, decisions on entries, rules for similar entries.
//! Each runs off the window's thread and the async workers (a rule may decide thousands of
//! entries again), so the window never waits on the database.

use crate::shell::Shell;
use carbonsync_core::{
    App, AppError, Classification, EntryDetail, FactorChoice, LedgerEntry, LedgerFilter,
    ReviewQueue, ReviewRule, RuleInput, RulePreview,
};
use std::sync::Arc;
use tauri::State;

type Result<T> = std::result::Result<T, AppError>;

/// Runs `work` on a blocking thread with the application.
pub(crate) async fn off_thread<T: Send + 'static>(
    shell: State<'_, Shell>,
    work: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app: Arc<App> = shell.app.clone();
    tauri::async_runtime::spawn_blocking(move || work(&app))
        .await
        .map_err(|e| {
            AppError::new(
                "internal",
                "The review could not be read or saved. Try again; if it keeps happening, report it with the technical details.",
            )
            .with_detail(e.to_string())
        })?
}

#[tauri::command]
pub async fn review_queue(
    shell: State<'_, Shell>,
    filter: LedgerFilter,
    offset: i64,
    limit: i64,
) -> Result<ReviewQueue> {
    off_thread(shell, move |app| app.review_queue(&filter, offset, limit)).await
}

#[tauri::command]
pub async fn entry_detail(shell: State<'_, Shell>, entry_id: i64) -> Result<EntryDetail> {
    off_thread(shell, move |app| app.entry_detail(entry_id)).await
}

#[tauri::command]
pub fn find_factors(shell: State<'_, Shell>, query: String, limit: usize) -> Vec<FactorChoice> {
    shell.app.find_factors(&query, limit)
}

#[tauri::command]
pub async fn decide_entries(
    shell: State<'_, Shell>,
    entry_ids: Vec<i64>,
    classification: Classification,
    note: Option<String>,
    why: Option<String>,
) -> Result<Vec<LedgerEntry>> {
    off_thread(shell, move |app| {
        app.decide_entries(&entry_ids, &classification, note.as_deref(), why.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn undo_decisions(
    shell: State<'_, Shell>,
    entry_ids: Vec<i64>,
    why: Option<String>,
) -> Result<Vec<LedgerEntry>> {
    off_thread(shell, move |app| {
        app.undo_decisions(&entry_ids, why.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn review_rules(shell: State<'_, Shell>) -> Result<Vec<ReviewRule>> {
    off_thread(shell, |app| app.review_rules()).await
}

#[tauri::command]
pub async fn rule_like(shell: State<'_, Shell>, entry_id: i64) -> Result<RuleInput> {
    off_thread(shell, move |app| app.rule_like(entry_id)).await
}

#[tauri::command]
pub async fn preview_rule(
    shell: State<'_, Shell>,
    rule: RuleInput,
    replacing: Option<i64>,
) -> Result<RulePreview> {
    off_thread(shell, move |app| app.preview_rule(&rule, replacing)).await
}

#[tauri::command]
pub async fn add_rule(
    shell: State<'_, Shell>,
    rule: RuleInput,
    why: Option<String>,
) -> Result<ReviewRule> {
    off_thread(shell, move |app| app.add_rule(&rule, why.as_deref())).await
}

#[tauri::command]
pub async fn edit_rule(
    shell: State<'_, Shell>,
    id: i64,
    rule: RuleInput,
    why: Option<String>,
) -> Result<ReviewRule> {
    off_thread(shell, move |app| app.edit_rule(id, &rule, why.as_deref())).await
}

#[tauri::command]
pub async fn move_rule(
    shell: State<'_, Shell>,
    id: i64,
    position: i64,
    why: Option<String>,
) -> Result<Vec<ReviewRule>> {
    off_thread(shell, move |app| {
        app.move_rule(id, position, why.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn remove_rule(
    shell: State<'_, Shell>,
    id: i64,
    why: Option<String>,
) -> Result<ReviewRule> {
    off_thread(shell, move |app| app.remove_rule(id, why.as_deref())).await
}
