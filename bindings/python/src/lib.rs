//! `licet._licet`: the native module of the Python binding (PyO3, abi3 for CPython >= 3.9).
//!
//! Private: the public API is the pure-Python package `licet` (bindings/python/python/licet),
//! which wraps these classes. The arguments of a check (`licet.verify`, `licet.check`,
//! `Guard.check`) come here as the caller gave them and are checked and converted here, in the
//! order of the Python signature and with the package's exception types and messages, so the
//! common call makes no Python-level conversions; the package converts only what it reads from
//! files and the revocation lists of a check (`licet._lists`, called back from here).
//! Everything here is thread-safe (frozen classes; the trusted keys behind a lock, copied on
//! write), and every verification runs detached from the interpreter (`Python::detach`), so other
//! Python threads run meanwhile. Usage errors raise the exception classes of `licet._errors`; a
//! verdict is never an exception. A panic becomes PyO3's `PanicException`, never an abort.

use licet_verifier::lease::LeasePart;
use licet_verifier::state::{read_regular_capped, CappedReadError, StateError};
use licet_verifier::MAX_KEY_FILE_BYTES;
use licet_verifier::{
    check_lease as check_lease_native, check_license, CheckReport, LeaseCheckReport, ListInput,
    MachineCheck, MachineId, StateSettings, StatefulVerifier, Status, UnixTime, VerifyOptions,
    DEFAULT_CLOCK_TOLERANCE_SECS,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDateTime, PyDelta, PyDict, PyInt, PyList, PyMemoryView,
    PyString, PyTuple, PyType,
};
use pyo3::{intern, IntoPyObjectExt};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};
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

    /// Adds the new key a key rollover statement introduces, when a key of the set signed it;
    /// returns whether the key was in the set already. Nothing changes on failure.
    #[pyo3(signature = (data, source = None))]
    fn add_rollover(&self, py: Python<'_>, data: &[u8], source: Option<String>) -> PyResult<bool> {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        // On a copy: a refused statement leaves the set as it was.
        let mut set = licet_verifier::TrustedKeys::clone(&keys);
        let accepted = set.accept_rollover(data).map_err(|e| {
            let what = source.as_deref().unwrap_or("the rollover statement");
            licet_error(
                py,
                "KeyFileError",
                format!("{what} was refused: {e}"),
                source.clone(),
            )
        })?;
        *keys = Arc::new(set);
        Ok(accepted.already_trusted)
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
    /// The claims as JSON (`LicenseClaims::to_json`), made on the first read of `claims` or
    /// `features`; `None` inside unless the signature verified.
    claims_json: OnceLock<Option<Map<String, Value>>>,
}

impl PyReport {
    fn new(report: CheckReport) -> Self {
        PyReport {
            report,
            claims_json: OnceLock::new(),
        }
    }

    fn verified_claims(&self) -> Option<&licet_verifier::LicenseClaims> {
        self.report.license.verified_license().map(|v| v.claims())
    }

    fn claims_map(&self) -> Option<&Map<String, Value>> {
        self.claims_json
            .get_or_init(|| self.verified_claims().map(|c| c.to_json()))
            .as_ref()
    }
}

/// `value` as Python objects, as `json.loads` of its JSON text makes them (dicts in the map's
/// order, ints, floats, str, lists, None, bool), each one new: what a caller changes in them
/// changes nothing in the report.
fn json_to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)
            } else {
                // Neither an i64 nor a u64: a float (serde_json keeps no other numbers).
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)
            }
        }
        Value::String(s) => Ok(PyString::new(py, s).into_any()),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_python(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(map) => json_object_to_python(py, map).map(Bound::into_any),
    }
}

fn json_object_to_python<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, value) in map {
        dict.set_item(PyString::new(py, name), json_to_python(py, value)?)?;
    }
    Ok(dict)
}

/// The status name as a Python str made once per status (no new string, and a cached hash, for
/// the package's lookup of its `Status` member).
fn status_name(py: Python<'_>, status: Status) -> Bound<'_, PyString> {
    static NAMES: PyOnceLock<Vec<(Status, Py<PyString>)>> = PyOnceLock::new();
    let names = NAMES.get_or_init(py, || {
        [
            Status::Active,
            Status::InGrace,
            Status::Expired,
            Status::NotYetValid,
            Status::MachineMismatch,
            Status::WrongProduct,
            Status::BadSignature,
            Status::UnknownKey,
            Status::UnsupportedAlgorithm,
            Status::Malformed,
            Status::Revoked,
            Status::ClockRollback,
            Status::WrongPool,
            Status::LeaseTooLong,
            Status::KeyRetired,
            Status::KeyRevoked,
        ]
        .into_iter()
        .map(|s| (s, PyString::intern(py, s.as_str()).unbind()))
        .collect()
    });
    match names.iter().find(|(s, _)| *s == status) {
        Some((_, name)) => name.bind(py).clone(),
        None => PyString::new(py, status.as_str()),
    }
}

fn secs(t: UnixTime) -> i64 {
    t.as_secs()
}

#[pymethods]
impl PyReport {
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        status_name(py, self.report.license.status)
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
    /// The full claim set as a new dict (JSON names and values); None unless the signature
    /// verified.
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.claims_map()
            .map(|map| json_object_to_python(py, map))
            .transpose()
    }
    /// The claim `features` as a new object (a dict); None unless the signature verified and the
    /// license has features.
    fn features<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.claims_map()
            .and_then(|map| map.get("features"))
            .map(|features| json_to_python(py, features))
            .transpose()
    }
    #[getter]
    fn license_id(&self) -> Option<&str> {
        self.verified_claims().map(|c| c.license_id.as_str())
    }
    #[getter]
    fn customer_id(&self) -> Option<&str> {
        self.verified_claims().map(|c| c.customer_id.as_str())
    }
    #[getter]
    fn product(&self) -> Option<&str> {
        self.verified_claims().and_then(|c| c.product.as_deref())
    }
    #[getter]
    fn license_type(&self) -> Option<&str> {
        self.verified_claims().map(|c| c.license_type.as_str())
    }
    #[getter]
    fn issuer(&self) -> Option<&str> {
        self.verified_claims().and_then(|c| c.issuer.as_deref())
    }
    #[getter]
    fn issued_at(&self) -> Option<i64> {
        self.verified_claims().map(|c| secs(c.issued_at))
    }
    #[getter]
    fn not_before(&self) -> Option<i64> {
        self.verified_claims().and_then(|c| c.not_before.map(secs))
    }
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.verified_claims().and_then(|c| c.expires_at.map(secs))
    }
    #[getter]
    fn entitlement_expires_at(&self) -> Option<i64> {
        self.verified_claims()
            .and_then(|c| c.entitlement_expires_at.map(secs))
    }
    #[getter]
    fn grace_days(&self) -> Option<u32> {
        self.verified_claims().and_then(|c| c.grace_days)
    }
    #[getter]
    fn machine_ids(&self) -> Option<Vec<String>> {
        self.verified_claims().and_then(|c| {
            c.machine_ids
                .as_ref()
                .map(|ids| ids.iter().map(|m| m.as_str().to_owned()).collect())
        })
    }
    #[getter]
    fn license_key(&self) -> Option<&str> {
        self.verified_claims()
            .and_then(|c| c.license_key.as_ref().map(|k| k.as_str()))
    }
    #[getter]
    fn owner_name(&self) -> Option<&str> {
        self.verified_claims().and_then(|c| c.owner_name.as_deref())
    }
    #[getter]
    fn owner_email(&self) -> Option<&str> {
        self.verified_claims()
            .and_then(|c| c.owner_email.as_deref())
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

/// The verdict on a floating-seat lease and on the pool license it is a seat of.
#[pyclass(frozen, module = "licet._licet", name = "LeaseReport")]
struct PyLeaseReport {
    report: LeaseCheckReport,
}

#[pymethods]
impl PyLeaseReport {
    /// The pool license's status when the pool failed, else the lease's.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        status_name(py, self.report.lease.status)
    }
    #[getter]
    fn valid(&self) -> bool {
        self.report.lease.valid
    }
    #[getter]
    fn passed(&self) -> bool {
        self.report.passed()
    }
    #[getter]
    fn reason(&self) -> &str {
        &self.report.lease.reason
    }
    /// `"pool"` or `"lease"`: the half that failed; `None` when valid.
    #[getter]
    fn part(&self) -> Option<&'static str> {
        self.report.lease.part.map(|part| match part {
            LeasePart::Pool => "pool",
            LeasePart::Lease => "lease",
        })
    }
    #[getter]
    fn lease_id(&self) -> Option<&str> {
        self.report
            .lease
            .lease_claims()
            .map(|c| c.lease_id.as_str())
    }
    #[getter]
    fn machine_id(&self) -> Option<&str> {
        self.report
            .lease
            .lease_claims()
            .map(|c| c.machine_id.as_str())
    }
    #[getter]
    fn pool_license_id(&self) -> Option<&str> {
        self.report
            .lease
            .lease_claims()
            .map(|c| c.pool_license_id.as_str())
    }
    #[getter]
    fn issued_at(&self) -> Option<i64> {
        self.report.lease.lease_claims().map(|c| secs(c.issued_at))
    }
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.report.lease.lease_claims().map(|c| secs(c.expires_at))
    }
    /// The pool license's own verdict, with each revocation list's, as a license report.
    fn pool(&self) -> PyReport {
        PyReport::new(CheckReport {
            license: self.report.lease.pool.clone(),
            revocation_lists: self.report.revocation_lists.clone(),
            lists_enforced: self.report.lists_enforced,
        })
    }
    /// The report as `licet verify-lease --json` prints it.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.report)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
    }
}

/// `type(value).__name__`, for messages.
fn type_name(value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(value.get_type().name()?.to_cow()?.into_owned())
}

/// `value` as an f-string shows it (`format(value, "")`), for messages.
fn formatted(value: &Bound<'_, PyAny>) -> PyResult<String> {
    static FORMAT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let format = FORMAT.import(value.py(), "builtins", "format")?;
    Ok(format.call1((value, ""))?.str()?.to_cow()?.into_owned())
}

fn options_error(py: Python<'_>, message: String) -> PyErr {
    licet_error(py, "OptionsError", message, None)
}

/// The contents of a license (`license`): bytes as given, a str encoded as UTF-8, a bytearray or
/// memoryview copied; else `TypeError`.
fn license_bytes<'py>(license: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    contents(license, "license")
}

/// The contents of a file given as bytes or text (the argument `what`), as [`license_bytes`].
fn contents<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.clone());
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text.encode_utf8();
    }
    if value.is_instance_of::<PyByteArray>() || value.is_instance_of::<PyMemoryView>() {
        let py = value.py();
        return Ok(py.get_type::<PyBytes>().call1((value,))?.cast_into()?);
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes or str (the contents), not {}",
        type_name(value)?
    )))
}

/// The revocation lists of a check (`lists`) as (source, contents): none for `None` or an empty
/// tuple or list, else what the package's `licet._lists` makes of them (it reads the files).
fn list_inputs(lists: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Vec<u8>)>> {
    if lists.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(tuple) = lists.cast_exact::<PyTuple>() {
        if tuple.is_empty() {
            return Ok(Vec::new());
        }
    }
    if let Ok(list) = lists.cast_exact::<PyList>() {
        if list.is_empty() {
            return Ok(Vec::new());
        }
    }
    let py = lists.py();
    py.import(intern!(py, "licet"))?
        .getattr(intern!(py, "_lists"))?
        .call1((lists,))?
        .extract()
}

/// The evaluation time (`at`, a timezone-aware datetime or None for now) in Unix seconds, rounded
/// down (a license's times are whole seconds).
fn evaluation_time(at: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if at.is_none() {
        return Ok(None);
    }
    let py = at.py();
    if !at.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!(
            "at must be a timezone-aware datetime or None, not {}",
            type_name(at)?
        )));
    }
    let isoformat = || formatted(&at.call_method0(intern!(py, "isoformat"))?);
    if at.getattr(intern!(py, "tzinfo"))?.is_none()
        || at.call_method0(intern!(py, "utcoffset"))?.is_none()
    {
        return Err(options_error(
            py,
            format!(
                "at must be a timezone-aware datetime; {} is naive, so the instant it names is \
                 unknown: give tzinfo, e.g. datetime(2026, 6, 1, tzinfo=timezone.utc)",
                isoformat()?
            ),
        ));
    }
    static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let epoch = EPOCH.get_or_try_init(py, || {
        let datetime = py.import("datetime")?;
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", utc)?;
        datetime
            .getattr("datetime")?
            .call((1970, 1, 1), Some(&kwargs))
            .map(Bound::unbind)
    })?;
    let secs: f64 = at
        .sub(epoch.bind(py))?
        .call_method0(intern!(py, "total_seconds"))?
        .extract()?;
    let secs = secs.floor();
    if !(0.0..=licet_verifier::MAX_UNIX_TIME as f64).contains(&secs) {
        return Err(options_error(
            py,
            format!(
                "at must lie between 1970-01-01 and 9999-12-31 (UTC); got {}",
                isoformat()?
            ),
        ));
    }
    // Whole and in range, so exact.
    Ok(Some(secs as i64))
}

/// A number of seconds (`name`: an int or a timedelta of whole seconds), 0 to 2**32-1.
fn seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<u32> {
    let py = value.py();
    let out_of_range = |secs: String| {
        options_error(
            py,
            format!(
                "{name} must be between 0 and {} seconds; got {secs}",
                u32::MAX
            ),
        )
    };
    if value.is_exact_instance_of::<PyInt>() {
        return match value.extract::<u32>() {
            Ok(secs) => Ok(secs),
            Err(_) => Err(out_of_range(formatted(value)?)),
        };
    }
    if value.is_instance_of::<PyDelta>() {
        let total: f64 = value
            .call_method0(intern!(py, "total_seconds"))?
            .extract()?;
        if total != total.trunc() {
            return Err(options_error(
                py,
                format!("{name} must be whole seconds; got {}", value.repr()?),
            ));
        }
        // Whole, and within a timedelta's range (under 2**47 seconds): exact.
        let secs = total as i64;
        return u32::try_from(secs).map_err(|_| out_of_range(secs.to_string()));
    }
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int (seconds) or a timedelta, not {}",
            type_name(value)?
        )));
    }
    // A subclass of int.
    match value.extract::<u32>() {
        Ok(secs) => Ok(secs),
        Err(_) => Err(out_of_range(formatted(value)?)),
    }
}

/// The machine to check (`machine`, a str or None) and whether to check one (`check_machine`, a
/// bool); the machine id itself is parsed later, by [`options`].
fn machine_arguments<'py>(
    machine: &Bound<'py, PyAny>,
    check_machine: &Bound<'py, PyAny>,
) -> PyResult<(Option<Bound<'py, PyString>>, bool)> {
    let py = machine.py();
    let Ok(check_machine) = check_machine.cast::<PyBool>() else {
        return Err(PyTypeError::new_err(format!(
            "check_machine must be a bool, not {}",
            type_name(check_machine)?
        )));
    };
    let check_machine = check_machine.is_true();
    if machine.is_none() {
        return Ok((None, check_machine));
    }
    let Ok(machine) = machine.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "machine must be a str (64 hex characters) or None, not {}",
            type_name(machine)?
        )));
    };
    if !check_machine {
        return Err(options_error(
            py,
            "machine is given but check_machine is False: give a machine id to check against, \
             or check_machine=False to check none, not both"
                .to_owned(),
        ));
    }
    Ok((Some(machine.clone()), check_machine))
}

/// The product a license must be issued for (`product`, a str or None).
fn product_argument<'py>(product: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyString>>> {
    if product.is_none() {
        return Ok(None);
    }
    match product.cast::<PyString>() {
        Ok(product) => Ok(Some(product.clone())),
        Err(_) => Err(PyTypeError::new_err(format!(
            "product must be a str or None, not {}",
            type_name(product)?
        ))),
    }
}

/// The arguments of a check, converted.
struct CheckArguments<'py> {
    license: Bound<'py, PyBytes>,
    lists: Vec<(String, Vec<u8>)>,
    options: VerifyOptions,
}

impl CheckArguments<'_> {
    /// Checks `self.license` against `keys` with the lists, detached from the interpreter.
    fn check(&self, py: Python<'_>, keys: &licet_verifier::TrustedKeys) -> CheckReport {
        let (license, lists, options) = (self.license.as_bytes(), &self.lists, &self.options);
        py.detach(|| {
            let inputs: Vec<ListInput<'_>> = lists
                .iter()
                .map(|(source, bytes)| ListInput { source, bytes })
                .collect();
            check_license(license, &inputs, keys, options)
        })
    }
}

/// The options of one check. `machine` and `product` are read (a str that is not valid Unicode
/// raises `UnicodeEncodeError`) and the machine id is parsed only after every other argument was
/// checked, as before.
fn options(
    py: Python<'_>,
    at: Option<i64>,
    leeway: u32,
    clock_tolerance: u32,
    (machine, check_machine): (Option<Bound<'_, PyString>>, bool),
    product: Option<Bound<'_, PyString>>,
) -> PyResult<VerifyOptions> {
    let machine = machine.as_ref().map(|m| m.to_cow()).transpose()?;
    let product = product.as_ref().map(|p| p.to_cow()).transpose()?;
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
            MachineId::parse(&text)
                .map_err(|e| licet_error(py, "MachineIdError", e.to_string(), None))?,
        ),
        (None, true) => MachineCheck::ThisMachine,
        (None, false) => MachineCheck::NotChecked,
    };
    options.product = product.map(|p| p.into_owned());
    Ok(options)
}

/// `licet.check` (and `licet.verify`, with no lists): checks `license` against `keys` (a
/// `licet.TrustedKeys`, which the caller has checked it is) with the revocation lists given,
/// without a state. Every argument as the caller gave it, checked here in this order.
#[pyfunction]
#[pyo3(signature = (license, keys, lists, at, leeway, clock_tolerance, machine, check_machine, product))]
#[allow(clippy::too_many_arguments)]
fn check<'py>(
    py: Python<'py>,
    license: &Bound<'py, PyAny>,
    keys: &Bound<'py, PyAny>,
    lists: &Bound<'py, PyAny>,
    at: &Bound<'py, PyAny>,
    leeway: &Bound<'py, PyAny>,
    clock_tolerance: &Bound<'py, PyAny>,
    machine: &Bound<'py, PyAny>,
    check_machine: &Bound<'py, PyAny>,
    product: &Bound<'py, PyAny>,
) -> PyResult<PyReport> {
    let license = license_bytes(license)?;
    let keys = keys.getattr(intern!(py, "_native"))?;
    let lists = list_inputs(lists)?;
    let at = evaluation_time(at)?;
    let leeway = seconds(leeway, "leeway")?;
    let clock_tolerance = seconds(clock_tolerance, "clock_tolerance")?;
    let machine = machine_arguments(machine, check_machine)?;
    let product = product_argument(product)?;
    let keys = keys.cast::<PyTrustedKeys>()?.get().snapshot();
    let arguments = CheckArguments {
        license,
        lists,
        options: options(py, at, leeway, clock_tolerance, machine, product)?,
    };
    Ok(PyReport::new(arguments.check(py, &keys)))
}

/// `licet.check_lease` (and `licet.verify_lease`, with no lists): checks a lease token against
/// the pool license it is a seat of and `keys`, with the revocation lists given, without a
/// state. Every argument as the caller gave it, checked here in this order.
#[pyfunction]
#[pyo3(signature = (lease, pool, keys, lists, at, leeway, clock_tolerance, machine, check_machine))]
#[allow(clippy::too_many_arguments)]
fn check_lease<'py>(
    py: Python<'py>,
    lease: &Bound<'py, PyAny>,
    pool: &Bound<'py, PyAny>,
    keys: &Bound<'py, PyAny>,
    lists: &Bound<'py, PyAny>,
    at: &Bound<'py, PyAny>,
    leeway: &Bound<'py, PyAny>,
    clock_tolerance: &Bound<'py, PyAny>,
    machine: &Bound<'py, PyAny>,
    check_machine: &Bound<'py, PyAny>,
) -> PyResult<PyLeaseReport> {
    let lease = contents(lease, "lease")?;
    let pool = contents(pool, "pool")?;
    let keys = keys.getattr(intern!(py, "_native"))?;
    let lists = list_inputs(lists)?;
    let at = evaluation_time(at)?;
    let leeway = seconds(leeway, "leeway")?;
    let clock_tolerance = seconds(clock_tolerance, "clock_tolerance")?;
    let machine = machine_arguments(machine, check_machine)?;
    let keys = keys.cast::<PyTrustedKeys>()?.get().snapshot();
    let options = options(py, at, leeway, clock_tolerance, machine, None)?;
    let (lease, pool) = (lease.as_bytes(), pool.as_bytes());
    let report = py.detach(|| {
        let inputs: Vec<ListInput<'_>> = lists
            .iter()
            .map(|(source, bytes)| ListInput { source, bytes })
            .collect();
        check_lease_native(lease, pool, &inputs, &keys, &options)
    });
    Ok(PyLeaseReport { report })
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
    /// Opens the state directory `state_dir` (a str or bytes path) with the native keys `keys`;
    /// `clock_tolerance` as the caller gave it (seconds or a timedelta), checked first.
    #[new]
    fn new(
        py: Python<'_>,
        state_dir: &Bound<'_, PyAny>,
        keys: &Bound<'_, PyAny>,
        clock_tolerance: &Bound<'_, PyAny>,
        lock_timeout: f64,
    ) -> PyResult<Self> {
        let clock_tolerance = seconds(clock_tolerance, "clock_tolerance")?;
        let state_dir: PathBuf = state_dir.extract()?;
        let keys = keys.cast::<PyTrustedKeys>()?.get().snapshot();
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
        let keys = (*keys).clone();
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
    /// lock; records what it saw. Every argument as the caller gave it, checked here in this
    /// order (as for `check`).
    #[pyo3(signature = (license, lists, at, leeway, machine, check_machine, product))]
    #[allow(clippy::too_many_arguments)]
    fn check<'py>(
        &self,
        py: Python<'py>,
        license: &Bound<'py, PyAny>,
        lists: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
        leeway: &Bound<'py, PyAny>,
        machine: &Bound<'py, PyAny>,
        check_machine: &Bound<'py, PyAny>,
        product: &Bound<'py, PyAny>,
    ) -> PyResult<PyReport> {
        let license = license_bytes(license)?;
        let lists = list_inputs(lists)?;
        let at = evaluation_time(at)?;
        let leeway = seconds(leeway, "leeway")?;
        let machine = machine_arguments(machine, check_machine)?;
        let product = product_argument(product)?;
        // The clock tolerance of a stateful check is the guard's (the state's clock guard
        // replaces the options' one).
        let options = options(
            py,
            at,
            leeway,
            DEFAULT_CLOCK_TOLERANCE_SECS,
            machine,
            product,
        )?;
        let license = license.as_bytes();
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
        Ok(PyReport::new(report))
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
    m.add_class::<PyLeaseReport>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(check_lease, m)?)?;
    m.add_function(wrap_pyfunction!(machine_id, m)?)?;
    m.add_function(wrap_pyfunction!(read_key_file, m)?)?;
    m.add_function(wrap_pyfunction!(read_list_file, m)?)?;
    Ok(())
}
