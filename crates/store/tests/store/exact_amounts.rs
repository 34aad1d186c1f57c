//! Amounts and emissions are exact from the page to the totals, and a database written before
//! they were is carried over without losing a digit.

use carbonsync_store::*;
use rust_decimal::{dec, Decimal};

use crate::{connection, counted, open, record, write};

#[test]
fn twenty_thousand_entries_with_cents_total_exactly() {
    // 0.1 and 0.2 kg have no exact binary form: as floating point the total drifts away from
    // 3,000. Stored as milligrams, it cannot.
    let (_d, mut store) = open();
    let c = connection(&store);
    let page: Vec<RecordInput> = (0..20_000)
        .map(|n| {
            let kg = if n % 2 == 0 { dec!(0.1) } else { dec!(0.2) };
            record(&format!("r{n}"), n + 1, kg, false)
        })
        .collect();
    let out = write(&mut store, c.id, "bills", &page, Some(20_000)).unwrap();
    assert_eq!(out.kg_delta, dec!(3000));
    let totals = store.totals(&LedgerFilter::default()).unwrap();
    assert_eq!(totals.kg_co2e, dec!(3000));
    assert_eq!(totals.kg_co2e.to_string(), "3000.000000");
    assert_eq!(totals.counted, 20_000);
}

#[test]
fn an_entry_reads_back_with_every_digit_it_was_written_with() {
    let (_d, mut store) = open();
    let c = connection(&store);
    let mut r = record("a", 1, dec!(957.508453), false);
    r.total = dec!(98765432109.87);
    r.lines[0].net_amount = dec!(-1234.5600);
    r.lines[0].entry.fx_rate = Some(dec!(1.2781));
    r.lines[0].entry.deflator = Some(dec!(0.942279435252));
    write(&mut store, c.id, "bills", &[r], Some(1)).unwrap();

    let e = &store.ledger(&LedgerFilter::default(), 0, 10).unwrap()[0];
    assert_eq!(e.net_amount.to_string(), "-1234.5600");
    assert_eq!(e.assessment.fx_rate, Some(dec!(1.2781)));
    assert_eq!(e.assessment.deflator.unwrap().to_string(), "0.942279435252");
    assert_eq!(e.assessment.factor_value.unwrap().to_string(), "0.644");
    assert_eq!(e.assessment.kg_co2e, Some(dec!(957.508453)));
    // On the wire (the window, `--json`) every decimal is text, so nothing parses it as a float.
    let json = serde_json::to_value(e).unwrap();
    assert_eq!(json["net_amount"], "-1234.5600");
    assert_eq!(json["kg_co2e"], "957.508453");
}

#[test]
fn a_result_finer_than_a_milligram_is_refused_and_nothing_of_the_page_is_written() {
    let (_d, mut store) = open();
    let c = connection(&store);
    let fine = record("b", 2, dec!(0.0000001), false);
    let page = [record("a", 1, dec!(1), false), fine];
    let err = write(&mut store, c.id, "bills", &page, Some(2)).unwrap_err();
    assert!(err.to_string().contains("decimal places"), "{err}");
    assert_eq!(store.record_count(c.id, "bills").unwrap(), 0);
    assert_eq!(store.cursor(c.id, "bills").unwrap(), None);
}

/// A database as an earlier CarbonSync wrote it, at schema `version` (1: the first released
/// one; 3: the last before amounts were exact; both with REAL columns).
fn old_database(path: &std::path::Path, version: usize) {
    let conn = rusqlite::Connection::open(path).unwrap();
    for sql in [
        include_str!("../../migrations/001_initial.sql"),
        include_str!("../../migrations/002_paging_set_aside_pauses.sql"),
        include_str!("../../migrations/003_connection_setup.sql"),
    ]
    .into_iter()
    .take(version)
    {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", version as i64)
        .unwrap();
    conn.execute_batch(
        "INSERT INTO connections (id, provider, tenant_id, tenant_name, base_currency, sandbox,
             status, vault_key, frequency, created_at, updated_at)
         VALUES (1, 'xero', 't-1', 'Harbour & Pine Ltd', 'GBP', 1, 'active', 'k', 'hourly', 'now', 'now');
         INSERT INTO records (id, connection_id, stream, record_id, kind, status, deleted, date,
             currency, total, updated_ms, synced_at)
         VALUES (1, 1, 'bills', 'b-1', 'ACCPAY', 'AUTHORISED', 0, '2024-03-14', 'GBP', 1481.47, 5, 'now');
         INSERT INTO ledger (record_ref, connection_id, line_no, date, account_code, net_amount,
             currency, status, factor_value, fx_rate, deflator, amount_usd_2022, kg_co2e, computed_at)
         VALUES (1, 1, 0, '2024-03-14', '494', 1234.56, 'GBP', 'counted', 0.644, 1.2781,
             0.942279435252063, 1486.81436907143, 957.508453681999, 'now');
         INSERT INTO accounts (connection_id, account_id, code, name, type, class, status,
             tax_type, updated_ms)
         VALUES (1, 'a-494', '494', 'Travel - International', 'EXPENSE', 'EXPENSE', 'ACTIVE',
             'INPUT', 5);
         INSERT INTO sync_runs (connection_id, trigger, started_at, status, kg_co2e_delta)
         VALUES (1, 'manual', 'now', 'succeeded', 957.508453681999);",
    )
    .unwrap();
}

#[test]
fn an_older_database_keeps_its_amounts_digit_for_digit_and_asks_for_its_entries_to_be_recomputed() {
    for version in [1, 3] {
        an_older_database_at(version);
    }
}

fn an_older_database_at(version: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    old_database(&path, version);

    let mut store = Store::open(&path).unwrap();
    let e = &store.ledger(&LedgerFilter::default(), 0, 10).unwrap()[0];
    assert_eq!(e.net_amount.to_string(), "1234.56");
    assert_eq!(e.assessment.fx_rate, Some(dec!(1.2781)));
    assert_eq!(e.assessment.factor_value, Some(dec!(0.644)));
    assert_eq!(e.assessment.kg_co2e, Some(dec!(957.508454)));
    let runs = store.runs(Some(1), 10).unwrap();
    assert_eq!(runs[0].counts.kg_co2e_delta, dec!(957.508454));
    assert_eq!(
        store.totals(&LedgerFilter::default()).unwrap().kg_co2e,
        dec!(957.508454)
    );

    assert_eq!(
        list_backups(&path).len(),
        1,
        "the old file was backed up first"
    );
    // The chart carried over knows how lines name each account and what the mapping keys on.
    let account = &store.accounts(1).unwrap()[0];
    assert_eq!(account.line_ref.as_deref(), Some("494"));
    assert_eq!(account.mapping_key.as_deref(), Some("494"));

    // The results were floating point: they are owed a recomputation from the records, which
    // sees each line as the record has it and replaces the entry.
    assert!(store.has_pending_work(REASSESS_LEDGER).unwrap());
    let mut seen = Vec::new();
    let n = store
        .reassess_ledger(&mut |line| {
            seen.push((
                line.kind.to_owned(),
                line.deleted,
                line.date.to_owned(),
                line.currency.to_owned(),
                line.mapping_key.map(str::to_owned),
                line.net_amount,
            ));
            counted(dec!(957.508453))
        })
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        seen,
        [(
            "ACCPAY".to_owned(),
            false,
            "2024-03-14".to_owned(),
            "GBP".to_owned(),
            Some("494".to_owned()),
            dec!(1234.56)
        )]
    );
    assert!(!store.has_pending_work(REASSESS_LEDGER).unwrap());
    assert_eq!(
        store.totals(&LedgerFilter::default()).unwrap().kg_co2e,
        dec!(957.508453)
    );
}

#[test]
fn a_new_database_owes_no_recomputation() {
    let (_d, store) = open();
    assert!(!store.has_pending_work(REASSESS_LEDGER).unwrap());
}

#[test]
fn grouping_by_source_keeps_two_connections_apart_even_with_one_name() {
    let (_d, mut store) = open();
    let first = connection(&store);
    let (second, _) = store
        .upsert_connection(
            &NewConnection {
                provider: "xero",
                tenant_id: "t-2",
                tenant_name: "Harbour & Pine Ltd",
                base_currency: Some("GBP"),
                sandbox: false,
                frequency: "hourly",
            },
            |id| format!("install/connection/{id}"),
        )
        .unwrap();
    write(
        &mut store,
        first.id,
        "bills",
        &[record("a", 1, dec!(1.5), false)],
        Some(1),
    )
    .unwrap();
    write(
        &mut store,
        second.id,
        "bills",
        &[record("b", 1, dec!(2.25), false)],
        Some(1),
    )
    .unwrap();

    let groups = store
        .emissions_by(GroupBy::Source, &LedgerFilter::default())
        .unwrap();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(groups[0].connection_id, Some(second.id), "larger first");
    assert_eq!(groups[0].totals.kg_co2e, dec!(2.25));
    assert_eq!(groups[1].connection_id, Some(first.id));
    assert_eq!(groups[1].totals.kg_co2e, dec!(1.5));
    let by_month = store
        .emissions_by(GroupBy::Month, &LedgerFilter::default())
        .unwrap();
    assert!(by_month.iter().all(|g| g.connection_id.is_none()));
}

/// The month totals (whole months) and a pass over the entries (a selection ending on a day
/// that is not a month's last) give the same groups, exactly.
fn assert_month_totals_agree(store: &Store) {
    let by_entry = LedgerFilter {
        to: Some("2024-03-30".into()),
        ..Default::default()
    };
    for by in [GroupBy::Category, GroupBy::Scope] {
        assert_eq!(
            store.emissions_by(by, &LedgerFilter::default()).unwrap(),
            store.emissions_by(by, &by_entry).unwrap(),
            "{by:?}"
        );
    }
}

#[test]
fn a_recomputation_keeps_the_month_totals_and_one_that_fails_half_way_writes_nothing() {
    let (_d, mut store) = open();
    let c = connection(&store);
    let page: Vec<RecordInput> = (0..3_000)
        .map(|n| record(&format!("r{n}"), n + 1, dec!(1), false))
        .collect();
    write(&mut store, c.id, "bills", &page, Some(3_000)).unwrap();
    let before = store.totals(&LedgerFilter::default()).unwrap();
    assert_eq!((before.kg_co2e, before.counted), (dec!(3000), 3_000));

    // Every third entry to hotels at 2 kg, every fifth excluded, the rest as they were.
    let decide = |id: i64| {
        if id % 5 == 0 {
            let mut row = counted(dec!(0));
            row.status = LedgerStatus::Excluded;
            row.reason = Some("not a purchase".into());
            row.kg_co2e = None;
            row.amount_usd_2022 = None;
            row
        } else if id % 3 == 0 {
            let mut row = counted(dec!(2));
            row.category = Some("Hotels".into());
            row
        } else {
            counted(dec!(1))
        }
    };

    // A result that cannot be kept, two thirds of the way: nothing of the work stays.
    let err = store
        .reassess_ledger(&mut |line| {
            if line.entry_id == 2_000 {
                counted(dec!(0.0000001))
            } else {
                decide(line.entry_id)
            }
        })
        .unwrap_err();
    assert!(err.to_string().contains("decimal places"), "{err}");
    assert_eq!(store.totals(&LedgerFilter::default()).unwrap(), before);
    assert_month_totals_agree(&store);

    // A calculation that breaks off (a panic) leaves the database as it was, and usable.
    let broke = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.reassess_ledger(&mut |line| {
            assert!(line.entry_id < 1_500, "broke off");
            decide(line.entry_id)
        })
    }));
    assert!(broke.is_err());
    assert_eq!(store.totals(&LedgerFilter::default()).unwrap(), before);

    assert_eq!(
        store
            .reassess_ledger(&mut |line| decide(line.entry_id))
            .unwrap(),
        3_000
    );
    let after = store.totals(&LedgerFilter::default()).unwrap();
    let (excluded, hotels) = (600, 800); // multiples of 5; of 3 and not of 5
    assert_eq!(after.excluded, excluded);
    assert_eq!(after.counted, 3_000 - excluded);
    assert_eq!(
        after.kg_co2e,
        Decimal::from(3_000 - excluded - hotels) + Decimal::from(2 * hotels)
    );
    assert_month_totals_agree(&store);
    let hotels_group = store
        .emissions_by(GroupBy::Category, &LedgerFilter::default())
        .unwrap()
        .into_iter()
        .find(|g| g.key == "Hotels")
        .expect("a hotels group");
    assert_eq!(hotels_group.totals.counted, hotels);

    // Decided again the same way, nothing changes and nothing moves.
    store
        .reassess_ledger(&mut |line| decide(line.entry_id))
        .unwrap();
    assert_eq!(store.totals(&LedgerFilter::default()).unwrap(), after);
    assert_month_totals_agree(&store);
}
