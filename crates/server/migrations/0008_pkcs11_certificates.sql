-- Signing keys registered by reference to a PKCS#11 token (certificate type PKCS11): the key's
-- RFC 7512 URI and a reference to its PIN (env:NAME or file:NAME), never the PIN; no sealed key
-- and, when the registration carried no certificate, no expiry. SQLite cannot relax NOT NULL in
-- place, so the table is rebuilt.
CREATE TABLE certificates_v2 (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    certificate_type TEXT NOT NULL,
    subject          TEXT NOT NULL,
    kid              TEXT NOT NULL,
    expiry           INTEGER,
    department_id    TEXT NOT NULL REFERENCES departments (id),
    enabled          INTEGER NOT NULL,
    certificate_der  BLOB NOT NULL,
    encrypted_key    BLOB,
    pkcs11_uri       TEXT,
    pin_reference    TEXT,
    created_at       INTEGER NOT NULL,
    CHECK ((certificate_type = 'PKCS11') = (pkcs11_uri IS NOT NULL AND pin_reference IS NOT NULL)),
    CHECK ((certificate_type = 'PKCS11') = (encrypted_key IS NULL))
);
INSERT INTO certificates_v2 (id, name, certificate_type, subject, kid, expiry, department_id,
        enabled, certificate_der, encrypted_key, pkcs11_uri, pin_reference, created_at)
    SELECT id, name, certificate_type, subject, kid, expiry, department_id, enabled,
        certificate_der, encrypted_key, NULL, NULL, created_at
    FROM certificates;
DROP TABLE certificates;
ALTER TABLE certificates_v2 RENAME TO certificates;
