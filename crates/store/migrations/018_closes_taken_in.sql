-- A longer period closed over shorter ones that stand (the months of a year closed month by
-- month, then the year) takes them in: its copy holds their rows as they were reported, with
-- their restatements, and the live ledger's rows for the rest of its days. A close taken in
-- stands no longer while the close that took it stands (each day is read from one copy at
-- most), and stands again, as it reported, when that close is reopened.
ALTER TABLE period_closes ADD COLUMN taken_into INTEGER REFERENCES period_closes (id);
CREATE INDEX period_closes_taken_into ON period_closes (taken_into) WHERE taken_into IS NOT NULL;
