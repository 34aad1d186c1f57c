//! The authorization endpoint and the consent decision (RFC 6749 §4.1, RFC 7636, RFC 8252), for
//! every authorization server: Xero's (PKCE required, a choice of organisations), Intuit's
//! (PKCE verified when sent, one company, `realmId` on the callback) and Salesforce's (PKCE
//! required, one org) and Slack's (OAuth v2: no `response_type`, redirects to https only,
//! PKCE verified when sent, one workspace).

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use url::Url;
use uuid::Uuid;

use super::clients::{is_registered_on, redirect_allowed_on};
use super::grants::{all_tenants, AuthRequest};
use super::profile::{Platform, Profile, QUICKBOOKS, SALESFORCE, SLACK, XERO};
use super::{pages, pkce};
use crate::app::AppState;
use crate::clock::now_ms;
use crate::quickbooks::REALM_ID;

/// A 302 back to the client with `params` appended to whatever query its URI already has.
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        // Only registered URIs get here, and they all parse; this is a safety net.
        return pages::error(
            "Invalid redirect",
            "The app's redirect address is not a URL.",
        );
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
    }
    let Ok(location) = HeaderValue::from_str(url.as_str()) else {
        return pages::error(
            "Invalid redirect",
            "The app's redirect address is not usable.",
        );
    };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

fn redirect_error(
    request_redirect: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    let mut params = vec![("error", error)];
    if !description.is_empty() {
        params.push(("error_description", description));
    }
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect_with(request_redirect, &params)
}

/// The approval answer: `code` and `state`, and at Intuit the company connected as `realmId`.
fn redirect_code(app: &AppState, profile: &Profile, request: AuthRequest) -> Response {
    let redirect_uri = request.redirect_uri.clone();
    let state = request.state.clone();
    let code = app.auth().issue_code(request, app.opts.code_ttl, now_ms());
    tracing::info!(platform = ?profile.platform, "authorization approved; code issued");
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = state.as_deref() {
        params.push(("state", state));
    }
    if profile.platform == Platform::QuickBooks {
        params.push(("realmId", REALM_ID));
    }
    redirect_with(&redirect_uri, &params)
}

/// `GET /xero/identity/connect/authorize`
pub async fn authorize(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    authorize_on(&XERO, &app, &params)
}

/// `GET /quickbooks/oauth2/authorize`
pub async fn quickbooks_authorize(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    authorize_on(&QUICKBOOKS, &app, &params)
}

/// `GET /salesforce/services/oauth2/authorize`
pub async fn salesforce_authorize(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    authorize_on(&SALESFORCE, &app, &params)
}

/// `GET /slack/oauth/v2/authorize`
pub async fn slack_authorize(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    authorize_on(&SLACK, &app, &params)
}

fn authorize_on(
    profile: &'static Profile,
    app: &AppState,
    params: &HashMap<String, String>,
) -> Response {
    app.count_call(profile.calls.authorize);
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };

    // Until client and redirect URI are trusted, never redirect: that would make the sandbox
    // an open redirector.
    let Some(client_id) = param("client_id").filter(|c| is_registered_on(profile, c)) else {
        return pages::error_on(
            profile,
            "Unknown app",
            "The client_id in this request is missing or not registered with the sandbox.",
        );
    };
    let Some(redirect_uri) = param("redirect_uri").filter(|r| redirect_allowed_on(profile, r))
    else {
        if profile.https_redirects {
            // Slack's own words for it.
            return pages::error_on(
                profile,
                "bad_redirect_uri",
                "The redirect_uri is missing or not allowed: Slack sends a sign-in back to an \
                 https:// address only (the sandbox also takes http:// on 127.0.0.1 or \
                 localhost, where it runs). A carbonsync:// address must go through an https \
                 bounce page.",
            );
        }
        return pages::error_on(
            profile,
            "Invalid redirect address",
            "The redirect_uri is missing or not registered for this app. Loopback addresses \
             (127.0.0.1, localhost, [::1]) may use any port, but the path must be /callback.",
        );
    };
    let state = param("state");
    let invalid =
        |description: &str| redirect_error(redirect_uri, state, "invalid_request", description);

    if profile.response_type_required && param("response_type") != Some("code") {
        return invalid("response_type must be code");
    }
    let Some(scope) = param("scope") else {
        return invalid("scope is required");
    };
    if let Some(required) = profile.required_scope {
        if !scope.split_whitespace().any(|s| s == required) {
            return redirect_error(
                redirect_uri,
                state,
                "invalid_scope",
                &format!("the scope must include {required}"),
            );
        }
    }
    let challenge = match param("code_challenge") {
        None if profile.pkce_required => {
            return invalid("code_challenge is required: this server requires PKCE")
        }
        // Intuit ignores PKCE; without a challenge there is nothing to verify later.
        None => "",
        Some(challenge) => {
            if param("code_challenge_method") != Some("S256") {
                return invalid("code_challenge_method must be S256");
            }
            if !pkce::valid_challenge(challenge) {
                return invalid("code_challenge must be 43 base64url characters (S256)");
            }
            challenge
        }
    };

    let request = AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scope.to_owned(),
        state: state.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        tenants: match profile.platform {
            Platform::Xero => all_tenants(),
            Platform::QuickBooks | Platform::Salesforce | Platform::Slack => Vec::new(),
        },
    };
    if app.settings().auto_approve {
        return redirect_code(app, profile, request);
    }
    let request_id = app.auth().park(request.clone(), now_ms());
    match profile.platform {
        Platform::Xero => pages::consent(&request_id, &request, &request.tenants, None),
        Platform::QuickBooks => pages::quickbooks_consent(&request_id, &request),
        Platform::Salesforce => pages::salesforce_consent(&request_id, &request),
        Platform::Slack => pages::slack_consent(&request_id, &request),
    }
}

/// The organisations ticked on the consent form, in the order `/connections` lists them;
/// `None` when a value is not one of ours.
fn chosen_tenants(form: &[(String, String)]) -> Option<Vec<Uuid>> {
    let all = all_tenants();
    let mut chosen = Vec::new();
    for (_, value) in form.iter().filter(|(k, _)| k == "tenant") {
        let tenant = Uuid::parse_str(value.trim())
            .ok()
            .filter(|t| all.contains(t))?;
        chosen.push(tenant);
    }
    Some(all.into_iter().filter(|t| chosen.contains(t)).collect())
}

/// `POST /xero/identity/connect/authorize/decision` from the consent page's form.
///
/// The page posts `tenant_choice=1` with one `tenant` field per ticked organisation, and the
/// grant reaches only those (none ticked: the page again, asking for one). A client that
/// posts only `request_id` and `decision` gets a grant for every organisation.
pub async fn decision(
    State(app): State<AppState>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    decision_on(&XERO, &app, form)
}

/// `POST /quickbooks/oauth2/authorize/decision`: `request_id` and `decision=approve|deny`; the
/// grant reaches the one company.
pub async fn quickbooks_decision(
    State(app): State<AppState>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    decision_on(&QUICKBOOKS, &app, form)
}

/// `POST /salesforce/services/oauth2/authorize/decision`: `request_id` and
/// `decision=approve|deny`; the grant reaches the one org.
pub async fn salesforce_decision(
    State(app): State<AppState>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    decision_on(&SALESFORCE, &app, form)
}

/// `POST /slack/oauth/v2/authorize/decision`: `request_id` and `decision=approve|deny`; the
/// grant reaches the one workspace. A denial comes back as `error=access_denied&state=…`.
pub async fn slack_decision(
    State(app): State<AppState>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    decision_on(&SLACK, &app, form)
}

fn decision_on(
    profile: &'static Profile,
    app: &AppState,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    app.count_call(profile.calls.decision);
    let Ok(Form(form)) = form else {
        return pages::error_on(
            profile,
            "Bad request",
            "The decision form could not be read.",
        );
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let approve = match field("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return pages::error_on(
                profile,
                "Bad request",
                "The decision must be approve or deny.",
            )
        }
    };
    let chosen = if profile.platform == Platform::Xero && field("tenant_choice").is_some() {
        match chosen_tenants(&form) {
            Some(chosen) => Some(chosen),
            None => {
                return pages::error(
                    "Unknown organisation",
                    "The consent form named an organisation this sandbox does not serve.",
                )
            }
        }
    } else {
        None
    };
    let request_id = field("request_id").unwrap_or("");
    // A request parked by the other server is not this server's to answer.
    let pending = app
        .auth()
        .take_pending(request_id, now_ms())
        .filter(|r| is_registered_on(profile, &r.client_id));
    let Some(mut request) = pending else {
        return pages::error_on(
            profile,
            "This request has expired",
            "This consent request is unknown, too old, or was already answered.",
        );
    };
    if approve {
        if let Some(chosen) = chosen {
            if chosen.is_empty() {
                // The answered request is spent; the page comes back under a new one.
                let request_id = app.auth().park(request.clone(), now_ms());
                return pages::consent(
                    &request_id,
                    &request,
                    &[],
                    Some("Choose at least one organisation."),
                );
            }
            request.tenants = chosen;
        }
        redirect_code(app, profile, request)
    } else {
        tracing::info!(platform = ?profile.platform, "authorization denied by the user");
        // Intuit's denial carries the error and state only.
        let description = match profile.platform {
            Platform::Xero => "The user denied access",
            Platform::QuickBooks | Platform::Slack => "",
            Platform::Salesforce => "end-user denied authorization",
        };
        redirect_error(
            &request.redirect_uri,
            request.state.as_deref(),
            "access_denied",
            description,
        )
    }
}
