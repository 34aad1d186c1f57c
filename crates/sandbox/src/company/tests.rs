//! Properties of the generated data that the API's guarantees rest on.

use uuid::Uuid;

use super::record::{Kind, LineAmounts, Status, TaxCode};
use super::{Company, Op, Selection, StreamName, View, UK_TENANT_ID, US_TENANT_ID};

fn uk() -> Uuid {
    Uuid::parse_str(UK_TENANT_ID).unwrap()
}

fn assert_strictly_increasing(company: &Company) {
    for org in &company.orgs {
        for stream in [&org.bank, &org.invoices] {
            for view in [View::All, View::Bills] {
                let stamps: Vec<i64> = stream
                    .updated_after(view, None)
                    .iter()
                    .map(|&s| stream.records[s as usize].updated_ms)
                    .collect();
                assert!(stamps.windows(2).all(|w| w[0] < w[1]));
            }
            assert_eq!(stream.order.len(), stream.records.len());
        }
    }
}

#[test]
fn records_split_between_streams_and_kinds_as_planned() {
    let company = Company::generate(2024, 2500);
    for org in &company.orgs {
        assert_eq!(org.bank.records.len() + org.invoices.records.len(), 2500);
        assert_eq!(org.bank.records.len(), 1750);
        let count =
            |records: &[super::Record], kind| records.iter().filter(|r| r.kind == kind).count();
        let receipts = count(&org.bank.records, Kind::Receive);
        assert!((240..=290).contains(&receipts), "{receipts} receipts");
        let transfers = count(&org.bank.records, Kind::SpendTransfer)
            + count(&org.bank.records, Kind::ReceiveTransfer);
        assert!((40..=60).contains(&transfers), "{transfers} transfers");
        let sales = count(&org.invoices.records, Kind::AccRec);
        assert!((130..=170).contains(&sales), "{sales} sales");
        assert_eq!(org.invoices.bills.len(), org.invoices.records.len() - sales);
        // Payroll and tax payments are in there.
        for code in ["477", "820", "469", "445", "494"] {
            let account = org.accounts.iter().position(|a| a.code == code).unwrap() as u8;
            assert!(
                org.bank
                    .lines
                    .iter()
                    .chain(&org.invoices.lines)
                    .any(|l| l.account == account),
                "nothing booked to {code}"
            );
        }
    }
    assert_strictly_increasing(&company);
}

#[test]
fn the_same_seed_gives_the_same_records_and_another_seed_does_not() {
    let a = Company::generate(7, 600);
    let b = Company::generate(7, 600);
    let c = Company::generate(8, 600);
    for i in 0..2 {
        assert_eq!(a.orgs[i].bank.records, b.orgs[i].bank.records);
        assert_eq!(a.orgs[i].invoices.lines, b.orgs[i].invoices.lines);
        assert_eq!(a.orgs[i].bank.id_of(5), b.orgs[i].bank.id_of(5));
        assert_ne!(a.orgs[i].bank.records, c.orgs[i].bank.records);
        assert_ne!(a.orgs[i].bank.id_of(5), c.orgs[i].bank.id_of(5));
    }
}

#[test]
fn uk_vat_is_a_sixth_of_inclusive_amounts_and_us_lines_carry_none() {
    let company = Company::generate(2024, 2500);
    let uk = &company.orgs[0];
    let mut standard = 0;
    for r in &uk.bank.records {
        for line in r.lines(&uk.bank.lines) {
            if r.amounts == LineAmounts::Inclusive && line.tax == TaxCode::Input2 {
                standard += 1;
                let exact = line.line_cents() as f64 / 6.0;
                assert!((line.tax_cents(r.amounts) as f64 - exact).abs() <= 0.5);
            }
        }
    }
    assert!(standard > 500);
    let us = &company.orgs[1];
    assert!(us
        .bank
        .records
        .iter()
        .all(|r| r.amounts == LineAmounts::NoTax));
    assert!(us.invoices.lines.iter().all(|l| l.tax == TaxCode::None));
}

#[test]
fn tiny_datasets_still_hold_every_fixture() {
    for n in [0, 1, 3, 10, 40] {
        let company = Company::generate(1, n);
        assert_eq!(company.orgs[0].bank.fixture_ids.len(), 3);
        assert_eq!(company.orgs[0].invoices.fixture_ids.len(), 1);
        assert_eq!(company.orgs[1].bank.fixture_ids.len(), 1);
        assert_eq!(company.orgs[1].invoices.fixture_ids.len(), 2);
        assert_strictly_increasing(&company);
    }
}

#[test]
fn fixtures_keep_their_ids_and_amounts() {
    let company = Company::generate(99, 500);
    let uk = &company.orgs[0];
    let f1 = Uuid::parse_str("f1a00000-0000-4000-8000-000000000001").unwrap();
    let seq = uk.bank.seq_of(&f1).unwrap();
    assert_eq!(uk.bank.id_of(seq), f1);
    let r = &uk.bank.records[seq as usize];
    assert_eq!(r.totals(&uk.bank.lines), (123_456, 0, 123_456));
    let f2 = Uuid::parse_str("f1a00000-0000-4000-8000-000000000002").unwrap();
    let seq = uk.invoices.seq_of(&f2).unwrap();
    let r = &uk.invoices.records[seq as usize];
    assert_eq!(r.totals(&uk.invoices.lines), (50_000, 10_000, 60_000));
    let us = &company.orgs[1];
    let f7 = Uuid::parse_str("f1a00000-0000-4000-8000-000000000007").unwrap();
    let r = &us.invoices.records[us.invoices.seq_of(&f7).unwrap() as usize];
    assert_eq!(r.totals(&us.invoices.lines).2, 45_000);
    assert_eq!(r.line_count, 2);
}

#[test]
fn edits_move_records_to_the_end_with_fresh_unique_stamps() {
    let mut company = Company::generate(3, 1000);
    let before_last = company.orgs[0].invoices.last_updated_ms;
    let ids = company
        .apply(
            uk(),
            StreamName::Invoices,
            Op::Change,
            Selection::Count(3),
            0,
        )
        .unwrap();
    assert_eq!(ids.len(), 3);
    let inv = &company.orgs[0].invoices;
    let tail: Vec<Uuid> = inv.order[inv.order.len() - 3..]
        .iter()
        .map(|&s| inv.id_of(s))
        .collect();
    assert_eq!(tail, ids);
    let bills_tail: Vec<Uuid> = inv.bills[inv.bills.len() - 3..]
        .iter()
        .map(|&s| inv.id_of(s))
        .collect();
    assert_eq!(bills_tail, ids);
    assert!(inv.updated_after(View::All, Some(before_last)).len() == 3);
    for id in &ids {
        let r = &inv.records[inv.seq_of(id).unwrap() as usize];
        assert_eq!(r.kind, Kind::AccPay);
        assert!(r.is_amended() && !r.is_fixture());
    }

    let deleted = company
        .apply(
            uk(),
            StreamName::BankTransactions,
            Op::Delete,
            Selection::Count(2),
            0,
        )
        .unwrap();
    let bank = &company.orgs[0].bank;
    assert_eq!(bank.deleted, 2);
    for id in &deleted {
        let r = &bank.records[bank.seq_of(id).unwrap() as usize];
        assert_eq!((r.kind, r.status), (Kind::Spend, Status::Deleted));
    }
    assert_strictly_increasing(&company);
}

#[test]
fn changes_replay_onto_fresh_data_exactly() {
    let mut original = Company::generate(5, 800);
    let us = Uuid::parse_str(US_TENANT_ID).unwrap();
    original
        .apply(
            us,
            StreamName::BankTransactions,
            Op::Change,
            Selection::Count(4),
            1_800_000_000_000,
        )
        .unwrap();
    let f5 = Uuid::parse_str("f1a00000-0000-4000-8000-000000000005").unwrap();
    original
        .apply(
            us,
            StreamName::BankTransactions,
            Op::Delete,
            Selection::Ids(vec![f5]),
            0,
        )
        .unwrap();
    let mut replayed = Company::generate(5, 800);
    assert_eq!(replayed.replay(&original.changes), 0);
    assert_eq!(replayed.orgs[1].bank.records, original.orgs[1].bank.records);
    assert_eq!(replayed.orgs[1].bank.lines, original.orgs[1].bank.lines);
    assert_eq!(replayed.orgs[1].bank.order, original.orgs[1].bank.order);
    assert_eq!(replayed.changes, original.changes);
}

#[test]
fn an_unknown_id_changes_nothing() {
    let mut company = Company::generate(5, 300);
    let stranger = Uuid::new_v4();
    let real = company.orgs[0].bank.id_of(10);
    assert!(company
        .apply(
            uk(),
            StreamName::BankTransactions,
            Op::Change,
            Selection::Ids(vec![real, stranger]),
            0
        )
        .is_err());
    assert!(company.changes.is_empty());
    assert!(!company.orgs[0].bank.records[10].is_amended());
}
