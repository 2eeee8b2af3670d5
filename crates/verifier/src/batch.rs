//! Many licenses at once. Ed25519 signatures that name their key by `kid` are checked in batches
//! of [`BATCH_SIZE`] with [`crate::ed25519::verify_batch`] (one multi-scalar multiplication for
//! the batch, ed25519-zebra's batch verifier, which also merges the terms of signatures by the same
//! key); a batch that fails is checked again one by one, so the failing files get their own
//! verdicts. Everything but the signature equation is the code of [`verify_license`], and every
//! other file (RSA, no `kid`, undecodable, a signature that breaks the encoding rules) goes through
//! [`verify_license`] itself.
//!
//! What the batch accepts: exactly what [`verify_license`] accepts, because both apply the one
//! rule of [`crate::ed25519`]: the same encoding checks (canonical `S`; canonical `R`, not of
//! small order; keys canonical and not of small order, refused at load), and the cofactored
//! equation `[8]([S]B - R - [k]A) = 0` for single and batch alike. The cofactor removes any torsion
//! component of `R` from every term, so the random multipliers (from the operating system, not
//! derived from the inputs) cannot change the verdict; a random linear combination of the
//! equations holds only if each holds (but with probability about 2^-128). Before this rule, the
//! batch used ed25519-dalek's cofactorless `verify_batch` with multipliers derived from the inputs
//! and the single check `verify_strict`: a key holder could grind a signature with a torsion
//! component in `R` that the batch accepted and the single check refused.

use crate::ed25519::{self, BatchItem, Ed25519PublicKey};
use crate::jws;
use crate::keys::{TrustedKey, TrustedKeys};
use crate::report::VerificationReport;
use crate::verify::{verify_license, verify_with, VerifyOptions};

/// Signatures per batch equation: past 64 the gain per signature is small, and a failing batch
/// costs a recheck of this many.
pub const BATCH_SIZE: usize = 64;

struct Candidate<'f, 'k> {
    index: usize,
    key: &'k TrustedKey,
    ed25519_key: &'k Ed25519PublicKey,
    message: &'f [u8],
    signature: [u8; ed25519::SIGNATURE_LENGTH],
}

/// Verifies every file with the same keys and options; the reports are in the order of `files`
/// and equal to what [`verify_license`] reports for each.
///
/// ```
/// use licet_verifier::{verify_licenses, TrustedKeys, UnixTime, VerifyOptions, Status};
/// let files: [&[u8]; 2] = [b"not a license", b"a.b"];
/// let reports = verify_licenses(&files, &TrustedKeys::new(), &VerifyOptions::at(UnixTime::now()));
/// assert!(reports.iter().all(|r| r.status == Status::Malformed));
/// ```
pub fn verify_licenses(
    files: &[&[u8]],
    keys: &TrustedKeys,
    options: &VerifyOptions,
) -> Vec<VerificationReport> {
    let mut candidates = Vec::new();
    for (index, file) in files.iter().enumerate() {
        if file.len() > crate::verify::MAX_LICENSE_FILE_BYTES {
            continue;
        }
        let Ok(text) = std::str::from_utf8(file) else {
            continue;
        };
        let Ok(decoded) = jws::decode(text.trim()) else {
            continue;
        };
        let Some((key, message, signature)) = decoded.batch_item(keys) else {
            continue;
        };
        let Some(ed25519_key) = key.ed25519_key() else {
            continue;
        };
        // A signature that breaks the encoding rules would fail its whole batch: it goes to
        // `verify_license`, which refuses it by the same rule.
        let Ok(signature) = <[u8; ed25519::SIGNATURE_LENGTH]>::try_from(signature) else {
            continue;
        };
        if ed25519::parse_signature(&signature).is_none() {
            continue;
        }
        // The message borrows the file, not `decoded`: find it in the file's text.
        let start = text.len() - text.trim_start().len();
        let message = &file[start..start + message.len()];
        candidates.push(Candidate {
            index,
            key,
            ed25519_key,
            message,
            signature,
        });
    }
    let mut verified_by: Vec<Option<&TrustedKey>> = vec![None; files.len()];
    for batch in candidates.chunks(BATCH_SIZE) {
        let items: Vec<BatchItem<'_>> = batch
            .iter()
            .map(|c| BatchItem {
                key: c.ed25519_key,
                message: c.message,
                signature: &c.signature,
            })
            .collect();
        if ed25519::verify_batch(&items) {
            for candidate in batch {
                verified_by[candidate.index] = Some(candidate.key);
            }
        }
    }
    files
        .iter()
        .zip(verified_by)
        .map(|(file, key)| match key {
            Some(key) => verify_with(file, keys, options, |decoded| {
                Ok(decoded.verified_by_batch(key))
            }),
            None => verify_license(file, keys, options),
        })
        .collect()
}
