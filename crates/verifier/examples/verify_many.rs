//! Verifies every token of a file (one per line) many times and prints timings as JSON: the licet
//! side of scripts/bench-peers, which runs PyJWT and node `jose` over the same tokens.
//!
//! Usage: verify_many TOKENS_FILE PUBKEY_FILE [ROUNDS]
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use licet_verifier::{
    jws, parse_public_keys, verify_license, TrustedKeys, UnixTime, VerifyOptions,
};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: verify_many TOKENS_FILE PUBKEY_FILE [ROUNDS]".into());
    }
    let tokens: Vec<String> = std::fs::read_to_string(&args[1])?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let keys: TrustedKeys = parse_public_keys(&std::fs::read(&args[2])?)?
        .into_iter()
        .collect();
    let rounds: usize = args.get(3).map(|r| r.parse()).transpose()?.unwrap_or(20);
    let options = VerifyOptions::at(UnixTime::now());

    // Everything must verify, or the timing means nothing.
    for token in &tokens {
        let report = verify_license(token.as_bytes(), &keys, &options);
        if !report.valid {
            return Err(format!("a token did not verify: {}", report.reason).into());
        }
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for token in &tokens {
            std::hint::black_box(verify_license(
                std::hint::black_box(token.as_bytes()),
                &keys,
                &options,
            ));
        }
    }
    let full = started.elapsed().as_secs_f64() / (rounds * tokens.len()) as f64;

    // Throughput of the whole set on every core: one thread per core, each verifying a share.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for share in tokens.chunks(tokens.len().div_ceil(threads)) {
            let (keys, options) = (&keys, &options);
            scope.spawn(move || {
                for _ in 0..rounds {
                    for token in share {
                        std::hint::black_box(verify_license(
                            std::hint::black_box(token.as_bytes()),
                            keys,
                            options,
                        ));
                    }
                }
            });
        }
    });
    let parallel = started.elapsed().as_secs_f64() / (rounds * tokens.len()) as f64;

    // The signature check alone (decode excluded), on the same tokens.
    let decoded: Vec<(String, Vec<u8>, licet_verifier::Algorithm)> = tokens
        .iter()
        .map(|t| {
            let (input, sig) = t.rsplit_once('.').unwrap_or_default();
            let alg = jws::decode(t)
                .map(|d| d.alg())
                .unwrap_or(licet_verifier::Algorithm::EdDSA);
            let sig = base64_decode(sig);
            (input.to_owned(), sig, alg)
        })
        .collect();
    let key = keys.iter().next().ok_or("no key")?;
    let started = Instant::now();
    for _ in 0..rounds {
        for (input, sig, alg) in &decoded {
            let ok = match key.ed25519_key() {
                Some(ed) => ed.verify(input.as_bytes(), sig).is_ok(),
                None => key.verify_signature(*alg, input.as_bytes(), sig).is_ok(),
            };
            std::hint::black_box(ok);
        }
    }
    let raw = started.elapsed().as_secs_f64() / (rounds * tokens.len()) as f64;
    println!(
        "{{\"tokens\":{},\"rounds\":{rounds},\"threads\":{threads},\"full_us\":{:.2},\"raw_signature_us\":{:.2},\"all_cores_us\":{:.2}}}",
        tokens.len(),
        full * 1e6,
        raw * 1e6,
        parallel * 1e6
    );
    Ok(())
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap_or_default()
}
