-- Managing keys, seats and tokens (issue 10 §2).

-- Every key gets a stable id (keys are stored hashed, so the id is how an administrator names a
-- key without its text) and a display hint: the last 4 characters of the key, stored at creation
-- (NULL for keys made before this migration). Existing rows get a random UUID v4.
ALTER TABLE license_keys ADD COLUMN id TEXT;
ALTER TABLE license_keys ADD COLUMN key_hint TEXT;
UPDATE license_keys SET id = lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
    || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-'
    || hex(randomblob(6)))
WHERE id IS NULL;
CREATE UNIQUE INDEX license_keys_id ON license_keys (id);
CREATE INDEX license_keys_customer ON license_keys (customer);
CREATE INDEX license_keys_product ON license_keys (product);
CREATE INDEX license_keys_created ON license_keys (created_at);

-- Seats: the machine's hostname when the activation named one, and when the machine last
-- validated (written at most once per granularity, see docs/API.md).
ALTER TABLE activations ADD COLUMN hostname TEXT;
ALTER TABLE activations ADD COLUMN last_validated_at INTEGER;

-- A revoked token keeps its row (so its id is never reused) and is refused from then on.
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;

-- Every administrative change: who, what, when, the state before and after (never a secret).
CREATE TABLE admin_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,          -- Unix seconds
    token_id  TEXT,                      -- the API token, NULL for CLI commands
    user_id   TEXT NOT NULL,             -- the token's user, or cli:<user>
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    before    TEXT,                      -- JSON, or NULL
    after     TEXT                       -- JSON, or NULL
);
CREATE INDEX admin_log_at ON admin_log (at);
CREATE INDEX admin_log_target ON admin_log (target);
