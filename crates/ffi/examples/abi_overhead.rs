//! The cost of the C ABI over the Rust call, on the same tokens in one run (issue #11's target:
//! the C ABI call at most 1.10x the Rust call). For each algorithm it times `verify_license` and
//! `licet_verify` (the exported function, with the report's status read and the report freed),
//! interleaved in rounds so both see the same machine state; the best round counts.
//!
//!   cargo run --release -p licet-ffi --example abi_overhead [ROUNDS] [CALLS_PER_ROUND]
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a panic is the failure report.

use licet::{
    licet_keys_add, licet_keys_free, licet_keys_new, licet_options_free, licet_options_new,
    licet_options_set_time, licet_report_free, licet_report_status, licet_result, licet_status,
    licet_verify,
};
use licet_verifier::{verify_license, Status, TrustedKeys, UnixTime, VerifyOptions};
use std::hint::black_box;
use std::path::Path;
use std::ptr::null_mut;
use std::time::Instant;

/// 2027-01-01T00:00:00Z: every license below is ACTIVE then.
const AT: i64 = 1_798_761_600;

fn corpus(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/conformance")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(7, |a| a.parse().expect("ROUNDS"));
    let calls: usize = args
        .next()
        .map_or(2000, |a| a.parse().expect("CALLS_PER_ROUND"));
    println!("{rounds} rounds of {calls} calls each; best round, microseconds per call");
    println!("{:<8} {:>10} {:>10} {:>7}", "alg", "rust", "c-abi", "ratio");
    for (alg, license, key) in [
        ("EdDSA", "licenses/eddsa-active.lic", "keys/ed25519.pub.pem"),
        ("RS256", "licenses/rs256-active.lic", "keys/rsa2048.pub.pem"),
        ("PS256", "licenses/ps256-active.lic", "keys/rsa2048.pub.pem"),
    ] {
        let license = corpus(license);
        let key = corpus(key);

        let mut keys = TrustedKeys::new();
        keys.add_file_contents(&key).unwrap();
        let options = VerifyOptions::at(UnixTime::from_secs(AT).unwrap());
        assert_eq!(
            verify_license(&license, &keys, &options).status,
            Status::Active
        );

        let c_keys = licet_keys_new();
        let c_options = licet_options_new();
        // SAFETY: both handles were just made and are used by this thread only; `key` outlives
        // the call.
        let rc = unsafe { licet_keys_add(c_keys, key.as_ptr(), key.len(), null_mut(), null_mut()) };
        assert_eq!(rc, licet_result::LICET_OK);
        // SAFETY: a live options handle, used by this thread only.
        let rc = unsafe { licet_options_set_time(c_options, AT, null_mut()) };
        assert_eq!(rc, licet_result::LICET_OK);
        let c_call = || {
            let mut report = null_mut();
            // SAFETY: live handles, `license` outlives the call, `report` is writable.
            let rc = unsafe {
                licet_verify(
                    c_keys,
                    license.as_ptr(),
                    license.len(),
                    c_options,
                    &mut report,
                    null_mut(),
                )
            };
            assert_eq!(rc, licet_result::LICET_OK);
            // SAFETY: the report was just made and is freed once, right after.
            let status = unsafe { licet_report_status(report) };
            // SAFETY: as above.
            unsafe { licet_report_free(report) };
            status
        };
        assert_eq!(c_call(), licet_status::LICET_STATUS_ACTIVE);

        let (mut rust_best, mut c_best) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            let started = Instant::now();
            for _ in 0..calls {
                black_box(verify_license(black_box(&license), &keys, &options).status);
            }
            rust_best = rust_best.min(started.elapsed().as_secs_f64() / calls as f64);
            let started = Instant::now();
            for _ in 0..calls {
                black_box(c_call());
            }
            c_best = c_best.min(started.elapsed().as_secs_f64() / calls as f64);
        }
        println!(
            "{alg:<8} {:>10.2} {:>10.2} {:>7.3}",
            rust_best * 1e6,
            c_best * 1e6,
            c_best / rust_best
        );
        // SAFETY: made above, freed once.
        unsafe { licet_options_free(c_options) };
        // SAFETY: made above, freed once.
        unsafe { licet_keys_free(c_keys) };
    }
}
