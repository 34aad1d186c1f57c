-- The trail's last row (its id and hash), kept beside it and written with each row: rows
-- removed from the end of the trail leave a chain that is whole but shorter, which only this
-- record shows (`carbonsync audit verify`).
INSERT OR REPLACE INTO meta (key, value)
SELECT 'audit_head', id || ' ' || hash FROM audit_log ORDER BY id DESC LIMIT 1;
