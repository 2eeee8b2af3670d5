//! Arguments from Java: arrays, strings and the options of a check.

use crate::boundary::{illegal_argument, licet, null_argument, Error};
use jni::objects::{JByteArray, JObjectArray, JString};
use jni::sys::jint;
use jni::JNIEnv;
use licet_verifier::state::StateError;
use licet_verifier::{MachineCheck, MachineId, UnixTime, VerifyOptions};

/// A `byte[]` that must not be null.
pub fn bytes(env: &JNIEnv<'_>, array: &JByteArray<'_>, what: &str) -> Result<Vec<u8>, Error> {
    if array.is_null() {
        return Err(null_argument(what));
    }
    Ok(env.convert_byte_array(array)?)
}

/// A `String` that must not be null.
pub fn string(env: &mut JNIEnv<'_>, text: &JString<'_>, what: &str) -> Result<String, Error> {
    optional_string(env, text)?.ok_or_else(|| null_argument(what))
}

/// A `String` that may be null.
pub fn optional_string(env: &mut JNIEnv<'_>, text: &JString<'_>) -> Result<Option<String>, Error> {
    if text.is_null() {
        return Ok(None);
    }
    // jni 0.21's `get_string` makes two local references it never deletes (the String class and
    // the object's class): a frame of its own frees them, or a String[] of 40 list sources would
    // take 80 of the 16 that JNI guarantees.
    env.with_local_frame(4, |env| -> Result<_, Error> {
        Ok(Some(env.get_string(text)?.into()))
    })
}

/// A `byte[][]` without null elements.
pub fn byte_arrays(
    env: &mut JNIEnv<'_>,
    arrays: &JObjectArray<'_>,
    what: &str,
) -> Result<Vec<Vec<u8>>, Error> {
    if arrays.is_null() {
        return Err(null_argument(what));
    }
    let len = env.get_array_length(arrays)?;
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    for i in 0..len {
        let element = JByteArray::from(env.get_object_array_element(arrays, i)?);
        out.push(bytes(env, &element, what)?);
        env.delete_local_ref(element)?;
    }
    Ok(out)
}

/// A `String[]` without null elements.
pub fn strings(
    env: &mut JNIEnv<'_>,
    array: &JObjectArray<'_>,
    what: &str,
) -> Result<Vec<String>, Error> {
    if array.is_null() {
        return Err(null_argument(what));
    }
    let len = env.get_array_length(array)?;
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    for i in 0..len {
        let element = JString::from(env.get_object_array_element(array, i)?);
        out.push(string(env, &element, what)?);
        env.delete_local_ref(element)?;
    }
    Ok(out)
}

/// `VerifyOptions.MACHINE_THIS`, `MACHINE_GIVEN`, `MACHINE_NOT_CHECKED` on the Java side.
const MACHINE_THIS: jint = 0;
const MACHINE_GIVEN: jint = 1;
const MACHINE_NOT_CHECKED: jint = 2;

/// The options of one check, as `dev.licet.VerifyOptions` passes them (`-1`: the default).
#[derive(Debug)]
pub struct OptionArgs {
    /// Whether `at` was given (else: now).
    pub at_given: bool,
    /// Unix seconds.
    pub at: i64,
    /// Seconds.
    pub leeway: i64,
    /// Seconds; `-1` for the default (one hour).
    pub clock_tolerance: i64,
    /// One of the `MACHINE_*` modes.
    pub machine_mode: jint,
    /// The machine id (hex) for `MACHINE_GIVEN`.
    pub machine: Option<String>,
    /// The product the license must be for.
    pub product: Option<String>,
}

/// Seconds as the verifier's `u32`.
pub fn seconds(value: i64, what: &str) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| {
        illegal_argument(format!(
            "the {what} is {value} s; it must be between 0 and {} s",
            u32::MAX
        ))
    })
}

impl OptionArgs {
    /// The verifier's options.
    pub fn to_options(&self) -> Result<VerifyOptions, Error> {
        let now = if self.at_given {
            UnixTime::from_secs(self.at)
                .map_err(|e| illegal_argument(format!("the evaluation time: {e}")))?
        } else {
            UnixTime::now()
        };
        let mut options = VerifyOptions::at(now).with_leeway(seconds(self.leeway, "leeway")?);
        if self.clock_tolerance != -1 {
            options =
                options.with_clock_tolerance(seconds(self.clock_tolerance, "clock tolerance")?);
        }
        match self.machine_mode {
            MACHINE_THIS => {}
            MACHINE_GIVEN => {
                let text = self
                    .machine
                    .as_deref()
                    .ok_or_else(|| null_argument("the machine id"))?;
                options = options.with_machine(parse_machine_id(text)?);
            }
            MACHINE_NOT_CHECKED => options.machine = MachineCheck::NotChecked,
            other => return Err(illegal_argument(format!("machine mode {other} is unknown"))),
        }
        if let Some(product) = &self.product {
            options = options.with_product(product.clone());
        }
        Ok(options)
    }
}

/// A machine id given by a person (64 hex characters), or a `MachineIdException`.
pub fn parse_machine_id(text: &str) -> Result<MachineId, Error> {
    MachineId::parse(text).map_err(|e| licet("MACHINE_ID", e.to_string()))
}

/// A state error as the `StateException` of its kind.
pub fn state_error(e: &StateError) -> Error {
    let code = match e {
        StateError::Io { .. } => "STATE_IO",
        StateError::Corrupt { .. } => "STATE_CORRUPT",
        StateError::NewerVersion { .. } => "STATE_NEWER_VERSION",
        StateError::Busy { .. } => "STATE_BUSY",
        StateError::RevocationRollback { .. } => "STATE",
    };
    licet(code, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> OptionArgs {
        OptionArgs {
            at_given: true,
            at: 1_790_000_000,
            leeway: 0,
            clock_tolerance: -1,
            machine_mode: MACHINE_THIS,
            machine: None,
            product: None,
        }
    }

    fn is_illegal_argument(result: Result<VerifyOptions, Error>) -> bool {
        matches!(result, Err(Error::Java { class, .. }) if class.ends_with("IllegalArgumentException"))
    }

    #[test]
    fn options_from_java() -> Result<(), String> {
        let options = OptionArgs {
            leeway: 60,
            clock_tolerance: 10,
            machine_mode: MACHINE_GIVEN,
            machine: Some("AB".repeat(32)),
            product: Some("app".into()),
            ..args()
        }
        .to_options()
        .map_err(|e| format!("{e:?}"))?;
        assert_eq!(options.now.as_secs(), 1_790_000_000);
        assert_eq!(options.leeway_secs, 60);
        assert_eq!(options.clock_guard.tolerance_secs, 10);
        assert_eq!(options.product.as_deref(), Some("app"));
        assert!(
            matches!(&options.machine, MachineCheck::Machine(id) if id.as_str() == "ab".repeat(32))
        );
        let defaults = args().to_options().map_err(|e| format!("{e:?}"))?;
        assert_eq!(
            defaults.clock_guard.tolerance_secs,
            licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS
        );
        assert_eq!(defaults.machine, MachineCheck::ThisMachine);
        let unchecked = OptionArgs {
            machine_mode: MACHINE_NOT_CHECKED,
            ..args()
        };
        assert_eq!(
            unchecked
                .to_options()
                .map_err(|e| format!("{e:?}"))?
                .machine,
            MachineCheck::NotChecked
        );
        Ok(())
    }

    #[test]
    fn out_of_range_options_are_illegal_arguments() {
        for bad in [
            OptionArgs {
                leeway: -1,
                ..args()
            },
            OptionArgs {
                leeway: i64::from(u32::MAX) + 1,
                ..args()
            },
            OptionArgs {
                clock_tolerance: -2,
                ..args()
            },
            OptionArgs { at: -1, ..args() },
            OptionArgs {
                at: licet_verifier::MAX_UNIX_TIME + 1,
                ..args()
            },
            OptionArgs {
                machine_mode: 3,
                ..args()
            },
        ] {
            assert!(is_illegal_argument(bad.to_options()), "{bad:?}");
        }
        let no_machine = OptionArgs {
            machine_mode: MACHINE_GIVEN,
            ..args()
        };
        assert!(matches!(
            no_machine.to_options(),
            Err(Error::Java { class, .. }) if class.ends_with("NullPointerException")
        ));
        let bad_machine = OptionArgs {
            machine_mode: MACHINE_GIVEN,
            machine: Some("xyz".into()),
            ..args()
        };
        assert!(matches!(
            bad_machine.to_options(),
            Err(Error::Licet { code: "MACHINE_ID", message }) if message.contains("xyz")
        ));
    }
}
