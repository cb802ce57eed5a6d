-- The transactional outbox of the message bus (DESIGN.md §3): one row per
-- event or retraction, inserted in the transaction that stores it, marked
-- sent once the broker has confirmed the message. `message_id` is drawn
-- once, at insert, so every redelivery carries the same one. Events stored
-- before this migration get no row: they were never news on the bus.
CREATE TABLE outbox (
    id         BIGSERIAL   PRIMARY KEY,
    kind       TEXT        NOT NULL CHECK (kind IN ('event', 'retraction')),
    ref_id     BIGINT      NOT NULL,
    message_id TEXT        NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ,
    attempts   BIGINT      NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (kind, ref_id)
);

-- The publisher claims pending rows in id order; sent rows stay for audit
-- but leave this index.
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
