//! The one place where errors become Python exceptions: `PatternError` for the engine's errors
//! (byte spans become `str` indices here), `RulesError` for rules `scan` cannot use, and
//! `ValueError`/`TypeError` for a metric transformation whose shape core's serde type refuses.

use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use trailmatch::{Error, SetError};
use trailmatch_cloudtrail::rules::SourceLocation;

use crate::de::DeError;

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

/// A metric transformation dict that core's `MetricTransformation` does not deserialise from:
/// an unknown or missing key is a `ValueError`, a value of the wrong type a `TypeError`.
pub(crate) fn transformation_error(error: DeError) -> PyErr {
    match error {
        DeError::UnknownKey { key, expected } => PyValueError::new_err(format!(
            "unknown metric transformation key '{key}'; the keys are {}",
            expected.join(", ")
        )),
        DeError::MissingKey(key) => {
            PyValueError::new_err(format!("the metric transformation lacks '{key}'"))
        }
        DeError::Type { path, found, .. } if path.is_empty() => {
            PyTypeError::new_err(format!("a metric transformation is a dict, not {found}"))
        }
        DeError::Type {
            path,
            expected,
            found,
        } => PyTypeError::new_err(format!(
            "metric transformation '{}' takes {expected}, not {found}",
            path.join(".")
        )),
        DeError::Message(message) => {
            PyValueError::new_err(format!("invalid metric transformation: {message}"))
        }
        DeError::Python(error) => error,
    }
}
