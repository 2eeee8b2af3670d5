//! Floating seats (ABI 2): `licet_verify_lease` checks a lease token from `licet relay serve`
//! against its pool license and the vendor's keys, with the vendor's revocation lists.

use crate::boundary::{self, Out};
use crate::error::{licet_error, licet_result};
use crate::keys::licet_keys;
use crate::options::{licet_options, verify_options};
use crate::report::{c_string, licet_report, licet_status, read, read_string, write_time};
use crate::verify::{licet_list_input, list_inputs};
use licet_verifier::lease::LeasePart;
use licet_verifier::{check_lease, CheckReport, LeaseCheckReport, UnixTime};
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

/// Which half of a lease check failed. Fixed numbers, never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum licet_lease_part {
    /// Nothing failed (the lease is valid), or NULL was given.
    LICET_LEASE_PART_NONE = 0,
    /// The pool license (vendor-signed): its own verdict is `licet_lease_report_pool`.
    LICET_LEASE_PART_POOL = 1,
    /// The lease token (relay-signed).
    LICET_LEASE_PART_LEASE = 2,
}

/// The verdict on a lease and on the pool license it is a seat of. Made by `licet_verify_lease`,
/// freed by `licet_lease_report_free`. Read-only: any number of threads may read one at once.
/// Strings it returns are owned by it and valid until it is freed.
#[allow(non_camel_case_types)]
pub struct licet_lease_report {
    report: LeaseCheckReport,
    /// The pool license's verdict and the lists', as a license report.
    pool: licet_report,
    reason: OnceLock<CString>,
    status_name: OnceLock<CString>,
    json: OnceLock<Option<CString>>,
    lease_id: OnceLock<Option<CString>>,
    machine_id: OnceLock<Option<CString>>,
    pool_license_id: OnceLock<Option<CString>>,
}

impl licet_lease_report {
    fn new(report: LeaseCheckReport) -> Self {
        let pool = licet_report::new(CheckReport {
            license: report.lease.pool.clone(),
            revocation_lists: report.revocation_lists.clone(),
            lists_enforced: report.lists_enforced,
        });
        licet_lease_report {
            report,
            pool,
            reason: OnceLock::new(),
            status_name: OnceLock::new(),
            json: OnceLock::new(),
            lease_id: OnceLock::new(),
            machine_id: OnceLock::new(),
            pool_license_id: OnceLock::new(),
        }
    }
}

/// Checks a lease token (the `lease` of the relay's answer) against the pool license it came from
/// and the vendor's trusted keys: the pool license as any license (signature, expiry, product,
/// the revocation lists given: a revoked pool is REVOKED), except its machine binding (it names
/// the relay's machine); it must be of type POOL (else WRONG_POOL). Then the lease: `lease+jwt`,
/// EdDSA, signed by the relay key the pool license names (never a key the lease carries), naming
/// that pool (WRONG_POOL), no longer than the pool's `max_lease_ttl` (LEASE_TOO_LONG), unexpired,
/// and for `options`' machine (this machine by default). `lists` may be NULL when `n_lists` is 0;
/// `options` NULL means the defaults. On success `*out` receives a new lease report, whatever
/// the verdict.
///
/// Errors (only for unusable arguments): `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// As `licet_check`: `keys` a live set and `options` NULL or live options, not changed during the
/// call; `lease` and `pool` point to `lease_len` and `pool_len` readable bytes (or are NULL with
/// length 0); `lists` points to `n_lists` readable inputs; `out` is writable; `error` is NULL, or
/// writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_verify_lease(
    keys: *const licet_keys,
    lease: *const u8,
    lease_len: usize,
    pool: *const u8,
    pool_len: usize,
    lists: *const licet_list_input,
    n_lists: usize,
    options: *const licet_options,
    out: *mut *mut licet_lease_report,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the function's contract: a live set, not changed during the call.
        let keys = unsafe { boundary::reference(keys, "keys") }?;
        // SAFETY: the function's contract: `lease_len` readable bytes.
        let lease = unsafe { boundary::bytes(lease, lease_len, "lease") }?;
        // SAFETY: the function's contract: `pool_len` readable bytes.
        let pool = unsafe { boundary::bytes(pool, pool_len, "pool") }?;
        // SAFETY: the function's contract: `n_lists` readable inputs.
        let lists = unsafe { list_inputs(lists, n_lists) }?;
        // SAFETY: the function's contract: NULL or live options.
        let options = unsafe { verify_options(options) };
        let report = check_lease(lease, pool, &lists, &keys.keys, &options);
        out.set(licet_lease_report::new(report));
        Ok(())
    })
}

/// The verdict: the pool license's status when the pool failed, else the lease's
/// (`LICET_STATUS_UNKNOWN` for NULL).
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_status(
    report: *const licet_lease_report,
) -> licet_status {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, licet_status::LICET_STATUS_UNKNOWN, |r| {
            licet_status::of(r.report.lease.status)
        })
    }
}

/// The verdict's name (`"ACTIVE"`, `"WRONG_POOL"`, ...). Owned by the report; NULL for NULL.
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_status_name(
    report: *const licet_lease_report,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, std::ptr::null(), |r| {
            r.status_name
                .get_or_init(|| c_string(r.report.lease.status.as_str()))
                .as_ptr()
        })
    }
}

/// Whether the lease may be used: the pool license is valid and the lease ACTIVE (false for
/// NULL).
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_valid(report: *const licet_lease_report) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, false, |r| r.report.lease.valid) }
}

/// Whether the lease is valid and every revocation list given was accepted (what `licet
/// verify-lease` exits 0 on; false for NULL).
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_passed(report: *const licet_lease_report) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, false, |r| r.report.passed()) }
}

/// Which half failed: the pool license or the lease (`LICET_LEASE_PART_NONE` when valid, and for
/// NULL).
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_part(
    report: *const licet_lease_report,
) -> licet_lease_part {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(
            report,
            licet_lease_part::LICET_LEASE_PART_NONE,
            |r| match r.report.lease.part {
                Some(LeasePart::Pool) => licet_lease_part::LICET_LEASE_PART_POOL,
                Some(LeasePart::Lease) => licet_lease_part::LICET_LEASE_PART_LEASE,
                None => licet_lease_part::LICET_LEASE_PART_NONE,
            },
        )
    }
}

/// Why, in a sentence. Owned by the report; NULL for NULL.
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_reason(
    report: *const licet_lease_report,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read(report, std::ptr::null(), |r| {
            r.reason
                .get_or_init(|| c_string(r.report.lease.reason.as_str()))
                .as_ptr()
        })
    }
}

/// The whole report as JSON (what `licet verify-lease --json` prints). Owned by the report; NULL
/// for NULL.
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_json(
    report: *const licet_lease_report,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.json,
            |r| serde_json::to_string(&r.report).ok(),
        )
    }
}

/// The lease id (`jti`, the same across renewals); NULL unless the lease's signature verified.
/// Owned by the report.
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_lease_id(
    report: *const licet_lease_report,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.lease_id,
            |r| r.report.lease.lease_claims().map(|c| c.lease_id.clone()),
        )
    }
}

/// The machine the lease is for (64 hex); NULL unless the lease's signature verified. Owned by
/// the report.
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_machine_id(
    report: *const licet_lease_report,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.machine_id,
            |r| {
                r.report
                    .lease
                    .lease_claims()
                    .map(|c| c.machine_id.as_str().to_owned())
            },
        )
    }
}

/// The pool license id the lease names (`pool`); NULL unless the lease's signature verified.
/// Owned by the report.
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_pool_license_id(
    report: *const licet_lease_report,
) -> *const c_char {
    // SAFETY: the function's contract, passed on.
    unsafe {
        read_string(
            report,
            |r| &r.pool_license_id,
            |r| {
                r.report
                    .lease
                    .lease_claims()
                    .map(|c| c.pool_license_id.clone())
            },
        )
    }
}

/// Writes one of the lease's times into `*out`; false unless its signature verified.
///
/// # Safety
/// `report` is NULL or a live lease report; `out` is NULL or writable.
unsafe fn read_lease_time(
    report: *const licet_lease_report,
    out: *mut i64,
    get: impl FnOnce(&licet_verifier::lease::LeaseClaims) -> UnixTime,
) -> bool {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        write_time(report, out, |r: &licet_lease_report| {
            r.report.lease.lease_claims().map(get)
        })
    }
}

/// When the relay signed this lease token (`iat`), in seconds since the Unix epoch, into `*out`.
/// Returns false (and leaves `*out` alone) unless the lease's signature verified, or for NULL
/// arguments.
///
/// # Safety
/// `report` is NULL or a live lease report; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_issued_at(
    report: *const licet_lease_report,
    out: *mut i64,
) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read_lease_time(report, out, |c| c.issued_at) }
}

/// When the lease ends unless renewed (`exp`) into `*out`; as `licet_lease_report_issued_at`.
///
/// # Safety
/// `report` is NULL or a live lease report; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_expires_at(
    report: *const licet_lease_report,
    out: *mut i64,
) -> bool {
    // SAFETY: the function's contract, passed on.
    unsafe { read_lease_time(report, out, |c| c.expires_at) }
}

/// The pool license's own verdict, with each revocation list given, as a license report: read it
/// with the `licet_report_*` getters (status, claims, lists). Owned by the lease report: valid
/// until `licet_lease_report_free`, never freed on its own. NULL for NULL.
///
/// # Safety
/// `report` is NULL or a live lease report.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_pool(
    report: *const licet_lease_report,
) -> *const licet_report {
    // SAFETY: the function's contract, passed on.
    unsafe { read(report, std::ptr::null(), |r| std::ptr::from_ref(&r.pool)) }
}

/// Frees a lease report, with every string it returned and its pool report. NULL is a no-op.
///
/// # Safety
/// `report` is NULL or a live lease report that no other thread is reading; it, its strings and
/// its pool report must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn licet_lease_report_free(report: *mut licet_lease_report) {
    // SAFETY: the caller gives up a report made by licet (or NULL).
    unsafe { boundary::free(report) }
}
