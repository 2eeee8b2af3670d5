CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Uploaded PKCS#12 signing certificates (seed 001). The private key is kept encrypted with
-- AES-256-GCM under the server's master key (nonce || ciphertext+tag); the passkey is never stored.
CREATE TABLE certificates (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    certificate_type TEXT NOT NULL,
    subject          TEXT NOT NULL,
    kid              TEXT NOT NULL,
    expiry           INTEGER NOT NULL,
    department_id    TEXT NOT NULL REFERENCES departments (id),
    enabled          INTEGER NOT NULL,
    certificate_der  BLOB NOT NULL,
    encrypted_key    BLOB NOT NULL,
    created_at       INTEGER NOT NULL
);
