//! The boundary: every exported function goes through one of these helpers, which catch panics
//! (no unwinding into C), turn failures into a code and an error object, and check pointers.

use crate::error::{licet_error, licet_result};
use std::any::Any;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why a call failed: its code and a message that names the problem.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: licet_result,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: licet_result, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A NULL where a pointer is required.
    pub(crate) fn null(name: &str) -> Self {
        Failure::new(
            licet_result::LICET_ERR_NULL_ARGUMENT,
            format!("the argument `{name}` is NULL"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Failure::new(licet_result::LICET_ERR_INVALID_ARGUMENT, message)
    }

    fn panic(payload: &(dyn Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        Failure::new(
            licet_result::LICET_ERR_PANIC,
            format!("licet panicked (a bug; please report it): {what}"),
        )
    }
}

/// Runs the body of a fallible call. A panic is caught and becomes `LICET_ERR_PANIC`; on any
/// failure a new error object is written to `*error` when `error` is not NULL (and `*error` is
/// left alone on success). `*error` is never read: the header requires it to be NULL on entry, and
/// a value there may be uninitialised, so it is overwritten, not freed.
pub(crate) fn call(
    error: *mut *mut licet_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> licet_result {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return licet_result::LICET_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::panic(payload.as_ref()),
    };
    let code = failure.code;
    if !error.is_null() {
        // Making the error allocates only; if even that panics, the code alone is returned.
        if let Ok(object) = catch_unwind(AssertUnwindSafe(|| Box::new(licet_error::new(failure)))) {
            // SAFETY: every fallible function documents `error` as NULL (checked above) or a
            // pointer to writable storage for one `licet_error *`.
            unsafe { error.write(Box::into_raw(object)) };
        }
    }
    code
}

/// Runs the body of an infallible call (a getter): a panic gives `default`.
pub(crate) fn value<T>(default: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(default)
}

/// Frees an object that licet made with `Box::into_raw`; NULL is a no-op. A panic in a destructor
/// is caught (the object may then leak, but nothing unwinds into C).
///
/// # Safety
/// `object` is NULL or a pointer licet returned from `Box::into_raw(Box<T>)`, not yet freed.
pub(crate) unsafe fn free<T>(object: *mut T) {
    if object.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller's contract: a live Box made by licet, given up by the caller.
        drop(unsafe { Box::from_raw(object) });
    }));
}

/// A shared reference from a pointer that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that is not mutated for `'a`.
pub(crate) unsafe fn reference<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// An exclusive reference from a pointer that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn exclusive<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// A byte slice from a pointer and a length. NULL is accepted for an empty slice only.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::null(name))
        };
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "the length of `{name}` ({len}) is larger than any object can be"
        )));
    }
    // SAFETY: not NULL, `len` fits an object, and the caller's contract makes the bytes readable.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A NUL-terminated string that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays unchanged for `'a`.
pub(crate) unsafe fn c_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a CStr, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: not NULL; the caller's contract makes it a NUL-terminated string.
    Ok(unsafe { CStr::from_ptr(ptr) })
}

/// A NUL-terminated string that must be UTF-8 text.
///
/// # Safety
/// As [`c_str`].
pub(crate) unsafe fn text<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    // SAFETY: the caller's contract, passed on.
    let c = unsafe { c_str(ptr, name) }?;
    c.to_str().map_err(|e| {
        Failure::invalid(format!(
            "the argument `{name}` is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Writes an object to an out-parameter that must not be NULL; the out-parameter is set to NULL
/// first, so it holds NULL after any failure.
pub(crate) struct Out<T> {
    ptr: *mut *mut T,
}

impl<T> Out<T> {
    /// Checks the out-parameter and sets `*ptr` to NULL.
    ///
    /// # Safety
    /// `ptr` is NULL or points to writable storage for one `T *`.
    pub(crate) unsafe fn new(ptr: *mut *mut T, name: &str) -> Result<Self, Failure> {
        if ptr.is_null() {
            return Err(Failure::null(name));
        }
        // SAFETY: not NULL; the caller's contract makes it writable.
        unsafe { ptr.write(std::ptr::null_mut()) };
        Ok(Out { ptr })
    }

    /// Hands the object to the caller, who then owns it.
    pub(crate) fn set(self, object: T) {
        // SAFETY: `ptr` was checked to be non-NULL and writable in `Out::new`.
        unsafe { self.ptr.write(Box::into_raw(Box::new(object))) };
    }
}

/// Writes a plain value to an optional out-parameter (NULL: not wanted).
///
/// # Safety
/// `ptr` is NULL or points to writable storage for one `T`.
pub(crate) unsafe fn write_optional<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: not NULL; the caller's contract makes it writable.
        unsafe { ptr.write(value) };
    }
}
