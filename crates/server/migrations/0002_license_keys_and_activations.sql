-- License keys are bearer secrets: only their SHA-256 is stored.
CREATE TABLE license_keys (
    key_sha256      BLOB PRIMARY KEY,
    customer        TEXT NOT NULL,
    product         TEXT,
    license_type    TEXT NOT NULL,
    features        TEXT,                 -- JSON object, or NULL
    max_activations INTEGER NOT NULL CHECK (max_activations >= 1),
    expires_at      INTEGER,              -- Unix seconds; NULL = perpetual
    status          TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    owner_name      TEXT,
    owner_email     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- One row per machine holding a seat. The primary key makes activation idempotent.
CREATE TABLE activations (
    key_sha256   BLOB NOT NULL REFERENCES license_keys (key_sha256),
    machine_id   TEXT NOT NULL,
    license_id   TEXT NOT NULL,          -- the jti of the license files issued for this seat
    activated_at INTEGER NOT NULL,
    PRIMARY KEY (key_sha256, machine_id)
);
