-- The bus announces the schedule and the audit too (DESIGN.md §7, docs/messages.md):
-- a plan revision (`plan`, ref_id the revision id), a plan found overdue
-- (`plan_overdue`, ref_id the overdue revision's id: one message per key
-- and revision, whichever instance sees it first) and a new disagreement
-- with Bodhi (`audit_drift`, ref_id a hash of the finding). SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt with its
-- rows, ids and the pending index kept.
CREATE TABLE outbox_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL CHECK (kind IN ('event', 'retraction', 'plan', 'plan_overdue', 'audit_drift')),
    ref_id     INTEGER NOT NULL,
    message_id TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL,
    sent_at    TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    body       TEXT,
    UNIQUE (kind, ref_id)
);

INSERT INTO outbox_new (id, kind, ref_id, message_id, created_at, sent_at, attempts, last_error, body)
    SELECT id, kind, ref_id, message_id, created_at, sent_at, attempts, last_error, body FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
