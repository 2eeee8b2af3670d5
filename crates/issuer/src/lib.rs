//! Key generation and license minting for licet.
//!
//! ```
//! use licet_issuer::{mint_license, KeySpec, SigningKey, generate_license_id};
//! use licet_verifier::{verify_license, LicenseClaims, LicenseType, Status, TrustedKeys, UnixTime, VerifyOptions};
//!
//! let key = SigningKey::generate(KeySpec::Ed25519)?;
//! let now = UnixTime::parse_rfc3339("2026-01-01T00:00:00Z")?;
//! let claims = LicenseClaims {
//!     expires_at: Some(now.saturating_add(365 * 86_400)),
//!     issuer: Some("Example Vendor".into()),
//!     product: Some("example-product".into()),
//!     license_type: LicenseType::parse("TRIAL")?,
//!     ..LicenseClaims::new(generate_license_id(), "ACME-001", now)
//! };
//! let minted = mint_license(&key, None, &claims)?;
//!
//! let keys: TrustedKeys = [licet_verifier::TrustedKey::from_pem(&key.public_key_pem()?)?].into_iter().collect();
//! let report = verify_license(minted.token.as_bytes(), &keys, &VerifyOptions::at(now));
//! assert_eq!(report.status, Status::Active);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod generate;
mod input;
pub mod ledger;
mod mint;
mod passphrase;
pub mod pkcs11;
mod pkcs12;
pub mod pool;
pub mod reissue;
mod revoke;
pub mod rollover;
mod signing_key;
mod time_attestation;
pub mod usage;

pub use generate::{generate_license_id, generate_license_key};
pub use input::{parse_date, parse_feature, DateMeaning, InputError};
pub use mint::{mint_license, MintError, MintedLicense, LICENSE_TYP};
pub use passphrase::Passphrase;
pub use pkcs12::{
    load_pkcs12, load_pkcs12_tls, self_signed_certificate, write_pkcs12, CertificateInfo,
    Pkcs12Error, Pkcs12Identity, TlsIdentity, MAX_PKCS12_BYTES, PKCS12_ITERATIONS,
};
pub use revoke::{
    extend_revocation_list, sign_revocation_list, ListUpdate, RevocationRequest, RevokeError,
    SignedRevocationList,
};
pub use signing_key::{KeyError, KeySpec, SignError, SigningKey, PBKDF2_ITERATIONS};
pub use time_attestation::{attest_time, AttestError, SignedAttestation};

use licet_verifier::{Algorithm, TrustedKey};
use serde_json::{json, Value};

/// A JWKS (`{"keys":[...]}`) of public keys, each with `kid`, `use: sig` and `alg`. RSA keys get
/// `rsa_alg`, else the algorithm their file records, else RS256; note that a JWKS `alg` pins the
/// key to that one algorithm.
pub fn jwks<'a>(
    keys: impl IntoIterator<Item = &'a TrustedKey>,
    rsa_alg: Option<Algorithm>,
) -> Value {
    let entries: Vec<Value> = keys
        .into_iter()
        .map(|k| {
            let alg = if k.algorithms().contains(&Algorithm::EdDSA) {
                Algorithm::EdDSA
            } else {
                rsa_alg
                    .or(k.preferred_algorithm())
                    .unwrap_or(Algorithm::RS256)
            };
            k.jwk(Some(alg))
        })
        .collect();
    json!({ "keys": entries })
}
