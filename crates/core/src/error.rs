use serde::Serialize;

/// The error a user sees: a stable code the UI can act on, a message that says what
/// happened and what to do, and the technical detail behind a toggle. None of the
/// three ever holds a token or key.
#[derive(Debug, Clone, Serialize, thiserror::Error, ts_rs::TS)]
#[ts(export)]
#[error("{message}")]
pub struct AppError {
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    /// Trying again without doing anything will not help.
    pub permanent: bool,
}

impl AppError {
    /// A permanent error with a stable `code` (snake_case, the UI's key for a heading) and
    /// a message that says what happened and what to do.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            detail: None,
            permanent: true,
        }
    }

    /// Adds the technical detail shown behind a toggle; never a token or key.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Marks the error as one that trying again later may fix.
    pub fn transient(mut self) -> Self {
        self.permanent = false;
        self
    }
}

/// "The …" from "the …": an error's words as the start of a message.
pub(crate) fn capitalised(s: String) -> String {
    let mut s = s;
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

impl From<carbonsync_sync::SyncError> for AppError {
    fn from(e: carbonsync_sync::SyncError) -> Self {
        AppError {
            code: e.code().into(),
            message: e.user_message(),
            detail: Some(format!("{e:?}")),
            permanent: e.is_permanent(),
        }
    }
}

impl From<carbonsync_oauth::OAuthError> for AppError {
    fn from(e: carbonsync_oauth::OAuthError) -> Self {
        use carbonsync_oauth::OAuthError as E;
        let code = match &e {
            E::Denied { .. } => "access_denied",
            E::CallbackError { .. } => "callback_error",
            E::StateMismatch => "state_mismatch",
            E::MissingCode => "missing_code",
            E::Timeout { .. } => "timeout",
            E::InvalidGrant { .. } => "invalid_grant",
            E::CodeRejected { .. } => "code_rejected",
            E::Network { .. } => "network",
            E::Refused { .. } => "platform_refused",
            E::BadResponse { .. } => "bad_response",
            E::Config { .. } => "config",
            E::PortsUnavailable { .. } => "redirect_ports_unavailable",
            E::Listener(_) => "auth_failed",
        };
        AppError {
            code: code.into(),
            message: capitalised(e.to_string()),
            detail: Some(format!("{e:?}")),
            permanent: e.is_permanent(),
        }
    }
}

impl From<carbonsync_store::StoreError> for AppError {
    fn from(e: carbonsync_store::StoreError) -> Self {
        use carbonsync_store::StoreError as E;
        let code = match &e {
            E::DiskFull => "disk_full",
            E::TooNew { .. } => "database_too_new",
            E::NoSuchConnection(_) => "no_such_connection",
            E::NotFound {
                what: "destination",
                ..
            } => "no_such_destination",
            E::NotFound { .. } => "not_found",
            E::Refused(_) => "refused",
            _ => "database",
        };
        AppError {
            code: code.into(),
            message: capitalised(e.to_string()),
            detail: Some(format!("{e:?}")),
            permanent: !matches!(e, E::DiskFull),
        }
    }
}

impl From<carbonsync_vault::VaultError> for AppError {
    fn from(e: carbonsync_vault::VaultError) -> Self {
        AppError {
            code: "keychain".into(),
            message: capitalised(e.to_string()),
            detail: Some(format!("{e:?}")),
            permanent: true,
        }
    }
}

impl From<carbonsync_providers::ProviderError> for AppError {
    fn from(e: carbonsync_providers::ProviderError) -> Self {
        AppError::from(carbonsync_sync::SyncError::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbonsync_oauth::OAuthError;

    #[test]
    fn sign_in_failures_keep_words_that_fit_and_codes_the_window_knows() {
        let grant = || OAuthError::InvalidGrant {
            provider: "Xero".into(),
            detail: String::new(),
        };
        let at_sign_in = AppError::from(grant().at_code_exchange());
        assert_eq!(at_sign_in.code, "code_rejected");
        assert!(
            at_sign_in
                .message
                .starts_with("Xero could not use the sign-in answer"),
            "{}",
            at_sign_in.message
        );
        assert!(at_sign_in.permanent);
        let at_refresh = AppError::from(grant());
        assert_eq!(at_refresh.code, "invalid_grant");
        assert!(
            at_refresh.message.contains("revoked"),
            "{}",
            at_refresh.message
        );

        let refused = AppError::from(OAuthError::Refused {
            provider: "Xero".into(),
            code: "invalid_client".into(),
            description: None,
        });
        assert_eq!(refused.code, "platform_refused");
        let network = AppError::from(OAuthError::Network {
            provider: "Xero".into(),
            detail: "connection refused".into(),
        });
        assert_eq!(network.code, "network");
        assert!(!network.permanent, "a network failure may pass");
        let timeout = AppError::from(OAuthError::Timeout { seconds: 300 });
        assert!(timeout.message.starts_with("No answer from the browser"));
    }
}
