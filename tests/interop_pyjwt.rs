//! Interop with PyJWT, a real JWT client: licet's licenses verify with `jwt.decode`, and PyJWT's
//! tokens (with `typ: license+jwt`) verify with `licet verify`. EdDSA, RS256 and PS256.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, python, repo};
use serde_json::{json, Value};
use std::path::Path;

fn peer(dir: &Path, args: &[&str]) -> String {
    let out = python()
        .current_dir(dir)
        .arg(repo("tests/interop/pyjwt_peer.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyjwt_peer {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn keygen(dir: &Path, alg: &str) -> String {
    let out = licet()
        .current_dir(dir)
        .args(["keygen", "--alg", alg, "--out", "k", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn both_directions(keygen_alg: &str, jws_alg: &str) {
    let dir = tempfile::tempdir().unwrap();
    let kid = keygen(dir.path(), keygen_alg);
    assert_eq!(
        peer(dir.path(), &["thumbprint", "k.pub.pem"]),
        kid,
        "kid is not the RFC 7638 thumbprint"
    );

    // licet -> PyJWT
    licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "k.key.pem",
            "--alg",
            jws_alg,
            "--customer",
            "ACME-001",
            "--days",
            "30",
        ])
        .args([
            "--feature",
            "seats=5",
            "--type",
            "TRIAL",
            "--license-id",
            "L-1",
            "--out",
            "l.lic",
        ])
        .assert()
        .success();
    let decoded: Value = serde_json::from_str(&peer(
        dir.path(),
        &["verify", "l.lic", "k.pub.pem", jws_alg],
    ))
    .unwrap();
    assert_eq!(decoded["header"]["typ"], "license+jwt");
    assert_eq!(decoded["header"]["alg"], jws_alg);
    assert_eq!(decoded["header"]["kid"], kid.as_str());
    assert_eq!(decoded["claims"]["sub"], "ACME-001");
    assert_eq!(decoded["claims"]["jti"], "L-1");
    assert_eq!(decoded["claims"]["features"], json!({"seats": 5}));
    assert_eq!(decoded["claims"]["license_type"], "TRIAL");

    // PyJWT -> licet
    let claims = json!({
        "jti": "PY-1", "sub": "ACME-002", "iat": 1767225600, "exp": 4102444800u64, "license_type": "STANDARD",
        "features": {"tier": "gold"}, "machine_ids": ["a".repeat(64)],
    });
    let token = peer(
        dir.path(),
        &["mint", "k.key.pem", jws_alg, &kid, &claims.to_string()],
    );
    std::fs::write(dir.path().join("py.lic"), &token).unwrap();
    let out = licet()
        .current_dir(dir.path())
        .args([
            "verify",
            "py.lic",
            "--pubkey",
            "k.pub.pem",
            "--machine",
            &"a".repeat(64),
            "--json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["status"], "ACTIVE");
    assert_eq!(report["license"]["licenseId"], "PY-1");
    assert_eq!(report["license"]["customerId"], "ACME-002");
    assert_eq!(report["license"]["expiry"], "2100-01-01T00:00:00Z");
    assert_eq!(report["license"]["features"], json!({"tier": "gold"}));

    // PyJWT's token without a kid also verifies (each trusted key of the right type is tried).
    let no_kid = peer(
        dir.path(),
        &["mint", "k.key.pem", jws_alg, "-", &claims.to_string()],
    );
    std::fs::write(dir.path().join("nokid.lic"), &no_kid).unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "verify",
            "nokid.lic",
            "--pubkey",
            "k.pub.pem",
            "--machine",
            &"a".repeat(64),
        ])
        .assert()
        .success();

    // A PyJWT token with the ordinary `typ: JWT` is not a license.
    let plain = python()
        .arg("-c")
        .arg("import jwt,sys; from cryptography.hazmat.primitives import serialization as s; k=s.load_pem_private_key(open('k.key.pem','rb').read(), None); print(jwt.encode({'jti':'x','sub':'y','iat':1}, k, algorithm=sys.argv[1]))")
        .arg(jws_alg)
        .current_dir(dir.path())
        .output()
        .unwrap();
    std::fs::write(dir.path().join("plain.jwt"), &plain.stdout).unwrap();
    let out = licet()
        .current_dir(dir.path())
        .args(["verify", "plain.jwt", "--pubkey", "k.pub.pem", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["status"],
        "MALFORMED"
    );
}

#[test]
fn eddsa_both_directions() {
    both_directions("ed25519", "EdDSA");
}

#[test]
fn rs256_both_directions() {
    both_directions("rs256", "RS256");
}

#[test]
fn ps256_both_directions() {
    both_directions("ps256", "PS256");
}
