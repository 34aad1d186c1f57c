-- The first schema. Secrets never live here: `vault_key` names a keychain entry.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE connections (
    id            INTEGER PRIMARY KEY,
    provider      TEXT NOT NULL,
    tenant_id     TEXT NOT NULL,
    tenant_name   TEXT NOT NULL,
    base_currency TEXT,
    sandbox       INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'needs_reconnect', 'disconnected')),
    vault_key     TEXT NOT NULL,
    frequency     TEXT NOT NULL DEFAULT 'hourly',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_sync_at  TEXT,
    last_status   TEXT,
    last_error    TEXT
);
CREATE INDEX connections_by_tenant ON connections (provider, tenant_id, sandbox);

-- One row per stream of a connection: the incremental position reached, written in
-- the same transaction as the page that moved it.
CREATE TABLE cursors (
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    stream         TEXT NOT NULL,
    modified_since INTEGER,           -- ms since epoch of the newest change stored
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (connection_id, stream)
) WITHOUT ROWID;

CREATE TABLE accounts (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL,
    code          TEXT,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    class         TEXT,
    status        TEXT NOT NULL,
    tax_type      TEXT,
    updated_ms    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, account_id)
) WITHOUT ROWID;

-- Bank transactions and bills as the platform sent them (the fields CarbonSync uses).
-- Rowid tables with the platform's id in a unique index, not WITHOUT ROWID tables keyed
-- by it: platform ids are random UUIDs, and keeping wide rows in UUID order made every
-- insert land on a random page; rows now append and only the narrow index is random.
CREATE TABLE records (
    id                INTEGER PRIMARY KEY,
    connection_id     INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    stream            TEXT NOT NULL,
    record_id         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    deleted           INTEGER NOT NULL DEFAULT 0,
    date              TEXT NOT NULL,
    contact           TEXT,
    reference         TEXT,
    currency          TEXT NOT NULL,
    line_amount_types TEXT,
    total             REAL NOT NULL,
    updated_ms        INTEGER NOT NULL,
    synced_at         TEXT NOT NULL,
    UNIQUE (connection_id, stream, record_id)
);

-- The factors and conversion sources that ledger entries cite. Entries keep the
-- numbers that made them (factor code, version and value, rate, deflator) and point
-- here for the words, so a million entries don't repeat the same titles and sources.
CREATE TABLE factor_refs (
    id             INTEGER PRIMARY KEY,
    factor_set     TEXT NOT NULL,
    factor_version TEXT NOT NULL,
    factor_code    TEXT NOT NULL,
    factor_title   TEXT,
    factor_unit    TEXT,
    UNIQUE (factor_set, factor_version, factor_code)
);

CREATE TABLE conversion_refs (
    id              INTEGER PRIMARY KEY,
    fx_source       TEXT NOT NULL,
    deflator_source TEXT NOT NULL,
    UNIQUE (fx_source, deflator_source)
);

-- The emissions ledger: one entry per line of a record, whatever became of it
-- (counted, excluded or unmapped), with everything needed to retrace the number.
CREATE TABLE ledger (
    id               INTEGER PRIMARY KEY,
    record_ref       INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    connection_id    INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    date             TEXT NOT NULL,
    contact          TEXT,
    description      TEXT,
    account_code     TEXT,
    account_name     TEXT,
    net_amount       REAL NOT NULL,
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('counted', 'excluded', 'unmapped')),
    reason           TEXT,
    rule_id          TEXT,
    category         TEXT,
    scope            INTEGER,
    scope3_category  INTEGER,
    factor_ref       INTEGER REFERENCES factor_refs (id),
    factor_version   TEXT,
    factor_code      TEXT,
    factor_value     REAL,
    conversion_ref   INTEGER REFERENCES conversion_refs (id),
    fx_rate          REAL,
    deflator         REAL,
    amount_usd_2022  REAL,
    kg_co2e          REAL,
    computed_at      TEXT NOT NULL,
    UNIQUE (record_ref, line_no)
);
CREATE INDEX ledger_by_date ON ledger (date);
CREATE INDEX ledger_by_connection ON ledger (connection_id, date);

CREATE TABLE sync_runs (
    id              INTEGER PRIMARY KEY,
    connection_id   INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    trigger         TEXT NOT NULL,
    full            INTEGER NOT NULL DEFAULT 0,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    pages           INTEGER NOT NULL DEFAULT 0,
    calls           INTEGER NOT NULL DEFAULT 0,
    rate_limited    INTEGER NOT NULL DEFAULT 0,
    fetched         INTEGER NOT NULL DEFAULT 0,
    created         INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    emissions_added INTEGER NOT NULL DEFAULT 0,
    kg_co2e_delta   REAL NOT NULL DEFAULT 0,
    error_code      TEXT,
    error_message   TEXT,
    error_detail    TEXT
);
CREATE INDEX sync_runs_by_connection ON sync_runs (connection_id, id);
