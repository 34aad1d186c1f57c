//! A locked or missing keychain is found before the browser opens, so the user never
//! signs in at the platform for a grant that could not be kept.
//!
//! Each scenario runs `carbonsync` inside a D-Bus session of its own (the shared test
//! session's keyring stays unlocked for the tests running beside it), with a test
//! browser that records every address it is given, against the sandbox, whose
//! counters show whether a sign-in was ever started.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throw-away home for a private D-Bus session and its keyring.
struct PrivateSession {
    dir: tempfile::TempDir,
}

impl PrivateSession {
    fn new() -> PrivateSession {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["data", "runtime"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("runtime"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        PrivateSession { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `dbus-run-session` with nothing of the shared session: its own keyring folders,
    /// no address of the shared keyring daemon (which `gnome-keyring-daemon --unlock`
    /// would otherwise reach), and no display, so an unlock prompt cannot be shown
    /// and fails at once, as on a headless machine.
    fn dbus_run_session(&self) -> Command {
        let mut c = Command::new("dbus-run-session");
        c.env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .env_remove("CARBONSYNC_IN_KEYRING_SESSION")
            .env_remove("GNOME_KEYRING_CONTROL")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        c
    }

    /// A session bus that knows no services at all: nothing provides (or can be
    /// started to provide) org.freedesktop.secrets.
    fn bare_bus_config(&self) -> PathBuf {
        let path = self.path("bare-session.conf");
        std::fs::write(
            &path,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                self.path("runtime").display()
            ),
        )
        .unwrap();
        path
    }
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

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// `carbonsync connect xero` for this environment, as arguments after the program.
fn connect_args(env: &Env) -> Vec<String> {
    vec![
        "--config".into(),
        env.dir.path().join("carbonsync.toml").display().to_string(),
        "--data-dir".into(),
        env.data_dir().display().to_string(),
        "connect".into(),
        "xero".into(),
        "--tenant".into(),
        UK.into(),
        "--timeout".into(),
        "30".into(),
        "--json".into(),
    ]
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_locked_keyring_stops_connect_before_the_browser_opens_and_says_how_to_unlock_it() {
    let env = Env::new(&[], "");
    let session = PrivateSession::new();
    let browsed = session.path("browser-visits");
    // In one private session: the keyring starts unlocked and a first connect works
    // (so the session itself is sound); then the login collection is locked, the
    // lock is confirmed from outside CarbonSync, and the same connect runs again.
    let script = r#"
set -eu
eval "$(printf %s carbonsync-test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
"$@" > "$SCRATCH/unlocked.out" 2> "$SCRATCH/unlocked.err" && echo 0 > "$SCRATCH/unlocked.rc" || echo $? > "$SCRATCH/unlocked.rc"
gdbus call --session --dest org.freedesktop.secrets \
  --object-path /org/freedesktop/secrets \
  --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
gdbus call --session --dest org.freedesktop.secrets \
  --object-path /org/freedesktop/secrets/collection/login \
  --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked > "$SCRATCH/locked"
exec "$@"
"#;
    let out = session
        .dbus_run_session()
        .args(["--", "bash", "-c", script, "private-keyring", bin()])
        .args(connect_args(&env))
        .env("SCRATCH", session.dir.path())
        .env("BROWSER", recording_browser(&browsed))
        .env_remove("CARBONSYNC_TEST_DECISION")
        .env_remove("CARBONSYNC_TEST_TAMPER")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("dbus-run-session and gnome-keyring-daemon are installed");

    // The control: unlocked, the same command connected.
    let unlocked_rc = std::fs::read_to_string(session.path("unlocked.rc")).unwrap();
    assert_eq!(
        unlocked_rc.trim(),
        "0",
        "connect with the keyring unlocked failed: {}",
        std::fs::read_to_string(session.path("unlocked.err")).unwrap_or_default()
    );
    let locked = std::fs::read_to_string(session.path("locked")).unwrap();
    assert_eq!(locked.trim(), "(<true>,)", "the login collection is locked");

    // Locked: refused, with how to unlock it.
    assert!(!out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("keychain is locked"), "{err}");
    assert!(err.contains("Unlock the \"Login\" keyring"), "{err}");
    assert!(err.contains("Passwords and Keys"), "{err}");
    assert!(err.contains("gnome-keyring-daemon --unlock"), "{err}");
    assert!(err.contains("nothing was sent to Xero"), "{err}");
    assert!(
        !err.contains("Cannot create an item"),
        "the raw D-Bus text is not the message: {err}"
    );

    // The browser opened once (the control) and never for the locked attempt; the
    // sandbox saw exactly the control's one sign-in and revoked nothing.
    assert_eq!(lines(&browsed), 1, "browser visits");
    assert_eq!(env.sandbox.calls("GET /authorize"), 1);
    assert_eq!(env.sandbox.calls("POST /token"), 1);
    let tokens = &env.sandbox.get("/_control/stats")["tokens"];
    assert_eq!(tokens["issued"], 1, "{tokens}");
    assert_eq!(tokens["revoked"], 0, "{tokens}");
}

#[test]
fn without_a_secret_service_connect_stops_before_the_browser_and_says_what_to_install() {
    let env = Env::new(&[], "");
    let session = PrivateSession::new();
    let browsed = session.path("browser-visits");
    let config = session.bare_bus_config();
    let out = session
        .dbus_run_session()
        .arg(format!("--config-file={}", config.display()))
        .args(["--", bin()])
        .args(connect_args(&env))
        .env("BROWSER", recording_browser(&browsed))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("dbus-run-session is installed");

    assert!(!out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("No system keychain is available"), "{err}");
    assert!(err.contains("Install gnome-keyring"), "{err}");
    assert!(err.contains("Secret Service provider"), "{err}");
    assert!(err.contains("nothing was sent to Xero"), "{err}");

    assert_eq!(lines(&browsed), 0, "the browser was never opened");
    assert!(!browsed.exists());
    assert_eq!(env.sandbox.calls("GET /authorize"), 0);
    assert_eq!(env.sandbox.calls("POST /token"), 0);
    assert_eq!(env.sandbox.get("/_control/stats")["tokens"]["issued"], 0);
}
