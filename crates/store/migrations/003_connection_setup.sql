-- A connection is made in steps (the row, then the keychain, then the row finished), and a
-- crash can stop it between two of them. `setup` says which unfinished step a row is in:
--   NULL        finished; the connection is what it says.
--   'new'       being created: its credentials may not be in the keychain yet, so it is
--               not listed, scheduled or synced; one left by a crash is removed (and its
--               tokens revoked) the next time CarbonSync starts.
--   'reconnect' a new sign-in is replacing the old one: the row stays in its old, working
--               state until the new tokens are in place; one left by a crash is rolled
--               forward or back the next time CarbonSync starts.
ALTER TABLE connections ADD COLUMN setup TEXT
    CHECK (setup IS NULL OR setup IN ('new', 'reconnect'));
