-- A longer period closed over shorter ones that stand (the months of a year closed month by
-- month, then the year) takes them in: its copy holds their rows as they were reported, with
-- their restatements, and the live ledger's rows for the rest of its days. A close taken in
-- no longer stands (each day is read from one copy at most), and names the close that took it.
ALTER TABLE period_closes ADD COLUMN taken_into INTEGER REFERENCES period_closes (id);
DROP INDEX period_closes_standing;
CREATE INDEX period_closes_standing ON period_closes (from_date, to_date)
    WHERE reopened_at_ms IS NULL AND taken_into IS NULL;
CREATE INDEX period_closes_taken_into ON period_closes (taken_into) WHERE taken_into IS NOT NULL;
