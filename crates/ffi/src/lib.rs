//! The C ABI of the licet verifier: offline verification of licet license files (compact JWS,
//! EdDSA/RS256/PS256) from C, C++ and any language that calls C.
//!
//! Build: `bash bindings/c/build` puts liblicet.so, liblicet.a and licet.h under
//! target/bindings/. Link with `-llicet` (static: liblicet.a plus `-lpthread -ldl -lm`).
//!
//! Ownership:
//! - Every object (licet_keys, licet_options, licet_guard, licet_report, licet_error) is made by
//!   licet, owned by the caller, and freed with its own function (licet_keys_free, ...). Freeing
//!   NULL is a no-op. Objects are handed out through out-parameters (`T **out`), which hold NULL
//!   after a failure.
//! - Strings returned by an object's getters (`const char *`) belong to that object and stay
//!   valid until it is freed; never free them. The one string the caller owns comes from
//!   licet_machine_id; free it with licet_string_free. Strings are UTF-8 and NUL-terminated; a NUL
//!   inside a value shows as U+FFFD (the JSON getters carry it exactly).
//! - Arguments are borrowed for the call only: licet keeps no pointer to them (licet_guard_open
//!   copies the keys).
//!
//! Errors: a fallible function returns a licet_result (LICET_OK = 0) and takes a last
//! `licet_error **error`, which may be NULL (the code alone). When it is not NULL, `*error` must
//! be NULL on entry: on failure licet writes a new error there (licet_error_code,
//! licet_error_message; free it with licet_error_free) without reading or freeing what was there,
//! so an error still held in it would leak. Free an error and set the variable back to NULL before
//! passing it again. On success `*error` is left alone. A verdict is never an error: a report says
//! EXPIRED, BAD_SIGNATURE, ... Panics never unwind into C: one is caught and returned as
//! LICET_ERR_PANIC (a getter returns its NULL/0/false default). liblicet must be built with
//! panic=unwind (cargo's default) for that; it does not build with panic=abort.
//!
//! Threads: licet_keys and licet_options are read-only once set up, and any number of threads
//! may verify with the same ones at once; adding keys or calling a setter must not happen while
//! another thread uses the object. A licet_guard may be used by several threads at once (the
//! checks take turns on the state's lock file, as several processes do). A licet_report may be
//! read from several threads at once (its strings are made once, on first use). Freeing an object
//! while another thread uses it is undefined behaviour, as in C.
//!
//! Versions: licet_version() is the library's version; licet_abi_version() the ABI revision it
//! implements. Revisions only add (functions, enum values); a program compiled against
//! LICET_ABI_VERSION N runs with any library whose licet_abi_version() is at least N. Enum numbers
//! are fixed and never reused; a status number a program does not know is not valid.
#![deny(missing_docs)]

// Every exported function catches panics with catch_unwind, which does nothing when panics abort:
// a panic would then abort the C program instead of returning LICET_ERR_PANIC.
#[cfg(panic = "abort")]
compile_error!(
    "licet-ffi needs panic = \"unwind\" (cargo's default): its C ABI catches panics at the \
     boundary and returns LICET_ERR_PANIC, which panic = \"abort\" makes impossible"
);

mod boundary;
mod error;
mod keys;
mod lease;
mod options;
mod report;
mod verify;

pub use error::*;
pub use keys::*;
pub use lease::*;
pub use options::*;
pub use report::*;
pub use verify::*;

use boundary::Failure;
use std::ffi::{c_char, CString};

// The thread-safety promises of the header (shared keys, options and reports; one guard used by
// several threads at once) rest on these types being Send + Sync: a field that is not (a Cell, an
// Rc) breaks the build here instead of making a data race in C.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<licet_keys>();
    send_sync::<licet_options>();
    send_sync::<licet_guard>();
    send_sync::<licet_report>();
    send_sync::<licet_lease_report>();
    send_sync::<licet_error>();
};

/// The ABI revision this header describes. Revisions only add; see `licet_abi_version`.
pub const LICET_ABI_VERSION: u32 = 4;

/// The library's version (`"0.1.0"`), a static string.
#[no_mangle]
pub extern "C" fn licet_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    VERSION.as_ptr()
}

/// The ABI revision the library implements (`LICET_ABI_VERSION` of its own header). A program
/// built against revision N needs a library that returns at least N.
#[no_mangle]
pub extern "C" fn licet_abi_version() -> u32 {
    LICET_ABI_VERSION
}

/// This machine's id, as node-locked licenses name it: the SHA-256 of the operating system's
/// machine identifier (`/etc/machine-id` on Linux), 64 lowercase hexadecimal characters. On
/// success `*out` receives a new string; free it with `licet_string_free`.
///
/// Errors: `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_MACHINE_ID` (no identifier could be read; the
/// message names the sources tried).
///
/// # Safety
/// `out` is writable; `error` is NULL, or writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_machine_id(
    out: *mut *mut c_char,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        // SAFETY: not NULL; the function's contract makes it writable.
        unsafe { out.write(std::ptr::null_mut()) };
        let id = licet_verifier::MachineId::this_machine()
            .map_err(|e| Failure::new(licet_result::LICET_ERR_MACHINE_ID, e.to_string()))?;
        let id = report::c_string(id.as_str());
        // SAFETY: checked above: not NULL and writable.
        unsafe { out.write(id.into_raw()) };
        Ok(())
    })
}

/// Frees a string that licet handed over (`licet_machine_id`). NULL is a no-op. Never pass a
/// string a getter returned: those belong to their object.
///
/// # Safety
/// `string` is NULL or a string from `licet_machine_id`, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn licet_string_free(string: *mut c_char) {
    if string.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the caller gives up a string made by CString::into_raw in licet.
        drop(unsafe { CString::from_raw(string) });
    });
}

#[cfg(test)]
mod tests;
