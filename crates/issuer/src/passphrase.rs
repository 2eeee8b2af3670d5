//! Passphrases: held in zeroizing memory and never shown by `Debug`.

use std::fmt;
use zeroize::Zeroizing;

/// A passphrase that protects a private key. Its memory is wiped on drop and `Debug` prints
/// `Passphrase(<redacted>)`.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase.
    pub fn new(text: impl Into<String>) -> Self {
        Passphrase(Zeroizing::new(text.into()))
    }

    /// The first line of a passphrase file's contents, without its line ending (`\n` or `\r\n`).
    pub fn from_file_contents(contents: &[u8]) -> Result<Self, std::str::Utf8Error> {
        let text = std::str::from_utf8(contents)?;
        let first = text.split('\n').next().unwrap_or("");
        Ok(Passphrase::new(first.strip_suffix('\r').unwrap_or(first)))
    }

    /// The passphrase bytes, for a key-derivation function.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the passphrase is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_without_line_ending() {
        assert_eq!(
            Passphrase::from_file_contents(b"secret\r\nsecond\n")
                .unwrap()
                .expose(),
            "secret"
        );
        assert_eq!(
            Passphrase::from_file_contents(b"secret\n")
                .unwrap()
                .expose(),
            "secret"
        );
        assert_eq!(
            Passphrase::from_file_contents(b"  spaced  ")
                .unwrap()
                .expose(),
            "  spaced  "
        );
        assert!(Passphrase::from_file_contents(b"").unwrap().is_empty());
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", Passphrase::new("hunter2")),
            "Passphrase(<redacted>)"
        );
    }
}
