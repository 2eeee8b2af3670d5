//! The stateful check (docs/EMBEDDING.md): a state directory remembers the revocation lists
//! seen and the latest trustworthy time, so a list left out or a clock set back cannot revive a
//! license.
//!
//! cargo run -p licet-verifier --example embed_stateful -- keys/demo-ed25519.pub.pem \
//!     crates/verifier/testdata/demo.lic /tmp/licet-state 2026-06-01T00:00:00Z
use licet_verifier::{
    ListInput, StateSettings, StatefulVerifier, TrustedKeys, UnixTime, VerifyOptions,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key_file, license_file, state_dir, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: embed_stateful KEY_FILE LICENSE_FILE STATE_DIR [RFC3339_TIME [LIST...]]".into(),
        );
    };
    let mut keys = TrustedKeys::new();
    keys.add_file_contents(&std::fs::read(key_file)?)?;
    let now = match rest.first() {
        Some(time) => UnixTime::parse_rfc3339(time)?,
        None => UnixTime::now(),
    };
    // Revocation lists from the vendor, if any: each is verified and, when accepted, kept.
    let lists: Vec<(String, Vec<u8>)> = rest
        .iter()
        .skip(1)
        .map(|path| Ok((path.clone(), std::fs::read(path)?)))
        .collect::<Result<_, std::io::Error>>()?;
    let lists: Vec<ListInput<'_>> = lists
        .iter()
        .map(|(source, bytes)| ListInput { source, bytes })
        .collect();
    // Err only when the state cannot be used (corrupt, newer format, busy, I/O).
    let verifier = StatefulVerifier::open(state_dir, keys, StateSettings::default())?;
    let report = verifier.check(
        &std::fs::read(license_file)?,
        &lists,
        &VerifyOptions::at(now),
    )?;
    for list in &report.revocation_lists {
        println!(
            "revocation list {}: {} ({})",
            list.source,
            list.status.as_str(),
            list.reason
        );
    }
    if report.passed() {
        println!("{}: {}", report.license.status, report.license.reason);
        Ok(())
    } else {
        Err(format!("{}: {}", report.license.status, report.license.reason).into())
    }
}
