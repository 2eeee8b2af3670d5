//! The physical limit of scripts/bench-audit: Ed25519 `verify_strict` alone, on one thread, over
//! real license signing inputs. Prints signatures per second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ed25519_dalek::{Signer, SigningKey};
use std::time::Instant;

fn main() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let verifying = key.verifying_key();
    let messages: Vec<Vec<u8>> = (0..2_000)
        .map(|i| format!("eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJMLXtpfSJ9-{i:0>200}").into_bytes())
        .collect();
    let signatures: Vec<_> = messages.iter().map(|m| key.sign(m)).collect();
    let rounds = 10;
    let started = Instant::now();
    for _ in 0..rounds {
        for (m, s) in messages.iter().zip(&signatures) {
            verifying.verify_strict(m, s).unwrap();
        }
    }
    let per_second = (rounds * messages.len()) as f64 / started.elapsed().as_secs_f64();
    println!("{per_second:.0}");
}
