//! Everything the handlers share, behind one `Arc`. Each part has its own lock and no code
//! holds two at once, so there is no lock order to get wrong; none is held across an await.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::auth::grants::AuthStore;
use crate::company::Company;
use crate::faults::Faults;
use crate::limits::Limiter;
use crate::options::SandboxOptions;
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
}

/// A panic in one handler must not wedge the whole sandbox: the data behind a poisoned lock
/// is still consistent enough for a test server, so keep using it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(opts: SandboxOptions, company: Company) -> Self {
        Shared {
            settings: Mutex::new(Settings::from_options(&opts)),
            opts,
            auth: Mutex::default(),
            company: RwLock::new(company),
            stats: Mutex::default(),
            limiter: Mutex::default(),
            faults: Mutex::default(),
            persist: Mutex::new(()),
        }
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
        let mut company = self.company_mut();
        if file.seed == company.seed && file.records_per_org == company.records_per_org {
            let skipped = company.replay(&file.changes);
            if skipped > 0 {
                tracing::warn!(skipped, "some saved record changes matched no record");
            }
        } else if !file.changes.is_empty() {
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
        let file = StateFile::new(seed, size, settings, auth, changes);
        if let Err(e) = state::save(path, &file) {
            tracing::error!(path = %path.display(), error = %e, "could not write the sandbox state file");
        }
    }
}
