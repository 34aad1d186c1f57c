//! A headless desktop for one run of the real app: fresh XDG folders, a virtual
//! display, a test browser registered as the http handler, and tauri-driver
//! (WebKitWebDriver) launching the built `carbonsync-desktop`. Run it inside
//! `scripts/with-keyring`, which provides the D-Bus session and an unlocked keychain.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

pub struct Desktop {
    pub client: Client,
    env: Vec<(String, String)>,
    // Dropped in this order: the driver (and the app), the display, the folders, then the
    // turn, so the next test's app starts once this one is gone.
    _driver: Stopped,
    _xvfb: Stopped,
    _dir: tempfile::TempDir,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

/// One app at a time: the tests share the keyring's D-Bus session, where a second instance
/// would be handed over to the first by the single-instance plugin.
static ONE_APP_AT_A_TIME: LazyLock<Arc<tokio::sync::Mutex<()>>> =
    LazyLock::new(|| Arc::new(tokio::sync::Mutex::new(())));

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tool(name: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let p = Path::new(&home).join(".cargo/bin").join(name);
    assert!(
        p.exists(),
        "{name} is not installed (scripts/install-deps installs it)"
    );
    p
}

/// The `carbonsync` CLI built beside this test.
pub fn cli() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("carbonsync");
    assert!(
        p.exists(),
        "build the CLI first (cargo build --workspace): {}",
        p.display()
    );
    p
}

pub fn screenshots_dir() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&p).unwrap();
    p
}

impl Desktop {
    pub async fn launch() -> Desktop {
        Desktop::launch_with_config("").await
    }

    /// Launches the app with `config` as its configuration file (TOML; empty for none),
    /// e.g. `[sandbox] url = "…"` to use a sandbox the test runs itself.
    pub async fn launch_with_config(config: &str) -> Desktop {
        Desktop::launch_with_env(config, &[]).await
    }

    /// As [`Desktop::launch_with_config`], with these variables set for the app as well.
    pub async fn launch_with_env(config: &str, extra: &[(&str, &str)]) -> Desktop {
        Desktop::launch_with_args(config, extra, &[]).await
    }

    /// As [`Desktop::launch_with_env`], with these arguments on the app's command line.
    pub async fn launch_with_args(config: &str, extra: &[(&str, &str)], args: &[&str]) -> Desktop {
        let turn = ONE_APP_AT_A_TIME.clone().lock_owned().await;
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "run the end-to-end tests inside scripts/with-keyring"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = |p: &str| dir.path().join(p);
        for d in ["config", "data", "cache", "runtime", "app-data", "home"] {
            std::fs::create_dir_all(path(d)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path("runtime"), std::fs::Permissions::from_mode(0o700)).unwrap();
        if !config.is_empty() {
            std::fs::write(path("carbonsync.toml"), config).unwrap();
        }

        // The test browser handles http(s) in this desktop.
        let browser = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/browser.sh");
        std::fs::create_dir_all(path("data/applications")).unwrap();
        std::fs::write(
            path("data/applications/carbonsync-test-browser.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Test browser\nExec={} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\nNoDisplay=true\n",
                browser.display()
            ),
        )
        .unwrap();
        std::fs::write(
            path("config/mimeapps.list"),
            "[Default Applications]\nx-scheme-handler/http=carbonsync-test-browser.desktop\nx-scheme-handler/https=carbonsync-test-browser.desktop\n",
        )
        .unwrap();

        let display = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display");
        let xvfb = Stopped::spawn(
            Command::new(tool("Xvfb"))
                .args([
                    format!(":{display}"),
                    "-screen".into(),
                    "0".into(),
                    "1280x800x24".into(),
                    "-nolisten".into(),
                    "tcp".into(),
                ])
                .stderr(Stdio::null()),
        )
        .expect("Xvfb");
        wait_for(
            || Path::new(&format!("/tmp/.X11-unix/X{display}")).exists(),
            "Xvfb",
        )
        .await;

        let env: Vec<(String, String)> = [
            ("DISPLAY".into(), format!(":{display}")),
            (
                "XDG_CONFIG_HOME".into(),
                path("config").display().to_string(),
            ),
            ("XDG_DATA_HOME".into(), path("data").display().to_string()),
            ("XDG_CACHE_HOME".into(), path("cache").display().to_string()),
            (
                "XDG_RUNTIME_DIR".into(),
                path("runtime").display().to_string(),
            ),
            (
                "CARBONSYNC_DATA_DIR".into(),
                path("app-data").display().to_string(),
            ),
            (
                "CARBONSYNC_CONFIG".into(),
                path("carbonsync.toml").display().to_string(),
            ),
            // A home of its own: starting at login writes ~/.config/autostart there.
            ("HOME".into(), path("home").display().to_string()),
        ]
        .into_iter()
        .chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
        let port = free_port();
        let native = free_port();
        let mut driver = Command::new(tool("tauri-driver"));
        without_desktop_session(&mut driver);
        driver
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove("BROWSER")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let driver = Stopped::spawn(&mut driver).expect("tauri-driver");
        // tauri-driver starts WebKitWebDriver behind it; a session asked for before both
        // listen fails half-way.
        for (p, what) in [(port, "tauri-driver"), (native, "WebKitWebDriver")] {
            wait_for(
                || std::net::TcpStream::connect(("127.0.0.1", p)).is_ok(),
                what,
            )
            .await;
        }

        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": env!("CARGO_BIN_EXE_carbonsync-desktop"), "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with the app");
        Desktop {
            _dir: dir,
            client,
            _xvfb: xvfb,
            _driver: driver,
            env,
            _turn: turn,
        }
    }

    /// The X display the app draws on (`:93`).
    pub fn display(&self) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == "DISPLAY")
            .map(|(_, v)| v.as_str())
            .expect("the app's DISPLAY")
    }

    /// A folder of this desktop's own: `home`, `app-data` (the data folder), `config`, …
    pub fn folder(&self, name: &str) -> PathBuf {
        self._dir.path().join(name)
    }

    /// Runs a program in this desktop's environment (xdg-open, gio, the CLI, secret-tool,
    /// gdbus).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        without_desktop_session(&mut c);
        c.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    /// `carbonsync <args> --json` on the app's data folder.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let out = self
            .command(cli())
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "carbonsync {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Waits until the element's text satisfies `ok`; returns it.
    pub async fn text_until(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(t) = el.text().await {
                    if ok(&t) {
                        return t;
                    }
                    if start.elapsed() > Duration::from_secs(90) {
                        panic!("{css}: expected {what}, still shows {t:?}");
                    }
                }
            } else if start.elapsed() > Duration::from_secs(90) {
                panic!("{css} never appeared (waiting for {what})");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
    }

    /// Dismisses every notice on screen, as a person would before going on (problems
    /// stay until dismissed, and may cover a dialog's buttons).
    pub async fn dismiss_notices(&self) {
        for _ in 0..10 {
            match self
                .client
                .find(Locator::Css(
                    "[data-testid=notice] button[aria-label=Dismiss]",
                ))
                .await
            {
                Ok(button) => button.click().await.expect("dismiss a notice"),
                Err(_) => return,
            }
        }
        panic!("the notices do not go away");
    }

    /// Ends the WebDriver session (closing the app); the driver and the display stop
    /// when `self` is dropped.
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

/// The variables by which xdg-open recognises a GNOME, KDE or other desktop session.
/// Without them it runs in its generic mode, as on i3, sway or Hyprland, where it reads
/// the handler's desktop entry itself.
const SESSION_VARIABLES: &[&str] = &[
    "XDG_CURRENT_DESKTOP",
    "DESKTOP_SESSION",
    "GNOME_DESKTOP_SESSION_ID",
    "KDE_FULL_SESSION",
    "XDG_SESSION_DESKTOP",
];

/// The app, the test browser and every opener run as in a desktop with no recognisable
/// session (the D-Bus session stays: the keychain and single-instance need it).
fn without_desktop_session(c: &mut Command) {
    for v in SESSION_VARIABLES {
        c.env_remove(v);
    }
    c.env_remove("WAYLAND_DISPLAY");
}

/// A helper process, started in a process group of its own, that is stopped with
/// everything it started (tauri-driver starts WebKitWebDriver, which starts the app) when
/// dropped, so that a failing test leaves nothing behind.
struct Stopped(Child);

impl Stopped {
    fn spawn(command: &mut Command) -> std::io::Result<Stopped> {
        use std::os::unix::process::CommandExt;
        command.process_group(0).spawn().map(Stopped)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn wait_for(ok: impl Fn() -> bool, what: &str) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
