-- Plans (DESIGN.md §7): the schedule beside the facts, append-only like
-- the events. Each row is a revision of its transition key (dist, release,
-- state, reached); a cancellation is a revision with `cancelled` true,
-- the reason in `note` and the date it cancels in `planned_at`. Nothing
-- here is a fact: no view of the log reads this table.
CREATE TABLE plans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dist_name    TEXT    NOT NULL,
    release_name TEXT    NOT NULL,
    state_name   TEXT    NOT NULL,
    reached      BOOLEAN NOT NULL,
    planned_at   TEXT    NOT NULL,
    cancelled    BOOLEAN NOT NULL DEFAULT FALSE,
    note         TEXT,
    link         TEXT,
    recorded_at  TEXT    NOT NULL,
    recorded_by  TEXT    NOT NULL,
    source       TEXT    NOT NULL
);

-- A cancellation reads the current revision of its key.
CREATE INDEX plans_key ON plans (dist_name, release_name, state_name, reached, id);
