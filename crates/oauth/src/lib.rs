//! OAuth 2.0 authorization code with PKCE for a native app (RFC 8252, RFC 9700):
//! building the authorization request, checking the answer, exchanging and refreshing
//! tokens, revoking them, and the loopback listener that receives the answer. Public and
//! confidential clients (secret by HTTP Basic or in the form), what a platform adds to the
//! grant (QuickBooks `realmId`, Salesforce `instance_url`), and the client-credentials grant.

mod callback;
mod error;
mod flow;
mod loopback;
mod tokens;

pub use callback::CallbackParams;
pub use error::{describe_ports, OAuthError, PortProblem};
pub use flow::{ClientAuth, OAuthClient, OAuthConfig, PendingAuthorization, RevokeBody};
pub use loopback::LoopbackListener;
pub use tokens::TokenSet;
