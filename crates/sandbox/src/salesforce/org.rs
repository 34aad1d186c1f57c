//! The org's records: one table per object, rows in Id order (ids are handed out in creation
//! order), each with its system stamps and its own fields. A deleted row stays, marked with
//! its deletion time, so `getDeleted` can report it; queries never see it.

use serde_json::{json, Map, Value as Json};

use super::errors::ApiError;
use super::ids;
use super::schema::{Column, ObjectDef, ObjectKind, SystemField};
use super::value::Value;

#[derive(Clone, Debug)]
pub struct Row {
    /// 18 characters.
    pub id: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// `SystemModstamp`: when the platform last wrote the row, whoever wrote it.
    pub modstamp_ms: i64,
    /// The object's own fields, in its definition's order.
    pub values: Vec<Value>,
    pub deleted_ms: Option<i64>,
}

impl Row {
    pub fn is_live(&self) -> bool {
        self.deleted_ms.is_none()
    }

    /// The value of `column`; the user columns name the org's one user.
    pub fn get(&self, column: Column, user_id: &str) -> Value {
        match column {
            Column::Own(i) => self.values.get(i).cloned().unwrap_or(Value::Null),
            Column::System(field) => match field {
                SystemField::Id => Value::Id(self.id.clone()),
                SystemField::IsDeleted => Value::Bool(!self.is_live()),
                SystemField::CreatedDate => Value::DateTime(self.created_ms),
                SystemField::LastModifiedDate => Value::DateTime(self.modified_ms),
                SystemField::SystemModstamp => Value::DateTime(self.modstamp_ms),
                SystemField::CreatedById | SystemField::LastModifiedById | SystemField::OwnerId => {
                    Value::Id(user_id.to_owned())
                }
            },
        }
    }
}

pub struct Table {
    pub def: &'static ObjectDef,
    pub rows: Vec<Row>,
}

/// Which records a control edits.
#[derive(Clone, Debug)]
pub enum Selection {
    /// The first `n` live records in Id order.
    Count(usize),
    /// These ids (15 or 18 characters).
    Ids(Vec<String>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChangeError {
    #[error("no {0} record has the id {1}")]
    UnknownId(&'static str, String),
    #[error("the {0} record {1} is deleted")]
    Deleted(&'static str, String),
}

pub struct Org {
    tables: Vec<Table>,
    pub user_id: String,
}

impl Default for Org {
    fn default() -> Self {
        Org::new()
    }
}

impl Org {
    pub fn new() -> Self {
        Org {
            tables: ObjectKind::ALL
                .into_iter()
                .map(|kind| Table {
                    def: kind.def(),
                    rows: Vec::new(),
                })
                .collect(),
            user_id: ids::user_id(),
        }
    }

    pub fn table(&self, kind: ObjectKind) -> &Table {
        &self.tables[kind.index()]
    }

    fn table_mut(&mut self, kind: ObjectKind) -> &mut Table {
        &mut self.tables[kind.index()]
    }

    /// Adds a record created (and last written) at `at_ms`; returns its id.
    pub fn insert(&mut self, kind: ObjectKind, values: Vec<Value>, at_ms: i64) -> String {
        let table = self.table_mut(kind);
        let id = ids::record_id(table.def.key_prefix, table.rows.len() as u64 + 1);
        table.rows.push(Row {
            id: id.clone(),
            created_ms: at_ms,
            modified_ms: at_ms,
            modstamp_ms: at_ms,
            values,
            deleted_ms: None,
        });
        id
    }

    /// The row index of the record `id` (15 or 18 characters), deleted or not.
    fn position(&self, kind: ObjectKind, id: &str) -> Option<usize> {
        let short = ids::canonical(id)?;
        let rows = &self.table(kind).rows;
        // Rows are in id order, so a binary search on the short form finds it.
        rows.binary_search_by(|row| row.id[..15].cmp(short)).ok()
    }

    /// The rows `selection` names, all live; or the first id that is not.
    fn select(&self, kind: ObjectKind, selection: &Selection) -> Result<Vec<usize>, ChangeError> {
        let table = self.table(kind);
        match selection {
            Selection::Count(n) => Ok(table
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.is_live())
                .map(|(i, _)| i)
                .take(*n)
                .collect()),
            Selection::Ids(wanted) => wanted
                .iter()
                .map(|id| {
                    let i = self
                        .position(kind, id)
                        .ok_or_else(|| ChangeError::UnknownId(table.def.name, id.clone()))?;
                    if !table.rows[i].is_live() {
                        return Err(ChangeError::Deleted(table.def.name, id.clone()));
                    }
                    Ok(i)
                })
                .collect(),
        }
    }

    /// Edits records as a recalculation would: each is written again at `at_ms` (so its
    /// `SystemModstamp` moves on, the same for every record of the call) and a footprint
    /// goes back to "Pending Approval". Returns the ids edited.
    pub fn change(
        &mut self,
        kind: ObjectKind,
        selection: &Selection,
        at_ms: i64,
    ) -> Result<Vec<String>, ChangeError> {
        let rows = self.select(kind, selection)?;
        let table = self.table_mut(kind);
        let status = table
            .def
            .fields
            .iter()
            .position(|f| f.name == "AuditApprovalStatus");
        Ok(rows
            .into_iter()
            .map(|i| {
                let row = &mut table.rows[i];
                row.modified_ms = at_ms;
                row.modstamp_ms = at_ms;
                if let Some(s) = status {
                    row.values[s] = Value::Text("Pending Approval".into());
                }
                row.id.clone()
            })
            .collect())
    }

    /// Sets number fields (by index among the object's own fields) of the record `id`.
    pub fn set_numbers(
        &mut self,
        kind: ObjectKind,
        id: &str,
        values: &[(usize, rust_decimal::Decimal)],
    ) {
        let Some(i) = self.position(kind, id) else {
            return;
        };
        let row = &mut self.table_mut(kind).rows[i];
        for (field, value) in values {
            row.values[*field] = Value::Number(*value);
        }
    }

    /// Deletes records at `at_ms`; returns their ids.
    pub fn delete(
        &mut self,
        kind: ObjectKind,
        selection: &Selection,
        at_ms: i64,
    ) -> Result<Vec<String>, ChangeError> {
        let rows = self.select(kind, selection)?;
        let table = self.table_mut(kind);
        Ok(rows
            .into_iter()
            .map(|i| {
                let row = &mut table.rows[i];
                row.deleted_ms = Some(at_ms);
                row.modstamp_ms = at_ms;
                row.id.clone()
            })
            .collect())
    }

    /// (id, deletion time) of the records deleted in `[from_ms, to_ms)`, in deletion order.
    pub fn deleted_between(
        &self,
        kind: ObjectKind,
        from_ms: i64,
        to_ms: i64,
    ) -> Vec<(String, i64)> {
        let mut deleted: Vec<(String, i64)> = self
            .table(kind)
            .rows
            .iter()
            .filter_map(|r| r.deleted_ms.map(|at| (r.id.clone(), at)))
            .filter(|(_, at)| (from_ms..to_ms).contains(at))
            .collect();
        deleted.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        deleted
    }

    /// Creates or updates the record whose external-id field `key_field` holds `key` (matched
    /// without regard to case, as a unique external id is by default), writing `fields`
    /// (own-field index, value). Returns the record's id and whether it was created.
    pub fn upsert(
        &mut self,
        kind: ObjectKind,
        key_field: usize,
        key: &str,
        fields: Vec<(usize, Value)>,
        at_ms: i64,
    ) -> Result<(String, bool), ApiError> {
        let table = self.table_mut(kind);
        let existing = table.rows.iter_mut().find(|r| {
            r.is_live()
                && matches!(&r.values[key_field], Value::Text(k) if k.eq_ignore_ascii_case(key))
        });
        if let Some(row) = existing {
            for (i, value) in fields {
                row.values[i] = value;
            }
            row.modified_ms = at_ms;
            row.modstamp_ms = at_ms;
            return Ok((row.id.clone(), false));
        }
        let def = table.def;
        let mut values = vec![Value::Null; def.fields.len()];
        values[key_field] = Value::Text(key.to_owned());
        for (i, value) in fields {
            values[i] = value;
        }
        let missing: Vec<String> = def
            .fields
            .iter()
            .zip(&values)
            .filter(|(f, v)| f.required && v.is_null())
            .map(|(f, _)| f.name.to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(ApiError::bad_request(
                "REQUIRED_FIELD_MISSING",
                format!("Required fields are missing: [{}]", missing.join(", ")),
            )
            .with_fields(missing));
        }
        Ok((self.insert(kind, values, at_ms), true))
    }

    /// A record as the REST API writes it: `attributes` (type and URL under API `version`,
    /// e.g. `v62.0`) and the `columns` asked for, by their proper names.
    pub fn render(&self, kind: ObjectKind, row: &Row, columns: &[Column], version: &str) -> Json {
        let def = kind.def();
        let mut record = Map::new();
        record.insert(
            "attributes".into(),
            json!({
                "type": def.name,
                "url": format!("/services/data/{version}/sobjects/{}/{}", def.name, row.id),
            }),
        );
        for &column in columns {
            record.insert(
                def.column_name(column).into(),
                row.get(column, &self.user_id).to_json(),
            );
        }
        Json::Object(record)
    }

    /// Every column of the object: system fields first, then its own.
    pub fn all_columns(kind: ObjectKind) -> Vec<Column> {
        SystemField::ALL
            .into_iter()
            .map(Column::System)
            .chain((0..kind.def().fields.len()).map(Column::Own))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str) -> Vec<(usize, Value)> {
        vec![(0, Value::Text(name.into()))]
    }

    #[test]
    fn an_upsert_by_the_same_key_updates_rather_than_duplicates() {
        let mut org = Org::new();
        let kind = ObjectKind::Scope3PcmtSummary;
        let key = kind.def().external_id().unwrap();
        let (id, created) = org
            .upsert(kind, key, "k-1", summary("First"), 1_000)
            .unwrap();
        assert!(created);
        let (again, created) = org
            .upsert(kind, key, "K-1", summary("Second"), 2_000)
            .unwrap();
        assert_eq!((again.as_str(), created), (id.as_str(), false));
        assert_eq!(org.table(kind).rows.len(), 1);
        assert_eq!(org.table(kind).rows[0].modstamp_ms, 2_000);
        let err = org.upsert(kind, key, "k-2", vec![], 3_000).unwrap_err();
        assert_eq!(err.code, "REQUIRED_FIELD_MISSING");
        assert_eq!(err.fields, ["Name"]);
    }

    #[test]
    fn deleted_records_are_found_by_time_and_cannot_be_edited() {
        let mut org = Org::new();
        let kind = ObjectKind::VehicleAssetEmssnSrc;
        let a = org.insert(kind, vec![Value::Text("A".into())], 0);
        let b = org.insert(kind, vec![Value::Text("B".into())], 0);
        assert_eq!(
            org.delete(kind, &Selection::Ids(vec![b[..15].to_owned()]), 5_000),
            Ok(vec![b.clone()])
        );
        assert_eq!(org.deleted_between(kind, 0, 5_000), vec![]);
        assert_eq!(
            org.deleted_between(kind, 0, 5_001),
            vec![(b.clone(), 5_000)]
        );
        assert_eq!(
            org.change(kind, &Selection::Ids(vec![b.clone()]), 6_000),
            Err(ChangeError::Deleted("VehicleAssetEmssnSrc", b))
        );
        assert_eq!(org.change(kind, &Selection::Count(5), 6_000), Ok(vec![a]));
    }
}
