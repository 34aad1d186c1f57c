-- Unmapped entries carry their amount in 2022 US dollars (with the exchange rate and price
-- index that made it), so that the review queue ranks them by what they are worth across
-- currencies rather than by the digits of each currency. Entries whose currency or year has no
-- rate come after those that could be converted, by their own amount. The entries are decided
-- again the next time CarbonSync opens the database (the `reassess_ledger` key of `meta`),
-- which gives the unmapped ones their dollar amount.
DROP INDEX ledger_unmapped_by_amount;
CREATE INDEX ledger_unmapped_by_amount
    ON ledger (usd_2022_micros IS NULL, ABS(usd_2022_micros) DESC, ABS(CAST(net_amount AS REAL)) DESC, id)
    WHERE status = 'unmapped';

INSERT OR IGNORE INTO meta (key, value)
SELECT 'reassess_ledger', 'owed since unmapped entries carry their amount in 2022 US dollars'
WHERE EXISTS (SELECT 1 FROM ledger WHERE status = 'unmapped');
