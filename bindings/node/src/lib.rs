//! The Node.js binding of `licet-verifier` (napi-rs): the npm package `licet`.
//!
//! Everything the JavaScript API offers is declared here; `napi build` generates `index.d.ts`
//! (with these doc comments as TSDoc) and the loader `index.js` from it. The verdicts are the
//! verifier's: this crate converts arguments, runs the check (on the libuv thread pool for the
//! `*Async` functions) and converts the report. A "no" verdict is a report, never an exception;
//! a usage error is an `Error` with a `code` (`LICET_KEY_FILE`, `LICET_MACHINE_ID`,
//! `LICET_STATE`, `LICET_OPTIONS`, `LICET_INTERNAL`). Every export catches panics
//! (`catch_unwind`), so none crosses into Node.
//!
//! `unsafe_code` is denied, not forbidden (as in the rest of the workspace): napi's macros
//! generate the unsafe glue (module registration, value conversions). This file has no `unsafe`.

use licet_verifier::{
    self as verifier, CheckReport, ListInput, MachineCheck, MachineId, StateSettings,
    StatefulVerifier, UnixTime,
};
use napi::bindgen_prelude::{Buffer, Either, Either3, Object, PromiseRaw};
use napi::{Env, JsDate, JsValue, Task, ValueType};
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The version of licet this binding was built from (the Rust workspace version).
#[napi]
#[allow(non_upper_case_globals)]
pub const version: &str = env!("CARGO_PKG_VERSION");

// ---------------------------------------------------------------------------------------------
// Errors

/// The `code` of an error this binding throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    /// Key material that is not a usable public key, or a key file that cannot be read.
    KeyFile,
    /// A machine id that is not 64 hex characters, or this machine's id cannot be read.
    MachineId,
    /// The state directory cannot be used (I/O, corrupt, newer format, busy).
    State,
    /// An option or argument value that is out of range or contradicts another.
    Options,
    /// A panic inside the binding or the verifier (a bug: please report it).
    Internal,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Code::KeyFile => "LICET_KEY_FILE",
            Code::MachineId => "LICET_MACHINE_ID",
            Code::State => "LICET_STATE",
            Code::Options => "LICET_OPTIONS",
            Code::Internal => "LICET_INTERNAL",
        }
    }
}

/// A usage error, before it becomes a JavaScript `Error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicetError {
    code: Code,
    message: String,
    /// For `LICET_STATE`: which problem (`IO`, `CORRUPT`, `NEWER_VERSION`, `BUSY`, `OTHER`).
    state_kind: Option<&'static str>,
}

impl LicetError {
    fn new(code: Code, message: impl Into<String>) -> Self {
        LicetError {
            code,
            message: message.into(),
            state_kind: None,
        }
    }

    fn options(message: impl Into<String>) -> Self {
        LicetError::new(Code::Options, message)
    }

    fn state(e: &verifier::state::StateError) -> Self {
        use verifier::state::StateError;
        let kind = match e {
            StateError::Io { .. } => "IO",
            StateError::Corrupt { .. } => "CORRUPT",
            StateError::NewerVersion { .. } => "NEWER_VERSION",
            StateError::Busy { .. } => "BUSY",
            _ => "OTHER",
        };
        LicetError {
            code: Code::State,
            message: e.to_string(),
            state_kind: Some(kind),
        }
    }

    fn panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        LicetError::new(
            Code::Internal,
            format!("licet panicked ({what}); this is a bug in licet, please report it"),
        )
    }

    /// The JavaScript `Error` (with `code`, and `stateError` for state errors), wrapped so that
    /// napi throws or rejects with exactly this object.
    fn into_js(self, env: &Env) -> napi::Error {
        let build = || -> napi::Result<napi::Error> {
            let mut error = env.create_error(napi::Error::from_reason(self.message.clone()))?;
            error.set("code", self.code.as_str())?;
            if let Some(kind) = self.state_kind {
                error.set("stateError", kind)?;
            }
            Ok(napi::Error::from(error.to_unknown()))
        };
        // If even the error object cannot be made (the environment is shutting down), napi's
        // plain error still carries the code as its `code`.
        build().unwrap_or_else(|_| {
            napi::Error::new(napi::Status::GenericFailure, self.message.clone())
        })
    }
}

/// A result with a usage error.
pub type Outcome<T> = Result<T, LicetError>;

/// Runs `f`, turning a panic into a `LICET_INTERNAL` error.
fn guarded<T>(f: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(LicetError::panic(&*payload)))
}

/// [`guarded`], with the error thrown into JavaScript.
fn run<T>(env: &Env, f: impl FnOnce() -> Outcome<T>) -> napi::Result<T> {
    guarded(f).map_err(|e| e.into_js(env))
}

// ---------------------------------------------------------------------------------------------
// Statuses

/// A license's status: the status names of licet (`Status.ACTIVE === 'ACTIVE'`). A status this
/// version of the binding does not know (a newer verifier) is `UNKNOWN`; the report's `reason`
/// still says what happened.
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum Status {
    /// Valid.
    ACTIVE,
    /// Expired, but within its grace days: still valid.
    IN_GRACE,
    /// On or after its expiry (plus leeway and grace).
    EXPIRED,
    /// Before its not-before time (minus leeway).
    NOT_YET_VALID,
    /// Node-locked to other machines.
    MACHINE_MISMATCH,
    /// Issued for another product.
    WRONG_PRODUCT,
    /// The signature does not verify with the trusted key.
    BAD_SIGNATURE,
    /// No trusted key matches the license.
    UNKNOWN_KEY,
    /// The license's algorithm is not accepted, or not one its key verifies.
    UNSUPPORTED_ALGORITHM,
    /// Not a well-formed license file.
    MALFORMED,
    /// Listed in a revocation list the check was given (or, with a guard, kept).
    REVOKED,
    /// The clock reads earlier than a trustworthy time already seen (beyond the tolerance).
    CLOCK_ROLLBACK,
    /// A lease check only: the lease is a seat of another pool, or the pool license given is not
    /// of type POOL.
    WRONG_POOL,
    /// A lease check only: the lease lives longer than the pool's `max_lease_ttl`.
    LEASE_TOO_LONG,
    /// Signed by a key a rollover statement retired, on or after the retirement date.
    KEY_RETIRED,
    /// Signed by a revoked key (from a date on or before the license's `iat`), or by a key
    /// trusted through a rollover that a revoked key signed.
    KEY_REVOKED,
    /// A status this version of the binding does not know.
    UNKNOWN,
}

impl Status {
    /// The status of a verifier status name; `UNKNOWN` for a name this binding does not know.
    fn from_name(name: &str) -> Self {
        match name {
            "ACTIVE" => Status::ACTIVE,
            "IN_GRACE" => Status::IN_GRACE,
            "EXPIRED" => Status::EXPIRED,
            "NOT_YET_VALID" => Status::NOT_YET_VALID,
            "MACHINE_MISMATCH" => Status::MACHINE_MISMATCH,
            "WRONG_PRODUCT" => Status::WRONG_PRODUCT,
            "BAD_SIGNATURE" => Status::BAD_SIGNATURE,
            "UNKNOWN_KEY" => Status::UNKNOWN_KEY,
            "UNSUPPORTED_ALGORITHM" => Status::UNSUPPORTED_ALGORITHM,
            "MALFORMED" => Status::MALFORMED,
            "REVOKED" => Status::REVOKED,
            "CLOCK_ROLLBACK" => Status::CLOCK_ROLLBACK,
            "WRONG_POOL" => Status::WRONG_POOL,
            "LEASE_TOO_LONG" => Status::LEASE_TOO_LONG,
            "KEY_RETIRED" => Status::KEY_RETIRED,
            "KEY_REVOKED" => Status::KEY_REVOKED,
            _ => Status::UNKNOWN,
        }
    }
}

/// What became of one revocation list given to a check (`ListStatus.ACCEPTED === 'ACCEPTED'`);
/// `UNKNOWN` for a list status this version of the binding does not know.
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ListStatus {
    /// Verified and applied (and, with a guard, kept).
    ACCEPTED,
    /// Its sequence number is lower than one already seen from its key: refused.
    OLDER_THAN_SEEN,
    /// Dated ahead of the evaluation time by more than the clock tolerance: refused.
    DATED_AHEAD,
    /// The signature does not verify.
    BAD_SIGNATURE,
    /// No trusted key matches it.
    UNKNOWN_KEY,
    /// Its algorithm is not accepted, or not one its key verifies.
    UNSUPPORTED_ALGORITHM,
    /// Not a well-formed revocation list.
    MALFORMED,
    /// It revokes a signing key it has no say over: refused, not recorded.
    NOT_AUTHORIZED,
    /// A list status this version of the binding does not know.
    UNKNOWN,
}

impl ListStatus {
    fn from_name(name: &str) -> Self {
        match name {
            "ACCEPTED" => ListStatus::ACCEPTED,
            "OLDER_THAN_SEEN" => ListStatus::OLDER_THAN_SEEN,
            "DATED_AHEAD" => ListStatus::DATED_AHEAD,
            "BAD_SIGNATURE" => ListStatus::BAD_SIGNATURE,
            "UNKNOWN_KEY" => ListStatus::UNKNOWN_KEY,
            "UNSUPPORTED_ALGORITHM" => ListStatus::UNSUPPORTED_ALGORITHM,
            "MALFORMED" => ListStatus::MALFORMED,
            "NOT_AUTHORIZED" => ListStatus::NOT_AUTHORIZED,
            _ => ListStatus::UNKNOWN,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

/// A verdict on one revocation list.
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(Debug, Clone)]
pub struct ListReport {
    /// Where the list came from, as the caller named it.
    pub source: String,
    /// The verdict.
    pub status: ListStatus,
    /// Why, in a sentence.
    pub reason: String,
    /// The key that signed it, when it verified.
    pub kid: Option<String>,
    /// Its sequence number, when it verified.
    pub seq: Option<f64>,
    /// When it was issued, when it verified.
    pub issued_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How many licenses it revokes, when it verified.
    pub entries: Option<u32>,
}

/// The verdict on a license (and on the revocation lists given with it). Fields of the license
/// are `null` unless its signature verified with a trusted key (an expired or revoked license is
/// still verified, so they are set).
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(Debug, Clone)]
pub struct Report {
    /// The status name.
    pub status: Status,
    /// True for ACTIVE and IN_GRACE: the license may be used.
    pub valid: bool,
    /// Valid, and every revocation list given was accepted (what `licet verify` exits 0 on).
    pub passed: bool,
    /// Why, in a sentence a person can act on.
    pub reason: String,
    /// The key id (RFC 7638 thumbprint) of the verifying key, else the license's `kid` header.
    pub kid: Option<String>,
    /// The license's algorithm (`EdDSA`, `RS256`, `PS256`), if it is one licet accepts.
    pub alg: Option<String>,
    /// Every claim of the verified license, as in the file (`jti`, `sub`, `iat`, `features`...).
    #[napi(ts_type = "Record<string, unknown>")]
    pub claims: Option<serde_json::Value>,
    /// `jti`: the license id.
    pub license_id: Option<String>,
    /// `sub`: the customer id.
    pub customer_id: Option<String>,
    /// `aud`: the product the license was issued for (null: any).
    pub product: Option<String>,
    /// `license_type` (`STANDARD` when the file names none).
    pub license_type: Option<String>,
    /// `iat`: when the license was issued.
    pub issued_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `exp`: when it expires (null: perpetual).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `nbf`: not valid before (null: no such limit).
    pub not_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Each revocation list given, in order, with its own verdict.
    pub lists: Vec<ListReport>,
    /// How many revocation lists the license was checked against: those given and accepted and,
    /// with a guard, every list it kept from earlier checks.
    pub lists_enforced: u32,
}

fn date(time: UnixTime) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(time.as_secs(), 0)
}

fn list_report(list: &verifier::ListReport) -> ListReport {
    ListReport {
        source: list.source.clone(),
        status: ListStatus::from_name(list.status.as_str()),
        reason: list.reason.clone(),
        kid: list.kid.clone(),
        // Sequence numbers are counters far below 2^53; a larger one would round.
        #[allow(clippy::cast_precision_loss)]
        seq: list.seq.map(|s| s as f64),
        issued_at: list
            .issued_at
            .as_deref()
            .and_then(|t| UnixTime::parse_rfc3339(t).ok())
            .and_then(date),
        entries: list.entries.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

impl Report {
    fn of(check: &CheckReport) -> Self {
        let license = &check.license;
        let verified = license.verified_license();
        let claims = verified.map(|v| v.claims());
        Report {
            status: Status::from_name(license.status.as_str()),
            valid: license.valid,
            passed: check.passed(),
            reason: license.reason.clone(),
            kid: license.kid.clone(),
            alg: license.alg.clone(),
            claims: claims.map(|c| serde_json::Value::Object(c.to_json())),
            license_id: claims.map(|c| c.license_id.clone()),
            customer_id: claims.map(|c| c.customer_id.clone()),
            product: claims.and_then(|c| c.product.clone()),
            license_type: claims.map(|c| c.license_type.as_str().to_owned()),
            issued_at: claims.and_then(|c| date(c.issued_at)),
            expires_at: claims.and_then(|c| c.expires_at).and_then(date),
            not_before: claims.and_then(|c| c.not_before).and_then(date),
            lists: check.revocation_lists.iter().map(list_report).collect(),
            lists_enforced: u32::try_from(check.lists_enforced).unwrap_or(u32::MAX),
        }
    }
}

/// The verdict on a floating-seat lease (a token from `licet relay serve`) and on the pool
/// license it is a seat of. The lease's fields are `null` unless its signature verified with the
/// relay key the pool license names.
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(Debug, Clone)]
pub struct LeaseReport {
    /// The pool license's status when the pool failed, else the lease's.
    pub status: Status,
    /// True when the pool license is valid and the lease ACTIVE: the seat may be used.
    pub valid: bool,
    /// Valid, and every revocation list given was accepted (what `licet verify-lease` exits 0 on).
    pub passed: bool,
    /// Why, in a sentence.
    pub reason: String,
    /// The half that failed: `'pool'` or `'lease'`; null when valid.
    #[napi(ts_type = "'pool' | 'lease' | null")]
    pub part: Option<String>,
    /// `jti`: the lease id (the same across renewals).
    pub lease_id: Option<String>,
    /// The machine the lease is for (64 hex).
    pub machine_id: Option<String>,
    /// `pool`: the pool license the lease names.
    pub pool_license_id: Option<String>,
    /// `iat`: when the relay signed this token.
    pub issued_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `exp`: when the lease ends unless renewed.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The pool license's own verdict, with each revocation list's.
    pub pool: Report,
}

impl LeaseReport {
    fn of(check: &verifier::LeaseCheckReport) -> Self {
        let lease = &check.lease;
        let claims = lease.lease_claims();
        LeaseReport {
            status: Status::from_name(lease.status.as_str()),
            valid: lease.valid,
            passed: check.passed(),
            reason: lease.reason.clone(),
            part: lease.part.map(|part| {
                match part {
                    verifier::lease::LeasePart::Pool => "pool",
                    verifier::lease::LeasePart::Lease => "lease",
                }
                .to_owned()
            }),
            lease_id: claims.map(|c| c.lease_id.clone()),
            machine_id: claims.map(|c| c.machine_id.as_str().to_owned()),
            pool_license_id: claims.map(|c| c.pool_license_id.clone()),
            issued_at: claims.and_then(|c| date(c.issued_at)),
            expires_at: claims.and_then(|c| date(c.expires_at)),
            pool: Report::of(&CheckReport {
                license: lease.pool.clone(),
                revocation_lists: check.revocation_lists.clone(),
                lists_enforced: check.lists_enforced,
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Options

/// How a license is checked, besides its keys. Every field is optional; an unknown field is an
/// error (`LICET_OPTIONS`), so a misspelt `product` cannot silently switch a check off.
#[napi(object, object_to_js = false)]
pub struct VerifyOptions {
    /// The evaluation time: a `Date` or Unix seconds. Default: now.
    #[napi(ts_type = "Date | number")]
    pub at: Option<f64>,
    /// Seconds of clock skew tolerated on not-before and expiry. Default 0.
    pub leeway: Option<u32>,
    /// Seconds the clock may be behind the license's issue time before it is CLOCK_ROLLBACK.
    /// Default 3600. Not accepted by `Guard.check` (the guard's own setting applies).
    pub clock_tolerance: Option<u32>,
    /// The machine id (64 hex characters) to check a node-locked license against. Default: this
    /// machine's id, read only when the license is node-locked.
    pub machine: Option<String>,
    /// `false`: do not check the machine binding (audits on another machine). Default `true`.
    pub check_machine: Option<bool>,
    /// The product the license must be issued for (its `aud`). Default: any.
    pub product: Option<String>,
}

const OPTION_NAMES: &str = "at, leeway, clockTolerance, machine, checkMachine, product";

/// How a guard treats its state. Every field is optional; an unknown field is an error.
#[napi(object, object_to_js = false)]
pub struct GuardSettings {
    /// Seconds the clock may be behind the latest trustworthy time seen (also how far ahead a
    /// revocation list may be dated). Default 3600.
    pub clock_tolerance: Option<u32>,
    /// Seconds (fractions allowed) a check waits for another process holding the state's lock,
    /// then throws `LICET_STATE` (`stateError: 'BUSY'`). Default 5.
    pub lock_timeout: Option<f64>,
}

/// A revocation list to check the license against.
#[napi(object, object_to_js = false)]
pub struct RevocationList {
    /// Where it came from (a file name), for the report.
    pub source: String,
    /// The list file's contents (a compact JWS).
    #[napi(ts_type = "Buffer | string")]
    pub data: String,
}

/// Checks that an options argument is an object (not a number or a string, which napi would
/// take as an object without fields) and that it has no field outside `known`.
fn check_keys(object: &Object<'_>, what: &str, known: &str) -> Outcome<()> {
    match object.to_unknown().get_type() {
        Ok(ValueType::Object) => {}
        Ok(other) => {
            return Err(LicetError::options(format!(
                "{what} must be an object, not {other}"
            )))
        }
        Err(e) => return Err(LicetError::options(format!("{what}: {e}"))),
    }
    let keys = Object::keys(object)
        .map_err(|e| LicetError::options(format!("{what}: cannot read its fields ({e})")))?;
    for key in keys {
        if !known.split(", ").any(|k| k == key) {
            return Err(LicetError::options(format!(
                "{what}: unknown option `{key}` (the options are {known})"
            )));
        }
    }
    Ok(())
}

/// A field of an options object; `undefined` and `null` are "not given".
fn field<T: napi::bindgen_prelude::FromNapiValue>(
    object: &Object<'_>,
    what: &str,
    name: &str,
    expected: &str,
) -> Outcome<Option<T>> {
    object
        .get::<Option<T>>(name)
        .map(Option::flatten)
        .map_err(|_| LicetError::options(format!("{what}.{name} must be {expected}")))
}

/// A whole number of seconds from 0 to 2^32 - 1.
fn seconds_u32(value: f64, what: &str) -> Outcome<u32> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) {
        // Checked just above: a whole number in u32's range.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(value as u32)
    } else {
        Err(LicetError::options(format!(
            "{what} must be a whole number of seconds from 0 to {}, not {value}",
            u32::MAX
        )))
    }
}

/// Unix seconds (fractions dropped) as an instant licet can represent.
fn instant(seconds: f64, what: &str) -> Outcome<UnixTime> {
    if !seconds.is_finite() {
        return Err(LicetError::options(format!(
            "{what} is not a valid time (NaN or infinite)"
        )));
    }
    let whole = seconds.floor();
    // The range check of from_secs catches everything out of i64's range too (saturating cast).
    #[allow(clippy::cast_possible_truncation)]
    UnixTime::from_secs(whole as i64).map_err(|e| LicetError::options(format!("{what}: {e}")))
}

/// The options of one check, read on the JavaScript thread.
fn parse_options(
    options: Option<Object<'_>>,
    clock_tolerance_allowed: bool,
) -> Outcome<verifier::VerifyOptions> {
    let Some(object) = options else {
        return Ok(verifier::VerifyOptions::at(UnixTime::now()));
    };
    let what = "options";
    check_keys(&object, what, OPTION_NAMES)?;
    let at = match field::<Either<f64, JsDate<'_>>>(
        &object,
        what,
        "at",
        "a Date or a number of Unix seconds",
    )? {
        None => UnixTime::now(),
        Some(Either::A(seconds)) => instant(seconds, "options.at")?,
        Some(Either::B(date)) => {
            let millis = date
                .value_of()
                .map_err(|e| LicetError::options(format!("options.at: {e}")))?;
            instant(millis / 1000.0, "options.at (a Date)")?
        }
    };
    let mut verify = verifier::VerifyOptions::at(at);
    if let Some(leeway) = field::<f64>(&object, what, "leeway", "a number of seconds")? {
        verify = verify.with_leeway(seconds_u32(leeway, "options.leeway")?);
    }
    if let Some(tolerance) = field::<f64>(&object, what, "clockTolerance", "a number of seconds")? {
        if !clock_tolerance_allowed {
            return Err(LicetError::options(
                "options.clockTolerance is not taken by guard.check: a guard's clock tolerance is set when it is opened (new Guard(dir, keys, { clockTolerance }))",
            ));
        }
        verify = verify.with_clock_tolerance(seconds_u32(tolerance, "options.clockTolerance")?);
    }
    let machine = field::<String>(&object, what, "machine", "a string of 64 hex characters")?;
    let check_machine = field::<bool>(&object, what, "checkMachine", "a boolean")?;
    match (machine, check_machine) {
        (Some(_), Some(false)) => {
            return Err(LicetError::options(
                "options.machine and options.checkMachine: false contradict each other: give a machine id to check, or checkMachine: false to check none",
            ))
        }
        (Some(machine), _) => {
            let id = MachineId::parse(&machine)
                .map_err(|e| LicetError::new(Code::MachineId, format!("options.machine: {e}")))?;
            verify = verify.with_machine(id);
        }
        (None, Some(false)) => verify.machine = MachineCheck::NotChecked,
        (None, _) => {}
    }
    if let Some(product) = field::<String>(&object, what, "product", "a string")? {
        verify = verify.with_product(product);
    }
    Ok(verify)
}

fn parse_settings(settings: Option<Object<'_>>) -> Outcome<StateSettings> {
    let mut parsed = StateSettings::default();
    let Some(object) = settings else {
        return Ok(parsed);
    };
    let what = "settings";
    check_keys(&object, what, "clockTolerance, lockTimeout")?;
    if let Some(tolerance) = field::<f64>(&object, what, "clockTolerance", "a number of seconds")? {
        parsed.clock_tolerance_secs = seconds_u32(tolerance, "settings.clockTolerance")?;
    }
    if let Some(timeout) = field::<f64>(&object, what, "lockTimeout", "a number of seconds")? {
        parsed.lock_timeout = Duration::try_from_secs_f64(timeout).map_err(|_| {
            LicetError::options(format!(
                "settings.lockTimeout must be a number of seconds from 0, not {timeout}"
            ))
        })?;
    }
    Ok(parsed)
}

/// Bytes of a `Buffer | string` argument.
fn bytes(input: &Either<Buffer, String>) -> Vec<u8> {
    match input {
        Either::A(buffer) => buffer.to_vec(),
        Either::B(text) => text.as_bytes().to_vec(),
    }
}

/// The revocation lists of a check: `{ source, data }` objects.
fn parse_lists(lists: Option<Vec<Object<'_>>>) -> Outcome<Vec<(String, Vec<u8>)>> {
    let mut parsed = Vec::new();
    for (i, object) in lists.unwrap_or_default().iter().enumerate() {
        let what = format!("lists[{i}]");
        check_keys(object, &what, "source, data")?;
        let source = field::<String>(object, &what, "source", "a string")?.ok_or_else(|| {
            LicetError::options(format!(
                "{what}.source is missing: name the list (its file name) for the report"
            ))
        })?;
        let data = field::<Either<Buffer, String>>(object, &what, "data", "a Buffer or a string")?
            .ok_or_else(|| {
                LicetError::options(format!(
                    "{what}.data is missing: give the list file's contents"
                ))
            })?;
        parsed.push((source, bytes(&data)));
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// Trusted keys

/// The public keys licenses are verified with: PEM (one or more `PUBLIC KEY` blocks), a JWK or a
/// JWKS, from strings, Buffers or files; several sources add up. Immutable while a check runs
/// (a check started before an `add` sees the keys it started with), and safe to share between
/// any number of concurrent `verifyAsync` calls.
#[napi]
pub struct TrustedKeys {
    inner: Arc<verifier::TrustedKeys>,
}

fn key_error(source: &str, e: &verifier::KeyError) -> LicetError {
    LicetError::new(Code::KeyFile, format!("{source}: {e}"))
}

fn read_key_file(path: &str) -> Outcome<Vec<u8>> {
    let cannot = |e: std::io::Error| {
        LicetError::new(
            Code::KeyFile,
            format!("cannot read the key file {path}: {e}"),
        )
    };
    use verifier::state::{read_regular_capped, CappedReadError};
    read_regular_capped(Path::new(path), verifier::MAX_KEY_FILE_BYTES).map_err(|e| match e {
        CappedReadError::TooLarge { limit } => LicetError::new(
            Code::KeyFile,
            format!(
                "the key file {path} is larger than {limit} bytes; it is not a public key file"
            ),
        ),
        CappedReadError::Io(e) => cannot(e),
        other => cannot(std::io::Error::other(other.to_string())),
    })
}

impl TrustedKeys {
    fn add_contents(&mut self, contents: &[u8], source: &str) -> Outcome<u32> {
        let added = Arc::make_mut(&mut self.inner)
            .add_file_contents(contents)
            .map_err(|e| key_error(source, &e))?;
        Ok(u32::try_from(added).unwrap_or(u32::MAX))
    }

    fn add_path(&mut self, path: &str) -> Outcome<u32> {
        let contents = read_key_file(path)?;
        self.add_contents(&contents, &format!("the key file {path}"))
    }

    fn accept_rollover(&mut self, statement: &[u8], source: &str) -> Outcome<bool> {
        // On a copy: a refused statement leaves the set as it was.
        let mut keys = verifier::TrustedKeys::clone(&self.inner);
        let accepted = keys
            .accept_rollover(statement)
            .map_err(|e| LicetError::new(Code::KeyFile, format!("{source} was refused: {e}")))?;
        self.inner = Arc::new(keys);
        Ok(accepted.already_trusted)
    }
}

#[napi]
impl TrustedKeys {
    /// No keys yet, or the keys in `contents` (PEM, JWK or JWKS).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: &Env, contents: Option<Either<Buffer, String>>) -> napi::Result<Self> {
        run(env, || {
            let mut keys = TrustedKeys {
                inner: Arc::new(verifier::TrustedKeys::new()),
            };
            if let Some(contents) = contents {
                keys.add_contents(&bytes(&contents), "the keys given")?;
            }
            Ok(keys)
        })
    }

    /// The keys in `contents`: one key source (PEM, JWK, JWKS) or an array of them.
    #[napi(factory, js_name = "from", catch_unwind)]
    pub fn from_contents(
        env: &Env,
        contents: Either3<Buffer, String, Vec<Either<Buffer, String>>>,
    ) -> napi::Result<Self> {
        run(env, || {
            let mut keys = TrustedKeys {
                inner: Arc::new(verifier::TrustedKeys::new()),
            };
            match contents {
                Either3::A(buffer) => {
                    keys.add_contents(&buffer, "the keys given")?;
                }
                Either3::B(text) => {
                    keys.add_contents(text.as_bytes(), "the keys given")?;
                }
                Either3::C(all) => {
                    for (i, one) in all.iter().enumerate() {
                        keys.add_contents(&bytes(one), &format!("the keys given at index {i}"))?;
                    }
                }
            }
            Ok(keys)
        })
    }

    /// The keys in the files at `paths` (one path or an array): PEM, JWK or JWKS files.
    #[napi(factory, catch_unwind)]
    pub fn from_files(env: &Env, paths: Either<String, Vec<String>>) -> napi::Result<Self> {
        run(env, || {
            let mut keys = TrustedKeys {
                inner: Arc::new(verifier::TrustedKeys::new()),
            };
            match paths {
                Either::A(path) => {
                    keys.add_path(&path)?;
                }
                Either::B(paths) => {
                    for path in &paths {
                        keys.add_path(path)?;
                    }
                }
            }
            Ok(keys)
        })
    }

    /// Adds the keys in `contents` (PEM, JWK or JWKS); returns how many were added.
    #[napi(catch_unwind)]
    pub fn add(&mut self, env: &Env, contents: Either<Buffer, String>) -> napi::Result<u32> {
        run(env, || {
            self.add_contents(&bytes(&contents), "the keys given")
        })
    }

    /// Adds the keys in the file at `path` (PEM, JWK or JWKS); returns how many were added.
    #[napi(catch_unwind)]
    pub fn add_file(&mut self, env: &Env, path: String) -> napi::Result<u32> {
        run(env, || self.add_path(&path))
    }

    /// Adds the new key that a key rollover statement (`licet key rollover`) introduces, when a
    /// key of this set signed it; returns whether that key was trusted already. From then on
    /// licenses of the new key verify, and licenses the old key signs from its retirement date
    /// are KEY_RETIRED. Add statements in the order they chain. Throws (code KEY_FILE) when the
    /// statement is refused; nothing changes then.
    #[napi(catch_unwind)]
    pub fn add_rollover(
        &mut self,
        env: &Env,
        statement: Either<Buffer, String>,
    ) -> napi::Result<bool> {
        run(env, || {
            self.accept_rollover(&bytes(&statement), "the rollover statement")
        })
    }

    /// [`addRollover`] with the statement in the file at `path`.
    #[napi(catch_unwind)]
    pub fn add_rollover_file(&mut self, env: &Env, path: String) -> napi::Result<bool> {
        run(env, || {
            let statement = read_key_file(&path)?;
            self.accept_rollover(&statement, &format!("the rollover statement {path}"))
        })
    }

    /// How many keys are trusted.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// The key ids (RFC 7638 thumbprints) of the trusted keys, in the order they were added.
    #[napi(getter)]
    pub fn kids(&self) -> Vec<String> {
        self.inner.iter().map(|k| k.kid().to_owned()).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Checks

/// One check, with its inputs copied out of JavaScript so that it can run on any thread.
enum Job {
    /// `verify`: no lists, no state.
    Verify {
        license: Vec<u8>,
        keys: Arc<verifier::TrustedKeys>,
        options: verifier::VerifyOptions,
    },
    /// `check`: revocation lists, no state.
    Check {
        license: Vec<u8>,
        keys: Arc<verifier::TrustedKeys>,
        lists: Vec<(String, Vec<u8>)>,
        options: verifier::VerifyOptions,
    },
    /// `guard.check`: the stateful check.
    Guarded {
        license: Vec<u8>,
        guard: Arc<StatefulVerifier>,
        lists: Vec<(String, Vec<u8>)>,
        options: verifier::VerifyOptions,
    },
}

fn inputs(lists: &[(String, Vec<u8>)]) -> Vec<ListInput<'_>> {
    lists
        .iter()
        .map(|(source, bytes)| ListInput { source, bytes })
        .collect()
}

impl Job {
    fn run(&self) -> Outcome<Report> {
        guarded(|| match self {
            Job::Verify {
                license,
                keys,
                options,
            } => {
                let license = verifier::verify_license(license, keys, options);
                Ok(Report::of(&CheckReport {
                    license,
                    revocation_lists: Vec::new(),
                    lists_enforced: 0,
                }))
            }
            Job::Check {
                license,
                keys,
                lists,
                options,
            } => Ok(Report::of(&verifier::check_license(
                license,
                &inputs(lists),
                keys,
                options,
            ))),
            Job::Guarded {
                license,
                guard,
                lists,
                options,
            } => guard
                .check(license, &inputs(lists), options)
                .map(|report| Report::of(&report))
                .map_err(|e| LicetError::state(&e)),
        })
    }
}

/// A check on the libuv thread pool. A usage error found while reading the arguments is carried
/// through, so that the Promise rejects with it (rather than the call throwing).
pub struct CheckTask {
    job: Option<Outcome<Job>>,
}

impl Task for CheckTask {
    type Output = Outcome<Report>;
    type JsValue = Report;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.job.take() {
            Some(Ok(job)) => job.run(),
            Some(Err(e)) => Err(e),
            None => Err(LicetError::new(
                Code::Internal,
                "the check ran twice; this is a bug in licet, please report it",
            )),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.map_err(|e| e.into_js(&env))
    }
}

/// Queues the check on the libuv thread pool and returns its Promise. The job owns its inputs
/// (the keys and the guard by `Arc`), so no JavaScript object stays borrowed while it runs:
/// `keys.add` during a pending check is fine (that check keeps the keys it started with).
/// (`AsyncTask` as a return value would keep `&TrustedKeys` borrowed until the check ends.)
fn spawn<'env>(env: &'env Env, job: Outcome<Job>) -> napi::Result<PromiseRaw<'env, Report>> {
    Ok(env.spawn(CheckTask { job: Some(job) })?.promise_object())
}

fn verify_job(
    license: &Either<Buffer, String>,
    keys: &TrustedKeys,
    options: Option<Object<'_>>,
) -> Outcome<Job> {
    Ok(Job::Verify {
        license: bytes(license),
        keys: Arc::clone(&keys.inner),
        options: parse_options(options, true)?,
    })
}

fn check_job(
    license: &Either<Buffer, String>,
    keys: &TrustedKeys,
    lists: Option<Vec<Object<'_>>>,
    options: Option<Object<'_>>,
) -> Outcome<Job> {
    Ok(Job::Check {
        license: bytes(license),
        keys: Arc::clone(&keys.inner),
        lists: parse_lists(lists)?,
        options: parse_options(options, true)?,
    })
}

/// Verifies a license file (its contents) with the trusted keys. Never throws for a "no"
/// verdict: every problem with the license is a status in the report. Throws (with a `code`)
/// only for a usage error, such as a malformed `options.machine`.
#[napi(
    catch_unwind,
    ts_args_type = "license: Buffer | string, keys: TrustedKeys, options?: VerifyOptions"
)]
pub fn verify(
    env: &Env,
    license: Either<Buffer, String>,
    keys: &TrustedKeys,
    options: Option<Object<'_>>,
) -> napi::Result<Report> {
    run(env, || verify_job(&license, keys, options)?.run())
}

/// `verify` on the libuv thread pool: the Promise resolves with the report, or rejects with a
/// usage error.
#[napi(
    catch_unwind,
    ts_args_type = "license: Buffer | string, keys: TrustedKeys, options?: VerifyOptions",
    ts_return_type = "Promise<Report>"
)]
pub fn verify_async<'env>(
    env: &'env Env,
    license: Either<Buffer, String>,
    keys: &TrustedKeys,
    options: Option<Object<'_>>,
) -> napi::Result<PromiseRaw<'env, Report>> {
    spawn(env, guarded(|| verify_job(&license, keys, options)))
}

/// Verifies a license with revocation lists, without a state: each list is verified and, if
/// accepted, applied; the report has each list's verdict (`lists`). A list dated ahead of the
/// evaluation time (beyond the clock tolerance) is refused.
#[napi(
    catch_unwind,
    ts_args_type = "license: Buffer | string, keys: TrustedKeys, lists: RevocationList[], options?: VerifyOptions"
)]
pub fn check(
    env: &Env,
    license: Either<Buffer, String>,
    keys: &TrustedKeys,
    lists: Vec<Object<'_>>,
    options: Option<Object<'_>>,
) -> napi::Result<Report> {
    run(env, || {
        check_job(&license, keys, Some(lists), options)?.run()
    })
}

/// `check` on the libuv thread pool.
#[napi(
    catch_unwind,
    ts_args_type = "license: Buffer | string, keys: TrustedKeys, lists: RevocationList[], options?: VerifyOptions",
    ts_return_type = "Promise<Report>"
)]
pub fn check_async<'env>(
    env: &'env Env,
    license: Either<Buffer, String>,
    keys: &TrustedKeys,
    lists: Vec<Object<'_>>,
    options: Option<Object<'_>>,
) -> napi::Result<PromiseRaw<'env, Report>> {
    spawn(
        env,
        guarded(|| check_job(&license, keys, Some(lists), options)),
    )
}

/// Verifies a floating-seat lease (the `lease` of the relay's answer) against the pool license it
/// is a seat of and the vendor's trusted keys, offline (docs/RELAY.md): the pool license as any
/// license except its machine binding (it names the relay's machine), of type POOL; the lease
/// signed with EdDSA by the relay key the pool license names (never a key the lease carries),
/// naming that pool, no longer than its `max_lease_ttl`, unexpired, and for this machine (or
/// `options.machine`). Never throws for a verdict.
#[napi(
    catch_unwind,
    ts_args_type = "lease: Buffer | string, pool: Buffer | string, keys: TrustedKeys, options?: VerifyOptions"
)]
pub fn verify_lease(
    env: &Env,
    lease: Either<Buffer, String>,
    pool: Either<Buffer, String>,
    keys: &TrustedKeys,
    options: Option<Object<'_>>,
) -> napi::Result<LeaseReport> {
    run(env, || {
        let options = parse_options(options, true)?;
        let (lease, pool) = (bytes(&lease), bytes(&pool));
        Ok(LeaseReport::of(&verifier::check_lease(
            &lease,
            &pool,
            &[],
            &keys.inner,
            &options,
        )))
    })
}

/// `verifyLease` with the vendor's revocation lists, without a state: a revoked pool license is
/// REVOKED (`part: 'pool'`), and `passed` is false when a list was refused.
#[napi(
    catch_unwind,
    ts_args_type = "lease: Buffer | string, pool: Buffer | string, keys: TrustedKeys, lists: RevocationList[], options?: VerifyOptions"
)]
pub fn check_lease(
    env: &Env,
    lease: Either<Buffer, String>,
    pool: Either<Buffer, String>,
    keys: &TrustedKeys,
    lists: Vec<Object<'_>>,
    options: Option<Object<'_>>,
) -> napi::Result<LeaseReport> {
    run(env, || {
        let lists = parse_lists(Some(lists))?;
        let options = parse_options(options, true)?;
        let (lease, pool) = (bytes(&lease), bytes(&pool));
        Ok(LeaseReport::of(&verifier::check_lease(
            &lease,
            &pool,
            &inputs(&lists),
            &keys.inner,
            &options,
        )))
    })
}

/// This machine's id (64 lowercase hex characters: the SHA-256 of the operating system's machine
/// identifier), as node-locked licenses name it. Throws `LICET_MACHINE_ID` when no identifier
/// can be read.
#[napi(catch_unwind)]
pub fn machine_id(env: &Env) -> napi::Result<String> {
    run(env, || {
        MachineId::this_machine()
            .map(|id| id.as_str().to_owned())
            .map_err(|e| LicetError::new(Code::MachineId, e.to_string()))
    })
}

// ---------------------------------------------------------------------------------------------
// The guard

/// The stateful check: a state directory that remembers the latest trustworthy time (so a clock
/// set back is CLOCK_ROLLBACK) and every revocation list accepted (so a revocation sticks when
/// the list is later left out). Each check locks the state (other processes wait up to
/// `lockTimeout`), and writes it atomically. State problems (corrupt, newer format, busy, I/O)
/// throw `LICET_STATE`; verdicts never throw. One guard may be used from any number of concurrent
/// `checkAsync` calls.
#[napi]
pub struct Guard {
    inner: Arc<StatefulVerifier>,
}

fn open_guard(
    dir: &str,
    keys: &TrustedKeys,
    settings: Option<Object<'_>>,
) -> Outcome<Arc<StatefulVerifier>> {
    let settings = parse_settings(settings)?;
    StatefulVerifier::open(dir, verifier::TrustedKeys::clone(&keys.inner), settings)
        .map(Arc::new)
        .map_err(|e| LicetError::state(&e))
}

impl Guard {
    fn job(
        &self,
        license: &Either<Buffer, String>,
        lists: Option<Vec<Object<'_>>>,
        options: Option<Object<'_>>,
    ) -> Outcome<Job> {
        Ok(Job::Guarded {
            license: bytes(license),
            guard: Arc::clone(&self.inner),
            lists: parse_lists(lists)?,
            options: parse_options(options, false)?,
        })
    }
}

#[napi]
impl Guard {
    /// Opens the state directory `dir` (created, mode 0700, if missing) with the keys to trust.
    /// The guard keeps the keys as they are now (a later `keys.add` does not change it). Throws
    /// `LICET_STATE` when the state cannot be used (corrupt, newer format, I/O).
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "dir: string, keys: TrustedKeys, settings?: GuardSettings"
    )]
    pub fn new(
        env: &Env,
        dir: String,
        keys: &TrustedKeys,
        settings: Option<Object<'_>>,
    ) -> napi::Result<Self> {
        run(env, || {
            Ok(Guard {
                inner: open_guard(&dir, keys, settings)?,
            })
        })
    }

    /// The same as `new Guard(dir, keys, settings)`.
    #[napi(
        factory,
        catch_unwind,
        ts_args_type = "dir: string, keys: TrustedKeys, settings?: GuardSettings"
    )]
    pub fn open(
        env: &Env,
        dir: String,
        keys: &TrustedKeys,
        settings: Option<Object<'_>>,
    ) -> napi::Result<Self> {
        Guard::new(env, dir, keys, settings)
    }

    /// The state directory.
    #[napi(getter)]
    pub fn dir(&self) -> String {
        self.inner.dir().display().to_string()
    }

    /// Checks a license with the lists given and every list the state kept, and records what it
    /// saw. `options.clockTolerance` is refused: the guard's own applies.
    #[napi(
        catch_unwind,
        ts_args_type = "license: Buffer | string, lists?: RevocationList[] | null, options?: VerifyOptions"
    )]
    pub fn check(
        &self,
        env: &Env,
        license: Either<Buffer, String>,
        lists: Option<Vec<Object<'_>>>,
        options: Option<Object<'_>>,
    ) -> napi::Result<Report> {
        run(env, || self.job(&license, lists, options)?.run())
    }

    /// `check` on the libuv thread pool (checks of one state run one at a time, under its lock).
    #[napi(
        catch_unwind,
        ts_args_type = "license: Buffer | string, lists?: RevocationList[] | null, options?: VerifyOptions",
        ts_return_type = "Promise<Report>"
    )]
    pub fn check_async<'env>(
        &self,
        env: &'env Env,
        license: Either<Buffer, String>,
        lists: Option<Vec<Object<'_>>>,
        options: Option<Object<'_>>,
    ) -> napi::Result<PromiseRaw<'env, Report>> {
        spawn(env, guarded(|| self.job(&license, lists, options)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_name_maps_and_unknown_names_are_unknown() {
        let names = [
            "ACTIVE",
            "IN_GRACE",
            "EXPIRED",
            "NOT_YET_VALID",
            "MACHINE_MISMATCH",
            "WRONG_PRODUCT",
            "BAD_SIGNATURE",
            "UNKNOWN_KEY",
            "UNSUPPORTED_ALGORITHM",
            "MALFORMED",
            "REVOKED",
            "CLOCK_ROLLBACK",
            "WRONG_POOL",
            "LEASE_TOO_LONG",
            "KEY_RETIRED",
            "KEY_REVOKED",
        ];
        for name in names {
            assert_eq!(format!("{:?}", Status::from_name(name)), name);
        }
        assert_eq!(Status::from_name("KEY_SUPERSEDED_IN_2040"), Status::UNKNOWN);
        assert_eq!(Status::from_name(""), Status::UNKNOWN);
        assert_eq!(ListStatus::from_name("ACCEPTED"), ListStatus::ACCEPTED);
        assert_eq!(ListStatus::from_name("SUPERSEDED"), ListStatus::UNKNOWN);
    }

    #[test]
    fn the_verifier_statuses_all_have_names_here() {
        // Every status the verifier reports on the demo license, and the list statuses, go
        // through as_str: a status renamed in the verifier would turn UNKNOWN here.
        use verifier::Status as V;
        for status in [
            V::Active,
            V::InGrace,
            V::Expired,
            V::NotYetValid,
            V::MachineMismatch,
            V::WrongProduct,
            V::BadSignature,
            V::UnknownKey,
            V::UnsupportedAlgorithm,
            V::Malformed,
            V::Revoked,
            V::ClockRollback,
        ] {
            assert_ne!(
                Status::from_name(status.as_str()),
                Status::UNKNOWN,
                "{status}"
            );
        }
        use verifier::ListStatus as L;
        for status in [
            L::Accepted,
            L::OlderThanSeen,
            L::DatedAhead,
            L::BadSignature,
            L::UnknownKey,
            L::UnsupportedAlgorithm,
            L::Malformed,
        ] {
            assert_ne!(ListStatus::from_name(status.as_str()), ListStatus::UNKNOWN);
        }
    }

    #[test]
    fn option_numbers_are_checked() {
        assert_eq!(seconds_u32(60.0, "x"), Ok(60));
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 4_294_967_296.0] {
            let e = seconds_u32(bad, "options.leeway").unwrap_err();
            assert_eq!(e.code, Code::Options);
            assert!(e.message.starts_with("options.leeway"), "{}", e.message);
        }
        assert_eq!(instant(1.9, "at").map(UnixTime::as_secs), Ok(1));
        assert!(instant(-1.0, "at").is_err());
        assert!(instant(f64::NAN, "at").is_err());
        assert!(instant(1e300, "at").is_err());
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let outcome: Outcome<()> = guarded(|| panic!("boom"));
        let e = outcome.unwrap_err();
        assert_eq!(e.code, Code::Internal);
        assert!(e.message.contains("boom"), "{}", e.message);
    }
}
