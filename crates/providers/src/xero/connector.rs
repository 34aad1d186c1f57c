//! Xero as a [`Connector`]: its Accounting API documents made platform-neutral.
//!
//! What each Xero document type means (see `docs/methodology.md`): `SPEND` and bills
//! (`ACCPAY`) are purchases; `SPEND-PREPAYMENT` and `SPEND-OVERPAYMENT` are not (the bill they
//! are allocated to is); `RECEIVE` and supplier credit notes (`ACCPAYCREDIT`) are refunds, so
//! their lines are signed negative; transfers and anything issued to customers are not spend.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{
    check_page_size, BankTransaction, CreditNote, Invoice, LineItem, Page, XeroClient,
    XeroEndpoints,
};
use crate::connector::{
    Account, Connector, ConnectorSettings, DocumentKind, DocumentLine, DocumentPage, GrantExtras,
    Organisation, Registration, SpendDocument, StreamSpec, Tenant,
};
use crate::{CallMeter, ProviderError};

/// Xero's entry in the connector registry.
pub const REGISTRATION: Registration = Registration {
    platform: "xero",
    streams: STREAMS,
    build,
    kind_of,
    check_page_size: |size| {
        check_page_size(size).map_err(|_| {
            format!(
                "{size} is outside what Xero serves: use 1 to {} records a page",
                super::MAX_PAGE_SIZE
            )
        })
    },
    webhook: Some(&super::webhook::WEBHOOK),
};

const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: "bank_transactions",
        label: "Bank transactions",
        short: "Bank",
        singular: "Bank transaction",
    },
    StreamSpec {
        name: "bills",
        label: "Bills",
        short: "Bill",
        singular: "Bill",
    },
    StreamSpec {
        name: "credit_notes",
        label: "Supplier credit notes",
        short: "Credit",
        singular: "Supplier credit note",
    },
];

fn build(settings: &ConnectorSettings) -> Result<Arc<dyn Connector>, ProviderError> {
    let endpoints = XeroEndpoints::from_catalogue(&settings.endpoints)?;
    let client = XeroClient::new(endpoints, settings.page_size, settings.retry.clone())?;
    Ok(Arc::new(XeroConnector { client }))
}

/// Xero's Accounting API through the platform-neutral interface.
#[derive(Debug, Clone)]
pub struct XeroConnector {
    client: XeroClient,
}

impl XeroConnector {
    pub fn new(client: XeroClient) -> Self {
        XeroConnector { client }
    }
}

/// A bank transaction's `Type` → its kind and the sign of its lines as spend.
fn bank_kind(kind: &str) -> (DocumentKind, Decimal) {
    match kind.to_ascii_uppercase().as_str() {
        "SPEND" => (DocumentKind::BankSpend, Decimal::ONE),
        "SPEND-PREPAYMENT" => (DocumentKind::Prepayment, Decimal::ONE),
        "SPEND-OVERPAYMENT" => (DocumentKind::Overpayment, Decimal::ONE),
        "SPEND-TRANSFER" | "RECEIVE-TRANSFER" => (DocumentKind::BankTransfer, Decimal::ONE),
        // Money back from a supplier: negative spend where it lands on a purchase account.
        "RECEIVE" => (DocumentKind::BankReceive, Decimal::NEGATIVE_ONE),
        // Customers' prepayments and overpayments, and anything Xero adds later, are money in:
        // income, never a purchase.
        _ => (DocumentKind::Income, Decimal::ONE),
    }
}

/// An invoice's or credit note's `Type` → its kind and sign.
fn invoice_kind(kind: &str) -> (DocumentKind, Decimal) {
    match kind.to_ascii_uppercase().as_str() {
        "ACCPAY" => (DocumentKind::Bill, Decimal::ONE),
        "ACCPAYCREDIT" => (DocumentKind::SupplierCredit, Decimal::NEGATIVE_ONE),
        _ => (DocumentKind::Income, Decimal::ONE),
    }
}

/// The kind of a stored Xero record from its `Type`, whichever document it came from: the
/// bank-transaction and invoice types do not overlap.
fn kind_of(type_name: &str) -> DocumentKind {
    match bank_kind(type_name).0 {
        DocumentKind::Income => invoice_kind(type_name).0,
        kind => kind,
    }
}

fn is_deleted(status: Option<&str>) -> bool {
    status.is_some_and(|s| matches!(s.to_ascii_uppercase().as_str(), "DELETED" | "VOIDED"))
}

/// What every Xero document has beyond its lines.
struct Head<'a> {
    kind: (DocumentKind, Decimal),
    id: &'a str,
    type_name: &'a str,
    status: Option<&'a str>,
    date: chrono::NaiveDate,
    contact: &'a Option<String>,
    reference: Option<String>,
    currency: &'a Option<String>,
    line_amount_types: &'a str,
    total: Option<Decimal>,
    updated: DateTime<Utc>,
}

fn document(head: Head<'_>, items: &[LineItem]) -> SpendDocument {
    let (kind, sign) = head.kind;
    let lines = items
        .iter()
        .map(|li| DocumentLine {
            description: li.description.clone(),
            // Xero's lines name the account by its code, which the mapping keys on too.
            account_ref: li.account_code.clone().filter(|c| !c.is_empty()),
            net_amount: sign * li.net_amount(head.line_amount_types),
        })
        .collect();
    // Xero's documented default: without a Total, the lines are the document.
    let total = head.total.unwrap_or_else(|| {
        let exclusive = head.line_amount_types.eq_ignore_ascii_case("Exclusive");
        items
            .iter()
            .map(|li| {
                li.line_amount
                    + if exclusive {
                        li.tax_amount
                    } else {
                        Decimal::ZERO
                    }
            })
            .sum()
    });
    SpendDocument {
        id: head.id.to_owned(),
        kind,
        type_name: head.type_name.to_owned(),
        status: head.status.unwrap_or("AUTHORISED").to_owned(),
        deleted: is_deleted(head.status),
        date: head.date,
        contact: head.contact.clone(),
        reference: head.reference,
        currency: head.currency.clone(),
        tax_mode: Some(head.line_amount_types.to_owned()),
        lines,
        total: sign * total,
        updated: head.updated,
        tombstone: false,
    }
}

/// A bank transaction as a spend document.
pub fn bank_transaction(t: &BankTransaction) -> SpendDocument {
    document(
        Head {
            kind: bank_kind(&t.kind),
            id: &t.id,
            type_name: &t.kind,
            status: t.status.as_deref(),
            date: t.date,
            contact: &t.contact_name,
            reference: t.reference.clone(),
            currency: &t.currency,
            line_amount_types: &t.line_amount_types,
            total: t.total,
            updated: t.updated,
        },
        &t.line_items,
    )
}

/// A bill (or any invoice) as a spend document.
pub fn bill(i: &Invoice) -> SpendDocument {
    document(
        Head {
            kind: invoice_kind(&i.kind),
            id: &i.id,
            type_name: &i.kind,
            status: i.status.as_deref(),
            date: i.date,
            contact: &i.contact_name,
            reference: i.reference.clone().or_else(|| i.invoice_number.clone()),
            currency: &i.currency,
            line_amount_types: &i.line_amount_types,
            total: i.total,
            updated: i.updated,
        },
        &i.line_items,
    )
}

/// A credit note as a spend document.
pub fn credit_note(c: &CreditNote) -> SpendDocument {
    document(
        Head {
            kind: invoice_kind(&c.kind),
            id: &c.id,
            type_name: &c.kind,
            status: c.status.as_deref(),
            date: c.date,
            contact: &c.contact_name,
            reference: c.reference.clone().or_else(|| c.credit_note_number.clone()),
            currency: &c.currency,
            line_amount_types: &c.line_amount_types,
            total: c.total,
            updated: c.updated,
        },
        &c.line_items,
    )
}

/// A Xero page made neutral; `asked` and the page size decide whether it was the last.
fn neutral<T, U>(
    page: Page<T>,
    asked: u32,
    page_size: u32,
    map: impl Fn(&T) -> U,
) -> DocumentPage<U> {
    DocumentPage {
        last: page.is_last(asked, page_size),
        server_time: page.server_time,
        resync: None,
        items: page.items.iter().map(map).collect(),
        unreadable: page.unreadable,
    }
}

#[async_trait]
impl Connector for XeroConnector {
    fn platform(&self) -> &'static str {
        "xero"
    }

    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }

    fn page_size(&self) -> u32 {
        self.client.page_size()
    }

    async fn tenants(
        &self,
        access_token: &str,
        _extras: &GrantExtras,
    ) -> Result<Vec<Tenant>, ProviderError> {
        Ok(self
            .client
            .connections(access_token)
            .await?
            .into_iter()
            .map(|t| Tenant {
                id: t.id,
                tenant_id: t.tenant_id,
                tenant_type: t.tenant_type,
                tenant_name: t.tenant_name,
            })
            .collect())
    }

    async fn organisation(
        &self,
        access_token: &str,
        tenant_id: &str,
    ) -> Result<Organisation, ProviderError> {
        let org = self.client.organisation(access_token, tenant_id).await?;
        Ok(Organisation {
            name: org.name,
            base_currency: org.base_currency,
        })
    }

    async fn accounts(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        meter: &CallMeter,
    ) -> Result<DocumentPage<Account>, ProviderError> {
        let page = self
            .client
            .accounts(access_token, tenant_id, modified_since, meter)
            .await?;
        Ok(DocumentPage {
            // Xero does not page the chart of accounts.
            last: true,
            server_time: page.server_time,
            resync: None,
            items: page
                .items
                .into_iter()
                .map(|a| Account {
                    account_id: a.account_id,
                    line_ref: a.code.clone(),
                    mapping_key: a.code.clone(),
                    code: a.code,
                    name: a.name,
                    account_type: a.account_type,
                    class: a.class,
                    status: a.status,
                    tax_type: a.tax_type,
                    updated: a.updated,
                })
                .collect(),
            unreadable: page.unreadable,
        })
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
        let size = self.client.page_size();
        let c = &self.client;
        Ok(match stream {
            "bank_transactions" => neutral(
                c.bank_transactions(access_token, tenant_id, modified_since, page, meter)
                    .await?,
                page,
                size,
                bank_transaction,
            ),
            "bills" => neutral(
                c.bills(access_token, tenant_id, modified_since, page, meter)
                    .await?,
                page,
                size,
                bill,
            ),
            "credit_notes" => neutral(
                c.supplier_credit_notes(access_token, tenant_id, modified_since, page, meter)
                    .await?,
                page,
                size,
                credit_note,
            ),
            other => {
                return Err(ProviderError::InvalidConfig {
                    detail: format!("Xero has no stream called {other:?}"),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_xero_type_has_its_kind_and_sign() {
        for (name, kind) in [
            ("SPEND", DocumentKind::BankSpend),
            ("spend", DocumentKind::BankSpend),
            ("SPEND-PREPAYMENT", DocumentKind::Prepayment),
            ("SPEND-OVERPAYMENT", DocumentKind::Overpayment),
            ("SPEND-TRANSFER", DocumentKind::BankTransfer),
            ("RECEIVE-TRANSFER", DocumentKind::BankTransfer),
            ("RECEIVE", DocumentKind::BankReceive),
            ("RECEIVE-PREPAYMENT", DocumentKind::Income),
            ("ACCPAY", DocumentKind::Bill),
            ("ACCPAYCREDIT", DocumentKind::SupplierCredit),
            ("ACCREC", DocumentKind::Income),
            ("ACCRECCREDIT", DocumentKind::Income),
        ] {
            assert_eq!(kind_of(name), kind, "{name}");
        }
        assert_eq!(bank_kind("RECEIVE").1, Decimal::NEGATIVE_ONE);
        assert_eq!(invoice_kind("ACCPAYCREDIT").1, Decimal::NEGATIVE_ONE);
    }
}
