//! The HTML a user sees in the browser: the consent page and the error page shown when the
//! sandbox cannot safely redirect back to the app.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::grants::AuthRequest;
use super::profile::{Platform, Profile, QUICKBOOKS, SALESFORCE, SLACK};
use crate::company::PROFILES;
use crate::quickbooks::{COMPANY_NAME, REALM_ID};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:38rem;margin:3rem auto;\
padding:0 1rem;color:#1c2a33}.banner{background:#fff4d6;border:1px solid #e0b84c;\
padding:.6rem .8rem;border-radius:6px}h1{font-size:1.4rem}li{margin:.2rem 0}\
button{font-size:1rem;padding:.5rem 1.4rem;margin-right:.6rem;border-radius:6px;\
border:1px solid #345}button[value=approve]{background:#13b5ea;color:#fff;border-color:#0e8fb9}\
code{background:#f0f3f5;padding:0 .2rem}fieldset{border:1px solid #c9d3da;border-radius:6px;\
margin:1rem 0}label{display:block;margin:.3rem 0}.error{color:#a61b1b;font-weight:600}";

const BANNER: &str =
    "CarbonSync sandbox — a local stand-in for Xero, not the real Xero. No real data leaves this machine.";
const QUICKBOOKS_BANNER: &str = "CarbonSync sandbox — a local stand-in for QuickBooks Online, not \
the real QuickBooks. No real data leaves this machine.";
const SALESFORCE_BANNER: &str = "CarbonSync sandbox — a local stand-in for Salesforce (Net Zero \
Cloud), not the real Salesforce. No real data leaves this machine.";
const SLACK_BANNER: &str = "CarbonSync sandbox — a local stand-in for Slack, not the real Slack. \
No message leaves this machine.";

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    page_with(BANNER, status, title, body)
}

fn page_with(banner: &str, status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title} · CarbonSync sandbox</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <p class=\"banner\">{banner}</p>\n{body}\n</body>\n</html>\n",
        title = escape(title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Consent pages carry a one-time request id; keep them out of caches.
            (header::CACHE_CONTROL, "no-store"),
            // No other page may frame these (clickjacking the Approve button): the old
            // header for old browsers, CSP for the rest.
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        ],
        html,
    )
        .into_response()
}

fn describe_scope(scope: &str) -> &'static str {
    match scope {
        "offline_access" => "stay connected when you are not using the app (refresh tokens)",
        "openid" | "profile" | "email" => "know who you are",
        s if s.starts_with("accounting.settings") => {
            "read your chart of accounts and organisation details"
        }
        s if s.starts_with("accounting.banktransactions") => "read your bank transactions",
        s if s.starts_with("accounting.invoices") => "read your invoices and bills",
        s if s.starts_with("accounting.transactions") => "read your transactions",
        s if s.starts_with("accounting.contacts") => "read your contacts",
        s if s.starts_with("accounting.reports") => "read your reports",
        _ => "access this part of your organisation",
    }
}

/// The consent page: one checkbox per organisation (`tenant`, ticked when in `checked`), a
/// hidden `tenant_choice=1` saying the form carries a choice, and `error` above the form when
/// the last answer needs correcting. The `request_id` input stays on one line with `name`
/// before `value`: scripts scrape it with sed to drive the flow without a browser.
pub fn consent(
    request_id: &str,
    request: &AuthRequest,
    checked: &[Uuid],
    error: Option<&str>,
) -> Response {
    let orgs: String = PROFILES
        .iter()
        .map(|p| {
            let tenant = Uuid::parse_str(p.tenant_id).unwrap_or_default();
            format!(
                "<label><input type=\"checkbox\" name=\"tenant\" value=\"{tenant}\"{ticked}> \
                 {name} ({currency})</label>\n",
                ticked = if checked.contains(&tenant) {
                    " checked"
                } else {
                    ""
                },
                name = escape(p.name),
                currency = p.currency,
            )
        })
        .collect();
    let scopes: String = request
        .scope
        .split_whitespace()
        .map(|s| {
            format!(
                "<li><code>{}</code> — {}</li>\n",
                escape(s),
                describe_scope(s)
            )
        })
        .collect();
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Allow CarbonSync to access your organisations?</h1>\n{error}\
         <form method=\"post\" action=\"/xero/identity/connect/authorize/decision\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\n\
         <input type=\"hidden\" name=\"tenant_choice\" value=\"1\">\n\
         <p>The app <strong>CarbonSync</strong> (client <code>{client}</code>) asks to connect to:</p>\n\
         <fieldset>\n<legend>Organisations</legend>\n{orgs}</fieldset>\n\
         <p>It will be able to:</p>\n<ul>\n{scopes}</ul>\n\
         <p>After you decide you will be sent back to <code>{redirect}</code>.</p>\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </form>",
        client = escape(&request.client_id),
        redirect = escape(&request.redirect_uri),
        request_id = escape(request_id),
    );
    page(StatusCode::OK, "Connect CarbonSync", &body)
}

/// Shown instead of redirecting when the client or redirect URI cannot be trusted (RFC 6749
/// §4.1.2.1), or when a consent request cannot be answered.
pub fn error(title: &str, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p>Start the connection again from CarbonSync.</p>",
        escape(title),
        escape(message)
    );
    page(StatusCode::BAD_REQUEST, title, &body)
}

/// [`error`] under the banner of the authorization server `profile` is.
pub fn error_on(profile: &Profile, title: &str, message: &str) -> Response {
    match profile.platform {
        Platform::Xero => error(title, message),
        Platform::QuickBooks | Platform::Salesforce | Platform::Slack => {
            let body = format!(
                "<h1>{}</h1>\n<p>{}</p>\n<p>Start the connection again from CarbonSync.</p>",
                escape(title),
                escape(message)
            );
            let banner = match profile.platform {
                Platform::Salesforce => SALESFORCE_BANNER,
                Platform::Slack => SLACK_BANNER,
                _ => QUICKBOOKS_BANNER,
            };
            page_with(banner, StatusCode::BAD_REQUEST, title, &body)
        }
    }
}

/// Salesforce's "Allow Access?" page: the connected app asks for the scopes listed, and the
/// grant reaches the one org. The `request_id` input stays on one line with `name` before
/// `value`, as on the other pages, for scripts that scrape it.
pub fn salesforce_consent(request_id: &str, request: &AuthRequest) -> Response {
    let scopes: String = request
        .scope
        .split_whitespace()
        .map(|s| {
            let what = match s {
                "api" => "access and manage your data, such as carbon footprints",
                "refresh_token" | "offline_access" => "perform requests at any time",
                "id" | "openid" | "profile" | "email" => "access your basic information",
                _ => "access this part of your org",
            };
            format!("<li><code>{}</code> — {what}</li>\n", escape(s))
        })
        .collect();
    let body = format!(
        "<h1>Allow Access?</h1>\n\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\n\
         <p>The app <strong>CarbonSync</strong> (connected app <code>{client}</code>) asks to \
         connect to the Salesforce org <strong>{org}</strong>.</p>\n\
         <p>It will be able to:</p>\n<ul>\n{scopes}</ul>\n\
         <p>After you decide you will be sent back to <code>{redirect}</code>.</p>\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </form>",
        action = SALESFORCE.decision_path,
        client = escape(&request.client_id),
        org = escape(crate::salesforce::ORG_NAME),
        redirect = escape(&request.redirect_uri),
        request_id = escape(request_id),
    );
    page_with(SALESFORCE_BANNER, StatusCode::OK, "Allow Access?", &body)
}

/// Slack's install page: "CarbonSync is requesting permission to access the Harbour & Pine
/// Slack workspace", the bot scopes asked (Slack writes them comma-separated), Allow and
/// Cancel. The `request_id` input stays on one line with `name` before `value`, as on the
/// other pages, for scripts that scrape it.
pub fn slack_consent(request_id: &str, request: &AuthRequest) -> Response {
    let scopes: String = request
        .scope
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| {
            let what = match s {
                "chat:write" => "send messages as the app",
                "chat:write.public" => "send messages to channels the app is not a member of",
                "channels:read" => "view basic information about public channels",
                "groups:read" => "view basic information about private channels it was added to",
                "files:write" => "upload, edit and delete files as the app",
                "incoming-webhook" => "post messages to a channel you choose",
                _ => "use this part of the workspace",
            };
            format!("<li><code>{}</code> — {what}</li>\n", escape(s))
        })
        .collect();
    let body = format!(
        "<h1>CarbonSync is requesting permission to access the {team} Slack workspace</h1>\n\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\n\
         <p>The app <strong>CarbonSync</strong> (client <code>{client}</code>) would be able \
         to:</p>\n<ul>\n{scopes}</ul>\n\
         <p>After you decide you will be sent back to <code>{redirect}</code>.</p>\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button>\n\
         </form>",
        team = escape(crate::slack::TEAM_NAME),
        action = SLACK.decision_path,
        client = escape(&request.client_id),
        redirect = escape(&request.redirect_uri),
        request_id = escape(request_id),
    );
    page_with(
        SLACK_BANNER,
        StatusCode::OK,
        "Install CarbonSync to Slack",
        &body,
    )
}

/// Intuit's consent page: one company, which the grant will reach (Intuit lets a user pick a
/// company before this page; the sandbox serves one). The `request_id` input stays on one
/// line with `name` before `value`, as on Xero's page, for scripts that scrape it.
pub fn quickbooks_consent(request_id: &str, request: &AuthRequest) -> Response {
    let scopes: String = request
        .scope
        .split_whitespace()
        .map(|s| {
            let what = match s {
                "com.intuit.quickbooks.accounting" => {
                    "read your accounting data: expenses, bills, vendor credits, vendors and \
                     the chart of accounts"
                }
                "openid" | "profile" | "email" => "know who you are",
                _ => "access this part of your company",
            };
            format!("<li><code>{}</code> — {what}</li>\n", escape(s))
        })
        .collect();
    let body = format!(
        "<h1>Connect CarbonSync to QuickBooks</h1>\n\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\n\
         <p>The app <strong>CarbonSync</strong> (client <code>{client}</code>) asks to connect to \
         <strong>{company}</strong> (company ID <code>{REALM_ID}</code>).</p>\n\
         <p>It will be able to:</p>\n<ul>\n{scopes}</ul>\n\
         <p>After you decide you will be sent back to <code>{redirect}</code>.</p>\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Connect</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button>\n\
         </form>",
        action = QUICKBOOKS.decision_path,
        client = escape(&request.client_id),
        company = escape(COMPANY_NAME),
        redirect = escape(&request.redirect_uri),
        request_id = escape(request_id),
    );
    page_with(
        QUICKBOOKS_BANNER,
        StatusCode::OK,
        "Connect CarbonSync to QuickBooks",
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_defuses_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
