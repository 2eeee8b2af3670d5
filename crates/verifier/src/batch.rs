//! Many licenses at once. Ed25519 signatures that name their key by `kid` are checked in batches
//! with ed25519-dalek's `verify_batch` (one multi-scalar multiplication for the batch, about half
//! the work of checking them one by one); a batch that fails is checked again one by one, so the
//! failing files get their own verdicts. Everything but the signature equation is the code of
//! [`verify_license`], and every other file (RSA, no `kid`, undecodable) goes through
//! [`verify_license`] itself.
//!
//! What the batch equation accepts: the batch equation of ed25519-dalek 2.2 is the cofactorless
//! one (`is_identity` without multiplying by the cofactor), like `verify_strict`; a random linear
//! combination of the signatures' equations holds only if each holds (but with negligible
//! probability). Weak keys are refused when keys are loaded, non-canonical `S` by the signature
//! parser (the whole batch then fails and is checked one by one), and small-order `R` here, as
//! `verify_strict` does.

use crate::jws;
use crate::keys::{TrustedKey, TrustedKeys};
use crate::report::VerificationReport;
use crate::verify::{verify_license, verify_with, VerifyOptions};
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, VerifyingKey};

/// Signatures per batch equation: past 64 the gain per signature is small, and a failing batch
/// costs a recheck of this many.
pub const BATCH_SIZE: usize = 64;

struct Candidate<'f, 'k> {
    index: usize,
    key: &'k TrustedKey,
    verifying_key: VerifyingKey,
    message: &'f [u8],
    signature: Signature,
}

fn small_order_r(signature: &Signature) -> bool {
    CompressedEdwardsY(*signature.r_bytes())
        .decompress()
        .is_none_or(|point| point.is_small_order())
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
        let (Some(verifying_key), Ok(signature)) =
            (key.ed25519_key(), Signature::from_slice(signature))
        else {
            continue;
        };
        if small_order_r(&signature) {
            continue;
        }
        // The message borrows the file, not `decoded`: find it in the file's text.
        let start = text.len() - text.trim_start().len();
        let message = &file[start..start + message.len()];
        candidates.push(Candidate {
            index,
            key,
            verifying_key: *verifying_key,
            message,
            signature,
        });
    }
    let mut verified_by: Vec<Option<&TrustedKey>> = vec![None; files.len()];
    for batch in candidates.chunks(BATCH_SIZE) {
        let messages: Vec<&[u8]> = batch.iter().map(|c| c.message).collect();
        let signatures: Vec<Signature> = batch.iter().map(|c| c.signature).collect();
        let verifying_keys: Vec<VerifyingKey> = batch.iter().map(|c| c.verifying_key).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &verifying_keys).is_ok() {
            for candidate in batch {
                verified_by[candidate.index] = Some(candidate.key);
            }
        }
    }
    files
        .iter()
        .zip(verified_by)
        .map(|(file, key)| match key {
            Some(key) => verify_with(file, options, |decoded| Ok(decoded.verified_by_batch(key))),
            None => verify_license(file, keys, options),
        })
        .collect()
}
