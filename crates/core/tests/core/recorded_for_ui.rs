//! What the window's tests run on, recorded from the application itself.
//!
//! The window's unit tests (vitest, `ui/`) use an in-memory backend instead of the desktop
//! shell. So that its data and messages cannot drift from what the application really says,
//! that backend serves the JSON files this test writes to `ui/src/backend/recorded/`: the
//! answers of the same `App` methods the desktop's commands call (`src-tauri/src/commands.rs`),
//! serialised from the same structs, against the built-in sandbox on loopback.
//!
//! The script: sign-ins that end without a connection come first (a forged answer, a refusal
//! on each sign-in route, a choice of organisation that no longer waits or names another); then
//! one Xero organisation (Harbour & Pine Ltd) is connected through the deep link
//! and the QuickBooks company through a loopback port, as the window connects them; each is
//! synced twice (the first Xero sync meets one bank transaction it cannot read, which is set
//! aside); then everything the window shows is read back; last, Xero withdraws the grant and a
//! sync finds that out.
//!
//! What differs from one run to the next is replaced by fixed values of the same shape (see
//! [`Moments`]); every message, count and amount is kept as the application wrote it. Without
//! `CARBONSYNC_RECORD_UI=1` the test compares the files with a fresh recording and fails when
//! they differ; with it, it rewrites them.

use carbonsync_core::{
    App, AppError, ConnectOutcome, ConnectResult, Connection, CursorView, EmissionsSummary,
    GroupBy, LedgerFilter, LedgerPage, LedgerStatus, OpenOptions, RedirectStyle, SetAsideRecord,
    SyncFinished, SyncOptions, SyncRun, Trigger, DEEP_LINK_REDIRECT,
};
use carbonsync_sandbox::{SandboxOptions, QUICKBOOKS_REALM_ID, UK_TENANT_ID};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Set to `1` to rewrite the recorded files instead of comparing with them.
const RECORD_ENV: &str = "CARBONSYNC_RECORD_UI";
/// How to rewrite them, for the failure message and the files' note.
const RERECORD: &str = "CARBONSYNC_RECORD_UI=1 scripts/with-keyring cargo test -p carbonsync-core --test core recorded_for_ui";

/// The sandbox's generated companies: its default seed, and a size that keeps the files small
/// (every fixed fixture is present at any size).
const SEED: u64 = 2024;
const RECORDS_PER_ORG: usize = 20;

/// The sandbox's fixed Xero records of the UK organisation (see the sandbox README).
const XERO_FIXTURES: [&str; 6] = [
    "f1a00000-0000-4000-8000-000000000001",
    "f1a00000-0000-4000-8000-000000000002",
    "f1a00000-0000-4000-8000-000000000003",
    "f1a00000-0000-4000-8000-000000000004",
    "f1a00000-0000-4000-8000-000000000008",
    "f1a00000-0000-4000-8000-000000000009",
];
/// The sandbox's fixed QuickBooks records.
const QUICKBOOKS_FIXTURES: [&str; 5] = ["9001", "9002", "9003", "9004", "9005"];

/// What the sandbox is told to do to the first Xero sync: the first bank transaction arrives
/// with a date no one can read.
fn unreadable_bank_transaction() -> serde_json::Value {
    json!({"kind": "mangle_record", "path_contains": "BankTransactions", "record_index": 0,
           "set": {"Date": "/Date(abc)/"}, "count": 1})
}

/// What the sandbox is told before the last sync: Xero withdraws the grant.
fn revoked_grant() -> serde_json::Value {
    json!({"kind": "revoke_grant", "count": 1})
}

#[tokio::test]
async fn the_windows_recorded_data_is_what_the_application_sends_today() {
    let files = record().await;
    let dir = recorded_dir();
    if std::env::var(RECORD_ENV).is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        println!("wrote {} files to {}", files.len(), dir.display());
        return;
    }
    let mut differences = Vec::new();
    for (name, text) in &files {
        let shown = format!("ui/src/backend/recorded/{name}");
        match std::fs::read_to_string(dir.join(name)) {
            Err(e) => differences.push(format!("{shown} cannot be read ({e})")),
            Ok(committed) if committed != *text => {
                differences.push(format!("{shown}: {}", first_difference(&committed, text)))
            }
            Ok(_) => {}
        }
    }
    assert!(
        differences.is_empty(),
        "The window's tests run on recorded answers of the application, and the application \
         now answers differently:\n  {}\nIf the change is intended, record them again with\n  \
         {RERECORD}\nand review the difference of ui/src/backend/recorded/ before committing.",
        differences.join("\n  ")
    );
}

/// `ui/src/backend/recorded/`.
fn recorded_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/backend/recorded")
}

/// The first line where the committed file and the fresh recording part.
fn first_difference(committed: &str, fresh: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut fresh_lines = fresh.lines();
    for line in 1.. {
        match (committed_lines.next(), fresh_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (a, b) => {
                return format!(
                    "line {line} is {} in the file but {} now",
                    a.map_or("missing".into(), |a| format!("`{}`", a.trim())),
                    b.map_or("missing".into(), |b| format!("`{}`", b.trim())),
                )
            }
        }
    }
    unreachable!()
}

/// `recording.json`: how the files were made, and the moment they are read at.
#[derive(Serialize)]
struct RecordingNote {
    /// Every moment of the recording is before this one (see [`Moments`]); the window's tests
    /// read the recording as if it were now.
    read_at: String,
    sandbox_seed: u64,
    sandbox_records_per_org: usize,
    /// The sandbox faults the script queued, in order, with the step they apply to.
    faults: Vec<serde_json::Value>,
    rerecord: &'static str,
}

/// `sign-in.json`: how each sign-in ends, as the window hears it (`connect-result`).
#[derive(Serialize)]
struct SignIns {
    /// The deep link's answer: a choice of organisations.
    xero: ConnectResult,
    /// `choose_tenant` with Harbour & Pine Ltd.
    xero_chosen: Connection,
    /// The loopback answer: QuickBooks' one company, connected at once.
    quickbooks: ConnectResult,
    #[serde(flatten)]
    refusals: Refusals,
}

/// The sign-ins of `sign-in.json` that end without a connection.
#[derive(Serialize)]
struct Refusals {
    /// A deep link whose `state` this install never issued.
    forged: ConnectResult,
    /// The person chose not to allow access, by platform.
    denied: BTreeMap<&'static str, ConnectResult>,
    /// `choose_tenant` for a choice that no longer waits (made, cancelled or never offered).
    choice_gone: AppError,
    /// `choose_tenant` with an organisation the sign-in did not offer.
    tenant_not_offered: AppError,
}

/// One `emissions_summary` call and its answer.
#[derive(Serialize)]
struct EmissionsCall {
    filter: LedgerFilter,
    by: Option<GroupBy>,
    summary: EmissionsSummary,
}

/// One `ledger_page` call and its answer.
#[derive(Serialize)]
struct LedgerCall {
    filter: LedgerFilter,
    offset: i64,
    limit: i64,
    page: LedgerPage,
}

/// `revoked.json`: Xero withdrew the grant, and the next sync found out.
#[derive(Serialize)]
struct Revoked {
    /// The `sync-finished` event of that sync.
    sync_finished: SyncFinished,
    /// The connection as the core leaves it.
    connection: Connection,
    /// Its history afterwards, newest first.
    history: Vec<SyncRun>,
}

/// Runs the script and returns each file's name and text.
async fn record() -> Vec<(&'static str, String)> {
    let began = Utc::now();
    let sandbox = carbonsync_sandbox::start(
        SandboxOptions {
            seed: SEED,
            records_per_org: RECORDS_PER_ORG,
            auto_approve: true,
            // No limit can be met by chance, so the counts of calls are the same every run.
            rate_limit: None,
            ..SandboxOptions::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap();
    let base = sandbox.base_url().to_string();
    let control = |body: serde_json::Value| {
        let url = format!("{base}/_control/faults");
        async move {
            let status = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status();
            assert!(status.is_success(), "the sandbox refused the fault {body}");
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(&config, format!("[sandbox]\nurl = \"{base}\"\n")).unwrap();
    let app = App::open(&OpenOptions {
        config_file: Some(config),
        data_dir: Some(dir.path().join("data")),
    })
    .unwrap();

    let refusals = refusals(&app).await;
    assert!(app.connections().unwrap().is_empty());

    // Connect as the window does (`begin_connect` picks the route the same way).
    assert_eq!(
        app.sign_in_route("xero").await.unwrap(),
        RedirectStyle::DeepLink
    );
    let link = browser_answer(&app.begin_connect("xero").await.unwrap()).await;
    let xero_answer = app.complete_connect(&link).await;
    let Ok(ConnectOutcome::ChooseTenant { choice_id, .. }) = &xero_answer else {
        panic!("the sandbox grant covers both organisations: {xero_answer:?}")
    };
    let xero = app.choose_tenant(choice_id, UK_TENANT_ID).await.unwrap();
    let install = ids_prefix(&xero.vault_key).expect("a vault key names its install");
    assert_eq!(
        app.sign_in_route("quickbooks").await.unwrap(),
        RedirectStyle::Loopback
    );
    let quickbooks_answer = app
        .connect_with_loopback(
            "quickbooks",
            |url| {
                let url = url.to_string();
                tokio::spawn(async move {
                    let _ = reqwest::get(url).await;
                });
                Ok(())
            },
            std::time::Duration::from_secs(30),
        )
        .await;
    let Ok(ConnectOutcome::Connected { connection }) = &quickbooks_answer else {
        panic!("QuickBooks has one company: {quickbooks_answer:?}")
    };
    assert_eq!(connection.tenant_id, QUICKBOOKS_REALM_ID);
    let quickbooks = connection.id;

    // Sync each twice, as "Sync now" does; the second finds nothing new.
    let mut finished = Vec::new();
    control(unreadable_bank_transaction()).await;
    for id in [xero.id, quickbooks, xero.id, quickbooks] {
        let result = app.sync(id, &SyncOptions::new(Trigger::Window)).await;
        assert!(result.is_ok(), "sync of {id}: {result:?}");
        finished.push(SyncFinished::new(id, &result));
    }

    // Everything the window reads, as it reads it.
    let providers = app.providers().unwrap();
    // The connect form of each platform connected with keys.
    let cloud_fields: BTreeMap<String, _> = providers
        .iter()
        .filter_map(|p| Some((p.id.clone(), app.cloud_fields(&p.id).ok()?)))
        .collect();
    for id in ["xero", "quickbooks"] {
        let p = providers.iter().find(|p| p.id == id).unwrap();
        assert!(
            p.available && p.sandbox,
            "{id} can be connected, on the sandbox: {p:?}"
        );
    }
    let connections = app.connections().unwrap();
    let ids: Vec<i64> = connections.iter().map(|c| c.id).collect();
    let history: BTreeMap<String, Vec<SyncRun>> = ids
        .iter()
        .map(|&id| (id.to_string(), app.logs(Some(id), 50).unwrap()))
        .collect();
    let cursors: BTreeMap<String, Vec<CursorView>> = ids
        .iter()
        .map(|&id| (id.to_string(), app.cursors(id).unwrap()))
        .collect();
    let set_aside: BTreeMap<String, Vec<SetAsideRecord>> = ids
        .iter()
        .map(|&id| (id.to_string(), app.set_aside(Some(id)).unwrap()))
        .collect();
    assert_eq!(
        set_aside[&xero.id.to_string()].len(),
        1,
        "the unreadable bank transaction is set aside"
    );
    let emissions: Vec<EmissionsCall> = emissions_calls(xero.id)
        .into_iter()
        .map(|(filter, by)| EmissionsCall {
            summary: app.emissions(by, &filter).unwrap(),
            filter,
            by,
        })
        .collect();
    let whole = app
        .ledger_page(&LedgerFilter::default(), 0, 1)
        .unwrap()
        .total;
    let ledger = app.ledger_page(&LedgerFilter::default(), 0, whole).unwrap();
    let ledger_pages: Vec<LedgerCall> = ledger_calls(quickbooks)
        .into_iter()
        .map(|(filter, offset, limit)| LedgerCall {
            page: app.ledger_page(&filter, offset, limit).unwrap(),
            filter,
            offset,
            limit,
        })
        .collect();
    for call in &ledger_pages {
        if call.filter.record_id.is_some() {
            assert!(
                !call.page.entries.is_empty(),
                "{:?} is in the ledger",
                call.filter
            );
        }
    }

    // Xero withdraws the grant; the next sync finds out.
    control(revoked_grant()).await;
    let result: Result<_, AppError> = app.sync(xero.id, &SyncOptions::new(Trigger::Window)).await;
    let error = result.as_ref().expect_err("the sync fails");
    assert_eq!(error.code, "needs_reconnect", "{error:?}");
    let revoked = Revoked {
        sync_finished: SyncFinished::new(xero.id, &result),
        connection: app.connection(xero.id).unwrap(),
        history: app.logs(Some(xero.id), 50).unwrap(),
    };

    // Every moment is placed now that all the runs are known.
    let moments = Moments::new(
        &app.connections().unwrap(),
        &app.logs(None, 1000).unwrap(),
        began - TimeDelta::hours(1),
        Utc::now() + TimeDelta::minutes(1),
    );
    let sign_ins = SignIns {
        xero: ConnectResult::from(xero_answer.map(|o| moments.outcome(o))),
        xero_chosen: moments.connection(xero),
        quickbooks: ConnectResult::from(quickbooks_answer.map(|o| moments.outcome(o))),
        refusals,
    };
    let connections: Vec<Connection> = connections
        .into_iter()
        .map(|c| moments.connection(c))
        .collect();
    // Positions are placed from the run that was the newest when they were read.
    let cursors: BTreeMap<String, Vec<CursorView>> = cursors
        .into_iter()
        .map(|(id, list)| {
            let newest = &history[&id][0].started_at;
            let placed = list
                .into_iter()
                .map(|c| moments.cursor(newest, c))
                .collect();
            (id, placed)
        })
        .collect();
    let history: BTreeMap<String, Vec<SyncRun>> = history
        .into_iter()
        .map(|(id, runs)| (id, runs.into_iter().map(|r| moments.run(r)).collect()))
        .collect();
    let set_aside: BTreeMap<String, Vec<SetAsideRecord>> = set_aside
        .into_iter()
        .map(|(id, list)| (id, list.into_iter().map(|r| moments.set_aside(r)).collect()))
        .collect();
    let revoked = Revoked {
        connection: moments.connection(revoked.connection),
        history: revoked
            .history
            .into_iter()
            .map(|r| moments.run(r))
            .collect(),
        ..revoked
    };
    let note = RecordingNote {
        read_at: stamp(moments.read_at()),
        sandbox_seed: SEED,
        sandbox_records_per_org: RECORDS_PER_ORG,
        faults: vec![
            json!({"before": "the first sync of Xero", "fault": unreadable_bank_transaction()}),
            json!({"before": "the last sync of Xero", "fault": revoked_grant()}),
        ],
        rerecord: RERECORD,
    };

    let files = vec![
        ("recording.json", text(&note)),
        ("providers.json", text(&providers)),
        ("cloud-fields.json", text(&cloud_fields)),
        ("sign-in.json", text(&sign_ins)),
        ("connections.json", text(&connections)),
        ("history.json", text(&history)),
        ("cursors.json", text(&cursors)),
        ("set-aside.json", text(&set_aside)),
        ("sync-finished.json", text(&finished)),
        ("emissions.json", text(&emissions)),
        ("ledger.json", text(&ledger)),
        ("ledger-pages.json", text(&ledger_pages)),
        ("revoked.json", text(&revoked)),
    ];
    // Nothing of this run may remain: no moment of today, no sandbox port, no install id.
    let today = [began, Utc::now()].map(|t| t.format("%Y-%m-%dT").to_string());
    for (name, text) in &files {
        for leftover in today.iter().map(String::as_str).chain([base.as_str()]) {
            assert!(
                !text.contains(leftover),
                "{name} holds `{leftover}` from this run: the recorder must place it (see Moments)"
            );
        }
        assert!(
            !text.contains(install.as_str()),
            "{name} holds the install id"
        );
    }
    files
}

/// Sign-ins that end without a connection: a forged answer, access refused in the browser on
/// each route, and choices of organisation that cannot be made.
async fn refusals(app: &App) -> Refusals {
    let forged = app
        .complete_connect(&format!(
            "{DEEP_LINK_REDIRECT}?code=stolen&state=never-issued"
        ))
        .await;
    assert!(forged.is_err(), "{forged:?}");
    let state = state_of(&app.begin_connect("xero").await.unwrap());
    let xero_denied = app
        .complete_connect(&format!(
            "{DEEP_LINK_REDIRECT}?error=access_denied&state={state}"
        ))
        .await;
    assert!(xero_denied.is_err(), "{xero_denied:?}");
    let quickbooks_denied = app
        .connect_with_loopback(
            "quickbooks",
            |url| {
                // The browser comes back to the loopback port with the refusal.
                let refusal = format!(
                    "{}?error=access_denied&state={}",
                    query_value(url, "redirect_uri"),
                    state_of(url)
                );
                tokio::spawn(async move {
                    let _ = reqwest::get(refusal).await;
                });
                Ok(())
            },
            std::time::Duration::from_secs(30),
        )
        .await;
    assert!(quickbooks_denied.is_err(), "{quickbooks_denied:?}");
    let choice_gone = app
        .choose_tenant("never-offered", UK_TENANT_ID)
        .await
        .unwrap_err();
    let link = browser_answer(&app.begin_connect("xero").await.unwrap()).await;
    let Ok(ConnectOutcome::ChooseTenant { choice_id, .. }) = app.complete_connect(&link).await
    else {
        panic!("the sandbox grant covers both organisations")
    };
    let tenant_not_offered = app
        .choose_tenant(&choice_id, "not-an-organisation-of-this-grant")
        .await
        .unwrap_err();
    Refusals {
        forged: ConnectResult::from(forged),
        denied: BTreeMap::from([
            ("xero", ConnectResult::from(xero_denied)),
            ("quickbooks", ConnectResult::from(quickbooks_denied)),
        ]),
        choice_gone,
        tenant_not_offered,
    }
}

/// The `emissions_summary` calls recorded: the whole ledger grouped each way the window
/// groups it, and a few narrower selections.
fn emissions_calls(xero: i64) -> Vec<(LedgerFilter, Option<GroupBy>)> {
    let all = LedgerFilter::default;
    vec![
        (all(), None),
        (all(), Some(GroupBy::Month)),
        (all(), Some(GroupBy::Category)),
        (all(), Some(GroupBy::Scope)),
        (all(), Some(GroupBy::Source)),
        (
            LedgerFilter {
                connection_id: Some(xero),
                ..all()
            },
            Some(GroupBy::Category),
        ),
        (
            LedgerFilter {
                status: Some(LedgerStatus::Unmapped),
                ..all()
            },
            Some(GroupBy::Category),
        ),
        (
            LedgerFilter {
                from: Some("2024-01-01".into()),
                to: Some("2024-06-30".into()),
                ..all()
            },
            Some(GroupBy::Month),
        ),
    ]
}

/// The `ledger_page` calls recorded besides the whole ledger: each fixed fixture record, and a
/// page from the middle of a narrower selection.
fn ledger_calls(quickbooks: i64) -> Vec<(LedgerFilter, i64, i64)> {
    let mut calls: Vec<(LedgerFilter, i64, i64)> = XERO_FIXTURES
        .iter()
        .chain(QUICKBOOKS_FIXTURES.iter())
        .map(|id| {
            let filter = LedgerFilter {
                record_id: Some((*id).to_string()),
                ..LedgerFilter::default()
            };
            (filter, 0, 50)
        })
        .collect();
    calls.push((
        LedgerFilter {
            connection_id: Some(quickbooks),
            status: Some(LedgerStatus::Counted),
            ..LedgerFilter::default()
        },
        5,
        3,
    ));
    calls.push((
        LedgerFilter {
            scope: Some(3),
            from: Some("2024-01-01".into()),
            to: Some("2024-12-31".into()),
            ..LedgerFilter::default()
        },
        2,
        4,
    ));
    calls
}

/// What the browser does with the sandbox's consent (approved by itself): follows the
/// authorization URL to its redirect, the deep link a browser hands to the desktop.
async fn browser_answer(authorize_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = http.get(authorize_url).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(DEEP_LINK_REDIRECT), "{location}");
    location
}

/// One query parameter of a URL the application opens in the browser.
fn query_value(url: &str, key: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{url} has no {key}"))
        .1
        .into_owned()
}

/// The `state` of an authorization URL.
fn state_of(url: &str) -> String {
    query_value(url, "state")
}

/// Pretty JSON with a final newline, as the files are committed.
fn text<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

/// The install id a vault key begins with (`<install>/connection/<id>`).
fn ids_prefix(vault_key: &str) -> Option<String> {
    vault_key
        .split_once("/connection/")
        .map(|(install, _)| install.to_string())
}

/// A moment as the store writes one: RFC 3339, milliseconds, `Z`.
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("`{s}` is not an RFC 3339 moment: {e}"))
        .with_timezone(&Utc)
}

/// Fixed moments in place of this run's.
///
/// The script's steps get fixed times on 15 January 2025 (UTC): connection `n` is made at
/// 11:00 + (n − 1) min, run `n` starts at 11:00 + 10n min and takes exactly 2 s, and the
/// recording is read at 12:00. Any other moment of this run is placed at the fixed time of the
/// latest of those steps that began at or before it, so the order of moments is kept (a
/// connection updated when its sync finished says so). A stream's position lies before the
/// sync that set it (QuickBooks keeps a minute's margin): it is placed that many whole minutes,
/// rounded up, before the connection's newest run when it was read. Moments outside the run (the records' own
/// dates, from the sandbox's fixed data) are kept as they are.
struct Moments {
    /// Real moment and fixed moment of each step, oldest first.
    steps: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Moments in here are this run's.
    window: (DateTime<Utc>, DateTime<Utc>),
}

/// 2025-01-15T11:00:00Z, the first step's fixed time.
fn first_step() -> DateTime<Utc> {
    parse("2025-01-15T11:00:00.000Z")
}

/// Every run takes this long in the recording.
const RUN_TAKES: TimeDelta = TimeDelta::seconds(2);

impl Moments {
    fn new(
        connections: &[Connection],
        runs: &[SyncRun],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Self {
        let mut steps = Vec::new();
        for c in connections {
            steps.push((
                parse(&c.created_at),
                first_step() + TimeDelta::minutes(c.id - 1),
            ));
        }
        for r in runs {
            let start = first_step() + TimeDelta::minutes(10 * r.id);
            steps.push((parse(&r.started_at), start));
            let finished = r.finished_at.as_deref().expect("every run has finished");
            steps.push((parse(finished), start + RUN_TAKES));
        }
        steps.sort();
        for pair in steps.windows(2) {
            assert!(
                pair[0].1 <= pair[1].1,
                "the steps' fixed times keep their order: {pair:?}"
            );
        }
        let moments = Moments {
            steps,
            window: (from, to),
        };
        assert!(
            moments
                .steps
                .iter()
                .all(|(_, fixed)| *fixed < moments.read_at()),
            "every step's fixed time is before the reading time: fewer runs, or move it"
        );
        moments
    }

    fn read_at(&self) -> DateTime<Utc> {
        first_step() + TimeDelta::hours(1)
    }

    fn of_this_run(&self, t: DateTime<Utc>) -> bool {
        self.window.0 <= t && t <= self.window.1
    }

    fn place(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        if !self.of_this_run(t) {
            return t;
        }
        self.steps
            .iter()
            .rev()
            .find(|(real, _)| *real <= t)
            .map(|(_, fixed)| *fixed)
            .unwrap_or_else(|| panic!("{t} is before every step of the recording"))
    }

    fn place_text(&self, s: &str) -> String {
        stamp(self.place(parse(s)))
    }

    fn connection(&self, c: Connection) -> Connection {
        Connection {
            vault_key: match c.vault_key.split_once("/connection/") {
                Some((install, id)) => format!("{}/connection/{id}", "0".repeat(install.len())),
                None => c.vault_key,
            },
            created_at: self.place_text(&c.created_at),
            updated_at: self.place_text(&c.updated_at),
            last_sync_at: c.last_sync_at.map(|t| self.place_text(&t)),
            paused_until_ms: c.paused_until_ms.map(|ms| {
                let t = DateTime::from_timestamp_millis(ms).expect("a moment");
                self.place(t).timestamp_millis()
            }),
            ..c
        }
    }

    fn run(&self, r: SyncRun) -> SyncRun {
        SyncRun {
            started_at: self.place_text(&r.started_at),
            finished_at: r.finished_at.map(|t| self.place_text(&t)),
            ..r
        }
    }

    /// A stream's position, read when the connection's newest run was the one that started at
    /// `newest_run` (real).
    fn cursor(&self, newest_run: &str, c: CursorView) -> CursorView {
        let modified_since = c.modified_since.map(|s| {
            let t = parse(&s);
            if !self.of_this_run(t) {
                return s;
            }
            let real = parse(newest_run);
            let fixed = self.place(real);
            let before_ms = (real - t).num_milliseconds();
            let minutes = (before_ms + 59_999).div_euclid(60_000);
            stamp(fixed - TimeDelta::minutes(minutes))
        });
        CursorView {
            modified_since,
            ..c
        }
    }

    fn set_aside(&self, r: SetAsideRecord) -> SetAsideRecord {
        SetAsideRecord {
            seen_at: self.place_text(&r.seen_at),
            ..r
        }
    }

    fn outcome(&self, o: ConnectOutcome) -> ConnectOutcome {
        match o {
            ConnectOutcome::Connected { connection } => ConnectOutcome::Connected {
                connection: Box::new(self.connection(*connection)),
            },
            ConnectOutcome::ChooseTenant {
                choice_id,
                provider,
                tenants,
            } => ConnectOutcome::ChooseTenant {
                // Random for every sign-in; only its shape matters.
                choice_id: "0".repeat(choice_id.len()),
                provider,
                tenants,
            },
            other @ ConnectOutcome::ChooseChannel { .. } => other,
        }
    }
}
