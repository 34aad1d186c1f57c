//! Who changed what, when and why: the audit trail's entries, written by every change to how
//! numbers are produced, and its check (see `carbonsync_store::AuditRow` for the chain).

use carbonsync_store::{AuditCheck, AuditEntry, AuditRow, Store};
use serde::Serialize;

use crate::{App, AppError};

/// The operating-system user and machine making a change, as the trail records them.
pub(crate) fn actor() -> (String, String) {
    let user = whoami::fallible::username().unwrap_or_else(|_| "unknown user".to_owned());
    let machine = whoami::fallible::hostname().unwrap_or_else(|_| "unknown machine".to_owned());
    (user, machine)
}

fn json(value: Option<&impl Serialize>) -> Option<String> {
    value.map(|v| serde_json::to_string(v).expect("serialisable"))
}

/// Appends one change to the trail of `store`.
pub(crate) fn record(
    store: &Store,
    action: &str,
    subject: &str,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
    reason: Option<&str>,
) -> Result<AuditRow, AppError> {
    let (user, machine) = actor();
    let (before, after) = (json(before), json(after));
    Ok(store.append_audit(&AuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        os_user: &user,
        machine: &machine,
        action,
        subject,
        before: before.as_deref(),
        after: after.as_deref(),
        reason,
    })?)
}

impl App {
    /// Records a change in the audit trail.
    pub(crate) fn record_change(
        &self,
        action: &str,
        subject: &str,
        before: Option<&impl Serialize>,
        after: Option<&impl Serialize>,
        reason: Option<&str>,
    ) -> Result<AuditRow, AppError> {
        record(&self.store()?, action, subject, before, after, reason)
    }

    /// The audit trail, newest first; `subject` (e.g. `supplier_rule:4`) keeps only the
    /// rows about it.
    pub fn audit_log(&self, subject: Option<&str>, limit: i64) -> Result<Vec<AuditRow>, AppError> {
        Ok(self.store()?.audit_rows(subject, limit)?)
    }

    /// Checks the whole chain: intact, or the first row that was changed, removed or
    /// inserted behind the app's back.
    pub fn verify_audit(&self) -> Result<AuditCheck, AppError> {
        Ok(self.store()?.verify_audit()?)
    }
}
