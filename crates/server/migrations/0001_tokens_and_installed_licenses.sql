-- API tokens: only the SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    token_sha256 BLOB NOT NULL UNIQUE,
    permissions  TEXT NOT NULL,          -- space-separated permission names
    created_at   INTEGER NOT NULL,       -- Unix seconds
    expires_at   INTEGER                 -- Unix seconds; NULL = does not expire
);

-- License files installed on this server (seed 000). The file itself is kept, so the status is
-- re-evaluated against the trusted keys and the current time on every read.
CREATE TABLE installed_licenses (
    license_id   TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    license_type TEXT NOT NULL,
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER,
    kid          TEXT NOT NULL,
    file         TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    installed_at INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
