//! Machine ids: the SHA-256 of the operating system's machine identifier, as 64 lowercase hex.
//!
//! The raw identifier is hashed so that a license file never carries it, and so that every id has
//! one fixed format whatever the platform. Hash input: the identifier's UTF-8 bytes with surrounding
//! whitespace removed (the Linux file ends in a newline).

use aws_lc_rs::digest::{digest, SHA256};
use std::fmt;
use std::path::PathBuf;

/// A machine id: 64 lowercase hexadecimal characters (a SHA-256 digest).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MachineId(String);

/// Why a machine id could not be parsed or determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MachineIdError {
    /// The text is not 64 hexadecimal characters.
    #[error("{} is not a machine id: expected 64 hexadecimal characters (a SHA-256 digest)", crate::jws::quote(.0))]
    Format(String),
    /// The text is a machine id, but not in the canonical form a signed file must carry (64
    /// lower-case hexadecimal characters, nothing around them).
    #[error("{} is not a machine id in canonical form: expected 64 lower-case hexadecimal characters with nothing around them", crate::jws::quote(.0))]
    NotCanonical(String),
    /// No source of a machine identifier could be read on this machine.
    #[error("this machine's identifier could not be read (tried {tried})")]
    Unavailable {
        /// The sources that were tried, with what went wrong for each.
        tried: String,
    },
}

impl MachineId {
    /// Parses a machine id given by a person: surrounding whitespace is ignored and upper-case hex
    /// is accepted and stored in lower case.
    pub fn parse(text: &str) -> Result<Self, MachineIdError> {
        let trimmed = text.trim();
        if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(MachineId(trimmed.to_ascii_lowercase()))
        } else {
            Err(MachineIdError::Format(text.to_owned()))
        }
    }

    /// Parses a machine id in its canonical form only (as it must appear in a license file).
    pub fn parse_canonical(text: &str) -> Result<Self, MachineIdError> {
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(MachineId(text.to_owned()))
        } else if Self::parse(text).is_ok() {
            Err(MachineIdError::NotCanonical(text.to_owned()))
        } else {
            Err(MachineIdError::Format(text.to_owned()))
        }
    }

    /// The machine id of a raw operating-system identifier (such as the contents of
    /// `/etc/machine-id`): SHA-256 of its trimmed UTF-8 bytes.
    pub fn from_raw_identifier(raw: &str) -> Self {
        MachineId(hex::encode(digest(&SHA256, raw.trim().as_bytes())))
    }

    /// This machine's id, from the first readable source of [`machine_identifier_sources`].
    pub fn this_machine() -> Result<Self, MachineIdError> {
        read_raw_identifier().map(|raw| Self::from_raw_identifier(&raw))
    }

    /// The 64 lowercase hex characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MachineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The places this platform's machine identifier is read from, in order of preference.
pub fn machine_identifier_sources() -> Vec<String> {
    platform::sources()
}

fn read_raw_identifier() -> Result<String, MachineIdError> {
    let mut tried = Vec::new();
    for source in platform::sources() {
        match platform::read(&source) {
            Ok(value) if !value.trim().is_empty() => return Ok(value),
            Ok(_) => tried.push(format!("{source}: empty")),
            Err(e) => tried.push(format!("{source}: {e}")),
        }
    }
    Err(MachineIdError::Unavailable {
        tried: tried.join("; "),
    })
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
mod platform {
    use super::PathBuf;

    pub(super) fn sources() -> Vec<String> {
        vec![
            "/etc/machine-id".into(),
            "/var/lib/dbus/machine-id".into(),
            "/sys/class/dmi/id/product_uuid".into(),
        ]
    }

    pub(super) fn read(source: &str) -> std::io::Result<String> {
        std::fs::read_to_string(PathBuf::from(source))
    }
}

#[cfg(target_os = "macos")]
mod platform {
    pub(super) fn sources() -> Vec<String> {
        vec!["IOPlatformUUID (ioreg -rd1 -c IOPlatformExpertDevice)".into()]
    }

    pub(super) fn read(_source: &str) -> std::io::Result<String> {
        let out = std::process::Command::new("/usr/sbin/ioreg")
            .args(["-rd1", "-c", "IOPlatformExpertDevice"])
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find(|l| l.contains("\"IOPlatformUUID\""))
            .and_then(|l| l.rsplit('"').nth(1))
            .map(str::to_owned)
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "IOPlatformUUID not in ioreg output",
                )
            })
    }
}

#[cfg(target_os = "windows")]
mod platform {
    pub(super) fn sources() -> Vec<String> {
        vec![r"HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid".into()]
    }

    pub(super) fn read(_source: &str) -> std::io::Result<String> {
        // The absolute path: a `reg` earlier on PATH must not choose the machine id.
        let root = std::env::var_os("SystemRoot").unwrap_or_else(|| "C:\\Windows".into());
        let reg = std::path::Path::new(&root).join("System32").join("reg.exe");
        let out = std::process::Command::new(reg)
            .args([
                "query",
                r"HKLM\SOFTWARE\Microsoft\Cryptography",
                "/v",
                "MachineGuid",
            ])
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find(|l| l.contains("MachineGuid"))
            .and_then(|l| l.split_whitespace().last())
            .map(str::to_owned)
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "MachineGuid not in reg output",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_identifier_is_hashed_after_trimming() {
        // sha256("hello") from coreutils' sha256sum.
        let expected = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert_eq!(MachineId::from_raw_identifier("hello\n").as_str(), expected);
        assert_eq!(
            MachineId::from_raw_identifier("  hello ").as_str(),
            expected
        );
    }

    #[test]
    fn parse_normalises_case_but_canonical_does_not() {
        let upper = "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824";
        assert_eq!(
            MachineId::parse(upper).unwrap().as_str(),
            upper.to_ascii_lowercase()
        );
        assert!(matches!(
            MachineId::parse_canonical(upper),
            Err(MachineIdError::NotCanonical(_))
        ));
        let padded = format!(" {} ", upper.to_ascii_lowercase());
        assert!(matches!(
            MachineId::parse_canonical(&padded),
            Err(MachineIdError::NotCanonical(_))
        ));
        assert!(matches!(
            MachineId::parse_canonical("abc"),
            Err(MachineIdError::Format(_))
        ));
        assert!(MachineId::parse("abc").is_err());
        assert!(MachineId::parse(&"g".repeat(64)).is_err());
    }
}
