//! `carbonsync connect` waits on its loopback port for the answer to its own sign-in:
//! stray and forged requests get a refusal and do not end the wait, and the words of
//! an error answer reach the terminal cleaned and bounded.
//!
//! The test browser here only records the authorization address; the test then plays
//! every other visitor of the port before the real browser (`browser.sh`) answers.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A browser that writes the address it is given to `url.txt` and does nothing else.
fn recording_browser(dir: &Path) -> (PathBuf, PathBuf) {
    let script = dir.join("record-url.sh");
    let file = dir.join("url.txt");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{0}.part' && mv '{0}.part' '{0}'\n",
            file.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, file)
}

/// Starts `carbonsync connect xero` and returns it with the authorization address it
/// sent to the browser.
fn start_sign_in(env: &Env) -> (Child, String) {
    let (browser, url_file) = recording_browser(env.dir.path());
    let child = env
        .cmd()
        .args([
            "connect",
            "xero",
            "--tenant",
            UK,
            "--timeout",
            "60",
            "--json",
        ])
        .env("BROWSER", &browser)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !url_file.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sign-in never opened the browser"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, std::fs::read_to_string(&url_file).unwrap())
}

fn query_value(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} in {url}"))
        .1
        .into_owned()
}

fn still_waiting(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
}

#[test]
fn stray_and_forged_requests_do_not_end_a_sign_in_and_the_real_answer_completes_it() {
    let env = Env::new(&[], "");
    let (mut child, url) = start_sign_in(&env);
    let redirect = query_value(&url, "redirect_uri");
    let state = query_value(&url, "state");
    let origin = redirect.trim_end_matches("/callback");
    let http = reqwest::blocking::Client::new();
    for stray in [
        redirect.clone(),
        format!("{redirect}?code=stolen"),
        format!("{redirect}?code=stolen&state=forged"),
        format!("{redirect}?code=stolen&state=%ff%fe"),
        format!("{redirect}?error=access_denied"),
        format!("{redirect}?error=access_denied&state=forged"),
        format!("{redirect}?code=stolen&state=forged&state={state}"),
        format!("{redirect}?code=stolen&state={state}&state=forged"),
        format!("{redirect}?error=access_denied&state={state}&state={state}"),
        format!("{origin}/favicon.ico"),
        format!("{origin}/other?code=stolen&state={state}"),
    ] {
        let r = http.get(&stray).send().unwrap();
        assert_eq!(r.status(), 400, "{stray}");
        let page = r.text().unwrap();
        assert!(
            !page.contains("stolen") && !page.contains("forged"),
            "nothing sent is repeated: {page}"
        );
        assert!(still_waiting(&mut child), "{stray} ended the sign-in");
    }

    // The user's browser delivers the real answer: the sign-in completes.
    let answered = std::process::Command::new(fixture("browser.sh"))
        .arg(&url)
        .status()
        .unwrap();
    assert!(answered.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let conn: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(conn["tenant_name"], UK);
    assert_eq!(
        env.json(&["connections", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_error_answer_full_of_escapes_prints_a_short_clean_message() {
    let env = Env::new(&[], "");
    let (child, url) = start_sign_in(&env);
    let redirect = query_value(&url, "redirect_uri");
    let state = query_value(&url, "state");
    let description = format!(
        "\u{1b}[2J\u{1b}[31mPAYLOAD\u{1b}]0;title\u{7}\r{}\nrm -rf ~",
        "x".repeat(10 * 1024)
    );
    let mut answer = reqwest::Url::parse(&redirect).unwrap();
    answer
        .query_pairs_mut()
        .append_pair("error", "\u{1b}[1mserver_error\u{1b}[0m")
        .append_pair("error_description", &description)
        .append_pair("state", &state);
    let r = reqwest::blocking::get(answer.as_str()).unwrap();
    assert_eq!(r.status(), 200, "the answer carries this sign-in's state");

    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("an error line: {err:?}"));
    assert!(line.contains("server_error"), "{line}");
    assert!(line.contains("PAYLOAD"), "the words are kept: {line}");
    assert!(
        !err.chars().any(|c| c.is_control() && c != '\n'),
        "control characters reached the terminal: {err:?}"
    );
    assert!(line.len() < 800, "{} bytes: {line}", line.len());
    assert!(
        !err.contains(&"x".repeat(1000)),
        "the description is bounded"
    );
    assert_eq!(
        env.json(&["connections", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
