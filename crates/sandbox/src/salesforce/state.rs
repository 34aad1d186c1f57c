//! What the Salesforce stand-in keeps: the org's records (built from the generated company on
//! first use), the settings tests steer it with, and the open query cursors. Each part has
//! its own lock and no code holds two at once (nor any of `AppState`'s); none is held across
//! an await.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde_json::{json, Value as Json};

use super::cursors::Cursors;
use super::generate;
use super::org::Org;
use super::soql::Hidden;
use super::time::format_datetime;
use crate::app::AppState;

/// Records per query batch. Source: Salesforce REST API Developer Guide, "Query": results
/// come in batches of up to 2,000 records, with `nextRecordsUrl` for the rest.
pub const DEFAULT_BATCH_SIZE: usize = 2_000;
/// The smallest batch a client may ask for with `Sforce-Query-Options: batchSize=…`. Source:
/// REST API Developer Guide, "Query Options Header": the minimum is 200, the maximum 2,000.
pub const MIN_REQUESTED_BATCH_SIZE: usize = 200;
/// The org's API requests per 24 hours. Source: Salesforce Developer Limits and Allocations
/// Quick Reference, "API Request Limits and Allocations": Enterprise Edition orgs get 100,000
/// requests plus an allocation per user licence.
pub const DEFAULT_DAILY_API_LIMIT: u64 = 100_000;
/// How far back `getDeleted` reaches by default. Source: REST API Developer Guide, "sObject
/// Get Deleted": "results are returned for no more than 15 days previous to the day the call
/// is executed".
pub const DELETED_WINDOW: Duration = Duration::from_secs(15 * 24 * 3600);

/// The settings tests steer the stand-in with (`/_control/salesforce/settings`).
#[derive(Clone, Debug, PartialEq)]
pub struct Knobs {
    /// The most records a query batch holds (a client may ask for fewer, never more).
    pub batch_size: usize,
    pub daily_api_limit: u64,
    /// API requests counted so far. Salesforce counts over a rolling 24 hours; the sandbox
    /// counts from its start or the last reset.
    pub api_requests_used: u64,
    /// The connected app's "rotate refresh tokens" policy: off by default, as at Salesforce.
    pub refresh_token_rotation: bool,
    /// Fields field-level security hides from the signed-in user.
    pub hidden_fields: Hidden,
    /// Where `getDeleted`'s window starts when set; otherwise [`DELETED_WINDOW`] before now.
    pub earliest_deleted_ms: Option<i64>,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            batch_size: DEFAULT_BATCH_SIZE,
            daily_api_limit: DEFAULT_DAILY_API_LIMIT,
            api_requests_used: 0,
            refresh_token_rotation: false,
            hidden_fields: Hidden::new(),
            earliest_deleted_ms: None,
        }
    }
}

impl Knobs {
    /// The earliest deletion `getDeleted` can report, to the minute.
    pub fn earliest_deleted(&self, now_ms: i64) -> i64 {
        let earliest = self
            .earliest_deleted_ms
            .unwrap_or(now_ms - DELETED_WINDOW.as_millis() as i64);
        earliest - earliest.rem_euclid(60_000)
    }

    pub fn to_json(&self, now_ms: i64) -> Json {
        let hidden: BTreeMap<&str, Vec<&str>> = self
            .hidden_fields
            .iter()
            .filter(|(_, fields)| !fields.is_empty())
            .map(|(kind, fields)| (kind.name(), fields.iter().copied().collect()))
            .collect();
        json!({
            "batch_size": self.batch_size,
            "daily_api_limit": self.daily_api_limit,
            "api_requests_used": self.api_requests_used,
            "refresh_token_rotation": self.refresh_token_rotation,
            "hidden_fields": hidden,
            "earliest_deleted": self.earliest_deleted_ms.map(format_datetime),
            "earliest_date_available": format_datetime(self.earliest_deleted(now_ms)),
        })
    }
}

/// The outcome of counting one API request against the daily allocation.
pub struct Usage {
    pub used: u64,
    pub max: u64,
    /// The allocation was already used up: the request is refused (and not counted).
    pub exceeded: bool,
}

impl Usage {
    /// `Sforce-Limit-Info`'s value: `api-usage=25/100000`.
    pub fn header(&self) -> String {
        format!("api-usage={}/{}", self.used, self.max)
    }
}

pub type SalesforceState = Arc<Salesforce>;

pub struct Salesforce {
    pub app: AppState,
    org: OnceLock<Mutex<Org>>,
    knobs: Mutex<Knobs>,
    cursors: Mutex<Cursors>,
}

/// A panic in one handler must not wedge the stand-in; the data stays usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Salesforce {
    pub fn new(app: AppState) -> Self {
        Salesforce {
            app,
            org: OnceLock::new(),
            knobs: Mutex::default(),
            cursors: Mutex::default(),
        }
    }

    /// The org, built from the generated company on first use (a few hundred records: quick
    /// enough to build inline).
    pub fn org(&self) -> MutexGuard<'_, Org> {
        lock(
            self.org
                .get_or_init(|| Mutex::new(generate::build(&self.app.company()))),
        )
    }

    pub fn knobs(&self) -> MutexGuard<'_, Knobs> {
        lock(&self.knobs)
    }

    pub fn cursors(&self) -> MutexGuard<'_, Cursors> {
        lock(&self.cursors)
    }

    /// A copy of the hidden fields, so the org can be read without holding the settings.
    pub fn hidden_fields(&self) -> Hidden {
        self.knobs().hidden_fields.clone()
    }

    /// Counts one API request, unless the daily allocation is used up.
    pub fn count_request(&self) -> Usage {
        let mut knobs = self.knobs();
        let exceeded = knobs.api_requests_used >= knobs.daily_api_limit;
        if !exceeded {
            knobs.api_requests_used += 1;
        }
        Usage {
            used: knobs.api_requests_used,
            max: knobs.daily_api_limit,
            exceeded,
        }
    }

    /// The current usage, without counting anything.
    pub fn usage(&self) -> Usage {
        let knobs = self.knobs();
        Usage {
            used: knobs.api_requests_used,
            max: knobs.daily_api_limit,
            exceeded: knobs.api_requests_used >= knobs.daily_api_limit,
        }
    }
}
