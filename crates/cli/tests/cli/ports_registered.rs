//! Platforms that register fixed loopback ports (Xero allows no wildcard port): the
//! sign-in listens on the first free port of `redirect_ports` and sends exactly that
//! redirect URI; when none is free it says which ports and what to do, and opens no
//! browser.

use crate::support::*;
use std::net::TcpListener;
use std::path::Path;

/// Holds a loopback port for as long as it lives, as another program would.
fn occupy() -> (TcpListener, u16) {
    let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    occupy().1
}

/// A `$BROWSER` that appends each address it is given to `log`, then plays the user
/// on the consent page with the usual test browser.
fn recording_browser(log: &Path) -> String {
    format!(
        "sh -c 'printf \"%s\\n\" \"$1\" >> {}; exec {} \"$1\"' browser",
        log.display(),
        fixture("browser.sh").display()
    )
}

fn ports_config(ports: &[u16]) -> String {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    format!("[providers.xero]\nredirect_ports = [{}]\n", list.join(", "))
}

/// The `redirect_uri` of each authorization URL the browser was given.
fn redirect_uris(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let url = reqwest::Url::parse(line).unwrap();
            url.query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .map(|(_, v)| v.into_owned())
                .expect("the authorization URL carries a redirect_uri")
        })
        .collect()
}

#[test]
fn with_the_first_registered_port_taken_the_sign_in_completes_on_the_second() {
    let (_taken, busy) = occupy();
    let free = free_port();
    let env = Env::new(&[], &ports_config(&[busy, free]));
    let log = env.dir.path().join("browser-visits");

    let out = env
        .cmd()
        .args([
            "connect",
            "xero",
            "--tenant",
            UK,
            "--timeout",
            "30",
            "--json",
        ])
        .env("BROWSER", recording_browser(&log))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let conn: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(conn["tenant_name"], UK);

    // The platform was asked to answer on the second port, in the registered form,
    // and the code exchange (which repeats it) was accepted.
    assert_eq!(
        redirect_uris(&log),
        vec![format!("http://localhost:{free}/callback")]
    );
    assert_eq!(env.sandbox.get("/_control/stats")["tokens"]["issued"], 1);
    assert_eq!(
        env.json(&["connections", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn with_every_registered_port_taken_connect_names_them_and_opens_no_browser() {
    let (_first, a) = occupy();
    let (_second, b) = occupy();
    let env = Env::new(&[], &ports_config(&[a, b]));
    let log = env.dir.path().join("browser-visits");

    let out = env
        .cmd()
        .args(["connect", "xero", "--tenant", UK, "--timeout", "30"])
        .env("BROWSER", recording_browser(&log))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("({a} in use, {b} in use)")), "{err}");
    assert!(
        err.contains("Close the program that uses one of them"),
        "{err}"
    );
    assert!(
        err.contains("register another redirect URI http://localhost:PORT/callback"),
        "{err}"
    );
    assert!(
        err.contains("`redirect_ports` under [providers.xero]"),
        "{err}"
    );
    assert!(err.contains("carbonsync.toml"), "{err}");

    assert!(!log.exists(), "the browser was never opened");
    assert_eq!(env.sandbox.calls("GET /authorize"), 0);
    assert_eq!(
        env.json(&["connections", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn an_impossible_port_list_is_refused_with_the_line_to_fix() {
    let env = Env::new(&[], "[providers.xero]\nredirect_ports = []\n");
    let out = env.run(&["connect", "xero", "--tenant", UK, "--timeout", "30"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("[providers.xero] redirect_ports is empty"),
        "{err}"
    );
    assert_eq!(env.sandbox.calls("GET /authorize"), 0);
}
