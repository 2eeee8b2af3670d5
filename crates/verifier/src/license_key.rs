//! License keys: `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, five groups of five upper-case letters or digits.

use std::fmt;

/// The alphabet of license key characters: 36 symbols, so each character carries log2(36) = 5.17
/// bits and a random key 25 * 5.17 = 129.2 bits.
pub const LICENSE_KEY_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A well-formed license key in canonical (upper-case) form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LicenseKey(String);

/// The text is not a license key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a license key: expected five groups of five letters or digits, as XXXXX-XXXXX-XXXXX-XXXXX-XXXXX", crate::jws::quote(.0))]
pub struct LicenseKeyError(pub String);

impl LicenseKey {
    /// Parses a license key typed by a person: surrounding whitespace is removed and letters are
    /// upper-cased before the format is checked.
    pub fn parse(text: &str) -> Result<Self, LicenseKeyError> {
        let normalised = text.trim().to_ascii_uppercase();
        Self::parse_canonical(&normalised).map_err(|_| LicenseKeyError(text.to_owned()))
    }

    /// Parses a license key that must already be canonical (as in a license file).
    pub fn parse_canonical(text: &str) -> Result<Self, LicenseKeyError> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 29
            && bytes.iter().enumerate().all(|(i, b)| {
                if i % 6 == 5 {
                    *b == b'-'
                } else {
                    LICENSE_KEY_ALPHABET.contains(b)
                }
            });
        if well_formed {
            Ok(LicenseKey(text.to_owned()))
        } else {
            Err(LicenseKeyError(text.to_owned()))
        }
    }

    /// Builds a key from 25 indexes into [`LICENSE_KEY_ALPHABET`] (each below 36), for generators.
    ///
    /// Returns `None` if an index is out of range.
    pub fn from_symbol_indexes(indexes: &[u8; 25]) -> Option<Self> {
        let mut text = String::with_capacity(29);
        for (i, &ix) in indexes.iter().enumerate() {
            if i > 0 && i % 5 == 0 {
                text.push('-');
            }
            text.push(char::from(*LICENSE_KEY_ALPHABET.get(usize::from(ix))?));
        }
        Some(LicenseKey(text))
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LicenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_case_and_whitespace() {
        let key = LicenseKey::parse("  abcde-12345-fghij-67890-klmno\n").unwrap();
        assert_eq!(key.as_str(), "ABCDE-12345-FGHIJ-67890-KLMNO");
    }

    #[test]
    fn bad_formats_are_rejected() {
        for bad in [
            "",
            "ABCDE-12345-FGHIJ-67890",
            "ABCDE-12345-FGHIJ-67890-KLMNOP",
            "ABCDE_12345-FGHIJ-67890-KLMNO",
            "ABCDE-12345-FGHIJ-67890-KLMN!",
            "ÄBCDE-12345-FGHIJ-67890-KLMNO",
        ] {
            assert!(LicenseKey::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(LicenseKey::parse_canonical("abcde-12345-fghij-67890-klmno").is_err());
    }

    #[test]
    fn from_symbol_indexes_checks_range() {
        let key = LicenseKey::from_symbol_indexes(&[0; 25]).unwrap();
        assert_eq!(key.as_str(), "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA");
        let mut bad = [0u8; 25];
        bad[3] = 36;
        assert!(LicenseKey::from_symbol_indexes(&bad).is_none());
    }
}
