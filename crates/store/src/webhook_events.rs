//! Webhook events already acted on: the replay guard of `carbonsync serve`.

use crate::{Result, Store};

/// How long an event id is remembered. Xero retries a delivery for up to 24 hours and
/// Intuit for a few hours; a replay older than this is at worst one needless
/// incremental sync, which changes nothing.
pub const WEBHOOK_EVENTS_KEPT_DAYS: i64 = 7;

impl Store {
    /// Records the events of one delivery and returns the keys seen for the first time
    /// (in the order given); the others are replays. All in one transaction, so two
    /// deliveries of the same event at once still start one sync. Ids older than
    /// [`WEBHOOK_EVENTS_KEPT_DAYS`] are forgotten on the way.
    ///
    /// `events`: (event key, tenant id); `now_ms`: ms since 1970, UTC.
    pub fn first_seen_webhook_events(
        &self,
        platform: &str,
        events: &[(String, String)],
        now_ms: i64,
    ) -> Result<Vec<String>> {
        let tx = self.db().unchecked_transaction()?;
        tx.execute(
            "DELETE FROM webhook_events WHERE received_at_ms < ?1",
            [now_ms - WEBHOOK_EVENTS_KEPT_DAYS * 86_400_000],
        )?;
        let mut fresh = Vec::new();
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO webhook_events (platform, event_key, tenant_id, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (key, tenant) in events {
                if insert.execute(rusqlite::params![platform, key, tenant, now_ms])? == 1 {
                    fresh.push(key.clone());
                }
            }
        }
        tx.commit()?;
        Ok(fresh)
    }
}
