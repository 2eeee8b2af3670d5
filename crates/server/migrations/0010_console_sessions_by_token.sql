-- A token's sessions, newest first: sign-in keeps at most crate::console::MAX_SESSIONS_PER_TOKEN
-- of them, so one token cannot fill the table.
CREATE INDEX console_sessions_token ON console_sessions (token_sha256, created_at);
