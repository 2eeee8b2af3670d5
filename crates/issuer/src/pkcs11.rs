//! Signing keys kept in a PKCS#11 token (a hardware security module, a smart card, SoftHSM2):
//! named by an RFC 7512 URI, opened with a PIN, asked to sign; the private key never leaves the
//! token. Every signature the token makes is verified with the key's public half before it is
//! returned, so a faulty or substituted token cannot make licet write a file that does not verify.
//!
//! ```no_run
//! use licet_issuer::pkcs11::{Pin, Pkcs11Uri};
//! use licet_issuer::SigningKey;
//!
//! let uri = Pkcs11Uri::parse(
//!     "pkcs11:token=vendor;object=license-signing?module-path=/usr/lib/softhsm/libsofthsm2.so",
//! )?;
//! let key = SigningKey::from_pkcs11(&uri, &Pin::new("1234"))?;
//! println!("kid {}", key.kid());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::signing_key::KeySpec;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use licet_verifier::{Algorithm, TrustedKey};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use zeroize::Zeroizing;

/// The URI scheme of a PKCS#11 key (RFC 7512).
pub const URI_SCHEME: &str = "pkcs11:";

/// The DER encoding of the printable string `edwards25519`: the `CKA_EC_PARAMS` of an Ed25519
/// key as PKCS#11 3.0 tokens (SoftHSM2 among them) write it.
const EC_PARAMS_ED25519_NAME: [u8; 14] = [
    0x13, 0x0c, b'e', b'd', b'w', b'a', b'r', b'd', b's', b'2', b'5', b'5', b'1', b'9',
];
/// rsaEncryption (RFC 8017), the algorithm of an RSA `SubjectPublicKeyInfo`.
const OID_RSA_ENCRYPTION: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// The DER encoding of the OID 1.3.101.112 (id-Ed25519, RFC 8410), the other accepted form.
const EC_PARAMS_ED25519_OID: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];

/// Why a key in a token could not be named, opened, made or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The URI does not follow RFC 7512, or names what licet refuses.
    #[error("the PKCS#11 URI is invalid: {0}")]
    Uri(String),
    /// No PIN was given.
    #[error("the token's PIN is needed: give it with --pin-file FILE or LICET_PKCS11_PIN (never on the command line or in the URI)")]
    PinRequired,
    /// The module (shared library) cannot be loaded or initialised.
    #[error("cannot load the PKCS#11 module {}: {reason}", path.display())]
    Module {
        /// The `module-path` of the URI.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No token matches the URI.
    #[error("the PKCS#11 module {} has no token {wanted}; tokens present: {available}", module.display())]
    NoToken {
        /// The module.
        module: PathBuf,
        /// The token the URI names.
        wanted: String,
        /// The labels of the tokens present, or "none".
        available: String,
    },
    /// The URI names no token and the module has several.
    #[error("the PKCS#11 module {} has several tokens ({available}): name one with token=LABEL in the URI", module.display())]
    SeveralTokens {
        /// The module.
        module: PathBuf,
        /// Their labels.
        available: String,
    },
    /// The token refused the PIN.
    #[error("the token {token} refused the PIN (CKR_PIN_INCORRECT): check --pin-file or LICET_PKCS11_PIN")]
    WrongPin {
        /// The token's label.
        token: String,
    },
    /// The token locked its PIN.
    #[error("the token {token} has locked its PIN after too many wrong attempts (CKR_PIN_LOCKED): its security officer must unlock it")]
    PinLocked {
        /// The token's label.
        token: String,
    },
    /// One more wrong PIN would lock the token: licet does not try.
    #[error("the token {token} locks its PIN after one more wrong attempt (CKF_USER_PIN_FINAL_TRY), so licet does not try a PIN it cannot be sure of: log in once with the token's own tools")]
    PinFinalTry {
        /// The token's label.
        token: String,
    },
    /// No private key matches the URI.
    #[error("the token {token} has no private key {object}")]
    NoKey {
        /// The token's label.
        token: String,
        /// The object the URI names (label and/or id).
        object: String,
    },
    /// Several private keys match the URI.
    #[error(
        "the token {token} has {count} private keys {object}: name one with id=... in the URI"
    )]
    SeveralKeys {
        /// The token's label.
        token: String,
        /// The object the URI names.
        object: String,
        /// How many match.
        count: usize,
    },
    /// The private key has no public key object beside it.
    #[error("the token {token} has the private key {object} but not its public half (a public key object with the same label and id); licet verifies every signature with it, so import the public key into the token")]
    NoPublicHalf {
        /// The token's label.
        token: String,
        /// The object the URI names.
        object: String,
    },
    /// A key of a type licet does not sign with.
    #[error(
        "the key {object} in token {token} is {kind}; licet signs with Ed25519 and RSA keys only"
    )]
    UnsupportedKey {
        /// The token's label.
        token: String,
        /// The object the URI names.
        object: String,
        /// What kind of key it is.
        kind: String,
    },
    /// `keygen --pkcs11` for an object that exists already.
    #[error("the token {token} already has a key {object}: choose another object= name, or delete the old key with the token's own tools")]
    KeyExists {
        /// The token's label.
        token: String,
        /// The object the URI names.
        object: String,
    },
    /// The token failed an operation.
    #[error("the token {token} failed to {operation}: {error}")]
    Token {
        /// The token's label.
        token: String,
        /// What licet asked for.
        operation: &'static str,
        /// The token's answer.
        error: String,
    },
    /// The token's signature does not verify with the public key.
    #[error("the signature made by the token {token} does not verify with the key's public half: nothing was written")]
    BadSignature {
        /// The token's label.
        token: String,
    },
}

/// A token's PIN, zeroized on drop and never shown.
#[derive(Clone)]
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// A PIN from its text.
    pub fn new(pin: impl Into<String>) -> Self {
        Pin(Zeroizing::new(pin.into()))
    }

    /// A PIN from a file's contents: the first line, without its line ending.
    pub fn from_file_contents(contents: &[u8]) -> Result<Self, std::str::Utf8Error> {
        let text = std::str::from_utf8(contents)?;
        let line = text.lines().next().unwrap_or("");
        Ok(Pin::new(line))
    }

    fn auth(&self) -> AuthPin {
        AuthPin::new(self.0.as_str().into())
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(..)")
    }
}

/// A PKCS#11 URI (RFC 7512) naming a key: `pkcs11:token=LABEL;object=LABEL?module-path=PATH`.
///
/// Path attributes read: `token`, `serial`, `slot-id` (which token), `object`, `id` (which key),
/// `type` (`private` or `public`, checked); `manufacturer`, `model`, `library-*`, `slot-*` and
/// `x-*` are accepted and ignored. Query attributes: `module-path` (required). `pin-value` and
/// `pin-source` are refused: the PIN comes from a file or the environment. Anything else is an
/// error that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// The PKCS#11 module (shared library) to load.
    pub module_path: PathBuf,
    /// The token's label.
    pub token: Option<String>,
    /// The token's serial number.
    pub serial: Option<String>,
    /// The slot's id.
    pub slot_id: Option<u64>,
    /// The key's label (`CKA_LABEL`).
    pub object: Option<String>,
    /// The key's id (`CKA_ID`), as bytes.
    pub id: Option<Vec<u8>>,
    /// The URI as given (for messages; it holds no secret, a PIN in it is refused).
    text: String,
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether a `--key` argument names a key in a token rather than a file.
pub fn is_pkcs11_uri(text: &str) -> bool {
    text.len() >= URI_SCHEME.len() && text[..URI_SCHEME.len()].eq_ignore_ascii_case(URI_SCHEME)
}

fn decode(value: &str, name: &str) -> Result<Vec<u8>, Pkcs11Error> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex_ok = bytes.len() >= i + 3
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !hex_ok {
                return Err(Pkcs11Error::Uri(format!(
                    "attribute `{name}` has a `%` that is not followed by two hex digits"
                )));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(percent_encoding::percent_decode_str(value).collect())
}

fn text(value: &str, name: &str) -> Result<String, Pkcs11Error> {
    String::from_utf8(decode(value, name)?)
        .map_err(|_| Pkcs11Error::Uri(format!("attribute `{name}` is not UTF-8 text")))
}

impl Pkcs11Uri {
    /// Parses a URI; every problem is named.
    pub fn parse(uri: &str) -> Result<Self, Pkcs11Error> {
        if !is_pkcs11_uri(uri) {
            return Err(Pkcs11Error::Uri(format!(
                "it does not start with `{URI_SCHEME}`"
            )));
        }
        let rest = &uri[URI_SCHEME.len()..];
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let mut parsed = Pkcs11Uri {
            module_path: PathBuf::new(),
            token: None,
            serial: None,
            slot_id: None,
            object: None,
            id: None,
            text: uri.to_owned(),
        };
        let mut seen = Vec::new();
        let mut once = |name: &str| {
            if seen.iter().any(|s: &String| s == name) {
                return Err(Pkcs11Error::Uri(format!(
                    "attribute `{name}` is given twice"
                )));
            }
            seen.push(name.to_owned());
            Ok(())
        };
        for part in path.split(';').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                Pkcs11Error::Uri(format!("path attribute `{part}` has no `=value`"))
            })?;
            once(name)?;
            match name {
                "token" => parsed.token = Some(text(value, name)?),
                "serial" => parsed.serial = Some(text(value, name)?),
                "object" => parsed.object = Some(text(value, name)?),
                "id" => parsed.id = Some(decode(value, name)?),
                "slot-id" => {
                    parsed.slot_id = Some(text(value, name)?.parse().map_err(|_| {
                        Pkcs11Error::Uri(format!("slot-id must be a number, not `{value}`"))
                    })?)
                }
                "type" => match text(value, name)?.as_str() {
                    "private" | "public" => {}
                    other => {
                        return Err(Pkcs11Error::Uri(format!(
                            "type={other}: a signing key is type=private (or leave type out)"
                        )))
                    }
                },
                "manufacturer" | "model" => {}
                n if n.starts_with("library-") || n.starts_with("slot-") || n.starts_with("x-") => {
                }
                "pin-value" | "pin-source" => {
                    return Err(Pkcs11Error::Uri(format!(
                        "`{name}` belongs in the query, and licet refuses it anyway: give the PIN with --pin-file or LICET_PKCS11_PIN"
                    )))
                }
                other => {
                    return Err(Pkcs11Error::Uri(format!(
                        "unknown path attribute `{other}` (RFC 7512: token, serial, slot-id, object, id, type, manufacturer, model)"
                    )))
                }
            }
        }
        for part in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
        {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                Pkcs11Error::Uri(format!("query attribute `{part}` has no `=value`"))
            })?;
            once(name)?;
            match name {
                "module-path" => parsed.module_path = PathBuf::from(text(value, name)?),
                "pin-value" | "pin-source" => {
                    return Err(Pkcs11Error::Uri(format!(
                        "`{name}` is refused: a PIN in a URI ends up in shell history and process lists; give it with --pin-file or LICET_PKCS11_PIN"
                    )))
                }
                "module-name" => {
                    return Err(Pkcs11Error::Uri(
                        "module-name is not supported: give the module's file with module-path=/path/to/module.so".into(),
                    ))
                }
                other => {
                    return Err(Pkcs11Error::Uri(format!(
                        "unknown query attribute `{other}` (licet reads module-path)"
                    )))
                }
            }
        }
        if parsed.module_path.as_os_str().is_empty() {
            return Err(Pkcs11Error::Uri(
                "it names no module: add ?module-path=/path/to/module.so (for SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)".into(),
            ));
        }
        if parsed.object.is_none() && parsed.id.is_none() {
            return Err(Pkcs11Error::Uri(
                "it names no key: add object=LABEL (or id=%01...) to its path".into(),
            ));
        }
        Ok(parsed)
    }

    /// The key the URI names, for messages: `object=...`, `id=...` or both.
    fn object_name(&self) -> String {
        let mut parts = Vec::new();
        if let Some(object) = &self.object {
            parts.push(format!("object={object}"));
        }
        if let Some(id) = &self.id {
            parts.push(format!("id={}", hex::encode(id)));
        }
        parts.join(", ")
    }

    fn key_template(&self, class: ObjectClass) -> Vec<Attribute> {
        let mut template = vec![Attribute::Class(class)];
        if let Some(object) = &self.object {
            template.push(Attribute::Label(object.as_bytes().to_vec()));
        }
        if let Some(id) = &self.id {
            template.push(Attribute::Id(id.clone()));
        }
        template
    }
}

/// The modules loaded in this process, each initialised once (`C_Initialize` is per process;
/// two keys in one module share it).
fn module(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let failed = |reason: String| Pkcs11Error::Module {
        path: path.to_path_buf(),
        reason,
    };
    let mut modules = MODULES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(module) = modules.get(path) {
        return Ok(module.clone());
    }
    if !path.is_file() {
        return Err(failed(
            "no such file (install the token's PKCS#11 library, or correct module-path)".into(),
        ));
    }
    let context = Pkcs11::new(path).map_err(|e| failed(e.to_string()))?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(())
        | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, Function::Initialize)) => {}
        Err(e) => return Err(failed(format!("C_Initialize: {e}"))),
    }
    modules.insert(path.to_path_buf(), context.clone());
    Ok(context)
}

/// An open, logged-in session on the token a URI names.
struct Opened {
    session: Session,
    token: String,
}

fn open(uri: &Pkcs11Uri, pin: &Pin, read_write: bool) -> Result<Opened, Pkcs11Error> {
    let context = module(&uri.module_path)?;
    let token_failed = |operation, e: CkError| Pkcs11Error::Token {
        token: uri.token.clone().unwrap_or_default(),
        operation,
        error: e.to_string(),
    };
    let slots = context
        .get_slots_with_token()
        .map_err(|e| token_failed("list its slots", e))?;
    let mut found: Vec<(Slot, String)> = Vec::new();
    let mut labels = Vec::new();
    for slot in slots {
        let info = context
            .get_token_info(slot)
            .map_err(|e| token_failed("describe a token", e))?;
        let label = info.label().trim_end().to_owned();
        labels.push(label.clone());
        let matches = uri.token.as_ref().is_none_or(|t| *t == label)
            && uri
                .serial
                .as_ref()
                .is_none_or(|s| s == info.serial_number().trim_end())
            && uri.slot_id.is_none_or(|id| id == slot.id());
        if matches {
            found.push((slot, label));
        }
    }
    let available = if labels.is_empty() {
        "none".to_owned()
    } else {
        labels.join(", ")
    };
    let (slot, token) = match found.len() {
        1 => found.remove(0),
        0 => {
            let mut wanted = Vec::new();
            if let Some(t) = &uri.token {
                wanted.push(format!("token={t}"));
            }
            if let Some(s) = &uri.serial {
                wanted.push(format!("serial={s}"));
            }
            if let Some(s) = uri.slot_id {
                wanted.push(format!("slot-id={s}"));
            }
            return Err(Pkcs11Error::NoToken {
                module: uri.module_path.clone(),
                wanted: wanted.join(", "),
                available,
            });
        }
        _ => {
            return Err(Pkcs11Error::SeveralTokens {
                module: uri.module_path.clone(),
                available,
            })
        }
    };
    let session = if read_write {
        context.open_rw_session(slot)
    } else {
        context.open_ro_session(slot)
    }
    .map_err(|e| Pkcs11Error::Token {
        token: token.clone(),
        operation: "open a session",
        error: e.to_string(),
    })?;
    // A login attempt spends one of the token's PIN retries when the PIN is wrong: with one
    // left, a wrong PIN (a mistyped file, a registration through the server's API) would lock
    // the token for good.
    let info = context
        .get_token_info(slot)
        .map_err(|e| Pkcs11Error::Token {
            token: token.clone(),
            operation: "describe the token",
            error: e.to_string(),
        })?;
    if info.user_pin_locked() {
        return Err(Pkcs11Error::PinLocked { token });
    }
    if info.user_pin_final_try() && !logins::matches(&uri.module_path, slot, pin) {
        return Err(Pkcs11Error::PinFinalTry { token });
    }
    match session.login(UserType::User, Some(&pin.auth())) {
        Ok(()) => logins::record(&uri.module_path, slot, pin),
        // A PKCS#11 login belongs to the whole process, not the session: a token another key of
        // this process logged in to accepts any PIN now. The PIN must still be the one that
        // logged in, or a wrong PIN would open the key (a server registering token keys).
        Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
            if !logins::matches(&uri.module_path, slot, pin) {
                return Err(Pkcs11Error::WrongPin { token });
            }
        }
        Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
            return Err(Pkcs11Error::WrongPin { token })
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
            return Err(Pkcs11Error::PinLocked { token })
        }
        Err(e) => {
            return Err(Pkcs11Error::Token {
                token,
                operation: "log in",
                error: e.to_string(),
            })
        }
    }
    Ok(Opened { session, token })
}

/// The PINs this process logged in to tokens with, as keyed digests (HMAC-SHA256 under a key
/// made at random for the process): enough to tell whether a later PIN is the same, never the
/// PIN itself.
mod logins {
    use super::Pin;
    use aws_lc_rs::hmac;
    use cryptoki::slot::Slot;
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, OnceLock};

    type Logins = Mutex<HashMap<(PathBuf, u64), hmac::Tag>>;

    /// The process's key (none if the system's random generator failed: then no PIN is ever
    /// matched, and every later open of a logged-in token is refused, never accepted).
    fn state() -> &'static (Option<hmac::Key>, Logins) {
        static STATE: OnceLock<(Option<hmac::Key>, Logins)> = OnceLock::new();
        STATE.get_or_init(|| {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            (
                hmac::Key::generate(hmac::HMAC_SHA256, &rng).ok(),
                Mutex::default(),
            )
        })
    }

    /// Remembers the PIN that logged in to the token in `slot`.
    pub(super) fn record(module: &Path, slot: Slot, pin: &Pin) {
        let (Some(key), logins) = state() else {
            return;
        };
        let tag = hmac::sign(key, pin.0.as_bytes());
        logins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert((module.to_path_buf(), slot.id()), tag);
    }

    /// Whether `pin` is the PIN this process logged in to the token in `slot` with (compared in
    /// constant time); false when this process did not log in to it.
    pub(super) fn matches(module: &Path, slot: Slot, pin: &Pin) -> bool {
        let (Some(key), logins) = state() else {
            return false;
        };
        let logins = logins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        logins
            .get(&(module.to_path_buf(), slot.id()))
            .is_some_and(|tag| hmac::verify(key, pin.0.as_bytes(), tag.as_ref()).is_ok())
    }
}

/// A signing key in a token: its session (one signature at a time), the private key's handle
/// and the public half read from the token.
pub(crate) struct TokenKey {
    session: Mutex<Session>,
    private: ObjectHandle,
    kind: TokenKeyKind,
    /// The public half as DER `SubjectPublicKeyInfo`.
    public_der: Vec<u8>,
    token: String,
    uri: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKeyKind {
    Ed25519,
    Rsa,
}

impl TokenKey {
    /// Opens the key a URI names, logs in with `pin`, and reads its public half.
    pub(crate) fn open(uri: &Pkcs11Uri, pin: &Pin) -> Result<(Self, TrustedKey), Pkcs11Error> {
        let Opened { session, token } = open(uri, pin, false)?;
        let object = uri.object_name();
        let label = token.clone();
        let failed = move |operation, e: CkError| Pkcs11Error::Token {
            token: label.clone(),
            operation,
            error: e.to_string(),
        };
        let privates = session
            .find_objects(&uri.key_template(ObjectClass::PRIVATE_KEY))
            .map_err(|e| failed("find the private key", e))?;
        let private = match privates.as_slice() {
            [one] => *one,
            [] => return Err(Pkcs11Error::NoKey { token, object }),
            many => {
                return Err(Pkcs11Error::SeveralKeys {
                    token,
                    object,
                    count: many.len(),
                })
            }
        };
        let publics = session
            .find_objects(&uri.key_template(ObjectClass::PUBLIC_KEY))
            .map_err(|e| failed("find the public key", e))?;
        let [public] = publics.as_slice() else {
            return Err(Pkcs11Error::NoPublicHalf { token, object });
        };
        let attributes = session
            .get_attributes(
                *public,
                &[
                    AttributeType::KeyType,
                    AttributeType::EcParams,
                    AttributeType::EcPoint,
                    AttributeType::Modulus,
                    AttributeType::PublicExponent,
                ],
            )
            .map_err(|e| failed("read the public key", e))?;
        let (kind, trusted, public_der) =
            public_key(&attributes).map_err(|kind| Pkcs11Error::UnsupportedKey {
                token: token.clone(),
                object: object.clone(),
                kind,
            })?;
        Ok((
            TokenKey {
                session: Mutex::new(session),
                private,
                kind,
                public_der,
                token,
                uri: uri.to_string(),
            },
            trusted,
        ))
    }

    /// Generates a non-extractable key pair inside the token, labelled and identified as the URI
    /// says, and opens it.
    pub(crate) fn generate(
        uri: &Pkcs11Uri,
        pin: &Pin,
        spec: KeySpec,
    ) -> Result<(Self, TrustedKey), Pkcs11Error> {
        let Some(label) = uri.object.clone() else {
            return Err(Pkcs11Error::Uri(
                "a key made in the token needs a label: add object=LABEL to the URI".into(),
            ));
        };
        {
            let Opened { session, token } = open(uri, pin, true)?;
            let object = uri.object_name();
            let label_for_errors = token.clone();
            let failed = move |operation, e: CkError| Pkcs11Error::Token {
                token: label_for_errors.clone(),
                operation,
                error: e.to_string(),
            };
            // A name already taken (by any object with this label and id) is refused: a second
            // key of the same name would make every later lookup ambiguous.
            let mut taken = vec![Attribute::Label(label.as_bytes().to_vec())];
            if let Some(id) = &uri.id {
                taken.push(Attribute::Id(id.clone()));
            }
            if !session
                .find_objects(&taken)
                .map_err(|e| failed("search its objects", e))?
                .is_empty()
            {
                return Err(Pkcs11Error::KeyExists { token, object });
            }
            let id = uri.id.clone().unwrap_or_else(|| label.as_bytes().to_vec());
            let common = |public: bool| {
                vec![
                    Attribute::Token(true),
                    Attribute::Label(label.as_bytes().to_vec()),
                    Attribute::Id(id.clone()),
                    if public {
                        Attribute::Verify(true)
                    } else {
                        Attribute::Sign(true)
                    },
                ]
            };
            let mut public = common(true);
            public.push(Attribute::Private(false));
            let mut private = common(false);
            private.extend([
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
            ]);
            let mechanism = match spec {
                KeySpec::Ed25519 => {
                    public.push(Attribute::EcParams(EC_PARAMS_ED25519_NAME.to_vec()));
                    Mechanism::EccEdwardsKeyPairGen
                }
                KeySpec::Rsa(bits) => {
                    if ![2048, 3072, 4096].contains(&bits) {
                        return Err(Pkcs11Error::Uri(format!(
                            "RSA keys can have 2048, 3072 or 4096 bits, not {bits}"
                        )));
                    }
                    public.push(Attribute::ModulusBits(u64::from(bits).into()));
                    public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
                    Mechanism::RsaPkcsKeyPairGen
                }
            };
            session
                .generate_key_pair(&mechanism, &public, &private)
                .map_err(|e| failed("generate the key pair", e))?;
        }
        let mut named = uri.clone();
        named.object = Some(label);
        Self::open(&named, pin)
    }

    /// Signs in the token. The caller verifies the result with the public half.
    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let pss;
        let eddsa;
        let mechanism = match (self.kind, alg) {
            (TokenKeyKind::Ed25519, Algorithm::EdDSA) => {
                eddsa = EddsaParams::new(EddsaSignatureScheme::Pure);
                Mechanism::Eddsa(eddsa)
            }
            (TokenKeyKind::Rsa, Algorithm::RS256) => Mechanism::Sha256RsaPkcs,
            (TokenKeyKind::Rsa, Algorithm::PS256) => {
                pss = PkcsPssParams {
                    hash_alg: MechanismType::SHA256,
                    mgf: PkcsMgfType::MGF1_SHA256,
                    s_len: 32u64.into(),
                };
                Mechanism::Sha256RsaPkcsPss(pss)
            }
            _ => {
                return Err(Pkcs11Error::Token {
                    token: self.token.clone(),
                    operation: "sign",
                    error: format!("the key cannot sign {}", alg.name()),
                })
            }
        };
        let session = self
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        session
            .sign(&mechanism, self.private, message)
            .map_err(|e| Pkcs11Error::Token {
                token: self.token.clone(),
                operation: "sign",
                error: e.to_string(),
            })
    }

    /// The public half as DER `SubjectPublicKeyInfo`.
    pub(crate) fn public_der(&self) -> &[u8] {
        &self.public_der
    }

    /// The token's label.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// The URI the key was opened with.
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }
}

/// The public key of a token's public key object (and its SPKI DER), or what kind of key it is
/// when licet does not sign with it.
fn public_key(attributes: &[Attribute]) -> Result<(TokenKeyKind, TrustedKey, Vec<u8>), String> {
    let mut key_type = None;
    let (mut params, mut point, mut modulus, mut exponent) = (None, None, None, None);
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(*t),
            Attribute::EcParams(p) => params = Some(p.as_slice()),
            Attribute::EcPoint(p) => point = Some(p.as_slice()),
            Attribute::Modulus(n) => modulus = Some(n.as_slice()),
            Attribute::PublicExponent(e) => exponent = Some(e.as_slice()),
            _ => {}
        }
    }
    match key_type {
        Some(t) if t == KeyType::EC_EDWARDS => {
            let curve_ok =
                params.is_some_and(|p| p == EC_PARAMS_ED25519_NAME || p == EC_PARAMS_ED25519_OID);
            if !curve_ok {
                return Err("an Edwards-curve key other than Ed25519".into());
            }
            let point = point.ok_or("an Ed25519 key without CKA_EC_POINT")?;
            // Tokens give the point raw (32 bytes) or as a DER OCTET STRING (04 20 ...).
            let raw = match point {
                [0x04, 0x20, rest @ ..] if rest.len() == 32 => rest,
                raw if raw.len() == 32 => raw,
                _ => return Err("an Ed25519 key whose CKA_EC_POINT is not 32 bytes".into()),
            };
            let key = TrustedKey::from_ed25519_bytes(raw).map_err(|e| e.to_string())?;
            let raw: [u8; 32] = raw.try_into().map_err(|_| "not 32 bytes".to_owned())?;
            let der = ed25519_dalek::VerifyingKey::from_bytes(&raw)
                .map_err(|e| e.to_string())
                .and_then(|k| {
                    use ed25519_dalek::pkcs8::EncodePublicKey;
                    k.to_public_key_der().map_err(|e| e.to_string())
                })?
                .into_vec();
            Ok((TokenKeyKind::Ed25519, key, der))
        }
        Some(t) if t == KeyType::RSA => {
            let (Some(n), Some(e)) = (modulus, exponent) else {
                return Err("an RSA key without its modulus or exponent".into());
            };
            let key = TrustedKey::from_rsa_components(n, e).map_err(|e| e.to_string())?;
            Ok((TokenKeyKind::Rsa, key, rsa_spki_der(n, e)?))
        }
        Some(t) => Err(format!("a key of type {t}")),
        None => Err("a key of unknown type".into()),
    }
}

/// The DER `SubjectPublicKeyInfo` of an RSA public key (RFC 8017 `RSAPublicKey` inside the
/// rsaEncryption algorithm identifier, RFC 3279).
fn rsa_spki_der(n: &[u8], e: &[u8]) -> Result<Vec<u8>, String> {
    use pkcs8::der::{asn1::AnyRef, asn1::BitStringRef, Encode};
    let strip = |v: &'_ [u8]| -> Vec<u8> {
        let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
        v[start..].to_vec()
    };
    let (n, e) = (strip(n), strip(e));
    let rsa = pkcs1::RsaPublicKey {
        modulus: pkcs1::UintRef::new(&n).map_err(|e| e.to_string())?,
        public_exponent: pkcs1::UintRef::new(&e).map_err(|e| e.to_string())?,
    };
    let rsa_der = rsa.to_der().map_err(|e| e.to_string())?;
    let spki = pkcs8::spki::SubjectPublicKeyInfoRef {
        algorithm: pkcs8::spki::AlgorithmIdentifierRef {
            oid: OID_RSA_ENCRYPTION,
            parameters: Some(AnyRef::NULL),
        },
        subject_public_key: BitStringRef::from_bytes(&rsa_der).map_err(|e| e.to_string())?,
    };
    spki.to_der().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = "?module-path=/usr/lib/softhsm/libsofthsm2.so";

    #[test]
    fn a_uri_reads_back() {
        let uri = Pkcs11Uri::parse(&format!(
            "pkcs11:token=vendor;object=license%20signing;id=%01%ff{MODULE}"
        ))
        .expect("parses");
        assert_eq!(uri.token.as_deref(), Some("vendor"));
        assert_eq!(uri.object.as_deref(), Some("license signing"));
        assert_eq!(uri.id.as_deref(), Some(&[0x01, 0xff][..]));
        assert_eq!(
            uri.module_path,
            Path::new("/usr/lib/softhsm/libsofthsm2.so")
        );
        assert!(is_pkcs11_uri("PKCS11:object=a"));
        assert!(!is_pkcs11_uri("./pkcs11:object=a"));
    }

    #[test]
    fn bad_uris_are_refused_by_name() {
        let cases = [
            ("token=vendor;object=k".to_owned(), "does not start"),
            ("pkcs11:token=vendor;object=k".to_owned(), "module-path"),
            (format!("pkcs11:token=vendor{MODULE}"), "names no key"),
            (
                format!("pkcs11:object=k{MODULE}&pin-value=1234"),
                "pin-value",
            ),
            (
                format!("pkcs11:object=k;pin-value=1234{MODULE}"),
                "pin-value",
            ),
            (format!("pkcs11:object=k;object=j{MODULE}"), "twice"),
            (format!("pkcs11:object=k;colour=red{MODULE}"), "colour"),
            (format!("pkcs11:object=k%2{MODULE}"), "two hex digits"),
            (format!("pkcs11:object=k;type=cert{MODULE}"), "type=cert"),
            (format!("pkcs11:object=k;slot-id=x{MODULE}"), "slot-id"),
            (format!("pkcs11:object=%ff{MODULE}"), "UTF-8"),
            (
                "pkcs11:object=k?module-name=softhsm2".to_owned(),
                "module-name",
            ),
        ];
        for (uri, expected) in cases {
            let e = Pkcs11Uri::parse(&uri).expect_err(&uri);
            assert!(e.to_string().contains(expected), "{uri}: {e}");
        }
    }

    #[test]
    fn a_missing_module_is_named() {
        let uri = Pkcs11Uri::parse("pkcs11:object=k?module-path=/nonexistent/libnone.so")
            .expect("parses");
        let e = open(&uri, &Pin::new("1234"), false).err().expect("refused");
        let text = e.to_string();
        assert!(
            text.contains("/nonexistent/libnone.so") && text.contains("no such file"),
            "{text}"
        );
    }

    #[test]
    fn a_pin_is_never_shown() {
        let pin = Pin::from_file_contents(b"s3cret\nsecond line").expect("utf-8");
        assert_eq!(format!("{pin:?}"), "Pin(..)");
        assert_eq!(pin.0.as_str(), "s3cret");
    }

    #[test]
    fn public_keys_of_token_objects() {
        // RFC 8032 section 7.1, test 1: the public key, raw and as a DER OCTET STRING.
        let point = hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .expect("hex");
        let expected = TrustedKey::from_ed25519_bytes(&point).expect("key");
        let mut der = vec![0x04, 0x20];
        der.extend_from_slice(&point);
        for given in [point.clone(), der] {
            for params in [
                EC_PARAMS_ED25519_NAME.to_vec(),
                EC_PARAMS_ED25519_OID.to_vec(),
            ] {
                let attributes = [
                    Attribute::KeyType(KeyType::EC_EDWARDS),
                    Attribute::EcParams(params),
                    Attribute::EcPoint(given.clone()),
                ];
                let (kind, key, der) = public_key(&attributes).expect("an Ed25519 key");
                assert!(kind == TokenKeyKind::Ed25519);
                assert_eq!(key.kid(), expected.kid());
                assert_eq!(
                    TrustedKey::from_spki_der(&der).expect("SPKI").kid(),
                    expected.kid()
                );
            }
        }
        let short = [
            Attribute::KeyType(KeyType::EC_EDWARDS),
            Attribute::EcParams(EC_PARAMS_ED25519_NAME.to_vec()),
            Attribute::EcPoint(point[..31].to_vec()),
        ];
        assert!(public_key(&short)
            .expect_err("refused")
            .contains("32 bytes"));
        let ed448 = [
            Attribute::KeyType(KeyType::EC_EDWARDS),
            Attribute::EcParams(vec![0x13, 0x0a]),
            Attribute::EcPoint(vec![0; 57]),
        ];
        assert!(public_key(&ed448)
            .expect_err("refused")
            .contains("other than Ed25519"));
        let ec = [Attribute::KeyType(KeyType::EC)];
        assert!(public_key(&ec).is_err());
        // An RSA key's SPKI reads back as the same key (a key made here, its n and e taken apart).
        let rsa = crate::SigningKey::generate(KeySpec::Rsa(2048)).expect("key");
        let jwk = rsa.public_key().jwk(None);
        let b64 = |name: &str| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jwk[name].as_str().expect("member"))
                .expect("base64url")
        };
        let attributes = [
            Attribute::KeyType(KeyType::RSA),
            Attribute::Modulus(b64("n")),
            Attribute::PublicExponent(b64("e")),
        ];
        let (kind, key, der) = public_key(&attributes).expect("an RSA key");
        assert!(kind == TokenKeyKind::Rsa);
        assert_eq!(key.kid(), rsa.kid());
        assert_eq!(
            TrustedKey::from_spki_der(&der).expect("SPKI").kid(),
            rsa.kid()
        );
    }
}
