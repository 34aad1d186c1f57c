//! The configuration file's rules, as `App::open` and Settings apply them: every
//! value checked when the file is read, and what Settings writes read back by the
//! same rules.

use carbonsync_core::{App, Config, OpenOptions, Sensitive};
use std::path::Path;

const FILE: &str = "/home/finance/.config/carbonsync/carbonsync.toml";

fn refusal(text: &str) -> String {
    match Config::parse(text, Path::new(FILE)) {
        Ok(c) => panic!("accepted {text:?} as {c:?}"),
        Err(e) => {
            assert_eq!(e.code, "config", "{}", e.message);
            e.message
        }
    }
}

#[test]
fn each_wrong_value_is_refused_naming_the_file_the_key_its_line_and_what_is_allowed() {
    let cases: &[(&str, &str)] = &[
        (
            "[sync]\ndefault_frequency = \"sometimes\"\n",
            "at line 2: [sync] default_frequency `sometimes` is not a frequency; use manual, 15m, hourly, 6h, daily or a six-field cron expression",
        ),
        (
            "[sync]\ndefault_frequency = \"0 0 25 * * *\"\n",
            "[sync] default_frequency `0 0 25 * * *` is not a valid cron expression",
        ),
        (
            "[sandbox]\nurl = \"not a url\"\n",
            "at line 2: [sandbox] url `not a url` is not a URL",
        ),
        (
            "[sandbox]\nurl = \"mailto:ops@example.com\"\n",
            "[sandbox] url `mailto:ops@example.com` is a mailto: URL; use an http:// or https:// URL",
        ),
        (
            "[providers.xero]\ntoken_url = \"/connect/token\"\n",
            "at line 2: [providers.xero] token_url `/connect/token` is not a URL",
        ),
        (
            "[providers.xeroo]\n",
            "at line 1: [providers.xeroo] is not a platform CarbonSync knows; use one of xero, quickbooks",
        ),
        (
            "[providers.xero]\npage_size = 0\n",
            "at line 2: [providers.xero] page_size 0 is outside what Xero serves: use 1 to 1000 records a page",
        ),
        (
            "[providers.xero]\npage_size = 1001\n",
            "at line 2: [providers.xero] page_size 1001 is outside what Xero serves: use 1 to 1000",
        ),
        (
            "[providers.quickbooks]\npage_size = 0\n",
            "[providers.quickbooks] page_size 0 is outside what QuickBooks serves: use 1 to 1000 records a page",
        ),
        (
            "[providers.xero]\nclient_id = \"  \"\n",
            "at line 2: [providers.xero] client_id is empty: give the client id",
        ),
        (
            "[providers.xero]\nredirect = \"carrier_pigeon\"\n",
            "[providers.xero] redirect: unknown variant `carrier_pigeon`, expected one of `deep_link`, `loopback`, `https_bounce`, `none`",
        ),
        (
            "[providers.xero]\nscopes = [\"accounting.transactions offline_access\"]\n",
            "[providers.xero] scopes holds `accounting.transactions offline_access`, which is not a scope",
        ),
        (
            "[sync]\nmax_retry_wait_secs = 0\n",
            "at line 2: [sync] max_retry_wait_secs 0 is out of range: use 1 to 3600 seconds",
        ),
        (
            "[sync]\nrefresh_margin_secs = 7200\n",
            "[sync] refresh_margin_secs 7200 is out of range: use 0 to 3600 seconds",
        ),
        (
            "[sync]\nmax_attempts = 100\n",
            "[sync] max_attempts 100 is out of range: use 1 to 20 attempts",
        ),
        (
            "[sandbox]\nrecords_per_org = 0\n",
            "[sandbox] records_per_org 0 is out of range: use 1 to 1000000 records",
        ),
        (
            "[emissions]\nmapping_file = \"/nonexistent/my-accounts.csv\"\n",
            "at line 2: [emissions] mapping_file /nonexistent/my-accounts.csv is not a file",
        ),
        (
            "[emissions.mapping_files]\nquickbooks = \"/nonexistent/qbo.csv\"\n",
            "at line 2: [emissions.mapping_files] quickbooks /nonexistent/qbo.csv is not a file",
        ),
        (
            "[emissions.mapping_files]\nquikbooks = \"/etc/hostname\"\n",
            "[emissions.mapping_files] quikbooks is not a platform CarbonSync knows; use one of",
        ),
        (
            "[sync]\nrefresh_margn_secs = 5\n",
            "at line 2: [sync] refresh_margn_secs: unknown key `refresh_margn_secs`, expected one of `refresh_margin_secs`",
        ),
        (
            "[sandbox]\n[synk]\nmax_attempts = 2\n",
            "at line 2: [synk]: unknown section `synk`, expected one of `sandbox`, `providers`, `sync`, `emissions`",
        ),
        (
            "[sync]\nmax_attempts = \"six\"\n",
            "at line 2: [sync] max_attempts: invalid type: string \"six\", expected a whole number",
        ),
        (
            "[providers]\nxero = \"ABC\"\n",
            "at line 2: [providers] xero: invalid type: string \"ABC\", expected a section of keys",
        ),
        (
            "sync = 5\n",
            "at line 1: sync: invalid type: integer `5`, expected a section of keys",
        ),
        (
            "[providers.xero]\nredirect_ports = 53682\n",
            "[providers.xero] redirect_ports: invalid type: integer `53682`, expected a list such as",
        ),
        (
            "verbose = true\n",
            "at line 1: verbose: unknown key `verbose`, expected one of `sandbox`, `providers`, `sync`, `emissions`",
        ),
    ];
    for (text, says) in cases {
        let message = refusal(text);
        assert!(
            message.starts_with(&format!("The configuration file {FILE} is not valid")),
            "{message}"
        );
        assert!(
            message.contains(says),
            "{text:?}:\n{message}\nlacks\n{says}"
        );
        assert!(message.ends_with("Correct it and run again."), "{message}");
    }
}

#[test]
fn a_secret_written_into_the_file_is_refused_without_being_repeated() {
    let message =
        refusal("[providers.xero]\nclient_id = \"ABC\"\nclient_secret = \"s3cr3t-value\"\n");
    assert!(
        message.contains("at line 3: [providers.xero] client_secret: a client secret is never read from this file: remove the line and enter the secret in the window's Settings, which keeps it in the keychain"),
        "{message}"
    );
    assert!(!message.contains("s3cr3t-value"), "{message}");
    let message = refusal("[sandbox]\nurl = \"https://ops:s3cr3t-value@sandbox.example\"\n");
    assert!(
        message.contains("[sandbox] url carries a user name or password"),
        "{message}"
    );
    assert!(!message.contains("s3cr3t-value"), "{message}");
}

#[test]
fn valid_values_are_read_as_written() {
    let config = Config::parse(
        "[sandbox]\nurl = \"http://127.0.0.1:4010\"\nrecords_per_org = 200\nseed = 7\n\n\
         [providers.xero]\nclient_id = \"ABC123\"\npage_size = 1000\n\
         redirect_ports = [53682, 53683]\ntoken_url = \"https://identity.xero.com/connect/token\"\n\
         scopes = [\"offline_access\", \"accounting.transactions.read\"]\n\n\
         [sync]\nrefresh_margin_secs = 0\ndefault_frequency = \"0 30 6 * * Mon-Fri\"\n\
         max_retry_wait_secs = 3600\nmax_attempts = 1\n",
        Path::new(FILE),
    )
    .unwrap();
    assert_eq!(config.sandbox.url.as_deref(), Some("http://127.0.0.1:4010"));
    assert_eq!(config.sandbox.records_per_org, Some(200));
    let xero = config.provider("xero");
    assert_eq!(xero.client_id.as_deref(), Some("ABC123"));
    assert_eq!(xero.page_size, Some(1000));
    assert_eq!(xero.redirect_ports, Some(vec![53682, 53683]));
    assert_eq!(config.sync.refresh_margin_secs, 0);
    assert_eq!(config.sync.default_frequency, "0 30 6 * * Mon-Fri");
    assert_eq!(config.sync.max_retry_wait_secs, 3600);
    assert_eq!(config.sync.max_attempts, 1);

    let defaults = Config::parse("", Path::new(FILE)).unwrap();
    assert_eq!(defaults.sync.default_frequency, "hourly");
    assert_eq!(defaults.sync.max_attempts, 6);
}

/// Settings writes the file for the window: what it writes, over a full file, is read
/// back by the same rules when the app next opens.
#[test]
fn what_settings_writes_is_read_back_by_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(
        &config,
        "[sandbox]\nurl = \"http://127.0.0.1:4010\"\n\n[providers.xero]\npage_size = 1000\n\
         redirect_ports = [53682, 53683]\n\n[sync]\ndefault_frequency = \"6h\"\nrefresh_margin_secs = 120\n",
    )
    .unwrap();
    let opts = OpenOptions {
        config_file: Some(config.clone()),
        data_dir: Some(dir.path().join("data")),
    };
    let app = App::open(&opts).unwrap();
    app.set_provider_credentials("xero", Some("  9F1E2D3C4B5A  ".into()), None)
        .unwrap();
    app.set_provider_credentials("quickbooks", Some("qb client".into()), None)
        .unwrap();

    let read = Config::load(&config).unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        read.provider("xero").client_id.as_deref(),
        Some("9F1E2D3C4B5A")
    );
    assert_eq!(read.provider("xero").page_size, Some(1000));
    assert_eq!(
        read.provider("quickbooks").client_id.as_deref(),
        Some("qb client")
    );
    assert_eq!(read.sync.default_frequency, "6h");
    assert_eq!(read.sync.refresh_margin_secs, 120);

    // Clearing puts Xero back on the sandbox; the file still reads.
    app.set_provider_credentials("xero", None, None::<Sensitive<String>>)
        .unwrap();
    let read = Config::load(&config).unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(read.provider("xero").client_id, None);
    drop(app);
    App::open(&opts).unwrap_or_else(|e| panic!("{}", e.message));
}

#[test]
fn the_file_text_made_from_a_configuration_is_checked_by_the_same_rules() {
    let mut config = Config::parse("[providers.xero]\npage_size = 500\n", Path::new(FILE)).unwrap();
    let text = config.to_toml(Path::new(FILE)).unwrap();
    assert_eq!(
        Config::parse(&text, Path::new(FILE))
            .unwrap()
            .provider("xero")
            .page_size,
        Some(500)
    );
    config.sync.default_frequency = "sometimes".into();
    let err = config.to_toml(Path::new(FILE)).unwrap_err();
    assert!(
        err.message
            .contains("[sync] default_frequency `sometimes` is not a frequency"),
        "{}",
        err.message
    );
    config.sync.default_frequency = "hourly".into();
    config.providers.entry("xeroo".into()).or_default();
    let err = config.to_toml(Path::new(FILE)).unwrap_err();
    assert!(err.message.contains("[providers.xeroo]"), "{}", err.message);
}
