-- Webhooks (DESIGN.md §8). A subscription names a target and a filter;
-- its signing secret is stored encrypted with a key only the servers hold
-- (WEBHOOK_KEY), so a dump of this database cannot sign. A rotation keeps
-- the previous secret signing until `previous_until`.
CREATE TABLE webhook_subscriptions (
    id              BIGSERIAL PRIMARY KEY,
    url             TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    filter          TEXT    NOT NULL,
    active          BOOLEAN NOT NULL,
    required        BOOLEAN NOT NULL DEFAULT FALSE,
    secret          TEXT    NOT NULL,
    previous_secret TEXT,
    previous_until  TIMESTAMPTZ,
    disabled_reason TEXT,
    created_at      TIMESTAMPTZ    NOT NULL,
    created_by      TEXT    NOT NULL
);

-- One row per announcement (an outbox row) and matching subscription,
-- derived from the outbox by the fan-out (below) in one transaction with
-- its cursor, so none is lost or made twice. Pings have no outbox row.
-- `body` is the payload, fixed when the row is made: every attempt of one
-- `webhook_id` sends the same bytes. Times the deliverer compares
-- (`next_attempt_ms`, `lease_until_ms`) are milliseconds since 1970.
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    subscription_id BIGINT  NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    outbox_id       BIGINT ,
    webhook_id      TEXT    NOT NULL UNIQUE,
    event_type      TEXT    NOT NULL,
    event_id        BIGINT ,
    body            TEXT    NOT NULL,
    created_at      TIMESTAMPTZ    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failing', 'given_up')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT ,
    lease_until_ms  BIGINT ,
    UNIQUE (subscription_id, outbox_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms) WHERE state IN ('pending', 'failing');
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

-- Every attempt, for the delivery log: status, latency, error, the start
-- of the answer.
CREATE TABLE webhook_attempts (
    id          BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT  NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ    NOT NULL,
    status      INTEGER,
    latency_ms  BIGINT  NOT NULL,
    error       TEXT,
    excerpt     TEXT
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- How far the fan-out has read the outbox. Announcements made before
-- webhooks existed are not news for them.
CREATE TABLE webhook_fanout (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    last_outbox  BIGINT  NOT NULL
);

INSERT INTO webhook_fanout (id, last_outbox) SELECT 1, COALESCE(MAX(id), 0) FROM outbox;
