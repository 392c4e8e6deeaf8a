//! Alarm evaluation with CloudWatch's rules, and the reasons CloudWatch gives for a state change.
//!
//! The rules come from the CloudWatch User Guide, "Using Amazon CloudWatch alarms" →
//! "Evaluating an alarm" and "Configuring how CloudWatch alarms treat missing data" (with its
//! "Avoiding premature transitions to alarm state"); the wording of reasons and the shape of
//! `StateReasonData` from alarm histories and notifications that AWS published or users quoted.

use std::ops::Range;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{AlarmDef, AlarmError, ComparisonOperator, Rule, State, TreatMissingData};
use crate::series::{Series, Statistic, Statistics, rebucket};
use crate::time;

/// The most periods [`EvaluateOptions::extra_periods`] may add to an evaluation range.
pub const MAX_EXTRA_PERIODS: usize = 1_000;

/// How an evaluation runs. The defaults are CloudWatch's, as far as AWS documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvaluateOptions {
    /// The state before the first evaluation: `INSUFFICIENT_DATA`, as for a new alarm, by
    /// default. Give the state an earlier run ended in to continue it.
    pub initial_state: State,
    /// How many periods beyond `EvaluationPeriods` each evaluation looks back over (its
    /// *evaluation range*) when datapoints are missing. AWS does not publish the number; its
    /// user guide's example retrieves 5 datapoints for 3 evaluation periods, and an alarm with
    /// one evaluation period keeps seeing its last datapoint for three periods, so the default
    /// is 2. At most [`MAX_EXTRA_PERIODS`]; more counts as that.
    pub extra_periods: usize,
    /// Whether to go on evaluating after the end of the range, period by period, until the last
    /// datapoint has left the evaluation range and the state cannot change any more (at most
    /// evaluation-range periods). On by default; off, the last evaluation is at the end of the
    /// period holding the range's end.
    pub settle: bool,
    /// Whether transitions carry their [`reason_data`](Transition::reason_data). On by default;
    /// off, it is `null` (a long scan with many transitions then holds only their reasons).
    pub reason_data: bool,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        EvaluateOptions {
            initial_state: State::InsufficientData,
            extra_periods: 2,
            settle: true,
            reason_data: true,
        }
    }
}

/// One state change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transition {
    /// When it happened: the end of the period whose evaluation changed the state
    /// (milliseconds since the epoch).
    pub time_ms: i64,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// CloudWatch's `StateReason` (`Threshold Crossed: 1 datapoint [5.0 (26/11/24 03:30:00)] was
    /// greater than or equal to the threshold (1.0).`).
    pub reason: String,
    /// CloudWatch's `StateReasonData`: `version`, `queryDate`, `startDate` (when a real
    /// datapoint was evaluated), `unit` (when the alarm has one), `statistic`, `period`,
    /// `recentDatapoints` (the evaluated values, oldest first), `threshold` and
    /// `evaluatedDatapoints` (newest first; a missing datapoint has only its `timestamp`).
    pub reason_data: Value,
}

/// What an evaluation found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// The state changes, in time order.
    pub transitions: Vec<Transition>,
    /// The state after the last evaluation.
    pub final_state: State,
    /// The time of the last evaluation (the end of the last period evaluated, trailing periods
    /// included), if there was one: the state holds from there on while no data comes.
    pub final_time_ms: Option<i64>,
}

/// A validated alarm, ready to evaluate series.
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    rule: Rule,
    unit: Option<String>,
    /// The missing-data treatment applied (see [`Alarm::treat_missing_data`]).
    treat_missing: TreatMissingData,
}

/// One period's datapoint as an alarm sees it: the alarm's statistic of the period, and whether
/// it breaches the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Datapoint {
    /// The period's start (milliseconds since the epoch, aligned to the alarm's period).
    pub start_ms: i64,
    /// The alarm's statistic (`Statistic`) of the values published in the period.
    pub value: f64,
    /// Whether `value` breaches the threshold ([`ComparisonOperator::breaches`]).
    pub breaching: bool,
}

/// What [`Alarm::decide`] writes about a change of state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Explain {
    /// Nothing: the state alone.
    No,
    /// The reason.
    Reason,
    /// The reason and its `StateReasonData`.
    ReasonAndData,
}

/// One real datapoint: a period's statistics, and whether its statistic breaches.
#[derive(Clone, Copy, Debug)]
struct Point {
    start_ms: i64,
    stats: Statistics,
    value: f64,
    breaching: bool,
}

impl Alarm {
    /// Validates `def` ([`AlarmDef::validate`]).
    pub fn new(def: &AlarmDef) -> Result<Alarm, AlarmError> {
        let rule = def.rule()?;
        // "Alarms that evaluate metrics in the AWS/DynamoDB namespace always ignore missing
        // data even if you choose a different option for TreatMissingData." (PutMetricAlarm)
        let treat_missing = if def.namespace.as_deref() == Some("AWS/DynamoDB") {
            TreatMissingData::Ignore
        } else {
            rule.treat_missing
        };
        Ok(Alarm {
            rule,
            unit: def.unit.clone(),
            treat_missing,
        })
    }

    /// The period in milliseconds.
    pub fn period_ms(&self) -> i64 {
        self.rule.period_s.saturating_mul(1_000)
    }

    /// The missing-data treatment applied: the alarm's `TreatMissingData`, except `ignore` for
    /// metrics in `AWS/DynamoDB`.
    pub fn treat_missing_data(&self) -> TreatMissingData {
        self.treat_missing
    }

    /// The statistic the alarm evaluates.
    pub fn statistic(&self) -> Statistic {
        self.rule.statistic
    }

    /// The threshold.
    pub fn threshold(&self) -> f64 {
        self.rule.threshold
    }

    /// How the statistic is compared with the threshold.
    pub fn comparison_operator(&self) -> ComparisonOperator {
        self.rule.operator
    }

    /// `EvaluationPeriods` (N).
    pub fn evaluation_periods(&self) -> usize {
        self.rule.evaluation_periods
    }

    /// `DatapointsToAlarm` (M; N when it was not given).
    pub fn datapoints_to_alarm(&self) -> usize {
        self.rule.datapoints_to_alarm
    }

    /// The datapoints the alarm evaluates in `minutes` (the per-minute series of its metric):
    /// one per period that has data, in time order, periods aligned to the epoch as
    /// [`Alarm::evaluate_with`] aligns them. A period without a datapoint is absent (missing
    /// data).
    ///
    /// ```
    /// use trailmatch_cloudtrail::alarm::{Alarm, AlarmDef};
    /// use trailmatch_cloudtrail::series::{Series, Statistics};
    ///
    /// let alarm = Alarm::new(&AlarmDef {
    ///     alarm_name: "root".into(),
    ///     metric_name: Some("RootUsage".into()),
    ///     namespace: Some("Security".into()),
    ///     statistic: Some("Sum".into()),
    ///     period: Some(300),
    ///     evaluation_periods: 1,
    ///     threshold: Some(3.0),
    ///     comparison_operator: "GreaterThanOrEqualToThreshold".into(),
    ///     ..AlarmDef::default()
    /// })?;
    /// let mut minutes = Series::new();
    /// minutes.insert(0, Statistics::single(1.0));
    /// minutes.insert(60_000, Statistics::single(2.0));
    /// minutes.insert(600_000, Statistics::single(1.0));
    /// let points = alarm.datapoints(&minutes);
    /// assert_eq!(points.len(), 2);
    /// assert_eq!((points[0].start_ms, points[0].value, points[0].breaching), (0, 3.0, true));
    /// assert_eq!((points[1].start_ms, points[1].value, points[1].breaching), (600_000, 1.0, false));
    /// # Ok::<(), trailmatch_cloudtrail::alarm::AlarmError>(())
    /// ```
    pub fn datapoints(&self, minutes: &Series) -> Vec<Datapoint> {
        rebucket(minutes, self.period_ms().max(1))
            .iter()
            .map(|(start, stats)| {
                let pt = self.point(*start, stats);
                Datapoint {
                    start_ms: pt.start_ms,
                    value: pt.value,
                    breaching: pt.breaching,
                }
            })
            .collect()
    }

    /// [`Alarm::evaluate_with`] with the default options.
    pub fn evaluate(&self, minutes: &Series, range: Range<i64>) -> Evaluation {
        self.evaluate_with(minutes, range, &EvaluateOptions::default())
    }

    /// Evaluates the alarm over `minutes`, the per-minute series of the metric it watches
    /// (already narrowed to its dimensions), at the end of every period that meets `range`
    /// (milliseconds since the epoch, end excluded), and afterwards if `options.settle`.
    ///
    /// The series is re-bucketed into the alarm's periods, aligned to the epoch. Each
    /// evaluation looks back over `EvaluationPeriods + options.extra_periods` periods, the
    /// *evaluation range*, data from before `range.start` included, data from periods after the
    /// one holding `range.end` excluded (a period only partly inside `range` is evaluated with
    /// the data the series has for it). With N = `EvaluationPeriods` and M =
    /// `DatapointsToAlarm`:
    ///
    /// * N or more real datapoints in the range: the most recent N decide, and missing data is
    ///   not consulted: `ALARM` if at least M breach, else `OK`.
    /// * None: `missing` → `INSUFFICIENT_DATA`, `breaching` → `ALARM`, `notBreaching` → `OK`,
    ///   `ignore` → the state is kept.
    /// * Some but fewer than N: `breaching` and `notBreaching` fill the shortfall with as few
    ///   missing datapoints as possible (the most recent ones), each counting as they say, and
    ///   the N decide. `missing` and `ignore` decide on the real datapoints alone: `ALARM` if
    ///   at least M breach; `OK` if any does not; otherwise (all breach, fewer than M) `missing`
    ///   goes to `ALARM` when the oldest breaching datapoint is at least M periods old — the
    ///   guide's "premature alarm" rule — and to `INSUFFICIENT_DATA` when it is not, and
    ///   `ignore` keeps the state.
    ///
    /// This reproduces every row of the user guide's tables of examples; where the guide is
    /// silent (how `ignore` and `missing` read partial data beyond its examples) the choice is
    /// the one above. Only changes of state are transitions.
    pub fn evaluate_with(
        &self,
        minutes: &Series,
        range: Range<i64>,
        options: &EvaluateOptions,
    ) -> Evaluation {
        let mut state = options.initial_state;
        let mut transitions = Vec::new();
        if range.start >= range.end {
            return Evaluation {
                transitions,
                final_state: state,
                final_time_ms: None,
            };
        }
        let p = self.period_ms().max(1);
        let at = |index: i64| index.saturating_mul(p);
        let buckets = rebucket(minutes, p);
        let extra = options.extra_periods.min(MAX_EXTRA_PERIODS);
        let width =
            i64::try_from(self.rule.evaluation_periods.saturating_add(extra)).unwrap_or(i64::MAX);
        // Evaluation `e` happens at the end of period `e - 1`, over periods `e - width .. e`;
        // periods are numbered from the epoch. Data from period `last` on is not seen.
        let first = range.start.div_euclid(p).saturating_add(1);
        let last = (range.end.saturating_sub(1))
            .div_euclid(p)
            .saturating_add(1);
        let visible_end = at(last);
        // The datapoints that can be seen, oldest first; an evaluation's are a run of them,
        // which moves forward with the evaluations.
        let points: Vec<Point> = buckets
            .range(..visible_end)
            .map(|(start, stats)| self.point(*start, stats))
            .collect();
        let last_data = points.last().map(|pt| pt.start_ms.div_euclid(p));
        let stop = match (options.settle, last_data) {
            (true, Some(j)) => last.max(j.saturating_add(width).saturating_add(1)),
            _ => last,
        };
        // The index of the first datapoint of period `period` or later, from `from` on (the
        // periods asked for only grow, so each index only moves forward).
        let starting_at = |period: i64, from: &mut usize| {
            let start = at(period);
            while points.get(*from).is_some_and(|pt| pt.start_ms < start) {
                *from += 1;
            }
            *from
        };
        let (mut a, mut b) = (0, 0);
        let explain = if options.reason_data {
            Explain::ReasonAndData
        } else {
            Explain::Reason
        };

        let mut e = first;
        let mut empty_seen = false;
        while e <= stop {
            let lo = e.saturating_sub(width);
            let window = if at(lo) < at(e).min(visible_end) {
                let (a, b) = (starting_at(lo, &mut a), starting_at(e.min(last), &mut b));
                points.get(a..b.max(a)).unwrap_or_default()
            } else {
                &[]
            };
            if window.is_empty() {
                if empty_seen {
                    // An evaluation over no data comes out as the one before it, so skip to the
                    // next one that sees a datapoint.
                    match points.get(starting_at(e, &mut b.clone())) {
                        Some(pt) if at(e) < visible_end && pt.start_ms < at(last) => {
                            e = pt.start_ms.div_euclid(p).saturating_add(1);
                            empty_seen = false;
                            continue;
                        }
                        _ => break,
                    }
                }
                empty_seen = true;
            } else {
                empty_seen = false;
            }
            // Deciding is cheap; the reason text and data only matter for a change of state.
            let change = self
                .decide(window, lo, e, Explain::No)
                .filter(|(to, _, _)| *to != state)
                .and_then(|_| self.decide(window, lo, e, explain));
            if let Some((to, reason, reason_data)) = change {
                transitions.push(Transition {
                    time_ms: at(e),
                    from: state,
                    to,
                    reason,
                    reason_data,
                });
                state = to;
            }
            e = e.saturating_add(1);
        }
        Evaluation {
            transitions,
            final_state: state,
            final_time_ms: (first <= stop).then(|| at(stop)),
        }
    }

    fn point(&self, start_ms: i64, stats: &Statistics) -> Point {
        let value = stats.get(self.rule.statistic);
        Point {
            start_ms,
            stats: *stats,
            value,
            breaching: self.rule.operator.breaches(value, self.rule.threshold),
        }
    }

    /// The state evaluation `e` sets, with its reason, or `None` to keep the current state.
    /// `window` holds the real datapoints of the evaluation range (periods `lo..e`), oldest
    /// first.
    /// What is not to be explained (see [`Explain`]) is left empty.
    fn decide(
        &self,
        window: &[Point],
        lo: i64,
        e: i64,
        explain: Explain,
    ) -> Option<(State, String, Value)> {
        let p = self.period_ms().max(1);
        let now = e.saturating_mul(p);
        let n = self.rule.evaluation_periods;
        let m = self.rule.datapoints_to_alarm;
        if window.len() >= n {
            let evaluated = window.get(window.len() - n..).unwrap_or(window);
            let breaching = evaluated.iter().filter(|pt| pt.breaching).count();
            let to = if breaching >= m {
                State::Alarm
            } else {
                State::Ok
            };
            return Some(self.threshold_crossed(to, evaluated, now, explain));
        }
        let real = window.len();
        let shortfall = n - real;
        let breaching = window.iter().filter(|pt| pt.breaching).count();
        match self.treat_missing {
            TreatMissingData::Breaching | TreatMissingData::NotBreaching => {
                let fills_breach = self.treat_missing == TreatMissingData::Breaching;
                let fills = recent_missing(window, lo, e, p, shortfall);
                let total = breaching + if fills_breach { shortfall } else { 0 };
                // With no datapoint CloudWatch writes "no datapoints were received for 3
                // periods and 3 missing datapoints were treated as [Breaching]."; with some, the
                // same sentence counting them is assumed ("1 datapoint was received for 3
                // periods and 2 missing datapoints were …"), as users have quoted it.
                let to = if total >= m { State::Alarm } else { State::Ok };
                if explain == Explain::No {
                    return Some((to, String::new(), Value::Null));
                }
                let mut reason = Reason::new("Threshold Crossed: ");
                match real {
                    0 => reason.text("no datapoints were"),
                    1 => reason.text("1 datapoint was"),
                    k => reason.count(k).text(" datapoints were"),
                };
                reason.text(" received for").plural(n, "period");
                reason.text(" and").plural(shortfall, "missing datapoint");
                reason.text(" ").text(was(shortfall)).text(" treated as [");
                reason.text(if fills_breach {
                    "Breaching"
                } else {
                    "NonBreaching"
                });
                let reason = reason.end("].");
                let data = self.reason_data_if(explain, now, window, || all(window, &fills));
                Some((to, reason, data))
            }
            TreatMissingData::Missing | TreatMissingData::Ignore => {
                if real > 0 && (breaching >= m || breaching < real) {
                    let to = if breaching >= m {
                        State::Alarm
                    } else {
                        State::Ok
                    };
                    return Some(self.threshold_crossed(to, window, now, explain));
                }
                if self.treat_missing == TreatMissingData::Ignore {
                    return None;
                }
                // All real datapoints (if any) breach, fewer than M of them. "Alarms are
                // designed to always go into ALARM state when the oldest available breaching
                // datapoint during the Evaluation Periods number of data points is at least as
                // old as the value of Datapoints to Alarm, and all other more recent data points
                // are breaching or missing."
                let old_enough = window.first().is_some_and(|oldest| {
                    let age = now.saturating_sub(oldest.start_ms) / p;
                    usize::try_from(age).is_ok_and(|age| age >= m)
                });
                if old_enough {
                    return Some(self.threshold_crossed(State::Alarm, window, now, explain));
                }
                if explain == Explain::No {
                    return Some((State::InsufficientData, String::new(), Value::Null));
                }
                let fills = recent_missing(window, lo, e, p, shortfall);
                let mut reason = Reason::new("Insufficient Data:");
                reason.plural(shortfall, "datapoint");
                let reason = reason.text(" ").text(was(shortfall)).end(" unknown.");
                let data = self.reason_data_if(explain, now, window, || all(window, &fills));
                Some((State::InsufficientData, reason, data))
            }
        }
    }

    /// A `Threshold Crossed` reason over real datapoints (oldest first) for a change to `to`
    /// (`ALARM` or `OK`).
    ///
    /// With `DatapointsToAlarm` given, CloudWatch writes `2 out of the last 3 datapoints [5.0
    /// (…), 3.0 (…)] were greater than the threshold (1.0) (minimum 2 datapoints for OK ->
    /// ALARM transition).`; without it, `2 datapoints [5.0 (…), 3.0 (…)] were greater than the
    /// threshold (1.0).` (both forms appear in alarm histories; which one an alarm gets is
    /// inferred from the examples). The datapoints listed, newest first, are the ones that
    /// breach (for `ALARM`) or do not (for `OK`); `evaluatedDatapoints` holds the most recent
    /// of them, as many as the transition needs (M for `ALARM`, N − M + 1 for `OK`), as in
    /// AWS's examples.
    fn threshold_crossed(
        &self,
        to: State,
        evaluated: &[Point],
        now: i64,
        explain: Explain,
    ) -> (State, String, Value) {
        if explain == Explain::No {
            return (to, String::new(), Value::Null);
        }
        let rule = &self.rule;
        let alarm = to == State::Alarm;
        let listed: Vec<&Point> = evaluated
            .iter()
            .rev()
            .filter(|pt| pt.breaching == alarm)
            .collect();
        let k = listed.len();
        let not = if alarm { "" } else { "not " };
        let n = rule.evaluation_periods;
        let m = rule.datapoints_to_alarm;
        let needed = if alarm { m } else { n + 1 - m };
        let mut reason = Reason::new("Threshold Crossed:");
        if rule.explicit_m {
            reason.text(" ").count(k).text(" out of the last ");
            reason.count(n).text(" datapoints [");
        } else {
            reason.plural(k, "datapoint").text(" [");
        }
        for (i, pt) in listed.iter().enumerate() {
            if i > 0 {
                reason.text(", ");
            }
            reason.text(&java_double(pt.value)).text(" (");
            reason
                .text(&time::format_reason_short(pt.start_ms))
                .text(")");
        }
        reason.text("] ").text(was(k)).text(" ").text(not);
        reason.text(rule.operator.words()).text(" the threshold (");
        reason.text(&java_double(rule.threshold)).text(")");
        if rule.explicit_m {
            reason
                .text(" (minimum")
                .plural(needed, "datapoint")
                .text(" for ");
            reason.text(if alarm { "OK -> ALARM" } else { "ALARM -> OK" });
            reason.text(" transition)");
        }
        let reason = reason.end(".");
        let data = self.reason_data_if(explain, now, evaluated, || {
            listed.iter().take(needed).map(|pt| datapoint(pt)).collect()
        });
        (to, reason, data)
    }

    /// [`Alarm::reason_data`] when `explain` asks for it, else `null`.
    fn reason_data_if(
        &self,
        explain: Explain,
        now: i64,
        real: &[Point],
        evaluated: impl FnOnce() -> Vec<Value>,
    ) -> Value {
        match explain {
            Explain::ReasonAndData => self.reason_data(now, real, evaluated()),
            Explain::No | Explain::Reason => Value::Null,
        }
    }

    /// `StateReasonData` for an evaluation at `now` of the real datapoints `real` (oldest
    /// first), listing `evaluated`.
    fn reason_data(&self, now: i64, real: &[Point], evaluated: Vec<Value>) -> Value {
        let mut data = Map::new();
        data.insert("version".into(), json!("1.0"));
        data.insert("queryDate".into(), json!(time::format_cloudwatch(now)));
        if let Some(oldest) = real.first() {
            data.insert(
                "startDate".into(),
                json!(time::format_cloudwatch(oldest.start_ms)),
            );
        }
        if let Some(unit) = &self.unit {
            data.insert("unit".into(), json!(unit));
        }
        data.insert("statistic".into(), json!(self.rule.statistic.name()));
        data.insert("period".into(), json!(self.rule.period_s));
        data.insert(
            "recentDatapoints".into(),
            Value::Array(real.iter().map(|pt| json!(pt.value)).collect()),
        );
        data.insert("threshold".into(), json!(self.rule.threshold));
        data.insert("evaluatedDatapoints".into(), Value::Array(evaluated));
        Value::Object(data)
    }
}

/// The starts of the `count` most recent periods of `lo..e` without a datapoint in `window`
/// (oldest first): the missing datapoints CloudWatch fills in, "as few times as possible".
fn recent_missing(window: &[Point], lo: i64, e: i64, p: i64, count: usize) -> Vec<i64> {
    let mut real = window
        .iter()
        .rev()
        .map(|pt| pt.start_ms.div_euclid(p))
        .peekable();
    let mut found = Vec::with_capacity(count);
    let mut index = e;
    while found.len() < count && index > lo {
        index -= 1;
        if real.peek() == Some(&index) {
            real.next();
        } else {
            found.push(index.saturating_mul(p));
        }
    }
    found.reverse();
    found
}

/// Real datapoints and filled missing ones, newest first, as `evaluatedDatapoints` lists them.
fn all(real: &[Point], fills: &[i64]) -> Vec<Value> {
    let mut entries: Vec<(i64, Value)> = real
        .iter()
        .map(|pt| (pt.start_ms, datapoint(pt)))
        .chain(fills.iter().map(|start| {
            (
                *start,
                json!({ "timestamp": time::format_cloudwatch(*start) }),
            )
        }))
        .collect();
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    entries.into_iter().map(|(_, entry)| entry).collect()
}

fn datapoint(pt: &Point) -> Value {
    // Counts far beyond 2^53 are not reachable from a log scan.
    #[allow(clippy::cast_precision_loss)]
    let samples = pt.stats.sample_count as f64;
    json!({
        "timestamp": time::format_cloudwatch(pt.start_ms),
        "sampleCount": samples,
        "value": pt.value,
    })
}

/// A reason being written: pieces pushed one after another (`format!` took five times as long,
/// and scan writes a reason for every alarm state change).
struct Reason(String);

impl Reason {
    fn new(start: &str) -> Reason {
        let mut text = String::with_capacity(160);
        text.push_str(start);
        Reason(text)
    }

    fn text(&mut self, piece: &str) -> &mut Reason {
        self.0.push_str(piece);
        self
    }

    /// The reason, `last` ending it.
    fn end(&mut self, last: &str) -> String {
        self.0.push_str(last);
        std::mem::take(&mut self.0)
    }

    fn count(&mut self, n: usize) -> &mut Reason {
        self.0.push_str(itoa::Buffer::new().format(n));
        self
    }

    /// ` 1 noun` or ` 3 nouns`, after a space.
    fn plural(&mut self, count: usize, noun: &str) -> &mut Reason {
        self.text(" ").count(count).text(" ").text(noun);
        if count != 1 {
            self.0.push('s');
        }
        self
    }
}

fn was(count: usize) -> &'static str {
    if count == 1 { "was" } else { "were" }
}

/// A number as Java's `Double.toString` writes it, as CloudWatch's reasons do: `5.0`, `0.25`,
/// `1.0166666666666666`, `1.50785441792E10`, `1.0E-4`.
pub(crate) fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Whole numbers below 10^7 (counts, most often): `5.0`, as `digits` writes them, without
    // taking the digits apart.
    if x.fract() == 0.0 && x.abs() < 1e7 {
        // Exact as an integer; `{x:.1}` writes the same through the float formatter, at seven
        // times the cost.
        let mut whole = (x as i64).to_string();
        whole.push_str(".0");
        return whole;
    }
    java_digits(x)
}

/// [`java_double`] of a finite number other than zero, from its shortest digits.
pub(crate) fn java_digits(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    let magnitude = x.abs();
    // Rust's `{:e}` writes the shortest digits that read back as the same number.
    let scientific = format!("{magnitude:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (1e-3..1e7).contains(&magnitude) {
        if exponent >= 0 {
            let whole_len = usize::try_from(exponent).unwrap_or(0) + 1;
            let whole: String = digits
                .chars()
                .chain(std::iter::repeat('0'))
                .take(whole_len)
                .collect();
            let fraction: String = digits.chars().skip(whole_len).collect();
            let fraction = if fraction.is_empty() { "0" } else { &fraction };
            format!("{sign}{whole}.{fraction}")
        } else {
            let zeros = "0".repeat(usize::try_from(-exponent - 1).unwrap_or(0));
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let mut chars = digits.chars();
        let first = chars.next().unwrap_or('0');
        let rest: String = chars.collect();
        let rest = if rest.is_empty() { "0" } else { &rest };
        format!("{sign}{first}.{rest}E{exponent}")
    }
}
