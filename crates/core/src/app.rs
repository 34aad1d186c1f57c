use crate::daemon::SyncFailure;
use crate::{AppError, Config, Paths};
use carbonsync_emissions::Calculator;
use carbonsync_providers::{Catalogue, ProviderEntry};
use carbonsync_store::{Connection, ConnectionStatus, Store, StoreError};
use carbonsync_sync::{Frequency, SyncContext, SyncOptions, SyncReport};
use carbonsync_vault::Vault;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// Where to find the configuration and the data.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

/// One open CarbonSync: its configuration, its data folder, its keychain.
pub struct App {
    paths: Paths,
    /// Replaced as a whole when the user saves settings.
    config: std::sync::RwLock<Config>,
    vault: Vault,
    calculator: Calculator,
    /// Why the data folder cannot be written; `None` when it can.
    read_only: Option<String>,
    pub(crate) sandbox: tokio::sync::Mutex<Option<carbonsync_sandbox::SandboxHandle>>,
    pub(crate) waiting: std::sync::Mutex<
        std::collections::HashMap<String, crate::redirect_connect::TenantChoiceWaiting>,
    >,
}

impl App {
    /// Opens the data folder: makes it private (and says so in the log when it had to),
    /// refuses a database that is damaged, or missing or emptied in a folder that held one,
    /// checks the file (see [`Store::startup_check`]), brings its schema up to date (after a
    /// backup), and settles runs a stopped process left marked running. A folder that
    /// cannot be written is opened read-only: reading works, and any write says why not.
    pub fn open(opts: &OpenOptions) -> Result<Arc<App>, AppError> {
        let paths = Paths::resolve(opts.config_file.as_deref(), opts.data_dir.as_deref());
        let config = Config::load(&paths.config_file)?;
        paths.create_data_dir().map_err(|e| {
            AppError::new(
                "data_dir",
                format!(
                    "Cannot create the data folder {}: {e}. Create it, or choose another with --data-dir.",
                    paths.data_dir.display()
                ),
            )
        })?;
        for t in paths.tighten_permissions() {
            tracing::warn!(
                "{} could be read by other users (mode {:o}); made private (mode {:o})",
                t.path.display(),
                t.from,
                t.to
            );
        }
        let calculator = load_calculator(&config)?;
        let read_only = open_store(&paths, &calculator)?;
        Ok(Arc::new(App {
            paths,
            config: std::sync::RwLock::new(config),
            vault: Vault::default(),
            calculator,
            read_only,
            sandbox: tokio::sync::Mutex::new(None),
            waiting: Default::default(),
        }))
    }

    /// Why the data folder cannot be written, when it was opened read-only.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The configuration as it is now (a copy: settings may change it meanwhile).
    pub fn config(&self) -> Config {
        self.config.read().expect("config lock").clone()
    }

    pub(crate) fn replace_config(&self, config: Config) {
        *self.config.write().expect("config lock") = config;
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn calculator(&self) -> &Calculator {
        &self.calculator
    }

    pub(crate) fn store(&self) -> Result<Store, AppError> {
        Ok(match &self.read_only {
            None => Store::open(&self.paths.database())?,
            Some(cause) => Store::open_read_only(&self.paths.database(), cause)?,
        })
    }

    pub(crate) fn catalogue_entry(&self, id: &str) -> Result<&'static ProviderEntry, AppError> {
        Catalogue::builtin().get(id).ok_or_else(|| {
            let known: Vec<_> = Catalogue::builtin()
                .entries()
                .iter()
                .map(|e| e.id.as_str())
                .collect();
            AppError::new(
                "unknown_provider",
                format!(
                    "There is no platform called `{id}`. Known platforms: {}.",
                    known.join(", ")
                ),
            )
        })
    }

    pub fn connections(&self) -> Result<Vec<Connection>, AppError> {
        Ok(self.store()?.connections()?)
    }

    pub fn connection(&self, id: i64) -> Result<Connection, AppError> {
        Ok(self.store()?.connection(id)?)
    }

    /// The connections a "sync everything" covers.
    pub fn active_connections(&self) -> Result<Vec<Connection>, AppError> {
        Ok(self
            .connections()?
            .into_iter()
            .filter(|c| c.status == ConnectionStatus::Active)
            .collect())
    }

    /// What a sync of an inventory connection (Salesforce) needs.
    pub(crate) async fn inventory_sync_context(
        &self,
        conn: &Connection,
    ) -> Result<carbonsync_sync::InventorySyncContext, AppError> {
        let platform = self.platform(&conn.provider, Some(conn.sandbox)).await?;
        let connector = platform.inventory_connector(self)?.ok_or_else(|| {
            AppError::new(
                "not_available",
                format!(
                    "{} keeps no inventory CarbonSync reads.",
                    platform.entry.name
                ),
            )
        })?;
        Ok(carbonsync_sync::InventorySyncContext {
            db_path: self.paths.database(),
            locks_dir: self.paths.locks_dir(),
            vault: self.vault.clone(),
            oauth: platform.oauth()?,
            connector,
            refresh_margin: chrono::Duration::seconds(
                self.config().sync.refresh_margin_secs as i64,
            ),
        })
    }

    async fn sync_context(&self, conn: &Connection) -> Result<SyncContext, AppError> {
        let platform = self.platform(&conn.provider, Some(conn.sandbox)).await?;
        Ok(SyncContext {
            db_path: self.paths.database(),
            locks_dir: self.paths.locks_dir(),
            vault: self.vault.clone(),
            oauth: platform.oauth()?,
            connector: platform.connector(self)?,
            calculator: self.calculator.clone(),
            refresh_margin: chrono::Duration::seconds(
                self.config().sync.refresh_margin_secs as i64,
            ),
        })
    }

    /// Syncs one connection. Waits for a sync of the same connection that is already
    /// running (here or in another process) to finish first. Always runs, whatever the
    /// schedule's state; the outcome then sets it: a success lets the schedule run as
    /// usual again, a failure retries, pauses or stops it (see `schedule_after_sync`).
    pub async fn sync(
        &self,
        connection_id: i64,
        opts: &SyncOptions,
    ) -> Result<SyncReport, AppError> {
        let conn = self.connection(connection_id)?;
        let result = match self.cloud_sync_context(&conn).await {
            Ok(Some(ctx)) => carbonsync_sync::sync_cloud_connection(&ctx, connection_id, opts)
                .await
                .map_err(SyncFailure::Sync),
            Ok(None) if carbonsync_providers::inventory_registration(&conn.provider).is_some() => {
                match self.inventory_sync_context(&conn).await {
                    Ok(ctx) => {
                        carbonsync_sync::sync_inventory_connection(&ctx, connection_id, opts)
                            .await
                            .map_err(SyncFailure::Sync)
                    }
                    Err(e) => Err(SyncFailure::Setup(e)),
                }
            }
            Ok(None) => match self.sync_context(&conn).await {
                Ok(ctx) => carbonsync_sync::sync_connection(&ctx, connection_id, opts)
                    .await
                    .map_err(SyncFailure::Sync),
                Err(e) => Err(SyncFailure::Setup(e)),
            },
            Err(e) => Err(SyncFailure::Setup(e)),
        };
        self.schedule_after_sync(&conn, result.as_ref().map(|_| ()));
        result.map_err(AppError::from)
    }

    pub fn set_frequency(
        &self,
        connection_id: i64,
        frequency: &str,
    ) -> Result<Frequency, AppError> {
        let f = Frequency::parse(frequency).map_err(|m| AppError::new("invalid_frequency", m))?;
        self.store()?
            .set_connection_frequency(connection_id, &f.label())?;
        Ok(f)
    }

    /// Revokes the connection's access at the platform, deletes its keychain entry,
    /// and keeps its data for review (or deletes it too, with `delete_data`).
    /// Returns a warning when the platform could not be told.
    pub async fn disconnect(
        &self,
        connection_id: i64,
        delete_data: bool,
    ) -> Result<Option<String>, AppError> {
        let store = self.store()?;
        let conn = store.connection(connection_id)?;
        let mut warning = None;
        if let Some(secret) = self.vault.get(&conn.vault_key)? {
            if let Some(tokens) = carbonsync_oauth::TokenSet::from_secret(&secret) {
                let platform = self.platform(&conn.provider, Some(conn.sandbox)).await?;
                let name = platform.display_name();
                let revoked = match &tokens.refresh_token {
                    Some(rt) => platform.oauth()?.revoke(rt, true).await,
                    None => platform.oauth()?.revoke(&tokens.access_token, false).await,
                };
                if let Err(e) = revoked {
                    warning = Some(format!(
                        "{name} could not be told to revoke CarbonSync's access ({e}); the keychain entry was removed anyway. You can also remove CarbonSync under connected apps in {name}."
                    ));
                }
            }
            self.vault.delete(&conn.vault_key)?;
        }
        if delete_data {
            store.delete_connection(connection_id)?;
        } else {
            store.set_connection_status(connection_id, ConnectionStatus::Disconnected, None)?;
        }
        // Spend a removed cloud connection covered counts again.
        let mut store = store;
        store.refresh_cloud_cover()?;
        tracing::info!(connection = connection_id, delete_data, "disconnected");
        Ok(warning)
    }
}

/// What `carbonsync doctor` found in a data folder: one entry a check, and the backups.
#[derive(Debug, Clone, Serialize)]
pub struct Checkup {
    pub data_dir: PathBuf,
    pub database: PathBuf,
    pub checks: Vec<CheckResult>,
    /// Newest first.
    pub backups: Vec<BackupFile>,
}

impl Checkup {
    /// No check found a problem.
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// One check of [`Checkup`]: `database` (SQLite's full integrity check), `write_access`,
/// `permissions`, `disk` (free space) or `backups`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub check: &'static str,
    pub ok: bool,
    /// What was found and, for a problem, what to do.
    pub message: String,
}

/// A backup of the database in the data folder's `backups/`.
#[derive(Debug, Clone, Serialize)]
pub struct BackupFile {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Below this much free space (or the database's size, if larger: a backup before a schema
/// update needs as much again) the disk check reports a problem.
const DISK_MIN_FREE_BYTES: u64 = 64 * 1024 * 1024;

impl App {
    /// Checks a data folder without opening it as [`App::open`] does, so that it works on a
    /// damaged database too: the database's integrity (every page; seconds on a large
    /// file), whether it can be written, permissions (made private where loose), free disk
    /// space and the backups.
    pub fn checkup(opts: &OpenOptions) -> Checkup {
        let paths = Paths::resolve(opts.config_file.as_deref(), opts.data_dir.as_deref());
        let db = paths.database();
        let mut checks = vec![check_database(&paths)];
        let writable = carbonsync_store::write_access(&db);
        checks.push(CheckResult {
            check: "write_access",
            ok: writable.is_ok(),
            message: match &writable {
                Ok(()) => format!("{} can be written", paths.data_dir.display()),
                Err(cause) => format!(
                    "{cause}. Reading works, but syncing needs write access: make the folder and the database writable by you (`chmod u+w`)"
                ),
            },
        });
        let tightened = paths.tighten_permissions();
        checks.push(CheckResult {
            check: "permissions",
            ok: true,
            message: if tightened.is_empty() {
                "the data folder and its files are readable by you only".into()
            } else {
                let list: Vec<String> = tightened
                    .iter()
                    .map(|t| format!("{} ({:o} → {:o})", t.path.display(), t.from, t.to))
                    .collect();
                format!("made private: {}", list.join(", "))
            },
        });
        checks.push(check_disk(&paths));
        let backups: Vec<BackupFile> = carbonsync_store::list_backups(&db)
            .into_iter()
            .map(|path| BackupFile {
                bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                path,
            })
            .collect();
        checks.push(CheckResult {
            check: "backups",
            ok: true,
            message: match backups.first() {
                None => format!(
                    "no backups yet in {} (one is made before every schema update; `carbonsync doctor --backup` makes one now)",
                    paths.backups_dir().display()
                ),
                Some(newest) => format!(
                    "{} backup(s) in {}, the newest {}",
                    backups.len(),
                    paths.backups_dir().display(),
                    newest.path.display()
                ),
            },
        });
        Checkup {
            data_dir: paths.data_dir.clone(),
            database: db,
            checks,
            backups,
        }
    }

    /// Copies the database, as it is now, into the backups folder; returns the copy's path.
    pub fn backup_now(opts: &OpenOptions) -> Result<PathBuf, AppError> {
        let paths = Paths::resolve(opts.config_file.as_deref(), opts.data_dir.as_deref());
        Ok(Store::open(&paths.database())?.backup()?)
    }

    /// Puts a backup (a path, or a file name in the backups folder) in the place of the
    /// database; the file it replaces is moved aside, not deleted, and its path returned.
    /// Refused while a sync runs; close every CarbonSync window and daemon first.
    pub fn restore_backup(
        opts: &OpenOptions,
        backup: &std::path::Path,
    ) -> Result<Option<PathBuf>, AppError> {
        let paths = Paths::resolve(opts.config_file.as_deref(), opts.data_dir.as_deref());
        let backup = if backup.exists() {
            backup.to_path_buf()
        } else {
            paths.backups_dir().join(backup)
        };
        if !backup.is_file() {
            return Err(AppError::new(
                "no_such_backup",
                format!(
                    "There is no backup {}. `carbonsync doctor` lists the backups in {}.",
                    backup.display(),
                    paths.backups_dir().display()
                ),
            ));
        }
        let mut held = Vec::new();
        for entry in std::fs::read_dir(paths.locks_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(file) = std::fs::File::open(entry.path()) else {
                continue;
            };
            match file.try_lock() {
                Ok(()) => held.push(file),
                Err(_) => {
                    return Err(AppError::new(
                        "busy",
                        format!(
                            "CarbonSync is using the data folder in another process ({} is held). Close every CarbonSync window and `carbonsync daemon`, then restore again.",
                            entry.path().display()
                        ),
                    ))
                }
            }
        }
        let aside = carbonsync_store::restore(&paths.database(), &backup)?;
        drop(held);
        // Open it as any command would: an older schema is updated now (after a backup).
        Store::open(&paths.database())?.install_id()?;
        tracing::warn!(backup = %backup.display(), "restored the database from a backup");
        Ok(aside)
    }
}

fn check_database(paths: &Paths) -> CheckResult {
    let db = paths.database();
    let problem = |message: String| CheckResult {
        check: "database",
        ok: false,
        message,
    };
    match carbonsync_store::check_file(&db) {
        Err(e) => return problem(capitalised(e.to_string())),
        Ok(carbonsync_store::FileState::Missing) => {
            return match paths.signs_of_use() {
                Some(evidence) => problem(capitalised(
                    StoreError::Lost {
                        path: db,
                        state: "missing",
                        evidence,
                    }
                    .to_string(),
                )),
                None => CheckResult {
                    check: "database",
                    ok: true,
                    message: format!(
                        "no database yet; the first command creates {}",
                        db.display()
                    ),
                },
            };
        }
        Ok(carbonsync_store::FileState::Present(_)) => {}
    }
    let started = std::time::Instant::now();
    let checked = Store::open_read_only(&db, "`carbonsync doctor` only reads")
        .and_then(|store| store.integrity_problems());
    match checked {
        Ok(problems) if problems.is_empty() => CheckResult {
            check: "database",
            ok: true,
            message: format!(
                "{} passed SQLite's full integrity check ({} ms)",
                db.display(),
                started.elapsed().as_millis()
            ),
        },
        Ok(problems) => problem(capitalised(
            StoreError::Damaged {
                path: db,
                cause: problems
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
            }
            .to_string(),
        )),
        Err(e) => problem(capitalised(e.to_string())),
    }
}

/// Free space where the data folder is, from `df` (POSIX output, so the same on Linux
/// and macOS).
fn check_disk(paths: &Paths) -> CheckResult {
    let out = std::process::Command::new("df")
        .arg("-Pk")
        .arg(&paths.data_dir)
        .output();
    let available = out.ok().and_then(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib * 1024)
    });
    let db_size = std::fs::metadata(paths.database())
        .map(|m| m.len())
        .unwrap_or(0);
    let needed = DISK_MIN_FREE_BYTES.max(db_size);
    let mib = |b: u64| b / (1024 * 1024);
    match available {
        None => CheckResult {
            check: "disk",
            ok: true,
            message: "free space unknown (`df` gave no answer)".into(),
        },
        Some(free) => CheckResult {
            check: "disk",
            ok: free >= needed,
            message: if free >= needed {
                format!("{} MiB free", mib(free))
            } else {
                format!(
                    "only {} MiB free where the data folder is; syncing and backups need at least {} MiB: free some space",
                    mib(free),
                    mib(needed)
                )
            },
        },
    }
}

fn capitalised(s: String) -> String {
    let mut s = s;
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// The start-up work on the database (see [`App::open`]); returns why it is read-only.
fn open_store(paths: &Paths, calculator: &Calculator) -> Result<Option<String>, AppError> {
    let db = paths.database();
    if !db.exists() {
        if let Some(evidence) = paths.signs_of_use() {
            return Err(StoreError::Lost {
                path: db,
                state: "missing",
                evidence,
            }
            .into());
        }
    }
    match carbonsync_store::write_access(&db) {
        Ok(()) => {
            // Opening runs the migrations before anything else touches the file, and
            // gives the data folder the id that namespaces its keychain entries.
            let mut store = Store::open(&db)?;
            store.startup_check()?;
            store.install_id()?;
            reassess_if_owed(&mut store, calculator)?;
            // A full disk must not stop the commands that only read: settling waits.
            if let Err(e) = settle_stale_runs(paths, &store) {
                tracing::warn!(
                    "runs left marked running could not be settled yet: {}",
                    e.message
                );
            }
            Ok(None)
        }
        Err(cause) => {
            tracing::warn!("{cause}: CarbonSync can read its data but not change it");
            let store = Store::open_read_only(&db, &cause)?;
            store.startup_check()?;
            Ok(Some(cause))
        }
    }
}

/// The `meta` key holding the fingerprint of the emission tables the ledger was computed with.
const TABLES_FINGERPRINT: &str = "emission_tables_sha256";

/// Recomputes every ledger entry from its record when an upgrade owes it, when the emission
/// tables changed since the ledger was computed (a user's mapping, factor, rate or index file
/// added, edited or removed), or when a change of the review rules was saved and the process
/// stopped before its entries were decided again: the ledger always shows what the tables and
/// rules in use say, without a re-sync.
fn reassess_if_owed(store: &mut Store, calculator: &Calculator) -> Result<(), AppError> {
    let fingerprint = calculator.fingerprint();
    let stored = store.meta_get(TABLES_FINGERPRINT)?;
    let upgrade = store.has_pending_work(carbonsync_store::REASSESS_LEDGER)?;
    let changed = stored.as_deref().is_some_and(|s| s != fingerprint);
    let rules = store.rules_owe_work()?;
    if upgrade || changed || rules {
        let started = std::time::Instant::now();
        let entries = carbonsync_sync::reassess_ledger(store, calculator)?;
        tracing::info!(
            entries,
            ms = started.elapsed().as_millis() as u64,
            "recomputed every ledger entry from its record: {}",
            if upgrade {
                "the database was upgraded"
            } else if changed {
                "the emission tables changed"
            } else {
                "a change of the review rules was saved but CarbonSync stopped before applying it"
            }
        );
    }
    if changed {
        let set = calculator.factor_set();
        crate::audit::record(
            store,
            "emission_tables_changed",
            "emission_tables",
            Some(&serde_json::json!({ "fingerprint": stored })),
            Some(&serde_json::json!({
                "fingerprint": fingerprint,
                "factor_set": format!("{} {}", set.name, set.version),
            })),
            Some("The emission tables in use changed (a mapping, factor, rate or price-index file was added, edited or removed); every ledger entry was recomputed with them."),
        )?;
    }
    if stored.as_deref() != Some(fingerprint) {
        store.meta_set(TABLES_FINGERPRINT, fingerprint)?;
    }
    Ok(())
}

/// Closes runs left marked running by a process that stopped (killed, crashed, power cut):
/// a run is live only while its process holds the connection's sync lock, so a run whose
/// lock is free is settled, with the lock held so that no sync can start meanwhile.
fn settle_stale_runs(paths: &Paths, store: &Store) -> Result<(), AppError> {
    for id in store.connections_with_running_runs()? {
        let lock = paths.sync_lock(id);
        let guard = match std::fs::File::open(&lock) {
            // No lock file: no sync of this connection ever held one here.
            Err(_) => None,
            Ok(file) => match file.try_lock() {
                Ok(()) => Some(file),
                Err(std::fs::TryLockError::WouldBlock) => continue,
                Err(std::fs::TryLockError::Error(e)) => {
                    tracing::warn!("cannot check the sync lock {}: {e}", lock.display());
                    continue;
                }
            },
        };
        let settled = store.settle_stale_runs(id)?;
        drop(guard);
        if settled > 0 {
            tracing::warn!(
                connection = id,
                runs = settled,
                "a sync left marked running by a process that stopped was closed in the log"
            );
        }
    }
    Ok(())
}

fn load_calculator(config: &Config) -> Result<Calculator, AppError> {
    let e = &config.emissions;
    if e.factors_file.is_none()
        && e.mapping_file.is_none()
        && e.mapping_files.is_empty()
        && e.fx_rates_file.is_none()
        && e.price_index_file.is_none()
    {
        return Calculator::builtin().map_err(|err| {
            AppError::new(
                "emissions_data",
                format!("The built-in emission data is unreadable: {err}"),
            )
        });
    }
    let read_file = |p: &PathBuf| -> Result<String, AppError> {
        std::fs::read_to_string(p).map_err(|err| {
            AppError::new(
                "emissions_data",
                format!("Cannot read {}: {err}", p.display()),
            )
        })
    };
    let read = |p: &Option<PathBuf>, builtin: &'static str| -> Result<String, AppError> {
        p.as_ref().map_or(Ok(builtin.to_string()), read_file)
    };
    use carbonsync_emissions::{builtin as b, MappingTable};
    // The shipped mappings, each replaced by the user's file for its platform, and the user's
    // files for platforms that ship none.
    let mut chosen: std::collections::BTreeMap<&str, PathBuf> = e
        .mapping_files
        .iter()
        .map(|(p, f)| (p.as_str(), f.clone()))
        .collect();
    if let Some(file) = &e.mapping_file {
        chosen.insert("xero", file.clone());
    }
    let mut texts: Vec<(String, String, String)> = Vec::new();
    for table in b::MAPPINGS {
        let csv = match chosen.remove(table.platform) {
            Some(file) => read_file(&file)?,
            None => table.csv.to_owned(),
        };
        texts.push((
            table.platform.to_owned(),
            table.platform_name.to_owned(),
            csv,
        ));
    }
    for (platform, file) in chosen {
        let name = Catalogue::builtin()
            .get(platform)
            .map_or(platform, |entry| entry.name.as_str());
        texts.push((platform.to_owned(), name.to_owned(), read_file(&file)?));
    }
    let mappings: Vec<MappingTable<'_>> = texts
        .iter()
        .map(|(platform, platform_name, csv)| MappingTable {
            platform,
            platform_name,
            csv,
        })
        .collect();
    Calculator::with_tables(
        &read(&e.factors_file, b::FACTORS_CSV)?,
        &mappings,
        &read(&e.fx_rates_file, b::FX_CSV)?,
        &read(&e.price_index_file, b::INDEX_CSV)?,
    )
    .map_err(|err| {
        AppError::new(
            "emissions_data",
            format!("The configured emission tables are invalid: {err}"),
        )
    })
}
