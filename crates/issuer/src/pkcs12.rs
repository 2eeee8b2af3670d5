//! PKCS#12 (.p12/.pfx): reading a signing key and its certificate from what OpenSSL, Java keytool,
//! Windows or Python wrote, and writing licet's own (PBES2/AES-256-CBC, HMAC-SHA256 MAC).
//!
//! Parsing and decryption are p12-keystore's; certificates are read with x509-parser and made with
//! rcgen, signed by licet's own [`SigningKey`] (so no second crypto backend is linked).

use crate::passphrase::Passphrase;
use crate::signing_key::{KeyError, SigningKey};
use aws_lc_rs::digest::{digest, SHA256};
use licet_verifier::{Algorithm, KeyType, UnixTime};
use p12_keystore::{
    EncryptionAlgorithm, KeyStore, KeyStoreEntry, LocalKeyId, MacAlgorithm, Pkcs12Archive,
    PrivateKey, PrivateKeyChain,
};
use serde::Serialize;
use zeroize::Zeroizing;

/// The largest PKCS#12 file read (the seed API's upload limit); larger files are refused unread.
pub const MAX_PKCS12_BYTES: u64 = 5 * 1024 * 1024;

/// Key-derivation and MAC iterations in files licet writes (OpenSSL writes 2,048; keytool 10,000).
pub const PKCS12_ITERATIONS: u32 = 100_000;

/// What is known of the certificate in a PKCS#12 file: the fields of the API's CertificateVO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// The bag's friendlyName, else the subject CN, else the file name.
    pub name: String,
    /// Always `PKCS12_PFX`.
    pub certificate_type: &'static str,
    /// Subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex bytes separated by colons.
    pub serial: String,
    /// notBefore, RFC 3339 UTC.
    pub not_before: String,
    /// notAfter, RFC 3339 UTC.
    pub expiry: String,
    /// `Ed25519` or `RSA`.
    pub key_algorithm: String,
    /// Key size in bits (256 for Ed25519).
    pub key_size: usize,
    /// The RFC 7638 thumbprint of the public key: the `kid` licenses signed with it carry.
    pub kid: String,
    /// SHA-256 of the certificate's DER, upper-case hex separated by colons (as `openssl x509 -fingerprint -sha256`).
    pub sha256_fingerprint: String,
    /// The friendlyName of the key bag, if any.
    pub friendly_name: Option<String>,
    /// How many more certificates (the chain) the file holds.
    pub chain_length: usize,
    #[serde(skip)]
    not_before_time: UnixTime,
    #[serde(skip)]
    not_after_time: UnixTime,
}

impl CertificateInfo {
    /// notBefore.
    pub fn not_before_time(&self) -> UnixTime {
        self.not_before_time
    }

    /// notAfter.
    pub fn not_after_time(&self) -> UnixTime {
        self.not_after_time
    }

    /// Whether `now` is within notBefore..=notAfter.
    pub fn is_valid_at(&self, now: UnixTime) -> bool {
        self.not_before_time <= now && now <= self.not_after_time
    }
}

/// A signing key read from a PKCS#12 file, with its certificate.
#[derive(Debug)]
pub struct Pkcs12Identity {
    /// The private key.
    pub key: SigningKey,
    /// Its certificate.
    pub certificate: CertificateInfo,
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
}

/// Why a PKCS#12 file could not be used. Messages name the cause; the caller adds the file name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs12Error {
    /// Over [`MAX_PKCS12_BYTES`].
    #[error(
        "the file is larger than {MAX_PKCS12_BYTES} bytes (5 MB), the limit for a PKCS#12 file"
    )]
    TooLarge,
    /// PEM text, not PKCS#12.
    #[error("this is PEM text, not a PKCS#12 file; give a PEM key with a .pem name, or convert it with `openssl pkcs12 -export`")]
    IsPem,
    /// A DER X.509 certificate, not PKCS#12.
    #[error("this is a DER X.509 certificate, not a PKCS#12 file: it holds no private key")]
    IsCertificate,
    /// Not PKCS#12 at all.
    #[error("this is not a PKCS#12 file ({0})")]
    NotPkcs12(String),
    /// The structure is damaged or cut short.
    #[error("the PKCS#12 file is damaged or truncated ({0})")]
    Damaged(String),
    /// The file needs a passphrase and none was given.
    #[error("the PKCS#12 file is protected by a passphrase; give it with --passphrase-file, LICET_PASSPHRASE or at the prompt")]
    PassphraseRequired,
    /// A bag could not be decrypted (a file without MAC): wrong passphrase, or damage.
    #[error("the PKCS#12 contents could not be decrypted: wrong passphrase, or the file is damaged (it has no integrity check to tell which)")]
    DecryptionFailed,
    /// The MAC did not verify: the passphrase is wrong (or the file was altered).
    #[error("wrong passphrase: the PKCS#12 integrity check (MAC) failed; if the passphrase is right, the file was altered")]
    WrongPassphrase,
    /// An encryption or MAC algorithm the reader does not support.
    #[error("the PKCS#12 file uses an unsupported encryption algorithm: {0}; re-export it with `openssl pkcs12 -export` (AES-256-CBC)")]
    UnsupportedEncryption(String),
    /// No private key in the file.
    #[error("the PKCS#12 file holds no private key (only {certificates} certificate(s)); export it with its key")]
    NoPrivateKey {
        /// How many certificates it holds.
        certificates: usize,
    },
    /// Several private keys and no way to choose.
    #[error("the PKCS#12 file holds {} private keys ({}); choose one with --alias", .0.len(), .0.join(", "))]
    AmbiguousKeys(Vec<String>),
    /// `--alias` matched nothing.
    #[error("no private key in the PKCS#12 file has the alias {alias:?}; it has: {}", available.join(", "))]
    AliasNotFound {
        /// The alias asked for.
        alias: String,
        /// The aliases present.
        available: Vec<String>,
    },
    /// The key's type is not Ed25519 or RSA.
    #[error("the private key is {0}; licet signs with Ed25519 and RSA keys only")]
    UnsupportedKeyType(String),
    /// The key was found but could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// No certificate matches the private key.
    #[error(
        "no certificate in the PKCS#12 file matches the private key (by localKeyId or public key)"
    )]
    NoMatchingCertificate,
    /// The certificate could not be read.
    #[error("the certificate could not be read: {0}")]
    Certificate(String),
    /// Writing failed.
    #[error("the PKCS#12 file could not be written: {0}")]
    Write(String),
}

/// Reads the signing key and its certificate from PKCS#12 bytes.
///
/// `passphrase` `None` tries the empty passphrase; `alias` picks a key by friendlyName when the
/// file holds several. The certificate is the one whose localKeyId matches the key's, else the
/// one with the key's public key; never simply the first.
pub fn load_pkcs12(
    bytes: &[u8],
    passphrase: Option<&Passphrase>,
    alias: Option<&str>,
    file_name: &str,
) -> Result<Pkcs12Identity, Pkcs12Error> {
    if bytes.len() as u64 > MAX_PKCS12_BYTES {
        return Err(Pkcs12Error::TooLarge);
    }
    let archive = open_archive(bytes, passphrase)?;
    let chosen = choose_key(&archive, alias)?;
    let bag = &archive.keys[chosen];
    let key = signing_key_from(&bag.key)?;

    let spki = spki_der(&key)?;
    let by_local_id = bag.local_key_id.as_ref().and_then(|id| {
        archive
            .certs
            .iter()
            .find(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
    });
    let certificate = match by_local_id {
        Some(cert) if cert_spki(cert.cert.as_der()).is_ok_and(|s| s == spki) => cert,
        _ => archive
            .certs
            .iter()
            .find(|c| cert_spki(c.cert.as_der()).is_ok_and(|s| s == spki))
            .ok_or(Pkcs12Error::NoMatchingCertificate)?,
    };
    let friendly_name = bag
        .friendly_name
        .clone()
        .or_else(|| certificate.friendly_name.clone());
    let info = certificate_info(
        certificate.cert.as_der(),
        &key,
        friendly_name,
        file_name,
        archive.certs.len().saturating_sub(1),
    )?;
    Ok(Pkcs12Identity {
        key,
        certificate: info,
        certificate_der: certificate.cert.as_der().to_vec(),
    })
}

/// The index of the key bag `alias` names, or of the only one.
fn choose_key(archive: &Pkcs12Archive, alias: Option<&str>) -> Result<usize, Pkcs12Error> {
    let keys: Vec<_> = archive.keys.iter().enumerate().collect();
    if keys.is_empty() {
        return Err(Pkcs12Error::NoPrivateKey {
            certificates: archive.certs.len(),
        });
    }
    // Names come from the file: escaped, so they cannot drive a terminal through an error message.
    let name_of = |i: usize| -> String {
        let bag = &archive.keys[i];
        bag.friendly_name
            .as_deref()
            .map_or_else(|| format!("key #{} (no friendlyName)", i + 1), sanitize)
    };
    let chosen = match (alias, keys.len()) {
        (Some(wanted), _) => {
            let matching: Vec<usize> = keys
                .iter()
                .filter(|(_, bag)| bag.friendly_name.as_deref() == Some(wanted))
                .map(|(i, _)| *i)
                .collect();
            match matching.as_slice() {
                [one] => *one,
                [] => {
                    return Err(Pkcs12Error::AliasNotFound {
                        alias: sanitize(wanted),
                        available: keys.iter().map(|(i, _)| name_of(*i)).collect(),
                    })
                }
                // Two keys under one name: choosing either would be a guess.
                many => {
                    return Err(Pkcs12Error::AmbiguousKeys(
                        many.iter().map(|i| name_of(*i)).collect(),
                    ))
                }
            }
        }
        (None, 1) => 0,
        (None, _) => {
            return Err(Pkcs12Error::AmbiguousKeys(
                keys.iter().map(|(i, _)| name_of(*i)).collect(),
            ))
        }
    };
    Ok(chosen)
}

/// A TLS server identity read from a PKCS#12 file: any key type (TLS keys are often ECDSA), its
/// certificate first, then the file's other certificates (the chain).
pub struct TlsIdentity {
    /// The private key, PKCS#8 DER.
    pub key_pkcs8_der: Zeroizing<Vec<u8>>,
    /// The key's certificate, then the others in the file, DER.
    pub chain_der: Vec<Vec<u8>>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("key_pkcs8_der", &"<redacted>")
            .field("certificates", &self.chain_der.len())
            .finish()
    }
}

/// Reads a TLS server key and its certificate chain from PKCS#12 bytes. The key's certificate
/// is the one with its localKeyId, else the only certificate; the TLS library then checks
/// that the certificate's public key matches the key.
pub fn load_pkcs12_tls(
    bytes: &[u8],
    passphrase: Option<&Passphrase>,
    alias: Option<&str>,
) -> Result<TlsIdentity, Pkcs12Error> {
    if bytes.len() as u64 > MAX_PKCS12_BYTES {
        return Err(Pkcs12Error::TooLarge);
    }
    let archive = open_archive(bytes, passphrase)?;
    let chosen = choose_key(&archive, alias)?;
    let bag = &archive.keys[chosen];
    let leaf = match bag.local_key_id.as_ref().and_then(|id| {
        archive
            .certs
            .iter()
            .position(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
    }) {
        Some(i) => i,
        None if archive.certs.len() == 1 => 0,
        None => return Err(Pkcs12Error::NoMatchingCertificate),
    };
    let mut chain_der = vec![archive.certs[leaf].cert.as_der().to_vec()];
    chain_der.extend(
        archive
            .certs
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != leaf)
            .map(|(_, c)| c.cert.as_der().to_vec()),
    );
    Ok(TlsIdentity {
        key_pkcs8_der: Zeroizing::new(bag.key.as_der().to_vec()),
        chain_der,
    })
}

/// Escapes control characters and caps the length of text taken from a file.
fn sanitize(text: &str) -> String {
    text.chars()
        .flat_map(char::escape_debug)
        .take(100)
        .collect()
}

fn open_archive(
    bytes: &[u8],
    passphrase: Option<&Passphrase>,
) -> Result<Pkcs12Archive, Pkcs12Error> {
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN")
        || bytes.starts_with("\u{feff}-----BEGIN".as_bytes())
    {
        return Err(Pkcs12Error::IsPem);
    }
    if bytes.starts_with(&[0x30, 0x80]) {
        return Err(Pkcs12Error::NotPkcs12(
            "it uses BER indefinite-length encoding, which licet does not read; re-export it with `openssl pkcs12 -export`".into(),
        ));
    }
    let password = passphrase.map_or("", |p| p.expose());
    match Pkcs12Archive::from_pkcs12(bytes, password) {
        Ok(archive) => Ok(archive),
        Err(p12_keystore::error::Error::MacError(_)) if passphrase.is_none() => {
            Err(Pkcs12Error::PassphraseRequired)
        }
        Err(p12_keystore::error::Error::MacError(_)) => Err(Pkcs12Error::WrongPassphrase),
        Err(
            p12_keystore::error::Error::UnsupportedEncryptionScheme
            | p12_keystore::error::Error::UnsupportedMacAlgorithm,
        ) => Err(Pkcs12Error::UnsupportedEncryption(
            describe_unsupported_encryption(bytes),
        )),
        Err(p12_keystore::error::Error::DerError(e)) => {
            // An algorithm identifier the decoder has no type for surfaces as a DER error; but a
            // certificate is recognised first, since its extensions may name old ciphers.
            let unsupported = unsupported_encryption_oids(bytes);
            if x509_parser::parse_x509_certificate(bytes).is_ok() {
                Err(Pkcs12Error::IsCertificate)
            } else if !unsupported.is_empty() && looks_like_pfx_prefix(bytes) {
                Err(Pkcs12Error::UnsupportedEncryption(unsupported.join(", ")))
            } else if bytes.first() == Some(&0x30) && looks_like_pfx_prefix(bytes) {
                Err(Pkcs12Error::Damaged(e.to_string()))
            } else {
                Err(Pkcs12Error::NotPkcs12(format!(
                    "it does not parse as a PFX structure: {e}"
                )))
            }
        }
        Err(p12_keystore::error::Error::InvalidParameters) => Err(Pkcs12Error::Damaged(
            "an iteration count or key-derivation parameter is over the reader's limits (1,000,000 iterations, 1 GiB scrypt memory)".into(),
        )),
        Err(p12_keystore::error::Error::UnsupportedContentType) => Err(Pkcs12Error::NotPkcs12(
            "it uses public-key privacy mode (content encrypted to a certificate), which licet does not read; re-export it with a passphrase".into(),
        )),
        // Without a MAC, a wrong passphrase shows only as a failed decryption.
        Err(p12_keystore::error::Error::UnpadError | p12_keystore::error::Error::Pkcs5Error(_)) => {
            Err(if passphrase.is_none() { Pkcs12Error::PassphraseRequired } else { Pkcs12Error::DecryptionFailed })
        }
        Err(p12_keystore::error::Error::InvalidVersion) => {
            Err(Pkcs12Error::NotPkcs12("the PFX version is not 3".into()))
        }
        Err(e) => {
            // An algorithm identifier the decoder has no type for can surface as any decode error.
            let unsupported = unsupported_encryption_oids(bytes);
            if unsupported.is_empty() {
                Err(Pkcs12Error::Damaged(e.to_string()))
            } else {
                Err(Pkcs12Error::UnsupportedEncryption(unsupported.join(", ")))
            }
        }
    }
}

/// A PFX starts SEQUENCE { INTEGER 3, ... }: enough to tell a truncated PKCS#12 from other DER.
fn looks_like_pfx_prefix(bytes: &[u8]) -> bool {
    let header_len = match bytes.get(1) {
        Some(b) if *b < 0x80 => 2,
        Some(b) => 2 + usize::from(b & 0x7f),
        None => return false,
    };
    bytes.get(header_len..header_len + 3) == Some(&[0x02, 0x01, 0x03])
}

/// Names the encryption algorithm OIDs in the file that the reader does not support. The PFX
/// structure around the encrypted bags is plain DER, so the algorithm identifiers can be found
/// by their encodings.
fn describe_unsupported_encryption(bytes: &[u8]) -> String {
    let found = unsupported_encryption_oids(bytes);
    if found.is_empty() {
        "an algorithm licet does not know by name".into()
    } else {
        found.join(", ")
    }
}

/// The known encryption algorithms the reader cannot decrypt, found in the file, with OIDs.
fn unsupported_encryption_oids(bytes: &[u8]) -> Vec<String> {
    const KNOWN: &[(&str, &str)] = &[
        ("1.2.392.200011.61.1.1.1.2", "camellia-128-cbc"),
        ("1.2.392.200011.61.1.1.1.3", "camellia-192-cbc"),
        ("1.2.392.200011.61.1.1.1.4", "camellia-256-cbc"),
        ("1.3.14.3.2.7", "des-cbc"),
        ("1.2.410.200046.1.1.2", "aria-128-cbc"),
        ("1.2.410.200046.1.1.12", "aria-256-cbc"),
        ("1.2.156.10197.1.104.2", "sm4-cbc"),
        ("1.2.840.113549.1.12.1.1", "pbeWithSHAAnd128BitRC4"),
        ("1.2.840.113549.1.12.1.2", "pbeWithSHAAnd40BitRC4"),
        ("1.2.840.113549.1.5.3", "pbeWithMD5AndDES-CBC"),
        ("1.2.840.113549.1.5.10", "pbeWithSHA1AndDES-CBC"),
        ("1.2.840.113549.2.5", "md5"),
        ("1.2.840.113549.1.12.1.4", "pbeWithSHAAnd2-KeyTripleDES-CBC"),
        ("1.2.840.113549.1.12.1.5", "pbeWithSHAAnd128BitRC2-CBC"),
        ("1.2.840.113549.1.5.14", "PBMAC1"),
    ];
    KNOWN
        .iter()
        .filter(|(oid, _)| contains_oid(bytes, oid))
        .map(|(oid, name)| format!("{name} (OID {oid})"))
        .collect()
}

fn contains_oid(haystack: &[u8], dotted: &str) -> bool {
    match pkcs8::spki::ObjectIdentifier::new(dotted) {
        Ok(oid) => {
            let body = oid.as_bytes();
            let mut needle = vec![0x06, body.len() as u8];
            needle.extend_from_slice(body);
            haystack
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
        }
        Err(_) => false,
    }
}

fn signing_key_from(key: &PrivateKey) -> Result<SigningKey, Pkcs12Error> {
    let oid = key.oid().to_string();
    match oid.as_str() {
        "1.3.101.112" | "1.2.840.113549.1.1.1" => Ok(SigningKey::from_pkcs8_der(key.as_der())?),
        "1.2.840.10045.2.1" => Err(Pkcs12Error::UnsupportedKeyType(format!(
            "an EC (ECDSA) key{} (OID 1.2.840.10045.2.1)",
            ec_curve(key.as_der())
        ))),
        "1.2.840.10040.4.1" => Err(Pkcs12Error::UnsupportedKeyType(
            "a DSA key (OID 1.2.840.10040.4.1)".into(),
        )),
        "1.3.101.113" => Err(Pkcs12Error::UnsupportedKeyType(
            "an Ed448 key (OID 1.3.101.113)".into(),
        )),
        "1.2.840.113549.1.1.10" => Err(Pkcs12Error::UnsupportedKeyType(
            "an RSASSA-PSS-restricted RSA key (OID 1.2.840.113549.1.1.10)".into(),
        )),
        other => Err(Pkcs12Error::UnsupportedKeyType(format!(
            "a key of algorithm OID {other}"
        ))),
    }
}

fn ec_curve(pkcs8: &[u8]) -> &'static str {
    if contains_oid(pkcs8, "1.2.840.10045.3.1.7") {
        " on curve P-256"
    } else if contains_oid(pkcs8, "1.3.132.0.34") {
        " on curve P-384"
    } else if contains_oid(pkcs8, "1.3.132.0.35") {
        " on curve P-521"
    } else {
        ""
    }
}

fn spki_der(key: &SigningKey) -> Result<Vec<u8>, Pkcs12Error> {
    let pem = key.public_key_pem()?;
    pem_rfc7468::decode_vec(pem.as_bytes())
        .map(|(_, der)| der)
        .map_err(|e| Pkcs12Error::Certificate(e.to_string()))
}

fn cert_spki(der: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| Pkcs12Error::Certificate(e.to_string()))?;
    Ok(cert.public_key().raw.to_vec())
}

fn certificate_info(
    der: &[u8],
    key: &SigningKey,
    friendly_name: Option<String>,
    file_name: &str,
    chain_length: usize,
) -> Result<CertificateInfo, Pkcs12Error> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| Pkcs12Error::Certificate(e.to_string()))?;
    let time = |t: x509_parser::time::ASN1Time| {
        UnixTime::from_secs(t.timestamp())
            .map_err(|e| Pkcs12Error::Certificate(format!("a validity date is out of range: {e}")))
    };
    let not_before = time(cert.validity().not_before)?;
    let not_after = time(cert.validity().not_after)?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    let name = friendly_name
        .clone()
        .or(common_name)
        .unwrap_or_else(|| file_name.to_owned());
    let fingerprint = digest(&SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let (key_algorithm, key_size) = match key.key_type() {
        KeyType::Ed25519 => ("Ed25519".to_owned(), 256),
        KeyType::Rsa { bits } => ("RSA".to_owned(), bits),
    };
    Ok(CertificateInfo {
        name,
        certificate_type: "PKCS12_PFX",
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.tbs_certificate.raw_serial_as_string(),
        not_before: not_before.to_rfc3339(),
        expiry: not_after.to_rfc3339(),
        key_algorithm,
        key_size,
        kid: key.kid().to_owned(),
        sha256_fingerprint: fingerprint,
        friendly_name,
        chain_length,
        not_before_time: not_before,
        not_after_time: not_after,
    })
}

/// Signs certificates with a licet [`SigningKey`] (rcgen runs no crypto of its own).
struct CertificateSigner<'a> {
    key: &'a SigningKey,
    public_key: Vec<u8>,
}

impl rcgen::PublicKeyData for CertificateSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.public_key
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        match self.key.key_type() {
            KeyType::Ed25519 => &rcgen::PKCS_ED25519,
            KeyType::Rsa { .. } => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

impl rcgen::SigningKey for CertificateSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let alg = match self.key.key_type() {
            KeyType::Ed25519 => Algorithm::EdDSA,
            KeyType::Rsa { .. } => Algorithm::RS256,
        };
        self.key
            .sign(alg, msg)
            .map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// A self-signed X.509 certificate (DER) for `key`, valid from `not_before` for `days` days.
/// `subject` is an RFC 4514 name such as `CN=Example Vendor,O=Example`; a plain word is a CN.
pub fn self_signed_certificate(
    key: &SigningKey,
    subject: &str,
    not_before: UnixTime,
    days: u32,
) -> Result<Vec<u8>, Pkcs12Error> {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = parse_subject(subject)?;
    let start = time::OffsetDateTime::from_unix_timestamp(not_before.as_secs())
        .map_err(|e| Pkcs12Error::Write(e.to_string()))?;
    params.not_before = start;
    params.not_after = start
        .checked_add(time::Duration::days(i64::from(days)))
        .filter(|end| end.year() <= 9999)
        .ok_or_else(|| {
            Pkcs12Error::Write(format!(
                "a validity of {days} days ends after the year 9999"
            ))
        })?;
    let mut serial = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut serial);
    serial[0] &= 0x7f; // a positive INTEGER
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    // The subjectPublicKey bits of the SPKI: 32 bytes for Ed25519, a PKCS#1 RSAPublicKey for RSA.
    let spki = spki_der(key)?;
    let public_key = pkcs8::spki::SubjectPublicKeyInfoRef::try_from(spki.as_slice())
        .map_err(|e| Pkcs12Error::Write(e.to_string()))?
        .subject_public_key
        .raw_bytes()
        .to_vec();
    let signer = CertificateSigner { key, public_key };
    let cert = params
        .self_signed(&signer)
        .map_err(|e| Pkcs12Error::Write(e.to_string()))?;
    Ok(cert.der().to_vec())
}

fn parse_subject(subject: &str) -> Result<rcgen::DistinguishedName, Pkcs12Error> {
    let mut name = rcgen::DistinguishedName::new();
    if !subject.contains('=') {
        name.push(rcgen::DnType::CommonName, subject.trim());
        return Ok(name);
    }
    for part in subject.split(',') {
        let (attr, value) = part.split_once('=').ok_or_else(|| {
            Pkcs12Error::Write(format!("`{part}` in the subject is not ATTRIBUTE=value"))
        })?;
        let kind = match attr.trim().to_ascii_uppercase().as_str() {
            "CN" => rcgen::DnType::CommonName,
            "O" => rcgen::DnType::OrganizationName,
            "OU" => rcgen::DnType::OrganizationalUnitName,
            "C" => rcgen::DnType::CountryName,
            "ST" => rcgen::DnType::StateOrProvinceName,
            "L" => rcgen::DnType::LocalityName,
            other => {
                return Err(Pkcs12Error::Write(format!(
                    "subject attribute `{other}` is not supported (use CN, O, OU, C, ST, L)"
                )))
            }
        };
        name.push(kind, value.trim());
    }
    Ok(name)
}

/// Writes `key` and `certificate_der` as PKCS#12: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for key
/// and certificate, HMAC-SHA256 MAC, [`PKCS12_ITERATIONS`] iterations, friendlyName `alias`.
pub fn write_pkcs12(
    key: &SigningKey,
    certificate_der: &[u8],
    passphrase: &Passphrase,
    alias: &str,
) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    let pkcs8 = key.to_pkcs8_der()?;
    let private = PrivateKey::from_der(&pkcs8).map_err(|e| Pkcs12Error::Write(e.to_string()))?;
    let cert = p12_keystore::Certificate::from_der(certificate_der)
        .map_err(|e| Pkcs12Error::Write(e.to_string()))?;
    let local_key_id = LocalKeyId(digest(&SHA256, certificate_der).as_ref()[..20].to_vec());
    let mut store = KeyStore::new();
    store.add_entry(
        alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, private, [cert])),
    );
    let bytes = store
        .writer(passphrase.expose())
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(PKCS12_ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(PKCS12_ITERATIONS)
        .write()
        .map_err(|e| Pkcs12Error::Write(e.to_string()))?;
    Ok(Zeroizing::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing_key::KeySpec;

    fn round_trip(spec: KeySpec) {
        let key = SigningKey::generate(spec).unwrap();
        let now = UnixTime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let der = self_signed_certificate(&key, "CN=Unit Test,O=licet", now, 30).unwrap();
        let pass = Passphrase::new("unit");
        let bytes = write_pkcs12(&key, &der, &pass, "unit-test").unwrap();
        let identity = load_pkcs12(&bytes, Some(&pass), None, "unit.p12").unwrap();
        assert_eq!(identity.key.kid(), key.kid());
        assert_eq!(identity.certificate.name, "unit-test");
        assert_eq!(identity.certificate.subject, "CN=Unit Test, O=licet");
        assert_eq!(identity.certificate.not_before, "2026-01-01T00:00:00Z");
        assert_eq!(identity.certificate.expiry, "2026-01-31T00:00:00Z");
        assert!(identity.certificate.is_valid_at(now));
        assert!(matches!(
            load_pkcs12(&bytes, Some(&Passphrase::new("nope")), None, "u"),
            Err(Pkcs12Error::WrongPassphrase)
        ));
        assert!(matches!(
            load_pkcs12(&bytes, None, None, "u"),
            Err(Pkcs12Error::PassphraseRequired)
        ));
        assert!(matches!(
            load_pkcs12(&bytes, Some(&pass), Some("other"), "u"),
            Err(Pkcs12Error::AliasNotFound { .. })
        ));
        // The Debug form names the key but shows no secret.
        let debug = format!("{identity:?}");
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let secret_hex: String = pkcs8[pkcs8.len() - 16..]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            debug.contains(key.kid()) && !debug.contains(&secret_hex),
            "{debug}"
        );
    }

    #[test]
    fn ed25519_write_then_read() {
        round_trip(KeySpec::Ed25519);
    }

    #[test]
    fn rsa_write_then_read() {
        round_trip(KeySpec::Rsa(2048));
    }

    #[test]
    fn subjects() {
        assert!(parse_subject("CN=a,O=b,C=DE").is_ok());
        assert!(parse_subject("plain name").is_ok());
        assert!(parse_subject("CN=a,XX=b")
            .unwrap_err()
            .to_string()
            .contains("XX"));
    }

    #[test]
    fn oid_search_finds_encoded_oids() {
        // 06 03 2B 65 70 is the DER of OID 1.3.101.112 (Ed25519).
        assert!(contains_oid(
            &[0x30, 0x06, 0x03, 0x2b, 0x65, 0x70],
            "1.3.101.112"
        ));
        assert!(!contains_oid(&[0x2b, 0x65, 0x70], "1.3.101.112"));
    }
}
