-- Properties of dists and releases (`codename`, `version`, ...), kept as
-- an append-only log of changes like the events: the value of a key at T
-- is the one of its last change with `happened_at <= T` (ties: id); a NULL
-- value means the key was removed. `release_name` is '' for a property of
-- the dist itself. The old value of a change is the previous change's.
CREATE TABLE property_changes (
    id           BIGSERIAL   PRIMARY KEY,
    dist_name    TEXT NOT NULL,
    release_name TEXT NOT NULL DEFAULT '',
    prop_key     TEXT NOT NULL,
    value        TEXT,
    happened_at  TIMESTAMPTZ NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    recorded_by  TEXT NOT NULL,
    source       TEXT NOT NULL
);

-- An edit reads the current set of one dist or release.
CREATE INDEX property_changes_subject ON property_changes (dist_name, release_name);
