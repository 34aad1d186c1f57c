//! The QuickBooks Online company (its "realm"): the supplier side of a generated organisation
//! seen through QuickBooks' entities. Spend paid from the bank becomes `Purchase`, supplier
//! bills `Bill`, supplier credit notes `VendorCredit`; transfers and income are left out.
//!
//! Like the Xero organisations, records are compact fixed-size rows indexing shared tables
//! (vendors, interned descriptions, the chart), and JSON is only built per page. Each entity
//! keeps its rows in Id order (a binary search finds an Id) and two orderings by
//! `LastUpdatedTime` then Id: every row (for change data capture, which reports deletions)
//! and the live ones (for queries, which never show a deleted record).

mod build;
mod changes;
pub mod chart;
pub mod fixtures;

use serde::{Deserialize, Serialize};

pub use changes::{ChangeError, QbChange, Selection};
use chart::{Currency, TaxCalc};
use fixtures::{Fixture, FIXTURES};

use crate::company::calendar::{month_of, render};
use crate::company::Strings;

/// `Txn::flags` bits.
pub const FLAG_FIXTURE: u8 = 1;
pub const FLAG_AMENDED: u8 = 2;
pub const FLAG_DELETED: u8 = 4;
pub const FLAG_VOIDED: u8 = 8;
pub const FLAG_PAID: u8 = 16;
/// A credit card purchase that is a refund: `Credit: true`.
pub const FLAG_REFUND: u8 = 32;
/// A credit card charge that states `Credit: false` (QuickBooks writes the field on some
/// card purchases and leaves it out on others).
pub const FLAG_SHOW_CREDIT: u8 = 64;

/// Stamps count whole seconds from 2023-01-01T00:00:00Z, where the generated data starts.
pub const STAMP_EPOCH_S: i64 = 1_672_531_200;
/// Generated records' Ids start here; fixtures have Ids below it.
pub const FIRST_GENERATED_ID: u32 = 10_001;
/// Vendors' Ids start here (QuickBooks numbers each kind of entity on its own).
pub const FIRST_VENDOR_ID: u32 = 56;

/// The transaction entities the sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Entity {
    Purchase,
    Bill,
    VendorCredit,
}

impl Entity {
    pub const ALL: [Entity; 3] = [Entity::Purchase, Entity::Bill, Entity::VendorCredit];

    pub fn name(self) -> &'static str {
        match self {
            Entity::Purchase => "Purchase",
            Entity::Bill => "Bill",
            Entity::VendorCredit => "VendorCredit",
        }
    }

    /// Entity names are case-insensitive, as in Intuit's query language.
    pub fn parse(name: &str) -> Option<Self> {
        Entity::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name.trim()))
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// `Purchase.PaymentType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PaymentType {
    Cash = 0,
    Check = 1,
    CreditCard = 2,
}

impl PaymentType {
    pub fn name(self) -> &'static str {
        match self {
            PaymentType::Cash => "Cash",
            PaymentType::Check => "Check",
            PaymentType::CreditCard => "CreditCard",
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            1 => PaymentType::Check,
            2 => PaymentType::CreditCard,
            _ => PaymentType::Cash,
        }
    }
}

/// One Purchase, Bill or VendorCredit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Txn {
    /// `MetaData.LastUpdatedTime`, seconds from [`STAMP_EPOCH_S`].
    pub updated: u32,
    /// `MetaData.CreateTime`, same unit.
    pub created: u32,
    pub line_start: u32,
    pub id: u32,
    /// Generated: the number the generator drew (references, check numbers, the supplier's
    /// invoice number); for a generated vendor credit, the Id of the bill it refunds.
    /// Fixtures: their index in [`FIXTURES`].
    pub ref_num: u32,
    /// `TxnDate`, days since 2023-01-01.
    pub day: u16,
    /// Index into the realm's sources.
    pub source: u16,
    pub line_count: u8,
    pub flags: u8,
    /// Purchases: the [`PaymentType`]. Bills: payment terms in days.
    pub extra: u8,
    /// `SyncToken`: how many times the record was edited.
    pub sync: u8,
}

impl Txn {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    pub fn updated_s(&self) -> i64 {
        STAMP_EPOCH_S + i64::from(self.updated)
    }

    pub fn created_s(&self) -> i64 {
        STAMP_EPOCH_S + i64::from(self.created)
    }

    pub fn payment(&self) -> PaymentType {
        PaymentType::from_u8(self.extra)
    }

    pub fn fixture(&self) -> Option<&'static Fixture> {
        self.has(FLAG_FIXTURE)
            .then(|| FIXTURES.get(self.ref_num as usize))
            .flatten()
    }
}

/// One expense line. `amount` is before tax, as QuickBooks' line `Amount` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QLine {
    /// Cents.
    pub amount: i32,
    /// Cents of tax on the line (0 unless the record's tax is TaxExcluded/TaxInclusive).
    pub tax: i32,
    /// Index into the realm's interned strings.
    pub desc: u32,
    /// Position in the chart.
    pub account: u8,
    /// 0 for an account-based line, else 1 + position in `chart::ITEMS`.
    pub item: u8,
    /// Item-based lines: the quantity (`Amount` is `UnitPrice` × `Qty`).
    pub qty: u16,
}

#[derive(Debug)]
pub struct Vendor {
    pub id: u32,
    pub name: &'static str,
    pub currency: Currency,
}

/// Who a record is with and how its texts are patterned (see `company::Source`).
#[derive(Debug)]
pub struct Source {
    /// Index into the realm's vendors.
    pub vendor: u16,
    pub reference: &'static str,
    pub doc_number: &'static str,
}

#[derive(Default)]
pub struct Table {
    /// In Id order.
    pub txns: Vec<Txn>,
    pub lines: Vec<QLine>,
    /// Every row's position, by `LastUpdatedTime` then Id.
    pub order: Vec<u32>,
    /// The rows not deleted, in the same order.
    pub live: Vec<u32>,
    pub deleted: usize,
}

impl Table {
    /// The position of the row with `id`.
    pub fn position_of(&self, id: u32) -> Option<u32> {
        self.txns
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|p| p as u32)
    }

    /// Where a row sorts: by `LastUpdatedTime`, then Id.
    pub fn key(&self, pos: u32) -> (u32, u32) {
        let t = &self.txns[pos as usize];
        (t.updated, t.id)
    }

    pub fn lines_of(&self, txn: &Txn) -> &[QLine] {
        let start = txn.line_start as usize;
        &self.lines[start..start + usize::from(txn.line_count)]
    }

    /// Gives each `(position, new stamp)` its `LastUpdatedTime` and moves it to its place in
    /// both orderings; positions must be distinct. One pass over each ordering.
    fn restamp(&mut self, updates: &[(u32, u32)]) {
        if updates.is_empty() {
            return;
        }
        let mut moved = vec![false; self.txns.len()];
        for &(pos, stamp) in updates {
            moved[pos as usize] = true;
            self.txns[pos as usize].updated = stamp;
        }
        let mut sorted: Vec<u32> = updates.iter().map(|&(pos, _)| pos).collect();
        sorted.sort_unstable_by_key(|&p| self.key(p));
        let live: Vec<u32> = sorted
            .iter()
            .copied()
            .filter(|&p| !self.txns[p as usize].has(FLAG_DELETED))
            .collect();
        let mut order = std::mem::take(&mut self.order);
        order.retain(|&p| !moved[p as usize]);
        self.merge_in(&mut order, &sorted);
        self.order = order;
        let mut kept = std::mem::take(&mut self.live);
        kept.retain(|&p| !moved[p as usize]);
        self.merge_in(&mut kept, &live);
        self.live = kept;
    }

    /// Merges `new` (in listing order) into `list` (in listing order). Edits are stamped
    /// later than everything else, so this is nearly always an append.
    fn merge_in(&self, list: &mut Vec<u32>, new: &[u32]) {
        let Some(&first) = new.first() else {
            return;
        };
        let at = list.partition_point(|&p| self.key(p) < self.key(first));
        let tail = list.split_off(at);
        list.reserve(tail.len() + new.len());
        let (mut i, mut j) = (0, 0);
        while i < tail.len() && j < new.len() {
            if self.key(tail[i]) < self.key(new[j]) {
                list.push(tail[i]);
                i += 1;
            } else {
                list.push(new[j]);
                j += 1;
            }
        }
        list.extend_from_slice(&tail[i..]);
        list.extend_from_slice(&new[j..]);
        debug_assert!(list.is_sorted_by_key(|&p| self.key(p)));
    }
}

pub struct Realm {
    pub vendors: Vec<Vendor>,
    pub sources: Vec<Source>,
    pub strings: Strings,
    /// Purchase, Bill, VendorCredit.
    tables: [Table; 3],
    /// The latest `LastUpdatedTime` of any record; an edit is stamped later than this.
    pub last_stamp: u32,
    /// Every edit made through the control API, in order, for the state file.
    pub changes: Vec<QbChange>,
}

impl Realm {
    /// Builds the company from the seed. Same seed and size, same records.
    pub fn generate(seed: u64, records_per_org: usize) -> Realm {
        build::build(seed, records_per_org)
    }

    pub fn table(&self, entity: Entity) -> &Table {
        &self.tables[entity.index()]
    }

    fn table_mut(&mut self, entity: Entity) -> &mut Table {
        &mut self.tables[entity.index()]
    }

    pub fn vendor_of(&self, txn: &Txn) -> &Vendor {
        &self.vendors[usize::from(self.sources[usize::from(txn.source)].vendor)]
    }

    /// US dollars per unit of the record's currency, in ten-thousandths.
    pub fn rate_e4(&self, txn: &Txn) -> i64 {
        match txn.fixture() {
            Some(f) => f.rate_e4,
            None => self.vendor_of(txn).currency.rate_e4(txn.day),
        }
    }

    pub fn tax_calc(&self, txn: &Txn) -> TaxCalc {
        self.vendor_of(txn).currency.tax()
    }

    /// (sum of line amounts, total tax) in cents; a voided record's are zero.
    pub fn totals(&self, entity: Entity, txn: &Txn) -> (i64, i64) {
        if txn.has(FLAG_VOIDED) {
            return (0, 0);
        }
        self.table(entity)
            .lines_of(txn)
            .iter()
            .fold((0, 0), |(net, tax), l| {
                (net + i64::from(l.amount), tax + i64::from(l.tax))
            })
    }

    /// `DocNumber`: the supplier's number on bills and vendor credits, the check number on
    /// checks; card and cash purchases have none.
    pub fn doc_number(&self, entity: Entity, txn: &Txn) -> Option<String> {
        if let Some(f) = txn.fixture() {
            return (!f.doc_number.is_empty()).then(|| f.doc_number.to_owned());
        }
        match entity {
            Entity::Purchase => (txn.payment() == PaymentType::Check)
                .then(|| (1000 + txn.ref_num % 9000).to_string()),
            Entity::Bill => {
                let source = &self.sources[usize::from(txn.source)];
                Some(render(source.doc_number, month_of(txn.day), txn.ref_num).into_owned())
            }
            Entity::VendorCredit => {
                let bills = self.table(Entity::Bill);
                let bill = bills.position_of(txn.ref_num)?;
                let number = self.doc_number(Entity::Bill, &bills.txns[bill as usize])?;
                Some(format!("{number}-CR"))
            }
        }
    }

    /// `PrivateNote`: the payment's reference on purchases, "Voided" on a voided record, and
    /// "(amended)" after an edit.
    pub fn note(&self, entity: Entity, txn: &Txn) -> Option<String> {
        if txn.has(FLAG_VOIDED) {
            return Some("Voided".into());
        }
        let base = match (txn.fixture(), entity) {
            (Some(f), _) => f.note.to_owned(),
            (None, Entity::Purchase) => {
                let source = &self.sources[usize::from(txn.source)];
                render(source.reference, month_of(txn.day), txn.ref_num).into_owned()
            }
            (None, _) => String::new(),
        };
        let note = match (base.is_empty(), txn.has(FLAG_AMENDED)) {
            (_, false) => base,
            (true, true) => "(amended)".to_owned(),
            (false, true) => format!("{base} (amended)"),
        };
        (!note.is_empty()).then_some(note)
    }

    /// Rows per entity not deleted, and deleted in all.
    pub fn counts(&self) -> ([usize; 3], usize) {
        let live = Entity::ALL.map(|e| self.table(e).live.len());
        let deleted = Entity::ALL.iter().map(|&e| self.table(e).deleted).sum();
        (live, deleted)
    }
}

#[cfg(test)]
mod tests;
