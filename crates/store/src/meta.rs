use crate::{Result, Store};
use rusqlite::OptionalExtension;

impl Store {
    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .db()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.db().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// A random id for this data folder, so keychain entries of two data folders on
    /// one machine never collide.
    pub fn install_id(&self) -> Result<String> {
        if let Some(id) = self.meta_get("install_id")? {
            return Ok(id);
        }
        let id: String = self
            .db()
            .query_row("SELECT lower(hex(randomblob(8)))", [], |r| r.get(0))?;
        self.db().execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('install_id', ?1)",
            [&id],
        )?;
        Ok(self.meta_get("install_id")?.unwrap_or(id))
    }
}
