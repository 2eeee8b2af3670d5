//! The three JWS algorithms licet accepts.

use serde::Serialize;
use std::fmt;

/// A JWS signature algorithm that licet accepts. Every other `alg` value (`none`, `HS256`,
/// `ES256`, ...) is refused before any key is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037), verified with ed25519-dalek's strict verification.
    EdDSA,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3).
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256 (RFC 7518 section 3.5).
    PS256,
}

impl Algorithm {
    /// Every accepted algorithm.
    pub const ALL: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::RS256, Algorithm::PS256];

    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::RS256 => "RS256",
            Algorithm::PS256 => "PS256",
        }
    }

    /// The algorithm named by a JWS header `alg`, compared exactly (JOSE names are case-sensitive).
    pub fn from_header(alg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == alg)
    }

    /// The algorithm named by a person (command-line `--alg`), compared case-insensitively.
    pub fn from_name_ignore_case(alg: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(alg.trim()))
    }

    /// Whether this algorithm uses an RSA key.
    pub fn is_rsa(self) -> bool {
        matches!(self, Algorithm::RS256 | Algorithm::PS256)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_case_sensitive() {
        assert_eq!(Algorithm::from_header("EdDSA"), Some(Algorithm::EdDSA));
        assert_eq!(Algorithm::from_header("rs256"), None);
        assert_eq!(Algorithm::from_header("none"), None);
        assert_eq!(Algorithm::from_header("HS256"), None);
        assert_eq!(
            Algorithm::from_name_ignore_case("ps256"),
            Some(Algorithm::PS256)
        );
    }
}
