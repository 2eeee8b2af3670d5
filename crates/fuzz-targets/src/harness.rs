//! The vendor's side, made once per process: a tokio runtime, a SQLite database on the RAM disk
//! (WAL, as `licet serve` runs it) holding the fixed license key and the fixed API token, and the
//! server's router over it. The `server` target sends requests to the router; the offline
//! targets answer requests and releases with the same store, as `licet activation respond --db`
//! does.
//!
//! The database lives as long as the process (as a server's does), so one input can see what an
//! earlier one stored. Each process has its own database file, named by its process id; files
//! left by processes that are gone are removed when the next one starts.

use crate::fixed;
use licet_server::activation::key_hash;
use licet_server::auth::{token_hash, Permission};
use licet_server::license_keys::key_hint;
use licet_server::ratelimit::RateLimiter;
use licet_server::store::{
    ApiToken, CertStore, Department, KeyChanges, KeyStore, LicenseKeyRecord, Store,
};
use licet_server::{router, AppState, SqliteStore};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The vendor's side, see the module documentation.
pub(crate) struct Harness {
    runtime: tokio::runtime::Runtime,
    /// The database.
    pub store: SqliteStore,
    /// The router, built once (cloned for every request).
    pub app: axum::Router,
}

/// Where the databases go: the RAM disk if there is one.
fn database_dir() -> PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

const DATABASE_PREFIX: &str = "licet-fuzz-server-";

/// Removes the database files of fuzzing processes that are no longer running.
fn remove_stale_databases(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(DATABASE_PREFIX) else {
            continue;
        };
        let pid = rest.split('.').next().unwrap_or("");
        let running = pid
            .parse::<u32>()
            .is_ok_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !running && std::path::Path::new("/proc/self").exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The record of the fixed license key: active, perpetual, a million seats.
fn fixed_key_record() -> LicenseKeyRecord {
    let key = fixed::license_key();
    let mut features = serde_json::Map::new();
    features.insert("seats".into(), 10.into());
    LicenseKeyRecord {
        key_sha256: key_hash(&key),
        id: uuid::Uuid::new_v4().to_string(),
        key_hint: Some(key_hint(&key)),
        customer: fixed::CUSTOMER.into(),
        product: Some(fixed::PRODUCT.into()),
        license_type: "STANDARD".into(),
        features: Some(features),
        max_activations: 1_000_000,
        expires_at: None,
        lease_days: None,
        status: "active".into(),
        owner_name: None,
        owner_email: None,
        created_at: fixed::NOW_SECS,
        updated_at: fixed::NOW_SECS,
    }
}

impl Harness {
    fn new() -> Self {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => panic!("no tokio runtime: {e}"),
        };
        let dir = database_dir();
        remove_stale_databases(&dir);
        let path = dir.join(format!("{DATABASE_PREFIX}{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let url = format!("sqlite://{}", path.display());
        let store = runtime.block_on(async {
            let (store, _) = match SqliteStore::init(&url).await {
                Ok(opened) => opened,
                Err(e) => panic!("the fuzzing database cannot be made: {e}"),
            };
            let record = fixed_key_record();
            if let Err(e) = store.insert_license_key(&record, None).await {
                panic!("the fixed license key cannot be stored: {e}");
            }
            let token = ApiToken {
                id: uuid::Uuid::new_v4().to_string(),
                user_id: fixed::USER.into(),
                token_sha256: token_hash(fixed::TOKEN).to_vec(),
                permissions: Permission::ALL.to_vec(),
                created_at: fixed::NOW_SECS,
                expires_at: None,
                revoked_at: None,
            };
            if let Err(e) = store.insert_token(&token, None).await {
                panic!("the fixed token cannot be stored: {e}");
            }
            let department = Department {
                id: fixed::DEPARTMENT_ID.into(),
                name: "fuzz".into(),
                created_at: fixed::NOW_SECS,
            };
            if let Err(e) = store.insert_department(&department).await {
                panic!("the fixed department cannot be stored: {e}");
            }
            store
        });
        let mut state = AppState::new(
            Arc::new(store.clone()),
            fixed::trusted_keys_owned(),
            fixed::new_rsa_key(),
        );
        state = match state.with_license_key(fixed::new_ed25519_key()) {
            Ok(state) => state,
            Err(e) => panic!("the demo keys cannot take their roles: {e}"),
        };
        state.clock = Arc::new(|| fixed::NOW_SECS);
        // One client sends everything at one fixed time: no window ever ends, so no limit.
        state.rate_limiter = Arc::new(RateLimiter::new(u32::MAX, u32::MAX));
        let app = router(state);
        Harness {
            runtime,
            store,
            app,
        }
    }

    /// Runs `future` to completion on the harness's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Puts the fixed license key back as it was made (an input may have suspended it, changed
    /// its seats or its expiry), so later inputs meet the same key.
    pub fn restore_fixed_key(&self) {
        let record = fixed_key_record();
        let changes = KeyChanges {
            status: Some(record.status),
            lease_days: Some(None),
            features: Some(record.features),
            max_activations: Some(record.max_activations),
            expires_at: Some(None),
            customer: Some(record.customer),
            product: Some(record.product),
            license_type: Some(record.license_type),
        };
        let restored = self.block_on(self.store.update_license_key(
            &record.key_sha256,
            &changes,
            fixed::NOW_SECS,
            None,
        ));
        if let Err(e) = restored {
            panic!("the fixed license key cannot be restored: {e}");
        }
    }
}

/// The harness of this process, made at first use.
pub(crate) fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(Harness::new)
}

/// Held for the whole of one input by every target that uses the harness: libFuzzer runs one
/// input at a time, but `cargo test` replays targets on several threads, and two inputs taking
/// and freeing the same seat at once would see each other's seats.
pub(crate) fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The store as the trait object the server's functions take.
pub(crate) fn store() -> &'static dyn Store {
    &harness().store
}
