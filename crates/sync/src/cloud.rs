//! Syncing a cloud connection (AWS, Azure, Google Cloud): the provider's own reported
//! emissions, month by month, imported as published.
//!
//! Each sync first checks the keys (one cheap call, which also gives the provider's clock),
//! then reads every month from the oldest one that may still change to the provider's current
//! month, page by page, each page in its own transaction. A month the provider has not
//! published yet is *pending* (it counts as nothing, and covers no accounting spend); a month
//! it publishes again with other numbers is updated, the change kept in the trail and named in
//! the run's notes. After the read, spend-based entries a published month covers are excluded
//! so the cloud bill is not counted twice (see `Store::refresh_cloud_cover`).

use std::sync::{Arc, Mutex};

use carbonsync_providers::{
    CallMeter, CloudConnector, CloudCredentials, ProviderError, ReportedEmission,
};
use carbonsync_store::{Connection, MonthState, ReportedInput, Store, SyncRunCounts};
use carbonsync_vault::Vault;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::engine::{begin, conclude, Begun, SyncOptions, SyncReport};
use crate::SyncError;

/// What a sync of one cloud connection needs.
pub struct CloudSyncContext {
    pub db_path: std::path::PathBuf,
    pub locks_dir: std::path::PathBuf,
    pub vault: Vault,
    pub connector: Arc<dyn CloudConnector>,
    /// Months read by a first or full sync, back from the provider's current month (AWS keeps
    /// 38 months of estimates).
    pub history_months: u32,
    /// Published months read again by every sync, because providers restate recent months.
    pub restate_months: u32,
}

/// The months a sync reads, and how it judges them.
struct Window {
    from: NaiveDate,
    to: NaiveDate,
    /// The provider's clock.
    now: DateTime<Utc>,
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("the first of a month exists")
}

fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn month_words(d: NaiveDate) -> String {
    d.format("%B %Y").to_string()
}

/// Syncs one cloud connection: waits for any other sync of it to finish, logs the run, and
/// records the outcome on the connection, as [`crate::sync_connection`] does for accounting.
pub async fn sync_cloud_connection(
    ctx: &CloudSyncContext,
    connection_id: i64,
    opts: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let Begun {
        mut store,
        conn,
        run_id,
        _lock,
    } = begin(&ctx.db_path, &ctx.locks_dir, connection_id, opts).await?;
    let counts = Mutex::new(SyncRunCounts::default());
    let meter = CallMeter::default();
    let mut result = run(ctx, &mut store, &conn, run_id, opts, &counts, &meter).await;
    // Whatever was written, the cover follows it; a failure here fails the run.
    if let Err(e) = store.refresh_cloud_cover() {
        if result.is_ok() {
            result = Err(e.into());
        }
    }
    conclude(&mut store, &conn, run_id, result, &counts, &meter, false)
}

fn credentials(ctx: &CloudSyncContext, conn: &Connection) -> Result<CloudCredentials, SyncError> {
    let missing = |detail: &str| SyncError::SignInMissing {
        provider: crate::platform_name(&conn.provider),
        tenant: conn.tenant_name.clone(),
        detail: detail.to_owned(),
    };
    let secret = ctx
        .vault
        .get(&conn.vault_key)?
        .ok_or_else(|| missing("no keys are stored for it"))?;
    CloudCredentials::from_json(secret.expose()).map_err(|_| missing("its keys are unreadable"))
}

/// A refused key is the user's to replace: say so, as a refused grant does.
fn keys_refused(conn: &Connection, e: ProviderError) -> SyncError {
    match e {
        ProviderError::Unauthorized { detail } => SyncError::NeedsReconnect {
            provider: crate::platform_name(&conn.provider),
            tenant: conn.tenant_name.clone(),
            detail,
        },
        other => other.into(),
    }
}

fn snapshot(counts: &Mutex<SyncRunCounts>, meter: &CallMeter) -> SyncRunCounts {
    let mut c = counts.lock().expect("counts lock");
    c.calls = i64::from(meter.calls());
    c.rate_limited = i64::from(meter.rate_limited());
    *c
}

pub(crate) fn to_input(row: &ReportedEmission, method: &str) -> ReportedInput {
    ReportedInput {
        row_key: row.key(),
        month: month_key(row.month),
        account: row.account.clone(),
        account_name: row.account_name.clone(),
        service: row.service.clone(),
        region: row.region.clone(),
        grouping: row.grouping.clone(),
        scope: row.scope,
        scope3_category: row.scope3_category,
        basis: row.basis.map(|b| b.as_str().to_owned()),
        kg_co2e: row.kg_co2e,
        reported_value: row.reported_value,
        reported_unit: row.reported_unit.to_owned(),
        method: method.to_owned(),
        model_version: row.model_version.clone(),
        period_end: None,
        source_url: None,
    }
}

/// kg as people read a month's total: tonnes with three decimals.
fn tonnes(kg: Decimal) -> String {
    format!("{} t", (kg / Decimal::ONE_THOUSAND).round_dp(3))
}

async fn run(
    ctx: &CloudSyncContext,
    store: &mut Store,
    conn: &Connection,
    run_id: i64,
    opts: &SyncOptions,
    counts: &Mutex<SyncRunCounts>,
    meter: &CallMeter,
) -> Result<(), SyncError> {
    let connector = &*ctx.connector;
    let creds = credentials(ctx, conn)?;
    let name = crate::platform_name(&conn.provider);

    // 1. The keys, and the provider's clock.
    let estate = connector
        .identify(&creds, meter)
        .await
        .map_err(|e| keys_refused(conn, e))?;
    let now = estate.server_time.unwrap_or_else(Utc::now);
    let current = first_of_month(now.date_naive());
    let known = store.reported_months(Some(conn.id))?;
    let window = {
        let history_start = current
            .checked_sub_months(Months::new(ctx.history_months))
            .unwrap_or(current);
        let from = if opts.full || known.is_empty() {
            history_start
        } else {
            // The oldest month still pending, or the recent months a provider may restate.
            let restate_from = current
                .checked_sub_months(Months::new(ctx.restate_months + 1))
                .unwrap_or(current);
            known
                .iter()
                .filter(|m| m.state == MonthState::Pending)
                .filter_map(|m| {
                    NaiveDate::parse_from_str(&format!("{}-01", m.month), "%Y-%m-%d").ok()
                })
                .chain([restate_from])
                .min()
                .unwrap_or(restate_from)
                .max(history_start)
        };
        Window {
            from,
            to: current,
            now,
        }
    };
    tracing::info!(
        connection = conn.id,
        from = %window.from,
        to = %window.to,
        "reading reported emissions"
    );

    // 2. The reported rows, page by page.
    let method = connector.method();
    let mut next: Option<String> = None;
    let mut months_with_rows = std::collections::BTreeSet::new();
    loop {
        if opts.stop.as_ref().is_some_and(|s| *s.borrow()) {
            return Err(SyncError::Stopped);
        }
        let page = connector
            .emissions(&creds, window.from, window.to, next.as_deref(), meter)
            .await
            .map_err(|e| keys_refused(conn, e))?;
        let rows: Vec<ReportedInput> = page.rows.iter().map(|r| to_input(r, method)).collect();
        months_with_rows.extend(page.rows.iter().map(|r| r.month));
        let written = store.write_reported(conn.id, run_id, &rows)?;
        {
            let mut c = counts.lock().expect("counts lock");
            c.pages += 1;
            c.fetched += rows.len() as i64;
            c.created += written.created;
            c.updated += written.restated;
            c.skipped += written.unchanged;
            c.emissions_added += written.created;
            c.kg_co2e_delta += Decimal::new(written.co2e_mg_delta, 6);
        }
        let snap = snapshot(counts, meter);
        store.update_run_counts(run_id, &snap)?;
        if let Some(progress) = &opts.progress {
            progress(&crate::Progress {
                connection_id: conn.id,
                run_id,
                stream: "reported_emissions",
                counts: snap,
            });
        }
        next = page.next;
        if next.is_none() {
            break;
        }
    }

    // 3. The whole window was read: what the provider no longer lists is withdrawn.
    let withdrawn = store.withdraw_unseen_reported(
        conn.id,
        run_id,
        &month_key(window.from),
        &month_key(window.to),
    )?;
    if withdrawn > 0 {
        counts.lock().expect("counts lock").deleted += withdrawn;
        store.add_run_note(
            run_id,
            &format!("{name} no longer lists {withdrawn} rows it had reported; they were removed and kept in the trail."),
        )?;
    }

    // 4. Where each month stands. The first month with data starts the connection's history;
    //    a month without rows after it is pending until the provider's publication day has
    //    passed, and published with nothing after that.
    let first_with_data = store
        .reported_months(Some(conn.id))?
        .iter()
        .filter(|m| m.rows > 0)
        .filter_map(|m| NaiveDate::parse_from_str(&format!("{}-01", m.month), "%Y-%m-%d").ok())
        .chain(months_with_rows.iter().copied())
        .min();
    let mut states = Vec::new();
    let mut pending_words = Vec::new();
    let mut month = window.from;
    while month <= window.to {
        if first_with_data.is_some_and(|first| month >= first) || month == window.to {
            let due = month
                .checked_add_months(Months::new(1))
                .and_then(|next| next.with_day(connector.publication_day()))
                .unwrap_or(month);
            let state = if months_with_rows.contains(&month) {
                MonthState::Published
            } else if window.now.date_naive() < due {
                pending_words.push(format!(
                    "{} (expected by {})",
                    month_words(month),
                    due.format("%-d %B %Y")
                ));
                MonthState::Pending
            } else {
                MonthState::Published
            };
            states.push((month_key(month), state));
        }
        month = month
            .checked_add_months(Months::new(1))
            .expect("months within the calendar");
    }
    store.set_reported_months(conn.id, &states)?;
    if !pending_words.is_empty() {
        store.add_run_note(
            run_id,
            &format!(
                "{name} has not published {} yet: pending, counted as nothing until it is.",
                pending_words.join(", ")
            ),
        )?;
    }
    for r in store.restatements_of_run(run_id)? {
        let month = NaiveDate::parse_from_str(&format!("{}-01", r.month), "%Y-%m-%d")
            .map(month_words)
            .unwrap_or(r.month.clone());
        store.add_run_note(
            run_id,
            &format!(
                "{name} restated {month}: {} → {} CO2e (location-based), {} rows changed.",
                tonnes(r.before_kg_co2e),
                tonnes(r.after_kg_co2e),
                r.rows
            ),
        )?;
    }

    // 5. The provider's bill beside each newly published month (AWS Cost Explorer: one paid
    //    request per month, so only months not read before).
    for month in store.months_without_spend(conn.id)? {
        if opts.stop.as_ref().is_some_and(|s| *s.borrow()) {
            return Err(SyncError::Stopped);
        }
        let Ok(first) = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d") else {
            continue;
        };
        let lines = connector
            .spend(&creds, first, meter)
            .await
            .map_err(|e| keys_refused(conn, e))?;
        let lines: Vec<_> = lines
            .into_iter()
            .map(|l| (l.service, l.amount, l.currency))
            .collect();
        store.write_reported_spend(conn.id, &month, &lines)?;
    }
    store.update_run_counts(run_id, &snapshot(counts, meter))?;
    Ok(())
}
