//! Turns the catalogue and the seed into an organisation's records.
//!
//! Determinism: one ChaCha8 stream per organisation, consumed in a fixed order, and a sort
//! whose keys (day, random tiebreak) come from that stream, so the same seed and size always
//! give the same records in the same order.
//!
//! Shape of the data, per organisation: ~70% bank transactions (15% customer receipts, ~3%
//! transfers between the two bank accounts, the rest spend of which scheduled payments such
//! as rent, payroll and tax take at most 45%) and ~30% invoices (80% supplier bills, 20%
//! sales). Fixtures count towards these totals. Credit notes come on top: about one per
//! hundred bills and one per hundred sales, derived from the finished invoices without
//! drawing from the organisation's random stream, so adding them changed no other record.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::calendar::{self, month_length, month_of, weekday, DAYS, MONTHS, MONTH_STARTS};
use super::catalog::{Channel, LineSpec, Party, Rhythm, Season, Vat, UK_PARTIES, US_PARTIES};
use super::chart::{self, standard_chart, Account};
use super::fixtures::{
    Fixture, APPENDED_FROM, FIXTURES, FIXTURE_ALLOCATIONS, FIXTURE_BANK_ACCOUNT, FIXTURE_TERMS_DAYS,
};
use super::ids::named_id;
use super::record::{
    Kind, Line, LineAmounts, Record, Status, TaxCode, DAY_MS, EPOCH_DAY_MS, FLAG_FIXTURE,
};
use super::strings::Strings;
use super::{Allocation, Contact, Country, Org, OrgProfile, Source, Stream, StreamName};

/// Records are stamped as updated at 10:00 UTC on their date (plus their sequence number in
/// milliseconds, which keeps every generated stamp unique; edits may later share one).
const UPDATED_OFFSET_MS: i64 = 10 * 3600 * 1000;
/// Scheduled payments may use at most this share of a channel, so small datasets still have
/// a mix of irregular spend rather than only rent and payroll.
const PERIODIC_SHARE_PERCENT: usize = 45;
const MAX_LINES: usize = 3;
/// Random stream numbers for the credit notes' id keys, clear of the organisations' own.
const CREDIT_NOTE_RNG_STREAM: u64 = 0x100;
/// One credit note per this many bills (and as many sales).
const CREDIT_NOTE_EVERY: usize = 100;

pub fn generate_org(
    profile: &'static OrgProfile,
    index: u64,
    seed: u64,
    records_per_org: usize,
) -> Org {
    generate_org_with(profile, index, seed, records_per_org, true)
}

/// `generate_org`, optionally without the Xero fixtures (the QuickBooks company has its own).
/// With them left out, no record makes room for one, so every record is generated.
pub fn generate_org_with(
    profile: &'static OrgProfile,
    index: u64,
    seed: u64,
    records_per_org: usize,
    with_fixtures: bool,
) -> Org {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let tenant = Uuid::parse_str(profile.tenant_id).expect("profile tenant ids are valid");
    let accounts = standard_chart(&tenant, profile.country);
    let mut tables = Tables::new(tenant);
    let parties = match profile.country {
        Country::Uk => UK_PARTIES,
        Country::Us => US_PARTIES,
    };
    let prepared: Vec<Prepared> = parties
        .iter()
        .map(|p| tables.prepare(p, &accounts))
        .collect();
    let bank_key: u64 = rng.random();
    let invoice_key: u64 = rng.random();

    let fixtures: Vec<(usize, &Fixture)> = FIXTURES
        .iter()
        .enumerate()
        .filter(|(_, f)| with_fixtures && f.country == profile.country)
        .collect();
    // Only the fixtures sorted in among generated records make room in the plan; appended
    // ones take the places of the last generated records (see APPENDED_FROM).
    let sorted_in = |f: &Fixture, i: usize| i < APPENDED_FROM && !f.is_credit_note();
    let bank_fixtures = fixtures
        .iter()
        .filter(|(i, f)| sorted_in(f, *i) && !f.is_invoice())
        .count();
    let invoice_fixtures = fixtures
        .iter()
        .filter(|(i, f)| sorted_in(f, *i) && f.is_invoice())
        .count();
    let bank_total = (records_per_org * 7 + 5) / 10;
    let invoice_total = records_per_org - bank_total;

    let mut gen = Gen {
        rng,
        country: profile.country,
        accounts: &accounts,
        prepared: &prepared,
    };

    let mut bank = Vec::with_capacity(bank_total.max(bank_fixtures));
    gen.plan_bank(
        bank_total.saturating_sub(bank_fixtures),
        &mut tables,
        profile,
        &mut bank,
    );
    let mut invoices = Vec::with_capacity(invoice_total.max(invoice_fixtures));
    gen.plan_invoices(
        invoice_total.saturating_sub(invoice_fixtures),
        &mut invoices,
    );
    let (mut bank_appended, mut invoices_appended, mut credit_notes) =
        (Vec::new(), Vec::new(), Vec::new());
    for &(i, fixture) in &fixtures {
        let draft = gen.fixture_draft(i, fixture, &mut tables);
        let appended = i >= APPENDED_FROM;
        match (fixture.is_credit_note(), fixture.is_invoice(), appended) {
            (true, _, _) => credit_notes.push(draft),
            (false, true, false) => invoices.push(draft),
            (false, true, true) => invoices_appended.push(draft),
            (false, false, false) => bank.push(draft),
            (false, false, true) => bank_appended.push(draft),
        }
    }

    let bank = build_stream(bank, bank_appended, bank_key);
    let invoices = build_stream(invoices, invoices_appended, invoice_key);
    credit_notes.extend(credit_note_drafts(&invoices, &mut tables.strings));
    let mut key_rng = ChaCha8Rng::seed_from_u64(seed);
    key_rng.set_stream(CREDIT_NOTE_RNG_STREAM + index);
    let credit_notes = build_stream(credit_notes, Vec::new(), key_rng.random());
    let allocations = resolve_allocations(&bank, &invoices, &credit_notes);

    Org {
        profile,
        tenant_id: tenant,
        bank,
        invoices,
        credit_notes,
        allocations,
        accounts,
        contacts: tables.contacts,
        sources: tables.sources,
        strings: tables.strings,
    }
}

/// Partial refunds of an invoice's first line (10–50% of it), dated two to five weeks after
/// the invoice: one for every `CREDIT_NOTE_EVERY` live bills (the 50th, 150th, …) and sales
/// (the 10th, 110th, …). They are left unallocated, so no invoice's amounts change.
fn credit_note_drafts(invoices: &Stream, strings: &mut Strings) -> Vec<Draft> {
    let mut out = Vec::new();
    let (mut bills, mut sales) = (0usize, 0usize);
    for (seq, r) in invoices.records.iter().enumerate() {
        if r.is_fixture() || !matches!(r.status, Status::Authorised | Status::Paid) {
            continue;
        }
        let kind = match r.kind {
            Kind::AccPay => {
                bills += 1;
                if bills % CREDIT_NOTE_EVERY != CREDIT_NOTE_EVERY / 2 {
                    continue;
                }
                Kind::AccPayCredit
            }
            Kind::AccRec => {
                sales += 1;
                if sales % CREDIT_NOTE_EVERY != CREDIT_NOTE_EVERY / 10 {
                    continue;
                }
                Kind::AccRecCredit
            }
            _ => continue,
        };
        let first = invoices.lines[r.line_start as usize];
        // A fixed scramble of the sequence number: varied, yet the same for every seed.
        let h = (seq as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
        let percent = 10 + (h % 41) as i64;
        let cents = (first.line_cents() * percent / 100).max(1);
        let day = (u32::from(r.day) + 14 + ((h >> 8) % 22) as u32).min(u32::from(DAYS) - 1);
        let desc = format!("Refund: {}", strings.get(first.desc));
        let line = Line {
            unit_cents: i32::try_from(cents).unwrap_or(i32::MAX),
            desc: strings.intern(&desc),
            account: first.account,
            tax: first.tax,
            qty: 1,
        };
        out.push(Draft {
            day: day as u16,
            tiebreak: seq as u32,
            kind,
            status: Status::Authorised,
            amounts: r.amounts,
            source: r.source,
            ref_num: seq as u32,
            extra: 0,
            flags: 0,
            line_count: 1,
            lines: [line, NO_LINE, NO_LINE],
        });
    }
    out
}

/// Turns `FIXTURE_ALLOCATIONS` into sequence numbers, for the organisation that holds both
/// ends. Each allocation applies the whole total of its credit note or prepayment.
fn resolve_allocations(bank: &Stream, invoices: &Stream, credit_notes: &Stream) -> Vec<Allocation> {
    let parse = |id: &str| Uuid::parse_str(id).expect("fixture ids are valid");
    FIXTURE_ALLOCATIONS
        .iter()
        .filter_map(|a| {
            let (from_id, invoice_id) = (parse(a.from), parse(a.invoice));
            let invoice_seq = invoices.seq_of(&invoice_id)?;
            let (from, stream) = match credit_notes.seq_of(&from_id) {
                Some(_) => (StreamName::CreditNotes, credit_notes),
                None => (StreamName::BankTransactions, bank),
            };
            let from_seq = stream.seq_of(&from_id)?;
            let record = &stream.records[from_seq as usize];
            let (y, m, d) = a.date;
            let month = ((y - 2023) * 12 + m as i32 - 1) as usize;
            Some(Allocation {
                from,
                from_seq,
                invoice_seq,
                cents: record.totals(&stream.lines).2,
                day: MONTH_STARTS[month] + d as u16 - 1,
            })
        })
        .collect()
}

/// A record before it has its place in the ordering.
#[derive(Clone, Copy)]
struct Draft {
    day: u16,
    tiebreak: u32,
    kind: Kind,
    status: Status,
    amounts: LineAmounts,
    source: u16,
    ref_num: u32,
    extra: u8,
    flags: u8,
    line_count: u8,
    lines: [Line; MAX_LINES],
}

const NO_LINE: Line = Line {
    unit_cents: 0,
    desc: 0,
    account: 0,
    tax: TaxCode::None,
    qty: 1,
};

/// Contacts, sources and strings, shared by every record of the organisation.
struct Tables {
    tenant: Uuid,
    contacts: Vec<Contact>,
    contact_by_name: HashMap<&'static str, u16>,
    sources: Vec<Source>,
    strings: Strings,
}

impl Tables {
    fn new(tenant: Uuid) -> Self {
        Tables {
            tenant,
            contacts: Vec::new(),
            contact_by_name: HashMap::new(),
            sources: Vec::new(),
            strings: Strings::default(),
        }
    }

    fn contact(&mut self, name: &'static str) -> u16 {
        if let Some(&i) = self.contact_by_name.get(name) {
            return i;
        }
        let i = self.contacts.len() as u16;
        self.contacts.push(Contact {
            id: named_id(&self.tenant, "contact", name),
            name,
        });
        self.contact_by_name.insert(name, i);
        i
    }

    fn source(
        &mut self,
        contact: &'static str,
        reference: &'static str,
        invoice_number: &'static str,
    ) -> u16 {
        let contact = self.contact(contact);
        self.sources.push(Source {
            contact,
            reference,
            invoice_number,
        });
        (self.sources.len() - 1) as u16
    }

    /// Works out everything about a party that does not change per record, including every
    /// description it can produce, so drawing a record allocates nothing.
    fn prepare(&mut self, party: &'static Party, accounts: &[Account]) -> Prepared {
        let source = self.source(party.name, party.reference, party.invoice_number);
        let lines = party
            .lines
            .iter()
            .take(MAX_LINES)
            .map(|spec| {
                let code = if spec.account.is_empty() {
                    party.account
                } else {
                    spec.account
                };
                let descs = if spec.desc.contains("{pick}") {
                    party
                        .picks
                        .iter()
                        .map(|pick| self.strings.intern(&spec.desc.replace("{pick}", pick)))
                        .collect()
                } else if spec.desc.contains('{') {
                    (0..MONTHS)
                        .map(|m| self.strings.intern(&calendar::render(spec.desc, m, 0)))
                        .collect()
                } else {
                    vec![self.strings.intern(spec.desc)]
                };
                PreparedLine {
                    spec,
                    account: chart::index_of(accounts, code),
                    vat: spec.vat.unwrap_or(party.vat),
                    descs,
                    by_month: !spec.desc.contains("{pick}") && spec.desc.contains('{'),
                }
            })
            .collect();
        Prepared {
            party,
            source,
            lines,
        }
    }
}

struct Prepared {
    party: &'static Party,
    source: u16,
    lines: Vec<PreparedLine>,
}

struct PreparedLine {
    spec: &'static LineSpec,
    account: u8,
    vat: Vat,
    /// Interned descriptions: one per month, one per pick, or just one.
    descs: Vec<u32>,
    by_month: bool,
}

struct Gen<'a> {
    rng: ChaCha8Rng,
    country: Country,
    accounts: &'a [Account],
    prepared: &'a [Prepared],
}

impl Gen<'_> {
    fn plan_bank(
        &mut self,
        count: usize,
        tables: &mut Tables,
        profile: &'static OrgProfile,
        out: &mut Vec<Draft>,
    ) {
        let receipts = percent(count, 15);
        let pairs = percent(count, 3) / 2;
        let spend = count - receipts - 2 * pairs;
        self.plan_channel(Channel::Spend, spend, out);
        self.plan_channel(Channel::Receive, receipts, out);
        self.plan_transfers(pairs, tables, profile, out);
    }

    fn plan_invoices(&mut self, count: usize, out: &mut Vec<Draft>) {
        let sales = percent(count, 20);
        self.plan_channel(Channel::Bill, count - sales, out);
        self.plan_channel(Channel::Sale, sales, out);
    }

    fn plan_channel(&mut self, channel: Channel, count: usize, out: &mut Vec<Draft>) {
        let prepared = self.prepared;

        // Scheduled occurrences first: (month, day of month, jitter, party).
        let mut scheduled: Vec<(usize, u8, u8, usize)> = Vec::new();
        for (pi, p) in prepared.iter().enumerate() {
            if p.party.channel != channel {
                continue;
            }
            if let Rhythm::Periodic {
                every,
                phase,
                days,
                jitter,
            } = p.party.rhythm
            {
                for m in (usize::from(phase)..MONTHS).step_by(usize::from(every.max(1))) {
                    for &d in days {
                        scheduled.push((m, d, jitter, pi));
                    }
                }
            }
        }
        let cap = count * PERIODIC_SHARE_PERCENT / 100;
        if scheduled.len() > cap {
            // Keep an even spread through the two years when there is no room for all.
            scheduled.sort_unstable();
            let len = scheduled.len();
            scheduled = (0..cap)
                .map(|i| scheduled[(2 * i + 1) * len / (2 * cap)])
                .collect();
        }
        for &(month, dom, jitter, pi) in &scheduled {
            let day = self.scheduled_day(month, dom, jitter);
            let draft = self.draft(&prepared[pi], day, true);
            out.push(draft);
        }

        // The rest on random days, parties drawn by weight.
        let mut irregular: Vec<(u32, usize)> = Vec::new();
        let mut total = 0u32;
        for (pi, p) in prepared.iter().enumerate() {
            if p.party.channel != channel {
                continue;
            }
            if let Rhythm::Irregular { weight } = p.party.rhythm {
                total += weight;
                irregular.push((total, pi));
            }
        }
        if irregular.is_empty() {
            return;
        }
        for _ in scheduled.len()..count {
            let ticket = self.rng.random_range(0..total);
            let at = irregular.partition_point(|&(cum, _)| cum <= ticket);
            let day = self.random_day();
            let draft = self.draft(&prepared[irregular[at].1], day, false);
            out.push(draft);
        }
    }

    /// Money swept from the current account to savings: Xero records a transfer as a
    /// SPEND-TRANSFER on the source account and a RECEIVE-TRANSFER on the destination.
    fn plan_transfers(
        &mut self,
        pairs: usize,
        tables: &mut Tables,
        profile: &'static OrgProfile,
        out: &mut Vec<Draft>,
    ) {
        if pairs == 0 {
            return;
        }
        let current = chart::index_of(self.accounts, "090");
        let savings = chart::index_of(self.accounts, "091");
        let out_source = tables.source(profile.name, "Transfer to savings", "");
        let in_source = tables.source(profile.name, "Transfer from current account", "");
        let out_desc = tables
            .strings
            .intern("Transfer to Business Savings Account");
        let in_desc = tables.strings.intern("Transfer from Business Bank Account");
        for i in 0..pairs {
            let spaced = ((2 * i + 1) * usize::from(DAYS)) / (2 * pairs);
            let day = (spaced as u16 + self.rng.random_range(0..3)).min(DAYS - 1);
            let u: f64 = self.rng.random();
            let cents = ((1000.0 * 15f64.powf(u)).round() as i64 / 500 * 500).max(500) * 100;
            let transfer = |kind, source, bank, line_account, desc, tiebreak| Draft {
                day,
                tiebreak,
                kind,
                status: Status::Authorised,
                amounts: LineAmounts::NoTax,
                source,
                ref_num: 0,
                extra: bank,
                flags: 0,
                line_count: 1,
                lines: [
                    Line {
                        unit_cents: cents as i32,
                        desc,
                        account: line_account,
                        tax: TaxCode::None,
                        qty: 1,
                    },
                    NO_LINE,
                    NO_LINE,
                ],
            };
            let tiebreak: u32 = self.rng.random();
            out.push(transfer(
                Kind::SpendTransfer,
                out_source,
                current,
                savings,
                out_desc,
                tiebreak,
            ));
            out.push(transfer(
                Kind::ReceiveTransfer,
                in_source,
                savings,
                current,
                in_desc,
                tiebreak.wrapping_add(1),
            ));
        }
    }

    fn scheduled_day(&mut self, month: usize, dom: u8, jitter: u8) -> u16 {
        let jitter = i32::from(jitter);
        let shift = if jitter > 0 {
            self.rng.random_range(-jitter..=jitter)
        } else {
            0
        };
        let dom = (i32::from(dom) + shift).clamp(1, i32::from(month_length(month)));
        MONTH_STARTS[month] + dom as u16 - 1
    }

    /// Mostly working days: a weekend draw is redrawn three times out of four.
    fn random_day(&mut self) -> u16 {
        let day = self.rng.random_range(0..DAYS);
        if weekday(day) >= 5 && self.rng.random_bool(0.75) {
            return self.rng.random_range(0..DAYS);
        }
        day
    }

    fn draft(&mut self, p: &Prepared, day: u16, scheduled: bool) -> Draft {
        let party = p.party;
        let month = month_of(day);
        let sales = matches!(party.channel, Channel::Receive | Channel::Sale);
        let amounts = match self.country {
            Country::Us => LineAmounts::NoTax,
            Country::Uk if party.vat == Vat::Outside => LineAmounts::NoTax,
            Country::Uk => match party.channel {
                Channel::Spend | Channel::Receive => LineAmounts::Inclusive,
                Channel::Sale => LineAmounts::Exclusive,
                Channel::Bill if self.rng.random_bool(0.25) => LineAmounts::Exclusive,
                Channel::Bill => LineAmounts::Inclusive,
            },
        };

        let mut lines = [NO_LINE; MAX_LINES];
        let mut count = 0;
        for (i, pl) in p.lines.iter().enumerate() {
            // Extra lines only on some irregular records: "some bills have 2–3 lines".
            if i > 0 && !scheduled && !self.rng.random_bool(0.5) {
                continue;
            }
            let cents = self.amount(pl.spec, party, month, scheduled);
            let qty = if i == 0 && party.max_qty > 1 {
                self.rng.random_range(1..=party.max_qty)
            } else {
                1
            };
            let unit = ((cents as f64 / f64::from(qty)).round() as i64).max(1);
            let desc = if pl.by_month {
                pl.descs[month]
            } else if pl.descs.len() > 1 {
                pl.descs[self.rng.random_range(0..pl.descs.len())]
            } else {
                pl.descs[0]
            };
            lines[count] = Line {
                unit_cents: unit as i32,
                desc,
                account: pl.account,
                tax: tax_code(self.country, pl.vat, sales, amounts),
                qty,
            };
            count += 1;
        }

        let (kind, extra) = match party.channel {
            Channel::Spend => (Kind::Spend, chart::index_of(self.accounts, "090")),
            Channel::Receive => (Kind::Receive, chart::index_of(self.accounts, "090")),
            Channel::Bill => (Kind::AccPay, party.terms_days),
            Channel::Sale => (Kind::AccRec, party.terms_days),
        };
        let status = match kind {
            Kind::AccPay | Kind::AccRec => self.invoice_status(day, party.terms_days),
            _ => Status::Authorised,
        };
        Draft {
            day,
            tiebreak: self.rng.random(),
            kind,
            status,
            amounts,
            source: p.source,
            ref_num: self.rng.random_range(100_000..1_000_000),
            extra,
            flags: 0,
            line_count: count as u8,
            lines,
        }
    }

    /// Bills due well before the end of the data are mostly paid; recent ones are open; a
    /// few were voided.
    fn invoice_status(&mut self, day: u16, terms: u8) -> Status {
        let roll: f64 = self.rng.random();
        let due = u32::from(day) + u32::from(terms);
        if roll < 0.015 {
            Status::Voided
        } else if due + 30 < u32::from(DAYS) && roll < 0.97 {
            Status::Paid
        } else {
            Status::Authorised
        }
    }

    fn amount(&mut self, spec: &LineSpec, party: &Party, month: usize, scheduled: bool) -> i64 {
        let u: f64 = self.rng.random();
        let base = if spec.max <= spec.min {
            spec.min
        } else if scheduled {
            // A regular bill wanders within its range rather than spanning orders of magnitude.
            spec.min + (spec.max - spec.min) * u
        } else {
            // Irregular spend is skewed: many small purchases, a few large ones.
            spec.min * (spec.max / spec.min).powf(u)
        };
        let mut value = base * season_factor(party.season, month % 12);
        if month >= 12 {
            value *= party.growth_2024;
        }
        let step = f64::from(party.step_cents.max(1));
        let cents = ((value * 100.0 / step).round() * step) as i64;
        cents.max(i64::from(party.step_cents.max(1)))
    }

    fn fixture_draft(&mut self, index: usize, f: &'static Fixture, tables: &mut Tables) -> Draft {
        let (y, m, d) = f.date;
        let month = ((y - 2023) * 12 + m as i32 - 1) as usize;
        let day = MONTH_STARTS[month] + d as u16 - 1;
        let source = tables.source(f.contact, f.reference, f.invoice_number);
        let mut lines = [NO_LINE; MAX_LINES];
        for (slot, fl) in lines.iter_mut().zip(f.lines) {
            *slot = Line {
                unit_cents: fl.cents,
                desc: tables.strings.intern(fl.desc),
                account: chart::index_of(self.accounts, fl.account),
                tax: fl.tax,
                qty: 1,
            };
        }
        Draft {
            day,
            tiebreak: self.rng.random(),
            kind: f.kind,
            status: f.status,
            amounts: f.amounts,
            source,
            // Fixtures keep the index of their definition here, which gives them their id.
            ref_num: index as u32,
            extra: if f.is_invoice() {
                FIXTURE_TERMS_DAYS
            } else if f.is_credit_note() {
                0
            } else {
                chart::index_of(self.accounts, FIXTURE_BANK_ACCOUNT)
            },
            flags: FLAG_FIXTURE,
            line_count: f.lines.len() as u8,
            lines,
        }
    }
}

fn percent(count: usize, pct: usize) -> usize {
    (count * pct + 50) / 100
}

fn tax_code(country: Country, vat: Vat, sales: bool, amounts: LineAmounts) -> TaxCode {
    if country == Country::Us || amounts == LineAmounts::NoTax {
        return TaxCode::None;
    }
    match vat {
        Vat::Standard if sales => TaxCode::Output2,
        Vat::Standard => TaxCode::Input2,
        Vat::Zero => TaxCode::ZeroRatedInput,
        Vat::Exempt => TaxCode::ExemptInput,
        Vat::Outside => TaxCode::None,
    }
}

fn season_factor(season: Season, month_of_year: usize) -> f64 {
    const HEATING: [f64; 12] = [
        1.55, 1.45, 1.25, 1.0, 0.8, 0.65, 0.6, 0.6, 0.7, 0.95, 1.25, 1.5,
    ];
    const COOLING: [f64; 12] = [
        0.9, 0.85, 0.9, 0.95, 1.05, 1.2, 1.3, 1.35, 1.25, 1.05, 0.95, 0.95,
    ];
    match season {
        Season::Flat => 1.0,
        Season::Heating => HEATING[month_of_year],
        Season::Cooling => COOLING[month_of_year],
    }
}

/// Sorts drafts by date, gives each its sequence number and unique `UpdatedDateUTC`, and
/// numbers the sales invoices in date order as Xero would have issued them.
///
/// `appended` fixtures (see `APPENDED_FROM`) each take over the sequence number of one of the
/// last generated records instead of being sorted in, so every other record keeps its
/// sequence number, id and stamp. A replaced record is one that stands alone: not a fixture,
/// not half of a transfer, not a sales invoice (whose number counts the ones before it). A
/// fixture is stamped at 10:00 on its own date plus its sequence number in milliseconds,
/// which no other record of that day has, so the stamp stays unique. With too few records to
/// replace, the rest go at the end.
fn build_stream(mut drafts: Vec<Draft>, appended: Vec<Draft>, id_key: u64) -> Stream {
    drafts.sort_unstable_by_key(|d| (d.day, d.tiebreak));
    let replaceable = |d: &Draft| {
        d.flags & FLAG_FIXTURE == 0
            && !matches!(
                d.kind,
                Kind::SpendTransfer | Kind::ReceiveTransfer | Kind::AccRec
            )
    };
    let mut slots: Vec<usize> = (0..drafts.len())
        .rev()
        .filter(|&i| replaceable(&drafts[i]))
        .take(appended.len())
        .collect();
    slots.reverse();
    let mut substitutes: Vec<Option<Draft>> = vec![None; drafts.len()];
    let mut appended = appended.into_iter();
    for (&slot, fixture) in slots.iter().zip(appended.by_ref()) {
        substitutes[slot] = Some(fixture);
    }
    let sorted = drafts.len();
    drafts.extend(appended);
    substitutes.resize(drafts.len(), None);
    let own_stamp = |d: &Draft, seq: usize| {
        EPOCH_DAY_MS + i64::from(d.day) * DAY_MS + UPDATED_OFFSET_MS + seq as i64
    };
    let mut records = Vec::with_capacity(drafts.len());
    let mut lines = Vec::with_capacity(drafts.len() + drafts.len() / 8);
    let mut fixture_ids = Vec::new();
    let mut last = i64::MIN;
    let mut newest = i64::MIN;
    let mut sales_number = 0u32;
    for (seq, generated) in drafts.iter().enumerate() {
        let updated = if seq < sorted {
            // Counted for the stamps after it even when a fixture takes its place, so
            // nothing after it moves.
            let updated = own_stamp(generated, seq).max(last.saturating_add(1));
            last = updated;
            updated
        } else {
            own_stamp(generated, seq)
        };
        let (d, updated) = match &substitutes[seq] {
            Some(fixture) => (fixture, own_stamp(fixture, seq)),
            None => (generated, updated),
        };
        newest = newest.max(updated);
        let fixture = d.flags & FLAG_FIXTURE != 0;
        let ref_num = if d.kind == Kind::AccRec && !fixture {
            sales_number += 1;
            sales_number
        } else {
            d.ref_num
        };
        if fixture {
            let id =
                Uuid::parse_str(FIXTURES[d.ref_num as usize].id).expect("fixture ids are valid");
            fixture_ids.push((seq as u32, id));
        }
        records.push(Record {
            updated_ms: updated,
            line_start: u32::try_from(lines.len()).expect("fewer than 4 billion lines"),
            ref_num,
            day: d.day,
            source: d.source,
            kind: d.kind,
            status: d.status,
            amounts: d.amounts,
            line_count: d.line_count,
            flags: d.flags,
            extra: d.extra,
        });
        lines.extend_from_slice(&d.lines[..usize::from(d.line_count)]);
    }
    drop(drafts);
    let mut order: Vec<u32> = (0..records.len() as u32).collect();
    order.sort_unstable_by_key(|&s| (records[s as usize].updated_ms, s));
    let bills = order
        .iter()
        .copied()
        .filter(|&s| records[s as usize].kind.is_payable())
        .collect();
    Stream {
        records,
        lines,
        order,
        bills,
        last_updated_ms: if newest == i64::MIN { 0 } else { newest },
        id_key,
        fixture_ids,
        deleted: 0,
    }
}
