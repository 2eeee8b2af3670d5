//! Auditing a set of Ed25519 licenses in memory: the batch verifier against one-by-one
//! `verify_license`, on one thread (the parallel speed-up is measured by scripts/bench-audit).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use licet_issuer::{mint_license, KeySpec, SigningKey};
use licet_verifier::{
    verify_license, verify_licenses, LicenseClaims, TrustedKeys, UnixTime, VerifyOptions,
};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let key = SigningKey::generate(KeySpec::Ed25519).unwrap();
    let keys: TrustedKeys = [key.public_key().clone()].into_iter().collect();
    let now = UnixTime::from_secs(1_800_000_000).unwrap();
    let files: Vec<String> = (0..256)
        .map(|i| {
            let claims = LicenseClaims {
                expires_at: Some(now.saturating_add(86_400 * 365)),
                issuer: Some("Example".into()),
                product: Some("app".into()),
                ..LicenseClaims::new(format!("L-{i}"), format!("C-{}", i % 7), now)
            };
            mint_license(&key, None, &claims).unwrap().token
        })
        .collect();
    let slices: Vec<&[u8]> = files.iter().map(|f| f.as_bytes()).collect();
    let options = VerifyOptions::at(now);
    let mut group = c.benchmark_group("audit/ed25519");
    group.throughput(Throughput::Elements(slices.len() as u64));
    group.bench_function(BenchmarkId::new("one_by_one", slices.len()), |b| {
        b.iter(|| {
            for file in &slices {
                black_box(verify_license(file, &keys, &options));
            }
        })
    });
    group.bench_function(BenchmarkId::new("batch", slices.len()), |b| {
        b.iter(|| black_box(verify_licenses(&slices, &keys, &options)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
