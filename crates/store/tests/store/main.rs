//! The database on a real file.

use carbonsync_store::*;
use rust_decimal::{dec, Decimal};

mod data_file;
mod exact_amounts;
mod reported;

pub fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    (dir, store)
}

pub fn connection(store: &Store) -> Connection {
    store
        .upsert_connection(
            &NewConnection {
                provider: "xero",
                tenant_id: "t-1",
                tenant_name: "Harbour & Pine Ltd",
                base_currency: Some("GBP"),
                sandbox: true,
                frequency: "hourly",
            },
            |id| format!("install/connection/{id}"),
        )
        .unwrap()
        .0
}

pub fn counted(kg: Decimal) -> LedgerRow {
    LedgerRow {
        status: LedgerStatus::Counted,
        reason: None,
        rule_id: Some("xero-std-494".into()),
        category: Some("Business travel – air".into()),
        scope: Some(3),
        scope3_category: Some(6),
        factor_set: Some("EPA".into()),
        factor_version: Some("v1.3.0".into()),
        factor_code: Some("481111".into()),
        factor_title: None,
        factor_value: Some(dec!(0.644)),
        factor_unit: None,
        fx_rate: Some(dec!(1)),
        fx_source: None,
        deflator: Some(dec!(1)),
        deflator_source: None,
        amount_usd_2022: Some((kg / dec!(0.644)).round_dp(6)),
        kg_co2e: Some(kg),
        decision_id: None,
        review_rule_id: None,
        market_kg_co2e: None,
        part_no: 0,
        share_percent: None,
        part_amount: None,
        more_parts: Vec::new(),
    }
}

/// Writes a page that leaves the stream at rest at `cursor`.
pub fn write(
    store: &mut Store,
    connection_id: i64,
    stream: &str,
    records: &[RecordInput],
    cursor: Option<i64>,
) -> Result<PageOutcome, StoreError> {
    store.write_page(&PageInput {
        connection_id,
        run_id: 0,
        stream,
        records,
        set_aside: &[],
        position: &|_| StreamPosition {
            modified_since: cursor,
            walk: None,
        },
        overlap_until_ms: None,
        watch: None,
        sweep_mark: None,
    })
}

pub fn record(id: &str, updated_ms: i64, kg: Decimal, deleted: bool) -> RecordInput {
    RecordInput {
        record_id: id.into(),
        kind: "SPEND".into(),
        status: if deleted { "DELETED" } else { "AUTHORISED" }.into(),
        deleted,
        date: "2024-03-14".into(),
        contact: Some("British Airways".into()),
        reference: None,
        currency: "GBP".into(),
        line_amount_types: Some("Inclusive".into()),
        total: dec!(100.00),
        updated_ms,
        lines: vec![LineInput {
            description: None,
            account_code: Some("494".into()),
            mapping_key: Some("494".into()),
            account_name: Some("Travel - International".into()),
            net_amount: dec!(100.00),
            entry: if deleted {
                LedgerRow {
                    status: LedgerStatus::Excluded,
                    kg_co2e: None,
                    ..counted(Decimal::ZERO)
                }
            } else {
                counted(kg)
            },
        }],
        tombstone: false,
    }
}

#[test]
fn writing_the_same_page_twice_changes_nothing_the_second_time() {
    let (_d, mut store) = open();
    let c = connection(&store);
    let page = vec![
        record("a", 1, dec!(10.0), false),
        record("b", 2, dec!(5.0), false),
    ];
    let first = write(&mut store, c.id, "bank_transactions", &page, Some(2)).unwrap();
    assert_eq!((first.created, first.updated, first.unchanged), (2, 0, 0));
    assert_eq!(first.kg_delta, dec!(15));
    let second = write(&mut store, c.id, "bank_transactions", &page, Some(2)).unwrap();
    assert_eq!(
        (second.created, second.updated, second.unchanged),
        (0, 0, 2)
    );
    assert_eq!(store.record_count(c.id, "bank_transactions").unwrap(), 2);
    assert_eq!(store.cursor(c.id, "bank_transactions").unwrap(), Some(2));
    assert_eq!(
        store.totals(&LedgerFilter::default()).unwrap().kg_co2e,
        dec!(15)
    );
}

#[test]
fn a_change_replaces_the_lines_and_a_deletion_stops_counting() {
    let (_d, mut store) = open();
    let c = connection(&store);
    write(
        &mut store,
        c.id,
        "bills",
        &[
            record("a", 1, dec!(10.0), false),
            record("b", 2, dec!(4.0), false),
        ],
        Some(2),
    )
    .unwrap();
    let out = write(
        &mut store,
        c.id,
        "bills",
        &[
            record("a", 3, dec!(12.0), false),
            record("b", 4, dec!(0.0), true),
        ],
        Some(4),
    )
    .unwrap();
    assert_eq!((out.updated, out.deleted), (1, 1));
    assert_eq!(out.kg_delta, dec!(-2));
    let t = store.totals(&LedgerFilter::default()).unwrap();
    assert_eq!(t.kg_co2e, dec!(12));
    assert_eq!((t.counted, t.excluded), (1, 1));
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    match Store::open(&path) {
        Err(StoreError::TooNew { found: 99, .. }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a newer database must be refused"),
    }
    let v: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
}

#[test]
fn reconnecting_the_same_organisation_keeps_the_connection_and_a_crashed_run_is_marked_interrupted()
{
    let (_d, store) = open();
    let c = connection(&store);
    let (again, created) = store
        .upsert_connection(
            &NewConnection {
                provider: "xero",
                tenant_id: "t-1",
                tenant_name: "Harbour & Pine Ltd",
                base_currency: Some("GBP"),
                sandbox: true,
                frequency: "hourly",
            },
            |_| unreachable!("an existing connection keeps its keychain entry"),
        )
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, c.id);
    assert_eq!(again.vault_key, format!("install/connection/{}", c.id));

    let crashed = store.start_run(c.id, "cli", false).unwrap();
    let next = store.start_run(c.id, "cli", false).unwrap();
    let runs = store.runs(Some(c.id), 10).unwrap();
    assert_eq!(runs[0].id, next);
    assert_eq!(runs[1].id, crashed);
    assert_eq!(runs[1].status, RunStatus::Interrupted);
}

#[test]
fn months_split_by_scope_and_filters_narrow_the_ledger() {
    let (_d, mut store) = open();
    let c = connection(&store);
    write(
        &mut store,
        c.id,
        "bills",
        &[record("a", 1, dec!(10.0), false)],
        Some(1),
    )
    .unwrap();
    let by_month = store
        .emissions_by(GroupBy::Month, &LedgerFilter::default())
        .unwrap();
    assert_eq!(by_month.len(), 1);
    assert_eq!(by_month[0].key, "2024-03");
    assert_eq!(by_month[0].scope, Some(3));
    let none = store
        .ledger(
            &LedgerFilter {
                from: Some("2025-01-01".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert!(none.is_empty());
    let one = store
        .ledger(
            &LedgerFilter {
                record_id: Some("a".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(one[0].source, "Harbour & Pine Ltd");
}

#[test]
fn an_older_copy_of_a_record_never_replaces_a_newer_one() {
    let (_d, mut store) = open();
    let c = connection(&store);
    write(
        &mut store,
        c.id,
        "bills",
        &[record("a", 5, dec!(12.0), false)],
        Some(5),
    )
    .unwrap();
    let out = write(
        &mut store,
        c.id,
        "bills",
        &[record("a", 3, dec!(10.0), false)],
        Some(5),
    )
    .unwrap();
    assert_eq!((out.updated, out.unchanged), (0, 1));
    assert_eq!(
        store.totals(&LedgerFilter::default()).unwrap().kg_co2e,
        dec!(12)
    );
}

#[test]
fn records_read_again_from_the_margin_are_counted_apart_and_revisions_say_where_to_rewind() {
    let (_d, mut store) = open();
    let c = connection(&store);
    write(
        &mut store,
        c.id,
        "bills",
        &[
            record("a", 1_000, dec!(1.0), false),
            record("b", 2_000, dec!(1.0), false),
        ],
        Some(2_000),
    )
    .unwrap();
    // A later walk from 2,000 re-reads "b" (margin) and meets "a" revised after the walk began.
    let out = store
        .write_page(&PageInput {
            connection_id: c.id,
            run_id: 0,
            stream: "bills",
            records: &[
                record("b", 2_000, dec!(1.0), false),
                record("a", 9_000, dec!(2.0), false),
            ],
            set_aside: &[],
            position: &|out| StreamPosition {
                modified_since: Some(2_000),
                walk: out.rewind_to.map(|r| format!("rewind {r}")),
            },
            overlap_until_ms: Some(2_000),
            watch: Some(RevisionWatch {
                from_ms: Some(500),
                changed_after_ms: 8_000,
            }),
            sweep_mark: None,
        })
        .unwrap();
    assert_eq!((out.unchanged, out.overlap, out.updated), (1, 1, 1));
    assert_eq!(out.rewind_to, Some(1_000));
    let position = store.position(c.id, "bills").unwrap();
    assert_eq!(position.walk.as_deref(), Some("rewind 1000"));
    assert_eq!(position.modified_since, Some(2_000));
}

#[test]
fn an_unreadable_record_is_kept_aside_until_it_reads_cleanly() {
    let (_d, mut store) = open();
    let c = connection(&store);
    let run = store.start_run(c.id, "cli", false).unwrap();
    let aside = [SetAsideInput {
        record_id: Some("a".into()),
        reason: "Date: not a Xero date".into(),
        raw: r#"{"BankTransactionID":"a","Date":"/Date(abc)/"}"#.into(),
    }];
    let out = store
        .write_page(&PageInput {
            connection_id: c.id,
            run_id: run,
            stream: "bank_transactions",
            records: &[record("b", 1, dec!(1.0), false)],
            set_aside: &aside,
            position: &|_| StreamPosition::default(),
            overlap_until_ms: None,
            watch: None,
            sweep_mark: None,
        })
        .unwrap();
    assert_eq!(out.set_aside, 1);
    // Met again: still one entry, not two.
    store
        .write_page(&PageInput {
            connection_id: c.id,
            run_id: run,
            stream: "bank_transactions",
            records: &[],
            set_aside: &aside,
            position: &|_| StreamPosition::default(),
            overlap_until_ms: None,
            watch: None,
            sweep_mark: None,
        })
        .unwrap();
    let kept = store.set_aside(Some(c.id)).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].record_id.as_deref(), Some("a"));
    assert_eq!(kept[0].reason, "Date: not a Xero date");
    assert!(kept[0].raw.contains("/Date(abc)/"));
    // Fixed at the platform and read cleanly: it leaves the list.
    write(
        &mut store,
        c.id,
        "bank_transactions",
        &[record("a", 2, dec!(1.0), false)],
        None,
    )
    .unwrap();
    assert!(store.set_aside(Some(c.id)).unwrap().is_empty());
}

/// A whole read of a platform that leaves deleted records out of its listings, one page that
/// ends it: what the page lists is marked, what it does not is deleted.
fn sweep_page(
    store: &mut Store,
    connection_id: i64,
    records: &[RecordInput],
    mark: i64,
) -> PageOutcome {
    store
        .write_page(&PageInput {
            connection_id,
            run_id: 0,
            stream: "purchases",
            records,
            set_aside: &[],
            position: &|_| StreamPosition {
                modified_since: Some(1_000),
                walk: None,
            },
            overlap_until_ms: None,
            watch: None,
            sweep_mark: Some(mark),
        })
        .unwrap()
}

#[test]
fn a_whole_read_deletes_what_it_no_longer_lists_and_keeps_its_lines_excluded() {
    let (_d, mut store) = open();
    let c = connection(&store);
    let both = [
        record("a", 1, dec!(10.0), false),
        record("b", 2, dec!(5.0), false),
    ];
    write(&mut store, c.id, "purchases", &both, Some(2)).unwrap();

    // "b" is gone at the platform: the whole read lists only "a" (unchanged).
    let out = sweep_page(&mut store, c.id, &both[..1], 77);
    assert_eq!((out.unchanged, out.deleted), (1, 1));
    assert_eq!(out.kg_delta, dec!(-5.0));
    let totals = store.totals(&LedgerFilter::default()).unwrap();
    assert_eq!(
        (totals.kg_co2e, totals.counted, totals.excluded),
        (dec!(10.0), 1, 1)
    );
    let b = store
        .ledger(
            &LedgerFilter {
                record_id: Some("b".into()),
                ..LedgerFilter::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(b.len(), 1, "the line stays for the trail");
    assert_eq!(b[0].assessment.status, LedgerStatus::Excluded);
    assert_eq!(b[0].assessment.reason.as_deref(), Some(DELETED_REASON));
    assert_eq!(b[0].net_amount, dec!(100.00));

    // The next whole read, listing "a" again, deletes nothing more.
    let out = sweep_page(&mut store, c.id, &both[..1], 78);
    assert_eq!(out.deleted, 0);
}

#[test]
fn a_deletion_known_only_by_its_id_keeps_what_is_stored_and_counts_nothing() {
    let (_d, mut store) = open();
    let c = connection(&store);
    write(
        &mut store,
        c.id,
        "purchases",
        &[record("a", 1, dec!(10.0), false)],
        Some(1),
    )
    .unwrap();
    let tombstone = |id: &str, ms: i64| RecordInput {
        lines: Vec::new(),
        status: "Deleted".into(),
        deleted: true,
        tombstone: true,
        contact: None,
        total: Decimal::ZERO,
        ..record(id, ms, Decimal::ZERO, true)
    };
    let out = write(
        &mut store,
        c.id,
        "purchases",
        &[tombstone("a", 5), tombstone("never-seen", 5)],
        Some(5),
    )
    .unwrap();
    assert_eq!((out.deleted, out.unchanged, out.created), (1, 1, 0));
    assert_eq!(out.kg_delta, dec!(-10.0));
    let a = store
        .ledger(
            &LedgerFilter {
                record_id: Some("a".into()),
                ..LedgerFilter::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(
        a[0].contact.as_deref(),
        Some("British Airways"),
        "the stored record is kept"
    );
    assert_eq!(a[0].assessment.status, LedgerStatus::Excluded);
    assert_eq!(
        store.record_count(c.id, "purchases").unwrap(),
        1,
        "nothing stored for an unknown id"
    );

    // The same deletion reported again changes nothing.
    let out = write(&mut store, c.id, "purchases", &[tombstone("a", 5)], Some(5)).unwrap();
    assert_eq!((out.deleted, out.unchanged), (0, 1));
}
