//! Minting a license (claims -> signed token, verified before it is returned) against the raw
//! signature operation alone.
#![allow(missing_docs)] // criterion_group! generates an undocumented function.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use licet_issuer::{mint_license, KeySpec, SigningKey};
use licet_verifier::{Algorithm, LicenseClaims, LicenseType, UnixTime};

fn claims() -> LicenseClaims {
    let now = UnixTime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
    LicenseClaims {
        license_id: "6f1c2a3e-0000-4000-8000-000000000001".into(),
        customer_id: "ACME-001".into(),
        issued_at: now,
        not_before: None,
        expires_at: Some(now.saturating_add(365 * 86_400)),
        entitlement_expires_at: None,
        issuer: Some("Demo Vendor".into()),
        product: Some("example-product".into()),
        license_type: LicenseType::standard(),
        features: None,
        machine_ids: None,
        license_key: None,
        owner_name: None,
        owner_email: None,
        grace_days: None,
        other: Default::default(),
    }
}

fn bench(c: &mut Criterion) {
    let claims = claims();
    let ed = SigningKey::generate(KeySpec::Ed25519).unwrap();
    let rsa = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    for (key, alg) in [
        (&ed, Algorithm::EdDSA),
        (&rsa, Algorithm::RS256),
        (&rsa, Algorithm::PS256),
    ] {
        let mut group = c.benchmark_group(format!("issue/{}", alg.name()));
        group.bench_function("mint_license", |b| {
            b.iter(|| mint_license(key, Some(alg), black_box(&claims)).unwrap())
        });
        group.bench_function("raw_sign", |b| {
            b.iter(|| key.sign(alg, black_box(b"eyJhbGciOi.eyJqdGkiOi")).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
