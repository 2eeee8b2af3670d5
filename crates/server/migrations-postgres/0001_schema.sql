-- licet's tables on PostgreSQL: the schema the SQLite migrations 0001-0008 arrive at, in
-- PostgreSQL's types (BIGINT Unix seconds, BYTEA hashes, BOOLEAN flags). `seq` columns give
-- listings the insertion order SQLite's rowid gives.

CREATE TABLE api_tokens (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    token_sha256 BYTEA NOT NULL UNIQUE,
    permissions  TEXT NOT NULL,          -- space-separated permission names
    created_at   BIGINT NOT NULL,        -- Unix seconds
    expires_at   BIGINT,                 -- Unix seconds; NULL = does not expire
    revoked_at   BIGINT                  -- Unix seconds; NULL = not revoked
);

CREATE TABLE installed_licenses (
    license_id   TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    license_type TEXT NOT NULL,
    issued_at    BIGINT NOT NULL,
    expires_at   BIGINT,
    kid          TEXT NOT NULL,
    file         TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    installed_at BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE license_keys (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    key_sha256      BYTEA PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    key_hint        TEXT,
    customer        TEXT NOT NULL,
    product         TEXT,
    license_type    TEXT NOT NULL,
    features        TEXT,                 -- JSON object, or NULL
    max_activations BIGINT NOT NULL CHECK (max_activations >= 1),
    expires_at      BIGINT,               -- Unix seconds; NULL = perpetual
    lease_days      BIGINT CHECK (lease_days IS NULL OR lease_days BETWEEN 1 AND 3650),
    status          TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    owner_name      TEXT,
    owner_email     TEXT,
    assigned_at     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX license_keys_customer ON license_keys (customer);
CREATE INDEX license_keys_product ON license_keys (product);
CREATE INDEX license_keys_created ON license_keys (created_at);

CREATE TABLE activations (
    key_sha256        BYTEA NOT NULL REFERENCES license_keys (key_sha256),
    machine_id        TEXT NOT NULL,
    license_id        TEXT NOT NULL,     -- the jti of the license files issued for this seat
    activated_at      BIGINT NOT NULL,
    hostname          TEXT,
    last_validated_at BIGINT,
    PRIMARY KEY (key_sha256, machine_id)
);

CREATE TABLE applied_license (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    file       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    applied_at BIGINT NOT NULL
);

CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE certificates (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    certificate_type TEXT NOT NULL,
    subject          TEXT NOT NULL,
    kid              TEXT NOT NULL,
    expiry           BIGINT,
    department_id    TEXT NOT NULL REFERENCES departments (id),
    enabled          BOOLEAN NOT NULL,
    certificate_der  BYTEA NOT NULL,
    encrypted_key    BYTEA,
    pkcs11_uri       TEXT,
    pin_reference    TEXT,
    created_at       BIGINT NOT NULL,
    CHECK ((certificate_type = 'PKCS11') = (pkcs11_uri IS NOT NULL AND pin_reference IS NOT NULL)),
    CHECK ((certificate_type = 'PKCS11') = (encrypted_key IS NULL))
);

CREATE TABLE admin_log (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,           -- Unix seconds
    token_id  TEXT,                      -- the API token, NULL for CLI commands
    user_id   TEXT NOT NULL,             -- the token's user, or cli:<user>
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    before    TEXT,                      -- JSON, or NULL
    after     TEXT                       -- JSON, or NULL
);
CREATE INDEX admin_log_at ON admin_log (at);
CREATE INDEX admin_log_target ON admin_log (target);

-- Rate-limit counters shared by every replica (crate::ratelimit). UNLOGGED: no write-ahead
-- log for a count that lasts a minute; PostgreSQL empties the table after a crash.
CREATE UNLOGGED TABLE rate_counts (
    bucket       BYTEA NOT NULL,         -- what is counted: an address, a /64, a key's hash
    window_start BIGINT NOT NULL,        -- Unix seconds, a multiple of the window length
    count        INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- The keys every replica must be given alike (crate::serve::check_replica_keys): the first
-- replica to start records them, every later one compares its own and refuses to start when
-- they differ. `value` is a key id, or for the master key a value sealed with it.
CREATE TABLE replica_keys (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
