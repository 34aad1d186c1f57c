//! Properties of the generated data that the API's guarantees rest on.

use uuid::Uuid;

use super::record::{Kind, LineAmounts, Status, TaxCode};
use super::{Company, Op, Selection, Stamping, StreamName, View, UK_TENANT_ID, US_TENANT_ID};

fn uk() -> Uuid {
    Uuid::parse_str(UK_TENANT_ID).unwrap()
}

fn assert_strictly_increasing(company: &Company) {
    for org in &company.orgs {
        for stream in [&org.bank, &org.invoices, &org.credit_notes] {
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
        assert_eq!(company.orgs[0].bank.fixture_ids.len(), 4);
        assert_eq!(company.orgs[0].invoices.fixture_ids.len(), 1);
        assert_eq!(company.orgs[0].credit_notes.fixture_ids.len(), 1);
        assert_eq!(company.orgs[1].bank.fixture_ids.len(), 3);
        assert_eq!(company.orgs[1].invoices.fixture_ids.len(), 3);
        assert_eq!(company.orgs[1].credit_notes.fixture_ids.len(), 0);
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

/// The invariant every listing rests on, ties or not: `order` is sorted by (stamp, sequence
/// number), holds each record once, and `bills` is exactly its supplier-side subset.
fn assert_listing_order(company: &Company) {
    for org in &company.orgs {
        for stream in [&org.bank, &org.invoices, &org.credit_notes] {
            let key = |s: &u32| (stream.records[*s as usize].updated_ms, *s);
            assert!(stream.order.windows(2).all(|w| key(&w[0]) < key(&w[1])));
            let mut seen = vec![false; stream.records.len()];
            for &s in &stream.order {
                assert!(!std::mem::replace(&mut seen[s as usize], true));
            }
            assert!(seen.iter().all(|&b| b));
            let payables: Vec<u32> = stream
                .order
                .iter()
                .copied()
                .filter(|&s| stream.records[s as usize].kind.is_payable())
                .collect();
            assert_eq!(stream.bills, payables);
            let newest = stream.records.iter().map(|r| r.updated_ms).max();
            assert_eq!(Some(stream.last_updated_ms), newest.or(Some(0)));
        }
    }
}

fn stamp_of(company: &Company, stream: StreamName, id: &Uuid) -> i64 {
    let s = company.orgs[0].stream(stream);
    s.records[s.seq_of(id).unwrap() as usize].updated_ms
}

#[test]
fn a_tied_edit_shares_one_fresh_stamp_and_lists_by_sequence_number() {
    let mut company = Company::generate(3, 2000);
    let before = company.orgs[0].bank.last_updated_ms;
    let ids = company
        .apply_stamped(
            uk(),
            StreamName::BankTransactions,
            Op::Change,
            Selection::Count(40),
            0,
            Stamping {
                same_updated: true,
                whole_second: false,
            },
        )
        .unwrap();
    assert_eq!(ids.len(), 40);
    let stamp = stamp_of(&company, StreamName::BankTransactions, &ids[0]);
    assert_eq!(stamp, before + 1, "later than every existing stamp");
    for id in &ids {
        assert_eq!(stamp_of(&company, StreamName::BankTransactions, id), stamp);
    }
    let bank = &company.orgs[0].bank;
    let tail = &bank.order[bank.order.len() - 40..];
    let mut by_seq: Vec<u32> = ids.iter().map(|id| bank.seq_of(id).unwrap()).collect();
    by_seq.sort_unstable();
    assert_eq!(tail, by_seq.as_slice(), "ties list in sequence order");
    assert_eq!(bank.updated_since(View::All, Some(stamp)).len(), 40);
    assert_eq!(bank.updated_after(View::All, Some(stamp - 1)).len(), 40);
    assert!(bank.updated_after(View::All, Some(stamp)).is_empty());

    // A later tie with records from inside the first one moves them out of it.
    let again = company
        .apply_stamped(
            uk(),
            StreamName::BankTransactions,
            Op::Delete,
            Selection::Ids(vec![ids[5], ids[0]]),
            0,
            Stamping {
                same_updated: true,
                whole_second: false,
            },
        )
        .unwrap();
    assert_eq!(again, vec![ids[5], ids[0]]);
    let bank = &company.orgs[0].bank;
    assert_eq!(bank.updated_since(View::All, Some(stamp)).len(), 40);
    assert_eq!(bank.updated_since(View::All, Some(stamp + 1)).len(), 2);
    assert_listing_order(&company);
}

#[test]
fn whole_second_stamps_end_in_000_and_still_come_later() {
    let mut company = Company::generate(3, 600);
    let before = company.orgs[0].invoices.last_updated_ms;
    let now = 1_800_000_000_123;
    let separate = company
        .apply_stamped(
            uk(),
            StreamName::Invoices,
            Op::Change,
            Selection::Count(3),
            now,
            Stamping {
                same_updated: false,
                whole_second: true,
            },
        )
        .unwrap();
    let stamps: Vec<i64> = separate
        .iter()
        .map(|id| stamp_of(&company, StreamName::Invoices, id))
        .collect();
    assert_eq!(
        stamps,
        vec![1_800_000_001_000, 1_800_000_002_000, 1_800_000_003_000]
    );
    assert!(stamps[0] > before);

    // With a clock behind the data, the next whole second after the newest stamp.
    let mut company = Company::generate(3, 600);
    let newest = company.orgs[0].invoices.last_updated_ms;
    let tied = company
        .apply_stamped(
            uk(),
            StreamName::Invoices,
            Op::Change,
            Selection::Count(4),
            0,
            Stamping {
                same_updated: true,
                whole_second: true,
            },
        )
        .unwrap();
    let stamp = stamp_of(&company, StreamName::Invoices, &tied[0]);
    assert_eq!(stamp % 1000, 0);
    assert!(stamp > newest && stamp <= newest + 1000);
    assert!(tied
        .iter()
        .all(|id| stamp_of(&company, StreamName::Invoices, id) == stamp));
    assert_listing_order(&company);
}

#[test]
fn tied_edits_replay_onto_fresh_data_exactly() {
    let mut original = Company::generate(5, 3000);
    let tie = Stamping {
        same_updated: true,
        whole_second: true,
    };
    let a = original
        .apply_stamped(
            uk(),
            StreamName::BankTransactions,
            Op::Change,
            Selection::Count(1500),
            1_800_000_000_500,
            tie,
        )
        .unwrap();
    original
        .apply_stamped(
            uk(),
            StreamName::CreditNotes,
            Op::Delete,
            Selection::Count(1),
            0,
            Stamping::default(),
        )
        .unwrap();
    original
        .apply_stamped(
            uk(),
            StreamName::BankTransactions,
            Op::Delete,
            Selection::Ids(a[..10].to_vec()),
            0,
            tie,
        )
        .unwrap();
    let mut replayed = Company::generate(5, 3000);
    assert_eq!(replayed.replay(&original.changes), 0);
    for (r, o) in replayed.orgs.iter().zip(&original.orgs) {
        for name in [
            StreamName::BankTransactions,
            StreamName::Invoices,
            StreamName::CreditNotes,
        ] {
            assert_eq!(r.stream(name).records, o.stream(name).records, "{name:?}");
            assert_eq!(r.stream(name).order, o.stream(name).order, "{name:?}");
            assert_eq!(r.stream(name).bills, o.stream(name).bills, "{name:?}");
        }
    }
    assert_eq!(replayed.changes, original.changes);
    assert_listing_order(&replayed);
}

#[test]
fn generated_credit_notes_partly_refund_one_bill_in_a_hundred() {
    let company = Company::generate(2024, 20_000);
    for org in &company.orgs {
        let notes = &org.credit_notes;
        let generated: Vec<&super::Record> =
            notes.records.iter().filter(|r| !r.is_fixture()).collect();
        let live_bills = org
            .invoices
            .records
            .iter()
            .filter(|r| {
                r.kind == Kind::AccPay
                    && !r.is_fixture()
                    && matches!(r.status, Status::Authorised | Status::Paid)
            })
            .count();
        let supplier = generated
            .iter()
            .filter(|r| r.kind == Kind::AccPayCredit)
            .count();
        assert_eq!(supplier, (live_bills + 50) / 100, "about one per 100 bills");
        assert!(generated.iter().any(|r| r.kind == Kind::AccRecCredit));
        for r in &generated {
            let bill = &org.invoices.records[r.ref_num as usize];
            let bill_line = org.invoices.lines[bill.line_start as usize];
            let line = r.lines(&notes.lines)[0];
            assert!(line.line_cents() < bill_line.line_cents() && line.line_cents() > 0);
            assert_eq!((line.account, line.tax), (bill_line.account, bill_line.tax));
            assert!(r.day > bill.day);
            assert_eq!(r.status, Status::Authorised);
            assert_eq!(r.source, bill.source, "the same contact");
        }
        assert_eq!(
            notes.bills.len(),
            notes
                .records
                .iter()
                .filter(|r| r.kind == Kind::AccPayCredit)
                .count()
        );
    }
    assert_listing_order(&company);
}

#[test]
fn fixture_credits_are_allocated_to_their_bills_for_their_whole_total() {
    for size in [0, 300, 5000] {
        let company = Company::generate(11, size);
        let (uk_org, us_org) = (&company.orgs[0], &company.orgs[1]);
        let id = |n: u32| Uuid::parse_str(&format!("f1a00000-0000-4000-8000-{n:012}")).unwrap();
        let f8 = uk_org.credit_notes.seq_of(&id(8)).unwrap();
        let f2 = uk_org.invoices.seq_of(&id(2)).unwrap();
        let note = &uk_org.credit_notes.records[f8 as usize];
        assert_eq!(note.kind, Kind::AccPayCredit);
        assert_eq!(
            note.totals(&uk_org.credit_notes.lines),
            (10_000, 2_000, 12_000)
        );
        assert_eq!(
            uk_org.allocations,
            vec![super::Allocation {
                from: StreamName::CreditNotes,
                from_seq: f8,
                invoice_seq: f2,
                cents: 12_000,
                day: note.day,
            }]
        );
        let f10 = us_org.bank.seq_of(&id(10)).unwrap();
        let f7 = us_org.invoices.seq_of(&id(7)).unwrap();
        assert_eq!(us_org.allocations.len(), 1);
        assert_eq!(
            (
                us_org.allocations[0].from,
                us_org.allocations[0].from_seq,
                us_org.allocations[0].invoice_seq,
                us_org.allocations[0].cents
            ),
            (StreamName::BankTransactions, f10, f7, 45_000)
        );
        let f11 = &us_org.bank.records[us_org.bank.seq_of(&id(11)).unwrap() as usize];
        assert_eq!(f11.kind, Kind::SpendOverpayment);
        let payable = us_org
            .accounts
            .iter()
            .position(|a| a.code == "800")
            .unwrap();
        assert_eq!(f11.lines(&us_org.bank.lines)[0].account as usize, payable);
        let f9 = &uk_org.bank.records[uk_org.bank.seq_of(&id(9)).unwrap() as usize];
        assert_eq!(
            (f9.kind, f9.totals(&uk_org.bank.lines)),
            (Kind::Receive, (20_000, 0, 20_000))
        );
        // The appended fixtures keep every stream its planned size.
        if size > 0 {
            assert_eq!(
                uk_org.bank.records.len() + uk_org.invoices.records.len(),
                size
            );
            assert_eq!(
                us_org.bank.records.len() + us_org.invoices.records.len(),
                size
            );
        }
    }
}
