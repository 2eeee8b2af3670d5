//! The boundary from Rust: NULL handling, panics caught, error objects, and the calls on the demo
//! license. The C and C++ programs in bindings/c test the built library the way C uses it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]
// Test code: every unsafe call passes pointers this test made and still owns.

use super::*;
use std::ffi::CStr;
use std::ptr::{null, null_mut};

const DEMO_KEY: &[u8] = include_bytes!("../../../keys/demo-ed25519.pub.pem");
const DEMO_LICENSE: &[u8] = include_bytes!("../../verifier/testdata/demo.lic");
/// 2026-06-01T00:00:00Z: the demo license is ACTIVE then.
const JUNE_2026: i64 = 1_780_272_000;

fn string(ptr: *const c_char) -> Option<String> {
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned())
}

/// The code and message of an error, freeing it.
fn take(error: *mut licet_error) -> (licet_result, String) {
    assert!(!error.is_null());
    let got = unsafe {
        (
            licet_error_code(error),
            string(licet_error_message(error)).unwrap(),
        )
    };
    unsafe { licet_error_free(error) };
    got
}

fn demo_keys() -> *mut licet_keys {
    let keys = licet_keys_new();
    let mut added = 0;
    let rc = unsafe {
        licet_keys_add(
            keys,
            DEMO_KEY.as_ptr(),
            DEMO_KEY.len(),
            &mut added,
            null_mut(),
        )
    };
    assert_eq!(rc, licet_result::LICET_OK);
    assert_eq!(added, 1);
    keys
}

fn june_options() -> *mut licet_options {
    let options = licet_options_new();
    let rc = unsafe { licet_options_set_time(options, JUNE_2026, null_mut()) };
    assert_eq!(rc, licet_result::LICET_OK);
    options
}

#[test]
fn the_demo_license_verifies_and_every_getter_answers() {
    let keys = demo_keys();
    let options = june_options();
    let mut report = null_mut();
    let rc = unsafe {
        licet_verify(
            keys,
            DEMO_LICENSE.as_ptr(),
            DEMO_LICENSE.len(),
            options,
            &mut report,
            null_mut(),
        )
    };
    assert_eq!(rc, licet_result::LICET_OK);
    unsafe {
        assert_eq!(
            licet_report_status(report),
            licet_status::LICET_STATUS_ACTIVE
        );
        assert_eq!(string(licet_report_status_name(report)).unwrap(), "ACTIVE");
        assert!(licet_report_valid(report));
        assert!(licet_report_passed(report));
        assert!(licet_report_verified(report));
        assert_eq!(
            string(licet_report_customer_id(report)).unwrap(),
            "ACME-001"
        );
        assert_eq!(string(licet_report_alg(report)).unwrap(), "EdDSA");
        assert_eq!(licet_report_list_count(report), 0);
        assert!(licet_report_list_source(report, 0).is_null());
        assert_eq!(
            licet_report_list_status(report, 0),
            licet_list_status::LICET_LIST_STATUS_UNKNOWN
        );
        let mut t = 0;
        assert!(licet_report_issued_at(report, &mut t));
        assert!(t > 0);
        assert!(licet_report_expires_at(report, &mut t));
        assert_eq!(t, 1_924_992_000);
        assert!(!licet_report_expires_at(report, null_mut()));
        let claims: serde_json::Value =
            serde_json::from_str(&string(licet_report_claims_json(report)).unwrap()).unwrap();
        assert_eq!(claims["sub"], "ACME-001");
        let json: serde_json::Value =
            serde_json::from_str(&string(licet_report_json(report)).unwrap()).unwrap();
        assert_eq!(json["status"], "ACTIVE");
        assert_eq!(json["listsEnforced"], 0);
        // The same pointer on every call: made once, owned by the report.
        assert_eq!(licet_report_reason(report), licet_report_reason(report));
        licet_report_free(report);
        licet_options_free(options);
        licet_keys_free(keys);
    }
}

#[test]
fn null_arguments_are_errors_or_defaults_never_crashes() {
    let keys = demo_keys();
    let mut report = null_mut();
    let mut error = null_mut();
    let rc = unsafe {
        licet_verify(
            null(),
            DEMO_LICENSE.as_ptr(),
            1,
            null(),
            &mut report,
            &mut error,
        )
    };
    assert_eq!(rc, licet_result::LICET_ERR_NULL_ARGUMENT);
    assert!(report.is_null());
    assert_eq!(take(error).1, "the argument `keys` is NULL");

    let rc = unsafe { licet_verify(keys, null(), 10, null(), &mut report, &mut error) };
    assert_eq!(rc, licet_result::LICET_ERR_NULL_ARGUMENT);
    assert_eq!(take(error).1, "the argument `license` is NULL");

    let rc = unsafe { licet_verify(keys, null(), 0, null(), null_mut(), null_mut()) };
    assert_eq!(
        rc,
        licet_result::LICET_ERR_NULL_ARGUMENT,
        "out NULL, error not wanted"
    );

    // An empty license with default options is a verdict, not an error.
    let rc = unsafe { licet_verify(keys, null(), 0, null(), &mut report, null_mut()) };
    assert_eq!(rc, licet_result::LICET_OK);
    assert_eq!(
        unsafe { licet_report_status(report) },
        licet_status::LICET_STATUS_MALFORMED
    );
    assert!(unsafe { licet_report_claims_json(report) }.is_null());
    unsafe { licet_report_free(report) };

    let rc = unsafe { licet_check(keys, null(), 0, null(), 2, null(), &mut report, &mut error) };
    assert_eq!(
        take(error),
        (
            licet_result::LICET_ERR_NULL_ARGUMENT,
            "the argument `lists` is NULL".into()
        )
    );
    assert_eq!(rc, licet_result::LICET_ERR_NULL_ARGUMENT);

    let lists = [licet_list_input {
        source: null(),
        data: null(),
        len: 0,
    }];
    let rc = unsafe {
        licet_check(
            keys,
            null(),
            0,
            lists.as_ptr(),
            1,
            null(),
            &mut report,
            &mut error,
        )
    };
    assert_eq!(rc, licet_result::LICET_ERR_NULL_ARGUMENT);
    assert_eq!(take(error).1, "the argument `lists[0].source` is NULL");

    unsafe {
        assert_eq!(
            licet_report_status(null()),
            licet_status::LICET_STATUS_UNKNOWN
        );
        assert!(licet_report_reason(null()).is_null());
        assert!(licet_report_json(null()).is_null());
        assert!(!licet_report_valid(null()));
        assert_eq!(licet_keys_count(null()), 0);
        assert_eq!(
            licet_error_code(null()),
            licet_result::LICET_ERR_NULL_ARGUMENT
        );
        assert!(licet_error_message(null()).is_null());
        licet_keys_free(null_mut());
        licet_options_free(null_mut());
        licet_guard_free(null_mut());
        licet_report_free(null_mut());
        licet_error_free(null_mut());
        licet_string_free(null_mut());
        assert_eq!(
            licet_options_set_leeway(null_mut(), 1, &mut error),
            licet_result::LICET_ERR_NULL_ARGUMENT
        );
        assert_eq!(take(error).1, "the argument `options` is NULL");
        assert_eq!(
            licet_machine_id(null_mut(), null_mut()),
            licet_result::LICET_ERR_NULL_ARGUMENT
        );
        licet_keys_free(keys);
    }
}

#[test]
fn a_panic_is_caught_and_becomes_an_error() {
    let mut error = null_mut();
    let rc = boundary::call(&mut error, || panic!("on purpose"));
    assert_eq!(rc, licet_result::LICET_ERR_PANIC);
    let (code, message) = take(error);
    assert_eq!(code, licet_result::LICET_ERR_PANIC);
    assert!(message.contains("on purpose"), "{message}");
    assert_eq!(
        boundary::call(null_mut(), || panic!("no error wanted")),
        licet_result::LICET_ERR_PANIC
    );
    let got: i32 = boundary::value(-1, || panic!("in a getter"));
    assert_eq!(got, -1);
}

#[test]
fn usage_errors_name_the_problem() {
    let keys = licet_keys_new();
    let mut error = null_mut();
    let private = include_bytes!("../../../keys/demo-ed25519.key.pem");
    let rc = unsafe {
        licet_keys_add(
            keys,
            private.as_ptr(),
            private.len(),
            null_mut(),
            &mut error,
        )
    };
    assert_eq!(rc, licet_result::LICET_ERR_KEY);
    let (_, message) = take(error);
    assert!(message.contains("private key"), "{message}");
    assert_eq!(
        unsafe { licet_keys_count(keys) },
        0,
        "nothing added on failure"
    );

    let rc = unsafe {
        licet_keys_add_file(
            keys,
            c"/nonexistent/key.pem".as_ptr(),
            null_mut(),
            &mut error,
        )
    };
    assert_eq!(rc, licet_result::LICET_ERR_IO);
    assert!(take(error).1.contains("/nonexistent/key.pem"));

    let options = licet_options_new();
    let rc = unsafe { licet_options_set_machine(options, c"abc".as_ptr(), &mut error) };
    assert_eq!(rc, licet_result::LICET_ERR_MACHINE_ID);
    assert!(take(error).1.contains("is not a machine id"));
    let rc = unsafe { licet_options_set_product(options, c"caf\xe9".as_ptr(), &mut error) };
    assert_eq!(rc, licet_result::LICET_ERR_INVALID_ARGUMENT);
    assert!(take(error).1.contains("`product` is not UTF-8"));
    let rc = unsafe { licet_options_set_time(options, -1, &mut error) };
    assert_eq!(rc, licet_result::LICET_ERR_INVALID_ARGUMENT);
    take(error);

    let file = tempfile::NamedTempFile::new().unwrap();
    let path = CString::new(file.path().as_os_str().as_encoded_bytes()).unwrap();
    let mut guard = null_mut();
    let rc = unsafe { licet_guard_open(path.as_ptr(), keys, 3600, 100, &mut guard, &mut error) };
    assert_eq!(
        rc,
        licet_result::LICET_ERR_IO,
        "a file where the directory should be"
    );
    assert!(guard.is_null());
    take(error);
    unsafe {
        licet_options_free(options);
        licet_keys_free(keys);
    }
}

#[test]
fn the_guard_remembers_the_latest_time() {
    let keys = demo_keys();
    let dir = tempfile::tempdir().unwrap();
    let path = CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
    let mut guard = null_mut();
    let rc = unsafe { licet_guard_open(path.as_ptr(), keys, 3600, 1000, &mut guard, null_mut()) };
    assert_eq!(rc, licet_result::LICET_OK);
    unsafe { licet_keys_free(keys) }; // the guard has its own copy
    let options = june_options();
    let check = |options| {
        let mut report = null_mut();
        let rc = unsafe {
            licet_guard_check(
                guard,
                DEMO_LICENSE.as_ptr(),
                DEMO_LICENSE.len(),
                null(),
                0,
                options,
                &mut report,
                null_mut(),
            )
        };
        assert_eq!(rc, licet_result::LICET_OK);
        let status = unsafe { licet_report_status(report) };
        unsafe { licet_report_free(report) };
        status
    };
    assert_eq!(check(options), licet_status::LICET_STATUS_ACTIVE);
    unsafe { licet_options_set_time(options, JUNE_2026 - 86_400, null_mut()) };
    assert_eq!(check(options), licet_status::LICET_STATUS_CLOCK_ROLLBACK);
    unsafe {
        licet_options_free(options);
        licet_guard_free(guard);
    }
}

#[test]
fn names_of_numbers_and_strings_with_nul() {
    let name = |p| string(p).unwrap();
    assert_eq!(name(licet_status_name(12)), "CLOCK_ROLLBACK");
    assert_eq!(name(licet_status_name(13)), "WRONG_POOL");
    assert_eq!(name(licet_status_name(14)), "LEASE_TOO_LONG");
    assert_eq!(name(licet_status_name(15)), "KEY_RETIRED");
    assert_eq!(name(licet_status_name(16)), "KEY_REVOKED");
    assert_eq!(name(licet_list_status_name(8)), "NOT_AUTHORIZED");
    assert_eq!(name(licet_status_name(0)), "UNKNOWN");
    assert_eq!(name(licet_status_name(9999)), "UNKNOWN");
    assert_eq!(name(licet_list_status_name(2)), "OLDER_THAN_SEEN");
    assert_eq!(name(licet_result_name(8)), "LICET_ERR_STATE_BUSY");
    assert_eq!(name(licet_result_name(77)), "UNKNOWN");
    assert_eq!(name(licet_version()), env!("CARGO_PKG_VERSION"));
    assert_eq!(licet_abi_version(), LICET_ABI_VERSION);
    assert_eq!(report::c_string("a\0b").to_str().unwrap(), "a\u{FFFD}b");
}

const CONFORMANCE_KEY: &[u8] = include_bytes!("../../../fixtures/conformance/keys/ed25519.pub.pem");
const POOL: &[u8] = include_bytes!("../../../fixtures/conformance/leases/pool.lic");
const LEASE: &[u8] = include_bytes!("../../../fixtures/conformance/leases/valid.jwt");
const TOO_LONG: &[u8] = include_bytes!("../../../fixtures/conformance/leases/too-long.jwt");
/// The lease corpus's evaluation time and machine (fixtures/conformance/make.py).
const LEASE_AT: i64 = 1_798_761_600;
const LEASE_MACHINE: &std::ffi::CStr =
    c"57b4ededd7060cf76633d6d73b900c9f529d083bc865cc597f5fe774121ae128";

fn verify_lease_at(lease: &[u8], pool: &[u8]) -> *mut licet_lease_report {
    let keys = licet_keys_new();
    let mut added = 0;
    let options = licet_options_new();
    let mut report = null_mut();
    unsafe {
        assert_eq!(
            licet_keys_add(
                keys,
                CONFORMANCE_KEY.as_ptr(),
                CONFORMANCE_KEY.len(),
                &mut added,
                null_mut()
            ),
            licet_result::LICET_OK
        );
        assert_eq!(
            licet_options_set_time(options, LEASE_AT, null_mut()),
            licet_result::LICET_OK
        );
        assert_eq!(
            licet_options_set_machine(options, LEASE_MACHINE.as_ptr(), null_mut()),
            licet_result::LICET_OK
        );
        let rc = licet_verify_lease(
            keys,
            lease.as_ptr(),
            lease.len(),
            pool.as_ptr(),
            pool.len(),
            null(),
            0,
            options,
            &mut report,
            null_mut(),
        );
        assert_eq!(rc, licet_result::LICET_OK);
        licet_options_free(options);
        licet_keys_free(keys);
    }
    report
}

#[test]
fn a_lease_verifies_through_the_abi_with_its_pool_report() {
    let report = verify_lease_at(LEASE, POOL);
    unsafe {
        assert_eq!(
            licet_lease_report_status(report),
            licet_status::LICET_STATUS_ACTIVE
        );
        assert!(licet_lease_report_valid(report) && licet_lease_report_passed(report));
        assert_eq!(
            licet_lease_report_part(report),
            licet_lease_part::LICET_LEASE_PART_NONE
        );
        assert_eq!(
            string(licet_lease_report_machine_id(report)).unwrap(),
            LEASE_MACHINE.to_str().unwrap()
        );
        assert_eq!(
            string(licet_lease_report_pool_license_id(report)).unwrap(),
            "conf-pool-001"
        );
        let mut exp = 0;
        assert!(licet_lease_report_expires_at(report, &mut exp));
        assert_eq!(exp, LEASE_AT - 60 + 900);
        assert!(!licet_lease_report_expires_at(report, null_mut()));
        let json: serde_json::Value =
            serde_json::from_str(&string(licet_lease_report_json(report)).unwrap()).unwrap();
        assert_eq!(json["status"], "ACTIVE");
        // The pool's own report, borrowed: its claims through the license getters.
        let pool = licet_lease_report_pool(report);
        assert_eq!(licet_report_status(pool), licet_status::LICET_STATUS_ACTIVE);
        assert_eq!(string(licet_report_license_type(pool)).unwrap(), "POOL");
        licet_lease_report_free(report);
    }

    let report = verify_lease_at(TOO_LONG, POOL);
    unsafe {
        assert_eq!(
            licet_lease_report_status(report),
            licet_status::LICET_STATUS_LEASE_TOO_LONG
        );
        assert_eq!(
            string(licet_lease_report_status_name(report)).unwrap(),
            "LEASE_TOO_LONG"
        );
        assert_eq!(
            licet_lease_report_part(report),
            licet_lease_part::LICET_LEASE_PART_LEASE
        );
        assert!(!licet_lease_report_valid(report));
        licet_lease_report_free(report);
    }

    // The pool given as the lease: the lease half is malformed; the pool half is fine.
    let report = verify_lease_at(POOL, POOL);
    unsafe {
        assert_eq!(
            licet_lease_report_status(report),
            licet_status::LICET_STATUS_MALFORMED
        );
        assert!(licet_lease_report_lease_id(report).is_null());
        licet_lease_report_free(report);
    }
}

#[test]
fn lease_getters_answer_null_safely() {
    unsafe {
        assert_eq!(
            licet_lease_report_status(null()),
            licet_status::LICET_STATUS_UNKNOWN
        );
        assert!(!licet_lease_report_valid(null()));
        assert!(licet_lease_report_reason(null()).is_null());
        assert!(licet_lease_report_pool(null()).is_null());
        assert_eq!(
            licet_lease_report_part(null()),
            licet_lease_part::LICET_LEASE_PART_NONE
        );
        licet_lease_report_free(null_mut());
        let mut error = null_mut();
        let rc = licet_verify_lease(
            null(),
            null(),
            0,
            null(),
            0,
            null(),
            0,
            null(),
            null_mut(),
            &mut error,
        );
        assert_eq!(rc, licet_result::LICET_ERR_NULL_ARGUMENT);
        let (code, message) = take(error);
        assert_eq!(code, licet_result::LICET_ERR_NULL_ARGUMENT);
        assert!(message.contains("out"), "{message}");
    }
}

const ROLLOVER: &[u8] =
    include_bytes!("../../../fixtures/conformance/keys/ed25519-to-successor.rollover.jwt");

#[test]
fn a_rollover_statement_adds_its_key_once_and_a_refused_one_changes_nothing() {
    let keys = demo_keys();
    let mut already = -1;
    let rc = unsafe {
        licet_keys_add_rollover(
            keys,
            ROLLOVER.as_ptr(),
            ROLLOVER.len(),
            &mut already,
            null_mut(),
        )
    };
    assert_eq!(rc, licet_result::LICET_OK);
    assert_eq!(already, 0);
    assert_eq!(unsafe { licet_keys_count(keys) }, 2);
    // The same statement again: the key is introduced already.
    let mut error = null_mut();
    let rc = unsafe {
        licet_keys_add_rollover(
            keys,
            ROLLOVER.as_ptr(),
            ROLLOVER.len(),
            null_mut(),
            &mut error,
        )
    };
    assert_eq!(rc, licet_result::LICET_ERR_KEY);
    let (_, message) = take(error);
    assert!(
        message.contains("rollover statement was refused"),
        "{message}"
    );
    assert_eq!(unsafe { licet_keys_count(keys) }, 2);
    // No key of an empty set signed it; a license is not a statement.
    let empty = licet_keys_new();
    for data in [ROLLOVER, DEMO_LICENSE] {
        let mut error = null_mut();
        let rc = unsafe {
            licet_keys_add_rollover(empty, data.as_ptr(), data.len(), null_mut(), &mut error)
        };
        assert_eq!(rc, licet_result::LICET_ERR_KEY);
        take(error);
        assert_eq!(unsafe { licet_keys_count(empty) }, 0);
    }
    let rc = unsafe { licet_keys_add_rollover(null_mut(), null(), 0, null_mut(), null_mut()) };
    assert_eq!(rc, licet_result::LICET_ERR_NULL_ARGUMENT);
    unsafe {
        licet_keys_free(keys);
        licet_keys_free(empty);
    }
}
