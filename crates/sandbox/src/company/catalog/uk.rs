//! Harbour & Pine Ltd: a Bristol furniture maker with a workshop, a small office, a van and
//! customers across the UK and Europe.

use super::Channel::{Bill, Receive, Sale};
use super::Season::Heating;
use super::Vat::{Exempt, Outside, Standard, Zero};
use super::{line, line_on, monthly, weight, Party, Rhythm, PARTY};

const FLIGHT_ROUTES: &[&str] = &[
    "London–New York",
    "London–Milan",
    "London–Copenhagen",
    "London–Stockholm",
    "London–Frankfurt",
    "Bristol–Amsterdam",
    "Bristol–Lisbon",
];

pub static UK_PARTIES: &[Party] = &[
    // ── Paid from the bank on a schedule ──────────────────────────────────────────────
    Party {
        name: "Albion Property Management",
        account: "469",
        rhythm: monthly(&[1]),
        lines: &[line("Workshop and office rent {month}", 3250.0, 3250.0)],
        reference: "Standing order",
        growth_2024: 1.046,
        step_cents: 5000,
        ..PARTY
    },
    Party {
        name: "Harbour & Pine Payroll",
        account: "477",
        rhythm: monthly(&[28]),
        vat: Outside,
        lines: &[line("Net wages {month}", 17800.0, 19600.0)],
        reference: "Payroll {month}",
        ..PARTY
    },
    Party {
        name: "HM Revenue & Customs",
        account: "825",
        rhythm: monthly(&[22]),
        vat: Outside,
        lines: &[line("PAYE and NIC {month}", 5400.0, 6900.0)],
        reference: "PAYE {month}",
        ..PARTY
    },
    Party {
        name: "HM Revenue & Customs",
        account: "820",
        // VAT for a quarter is due a month and seven days after it ends.
        rhythm: Rhythm::Periodic {
            every: 3,
            phase: 1,
            days: &[7],
            jitter: 0,
        },
        vat: Outside,
        lines: &[line("VAT return {quarter}", 2400.0, 8800.0)],
        reference: "VAT {quarter}",
        ..PARTY
    },
    Party {
        name: "NEST Pensions",
        account: "478",
        rhythm: monthly(&[15]),
        vat: Outside,
        lines: &[line("Pension contributions {month}", 880.0, 1020.0)],
        reference: "NEST {month}",
        ..PARTY
    },
    Party {
        name: "Barclays",
        account: "404",
        rhythm: monthly(&[28]),
        vat: Outside,
        lines: &[line("Business account charges {month}", 8.5, 42.0)],
        reference: "Charges",
        ..PARTY
    },
    Party {
        name: "Hiscox",
        account: "433",
        rhythm: monthly(&[5]),
        vat: Zero,
        lines: &[line("Business insurance {month}", 142.5, 142.5)],
        reference: "Policy HX-{n}",
        growth_2024: 1.08,
        ..PARTY
    },
    Party {
        name: "BT Business",
        account: "489",
        rhythm: monthly(&[18]),
        lines: &[line("Broadband and phone {month}", 78.0, 92.0)],
        reference: "Direct debit",
        ..PARTY
    },
    Party {
        name: "Vodafone UK",
        account: "489",
        rhythm: monthly(&[12]),
        lines: &[line("Mobile plan {month}", 124.0, 168.0)],
        reference: "Direct debit",
        ..PARTY
    },
    Party {
        name: "Microsoft",
        account: "485",
        rhythm: monthly(&[3]),
        lines: &[line("Microsoft 365 Business Standard", 58.8, 58.8)],
        reference: "MSFT E0{n}",
        growth_2024: 1.1,
        ..PARTY
    },
    Party {
        name: "Adobe Systems Software Ireland",
        account: "485",
        rhythm: monthly(&[9]),
        lines: &[line("Adobe Creative Cloud", 65.99, 65.99)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Xero UK",
        account: "485",
        rhythm: monthly(&[6]),
        lines: &[line("Xero subscription {month}", 47.0, 47.0)],
        reference: "Card payment",
        growth_2024: 1.1,
        ..PARTY
    },
    Party {
        name: "Google Cloud EMEA",
        account: "485",
        rhythm: monthly(&[2]),
        lines: &[line("Google Workspace Business Standard", 82.8, 82.8)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Autodesk",
        account: "485",
        rhythm: monthly(&[24]),
        lines: &[line("Fusion 360 licence", 62.0, 62.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Dropbox International",
        account: "485",
        rhythm: monthly(&[14]),
        lines: &[line("Dropbox Business", 19.99, 19.99)],
        reference: "Card payment",
        ..PARTY
    },
    // ── Paid from the bank now and then ───────────────────────────────────────────────
    Party {
        name: "British Airways",
        account: "494",
        rhythm: weight(30),
        vat: Zero,
        lines: &[line("Flight {pick}", 140.0, 1650.0)],
        picks: FLIGHT_ROUTES,
        reference: "BA{n}",
        ..PARTY
    },
    Party {
        name: "easyJet",
        account: "494",
        rhythm: weight(25),
        vat: Zero,
        lines: &[line("Flight {pick}", 45.0, 320.0)],
        picks: &[
            "Bristol–Amsterdam",
            "Bristol–Milan",
            "Bristol–Copenhagen",
            "Bristol–Lisbon",
        ],
        reference: "EZY{n}",
        ..PARTY
    },
    Party {
        name: "Eurostar",
        account: "494",
        rhythm: weight(15),
        vat: Zero,
        lines: &[line("Rail {pick}", 78.0, 420.0)],
        picks: &["London–Paris", "London–Brussels", "London–Amsterdam"],
        reference: "Booking {n}",
        ..PARTY
    },
    Party {
        name: "Booking.com",
        account: "494",
        rhythm: weight(15),
        vat: Zero,
        lines: &[line("Hotel {pick}", 110.0, 980.0)],
        picks: &[
            "Amsterdam, 2 nights",
            "Milan, 3 nights",
            "Copenhagen, 2 nights",
            "New York, 4 nights",
            "Paris, 1 night",
        ],
        reference: "Booking {n}",
        ..PARTY
    },
    Party {
        name: "Trainline",
        account: "493",
        rhythm: weight(60),
        vat: Zero,
        lines: &[line("Rail {pick}", 18.0, 240.0)],
        picks: &[
            "Bristol–London Paddington",
            "Bristol–Birmingham",
            "Bristol–Manchester",
            "Bristol–Cardiff",
            "London–Edinburgh",
        ],
        reference: "TL{n}",
        ..PARTY
    },
    Party {
        name: "Premier Inn",
        account: "493",
        rhythm: weight(25),
        lines: &[line("Hotel {pick}", 62.0, 240.0)],
        picks: &[
            "London, 1 night",
            "Manchester, 2 nights",
            "Birmingham, 1 night",
            "Edinburgh, 2 nights",
        ],
        reference: "PI{n}",
        ..PARTY
    },
    Party {
        name: "Uber",
        account: "493",
        rhythm: weight(35),
        lines: &[line("Taxi {pick}", 9.0, 68.0)],
        picks: &["to client site", "from Temple Meads", "airport transfer"],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Shell",
        account: "449",
        rhythm: weight(45),
        lines: &[line("Diesel for van", 38.0, 105.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "BP",
        account: "449",
        rhythm: weight(35),
        lines: &[line("Diesel for van", 35.0, 98.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Esso",
        account: "449",
        rhythm: weight(15),
        lines: &[line("Unleaded fuel", 30.0, 80.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "NCP Car Parks",
        account: "449",
        rhythm: weight(15),
        lines: &[line("Parking", 4.5, 32.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Pret A Manger",
        account: "420",
        rhythm: weight(70),
        lines: &[line("{pick}", 6.5, 48.0)],
        picks: &["Team lunch", "Client coffee meeting", "Working lunch"],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Wagamama",
        account: "420",
        rhythm: weight(25),
        lines: &[line("Team dinner", 28.0, 180.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Dishoom",
        account: "420",
        rhythm: weight(10),
        lines: &[line("Client dinner", 60.0, 320.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Amazon Business UK",
        account: "453",
        rhythm: weight(45),
        lines: &[line("{pick}", 6.0, 180.0)],
        picks: &[
            "Printer paper",
            "Desk lamp",
            "Cable organisers",
            "Whiteboard markers",
            "Coffee for the office",
            "Label printer tape",
        ],
        reference: "Order {n}",
        ..PARTY
    },
    Party {
        name: "Viking Direct",
        account: "453",
        rhythm: weight(15),
        lines: &[line("Office supplies", 14.0, 260.0)],
        reference: "Order {n}",
        ..PARTY
    },
    Party {
        name: "Ryman",
        account: "461",
        rhythm: weight(15),
        lines: &[line("Stationery", 5.0, 90.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Google Ireland",
        account: "400",
        rhythm: weight(20),
        lines: &[line("Google Ads {month}", 120.0, 1250.0)],
        reference: "Ads {n}",
        ..PARTY
    },
    Party {
        name: "Meta Platforms Ireland",
        account: "400",
        rhythm: weight(12),
        lines: &[line("Facebook and Instagram ads", 50.0, 600.0)],
        reference: "FB-{n}",
        ..PARTY
    },
    Party {
        name: "LinkedIn Ireland",
        account: "400",
        rhythm: weight(6),
        lines: &[line("Sponsored content", 80.0, 450.0)],
        reference: "LI-{n}",
        ..PARTY
    },
    Party {
        name: "Amazon UK",
        account: "429",
        rhythm: weight(25),
        lines: &[line("{pick}", 5.0, 120.0)],
        picks: &[
            "Workshop consumables",
            "Kitchen supplies",
            "First aid kit",
            "Batteries",
        ],
        reference: "Order {n}",
        ..PARTY
    },
    Party {
        name: "Post Office",
        account: "425",
        rhythm: weight(15),
        vat: Exempt,
        lines: &[line("Postage", 3.2, 48.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Screwfix",
        account: "473",
        rhythm: weight(25),
        lines: &[line("{pick}", 8.0, 260.0)],
        picks: &[
            "Workshop repair parts",
            "Door hinge replacement",
            "Extractor filter",
            "Plumbing fittings",
        ],
        reference: "Order {n}",
        ..PARTY
    },
    Party {
        name: "Apple Store",
        account: "720",
        rhythm: weight(2),
        lines: &[line("{pick}", 349.0, 2699.0)],
        picks: &["MacBook Pro", "iPad", "Studio Display"],
        reference: "Order W{n}",
        ..PARTY
    },
    // ── Bills on a schedule ───────────────────────────────────────────────────────────
    Party {
        name: "Octopus Energy",
        account: "445",
        channel: Bill,
        rhythm: Rhythm::Periodic {
            every: 1,
            phase: 0,
            days: &[10],
            jitter: 2,
        },
        lines: &[line("Electricity {month}", 260.0, 520.0)],
        invoice_number: "OE-{n}",
        season: Heating,
        terms_days: 14,
        ..PARTY
    },
    Party {
        name: "British Gas Business",
        account: "445",
        channel: Bill,
        rhythm: Rhythm::Periodic {
            every: 1,
            phase: 0,
            days: &[16],
            jitter: 2,
        },
        lines: &[
            line("Gas {month}", 90.0, 380.0),
            line("Gas standing charge {month}", 18.0, 22.0),
        ],
        invoice_number: "BGB{n}",
        season: Heating,
        terms_days: 14,
        ..PARTY
    },
    Party {
        name: "Whitfield & Co Accountants",
        account: "412",
        channel: Bill,
        rhythm: monthly(&[28]),
        lines: &[
            line("Monthly bookkeeping {month}", 450.0, 450.0),
            line("Payroll bureau {month}", 95.0, 95.0),
        ],
        invoice_number: "WC-{n}",
        growth_2024: 1.05,
        ..PARTY
    },
    Party {
        name: "Sparkle Office Cleaning Ltd",
        account: "408",
        channel: Bill,
        rhythm: Rhythm::Periodic {
            every: 1,
            phase: 0,
            days: &[1],
            jitter: 1,
        },
        lines: &[
            line("Office cleaning {month}", 320.0, 360.0),
            line("Washroom supplies", 24.0, 48.0),
        ],
        invoice_number: "SPK{n}",
        terms_days: 14,
        ..PARTY
    },
    // ── Bills now and then ────────────────────────────────────────────────────────────
    Party {
        name: "DHL Express (UK)",
        account: "425",
        channel: Bill,
        rhythm: weight(40),
        lines: &[
            line("Courier to {pick}", 35.0, 620.0),
            line("Fuel surcharge", 4.0, 60.0),
            line("Duties and taxes", 10.0, 140.0),
        ],
        picks: &[
            "Rotterdam",
            "Dublin",
            "Hamburg",
            "Paris",
            "New York",
            "Oslo",
        ],
        invoice_number: "DHLUK-{n}",
        ..PARTY
    },
    Party {
        name: "DPD UK",
        account: "425",
        channel: Bill,
        rhythm: weight(45),
        lines: &[
            line("Next-day delivery to {pick}", 9.0, 85.0),
            line("Two-person delivery", 45.0, 120.0),
        ],
        picks: &["Manchester", "Leeds", "Glasgow", "London", "Cardiff"],
        invoice_number: "DPD{n}",
        ..PARTY
    },
    Party {
        name: "Palletways",
        account: "425",
        channel: Bill,
        rhythm: weight(20),
        lines: &[line("Pallet to {pick}", 65.0, 280.0)],
        picks: &["Leeds", "Edinburgh", "Norwich", "Exeter"],
        invoice_number: "PW{n}",
        ..PARTY
    },
    Party {
        name: "Arnold Laver Timber",
        account: "310",
        channel: Bill,
        rhythm: weight(60),
        lines: &[
            line("{pick}", 280.0, 5200.0),
            line("Birch plywood sheets", 120.0, 900.0),
            line("Delivery", 45.0, 95.0),
        ],
        picks: &[
            "European oak boards",
            "Walnut boards",
            "Ash boards",
            "Oak veneer",
        ],
        invoice_number: "ALT{n}",
        max_qty: 12,
        ..PARTY
    },
    Party {
        name: "Brightline Consulting",
        account: "412",
        channel: Bill,
        rhythm: weight(15),
        lines: &[line("Operations consulting", 800.0, 4200.0)],
        invoice_number: "BLC-{n}",
        step_cents: 5000,
        ..PARTY
    },
    Party {
        name: "Carter Lemon Solicitors",
        account: "441",
        channel: Bill,
        rhythm: weight(10),
        lines: &[
            line("{pick}", 250.0, 3600.0),
            line("Disbursements", 12.0, 180.0),
        ],
        picks: &[
            "Lease review",
            "Employment contract advice",
            "Terms of trade update",
            "Trademark filing",
        ],
        invoice_number: "CL{n}",
        step_cents: 1000,
        ..PARTY
    },
    Party {
        name: "Solopress",
        account: "461",
        channel: Bill,
        rhythm: weight(15),
        lines: &[line("{pick}", 38.0, 460.0)],
        picks: &[
            "Business cards",
            "Product brochures",
            "Flyers",
            "Price lists",
        ],
        invoice_number: "SP{n}",
        ..PARTY
    },
    Party {
        name: "City Facilities Maintenance",
        account: "473",
        channel: Bill,
        rhythm: weight(15),
        lines: &[line("{pick}", 90.0, 1250.0)],
        picks: &[
            "Boiler service",
            "Roller door repair",
            "Electrical safety test",
            "Dust extraction service",
        ],
        invoice_number: "CFM-{n}",
        ..PARTY
    },
    Party {
        name: "Clarity Business Travel",
        account: "494",
        channel: Bill,
        rhythm: weight(15),
        vat: Zero,
        lines: &[
            line("Flights {pick}", 180.0, 1900.0),
            line_on("493", Standard, "Hotel accommodation", 120.0, 860.0),
        ],
        picks: FLIGHT_ROUTES,
        invoice_number: "CBT{n}",
        ..PARTY
    },
    Party {
        name: "Herman Miller",
        account: "710",
        channel: Bill,
        rhythm: weight(3),
        lines: &[line("{pick}", 420.0, 1650.0)],
        picks: &["Aeron office chair", "Sit-stand desk", "Storage cabinet"],
        invoice_number: "HM{n}",
        ..PARTY
    },
    Party {
        name: "Bristol Creative Agency",
        account: "400",
        channel: Bill,
        rhythm: weight(8),
        lines: &[line("{pick}", 400.0, 3200.0)],
        picks: &["Product photography", "Website updates", "Brand refresh"],
        invoice_number: "BCA-{n}",
        step_cents: 1000,
        ..PARTY
    },
    // ── Money in ──────────────────────────────────────────────────────────────────────
    Party {
        name: "Stripe Payments UK",
        account: "200",
        channel: Receive,
        rhythm: weight(80),
        lines: &[line("Online shop payout", 140.0, 2800.0)],
        reference: "Payout po_{n}",
        ..PARTY
    },
    Party {
        name: "Oakridge Interiors",
        account: "200",
        channel: Receive,
        rhythm: weight(40),
        lines: &[line("Customer payment", 380.0, 12500.0)],
        reference: "INV-{n}",
        ..PARTY
    },
    Party {
        name: "Thames Valley Builders Ltd",
        account: "200",
        channel: Receive,
        rhythm: weight(30),
        lines: &[line("Customer payment", 900.0, 14800.0)],
        reference: "INV-{n}",
        ..PARTY
    },
    Party {
        name: "Marlow Kitchen Studio",
        account: "200",
        channel: Receive,
        rhythm: weight(30),
        lines: &[line("Customer payment", 650.0, 9800.0)],
        reference: "INV-{n}",
        ..PARTY
    },
    Party {
        name: "The Hayloft Hotel",
        account: "200",
        channel: Receive,
        rhythm: weight(15),
        lines: &[line("Customer payment", 1200.0, 16500.0)],
        reference: "INV-{n}",
        ..PARTY
    },
    Party {
        name: "Oakridge Interiors",
        account: "200",
        channel: Sale,
        rhythm: weight(40),
        lines: &[
            line("{pick}", 650.0, 14800.0),
            line("Delivery and installation", 90.0, 650.0),
        ],
        picks: &[
            "Bespoke oak dining table",
            "Walnut sideboard",
            "Fitted shelving",
            "Kitchen island",
        ],
        reference: "PO {n}",
        ..PARTY
    },
    Party {
        name: "Thames Valley Builders Ltd",
        account: "200",
        channel: Sale,
        rhythm: weight(30),
        lines: &[
            line("{pick}", 900.0, 14800.0),
            line("Delivery and installation", 90.0, 650.0),
        ],
        picks: &["Fitted wardrobes", "Oak staircase", "Fitted shelving"],
        reference: "PO {n}",
        ..PARTY
    },
    Party {
        name: "Marlow Kitchen Studio",
        account: "200",
        channel: Sale,
        rhythm: weight(30),
        lines: &[line("{pick}", 650.0, 9800.0)],
        picks: &["Kitchen island", "Walnut worktops", "Pantry cabinets"],
        reference: "PO {n}",
        ..PARTY
    },
    Party {
        name: "The Hayloft Hotel",
        account: "200",
        channel: Sale,
        rhythm: weight(15),
        lines: &[
            line("{pick}", 1200.0, 16500.0),
            line("Delivery and installation", 150.0, 900.0),
        ],
        picks: &[
            "Reception desk",
            "Bedroom furniture set",
            "Restaurant tables",
        ],
        reference: "PO {n}",
        ..PARTY
    },
];
