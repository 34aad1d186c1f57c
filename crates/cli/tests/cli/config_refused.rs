//! A wrong configuration file is refused when it is read, before anything else happens:
//! the message names the file, the key with its line and the allowed values; no browser
//! is opened, no database is created, nothing is synced. The configuration example in
//! the README is accepted as written.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A configuration file, a data folder where no database may appear, and a browser that
/// leaves a mark if it is ever opened.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(config: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("carbonsync.toml"), config).unwrap();
        let browser = dir.path().join("browser.sh");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\necho \"$1\" >> '{}'\n",
                dir.path().join("browser-opened").display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        Setup { dir }
    }

    fn config_file(&self) -> PathBuf {
        self.dir.path().join("carbonsync.toml")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .arg("--config")
            .arg(self.config_file())
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env("BROWSER", self.dir.path().join("browser.sh"))
            .env_remove("CARBONSYNC_DATA_DIR")
            .stdin(Stdio::null())
            .output()
            .expect("run carbonsync")
    }

    fn browser_opened(&self) -> bool {
        Path::new(&self.dir.path().join("browser-opened")).exists()
    }
}

/// Runs a sign-in and a sync with `config`; both must fail at once with a message
/// holding each of `says`, and leave no trace.
fn refused(config: &str, says: &[&str]) {
    let setup = Setup::new(config);
    for args in [
        &["connect", "xero", "--timeout", "5"][..],
        &["sync", "--all", "--json"][..],
    ] {
        let out = setup.run(args);
        let err = stderr(&out);
        assert!(!out.status.success(), "{config:?} accepted by {args:?}");
        let file = setup.config_file().display().to_string();
        assert!(
            err.contains(&format!("The configuration file {file} is not valid")),
            "{config:?}: the file is not named:\n{err}"
        );
        for s in says {
            assert!(err.contains(s), "{config:?}: {s:?} missing from:\n{err}");
        }
        assert!(out.stdout.is_empty(), "nothing printed on stdout");
        assert!(
            !setup.browser_opened(),
            "{config:?}: the browser was opened"
        );
        assert!(
            !setup.data_dir().join("carbonsync.sqlite3").exists(),
            "{config:?}: the database was opened before the configuration was checked"
        );
    }
}

#[test]
fn a_frequency_that_does_not_parse_is_refused_with_the_allowed_ones() {
    refused(
        "[sync]\nrefresh_margin_secs = 300\ndefault_frequency = \"sometimes\"\n",
        &[
            "at line 3: [sync] default_frequency `sometimes` is not a frequency",
            "manual, 15m, hourly, 6h, daily or a six-field cron expression",
        ],
    );
}

#[test]
fn a_sandbox_url_that_is_not_a_url_is_refused_as_the_sandbox_url() {
    refused(
        "[sandbox]\nurl = \"not a url\"\n",
        &[
            "at line 2: [sandbox] url `not a url` is not a URL",
            "use an http:// or https:// URL",
        ],
    );
    refused(
        "[sandbox]\nurl = \"ftp://127.0.0.1:4010\"\n",
        &[
            "[sandbox] url `ftp://127.0.0.1:4010` is a ftp: URL",
            "http:// or https://",
        ],
    );
}

#[test]
fn a_provider_section_must_name_a_catalogued_platform() {
    refused(
        "[sync]\ndefault_frequency = \"daily\"\n\n[providers.xeroo]\nclient_id = \"abc\"\n",
        &[
            "at line 4: [providers.xeroo] is not a platform CarbonSync knows",
            "use one of xero, quickbooks,",
            "`carbonsync providers`",
        ],
    );
}

#[test]
fn a_page_size_xero_does_not_serve_is_refused_before_any_sync() {
    for size in ["0", "1001"] {
        refused(
            &format!("[providers.xero]\nredirect_ports = [53682]\npage_size = {size}\n"),
            &[
                &format!("at line 3: [providers.xero] page_size {size} is outside what Xero serves: use 1 to 1000 records a page"),
            ],
        );
    }
}

#[test]
fn a_typo_in_a_key_or_a_section_is_refused_with_the_known_names() {
    refused(
        "[sync]\nrefresh_margn_secs = 5\n",
        &[
            "at line 2: [sync] refresh_margn_secs:",
            "unknown key `refresh_margn_secs`",
            "`refresh_margin_secs`, `default_frequency`, `max_retry_wait_secs`, `max_attempts`",
        ],
    );
    refused(
        "[providers.xero]\nclient_idd = \"abc\"\n",
        &[
            "at line 2: [providers.xero] client_idd:",
            "unknown key `client_idd`",
            "`client_id`",
        ],
    );
    refused(
        "[synk]\ndefault_frequency = \"hourly\"\n",
        &[
            "at line 1: [synk]:",
            "unknown section `synk`",
            "`sandbox`, `providers`, `sync`, `emissions`",
        ],
    );
}

#[test]
fn numbers_out_of_range_are_refused_with_the_range() {
    refused(
        "[sync]\nmax_attempts = 0\n",
        &["at line 2: [sync] max_attempts 0 is out of range: use 1 to 20 attempts"],
    );
    refused(
        "[sync]\nrefresh_margin_secs = -5\n",
        &["at line 2: [sync] refresh_margin_secs -5 is out of range: use 0 to 3600 seconds"],
    );
    refused(
        "[providers.xero]\nredirect_ports = [53682, 70000]\n",
        &[
            "at line 2: [providers.xero] redirect_ports contains 70000, which is not a port",
            "1 to 65535",
        ],
    );
}

/// The `toml` block of the README's configuration section, as written there.
fn readme_example() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let start = readme.find("```toml\n").expect("a toml block in README.md") + "```toml\n".len();
    let len = readme[start..].find("```").unwrap();
    readme[start..start + len].to_string()
}

#[test]
fn the_readme_example_is_accepted_as_written() {
    let example = readme_example();
    for key in [
        "[sandbox]",
        "[providers.xero]",
        "client_id",
        "page_size",
        "redirect_ports",
        "[sync]",
        "default_frequency",
        "[emissions]",
    ] {
        assert!(
            example.contains(key),
            "README example lost {key}:\n{example}"
        );
    }
    let setup = Setup::new(&example);
    let out = setup.run(&["providers", "--json"]);
    assert!(out.status.success(), "refused:\n{}", stderr(&out));
    let providers: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let xero = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "xero")
        .unwrap();
    assert_eq!(
        xero["sandbox"], false,
        "the example's client_id makes Xero real: {xero}"
    );
}

#[test]
fn the_configuration_file_can_be_named_by_carbonsync_config() {
    let env = Env::new(&["--no-rate-limit"], "");
    let elsewhere = env.dir.path().join("elsewhere.toml");
    std::fs::write(&elsewhere, "[sync]\ndefault_frequency = \"sometimes\"\n").unwrap();
    let out = std::process::Command::new(bin())
        .args(["--data-dir"])
        .arg(env.data_dir())
        .arg("connections")
        .env("CARBONSYNC_CONFIG", &elsewhere)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the file named by CARBONSYNC_CONFIG is the one read"
    );
    let err = stderr(&out);
    assert!(
        err.contains("elsewhere.toml") && err.contains("default_frequency"),
        "{err}"
    );
}
