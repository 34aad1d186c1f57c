-- Platforms whose deletions are reported only for a while (QuickBooks' change data capture:
-- 30 days) are read whole after a longer gap; a record the whole read no longer lists is gone.
-- `seen_mark` is the mark of the last whole read that listed the record.
ALTER TABLE records ADD COLUMN seen_mark INTEGER;

-- What a run decided that its counts do not show (a stream read whole, and why), one line each.
ALTER TABLE sync_runs ADD COLUMN notes TEXT;
