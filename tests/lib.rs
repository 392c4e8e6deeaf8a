//! Conformance suite support: the case files' model, their loader, and the checks that run each
//! case against every trailmatch evaluator. `conformance.rs` holds the tests; `README.md` describes
//! the case format.
//!
//! Every check records its outcome in a [`Report`] instead of panicking, so that one run lists all
//! the failures, each with the name of its case.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use trailmatch::metric::{MetricFilter, MetricTransformation, TestMetricFilterResponse};
use trailmatch::reference::Evaluator;
use trailmatch::{
    Dialect, Error, EventPattern, Extracted, Limits, Origin, Pattern, PatternBuilder, PatternSet,
};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

/// `tests/cases`, where the case files live.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// `tests/corpus`, the third-party patterns and CloudTrail records.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

// ---- the case model ----------------------------------------------------------------------------

/// One case file: any number of each table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// `[[case]]`: a pattern against an event, or a pattern that must be rejected.
    #[serde(default)]
    pub case: Vec<Case>,
    /// `[[metric_case]]`: a pattern with a metric transformation.
    #[serde(default)]
    pub metric_case: Vec<MetricCase>,
    /// `[[test_metric_filter]]`: a `TestMetricFilter` request and its answer.
    #[serde(default)]
    pub test_metric_filter: Vec<TestMetricFilterCase>,
    /// `[[set_case]]`: a pattern set that must be rejected as a whole.
    #[serde(default)]
    pub set_case: Vec<SetCase>,
    /// `[[event_case]]`: an EventBridge event pattern against an event, or a pattern that must be
    /// rejected.
    #[serde(default)]
    pub event_case: Vec<EventCase>,
    /// `[[test_event_pattern]]`: a `TestEventPattern` request and its answer.
    #[serde(default)]
    pub test_event_pattern: Vec<TestEventPatternCase>,
}

/// `[[event_case]]`: either `event` + `matches`, or `error` (+ `span`, `rendered`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCase {
    /// Unique across the corpus, such as `eventbridge/guide/prefix`.
    pub name: String,
    /// The event pattern (JSON).
    pub pattern: String,
    /// The event (JSON).
    pub event: Option<String>,
    /// Whether `event` matches.
    pub matches: Option<bool>,
    /// The code of the error the pattern is rejected with.
    pub error: Option<String>,
    /// With `error`: the error's byte span `[start, end]`.
    pub span: Option<[usize; 2]>,
    /// With `error`: the error's `Display` text.
    pub rendered: Option<String>,
    /// With `error` and no `rendered`: why the `Display` text is not pinned.
    pub rendering_issue: Option<String>,
    /// Where the case comes from (a user guide URL, an event-ruler file).
    pub source: Option<String>,
    /// Anything worth knowing.
    pub notes: Option<String>,
}

impl EventCase {
    /// What an error case expects.
    pub fn expected_error(&self) -> Option<ErrorExpectation<'_>> {
        let (r, i) = (&self.rendered, &self.rendering_issue);
        ErrorExpectation::of(&self.error, &None, self.span, r, i)
    }
}

/// `[[test_event_pattern]]`: `test_event_pattern(pattern, event)` gives `response` (AWS's JSON,
/// compared as text) or fails with `error`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestEventPatternCase {
    /// Unique across the corpus.
    pub name: String,
    /// `EventPattern`.
    pub pattern: String,
    /// `Event`.
    pub event: String,
    /// The answer as AWS prints it: `{"Result":true}`.
    pub response: Option<String>,
    /// The code of the error.
    pub error: Option<String>,
    /// With `error`: the request member the error points into (`EventPattern` or `Event`).
    pub origin: Option<String>,
    /// With `error`: the error's byte span.
    pub span: Option<[usize; 2]>,
    /// With `error`: the error's `Display` text.
    pub rendered: Option<String>,
    /// With `error` and no `rendered`: why the `Display` text is not pinned.
    pub rendering_issue: Option<String>,
    /// Where the case comes from.
    pub source: Option<String>,
    /// Anything worth knowing.
    pub notes: Option<String>,
}

impl TestEventPatternCase {
    /// What an error case expects.
    pub fn expected_error(&self) -> Option<ErrorExpectation<'_>> {
        let (r, i) = (&self.rendered, &self.rendering_issue);
        ErrorExpectation::of(&self.error, &self.origin, self.span, r, i)
    }
}

/// Runs an `[[event_case]]`: the reference evaluator and `EventPattern` (`matches`, `is_match`)
/// must give the verdict; an error case must be rejected with the same error by
/// `parse_event_pattern` and `EventPattern::new`.
pub fn run_event_case(report: &mut Report, c: &EventCase) {
    report.cases += 1;
    let name = c.name.as_str();
    let want = c.expected_error();
    let no_error_fields = c.span.is_none() && c.rendered.is_none() && c.rendering_issue.is_none();
    let shape_ok = match (&c.event, c.matches, &want) {
        (Some(_), Some(_), None) => no_error_fields,
        (None, None, Some(want)) => want.consistent(),
        _ => false,
    };
    if !report.check(name, shape_ok, || {
        "an event case has `event` + `matches`, or `error` (+ `span`, `rendered` or \
         `rendering_issue`)"
            .into()
    }) {
        return;
    }
    guarded(report, name, |r| {
        let parsed = trailmatch::parse_event_pattern(&c.pattern);
        let compiled = EventPattern::new(&c.pattern);
        match (want, parsed, compiled) {
            (Some(want), Err(front), Err(e)) => {
                expect_error(r, name, "parse_event_pattern", &front, want);
                r.equal(
                    name,
                    "EventPattern::new gives the parser's error",
                    &e,
                    &front,
                );
                r.equal(name, "origin", &front.origin(), &Origin::EventPattern);
                r.equal(
                    name,
                    "error text is the pattern",
                    &front.text(),
                    &c.pattern.as_str(),
                );
            }
            (Some(want), _, _) => {
                r.fail(name, format!("the pattern is accepted; want {}", want.code))
            }
            (None, Ok(ast), Ok(pattern)) => {
                let (Some(event), Some(matches)) = (&c.event, c.matches) else {
                    return;
                };
                let reference = trailmatch::event::reference::Evaluator::new(&ast);
                r.equal(name, "reference", &reference.matches(event), &matches);
                r.equal(
                    name,
                    "EventPattern::matches",
                    &pattern.matches(event),
                    &matches,
                );
                r.equal(
                    name,
                    "EventPattern::is_match",
                    &pattern.is_match(event),
                    &matches,
                );
            }
            (None, Err(e), _) | (None, _, Err(e)) => {
                r.fail(name, format!("the pattern is rejected:\n{e}"));
            }
        }
    });
}

/// Runs a `[[test_event_pattern]]`.
pub fn run_test_event_pattern_case(report: &mut Report, c: &TestEventPatternCase) {
    report.cases += 1;
    let name = c.name.as_str();
    let want = c.expected_error();
    let shape_ok = match (&c.response, &want) {
        (Some(_), None) => {
            c.origin.is_none()
                && c.span.is_none()
                && c.rendered.is_none()
                && c.rendering_issue.is_none()
        }
        (None, Some(want)) => want.consistent(),
        _ => false,
    };
    if !report.check(name, shape_ok, || {
        "a test_event_pattern case has `response` or `error` (+ `origin`, `span`, `rendered` or \
         `rendering_issue`)"
            .into()
    }) {
        return;
    }
    guarded(report, name, |r| {
        match (trailmatch::test_event_pattern(&c.pattern, &c.event), want) {
            (Ok(answer), None) => {
                let response = c.response.as_deref().unwrap_or_default().trim();
                let got = serde_json::to_string(&answer).unwrap_or_default();
                r.equal(name, "TestEventPattern response", &got.as_str(), &response);
            }
            (Err(e), Some(want)) => expect_error(r, name, "test_event_pattern", &e, want),
            (Ok(answer), Some(want)) => r.fail(
                name,
                format!("test_event_pattern answers {answer:?}; want {}", want.code),
            ),
            (Err(e), None) => r.fail(name, format!("test_event_pattern fails:\n{e}")),
        }
    });
}

/// `[[set_case]]`: `PatternSet::builder().limits(limits).build(patterns)` fails with `error`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCase {
    /// Unique across the corpus.
    pub name: String,
    /// The patterns of the set.
    pub patterns: Vec<String>,
    /// Limits that differ from `Limits::default()`.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// The code of the error.
    pub error: String,
    /// The index of the pattern at fault (absent when the error is about the whole set).
    pub index: Option<usize>,
    /// The error's byte span.
    pub span: Option<[usize; 2]>,
    /// The error's `Display` text.
    pub rendered: Option<String>,
    /// Anything worth knowing.
    pub notes: Option<String>,
}

/// The limits of a set case: every field of [`Limits`], each defaulting to `Limits::default()`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// See [`Limits::max_patterns`].
    pub max_patterns: Option<usize>,
    /// See [`Limits::max_automaton_bytes`].
    pub max_automaton_bytes: Option<usize>,
    /// See [`Limits::max_wildcards_per_selector`].
    pub max_wildcards_per_selector: Option<usize>,
}

impl LimitsSpec {
    /// The limits this spec describes.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        if let Some(n) = self.max_patterns {
            limits.max_patterns = n;
        }
        if let Some(n) = self.max_automaton_bytes {
            limits.max_automaton_bytes = n;
        }
        if let Some(n) = self.max_wildcards_per_selector {
            limits.max_wildcards_per_selector = n;
        }
        limits
    }
}

impl SetCase {
    /// What the case expects.
    pub fn expected_error(&self) -> Option<ErrorExpectation<'_>> {
        Some(ErrorExpectation {
            code: &self.error,
            origin: None,
            span: self.span,
            rendered: self.rendered.as_deref(),
            rendering_issue: None,
        })
    }
}

/// Runs one `[[set_case]]`.
pub fn run_set_case(report: &mut Report, c: &SetCase) {
    report.cases += 1;
    let name = c.name.as_str();
    guarded(report, name, |r| {
        match PatternSet::builder()
            .limits(c.limits.limits())
            .build(&c.patterns)
        {
            Ok(_) => r.fail(name, format!("the set compiles; want {}", c.error)),
            Err(e) => {
                r.equal(name, "SetError index", &e.index, &c.index);
                if let Some(want) = c.expected_error() {
                    expect_error(r, name, "PatternSet::builder().build", &e.error, want);
                }
            }
        }
    });
}

/// `[[case]]`: either `event` + `matches` (+ `extracted`), or `error` (+ `span`, `rendered`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique across the corpus, such as `json/star-prefix-glob`.
    pub name: String,
    /// The filter pattern.
    pub pattern: String,
    /// Dialect switches that differ from `Dialect::default()`.
    #[serde(default)]
    pub dialect: DialectSpec,
    /// The log event.
    pub event: Option<String>,
    /// Whether `event` matches.
    pub matches: Option<bool>,
    /// With `matches = true`: exactly the values the match extracts.
    pub extracted: Option<BTreeMap<String, String>>,
    /// The code of the error the pattern is rejected with.
    pub error: Option<String>,
    /// With `error`: the error's byte span `[start, end]`.
    pub span: Option<[usize; 2]>,
    /// With `error`: the error's `Display` text.
    pub rendered: Option<String>,
    /// With `error` and no `rendered`: why the `Display` text is not pinned (what is wrong with it).
    pub rendering_issue: Option<String>,
    /// Where the case comes from (a URL, a document).
    pub source: Option<String>,
    /// `documented` (AWS says so) or `inferred`.
    pub confidence: Option<String>,
    /// What the expectation rests on (`aws-doc`, `observed`, `derived`, `decision`, …).
    pub basis: Option<String>,
    /// Anything worth knowing.
    pub notes: Option<String>,
}

/// `[[metric_case]]`: `MetricFilter::new(pattern, transformation)` (or
/// `MetricFilter::from_transformations(pattern, transformations)`), then either an error or what
/// `apply(event)` gives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricCase {
    /// Unique across the corpus.
    pub name: String,
    /// The filter pattern (it must be valid).
    pub pattern: String,
    /// Dialect switches that differ from `Dialect::default()`.
    #[serde(default)]
    pub dialect: DialectSpec,
    /// The metric transformation, in the AWS API's JSON shape (`metricName`, `metricValue`, …).
    pub transformation: Option<MetricTransformation>,
    /// Instead of `transformation`: `PutMetricFilter`'s whole `metricTransformations` list.
    pub transformations: Option<Vec<MetricTransformation>>,
    /// An event to apply the filter to.
    pub event: Option<String>,
    /// With `event`: the value the event adds to the metric; absent when it adds nothing.
    pub value: Option<f64>,
    /// With `value`: exactly the dimensions of the datum.
    pub dimensions: Option<BTreeMap<String, String>>,
    /// The code of the error `MetricFilter::new` gives.
    pub error: Option<String>,
    /// With `error`: the request member the error points into (`metricName`, `unit`, …).
    pub origin: Option<String>,
    /// With `error`: the error's byte span in that member's text.
    pub span: Option<[usize; 2]>,
    /// With `error`: the error's `Display` text.
    pub rendered: Option<String>,
    /// With `error` and no `rendered`: why the `Display` text is not pinned.
    pub rendering_issue: Option<String>,
    /// Where the case comes from.
    pub source: Option<String>,
    /// Anything worth knowing.
    pub notes: Option<String>,
}

/// `[[test_metric_filter]]`: `test_metric_filter(pattern, messages)` gives `response` (AWS's JSON,
/// compared as text) or fails with `error`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestMetricFilterCase {
    /// Unique across the corpus.
    pub name: String,
    /// The filter pattern.
    pub pattern: String,
    /// Dialect switches that differ from `Dialect::default()`.
    #[serde(default)]
    pub dialect: DialectSpec,
    /// `logEventMessages`.
    pub messages: Vec<String>,
    /// The answer as AWS prints it: `{"matches":[{"eventNumber":1,…}]}`.
    pub response: Option<String>,
    /// The code of the error.
    pub error: Option<String>,
    /// With `error`: the request member the error points into.
    pub origin: Option<String>,
    /// With `error`: the error's byte span.
    pub span: Option<[usize; 2]>,
    /// With `error`: the error's `Display` text.
    pub rendered: Option<String>,
    /// With `error` and no `rendered`: why the `Display` text is not pinned.
    pub rendering_issue: Option<String>,
    /// Where the case comes from.
    pub source: Option<String>,
    /// Anything worth knowing.
    pub notes: Option<String>,
}

/// The dialect of a case: a table of switch names (`Dialect::SWITCHES`) to values, each switch
/// defaulting to `Dialect::default()`. A name that is no switch, or a value of the wrong kind,
/// makes the case file fail to load.
#[derive(Debug, Default, Deserialize)]
#[serde(try_from = "BTreeMap<String, SwitchSpec>")]
pub struct DialectSpec {
    dialect: Dialect,
}

/// A switch's value as written in a case file: `true`/`false`, or a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SwitchSpec {
    /// An on/off switch.
    Bool(bool),
    /// A numeric switch.
    Number(u32),
}

impl TryFrom<BTreeMap<String, SwitchSpec>> for DialectSpec {
    type Error = trailmatch::SwitchError;

    fn try_from(switches: BTreeMap<String, SwitchSpec>) -> Result<Self, Self::Error> {
        let mut dialect = Dialect::default();
        for (name, value) in switches {
            match value {
                SwitchSpec::Bool(b) => dialect.set(&name, b)?,
                SwitchSpec::Number(n) => dialect.set(&name, n)?,
            }
        }
        Ok(DialectSpec { dialect })
    }
}

impl DialectSpec {
    /// `Dialect::default()` with the switches this spec sets.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

/// What an error case expects.
#[derive(Clone, Copy, Debug)]
pub struct ErrorExpectation<'a> {
    /// The error code.
    pub code: &'a str,
    /// The request member (`filterPattern` when `None` for pattern errors).
    pub origin: Option<&'a str>,
    /// The byte span.
    pub span: Option<[usize; 2]>,
    /// The `Display` text.
    pub rendered: Option<&'a str>,
    /// Why the `Display` text is not pinned.
    pub rendering_issue: Option<&'a str>,
}

impl<'a> ErrorExpectation<'a> {
    /// The expectation of a case whose fields are these (`None` without an error code).
    fn of(
        code: &'a Option<String>,
        origin: &'a Option<String>,
        span: Option<[usize; 2]>,
        rendered: &'a Option<String>,
        rendering_issue: &'a Option<String>,
    ) -> Option<ErrorExpectation<'a>> {
        Some(ErrorExpectation {
            code: code.as_deref()?,
            origin: origin.as_deref(),
            span,
            rendered: rendered.as_deref(),
            rendering_issue: rendering_issue.as_deref(),
        })
    }

    /// A rendering is pinned, or said to be wrong, not both.
    fn consistent(&self) -> bool {
        !(self.rendered.is_some() && self.rendering_issue.is_some())
    }
}

impl Case {
    /// What an error case expects.
    pub fn expected_error(&self) -> Option<ErrorExpectation<'_>> {
        let (r, i) = (&self.rendered, &self.rendering_issue);
        ErrorExpectation::of(&self.error, &None, self.span, r, i)
    }
}

impl MetricCase {
    /// What an error case expects.
    pub fn expected_error(&self) -> Option<ErrorExpectation<'_>> {
        let (r, i) = (&self.rendered, &self.rendering_issue);
        ErrorExpectation::of(&self.error, &self.origin, self.span, r, i)
    }
}

impl TestMetricFilterCase {
    /// What an error case expects.
    pub fn expected_error(&self) -> Option<ErrorExpectation<'_>> {
        let (r, i) = (&self.rendered, &self.rendering_issue);
        ErrorExpectation::of(&self.error, &self.origin, self.span, r, i)
    }
}

// ---- the report --------------------------------------------------------------------------------

/// Outcomes of a run: how many cases and checks ran, and every failure with its case name.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases run.
    pub cases: usize,
    /// Checks made.
    pub checks: usize,
    /// One entry per failed check: `case name: what went wrong`.
    pub failures: Vec<String>,
}

impl Report {
    /// Records a check on `case`; `failure` describes it when `ok` is false.
    pub fn check(&mut self, case: &str, ok: bool, failure: impl FnOnce() -> String) -> bool {
        self.checks += 1;
        if !ok {
            self.fail(case, failure());
        }
        ok
    }

    /// Records a check that failed.
    pub fn fail(&mut self, case: &str, failure: impl Display) {
        self.failures.push(format!("{case}: {failure}"));
    }

    /// Compares two values.
    pub fn equal<T: PartialEq + std::fmt::Debug>(
        &mut self,
        case: &str,
        what: &str,
        got: &T,
        want: &T,
    ) -> bool {
        self.check(case, got == want, || {
            format!("{what}:\n      got:  {got:?}\n      want: {want:?}")
        })
    }

    /// Prints the summary line (`<title>: N cases, M checks`) and every failure; panics when a
    /// check failed.
    pub fn finish(self, title: &str) {
        println!("{title}: {} cases, {} checks", self.cases, self.checks);
        if self.failures.is_empty() {
            return;
        }
        let mut text = String::new();
        for f in &self.failures {
            text.push_str("\n- ");
            text.push_str(&f.replace('\n', "\n  "));
        }
        panic!(
            "{title}: {} of {} checks failed:{text}\n",
            self.failures.len(),
            self.checks
        );
    }
}

// ---- loading -----------------------------------------------------------------------------------

/// Every case file under `dir`, sorted by name, each with its path relative to `dir`. Files that
/// cannot be read or parsed, and anything in `dir` that is not a `.toml` file, are failures.
pub fn load_case_files(dir: &Path, report: &mut Report) -> Vec<(String, CaseFile)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            report.fail(&dir.display().to_string(), format!("cannot read: {e}"));
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let label = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if path.extension().is_none_or(|x| x != "toml") || !path.is_file() {
            report.fail(
                &label,
                "not a .toml case file (case files are cases/*.toml)",
            );
            continue;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                report.fail(&label, format!("cannot read: {e}"));
                continue;
            }
        };
        match toml::from_str::<CaseFile>(&text) {
            Ok(file) => files.push((label, file)),
            Err(e) => report.fail(&label, format!("does not parse:\n{e}")),
        }
    }
    files
}

/// Checks that the corpus holds cases and that no name repeats.
pub fn check_names(files: &[(String, CaseFile)], report: &mut Report) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut total = 0;
    for (file, f) in files {
        let names = f
            .case
            .iter()
            .map(|c| c.name.as_str())
            .chain(f.metric_case.iter().map(|c| c.name.as_str()))
            .chain(f.test_metric_filter.iter().map(|c| c.name.as_str()))
            .chain(f.event_case.iter().map(|c| c.name.as_str()))
            .chain(f.test_event_pattern.iter().map(|c| c.name.as_str()));
        for name in names {
            total += 1;
            if let Some(first) = seen.insert(name, file) {
                report.fail(name, format!("the name is used twice ({first} and {file})"));
            }
            report.checks += 1;
        }
    }
    report.check("corpus", total > 0, || {
        format!("no cases found in {}", cases_dir().display())
    });
}

// ---- running cases -----------------------------------------------------------------------------

/// Runs `f`, turning a panic into a failure of `case`.
pub fn guarded(report: &mut Report, case: &str, f: impl FnOnce(&mut Report)) {
    let mut inner = Report::default();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(&mut inner)));
    report.checks += inner.checks;
    report.failures.append(&mut inner.failures);
    if let Err(payload) = outcome {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        report.fail(case, format!("panicked: {message}"));
    }
}

/// Runs a `[[case]]`.
pub fn run_case(report: &mut Report, c: &Case) {
    report.cases += 1;
    let name = c.name.as_str();
    let want = c.expected_error();
    let no_error_fields = c.span.is_none() && c.rendered.is_none() && c.rendering_issue.is_none();
    let shape_ok = match (&c.event, c.matches, &want) {
        (Some(_), Some(matches), None) => no_error_fields && (c.extracted.is_none() || matches),
        (None, None, Some(want)) => c.extracted.is_none() && want.consistent(),
        _ => false,
    };
    if !report.check(name, shape_ok, || {
        "a case has `event` + `matches` (+ `extracted` when it matches) or `error` (+ `span`, \
         `rendered` or `rendering_issue`)"
            .into()
    }) {
        return;
    }
    let dialect = c.dialect.dialect();
    if let Some(want) = want {
        guarded(report, name, |r| {
            run_rejection(r, name, &c.pattern, dialect, want)
        });
    } else if let (Some(event), Some(matches)) = (&c.event, c.matches) {
        guarded(report, name, |r| {
            let extracted = c.extracted.as_ref();
            run_match(r, name, &c.pattern, dialect, event, matches, extracted);
        });
    }
}

/// A match case: the reference evaluator, `Pattern` (`test`, `matches`, `is_match`, and built by
/// `PatternBuilder`), a one-pattern `PatternSet` (`matches`, `is_match`, `test`) and the
/// canonical form must all give the expected verdict and values.
pub fn run_match(
    r: &mut Report,
    name: &str,
    pattern: &str,
    dialect: Dialect,
    event: &str,
    matches: bool,
    extracted: Option<&BTreeMap<String, String>>,
) {
    // (a) the reference evaluator.
    let evaluator = trailmatch::parse_with(pattern, &dialect)
        .and_then(|ast| Evaluator::new(ast, pattern, dialect));
    let evaluator = match evaluator {
        Ok(e) => e,
        Err(e) => return r.fail(name, format!("reference: the pattern is rejected:\n{e}")),
    };
    let reference = evaluator.test(event);
    expect_verdict(r, name, "reference", reference.as_ref(), matches, extracted);

    // (b) Pattern.
    let compiled = match Pattern::with_dialect(pattern, dialect) {
        Ok(p) => p,
        Err(e) => return r.fail(name, format!("Pattern: the pattern is rejected:\n{e}")),
    };
    let got = compiled.test(event);
    expect_verdict(r, name, "Pattern::test", got.as_ref(), matches, extracted);
    r.equal(
        name,
        "Pattern::test agrees with the reference",
        &got,
        &reference,
    );
    r.equal(name, "Pattern::matches", &compiled.matches(event), &matches);
    r.equal(
        name,
        "Pattern::is_match",
        &compiled.is_match(event),
        &matches,
    );
    match PatternBuilder::new().dialect(dialect).build(pattern) {
        Ok(built) => r.equal(
            name,
            "PatternBuilder::build(..).test",
            &built.test(event),
            &reference,
        ),
        Err(e) => {
            return r.fail(
                name,
                format!("PatternBuilder: the pattern is rejected:\n{e}"),
            );
        }
    };

    // (c) a one-pattern set.
    match PatternSet::with_dialect([pattern], dialect) {
        Ok(set) => {
            let want: Vec<usize> = if matches { vec![0] } else { Vec::new() };
            r.equal(name, "PatternSet::matches", &set.matches(event), &want);
            r.equal(name, "PatternSet::is_match", &set.is_match(event), &matches);
            let want: Vec<(usize, Extracted)> = reference.iter().map(|x| (0, x.clone())).collect();
            r.equal(name, "PatternSet::test", &set.test(event), &want);
        }
        Err(e) => r.fail(name, format!("PatternSet: the pattern is rejected:\n{e}")),
    }

    // (d) the canonical form parses back to itself and gives the same answer.
    let printed = compiled.to_string();
    match Pattern::with_dialect(&printed, dialect) {
        Ok(again) => {
            r.equal(
                name,
                &format!("printing the canonical form {printed:?} again"),
                &again.to_string(),
                &printed,
            );
            r.equal(
                name,
                &format!("the canonical form {printed:?} on the event"),
                &again.test(event),
                &reference,
            );
        }
        Err(e) => r.fail(
            name,
            format!("the canonical form {printed:?} is rejected:\n{e}"),
        ),
    }
}

fn expect_verdict(
    r: &mut Report,
    name: &str,
    engine: &str,
    got: Option<&Extracted>,
    matches: bool,
    extracted: Option<&BTreeMap<String, String>>,
) {
    r.check(name, got.is_some() == matches, || {
        format!(
            "{engine}: expected {}, got {}",
            if matches { "a match" } else { "no match" },
            if got.is_some() { "a match" } else { "no match" },
        )
    });
    if let (Some(got), Some(want)) = (got, extracted) {
        let got_map: BTreeMap<String, String> = got
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        r.check(name, got_map == *want && got_map.len() == got.len(), || {
            format!("{engine}: extracted values\n      got:  {got_map:?}\n      want: {want:?}")
        });
    }
}

/// An error case: the front end (`parse_with`, then `Evaluator::new` for what only compiling
/// finds), `Pattern::new`, `PatternBuilder` and `PatternSet::new` must all reject the pattern with the same error.
pub fn run_rejection(
    r: &mut Report,
    name: &str,
    pattern: &str,
    dialect: Dialect,
    want: ErrorExpectation<'_>,
) {
    let front = match trailmatch::parse_with(pattern, &dialect) {
        Err(e) => Some(e),
        Ok(ast) => Evaluator::new(ast, pattern, dialect).err(),
    };
    let Some(front) = front else {
        return r.fail(
            name,
            format!(
                "parse_with + Evaluator::new accept the pattern; want {}",
                want.code
            ),
        );
    };
    expect_error(r, name, "parse_with", &front, want);
    r.equal(
        name,
        "parse_with: error text is the pattern",
        &front.text(),
        &pattern,
    );
    r.equal(
        name,
        "parse_with: origin",
        &front.origin(),
        &Origin::FilterPattern,
    );

    let compiled = if dialect == Dialect::default() {
        Pattern::new(pattern)
    } else {
        Pattern::with_dialect(pattern, dialect)
    };
    match compiled {
        Ok(_) => r.fail(
            name,
            format!("Pattern::new accepts the pattern; want {}", want.code),
        ),
        Err(e) => {
            expect_error(r, name, "Pattern::new", &e, want);
            r.equal(name, "Pattern::new gives the parser's error", &e, &front);
        }
    }

    match PatternBuilder::new().dialect(dialect).build(pattern) {
        Ok(_) => r.fail(
            name,
            format!("PatternBuilder accepts the pattern; want {}", want.code),
        ),
        Err(e) => {
            r.equal(name, "PatternBuilder gives the parser's error", &e, &front);
        }
    }

    match PatternSet::with_dialect([pattern], dialect) {
        Ok(_) => r.fail(
            name,
            format!("PatternSet::new accepts the pattern; want {}", want.code),
        ),
        Err(e) => {
            r.equal(name, "PatternSet::new: index", &e.index, &Some(0));
            r.equal(
                name,
                "PatternSet::new gives the parser's error",
                &e.error,
                &front,
            );
        }
    }
}

/// Checks an error against what the case expects.
pub fn expect_error(r: &mut Report, name: &str, who: &str, e: &Error, want: ErrorExpectation<'_>) {
    r.check(name, e.code() == want.code, || {
        format!("{who}: error code {}, want {}\n{e}", e.code(), want.code)
    });
    if let Some(origin) = want.origin {
        r.equal(
            name,
            &format!("{who}: origin"),
            &e.origin().as_str(),
            &origin,
        );
    }
    if let Some([start, end]) = want.span {
        let got = [e.span().start, e.span().end];
        r.check(name, got == [start, end], || {
            format!("{who}: span {got:?}, want {:?}\n{e}", [start, end])
        });
    }
    if let Some(rendered) = want.rendered {
        let want_text = rendered.strip_suffix('\n').unwrap_or(rendered);
        let got = e.to_string();
        r.check(name, got == want_text, || {
            format!("{who}: rendered\n--- got:\n{got}\n--- want:\n{want_text}\n---")
        });
    }
}

/// Runs a `[[metric_case]]`.
pub fn run_metric_case(report: &mut Report, c: &MetricCase) {
    report.cases += 1;
    let name = c.name.as_str();
    let want = c.expected_error();
    let shape_ok = match &want {
        Some(want) => {
            want.consistent() && c.event.is_none() && c.value.is_none() && c.dimensions.is_none()
        }
        None => {
            c.origin.is_none()
                && c.span.is_none()
                && c.rendered.is_none()
                && c.rendering_issue.is_none()
                && (c.event.is_some() || c.value.is_none())
                && (c.value.is_some() || c.dimensions.is_none())
        }
    };
    let shape_ok = shape_ok && c.transformation.is_some() != c.transformations.is_some();
    if !report.check(name, shape_ok, || {
        "a metric case has `transformation` or `transformations`, and `error` (+ `origin`, \
         `span`, `rendered` or `rendering_issue`), or an optional `event` with `value` \
         (+ `dimensions`) when it contributes"
            .into()
    }) {
        return;
    }
    guarded(report, name, |r| {
        let pattern = match Pattern::with_dialect(&c.pattern, c.dialect.dialect()) {
            Ok(p) => p,
            Err(e) => return r.fail(name, format!("the pattern is rejected:\n{e}")),
        };
        let all: Vec<&MetricTransformation> = c
            .transformation
            .iter()
            .chain(c.transformations.iter().flatten())
            .collect();
        // Transformations read and write AWS's JSON shape (which has no NaN or infinity).
        for t in all
            .into_iter()
            .filter(|t| t.default_value.is_none_or(f64::is_finite))
        {
            let json = serde_json::to_string(t).unwrap_or_default();
            let back = serde_json::from_str::<MetricTransformation>(&json).ok();
            r.equal(
                name,
                &format!("the transformation through JSON {json}"),
                &back.as_ref(),
                &Some(t),
            );
        }
        let filter = match (&c.transformation, &c.transformations) {
            (Some(t), _) => MetricFilter::new(pattern, t.clone()),
            (None, list) => {
                MetricFilter::from_transformations(pattern, list.clone().unwrap_or_default())
            }
        };
        match (filter, want) {
            (Err(e), Some(want)) => expect_error(r, name, "MetricFilter::new", &e, want),
            (Err(e), None) => r.fail(name, format!("MetricFilter::new rejects it:\n{e}")),
            (Ok(_), Some(want)) => {
                let code = want.code;
                r.fail(name, format!("MetricFilter::new accepts it; want {code}"));
            }
            (Ok(filter), None) => {
                let Some(event) = &c.event else { return };
                let datum = filter.apply(event);
                let got = datum.as_ref().map(|d| d.value);
                r.equal(name, "MetricFilter::apply: value", &got, &c.value);
                if let (Some(datum), Some(want)) = (&datum, &c.dimensions) {
                    r.equal(
                        name,
                        "MetricFilter::apply: dimensions",
                        &datum.dimensions,
                        want,
                    );
                }
            }
        }
    });
}

/// Runs a `[[test_metric_filter]]`.
pub fn run_test_metric_filter_case(report: &mut Report, c: &TestMetricFilterCase) {
    report.cases += 1;
    let name = c.name.as_str();
    let want = c.expected_error();
    let shape_ok = match (&c.response, &want) {
        (Some(_), None) => {
            c.origin.is_none()
                && c.span.is_none()
                && c.rendered.is_none()
                && c.rendering_issue.is_none()
        }
        (None, Some(want)) => want.consistent(),
        _ => false,
    };
    if !report.check(name, shape_ok, || {
        "a test_metric_filter case has `response` or `error` (+ `origin`, `span`, `rendered` or \
         `rendering_issue`)"
            .into()
    }) {
        return;
    }
    guarded(report, name, |r| {
        let answer = trailmatch::metric::test_metric_filter_with(
            &c.pattern,
            &c.messages,
            c.dialect.dialect(),
        );
        match (answer, want) {
            (Ok(answer), None) => {
                let response = c.response.as_deref().unwrap_or_default();
                let got = serde_json::to_string(&answer).unwrap_or_default();
                r.equal(
                    name,
                    "TestMetricFilter response",
                    &got.as_str(),
                    &response.trim(),
                );
                let back = serde_json::from_str::<TestMetricFilterResponse>(response.trim());
                r.equal(
                    name,
                    "the response read back from JSON",
                    &back.ok().as_ref(),
                    &Some(&answer),
                );
            }
            (Err(e), Some(want)) => expect_error(r, name, "test_metric_filter", &e, want),
            (Ok(answer), Some(want)) => r.fail(
                name,
                format!(
                    "test_metric_filter answers {}; want {}",
                    serde_json::to_string(&answer).unwrap_or_default(),
                    want.code
                ),
            ),
            (Err(e), None) => r.fail(name, format!("test_metric_filter fails:\n{e}")),
        }
    });
}

impl CaseFile {
    /// The name and expectation of every error case, of every table.
    pub fn error_cases(&self) -> Vec<(&str, ErrorExpectation<'_>)> {
        let cases = (self.case.iter()).filter_map(|c| Some((c.name.as_str(), c.expected_error()?)));
        let metric =
            (self.metric_case.iter()).filter_map(|c| Some((c.name.as_str(), c.expected_error()?)));
        let tmf = (self.test_metric_filter.iter())
            .filter_map(|c| Some((c.name.as_str(), c.expected_error()?)));
        let sets =
            (self.set_case.iter()).filter_map(|c| Some((c.name.as_str(), c.expected_error()?)));
        let events =
            (self.event_case.iter()).filter_map(|c| Some((c.name.as_str(), c.expected_error()?)));
        let tep = (self.test_event_pattern.iter())
            .filter_map(|c| Some((c.name.as_str(), c.expected_error()?)));
        cases
            .chain(metric)
            .chain(tmf)
            .chain(sets)
            .chain(events)
            .chain(tep)
            .collect()
    }
}

// ---- the third-party corpus --------------------------------------------------------------------

/// One line of `corpus/real-patterns.jsonl`.
#[derive(Debug, Deserialize)]
pub struct RealPattern {
    /// The filter pattern, exactly as found.
    pub pattern: String,
    /// The filter's name where it was found, if it has one.
    pub name: Option<String>,
    /// Where it was first seen.
    pub source: String,
    /// `cloudtrail`, `lambda`, `vpcflow` or `other`.
    pub log_type: String,
    /// Set when the pattern looks malformed or unusual.
    pub notes: Option<String>,
}

/// `corpus/real-patterns-expected.toml`: the real patterns trailmatch rejects, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailures {
    /// One entry per rejected pattern.
    pub failure: Vec<ExpectedFailure>,
}

/// A real pattern that must be rejected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    /// The pattern, exactly as in `real-patterns.jsonl`.
    pub pattern: String,
    /// The error code.
    pub code: String,
    /// Why rejecting it is right.
    pub why: String,
}

/// Reads a JSON-lines file into `T`s; a line that does not parse is an error naming the line.
pub fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))
        })
        .collect()
}

/// Every CloudTrail record of `corpus/cloudtrail/*.jsonl` as its JSON text, labelled
/// `file:line`.
pub fn cloudtrail_events() -> Result<Vec<(String, String)>, String> {
    let dir = corpus_dir().join("cloudtrail");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    paths.sort();
    let mut events = Vec::new();
    for path in paths {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        for (n, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                events.push((format!("{file}:{}", n + 1), line.to_owned()));
            }
        }
    }
    Ok(events)
}
