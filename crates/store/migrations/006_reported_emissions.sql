-- Emissions a cloud provider reports for itself (AWS, Azure, Google Cloud), imported as
-- published and never re-estimated, beside the spend-based ledger; and the rules that keep
-- a cloud bill in the accounting data from being counted twice.

-- One number the provider reports: a month's emissions of one scope (and basis) for one
-- account, service and region. `kg_co2e` is the exact decimal text; `co2e_mg` the same in
-- whole milligrams, for exact integer sums in SQL.
CREATE TABLE reported_emissions (
    id              INTEGER PRIMARY KEY,
    connection_id   INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    row_key         TEXT NOT NULL,     -- month|account|service|region|grouping|scope|basis
    month           TEXT NOT NULL,     -- YYYY-MM
    account         TEXT NOT NULL,     -- AWS account, Azure subscription, Google Cloud project
    account_name    TEXT,
    service         TEXT NOT NULL,
    region          TEXT,
    grouping        TEXT,              -- Azure resource group, Google billing account
    scope           INTEGER NOT NULL CHECK (scope IN (1, 2, 3)),
    scope3_category INTEGER,
    basis           TEXT CHECK (basis IS NULL OR basis IN ('location', 'market')),
    kg_co2e         TEXT NOT NULL,
    co2e_mg         INTEGER NOT NULL,
    reported_value  TEXT NOT NULL,     -- as published, in reported_unit
    reported_unit   TEXT NOT NULL,     -- MTCO2e, kgCO2e
    method          TEXT NOT NULL,
    model_version   TEXT,
    first_synced_at TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    seen_run        INTEGER,           -- the last sync that read it: rows a whole read missed are withdrawn
    UNIQUE (connection_id, row_key)
);
CREATE INDEX reported_by_month ON reported_emissions (month, connection_id);

-- Every change a provider made to a number it had reported (a restatement), never updated
-- or deleted: the trail from the first number to the current one.
CREATE TABLE reported_restatements (
    id                     INTEGER PRIMARY KEY,
    connection_id          INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    run_id                 INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    row_key                TEXT NOT NULL,
    month                  TEXT NOT NULL,
    previous_kg_co2e       TEXT,           -- NULL: the provider withdrew the row
    new_kg_co2e            TEXT,
    previous_model_version TEXT,
    new_model_version      TEXT,
    at                     TEXT NOT NULL
);
CREATE INDEX reported_restatements_by_connection ON reported_restatements (connection_id, month);

-- Where each month of a cloud connection stands: published (with rows, or none) or pending
-- (the provider has not published it yet; it counts as nothing, not as zero).
CREATE TABLE reported_months (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    month         TEXT NOT NULL,          -- YYYY-MM
    state         TEXT NOT NULL CHECK (state IN ('published', 'pending')),
    rows          INTEGER NOT NULL DEFAULT 0,
    checked_at    TEXT NOT NULL,
    spend_read    INTEGER NOT NULL DEFAULT 0,  -- the provider's bill for it was read
    PRIMARY KEY (connection_id, month)
) WITHOUT ROWID;

-- The provider's bill beside its emissions (AWS Cost Explorer), by month and service.
CREATE TABLE reported_spend (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    month         TEXT NOT NULL,
    service       TEXT NOT NULL,
    amount        TEXT NOT NULL,          -- exact decimal
    currency      TEXT NOT NULL,
    PRIMARY KEY (connection_id, month, service)
) WITHOUT ROWID;

-- Which suppliers in accounting data a cloud platform's reports cover, matched as whole words,
-- case-insensitively, in a line's contact. Seeded from each platform's defaults; editable.
CREATE TABLE cloud_supplier_rules (
    id         INTEGER PRIMARY KEY,
    platform   TEXT NOT NULL,
    pattern    TEXT NOT NULL,
    -- Words that keep a line out even when its supplier matches: the same supplier's other
    -- products (Google Workspace from "Google Cloud EMEA"), which the cloud report leaves out.
    unless     TEXT,
    origin     TEXT NOT NULL CHECK (origin IN ('default', 'user')),
    enabled    INTEGER NOT NULL DEFAULT 1,
    changed_at TEXT NOT NULL,
    UNIQUE (platform, pattern)
);

-- A spend-based entry covered by a cloud connection's reported month: it keeps its own
-- assessment and counts as excluded while covered; it counts again when the cover goes.
ALTER TABLE ledger ADD COLUMN covered_by INTEGER REFERENCES connections (id) ON DELETE SET NULL;
ALTER TABLE ledger ADD COLUMN covered_reason TEXT;
CREATE INDEX ledger_covered ON ledger (covered_by) WHERE covered_by IS NOT NULL;
