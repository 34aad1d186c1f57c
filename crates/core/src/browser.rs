use crate::AppError;

/// Opens `url` in the user's browser. `$BROWSER`, when set, is a command that is given
/// the URL as its last argument (as `gh` and many CLIs do), which is also how a test
/// plays the user. Otherwise the system's default browser opens it.
pub fn open_in_browser(url: &str) -> Result<(), AppError> {
    if let Some(cmd) = std::env::var("BROWSER")
        .ok()
        .filter(|s| !s.trim().is_empty())
    {
        let mut words = shell_words::split(&cmd).map_err(|e| {
            AppError::new(
                "browser",
                format!("$BROWSER is not a valid command line: {e}"),
            )
        })?;
        let program = words.remove(0);
        let mut child = std::process::Command::new(&program)
            .args(words)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|e| {
                AppError::new(
                    "browser",
                    format!("Could not run $BROWSER ({program}): {e}"),
                )
            })?;
        // Reap it in the background so it never lingers as a zombie.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        return Ok(());
    }
    webbrowser::open(url).map_err(|e| {
        AppError::new(
            "browser",
            format!("Could not open a browser ({e}); open the address shown above yourself."),
        )
    })
}
