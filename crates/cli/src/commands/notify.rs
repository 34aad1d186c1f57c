//! `connect slack|teams`, `report`, `destinations` and `alerts`.

use crate::output::print_json;
use crate::{DestinationAction, ReportAction};
use carbonsync_core::{App, AppError, ConnectOutcome, Destination, DestinationSettings, Sensitive};
use std::io::IsTerminal;

/// Reads a URL that is itself a secret: without echo from a terminal, else standard input's
/// first line.
fn read_url(what: &str) -> Result<Sensitive<String>, AppError> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Paste the {what} (it is not shown): ")).map_err(
            |e| {
                AppError::new(
                    "secret_unreadable",
                    format!("The {what} could not be read from the terminal: {e}"),
                )
            },
        )?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| {
            AppError::new(
                "secret_unreadable",
                format!("The {what} could not be read from standard input: {e}"),
            )
        })?;
        line
    };
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(AppError::new(
            "secret_empty",
            format!("No {what} was given: paste it, or pipe it in on the first line."),
        ));
    }
    Ok(Sensitive::new(text))
}

/// The value after `--name` in a connect command's extra arguments, and whether `flag`
/// was given.
fn option(fields: &[String], name: &str) -> Result<Option<String>, AppError> {
    match fields.iter().position(|f| f == name) {
        None => Ok(None),
        Some(i) => fields
            .get(i + 1)
            .cloned()
            .map(Some)
            .ok_or_else(|| AppError::new("usage", format!("{name} needs a value"))),
    }
}

fn said(d: &Destination, json: bool) {
    if json {
        print_json(d);
    } else {
        say!(
            "Added destination {}: {} ({}{}). Send the report with `carbonsync report send --to {}`; change what it receives with `carbonsync destinations set {}`.",
            d.id,
            d.name,
            d.platform,
            if d.sandbox { ", sandbox" } else { "" },
            d.id,
            d.id
        );
    }
}

/// `carbonsync connect slack|teams …`.
pub async fn connect(
    app: &App,
    platform: &str,
    sandbox: bool,
    fields: Vec<String>,
    json: bool,
) -> Result<(), AppError> {
    let known = ["--webhook", "--name", "--channel", "--sandbox", "--json"];
    for (i, f) in fields.iter().enumerate() {
        let is_value = i > 0 && matches!(fields[i - 1].as_str(), "--name" | "--channel");
        if !is_value && !known.contains(&f.as_str()) {
            return Err(AppError::new(
                "usage",
                format!("`carbonsync connect {platform}` takes --webhook, --name NAME, --channel NAME and --sandbox, not {f:?}"),
            ));
        }
    }
    // After `--webhook` the rest of the line arrives here, flags included.
    let sandbox = sandbox || fields.iter().any(|f| f == "--sandbox");
    let json = json || fields.iter().any(|f| f == "--json");
    let name = option(&fields, "--name")?;
    let webhook = fields.iter().any(|f| f == "--webhook") || platform == "teams";
    if webhook {
        let url = if sandbox {
            app.sandbox_destination_url(platform).await?
        } else {
            read_url(if platform == "teams" {
                "Teams workflow's HTTP POST URL"
            } else {
                "Slack incoming-webhook URL"
            })?
        };
        let d = app
            .add_webhook_destination(platform, &url, name.as_deref(), sandbox)
            .await?;
        said(&d, json);
        return Ok(());
    }
    if sandbox {
        return Err(AppError::new(
            "usage",
            "--sandbox connects the sandbox's incoming webhook: add --webhook. Signing in with the Slack app runs against the sandbox whenever no client id is configured.",
        ));
    }
    let url = app.begin_connect(platform).await?;
    eprintln!("Opening the browser to sign in to Slack. If it does not open, visit:\n  {url}");
    let _ = carbonsync_core::open_in_browser(&url);
    eprintln!("After approving, the bounce page shows an \"Open CarbonSync\" link: copy that address (carbonsync://…) and paste it here.");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| AppError::new("usage", format!("The address could not be read: {e}")))?;
    if !line.trim().starts_with("carbonsync://") {
        let _ = app.cancel_connect(platform);
        return Err(AppError::new(
            "usage",
            "That is not the address the bounce page shows: it starts with carbonsync://. The sign-in was cancelled; connect again and paste the whole address.",
        ));
    }
    let outcome = app.complete_connect(line.trim()).await?;
    let ConnectOutcome::ChooseChannel {
        choice_id,
        channels,
        workspace,
        ..
    } = outcome
    else {
        return Err(AppError::new("usage", "That sign-in was not Slack's."));
    };
    let wanted = option(&fields, "--channel")?;
    let chosen = match &wanted {
        Some(w) => channels
            .iter()
            .find(|c| c.name == w.trim_start_matches('#') || c.id == *w),
        None if std::io::stdin().is_terminal() => {
            eprintln!("Channels in {workspace}:");
            for (i, c) in channels.iter().enumerate() {
                eprintln!(
                    "  {:>3}  #{}{}",
                    i + 1,
                    c.name,
                    if c.is_member {
                        ""
                    } else {
                        "  (invite the app first)"
                    }
                );
            }
            eprint!("Number of the channel for reports and alerts: ");
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer).ok();
            answer
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|n| channels.get(n.wrapping_sub(1)))
        }
        None => None,
    };
    let Some(channel) = chosen else {
        // The token must not outlive a sign-in that ends here.
        app.cancel_tenant_choice(&choice_id).await?;
        return Err(AppError::new(
            "usage",
            format!(
                "{}; {workspace} has {}. Nothing was stored; connect again.",
                match &wanted {
                    Some(w) => format!("There is no channel {w:?} the app can see"),
                    None => "Name the channel with --channel".to_owned(),
                },
                channels
                    .iter()
                    .map(|c| format!("#{}", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let d = app
        .choose_channel(&choice_id, &channel.id, name.as_deref())
        .await?;
    said(&d, json);
    Ok(())
}

fn period_or_previous(app: &App, period: Option<String>) -> Result<String, AppError> {
    if period.as_deref() == Some("latest") {
        return app.latest_period()?.ok_or_else(|| {
            AppError::new(
                "usage",
                "No month has emissions yet: sync a connection first, or name the month (YYYY-MM).",
            )
        });
    }
    Ok(period.unwrap_or_else(|| {
        let today = chrono::Local::now().date_naive();
        let first = chrono::Datelike::with_day(&today, 1).expect("day 1");
        (first - chrono::Months::new(1)).format("%Y-%m").to_string()
    }))
}

/// A destination named by id or by name.
fn destination_id(app: &App, to: &str) -> Result<i64, AppError> {
    if let Ok(id) = to.trim().parse::<i64>() {
        return Ok(id);
    }
    let all = app.destinations()?;
    let named: Vec<i64> = all
        .iter()
        .filter(|d| d.name.eq_ignore_ascii_case(to.trim()))
        .map(|d| d.id)
        .collect();
    if named.len() > 1 {
        return Err(AppError::new(
            "usage",
            format!(
                "{} destinations are called {to:?} (ids {}): give the id instead.",
                named.len(),
                named
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    named.first().copied().ok_or_else(|| {
        AppError::new(
            "no_such_destination",
            format!(
                "No destination is called {to:?}; there are: {}.",
                if all.is_empty() {
                    "none (add one with `carbonsync connect slack` or `carbonsync connect teams`)"
                        .to_owned()
                } else {
                    all.iter()
                        .map(|d| format!("{} ({})", d.id, d.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )
    })
}

/// `carbonsync report …`.
pub async fn report(app: &App, action: ReportAction) -> Result<(), AppError> {
    match action {
        ReportAction::Send { to, period, json } => {
            let period = period_or_previous(app, period)?;
            let to = destination_id(app, &to)?;
            let d = app.send_report(to, &period).await?;
            if json {
                print_json(&d);
            } else {
                say!(
                    "Sent the report of {period} to destination {to}{}.",
                    match (&d.chart_sent, &d.chart_note) {
                        (true, _) => ", with its chart".to_owned(),
                        (false, Some(note)) => format!(" ({note})"),
                        _ => String::new(),
                    }
                );
            }
        }
        ReportAction::Preview {
            period,
            chart,
            json,
        } => {
            let period = period_or_previous(app, period)?;
            let preview = app.preview_report(&period)?;
            if let Some(path) = &chart {
                use base64::Engine;
                let Some(png) = &preview.chart_png_base64 else {
                    return Err(AppError::new(
                        "chart",
                        preview
                            .chart_note
                            .clone()
                            .unwrap_or_else(|| "The chart could not be drawn.".into()),
                    ));
                };
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(png)
                    .expect("the app's own base64");
                crate::output::write_private(path, &bytes).map_err(|e| {
                    AppError::new(
                        "io",
                        format!("The chart could not be written to {}: {e}", path.display()),
                    )
                })?;
            }
            if json {
                print_json(&preview.report);
            } else {
                say!("{}", preview.text);
                if let Some(path) = &chart {
                    say!("\nThe chart is in {}.", path.display());
                }
            }
        }
    }
    Ok(())
}

fn list(values: &str) -> Vec<String> {
    values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `carbonsync destinations …`.
pub async fn destinations(
    app: &App,
    action: Option<DestinationAction>,
    json: bool,
) -> Result<(), AppError> {
    match action {
        None => {
            let all = app.destinations()?;
            if json {
                print_json(&all);
            } else if all.is_empty() {
                say!("No destinations. Add one with `carbonsync connect slack --webhook`, `carbonsync connect slack` or `carbonsync connect teams`.");
            } else {
                say!(
                    "{:>4}  {:<8}  {:<8}  {:<36}  {}",
                    "ID",
                    "PLATFORM",
                    "ROUTE",
                    "NAME",
                    "REPORT / ALERTS"
                );
                for d in all {
                    let report = if d.report_enabled {
                        format!("day {} at {}", d.report_day, d.report_time)
                    } else {
                        "no report".into()
                    };
                    let alerts = if d.alert_kinds.is_empty() {
                        "no alerts".to_owned()
                    } else {
                        d.alert_kinds.join(", ")
                    };
                    say!(
                        "{:>4}  {:<8}  {:<8}  {:<36}  {report}; {alerts}{}",
                        d.id,
                        d.platform,
                        d.route,
                        d.name,
                        if d.sandbox { " (sandbox)" } else { "" }
                    );
                }
            }
        }
        Some(DestinationAction::History { id, limit }) => {
            let history = app.destination_history(id, limit)?;
            if json {
                print_json(&history);
            } else if history.is_empty() {
                say!("Nothing was sent to destination {id} yet.");
            } else {
                for d in history {
                    let at = chrono::DateTime::from_timestamp_millis(d.started_at_ms)
                        .map(|t| {
                            t.with_timezone(&chrono::Local)
                                .format("%Y-%m-%d %H:%M")
                                .to_string()
                        })
                        .unwrap_or_default();
                    let result = match (d.status.as_str(), &d.error_message) {
                        ("failed", Some(m)) => format!("FAILED: {m}"),
                        (status, _) => status.to_owned(),
                    };
                    say!(
                        "{at}  {:<9} {:<8} {:<10} {:<12} {result}",
                        d.kind,
                        d.subject,
                        d.trigger,
                        if d.chart_sent { "with chart" } else { "" }
                    );
                }
            }
        }
        Some(DestinationAction::Set {
            id,
            report,
            report_day,
            report_time,
            alerts,
            connections,
        }) => {
            let report_enabled = match report.as_deref() {
                None => None,
                Some("on") => Some(true),
                Some("off") => Some(false),
                Some(other) => {
                    return Err(AppError::new(
                        "usage",
                        format!("--report takes on or off, not {other:?}"),
                    ))
                }
            };
            let alert_connections = match connections.as_deref() {
                None => None,
                Some("all") => Some(None),
                Some(ids) => Some(Some(
                    list(ids)
                        .iter()
                        .map(|v| {
                            v.parse::<i64>().map_err(|_| {
                                AppError::new(
                                    "usage",
                                    format!("--connections takes ids or `all`, not {v:?}"),
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                )),
            };
            if [&report, &report_time, &alerts, &connections]
                .iter()
                .all(|o| o.is_none())
                && report_day.is_none()
            {
                return Err(AppError::new(
                    "usage",
                    "Nothing to change: give --report on|off, --report-day, --report-time, --alerts or --connections.",
                ));
            }
            if alerts.as_deref().is_some_and(|a| a.trim().is_empty()) {
                return Err(AppError::new(
                    "usage",
                    "--alerts is empty: list kinds (sync_failed, needs_reconnect, limit_paused), or say `none` for no alerts.",
                ));
            }
            if connections.as_deref().is_some_and(|c| c.trim().is_empty()) {
                return Err(AppError::new(
                    "usage",
                    "--connections is empty: list connection ids, or say `all`.",
                ));
            }
            let d = app.set_destination_settings(
                id,
                &DestinationSettings {
                    report_enabled,
                    report_day,
                    report_time,
                    alert_kinds: alerts.map(|a| if a == "none" { Vec::new() } else { list(&a) }),
                    alert_connections,
                },
            )?;
            if json {
                print_json(&d);
            } else {
                say!("Destination {} ({}) updated.", d.id, d.name);
            }
        }
        Some(DestinationAction::Test { id }) => {
            let d = app.send_test(id).await?;
            if json {
                print_json(&d);
            } else {
                say!("A test message was sent to destination {id}.");
            }
        }
        Some(DestinationAction::Inbox) => {
            let inbox = app.sandbox_inbox().await?;
            if json {
                print_json(&inbox);
                return Ok(());
            }
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            let slack = inbox["slack"].as_array().cloned().unwrap_or_default();
            say!("Slack (sandbox) received {} message(s):", slack.len());
            for m in slack {
                let files: Vec<String> = m["files"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        format!(
                            "{} ({} bytes{})",
                            text(&f["name"]),
                            f["size"],
                            if f["png"] == true { ", PNG" } else { "" }
                        )
                    })
                    .collect();
                say!(
                    "  {}  #{} by {}: {}{}",
                    text(&m["received_at"]),
                    text(&m["channel"]),
                    text(&m["via"]),
                    text(&m["title"]),
                    if files.is_empty() {
                        String::new()
                    } else {
                        format!(" [file: {}]", files.join(", "))
                    }
                );
            }
            let teams = inbox["teams"].as_array().cloned().unwrap_or_default();
            say!(
                "Microsoft Teams (sandbox) received {} card(s):",
                teams.len()
            );
            for m in teams {
                let images = m["images"].as_array().map_or(0, Vec::len);
                say!(
                    "  {}  {}: {}{}",
                    text(&m["received_at"]),
                    if m["posted"] == true {
                        "posted".to_owned()
                    } else {
                        format!("not posted ({})", text(&m["reason"]))
                    },
                    text(&m["title"]),
                    if images > 0 { " [chart image]" } else { "" }
                );
            }
        }
        Some(DestinationAction::Remove { id }) => {
            let warning = app.remove_destination(id).await?;
            if let Some(w) = warning {
                eprintln!("warning: {w}");
            }
            say!("Destination {id} removed; its history stays.");
        }
    }
    Ok(())
}

/// `carbonsync alerts [--check]`.
pub async fn alerts(app: &App, check: bool, json: bool) -> Result<(), AppError> {
    let sent = if check {
        app.check_alerts().await?
    } else {
        Vec::new()
    };
    let incidents = app.incidents(false, 50)?;
    if json {
        print_json(&serde_json::json!({ "incidents": incidents, "sent": sent }));
        return Ok(());
    }
    if check {
        say!("Checked: {} alert message(s) sent.", sent.len());
    }
    if incidents.is_empty() {
        say!("No incidents.");
    }
    for i in incidents {
        let state = match &i.resolved_how {
            Some(how) => format!("resolved: {how}"),
            None => "OPEN".to_owned(),
        };
        say!(
            "{:>4}  connection {:<4} {:<16} {}  {}",
            i.id,
            i.connection_id,
            i.kind,
            state,
            i.what
        );
    }
    Ok(())
}
