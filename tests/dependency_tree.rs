//! The verifier is embedded by customers: no networking, async runtime or database crate may
//! appear in its normal dependency tree.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

const FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "mio",
    "hyper",
    "h2",
    "reqwest",
    "ureq",
    "curl",
    "isahc",
    "surf",
    "axum",
    "actix-web",
    "tower",
    "warp",
    "rustls",
    "native-tls",
    "openssl",
    "sqlx",
    "rusqlite",
    "libsqlite3-sys",
    "diesel",
    "postgres",
    "tokio-postgres",
    "sea-orm",
    "redis",
    "mongodb",
];

#[test]
fn verifier_has_no_network_or_database_crates() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "-p",
            "licet-verifier",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"licet-verifier") && crates.contains(&"ed25519-zebra"),
        "unexpected tree:\n{tree}"
    );
    let found: Vec<&&str> = FORBIDDEN.iter().filter(|f| crates.contains(f)).collect();
    assert!(
        found.is_empty(),
        "forbidden crates in the verifier's tree: {found:?}\n{tree}"
    );
}

/// TLS in `licet serve` is rustls on aws-lc-rs: no OpenSSL, and no `rsa` crate (RUSTSEC-2023-0071,
/// the Marvin timing attack) anywhere in the binary's tree.
#[test]
fn the_binary_has_no_openssl_and_no_rsa_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "-p",
            "licet",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"rustls") && crates.contains(&"aws-lc-rs"),
        "{tree}"
    );
    for banned in ["openssl", "openssl-sys", "native-tls", "rsa"] {
        assert!(
            !crates.contains(&banned),
            "{banned} is in the tree of licet:\n{tree}"
        );
    }
}
