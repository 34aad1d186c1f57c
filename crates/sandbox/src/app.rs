//! Everything the handlers share, behind one `Arc`. Each part has its own lock and no code
//! holds two at once, so there is no lock order to get wrong; none is held across an await.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::OnceCell;

use crate::auth::grants::AuthStore;
use crate::cloud::CloudShared;
use crate::company::Company;
use crate::faults::Faults;
use crate::limits::Limiter;
use crate::options::SandboxOptions;
use crate::quickbooks::realm::{QbChange, Realm};
use crate::settings::Settings;
use crate::state::{self, StateFile};
use crate::stats::Stats;

pub type AppState = Arc<Shared>;

pub struct Shared {
    pub opts: SandboxOptions,
    settings: Mutex<Settings>,
    auth: Mutex<AuthStore>,
    company: RwLock<Company>,
    stats: Mutex<Stats>,
    limiter: Mutex<Limiter>,
    faults: Mutex<Faults>,
    /// Serialises state-file writes so a slower, older snapshot never lands after a newer one.
    persist: Mutex<()>,
    /// The QuickBooks company, built on first use.
    quickbooks: OnceCell<RwLock<Realm>>,
    /// QuickBooks edits restored from the state file, replayed when the company is built
    /// (and written back unchanged until then).
    quickbooks_saved: Mutex<Vec<QbChange>>,
    /// QuickBooks' per-realm calls per window, apart from Xero's.
    quickbooks_limiter: Mutex<Limiter>,
    /// QuickBooks calls in progress (one realm), against the concurrent limit.
    quickbooks_in_flight: AtomicU32,
    /// The cloud providers' estates and controls.
    cloud: CloudShared,
    /// What the webhook sender sent last.
    pub webhooks: crate::webhooks::Sent,
    /// The Slack stand-in's messages, channels, uploads and controls.
    pub slack: crate::slack::SlackShared,
    /// The Teams (Power Automate workflow) stand-in's workflows, cards and controls.
    pub teams: crate::teams::TeamsShared,
}

/// A QuickBooks call in progress; frees its slot when the answer is done.
pub struct InFlight(AppState);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.quickbooks_in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A panic in one handler must not wedge the whole sandbox: the data behind a poisoned lock
/// is still consistent enough for a test server, so keep using it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(opts: SandboxOptions, company: Company) -> Self {
        Shared {
            cloud: CloudShared::new(opts.seed, opts.cloud_scale),
            settings: Mutex::new(Settings::from_options(&opts)),
            auth: Mutex::default(),
            company: RwLock::new(company),
            stats: Mutex::default(),
            limiter: Mutex::default(),
            faults: Mutex::default(),
            persist: Mutex::new(()),
            quickbooks: OnceCell::new(),
            quickbooks_saved: Mutex::default(),
            quickbooks_limiter: Mutex::default(),
            quickbooks_in_flight: AtomicU32::new(0),
            webhooks: Default::default(),
            slack: crate::slack::SlackShared::new(opts.seed),
            teams: crate::teams::TeamsShared::new(opts.seed),
            opts,
        }
    }

    /// The QuickBooks company, generating it (off the async workers) on the first call and
    /// replaying edits restored from the state file onto it.
    pub async fn realm(&self) -> &RwLock<Realm> {
        self.quickbooks
            .get_or_init(|| async {
                let (seed, size) = (self.opts.seed, self.opts.records_per_org);
                let saved = lock(&self.quickbooks_saved).clone();
                let started = std::time::Instant::now();
                let realm = tokio::task::spawn_blocking(move || {
                    let mut realm = Realm::generate(seed, size);
                    let skipped = realm.replay(&saved);
                    if skipped > 0 {
                        tracing::warn!(skipped, "some saved QuickBooks edits matched no record");
                    }
                    realm
                })
                .await
                .expect("generating the QuickBooks company panicked");
                tracing::debug!(seed, records_per_org = size, elapsed = ?started.elapsed(), "QuickBooks company generated");
                RwLock::new(realm)
            })
            .await
    }

    /// The QuickBooks company if it has been built.
    pub fn realm_if_built(&self) -> Option<RwLockReadGuard<'_, Realm>> {
        self.quickbooks
            .get()
            .map(|r| r.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn quickbooks_limiter(&self) -> MutexGuard<'_, Limiter> {
        lock(&self.quickbooks_limiter)
    }

    /// Takes one of `concurrent` slots for a QuickBooks call, or `None` when all are in use.
    pub fn quickbooks_slot(self: &Arc<Self>, concurrent: Option<u32>) -> Option<InFlight> {
        let previous = self.quickbooks_in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = InFlight(Arc::clone(self));
        if concurrent.is_some_and(|limit| previous >= limit) {
            // Dropping the slot gives the count back.
            return None;
        }
        Some(slot)
    }

    /// The cloud providers' estates and controls.
    pub fn cloud(&self) -> &CloudShared {
        &self.cloud
    }

    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        lock(&self.settings)
    }

    pub fn auth(&self) -> MutexGuard<'_, AuthStore> {
        lock(&self.auth)
    }

    pub fn company(&self) -> RwLockReadGuard<'_, Company> {
        self.company.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn company_mut(&self) -> RwLockWriteGuard<'_, Company> {
        self.company.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }

    pub fn limiter(&self) -> MutexGuard<'_, Limiter> {
        lock(&self.limiter)
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    pub fn count_call(&self, endpoint: &str) {
        self.stats().count(endpoint);
    }

    /// Applies a loaded state file: settings win over the options, grants and tokens come
    /// back, and record changes are replayed if they were made on the same data.
    pub fn restore(&self, file: StateFile) {
        if let Err(e) = self.settings().apply_patch(&file.settings) {
            tracing::warn!(error = %e, "ignoring unreadable settings in the state file");
        }
        self.auth().restore(file.auth);
        self.slack.restore(file.slack);
        self.teams.restore(file.teams);
        let mut company = self.company_mut();
        if file.seed == company.seed && file.records_per_org == company.records_per_org {
            let skipped = company.replay(&file.changes);
            if skipped > 0 {
                tracing::warn!(skipped, "some saved record changes matched no record");
            }
            // Replayed when the QuickBooks company is first built.
            *lock(&self.quickbooks_saved) = file.quickbooks_changes;
        } else if !file.changes.is_empty() || !file.quickbooks_changes.is_empty() {
            tracing::warn!(
                "saved record changes were made on data from another seed or size; dropping them"
            );
        }
    }

    /// Writes the state file, if there is one. Called after every mutation; a failure is
    /// logged rather than failing the request, since the in-memory state is still right.
    pub fn persist(&self) {
        let Some(path) = self.opts.state_path.as_deref() else {
            return;
        };
        let _writer = lock(&self.persist);
        let settings = self.settings().to_json();
        let auth = self.auth().snapshot();
        let (seed, size, changes) = {
            let company = self.company();
            (
                company.seed,
                company.records_per_org,
                company.changes.clone(),
            )
        };
        let quickbooks_changes = match self.quickbooks.get() {
            Some(realm) => realm
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .changes
                .clone(),
            None => lock(&self.quickbooks_saved).clone(),
        };
        let mut file = StateFile::new(seed, size, settings, auth, changes);
        file.quickbooks_changes = quickbooks_changes;
        file.slack = self.slack.saved();
        file.teams = self.teams.saved();
        if let Err(e) = state::save(path, &file) {
            tracing::error!(path = %path.display(), error = %e, "could not write the sandbox state file");
        }
    }
}
