-- Amounts and emissions become exact decimals.
--
-- Amounts as the platform sent them, and the numbers an entry was computed with, are kept as
-- decimal text ('1234.56', '0.644'): nothing is rounded and nothing binary creeps in. The two
-- results that are summed, 2022 dollars and emissions, are kept as whole millionths
-- (micro-dollars and milligrams of CO2e), so SQL sums them exactly in 64-bit integers; the
-- calculation rounds them to six places before they are written.
--
-- Values written before this version were binary floating point. Each is carried over through
-- its shortest decimal form (15 significant digits), which gives back the amounts' values exactly
-- as they were received (not always the number of decimals they were written with: 80.0 for 80);
-- the computed results are recomputed from the records by CarbonSync the next
-- time it opens the database (the `reassess_ledger` key of `meta`), so an upgraded database holds the same
-- numbers as a fresh sync of the same data.

ALTER TABLE records ADD COLUMN total_exact TEXT NOT NULL DEFAULT '0';
UPDATE records SET total_exact = CAST(total AS TEXT);
ALTER TABLE records DROP COLUMN total;
ALTER TABLE records RENAME COLUMN total_exact TO total;

ALTER TABLE ledger ADD COLUMN net_amount_exact TEXT NOT NULL DEFAULT '0';
ALTER TABLE ledger ADD COLUMN factor_value_exact TEXT;
ALTER TABLE ledger ADD COLUMN fx_rate_exact TEXT;
ALTER TABLE ledger ADD COLUMN deflator_exact TEXT;
-- 2022 USD × 1,000,000, and kg CO2e × 1,000,000 (milligrams); NULL unless counted.
ALTER TABLE ledger ADD COLUMN usd_2022_micros INTEGER;
ALTER TABLE ledger ADD COLUMN co2e_mg INTEGER;
UPDATE ledger SET
    net_amount_exact   = CAST(net_amount AS TEXT),
    factor_value_exact = CAST(factor_value AS TEXT),
    fx_rate_exact      = CAST(fx_rate AS TEXT),
    deflator_exact     = CAST(deflator AS TEXT),
    usd_2022_micros    = CAST(ROUND(amount_usd_2022 * 1000000) AS INTEGER),
    co2e_mg            = CAST(ROUND(kg_co2e * 1000000) AS INTEGER);
ALTER TABLE ledger DROP COLUMN net_amount;
ALTER TABLE ledger DROP COLUMN factor_value;
ALTER TABLE ledger DROP COLUMN fx_rate;
ALTER TABLE ledger DROP COLUMN deflator;
ALTER TABLE ledger DROP COLUMN amount_usd_2022;
ALTER TABLE ledger DROP COLUMN kg_co2e;
ALTER TABLE ledger RENAME COLUMN net_amount_exact TO net_amount;
ALTER TABLE ledger RENAME COLUMN factor_value_exact TO factor_value;
ALTER TABLE ledger RENAME COLUMN fx_rate_exact TO fx_rate;
ALTER TABLE ledger RENAME COLUMN deflator_exact TO deflator;

-- Milligrams of CO2e a run added (negative when it removed more than it added).
ALTER TABLE sync_runs ADD COLUMN co2e_mg_delta INTEGER NOT NULL DEFAULT 0;
UPDATE sync_runs SET co2e_mg_delta = CAST(ROUND(kg_co2e_delta * 1000000) AS INTEGER);
ALTER TABLE sync_runs DROP COLUMN kg_co2e_delta;

-- How a line names its account and what the platform's mapping keys on can differ by platform
-- (QuickBooks lines name an account by id and its mapping keys on the account's subtype); for
-- the Xero rows kept so far, both are the code.
ALTER TABLE accounts ADD COLUMN line_ref TEXT;
ALTER TABLE accounts ADD COLUMN mapping_key TEXT;
UPDATE accounts SET line_ref = code, mapping_key = code;
ALTER TABLE ledger ADD COLUMN mapping_key TEXT;
UPDATE ledger SET mapping_key = account_code;

-- The results carried over were floating point: CarbonSync recomputes every ledger entry from its
-- record the next time it opens the database, and removes this key in the same transaction.
INSERT INTO meta (key, value)
SELECT 'reassess_ledger', 'owed since the upgrade to exact amounts'
WHERE EXISTS (SELECT 1 FROM ledger);
