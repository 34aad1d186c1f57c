//! What the Teams stand-in keeps: its workflows, the cards received, queued faults and each
//! workflow's recent calls (for throttling). One lock, never held across an await nor
//! together with any of `AppState`'s.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::card::{elided, Image};
use super::{default_workflow_id, CHANNEL_NAME, DEFAULT_CALLS_PER_MINUTE, TEAM_NAME};

/// Cards kept in the state file: the newest this many.
pub const SAVED_MESSAGES: usize = 200;
/// Cards kept in memory.
const KEPT_MESSAGES: usize = 10_000;
/// The throttling window.
const MINUTE: Duration = Duration::from_secs(60);

/// A workflow: a trigger URL that posts into one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    /// 32 hex digits.
    pub id: String,
    pub name: String,
    pub team: String,
    pub channel: String,
    /// A turned-off workflow's trigger answers 409 `WorkflowTriggerIsNotEnabled`.
    pub enabled: bool,
    /// A deleted workflow's trigger answers 404 `WorkflowNotFound` (kept so the default one
    /// stays deleted after a restart).
    #[serde(default)]
    pub deleted: bool,
    pub created_at: String,
}

/// A card the trigger received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Received {
    /// 1, 2, … in the order received.
    pub id: u64,
    pub workflow_id: String,
    /// Whether the flow posted it to the channel.
    pub posted: bool,
    /// Why not, when it did not.
    pub reason: Option<String>,
    /// The Adaptive Card (`null` when the body had none).
    pub card: Value,
    pub images: Vec<Image>,
    /// The request body's size in bytes.
    pub bytes: usize,
    /// Logic Apps' run id (`x-ms-workflow-run-id`).
    pub run_id: String,
    /// RFC 3339 UTC.
    pub received_at: String,
}

/// A fault queued by the control API: the next `remaining` calls answer `status` with
/// `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub remaining: u32,
    /// Seconds for `Retry-After` (a 429 always gets one, 1 by default).
    pub retry_after: Option<u64>,
}

/// Everything the stand-in keeps, behind [`TeamsShared`]'s lock.
pub struct Teams {
    pub workflows: Vec<Workflow>,
    pub messages: Vec<Received>,
    next_message_id: u64,
    pub faults: Vec<Fault>,
    calls: HashMap<String, VecDeque<Instant>>,
    pub calls_per_minute: u32,
}

/// The part of the stand-in kept in the state file. Files written before Teams was served
/// have none of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamsSaved {
    /// Every workflow but an untouched default one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflows: Vec<Workflow>,
    /// The newest cards, long `data:` URLs cut short.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Received>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub next_message_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_per_minute: Option<u32>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TeamsSaved {
    /// Nothing to save (so the state file leaves the key out).
    pub fn is_empty(&self) -> bool {
        *self == TeamsSaved::default()
    }
}

/// The default workflow: "Post ESG reports to Teams", into "ESG reports" of "Harbour & Pine".
pub fn default_workflow(seed: u64) -> Workflow {
    Workflow {
        id: default_workflow_id(seed),
        name: "Post ESG reports to Teams".into(),
        team: TEAM_NAME.into(),
        channel: CHANNEL_NAME.into(),
        enabled: true,
        deleted: false,
        created_at: "2024-12-02T09:00:00.000Z".into(),
    }
}

impl Teams {
    fn new(seed: u64) -> Self {
        Teams {
            workflows: vec![default_workflow(seed)],
            messages: Vec::new(),
            next_message_id: 1,
            faults: Vec::new(),
            calls: HashMap::new(),
            calls_per_minute: DEFAULT_CALLS_PER_MINUTE,
        }
    }

    /// A live (not deleted) workflow.
    pub fn workflow(&self, id: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.id == id && !w.deleted)
    }

    /// See [`Teams::workflow`].
    pub fn workflow_mut(&mut self, id: &str) -> Option<&mut Workflow> {
        self.workflows.iter_mut().find(|w| w.id == id && !w.deleted)
    }

    /// Counts a call to `workflow`, or says how many seconds until the minute has room.
    pub fn admit(&mut self, workflow: &str, now: Instant) -> Result<(), u64> {
        let limit = self.calls_per_minute.max(1) as usize;
        let window = self.calls.entry(workflow.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= MINUTE)
        {
            window.pop_front();
        }
        if window.len() >= limit {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = MINUTE.saturating_sub(now.saturating_duration_since(oldest));
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        window.push_back(now);
        Ok(())
    }

    /// Forgets the calls counted (after the pace setting changes).
    pub fn reset_calls(&mut self) {
        self.calls.clear();
    }

    /// Takes one call's worth of the first queued fault.
    pub fn take_fault(&mut self) -> Option<Fault> {
        let fault = self.faults.first_mut()?;
        fault.remaining = fault.remaining.saturating_sub(1);
        let taken = fault.clone();
        if fault.remaining == 0 {
            self.faults.remove(0);
        }
        Some(taken)
    }

    /// Keeps a received card (given everything but its id); returns its id.
    pub fn keep(&mut self, mut received: Received) -> u64 {
        received.id = self.next_message_id;
        self.next_message_id += 1;
        let id = received.id;
        self.messages.push(received);
        if self.messages.len() > KEPT_MESSAGES {
            let excess = self.messages.len() - KEPT_MESSAGES;
            self.messages.drain(..excess);
        }
        id
    }
}

/// The stand-in's state behind its lock, with the seed its URLs derive from.
pub struct TeamsShared {
    pub seed: u64,
    inner: Mutex<Teams>,
}

impl TeamsShared {
    /// A fresh stand-in (with its default workflow) whose URLs derive from `seed`.
    pub fn new(seed: u64) -> Self {
        TeamsShared {
            seed,
            inner: Mutex::new(Teams::new(seed)),
        }
    }

    /// A panic in one handler must not wedge the stand-in; the data stays usable.
    pub fn lock(&self) -> MutexGuard<'_, Teams> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What goes in the state file.
    pub fn saved(&self) -> TeamsSaved {
        let teams = self.lock();
        let untouched = default_workflow(self.seed);
        let skip = teams.messages.len().saturating_sub(SAVED_MESSAGES);
        TeamsSaved {
            workflows: teams
                .workflows
                .iter()
                .filter(|w| **w != untouched)
                .cloned()
                .collect(),
            messages: teams.messages[skip..]
                .iter()
                .map(|m| Received {
                    card: elided(&m.card),
                    ..m.clone()
                })
                .collect(),
            next_message_id: if teams.next_message_id > 1 {
                teams.next_message_id
            } else {
                0
            },
            calls_per_minute: (teams.calls_per_minute != DEFAULT_CALLS_PER_MINUTE)
                .then_some(teams.calls_per_minute),
        }
    }

    /// Takes back what a state file kept.
    pub fn restore(&self, saved: TeamsSaved) {
        let mut teams = self.lock();
        for workflow in saved.workflows {
            match teams.workflows.iter_mut().find(|w| w.id == workflow.id) {
                Some(existing) => *existing = workflow,
                None => teams.workflows.push(workflow),
            }
        }
        let highest = saved.messages.iter().map(|m| m.id).max().unwrap_or(0);
        teams.next_message_id = saved.next_message_id.max(highest + 1).max(1);
        teams.messages = saved.messages;
        teams.calls_per_minute = saved.calls_per_minute.unwrap_or(DEFAULT_CALLS_PER_MINUTE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hundred_calls_a_minute_then_throttled() {
        let shared = TeamsShared::new(1);
        let mut teams = shared.lock();
        let t0 = Instant::now();
        for _ in 0..DEFAULT_CALLS_PER_MINUTE {
            assert!(teams.admit("w", t0).is_ok());
        }
        assert_eq!(teams.admit("w", t0), Err(60));
        assert!(teams.admit("other", t0).is_ok());
        assert!(teams.admit("w", t0 + MINUTE).is_ok());
    }

    #[test]
    fn an_untouched_default_workflow_is_not_saved_but_a_deleted_one_is() {
        let shared = TeamsShared::new(3);
        assert!(shared.saved().is_empty());
        let id = default_workflow_id(3);
        shared.lock().workflow_mut(&id).unwrap().deleted = true;
        let saved = shared.saved();
        assert_eq!(saved.workflows.len(), 1);
        let again = TeamsShared::new(3);
        again.restore(saved);
        assert!(again.lock().workflow(&id).is_none());
    }
}
