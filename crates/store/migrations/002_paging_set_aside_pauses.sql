-- Incremental paging that survives ties and crashes, records set aside, and schedule pauses.

-- Where an unfinished walk of a stream stands (JSON: the fixed If-Modified-Since, the next
-- page, the newest change seen so far). NULL when the stream is at rest; then
-- `modified_since` is where the next sync starts.
ALTER TABLE cursors ADD COLUMN walk TEXT;

-- Records the platform sent that could not be read (a missing field, an unreadable date).
-- The rest of the sync goes on; these are kept with the reason, shown in the sync log and
-- the window, until a later sync reads the record cleanly.
CREATE TABLE set_aside (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    run_id        INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    stream        TEXT NOT NULL,
    record_id     TEXT,             -- the platform's id, when it could be read
    reason        TEXT NOT NULL,    -- what could not be read, in words; never the record's content
    raw           TEXT NOT NULL,    -- the record as the platform sent it (at most 64 KiB)
    seen_at       TEXT NOT NULL
);
CREATE INDEX set_aside_by_connection ON set_aside (connection_id, id);
CREATE UNIQUE INDEX set_aside_by_record ON set_aside (connection_id, stream, record_id)
    WHERE record_id IS NOT NULL;

-- The schedule of a connection can be paused: until a time (a platform's daily limit, a
-- transient failure backing off), or until the user acts (a permanent error).
ALTER TABLE connections ADD COLUMN paused_until_ms INTEGER;   -- ms since epoch; NULL = not paused by time
ALTER TABLE connections ADD COLUMN pause_reason TEXT;         -- why, in words, for the window and tray
ALTER TABLE connections ADD COLUMN schedule_stopped INTEGER NOT NULL DEFAULT 0; -- 1 = until the user acts
ALTER TABLE connections ADD COLUMN failure_streak INTEGER NOT NULL DEFAULT 0;   -- consecutive transient failures

-- Records set aside by a run, beside its other counts.
ALTER TABLE sync_runs ADD COLUMN set_aside INTEGER NOT NULL DEFAULT 0;

-- Xero marks none of an Account's fields but its id as required: name, type, status and the
-- modification time may be missing.
CREATE TABLE accounts_v2 (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL,
    code          TEXT,
    name          TEXT,
    type          TEXT,
    class         TEXT,
    status        TEXT,
    tax_type      TEXT,
    updated_ms    INTEGER,
    PRIMARY KEY (connection_id, account_id)
) WITHOUT ROWID;
INSERT INTO accounts_v2 SELECT connection_id, account_id, code, name, type, class, status, tax_type, updated_ms FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v2 RENAME TO accounts;
