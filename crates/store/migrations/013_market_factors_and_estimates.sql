-- Activity data beyond a measured quantity.
--
-- A market-based factor (GHG Protocol Scope 2 Guidance): the supplier-specific or contractual
-- emission factor a person gives for purchased electricity, heat or steam, in kg CO2e per unit
-- of the activity's quantity, with where it comes from (the supplier's fuel mix disclosure, a
-- contract, certificates). The entry's kg CO2e stays location-based; the market-based figure
-- is kept beside it (`ledger.market_co2e_mg`) and reported as Scope 2 market-based.
--
-- A quantity estimated from spend: where no meter reading or invoice quantity is at hand, the
-- quantity is the line's amount divided by a stated price per unit (in that price's currency,
-- with its source, e.g. national energy price statistics), flagged as an estimate (data
-- quality 3) in the review queue and the inventory report.
ALTER TABLE review_decisions ADD COLUMN market_factor TEXT;
ALTER TABLE review_decisions ADD COLUMN market_factor_source TEXT;
ALTER TABLE review_decisions ADD COLUMN unit_price TEXT;
ALTER TABLE review_decisions ADD COLUMN unit_price_currency TEXT;
ALTER TABLE review_decisions ADD COLUMN unit_price_source TEXT;

-- kg CO2e market-based, in milligrams, where a market-based factor was given; NULL elsewhere
-- (the location-based figure `co2e_mg` stands for both).
ALTER TABLE ledger ADD COLUMN market_co2e_mg INTEGER;
ALTER TABLE closed_ledger ADD COLUMN market_co2e_mg INTEGER;
