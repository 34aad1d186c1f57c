//! Xero's JSON shapes for the records and reference data the sandbox serves. Field names and
//! value formats follow Xero's Accounting API so a client written against the sandbox works
//! against Xero unchanged.

use serde_json::{json, Value};
use uuid::Uuid;

use super::dates::{date_string, day_ms, xero_date};
use super::json::Obj;
use crate::company::calendar::{month_of, render};
use crate::company::chart::{Account, ACCOUNTS_UPDATED_MS};
use crate::company::ids::line_id;
use crate::company::record::{Kind, Record, Status};
use crate::company::{Allocation, Org, Stream, StreamName};

pub fn organisation(org: &Org) -> Value {
    let p = org.profile;
    json!({
        "OrganisationID": org.tenant_id,
        "APIKey": "",
        "Name": p.name,
        "LegalName": p.legal_name,
        "PaysTax": true,
        "Version": p.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": p.currency,
        "CountryCode": p.country_code,
        "IsDemoCompany": false,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 12,
        "Timezone": p.timezone,
        "ShortCode": p.short_code,
        "OrganisationEntityType": "COMPANY",
        "Edition": "BUSINESS",
        "Class": "STANDARD",
        "CreatedDateUTC": xero_date(ACCOUNTS_UPDATED_MS),
    })
}

pub fn account(a: &Account) -> Value {
    let mut v = json!({
        "AccountID": a.id,
        "Code": a.code,
        "Name": a.name,
        "Status": "ACTIVE",
        "Type": a.kind,
        "TaxType": a.tax_type,
        "Class": a.class,
        "EnablePaymentsToAccount": false,
        "ShowInExpenseClaims": a.class == "EXPENSE",
        "ReportingCode": a.reporting_code,
        "HasAttachments": false,
        "UpdatedDateUTC": xero_date(ACCOUNTS_UPDATED_MS),
    });
    if a.is_bank() {
        v["BankAccountType"] = json!("BANK");
        v["CurrencyCode"] = json!("");
    }
    v
}

/// The pieces of a record every shape needs.
struct Common<'a> {
    id: Uuid,
    record: &'a Record,
    contact_id: Uuid,
    contact_name: &'a str,
    reference: String,
    totals: (i64, i64, i64),
}

fn common<'a>(org: &'a Org, stream: &'a Stream, seq: u32) -> Common<'a> {
    let record = &stream.records[seq as usize];
    let source = &org.sources[usize::from(record.source)];
    let contact = &org.contacts[usize::from(source.contact)];
    let mut reference = render(source.reference, month_of(record.day), record.ref_num).into_owned();
    if record.is_amended() {
        reference.push_str(" (amended)");
    }
    Common {
        id: stream.id_of(seq),
        record,
        contact_id: contact.id,
        contact_name: contact.name,
        reference,
        totals: record.totals(&stream.lines),
    }
}

fn line_items(o: &mut Obj<'_>, org: &Org, stream: &Stream, c: &Common<'_>) {
    o.arr("LineItems", |a| {
        for (i, line) in c.record.lines(&stream.lines).iter().enumerate() {
            let account = &org.accounts[usize::from(line.account)];
            a.obj(|l| {
                l.str("LineItemID", &line_id(&c.id, i).to_string())
                    .str("Description", org.text(line.desc))
                    .raw("Quantity", &format!("{}.0000", line.qty))
                    .money("UnitAmount", i64::from(line.unit_cents))
                    .str("AccountCode", account.code)
                    .str("TaxType", line.tax.xero_name())
                    .money("TaxAmount", line.tax_cents(c.record.amounts))
                    .money("LineAmount", line.line_cents())
                    .arr("Tracking", |_| {});
            });
        }
    });
}

fn contact(o: &mut Obj<'_>, c: &Common<'_>) {
    o.obj("Contact", |k| {
        k.str("ContactID", &c.contact_id.to_string())
            .str("Name", c.contact_name);
    });
}

/// Whether the credit note or prepayment behind `a` still stands: a deleted or voided one
/// no longer pays anything off.
fn live(org: &Org, a: &Allocation) -> bool {
    let record = &org.stream(a.from).records[a.from_seq as usize];
    !matches!(record.status, Status::Deleted | Status::Voided)
}

/// `Allocations` of a credit note or prepayment: `[{AllocationID, Amount, Date,
/// Invoice{InvoiceID, InvoiceNumber}}]`, as Xero nests them.
fn allocations(o: &mut Obj<'_>, org: &Org, from: StreamName, seq: u32, id: &Uuid) {
    o.arr("Allocations", |arr| {
        for a in org.allocations_from(from, seq).filter(|a| live(org, a)) {
            let invoice_id = org.invoices.id_of(a.invoice_seq);
            arr.obj(|x| {
                x.str(
                    "AllocationID",
                    &Uuid::new_v5(id, invoice_id.as_bytes()).to_string(),
                )
                .money("Amount", a.cents)
                .str("Date", &xero_date(day_ms(i64::from(a.day))))
                .obj("Invoice", |i| {
                    i.str("InvoiceID", &invoice_id.to_string())
                        .str("InvoiceNumber", &invoice_number(org, a.invoice_seq));
                });
            });
        }
    });
}

/// What is still allocated from a credit, in cents.
fn allocated_from(org: &Org, from: StreamName, seq: u32) -> i64 {
    org.allocations_from(from, seq)
        .filter(|a| live(org, a))
        .map(|a| a.cents)
        .sum()
}

pub fn bank_transaction(out: &mut String, org: &Org, seq: u32) {
    let stream = &org.bank;
    let c = common(org, stream, seq);
    let r = c.record;
    let bank = &org.accounts[usize::from(r.extra)];
    let (sub, tax, total) = c.totals;
    let mut o = Obj::open(out);
    o.str("BankTransactionID", &c.id.to_string())
        .str("Type", r.kind.xero_name());
    contact(&mut o, &c);
    line_items(&mut o, org, stream, &c);
    o.obj("BankAccount", |b| {
        b.str("AccountID", &bank.id.to_string())
            .str("Code", bank.code)
            .str("Name", bank.name);
    })
    .bool("IsReconciled", true)
    .str("Date", &xero_date(r.date_ms()))
    .str("DateString", &date_string(i64::from(r.day)))
    .str("Reference", &c.reference)
    .str("CurrencyCode", org.profile.currency)
    .raw("CurrencyRate", "1.0")
    .str("Status", r.status.xero_name())
    .str("LineAmountTypes", r.amounts.xero_name())
    .money("SubTotal", sub)
    .money("TotalTax", tax)
    .money("Total", total);
    // A prepayment or overpayment made from the bank is also the prepayment or overpayment
    // itself; Xero gives it the same id under its own name.
    match r.kind {
        Kind::SpendPrepayment => {
            o.str("PrepaymentID", &c.id.to_string());
            allocations(&mut o, org, StreamName::BankTransactions, seq, &c.id);
        }
        Kind::SpendOverpayment => {
            o.str("OverpaymentID", &c.id.to_string());
        }
        _ => {}
    }
    o.str("UpdatedDateUTC", &xero_date(r.updated_ms))
        .bool("HasAttachments", false);
    o.close();
}

/// The number Xero shows for invoice `seq`: `INV-0042` for generated sales, the supplier's
/// number for bills.
pub fn invoice_number(org: &Org, seq: u32) -> String {
    let r = &org.invoices.records[seq as usize];
    let source = &org.sources[usize::from(r.source)];
    match r.kind {
        Kind::AccRec if !r.is_fixture() => format!("INV-{:04}", r.ref_num),
        _ => render(source.invoice_number, month_of(r.day), r.ref_num).into_owned(),
    }
}

pub fn invoice(out: &mut String, org: &Org, seq: u32) {
    let stream = &org.invoices;
    let c = common(org, stream, seq);
    let r = c.record;
    let number = invoice_number(org, seq);
    let due_day = i64::from(r.day) + i64::from(r.extra);
    let (sub, tax, total) = c.totals;
    let applied: Vec<&Allocation> = if r.is_fixture() {
        org.allocations_to(seq).filter(|a| live(org, a)).collect()
    } else {
        Vec::new()
    };
    let credited: i64 = applied.iter().map(|a| a.cents).sum();
    let (paid, due) = match r.status {
        Status::Paid => (total, 0),
        Status::Authorised => (0, (total - credited).max(0)),
        Status::Deleted | Status::Voided => (0, 0),
    };
    // Xero marks a bill PAID once credits leave nothing due, on the day of the last one.
    let credited_in_full = r.status == Status::Authorised && credited > 0 && due == 0;
    let status = if credited_in_full {
        Status::Paid
    } else {
        r.status
    };
    let mut o = Obj::open(out);
    o.str("InvoiceID", &c.id.to_string())
        .str("Type", r.kind.xero_name())
        .str("InvoiceNumber", &number)
        .str("Reference", &c.reference);
    contact(&mut o, &c);
    o.str("Date", &xero_date(r.date_ms()))
        .str("DateString", &date_string(i64::from(r.day)))
        .str("DueDate", &xero_date(day_ms(due_day)))
        .str("DueDateString", &date_string(due_day))
        .str("Status", status.xero_name())
        .str("LineAmountTypes", r.amounts.xero_name());
    line_items(&mut o, org, stream, &c);
    o.money("SubTotal", sub)
        .money("TotalTax", tax)
        .money("Total", total)
        .money("AmountDue", due)
        .money("AmountPaid", paid)
        .money("AmountCredited", credited)
        .str("CurrencyCode", org.profile.currency)
        .raw("CurrencyRate", "1.0");
    if r.status == Status::Paid {
        // Paid on the due date: the generated company pays its bills on time.
        o.str("FullyPaidOnDate", &xero_date(day_ms(due_day)));
    } else if credited_in_full {
        let last = applied.iter().map(|a| a.day).max().unwrap_or(r.day);
        o.str("FullyPaidOnDate", &xero_date(day_ms(i64::from(last))));
    }
    applied_credits(&mut o, org, &applied);
    o.bool("IsDiscounted", false)
        .bool("HasAttachments", false)
        .bool("SentToContact", r.kind == Kind::AccRec)
        .str("UpdatedDateUTC", &xero_date(r.updated_ms));
    o.close();
}

/// The credit notes and prepayments applied to an invoice, in Xero's `CreditNotes` and
/// `Prepayments` arrays; written only when there are some.
fn applied_credits(o: &mut Obj<'_>, org: &Org, applied: &[&Allocation]) {
    let notes: Vec<&&Allocation> = applied
        .iter()
        .filter(|a| a.from == StreamName::CreditNotes)
        .collect();
    if !notes.is_empty() {
        o.arr("CreditNotes", |arr| {
            for a in notes {
                let note = &org.credit_notes.records[a.from_seq as usize];
                arr.obj(|x| {
                    x.str(
                        "CreditNoteID",
                        &org.credit_notes.id_of(a.from_seq).to_string(),
                    )
                    .str("CreditNoteNumber", &credit_note_number(org, a.from_seq))
                    .money("AppliedAmount", a.cents)
                    .money("Total", note.totals(&org.credit_notes.lines).2)
                    .str("Date", &xero_date(note.date_ms()));
                });
            }
        });
    }
    let prepayments: Vec<&&Allocation> = applied
        .iter()
        .filter(|a| a.from == StreamName::BankTransactions)
        .collect();
    if !prepayments.is_empty() {
        o.arr("Prepayments", |arr| {
            for a in prepayments {
                arr.obj(|x| {
                    x.str("PrepaymentID", &org.bank.id_of(a.from_seq).to_string())
                        .money("Amount", a.cents)
                        .money("AppliedAmount", a.cents)
                        .str("Date", &xero_date(day_ms(i64::from(a.day))));
                });
            }
        });
    }
}

/// `DHLUK-CN-1102` for a fixture; for a generated supplier credit note the bill's number
/// with `-CR`; for a customer one `CN-` and the sales invoice's number.
fn credit_note_number(org: &Org, seq: u32) -> String {
    let r = &org.credit_notes.records[seq as usize];
    if r.is_fixture() {
        return org.sources[usize::from(r.source)].invoice_number.to_owned();
    }
    let invoice = &org.invoices.records[r.ref_num as usize];
    match r.kind {
        Kind::AccRecCredit => format!("CN-{:04}", invoice.ref_num),
        _ => format!("{}-CR", invoice_number(org, r.ref_num)),
    }
}

pub fn credit_note(out: &mut String, org: &Org, seq: u32) {
    let stream = &org.credit_notes;
    let c = common(org, stream, seq);
    let r = c.record;
    let reference = if r.is_fixture() {
        c.reference.clone()
    } else {
        let mut text = format!("Refund on {}", invoice_number(org, r.ref_num));
        if r.is_amended() {
            text.push_str(" (amended)");
        }
        text
    };
    let (sub, tax, total) = c.totals;
    let remaining = match r.status {
        Status::Authorised => (total - allocated_from(org, StreamName::CreditNotes, seq)).max(0),
        Status::Paid | Status::Deleted | Status::Voided => 0,
    };
    let mut o = Obj::open(out);
    o.str("CreditNoteID", &c.id.to_string())
        .str("CreditNoteNumber", &credit_note_number(org, seq))
        .str("Type", r.kind.xero_name())
        .str("Reference", &reference);
    contact(&mut o, &c);
    o.str("Date", &xero_date(r.date_ms()))
        .str("DateString", &date_string(i64::from(r.day)))
        .str("Status", r.status.xero_name())
        .str("LineAmountTypes", r.amounts.xero_name());
    line_items(&mut o, org, stream, &c);
    o.money("SubTotal", sub)
        .money("TotalTax", tax)
        .money("Total", total)
        .str("CurrencyCode", org.profile.currency)
        .raw("CurrencyRate", "1.0")
        .money("RemainingCredit", remaining);
    allocations(&mut o, org, StreamName::CreditNotes, seq, &c.id);
    o.bool("HasAttachments", false)
        .str("UpdatedDateUTC", &xero_date(r.updated_ms));
    o.close();
}
