//! Verifies a license file offline, as a product does at start-up (docs/EMBEDDING.md).
//!
//! cargo run -p licet-verifier --example embed_verify -- keys/demo-ed25519.pub.pem \
//!     crates/verifier/testdata/demo.lic 2026-06-01T00:00:00Z
use licet_verifier::{verify_license, TrustedKeys, UnixTime, VerifyOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key_file, license_file, rest @ ..] = args.as_slice() else {
        return Err("usage: embed_verify KEY_FILE LICENSE_FILE [RFC3339_TIME]".into());
    };
    let mut keys = TrustedKeys::new();
    keys.add_file_contents(&std::fs::read(key_file)?)?; // PEM, JWK or JWKS
    let now = match rest.first() {
        Some(time) => UnixTime::parse_rfc3339(time)?,
        None => UnixTime::now(),
    };
    let report = verify_license(
        &std::fs::read(license_file)?,
        &keys,
        &VerifyOptions::at(now),
    );
    match report.valid_license() {
        Some(license) => {
            let claims = license.claims();
            println!("{}: licensed to {}", report.status, claims.customer_id);
            Ok(())
        }
        // A "no" is a status with a reason, never an error.
        None => Err(format!("{}: {}", report.status, report.reason).into()),
    }
}
