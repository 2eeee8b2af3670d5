//! `licet demo`: the whole story in a temporary directory, each step printed with the command
//! that does the same by hand. Exit 0 when every step had the expected outcome.

use crate::io::{print_stdout, write_output, Overwrite};
use crate::output::paint;
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{Context, Result};
use licet_issuer::{generate_license_id, generate_license_key, mint_license, KeySpec, SigningKey};
use licet_verifier::{
    parse_public_keys, verify_license, LicenseClaims, LicenseType, MachineId, Status, TrustedKeys,
    UnixTime, VerifyOptions,
};
use serde_json::{json, Map};

pub fn run(keep: bool) -> Result<u8> {
    let dir = tempfile::Builder::new()
        .prefix("licet-demo-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let path = |name: &str| dir.path().join(name);
    let mut failures = 0;
    let mut step = |n: u32, title: &str, command: &str, outcome: String, ok: bool| -> Result<()> {
        if !ok {
            failures += 1;
        }
        print_stdout(&format!(
            "{n}. {title}\n   $ {command}\n   {} {outcome}\n\n",
            paint(if ok { "ok" } else { "UNEXPECTED" }, ok)
        ))
    };

    // 1. A vendor key pair.
    let key = SigningKey::generate(KeySpec::Ed25519)?;
    write_output(
        &path("vendor.key.pem"),
        key.to_pkcs8_pem(None)?.as_bytes(),
        0o600,
        Overwrite::Refuse,
    )?;
    let public_pem = key.public_key_pem()?;
    write_output(
        &path("vendor.pub.pem"),
        public_pem.as_bytes(),
        0o644,
        Overwrite::Refuse,
    )?;
    step(
        1,
        "The vendor makes an Ed25519 signing key",
        "licet keygen --alg ed25519 --out vendor",
        format!(
            "vendor.key.pem (mode 0600) and vendor.pub.pem, kid {}",
            key.kid()
        ),
        true,
    )?;

    // 2. A license, node-locked to a demo machine.
    let now = UnixTime::now();
    let machine = MachineId::from_raw_identifier("demo-machine-0001");
    let mut features = Map::new();
    features.insert("seats".into(), json!(10));
    features.insert("tier".into(), json!("gold"));
    let claims = LicenseClaims {
        license_id: generate_license_id(),
        customer_id: "ACME-001".into(),
        issued_at: now,
        not_before: None,
        expires_at: Some(now.saturating_add(30 * 86_400)),
        entitlement_expires_at: None,
        issuer: Some("Demo Vendor".into()),
        product: Some("demo-app".into()),
        license_type: LicenseType::parse("TRIAL").map_err(anyhow::Error::msg)?,
        features: Some(features),
        machine_ids: Some(vec![machine.clone()]),
        license_key: Some(generate_license_key()),
        owner_name: None,
        owner_email: None,
        grace_days: Some(7),
        other: Map::new(),
    };
    let minted = mint_license(&key, None, &claims)?;
    write_output(
        &path("acme.lic"),
        format!("{}\n", minted.token).as_bytes(),
        0o644,
        Overwrite::Refuse,
    )?;
    step(2, "The vendor issues a 30-day TRIAL license bound to the customer's machine",
        &format!("licet issue --key vendor.key.pem --customer ACME-001 --type TRIAL --days 30 --grace-days 7 --feature seats=10 --feature tier=gold --product demo-app --machine {machine} --out acme.lic"),
        format!("acme.lic, {} bytes, license id {}", minted.token.len() + 1, claims.license_id), true)?;

    // 3. The customer verifies it offline.
    let keys: TrustedKeys = parse_public_keys(public_pem.as_bytes())?
        .into_iter()
        .collect();
    let options = VerifyOptions::at(now)
        .with_machine(machine.clone())
        .with_product("demo-app");
    let check = |file: &[u8], options: &VerifyOptions| verify_license(file, &keys, options);
    let report = check(minted.token.as_bytes(), &options);
    step(
        3,
        "The customer verifies it on the isolated machine",
        &format!(
            "licet verify acme.lic --pubkey vendor.pub.pem --machine {machine} --product demo-app"
        ),
        format!("{}: {}", report.status, report.reason),
        report.status == Status::Active,
    )?;

    // 4. Tampering: change one character of the claims.
    let mut tampered = minted.token.clone().into_bytes();
    let dot = tampered.iter().position(|b| *b == b'.').unwrap_or(0);
    let target = dot + 10;
    tampered[target] = if tampered[target] == b'A' { b'B' } else { b'A' };
    write_output(&path("tampered.lic"), &tampered, 0o644, Overwrite::Refuse)?;
    let report = check(&tampered, &options);
    step(
        4,
        "Someone edits one character of the license",
        "licet verify tampered.lic --pubkey vendor.pub.pem",
        format!("{}: {}", report.status, report.reason),
        !report.valid,
    )?;

    // 5. Another machine.
    let other = MachineId::from_raw_identifier("some-other-machine");
    let report = check(
        minted.token.as_bytes(),
        &VerifyOptions::at(now).with_machine(other.clone()),
    );
    step(
        5,
        "The file is copied to another machine",
        &format!("licet verify acme.lic --pubkey vendor.pub.pem --machine {other}"),
        format!("{}: {}", report.status, report.reason),
        report.status == Status::MachineMismatch,
    )?;

    // 6. Grace, then expiry.
    let in_grace = now.saturating_add(33 * 86_400);
    let report = check(
        minted.token.as_bytes(),
        &VerifyOptions::at(in_grace).with_machine(machine.clone()),
    );
    step(
        6,
        "Three days after expiry, within the 7-day grace period",
        &format!(
            "licet verify acme.lic --pubkey vendor.pub.pem --machine {machine} --at {in_grace}"
        ),
        format!("{}: {}", report.status, report.reason),
        report.status == Status::InGrace,
    )?;
    let later = now.saturating_add(60 * 86_400);
    let report = check(
        minted.token.as_bytes(),
        &VerifyOptions::at(later).with_machine(machine.clone()),
    );
    step(
        7,
        "Sixty days later",
        &format!("licet verify acme.lic --pubkey vendor.pub.pem --machine {machine} --at {later}"),
        format!("{}: {}", report.status, report.reason),
        report.status == Status::Expired,
    )?;

    if keep {
        let kept = dir.keep();
        print_stdout(&format!("files kept in {}\n", kept.display()))?;
    }
    print_stdout(&if failures == 0 {
        "every step behaved as expected\n".to_owned()
    } else {
        format!("{failures} step(s) did not behave as expected\n")
    })?;
    Ok(if failures == 0 {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}
