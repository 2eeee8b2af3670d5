//! The issuance ledger: an append-only JSON Lines file, one entry per license issued, seat
//! activated offline, or license revoked. Each line carries `prev_sha256`, the SHA-256 of the
//! previous line's bytes (64 zeros for the first), so changing, removing or reordering any line
//! breaks the chain at the line after it. The last line has no successor: keep the head hash
//! that `licet ledger verify` prints somewhere else and pass it back with `--head`.
//!
//! ```json
//! {"seq":1,"time":"2026-11-23T10:00:00Z","action":"issue","license_id":"L-1","customer_id":"ACME","kid":"...","file_sha256":"...","prev_sha256":"000...000","token":"eyJ..."}
//! ```
//!
//! Entries for license files (`issue`, `activate`, `reissue`) also keep the file itself (`token`,
//! the compact JWS whose SHA-256 is `file_sha256`), so `licet reissue` can mint the same licenses
//! under a new key from claims whose signature it checks: the hash chain shows changes, it does
//! not prevent them (whoever can write the file can rewrite the chain), so nothing in a ledger
//! is believed unless a vendor key signed it. Entries written before the ledger kept the files
//! have none; they are reported, never guessed.

use aws_lc_rs::digest::{digest, SHA256};
use licet_verifier::UnixTime;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The longest ledger line read back when appending.
const MAX_LINE_BYTES: u64 = 256 * 1024;

/// `prev_sha256` of the first line.
pub const GENESIS_SHA256: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LedgerAction {
    /// `licet issue`.
    Issue,
    /// `licet activation respond` (a seat taken offline).
    Activate,
    /// `licet revoke`.
    Revoke,
    /// `licet reissue`: the same claims under a new key; the file's `replaces` claim names the
    /// license this one replaces.
    Reissue,
}

impl LedgerAction {
    /// Whether the entry records a license file (and so keeps it in `token`).
    pub fn records_license(self) -> bool {
        matches!(self, Self::Issue | Self::Activate | Self::Reissue)
    }
}

/// One line of the ledger, in the order its fields are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// 1 for the first line, then +1.
    pub seq: u64,
    /// When, RFC 3339 UTC.
    pub time: String,
    /// What.
    pub action: LedgerAction,
    /// The license id (`jti`).
    pub license_id: String,
    /// The customer (`sub`), if known (a revocation names only the license).
    pub customer_id: Option<String>,
    /// The signing key's id.
    pub kid: String,
    /// SHA-256 of the file written (for a license: its compact token, without surrounding
    /// whitespace), hex.
    pub file_sha256: String,
    /// SHA-256 of the previous line's bytes (without its newline), hex.
    pub prev_sha256: String,
    /// The license file itself (its compact JWS, without surrounding whitespace), for entries
    /// that record a license file. Absent in entries written before the ledger kept them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl LedgerEntry {
    /// The claims of the entry's license file, **unverified** (decoded, not checked against any
    /// key: a ledger can be edited). `None` without a file or when it does not decode.
    pub fn unverified_claims(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        payload_claims(self.token.as_deref()?.as_bytes()).ok()
    }

    /// The license the entry's license file says it replaces (its claim `replaces`),
    /// **unverified**.
    pub fn unverified_replaces(&self) -> Option<String> {
        self.unverified_claims()?
            .get(REPLACES_CLAIM)?
            .as_str()
            .map(str::to_owned)
    }
}

/// The claim of a re-issued license that names the license it replaces.
pub const REPLACES_CLAIM: &str = "replaces";

/// What to record; the ledger fills in `seq`, `time` and `prev_sha256`.
#[derive(Debug, Clone)]
pub struct LedgerRecord<'a> {
    /// What.
    pub action: LedgerAction,
    /// The license id.
    pub license_id: &'a str,
    /// The customer, if known.
    pub customer_id: Option<&'a str>,
    /// The signing key's id.
    pub kid: &'a str,
    /// The file's bytes (hashed after trimming surrounding whitespace). For an action that
    /// records a license file, a compact JWS whose payload (the claims) is kept in the entry.
    pub file: &'a [u8],
}

/// Why the ledger could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The file of a license entry is not a compact JWS with a JSON object as its payload.
    #[error("the license file for ledger entry {license_id} is not a license: {problem}")]
    NotALicense {
        /// The license id of the entry.
        license_id: String,
        /// What is wrong with the file.
        problem: String,
    },
    /// I/O.
    #[error("the ledger {path}: {problem}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        problem: String,
    },
    /// The ledger's last line cannot be appended to.
    #[error("the ledger {path} cannot be appended to: {problem}; run `licet ledger verify` on it")]
    Broken {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The entry would be longer than a ledger line may be.
    #[error("the ledger entry for {license_id} would be {bytes} bytes, over the {MAX_LINE_BYTES}-byte limit of a ledger line; nothing was written")]
    TooLong {
        /// The license id of the entry.
        license_id: String,
        /// Its length.
        bytes: usize,
    },
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

/// SHA-256 of a license or list file as the ledger records it: of its text without surrounding
/// whitespace, so a trailing newline or CRLF does not change it.
pub fn file_sha256(file: &[u8]) -> String {
    sha256_hex(file.trim_ascii())
}

/// The claims (payload) of a compact JWS, unverified.
pub fn payload_claims(file: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    use base64::Engine as _;
    let text = std::str::from_utf8(file.trim_ascii()).map_err(|_| "it is not UTF-8".to_owned())?;
    let mut parts = text.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("it is not a compact JWS (three parts separated by dots)".into());
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|e| format!("its payload is not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("its payload is not a JSON object: {e}"))
}

/// Appends an entry under an exclusive lock on the file (so two `licet issue` at once cannot take
/// the same `seq`), synced to disk before returning.
pub fn append_to_ledger(
    path: &Path,
    record: &LedgerRecord<'_>,
    now: UnixTime,
) -> Result<LedgerEntry, LedgerError> {
    LockedLedger::open(path)?.append(record, now)
}

/// A ledger held under an exclusive lock until dropped: what is read through it stays true
/// while it is held (`licet reissue` plans and appends under one lock, so a revocation or a
/// second run cannot slip in between).
#[derive(Debug)]
pub struct LockedLedger {
    file: File,
    shown: String,
}

impl LockedLedger {
    /// Opens (creating it when missing) and locks the ledger at `path`; waits for another
    /// holder of the lock.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let shown = path.display().to_string();
        let file = File::options()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .and_then(|file| file.lock().map(|()| file))
            .map_err(|e| LedgerError::Io {
                path: shown.clone(),
                problem: e.to_string(),
            })?;
        Ok(LockedLedger { file, shown })
    }

    fn io(&self, e: std::io::Error) -> LedgerError {
        LedgerError::Io {
            path: self.shown.clone(),
            problem: e.to_string(),
        }
    }

    /// The whole ledger, at most `limit` bytes (more is an error naming the limit).
    pub fn read_all(&mut self, limit: u64) -> Result<Vec<u8>, LedgerError> {
        let mut bytes = Vec::new();
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| (&self.file).take(limit + 1).read_to_end(&mut bytes))
            .map_err(|e| self.io(e))?;
        if bytes.len() as u64 > limit {
            return Err(self.io(std::io::Error::other(format!(
                "it is larger than {limit} bytes"
            ))));
        }
        Ok(bytes)
    }

    /// Appends an entry, synced to disk before returning.
    pub fn append(
        &mut self,
        record: &LedgerRecord<'_>,
        now: UnixTime,
    ) -> Result<LedgerEntry, LedgerError> {
        let token = if record.action.records_license() {
            payload_claims(record.file).map_err(|problem| LedgerError::NotALicense {
                license_id: record.license_id.to_owned(),
                problem,
            })?;
            Some(String::from_utf8_lossy(record.file.trim_ascii()).into_owned())
        } else {
            None
        };
        let (seq, prev_sha256) =
            last_line(&mut self.file).map_err(|problem| LedgerError::Broken {
                path: self.shown.clone(),
                problem,
            })?;
        let next = seq.checked_add(1).ok_or_else(|| LedgerError::Broken {
            path: self.shown.clone(),
            problem: "its last seq is the largest number a ledger can hold".into(),
        })?;
        let entry = LedgerEntry {
            seq: next,
            time: now.to_rfc3339(),
            action: record.action,
            license_id: record.license_id.to_owned(),
            customer_id: record.customer_id.map(str::to_owned),
            kid: record.kid.to_owned(),
            file_sha256: file_sha256(record.file),
            prev_sha256,
            token,
        };
        let mut line = serde_json::to_vec(&entry).map_err(|e| self.io(std::io::Error::other(e)))?;
        // A line the next append could not read back would stop the ledger for good.
        if line.len() as u64 >= MAX_LINE_BYTES {
            return Err(LedgerError::TooLong {
                license_id: entry.license_id,
                bytes: line.len(),
            });
        }
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|_| self.file.sync_all())
            .map_err(|e| self.io(e))?;
        Ok(entry)
    }
}

/// The seq and hash of the last line (0 and the genesis hash for an empty file).
fn last_line(file: &mut File) -> Result<(u64, String), String> {
    let length = file.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    if length == 0 {
        return Ok((0, GENESIS_SHA256.to_owned()));
    }
    // A ledger line holds at most one license's claims (a license file is at most 64 KiB); read
    // the tail only.
    let tail_length = length.min(MAX_LINE_BYTES);
    file.seek(SeekFrom::Start(length - tail_length))
        .map_err(|e| e.to_string())?;
    let mut tail = Vec::new();
    file.take(tail_length)
        .read_to_end(&mut tail)
        .map_err(|e| e.to_string())?;
    let Some(body) = tail.strip_suffix(b"\n") else {
        return Err("its last line is incomplete (no newline at the end)".into());
    };
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if start == 0 && tail_length < length {
        return Err("its last line is longer than 256 KiB".into());
    }
    let line = &body[start..];
    let entry: LedgerEntry =
        serde_json::from_slice(line).map_err(|e| format!("its last line is not an entry: {e}"))?;
    Ok((entry.seq, sha256_hex(line)))
}

/// One problem found by [`verify_ledger`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerProblem {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The result of checking a whole ledger.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LedgerCheck {
    /// The entries that parsed, with their line numbers.
    #[serde(skip)]
    pub entries: Vec<(usize, LedgerEntry)>,
    /// Number of lines.
    pub lines: usize,
    /// SHA-256 of the last line: record it elsewhere to detect a change of the last line.
    pub head_sha256: String,
    /// Every problem, in line order; empty for an intact chain.
    pub problems: Vec<LedgerProblem>,
}

impl LedgerCheck {
    /// Whether the chain is intact.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Records a problem unless some line of the ledger hashes to `head` (a head hash recorded
    /// earlier, hex): the ledger must be that one, or continue from it. This is what shows a
    /// chain rewritten from the start.
    pub fn require_head(&mut self, head: &str) {
        let head = head.to_ascii_lowercase();
        let known = self.head_sha256 == head
            || self
                .entries
                .iter()
                .any(|(_, entry)| entry.prev_sha256 == head);
        if !known {
            self.problems.push(LedgerProblem {
                line: self.lines,
                message: format!(
                    "no line of the ledger hashes to the recorded head {}: a line up to the head was changed or removed",
                    licet_verifier::jws::quote(&head)
                ),
            });
        }
    }
}

/// Checks every line of a ledger: each parses as an entry, `seq` counts up from 1, `time` is RFC
/// 3339, the hashes are 64 hex digits, and `prev_sha256` is the hash of the line before.
pub fn verify_ledger(bytes: &[u8]) -> LedgerCheck {
    let mut check = LedgerCheck {
        head_sha256: GENESIS_SHA256.to_owned(),
        ..Default::default()
    };
    let problem = |check: &mut LedgerCheck, line: usize, message: String| {
        check.problems.push(LedgerProblem { line, message });
    };
    let body = match bytes.strip_suffix(b"\n") {
        Some(body) => body,
        None if bytes.is_empty() => return check,
        None => {
            let lines = bytes.split(|&b| b == b'\n').count();
            problem(
                &mut check,
                lines,
                "the last line is incomplete (no newline at the end)".into(),
            );
            bytes
        }
    };
    let mut prev_hash = GENESIS_SHA256.to_owned();
    let mut expected_seq = 1;
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        check.lines = number;
        let hash = sha256_hex(line);
        match serde_json::from_slice::<LedgerEntry>(line) {
            Err(e) => problem(&mut check, number, format!("not a ledger entry: {e}")),
            Ok(entry) => {
                if entry.prev_sha256 != prev_hash {
                    problem(
                        &mut check,
                        number,
                        format!(
                            "prev_sha256 is {}, but line {} hashes to {prev_hash}: the chain is broken (line {} was changed, removed or reordered)",
                            licet_verifier::jws::quote(&entry.prev_sha256),
                            number - 1,
                            number - 1
                        ),
                    );
                }
                if entry.seq != expected_seq {
                    problem(
                        &mut check,
                        number,
                        format!("seq is {}, expected {expected_seq}", entry.seq),
                    );
                }
                if UnixTime::parse_rfc3339(&entry.time).is_err() {
                    problem(
                        &mut check,
                        number,
                        format!(
                            "time {} is not RFC 3339",
                            licet_verifier::jws::quote(&entry.time)
                        ),
                    );
                }
                let is_hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
                if !is_hex(&entry.file_sha256) {
                    problem(
                        &mut check,
                        number,
                        "file_sha256 is not 64 hex digits".into(),
                    );
                }
                expected_seq = entry.seq.saturating_add(1);
                check.entries.push((number, entry));
            }
        }
        prev_hash = hash;
    }
    check.head_sha256 = prev_hash;
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{"alg":"EdDSA"}` . `{"jti":"L","sub":"ACME"}` . a signature (never checked here).
    const FILE: &[u8] = b"eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJMIiwic3ViIjoiQUNNRSJ9.c2ln\n";

    fn record(id: &str) -> LedgerRecord<'_> {
        LedgerRecord {
            action: LedgerAction::Issue,
            license_id: id,
            customer_id: Some("ACME"),
            kid: "kid-1",
            file: FILE,
        }
    }

    #[test]
    fn license_entries_keep_their_file_and_revocations_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let now = UnixTime::from_secs(1_790_000_000).unwrap();
        let issued = append_to_ledger(&path, &record("L"), now).unwrap();
        assert_eq!(
            issued.token.as_deref().map(str::as_bytes),
            Some(FILE.trim_ascii())
        );
        assert_eq!(
            sha256_hex(issued.token.as_ref().unwrap().as_bytes()),
            issued.file_sha256
        );
        let claims = issued.unverified_claims().expect("claims decode");
        assert_eq!(claims["jti"], "L");
        assert_eq!(claims["sub"], "ACME");
        assert_eq!(issued.unverified_replaces(), None);
        let revoke = LedgerRecord {
            action: LedgerAction::Revoke,
            file: b"not a license at all",
            ..record("L")
        };
        assert_eq!(append_to_ledger(&path, &revoke, now).unwrap().token, None);
        // A license entry whose file is not a license is refused, and nothing is written.
        let before = std::fs::read(&path).unwrap();
        let broken = LedgerRecord {
            file: b"header.payload.signature",
            ..record("X")
        };
        let err = append_to_ledger(&path, &broken, now).unwrap_err();
        assert!(
            err.to_string().contains("ledger entry X is not a license"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // Old entries (without the file) still read back, and the chain of both kinds is intact.
        let old = r#"{"seq":3,"time":"2026-11-23T10:00:00Z","action":"issue","license_id":"O","customer_id":null,"kid":"k","file_sha256":"0000000000000000000000000000000000000000000000000000000000000000","prev_sha256":"P"}"#;
        let text = String::from_utf8(before).unwrap();
        let head = verify_ledger(text.as_bytes()).head_sha256;
        let with_old = format!("{text}{}\n", old.replace('P', &head));
        let check = verify_ledger(with_old.as_bytes());
        assert!(check.is_intact(), "{:?}", check.problems);
        assert_eq!(check.entries[2].1.token, None);
        // An entry too long to be read back is refused before it is written.
        use base64::Engine as _;
        let huge = format!(
            "eyJhbGciOiJFZERTQSJ9.{}.c2ln",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("{{\"jti\":\"{}\"}}", "x".repeat(300 * 1024)))
        );
        let before = std::fs::read(&path).unwrap();
        let long = LedgerRecord {
            file: huge.as_bytes(),
            ..record("H")
        };
        assert!(matches!(
            append_to_ledger(&path, &long, now),
            Err(LedgerError::TooLong { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn appends_chain_and_tampering_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let now = UnixTime::from_secs(1_790_000_000).unwrap();
        for id in ["L-1", "L-2", "L-3"] {
            append_to_ledger(&path, &record(id), now).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        let check = verify_ledger(&bytes);
        assert!(check.is_intact(), "{:?}", check.problems);
        assert_eq!((check.lines, check.entries.len()), (3, 3));
        assert_eq!(check.entries[0].1.prev_sha256, GENESIS_SHA256);
        assert_eq!(
            check.entries[0].1.file_sha256,
            sha256_hex(FILE.trim_ascii())
        );
        // Change the customer of line 2: line 3's prev_sha256 no longer matches.
        let text = String::from_utf8(bytes).unwrap();
        let tampered = text.replacen("\"customer_id\":\"ACME\"", "\"customer_id\":\"EVIL\"", 2);
        let tampered = tampered.replacen("\"customer_id\":\"EVIL\"", "\"customer_id\":\"ACME\"", 1);
        let check = verify_ledger(tampered.as_bytes());
        assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
        assert_eq!(check.problems[0].line, 3);
        assert!(check.problems[0].message.contains("chain is broken"));
        // A torn last line is refused for appending.
        std::fs::write(&path, &text.as_bytes()[..text.len() - 5]).unwrap();
        assert!(matches!(
            append_to_ledger(&path, &record("L-4"), now),
            Err(LedgerError::Broken { .. })
        ));
    }
}
