//! A test signer that makes Ed25519 license files with crafted signatures: the edge cases where
//! Ed25519 verifiers disagree (torsion in `R`, small-order `R`, non-canonical `R` and `S`).
//! Shared by crates/verifier/tests/ed25519_verdicts.rs and tests/audit.rs (included by path).
//!
//! It is real Ed25519 (RFC 8032 section 5.1.6): from a 32-byte seed, `h = SHA-512(seed)`, the
//! secret scalar `a = clamp(h[..32])`, the nonce prefix `h[32..]`, `A = [a]B`; an honest signature
//! is `R = [r]B` with `r = SHA-512(prefix || M)`, `S = r + k·a` with `k = SHA-512(R || A || M)`.
//! The crafted ones change `R` and `S` as a key holder could.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// The group order `l`, little-endian.
const L_BYTES: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `p = 2^255 - 19`, little-endian.
const P_BYTES: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// What a crafted signature is, and the verdict licet gives it on every path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// An RFC 8032 signature.
    Honest,
    /// `R = [r]B + T` for torsion point `T = EIGHT_TORSION[i]`, `S = r + k·a`: the cofactored
    /// equation holds (ACTIVE in licet); the cofactorless one fails for `i != 0`.
    TorsionR(usize),
    /// An honest signature with `S + l` in place of `S`.
    NonCanonicalS,
    /// `R` a small-order point `EIGHT_TORSION[i]`, `S = k·a`: the cofactored equation alone holds.
    SmallOrderR(usize),
    /// `R` a non-canonical encoding of a small-order point, `S = k·a`: the cofactored equation
    /// alone holds.
    NonCanonicalR(&'static str),
}

impl Class {
    /// Whether licet accepts the signature (on every path).
    pub fn accepted(&self) -> bool {
        matches!(self, Class::Honest | Class::TorsionR(_))
    }
}

/// A license file with a crafted signature.
#[derive(Debug, Clone)]
pub struct Crafted {
    /// A short name for the file (also its file name in the end-to-end test).
    pub name: String,
    /// What its signature is.
    pub class: Class,
    /// The compact JWS.
    pub token: String,
}

/// An Ed25519 signing key with its expanded secret.
pub struct Signer {
    secret: Scalar,
    prefix: [u8; 32],
    /// The public key `A`, encoded.
    pub public: [u8; 32],
    /// The key's RFC 7638 thumbprint.
    pub kid: String,
}

fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut hash = Sha512::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

fn scalar_of_hash(parts: &[&[u8]]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&sha512(parts))
}

/// `x + y` on 256-bit little-endian integers (no overflow for the values used here).
fn add(x: &[u8; 32], y: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(x[i]) + u16::from(y[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    out
}

fn with_sign(mut encoding: [u8; 32]) -> [u8; 32] {
    encoding[31] |= 0x80;
    encoding
}

/// Non-canonical encodings of small-order points that decompress: `y + p` for `y = 0` (the points
/// of order 4; the sign bit picks `x`) and `y = 1` (the identity), and the sign bit set on the two
/// points whose `x` is 0 (the identity and the point of order 2).
pub fn non_canonical_small_order_encodings() -> Vec<(&'static str, [u8; 32])> {
    let mut y_one = [0u8; 32];
    y_one[0] = 1;
    let mut minus_one = P_BYTES;
    minus_one[0] -= 1;
    let p_plus = |y: u8| {
        let mut bytes = P_BYTES;
        bytes[0] += y;
        bytes
    };
    let encodings = vec![
        ("identity-y-plus-p", p_plus(1)),
        ("identity-y-plus-p-signed", with_sign(p_plus(1))),
        ("order4-y-plus-p", p_plus(0)),
        ("order4-y-plus-p-signed", with_sign(p_plus(0))),
        ("identity-signed", with_sign(y_one)),
        ("order2-signed", with_sign(minus_one)),
    ];
    for (name, bytes) in &encodings {
        let point = CompressedEdwardsY(*bytes)
            .decompress()
            .unwrap_or_else(|| panic!("{name} decompresses"));
        assert!(point.is_small_order(), "{name}");
        assert_ne!(
            point.compress().to_bytes(),
            *bytes,
            "{name} is non-canonical"
        );
    }
    encodings
}

/// A non-canonical encoding (`y + p`) of a point of large order with a small `y`: no one knows
/// its discrete logarithm, but as a key it must be refused for its encoding alone.
pub fn non_canonical_large_order_encoding() -> [u8; 32] {
    (2..19u8)
        .find_map(|y| {
            let mut canonical = [0u8; 32];
            canonical[0] = y;
            let point = CompressedEdwardsY(canonical).decompress()?;
            (!point.is_small_order()).then(|| {
                let mut bytes = P_BYTES;
                bytes[0] += y;
                assert_eq!(CompressedEdwardsY(bytes).decompress(), Some(point));
                bytes
            })
        })
        .expect("a small y on the curve")
}

/// The canonical encodings of the 8 small-order points (`EIGHT_TORSION`).
pub fn small_order_encodings() -> Vec<[u8; 32]> {
    EIGHT_TORSION
        .iter()
        .map(|t| t.compress().to_bytes())
        .collect()
}

impl Signer {
    /// The key of an RFC 8032 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let h = sha512(&[seed]);
        let mut a = [0u8; 32];
        a.copy_from_slice(&h[..32]);
        a[0] &= 248;
        a[31] &= 127;
        a[31] |= 64;
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&h[32..]);
        // [a]B = [a mod l]B: B has order l.
        let secret = Scalar::from_bytes_mod_order(a);
        let public = EdwardsPoint::mul_base(&secret).compress().to_bytes();
        let kid = licet_verifier::TrustedKey::from_ed25519_bytes(&public)
            .unwrap()
            .kid()
            .to_owned();
        Signer {
            secret,
            prefix,
            public,
            kid,
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> String {
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(self.public)
        )
    }

    fn k(&self, r: &[u8; 32], message: &[u8]) -> Scalar {
        scalar_of_hash(&[r, &self.public, message])
    }

    fn nonce(&self, message: &[u8]) -> Scalar {
        scalar_of_hash(&[&self.prefix, message])
    }

    fn signature(r: &[u8; 32], s: &[u8; 32]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(r);
        out[32..].copy_from_slice(s);
        out
    }

    /// An RFC 8032 signature.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.sign_with_torsion(message, 0)
    }

    /// `R = [r]B + EIGHT_TORSION[t]`, `S = r + k·a` (`t = 0` is the honest signature).
    pub fn sign_with_torsion(&self, message: &[u8], t: usize) -> [u8; 64] {
        let r = self.nonce(message);
        let big_r = (EdwardsPoint::mul_base(&r) + EIGHT_TORSION[t])
            .compress()
            .to_bytes();
        let s = r + self.k(&big_r, message) * self.secret;
        Self::signature(&big_r, &s.to_bytes())
    }

    /// `R` given as these bytes (an encoding of a small-order point), `S = k·a`: then
    /// `[S]B - R - [k]A = -R`, which the cofactor kills.
    pub fn sign_with_small_order_r(&self, message: &[u8], r: [u8; 32]) -> [u8; 64] {
        let s = self.k(&r, message) * self.secret;
        Self::signature(&r, &s.to_bytes())
    }

    /// The signing input of a license with this id: header with this key's `kid`, valid claims
    /// (issued 2026-01-01, expiring 2030-01-01).
    pub fn signing_input(&self, license_id: &str) -> String {
        let header = format!(
            r#"{{"alg":"EdDSA","typ":"license+jwt","kid":"{}"}}"#,
            self.kid
        );
        let claims = format!(
            r#"{{"jti":"{license_id}","sub":"ACME","iat":1767225600,"exp":1893456000,"features":{{"seats":5}}}}"#
        );
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    fn token(input: &str, signature: &[u8; 64]) -> String {
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An honest license file.
    pub fn honest(&self, license_id: &str) -> String {
        let input = self.signing_input(license_id);
        Self::token(&input, &self.sign(input.as_bytes()))
    }

    /// One license file of every crafted class: 8 torsion `R` (the first, the identity, makes the
    /// honest signature), `S + l`, 8 small-order `R`, 6 non-canonical encodings of small-order `R`.
    pub fn crafted(&self) -> Vec<Crafted> {
        let mut out = Vec::new();
        let mut add_file = |name: String, class: Class, sign: &dyn Fn(&[u8]) -> [u8; 64]| {
            let input = self.signing_input(&format!("X-{name}"));
            let signature = sign(input.as_bytes());
            out.push(Crafted {
                name,
                class,
                token: Self::token(&input, &signature),
            });
        };
        add_file("honest".into(), Class::Honest, &|m| self.sign(m));
        for t in 0..8 {
            add_file(format!("torsion-r-{t}"), Class::TorsionR(t), &|m| {
                self.sign_with_torsion(m, t)
            });
        }
        add_file("s-plus-l".into(), Class::NonCanonicalS, &|m| {
            let honest = self.sign(m);
            let mut s = [0u8; 32];
            s.copy_from_slice(&honest[32..]);
            let mut r = [0u8; 32];
            r.copy_from_slice(&honest[..32]);
            Self::signature(&r, &add(&s, &L_BYTES))
        });
        for (t, encoding) in small_order_encodings().into_iter().enumerate() {
            add_file(format!("small-order-r-{t}"), Class::SmallOrderR(t), &|m| {
                self.sign_with_small_order_r(m, encoding)
            });
        }
        for (name, encoding) in non_canonical_small_order_encodings() {
            add_file(
                format!("non-canonical-r-{name}"),
                Class::NonCanonicalR(name),
                &|m| self.sign_with_small_order_r(m, encoding),
            );
        }
        out
    }
}

/// A deterministic Fisher-Yates shuffle (a 64-bit LCG), so a failing order can be replayed.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
