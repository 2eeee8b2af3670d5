//! The boundary between the JVM and Rust: errors become Java exceptions, panics are caught.

use jni::objects::{JThrowable, JValue};
use jni::JNIEnv;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The Java class whose static `fromNative(code, message)` builds the licet exception to throw.
const LICET_EXCEPTION: &str = "dev/licet/LicetException";
const FROM_NATIVE_SIG: &str = "(Ljava/lang/String;Ljava/lang/String;)Ldev/licet/LicetException;";

/// Why an export could not produce its value: the exception to throw.
#[derive(Debug)]
pub enum Error {
    /// A JNI call failed. Usually a Java exception is pending already (then that one is thrown);
    /// otherwise a `LicetException` with code `INTERNAL` says which call failed.
    Jni(jni::errors::Error),
    /// A `dev.licet.LicetException` (or the subclass its code selects) with a
    /// `LicetException.Code` name (`KEY`, `MACHINE_ID`, `STATE_BUSY`, ...).
    Licet {
        /// The `LicetException.Code` name.
        code: &'static str,
        /// The message, a sentence that names the problem.
        message: String,
    },
    /// A standard Java exception (`java/lang/IllegalArgumentException`, ...).
    Java {
        /// The class, in JNI form (`java/lang/IllegalStateException`).
        class: &'static str,
        /// The message.
        message: String,
    },
}

impl From<jni::errors::Error> for Error {
    fn from(e: jni::errors::Error) -> Self {
        Error::Jni(e)
    }
}

/// A `LicetException` with `code` (a `LicetException.Code` name).
pub fn licet(code: &'static str, message: impl Into<String>) -> Error {
    Error::Licet {
        code,
        message: message.into(),
    }
}

/// An `IllegalArgumentException`: a value the Java side let through is out of range.
pub fn illegal_argument(message: impl Into<String>) -> Error {
    Error::Java {
        class: "java/lang/IllegalArgumentException",
        message: message.into(),
    }
}

/// An `IllegalStateException`: a handle that was closed.
pub fn illegal_state(message: impl Into<String>) -> Error {
    Error::Java {
        class: "java/lang/IllegalStateException",
        message: message.into(),
    }
}

/// A `NullPointerException` naming the argument that was null.
pub fn null_argument(what: &str) -> Error {
    Error::Java {
        class: "java/lang/NullPointerException",
        message: format!("{what} must not be null"),
    }
}

/// Runs an export's body: its value, or else `default` with a Java exception pending (the
/// error's, or a `LicetException` with code `INTERNAL` for a panic). Nothing unwinds out.
pub fn run<'local, T>(
    env: &mut JNIEnv<'local>,
    default: T,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Result<T, Error>,
) -> T {
    let error = match catch_unwind(AssertUnwindSafe(|| body(env))) {
        Ok(Ok(value)) => return value,
        Ok(Err(error)) => error,
        Err(payload) => licet(
            "INTERNAL",
            format!(
                "the licet native library failed unexpectedly ({}); this is a bug in licet, please report it",
                panic_message(payload.as_ref())
            ),
        ),
    };
    // Throwing calls into the JVM again; should that panic, the pending state is whatever it is,
    // but the panic still does not leave this function.
    let _ = catch_unwind(AssertUnwindSafe(|| throw(env, error)));
    default
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a panic without a message"
    }
}

fn throw(env: &mut JNIEnv<'_>, error: Error) {
    // An exception already pending (a JNI call the JVM refused) says best what went wrong.
    if env.exception_check().unwrap_or(true) {
        return;
    }
    let thrown = match error {
        Error::Jni(e) => throw_licet(env, "INTERNAL", &format!("a JNI call failed: {e}")),
        Error::Licet { code, message } => throw_licet(env, code, &message),
        Error::Java { class, message } => env.throw_new(class, message),
    };
    if thrown.is_err() && !env.exception_check().unwrap_or(true) {
        let _ = env.throw_new(
            "java/lang/Error",
            "licet: the native library could not construct its exception",
        );
    }
}

fn throw_licet(env: &mut JNIEnv<'_>, code: &str, message: &str) -> jni::errors::Result<()> {
    let code = env.new_string(code)?;
    let message = env.new_string(message)?;
    let exception = env
        .call_static_method(
            LICET_EXCEPTION,
            "fromNative",
            FROM_NATIVE_SIG,
            &[JValue::Object(&code), JValue::Object(&message)],
        )?
        .l()?;
    env.throw(JThrowable::from(exception))
}
