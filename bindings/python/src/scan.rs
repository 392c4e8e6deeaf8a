//! The CloudTrail pipeline and the rule checks: `_scan`, `_lint` and `_cis_check` answer with the
//! JSON the command line prints (the pure-Python wrappers in `trailmatch/__init__.py` parse it).

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use trailmatch_cloudtrail::classify::EventFilter;
use trailmatch_cloudtrail::iac;
use trailmatch_cloudtrail::rules::RuleSet;
use trailmatch_cloudtrail::run::{Inputs, scan_inputs};
use trailmatch_cloudtrail::s3key::{KeySelection, Selected};
use trailmatch_cloudtrail::scan::{ScanOptions, Scanner};
use trailmatch_cloudtrail::walk::WalkOptions;

use crate::error::rules_error;

/// Each alarm's name, its SNS notifications (JSON texts) and the notifications that cannot be
/// published (JSON texts: `topic`, `time`, `code`, `reason`).
pub(crate) type Notifications = Vec<(String, Vec<String>, Vec<String>)>;

/// Scans CloudTrail logs: returns the report as the JSON `trailmatch scan --format json`
/// prints, the readers' warnings, and each alarm's SNS notifications, with those that cannot be
/// published (their topic ARN is not valid) apart, so that the two together are every
/// notification CloudWatch would have published. `-` (the process's standard input, for the
/// command line) is refused with a `ValueError`: from Python, pass files or directories.
///
/// `selection` (accounts, Regions, start and end in ms) reads only the files of CloudTrail's S3
/// layout it selects; `stats`, when given, gets how many files it left out (`left_out`), how
/// many of those were outside the layout (`outside_layout`), and how many directories it did
/// not enter (`dirs_left_out`).
#[pyfunction]
#[pyo3(signature = (paths, rules, insights, account_id = None, region = None, selection = None, stats = None))]
#[allow(clippy::too_many_arguments)] // the keyword arguments of `trailmatch.scan`
pub(crate) fn _scan(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    rules: Vec<String>,
    insights: bool,
    account_id: Option<String>,
    region: Option<String>,
    selection: Option<Selection>,
    stats: Option<&Bound<'_, PyDict>>,
) -> PyResult<(String, Vec<String>, Notifications)> {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(PyValueError::new_err(
            "paths: `-` (standard input) cannot be scanned from Python; pass files or directories",
        ));
    }
    let window = selection.as_ref().map_or((None, None), |s| (s.2, s.3));
    let select = selection.map(selected).transpose()?.map(Arc::new);
    // A path that does not exist raises FileNotFoundError (OSError) naming it.
    trailmatch_cloudtrail::walk::require(&paths)?;
    let (set, problems) = RuleSet::from_specs(&rules)
        .map_err(|e| rules_error(py, e.to_string(), e.code(), Some(&e.location)))?;
    let options = ScanOptions {
        filter: EventFilter {
            from_ms: window.0,
            to_ms: window.1,
            ..EventFilter::default()
        },
        account_id,
        region,
        ..if insights {
            ScanOptions::with_insights()
        } else {
            ScanOptions::default()
        }
    };
    let scanner = Scanner::new(&set, options)
        .map_err(|e| rules_error(py, e.to_string(), e.code(), e.location.as_ref()))?;
    let observe = |_: &_, _: &_| Ok::<(), Infallible>(());
    let report = py
        .detach(|| {
            let walk = WalkOptions {
                select: select.clone(),
                ..WalkOptions::default()
            };
            scan_inputs(scanner, Inputs::Paths(&paths, walk), observe)
        })
        .unwrap_or_else(|never| match never {});
    if let Some(stats) = stats {
        let count = |f: fn(&Selected) -> u64| select.as_deref().map_or(0, f);
        stats.set_item("left_out", count(Selected::left_out))?;
        stats.set_item("outside_layout", count(Selected::outside_layout))?;
        stats.set_item("dirs_left_out", count(Selected::dirs_left_out))?;
    }
    report_result(&report, &problems)
}

/// Accounts, Regions, and the start and end (ms since the epoch) of a selection of files.
type Selection = (Vec<String>, Vec<String>, Option<i64>, Option<i64>);

/// The selection `_scan` is given, checked: a `ValueError` names what is not an account id or
/// a Region code, or a start that is not before the end.
fn selected((accounts, regions, start_ms, end_ms): Selection) -> PyResult<Selected> {
    KeySelection::checked(accounts, regions, (start_ms, end_ms), ("start", "end"))
        .map(Selected::new)
        .map_err(PyValueError::new_err)
}

/// A report as `_scan` answers: its JSON, the rules readers' warnings and each alarm's SNS
/// notifications (deliverable ones, and those that are not, apart).
pub(crate) fn report_result(
    report: &trailmatch_cloudtrail::scan::Report,
    problems: &[iac::Problem],
) -> PyResult<(String, Vec<String>, Notifications)> {
    let json = serde_json::to_string(report).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let warnings = problems
        .iter()
        .map(|p| format!("{}: warning[{}]: {}", p.location, p.code, p.message))
        .collect();
    let notifications = report
        .alarms
        .iter()
        .map(|a| {
            let errors = a
                .notification_errors()
                .map(|e| {
                    serde_json::json!({
                        "topic": e.topic,
                        "time": trailmatch_cloudtrail::time::format_millis(e.time_ms),
                        "code": e.code(),
                        "reason": e.reason,
                    })
                    .to_string()
                })
                .collect();
            (a.name.clone(), a.notifications().collect(), errors)
        })
        .collect();
    Ok((json, warnings, notifications))
}

/// The files under `paths` that the template, Terraform and rules readers understand, read; a
/// path that does not exist raises `FileNotFoundError` naming it.
fn found(paths: &[PathBuf]) -> PyResult<iac::Found> {
    let (found, _) = iac::load(paths, WalkOptions::default())?;
    Ok(found)
}

/// Lints the metric filters and EventBridge rules of templates, Terraform, rules and pattern
/// files: the findings as the JSON array of `trailmatch lint --format json`'s `diagnostics`.
#[pyfunction]
pub(crate) fn _lint(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<String> {
    let (diagnostics, _) =
        py.detach(|| trailmatch_cloudtrail::lint::lint_paths(&paths, WalkOptions::default()))?;
    serde_json::to_string(&diagnostics).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Which CIS monitoring controls the alarmed metric filters under `paths` cover: the JSON
/// array of `trailmatch cis-check --format json`'s `controls`.
#[pyfunction]
pub(crate) fn _cis_check(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<String> {
    let found = found(&paths)?;
    let controls = py.detach(|| trailmatch_cloudtrail::coverage::cis_check(&found));
    serde_json::to_string(&controls).map_err(|e| PyValueError::new_err(e.to_string()))
}
