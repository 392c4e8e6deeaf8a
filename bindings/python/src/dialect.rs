//! `Dialect` to and from a Python mapping of switch names to values, through core's table of
//! switches (`Dialect::SWITCHES`, `get`, `set`, `switches`): no switch is named here.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};
use trailmatch::{Dialect, SwitchError, SwitchValue};

use crate::convert::type_name;

/// `Dialect::default()` with the switches a mapping sets (`None`: the default).
pub(crate) fn dialect(spec: Option<&Bound<'_, PyAny>>) -> PyResult<Dialect> {
    let mut d = Dialect::default();
    let Some(spec) = spec.filter(|s| !s.is_none()) else {
        return Ok(d);
    };
    let spec = spec.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "dialect is a mapping of switch names to values, not {}",
            type_name(spec)
        ))
    })?;
    for item in spec.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key: String = key.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "dialect: switch names are str, not {}",
                type_name(&key)
            ))
        })?;
        // The kind of the default value says which Python type to take; an unknown name is
        // refused before any type error.
        // A value of the wrong type or range is refused naming its switch (the same exception,
        // OverflowError for -1, TypeError for a str, with the switch's name).
        let named = |e: PyErr| {
            let py = value.py();
            let message = format!("dialect switch {key}: {}", e.value(py));
            PyErr::from_type(e.get_type(py), message)
        };
        let value = match Dialect::default().get(&key) {
            Some(SwitchValue::Bool(_)) => SwitchValue::Bool(value.extract().map_err(named)?),
            Some(SwitchValue::Number(_)) => SwitchValue::Number(value.extract().map_err(named)?),
            None => {
                return Err(PyValueError::new_err(
                    SwitchError::Unknown { name: key }.to_string(),
                ));
            }
        };
        d.set(&key, value)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
    }
    Ok(d)
}

/// A dialect as a dict: every switch, or only those that differ from the default.
pub(crate) fn dialect_dict<'py>(
    py: Python<'py>,
    d: &Dialect,
    changes: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for ((name, value), (_, default)) in d.switches().zip(Dialect::default().switches()) {
        if changes && value == default {
            continue;
        }
        let value = match value {
            SwitchValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
            SwitchValue::Number(n) => n.into_pyobject(py)?.into_any(),
        };
        dict.set_item(name, value)?;
    }
    Ok(dict)
}
