//! License keys: `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, five groups of five upper-case letters or digits.
//!
//! Two generations of keys parse alike. Keys made before check characters are 25 symbols of
//! [`LICENSE_KEY_ALPHABET`]. Keys made now are 24 random symbols of [`LICENSE_KEY_ALPHABET_V2`]
//! (no look-alikes) and a 25th, the check symbol (a weighted sum modulo 31, see
//! [`LicenseKey::check_character`] and docs/FORMAT.md, "License keys"). A key is told apart by its
//! alphabet: one with a look-alike character (`0 O 1 I L`) is an older key and is never checked.

use std::fmt;

/// The alphabet of the keys made before check characters: 36 symbols, so each character carries
/// log2(36) = 5.17 bits and a random key 25 * 5.17 = 129.2 bits. Every key still parses with it.
pub const LICENSE_KEY_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The alphabet of new keys: [`LICENSE_KEY_ALPHABET`] without the look-alikes `0 O 1 I L`, 31
/// symbols in this order (the index of a symbol is its value in the check character). A new key
/// has 24 random symbols, 24 * log2(31) = 118.9 bits, and one check symbol.
pub const LICENSE_KEY_ALPHABET_V2: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// The characters of [`LICENSE_KEY_ALPHABET`] left out of [`LICENSE_KEY_ALPHABET_V2`] because
/// they are easily read as one another; a key with any of them is an older key.
pub const LOOK_ALIKES: &[u8; 5] = b"0O1IL";

/// Symbols in a key, without the dashes.
const SYMBOLS: usize = 25;

/// A well-formed license key in canonical (upper-case, dashed) form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LicenseKey(String);

/// The text is not a license key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a license key: expected five groups of five letters or digits, as XXXXX-XXXXX-XXXXX-XXXXX-XXXXX", crate::jws::quote(.0))]
pub struct LicenseKeyError(pub String);

/// What the check character of a well-formed key says ([`LicenseKey::check_character`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCheck {
    /// Every symbol is in [`LICENSE_KEY_ALPHABET_V2`] and the check symbol matches.
    Valid,
    /// Every symbol is in [`LICENSE_KEY_ALPHABET_V2`] but the check symbol does not match: the key
    /// was mistyped, or it is one of the older keys that happen to have no look-alike character.
    Mistyped,
    /// The key has a look-alike character (`0 O 1 I L`), so it was made before check characters
    /// and cannot be checked locally.
    OlderKey,
}

impl KeyCheck {
    /// A stable lower-case name for JSON output: `valid`, `mistyped` or `older-key`.
    pub fn name(self) -> &'static str {
        match self {
            KeyCheck::Valid => "valid",
            KeyCheck::Mistyped => "mistyped",
            KeyCheck::OlderKey => "older-key",
        }
    }

    /// A sentence for people: what the verdict means and what to do.
    pub fn describe(self) -> &'static str {
        match self {
            KeyCheck::Valid => "a valid key: the check character matches",
            KeyCheck::OlderKey => "an older key (made before check characters): not checked locally",
            KeyCheck::Mistyped => "the check character does not match: the key is mistyped, or it is an older key (made before check characters) with no 0, O, 1, I or L in it",
        }
    }
}

impl fmt::Display for KeyCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The value of a symbol in [`LICENSE_KEY_ALPHABET_V2`], or `None` outside it.
fn v2_value(symbol: u8) -> Option<u32> {
    LICENSE_KEY_ALPHABET_V2
        .iter()
        .position(|s| *s == symbol)
        .and_then(|i| u32::try_from(i).ok())
}

/// The modulus of the check: the size of [`LICENSE_KEY_ALPHABET_V2`], a prime.
const MODULUS: u32 = LICENSE_KEY_ALPHABET_V2.len() as u32;

/// The weighted sum modulo 31 of `values` (symbol values, left to right) when the last of them
/// weighs `last_weight` and each one to its left one more. The weights of a key's 25 symbols are
/// 25, 24, ..., 1: distinct and non-zero modulo the prime 31, so a change of one symbol, or the
/// swap of any two different ones, changes the sum (ISBN-10's construction, over 31 symbols).
fn weighted_sum(values: &[u32], last_weight: u32) -> u32 {
    values
        .iter()
        .rev()
        .zip(last_weight..)
        .fold(0, |sum, (v, w)| (sum + v * w) % MODULUS)
}

/// The check symbol's value for 24 payload values (each below 31): the one that makes the
/// key's weighted sum a multiple of 31. It weighs 1, so it is the sum's negation.
fn check_value(payload: &[u32]) -> u32 {
    (MODULUS - weighted_sum(payload, 2)) % MODULUS
}

/// Writes 25 symbols as five dashed groups.
fn dashed(symbols: impl Iterator<Item = u8>) -> String {
    let mut text = String::with_capacity(29);
    for (i, s) in symbols.enumerate() {
        if i > 0 && i % 5 == 0 {
            text.push('-');
        }
        text.push(char::from(s));
    }
    text
}

impl LicenseKey {
    /// Parses a license key typed by a person. Surrounding whitespace is trimmed, letters are
    /// upper-cased, and ASCII whitespace and dashes anywhere are removed; the 25 symbols left
    /// must be from [`LICENSE_KEY_ALPHABET`] and are regrouped in fives with dashes. Look-alike
    /// characters are kept as typed (`O` is never read as `0`): which one was meant is unknowable,
    /// and an older key keeps its exact text, whose SHA-256 the server looks up.
    pub fn parse(text: &str) -> Result<Self, LicenseKeyError> {
        let symbols: Vec<u8> = text
            .trim()
            .bytes()
            .filter(|b| *b != b'-' && !b.is_ascii_whitespace())
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if symbols.len() == SYMBOLS && symbols.iter().all(|b| LICENSE_KEY_ALPHABET.contains(b)) {
            Ok(LicenseKey(dashed(symbols.into_iter())))
        } else {
            Err(LicenseKeyError(text.to_owned()))
        }
    }

    /// Parses a license key that must already be canonical (as in a license file): upper case,
    /// dashes after every fifth symbol, nothing else.
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

    /// Builds an older-style key from 25 indexes into [`LICENSE_KEY_ALPHABET`] (each below 36),
    /// with no check symbol. New keys are made with [`LicenseKey::from_payload_indexes`].
    ///
    /// Returns `None` if an index is out of range.
    pub fn from_symbol_indexes(indexes: &[u8; 25]) -> Option<Self> {
        let symbols = indexes
            .iter()
            .map(|&ix| LICENSE_KEY_ALPHABET.get(usize::from(ix)).copied())
            .collect::<Option<Vec<u8>>>()?;
        Some(LicenseKey(dashed(symbols.into_iter())))
    }

    /// Builds a new key from 24 indexes into [`LICENSE_KEY_ALPHABET_V2`] (each below 31), for
    /// generators: the 25th symbol is the check symbol, so the key's
    /// [`check_character`](Self::check_character) is [`KeyCheck::Valid`].
    ///
    /// Returns `None` if an index is out of range.
    pub fn from_payload_indexes(indexes: &[u8; 24]) -> Option<Self> {
        let values = indexes
            .iter()
            .map(|&ix| (usize::from(ix) < LICENSE_KEY_ALPHABET_V2.len()).then_some(u32::from(ix)))
            .collect::<Option<Vec<u32>>>()?;
        let check = check_value(&values);
        let symbols = values
            .iter()
            .chain(std::iter::once(&check))
            .map(|&v| LICENSE_KEY_ALPHABET_V2.get(v as usize).copied())
            .collect::<Option<Vec<u8>>>()?;
        Some(LicenseKey(dashed(symbols.into_iter())))
    }

    /// Checks the key's check character (a weighted sum modulo 31 over
    /// [`LICENSE_KEY_ALPHABET_V2`]).
    ///
    /// A key with a look-alike character ([`LOOK_ALIKES`]) is [`KeyCheck::OlderKey`]: keys made
    /// before check characters have none, and no new key has a look-alike. Any other key is in
    /// the new alphabet and is [`KeyCheck::Valid`] or [`KeyCheck::Mistyped`]: each symbol's value
    /// (its index in the alphabet) is multiplied by its weight, 25 for the first symbol down to 1
    /// for the last (the check symbol), and the key is valid when the sum is a multiple of 31.
    /// As 31 is prime and the weights are distinct below 31, this catches every single-symbol
    /// substitution and every transposition of two different symbols, adjacent or not.
    pub fn check_character(&self) -> KeyCheck {
        let values: Option<Vec<u32>> = self
            .0
            .bytes()
            .filter(|b| *b != b'-')
            .map(v2_value)
            .collect();
        match values {
            // A canonical key is in LICENSE_KEY_ALPHABET, so a symbol outside the new alphabet
            // is a look-alike.
            None => KeyCheck::OlderKey,
            Some(values) if weighted_sum(&values, 1) == 0 => KeyCheck::Valid,
            Some(_) => KeyCheck::Mistyped,
        }
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

    /// Test vectors, published in docs/FORMAT.md ("License keys"); computed once and frozen.
    const VECTORS: [(&str, &str); 5] = [
        ("AAAAAAAAAAAAAAAAAAAAAAAA", "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA"),
        ("999999999999999999999999", "99999-99999-99999-99999-9999R"),
        ("ABCDEFGHJKMNPQRSTUVWXYZ2", "ABCDE-FGHJK-MNPQR-STUVW-XYZ27"),
        ("PRQDUCT2KEYS3WXTH4CHECK5", "PRQDU-CT2KE-YS3WX-TH4CH-ECK5P"),
        ("RWNJEF6YAMTR7WCMU8WZB2PF", "RWNJE-F6YAM-TR7WC-MU8WZ-B2PFX"),
    ];

    fn indexes(payload: &str) -> [u8; 24] {
        let mut out = [0u8; 24];
        for (o, b) in out.iter_mut().zip(payload.bytes()) {
            *o = v2_value(b).unwrap() as u8;
        }
        out
    }

    /// The symbols of a key without dashes.
    fn symbols(key: &LicenseKey) -> Vec<u8> {
        key.as_str().bytes().filter(|b| *b != b'-').collect()
    }

    fn key_of(symbols: &[u8]) -> LicenseKey {
        LicenseKey::parse(std::str::from_utf8(symbols).unwrap()).unwrap()
    }

    /// Deterministic payloads (xorshift64), so the tests need no random number generator.
    fn payloads(count: usize) -> Vec<[u8; 24]> {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..count)
            .map(|_| {
                let mut p = [0u8; 24];
                for ix in &mut p {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *ix = (state % 31) as u8;
                }
                p
            })
            .collect()
    }

    #[test]
    fn the_alphabet_is_the_old_one_without_look_alikes() {
        let expected: Vec<u8> = LICENSE_KEY_ALPHABET
            .iter()
            .copied()
            .filter(|b| !LOOK_ALIKES.contains(b))
            .collect();
        assert_eq!(LICENSE_KEY_ALPHABET_V2.as_slice(), expected.as_slice());
        // 24 random symbols: 118.9 bits.
        let bits = 24.0 * 31f64.log2();
        assert!((bits - 118.9).abs() < 0.05, "{bits}");
    }

    #[test]
    fn test_vectors() {
        for (payload, key) in VECTORS {
            let made = LicenseKey::from_payload_indexes(&indexes(payload)).unwrap();
            assert_eq!(made.as_str(), key);
            assert_eq!(made.check_character(), KeyCheck::Valid, "{key}");
        }
    }

    #[test]
    fn made_keys_are_valid_and_in_the_new_alphabet() {
        for p in payloads(2000) {
            let key = LicenseKey::from_payload_indexes(&p).unwrap();
            assert!(symbols(&key)
                .iter()
                .all(|b| LICENSE_KEY_ALPHABET_V2.contains(b)));
            assert_eq!(LicenseKey::parse_canonical(key.as_str()).unwrap(), key);
            assert_eq!(key.check_character(), KeyCheck::Valid, "{key}");
        }
        let mut bad = [0u8; 24];
        bad[5] = 31;
        assert!(LicenseKey::from_payload_indexes(&bad).is_none());
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for p in payloads(200) {
            let key = LicenseKey::from_payload_indexes(&p).unwrap();
            let original = symbols(&key);
            for pos in 0..25 {
                for &other in LICENSE_KEY_ALPHABET {
                    if other == original[pos] {
                        continue;
                    }
                    let mut typo = original.clone();
                    typo[pos] = other;
                    let expected = if LOOK_ALIKES.contains(&other) {
                        // A look-alike makes it an older key, never checked (the project's rule).
                        KeyCheck::OlderKey
                    } else {
                        KeyCheck::Mistyped
                    };
                    assert_eq!(
                        key_of(&typo).check_character(),
                        expected,
                        "{key} -> {typo:?}"
                    );
                }
            }
        }
    }

    /// Every transposition of two different symbols, at every pair of positions (adjacent or
    /// not), of every ordered pair of values: all are caught. (Luhn mod N, the other candidate,
    /// misses adjacent `A9` <-> `9A` and, as 31 is odd, 30 of the 930 substitutions at each
    /// doubled position, such as F <-> X; this scheme misses none.)
    #[test]
    fn every_transposition_is_caught() {
        let mut tried = 0u32;
        for i in 0..25 {
            for j in i + 1..25 {
                for a in 0..31u8 {
                    for b in 0..31u8 {
                        if a == b {
                            continue;
                        }
                        // A valid key with a at i and b at j; when j is the check symbol, another
                        // payload symbol is varied until the check symbol is b.
                        let key = (0..31u8)
                            .find_map(|filler| {
                                let mut p = [7u8; 24];
                                let free = (0..24).find(|k| *k != i && *k != j).unwrap();
                                p[free] = filler;
                                p[i] = a;
                                if j < 24 {
                                    p[j] = b;
                                }
                                let key = LicenseKey::from_payload_indexes(&p).unwrap();
                                (symbols(&key)[j] == LICENSE_KEY_ALPHABET_V2[usize::from(b)])
                                    .then_some(key)
                            })
                            .unwrap();
                        let mut swapped = symbols(&key);
                        swapped.swap(i, j);
                        tried += 1;
                        assert_eq!(
                            key_of(&swapped).check_character(),
                            KeyCheck::Mistyped,
                            "{key}: positions {i} and {j}"
                        );
                    }
                }
            }
        }
        assert_eq!(tried, 300 * 31 * 30);
    }

    #[test]
    fn parse_removes_dashes_and_spaces_and_upper_cases() {
        let key = "PRQDU-CT2KE-YS3WX-TH4CH-ECK5P";
        for typed in [
            "prqdu-ct2ke-ys3wx-th4ch-eck5p",
            "PRQDUCT2KEYS3WXTH4CHECK5P",
            "prqduct2keys3wxth4check5p",
            "PRQDU CT2KE YS3WX TH4CH ECK5P",
            " \tPRQ DUCT2-KEYS3WX TH4-CHECK5P\n",
            "PRQD-UCT2K-EYS3W-XTH4C-HECK-5P",
        ] {
            let parsed = LicenseKey::parse(typed).unwrap();
            assert_eq!(parsed.as_str(), key, "{typed:?}");
            assert_eq!(parsed.check_character(), KeyCheck::Valid);
        }
        // The strict parser of license files takes none of these.
        assert!(LicenseKey::parse_canonical("PRQDUCT2KEYS3WXTH4CHECK5P").is_err());
        assert!(LicenseKey::parse_canonical("prqdu-ct2ke-ys3wx-th4ch-eck5p").is_err());
        // Still 25 symbols, no more, no fewer.
        assert!(LicenseKey::parse("PRQDUCT2KEYS3WXTH4CHECK5").is_err());
        assert!(LicenseKey::parse("PRQDUCT2KEYS3WXTH4CHECK5PA").is_err());
    }

    #[test]
    fn look_alikes_are_never_rewritten() {
        // Q mistyped as O: the O stays (and makes it an older key), it is not read as 0 or Q.
        let key = LicenseKey::parse("produ-ct2ke-ys3wx-th4ch-eck5p").unwrap();
        assert_eq!(key.as_str(), "PRODU-CT2KE-YS3WX-TH4CH-ECK5P");
        assert_eq!(key.check_character(), KeyCheck::OlderKey);
        let key = LicenseKey::parse("il01o-aaaaa-aaaaa-aaaaa-aaaaa").unwrap();
        assert_eq!(key.as_str(), "IL01O-AAAAA-AAAAA-AAAAA-AAAAA");
    }

    #[test]
    fn older_keys_parse_as_before_and_are_not_checked() {
        for old in [
            "ABCDE-12345-FGHIJ-67890-KLMNO",
            "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY",
            "AAAAA-AAAAA-AAAAA-AAAAA-00001",
            "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZL",
        ] {
            // Typed in canonical form, an older key keeps its exact text (the server looks it up
            // by the SHA-256 of that text).
            let key = LicenseKey::parse(old).unwrap();
            assert_eq!(key.as_str(), old);
            assert_eq!(LicenseKey::parse_canonical(old).unwrap(), key);
            assert_eq!(key.check_character(), KeyCheck::OlderKey, "{old}");
        }
        let made = LicenseKey::from_symbol_indexes(&[26; 25]).unwrap();
        assert_eq!(made.as_str(), "00000-00000-00000-00000-00000");
        assert_eq!(made.check_character(), KeyCheck::OlderKey);
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
