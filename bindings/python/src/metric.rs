//! `MetricFilter` and `test_metric_filter`. A metric transformation dict is read by core's
//! `MetricTransformation` (serde, AWS's member names, unknown keys refused) through `pythonize`,
//! with `serde_path_to_error` keeping the key at fault for the message.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBool, PyDict, PyList, PyMapping, PyTuple};
use trailmatch::Pattern;
use trailmatch::metric::{
    MAX_TEST_MESSAGES, MetricFilter, MetricTransformation, test_metric_filter_with,
};

use crate::convert::{self, refuse_single, string_map, to_python, type_name};
use crate::error::{core_error, transformation_error};
use crate::pattern::PyPattern;

/// A `PutMetricFilter` metric transformation from its boto3 dict (any mapping).
fn transformation(value: &Bound<'_, PyAny>) -> PyResult<MetricTransformation> {
    refuse_bool_default(value)?;
    let mut de = pythonize::Depythonizer::from_object(value);
    serde_path_to_error::deserialize(&mut de).map_err(|e| transformation_error(value, e))
}

/// Refuses a `bool` `defaultValue`. pythonize reads a number as Python's `float()` does, which
/// takes `True` for 1.0; the API's `defaultValue` is a Double, and boto3 would send `true`.
fn refuse_bool_default(value: &Bound<'_, PyAny>) -> PyResult<()> {
    let Ok(mapping) = value.cast::<PyMapping>() else {
        return Ok(());
    };
    match mapping.get_item("defaultValue") {
        Ok(default) if default.is_instance_of::<PyBool>() => Err(PyTypeError::new_err(
            "metric transformation 'defaultValue': expected a number, not bool",
        )),
        _ => Ok(()),
    }
}

/// A filter pattern with its metric transformation, validated as `PutMetricFilter` validates
/// them.
#[pyclass(name = "MetricFilter", module = "trailmatch", frozen)]
pub(crate) struct PyMetricFilter {
    inner: MetricFilter,
    pattern: Py<PyPattern>,
}

#[pymethods]
impl PyMetricFilter {
    #[new]
    fn new(
        py: Python<'_>,
        pattern: &Bound<'_, PyAny>,
        metric_transformation: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let pattern: Py<PyPattern> = if let Ok(p) = pattern.cast::<PyPattern>() {
            p.clone().unbind()
        } else if let Ok(text) = pattern.extract::<PyBackedStr>() {
            let compiled = Pattern::new(&text).map_err(|e| core_error(py, &e))?;
            Py::new(py, PyPattern::wrap(compiled))?
        } else {
            return Err(PyTypeError::new_err(format!(
                "pattern is a str or a Pattern, not {}",
                type_name(pattern)
            )));
        };
        let core = pattern.get().inner.as_ref().clone();
        let filter = if metric_transformation.is_instance_of::<PyList>()
            || metric_transformation.is_instance_of::<PyTuple>()
        {
            let list = metric_transformation
                .try_iter()?
                .enumerate()
                .map(|(i, t)| {
                    transformation(&t?).map_err(|e| {
                        let at = format!("metric_transformation[{i}]");
                        convert::told(py, e, &at).unwrap_or_else(|e| e)
                    })
                })
                .collect::<PyResult<Vec<_>>>()?;
            MetricFilter::from_transformations(core, list)
        } else {
            MetricFilter::new(core, transformation(metric_transformation)?)
        };
        let inner = filter.map_err(|e| core_error(py, &e))?;
        Ok(PyMetricFilter { inner, pattern })
    }

    /// What a matching event adds to the metric: `{"value": float, "dimensions": {...}}`, or None
    /// when it does not match or its metric value is missing or not a number.
    fn apply<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let event = convert::event(event)?;
        let Some(datum) = self.inner.apply(event.text_or_raise(py)?) else {
            return Ok(None);
        };
        let dict = PyDict::new(py);
        dict.set_item("value", datum.value)?;
        dict.set_item("dimensions", string_map(py, &datum.dimensions)?)?;
        Ok(Some(dict))
    }

    /// The filter pattern.
    #[getter]
    fn pattern(&self, py: Python<'_>) -> Py<PyPattern> {
        self.pattern.clone_ref(py)
    }

    /// The metric transformation, in boto3's shape.
    #[getter]
    fn metric_transformation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.transformation())
    }

    /// Pickled as its pattern and transformation, validated again when unpickled.
    fn __getnewargs__<'py>(&self, py: Python<'py>) -> PyResult<(Py<PyPattern>, Bound<'py, PyAny>)> {
        Ok((
            self.pattern.clone_ref(py),
            to_python(py, self.inner.transformation())?,
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let pattern = self.pattern.bind(py).repr()?;
        let t = to_python(py, self.inner.transformation())?.repr()?;
        Ok(format!("MetricFilter({pattern}, {t})"))
    }
}

/// Answers a `TestMetricFilter` request as AWS does, in boto3's response shape:
/// `{"matches": [{"eventNumber": 1, "eventMessage": "...", "extractedValues": {...}}]}`.
#[pyfunction]
#[pyo3(signature = (*, filterPattern, logEventMessages, dialect = None))]
#[allow(non_snake_case)]
pub(crate) fn test_metric_filter<'py>(
    py: Python<'py>,
    filterPattern: &str,
    logEventMessages: &Bound<'py, PyAny>,
    dialect: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let dialect = crate::dialect::dialect(dialect)?;
    refuse_single(logEventMessages, "logEventMessages")?;
    // Read up to one past the limit, where the call is refused: an endless iterable ends.
    let messages = logEventMessages
        .try_iter()?
        .take(MAX_TEST_MESSAGES + 1)
        .enumerate()
        .map(|(i, m)| convert::event(&m?).map_err(|e| convert::at_event(py, e, i)))
        .collect::<PyResult<Vec<_>>>()?;
    let texts = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            m.text()
                .map_err(|e| convert::utf8_error(py, m.bytes(), e, Some((i, None))))
        })
        .collect::<PyResult<Vec<&str>>>()?;
    let answer = py
        .detach(|| test_metric_filter_with(filterPattern, &texts, dialect))
        .map_err(|e| core_error(py, &e))?;
    to_python(py, &answer)
}
