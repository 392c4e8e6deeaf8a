//! `Dialect` to and from a Python mapping of switch names to values.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};
use trailmatch::Dialect;

use crate::convert::type_name;

/// The names of `Dialect`'s switches, in declaration order.
const SWITCHES: [&str; 5] = [
    "absorb_trailing_fields",
    "numeric_string_coercion",
    "event_number_base",
    "quoted_space_matches_all",
    "split_hyphenated_terms",
];

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
        let (key, value): (String, Bound<'_, PyAny>) = item.extract()?;
        match key.as_str() {
            "absorb_trailing_fields" => d.absorb_trailing_fields = value.extract()?,
            "numeric_string_coercion" => d.numeric_string_coercion = value.extract()?,
            "event_number_base" => d.event_number_base = value.extract()?,
            "quoted_space_matches_all" => d.quoted_space_matches_all = value.extract()?,
            "split_hyphenated_terms" => d.split_hyphenated_terms = value.extract()?,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown dialect switch '{other}'; the switches are {}",
                    SWITCHES.join(", ")
                )));
            }
        }
    }
    Ok(d)
}

/// A dialect as a dict: every switch, or only those that differ from the default.
pub(crate) fn dialect_dict<'py>(
    py: Python<'py>,
    d: &Dialect,
    changes: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let default = Dialect::default();
    let dict = PyDict::new(py);
    let put = |name: &str, value: Bound<'py, PyAny>, same: bool| {
        if !(changes && same) {
            dict.set_item(name, value)?;
        }
        PyResult::Ok(())
    };
    let flag = |b: bool| b.into_pyobject(py).map(|b| b.to_owned().into_any());
    put(
        SWITCHES[0],
        flag(d.absorb_trailing_fields)?,
        d.absorb_trailing_fields == default.absorb_trailing_fields,
    )?;
    put(
        SWITCHES[1],
        flag(d.numeric_string_coercion)?,
        d.numeric_string_coercion == default.numeric_string_coercion,
    )?;
    put(
        SWITCHES[2],
        d.event_number_base.into_pyobject(py)?.into_any(),
        d.event_number_base == default.event_number_base,
    )?;
    put(
        SWITCHES[3],
        flag(d.quoted_space_matches_all)?,
        d.quoted_space_matches_all == default.quoted_space_matches_all,
    )?;
    put(
        SWITCHES[4],
        flag(d.split_hyphenated_terms)?,
        d.split_hyphenated_terms == default.split_hyphenated_terms,
    )?;
    Ok(dict)
}
