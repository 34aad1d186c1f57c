//! Syncing an inventory platform's connection (Salesforce Net Zero Cloud): its footprint
//! records, object by object, into the reported ledger.
//!
//! Per object, a run reads the records changed after the saved position (modification
//! stamp, then record id, so records sharing a stamp are neither skipped nor read twice),
//! page by page, each page written together with the new position; then the platform's
//! deletion log since the last run, whose records' rows are withdrawn. A run after a gap
//! longer than the deletion log reaches, or a full run, reads every record and withdraws
//! the rows of records no longer there. Every change to a number is kept in the trail.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use carbonsync_oauth::OAuthClient;
use carbonsync_providers::{CallMeter, InventoryConnector, Position};
use carbonsync_store::{
    Connection, FootprintInput, ReportedInput, Store, StreamPosition, SyncRunCounts,
};
use carbonsync_vault::Vault;
use chrono::{DateTime, Duration, Utc};

use crate::cloud::to_input;
use crate::engine::{authorized, begin, conclude, set_aside_rows, stopped, Begun};
use crate::{Progress, SyncError, SyncOptions, SyncReport, TokenKeeper};

/// What a sync of an inventory connection needs.
pub struct InventorySyncContext {
    pub db_path: PathBuf,
    pub locks_dir: PathBuf,
    pub vault: Vault,
    pub oauth: OAuthClient,
    pub connector: Arc<dyn InventoryConnector>,
    /// Refresh the access token when it expires within this margin.
    pub refresh_margin: Duration,
}

impl InventorySyncContext {
    /// The token keeper of this context's connection.
    fn keeper(&self) -> TokenKeeper<'_> {
        TokenKeeper {
            vault: &self.vault,
            oauth: &self.oauth,
            locks_dir: self.locks_dir.clone(),
            margin: self.refresh_margin,
        }
    }
}

/// The stream (cursor) name of an object's deletion log.
fn deletions_stream(object: &str) -> String {
    format!("{object}:deleted")
}

/// Syncs inventory connection `connection_id`; the same log, locks and outcomes as every
/// other kind of connection.
pub async fn sync_inventory_connection(
    ctx: &InventorySyncContext,
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
    let mut refreshed = false;
    let result = run(
        ctx,
        &mut store,
        &conn,
        run_id,
        opts,
        &counts,
        &meter,
        &mut refreshed,
    )
    .await;
    conclude(
        &mut store, &conn, run_id, result, &counts, &meter, refreshed,
    )
}

/// Counts so far, with the calls made, written to the run and shown as progress.
fn report(
    store: &Store,
    conn: &Connection,
    run_id: i64,
    opts: &SyncOptions,
    counts: &Mutex<SyncRunCounts>,
    meter: &CallMeter,
    object: &'static str,
) -> Result<(), SyncError> {
    let snapshot = {
        let mut c = counts.lock().expect("counts lock");
        c.calls = i64::from(meter.calls());
        c.rate_limited = i64::from(meter.rate_limited());
        *c
    };
    store.update_run_counts(run_id, &snapshot)?;
    if let Some(progress) = &opts.progress {
        progress(&Progress {
            connection_id: conn.id,
            run_id,
            stream: object,
            counts: snapshot,
        });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn run(
    ctx: &InventorySyncContext,
    store: &mut Store,
    conn: &Connection,
    run_id: i64,
    opts: &SyncOptions,
    counts: &Mutex<SyncRunCounts>,
    meter: &CallMeter,
    refreshed: &mut bool,
) -> Result<(), SyncError> {
    let keeper = ctx.keeper();
    let fresh = keeper.access_token(conn, None).await?;
    *refreshed |= fresh.refreshed;
    let mut token = fresh.access_token;
    let extras = keeper.extras(conn)?;
    let connector = &*ctx.connector;
    let started = Utc::now();
    let name = crate::platform_name(&conn.provider);

    // A gap longer than the deletion log reaches means deletions may have been missed:
    // read everything, and withdraw what is no longer there.
    let reach = Duration::days(connector.deletion_reach_days());
    let mut whole = opts.full;
    if !whole {
        for object in connector.objects() {
            let checked = store.cursor(conn.id, &deletions_stream(object))?;
            let since = checked.and_then(DateTime::<Utc>::from_timestamp_millis);
            if since.is_none_or(|t| started - t >= reach) {
                whole = true;
                if since.is_some() {
                    store.add_run_note(
                        run_id,
                        &format!(
                            "{name} keeps deleted records for {} days and the last sync was longer ago, so every footprint was read again.",
                            reach.num_days()
                        ),
                    )?;
                }
                break;
            }
        }
    }

    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut last_usage = None;
    for &object in connector.objects() {
        let saved = store.position(conn.id, object)?;
        let mut after = match (&saved, whole) {
            (_, true) => None,
            (
                StreamPosition {
                    modified_since: Some(ms),
                    walk: Some(id),
                },
                false,
            ) => Some(Position {
                modified_ms: *ms,
                id: id.clone(),
            }),
            _ => None,
        };
        let mut next: Option<String> = None;
        loop {
            if stopped(opts) {
                return Err(SyncError::Stopped);
            }
            let page = authorized(&keeper, conn, &mut token, refreshed, |t| {
                let extras = &extras;
                let after = after.clone();
                let next = next.clone();
                async move {
                    connector
                        .changed(&t, extras, object, after.as_ref(), next.as_deref(), meter)
                        .await
                }
            })
            .await?;
            last_usage = page.usage.clone().or(last_usage);
            // Pages come oldest change first, so a page's newest record is the walk's.
            let newest = page
                .records
                .iter()
                .map(|r| r.position.clone())
                .chain(page.unreadable.iter().filter_map(|u| {
                    Some(Position {
                        modified_ms: u.updated?.timestamp_millis(),
                        id: u.record_id.clone()?,
                    })
                }))
                .max();
            let inputs: Vec<FootprintInput> = page
                .records
                .iter()
                .map(|r| FootprintInput {
                    record_id: r.id.clone(),
                    rows: r
                        .rows
                        .iter()
                        .map(|row| ReportedInput {
                            period_end: r.period_end.map(|d| d.format("%Y-%m-%d").to_string()),
                            source_url: Some(r.link.clone()),
                            ..to_input(row, connector.method())
                        })
                        .collect(),
                })
                .collect();
            seen.extend(page.records.iter().map(|r| r.id.clone()));
            seen.extend(page.unreadable.iter().filter_map(|u| u.record_id.clone()));
            let position = match newest.clone().or(after.clone()) {
                Some(p) => StreamPosition {
                    modified_since: Some(p.modified_ms),
                    walk: Some(p.id),
                },
                None => saved.clone(),
            };
            let set_aside = set_aside_rows(page.unreadable);
            let written = store.write_footprints(conn.id, run_id, &inputs, object, &position)?;
            store.keep_set_aside(conn.id, run_id, object, &set_aside)?;
            {
                let mut c = counts.lock().expect("counts lock");
                c.pages += 1;
                c.fetched += (inputs.len() + set_aside.len()) as i64;
                c.created += written.created;
                c.updated += written.restated;
                c.deleted += written.withdrawn;
                c.skipped += written.unchanged;
                c.set_aside += set_aside.len() as i64;
                c.kg_co2e_delta += rust_decimal::Decimal::new(written.co2e_mg_delta, 6);
            }
            report(store, conn, run_id, opts, counts, meter, object)?;
            match page.next {
                Some(link) => next = Some(link),
                // The walk stopped at its own bound: a new one starts after the position
                // just saved.
                None if page.restart && newest.is_some() => {
                    after = newest;
                    next = None;
                }
                None => break,
            }
        }

        // Deletions since the last look, within what the log keeps.
        let stream = deletions_stream(object);
        let from = store
            .cursor(conn.id, &stream)?
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .unwrap_or(started);
        // The deletion log is read in ranges of at least a minute (Salesforce refuses a
        // shorter one); a range that short waits for the next run.
        if !whole && started - from >= Duration::minutes(1) {
            let deletions = authorized(&keeper, conn, &mut token, refreshed, |t| {
                let extras = &extras;
                async move {
                    connector
                        .deleted(&t, extras, object, from, started, meter)
                        .await
                }
            })
            .await?;
            let covered = deletions.covered_until.unwrap_or(started).min(started);
            let (withdrawn, mg) = store.withdraw_footprints(
                conn.id,
                run_id,
                &deletions.ids,
                Some((
                    &stream,
                    &StreamPosition {
                        modified_since: Some(covered.timestamp_millis()),
                        walk: None,
                    },
                )),
            )?;
            {
                let mut c = counts.lock().expect("counts lock");
                c.deleted += withdrawn;
                c.kg_co2e_delta -= rust_decimal::Decimal::new(mg, 6);
            }
            report(store, conn, run_id, opts, counts, meter, object)?;
        }
    }

    if whole {
        // Read whole: records kept here but no longer listed were deleted at the platform.
        let gone: Vec<String> = store
            .footprint_record_ids(conn.id)?
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        let (withdrawn, mg) = store.withdraw_footprints(conn.id, run_id, &gone, None)?;
        {
            let mut c = counts.lock().expect("counts lock");
            c.deleted += withdrawn;
            c.kg_co2e_delta -= rust_decimal::Decimal::new(mg, 6);
        }
        if withdrawn > 0 {
            store.add_run_note(
                run_id,
                &format!(
                    "{} footprint records are no longer in {name}; their {withdrawn} rows were withdrawn and kept in the trail.",
                    gone.len()
                ),
            )?;
        }
        // The deletion logs are read from this run's start on.
        for object in connector.objects() {
            let position = StreamPosition {
                modified_since: Some(started.timestamp_millis()),
                walk: None,
            };
            store.withdraw_footprints(
                conn.id,
                run_id,
                &[],
                Some((&deletions_stream(object), &position)),
            )?;
        }
    }
    let overlaps = store
        .reported_overlaps(&[conn.provider.as_str()])?
        .into_iter()
        .filter(|o| o.connection_id == conn.id)
        .count();
    if overlaps > 0 {
        store.add_run_note(
            run_id,
            &format!(
                "{overlaps} months, scopes and categories that {name} reports are also estimated by CarbonSync from spend; they are shown side by side and never added together (`carbonsync cloud`)."
            ),
        )?;
    }
    if let Some(usage) = last_usage
        .as_deref()
        .and_then(carbonsync_providers::salesforce::ApiUsage::parse)
    {
        store.add_run_note(
            run_id,
            &format!(
                "{name} API requests in the last 24 hours: {} of the org's {}.",
                usage.used, usage.max
            ),
        )?;
    }
    Ok(())
}

/// Sends months of CarbonSync's spend-based Scope 3 to inventory connection
/// `connection_id` (Salesforce: `Scope3PcmtSummary`, one record per month under its key),
/// logged in the connection's history like a sync (trigger "export"), with a note for each
/// month saying what was sent and whether the platform's record was created or updated.
pub async fn export_to_inventory(
    ctx: &InventorySyncContext,
    connection_id: i64,
    exports: &[carbonsync_providers::ScopeThreeExport],
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
    let mut refreshed = false;
    let mut done = 0usize;
    let result = async {
        let keeper = ctx.keeper();
        let fresh = keeper.access_token(&conn, None).await?;
        refreshed |= fresh.refreshed;
        let mut token = fresh.access_token;
        let extras = keeper.extras(&conn)?;
        let connector = &*ctx.connector;
        let name = crate::platform_name(&conn.provider);
        for export in exports {
            if stopped(opts) {
                return Err(SyncError::Stopped);
            }
            let created = authorized(&keeper, &conn, &mut token, &mut refreshed, |t| {
                let extras = &extras;
                let meter = &meter;
                async move { connector.export(&t, extras, export, meter).await }
            })
            .await?;
            // Each figure as the platform keeps it (tonnes, five decimals); the total is
            // their sum.
            let sent: Vec<(u8, rust_decimal::Decimal)> = export
                .by_category
                .iter()
                .map(|(c, kg)| (*c, carbonsync_providers::salesforce::tonnes(*kg)))
                .collect();
            let total: rust_decimal::Decimal = sent.iter().map(|(_, t)| t).sum();
            let sent: Vec<String> = sent
                .iter()
                .map(|(c, t)| format!("category {c} {t} t"))
                .collect();
            store.add_run_note(
                run_id,
                &format!(
                    "Sent {} to {name} ({}): {}; total {total} t.",
                    export.month.format("%B %Y"),
                    if created { "created" } else { "updated" },
                    sent.join(", ")
                ),
            )?;
            done += 1;
            let mut c = counts.lock().expect("counts lock");
            c.pages += 1;
            if created {
                c.created += 1;
            } else {
                c.updated += 1;
            }
        }
        Ok(())
    }
    .await;
    if result.is_err() && !exports.is_empty() {
        // An export does not resume by itself: say what reached the platform and what not.
        let rest: Vec<String> = exports[done..]
            .iter()
            .map(|e| e.month.format("%Y-%m").to_string())
            .collect();
        store.add_run_note(
            run_id,
            &format!(
                "Stopped after sending {done} of {} months; not sent: {}. Send those again once the cause is fixed.",
                exports.len(),
                rest.join(", ")
            ),
        )?;
    }
    conclude(
        &mut store, &conn, run_id, result, &counts, &meter, refreshed,
    )
}
