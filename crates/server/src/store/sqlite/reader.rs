//! The hot read of `POST /license/validate` on the calling thread.
//!
//! sqlx runs every SQLite statement on a worker thread of its own and sends the rows back over
//! a channel: two thread wake-ups per query, which on the benchmark machine cost more than the
//! query itself (about 55 µs of CPU per validate against a few µs for the read; measured in
//! docs/PERFORMANCE.md). [`InlineReader`] runs the one statement a validate needs through
//! rusqlite (the same bundled SQLite as sqlx) on the thread that asks, with connections kept
//! in a small pool.
//!
//! Why this is safe to do inline: in WAL mode a reader never waits for the writer, so the call
//! returns in microseconds. A reader that would have to wait (SQLITE_BUSY, which WAL gives a
//! reader only while another connection recovers the log) does not wait: the caller is told to
//! take the ordinary sqlx path, which waits without holding the thread (any other failure also
//! goes to sqlx, and is logged). Each read is its own transaction, and sees every transaction
//! committed before it began, as sqlx's would. Only a plain `sqlite://PATH` gets a reader: a
//! URL with options (`?mode=ro`, `?vfs=...`, `?immutable=1`) is read through sqlx alone, which
//! applies them. Pooled connections are closed after [`MAX_CONNECTION_AGE`], so a database file
//! replaced under a running server is not read through an old connection for long.

use super::super::{Activation, StoreError};
use super::FIND_SEAT;
use crate::store::rows::{seat_from_columns, Columns};
use crate::store::LicenseKeyRecord;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many idle connections are kept; more are opened when more threads read at once (the
/// tokio workers and the blocking pool bound how many that can be), and closed after use.
const IDLE_CONNECTIONS: usize = 8;

/// The longest a pooled connection is reused.
const MAX_CONNECTION_AGE: Duration = Duration::from_secs(300);

/// Read-only connections to one SQLite file, used on the calling thread.
#[derive(Debug)]
pub(super) struct InlineReader {
    path: PathBuf,
    /// Idle connections with the time each was opened.
    idle: Mutex<Vec<(Connection, Instant)>>,
    /// Set by [`InlineReader::close`]: connections are no longer kept.
    closed: AtomicBool,
}

/// What a validate reads: the key, its seat count and this machine's seat.
pub(super) type Seat = (LicenseKeyRecord, i64, Option<Activation>);

/// A read the reader did not make, and the ordinary path should.
#[derive(Debug)]
pub(super) enum Declined {
    /// SQLite asked the reader to wait.
    Busy,
    /// Any other failure, reported as the store's error.
    Failed(StoreError),
}

impl From<rusqlite::Error> for Declined {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::FileLockingProtocolFailed,
            ) => Declined::Busy,
            _ => Declined::Failed(StoreError(e.to_string())),
        }
    }
}

impl InlineReader {
    /// A reader of the database file at `path` (opened lazily, on first use).
    pub(super) fn new(path: &Path) -> Self {
        InlineReader {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// A new connection, as the pool opens them.
    pub(super) fn connect(&self) -> Result<Connection, Declined> {
        // Read-write open with `query_only`: a read-only open of a WAL database fails when its
        // -shm file has to be created; `query_only` refuses every write all the same.
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // No busy wait: a busy reader hands the read back (see the module docs).
        connection.busy_timeout(Duration::ZERO)?;
        connection.pragma_update(None, "query_only", true)?;
        Ok(connection)
    }

    /// The key with hash `key_sha256`, its seat count and `machine_id`'s seat, in one
    /// statement (one read transaction: key, count and seat agree).
    pub(super) fn find_seat(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
    ) -> Result<Option<Seat>, Declined> {
        let taken = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
        let (connection, opened) = match taken {
            Some((connection, opened)) if opened.elapsed() < MAX_CONNECTION_AGE => {
                (connection, opened)
            }
            _ => (self.connect()?, Instant::now()),
        };
        let found = read_seat(&connection, key_sha256, machine_id);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < IDLE_CONNECTIONS && !self.closed.load(Ordering::Acquire) {
                idle.push((connection, opened));
            }
        }
        found
    }

    /// Closes the idle connections, and each one in use when its read ends.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

fn read_seat(
    connection: &Connection,
    key_sha256: &[u8],
    machine_id: &str,
) -> Result<Option<Seat>, Declined> {
    let mut statement = connection.prepare_cached(FIND_SEAT)?;
    let seat = statement
        .query_row(rusqlite::params![machine_id, key_sha256], |row| {
            Ok(seat_from_columns(&RusqliteColumns(row), machine_id))
        })
        .optional()?;
    seat.transpose().map_err(Declined::Failed)
}

/// A rusqlite row as [`Columns`].
struct RusqliteColumns<'a, 'b>(&'a rusqlite::Row<'b>);

impl RusqliteColumns<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, name: &str) -> Result<T, StoreError> {
        self.0
            .get(name)
            .map_err(|e| StoreError(format!("column {name}: {e}")))
    }
}

impl Columns for RusqliteColumns<'_, '_> {
    fn int(&self, name: &str) -> Result<i64, StoreError> {
        self.get(name)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.get(name)
    }
    fn text(&self, name: &str) -> Result<String, StoreError> {
        self.get(name)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.get(name)
    }
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        self.get(name)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(name)
    }
    fn flag(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.get::<i64>(name)? != 0)
    }
}
