//! The lease database (SQLite in the relay's directory): the leases out now, the clock floor,
//! and the hash-chained lease log. Only the relay's writer thread opens it for writing; every
//! change is committed (synchronous=FULL, so on disk) before any answer that depends on it.

use crate::error::RelayError;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The schema version this relay writes.
pub const SCHEMA_VERSION: i64 = 1;

/// The hash before the first log entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLease {
    /// The pool license id.
    pub pool: String,
    /// The machine (64 hex).
    pub machine_id: String,
    /// The lease id.
    pub lease_id: String,
    /// When first granted (Unix seconds).
    pub granted_at: i64,
    /// When it ends unless renewed (Unix seconds).
    pub expires_at: i64,
    /// Given back by its machine: no longer renewed, but still counted until its last token
    /// expires (that token stays valid offline until then).
    pub released: bool,
}

/// What happened to a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaseEvent {
    /// A new lease.
    Grant,
    /// A lease renewed by its machine.
    Renew,
    /// A lease given back.
    Release,
    /// A lease that was not renewed in time.
    Expire,
}

impl LeaseEvent {
    fn as_str(self) -> &'static str {
        match self {
            LeaseEvent::Grant => "grant",
            LeaseEvent::Renew => "renew",
            LeaseEvent::Release => "release",
            LeaseEvent::Expire => "expire",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "grant" => LeaseEvent::Grant,
            "renew" => LeaseEvent::Renew,
            "release" => LeaseEvent::Release,
            "expire" => LeaseEvent::Expire,
            _ => return None,
        })
    }
}

/// One entry of the lease log. Its hash covers the previous entry's hash and this entry's
/// canonical JSON (these fields in this order), so no entry can be changed, dropped or inserted
/// without breaking every later hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// 1, 2, 3, ...
    pub seq: i64,
    /// When (Unix seconds, the relay's clock).
    pub at: i64,
    /// What.
    pub event: LeaseEvent,
    /// The pool license id.
    pub pool: String,
    /// The machine.
    pub machine_id: String,
    /// The lease.
    pub lease_id: String,
    /// The lease's end after this event (grant and renew); null for release and expire.
    pub expires_at: Option<i64>,
}

impl LogEntry {
    /// This entry's hash after `prev` (hex SHA-256).
    pub fn hash_after(&self, prev: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev.as_bytes());
        hasher.update(b"\n");
        hasher.update(serde_json::to_vec(self).unwrap_or_default());
        hex::encode(hasher.finalize())
    }
}

/// The log's last entry: its sequence number and hash ([`GENESIS_HASH`] and 0 when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogHead {
    /// The last entry's `seq`.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// A usage report as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReport {
    /// Its number.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
    /// Its period's end.
    pub period_end: i64,
    /// The lease log's length it named.
    pub log_seq: i64,
}

/// See [`Store::report_inputs`].
#[derive(Debug, Clone)]
pub struct ReportInputs {
    /// The clock floor.
    pub floor: i64,
    /// The last report recorded, if any.
    pub last: Option<RecordedReport>,
    /// The whole lease log, its chain checked.
    pub entries: Vec<LogEntry>,
    /// The log's head.
    pub head: LogHead,
    /// The log's entry at the last report's head (seq 0 and the genesis hash when there is no
    /// report or it named an empty log); `None` when the log no longer has that entry.
    pub at_last: Option<LogHead>,
}

/// The open database.
pub struct Store {
    path: PathBuf,
    conn: Connection,
}

impl Store {
    /// Opens (creating when missing) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, RelayError> {
        let fail = |e: rusqlite::Error| RelayError::Database(path.to_path_buf(), e.to_string());
        create_private(path)
            .map_err(|e| RelayError::Database(path.to_path_buf(), e.to_string()))?;
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS leases (
                 pool TEXT NOT NULL, machine_id TEXT NOT NULL, lease_id TEXT NOT NULL,
                 granted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
                 released INTEGER NOT NULL DEFAULT 0,
                 PRIMARY KEY (pool, machine_id));
             CREATE TABLE IF NOT EXISTS lease_log (
                 seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, event TEXT NOT NULL,
                 pool TEXT NOT NULL, machine_id TEXT NOT NULL, lease_id TEXT NOT NULL,
                 expires_at INTEGER, prev TEXT NOT NULL, hash TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS reports (
                 seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, period_start INTEGER NOT NULL,
                 period_end INTEGER NOT NULL, log_seq INTEGER NOT NULL, token TEXT);",
        )
        .map_err(fail)?;
        // The first relays made the reports table without `token` (and never wrote to it).
        let has_token: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('reports') WHERE name = 'token'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(fail)?
            > 0;
        if !has_token {
            conn.execute_batch("ALTER TABLE reports ADD COLUMN token TEXT")
                .map_err(fail)?;
        }
        let store = Store {
            path: path.to_path_buf(),
            conn,
        };
        match store.meta("schema_version")? {
            None => store.set_meta_now("schema_version", &SCHEMA_VERSION.to_string())?,
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => {
                return Err(RelayError::Database(
                    path.to_path_buf(),
                    format!("has schema version {v}, and this licet knows {SCHEMA_VERSION}: use the licet that wrote it, or a newer one"),
                ))
            }
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self) -> impl Fn(rusqlite::Error) -> RelayError + '_ {
        move |e| RelayError::Database(self.path.clone(), e.to_string())
    }

    fn meta(&self, name: &str) -> Result<Option<String>, RelayError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.fail())
    }

    fn set_meta_now(&self, name: &str, value: &str) -> Result<(), RelayError> {
        self.conn
            .execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map(|_| ())
            .map_err(self.fail())
    }

    /// The relay key this database belongs to, recorded on first start: a database is never
    /// served with another key.
    pub fn bind_relay_kid(&self, kid: &str) -> Result<(), RelayError> {
        match self.meta("relay_kid")? {
            None => self.set_meta_now("relay_kid", kid),
            Some(k) if k == kid => Ok(()),
            Some(k) => Err(RelayError::Database(
                self.path.clone(),
                format!("belongs to relay key {k}, not {kid}: the directory's key was replaced"),
            )),
        }
    }

    /// The clock floor: the latest time the relay has acted at (Unix seconds; 0 when new).
    pub fn clock_floor(&self) -> Result<i64, RelayError> {
        Ok(self
            .meta("clock_floor")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Every lease out.
    pub fn leases(&self) -> Result<Vec<StoredLease>, RelayError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT pool, machine_id, lease_id, granted_at, expires_at, released FROM leases",
            )
            .map_err(self.fail())?;
        let rows = statement
            .query_map([], |r| {
                Ok(StoredLease {
                    pool: r.get(0)?,
                    machine_id: r.get(1)?,
                    lease_id: r.get(2)?,
                    granted_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    released: r.get::<_, i64>(5)? != 0,
                })
            })
            .map_err(self.fail())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.fail())
    }

    /// The log's head.
    pub fn log_head(&self) -> Result<LogHead, RelayError> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, hash FROM lease_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(LogHead {
                        seq: r.get(0)?,
                        hash: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(self.fail())?
            .unwrap_or(LogHead {
                seq: 0,
                hash: GENESIS_HASH.into(),
            }))
    }

    /// Reads the whole log and checks its chain; the first broken link is an error naming it.
    pub fn verified_log(&self) -> Result<Vec<LogEntry>, RelayError> {
        let mut statement = self
            .conn
            .prepare("SELECT seq, at, event, pool, machine_id, lease_id, expires_at, prev, hash FROM lease_log ORDER BY seq")
            .map_err(self.fail())?;
        let rows = statement
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })
            .map_err(self.fail())?;
        let mut prev = GENESIS_HASH.to_owned();
        let mut entries = Vec::new();
        for row in rows {
            let (seq, at, event, pool, machine_id, lease_id, expires_at, stored_prev, hash) =
                row.map_err(self.fail())?;
            let broken = |why: String| {
                RelayError::Database(
                    self.path.clone(),
                    format!("the lease log is broken at entry {seq}: {why}"),
                )
            };
            let event = LeaseEvent::parse(&event)
                .ok_or_else(|| broken(format!("unknown event `{event}`")))?;
            if seq != entries.len() as i64 + 1 {
                return Err(broken(format!("entry {} is missing", entries.len() + 1)));
            }
            let entry = LogEntry {
                seq,
                at,
                event,
                pool,
                machine_id,
                lease_id,
                expires_at,
            };
            if stored_prev != prev || entry.hash_after(&prev) != hash {
                return Err(broken(
                    "its hash does not follow from the entries before it (the log was edited)"
                        .into(),
                ));
            }
            prev = hash;
            entries.push(entry);
        }
        Ok(entries)
    }

    /// The last usage report recorded.
    pub fn last_report(&self) -> Result<Option<RecordedReport>, RelayError> {
        self.conn
            .query_row(
                "SELECT seq, hash, period_end, log_seq FROM reports ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(RecordedReport {
                        seq: r.get(0)?,
                        hash: r.get(1)?,
                        period_end: r.get(2)?,
                        log_seq: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(self.fail())
    }

    /// What a usage report is made of, read in one transaction (one snapshot of the database,
    /// while the relay may be writing): the clock floor, the last report, the whole log (its
    /// chain checked), and the log's hash at the last report's head.
    pub fn report_inputs(&self) -> Result<ReportInputs, RelayError> {
        let tx = self.conn.unchecked_transaction().map_err(self.fail())?;
        let floor = self.clock_floor()?;
        let last = self.last_report()?;
        let entries = self.verified_log()?;
        let head = self.log_head()?;
        let at_last = match &last {
            Some(report) if report.log_seq > 0 => self
                .conn
                .query_row(
                    "SELECT hash FROM lease_log WHERE seq = ?1",
                    [report.log_seq],
                    |r| r.get::<_, String>(0),
                )
                .optional()
                .map_err(self.fail())?
                .map(|hash| LogHead {
                    seq: report.log_seq,
                    hash,
                }),
            _ => Some(LogHead {
                seq: 0,
                hash: GENESIS_HASH.into(),
            }),
        };
        tx.finish().map_err(self.fail())?;
        Ok(ReportInputs {
            floor,
            last,
            entries,
            head,
            at_last,
        })
    }

    /// Records a usage report (with its whole text) before it is handed out; `seq` is the
    /// primary key, so two reports with one number cannot both be recorded.
    pub fn record_report(
        &self,
        seq: i64,
        hash: &str,
        period: (i64, i64),
        log_seq: i64,
        token: &str,
    ) -> Result<(), RelayError> {
        self.conn
            .execute(
                "INSERT INTO reports (seq, hash, period_start, period_end, log_seq, token) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![seq, hash, period.0, period.1, log_seq, token],
            )
            .map(|_| ())
            .map_err(self.fail())
    }

    /// The text of report `seq`, if recorded.
    pub fn report_token(&self, seq: i64) -> Result<Option<String>, RelayError> {
        self.conn
            .query_row("SELECT token FROM reports WHERE seq = ?1", [seq], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(self.fail())
    }

    /// Starts a write: the changes of one batch, committed together.
    pub fn begin(&mut self) -> Result<Batch<'_>, RelayError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| RelayError::Database(path.clone(), e.to_string()))?;
        Ok(Batch { path, tx })
    }
}

/// Creates the database file readable by its owner only (mode 0600), when it is missing: the
/// lease log names machines, and SQLite gives its `-wal` and `-shm` files the database's mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// One batch of changes in a transaction; dropped without [`Batch::commit`], nothing happened.
pub struct Batch<'a> {
    path: PathBuf,
    tx: Transaction<'a>,
}

impl Batch<'_> {
    fn fail(&self) -> impl Fn(rusqlite::Error) -> RelayError + '_ {
        move |e| RelayError::Database(self.path.clone(), e.to_string())
    }

    /// Inserts or replaces a lease.
    pub fn put_lease(&self, lease: &StoredLease) -> Result<(), RelayError> {
        self.tx
            .prepare_cached(
                "INSERT INTO leases (pool, machine_id, lease_id, granted_at, expires_at, released) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(pool, machine_id) DO UPDATE SET lease_id = excluded.lease_id, granted_at = excluded.granted_at, expires_at = excluded.expires_at, released = excluded.released",
            )
            .and_then(|mut s| {
                s.execute(params![
                    lease.pool,
                    lease.machine_id,
                    lease.lease_id,
                    lease.granted_at,
                    lease.expires_at,
                    i64::from(lease.released)
                ])
            })
            .map(|_| ())
            .map_err(self.fail())
    }

    /// Deletes a lease.
    pub fn delete_lease(&self, pool: &str, machine_id: &str) -> Result<(), RelayError> {
        self.tx
            .prepare_cached("DELETE FROM leases WHERE pool = ?1 AND machine_id = ?2")
            .and_then(|mut s| s.execute(params![pool, machine_id]))
            .map(|_| ())
            .map_err(self.fail())
    }

    /// Appends `entry` after `prev` and returns its hash.
    pub fn append_log(&self, entry: &LogEntry, prev: &str) -> Result<String, RelayError> {
        let hash = entry.hash_after(prev);
        self.tx
            .prepare_cached(
                "INSERT INTO lease_log (seq, at, event, pool, machine_id, lease_id, expires_at, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    entry.seq,
                    entry.at,
                    entry.event.as_str(),
                    entry.pool,
                    entry.machine_id,
                    entry.lease_id,
                    entry.expires_at,
                    prev,
                    hash
                ])
            })
            .map_err(self.fail())?;
        Ok(hash)
    }

    /// Raises the clock floor to `at`.
    pub fn set_clock_floor(&self, at: i64) -> Result<(), RelayError> {
        self.tx
            .prepare_cached(
                "INSERT INTO meta (name, value) VALUES ('clock_floor', ?1) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute([at.to_string()]))
            .map(|_| ())
            .map_err(self.fail())
    }

    /// Makes the batch durable.
    pub fn commit(self) -> Result<(), RelayError> {
        let path = self.path;
        self.tx
            .commit()
            .map_err(|e| RelayError::Database(path, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64) -> LogEntry {
        LogEntry {
            seq,
            at: 100 + seq,
            event: LeaseEvent::Grant,
            pool: "P".into(),
            machine_id: "m".into(),
            lease_id: format!("l{seq}"),
            expires_at: Some(1000),
        }
    }

    #[test]
    fn the_log_chain_detects_edits_and_gaps() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let mut store = Store::open(&path).expect("open");
        let mut prev = GENESIS_HASH.to_owned();
        let batch = store.begin().expect("begin");
        for seq in 1..=3 {
            prev = batch.append_log(&entry(seq), &prev).expect("append");
        }
        batch.commit().expect("commit");
        assert_eq!(store.verified_log().expect("intact").len(), 3);
        assert_eq!(
            store.log_head().expect("head"),
            LogHead { seq: 3, hash: prev }
        );

        let edit = Connection::open(&path).expect("open");
        edit.execute(
            "UPDATE lease_log SET machine_id = 'other' WHERE seq = 2",
            [],
        )
        .expect("edit");
        let e = store.verified_log().expect_err("edited");
        assert!(e.to_string().contains("entry 2"), "{e}");
        edit.execute("DELETE FROM lease_log WHERE seq = 2", [])
            .expect("drop");
        let e = store.verified_log().expect_err("gap");
        assert!(e.to_string().contains("entry 2 is missing"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_database_and_its_wal_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let mut store = Store::open(&path).expect("open");
        let batch = store.begin().expect("begin");
        batch.append_log(&entry(1), GENESIS_HASH).expect("append");
        batch.commit().expect("commit");
        for name in ["relay.db", "relay.db-wal"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .expect(name)
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{name} has mode {mode:o}");
        }
    }

    #[test]
    fn a_database_of_another_key_or_schema_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let store = Store::open(&path).expect("open");
        store.bind_relay_kid("A").expect("bind");
        store.bind_relay_kid("A").expect("same key");
        assert!(store.bind_relay_kid("B").is_err());
        store.set_meta_now("schema_version", "99").expect("set");
        drop(store);
        let e = Store::open(&path).err().expect("refused");
        assert!(e.to_string().contains("schema version 99"), "{e}");
    }
}
