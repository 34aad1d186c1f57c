//! The generated company: two Xero organisations, each with a chart of accounts, contacts,
//! and three record streams (bank transactions, invoices, credit notes) kept sorted by
//! `UpdatedDateUTC` (ties broken by sequence number) so an incremental page is a binary search
//! plus a slice.

pub mod calendar;
pub mod catalog;
mod changes;
pub mod chart;
mod fixtures;
mod generator;
pub mod ids;
pub mod record;
mod strings;
#[cfg(test)]
mod tests;

use uuid::Uuid;

pub use changes::{ChangeEntry, ChangeError, Op, Selection, Stamping};
use chart::Account;
use record::Line;
pub use record::Record;
pub use strings::Strings;

pub const UK_TENANT_ID: &str = "3f1b2a9e-5c1d-4e5f-9a70-1b2c3d4e5f60";
pub const US_TENANT_ID: &str = "7a2c4e6f-8b1d-4c3e-a5f7-0d9e8c7b6a50";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Country {
    Uk,
    Us,
}

/// The fixed facts of an organisation (what `/Organisation` and `/connections` report).
#[derive(Debug)]
pub struct OrgProfile {
    pub tenant_id: &'static str,
    pub name: &'static str,
    pub legal_name: &'static str,
    pub currency: &'static str,
    pub country_code: &'static str,
    pub country: Country,
    /// Xero's `Version` field: which edition of Xero the file runs on.
    pub version: &'static str,
    pub timezone: &'static str,
    pub short_code: &'static str,
}

/// In the order `/connections` lists them.
pub static PROFILES: [OrgProfile; 2] = [
    OrgProfile {
        tenant_id: UK_TENANT_ID,
        name: "Harbour & Pine Ltd",
        legal_name: "Harbour & Pine Ltd",
        currency: "GBP",
        country_code: "GB",
        country: Country::Uk,
        version: "UK",
        timezone: "GMTSTANDARDTIME",
        short_code: "!hP7kQ",
    },
    OrgProfile {
        tenant_id: US_TENANT_ID,
        name: "Northwind Outfitters Inc.",
        legal_name: "Northwind Outfitters, Inc.",
        currency: "USD",
        country_code: "US",
        country: Country::Us,
        version: "US",
        timezone: "PACIFICSTANDARDTIME",
        short_code: "!nW3xR",
    },
];

/// The raw material of the QuickBooks company: a US organisation drawn from the same
/// catalogue, never served as a Xero organisation. Its tenant id only keys the names of its
/// contacts and accounts.
pub static QUICKBOOKS_SOURCE_PROFILE: OrgProfile = OrgProfile {
    tenant_id: "c3df1a52-9b7e-4f0a-8d21-5e6f7a8b9c01",
    name: "Cedar & Finch Trading Co.",
    legal_name: "Cedar & Finch Trading Company, Inc.",
    currency: "USD",
    country_code: "US",
    country: Country::Us,
    version: "US",
    timezone: "PACIFICSTANDARDTIME",
    short_code: "",
};

/// Generates the organisation the QuickBooks company is made from: the US catalogue with its
/// own seed (so none of its records is one of the Xero organisations') and without the Xero
/// fixtures. Same seed and size, same records.
pub fn generate_quickbooks_source(seed: u64, records_per_org: usize) -> Org {
    // Its own random stream, clear of the two organisations' (0, 1) and the credit notes'.
    const STREAM: u64 = 0x51;
    let seed = seed ^ 0x7162_6f6f_6b73_2d71; // "qbooks-q": any fixed mask makes it distinct
    generator::generate_org_with(
        &QUICKBOOKS_SOURCE_PROFILE,
        STREAM,
        seed,
        records_per_org,
        false,
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamName {
    BankTransactions,
    Invoices,
    CreditNotes,
}

impl StreamName {
    /// The control API's names: `bank_transactions`, `invoices`, `credit_notes`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bank_transactions" => Some(StreamName::BankTransactions),
            "invoices" => Some(StreamName::Invoices),
            "credit_notes" => Some(StreamName::CreditNotes),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Contact {
    pub id: Uuid,
    pub name: &'static str,
}

/// Who a record is with and how its texts are patterned. Several sources can share a
/// contact (HMRC is paid for both VAT and PAYE, with different references).
#[derive(Debug)]
pub struct Source {
    pub contact: u16,
    pub reference: &'static str,
    pub invoice_number: &'static str,
}

pub struct Stream {
    /// In generation order; a record's index here is its sequence number and never changes.
    pub records: Vec<Record>,
    pub lines: Vec<Line>,
    /// Sequence numbers in listing order: by `updated_ms`, then by sequence number. Stamps
    /// may repeat (Xero does not promise unique `UpdatedDateUTC`s); the sequence number
    /// settles ties, so a page boundary inside a run of equal stamps never skips or repeats
    /// a record.
    pub order: Vec<u32>,
    /// The supplier-side subset of `order` (ACCPAY bills among invoices, ACCPAYCREDIT among
    /// credit notes), so `where=Type==…` pages as fast as the rest.
    pub bills: Vec<u32>,
    /// The latest `updated_ms` in the stream; a fresh edit is stamped later than this.
    pub last_updated_ms: i64,
    pub id_key: u64,
    /// (sequence number, id) of the fixtures, whose ids are fixed rather than computed.
    pub fixture_ids: Vec<(u32, Uuid)>,
    pub deleted: usize,
}

/// Which records a listing covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    All,
    /// The supplier side only: `where=Type=="ACCPAY"` on invoices,
    /// `where=Type=="ACCPAYCREDIT"` on credit notes.
    Bills,
}

impl Stream {
    pub fn id_of(&self, seq: u32) -> Uuid {
        if self.records[seq as usize].is_fixture() {
            if let Some((_, id)) = self.fixture_ids.iter().find(|(s, _)| *s == seq) {
                return *id;
            }
        }
        ids::record_id(self.id_key, seq)
    }

    pub fn seq_of(&self, id: &Uuid) -> Option<u32> {
        if let Some((seq, _)) = self.fixture_ids.iter().find(|(_, f)| f == id) {
            return Some(*seq);
        }
        ids::seq_of(self.id_key, id)
            .filter(|&seq| (seq as usize) < self.records.len())
            .filter(|&seq| !self.records[seq as usize].is_fixture())
    }

    fn view(&self, view: View) -> &[u32] {
        match view {
            View::All => &self.order,
            View::Bills => &self.bills,
        }
    }

    /// The records stamped at or after `from_ms` (all of them when `None`), in listing order.
    pub fn updated_since(&self, view: View, from_ms: Option<i64>) -> &[u32] {
        let seqs = self.view(view);
        match from_ms {
            None => seqs,
            Some(t) => {
                let start = seqs.partition_point(|&s| self.records[s as usize].updated_ms < t);
                &seqs[start..]
            }
        }
    }

    /// The records updated strictly after `after_ms` (all of them when `None`), oldest first.
    #[cfg(test)]
    pub fn updated_after(&self, view: View, after_ms: Option<i64>) -> &[u32] {
        self.updated_since(view, after_ms.map(|t| t.saturating_add(1)))
    }

    /// Gives each `(sequence number, new updated_ms)` its stamp and moves it to its place in
    /// the ordering, as Xero does when a record is edited. Sequence numbers must be distinct.
    /// One pass over the ordering whatever the number of records, so tying ten thousand
    /// records costs about what moving one does.
    fn restamp(&mut self, updates: &[(u32, i64)]) {
        if updates.is_empty() {
            return;
        }
        let mut moved = vec![false; self.records.len()];
        for &(seq, updated) in updates {
            moved[seq as usize] = true;
            self.records[seq as usize].updated_ms = updated;
            self.last_updated_ms = self.last_updated_ms.max(updated);
        }
        let records = &self.records;
        let mut sorted: Vec<u32> = updates.iter().map(|&(seq, _)| seq).collect();
        sorted.sort_unstable_by_key(|&s| listing_key(records, s));
        self.order.retain(|&s| !moved[s as usize]);
        merge_in(&mut self.order, &sorted, records);
        let payables: Vec<u32> = sorted
            .iter()
            .copied()
            .filter(|&s| records[s as usize].kind.is_payable())
            .collect();
        if !payables.is_empty() {
            self.bills.retain(|&s| !moved[s as usize]);
            merge_in(&mut self.bills, &payables, records);
        }
    }
}

/// Where a record sorts in a listing.
fn listing_key(records: &[Record], seq: u32) -> (i64, u32) {
    (records[seq as usize].updated_ms, seq)
}

/// Merges `new` (in listing order) into `list` (in listing order). Edits are stamped later
/// than everything else, so this is nearly always an append.
fn merge_in(list: &mut Vec<u32>, new: &[u32], records: &[Record]) {
    let Some(&first) = new.first() else {
        return;
    };
    let key = |s: u32| listing_key(records, s);
    let at = list.partition_point(|&s| key(s) < key(first));
    let tail = list.split_off(at);
    list.reserve(tail.len() + new.len());
    let (mut i, mut j) = (0, 0);
    while i < tail.len() && j < new.len() {
        if key(tail[i]) < key(new[j]) {
            list.push(tail[i]);
            i += 1;
        } else {
            list.push(new[j]);
            j += 1;
        }
    }
    list.extend_from_slice(&tail[i..]);
    list.extend_from_slice(&new[j..]);
    debug_assert!(list.is_sorted_by_key(|&s| key(s)));
}

/// A fixture credit note or prepayment applied to a fixture bill (see `FIXTURE_ALLOCATIONS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// The stream of the credit note or prepayment: credit notes or bank transactions.
    pub from: StreamName,
    pub from_seq: u32,
    /// The bill, in the invoices stream.
    pub invoice_seq: u32,
    /// The amount applied, in cents: the whole total of the credit as generated.
    pub cents: i64,
    /// Days since 2023-01-01.
    pub day: u16,
}

pub struct Org {
    pub profile: &'static OrgProfile,
    pub tenant_id: Uuid,
    pub accounts: Vec<Account>,
    pub contacts: Vec<Contact>,
    pub sources: Vec<Source>,
    pub strings: Strings,
    pub bank: Stream,
    pub invoices: Stream,
    pub credit_notes: Stream,
    pub allocations: Vec<Allocation>,
}

impl Org {
    pub fn stream(&self, name: StreamName) -> &Stream {
        match name {
            StreamName::BankTransactions => &self.bank,
            StreamName::Invoices => &self.invoices,
            StreamName::CreditNotes => &self.credit_notes,
        }
    }

    fn stream_mut(&mut self, name: StreamName) -> &mut Stream {
        match name {
            StreamName::BankTransactions => &mut self.bank,
            StreamName::Invoices => &mut self.invoices,
            StreamName::CreditNotes => &mut self.credit_notes,
        }
    }

    /// Allocations made from the credit note or prepayment `seq` of stream `from`.
    pub fn allocations_from(
        &self,
        from: StreamName,
        seq: u32,
    ) -> impl Iterator<Item = &Allocation> + '_ {
        self.allocations
            .iter()
            .filter(move |a| a.from == from && a.from_seq == seq)
    }

    /// Allocations applied to the invoice `seq`.
    pub fn allocations_to(&self, seq: u32) -> impl Iterator<Item = &Allocation> + '_ {
        self.allocations
            .iter()
            .filter(move |a| a.invoice_seq == seq)
    }

    pub fn text(&self, i: u32) -> &str {
        self.strings.get(i)
    }
}

pub struct Company {
    pub seed: u64,
    pub records_per_org: usize,
    /// UK first, then US.
    pub orgs: Vec<Org>,
    /// Every change made through the control API, in order, so a restart can replay them on
    /// freshly generated data instead of storing the records themselves.
    pub changes: Vec<ChangeEntry>,
}

impl Company {
    /// Builds both organisations from the seed. Same seed and size, same bytes.
    pub fn generate(seed: u64, records_per_org: usize) -> Company {
        // The two organisations are independent, so each gets a core: generating a million
        // records per organisation is then about as quick as generating one.
        let orgs = std::thread::scope(|scope| {
            let handles: Vec<_> = PROFILES
                .iter()
                .enumerate()
                .map(|(i, profile)| {
                    scope.spawn(move || {
                        generator::generate_org(profile, i as u64, seed, records_per_org)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("organisation generator panicked"))
                .collect()
        });
        Company {
            seed,
            records_per_org,
            orgs,
            changes: Vec::new(),
        }
    }

    pub fn org(&self, tenant: &Uuid) -> Option<&Org> {
        self.orgs.iter().find(|o| &o.tenant_id == tenant)
    }

    fn org_mut(&mut self, tenant: &Uuid) -> Option<&mut Org> {
        self.orgs.iter_mut().find(|o| &o.tenant_id == tenant)
    }
}
