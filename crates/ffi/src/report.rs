//! `licet_report`: the verdict on a license and on each revocation list given with it.

use crate::boundary;
use licet_verifier::{CheckReport, LicenseClaims, ListStatus, Status, UnixTime};
use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

/// The status of a license. The numbers are fixed and never reused; statuses added later get new
/// numbers. `LICET_STATUS_UNKNOWN` (0) is a status this library has no number for yet: treat it
/// (and any number your program does not know) as not valid; `licet_report_status_name` still
/// gives its name.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum licet_status {
    /// A status this library has no number for (forward compatibility).
    LICET_STATUS_UNKNOWN = 0,
    /// Valid.
    LICET_STATUS_ACTIVE = 1,
    /// Expired, but within its `grace_days`: still valid.
    LICET_STATUS_IN_GRACE = 2,
    /// On or after `exp` (plus leeway and grace).
    LICET_STATUS_EXPIRED = 3,
    /// Before `nbf` (minus leeway).
    LICET_STATUS_NOT_YET_VALID = 4,
    /// Node-locked to other machines.
    LICET_STATUS_MACHINE_MISMATCH = 5,
    /// Issued for another product (`aud`).
    LICET_STATUS_WRONG_PRODUCT = 6,
    /// The signature does not verify with the trusted key.
    LICET_STATUS_BAD_SIGNATURE = 7,
    /// No trusted key matches the license.
    LICET_STATUS_UNKNOWN_KEY = 8,
    /// The license's algorithm is not accepted, or not one its key verifies.
    LICET_STATUS_UNSUPPORTED_ALGORITHM = 9,
    /// The file is not a well-formed license.
    LICET_STATUS_MALFORMED = 10,
    /// Listed in a revocation list the check was given (or, with a guard, kept from earlier).
    LICET_STATUS_REVOKED = 11,
    /// The clock reads earlier than a time already seen (beyond the clock tolerance).
    LICET_STATUS_CLOCK_ROLLBACK = 12,
    /// A lease check only: the lease is a seat of another pool, or the pool license given is not
    /// of type POOL (ABI 2).
    LICET_STATUS_WRONG_POOL = 13,
    /// A lease check only: the lease lives longer than the pool's `max_lease_ttl` allows (ABI 2).
    LICET_STATUS_LEASE_TOO_LONG = 14,
    /// Signed by a key that a rollover statement retired, and issued on or after the retirement
    /// date (ABI 3).
    LICET_STATUS_KEY_RETIRED = 15,
    /// Signed by a key a revocation list revoked from a date on or before the license's `iat`, or
    /// by a key trusted through a rollover a revoked key signed (ABI 3).
    LICET_STATUS_KEY_REVOKED = 16,
}

impl licet_status {
    pub(crate) fn of(status: Status) -> Self {
        match status {
            Status::Active => licet_status::LICET_STATUS_ACTIVE,
            Status::InGrace => licet_status::LICET_STATUS_IN_GRACE,
            Status::Expired => licet_status::LICET_STATUS_EXPIRED,
            Status::NotYetValid => licet_status::LICET_STATUS_NOT_YET_VALID,
            Status::MachineMismatch => licet_status::LICET_STATUS_MACHINE_MISMATCH,
            Status::WrongProduct => licet_status::LICET_STATUS_WRONG_PRODUCT,
            Status::BadSignature => licet_status::LICET_STATUS_BAD_SIGNATURE,
            Status::UnknownKey => licet_status::LICET_STATUS_UNKNOWN_KEY,
            Status::UnsupportedAlgorithm => licet_status::LICET_STATUS_UNSUPPORTED_ALGORITHM,
            Status::Malformed => licet_status::LICET_STATUS_MALFORMED,
            Status::Revoked => licet_status::LICET_STATUS_REVOKED,
            Status::ClockRollback => licet_status::LICET_STATUS_CLOCK_ROLLBACK,
            Status::WrongPool => licet_status::LICET_STATUS_WRONG_POOL,
            Status::LeaseTooLong => licet_status::LICET_STATUS_LEASE_TOO_LONG,
            Status::KeyRetired => licet_status::LICET_STATUS_KEY_RETIRED,
            Status::KeyRevoked => licet_status::LICET_STATUS_KEY_REVOKED,
            // `Status` is non-exhaustive: a status added to the verifier before it gets a number
            // here is UNKNOWN, never a crash.
            _ => licet_status::LICET_STATUS_UNKNOWN,
        }
    }

    fn name(self) -> &'static CStr {
        match self {
            licet_status::LICET_STATUS_UNKNOWN => c"UNKNOWN",
            licet_status::LICET_STATUS_ACTIVE => c"ACTIVE",
            licet_status::LICET_STATUS_IN_GRACE => c"IN_GRACE",
            licet_status::LICET_STATUS_EXPIRED => c"EXPIRED",
            licet_status::LICET_STATUS_NOT_YET_VALID => c"NOT_YET_VALID",
            licet_status::LICET_STATUS_MACHINE_MISMATCH => c"MACHINE_MISMATCH",
            licet_status::LICET_STATUS_WRONG_PRODUCT => c"WRONG_PRODUCT",
            licet_status::LICET_STATUS_BAD_SIGNATURE => c"BAD_SIGNATURE",
            licet_status::LICET_STATUS_UNKNOWN_KEY => c"UNKNOWN_KEY",
            licet_status::LICET_STATUS_UNSUPPORTED_ALGORITHM => c"UNSUPPORTED_ALGORITHM",
            licet_status::LICET_STATUS_MALFORMED => c"MALFORMED",
            licet_status::LICET_STATUS_REVOKED => c"REVOKED",
            licet_status::LICET_STATUS_CLOCK_ROLLBACK => c"CLOCK_ROLLBACK",
            licet_status::LICET_STATUS_WRONG_POOL => c"WRONG_POOL",
            licet_status::LICET_STATUS_LEASE_TOO_LONG => c"LEASE_TOO_LONG",
            licet_status::LICET_STATUS_KEY_RETIRED => c"KEY_RETIRED",
            licet_status::LICET_STATUS_KEY_REVOKED => c"KEY_REVOKED",
        }
    }

    const ALL: [licet_status; 17] = [
        licet_status::LICET_STATUS_UNKNOWN,
        licet_status::LICET_STATUS_ACTIVE,
        licet_status::LICET_STATUS_IN_GRACE,
        licet_status::LICET_STATUS_EXPIRED,
        licet_status::LICET_STATUS_NOT_YET_VALID,
        licet_status::LICET_STATUS_MACHINE_MISMATCH,
        licet_status::LICET_STATUS_WRONG_PRODUCT,
        licet_status::LICET_STATUS_BAD_SIGNATURE,
        licet_status::LICET_STATUS_UNKNOWN_KEY,
        licet_status::LICET_STATUS_UNSUPPORTED_ALGORITHM,
        licet_status::LICET_STATUS_MALFORMED,
        licet_status::LICET_STATUS_REVOKED,
        licet_status::LICET_STATUS_CLOCK_ROLLBACK,
        licet_status::LICET_STATUS_WRONG_POOL,
        licet_status::LICET_STATUS_LEASE_TOO_LONG,
        licet_status::LICET_STATUS_KEY_RETIRED,
        licet_status::LICET_STATUS_KEY_REVOKED,
    ];
}

/// The status of one revocation list given to a check. Fixed numbers, never reused;
/// `LICET_LIST_STATUS_UNKNOWN` (0) is a status this library has no number for yet (treat it as
/// refused).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum licet_list_status {
    /// A list status this library has no number for (forward compatibility).
    LICET_LIST_STATUS_UNKNOWN = 0,
    /// Verified and applied (and, with a guard, kept).
    LICET_LIST_STATUS_ACCEPTED = 1,
    /// Older (lower `seq`) than a list already seen from its key: refused, not recorded.
    LICET_LIST_STATUS_OLDER_THAN_SEEN = 2,
    /// Issued ahead of the evaluation time by more than the clock tolerance: refused, not recorded.
    LICET_LIST_STATUS_DATED_AHEAD = 3,
    /// The signature does not verify with the trusted key its `kid` names.
    LICET_LIST_STATUS_BAD_SIGNATURE = 4,
    /// No trusted key matches it.
    LICET_LIST_STATUS_UNKNOWN_KEY = 5,
    /// Its algorithm is not accepted, or not one its key verifies.
    LICET_LIST_STATUS_UNSUPPORTED_ALGORITHM = 6,
    /// Not a well-formed revocation list.
    LICET_LIST_STATUS_MALFORMED = 7,
    /// It revokes a signing key it has no say over (only its own key and the keys that key
    /// descends from through rollovers): refused, not recorded (ABI 3).
    LICET_LIST_STATUS_NOT_AUTHORIZED = 8,
}

impl licet_list_status {
    fn of(status: ListStatus) -> Self {
        match status {
            ListStatus::Accepted => licet_list_status::LICET_LIST_STATUS_ACCEPTED,
            ListStatus::OlderThanSeen => licet_list_status::LICET_LIST_STATUS_OLDER_THAN_SEEN,
            ListStatus::DatedAhead => licet_list_status::LICET_LIST_STATUS_DATED_AHEAD,
            ListStatus::BadSignature => licet_list_status::LICET_LIST_STATUS_BAD_SIGNATURE,
            ListStatus::UnknownKey => licet_list_status::LICET_LIST_STATUS_UNKNOWN_KEY,
            ListStatus::UnsupportedAlgorithm => {
                licet_list_status::LICET_LIST_STATUS_UNSUPPORTED_ALGORITHM
            }
            ListStatus::Malformed => licet_list_status::LICET_LIST_STATUS_MALFORMED,
            ListStatus::NotAuthorized => licet_list_status::LICET_LIST_STATUS_NOT_AUTHORIZED,
            // `ListStatus` is non-exhaustive: see `licet_status::of`.
            _ => licet_list_status::LICET_LIST_STATUS_UNKNOWN,
        }
    }

    fn name(self) -> &'static CStr {
        match self {
            licet_list_status::LICET_LIST_STATUS_UNKNOWN => c"UNKNOWN",
            licet_list_status::LICET_LIST_STATUS_ACCEPTED => c"ACCEPTED",
            licet_list_status::LICET_LIST_STATUS_OLDER_THAN_SEEN => c"OLDER_THAN_SEEN",
            licet_list_status::LICET_LIST_STATUS_DATED_AHEAD => c"DATED_AHEAD",
            licet_list_status::LICET_LIST_STATUS_BAD_SIGNATURE => c"BAD_SIGNATURE",
            licet_list_status::LICET_LIST_STATUS_UNKNOWN_KEY => c"UNKNOWN_KEY",
            licet_list_status::LICET_LIST_STATUS_UNSUPPORTED_ALGORITHM => c"UNSUPPORTED_ALGORITHM",
            licet_list_status::LICET_LIST_STATUS_MALFORMED => c"MALFORMED",
            licet_list_status::LICET_LIST_STATUS_NOT_AUTHORIZED => c"NOT_AUTHORIZED",
        }
    }

    const ALL: [licet_list_status; 9] = [
        licet_list_status::LICET_LIST_STATUS_UNKNOWN,
        licet_list_status::LICET_LIST_STATUS_ACCEPTED,
        licet_list_status::LICET_LIST_STATUS_OLDER_THAN_SEEN,
        licet_list_status::LICET_LIST_STATUS_DATED_AHEAD,
        licet_list_status::LICET_LIST_STATUS_BAD_SIGNATURE,
        licet_list_status::LICET_LIST_STATUS_UNKNOWN_KEY,
        licet_list_status::LICET_LIST_STATUS_UNSUPPORTED_ALGORITHM,
        licet_list_status::LICET_LIST_STATUS_MALFORMED,
        licet_list_status::LICET_LIST_STATUS_NOT_AUTHORIZED,
    ];
}

/// A C string of a Rust string. A NUL inside (a claim can hold one) becomes U+FFFD, so the C
/// string is never cut short silently; the JSON getters carry such a value exactly (`\u0000`).
pub(crate) fn c_string(text: impl Into<String>) -> CString {
    let text = text.into();
    let text = if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    };
    // No NUL is left, so this cannot fail; the fallback is never taken.
    CString::new(text).unwrap_or_default()
}

/// One list's strings, made on first use.
struct ListText {
    source: CString,
    reason: CString,
}

/// The verdict on a license, with its claims and the verdict on every revocation list given.
/// Made by `licet_verify`, `licet_check` and `licet_guard_check`; freed by `licet_report_free`.
/// It is read-only: any number of threads may read one report at once. Strings it returns are
/// owned by it, valid until it is freed, and made on first use (a call that only needs the status
/// costs no string).
#[allow(non_camel_case_types)]
pub struct licet_report {
    report: CheckReport,
    reason: OnceLock<CString>,
    status_name: OnceLock<CString>,
    kid: OnceLock<Option<CString>>,
    alg: OnceLock<Option<CString>>,
    claims_json: OnceLock<Option<CString>>,
    json: OnceLock<Option<CString>>,
    license_id: OnceLock<Option<CString>>,
    customer_id: OnceLock<Option<CString>>,
    product: OnceLock<Option<CString>>,
    license_type: OnceLock<Option<CString>>,
    lists: OnceLock<Vec<ListText>>,
}

impl licet_report {
    pub(crate) fn new(report: CheckReport) -> Self {
        licet_report {
            report,
            reason: OnceLock::new(),
            status_name: OnceLock::new(),
            kid: OnceLock::new(),
            alg: OnceLock::new(),
            claims_json: OnceLock::new(),
            json: OnceLock::new(),
            license_id: OnceLock::new(),
            customer_id: OnceLock::new(),
            product: OnceLock::new(),
            license_type: OnceLock::new(),
            lists: OnceLock::new(),
        }
    }

    fn claims(&self) -> Option<&LicenseClaims> {
        self.report.license.verified_license().map(|v| v.claims())
    }

    fn lists(&self) -> &[ListText] {
        self.lists.get_or_init(|| {
            self.report
                .revocation_lists
                .iter()
                .map(|l| ListText {
                    source: c_string(l.source.as_str()),
                    reason: c_string(l.reason.as_str()),
                })
                .collect()
        })
    }
}

pub(crate) fn optional_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Runs a getter on a report (a `licet_report` or a `licet_lease_report`); NULL (or a panic)
/// gives `default`.
///
/// # Safety
/// `report` is NULL or a live report.
pub(crate) unsafe fn read<R, T>(report: *const R, default: T, get: impl FnOnce(&R) -> T) -> T {
    // SAFETY: the caller's contract: NULL or a live report, which is never mutated.
    match unsafe { report.as_ref() } {
        Some(report) => boundary::value(default, || get(report)),
        None => default,
    }
}

/// A getter of an optional string of the report.
///
/// # Safety
/// `report` is NULL or a live report.
pub(crate) unsafe fn read_string<R>(
    report: *const R,
    get: impl FnOnce(&R) -> &OnceLock<Option<CString>>,
    make: impl FnOnce(&R) -> Option<String>,
) -> *const c_char {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        read(report, std::ptr::null(), |r| {
            optional_ptr(get(r).get_or_init(|| make(r).map(c_string)))
        })
    }
}

/// The status of the license (`LICET_STATUS_UNKNOWN` for NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_status(report: *const licet_report) -> licet_status {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, licet_status::LICET_STATUS_UNKNOWN, |r| {
            licet_status::of(r.report.license.status)
        })
    }
}

/// The name of the license's status as the verifier names it (`"ACTIVE"`, `"IN_GRACE"`, ...),
/// also for a status that has no number in this header yet. Owned by the report; NULL for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_status_name(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, std::ptr::null(), |r| {
            r.status_name
                .get_or_init(|| c_string(r.report.license.status.as_str()))
                .as_ptr()
        })
    }
}

/// The name of a license status number (`"ACTIVE"`, ...), a static string; `"UNKNOWN"` for 0 and
/// for any number this library does not define.
#[no_mangle]
pub extern "C" fn licet_status_name(status: u32) -> *const c_char {
    boundary::value(c"UNKNOWN".as_ptr(), || {
        licet_status::ALL
            .into_iter()
            .find(|s| *s as u32 == status)
            .map_or(c"UNKNOWN", licet_status::name)
            .as_ptr()
    })
}

/// The name of a list status number (`"ACCEPTED"`, ...), a static string; `"UNKNOWN"` for 0 and
/// for any number this library does not define.
#[no_mangle]
pub extern "C" fn licet_list_status_name(status: u32) -> *const c_char {
    boundary::value(c"UNKNOWN".as_ptr(), || {
        licet_list_status::ALL
            .into_iter()
            .find(|s| *s as u32 == status)
            .map_or(c"UNKNOWN", licet_list_status::name)
            .as_ptr()
    })
}

/// Whether the license may be used: its status is ACTIVE or IN_GRACE (false for NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_valid(report: *const licet_report) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, false, |r| r.report.license.valid) }
}

/// Whether the license is valid and every revocation list given was accepted: what
/// `licet verify` exits 0 on, so that a refused list is noticed (false for NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_passed(report: *const licet_report) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, false, |r| r.report.passed()) }
}

/// Whether the signature verified with a trusted key, whatever the status (an EXPIRED or REVOKED
/// license is verified): exactly when the claims getters return values (false for NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_verified(report: *const licet_report) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, false, |r| r.claims().is_some()) }
}

/// Why the license has its status, in a sentence (UTF-8). Owned by the report; NULL for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_reason(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, std::ptr::null(), |r| {
            r.reason
                .get_or_init(|| c_string(r.report.license.reason.as_str()))
                .as_ptr()
        })
    }
}

/// The kid (RFC 7638 thumbprint) of the key that verified the signature, or else the license's
/// `kid` header; NULL when there is none. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_kid(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe { read_string(report, |r| &r.kid, |r| r.report.license.kid.clone()) }
}

/// The license's algorithm (`"EdDSA"`, `"RS256"`, `"PS256"`) when it is one licet accepts; NULL
/// otherwise. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_alg(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe { read_string(report, |r| &r.alg, |r| r.report.license.alg.clone()) }
}

/// Every claim of the license as one JSON object (the names of docs/FORMAT.md: `jti`, `sub`,
/// `iat`, `exp`, `features`, ... and any other claim it carries); NULL unless the signature
/// verified. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_claims_json(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.claims_json,
            |r| {
                r.claims()
                    .and_then(|c| serde_json::to_string(&c.to_json()).ok())
            },
        )
    }
}

/// The whole report as JSON, as `licet verify --json` prints it (`valid`, `status`, `reason`,
/// `kid`, `alg`, `license`, `revocationLists`, `listsEnforced`). Owned by the report; NULL for
/// NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_json(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.json,
            |r| serde_json::to_string_pretty(&r.report).ok(),
        )
    }
}

/// The license id (`jti`); NULL unless the signature verified. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_license_id(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.license_id,
            |r| r.claims().map(|c| c.license_id.clone()),
        )
    }
}

/// The customer id (`sub`); NULL unless the signature verified. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_customer_id(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.customer_id,
            |r| r.claims().map(|c| c.customer_id.clone()),
        )
    }
}

/// The product the license was issued for (`aud`); NULL when it names none or unless the
/// signature verified. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_product(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.product,
            |r| r.claims().and_then(|c| c.product.clone()),
        )
    }
}

/// The license type (`license_type`; `"STANDARD"` when absent); NULL unless the signature
/// verified. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_license_type(report: *const licet_report) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.license_type,
            |r| r.claims().map(|c| c.license_type.as_str().to_owned()),
        )
    }
}

/// A time claim into `*out` (seconds since the Unix epoch).
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or writable.
unsafe fn read_time(
    report: *const licet_report,
    out: *mut i64,
    get: impl FnOnce(&LicenseClaims) -> Option<UnixTime>,
) -> bool {
    // SAFETY: the caller's contract, passed on.
    unsafe { write_time(report, out, |r: &licet_report| r.claims().and_then(get)) }
}

/// A time a getter finds in a report (a `licet_report` or a `licet_lease_report`) into `*out`;
/// false, leaving `*out` alone, when there is none or `out` is NULL.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or writable.
pub(crate) unsafe fn write_time<R>(
    report: *const R,
    out: *mut i64,
    get: impl FnOnce(&R) -> Option<UnixTime>,
) -> bool {
    // SAFETY: the caller's contract, passed on.
    let time = unsafe { read(report, None, get) };
    match time {
        Some(t) if !out.is_null() => {
            // SAFETY: not NULL; the caller's contract makes it writable.
            unsafe { out.write(t.as_secs()) };
            true
        }
        _ => false,
    }
}

/// When the license was issued (`iat`), in seconds since the Unix epoch, into `*out`. Returns
/// false (and leaves `*out` alone) unless the signature verified, or for NULL arguments.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn licet_report_issued_at(
    report: *const licet_report,
    out: *mut i64,
) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read_time(report, out, |c| Some(c.issued_at)) }
}

/// When the license expires (`exp`) into `*out`. Returns false for a perpetual license, unless
/// the signature verified, or for NULL arguments.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn licet_report_expires_at(
    report: *const licet_report,
    out: *mut i64,
) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read_time(report, out, |c| c.expires_at) }
}

/// When the license becomes valid (`nbf`) into `*out`. Returns false when it has no `nbf`,
/// unless the signature verified, or for NULL arguments.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn licet_report_not_before(
    report: *const licet_report,
    out: *mut i64,
) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read_time(report, out, |c| c.not_before) }
}

/// When the entitlement behind the license ends (`entitlement_exp`; a seat file's `exp` is the
/// end of its lease, often earlier) into `*out`. Returns false when absent, unless the signature
/// verified, or for NULL arguments.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn licet_report_entitlement_expires_at(
    report: *const licet_report,
    out: *mut i64,
) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read_time(report, out, |c| c.entitlement_expires_at) }
}

/// How many revocation lists were given to the check (0 for `licet_verify` and for NULL). The
/// list getters take an index below this count.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_list_count(report: *const licet_report) -> usize {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, 0, |r| r.report.revocation_lists.len()) }
}

/// The status of the revocation list at `index`, in the order given
/// (`LICET_LIST_STATUS_UNKNOWN` for an index out of range or NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_list_status(
    report: *const licet_report,
    index: usize,
) -> licet_list_status {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, licet_list_status::LICET_LIST_STATUS_UNKNOWN, |r| {
            r.report
                .revocation_lists
                .get(index)
                .map_or(licet_list_status::LICET_LIST_STATUS_UNKNOWN, |l| {
                    licet_list_status::of(l.status)
                })
        })
    }
}

/// The source name given with the revocation list at `index`; NULL for an index out of range.
/// Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_list_source(
    report: *const licet_report,
    index: usize,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, std::ptr::null(), |r| {
            r.lists()
                .get(index)
                .map_or(std::ptr::null(), |l| l.source.as_ptr())
        })
    }
}

/// Why the revocation list at `index` has its status, in a sentence; NULL for an index out of
/// range. Owned by the report.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_list_reason(
    report: *const licet_report,
    index: usize,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, std::ptr::null(), |r| {
            r.lists()
                .get(index)
                .map_or(std::ptr::null(), |l| l.reason.as_ptr())
        })
    }
}

/// How many revocation lists the license was checked against: those given and accepted and, with
/// a guard, every list it kept from earlier checks (0 for NULL).
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn licet_report_lists_enforced(report: *const licet_report) -> usize {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, 0, |r| r.report.lists_enforced) }
}

/// Frees a report, and with it every string it returned. NULL is a no-op.
///
/// # Safety
/// `report` is NULL or a live report that no other thread is reading; it and its strings must not
/// be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn licet_report_free(report: *mut licet_report) {
    // SAFETY: the caller gives up a report made by licet (or NULL).
    unsafe { boundary::free(report) }
}
