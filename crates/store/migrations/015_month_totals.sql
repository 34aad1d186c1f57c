-- Totals by month kept as entries are written, so a period's totals and breakdowns are a sum
-- over a few hundred rows instead of a pass over its entries (a year of a large organisation
-- is hundreds of thousands of entries).
--
-- One row per month (its first day, `date`), connection, effective status (an entry covered by
-- a cloud provider's own report counts as excluded), scope, Scope 3 category and category; the
-- key's absent values are 0 and '' so that the key is unique. Triggers on the ledger keep the
-- rows exact on every insert, update and delete, whoever writes; `closed_month_totals` does the
-- same for the frozen copies of closed periods. The sums are integers (milligrams, micro-USD),
-- which SQLite adds exactly.
CREATE TABLE month_totals (
    date            TEXT NOT NULL,
    connection_id   INTEGER NOT NULL,
    status          TEXT NOT NULL,
    scope           INTEGER NOT NULL,
    scope3_category INTEGER NOT NULL,
    category        TEXT NOT NULL,
    entries         INTEGER NOT NULL,
    co2e_mg         INTEGER NOT NULL,
    usd_2022_micros INTEGER NOT NULL,
    PRIMARY KEY (date, connection_id, status, scope, scope3_category, category)
) WITHOUT ROWID;

CREATE TABLE closed_month_totals (
    close_id        INTEGER NOT NULL,
    date            TEXT NOT NULL,
    connection_id   INTEGER NOT NULL,
    status          TEXT NOT NULL,
    scope           INTEGER NOT NULL,
    scope3_category INTEGER NOT NULL,
    category        TEXT NOT NULL,
    entries         INTEGER NOT NULL,
    co2e_mg         INTEGER NOT NULL,
    usd_2022_micros INTEGER NOT NULL,
    PRIMARY KEY (close_id, date, connection_id, status, scope, scope3_category, category)
) WITHOUT ROWID;

INSERT INTO month_totals
SELECT substr(date, 1, 7) || '-01', connection_id,
       CASE WHEN covered_by IS NOT NULL THEN 'excluded' ELSE status END,
       IFNULL(scope, 0), IFNULL(scope3_category, 0), IFNULL(category, ''),
       COUNT(*), IFNULL(SUM(co2e_mg), 0), IFNULL(SUM(usd_2022_micros), 0)
FROM ledger GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO closed_month_totals
SELECT close_id, substr(date, 1, 7) || '-01', connection_id,
       CASE WHEN covered_by IS NOT NULL THEN 'excluded' ELSE status END,
       IFNULL(scope, 0), IFNULL(scope3_category, 0), IFNULL(category, ''),
       COUNT(*), IFNULL(SUM(co2e_mg), 0), IFNULL(SUM(usd_2022_micros), 0)
FROM closed_ledger GROUP BY 1, 2, 3, 4, 5, 6, 7;

CREATE TRIGGER month_totals_add AFTER INSERT ON ledger BEGIN
    INSERT INTO month_totals VALUES (substr(NEW.date, 1, 7) || '-01', NEW.connection_id,
        CASE WHEN NEW.covered_by IS NOT NULL THEN 'excluded' ELSE NEW.status END,
        IFNULL(NEW.scope, 0), IFNULL(NEW.scope3_category, 0), IFNULL(NEW.category, ''),
        1, IFNULL(NEW.co2e_mg, 0), IFNULL(NEW.usd_2022_micros, 0))
    ON CONFLICT DO UPDATE SET entries = entries + 1, co2e_mg = co2e_mg + excluded.co2e_mg,
        usd_2022_micros = usd_2022_micros + excluded.usd_2022_micros;
END;

CREATE TRIGGER month_totals_remove AFTER DELETE ON ledger BEGIN
    UPDATE month_totals SET entries = entries - 1,
        co2e_mg = co2e_mg - IFNULL(OLD.co2e_mg, 0),
        usd_2022_micros = usd_2022_micros - IFNULL(OLD.usd_2022_micros, 0)
    WHERE date = substr(OLD.date, 1, 7) || '-01' AND connection_id = OLD.connection_id
      AND status = CASE WHEN OLD.covered_by IS NOT NULL THEN 'excluded' ELSE OLD.status END
      AND scope = IFNULL(OLD.scope, 0) AND scope3_category = IFNULL(OLD.scope3_category, 0)
      AND category = IFNULL(OLD.category, '');
END;

CREATE TRIGGER month_totals_change AFTER UPDATE OF date, connection_id, status, covered_by,
    scope, scope3_category, category, co2e_mg, usd_2022_micros ON ledger
WHEN OLD.date IS NOT NEW.date OR OLD.connection_id IS NOT NEW.connection_id
  OR OLD.status IS NOT NEW.status OR (OLD.covered_by IS NULL) IS NOT (NEW.covered_by IS NULL)
  OR OLD.scope IS NOT NEW.scope OR OLD.scope3_category IS NOT NEW.scope3_category
  OR OLD.category IS NOT NEW.category OR OLD.co2e_mg IS NOT NEW.co2e_mg
  OR OLD.usd_2022_micros IS NOT NEW.usd_2022_micros
BEGIN
    UPDATE month_totals SET entries = entries - 1,
        co2e_mg = co2e_mg - IFNULL(OLD.co2e_mg, 0),
        usd_2022_micros = usd_2022_micros - IFNULL(OLD.usd_2022_micros, 0)
    WHERE date = substr(OLD.date, 1, 7) || '-01' AND connection_id = OLD.connection_id
      AND status = CASE WHEN OLD.covered_by IS NOT NULL THEN 'excluded' ELSE OLD.status END
      AND scope = IFNULL(OLD.scope, 0) AND scope3_category = IFNULL(OLD.scope3_category, 0)
      AND category = IFNULL(OLD.category, '');
    INSERT INTO month_totals VALUES (substr(NEW.date, 1, 7) || '-01', NEW.connection_id,
        CASE WHEN NEW.covered_by IS NOT NULL THEN 'excluded' ELSE NEW.status END,
        IFNULL(NEW.scope, 0), IFNULL(NEW.scope3_category, 0), IFNULL(NEW.category, ''),
        1, IFNULL(NEW.co2e_mg, 0), IFNULL(NEW.usd_2022_micros, 0))
    ON CONFLICT DO UPDATE SET entries = entries + 1, co2e_mg = co2e_mg + excluded.co2e_mg,
        usd_2022_micros = usd_2022_micros + excluded.usd_2022_micros;
END;

CREATE TRIGGER closed_month_totals_add AFTER INSERT ON closed_ledger BEGIN
    INSERT INTO closed_month_totals VALUES (NEW.close_id, substr(NEW.date, 1, 7) || '-01',
        NEW.connection_id,
        CASE WHEN NEW.covered_by IS NOT NULL THEN 'excluded' ELSE NEW.status END,
        IFNULL(NEW.scope, 0), IFNULL(NEW.scope3_category, 0), IFNULL(NEW.category, ''),
        1, IFNULL(NEW.co2e_mg, 0), IFNULL(NEW.usd_2022_micros, 0))
    ON CONFLICT DO UPDATE SET entries = entries + 1, co2e_mg = co2e_mg + excluded.co2e_mg,
        usd_2022_micros = usd_2022_micros + excluded.usd_2022_micros;
END;

CREATE TRIGGER closed_month_totals_remove AFTER DELETE ON closed_ledger BEGIN
    UPDATE closed_month_totals SET entries = entries - 1,
        co2e_mg = co2e_mg - IFNULL(OLD.co2e_mg, 0),
        usd_2022_micros = usd_2022_micros - IFNULL(OLD.usd_2022_micros, 0)
    WHERE close_id = OLD.close_id AND date = substr(OLD.date, 1, 7) || '-01'
      AND connection_id = OLD.connection_id
      AND status = CASE WHEN OLD.covered_by IS NOT NULL THEN 'excluded' ELSE OLD.status END
      AND scope = IFNULL(OLD.scope, 0) AND scope3_category = IFNULL(OLD.scope3_category, 0)
      AND category = IFNULL(OLD.category, '');
END;

-- A closed row is replaced by delete and insert (restatement); an update in place is
-- accounted for all the same.
CREATE TRIGGER closed_month_totals_change AFTER UPDATE ON closed_ledger BEGIN
    UPDATE closed_month_totals SET entries = entries - 1,
        co2e_mg = co2e_mg - IFNULL(OLD.co2e_mg, 0),
        usd_2022_micros = usd_2022_micros - IFNULL(OLD.usd_2022_micros, 0)
    WHERE close_id = OLD.close_id AND date = substr(OLD.date, 1, 7) || '-01'
      AND connection_id = OLD.connection_id
      AND status = CASE WHEN OLD.covered_by IS NOT NULL THEN 'excluded' ELSE OLD.status END
      AND scope = IFNULL(OLD.scope, 0) AND scope3_category = IFNULL(OLD.scope3_category, 0)
      AND category = IFNULL(OLD.category, '');
    INSERT INTO closed_month_totals VALUES (NEW.close_id, substr(NEW.date, 1, 7) || '-01',
        NEW.connection_id,
        CASE WHEN NEW.covered_by IS NOT NULL THEN 'excluded' ELSE NEW.status END,
        IFNULL(NEW.scope, 0), IFNULL(NEW.scope3_category, 0), IFNULL(NEW.category, ''),
        1, IFNULL(NEW.co2e_mg, 0), IFNULL(NEW.usd_2022_micros, 0))
    ON CONFLICT DO UPDATE SET entries = entries + 1, co2e_mg = co2e_mg + excluded.co2e_mg,
        usd_2022_micros = usd_2022_micros + excluded.usd_2022_micros;
END;
