//! `licet_options`: what a license is verified against, besides its keys.

use crate::boundary::{self, Failure};
use crate::error::{licet_error, licet_result};
use licet_verifier::{
    MachineCheck, MachineId, UnixTime, VerifyOptions, DEFAULT_CLOCK_TOLERANCE_SECS,
};
use std::ffi::c_char;

/// Verification options: the evaluation time (default: the system clock at each call), leeway
/// (default 0 s), clock tolerance (default 3600 s), the machine a node-locked license is checked
/// against (default: this machine, read only for node-locked licenses) and the product (default:
/// any). Made by `licet_options_new`, changed by the `licet_options_set_*` functions, freed by
/// `licet_options_free`. Once set up it is read-only and may be used by any number of threads at
/// once; a setter must not run while another thread uses the options.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone)]
pub struct licet_options {
    /// `None`: the system clock when the call is made.
    time: Option<UnixTime>,
    leeway_secs: u32,
    clock_tolerance_secs: u32,
    machine: MachineCheck,
    product: Option<String>,
}

impl Default for licet_options {
    fn default() -> Self {
        licet_options {
            time: None,
            leeway_secs: 0,
            clock_tolerance_secs: DEFAULT_CLOCK_TOLERANCE_SECS,
            machine: MachineCheck::ThisMachine,
            product: None,
        }
    }
}

impl licet_options {
    /// The verifier's options for one call.
    pub(crate) fn to_verify_options(&self) -> VerifyOptions {
        let mut options = VerifyOptions::at(self.time.unwrap_or_else(UnixTime::now))
            .with_leeway(self.leeway_secs)
            .with_clock_tolerance(self.clock_tolerance_secs);
        options.machine = self.machine.clone();
        options.product = self.product.clone();
        options
    }
}

/// Parses a machine id given as text.
pub(crate) fn parse_machine(text: &str) -> Result<MachineId, Failure> {
    MachineId::parse(text)
        .map_err(|e| Failure::new(licet_result::LICET_ERR_MACHINE_ID, e.to_string()))
}

/// The options for one call: the caller's, or the defaults for NULL.
///
/// # Safety
/// `options` is NULL or live options not changed during the call.
pub(crate) unsafe fn verify_options(options: *const licet_options) -> VerifyOptions {
    // SAFETY: the caller's contract.
    match unsafe { options.as_ref() } {
        Some(options) => options.to_verify_options(),
        None => licet_options::default().to_verify_options(),
    }
}

/// New options with the defaults: the system clock at each call, leeway 0, clock tolerance 3600 s,
/// this machine, any product (never NULL unless memory ran out). Free them with
/// `licet_options_free`.
#[no_mangle]
pub extern "C" fn licet_options_new() -> *mut licet_options {
    boundary::value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(licet_options::default()))
    })
}

/// Runs a setter on options that must not be NULL.
///
/// # Safety
/// `options` is NULL or live options that no other thread uses during the call; `error` is NULL
/// or writable.
unsafe fn set(
    options: *mut licet_options,
    error: *mut *mut licet_error,
    change: impl FnOnce(&mut licet_options) -> Result<(), Failure>,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the caller's contract: live options, used by this thread only.
        let options = unsafe { boundary::exclusive(options, "options") }?;
        change(options)
    })
}

/// Sets the evaluation time, in seconds since the Unix epoch (UTC), instead of the system clock.
///
/// Errors: `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_INVALID_ARGUMENT` (before 1970 or after 9999).
///
/// # Safety
/// `options` is live options that no other thread uses during the call; `error` is NULL, or
/// writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_time(
    options: *mut licet_options,
    unix_seconds: i64,
    error: *mut *mut licet_error,
) -> licet_result {
    // SAFETY: the function's contract, passed on.
    unsafe {
        set(options, error, |o| {
            let time = UnixTime::from_secs(unix_seconds)
                .map_err(|e| Failure::invalid(format!("the evaluation time: {e}")))?;
            o.time = Some(time);
            Ok(())
        })
    }
}

/// Evaluates at the system clock when each call is made (the default).
///
/// # Safety
/// As `licet_options_set_time`.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_time_now(
    options: *mut licet_options,
    error: *mut *mut licet_error,
) -> licet_result {
    // SAFETY: the function's contract, passed on.
    unsafe {
        set(options, error, |o| {
            o.time = None;
            Ok(())
        })
    }
}

/// Sets the leeway: seconds of clock skew tolerated on `nbf` and `exp` (default 0).
///
/// # Safety
/// As `licet_options_set_time`.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_leeway(
    options: *mut licet_options,
    seconds: u32,
    error: *mut *mut licet_error,
) -> licet_result {
    // SAFETY: the function's contract, passed on.
    unsafe {
        set(options, error, |o| {
            o.leeway_secs = seconds;
            Ok(())
        })
    }
}

/// Sets the clock tolerance: how far before the license's own issue time the clock may read
/// before the verdict is CLOCK_ROLLBACK, in seconds (default 3600). A guard uses its own
/// tolerance (`licet_guard_open`) instead.
///
/// # Safety
/// As `licet_options_set_time`.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_clock_tolerance(
    options: *mut licet_options,
    seconds: u32,
    error: *mut *mut licet_error,
) -> licet_result {
    // SAFETY: the function's contract, passed on.
    unsafe {
        set(options, error, |o| {
            o.clock_tolerance_secs = seconds;
            Ok(())
        })
    }
}

/// Checks node-locked licenses against the machine id given: 64 hexadecimal characters (upper
/// case accepted, surrounding whitespace ignored), as `licet machine-id` prints it.
///
/// Errors: `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_INVALID_ARGUMENT` (not UTF-8),
/// `LICET_ERR_MACHINE_ID` (not 64 hexadecimal characters). On failure the options are unchanged.
///
/// # Safety
/// As `licet_options_set_time`; `machine_id` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_machine(
    options: *mut licet_options,
    machine_id: *const c_char,
    error: *mut *mut licet_error,
) -> licet_result {
    let change = |o: &mut licet_options| {
        // SAFETY: the function's contract: a NUL-terminated string.
        let text = unsafe { boundary::text(machine_id, "machine_id") }?;
        o.machine = MachineCheck::Machine(parse_machine(text)?);
        Ok(())
    };
    // SAFETY: the function's contract, passed on.
    unsafe { set(options, error, change) }
}

/// Checks node-locked licenses against this machine's id (the default), read from the operating
/// system only when a license is node-locked.
///
/// # Safety
/// As `licet_options_set_time`.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_this_machine(
    options: *mut licet_options,
    error: *mut *mut licet_error,
) -> licet_result {
    // SAFETY: the function's contract, passed on.
    unsafe {
        set(options, error, |o| {
            o.machine = MachineCheck::ThisMachine;
            Ok(())
        })
    }
}

/// Does not check machine bindings: for audits on a machine that is not the customer's (the
/// binding is still in the claims). A product checking its own license never does this.
///
/// # Safety
/// As `licet_options_set_time`.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_no_machine_check(
    options: *mut licet_options,
    error: *mut *mut licet_error,
) -> licet_result {
    // SAFETY: the function's contract, passed on.
    unsafe {
        set(options, error, |o| {
            o.machine = MachineCheck::NotChecked;
            Ok(())
        })
    }
}

/// Requires the license to be issued for `product` (its `aud`); NULL accepts any product (the
/// default).
///
/// Errors: `LICET_ERR_NULL_ARGUMENT` (options), `LICET_ERR_INVALID_ARGUMENT` (not UTF-8).
///
/// # Safety
/// As `licet_options_set_time`; `product` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn licet_options_set_product(
    options: *mut licet_options,
    product: *const c_char,
    error: *mut *mut licet_error,
) -> licet_result {
    let change = |o: &mut licet_options| {
        o.product = if product.is_null() {
            None
        } else {
            // SAFETY: not NULL; the function's contract: a NUL-terminated string.
            Some(unsafe { boundary::text(product, "product") }?.to_owned())
        };
        Ok(())
    };
    // SAFETY: the function's contract, passed on.
    unsafe { set(options, error, change) }
}

/// Frees options. NULL is a no-op.
///
/// # Safety
/// `options` is NULL or live options that no other thread uses; they must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn licet_options_free(options: *mut licet_options) {
    // SAFETY: the caller gives up options made by `licet_options_new` (or NULL).
    unsafe { boundary::free(options) }
}
