-- The audit trail: every change a person or the app makes to how numbers are produced (rules,
-- emission tables, destinations, and later decisions and period closes), appended and never
-- updated or deleted. Tamper-evident: each row carries the SHA-256 of its own fields and of
-- the row before (`prev_hash`), so an edit, an insertion or a removal made behind the app's
-- back breaks the chain where it happened (`carbonsync audit verify`). The triggers stop the
-- app itself from changing a row; someone with the file can drop them, which the chain shows.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    -- ms since 1970, UTC
    at_ms INTEGER NOT NULL,
    -- the operating-system user and machine that made the change
    os_user TEXT NOT NULL,
    machine TEXT NOT NULL,
    -- what was done, e.g. 'supplier_rule_added', 'emission_tables_changed'
    action TEXT NOT NULL,
    -- what it was done to, e.g. 'supplier_rule:4', 'destination:2'
    subject TEXT NOT NULL,
    -- JSON of the thing before and after (NULL when it did not exist); never a secret
    before TEXT,
    after TEXT,
    -- why, in the person's words (or the app's, for a change it detected)
    reason TEXT,
    -- hex SHA-256 of the row before (64 zeros for the first row) and of this row
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
