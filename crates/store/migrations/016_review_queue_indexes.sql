-- What the review queue reads its first page from without a pass over the period: each of its
-- sections (changed since review and estimates, unmapped, new suppliers, the rest) walks an
-- index in the queue's own order and stops at the page's end.
--
-- Entries a person decided.
CREATE INDEX ledger_by_decision ON ledger (decision_id) WHERE decision_id IS NOT NULL;
-- Unmapped entries, largest amount first (they have no kg CO2e yet).
CREATE INDEX ledger_unmapped_by_amount
    ON ledger (ABS(CAST(net_amount AS REAL)) DESC, id) WHERE status = 'unmapped';
-- Counted entries, largest kg CO2e first, then the largest amount.
CREATE INDEX ledger_counted_by_kg
    ON ledger (co2e_mg DESC, ABS(CAST(net_amount AS REAL)) DESC, id) WHERE status = 'counted';

-- The first day each connection's supplier (a record's contact) appears in the ledger, kept by
-- triggers as entries are written: a supplier is new in a period when its first day is in it.
CREATE TABLE supplier_first_seen (
    connection_id INTEGER NOT NULL,
    contact       TEXT NOT NULL,
    first_date    TEXT NOT NULL,
    PRIMARY KEY (connection_id, contact)
) WITHOUT ROWID;
CREATE INDEX supplier_first_seen_by_date ON supplier_first_seen (first_date);

INSERT INTO supplier_first_seen
SELECT connection_id, contact, MIN(date) FROM ledger WHERE contact IS NOT NULL GROUP BY 1, 2;

CREATE TRIGGER supplier_seen_add AFTER INSERT ON ledger WHEN NEW.contact IS NOT NULL BEGIN
    INSERT INTO supplier_first_seen VALUES (NEW.connection_id, NEW.contact, NEW.date)
    ON CONFLICT DO UPDATE SET first_date = MIN(first_date, excluded.first_date);
END;

-- An entry that goes (or moves) may have been its supplier's first: the row goes with the
-- supplier's last entry, and otherwise its first day is read again from the ledger.
CREATE TRIGGER supplier_seen_remove AFTER DELETE ON ledger WHEN OLD.contact IS NOT NULL BEGIN
    DELETE FROM supplier_first_seen
    WHERE connection_id = OLD.connection_id AND contact = OLD.contact
      AND NOT EXISTS (SELECT 1 FROM ledger
                      WHERE contact = OLD.contact AND connection_id = OLD.connection_id);
    UPDATE supplier_first_seen SET first_date = (
        SELECT MIN(date) FROM ledger
        WHERE contact = OLD.contact AND connection_id = OLD.connection_id)
    WHERE connection_id = OLD.connection_id AND contact = OLD.contact
      AND first_date = OLD.date;
END;

CREATE TRIGGER supplier_seen_change AFTER UPDATE OF date, contact, connection_id ON ledger
WHEN OLD.date IS NOT NEW.date OR OLD.contact IS NOT NEW.contact
  OR OLD.connection_id IS NOT NEW.connection_id
BEGIN
    DELETE FROM supplier_first_seen
    WHERE OLD.contact IS NOT NULL AND connection_id = OLD.connection_id
      AND contact = OLD.contact
      AND NOT EXISTS (SELECT 1 FROM ledger
                      WHERE contact = OLD.contact AND connection_id = OLD.connection_id);
    UPDATE supplier_first_seen SET first_date = (
        SELECT MIN(date) FROM ledger
        WHERE contact = OLD.contact AND connection_id = OLD.connection_id)
    WHERE OLD.contact IS NOT NULL AND connection_id = OLD.connection_id
      AND contact = OLD.contact AND first_date = OLD.date;
    INSERT INTO supplier_first_seen
    SELECT NEW.connection_id, NEW.contact, NEW.date WHERE NEW.contact IS NOT NULL
    ON CONFLICT DO UPDATE SET first_date = MIN(first_date, excluded.first_date);
END;
