//! Period close: freeze a period's numbers as reported, see what later syncs changed in it,
//! accept those changes into a restatement or leave them, reopen with a reason. Offline, on
//! the local database; every step is in the audit trail (subject `period:<label>`).

use carbonsync_store::{ChangeAfterClose, PeriodClose, Restatement};

use crate::period::Period;
use crate::{App, AppError};

fn no_such_close(label: &str) -> AppError {
    AppError::new(
        "no_such_close",
        format!(
            "{label} is not closed; `carbonsync period list` shows the periods closed and \
             reopened"
        ),
    )
}

impl App {
    /// Every close, newest first, with its reported totals and waiting changes after close.
    pub fn period_closes(&self) -> Result<Vec<PeriodClose>, AppError> {
        Ok(self.store()?.period_closes()?)
    }

    /// The standing close named `label` (`2024-03`, `FY2024`, as it was closed).
    pub fn standing_close(&self, label: &str) -> Result<PeriodClose, AppError> {
        let closes = self.store()?.period_closes()?;
        // Any way of writing the period finds it (2024-3, fy2024/25), as does its label.
        let wanted = Period::canonical_label(label);
        let named = |c: &&PeriodClose| Period::canonical_label(&c.label) == wanted;
        if let Some(c) = closes.iter().filter(named).find(|c| c.standing()) {
            return Ok(c.clone());
        }
        // Newest first: the last close of that name says where its days went.
        match closes.iter().find(named) {
            Some(PeriodClose {
                label,
                taken_into: Some(into),
                ..
            }) => Err(AppError::new(
                "taken_in",
                carbonsync_store::taken_in_words(label, into),
            )),
            _ => Err(no_such_close(label.trim())),
        }
    }

    /// Standing closes overlapping the days `from..=to` (either open).
    pub fn closes_within(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<PeriodClose>, AppError> {
        Ok(self.store()?.standing_closes_within(from, to)?)
    }

    /// The label and days (inclusive `YYYY-MM-DD`) of each standing close overlapping the
    /// days `from..=to`, without their numbers.
    pub fn close_days_within(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<(String, String, String)>, AppError> {
        Ok(self.store()?.standing_close_days_within(from, to)?)
    }

    /// Closes `period`: its entries' numbers are frozen as reported now. Standing closes
    /// wholly inside it (its months, closed before) are taken in as they reported
    /// ([`carbonsync_store::Store::close_period`]).
    ///
    /// # Errors
    /// `period_not_over` for a period whose last day is today or later (its records are still
    /// coming); `refused` when the same days are closed already or a standing close reaches
    /// past either end of it; `read_only`.
    pub fn close_period(
        &self,
        period: &Period,
        note: Option<&str>,
    ) -> Result<PeriodClose, AppError> {
        self.refuse_if_read_only()?;
        let today = chrono::Local::now().date_naive();
        if !period.ended_before(today) {
            return Err(AppError::new(
                "period_not_over",
                format!(
                    "{} runs to {}: a period can be closed once its last day has passed, when \
                     its records are in",
                    period.label, period.to
                ),
            ));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let store = self.store()?;
        Ok(self.with_actor(|who| {
            store.close_period(&period.label, &period.from, &period.to, note, who)
        })?)
    }

    /// Reopens the standing close `label`, for `reason` (required: an auditor will ask).
    pub fn reopen_period(&self, label: &str, reason: &str) -> Result<PeriodClose, AppError> {
        self.refuse_if_read_only()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::new(
                "reason_required",
                format!(
                    "Reopening {label} changes numbers that were reported: give the reason \
                     (--reason \"…\"), which goes in the audit trail"
                ),
            ));
        }
        let close = self.standing_close(label)?;
        let store = self.store()?;
        Ok(self.with_actor(|who| store.reopen_period(close.id, reason, who))?)
    }

    /// The changes after close of every standing close, or of the one named.
    pub fn changes_after_close(
        &self,
        label: Option<&str>,
    ) -> Result<Vec<ChangeAfterClose>, AppError> {
        let id = match label {
            Some(l) => Some(self.standing_close(l)?.id),
            None => None,
        };
        Ok(self.store()?.changes_after_close(id)?)
    }

    /// Accepts the changes after close of `label` (all, or the entries named) into its
    /// reported numbers: a restatement, with `why` in the audit trail.
    pub fn restate_period(
        &self,
        label: &str,
        entries: Option<&[i64]>,
        why: Option<&str>,
    ) -> Result<Restatement, AppError> {
        self.refuse_if_read_only()?;
        let close = self.standing_close(label)?;
        let store = self.store()?;
        Ok(self
            .with_actor(|who| store.restate_period(close.id, entries, who, why.map(str::trim)))?)
    }

    /// Leaves the changes after close of `label` (all, or the entries named) out of its
    /// numbers; they are listed again only if the entry changes once more.
    pub fn leave_changes(
        &self,
        label: &str,
        entries: Option<&[i64]>,
        why: Option<&str>,
    ) -> Result<i64, AppError> {
        self.refuse_if_read_only()?;
        let close = self.standing_close(label)?;
        let store = self.store()?;
        Ok(self.with_actor(|who| store.leave_changes(close.id, entries, who, why.map(str::trim)))?)
    }
}
