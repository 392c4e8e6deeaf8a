//! The scan: CloudTrail records in; rule matches, metrics, alarm state changes and
//! Insights-style anomalies out, with every input record accounted for.
//!
//! Records are fed one at a time ([`Scanner::record`]), in any order; what the reader could not
//! read is fed as skips ([`Scanner::skip`]); [`Scanner::finish`] computes the metrics' missing
//! minutes, evaluates the alarms over the whole time range and returns the [`Report`].
//!
//! Metrics follow CloudWatch: each record a filter matches publishes the filter's metric value
//! (a constant or a field of the record) to the metric named by its transformation, at the
//! minute of the record's `eventTime` (the delivery timestamp when it has none); each distinct
//! combination of dimension values is its own series; a filter with a `defaultValue` publishes
//! it once for every minute in which records arrived and none matched.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::alarm::{
    Alarm, AlarmDef, AlarmError, EvaluateOptions, NotificationContext, State, Transition,
    notification_text,
};
use super::boundary;
use super::classify::{self, Access, Category, EventFilter};
use super::insights::{self, ConfigError, Detector, Insight, Observation};
use super::rules::{MetricFilterDef, RuleSet, SourceLocation};
use crate::series::Series;
use crate::time;
use trailmatch::{Error, MetricFilter, Pattern, PatternSet};

/// How a scan runs.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Which records count: the others are counted as `filtered` and go no further.
    pub filter: EventFilter,
    /// Insights-style anomaly detection over the management events, with these margins; `None`
    /// turns it off.
    pub insights: Option<insights::Config>,
    /// The account alarm notifications name (`AWSAccountId`, ARNs); by default the
    /// `recipientAccountId` most records have.
    pub account_id: Option<String>,
    /// The region alarm notifications name; by default the `awsRegion` most records have.
    pub region: Option<String>,
}

impl ScanOptions {
    /// The default filter (everything) with anomaly detection at its default margins.
    pub fn with_insights() -> ScanOptions {
        ScanOptions {
            insights: Some(insights::Config::default()),
            ..ScanOptions::default()
        }
    }
}

/// What is wrong with a rule or an option of the scan. The codes are stable.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// A metric filter's pattern or metric transformation, refused as `PutMetricFilter` would
    /// (the engine's error, with its own code: `unclosed-brace`, `invalid-unit`, …).
    Filter(Box<Error>),
    /// An alarm, refused as `PutMetricAlarm` would.
    Alarm(Box<AlarmError>),
    /// The anomaly detector's configuration.
    Insights(ConfigError),
    /// `account_id` is not a 12-digit AWS account id.
    InvalidAccountId(String),
    /// `region` is not an AWS region code.
    InvalidRegion(String),
}

impl RuleErrorKind {
    /// The stable kebab-case code: the engine's or the alarm's own code for
    /// [`Filter`](Self::Filter) and [`Alarm`](Self::Alarm), `invalid-insights-config`,
    /// `invalid-account-id`, `invalid-region`.
    pub fn code(&self) -> &'static str {
        match self {
            RuleErrorKind::Filter(e) => e.code(),
            RuleErrorKind::Alarm(e) => e.code(),
            RuleErrorKind::Insights(e) => e.code(),
            RuleErrorKind::InvalidAccountId(_) => "invalid-account-id",
            RuleErrorKind::InvalidRegion(_) => "invalid-region",
        }
    }
}

/// A rule (or scan option) that cannot be used: which, where it came from, and what is wrong,
/// kept as data ([`RuleErrorKind`]) and rendered by `Display`.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleError {
    /// The filter's or alarm's name (`insights`, `account_id` or `region` for an option).
    pub rule: String,
    /// Where it was read from, when known.
    pub location: Option<SourceLocation>,
    kind: RuleErrorKind,
}

impl RuleError {
    fn new(def: Option<&MetricFilterDef>, error: &Error) -> RuleError {
        RuleError {
            rule: def.map(|d| d.filter_name.clone()).unwrap_or_default(),
            location: def.and_then(|d| d.location.clone()),
            kind: RuleErrorKind::Filter(Box::new(error.clone())),
        }
    }

    fn option(rule: &str, kind: RuleErrorKind) -> RuleError {
        RuleError {
            rule: rule.to_owned(),
            location: None,
            kind,
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> &RuleErrorKind {
        &self.kind
    }

    /// The stable kebab-case code of the kind (`unclosed-brace`, `invalid-period`, …).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// What is wrong, rendered (for a pattern: with the caret under the fault), without the
    /// rule's name and location. Control characters from the rule are escaped.
    pub fn message(&self) -> String {
        let text = match &self.kind {
            RuleErrorKind::Filter(e) => e.to_string(),
            RuleErrorKind::Alarm(e) => format!("{}: {}", e.field(), e.message()),
            RuleErrorKind::Insights(e) => e.to_string(),
            RuleErrorKind::InvalidAccountId(v) => format!(
                "`{}` is not an AWS account id (12 digits)",
                boundary::terminal(v)
            ),
            RuleErrorKind::InvalidRegion(v) => format!(
                "`{}` is not an AWS region code (such as us-east-1)",
                boundary::terminal(v)
            ),
        };
        boundary::terminal_lines(&text).into_owned()
    }
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rule = boundary::terminal(&self.rule);
        match &self.location {
            Some(at) => write!(
                f,
                "{}: rule `{rule}`:\n{}",
                boundary::terminal(&at.to_string()),
                self.message()
            ),
            None => write!(f, "rule `{rule}`:\n{}", self.message()),
        }
    }
}

impl std::error::Error for RuleError {}

/// Why an alarm's SNS message cannot be published: the topic ARN its action names (after
/// `${AWS::Region}` and `${AWS::AccountId}` are put in) is not a valid SNS topic ARN. Such a
/// message is sent to no target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationError {
    /// The alarm.
    pub alarm: String,
    /// The action's ARN as it was built.
    pub topic: String,
    /// When the state change happened (ms since the epoch).
    pub time_ms: i64,
    /// What is wrong with the ARN (escaped for a terminal).
    pub reason: String,
}

impl NotificationError {
    /// The stable code: `invalid-topic-arn`.
    pub fn code(&self) -> &'static str {
        "invalid-topic-arn"
    }
}

impl std::fmt::Display for NotificationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "alarm `{}`: the SNS message was not published: {}",
            boundary::terminal(&self.alarm),
            self.reason
        )
    }
}

impl std::error::Error for NotificationError {}

/// A metric series' identity: namespace, name and dimension values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MetricKey {
    /// The namespace.
    pub namespace: String,
    /// The metric name.
    pub name: String,
    /// Dimension name → value (empty for a metric without dimensions).
    pub dimensions: BTreeMap<String, String>,
}

struct FilterState {
    def: MetricFilterDef,
    filter: MetricFilter,
    matches: u64,
    /// Minutes with a matching record, kept only for filters with a default value.
    match_minutes: Option<BTreeSet<i64>>,
}

/// How many records went where. `read + skipped` is every record the input held (as far as
/// the reader could tell records apart), and `read = matched + unmatched + filtered`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records read (valid JSON objects).
    pub read: u64,
    /// Records at least one rule matched.
    pub matched: u64,
    /// Records read, kept by the event filter, and matched by no rule.
    pub unmatched: u64,
    /// Records the event filter left out.
    pub filtered: u64,
    /// Records (or unreadable stretches of input) skipped, with reasons in [`Report::skipped`].
    pub skipped: u64,
    /// Kept records without a usable time (`eventTime` missing or invalid and no delivery
    /// time): they count for rule matches but feed no metric, alarm or anomaly.
    pub untimed: u64,
}

/// What was skipped for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkipSummary {
    /// The reason's code (`invalid-json`, `truncated-gzip`, …).
    pub code: String,
    /// How many skips.
    pub count: u64,
    /// The first few, with where and why.
    pub examples: Vec<SkipExample>,
}

/// One skip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkipExample {
    /// Where in the input (`file:line`, `file, record 3`, …).
    pub location: String,
    /// What was wrong.
    pub message: String,
}

/// One metric filter's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleReport {
    /// The filter's name.
    pub name: String,
    /// Its pattern, as written.
    pub pattern: String,
    /// How many kept records it matched.
    pub matches: u64,
    /// The metric it publishes to (namespace and name).
    pub metric: MetricName,
}

/// A metric's namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MetricName {
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
}

/// One metric series with its per-minute datapoints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricReport {
    /// Which series.
    #[serde(flatten)]
    pub key: MetricKey,
    /// Minute start (ms since the epoch) → statistics.
    #[serde(skip)]
    pub series: Series,
}

/// One alarm's evaluation over the scanned time range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlarmReport {
    /// The alarm's name.
    pub name: String,
    /// The metric it watches.
    pub metric: MetricKey,
    /// Its state at the end.
    pub state: State,
    /// Its state changes, in time order.
    pub transitions: Vec<TransitionReport>,
    /// The alarm as evaluated (action ARNs with the scan's account and region put in).
    #[serde(skip)]
    pub def: AlarmDef,
    /// The transitions as the evaluation gave them (with `StateReasonData`).
    #[serde(skip)]
    pub evaluated: Vec<Transition>,
    /// The account and region the notifications name.
    #[serde(skip)]
    pub context: NotificationContext,
}

impl AlarmReport {
    /// How many SNS messages CloudWatch would have published: one per SNS action of each
    /// transition's new state, those whose topic ARN is not valid included — the count of
    /// [`AlarmReport::outbox`], that is of [`AlarmReport::notifications`] (the deliverable ones)
    /// and [`AlarmReport::notification_errors`] (the others) together.
    pub fn notification_count(&self) -> usize {
        self.evaluated.iter().map(|t| self.topics(t).count()).sum()
    }

    /// Those SNS messages (JSON text, members in CloudWatch's order), in time order, leaving
    /// out those whose topic ARN is not valid (see [`AlarmReport::outbox`];
    /// [`AlarmReport::notification_errors`] gives those). Built when asked for: a scan that
    /// delivers none does not pay for them.
    pub fn notifications(&self) -> impl Iterator<Item = String> + '_ {
        self.outbox().filter_map(Result::ok)
    }

    /// The SNS messages [`AlarmReport::notifications`] leaves out, in time order: why each
    /// cannot be published (its topic ARN is not valid).
    pub fn notification_errors(&self) -> impl Iterator<Item = NotificationError> + '_ {
        self.outbox().filter_map(Result::err)
    }

    /// Every SNS message CloudWatch would have published, in time order: the message, or why it
    /// cannot be published — its topic ARN (with the scan's account and region put in) is not
    /// a valid SNS topic ARN ([`boundary::check_sns_topic_arn`]): an account or region taken
    /// from a record or an ARN from a rules file never reaches a target unchecked.
    pub fn outbox(&self) -> impl Iterator<Item = Result<String, NotificationError>> + '_ {
        self.evaluated.iter().flat_map(move |t| self.outbox_for(t))
    }

    /// [`AlarmReport::outbox`] for one of the alarm's transitions (one of
    /// [`AlarmReport::evaluated`]).
    pub fn outbox_for<'a>(
        &'a self,
        t: &'a Transition,
    ) -> impl Iterator<Item = Result<String, NotificationError>> + 'a {
        self.topics(t).map(move |topic| {
            boundary::check_sns_topic_arn(topic).map_err(|reason| NotificationError {
                alarm: self.name.clone(),
                topic: topic.clone(),
                time_ms: t.time_ms,
                reason: format!("{reason}{}", placeholder_hint(topic)),
            })?;
            let context = NotificationContext {
                topic_arn: Some(topic.clone()),
                ..self.context.clone()
            };
            Ok(notification_text(&self.def, t, &context))
        })
    }

    fn topics<'a>(&'a self, t: &Transition) -> impl Iterator<Item = &'a String> + 'a {
        self.def
            .actions_for(t.to)
            .iter()
            .filter(|a| a.starts_with("arn:aws:sns:"))
    }
    /// Whether the alarm went to `ALARM` at some point.
    pub fn fired(&self) -> bool {
        self.transitions.iter().any(|t| t.to == State::Alarm)
    }
}

/// One alarm state change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransitionReport {
    /// When (`2026-11-23T09:15:00.000Z`).
    pub time: String,
    /// The same, in milliseconds since the epoch.
    #[serde(skip)]
    pub time_ms: i64,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// CloudWatch's reason (`Threshold Crossed: …`).
    pub reason: String,
}

/// The time range the kept, timed records cover. Serialized as `{"from": …, "to": …}` in
/// CloudTrail's `eventTime` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    /// The earliest record time (ms since the epoch).
    pub first_ms: i64,
    /// The latest.
    pub last_ms: i64,
}

impl Serialize for TimeRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("TimeRange", 2)?;
        out.serialize_field("from", &time::format_seconds(self.first_ms))?;
        out.serialize_field("to", &time::format_seconds(self.last_ms))?;
        out.end()
    }
}

/// Everything a scan found. Serializes as `trailmatch scan --format json` prints it (metric
/// series left out).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Where every record went.
    pub records: Counts,
    /// Skips grouped by reason.
    pub skipped: Vec<SkipSummary>,
    /// The time range of the records, when any had a time.
    pub range: Option<TimeRange>,
    /// One entry per metric filter, in rule order.
    pub rules: Vec<RuleReport>,
    /// Every metric series published.
    #[serde(skip)]
    pub metrics: Vec<MetricReport>,
    /// Every alarm, in rule order.
    pub alarms: Vec<AlarmReport>,
    /// The account alarm notifications name: [`ScanOptions::account_id`], else the
    /// `recipientAccountId` most kept records have among those that are account ids (12
    /// digits); `None` (`null`) when there is none.
    pub account_id: Option<String>,
    /// The region: [`ScanOptions::region`], else the most common valid `awsRegion` of the kept
    /// records; `None` when there is none.
    pub region: Option<String>,
    /// Insights-style anomalies, in order of start. Serialized as the CloudTrail Insights
    /// records themselves: each anomaly's `Start` record, then its `End` record when it ended.
    #[serde(serialize_with = "insight_records")]
    pub anomalies: Vec<Insight>,
}

/// Examples kept per skip reason.
const SKIP_EXAMPLES: usize = 5;

/// A scan in progress. See the [module documentation](self).
pub struct Scanner {
    options: ScanOptions,
    set: PatternSet,
    filters: Vec<FilterState>,
    metrics: BTreeMap<MetricKey, Series>,
    ingest_minutes: BTreeSet<i64>,
    counts: Counts,
    skipped: BTreeMap<String, SkipSummary>,
    range: Option<TimeRange>,
    insights: Option<Detector>,
    alarms: Vec<(AlarmDef, Alarm)>,
    accounts: BTreeMap<String, u64>,
    regions: BTreeMap<String, u64>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("filters", &self.filters.len())
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Scanner {
    /// Compiles the metric filters (each validated as `PutMetricFilter` would) and the alarms
    /// (as `PutMetricAlarm` would).
    pub fn new(rules: &RuleSet, options: ScanOptions) -> Result<Scanner, RuleError> {
        let filters = rules.metric_filters.as_slice();
        let mut alarms = Vec::with_capacity(rules.alarms.len());
        for def in &rules.alarms {
            let alarm = Alarm::new(def).map_err(|e| RuleError {
                rule: def.alarm_name.clone(),
                location: None,
                kind: RuleErrorKind::Alarm(Box::new(e)),
            })?;
            alarms.push((def.clone(), alarm));
        }
        let insights = match &options.insights {
            Some(config) => Some(
                Detector::new(config.clone())
                    .map_err(|e| RuleError::option("insights", RuleErrorKind::Insights(e)))?,
            ),
            None => None,
        };
        if let Some(account) = options
            .account_id
            .as_ref()
            .filter(|a| !boundary::is_account_id(a))
        {
            return Err(RuleError::option(
                "account_id",
                RuleErrorKind::InvalidAccountId(account.clone()),
            ));
        }
        if let Some(region) = options.region.as_ref().filter(|r| !boundary::is_region(r)) {
            return Err(RuleError::option(
                "region",
                RuleErrorKind::InvalidRegion(region.clone()),
            ));
        }
        let mut states = Vec::with_capacity(filters.len());
        for def in filters {
            let rule_error = |error: Error| RuleError::new(Some(def), &error);
            let pattern = Pattern::new(&def.filter_pattern).map_err(rule_error)?;
            let filter =
                MetricFilter::from_transformations(pattern, def.metric_transformations.clone())
                    .map_err(rule_error)?;
            let match_minutes = filter
                .transformation()
                .default_value
                .map(|_| BTreeSet::new());
            states.push(FilterState {
                def: def.clone(),
                filter,
                matches: 0,
                match_minutes,
            });
        }
        let set = PatternSet::new(states.iter().map(|s| s.def.filter_pattern.as_str()))
            .map_err(|e| RuleError::new(e.index.and_then(|i| filters.get(i)), &e.error))?;
        Ok(Scanner {
            options,
            set,
            filters: states,
            metrics: BTreeMap::new(),
            ingest_minutes: BTreeSet::new(),
            counts: Counts::default(),
            skipped: BTreeMap::new(),
            range: None,
            insights,
            alarms,
            accounts: BTreeMap::new(),
            regions: BTreeMap::new(),
        })
    }

    /// Counts, so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Records one stretch of input that could not be read as a record.
    pub fn skip(&mut self, code: &str, location: String, message: String) {
        self.counts.skipped += 1;
        let entry = self
            .skipped
            .entry(code.to_owned())
            .or_insert_with(|| SkipSummary {
                code: code.to_owned(),
                count: 0,
                examples: Vec::new(),
            });
        entry.count += 1;
        if entry.examples.len() < SKIP_EXAMPLES {
            entry.examples.push(SkipExample { location, message });
        }
    }

    /// Feeds one record (its JSON text, and the time it was delivered when the log format
    /// says). Returns the indices of the filters that matched it.
    pub fn record(
        &mut self,
        json: &str,
        delivery_ms: Option<i64>,
        location: &dyn std::fmt::Display,
    ) -> Vec<usize> {
        let event = match classify::classify(json) {
            Ok(event) => event,
            Err(e) => {
                self.skip("not-a-record", location.to_string(), e.message);
                return Vec::new();
            }
        };
        self.counts.read += 1;
        if !self.options.filter.keeps(&event) {
            self.counts.filtered += 1;
            return Vec::new();
        }
        let at = event.time_ms.or(delivery_ms);
        // Only well-formed values take part in the vote: a record's `recipientAccountId` or
        // `awsRegion` is written by whoever made the call and ends up in ARNs.
        if let Some(account) = event
            .recipient_account_id
            .as_deref()
            .filter(|a| boundary::is_account_id(a))
        {
            tally(&mut self.accounts, account);
        }
        if let Some(region) = event
            .aws_region
            .as_deref()
            .filter(|r| boundary::is_region(r))
        {
            tally(&mut self.regions, region);
        }
        match at {
            Some(t) => {
                self.ingest_minutes.insert(time::minute_floor(t));
                self.range = Some(match self.range {
                    Some(r) => TimeRange {
                        first_ms: r.first_ms.min(t),
                        last_ms: r.last_ms.max(t),
                    },
                    None => TimeRange {
                        first_ms: t,
                        last_ms: t,
                    },
                });
            }
            None => self.counts.untimed += 1,
        }
        if let (Some(detector), Some(t), Category::Management) =
            (&mut self.insights, at, event.category)
        {
            if let (Some(source), Some(name)) = (&event.event_source, &event.event_name) {
                detector.observe(&Observation {
                    time_ms: t,
                    event_source: source,
                    event_name: name,
                    read_only: event.access.map(|a| a == Access::Read),
                    error_code: event.error_code.as_deref(),
                    user_identity_arn: event.identity_arn.as_deref(),
                    user_agent: event.user_agent.as_deref(),
                    aws_region: event.aws_region.as_deref(),
                    recipient_account_id: event.recipient_account_id.as_deref(),
                });
            }
        }
        // One pass over the record for every filter: the extracted values come with the matches,
        // so no filter matches the record again for its metric value.
        let hits = self.set.test(json);
        let matched: Vec<usize> = hits.iter().map(|(index, _)| *index).collect();
        if matched.is_empty() {
            self.counts.unmatched += 1;
            return matched;
        }
        self.counts.matched += 1;
        for (index, extracted) in &hits {
            let index = *index;
            let Some(state) = self.filters.get_mut(index) else {
                continue;
            };
            state.matches += 1;
            let Some(t) = at else { continue };
            let minute = time::minute_floor(t);
            if let Some(minutes) = &mut state.match_minutes {
                minutes.insert(minute);
            }
            if let Some(datum) = state.filter.datum(json, extracted) {
                let t = state.filter.transformation();
                let key = MetricKey {
                    namespace: t.metric_namespace.clone(),
                    name: t.metric_name.clone(),
                    dimensions: datum.dimensions,
                };
                publish(&mut self.metrics, key, minute, datum.value);
            }
        }
        matched
    }

    /// Feeds what a [`logs`](super::logs) reader yields: a record, or a skip. Returns the
    /// indices of the filters that matched a record.
    pub fn read(&mut self, item: super::logs::Item) -> Vec<usize> {
        match item {
            super::logs::Item::Record(r) => self.record(&r.json, r.timestamp_ms, &r.location),
            super::logs::Item::Skipped(s) => {
                self.skip(s.kind.code(), s.location.to_string(), s.message);
                Vec::new()
            }
        }
    }

    /// Ends the scan.
    pub fn finish(mut self) -> Report {
        for state in &self.filters {
            let t = state.filter.transformation();
            let (Some(default), Some(matched)) = (t.default_value, &state.match_minutes) else {
                continue;
            };
            for &minute in self.ingest_minutes.difference(matched) {
                let key = MetricKey {
                    namespace: t.metric_namespace.clone(),
                    name: t.metric_name.clone(),
                    dimensions: BTreeMap::new(),
                };
                publish(&mut self.metrics, key, minute, default);
            }
        }
        let account_id = self
            .options
            .account_id
            .clone()
            .or_else(|| most(&self.accounts));
        let region = self.options.region.clone().or_else(|| most(&self.regions));
        let context = NotificationContext::new(
            account_id.clone().unwrap_or_default(),
            region.clone().unwrap_or_default(),
        );
        let alarms = self
            .alarms
            .iter()
            .map(|(def, alarm)| evaluate(def, alarm, &self.metrics, self.range, &context))
            .collect();
        let rules = self
            .filters
            .iter()
            .map(|s| {
                let t = s.filter.transformation();
                RuleReport {
                    name: s.def.filter_name.clone(),
                    pattern: s.def.filter_pattern.clone(),
                    matches: s.matches,
                    metric: MetricName {
                        namespace: t.metric_namespace.clone(),
                        name: t.metric_name.clone(),
                    },
                }
            })
            .collect();
        Report {
            records: self.counts,
            skipped: self.skipped.into_values().collect(),
            range: self.range,
            rules,
            metrics: self
                .metrics
                .into_iter()
                .map(|(key, series)| MetricReport { key, series })
                .collect(),
            alarms,
            account_id,
            region,
            anomalies: self.insights.map(Detector::finish).unwrap_or_default(),
        }
    }
}

fn tally(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

/// The most frequent key (the first in order on a tie).
fn most(counts: &BTreeMap<String, u64>) -> Option<String> {
    let mut best: Option<(&String, u64)> = None;
    for (key, &n) in counts {
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((key, n));
        }
    }
    best.map(|(k, _)| k.clone())
}

/// Replaces `${AWS::Region}` and `${AWS::AccountId}` in an action ARN, when the scan knows
/// them (else they stay, and the ARN is refused when a message is built, with a hint).
fn substitute(arn: &str, context: &NotificationContext) -> String {
    let mut arn = arn.to_owned();
    if !context.region.is_empty() {
        arn = arn.replace("${AWS::Region}", &context.region);
    }
    if !context.account_id.is_empty() {
        arn = arn.replace("${AWS::AccountId}", &context.account_id);
    }
    arn
}

/// What to do about a topic ARN that still holds a placeholder.
fn placeholder_hint(topic: &str) -> String {
    let mut missing = Vec::new();
    if topic.contains("${AWS::AccountId}") {
        missing.push("a 12-digit recipientAccountId for ${AWS::AccountId} (give --account-id)");
    }
    if topic.contains("${AWS::Region}") {
        missing.push("a valid awsRegion for ${AWS::Region} (give --region)");
    }
    if missing.is_empty() {
        String::new()
    } else {
        format!("; no kept record has {}", missing.join(" nor "))
    }
}

/// Evaluates one alarm over the scanned range: from the minute of the first record to the
/// end of the minute of the last.
fn evaluate(
    def: &AlarmDef,
    alarm: &Alarm,
    metrics: &BTreeMap<MetricKey, Series>,
    range: Option<TimeRange>,
    context: &NotificationContext,
) -> AlarmReport {
    let key = MetricKey {
        namespace: def.namespace.clone().unwrap_or_default(),
        name: def.metric_name.clone().unwrap_or_default(),
        dimensions: def
            .dimensions
            .iter()
            .map(|d| (d.name.clone(), d.value.clone()))
            .collect(),
    };
    let empty = Series::new();
    let series = metrics.get(&key).unwrap_or(&empty);
    // The scan reports reasons, not StateReasonData: a long scan may have many transitions.
    let options = EvaluateOptions {
        reason_data: false,
        ..EvaluateOptions::default()
    };
    let evaluation = match range {
        Some(r) => alarm.evaluate_with(
            series,
            time::minute_floor(r.first_ms)..time::minute_floor(r.last_ms) + time::MINUTE_MS,
            &options,
        ),
        None => alarm.evaluate_with(series, 0..0, &options),
    };
    // A state change after 9999-12-31T23:59:59.999Z cannot be written as RFC 3339: the scan
    // ends there (a record of that last minute is evaluated by no later period end).
    let mut evaluation = evaluation;
    if let Some(beyond) = evaluation
        .transitions
        .iter()
        .position(|t| t.time_ms > time::MAX_MS)
    {
        evaluation.transitions.truncate(beyond);
        evaluation.final_state = evaluation
            .transitions
            .last()
            .map_or(options.initial_state, |t| t.to);
    }
    let mut def = def.clone();
    for actions in [
        &mut def.alarm_actions,
        &mut def.ok_actions,
        &mut def.insufficient_data_actions,
    ] {
        for action in actions.iter_mut() {
            *action = substitute(action, context);
        }
    }
    AlarmReport {
        name: def.alarm_name.clone(),
        metric: key,
        state: evaluation.final_state,
        transitions: evaluation
            .transitions
            .iter()
            .map(|t| TransitionReport {
                time: time::format_millis(t.time_ms),
                time_ms: t.time_ms,
                from: t.from,
                to: t.to,
                reason: t.reason.clone(),
            })
            .collect(),
        evaluated: evaluation.transitions,
        def,
        context: context.clone(),
    }
}

fn insight_records<S: serde::Serializer>(
    anomalies: &[Insight],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(anomalies.iter().flat_map(Insight::records))
}

fn publish(metrics: &mut BTreeMap<MetricKey, Series>, key: MetricKey, minute: i64, value: f64) {
    metrics
        .entry(key)
        .or_default()
        .entry(minute)
        .and_modify(|s| s.add(value))
        .or_insert_with(|| crate::series::Statistics::single(value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Access;
    use trailmatch::MetricTransformation;

    fn filter(name: &str, pattern: &str, value: &str, default: Option<f64>) -> MetricFilterDef {
        let mut dimensions = BTreeMap::new();
        if value == "$.bytes" {
            dimensions.insert("User".to_owned(), "$.userIdentity.userName".to_owned());
        }
        MetricFilterDef {
            filter_name: name.to_owned(),
            filter_pattern: pattern.to_owned(),
            log_group_name: None,
            metric_transformations: vec![MetricTransformation {
                metric_name: format!("{name}Count"),
                metric_namespace: "Test".to_owned(),
                metric_value: value.to_owned(),
                default_value: default,
                dimensions,
                unit: None,
            }],
            apply_on_transformed_logs: false,
            creation_time: None,
            location: None,
        }
    }

    fn rules(filters: &[MetricFilterDef]) -> RuleSet {
        RuleSet {
            metric_filters: filters.to_vec(),
            alarms: Vec::new(),
        }
    }

    /// A notification whose topic ARN is not valid (here the CIS pack's `${AWS::AccountId}`
    /// with no account known) is counted, left out of `notifications` and given by
    /// `notification_errors`: the two together are the count.
    #[test]
    fn undeliverable_notifications_are_counted_and_given_as_errors() {
        let mut scan = Scanner::new(&RuleSet::cis(), ScanOptions::default()).unwrap();
        scan.record(
            r#"{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","readOnly":false}"#,
            None,
            &"f",
        );
        let report = scan.finish();
        let fired: Vec<_> = report.alarms.iter().filter(|a| a.fired()).collect();
        assert!(!fired.is_empty());
        for alarm in fired {
            let errors: Vec<_> = alarm.notification_errors().collect();
            assert!(!errors.is_empty(), "{}", alarm.name);
            assert_eq!(errors[0].code(), "invalid-topic-arn");
            assert!(errors[0].topic.contains("${AWS::AccountId}"), "{errors:?}");
            assert_eq!(
                alarm.notifications().count() + errors.len(),
                alarm.notification_count(),
                "{}",
                alarm.name
            );
        }
    }

    #[test]
    fn cis_alarms_fire_and_notify() {
        let mut scan = Scanner::new(&RuleSet::cis(), ScanOptions::default()).unwrap();
        let record = |time: &str, name: &str, extra: &str| {
            format!(
                r#"{{"eventTime":"{time}","eventSource":"cloudtrail.amazonaws.com","eventName":"{name}","readOnly":false,"awsRegion":"eu-west-1","recipientAccountId":"111122223333"{extra}}}"#
            )
        };
        scan.record(
            &record("2026-11-23T10:00:10Z", "DescribeTrails", ""),
            None,
            &"f",
        );
        assert_eq!(
            scan.record(
                &record("2026-11-23T10:07:30Z", "StopLogging", ""),
                None,
                &"f"
            ),
            vec![4]
        );
        scan.record(
            &record("2026-11-23T10:31:00Z", "DescribeTrails", ""),
            None,
            &"f",
        );
        let report = scan.finish();
        assert_eq!(
            (report.account_id.as_deref(), report.region.as_deref()),
            (Some("111122223333"), Some("eu-west-1"))
        );
        let stop = &report.alarms[4];
        assert_eq!(stop.name, "CIS-5.5-cloudtrail_cfg_changes_alarm");
        let changes: Vec<(&str, State, State)> = stop
            .transitions
            .iter()
            .map(|t| (t.time.as_str(), t.from, t.to))
            .collect();
        // The 10:05-10:10 period holds the StopLogging call: ALARM when it ends; the next
        // periods have no data: INSUFFICIENT_DATA once the look-back window (N + 2 periods)
        // holds none.
        assert_eq!(
            changes[0],
            (
                "2026-11-23T10:10:00.000Z",
                State::InsufficientData,
                State::Alarm
            )
        );
        assert!(
            stop.transitions[0]
                .reason
                .starts_with("Threshold Crossed: 1 datapoint [1.0 "),
            "{}",
            stop.transitions[0].reason
        );
        assert_eq!(
            changes.get(1).map(|c| (c.1, c.2)),
            Some((State::Alarm, State::InsufficientData))
        );
        assert!(stop.fired());
        // Only the transition to ALARM has an action: one SNS message, to the pack's topic with
        // the records' account and region.
        assert_eq!(stop.notification_count(), 1);
        let messages: Vec<String> = stop.notifications().collect();
        assert_eq!(messages.len(), 1);
        let message: serde_json::Value = serde_json::from_str(&messages[0]).unwrap();
        assert_eq!(
            message["TopicArn"],
            "arn:aws:sns:eu-west-1:111122223333:cis-alarms"
        );
        assert!(
            message["Subject"]
                .as_str()
                .unwrap()
                .starts_with("ALARM: \"CIS-5.5-cloudtrail_cfg_changes_alarm\" in EU (Ireland)"),
            "{message}"
        );
        assert!(
            report
                .alarms
                .iter()
                .enumerate()
                .all(|(i, a)| i == 4 || !a.fired())
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["alarms"][4]["transitions"][0]["to"], "ALARM");
        assert_eq!(json["rules"][4]["matches"], 1);
    }

    fn event(minute: u32, second: u32, name: &str, extra: &str) -> String {
        format!(
            r#"{{"eventTime":"2026-11-23T10:{minute:02}:{second:02}Z","eventName":"{name}","readOnly":false{extra}}}"#
        )
    }

    const T0: i64 = 1_795_428_000_000; // 2026-11-23T10:00:00Z

    #[test]
    fn metrics_per_minute_with_dimensions_and_default_values() {
        let filters = [
            filter("Stop", r#"{ $.eventName = "StopLogging" }"#, "1", Some(0.0)),
            filter("Bytes", r#"{ $.bytes > 0 }"#, "$.bytes", None),
        ];
        let mut scan = Scanner::new(&rules(&filters), ScanOptions::default()).unwrap();
        let user = |u: &str, b: u32| format!(r#","bytes":{b},"userIdentity":{{"userName":"{u}"}}"#);
        for (json, matched) in [
            (event(0, 5, "StopLogging", ""), vec![0]),
            (event(0, 50, "StopLogging", ""), vec![0]),
            (event(1, 0, "Other", &user("alice", 10)), vec![1]),
            (event(1, 30, "Other", &user("alice", 5)), vec![1]),
            (event(1, 40, "Other", &user("bob", 7)), vec![1]),
            (event(3, 0, "Other", ""), vec![]),
        ] {
            assert_eq!(scan.record(&json, None, &"t"), matched, "{json}");
        }
        let report = scan.finish();
        assert_eq!(
            report.records,
            Counts {
                read: 6,
                matched: 5,
                unmatched: 1,
                ..Counts::default()
            }
        );
        assert_eq!(report.rules[0].matches, 2);
        assert_eq!(report.rules[1].matches, 3);
        let series: BTreeMap<_, _> = report
            .metrics
            .iter()
            .map(|m| {
                (
                    (m.key.name.as_str(), m.key.dimensions.get("User").cloned()),
                    &m.series,
                )
            })
            .collect();
        // StopLogging: 2 at minute 0; default 0 at minutes 1 and 3 (records, no match); minute 2
        // had no record at all, so no datapoint.
        let stop = series[&("StopCount", None)];
        let points: Vec<(i64, u64, f64)> = stop
            .iter()
            .map(|(t, s)| ((t - T0) / 60_000, s.sample_count, s.sum))
            .collect();
        assert_eq!(points, vec![(0, 2, 2.0), (1, 1, 0.0), (3, 1, 0.0)]);
        let alice = series[&("BytesCount", Some("alice".to_owned()))];
        assert_eq!(alice.len(), 1);
        let minute1 = alice[&(T0 + 60_000)];
        assert_eq!(
            (
                minute1.sample_count,
                minute1.sum,
                minute1.minimum,
                minute1.maximum
            ),
            (2, 15.0, 5.0, 10.0)
        );
        let bob = series[&("BytesCount", Some("bob".to_owned()))];
        assert_eq!(bob[&(T0 + 60_000)].sum, 7.0);
        assert_eq!(
            report.range,
            Some(TimeRange {
                first_ms: T0 + 5_000,
                last_ms: T0 + 180_000
            })
        );
    }

    #[test]
    fn every_record_is_accounted_for() {
        let filters = [filter("Any", r#"{ $.eventName = * }"#, "1", None)];
        let options = ScanOptions {
            filter: EventFilter {
                access: Some(Access::Write),
                ..EventFilter::default()
            },
            ..ScanOptions::default()
        };
        let mut scan = Scanner::new(&rules(&filters), options).unwrap();
        scan.record(&event(0, 0, "A", ""), None, &"f:1");
        scan.record(r#"{"eventName":"Read","readOnly":true}"#, None, &"f:2");
        scan.record(r#"{"eventName":"NoTime","readOnly":false}"#, None, &"f:3");
        scan.record(
            r#"{"eventName":"Delivered","readOnly":false}"#,
            Some(T0),
            &"f:4",
        );
        scan.record(r#"{"readOnly":false}"#, None, &"f:5");
        scan.record("[1]", None, &"f:6");
        for i in 0..7 {
            scan.skip("invalid-json", format!("g:{i}"), "bad".to_owned());
        }
        let report = scan.finish();
        let c = report.records;
        assert_eq!(
            c,
            Counts {
                read: 5,
                matched: 3,
                unmatched: 1,
                filtered: 1,
                skipped: 8,
                untimed: 2
            }
        );
        assert_eq!(c.read, c.matched + c.unmatched + c.filtered);
        assert_eq!(c.read + c.skipped, 13);
        assert_eq!(report.skipped.len(), 2);
        let json = &report.skipped[0];
        assert_eq!(
            (json.code.as_str(), json.count, json.examples.len()),
            ("invalid-json", 7, 5)
        );
        assert_eq!(report.skipped[1].code, "not-a-record");
        assert_eq!(report.skipped[1].examples[0].location, "f:6");
    }

    /// `read` takes a reader's records and skips alike.
    #[test]
    fn read_feeds_records_and_skips() {
        let filters = [filter("Any", r#"{ $.eventName = * }"#, "1", None)];
        let mut scan = Scanner::new(&rules(&filters), ScanOptions::default()).unwrap();
        let file = format!("{}\n{{broken\n", event(0, 0, "A", ""));
        let items = crate::logs::read_stream("f", file.as_bytes(), crate::logs::Options::default());
        let matched: Vec<Vec<usize>> = items.map(|item| scan.read(item)).collect();
        assert_eq!(matched, [vec![0], vec![]]);
        let report = scan.finish();
        assert_eq!((report.records.read, report.records.skipped), (1, 1));
        assert_eq!(report.skipped[0].examples[0].location, "f:2");
    }

    #[test]
    fn invalid_rules_name_the_rule() {
        let bad = filter("Broken", r#"{ $.eventName = }"#, "1", None);
        let err = Scanner::new(&rules(&[bad]), ScanOptions::default()).unwrap_err();
        assert_eq!(err.rule, "Broken");
        let mut no_metric = filter("NoMetric", r#"{ $.a = 1 }"#, "1", None);
        no_metric.metric_transformations.clear();
        let err = Scanner::new(&rules(&[no_metric]), ScanOptions::default()).unwrap_err();
        assert_eq!(err.rule, "NoMetric");
        assert!(err.to_string().contains("NoMetric"), "{err}");
    }
}
