//! Full license verification against the raw signature operations it is built on.
//!
//! Tokens are signed here with the demo keys in keys/ (ed25519-dalek and aws-lc-rs directly), so
//! the bench needs nothing but this crate's own dependencies.
#![allow(missing_docs)] // criterion_group! generates an undocumented function.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::Signer;
use licet_verifier::{verify_license, Algorithm, Status, TrustedKeys, UnixTime, VerifyOptions};
use std::path::Path;

fn repo_file(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).expect("demo key present")
}

const CLAIMS: &str = r#"{"jti":"6f1c2a3e-0000-4000-8000-000000000001","sub":"ACME-001","iat":1767225600,"exp":1893456000,"aud":"example-product","iss":"Demo Vendor","license_type":"STANDARD","features":{"seats":10,"tier":"gold"}}"#;

fn signing_input(alg: Algorithm, kid: &str) -> String {
    let header = format!(
        r#"{{"alg":"{}","typ":"license+jwt","kid":"{kid}"}}"#,
        alg.name()
    );
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(CLAIMS)
    )
}

struct Case {
    alg: Algorithm,
    token: String,
    keys: TrustedKeys,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let ed_keys: TrustedKeys =
        licet_verifier::parse_public_keys(repo_file("keys/demo-ed25519.pub.pem").as_bytes())
            .unwrap()
            .into_iter()
            .collect();
    let ed =
        ed25519_dalek::SigningKey::from_pkcs8_pem(&repo_file("keys/demo-ed25519.key.pem")).unwrap();
    let input = signing_input(Algorithm::EdDSA, ed_keys.iter().next().unwrap().kid());
    let sig = ed.sign(input.as_bytes()).to_bytes();
    out.push(Case {
        alg: Algorithm::EdDSA,
        token: format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)),
        keys: ed_keys,
    });

    let (_, der) =
        pem_rfc7468::decode_vec(repo_file("keys/demo-rsa2048.key.pem").as_bytes()).unwrap();
    let rsa = RsaKeyPair::from_pkcs8(&der).unwrap();
    for (alg, encoding) in [
        (
            Algorithm::RS256,
            &aws_lc_rs::signature::RSA_PKCS1_SHA256
                as &'static dyn aws_lc_rs::signature::RsaEncoding,
        ),
        (Algorithm::PS256, &aws_lc_rs::signature::RSA_PSS_SHA256),
    ] {
        let keys: TrustedKeys =
            licet_verifier::parse_public_keys(repo_file("keys/demo-rsa2048.pub.pem").as_bytes())
                .unwrap()
                .into_iter()
                .collect();
        let input = signing_input(alg, keys.iter().next().unwrap().kid());
        let mut sig = vec![0; rsa.public_modulus_len()];
        rsa.sign(
            encoding,
            &aws_lc_rs::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
        out.push(Case {
            alg,
            token: format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)),
            keys,
        });
    }
    out
}

fn bench(c: &mut Criterion) {
    let options = VerifyOptions::at(UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap());
    for case in cases() {
        let report = verify_license(case.token.as_bytes(), &case.keys, &options);
        assert_eq!(report.status, Status::Active, "{}", report.reason);
        let mut group = c.benchmark_group(case.alg.name());
        group.bench_function("verify_license", |b| {
            b.iter(|| verify_license(black_box(case.token.as_bytes()), &case.keys, &options))
        });
        // The raw signature operation alone, on the same message and signature.
        let (input, sig) = case.token.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        let key = case.keys.iter().next().unwrap();
        // For EdDSA: licet's rule alone (crate::ed25519::verify_one: the encoding checks and
        // ed25519-zebra's cofactored equation), and, for comparison, ed25519-dalek's
        // `verify_strict` (the cofactorless check licet used before).
        group.bench_function("raw_signature_verify", |b| match key.ed25519_key() {
            Some(ed) => b.iter(|| ed.verify(black_box(input.as_bytes()), &sig).unwrap()),
            None => b.iter(|| {
                key.verify_signature(case.alg, black_box(input.as_bytes()), &sig)
                    .unwrap()
            }),
        });
        if let Some(ed) = key.ed25519_key() {
            let dalek = ed25519_dalek::VerifyingKey::from_bytes(ed.as_bytes()).unwrap();
            let signature = ed25519_dalek::Signature::from_slice(&sig).unwrap();
            group.bench_function("dalek_verify_strict", |b| {
                b.iter(|| {
                    dalek
                        .verify_strict(black_box(input.as_bytes()), &signature)
                        .unwrap()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
