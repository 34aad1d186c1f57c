-- Period close: a period's numbers frozen as they were reported.
--
-- Closing a period (a month, a quarter, a financial year) copies every ledger entry dated in
-- it into `closed_ledger`, in the ledger's own columns. While the close stands, every total
-- and report for those dates is read from the copy, never from the live ledger: a later sync
-- that changes, adds or deletes records of the period changes the live ledger only, and the
-- difference between the two is listed as "changes after close". A person accepts a change
-- into a restatement (the copy's row is replaced by the live one) or leaves it (it stays out
-- of the numbers and out of the list until the entry changes again). Reopening needs a reason
-- and ends the close; its copy is kept for the record. Each step is in the audit trail.
CREATE TABLE period_closes (
    id INTEGER PRIMARY KEY,
    -- as the person named it: '2024-03', '2024-Q2', 'FY2024' (with its first month)
    label TEXT NOT NULL,
    -- inclusive 'YYYY-MM-DD'
    from_date TEXT NOT NULL,
    to_date TEXT NOT NULL,
    -- ms since 1970, UTC; the operating-system user
    closed_at_ms INTEGER NOT NULL,
    closed_by TEXT NOT NULL,
    note TEXT,
    reopened_at_ms INTEGER,
    reopened_by TEXT,
    reopen_reason TEXT
);
CREATE INDEX period_closes_standing ON period_closes (from_date, to_date)
    WHERE reopened_at_ms IS NULL;

-- The ledger's rows as they were reported, one copy per close. `id` is the entry's id in the
-- ledger (which outlives re-syncs of its record), so the copy and the live entry pair up.
CREATE TABLE closed_ledger (
    close_id        INTEGER NOT NULL REFERENCES period_closes (id) ON DELETE CASCADE,
    id              INTEGER NOT NULL,
    record_ref      INTEGER NOT NULL,
    connection_id   INTEGER NOT NULL,
    line_no         INTEGER NOT NULL,
    date            TEXT NOT NULL,
    contact         TEXT,
    description     TEXT,
    account_code    TEXT,
    account_name    TEXT,
    net_amount      TEXT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    rule_id         TEXT,
    category        TEXT,
    scope           INTEGER,
    scope3_category INTEGER,
    factor_ref      INTEGER,
    factor_version  TEXT,
    factor_code     TEXT,
    factor_value    TEXT,
    conversion_ref  INTEGER,
    fx_rate         TEXT,
    deflator        TEXT,
    usd_2022_micros INTEGER,
    co2e_mg         INTEGER,
    covered_by      INTEGER,
    covered_reason  TEXT,
    decision_id     INTEGER,
    review_rule_id  INTEGER,
    computed_at     TEXT NOT NULL,
    PRIMARY KEY (close_id, id)
);

-- Changes after close a person chose to leave: the live entry as it was then (`fingerprint`),
-- so the change is listed again if the entry changes once more.
CREATE TABLE close_left_changes (
    close_id    INTEGER NOT NULL REFERENCES period_closes (id) ON DELETE CASCADE,
    entry_id    INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    left_at_ms  INTEGER NOT NULL,
    left_by     TEXT NOT NULL,
    PRIMARY KEY (close_id, entry_id)
);
