//! The one Ed25519 rule of licet, used by every path that checks an Ed25519 signature: one by one
//! ([`verify_one`], behind `TrustedKey::verify_signature`, so `licet verify`, revocation lists,
//! signed responses and the language bindings) and in batches ([`verify_batch`], behind
//! `verify_licenses`, so `licet audit`). Single and batch cannot drift: both take the encoding
//! rules from [`parse_signature`] and the equation from ed25519-zebra, whose single and batch
//! checks are the same (ZIP-215) equation.
//!
//! The rule, for a signature `R || S` over message `M` with public key `A`:
//!
//! 1. `S` is canonical: an integer below the group order `l` (no `S + l`).
//! 2. `R` is a canonical encoding (its `y` below `p = 2^255 - 19`, no sign bit on a point whose
//!    `x` is 0): decompressing and re-compressing it gives the same 32 bytes. `R` is not of small
//!    order (not one of the 8 torsion points).
//! 3. `A` is a canonical encoding and not of small order: checked once, when the key is loaded
//!    ([`Ed25519PublicKey::from_bytes`]).
//! 4. The cofactored equation holds: `[8]([S]B - R - [k]A)` is the identity, with
//!    `k = SHA-512(R || A || M)` reduced mod `l` (RFC 8032 section 5.1.7 permits it and the
//!    cofactorless one; ZIP-215 and ed25519-zebra use this one for single and batch alike).
//!
//! Why the cofactored equation: a batch checks a random linear combination of the signatures'
//! equations, and the cofactorless equation cannot be had at batch speed (a batch kills or keeps
//! a torsion component of `R` depending on its random multiplier; ruling torsion out first costs
//! a scalar multiplication per signature). Multiplying by the cofactor removes torsion from every
//! equation, so the single check and every batch give the same verdict for every input, honest or
//! not (a batch also passes with probability about 2^-128 when a signature in it fails alone).
//!
//! What it means against other JOSE libraries: honest signers never put a torsion component in
//! `R` (`R = [r]B`), so every honest signature verifies everywhere. A signature whose `R` has a
//! torsion component, which only the key holder can make, verifies in licet and fails in libraries
//! that use the cofactorless equation (`verify_strict`, libsodium), and so do signatures by a key
//! that itself has a torsion component (not of small order, so it loads; only its owner can make
//! one). A small-order or non-canonical `R`, a non-canonical `S` and a small-order or
//! non-canonical key fail in licet as they do there.

use crate::keys::SignatureRejected;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use ed25519_zebra::{batch, Signature, VerificationKey, VerificationKeyBytes};
use std::fmt;
use std::sync::LazyLock;

/// The length of an Ed25519 signature in bytes (`R || S`).
pub const SIGNATURE_LENGTH: usize = 64;

/// Why 32 bytes are not an Ed25519 public key licet trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Ed25519KeyError {
    /// The bytes are not the encoding of a curve point.
    #[error("the bytes are not an Ed25519 curve point")]
    NotAPoint,
    /// The point has another, canonical encoding (`y` at or above `2^255 - 19`, or a sign bit on
    /// a point whose `x` is 0).
    #[error("the Ed25519 key is a non-canonical encoding of its point (decompressing and re-compressing it gives other bytes)")]
    NonCanonical,
    /// The point is one of the 8 points of small order, which verify forged signatures.
    #[error("the Ed25519 key is a weak (small-order) point")]
    SmallOrder,
}

/// An Ed25519 public key that licet trusts: a canonical encoding of a point that is not of small
/// order, with the point decompressed once.
#[derive(Clone, Copy)]
pub struct Ed25519PublicKey {
    bytes: [u8; 32],
    key: VerificationKey,
}

impl fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Ed25519PublicKey")
            .field(&hex::encode(self.bytes))
            .finish()
    }
}

impl Ed25519PublicKey {
    /// Loads a key from its 32-byte encoding: refuses non-canonical encodings and small-order
    /// points.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Ed25519KeyError> {
        let point = CompressedEdwardsY(*bytes)
            .decompress()
            .ok_or(Ed25519KeyError::NotAPoint)?;
        if point.compress().as_bytes() != bytes {
            return Err(Ed25519KeyError::NonCanonical);
        }
        if point.is_small_order() {
            return Err(Ed25519KeyError::SmallOrder);
        }
        let key = VerificationKey::try_from(*bytes).map_err(|_| Ed25519KeyError::NotAPoint)?;
        Ok(Ed25519PublicKey { bytes: *bytes, key })
    }

    /// The key's 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Checks `signature` over `message` with licet's rule; the same as [`verify_one`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureRejected> {
        verify_one(self, message, signature)
    }
}

/// The encodings of small-order points that decompress: the canonical encodings of the 8 torsion
/// points, and the two with the sign bit set on a point whose `x` is 0 (the identity and the point
/// of order 2). Encodings with `y` at or above `p` are refused before this list is consulted.
static SMALL_ORDER_ENCODINGS: LazyLock<[[u8; 32]; 10]> = LazyLock::new(|| {
    let mut encodings = [[0u8; 32]; 10];
    for (slot, point) in encodings.iter_mut().zip(EIGHT_TORSION.iter()) {
        *slot = point.compress().to_bytes();
    }
    // (0, 1) and (0, -1) with the sign bit set.
    let mut identity_signed = [0u8; 32];
    identity_signed[0] = 1;
    identity_signed[31] = 0x80;
    let mut order_two_signed = P_BYTES;
    order_two_signed[0] -= 1;
    order_two_signed[31] |= 0x80;
    encodings[8] = identity_signed;
    encodings[9] = order_two_signed;
    encodings
});

/// `p = 2^255 - 19`, little-endian.
const P_BYTES: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// Whether the `y` of an encoded point (its low 255 bits) is below `p`.
fn y_is_canonical(encoding: &[u8; 32]) -> bool {
    let mut y = *encoding;
    y[31] &= 0x7f;
    // Compare as little-endian integers, most significant byte first.
    for i in (0..32).rev() {
        if y[i] != P_BYTES[i] {
            return y[i] < P_BYTES[i];
        }
    }
    false
}

/// Whether `R` passes rule 2: a canonical encoding, and not of small order. Equal to "decompress,
/// re-compress to the same bytes, and `!is_small_order()`" for every `R` that decompresses (a
/// unit test checks it), without the cost of a decompression and a field inversion: for `y < p`
/// the only non-canonical encodings that decompress are the two with a sign bit on `x = 0`, both
/// small-order. An `R` that is not a point passes here and fails the equation.
fn r_is_acceptable(r: &[u8; 32]) -> bool {
    y_is_canonical(r) && !SMALL_ORDER_ENCODINGS.contains(r)
}

/// Applies the encoding rules 1 and 2 to a signature: `Some` if it is 64 bytes with a canonical
/// `S` and a canonical `R` that is not of small order. Both [`verify_one`] and [`verify_batch`]
/// take their signatures from here.
pub fn parse_signature(signature: &[u8]) -> Option<Signature> {
    let bytes: &[u8; SIGNATURE_LENGTH] = signature.try_into().ok()?;
    let signature = Signature::from_bytes(bytes);
    let s_canonical = bool::from(Scalar::from_canonical_bytes(*signature.s_bytes()).is_some());
    (s_canonical && r_is_acceptable(signature.r_bytes())).then_some(signature)
}

/// Checks one signature with licet's rule (rules 1, 2 and 4 of the module; rule 3 holds for every
/// [`Ed25519PublicKey`]).
pub fn verify_one(
    key: &Ed25519PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureRejected> {
    let signature = parse_signature(signature).ok_or(SignatureRejected)?;
    key.key
        .verify(&signature, message)
        .map_err(|_| SignatureRejected)
}

/// One signature of a batch: the key, the signed message and the signature as given.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The key the signature claims.
    pub key: &'a Ed25519PublicKey,
    /// The signed bytes.
    pub message: &'a [u8],
    /// The signature, `R || S`.
    pub signature: &'a [u8],
}

/// Checks all signatures at once: `true` only if every one passes [`verify_one`] (but with a
/// probability of about 2^-128 per call). The multipliers of the batch equation come from the
/// operating system's random generator, so they cannot be predicted from the inputs; a `false`
/// says only that at least one signature fails, so check them one by one with [`verify_one`].
/// An empty batch is `true`.
pub fn verify_batch(items: &[BatchItem<'_>]) -> bool {
    let mut verifier = batch::Verifier::new();
    for item in items {
        let Some(signature) = parse_signature(item.signature) else {
            return false;
        };
        let key_bytes = VerificationKeyBytes::from(item.key.bytes);
        verifier.queue((key_bytes, signature, item.message));
    }
    verifier.verify(rand_core::OsRng).is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;

    /// Rule 2 as defined: decompress, re-compress to the same bytes, not of small order.
    fn by_definition(r: &[u8; 32]) -> Option<bool> {
        let point = CompressedEdwardsY(*r).decompress()?;
        Some(point.compress().as_bytes() == r && !point.is_small_order())
    }

    fn with_y(y: &[u8; 32], sign: bool) -> [u8; 32] {
        let mut bytes = *y;
        bytes[31] = (bytes[31] & 0x7f) | if sign { 0x80 } else { 0 };
        bytes
    }

    fn small(y: u8) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        bytes[0] = y;
        bytes
    }

    fn plus_p(y: u8) -> [u8; 32] {
        // y + p for y < 19 fits in 255 bits: p's low byte is 0xed.
        let mut bytes = P_BYTES;
        bytes[0] += y;
        bytes
    }

    fn minus(y: u8) -> [u8; 32] {
        let mut bytes = P_BYTES;
        bytes[0] -= y;
        bytes
    }

    #[test]
    fn the_r_rule_equals_its_definition() {
        let mut candidates: Vec<[u8; 32]> = Vec::new();
        for point in EIGHT_TORSION {
            candidates.push(point.compress().to_bytes());
        }
        for y in 0..19u8 {
            candidates.extend([small(y), plus_p(y), minus(y + 1)]);
        }
        let mut point = ED25519_BASEPOINT_POINT;
        for torsion in EIGHT_TORSION {
            for _ in 0..4 {
                point = point + point + ED25519_BASEPOINT_POINT;
                candidates.push((point + torsion).compress().to_bytes());
            }
        }
        let mut decompressing = 0;
        let mut refused_non_canonical = 0;
        for base in candidates {
            for sign in [false, true] {
                let r = with_y(&base, sign);
                if let Some(expected) = by_definition(&r) {
                    decompressing += 1;
                    assert_eq!(r_is_acceptable(&r), expected, "{}", hex::encode(r));
                    if CompressedEdwardsY(r)
                        .decompress()
                        .unwrap()
                        .compress()
                        .to_bytes()
                        != r
                    {
                        refused_non_canonical += 1;
                    }
                }
            }
        }
        assert!(decompressing > 100, "{decompressing}");
        assert!(refused_non_canonical >= 6, "{refused_non_canonical}");
    }

    #[test]
    fn small_order_keys_and_non_canonical_keys_are_refused() {
        for point in EIGHT_TORSION {
            let bytes = point.compress().to_bytes();
            assert_eq!(
                Ed25519PublicKey::from_bytes(&bytes).unwrap_err(),
                Ed25519KeyError::SmallOrder
            );
        }
        // The identity and the order-4 point encoded with y + p.
        for y in [0, 1] {
            assert_eq!(
                Ed25519PublicKey::from_bytes(&plus_p(y)).unwrap_err(),
                Ed25519KeyError::NonCanonical
            );
        }
        // A point of large order with a small y, encoded with y + p.
        let large = (2..19u8)
            .find(|y| {
                CompressedEdwardsY(small(*y))
                    .decompress()
                    .is_some_and(|p| !p.is_small_order())
            })
            .unwrap();
        assert!(Ed25519PublicKey::from_bytes(&small(large)).is_ok());
        assert_eq!(
            Ed25519PublicKey::from_bytes(&plus_p(large)).unwrap_err(),
            Ed25519KeyError::NonCanonical
        );
        assert!(!r_is_acceptable(&plus_p(large)));
        assert!(r_is_acceptable(&small(large)));
    }

    #[test]
    fn an_empty_batch_holds_and_a_short_signature_fails() {
        assert!(verify_batch(&[]));
        let key =
            Ed25519PublicKey::from_bytes(&ED25519_BASEPOINT_POINT.compress().to_bytes()).unwrap();
        let item = BatchItem {
            key: &key,
            message: b"m",
            signature: &[0u8; 63],
        };
        assert!(!verify_batch(&[item]));
        assert!(verify_one(&key, b"m", &[0u8; 63]).is_err());
    }
}
