use crate::locks::ConnectionLock;
use crate::records::{self, AccountIndex, AccountInfo};
use crate::tokens::TokenKeeper;
use crate::walk::{header_for, AfterPass, Walk};
use crate::SyncError;
use carbonsync_emissions::Calculator;
use carbonsync_oauth::OAuthClient;
use carbonsync_providers::{
    CallMeter, ChangeFeed, Connector, DocumentPage, ProviderError, SpendDocument, StreamSpec,
    Unreadable,
};
use carbonsync_store::{
    AccountRow, Connection, ConnectionStatus, PageInput, RecordInput, RevisionWatch, RunStatus,
    SetAsideInput, Store, StreamPosition, SyncRunCounts,
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
    /// The platform's connector: the engine reads every platform through it alike.
    pub connector: Arc<dyn Connector>,
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
    /// A "Retry sync" button clicked in a chat message (Slack).
    Chat,
    /// Not a sync: CarbonSync's numbers sent to the platform (Salesforce), logged alike.
    Export,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Cli => "cli",
            Trigger::Window => "window",
            Trigger::Tray => "tray",
            Trigger::Schedule => "schedule",
            Trigger::Webhook => "webhook",
            Trigger::Chat => "chat",
            Trigger::Export => "export",
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

/// Syncs one connection: waits for any other sync of it (in this or another process)
/// to finish, logs the run, and records the outcome on the connection.
pub async fn sync_connection(
    ctx: &SyncContext,
    connection_id: i64,
    opts: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let Begun {
        mut store,
        conn,
        run_id,
        _lock,
    } = begin(&ctx.db_path, &ctx.locks_dir, connection_id, opts).await?;
    let counts = Arc::new(Mutex::new(SyncRunCounts::default()));
    let meter = Arc::new(CallMeter::default());
    let mut refreshed = false;
    let result = run(
        ctx,
        &mut store,
        &conn,
        run_id,
        opts,
        &Tally {
            counts: counts.clone(),
            meter: meter.clone(),
        },
        &mut refreshed,
    )
    .await;
    conclude(
        &mut store, &conn, run_id, result, &counts, &meter, refreshed,
    )
}

/// A run that has started: its connection (read again under the lock), its lock, its id.
pub(crate) struct Begun {
    pub store: Store,
    pub conn: Connection,
    pub run_id: i64,
    pub _lock: ConnectionLock,
}

/// Waits for any other sync of the connection (in this or another process) to finish, then
/// logs the start of a run. Shared by every kind of connection.
pub(crate) async fn begin(
    db_path: &std::path::Path,
    locks_dir: &std::path::Path,
    connection_id: i64,
    opts: &SyncOptions,
) -> Result<Begun, SyncError> {
    let store = Store::open(db_path)?;
    let conn = store.connection(connection_id)?;
    if conn.status == ConnectionStatus::Disconnected {
        return Err(SyncError::Disconnected(connection_id));
    }
    let lock = ConnectionLock::acquire(locks_dir, &format!("sync-{connection_id}"))
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
    Ok(Begun {
        store,
        conn,
        run_id,
        _lock: lock,
    })
}

/// Closes run `run_id` of `conn` with `result`: its counters (and the calls made, failed runs
/// included), its error in words, the connection's outcome and state (a refused grant means
/// "needs reconnect"; a success after that clears it). Shared by every kind of connection.
pub(crate) fn conclude(
    store: &mut Store,
    conn: &Connection,
    run_id: i64,
    result: Result<(), SyncError>,
    counts: &Mutex<SyncRunCounts>,
    meter: &CallMeter,
    refreshed: bool,
) -> Result<SyncReport, SyncError> {
    let connection_id = conn.id;
    // Calls are counted as they are made, so a failed run's log shows them too.
    let final_counts = {
        let mut c = counts.lock().expect("counts lock");
        c.calls = i64::from(meter.calls());
        c.rate_limited = i64::from(meter.rate_limited());
        *c
    };

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
        Err(e @ (SyncError::NeedsReconnect { .. } | SyncError::SignInMissing { .. })) => {
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
pub(crate) async fn authorized<T, F, Fut>(
    keeper: &TokenKeeper<'_>,
    conn: &Connection,
    token: &mut Sensitive<String>,
    refreshed: &mut bool,
    mut call: F,
) -> Result<T, SyncError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    match call(token.expose().clone()).await {
        Err(e) if e.is_auth() => {
            let fresh = keeper.access_token(conn, Some(token)).await?;
            *refreshed |= fresh.refreshed;
            *token = fresh.access_token;
            match call(token.expose().clone()).await {
                Err(e) if e.is_auth() => Err(SyncError::NeedsReconnect {
                    provider: crate::platform_name(&conn.provider),
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

pub(crate) fn stopped(opts: &SyncOptions) -> bool {
    opts.stop.as_ref().is_some_and(|s| *s.borrow())
}

/// The run's counters, shared by the fetching task and the writing thread.
#[derive(Clone)]
struct Tally {
    counts: Arc<Mutex<SyncRunCounts>>,
    meter: Arc<CallMeter>,
}

impl Tally {
    /// Applies `f` to the counts and returns a copy with the calls made so far.
    fn update(&self, f: impl FnOnce(&mut SyncRunCounts)) -> SyncRunCounts {
        let mut c = self.counts.lock().expect("counts lock");
        f(&mut c);
        c.calls = i64::from(self.meter.calls());
        c.rate_limited = i64::from(self.meter.rate_limited());
        *c
    }
}

/// A page on its way to the writer.
struct Job {
    stream: &'static str,
    records: Vec<RecordInput>,
    set_aside: Vec<SetAsideInput>,
    /// Where the stream stood before this sync.
    since: Option<i64>,
    /// The walk after this page was read (its next page already counted).
    walk: Walk,
    /// This was the last page of a pass: the writer decides what follows and says so here.
    end_of_pass: Option<tokio::sync::oneshot::Sender<AfterPass>>,
}

pub(crate) fn set_aside_rows(unreadable: Vec<Unreadable>) -> Vec<SetAsideInput> {
    unreadable
        .into_iter()
        .map(|u| {
            tracing::warn!(record = u.record_id.as_deref().unwrap_or("(no id)"), reason = %u.reason, "record set aside");
            SetAsideInput {
                record_id: u.record_id,
                reason: u.reason,
                raw: u.raw,
            }
        })
        .collect()
}

// `&mut Store` rather than `&Store`: a shared reference to a SQLite connection is not
// `Send`, and the sync must be able to run on any runtime thread.
async fn run(
    ctx: &SyncContext,
    store: &mut Store,
    conn: &Connection,
    run_id: i64,
    opts: &SyncOptions,
    tally: &Tally,
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
    let connector = &*ctx.connector;
    let meter = &*tally.meter;

    // 1. The chart of accounts: small, one call, needed to name the lines below. Read from a
    //    little before the saved position, for the same reason as the record streams.
    {
        let since = if opts.full {
            None
        } else {
            store.cursor(conn.id, "accounts")?
        };
        let header = since.map(header_for).and_then(ms_to_time);
        let page = authorized(&keeper, conn, &mut token, refreshed, |t| async move {
            connector.accounts(&t, tenant, header, meter).await
        })
        .await?;
        let rows: Vec<AccountRow> = page
            .items
            .iter()
            .map(|a| AccountRow {
                account_id: a.account_id.clone(),
                line_ref: a.line_ref.clone(),
                mapping_key: a.mapping_key.clone(),
                code: a.code.clone(),
                name: a.name.clone(),
                account_type: a.account_type.clone(),
                class: a.class.clone(),
                status: a.status.clone(),
                tax_type: a.tax_type.clone(),
                updated_ms: a.updated.map(|u| u.timestamp_millis()),
            })
            .collect();
        let newest = rows
            .iter()
            .filter_map(|a| a.updated_ms)
            .chain(
                page.unreadable
                    .iter()
                    .filter_map(|u| u.updated.map(|t| t.timestamp_millis())),
            )
            .max();
        let cursor = match (since, newest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        // Accounts read again from the margin before the position are not news.
        let news = rows
            .iter()
            .filter(|a| match (a.updated_ms, since) {
                (Some(u), Some(s)) => u > s,
                _ => true,
            })
            .count() as i64;
        let set_aside = set_aside_rows(page.unreadable);
        let mut writer = Store::open(&ctx.db_path)?;
        let (created, updated) = writer.write_accounts(conn.id, &rows, cursor)?;
        writer.keep_set_aside(conn.id, run_id, "accounts", &set_aside)?;
        let snapshot = tally.update(|c| {
            c.pages += 1;
            c.fetched += news + set_aside.len() as i64;
            c.created += created;
            c.updated += updated;
            c.skipped += news - created - updated + set_aside.len() as i64;
            c.set_aside += set_aside.len() as i64;
        });
        store.update_run_counts(run_id, &snapshot)?;
    }
    let accounts: AccountIndex = store
        .accounts(conn.id)?
        .into_iter()
        .filter_map(|a| {
            let line_ref = a.line_ref?;
            Some((
                line_ref,
                AccountInfo {
                    code: a.code,
                    name: a.name,
                    mapping_key: a.mapping_key,
                },
            ))
        })
        .collect();

    // 2. The record streams, page by page. Fetching and mapping run here; writing runs on its
    //    own thread, so the next page is on its way while the previous one commits. The
    //    channel is short so memory stays flat.
    let (tx, rx) = mpsc::channel::<Job>(2);
    let writer = spawn_writer(
        ctx,
        conn.id,
        run_id,
        rx,
        tally.clone(),
        opts.progress.clone(),
    );
    let review_stamp = store.review_stamp()?;
    let fetch_result = fetch_streams(
        ctx, store, conn, run_id, opts, &keeper, &mut token, refreshed, &accounts, tally, tx,
    )
    .await;
    let write_result = writer
        .await
        .map_err(|e| SyncError::Lock(format!("writer stopped: {e}")))?;
    // A write failure (full disk) is the root cause when both failed.
    write_result?;
    // The pages were decided with the review as it stood when the sync began; a person who
    // decided entries or changed rules meanwhile gets those applied now.
    if store.review_stamp()? != review_stamp {
        crate::records::reassess_entries(
            store,
            &ctx.calculator,
            &carbonsync_store::Reassess::Connection(conn.id),
        )?;
    }
    fetch_result
}

/// One page of a stream, mapped to rows.
struct Mapped {
    records: Vec<RecordInput>,
    unreadable: Vec<Unreadable>,
    page_len: usize,
    last: bool,
    server_time: Option<DateTime<Utc>>,
    resync: Option<String>,
}

fn map_page(
    page: DocumentPage<SpendDocument>,
    map: impl Fn(&SpendDocument) -> RecordInput,
) -> Mapped {
    Mapped {
        page_len: page.len(),
        last: page.last,
        server_time: page.server_time,
        resync: page.resync,
        records: page.items.iter().map(map).collect(),
        unreadable: page.unreadable,
    }
}

/// A new walk through `spec`'s stream from `since` (`None`: read it whole), shaped by how the
/// platform reports deletions.
fn new_walk(feed: ChangeFeed, since: Option<i64>) -> Walk {
    let mut walk = Walk::start(since);
    if let ChangeFeed::Window { .. } = feed {
        walk.follows_clock = true;
        if since.is_none() {
            walk.sweep = Some(Utc::now().timestamp_millis());
        }
    }
    walk
}

/// Why a stream of a platform whose deletions are reported for `reach` only is read whole,
/// when its position is older than that.
fn stale_note(
    platform: &str,
    spec: &StreamSpec,
    since_ms: i64,
    reach: Duration,
    now: DateTime<Utc>,
) -> Option<String> {
    let since = ms_to_time(since_ms)?;
    if since > now - reach {
        return None;
    }
    let name = crate::platform_name(platform);
    // The reach is kept a little short of the platform's own; say the platform's figure.
    let days = (reach.num_hours() + 23) / 24;
    Some(format!(
        "{} were read whole: they were last complete {} days ago, and {name} reports deletions for {days} days only; records it no longer lists are marked deleted.",
        spec.label,
        (now - since).num_days()
    ))
}

#[allow(clippy::too_many_arguments)]
async fn fetch_streams(
    ctx: &SyncContext,
    store: &mut Store,
    conn: &Connection,
    run_id: i64,
    opts: &SyncOptions,
    keeper: &TokenKeeper<'_>,
    token: &mut Sensitive<String>,
    refreshed: &mut bool,
    accounts: &AccountIndex,
    tally: &Tally,
    tx: mpsc::Sender<Job>,
) -> Result<(), SyncError> {
    let connector = &*ctx.connector;
    let feed = connector.change_feed();
    let platform = connector.platform();
    let tenant = conn.tenant_id.as_str();
    let base = conn.base_currency.as_deref().unwrap_or("");
    let calc = &ctx.calculator;
    // People's decisions and rules as they stand when the sync starts: one made during the
    // sync is applied by its own recomputation, which waits for this sync's writes.
    let review = &crate::review::Review::load(store, Some(conn.id))?;
    let meter = &*tally.meter;
    for spec in connector.streams() {
        let stream = spec.name;
        let position = store.position(conn.id, stream)?;
        let mut full = opts.full;
        if let (ChangeFeed::Window { reach }, Some(since), false) =
            (feed, position.modified_since, full)
        {
            if let Some(note) = stale_note(platform, spec, since, reach, Utc::now()) {
                tracing::info!(stream, "{note}");
                store.add_run_note(run_id, &note)?;
                full = true;
            }
        }
        let mut since = if full { None } else { position.modified_since };
        // Resume an unfinished walk (a full sync resumes only a walk that reads everything).
        let mut walk = position
            .walk
            .as_deref()
            .and_then(Walk::from_json)
            .filter(|w| !full || (w.header_ms.is_none() && w.pass == 0))
            .unwrap_or_else(|| new_walk(feed, since));
        loop {
            if stopped(opts) {
                return Err(SyncError::Stopped);
            }
            let header = walk.header_ms.and_then(ms_to_time);
            let asked = walk.page;
            let page = authorized(keeper, conn, token, refreshed, |t| async move {
                connector
                    .documents(&t, tenant, stream, header, asked, meter)
                    .await
            })
            .await?;
            let origin = records::Origin {
                calc,
                review,
                accounts,
                base_currency: base,
                platform,
                connection_id: conn.id,
                stream,
            };
            let mapped = map_page(page, |d| records::document(&origin, d));
            if let Some(reason) = mapped.resync.as_deref().filter(|_| walk.sweep.is_none()) {
                // The platform cannot say everything that changed: read the stream whole, and
                // what it no longer lists is gone.
                let note = format!("{} were read whole: {reason}.", spec.label);
                tracing::info!(stream, "{note}");
                store.add_run_note(run_id, &note)?;
                since = None;
                walk = new_walk(feed, None);
                continue;
            }
            if walk.began_ms.is_none() {
                let now = mapped.server_time.unwrap_or_else(Utc::now);
                walk.began_ms = Some(now.timestamp_millis());
            }
            walk.saw(
                mapped
                    .records
                    .iter()
                    .map(|r| r.updated_ms)
                    .chain(
                        mapped
                            .unreadable
                            .iter()
                            .filter_map(|u| u.updated.map(|t| t.timestamp_millis())),
                    )
                    .max(),
            );
            tally.update(|c| {
                if mapped.page_len > 0 {
                    c.pages += 1;
                    c.fetched += mapped.page_len as i64;
                }
            });
            walk.page += 1;
            let (reply, answer) = if mapped.last {
                let (s, r) = tokio::sync::oneshot::channel();
                (Some(s), Some(r))
            } else {
                (None, None)
            };
            let job = Job {
                stream,
                records: mapped.records,
                set_aside: set_aside_rows(mapped.unreadable),
                since,
                walk,
                end_of_pass: reply,
            };
            if tx.send(job).await.is_err() {
                // The writer stopped; its error is reported by the caller.
                return Ok(());
            }
            let Some(answer) = answer else { continue };
            match answer.await {
                Ok(AfterPass::Again(next)) => {
                    tracing::info!(
                        stream,
                        pass = next.pass + 1,
                        "records changed during the sync; reading again from before the first"
                    );
                    walk = next;
                }
                Ok(AfterPass::Done { .. }) => break,
                // The writer stopped; its error is reported by the caller.
                Err(_) => return Ok(()),
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
    tally: Tally,
    progress: Option<ProgressSink>,
) -> tokio::task::JoinHandle<Result<(), SyncError>> {
    let db_path = ctx.db_path.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&db_path)?;
        // Revisions met so far in the current pass of the current stream: the fetching side
        // learns of them only at the end of the pass, so the writer keeps them.
        let mut pass_rewind: Option<(&'static str, u32, Option<i64>)> = None;
        while let Some(job) = rx.blocking_recv() {
            let Job {
                stream,
                records,
                set_aside,
                since,
                walk,
                end_of_pass,
            } = job;
            // The position saved with the page depends on what the page revealed (revisions),
            // so the walk is settled inside the page's own transaction.
            let settled = std::cell::Cell::new(None);
            let earlier = match pass_rewind {
                Some((s, pass, rewind)) if s == stream && pass == walk.pass => rewind,
                _ => walk.rewind_ms,
            };
            let seen = std::cell::Cell::new(earlier);
            let position = |out: &carbonsync_store::PageOutcome| {
                let mut walk = walk;
                walk.rewind_ms = earlier;
                walk.revised(out.rewind_to);
                seen.set(walk.rewind_ms);
                if end_of_pass.is_none() {
                    return StreamPosition {
                        modified_since: since,
                        walk: Some(walk.to_json()),
                    };
                }
                let after = walk.end_of_pass(since);
                settled.set(Some(after));
                match after {
                    AfterPass::Again(next) => StreamPosition {
                        modified_since: since,
                        walk: Some(next.to_json()),
                    },
                    AfterPass::Done { modified_since } => StreamPosition {
                        modified_since,
                        walk: None,
                    },
                }
            };
            let out = store.write_page(&PageInput {
                connection_id,
                run_id,
                stream,
                records: &records,
                set_aside: &set_aside,
                position: &position,
                overlap_until_ms: since,
                watch: Some(RevisionWatch {
                    from_ms: walk.header_ms,
                    changed_after_ms: walk.edited_after_ms(),
                }),
                sweep_mark: walk.sweep,
            })?;
            pass_rewind = Some((stream, walk.pass, seen.get()));
            let snapshot = tally.update(|c| {
                c.fetched -= out.overlap;
                c.created += out.created;
                c.updated += out.updated;
                c.deleted += out.deleted;
                c.skipped += out.unchanged - out.overlap + out.set_aside;
                c.set_aside += out.set_aside;
                c.emissions_added += out.entries_counted;
                c.kg_co2e_delta += out.kg_delta;
            });
            // The log follows the pages, so a crash still leaves a true account.
            store.update_run_counts(run_id, &snapshot)?;
            if let Some(p) = &progress {
                p(&Progress {
                    connection_id,
                    run_id,
                    stream,
                    counts: snapshot,
                });
            }
            if let (Some(reply), Some(after)) = (end_of_pass, settled.get()) {
                let _ = reply.send(after);
            }
        }
        Ok(())
    })
}
