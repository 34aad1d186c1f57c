//! Northwind Outfitters Inc.: a San Francisco outdoor-gear retailer with a store, an online
//! shop and wholesale customers.

use super::Channel::{Bill, Receive, Sale};
use super::Season::Cooling;
use super::Vat::Outside;
use super::{line, line_on, monthly, weight, Party, Rhythm, Vat, PARTY};

pub static US_PARTIES: &[Party] = &[
    // ── Paid from the bank on a schedule ──────────────────────────────────────────────
    Party {
        name: "Embarcadero Realty LLC",
        account: "469",
        rhythm: monthly(&[1]),
        lines: &[line("Store and office rent {month}", 8500.0, 8500.0)],
        reference: "ACH rent",
        growth_2024: 1.04,
        step_cents: 5000,
        ..PARTY
    },
    Party {
        name: "Gusto",
        account: "477",
        // Semi-monthly payroll, as most US employers run it.
        rhythm: monthly(&[15, 28]),
        vat: Outside,
        lines: &[line("Net payroll", 11800.0, 13400.0)],
        reference: "Payroll {month}",
        ..PARTY
    },
    Party {
        name: "IRS (EFTPS)",
        account: "825",
        rhythm: monthly(&[16, 27]),
        vat: Outside,
        lines: &[line("Federal payroll taxes", 4100.0, 4900.0)],
        reference: "EFTPS {n}",
        ..PARTY
    },
    Party {
        name: "California CDTFA",
        account: "820",
        rhythm: Rhythm::Periodic {
            every: 3,
            phase: 0,
            days: &[28],
            jitter: 0,
        },
        vat: Outside,
        lines: &[line("Sales tax return {quarter}", 6200.0, 14800.0)],
        reference: "CDTFA {quarter}",
        ..PARTY
    },
    Party {
        name: "Guideline",
        account: "478",
        rhythm: monthly(&[15]),
        vat: Outside,
        lines: &[line("401(k) contributions {month}", 1150.0, 1400.0)],
        reference: "ACH {n}",
        ..PARTY
    },
    Party {
        name: "Chase",
        account: "404",
        rhythm: monthly(&[28]),
        vat: Outside,
        lines: &[line("Monthly service fee", 15.0, 45.0)],
        reference: "Service fee",
        ..PARTY
    },
    Party {
        name: "The Hartford",
        account: "433",
        rhythm: monthly(&[5]),
        lines: &[line("Business insurance {month}", 389.0, 389.0)],
        reference: "Policy {n}",
        growth_2024: 1.07,
        ..PARTY
    },
    Party {
        name: "Comcast Business",
        account: "489",
        rhythm: monthly(&[19]),
        lines: &[line("Business internet {month}", 189.9, 214.9)],
        reference: "Autopay",
        ..PARTY
    },
    Party {
        name: "Verizon Wireless",
        account: "489",
        rhythm: monthly(&[23]),
        lines: &[line("Wireless service {month}", 310.0, 380.0)],
        reference: "Autopay",
        ..PARTY
    },
    Party {
        name: "Slack Technologies",
        account: "485",
        rhythm: monthly(&[10]),
        lines: &[line("Slack Pro {month}", 87.5, 87.5)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Shopify",
        account: "485",
        rhythm: monthly(&[4]),
        lines: &[line("Shopify Advanced plan", 399.0, 399.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Google",
        account: "485",
        rhythm: monthly(&[1]),
        lines: &[line("Google Workspace Business Standard", 144.0, 144.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Zoom Video Communications",
        account: "485",
        rhythm: monthly(&[12]),
        lines: &[line("Zoom Business", 64.95, 64.95)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Atlassian",
        account: "485",
        rhythm: monthly(&[8]),
        lines: &[line("Jira and Confluence", 87.5, 87.5)],
        reference: "Card payment",
        growth_2024: 1.1,
        ..PARTY
    },
    Party {
        name: "Adobe",
        account: "485",
        rhythm: monthly(&[17]),
        lines: &[line("Creative Cloud for teams", 89.99, 89.99)],
        reference: "Card payment",
        ..PARTY
    },
    // ── Paid from the bank now and then ───────────────────────────────────────────────
    Party {
        name: "Delta Air Lines",
        account: "494",
        rhythm: weight(35),
        lines: &[line("Flight {pick}", 160.0, 980.0)],
        picks: &["SFO–JFK", "SFO–SEA", "SFO–DEN", "SFO–BOS", "SFO–SLC"],
        reference: "DL{n}",
        ..PARTY
    },
    Party {
        name: "United Airlines",
        account: "494",
        rhythm: weight(30),
        lines: &[line("Flight {pick}", 180.0, 1850.0)],
        picks: &["SFO–ORD", "SFO–YVR", "SFO–LHR", "SFO–NRT", "SFO–DEN"],
        reference: "UA{n}",
        ..PARTY
    },
    Party {
        name: "Alaska Airlines",
        account: "494",
        rhythm: weight(20),
        lines: &[line("Flight {pick}", 120.0, 540.0)],
        picks: &["SFO–PDX", "SFO–SEA", "SFO–ANC"],
        reference: "AS{n}",
        ..PARTY
    },
    Party {
        name: "Amtrak",
        account: "493",
        rhythm: weight(15),
        lines: &[line("Rail {pick}", 35.0, 260.0)],
        picks: &[
            "Emeryville–Sacramento",
            "San Jose–Los Angeles",
            "Emeryville–Portland",
        ],
        reference: "Amtrak {n}",
        ..PARTY
    },
    Party {
        name: "Marriott",
        account: "493",
        rhythm: weight(25),
        lines: &[line("Hotel {pick}", 180.0, 1100.0)],
        picks: &[
            "Denver, 2 nights",
            "Seattle, 1 night",
            "Chicago, 3 nights",
            "Boston, 2 nights",
        ],
        reference: "Folio {n}",
        ..PARTY
    },
    Party {
        name: "Hilton",
        account: "493",
        rhythm: weight(15),
        lines: &[line("Hotel {pick}", 160.0, 900.0)],
        picks: &[
            "Portland, 1 night",
            "Salt Lake City, 2 nights",
            "Los Angeles, 2 nights",
        ],
        reference: "Folio {n}",
        ..PARTY
    },
    Party {
        name: "Lyft",
        account: "493",
        rhythm: weight(35),
        lines: &[line("Ride {pick}", 9.0, 75.0)],
        picks: &["to airport", "to trade show", "client visit"],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Chevron",
        account: "449",
        rhythm: weight(45),
        lines: &[line("Gasoline for delivery van", 38.0, 120.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Shell",
        account: "449",
        rhythm: weight(25),
        lines: &[line("Gasoline for delivery van", 35.0, 110.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "SFMTA Parking",
        account: "449",
        rhythm: weight(15),
        lines: &[line("Parking", 6.0, 42.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Starbucks",
        account: "420",
        rhythm: weight(60),
        lines: &[line("Coffee meeting", 6.0, 38.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Chipotle",
        account: "420",
        rhythm: weight(25),
        lines: &[line("Team lunch", 24.0, 160.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Zuni Café",
        account: "420",
        rhythm: weight(8),
        lines: &[line("Client dinner", 90.0, 480.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Amazon.com",
        account: "453",
        rhythm: weight(45),
        lines: &[line("{pick}", 8.0, 240.0)],
        picks: &[
            "Printer paper",
            "Shelf labels",
            "Packing tape",
            "Monitor stand",
            "Coffee for the office",
        ],
        reference: "Order 112-{n}",
        ..PARTY
    },
    Party {
        name: "Staples",
        account: "453",
        rhythm: weight(20),
        lines: &[line("Office supplies", 12.0, 280.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Office Depot",
        account: "461",
        rhythm: weight(12),
        lines: &[line("Printing and stationery", 9.0, 150.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Google Ads",
        account: "400",
        rhythm: weight(25),
        lines: &[line("Google Ads {month}", 250.0, 2400.0)],
        reference: "Ads {n}",
        ..PARTY
    },
    Party {
        name: "Meta Platforms",
        account: "400",
        rhythm: weight(18),
        lines: &[line("Facebook and Instagram ads", 120.0, 1500.0)],
        reference: "FB-{n}",
        ..PARTY
    },
    Party {
        name: "Pinterest",
        account: "400",
        rhythm: weight(6),
        lines: &[line("Promoted pins", 80.0, 600.0)],
        reference: "PIN-{n}",
        ..PARTY
    },
    Party {
        name: "Costco",
        account: "429",
        rhythm: weight(20),
        lines: &[line("Breakroom supplies", 40.0, 320.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "USPS",
        account: "425",
        rhythm: weight(25),
        lines: &[line("Postage", 4.0, 65.0)],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "The Home Depot",
        account: "473",
        rhythm: weight(25),
        lines: &[line("{pick}", 12.0, 420.0)],
        picks: &[
            "Store fixture repair",
            "Light bulbs",
            "Door hardware",
            "Paint",
        ],
        reference: "Card payment",
        ..PARTY
    },
    Party {
        name: "Apple",
        account: "720",
        rhythm: weight(2),
        lines: &[line("{pick}", 599.0, 2999.0)],
        picks: &["MacBook Air", "iPad for point of sale", "Studio Display"],
        reference: "Order W{n}",
        ..PARTY
    },
    // ── Bills on a schedule ───────────────────────────────────────────────────────────
    Party {
        name: "Pacific Gas & Electric",
        account: "445",
        channel: Bill,
        rhythm: Rhythm::Periodic {
            every: 1,
            phase: 0,
            days: &[12],
            jitter: 2,
        },
        lines: &[
            line("Electricity {month}", 820.0, 1450.0),
            line("Gas {month}", 120.0, 420.0),
        ],
        invoice_number: "PGE-{n}",
        season: Cooling,
        terms_days: 21,
        ..PARTY
    },
    Party {
        name: "Golden Gate CPA Group",
        account: "412",
        channel: Bill,
        rhythm: monthly(&[28]),
        lines: &[
            line("Monthly bookkeeping {month}", 950.0, 950.0),
            line("Sales tax filing", 150.0, 150.0),
        ],
        invoice_number: "GG-{n}",
        growth_2024: 1.05,
        ..PARTY
    },
    Party {
        name: "Bay Area Janitorial Co.",
        account: "408",
        channel: Bill,
        rhythm: Rhythm::Periodic {
            every: 1,
            phase: 0,
            days: &[1],
            jitter: 1,
        },
        lines: &[
            line("Store cleaning {month}", 640.0, 720.0),
            line("Cleaning supplies", 40.0, 90.0),
        ],
        invoice_number: "BAJ{n}",
        terms_days: 15,
        ..PARTY
    },
    Party {
        name: "Recology",
        account: "429",
        channel: Bill,
        rhythm: monthly(&[20]),
        lines: &[line("Waste and recycling collection {month}", 180.0, 240.0)],
        invoice_number: "REC{n}",
        terms_days: 15,
        ..PARTY
    },
    // ── Bills now and then ────────────────────────────────────────────────────────────
    Party {
        name: "FedEx",
        account: "425",
        channel: Bill,
        rhythm: weight(40),
        lines: &[
            line("Shipment to {pick}", 18.0, 640.0),
            line("Fuel surcharge", 2.0, 70.0),
        ],
        picks: &["Denver", "Seattle", "Portland", "Salt Lake City", "Chicago"],
        invoice_number: "FX{n}",
        ..PARTY
    },
    Party {
        name: "UPS",
        account: "425",
        channel: Bill,
        rhythm: weight(40),
        lines: &[
            line("Ground freight to {pick}", 22.0, 780.0),
            line("Residential surcharge", 4.0, 30.0),
        ],
        picks: &["Reno", "Los Angeles", "Boise", "Phoenix"],
        invoice_number: "UPS{n}",
        ..PARTY
    },
    Party {
        name: "Cascade Apparel Wholesale",
        account: "310",
        channel: Bill,
        rhythm: weight(60),
        lines: &[
            line("{pick}", 900.0, 18000.0),
            line("Base layers", 300.0, 4200.0),
            line("Freight in", 60.0, 380.0),
        ],
        picks: &[
            "Rain shells",
            "Fleece jackets",
            "Hiking boots",
            "Daypacks",
            "Tents",
        ],
        invoice_number: "CAW-{n}",
        max_qty: 24,
        terms_days: 45,
        ..PARTY
    },
    Party {
        name: "Summit Advisory LLC",
        account: "412",
        channel: Bill,
        rhythm: weight(15),
        lines: &[line("Retail operations consulting", 1200.0, 6800.0)],
        invoice_number: "SA-{n}",
        step_cents: 5000,
        ..PARTY
    },
    Party {
        name: "Morrison & Lane LLP",
        account: "441",
        channel: Bill,
        rhythm: weight(10),
        lines: &[
            line("{pick}", 400.0, 5200.0),
            line("Filing fees", 25.0, 350.0),
        ],
        picks: &[
            "Lease negotiation",
            "Employment law advice",
            "Trademark renewal",
        ],
        invoice_number: "ML{n}",
        step_cents: 1000,
        ..PARTY
    },
    Party {
        name: "Vistaprint",
        account: "461",
        channel: Bill,
        rhythm: weight(15),
        lines: &[line("{pick}", 45.0, 680.0)],
        picks: &["Store signage", "Catalogs", "Business cards", "Hang tags"],
        invoice_number: "VP{n}",
        ..PARTY
    },
    Party {
        name: "Bay Facilities Repair",
        account: "473",
        channel: Bill,
        rhythm: weight(15),
        lines: &[line("{pick}", 120.0, 1800.0)],
        picks: &[
            "HVAC service",
            "Door closer repair",
            "Lighting repair",
            "Plumbing repair",
        ],
        invoice_number: "BFR-{n}",
        ..PARTY
    },
    Party {
        name: "Navan",
        account: "494",
        channel: Bill,
        rhythm: weight(12),
        lines: &[
            line("Flights {pick}", 220.0, 2400.0),
            line_on("493", Vat::Standard, "Hotel accommodation", 180.0, 1200.0),
        ],
        picks: &["SFO–LHR", "SFO–NRT", "SFO–YVR", "SFO–JFK"],
        invoice_number: "NV{n}",
        ..PARTY
    },
    Party {
        name: "Sunset Creative Studio",
        account: "400",
        channel: Bill,
        rhythm: weight(8),
        lines: &[line("{pick}", 600.0, 4800.0)],
        picks: &[
            "Catalog photography",
            "Website redesign",
            "Seasonal campaign",
        ],
        invoice_number: "SCS-{n}",
        step_cents: 1000,
        ..PARTY
    },
    // ── Money in ──────────────────────────────────────────────────────────────────────
    Party {
        name: "Shopify Payments",
        account: "200",
        channel: Receive,
        rhythm: weight(100),
        lines: &[line("Shopify payout", 800.0, 9200.0)],
        reference: "Payout {n}",
        ..PARTY
    },
    Party {
        name: "REI Co-op",
        account: "200",
        channel: Receive,
        rhythm: weight(30),
        lines: &[line("Wholesale order payment", 2400.0, 22000.0)],
        reference: "INV-{n}",
        ..PARTY
    },
    Party {
        name: "Summit Sports Supply",
        account: "200",
        channel: Receive,
        rhythm: weight(20),
        lines: &[line("Wholesale order payment", 1200.0, 9800.0)],
        reference: "INV-{n}",
        ..PARTY
    },
    Party {
        name: "Trailhead Outdoor Co.",
        account: "200",
        channel: Receive,
        rhythm: weight(20),
        lines: &[line("Wholesale order payment", 900.0, 7600.0)],
        reference: "INV-{n}",
        ..PARTY
    },
    Party {
        name: "REI Co-op",
        account: "200",
        channel: Sale,
        rhythm: weight(30),
        lines: &[
            line("Wholesale order — {pick}", 2400.0, 22000.0),
            line("Shipping", 45.0, 380.0),
        ],
        picks: &["rain shells", "fleece jackets", "hiking boots", "daypacks"],
        reference: "PO {n}",
        ..PARTY
    },
    Party {
        name: "Summit Sports Supply",
        account: "200",
        channel: Sale,
        rhythm: weight(20),
        lines: &[
            line("Wholesale order — {pick}", 1200.0, 9800.0),
            line("Shipping", 45.0, 380.0),
        ],
        picks: &["base layers", "tents", "rain shells"],
        reference: "PO {n}",
        ..PARTY
    },
    Party {
        name: "Trailhead Outdoor Co.",
        account: "200",
        channel: Sale,
        rhythm: weight(20),
        lines: &[line("Wholesale order — {pick}", 900.0, 7600.0)],
        picks: &["daypacks", "hiking boots", "fleece jackets"],
        reference: "PO {n}",
        ..PARTY
    },
    Party {
        name: "Bay Trail Running Club",
        account: "200",
        channel: Sale,
        rhythm: weight(8),
        lines: &[line("Team jackets with embroidery", 600.0, 3800.0)],
        reference: "Club order {n}",
        ..PARTY
    },
];
