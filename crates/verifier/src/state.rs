//! The verifier's state directory: what it must remember between checks on an isolated machine
//! (the latest trustworthy time seen, every revocation list seen and the highest sequence number
//! per signing key, pending time-attestation requests) and, for offline activation, the pending
//! requests and installed licenses.
//!
//! Format versions: 1 (licet 0.1: the mark and the sequence numbers) is read and upgraded in place
//! on the next save; 2 adds the lists themselves, the state's id and the clock requests; 3 adds
//! the trust store (the key rollover statements accepted). A state of a version this licet does
//! not know is refused with an error that says so.
//!
//! Every file is written atomically (a temporary file in the same directory, synced, then
//! renamed), and a file that cannot be read or parsed is an error, never a silent reset: a reset
//! would forget exactly what the state exists to remember.

use crate::keys::TrustedKeys;
use crate::revocation::{RevocationError, RevocationList};
use crate::timestamp::UnixTime;
use crate::verify::ClockGuard;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The file, inside the state directory, that holds [`VerifierState`].
pub const STATE_FILE: &str = "state.json";

/// The largest state file read, in bytes (it keeps revocation lists, each at most 8 MiB).
const MAX_STATE_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The state format this licet writes.
pub const STATE_VERSION: u32 = 3;

/// How long a check waits for another one to release the state's lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// What the verifier remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierState {
    /// Format version ([`STATE_VERSION`]; 1 is read and upgraded).
    pub version: u32,
    /// A random id of this state, named in time-attestation requests so that an attestation for
    /// one machine's state cannot be applied to another's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_id: Option<String>,
    /// The latest trustworthy time seen, Unix seconds.
    pub latest_seen: Option<i64>,
    /// The highest revocation-list `seq` seen, per signing key id.
    pub revocation_seq: BTreeMap<String, u64>,
    /// Every verified revocation list seen, as signed (compact JWS), per signing key id: later
    /// checks enforce them all, whether or not a list is given again. A list is dropped only when
    /// a newer one of the same key lists everything it did.
    #[serde(default)]
    pub revocation_lists: BTreeMap<String, Vec<String>>,
    /// Time-attestation requests made and not yet answered.
    #[serde(default)]
    pub clock_requests: Vec<ClockRequestRecord>,
    /// The trust store: every key rollover statement accepted (`licet trust add`), as signed
    /// (compact JWS), in the order accepted. Not keys: the chain is verified again from the
    /// caller's keys on every load, so editing this file can never add a trusted key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollovers: Vec<String>,
    /// Version 1 only (the newest list `iat` of any key); read and dropped: a list is judged
    /// against the lists of its own key only.
    #[serde(default, skip_serializing)]
    pub latest_list_iat: Option<i64>,
}

/// A time-attestation request this state made (`licet clock request`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequestRecord {
    /// The request's nonce; the attestation must carry it.
    pub nonce: String,
    /// The clock when the request was made, Unix seconds.
    pub requested_at: i64,
    /// The state's mark when the request was made: an attestation is refused once the mark has
    /// grown well past it (a kept attestation must not rewind a mark that rose honestly since).
    #[serde(default)]
    pub mark_at_request: Option<i64>,
}

/// Why the state could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The directory or a file in it could not be read or written.
    #[error("the state directory {path}: {problem}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The state file is not what licet writes.
    #[error("the state file {path} is corrupt ({problem}); licet does not reset it, since that would forget what it guards: restore it from a backup, or remove it knowingly")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The state was written by a newer licet.
    #[error("the state file {path} has format version {version}, newer than this licet reads (up to {STATE_VERSION}): use the licet that wrote it, or a newer one")]
    NewerVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        version: u32,
    },
    /// Another check holds the state's lock for longer than the wait allows.
    #[error("the state directory is locked by another check ({path}); waited {waited:?}. If no other licet is running, the lock is held by a stuck process")]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// How long this check waited.
        waited: Duration,
    },
    /// A revocation list older than one already seen.
    #[error("the revocation list has sequence number {offered}, older than sequence number {seen} already seen for key {kid}: an older list cannot replace a newer one")]
    RevocationRollback {
        /// The signing key id.
        kid: String,
        /// The highest seq seen.
        seen: u64,
        /// The list's seq.
        offered: u64,
    },
}

/// The state directory licet uses when none is given: `$XDG_DATA_HOME/licet` on Linux (else
/// `~/.local/share/licet`), the platform's data directory elsewhere.
pub fn default_state_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("licet"))
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> StateError {
    StateError::Io {
        path: path.to_owned(),
        problem: e.to_string(),
    }
}

/// Creates `dir` (and its parents) if it is missing; new directories are private (0700).
pub fn ensure_dir(dir: &Path) -> Result<(), StateError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| match not_a_directory(dir) {
        Some(problem) => io_error(dir, problem),
        None => io_error(dir, e),
    })
}

/// Why `dir` cannot be made, when the reason is a file in its place (or in a parent's): the
/// operating system says only "File exists" or "Not a directory", naming neither which path nor
/// that it is not a directory.
fn not_a_directory(dir: &Path) -> Option<String> {
    let blocking = dir
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .find(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_dir()))?;
    Some(if blocking == dir {
        "it exists and is not a directory".to_owned()
    } else {
        format!("{} exists and is not a directory", blocking.display())
    })
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced, renamed over it,
/// and the directory synced, so a crash leaves the old file or the new one, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_error(dir, e))?;
    temp.write_all(bytes).map_err(|e| io_error(path, e))?;
    temp.as_file().sync_all().map_err(|e| io_error(path, e))?;
    temp.persist(path).map_err(|e| io_error(path, e.error))?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Opens a file for reading only if it is a regular file: a FIFO or a device is refused at once,
/// never read into a hang (on Unix it is opened non-blocking, then checked by its handle, so a
/// file swapped in between cannot slip through).
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::File::options();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "it is not a regular file ({}); licet reads regular files only",
                describe_file_type(kind)
            ),
        ));
    }
    Ok(file)
}

/// Why [`read_regular_capped`] returned nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CappedReadError {
    /// The file could not be opened or read, or is not a regular file ([`open_regular`]).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file holds more than the limit.
    #[error("it is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Reads a whole regular file of at most `limit` bytes: [`open_regular`] (a FIFO or a device is
/// refused, never read into a hang), then at most one byte past the limit, so a larger file is
/// refused without being read whole. What every binding uses to read key and list files.
pub fn read_regular_capped(path: &Path, limit: u64) -> Result<Vec<u8>, CappedReadError> {
    use std::io::Read;
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(CappedReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// A file type as a person names it.
pub fn describe_file_type(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Reads a file of the state that may be missing (`Ok(None)`), capped in size. A file that is not
/// a regular file is an error.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match read_regular_capped(path, MAX_STATE_FILE_BYTES) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(CappedReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(CappedReadError::Io(e)) => Err(io_error(path, e)),
        Err(CappedReadError::TooLarge { .. }) => Err(StateError::Corrupt {
            path: path.to_owned(),
            problem: format!("larger than {MAX_STATE_FILE_BYTES} bytes"),
        }),
    }
}

impl VerifierState {
    /// Reads the state of `dir`; a directory without a state file is a fresh state.
    pub fn load(dir: &Path) -> Result<Self, StateError> {
        let path = dir.join(STATE_FILE);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(VerifierState {
                version: STATE_VERSION,
                ..Default::default()
            });
        };
        // The version first, so that a newer state is named as such rather than as corrupt.
        let version = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
        match version {
            Some(v) if v > u64::from(STATE_VERSION) => {
                return Err(StateError::NewerVersion {
                    path,
                    version: u32::try_from(v).unwrap_or(u32::MAX),
                })
            }
            Some(1..=3) => {}
            other => {
                return Err(StateError::Corrupt {
                    path,
                    problem: match other {
                        Some(v) => format!("version {v} is not one licet writes"),
                        None => "it has no format version".into(),
                    },
                })
            }
        }
        let mut state: VerifierState =
            serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
                path: path.clone(),
                problem: e.to_string(),
            })?;
        // Versions 1 and 2 are upgraded in memory; the next save writes the current version.
        state.version = STATE_VERSION;
        state.latest_list_iat = None;
        if let Some(t) = state.latest_seen {
            UnixTime::from_secs(t).map_err(|e| StateError::Corrupt {
                path: path.clone(),
                problem: format!("latest_seen: {e}"),
            })?;
        }
        Ok(state)
    }

    /// Writes the state into `dir` atomically (creating `dir` if needed), as version
    /// [`STATE_VERSION`].
    pub fn save(&self, dir: &Path) -> Result<(), StateError> {
        ensure_dir(dir)?;
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| io_error(dir, e))?;
        bytes.push(b'\n');
        write_atomically(&dir.join(STATE_FILE), &bytes)
    }

    /// The guard for a check, with `tolerance_secs`.
    pub fn clock_guard(&self, tolerance_secs: u32) -> ClockGuard {
        ClockGuard {
            latest_seen: self
                .latest_seen
                .and_then(|t| UnixTime::from_secs(t).ok())
                .unwrap_or(UnixTime::EPOCH),
            tolerance_secs,
        }
    }

    /// Records a trustworthy time (keeps the latest).
    pub fn observe(&mut self, time: UnixTime) {
        let t = time.as_secs();
        self.latest_seen = Some(self.latest_seen.map_or(t, |seen| seen.max(t)));
    }

    /// Accepts a verified revocation list (`token` is the list as signed): refused if its `seq`
    /// is lower than one already seen from its key, else kept, with its `seq` and `iat`
    /// recorded. Lists of other keys are neither consulted nor replaced. Whether the list is dated
    /// ahead of the clock is the caller's check ([`crate::StatefulVerifier`] makes it), since the
    /// state does not know the time.
    pub fn accept_revocation_list(
        &mut self,
        list: &RevocationList,
        token: &str,
    ) -> Result<(), StateError> {
        let seen = self.revocation_seq.get(&list.kid).copied().unwrap_or(0);
        if list.seq < seen {
            return Err(StateError::RevocationRollback {
                kid: list.kid.clone(),
                seen,
                offered: list.seq,
            });
        }
        let token = token.trim();
        let listed: BTreeSet<String> = list
            .entries
            .iter()
            .map(|e| e.license_id.clone())
            .chain(
                list.revoked_keys
                    .iter()
                    .map(|k| key_entry_name(&k.kid, k.from.as_secs())),
            )
            .collect();
        let kept = self.revocation_lists.entry(list.kid.clone()).or_default();
        if !kept.iter().any(|t| t == token) {
            // Older lists of the key whose every entry (license and key) the new one lists add
            // nothing.
            kept.retain(|old| !entries_of(old).is_some_and(|ids| ids.is_subset(&listed)));
            kept.push(token.to_owned());
        }
        self.revocation_seq
            .insert(list.kid.clone(), list.seq.max(seen));
        self.observe(list.issued_at);
        Ok(())
    }

    /// The revocation lists kept, verified again with `keys`: lists of keys not among `keys` are
    /// kept but not returned (their licenses do not verify with these keys anyway). A kept list
    /// that names a trusted key and does not verify is a corrupt state, never silently dropped.
    pub fn revocation_lists(
        &self,
        dir: &Path,
        keys: &TrustedKeys,
    ) -> Result<Vec<RevocationList>, StateError> {
        let mut lists = Vec::new();
        for (kid, tokens) in &self.revocation_lists {
            // Lists of keys these callers do not trust are kept, not judged: another product
            // sharing the state may trust them.
            if !keys.iter().any(|k| k.kid() == kid) {
                continue;
            }
            for token in tokens {
                // Whether a list may revoke a key depends on the rollovers of the keys the caller
                // trusts, which may differ from the check that kept it: a key entry it may not
                // make now is dropped, and its other entries are still enforced.
                match crate::revocation::verify_with_governance(
                    token.as_bytes(),
                    keys,
                    crate::revocation::Governance::DropEntry,
                ) {
                    Ok(list) if &list.kid == kid => lists.push(list),
                    Err(RevocationError::Jws(crate::jws::JwsError::UnknownKey(_))) => {}
                    Ok(_) | Err(_) => {
                        return Err(StateError::Corrupt {
                            path: dir.join(STATE_FILE),
                            problem: format!(
                                "a revocation list kept for key {kid} does not verify with it"
                            ),
                        })
                    }
                }
            }
        }
        Ok(lists)
    }

    /// This state's id, made (random, 128 bits) if it has none yet.
    pub fn ensure_id(&mut self) -> Result<String, StateError> {
        if let Some(id) = &self.state_id {
            return Ok(id.clone());
        }
        let mut bytes = [0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| StateError::Io {
            path: PathBuf::from(STATE_FILE),
            problem: "the system random number generator failed".into(),
        })?;
        let id = hex::encode(bytes);
        self.state_id = Some(id.clone());
        Ok(id)
    }

    /// Takes the state directory's lock (`state.lock`, created if missing) for a load, change and
    /// save, so two checks at once cannot lose each other's updates; waits at most
    /// [`DEFAULT_LOCK_TIMEOUT`]. Released when dropped.
    pub fn lock(dir: &Path) -> Result<std::fs::File, StateError> {
        Self::lock_within(dir, DEFAULT_LOCK_TIMEOUT)
    }

    /// [`VerifierState::lock`], waiting at most `timeout` for another holder ([`StateError::Busy`]
    /// after it). The lock file is never followed through a symbolic link.
    pub fn lock_within(dir: &Path, timeout: Duration) -> Result<std::fs::File, StateError> {
        ensure_dir(dir)?;
        lock_file(&dir.join("state.lock"), timeout)
    }
}

/// Takes an exclusive lock on the lock file `path` (created if missing), waiting at most
/// `timeout` ([`StateError::Busy`] after it). The lock file is never followed through a symbolic
/// link, and must be a regular file. Released when the returned file is dropped.
pub fn lock_file(path: &Path, timeout: Duration) -> Result<std::fs::File, StateError> {
    let mut options = std::fs::File::options();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let file = options.open(path).map_err(|e| {
        let refused_link =
            std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if refused_link {
            io_error(
                path,
                "it is a symbolic link; licet does not follow a lock file through links",
            )
        } else {
            io_error(path, e)
        }
    })?;
    let kind = file.metadata().map_err(|e| io_error(path, e))?.file_type();
    if !kind.is_file() {
        return Err(io_error(
            path,
            format!("it is {}, not a regular file", describe_file_type(kind)),
        ));
    }
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StateError::Busy {
                    path: path.to_owned(),
                    waited: started.elapsed(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error(path, e)),
        }
    }
}

/// The license ids and revoked keys a kept list names, read without verifying (only to tell
/// whether a newer list covers it; what is enforced is verified in
/// [`VerifierState::revocation_lists`]).
fn entries_of(token: &str) -> Option<BTreeSet<String>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let mut names: BTreeSet<String> = claims
        .get("revoked")?
        .as_array()?
        .iter()
        .map(|e| e.get("jti").and_then(|j| j.as_str()).map(str::to_owned))
        .collect::<Option<_>>()?;
    if let Some(keys) = claims.get("revoked_keys") {
        for key in keys.as_array()? {
            let kid = key.get("kid")?.as_str()?;
            let from = key.get("from")?.as_i64()?;
            names.insert(key_entry_name(kid, from));
        }
    }
    Some(names)
}

/// How a revoked key is named among a list's entries when lists are compared (no license id
/// contains a NUL, so it cannot collide with one).
fn key_entry_name(kid: &str, from: i64) -> String {
    format!("\0key {kid} {from}")
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_capped_read_takes_the_limit_and_refuses_one_byte_more_or_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.pem");
        std::fs::write(&path, vec![b'k'; 10]).unwrap();
        assert_eq!(read_regular_capped(&path, 10).unwrap().len(), 10);
        assert!(matches!(
            read_regular_capped(&path, 9),
            Err(CappedReadError::TooLarge { limit: 9 })
        ));
        assert!(matches!(
            read_regular_capped(dir.path(), 10),
            Err(CappedReadError::Io(_))
        ));
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo");
            let status = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(status.success());
            let error = read_regular_capped(&fifo, 10).unwrap_err().to_string();
            assert!(error.contains("a FIFO"), "{error}");
        }
    }
    use super::*;

    fn list(seq: u64, kid: &str) -> RevocationList {
        RevocationList::new(
            seq,
            UnixTime::from_secs(1_790_000_000 + seq as i64).unwrap(),
            None,
            vec![],
            kid.into(),
        )
        .unwrap()
    }

    #[test]
    fn a_state_directory_that_is_a_file_is_named_as_such() {
        let base = tempfile::tempdir().unwrap();
        let file = base.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let err = ensure_dir(&file).unwrap_err();
        assert!(matches!(&err, StateError::Io { path, .. } if *path == file));
        assert_eq!(
            err.to_string(),
            format!(
                "the state directory {}: it exists and is not a directory",
                file.display()
            )
        );
        // A file where a parent directory should be: that file is named.
        let below = file.join("state");
        let err = ensure_dir(&below).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the state directory {}: {} exists and is not a directory",
                below.display(),
                file.display()
            )
        );
        // A directory, existing or not, is made or kept as before.
        ensure_dir(base.path()).unwrap();
        ensure_dir(&base.path().join("new/deeper")).unwrap();
        assert!(base.path().join("new/deeper").is_dir());
    }

    #[test]
    fn state_round_trips_and_refuses_older_lists_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = VerifierState::load(dir.path()).unwrap();
        assert_eq!(state.latest_seen, None);
        state.accept_revocation_list(&list(5, "k1"), "t5").unwrap();
        state.accept_revocation_list(&list(5, "k1"), "t5").unwrap(); // the same list again is fine
        state.accept_revocation_list(&list(6, "k2"), "t6").unwrap();
        state.save(dir.path()).unwrap();
        let mut back = VerifierState::load(dir.path()).unwrap();
        assert_eq!(back, state);
        assert_eq!(back.latest_seen, Some(1_790_000_006));
        let err = back
            .accept_revocation_list(&list(4, "k1"), "t4")
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("sequence number 4") && text.contains("sequence number 5"));
    }

    #[test]
    fn lists_of_other_keys_neither_block_nor_replace_each_other() {
        let mut state = VerifierState::default();
        state
            .accept_revocation_list(&list(9, "old-key"), "a")
            .unwrap(); // iat ...009
        state
            .accept_revocation_list(&list(10, "new-key"), "b")
            .unwrap(); // iat ...010
                       // The old key's list again after the new key's: merged, not refused (rotation).
        state
            .accept_revocation_list(&list(9, "old-key"), "a")
            .unwrap();
        assert_eq!(state.revocation_lists["old-key"], ["a"]);
        assert_eq!(state.revocation_lists["new-key"], ["b"]);
    }

    #[test]
    fn a_version_1_state_is_upgraded_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(STATE_FILE),
            br#"{"version":1,"latest_seen":1790000000,"revocation_seq":{"k":3},"latest_list_iat":1790000000}"#,
        )
        .unwrap();
        let state = VerifierState::load(dir.path()).unwrap();
        assert_eq!(
            (state.version, state.latest_seen),
            (STATE_VERSION, Some(1_790_000_000))
        );
        state.save(dir.path()).unwrap();
        let written = std::fs::read_to_string(dir.path().join(STATE_FILE)).unwrap();
        assert!(
            written.contains("\"version\": 3") && !written.contains("latest_list_iat"),
            "{written}"
        );
        std::fs::write(
            dir.path().join(STATE_FILE),
            br#"{"version":4,"future":true}"#,
        )
        .unwrap();
        let err = VerifierState::load(dir.path()).unwrap_err();
        assert!(
            matches!(err, StateError::NewerVersion { version: 4, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("newer than this licet reads"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_state_file_or_a_linked_lock_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(STATE_FILE);
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let started = std::time::Instant::now();
        let err = VerifierState::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("a FIFO"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2), "no hang");
        let other = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(
            other.path().join("elsewhere"),
            other.path().join("state.lock"),
        )
        .unwrap();
        let err = VerifierState::lock(other.path()).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(
            !other.path().join("elsewhere").exists(),
            "the link was not followed"
        );
    }

    #[test]
    fn waiting_for_the_lock_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let _held = VerifierState::lock(dir.path()).unwrap();
        let started = std::time::Instant::now();
        let err = VerifierState::lock_within(dir.path(), Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, StateError::Busy { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_corrupt_state_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            &b"{\"version\":1,"[..],
            b"[]",
            b"{\"version\":0}",
            b"{\"version\":1,\"x\":1}",
        ] {
            std::fs::write(dir.path().join(STATE_FILE), bad).unwrap();
            let err = VerifierState::load(dir.path()).unwrap_err();
            assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
        }
    }

    #[test]
    fn the_clock_guard_uses_the_latest_time_seen() {
        let mut state = VerifierState::default();
        state.observe(UnixTime::from_secs(10_000).unwrap());
        state.observe(UnixTime::from_secs(5_000).unwrap());
        let guard = state.clock_guard(3600);
        assert!(guard
            .check(UnixTime::from_secs(6_400).unwrap(), None)
            .is_ok());
        let err = guard
            .check(UnixTime::from_secs(6_399).unwrap(), None)
            .unwrap_err();
        assert!(err.contains("set back"), "{err}");
    }
}
