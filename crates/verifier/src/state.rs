//! The verifier's state directory: what it must remember between checks on an isolated machine
//! (the latest trustworthy time seen, the highest revocation-list sequence per signing key) and,
//! for offline activation, the pending requests and installed licenses.
//!
//! Every file is written atomically (a temporary file in the same directory, synced, then
//! renamed), and a file that cannot be read or parsed is an error, never a silent reset: a reset
//! would forget exactly what the state exists to remember.

use crate::revocation::RevocationList;
use crate::timestamp::UnixTime;
use crate::verify::ClockGuard;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file, inside the state directory, that holds [`VerifierState`].
pub const STATE_FILE: &str = "state.json";

/// The largest state file read, in bytes.
const MAX_STATE_FILE_BYTES: u64 = 1024 * 1024;

/// What the verifier remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierState {
    /// Format version (1).
    pub version: u32,
    /// The latest trustworthy time seen, Unix seconds.
    pub latest_seen: Option<i64>,
    /// The highest revocation-list `seq` seen, per signing key id.
    pub revocation_seq: BTreeMap<String, u64>,
    /// The `iat` of the newest revocation list seen from any key, Unix seconds: a list older than
    /// it is refused even from another trusted key (after a key rotation, the old key's last list
    /// must not stand in for the new key's).
    #[serde(default)]
    pub latest_list_iat: Option<i64>,
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
    /// A revocation list issued before the newest one seen from any key.
    #[error("the revocation list was issued at {offered}, before {seen}, when the newest revocation list already seen was issued: an older list cannot replace a newer one")]
    RevocationListOlder {
        /// When the newest list seen was issued.
        seen: String,
        /// When this list was issued.
        offered: String,
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
    builder.create(dir).map_err(|e| io_error(dir, e))
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

/// Reads a file of the state that may be missing (`Ok(None)`), capped in size.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > MAX_STATE_FILE_BYTES {
        return Err(StateError::Corrupt {
            path: path.to_owned(),
            problem: format!("larger than {MAX_STATE_FILE_BYTES} bytes"),
        });
    }
    Ok(Some(bytes))
}

impl VerifierState {
    /// Reads the state of `dir`; a directory without a state file is a fresh state.
    pub fn load(dir: &Path) -> Result<Self, StateError> {
        let path = dir.join(STATE_FILE);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(VerifierState {
                version: 1,
                ..Default::default()
            });
        };
        let state: VerifierState =
            serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
                path: path.clone(),
                problem: e.to_string(),
            })?;
        if state.version != 1 {
            return Err(StateError::Corrupt {
                path,
                problem: format!("version {} is not one this licet knows (1)", state.version),
            });
        }
        if let Some(t) = state.latest_seen {
            UnixTime::from_secs(t).map_err(|e| StateError::Corrupt {
                path: path.clone(),
                problem: format!("latest_seen: {e}"),
            })?;
        }
        Ok(state)
    }

    /// Writes the state into `dir` atomically (creating `dir` if needed).
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
                .unwrap_or(UnixTime::from_secs(0).unwrap_or_else(|_| UnixTime::now())),
            tolerance_secs,
        }
    }

    /// Records a trustworthy time (keeps the latest).
    pub fn observe(&mut self, time: UnixTime) {
        let t = time.as_secs();
        self.latest_seen = Some(self.latest_seen.map_or(t, |seen| seen.max(t)));
    }

    /// Accepts a verified revocation list: refused if an older one than already seen, else its
    /// `seq` and `iat` are recorded.
    pub fn accept_revocation_list(&mut self, list: &RevocationList) -> Result<(), StateError> {
        let seen = self.revocation_seq.get(&list.kid).copied().unwrap_or(0);
        if list.seq < seen {
            return Err(StateError::RevocationRollback {
                kid: list.kid.clone(),
                seen,
                offered: list.seq,
            });
        }
        let iat = list.issued_at.as_secs();
        if let Some(newest) = self.latest_list_iat.filter(|&newest| iat < newest) {
            let time = |t: i64| UnixTime::from_secs(t).map_or(t.to_string(), |t| t.to_rfc3339());
            return Err(StateError::RevocationListOlder {
                seen: time(newest),
                offered: time(iat),
            });
        }
        self.revocation_seq.insert(list.kid.clone(), list.seq);
        self.latest_list_iat = Some(self.latest_list_iat.map_or(iat, |t| t.max(iat)));
        self.observe(list.issued_at);
        Ok(())
    }

    /// Takes the state directory's lock (`state.lock`, created if missing) for a load, change and
    /// save, so two checks at once cannot lose each other's updates. Released when dropped.
    pub fn lock(dir: &Path) -> Result<std::fs::File, StateError> {
        ensure_dir(dir)?;
        let path = dir.join("state.lock");
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        file.lock().map_err(|e| io_error(&path, e))?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
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
    fn state_round_trips_and_refuses_older_lists_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = VerifierState::load(dir.path()).unwrap();
        assert_eq!(state.latest_seen, None);
        state.accept_revocation_list(&list(5, "k1")).unwrap();
        state.accept_revocation_list(&list(5, "k1")).unwrap(); // the same list again is fine
        state.accept_revocation_list(&list(6, "k2")).unwrap();
        state.save(dir.path()).unwrap();
        let mut back = VerifierState::load(dir.path()).unwrap();
        assert_eq!(back, state);
        assert_eq!(back.latest_seen, Some(1_790_000_006));
        let err = back.accept_revocation_list(&list(4, "k1")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("sequence number 4") && text.contains("sequence number 5"));
    }

    #[test]
    fn an_older_list_of_another_key_is_refused_after_a_rotation() {
        let mut state = VerifierState::default();
        state.accept_revocation_list(&list(9, "old-key")).unwrap(); // iat ...009
        state.accept_revocation_list(&list(10, "new-key")).unwrap(); // iat ...010
        let err = state
            .accept_revocation_list(&list(9, "old-key"))
            .unwrap_err();
        assert!(
            matches!(err, StateError::RevocationListOlder { .. }),
            "{err}"
        );
    }

    #[test]
    fn a_corrupt_state_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            &b"{\"version\":1,"[..],
            b"[]",
            b"{\"version\":2}",
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
