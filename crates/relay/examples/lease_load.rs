//! A small load tool for `licet relay serve` (scripts/bench-relay runs it; docs/PERFORMANCE.md
//! has its figures). It holds CONNECTIONS keep-alive HTTP/1.1 connections, each asking for
//! leases for machines of its own one after another: first a grant for each machine, then a
//! renewal for each. It prints the rate and the latency percentiles of each phase, and, in the
//! same run, the two physical limits of a grant on this machine: the raw Ed25519 signing rate
//! (each lease is one signature) and the fsync rate of the relay's disk (each batch of grants is
//! one commit).
//!
//! cargo run --release -p licet-relay --example lease_load -- \
//!     --url http://127.0.0.1:7070 --connections 64 --machines 200 --fsync-dir /tmp/relay
//!
//! The tool runs on one thread (a current-thread runtime), so that it takes one core at most
//! from a relay on the same machine.

use licet_issuer::pool::sign_lease;
use licet_issuer::{KeySpec, SigningKey};
use licet_verifier::lease::LeaseClaims;
use licet_verifier::{MachineId, UnixTime};
use std::io::Write as _;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Settings {
    addr: String,
    connections: usize,
    machines: usize,
    fsync_dir: Option<std::path::PathBuf>,
}

fn settings() -> Result<Settings, String> {
    let mut url = None;
    let mut connections = 64;
    let mut machines = 200;
    let mut fsync_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => url = Some(value()?),
            "--connections" => connections = value()?.parse().map_err(|e| format!("{e}"))?,
            "--machines" => machines = value()?.parse().map_err(|e| format!("{e}"))?,
            "--fsync-dir" => fsync_dir = Some(value()?.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let url = url.ok_or("--url http://HOST:PORT is required")?;
    let addr = url
        .strip_prefix("http://")
        .ok_or("--url must start with http://")?
        .trim_end_matches('/')
        .to_owned();
    if connections == 0 || machines == 0 {
        return Err("--connections and --machines must be at least 1".into());
    }
    Ok(Settings {
        addr,
        connections,
        machines,
        fsync_dir,
    })
}

/// One keep-alive connection.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    host: String,
}

impl Connection {
    async fn open(addr: &str) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: Vec::with_capacity(4096),
            host: addr.to_owned(),
        })
    }

    /// `PUT /v1/leases/{machine}`: the status code.
    async fn put(&mut self, machine: &str) -> Result<u16, String> {
        let request = format!(
            "PUT /v1/leases/{machine} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
            self.host
        );
        self.stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        self.buffer.clear();
        loop {
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the relay closed the connection".into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            let head = match response.parse(&self.buffer).map_err(|e| e.to_string())? {
                httparse::Status::Complete(head) => head,
                httparse::Status::Partial => continue,
            };
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| {
                    std::str::from_utf8(h.value)
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
                .ok_or("a response without Content-Length")?;
            let code = response.code.ok_or("a response without a status")?;
            while self.buffer.len() < head + length {
                let n = self
                    .stream
                    .read(&mut chunk)
                    .await
                    .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("the relay closed the connection mid-answer".into());
                }
                self.buffer.extend_from_slice(&chunk[..n]);
            }
            return Ok(code);
        }
    }
}

/// What one phase measured.
struct Phase {
    name: &'static str,
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    unexpected: Vec<u16>,
}

impl Phase {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }

    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

async fn phase(
    name: &'static str,
    connections: Vec<Connection>,
    machines: usize,
    expect: u16,
) -> Result<(Phase, Vec<Connection>), String> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, mut connection) in connections.into_iter().enumerate() {
        tasks.push(tokio::task::spawn_local(async move {
            let mut latencies = Vec::with_capacity(machines);
            let mut unexpected = Vec::new();
            for n in 0..machines {
                let machine = format!("{:064x}", ((index as u64) << 32) | n as u64);
                let sent = Instant::now();
                let code = connection.put(&machine).await?;
                latencies.push(sent.elapsed());
                if code != expect {
                    unexpected.push(code);
                }
            }
            Ok::<_, String>((connection, latencies, unexpected))
        }));
    }
    let mut latencies = Vec::new();
    let mut unexpected = Vec::new();
    let mut back = Vec::new();
    for task in tasks {
        let (connection, l, u) = task.await.map_err(|e| e.to_string())??;
        back.push(connection);
        latencies.extend(l);
        unexpected.extend(u);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok((
        Phase {
            name,
            requests: latencies.len(),
            elapsed,
            latencies,
            unexpected,
        },
        back,
    ))
}

/// Ed25519 lease signatures per second on one thread, for `duration`.
fn signing_rate(duration: Duration) -> f64 {
    let key = SigningKey::generate(KeySpec::Ed25519).unwrap_or_else(|e| panic!("key: {e}"));
    let now = UnixTime::now();
    let claims = LeaseClaims {
        lease_id: "00000000-0000-4000-8000-000000000000".into(),
        machine_id: MachineId::from_raw_identifier("bench"),
        pool_license_id: "POOL-BENCH".into(),
        issued_at: now,
        expires_at: now.saturating_add(900),
    };
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < duration {
        for _ in 0..100 {
            let _ = sign_lease(&key, &claims).unwrap_or_else(|e| panic!("sign: {e}"));
        }
        n += 100;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Small writes with fsync per second in `dir`, for `duration`.
fn fsync_rate(dir: &std::path::Path, duration: Duration) -> std::io::Result<f64> {
    let path = dir.join(".lease_load_fsync");
    let mut file = std::fs::File::create(&path)?;
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < duration {
        file.write_all(&[0u8; 512])?;
        file.sync_data()?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(rate)
}

fn main() {
    let settings = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lease_load: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let local = tokio::task::LocalSet::new();
    let phases = local.block_on(&runtime, async {
        let mut connections = Vec::new();
        for _ in 0..settings.connections {
            connections.push(
                Connection::open(&settings.addr)
                    .await
                    .map_err(|e| e.to_string())?,
            );
        }
        let (grants, connections) = phase("grants", connections, settings.machines, 201).await?;
        let (renewals, _) = phase("renewals", connections, settings.machines, 200).await?;
        Ok::<_, String>(vec![grants, renewals])
    });
    let phases = match phases {
        Ok(p) => p,
        Err(e) => {
            eprintln!("lease_load: {e}");
            std::process::exit(1);
        }
    };
    let signing = signing_rate(Duration::from_secs(2));
    let fsync = settings
        .fsync_dir
        .as_deref()
        .map(|dir| fsync_rate(dir, Duration::from_secs(2)));
    println!(
        "{} connections, {} machines each",
        settings.connections, settings.machines
    );
    let mut failed = false;
    for p in &phases {
        println!(
            "{:<9} {:>7} requests in {:>6.2} s: {:>8.0}/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms{}",
            p.name,
            p.requests,
            p.elapsed.as_secs_f64(),
            p.rate(),
            p.percentile(0.50).as_secs_f64() * 1e3,
            p.percentile(0.99).as_secs_f64() * 1e3,
            p.latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
            if p.unexpected.is_empty() {
                String::new()
            } else {
                failed = true;
                format!("  ({} unexpected answers, first {})", p.unexpected.len(), p.unexpected[0])
            }
        );
    }
    println!("raw Ed25519 lease signing, one thread: {signing:>8.0}/s");
    match fsync {
        Some(Ok(rate)) => {
            println!("fsync of a small write in the relay's directory: {rate:>8.0}/s")
        }
        Some(Err(e)) => println!("fsync rate not measured: {e}"),
        None => println!("fsync rate not measured (no --fsync-dir)"),
    }
    for p in &phases {
        println!(
            "{}: {:.2} of one thread's raw signing rate",
            p.name,
            p.rate() / signing
        );
    }
    if failed {
        std::process::exit(1);
    }
}
