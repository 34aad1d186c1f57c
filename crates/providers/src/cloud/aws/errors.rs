//! AWS's errors in words that say what to fix. Only AWS's error code and its short message are
//! kept (AWS never echoes a secret key in them), cleaned and cut like every platform's text.

use aws_sdk_sustainability::error::{
    BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError,
};

use crate::http::clean_text;
use crate::ProviderError;

/// Longest AWS message kept in an error.
const MESSAGE_MAX_CHARS: usize = 200;

/// The call that failed, for messages and for the IAM permission it needs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Operation {
    Emissions,
    DimensionValues,
    CostAndUsage,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Emissions => "GetEstimatedCarbonEmissions",
            Operation::DimensionValues => "GetEstimatedCarbonEmissionsDimensionValues",
            Operation::CostAndUsage => "GetCostAndUsage",
        }
    }

    /// The IAM action that allows it.
    fn permission(self) -> &'static str {
        match self {
            Operation::Emissions => "sustainability:GetEstimatedCarbonEmissions",
            Operation::DimensionValues => {
                "sustainability:GetEstimatedCarbonEmissionsDimensionValues"
            }
            Operation::CostAndUsage => "ce:GetCostAndUsage",
        }
    }
}

/// A request the SDK refused to build (a missing required field).
pub(super) fn build_error(error: BuildError) -> ProviderError {
    ProviderError::InvalidConfig {
        detail: format!("an AWS request could not be built: {error}"),
    }
}

/// Maps what the SDK returned after its retries to a [`ProviderError`].
///
/// - `UnrecognizedClientException` / `InvalidClientTokenId`: AWS does not know the access key
///   id → [`ProviderError::Unauthorized`].
/// - `InvalidSignatureException` / `SignatureDoesNotMatch`: the secret does not belong to the
///   key → [`ProviderError::Unauthorized`].
/// - `ExpiredTokenException`: temporary credentials ran out → [`ProviderError::Unauthorized`].
/// - `AccessDeniedException`: the IAM user or role lacks the operation's permission →
///   [`ProviderError::Forbidden`] naming it.
/// - Throttling still there after every attempt → [`ProviderError::RateLimited`].
/// - Other service errors → [`ProviderError::Server`] with AWS's status, code and message.
/// - No answer → [`ProviderError::Transport`]; an unreadable answer →
///   [`ProviderError::BadResponse`]; credentials that could not be loaded (a missing profile)
///   → [`ProviderError::InvalidConfig`].
pub(super) fn sdk_error<E>(error: SdkError<E>, operation: Operation) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let op = operation.name();
    match &error {
        SdkError::ServiceError(_) => {
            let status = error
                .raw_response()
                .map(|r| r.status().as_u16())
                .unwrap_or_default();
            let code = error.code().unwrap_or("").trim().to_owned();
            let message = error
                .message()
                .map(|m| clean_text(m, MESSAGE_MAX_CHARS))
                .filter(|m| !m.is_empty());
            service_error(operation, status, &code, message.as_deref())
        }
        SdkError::TimeoutError(_) => ProviderError::Transport {
            detail: format!("{op}: AWS did not answer in time"),
        },
        SdkError::DispatchFailure(failure) => {
            let connector = failure.as_connector_error();
            let detail = clean_text(
                &format!("{op}: {}", DisplayErrorContext(&error)),
                MESSAGE_MAX_CHARS * 2,
            );
            if connector.is_some_and(|c| c.is_other() || c.is_user()) {
                // Not the network: the SDK could not sign the request, most often because the
                // profile's credentials could not be loaded.
                ProviderError::InvalidConfig { detail }
            } else {
                ProviderError::Transport { detail }
            }
        }
        SdkError::ResponseError(_) => ProviderError::BadResponse {
            detail: clean_text(
                &format!("{op}: {}", DisplayErrorContext(&error)),
                MESSAGE_MAX_CHARS * 2,
            ),
        },
        SdkError::ConstructionFailure(_) => ProviderError::InvalidConfig {
            detail: clean_text(
                &format!("{op}: {}", DisplayErrorContext(&error)),
                MESSAGE_MAX_CHARS * 2,
            ),
        },
        _ => ProviderError::Transport {
            detail: clean_text(
                &format!("{op}: {}", DisplayErrorContext(&error)),
                MESSAGE_MAX_CHARS * 2,
            ),
        },
    }
}

/// An error answer of AWS, by its code.
fn service_error(
    operation: Operation,
    status: u16,
    code: &str,
    message: Option<&str>,
) -> ProviderError {
    let op = operation.name();
    let aws_says = match message {
        Some(m) => format!("{op}: {code}: {m}"),
        None => format!("{op}: {code}"),
    };
    match code {
        "UnrecognizedClientException" | "InvalidClientTokenId" => ProviderError::Unauthorized {
            detail: format!(
                "AWS does not know this access key id; check that it was copied whole and that \
                 the key is still active in IAM ({aws_says})"
            ),
        },
        "InvalidSignatureException" | "SignatureDoesNotMatch" => ProviderError::Unauthorized {
            detail: format!(
                "the secret access key does not match the access key id; enter the secret shown \
                 when this key was created, or create a new key ({aws_says})"
            ),
        },
        "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => {
            ProviderError::Unauthorized {
                detail: format!(
                    "these temporary credentials have expired; reconnect with new ones, or with \
                     an IAM user's access key, which does not expire ({aws_says})"
                ),
            }
        }
        "MissingAuthenticationTokenException" | "IncompleteSignatureException" => {
            ProviderError::Unauthorized {
                detail: format!("AWS could not read the request's signature ({aws_says})"),
            }
        }
        "AccessDeniedException" | "AccessDenied" => ProviderError::Forbidden {
            detail: format!(
                "the IAM user or role may not call {op}; allow {} in its policy ({aws_says})",
                operation.permission()
            ),
        },
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "LimitExceededException"
        | "RequestLimitExceeded" => ProviderError::RateLimited {
            retry_after: None,
            limit: None,
        },
        _ => ProviderError::Server {
            status,
            detail: aws_says,
        },
    }
}
