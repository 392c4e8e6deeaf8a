//! The native half of `trailmatch.spark`: what a Spark driver and its tasks call.
//!
//! * `_spark_plan` reads and checks the rules on the driver (a rules file or pattern error
//!   raises `RulesError` before any task runs) and gives a *plan*: the rules and options as
//!   JSON, which tasks compile again with `_SparkPlan`;
//! * `_SparkPlan.tally` reads files (their bytes, a pyarrow binary array) with the project's
//!   log reader into one partial scan (`scan::Tally`, JSON) per file; `_SparkPlan.finish` adds
//!   the tallies in input order and answers as `_scan`; `_SparkPlan.read` gives the records of
//!   files as pyarrow arrays and `_SparkPlan.match_records` the metric filters' matches of
//!   records, read from and written to Arrow buffers (no Python object per record);
//! * `_SparkFollower` is follow mode (`follow::Follower`) fed tallies, for Structured
//!   Streaming; `_trail_keys` parses and selects keys of CloudTrail's S3 layout (`s3key`),
//!   and `_holds_dirs` tells which directories a listing need not enter.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde::{Deserialize, Serialize};

use trailmatch::{MetricFilter, Pattern, PatternSet};
use trailmatch_cloudtrail::alarm::AlarmDef;
use trailmatch_cloudtrail::classify::{self, EventFilter};
use trailmatch_cloudtrail::eventbridge::EventRuleDef;
use trailmatch_cloudtrail::follow::{FollowOptions, FollowState, Follower};
use trailmatch_cloudtrail::logs;
use trailmatch_cloudtrail::rules::{MetricFilterDef, RuleSet};
use trailmatch_cloudtrail::s3key::{KeySelection, TrailKey};
use trailmatch_cloudtrail::scan::{ScanOptions, Scanner, Tally};

use crate::columns::arrow_columns;
use crate::error::rules_error;
use crate::scan::{Notifications, report_result};

/// The rules and options of a scan, as the driver checked them and the tasks compile them.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plan {
    metric_filters: Vec<MetricFilterDef>,
    alarms: Vec<AlarmDef>,
    event_rules: Vec<EventRuleDef>,
    insights: bool,
    account_id: Option<String>,
    region: Option<String>,
    /// The time window of the records (ms since the epoch): see `EventFilter::holds_time`.
    #[serde(default)]
    start_ms: Option<i64>,
    #[serde(default)]
    end_ms: Option<i64>,
}

impl Plan {
    fn rules(&self) -> RuleSet {
        RuleSet {
            metric_filters: self.metric_filters.clone(),
            alarms: self.alarms.clone(),
            event_rules: self.event_rules.clone(),
        }
    }

    fn options(&self) -> ScanOptions {
        ScanOptions {
            filter: EventFilter {
                from_ms: self.start_ms,
                to_ms: self.end_ms,
                ..EventFilter::default()
            },
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            ..if self.insights {
                ScanOptions::with_insights()
            } else {
                ScanOptions::default()
            }
        }
    }

    fn scanner(&self, py: Python<'_>) -> PyResult<Scanner> {
        Scanner::new(&self.rules(), self.options())
            .map_err(|e| rules_error(py, e.to_string(), e.code(), e.location.as_ref()))
    }

    fn parse(text: &str) -> PyResult<Plan> {
        serde_json::from_str(text)
            .map_err(|e| PyValueError::new_err(format!("plan: not a trailmatch.spark plan: {e}")))
    }
}

fn json_error(e: serde_json::Error) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Reads the rules named by `rules` (as `scan`'s) on the driver and checks them as the scan
/// would: the plan (JSON) for the tasks, and the readers' warnings. A rules file or pattern
/// error raises `RulesError`. Records whose time is outside `[start_ms, end_ms)` are counted
/// as filtered.
#[pyfunction]
#[pyo3(signature = (rules, insights, account_id = None, region = None, start_ms = None, end_ms = None))]
pub(crate) fn _spark_plan(
    py: Python<'_>,
    rules: Vec<String>,
    insights: bool,
    account_id: Option<String>,
    region: Option<String>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> PyResult<(String, Vec<String>)> {
    let (set, problems) = RuleSet::from_specs(&rules)
        .map_err(|e| rules_error(py, e.to_string(), e.code(), Some(&e.location)))?;
    let plan = Plan {
        metric_filters: set.metric_filters.clone(),
        alarms: set.alarms.clone(),
        event_rules: set.event_rules.clone(),
        insights,
        account_id,
        region,
        start_ms,
        end_ms,
    };
    Scanner::new(&set, plan.options())
        .map_err(|e| rules_error(py, e.to_string(), e.code(), e.location.as_ref()))?;
    let warnings = problems
        .iter()
        .map(|p| format!("{}: warning[{}]: {}", p.location, p.code, p.message))
        .collect();
    let text = serde_json::to_string(&plan).map_err(json_error)?;
    Ok((text, warnings))
}

/// A string column being built, laid out as an Arrow `string` array.
#[derive(Default)]
struct StringColumn {
    data: Vec<u8>,
    offsets: Vec<i32>,
    valid: Vec<bool>,
}

impl StringColumn {
    fn push(&mut self, value: Option<&str>) -> PyResult<()> {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        if let Some(v) = value {
            self.data.extend_from_slice(v.as_bytes());
        }
        let end = i32::try_from(self.data.len()).map_err(|_| {
            PyValueError::new_err(
                "more than 2 GiB of text in one batch: read fewer files at a time",
            )
        })?;
        self.offsets.push(end);
        self.valid.push(value.is_some());
        Ok(())
    }

    fn array<'py>(&self, pa: &Bound<'py, PyModule>) -> PyResult<Bound<'py, PyAny>> {
        let py = pa.py();
        let offsets = if self.offsets.is_empty() {
            vec![0]
        } else {
            self.offsets.clone()
        };
        let offsets: Vec<u8> = offsets.iter().flat_map(|o| o.to_ne_bytes()).collect();
        let buffers = PyList::new(
            py,
            [
                validity(pa, &self.valid)?,
                pa.call_method1("py_buffer", (PyBytes::new(py, &offsets),))?,
                pa.call_method1("py_buffer", (PyBytes::new(py, &self.data),))?,
            ],
        )?;
        pa.getattr("Array")?.getattr("from_buffers")?.call1((
            pa.call_method0("string")?,
            self.valid.len(),
            buffers,
        ))
    }
}

/// An Arrow validity bitmap (least significant bit first) as a `pyarrow.Buffer`.
fn validity<'py>(pa: &Bound<'py, PyModule>, valid: &[bool]) -> PyResult<Bound<'py, PyAny>> {
    let mut bits = vec![0u8; valid.len().div_ceil(8)];
    for (i, _) in valid.iter().enumerate().filter(|(_, v)| **v) {
        if let Some(byte) = bits.get_mut(i / 8) {
            *byte |= 1 << (i % 8);
        }
    }
    pa.call_method1("py_buffer", (PyBytes::new(pa.py(), &bits),))
}

/// A fixed-width column (int32, int64, float64, timestamp) as a pyarrow array of `kind`.
fn fixed_array<'py>(
    pa: &Bound<'py, PyModule>,
    kind: Bound<'py, PyAny>,
    bytes: Vec<u8>,
    valid: &[bool],
) -> PyResult<Bound<'py, PyAny>> {
    let py = pa.py();
    let buffers = PyList::new(
        py,
        [
            validity(pa, valid)?,
            pa.call_method1("py_buffer", (PyBytes::new(py, &bytes),))?,
        ],
    )?;
    pa.getattr("Array")?
        .getattr("from_buffers")?
        .call1((kind, valid.len(), buffers))
}

fn timestamp_ms<'py>(pa: &Bound<'py, PyModule>) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(pa.py());
    kwargs.set_item("tz", "UTC")?;
    pa.call_method("timestamp", ("ms",), Some(&kwargs))
}

/// A scan's plan compiled in a task: see the module documentation.
#[pyclass(name = "_SparkPlan", module = "trailmatch._trailmatch", frozen)]
pub(crate) struct PySparkPlan {
    plan: Plan,
    scanner: Scanner,
    set: PatternSet,
    filters: Vec<MetricFilter>,
}

impl PySparkPlan {
    /// Calls `f` with each file's name and bytes (`None` for a null).
    fn files<'py>(
        py: Python<'py>,
        names: &[String],
        contents: &Bound<'py, PyAny>,
        mut f: impl FnMut(&str, Option<&[u8]>) -> PyResult<()>,
    ) -> PyResult<()> {
        let columns = arrow_columns(contents, "contents")?;
        let n = columns.as_ref().map_or(0, |c| c.len());
        if n != names.len() {
            return Err(PyValueError::new_err(format!(
                "contents: {n} files for {} names",
                names.len()
            )));
        }
        let Some(columns) = columns else {
            return Ok(());
        };
        for (i, name) in names.iter().enumerate() {
            columns.with_element(py, i, |bytes| f(name, bytes))??;
        }
        Ok(())
    }
}

/// A file Spark gave no bytes for (a null `content`): one `unreadable` skip.
fn no_content(name: &str) -> logs::Item {
    logs::Item::Skipped(logs::Skip {
        location: logs::Location {
            file: name.to_owned(),
            ..logs::Location::default()
        },
        kind: logs::SkipKind::Unreadable,
        message: "Spark read no content for this file".to_owned(),
    })
}

#[pymethods]
impl PySparkPlan {
    /// Compiles a plan made by `_spark_plan`.
    #[new]
    fn new(py: Python<'_>, plan: &str) -> PyResult<Self> {
        let plan = Plan::parse(plan)?;
        let scanner = plan.scanner(py)?;
        let mut filters = Vec::with_capacity(plan.metric_filters.len());
        for def in &plan.metric_filters {
            let pattern = Pattern::new(&def.filter_pattern)
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            filters.push(
                MetricFilter::from_transformations(pattern, def.metric_transformations.clone())
                    .map_err(|e| PyValueError::new_err(e.to_string()))?,
            );
        }
        let set = PatternSet::new(
            plan.metric_filters
                .iter()
                .map(|d| d.filter_pattern.as_str()),
        )
        .map_err(|e| PyValueError::new_err(e.error.to_string()))?;
        Ok(PySparkPlan {
            plan,
            scanner,
            set,
            filters,
        })
    }

    /// Reads each file (`names[i]`, its bytes `contents[i]`: a pyarrow binary array) with the
    /// log reader, every format and gzip, into a partial scan: one tally (JSON bytes) per file.
    fn tally<'py>(
        &self,
        py: Python<'py>,
        names: Vec<String>,
        contents: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let mut out = Vec::with_capacity(names.len());
        Self::files(py, &names, contents, |name, bytes| {
            let tally = match bytes {
                Some(bytes) => {
                    self.scanner
                        .tally(logs::read_stream(name, bytes, logs::Options::default()))
                }
                None => self.scanner.tally([no_content(name)]),
            };
            out.push(PyBytes::new(
                py,
                &serde_json::to_vec(&tally).map_err(json_error)?,
            ));
            Ok(())
        })?;
        Ok(out)
    }

    /// Tallies of consecutive files (JSON bytes, in order) as one tally.
    fn merge<'py>(&self, py: Python<'py>, tallies: Vec<Vec<u8>>) -> PyResult<Bound<'py, PyBytes>> {
        let mut parsed = Vec::with_capacity(tallies.len());
        for (i, bytes) in tallies.iter().enumerate() {
            parsed.push(
                serde_json::from_slice::<Tally>(bytes)
                    .map_err(|e| PyValueError::new_err(format!("tally {i}: {e}")))?,
            );
        }
        let merged = self
            .scanner
            .merge_tallies(parsed)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyBytes::new(
            py,
            &serde_json::to_vec(&merged).map_err(json_error)?,
        ))
    }

    /// Adds the tallies in the order given and ends the scan: the answer of `_scan`.
    fn finish(
        &self,
        py: Python<'_>,
        tallies: Vec<Vec<u8>>,
    ) -> PyResult<(String, Vec<String>, Notifications)> {
        let mut scanner = self.plan.scanner(py)?;
        for (i, bytes) in tallies.iter().enumerate() {
            let tally: Tally = serde_json::from_slice(bytes)
                .map_err(|e| PyValueError::new_err(format!("tally {i}: {e}")))?;
            scanner
                .add_tally(tally)
                .map_err(|e| PyValueError::new_err(format!("tally {i}: {e}")))?;
        }
        let report = py.detach(|| scanner.finish());
        report_result(&report, &[])
    }

    /// The records of the files, as pyarrow arrays: a dict of `eventTime` (timestamp, ms,
    /// UTC), `account` (`recipientAccountId`, else the account of the file's S3 key),
    /// `region`, `eventSource`, `eventName`, `json` (the record's text as in the file; null
    /// for a skip), `file`, `location`, `skipped` (a skip's code; null for a record) and
    /// `message`.
    fn read<'py>(
        &self,
        py: Python<'py>,
        names: Vec<String>,
        contents: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        const COLUMNS: [&str; 9] = [
            "account",
            "region",
            "eventSource",
            "eventName",
            "json",
            "file",
            "location",
            "skipped",
            "message",
        ];
        let mut columns: Vec<StringColumn> =
            COLUMNS.iter().map(|_| StringColumn::default()).collect();
        let (mut times, mut timed) = (Vec::<u8>::new(), Vec::<bool>::new());
        let mut row = |values: [Option<&str>; 9], t: Option<i64>| -> PyResult<()> {
            for (column, value) in columns.iter_mut().zip(values) {
                column.push(value)?;
            }
            times.extend_from_slice(&t.unwrap_or_default().to_ne_bytes());
            timed.push(t.is_some());
            Ok(())
        };
        // A skip's row: no record, where and why.
        fn skip<'a>(
            name: &'a str,
            location: &'a str,
            code: &'a str,
            message: &'a str,
        ) -> [Option<&'a str>; 9] {
            let (name, location) = (Some(name), Some(location));
            let (code, message) = (Some(code), Some(message));
            [None, None, None, None, None, name, location, code, message]
        }
        Self::files(py, &names, contents, |name, bytes| {
            let key = TrailKey::parse(name);
            let items: Box<dyn Iterator<Item = logs::Item>> = match bytes {
                Some(bytes) => Box::new(logs::read_stream(name, bytes, logs::Options::default())),
                None => Box::new(std::iter::once(no_content(name))),
            };
            for item in items {
                match item {
                    logs::Item::Record(r) => {
                        let location = r.location.to_string();
                        match classify::classify(&r.json) {
                            Ok(e) => {
                                let account = e
                                    .recipient_account_id
                                    .as_deref()
                                    .or(key.as_ref().map(|k| k.account.as_str()));
                                row(
                                    [
                                        account,
                                        e.aws_region.as_deref(),
                                        e.event_source.as_deref(),
                                        e.event_name.as_deref(),
                                        Some(&r.json),
                                        Some(name),
                                        Some(&location),
                                        None,
                                        None,
                                    ],
                                    e.time_ms.or(r.timestamp_ms),
                                )?;
                            }
                            Err(e) => row(skip(name, &location, "not-a-record", &e.message), None)?,
                        }
                    }
                    logs::Item::Skipped(s) => {
                        let location = s.location.to_string();
                        row(skip(name, &location, s.kind.code(), &s.message), None)?;
                    }
                }
            }
            Ok(())
        })?;
        let pa = py.import("pyarrow")?;
        let out = PyDict::new(py);
        out.set_item(
            "eventTime",
            fixed_array(&pa, timestamp_ms(&pa)?, times, &timed)?,
        )?;
        for (name, column) in COLUMNS.iter().zip(&columns) {
            out.set_item(*name, column.array(&pa)?)?;
        }
        Ok(out)
    }

    /// The metric filters' matches of records (`json`: a pyarrow string array; nulls match
    /// nothing), one row per record and filter that matched it, as a dict of pyarrow arrays:
    /// `record` (int32, the record's index), `rule` (the filter's name), `namespace`,
    /// `metric`, `value` (float64; null when the record has no usable value), `minute`
    /// (timestamp of the minute of the record's time; null without one) and `dimensions`
    /// (JSON object text). A record's time is its `eventTime`, else its entry in `times`: one
    /// little-endian int64 a record (ms since the epoch; `i64::MIN` for none), e.g. the
    /// delivery time `read` gives an exported line without one, as the scan places it.
    #[pyo3(signature = (json, times = None))]
    fn match_records<'py>(
        &self,
        py: Python<'py>,
        json: &Bound<'py, PyAny>,
        times: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let columns = arrow_columns(json, "json")?;
        let n = columns.as_ref().map_or(0, |c| c.len());
        if let Some(times) = times.filter(|t| t.len() != 8 * n) {
            return Err(PyValueError::new_err(format!(
                "times: {} bytes for {n} records (8 a record)",
                times.len()
            )));
        }
        let given = |i: usize| {
            let time = times?.get(8 * i..8 * i + 8)?.first_chunk::<8>()?;
            Some(i64::from_le_bytes(*time)).filter(|&t| t != i64::MIN)
        };
        // The records the scan counts as filtered (outside its time window) match nothing.
        let filter = self.plan.options().filter;
        let (mut index, mut values, mut minutes) = (Vec::new(), Vec::new(), Vec::new());
        let (mut valued, mut timed) = (Vec::new(), Vec::new());
        let mut names: [StringColumn; 4] = Default::default();
        if let Some(columns) = &columns {
            for i in 0..n {
                columns.with_element(py, i, |bytes| -> PyResult<()> {
                    let Some(bytes) = bytes else { return Ok(()) };
                    let text = std::str::from_utf8(bytes)
                        .map_err(|e| PyValueError::new_err(format!("json[{i}]: not UTF-8: {e}")))?;
                    let hits = self.set.test(text);
                    if hits.is_empty() {
                        return Ok(());
                    }
                    let event = classify::classify(text).ok();
                    let time_ms = event.as_ref().and_then(|e| e.time_ms).or_else(|| given(i));
                    if event.as_ref().is_some_and(|e| !filter.keeps(e))
                        || !filter.holds_time(time_ms)
                    {
                        return Ok(());
                    }
                    let minute = time_ms.map(trailmatch_cloudtrail::time::minute_floor);
                    for (f, extracted) in hits {
                        let (Some(filter), Some(def)) =
                            (self.filters.get(f), self.plan.metric_filters.get(f))
                        else {
                            continue;
                        };
                        let t = filter.transformation();
                        let datum = filter.datum(text, &extracted);
                        index
                            .extend_from_slice(&i32::try_from(i).unwrap_or(i32::MAX).to_ne_bytes());
                        values.extend_from_slice(
                            &datum.as_ref().map_or(0.0, |d| d.value).to_ne_bytes(),
                        );
                        valued.push(datum.is_some());
                        minutes.extend_from_slice(&minute.unwrap_or_default().to_ne_bytes());
                        timed.push(minute.is_some());
                        let dimensions = datum
                            .map(|d| serde_json::to_string(&d.dimensions))
                            .transpose()
                            .map_err(json_error)?
                            .unwrap_or_else(|| "{}".to_owned());
                        for (column, value) in names.iter_mut().zip([
                            def.filter_name.as_str(),
                            t.metric_namespace.as_str(),
                            t.metric_name.as_str(),
                            dimensions.as_str(),
                        ]) {
                            column.push(Some(value))?;
                        }
                    }
                    Ok(())
                })??;
            }
        }
        let pa = py.import("pyarrow")?;
        let out = PyDict::new(py);
        let all = vec![true; valued.len()];
        out.set_item(
            "record",
            fixed_array(&pa, pa.call_method0("int32")?, index, &all)?,
        )?;
        for (name, column) in ["rule", "namespace", "metric"].iter().zip(&names) {
            out.set_item(*name, column.array(&pa)?)?;
        }
        out.set_item(
            "value",
            fixed_array(&pa, pa.call_method0("float64")?, values, &valued)?,
        )?;
        out.set_item(
            "minute",
            fixed_array(&pa, timestamp_ms(&pa)?, minutes, &timed)?,
        )?;
        let [_, _, _, dimensions] = &names;
        out.set_item("dimensions", dimensions.array(&pa)?)?;
        Ok(out)
    }
}

/// Follow mode fed tallies: see `follow::Follower::add_tally`.
#[pyclass(name = "_SparkFollower", module = "trailmatch._trailmatch")]
pub(crate) struct PySparkFollower {
    follower: Follower,
}

#[pymethods]
impl PySparkFollower {
    /// A follower of a plan's rules and options (anomaly detection left out) that allows
    /// `lateness_ms` of lateness.
    #[new]
    fn new(py: Python<'_>, plan: &str, lateness_ms: i64) -> PyResult<Self> {
        let plan = Plan::parse(plan)?;
        let follower = Follower::new(&plan.rules(), plan.options(), FollowOptions { lateness_ms })
            .map_err(|e| rules_error(py, e.to_string(), e.code(), e.location.as_ref()))?;
        Ok(PySparkFollower { follower })
    }

    /// Adds tallies (JSON bytes, in input order), then evaluates the alarms as far as the
    /// watermark has moved; `now_ms` is the clock.
    fn add_tallies(&mut self, tallies: Vec<Vec<u8>>, now_ms: i64) -> PyResult<()> {
        for (i, bytes) in tallies.iter().enumerate() {
            let tally: Tally = serde_json::from_slice(bytes)
                .map_err(|e| PyValueError::new_err(format!("tally {i}: {e}")))?;
            self.follower
                .add_tally(tally, now_ms)
                .map_err(|e| PyValueError::new_err(format!("tally {i}: {e}")))?;
        }
        Ok(())
    }

    /// The state changes not yet delivered, in time order, each as JSON: `alarm`, `time_ms`,
    /// `from`, `to`, `reason` and `messages` (`topic`, and `message`: `{"Ok": text}` or
    /// `{"Err": why it cannot be published}`).
    fn outbox(&self) -> PyResult<Vec<String>> {
        self.follower
            .outbox()
            .iter()
            .map(|n| serde_json::to_string(n).map_err(json_error))
            .collect()
    }

    /// The first `n` notices of the outbox were delivered.
    fn delivered(&mut self, n: usize) {
        self.follower.delivered(n);
    }

    /// The input has ended: settles the alarms as a batch scan does at its end.
    fn finish(&mut self) {
        self.follower.finish();
    }

    /// Counts, watermark and more, as JSON.
    fn progress(&self) -> PyResult<String> {
        serde_json::to_string(&self.follower.progress()).map_err(json_error)
    }

    /// What a restart needs (follow mode's state, JSON).
    fn state(&mut self) -> PyResult<String> {
        serde_json::to_string(&self.follower.state()).map_err(json_error)
    }

    /// Continues from a state made by `state` with the same rules and options.
    fn restore(&mut self, state: &str) -> PyResult<()> {
        let state: FollowState = serde_json::from_str(state)
            .map_err(|e| PyValueError::new_err(format!("state: {e}")))?;
        self.follower
            .restore(state)
            .map_err(|e| PyValueError::new_err(format!("state: {e}")))
    }
}

/// The selection of `accounts`, `regions` and the time from `start_ms` up to `end_ms` (all
/// when empty or None), checked as `trailmatch.scan` checks it: a `ValueError` names what is
/// wrong.
fn selection(
    accounts: Vec<String>,
    regions: Vec<String>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> PyResult<KeySelection> {
    KeySelection::checked(accounts, regions, (start_ms, end_ms), ("start", "end"))
        .map_err(PyValueError::new_err)
}

/// For each path, its key in CloudTrail's S3 layout (`(org, account, region, (y, m, d))`, or
/// None outside the layout) and whether the selection keeps it: see `s3key::KeySelection`.
#[pyfunction]
#[pyo3(signature = (paths, accounts = Vec::new(), regions = Vec::new(), start_ms = None, end_ms = None))]
#[allow(clippy::type_complexity)]
pub(crate) fn _trail_keys(
    paths: Vec<String>,
    accounts: Vec<String>,
    regions: Vec<String>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> PyResult<
    Vec<(
        Option<(Option<String>, String, String, (i32, u32, u32))>,
        bool,
    )>,
> {
    let selection = selection(accounts, regions, start_ms, end_ms)?;
    Ok(paths
        .iter()
        .map(|p| {
            let key = TrailKey::parse(p);
            let keep = selection.keeps(p);
            (key.map(|k| (k.org, k.account, k.region, k.date)), keep)
        })
        .collect())
}

/// For each directory path, whether it may hold files of the selection: false for a directory
/// a walk does not enter, see `s3key::KeySelection::holds_dir`.
#[pyfunction]
#[pyo3(signature = (paths, accounts = Vec::new(), regions = Vec::new(), start_ms = None, end_ms = None))]
pub(crate) fn _holds_dirs(
    paths: Vec<String>,
    accounts: Vec<String>,
    regions: Vec<String>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> PyResult<Vec<bool>> {
    let selection = selection(accounts, regions, start_ms, end_ms)?;
    Ok(paths.iter().map(|p| selection.holds_dir(p)).collect())
}
