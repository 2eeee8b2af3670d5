//! The signature layer: a compact JWS (RFC 7515) split, decoded strictly, and verified against
//! trusted keys. It knows nothing about licenses, so published JWS test vectors run through it.

use crate::algorithm::Algorithm;
use crate::json;
use crate::keys::{TrustedKey, TrustedKeys};
use crate::report::Status;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Header parameters that carry or point to a key. licet never takes a key from a token, and a
/// token that offers one is refused rather than silently ignored.
pub const KEY_CARRYING_HEADERS: [&str; 5] = ["jwk", "jku", "x5u", "x5c", "x5t#S256"];

/// Why a JWS was refused. Each variant maps to one report [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// The token's structure or encoding is wrong.
    #[error("{0}")]
    Malformed(String),
    /// The header asks for an algorithm licet does not accept, or one the key does not verify.
    #[error("{0}")]
    UnsupportedAlgorithm(String),
    /// No trusted key matches the token.
    #[error("{0}")]
    UnknownKey(String),
    /// A trusted key was found but the signature does not verify with it.
    #[error("the signature does not verify with the trusted key")]
    BadSignature,
}

impl JwsError {
    /// The report status this error leads to.
    pub fn status(&self) -> Status {
        match self {
            JwsError::Malformed(_) => Status::Malformed,
            JwsError::UnsupportedAlgorithm(_) => Status::UnsupportedAlgorithm,
            JwsError::UnknownKey(_) => Status::UnknownKey,
            JwsError::BadSignature => Status::BadSignature,
        }
    }
}

/// A compact JWS whose structure and header were checked but whose signature was not.
#[derive(Debug)]
pub struct DecodedJws<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    alg: Algorithm,
    kid: Option<String>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// A JWS whose signature verified with a trusted key.
#[derive(Debug)]
pub struct VerifiedJws<'k> {
    key: &'k TrustedKey,
    alg: Algorithm,
    header: Map<String, Value>,
    payload: Vec<u8>,
}

impl<'k> VerifiedJws<'k> {
    /// The key that verified the signature.
    pub fn key(&self) -> &'k TrustedKey {
        self.key
    }

    /// The algorithm used.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The protected header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The authenticated payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// What a person did when a token does not read: wrapped it over several lines, or pasted it
/// with quotes or spaces. The token is still refused (the format is one line); the message says
/// how to fix it.
fn pasting_problem(token: &str) -> Option<String> {
    if let Some(at) = token.find(['\n', '\r']) {
        return Some(format!(
            "the file has a line break at byte {at} (after {}): a license is one line; join the lines (remove every line break inside it) and try again",
            quote(&token[..at].chars().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect::<String>())
        ));
    }
    let quotes = [
        '"', '\'', '`', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}',
    ];
    if token.starts_with(quotes) || token.ends_with(quotes) {
        return Some(
            "the license is wrapped in quotes: remove the quotes around it and try again".into(),
        );
    }
    if let Some(at) = token.find(|c: char| c.is_whitespace()) {
        return Some(format!(
            "the file has a space at byte {at}: a license is one line of base64url and dots, with no spaces; remove them and try again"
        ));
    }
    None
}

/// Splits and decodes a compact JWS without verifying it: three unpadded base64url parts, a JSON
/// header with no duplicate names, an accepted `alg`, no `crit` and no key-carrying parameter.
pub fn decode(token: &str) -> Result<DecodedJws<'_>, JwsError> {
    if let Some(problem) = pasting_problem(token) {
        return Err(JwsError::Malformed(problem));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JwsError::Malformed(format!(
            "a license file holds one compact JWS of three base64url parts separated by dots; this has {} part{}",
            parts.len(),
            if parts.len() == 1 { "" } else { "s" }
        )));
    }
    let decode_part = |name: &str, text: &str| -> Result<Vec<u8>, JwsError> {
        if text.is_empty() {
            return Err(JwsError::Malformed(format!("the {name} part is empty")));
        }
        URL_SAFE_NO_PAD.decode(text).map_err(|e| {
            JwsError::Malformed(format!(
                "the {name} part is not unpadded base64url (RFC 7515 section 2): {e}"
            ))
        })
    };
    let header_bytes = decode_part("header", parts[0])?;
    let header = json::parse_object(&header_bytes)
        .map_err(|e| JwsError::Malformed(format!("the header {e}")))?;

    let alg = match header.get("alg") {
        None => return Err(JwsError::Malformed("the header has no `alg`".into())),
        Some(Value::String(alg)) => Algorithm::from_header(alg).ok_or_else(|| {
            JwsError::UnsupportedAlgorithm(format!(
                "the algorithm {} is not accepted; licet verifies only EdDSA, RS256 and PS256",
                quote(alg)
            ))
        })?,
        Some(other) => {
            return Err(JwsError::Malformed(format!(
                "the header `alg` must be a string, not {}",
                json::type_name(other)
            )))
        }
    };
    if header.contains_key("crit") {
        return Err(JwsError::Malformed(
            "the header has a `crit` parameter; licet implements no critical extensions and refuses the token (RFC 7515 section 4.1.11)".into(),
        ));
    }
    if let Some(name) = KEY_CARRYING_HEADERS
        .iter()
        .find(|h| header.contains_key(**h))
    {
        return Err(JwsError::Malformed(format!(
            "the header carries a key parameter `{name}`; keys come only from the trusted key set, never from a token"
        )));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(other) => {
            return Err(JwsError::Malformed(format!(
                "the header `kid` must be a string, not {}",
                json::type_name(other)
            )))
        }
    };
    // The header was checked first, so an unacceptable `alg` (such as `none` with an empty
    // signature) is reported as such rather than as a missing signature.
    let payload = decode_part("payload", parts[1])?;
    let signature = decode_part("signature", parts[2])?;
    let signing_input_len = parts[0].len() + 1 + parts[1].len();
    Ok(DecodedJws {
        signing_input: &token[..signing_input_len],
        header,
        alg,
        kid,
        payload,
        signature,
    })
}

impl<'a> DecodedJws<'a> {
    /// The header's algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The header's `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The decoded protected header (not yet authenticated).
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// Finds the key and checks the signature.
    ///
    /// With a `kid`, only keys with that kid are candidates, and the key must allow the header's
    /// algorithm. Without one, every trusted key that allows the algorithm is tried.
    pub fn verify<'k>(self, keys: &'k TrustedKeys) -> Result<VerifiedJws<'k>, JwsError> {
        let key = self.find_key(keys)?;
        Ok(VerifiedJws {
            key,
            alg: self.alg,
            header: self.header,
            payload: self.payload,
        })
    }

    /// For batch verification: the one trusted Ed25519 key this EdDSA token names by `kid`, with
    /// the signing input and signature. `None` when the token is not such a case (it is then
    /// verified alone, by [`DecodedJws::verify`]).
    pub(crate) fn batch_item<'k>(
        &self,
        keys: &'k TrustedKeys,
    ) -> Option<(&'k TrustedKey, &[u8], &[u8])> {
        if self.alg != Algorithm::EdDSA {
            return None;
        }
        let kid = self.kid.as_deref()?;
        let mut named = keys.iter().filter(|k| k.has_kid(kid));
        let key = named.next()?;
        if named.next().is_some()
            || key.ed25519_key().is_none()
            || !key.algorithms().contains(&Algorithm::EdDSA)
        {
            return None;
        }
        Some((key, self.signing_input.as_bytes(), &self.signature))
    }

    /// Accepts the signature as verified by `key`: only for the batch verifier, after a batch
    /// equation over this very signature held.
    pub(crate) fn verified_by_batch(self, key: &TrustedKey) -> VerifiedJws<'_> {
        VerifiedJws {
            key,
            alg: self.alg,
            header: self.header,
            payload: self.payload,
        }
    }

    fn find_key<'k>(&self, keys: &'k TrustedKeys) -> Result<&'k TrustedKey, JwsError> {
        let message = self.signing_input.as_bytes();
        match &self.kid {
            Some(kid) => {
                let mut named = keys.iter().filter(|k| k.has_kid(kid)).peekable();
                let first = named.peek().copied().ok_or_else(|| {
                    JwsError::UnknownKey(format!(
                        "no trusted key has the kid {} named by the token",
                        quote(kid)
                    ))
                })?;
                let mut allowing = named
                    .filter(|k| k.algorithms().contains(&self.alg))
                    .peekable();
                if allowing.peek().is_none() {
                    return Err(JwsError::UnsupportedAlgorithm(format!(
                        "the token asks for {}, but the trusted key {} is {} and verifies only {}",
                        self.alg,
                        quote(kid),
                        first.key_type(),
                        names(first.algorithms())
                    )));
                }
                allowing
                    .find(|k| {
                        k.verify_signature(self.alg, message, &self.signature)
                            .is_ok()
                    })
                    .ok_or(JwsError::BadSignature)
            }
            None => {
                let mut allowing = keys
                    .iter()
                    .filter(|k| k.algorithms().contains(&self.alg))
                    .peekable();
                if allowing.peek().is_none() {
                    return Err(JwsError::UnknownKey(format!(
                        "the token names no kid and no trusted key verifies {}",
                        self.alg
                    )));
                }
                allowing
                    .find(|k| {
                        k.verify_signature(self.alg, message, &self.signature)
                            .is_ok()
                    })
                    .ok_or(JwsError::BadSignature)
            }
        }
    }
}

fn names(algs: &[Algorithm]) -> String {
    algs.iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Quotes untrusted text for an error message: backticks, control characters escaped, at most 80
/// characters, so a hostile token cannot forge terminal output.
pub fn quote(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_debug).take(80).collect();
    let ellipsis = if text.chars().flat_map(char::escape_debug).nth(80).is_some() {
        "..."
    } else {
        ""
    };
    format!("`{escaped}{ellipsis}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_count_is_checked() {
        assert!(matches!(decode("a.b"), Err(JwsError::Malformed(m)) if m.contains("2 parts")));
        assert!(
            matches!(decode("a.b.c.d.e"), Err(JwsError::Malformed(m)) if m.contains("5 parts"))
        );
    }

    #[test]
    fn padding_and_standard_alphabet_are_refused() {
        // {"alg":"EdDSA"} with `=` padding appended.
        assert!(matches!(
            decode("eyJhbGciOiJFZERTQSJ9=.e30.AA"),
            Err(JwsError::Malformed(_))
        ));
        assert!(matches!(
            decode("eyJhbGciOiJFZERTQSJ9.e30+.AA"),
            Err(JwsError::Malformed(_))
        ));
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote("a\nb"), "`a\\nb`");
        assert!(quote(&"x".repeat(200)).ends_with("...`"));
    }
}
