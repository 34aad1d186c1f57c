//! Who each organisation buys from and sells to, how often and for how much. The generator
//! draws records from these tables, so realism lives here as data rather than in code.

mod uk;
mod us;

pub use uk::UK_PARTIES;
pub use us::US_PARTIES;

/// Which stream and record type a party's records become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Paid straight from the bank account (card, direct debit, standing order): SPEND.
    Spend,
    /// A supplier bill: ACCPAY invoice.
    Bill,
    /// Money in from a customer or payment processor: RECEIVE.
    Receive,
    /// A sales invoice: ACCREC.
    Sale,
}

#[derive(Clone, Copy, Debug)]
pub enum Rhythm {
    /// In every `every`-th month starting from month `phase` (0 = January), once on each of
    /// `days`, give or take `jitter` days: rent, payroll, utilities, subscriptions, tax.
    Periodic {
        every: u8,
        phase: u8,
        days: &'static [u8],
        jitter: u8,
    },
    /// On random (mostly working) days, drawn in proportion to `weight`.
    Irregular { weight: u32 },
}

/// UK VAT treatment; the US organisation records no tax on lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vat {
    Standard,
    Zero,
    Exempt,
    /// Wages, tax payments, bank charges: nothing VAT applies to, so the record is NoTax.
    Outside,
}

/// How a monthly amount moves with the weather (energy bills).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Season {
    Flat,
    /// Peaks in winter (gas, electric heating).
    Heating,
    /// Peaks in late summer (air conditioning).
    Cooling,
}

#[derive(Clone, Copy, Debug)]
pub struct LineSpec {
    /// May contain `{month}` ("March 2024"), `{quarter}` ("Q4 2023", the quarter a payment
    /// settles) or `{pick}` (one of the party's `picks`).
    pub desc: &'static str,
    /// Amount range in major units; equal bounds make a fixed price.
    pub min: f64,
    pub max: f64,
    /// Overrides the party's account for this line ("" = the party's).
    pub account: &'static str,
    pub vat: Option<Vat>,
}

pub const fn line(desc: &'static str, min: f64, max: f64) -> LineSpec {
    LineSpec {
        desc,
        min,
        max,
        account: "",
        vat: None,
    }
}

pub const fn line_on(
    account: &'static str,
    vat: Vat,
    desc: &'static str,
    min: f64,
    max: f64,
) -> LineSpec {
    LineSpec {
        desc,
        min,
        max,
        account,
        vat: Some(vat),
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Party {
    pub name: &'static str,
    pub account: &'static str,
    pub channel: Channel,
    pub rhythm: Rhythm,
    pub vat: Vat,
    /// The first line is always there; each further one appears on about half of irregular
    /// records and on every periodic one.
    pub lines: &'static [LineSpec],
    pub picks: &'static [&'static str],
    /// Reference pattern; `{n}` is a per-record number, `{month}`/`{quarter}` as in lines.
    pub reference: &'static str,
    /// Supplier's invoice number pattern (bills only).
    pub invoice_number: &'static str,
    /// Amounts are rounded to this many cents (100 = whole pounds/dollars).
    pub step_cents: u32,
    /// Up to this many units per line (unit price × quantity), for goods bought in bulk.
    pub max_qty: u8,
    pub season: Season,
    /// Price change for 2024 (1.05 = 5% dearer).
    pub growth_2024: f64,
    /// Payment terms in days, for bills and sales invoices.
    pub terms_days: u8,
}

/// Defaults for the catalogue entries, which name only what differs.
pub const PARTY: Party = Party {
    name: "",
    account: "429",
    channel: Channel::Spend,
    rhythm: Rhythm::Irregular { weight: 10 },
    vat: Vat::Standard,
    lines: &[],
    picks: &[],
    reference: "",
    invoice_number: "{n}",
    step_cents: 1,
    max_qty: 1,
    season: Season::Flat,
    growth_2024: 1.0,
    terms_days: 30,
};

pub const fn monthly(days: &'static [u8]) -> Rhythm {
    Rhythm::Periodic {
        every: 1,
        phase: 0,
        days,
        jitter: 0,
    }
}

pub const fn weight(weight: u32) -> Rhythm {
    Rhythm::Irregular { weight }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::chart::standard_chart;
    use crate::company::Country;

    #[test]
    fn every_party_books_to_an_account_in_the_chart() {
        let chart = standard_chart(&uuid::Uuid::nil(), Country::Uk);
        for party in UK_PARTIES.iter().chain(US_PARTIES) {
            assert!(!party.lines.is_empty(), "{} has no lines", party.name);
            for code in std::iter::once(party.account).chain(party.lines.iter().map(|l| l.account))
            {
                assert!(
                    code.is_empty() || chart.iter().any(|a| a.code == code),
                    "{} books to unknown account {code}",
                    party.name
                );
            }
            for l in party.lines {
                assert!(
                    l.min > 0.0 && l.max >= l.min,
                    "{} has a bad range",
                    party.name
                );
                assert!(
                    !l.desc.contains("{pick}") || !party.picks.is_empty(),
                    "{} uses {{pick}} without picks",
                    party.name
                );
            }
            if let Rhythm::Periodic { days, .. } = party.rhythm {
                assert!(days.iter().all(|d| (1..=28).contains(d)));
            }
        }
    }
}
