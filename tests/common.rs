//! Shared helpers for the end-to-end tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A path below the repository root.
pub fn repo(path: &str) -> PathBuf {
    repo_root().join(path)
}

/// The `licet` binary of the same build profile as this test (`cargo build` builds it; the
/// README's test command builds it first). Override with LICET_BIN.
pub fn licet_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("LICET_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> -> target/<profile>/licet
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = profile_dir.join(format!("licet{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build --workspace{}), as .ci/run does",
        bin.display(),
        if profile_dir.ends_with("release") {
            " --release"
        } else {
            ""
        }
    );
    bin
}

/// `licet` as an assert_cmd command, with no passphrase in the environment.
pub fn licet() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(licet_bin());
    cmd.env_remove("LICET_PASSPHRASE")
        .env_remove("LICET_DB_URL")
        .env("NO_COLOR", "1");
    cmd
}

/// Python 3 with PyJWT and cryptography, or a failure that says how to install them.
pub fn python() -> Command {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import jwt, cryptography"])
        .output();
    match probe {
        Ok(out) if out.status.success() => Command::new(python),
        _ => panic!("{python} with PyJWT and cryptography is required: pip install pyjwt cryptography (.ci/run does)"),
    }
}

/// Whether a command exists on PATH.
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("version").output().is_ok()
}

/// Creates `licet.db` in `dir` with `licet db init` and returns its URL (absolute, so it works from
/// any working directory): commands never create a database, so every e2e test that needs one
/// makes it here.
pub fn new_db(dir: &Path) -> String {
    let url = format!("sqlite://{}/licet.db", dir.display());
    licet().args(["db", "init", &url]).assert().success();
    url
}

/// A new API token for `user` with one permission, made by `licet token create` on the
/// database `sqlite://licet.db` in `dir` (which must exist): the token's text.
pub fn new_token(dir: &Path, user: &str, permission: &str) -> String {
    let out = licet()
        .current_dir(dir)
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            user,
        ])
        .args(["--permission", permission])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A `licet serve` process on a free port, stopped when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Starts with `--trust v.pub.pem` in `dir`.
    pub fn start(dir: &Path) -> Server {
        Self::start_with(dir, &["--trust", "v.pub.pem"])
    }

    /// Starts in `dir` with extra arguments, on `sqlite://licet.db` there (created with
    /// [`new_db`] when missing).
    pub fn start_with(dir: &Path, extra: &[&str]) -> Server {
        if !dir.join("licet.db").exists() {
            new_db(dir);
        }
        let mut child = Command::new(licet_bin())
            .current_dir(dir)
            .args([
                "serve",
                "--db",
                "sqlite://licet.db",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
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
        Server { child, base }
    }

    /// SIGTERM, then waits for the exit (10 s at most).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
