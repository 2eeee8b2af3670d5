//! Several `licet serve` replicas on one PostgreSQL database behave as one server (issue 14 §1):
//! seats, races, shared rate limits, one set of keys, a replica killed mid-stream; and the CLI on
//! PostgreSQL (passwords never on the command line, TLS to the database, no database made or
//! migrated by accident).
//!
//! Needs a PostgreSQL cluster: `LICET_TEST_POSTGRES_URL` (a superuser URL), with
//! `LICET_TEST_POSTGRES_CA` and `LICET_TEST_POSTGRES_PASSWORD_FILE`, as `scripts/postgres start
//! DIR` writes them to DIR/env; scripts/test starts one. Without it these tests fail, naming how
//! to start one: they are never skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, licet_bin};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The test cluster, from the environment.
struct Cluster {
    /// The superuser URL, password included (a test setting).
    admin_url: String,
    ca: PathBuf,
    password_file: PathBuf,
}

fn cluster() -> Cluster {
    let need = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: these tests need PostgreSQL. Start a throwaway cluster with `bash scripts/postgres start /tmp/licet-pg` and `set -a; . /tmp/licet-pg/env; set +a` (scripts/test does this itself)"
            )
        })
    };
    Cluster {
        admin_url: need("LICET_TEST_POSTGRES_URL"),
        ca: need("LICET_TEST_POSTGRES_CA").into(),
        password_file: need("LICET_TEST_POSTGRES_PASSWORD_FILE").into(),
    }
}

impl Cluster {
    /// `host:port` of the cluster.
    fn address(&self) -> String {
        let rest = self.admin_url.split_once('@').unwrap().1;
        rest.split_once('/').unwrap().0.to_owned()
    }

    /// The superuser URL of `database` (password included: for psql in the tests only).
    fn admin_url_of(&self, database: &str) -> String {
        let base = self.admin_url.rsplit_once('/').unwrap().0;
        format!("{base}/{database}")
    }

    /// A new empty database; its URL without a password (licet gets that from a file).
    fn new_database(&self) -> (String, String) {
        let name = format!(
            "licet_e2e_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        (format!("postgres://licet@{}/{name}", self.address()), name)
    }

    /// One SQL statement through psql; its output, unaligned.
    fn psql(&self, database: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                &self.admin_url_of(database),
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
                sql,
            ])
            .output()
            .expect("psql (Debian's postgresql-client) runs");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A vendor's site: keys, a database on the cluster with licet's tables, a token.
struct Site {
    dir: tempfile::TempDir,
    cluster: Cluster,
    url: String,
    name: String,
}

impl Site {
    fn new() -> Site {
        let cluster = cluster();
        let dir = tempfile::tempdir().unwrap();
        let (url, name) = cluster.new_database();
        let site = Site {
            dir,
            cluster,
            url,
            name,
        };
        for (alg, out) in [("rs256", "api"), ("ed25519", "vendor")] {
            site.ok(&["keygen", "--alg", alg, "--out", out]);
        }
        site.ok(&[
            "db",
            "init",
            &site.url,
            "--db-password-file",
            site.password(),
        ]);
        site
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn password(&self) -> &str {
        self.cluster.password_file.to_str().unwrap()
    }

    /// Runs licet in the site's directory; exit code, stdout, stderr.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = licet()
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs licet and expects exit 0; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.run(args);
        assert_eq!(code, 0, "licet {args:?}: {stderr}");
        stdout
    }

    fn license_key(&self, seats: u32) -> String {
        self.ok(&[
            "license-key",
            "create",
            "--db",
            &self.url,
            "--db-password-file",
            self.password(),
            "--customer",
            "ACME",
            "--max-activations",
            &seats.to_string(),
        ])
        .trim()
        .to_owned()
    }

    /// Seats stored for every key, read by psql (not through licet).
    fn seats(&self) -> i64 {
        self.cluster
            .psql(&self.name, "SELECT COUNT(*) FROM activations")
            .parse()
            .unwrap()
    }

    /// A replica: `licet serve` on this site's database with the site's keys.
    fn replica(&self, extra: &[&str]) -> Replica {
        let log_name = format!("serve-{}.log", NEXT.fetch_add(1, Ordering::SeqCst));
        let log = std::fs::File::create(self.path(&log_name)).unwrap();
        let mut child = Command::new(licet_bin())
            .current_dir(self.dir.path())
            .args([
                "serve",
                "--db",
                &self.url,
                "--db-password-file",
                self.password(),
            ])
            .args(["--listen", "127.0.0.1:0", "--signing-key", "api.key.pem"])
            .args(["--license-signing-key", "vendor.key.pem"])
            .args(["--master-key-file", "licet-master.key"])
            .args(["--trust", "vendor.pub.pem"])
            .args(extra)
            .env_remove("LICET_DB_URL")
            .env("LICET_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "unexpected first line {line:?}: {}",
                    std::fs::read_to_string(self.path(&log_name)).unwrap_or_default()
                )
            })
            .to_owned();
        Replica { child, base }
    }
}

struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rate limits out of the way of a test that is about seats (one client, one key, many calls).
const UNLIMITED: &[&str] = &[
    "--rate-limit-per-ip",
    "1000000",
    "--rate-limit-per-key",
    "1000000",
];

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build()
}

/// POST a JSON body; the status (0: no answer) and the JSON answer.
fn post(agent: &ureq::Agent, url: &str, body: Value) -> (u16, Value) {
    match agent.post(url).send_json(body) {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(_) => (0, Value::Null),
    }
}

fn machine(n: u32) -> String {
    format!("{n:064x}")
}

fn activate(agent: &ureq::Agent, base: &str, key: &str, n: u32) -> u16 {
    post(
        agent,
        &format!("{base}/license/activate"),
        json!({"license_key": key, "machine_id": machine(n)}),
    )
    .0
}

fn deactivate(agent: &ureq::Agent, base: &str, key: &str, n: u32) -> u16 {
    post(
        agent,
        &format!("{base}/license/deactivate"),
        json!({"license_key": key, "machine_id": machine(n)}),
    )
    .0
}

/// 200 concurrent activations of distinct machines, spread over 3 replicas, against a 5-seat
/// key: exactly 5 succeed. Then frees and takes race over the replicas: the stored count always
/// equals the seats granted minus the seats freed, and never passes 5.
#[test]
fn two_hundred_activations_over_three_replicas_take_exactly_five_seats() {
    let site = Site::new();
    // Whatever the database's default isolation, seat transactions run READ COMMITTED: under
    // REPEATABLE READ a count after the key's lock would miss a seat committed meanwhile.
    site.cluster.psql(
        "postgres",
        &format!(
            "ALTER DATABASE {} SET default_transaction_isolation = 'repeatable read'",
            site.name
        ),
    );
    let key = site.license_key(5);
    let replicas: Vec<Replica> = (0..3).map(|_| site.replica(UNLIMITED)).collect();
    let bases: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();
    let granted = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..200u32)
        .map(|n| {
            let (base, key, granted) =
                (bases[n as usize % 3].clone(), key.clone(), granted.clone());
            std::thread::spawn(move || {
                let status = activate(&agent(), &base, &key, n);
                if status == 200 {
                    granted.lock().unwrap().push(n);
                }
                status
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for thread in threads {
        *statuses.entry(thread.join().unwrap()).or_insert(0) += 1;
    }
    assert_eq!(
        statuses,
        std::collections::BTreeMap::from([(200, 5), (409, 195)]),
        "exactly the 5 seats, whichever replica answered"
    );
    assert_eq!(site.seats(), 5);

    // Races: the 5 holders free their seats while 40 newcomers try to take one, through every
    // replica at once.
    let holders = granted.lock().unwrap().clone();
    let freed = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let taken = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let mut threads = Vec::new();
    for (i, n) in holders.iter().copied().enumerate() {
        let (base, key, freed) = (bases[i % 3].clone(), key.clone(), freed.clone());
        threads.push(std::thread::spawn(move || {
            if deactivate(&agent(), &base, &key, n) == 200 {
                freed.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for n in 1_000..1_040u32 {
        let (base, key, taken) = (bases[n as usize % 3].clone(), key.clone(), taken.clone());
        threads.push(std::thread::spawn(move || {
            if activate(&agent(), &base, &key, n) == 200 {
                taken.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for thread in threads {
        thread.join().unwrap();
    }
    let (freed, taken) = (freed.load(Ordering::SeqCst), taken.load(Ordering::SeqCst));
    assert_eq!(freed, 5, "every holder freed its seat");
    let stored = site.seats();
    assert_eq!(
        stored,
        5 - freed + taken,
        "the count matches what was answered"
    );
    assert!(stored <= 5, "{stored} seats of a 5-seat key");
    // Whatever the race left free is there to take, exactly, and no more.
    let agent = agent();
    let late: usize = (2_000..2_010u32)
        .filter(|n| activate(&agent, &bases[*n as usize % 3], &key, *n) == 200)
        .count();
    assert_eq!(late as i64, 5 - stored, "the seats the race left free");
    assert_eq!(site.seats(), 5);
}

/// A client's allowance is one allowance, however many replicas it spreads its requests over:
/// with `--rate-limit-per-ip 12`, 30 requests over 3 replicas get 12 answers and 18 refusals
/// (each replica counting alone would have answered all 30).
#[test]
fn rate_limits_are_shared_by_the_replicas() {
    let site = Site::new();
    let replicas: Vec<Replica> = (0..3)
        .map(|_| site.replica(&["--rate-limit-per-ip", "12"]))
        .collect();
    let agent = agent();
    let mut answered = 0;
    let mut refused = 0;
    for i in 0..30 {
        let url = format!("{}/license/public-key", replicas[i % 3].base);
        match agent.get(&url).call() {
            Ok(_) => answered += 1,
            Err(ureq::Error::Status(429, r)) => {
                assert_eq!(r.header("x-ratelimit-limit"), Some("12"));
                assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
                refused += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((answered, refused), (12, 18));
}

/// Every replica is given the same keys, so a seat license from any of them verifies with the
/// one vendor public key, and a certificate uploaded through one is opened by another (a replica
/// with another master key refuses to start). On PostgreSQL no key is ever generated beside the
/// database: a replica without `--signing-key` or `--master-key-file` is refused.
#[test]
fn every_replica_signs_with_the_same_keys() {
    let site = Site::new();
    let key = site.license_key(3);
    let a = site.replica(&[]);
    let b = site.replica(&[]);
    for (n, replica) in [(1, &a), (2, &b)] {
        let (status, body) = post(
            &agent(),
            &format!("{}/license/activate", replica.base),
            json!({"license_key": key, "machine_id": machine(n)}),
        );
        assert_eq!(status, 200, "{body}");
        let file = body["data"]["license_file"]
            .as_str()
            .or_else(|| body["data"]["license"].as_str())
            .unwrap_or_else(|| panic!("no license file in {body}"))
            .to_owned();
        let name = format!("seat-{n}.lic");
        std::fs::write(site.path(&name), file).unwrap();
        let report = site.ok(&[
            "verify",
            &name,
            "--pubkey",
            "vendor.pub.pem",
            "--machine",
            &machine(n),
            "--json",
        ]);
        let report: Value = serde_json::from_str(&report).unwrap();
        assert_eq!(report["status"], "ACTIVE", "{report}");
    }
    // Keys are never generated for a replica.
    for missing in ["--signing-key", "--master-key-file"] {
        let mut args = vec![
            "serve".to_owned(),
            "--db".into(),
            site.url.clone(),
            "--db-password-file".into(),
            site.password().into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ];
        for (flag, value) in [
            ("--signing-key", "api.key.pem"),
            ("--master-key-file", "licet-master.key"),
        ] {
            if flag != missing {
                args.extend([flag.to_owned(), value.to_owned()]);
            }
        }
        let (code, _, stderr) = site.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(missing) && stderr.contains("every replica"),
            "{stderr}"
        );
    }
    // A replica given another key than the others: refused before it listens, naming which.
    site.ok(&["keygen", "--alg", "rs256", "--out", "other-api"]);
    site.ok(&["keygen", "--alg", "ed25519", "--out", "other-vendor"]);
    for (flag, file, named) in [
        (
            "--signing-key",
            "other-api.key.pem",
            "response-signing key (--signing-key)",
        ),
        (
            "--license-signing-key",
            "other-vendor.key.pem",
            "seat-license signing key (--license-signing-key)",
        ),
        // A master key file that does not exist on this host is made, and then refused.
        (
            "--master-key-file",
            "other-master.key",
            "master key (--master-key-file)",
        ),
    ] {
        let mut args = vec![
            "serve",
            "--db",
            &site.url,
            "--db-password-file",
            site.password(),
            "--listen",
            "127.0.0.1:0",
        ];
        for (given, default) in [
            ("--signing-key", "api.key.pem"),
            ("--license-signing-key", "vendor.key.pem"),
            ("--master-key-file", "licet-master.key"),
        ] {
            args.extend([given, if given == flag { file } else { default }]);
        }
        let (code, _, stderr) = site.run(&args);
        assert_eq!(code, 2, "{flag}: {stderr}");
        assert!(
            stderr.contains(named) && stderr.contains("not the one the other replicas"),
            "{flag}: {stderr}"
        );
    }
    // A certificate sealed through one replica and opened through another: tested against
    // both backends in crates/server/tests/certificates.rs.
    drop((a, b));
}

/// kill -9 of one replica while two take activations: every activation that was answered 200
/// is stored, and the survivor goes on answering.
#[test]
fn a_replica_killed_mid_stream_loses_no_acknowledged_activation() {
    let site = Site::new();
    let key = site.license_key(100_000);
    let mut doomed = site.replica(UNLIMITED);
    let survivor = site.replica(UNLIMITED);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let survivor_answers_after_kill = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for (lane, base) in [(0u32, doomed.base.clone()), (1, survivor.base.clone())] {
        for worker in 0..4u32 {
            let (base, key) = (base.clone(), key.clone());
            let (acknowledged, stop, killed) = (acknowledged.clone(), stop.clone(), killed.clone());
            let after = survivor_answers_after_kill.clone();
            threads.push(std::thread::spawn(move || {
                let agent = agent();
                let mut n = (lane * 8 + worker) * 1_000_000;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    if activate(&agent, &base, &key, n) == 200 {
                        acknowledged.lock().unwrap().push(n);
                        if lane == 1 && killed.load(Ordering::SeqCst) {
                            after.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            }));
        }
    }
    std::thread::sleep(Duration::from_millis(1_500));
    let before_kill = acknowledged.lock().unwrap().len();
    doomed.child.kill().unwrap(); // SIGKILL
    doomed.child.wait().unwrap();
    killed.store(true, Ordering::SeqCst);
    let started = Instant::now();
    while survivor_answers_after_kill.load(Ordering::SeqCst) < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the survivor stopped answering after the kill"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::SeqCst);
    for thread in threads {
        thread.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        before_kill > 20,
        "only {before_kill} activations before the kill"
    );
    let stored: std::collections::HashSet<String> = site
        .cluster
        .psql(&site.name, "SELECT machine_id FROM activations")
        .lines()
        .map(str::to_owned)
        .collect();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|n| !stored.contains(&machine(**n)))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged activations were lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
    eprintln!(
        "{} acknowledged ({} before the kill), {} stored",
        acknowledged.len(),
        before_kill,
        stored.len()
    );
}

/// The CLI on PostgreSQL: a password on the command line is refused (LICET_DB_URL or a file);
/// a database without licet's tables is never migrated by accident; TLS to the database with
/// sslmode=verify-full checks the server's certificate.
#[test]
fn the_cli_on_postgres_keeps_passwords_off_the_command_line_and_checks_tls() {
    let cluster = cluster();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: Option<&str>| {
        let mut command = licet();
        command.current_dir(dir.path()).args(args);
        if let Some(url) = env {
            command.env("LICET_DB_URL", url);
        }
        let out = command.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (url, name) = cluster.new_database();
    let password = std::fs::read_to_string(&cluster.password_file).unwrap();
    let password = password.trim();
    let with_password = url.replacen("licet@", &format!("licet:{password}@"), 1);
    let pw_file = cluster.password_file.to_str().unwrap();

    // A password in --db or in db init's URL: refused, and never printed.
    for args in [
        vec!["token", "list", "--db", &with_password],
        vec!["db", "init", &with_password],
    ] {
        let (code, _, stderr) = run(&args, None);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("carries a password"), "{stderr}");
        assert!(
            !stderr.contains(password),
            "the password was printed: {stderr}"
        );
    }
    // No tables yet: opening is refused (never migrated by accident), and nothing was made.
    let (code, _, stderr) = run(
        &["token", "list", "--db", &url, "--db-password-file", pw_file],
        None,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("holds no licet tables") && stderr.contains("licet db init"),
        "{stderr}"
    );
    assert_eq!(
        cluster.psql(&name, "SELECT to_regclass('_sqlx_migrations') IS NULL"),
        "t"
    );
    // LICET_DB_URL may carry the password (the environment is the process's own).
    let (code, stdout, stderr) = run(&["db", "init", "--json"], Some(&with_password));
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["created"], true, "{report}");
    assert!(
        !stdout.contains(password),
        "the password was printed: {stdout}"
    );
    assert_eq!(report["url"], with_password.replace(password, "***"));
    let (code, stdout, stderr) = run(&["db", "init", "--json"], Some(&with_password));
    assert_eq!(code, 0, "{stderr}");
    let again: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (again["created"].clone(), again["migrationsApplied"].clone()),
        (json!(false), json!(0))
    );
    // A wrong password file: the connection fails and says so.
    let wrong = dir.path().join("wrong.pw");
    std::fs::write(&wrong, "not-the-password\n").unwrap();
    let (code, _, stderr) = run(
        &[
            "token",
            "list",
            "--db",
            &url,
            "--db-password-file",
            wrong.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        code, 2,
        "a world-readable password file is refused first: {stderr}"
    );
    assert!(stderr.contains("--db-password-file"), "{stderr}");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, _, stderr) = run(
        &[
            "token",
            "list",
            "--db",
            &url,
            "--db-password-file",
            wrong.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );

    // TLS, checked: verify-full with the cluster's CA connects; with another CA it fails.
    let tls = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        cluster.ca.display()
    );
    let (code, stdout, stderr) = run(
        &[
            "token",
            "list",
            "--db",
            &tls,
            "--db-password-file",
            pw_file,
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), json!([]));
    let other_ca = dir.path().join("other-ca.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=not the CA",
        ])
        .args(["-keyout", dir.path().join("other-ca.key").to_str().unwrap()])
        .args(["-out", other_ca.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(made.status.success());
    let wrong_ca = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        other_ca.display()
    );
    let (code, _, stderr) = run(
        &[
            "token",
            "list",
            "--db",
            &wrong_ca,
            "--db-password-file",
            pw_file,
        ],
        None,
    );
    assert_eq!(
        code, 2,
        "a server whose certificate the CA did not sign is refused: {stderr}"
    );
    assert!(!stderr.contains(password), "{stderr}");
}
