//! How long Salesforce's OAuth credentials last. An access token is a session id: it has no
//! `expires_in` and simply stops working when the session ends, after which the API answers
//! `INVALID_SESSION_ID` and the client refreshes.

use std::time::Duration;

/// How long an access token (a session) lasts. Source: Salesforce Help, "Set Session
/// Timeout": the org's session timeout defaults to 2 hours. (Salesforce extends a session
/// that is in use; the sandbox ends it 2 hours after issue, and the
/// `/_control/salesforce/sessions/expire` control ends every session at once.)
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(2 * 3600);

/// How long a refresh token lasts. Source: Salesforce Help, "Manage OAuth Access Policies
/// for a Connected App": the default refresh token policy is "Refresh token is valid until
/// revoked". The sandbox stands for "until revoked" with ten years.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
