//! Xero's standard chart of accounts, as a new Xero organisation starts with it. The codes are
//! what CarbonSync maps to emission categories, so they must match Xero's exactly.

use uuid::Uuid;

use super::ids::named_id;
use super::Country;

#[derive(Clone, Debug)]
pub struct Account {
    pub id: Uuid,
    pub code: &'static str,
    pub name: &'static str,
    /// Xero's account `Type` (BANK, REVENUE, OVERHEADS, …).
    pub kind: &'static str,
    pub class: &'static str,
    pub tax_type: &'static str,
    pub reporting_code: &'static str,
}

impl Account {
    pub fn is_bank(&self) -> bool {
        self.kind == "BANK"
    }
}

/// Every account is dated to when the organisation was set up, before any generated record.
pub const ACCOUNTS_UPDATED_MS: i64 = 1_672_531_200_000;

// (code, name, type, reporting code, UK tax type, US tax type)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const ROWS: &[Row] = &[
    (
        "090",
        "Business Bank Account",
        "BANK",
        "ASS.CUR.CAS.CAS",
        "NONE",
        "NONE",
    ),
    (
        "091",
        "Business Savings Account",
        "BANK",
        "ASS.CUR.CAS.CAS",
        "NONE",
        "NONE",
    ),
    (
        "200",
        "Sales",
        "REVENUE",
        "REV.TRA.GOO",
        "OUTPUT2",
        "OUTPUT",
    ),
    (
        "260",
        "Other Revenue",
        "OTHERINCOME",
        "REV.OTH",
        "OUTPUT2",
        "OUTPUT",
    ),
    (
        "270",
        "Interest Income",
        "OTHERINCOME",
        "REV.INV.INT",
        "NONE",
        "NONE",
    ),
    (
        "310",
        "Cost of Goods Sold",
        "DIRECTCOSTS",
        "EXP.COS",
        "INPUT2",
        "INPUT",
    ),
    (
        "400",
        "Advertising",
        "OVERHEADS",
        "EXP.ADV",
        "INPUT2",
        "INPUT",
    ),
    ("404", "Bank Fees", "OVERHEADS", "EXP.BAN", "NONE", "NONE"),
    ("408", "Cleaning", "OVERHEADS", "EXP.CLE", "INPUT2", "INPUT"),
    (
        "412",
        "Consulting & Accounting",
        "OVERHEADS",
        "EXP.PRO",
        "INPUT2",
        "INPUT",
    ),
    ("416", "Depreciation", "EXPENSE", "EXP.DEP", "NONE", "NONE"),
    (
        "420",
        "Entertainment",
        "OVERHEADS",
        "EXP.ENT",
        "INPUT2",
        "INPUT",
    ),
    (
        "425",
        "Freight & Courier",
        "OVERHEADS",
        "EXP.FRE",
        "INPUT2",
        "INPUT",
    ),
    (
        "429",
        "General Expenses",
        "OVERHEADS",
        "EXP.GEN",
        "INPUT2",
        "INPUT",
    ),
    (
        "433",
        "Insurance",
        "OVERHEADS",
        "EXP.INS",
        "EXEMPTINPUT",
        "INPUT",
    ),
    (
        "437",
        "Interest Expense",
        "OVERHEADS",
        "EXP.INT",
        "NONE",
        "NONE",
    ),
    (
        "441",
        "Legal expenses",
        "OVERHEADS",
        "EXP.LEG",
        "INPUT2",
        "INPUT",
    ),
    (
        "445",
        "Light, Power, Heating",
        "OVERHEADS",
        "EXP.UTI",
        "INPUT2",
        "INPUT",
    ),
    (
        "449",
        "Motor Vehicle Expenses",
        "OVERHEADS",
        "EXP.VEH",
        "INPUT2",
        "INPUT",
    ),
    (
        "453",
        "Office Expenses",
        "OVERHEADS",
        "EXP.OFF",
        "INPUT2",
        "INPUT",
    ),
    (
        "461",
        "Printing & Stationery",
        "OVERHEADS",
        "EXP.PRI",
        "INPUT2",
        "INPUT",
    ),
    ("469", "Rent", "OVERHEADS", "EXP.REN", "INPUT2", "INPUT"),
    (
        "473",
        "Repairs and Maintenance",
        "OVERHEADS",
        "EXP.REP",
        "INPUT2",
        "INPUT",
    ),
    (
        "477",
        "Wages and Salaries",
        "OVERHEADS",
        "EXP.EMP.WAG",
        "NONE",
        "NONE",
    ),
    ("478", "Pension", "OVERHEADS", "EXP.EMP.SUP", "NONE", "NONE"),
    (
        "485",
        "Subscriptions",
        "OVERHEADS",
        "EXP.SUB",
        "INPUT2",
        "INPUT",
    ),
    (
        "489",
        "Telephone & Internet",
        "OVERHEADS",
        "EXP.TEL",
        "INPUT2",
        "INPUT",
    ),
    (
        "493",
        "Travel - National",
        "OVERHEADS",
        "EXP.TRA.NAT",
        "INPUT2",
        "INPUT",
    ),
    (
        "494",
        "Travel - International",
        "OVERHEADS",
        "EXP.TRA.INT",
        "ZERORATEDINPUT",
        "INPUT",
    ),
    (
        "497",
        "Bank Revaluations",
        "EXPENSE",
        "EXP.FOR",
        "NONE",
        "NONE",
    ),
    (
        "505",
        "Income Tax Expense",
        "EXPENSE",
        "EXP.INC",
        "NONE",
        "NONE",
    ),
    (
        "610",
        "Accounts Receivable",
        "CURRENT",
        "ASS.CUR.REC.TRA",
        "NONE",
        "NONE",
    ),
    (
        "710",
        "Office Equipment",
        "FIXED",
        "ASS.NCA.FIX.OWN",
        "INPUT2",
        "INPUT",
    ),
    (
        "720",
        "Computer Equipment",
        "FIXED",
        "ASS.NCA.FIX.OWN",
        "INPUT2",
        "INPUT",
    ),
    (
        "800",
        "Accounts Payable",
        "CURRLIAB",
        "LIA.CUR.PAY.TRA",
        "NONE",
        "NONE",
    ),
    ("820", "VAT", "CURRLIAB", "LIA.CUR.TAX.GST", "NONE", "NONE"),
    (
        "825",
        "Employee Tax Payable",
        "CURRLIAB",
        "LIA.CUR.TAX.WIT",
        "NONE",
        "NONE",
    ),
    (
        "877",
        "Tracking Transfers",
        "CURRLIAB",
        "LIA.CUR",
        "NONE",
        "NONE",
    ),
    (
        "960",
        "Retained Earnings",
        "EQUITY",
        "EQU.RET",
        "NONE",
        "NONE",
    ),
];

fn class_of(kind: &str) -> &'static str {
    match kind {
        "BANK" | "CURRENT" | "FIXED" => "ASSET",
        "REVENUE" | "OTHERINCOME" => "REVENUE",
        "CURRLIAB" => "LIABILITY",
        "EQUITY" => "EQUITY",
        _ => "EXPENSE",
    }
}

pub fn standard_chart(tenant: &Uuid, country: Country) -> Vec<Account> {
    ROWS.iter()
        .map(|&(code, name, kind, reporting_code, uk_tax, us_tax)| {
            // The two names that differ between Xero's UK and US editions.
            let name = match (code, country) {
                ("820", Country::Us) => "Sales Tax",
                ("478", Country::Us) => "Retirement Plan Contributions",
                _ => name,
            };
            Account {
                id: named_id(tenant, "account", code),
                code,
                name,
                kind,
                class: class_of(kind),
                tax_type: match country {
                    Country::Uk => uk_tax,
                    Country::Us => us_tax,
                },
                reporting_code,
            }
        })
        .collect()
}

/// Position of `code` in the chart; the chart is fixed, so a miss is a bug in a catalogue.
pub fn index_of(chart: &[Account], code: &str) -> u8 {
    let i = chart
        .iter()
        .position(|a| a.code == code)
        .unwrap_or_else(|| panic!("account {code} is not in the standard chart"));
    i as u8
}
