-- How many entries each rule decides is counted over this index alone: the entries a rule
-- decided and no person decided since. The index it replaces held every entry a rule had
-- touched, and the count read each one's row to leave out a person's decisions.
DROP INDEX ledger_by_review_rule;
CREATE INDEX ledger_by_review_rule ON ledger (review_rule_id)
    WHERE review_rule_id IS NOT NULL AND decision_id IS NULL;
