//! Signing keys: generation, PEM encoding (plain or encrypted PKCS#8) and loading.

use crate::passphrase::Passphrase;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use licet_verifier::{Algorithm, KeyType, TrustedKey};
use pkcs8::der::Decode;
use pkcs8::pkcs5::pbes2;
use pkcs8::spki::ObjectIdentifier;
use pkcs8::{EncryptedPrivateKeyInfo, LineEnding, PrivateKeyInfo};
use rand::RngCore;
use std::fmt;
use zeroize::Zeroizing;

/// PBKDF2-HMAC-SHA256 iterations for encrypted PKCS#8 files written by licet (OWASP 2023 figure).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// What kind of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// Ed25519.
    Ed25519,
    /// RSA with a modulus of 2048, 3072 or 4096 bits.
    Rsa(u32),
}

/// Why a key could not be generated, encoded or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// An RSA size other than 2048, 3072 or 4096.
    #[error("RSA keys can have 2048, 3072 or 4096 bits, not {0}")]
    UnsupportedRsaSize(u32),
    /// The key generator failed (the system random source).
    #[error("key generation failed: the cryptographic backend reported an error")]
    Generation,
    /// The key is encrypted and no passphrase was given.
    #[error(
        "the private key is encrypted; give its passphrase (--passphrase-file or LICET_PASSPHRASE)"
    )]
    PassphraseRequired,
    /// Decryption failed: wrong passphrase, or a damaged file.
    #[error("the private key could not be decrypted: wrong passphrase, or the file is damaged")]
    WrongPassphrase,
    /// An encryption scheme the reader does not support.
    #[error("the private key is encrypted with a scheme licet cannot read ({0}); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")]
    UnsupportedEncryption(String),
    /// A legacy OpenSSL `Proc-Type: 4,ENCRYPTED` PEM.
    #[error("legacy OpenSSL PEM encryption (Proc-Type: 4,ENCRYPTED) is not supported; convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")]
    LegacyPemEncryption,
    /// A public key where a private key is needed.
    #[error("this is a public key (PEM `{0}`); signing needs the private key (the .key.pem file)")]
    PublicKeyGiven(String),
    /// A key of a type licet does not sign with.
    #[error("unsupported key type {0}; licet signs with Ed25519 and RSA keys only")]
    UnsupportedKeyType(String),
    /// The file is not PEM, or its PEM is damaged.
    #[error("not a PEM private key: {0}")]
    NotPem(String),
    /// The key's encoding is invalid.
    #[error("the private key is invalid: {0}")]
    Invalid(String),
    /// The private key is in a PKCS#11 token and cannot be exported.
    #[error("the private key is in the PKCS#11 token {0} and never leaves it: it cannot be written to a file")]
    InToken(String),
    /// RSA key outside the accepted sizes.
    #[error("the RSA key has {0} bits; licet signs with RSA keys of 2048 to 8192 bits")]
    RsaSize(usize),
}

enum Inner {
    Ed25519(ed25519_dalek::SigningKey),
    Rsa(RsaKeyPair),
    /// In a PKCS#11 token: the private key never leaves it.
    Token(Box<crate::pkcs11::TokenKey>),
}

/// A private signing key with its public half (as a verifier [`TrustedKey`]).
///
/// Private key bytes stay inside: the Ed25519 key is zeroized on drop by ed25519-dalek, and the
/// RSA key lives in AWS-LC memory that is cleansed when freed. `Debug` shows only the type and kid.
pub struct SigningKey {
    inner: Inner,
    public: TrustedKey,
    /// The algorithm the key was made for (`licet keygen --alg`), when its file records one.
    made_for: Option<Algorithm>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("type", &self.key_type())
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a new key with the operating system's CSPRNG.
    pub fn generate(spec: KeySpec) -> Result<Self, KeyError> {
        match spec {
            KeySpec::Ed25519 => {
                Self::from_ed25519(ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng))
            }
            KeySpec::Rsa(bits) => {
                let size = match bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    other => return Err(KeyError::UnsupportedRsaSize(other)),
                };
                Self::from_rsa(RsaKeyPair::generate(size).map_err(|_| KeyError::Generation)?)
            }
        }
    }

    /// Opens a key in a PKCS#11 token (an HSM, SoftHSM2) named by an RFC 7512 URI, logging in
    /// with `pin`. Signatures are made by the token and verified with the key's public half
    /// before [`SigningKey::sign`] returns them.
    pub fn from_pkcs11(
        uri: &crate::pkcs11::Pkcs11Uri,
        pin: &crate::pkcs11::Pin,
    ) -> Result<Self, crate::pkcs11::Pkcs11Error> {
        let (token, public) = crate::pkcs11::TokenKey::open(uri, pin)?;
        Ok(SigningKey {
            inner: Inner::Token(Box::new(token)),
            public,
            made_for: None,
        })
    }

    /// Generates a non-extractable key pair inside a PKCS#11 token, labelled as the URI's
    /// `object` (and `id`, else the label's bytes), and opens it. An existing object of that
    /// name is refused, never replaced.
    pub fn generate_in_pkcs11(
        uri: &crate::pkcs11::Pkcs11Uri,
        pin: &crate::pkcs11::Pin,
        spec: KeySpec,
    ) -> Result<Self, crate::pkcs11::Pkcs11Error> {
        let (token, public) = crate::pkcs11::TokenKey::generate(uri, pin, spec)?;
        Ok(SigningKey {
            inner: Inner::Token(Box::new(token)),
            public,
            made_for: None,
        })
    }

    /// Where the private key lives: `None` for a key in memory (from a file), the token's label
    /// and URI for a key in a PKCS#11 token.
    pub fn token(&self) -> Option<(&str, &str)> {
        match &self.inner {
            Inner::Token(token) => Some((token.token(), token.uri())),
            _ => None,
        }
    }

    fn from_ed25519(key: ed25519_dalek::SigningKey) -> Result<Self, KeyError> {
        let public = TrustedKey::from_ed25519_bytes(key.verifying_key().as_bytes())
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        Ok(SigningKey {
            inner: Inner::Ed25519(key),
            public,
            made_for: None,
        })
    }

    fn from_rsa(key: RsaKeyPair) -> Result<Self, KeyError> {
        let bits = key.public_modulus_len() * 8;
        if !(2048..=8192).contains(&bits) {
            return Err(KeyError::RsaSize(bits));
        }
        let public = TrustedKey::from_rsa_public_key_der(key.public_key().as_ref())
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        Ok(SigningKey {
            inner: Inner::Rsa(key),
            public,
            made_for: None,
        })
    }

    /// Loads a key from unencrypted PKCS#8 DER (Ed25519 or RSA).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = PrivateKeyInfo::from_der(der)
            .map_err(|e| KeyError::Invalid(format!("not PKCS#8: {e}")))?;
        let oid = info.algorithm.oid;
        if oid == OID_ED25519 {
            let key = ed25519_dalek::SigningKey::from_pkcs8_der(der)
                .map_err(|e| KeyError::Invalid(e.to_string()))?;
            Self::from_ed25519(key)
        } else if oid == OID_RSA {
            let key = RsaKeyPair::from_pkcs8(der)
                .map_err(|e| KeyError::Invalid(format!("the RSA key was rejected: {e}")))?;
            Self::from_rsa(key)
        } else {
            Err(KeyError::UnsupportedKeyType(describe_oid(&oid)))
        }
    }

    /// Loads a key from a DER PKCS#1 `RSAPrivateKey`.
    pub fn from_rsa_private_key_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = RsaKeyPair::from_der(der)
            .map_err(|e| KeyError::Invalid(format!("the RSA key was rejected: {e}")))?;
        Self::from_rsa(key)
    }

    /// Records the algorithm the key is made for: it becomes the default of every signature,
    /// its PEM files carry it ([`licet_verifier::ALGORITHM_ANNOTATION`]), and a JWKS of its public
    /// key publishes it. Another algorithm the key type signs can still be asked for explicitly.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, KeyError> {
        self.public = self
            .public
            .clone()
            .made_for(alg)
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        self.made_for = Some(alg);
        Ok(self)
    }

    /// The algorithm the key was made for, when its file records one.
    pub fn made_for(&self) -> Option<Algorithm> {
        self.made_for
    }

    fn annotation(&self) -> String {
        self.made_for.map_or_else(String::new, |alg| {
            format!("{} {}\n", licet_verifier::ALGORITHM_ANNOTATION, alg.name())
        })
    }

    /// Loads a key from PEM: `PRIVATE KEY` (PKCS#8), `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2;
    /// needs `passphrase`) or `RSA PRIVATE KEY` (PKCS#1), optionally preceded by the line
    /// `licet-algorithm: ALG` that `licet keygen` writes.
    pub fn from_pem(pem: &str, passphrase: Option<&Passphrase>) -> Result<Self, KeyError> {
        if pem.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(KeyError::LegacyPemEncryption);
        }
        let (made_for, block) = licet_verifier::split_algorithm_annotation(pem)
            .map_err(|e| KeyError::NotPem(e.to_string()))?;
        let key = Self::from_pem_block(block, passphrase)?;
        match made_for {
            Some(alg) => key.with_algorithm(alg),
            None => Ok(key),
        }
    }

    fn from_pem_block(pem: &str, passphrase: Option<&Passphrase>) -> Result<Self, KeyError> {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .map_err(|e| KeyError::NotPem(e.to_string()))?;
        let der = Zeroizing::new(der);
        match label {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => Self::from_rsa_private_key_der(&der),
            "ENCRYPTED PRIVATE KEY" => {
                let passphrase = passphrase.ok_or(KeyError::PassphraseRequired)?;
                let info = EncryptedPrivateKeyInfo::from_der(&der)
                    .map_err(|e| KeyError::UnsupportedEncryption(e.to_string()))?;
                let plain = info
                    .decrypt(passphrase.expose().as_bytes())
                    .map_err(|e| match e {
                        pkcs8::Error::EncryptedPrivateKey(
                            pkcs8::pkcs5::Error::AlgorithmParametersInvalid { .. },
                        )
                        | pkcs8::Error::EncryptedPrivateKey(
                            pkcs8::pkcs5::Error::UnsupportedAlgorithm { .. },
                        ) => KeyError::UnsupportedEncryption(e.to_string()),
                        _ => KeyError::WrongPassphrase,
                    })?;
                // A wrong passphrase can pass the CBC padding check by chance; the DER parse catches it.
                Self::from_pkcs8_der(plain.as_bytes()).map_err(|_| KeyError::WrongPassphrase)
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Err(KeyError::PublicKeyGiven(label.to_owned())),
            "EC PRIVATE KEY" => Err(KeyError::UnsupportedKeyType("EC (ECDSA)".into())),
            "DSA PRIVATE KEY" => Err(KeyError::UnsupportedKeyType("DSA".into())),
            "OPENSSH PRIVATE KEY" => Err(KeyError::NotPem(
                "OpenSSH private keys are not read; convert with `ssh-keygen -p -m PKCS8 -f FILE`"
                    .into(),
            )),
            other => Err(KeyError::NotPem(format!(
                "PEM `{other}` blocks hold no private key licet can use"
            ))),
        }
    }

    /// The unencrypted PKCS#8 DER of the private key.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        match &self.inner {
            // PKCS#8 v1 (no embedded public key): OpenSSL 3.0 cannot read the v2 form.
            Inner::Ed25519(key) => ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: key.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_der()
            .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
            .map_err(|e| KeyError::Invalid(e.to_string())),
            Inner::Rsa(key) => {
                let der: Pkcs8V1Der<'static> = key
                    .as_der()
                    .map_err(|_| KeyError::Invalid("PKCS#8 encoding failed".into()))?;
                Ok(Zeroizing::new(der.as_ref().to_vec()))
            }
            Inner::Token(token) => Err(KeyError::InToken(token.token().to_owned())),
        }
    }

    /// The private key as PEM: `PRIVATE KEY`, or with a passphrase `ENCRYPTED PRIVATE KEY`
    /// (PBES2: PBKDF2-HMAC-SHA256 with [`PBKDF2_ITERATIONS`] and AES-256-CBC, readable by OpenSSL).
    pub fn to_pkcs8_pem(
        &self,
        passphrase: Option<&Passphrase>,
    ) -> Result<Zeroizing<String>, KeyError> {
        let der = self.to_pkcs8_der()?;
        let encode_err = |e: pkcs8::Error| KeyError::Invalid(format!("PEM encoding failed: {e}"));
        let pem = match passphrase {
            None => pem_rfc7468::encode_string("PRIVATE KEY", LineEnding::LF, &der)
                .map(Zeroizing::new)
                .map_err(|e| KeyError::Invalid(e.to_string())),
            Some(passphrase) => {
                let mut salt = [0u8; 16];
                let mut iv = [0u8; 16];
                rand_core::OsRng.fill_bytes(&mut salt);
                rand_core::OsRng.fill_bytes(&mut iv);
                let params =
                    pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, &iv)
                        .map_err(|e| KeyError::Invalid(e.to_string()))?;
                let info =
                    PrivateKeyInfo::from_der(&der).map_err(|e| KeyError::Invalid(e.to_string()))?;
                let doc = info
                    .encrypt_with_params(params, passphrase.expose().as_bytes())
                    .map_err(encode_err)?;
                doc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
                    .map_err(|e| KeyError::Invalid(e.to_string()))
            }
        }?;
        let mut annotated = Zeroizing::new(self.annotation());
        annotated.push_str(&pem);
        Ok(annotated)
    }

    /// The public key as SPKI PEM (`PUBLIC KEY`).
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        let der = match &self.inner {
            Inner::Ed25519(key) => {
                use ed25519_dalek::pkcs8::EncodePublicKey;
                key.verifying_key()
                    .to_public_key_der()
                    .map_err(|e| KeyError::Invalid(e.to_string()))?
                    .into_vec()
            }
            Inner::Rsa(key) => {
                let der: aws_lc_rs::encoding::PublicKeyX509Der<'static> = key
                    .public_key()
                    .as_der()
                    .map_err(|_| KeyError::Invalid("SPKI encoding failed".into()))?;
                der.as_ref().to_vec()
            }
            Inner::Token(token) => token.public_der().to_vec(),
        };
        let pem = pem_rfc7468::encode_string("PUBLIC KEY", LineEnding::LF, &der)
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        Ok(format!("{}{pem}", self.annotation()))
    }

    /// The public half, as the verifier sees it.
    pub fn public_key(&self) -> &TrustedKey {
        &self.public
    }

    /// The key's `kid`: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        self.public.kid()
    }

    /// The key's type and size.
    pub fn key_type(&self) -> KeyType {
        self.public.key_type()
    }

    /// The algorithm used when none is asked for: the one the key was made for, else EdDSA for
    /// Ed25519 and RS256 for RSA.
    pub fn default_algorithm(&self) -> Algorithm {
        self.made_for.unwrap_or(match self.key_type() {
            KeyType::Ed25519 => Algorithm::EdDSA,
            _ => Algorithm::RS256,
        })
    }

    /// Signs `message` with `alg`. The algorithm must suit the key (EdDSA for Ed25519; RS256 or
    /// PS256 for RSA).
    pub fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match (&self.inner, alg) {
            (Inner::Ed25519(key), Algorithm::EdDSA) => {
                use ed25519_dalek::Signer;
                Ok(key.sign(message).to_bytes().to_vec())
            }
            (Inner::Rsa(key), Algorithm::RS256 | Algorithm::PS256) => {
                let encoding: &'static dyn aws_lc_rs::signature::RsaEncoding =
                    if alg == Algorithm::RS256 {
                        &aws_lc_rs::signature::RSA_PKCS1_SHA256
                    } else {
                        &aws_lc_rs::signature::RSA_PSS_SHA256
                    };
                let mut signature = vec![0u8; key.public_modulus_len()];
                key.sign(
                    encoding,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| SignError::Backend)?;
                Ok(signature)
            }
            (Inner::Token(token), _) if self.public.algorithms().contains(&alg) => {
                let signature = token
                    .sign(alg, message)
                    .map_err(|e| SignError::Token(e.to_string()))?;
                // The token is outside licet's memory: what it returns is checked before use.
                self.public
                    .verify_signature(alg, message, &signature)
                    .map_err(|_| {
                        SignError::Token(
                            crate::pkcs11::Pkcs11Error::BadSignature {
                                token: token.token().to_owned(),
                            }
                            .to_string(),
                        )
                    })?;
                Ok(signature)
            }
            _ => Err(SignError::AlgorithmMismatch {
                alg,
                key_type: self.key_type(),
            }),
        }
    }
}

/// Why a signature could not be made.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The algorithm does not suit the key.
    #[error("a {key_type} key cannot sign {alg}; Ed25519 keys sign EdDSA and RSA keys sign RS256 or PS256")]
    AlgorithmMismatch {
        /// The algorithm asked for.
        alg: Algorithm,
        /// The key's type.
        key_type: KeyType,
    },
    /// The backend failed.
    #[error("the signature could not be made: the cryptographic backend reported an error")]
    Backend,
    /// The PKCS#11 token failed, or returned a signature that does not verify.
    #[error("{0}")]
    Token(String),
}

fn describe_oid(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.10045.2.1" => "EC (ECDSA)",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.113" => "Ed448",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        _ => "unknown",
    };
    format!("{name} (OID {oid})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_pem_round_trip_plain_and_encrypted() {
        let key = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let plain = key.to_pkcs8_pem(None).unwrap();
        assert_eq!(SigningKey::from_pem(&plain, None).unwrap().kid(), key.kid());

        let pass = Passphrase::new("correct horse");
        let encrypted = key.to_pkcs8_pem(Some(&pass)).unwrap();
        assert!(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert_eq!(
            SigningKey::from_pem(&encrypted, Some(&pass)).unwrap().kid(),
            key.kid()
        );
        assert!(matches!(
            SigningKey::from_pem(&encrypted, None),
            Err(KeyError::PassphraseRequired)
        ));
        assert!(matches!(
            SigningKey::from_pem(&encrypted, Some(&Passphrase::new("wrong"))),
            Err(KeyError::WrongPassphrase)
        ));
    }

    #[test]
    fn rsa_signs_both_algorithms_and_refuses_eddsa() {
        let key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
        assert_eq!(key.key_type(), KeyType::Rsa { bits: 2048 });
        for alg in [Algorithm::RS256, Algorithm::PS256] {
            let sig = key.sign(alg, b"msg").unwrap();
            key.public_key()
                .verify_signature(alg, b"msg", &sig)
                .unwrap();
        }
        assert!(matches!(
            key.sign(Algorithm::EdDSA, b"msg"),
            Err(SignError::AlgorithmMismatch { .. })
        ));
        let pem = key.to_pkcs8_pem(None).unwrap();
        assert_eq!(SigningKey::from_pem(&pem, None).unwrap().kid(), key.kid());
        let public = key.public_key_pem().unwrap();
        assert_eq!(
            licet_verifier::TrustedKey::from_pem(&public).unwrap().kid(),
            key.kid()
        );
    }

    #[test]
    fn unsupported_sizes_and_public_keys_are_refused() {
        assert!(matches!(
            SigningKey::generate(KeySpec::Rsa(1024)),
            Err(KeyError::UnsupportedRsaSize(1024))
        ));
        let key = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let public = key.public_key_pem().unwrap();
        assert!(matches!(
            SigningKey::from_pem(&public, None),
            Err(KeyError::PublicKeyGiven(_))
        ));
    }

    #[test]
    fn debug_shows_no_secret() {
        let key = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let pem = key.to_pkcs8_pem(None).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let debug = format!("{key:?}");
        assert!(debug.contains(key.kid()));
        assert!(!debug.contains(&body[..20]));
    }
}
