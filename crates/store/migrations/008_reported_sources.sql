-- A reported row that is one record of an inventory (Salesforce Net Zero Cloud) keeps the
-- footprint's whole period and the address that opens the record there; both NULL for the
-- cloud providers' monthly rows.
ALTER TABLE reported_emissions ADD COLUMN period_end TEXT;   -- YYYY-MM-DD, inclusive
ALTER TABLE reported_emissions ADD COLUMN source_url TEXT;
