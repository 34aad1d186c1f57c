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
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            detail: None,
            permanent: true,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn transient(mut self) -> Self {
        self.permanent = false;
        self
    }
}

fn capitalised(s: String) -> String {
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
            E::Network { .. } => "network",
            _ => "auth_failed",
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
