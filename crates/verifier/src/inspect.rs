//! Decoding a license file without verifying it, for `licet inspect`. Nothing here is trusted.

use crate::json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

/// The decoded, UNVERIFIED parts of a license file. Never base a decision on it.
#[derive(Debug, Clone, Serialize)]
pub struct UntrustedContents {
    /// Always false: a reminder in every JSON output.
    pub trusted: bool,
    /// The header, if it decodes to JSON.
    pub header: Option<Value>,
    /// The claims, if they decode to JSON.
    pub claims: Option<Value>,
    /// The signature's length in bytes, if it decodes.
    pub signature_bytes: Option<usize>,
    /// What could not be decoded, one sentence each.
    pub problems: Vec<String>,
}

/// Decodes a license file's header and claims leniently, trusting nothing.
pub fn inspect_untrusted(file: &[u8]) -> UntrustedContents {
    let mut out = UntrustedContents {
        trusted: false,
        header: None,
        claims: None,
        signature_bytes: None,
        problems: Vec::new(),
    };
    if file.len() > crate::MAX_LICENSE_FILE_BYTES {
        out.problems.push(format!(
            "the file is {} bytes, over the {} byte limit",
            file.len(),
            crate::MAX_LICENSE_FILE_BYTES
        ));
        return out;
    }
    let text = String::from_utf8_lossy(file);
    let parts: Vec<&str> = text.trim().split('.').collect();
    if parts.len() != 3 {
        out.problems.push(format!(
            "expected three dot-separated parts, found {}",
            parts.len()
        ));
    }
    let mut decode = |name: &str, part: Option<&&str>| -> Option<Vec<u8>> {
        let part = part?;
        match URL_SAFE_NO_PAD.decode(part) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                out.problems
                    .push(format!("the {name} is not unpadded base64url: {e}"));
                None
            }
        }
    };
    let header = decode("header", parts.first());
    let claims = decode("payload", parts.get(1));
    let signature = decode("signature", parts.get(2));
    for (name, bytes, slot) in [
        ("header", header, &mut out.header),
        ("claims", claims, &mut out.claims),
    ] {
        if let Some(bytes) = bytes {
            match json::parse_value(&bytes) {
                Ok(v) => *slot = Some(v),
                Err(e) => out.problems.push(format!("the {name} {e}")),
            }
        }
    }
    out.signature_bytes = signature.map(|s| s.len());
    out
}
