-- The append-only event log, its retractions, and API tokens (hashes only).
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dist_name    TEXT    NOT NULL,
    release_name TEXT    NOT NULL,
    state_name   TEXT    NOT NULL,
    reached      BOOLEAN NOT NULL,
    happened_at  TEXT    NOT NULL,
    recorded_at  TEXT    NOT NULL,
    recorded_by  TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    note         TEXT,
    link         TEXT
);

CREATE TABLE retractions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER NOT NULL UNIQUE REFERENCES events (id),
    reason      TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    recorded_by TEXT    NOT NULL,
    source      TEXT    NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;
