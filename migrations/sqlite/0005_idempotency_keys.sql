-- Idempotency keys of event writes (the `Idempotency-Key` request header):
-- a caller repeating a request with the same key gets the event the first
-- one stored instead of a second one. Keys belong to their caller
-- (`owner` = the `recorded_by` of the event); `fingerprint` is a digest of
-- the request, so a key used again for something else is refused. Written
-- in the event's transaction; kept as long as the event.
CREATE TABLE idempotency_keys (
    owner       TEXT    NOT NULL,
    client_key  TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    event_id    INTEGER NOT NULL REFERENCES events (id),
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (owner, client_key)
);
