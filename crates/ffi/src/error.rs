//! Result codes and error objects.

use crate::boundary::{self, Failure};
use std::ffi::{c_char, CString};

/// The result of a fallible call. `LICET_OK` is 0; every other value is a kind of failure, and the
/// call's `licet_error **error` out-parameter (when not NULL) then receives an error object with
/// the same code and a message. The numbers are fixed and never reused; new kinds get new numbers,
/// so a program must treat a value it does not know as a failure.
///
/// A verdict is never a failure: an expired, revoked or forged license is `LICET_OK` with a report
/// that says so.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum licet_result {
    /// Success.
    LICET_OK = 0,
    /// A required pointer argument is NULL (the message names it).
    LICET_ERR_NULL_ARGUMENT = 1,
    /// An argument is out of range or not UTF-8 text where text is required (the message names it).
    LICET_ERR_INVALID_ARGUMENT = 2,
    /// Key material is not a usable public key (not PEM, JWK or JWKS; a private key; too short).
    LICET_ERR_KEY = 3,
    /// A machine id is not 64 hexadecimal characters, or this machine's id cannot be read.
    LICET_ERR_MACHINE_ID = 4,
    /// The state directory holds a state that cannot be used: corrupt, or written by a newer licet.
    LICET_ERR_STATE = 5,
    /// A file or directory could not be read or written (key file, state directory).
    LICET_ERR_IO = 6,
    /// A bug: licet panicked inside the call. The panic was caught; the objects passed to the
    /// call are still safe to free, but the call had no effect that can be relied on.
    LICET_ERR_PANIC = 7,
    /// Another check held the state directory's lock for longer than the guard's lock timeout.
    /// Retrying later can succeed.
    LICET_ERR_STATE_BUSY = 8,
}

impl licet_result {
    /// The code's name, as in the header.
    pub(crate) fn name(self) -> &'static std::ffi::CStr {
        match self {
            licet_result::LICET_OK => c"LICET_OK",
            licet_result::LICET_ERR_NULL_ARGUMENT => c"LICET_ERR_NULL_ARGUMENT",
            licet_result::LICET_ERR_INVALID_ARGUMENT => c"LICET_ERR_INVALID_ARGUMENT",
            licet_result::LICET_ERR_KEY => c"LICET_ERR_KEY",
            licet_result::LICET_ERR_MACHINE_ID => c"LICET_ERR_MACHINE_ID",
            licet_result::LICET_ERR_STATE => c"LICET_ERR_STATE",
            licet_result::LICET_ERR_IO => c"LICET_ERR_IO",
            licet_result::LICET_ERR_PANIC => c"LICET_ERR_PANIC",
            licet_result::LICET_ERR_STATE_BUSY => c"LICET_ERR_STATE_BUSY",
        }
    }

    const ALL: [licet_result; 9] = [
        licet_result::LICET_OK,
        licet_result::LICET_ERR_NULL_ARGUMENT,
        licet_result::LICET_ERR_INVALID_ARGUMENT,
        licet_result::LICET_ERR_KEY,
        licet_result::LICET_ERR_MACHINE_ID,
        licet_result::LICET_ERR_STATE,
        licet_result::LICET_ERR_IO,
        licet_result::LICET_ERR_PANIC,
        licet_result::LICET_ERR_STATE_BUSY,
    ];
}

/// An error: a `licet_result` code and a message (a sentence that names the problem, UTF-8).
/// Made by a failing call in its `licet_error **error` out-parameter, which must hold NULL on
/// entry (licet overwrites it without freeing what it held); free it with `licet_error_free`.
#[allow(non_camel_case_types)]
pub struct licet_error {
    code: licet_result,
    message: CString,
}

impl licet_error {
    pub(crate) fn new(failure: Failure) -> Self {
        licet_error {
            code: failure.code,
            message: crate::report::c_string(failure.message),
        }
    }
}

/// The code of an error (`LICET_ERR_NULL_ARGUMENT` for a NULL error).
///
/// # Safety
/// `error` is NULL or an error made by licet and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn licet_error_code(error: *const licet_error) -> licet_result {
    boundary::value(licet_result::LICET_ERR_PANIC, || {
        // SAFETY: the caller passes NULL or a live error (the function's contract).
        match unsafe { error.as_ref() } {
            Some(error) => error.code,
            None => licet_result::LICET_ERR_NULL_ARGUMENT,
        }
    })
}

/// The message of an error: a NUL-terminated UTF-8 sentence owned by the error, valid until it is
/// freed. NULL for a NULL error.
///
/// # Safety
/// `error` is NULL or an error made by licet and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn licet_error_message(error: *const licet_error) -> *const c_char {
    boundary::value(std::ptr::null(), || {
        // SAFETY: the caller passes NULL or a live error (the function's contract).
        match unsafe { error.as_ref() } {
            Some(error) => error.message.as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// Frees an error. NULL is a no-op.
///
/// # Safety
/// `error` is NULL or an error made by licet, not yet freed; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn licet_error_free(error: *mut licet_error) {
    // SAFETY: the caller gives up an error that licet made with Box::into_raw (or NULL).
    unsafe { boundary::free(error) }
}

/// The name of a result code (`"LICET_OK"`, `"LICET_ERR_KEY"`, ...), a static string; `"UNKNOWN"`
/// for a number this library does not define.
#[no_mangle]
pub extern "C" fn licet_result_name(code: u32) -> *const c_char {
    boundary::value(c"UNKNOWN".as_ptr(), || {
        licet_result::ALL
            .into_iter()
            .find(|r| *r as u32 == code)
            .map_or(c"UNKNOWN", licet_result::name)
            .as_ptr()
    })
}
