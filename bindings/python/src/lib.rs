//! `licet._licet`: the native module of the Python binding (PyO3, abi3 for CPython >= 3.9).
//!
//! Private: the public API is the pure-Python package `licet` (bindings/python/python/licet),
//! which checks and converts arguments (datetimes, paths, list inputs) and wraps these classes.
//! Everything here is thread-safe (frozen classes; the trusted keys behind a lock, copied on
//! write), and every verification runs detached from the interpreter (`Python::detach`), so other
//! Python threads run meanwhile. Usage errors raise the exception classes of `licet._errors`; a
//! verdict is never an exception. A panic becomes PyO3's `PanicException`, never an abort.

use licet_verifier::state::{read_regular_capped, CappedReadError, StateError};
use licet_verifier::MAX_KEY_FILE_BYTES;
use licet_verifier::{
    check_license, CheckReport, ListInput, MachineCheck, MachineId, StateSettings,
    StatefulVerifier, UnixTime, VerifyOptions, DEFAULT_CLOCK_TOLERANCE_SECS,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyType};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The Python module that defines the exception classes raised here.
const ERRORS_MODULE: &str = "licet._errors";

/// An exception of `licet._errors` named `class`, with `message`; `path` (when given) is set as
/// the exception's `path` attribute. If that module cannot be imported, its import error.
fn licet_error(
    py: Python<'_>,
    class: &'static str,
    message: String,
    path: Option<String>,
) -> PyErr {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let made = MODULE
        .get_or_try_init(py, || py.import(ERRORS_MODULE).map(Bound::unbind))
        .and_then(|module| module.bind(py).getattr(class))
        .and_then(|class| class.cast_into::<PyType>().map_err(PyErr::from))
        .and_then(|class| class.call1((message,)));
    match made {
        Ok(exception) => {
            if let Some(path) = path {
                if let Err(e) = exception.setattr("path", path) {
                    return e;
                }
            }
            PyErr::from_value(exception)
        }
        Err(e) => e,
    }
}

/// The trusted public keys: a set that only grows, copied on write so a verification that is
/// running keeps the snapshot it started with.
#[pyclass(frozen, module = "licet._licet", name = "TrustedKeys")]
struct PyTrustedKeys {
    keys: RwLock<Arc<licet_verifier::TrustedKeys>>,
}

impl PyTrustedKeys {
    /// The keys as they are now (a cheap reference-counted copy).
    fn snapshot(&self) -> Arc<licet_verifier::TrustedKeys> {
        // A poisoned lock only means a panic elsewhere while it was held; the set itself is
        // replaced whole under the lock, so it is never half-written.
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[pymethods]
impl PyTrustedKeys {
    #[new]
    fn new() -> Self {
        PyTrustedKeys {
            keys: RwLock::new(Arc::new(licet_verifier::TrustedKeys::new())),
        }
    }

    /// Adds every key in `data` (PEM blocks, a JWK or a JWKS) and returns how many; nothing is
    /// added when any part of it is not a usable key. `source` names the file in the error.
    #[pyo3(signature = (data, source = None))]
    fn add(&self, py: Python<'_>, data: &[u8], source: Option<String>) -> PyResult<usize> {
        let parsed = licet_verifier::parse_public_keys(data).map_err(|e| {
            let message = match &source {
                Some(file) => format!("the key file {file}: {e}"),
                None => e.to_string(),
            };
            licet_error(py, "KeyFileError", message, source.clone())
        })?;
        let count = parsed.len();
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        let set = Arc::make_mut(&mut keys);
        for key in parsed {
            set.push(key);
        }
        Ok(count)
    }

    fn __len__(&self) -> usize {
        self.snapshot().len()
    }

    /// The RFC 7638 thumbprints of the keys, in the order they were added.
    fn kids(&self) -> Vec<String> {
        self.snapshot().iter().map(|k| k.kid().to_owned()).collect()
    }
}

/// The verdict: the license's report and each revocation list's.
#[pyclass(frozen, module = "licet._licet", name = "Report")]
struct PyReport {
    report: CheckReport,
}

impl PyReport {
    fn claims(&self) -> Option<&licet_verifier::LicenseClaims> {
        self.report.license.verified_license().map(|v| v.claims())
    }
}

fn secs(t: UnixTime) -> i64 {
    t.as_secs()
}

#[pymethods]
impl PyReport {
    #[getter]
    fn status(&self) -> &'static str {
        self.report.license.status.as_str()
    }
    #[getter]
    fn valid(&self) -> bool {
        self.report.license.valid
    }
    #[getter]
    fn passed(&self) -> bool {
        self.report.passed()
    }
    #[getter]
    fn reason(&self) -> &str {
        &self.report.license.reason
    }
    #[getter]
    fn kid(&self) -> Option<&str> {
        self.report.license.kid.as_deref()
    }
    #[getter]
    fn alg(&self) -> Option<&str> {
        self.report.license.alg.as_deref()
    }
    /// Whether the signature verified with a trusted key (whatever the status).
    #[getter]
    fn verified(&self) -> bool {
        self.report.license.verified_license().is_some()
    }
    /// The full claim set as JSON text; None unless the signature verified.
    fn claims_json(&self) -> Option<String> {
        self.claims()
            .map(|c| serde_json::Value::Object(c.to_json()).to_string())
    }
    #[getter]
    fn license_id(&self) -> Option<&str> {
        self.claims().map(|c| c.license_id.as_str())
    }
    #[getter]
    fn customer_id(&self) -> Option<&str> {
        self.claims().map(|c| c.customer_id.as_str())
    }
    #[getter]
    fn product(&self) -> Option<&str> {
        self.claims().and_then(|c| c.product.as_deref())
    }
    #[getter]
    fn license_type(&self) -> Option<&str> {
        self.claims().map(|c| c.license_type.as_str())
    }
    #[getter]
    fn issuer(&self) -> Option<&str> {
        self.claims().and_then(|c| c.issuer.as_deref())
    }
    #[getter]
    fn issued_at(&self) -> Option<i64> {
        self.claims().map(|c| secs(c.issued_at))
    }
    #[getter]
    fn not_before(&self) -> Option<i64> {
        self.claims().and_then(|c| c.not_before.map(secs))
    }
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.claims().and_then(|c| c.expires_at.map(secs))
    }
    #[getter]
    fn entitlement_expires_at(&self) -> Option<i64> {
        self.claims()
            .and_then(|c| c.entitlement_expires_at.map(secs))
    }
    #[getter]
    fn grace_days(&self) -> Option<u32> {
        self.claims().and_then(|c| c.grace_days)
    }
    #[getter]
    fn machine_ids(&self) -> Option<Vec<String>> {
        self.claims().and_then(|c| {
            c.machine_ids
                .as_ref()
                .map(|ids| ids.iter().map(|m| m.as_str().to_owned()).collect())
        })
    }
    #[getter]
    fn license_key(&self) -> Option<&str> {
        self.claims()
            .and_then(|c| c.license_key.as_ref().map(|k| k.as_str()))
    }
    #[getter]
    fn owner_name(&self) -> Option<&str> {
        self.claims().and_then(|c| c.owner_name.as_deref())
    }
    #[getter]
    fn owner_email(&self) -> Option<&str> {
        self.claims().and_then(|c| c.owner_email.as_deref())
    }
    /// The revocation lists given, in order: (source, status, reason, kid, seq, issued_at in
    /// Unix seconds, entries).
    #[allow(clippy::type_complexity)]
    #[getter]
    fn lists(
        &self,
    ) -> Vec<(
        String,
        &'static str,
        String,
        Option<String>,
        Option<u64>,
        Option<i64>,
        Option<usize>,
    )> {
        self.report
            .revocation_lists
            .iter()
            .map(|l| {
                let issued_at = l
                    .issued_at
                    .as_deref()
                    .and_then(|t| UnixTime::parse_rfc3339(t).ok())
                    .map(secs);
                (
                    l.source.clone(),
                    l.status.as_str(),
                    l.reason.clone(),
                    l.kid.clone(),
                    l.seq,
                    issued_at,
                    l.entries,
                )
            })
            .collect()
    }
    #[getter]
    fn lists_enforced(&self) -> usize {
        self.report.lists_enforced
    }
    /// The report as `licet verify --json` prints it.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.report)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
    }
}

/// The options of one check, from the arguments the Python layer has already checked.
fn options(
    py: Python<'_>,
    at: Option<i64>,
    leeway: u32,
    clock_tolerance: u32,
    machine: Option<&str>,
    check_machine: bool,
) -> PyResult<VerifyOptions> {
    let now = match at {
        Some(secs) => UnixTime::from_secs(secs)
            .map_err(|e| licet_error(py, "OptionsError", format!("at: {e}"), None))?,
        None => UnixTime::now(),
    };
    let mut options = VerifyOptions::at(now)
        .with_leeway(leeway)
        .with_clock_tolerance(clock_tolerance);
    options.machine = match (machine, check_machine) {
        (Some(text), _) => MachineCheck::Machine(
            MachineId::parse(text)
                .map_err(|e| licet_error(py, "MachineIdError", e.to_string(), None))?,
        ),
        (None, true) => MachineCheck::ThisMachine,
        (None, false) => MachineCheck::NotChecked,
    };
    Ok(options)
}

/// Checks `license` with the revocation lists given (source name, bytes), without a state.
#[pyfunction]
#[pyo3(signature = (license, keys, lists, at, leeway, clock_tolerance, machine, check_machine, product))]
#[allow(clippy::too_many_arguments)]
fn check(
    py: Python<'_>,
    license: &[u8],
    keys: &PyTrustedKeys,
    lists: Vec<(String, Vec<u8>)>,
    at: Option<i64>,
    leeway: u32,
    clock_tolerance: u32,
    machine: Option<&str>,
    check_machine: bool,
    product: Option<String>,
) -> PyResult<PyReport> {
    let mut options = options(py, at, leeway, clock_tolerance, machine, check_machine)?;
    options.product = product;
    let keys = keys.snapshot();
    let report = py.detach(|| {
        let inputs: Vec<ListInput<'_>> = lists
            .iter()
            .map(|(source, bytes)| ListInput { source, bytes })
            .collect();
        check_license(license, &inputs, &keys, &options)
    });
    Ok(PyReport { report })
}

/// The stateful guard: a state directory, the keys (a snapshot taken when it opens) and settings.
#[pyclass(frozen, module = "licet._licet", name = "Guard")]
struct PyGuard {
    verifier: Arc<StatefulVerifier>,
}

fn state_error(py: Python<'_>, e: StateError) -> PyErr {
    let (class, path) = match &e {
        StateError::Io { path, .. } => ("StateIOError", Some(path)),
        StateError::Corrupt { path, .. } => ("StateCorruptError", Some(path)),
        StateError::NewerVersion { path, .. } => ("StateVersionError", Some(path)),
        StateError::Busy { path, .. } => ("StateBusyError", Some(path)),
        _ => ("StateError", None),
    };
    let path = path.map(|p| p.display().to_string());
    licet_error(py, class, e.to_string(), path)
}

#[pymethods]
impl PyGuard {
    #[new]
    fn new(
        py: Python<'_>,
        state_dir: PathBuf,
        keys: &PyTrustedKeys,
        clock_tolerance: u32,
        lock_timeout: f64,
    ) -> PyResult<Self> {
        let lock_timeout = Duration::try_from_secs_f64(lock_timeout).map_err(|_| {
            licet_error(
                py,
                "OptionsError",
                format!("lock_timeout must be a number of seconds, 0 or more; got {lock_timeout}"),
                None,
            )
        })?;
        let settings = StateSettings {
            clock_tolerance_secs: clock_tolerance,
            lock_timeout,
        };
        let keys = (*keys.snapshot()).clone();
        let verifier = py
            .detach(|| StatefulVerifier::open(state_dir, keys, settings))
            .map_err(|e| state_error(py, e))?;
        Ok(PyGuard {
            verifier: Arc::new(verifier),
        })
    }

    /// The state directory.
    #[getter]
    fn state_dir(&self) -> PathBuf {
        self.verifier.dir().to_owned()
    }

    /// Checks `license` with the lists given and every list the state kept, under the state's
    /// lock; records what it saw.
    #[pyo3(signature = (license, lists, at, leeway, machine, check_machine, product))]
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        py: Python<'_>,
        license: &[u8],
        lists: Vec<(String, Vec<u8>)>,
        at: Option<i64>,
        leeway: u32,
        machine: Option<&str>,
        check_machine: bool,
        product: Option<String>,
    ) -> PyResult<PyReport> {
        // The clock tolerance of a stateful check is the guard's (the state's clock guard
        // replaces the options' one).
        let mut options = options(
            py,
            at,
            leeway,
            DEFAULT_CLOCK_TOLERANCE_SECS,
            machine,
            check_machine,
        )?;
        options.product = product;
        let verifier = Arc::clone(&self.verifier);
        let report = py
            .detach(|| {
                let inputs: Vec<ListInput<'_>> = lists
                    .iter()
                    .map(|(source, bytes)| ListInput { source, bytes })
                    .collect();
                verifier.check(license, &inputs, &options)
            })
            .map_err(|e| state_error(py, e))?;
        Ok(PyReport { report })
    }
}

/// The contents of the file at `path`, `what` it is (`"key file"`) in messages: a regular file
/// only, opened without blocking (a FIFO is refused, never waited on), of at most `limit` bytes
/// (`/dev/zero` cannot fill the memory). Else the `licet._errors` exception `class`, whose message
/// names the file and the problem and whose `path` is the file. Read without holding the GIL.
fn read_bounded<'py>(
    py: Python<'py>,
    path: &Path,
    what: &str,
    limit: u64,
    class: &'static str,
) -> PyResult<Bound<'py, PyBytes>> {
    let shown = path.display().to_string();
    let read = py.detach(|| -> Result<Vec<u8>, String> {
        let cannot = |e: std::io::Error| format!("the {what} {shown} could not be read: {e}");
        read_regular_capped(path, limit).map_err(|e| match e {
            CappedReadError::TooLarge { limit } => {
                format!("the {what} {shown} is larger than {limit} bytes; refusing to read it")
            }
            CappedReadError::Io(e) => cannot(e),
            other => cannot(std::io::Error::other(other.to_string())),
        })
    });
    match read {
        Ok(bytes) => Ok(PyBytes::new(py, &bytes)),
        Err(message) => Err(licet_error(py, class, message, Some(shown))),
    }
}

/// The contents of a key file (a regular file of at most 1 MiB), or `KeyFileError`.
#[pyfunction]
fn read_key_file(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyBytes>> {
    read_bounded(py, &path, "key file", MAX_KEY_FILE_BYTES, "KeyFileError")
}

/// The contents of a revocation list file (a regular file of at most
/// `MAX_REVOCATION_LIST_BYTES`), or `ListFileError`.
#[pyfunction]
fn read_list_file(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyBytes>> {
    read_bounded(
        py,
        &path,
        "revocation list",
        licet_verifier::MAX_REVOCATION_LIST_BYTES as u64,
        "ListFileError",
    )
}

/// This machine's id (64 lowercase hex characters).
#[pyfunction]
fn machine_id(py: Python<'_>) -> PyResult<String> {
    py.detach(MachineId::this_machine)
        .map(|id| id.as_str().to_owned())
        .map_err(|e| licet_error(py, "MachineIdError", e.to_string(), None))
}

/// The native module.
#[pymodule]
#[pyo3(name = "_licet")]
fn licet_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_CLOCK_TOLERANCE", DEFAULT_CLOCK_TOLERANCE_SECS)?;
    m.add(
        "DEFAULT_LOCK_TIMEOUT",
        StateSettings::default().lock_timeout.as_secs_f64(),
    )?;
    m.add(
        "MAX_LICENSE_FILE_BYTES",
        licet_verifier::MAX_LICENSE_FILE_BYTES,
    )?;
    m.add("MAX_UNIX_TIME", licet_verifier::MAX_UNIX_TIME)?;
    m.add("MAX_KEY_FILE_BYTES", MAX_KEY_FILE_BYTES)?;
    m.add(
        "MAX_REVOCATION_LIST_BYTES",
        licet_verifier::MAX_REVOCATION_LIST_BYTES,
    )?;
    m.add_class::<PyTrustedKeys>()?;
    m.add_class::<PyReport>()?;
    m.add_class::<PyGuard>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(machine_id, m)?)?;
    m.add_function(wrap_pyfunction!(read_key_file, m)?)?;
    m.add_function(wrap_pyfunction!(read_list_file, m)?)?;
    Ok(())
}
