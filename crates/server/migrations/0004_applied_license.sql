-- The license applied to this air-gapped workspace (seed 003): at most one row.
CREATE TABLE applied_license (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    file       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    applied_at INTEGER NOT NULL
);
