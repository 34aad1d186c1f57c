use crate::output::{self, print_json};
use crate::{By, Cli, Command};

mod cloud;
mod notify;
mod period;
mod review;
use carbonsync_core::{
    logging, App, AppError, ConnectOptions, GroupBy, LedgerFilter, OpenOptions, ReportedFilter,
    ReportedGroupBy, TenantChoice, Trigger,
};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(cli: Cli) -> Result<ExitCode, AppError> {
    if let Command::Sandbox {
        port,
        records,
        seed,
        no_rate_limit,
        state,
        cloud_scale,
    } = cli.command
    {
        let _log = logging::init(
            &std::env::temp_dir().join("carbonsync-sandbox-logs"),
            cli.verbose,
        );
        return serve_sandbox(port, records, seed, no_rate_limit, state, cloud_scale).await;
    }
    let opts = OpenOptions {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
    };
    // Logging first, so what opening the data folder repairs or settles is in the log.
    let paths =
        carbonsync_core::Paths::resolve(opts.config_file.as_deref(), opts.data_dir.as_deref());
    let _log = logging::init(&paths.logs_dir(), cli.verbose);
    if let Command::Doctor {
        restore,
        backup,
        json,
    } = cli.command
    {
        return doctor(&opts, restore, backup, json);
    }
    let app = App::open(&opts)?;

    match cli.command {
        Command::Providers { json } => {
            let providers = app.providers()?;
            if json {
                print_json(&providers);
            } else {
                output::providers(&providers);
            }
        }
        Command::Connect {
            provider,
            sandbox,
            fields,
            tenant,
            json,
            ..
        } if app.is_destination_platform(&provider) => {
            if tenant.is_some() {
                return Err(AppError::new(
                    "usage",
                    "--tenant is for platforms CarbonSync syncs from; name a Slack channel with --channel",
                ));
            }
            notify::connect(&app, &provider, sandbox, fields, json).await?;
        }
        Command::Report {
            action: Some(action),
            ..
        } => notify::report(&app, action).await?,
        Command::Report {
            action: None,
            inventory,
        } => period::inventory_report(&app, inventory)?,
        Command::Destinations { action, json } => notify::destinations(&app, action, json).await?,
        Command::Alerts { check, json } => notify::alerts(&app, check, json).await?,
        Command::Review {
            action,
            queue,
            json,
        } => review::review(&app, action, queue, json).await?,
        Command::Rules { action, json } => review::rules(&app, action, json).await?,
        Command::Period { action, json } => period::period(&app, action, json)?,
        Command::Factors {
            query,
            activities,
            limit,
            json,
        } => {
            if activities {
                review::activities(json)
            } else {
                review::factors(&app, &query.join(" "), limit, json)
            }
        }
        Command::Audit {
            action,
            subject,
            limit,
            json,
        } => return audit(&app, action.is_some(), subject.as_deref(), limit, json),
        Command::Connect {
            provider,
            sandbox,
            fields,
            tenant,
            timeout,
            json,
        } if app.cloud_fields(&provider).is_ok() => {
            if tenant.is_some() {
                return Err(AppError::new(
                    "usage",
                    "--tenant is for platforms that sign in through the browser; a cloud account is named by its keys",
                ));
            }
            let _ = timeout;
            return cloud::connect(&app, &provider, sandbox, fields, json).await;
        }
        Command::Connect {
            provider,
            sandbox,
            fields,
            tenant,
            timeout,
            json,
        } => {
            if sandbox || !fields.is_empty() {
                return Err(AppError::new(
                    "usage",
                    format!(
                        "`carbonsync connect {provider}` signs in through the browser and takes no {}; connect the sandbox by leaving the app's client id unset",
                        fields.first().map_or("--sandbox", String::as_str)
                    ),
                ));
            }
            let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
            let tenant = match tenant {
                Some(t) => TenantChoice::Named(t),
                None if interactive => TenantChoice::Ask(Box::new(ask_tenant)),
                None => TenantChoice::OnlyOne,
            };
            let conn = app
                .connect(
                    &provider,
                    ConnectOptions {
                        tenant,
                        timeout: Duration::from_secs(timeout),
                        show_url: Some(Box::new(move |url| {
                            eprintln!("Opening the browser to sign in. If it does not open, visit:\n  {url}");
                            eprintln!("Waiting up to {timeout} s for the sign-in to finish (Ctrl-C stops).");
                            // Real platforms sign in on their own sites; only the sandbox
                            // serves its consent page on this machine.
                            if url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost") {
                                eprintln!(
                                    "This is the sandbox: approve on its page, or start the sandbox with \
                                     CARBONSYNC_SANDBOX_AUTO_APPROVE=1 to approve every sign-in by itself."
                                );
                            }
                        })),
                    },
                )
                .await?;
            if json {
                print_json(&conn);
            } else {
                say!(
                    "Connected {} ({}) as connection {}{}. Sync it with `carbonsync sync {}`.",
                    conn.tenant_name,
                    conn.provider,
                    conn.id,
                    if conn.sandbox { ", sandbox" } else { "" },
                    conn.id
                );
            }
        }
        Command::Connections { json } => {
            let conns = app.connections()?;
            if json {
                print_json(&conns);
            } else {
                output::connections(&conns);
            }
        }
        Command::Sync {
            id,
            all,
            full,
            json,
        } => return sync(&app, id, all, full, json).await,
        Command::Logs {
            id,
            limit,
            set_aside,
            json,
        } => {
            if set_aside {
                let records = app.set_aside(id)?;
                if json {
                    print_json(&records);
                } else {
                    output::set_aside(&records);
                }
            } else {
                let runs = app.logs(id, limit)?;
                if json {
                    print_json(&runs);
                } else {
                    output::logs(&runs);
                    output::set_aside_note(&app.set_aside(id)?);
                }
            }
        }
        Command::Emissions {
            by,
            ledger,
            connection,
            from,
            to,
            record,
            limit,
            json,
        } => {
            // Both are YYYY-MM-DD (checked when read), so they compare as text.
            if let (Some(from), Some(to)) = (&from, &to) {
                if from > to {
                    return Err(AppError::new(
                        "usage",
                        format!("--from {from} is after --to {to}: nothing can match; swap them"),
                    ));
                }
            }
            let filter = LedgerFilter {
                connection_id: connection,
                from,
                to,
                record_id: record,
                ..Default::default()
            };
            if ledger {
                let entries = app.ledger(&filter, 0, limit)?;
                if json {
                    print_json(&entries);
                } else {
                    output::ledger(&entries);
                }
            } else {
                let by = by.map(|b| match b {
                    By::Month => GroupBy::Month,
                    By::Category => GroupBy::Category,
                    By::Scope => GroupBy::Scope,
                    By::Source => GroupBy::Source,
                });
                let summary = app.emissions(by, &filter)?;
                if json {
                    print_json(&summary);
                } else {
                    output::emissions(&summary);
                    let closes = app.closes_within(filter.from.as_deref(), filter.to.as_deref())?;
                    output::closes_note(&closes);
                }
            }
        }
        Command::Cloud {
            by,
            rows,
            months,
            connection,
            from,
            to,
            limit,
            json,
        } => {
            let by = match by {
                crate::CloudBy::Month => ReportedGroupBy::Month,
                crate::CloudBy::Service => ReportedGroupBy::Service,
                crate::CloudBy::Region => ReportedGroupBy::Region,
                crate::CloudBy::Scope => ReportedGroupBy::Scope,
                crate::CloudBy::Account => ReportedGroupBy::Account,
                crate::CloudBy::Source => ReportedGroupBy::Source,
            };
            let filter = ReportedFilter {
                connection_id: connection,
                from,
                to,
                ..Default::default()
            };
            if months {
                let months = app.cloud_months(connection)?;
                if json {
                    print_json(&months);
                } else {
                    output::cloud_months(&months);
                }
            } else if rows {
                let rows = app.cloud_rows(&filter, 0, limit)?;
                if json {
                    print_json(&rows);
                } else {
                    output::cloud_rows(&rows);
                }
            } else {
                let summary = app.cloud_emissions(&filter, by)?;
                if json {
                    print_json(&summary);
                } else {
                    output::cloud_summary(&summary);
                }
            }
        }
        Command::Suppliers {
            add,
            unless,
            disable,
            enable,
            json,
        } => {
            if let Some(add) = add {
                let rule = app.add_supplier_rule(&add[0], &add[1], unless.as_deref())?;
                if !json {
                    say!(
                        "Added rule {}: {} covers suppliers named {:?}.",
                        rule.id,
                        rule.platform,
                        rule.pattern
                    );
                }
            }
            if let Some(id) = disable {
                app.set_supplier_rule_enabled(id, false)?;
                if !json {
                    say!("Switched rule {id} off; spend only it matched counts again.");
                }
            }
            if let Some(id) = enable {
                app.set_supplier_rule_enabled(id, true)?;
                if !json {
                    say!("Switched rule {id} on.");
                }
            }
            let rules = app.supplier_rules()?;
            if json {
                print_json(&rules);
            } else {
                output::supplier_rules(&rules);
            }
        }
        Command::Disconnect {
            id,
            delete_data,
            json,
        } => {
            let warning = app.disconnect(id, delete_data).await?;
            if let Some(w) = &warning {
                eprintln!("warning: {w}");
            }
            if json {
                print_json(
                    &serde_json::json!({ "connection_id": id, "data_deleted": delete_data, "warning": warning }),
                );
            } else if delete_data {
                say!("Disconnected connection {id} and deleted its data.");
            } else {
                say!("Disconnected connection {id}. Its synced data is kept for review.");
            }
        }
        Command::AppCredentials {
            provider,
            client_id,
            client_secret_stdin,
            clear,
        } => {
            let secret = if client_secret_stdin {
                Some(read_secret_from_stdin()?)
            } else {
                None
            };
            let client_id = if clear { None } else { client_id };
            let view = app.set_provider_credentials(&provider, client_id, secret)?;
            let entry = view.providers.iter().find(|p| p.id == provider);
            match entry {
                Some(p) if p.client_id.is_some() => say!(
                    "{provider} now uses your app (client id {}){}.",
                    p.client_id.as_deref().unwrap_or_default(),
                    if p.has_client_secret {
                        "; its secret is in the keychain"
                    } else {
                        "; no client secret is stored"
                    }
                ),
                _ => say!("{provider} runs on the built-in sandbox."),
            }
        }
        Command::Schedule { id, frequency } => {
            let f = app.set_frequency(id, &frequency)?;
            say!("Connection {id} now syncs: {}.", f.label());
        }
        Command::Daemon => {
            let sink = report_sink(&app);
            let daemon = app.start_daemon(Some(sink), None).await?;
            eprintln!("CarbonSync is syncing on schedule. Press Ctrl-C to stop.");
            for c in app.connections()? {
                if let Some(hold) = output::schedule_hold(&c) {
                    eprintln!("connection {}: {hold}", c.id);
                }
            }
            stop_requested().await;
            eprintln!("Stopping (a sync in progress finishes its page first)…");
            daemon.stop().await;
        }
        Command::Export {
            id,
            from,
            to,
            category,
            json,
        } => {
            let to = to.unwrap_or_else(|| from.clone());
            let report = app
                .export_to_inventory(id, &from, &to, category.as_deref())
                .await?;
            if json {
                print_json(&report);
            } else {
                let sent = report.counts.created + report.counts.updated;
                say!(
                    "Sent {sent} {} to connection {id}: {} created, {} updated (months without counted spend-based Scope 3 are not sent). What was sent: `carbonsync logs {id}`.",
                    if sent == 1 { "month" } else { "months" },
                    report.counts.created,
                    report.counts.updated
                );
            }
        }
        Command::Serve { listen } => serve(&app, listen).await?,
        Command::WebhookKey {
            platform,
            sandbox,
            clear,
        } => webhook_key(&app, &platform, sandbox, clear).await?,
        Command::Sandbox { .. } | Command::Doctor { .. } => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `carbonsync doctor`: a restore or a backup when asked, then every check.
fn doctor(
    opts: &OpenOptions,
    restore: Option<std::path::PathBuf>,
    backup: bool,
    json: bool,
) -> Result<ExitCode, AppError> {
    if let Some(from) = restore {
        let aside = App::restore_backup(opts, &from)?;
        eprintln!("Restored the database from {}.", from.display());
        if let Some(aside) = aside {
            eprintln!(
                "The file it replaced is kept as {} (delete it once all is well).",
                aside.display()
            );
        }
    }
    if backup {
        let made = App::backup_now(opts)?;
        eprintln!("Backed up the database to {}.", made.display());
    }
    let checkup = App::checkup(opts);
    if json {
        print_json(&checkup);
    } else {
        say!("Data folder: {}", checkup.data_dir.display());
        for c in &checkup.checks {
            say!(
                "  {} {:<13} {}",
                if c.ok { "ok     " } else { "PROBLEM" },
                c.check,
                c.message
            );
        }
        for b in &checkup.backups {
            say!("  backup  {} ({} bytes)", b.path.display(), b.bytes);
        }
    }
    Ok(if checkup.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn ask_tenant(tenants: &[carbonsync_core::Tenant]) -> Option<usize> {
    if tenants.len() == 1 {
        return Some(0);
    }
    let mut err = std::io::stderr();
    let _ = writeln!(err, "This sign-in gives access to several organisations:");
    for (i, t) in tenants.iter().enumerate() {
        let _ = writeln!(err, "  {}. {}", i + 1, t.tenant_name);
    }
    let _ = write!(err, "Which one? [1-{}] ", tenants.len());
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    line.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=tenants.len()).contains(n))
        .map(|n| n - 1)
}

async fn sync(
    app: &Arc<App>,
    id: Option<i64>,
    all: bool,
    full: bool,
    json: bool,
) -> Result<ExitCode, AppError> {
    let ids: Vec<i64> = match (id, all) {
        (Some(id), _) => vec![id],
        (None, true) => app.active_connections()?.iter().map(|c| c.id).collect(),
        (None, false) => {
            return Err(AppError::new(
                "usage",
                "Name a connection to sync (see `carbonsync connections`) or pass --all.",
            ))
        }
    };
    if ids.is_empty() {
        eprintln!("No active connections to sync. Connect one with `carbonsync connect xero` or `carbonsync connect quickbooks` (`carbonsync providers` lists every platform).");
        return Ok(ExitCode::SUCCESS);
    }
    let show_progress = !json && std::io::stderr().is_terminal();
    let mut reports = Vec::new();
    let mut failed = false;
    for id in ids {
        let mut opts = carbonsync_core::SyncOptions::new(Trigger::Cli);
        opts.full = full;
        if show_progress {
            opts.progress = Some(Arc::new(|p: &carbonsync_core::Progress| {
                eprint!(
                    "\r  connection {}: {} — {} fetched, {} new, {} updated   ",
                    p.connection_id, p.stream, p.counts.fetched, p.counts.created, p.counts.updated
                );
            }));
        }
        let result = app.sync(id, &opts).await;
        if show_progress {
            eprintln!();
        }
        match result {
            Ok(report) => {
                if !json {
                    output::sync_report(id, &report);
                }
                reports
                    .push(serde_json::json!({ "connection_id": id, "ok": true, "report": report }));
            }
            Err(e) => {
                failed = true;
                eprintln!("error: connection {id}: {}", e.message);
                reports.push(serde_json::json!({ "connection_id": id, "ok": false, "error": e }));
            }
        }
    }
    // A failure may open an incident, a success resolve one: destinations hear it now.
    if let Err(e) = app.check_alerts().await {
        eprintln!("warning: alerts not checked: {}", e.message);
    }
    if json {
        print_json(&reports);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn serve_sandbox(
    port: u16,
    records: Option<usize>,
    seed: Option<u64>,
    no_rate_limit: bool,
    state: Option<std::path::PathBuf>,
    cloud_scale: Option<carbonsync_core::sandbox::CloudScale>,
) -> Result<ExitCode, AppError> {
    use carbonsync_core::sandbox;
    let mut opts = sandbox::SandboxOptions::default();
    if let Some(scale) = cloud_scale {
        opts.cloud_scale = scale;
    }
    if let Some(n) = records {
        opts.records_per_org = n;
    }
    if let Some(s) = seed {
        opts.seed = s;
    }
    if no_rate_limit {
        opts.rate_limit = None;
    }
    opts.state_path = state;
    let handle = sandbox::start(opts, ([127, 0, 0, 1], port).into())
        .await
        .map_err(|e| AppError::new("sandbox", format!("The sandbox could not start: {e}")))?;
    say!("CarbonSync sandbox listening on {}", handle.base_url());
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// What the schedule's outcomes look like on the terminal of `daemon` and `serve`: one
/// line per finished sync, and what it did to the schedule.
fn report_sink(app: &Arc<App>) -> carbonsync_core::ReportSink {
    let sink_app = app.clone();
    Arc::new(move |id, result| {
        match result {
            Ok(r) => eprintln!(
                "connection {id}: synced ({} fetched, {} created, {} updated, {} deleted)",
                r.counts.fetched, r.counts.created, r.counts.updated, r.counts.deleted
            ),
            Err(e) => eprintln!("connection {id}: sync failed: {}", e.message),
        }
        // What the outcome did to the schedule: a retry, a pause or a stop.
        if let Some(hold) = sink_app
            .connection(id)
            .ok()
            .and_then(|c| output::schedule_hold(&c))
        {
            eprintln!("connection {id}: {hold}");
        }
    })
}

/// Waits for Ctrl-C or, where there are signals, SIGTERM (what a service manager sends).
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `carbonsync serve`.
async fn serve(app: &Arc<App>, listen: std::net::SocketAddr) -> Result<(), AppError> {
    let server = app.start_server(listen, Some(report_sink(app))).await?;
    let addr = server.addr();
    eprintln!("CarbonSync is serving: syncs run on schedule, and webhooks are taken at");
    for platform in app.webhook_platform_ids() {
        eprintln!("  http://{addr}/webhooks/{platform}");
    }
    eprintln!(
        "and Slack's button clicks (the Slack app's Interactivity Request URL) at
  http://{addr}/interactions/slack"
    );
    for platform in &server.keyless {
        eprintln!(
            "No webhook key is kept for {platform}: its webhooks are refused until `carbonsync webhook-key {platform}` stores one (used within seconds, no restart)."
        );
    }
    let connections = app.connections()?;
    if connections.iter().any(|c| c.sandbox) {
        eprintln!(
            "The sandbox plays the platforms at {} (POST /_control/webhooks/send makes it send a signed webhook).",
            app.sandbox_url().await?
        );
    }
    for c in connections {
        if let Some(hold) = output::schedule_hold(&c) {
            eprintln!("connection {}: {hold}", c.id);
        }
    }
    eprintln!("Press Ctrl-C (or send SIGTERM) to stop.");
    stop_requested().await;
    eprintln!("Stopping (a sync in progress finishes its page first)…");
    server.stop().await;
    eprintln!("Stopped.");
    Ok(())
}

/// `carbonsync webhook-key`.
async fn webhook_key(
    app: &Arc<App>,
    platform: &str,
    sandbox: bool,
    clear: bool,
) -> Result<(), AppError> {
    let key_name = app.webhook_key_name(platform)?;
    if clear {
        if app.clear_webhook_key(platform)? {
            say!("The {platform} webhook key is gone from the keychain: a running `carbonsync serve` refuses its webhooks within seconds.");
        } else {
            say!("No {platform} webhook key was kept.");
        }
        return Ok(());
    }
    if sandbox {
        app.use_sandbox_webhook_key(platform).await?;
        say!("The sandbox's {platform} webhook key is in the keychain (a running `carbonsync serve` uses it within seconds). It is public: only sandbox deliveries are signed with it.");
        return Ok(());
    }
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("The {platform} {key_name}: ")).map_err(|e| {
            AppError::new(
                "secret_unreadable",
                format!("The {key_name} could not be read from the terminal: {e}"),
            )
        })?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| {
            AppError::new(
                "secret_unreadable",
                format!("The {key_name} could not be read from standard input: {e}"),
            )
        })?;
        line
    };
    let key = carbonsync_core::Sensitive::new(key.trim_end_matches(['\r', '\n']).to_owned());
    app.set_webhook_key(platform, &key).await?;
    say!("The {platform} {key_name} is in the keychain; a running `carbonsync serve` uses it within seconds.");
    Ok(())
}

/// The first line of standard input, which must not be a terminal: a secret typed there would
/// show on screen.
fn read_secret_from_stdin() -> Result<carbonsync_core::Sensitive<String>, AppError> {
    if std::io::stdin().is_terminal() {
        return Err(AppError::new(
            "secret_on_terminal",
            "Pipe the client secret in rather than typing it, so it never shows on screen, e.g. `pass show intuit/secret | carbonsync app-credentials quickbooks --client-id ID --client-secret-stdin`.",
        ));
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| {
        AppError::new(
            "secret_unreadable",
            format!("The client secret could not be read from standard input: {e}"),
        )
    })?;
    let secret = line.trim_end_matches(['\r', '\n']).to_owned();
    if secret.trim().is_empty() {
        return Err(AppError::new(
            "secret_empty",
            "Standard input held no client secret: pipe the secret in on its first line.",
        ));
    }
    Ok(carbonsync_core::Sensitive::new(secret))
}

/// `carbonsync audit [verify]`.
fn audit(
    app: &App,
    verify: bool,
    subject: Option<&str>,
    limit: i64,
    json: bool,
) -> Result<ExitCode, AppError> {
    if verify {
        let check = app.verify_audit()?;
        if json {
            print_json(&check);
        } else if check.intact {
            say!(
                "The audit trail is intact: {} rows, each chained to the one before.",
                check.rows
            );
        } else {
            say!(
                "The audit trail is broken at row {}: {}. Restore the database from a backup made before it (`carbonsync doctor` lists them), and find out who had the file.",
                check.broken_at.unwrap_or_default(),
                check.problem.as_deref().unwrap_or("it does not fit the chain")
            );
        }
        return Ok(if check.intact {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let rows = app.audit_log(subject, limit)?;
    if json {
        print_json(&rows);
    } else if rows.is_empty() {
        say!("Nothing has been changed yet.");
    } else {
        for r in rows {
            let at = output::local_time(r.at_ms);
            say!(
                "{:>5}  {at}  {}@{}  {}  {}{}",
                r.id,
                r.os_user,
                r.machine,
                r.action,
                r.subject,
                r.reason.map(|w| format!("  ({w})")).unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
