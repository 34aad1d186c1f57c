//! What `carbonsync` says when a sign-in fails, and how it says it: the words fit what
//! happened, and stderr carries colour codes only for a person at a terminal.

use crate::support::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A test browser that approves on the sandbox's consent page and garbles the
/// authorization code on the way back, as a broken proxy or a mangled copy would.
fn garbling_browser(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("garbling-browser.sh");
    std::fs::write(
        &path,
        r#"#!/bin/sh
set -eu
url="$1"
page=$(curl -fsS "$url")
rid=$(printf '%s\n' "$page" | sed -n 's/.*name="request_id" value="\([^"]*\)".*/\1/p' | head -n 1)
origin=$(printf '%s' "$url" | sed 's#^\(https*://[^/]*\).*#\1#')
location=$(curl -sS -o /dev/null -w '%{redirect_url}' \
  --data-urlencode "request_id=$rid" --data-urlencode "decision=approve" \
  "$origin/xero/identity/connect/authorize/decision")
location=$(printf '%s' "$location" | sed 's/code=[^&]*/code=garbled-on-the-way/')
curl -sS -o /dev/null "$location" || true
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The platform answers the garbled code with `invalid_grant`, the same error it gives a
/// revoked refresh token: at sign-in it must read as an answer to sign in again with.
#[test]
fn a_garbled_authorization_code_says_to_sign_in_again_not_that_access_was_revoked() {
    let env = Env::new(&[], "");
    let out = env
        .cmd()
        .args(["connect", "xero", "--tenant", UK, "--timeout", "30"])
        .env("BROWSER", garbling_browser(env.dir.path()))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!out.status.success(), "a garbled code connected:\n{err}");
    assert_eq!(
        env.sandbox.calls("POST /token"),
        1,
        "the code was sent to the token endpoint once"
    );
    assert!(
        err.contains("Xero (sandbox) could not use the sign-in answer (invalid_grant)"),
        "{err}"
    );
    assert!(err.contains("sign in again"), "{err}");
    assert!(
        !err.contains("revoked"),
        "a sign-in revokes nothing:\n{err}"
    );
    let conns = env.json(&["connections", "--json"]);
    assert_eq!(conns, serde_json::json!([]), "nothing stored");
}

/// `carbonsync connect` with a browser that cannot be started (a warning on stderr) and
/// a one-second wait (then a failure).
fn failing_connect(env: &Env) -> Command {
    let mut c = env.cmd();
    c.args(["connect", "xero", "--tenant", UK, "--timeout", "1"])
        .env("BROWSER", env.dir.path().join("no-such-browser"))
        .env_remove("NO_COLOR");
    c
}

const ESC: u8 = 0x1b;

#[test]
fn stderr_has_no_colour_codes_when_it_is_not_a_terminal() {
    let env = Env::new(&[], "");
    let out = failing_connect(&env)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("WARN") && err.contains("browser: Could not run $BROWSER"),
        "the warning is printed:\n{err}"
    );
    assert!(err.contains("error: No answer from the browser"), "{err}");
    assert!(
        !out.stderr.contains(&ESC),
        "escape codes in piped stderr:\n{err:?}"
    );
}

/// Runs `cmd` with a pseudo-terminal as stdin, stdout and stderr (util-linux `script`),
/// and returns all it wrote there.
fn on_a_terminal(cmd: Command) -> Vec<u8> {
    let line = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = Command::new("script");
    script.args(["-q", "-e", "-c", &line, "/dev/null"]);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let out = script
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    out.stdout
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn a_terminal_gets_colours_unless_no_color_is_set() {
    let env = Env::new(&[], "");
    let coloured = on_a_terminal(failing_connect(&env));
    let text = String::from_utf8_lossy(&coloured);
    assert!(
        text.contains("browser: Could not run $BROWSER"),
        "the warning reached the terminal:\n{text}"
    );
    assert!(
        coloured.contains(&ESC),
        "no colour on a terminal:\n{text:?}"
    );

    let mut plain = failing_connect(&env);
    plain.env("NO_COLOR", "1");
    let plain = on_a_terminal(plain);
    let text = String::from_utf8_lossy(&plain);
    assert!(
        text.contains("browser: Could not run $BROWSER"),
        "the warning reached the terminal:\n{text}"
    );
    assert!(!plain.contains(&ESC), "colour despite NO_COLOR:\n{text:?}");
}
