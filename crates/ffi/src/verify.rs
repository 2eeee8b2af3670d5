//! The checks: `licet_verify`, `licet_check` and the stateful guard.

use crate::boundary::{self, Failure, Out};
use crate::error::{licet_error, licet_result};
use crate::keys::{licet_keys, path_argument};
use crate::options::{licet_options, verify_options};
use crate::report::licet_report;
use licet_verifier::state::StateError;
use licet_verifier::{
    check_license, verify_license, CheckReport, ListInput, StateSettings, StatefulVerifier,
};
use std::ffi::c_char;
use std::time::Duration;

/// A revocation list given to a check: its bytes and a name for the report (a file name).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct licet_list_input {
    /// Where the list came from, for the report: a NUL-terminated UTF-8 string, not NULL.
    pub source: *const c_char,
    /// The list's bytes (NULL only with `len` 0).
    pub data: *const u8,
    /// How many bytes `data` holds.
    pub len: usize,
}

/// The lists given, checked and borrowed.
///
/// # Safety
/// `lists` is NULL with `count` 0, or points to `count` readable `licet_list_input` whose strings
/// and bytes stay unchanged for `'a`.
pub(crate) unsafe fn list_inputs<'a>(
    lists: *const licet_list_input,
    count: usize,
) -> Result<Vec<ListInput<'a>>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if lists.is_null() {
        return Err(Failure::null("lists"));
    }
    if count > isize::MAX as usize / std::mem::size_of::<licet_list_input>() {
        return Err(Failure::invalid(format!(
            "n_lists ({count}) is larger than any array can be"
        )));
    }
    // SAFETY: not NULL, the size fits an object, and the caller's contract makes `count` inputs
    // readable.
    let inputs = unsafe { std::slice::from_raw_parts(lists, count) };
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            // SAFETY: the caller's contract: a NUL-terminated string.
            let source = unsafe { boundary::text(input.source, &format!("lists[{i}].source")) }?;
            // SAFETY: the caller's contract: `len` readable bytes.
            let bytes =
                unsafe { boundary::bytes(input.data, input.len, &format!("lists[{i}].data")) }?;
            Ok(ListInput { source, bytes })
        })
        .collect()
}

/// Verifies a license file (its bytes, as read from the file) against the trusted keys, without
/// revocation lists and without a state. `options` NULL means the defaults (`licet_options_new`).
/// On success `*out` receives a new report (free it with `licet_report_free`), whatever the
/// verdict: an expired, forged or malformed license is a report, not an error.
///
/// Errors (only for unusable arguments): `LICET_ERR_NULL_ARGUMENT` (keys, out, or license NULL
/// with a length), `LICET_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `keys` is a live set and `options` NULL or live options, neither changed during the call (other
/// threads may use them too); `license` points to `license_len` readable bytes (or is NULL with
/// length 0); `out` is writable; `error` is NULL, or writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_verify(
    keys: *const licet_keys,
    license: *const u8,
    license_len: usize,
    options: *const licet_options,
    out: *mut *mut licet_report,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the function's contract: a live set, not changed during the call.
        let keys = unsafe { boundary::reference(keys, "keys") }?;
        // SAFETY: the function's contract: `license_len` readable bytes.
        let license = unsafe { boundary::bytes(license, license_len, "license") }?;
        // SAFETY: the function's contract: NULL or live options.
        let options = unsafe { verify_options(options) };
        let report = verify_license(license, &keys.keys, &options);
        out.set(licet_report::new(CheckReport {
            license: report,
            revocation_lists: Vec::new(),
            lists_enforced: 0,
        }));
        Ok(())
    })
}

/// Checks a license with the revocation lists given, without a state (as `licet verify
/// --revocations` without `--state`): each list is verified (one dated ahead of the evaluation
/// time by more than the clock tolerance is refused), the accepted ones are applied, and the
/// report has the license's verdict and each list's. `lists` may be NULL when `n_lists` is 0;
/// `options` NULL means the defaults. On success `*out` receives a new report.
///
/// Errors (only for unusable arguments): `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_INVALID_ARGUMENT`
/// (a list source that is not UTF-8).
///
/// # Safety
/// As `licet_verify`; `lists` points to `n_lists` readable `licet_list_input` (or is NULL with
/// `n_lists` 0), each with a NUL-terminated `source` and `len` readable bytes at `data`.
#[no_mangle]
pub unsafe extern "C" fn licet_check(
    keys: *const licet_keys,
    license: *const u8,
    license_len: usize,
    lists: *const licet_list_input,
    n_lists: usize,
    options: *const licet_options,
    out: *mut *mut licet_report,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the function's contract: a live set, not changed during the call.
        let keys = unsafe { boundary::reference(keys, "keys") }?;
        // SAFETY: the function's contract: `license_len` readable bytes.
        let license = unsafe { boundary::bytes(license, license_len, "license") }?;
        // SAFETY: the function's contract: `n_lists` readable inputs.
        let lists = unsafe { list_inputs(lists, n_lists) }?;
        // SAFETY: the function's contract: NULL or live options.
        let options = unsafe { verify_options(options) };
        out.set(licet_report::new(check_license(
            license, &lists, &keys.keys, &options,
        )));
        Ok(())
    })
}

/// The stateful guard: license checks with memory, kept in a state directory. Each check locks
/// the state, applies the revocation lists given and every list kept from earlier checks (so a
/// revocation sticks when its list is later left out; an older list of a key is refused), checks
/// the clock against the latest trustworthy time seen (CLOCK_ROLLBACK when it was set back), and
/// saves atomically. Made by `licet_guard_open`, freed by `licet_guard_free`. Any number of threads
/// may check with one guard at once (the checks take turns on the state's lock); several
/// processes may share one state directory the same way.
#[allow(non_camel_case_types)]
pub struct licet_guard {
    verifier: StatefulVerifier,
}

fn state_failure(e: &StateError) -> Failure {
    let code = match e {
        StateError::Io { .. } => licet_result::LICET_ERR_IO,
        StateError::Busy { .. } => licet_result::LICET_ERR_STATE_BUSY,
        StateError::Corrupt { .. }
        | StateError::NewerVersion { .. }
        | StateError::RevocationRollback { .. } => licet_result::LICET_ERR_STATE,
    };
    Failure::new(code, e.to_string())
}

/// Opens the guard's state directory `dir` (created, mode 0700, if missing) with a copy of the
/// trusted keys (the set may be freed afterwards). `clock_tolerance_secs`: how far behind the
/// latest trustworthy time the clock may be (also how far ahead a revocation list may be dated;
/// `licet verify`'s default is 3600). `lock_timeout_ms`: how long a check waits for another one
/// holding the state's lock (the CLI's default is 5000). On Unix the path is taken as bytes. On
/// success `*out` receives the guard.
///
/// Errors: `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_IO` (the directory cannot be created or read:
/// a file in its place, no permission), `LICET_ERR_STATE` (a corrupt state, or one written by a
/// newer licet: it is never reset silently, since that would forget what it guards).
///
/// # Safety
/// `dir` is a NUL-terminated string; `keys` is a live set not changed during the call; `out` is
/// writable; `error` is NULL, or writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_guard_open(
    dir: *const c_char,
    keys: *const licet_keys,
    clock_tolerance_secs: u32,
    lock_timeout_ms: u32,
    out: *mut *mut licet_guard,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the function's contract: a NUL-terminated string.
        let dir = unsafe { path_argument(dir, "dir") }?;
        // SAFETY: the function's contract: a live set, not changed during the call.
        let keys = unsafe { boundary::reference(keys, "keys") }?;
        let settings = StateSettings {
            clock_tolerance_secs,
            lock_timeout: Duration::from_millis(u64::from(lock_timeout_ms)),
        };
        let verifier = StatefulVerifier::open(dir, keys.keys.clone(), settings)
            .map_err(|e| state_failure(&e))?;
        out.set(licet_guard { verifier });
        Ok(())
    })
}

/// Checks a license with the guard: the lists given (may be NULL when `n_lists` is 0) and every
/// list the state kept, the clock against the state, and `options`' time, leeway, machine and
/// product (NULL: the defaults; their clock tolerance is replaced by the guard's). On success
/// `*out` receives the report, whatever the verdict (CLOCK_ROLLBACK and REVOKED included).
///
/// Errors (only when the state cannot be used, never for a verdict): `LICET_ERR_NULL_ARGUMENT`,
/// `LICET_ERR_INVALID_ARGUMENT`, `LICET_ERR_STATE_BUSY` (another check held the lock past the
/// timeout), `LICET_ERR_IO`, `LICET_ERR_STATE` (corrupt or newer state).
///
/// # Safety
/// `guard` is a live guard (other threads may use it too); otherwise as `licet_check`.
#[no_mangle]
pub unsafe extern "C" fn licet_guard_check(
    guard: *const licet_guard,
    license: *const u8,
    license_len: usize,
    lists: *const licet_list_input,
    n_lists: usize,
    options: *const licet_options,
    out: *mut *mut licet_report,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: writable.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the function's contract: a live guard.
        let guard = unsafe { boundary::reference(guard, "guard") }?;
        // SAFETY: the function's contract: `license_len` readable bytes.
        let license = unsafe { boundary::bytes(license, license_len, "license") }?;
        // SAFETY: the function's contract: `n_lists` readable inputs.
        let lists = unsafe { list_inputs(lists, n_lists) }?;
        // SAFETY: the function's contract: NULL or live options.
        let options = unsafe { verify_options(options) };
        let report = guard
            .verifier
            .check(license, &lists, &options)
            .map_err(|e| state_failure(&e))?;
        out.set(licet_report::new(report));
        Ok(())
    })
}

/// Frees a guard (its state stays on disk). NULL is a no-op.
///
/// # Safety
/// `guard` is NULL or a live guard that no other thread uses; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn licet_guard_free(guard: *mut licet_guard) {
    // SAFETY: the caller gives up a guard made by `licet_guard_open` (or NULL).
    unsafe { boundary::free(guard) }
}
