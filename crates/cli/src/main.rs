//! `carbonsync`: the application API without a window.

/// `println!` for the command's output, except that a reader who stops reading (`| head`)
/// ends the program quietly instead of with a panic about a broken pipe.
macro_rules! say {
    () => {
        $crate::output::emit(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::emit(format_args!($($arg)*))
    };
}

mod commands;
mod output;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
enum ReportAction {
    /// Send the report of a month now.
    Send {
        /// Destination id or name (`carbonsync destinations`).
        #[arg(long)]
        to: String,
        /// The month, YYYY-MM, or `latest` for the latest month with emissions (default:
        /// the previous month).
        #[arg(long)]
        period: Option<String>,
        /// Print JSON for programs instead of words.
        #[arg(long)]
        json: bool,
    },
    /// Show the report of a month as it would be sent, without sending it.
    Preview {
        /// The month, YYYY-MM, or `latest` (default: the previous month).
        #[arg(long)]
        period: Option<String>,
        /// Also write the chart to this PNG file.
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
        /// Print the report's figures as JSON (decimals as strings).
        #[arg(long)]
        json: bool,
    },
}

/// The inventory report's period, selection and files.
#[derive(clap::Args)]
struct InventoryArgs {
    /// A year (2024), a quarter (2024-Q2), a month (2024-03) or a financial year (FY2024:
    /// the one that starts in 2024, in --fy-start-month; FY2024-25 names both its years).
    #[arg(long)]
    period: Option<String>,
    /// The month (1-12) the financial year starts in, for FY periods.
    #[arg(long, default_value_t = 1, value_name = "MONTH")]
    fy_start_month: u32,
    /// Only this connection's entries.
    #[arg(long, value_name = "ID")]
    connection: Option<i64>,
    /// Write the printable report, with its chart, to this PDF file.
    #[arg(long, value_name = "FILE")]
    pdf: Option<PathBuf>,
    /// Write every table as a CSV file into this folder.
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
    /// Print the report as JSON (decimals as strings) instead of words.
    #[arg(long)]
    json: bool,
}

/// Which entries the review queue shows.
#[derive(clap::Args)]
struct QueueArgs {
    /// A year (2024), a month (2024-03) or a quarter (2024-Q2); FY2024 is the calendar year
    /// here: for a financial year that starts in another month give its days with --from
    /// and --to.
    #[arg(long)]
    period: Option<String>,
    /// First day, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DAY", value_parser = day)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DAY", value_parser = day)]
    to: Option<String>,
    /// Only this connection's entries.
    #[arg(long, value_name = "ID")]
    connection: Option<i64>,
    #[arg(long, default_value_t = 50)]
    limit: i64,
    #[arg(long, default_value_t = 0)]
    offset: i64,
}

#[derive(Subcommand)]
enum ReviewCmd {
    /// One entry and everything behind its number: record, factor, conversions, the
    /// decision or rule that decided it, and every change to it.
    Show { entry: i64 },
    /// Suppliers across connections, the most kg CO2e first: entries, spend per currency,
    /// categories, and the rule that maps each; map one with `carbonsync rules add
    /// --supplier NAME …`.
    Suppliers {
        #[command(flatten)]
        queue: QueueArgs,
    },
    /// Mark entries right as they are.
    Accept {
        #[arg(required = true)]
        entries: Vec<i64>,
        #[arg(long)]
        note: Option<String>,
        /// Why, for the audit trail.
        #[arg(long)]
        why: Option<String>,
    },
    /// Count entries with another factor of the spend-based set (`carbonsync factors`).
    Reclassify {
        #[arg(required = true)]
        entries: Vec<i64>,
        /// The factor's code (a 2017 NAICS code, e.g. 481111 scheduled passenger air transportation).
        #[arg(long)]
        factor: String,
        /// The category to report them under (default: the factor's title).
        #[arg(long)]
        category: Option<String>,
        /// GHG Protocol Scope 3 category, 1-15 (default 1, purchased goods and services).
        #[arg(long)]
        scope3_category: Option<u8>,
        #[arg(long)]
        note: Option<String>,
        /// Why, for the audit trail.
        #[arg(long)]
        why: Option<String>,
    },
    /// Split entries between categories by share: each part is counted spend-based with its
    /// own factor on its share of the amount (the shares add up to 100).
    Split {
        #[arg(required = true)]
        entries: Vec<i64>,
        /// A part, as SHARE:FACTOR[:SCOPE3_CATEGORY[:NAME]], e.g. `--part 60:481111:6:Flights
        /// --part 40:721110:6:Hotels` (percent, the factor's code, the Scope 3 category, 1 when
        /// left out, and the category to report it under, the factor's title when left out).
        #[arg(
            long = "part",
            required = true,
            value_name = "SHARE:FACTOR[:SCOPE3_CATEGORY[:NAME]]"
        )]
        parts: Vec<String>,
        #[arg(long)]
        note: Option<String>,
        /// Why, for the audit trail.
        #[arg(long)]
        why: Option<String>,
    },
    /// Exclude entries, with the reason (kept in the audit trail and the report).
    Exclude {
        #[arg(required = true)]
        entries: Vec<i64>,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Give the quantity behind entries (kWh, litres, passenger-km, km, room-nights,
    /// tonne-km, kg of waste): they count with the UK DESNZ 2024 factor for that activity
    /// instead of the spend-based estimate (`carbonsync factors --activities` lists them).
    /// Without the quantity, estimate it from each line's amount with --price, --currency and
    /// --price-source (data quality 3; the entries stay in the review queue as estimates).
    #[command(group(clap::ArgGroup::new("how_much").required(true).args(["quantity", "price"])))]
    Activity {
        #[arg(required = true)]
        entries: Vec<i64>,
        /// The activity: electricity-uk, natural-gas, diesel, petrol, flight-short-haul, …
        #[arg(long)]
        activity: String,
        /// How much, in the activity's unit.
        #[arg(long)]
        quantity: Option<rust_decimal::Decimal>,
        /// The unit, to check (the activity's own when left out).
        #[arg(long)]
        unit: Option<String>,
        /// Instead of --quantity: the price per unit, to estimate the quantity from the amount.
        #[arg(long, requires_all = ["currency", "price_source"])]
        price: Option<rust_decimal::Decimal>,
        /// The currency of --price (ISO 4217, e.g. GBP); each line must be in it.
        #[arg(long)]
        currency: Option<String>,
        /// Where --price comes from (e.g. "DESNZ Quarterly Energy Prices, non-domestic, 2024").
        #[arg(long)]
        price_source: Option<String>,
        /// For electricity: the supplier-specific or contractual factor, kg CO2e per kWh, for
        /// Scope 2 market-based.
        #[arg(long, requires = "market_factor_source")]
        market_factor: Option<rust_decimal::Decimal>,
        /// Where --market-factor comes from (the supplier's fuel mix disclosure, a contract).
        #[arg(long)]
        market_factor_source: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Why, for the audit trail.
        #[arg(long)]
        why: Option<String>,
    },
    /// Take back the decisions on entries: they go back to the rules and the mapping.
    Include {
        #[arg(required = true)]
        entries: Vec<i64>,
        /// Why, for the audit trail.
        #[arg(long)]
        why: Option<String>,
    },
}

/// What a rule matches and does.
#[derive(clap::Args)]
struct RuleFields {
    /// Start from entry ENTRY's decision: same platform and supplier (or account).
    #[arg(long, value_name = "ENTRY")]
    like: Option<i64>,
    /// What the rule is called in the rules list, on the entries it decides and in the
    /// report; no two rules share one.
    #[arg(long)]
    name: Option<String>,
    /// The supplier, whole (letters' case aside).
    #[arg(long)]
    supplier: Option<String>,
    /// The account code, whole.
    #[arg(long)]
    account: Option<String>,
    /// Words found in the line's description.
    #[arg(long)]
    description: Option<String>,
    /// Smallest amount, in the line's currency (inclusive); refunds and credits are
    /// negative (`--min -500`).
    #[arg(long, allow_negative_numbers = true)]
    min: Option<rust_decimal::Decimal>,
    /// Largest amount, in the line's currency (inclusive).
    #[arg(long, allow_negative_numbers = true)]
    max: Option<rust_decimal::Decimal>,
    /// The platform: xero, quickbooks, …
    #[arg(long)]
    platform: Option<String>,
    /// Count matching entries with this factor's code.
    #[arg(long)]
    factor: Option<String>,
    /// The category the entries are reported under (default: the factor's title; an edit
    /// keeps the rule's own).
    #[arg(long)]
    category: Option<String>,
    /// The GHG Protocol Scope 3 category, 1 to 15 (default: the one the account mappings
    /// give the factor, else 1, purchased goods and services).
    #[arg(long)]
    scope3_category: Option<u8>,
    /// Exclude matching entries, for this reason.
    #[arg(long, value_name = "REASON")]
    exclude: Option<String>,
}

#[derive(Subcommand)]
enum RuleCmd {
    /// Add a rule, tried after the others. `--preview` lists what it would change and
    /// saves nothing.
    Add {
        #[command(flatten)]
        fields: RuleFields,
        #[arg(long)]
        preview: bool,
        /// Why, for the audit trail.
        #[arg(long)]
        why: Option<String>,
    },
    /// Change what a rule matches or does (the fields given replace its own).
    Edit {
        id: i64,
        #[command(flatten)]
        fields: RuleFields,
        #[arg(long)]
        preview: bool,
        #[arg(long)]
        why: Option<String>,
    },
    /// Move a rule to POSITION (1 is tried first).
    Move {
        id: i64,
        position: i64,
        #[arg(long)]
        why: Option<String>,
    },
    /// Remove a rule.
    Remove {
        id: i64,
        #[arg(long)]
        why: Option<String>,
    },
}

#[derive(Subcommand)]
enum PeriodCmd {
    /// Every period closed or reopened, with its reported totals and waiting changes.
    List,
    /// Close a period: its numbers are frozen as reported now; later syncs list what they
    /// change in it as changes after close instead of changing them. Periods closed before
    /// inside it (its months) are taken in as they reported.
    Close {
        /// A month (2024-03), a quarter (2024-Q2), a year (2024) or a financial year
        /// (FY2024: the one that starts in 2024, in --fy-start-month; FY2024-25 names both
        /// its years).
        period: String,
        /// The month (1-12) the financial year starts in, for FY periods.
        #[arg(long, default_value_t = 1, value_name = "MONTH")]
        fy_start_month: u32,
        /// A note kept with the close in the audit trail.
        #[arg(long)]
        note: Option<String>,
    },
    /// Reopen a closed period (a reason is required): its totals are the live ledger's again.
    Reopen {
        /// The period as it was closed (`carbonsync period list`).
        period: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// What syncs changed in closed periods since they were closed, with the difference.
    Changes {
        /// Only this closed period.
        period: Option<String>,
    },
    /// Accept changes after close into the period's numbers (a restatement, audited).
    Restate {
        period: String,
        /// Only these entries (repeat the option); all of the period's changes without it.
        #[arg(long, value_name = "ID")]
        entry: Vec<i64>,
        /// Why, for the audit trail.
        #[arg(long)]
        why: Option<String>,
    },
    /// Leave changes after close out of the period's numbers (audited); they come back only
    /// if the entry changes once more.
    Leave {
        period: String,
        #[arg(long, value_name = "ID")]
        entry: Vec<i64>,
        #[arg(long)]
        why: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Check the whole chain of hashes.
    Verify,
}

#[derive(Subcommand)]
enum DestinationAction {
    /// What was sent to a destination, when, and whether it arrived.
    History {
        id: i64,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Change when the monthly report goes out and which alerts come.
    Set {
        id: i64,
        /// Send the monthly report (`on` or `off`).
        #[arg(long, value_name = "on|off")]
        report: Option<String>,
        /// Day of the month the report goes out, 1 to 28.
        #[arg(long)]
        report_day: Option<u8>,
        /// Time of day (HH:MM, this machine's local time) the report goes out.
        #[arg(long)]
        report_time: Option<String>,
        /// Alert kinds sent here, comma-separated: sync_failed, needs_reconnect,
        /// limit_paused; `none` for no alerts.
        #[arg(long)]
        alerts: Option<String>,
        /// Connections whose alerts come here, comma-separated ids, or `all`.
        #[arg(long)]
        connections: Option<String>,
    },
    /// Send a short test message.
    Test { id: i64 },
    /// Stop sending there (a Slack app's token is revoked); the history stays.
    Remove { id: i64 },
    /// What the sandbox's Slack and Teams received (for destinations on the sandbox).
    Inbox,
}

#[derive(Parser)]
#[command(
    name = "carbonsync",
    version,
    about = "Connect accounting platforms, sync them, and review the emissions of what was spent."
)]
struct Cli {
    /// Configuration file (default: the platform's config folder, carbonsync/carbonsync.toml).
    #[arg(long, global = true, value_name = "FILE", env = "CARBONSYNC_CONFIG")]
    config: Option<PathBuf>,
    /// Data folder for the database and logs (default: the platform's data folder).
    #[arg(long, global = true, value_name = "DIR", env = "CARBONSYNC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Also print informational messages on stderr (warnings are always printed).
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Month,
    Category,
    Scope,
    Source,
}

#[derive(Clone, Copy, ValueEnum)]
enum CloudBy {
    Month,
    Service,
    Region,
    Scope,
    Account,
    Source,
}

#[derive(Subcommand)]
enum Command {
    /// List the platforms CarbonSync knows, by category.
    Providers {
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Connect an organisation through the browser, or a cloud account with its keys.
    ///
    /// Cloud platforms take their form's fields as flags (`carbonsync connect aws
    /// --access-key-id AKIA…`); secrets are read from the terminal without echo, or one a line
    /// from standard input, never from an argument. `--sandbox` connects the sandbox's own
    /// generated account instead.
    Connect {
        /// Platform id: `xero`, `quickbooks`, `salesforce`, `aws`, `azure`, `gcp`, `slack`,
        /// `teams` (`carbonsync providers` lists them). Slack: `--webhook` to paste an
        /// incoming-webhook URL (read without echo, or from standard input), otherwise the
        /// Slack app's sign-in; `--channel NAME` picks the channel. Teams: its Workflows
        /// webhook URL, read the same way. `--name` names the destination.
        provider: String,
        /// Cloud platforms: connect the sandbox's generated account (its keys are filled in).
        #[arg(long)]
        sandbox: bool,
        /// Cloud platforms: the form's fields, `--access-key-id ID`, `--tenant-id ID`,
        /// `--table project.dataset.table`, `--key-file key.json`, …
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "--FIELD VALUE"
        )]
        fields: Vec<String>,
        /// Organisation to connect (id or name) when the sign-in covers several.
        #[arg(long)]
        tenant: Option<String>,
        /// Seconds to wait for the browser.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The greenhouse-gas inventory report of a period (`--period FY2024 --pdf out.pdf`,
    /// `--csv DIR`, or words on the terminal); `send` and `preview` are the monthly ESG report
    /// for Slack and Teams.
    #[command(args_conflicts_with_subcommands = true)]
    Report {
        #[command(subcommand)]
        action: Option<ReportAction>,
        #[command(flatten)]
        inventory: InventoryArgs,
    },
    /// Where reports and alerts go (Slack channels, Teams workflows): list them, see what
    /// was sent, change what each receives, send a test, remove one.
    Destinations {
        #[command(subcommand)]
        action: Option<DestinationAction>,
        /// Print JSON for programs instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Incidents (a sync failing, a reconnect needed, a limit pausing syncs) and the alerts
    /// sent about them. `--check` looks at every connection now and sends what is due.
    Alerts {
        /// Check now: open or resolve incidents and send their alerts.
        #[arg(long)]
        check: bool,
        /// Print JSON for programs instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The review: the queue of entries that need a person and its progress; accept,
    /// reclassify, exclude or include entries; `show` one with its whole trail. Decisions
    /// outrank rules, survive re-syncs and go in the audit trail.
    #[command(args_conflicts_with_subcommands = true)]
    Review {
        #[command(subcommand)]
        action: Option<ReviewCmd>,
        #[command(flatten)]
        queue: QueueArgs,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Rules for similar entries: list (in the order they are tried), add (with --preview
    /// first), edit, move, remove. They apply to every later sync.
    Rules {
        #[command(subcommand)]
        action: Option<RuleCmd>,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Period close: close a month, quarter or (financial) year so its numbers stay as
    /// reported; list the changes after close later syncs made; restate or leave them;
    /// reopen with a reason. Every step is in the audit trail.
    Period {
        #[command(subcommand)]
        action: Option<PeriodCmd>,
        /// Print JSON for programs (decimals as strings) instead of words.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Find a factor of the spend-based set by code or words of its title; `--activities`
    /// lists the activities a quantity can be given for instead.
    Factors {
        query: Vec<String>,
        #[arg(long)]
        activities: bool,
        #[arg(long, default_value_t = 25)]
        limit: usize,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The audit trail: every change to how numbers are produced (decisions, rules, emission
    /// tables, destinations), who made it (operating-system user and machine), when, before and
    /// after. `verify` checks that no row was changed, removed or inserted behind the app's
    /// back (exit 1, naming the row, when one was).
    Audit {
        #[command(subcommand)]
        action: Option<AuditAction>,
        /// Only the rows about this, e.g. `supplier_rule:4`, `destination:2`.
        #[arg(long)]
        subject: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Print JSON for programs instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
    /// List connections and their state.
    Connections {
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sync one connection, or all active ones.
    Sync {
        /// Connection id (see `carbonsync connections`).
        id: Option<i64>,
        /// Sync every active connection.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Fetch everything again instead of only what changed.
        #[arg(long)]
        full: bool,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Send CarbonSync's spend-based Scope 3, by month and category, to a Salesforce Net Zero
    /// Cloud connection: the counted ledger of every accounting connection, as `carbonsync
    /// emissions` totals it. One `Scope3PcmtSummary` record per month under the key
    /// `carbonsync-YYYY-MM` in the org's external-id text field `CarbonSync_Key__c` (add it to
    /// the object first); sending a month again replaces its figures, categories not sent
    /// included. Categories 1 to 7 have their own fields, 8 to 15 go to uncategorised.
    /// Months without counted Scope 3 are skipped. What was sent is in the connection's
    /// history (`carbonsync logs ID`).
    Export {
        /// The Salesforce connection (see `carbonsync connections`).
        id: i64,
        /// First month, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM")]
        from: String,
        /// Last month, YYYY-MM (default: the first).
        #[arg(long, value_name = "YYYY-MM")]
        to: Option<String>,
        /// Only these Scope 3 categories (1 to 15), comma-separated (e.g. `1,6`); all by default.
        #[arg(long, value_delimiter = ',', value_name = "N,N")]
        category: Option<Vec<u8>>,
        /// Print JSON for programs instead of words.
        #[arg(long)]
        json: bool,
    },
    /// Show the sync history, and the records set aside because they could not be read.
    Logs {
        /// Connection id; all connections when absent.
        id: Option<i64>,
        /// At most this many runs, newest first.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// List only the records set aside (with `--json`, each with the JSON as sent).
        #[arg(long)]
        set_aside: bool,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Totals and breakdowns of the emissions ledger, or the ledger itself.
    Emissions {
        /// Break the totals down by month (split by scope), category, scope or source.
        #[arg(long, value_enum)]
        by: Option<By>,
        /// List ledger entries instead of totals.
        #[arg(long)]
        ledger: bool,
        /// Only this connection's entries (see `carbonsync connections`).
        #[arg(long, value_name = "ID")]
        connection: Option<i64>,
        /// First day, YYYY-MM-DD (inclusive).
        #[arg(long, value_name = "DAY", value_parser = day)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (inclusive).
        #[arg(long, value_name = "DAY", value_parser = day)]
        to: Option<String>,
        /// Only entries for this record id (ledger).
        #[arg(long)]
        record: Option<String>,
        /// At most this many ledger entries, newest first.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a connection at the platform and remove its keychain entry.
    Disconnect {
        /// Connection id (see `carbonsync connections`).
        id: i64,
        /// Also delete its synced records, ledger and history.
        #[arg(long)]
        delete_data: bool,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set how often a connection syncs: manual, 15m, hourly, 6h, daily or a cron expression.
    Schedule {
        /// Connection id (see `carbonsync connections`).
        id: i64,
        /// manual, 15m, hourly, 6h, daily, or a cron expression with seconds
        /// ("0 30 2 * * *").
        frequency: String,
    },
    /// Run the background schedule until interrupted (Ctrl-C).
    Daemon,
    /// Run headless as a server: the schedule of every connection in the data folder, and
    /// the platforms' webhooks (Xero, QuickBooks Online) at
    /// `http://ADDRESS/webhooks/xero` and `/webhooks/quickbooks`, behind a reverse proxy or
    /// tunnel that terminates TLS. Stops cleanly on Ctrl-C or SIGTERM: a sync in progress
    /// finishes its page first.
    Serve {
        /// Address to listen on; port 0 picks a free one (printed at start).
        #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDRESS:PORT")]
        listen: std::net::SocketAddr,
    },
    /// Keep the key a platform signs its webhooks with (Xero's webhook key, Intuit's
    /// verifier token, Slack's signing secret for button clicks) in the keychain, for
    /// `carbonsync serve`. The key is read from the terminal without echo, or from standard
    /// input; never from an argument.
    WebhookKey {
        /// xero, quickbooks or slack
        platform: String,
        /// Use the sandbox's key instead, so its signed test deliveries are accepted. The key is
        /// public; it is refused for a platform set up with your own app.
        #[arg(long, conflicts_with = "clear")]
        sandbox: bool,
        /// Forget the key: a running `carbonsync serve` refuses that platform's webhooks within
        /// seconds.
        #[arg(long)]
        clear: bool,
    },
    /// Check the data folder: the database's integrity (every page), write access,
    /// permissions, free disk space and backups. Exits non-zero when a check finds a problem.
    Doctor {
        /// Put this backup (a path, or a file name in the data folder's `backups/`) in the
        /// place of the database; the current file is moved aside, not deleted.
        #[arg(long, value_name = "BACKUP", conflicts_with = "backup")]
        restore: Option<PathBuf>,
        /// Make a backup of the database now.
        #[arg(long)]
        backup: bool,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Use your own app at a platform instead of the sandbox: the client id goes to the
    /// configuration file, the client secret only to the keychain.
    AppCredentials {
        /// Platform id, e.g. `quickbooks`.
        provider: String,
        /// The client id of your app at the platform.
        #[arg(long, required_unless_present = "clear")]
        client_id: Option<String>,
        /// Read the client secret from standard input (pipe it in, so it never shows on
        /// screen, in the shell's history or in a process list).
        #[arg(long, conflicts_with = "clear")]
        client_secret_stdin: bool,
        /// Forget the client id and secret: the platform runs on the sandbox again.
        #[arg(long)]
        clear: bool,
    },
    /// Emissions the platforms report themselves (AWS, Azure, Google Cloud, and Salesforce Net
    /// Zero Cloud's footprints): totals under both bases, by month, service, region, scope,
    /// account or source; the rows as published; the cloud months, published or pending, with
    /// the bill and the accounting spend they cover; and where an inventory and the
    /// spend-based ledger count the same month, scope and category.
    Cloud {
        /// Break the totals down.
        #[arg(long, value_enum, default_value = "month")]
        by: CloudBy,
        /// List the rows as the provider published them instead.
        #[arg(long, conflicts_with = "months")]
        rows: bool,
        /// List the months instead: published or pending, bill, covered spend.
        #[arg(long)]
        months: bool,
        /// Only this connection (see `carbonsync connections`).
        #[arg(long, value_name = "ID")]
        connection: Option<i64>,
        /// First day, YYYY-MM-DD (inclusive; compared by month).
        #[arg(long, value_name = "DAY", value_parser = day)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (inclusive; compared by month).
        #[arg(long, value_name = "DAY", value_parser = day)]
        to: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Print JSON for programs (decimals as strings) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The rules that say which accounting suppliers a cloud platform's reports cover (their
    /// spend is then not counted twice): list them, add one, or switch one off or on.
    Suppliers {
        /// Add a pattern for a cloud platform: `--add aws "Amazon Web Services EMEA"`.
        #[arg(long, num_args = 2, value_names = ["PLATFORM", "PATTERN"])]
        add: Option<Vec<String>>,
        /// With `--add`: phrases, comma-separated, that keep a line out although its supplier
        /// matches (whole words in its description), e.g. `Workspace, Gmail` for Google
        /// Workspace billed by Google Cloud.
        #[arg(long, requires = "add", value_name = "WORDS")]
        unless: Option<String>,
        /// Switch a rule off (see the ids listed).
        #[arg(long, value_name = "ID")]
        disable: Option<i64>,
        /// Switch a rule on again.
        #[arg(long, value_name = "ID")]
        enable: Option<i64>,
        /// Print JSON for programs instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Serve the sandbox (a local stand-in for Xero, QuickBooks Online, AWS, Azure, Google
    /// Cloud and Salesforce, and a sender of their webhooks) on its own.
    Sandbox {
        /// Port on 127.0.0.1; 0 picks a free one (printed at start).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Records per organisation or company (every record stream together).
        #[arg(long)]
        records: Option<usize>,
        /// Seed of the generated companies: the same seed, the same data.
        #[arg(long)]
        seed: Option<u64>,
        /// Turn off the platforms' request limits (Xero: 60 a minute per organisation;
        /// QuickBooks: 500 a minute and 10 at once per company).
        #[arg(long)]
        no_rate_limit: bool,
        /// Keep tokens and changes in this file across restarts.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Size of each cloud provider's generated estate, `ACCOUNTSxSERVICESxREGIONS`, every
        /// combination in use (`10x50x20` for the benchmark; default 3 accounts, 24 services,
        /// 5 regions, about a third in use).
        #[arg(long, value_name = "AxSxR", value_parser = cloud_scale)]
        cloud_scale: Option<carbonsync_core::sandbox::CloudScale>,
    },
}

/// `10x50x20`: accounts × services × regions, all combinations in use.
fn cloud_scale(text: &str) -> Result<carbonsync_core::sandbox::CloudScale, String> {
    let parts: Vec<usize> = text
        .split('x')
        .map(|p| p.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            format!("{text:?} is not a size: write ACCOUNTSxSERVICESxREGIONS, e.g. 10x50x20")
        })?;
    match parts[..] {
        [accounts, services, regions]
            if (1..=100).contains(&accounts)
                && (1..=200).contains(&services)
                && (1..=50).contains(&regions) =>
        {
            Ok(carbonsync_core::sandbox::CloudScale {
                accounts,
                services,
                regions,
                density_percent: 100,
            })
        }
        _ => Err(format!(
            "{text:?}: write ACCOUNTSxSERVICESxREGIONS with at most 100 accounts, 200 services and 50 regions"
        )),
    }
}

/// A day as `YYYY-MM-DD`, checked so that a mistyped date is an error, not an empty result.
fn day(text: &str) -> Result<String, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("{text:?} is not a day: write it as YYYY-MM-DD, e.g. 2024-03-31"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(detail) = &e.detail {
                tracing::debug!("detail: {detail}");
            }
            ExitCode::FAILURE
        }
    }
}
