-- The append-only event log, its retractions, and API tokens (hashes only).
CREATE TABLE events (
    id           BIGSERIAL   PRIMARY KEY,
    dist_name    TEXT        NOT NULL,
    release_name TEXT        NOT NULL,
    state_name   TEXT        NOT NULL,
    reached      BOOLEAN     NOT NULL,
    happened_at  TIMESTAMPTZ NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    recorded_by  TEXT        NOT NULL,
    source       TEXT        NOT NULL,
    note         TEXT,
    link         TEXT
);

CREATE TABLE retractions (
    id          BIGSERIAL   PRIMARY KEY,
    event_id    BIGINT      NOT NULL UNIQUE REFERENCES events (id),
    reason      TEXT        NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT        NOT NULL,
    source      TEXT        NOT NULL
);

CREATE TABLE api_tokens (
    id           BIGSERIAL   PRIMARY KEY,
    name         TEXT        NOT NULL,
    token_hash   TEXT        NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;
