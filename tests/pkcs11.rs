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
/// Long and distinctive, so a search of the database for it cannot match by chance.
const PIN: &str = "pin-4f9c2a71e3";
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

/// The PKCS#11 API (cryptoki) on `token`, logged in, as the token's own tools would use it.
/// SoftHSM2 reads SOFTHSM2_CONF when the module is initialised, in this process, so one test at
/// a time does this.
fn with_session<T>(token: &Token, f: impl FnOnce(&cryptoki::session::Session) -> T) -> T {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::session::UserType;
    use cryptoki::types::AuthPin;
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
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
    let result = f(&session);
    session.close().expect("close");
    pkcs11.finalize().expect("finalize");
    result
}

/// The one public key object labelled `label`.
fn public_key_object(
    session: &cryptoki::session::Session,
    label: &str,
) -> cryptoki::object::ObjectHandle {
    use cryptoki::object::{Attribute, ObjectClass};
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .expect("find");
    assert_eq!(found.len(), 1, "one public key labelled {label}");
    found[0]
}

/// Deletes the public key object labelled `label`.
fn delete_public_key(token: &Token, label: &str) {
    with_session(token, |session| {
        let object = public_key_object(session, label);
        session.destroy_object(object).expect("destroy");
    });
}

/// A faulty or substituted token: the public key labelled `label` is replaced by the public
/// half of another key pair (`other`), so what the token signs with `label`'s private key does
/// not verify with the public key it reports.
fn substitute_public_key(token: &Token, label: &str, other: &str) {
    use cryptoki::object::Attribute;
    with_session(token, |session| {
        let own = public_key_object(session, label);
        session.destroy_object(own).expect("destroy");
        let foreign = public_key_object(session, other);
        session
            .update_attributes(foreign, &[Attribute::Label(label.as_bytes().to_vec())])
            .expect("relabel");
    });
}

/// A token that signs with one key and reports another's public half: every signature it makes
/// is checked before use, so nothing is written, for licenses, lists and rollover statements
/// alike (exit 2, named).
#[test]
fn a_signature_the_token_gets_wrong_is_caught_before_anything_is_written() {
    let token = Token::new();
    token.keygen("ed", "ed25519", "ed");
    token.keygen("other", "ed25519", "other");
    substitute_public_key(&token, "ed", "other");
    let out = token
        .licet()
        .args(["keygen", "--alg", "ed25519", "--out", "third"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let uri = token.uri("ed");
    let pin = ["--pin-file", "pin.txt"];
    let attempts: [&[&str]; 3] = [
        &["issue", "--key", &uri, "--customer", "C", "--out", "x.lic"],
        &[
            "revoke",
            "--key",
            &uri,
            "--list",
            "x-list.jwt",
            "--force",
            "L-1",
        ],
        &[
            "key",
            "rollover",
            "--old",
            &uri,
            "--new",
            "third.pub.pem",
            "--out",
            "x-rollover.jwt",
        ],
    ];
    for args in attempts {
        let (code, err) = token.fails(&[args, &pin[..]].concat());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("does not verify with the key's public half: nothing was written"),
            "{args:?}: {err}"
        );
    }
    for file in ["x.lic", "x-list.jwt", "x-rollover.jwt"] {
        assert!(!token.path().join(file).exists(), "{file} was written");
    }
}

/// A spawned `licet serve`, killed when dropped.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `licet serve` with both of its keys in the token: seat licenses signed by an Ed25519 token
/// key verify with its public key, and the RSA response key in the token signs the activation
/// envelope, which `licet verify-response` accepts with that key's public half.
#[test]
fn serve_signs_seat_licenses_and_responses_with_keys_in_the_token() {
    use std::io::BufRead;
    let token = Token::new();
    token.keygen("license-signing", "ed25519", "vendor");
    token.keygen("api-responses", "rs256", "api");
    let db = common::new_db(token.path());
    let out = token
        .licet()
        .args(["license-key", "create", "--db", &db, "--customer", "ACME"])
        .args(["--max-activations", "1"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let license_key = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let out = token
        .licet()
        .args(["token", "create", "--db", &db, "--user", "admin"])
        .args(["--permission", "manage-certificates", "--json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let api_token = created["token"].as_str().unwrap().to_owned();
    std::fs::create_dir(token.path().join("pins")).unwrap();
    private_file(&token.path().join("pins/vendor.pin"), &format!("{PIN}\n"));
    private_file(&token.path().join("pins/wrong.pin"), "0000\n");

    let mut child = std::process::Command::new(common::licet_bin())
        .current_dir(token.path())
        .env("SOFTHSM2_CONF", token.conf())
        .env_remove("LICET_PKCS11_PIN")
        .env("LICET_PKCS11_PIN_VENDOR", PIN)
        .env("LICET_LOG", "warn")
        .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
        .args(["--pkcs11-module", MODULE, "--pkcs11-pin-dir", "pins"])
        .args(["--license-signing-key", &token.uri("license-signing")])
        .args(["--license-pin-file", "pin.txt"])
        .args([
            "--signing-key",
            &token.uri("api-responses"),
            "--pin-file",
            "pin.txt",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    let serving = Serving(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("serve did not start: {line:?}"))
        .to_owned();

    let machine = "a".repeat(64);
    let answer: serde_json::Value = ureq::post(&format!("{base}/license/activate"))
        .send_json(serde_json::json!({"license_key": license_key, "machine_id": machine}))
        .expect("activation answered")
        .into_json()
        .unwrap();
    register_token_keys(&token, &base, &api_token);
    drop(serving);
    // The PIN is nowhere in the database: only its reference is.
    for file in ["licet.db", "licet.db-wal"] {
        let bytes = std::fs::read(token.path().join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(PIN.len()).any(|w| w == PIN.as_bytes()),
            "the PIN is in {file}"
        );
        assert!(
            !bytes.is_empty() || file.ends_with("-wal"),
            "{file} was read"
        );
    }
    std::fs::write(token.path().join("answer.json"), answer.to_string()).unwrap();
    std::fs::write(
        token.path().join("seat.lic"),
        answer["data"]["license_file"]
            .as_str()
            .expect("a seat license"),
    )
    .unwrap();
    let out = token
        .licet()
        .args([
            "verify",
            "seat.lic",
            "--pubkey",
            "vendor.pub.pem",
            "--machine",
            &machine,
        ])
        .args(["--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "ACTIVE", "{report:#}");
    assert_eq!(report["alg"], "EdDSA", "{report:#}");
    let out = token
        .licet()
        .args(["verify-response", "answer.json", "--pubkey", "api.pub.pem"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the envelope the token signed verifies: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `contents` to a new file of mode 0600.
fn private_file(path: &Path, contents: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// POSTs a multipart form of text fields to `/api/v1/certificates`: the status and the answer.
fn register(base: &str, api_token: &str, fields: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let boundary = "licetBoundary1b9e2c";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let answer = ureq::post(&format!("{base}/api/v1/certificates"))
        .set("x-auth-token", api_token)
        .set(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .send_string(&body);
    match answer {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

/// Issue 13 §1: the certificate API registers a key in the token by URI and PIN reference
/// (type PKCS11), answers the seed's CertificateVO for it, and refuses a module the operator
/// did not allow, a wrong PIN, a PIN sent in place of a reference, references outside what is
/// allowed, a missing object, and PKCS12_HSM (each 400, named).
fn register_token_keys(token: &Token, base: &str, api_token: &str) {
    let (status, department) = ureq::post(&format!("{base}/api/v1/departments"))
        .set("x-auth-token", api_token)
        .send_json(serde_json::json!({"name": "Licensing"}))
        .map(|r| (r.status(), r.into_json::<serde_json::Value>().unwrap()))
        .expect("department");
    assert_eq!(status, 201);
    let department = department["data"]["id"].as_str().unwrap().to_owned();
    let uri = token.uri("license-signing");
    let form = |uri: &str, reference: &str, name: &str| {
        vec![
            ("certificateType", "PKCS11".to_owned()),
            ("pkcs11Uri", uri.to_owned()),
            ("pinReference", reference.to_owned()),
            ("departmentId", department.clone()),
            ("name", name.to_owned()),
        ]
    };
    let send = |fields: Vec<(&str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        register(base, api_token, &fields)
    };

    let (status, body) = send(form(&uri, "env:LICET_PKCS11_PIN_VENDOR", "hsm-ed25519"));
    assert_eq!(status, 201, "{body}");
    let vo = &body["data"];
    assert_eq!(vo["certificateType"], "PKCS11", "{body}");
    assert_eq!(vo["name"], "hsm-ed25519");
    assert_eq!(vo["departmentName"], "Licensing");
    assert!(vo["expiry"].is_null(), "{body}");
    let (status, body) = send(form(
        &token.uri("api-responses"),
        "file:vendor.pin",
        "hsm-rsa",
    ));
    assert_eq!(status, 201, "{body}");
    let (status, listed) = ureq::get(&format!("{base}/api/v1/certificates"))
        .set("x-auth-token", api_token)
        .call()
        .map(|r| (r.status(), r.into_json::<serde_json::Value>().unwrap()))
        .unwrap();
    assert_eq!(status, 200);
    let types: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["certificateType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["PKCS11", "PKCS11"], "{listed}");

    let refused = |fields: Vec<(&str, String)>, expected: &str| {
        let (status, body) = send(fields);
        assert_eq!(status, 400, "{expected}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{expected}: {body}");
    };
    let evil = "pkcs11:token=vendor;object=license-signing?module-path=/tmp/evil.so";
    refused(
        form(evil, "env:LICET_PKCS11_PIN_VENDOR", "x1"),
        "which this server does not allow",
    );
    refused(
        form(&uri, "file:wrong.pin", "x2"),
        "The token key cannot be used",
    );
    refused(form(&uri, PIN, "x3"), "the PIN itself is never sent");
    refused(
        form(&uri, "env:HOME", "x4"),
        "only variables whose name starts with LICET_PKCS11_PIN",
    );
    refused(form(&uri, "file:../pin.txt", "x5"), "plain file name");
    refused(form(&uri, "env:LICET_PKCS11_PIN_UNSET", "x6"), "not set");
    refused(
        form(&token.uri("missing"), "env:LICET_PKCS11_PIN_VENDOR", "x7"),
        "The token key cannot be used",
    );
    let mut hsm = form(&uri, "env:LICET_PKCS11_PIN_VENDOR", "x8");
    hsm[0].1 = "PKCS12_HSM".into();
    refused(hsm, "PKCS12_HSM is not supported");
}
