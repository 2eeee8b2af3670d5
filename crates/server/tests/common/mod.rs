//! The database every test of this crate runs on: SQLite by default, PostgreSQL when
//! `LICET_TEST_BACKEND=postgres` (scripts/test runs the suite both ways). One suite, two backends:
//! each test gets a database of its own, on either.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Each test binary uses a part.

use licet_server::store::Store;
use licet_server::{Backend, PgOptions, PgStore, SqliteStore};
use std::sync::Arc;

/// A fresh, migrated database for one test.
pub struct TestDb {
    /// The store on it.
    pub store: Arc<dyn Store>,
    /// Its URL (for opening a second store on the same database).
    pub url: String,
    sqlite: Option<SqliteStore>,
    postgres: Option<PgStore>,
}

/// The backend this run tests: `LICET_TEST_BACKEND` (`sqlite`, the default, or `postgres`).
pub fn backend() -> Backend {
    match std::env::var("LICET_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("LICET_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// A new database on the backend under test (a SQLite file is `dir/t.db`).
pub async fn test_db_in(dir: &std::path::Path) -> TestDb {
    match backend() {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.join("t.db").display());
            let store = SqliteStore::init(&url).await.unwrap().0;
            TestDb {
                store: Arc::new(store.clone()),
                url,
                sqlite: Some(store),
                postgres: None,
            }
        }
        Backend::Postgres => {
            let url = scratch_postgres_database().await;
            let store = PgStore::init(&url, &PgOptions::default()).await.unwrap().0;
            TestDb {
                store: Arc::new(store.clone()),
                url,
                sqlite: None,
                postgres: Some(store),
            }
        }
    }
}

/// Creates an empty database in the cluster of `LICET_TEST_POSTGRES_URL` (scripts/postgres
/// starts one) and returns its URL.
pub async fn scratch_postgres_database() -> String {
    use sqlx::Connection as _;
    let admin = std::env::var("LICET_TEST_POSTGRES_URL").expect(
        "LICET_TEST_BACKEND=postgres needs LICET_TEST_POSTGRES_URL (start a cluster with `bash scripts/postgres start DIR` and source DIR/env)",
    );
    let name = format!("licet_t_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

impl TestDb {
    /// A second store on the database at `url`, as another replica (or process) opens it.
    pub async fn reopen(url: &str) -> Arc<dyn Store> {
        licet_server::open_store(url, &PgOptions::default())
            .await
            .unwrap()
    }

    /// Runs one SQL statement without parameters (the same text on both backends).
    pub async fn execute(&self, sql: &str) {
        if let Some(store) = &self.sqlite {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        if let Some(store) = &self.postgres {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
    }

    /// The one integer a query without parameters returns.
    pub async fn scalar(&self, sql: &str) -> i64 {
        if let Some(store) = &self.sqlite {
            return sqlx::query_scalar(sql)
                .fetch_one(store.pool())
                .await
                .unwrap();
        }
        let store = self.postgres.as_ref().unwrap();
        sqlx::query_scalar(sql)
            .fetch_one(store.pool())
            .await
            .unwrap()
    }
}
