//! Wall-clock time in the units the sandbox stores: milliseconds since the Unix epoch, which is
//! also what Xero's `/Date(ms)/` carries and what survives a restart in the state file.

use chrono::Utc;

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}
