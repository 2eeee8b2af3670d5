//! The baseline of scripts/bench-audit: the same files, verified one by one on one thread with
//! `verify_license` (read, verify, next). `naive_audit DIR PUB.pem` prints `files seconds`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use licet_audit::collect_files;
use licet_verifier::{parse_public_keys, verify_license, TrustedKeys, UnixTime, VerifyOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("DIR"));
    let public = std::fs::read(args.next().expect("PUB.pem")).unwrap();
    let keys: TrustedKeys = parse_public_keys(&public).unwrap().into_iter().collect();
    let options = VerifyOptions::at(UnixTime::now());
    let started = Instant::now();
    let files = collect_files(&[dir]).unwrap().files;
    let mut valid = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        valid += usize::from(verify_license(&bytes, &keys, &options).valid);
    }
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(valid, files.len(), "every generated license is valid");
    println!("{} {seconds:.3}", files.len());
}
