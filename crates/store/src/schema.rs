use crate::StoreError;
use rusqlite_migration::{Migrations, M};

/// Every migration, oldest first. Append only: a released migration never changes.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(include_str!("../migrations/001_initial.sql"))])
}

pub(crate) const KNOWN_VERSION: usize = 1;

pub(crate) fn migrate(conn: &mut rusqlite::Connection) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let found = found as usize;
    if found > KNOWN_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: KNOWN_VERSION,
        });
    }
    migrations()
        .to_latest(conn)
        .map_err(|e| StoreError::Migration(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid_and_the_known_version_is_the_last() {
        super::migrations().validate().unwrap();
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrate(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, super::KNOWN_VERSION);
    }
}
