//! One Ed25519 verdict, whichever path checks it (issue 17, section 3): license files with crafted
//! signatures (torsion in `R`, small-order `R`, non-canonical `R` and `S`) get the same report
//! from `verify_license` (one by one) and `verify_licenses` (batches), mixed among honest files,
//! shuffled, in sets smaller and larger than a batch; and each class gets the verdict of licet's
//! rule (crates/verifier/src/ed25519.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

#[path = "support/crafted_ed25519.rs"]
mod crafted_ed25519;

use crafted_ed25519::{shuffle, small_order_encodings, Class, Signer};
use licet_verifier::ed25519::{self, BatchItem, Ed25519PublicKey};
use licet_verifier::{
    verify_license, verify_licenses, KeyError, Status, TrustedKey, TrustedKeys, UnixTime,
    VerifyOptions, BATCH_SIZE,
};

const SEED: [u8; 32] = *b"licet issue 17 test signer seed!";

fn setup() -> (Signer, TrustedKeys, VerifyOptions) {
    let signer = Signer::from_seed(&SEED);
    let keys: TrustedKeys = [TrustedKey::from_ed25519_bytes(&signer.public).unwrap()]
        .into_iter()
        .collect();
    let options = VerifyOptions::at(UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap());
    (signer, keys, options)
}

#[test]
fn the_test_signer_is_rfc8032_ed25519() {
    let signer = Signer::from_seed(&SEED);
    let dalek = ed25519_dalek::SigningKey::from_bytes(&SEED);
    assert_eq!(dalek.verifying_key().to_bytes(), signer.public);
    let input = signer.signing_input("L-1");
    use ed25519_dalek::Signer as _;
    assert_eq!(
        dalek.sign(input.as_bytes()).to_bytes(),
        signer.sign(input.as_bytes())
    );
}

/// The torsion-`R` signatures really are the ones other libraries refuse: the cofactorless
/// `verify_strict` of ed25519-dalek (licet's single check before) refuses all but `T` = identity.
#[test]
fn torsion_r_signatures_fail_the_cofactorless_check() {
    let signer = Signer::from_seed(&SEED);
    let dalek = ed25519_dalek::VerifyingKey::from_bytes(&signer.public).unwrap();
    let message = signer.signing_input("L-1");
    for t in 0..8 {
        let signature =
            ed25519_dalek::Signature::from_bytes(&signer.sign_with_torsion(message.as_bytes(), t));
        assert_eq!(
            dalek.verify_strict(message.as_bytes(), &signature).is_ok(),
            t == 0,
            "torsion point {t}"
        );
    }
}

/// Each class has its verdict on the one-by-one path, with the report of a bad signature.
#[test]
fn each_crafted_class_has_its_verdict() {
    let (signer, keys, options) = setup();
    for file in signer.crafted() {
        let report = verify_license(file.token.as_bytes(), &keys, &options);
        let expected = if file.class.accepted() {
            Status::Active
        } else {
            Status::BadSignature
        };
        assert_eq!(report.status, expected, "{}: {}", file.name, report.reason);
        if expected == Status::BadSignature {
            assert!(report.license.is_none() && !report.valid);
        }
    }
    let classes: Vec<Class> = signer.crafted().into_iter().map(|f| f.class).collect();
    assert_eq!(classes.iter().filter(|c| c.accepted()).count(), 1 + 8);
    assert_eq!(classes.len(), 1 + 8 + 1 + 8 + 6);
}

/// The rule itself: a batch of one crafted signature holds exactly when the single check passes,
/// and so does a batch of it among honest signatures.
#[test]
fn the_batch_rule_equals_the_single_rule() {
    let (signer, _, _) = setup();
    let key = Ed25519PublicKey::from_bytes(&signer.public).unwrap();
    let honest: Vec<(String, [u8; 64])> = (0..10)
        .map(|i| {
            let input = signer.signing_input(&format!("H-{i}"));
            let signature = signer.sign(input.as_bytes());
            (input, signature)
        })
        .collect();
    for file in signer.crafted() {
        let (input, signature) = file.token.rsplit_once('.').unwrap();
        let signature = base64_decode(signature);
        let single = ed25519::verify_one(&key, input.as_bytes(), &signature).is_ok();
        assert_eq!(single, file.class.accepted(), "{}", file.name);
        let item = BatchItem {
            key: &key,
            message: input.as_bytes(),
            signature: &signature,
        };
        for _ in 0..8 {
            assert_eq!(ed25519::verify_batch(&[item]), single, "{}", file.name);
        }
        let mut items: Vec<BatchItem<'_>> = honest
            .iter()
            .map(|(m, s)| BatchItem {
                key: &key,
                message: m.as_bytes(),
                signature: s,
            })
            .collect();
        items.insert(4, item);
        assert_eq!(ed25519::verify_batch(&items), single, "{}", file.name);
    }
}

/// Compares the reports of both paths for every file: disagreements are collected (as lines for
/// the failure message), then each one-by-one verdict is checked against its class.
fn compare_paths(
    files: &[(Option<Class>, String)],
    keys: &TrustedKeys,
    options: &VerifyOptions,
    what: &str,
    disagreements: &mut Vec<String>,
    wrong_verdicts: &mut Vec<String>,
) {
    let slices: Vec<&[u8]> = files.iter().map(|(_, t)| t.as_bytes()).collect();
    let batch = verify_licenses(&slices, keys, options);
    assert_eq!(batch.len(), files.len());
    for (i, ((class, token), from_batch)) in files.iter().zip(&batch).enumerate() {
        let alone = verify_license(token.as_bytes(), keys, options);
        if serde_json::to_value(from_batch).unwrap() != serde_json::to_value(&alone).unwrap() {
            disagreements.push(format!(
                "{what}: file {i} ({class:?}): batch {:?} ({}), one by one {:?} ({})",
                from_batch.status, from_batch.reason, alone.status, alone.reason
            ));
        }
        let accepted = class.as_ref().is_none_or(Class::accepted);
        let expected = if accepted {
            Status::Active
        } else {
            Status::BadSignature
        };
        if alone.status != expected {
            wrong_verdicts.push(format!(
                "{what}: file {i} ({class:?}) is {:?}, expected {expected:?}",
                alone.status
            ));
        }
    }
}

#[test]
fn batch_and_one_by_one_reports_agree_on_crafted_signatures() {
    let (signer, keys, options) = setup();
    let crafted = signer.crafted();
    let honest: Vec<String> = (0..2 * BATCH_SIZE + 30)
        .map(|i| signer.honest(&format!("H-{i}")))
        .collect();
    let mut disagreements = Vec::new();
    let mut wrong_verdicts = Vec::new();
    // All crafted files at once among honest ones: fewer than a batch, and more than two batches.
    for (honest_count, seeds) in [(5, 0..6), (BATCH_SIZE / 2, 6..10), (honest.len(), 10..16)] {
        for seed in seeds {
            let mut files: Vec<(Option<Class>, String)> = crafted
                .iter()
                .map(|f| (Some(f.class.clone()), f.token.clone()))
                .chain(honest[..honest_count].iter().map(|t| (None, t.clone())))
                .collect();
            shuffle(&mut files, seed);
            let what = format!("{} files, seed {seed}", files.len());
            compare_paths(
                &files,
                &keys,
                &options,
                &what,
                &mut disagreements,
                &mut wrong_verdicts,
            );
        }
    }
    // Each crafted file alone among honest ones, in several orders and in sets smaller and larger
    // than a batch: a batch that a single torsion component could pass or fail by chance.
    for file in &crafted {
        for seed in 0..6 {
            let mut files: Vec<(Option<Class>, String)> = honest
                [..if seed % 2 == 0 { 7 } else { BATCH_SIZE + 8 }]
                .iter()
                .map(|t| (None, t.clone()))
                .collect();
            files.push((Some(file.class.clone()), file.token.clone()));
            shuffle(&mut files, seed);
            let what = format!("{} among {} files, seed {seed}", file.name, files.len());
            compare_paths(
                &files,
                &keys,
                &options,
                &what,
                &mut disagreements,
                &mut wrong_verdicts,
            );
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} reports differ between verify_licenses and verify_license:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(
        wrong_verdicts.is_empty(),
        "{} wrong verdicts:\n{}",
        wrong_verdicts.len(),
        wrong_verdicts.join("\n")
    );
}

#[test]
fn small_order_and_non_canonical_keys_are_refused_at_load() {
    let mut refused = Vec::new();
    for encoding in small_order_encodings() {
        refused.push(("small-order", encoding));
    }
    for (_, encoding) in crafted_ed25519::non_canonical_small_order_encodings() {
        refused.push(("non-canonical", encoding));
    }
    refused.push((
        "non-canonical",
        crafted_ed25519::non_canonical_large_order_encoding(),
    ));
    for (kind, bytes) in refused {
        let err = TrustedKey::from_ed25519_bytes(&bytes).unwrap_err();
        let KeyError::Invalid(message) = &err else {
            panic!("{kind}: {err:?}");
        };
        let expected = if kind == "small-order" && !message.contains("non-canonical") {
            "weak (small-order)"
        } else {
            "non-canonical"
        };
        assert!(message.contains(expected), "{kind}: {message}");
        // The same through a JWK, as `--pubkey` reads it.
        let jwk = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": base64_encode(&bytes)});
        assert!(TrustedKey::from_jwk(jwk.as_object().unwrap()).is_err());
    }
    // A small-order key's non-canonical encodings say "non-canonical" (the encoding is checked
    // first); the canonical ones say "weak".
    let identity = small_order_encodings()[0];
    assert!(TrustedKey::from_ed25519_bytes(&identity)
        .unwrap_err()
        .to_string()
        .contains("weak (small-order)"));
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
