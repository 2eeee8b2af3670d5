//! The JNI library behind the `dev.licet` Java classes (bindings/java/src/main/java): the licet
//! verifier for Java, built as `liblicet_jni.so` and bundled in `licet.jar`.
//!
//! Every export (see [`exports`]) runs its body through [`boundary::run`], which turns an error
//! into a Java exception and catches a panic, so neither crosses into the JVM. Native objects
//! (trusted keys, stateful guards) live in [`registry`]: Java holds a numeric id, never a pointer,
//! so a handle used after `close()` (or closed twice, or forged) is an `IllegalStateException`
//! rather than memory corruption. The crate has no `unsafe` block; the exports module allows the
//! `unsafe_code` lint only for `#[no_mangle]`, which JNI's symbol lookup requires.
//!
//! The Java side (`dev.licet.Native`) declares the exports; their parameter lists must match the
//! Java declarations exactly (JNI's short symbol names do not encode parameter types).

pub mod boundary;
mod convert;
pub mod exports;
mod files;
pub mod registry;
mod report;
