//! The native methods of `dev.licet.Native`, one `Java_dev_licet_Native_*` symbol each. Each
//! parameter list matches its Java declaration exactly; each body runs through
//! [`crate::boundary::run`], so a failure is a Java exception and a panic never unwinds into the
//! JVM. Objects are passed as registry ids ([`crate::registry`]).

// JNI finds these functions by their unmangled names: `#[no_mangle]` is what the `unsafe_code`
// lint counts here. There is no `unsafe` block in this module (or in this crate).
#![allow(unsafe_code)]
// The parameter lists are the Java declarations' (options as primitives).
#![allow(clippy::too_many_arguments)]

use crate::boundary::{illegal_argument, licet, run, Error};
use crate::convert::{
    byte_arrays, bytes, optional_string, parse_machine_id, seconds, state_error, string, strings,
    OptionArgs,
};
use crate::files::{self, FileKind};
use crate::registry::{GUARDS, KEYS};
use crate::report::{lease_report, report};
use jni::objects::{JByteArray, JClass, JObjectArray, JString};
use jni::sys::{jboolean, jbyteArray, jint, jlong, jobject, jstring, JNI_FALSE};
use jni::JNIEnv;
use licet_verifier::{
    check_lease, check_license, verify_license, CheckReport, ListInput, MachineId, StateSettings,
    StatefulVerifier, TrustedKeys,
};
use std::path::Path;
use std::ptr::null_mut;
use std::time::Duration;

/// `static native String version()`: the library's version (the workspace version).
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_version<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jstring {
    run(&mut env, null_mut(), |env| {
        Ok(env.new_string(env!("CARGO_PKG_VERSION"))?.into_raw())
    })
}

/// `static native String machineId()`: this machine's id, or a `MachineIdException`.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_machineId<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jstring {
    run(&mut env, null_mut(), |env| {
        let id = MachineId::this_machine().map_err(|e| licet("MACHINE_ID", e.to_string()))?;
        Ok(env.new_string(id.as_str())?.into_raw())
    })
}

/// `static native String parseMachineId(String text)`: the canonical form (lower case) of a
/// machine id, or a `MachineIdException` naming the text.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_parseMachineId<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    text: JString<'local>,
) -> jstring {
    run(&mut env, null_mut(), |env| {
        let text = string(env, &text, "the machine id")?;
        let id = parse_machine_id(&text)?;
        Ok(env.new_string(id.as_str())?.into_raw())
    })
}

/// `static native long keysNew(byte[][] contents, String[] sources)`: trusted keys from key file
/// contents (PEM, JWK, JWKS), each named by its source in an error; the registry id.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_keysNew<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    contents: JObjectArray<'local>,
    sources: JObjectArray<'local>,
) -> jlong {
    run(&mut env, 0, |env| {
        let contents = byte_arrays(env, &contents, "the key contents")?;
        let sources = strings(env, &sources, "the key sources")?;
        if contents.len() != sources.len() {
            return Err(illegal_argument("one source name per key input"));
        }
        let mut keys = TrustedKeys::new();
        for (bytes, source) in contents.iter().zip(&sources) {
            keys.add_file_contents(bytes)
                .map_err(|e| licet("KEY", format!("{source}: {e}")))?;
        }
        Ok(KEYS.insert(keys))
    })
}

/// `static native long keysWithRollovers(long keys, byte[][] statements, String[] sources)`: a
/// copy of the keys with the new key each key rollover statement introduces (in order, each
/// verified with the keys so far); the new registry id. A refused statement fails the whole call.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_keysWithRollovers<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    keys: jlong,
    statements: JObjectArray<'local>,
    sources: JObjectArray<'local>,
) -> jlong {
    run(&mut env, 0, |env| {
        let statements = byte_arrays(env, &statements, "the rollover statements")?;
        let sources = strings(env, &sources, "the statement sources")?;
        if statements.len() != sources.len() {
            return Err(illegal_argument("one source name per rollover statement"));
        }
        let given = KEYS.get(keys)?;
        let mut copy = TrustedKeys::clone(&given);
        for (statement, source) in statements.iter().zip(&sources) {
            copy.accept_rollover(statement)
                .map_err(|e| licet("KEY", format!("{source} was refused: {e}")))?;
        }
        Ok(KEYS.insert(copy))
    })
}

/// `static native int keysLen(long keys)`: how many keys.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_keysLen<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    keys: jlong,
) -> jint {
    run(&mut env, 0, |_| {
        Ok(i32::try_from(KEYS.get(keys)?.len()).unwrap_or(i32::MAX))
    })
}

/// `static native void keysFree(long keys)`: forgets the keys (a check using them finishes).
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_keysFree<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    keys: jlong,
) {
    run(&mut env, (), |_| {
        KEYS.remove(keys);
        Ok(())
    })
}

/// `static native byte[] readFile(String path, int kind)`: the contents of a key file
/// (`Native.FILE_KEY`) or a revocation list (`Native.FILE_LIST`): a regular file, never waited
/// on, of at most 1 MiB or `MAX_REVOCATION_LIST_BYTES`; else a `LicetException` (code
/// `KEY_FILE` or `IO`) that names the file and the problem.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_readFile<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    path: JString<'local>,
    kind: jint,
) -> jbyteArray {
    run(&mut env, null_mut(), |env| {
        let kind = FileKind::from_java(kind)?;
        let shown = string(env, &path, "the path")?;
        let contents = files::read(Path::new(&shown), &shown, kind)?;
        Ok(env.byte_array_from_slice(&contents)?.into_raw())
    })
}

/// The revocation lists of a check: source names and bytes.
fn lists(
    env: &mut JNIEnv<'_>,
    sources: &JObjectArray<'_>,
    lists: &JObjectArray<'_>,
) -> Result<(Vec<String>, Vec<Vec<u8>>), Error> {
    let sources = strings(env, sources, "the revocation list sources")?;
    let lists = byte_arrays(env, lists, "the revocation lists")?;
    if sources.len() != lists.len() {
        return Err(illegal_argument("one source name per revocation list"));
    }
    Ok((sources, lists))
}

fn inputs<'a>(sources: &'a [String], lists: &'a [Vec<u8>]) -> Vec<ListInput<'a>> {
    sources
        .iter()
        .zip(lists)
        .map(|(source, bytes)| ListInput { source, bytes })
        .collect()
}

fn option_args(
    env: &mut JNIEnv<'_>,
    at_given: jboolean,
    at: jlong,
    leeway: jlong,
    clock_tolerance: jlong,
    machine_mode: jint,
    machine: &JString<'_>,
    product: &JString<'_>,
) -> Result<OptionArgs, Error> {
    Ok(OptionArgs {
        at_given: at_given != JNI_FALSE,
        at,
        leeway,
        clock_tolerance,
        machine_mode,
        machine: optional_string(env, machine)?,
        product: optional_string(env, product)?,
    })
}

/// `static native Report verify(byte[] license, long keys, boolean atGiven, long at, long
/// leeway, long clockTolerance, int machineMode, String machine, String product)`.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_verify<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    license: JByteArray<'local>,
    keys: jlong,
    at_given: jboolean,
    at: jlong,
    leeway: jlong,
    clock_tolerance: jlong,
    machine_mode: jint,
    machine: JString<'local>,
    product: JString<'local>,
) -> jobject {
    run(&mut env, null_mut(), |env| {
        let license = bytes(env, &license, "the license")?;
        let options = option_args(
            env,
            at_given,
            at,
            leeway,
            clock_tolerance,
            machine_mode,
            &machine,
            &product,
        )?
        .to_options()?;
        let keys = KEYS.get(keys)?;
        let checked = CheckReport {
            license: verify_license(&license, &keys, &options),
            revocation_lists: Vec::new(),
            lists_enforced: 0,
        };
        Ok(report(env, &checked)?.into_raw())
    })
}

/// `static native Report check(byte[] license, long keys, String[] listSources, byte[][] lists,
/// boolean atGiven, long at, long leeway, long clockTolerance, int machineMode, String machine,
/// String product)`: with revocation lists, without a state.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_check<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    license: JByteArray<'local>,
    keys: jlong,
    list_sources: JObjectArray<'local>,
    list_bytes: JObjectArray<'local>,
    at_given: jboolean,
    at: jlong,
    leeway: jlong,
    clock_tolerance: jlong,
    machine_mode: jint,
    machine: JString<'local>,
    product: JString<'local>,
) -> jobject {
    run(&mut env, null_mut(), |env| {
        let license = bytes(env, &license, "the license")?;
        let (sources, lists) = lists(env, &list_sources, &list_bytes)?;
        let options = option_args(
            env,
            at_given,
            at,
            leeway,
            clock_tolerance,
            machine_mode,
            &machine,
            &product,
        )?
        .to_options()?;
        let keys = KEYS.get(keys)?;
        let checked = check_license(&license, &inputs(&sources, &lists), &keys, &options);
        Ok(report(env, &checked)?.into_raw())
    })
}

/// `static native LeaseReport checkLease(byte[] lease, byte[] pool, long keys, String[]
/// listSources, byte[][] lists, boolean atGiven, long at, long leeway, long clockTolerance, int
/// machineMode, String machine, String product)`: a floating-seat lease against its pool license
/// and the vendor keys, with revocation lists (for the pool), without a state.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_checkLease<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    lease: JByteArray<'local>,
    pool: JByteArray<'local>,
    keys: jlong,
    list_sources: JObjectArray<'local>,
    list_bytes: JObjectArray<'local>,
    at_given: jboolean,
    at: jlong,
    leeway: jlong,
    clock_tolerance: jlong,
    machine_mode: jint,
    machine: JString<'local>,
    product: JString<'local>,
) -> jobject {
    run(&mut env, null_mut(), |env| {
        let lease = bytes(env, &lease, "the lease")?;
        let pool = bytes(env, &pool, "the pool license")?;
        let (sources, lists) = lists(env, &list_sources, &list_bytes)?;
        let options = option_args(
            env,
            at_given,
            at,
            leeway,
            clock_tolerance,
            machine_mode,
            &machine,
            &product,
        )?
        .to_options()?;
        let keys = KEYS.get(keys)?;
        let checked = check_lease(&lease, &pool, &inputs(&sources, &lists), &keys, &options);
        Ok(lease_report(env, &checked)?.into_raw())
    })
}

/// `static native long guardOpen(String dir, long keys, long clockTolerance, long
/// lockTimeoutMillis)`: a stateful verifier (`-1`: the default tolerance or timeout); the
/// registry id, or a `StateException`.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_guardOpen<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    dir: JString<'local>,
    keys: jlong,
    clock_tolerance: jlong,
    lock_timeout_millis: jlong,
) -> jlong {
    run(&mut env, 0, |env| {
        let dir = string(env, &dir, "the state directory")?;
        let keys = KEYS.get(keys)?;
        let mut settings = StateSettings::default();
        if clock_tolerance != -1 {
            settings.clock_tolerance_secs = seconds(clock_tolerance, "clock tolerance")?;
        }
        if lock_timeout_millis != -1 {
            let millis = u64::try_from(lock_timeout_millis)
                .map_err(|_| illegal_argument("the lock timeout must not be negative"))?;
            settings.lock_timeout = Duration::from_millis(millis);
        }
        let guard = StatefulVerifier::open(dir, TrustedKeys::clone(&keys), settings)
            .map_err(|e| state_error(&e))?;
        Ok(GUARDS.insert(guard))
    })
}

/// `static native Report guardCheck(long guard, byte[] license, String[] listSources, byte[][]
/// lists, boolean atGiven, long at, long leeway, int machineMode, String machine, String
/// product)`: the stateful check (the state's clock tolerance applies), or a `StateException`.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_guardCheck<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    guard: jlong,
    license: JByteArray<'local>,
    list_sources: JObjectArray<'local>,
    list_bytes: JObjectArray<'local>,
    at_given: jboolean,
    at: jlong,
    leeway: jlong,
    machine_mode: jint,
    machine: JString<'local>,
    product: JString<'local>,
) -> jobject {
    run(&mut env, null_mut(), |env| {
        let license = bytes(env, &license, "the license")?;
        let (sources, lists) = lists(env, &list_sources, &list_bytes)?;
        let options = option_args(
            env,
            at_given,
            at,
            leeway,
            -1,
            machine_mode,
            &machine,
            &product,
        )?
        .to_options()?;
        let guard = GUARDS.get(guard)?;
        let checked = guard
            .check(&license, &inputs(&sources, &lists), &options)
            .map_err(|e| state_error(&e))?;
        Ok(report(env, &checked)?.into_raw())
    })
}

/// `static native void guardFree(long guard)`: forgets the guard (a check using it finishes).
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_guardFree<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    guard: jlong,
) {
    run(&mut env, (), |_| {
        GUARDS.remove(guard);
        Ok(())
    })
}

/// `static native long liveHandles()`: how many keys and guards are open (for the tests of
/// `close()` and of the Cleaner).
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_liveHandles<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jlong {
    run(&mut env, 0, |_| {
        Ok(i64::try_from(KEYS.len() + GUARDS.len()).unwrap_or(i64::MAX))
    })
}

/// `static native void testPanic(String message)`: panics, for the test that a panic becomes a
/// `LicetException` (code `INTERNAL`) and leaves the JVM running. Package-private in Java.
#[no_mangle]
pub extern "system" fn Java_dev_licet_Native_testPanic<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    message: JString<'local>,
) {
    run(&mut env, (), |env| {
        let message = optional_string(env, &message)?.unwrap_or_default();
        panic!("{message}")
    })
}
