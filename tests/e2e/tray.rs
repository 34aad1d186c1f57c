//! The tray menu as the desktop sees it: published over D-Bus (dbusmenu) even with no
//! tray host on screen, so a test can list it and click an item for real.

use std::process::Command;

fn gdbus(args: &[&str]) -> Option<String> {
    let out = Command::new("gdbus").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

/// The bus name and object path of the app's tray menu.
pub fn find_menu() -> Option<(String, String)> {
    let names = gdbus(&[
        "call",
        "--session",
        "--dest",
        "org.freedesktop.DBus",
        "--object-path",
        "/org/freedesktop/DBus",
        "--method",
        "org.freedesktop.DBus.ListNames",
    ])?;
    for name in names.split('\'').filter(|n| n.starts_with(':')) {
        let Some(tree) = gdbus(&[
            "introspect",
            "--session",
            "--dest",
            name,
            "--object-path",
            "/org/ayatana/NotificationItem",
            "--recurse",
            "--only-properties",
        ]) else {
            continue;
        };
        for line in tree.lines() {
            let line = line.trim();
            if let Some(path) = line.strip_prefix("node ") {
                let path = path.trim_end_matches(" {").trim();
                if path.starts_with("/org/ayatana/NotificationItem/") && path.ends_with("/Menu") {
                    return Some((name.to_string(), path.to_string()));
                }
            }
        }
    }
    None
}

/// The id of the menu item labelled `label`, from the menu's layout.
pub fn item_id(dest: &str, path: &str, label: &str) -> Option<i32> {
    let layout = layout(dest, path)?;
    // Items look like: <(2, {'label': <'Sync now'>}, @av [])>
    let marker = format!("'label': <'{label}'>");
    let at = layout.find(&marker)?;
    let before = &layout[..at];
    let open = before.rfind('(')?;
    before[open + 1..].split(',').next()?.trim().parse().ok()
}

/// Clicks a menu item, as the desktop's tray host does.
pub fn click(dest: &str, path: &str, id: i32) -> bool {
    gdbus(&[
        "call",
        "--session",
        "--dest",
        dest,
        "--object-path",
        path,
        "--method",
        "com.canonical.dbusmenu.Event",
        "--",
        &id.to_string(),
        "clicked",
        "<0>",
        "0",
    ])
    .is_some()
}

/// The whole menu (ids, labels, states) as dbusmenu's GetLayout returns it.
pub fn layout(dest: &str, path: &str) -> Option<String> {
    gdbus(&[
        "call",
        "--session",
        "--dest",
        dest,
        "--object-path",
        path,
        "--method",
        "com.canonical.dbusmenu.GetLayout",
        // "--" so that gdbus reads -1 as an argument, not an option.
        "--",
        "0",
        "-1",
        "@as []",
    ])
}
