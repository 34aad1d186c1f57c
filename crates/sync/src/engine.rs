use crate::locks::ConnectionLock;
use crate::records::{self, AccountNames};
use crate::tokens::TokenKeeper;
use crate::SyncError;
use carbonsync_emissions::Calculator;
use carbonsync_oauth::OAuthClient;
use carbonsync_providers::{Fetched, ProviderError, XeroClient};
use carbonsync_store::{
    AccountRow, Connection, ConnectionStatus, RecordInput, RunStatus, Store, SyncRunCounts,
};
use carbonsync_vault::{Sensitive, Vault};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// What a sync of one connection needs: where the data lives and how to talk to the
/// platform. Built by the application for each connection (sandbox or production).
pub struct SyncContext {
    pub db_path: PathBuf,
    pub locks_dir: PathBuf,
    pub vault: Vault,
    pub oauth: OAuthClient,
    pub xero: XeroClient,
    pub calculator: Calculator,
    /// Refresh the access token when it expires within this margin.
    pub refresh_margin: Duration,
}

/// Who asked for a sync; shown in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Cli,
    Window,
    Tray,
    Schedule,
    Webhook,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Cli => "cli",
            Trigger::Window => "window",
            Trigger::Tray => "tray",
            Trigger::Schedule => "schedule",
            Trigger::Webhook => "webhook",
        }
    }
}

#[derive(Clone)]
pub struct SyncOptions {
    /// Ignore the saved cursors and fetch everything again (upserts keep it idempotent).
    pub full: bool,
    pub trigger: Trigger,
    /// When this turns true the sync stops after the page it is writing: never inside
    /// a transaction.
    pub stop: Option<watch::Receiver<bool>>,
    pub progress: Option<ProgressSink>,
}

impl SyncOptions {
    pub fn new(trigger: Trigger) -> Self {
        Self {
            full: false,
            trigger,
            stop: None,
            progress: None,
        }
    }
}

/// Receives progress after every saved page (updates the window and the tray).
pub type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Progress of a running sync, sent after every page that is saved.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Progress {
    pub connection_id: i64,
    pub run_id: i64,
    pub stream: &'static str,
    pub counts: SyncRunCounts,
}

/// The result of one sync, successful or not; the same is in the sync log.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncReport {
    pub connection_id: i64,
    pub run_id: i64,
    pub status: RunStatus,
    pub counts: SyncRunCounts,
    pub refreshed_token: bool,
}

const STREAMS: [&str; 2] = ["bank_transactions", "bills"];

/// Syncs one connection: waits for any other sync of it (in this or another process)
/// to finish, logs the run, and records the outcome on the connection.
pub async fn sync_connection(
    ctx: &SyncContext,
    connection_id: i64,
    opts: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let mut store = Store::open(&ctx.db_path)?;
    let conn = store.connection(connection_id)?;
    if conn.status == ConnectionStatus::Disconnected {
        return Err(SyncError::Disconnected(connection_id));
    }
    let _lock = ConnectionLock::acquire(&ctx.locks_dir, &format!("sync-{connection_id}"))
        .await
        .map_err(|e| SyncError::Lock(e.to_string()))?;
    // Re-read: the connection may have changed while this waited for the lock.
    let conn = store.connection(connection_id)?;
    let run_id = store.start_run(connection_id, opts.trigger.as_str(), opts.full)?;
    tracing::info!(
        connection = connection_id,
        run = run_id,
        trigger = opts.trigger.as_str(),
        full = opts.full,
        "sync started"
    );

    let counts = Arc::new(Mutex::new(SyncRunCounts::default()));
    let mut refreshed = false;
    let result = run(
        ctx,
        &mut store,
        &conn,
        run_id,
        opts,
        &counts,
        &mut refreshed,
    )
    .await;
    let final_counts = *counts.lock().expect("counts lock");

    let (status, error) = match &result {
        Ok(()) => (RunStatus::Succeeded, None),
        Err(SyncError::Stopped) => (RunStatus::Interrupted, Some(&result)),
        Err(_) => (RunStatus::Failed, Some(&result)),
    };
    let err_parts = error.and_then(|r| r.as_ref().err()).map(|e| {
        (
            e.code().to_string(),
            e.user_message(),
            // The technical detail: error chains carry no secret (tokens are only ever
            // in headers and the keychain), so this is safe to show and log.
            format!("{e:?}"),
        )
    });
    let finished_at = store.finish_run(
        run_id,
        status,
        &final_counts,
        err_parts
            .as_ref()
            .map(|(c, m, d)| (c.as_str(), m.as_str(), d.as_str())),
    )?;
    store.record_sync_outcome(
        connection_id,
        &finished_at,
        status.as_str(),
        err_parts.as_ref().map(|(_, m, _)| m.as_str()),
    )?;
    match &result {
        Err(e @ SyncError::NeedsReconnect { .. }) => {
            store.set_connection_status(
                connection_id,
                ConnectionStatus::NeedsReconnect,
                Some(&e.user_message()),
            )?;
        }
        Ok(()) if conn.status == ConnectionStatus::NeedsReconnect => {
            store.set_connection_status(connection_id, ConnectionStatus::Active, None)?;
        }
        _ => {}
    }
    match result {
        Ok(()) => {
            tracing::info!(
                connection = connection_id,
                run = run_id,
                fetched = final_counts.fetched,
                created = final_counts.created,
                updated = final_counts.updated,
                deleted = final_counts.deleted,
                "sync finished"
            );
            Ok(SyncReport {
                connection_id,
                run_id,
                status,
                counts: final_counts,
                refreshed_token: refreshed,
            })
        }
        Err(e) => {
            tracing::warn!(
                connection = connection_id,
                run = run_id,
                code = e.code(),
                "sync failed: {e}"
            );
            Err(e)
        }
    }
}

/// Calls the platform with the current token; when the platform rejects the token,
/// gets a new one once and tries again. A second rejection means the grant is gone.
async fn authorized<T, F, Fut>(
    keeper: &TokenKeeper<'_>,
    conn: &Connection,
    token: &mut Sensitive<String>,
    refreshed: &mut bool,
    mut call: F,
) -> Result<Fetched<T>, SyncError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Fetched<T>, ProviderError>>,
{
    match call(token.expose().clone()).await {
        Err(e) if e.is_auth() => {
            let fresh = keeper.access_token(conn, Some(token)).await?;
            *refreshed |= fresh.refreshed;
            *token = fresh.access_token;
            match call(token.expose().clone()).await {
                Err(e) if e.is_auth() => Err(SyncError::NeedsReconnect {
                    provider: conn.provider.clone(),
                    tenant: conn.tenant_name.clone(),
                    detail: e.to_string(),
                }),
                other => Ok(other?),
            }
        }
        other => Ok(other?),
    }
}

fn ms_to_time(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

fn stopped(opts: &SyncOptions) -> bool {
    opts.stop.as_ref().is_some_and(|s| *s.borrow())
}

/// A page on its way to the writer.
struct Job {
    stream: &'static str,
    records: Vec<RecordInput>,
    cursor: i64,
}

// `&mut Store` rather than `&Store`: a shared reference to a SQLite connection is not
// `Send`, and the sync must be able to run on any runtime thread.
async fn run(
    ctx: &SyncContext,
    store: &mut Store,
    conn: &Connection,
    run_id: i64,
    opts: &SyncOptions,
    counts: &Arc<Mutex<SyncRunCounts>>,
    refreshed: &mut bool,
) -> Result<(), SyncError> {
    let keeper = TokenKeeper {
        vault: &ctx.vault,
        oauth: &ctx.oauth,
        locks_dir: ctx.locks_dir.clone(),
        margin: ctx.refresh_margin,
    };
    let fresh = keeper.access_token(conn, None).await?;
    *refreshed |= fresh.refreshed;
    let mut token = fresh.access_token;
    let tenant = conn.tenant_id.as_str();
    let xero = &ctx.xero;

    // 1. The chart of accounts: small, one call, needed to name the lines below.
    {
        let since = if opts.full {
            None
        } else {
            store.cursor(conn.id, "accounts")?
        };
        let fetched = authorized(&keeper, conn, &mut token, refreshed, |t| async move {
            xero.accounts(&t, tenant, since.and_then(ms_to_time)).await
        })
        .await?;
        let rows: Vec<AccountRow> = fetched
            .items
            .iter()
            .map(|a| AccountRow {
                account_id: a.account_id.clone(),
                code: a.code.clone(),
                name: a.name.clone(),
                account_type: a.account_type.clone(),
                class: a.class.clone(),
                status: a.status.clone(),
                tax_type: a.tax_type.clone(),
                updated_ms: a.updated.timestamp_millis(),
            })
            .collect();
        let cursor = rows.iter().map(|a| a.updated_ms).max().or(since);
        let mut writer = Store::open(&ctx.db_path)?;
        let (created, updated) = writer.write_accounts(conn.id, &rows, cursor)?;
        let mut c = counts.lock().expect("counts lock");
        c.calls += i64::from(fetched.calls);
        c.rate_limited += i64::from(fetched.rate_limited);
        c.pages += 1;
        c.fetched += rows.len() as i64;
        c.created += created;
        c.updated += updated;
        c.skipped += rows.len() as i64 - created - updated;
        store.update_run_counts(run_id, &c)?;
    }
    let accounts: AccountNames = store
        .accounts(conn.id)?
        .into_iter()
        .filter_map(|a| a.code.map(|code| (code, a.name)))
        .collect();

    // 2. Bank transactions and bills, page by page. Fetching and mapping run here;
    //    writing runs on its own thread, so the next page is on its way while the
    //    previous one commits. The channel is short so memory stays flat.
    let (tx, rx) = mpsc::channel::<Job>(2);
    let writer = spawn_writer(
        ctx,
        conn.id,
        run_id,
        rx,
        counts.clone(),
        opts.progress.clone(),
    );
    let fetch_result = fetch_streams(
        ctx, store, conn, opts, &keeper, &mut token, refreshed, &accounts, counts, tx,
    )
    .await;
    let write_result = writer
        .await
        .map_err(|e| SyncError::Lock(format!("writer stopped: {e}")))?;
    // A write failure (full disk) is the root cause when both failed.
    write_result?;
    fetch_result
}

#[allow(clippy::too_many_arguments)]
async fn fetch_streams(
    ctx: &SyncContext,
    store: &mut Store,
    conn: &Connection,
    opts: &SyncOptions,
    keeper: &TokenKeeper<'_>,
    token: &mut Sensitive<String>,
    refreshed: &mut bool,
    accounts: &AccountNames,
    counts: &Arc<Mutex<SyncRunCounts>>,
    tx: mpsc::Sender<Job>,
) -> Result<(), SyncError> {
    let xero = &ctx.xero;
    let tenant = conn.tenant_id.as_str();
    let page_size = xero.page_size() as usize;
    for stream in STREAMS {
        // Keyset paging: every request asks for changes after the newest one already
        // received, always page 1. Unlike page numbers, this cannot skip a record when
        // the platform's ordering shifts because something changed mid-sync, and it is
        // exactly how an interrupted sync resumes.
        let mut since = if opts.full {
            None
        } else {
            store.cursor(conn.id, stream)?
        };
        loop {
            if stopped(opts) {
                return Err(SyncError::Stopped);
            }
            let after = since.and_then(ms_to_time);
            let (records, calls, limited): (Vec<RecordInput>, u32, u32) = if stream == "bills" {
                let f = authorized(keeper, conn, token, refreshed, |t| async move {
                    xero.bills(&t, tenant, after, 1).await
                })
                .await?;
                let rows = f
                    .items
                    .iter()
                    .map(|i| records::bill(&ctx.calculator, accounts, i))
                    .collect();
                (rows, f.calls, f.rate_limited)
            } else {
                let f = authorized(keeper, conn, token, refreshed, |t| async move {
                    xero.bank_transactions(&t, tenant, after, 1).await
                })
                .await?;
                let rows = f
                    .items
                    .iter()
                    .map(|b| records::bank_transaction(&ctx.calculator, accounts, b))
                    .collect();
                (rows, f.calls, f.rate_limited)
            };
            let n = records.len();
            {
                let mut c = counts.lock().expect("counts lock");
                c.calls += i64::from(calls);
                c.rate_limited += i64::from(limited);
                if n > 0 {
                    c.pages += 1;
                    c.fetched += n as i64;
                }
            }
            let Some(newest) = records.iter().map(|r| r.updated_ms).max() else {
                break;
            };
            since = Some(newest);
            if tx
                .send(Job {
                    stream,
                    records,
                    cursor: newest,
                })
                .await
                .is_err()
            {
                // The writer stopped; its error is reported by the caller.
                return Ok(());
            }
            if n < page_size {
                break;
            }
        }
    }
    Ok(())
}

fn spawn_writer(
    ctx: &SyncContext,
    connection_id: i64,
    run_id: i64,
    mut rx: mpsc::Receiver<Job>,
    counts: Arc<Mutex<SyncRunCounts>>,
    progress: Option<ProgressSink>,
) -> tokio::task::JoinHandle<Result<(), SyncError>> {
    let db_path = ctx.db_path.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&db_path)?;
        while let Some(job) = rx.blocking_recv() {
            let out =
                store.write_page(connection_id, job.stream, &job.records, Some(job.cursor))?;
            let snapshot = {
                let mut c = counts.lock().expect("counts lock");
                c.created += out.created;
                c.updated += out.updated;
                c.deleted += out.deleted;
                c.skipped += out.unchanged;
                c.emissions_added += out.entries_counted;
                c.kg_co2e_delta += out.kg_delta;
                *c
            };
            // The log follows the pages, so a crash still leaves a true account.
            store.update_run_counts(run_id, &snapshot)?;
            if let Some(p) = &progress {
                p(&Progress {
                    connection_id,
                    run_id,
                    stream: job.stream,
                    counts: snapshot,
                });
            }
        }
        Ok(())
    })
}
