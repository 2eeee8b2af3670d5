//! Keys in a PKCS#11 token (issue #13, part 1), against SoftHSM2 in a temporary token directory:
//! keys made inside the token for each algorithm sign licenses and revocation lists that verify
//! with the public key written beside them, and every way of getting the token wrong (PIN,
//! object, module, a missing public half, a name taken, a PIN in the URI) is refused with a
//! message that names it and exit code 2.
//!
//! Needs SoftHSM2 (`apt-get install -y softhsm2`; `.ci/run` installs it). Without it these tests
//! fail, saying so: they are never skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::licet;
use std::path::{Path, PathBuf};
use std::process::Command;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "4321";
const SO_PIN: &str = "87654321";

/// A SoftHSM2 token directory of its own, with one initialised token labelled `vendor`.
struct Token {
    dir: tempfile::TempDir,
}

impl Token {
    fn new() -> Token {
        assert!(
            Path::new(MODULE).exists(),
            "SoftHSM2 is required for the PKCS#11 tests: apt-get install -y softhsm2 (.ci/run does); {MODULE} is missing"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("tokens")).expect("token dir");
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                dir.path().join("tokens").display()
            ),
        )
        .expect("conf");
        std::fs::write(dir.path().join("pin.txt"), format!("{PIN}\n")).expect("pin file");
        std::fs::write(dir.path().join("wrong-pin.txt"), "0000\n").expect("pin file");
        let token = Token { dir };
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", token.conf())
            .args([
                "--init-token",
                "--free",
                "--label",
                "vendor",
                "--pin",
                PIN,
                "--so-pin",
                SO_PIN,
            ])
            .output()
            .expect("softhsm2-util runs (apt-get install -y softhsm2)");
        assert!(
            out.status.success(),
            "softhsm2-util --init-token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        token
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn uri(&self, object: &str) -> String {
        format!("pkcs11:token=vendor;object={object}?module-path={MODULE}")
    }

    /// `licet` in the token's directory, with the token's configuration and no PIN in the
    /// environment.
    fn licet(&self) -> assert_cmd::Command {
        let mut cmd = licet();
        cmd.current_dir(self.path())
            .env("SOFTHSM2_CONF", self.conf())
            .env_remove("LICET_PKCS11_PIN");
        cmd
    }

    fn keygen(&self, object: &str, alg: &str, prefix: &str) {
        let out = self
            .licet()
            .args([
                "keygen",
                "--alg",
                alg,
                "--pkcs11",
                &self.uri(object),
                "--pin-file",
                "pin.txt",
            ])
            .args(["--out", prefix, "--json"])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "keygen --pkcs11 {alg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(summary["token"], "vendor");
        assert!(
            !self.path().join(format!("{prefix}.key.pem")).exists(),
            "no private key file is written for a key in a token"
        );
    }

    /// Runs `licet` and returns its exit code and standard error.
    fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.licet().args(args).output().expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn verify_status(token: &Token, license: &str, pubkey: &str) -> (i32, String) {
    let out = token
        .licet()
        .args(["verify", license, "--pubkey", pubkey, "--json", "--machine"])
        .arg("0".repeat(64))
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "verify --json printed no JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        report["status"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn keys_made_in_the_token_sign_licenses_that_verify_with_their_public_key() {
    let token = Token::new();
    for (alg, object) in [
        ("ed25519", "ed"),
        ("rs256", "rsa-pkcs1"),
        ("ps256", "rsa-pss"),
    ] {
        token.keygen(object, alg, object);
        let pubkey = format!("{object}.pub.pem");
        // `key public` reads the same public key out of the token.
        let out = token
            .licet()
            .args(["key", "public", &token.uri(object), "--pin-file", "pin.txt"])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let from_token = String::from_utf8(out.stdout).expect("PEM");
        let written = std::fs::read_to_string(token.path().join(&pubkey)).expect("pub");
        let body = |pem: &str| {
            pem.lines()
                .skip_while(|l| !l.starts_with("-----BEGIN"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(body(&from_token), body(&written), "{alg}: key public");

        let license = format!("{object}.lic");
        let mut issue = token.licet();
        issue
            .args([
                "issue",
                "--key",
                &token.uri(object),
                "--customer",
                "ACME-001",
            ])
            .args(["--days", "30", "--out", &license])
            .env("LICET_PKCS11_PIN", PIN);
        if alg == "ps256" {
            issue.args(["--alg", "PS256"]);
        }
        let out = issue.output().expect("runs");
        assert!(
            out.status.success(),
            "issue with {alg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            verify_status(&token, &license, &pubkey),
            (0, "ACTIVE".to_owned()),
            "{alg}: the license verifies with the public key keygen wrote"
        );
        let header = std::fs::read_to_string(token.path().join(&license)).expect("license");
        let header = header.split('.').next().expect("header");
        use base64::Engine;
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .expect("base64url"),
        )
        .expect("JSON header");
        let expected_alg = match alg {
            "ed25519" => "EdDSA",
            "rs256" => "RS256",
            _ => "PS256",
        };
        assert_eq!(header["alg"], expected_alg, "{alg}");

        // A revocation list signed in the token refuses the license.
        let list = format!("{object}-revoked.jwt");
        let license_id = {
            let out = token
                .licet()
                .args(["inspect", &license, "--json"])
                .output()
                .expect("runs");
            let inspected: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            inspected["untrusted"]["claims"]["jti"]
                .as_str()
                .expect("jti")
                .to_owned()
        };
        let out = token
            .licet()
            .args([
                "revoke",
                "--key",
                &token.uri(object),
                "--pin-file",
                "pin.txt",
            ])
            .args(["--list", &list, &license_id])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "revoke with {alg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = token
            .licet()
            .args([
                "verify",
                &license,
                "--pubkey",
                &pubkey,
                "--revocations",
                &list,
                "--json",
            ])
            .args(["--machine", &"0".repeat(64)])
            .output()
            .expect("runs");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(report["status"], "REVOKED", "{alg}: {report}");
    }
}

#[test]
fn a_wrong_pin_a_missing_object_or_module_and_no_pin_are_named() {
    let token = Token::new();
    token.keygen("ed", "ed25519", "ed");
    let issue = |uri: &str, pin: &[&str]| {
        let mut args = vec!["issue", "--key", uri, "--customer", "C", "--out", "x.lic"];
        args.extend_from_slice(pin);
        token.fails(&args)
    };
    let (code, err) = issue(&token.uri("ed"), &["--pin-file", "wrong-pin.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused the PIN"), "{err}");

    let (code, err) = issue(&token.uri("nope"), &["--pin-file", "pin.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has no private key object=nope"), "{err}");

    let missing = "pkcs11:token=vendor;object=ed?module-path=/nonexistent/libpkcs11.so";
    let (code, err) = issue(missing, &["--pin-file", "pin.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/libpkcs11.so"), "{err}");

    let other_token = format!("pkcs11:token=other;object=ed?module-path={MODULE}");
    let (code, err) = issue(&other_token, &["--pin-file", "pin.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no token token=other") && err.contains("vendor"),
        "{err}"
    );

    let (code, err) = issue(&token.uri("ed"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("PIN is needed"), "{err}");

    let in_uri = format!("pkcs11:token=vendor;object=ed?module-path={MODULE}&pin-value={PIN}");
    let (code, err) = issue(&in_uri, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pin-value"), "{err}");

    assert!(
        !token.path().join("x.lic").exists(),
        "no refused command wrote a license"
    );
}

#[test]
fn a_name_taken_is_refused_and_a_key_without_its_public_half_cannot_sign() {
    let token = Token::new();
    token.keygen("ed", "ed25519", "ed");
    let before = std::fs::read(token.path().join("ed.pub.pem")).expect("pub");
    let (code, err) = token.fails(&[
        "keygen",
        "--alg",
        "ed25519",
        "--pkcs11",
        &token.uri("ed"),
        "--pin-file",
        "pin.txt",
        "--out",
        "ed2",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already has a key object=ed"), "{err}");
    assert!(!token.path().join("ed2.pub.pem").exists());
    assert_eq!(
        std::fs::read(token.path().join("ed.pub.pem")).expect("pub"),
        before
    );

    // Take the public half out of the token (as a token holding an imported private key only).
    delete_public_key(&token, "ed");
    let (code, err) = token.fails(&[
        "issue",
        "--key",
        &token.uri("ed"),
        "--pin-file",
        "pin.txt",
        "--customer",
        "C",
        "--out",
        "x.lic",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not its public half"), "{err}");
    assert!(!token.path().join("x.lic").exists());
}

/// Deletes the public key object labelled `label` with the PKCS#11 API (cryptoki), as the
/// token's own tools would.
fn delete_public_key(token: &Token, label: &str) {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::object::{Attribute, ObjectClass};
    use cryptoki::session::UserType;
    use cryptoki::types::AuthPin;
    // SoftHSM2 reads SOFTHSM2_CONF when the module is initialised, in this process.
    std::env::set_var("SOFTHSM2_CONF", token.conf());
    let pkcs11 = Pkcs11::new(MODULE).expect("module");
    pkcs11
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("initialize");
    let slot = pkcs11
        .get_slots_with_token()
        .expect("slots")
        .into_iter()
        .find(|s| {
            pkcs11
                .get_token_info(*s)
                .map(|i| i.label().trim() == "vendor")
                .unwrap_or(false)
        })
        .expect("the vendor token");
    let session = pkcs11.open_rw_session(slot).expect("session");
    session
        .login(UserType::User, Some(&AuthPin::new(PIN.into())))
        .expect("login");
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .expect("find");
    assert_eq!(found.len(), 1, "one public key labelled {label}");
    session.destroy_object(found[0]).expect("destroy");
    session.close().expect("close");
    pkcs11.finalize().expect("finalize");
}
