//! CloudWatch metric alarms outside AWS: the alarm as `PutMetricAlarm` takes it
//! ([`AlarmDef`]), its evaluation over a metric series with CloudWatch's rules ([`Alarm`]), and
//! the SNS message CloudWatch publishes when its state changes ([`notification`]).
//!
//! ```
//! use trailmatch_cloudtrail::alarm::{Alarm, AlarmDef, State};
//! use trailmatch_cloudtrail::series::{Series, Statistics};
//! use trailmatch_cloudtrail::time;
//!
//! let def: AlarmDef = serde_json::from_str(r#"{
//!     "AlarmName": "root-login",
//!     "MetricName": "RootAccountUsage",
//!     "Namespace": "CloudTrailMetrics",
//!     "Statistic": "Sum",
//!     "Period": 300,
//!     "EvaluationPeriods": 1,
//!     "Threshold": 1.0,
//!     "ComparisonOperator": "GreaterThanOrEqualToThreshold",
//!     "TreatMissingData": "notBreaching"
//! }"#)?;
//! let alarm = Alarm::new(&def)?;
//!
//! // One root login at 03:31: the per-minute metric the alarm watches.
//! let at = time::parse("2024-11-26T03:31:00Z").unwrap_or_default();
//! let mut minutes = Series::new();
//! minutes.insert(at, Statistics::single(1.0));
//!
//! let start = time::parse("2024-11-26T03:00:00Z").unwrap_or_default();
//! let end = time::parse("2024-11-26T04:00:00Z").unwrap_or_default();
//! let run = alarm.evaluate(&minutes, start..end);
//! let states: Vec<_> = run.transitions.iter().map(|t| (time::format_seconds(t.time_ms), t.to)).collect();
//! assert_eq!(states, [
//!     ("2024-11-26T03:05:00Z".to_string(), State::Ok),
//!     ("2024-11-26T03:35:00Z".to_string(), State::Alarm),
//!     // CloudWatch looks back over more periods than EvaluationPeriods (here 3), so the
//!     // 03:30 datapoint is seen until the evaluation at 03:45.
//!     ("2024-11-26T03:50:00Z".to_string(), State::Ok),
//! ]);
//! assert_eq!(
//!     run.transitions[1].reason,
//!     "Threshold Crossed: 1 datapoint [1.0 (26/11/24 03:30:00)] was greater than or equal to the threshold (1.0)."
//! );
//! assert_eq!(run.final_state, State::Ok);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What is not evaluated is refused by [`AlarmDef::validate`] with an "unsupported" error rather
//! than evaluated wrongly: percentile statistics (`ExtendedStatistic`), anomaly-detection
//! operators and metric-math alarms (`Metrics`, `ThresholdMetricId`).

mod eval;
mod notify;
/// The `PutMetricAlarm` members an alarm's properties are read into.
pub const ALARM_PROPERTIES: &[&str] = &[
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
];

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::series::Statistic;
use trailmatch::metric::UNITS;

pub use eval::{Alarm, Datapoint, EvaluateOptions, Evaluation, MAX_EXTRA_PERIODS, Transition};
pub use notify::{NotificationContext, notification, notification_text, region_name};

/// A metric alarm as `PutMetricAlarm` takes it and `DescribeAlarms` returns it, with the API's
/// member names (`aws cloudwatch describe-alarms` output and `PutMetricAlarm` JSON load
/// directly; members this crate does not use, such as `AlarmArn` or `StateValue`, are ignored).
///
/// Enumerated members are kept as the text given, so that [`AlarmDef::validate`] can say which
/// member is wrong and what it expected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlarmDef {
    /// The alarm's name, 1 to 255 characters, no ASCII control characters.
    pub alarm_name: String,
    /// Up to 1024 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_description: Option<String>,
    /// Whether actions run on state changes (default true). Evaluation ignores it.
    #[serde(default = "yes")]
    pub actions_enabled: bool,
    /// Actions (ARNs) for transitions to `OK`, at most 5.
    #[serde(default, rename = "OKActions", skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<String>,
    /// Actions (ARNs) for transitions to `ALARM`, at most 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<String>,
    /// Actions (ARNs) for transitions to `INSUFFICIENT_DATA`, at most 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_data_actions: Vec<String>,
    /// The metric's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    /// The metric's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `SampleCount`, `Average`, `Sum`, `Minimum` or `Maximum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    /// A percentile or other extended statistic (`p99`): not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_statistic: Option<String>,
    /// The metric's dimensions, at most 30.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
    /// Seconds per datapoint: 10, 20, 30 or a multiple of 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,
    /// The metric's unit (a CloudWatch standard unit). The series given to the evaluation is
    /// taken to be in this unit already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// N: how many of the most recent datapoints are evaluated.
    pub evaluation_periods: i64,
    /// M: how many of them must breach for `ALARM` (default N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<i64>,
    /// The value the statistic is compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// `GreaterThanOrEqualToThreshold`, `GreaterThanThreshold`, `LessThanThreshold` or
    /// `LessThanOrEqualToThreshold`.
    pub comparison_operator: String,
    /// `missing` (the default), `notBreaching`, `breaching` or `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<String>,
    /// `evaluate` or `ignore`; used by percentile alarms only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// Metric-math queries: not supported (kept only to be refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<serde_json::Value>,
    /// The anomaly-detection band an alarm compares with: not supported (kept only to be
    /// refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_metric_id: Option<String>,
    /// Tags, as `PutMetricAlarm` takes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

fn yes() -> bool {
    true
}

/// One metric dimension (`{"Name": …, "Value": …}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// 1 to 255 characters.
    pub name: String,
    /// 1 to 1024 characters.
    pub value: String,
}

/// One tag (`{"Key": …, "Value": …}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// 1 to 128 characters.
    pub key: String,
    /// 0 to 256 characters.
    pub value: String,
}

/// An alarm's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    /// `OK`: within the threshold.
    #[serde(rename = "OK")]
    Ok,
    /// `ALARM`: outside the threshold.
    #[serde(rename = "ALARM")]
    Alarm,
    /// `INSUFFICIENT_DATA`: the state of a new alarm, and of one whose data is missing.
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl State {
    /// The API name (`OK`, `ALARM`, `INSUFFICIENT_DATA`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Alarm => "ALARM",
            State::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The comparisons a static-threshold alarm can make (the statistic is the left operand).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComparisonOperator {
    /// `value >= threshold`.
    GreaterThanOrEqualToThreshold,
    /// `value > threshold`.
    GreaterThanThreshold,
    /// `value < threshold`.
    LessThanThreshold,
    /// `value <= threshold`.
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    /// Every operator, in the API's order.
    pub const ALL: [ComparisonOperator; 4] = [
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        ComparisonOperator::GreaterThanThreshold,
        ComparisonOperator::LessThanThreshold,
        ComparisonOperator::LessThanOrEqualToThreshold,
    ];

    /// The API name.
    pub fn name(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            ComparisonOperator::GreaterThanThreshold => "GreaterThanThreshold",
            ComparisonOperator::LessThanThreshold => "LessThanThreshold",
            ComparisonOperator::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    /// The operator with this API name.
    pub fn from_name(name: &str) -> Option<ComparisonOperator> {
        ComparisonOperator::ALL
            .into_iter()
            .find(|op| op.name() == name)
    }

    /// True when `value` breaches `threshold` (a NaN never does).
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// The words of CloudWatch's state reasons (`greater than or equal to`).
    pub fn words(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
            ComparisonOperator::GreaterThanThreshold => "greater than",
            ComparisonOperator::LessThanThreshold => "less than",
            ComparisonOperator::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

/// The anomaly-detection operators `PutMetricAlarm` accepts and this crate does not evaluate.
const ANOMALY_OPERATORS: [&str; 3] = [
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

/// How an alarm treats periods with no datapoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TreatMissingData {
    /// `missing` (the default): only real datapoints count; with none, `INSUFFICIENT_DATA`.
    Missing,
    /// `notBreaching`: a missing datapoint counts as within the threshold.
    NotBreaching,
    /// `breaching`: a missing datapoint counts as breaching.
    Breaching,
    /// `ignore`: the current state is kept when the datapoints cannot decide it.
    Ignore,
}

impl TreatMissingData {
    /// Every treatment.
    pub const ALL: [TreatMissingData; 4] = [
        TreatMissingData::Missing,
        TreatMissingData::NotBreaching,
        TreatMissingData::Breaching,
        TreatMissingData::Ignore,
    ];

    /// The API name (`notBreaching`, …).
    pub fn name(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::NotBreaching => "notBreaching",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::Ignore => "ignore",
        }
    }

    /// The treatment with this API name.
    pub fn from_name(name: &str) -> Option<TreatMissingData> {
        TreatMissingData::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// What was wrong with an alarm definition. The codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlarmErrorKind {
    /// A required member is absent: no `Period`, no `Threshold`, no `MetricName`, no
    /// `Statistic` nor `ExtendedStatistic`.
    MissingField,
    /// A text is shorter or longer than allowed: an empty `AlarmName`, a 256-character one.
    InvalidLength,
    /// A list is longer than allowed: six `AlarmActions`, 31 `Dimensions`.
    TooManyItems,
    /// An `AlarmName` with an ASCII control character (`"a\u{7}b"`).
    InvalidCharacters,
    /// A value outside the allowed set: `"Statistic": "Median"`,
    /// `"ComparisonOperator": "Above"`, `"TreatMissingData": "zero"`, `"Unit": "Apples"`, a
    /// `Namespace` starting with `:`.
    InvalidValue,
    /// `Period` other than 10, 20, 30 or a multiple of 60: `"Period": 45`.
    InvalidPeriod,
    /// A count below its minimum: `"EvaluationPeriods": 0`, `"DatapointsToAlarm": 0`.
    OutOfRange,
    /// `DatapointsToAlarm` greater than `EvaluationPeriods`.
    DatapointsExceedEvaluationPeriods,
    /// `Period × EvaluationPeriods` over one day (periods under an hour) or seven days.
    EvaluationTooLong,
    /// Both `Statistic` and `ExtendedStatistic`.
    ConflictingStatistics,
    /// `ExtendedStatistic` (`p99`, `tm90`, …): percentiles are not evaluated.
    UnsupportedExtendedStatistic,
    /// An anomaly-detection alarm: `LessThanLowerOrGreaterThanUpperThreshold` and the other
    /// band operators, or `ThresholdMetricId`.
    UnsupportedAnomalyDetection,
    /// A metric-math alarm (`Metrics`).
    UnsupportedMetricMath,
    /// Text that is not an alarm definition in JSON.
    InvalidJson,
}

impl AlarmErrorKind {
    /// The stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            AlarmErrorKind::MissingField => "missing-field",
            AlarmErrorKind::InvalidLength => "invalid-length",
            AlarmErrorKind::TooManyItems => "too-many-items",
            AlarmErrorKind::InvalidCharacters => "invalid-characters",
            AlarmErrorKind::InvalidValue => "invalid-value",
            AlarmErrorKind::InvalidPeriod => "invalid-period",
            AlarmErrorKind::OutOfRange => "out-of-range",
            AlarmErrorKind::DatapointsExceedEvaluationPeriods => {
                "datapoints-exceed-evaluation-periods"
            }
            AlarmErrorKind::EvaluationTooLong => "evaluation-too-long",
            AlarmErrorKind::ConflictingStatistics => "conflicting-statistics",
            AlarmErrorKind::UnsupportedExtendedStatistic => "unsupported-extended-statistic",
            AlarmErrorKind::UnsupportedAnomalyDetection => "unsupported-anomaly-detection",
            AlarmErrorKind::UnsupportedMetricMath => "unsupported-metric-math",
            AlarmErrorKind::InvalidJson => "invalid-json",
        }
    }
}

/// An alarm definition rejected: what ([`AlarmErrorKind`]), which member, and what was
/// expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmError {
    kind: AlarmErrorKind,
    field: String,
    message: String,
}

impl AlarmError {
    fn new(kind: AlarmErrorKind, field: impl Into<String>, message: impl Into<String>) -> Self {
        AlarmError {
            kind,
            field: field.into(),
            message: message.into(),
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> AlarmErrorKind {
        self.kind
    }

    /// The stable kebab-case code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The member at fault, in the API's spelling (`Period`, `Dimensions[2].Value`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What was found and what was expected.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for AlarmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.field, self.message, self.code())
    }
}

impl std::error::Error for AlarmError {}

/// The statistic an alarm evaluates, with its API names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rule {
    pub(crate) statistic: Statistic,
    pub(crate) period_s: i64,
    pub(crate) evaluation_periods: usize,
    pub(crate) datapoints_to_alarm: usize,
    /// Whether `DatapointsToAlarm` was given (it selects the wording of reasons).
    pub(crate) explicit_m: bool,
    pub(crate) threshold: f64,
    pub(crate) operator: ComparisonOperator,
    pub(crate) treat_missing: TreatMissingData,
}

/// Character count, as the API's length constraints count.
fn chars(text: &str) -> usize {
    text.chars().count()
}

fn length(field: &str, text: &str, min: usize, max: usize) -> Result<(), AlarmError> {
    let n = chars(text);
    if n < min || n > max {
        return Err(AlarmError::new(
            AlarmErrorKind::InvalidLength,
            field,
            format!("expected {min} to {max} characters, found {n}"),
        ));
    }
    Ok(())
}

fn required<'a, T>(field: &str, value: Option<&'a T>, what: &str) -> Result<&'a T, AlarmError> {
    value.ok_or_else(|| {
        AlarmError::new(
            AlarmErrorKind::MissingField,
            field,
            format!("expected {what}, found nothing"),
        )
    })
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), AlarmError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(AlarmError::new(
        AlarmErrorKind::InvalidValue,
        field,
        format!("expected one of {}, found \"{value}\"", allowed.join(", ")),
    ))
}

fn actions(field: &str, list: &[String]) -> Result<(), AlarmError> {
    if list.len() > 5 {
        return Err(AlarmError::new(
            AlarmErrorKind::TooManyItems,
            field,
            format!("expected at most 5 actions, found {}", list.len()),
        ));
    }
    for (i, arn) in list.iter().enumerate() {
        length(&format!("{field}[{i}]"), arn, 1, 1024)?;
    }
    Ok(())
}

/// The longest evaluation (`Period × EvaluationPeriods`, seconds): seven days, or one day for
/// periods under an hour.
fn max_evaluation_s(period_s: i64) -> i64 {
    if period_s < 3_600 { 86_400 } else { 604_800 }
}

impl AlarmDef {
    /// The actions CloudWatch runs when the alarm goes into `state`: `OKActions`,
    /// `AlarmActions` or `InsufficientDataActions`, or none when `ActionsEnabled` is false.
    pub fn actions_for(&self, state: State) -> &[String] {
        if !self.actions_enabled {
            return &[];
        }
        match state {
            State::Ok => &self.ok_actions,
            State::Alarm => &self.alarm_actions,
            State::InsufficientData => &self.insufficient_data_actions,
        }
    }

    /// Checks the definition with `PutMetricAlarm`'s rules (CloudWatch API Reference,
    /// `PutMetricAlarm` and `MetricAlarm`; CloudWatch User Guide, "Using Amazon CloudWatch
    /// alarms"), and refuses what this crate cannot evaluate:
    ///
    /// * `AlarmName` 1–255 characters without ASCII control characters; `AlarmDescription` at
    ///   most 1024; at most 5 actions per state, each 1–1024 characters;
    /// * `MetricName` and `Namespace` 1–255 characters, the namespace not starting with `:`;
    ///   at most 30 `Dimensions`, names 1–255 and values 1–1024 characters;
    /// * exactly one of `Statistic` (one of the five simple statistics) and
    ///   `ExtendedStatistic` — and the latter is refused as unsupported;
    /// * `Period` 10, 20, 30 or a multiple of 60; `EvaluationPeriods` ≥ 1; 1 ≤
    ///   `DatapointsToAlarm` ≤ `EvaluationPeriods`; `Period × EvaluationPeriods` at most
    ///   604,800 s, and at most 86,400 s when `Period` is under 3,600 s;
    /// * `Threshold` present; `ComparisonOperator` one of the four static ones (the three
    ///   anomaly-band ones, and `ThresholdMetricId`, are refused as unsupported; so is
    ///   `Metrics`, metric math);
    /// * `Unit` a standard unit; `TreatMissingData` one of `breaching`, `notBreaching`,
    ///   `ignore`, `missing`; `EvaluateLowSampleCountPercentile` `evaluate` or `ignore`; tag
    ///   keys 1–128 and values at most 256 characters.
    pub fn validate(&self) -> Result<(), AlarmError> {
        self.rule().map(|_| ())
    }

    /// The validated rule the evaluation applies.
    pub(crate) fn rule(&self) -> Result<Rule, AlarmError> {
        length("AlarmName", &self.alarm_name, 1, 255)?;
        if self.alarm_name.chars().any(|c| c.is_ascii_control()) {
            return Err(AlarmError::new(
                AlarmErrorKind::InvalidCharacters,
                "AlarmName",
                "expected a name without ASCII control characters",
            ));
        }
        if let Some(description) = &self.alarm_description {
            length("AlarmDescription", description, 0, 1024)?;
        }
        actions("OKActions", &self.ok_actions)?;
        actions("AlarmActions", &self.alarm_actions)?;
        actions("InsufficientDataActions", &self.insufficient_data_actions)?;
        for (i, tag) in self.tags.iter().enumerate() {
            length(&format!("Tags[{i}].Key"), &tag.key, 1, 128)?;
            length(&format!("Tags[{i}].Value"), &tag.value, 0, 256)?;
        }

        if self.metrics.is_some() {
            return Err(AlarmError::new(
                AlarmErrorKind::UnsupportedMetricMath,
                "Metrics",
                "metric-math alarms are not supported; expected MetricName, Namespace, \
                 Statistic and Period instead",
            ));
        }
        if ANOMALY_OPERATORS.contains(&self.comparison_operator.as_str()) {
            return Err(AlarmError::new(
                AlarmErrorKind::UnsupportedAnomalyDetection,
                "ComparisonOperator",
                format!(
                    "anomaly-detection alarms are not supported; expected one of {}, found \"{}\"",
                    static_operators(),
                    self.comparison_operator
                ),
            ));
        }
        if self.threshold_metric_id.is_some() {
            return Err(AlarmError::new(
                AlarmErrorKind::UnsupportedAnomalyDetection,
                "ThresholdMetricId",
                "anomaly-detection alarms are not supported; expected a static Threshold",
            ));
        }

        let metric_name = required("MetricName", self.metric_name.as_ref(), "a metric name")?;
        length("MetricName", metric_name, 1, 255)?;
        let namespace = required("Namespace", self.namespace.as_ref(), "a namespace")?;
        length("Namespace", namespace, 1, 255)?;
        if namespace.starts_with(':') {
            return Err(AlarmError::new(
                AlarmErrorKind::InvalidValue,
                "Namespace",
                "expected a namespace not starting with ':'",
            ));
        }
        if self.dimensions.len() > 30 {
            return Err(AlarmError::new(
                AlarmErrorKind::TooManyItems,
                "Dimensions",
                format!(
                    "expected at most 30 dimensions, found {}",
                    self.dimensions.len()
                ),
            ));
        }
        for (i, d) in self.dimensions.iter().enumerate() {
            length(&format!("Dimensions[{i}].Name"), &d.name, 1, 255)?;
            length(&format!("Dimensions[{i}].Value"), &d.value, 1, 1024)?;
        }

        let statistic = match (&self.statistic, &self.extended_statistic) {
            (Some(_), Some(_)) => {
                return Err(AlarmError::new(
                    AlarmErrorKind::ConflictingStatistics,
                    "ExtendedStatistic",
                    "expected exactly one of Statistic and ExtendedStatistic, found both",
                ));
            }
            (None, Some(extended)) => {
                return Err(AlarmError::new(
                    AlarmErrorKind::UnsupportedExtendedStatistic,
                    "ExtendedStatistic",
                    format!(
                        "percentile statistics are not supported; expected Statistic \
                         (SampleCount, Average, Sum, Minimum or Maximum), found \"{extended}\""
                    ),
                ));
            }
            (None, None) => {
                return Err(AlarmError::new(
                    AlarmErrorKind::MissingField,
                    "Statistic",
                    "expected one of Statistic and ExtendedStatistic, found neither",
                ));
            }
            (Some(name), None) => Statistic::from_name(name).ok_or_else(|| {
                AlarmError::new(
                    AlarmErrorKind::InvalidValue,
                    "Statistic",
                    format!(
                        "expected one of SampleCount, Average, Sum, Minimum, Maximum, found \
                         \"{name}\""
                    ),
                )
            })?,
        };

        let period_s = *required("Period", self.period.as_ref(), "a period in seconds")?;
        if !(matches!(period_s, 10 | 20 | 30) || (period_s > 0 && period_s % 60 == 0)) {
            return Err(AlarmError::new(
                AlarmErrorKind::InvalidPeriod,
                "Period",
                format!("expected 10, 20, 30 or a multiple of 60 seconds, found {period_s}"),
            ));
        }
        if self.evaluation_periods < 1 {
            return Err(AlarmError::new(
                AlarmErrorKind::OutOfRange,
                "EvaluationPeriods",
                format!("expected at least 1, found {}", self.evaluation_periods),
            ));
        }
        let n = self.evaluation_periods;
        let m = self.datapoints_to_alarm.unwrap_or(n);
        if m < 1 {
            return Err(AlarmError::new(
                AlarmErrorKind::OutOfRange,
                "DatapointsToAlarm",
                format!("expected at least 1, found {m}"),
            ));
        }
        if m > n {
            return Err(AlarmError::new(
                AlarmErrorKind::DatapointsExceedEvaluationPeriods,
                "DatapointsToAlarm",
                format!("expected at most EvaluationPeriods ({n}), found {m}"),
            ));
        }
        let max = max_evaluation_s(period_s);
        let total = period_s.checked_mul(n).unwrap_or(i64::MAX);
        if total > max {
            return Err(AlarmError::new(
                AlarmErrorKind::EvaluationTooLong,
                "EvaluationPeriods",
                format!(
                    "expected Period × EvaluationPeriods of at most {max} seconds, found \
                     {period_s} × {n}"
                ),
            ));
        }
        let threshold = *required("Threshold", self.threshold.as_ref(), "a number")?;
        if !threshold.is_finite() {
            return Err(AlarmError::new(
                AlarmErrorKind::InvalidValue,
                "Threshold",
                format!("expected a finite number, found {threshold}"),
            ));
        }

        let operator =
            ComparisonOperator::from_name(&self.comparison_operator).ok_or_else(|| {
                AlarmError::new(
                    AlarmErrorKind::InvalidValue,
                    "ComparisonOperator",
                    format!(
                        "expected one of {}, found \"{}\"",
                        static_operators(),
                        self.comparison_operator
                    ),
                )
            })?;
        if let Some(unit) = &self.unit {
            one_of("Unit", unit, UNITS)?;
        }
        let treat_missing = match &self.treat_missing_data {
            None => TreatMissingData::Missing,
            Some(name) => {
                length("TreatMissingData", name, 1, 255)?;
                TreatMissingData::from_name(name).ok_or_else(|| {
                    AlarmError::new(
                        AlarmErrorKind::InvalidValue,
                        "TreatMissingData",
                        format!(
                            "expected one of breaching, notBreaching, ignore, missing, found \
                             \"{name}\""
                        ),
                    )
                })?
            }
        };
        if let Some(value) = &self.evaluate_low_sample_count_percentile {
            one_of(
                "EvaluateLowSampleCountPercentile",
                value,
                &["evaluate", "ignore"],
            )?;
        }
        // Counts are bounded by the seven-day limit (at most 60,480 periods of 10 seconds).
        let evaluation_periods = usize::try_from(n).unwrap_or(usize::MAX);
        let datapoints_to_alarm = usize::try_from(m).unwrap_or(usize::MAX);
        Ok(Rule {
            statistic,
            period_s,
            evaluation_periods,
            datapoints_to_alarm,
            explicit_m: self.datapoints_to_alarm.is_some(),
            threshold,
            operator,
            treat_missing,
        })
    }
}

fn static_operators() -> String {
    ComparisonOperator::ALL
        .iter()
        .map(|op| op.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Alarm definitions from JSON: one `PutMetricAlarm` object, an array of them, or
/// `aws cloudwatch describe-alarms` output (`{"MetricAlarms": [...]}`). Each definition is
/// validated; the first error is returned, its field prefixed with the alarm's position
/// (`MetricAlarms[1].Period`) when there are several.
pub fn parse_alarms(json: &str) -> Result<Vec<AlarmDef>, AlarmError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        AlarmError::new(
            AlarmErrorKind::InvalidJson,
            "",
            format!("expected JSON: {e}"),
        )
    })?;
    let (prefix, items) = match value {
        serde_json::Value::Array(items) => ("", items),
        serde_json::Value::Object(mut object) => match object.remove("MetricAlarms") {
            Some(serde_json::Value::Array(items)) => ("MetricAlarms", items),
            Some(_) => {
                return Err(AlarmError::new(
                    AlarmErrorKind::InvalidJson,
                    "MetricAlarms",
                    "expected an array of metric alarms",
                ));
            }
            None => ("", vec![serde_json::Value::Object(object)]),
        },
        _ => {
            return Err(AlarmError::new(
                AlarmErrorKind::InvalidJson,
                "",
                "expected an alarm object, an array of them or {\"MetricAlarms\": [...]}",
            ));
        }
    };
    let several = items.len() > 1 || !prefix.is_empty();
    let mut alarms = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = |field: &str| {
            if !several {
                field.to_string()
            } else if field.is_empty() {
                format!("{prefix}[{i}]")
            } else {
                format!("{prefix}[{i}].{field}")
            }
        };
        let def: AlarmDef = serde_json::from_value(item).map_err(|e| {
            AlarmError::new(
                AlarmErrorKind::InvalidJson,
                at(""),
                format!("expected a metric alarm: {e}"),
            )
        })?;
        def.validate()
            .map_err(|e| AlarmError::new(e.kind, at(&e.field), e.message))?;
        alarms.push(def);
    }
    Ok(alarms)
}
