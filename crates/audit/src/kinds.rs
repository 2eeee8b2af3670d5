//! What kind of file some bytes hold, recognised from their content alone (never from the
//! name): the audit skips files that are clearly something else, and the CLI never replaces a
//! file of another kind with `--out`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The kinds of file licet reads and writes, as recognised from their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Missing or empty: nothing to lose.
    Nothing,
    /// A license file (`typ` `license+jwt`).
    License,
    /// A revocation list.
    RevocationList,
    /// A time attestation.
    TimeAttestation,
    /// A relay's usage report (`typ` `usage+jwt`).
    UsageReport,
    /// Another compact JWS.
    OtherJws,
    /// A PEM private key (a key file, perhaps encrypted).
    PrivateKey,
    /// A PEM public key or certificate.
    PublicPem,
    /// A JSON object with a licet `type` (requests, releases), named by it.
    LicetJson(&'static str),
    /// A JSON object of another kind (a JWKS, a report, a saved API answer).
    OtherJson,
    /// JSON Lines: the issuance ledger.
    Ledger,
    /// Binary data: a PKCS#12 keystore, perhaps.
    Binary,
    /// Other text.
    Text,
}

impl FileKind {
    /// The kind as a person names it.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Nothing => "an empty file",
            FileKind::License => "a license file",
            FileKind::RevocationList => "a revocation list",
            FileKind::TimeAttestation => "a time attestation",
            FileKind::UsageReport => "a relay's usage report",
            FileKind::OtherJws => "a signed token (JWS) that is not a license",
            FileKind::PrivateKey => "a private key",
            FileKind::PublicPem => "a public key or certificate",
            FileKind::LicetJson(kind) => match kind {
                "licet-activation-request" => "an activation request",
                "licet-activation-release" => "an activation release",
                "licet-clock-request" => "a time-attestation request",
                _ => "a licet file",
            },
            FileKind::OtherJson => "a JSON file",
            FileKind::Ledger => "an issuance ledger",
            FileKind::Binary => "a binary file (a PKCS#12 keystore?)",
            FileKind::Text => "a text file",
        }
    }
}

/// The kind of `bytes`.
pub fn kind_of(bytes: &[u8]) -> FileKind {
    let text = bytes.trim_ascii();
    if text.is_empty() {
        return FileKind::Nothing;
    }
    let Ok(text) = std::str::from_utf8(text) else {
        return FileKind::Binary;
    };
    if text.starts_with("-----BEGIN") || text.contains("\n-----BEGIN") {
        return if text.contains("PRIVATE KEY-----") {
            FileKind::PrivateKey
        } else {
            FileKind::PublicPem
        };
    }
    if text.starts_with("eyJ") && !text.contains(char::is_whitespace) {
        let typ = text
            .split('.')
            .next()
            .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
            .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
            .and_then(|h| {
                h.get("typ")
                    .and_then(|t| t.as_str())
                    .map(str::to_ascii_lowercase)
            });
        return match typ.as_deref() {
            Some("license+jwt" | "application/license+jwt") => FileKind::License,
            Some(t) if t == licet_verifier::REVOCATION_LIST_TYPE => FileKind::RevocationList,
            Some(t) if t == licet_verifier::clock::TIME_ATTESTATION_TYPE => {
                FileKind::TimeAttestation
            }
            Some(licet_issuer::usage::USAGE_TYP) => FileKind::UsageReport,
            _ => FileKind::OtherJws,
        };
    }
    if text.starts_with('{') {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            return match value.get("type").and_then(|t| t.as_str()) {
                Some("licet-activation-request") => FileKind::LicetJson("licet-activation-request"),
                Some("licet-activation-release") => FileKind::LicetJson("licet-activation-release"),
                Some("licet-clock-request") => FileKind::LicetJson("licet-clock-request"),
                _ => FileKind::OtherJson,
            };
        }
        if text.lines().count() > 1
            && text
                .lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v.is_object()))
        {
            return FileKind::Ledger;
        }
    }
    FileKind::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_apart_by_content() {
        let jws = |typ: &str| {
            format!(
                "{}.e30.c2ln\n",
                URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"EdDSA","typ":"{typ}"}}"#))
            )
        };
        assert_eq!(kind_of(b""), FileKind::Nothing);
        assert_eq!(kind_of(jws("license+jwt").as_bytes()), FileKind::License);
        assert_eq!(
            kind_of(jws("license-revocations+jwt").as_bytes()),
            FileKind::RevocationList
        );
        assert_eq!(
            kind_of(jws("licet-time+jwt").as_bytes()),
            FileKind::TimeAttestation
        );
        assert_eq!(
            kind_of(b"-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n"),
            FileKind::PrivateKey
        );
        assert_eq!(
            kind_of(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            FileKind::PrivateKey
        );
        assert_eq!(
            kind_of(b"-----BEGIN PUBLIC KEY-----\n"),
            FileKind::PublicPem
        );
        assert_eq!(
            kind_of(br#"{"type":"licet-clock-request"}"#),
            FileKind::LicetJson("licet-clock-request")
        );
        assert_eq!(kind_of(b"{\"seq\":1}\n{\"seq\":2}\n"), FileKind::Ledger);
        assert_eq!(kind_of(&[0x30, 0x82, 0xff, 0xfe]), FileKind::Binary);
        assert_eq!(kind_of(b"notes"), FileKind::Text);
    }
}
