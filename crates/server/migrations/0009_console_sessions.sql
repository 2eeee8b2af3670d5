-- Sessions of the web console (crate::console): the SHA-256 of the session id in the cookie
-- (never the id), the SHA-256 of the API token the session signed in with (each request checks
-- that token again, so a revoked token ends its sessions), and when it ends.
CREATE TABLE console_sessions (
    session_sha256 BLOB PRIMARY KEY,
    token_sha256   BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
