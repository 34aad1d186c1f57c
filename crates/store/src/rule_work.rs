//! Which process is deciding the entries of a change of the rules right now.
//!
//! A change of the rules is saved, with one unit of work owed ([`REASSESS_RULES`]), and its
//! entries are then decided in a second transaction, which takes the unit back. A process
//! that starts between the two sees the work owed. Whether it is abandoned (the process that
//! owed it stopped) or still under way is told by a lock file beside the database: every
//! process applying a change holds a shared lock on it, and the operating system releases a
//! lock with its process, however that ends. A start that can take the lock exclusively
//! knows nobody is applying, and decides every entry again; one that cannot leaves the work
//! to the process doing it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use crate::reassess::REASSESS_RULES;
use crate::{Result, Store, StoreError};

/// Held while this process decides the entries of a change of the rules; dropping it (or
/// the process ending) lets a start that finds the change owed know it was abandoned.
#[derive(Debug)]
pub struct RuleWork {
    _lock: File,
}

impl Store {
    /// The lock file: `carbonsync.sqlite3.rules-lock` beside the database.
    fn rule_work_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".rules-lock");
        PathBuf::from(name)
    }

    fn open_rule_work_lock(&self) -> std::io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(self.rule_work_path())
    }

    /// Says, until the guard is dropped, that this process is applying a change of the
    /// rules. Take it before the change is saved.
    ///
    /// # Errors
    /// [`StoreError::Refused`] when the lock file beside the database cannot be made or
    /// locked, in words that name it.
    pub fn rule_work(&self) -> Result<RuleWork> {
        let refused = |e: std::io::Error| {
            StoreError::Refused(format!(
                "CarbonSync could not lock {} ({e}); check that the data folder can be written",
                self.rule_work_path().display()
            ))
        };
        let file = self.open_rule_work_lock().map_err(refused)?;
        // Shared: changes made by several processes at once wait only on the database.
        file.lock_shared().map_err(refused)?;
        Ok(RuleWork { _lock: file })
    }

    /// Whether a change of a person's rules was saved and its entries were not decided again
    /// because the process that saved it stopped in between: [`Store::reassess_ledger`]
    /// settles it. A change another process is applying now is not owed to this one.
    pub fn rules_owe_work(&self) -> Result<bool> {
        if !self.has_pending_work(REASSESS_RULES)? {
            return Ok(false);
        }
        let applying = match self.open_rule_work_lock() {
            Ok(file) => matches!(file.try_lock(), Err(TryLockError::WouldBlock)),
            // Without the lock file nobody can be applying a change through it.
            Err(_) => false,
        };
        if applying {
            tracing::info!(
                "a change of the review rules is being applied by another CarbonSync; \
                 its entries are left to it"
            );
        }
        Ok(!applying)
    }
}
