-- Browser logins (issue 4): server-side sessions (the layout
-- tower-sessions-sqlx-store reads), the people who logged in with what
-- their identity provider said about them at their last login, and the
-- owner of personal API tokens.
CREATE TABLE sessions (
    id          TEXT        PRIMARY KEY NOT NULL,
    data        BYTEA       NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_expiry ON sessions (expiry_date);

-- Keyed by (issuer, subject): nicknames can be renamed or reused, `sub`
-- cannot. `is_editor` is what the groups said at the last login; personal
-- tokens stop working when it turns false.
CREATE TABLE users (
    issuer         TEXT        NOT NULL,
    subject        TEXT        NOT NULL,
    nickname       TEXT        NOT NULL,
    groups_json    TEXT        NOT NULL,
    is_editor      BOOLEAN     NOT NULL,
    first_login_at TIMESTAMPTZ NOT NULL,
    last_login_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject)
);

ALTER TABLE api_tokens ADD COLUMN owner_issuer TEXT;
ALTER TABLE api_tokens ADD COLUMN owner_subject TEXT;

-- A correction is a retraction plus a new event written in one
-- transaction; the new event names the one it corrects.
ALTER TABLE events ADD COLUMN corrects BIGINT REFERENCES events (id);
