//! A parsed query resolved against the org's objects (names to columns, literals to values of
//! the column's type), and run over an object's live rows.
//!
//! Resolution fails the way Salesforce does: an unknown object is `INVALID_TYPE`, an unknown
//! field (or one field-level security hides) is `INVALID_FIELD`, a literal of the wrong kind
//! is `INVALID_FIELD`, a malformed id is `INVALID_QUERY_FILTER_OPERATOR`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value as Json;

use super::lex::{CmpOp, Pos};
use super::parse::{Condition, Literal, Name, Query};
use crate::salesforce::ids;
use crate::salesforce::org::{Org, Row};
use crate::salesforce::schema::{Column, FieldType, ObjectDef, ObjectKind, SystemField};
use crate::salesforce::value::Value;

/// Fields field-level security hides from the signed-in user, by object (proper names).
pub type Hidden = BTreeMap<ObjectKind, BTreeSet<&'static str>>;

/// Why a query that parses cannot run, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindError {
    pub at: Pos,
    pub code: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Compare(Column, CmpOp, Value),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderKey {
    pub column: Column,
    pub descending: bool,
    pub nulls_last: bool,
}

/// A query ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub object: ObjectKind,
    pub columns: Vec<Column>,
    pub filter: Option<Filter>,
    pub order: Vec<OrderKey>,
    pub limit: Option<usize>,
}

struct Binder<'a> {
    def: &'static ObjectDef,
    hidden: Option<&'a BTreeSet<&'static str>>,
}

impl Binder<'_> {
    fn column(&self, name: &Name) -> Result<Column, BindError> {
        let column = self
            .def
            .column(&name.text)
            .filter(|c| !self.hides(*c))
            .ok_or_else(|| BindError {
                at: name.at,
                code: "INVALID_FIELD",
                message: format!(
                    "No such column '{}' on entity '{}'. If you are attempting to use a custom \
                     field, be sure to append the '__c' after the custom field name. Please \
                     reference your WSDL or the describe call for the appropriate names.",
                    name.text, self.def.name
                ),
            })?;
        Ok(column)
    }

    fn hides(&self, column: Column) -> bool {
        let name = self.def.column_name(column);
        self.hidden.is_some_and(|h| h.contains(name))
    }

    fn filter(&self, condition: &Condition) -> Result<Filter, BindError> {
        Ok(match condition {
            Condition::And(terms) => Filter::And(self.filters(terms)?),
            Condition::Or(terms) => Filter::Or(self.filters(terms)?),
            Condition::Not(inner) => Filter::Not(Box::new(self.filter(inner)?)),
            Condition::Compare { field, op, value } => {
                let column = self.column(field)?;
                Filter::Compare(column, *op, self.value(field, column, value)?)
            }
        })
    }

    fn filters(&self, terms: &[Condition]) -> Result<Vec<Filter>, BindError> {
        terms.iter().map(|t| self.filter(t)).collect()
    }

    /// The literal as a value of the column's type.
    fn value(&self, field: &Name, column: Column, literal: &Literal) -> Result<Value, BindError> {
        let kind = self.def.column_type(column);
        let name = self.def.column_name(column);
        let wrong_type = || {
            let quoting = if matches!(
                kind,
                FieldType::Id
                    | FieldType::Reference
                    | FieldType::String
                    | FieldType::Textarea
                    | FieldType::Picklist
            ) {
                "should be enclosed in quotes"
            } else {
                "should not be enclosed in quotes"
            };
            BindError {
                at: field.at,
                code: "INVALID_FIELD",
                message: format!(
                    "value of filter criterion for field '{name}' must be of type {} and {quoting}",
                    kind.soap_name()
                ),
            }
        };
        if *literal == Literal::Null {
            return Ok(Value::Null);
        }
        Ok(match (kind, literal) {
            (FieldType::Id | FieldType::Reference, Literal::Str(s)) => {
                if ids::canonical(s).is_none() {
                    return Err(BindError {
                        at: field.at,
                        code: "INVALID_QUERY_FILTER_OPERATOR",
                        message: format!("invalid ID field: {s}"),
                    });
                }
                Value::Id(s.clone())
            }
            (FieldType::String | FieldType::Textarea | FieldType::Picklist, Literal::Str(s)) => {
                Value::Text(s.clone())
            }
            (FieldType::Boolean, Literal::Bool(b)) => Value::Bool(*b),
            (FieldType::Date, Literal::Date(d)) => Value::Date(*d),
            (FieldType::DateTime, Literal::DateTime(ms)) => Value::DateTime(*ms),
            (FieldType::Double { .. }, Literal::Number(n)) => {
                Value::Number(Decimal::from_str(n).map_err(|_| wrong_type())?)
            }
            _ => return Err(wrong_type()),
        })
    }
}

/// Resolves `query` against the org's objects, with the fields in `hidden` unreadable.
pub fn bind(query: &Query, hidden: &Hidden) -> Result<Plan, BindError> {
    let object = ObjectKind::parse(&query.object.text).ok_or_else(|| BindError {
        at: query.object.at,
        code: "INVALID_TYPE",
        message: format!(
            "sObject type '{}' is not supported. If you are attempting to use a custom object, \
             be sure to append the '__c' after the entity name. Please reference your WSDL or \
             the describe call for the appropriate names.",
            query.object.text
        ),
    })?;
    let binder = Binder {
        def: object.def(),
        hidden: hidden.get(&object),
    };
    let mut columns = Vec::with_capacity(query.fields.len());
    for name in &query.fields {
        let column = binder.column(name)?;
        if columns.contains(&column) {
            return Err(BindError {
                at: name.at,
                code: "MALFORMED_QUERY",
                message: format!("duplicate field selected: {}", name.text),
            });
        }
        columns.push(column);
    }
    let filter = query
        .filter
        .as_ref()
        .map(|c| binder.filter(c))
        .transpose()?;
    let order = query
        .order
        .iter()
        .map(|o| {
            Ok(OrderKey {
                column: binder.column(&o.field)?,
                descending: o.descending,
                nulls_last: o.nulls_last,
            })
        })
        .collect::<Result<_, BindError>>()?;
    Ok(Plan {
        object,
        columns,
        filter,
        order,
        limit: query.limit,
    })
}

/// Whether `value` (a row's) satisfies `op literal`. As in SOQL, `= null` and `!= null` test
/// for a missing value, `!=` also holds for a missing value, and an ordering never does.
fn compares(value: &Value, op: CmpOp, literal: &Value) -> bool {
    match (value.is_null(), literal.is_null()) {
        (_, true) => match op {
            CmpOp::Eq => value.is_null(),
            CmpOp::Ne => !value.is_null(),
            _ => false,
        },
        (true, false) => op == CmpOp::Ne,
        (false, false) => match value.compare(literal) {
            None => false,
            Some(ordering) => match op {
                CmpOp::Eq => ordering == Ordering::Equal,
                CmpOp::Ne => ordering != Ordering::Equal,
                CmpOp::Lt => ordering == Ordering::Less,
                CmpOp::Le => ordering != Ordering::Greater,
                CmpOp::Gt => ordering == Ordering::Greater,
                CmpOp::Ge => ordering != Ordering::Less,
            },
        },
    }
}

impl Filter {
    fn matches(&self, row: &Row, user_id: &str) -> bool {
        match self {
            Filter::Compare(column, op, literal) => {
                compares(&row.get(*column, user_id), *op, literal)
            }
            Filter::And(terms) => terms.iter().all(|t| t.matches(row, user_id)),
            Filter::Or(terms) => terms.iter().any(|t| t.matches(row, user_id)),
            Filter::Not(inner) => !inner.matches(row, user_id),
        }
    }
}

impl OrderKey {
    fn compare(&self, a: &Value, b: &Value) -> Ordering {
        let nulls = |ordering: Ordering| {
            if self.nulls_last {
                ordering.reverse()
            } else {
                ordering
            }
        };
        match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => nulls(Ordering::Less),
            (false, true) => nulls(Ordering::Greater),
            (false, false) => {
                let ordering = a.compare(b).unwrap_or(Ordering::Equal);
                if self.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            }
        }
    }
}

impl Plan {
    /// The live rows the query selects, in its order, rendered for API `version`. Rows that
    /// tie on every ORDER BY key come back in Id order, so answers are repeatable.
    pub fn run(&self, org: &Org, version: &str) -> Vec<Json> {
        let user = org.user_id.as_str();
        let mut rows: Vec<&Row> = org
            .table(self.object)
            .rows
            .iter()
            .filter(|r| r.is_live())
            .filter(|r| self.filter.as_ref().is_none_or(|f| f.matches(r, user)))
            .collect();
        let id = Column::System(SystemField::Id);
        rows.sort_by(|a, b| {
            self.order
                .iter()
                .map(|key| key.compare(&a.get(key.column, user), &b.get(key.column, user)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| {
                    a.get(id, user)
                        .compare(&b.get(id, user))
                        .unwrap_or(Ordering::Equal)
                })
        });
        rows.into_iter()
            .take(self.limit.unwrap_or(usize::MAX))
            .map(|row| org.render(self.object, row, &self.columns, version))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::soql::parse::parse;

    fn plan(source: &str, hidden: &Hidden) -> Result<Plan, BindError> {
        bind(&parse(source).unwrap(), hidden)
    }

    #[test]
    fn names_resolve_without_case_and_literals_take_the_column_type() {
        let p = plan(
            "SELECT id, totscope1emissionsintco2e FROM stnryassetcrbnftprnt \
             WHERE TotScope1EmissionsInTco2e >= 1.5 AND StartDate = 2024-01-01",
            &Hidden::new(),
        )
        .unwrap();
        assert_eq!(p.object, ObjectKind::StnryAssetCrbnFtprnt);
        assert_eq!(p.columns[0], Column::System(SystemField::Id));
        let Some(Filter::And(terms)) = p.filter else {
            panic!()
        };
        assert!(matches!(
            terms[0],
            Filter::Compare(_, CmpOp::Ge, Value::Number(_))
        ));
    }

    #[test]
    fn unknown_hidden_and_mistyped_names_fail_as_salesforce_fails() {
        let none = Hidden::new();
        let err = plan("SELECT Id, Foo FROM StnryAssetCrbnFtprnt", &none).unwrap_err();
        assert_eq!(err.code, "INVALID_FIELD");
        assert!(err
            .message
            .starts_with("No such column 'Foo' on entity 'StnryAssetCrbnFtprnt'."));
        assert_eq!(err.at, Pos { row: 1, col: 12 });

        let mut hidden = Hidden::new();
        hidden
            .entry(ObjectKind::StnryAssetCrbnFtprnt)
            .or_default()
            .insert("TotScope2MktBasedEmissions");
        let err = plan(
            "SELECT Id FROM StnryAssetCrbnFtprnt ORDER BY TotScope2MktBasedEmissions",
            &hidden,
        )
        .unwrap_err();
        assert!(err
            .message
            .starts_with("No such column 'TotScope2MktBasedEmissions'"));

        let err = plan("SELECT Id FROM Nope__c", &none).unwrap_err();
        assert_eq!(err.code, "INVALID_TYPE");
        let err = plan(
            "SELECT Id FROM StnryAssetCrbnFtprnt WHERE SystemModstamp > '2024-01-01'",
            &none,
        )
        .unwrap_err();
        assert_eq!(err.code, "INVALID_FIELD");
        assert!(err.message.contains("must be of type dateTime"));
        let err = plan("SELECT Id FROM StnryAssetCrbnFtprnt WHERE Id = 'x'", &none).unwrap_err();
        assert_eq!(err.code, "INVALID_QUERY_FILTER_OPERATOR");
        let err = plan("SELECT Id, ID FROM StnryAssetCrbnFtprnt", &none).unwrap_err();
        assert_eq!(err.code, "MALFORMED_QUERY");
    }

    #[test]
    fn nulls_follow_soql() {
        let text = Value::Text("x".into());
        assert!(compares(&Value::Null, CmpOp::Eq, &Value::Null));
        assert!(compares(&Value::Null, CmpOp::Ne, &text));
        assert!(!compares(&Value::Null, CmpOp::Gt, &text));
        assert!(compares(&text, CmpOp::Ne, &Value::Null));
    }
}
