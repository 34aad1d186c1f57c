//! What a front end is told when something finishes in the background.

use crate::{AppError, ConnectOutcome};
use carbonsync_sync::SyncReport;
use serde::Serialize;

/// A sync ended, well or not.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncFinished {
    pub connection_id: i64,
    pub report: Option<SyncReport>,
    pub error: Option<AppError>,
}

/// A sign-in that came back through the browser ended, well or not.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConnectResult {
    pub outcome: Option<ConnectOutcome>,
    pub error: Option<AppError>,
}

impl SyncFinished {
    pub fn new(connection_id: i64, result: &Result<SyncReport, AppError>) -> Self {
        match result {
            Ok(r) => Self {
                connection_id,
                report: Some(r.clone()),
                error: None,
            },
            Err(e) => Self {
                connection_id,
                report: None,
                error: Some(e.clone()),
            },
        }
    }
}

impl From<Result<ConnectOutcome, AppError>> for ConnectResult {
    fn from(r: Result<ConnectOutcome, AppError>) -> Self {
        match r {
            Ok(o) => Self {
                outcome: Some(o),
                error: None,
            },
            Err(e) => Self {
                outcome: None,
                error: Some(e),
            },
        }
    }
}
