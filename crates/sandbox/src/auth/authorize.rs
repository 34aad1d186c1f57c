//! The authorization endpoint and the consent decision (RFC 6749 §4.1, RFC 7636, RFC 8252).

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use url::Url;
use uuid::Uuid;

use super::clients::{is_registered, redirect_allowed};
use super::grants::{all_tenants, AuthRequest};
use super::{pages, pkce};
use crate::app::AppState;
use crate::clock::now_ms;

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
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect_with(request_redirect, &params)
}

fn redirect_code(app: &AppState, request: AuthRequest) -> Response {
    let redirect_uri = request.redirect_uri.clone();
    let state = request.state.clone();
    let code = app.auth().issue_code(request, app.opts.code_ttl, now_ms());
    tracing::info!("authorization approved; code issued");
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = state.as_deref() {
        params.push(("state", state));
    }
    redirect_with(&redirect_uri, &params)
}

/// `GET /xero/identity/connect/authorize`
pub async fn authorize(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    app.count_call("GET /authorize");
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };

    // Until client and redirect URI are trusted, never redirect: that would make the sandbox
    // an open redirector.
    let Some(client_id) = param("client_id").filter(|c| is_registered(c)) else {
        return pages::error(
            "Unknown app",
            "The client_id in this request is missing or not registered with the sandbox.",
        );
    };
    let Some(redirect_uri) = param("redirect_uri").filter(|r| redirect_allowed(r)) else {
        return pages::error(
            "Invalid redirect address",
            "The redirect_uri is missing or not registered for this app. Loopback addresses \
             (127.0.0.1, localhost, [::1]) may use any port, but the path must be /callback.",
        );
    };
    let state = param("state");
    let invalid =
        |description: &str| redirect_error(redirect_uri, state, "invalid_request", description);

    if param("response_type") != Some("code") {
        return invalid("response_type must be code");
    }
    let Some(scope) = param("scope") else {
        return invalid("scope is required");
    };
    let Some(challenge) = param("code_challenge") else {
        return invalid("code_challenge is required: this server requires PKCE");
    };
    if param("code_challenge_method") != Some("S256") {
        return invalid("code_challenge_method must be S256");
    }
    if !pkce::valid_challenge(challenge) {
        return invalid("code_challenge must be 43 base64url characters (S256)");
    }

    let request = AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scope.to_owned(),
        state: state.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        tenants: all_tenants(),
    };
    if app.settings().auto_approve {
        return redirect_code(&app, request);
    }
    let request_id = app.auth().park(request.clone(), now_ms());
    pages::consent(&request_id, &request, &request.tenants, None)
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
    app.count_call("POST /authorize/decision");
    let Ok(Form(form)) = form else {
        return pages::error("Bad request", "The decision form could not be read.");
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let approve = match field("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => return pages::error("Bad request", "The decision must be approve or deny."),
    };
    let chosen = if field("tenant_choice").is_some() {
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
    let Some(mut request) = app.auth().take_pending(request_id, now_ms()) else {
        return pages::error(
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
        redirect_code(&app, request)
    } else {
        tracing::info!("authorization denied by the user");
        redirect_error(
            &request.redirect_uri,
            request.state.as_deref(),
            "access_denied",
            "The user denied access",
        )
    }
}
