//! QuickBooks Online as a [`Connector`].
//!
//! What each transaction means (see `docs/methodology.md`): a Purchase (cash, check or credit
//! card) and a Bill are purchases; a Purchase with `Credit: true` (a credit card credit) and a
//! VendorCredit are refunds, so their lines are signed negative. Lines name accounts by `Id`;
//! the mapping keys on the account's `AccountSubType`. An item-based line names an item, not an
//! account, and stays unmapped until the item's expense account is mapped.
//!
//! Reading: a stream read whole (or from a time more than 30 days back) is paged with the query
//! endpoint; one read from a recent position asks change data capture once, which reports the
//! edits and the deletions together (deleted objects never appear in a query).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::client::{QuickBooksClient, Select, CDC_MAX_OBJECTS, CDC_REACH_DAYS, MAX_PAGE_SIZE};
use super::shapes::{self, Line, Transaction};
use crate::connector::{
    Account, ChangeFeed, Connector, ConnectorSettings, DocumentKind, DocumentLine, DocumentPage,
    GrantExtras, Organisation, Registration, SpendDocument, StreamSpec, Tenant,
};
use crate::{CallMeter, ProviderError};

/// QuickBooks' entry in the connector registry.
pub const REGISTRATION: Registration = Registration {
    platform: "quickbooks",
    streams: STREAMS,
    build,
    kind_of,
    check_page_size: |size| {
        super::client::check_page_size(size).map_err(|_| {
            format!(
                "{size} is outside what QuickBooks serves: use 1 to {MAX_PAGE_SIZE} records a page"
            )
        })
    },
    webhook: Some(&super::webhook::WEBHOOK),
};

/// The grant extra naming the company: QuickBooks adds `realmId` to the sign-in's callback.
pub const REALM_EXTRA: &str = "realmId";

const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: "purchases",
        label: "Purchases",
        short: "Purchase",
        singular: "Purchase",
    },
    StreamSpec {
        name: "bills",
        label: "Bills",
        short: "Bill",
        singular: "Bill",
    },
    StreamSpec {
        name: "vendor_credits",
        label: "Vendor credits",
        short: "Credit",
        singular: "Vendor credit",
    },
];

/// The type name stored for a card refund: QuickBooks shows a Purchase with `Credit: true` as a
/// "Credit Card Credit".
const CARD_CREDIT: &str = "CreditCardCredit";

/// A stream's QuickBooks entity.
fn entity(stream: &str) -> Option<&'static str> {
    Some(match stream {
        "purchases" => "Purchase",
        "bills" => "Bill",
        "vendor_credits" => "VendorCredit",
        _ => return None,
    })
}

fn build(settings: &ConnectorSettings) -> Result<Arc<dyn Connector>, ProviderError> {
    let client = QuickBooksClient::new(
        &settings.endpoints,
        settings.page_size,
        settings.retry.clone(),
    )?;
    Ok(Arc::new(QuickBooksConnector { client }))
}

/// The kind of a stored QuickBooks record from its type name.
fn kind_of(type_name: &str) -> DocumentKind {
    match type_name {
        "Purchase" => DocumentKind::BankSpend,
        CARD_CREDIT => DocumentKind::BankReceive,
        "Bill" => DocumentKind::Bill,
        "VendorCredit" => DocumentKind::SupplierCredit,
        _ => DocumentKind::Income,
    }
}

/// QuickBooks Online's Accounting API through the platform-neutral interface.
#[derive(Debug, Clone)]
pub struct QuickBooksConnector {
    client: QuickBooksClient,
}

impl QuickBooksConnector {
    pub fn new(client: QuickBooksClient) -> Self {
        QuickBooksConnector { client }
    }

    /// How far back change data capture is asked, with an hour to spare for the time between
    /// deciding and asking.
    fn reach() -> chrono::Duration {
        chrono::Duration::days(CDC_REACH_DAYS) - chrono::Duration::hours(1)
    }
}

/// A transaction of `entity` as a spend document.
pub fn document(entity: &str, t: &Transaction) -> SpendDocument {
    let card_credit = entity == "Purchase" && t.credit == Some(true);
    let type_name = if card_credit { CARD_CREDIT } else { entity };
    let kind = kind_of(type_name);
    let sign = match kind {
        DocumentKind::BankReceive | DocumentKind::SupplierCredit => Decimal::NEGATIVE_ONE,
        _ => Decimal::ONE,
    };
    let lines: Vec<DocumentLine> = t
        .lines
        .iter()
        .filter(|l| counts_as_line(l))
        .map(|l| DocumentLine {
            description: l.description.clone(),
            account_ref: line_account(l),
            net_amount: sign * l.amount,
        })
        .collect();
    let voided = is_voided(t);
    let total = t.total_amt.unwrap_or_else(|| {
        t.lines
            .iter()
            .filter(|l| counts_as_line(l))
            .map(|l| l.amount)
            .sum()
    });
    SpendDocument {
        id: t.id.clone(),
        kind,
        type_name: type_name.to_owned(),
        status: if voided {
            "Voided".to_owned()
        } else {
            t.payment_type
                .clone()
                .unwrap_or_else(|| "Active".to_owned())
        },
        // A voided transaction stays in QuickBooks with zero amounts: it counts nothing, like a
        // deleted one, and says why.
        deleted: voided,
        date: t.txn_date,
        contact: t
            .vendor_ref
            .as_ref()
            .or(t.entity_ref.as_ref())
            .and_then(|r| r.name.clone()),
        reference: t.doc_number.clone(),
        currency: t.currency_ref.as_ref().map(|r| r.value.clone()),
        tax_mode: t.global_tax_calculation.clone(),
        lines,
        total: sign * total,
        updated: t.meta_data.last_updated,
        tombstone: false,
    }
}

/// QuickBooks voids a transaction by setting its amounts to zero and its memo to `Voided`.
fn is_voided(t: &Transaction) -> bool {
    t.total_amt.is_some_and(|a| a.is_zero())
        && t.private_note
            .as_deref()
            .is_some_and(|n| n.trim_start().to_ascii_lowercase().starts_with("voided"))
}

/// How a line names its account. An item-based line names an item, whose expense account is
/// on the item: it is named by its line type, which the mapping table keys too (unmapped, with
/// what to do).
fn line_account(line: &Line) -> Option<String> {
    if line.detail_type.as_deref() == Some(ITEM_LINE) {
        return Some(ITEM_LINE.to_owned());
    }
    line.account_based_expense_line_detail
        .as_ref()
        .and_then(|d| d.account_ref.as_ref())
        .map(|r| r.value.clone())
        .filter(|v| !v.is_empty())
}

/// Intuit's type of a line that buys an item.
const ITEM_LINE: &str = "ItemBasedExpenseLineDetail";

/// Lines that carry an expense: account- and item-based ones, and any other kind Intuit may add
/// that has an amount (kept, unmapped, rather than lost). Subtotal and description-only lines
/// are not expenses.
fn counts_as_line(line: &Line) -> bool {
    match line.detail_type.as_deref() {
        Some("SubTotalLineDetail" | "DescriptionOnly" | "DiscountLineDetail") => false,
        Some("AccountBasedExpenseLineDetail" | "ItemBasedExpenseLineDetail") => true,
        _ => !line.amount.is_zero(),
    }
}

fn page_of(
    entity: &str,
    items: Vec<Transaction>,
    unreadable: Vec<crate::Unreadable>,
    last: bool,
    server_time: Option<DateTime<Utc>>,
) -> DocumentPage<SpendDocument> {
    DocumentPage {
        items: items.iter().map(|t| document(entity, t)).collect(),
        unreadable,
        last,
        server_time,
        resync: None,
    }
}

#[async_trait]
impl Connector for QuickBooksConnector {
    fn platform(&self) -> &'static str {
        "quickbooks"
    }

    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }

    fn page_size(&self) -> u32 {
        self.client.page_size()
    }

    fn change_feed(&self) -> ChangeFeed {
        ChangeFeed::Window {
            reach: Self::reach(),
        }
    }

    /// The one company the grant was given for: QuickBooks names it on the sign-in's callback
    /// (`realmId`); its name comes from `CompanyInfo`.
    async fn tenants(
        &self,
        access_token: &str,
        extras: &GrantExtras,
    ) -> Result<Vec<Tenant>, ProviderError> {
        let Some(realm) = extras.get(REALM_EXTRA).filter(|r| !r.is_empty()) else {
            return Err(ProviderError::BadResponse {
                detail: "QuickBooks' sign-in answer named no company (realmId); connect again and choose a company".to_owned(),
            });
        };
        let info = self.client.company_info(access_token, realm).await?;
        Ok(vec![Tenant {
            id: String::new(),
            tenant_id: realm.clone(),
            tenant_type: "COMPANY".to_owned(),
            tenant_name: info.company_name,
        }])
    }

    async fn organisation(
        &self,
        access_token: &str,
        tenant_id: &str,
    ) -> Result<Organisation, ProviderError> {
        let info = self.client.company_info(access_token, tenant_id).await?;
        let base_currency = self.client.home_currency(access_token, tenant_id).await?;
        Ok(Organisation {
            name: info.company_name,
            base_currency,
        })
    }

    /// The chart of accounts, every page of it (a chart has hundreds of accounts at most).
    async fn accounts(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        meter: &CallMeter,
    ) -> Result<DocumentPage<Account>, ProviderError> {
        let size = self.client.page_size();
        let mut out = DocumentPage {
            items: Vec::new(),
            unreadable: Vec::new(),
            last: true,
            server_time: None,
            resync: None,
        };
        let mut start = 1;
        loop {
            let page = self
                .client
                .query::<shapes::Account>(
                    access_token,
                    tenant_id,
                    &Select {
                        entity: "Account",
                        // Intuit lists active accounts unless asked; lines made before an
                        // account was made inactive still name it.
                        also: Some("Active IN (true, false)"),
                        since: modified_since,
                        start_position: start,
                        max_results: size,
                    },
                    meter,
                )
                .await?;
            let len = page.len();
            out.server_time = out.server_time.or(page.server_time);
            out.unreadable.extend(page.unreadable);
            out.items.extend(page.items.into_iter().map(|a| {
                Account {
                    line_ref: Some(a.id.clone()),
                    mapping_key: a.account_sub_type.clone(),
                    account_id: a.id,
                    code: a.acct_num,
                    name: a.name,
                    account_type: a.account_type,
                    class: a.classification,
                    status: a
                        .active
                        .map(|active| if active { "Active" } else { "Inactive" }.to_owned()),
                    tax_type: None,
                    updated: a.meta_data.map(|m| m.last_updated),
                }
            }));
            if len < size as usize {
                return Ok(out);
            }
            start += size;
        }
    }

    async fn documents(
        &self,
        access_token: &str,
        tenant_id: &str,
        stream: &str,
        modified_since: Option<DateTime<Utc>>,
        page: u32,
        meter: &CallMeter,
    ) -> Result<DocumentPage<SpendDocument>, ProviderError> {
        let Some(entity) = entity(stream) else {
            return Err(ProviderError::InvalidConfig {
                detail: format!("QuickBooks has no stream called {stream:?}"),
            });
        };
        let recent = modified_since.filter(|t| *t > Utc::now() - Self::reach());
        if let Some(since) = recent {
            // One answer holds every change since the position, edits and deletions alike.
            if page > 1 {
                return Ok(page_of(entity, Vec::new(), Vec::new(), true, None));
            }
            let changes = self
                .client
                .changes(access_token, tenant_id, entity, since, meter)
                .await?;
            let mut out = page_of(
                entity,
                changes.changed,
                changes.unreadable,
                true,
                changes.server_time,
            );
            out.items.extend(
                changes
                    .deleted
                    .into_iter()
                    .map(|(id, at)| SpendDocument::tombstone(id, kind_of(entity), entity, at)),
            );
            if changes.answer_objects >= CDC_MAX_OBJECTS {
                out.resync = Some(format!(
                    "QuickBooks' change feed was cut at {CDC_MAX_OBJECTS} objects ({} of them {entity}), so deletions may be missing",
                    changes.objects
                ));
            }
            return Ok(out);
        }
        let size = self.client.page_size();
        let start = page
            .saturating_sub(1)
            .saturating_mul(size)
            .saturating_add(1);
        let answer = self
            .client
            .query::<Transaction>(
                access_token,
                tenant_id,
                &Select {
                    entity,
                    also: None,
                    since: modified_since,
                    start_position: start,
                    max_results: size,
                },
                meter,
            )
            .await?;
        let last = answer.len() < size as usize;
        Ok(page_of(
            entity,
            answer.items,
            answer.unreadable,
            last,
            answer.server_time,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(credit: Option<bool>) -> Transaction {
        let json = serde_json::json!({
            "Id": "1", "MetaData": {"LastUpdatedTime": "2024-03-12T10:15:30-07:00"},
            "TxnDate": "2024-03-12", "PaymentType": "CreditCard", "Credit": credit,
            "EntityRef": {"value": "5", "name": "Skyway Air"}, "TotalAmt": 1250.10,
            "Line": [
                {"Amount": 1250.10, "DetailType": "AccountBasedExpenseLineDetail",
                 "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}},
                {"Amount": 1250.10, "DetailType": "SubTotalLineDetail"},
                {"Amount": 3, "DetailType": "ItemBasedExpenseLineDetail",
                 "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "2"}}}
            ]
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_card_credit_is_a_refund_and_subtotals_are_not_lines() {
        let spend = document("Purchase", &purchase(None));
        assert_eq!(spend.kind, DocumentKind::BankSpend);
        assert_eq!(spend.lines.len(), 2);
        assert_eq!(spend.lines[0].account_ref.as_deref(), Some("7"));
        assert_eq!(
            spend.lines[1].account_ref.as_deref(),
            Some(ITEM_LINE),
            "an item line is named by its type, which the mapping table keys"
        );
        assert_eq!(spend.total, "1250.1".parse().unwrap());

        let refund = document("Purchase", &purchase(Some(true)));
        assert_eq!(refund.type_name, CARD_CREDIT);
        assert_eq!(kind_of(&refund.type_name), DocumentKind::BankReceive);
        assert_eq!(refund.lines[0].net_amount, "-1250.1".parse().unwrap());
        assert_eq!(refund.total, "-1250.1".parse().unwrap());
    }

    #[test]
    fn a_voided_transaction_counts_nothing() {
        let json = serde_json::json!({
            "Id": "7", "MetaData": {"LastUpdatedTime": "2024-03-12T10:15:30-07:00"},
            "TxnDate": "2024-03-12", "VendorRef": {"value": "5", "name": "FedEx"},
            "TotalAmt": 0, "PrivateNote": "Voided",
            "Line": [{"Amount": 0, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "20"}}}]
        });
        let t: Transaction = serde_json::from_value(json).unwrap();
        let doc = document("Bill", &t);
        assert!(doc.deleted);
        assert_eq!(doc.status, "Voided");
        let live = document(
            "Bill",
            &Transaction {
                private_note: Some("Paid by card".into()),
                ..t
            },
        );
        assert!(
            !live.deleted,
            "only the memo QuickBooks writes marks a void"
        );
    }

    #[test]
    fn every_stored_type_has_its_kind() {
        for (name, kind) in [
            ("Purchase", DocumentKind::BankSpend),
            (CARD_CREDIT, DocumentKind::BankReceive),
            ("Bill", DocumentKind::Bill),
            ("VendorCredit", DocumentKind::SupplierCredit),
        ] {
            assert_eq!(kind_of(name), kind);
        }
    }
}
