//! QuickBooks records with fixed ids and amounts, present whatever the seed or size, so tests
//! can assert hand-computed results: a card purchase on travel, a bill in euros, a vendor
//! credit, a purchase booked to an account numbered like Xero's Advertising code but with
//! another subtype, and a card refund.

use super::chart::{Currency, SHIPPING, SUNDRY_400, SUPPLIES, TRAVEL};
use super::{Entity, PaymentType};

pub struct FixtureLine {
    /// Position in the chart.
    pub account: u8,
    pub desc: &'static str,
    pub cents: i32,
}

pub struct Fixture {
    pub id: u32,
    pub entity: Entity,
    pub date: (i32, u32, u32),
    pub vendor: &'static str,
    /// US dollars per unit of the vendor's currency, in ten-thousandths.
    pub rate_e4: i64,
    /// Purchases only.
    pub payment: PaymentType,
    /// A card refund (`Credit: true`).
    pub refund: bool,
    /// Bills: the supplier's number; checks: the check number; vendor credits: the credit's.
    pub doc_number: &'static str,
    pub note: &'static str,
    pub lines: &'static [FixtureLine],
}

/// Vendors only fixtures use (the generated ones come from the catalogue).
pub static FIXTURE_VENDORS: &[(&str, Currency)] = &[
    ("Van der Berg Logistics B.V.", Currency::Eur),
    ("Union Street Merchants Association", Currency::Usd),
];

/// Ids below those of generated records (which start at 10001), in Id order.
pub static FIXTURES: &[Fixture] = &[
    Fixture {
        id: 9001,
        entity: Entity::Purchase,
        date: (2024, 3, 12),
        vendor: "United Airlines",
        rate_e4: 10_000,
        payment: PaymentType::CreditCard,
        refund: false,
        doc_number: "",
        note: "Trade show flights",
        lines: &[FixtureLine {
            account: TRAVEL,
            desc: "Flights SFO–ORD for the outdoor retailer show",
            cents: 125_000,
        }],
    },
    Fixture {
        id: 9002,
        entity: Entity::Bill,
        date: (2024, 5, 20),
        vendor: "Van der Berg Logistics B.V.",
        rate_e4: 10_850,
        payment: PaymentType::Cash,
        refund: false,
        doc_number: "VDB-24-0520",
        note: "",
        lines: &[
            FixtureLine {
                account: SHIPPING,
                desc: "Sea freight Rotterdam–Oakland",
                cents: 80_000,
            },
            FixtureLine {
                account: SUPPLIES,
                desc: "Pallets and packing materials",
                cents: 19_999,
            },
        ],
    },
    Fixture {
        id: 9003,
        entity: Entity::VendorCredit,
        date: (2024, 5, 28),
        vendor: "Staples",
        rate_e4: 10_000,
        payment: PaymentType::Cash,
        refund: false,
        doc_number: "STP-CR-0528",
        note: "",
        lines: &[FixtureLine {
            account: SHIPPING,
            desc: "Delivery charge refunded (late delivery)",
            cents: 15_000,
        }],
    },
    Fixture {
        id: 9004,
        entity: Entity::Purchase,
        date: (2024, 2, 8),
        vendor: "Union Street Merchants Association",
        rate_e4: 10_000,
        payment: PaymentType::Check,
        refund: false,
        doc_number: "1042",
        note: "Sundry",
        lines: &[FixtureLine {
            account: SUNDRY_400,
            desc: "Booth fee, Union Street spring fair",
            cents: 30_000,
        }],
    },
    Fixture {
        id: 9005,
        entity: Entity::Purchase,
        date: (2024, 3, 20),
        vendor: "United Airlines",
        rate_e4: 10_000,
        payment: PaymentType::CreditCard,
        refund: true,
        doc_number: "",
        note: "Card refund",
        lines: &[FixtureLine {
            account: TRAVEL,
            desc: "Refund: seat upgrade not provided",
            cents: 7_500,
        }],
    },
];
