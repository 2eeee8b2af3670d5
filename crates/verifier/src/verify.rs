//! `verify_license`: file bytes + trusted keys + options -> report. Checks run in a fixed order:
//! size, structure, header, key and signature, then (only on a verified token) claims, the clock
//! guard, revocation, product, not-before, expiry and grace, machine binding.

use crate::claims::LicenseClaims;
use crate::jws::{self, JwsError};
use crate::keys::TrustedKeys;
use crate::machine::MachineId;
use crate::report::{LicenseView, Status, VerificationReport, VerifiedLicense};
use crate::revocation::RevocationList;
use crate::timestamp::{human_duration, UnixTime};
use std::sync::Arc;

/// The largest license file accepted, in bytes; larger files are refused before parsing.
pub const MAX_LICENSE_FILE_BYTES: usize = 64 * 1024;

/// The accepted `typ` header values (compared case-insensitively, RFC 8725 section 3.11).
pub const LICENSE_TYPES: [&str; 2] = ["license+jwt", "application/license+jwt"];

/// Which machine a node-locked license is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MachineCheck {
    /// This machine's id, read from the operating system only if the license is node-locked.
    #[default]
    ThisMachine,
    /// A given machine id.
    Machine(MachineId),
    /// Not checked: for audits on a machine that is not the customer's, where the binding is
    /// reported (in the license's fields) rather than enforced.
    NotChecked,
}

impl MachineCheck {
    /// The machine to check against: `None` when not checked; this machine's id read from the
    /// operating system for [`MachineCheck::ThisMachine`] (an error when it cannot be read).
    pub fn resolve(&self) -> Result<Option<MachineId>, crate::MachineIdError> {
        match self {
            MachineCheck::NotChecked => Ok(None),
            MachineCheck::Machine(id) => Ok(Some(id.clone())),
            MachineCheck::ThisMachine => MachineId::this_machine().map(Some),
        }
    }
}

/// What a license is verified against, besides its keys.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The evaluation time.
    pub now: UnixTime,
    /// Seconds of clock skew tolerated on `nbf` and `exp`. Default 0.
    pub leeway_secs: u32,
    /// The machine for node-locked licenses.
    pub machine: MachineCheck,
    /// If set, the license's `aud` must equal it.
    pub product: Option<String>,
    /// Verified revocation lists, of one key or several (merged: a license listed in any of them
    /// is REVOKED).
    pub revocations: Vec<Arc<RevocationList>>,
    /// The clock guard: an evaluation time more than the tolerance behind the latest trustworthy
    /// time (the license's own `iat`, and with a state the latest time it recorded) is
    /// CLOCK_ROLLBACK. Without a state its mark is the Unix epoch, so only `iat` counts.
    pub clock_guard: ClockGuard,
    /// Whether a pool license (`license_type` `POOL`, the right to lend floating seats through
    /// `licet relay`) passes this check. Default `false`: a product's own check must not take a
    /// pool for a seat, so such a file is WRONG_PRODUCT. Tools that inspect pools (the relay, the
    /// lease check, `licet verify` on the relay's machine, audits) set it.
    pub accept_pool_licenses: bool,
}

/// The clock-rollback guard: the latest trustworthy time seen before this check (from a state
/// kept by the caller; the Unix epoch without one), and how far behind it the clock may be. The
/// license's own `iat` is a trustworthy time too: a clock before the file's issue (beyond the
/// tolerance) has been set back, state or no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockGuard {
    /// The latest trustworthy time seen.
    pub latest_seen: UnixTime,
    /// Seconds the clock may be behind it (default 3600).
    pub tolerance_secs: u32,
}

impl Default for ClockGuard {
    /// No time recorded (only the license's `iat` counts), the default tolerance.
    fn default() -> Self {
        ClockGuard {
            latest_seen: UnixTime::EPOCH,
            tolerance_secs: DEFAULT_CLOCK_TOLERANCE_SECS,
        }
    }
}

/// The default tolerance of the clock guard: one hour.
pub const DEFAULT_CLOCK_TOLERANCE_SECS: u32 = 3600;

impl ClockGuard {
    /// Whether `now` is more than the tolerance behind the latest trustworthy time: the recorded
    /// mark, or `issued_at` (the file's own `iat`) when that is later. `Err` says which, how far
    /// behind the clock is, and the way back.
    pub fn check(&self, now: UnixTime, issued_at: Option<UnixTime>) -> Result<(), String> {
        let tolerance = i64::from(self.tolerance_secs);
        let behind = |t: UnixTime| human_duration(t.as_secs() - now.as_secs());
        match issued_at {
            Some(iat) if iat >= self.latest_seen && now.saturating_add(tolerance) < iat => Err(format!(
                "the clock reads {now}, {} before the file was issued ({iat}; tolerance {}): the clock was set back, or is wrong. Set the system clock right; if the clock is right, the file is dated ahead and the vendor must issue it again",
                behind(iat),
                human_duration(tolerance)
            )),
            _ if now.saturating_add(tolerance) < self.latest_seen => Err(format!(
                "the clock reads {now}, {} behind {}, the latest trustworthy time this state has seen (tolerance {}): the clock was set back. If the clock is right now (an earlier clock ran fast and raised the mark), ask the vendor for a time attestation: `licet clock request --state DIR --out req.json`, the vendor runs `licet clock attest`, then `licet clock apply ATTESTATION --state DIR --pubkey KEY`",
                behind(self.latest_seen),
                self.latest_seen,
                human_duration(tolerance)
            )),
            _ => Ok(()),
        }
    }
}

impl VerifyOptions {
    /// Options at the given instant: no leeway, this machine, any product.
    pub fn at(now: UnixTime) -> Self {
        VerifyOptions {
            now,
            leeway_secs: 0,
            machine: MachineCheck::ThisMachine,
            product: None,
            revocations: Vec::new(),
            clock_guard: ClockGuard::default(),
            accept_pool_licenses: false,
        }
    }

    /// Lets a pool license (`license_type` `POOL`) pass; see
    /// [`VerifyOptions::accept_pool_licenses`].
    pub fn accepting_pool_licenses(mut self) -> Self {
        self.accept_pool_licenses = true;
        self
    }

    /// Checks licenses against a revocation list too (lists add up; none replaces another).
    pub fn with_revocations(mut self, list: Arc<RevocationList>) -> Self {
        self.revocations.push(list);
        self
    }

    /// Sets the clock guard: the latest trustworthy time a state recorded, and the tolerance.
    pub fn with_clock_guard(mut self, guard: ClockGuard) -> Self {
        self.clock_guard = guard;
        self
    }

    /// Sets how far behind the latest trustworthy time (the license's `iat` without a state)
    /// the clock may be, in seconds.
    pub fn with_clock_tolerance(mut self, seconds: u32) -> Self {
        self.clock_guard.tolerance_secs = seconds;
        self
    }

    /// Sets the machine id to check node-locked licenses against.
    pub fn with_machine(mut self, machine: MachineId) -> Self {
        self.machine = MachineCheck::Machine(machine);
        self
    }

    /// Requires `aud` to equal `product`.
    pub fn with_product(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Sets the leeway in seconds.
    pub fn with_leeway(mut self, seconds: u32) -> Self {
        self.leeway_secs = seconds;
        self
    }
}

/// Verifies a license file and reports the verdict. Never panics; every failure is a status.
///
/// # Example
/// ```
/// use licet_verifier::{verify_license, TrustedKeys, UnixTime, VerifyOptions, Status};
///
/// let keys = TrustedKeys::new();
/// let report = verify_license(b"not a license", &keys, &VerifyOptions::at(UnixTime::now()));
/// assert_eq!(report.status, Status::Malformed);
/// assert!(!report.valid);
/// ```
pub fn verify_license(
    file: &[u8],
    keys: &TrustedKeys,
    options: &VerifyOptions,
) -> VerificationReport {
    verify_with(file, keys, options, |decoded| decoded.verify(keys))
}

/// [`verify_license`] with the signature step given: the one-by-one check, or the acceptance of a
/// signature that a batch equation verified (`crate::batch`). Every other check is this one code.
pub(crate) fn verify_with<'k>(
    file: &[u8],
    keys: &TrustedKeys,
    options: &VerifyOptions,
    check_signature: impl for<'a> FnOnce(jws::DecodedJws<'a>) -> Result<jws::VerifiedJws<'k>, JwsError>,
) -> VerificationReport {
    let mut report = VerificationReport {
        valid: false,
        status: Status::Malformed,
        reason: String::new(),
        kid: None,
        alg: None,
        license: None,
        verified: None,
    };
    let reject = |mut report: VerificationReport, status: Status, reason: String| {
        report.status = status;
        report.reason = reason;
        report
    };

    if file.len() > MAX_LICENSE_FILE_BYTES {
        let reason = format!(
            "the file is larger than {MAX_LICENSE_FILE_BYTES} bytes, the limit for a license file"
        );
        return reject(report, Status::Malformed, reason);
    }
    let Ok(text) = std::str::from_utf8(file) else {
        return reject(
            report,
            Status::Malformed,
            "the file is not UTF-8 text (a PKCS#12 keystore or another binary file?), so it is not a license file".into(),
        );
    };
    if let Some(what) = other_kind_of_file(text.trim()) {
        return reject(report, Status::Malformed, what);
    }
    let decoded = match jws::decode(text.trim()) {
        Ok(decoded) => decoded,
        Err(e) => return reject(report, e.status(), e.to_string()),
    };
    report.alg = Some(decoded.alg().name().to_owned());
    report.kid = decoded.kid().map(str::to_owned);
    if let Err(reason) = check_typ(decoded.header()) {
        return reject(report, Status::Malformed, reason);
    }
    let verified = match check_signature(decoded) {
        Ok(v) => v,
        Err(e @ JwsError::BadSignature) => return reject(report, e.status(), e.to_string()),
        Err(e) => return reject(report, e.status(), e.to_string()),
    };
    report.kid = Some(verified.key().kid().to_owned());

    // From here on the payload is authenticated; its content may still be ill-formed.
    let claims = match crate::json::parse_object(verified.payload())
        .map_err(|e| format!("the claims {e}"))
        .and_then(|map| LicenseClaims::from_json(map).map_err(|e| e.to_string()))
    {
        Ok(claims) => claims,
        Err(reason) => return reject(report, Status::Malformed, reason),
    };

    let (status, reason) = evaluate(&claims, verified.key().kid(), keys, options);
    report.valid = status.is_valid();
    report.status = status;
    report.reason = reason;
    report.license = Some(LicenseView::new(&claims, status));
    report.verified = Some(VerifiedLicense {
        claims,
        kid: verified.key().kid().to_owned(),
        alg: verified.alg(),
    });
    report
}

/// A file that is plainly something else than a license (a key, a request, a ledger, a signed
/// API answer), named as such: a wrong file given by mistake is not tampering.
fn other_kind_of_file(text: &str) -> Option<String> {
    let named =
        |what: &str, hint: &str| Some(format!("the file is {what}, not a license file{hint}"));
    if text.starts_with("-----BEGIN") || text.starts_with(crate::keys::ALGORITHM_ANNOTATION) {
        return if text.contains("PRIVATE KEY-----") {
            named(
                "a PEM private key",
                " (a signing key belongs with the vendor, never with a product)",
            )
        } else if text.contains("CERTIFICATE-----") {
            named("a PEM certificate", "")
        } else {
            named("a PEM public key", " (give it with --pubkey)")
        };
    }
    if text.starts_with('{') {
        let value = serde_json::from_str::<serde_json::Value>(text).ok();
        let first = value.or_else(|| {
            text.lines()
                .next()
                .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|_| text.lines().count() > 1)
                .map(|v| serde_json::json!({"ledger": v}))
        })?;
        let kind = first.get("type").and_then(serde_json::Value::as_str);
        return match kind {
            Some("licet-activation-request") => named("an activation request", ": carry it to the vendor, who answers it with `licet activation respond`; install the answer"),
            Some("licet-activation-release") => named("an activation release", ": carry it to the vendor (`licet activation respond`)"),
            Some("licet-clock-request") => named("a time-attestation request", ": the vendor answers it with `licet clock attest`"),
            _ if first.get("ledger").is_some() => named("an issuance ledger (JSON Lines)", ": check it with `licet ledger verify`"),
            _ if first.get("keys").is_some() => named("a JWKS (public keys)", " (give it with --pubkey)"),
            _ if first.get("kty").is_some() => named("a JWK (a public key)", " (give it with --pubkey)"),
            _ if first.get("signature").is_some() => named("a signed API answer", ": check it with `licet verify-response`"),
            _ => named("a JSON file", ""),
        };
    }
    None
}

fn check_typ(header: &serde_json::Map<String, serde_json::Value>) -> Result<(), String> {
    match header.get("typ") {
        Some(serde_json::Value::String(typ)) if LICENSE_TYPES.iter().any(|t| t.eq_ignore_ascii_case(typ)) => Ok(()),
        Some(serde_json::Value::String(typ)) if typ.eq_ignore_ascii_case(crate::REVOCATION_LIST_TYPE) => Err(
            "the file is a revocation list, not a license file: give it with --revocations".into(),
        ),
        Some(serde_json::Value::String(typ)) if typ.eq_ignore_ascii_case(crate::rollover::ROLLOVER_TYPE) => Err(
            "the file is a key rollover statement, not a license file: add it with `licet trust add`".into(),
        ),
        Some(serde_json::Value::String(typ)) if typ.eq_ignore_ascii_case(crate::clock::TIME_ATTESTATION_TYPE) => Err(
            "the file is a time attestation, not a license file: apply it with `licet clock apply`".into(),
        ),
        Some(serde_json::Value::String(typ)) => Err(format!(
            "the header `typ` is {}; a license file has `typ` `license+jwt` (RFC 8725 explicit typing), so other JWTs cannot pass as licenses",
            jws::quote(typ)
        )),
        Some(_) => Err("the header `typ` must be a string".into()),
        None => Err("the header has no `typ`; a license file has `typ` `license+jwt` (RFC 8725 explicit typing)".into()),
    }
}

/// The claim checks, on verified claims only.
fn evaluate(
    claims: &LicenseClaims,
    kid: &str,
    keys: &TrustedKeys,
    options: &VerifyOptions,
) -> (Status, String) {
    let now = options.now;
    let leeway = i64::from(options.leeway_secs);

    if let Err(reason) = options.clock_guard.check(now, Some(claims.issued_at)) {
        return (Status::ClockRollback, reason);
    }
    if let Err(refusal) =
        crate::trust::key_standing(keys, kid, claims.issued_at, &options.revocations)
    {
        return (refusal.status, refusal.reason);
    }
    if let Some(revoked) = options
        .revocations
        .iter()
        .find_map(|list| list.find(&claims.license_id).map(|r| (list, r)))
    {
        let (list, entry) = revoked;
        let reason = if entry.reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", jws::quote(&entry.reason))
        };
        return (
            Status::Revoked,
            format!(
                "the license was revoked at {}{reason}, by revocation list {} of key {}",
                entry.revoked_at, list.seq, list.kid
            ),
        );
    }

    if let Some(wanted) = &options.product {
        match &claims.product {
            Some(product) if product == wanted => {}
            Some(product) => {
                return (
                    Status::WrongProduct,
                    format!(
                        "the license is for product {}, not {}",
                        jws::quote(product),
                        jws::quote(wanted)
                    ),
                )
            }
            None => {
                return (
                    Status::WrongProduct,
                    format!(
                        "the license names no product (`aud`), but {} is required",
                        jws::quote(wanted)
                    ),
                )
            }
        }
    }
    if !options.accept_pool_licenses
        && claims.license_type.as_str() == crate::lease::POOL_LICENSE_TYPE
    {
        return (
            Status::WrongProduct,
            "the license is a pool license (`license_type` POOL): it lets a relay lend floating \
             seats and is not a license for a product; a product asks the relay for a lease and \
             checks it with the pool (verify-lease)"
                .into(),
        );
    }
    if let Some(nbf) = claims.not_before {
        if now.saturating_add(leeway) < nbf {
            return (
                Status::NotYetValid,
                format!(
                    "the license is not valid before {nbf}: evaluation time {now} is {} before it",
                    human_duration(nbf.as_secs() - now.as_secs())
                ),
            );
        }
    }
    let mut in_grace = None;
    if let Some(exp) = claims.expires_at {
        // RFC 7519 4.1.4: expired "on or after" exp.
        if now >= exp.saturating_add(leeway) {
            let grace_end = claims.grace_ends_at().unwrap_or(exp).saturating_add(leeway);
            let late = human_duration(now.as_secs() - exp.as_secs());
            if now < grace_end {
                in_grace = Some(format!(
                    "the license expired at {exp} ({late} ago) and is in its grace period of {} days, which ends at {grace_end}",
                    claims.grace_days.unwrap_or(0)
                ));
            } else if claims.grace_days.unwrap_or(0) > 0 {
                return (
                    Status::Expired,
                    format!("the license expired at {exp} and its grace period ended at {grace_end}: evaluation time {now} is {late} after expiry"),
                );
            } else {
                return (
                    Status::Expired,
                    format!(
                        "the license expired at {exp}: evaluation time {now} is {late} after it"
                    ),
                );
            }
        }
    }
    if let Some(bound) = &claims.machine_ids {
        let machine = match options.machine.resolve() {
            Ok(machine) => machine,
            Err(e) => {
                return (
                    Status::MachineMismatch,
                    format!("the license is node-locked, and {e}"),
                )
            }
        };
        if let Some(machine) = machine.filter(|m| !bound.contains(m)) {
            return (
                Status::MachineMismatch,
                format!(
                    "the license is bound to {} machine id(s), and {machine} is not one of them",
                    bound.len()
                ),
            );
        }
    }
    match (in_grace, claims.expires_at) {
        (Some(reason), _) => (Status::InGrace, reason),
        (None, Some(exp)) => (
            Status::Active,
            format!(
                "the license is valid until {exp} ({} from now)",
                human_duration(exp.as_secs() - now.as_secs())
            ),
        ),
        (None, None) => (
            Status::Active,
            "the license is valid and perpetual (no expiry)".into(),
        ),
    }
}
