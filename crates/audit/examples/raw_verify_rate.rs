//! The physical limit of scripts/bench-audit: licet's Ed25519 signature check alone
//! (`licet_verifier::ed25519::verify_one`: the encoding checks and the cofactored equation), on
//! one thread, over real license signing inputs. Prints signatures per second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ed25519_dalek::{Signer, SigningKey};
use licet_verifier::ed25519::Ed25519PublicKey;
use std::time::Instant;

fn main() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let verifying = Ed25519PublicKey::from_bytes(key.verifying_key().as_bytes()).unwrap();
    let messages: Vec<Vec<u8>> = (0..2_000)
        .map(|i| format!("eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJMLXtpfSJ9-{i:0>200}").into_bytes())
        .collect();
    let signatures: Vec<[u8; 64]> = messages.iter().map(|m| key.sign(m).to_bytes()).collect();
    let rounds = 10;
    let started = Instant::now();
    for _ in 0..rounds {
        for (m, s) in messages.iter().zip(&signatures) {
            verifying.verify(m, s).unwrap();
        }
    }
    let per_second = (rounds * messages.len()) as f64 / started.elapsed().as_secs_f64();
    println!("{per_second:.0}");
}
