//! The one place where errors become Python exceptions: `PatternError` for the engine's errors
//! (byte spans become `str` indices here), `RulesError` for rules `scan` cannot use, and
//! `ValueError`/`TypeError` for a metric transformation whose shape core's serde type refuses.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyMapping, PyString};
use pythonize::PythonizeError;
use serde_path_to_error::{Path, Segment};
use trailmatch::{Error, SetError};
use trailmatch_cloudtrail::rules::SourceLocation;

use crate::convert::type_name;

create_exception!(
    trailmatch,
    PatternError,
    PyValueError,
    "A filter pattern, metric transformation or TestMetricFilter request that trailmatch rejects.\n\n\
     Attributes: code (stable kebab-case identifier), message, help (or None), origin (the request \
     member: 'filterPattern', 'metricValue', ...), text (the text the error points into), start and \
     end (str indices into text), line and column (1-based), index and name (the pattern's position \
     and name in a PatternSet, else None). str() is the rendering with a caret under the fault."
);

create_exception!(
    trailmatch,
    RulesError,
    PyValueError,
    "Rules that trailmatch.scan cannot use: an unreadable or invalid rules file, template or \
     Terraform file, or an invalid metric filter or alarm in one.\n\n\
     Attributes: code (stable kebab-case identifier), message, file, line and column (1-based; 0 \
     when unknown). str() is the rendering."
);

/// The number of characters (Python `str` indices) before byte `at` of `text`.
pub(crate) fn char_index(text: &str, at: usize) -> usize {
    text.get(..at).map_or(at, |before| before.chars().count())
}

/// Maps a core error to a `PatternError`. `rendered` is `str()` of the exception; `index` and
/// `name` say which pattern of a set failed.
fn pattern_error(
    py: Python<'_>,
    error: &Error,
    rendered: String,
    index: Option<usize>,
    name: Option<Bound<'_, PyAny>>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exception = py.get_type::<PatternError>().call1((rendered,))?;
        let text = error.text();
        let span = error.span();
        let (line, column) = error.line_column();
        exception.setattr("code", error.code())?;
        exception.setattr("message", error.message())?;
        exception.setattr("help", error.help())?;
        exception.setattr("origin", error.origin().as_str())?;
        exception.setattr("text", text)?;
        exception.setattr("start", char_index(text, span.start))?;
        exception.setattr("end", char_index(text, span.end))?;
        exception.setattr("line", line)?;
        exception.setattr("column", column)?;
        exception.setattr("index", index)?;
        exception.setattr("name", name)?;
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|failure| failure)
}

/// A pattern, transformation or request error of the engine.
pub(crate) fn core_error(py: Python<'_>, error: &Error) -> PyErr {
    pattern_error(py, error, error.to_string(), None, None)
}

/// A set that did not compile; `names` are the set's names, when it was built from a dict.
pub(crate) fn set_error(py: Python<'_>, error: &SetError, names: Option<&[Py<PyString>]>) -> PyErr {
    let name = error
        .index
        .and_then(|i| names?.get(i))
        .map(|n| n.bind(py).clone().into_any());
    pattern_error(py, &error.error, error.to_string(), error.index, name)
}

/// Rules that `scan` cannot use.
pub(crate) fn rules_error(
    py: Python<'_>,
    text: String,
    code: &str,
    location: Option<&SourceLocation>,
) -> PyErr {
    let err = RulesError::new_err(text.clone());
    let value = err.value(py);
    let (file, line, column) = location.map_or((String::new(), 0, 0), |l| {
        (l.file.clone(), l.line, l.column)
    });
    let set = || -> PyResult<()> {
        value.setattr("code", code)?;
        value.setattr("message", text)?;
        value.setattr("file", file)?;
        value.setattr("line", line)?;
        value.setattr("column", column)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// A metric transformation that core's `MetricTransformation` does not deserialise from, as
/// pythonize and `serde_path_to_error` report it: serde's own refusals (an unknown or missing key)
/// are a `ValueError`, a value or key of the wrong type a `TypeError`, each naming the key at
/// fault; any other exception raised while reading the object passes through as it is.
pub(crate) fn transformation_error(
    value: &Bound<'_, PyAny>,
    error: serde_path_to_error::Error<PythonizeError>,
) -> PyErr {
    let py = value.py();
    let path = error.path().clone();
    let error = PyErr::from(error.into_inner());
    let kind = error.get_type(py);
    // pythonize raises serde's own messages (`de::Error::custom`) as a bare `Exception`.
    let value_error =
        kind.is(py.get_type::<PyException>()) || error.is_instance_of::<PyValueError>(py);
    if !value_error && !error.is_instance_of::<PyTypeError>(py) {
        return error;
    }
    let detail = error
        .value(py)
        .str()
        .map_or_else(|_| "?".to_owned(), |s| s.to_string());
    let message = if path.iter().next().is_none() {
        if value_error {
            format!("metric transformation: {detail}")
        } else {
            format!(
                "a metric transformation is a dict, not {}",
                type_name(value)
            )
        }
    } else {
        let is_key = matches!(path.iter().next_back(), Some(Segment::Unknown));
        let what = if is_key { "key " } else { "" };
        format!(
            "metric transformation {what}'{}': {detail}",
            shown_path(value, &path)
        )
    };
    if value_error {
        PyValueError::new_err(message)
    } else {
        PyTypeError::new_err(message)
    }
}

/// `path` with its keys joined by dots. serde knows a key only once it is a string, so a key
/// of another type (serde's `?`) is found again in the object: the first of its map's keys that
/// is not a `str`, which is where pythonize stopped.
fn shown_path(value: &Bound<'_, PyAny>, path: &Path) -> String {
    let mut at = Some(value.clone());
    let mut parts = Vec::new();
    for segment in path {
        let (part, next) = match segment {
            Segment::Map { key } => (key.clone(), at.and_then(|m| m.get_item(key).ok())),
            Segment::Seq { index } => (index.to_string(), at.and_then(|s| s.get_item(*index).ok())),
            Segment::Enum { variant } => (variant.clone(), None),
            Segment::Unknown => (
                non_str_key(at.as_ref()).unwrap_or_else(|| "?".to_owned()),
                None,
            ),
        };
        parts.push(part);
        at = next;
    }
    parts.join(".")
}

/// The first key of `map` that is not a `str`, as `str()` shows it.
fn non_str_key(map: Option<&Bound<'_, PyAny>>) -> Option<String> {
    let keys = map?.cast::<PyMapping>().ok()?.keys().ok()?;
    let key = keys.iter().find(|key| !key.is_instance_of::<PyString>())?;
    key.str().ok().map(|s| s.to_string())
}
