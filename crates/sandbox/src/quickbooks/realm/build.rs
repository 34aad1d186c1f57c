//! Turns a generated organisation into the QuickBooks company.
//!
//! Ids: fixtures have theirs (9001 to 9005); generated records are numbered from 10001 in
//! date order across the three entities, as QuickBooks numbers transactions as they are
//! entered. Stamps: each record was entered on its date, between 09:00 and 11:00 Pacific
//! time, to the second, and no two generated records share a stamp. Everything is drawn from
//! the seed (payment types, refunds), never from the clock or the OS, so the same seed and
//! size always give the same company.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::chart::{self, Currency, TaxCalc, FOREIGN_VENDORS, ITEMS};
use super::fixtures::{FIXTURES, FIXTURE_VENDORS};
use super::{
    Entity, PaymentType, QLine, Realm, Source, Table, Txn, Vendor, FIRST_GENERATED_ID,
    FIRST_VENDOR_ID, FLAG_FIXTURE, FLAG_PAID, FLAG_REFUND, FLAG_SHOW_CREDIT, FLAG_VOIDED,
    STAMP_EPOCH_S,
};
use crate::company::catalog::{Channel, Party, Rhythm, US_PARTIES};
use crate::company::record::{Kind, Line, Status};
use crate::company::{generate_quickbooks_source, Org, Stream};
use crate::quickbooks::time::pacific_to_utc;

/// Records are entered within this many seconds after 09:00 on their date.
const ENTRY_SPREAD_S: u64 = 2 * 3600;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Seconds from [`STAMP_EPOCH_S`] of `hour`:`second` Pacific time on day `day`.
fn local_stamp(day: u16, hour: u32, second: u32) -> u32 {
    let date = NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date")
        + chrono::TimeDelta::days(i64::from(day));
    let local = date
        .and_hms_opt(hour, 0, 0)
        .expect("valid time")
        .checked_add_signed(chrono::TimeDelta::seconds(i64::from(second)))
        .expect("within range");
    u32::try_from(pacific_to_utc(local) - STAMP_EPOCH_S).expect("after 2023")
}

fn day_of(date: (i32, u32, u32)) -> u16 {
    let (y, m, d) = date;
    let date = NaiveDate::from_ymd_opt(y, m, d).expect("fixture dates are valid");
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date");
    u16::try_from((date - start).num_days()).expect("fixture dates lie in the data")
}

/// (amount before tax, tax) of a line of `cents` as entered.
fn split_tax(cents: i64, calc: TaxCalc) -> (i64, i64) {
    let div_round = |n: i64, d: i64| (2 * n + d) / (2 * d);
    match calc {
        TaxCalc::NotApplicable => (cents, 0),
        TaxCalc::Excluded(rate) => (cents, div_round(cents * rate, 10_000)),
        // Entered with the tax in; the line keeps the amount before tax.
        TaxCalc::Inclusive(rate) => {
            let net = div_round(cents * 10_000, 10_000 + rate);
            (net, cents - net)
        }
    }
}

fn cents_i32(cents: i64) -> i32 {
    i32::try_from(cents).unwrap_or(i32::MAX)
}

struct Vendors {
    list: Vec<Vendor>,
    by_name: HashMap<&'static str, u16>,
}

impl Vendors {
    /// Every supplier of the catalogue, in catalogue order, then the fixtures' own: their Ids
    /// are the same whatever the seed and size.
    fn new() -> Self {
        let mut vendors = Vendors {
            list: Vec::new(),
            by_name: HashMap::new(),
        };
        let suppliers = US_PARTIES
            .iter()
            .filter(|p| matches!(p.channel, Channel::Spend | Channel::Bill))
            .map(|p| {
                let currency = FOREIGN_VENDORS
                    .iter()
                    .find(|(name, _)| *name == p.name)
                    .map_or(Currency::Usd, |(_, c)| *c);
                (p.name, currency)
            });
        for (name, currency) in suppliers.chain(FIXTURE_VENDORS.iter().copied()) {
            if vendors.by_name.contains_key(name) {
                continue;
            }
            let index = vendors.list.len() as u16;
            vendors.list.push(Vendor {
                id: FIRST_VENDOR_ID + u32::from(index),
                name,
                currency,
            });
            vendors.by_name.insert(name, index);
        }
        vendors
    }

    fn index(&self, name: &str) -> u16 {
        *self
            .by_name
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not a vendor"))
    }
}

/// How a generated purchase was paid: what the catalogue calls a card payment by card; other
/// scheduled payments by ACH or direct debit (QuickBooks' `Cash`) or, with no transfer in
/// their reference (an insurance policy, a tax return), by check; the rest mostly by card.
fn payment_for(party: Option<&Party>, h: u64) -> PaymentType {
    const TRANSFERS: &[&str] = &["ACH", "Autopay", "EFTPS", "Payroll", "fee"];
    match party {
        Some(p) if p.reference.contains("Card") => PaymentType::CreditCard,
        Some(p) if matches!(p.rhythm, Rhythm::Periodic { .. }) => {
            if TRANSFERS.iter().any(|w| p.reference.contains(w)) {
                PaymentType::Cash
            } else {
                PaymentType::Check
            }
        }
        _ => match h % 100 {
            0..80 => PaymentType::CreditCard,
            80..90 => PaymentType::Cash,
            _ => PaymentType::Check,
        },
    }
}

pub fn build(seed: u64, records_per_org: usize) -> Realm {
    let org = generate_quickbooks_source(seed, records_per_org);
    let Org {
        accounts,
        contacts,
        sources: org_sources,
        mut strings,
        bank,
        invoices,
        credit_notes,
        ..
    } = org;
    let account_map: Vec<u8> = accounts
        .iter()
        .map(|a| chart::for_xero_code(a.code))
        .collect();
    let vendors = Vendors::new();
    let mut sources: Vec<Source> = Vec::new();
    let mut source_map: Vec<Option<u16>> = vec![None; org_sources.len()];
    let mut tables: [Table; 3] = Default::default();

    for (index, f) in FIXTURES.iter().enumerate() {
        let source = sources.len() as u16;
        sources.push(Source {
            vendor: vendors.index(f.vendor),
            reference: "",
            doc_number: "",
        });
        let day = day_of(f.date);
        // Entered at 08:00 on its date, before any generated record of that day.
        let stamp = local_stamp(day, 8, index as u32);
        let table = &mut tables[f.entity as usize];
        let line_start = table.lines.len() as u32;
        for l in f.lines {
            table.lines.push(QLine {
                amount: l.cents,
                tax: 0,
                desc: strings.intern(l.desc),
                account: l.account,
                item: 0,
                qty: 1,
            });
        }
        let mut flags = FLAG_FIXTURE;
        if f.refund {
            flags |= FLAG_REFUND;
        }
        table.txns.push(Txn {
            updated: stamp,
            created: stamp,
            line_start,
            id: f.id,
            ref_num: index as u32,
            day,
            source,
            line_count: f.lines.len() as u8,
            flags,
            extra: f.payment as u8,
            sync: 0,
        });
    }

    // Every supplier-side record, in date order: (day, entity, sequence number).
    let mut picks: Vec<(u16, u8, u32)> = Vec::new();
    let streams: [(&Stream, Kind); 3] = [
        (&bank, Kind::Spend),
        (&invoices, Kind::AccPay),
        (&credit_notes, Kind::AccPayCredit),
    ];
    for (rank, (stream, kind)) in streams.iter().enumerate() {
        picks.extend(
            stream
                .records
                .iter()
                .enumerate()
                .filter(|(_, r)| r.kind == *kind)
                .map(|(seq, r)| (r.day, rank as u8, seq as u32)),
        );
    }
    picks.sort_unstable();

    let item_of = |strings: &crate::company::Strings, line: &Line, cents: i64| -> (u8, u16) {
        let qty = i64::from(line.qty);
        if qty < 2 || cents % qty != 0 {
            return (0, 1);
        }
        let desc = strings.get(line.desc);
        match ITEMS.iter().position(|i| i.name == desc) {
            Some(i) => (i as u8 + 1, u16::from(line.qty)),
            None => (0, 1),
        }
    };

    let mut bill_ids = vec![0u32; invoices.records.len()];
    let mut last = 0u32;
    let mix = splitmix(seed ^ 0x0b00_c5ed);
    for (k, &(day, rank, seq)) in picks.iter().enumerate() {
        let id = FIRST_GENERATED_ID + k as u32;
        let (stream, _) = streams[usize::from(rank)];
        let entity = Entity::ALL[usize::from(rank)];
        let r = &stream.records[seq as usize];
        let h = splitmix(mix ^ u64::from(id));
        let stamp = local_stamp(day, 9, (h % ENTRY_SPREAD_S) as u32).max(last + 1);
        last = stamp;

        let org_source = usize::from(r.source);
        let source = *source_map[org_source].get_or_insert_with(|| {
            let s = &org_sources[org_source];
            sources.push(Source {
                vendor: vendors.index(contacts[usize::from(s.contact)].name),
                reference: s.reference,
                doc_number: s.invoice_number,
            });
            (sources.len() - 1) as u16
        });
        let currency = vendors.list[usize::from(sources[usize::from(source)].vendor)].currency;

        let (mut flags, mut extra, mut ref_num) = (0u8, 0u8, r.ref_num);
        match entity {
            Entity::Purchase => {
                let payment = payment_for(US_PARTIES.get(org_source), h >> 20);
                extra = payment as u8;
                if payment == PaymentType::CreditCard {
                    if (h >> 32) % 50 == 17 {
                        flags |= FLAG_REFUND;
                    } else if (h >> 40).is_multiple_of(2) {
                        flags |= FLAG_SHOW_CREDIT;
                    }
                }
            }
            Entity::Bill => {
                extra = r.extra;
                bill_ids[seq as usize] = id;
                match r.status {
                    Status::Paid => flags |= FLAG_PAID,
                    Status::Voided | Status::Deleted => flags |= FLAG_VOIDED,
                    Status::Authorised => {}
                }
            }
            // A generated credit note names the bill it refunds by sequence number; that
            // bill is dated weeks earlier, so it already has its Id.
            Entity::VendorCredit => ref_num = bill_ids[r.ref_num as usize],
        }

        let table = &mut tables[usize::from(rank)];
        let line_start = table.lines.len() as u32;
        for line in r.lines(&stream.lines) {
            let cents = line.line_cents();
            let (amount, tax) = split_tax(cents, currency.tax());
            let (item, qty) = item_of(&strings, line, amount);
            table.lines.push(QLine {
                amount: cents_i32(amount),
                tax: cents_i32(tax),
                desc: line.desc,
                account: account_map[usize::from(line.account)],
                item,
                qty,
            });
        }
        table.txns.push(Txn {
            updated: stamp,
            created: stamp,
            line_start,
            id,
            ref_num,
            day,
            source,
            line_count: r.line_count,
            flags,
            extra,
            sync: 0,
        });
    }

    let mut newest = 0;
    for table in &mut tables {
        let mut order: Vec<u32> = (0..table.txns.len() as u32).collect();
        order.sort_unstable_by_key(|&p| table.key(p));
        newest = newest.max(table.txns.iter().map(|t| t.updated).max().unwrap_or(0));
        table.live = order.clone();
        table.order = order;
    }
    Realm {
        vendors: vendors.list,
        sources,
        strings,
        tables,
        last_stamp: newest,
        changes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_splits_keep_the_amount_entered() {
        assert_eq!(split_tax(10_000, TaxCalc::NotApplicable), (10_000, 0));
        assert_eq!(split_tax(10_000, TaxCalc::Excluded(500)), (10_000, 500));
        assert_eq!(
            split_tax(12_000, TaxCalc::Inclusive(2_000)),
            (10_000, 2_000)
        );
        let (net, tax) = split_tax(999, TaxCalc::Inclusive(2_000));
        assert_eq!(net + tax, 999);
    }

    #[test]
    fn stamps_are_pacific_wall_clock() {
        // 2024-03-12 is day 436, in daylight time: 09:00 PDT is 16:00 UTC.
        let utc = STAMP_EPOCH_S + i64::from(local_stamp(436, 9, 0));
        assert_eq!(
            chrono::DateTime::from_timestamp(utc, 0)
                .unwrap()
                .to_rfc3339(),
            "2024-03-12T16:00:00+00:00"
        );
        assert_eq!(day_of((2024, 3, 12)), 436);
    }
}
