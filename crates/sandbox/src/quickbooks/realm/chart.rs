//! The QuickBooks company's reference data: its chart of accounts (with Intuit's `AccountType`
//! and `AccountSubType` values, which is what a QuickBooks client maps by), the items a few
//! purchase lines name instead of an account, and the currencies it trades in.

/// One account. Ids are small integers, as Intuit gives them; `AcctNum` is set on a few only
/// (account numbers are optional in QuickBooks Online).
#[derive(Debug)]
pub struct QbAccount {
    pub id: u32,
    pub name: &'static str,
    /// Intuit's `AccountType`: "Expense", "Bank", "Credit Card", …
    pub account_type: &'static str,
    /// Intuit's `AccountSubType` enum value: "Travel", "Checking", …
    pub sub_type: &'static str,
    pub acct_num: Option<&'static str>,
    /// Codes of Xero's standard chart whose generated lines book to this account.
    pub xero_codes: &'static [&'static str],
}

impl QbAccount {
    /// Intuit's `Classification`, which follows from the type.
    pub fn classification(&self) -> &'static str {
        match self.account_type {
            "Bank"
            | "Accounts Receivable"
            | "Other Current Asset"
            | "Fixed Asset"
            | "Other Asset" => "Asset",
            "Accounts Payable"
            | "Credit Card"
            | "Other Current Liability"
            | "Long Term Liability" => "Liability",
            "Equity" => "Equity",
            "Income" | "Other Income" => "Revenue",
            _ => "Expense",
        }
    }
}

const fn account(
    id: u32,
    name: &'static str,
    account_type: &'static str,
    sub_type: &'static str,
    acct_num: Option<&'static str>,
    xero_codes: &'static [&'static str],
) -> QbAccount {
    QbAccount {
        id,
        name,
        account_type,
        sub_type,
        acct_num,
        xero_codes,
    }
}

/// The chart, in Id order. Every account code a generated US supplier record books to maps
/// to one of these (checked by a test).
pub static CHART: &[QbAccount] = &[
    account(1, "Checking", "Bank", "Checking", Some("1010"), &["090"]),
    account(2, "Savings", "Bank", "Savings", Some("1020"), &["091"]),
    account(
        3,
        "Business Credit Card",
        "Credit Card",
        "CreditCard",
        Some("2010"),
        &[],
    ),
    account(
        4,
        "Accounts Payable (A/P)",
        "Accounts Payable",
        "AccountsPayable",
        Some("2000"),
        &["800"],
    ),
    account(
        5,
        "Sales Tax Payable",
        "Other Current Liability",
        "SalesTaxPayable",
        None,
        &["820"],
    ),
    account(
        6,
        "Sales of Product Income",
        "Income",
        "SalesOfProductIncome",
        None,
        &["200", "260"],
    ),
    account(
        7,
        "Advertising & Marketing",
        "Expense",
        "AdvertisingPromotional",
        None,
        &["400"],
    ),
    account(
        8,
        "Bank Charges & Fees",
        "Expense",
        "BankCharges",
        None,
        &["404"],
    ),
    account(9, "Car & Truck", "Expense", "Auto", None, &["449"]),
    account(
        10,
        "Dues & Subscriptions",
        "Expense",
        "DuesSubscriptions",
        None,
        &["485"],
    ),
    account(
        11,
        "Equipment Rental",
        "Expense",
        "EquipmentRental",
        None,
        &[],
    ),
    account(12, "Insurance", "Expense", "Insurance", None, &["433"]),
    account(
        13,
        "Janitorial Expense",
        "Expense",
        "RepairMaintenance",
        None,
        &["408"],
    ),
    account(
        14,
        "Legal & Professional Services",
        "Expense",
        "LegalProfessionalFees",
        None,
        &["412", "441"],
    ),
    account(
        15,
        "Meals & Entertainment",
        "Expense",
        "EntertainmentMeals",
        None,
        &["420"],
    ),
    account(
        16,
        "Office Expenses",
        "Expense",
        "OfficeGeneralAdministrativeExpenses",
        None,
        &["429", "453", "461"],
    ),
    account(
        17,
        "Payroll Expenses",
        "Expense",
        "PayrollExpenses",
        None,
        &["477", "478"],
    ),
    account(
        18,
        "Rent & Lease",
        "Expense",
        "RentOrLeaseOfBuildings",
        None,
        &["469"],
    ),
    account(
        19,
        "Repairs & Maintenance",
        "Expense",
        "RepairMaintenance",
        None,
        &["473"],
    ),
    account(
        20,
        "Shipping & Delivery",
        "Expense",
        "ShippingFreightDelivery",
        None,
        &["425"],
    ),
    account(
        21,
        "Supplies & Materials",
        "Expense",
        "SuppliesMaterials",
        None,
        &[],
    ),
    account(
        22,
        "Taxes & Licenses",
        "Expense",
        "TaxesPaid",
        None,
        &["825"],
    ),
    account(23, "Travel", "Expense", "Travel", None, &["493", "494"]),
    account(24, "Travel Meals", "Expense", "TravelMeals", None, &[]),
    account(25, "Utilities", "Expense", "Utilities", None, &["445"]),
    account(
        26,
        "Phone & Internet",
        "Expense",
        "Utilities",
        None,
        &["489"],
    ),
    account(
        27,
        "Cost of Goods Sold",
        "Cost of Goods Sold",
        "SuppliesMaterialsCogs",
        None,
        &["310"],
    ),
    account(
        28,
        "Depreciation",
        "Other Expense",
        "Depreciation",
        None,
        &["416"],
    ),
    // Its number is the code of Xero's standard Advertising account, yet it is no
    // advertising: a client must map QuickBooks accounts by subtype, never by a Xero code.
    account(
        29,
        "Sundry 400",
        "Other Expense",
        "OtherMiscellaneousExpense",
        Some("400"),
        &[],
    ),
    account(
        30,
        "Computers & Equipment",
        "Fixed Asset",
        "MachineryAndEquipment",
        None,
        &["710", "720"],
    ),
];

/// Positions in [`CHART`] the code refers to.
pub const CHECKING: u8 = 0;
pub const CREDIT_CARD: u8 = 2;
pub const ACCOUNTS_PAYABLE: u8 = 3;
pub const SHIPPING: u8 = 19;
pub const SUPPLIES: u8 = 20;
pub const TRAVEL: u8 = 22;
pub const SUNDRY_400: u8 = 28;
pub const COGS: u8 = 26;

/// The account (position in [`CHART`]) a generated line booked to Xero code `code` lands on.
/// Every code the generator uses for supplier records is mapped; anything else would be a
/// catalogue change, and lands on Office Expenses rather than failing.
pub fn for_xero_code(code: &str) -> u8 {
    CHART
        .iter()
        .position(|a| a.xero_codes.contains(&code))
        .unwrap_or(15) as u8
}

/// A non-inventory item bought for resale; its purchase lines are item-based.
#[derive(Debug)]
pub struct Item {
    pub id: u32,
    pub name: &'static str,
    /// Position in [`CHART`] of its `ExpenseAccountRef`.
    pub expense_account: u8,
}

/// What the wholesale supplier sells. A line whose description is one of these names and that
/// has a quantity becomes an `ItemBasedExpenseLineDetail` line.
pub static ITEMS: &[Item] = &[
    Item {
        id: 1,
        name: "Rain shells",
        expense_account: COGS,
    },
    Item {
        id: 2,
        name: "Fleece jackets",
        expense_account: COGS,
    },
    Item {
        id: 3,
        name: "Hiking boots",
        expense_account: COGS,
    },
    Item {
        id: 4,
        name: "Daypacks",
        expense_account: COGS,
    },
    Item {
        id: 5,
        name: "Tents",
        expense_account: COGS,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Currency {
    Usd,
    Cad,
    Eur,
    Gbp,
}

/// How a record's tax was entered (`GlobalTaxCalculation`), with the rate in hundredths of a
/// percent where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxCalc {
    NotApplicable,
    Excluded(i64),
    Inclusive(i64),
}

impl TaxCalc {
    pub fn name(self) -> &'static str {
        match self {
            TaxCalc::NotApplicable => "NotApplicable",
            TaxCalc::Excluded(_) => "TaxExcluded",
            TaxCalc::Inclusive(_) => "TaxInclusive",
        }
    }
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Cad => "CAD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
        }
    }

    /// As Intuit names them in `CurrencyRef.name`.
    pub fn name(self) -> &'static str {
        match self {
            Currency::Usd => "United States Dollar",
            Currency::Cad => "Canadian Dollar",
            Currency::Eur => "Euro",
            Currency::Gbp => "British Pound Sterling",
        }
    }

    /// US dollars per unit, in ten-thousandths, on day `day` (from 2023-01-01): a base rate
    /// that wanders within about ±1% from day to day.
    pub fn rate_e4(self, day: u16) -> i64 {
        let base = match self {
            Currency::Usd => return 10_000,
            Currency::Cad => 7_400,
            Currency::Eur => 10_850,
            Currency::Gbp => 12_700,
        };
        let wobble = (i64::from(day) * 7_919).rem_euclid(201) - 100;
        base + base * wobble / 10_000
    }

    /// Foreign suppliers' invoices carry their own tax: Canadian GST added on top, VAT
    /// included in European prices. US purchases carry none (`NotApplicable`).
    pub fn tax(self) -> TaxCalc {
        match self {
            Currency::Usd => TaxCalc::NotApplicable,
            Currency::Cad => TaxCalc::Excluded(500),
            Currency::Eur | Currency::Gbp => TaxCalc::Inclusive(2_000),
        }
    }
}

/// Suppliers the company pays in their own currency; everyone else is paid in US dollars.
pub static FOREIGN_VENDORS: &[(&str, Currency)] = &[
    ("Cascade Apparel Wholesale", Currency::Cad),
    ("Shopify", Currency::Cad),
    ("Adobe", Currency::Eur),
    ("Sunset Creative Studio", Currency::Gbp),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::catalog::{Channel, US_PARTIES};

    #[test]
    fn every_supplier_account_maps_and_ids_are_unique_small_integers() {
        for party in US_PARTIES
            .iter()
            .filter(|p| matches!(p.channel, Channel::Spend | Channel::Bill))
        {
            for code in std::iter::once(party.account)
                .chain(party.lines.iter().map(|l| l.account))
                .filter(|c| !c.is_empty())
            {
                assert!(
                    CHART.iter().any(|a| a.xero_codes.contains(&code)),
                    "{} books to {code}, which no QuickBooks account takes",
                    party.name
                );
            }
        }
        for (i, a) in CHART.iter().enumerate() {
            assert_eq!(a.id as usize, i + 1, "{}", a.name);
        }
        let named = |pos: u8| CHART[pos as usize].name;
        assert_eq!(named(CHECKING), "Checking");
        assert_eq!(named(CREDIT_CARD), "Business Credit Card");
        assert_eq!(named(ACCOUNTS_PAYABLE), "Accounts Payable (A/P)");
        assert_eq!(named(SHIPPING), "Shipping & Delivery");
        assert_eq!(named(SUPPLIES), "Supplies & Materials");
        assert_eq!(named(TRAVEL), "Travel");
        assert_eq!(named(SUNDRY_400), "Sundry 400");
        assert_eq!(named(COGS), "Cost of Goods Sold");
        assert_eq!(CHART[for_xero_code("494") as usize].sub_type, "Travel");
        assert_eq!(
            CHART[SUNDRY_400 as usize].classification(),
            "Expense",
            "Other Expense is an expense"
        );
    }

    #[test]
    fn rates_stay_near_their_base() {
        for day in 0..731 {
            let cad = Currency::Cad.rate_e4(day);
            assert!((7_326..=7_474).contains(&cad), "{cad}");
        }
        assert_eq!(Currency::Usd.rate_e4(5), 10_000);
    }
}
