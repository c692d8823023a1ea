-- Outgoing webhooks: endpoints per user account, an outbox of deliveries and a log of attempts.
-- Keep in step with the other dialect's folder (tests/storage.rs checks).

-- A URL that receives the user's events, signed with `secret` (Standard Webhooks, `whsec_…`).
-- event_types: JSON array of the subscribed types; empty means every type.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    event_types TEXT NOT NULL DEFAULT '[]',
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_user ON webhook_endpoints (user_id, id);

-- One message for one endpoint; id is the `webhook-id` header, the same on every retry.
-- status: pending | delivered | failed. A sender claims a due delivery by setting lease_token
-- and lease_until (UPDATE … WHERE the lease is free or expired), so two server replicas never
-- send the same attempt at once; recording the attempt clears the lease.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_token TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Every attempt to send a delivery: the HTTP status (NULL when none came back), the error, and
-- how long it took.
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
