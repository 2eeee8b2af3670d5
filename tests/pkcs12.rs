//! PKCS#12 signing keys from the real tools in fixtures/pkcs12 (OpenSSL 3 default and -legacy,
//! Java keytool, Python cryptography), licet's own .p12 files, and every bad input refused with a
//! clear error and exit 2.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{have, licet, repo};
use predicates::prelude::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Manifest {
    files: Vec<Fixture>,
}

#[derive(Deserialize)]
struct Fixture {
    file: String,
    expect: String,
    #[serde(default)]
    alias: Option<String>,
}

fn fixture(name: &str) -> PathBuf {
    repo(&format!("fixtures/pkcs12/{name}"))
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

fn manifest() -> Manifest {
    serde_json::from_str(&std::fs::read_to_string(fixture("manifest.json")).unwrap()).unwrap()
}

fn kid_of(public_pem: &Path) -> String {
    let keys = licet_verifier::parse_public_keys(&std::fs::read(public_pem).unwrap()).unwrap();
    keys[0].kid().to_owned()
}

#[test]
fn every_good_fixture_signs_a_license_that_its_openssl_public_key_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let good: Vec<Fixture> = manifest()
        .files
        .into_iter()
        .filter(|f| f.expect == "ok")
        .collect();
    assert!(good.len() >= 19, "the fixture set shrank");
    for f in good {
        let p12 = fixture(&f.file);
        let pass = fixture(&format!("{}.pass", stem(&f.file)));
        let out = licet()
            .args(["cert", "info", "--json", "--passphrase-file"])
            .arg(&pass)
            .arg(&p12)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            f.file,
            String::from_utf8_lossy(&out.stderr)
        );
        let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(info["certificateType"], "PKCS12_PFX");
        if let Some(alias) = &f.alias {
            assert_eq!(info["name"], alias.as_str(), "{}", f.file);
        }
        let pub_pem = fixture(&format!("{}.pub.pem", stem(&f.file)));
        if pub_pem.exists() {
            assert_eq!(
                info["kid"],
                kid_of(&pub_pem).as_str(),
                "{}: kid differs from the PEM form",
                f.file
            );
            let lic = dir.path().join(format!("{}.lic", stem(&f.file)));
            licet()
                .args(["issue", "--customer", "P12-TEST", "--days", "30", "--key"])
                .arg(&p12)
                .arg("--passphrase-file")
                .arg(&pass)
                .arg("--out")
                .arg(&lic)
                .assert()
                .success();
            licet()
                .arg("verify")
                .arg(&lic)
                .arg("--pubkey")
                .arg(&pub_pem)
                .assert()
                .success();
        }
    }
}

#[test]
fn the_certificate_of_a_chain_is_the_leaf_not_the_first() {
    let out = licet()
        .args(["cert", "info", "--json", "--passphrase-file"])
        .arg(fixture("openssl3-chain.pass"))
        .arg(fixture("openssl3-chain.p12"))
        .output()
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        info["subject"].as_str().unwrap().contains("CN=chain-leaf"),
        "{info}"
    );
    assert!(info["issuer"]
        .as_str()
        .unwrap()
        .contains("licet fixture CA"));
    assert_eq!(info["chainLength"], 1);
    assert_eq!(info["keyAlgorithm"], "Ed25519");
}

fn refuse(file: &str, pass: Option<&str>, message: &str) {
    let mut cmd = licet();
    cmd.args(["issue", "--customer", "C", "--key"])
        .arg(fixture(file));
    if let Some(pass) = pass {
        cmd.arg("--passphrase-file").arg(fixture(pass));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l.lic");
    cmd.arg("--out").arg(&out);
    cmd.assert()
        .code(2)
        .stderr(predicate::str::contains(file).and(predicate::str::contains(message.to_owned())));
    assert!(!out.exists(), "{file}: a license was written");
}

#[test]
fn bad_inputs_are_refused_with_a_named_cause() {
    refuse(
        "keytool-two-keys.p12",
        Some("keytool-two-keys.pass"),
        "holds 2 private keys (first, second); choose one with --alias",
    );
    refuse(
        "bad-ec-p256.p12",
        Some("bad-ec-p256.pass"),
        "EC (ECDSA) key on curve P-256",
    );
    refuse("bad-dsa.p12", Some("bad-dsa.pass"), "a DSA key");
    refuse(
        "bad-no-key.p12",
        Some("bad-no-key.pass"),
        "holds no private key",
    );
    refuse(
        "bad-camellia.p12",
        Some("bad-camellia.pass"),
        "camellia-256-cbc (OID 1.2.392.200011.61.1.1.1.4)",
    );
    refuse("bad-truncated.p12", None, "damaged or truncated");
    refuse("bad-is-pem.p12", None, "PEM text, not a PKCS#12 file");
    refuse("bad-der-certificate.p12", None, "DER X.509 certificate");
    refuse("bad-random.p12", None, "not a PKCS#12 file");
    refuse(
        "openssl3-rsa2048.p12",
        Some("empty-passphrase.pass"),
        "wrong passphrase",
    );
    refuse("openssl3-rsa2048.p12", None, "protected by a passphrase");
    refuse(
        "keytool-two-keys.p12",
        Some("keytool-two-keys.pass"),
        "choose one with --alias",
    );
}

#[test]
fn alias_picks_one_of_two_keys() {
    let out = licet()
        .args([
            "cert",
            "info",
            "--json",
            "--alias",
            "second",
            "--passphrase-file",
        ])
        .arg(fixture("keytool-two-keys.pass"))
        .arg(fixture("keytool-two-keys.p12"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["keyAlgorithm"], "Ed25519");
    licet()
        .args(["cert", "info", "--alias", "third", "--passphrase-file"])
        .arg(fixture("keytool-two-keys.pass"))
        .arg(fixture("keytool-two-keys.p12"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no private key in the PKCS#12 file has the alias \"third\"; it has: first, second",
        ));
}

#[test]
fn a_file_over_5_mb_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.p12");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(6 * 1024 * 1024).unwrap(); // sparse: nothing is written, nothing need be read
    licet()
        .args(["issue", "--customer", "C", "--key"])
        .arg(&big)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("larger than 5242880 bytes (5 MB)"));
}

#[test]
fn keygen_p12_round_trips_through_openssl_keytool_and_licet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pass"), "p12 passphrase\n").unwrap();
    for alg in ["ed25519", "rs256"] {
        let out = licet()
            .current_dir(dir.path())
            .args([
                "keygen",
                "--alg",
                alg,
                "--out",
                alg,
                "--p12",
                &format!("{alg}.p12"),
                "--passphrase-file",
                "pass",
                "--json",
            ])
            .args([
                "--subject",
                "CN=Example Vendor,O=Example",
                "--cert-days",
                "400",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let kid = summary["kid"].as_str().unwrap();
        assert_eq!(
            kid,
            kid_of(&dir.path().join(format!("{alg}.pub.pem"))),
            "the .p12 and PEM forms have one kid"
        );
        assert_eq!(summary["certificate"]["name"], "Example Vendor");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(format!("{alg}.p12")))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // licet signs with it; the PEM public key verifies.
        licet()
            .current_dir(dir.path())
            .args([
                "issue",
                "--key",
                &format!("{alg}.p12"),
                "--passphrase-file",
                "pass",
                "--customer",
                "C",
                "--days",
                "30",
                "--out",
                "l.lic",
            ])
            .assert()
            .success();
        licet()
            .current_dir(dir.path())
            .args(["verify", "l.lic", "--pubkey", &format!("{alg}.pub.pem")])
            .assert()
            .success();
        // OpenSSL 3 reads it without -legacy.
        let info = std::process::Command::new("openssl")
            .current_dir(dir.path())
            .args([
                "pkcs12",
                "-info",
                "-nokeys",
                "-in",
                &format!("{alg}.p12"),
                "-passin",
                "pass:p12 passphrase",
            ])
            .output()
            .expect("openssl is required (.ci/run installs it)");
        let text = String::from_utf8_lossy(&info.stderr).into_owned()
            + &String::from_utf8_lossy(&info.stdout);
        assert!(info.status.success(), "openssl: {text}");
        assert!(
            text.contains("AES-256-CBC") && text.contains("MAC: sha256"),
            "{text}"
        );
        if have("keytool") {
            let list = std::process::Command::new("keytool")
                .current_dir(dir.path())
                .args([
                    "-list",
                    "-storetype",
                    "PKCS12",
                    "-keystore",
                    &format!("{alg}.p12"),
                    "-storepass",
                    "p12 passphrase",
                ])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&list.stdout);
            assert!(
                list.status.success() && text.contains("PrivateKeyEntry"),
                "keytool: {text}"
            );
        }
    }
}

#[test]
fn certificate_validity_is_enforced_and_outliving_it_warns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pass"), "pw").unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "keygen",
            "--alg",
            "ed25519",
            "--p12",
            "k.p12",
            "--passphrase-file",
            "pass",
            "--cert-days",
            "10",
        ])
        .assert()
        .success();
    let issue = |extra: &[&str]| {
        let mut cmd = licet();
        cmd.current_dir(dir.path())
            .args([
                "issue",
                "--key",
                "k.p12",
                "--passphrase-file",
                "pass",
                "--customer",
                "C",
            ])
            .args(extra);
        cmd.assert()
    };
    issue(&["--issued-at", "2099-01-01T00:00:00Z"])
        .code(2)
        .stderr(
            predicate::str::contains("is not valid at 2099-01-01T00:00:00Z")
                .and(predicate::str::contains("--allow-expired-cert")),
        );
    issue(&[
        "--issued-at",
        "2099-01-01T00:00:00Z",
        "--allow-expired-cert",
    ])
    .success()
    .stderr(predicate::str::contains("warning: the signing certificate"));
    issue(&["--days", "365"]).success().stderr(
        predicate::str::contains("warning: the license expires at").and(predicate::str::contains(
            "after the signing certificate does",
        )),
    );
    issue(&["--days", "5"])
        .success()
        .stderr(predicate::str::contains("warning").not());
}

#[test]
fn keygen_p12_needs_a_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--p12", "k.p12"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a passphrase"));
    assert!(!dir.path().join("k.p12").exists());
}

#[test]
fn a_license_never_overwrites_the_keystore_and_huge_validity_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pass"), "pw").unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "keygen",
            "--alg",
            "ed25519",
            "--p12",
            "k.p12",
            "--passphrase-file",
            "pass",
        ])
        .assert()
        .success();
    let before = std::fs::read(dir.path().join("k.p12")).unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "k.p12",
            "--passphrase-file",
            "pass",
            "--customer",
            "C",
            "--out",
            "k.p12",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a license file"));
    assert_eq!(std::fs::read(dir.path().join("k.p12")).unwrap(), before);
    licet()
        .current_dir(dir.path())
        .args([
            "keygen",
            "--alg",
            "ed25519",
            "--p12",
            "big.p12",
            "--passphrase-file",
            "pass",
            "--cert-days",
            "4000000",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ends after the year 9999"));
    licet()
        .current_dir(dir.path())
        .args([
            "keygen",
            "--alg",
            "ed25519",
            "--out",
            "same",
            "--p12",
            "same.key.pem",
            "--passphrase-file",
            "pass",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("also one of the PEM files"));
}

#[test]
fn an_expired_certificate_is_refused_even_when_backdating() {
    let dir = tempfile::tempdir().unwrap();
    // A certificate valid only in 2020, made by Python `cryptography`.
    let script = r#"
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import pkcs12, BestAvailableEncryption
key = ed25519.Ed25519PrivateKey.generate()
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])
utc = datetime.timezone.utc
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=utc))
        .not_valid_after(datetime.datetime(2021, 1, 1, tzinfo=utc)).sign(key, None))
open("expired.p12", "wb").write(pkcs12.serialize_key_and_certificates(b"expired", key, cert, None, BestAvailableEncryption(b"pw")))
"#;
    let status = common::python()
        .current_dir(dir.path())
        .arg("-c")
        .arg(script)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(dir.path().join("pass"), "pw").unwrap();
    let issue = |extra: &[&str]| {
        let mut cmd = licet();
        cmd.current_dir(dir.path())
            .args([
                "issue",
                "--key",
                "expired.p12",
                "--passphrase-file",
                "pass",
                "--customer",
                "C",
            ])
            .args(extra);
        cmd.assert()
    };
    issue(&[])
        .code(2)
        .stderr(predicate::str::contains("is not valid at"));
    issue(&["--issued-at", "2020-06-01T00:00:00Z"])
        .code(2)
        .stderr(predicate::str::contains("is not valid at"));
    issue(&["--allow-expired-cert"]).success();
}
