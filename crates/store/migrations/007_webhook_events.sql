-- Webhook events already acted on, so a delivery the platform sends again (a retry after a
-- slow answer, or a replay by someone who captured it) starts nothing. One row per event:
-- the platform's own event id where it has one (QuickBooks' CloudEvents `id`), otherwise a
-- digest of what identifies the event (Xero: tenant, category, resource, type, time).
-- Only ids are kept, never a payload.
CREATE TABLE webhook_events (
    platform TEXT NOT NULL,
    event_key TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (platform, event_key)
) WITHOUT ROWID;

CREATE INDEX webhook_events_received ON webhook_events (received_at_ms);
