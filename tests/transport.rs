//! `licet serve` against hostile and ordinary clients on the wire (issue 10 §3): TLS with curl and
//! openssl, the header timeout, the connection bound, 401 before any body, `--trusted-proxy`,
//! dual-stack addresses, private key files and databases never created by accident.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, licet_bin, new_db};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `licet serve` with exactly these arguments (after `serve --db sqlite://licet.db`).
struct Serve {
    child: Child,
    base: String,
    addr: SocketAddr,
}

impl Serve {
    fn start(dir: &Path, args: &[&str]) -> Serve {
        if !dir.join("licet.db").exists() {
            new_db(dir);
        }
        Serve::start_db(dir, "sqlite://licet.db", args)
    }

    /// `licet serve --db URL` in `dir`, on a database that exists.
    fn start_db(dir: &Path, url: &str, args: &[&str]) -> Serve {
        let mut child = Command::new(licet_bin())
            .current_dir(dir)
            .args(["serve", "--db", url])
            .args(args)
            .env("LICET_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let hostport = base.split("://").nth(1).unwrap();
        let port: u16 = hostport.rsplit(':').next().unwrap().parse().unwrap();
        Serve {
            child,
            base: base.clone(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection; the status and the raw head of the answer.
fn request(addr: SocketAddr, text: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(text.as_bytes()).unwrap();
    read_head(&mut stream)
}

fn read_head(stream: &mut TcpStream) -> (u16, String) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("no answer: {e} (got {:?})", String::from_utf8_lossy(&got)),
        }
    }
    let head = String::from_utf8_lossy(&got).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {head:?}"));
    (status, head)
}

fn get(addr: SocketAddr, path: &str, extra: &str) -> (u16, String) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: licet\r\nConnection: close\r\n{extra}\r\n"),
    )
}

/// Waits until the server closes `stream` (EOF or reset); how long it took, or None within `max`.
fn closed_within(stream: &mut TcpStream, max: Duration) -> Option<Duration> {
    let started = Instant::now();
    stream.set_read_timeout(Some(max)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None
            }
            Err(_) => return Some(started.elapsed()),
        }
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn run(tool: &str, dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(tool)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{tool} is required here: {e}"));
    out
}

/// A P-256 server certificate for 127.0.0.1 and localhost (made with `openssl req`), key 0600.
fn make_certificate(dir: &Path) {
    let out = run(
        "openssl",
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "tls.key.pem",
            "-out",
            "tls.crt.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    chmod(&dir.join("tls.key.pem"), 0o600);
}

fn curl(dir: &Path, url: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        "tls.crt.pem",
        "-o",
        "/dev/null",
    ];
    args.extend_from_slice(&["-w", "%{http_version} %{http_code}"]);
    args.extend_from_slice(extra);
    args.push(url);
    let out = run("curl", dir, &args);
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn tls_serves_http1_and_http2_from_pem_and_pkcs12() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_certificate(d);
    let server = Serve::start(
        d,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "tls.crt.pem",
            "--tls-key",
            "tls.key.pem",
        ],
    );
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let url = format!("{}/license/public-key", server.base);
    assert_eq!(curl(d, &url, &["--http1.1"]), "1.1 200");
    assert_eq!(curl(d, &url, &["--http2"]), "2 200");
    // Behind TLS the console's session cookie is Secure and `__Host-` prefixed (docs/CONSOLE.md).
    let token = common::new_token(d, "ops", "manage-license-keys");
    let body = format!("{{\"token\": \"{token}\"}}");
    let session_url = format!("{}/console/session", server.base);
    let signed_in = run(
        "curl",
        d,
        &[
            "-sS",
            "--max-time",
            "10",
            "--cacert",
            "tls.crt.pem",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-H",
            "content-type: application/json",
            "--data",
            &body,
            &session_url,
        ],
    );
    let head = String::from_utf8_lossy(&signed_in.stdout).to_lowercase();
    let cookie = head
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {head}"));
    assert!(
        cookie.starts_with("set-cookie: __host-licet_session=") && cookie.contains("; secure"),
        "{cookie}"
    );
    // openssl s_client negotiates h2 by ALPN, and http/1.1 when it offers only that.
    let connect = server.addr.to_string();
    for (offer, expected) in [
        ("h2", "ALPN protocol: h2"),
        ("http/1.1", "ALPN protocol: http/1.1"),
    ] {
        let out = run(
            "openssl",
            d,
            &[
                "s_client",
                "-connect",
                &connect,
                "-alpn",
                offer,
                "-CAfile",
                "tls.crt.pem",
            ],
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(expected), "{offer}: {text}");
        assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    }
    // Plain HTTP on the TLS port gets no answer.
    let mut plain = TcpStream::connect(server.addr).unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(closed_within(&mut plain, Duration::from_secs(5)).is_some());
    drop(server);

    // The same identity in a PKCS#12 file with a passphrase.
    let out = run(
        "openssl",
        d,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "tls.key.pem",
            "-in",
            "tls.crt.pem",
            "-out",
            "tls.p12",
            "-passout",
            "pass:s3cret",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    chmod(&d.join("tls.p12"), 0o600);
    std::fs::write(d.join("tls-pass.txt"), "s3cret\n").unwrap();
    let server = Serve::start(
        d,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-p12",
            "tls.p12",
            "--tls-passphrase-file",
            "tls-pass.txt",
        ],
    );
    let url = format!("{}/license/public-key", server.base);
    assert_eq!(curl(d, &url, &["--http2"]), "2 200");
    drop(server);

    // A TLS key others can read is refused, with the fix named.
    chmod(&d.join("tls.key.pem"), 0o644);
    let out = licet()
        .current_dir(d)
        .args([
            "serve",
            "--db",
            "sqlite://licet.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--tls-cert", "tls.crt.pem", "--tls-key", "tls.key.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chmod 600 tls.key.pem"), "{stderr}");
}

#[test]
fn connections_without_a_finished_request_head_are_closed_within_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_certificate(d);
    let plain = Serve::start(d, &["--listen", "127.0.0.1:0", "--header-timeout", "1"]);
    let tls = Serve::start(
        d,
        &[
            "--listen",
            "127.0.0.1:0",
            "--header-timeout",
            "1",
            "--tls-cert",
            "tls.crt.pem",
            "--tls-key",
            "tls.key.pem",
        ],
    );
    let cases: [(&str, SocketAddr, &[u8]); 5] = [
        ("silent", plain.addr, b""),
        (
            "a head never finished",
            plain.addr,
            b"GET /license/public-key HTTP/1.1\r\nHost: x\r\n",
        ),
        ("half an HTTP/2 preface", plain.addr, b"PRI * HTTP/2.0\r\n"),
        ("silent on TLS", tls.addr, b""),
        (
            "half a TLS ClientHello",
            tls.addr,
            &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01],
        ),
    ];
    for (name, addr, bytes) in cases {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(bytes).unwrap();
        let closed = closed_within(&mut stream, Duration::from_secs(4));
        assert!(
            closed.is_some_and(|t| t < Duration::from_secs(3)),
            "{name}: not closed within 3 s of a 1 s header timeout ({closed:?})"
        );
    }
    // A slowloris trickling one header byte at a time is closed too.
    let mut stream = TcpStream::connect(plain.addr).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(4) {
        if stream.write_all(b"X").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(closed, "a trickled head kept its connection for 4 s");
    // An idle HTTP/1.1 keep-alive connection is closed after the timeout as well; an answer
    // arrives normally before that.
    let mut stream = TcpStream::connect(plain.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET /license/public-key HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_head(&mut stream).0, 200);
    let closed = closed_within(&mut stream, Duration::from_secs(4));
    assert!(
        closed.is_some(),
        "an idle keep-alive connection stayed open"
    );
}

#[test]
fn idle_and_slow_connections_at_the_bound_do_not_stop_a_fresh_client() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A long header timeout: only the bound can make room here.
    let server = Serve::start(
        d,
        &[
            "--listen",
            "127.0.0.1:0",
            "--header-timeout",
            "60",
            "--max-connections",
            "20",
        ],
    );
    let mut held = Vec::new();
    for i in 0..40 {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        if i % 2 == 1 {
            // Slowloris: a head that never ends.
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
                .unwrap();
        }
        held.push(stream);
        std::thread::sleep(Duration::from_millis(5));
    }
    for round in 0..5 {
        let started = Instant::now();
        let (status, _) = get(server.addr, "/license/public-key", "");
        assert_eq!(status, 200, "round {round}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "round {round}: a fresh client waited {:?} behind idle connections",
            started.elapsed()
        );
    }
    // The bound held: the oldest idle connections were closed to make room.
    let closed = held
        .iter_mut()
        .take(20)
        .map(|s| closed_within(s, Duration::from_millis(200)).is_some())
        .filter(|closed| *closed)
        .count();
    assert!(
        closed >= 15,
        "only {closed} of the 20 oldest connections were closed"
    );
}

#[test]
fn token_routes_answer_401_before_reading_any_body() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Serve::start(d, &["--listen", "127.0.0.1:0"]);
    let (status, head) = get(server.addr, "/api/openapi.json", "");
    assert_eq!(status, 200, "{head}");
    let doc: serde_json::Value = ureq::get(&format!("{}/api/openapi.json", server.base))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("security").is_some() {
                let path = path.replace(['{', '}'], "x");
                operations.push((method.to_uppercase(), path));
            }
        }
    }
    // A route nobody has written yet under /api/v1/ is covered too.
    operations.push(("POST".into(), "/api/v1/not-yet-a-route".into()));
    assert!(operations.len() >= 10, "{operations:?}");
    for (method, path) in operations {
        let started = Instant::now();
        let (status, head) = request(
            server.addr,
            &format!(
                "{method} {path} HTTP/1.1\r\nHost: licet\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n"
            ),
        );
        assert_eq!(status, 401, "{method} {path}: {head}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{method} {path}: the 401 waited for the body ({:?})",
            started.elapsed()
        );
    }
}

fn remaining(head: &str) -> u32 {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-ratelimit-remaining")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("no X-RateLimit-Remaining in {head}"))
}

#[test]
fn forwarding_headers_count_only_from_trusted_proxies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // An untrusted peer: a new X-Forwarded-For on every request is still one client.
    let server = Serve::start(d, &["--listen", "127.0.0.1:0", "--rate-limit-per-ip", "3"]);
    let mut seen = Vec::new();
    for i in 0..4 {
        let (status, head) = get(
            server.addr,
            "/license/public-key",
            &format!("X-Forwarded-For: 198.51.100.{i}\r\nForwarded: for=198.51.100.{i}\r\n"),
        );
        seen.push(status);
        if i == 0 {
            assert_eq!(remaining(&head), 2);
        }
    }
    assert_eq!(
        seen,
        [200, 200, 200, 429],
        "spoofed headers changed the bucket"
    );
    drop(server);

    // Behind a trusted proxy (this host): each forwarded client has a bucket of its own, and
    // the client's own fake entry at the left of the list changes nothing.
    let server = Serve::start(
        d,
        &[
            "--listen",
            "127.0.0.1:0",
            "--rate-limit-per-ip",
            "3",
            "--trusted-proxy",
            "127.0.0.1/32",
        ],
    );
    for i in 0..4 {
        let (status, head) = get(
            server.addr,
            "/license/public-key",
            &format!("X-Forwarded-For: 10.9.9.9, 198.51.100.{i}\r\n"),
        );
        assert_eq!(status, 200, "client {i}");
        assert_eq!(remaining(&head), 2, "client {i} has a bucket of its own");
    }
    let statuses: Vec<u16> = (0..3)
        .map(|i| {
            get(
                server.addr,
                "/license/public-key",
                &format!("X-Forwarded-For: 10.0.0.{i}, 198.51.100.0\r\n"),
            )
            .0
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429], "198.51.100.0 is one client");
    // The proxy sent no header: the proxy itself is the client.
    assert_eq!(remaining(&get(server.addr, "/license/public-key", "").1), 2);
}

#[test]
fn an_ipv4_client_of_a_dual_stack_listener_is_counted_by_its_ipv4_address() {
    if TcpStream::connect("[::1]:9").is_err() && std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Serve::start(d, &["--listen", "[::]:0", "--rate-limit-per-ip", "2"]);
    let v4 = server.addr;
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, v4.port()));
    // 127.0.0.1 arrives as ::ffff:127.0.0.1; counted per /64 it would share ::/64 with ::1.
    assert_eq!(get(v4, "/license/public-key", "").0, 200);
    assert_eq!(get(v4, "/license/public-key", "").0, 200);
    assert_eq!(get(v4, "/license/public-key", "").0, 429);
    let (status, head) = get(v6, "/license/public-key", "");
    assert_eq!(status, 200, "::1 was counted with 127.0.0.1: {head}");
}

#[test]
fn databases_are_created_only_by_db_init_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    // (`activation respond` opens its --db with the same function, after reading its request.)
    let commands: [&[&str]; 3] = [
        &["serve", "--listen", "127.0.0.1:0"],
        &["token", "create", "--user", "u", "--permission", "all"],
        &[
            "license-key",
            "create",
            "--customer",
            "C",
            "--max-activations",
            "1",
        ],
    ];
    for command in commands {
        let out = licet()
            .current_dir(d)
            .args(command)
            .args(["--db", "sqlite://typo.db"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("does not exist") && stderr.contains("licet db init sqlite://typo.db"),
            "{command:?}: {stderr}"
        );
        assert!(
            !d.join("typo.db").exists(),
            "{command:?} created the database"
        );
    }
    for (url, named) in [
        (
            "postgres://licet:hunter2@db/licet",
            "carries a password, which every user of this machine can read",
        ),
        ("mysql://db/licet", "MySQL is not supported"),
        ("foo:bar", "scheme `foo:` is not supported"),
        ("licet.db", "sqlite://licet.db"),
    ] {
        for command in [&["db", "init", url][..], &["serve", "--db", url][..]] {
            let out = licet().current_dir(d).args(command).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
            assert!(stderr.contains(named), "{command:?}: {stderr}");
            assert!(
                !stderr.contains("hunter2"),
                "the password was printed: {stderr}"
            );
        }
    }
    // db init creates it 0600; a second run only migrates and says so.
    let out = licet()
        .current_dir(d)
        .args(["db", "init", "sqlite://licet.db", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["created"], true);
    assert!(report["migrationsApplied"].as_u64().unwrap() >= 1);
    assert_eq!(mode(&d.join("licet.db")), 0o600);
    licet()
        .current_dir(d)
        .args(["db", "init", "sqlite://licet.db"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "already exists and is up to date",
        ));
    // The server's writes go to the -wal file, which takes the database's mode.
    let server = Serve::start(d, &["--listen", "127.0.0.1:0"]);
    licet()
        .current_dir(d)
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "u",
            "--permission",
            "all",
        ])
        .assert()
        .success();
    for name in [
        "licet.db",
        "licet.db-wal",
        "licet.db-shm",
        "licet-signing.key.pem",
        "licet-master.key",
    ] {
        assert_eq!(mode(&d.join(name)), 0o600, "{name}");
    }
    drop(server);
}

#[test]
fn serve_refuses_an_in_memory_database_and_percent_encoded_paths_name_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Every key, seat and token would vanish when the server stops.
    for url in ["sqlite::memory:", "sqlite://x.db?mode=memory"] {
        let out = licet()
            .current_dir(d)
            .args(["serve", "--db", url, "--listen", "127.0.0.1:0"])
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains("needs a database file"), "{url}: {stderr}");
    }
    // SQLite percent-decodes the path: `db init` creates, checks and keys the same file that
    // the server opens ("my db.db"), with the generated keys beside it.
    std::fs::create_dir(d.join("state dir")).unwrap();
    let url = "sqlite://state%20dir/my%20db.db";
    licet()
        .current_dir(d)
        .args(["db", "init", url])
        .assert()
        .success();
    assert_eq!(mode(&d.join("state dir/my db.db")), 0o600);
    assert!(!d.join("state%20dir").exists());
    let server = Serve::start_db(d, url, &["--listen", "127.0.0.1:0"]);
    let (status, _) = get(server.addr, "/healthz", "");
    assert_eq!(status, 200);
    drop(server);
    assert_eq!(mode(&d.join("state dir/licet-signing.key.pem")), 0o600);
}

#[test]
fn key_files_others_can_read_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    new_db(d);
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "rs256", "--out", "api"])
        .assert()
        .success();
    let serve = |extra: &[&str]| {
        let out = licet()
            .current_dir(d)
            .args([
                "serve",
                "--db",
                "sqlite://licet.db",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .timeout(Duration::from_secs(5))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    chmod(&d.join("api.key.pem"), 0o644);
    let (code, stderr) = serve(&["--signing-key", "api.key.pem"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("chmod 600 api.key.pem"), "{stderr}");
    // The generated key and the master key beside the database, once made, likewise.
    drop(Serve::start(d, &["--listen", "127.0.0.1:0"]));
    for name in ["licet-signing.key.pem", "licet-master.key"] {
        chmod(&d.join(name), 0o640);
        let (code, stderr) = serve(&[]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("chmod 600 ./{name}"))
                || stderr.contains(&format!("chmod 600 {name}")),
            "{name}: {stderr}"
        );
        chmod(&d.join(name), 0o600);
    }
}

#[test]
fn a_wrong_master_key_is_a_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    new_db(d);
    let out = licet()
        .current_dir(d)
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "u",
        ])
        .args(["--permission", "manage-certificates"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let server = Serve::start(d, &["--listen", "127.0.0.1:0"]);
    let department: serde_json::Value = ureq::post(&format!("{}/api/v1/departments", server.base))
        .set("X-Auth-Token", &token)
        .send_json(serde_json::json!({"name": "ops"}))
        .unwrap()
        .into_json()
        .unwrap();
    let p12 = common::repo("fixtures/pkcs12/openssl3-rsa2048.p12");
    let pass =
        std::fs::read_to_string(common::repo("fixtures/pkcs12/openssl3-rsa2048.pass")).unwrap();
    let out = run(
        "curl",
        d,
        &[
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &format!("X-Auth-Token: {token}"),
            "-F",
            &format!("certificateFile=@{};filename=signing.p12", p12.display()),
            "-F",
            &format!("passkey={}", pass.trim_end_matches(['\r', '\n'])),
            "-F",
            &format!(
                "departmentId={}",
                department["data"]["id"].as_str().unwrap()
            ),
            &format!("{}/api/v1/certificates", server.base),
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "201",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
    // Another 32-byte key in the master key's place: refused before listening, and named.
    std::fs::write(d.join("licet-master.key"), [7u8; 32]).unwrap();
    let out = licet()
        .current_dir(d)
        .args([
            "serve",
            "--db",
            "sqlite://licet.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("does not open the private keys sealed in the database"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "it listened: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn one_address_cannot_hold_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Serve::start(
        d,
        &[
            "--listen",
            "127.0.0.1:0",
            "--header-timeout",
            "60",
            "--max-connections",
            "20",
            "--max-connections-per-ip",
            "5",
        ],
    );
    // 127.0.0.1 holds five connections with requests in progress (slow bodies, never closed to
    // make room) and tries for more.
    let mut held = Vec::new();
    for _ in 0..12 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        let _ = s.write_all(
            b"POST /license/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        );
        held.push(s);
        std::thread::sleep(Duration::from_millis(20));
    }
    let closed = held
        .iter_mut()
        .map(|s| closed_within(s, Duration::from_millis(300)).is_some())
        .filter(|c| *c)
        .count();
    assert_eq!(
        closed, 7,
        "connections over the per-address bound of 5 are closed at once"
    );
    // Another address (127.0.0.2 is loopback too) is served at once.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .unwrap();
    socket
        .connect_timeout(&server.addr.into(), Duration::from_secs(2))
        .unwrap();
    let mut other: TcpStream = socket.into();
    other
        .write_all(b"GET /license/public-key HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (status, _) = read_head(&mut other);
    assert_eq!(status, 200);
}
