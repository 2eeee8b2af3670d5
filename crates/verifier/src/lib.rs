//! Offline verification of licet license files.
//!
//! A license file is one compact JWS (a JWT with `typ: license+jwt`) signed with Ed25519 (EdDSA)
//! or RSA (RS256, PS256). This crate checks it against trusted public keys entirely offline:
//! signature, algorithm pinned by the key, expiry and grace period, not-before, product and
//! machine binding. It has no networking, async runtime or database crate in its dependency tree,
//! so it can be embedded in any product.
//!
//! ```
//! use licet_verifier::{verify_license, MachineId, Status, TrustedKeys, UnixTime, VerifyOptions};
//!
//! // A demo key and license from this crate's test data (made by `licet keygen` and `licet issue`).
//! let mut keys = TrustedKeys::new();
//! keys.add_file_contents(include_bytes!("../testdata/demo.pub.pem"))?;
//! let license = include_bytes!("../testdata/demo.lic");
//!
//! let options = VerifyOptions::at(UnixTime::parse_rfc3339("2026-06-01T00:00:00Z")?);
//! let report = verify_license(license, &keys, &options);
//! assert_eq!(report.status, Status::Active, "{}", report.reason);
//! let claims = report.valid_license().expect("valid").claims();
//! assert_eq!(claims.customer_id, "ACME-001");
//!
//! // The same file after it expired: still signature-verified, but not valid.
//! let later = VerifyOptions::at(UnixTime::parse_rfc3339("2031-01-01T00:00:00Z")?);
//! let report = verify_license(license, &keys, &later);
//! assert_eq!(report.status, Status::Expired);
//! assert!(report.valid_license().is_none());
//! # let _ = MachineId::from_raw_identifier("x");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod algorithm;
mod batch;
mod check;
mod claims;
pub mod clock;
pub mod ed25519;
mod inspect;
mod json;
pub mod jws;
mod keys;
pub mod lease;
mod license_key;
mod machine;
pub mod offline;
mod report;
mod response;
mod revocation;
pub mod rollover;
pub mod state;
mod timestamp;
pub mod trust;
mod trust_store;
mod verify;

pub use algorithm::Algorithm;
pub use batch::{verify_licenses, BATCH_SIZE};
pub use check::{
    check_lease, check_license, CheckReport, LeaseCheckReport, ListInput, ListReport, ListStatus,
    StateSettings, StatefulVerifier,
};
pub use claims::{ClaimError, LicenseClaims, LicenseType, KNOWN_CLAIMS, MAX_GRACE_DAYS};
pub use inspect::{inspect_untrusted, UntrustedContents};
pub use keys::{
    parse_public_keys, split_algorithm_annotation, Introduction, KeyError, KeyType,
    SignatureRejected, TrustedKey, TrustedKeys, ALGORITHM_ANNOTATION, MAX_KEY_FILE_BYTES,
    MAX_RSA_BITS, MIN_RSA_BITS,
};
pub use license_key::{
    KeyCheck, LicenseKey, LicenseKeyError, LICENSE_KEY_ALPHABET, LICENSE_KEY_ALPHABET_V2,
    LOOK_ALIKES,
};
pub use machine::{machine_identifier_sources, MachineId, MachineIdError};
pub use report::{LicenseView, Status, VerificationReport, VerifiedLicense};
pub use response::{
    verify_fresh_response, verify_signed_response, Freshness, ResponseError, ResponseKind,
    VerifiedResponse, DEFAULT_RESPONSE_CLOCK_TOLERANCE_SECS,
};
pub use revocation::{
    verify_revocation_list, verify_revocation_list_license_entries, KeyRevocation, Revocation,
    RevocationError, RevocationList, MAX_REVOCATION_LIST_BYTES, REVOCATION_LIST_TYPE,
};
pub use rollover::{
    verify_rollover, AcceptedRollover, Rollover, RolloverError, MAX_ROLLOVER_BYTES, ROLLOVER_TYPE,
};
pub use timestamp::{TimeError, UnixTime, MAX_UNIX_TIME};
pub use trust::{key_standing, KeyRefusal};
pub use trust_store::{
    StatementReport, TrustAdded, TrustChain, TrustError, TrustList, TrustedKeyReport,
};
pub use verify::{
    verify_license, ClockGuard, MachineCheck, VerifyOptions, DEFAULT_CLOCK_TOLERANCE_SECS,
    LICENSE_TYPES, MAX_LICENSE_FILE_BYTES,
};
