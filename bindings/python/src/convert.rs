//! Events in, dicts out: the conversions every class shares.
//!
//! Events are `str`, `bytes` (UTF-8) or `dict` (serialised once with `json.dumps`, compact
//! separators); see `Event`.

use std::collections::BTreeMap;

use pyo3::exceptions::{PyTypeError, PyUnicodeDecodeError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};
use trailmatch::Extracted;

/// An event's text, held without the interpreter so that matching can release it.
pub(crate) enum Event {
    /// A `str` (or the JSON text of a `dict`), borrowed from Python.
    Str(PyBackedStr),
    /// The text of a `bytes` event.
    Owned(String),
}

impl Event {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Event::Str(s) => s,
            Event::Owned(s) => s,
        }
    }
}

/// `functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)`.
static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn dumps(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    let dumps = DUMPS.get_or_try_init(py, || {
        let json_dumps = py.import("json")?.getattr("dumps")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("separators", (",", ":"))?;
        kwargs.set_item("ensure_ascii", false)?;
        let partial = py.import("functools")?.getattr("partial")?;
        PyResult::Ok(partial.call((json_dumps,), Some(&kwargs))?.unbind())
    })?;
    Ok(dumps.bind(py))
}

/// Converts one event: `str`, UTF-8 `bytes`, or a `dict` serialised as compact JSON.
pub(crate) fn event(value: &Bound<'_, PyAny>) -> PyResult<Event> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Event::Str(PyBackedStr::try_from(text.clone())?));
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        return match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Event::Owned(text.to_owned())),
            Err(e) => Err(PyUnicodeDecodeError::new_err_from_utf8(py, bytes, e)),
        };
    }
    if value.is_instance_of::<PyDict>() {
        let text = dumps(py)?.call1((value,))?.cast_into::<PyString>()?;
        return Ok(Event::Str(PyBackedStr::try_from(text)?));
    }
    Err(PyTypeError::new_err(format!(
        "an event is a str, bytes (UTF-8) or dict, not {}",
        type_name(value)
    )))
}

/// The name of `value`'s type, for messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// Refuses a lone event where an iterable of them is expected (iterating it would give
/// characters, bytes or keys).
pub(crate) fn refuse_single(value: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    let single = value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyDict>();
    if single {
        return Err(PyTypeError::new_err(format!(
            "{what} takes an iterable of events, not one {}",
            type_name(value)
        )));
    }
    Ok(())
}

/// Extracted values (TestMetricFilter's `extractedValues`) as a dict, in event order.
pub(crate) fn extracted_dict<'py>(
    py: Python<'py>,
    values: &Extracted,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in values.iter() {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

/// A map of strings as a dict.
pub(crate) fn string_map<'py>(
    py: Python<'py>,
    map: &BTreeMap<String, String>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

/// A serialisable core value (a metric transformation, a TestMetricFilter response) as Python
/// objects: structs and maps become dicts in serde's order (the AWS member names stay core's),
/// sequences lists, integers `int` and floats `float`.
pub(crate) fn to_python<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}
