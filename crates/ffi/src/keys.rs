//! `licet_keys`: the trusted public keys.

use crate::boundary::{self, Failure};
use crate::error::{licet_error, licet_result};
use licet_verifier::state::{read_regular_capped, CappedReadError};
use licet_verifier::{KeyError, TrustedKeys, MAX_KEY_FILE_BYTES};
use std::ffi::c_char;
use std::path::{Path, PathBuf};

/// A set of trusted public keys (Ed25519 and RSA), each pinned to the algorithms it verifies.
/// Made empty by `licet_keys_new`, filled by `licet_keys_add` and `licet_keys_add_file` (keys add
/// up), freed by `licet_keys_free`. Once filled it is read-only and may be used by any number of
/// threads at once.
#[allow(non_camel_case_types)]
pub struct licet_keys {
    pub(crate) keys: TrustedKeys,
}

fn key_failure(what: &str, e: &KeyError) -> Failure {
    Failure::new(licet_result::LICET_ERR_KEY, format!("{what}: {e}"))
}

/// A path from a C string: on Unix any bytes (as the operating system takes them), elsewhere
/// UTF-8 text.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that stays unchanged during the call.
pub(crate) unsafe fn path_argument(ptr: *const c_char, name: &str) -> Result<PathBuf, Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: the caller's contract, passed on.
        let c = unsafe { boundary::c_str(ptr, name) }?;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(c.to_bytes())))
    }
    #[cfg(not(unix))]
    {
        // SAFETY: the caller's contract, passed on.
        Ok(PathBuf::from(unsafe { boundary::text(ptr, name) }?))
    }
}

fn read_key_file(path: &Path) -> Result<Vec<u8>, Failure> {
    let shown = path.display();
    let io = |e: std::io::Error| {
        Failure::new(
            licet_result::LICET_ERR_IO,
            format!("cannot read the key file {shown}: {e}"),
        )
    };
    // A regular file only: a FIFO or a device is refused, not read into a hang.
    read_regular_capped(path, MAX_KEY_FILE_BYTES).map_err(|e| match e {
        CappedReadError::TooLarge { limit } => Failure::new(
            licet_result::LICET_ERR_KEY,
            format!("the key file {shown} is larger than {limit} bytes; refusing to read it"),
        ),
        CappedReadError::Io(e) => io(e),
        other => io(std::io::Error::other(other.to_string())),
    })
}

/// A new, empty set of trusted keys (never NULL unless memory ran out). Free it with
/// `licet_keys_free`.
#[no_mangle]
pub extern "C" fn licet_keys_new() -> *mut licet_keys {
    boundary::value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(licet_keys {
            keys: TrustedKeys::new(),
        }))
    })
}

/// Adds every public key in a key file's contents: PEM (one or more `PUBLIC KEY` or
/// `RSA PUBLIC KEY` blocks), a JWK or a JWKS, recognised by content. `*added` (when `added` is not
/// NULL) receives how many keys were added. On failure nothing is added.
///
/// Errors: `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_KEY` (not a public key; a private key; an RSA
/// key under 2048 bits; ...).
///
/// # Safety
/// `keys` is a live set not used by another thread during the call; `data` points to `len`
/// readable bytes (or is NULL with `len` 0); `added` is NULL or writable; `error` is NULL, or
/// writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_keys_add(
    keys: *mut licet_keys,
    data: *const u8,
    len: usize,
    added: *mut usize,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: a live set, used by this thread only.
        let keys = unsafe { boundary::exclusive(keys, "keys") }?;
        // SAFETY: the function's contract: `len` readable bytes.
        let data = unsafe { boundary::bytes(data, len, "data") }?;
        let count = keys
            .keys
            .add_file_contents(data)
            .map_err(|e| key_failure("cannot use the key data", &e))?;
        // SAFETY: the function's contract: NULL or writable.
        unsafe { boundary::write_optional(added, count) };
        Ok(())
    })
}

/// Adds every public key in a key file (PEM, JWK or JWKS, as `licet_keys_add`; at most 1 MiB,
/// a regular file). On Unix the path is taken as bytes, as the operating system takes it; elsewhere
/// it must be UTF-8. `*added` (when `added` is not NULL) receives how many keys were added. On
/// failure nothing is added.
///
/// Errors: `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_IO` (missing, unreadable, not a regular file),
/// `LICET_ERR_KEY` (not a public key, too large); the message names the file.
///
/// # Safety
/// `keys` is a live set not used by another thread during the call; `path` is a NUL-terminated
/// string; `added` is NULL or writable; `error` is NULL, or writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_keys_add_file(
    keys: *mut licet_keys,
    path: *const c_char,
    added: *mut usize,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: a live set, used by this thread only.
        let keys = unsafe { boundary::exclusive(keys, "keys") }?;
        // SAFETY: the function's contract: a NUL-terminated string.
        let path = unsafe { path_argument(path, "path") }?;
        let data = read_key_file(&path)?;
        let count = keys
            .keys
            .add_file_contents(&data)
            .map_err(|e| key_failure(&format!("cannot use the key file {}", path.display()), &e))?;
        // SAFETY: the function's contract: NULL or writable.
        unsafe { boundary::write_optional(added, count) };
        Ok(())
    })
}

/// Adds the new key that a key rollover statement (`typ` `key-rollover+jwt`, made by `licet key
/// rollover`) introduces, when the statement verifies with a key already in the set: the new key
/// is then trusted with the statement's lineage (licenses it signed before the statement's
/// `new_key_valid_from` are UNKNOWN_KEY), and the old key's retirement date applies (licenses it
/// signed from that date are KEY_RETIRED). Add statements in the order they chain. `*already`
/// (when not NULL) receives 1 when the new key was in the set already (its lineage is recorded),
/// else 0. On failure nothing changes.
///
/// Errors: `LICET_ERR_NULL_ARGUMENT`, `LICET_ERR_KEY` (not a statement, no key of the set signed
/// it, a bad signature, signed after the old key's retirement, a key introduced twice, ...; the
/// message says which).
///
/// # Safety
/// `keys` is a live set not used by another thread during the call; `data` points to `len`
/// readable bytes (or is NULL with `len` 0); `already` is NULL or writable; `error` is NULL, or
/// writable with `*error` NULL.
#[no_mangle]
pub unsafe extern "C" fn licet_keys_add_rollover(
    keys: *mut licet_keys,
    data: *const u8,
    len: usize,
    already: *mut i32,
    error: *mut *mut licet_error,
) -> licet_result {
    boundary::call(error, || {
        // SAFETY: the function's contract: a live set, used by this thread only.
        let keys = unsafe { boundary::exclusive(keys, "keys") }?;
        // SAFETY: the function's contract: `len` readable bytes.
        let data = unsafe { boundary::bytes(data, len, "data") }?;
        let accepted = keys.keys.accept_rollover(data).map_err(|e| {
            Failure::new(
                licet_result::LICET_ERR_KEY,
                format!("the rollover statement was refused: {e}"),
            )
        })?;
        // SAFETY: the function's contract: NULL or writable.
        unsafe { boundary::write_optional(already, i32::from(accepted.already_trusted)) };
        Ok(())
    })
}

/// How many keys the set holds (0 for NULL).
///
/// # Safety
/// `keys` is NULL or a live set.
#[no_mangle]
pub unsafe extern "C" fn licet_keys_count(keys: *const licet_keys) -> usize {
    boundary::value(0, || {
        // SAFETY: the function's contract: NULL or a live set.
        unsafe { keys.as_ref() }.map_or(0, |k| k.keys.len())
    })
}

/// Frees a set of keys. NULL is a no-op. A guard opened with the keys keeps its own copy.
///
/// # Safety
/// `keys` is NULL or a live set that no other thread uses; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn licet_keys_free(keys: *mut licet_keys) {
    // SAFETY: the caller gives up a set made by `licet_keys_new` (or NULL).
    unsafe { boundary::free(keys) }
}
