-- The review: what people decided about ledger entries, and their rules for entries like them.
--
-- A decision belongs to one line of one record (`record_ref`, `line_no`), which outlives every
-- re-sync of the record, so it is applied again whenever the line is decided again. It keeps
-- the line as it stood when decided (`seen_*`): when the platform later changes the amount,
-- the account, the date or deletes the record, the entry returns to the review queue as
-- "changed since review", with the difference. Every change to a decision or a rule is also
-- appended to the audit trail (migration 010) with who, when, before, after and why.
CREATE TABLE review_decisions (
    id INTEGER PRIMARY KEY,
    record_ref INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    -- 'accept': right as it is; 'reclassify': counted with the chosen factor; 'exclude';
    -- 'activity': counted from a quantity with an activity factor
    action TEXT NOT NULL CHECK (action IN ('accept', 'reclassify', 'exclude', 'activity')),
    category TEXT,
    -- the factor's code in the spend-based factor set (a 2017 NAICS code for EPA USEEIO)
    factor_code TEXT,
    scope3_category INTEGER,
    -- why (required to exclude)
    reason TEXT,
    -- the activity's key (e.g. 'electricity-uk'), the quantity (decimal text) and its unit
    activity TEXT,
    quantity TEXT,
    quantity_unit TEXT,
    note TEXT,
    seen_date TEXT NOT NULL,
    seen_net_amount TEXT NOT NULL,
    seen_account_code TEXT,
    seen_deleted INTEGER NOT NULL,
    -- ms since 1970, UTC; the operating-system user
    decided_at_ms INTEGER NOT NULL,
    decided_by TEXT NOT NULL,
    UNIQUE (record_ref, line_no)
);

-- A person's rules for similar entries, tried in `position` order before the account mapping;
-- the first that matches decides. A person's decision on an entry outranks every rule.
CREATE TABLE review_rules (
    id INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    -- what it matches (every one given must match): the platform's catalogue id, the supplier
    -- (contact) and account code exactly (case-insensitive), text in the description, and the
    -- line's amount in its own currency, inclusive (decimal text)
    platform TEXT,
    supplier TEXT,
    account_code TEXT,
    description_contains TEXT,
    amount_min TEXT,
    amount_max TEXT,
    action TEXT NOT NULL CHECK (action IN ('reclassify', 'exclude')),
    category TEXT,
    factor_code TEXT,
    scope3_category INTEGER,
    reason TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- Which decision or rule decided an entry (NULL: the account mapping).
ALTER TABLE ledger ADD COLUMN decision_id INTEGER;
ALTER TABLE ledger ADD COLUMN review_rule_id INTEGER;
CREATE INDEX ledger_by_review_rule ON ledger (review_rule_id) WHERE review_rule_id IS NOT NULL;
CREATE INDEX ledger_by_contact ON ledger (contact, date);
