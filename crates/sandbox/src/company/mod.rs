//! The generated company: two Xero organisations, each with a chart of accounts, contacts,
//! and two record streams (bank transactions, invoices) kept sorted by `UpdatedDateUTC` so an
//! incremental page is a binary search plus a slice.

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

pub use changes::{ChangeEntry, ChangeError, Op, Selection};
use chart::Account;
pub use record::Record;
use record::{Kind, Line};
use strings::Strings;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamName {
    BankTransactions,
    Invoices,
}

impl StreamName {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bank_transactions" => Some(StreamName::BankTransactions),
            "invoices" => Some(StreamName::Invoices),
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
    /// Sequence numbers ascending by `updated_ms` (unique within a stream).
    pub order: Vec<u32>,
    /// The ACCPAY subset of `order`, so `where=Type=="ACCPAY"` pages as fast as the rest.
    pub bills: Vec<u32>,
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

    /// The records updated strictly after `after_ms` (all of them when `None`), oldest first.
    pub fn updated_after(&self, view: View, after_ms: Option<i64>) -> &[u32] {
        let seqs = self.view(view);
        match after_ms {
            None => seqs,
            Some(t) => {
                let start = seqs.partition_point(|&s| self.records[s as usize].updated_ms <= t);
                &seqs[start..]
            }
        }
    }

    /// Gives a record a new `UpdatedDateUTC` later than any other in the stream and moves it
    /// to the end of the ordering, as Xero does when a record is edited.
    fn touch(&mut self, seq: u32, now_ms: i64) -> i64 {
        let updated = now_ms.max(self.last_updated_ms + 1);
        self.move_to_end(seq, updated);
        updated
    }

    fn move_to_end(&mut self, seq: u32, updated: i64) {
        let old = self.records[seq as usize].updated_ms;
        let records = &self.records;
        let position = |seqs: &[u32]| {
            let at = seqs.partition_point(|&s| records[s as usize].updated_ms < old);
            debug_assert_eq!(seqs.get(at), Some(&seq));
            at
        };
        let at = position(&self.order);
        let in_bills = self.records[seq as usize].kind == Kind::AccPay;
        let bill_at = in_bills.then(|| position(&self.bills));
        self.order.remove(at);
        self.order.push(seq);
        if let Some(at) = bill_at {
            self.bills.remove(at);
            self.bills.push(seq);
        }
        self.records[seq as usize].updated_ms = updated;
        self.last_updated_ms = self.last_updated_ms.max(updated);
    }
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
}

impl Org {
    pub fn stream(&self, name: StreamName) -> &Stream {
        match name {
            StreamName::BankTransactions => &self.bank,
            StreamName::Invoices => &self.invoices,
        }
    }

    fn stream_mut(&mut self, name: StreamName) -> &mut Stream {
        match name {
            StreamName::BankTransactions => &mut self.bank,
            StreamName::Invoices => &mut self.invoices,
        }
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
