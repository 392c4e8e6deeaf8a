//! `EventPattern` and `test_event_pattern`: EventBridge event patterns, wrapping the core types.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use trailmatch::EventPattern;

use crate::convert;
use crate::error::core_error;

/// A compiled EventBridge event pattern. `str()` is the pattern as written.
#[pyclass(name = "EventPattern", module = "trailmatch", frozen)]
pub(crate) struct PyEventPattern {
    inner: EventPattern,
}

#[pymethods]
impl PyEventPattern {
    #[new]
    fn new(py: Python<'_>, pattern: &str) -> PyResult<Self> {
        EventPattern::new(pattern)
            .map(|inner| PyEventPattern { inner })
            .map_err(|e| core_error(py, &e))
    }

    /// True when `event` (a str, UTF-8 bytes or buffer, or a dict) matches.
    fn matches(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        let event = convert::event(event)?;
        Ok(self.inner.matches(event.text_or_raise(py)?))
    }

    /// The pattern as written.
    #[getter]
    fn pattern(&self) -> &str {
        self.inner.as_str()
    }

    /// How many rules the pattern's `$or`s expand to.
    #[getter]
    fn rule_count(&self) -> usize {
        self.inner.ast().rule_count()
    }

    fn __str__(&self) -> &str {
        self.inner.as_str()
    }

    /// Pickled as its text, compiled again when unpickled.
    fn __getnewargs__(&self) -> (&str,) {
        (self.inner.as_str(),)
    }

    /// `EventPattern('…')`, the text quoted as Python quotes it: `eval` gives the pattern back.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let text = PyString::new(py, self.inner.as_str()).repr()?;
        Ok(format!("EventPattern({text})"))
    }
}

/// Answers a `TestEventPattern` request as EventBridge does, in boto3's response shape:
/// `{"Result": bool}`. `Event` may be a str or a dict (serialised as compact JSON).
#[pyfunction]
#[pyo3(signature = (*, EventPattern, Event))]
#[allow(non_snake_case)]
pub(crate) fn test_event_pattern<'py>(
    py: Python<'py>,
    EventPattern: &str,
    Event: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let event = convert::event(Event)?;
    let text = event.text_or_raise(py)?;
    let answer = py
        .detach(|| trailmatch::test_event_pattern(EventPattern, text))
        .map_err(|e| core_error(py, &e))?;
    let dict = PyDict::new(py);
    dict.set_item("Result", answer.result)?;
    Ok(dict)
}
