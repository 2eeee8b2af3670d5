//! Property tests: random claims survive mint -> verify unchanged; any single-byte change to a
//! valid license file is rejected.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use licet_issuer::{mint_license, KeySpec, SigningKey};
use licet_verifier::{
    verify_license, LicenseClaims, LicenseKey, LicenseType, MachineCheck, MachineId, TrustedKeys,
    UnixTime, VerifyOptions,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::sync::OnceLock;

struct Fixture {
    ed25519: SigningKey,
    rsa: SigningKey,
    keys: TrustedKeys,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ed25519 = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let rsa = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
        let mut keys = TrustedKeys::new();
        for key in [&ed25519, &rsa] {
            keys.add_file_contents(key.public_key_pem().unwrap().as_bytes())
                .unwrap();
        }
        Fixture { ed25519, rsa, keys }
    })
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{1,24}".prop_filter("not blank", |s| !s.trim().is_empty())
}

fn feature_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ]
}

prop_compose! {
    fn claims()(
        license_id in text(),
        customer_id in text(),
        iat in 0i64..4_000_000_000,
        nbf_offset in proptest::option::of(0i64..10_000_000),
        exp_offset in proptest::option::of(1i64..1_000_000_000),
        issuer in proptest::option::of(text()),
        product in proptest::option::of(text()),
        license_type in "[A-Z][A-Z0-9_]{0,12}",
        features in proptest::option::of(proptest::collection::btree_map("[a-z_]{1,8}", feature_value(), 1..5)),
        machines in proptest::collection::vec(proptest::array::uniform32(any::<u8>()), 0..3),
        key_symbols in proptest::option::of(proptest::array::uniform25(0u8..36)),
        owner_name in proptest::option::of(text()),
        owner_email in proptest::option::of("[a-z]{1,8}@[a-z]{1,8}\\.com"),
        grace_days in proptest::option::of(0u32..=36_500),
        nonce in proptest::option::of("[a-f0-9]{8,16}"),
    ) -> LicenseClaims {
        let issued_at = UnixTime::from_secs(iat).unwrap();
        let not_before = nbf_offset.map(|o| issued_at.saturating_add(o));
        let start = not_before.unwrap_or(issued_at).max(issued_at);
        let mut other = Map::new();
        if let Some(n) = nonce {
            other.insert("nonce".into(), Value::from(n));
        }
        LicenseClaims {
            license_id,
            customer_id,
            issued_at,
            not_before,
            expires_at: exp_offset.map(|o| start.saturating_add(o)),
            entitlement_expires_at: None,
            issuer,
            product,
            license_type: LicenseType::parse(&license_type).unwrap(),
            features: features.map(|f| f.into_iter().collect()),
            machine_ids: (!machines.is_empty()).then(|| machines.iter().map(|m| MachineId::parse(&hex(m)).unwrap()).collect()),
            license_key: key_symbols.map(|s| LicenseKey::from_symbol_indexes(&s).unwrap()),
            owner_name,
            owner_email,
            grace_days,
            other,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn options_for(claims: &LicenseClaims) -> VerifyOptions {
    let mut options = VerifyOptions::at(
        claims
            .not_before
            .unwrap_or(claims.issued_at)
            .max(claims.issued_at),
    );
    if let Some(first) = claims.machine_ids.as_ref().and_then(|m| m.first()) {
        options.machine = MachineCheck::Machine(first.clone());
    }
    options.product = claims.product.clone();
    options
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mint_then_verify_round_trips(claims in claims(), use_rsa in any::<bool>(), pss in any::<bool>()) {
        let f = fixture();
        let (key, alg) = if use_rsa {
            (&f.rsa, Some(if pss { licet_verifier::Algorithm::PS256 } else { licet_verifier::Algorithm::RS256 }))
        } else {
            (&f.ed25519, None)
        };
        let minted = mint_license(key, alg, &claims).unwrap();
        let report = verify_license(minted.token.as_bytes(), &f.keys, &options_for(&claims));
        prop_assert!(report.valid, "{}", report.reason);
        prop_assert_eq!(report.verified_license().unwrap().claims(), &claims);
    }

    #[test]
    fn any_single_byte_change_is_rejected(claims in claims(), position in any::<prop::sample::Index>(), replacement in any::<u8>()) {
        let f = fixture();
        let minted = mint_license(&f.ed25519, None, &claims).unwrap();
        let mut bytes = minted.token.into_bytes();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let report = verify_license(&bytes, &f.keys, &options_for(&claims));
        prop_assert!(!report.valid, "changing byte {} to {:#04x} was accepted", i, replacement);
        prop_assert!(report.verified_license().is_none());
    }
}
