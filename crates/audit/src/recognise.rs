//! Reading one file for an audit, once and capped in size, and deciding from its content whether
//! it is a license file to verify or clearly something else to skip.

use crate::collect::has_license_name;
use crate::kinds::{kind_of, FileKind};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use licet_verifier::MAX_LICENSE_FILE_BYTES;
use std::io::Read;
use std::path::Path;

/// Identifies a file independently of the path that reached it: device and inode on Unix, the
/// canonical path elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FileId(
    #[cfg(unix)] (u64, u64),
    #[cfg(not(unix))] std::path::PathBuf,
);

impl FileId {
    #[cfg(unix)]
    pub(crate) fn of(_path: &Path, metadata: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(FileId((metadata.dev(), metadata.ino())))
    }

    #[cfg(not(unix))]
    pub(crate) fn of(path: &Path, _metadata: &std::fs::Metadata) -> Option<Self> {
        std::fs::canonicalize(path).ok().map(FileId)
    }

    /// The id of the file at `path` (links followed), if it exists.
    pub(crate) fn of_path(path: &Path) -> Option<Self> {
        std::fs::metadata(path)
            .ok()
            .and_then(|m| Self::of(path, &m))
    }
}

/// What reading a file gave.
#[derive(Debug)]
pub(crate) enum Content {
    /// Audit these bytes (at most one byte over the license size limit, so that the verifier
    /// reports an oversized license file as such).
    License(Vec<u8>),
    /// Not audited, for this reason.
    Skip(String),
    /// The file could not be opened or read.
    Unreadable(String),
}

/// Whether the text looks like a compact JWS, perhaps damaged: it starts like a JWS header
/// (`eyJ` is base64url for `{"`), or it is three parts of base64 characters. Such a file is
/// audited (MALFORMED, BAD_SIGNATURE), never skipped.
fn looks_like_jws(text: &[u8]) -> bool {
    let text = text.trim_ascii();
    text.starts_with(b"eyJ")
        || (text.iter().filter(|&&b| b == b'.').count() == 2
            && text.iter().all(|&b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+' | b'/')
            }))
}

/// The common case without [`kind_of`]'s scans of the whole text: a file that starts like a JWS
/// header (`eyJ`) is a license to audit unless its header names another licet type (a
/// revocation list, a time attestation). Reads only the header.
fn jws_fast_path(bytes: &[u8]) -> Fast {
    #[derive(serde::Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        typ: Option<std::borrow::Cow<'a, str>>,
    }
    let text = bytes.trim_ascii_start();
    if !text.starts_with(b"eyJ") {
        return Fast::NotJws;
    }
    let end = text
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .unwrap_or(text.len());
    let typ = URL_SAFE_NO_PAD.decode(&text[..end]).ok().and_then(|h| {
        serde_json::from_slice::<Header<'_>>(&h)
            .ok()
            .and_then(|h| h.typ.map(|t| t.to_ascii_lowercase()))
    });
    let other = |kind: FileKind| Fast::Skip(format!("not a license file: {}", kind.describe()));
    match typ.as_deref() {
        Some(t) if t == licet_verifier::REVOCATION_LIST_TYPE => other(FileKind::RevocationList),
        Some(t) if t == licet_verifier::clock::TIME_ATTESTATION_TYPE => {
            other(FileKind::TimeAttestation)
        }
        Some(licet_issuer::usage::USAGE_TYP) => other(FileKind::UsageReport),
        // A license, another JWS or a damaged one: the verifier says which.
        _ => Fast::Audit,
    }
}

/// What [`jws_fast_path`] decided.
enum Fast {
    /// Not JWS-like: [`kind_of`] decides.
    NotJws,
    /// Audit it.
    Audit,
    /// Skip it, for this reason.
    Skip(String),
}

/// Decides from the bytes (and, for unrecognisable content only, the name) whether to audit.
pub(crate) fn classify(path: &Path, bytes: Vec<u8>) -> Content {
    let license_named = has_license_name(path);
    if bytes.len() > MAX_LICENSE_FILE_BYTES {
        return if license_named {
            Content::License(bytes)
        } else {
            Content::Skip(too_large())
        };
    }
    match jws_fast_path(&bytes) {
        Fast::Audit => return Content::License(bytes),
        Fast::Skip(reason) => return Content::Skip(reason),
        Fast::NotJws => {}
    }
    match kind_of(&bytes) {
        FileKind::License | FileKind::OtherJws => Content::License(bytes),
        // Unrecognisable: a damaged license, or a file of no interest. The name decides.
        kind @ (FileKind::Nothing | FileKind::Binary | FileKind::Text) => {
            if license_named || looks_like_jws(&bytes) {
                Content::License(bytes)
            } else {
                Content::Skip(format!("not a license file: {}", kind.describe()))
            }
        }
        kind @ (FileKind::RevocationList
        | FileKind::TimeAttestation
        | FileKind::UsageReport
        | FileKind::PrivateKey
        | FileKind::PublicPem
        | FileKind::LicetJson(_)
        | FileKind::OtherJson
        | FileKind::Ledger) => Content::Skip(format!("not a license file: {}", kind.describe())),
    }
}

fn too_large() -> String {
    format!(
        "larger than {} KiB, the limit for a license file",
        MAX_LICENSE_FILE_BYTES / 1024
    )
}

/// Opens the file (non-blocking, and checked by its handle: a FIFO swapped in after the walk is
/// refused, not waited on), reads at most one byte over the license limit, and classifies it.
/// Returns the file's id for the detection of a file reached twice.
pub(crate) fn read(path: &Path, skip: &[(FileId, String)]) -> (Option<FileId>, Content) {
    let file = match licet_verifier::state::open_regular(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return (None, Content::Skip(e.to_string()))
        }
        Err(e) => return (None, Content::Unreadable(e.to_string())),
    };
    let metadata = match file.metadata() {
        Ok(m) => m,
        Err(e) => return (None, Content::Unreadable(e.to_string())),
    };
    let id = FileId::of(path, &metadata);
    if let Some((_, reason)) = id
        .as_ref()
        .and_then(|id| skip.iter().find(|(other, _)| other == id))
    {
        return (id, Content::Skip(reason.clone()));
    }
    // Not read at all: its size alone says it is no license (a license-named one is read up to
    // the limit, for the verifier to report).
    if metadata.len() > MAX_LICENSE_FILE_BYTES as u64 && !has_license_name(path) {
        return (id, Content::Skip(too_large()));
    }
    let mut bytes = Vec::with_capacity((metadata.len() as usize).min(MAX_LICENSE_FILE_BYTES) + 1);
    if let Err(e) = file
        .take(MAX_LICENSE_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
    {
        return (id, Content::Unreadable(e.to_string()));
    }
    (id, classify(path, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(name: &str, bytes: &[u8]) -> Option<String> {
        match classify(Path::new(name), bytes.to_vec()) {
            Content::Skip(reason) => Some(reason),
            Content::License(_) => None,
            Content::Unreadable(e) => panic!("{e}"),
        }
    }

    #[test]
    fn content_decides_and_damaged_tokens_are_audited() {
        let header = "eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urand0In0";
        assert_eq!(
            skipped("x.txt", format!("{header}.e30.c2ln\n").as_bytes()),
            None
        );
        assert_eq!(skipped("x", format!("{header}.e30.c2ln").as_bytes()), None);
        // Damaged: a line break inside, a missing part, padding.
        assert_eq!(
            skipped("x.txt", format!("{header}.e3\n0.c2ln").as_bytes()),
            None
        );
        assert_eq!(skipped("x", format!("{header}.e30").as_bytes()), None);
        assert_eq!(skipped("x", b"AAAA.e30=.c2ln"), None);
        assert_eq!(
            skipped(
                "k.pem",
                b"-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n"
            )
            .as_deref(),
            Some("not a license file: a private key")
        );
        assert_eq!(
            skipped("a.lic", b"-----BEGIN PUBLIC KEY-----\nAA\n").as_deref(),
            Some("not a license file: a public key or certificate"),
            "clearly something else, whatever its name"
        );
        assert_eq!(
            skipped("j.json", br#"{"keys":[]}"#).as_deref(),
            Some("not a license file: a JSON file")
        );
        assert_eq!(
            skipped("l", b"{\"seq\":1}\n{\"seq\":2}\n").as_deref(),
            Some("not a license file: an issuance ledger")
        );
        assert_eq!(
            skipped("notes.txt", b"hello").as_deref(),
            Some("not a license file: a text file")
        );
        assert_eq!(
            skipped("e", b"").as_deref(),
            Some("not a license file: an empty file")
        );
        // Unrecognisable content under a license name is a damaged license.
        assert_eq!(skipped("bogus.lic", b"hello"), None);
        assert_eq!(skipped("empty.JWT", b"\n"), None);
        let big = vec![b'a'; MAX_LICENSE_FILE_BYTES + 1];
        assert_eq!(
            skipped("big.bin", &big).as_deref(),
            Some("larger than 64 KiB, the limit for a license file")
        );
        assert_eq!(skipped("big.lic", &big), None);
        // Other licet tokens are skipped; a revocation list named like a license too.
        let other = |typ: &str| {
            format!(
                "{}.e30.c2ln\n",
                URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"EdDSA","typ":"{typ}"}}"#))
            )
        };
        assert_eq!(
            skipped(
                "revocations.jwt",
                other("license-revocations+jwt").as_bytes()
            )
            .as_deref(),
            Some("not a license file: a revocation list")
        );
        assert_eq!(
            skipped("t", other("licet-time+jwt").as_bytes()).as_deref(),
            Some("not a license file: a time attestation")
        );
        assert_eq!(
            skipped("t", other("JWT").as_bytes()),
            None,
            "audited: MALFORMED"
        );
        assert_eq!(skipped("t", other("LICENSE+JWT").as_bytes()), None);
    }
}
