//! Trusted public keys: loading them from PEM, JWK and JWKS, their RFC 7638 thumbprints (`kid`),
//! and the signature check itself. The algorithm a key verifies is fixed when the key is loaded,
//! never taken from a token.

use crate::algorithm::Algorithm;
use crate::ed25519::Ed25519PublicKey;
use crate::timestamp::UnixTime;
use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rsa::{PublicKey as RsaPublicKey, PublicKeyComponents as RsaPublicKeyComponents};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use spki::ObjectIdentifier;
use std::fmt;
use std::sync::Arc;

/// The smallest RSA modulus licet accepts, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus licet accepts, in bits (the limit of the verification backend).
pub const MAX_RSA_BITS: usize = 8192;

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why a public key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The input holds no key at all.
    #[error("no public key found: expected a PEM `PUBLIC KEY` block, a JWK or a JWKS")]
    Empty,
    /// The input is neither PEM nor JSON.
    #[error("not a public key: expected a PEM `PUBLIC KEY` block, a JWK or a JWKS ({0})")]
    UnrecognisedFormat(String),
    /// A PEM block is damaged.
    #[error("the PEM block is damaged: {0}")]
    Pem(String),
    /// A private key was given where a public key is needed.
    #[error("this is a private key (PEM `{0}`); give the public key instead (the .pub.pem file)")]
    PrivateKeyGiven(String),
    /// A PEM block of a kind that holds no usable public key.
    #[error("PEM {0} blocks hold no public key licet can use; expected `PUBLIC KEY` or `RSA PUBLIC KEY`")]
    UnsupportedPemLabel(String),
    /// The key is of a type licet does not verify with.
    #[error(
        "unsupported key type {name} (OID {oid}); licet verifies with Ed25519 and RSA keys only"
    )]
    UnsupportedKeyType {
        /// Dotted OID of the key's algorithm.
        oid: String,
        /// A name for it, as far as licet knows one.
        name: String,
    },
    /// An RSA key smaller than [`MIN_RSA_BITS`].
    #[error("the RSA key has {bits} bits; licet requires at least {MIN_RSA_BITS}")]
    RsaTooShort {
        /// Modulus size in bits.
        bits: usize,
    },
    /// An RSA key larger than [`MAX_RSA_BITS`].
    #[error("the RSA key has {bits} bits; licet accepts at most {MAX_RSA_BITS}")]
    RsaTooLong {
        /// Modulus size in bits.
        bits: usize,
    },
    /// The key's encoding is invalid.
    #[error("the key is invalid: {0}")]
    Invalid(String),
    /// A JWK or JWKS member is missing or wrong.
    #[error("the JWK is invalid: {0}")]
    Jwk(String),
}

/// The type and size of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// An Ed25519 key.
    Ed25519,
    /// An RSA key with a modulus of `bits` bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyType::Ed25519 => f.write_str("Ed25519"),
            KeyType::Rsa { bits } => write!(f, "RSA-{bits}"),
        }
    }
}

/// The signature did not verify. Deliberately carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid signature")]
pub struct SignatureRejected;

#[derive(Clone)]
enum Material {
    Ed25519(Box<Ed25519PublicKey>),
    Rsa(Box<RsaMaterial>),
}

#[derive(Clone)]
struct RsaMaterial {
    n: Vec<u8>,
    e: Vec<u8>,
    bits: usize,
    pkcs1: ParsedPublicKey,
    pss: ParsedPublicKey,
}

/// One public key that license files may be signed with, and the algorithms it verifies.
#[derive(Clone)]
pub struct TrustedKey {
    kid: String,
    declared_kid: Option<String>,
    allowed: Vec<Algorithm>,
    /// The algorithm the key was made for, from its PEM file's annotation: what a JWKS
    /// publishes for it. It does not narrow `allowed` (a JWK `alg` does).
    preferred: Option<Algorithm>,
    material: Material,
    /// How the key came to be trusted: `None` for a key the caller gave, else the rollover
    /// statement that introduced it ([`crate::rollover`]).
    introduction: Option<Arc<Introduction>>,
    /// Files this key signed with an `iat` at or after this time are KEY_RETIRED: a rollover
    /// statement it signed retired it.
    retired_from: Option<UnixTime>,
}

/// How a key came to be trusted through a rollover statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introduction {
    /// The `kid` of the key that signed the statement (the old key).
    pub introduced_by: String,
    /// The statement's `iat`.
    pub issued_at: UnixTime,
    /// The key verifies only files issued (`iat`) at or after this time, if set.
    pub valid_from: Option<UnixTime>,
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKey")
            .field("kid", &self.kid)
            .field("type", &self.key_type())
            .field("allowed", &self.allowed)
            .finish()
    }
}

impl TrustedKey {
    /// An Ed25519 key from its 32 public bytes. Non-canonical encodings and weak (small-order)
    /// points are refused (see [`crate::ed25519`]).
    pub fn from_ed25519_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            KeyError::Invalid(format!(
                "an Ed25519 public key is 32 bytes, not {}",
                bytes.len()
            ))
        })?;
        let key =
            Ed25519PublicKey::from_bytes(&array).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let thumbprint = format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(array)
        );
        Ok(TrustedKey {
            kid: thumbprint_of(&thumbprint),
            declared_kid: None,
            introduction: None,
            retired_from: None,
            preferred: None,
            allowed: vec![Algorithm::EdDSA],
            material: Material::Ed25519(Box::new(key)),
        })
    }

    /// An RSA key from its big-endian modulus and exponent. It verifies RS256 and PS256.
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if bits < MIN_RSA_BITS {
            return Err(KeyError::RsaTooShort { bits });
        }
        if bits > MAX_RSA_BITS {
            return Err(KeyError::RsaTooLong { bits });
        }
        // Refuse at load what could never verify, so a bad key is reported as such rather than
        // as every license having a bad signature.
        let odd = |v: &[u8]| v.last().is_some_and(|b| b & 1 == 1);
        if !odd(n) {
            return Err(KeyError::Invalid("the RSA modulus is even".into()));
        }
        let e_bits = bit_length(e);
        if !odd(e) || !(2..=33).contains(&e_bits) {
            return Err(KeyError::Invalid(
                "the RSA public exponent must be odd, at least 3 and at most 33 bits".into(),
            ));
        }
        let components = RsaPublicKeyComponents { n, e };
        let invalid = |e: aws_lc_rs::error::KeyRejected| {
            KeyError::Invalid(format!("the RSA key was rejected: {e}"))
        };
        let pkcs1 = components
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(invalid)?;
        let pss = components
            .to_parsed_public_key(&RSA_PSS_2048_8192_SHA256)
            .map_err(invalid)?;
        let thumbprint = format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(e),
            URL_SAFE_NO_PAD.encode(n)
        );
        Ok(TrustedKey {
            kid: thumbprint_of(&thumbprint),
            declared_kid: None,
            introduction: None,
            retired_from: None,
            preferred: None,
            allowed: vec![Algorithm::RS256, Algorithm::PS256],
            material: Material::Rsa(Box::new(RsaMaterial {
                n: n.to_vec(),
                e: e.to_vec(),
                bits,
                pkcs1,
                pss,
            })),
        })
    }

    /// A key from DER `SubjectPublicKeyInfo` (the body of a PEM `PUBLIC KEY` block).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = spki::SubjectPublicKeyInfoRef::try_from(der)
            .map_err(|e| KeyError::Invalid(format!("not a DER SubjectPublicKeyInfo: {e}")))?;
        let oid = spki.algorithm.oid;
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| KeyError::Invalid("the public key bit string has unused bits".into()))?;
        if oid == OID_ED25519 {
            Self::from_ed25519_bytes(key_bytes)
        } else if oid == OID_RSA {
            Self::from_rsa_public_key_der(key_bytes)
        } else {
            Err(KeyError::UnsupportedKeyType {
                oid: oid.to_string(),
                name: oid_name(&oid.to_string()).to_owned(),
            })
        }
    }

    /// A key from a DER PKCS#1 `RSAPublicKey` (the body of a PEM `RSA PUBLIC KEY` block).
    pub fn from_rsa_public_key_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = RsaPublicKey::from_der(der)
            .map_err(|e| KeyError::Invalid(format!("not a usable DER RSAPublicKey ({e})")))?;
        Self::from_rsa_components(
            key.modulus().big_endian_without_leading_zero(),
            key.exponent().big_endian_without_leading_zero(),
        )
    }

    /// A key from a single PEM block (`PUBLIC KEY` or `RSA PUBLIC KEY`), optionally preceded by
    /// the line `licet-algorithm: ALG` ([`ALGORITHM_ANNOTATION`]): the algorithm the key was made
    /// for, which a JWKS of it publishes.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (alg, block) = split_algorithm_annotation(pem)?;
        let (label, der) = pem_rfc7468::decode_vec(block.trim().as_bytes())
            .map_err(|e| KeyError::Pem(e.to_string()))?;
        let key = match label {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::from_rsa_public_key_der(&der),
            l if l.contains("PRIVATE KEY") => Err(KeyError::PrivateKeyGiven(l.to_owned())),
            l => Err(KeyError::UnsupportedPemLabel(crate::jws::quote(l))),
        }?;
        match alg {
            Some(alg) => key.made_for(alg),
            None => Ok(key),
        }
    }

    /// Records the algorithm the key was made for (one it can verify): what [`TrustedKey::jwk`]
    /// publishes when asked for none.
    pub fn made_for(mut self, alg: Algorithm) -> Result<Self, KeyError> {
        if !self.allowed.contains(&alg) {
            return Err(KeyError::Invalid(format!(
                "the key is marked for {}, which a {} key cannot verify",
                alg.name(),
                self.key_type()
            )));
        }
        self.preferred = Some(alg);
        Ok(self)
    }

    /// The algorithm the key was made for, when its file recorded one.
    pub fn preferred_algorithm(&self) -> Option<Algorithm> {
        self.preferred
    }

    /// A key from one JWK object. If the JWK has `alg`, the key verifies only that algorithm; if
    /// it has `kid`, tokens may name the key by it as well as by its thumbprint.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        let field = |name: &str| -> Result<Option<&str>, KeyError> {
            match jwk.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(KeyError::Jwk(format!("member `{name}` must be a string"))),
            }
        };
        let required = |name: &str| -> Result<&str, KeyError> {
            field(name)?.ok_or_else(|| KeyError::Jwk(format!("member `{name}` is missing")))
        };
        let b64 = |name: &str| -> Result<Vec<u8>, KeyError> {
            URL_SAFE_NO_PAD.decode(required(name)?).map_err(|e| {
                KeyError::Jwk(format!("member `{name}` is not unpadded base64url: {e}"))
            })
        };
        if jwk.contains_key("d") || jwk.contains_key("p") {
            return Err(KeyError::Jwk(
                "it contains private key members; publish only the public key".into(),
            ));
        }
        if let Some(usage) = field("use")? {
            if usage != "sig" {
                return Err(KeyError::Jwk(format!(
                    "`use` is {}, not `sig`",
                    crate::jws::quote(usage)
                )));
            }
        }
        let mut key = match required("kty")? {
            "OKP" => match required("crv")? {
                "Ed25519" => Self::from_ed25519_bytes(&b64("x")?)?,
                other => {
                    return Err(KeyError::UnsupportedKeyType {
                        oid: "-".into(),
                        name: format!("OKP curve {}", crate::jws::quote(other)),
                    })
                }
            },
            "RSA" => Self::from_rsa_components(&b64("n")?, &b64("e")?)?,
            other => {
                return Err(KeyError::UnsupportedKeyType {
                    oid: "-".into(),
                    name: format!("JWK kty {}", crate::jws::quote(other)),
                })
            }
        };
        if let Some(alg) = field("alg")? {
            let pinned = Algorithm::from_header(alg)
                .filter(|a| key.allowed.contains(a))
                .ok_or_else(|| {
                    KeyError::Jwk(format!(
                        "`alg` is {}, which this {} key cannot verify",
                        crate::jws::quote(alg),
                        key.key_type()
                    ))
                })?;
            key.allowed = vec![pinned];
        }
        key.declared_kid = field("kid")?.filter(|k| *k != key.kid).map(str::to_owned);
        Ok(key)
    }

    /// Restricts the key to the given algorithms (those it cannot verify are ignored).
    ///
    /// Returns `None` if no algorithm would be left.
    pub fn restricted_to(mut self, algorithms: &[Algorithm]) -> Option<Self> {
        self.allowed.retain(|a| algorithms.contains(a));
        (!self.allowed.is_empty()).then_some(self)
    }

    /// The RFC 7638 JWK SHA-256 thumbprint, base64url without padding: the key's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Whether a token's `kid` names this key (its thumbprint, or the `kid` its JWK declared).
    pub fn has_kid(&self, kid: &str) -> bool {
        self.kid == kid || self.declared_kid.as_deref() == Some(kid)
    }

    /// The algorithms this key verifies.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.allowed
    }

    /// The key's type and size.
    pub fn key_type(&self) -> KeyType {
        match &self.material {
            Material::Ed25519(_) => KeyType::Ed25519,
            Material::Rsa(rsa) => KeyType::Rsa { bits: rsa.bits },
        }
    }

    /// The public JWK, with `kid`, `use: sig` and `alg` (the given one, else the key's first).
    pub fn jwk(&self, alg: Option<Algorithm>) -> Value {
        let alg = alg
            .or(self.preferred)
            .filter(|a| self.allowed.contains(a))
            .or_else(|| self.allowed.first().copied());
        let mut jwk = match &self.material {
            Material::Ed25519(key) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(key.as_bytes())})
            }
            Material::Rsa(rsa) => {
                json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&rsa.n), "e": URL_SAFE_NO_PAD.encode(&rsa.e)})
            }
        };
        if let Value::Object(map) = &mut jwk {
            map.insert("kid".into(), Value::String(self.kid.clone()));
            map.insert("use".into(), Value::String("sig".into()));
            if let Some(alg) = alg {
                map.insert("alg".into(), Value::String(alg.name().into()));
            }
        }
        jwk
    }

    /// Checks `signature` over `message` with `alg`. Fails if the key does not allow `alg`.
    pub fn verify_signature(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureRejected> {
        if !self.allowed.contains(&alg) {
            return Err(SignatureRejected);
        }
        match (&self.material, alg) {
            (Material::Ed25519(key), Algorithm::EdDSA) => {
                crate::ed25519::verify_one(key, message, signature)
            }
            (Material::Rsa(rsa), Algorithm::RS256) => rsa
                .pkcs1
                .verify_sig(message, signature)
                .map_err(|_| SignatureRejected),
            (Material::Rsa(rsa), Algorithm::PS256) => rsa
                .pss
                .verify_sig(message, signature)
                .map_err(|_| SignatureRejected),
            _ => Err(SignatureRejected),
        }
    }

    /// The Ed25519 public key, for batch verification ([`crate::ed25519::verify_batch`]) and
    /// for measuring the signature check alone.
    pub fn ed25519_key(&self) -> Option<&Ed25519PublicKey> {
        match &self.material {
            Material::Ed25519(key) => Some(key.as_ref()),
            Material::Rsa(_) => None,
        }
    }

    /// The rollover that introduced this key; `None` for a key the caller trusts directly.
    pub fn introduction(&self) -> Option<&Introduction> {
        self.introduction.as_deref()
    }

    /// From when files this key signs are KEY_RETIRED (set by a rollover it signed).
    pub fn retired_from(&self) -> Option<UnixTime> {
        self.retired_from
    }

    pub(crate) fn introduced(mut self, introduction: Introduction) -> Self {
        self.set_introduction(introduction);
        self
    }

    pub(crate) fn set_introduction(&mut self, introduction: Introduction) {
        self.introduction = Some(Arc::new(introduction));
    }

    /// Retires the key from `from` (the earlier date wins when it is retired twice).
    pub(crate) fn retire_from(&mut self, from: UnixTime) {
        self.retired_from = Some(self.retired_from.map_or(from, |t| t.min(from)));
    }
}

/// The set of public keys a verifier trusts.
#[derive(Debug, Default, Clone)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one key.
    pub fn push(&mut self, key: TrustedKey) {
        self.keys.push(key);
    }

    /// Adds every key found in a key file's contents (see [`parse_public_keys`]).
    pub fn add_file_contents(&mut self, contents: &[u8]) -> Result<usize, KeyError> {
        let keys = parse_public_keys(contents)?;
        let count = keys.len();
        self.keys.extend(keys);
        Ok(count)
    }

    /// The keys, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &TrustedKey> {
        self.keys.iter()
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key whose thumbprint is `kid`.
    pub fn find(&self, kid: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    pub(crate) fn find_mut(&mut self, kid: &str) -> Option<&mut TrustedKey> {
        self.keys.iter_mut().find(|k| k.kid == kid)
    }

    /// The keys `kid` descends from through rollovers, nearest first: the key that introduced it,
    /// the key that introduced that one, and so on up to a key the caller trusts directly.
    pub fn ancestors(&self, kid: &str) -> Vec<&TrustedKey> {
        let mut chain: Vec<&TrustedKey> = Vec::new();
        let mut current = self.find(kid);
        while let Some(parent) = current
            .and_then(|k| k.introduction())
            .and_then(|i| self.find(&i.introduced_by))
        {
            // A chain is built one verified statement at a time and never loops; the check
            // keeps a hand-made set from looping too.
            if parent.kid == kid || chain.iter().any(|k| k.kid == parent.kid) {
                break;
            }
            chain.push(parent);
            current = Some(parent);
        }
        chain
    }
}

impl FromIterator<TrustedKey> for TrustedKeys {
    fn from_iter<I: IntoIterator<Item = TrustedKey>>(iter: I) -> Self {
        TrustedKeys {
            keys: iter.into_iter().collect(),
        }
    }
}

/// The largest public-key file (PEM, JWK or JWKS) the bindings and `licet` read: far above any
/// real key set, small enough that a wrong path (a disk image, a log) is refused quickly.
pub const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// Reads every public key in a key file: one or more PEM blocks, a JWK, or a JWKS (`{"keys":[...]}`).
pub fn parse_public_keys(contents: &[u8]) -> Result<Vec<TrustedKey>, KeyError> {
    let text = std::str::from_utf8(contents)
        .map_err(|_| KeyError::UnrecognisedFormat("the file is not text".into()))?
        .trim();
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    if text.starts_with('{') {
        let value = crate::json::parse_object(text.as_bytes())
            .map_err(|e| KeyError::Jwk(format!("the JSON {e}")))?;
        return match value.get("keys") {
            Some(Value::Array(entries)) => {
                // Real JWKS files mix in encryption and EC keys: those entries are skipped, but a
                // damaged entry of a supported kind is an error, and so is a set with no usable key.
                let mut keys = Vec::new();
                let mut skipped = Vec::new();
                for (i, entry) in entries.iter().enumerate() {
                    let Value::Object(jwk) = entry else {
                        return Err(KeyError::Jwk(format!(
                            "entry {i} of the JWKS is not an object"
                        )));
                    };
                    match TrustedKey::from_jwk(jwk) {
                        Ok(key) => keys.push(key),
                        Err(e @ KeyError::UnsupportedKeyType { .. }) => {
                            skipped.push(format!("entry {i}: {e}"))
                        }
                        Err(e) if is_not_for_signing(jwk) => {
                            skipped.push(format!("entry {i}: {e}"))
                        }
                        Err(e) => return Err(KeyError::Jwk(format!("entry {i} of the JWKS: {e}"))),
                    }
                }
                if keys.is_empty() {
                    return Err(if skipped.is_empty() {
                        KeyError::Empty
                    } else {
                        KeyError::Jwk(format!(
                            "the JWKS has no Ed25519 or RSA signature key ({})",
                            skipped.join("; ")
                        ))
                    });
                }
                Ok(keys)
            }
            Some(_) => Err(KeyError::Jwk("`keys` must be an array".into())),
            None => TrustedKey::from_jwk(&value).map(|k| vec![k]),
        };
    }
    if !text.starts_with("-----BEGIN ") && !text.starts_with(ALGORITHM_ANNOTATION) {
        return Err(KeyError::UnrecognisedFormat(
            "it does not start with `-----BEGIN ` or `{`".into(),
        ));
    }
    // Each block with the annotation line just before it, if any.
    let mut keys = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        pending.push_str(line);
        pending.push('\n');
        if line.trim_start().starts_with("-----END ") {
            keys.push(TrustedKey::from_pem(&pending)?);
            pending.clear();
        }
    }
    if !pending.trim().is_empty() {
        return Err(KeyError::Pem(
            "the last PEM block has no `-----END` line".into(),
        ));
    }
    Ok(keys)
}

/// The line licet writes before a PEM key block to record the algorithm the key was made for
/// (RFC 7468 allows explanatory text before the block; OpenSSL ignores it): `licet-algorithm: PS256`.
pub const ALGORITHM_ANNOTATION: &str = "licet-algorithm:";

/// Splits a PEM text into the algorithm its annotation line names (if any) and the rest from
/// the `-----BEGIN` line. Text other than the annotation before the block is refused.
pub fn split_algorithm_annotation(pem: &str) -> Result<(Option<Algorithm>, &str), KeyError> {
    let text = pem.trim_start_matches('\u{feff}');
    let Some(begin) = text.find("-----BEGIN") else {
        return Ok((None, text));
    };
    let mut alg = None;
    for line in text[..begin]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        match line.strip_prefix(ALGORITHM_ANNOTATION) {
            Some(name) => {
                let name = name.trim();
                alg = Some(Algorithm::from_name_ignore_case(name).ok_or_else(|| {
                    KeyError::Pem(format!(
                        "`{ALGORITHM_ANNOTATION} {}` names no algorithm licet knows (EdDSA, RS256, PS256)",
                        crate::jws::quote(name)
                    ))
                })?);
            }
            None => {
                return Err(KeyError::Pem(format!(
                    "unexpected text before the PEM block: {}",
                    crate::jws::quote(line)
                )))
            }
        }
    }
    Ok((alg, &text[begin..]))
}

/// A JWK meant for encryption, or pinned to an algorithm licet does not verify.
fn is_not_for_signing(jwk: &Map<String, Value>) -> bool {
    let usage = jwk.get("use").and_then(Value::as_str);
    let alg = jwk.get("alg").and_then(Value::as_str);
    usage.is_some_and(|u| u != "sig") || alg.is_some_and(|a| Algorithm::from_header(a).is_none())
}

fn thumbprint_of(canonical_jwk: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical_jwk.as_bytes()))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.first() {
        None => 0,
        Some(top) => big_endian.len() * 8 - top.leading_zeros() as usize,
    }
}

fn oid_name(oid: &str) -> &'static str {
    match oid {
        "1.2.840.10045.2.1" => "EC (ECDSA)",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (restricted RSA key)",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8037 appendix A.2 and A.3: this public key has this thumbprint.
    const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const RFC8037_KID: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

    #[test]
    fn rfc8037_thumbprint() {
        let x = URL_SAFE_NO_PAD.decode(RFC8037_X).unwrap();
        let key = TrustedKey::from_ed25519_bytes(&x).unwrap();
        assert_eq!(key.kid(), RFC8037_KID);
        assert_eq!(key.algorithms(), &[Algorithm::EdDSA]);
    }

    #[test]
    fn jwk_alg_pins_the_algorithm() {
        let jwk = json!({"kty":"OKP","crv":"Ed25519","x":RFC8037_X,"alg":"RS256"});
        let err = TrustedKey::from_jwk(jwk.as_object().unwrap()).unwrap_err();
        assert!(err.to_string().contains("cannot verify"), "{err}");
    }

    #[test]
    fn private_jwk_is_refused() {
        let jwk = json!({"kty":"OKP","crv":"Ed25519","x":RFC8037_X,"d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"});
        assert!(TrustedKey::from_jwk(jwk.as_object().unwrap()).is_err());
    }

    #[test]
    fn rsa_bit_length_limits() {
        let mut n = vec![0xffu8; 128];
        assert_eq!(
            TrustedKey::from_rsa_components(&n, &[1, 0, 1]).unwrap_err(),
            KeyError::RsaTooShort { bits: 1024 }
        );
        n = vec![0xffu8; 1025];
        assert_eq!(
            TrustedKey::from_rsa_components(&n, &[1, 0, 1]).unwrap_err(),
            KeyError::RsaTooLong { bits: 8200 }
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert_eq!(parse_public_keys(b"  \n").unwrap_err(), KeyError::Empty);
        assert!(matches!(
            parse_public_keys(b"hello").unwrap_err(),
            KeyError::UnrecognisedFormat(_)
        ));
        let private = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            parse_public_keys(private.as_bytes()).unwrap_err(),
            KeyError::PrivateKeyGiven(_)
        ));
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let x = URL_SAFE_NO_PAD.decode(RFC8037_X).unwrap();
        let key = TrustedKey::from_ed25519_bytes(&x).unwrap();
        let debug = format!("{key:?}");
        assert!(
            debug.contains(RFC8037_KID) && debug.contains("Ed25519"),
            "{debug}"
        );
    }
}

#[cfg(test)]
mod jwks_tests {
    use super::*;

    #[test]
    fn jwks_skips_encryption_and_ec_entries_but_not_damaged_ones() {
        let ed =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let jwks = format!(
            r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":"a","y":"b"}},{{"kty":"RSA","use":"enc","n":"AQ","e":"AQAB"}},{ed}]}}"#
        );
        let keys = parse_public_keys(jwks.as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        let damaged = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"!!"}]}"#;
        assert!(parse_public_keys(damaged.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("entry 0"));
        let only_ec = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}"#;
        assert!(parse_public_keys(only_ec.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("no Ed25519 or RSA"));
    }

    #[test]
    fn rsa_even_modulus_or_bad_exponent_is_refused_at_load() {
        let mut n = vec![0xffu8; 256];
        assert!(TrustedKey::from_rsa_components(&n, &[1]).is_err(), "e = 1");
        assert!(
            TrustedKey::from_rsa_components(&n, &[1, 0, 0]).is_err(),
            "even e"
        );
        n[255] = 0xfe;
        assert!(TrustedKey::from_rsa_components(&n, &[1, 0, 1])
            .unwrap_err()
            .to_string()
            .contains("even"));
    }
}
