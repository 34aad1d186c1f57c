//! The handler's `Exec` line as the specification writes it, run for real by `xdg-open`
//! (generic mode, as on i3 or sway) and `gio open`; and the desktop entry the packages
//! install, from the bundle's template.

use super::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The variables by which `xdg-open` recognises a GNOME, KDE or other desktop session.
const SESSION_VARIABLES: &[&str] = &[
    "XDG_CURRENT_DESKTOP",
    "DESKTOP_SESSION",
    "GNOME_DESKTOP_SESSION_ID",
    "KDE_FULL_SESSION",
    "XDG_SESSION_DESKTOP",
];

#[test]
fn a_plain_path_is_not_quoted() {
    assert_eq!(
        exec_line(Path::new("/usr/bin/carbonsync-desktop")),
        "/usr/bin/carbonsync-desktop %u"
    );
    assert_eq!(
        exec_line(Path::new("/home/ana/.cargo/bin/carbonsync-desktop")),
        "/home/ana/.cargo/bin/carbonsync-desktop %u"
    );
}

#[test]
fn a_path_with_reserved_characters_is_quoted_and_escaped_as_the_specification_says() {
    assert_eq!(
        exec_line(Path::new("/opt/Carbon Sync/carbonsync-desktop")),
        "\"/opt/Carbon Sync/carbonsync-desktop\" %u"
    );
    // Inside quotes `"`, `` ` ``, `$` and `\` take a backslash; then every backslash is
    // doubled, as in any desktop-entry string.
    assert_eq!(
        exec_line(Path::new("/opt/a$b\"c\\d`e/app")),
        "\"/opt/a\\\\$b\\\\\"c\\\\\\\\d\\\\`e/app\" %u"
    );
    assert_eq!(
        exec_line(Path::new("/opt/it's (new)/app")),
        "\"/opt/it's (new)/app\" %u"
    );
    // A percent sign is not reserved but would start a field code.
    assert_eq!(exec_line(Path::new("/opt/100%/app")), "/opt/100%%/app %u");
}

#[test]
fn the_entry_declares_each_scheme_and_hides_from_menus() {
    let entry = desktop_entry(
        "CarbonSync",
        Path::new("/usr/bin/carbonsync-desktop"),
        &["carbonsync".into()],
    );
    assert!(entry.starts_with("[Desktop Entry]\n"));
    assert!(entry.contains("\nExec=/usr/bin/carbonsync-desktop %u\n"));
    assert!(entry.contains("\nMimeType=x-scheme-handler/carbonsync;\n"));
    assert!(entry.contains("\nNoDisplay=true\n"));
    assert_eq!(
        entry_file_name(Path::new("/usr/bin/carbonsync-desktop")),
        "carbonsync-desktop-handler.desktop"
    );
}

#[test]
fn the_schemes_come_from_the_deep_link_configuration() {
    let config: serde_json::Value =
        serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
    assert_eq!(
        configured_schemes(config["plugins"].get("deep-link")),
        vec!["carbonsync".to_string()]
    );
    assert!(configured_schemes(None).is_empty());
    let listed = serde_json::json!({"desktop": [{"schemes": ["a"]}, {"schemes": ["b", "c"]}]});
    assert_eq!(configured_schemes(Some(&listed)), vec!["a", "b", "c"]);
}

/// A fresh user's XDG folders with a stub handler program in `folder` that writes the
/// arguments it is given to `received` beside itself.
struct Desktop {
    dir: tempfile::TempDir,
    program: PathBuf,
}

impl Desktop {
    fn new(folder: &str) -> Desktop {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(folder);
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        let program = bin.join("carbonsync-desktop");
        std::fs::write(
            &program,
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/received.partial\"\nmv \"$(dirname \"$0\")/received.partial\" \"$(dirname \"$0\")/received\"\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let desktop = Desktop { dir, program };
        write_entry(
            &desktop.data().join("applications"),
            "CarbonSync",
            &desktop.program,
            &["carbonsync".into()],
        )
        .unwrap();
        // Made the default handler the way the app does it, in this user's config.
        let status = desktop
            .command("xdg-mime")
            .args([
                "default",
                &entry_file_name(&desktop.program),
                "x-scheme-handler/carbonsync",
            ])
            .status()
            .expect("xdg-mime (package xdg-utils)");
        assert!(status.success());
        desktop
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command in this user's desktop, with no desktop session recognisable.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("XDG_DATA_HOME", self.data())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            // xdg-open's generic mode only needs to know there is a display.
            .env("DISPLAY", ":99")
            // No session bus either: xdg-open would ask it whether GNOME is running.
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("BROWSER");
        for v in SESSION_VARIABLES {
            c.env_remove(v);
        }
        c
    }

    /// Opens `url` with `opener` and returns what the handler received.
    fn open(&self, opener: &[&str], url: &str) -> String {
        let received = self.program.parent().unwrap().join("received");
        let _ = std::fs::remove_file(&received);
        let out = self
            .command(opener[0])
            .args(&opener[1..])
            .arg(url)
            .output()
            .unwrap_or_else(|e| panic!("{opener:?}: {e}"));
        assert!(
            out.status.success(),
            "{opener:?} {url} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // Openers start the handler and return; give it a moment to run.
        let start = Instant::now();
        while !received.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{opener:?} did not run the handler"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(received).unwrap()
    }
}

const LINK: &str = "carbonsync://oauth/callback?code=abc&state=xyz";

#[test]
fn xdg_open_without_a_desktop_session_hands_the_link_to_the_app() {
    let d = Desktop::new("bin");
    assert_eq!(d.open(&["xdg-open"], LINK), format!("{LINK}\n"));
    assert_eq!(d.open(&["gio", "open"], LINK), format!("{LINK}\n"));
}

#[test]
fn gio_opens_the_link_when_the_path_needs_quotes() {
    let d = Desktop::new("Carbon Sync's $apps (1)");
    let entry = std::fs::read_to_string(
        d.data()
            .join("applications")
            .join(entry_file_name(&d.program)),
    )
    .unwrap();
    assert!(entry.contains("Exec=\""), "quoted: {entry}");
    assert_eq!(d.open(&["gio", "open"], LINK), format!("{LINK}\n"));
}

/// The desktop entry the .deb (and the .rpm and AppImage, made from the same files)
/// installs: the bundle's template, filled in as the Tauri bundler does.
#[test]
fn the_bundled_desktop_entry_passes_the_link_and_declares_the_scheme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tauri.conf.json")).unwrap())
            .unwrap();
    let linux = &config["bundle"]["linux"];
    let template_path = linux["deb"]["desktopTemplate"]
        .as_str()
        .expect("the .deb uses our desktop template");
    assert_eq!(
        linux["rpm"]["desktopTemplate"].as_str(),
        Some(template_path),
        "the .rpm uses the same template"
    );
    let template = std::fs::read_to_string(root.join(template_path)).unwrap();
    assert!(
        !template.contains("{{#"),
        "the template has no blocks; fill it with plain variables"
    );
    let binary = config["mainBinaryName"].as_str().unwrap();
    let entry = template
        .replace("{{name}}", config["productName"].as_str().unwrap())
        .replace(
            "{{comment}}",
            config["bundle"]["shortDescription"].as_str().unwrap(),
        )
        .replace("{{categories}}", "Office;Finance;")
        .replace("{{icon}}", binary)
        .replace("{{exec}}", binary);
    assert!(!entry.contains("{{"), "every variable is known: {entry}");

    let lines: Vec<&str> = entry.lines().collect();
    assert!(
        lines.contains(&"Exec=carbonsync-desktop %u"),
        "the link is passed with %u: {entry}"
    );
    let mime = lines
        .iter()
        .find_map(|l| l.strip_prefix("MimeType="))
        .expect("a MimeType line");
    let declared: Vec<&str> = mime.split(';').filter(|m| !m.is_empty()).collect();
    for scheme in configured_schemes(config["plugins"].get("deep-link")) {
        assert!(
            declared.contains(&format!("x-scheme-handler/{scheme}").as_str()),
            "MimeType declares {scheme}: {mime}"
        );
    }
    assert!(mime.ends_with(';'));

    // And the result is a valid desktop entry.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("carbonsync.desktop");
    std::fs::write(&file, &entry).unwrap();
    match Command::new("desktop-file-validate").arg(&file).output() {
        Ok(out) => assert!(
            out.status.success() && !String::from_utf8_lossy(&out.stdout).contains("error"),
            "desktop-file-validate: {}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(e) => panic!("desktop-file-validate (package desktop-file-utils): {e}"),
    }
}
