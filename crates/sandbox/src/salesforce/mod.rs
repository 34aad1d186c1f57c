//! A stand-in for Salesforce with Net Zero Cloud: the login host's OAuth 2.0 web-server flow
//! with PKCE, and an org's REST API holding carbon footprints built from the generated
//! company.
//!
//! Login host, under `/salesforce/services/oauth2`: `authorize` (and the consent form's
//! `authorize/decision`), `token`, `revoke`; the identity URL is `/salesforce/id/{org}/{user}`.
//!
//! The org's instance URL is `{base}/salesforce/instance`, so API calls go to
//! `{instance_url}/services/data/v62.0/…`: `query?q=<SOQL>` and `query/<locator>`,
//! `sobjects/<Object>/deleted/?start=…&end=…`, `PATCH sobjects/<Object>/<ExternalIdField>/<value>`
//! and `limits`. Objects: `StnryAssetEnvrSrc`, `StnryAssetCrbnFtprnt`, `VehicleAssetEmssnSrc`,
//! `VehicleAssetCrbnFtprnt`, `Scope3CrbnFtprnt`, and `Scope3PcmtSummary`, the export target.
//!
//! Test controls live under `/_control/salesforce` (`control.rs`). The org is built on first
//! use; its records, exports and settings last as long as the sandbox runs (grants and tokens
//! are kept with the other platforms' and saved in the state file).

mod api;
mod control;
mod cursors;
mod errors;
mod gate;
mod generate;
mod ids;
mod oauth;
mod org;
mod schema;
pub mod session;
mod soql;
mod state;
mod time;
mod value;

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, patch, post};
use axum::Router;

use crate::app::AppState;
use state::Salesforce;

/// The connected app CarbonSync signs in with: it holds a secret, given in the token
/// request's form or by HTTP Basic. The secret is the sandbox's own test value, published
/// here on purpose; a real secret never appears in code.
pub const CLIENT_ID: &str = "carbonsync-sandbox-salesforce";
/// See [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "sandbox-salesforce-secret";
/// The org's name, shown on the consent page.
pub const ORG_NAME: &str = "CarbonSync Demo Group";

/// The newest REST API version served: 62.0 is Winter '25 (Salesforce's release notes; the
/// Net Zero Cloud Developer Guide lists "Winter '25 (API version 62.0)").
pub const API_VERSION: &str = "62.0";
/// The oldest REST API version served. Source: Salesforce retired API versions 21.0 through
/// 30.0 in Summer '25, so 31.0 is the oldest a client can still call.
pub const OLDEST_API_VERSION: &str = "31.0";

/// The login host's OAuth endpoints.
pub const LOGIN_PATH: &str = "/salesforce/services/oauth2";
/// Where the identity URLs live.
pub const IDENTITY_PATH: &str = "/salesforce/id";
/// The org's instance URL, after the sandbox's base URL.
pub const INSTANCE_PATH: &str = "/salesforce/instance";
/// The REST API's root under the instance; the version follows.
pub const DATA_PATH: &str = "/salesforce/instance/services/data";

pub fn routes(app: AppState) -> Router<AppState> {
    let sf = Arc::new(Salesforce::new(app));
    // The consent half is the sandbox's shared authorization server.
    let consent = Router::new()
        .route(
            &format!("{LOGIN_PATH}/authorize"),
            get(crate::auth::salesforce_authorize),
        )
        .route(
            &format!("{LOGIN_PATH}/authorize/decision"),
            post(crate::auth::salesforce_decision),
        );
    let api = Router::new()
        .route(&format!("{DATA_PATH}/{{version}}/query"), get(api::query))
        .route(&format!("{DATA_PATH}/{{version}}/query/"), get(api::query))
        .route(
            &format!("{DATA_PATH}/{{version}}/query/{{locator}}"),
            get(api::query_more),
        )
        .route(
            &format!("{DATA_PATH}/{{version}}/sobjects/{{object}}/deleted"),
            get(api::deleted),
        )
        .route(
            &format!("{DATA_PATH}/{{version}}/sobjects/{{object}}/deleted/"),
            get(api::deleted),
        )
        .route(
            &format!("{DATA_PATH}/{{version}}/sobjects/{{object}}/{{field}}/{{value}}"),
            patch(api::upsert),
        )
        .route(&format!("{DATA_PATH}/{{version}}/limits"), get(api::limits))
        .route(
            &format!("{DATA_PATH}/{{version}}/limits/"),
            get(api::limits),
        )
        // route_layer: an unknown path is a plain 404, not a 401 suggesting it exists.
        .route_layer(from_fn_with_state(sf.clone(), gate::gate));
    let own = Router::new()
        .route(&format!("{LOGIN_PATH}/token"), post(oauth::token))
        .route(
            &format!("{LOGIN_PATH}/revoke"),
            post(oauth::revoke).get(oauth::revoke),
        )
        .route(
            &format!("{IDENTITY_PATH}/{{org}}/{{user}}"),
            get(oauth::identity),
        )
        .merge(api)
        .merge(control::routes())
        .with_state(sf);
    consent.merge(own)
}
