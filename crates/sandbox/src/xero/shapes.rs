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
use crate::company::{Org, Stream};

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
    .money("Total", total)
    .str("UpdatedDateUTC", &xero_date(r.updated_ms))
    .bool("HasAttachments", false);
    o.close();
}

pub fn invoice(out: &mut String, org: &Org, seq: u32) {
    let stream = &org.invoices;
    let c = common(org, stream, seq);
    let r = c.record;
    let source = &org.sources[usize::from(r.source)];
    let number = match r.kind {
        Kind::AccRec if !r.is_fixture() => format!("INV-{:04}", r.ref_num),
        _ => render(source.invoice_number, month_of(r.day), r.ref_num).into_owned(),
    };
    let due_day = i64::from(r.day) + i64::from(r.extra);
    let (sub, tax, total) = c.totals;
    let (paid, due) = match r.status {
        Status::Paid => (total, 0),
        Status::Authorised => (0, total),
        Status::Deleted | Status::Voided => (0, 0),
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
        .str("Status", r.status.xero_name())
        .str("LineAmountTypes", r.amounts.xero_name());
    line_items(&mut o, org, stream, &c);
    o.money("SubTotal", sub)
        .money("TotalTax", tax)
        .money("Total", total)
        .money("AmountDue", due)
        .money("AmountPaid", paid)
        .money("AmountCredited", 0)
        .str("CurrencyCode", org.profile.currency)
        .raw("CurrencyRate", "1.0");
    if r.status == Status::Paid {
        // Paid on the due date: the generated company pays its bills on time.
        o.str("FullyPaidOnDate", &xero_date(day_ms(due_day)));
    }
    o.bool("IsDiscounted", false)
        .bool("HasAttachments", false)
        .bool("SentToContact", r.kind == Kind::AccRec)
        .str("UpdatedDateUTC", &xero_date(r.updated_ms));
    o.close();
}
