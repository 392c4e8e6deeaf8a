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

use crate::minutes::Minutes;
use crate::votes::Votes;
use std::collections::BTreeMap;
use trailmatch::json::TopMembers;

use serde::{Deserialize, Serialize};

use super::alarm::{
    Alarm, AlarmDef, AlarmError, Datapoint, EvaluateOptions, NotificationContext, State,
    Transition, notification_text,
};
use super::boundary;
use super::classify::{self, Access, Category, EventFilter};
use super::eventbridge::EventRuleDef;
use super::eventbridge::scan::{EventCounts, EventRules, EventRulesReport, EventTotals};
use super::insights::{
    self, ConfigError, Detector, DetectorCounts, Insight, Observation, Observations,
};
use super::logs::{Location, Sieve};
use super::rules::{MetricFilterDef, RuleSet, SourceLocation};
use crate::series::Series;
use crate::time;
use trailmatch::{Candidates, Error, MetricFilter, Pattern, PatternSet};

/// What is known of a record before the metric filters read it.
struct Filters<'a> {
    /// Whether their prefilter passed it, when it has been asked: then `candidates` says which
    /// filters it passed.
    passed: Option<bool>,
    candidates: &'a mut Candidates,
    /// Its top-level members, when classification found them (the filters then read only the
    /// members the candidates select).
    members: Option<&'a TopMembers>,
}

thread_local! {
    /// The top-level members of the record being read, and the filters that may match it (kept
    /// between records, so that their tables are not allocated again for each).
    static MEMBERS: std::cell::RefCell<(TopMembers, Candidates)> = std::cell::RefCell::default();
}

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
    /// An EventBridge rule's event pattern, refused as `PutRule` would (the engine's error,
    /// with its own code: `event-pattern-structure`, …).
    EventPattern(Box<Error>),
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
            RuleErrorKind::EventPattern(e) => e.code(),
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

    fn event(rule: Option<&EventRuleDef>, error: Error) -> RuleError {
        RuleError {
            rule: rule.map(|r| r.name.clone()).unwrap_or_default(),
            location: rule.and_then(|r| r.pattern_location.clone().or(r.location.clone())),
            kind: RuleErrorKind::EventPattern(Box::new(error)),
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
            RuleErrorKind::Filter(e) | RuleErrorKind::EventPattern(e) => e.to_string(),
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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetricKey {
    /// The namespace.
    pub namespace: String,
    /// The metric name.
    pub name: String,
    /// Dimension name → value (empty for a metric without dimensions).
    pub dimensions: BTreeMap<String, String>,
}

/// How many records went where. `read + skipped` is every record the input held (as far as
/// the reader could tell records apart), and `read = matched + unmatched + filtered`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipSummary {
    /// The reason's code (`invalid-json`, `truncated-gzip`, …).
    pub code: String,
    /// How many skips.
    pub count: u64,
    /// The first few, with where and why.
    pub examples: Vec<SkipExample>,
}

/// One skip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Its state changes, in time order, as the evaluation gave them (a scan's carry no
    /// `StateReasonData`: a long scan may have many). Serialized as `time` (RFC 3339),
    /// `from`, `to` and `reason` each.
    #[serde(serialize_with = "transition_reports")]
    pub transitions: Vec<Transition>,
    /// The alarm as evaluated (action ARNs with the scan's account and region put in).
    #[serde(skip)]
    pub def: AlarmDef,
    /// The account and region the notifications name.
    #[serde(skip)]
    pub context: NotificationContext,
    /// The alarm as evaluated (its statistic, threshold and comparison).
    #[serde(skip)]
    pub alarm: Alarm,
    /// The time the evaluation covered: from the start of the period holding the first record
    /// to one period after the last evaluation (periods after the last record are evaluated
    /// until the state cannot change; the state the last one set holds in the period after it);
    /// `None` when no record had a time.
    #[serde(skip)]
    pub evaluated_range: Option<TimeRange>,
}

/// A stretch of time an alarm spent in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateSpan {
    /// Its start (ms since the epoch).
    pub from_ms: i64,
    /// Its end.
    pub to_ms: i64,
    /// The state.
    pub state: State,
}

impl AlarmReport {
    /// How many SNS messages CloudWatch would have published: one per SNS action of each
    /// transition's new state, those whose topic ARN is not valid included — the count of
    /// [`AlarmReport::outbox`], that is of [`AlarmReport::notifications`] (the deliverable ones)
    /// and [`AlarmReport::notification_errors`] (the others) together.
    pub fn notification_count(&self) -> usize {
        self.transitions
            .iter()
            .map(|t| self.topics(t).count())
            .sum()
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
        self.transitions
            .iter()
            .flat_map(move |t| self.outbox_for(t))
    }

    /// [`AlarmReport::outbox`] for one of the alarm's transitions (one of
    /// [`AlarmReport::transitions`]).
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
    /// The alarm's states over [`AlarmReport::evaluated_range`], in time order: `INSUFFICIENT_DATA`
    /// until the first transition, then each transition's new state until the next (empty
    /// stretches left out). Empty when nothing was evaluated.
    pub fn states(&self) -> Vec<StateSpan> {
        let Some(range) = self.evaluated_range else {
            return Vec::new();
        };
        let mut spans = Vec::new();
        let mut from = range.first_ms;
        let mut state = EvaluateOptions::default().initial_state;
        for t in &self.transitions {
            if t.time_ms > from {
                spans.push(StateSpan {
                    from_ms: from,
                    to_ms: t.time_ms,
                    state,
                });
            }
            from = from.max(t.time_ms);
            state = t.to;
        }
        if range.last_ms > from {
            spans.push(StateSpan {
                from_ms: from,
                to_ms: range.last_ms,
                state,
            });
        }
        spans
    }

    /// Whether the alarm went to `ALARM` at some point.
    pub fn fired(&self) -> bool {
        self.transitions.iter().any(|t| t.to == State::Alarm)
    }
}

/// One alarm state change as a report writes it.
#[derive(Serialize)]
struct TransitionReport<'a> {
    /// When (`2026-11-23T09:15:00.000Z`).
    time: String,
    from: State,
    to: State,
    /// CloudWatch's reason (`Threshold Crossed: …`).
    reason: &'a str,
}

/// Writes [`AlarmReport::transitions`], each as a [`TransitionReport`] made as it is written.
fn transition_reports<S: serde::Serializer>(
    transitions: &[Transition],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(transitions.iter().map(|t| TransitionReport {
        time: time::format_millis(t.time_ms),
        from: t.from,
        to: t.to,
        reason: &t.reason,
    }))
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
    /// The EventBridge rules' matches and their targets' messages, when the scan has
    /// EventBridge rules (`eventRules`, left out otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_rules: Option<EventRulesReport>,
    /// Insights-style anomalies, in order of start. Serialized as the CloudTrail Insights
    /// records themselves: each anomaly's `Start` record, then its `End` record when it ended.
    #[serde(serialize_with = "insight_records")]
    pub anomalies: Vec<Insight>,
}

impl Report {
    /// The per-minute series of a metric, when something was published to it.
    pub fn series(&self, key: &MetricKey) -> Option<&Series> {
        self.metrics
            .binary_search_by(|m| m.key.cmp(key))
            .ok()
            .and_then(|i| self.metrics.get(i))
            .map(|m| &m.series)
    }

    /// The datapoints `alarm` (one of [`Report::alarms`]) evaluated: its statistic per period
    /// of the metric it watches ([`Alarm::datapoints`]); empty when nothing was published to it.
    pub fn datapoints(&self, alarm: &AlarmReport) -> Vec<Datapoint> {
        self.series(&alarm.metric)
            .map(|series| alarm.alarm.datapoints(series))
            .unwrap_or_default()
    }
}

/// Examples kept per skip reason.
const SKIP_EXAMPLES: usize = 5;

/// A metric filter as the scan runs it.
pub(crate) struct Filter {
    pub(crate) def: MetricFilterDef,
    pub(crate) filter: MetricFilter,
    /// The series its datapoints go to when they have no dimensions.
    pub(crate) key: MetricKey,
}

/// The rules of a scan, compiled: all that the threads of a parallel scan share. Records are
/// read into [`Batch`]es with it, on any thread.
pub(crate) struct Compiled {
    pub(crate) options: ScanOptions,
    set: PatternSet,
    /// The filters' sieve, when every record is asked their prefilter (no event filter) and the
    /// set has one ([`Sieve::new`]): the reading thread sifts the ranges it reads ahead with
    /// it, and a record of a line it sifted out is one no filter matches.
    pub(crate) sieve: Option<Sieve>,
    pub(crate) filters: Vec<Filter>,
    pub(crate) alarms: Vec<(AlarmDef, Alarm)>,
    event_rules: Option<EventRules>,
}

/// What records add up to whatever their order: counts, the time range, the minutes with
/// records, the votes for the account and region, and each filter's matches. A parallel scan
/// adds up each batch's on its own, then the batches' together.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    pub(crate) counts: Counts,
    pub(crate) range: Option<TimeRange>,
    pub(crate) ingest_minutes: Minutes,
    /// The minute last added to `ingest_minutes` (records come mostly in time order).
    pub(crate) last_minute: Option<i64>,
    pub(crate) accounts: Votes,
    pub(crate) regions: Votes,
    /// Per filter: its matches, and the minutes with one (for filters with a default value).
    pub(crate) matches: Vec<u64>,
    pub(crate) match_minutes: Vec<Option<Minutes>>,
    /// The time of the last kept, timed record (follow mode reads it after each record).
    pub(crate) latest: Option<i64>,
    /// What the EventBridge rules found (empty without them).
    events: EventTotals,
}

impl Totals {
    fn new(compiled: &Compiled) -> Totals {
        Totals {
            matches: vec![0; compiled.filters.len()],
            match_minutes: compiled
                .filters
                .iter()
                .map(|f| {
                    f.filter
                        .transformation()
                        .default_value
                        .map(|_| Minutes::default())
                })
                .collect(),
            events: compiled
                .event_rules
                .as_ref()
                .map(EventRules::totals)
                .unwrap_or_default(),
            ..Totals::default()
        }
    }

    fn ingest(&mut self, t: i64) {
        self.latest = Some(t);
        let minute = time::minute_floor(t);
        if self.last_minute != Some(minute) {
            self.last_minute = Some(minute);
            self.ingest_minutes.insert(minute);
        }
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

    /// Adds `other`'s totals to these.
    fn absorb(&mut self, other: Totals) {
        let (a, b) = (&mut self.counts, other.counts);
        a.read += b.read;
        a.matched += b.matched;
        a.unmatched += b.unmatched;
        a.filtered += b.filtered;
        a.skipped += b.skipped;
        a.untimed += b.untimed;
        if let Some(theirs) = other.range {
            self.range = Some(match self.range {
                Some(mine) => TimeRange {
                    first_ms: mine.first_ms.min(theirs.first_ms),
                    last_ms: mine.last_ms.max(theirs.last_ms),
                },
                None => theirs,
            });
        }
        self.ingest_minutes.extend(&other.ingest_minutes);
        self.accounts.absorb(other.accounts);
        self.regions.absorb(other.regions);
        for (mine, theirs) in self.matches.iter_mut().zip(other.matches) {
            *mine += theirs;
        }
        for (mine, theirs) in self.match_minutes.iter_mut().zip(other.match_minutes) {
            if let (Some(mine), Some(theirs)) = (mine, theirs) {
                mine.extend(&theirs);
            }
        }
        self.events.absorb(other.events);
    }
}

/// Where a record's contributions go: straight into a [`Scanner`], or into a [`Batch`] that is
/// added to one later, in input order.
trait Sink {
    fn totals(&mut self) -> &mut Totals;
    /// A record that could not be classified.
    fn not_a_record(&mut self, location: &dyn std::fmt::Display, message: String);
    /// Whether anomalies are looked for (else `observe` is not called).
    fn observes(&self) -> bool;
    fn observe(&mut self, observation: &Observation<'_>);
    /// A datapoint of filter `filter` (its own series when `dimensions` is empty).
    fn publish(&mut self, filter: usize, minute: i64, value: f64, dimensions: Dimensions);
}

pub(crate) type Dimensions = BTreeMap<String, String>;

impl Compiled {
    /// Feeds one record to `sink`; the filters that matched it, with their extracted values.
    fn record(
        &self,
        sink: &mut impl Sink,
        json: &str,
        delivery_ms: Option<i64>,
        location: &Location,
    ) -> Vec<(usize, trailmatch::Extracted)> {
        self.record_checked(sink, json, false, delivery_ms, location)
            .0
    }

    /// [`Compiled::record`], and whether classification read the record on its fast path
    /// (which checks that the text is one valid JSON object). `sifted_out`: [`Compiled::sieve`]
    /// found that no filter matches the record (then their prefilter is not asked).
    fn record_checked(
        &self,
        sink: &mut impl Sink,
        json: &str,
        sifted_out: bool,
        delivery_ms: Option<i64>,
        location: &Location,
    ) -> (Vec<(usize, trailmatch::Extracted)>, bool) {
        // The filters' prefilter first: the records it passes (a fifth of them with the CIS
        // filters) have their top-level members found by classification, which reads every
        // record whole anyway, and the filters then read only the members they select. (Under
        // an event filter, which may drop most records, the prefilter waits until a record is
        // kept.)
        MEMBERS.with(|cell| {
            let mut mine = cell.try_borrow_mut();
            let mut fresh = Default::default();
            let (members, candidates) = mine.as_deref_mut().unwrap_or(&mut fresh);
            let passed = self
                .options
                .filter
                .is_empty()
                .then(|| !sifted_out && self.set.candidates(json, candidates));
            let wanted = passed != Some(false);
            let (event, fast) = classify::classify_checked(json, wanted.then_some(&mut *members));
            let filters = Filters {
                passed,
                candidates,
                // On the fast path the record is one valid JSON object, its members found.
                members: (wanted && fast).then_some(&*members),
            };
            let hits = match event {
                Ok(event) => self.event(sink, json, &event, filters, delivery_ms, location),
                Err(e) => {
                    sink.not_a_record(location, e.message);
                    Vec::new()
                }
            };
            (hits, fast)
        })
    }

    fn event(
        &self,
        sink: &mut impl Sink,
        json: &str,
        event: &classify::Event<'_>,
        filters: Filters<'_>,
        delivery_ms: Option<i64>,
        location: &Location,
    ) -> Vec<(usize, trailmatch::Extracted)> {
        let totals = sink.totals();
        totals.counts.read += 1;
        let at = event.time_ms.or(delivery_ms);
        if !self.options.filter.keeps(event) || !self.options.filter.holds_time(at) {
            totals.counts.filtered += 1;
            return Vec::new();
        }
        // Only well-formed values take part in the vote: a record's `recipientAccountId` or
        // `awsRegion` is written by whoever made the call and ends up in ARNs.
        if let Some(account) = event
            .recipient_account_id
            .as_deref()
            .filter(|a| boundary::is_account_id(a))
        {
            totals.accounts.add(account, 1);
        }
        if let Some(region) = event
            .aws_region
            .as_deref()
            .filter(|r| boundary::is_region(r))
        {
            totals.regions.add(region, 1);
        }
        match at {
            Some(t) => totals.ingest(t),
            None => totals.counts.untimed += 1,
        }
        if let (true, Some(t), Category::Management) = (sink.observes(), at, event.category) {
            if let (Some(source), Some(name)) = (&event.event_source, &event.event_name) {
                sink.observe(&Observation {
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
        let passed = filters
            .passed
            .unwrap_or_else(|| self.set.candidates(json, filters.candidates));
        let hits = match (passed, filters.members) {
            (false, _) => Vec::new(),
            (true, Some(members)) => self.set.test_candidates(json, members, filters.candidates),
            (true, None) => self.set.test_reported(json),
        };
        let totals = sink.totals();
        let to_a_rule = self
            .event_rules
            .as_ref()
            .is_some_and(|rules| rules.record(&mut totals.events, json, location));
        if hits.is_empty() {
            if to_a_rule {
                totals.counts.matched += 1;
            } else {
                totals.counts.unmatched += 1;
            }
            return hits;
        }
        totals.counts.matched += 1;
        for (index, extracted) in &hits {
            let index = *index;
            let Some(filter) = self.filters.get(index) else {
                continue;
            };
            let totals = sink.totals();
            if let Some(matches) = totals.matches.get_mut(index) {
                *matches += 1;
            }
            let Some(t) = at else { continue };
            let minute = time::minute_floor(t);
            if let Some(Some(minutes)) = totals.match_minutes.get_mut(index) {
                minutes.insert(minute);
            }
            if let Some(datum) = filter.filter.datum(json, extracted) {
                sink.publish(index, minute, datum.value, datum.dimensions);
            }
        }
        hits
    }
}

/// A scan in progress. See the [module documentation](self).
pub struct Scanner {
    compiled: Compiled,
    state: Found,
}

/// What a scan has found so far: [`Batch`]es are added to it in input order.
pub(crate) struct Found {
    pub(crate) totals: Totals,
    pub(crate) skipped: BTreeMap<String, SkipSummary>,
    pub(crate) metrics: BTreeMap<MetricKey, Series>,
    insights: Option<Detector>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("filters", &self.compiled.filters.len())
            .field("counts", &self.state.totals.counts)
            .finish_non_exhaustive()
    }
}

impl Found {
    fn skip(&mut self, code: &str, location: String, message: String) {
        self.totals.counts.skipped += 1;
        let entry = match self.skipped.get_mut(code) {
            Some(entry) => entry,
            None => self
                .skipped
                .entry(code.to_owned())
                .or_insert_with(|| SkipSummary {
                    code: code.to_owned(),
                    count: 0,
                    examples: Vec::new(),
                }),
        };
        entry.count += 1;
        if entry.examples.len() < SKIP_EXAMPLES {
            entry.examples.push(SkipExample { location, message });
        }
    }

    pub(crate) fn publish(
        &mut self,
        filter: &Filter,
        minute: i64,
        value: f64,
        dimensions: Dimensions,
    ) {
        let series = if dimensions.is_empty() {
            match self.metrics.get_mut(&filter.key) {
                Some(series) => series,
                None => self.metrics.entry(filter.key.clone()).or_default(),
            }
        } else {
            let t = filter.filter.transformation();
            let key = MetricKey {
                namespace: t.metric_namespace.clone(),
                name: t.metric_name.clone(),
                dimensions,
            };
            self.metrics.entry(key).or_default()
        };
        series
            .entry(minute)
            .and_modify(|s| s.add(value))
            .or_insert_with(|| crate::series::Statistics::single(value));
    }
}

/// The scanner's own state as the sink of [`Compiled::record`]: everything applied at once.
struct Direct<'a> {
    compiled: &'a Compiled,
    state: &'a mut Found,
}

impl Sink for Direct<'_> {
    fn totals(&mut self) -> &mut Totals {
        &mut self.state.totals
    }

    fn not_a_record(&mut self, location: &dyn std::fmt::Display, message: String) {
        self.state
            .skip("not-a-record", location.to_string(), message);
    }

    fn observes(&self) -> bool {
        self.state.insights.is_some()
    }

    fn observe(&mut self, observation: &Observation<'_>) {
        if let Some(detector) = &mut self.state.insights {
            detector.observe(observation);
        }
    }

    fn publish(&mut self, filter: usize, minute: i64, value: f64, dimensions: Dimensions) {
        if let Some(filter) = self.compiled.filters.get(filter) {
            self.state.publish(filter, minute, value, dimensions);
        }
    }
}

/// What one batch of records (a range of a file, a run of a stream's items) adds to a scan,
/// made on any thread with [`Compiled::read_into`] and added to the scan in input order with
/// [`Found::absorb`]. What depends on the order of records (the examples of skips, the
/// floating-point sums of the metrics) is kept in order, to be applied as a scan of the records
/// one after another would; the rest is added up (the anomaly detector's counts included:
/// detectors merge).
#[derive(Debug)]
pub(crate) struct Batch {
    totals: Totals,
    /// The skips, in order.
    skips: Vec<BatchSkip>,
    /// The datapoints, in order: filter, minute, value, dimensions.
    datums: Vec<(usize, i64, f64, Dimensions)>,
    /// What the anomaly detector needs of the batch's events, when anomalies are looked for.
    insights: Option<BatchInsights>,
}

/// What a batch keeps for the anomaly detector: its events themselves, counted where the batch
/// is added ([`Found::absorb`]; taking them here costs a copy of a few strings, counting them
/// there interns the strings and finds their series once, where a detector of the batch's own
/// would do both twice), and, past [`BatchInsights::FOLD`] events, a detector of their counts
/// (a tally of a large input keeps counts, not events).
#[derive(Debug)]
struct BatchInsights {
    events: Observations,
    counts: Detector,
}

impl BatchInsights {
    /// Counted events kept before they are folded into the batch's detector (in tests, a few:
    /// the scans and tallies the tests compare then take both ways).
    const FOLD: usize = if cfg!(test) { 3 } else { 1 << 14 };

    fn observe(&mut self, observation: &Observation<'_>) {
        self.events.push(observation);
        if self.events.counted() >= BatchInsights::FOLD {
            self.fold();
        }
    }

    /// Counts the events kept in the batch's detector.
    fn fold(&mut self) {
        self.counts.observe_all(&self.events);
        self.events.clear();
    }

    /// Adds the events and counts of `self` to `detector`.
    fn add_to(self, detector: &mut Detector) {
        detector.observe_all(&self.events);
        detector.merge(self.counts);
    }

    /// A detector of everything the batch kept.
    fn into_detector(mut self) -> Detector {
        self.fold();
        self.counts
    }
}

/// A skip of a batch: one the reader made, or a record that could not be classified.
#[derive(Debug)]
enum BatchSkip {
    Reader(super::logs::Skip),
    NotARecord {
        location: String,
        message: String,
    },
    /// A skip read back from a [`Tally`]: its code, location and message.
    Coded {
        code: String,
        location: String,
        message: String,
    },
}

impl Batch {
    /// Makes the lines of the batch's locations count from `before` lines earlier: a range of
    /// a file numbers its lines from its own start.
    pub(crate) fn shift_lines(&mut self, before: u64) {
        self.totals.events.shift_lines(before);
    }

    /// Adds `later`, the batch of the items right after these: one batch of both runs.
    fn append(&mut self, later: Batch) {
        let Batch {
            totals,
            skips,
            datums,
            insights,
        } = later;
        // Skips are counted in a batch's totals (not as they are added, as in `Found`).
        self.totals.absorb(totals);
        self.skips.extend(skips);
        self.datums.extend(datums);
        if let (Some(mine), Some(theirs)) = (&mut self.insights, insights) {
            theirs.add_to(&mut mine.counts);
        }
    }

    /// Whether the batch has no records and no skips.
    pub(crate) fn is_empty(&self) -> bool {
        self.totals.counts == Counts::default()
    }

    /// The skips of the reader the batch holds, in order.
    pub(crate) fn reader_skips(&self) -> impl Iterator<Item = &super::logs::Skip> {
        self.skips.iter().filter_map(|s| match s {
            BatchSkip::Reader(skip) => Some(skip),
            BatchSkip::NotARecord { .. } | BatchSkip::Coded { .. } => None,
        })
    }
}

/// A batch as the sink of [`Compiled::record`].
struct Batching<'a> {
    batch: &'a mut Batch,
}

impl Sink for Batching<'_> {
    fn totals(&mut self) -> &mut Totals {
        &mut self.batch.totals
    }

    fn not_a_record(&mut self, location: &dyn std::fmt::Display, message: String) {
        self.batch.totals.counts.skipped += 1;
        self.batch.skips.push(BatchSkip::NotARecord {
            location: location.to_string(),
            message,
        });
    }

    fn observes(&self) -> bool {
        self.batch.insights.is_some()
    }

    fn observe(&mut self, observation: &Observation<'_>) {
        if let Some(insights) = &mut self.batch.insights {
            insights.observe(observation);
        }
    }

    fn publish(&mut self, filter: usize, minute: i64, value: f64, dimensions: Dimensions) {
        self.batch.datums.push((filter, minute, value, dimensions));
    }
}

impl Scanner {
    /// Compiles the metric filters (each validated as `PutMetricFilter` would) and the alarms
    /// (as `PutMetricAlarm` would).
    pub fn new(rules: &RuleSet, options: ScanOptions) -> Result<Scanner, RuleError> {
        let defs = rules.metric_filters.as_slice();
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
        let mut filters = Vec::with_capacity(defs.len());
        for def in defs {
            let rule_error = |error: Error| RuleError::new(Some(def), &error);
            let pattern = Pattern::new(&def.filter_pattern).map_err(rule_error)?;
            let filter =
                MetricFilter::from_transformations(pattern, def.metric_transformations.clone())
                    .map_err(rule_error)?;
            let t = filter.transformation();
            let key = MetricKey {
                namespace: t.metric_namespace.clone(),
                name: t.metric_name.clone(),
                dimensions: BTreeMap::new(),
            };
            filters.push(Filter {
                def: def.clone(),
                filter,
                key,
            });
        }
        let set = PatternSet::new(filters.iter().map(|f| f.def.filter_pattern.as_str()))
            .map_err(|e| RuleError::new(e.index.and_then(|i| defs.get(i)), &e.error))?;
        let event_rules = if rules.event_rules.is_empty() {
            None
        } else {
            Some(
                EventRules::new(&rules.event_rules).map_err(|(index, error)| {
                    RuleError::event(rules.event_rules.get(index), error)
                })?,
            )
        };
        let sieve = options
            .filter
            .is_empty()
            .then(|| Sieve::new(&set))
            .flatten();
        let compiled = Compiled {
            options,
            set,
            sieve,
            filters,
            alarms,
            event_rules,
        };
        let state = Found {
            totals: Totals::new(&compiled),
            skipped: BTreeMap::new(),
            metrics: BTreeMap::new(),
            insights,
        };
        Ok(Scanner { compiled, state })
    }

    /// Counts, so far.
    pub fn counts(&self) -> Counts {
        self.state.totals.counts
    }

    /// Records one stretch of input that could not be read as a record.
    pub fn skip(&mut self, code: &str, location: String, message: String) {
        self.state.skip(code, location, message);
    }

    /// Feeds one record (its JSON text, and the time it was delivered when the log format
    /// says). Returns the indices of the filters that matched it.
    pub fn record(
        &mut self,
        json: &str,
        delivery_ms: Option<i64>,
        location: &dyn std::fmt::Display,
    ) -> Vec<usize> {
        let location = Location {
            file: location.to_string(),
            ..Location::default()
        };
        self.record_at(json, delivery_ms, &location)
    }

    /// [`Scanner::record`] with the reader's location.
    fn record_at(
        &mut self,
        json: &str,
        delivery_ms: Option<i64>,
        location: &Location,
    ) -> Vec<usize> {
        let mut sink = Direct {
            compiled: &self.compiled,
            state: &mut self.state,
        };
        let hits = self.compiled.record(&mut sink, json, delivery_ms, location);
        hits.into_iter().map(|(index, _)| index).collect()
    }

    /// Feeds what a [`logs`](super::logs) reader yields: a record, or a skip. Returns the
    /// indices of the filters that matched a record.
    pub fn read(&mut self, item: super::logs::Item) -> Vec<usize> {
        match item {
            super::logs::Item::Record(r) => self.record_at(&r.json, r.timestamp_ms, &r.location),
            super::logs::Item::Skipped(s) => {
                self.skip(s.kind.code(), s.location.to_string(), s.message);
                Vec::new()
            }
        }
    }

    /// Adds a batch made with [`Compiled::read_into`] to the scan.
    #[cfg(test)]
    fn absorb(&mut self, batch: Batch) {
        self.state.absorb(&self.compiled, batch);
    }

    /// The compiled rules and what was found so far, for follow mode to read and trim.
    pub(crate) fn parts_mut(&mut self) -> (&Compiled, &mut Found) {
        (&self.compiled, &mut self.state)
    }

    /// The scanner in two: the compiled rules, which threads can share to read records into
    /// batches, and what was found, which the batches are added to.
    pub(crate) fn into_parts(self) -> (Compiled, Found) {
        (self.compiled, self.state)
    }

    /// Ends the scan.
    pub fn finish(self) -> Report {
        self.state.finish(&self.compiled, 1)
    }
}

impl Compiled {
    /// A new, empty batch for [`Compiled::read_into`].
    pub(crate) fn batch(&self) -> Batch {
        Batch {
            totals: Totals::new(self),
            skips: Vec::new(),
            datums: Vec::new(),
            // The configuration was checked when the scanner was made.
            insights: self
                .options
                .insights
                .clone()
                .and_then(|config| Detector::new(config).ok())
                .map(|counts| BatchInsights {
                    events: Observations::default(),
                    counts,
                }),
        }
    }

    /// [`Compiled::read_into`] of a record's text (an item's, or a line lent by a range's
    /// stream, which [`Compiled::sieve`] may have sifted out: `Stream::next_ref_keys_unsearched`),
    /// delivered at `delivery_ms` (an export line's timestamp), at `location`.
    pub(crate) fn read_record(
        &self,
        batch: &mut Batch,
        json: &str,
        sifted_out: bool,
        delivery_ms: Option<i64>,
        location: &Location,
    ) -> bool {
        let mut sink = Batching { batch };
        self.record_checked(&mut sink, json, sifted_out, delivery_ms, location)
            .1
    }

    /// [`Scanner::read`] into a batch rather than into the scan, on any thread; batches added
    /// to the scan in input order with [`Found::absorb`] give what reading their items one
    /// after another gives. True for a record that classification read on its fast path
    /// (its text is one valid JSON object).
    pub(crate) fn read_into(&self, batch: &mut Batch, item: super::logs::Item) -> bool {
        match item {
            super::logs::Item::Record(r) => {
                self.read_record(batch, &r.json, false, r.timestamp_ms, &r.location)
            }
            super::logs::Item::Skipped(s) => {
                batch.totals.counts.skipped += 1;
                batch.skips.push(BatchSkip::Reader(s));
                false
            }
        }
    }
}

impl Found {
    /// Counts, so far.
    pub(crate) fn counts(&self) -> Counts {
        self.totals.counts
    }

    /// Adds a batch made with [`Compiled::read_into`]: batches added in input order give the
    /// report that reading their items one after another gives.
    pub(crate) fn absorb(&mut self, compiled: &Compiled, batch: Batch) {
        let Batch {
            mut totals,
            skips,
            datums,
            insights,
        } = batch;
        // Skips are counted as they are added.
        totals.counts.skipped = 0;
        self.totals.absorb(totals);
        for skip in skips {
            match skip {
                BatchSkip::Reader(s) => {
                    self.skip(s.kind.code(), s.location.to_string(), s.message);
                }
                BatchSkip::NotARecord { location, message } => {
                    self.skip("not-a-record", location, message);
                }
                BatchSkip::Coded {
                    code,
                    location,
                    message,
                } => {
                    self.skip(&code, location, message);
                }
            }
        }
        for (filter, minute, value, dimensions) in datums {
            if let Some(filter) = compiled.filters.get(filter) {
                self.publish(filter, minute, value, dimensions);
            }
        }
        if let (Some(detector), Some(theirs)) = (&mut self.insights, insights) {
            theirs.add_to(detector);
        }
    }

    /// Ends the scan; up to `threads` threads evaluate the alarms.
    pub(crate) fn finish(self, compiled: &Compiled, threads: usize) -> Report {
        let Found {
            mut totals,
            skipped,
            mut metrics,
            insights,
        } = self;
        let event_rules = compiled
            .event_rules
            .as_ref()
            .map(|rules| rules.report(std::mem::take(&mut totals.events)));
        for (filter, minutes) in compiled.filters.iter().zip(&totals.match_minutes) {
            let t = filter.filter.transformation();
            let (Some(default), Some(matched)) = (t.default_value, minutes) else {
                continue;
            };
            for minute in totals.ingest_minutes.without(matched) {
                publish(&mut metrics, filter.key.clone(), minute, default);
            }
        }
        let options = &compiled.options;
        let account_id = options
            .account_id
            .clone()
            .or_else(|| totals.accounts.most());
        let region = options.region.clone().or_else(|| totals.regions.most());
        // What only the defaults and the votes needed is freed before the alarms make their
        // transitions: the votes of a long scan's accounts are its largest table.
        drop((
            std::mem::take(&mut totals.accounts),
            std::mem::take(&mut totals.regions),
            std::mem::take(&mut totals.ingest_minutes),
            std::mem::take(&mut totals.match_minutes),
        ));
        let context = NotificationContext::new(
            account_id.clone().unwrap_or_default(),
            region.clone().unwrap_or_default(),
        );
        let (alarms, anomalies) = finish_alarms_and_anomalies(
            &compiled.alarms,
            &metrics,
            totals.range,
            &context,
            insights,
            threads,
        );
        let rules = compiled
            .filters
            .iter()
            .zip(&totals.matches)
            .map(|(f, &matches)| {
                let t = f.filter.transformation();
                RuleReport {
                    name: f.def.filter_name.clone(),
                    pattern: f.def.filter_pattern.clone(),
                    matches,
                    metric: MetricName {
                        namespace: t.metric_namespace.clone(),
                        name: t.metric_name.clone(),
                    },
                }
            })
            .collect();
        Report {
            records: totals.counts,
            skipped: skipped.into_values().collect(),
            range: totals.range,
            rules,
            metrics: metrics
                .into_iter()
                .map(|(key, series)| MetricReport { key, series })
                .collect(),
            alarms,
            account_id,
            region,
            event_rules,
            anomalies,
        }
    }
}

/// What a run of records adds to a scan, as data that serializes (with serde, e.g. as JSON):
/// made by [`Scanner::tally`] wherever the rules can be compiled (a Spark task, another
/// process), added to a scanner of the same rules and options with [`Scanner::add_tally`] (or
/// to a follower, [`Follower::add_tally`](crate::follow::Follower::add_tally)). Tallies added
/// in input order give the report that reading their items one after another gives: what
/// depends on order (skip examples, the floating-point sums of metrics) is kept in order.
///
/// ```
/// use trailmatch_cloudtrail::{logs, rules::RuleSet, scan::{ScanOptions, Scanner, Tally}};
///
/// let log = br#"{"Records":[{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}]}"#;
/// let task = Scanner::new(&RuleSet::cis(), ScanOptions::default())?;
/// let tally = task.tally(logs::read_stream("trail.json", &log[..], logs::Options::default()));
/// let text = serde_json::to_string(&tally)?;
///
/// let mut driver = Scanner::new(&RuleSet::cis(), ScanOptions::default())?;
/// driver.add_tally(serde_json::from_str::<Tally>(&text)?)?;
/// assert_eq!(driver.finish().records.matched, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    format: String,
    version: u32,
    /// How many metric filters the rules have (checked when added).
    filters: usize,
    counts: Counts,
    range: Option<(i64, i64)>,
    #[serde(deserialize_with = "crate::minutes::deserialize_minutes")]
    ingest_minutes: Vec<i64>,
    accounts: BTreeMap<String, u64>,
    regions: BTreeMap<String, u64>,
    matches: Vec<u64>,
    #[serde(deserialize_with = "crate::minutes::deserialize_minute_lists")]
    match_minutes: Vec<Option<Vec<i64>>>,
    /// The kept, timed records per minute: minute, count, latest time (follow mode's
    /// watermark and lateness).
    minutes: Vec<(i64, u64, i64)>,
    skips: Vec<TallySkip>,
    /// Datapoints in order: filter, minute, the value's bits (read back exactly), dimensions.
    datums: Vec<(usize, i64, u64, Dimensions)>,
    insights: Option<DetectorCounts>,
    /// What the EventBridge rules found, when the scan has some.
    events: Option<EventCounts>,
}

/// One skip of a [`Tally`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TallySkip {
    code: String,
    location: String,
    message: String,
}

/// The name a tally is recognised by, and its version.
const TALLY_FORMAT: &str = "trailmatch-tally";
const TALLY_VERSION: u32 = 1;

/// Why a [`Tally`] cannot be made or added.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TallyError {
    /// The tally was made with other rules or options (what differs).
    OtherRules(String),
}

impl TallyError {
    /// The stable code: `tally-other-rules`.
    pub fn code(&self) -> &'static str {
        match self {
            TallyError::OtherRules(_) => "tally-other-rules",
        }
    }
}

impl std::fmt::Display for TallyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TallyError::OtherRules(what) => write!(
                f,
                "the tally was made with other rules or options than this scan's: {what}"
            ),
        }
    }
}

impl std::error::Error for TallyError {}

impl Tally {
    /// The records it counts.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The time range of its kept, timed records (ms since the epoch), when any.
    pub fn range(&self) -> Option<TimeRange> {
        self.range
            .map(|(first_ms, last_ms)| TimeRange { first_ms, last_ms })
    }

    fn from_batch(
        batch: Batch,
        minutes: BTreeMap<i64, (u64, i64)>,
        filters: usize,
        event_rules: bool,
    ) -> Tally {
        let Batch {
            totals,
            skips,
            datums,
            insights,
        } = batch;
        let sorted = |set: Minutes| set.iter().collect::<Vec<i64>>();
        Tally {
            format: TALLY_FORMAT.to_owned(),
            version: TALLY_VERSION,
            filters,
            counts: totals.counts,
            range: totals.range.map(|r| (r.first_ms, r.last_ms)),
            ingest_minutes: sorted(totals.ingest_minutes),
            accounts: totals.accounts.to_map(),
            regions: totals.regions.to_map(),
            matches: totals.matches,
            match_minutes: totals
                .match_minutes
                .into_iter()
                .map(|m| m.map(sorted))
                .collect(),
            minutes: minutes
                .into_iter()
                .map(|(minute, (n, last))| (minute, n, last))
                .collect(),
            skips: skips
                .into_iter()
                .map(|s| match s {
                    BatchSkip::Reader(s) => TallySkip {
                        code: s.kind.code().to_owned(),
                        location: s.location.to_string(),
                        message: s.message,
                    },
                    BatchSkip::NotARecord { location, message } => TallySkip {
                        code: "not-a-record".to_owned(),
                        location,
                        message,
                    },
                    BatchSkip::Coded {
                        code,
                        location,
                        message,
                    } => TallySkip {
                        code,
                        location,
                        message,
                    },
                })
                .collect(),
            datums: datums
                .into_iter()
                .map(|(f, m, v, d)| (f, m, v.to_bits(), d))
                .collect(),
            insights: insights
                .map(BatchInsights::into_detector)
                .as_ref()
                .map(Detector::counts),
            events: event_rules.then(|| totals.events.to_counts()),
        }
    }

    /// The batch it stands for, checked against the scan's rules and options.
    fn into_batch(self, compiled: &Compiled) -> Result<Batch, TallyError> {
        let other = |what: String| Err(TallyError::OtherRules(what));
        if self.format != TALLY_FORMAT || self.version != TALLY_VERSION {
            return other(format!(
                "format `{}` version {}, not `{TALLY_FORMAT}` version {TALLY_VERSION}",
                boundary::terminal(&self.format),
                self.version
            ));
        }
        let mut totals = Totals::new(compiled);
        if self.filters != compiled.filters.len()
            || self.matches.len() != compiled.filters.len()
            || self.match_minutes.len() != totals.match_minutes.len()
            || self
                .match_minutes
                .iter()
                .zip(&totals.match_minutes)
                .any(|(a, b)| a.is_some() != b.is_some())
        {
            return other(format!(
                "{} metric filters, this scan has {}",
                self.filters,
                compiled.filters.len()
            ));
        }
        if let Some(i) = self
            .datums
            .iter()
            .position(|d| d.0 >= compiled.filters.len())
        {
            return other(format!(
                "datapoint {i} names a filter the scan does not have"
            ));
        }
        let insights = match (self.insights, &compiled.options.insights) {
            (None, None) => None,
            (Some(counts), Some(config)) => Some(BatchInsights {
                events: Observations::default(),
                counts: Detector::from_counts(config.clone(), counts)
                    .map_err(TallyError::OtherRules)?,
            }),
            (Some(_), None) => return other("it looked for anomalies, this scan does not".into()),
            (None, Some(_)) => return other("this scan looks for anomalies, it did not".into()),
        };
        totals.events = match (self.events, &compiled.event_rules) {
            (None, None) => EventTotals::default(),
            (Some(counts), Some(rules)) => {
                EventTotals::from_counts(counts, rules.totals().matches.len())
                    .map_err(TallyError::OtherRules)?
            }
            (Some(_), None) => return other("it has EventBridge rules, this scan has none".into()),
            (None, Some(_)) => return other("this scan has EventBridge rules, it has none".into()),
        };
        totals.counts = self.counts;
        totals.range = self
            .range
            .map(|(first_ms, last_ms)| TimeRange { first_ms, last_ms });
        totals.ingest_minutes = self.ingest_minutes.into_iter().collect();
        totals.accounts = Votes::from_map(self.accounts);
        totals.regions = Votes::from_map(self.regions);
        totals.matches = self.matches;
        for (mine, theirs) in totals.match_minutes.iter_mut().zip(self.match_minutes) {
            if let (Some(mine), Some(theirs)) = (mine, theirs) {
                *mine = theirs.into_iter().collect();
            }
        }
        Ok(Batch {
            totals,
            skips: self
                .skips
                .into_iter()
                .map(|s| BatchSkip::Coded {
                    code: s.code,
                    location: s.location,
                    message: s.message,
                })
                .collect(),
            datums: self
                .datums
                .into_iter()
                .map(|(f, m, bits, d)| (f, m, f64::from_bits(bits), d))
                .collect(),
            insights,
        })
    }

    /// The kept, timed records per minute: minute start, count, latest time (ms).
    pub(crate) fn minutes(&self) -> &[(i64, u64, i64)] {
        &self.minutes
    }
}

impl Scanner {
    /// Reads `items` (a [`logs`](super::logs) reader's records and skips, in order) into a
    /// [`Tally`], leaving this scanner as it was: a partial scan to add to a scanner of the
    /// same rules and options elsewhere ([`Scanner::add_tally`]).
    pub fn tally(&self, items: impl IntoIterator<Item = super::logs::Item>) -> Tally {
        let compiled = &self.compiled;
        let mut batch = compiled.batch();
        let mut minutes: BTreeMap<i64, (u64, i64)> = BTreeMap::new();
        for item in items {
            batch.totals.latest = None;
            compiled.read_into(&mut batch, item);
            if let Some(t) = batch.totals.latest.take() {
                let entry = minutes.entry(time::minute_floor(t)).or_insert((0, t));
                entry.0 += 1;
                entry.1 = entry.1.max(t);
            }
        }
        Tally::from_batch(
            batch,
            minutes,
            compiled.filters.len(),
            compiled.event_rules.is_some(),
        )
    }

    /// Tallies of consecutive runs of records, in order, as one tally (as if [`Scanner::tally`]
    /// had read the runs one after the other): partial scans combined where they are made (a
    /// Spark task) so that fewer reach the scan.
    pub fn merge_tallies(
        &self,
        tallies: impl IntoIterator<Item = Tally>,
    ) -> Result<Tally, TallyError> {
        let compiled = &self.compiled;
        let mut batch = compiled.batch();
        let mut minutes: BTreeMap<i64, (u64, i64)> = BTreeMap::new();
        for tally in tallies {
            for &(minute, n, last) in &tally.minutes {
                let entry = minutes.entry(minute).or_insert((0, last));
                entry.0 += n;
                entry.1 = entry.1.max(last);
            }
            batch.append(tally.into_batch(compiled)?);
        }
        Ok(Tally::from_batch(
            batch,
            minutes,
            compiled.filters.len(),
            compiled.event_rules.is_some(),
        ))
    }

    /// Adds a [`Tally`] (made by [`Scanner::tally`] with the same rules and options) to the
    /// scan; tallies added in input order give the report one pass over their items gives.
    pub fn add_tally(&mut self, tally: Tally) -> Result<(), TallyError> {
        let batch = tally.into_batch(&self.compiled)?;
        self.state.absorb(&self.compiled, batch);
        Ok(())
    }
}

/// The alarms evaluated (in rule order) and the anomalies found: the anomalies on this thread,
/// then the alarms shared out between up to `threads` threads (no more than the cores).
fn finish_alarms_and_anomalies(
    alarms: &[(AlarmDef, Alarm)],
    metrics: &BTreeMap<MetricKey, Series>,
    range: Option<TimeRange>,
    context: &NotificationContext,
    insights: Option<Detector>,
    threads: usize,
) -> (Vec<AlarmReport>, Vec<Insight>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((def, alarm)) = alarms.get(i) else {
                return done;
            };
            done.push((i, evaluate(def, alarm, metrics, range, context)));
        }
    };
    // The anomalies first, on this thread alone: the detector's memory was allocated by other
    // threads, and freeing it while threads allocate for the alarms' reasons slows both down.
    let anomalies = insights.map(Detector::finish).unwrap_or_default();
    // No more threads than cores: more could not run at once, and each thread's allocations
    // come from a malloc arena of its own (memory the detector freed on this thread is not
    // theirs to reuse), so each one more adds the memory of the alarms it evaluates.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = threads.min(cores);
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.min(alarms.len() + 1))
            .filter_map(|i| {
                std::thread::Builder::new()
                    .name(format!("scan-finish-{i}"))
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut evaluated = work();
        for helper in helpers {
            if let Ok(done) = helper.join() {
                evaluated.extend(done);
            }
        }
        evaluated.sort_by_key(|(i, _)| *i);
        let evaluated = evaluated.into_iter().map(|(_, report)| report).collect();
        (evaluated, anomalies)
    })
}

/// Replaces `${AWS::Region}` and `${AWS::AccountId}` in an action ARN, when the scan knows
/// them (else they stay, and the ARN is refused when a message is built, with a hint).
pub(crate) fn substitute(arn: &str, context: &NotificationContext) -> String {
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

/// The series an alarm watches.
pub(crate) fn alarm_key(def: &AlarmDef) -> MetricKey {
    MetricKey {
        namespace: def.namespace.clone().unwrap_or_default(),
        name: def.metric_name.clone().unwrap_or_default(),
        dimensions: def
            .dimensions
            .iter()
            .map(|d| (d.name.clone(), d.value.clone()))
            .collect(),
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
    let key = alarm_key(def);
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
    let p = alarm.period_ms().max(1);
    let evaluated_range = match (range, evaluation.final_time_ms) {
        (Some(r), Some(last)) => {
            let start = time::minute_floor(r.first_ms);
            Some(TimeRange {
                first_ms: start.saturating_sub(start.rem_euclid(p)),
                last_ms: last.saturating_add(p).min(time::MAX_MS),
            })
        }
        _ => None,
    };
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
        transitions: evaluation.transitions,
        def,
        context: context.clone(),
        alarm: alarm.clone(),
        evaluated_range,
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
            ..RuleSet::default()
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
        let changes: Vec<(String, State, State)> = stop
            .transitions
            .iter()
            .map(|t| (time::format_millis(t.time_ms), t.from, t.to))
            .collect();
        // The 10:05-10:10 period holds the StopLogging call: ALARM when it ends; the next
        // periods have no data: INSUFFICIENT_DATA once the look-back window (N + 2 periods)
        // holds none.
        assert_eq!(
            changes[0],
            (
                "2026-11-23T10:10:00.000Z".to_owned(),
                State::InsufficientData,
                State::Alarm
            )
        );
        // A report writes each transition's time, states and reason.
        assert_eq!(
            serde_json::to_value(stop).unwrap()["transitions"][0],
            serde_json::json!({
                "time": "2026-11-23T10:10:00.000Z",
                "from": "INSUFFICIENT_DATA",
                "to": "ALARM",
                "reason": stop.transitions[0].reason,
            })
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

    /// What a chart of an alarm needs: its datapoints per period, its states over the range it
    /// was evaluated on, and the threshold.
    #[test]
    fn alarm_datapoints_and_states_cover_the_evaluation() {
        let mut scan = Scanner::new(&RuleSet::cis(), ScanOptions::default()).unwrap();
        let record = |time: &str, name: &str| {
            format!(
                r#"{{"eventTime":"{time}","eventSource":"cloudtrail.amazonaws.com","eventName":"{name}","readOnly":false}}"#
            )
        };
        for (time, name) in [
            ("2026-11-23T10:03:10Z", "DescribeTrails"),
            ("2026-11-23T10:07:30Z", "StopLogging"),
            ("2026-11-23T10:08:00Z", "StopLogging"),
            ("2026-11-23T10:21:00Z", "DeleteTrail"),
            ("2026-11-23T10:31:00Z", "DescribeTrails"),
        ] {
            scan.record(&record(time, name), None, &"f");
        }
        let report = scan.finish();
        let stop = &report.alarms[4];
        assert_eq!(stop.alarm.threshold(), 1.0);
        let points: Vec<(i64, f64, bool)> = report
            .datapoints(stop)
            .iter()
            .map(|p| (p.start_ms, p.value, p.breaching))
            .collect();
        // Sum per 5-minute period: 10:05 has two calls, 10:20 one; no other period has data.
        assert_eq!(
            points,
            [(T0 + 5 * 60_000, 2.0, true), (T0 + 20 * 60_000, 1.0, true)]
        );
        // An alarm whose metric had no datapoint has none.
        assert!(report.datapoints(&report.alarms[0]).is_empty());
        // Evaluated from the start of the period of the first record to the last evaluation.
        let range = stop.evaluated_range.unwrap();
        assert_eq!(range.first_ms, T0);
        let last = stop.transitions.last().unwrap().time_ms;
        assert_eq!(range.last_ms, last + 5 * 60_000, "{range:?}");
        let states = stop.states();
        assert_eq!(
            states.first().map(|s| (s.from_ms, s.state)),
            Some((T0, State::InsufficientData))
        );
        assert_eq!(states.last().map(|s| s.to_ms), Some(range.last_ms));
        // The spans follow one another without a gap, and change where the transitions are.
        for (a, b) in states.iter().zip(states.iter().skip(1)) {
            assert_eq!(a.to_ms, b.from_ms);
            assert_ne!(a.state, b.state);
        }
        let changes: Vec<i64> = states.iter().skip(1).map(|s| s.from_ms).collect();
        let times: Vec<i64> = stop.transitions.iter().map(|t| t.time_ms).collect();
        assert_eq!(changes, times);
        let alarm: Vec<(i64, i64)> = states
            .iter()
            .filter(|s| s.state == State::Alarm)
            .map(|s| (s.from_ms, s.to_ms))
            .collect();
        assert_eq!(alarm.first().map(|a| a.0), Some(T0 + 10 * 60_000));
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
    fn records_outside_the_time_window_are_filtered() {
        let filters = [filter("Any", r#"{ $.eventName = * }"#, "1", None)];
        let options = ScanOptions {
            filter: EventFilter {
                from_ms: Some(T0 + 60_000),
                to_ms: Some(T0 + 120_000),
                ..EventFilter::default()
            },
            ..ScanOptions::default()
        };
        let mut scan = Scanner::new(&rules(&filters), options).unwrap();
        scan.record(&event(0, 59, "Before", ""), None, &"f:1");
        scan.record(&event(1, 0, "First", ""), None, &"f:2");
        scan.record(&event(1, 59, "Last", ""), None, &"f:3");
        scan.record(&event(2, 0, "After", ""), None, &"f:4");
        // Without an eventTime, the delivery time places it; without either, it is in no
        // window: filtered.
        scan.record(r#"{"eventName":"Delivered"}"#, Some(T0 + 90_000), &"f:5");
        scan.record(
            r#"{"eventName":"DeliveredLate"}"#,
            Some(T0 + 120_000),
            &"f:6",
        );
        scan.record(r#"{"eventName":"NoTime"}"#, None, &"f:7");
        let report = scan.finish();
        let c = report.records;
        assert_eq!(
            (c.read, c.matched, c.filtered, c.untimed),
            (7, 3, 4, 0),
            "{c:?}"
        );
        let range = report.range.unwrap();
        assert_eq!((range.first_ms, range.last_ms), (T0 + 60_000, T0 + 119_000));
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

    /// Batches read on their own and added in order give the report of the records read one
    /// after another: counts, skips and their examples, metrics (sums of fractional values,
    /// whose order matters), alarms, account and region, anomalies.
    mod batches {
        use super::*;
        use crate::logs::{Item, Location, Record, Skip, SkipKind};
        use proptest::prelude::*;

        fn rules() -> RuleSet {
            let mut rules = RuleSet::cis();
            let extra = RuleSet::parse(
                r#"{"metricFilters": [
                    {"filterName": "bytes", "filterPattern": "{ $.bytes > 0 }",
                     "metricTransformations": [{"metricName": "Bytes", "metricNamespace": "T",
                        "metricValue": "$.bytes", "dimensions": {"Name": "$.eventName"}}]},
                    {"filterName": "all-bytes", "filterPattern": "{ $.bytes > 0 }",
                     "metricTransformations": [{"metricName": "AllBytes", "metricNamespace": "T",
                        "metricValue": "$.bytes", "defaultValue": 0.5}]}],
                 "MetricAlarms": [{"AlarmName": "bytes", "MetricName": "AllBytes", "Namespace": "T",
                    "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 0.9,
                    "ComparisonOperator": "GreaterThanThreshold"}]}"#,
                "t.json",
            )
            .unwrap();
            rules.metric_filters.extend(extra.metric_filters);
            rules.alarms.extend(extra.alarms);
            rules
        }

        fn options() -> ScanOptions {
            ScanOptions {
                insights: Some(crate::insights::Config {
                    min_history_minutes: 5,
                    min_count: 3,
                    ..crate::insights::Config::default()
                }),
                ..ScanOptions::default()
            }
        }

        /// An item from a few numbers: a record (of several kinds) or a skip.
        fn item(n: usize, (minute, kind, value): (u8, u8, u8)) -> Item {
            let location = Location {
                file: format!("f{}", n / 7),
                line: Some(n as u64 + 1),
                ..Location::default()
            };
            let names = [
                "StopLogging",
                "CreateTags",
                "DescribeTrails",
                "PutObject",
                "ConsoleLogin",
            ];
            let name = names[usize::from(kind) % names.len()];
            let account = ["111122223333", "444455556666", "12"][usize::from(value) % 3];
            let region = ["eu-west-1", "us-east-1", "EU"][usize::from(value / 3) % 3];
            let json = match kind % 16 {
                13 => {
                    return Item::Skipped(Skip {
                        location,
                        kind: SkipKind::InvalidJson,
                        message: format!("bad {n}"),
                    });
                }
                14 => "[1]".to_owned(),
                15 => format!(
                    r#"{{"eventName":"A","eventName":"B","x":{}1{}}}"#,
                    "[".repeat(130),
                    "]".repeat(130)
                ),
                k => format!(
                    r#"{{"eventTime":"2026-11-23T10:{:02}:{:02}Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{name}","readOnly":{},"errorCode":{},"recipientAccountId":"{account}","awsRegion":"{region}","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::1:user/u{}"}},"bytes":{}}}"#,
                    minute % 40,
                    value % 60,
                    k % 3 == 0,
                    if k % 4 == 0 {
                        "\"AccessDenied\""
                    } else {
                        "null"
                    },
                    value % 4,
                    f64::from(value) / 10.0,
                ),
            };
            Item::Record(Record {
                location,
                json,
                timestamp_ms: (kind % 5 == 0).then_some(T0 + i64::from(value) * 1000),
                text: false,
            })
        }

        fn items(seeds: &[(u8, u8, u8)]) -> impl Iterator<Item = Item> + '_ {
            seeds.iter().enumerate().map(|(n, seed)| item(n, *seed))
        }

        /// A burst of write calls after a quiet baseline: an anomaly.
        fn burst() -> Vec<(u8, u8, u8)> {
            let mut seeds: Vec<(u8, u8, u8)> = (0..30).map(|m| (m, 1, 7)).collect();
            seeds.extend((0..40).map(|i| (31 + i % 3, 1, 7)));
            seeds
        }

        fn check(seeds: &[(u8, u8, u8)], cuts: &[usize]) -> Result<(), TestCaseError> {
            let mut direct = Scanner::new(&rules(), options()).unwrap();
            for item in items(seeds) {
                direct.read(item);
            }
            let mut batched = Scanner::new(&rules(), options()).unwrap();
            let mut all: Vec<Item> = items(seeds).collect();
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (all.len() + 1)).collect();
            cuts.sort_unstable();
            let mut taken = 0;
            let mut chunks = Vec::new();
            for cut in cuts.into_iter().chain([all.len()]) {
                let chunk: Vec<Item> = all.drain(..cut - taken).collect();
                taken = cut;
                chunks.push(chunk);
            }
            // Made in any order (as threads would), added in input order.
            let (compiled, _) = (&batched.compiled, ());
            let mut made: Vec<Batch> = chunks
                .into_iter()
                .rev()
                .map(|chunk| {
                    let mut batch = compiled.batch();
                    for item in chunk {
                        compiled.read_into(&mut batch, item);
                    }
                    batch
                })
                .collect();
            made.reverse();
            for batch in made {
                batched.absorb(batch);
            }
            let (direct, batched) = (direct.finish(), batched.finish());
            prop_assert_eq!(&direct, &batched);
            prop_assert_eq!(
                serde_json::to_string(&direct).unwrap(),
                serde_json::to_string(&batched).unwrap()
            );
            Ok(())
        }

        #[test]
        fn a_burst_read_in_batches_gives_the_same_anomaly() {
            let seeds = burst();
            check(&seeds, &[]).unwrap();
            check(&seeds, &[1, 5, 33, 34, 50, 69]).unwrap();
            let mut direct = Scanner::new(&rules(), options()).unwrap();
            items(&seeds).for_each(|item| drop(direct.read(item)));
            assert!(!direct.finish().anomalies.is_empty());
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn batches_added_in_order_give_the_report_of_one_pass(
                seeds in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..120),
                cuts in prop::collection::vec(any::<usize>(), 0..8),
            ) {
                check(&seeds, &cuts)?;
            }
        }
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
