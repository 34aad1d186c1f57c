use carbonsync_providers::{AuthKind, Catalogue, CatalogueError, Category, RedirectStyle};

const ALL_IDS: [&str; 8] = [
    "xero",
    "quickbooks",
    "aws",
    "azure",
    "gcp",
    "salesforce",
    "slack",
    "teams",
];

#[test]
fn lists_all_eight_platforms() {
    let catalogue = Catalogue::builtin();
    assert_eq!(catalogue.entries().len(), 8);
    for id in ALL_IDS {
        assert!(catalogue.get(id).is_some(), "{id} is missing");
    }
    assert!(catalogue.get("myob").is_none());
}

#[test]
fn covers_all_four_categories() {
    let groups = Catalogue::builtin().by_category();
    let categories: Vec<Category> = groups.iter().map(|(c, _)| *c).collect();
    assert_eq!(categories, Category::ALL.to_vec());
    let ids = |category: Category| -> Vec<&str> {
        groups
            .iter()
            .find(|(c, _)| *c == category)
            .unwrap()
            .1
            .iter()
            .map(|e| e.id.as_str())
            .collect()
    };
    assert_eq!(ids(Category::Accounting), ["xero", "quickbooks"]);
    assert_eq!(ids(Category::Cloud), ["aws", "azure", "gcp"]);
    assert_eq!(ids(Category::Crm), ["salesforce"]);
    assert_eq!(ids(Category::Communication), ["slack", "teams"]);
}

#[test]
fn offers_every_platform_as_available() {
    let available: Vec<&str> = Catalogue::builtin()
        .entries()
        .iter()
        .filter(|e| e.available)
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(
        available,
        [
            "xero",
            "quickbooks",
            "aws",
            "azure",
            "gcp",
            "salesforce",
            "slack",
            "teams"
        ]
    );
}

#[test]
fn says_honestly_that_the_others_are_not_yet_available() {
    for entry in Catalogue::builtin()
        .entries()
        .iter()
        .filter(|e| !e.available)
    {
        let note = entry.status_note.as_deref().unwrap_or_default();
        assert!(
            note.contains("Not yet available in CarbonSync"),
            "{}: {note:?}",
            entry.id
        );
    }
    for id in ["xero", "quickbooks", "aws", "azure", "gcp"] {
        assert_eq!(
            Catalogue::builtin().get(id).unwrap().status_note,
            None,
            "{id}"
        );
    }
}

#[test]
fn gives_every_oauth_platform_an_authorize_and_a_token_endpoint() {
    let oauth: Vec<_> = Catalogue::builtin()
        .entries()
        .iter()
        .filter(|e| e.auth == AuthKind::OAuth)
        .collect();
    assert_eq!(oauth.len(), 4, "xero, quickbooks, salesforce, slack");
    for entry in oauth {
        assert!(entry.production.authorize.is_some(), "{}", entry.id);
        assert!(entry.production.token.is_some(), "{}", entry.id);
        assert_ne!(entry.redirect, RedirectStyle::None, "{}", entry.id);
        assert!(!entry.scopes.is_empty(), "{}", entry.id);
    }
}

#[test]
fn describes_xero_as_the_platform_documents_it() {
    let xero = Catalogue::builtin().get("xero").unwrap();
    assert_eq!(xero.name, "Xero");
    assert_eq!(xero.category, Category::Accounting);
    assert_eq!(xero.auth, AuthKind::OAuth);
    assert_eq!(
        xero.scopes,
        [
            "offline_access",
            "accounting.settings.read",
            "accounting.banktransactions.read",
            "accounting.invoices.read"
        ]
    );
    // Xero refuses custom schemes.
    assert_eq!(xero.redirect, RedirectStyle::Loopback);
    let p = &xero.production;
    assert_eq!(
        p.authorize.as_deref(),
        Some("https://login.xero.com/identity/connect/authorize")
    );
    assert_eq!(
        p.token.as_deref(),
        Some("https://identity.xero.com/connect/token")
    );
    assert_eq!(
        p.revoke.as_deref(),
        Some("https://identity.xero.com/connect/revocation")
    );
    assert_eq!(
        p.api_base.as_deref(),
        Some("https://api.xero.com/api.xro/2.0")
    );
    assert_eq!(
        p.connections.as_deref(),
        Some("https://api.xero.com/connections")
    );
    assert_eq!(xero.page_size, Some(100));
    let limits = xero.rate_limit.as_ref().unwrap();
    assert_eq!(limits.per_minute, Some(60));
    assert_eq!(limits.per_day, Some(5000));
    assert_eq!(limits.scope.as_deref(), Some("tenant"));
    assert!(xero.docs_url.as_deref().unwrap().starts_with("https://"));
}

#[test]
fn picks_the_redirect_style_each_platform_allows() {
    let style = |id: &str| Catalogue::builtin().get(id).unwrap().redirect;
    assert_eq!(style("quickbooks"), RedirectStyle::Loopback);
    assert_eq!(style("salesforce"), RedirectStyle::DeepLink);
    assert_eq!(style("slack"), RedirectStyle::HttpsBounce);
    for id in ["aws", "azure", "gcp", "teams"] {
        assert_eq!(style(id), RedirectStyle::None, "{id}");
    }
}

#[test]
fn resolves_the_xero_sandbox_paths_against_the_sandbox_base_url() {
    let xero = Catalogue::builtin().get("xero").unwrap();
    let resolved = xero.sandbox.resolve_against("http://127.0.0.1:4455/");
    assert_eq!(
        resolved.authorize.as_deref(),
        Some("http://127.0.0.1:4455/xero/identity/connect/authorize")
    );
    assert_eq!(
        resolved.token.as_deref(),
        Some("http://127.0.0.1:4455/xero/identity/connect/token")
    );
    assert_eq!(
        resolved.revoke.as_deref(),
        Some("http://127.0.0.1:4455/xero/identity/connect/revocation")
    );
    assert_eq!(
        resolved.api_base.as_deref(),
        Some("http://127.0.0.1:4455/xero/api/api.xro/2.0")
    );
    assert_eq!(
        resolved.connections.as_deref(),
        Some("http://127.0.0.1:4455/xero/api/connections")
    );
    for url in [resolved.authorize, resolved.token, resolved.api_base] {
        url::Url::parse(&url.unwrap()).unwrap();
    }
}

#[test]
fn keeps_a_base_url_path_prefix_and_absolute_urls_when_resolving() {
    let xero = Catalogue::builtin().get("xero").unwrap();
    let resolved = xero
        .sandbox
        .resolve_against("http://localhost:9000/sandbox");
    assert_eq!(
        resolved.token.as_deref(),
        Some("http://localhost:9000/sandbox/xero/identity/connect/token")
    );
    let production = xero.production.resolve_against("http://localhost:9000");
    assert_eq!(production, xero.production);
}

#[test]
fn labels_categories_and_auth_kinds_for_people() {
    assert_eq!(Category::Crm.to_string(), "CRM");
    assert_eq!(Category::Accounting.to_string(), "Accounting");
    assert_eq!(Category::Communication.to_string(), "Communication");
    assert_eq!(AuthKind::OAuth.to_string(), "OAuth 2.0");
    assert_eq!(RedirectStyle::HttpsBounce.to_string(), "HTTPS bounce page");
}

#[test]
fn serializes_enums_with_the_same_names_as_the_file() {
    let xero = Catalogue::builtin().get("xero").unwrap();
    let json = serde_json::to_value(xero).unwrap();
    assert_eq!(json["category"], "accounting");
    assert_eq!(json["auth"], "oauth");
    assert_eq!(json["redirect"], "loopback");
    let back: carbonsync_providers::ProviderEntry = serde_json::from_value(json).unwrap();
    assert_eq!(&back, xero);
    let teams = serde_json::to_value(Catalogue::builtin().get("teams").unwrap()).unwrap();
    assert_eq!(teams["auth"], "webhook_url");
    assert_eq!(teams["redirect"], "none");
}

const MINIMAL: &str = r#"
[[provider]]
id = "xero"
name = "Xero"
category = "accounting"
auth = "oauth"
available = true
redirect = "loopback"
[provider.production]
authorize = "https://login.xero.com/identity/connect/authorize"
token = "https://identity.xero.com/connect/token"
"#;

#[test]
fn accepts_a_minimal_catalogue() {
    let catalogue = Catalogue::from_toml(MINIMAL).unwrap();
    assert_eq!(catalogue.entries().len(), 1);
    assert!(catalogue.get("xero").unwrap().sandbox.is_empty());
}

#[test]
fn rejects_a_catalogue_that_lists_a_platform_twice() {
    let twice = format!("{MINIMAL}\n{MINIMAL}");
    assert_eq!(
        Catalogue::from_toml(&twice),
        Err(CatalogueError::DuplicateId("xero".into()))
    );
}

#[test]
fn rejects_an_oauth_platform_without_a_token_endpoint() {
    let broken = MINIMAL.replace("token = ", "revoke = ");
    assert!(matches!(
        Catalogue::from_toml(&broken),
        Err(CatalogueError::Invalid { id, .. }) if id == "xero"
    ));
}

#[test]
fn rejects_an_unavailable_platform_without_a_reason() {
    let broken = MINIMAL.replace("available = true", "available = false");
    assert!(matches!(
        Catalogue::from_toml(&broken),
        Err(CatalogueError::Invalid { .. })
    ));
}

#[test]
fn rejects_unknown_fields_and_values() {
    let typo = MINIMAL.replace("redirect = ", "redirect_style = ");
    assert!(matches!(
        Catalogue::from_toml(&typo),
        Err(CatalogueError::Parse(_))
    ));
    let bad_value = MINIMAL.replace("\"accounting\"", "\"erp\"");
    assert!(matches!(
        Catalogue::from_toml(&bad_value),
        Err(CatalogueError::Parse(_))
    ));
}

#[test]
fn rejects_a_sandbox_endpoint_that_is_not_a_path() {
    let broken = format!("{MINIMAL}[provider.sandbox]\ntoken = \"xero/token\"\n");
    assert!(matches!(
        Catalogue::from_toml(&broken),
        Err(CatalogueError::Invalid { .. })
    ));
}
