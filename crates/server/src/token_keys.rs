//! Signing keys registered by reference to a PKCS#11 token (certificate type `PKCS11`): the
//! server stores the key's RFC 7512 URI and a *reference* to its PIN, never the PIN. What a
//! registration may name is set by the operator, not by the API caller:
//!
//! - the module (the shared library the server would load) must be one of `--pkcs11-module`:
//!   an API token must never be able to make the server load a library of its choosing;
//! - the PIN reference is `env:NAME`, a variable whose name starts with `LICET_PKCS11_PIN`, or
//!   `file:NAME`, a plain file name inside `--pkcs11-pin-dir` (mode 0600, one line).
//!
//! A registration is accepted only after the server opened the key with the PIN and the token
//! made a signature that verifies with the key's public half.

use licet_issuer::pkcs11::{Pin, Pkcs11Uri};
use std::path::{Path, PathBuf};

/// The prefix of the environment variables a PIN reference may name.
pub const PIN_ENV_PREFIX: &str = "LICET_PKCS11_PIN";

/// The longest PIN file read.
const MAX_PIN_FILE_BYTES: u64 = 4096;

/// What the operator allows PKCS#11 registrations to name (`licet serve --pkcs11-module`,
/// `--pkcs11-pin-dir`). The default allows nothing: registrations of type `PKCS11` are refused.
#[derive(Debug, Clone, Default)]
pub struct TokenPolicy {
    /// Modules a registration may load.
    pub modules: Vec<PathBuf>,
    /// The directory `file:` PIN references are read from.
    pub pin_dir: Option<PathBuf>,
}

/// Why a registration was refused; each message names the field and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenReferenceError {
    /// No module is allowed.
    #[error("this server accepts no PKCS#11 registrations: its operator allows token modules with `licet serve --pkcs11-module PATH`")]
    NoModules,
    /// The URI does not parse.
    #[error("`pkcs11Uri`: {0}")]
    Uri(String),
    /// The module is not one the operator allows.
    #[error("`pkcs11Uri` names the module {0}, which this server does not allow (see `licet serve --pkcs11-module`)")]
    ModuleNotAllowed(String),
    /// The reference is not `env:` or `file:`.
    #[error("`pinReference` must be env:{PIN_ENV_PREFIX}... or file:NAME (a file in the server's --pkcs11-pin-dir), not {0:?}; the PIN itself is never sent")]
    BadReference(String),
    /// The variable is not one a reference may name.
    #[error("`pinReference` env:{0}: only variables whose name starts with {PIN_ENV_PREFIX} (letters, digits and _) may be named")]
    VariableNotAllowed(String),
    /// The variable is not set.
    #[error("`pinReference` env:{0}: the variable is not set in the server's environment")]
    VariableUnset(String),
    /// `file:` without a PIN directory.
    #[error("`pinReference` file:{0}: this server has no --pkcs11-pin-dir, so only env: references can be used")]
    NoPinDir(String),
    /// The file name is not a plain name.
    #[error(
        "`pinReference` file:{0}: give a plain file name inside the PIN directory (no / and no ..)"
    )]
    BadFileName(String),
    /// The PIN file cannot be used. The API answers only that ([`Self::public_message`]); the
    /// problem goes to the server's log.
    #[error("`pinReference` file:{name}: {problem}")]
    PinFile {
        /// The name given.
        name: String,
        /// What is wrong.
        problem: String,
    },
}

impl TokenReferenceError {
    /// What an API caller is told: everything but the details of a PIN file (whether it exists,
    /// its mode, the directory's path), which only the server's log gets.
    pub fn public_message(&self) -> String {
        match self {
            Self::PinFile { name, .. } => format!(
                "`pinReference` file:{name} cannot be used as a PIN file (the server's log says why)"
            ),
            other => other.to_string(),
        }
    }
}

/// A PIN reference, checked against the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinReference {
    /// `env:NAME`.
    Env(String),
    /// `file:NAME`, inside the PIN directory.
    File(String),
}

impl PinReference {
    /// Parses `env:NAME` or `file:NAME`.
    pub fn parse(text: &str) -> Result<Self, TokenReferenceError> {
        if let Some(name) = text.strip_prefix("env:") {
            let allowed = name.starts_with(PIN_ENV_PREFIX)
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !allowed {
                return Err(TokenReferenceError::VariableNotAllowed(name.to_owned()));
            }
            return Ok(Self::Env(name.to_owned()));
        }
        if let Some(name) = text.strip_prefix("file:") {
            let plain = !name.is_empty()
                && !name.contains('/')
                && !name.contains('\\')
                && name != "."
                && name != ".."
                && !name.contains('\0');
            if !plain {
                return Err(TokenReferenceError::BadFileName(name.to_owned()));
            }
            return Ok(Self::File(name.to_owned()));
        }
        Err(TokenReferenceError::BadReference(text.to_owned()))
    }

    /// The reference as stored (`env:NAME` or `file:NAME`).
    pub fn as_text(&self) -> String {
        match self {
            Self::Env(name) => format!("env:{name}"),
            Self::File(name) => format!("file:{name}"),
        }
    }

    /// Reads the PIN it names. The PIN lives only in zeroizing memory.
    pub fn resolve(&self, policy: &TokenPolicy) -> Result<Pin, TokenReferenceError> {
        match self {
            Self::Env(name) => match std::env::var(name) {
                Ok(pin) => Ok(Pin::new(pin)),
                Err(_) => Err(TokenReferenceError::VariableUnset(name.clone())),
            },
            Self::File(name) => {
                let dir = policy
                    .pin_dir
                    .as_deref()
                    .ok_or_else(|| TokenReferenceError::NoPinDir(name.clone()))?;
                read_pin_file(&dir.join(name)).map_err(|problem| TokenReferenceError::PinFile {
                    name: name.clone(),
                    problem,
                })
            }
        }
    }
}

fn read_pin_file(path: &Path) -> Result<Pin, String> {
    crate::private::require_private(path).map_err(|e| e.to_string())?;
    // A regular file only, bounded: a FIFO or a device in the directory is refused, never
    // waited on.
    let bytes = zeroize::Zeroizing::new(
        licet_verifier::state::read_regular_capped(path, MAX_PIN_FILE_BYTES)
            .map_err(|e| format!("cannot read it: {e}"))?,
    );
    Pin::from_file_contents(&bytes).map_err(|_| "it is not UTF-8 text".to_owned())
}

/// Parses a registration's URI and checks that its module is one the policy allows.
pub fn check_uri(text: &str, policy: &TokenPolicy) -> Result<Pkcs11Uri, TokenReferenceError> {
    if policy.modules.is_empty() {
        return Err(TokenReferenceError::NoModules);
    }
    let uri = Pkcs11Uri::parse(text).map_err(|e| TokenReferenceError::Uri(e.to_string()))?;
    let module = &uri.module_path;
    if !policy.modules.iter().any(|allowed| allowed == module) {
        return Err(TokenReferenceError::ModuleNotAllowed(
            module.display().to_string(),
        ));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> TokenPolicy {
        TokenPolicy {
            modules: vec![PathBuf::from("/usr/lib/softhsm/libsofthsm2.so")],
            pin_dir: None,
        }
    }

    #[test]
    fn only_allowed_modules_are_named() {
        let good = "pkcs11:token=vendor;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so";
        assert!(check_uri(good, &policy()).is_ok());
        assert_eq!(
            check_uri(good, &TokenPolicy::default()).unwrap_err(),
            TokenReferenceError::NoModules
        );
        let evil = "pkcs11:token=vendor;object=k?module-path=/tmp/evil.so";
        assert_eq!(
            check_uri(evil, &policy()).unwrap_err(),
            TokenReferenceError::ModuleNotAllowed("/tmp/evil.so".into())
        );
        let sneaky =
            "pkcs11:token=vendor;object=k?module-path=/usr/lib/softhsm/../../../tmp/evil.so";
        assert!(matches!(
            check_uri(sneaky, &policy()).unwrap_err(),
            TokenReferenceError::ModuleNotAllowed(_)
        ));
        assert!(matches!(
            check_uri("pkcs11:token=vendor;object=k", &policy()).unwrap_err(),
            TokenReferenceError::Uri(_)
        ));
    }

    #[test]
    fn references_name_only_pin_variables_and_plain_files() {
        assert_eq!(
            PinReference::parse("env:LICET_PKCS11_PIN_VENDOR").unwrap(),
            PinReference::Env("LICET_PKCS11_PIN_VENDOR".into())
        );
        for bad in [
            "env:HOME",
            "env:AWS_SECRET_ACCESS_KEY",
            "env:LICET_PKCS11_PIN-x",
        ] {
            assert!(
                matches!(
                    PinReference::parse(bad),
                    Err(TokenReferenceError::VariableNotAllowed(_))
                ),
                "{bad}"
            );
        }
        for bad in ["file:../etc/shadow", "file:/etc/shadow", "file:", "file:.."] {
            assert!(
                matches!(
                    PinReference::parse(bad),
                    Err(TokenReferenceError::BadFileName(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            PinReference::parse("4321"),
            Err(TokenReferenceError::BadReference(_))
        ));
        assert_eq!(
            PinReference::parse("file:vendor.pin")
                .unwrap()
                .resolve(&policy())
                .unwrap_err(),
            TokenReferenceError::NoPinDir("vendor.pin".into())
        );
    }

    #[test]
    fn a_pin_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vendor.pin");
        std::fs::write(&path, "1234\n").unwrap();
        let policy = TokenPolicy {
            pin_dir: Some(dir.path().to_path_buf()),
            ..policy()
        };
        let reference = PinReference::parse("file:vendor.pin").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = reference.resolve(&policy).unwrap_err();
        assert!(matches!(refused, TokenReferenceError::PinFile { .. }));
        // The API caller is told which reference, not the file's mode or the directory.
        let public = refused.public_message();
        assert!(public.contains("file:vendor.pin"), "{public}");
        let directory = dir.path().display().to_string();
        assert!(
            !public.contains(&directory) && !public.contains("644"),
            "{public}"
        );
        assert!(
            refused.to_string().contains(&directory),
            "the log's form has the detail: {refused}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(reference.resolve(&policy).is_ok());
    }
}
