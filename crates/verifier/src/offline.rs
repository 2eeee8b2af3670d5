//! Offline activation, the isolated machine's side: a request file carried to the vendor, the
//! license file that comes back, and a release file that gives the seat back. The request and
//! release types are shared with the vendor's side (`licet activation respond`), so the two read
//! the same format.
//!
//! The request carries a random nonce; the vendor signs it into the license (`nonce` claim), and
//! [`install_response`] accepts a license only for a pending request with that nonce, bound to
//! that request's machine, so a response cannot be replayed to another request or machine.

use crate::keys::TrustedKeys;
use crate::machine::MachineId;
use crate::report::{Status, VerificationReport};
use crate::state::{ensure_dir, read_optional, write_atomically, StateError, VerifierState};
use crate::timestamp::UnixTime;
use crate::verify::{verify_license, MachineCheck, VerifyOptions};
use crate::LicenseKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `type` of a request file.
pub const REQUEST_TYPE: &str = "licet-activation-request";
/// `type` of a release file.
pub const RELEASE_TYPE: &str = "licet-activation-release";
/// The largest request or release file read.
pub const MAX_OFFLINE_FILE_BYTES: usize = 16 * 1024;

/// An activation request, made on the isolated machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    /// [`REQUEST_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub version: u32,
    /// The license key to activate.
    pub license_key: String,
    /// The machine to bind (64 hex).
    pub machine_id: String,
    /// The machine's host name, for the vendor's records.
    pub hostname: String,
    /// When the request was made, RFC 3339.
    pub time: String,
    /// 128 random bits, base64url: the response must carry it.
    pub nonce: String,
}

/// A release: the machine gave its seat back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationRelease {
    /// [`RELEASE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub version: u32,
    /// The license key.
    pub license_key: String,
    /// The machine.
    pub machine_id: String,
    /// The released license's id (`jti`).
    pub license_id: String,
    /// The nonce of the activation being released.
    pub nonce: String,
    /// When, RFC 3339.
    pub time: String,
}

/// A request or release file, as read by the vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineMessage {
    /// Take a seat.
    Request(ActivationRequest),
    /// Free a seat.
    Release(ActivationRelease),
}

/// Why an offline activation step failed.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// The state directory.
    #[error(transparent)]
    State(#[from] StateError),
    /// A request or release file that is not one.
    #[error("{0}")]
    BadFile(String),
    /// No pending request has the response's nonce.
    #[error("the license answers no pending request of this machine (its nonce {0} is unknown here): it was made for another request, or was installed already")]
    UnknownNonce(String),
    /// The response does not verify, or not for the request's machine and key.
    #[error("the license was refused: {status}: {reason}")]
    Refused {
        /// The status.
        status: Status,
        /// Why.
        reason: String,
    },
    /// Nothing is installed, or several licenses are and none was named.
    #[error("{0}")]
    NothingToRelease(String),
}

/// A fresh nonce: 128 random bits, base64url without padding.
pub fn new_nonce() -> Result<String, OfflineError> {
    let mut bytes = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| OfflineError::BadFile("the system random generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn is_nonce(text: &str) -> bool {
    text.len() == 22
        && URL_SAFE_NO_PAD
            .decode(text)
            .is_ok_and(|bytes| bytes.len() == 16)
}

/// This machine's host name, or `unknown`.
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .filter(|s| !s.is_empty() && s.len() <= 253)
        .unwrap_or_else(|| "unknown".into())
}

impl ActivationRequest {
    /// A request for `license_key` on `machine`, with a new nonce.
    pub fn new(
        license_key: &LicenseKey,
        machine: &MachineId,
        now: UnixTime,
    ) -> Result<Self, OfflineError> {
        Ok(ActivationRequest {
            kind: REQUEST_TYPE.into(),
            version: 1,
            license_key: license_key.as_str().to_owned(),
            machine_id: machine.as_str().to_owned(),
            hostname: hostname(),
            time: now.to_rfc3339(),
            nonce: new_nonce()?,
        })
    }

    /// The compact JSON of the request (what is written and carried).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl OfflineMessage {
    /// Reads a request or release file strictly: its type, version and every field's format.
    pub fn parse(bytes: &[u8]) -> Result<Self, OfflineError> {
        let bad = |m: String| OfflineError::BadFile(m);
        if bytes.len() > MAX_OFFLINE_FILE_BYTES {
            return Err(bad(format!(
                "the file is larger than {MAX_OFFLINE_FILE_BYTES} bytes"
            )));
        }
        let object = crate::json::parse_object(bytes)
            .map_err(|e| bad(format!("the file is not a JSON object: {e}")))?;
        let kind = object.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let value = serde_json::Value::Object(object.clone());
        let message = match kind {
            REQUEST_TYPE => OfflineMessage::Request(
                serde_json::from_value(value)
                    .map_err(|e| bad(format!("the activation request {e}")))?,
            ),
            RELEASE_TYPE => OfflineMessage::Release(
                serde_json::from_value(value).map_err(|e| bad(format!("the release {e}")))?,
            ),
            other => {
                return Err(bad(format!(
                    "the file's `type` is {}; expected {REQUEST_TYPE} or {RELEASE_TYPE}",
                    crate::jws::quote(other)
                )))
            }
        };
        let (version, key, machine, nonce, time) = match &message {
            OfflineMessage::Request(r) => {
                (r.version, &r.license_key, &r.machine_id, &r.nonce, &r.time)
            }
            OfflineMessage::Release(r) => {
                (r.version, &r.license_key, &r.machine_id, &r.nonce, &r.time)
            }
        };
        if version != 1 {
            return Err(bad(format!(
                "version {version} is not one this licet knows (1)"
            )));
        }
        LicenseKey::parse_canonical(key).map_err(|e| bad(format!("license_key: {e}")))?;
        MachineId::parse(machine).map_err(|e| bad(format!("machine_id: {e}")))?;
        if !is_nonce(nonce) {
            return Err(bad(
                "nonce: expected 22 base64url characters (128 bits)".into()
            ));
        }
        UnixTime::parse_rfc3339(time).map_err(|e| bad(format!("time: {e}")))?;
        Ok(message)
    }
}

/// What `install` keeps for each installed license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledActivation {
    /// The license id (`jti`).
    pub license_id: String,
    /// The license key.
    pub license_key: String,
    /// The machine.
    pub machine_id: String,
    /// The request's nonce.
    pub nonce: String,
    /// When installed, RFC 3339.
    pub installed_at: String,
    /// The license file.
    pub license: String,
}

fn pending_dir(state: &Path) -> PathBuf {
    state.join("pending")
}

fn installed_dir(state: &Path) -> PathBuf {
    state.join("installed")
}

/// Records a request as pending in the state directory.
pub fn record_pending(state: &Path, request: &ActivationRequest) -> Result<PathBuf, OfflineError> {
    let dir = pending_dir(state);
    ensure_dir(&dir)?;
    let path = dir.join(format!("{}.json", request.nonce));
    write_atomically(&path, format!("{}\n", request.to_json()).as_bytes())?;
    Ok(path)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, OfflineError> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        OfflineError::State(StateError::Corrupt {
            path: path.to_owned(),
            problem: e.to_string(),
        })
    })
}

/// Verifies a license from the vendor against the pending request with its nonce (same nonce,
/// same license key, bound to that request's machine, valid now), with the clock guard of the
/// state, then stores it and forgets the request.
pub fn install_response(
    state: &Path,
    license: &[u8],
    keys: &TrustedKeys,
    now: UnixTime,
    clock_tolerance_secs: u32,
) -> Result<(InstalledActivation, VerificationReport), OfflineError> {
    let _lock = VerifierState::lock(state)?;
    let mut verifier_state = VerifierState::load(state)?;
    // Untrusted until verified below: used only to find the pending request.
    let claimed_nonce = crate::inspect_untrusted(license)
        .claims
        .and_then(|c| c.get("nonce").and_then(|n| n.as_str()).map(str::to_owned))
        .filter(|n| is_nonce(n))
        .ok_or_else(|| OfflineError::Refused {
            status: Status::Malformed,
            reason:
                "the license carries no activation nonce: it is not an offline activation response"
                    .into(),
        })?;
    let pending_path = pending_dir(state).join(format!("{claimed_nonce}.json"));
    let request: ActivationRequest = read_json(&pending_path)?
        .ok_or_else(|| OfflineError::UnknownNonce(claimed_nonce.clone()))?;
    let machine = MachineId::parse(&request.machine_id)
        .map_err(|e| OfflineError::BadFile(format!("the pending request's machine_id: {e}")))?;
    let options = VerifyOptions {
        machine: MachineCheck::Machine(machine),
        ..VerifyOptions::at(now)
    }
    .with_clock_guard(verifier_state.clock_guard(clock_tolerance_secs));
    let report = verify_license(license, keys, &options);
    let refused = |status, reason: String| OfflineError::Refused { status, reason };
    let Some(verified) = report.verified_license() else {
        return Err(refused(report.status, report.reason.clone()));
    };
    if !report.valid {
        return Err(refused(report.status, report.reason.clone()));
    }
    let claims = verified.claims();
    // The nonce is now read from the verified claims.
    if claims.other.get("nonce").and_then(|n| n.as_str()) != Some(request.nonce.as_str()) {
        return Err(OfflineError::UnknownNonce(claimed_nonce));
    }
    if claims.license_key.as_ref().map(LicenseKey::as_str) != Some(request.license_key.as_str()) {
        return Err(refused(
            Status::Malformed,
            "the license is not for the license key of the request".into(),
        ));
    }
    let installed = InstalledActivation {
        license_id: claims.license_id.clone(),
        license_key: request.license_key.clone(),
        machine_id: request.machine_id.clone(),
        nonce: request.nonce.clone(),
        installed_at: now.to_rfc3339(),
        license: String::from_utf8_lossy(license).trim().to_owned(),
    };
    let dir = installed_dir(state);
    ensure_dir(&dir)?;
    // A renewal (a new response for a seat already installed here) replaces the older files of
    // the same license id, once the new one is written: one license id, one installed file.
    let renewed: Vec<PathBuf> = installed_files(state)?
        .into_iter()
        .filter(|(_, i)| i.license_id == installed.license_id)
        .map(|(path, _)| path)
        .collect();
    let mut bytes =
        serde_json::to_vec_pretty(&installed).map_err(|e| OfflineError::BadFile(e.to_string()))?;
    bytes.push(b'\n');
    let new_path = dir.join(format!("{}.json", request.nonce));
    write_atomically(&new_path, &bytes)?;
    for old in renewed.iter().filter(|p| **p != new_path) {
        std::fs::remove_file(old).map_err(|e| StateError::Io {
            path: old.clone(),
            problem: e.to_string(),
        })?;
    }
    std::fs::remove_file(&pending_path).map_err(|e| StateError::Io {
        path: pending_path.clone(),
        problem: e.to_string(),
    })?;
    verifier_state.observe(now);
    verifier_state.observe(claims.issued_at);
    verifier_state.save(state)?;
    Ok((installed, report))
}

/// The licenses installed in the state directory.
pub fn installed_activations(state: &Path) -> Result<Vec<InstalledActivation>, OfflineError> {
    Ok(installed_files(state)?
        .into_iter()
        .map(|(_, i)| i)
        .collect())
}

/// The installed licenses with the files they were read from. A file whose nonce is not a
/// nonce is corrupt (the nonce names files).
fn installed_files(state: &Path) -> Result<Vec<(PathBuf, InstalledActivation)>, OfflineError> {
    let dir = installed_dir(state);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StateError::Io {
                path: dir,
                problem: e.to_string(),
            }
            .into())
        }
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| StateError::Io {
                path: dir.clone(),
                problem: e.to_string(),
            })?
            .path();
        if path.extension().is_some_and(|e| e == "json") {
            if let Some(installed) = read_json::<InstalledActivation>(&path)? {
                if !is_nonce(&installed.nonce) {
                    return Err(StateError::Corrupt {
                        path,
                        problem: "its nonce is not 22 base64url characters".into(),
                    }
                    .into());
                }
                found.push((path, installed));
            }
        }
    }
    found.sort_by(|a, b| a.1.license_id.cmp(&b.1.license_id));
    Ok(found)
}

/// A release made and not yet completed: the installed license is still there until
/// [`PreparedRelease::complete`], which the caller runs once the release is durably written, so a
/// failure to write it loses nothing. Holds the state's lock.
#[derive(Debug)]
pub struct PreparedRelease {
    /// The release to carry to the vendor.
    pub release: ActivationRelease,
    paths: Vec<PathBuf>,
    _lock: std::fs::File,
}

impl PreparedRelease {
    /// Removes the installed license (every file of its license id, renewals included).
    pub fn complete(self) -> Result<ActivationRelease, OfflineError> {
        for path in &self.paths {
            std::fs::remove_file(path).map_err(|e| StateError::Io {
                path: path.clone(),
                problem: e.to_string(),
            })?;
        }
        Ok(self.release)
    }
}

/// Prepares the release of an installed license, to carry to the vendor: nothing is removed
/// until [`PreparedRelease::complete`]. With several installed, `license_id` names the one to
/// release.
pub fn release_activation(
    state: &Path,
    license_id: Option<&str>,
    now: UnixTime,
) -> Result<PreparedRelease, OfflineError> {
    let lock = VerifierState::lock(state)?;
    let installed = installed_files(state)?;
    let (path, chosen) = match license_id {
        Some(id) => installed
            .iter()
            .find(|(_, i)| i.license_id == id)
            .map(|(p, i)| (p, i))
            .ok_or_else(|| {
                OfflineError::NothingToRelease(format!(
                    "no license {} is installed in {}",
                    crate::jws::quote(id),
                    state.display()
                ))
            })?,
        // Renewals of one seat are one license: several files of one license id are not "several".
        None => match installed.as_slice() {
            [(path, one), rest @ ..]
                if rest.iter().all(|(_, i)| i.license_id == one.license_id) =>
            {
                (path, one)
            }
            [] => {
                return Err(OfflineError::NothingToRelease(format!(
                    "no license is installed in {}",
                    state.display()
                )))
            }
            several => {
                return Err(OfflineError::NothingToRelease(format!(
                    "{} licenses are installed in {}; name one with --license-id ({})",
                    several.len(),
                    state.display(),
                    several
                        .iter()
                        .map(|(_, i)| i.license_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        },
    };
    let release = ActivationRelease {
        kind: RELEASE_TYPE.into(),
        version: 1,
        license_key: chosen.license_key.clone(),
        machine_id: chosen.machine_id.clone(),
        license_id: chosen.license_id.clone(),
        nonce: chosen.nonce.clone(),
        time: now.to_rfc3339(),
    };
    let mut paths: Vec<PathBuf> = installed
        .iter()
        .filter(|(_, i)| i.license_id == chosen.license_id)
        .map(|(p, _)| p.clone())
        .collect();
    if !paths.contains(path) {
        paths.push(path.clone());
    }
    Ok(PreparedRelease {
        release,
        paths,
        _lock: lock,
    })
}
