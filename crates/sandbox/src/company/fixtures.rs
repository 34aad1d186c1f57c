//! Hand-written records with known ids and values, present whatever the seed or size, so tests
//! across the workspace can assert exact amounts (a flight, a courier bill, a transfer that
//! must not count as spend, a tax payment that must not either, a supplier credit note, a
//! refund paid into the bank, a prepayment and an overpayment).

use super::record::{Kind, LineAmounts, Status, TaxCode};
use super::Country;

pub struct FixtureLine {
    pub account: &'static str,
    pub desc: &'static str,
    pub cents: i32,
    pub tax: TaxCode,
}

pub struct Fixture {
    pub id: &'static str,
    pub country: Country,
    pub kind: Kind,
    pub date: (i32, u32, u32),
    pub contact: &'static str,
    pub reference: &'static str,
    /// Bills: the supplier's invoice number. Credit notes: the credit note number.
    pub invoice_number: &'static str,
    pub amounts: LineAmounts,
    pub status: Status,
    pub lines: &'static [FixtureLine],
}

impl Fixture {
    pub fn is_invoice(&self) -> bool {
        matches!(self.kind, Kind::AccPay | Kind::AccRec)
    }

    pub fn is_credit_note(&self) -> bool {
        matches!(self.kind, Kind::AccPayCredit | Kind::AccRecCredit)
    }
}

/// The fixtures from this index on were added after the generated data was first published.
/// Each takes over the sequence number of one of the last generated records of its stream
/// (one that stands alone, not half of a transfer) instead of being sorted in, so the stream
/// keeps its size and every other record keeps its sequence number, hence its id and
/// `UpdatedDateUTC`. Credit notes live in a stream of their own and are sorted in as usual.
pub const APPENDED_FROM: usize = 7;

/// A fixture credit note or prepayment applied to a fixture bill, for its whole total.
pub struct FixtureAllocation {
    /// The credit note or prepayment.
    pub from: &'static str,
    /// The bill it pays off.
    pub invoice: &'static str,
    pub date: (i32, u32, u32),
}

pub static FIXTURE_ALLOCATIONS: &[FixtureAllocation] = &[
    FixtureAllocation {
        from: "f1a00000-0000-4000-8000-000000000008",
        invoice: "f1a00000-0000-4000-8000-000000000002",
        date: (2023, 11, 20),
    },
    // Paid before the bill existed; allocated when the bill arrived.
    FixtureAllocation {
        from: "f1a00000-0000-4000-8000-000000000010",
        invoice: "f1a00000-0000-4000-8000-000000000007",
        date: (2024, 5, 10),
    },
];

/// Bank transactions come out of the main account; bills are due a month after their date.
pub const FIXTURE_BANK_ACCOUNT: &str = "090";
pub const FIXTURE_TERMS_DAYS: u8 = 30;

pub static FIXTURES: &[Fixture] = &[
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000001",
        country: Country::Uk,
        kind: Kind::Spend,
        date: (2024, 3, 14),
        contact: "British Airways",
        reference: "LHR-JFK team offsite",
        invoice_number: "",
        amounts: LineAmounts::Inclusive,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "494",
            desc: "Flights London–New York",
            cents: 123_456,
            tax: TaxCode::ZeroRatedInput,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000002",
        country: Country::Uk,
        kind: Kind::AccPay,
        date: (2023, 11, 2),
        contact: "DHL Express (UK)",
        reference: "",
        invoice_number: "DHLUK-884213",
        amounts: LineAmounts::Exclusive,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "425",
            desc: "Courier to Rotterdam",
            cents: 50_000,
            tax: TaxCode::Input2,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000003",
        country: Country::Uk,
        kind: Kind::SpendTransfer,
        date: (2024, 1, 5),
        contact: "Harbour & Pine Ltd",
        reference: "Transfer to savings",
        invoice_number: "",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "091",
            desc: "Transfer to Business Savings Account",
            cents: 1_000_000,
            tax: TaxCode::None,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000004",
        country: Country::Uk,
        kind: Kind::Spend,
        date: (2024, 2, 20),
        contact: "HM Revenue & Customs",
        reference: "VAT Q4 2023",
        invoice_number: "",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "820",
            desc: "VAT return Q4 2023",
            cents: 432_100,
            tax: TaxCode::None,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000005",
        country: Country::Us,
        kind: Kind::Spend,
        date: (2023, 6, 15),
        contact: "Delta Air Lines",
        reference: "Card payment",
        invoice_number: "",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "494",
            desc: "Flight SFO–JFK",
            cents: 84_230,
            tax: TaxCode::None,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000006",
        country: Country::Us,
        kind: Kind::AccPay,
        date: (2024, 9, 30),
        contact: "Pacific Gas & Electric",
        reference: "",
        invoice_number: "PGE-2024-09",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "445",
            desc: "Electricity September",
            cents: 120_000,
            tax: TaxCode::None,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000007",
        country: Country::Us,
        kind: Kind::AccPay,
        date: (2024, 5, 10),
        contact: "Slack Technologies",
        reference: "",
        invoice_number: "SLK-2024-0510",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[
            FixtureLine {
                account: "485",
                desc: "Slack Business+ annual",
                cents: 30_000,
                tax: TaxCode::None,
            },
            FixtureLine {
                account: "485",
                desc: "Slack Huddles add-on",
                cents: 15_000,
                tax: TaxCode::None,
            },
        ],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000008",
        country: Country::Uk,
        kind: Kind::AccPayCredit,
        date: (2023, 11, 20),
        contact: "DHL Express (UK)",
        reference: "Refund on DHLUK-884213",
        invoice_number: "DHLUK-CN-1102",
        amounts: LineAmounts::Exclusive,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "425",
            desc: "Refund: damaged parcel",
            cents: 10_000,
            tax: TaxCode::Input2,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000009",
        country: Country::Uk,
        kind: Kind::Receive,
        date: (2024, 4, 2),
        contact: "British Airways",
        reference: "Refund cancelled flight",
        invoice_number: "",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "494",
            desc: "Refund: cancelled flight",
            cents: 20_000,
            tax: TaxCode::ZeroRatedInput,
        }],
    },
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000010",
        country: Country::Us,
        kind: Kind::SpendPrepayment,
        date: (2024, 5, 1),
        contact: "Slack Technologies",
        reference: "",
        invoice_number: "",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "485",
            desc: "Prepayment: Slack annual plan",
            cents: 45_000,
            tax: TaxCode::None,
        }],
    },
    // Xero books an overpayment's line to accounts payable.
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000011",
        country: Country::Us,
        kind: Kind::SpendOverpayment,
        date: (2023, 6, 20),
        contact: "Delta Air Lines",
        reference: "",
        invoice_number: "",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "800",
            desc: "Overpayment",
            cents: 7_500,
            tax: TaxCode::None,
        }],
    },
    // A cloud bill whose emissions the provider reports itself: excluded as covered while an
    // AWS connection reports June 2024, counted spend-based otherwise.
    Fixture {
        id: "f1a00000-0000-4000-8000-000000000012",
        country: Country::Us,
        kind: Kind::AccPay,
        date: (2024, 6, 14),
        contact: "Amazon Web Services",
        reference: "",
        invoice_number: "AWS-INV-2024-06",
        amounts: LineAmounts::NoTax,
        status: Status::Authorised,
        lines: &[FixtureLine {
            account: "485",
            desc: "AWS usage June 2024",
            cents: 184_250,
            tax: TaxCode::None,
        }],
    },
];
