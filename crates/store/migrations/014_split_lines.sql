-- A line split between categories by share: a person decides that one line of a record is,
-- say, 60 % air travel and 40 % hotels. The line then has one ledger entry per part
-- (`part_no` 0, 1, …), each with its own category and factor, its share (`share_percent`,
-- decimal text) and its part of the amount (`net_amount` = the line's amount × share ÷ 100,
-- exactly), the whole line's amount kept beside (`line_amount`). An unsplit line is part 0
-- alone with no share and no `line_amount`. The parts' amounts add up to the line's exactly,
-- since the shares add up to 100 exactly.
--
-- SQLite cannot change a table's UNIQUE constraint in place, so the ledger is rebuilt with
-- (record_ref, line_no, part_no) unique, the same columns in the same order, and its indexes.
-- Its ids are now never given twice (AUTOINCREMENT): parts come and go as lines are split and
-- folded back, and an id the audit trail or a close names must never come to mean another
-- line.
CREATE TABLE ledger_split (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    record_ref       INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    connection_id    INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    date             TEXT NOT NULL,
    contact          TEXT,
    description      TEXT,
    account_code     TEXT,
    account_name     TEXT,
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
    conversion_ref   INTEGER REFERENCES conversion_refs (id),
    computed_at      TEXT NOT NULL,
    net_amount       TEXT NOT NULL DEFAULT '0',
    factor_value     TEXT,
    fx_rate          TEXT,
    deflator         TEXT,
    usd_2022_micros  INTEGER,
    co2e_mg          INTEGER,
    mapping_key      TEXT,
    covered_by       INTEGER REFERENCES connections (id) ON DELETE SET NULL,
    covered_reason   TEXT,
    decision_id      INTEGER,
    review_rule_id   INTEGER,
    market_co2e_mg   INTEGER,
    part_no          INTEGER NOT NULL DEFAULT 0,
    share_percent    TEXT,
    line_amount      TEXT,
    UNIQUE (record_ref, line_no, part_no)
);
INSERT INTO ledger_split (id, record_ref, connection_id, line_no, date, contact, description,
    account_code, account_name, currency, status, reason, rule_id, category, scope,
    scope3_category, factor_ref, factor_version, factor_code, conversion_ref, computed_at,
    net_amount, factor_value, fx_rate, deflator, usd_2022_micros, co2e_mg, mapping_key,
    covered_by, covered_reason, decision_id, review_rule_id, market_co2e_mg)
SELECT id, record_ref, connection_id, line_no, date, contact, description,
    account_code, account_name, currency, status, reason, rule_id, category, scope,
    scope3_category, factor_ref, factor_version, factor_code, conversion_ref, computed_at,
    net_amount, factor_value, fx_rate, deflator, usd_2022_micros, co2e_mg, mapping_key,
    covered_by, covered_reason, decision_id, review_rule_id, market_co2e_mg
FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_split RENAME TO ledger;
CREATE INDEX ledger_by_date ON ledger (date);
CREATE INDEX ledger_by_connection ON ledger (connection_id, date);
CREATE INDEX ledger_covered ON ledger (covered_by) WHERE covered_by IS NOT NULL;
CREATE INDEX ledger_by_review_rule ON ledger (review_rule_id) WHERE review_rule_id IS NOT NULL;
CREATE INDEX ledger_by_contact ON ledger (contact, date);

ALTER TABLE closed_ledger ADD COLUMN part_no INTEGER NOT NULL DEFAULT 0;
ALTER TABLE closed_ledger ADD COLUMN share_percent TEXT;
ALTER TABLE closed_ledger ADD COLUMN line_amount TEXT;

-- A decision may now split: its parts, as JSON (`[{"share_percent": "60", "category": …,
-- "factor_code": …, "scope3_category": …}]`). The action's CHECK gains 'split', which also
-- means a rebuild.
CREATE TABLE review_decisions_split (
    id INTEGER PRIMARY KEY,
    record_ref INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    action TEXT NOT NULL
        CHECK (action IN ('accept', 'reclassify', 'exclude', 'activity', 'split')),
    category TEXT,
    factor_code TEXT,
    scope3_category INTEGER,
    reason TEXT,
    activity TEXT,
    quantity TEXT,
    quantity_unit TEXT,
    note TEXT,
    seen_date TEXT NOT NULL,
    seen_net_amount TEXT NOT NULL,
    seen_account_code TEXT,
    seen_deleted INTEGER NOT NULL,
    decided_at_ms INTEGER NOT NULL,
    decided_by TEXT NOT NULL,
    market_factor TEXT,
    market_factor_source TEXT,
    unit_price TEXT,
    unit_price_currency TEXT,
    unit_price_source TEXT,
    parts TEXT,
    UNIQUE (record_ref, line_no)
);
INSERT INTO review_decisions_split (id, record_ref, line_no, action, category, factor_code,
    scope3_category, reason, activity, quantity, quantity_unit, note, seen_date,
    seen_net_amount, seen_account_code, seen_deleted, decided_at_ms, decided_by, market_factor,
    market_factor_source, unit_price, unit_price_currency, unit_price_source)
SELECT id, record_ref, line_no, action, category, factor_code,
    scope3_category, reason, activity, quantity, quantity_unit, note, seen_date,
    seen_net_amount, seen_account_code, seen_deleted, decided_at_ms, decided_by, market_factor,
    market_factor_source, unit_price, unit_price_currency, unit_price_source
FROM review_decisions;
DROP TABLE review_decisions;
ALTER TABLE review_decisions_split RENAME TO review_decisions;
