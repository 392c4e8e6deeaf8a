//! CloudTrail Insights-style anomaly detection: unusual API call rates and API error rates in
//! management events, reported as records in the shape of CloudTrail Insights events.
//!
//! # What is counted
//!
//! Every series belongs to one API in one account and Region (`recipientAccountId`, `awsRegion`,
//! `eventSource`, `eventName`), and counts events per minute:
//!
//! * **`ApiCallRateInsight`**: write management events, those whose `readOnly` is `false`
//!   (an event without `readOnly` is not counted). AWS: "API call rate – A measurement of
//!   write-only management API calls that occur per minute against a baseline API call volume"
//!   (CloudTrail User Guide, *Working with CloudTrail Insights*).
//! * **`ApiErrorRateInsight`**: management events, read or write, that carry a given
//!   `errorCode`, one series per error code. AWS: "API error rate – A measurement of management API
//!   calls that result in error codes"; its error-rate metric is kept per error code
//!   (`ListInsightsMetricData` requires `ErrorCode` for `ApiErrorRateInsight`) and its error-rate
//!   Insights events name the code in `insightDetails.errorCode`. So the "error rate" here is the
//!   number of calls per minute that failed with that code, not a fraction of all calls.
//!
//! The caller decides which events are management events and passes only those. Insights are
//! per account and Region, as CloudTrail writes them (each record has one `awsRegion` and one
//! `recipientAccountId`); with one account and Region this is the same as per API.
//!
//! # Method
//!
//! Minutes are whole UTC minutes. `g0` and `g1` are the first and last minutes of the whole input
//! (every series, so a minute without calls of an API counts as zero for it); `c(m)` is a series'
//! count in minute `m`. With the [`Config`] values
//! `W` = [`baseline_minutes`](Config::baseline_minutes), `H` =
//! [`min_history_minutes`](Config::min_history_minutes), `S` =
//! [`rate_window_minutes`](Config::rate_window_minutes), `k` =
//! [`stddev_margin`](Config::stddev_margin), `ρ` = [`min_ratio`](Config::min_ratio), `N` =
//! [`min_count`](Config::min_count) and `Q` = [`end_quiet_minutes`](Config::end_quiet_minutes),
//! at each minute `t`:
//!
//! ```text
//! rate window     R(t) = [t − S + 1, t]                      r(t) = Σ_R c(m) / S
//! baseline window B(t) = [max(g0, t − S + 1 − W), t − S + 1)  n = |B(t)| minutes
//! baseline        μ = Σ_B c(m) / n                           σ = √(Σ_B c(m)² / n − μ²)
//! unusual(x)      x > μ + k·σ  and  x ≥ ρ·μ
//! hot(t)          n ≥ H  and  unusual(r(t))  and  Σ_R c(m) ≥ N
//! ```
//!
//! The baseline is the trailing window of up to `W` minutes (AWS uses seven days) that ends where
//! the rate window begins, over whatever history the input has, but an insight needs at least `H`
//! minutes of it. `σ` is the spread of single minutes, compared with an average over `S` minutes,
//! which keeps noise well inside the margin. All three conditions of `hot` must hold: `k·σ` alone
//! fires on any call of a quiet API (`σ = 0`), `ρ·μ` alone fires on noise when `μ` is small, and
//! `N` is the least number of calls (or errors) in the rate window that can raise anything. Only
//! rises are detected, never drops.
//!
//! AWS does not publish its thresholds. The defaults (`k` = 4, `ρ` = 2, `N` = 8, `S` = 5) were
//! chosen on generated Poisson traffic (seven APIs from 0.05 to 20 calls a minute, with and
//! without a daily swing from half to 1.5 times the mean): with `k` = 3, or `N` = 5, quiet traffic
//! raised insights (small Poisson counts have heavy tails, and on the first day a morning rise is
//! measured against the night before it); with the defaults, none in 200 three-day runs, while
//! bursts of a few times the baseline for a few minutes are still found. AWS is more eager: its
//! documentation shows insights raised by 3 calls, or 6 errors, in five minutes.
//!
//! * **Start.** The first hot minute `t` opens an insight. It starts at the first minute of the
//!   rate window whose own count is unusual (`unusual(c(m))`, one always exists since
//!   `max c ≥ r`), not before the end of the series' previous insight. The baseline `(μ, σ)` of
//!   `t` is kept for the whole insight, so a long burst is not absorbed into its own baseline.
//! * **End.** The insight ends once `Q` consecutive minutes are not hot against that kept
//!   baseline. It ends after the last unusual minute (`unusual(c(m))`) between its start and its
//!   last hot minute. An insight still open when the input ends has no End record; so does a
//!   lasting change of level, which stays one open insight until traffic comes back down.
//!
//! # Records
//!
//! Each insight gives a Start record and, once it ended, an End record, in the shape of CloudTrail
//! Insights events (CloudTrail User Guide, *CloudTrail Insights `insightDetails` element*):
//!
//! * `eventVersion` `1.07`, the version that introduced every field written here;
//!   `eventTime`: the start minute (Start) or the end minute (End), `2020-07-21T20:56:00Z`.
//! * `statistics.baseline.average`: `μ`; `baselineDuration`: `n`, the baseline's minutes ("the
//!   ending time of baselineDuration measurement is always the start of an Insights event"; here it
//!   ends where the rate window that raised the insight begins, at or before its start).
//! * Start: `statistics.insight.average` is `r(t)`, the rate that raised the insight, and
//!   `insightDuration` is `S`, the minutes that average covers. End: the average per minute over
//!   `[start, end)` and `insightDuration` is `end − start`. AWS's records read the same way: a
//!   Start with `insightDuration` 5 and average 1.2 (6 errors in a 5-minute window) is followed by
//!   an End with `insightDuration` 1 and average 6 (*Viewing Insights events for trails with the
//!   AWS CLI*); the user guide says `insightDuration` "occurs in both starting and ending Insights
//!   events".
//! * `attributions`: for each attribute, up to [`max_attributions`](Config::max_attributions)
//!   values ("a maximum of five"), highest average first (ties by value), where an average is the
//!   value's events per minute over the same period as the statistic beside it (the Start's rate
//!   window, the End's insight, the baseline window). Call-rate insights list `userIdentityArn`,
//!   `userAgent` and `errorCode` (`"null"` for calls without an error, as AWS writes it);
//!   error-rate insights list `userIdentityArn` and `userAgent`, their error code being
//!   `insightDetails.errorCode`, as in AWS's error-rate records. Events without a user identity
//!   ARN or user agent are left out of that attribute.
//! * Averages are rounded to 10 decimal places, as AWS writes them (`85.4202380952`,
//!   `0.0000882145`); whole numbers are written as integers (`"average": 0`).
//! * `eventID` and `sharedEventID` are name-based UUIDs (RFC 9562 version 5): the shared ID of
//!   the account, Region, API, insight type, error code and start; each `eventID` of its
//!   record's content. The same input always gives the same IDs.
//! * `awsRegion` is `""` when the events had none; `recipientAccountId` is left out then (AWS
//!   marks it optional).
//!
//! Memory: per series, one entry per minute that had events, with the count and the small
//! per-value tallies the attributions need (strings are stored once, one after another); never
//! the events. A series of one event (most of an organization's trail: an API an account called
//! once) takes 48 bytes with its key, in place in the table. Input may
//! come in any order (CloudTrail log files overlap and are not sorted): everything is decided in
//! [`Detector::finish`], and the result does not depend on the order of [`Detector::observe`]
//! calls.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::LogHasher;
use crate::time::{self, MINUTE_MS};

/// One management event, as the detector needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observation<'a> {
    /// `eventTime` in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// `eventSource`, such as `ec2.amazonaws.com`.
    pub event_source: &'a str,
    /// `eventName`, such as `RunInstances`.
    pub event_name: &'a str,
    /// `readOnly`; only `Some(false)` counts towards the call rate.
    pub read_only: Option<bool>,
    /// `errorCode`; `None` (or empty) for a call that succeeded.
    pub error_code: Option<&'a str>,
    /// `userIdentity.arn`.
    pub user_identity_arn: Option<&'a str>,
    /// `userAgent`.
    pub user_agent: Option<&'a str>,
    /// `awsRegion`.
    pub aws_region: Option<&'a str>,
    /// `recipientAccountId`.
    pub recipient_account_id: Option<&'a str>,
}

/// The margins of the detector; the [module documentation](self) gives the formulas.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `W`: the longest baseline, in minutes. Default 10 080 (seven days, as AWS).
    pub baseline_minutes: u32,
    /// `H`: the least baseline, in minutes, before anything can be raised. Default 120.
    pub min_history_minutes: u32,
    /// `S`: the minutes whose average is compared with the baseline. Default 5.
    pub rate_window_minutes: u32,
    /// `k`: how many baseline standard deviations the rate must exceed the baseline mean by.
    /// Default 4.
    pub stddev_margin: f64,
    /// `ρ`: the least ratio of the rate to the baseline mean. Default 2.
    pub min_ratio: f64,
    /// `N`: the least number of counted events in the rate window. Default 8.
    pub min_count: u64,
    /// `Q`: consecutive minutes back within the margin that end an insight. Default 5.
    pub end_quiet_minutes: u32,
    /// The most values listed per attribute and period. Default 5 (AWS: "a maximum of five").
    pub max_attributions: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            baseline_minutes: 7 * 24 * 60,
            min_history_minutes: 120,
            rate_window_minutes: 5,
            stddev_margin: 4.0,
            min_ratio: 2.0,
            min_count: 8,
            end_quiet_minutes: 5,
            max_attributions: 5,
        }
    }
}

impl Config {
    /// Checks every field; [`Detector::new`] does this.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("baseline_minutes", self.baseline_minutes),
            ("rate_window_minutes", self.rate_window_minutes),
            ("end_quiet_minutes", self.end_quiet_minutes),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(ConfigError {
                    field,
                    value: value.to_string(),
                    reason: "must be at least 1",
                });
            }
        }
        let margins = [
            ("stddev_margin", self.stddev_margin),
            ("min_ratio", self.min_ratio),
        ];
        for (field, value) in margins {
            if !value.is_finite() || value < 0.0 {
                return Err(ConfigError {
                    field,
                    value: value.to_string(),
                    reason: "must be a finite number, 0 or more",
                });
            }
        }
        Ok(())
    }
}

/// A [`Config`] field with a value the detector cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field's name, such as `rate_window_minutes`.
    pub field: &'static str,
    /// The value given, as text.
    pub value: String,
    /// What the value must be.
    pub reason: &'static str,
}

impl ConfigError {
    /// The stable kebab-case code: `invalid-insights-config`.
    pub fn code(&self) -> &'static str {
        "invalid-insights-config"
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "insights config: {} = {} {}",
            self.field, self.value, self.reason
        )
    }
}

impl std::error::Error for ConfigError {}

/// The two kinds of management-event Insights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InsightType {
    /// Unusual numbers of write calls per minute.
    ApiCallRateInsight,
    /// Unusual numbers of calls per minute failing with one error code.
    ApiErrorRateInsight,
}

impl InsightType {
    /// The name CloudTrail writes in `insightDetails.insightType`.
    pub fn as_str(self) -> &'static str {
        match self {
            InsightType::ApiCallRateInsight => "ApiCallRateInsight",
            InsightType::ApiErrorRateInsight => "ApiErrorRateInsight",
        }
    }
}

impl fmt::Display for InsightType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One insight: its CloudTrail records and a summary of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Insight {
    /// The Start record (`insightDetails.state` `"Start"`).
    pub start: Value,
    /// The End record, or `None` while the insight was still open at the end of the input.
    pub end: Option<Value>,
    /// `eventSource` of the API.
    pub event_source: String,
    /// `eventName` of the API.
    pub event_name: String,
    /// Call rate or error rate.
    pub insight_type: InsightType,
    /// The error code of an error-rate insight.
    pub error_code: Option<String>,
    /// `awsRegion` of the events, if they had one.
    pub aws_region: Option<String>,
    /// `recipientAccountId` of the events, if they had one.
    pub recipient_account_id: Option<String>,
    /// The start minute, in milliseconds since the epoch.
    pub start_ms: i64,
    /// The end minute (exclusive), when the insight ended.
    pub end_ms: Option<i64>,
    /// `μ`, the baseline mean per minute.
    pub baseline_average: f64,
    /// The rate per minute that raised the insight (the Start record's insight average).
    pub insight_average: f64,
    /// `σ`, the baseline's standard deviation of single minutes.
    pub baseline_stddev: f64,
    /// The least rate that is unusual against the baseline: `max(μ + k·σ, ρ·μ)` (a rate is
    /// unusual above `μ + k·σ` and from `ρ·μ` on).
    pub unusual_above: f64,
    /// The series' per-minute counts around the insight, to show it against its baseline.
    pub history: RateHistory,
}

/// An insight's series around it: from up to two hours of its baseline before its start to half
/// an hour after its end (an open insight: to the end of the input, at most a day after its
/// start), within the input's minutes.
#[derive(Clone, Debug, PartialEq)]
pub struct RateHistory {
    /// The first minute shown (ms since the epoch).
    pub from_ms: i64,
    /// The minute after the last one shown.
    pub to_ms: i64,
    /// `S`, the minutes a rate averages.
    pub window_minutes: u32,
    /// The minutes with events (ms since the epoch, count), in order, from `S − 1` minutes
    /// before `from_ms` (the first rates' windows) to `to_ms`.
    pub counts: Vec<(i64, u64)>,
}

/// One minute of a [`RateHistory`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePoint {
    /// The minute (ms since the epoch).
    pub minute_ms: i64,
    /// Its count, `c(m)`.
    pub count: u64,
    /// The rate of the window ending with it, `r(m)`: the mean count of its last `S` minutes.
    pub rate: f64,
}

impl RateHistory {
    /// Every minute of `from_ms..to_ms`, those without events included, with its count and
    /// rate.
    ///
    /// ```
    /// use trailmatch_cloudtrail::insights::RateHistory;
    ///
    /// let history = RateHistory {
    ///     from_ms: 120_000,
    ///     to_ms: 300_000,
    ///     window_minutes: 2,
    ///     counts: vec![(60_000, 4), (180_000, 2)],
    /// };
    /// let points: Vec<_> = history.points().map(|p| (p.minute_ms, p.count, p.rate)).collect();
    /// assert_eq!(points, [(120_000, 0, 2.0), (180_000, 2, 1.0), (240_000, 0, 1.0)]);
    /// ```
    pub fn points(&self) -> impl Iterator<Item = RatePoint> + '_ {
        let window = i64::from(self.window_minutes.max(1));
        let first = self.from_ms.div_euclid(MINUTE_MS);
        let last = self.to_ms.div_euclid(MINUTE_MS);
        let count = move |minute: i64| {
            let at = minute.saturating_mul(MINUTE_MS);
            let i = self.counts.partition_point(|(m, _)| *m < at);
            self.counts
                .get(i)
                .filter(|(m, _)| *m == at)
                .map_or(0, |(_, n)| *n)
        };
        (first..last).map(move |minute| {
            let sum: u64 = (minute - (window - 1)..=minute).map(count).sum();
            RatePoint {
                minute_ms: minute.saturating_mul(MINUTE_MS),
                count: count(minute),
                rate: float(sum) / float_minutes(window),
            }
        })
    }
}

/// Learns per-minute counts from [`observe`](Detector::observe) calls, in any order, and finds the
/// insights in [`finish`](Detector::finish).
///
/// ```
/// use trailmatch_cloudtrail::insights::{Config, Detector, InsightType, Observation};
///
/// let mut detector = Detector::new(Config::default())?;
/// let t0 = 1_709_251_200_000; // 2024-03-01T00:00:00Z
/// // Three hours of two CreateTags calls a minute, then 40 a minute for three minutes.
/// for minute in 0..200 {
///     let calls = if (180..183).contains(&minute) { 40 } else { 2 };
///     for _ in 0..calls {
///         detector.observe(&Observation {
///             time_ms: t0 + minute * 60_000,
///             event_source: "ec2.amazonaws.com",
///             event_name: "CreateTags",
///             read_only: Some(false),
///             user_identity_arn: Some("arn:aws:iam::123456789012:user/alice"),
///             aws_region: Some("us-east-1"),
///             ..Observation::default()
///         });
///     }
/// }
/// let insights = detector.finish();
/// assert_eq!(insights.len(), 1);
/// let insight = &insights[0];
/// assert_eq!(insight.insight_type, InsightType::ApiCallRateInsight);
/// assert_eq!(insight.start["eventTime"], "2024-03-01T03:00:00Z");
/// assert_eq!(insight.end.as_ref().unwrap()["eventTime"], "2024-03-01T03:03:00Z");
/// assert_eq!(insight.start["insightDetails"]["insightContext"]["statistics"]["baseline"]["average"], 2);
/// # Ok::<(), trailmatch_cloudtrail::insights::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct Detector {
    config: Config,
    strings: Interner,
    series: HashMap<SeriesKey, Slot, LogHasher>,
    first_minute: Option<i64>,
    last_minute: Option<i64>,
}

/// Whether `event` is counted in a series (a write call, or a call that failed), beside widening
/// the input's minutes as every event does.
fn counted(event: &Observation<'_>) -> bool {
    event.read_only == Some(false) || event.error_code.is_some_and(|code| !code.is_empty())
}

/// Management events kept as the detector needs them, to be counted later by a [`Detector`]
/// ([`Detector::observe_all`]), on another thread say: taking them costs a copy of their strings
/// into one buffer, where counting them interns the strings and finds their series. Events that
/// are not counted (neither a write call nor a failed one) only widen the input's minutes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Observations {
    /// The first and last minute of every event taken.
    minutes: Option<(i64, i64)>,
    /// The strings of the counted events, one after another.
    text: String,
    rows: Vec<Row>,
}

/// A counted event of [`Observations`]: its strings as ranges of their text.
#[derive(Clone, Debug)]
struct Row {
    time_ms: i64,
    read_only: Option<bool>,
    source: (usize, usize),
    name: (usize, usize),
    /// `errorCode`, `userIdentity.arn`, `userAgent`, `awsRegion`, `recipientAccountId`.
    optional: [Option<(usize, usize)>; 5],
}

impl Observations {
    /// Takes one management event.
    pub(crate) fn push(&mut self, event: &Observation<'_>) {
        let minute = event.time_ms.div_euclid(MINUTE_MS);
        self.minutes = Some(match self.minutes {
            Some((first, last)) => (first.min(minute), last.max(minute)),
            None => (minute, minute),
        });
        if !counted(event) {
            return;
        }
        let mut keep = |s: &str| {
            let start = self.text.len();
            self.text.push_str(s);
            (start, self.text.len())
        };
        let source = keep(event.event_source);
        let name = keep(event.event_name);
        let optional = [
            event.error_code,
            event.user_identity_arn,
            event.user_agent,
            event.aws_region,
            event.recipient_account_id,
        ]
        .map(|s| s.map(&mut keep));
        self.rows.push(Row {
            time_ms: event.time_ms,
            read_only: event.read_only,
            source,
            name,
            optional,
        });
    }

    /// How many of the events taken are counted.
    pub(crate) fn counted(&self) -> usize {
        self.rows.len()
    }

    /// Forgets every event taken (keeping the room they took).
    pub(crate) fn clear(&mut self) {
        self.minutes = None;
        self.text.clear();
        self.rows.clear();
    }

    /// The event of `row`.
    fn event(&self, row: &Row) -> Observation<'_> {
        let text = |(start, end): (usize, usize)| self.text.get(start..end).unwrap_or_default();
        let [
            error_code,
            user_identity_arn,
            user_agent,
            aws_region,
            recipient_account_id,
        ] = row.optional.map(|range| range.map(text));
        Observation {
            time_ms: row.time_ms,
            event_source: text(row.source),
            event_name: text(row.name),
            read_only: row.read_only,
            error_code,
            user_identity_arn,
            user_agent,
            aws_region,
            recipient_account_id,
        }
    }
}

/// Which attribute a tally counts.
const ARN: usize = 0;
const AGENT: usize = 1;
const ERROR: usize = 2;
/// How AWS writes "no error code" in an `errorCode` attribution.
const NO_ERROR: &str = "null";

impl Detector {
    /// A detector with the given margins, or the first field [`Config::validate`] rejects.
    pub fn new(config: Config) -> Result<Detector, ConfigError> {
        config.validate()?;
        Ok(Detector {
            config,
            strings: Interner::default(),
            series: HashMap::default(),
            first_minute: None,
            last_minute: None,
        })
    }

    /// What the detector has counted, in a form that serializes (the strings it interned and
    /// its series by their ids): a [`Detector`] made again from it with
    /// [`Detector::from_counts`] and the same configuration finds what this one finds.
    pub fn counts(&self) -> DetectorCounts {
        let mut series: Vec<(SeriesKey, Series)> = self
            .series
            .iter()
            .map(|(k, s)| (*k, s.to_series()))
            .collect();
        // A stable order, whatever the hash map's.
        series.sort_by_key(|(k, _)| (k.source, k.name, k.account, k.region, k.error));
        DetectorCounts {
            strings: self.strings.names().map(str::to_owned).collect(),
            series,
            first_minute: self.first_minute,
            last_minute: self.last_minute,
        }
    }

    /// A detector with the given margins holding `counts` (made by [`Detector::counts`]);
    /// counts that do not read back as a detector's are an error naming what is wrong.
    pub fn from_counts(config: Config, counts: DetectorCounts) -> Result<Detector, String> {
        let mut detector = Detector::new(config).map_err(|e| e.to_string())?;
        for name in &counts.strings {
            detector.strings.id(name);
        }
        if detector.strings.len() != counts.strings.len() {
            return Err("insights: the strings are not distinct".to_owned());
        }
        let n = counts.strings.len();
        for (key, series) in counts.series {
            let ids = [
                key.account.map(Id::get),
                key.region.map(Id::get),
                Some(key.source.get()),
                Some(key.name.get()),
                key.error.map(Id::get),
            ];
            let values = series.minutes.iter().flat_map(|(_, t)| t.all_values());
            if ids.into_iter().flatten().chain(values).any(|id| id >= n) {
                return Err("insights: a series names a string it does not have".to_owned());
            }
            detector.series.insert(key, Slot::from_series(series));
        }
        detector.first_minute = counts.first_minute;
        detector.last_minute = counts.last_minute;
        Ok(detector)
    }

    /// Counts one management event.
    pub fn observe(&mut self, event: &Observation<'_>) {
        let minute = event.time_ms.div_euclid(MINUTE_MS);
        self.span(minute, minute);
        if counted(event) {
            self.count(minute, event);
        }
    }

    /// Counts the events of `observations`, as [`Detector::observe`] of each would.
    pub(crate) fn observe_all(&mut self, observations: &Observations) {
        if let Some((first, last)) = observations.minutes {
            self.span(first, last);
        }
        for row in &observations.rows {
            let event = observations.event(row);
            self.count(event.time_ms.div_euclid(MINUTE_MS), &event);
        }
    }

    /// Widens the input's minutes to `first..=last`.
    fn span(&mut self, first: i64, last: i64) {
        self.first_minute = Some(self.first_minute.map_or(first, |m| m.min(first)));
        self.last_minute = Some(self.last_minute.map_or(last, |m| m.max(last)));
    }

    /// Adds a [`counted`] event of `minute` to its series.
    fn count(&mut self, minute: i64, event: &Observation<'_>) {
        let error = event.error_code.filter(|code| !code.is_empty());
        let write = event.read_only == Some(false);
        let strings = &mut self.strings;
        let mut key = SeriesKey {
            account: event.recipient_account_id.map(|s| Id::new(strings.id(s))),
            region: event.aws_region.map(|s| Id::new(strings.id(s))),
            source: Id::new(strings.id(event.event_source)),
            name: Id::new(strings.id(event.event_name)),
            error: None,
        };
        let arn = event.user_identity_arn.map(|s| strings.id(s));
        let agent = event.user_agent.map(|s| strings.id(s));
        // The error code, interned once for both series.
        let error = error.map(|code| strings.id(code));
        if write {
            let code = error.unwrap_or_else(|| strings.id(NO_ERROR));
            self.add(key, minute, [arn, agent, Some(code)]);
        }
        if let Some(code) = error {
            key.error = Some(Id::new(code));
            self.add(key, minute, [arn, agent, None]);
        }
    }

    /// Adds an event of `minute` with `attributes` to the series `key`.
    fn add(&mut self, key: SeriesKey, minute: i64, attributes: [Option<usize>; 3]) {
        match self.series.entry(key) {
            Entry::Occupied(mut slot) => slot.get_mut().add(minute, attributes),
            Entry::Vacant(slot) => {
                slot.insert(Slot::One {
                    minute,
                    attributes: attributes.map(|value| value.map(Id::new)),
                });
            }
        }
    }

    /// Adds what `other` observed, as if this detector had observed it: detectors that observed
    /// parts of the events each (on several threads, say) merged together find the insights
    /// one detector of all the events finds. `other`'s configuration is not looked at.
    pub fn merge(&mut self, other: Detector) {
        for minute in [other.first_minute, other.last_minute]
            .into_iter()
            .flatten()
        {
            self.first_minute = Some(self.first_minute.map_or(minute, |m| m.min(minute)));
            self.last_minute = Some(self.last_minute.map_or(minute, |m| m.max(minute)));
        }
        // Each of `other`'s strings, by its id there, has this id here.
        let ids: Vec<usize> = other
            .strings
            .names()
            .map(|name| self.strings.id(name))
            .collect();
        let id = |id: usize| ids.get(id).copied().unwrap_or(id);
        for (key, slot) in other.series {
            let renamed = |key: Id| Id::new(id(key.get()));
            let key = SeriesKey {
                account: key.account.map(renamed),
                region: key.region.map(renamed),
                source: renamed(key.source),
                name: renamed(key.name),
                error: key.error.map(renamed),
            };
            match self.series.entry(key) {
                Entry::Vacant(entry) => {
                    entry.insert(slot.renamed(&id));
                }
                Entry::Occupied(mut entry) => entry.get_mut().absorb(slot, &id),
            }
        }
    }

    /// The insights of everything observed, ordered by start, then type, API and error code.
    pub fn finish(self) -> Vec<Insight> {
        let (Some(first), Some(last)) = (self.first_minute, self.last_minute) else {
            return Vec::new();
        };
        let mut insights = Vec::new();
        for (key, slot) in &self.series {
            // A minute is hot only when its rate window holds `min_count` events.
            if slot.total() < self.config.min_count {
                continue;
            }
            let one;
            let series = match slot {
                Slot::Many(series) => series,
                Slot::One { .. } => {
                    one = slot.to_series();
                    &one
                }
            };
            let scan = Scan {
                config: &self.config,
                strings: &self.strings,
                key,
                series,
                sums: Sums::new(series),
                first,
                last,
            };
            scan.run(last, &mut insights);
        }
        insights.sort_by(|a, b| {
            (a.start_ms, a.insight_type, &a.event_source, &a.event_name)
                .cmp(&(b.start_ms, b.insight_type, &b.event_source, &b.event_name))
                .then_with(|| a.error_code.cmp(&b.error_code))
                .then_with(|| a.aws_region.cmp(&b.aws_region))
                .then_with(|| a.recipient_account_id.cmp(&b.recipient_account_id))
        });
        insights
    }
}

/// A [`Detector`]'s counts as data ([`Detector::counts`]), for a partial scan to travel
/// (a Spark task's, say) and be merged elsewhere.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectorCounts {
    strings: Vec<String>,
    series: Vec<(SeriesKey, Series)>,
    first_minute: Option<i64>,
    last_minute: Option<i64>,
}

/// Each distinct string once; series and tallies hold indexes. The strings lie one after
/// another in one buffer, found by a table of their ids: a string costs its bytes and about
/// 14 more (a `String` or `Arc<str>` of its own costs 40 to 80 more, and a scan of an
/// organization's trail interns an account id, an ARN and more for each account).
#[derive(Debug, Default)]
struct Interner {
    /// Every string, one after another.
    text: String,
    /// Where each string ends in `text`: its id is its index.
    ends: Vec<usize>,
    /// The ids, hashed by their strings.
    ids: HashTable<u32>,
    hasher: LogHasher,
}

impl Interner {
    /// The id of `s`, adding it when it is new.
    fn id(&mut self, s: &str) -> usize {
        let Interner {
            text,
            ends,
            ids,
            hasher,
        } = self;
        let name = |id: u32| string(text, ends, id as usize);
        let hash = hasher.hash_one(s);
        if let Some(&id) = ids.find(hash, |&id| name(id) == s) {
            return id as usize;
        }
        let id = ends.len();
        // An `Id` holds ids up to `u32::MAX - 1`; more strings would take over 60 GB (14 bytes
        // and more each). Past `u32::MAX - 2` a string is not kept: it is given the last id,
        // which names no string and reads as `""`.
        let Some(short) = u32::try_from(id).ok().filter(|&id| id < LAST_ID) else {
            return LAST_ID as usize;
        };
        text.push_str(s);
        ends.push(text.len());
        let (text, ends) = (&*text, &*ends);
        ids.insert_unique(hash, short, |&id| {
            hasher.hash_one(string(text, ends, id as usize))
        });
        id
    }

    fn name(&self, id: usize) -> &str {
        string(&self.text, &self.ends, id)
    }

    /// How many strings there are.
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Every string, by id.
    fn names(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|id| self.name(id))
    }
}

/// The id an [`Interner`] gives every string past its `u32::MAX - 1` first (it names none).
const LAST_ID: u32 = u32::MAX - 1;

/// String `id` of an [`Interner`]'s text and ends (`""` for an id it does not have).
fn string<'t>(text: &'t str, ends: &[usize], id: usize) -> &'t str {
    let start = id
        .checked_sub(1)
        .and_then(|before| ends.get(before))
        .copied()
        .unwrap_or(0);
    let end = ends.get(id).copied().unwrap_or(start);
    text.get(start..end).unwrap_or_default()
}

/// One API (and, for error rates, one error code) in one account and Region. 20 bytes: a scan
/// may hold one for every account that made a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
struct SeriesKey {
    account: Option<Id>,
    region: Option<Id>,
    source: Id,
    name: Id,
    /// `None`: the call-rate series; `Some(code)`: the error-rate series of that code.
    error: Option<Id>,
}

/// An interned string's id, stored plus one so that `Option<Id>` takes four bytes; it
/// serializes as the id itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Id(std::num::NonZeroU32);

impl Id {
    /// The id `id` (an [`Interner`]'s ids are at most `u32::MAX - 1`, [`LAST_ID`]; larger ones
    /// become that one).
    fn new(id: usize) -> Id {
        let id = u32::try_from(id).unwrap_or(u32::MAX);
        Id(std::num::NonZeroU32::MIN.saturating_add(id))
    }

    fn get(self) -> usize {
        self.0.get() as usize - 1
    }
}

impl serde::Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.get() as u64)
    }
}

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let id = u64::deserialize(deserializer)?;
        usize::try_from(id)
            .ok()
            .filter(|id| *id < u32::MAX as usize)
            .map(Id::new)
            .ok_or_else(|| serde::de::Error::custom("insights: a string id out of range"))
    }
}

/// A series as a [`Detector`] keeps it. Most series of a large scan hold one event (an API an
/// account of an organization's trail called once): in place, 24 bytes, where a [`Series`] of
/// one event takes 32 and an allocation of 72.
#[derive(Clone, Debug)]
enum Slot {
    /// One event: its minute and its attributes' values.
    One {
        minute: i64,
        attributes: [Option<Id>; 3],
    },
    /// Two events or more.
    Many(Box<Series>),
}

impl Slot {
    /// How many events the series holds.
    fn total(&self) -> u64 {
        match self {
            Slot::One { .. } => 1,
            Slot::Many(series) => series.total,
        }
    }

    /// The series held.
    fn to_series(&self) -> Series {
        match self {
            Slot::One { minute, attributes } => {
                let mut series = Series::default();
                series.add(*minute, attributes.map(|value| value.map(Id::get)));
                series
            }
            Slot::Many(series) => Series::clone(series),
        }
    }

    /// The slot of `series`: in place when it holds one event.
    fn from_series(series: Series) -> Slot {
        Slot::one_event(&series).unwrap_or_else(|| Slot::Many(Box::new(series)))
    }

    /// [`Slot::One`] of `series` when it holds one event, with at most one value of each
    /// attribute, counted once.
    fn one_event(series: &Series) -> Option<Slot> {
        let [(minute, tally)] = series.minutes.as_slice() else {
            return None;
        };
        if series.total != 1 || tally.count != 1 {
            return None;
        }
        let mut attributes = [None; 3];
        for (attribute, value) in attributes.iter_mut().enumerate() {
            let mut values = tally.values(attribute);
            match (values.next(), values.next()) {
                (None, _) => {}
                (Some((id, 1)), None) => *value = Some(Id::new(id)),
                _ => return None,
            }
        }
        Some(Slot::One {
            minute: *minute,
            attributes,
        })
    }

    /// Adds an event of `minute` with `attributes`.
    fn add(&mut self, minute: i64, attributes: [Option<usize>; 3]) {
        self.with_series(|series| series.add(minute, attributes));
    }

    /// Adds `other`'s events, its values given new ids.
    fn absorb(&mut self, other: Slot, id: &impl Fn(usize) -> usize) {
        self.with_series(|series| match other {
            Slot::One { minute, attributes } => {
                series.add(minute, attributes.map(|value| value.map(|v| id(v.get()))));
            }
            Slot::Many(other) => series.absorb(*other, id),
        });
    }

    /// The slot with its values given new ids.
    fn renamed(self, id: &impl Fn(usize) -> usize) -> Slot {
        match self {
            Slot::One { minute, attributes } => Slot::One {
                minute,
                attributes: attributes.map(|value| value.map(|v| Id::new(id(v.get())))),
            },
            Slot::Many(mut series) => {
                for (_, tally) in &mut series.minutes {
                    tally.rename(id);
                }
                Slot::Many(series)
            }
        }
    }

    /// Calls `change` with the series held, which holds it from then on.
    fn with_series(&mut self, change: impl FnOnce(&mut Series)) {
        match self {
            Slot::Many(series) => change(series),
            Slot::One { .. } => {
                let mut series = Box::new(self.to_series());
                change(&mut series);
                *self = Slot::Many(series);
            }
        }
    }
}

/// A series' minutes that had events, in order (events come mostly in time order, so a minute
/// is nearly always added at the end), and how many events they hold in all.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Series {
    minutes: Vec<(i64, Tally)>,
    total: u64,
}

/// One minute of one series: its count and, per attribute, how many events had each value.
/// 64 bytes: a scan over months holds one per series and minute with events.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Tally {
    count: u64,
    /// Per attribute, its first value and how many events had it (none yet: a count of 0);
    /// most minutes of most series see one value.
    first: [(usize, u64); 3],
    /// Per attribute, its other values, once a minute sees more than one.
    more: Option<Box<[Values; 3]>>,
}

/// Values of one attribute and how many events had each.
type Values = Vec<(usize, u64)>;

impl Tally {
    /// Adds `n` events with `value` of `attribute`.
    fn add(&mut self, attribute: usize, value: usize, n: u64) {
        let Some(first) = self.first.get_mut(attribute) else {
            return;
        };
        if first.1 == 0 {
            *first = (value, n);
        } else if first.0 == value {
            first.1 = first.1.saturating_add(n);
        } else if let Some(more) = self.more.get_or_insert_default().get_mut(attribute) {
            match more.iter_mut().find(|(v, _)| *v == value) {
                Some((_, m)) => *m = m.saturating_add(n),
                None => more.push((value, n)),
            }
        }
    }

    /// The values of `attribute` and how many events had each.
    fn values(&self, attribute: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
        let first = self.first.get(attribute).filter(|(_, n)| *n > 0);
        let more = self.more.as_ref().and_then(|m| m.get(attribute));
        first.into_iter().chain(more.into_iter().flatten()).copied()
    }

    /// Every value of every attribute.
    fn all_values(&self) -> impl Iterator<Item = usize> + '_ {
        (0..3).flat_map(|a| self.values(a).map(|(v, _)| v))
    }

    /// The values given new ids.
    fn rename(&mut self, id: &impl Fn(usize) -> usize) {
        let more = self.more.iter_mut().flat_map(|m| m.iter_mut().flatten());
        for (value, _) in self.first.iter_mut().chain(more) {
            *value = id(*value);
        }
    }
}

impl Series {
    fn add(&mut self, minute: i64, attributes: [Option<usize>; 3]) {
        self.total = self.total.saturating_add(1);
        let at = match self.minutes.last() {
            Some((last, _)) if *last == minute => self.minutes.len() - 1,
            Some((last, _)) if *last < minute => {
                self.minutes.push((minute, Tally::default()));
                self.minutes.len() - 1
            }
            None => {
                // Most series of a scan have one minute: room for one, not the four a first
                // push makes.
                self.minutes.reserve_exact(1);
                self.minutes.push((minute, Tally::default()));
                0
            }
            Some(_) => {
                let at = self.minutes.partition_point(|(m, _)| *m < minute);
                if self.minutes.get(at).is_none_or(|(m, _)| *m != minute) {
                    self.minutes.insert(at, (minute, Tally::default()));
                }
                at
            }
        };
        let Some((_, tally)) = self.minutes.get_mut(at) else {
            return;
        };
        tally.count = tally.count.saturating_add(1);
        for (attribute, value) in attributes.into_iter().enumerate() {
            if let Some(value) = value {
                tally.add(attribute, value, 1);
            }
        }
    }

    /// Adds `other`'s events, its values given new ids.
    fn absorb(&mut self, other: Series, id: &impl Fn(usize) -> usize) {
        self.total = self.total.saturating_add(other.total);
        for (minute, theirs) in other.minutes {
            let at = self.minutes.partition_point(|(m, _)| *m < minute);
            if self.minutes.get(at).is_none_or(|(m, _)| *m != minute) {
                self.minutes.insert(at, (minute, Tally::default()));
            }
            let Some((_, mine)) = self.minutes.get_mut(at) else {
                continue;
            };
            mine.count = mine.count.saturating_add(theirs.count);
            for attribute in 0..3 {
                for (value, n) in theirs.values(attribute) {
                    mine.add(attribute, id(value), n);
                }
            }
        }
    }

    /// The minutes of `[from, to)` that had events, in order.
    fn range(&self, from: i64, to: i64) -> &[(i64, Tally)] {
        let a = self.minutes.partition_point(|(m, _)| *m < from);
        let b = self.minutes.partition_point(|(m, _)| *m < to).max(a);
        self.minutes.get(a..b).unwrap_or_default()
    }

    fn count(&self, minute: i64) -> u64 {
        self.range(minute, minute.saturating_add(1))
            .first()
            .map_or(0, |(_, t)| t.count)
    }
}

/// Prefix sums of a series' counts and squared counts over its minutes with events.
#[derive(Debug)]
struct Sums {
    minutes: Vec<i64>,
    /// `counts[i]`: the sum of the first `i` minutes' counts.
    counts: Vec<u64>,
    squares: Vec<u128>,
}

impl Sums {
    fn new(series: &Series) -> Sums {
        let mut sums = Sums {
            minutes: Vec::with_capacity(series.minutes.len()),
            counts: vec![0],
            squares: vec![0],
        };
        let (mut count, mut square) = (0u64, 0u128);
        for (minute, tally) in &series.minutes {
            count = count.saturating_add(tally.count);
            square = square.saturating_add(u128::from(tally.count) * u128::from(tally.count));
            sums.minutes.push(*minute);
            sums.counts.push(count);
            sums.squares.push(square);
        }
        sums
    }

    /// The sums of counts and squared counts over the minutes `[from, to)`.
    fn between(&self, from: i64, to: i64) -> (u64, u128) {
        if to <= from {
            return (0, 0);
        }
        let a = self.minutes.partition_point(|m| *m < from);
        let b = self.minutes.partition_point(|m| *m < to);
        let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        let at2 = |v: &[u128], i: usize| v.get(i).copied().unwrap_or(0);
        (
            at(&self.counts, b).saturating_sub(at(&self.counts, a)),
            at2(&self.squares, b).saturating_sub(at2(&self.squares, a)),
        )
    }
}

/// `μ` and `σ` of a baseline window.
#[derive(Clone, Copy, Debug)]
struct Baseline {
    from: i64,
    minutes: i64,
    mean: f64,
    stddev: f64,
}

/// An insight found but not yet ended.
#[derive(Debug)]
struct Open {
    start: i64,
    detected: i64,
    baseline: Baseline,
    quiet: u32,
    last_hot: i64,
}

/// One series being scanned.
struct Scan<'a> {
    config: &'a Config,
    strings: &'a Interner,
    key: &'a SeriesKey,
    series: &'a Series,
    sums: Sums,
    /// `g0`.
    first: i64,
    /// `g1`.
    last: i64,
}

// Counts and minute spans far beyond 2^53 are not reachable from a log scan.
#[allow(clippy::cast_precision_loss)]
fn float(n: impl Into<u128>) -> f64 {
    n.into() as f64
}

#[allow(clippy::cast_precision_loss)]
fn float_minutes(n: i64) -> f64 {
    n as f64
}

impl Scan<'_> {
    fn window(&self) -> i64 {
        i64::from(self.config.rate_window_minutes)
    }

    /// The baseline of minute `t`, when it has at least `H` minutes.
    fn baseline(&self, t: i64) -> Option<Baseline> {
        let to = t - (self.window() - 1);
        let from = self.first.max(to - i64::from(self.config.baseline_minutes));
        let n = to - from;
        if n < i64::from(self.config.min_history_minutes).max(1) {
            return None;
        }
        let (sum, squares) = self.sums.between(from, to);
        let mean = float(sum) / float_minutes(n);
        let n128 = u128::try_from(n).unwrap_or(u128::MAX);
        let sum128 = u128::from(sum);
        let variance = match (
            n128.checked_mul(squares),
            sum128.checked_mul(sum128),
            n128.checked_mul(n128),
        ) {
            (Some(nq), Some(ss), Some(nn)) => float(nq.saturating_sub(ss)) / float(nn),
            _ => (float(squares) / float_minutes(n) - mean * mean).max(0.0),
        };
        Some(Baseline {
            from,
            minutes: n,
            mean,
            stddev: variance.sqrt(),
        })
    }

    fn unusual(&self, value: f64, baseline: &Baseline) -> bool {
        value > baseline.mean + self.config.stddev_margin * baseline.stddev
            && value >= self.config.min_ratio * baseline.mean
    }

    /// The count of the rate window ending at `t`.
    fn window_count(&self, t: i64) -> u64 {
        self.sums.between(t - (self.window() - 1), t + 1).0
    }

    fn hot(&self, t: i64, baseline: &Baseline) -> bool {
        let count = self.window_count(t);
        count >= self.config.min_count
            && self.unusual(float(count) / float_minutes(self.window()), baseline)
    }

    fn run(&self, last: i64, out: &mut Vec<Insight>) {
        let window = self.window();
        let mut t = self.first + i64::from(self.config.min_history_minutes).max(1) + window - 1;
        let mut open: Option<Open> = None;
        let mut floor = i64::MIN;
        while t <= last {
            match open.as_mut() {
                None => {
                    // Skip to the next minute whose rate window holds an event.
                    let Some(next) = self.series.range(t - (window - 1), i64::MAX).first() else {
                        break;
                    };
                    t = t.max(next.0);
                    if t > last {
                        break;
                    }
                    if let Some(baseline) = self.baseline(t) {
                        if self.hot(t, &baseline) {
                            let start = ((t - (window - 1)).max(floor)..=t)
                                .find(|m| self.unusual(float(self.series.count(*m)), &baseline))
                                .unwrap_or(t);
                            open = Some(Open {
                                start,
                                detected: t,
                                baseline,
                                quiet: 0,
                                last_hot: t,
                            });
                        }
                    }
                }
                Some(o) => {
                    if self.hot(t, &o.baseline) {
                        o.quiet = 0;
                        o.last_hot = t;
                    } else {
                        o.quiet += 1;
                        if o.quiet >= self.config.end_quiet_minutes {
                            let end = self
                                .series
                                .range(o.start, o.last_hot.saturating_add(1))
                                .iter()
                                .rev()
                                .find(|(_, tally)| self.unusual(float(tally.count), &o.baseline))
                                .map_or(o.start + 1, |(m, _)| m + 1);
                            out.push(self.insight(o, Some(end)));
                            floor = end;
                            open = None;
                        }
                    }
                }
            }
            t += 1;
        }
        if let Some(o) = open {
            out.push(self.insight(&o, None));
        }
    }

    fn insight(&self, open: &Open, end: Option<i64>) -> Insight {
        let name = |id: Option<Id>| id.map(|id| self.strings.name(id.get()).to_owned());
        let kind = if self.key.error.is_some() {
            InsightType::ApiErrorRateInsight
        } else {
            InsightType::ApiCallRateInsight
        };
        let window = self.window();
        let rate_from = open.detected - (window - 1);
        let rate = float(self.window_count(open.detected)) / float_minutes(window);
        let ids = Ids {
            source: self.strings.name(self.key.source.get()),
            name: self.strings.name(self.key.name.get()),
            region: name(self.key.region),
            account: name(self.key.account),
            kind,
            error_code: name(self.key.error),
        };
        // Absent and empty are told apart by a marker before each optional field.
        let optional = |v: &Option<String>| v.as_ref().map_or("-".to_owned(), |v| format!("+{v}"));
        let shared = uuid(
            [
                optional(&ids.account),
                optional(&ids.region),
                ids.source.to_owned(),
                ids.name.to_owned(),
                kind.as_str().to_owned(),
                optional(&ids.error_code),
                open.start.to_string(),
            ]
            .join("\u{1f}")
            .as_bytes(),
        );
        let baseline = Period {
            from: open.baseline.from,
            minutes: open.baseline.minutes,
        };
        let start = self.record(
            &ids,
            &shared,
            State::Start,
            open,
            Period {
                from: rate_from,
                minutes: window,
            },
            baseline,
        );
        let end_record = end.map(|end| {
            self.record(
                &ids,
                &shared,
                State::End(end),
                open,
                Period {
                    from: open.start,
                    minutes: (end - open.start).max(1),
                },
                baseline,
            )
        });
        Insight {
            start,
            end: end_record,
            event_source: ids.source.to_owned(),
            event_name: ids.name.to_owned(),
            insight_type: kind,
            error_code: ids.error_code.clone(),
            aws_region: ids.region.clone(),
            recipient_account_id: ids.account.clone(),
            start_ms: open.start.saturating_mul(MINUTE_MS),
            end_ms: end.map(|m| m.saturating_mul(MINUTE_MS)),
            baseline_average: open.baseline.mean,
            insight_average: rate,
            baseline_stddev: open.baseline.stddev,
            unusual_above: (open.baseline.mean + self.config.stddev_margin * open.baseline.stddev)
                .max(self.config.min_ratio * open.baseline.mean),
            history: self.history(open, end),
        }
    }

    /// The series around an insight (see [`RateHistory`]).
    fn history(&self, open: &Open, end: Option<i64>) -> RateHistory {
        /// Minutes of baseline shown before the start, and of quiet after the end.
        const BEFORE: i64 = 120;
        const AFTER: i64 = 30;
        /// The most minutes shown after the start of an insight that has not ended.
        const OPEN: i64 = 24 * 60;
        let from = self
            .first
            .max(open.start - BEFORE.min(open.baseline.minutes.max(0)));
        let to = match end {
            Some(end) => end.saturating_add(AFTER),
            None => open.start.saturating_add(OPEN),
        }
        .min(self.last.saturating_add(1))
        .max(open.start.saturating_add(1));
        let counts = self
            .series
            .range(from - (self.window() - 1), to)
            .iter()
            .map(|(m, tally)| (m.saturating_mul(MINUTE_MS), tally.count))
            .collect();
        RateHistory {
            from_ms: from.saturating_mul(MINUTE_MS),
            to_ms: to.saturating_mul(MINUTE_MS),
            window_minutes: self.config.rate_window_minutes,
            counts,
        }
    }

    /// One Start or End record, fields in CloudTrail's order.
    fn record(
        &self,
        ids: &Ids<'_>,
        shared: &str,
        state: State,
        open: &Open,
        insight: Period,
        baseline: Period,
    ) -> Value {
        let (state_name, minute) = match state {
            State::Start => ("Start", open.start),
            State::End(end) => ("End", end),
        };
        let (count, _) = self
            .sums
            .between(insight.from, insight.from + insight.minutes);
        let mut statistics = Map::new();
        statistics.insert(
            "baseline".into(),
            average_object(number(open.baseline.mean)),
        );
        statistics.insert(
            "insight".into(),
            average_object(number(float(count) / float_minutes(insight.minutes))),
        );
        statistics.insert("insightDuration".into(), Value::from(insight.minutes));
        statistics.insert("baselineDuration".into(), Value::from(baseline.minutes));
        let attributes: &[(usize, &str)] = match ids.kind {
            InsightType::ApiCallRateInsight => &[
                (ARN, "userIdentityArn"),
                (AGENT, "userAgent"),
                (ERROR, "errorCode"),
            ],
            InsightType::ApiErrorRateInsight => &[(ARN, "userIdentityArn"), (AGENT, "userAgent")],
        };
        let attributions = attributes
            .iter()
            .map(|(index, attribute)| {
                let mut block = Map::new();
                block.insert("attribute".into(), Value::from(*attribute));
                block.insert("insight".into(), self.top(*index, insight));
                block.insert("baseline".into(), self.top(*index, baseline));
                Value::Object(block)
            })
            .collect();
        let mut context = Map::new();
        context.insert("statistics".into(), Value::Object(statistics));
        context.insert("attributions".into(), Value::Array(attributions));

        let mut details = Map::new();
        details.insert("state".into(), Value::from(state_name));
        details.insert("eventSource".into(), Value::from(ids.source));
        details.insert("eventName".into(), Value::from(ids.name));
        details.insert("insightType".into(), Value::from(ids.kind.as_str()));
        if let Some(code) = &ids.error_code {
            details.insert("errorCode".into(), Value::from(code.as_str()));
        }
        details.insert("insightContext".into(), Value::Object(context));

        let time = time::format_seconds(minute.saturating_mul(MINUTE_MS));
        let build = |event_id: &str| {
            let mut record = Map::new();
            record.insert("eventVersion".into(), Value::from("1.07"));
            record.insert("eventTime".into(), Value::from(time.as_str()));
            record.insert(
                "awsRegion".into(),
                Value::from(ids.region.as_deref().unwrap_or("")),
            );
            record.insert("eventID".into(), Value::from(event_id));
            record.insert("eventType".into(), Value::from("AwsCloudTrailInsight"));
            if let Some(account) = &ids.account {
                record.insert("recipientAccountId".into(), Value::from(account.as_str()));
            }
            record.insert("sharedEventID".into(), Value::from(shared));
            record.insert("insightDetails".into(), Value::Object(details.clone()));
            record.insert("eventCategory".into(), Value::from("Insight"));
            Value::Object(record)
        };
        let event_id = uuid(build("").to_string().as_bytes());
        build(&event_id)
    }

    /// The `[{value, average}]` list of one attribute over a period, highest average first.
    fn top(&self, attribute: usize, period: Period) -> Value {
        let mut counts: HashMap<usize, u64> = HashMap::new();
        for (_, tally) in self.series.range(period.from, period.from + period.minutes) {
            for (value, n) in tally.values(attribute) {
                let total = counts.entry(value).or_insert(0);
                *total = total.saturating_add(n);
            }
        }
        let mut ranked: Vec<(&str, u64)> = counts
            .into_iter()
            .map(|(id, n)| (self.strings.name(id), n))
            .collect();
        ranked.sort_by(|a, b| match b.1.cmp(&a.1) {
            Ordering::Equal => a.0.cmp(b.0),
            other => other,
        });
        ranked.truncate(self.config.max_attributions);
        Value::Array(
            ranked
                .into_iter()
                .map(|(value, n)| {
                    let mut entry = Map::new();
                    entry.insert("value".into(), Value::from(value));
                    entry.insert(
                        "average".into(),
                        number(float(n) / float_minutes(period.minutes.max(1))),
                    );
                    Value::Object(entry)
                })
                .collect(),
        )
    }
}

impl Insight {
    /// The insight's rate per minute: the average over the whole insight (its End record's)
    /// when it ended, else the rate that raised it ([`Insight::insight_average`]).
    pub fn average(&self) -> f64 {
        self.end
            .as_ref()
            .and_then(|end| {
                end.pointer("/insightDetails/insightContext/statistics/insight/average")
            })
            .and_then(Value::as_f64)
            .unwrap_or(self.insight_average)
    }

    /// The Insights records, Start then End (when the insight ended), as [`InOrder`] values that
    /// serialize with CloudTrail's member order.
    pub fn records(&self) -> impl Iterator<Item = InOrder<'_>> {
        std::iter::once(&self.start)
            .chain(self.end.as_ref())
            .map(InOrder)
    }
}

/// An Insights record (or any part of one) that serializes its object members in the order
/// CloudTrail writes them (`eventVersion`, `eventTime`, …, `insightDetails`, `eventCategory`;
/// inside, `state`, `eventSource`, …), whatever order `serde_json`'s map keeps. Members this
/// module does not write go last, in name order.
///
/// ```
/// use trailmatch_cloudtrail::insights::InOrder;
///
/// let record = serde_json::json!({"eventCategory": "Insight", "eventVersion": "1.07"});
/// assert_eq!(
///     serde_json::to_string(&InOrder(&record)).unwrap(),
///     r#"{"eventVersion":"1.07","eventCategory":"Insight"}"#
/// );
/// ```
#[derive(Clone, Copy, Debug)]
pub struct InOrder<'a>(pub &'a Value);

/// CloudTrail's member order in Insights records and their nested objects.
const MEMBER_ORDER: &[&str] = &[
    "eventVersion",
    "eventTime",
    "awsRegion",
    "eventID",
    "eventType",
    "recipientAccountId",
    "sharedEventID",
    "insightDetails",
    "eventCategory",
    "state",
    "eventSource",
    "eventName",
    "insightType",
    "errorCode",
    "insightContext",
    "statistics",
    "attributions",
    "baseline",
    "insight",
    "insightDuration",
    "baselineDuration",
    "value",
    "average",
];

/// An attribution block's order: `attribute`, then `insight` before `baseline` (the reverse of
/// `statistics`).
const ATTRIBUTION_ORDER: &[&str] = &["attribute", "insight", "baseline"];

impl serde::Serialize for InOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let order = if map.contains_key("attribute") {
                    ATTRIBUTION_ORDER
                } else {
                    MEMBER_ORDER
                };
                let rank = |key: &str| order.iter().position(|k| *k == key).unwrap_or(order.len());
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                // Stable: members of equal rank (unknown ones) stay in name order.
                members.sort_by_key(|(key, _)| rank(key));
                let mut out = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    out.serialize_entry(key, &InOrder(value))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&InOrder(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// What names an insight.
struct Ids<'a> {
    source: &'a str,
    name: &'a str,
    region: Option<String>,
    account: Option<String>,
    kind: InsightType,
    error_code: Option<String>,
}

#[derive(Clone, Copy)]
enum State {
    Start,
    /// The end minute (exclusive).
    End(i64),
}

/// A span of whole minutes, `[from, from + minutes)`.
#[derive(Clone, Copy)]
struct Period {
    from: i64,
    minutes: i64,
}

fn average_object(average: Value) -> Value {
    let mut object = Map::new();
    object.insert("average".into(), average);
    Value::Object(object)
}

/// An average as AWS writes it: rounded to 10 decimal places, whole numbers as integers.
fn number(x: f64) -> Value {
    let rounded = if x.abs() < 1e8 {
        (x * 1e10).round() / 1e10
    } else {
        x
    };
    if rounded.is_finite() && rounded.fract() == 0.0 && rounded.abs() < 9.0e15 {
        // Whole and well inside the i64 range, so the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        return Value::from(rounded as i64);
    }
    serde_json::Number::from_f64(rounded).map_or(Value::from(0), Value::Number)
}

/// The namespace of the identifiers of insight records: the name-based (version 5) UUID of
/// `trailmatch:insights` in RFC 9562's URL namespace.
const INSIGHTS_NAMESPACE: Uuid = Uuid::from_u128(0x0a5c_2d98_e8b1_5f97_a17c_aaf1_4461_f6e1);

/// The name-based identifier of `bytes` (RFC 9562 version 5: SHA-1 in [`INSIGHTS_NAMESPACE`]).
fn uuid(bytes: &[u8]) -> String {
    Uuid::new_v5(&INSIGHTS_NAMESPACE, bytes).to_string()
}

#[cfg(test)]
mod tests;
