//! Writes N Ed25519 license files for the audit benchmark (scripts/bench-audit):
//! `make_licenses N DIR` creates DIR/vendor.pub.pem and DIR/licenses/NNN/*.lic, 1,000 per folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use licet_issuer::{mint_license, KeySpec, SigningKey};
use licet_verifier::{LicenseClaims, UnixTime};
use rayon::prelude::*;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().expect("N").parse().expect("N is a number");
    let dir = PathBuf::from(args.next().expect("DIR"));
    let key = SigningKey::generate(KeySpec::Ed25519).unwrap();
    std::fs::create_dir_all(dir.join("licenses")).unwrap();
    std::fs::write(dir.join("vendor.pub.pem"), key.public_key_pem().unwrap()).unwrap();
    let now = UnixTime::now();
    (0..count).into_par_iter().for_each(|i| {
        let claims = LicenseClaims {
            expires_at: Some(now.saturating_add(86_400 * (10 + (i as i64 % 700)))),
            issuer: Some("Example Corp".into()),
            product: Some("app".into()),
            features: Some(
                serde_json::json!({"seats": 10 + i % 50, "tier": "gold"})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
            ..LicenseClaims::new(format!("L-{i:07}"), format!("CUSTOMER-{:04}", i % 997), now)
        };
        let token = mint_license(&key, None, &claims).unwrap().token;
        let folder = dir.join("licenses").join(format!("{:03}", i / 1000));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{i:07}.lic")), format!("{token}\n")).unwrap();
    });
    println!(
        "wrote {count} licenses under {}",
        dir.join("licenses").display()
    );
}
