//! The compact in-memory form of a bank transaction, invoice or credit note. A million records per
//! organisation must fit comfortably, so a record is a few fixed-size fields that index into
//! shared tables (contacts, accounts, interned descriptions); JSON is only built per page.

/// Days are counted from this date (2023-01-01), which is where the generated data starts.
pub const EPOCH_DAY_MS: i64 = 1_672_531_200_000;
pub const DAY_MS: i64 = 86_400_000;

/// `Record::flags` bits.
pub const FLAG_FIXTURE: u8 = 1;
pub const FLAG_AMENDED: u8 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Spend,
    Receive,
    SpendTransfer,
    ReceiveTransfer,
    AccPay,
    AccRec,
    /// Money paid to a supplier before its bill arrives; allocated to the bill later.
    SpendPrepayment,
    /// Money paid to a supplier beyond what its bills asked for, booked to accounts payable.
    SpendOverpayment,
    /// A supplier credit note (a refund or reduction on a bill).
    AccPayCredit,
    /// A credit note to a customer.
    AccRecCredit,
}

impl Kind {
    pub fn xero_name(self) -> &'static str {
        match self {
            Kind::Spend => "SPEND",
            Kind::Receive => "RECEIVE",
            Kind::SpendTransfer => "SPEND-TRANSFER",
            Kind::ReceiveTransfer => "RECEIVE-TRANSFER",
            Kind::AccPay => "ACCPAY",
            Kind::AccRec => "ACCREC",
            Kind::SpendPrepayment => "SPEND-PREPAYMENT",
            Kind::SpendOverpayment => "SPEND-OVERPAYMENT",
            Kind::AccPayCredit => "ACCPAYCREDIT",
            Kind::AccRecCredit => "ACCRECCREDIT",
        }
    }

    /// Whether a record of this kind belongs to its stream's supplier-side view: ACCPAY bills
    /// among invoices, ACCPAYCREDIT among credit notes (what `where=Type==…` selects).
    pub fn is_payable(self) -> bool {
        matches!(self, Kind::AccPay | Kind::AccPayCredit)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Authorised,
    Paid,
    Deleted,
    Voided,
}

impl Status {
    pub fn xero_name(self) -> &'static str {
        match self {
            Status::Authorised => "AUTHORISED",
            Status::Paid => "PAID",
            Status::Deleted => "DELETED",
            Status::Voided => "VOIDED",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LineAmounts {
    Exclusive,
    Inclusive,
    NoTax,
}

impl LineAmounts {
    pub fn xero_name(self) -> &'static str {
        match self {
            LineAmounts::Exclusive => "Exclusive",
            LineAmounts::Inclusive => "Inclusive",
            LineAmounts::NoTax => "NoTax",
        }
    }
}

/// Xero tax rates used by the two organisations. Only the UK ones carry tax; US lines are
/// `NONE` because US Xero files do not tax purchases line by line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TaxCode {
    None,
    Input2,
    ZeroRatedInput,
    ExemptInput,
    Output2,
}

impl TaxCode {
    pub fn xero_name(self) -> &'static str {
        match self {
            TaxCode::None => "NONE",
            TaxCode::Input2 => "INPUT2",
            TaxCode::ZeroRatedInput => "ZERORATEDINPUT",
            TaxCode::ExemptInput => "EXEMPTINPUT",
            TaxCode::Output2 => "OUTPUT2",
        }
    }

    fn is_standard_rate(self) -> bool {
        matches!(self, TaxCode::Input2 | TaxCode::Output2)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub unit_cents: i32,
    /// Index into the organisation's interned strings.
    pub desc: u32,
    /// Index into the organisation's chart of accounts.
    pub account: u8,
    pub tax: TaxCode,
    pub qty: u8,
}

impl Line {
    pub fn line_cents(&self) -> i64 {
        i64::from(self.unit_cents) * i64::from(self.qty)
    }

    /// Tax on this line, rounded to the penny the way Xero does per line: a sixth of a
    /// VAT-inclusive amount, a fifth of an exclusive one (20% VAT).
    pub fn tax_cents(&self, amounts: LineAmounts) -> i64 {
        if !self.tax.is_standard_rate() {
            return 0;
        }
        let line = self.line_cents();
        match amounts {
            LineAmounts::NoTax => 0,
            LineAmounts::Inclusive => div_round(line, 6),
            LineAmounts::Exclusive => div_round(line, 5),
        }
    }
}

/// Rounds half away from zero, like money rounding does.
fn div_round(n: i64, d: i64) -> i64 {
    if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub updated_ms: i64,
    pub line_start: u32,
    /// Generated reference / invoice number, or the index of the fixture's texts. For a
    /// generated credit note: the sequence number of the invoice it credits.
    pub ref_num: u32,
    /// Days since 2023-01-01.
    pub day: u16,
    /// Index into the organisation's sources (contact plus reference patterns).
    pub source: u16,
    pub kind: Kind,
    pub status: Status,
    pub amounts: LineAmounts,
    pub line_count: u8,
    pub flags: u8,
    /// Bank transactions: index of the bank account in the chart. Invoices: payment terms in
    /// days. Credit notes: unused (0).
    pub extra: u8,
}

impl Record {
    pub fn is_fixture(&self) -> bool {
        self.flags & FLAG_FIXTURE != 0
    }

    pub fn is_amended(&self) -> bool {
        self.flags & FLAG_AMENDED != 0
    }

    pub fn date_ms(&self) -> i64 {
        EPOCH_DAY_MS + i64::from(self.day) * DAY_MS
    }

    pub fn lines<'a>(&self, all: &'a [Line]) -> &'a [Line] {
        let start = self.line_start as usize;
        &all[start..start + usize::from(self.line_count)]
    }

    /// (SubTotal, TotalTax, Total) as Xero computes them: with inclusive amounts the lines
    /// already contain the tax, so the subtotal is what is left after taking it out.
    pub fn totals(&self, all: &[Line]) -> (i64, i64, i64) {
        let mut lines_sum = 0;
        let mut tax = 0;
        for line in self.lines(all) {
            lines_sum += line.line_cents();
            tax += line.tax_cents(self.amounts);
        }
        match self.amounts {
            LineAmounts::Inclusive => (lines_sum - tax, tax, lines_sum),
            LineAmounts::Exclusive | LineAmounts::NoTax => (lines_sum, tax, lines_sum + tax),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cents: i32, tax: TaxCode) -> Line {
        Line {
            unit_cents: cents,
            desc: 0,
            account: 0,
            tax,
            qty: 1,
        }
    }

    #[test]
    fn inclusive_vat_is_a_sixth_rounded_to_the_penny() {
        assert_eq!(
            line(1000, TaxCode::Input2).tax_cents(LineAmounts::Inclusive),
            167
        );
        assert_eq!(
            line(600, TaxCode::Input2).tax_cents(LineAmounts::Inclusive),
            100
        );
        assert_eq!(
            line(50000, TaxCode::Input2).tax_cents(LineAmounts::Exclusive),
            10000
        );
        assert_eq!(
            line(123456, TaxCode::ZeroRatedInput).tax_cents(LineAmounts::Inclusive),
            0
        );
    }

    #[test]
    fn a_record_stays_small() {
        // The whole point of the compact form: a million of these per organisation.
        assert!(std::mem::size_of::<Record>() <= 32);
        assert!(std::mem::size_of::<Line>() <= 12);
    }
}
