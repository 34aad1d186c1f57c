use carbonsync_vault::Sensitive;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tokens of one authorisation. Only ever stored in the keychain.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: Sensitive<String>,
    pub refresh_token: Option<Sensitive<String>>,
    pub expires_at: DateTime<Utc>,
    pub scope: Option<String>,
    /// What the platform said about the grant beyond the tokens, by name: from the callback
    /// (QuickBooks `realmId`, the company) or the token answer (Salesforce `instance_url`, the
    /// API base of the org). Only the names the platform's configuration asks for; never
    /// secret, but kept with the tokens so the grant and its facts travel together.
    pub extras: BTreeMap<String, String>,
}

/// The keychain form of a token set. Private: the only way to it is through
/// [`TokenSet::to_secret`], so secrets cannot be serialised by accident elsewhere.
#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    refresh_token: Option<String>,
    expires_at: DateTime<Utc>,
    scope: Option<String>,
    // Absent from sets stored before extras existed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    extras: BTreeMap<String, String>,
}

impl TokenSet {
    /// True when the access token expires within `margin` (or already has).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at - margin <= Utc::now()
    }

    pub fn to_secret(&self) -> Sensitive<String> {
        let stored = Stored {
            access_token: self.access_token.expose().clone(),
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose().clone()),
            expires_at: self.expires_at,
            scope: self.scope.clone(),
            extras: self.extras.clone(),
        };
        Sensitive::new(serde_json::to_string(&stored).expect("token set serialises"))
    }

    pub fn from_secret(secret: &Sensitive<String>) -> Option<TokenSet> {
        let stored: Stored = serde_json::from_str(secret.expose()).ok()?;
        Some(TokenSet {
            access_token: Sensitive::new(stored.access_token),
            refresh_token: stored.refresh_token.map(Sensitive::new),
            expires_at: stored.expires_at,
            scope: stored.scope,
            extras: stored.extras,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_set_round_trips_through_its_secret_form_and_never_prints() {
        let t = TokenSet {
            access_token: Sensitive::new("at-1".into()),
            refresh_token: Some(Sensitive::new("rt-1".into())),
            expires_at: Utc::now() + Duration::minutes(30),
            scope: Some("offline_access".into()),
            extras: BTreeMap::from([("realmId".to_owned(), "9130".to_owned())]),
        };
        let back = TokenSet::from_secret(&t.to_secret()).unwrap();
        assert_eq!(back.extras["realmId"], "9130");
        assert_eq!(back.access_token.expose(), "at-1");
        assert_eq!(back.refresh_token.unwrap().expose(), "rt-1");
        let printed = format!("{t:?}");
        assert!(!printed.contains("at-1") && !printed.contains("rt-1"));
        assert!(!t.expires_within(Duration::minutes(5)));
        assert!(t.expires_within(Duration::minutes(31)));
    }

    #[test]
    fn a_token_set_stored_before_extras_existed_still_reads() {
        let old = r#"{"access_token":"a","refresh_token":"r","expires_at":"2026-01-01T00:00:00Z","scope":null}"#;
        let back = TokenSet::from_secret(&Sensitive::new(old.to_owned())).unwrap();
        assert!(back.extras.is_empty());
        assert_eq!(back.refresh_token.unwrap().expose(), "r");
    }
}
