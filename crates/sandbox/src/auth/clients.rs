//! The registered clients and where they may be sent back to. Each authorization server
//! (see `profile.rs`) knows its own clients; a client of one is unknown to the other.

use url::Url;

use super::profile::Profile;

/// Loopback redirects may use any port (RFC 8252 §7.3): a desktop app picks a free port at
/// run time, so only scheme, host and path are registered.
const LOOPBACK_REDIRECTS: &[&str] = &[
    "http://127.0.0.1/callback",
    "http://localhost/callback",
    "http://[::1]/callback",
];
const EXACT_REDIRECTS: &[&str] = &["carbonsync://oauth/callback"];

pub fn is_registered_on(profile: &Profile, client_id: &str) -> bool {
    profile.secret_of(client_id).is_some()
}

/// Whether the client holds a secret: only such a client may use the client-credentials grant.
pub fn is_confidential(profile: &Profile, client_id: &str) -> bool {
    matches!(profile.secret_of(client_id), Some(Some(_)))
}

/// Compares two secrets in constant time.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether Xero's authorization server may redirect to `redirect_uri`.
#[cfg(test)]
pub fn redirect_allowed(redirect_uri: &str) -> bool {
    redirect_allowed_on(&super::profile::XERO, redirect_uri)
}

pub fn redirect_allowed_on(profile: &Profile, redirect_uri: &str) -> bool {
    if profile.https_redirects {
        return https_or_loopback(redirect_uri);
    }
    if profile.custom_scheme_redirect && EXACT_REDIRECTS.contains(&redirect_uri) {
        return true;
    }
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return false;
    };
    if url.scheme() != "http" || url.set_port(None).is_err() {
        return false;
    }
    // Compare the whole URL with the port removed, so a query, fragment, user info or a
    // different path still fails the exact match.
    LOOPBACK_REDIRECTS.contains(&url.as_str())
}

/// Slack's rule: an `https://` URL with a host (an app registers its redirect URLs; the
/// sandbox takes any), or, because the sandbox runs on loopback, an `http://` URL on
/// 127.0.0.1, localhost or [::1] at any port and path. Never user info or a fragment, and
/// never a custom scheme such as `carbonsync://`.
fn https_or_loopback(redirect_uri: &str) -> bool {
    let Ok(url) = Url::parse(redirect_uri) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => url.host_str().is_some_and(|h| !h.is_empty()),
        "http" => matches!(
            url.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_takes_https_and_loopback_but_no_custom_scheme() {
        use crate::auth::profile::SLACK;
        for ok in [
            "https://carbonsync.example/bounce/",
            "https://example.org/oauth?x=1",
            "http://127.0.0.1:4000/bounce/",
            "http://localhost:9/anything",
        ] {
            assert!(redirect_allowed_on(&SLACK, ok), "{ok}");
        }
        for bad in [
            "carbonsync://oauth/callback",
            "http://evil.example/callback",
            "https://user@example.org/",
            "https://example.org/#frag",
            "ftp://example.org/",
            "not a url",
        ] {
            assert!(!redirect_allowed_on(&SLACK, bad), "{bad}");
        }
    }

    #[test]
    fn quickbooks_takes_loopback_redirects_but_no_custom_scheme() {
        use crate::auth::profile::QUICKBOOKS;
        assert!(redirect_allowed_on(
            &QUICKBOOKS,
            "http://127.0.0.1:53682/callback"
        ));
        assert!(!redirect_allowed_on(
            &QUICKBOOKS,
            "carbonsync://oauth/callback"
        ));
    }

    #[test]
    fn loopback_redirects_match_on_any_port() {
        for ok in [
            "http://127.0.0.1/callback",
            "http://127.0.0.1:53682/callback",
            "http://localhost:8080/callback",
            "http://[::1]:1/callback",
            "carbonsync://oauth/callback",
        ] {
            assert!(redirect_allowed(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.2:8080/callback",
            "http://evil.example/callback",
            "https://127.0.0.1/callback",
            "http://127.0.0.1:8080/callback/extra",
            "http://127.0.0.1:8080/callback?next=x",
            "http://user@127.0.0.1:8080/callback",
            "carbonsync://oauth/callback/x",
            "not a url",
        ] {
            assert!(!redirect_allowed(bad), "{bad}");
        }
    }
}

/// Who is calling Xero's token or revocation endpoint; see [`authenticate_on`].
#[cfg(test)]
pub fn authenticate(
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<String, (&'static str, &'static str)> {
    authenticate_on(
        &super::profile::XERO,
        authorization,
        form_client_id,
        form_client_secret,
    )
}

/// Who is calling the token or revocation endpoint (RFC 6749 §2.3.1). A public client names
/// itself with `client_id` in the form, or with HTTP Basic and an empty secret (what many
/// OAuth libraries send by default). A confidential client proves itself with its secret, by
/// HTTP Basic or as `client_secret` in the form (one of the two, never both); where the
/// profile says so (Intuit), by HTTP Basic only. Errors are (OAuth error code, description).
pub fn authenticate_on(
    profile: &Profile,
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<String, (&'static str, &'static str)> {
    if profile.basic_auth_only && authorization.is_none() {
        return Err((
            "invalid_client",
            "authenticate with HTTP Basic: Authorization: Basic base64(client_id:client_secret)",
        ));
    }
    let basic = match authorization {
        Some(value) => Some(parse_basic(value).ok_or((
            "invalid_client",
            "the Authorization header is not valid HTTP Basic",
        ))?),
        None => None,
    };
    if basic.is_some() && form_client_secret.is_some() {
        return Err((
            "invalid_request",
            "the client authenticated twice (HTTP Basic and client_secret); use one method",
        ));
    }
    let (client_id, secret) = match (basic, form_client_id) {
        (Some((id, _)), Some(form)) if id != form => {
            return Err((
                "invalid_request",
                "client_id in the form differs from the Authorization header",
            ))
        }
        (Some((id, secret)), _) => (id, secret),
        (None, Some(form)) => (form.to_owned(), form_client_secret.unwrap_or("").to_owned()),
        (None, None) => return Err(("invalid_client", "client_id is required")),
    };
    match profile.secret_of(&client_id) {
        None => Err(("invalid_client", "unknown client_id")),
        Some(None) if !secret.is_empty() => Err((
            "invalid_client",
            "this client is public and has no secret; send client_id only",
        )),
        Some(Some(_)) if secret.is_empty() => Err((
            "invalid_client",
            "this client is confidential: authenticate with its client secret",
        )),
        Some(Some(expected)) if !same_secret(&secret, expected) => {
            Err(("invalid_client", "the client secret is wrong"))
        }
        Some(_) => Ok(client_id),
    }
}

/// (client id, secret) from `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(value: &str) -> Option<(String, String)> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod auth_tests {
    use super::*;
    use crate::auth::profile::QUICKBOOKS;
    use crate::options::{
        CLIENT_ID, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, QUICKBOOKS_CLIENT_ID,
        QUICKBOOKS_CLIENT_SECRET,
    };
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    fn basic(creds: &str) -> String {
        format!("Basic {}", STANDARD.encode(creds))
    }

    #[test]
    fn a_public_client_names_itself_in_the_form_or_with_an_empty_basic_secret() {
        assert_eq!(
            authenticate(None, Some(CLIENT_ID), None).unwrap(),
            CLIENT_ID
        );
        let header = basic(&format!("{CLIENT_ID}:"));
        assert_eq!(authenticate(Some(&header), None, None).unwrap(), CLIENT_ID);
        assert_eq!(
            authenticate(Some(&header), Some(CLIENT_ID), None).unwrap(),
            CLIENT_ID
        );
    }

    #[test]
    fn unknown_clients_secrets_and_mismatches_are_refused() {
        assert_eq!(
            authenticate(None, None, None).unwrap_err().0,
            "invalid_client"
        );
        assert_eq!(
            authenticate(None, Some("other"), None).unwrap_err().0,
            "invalid_client"
        );
        let with_secret = basic(&format!("{CLIENT_ID}:s3cret"));
        assert_eq!(
            authenticate(Some(&with_secret), None, None).unwrap_err().0,
            "invalid_client"
        );
        let header = basic(&format!("{CLIENT_ID}:"));
        assert_eq!(
            authenticate(Some(&header), Some("other"), None)
                .unwrap_err()
                .0,
            "invalid_request"
        );
        assert_eq!(
            authenticate(Some("Bearer x"), None, None).unwrap_err().0,
            "invalid_client"
        );
    }

    #[test]
    fn a_confidential_client_proves_itself_with_its_secret_by_basic_or_form() {
        let id = CONFIDENTIAL_CLIENT_ID;
        let right = basic(&format!("{id}:{CONFIDENTIAL_CLIENT_SECRET}"));
        assert_eq!(authenticate(Some(&right), None, None).unwrap(), id);
        assert_eq!(
            authenticate(None, Some(id), Some(CONFIDENTIAL_CLIENT_SECRET)).unwrap(),
            id
        );
        let wrong = basic(&format!("{id}:guess"));
        assert_eq!(
            authenticate(Some(&wrong), None, None).unwrap_err(),
            ("invalid_client", "the client secret is wrong")
        );
        assert_eq!(
            authenticate(None, Some(id), None).unwrap_err().0,
            "invalid_client",
            "no secret at all"
        );
        assert_eq!(
            authenticate(Some(&right), None, Some(CONFIDENTIAL_CLIENT_SECRET))
                .unwrap_err()
                .0,
            "invalid_request",
            "two methods at once"
        );
    }

    #[test]
    fn the_quickbooks_client_authenticates_by_basic_only_and_only_there() {
        let right = basic(&format!(
            "{QUICKBOOKS_CLIENT_ID}:{QUICKBOOKS_CLIENT_SECRET}"
        ));
        assert_eq!(
            authenticate_on(&QUICKBOOKS, Some(&right), None, None).unwrap(),
            QUICKBOOKS_CLIENT_ID
        );
        assert_eq!(
            authenticate_on(
                &QUICKBOOKS,
                None,
                Some(QUICKBOOKS_CLIENT_ID),
                Some(QUICKBOOKS_CLIENT_SECRET)
            )
            .unwrap_err()
            .0,
            "invalid_client",
            "Intuit takes the secret by HTTP Basic only"
        );
        let xero = basic(&format!(
            "{CONFIDENTIAL_CLIENT_ID}:{CONFIDENTIAL_CLIENT_SECRET}"
        ));
        assert_eq!(
            authenticate_on(&QUICKBOOKS, Some(&xero), None, None)
                .unwrap_err()
                .1,
            "unknown client_id"
        );
        assert_eq!(
            authenticate(Some(&right), None, None).unwrap_err().1,
            "unknown client_id",
            "Xero does not know the QuickBooks app"
        );
    }
}
