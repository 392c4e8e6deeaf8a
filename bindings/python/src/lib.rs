//! `trailmatch._trailmatch`, the native half of the Python package `trailmatch`.
//!
//! The binding converts arguments and results and maps errors; every rule about the filter-pattern
//! language stays in the `trailmatch` crate, and every rule about CloudTrail in
//! `trailmatch-cloudtrail`. Python sees:
//!
//! * `Pattern` and `PatternSet` (`pattern`), `MetricFilter` and `test_metric_filter` (`metric`),
//!   `EventPattern` and `test_event_pattern` (`event`), wrapping the core types;
//! * `PatternError(ValueError)` and `RulesError(ValueError)`, raised by `error`, the one place
//!   where a core error becomes a Python exception;
//! * `_scan`, `_lint` and `_cis_check` (`scan`), the CloudTrail pipeline and the rule checks,
//!   answering with the JSON the command line prints (the pure-Python wrappers parse it);
//! * `_spark_plan`, `_SparkPlan`, `_SparkFollower`, `_trail_keys` and `_holds_dirs` (`spark`), what
//!   `trailmatch.spark`'s driver and tasks call.
//!
//! `convert` turns events (`str`, bytes-like, `dict`) into text and results into dicts, `columns`
//! reads the Arrow-layout buffers of `PatternSet.match_buffers` and `match_arrow`, and `dialect`
//! converts a `Dialect`;
//! `pythonize` lets core's serde types read and write Python objects.

mod columns;
mod convert;
mod dialect;
mod error;
mod event;
mod metric;
mod pattern;
mod scan;
mod spark;

use pyo3::prelude::*;

/// Amazon CloudWatch Logs filter patterns, outside AWS (the native module; import `trailmatch`).
#[pymodule]
fn _trailmatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PatternError", py.get_type::<error::PatternError>())?;
    m.add("RulesError", py.get_type::<error::RulesError>())?;
    m.add_class::<pattern::PyPattern>()?;
    m.add_class::<pattern::PyPatternSet>()?;
    m.add_class::<metric::PyMetricFilter>()?;
    m.add_function(wrap_pyfunction!(metric::test_metric_filter, m)?)?;
    m.add_class::<event::PyEventPattern>()?;
    m.add_function(wrap_pyfunction!(event::test_event_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(scan::_scan, m)?)?;
    m.add_function(wrap_pyfunction!(scan::_lint, m)?)?;
    m.add_function(wrap_pyfunction!(scan::_cis_check, m)?)?;
    m.add_function(wrap_pyfunction!(spark::_spark_plan, m)?)?;
    m.add_function(wrap_pyfunction!(spark::_trail_keys, m)?)?;
    m.add_function(wrap_pyfunction!(spark::_holds_dirs, m)?)?;
    m.add_class::<spark::PySparkPlan>()?;
    m.add_class::<spark::PySparkFollower>()?;
    Ok(())
}
