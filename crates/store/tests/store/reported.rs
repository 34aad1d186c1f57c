//! Reported cloud emissions: rows as published, restatements kept in the trail, pending
//! months, and the cover that keeps a cloud bill in the books from being counted twice.

use carbonsync_store::*;
use rust_decimal::{dec, Decimal};

use super::{connection, counted, open, record, write};

fn cloud(store: &Store, provider: &str) -> Connection {
    store
        .upsert_connection(
            &NewConnection {
                provider,
                tenant_id: "sandbox-access-key",
                tenant_name: "AWS (3 accounts)",
                base_currency: None,
                sandbox: true,
                frequency: "daily",
            },
            |id| format!("install/connection/{id}"),
        )
        .unwrap()
        .0
}

fn row(month: &str, service: &str, scope: u8, basis: Option<&str>, kg: Decimal) -> ReportedInput {
    let mut r = ReportedInput {
        row_key: String::new(),
        month: month.into(),
        account: "111122223333".into(),
        account_name: None,
        service: service.into(),
        region: Some("eu-west-1".into()),
        grouping: None,
        scope,
        scope3_category: None,
        basis: basis.map(str::to_owned),
        kg_co2e: kg,
        reported_value: kg / dec!(1000),
        reported_unit: "MTCO2e".into(),
        method: "AWS Customer Carbon Footprint Tool".into(),
        model_version: Some("3.0.0".into()),
        period_end: None,
        source_url: None,
    };
    r.row_key = format!(
        "{month}|{}|{service}|eu-west-1||{scope}|{}",
        r.account,
        basis.unwrap_or("")
    );
    r
}

fn run(store: &Store, connection_id: i64) -> i64 {
    store.start_run(connection_id, "cli", false).unwrap()
}

/// A bill from the cloud provider, dated in `month`, in the accounting books.
fn bill(id: &str, date: &str, contact: &str, kg: Decimal) -> RecordInput {
    let mut r = record(id, 1, kg, false);
    r.date = date.into();
    r.contact = Some(contact.into());
    r
}

#[test]
fn rows_are_kept_exactly_and_a_restatement_updates_the_row_and_keeps_the_trail() {
    let (_dir, mut store) = open();
    let c = cloud(&store, "aws");
    let first = run(&store, c.id);
    let rows = vec![
        row("2024-10", "AmazonEC2", 1, None, dec!(1.234)),
        row("2024-10", "AmazonEC2", 2, Some("location"), dec!(120.5)),
        row("2024-10", "AmazonEC2", 2, Some("market"), dec!(30.125)),
        row("2024-10", "AmazonS3", 3, Some("location"), dec!(9.001)),
        row("2024-10", "AmazonS3", 3, Some("market"), dec!(8.5)),
    ];
    let w = store.write_reported(c.id, first, &rows).unwrap();
    assert_eq!((w.created, w.restated, w.unchanged), (5, 0, 0));
    // Location-based and basis-free rows: 1.234 + 120.5 + 9.001.
    assert_eq!(Decimal::new(w.co2e_mg_delta, 6), dec!(130.735));
    let totals = store.reported_totals(&ReportedFilter::default()).unwrap();
    assert_eq!(totals.location_kg_co2e, dec!(130.735));
    // 1.234 + 30.125 + 8.5.
    assert_eq!(totals.market_kg_co2e, dec!(39.859));

    // The same rows again change nothing; one restated row is updated and kept in the trail.
    let second = run(&store, c.id);
    let mut again = rows.clone();
    again[1].kg_co2e = dec!(126.525);
    again[1].model_version = Some("3.0.1".into());
    let w = store.write_reported(c.id, second, &again).unwrap();
    assert_eq!((w.created, w.restated, w.unchanged), (0, 1, 4));
    assert_eq!(Decimal::new(w.co2e_mg_delta, 6), dec!(6.025));
    let restated = store.restatements_of_run(second).unwrap();
    assert_eq!(restated.len(), 1);
    assert_eq!(restated[0].month, "2024-10");
    assert_eq!(restated[0].before_kg_co2e, dec!(130.735));
    assert_eq!(restated[0].after_kg_co2e, dec!(136.760));
    let listed = store
        .reported_rows(&ReportedFilter::default(), 0, 10)
        .unwrap();
    let ec2 = listed
        .iter()
        .find(|r| r.service == "AmazonEC2" && r.basis.as_deref() == Some("location"))
        .unwrap();
    assert_eq!(ec2.kg_co2e, dec!(126.525));
    assert_eq!(ec2.model_version.as_deref(), Some("3.0.1"));
    assert_eq!(ec2.restatements, 1);

    // A whole read of the month that no longer lists a row withdraws it.
    let third = run(&store, c.id);
    store.write_reported(c.id, third, &again[..4]).unwrap();
    assert_eq!(
        store
            .withdraw_unseen_reported(c.id, third, "2024-10", "2024-10")
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .reported_totals(&ReportedFilter::default())
            .unwrap()
            .market_kg_co2e,
        dec!(31.359)
    );
}

#[test]
fn a_bill_from_the_provider_is_covered_while_the_month_is_reported_and_counts_again_after() {
    let (_dir, mut store) = open();
    let books = connection(&store);
    write(
        &mut store,
        books.id,
        "invoices",
        &[
            bill(
                "b-oct",
                "2024-10-03",
                "Amazon Web Services EMEA SARL",
                dec!(50),
            ),
            bill(
                "b-dec",
                "2024-12-03",
                "Amazon Web Services EMEA SARL",
                dec!(55),
            ),
            bill("b-laws", "2024-10-04", "Laws & Co", dec!(7)),
        ],
        Some(1),
    )
    .unwrap();
    let before = store.totals(&LedgerFilter::default()).unwrap();
    assert_eq!(before.kg_co2e, dec!(112));

    let c = cloud(&store, "aws");
    store
        .seed_supplier_rules("aws", &["Amazon Web Services", "AWS"], "")
        .unwrap();
    let r = run(&store, c.id);
    store
        .write_reported(c.id, r, &[row("2024-10", "AmazonEC2", 1, None, dec!(1))])
        .unwrap();
    store
        .set_reported_months(
            c.id,
            &[
                ("2024-10".into(), MonthState::Published),
                ("2024-12".into(), MonthState::Pending),
            ],
        )
        .unwrap();
    assert_eq!(store.refresh_cloud_cover().unwrap(), 1);

    // October's bill is excluded with the reason; December's month is pending, so its bill
    // still counts; a supplier whose name only contains the letters is not matched.
    let after = store.totals(&LedgerFilter::default()).unwrap();
    assert_eq!(after.kg_co2e, dec!(62));
    assert_eq!(after.excluded, 1);
    let oct = store
        .ledger(
            &LedgerFilter {
                record_id: Some("b-oct".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(oct[0].assessment.status, LedgerStatus::Excluded);
    assert_eq!(
        oct[0].assessment.reason.as_deref(),
        Some("covered by emissions reported by AWS (3 accounts) for October 2024")
    );
    // Visible on the cloud side too.
    let months = store.reported_months(Some(c.id)).unwrap();
    let october = months.iter().find(|m| m.month == "2024-10").unwrap();
    assert_eq!(october.covered_entries, 1);
    assert_eq!(october.covered_kg_co2e, dec!(50));

    // Switching the rule off, or the connection going, makes the bill count again.
    let aws_rule = store
        .supplier_rules()
        .unwrap()
        .into_iter()
        .find(|r| r.pattern == "Amazon Web Services")
        .unwrap();
    store.set_supplier_rule_enabled(aws_rule.id, false).unwrap();
    store.refresh_cloud_cover().unwrap();
    assert_eq!(
        store.totals(&LedgerFilter::default()).unwrap().kg_co2e,
        dec!(112)
    );
    store.set_supplier_rule_enabled(aws_rule.id, true).unwrap();
    store.refresh_cloud_cover().unwrap();
    assert_eq!(
        store.totals(&LedgerFilter::default()).unwrap().kg_co2e,
        dec!(62)
    );
    store
        .set_connection_status(c.id, ConnectionStatus::Disconnected, None)
        .unwrap();
    store.refresh_cloud_cover().unwrap();
    assert_eq!(
        store.totals(&LedgerFilter::default()).unwrap().kg_co2e,
        dec!(112)
    );
    // The entry kept its own assessment underneath all along.
    let oct = store
        .ledger(
            &LedgerFilter {
                record_id: Some("b-oct".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(oct[0].assessment, counted(dec!(50)));
}

#[test]
fn a_suppliers_other_products_named_in_the_line_stay_counted() {
    let (_dir, mut store) = open();
    let books = connection(&store);
    let described = |id: &str, text: &str| {
        let mut r = bill(id, "2024-10-02", "Google Cloud EMEA", dec!(20));
        r.lines[0].description = Some(text.into());
        r
    };
    write(
        &mut store,
        books.id,
        "invoices",
        &[
            described("b-workspace", "Google Workspace Business Standard"),
            described("b-gcp", "Google Cloud Platform usage October"),
        ],
        Some(1),
    )
    .unwrap();
    let c = cloud(&store, "gcp");
    store
        .seed_supplier_rules("gcp", &["Google Cloud"], "Workspace")
        .unwrap();
    let r = run(&store, c.id);
    store
        .write_reported(
            c.id,
            r,
            &[row("2024-10", "Compute Engine", 2, None, dec!(3))],
        )
        .unwrap();
    store
        .set_reported_months(c.id, &[("2024-10".into(), MonthState::Published)])
        .unwrap();

    // Only the Google Cloud line is covered; the Workspace line from the same supplier is not
    // in Google Cloud's report, so it keeps counting.
    assert_eq!(store.refresh_cloud_cover().unwrap(), 1);
    let status = |store: &carbonsync_store::Store, id: &str| {
        store
            .ledger(
                &LedgerFilter {
                    record_id: Some(id.into()),
                    ..Default::default()
                },
                0,
                10,
            )
            .unwrap()[0]
            .assessment
            .status
    };
    assert_eq!(status(&store, "b-gcp"), LedgerStatus::Excluded);
    assert_eq!(status(&store, "b-workspace"), LedgerStatus::Counted);
    let rule = &store.supplier_rules().unwrap()[0];
    assert_eq!(rule.unless.as_deref(), Some("Workspace"));

    // A user's rule without the exception covers both.
    store
        .add_supplier_rule("gcp", "Google Cloud EMEA", None)
        .unwrap();
    assert_eq!(store.refresh_cloud_cover().unwrap(), 2);
}
