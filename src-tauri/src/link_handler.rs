//! Makes CarbonSync the Linux desktop's handler of `carbonsync://` links, so that the
//! browser can hand a sign-in answer back. Browsers pass such links to `xdg-open` (or
//! `gio open`), which finds the handler's desktop entry through `mimeapps.list` and runs
//! its `Exec` line with the link in place of `%u`.
//!
//! The entry is written here, not left to the deep-link plugin: the plugin always quotes
//! the program (`Exec="/path/carbonsync-desktop" %u`). The Desktop Entry specification
//! allows that, but `xdg-open` outside GNOME and KDE (its generic mode, used on i3, sway,
//! Hyprland and other desktops; xdg-utils 1.1.3) takes the first word of `Exec` as the
//! program, quotes included, finds none, and fails with "no method available". So the
//! program is quoted only when the specification requires it, which is when its path holds
//! a reserved character (such a path works with `gio open` and with the desktops'
//! own openers; `xdg-open`'s generic mode splits at spaces whatever the quoting).

use std::path::Path;

/// The characters the Desktop Entry specification reserves in `Exec` arguments: an
/// argument holding any of them must be quoted.
const RESERVED: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')',
    '`',
];

/// The `Exec` value that runs `program` with the opened link: `/path/to/program %u`,
/// with the path quoted and escaped only where the Desktop Entry specification requires
/// it, and escaped again as a desktop-entry string (backslashes doubled).
pub fn exec_line(program: &Path) -> String {
    let path = program.to_string_lossy();
    // A literal percent sign would otherwise start a field code.
    let path = path.replace('%', "%%");
    let argument = if path.contains(RESERVED) {
        let mut quoted = String::from("\"");
        for c in path.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    } else {
        path
    };
    format!("{} %u", escape_string_value(&argument))
}

/// The escapes of a desktop-entry `string` value: `\\`, `\n`, `\t`, `\r`.
fn escape_string_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The handler's desktop entry: hidden from menus, runs `program` with the link, and
/// declares `x-scheme-handler/<scheme>` for each scheme.
pub fn desktop_entry(name: &str, program: &Path, schemes: &[String]) -> String {
    let mime_types: String = schemes
        .iter()
        .map(|s| format!("x-scheme-handler/{s};"))
        .collect();
    format!(
        "[Desktop Entry]\nType=Application\nName={}\nExec={}\nTerminal=false\nNoDisplay=true\nMimeType={mime_types}\n",
        escape_string_value(name),
        exec_line(program),
    )
}

/// The entry's file name: the deep-link plugin's (`<binary>-handler.desktop`), so that
/// this entry replaces the one the plugin writes instead of standing beside it.
pub fn entry_file_name(program: &Path) -> String {
    let bin = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "carbonsync-desktop".into());
    format!("{bin}-handler.desktop")
}

/// Writes the handler entry into `applications`, replacing the file atomically so that an
/// opener never reads half of it. Returns the entry's path.
pub fn write_entry(
    applications: &Path,
    name: &str,
    program: &Path,
    schemes: &[String],
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(applications)?;
    let file_name = entry_file_name(program);
    let path = applications.join(&file_name);
    let partial = applications.join(format!(".{file_name}.partial"));
    std::fs::write(&partial, desktop_entry(name, program, schemes))?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// [`write_entry`], then refreshes the folder's MIME cache and makes the entry the default
/// handler of each scheme (`xdg-mime default`, which writes `$XDG_CONFIG_HOME/mimeapps.list`).
pub fn install(
    applications: &Path,
    name: &str,
    program: &Path,
    schemes: &[String],
) -> std::io::Result<std::path::PathBuf> {
    let path = write_entry(applications, name, program, schemes)?;
    // The cache only speeds lookups up; a desktop without the tool still finds the entry.
    run_optional(
        std::process::Command::new("update-desktop-database").arg(applications),
        "update-desktop-database",
    )?;
    let file_name = entry_file_name(program);
    for scheme in schemes {
        run_optional(
            std::process::Command::new("xdg-mime").args([
                "default",
                &file_name,
                &format!("x-scheme-handler/{scheme}"),
            ]),
            "xdg-mime",
        )?;
    }
    Ok(path)
}

/// Runs a desktop tool; a tool that is not installed is skipped with a warning, one that
/// fails is an error.
fn run_optional(command: &mut std::process::Command, name: &str) -> std::io::Result<()> {
    match command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
    {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(std::io::Error::other(format!("`{name}` failed: {status}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                "`{name}` is not installed (package xdg-utils or desktop-file-utils): skipped"
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Registers this running app (or the AppImage it runs from) as the handler of the
/// schemes configured for the deep-link plugin (`plugins > deep-link > desktop > schemes`
/// in `tauri.conf.json`), in the user's `applications` folder. A failure is logged: the
/// app works without it, only links from the browser do not reach it.
#[cfg(target_os = "linux")]
pub fn register(app: &tauri::AppHandle) {
    use tauri::Manager;
    let result = (|| -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
        let schemes = configured_schemes(app.config().plugins.0.get("deep-link"));
        if schemes.is_empty() {
            return Err("tauri.conf.json configures no deep-link scheme".into());
        }
        let program = match app.env().appimage {
            Some(appimage) => appimage.into(),
            None => tauri::utils::platform::current_exe()?,
        };
        let name = app
            .config()
            .product_name
            .clone()
            .unwrap_or_else(|| "CarbonSync".into());
        let applications = app.path().data_dir()?.join("applications");
        Ok(install(&applications, &name, &program, &schemes)?)
    })();
    match result {
        Ok(path) => tracing::info!("carbonsync:// links open this app ({})", path.display()),
        Err(e) => tracing::warn!("could not register the carbonsync:// link handler: {e}"),
    }
}

/// The schemes in the deep-link plugin's configuration: `{"desktop": {"schemes": [...]}}`,
/// or a list of such `desktop` entries.
pub fn configured_schemes(plugin_config: Option<&serde_json::Value>) -> Vec<String> {
    let desktop = plugin_config.map(|c| &c["desktop"]);
    let entries: Vec<&serde_json::Value> = match desktop {
        Some(serde_json::Value::Array(list)) => list.iter().collect(),
        Some(one) => vec![one],
        None => vec![],
    };
    entries
        .iter()
        .filter_map(|e| e["schemes"].as_array())
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
#[path = "link_handler_tests.rs"]
mod tests;
