-- Where CarbonSync sends reports and alerts (a Slack channel, a Teams workflow), what it sent
-- there, and the incidents alerts are about. A destination's webhook URL or bot token is in
-- the keychain under `vault_key`; no secret is ever stored here.
CREATE TABLE destinations (
    id INTEGER PRIMARY KEY,
    -- 'slack' | 'teams'
    platform TEXT NOT NULL,
    -- 'webhook' (an incoming-webhook or Workflows URL) | 'bot' (a Slack bot token)
    route TEXT NOT NULL,
    name TEXT NOT NULL,
    workspace_id TEXT,
    workspace_name TEXT,
    channel_id TEXT,
    channel_name TEXT,
    vault_key TEXT NOT NULL UNIQUE,
    sandbox INTEGER NOT NULL DEFAULT 0,
    -- The monthly report: sent for the previous month on `report_day` at `report_time`
    -- (HH:MM, the machine's local time) when enabled.
    report_enabled INTEGER NOT NULL DEFAULT 1,
    report_day INTEGER NOT NULL DEFAULT 1 CHECK (report_day BETWEEN 1 AND 28),
    report_time TEXT NOT NULL DEFAULT '09:00',
    -- Comma-separated alert kinds sent here ('sync_failed,needs_reconnect,limit_paused');
    -- empty for none.
    alert_kinds TEXT NOT NULL DEFAULT 'sync_failed,needs_reconnect,limit_paused',
    -- Comma-separated connection ids whose alerts come here; NULL for every connection.
    alert_connections TEXT,
    created_at_ms INTEGER NOT NULL,
    removed_at_ms INTEGER
);

-- A problem with one connection, from the moment it is seen until a sync succeeds again:
-- the unit alerts are sent about (one message when it opens, one when it is resolved).
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    -- 'sync_failed' | 'needs_reconnect' | 'limit_paused'
    kind TEXT NOT NULL,
    what TEXT NOT NULL,
    fix TEXT NOT NULL,
    opened_at_ms INTEGER NOT NULL,
    resolved_at_ms INTEGER,
    resolved_how TEXT
);

CREATE UNIQUE INDEX incidents_one_open ON incidents (connection_id) WHERE resolved_at_ms IS NULL;

-- Every message sent or attempted: the destination's history.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    destination_id INTEGER NOT NULL REFERENCES destinations (id),
    -- 'report' | 'alert' | 'resolved' | 'retry_result' | 'test'
    kind TEXT NOT NULL,
    -- The period (YYYY-MM) of a report; for alerts the incident's id as text.
    subject TEXT NOT NULL,
    -- 'schedule' | 'manual' | 'alert' | 'interaction'
    trigger TEXT NOT NULL,
    incident_id INTEGER REFERENCES incidents (id),
    -- What was said, as plain text (the message's fallback text; never a secret).
    summary TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER,
    -- 'sending' | 'sent' | 'failed'
    status TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    message_ref TEXT,
    chart_sent INTEGER NOT NULL DEFAULT 0,
    chart_note TEXT,
    calls INTEGER NOT NULL DEFAULT 0,
    waited_ms INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX deliveries_by_destination ON deliveries (destination_id, started_at_ms);
CREATE INDEX deliveries_by_subject ON deliveries (destination_id, kind, subject);
