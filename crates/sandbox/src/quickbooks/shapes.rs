//! QuickBooks Online's JSON shapes for the entities the sandbox serves. Field names, value
//! formats and quirks follow Intuit's API: amounts are JSON numbers without trailing zeros
//! (`1250`, `1234.5`, `199.99`), Ids and SyncTokens are strings, times carry the company's
//! local offset, and dates are plain `YYYY-MM-DD`.

use std::fmt::Write;

use serde_json::{json, Value};

use super::realm::chart::{
    Currency, Item, QbAccount, TaxCalc, ACCOUNTS_PAYABLE, CHART, CHECKING, CREDIT_CARD, ITEMS,
};
use super::realm::{
    Entity, PaymentType, QLine, Realm, Txn, Vendor, FLAG_PAID, FLAG_REFUND, FLAG_SHOW_CREDIT,
    FLAG_VOIDED,
};
use super::time::{date, pacific_to_utc, stamp};
use super::{COMPANY_NAME, LEGAL_NAME};
use crate::xero::json::Obj;

/// Cents as Intuit prints an amount: `1250`, `1234.5`, `199.99`, `-75`.
pub fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (whole, fraction) = (abs / 100, abs % 100);
    match fraction {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// Ten-thousandths as a plain decimal without trailing zeros: `1.085`, `1`, `0.7412`.
pub fn rate(e4: i64) -> String {
    let mut text = format!("{}.{:04}", e4 / 10_000, e4 % 10_000);
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    text
}

/// When the company's lists (accounts, vendors, items) were set up: 2022-12-28 09:30
/// Pacific, before any record.
pub fn setup_s() -> i64 {
    let local = chrono::NaiveDate::from_ymd_opt(2022, 12, 28)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .expect("valid time");
    pacific_to_utc(local)
}

fn meta(o: &mut Obj<'_>, created_s: i64, updated_s: i64) {
    o.obj("MetaData", |m| {
        m.str("CreateTime", &stamp(created_s))
            .str("LastUpdatedTime", &stamp(updated_s));
    });
}

fn reference(o: &mut Obj<'_>, key: &str, id: u32, name: &str) {
    o.obj(key, |r| {
        r.str("value", &id.to_string()).str("name", name);
    });
}

fn account_ref(o: &mut Obj<'_>, key: &str, position: u8) {
    let a = &CHART[usize::from(position)];
    reference(o, key, a.id, a.name);
}

fn currency_ref(o: &mut Obj<'_>, currency: Currency) {
    o.obj("CurrencyRef", |c| {
        c.str("value", currency.code()).str("name", currency.name());
    });
}

fn common(o: &mut Obj<'_>, id: u32, sync: u8) {
    o.str("domain", "QBO")
        .bool("sparse", false)
        .str("Id", &id.to_string())
        .str("SyncToken", &sync.to_string());
}

pub fn account(out: &mut String, a: &QbAccount) {
    let mut o = Obj::open(out);
    o.str("Name", a.name)
        .bool("SubAccount", false)
        .str("FullyQualifiedName", a.name)
        .bool("Active", true)
        .str("Classification", a.classification())
        .str("AccountType", a.account_type)
        .str("AccountSubType", a.sub_type);
    if let Some(number) = a.acct_num {
        o.str("AcctNum", number);
    }
    o.raw("CurrentBalance", "0")
        .raw("CurrentBalanceWithSubAccounts", "0");
    currency_ref(&mut o, Currency::Usd);
    common(&mut o, a.id, 0);
    meta(&mut o, setup_s(), setup_s());
    o.close();
}

pub fn vendor(out: &mut String, v: &Vendor) {
    let mut o = Obj::open(out);
    o.raw("Balance", "0").bool("Vendor1099", false);
    currency_ref(&mut o, v.currency);
    common(&mut o, v.id, 0);
    meta(&mut o, setup_s(), setup_s());
    o.str("CompanyName", v.name)
        .str("DisplayName", v.name)
        .str("PrintOnCheckName", v.name)
        .bool("Active", true);
    o.close();
}

pub fn item(out: &mut String, i: &Item) {
    let mut o = Obj::open(out);
    o.str("Name", i.name)
        .bool("Active", true)
        .str("FullyQualifiedName", i.name)
        .bool("Taxable", false)
        .raw("UnitPrice", "0")
        .str("Type", "NonInventory");
    account_ref(&mut o, "ExpenseAccountRef", i.expense_account);
    o.raw("PurchaseCost", "0").bool("TrackQtyOnHand", false);
    common(&mut o, i.id, 0);
    meta(&mut o, setup_s(), setup_s());
    o.close();
}

fn lines(o: &mut Obj<'_>, realm: &Realm, lines: &[QLine], calc: TaxCalc, voided: bool) {
    let tax_code = match calc {
        TaxCalc::NotApplicable => "NON",
        TaxCalc::Excluded(_) | TaxCalc::Inclusive(_) => "TAX",
    };
    o.arr("Line", |arr| {
        for (i, line) in lines.iter().enumerate() {
            let cents = if voided { 0 } else { i64::from(line.amount) };
            arr.obj(|l| {
                l.str("Id", &(i + 1).to_string())
                    .int("LineNum", i as i64 + 1)
                    .str("Description", realm.strings.get(line.desc))
                    .raw("Amount", &amount(cents));
                if line.item == 0 {
                    l.str("DetailType", "AccountBasedExpenseLineDetail").obj(
                        "AccountBasedExpenseLineDetail",
                        |d| {
                            account_ref(d, "AccountRef", line.account);
                            d.str("BillableStatus", "NotBillable")
                                .obj("TaxCodeRef", |t| {
                                    t.str("value", tax_code);
                                });
                        },
                    );
                } else {
                    let item = &ITEMS[usize::from(line.item - 1)];
                    let qty = i64::from(line.qty.max(1));
                    l.str("DetailType", "ItemBasedExpenseLineDetail").obj(
                        "ItemBasedExpenseLineDetail",
                        |d| {
                            d.str("BillableStatus", "NotBillable");
                            reference(d, "ItemRef", item.id, item.name);
                            d.raw("UnitPrice", &amount(cents / qty))
                                .int("Qty", qty)
                                .obj("TaxCodeRef", |t| {
                                    t.str("value", tax_code);
                                });
                        },
                    );
                }
            });
        }
    });
}

/// A Purchase, Bill or VendorCredit, by its position in the entity's table.
pub fn txn(out: &mut String, realm: &Realm, entity: Entity, pos: u32) {
    let table = realm.table(entity);
    let t: &Txn = &table.txns[pos as usize];
    let vendor = realm.vendor_of(t);
    let (net, tax) = realm.totals(entity, t);
    let total = net + tax;
    let calc = realm.tax_calc(t);
    let voided = t.has(FLAG_VOIDED);
    let mut o = Obj::open(out);
    match entity {
        Entity::Purchase => {
            let payment = t.payment();
            let paid_from = if payment == PaymentType::CreditCard {
                CREDIT_CARD
            } else {
                CHECKING
            };
            account_ref(&mut o, "AccountRef", paid_from);
            o.str("PaymentType", payment.name());
            o.obj("EntityRef", |r| {
                r.str("value", &vendor.id.to_string())
                    .str("name", vendor.name)
                    .str("type", "Vendor");
            });
            if payment == PaymentType::CreditCard {
                if t.has(FLAG_REFUND) {
                    o.bool("Credit", true);
                } else if t.has(FLAG_SHOW_CREDIT) {
                    o.bool("Credit", false);
                }
            }
            o.raw("TotalAmt", &amount(total))
                .str("GlobalTaxCalculation", calc.name());
        }
        Entity::Bill => {
            let open = !(t.has(FLAG_PAID) || voided);
            o.str("DueDate", &date(i64::from(t.day) + i64::from(t.extra)))
                .raw("Balance", &amount(if open { total } else { 0 }));
        }
        // The generated company never applies its vendor credits: all of it is open.
        Entity::VendorCredit => {
            o.raw("Balance", &amount(total));
        }
    }
    common(&mut o, t.id, t.sync);
    meta(&mut o, t.created_s(), t.updated_s());
    if let Some(number) = realm.doc_number(entity, t) {
        o.str("DocNumber", &number);
    }
    o.str("TxnDate", &date(i64::from(t.day)));
    currency_ref(&mut o, vendor.currency);
    o.raw("ExchangeRate", &rate(realm.rate_e4(t)));
    if let Some(note) = realm.note(entity, t) {
        o.str("PrivateNote", &note);
    }
    lines(&mut o, realm, table.lines_of(t), calc, voided);
    if entity != Entity::Purchase {
        reference(&mut o, "VendorRef", vendor.id, vendor.name);
        account_ref(&mut o, "APAccountRef", ACCOUNTS_PAYABLE);
        o.str("GlobalTaxCalculation", calc.name())
            .raw("TotalAmt", &amount(total));
    }
    o.obj("TxnTaxDetail", |d| {
        d.raw("TotalTax", &amount(tax));
    });
    o.close();
}

/// How change data capture reports a deleted record.
pub fn deleted(out: &mut String, id: u32, updated_s: i64) {
    let _ = write!(
        out,
        "{{\"domain\":\"QBO\",\"status\":\"Deleted\",\"Id\":\"{id}\",\"MetaData\":{{\"LastUpdatedTime\":\"{}\"}}}}",
        stamp(updated_s)
    );
}

pub fn company_info() -> Value {
    let address = json!({
        "Id": "1",
        "Line1": "1120 NW Couch St",
        "City": "Portland",
        "Country": "US",
        "CountrySubDivisionCode": "OR",
        "PostalCode": "97209",
    });
    json!({
        "CompanyName": COMPANY_NAME,
        "LegalName": LEGAL_NAME,
        "CompanyAddr": address,
        "CustomerCommunicationAddr": address,
        "LegalAddr": address,
        "PrimaryPhone": {"FreeFormNumber": "(503) 555-0142"},
        "CompanyStartDate": "2023-01-01",
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "Email": {"Address": "books@cedarandfinch.example"},
        "WebAddr": {"URI": "https://cedarandfinch.example"},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Retail Trade"},
            {"Name": "CompanyType", "Value": "Corporation"},
            {"Name": "SubscriptionStatus", "Value": "PAID"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "PayrollFeature", "Value": "false"},
        ],
        "domain": "QBO",
        "sparse": false,
        "Id": "1",
        "SyncToken": "4",
        "MetaData": {
            "CreateTime": stamp(setup_s()),
            "LastUpdatedTime": stamp(setup_s()),
        },
    })
}

pub fn preferences() -> Value {
    json!({
        "AccountingInfoPrefs": {
            "TrackDepartments": false,
            "ClassTrackingPerTxn": false,
            "ClassTrackingPerTxnLine": false,
            "CustomerTerminology": "Customers",
            "BookCloseDate": "2023-12-31",
        },
        "ProductAndServicesPrefs": {
            "ForSales": true,
            "ForPurchase": true,
            "QuantityWithPriceAndRate": true,
            "QuantityOnHand": false,
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": false,
            "BillableExpenseTracking": false,
            "DefaultTerms": {"value": "3"},
        },
        "TaxPrefs": {
            "UsingSalesTax": true,
            "PartnerTaxEnabled": true,
        },
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": true,
            "HomeCurrency": {"value": "USD"},
        },
        "ReportPrefs": {
            "ReportBasis": "Accrual",
            "CalcAgingReportFromTxnDate": false,
        },
        "OtherPrefs": {
            "NameValue": [
                {"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"},
                {"Name": "DTXCopyMemo", "Value": "false"},
            ],
        },
        "domain": "QBO",
        "sparse": false,
        "Id": "1",
        "SyncToken": "6",
        "MetaData": {
            "CreateTime": stamp(setup_s()),
            "LastUpdatedTime": stamp(setup_s()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_rates_print_as_intuit_prints_them() {
        assert_eq!(amount(125_000), "1250");
        assert_eq!(amount(123_450), "1234.5");
        assert_eq!(amount(19_999), "199.99");
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(-7_500), "-75");
        assert_eq!(rate(10_850), "1.085");
        assert_eq!(rate(10_000), "1");
        assert_eq!(rate(7_412), "0.7412");
        assert_eq!(stamp(setup_s()), "2022-12-28T09:30:00-08:00");
    }
}
