//! The targets of the issuer's parsers: PKCS#12 files and the issuance ledger.

use crate::fixed;
use licet_audit::{apply_ledger_revocations, reconcile_checked, FileVerdict};
use licet_issuer::ledger::{file_sha256, sha256_hex, verify_ledger, LedgerAction, LedgerEntry};
use licet_issuer::{load_pkcs12, load_pkcs12_tls, Passphrase, SigningKey};
use licet_verifier::{verify_license, KeyType, Status};

/// PKCS#12 reading ([`load_pkcs12`] as `licet cert info`, a `--key KEY.p12`, `serve
/// --signing-key` and the certificate upload use it; [`load_pkcs12_tls`] as `serve --tls-p12`
/// does) with the fixed passphrase. Asserts: an identity read has a certificate naming the key's
/// kid, type and size; the key signs and its public key verifies that signature (the key pair is
/// whole); and the key written as PKCS#8 reads back as the same key. (Writing PKCS#12 again,
/// 100,000 key derivation iterations, is the issuer's unit test: here it would cost seconds per
/// input.)
pub fn pkcs12(data: &[u8]) {
    let passphrase = Passphrase::new(fixed::PKCS12_PASSPHRASE);
    // The TLS reader takes any key type: it must only never panic.
    let _ = load_pkcs12_tls(data, Some(&passphrase), None);
    let Ok(identity) = load_pkcs12(data, Some(&passphrase), None, "fuzz.p12") else {
        return;
    };
    let key = &identity.key;
    let certificate = &identity.certificate;
    assert_eq!(
        certificate.kid,
        key.kid(),
        "the certificate names another kid"
    );
    let (algorithm, size) = match key.key_type() {
        KeyType::Ed25519 => ("Ed25519", 256),
        KeyType::Rsa { bits } => ("RSA", bits),
    };
    assert_eq!(
        (certificate.key_algorithm.as_str(), certificate.key_size),
        (algorithm, size)
    );
    let alg = key.default_algorithm();
    let message = b"licet fuzz: the key pair is whole";
    match key.sign(alg, message) {
        Ok(signature) => assert!(
            key.public_key()
                .verify_signature(alg, message, &signature)
                .is_ok(),
            "a key read from PKCS#12 signs what its public key does not verify"
        ),
        Err(e) => panic!("a key read from PKCS#12 cannot sign: {e}"),
    }
    // The key as PKCS#8 (how `licet keygen --from-p12` writes it, and how the server seals an
    // uploaded key) reads back as the same key.
    let pkcs8 = match key.to_pkcs8_der() {
        Ok(der) => der,
        Err(e) => panic!("a key read from PKCS#12 cannot be written as PKCS#8: {e}"),
    };
    match SigningKey::from_pkcs8_der(&pkcs8) {
        Ok(again) => assert_eq!(again.kid(), key.kid(), "the key changed in a round trip"),
        Err(e) => panic!("the PKCS#8 of a key read from PKCS#12 does not read back: {e}"),
    }
}

/// Ledger verification ([`verify_ledger`], `licet ledger verify`, and `licet audit --ledger`
/// through [`reconcile_checked`] and [`apply_ledger_revocations`]). Asserts: the line count and
/// head hash are those of the bytes; each entry read serialises and reads back equal; an intact
/// chain is every line an entry, numbered from 1; the audit's reconciliation reports the same
/// chain; and a revoke entry for the control license makes the audit's verdict on it REVOKED,
/// while nothing else changes a valid verdict.
pub fn ledger(data: &[u8]) {
    let check = verify_ledger(data);
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let lines: Vec<&[u8]> = if data.is_empty() {
        Vec::new()
    } else {
        body.split(|&b| b == b'\n').collect()
    };
    assert_eq!(check.lines, lines.len(), "line count");
    if let Some(last) = lines.last() {
        assert_eq!(check.head_sha256, sha256_hex(last), "head hash");
    }
    for (number, entry) in &check.entries {
        assert!(
            (1..=lines.len()).contains(number),
            "entry line out of range"
        );
        let text = match serde_json::to_vec(entry) {
            Ok(text) => text,
            Err(e) => panic!("an entry does not serialise: {e}"),
        };
        match serde_json::from_slice::<LedgerEntry>(&text) {
            Ok(back) => assert_eq!(&back, entry, "an entry changed in a round trip"),
            Err(e) => panic!("a serialised entry does not read back: {e}"),
        }
    }
    if check.is_intact() {
        assert_eq!(
            check.entries.len(),
            lines.len(),
            "an intact ledger is all entries"
        );
        for (i, (number, entry)) in check.entries.iter().enumerate() {
            assert_eq!((*number, entry.seq), (i + 1, i as u64 + 1), "numbering");
        }
    }

    let mut verdicts = vec![control_verdict().clone()];
    apply_ledger_revocations(&check, &mut verdicts);
    let revoked = check.entries.iter().any(|(_, e)| {
        e.action == LedgerAction::Revoke && e.license_id == fixed::CONTROL_LICENSE_ID
    });
    let expected = if revoked {
        Status::Revoked
    } else {
        Status::Active
    };
    assert_eq!(verdicts[0].status, expected, "{}", verdicts[0].reason);
    assert_eq!(verdicts[0].valid, !revoked);
    let reconciliation = reconcile_checked(&check, &verdicts);
    assert_eq!(reconciliation.intact, check.is_intact());
    assert_eq!(reconciliation.entries, check.lines);
    assert_eq!(reconciliation.head_sha256, check.head_sha256);
    assert_eq!(reconciliation.chain_breaks, check.problems);
}

/// The audit's verdict on the control license, computed once.
fn control_verdict() -> &'static FileVerdict {
    static VERDICT: std::sync::OnceLock<FileVerdict> = std::sync::OnceLock::new();
    VERDICT.get_or_init(|| {
        let control = fixed::control_license().as_bytes();
        let report = verify_license(control, fixed::trusted_keys(), &fixed::verify_options());
        FileVerdict::new(
            std::path::Path::new("control.lic"),
            report,
            file_sha256(control),
        )
    })
}
