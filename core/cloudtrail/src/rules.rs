//! Rules: metric filters and the alarms on their metrics, as CloudWatch defines them.
//!
//! A metric filter is `PutMetricFilter`'s request, with the logs API's camelCase names
//! (`filterName`, `filterPattern`, `metricTransformations`, …), so the output of
//! `aws logs describe-metric-filters` reads as rules without renaming.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::alarm::AlarmDef;
use super::cis;
use trailmatch::MetricTransformation;

pub use crate::source::{RulesError, RulesErrorKind, SourceLocation};
#[cfg(feature = "toml")]
use crate::source::{data_error_kind, suggest};
pub(crate) use crate::source::{json_error, line_column, read_rules_file};

/// A metric filter: `PutMetricFilter`'s request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricFilterDef {
    /// The filter's name.
    pub filter_name: String,
    /// The filter pattern.
    pub filter_pattern: String,
    /// The log group it applies to (informational: a scan applies every filter to every
    /// record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<String>,
    /// Exactly one metric transformation, as `PutMetricFilter` requires.
    pub metric_transformations: Vec<MetricTransformation>,
    /// `applyOnTransformedLogs` (accepted; there are no transformed logs here).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apply_on_transformed_logs: bool,
    /// `creationTime` in `describe-metric-filters` output (accepted and ignored).
    #[serde(default, skip_serializing)]
    pub creation_time: Option<i64>,
    /// Where the filter was read from, when known.
    #[serde(skip)]
    pub location: Option<SourceLocation>,
}

/// A set of rules: metric filters and the alarms on their metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSet {
    /// The metric filters, in the order given.
    pub metric_filters: Vec<MetricFilterDef>,
    /// The alarms, in the order given.
    pub alarms: Vec<AlarmDef>,
    /// The EventBridge rules, in the order given: each record is matched against their event
    /// patterns as EventBridge delivers it (see [`crate::eventbridge::scan`]).
    pub event_rules: Vec<crate::eventbridge::EventRuleDef>,
}

/// The members `aws cloudwatch describe-alarms` writes besides `PutMetricAlarm`'s, accepted in
/// a rules file and ignored, so that its output can be pasted in.
const DESCRIBE_ALARM_MEMBERS: &[&str] = &[
    "AlarmArn",
    "AlarmConfigurationUpdatedTimestamp",
    "StateValue",
    "StateReason",
    "StateReasonData",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
    "EvaluationState",
    "ActionsSuppressedBy",
    "ActionsSuppressedReason",
];

/// `PutMetricAlarm`'s members besides those the template readers resolve
/// ([`ALARM_PROPERTIES`](crate::alarm::ALARM_PROPERTIES)).
const MORE_ALARM_MEMBERS: &[&str] = &[
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
    "Tags",
];

impl RuleSet {
    /// The CIS AWS Foundations Benchmark 7.0 monitoring controls ([`cis::CONTROLS`]): for
    /// each, the metric filter and the alarm the benchmark's remediation creates, the alarm
    /// notifying the SNS topic `arn:aws:sns:${AWS::Region}:${AWS::AccountId}:cis-alarms`
    /// (the scan puts in the account and region of the records).
    pub fn cis() -> RuleSet {
        let mut rules = RuleSet::default();
        for control in cis::CONTROLS {
            let metric = control.metric_name();
            rules.metric_filters.push(MetricFilterDef {
                filter_name: control.filter_name(),
                filter_pattern: control.pattern.to_owned(),
                log_group_name: None,
                metric_transformations: vec![MetricTransformation {
                    metric_name: metric.clone(),
                    metric_namespace: cis::NAMESPACE.to_owned(),
                    metric_value: "1".to_owned(),
                    default_value: None,
                    dimensions: std::collections::BTreeMap::new(),
                    unit: None,
                }],
                apply_on_transformed_logs: false,
                creation_time: None,
                location: None,
            });
            rules.alarms.push(AlarmDef {
                alarm_name: control.alarm_name(),
                alarm_description: Some(format!("CIS {} {}", control.id, control.title)),
                actions_enabled: true,
                alarm_actions: vec![CIS_TOPIC.to_owned()],
                metric_name: Some(metric),
                namespace: Some(cis::NAMESPACE.to_owned()),
                statistic: Some("Sum".to_owned()),
                period: Some(i64::from(cis::PERIOD_SECONDS)),
                evaluation_periods: 1,
                threshold: Some(cis::THRESHOLD),
                comparison_operator: "GreaterThanOrEqualToThreshold".to_owned(),
                ..AlarmDef::default()
            });
        }
        rules
    }

    /// Adds every rule of `other`.
    pub fn extend(&mut self, other: RuleSet) {
        self.metric_filters.extend(other.metric_filters);
        self.alarms.extend(other.alarms);
        self.event_rules.extend(other.event_rules);
    }

    /// Reads a rules file: TOML, or JSON when the name ends in `.json` or the text starts with
    /// `{`. See [`RuleSet::parse`].
    pub fn load(path: &std::path::Path) -> Result<RuleSet, RulesError> {
        let (file, text) = read_rules_file(path)?;
        RuleSet::parse(&text, &file)
    }

    /// Parses a rules file's text (`file` names it in locations and errors).
    ///
    /// The format: a TOML (or JSON) document with up to three members, each optional —
    /// `include`, a list of built-in packs (`"cis"`); `metricFilters`, a list of
    /// `PutMetricFilter` requests (`filterName`, `filterPattern`, `metricTransformations`, …,
    /// as `aws logs describe-metric-filters` prints them); `MetricAlarms`, a list of
    /// `PutMetricAlarm` requests (`AlarmName`, `MetricName`, `Namespace`, `Statistic`,
    /// `Period`, `EvaluationPeriods`, `Threshold`, `ComparisonOperator`, …, as
    /// `aws cloudwatch describe-alarms` prints them). Unknown members are errors (a typo must
    /// not silently change an alarm), except the read-only ones `describe-alarms` adds.
    ///
    /// ```
    /// use trailmatch_cloudtrail::rules::RuleSet;
    ///
    /// let rules = RuleSet::parse(r#"
    /// [[metricFilters]]
    /// filterName = "root-usage"
    /// filterPattern = '{ $.userIdentity.type = "Root" }'
    /// metricTransformations = [{ metricName = "RootUsage", metricNamespace = "Security", metricValue = "1" }]
    ///
    /// [[MetricAlarms]]
    /// AlarmName = "root-usage"
    /// MetricName = "RootUsage"
    /// Namespace = "Security"
    /// Statistic = "Sum"
    /// Period = 300
    /// EvaluationPeriods = 1
    /// Threshold = 1
    /// ComparisonOperator = "GreaterThanOrEqualToThreshold"
    /// "#, "rules.toml")?;
    /// assert_eq!(rules.metric_filters[0].location.as_ref().map(|l| (l.line, l.column)), Some((4, 18)));
    /// assert_eq!(rules.alarms[0].period, Some(300));
    /// # Ok::<(), trailmatch_cloudtrail::rules::RulesError>(())
    /// ```
    pub fn parse(text: &str, file: &str) -> Result<RuleSet, RulesError> {
        let at = |line: u32, column: u32| SourceLocation {
            file: file.to_owned(),
            line,
            column,
        };
        // A byte-order mark (as some Windows editors write) is not part of the document.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(RulesError::new(
                RulesErrorKind::EmptyRules,
                at(0, 0),
                "the rules file is empty: expected `metricFilters`, `MetricAlarms` or `include`",
            ));
        }
        let json = file.ends_with(".json") || text.trim_start().starts_with('{');
        let doc: RulesDoc = if json {
            serde_json::from_str(text).map_err(|e| json_error(&e, at))?
        } else {
            parse_toml(text, &at)?
        };
        let whole = at(0, 0);
        if doc.include.is_empty() && doc.metric_filters.is_empty() && doc.metric_alarms.is_empty() {
            return Err(RulesError::new(
                RulesErrorKind::EmptyRules,
                whole,
                "the rules file holds no metric filter, no alarm and no `include`: \
                 expected `metricFilters`, `MetricAlarms` or `include`",
            ));
        }
        let mut rules = RuleSet::default();
        for pack in &doc.include {
            match pack.as_str() {
                "cis" => rules.extend(RuleSet::cis()),
                _ => {
                    let quoted = serde_json::to_string(pack).unwrap_or_default();
                    let location = text
                        .find(&quoted)
                        .map(|o| {
                            let (line, column) = line_column(text, o);
                            at(line, column)
                        })
                        .unwrap_or_else(|| whole.clone());
                    return Err(RulesError::new(
                        RulesErrorKind::UnknownPack,
                        location,
                        format!("unknown rule pack {quoted} in `include` (expected \"cis\")"),
                    ));
                }
            }
        }
        let mut search_from = 0;
        for mut def in doc.metric_filters {
            let (offset, location) = locate(text, &def.filter_pattern, json, search_from)
                .map(|offset| {
                    let (line, column) = line_column(text, offset);
                    (offset, at(line, column))
                })
                .unwrap_or((search_from, whole.clone()));
            // Past the start of this match, so that a second filter with the same pattern is
            // found at its own place, not at this one's.
            search_from = next_char(text, offset);
            def.location = Some(location);
            rules.metric_filters.push(def);
        }
        let mut search_from = 0;
        for (i, StrictAlarm(def)) in doc.metric_alarms.into_iter().enumerate() {
            // Where the alarm's name is written, for its errors.
            let location = locate_alarm(text, &def.alarm_name, search_from)
                .map(|offset| {
                    search_from = next_char(text, offset);
                    let (line, column) = line_column(text, offset);
                    at(line, column)
                })
                .unwrap_or_else(|| whole.clone());
            def.validate().map_err(|e| {
                RulesError::new(
                    RulesErrorKind::InvalidAlarm,
                    location,
                    format!(
                        "MetricAlarms[{i}] ({}): {}: {} [{}]",
                        def.alarm_name,
                        e.field(),
                        e.message(),
                        e.code()
                    ),
                )
            })?;
            rules.alarms.push(def);
        }
        Ok(rules)
    }
}

/// Whether a JSON text is a rules file rather than a CloudFormation template: a top-level
/// `metricFilters` or `MetricAlarms` and no `Resources`. Text that is not valid JSON is judged
/// by the member names it mentions, so that a rules file with a syntax error is reported as
/// one.
pub(crate) fn looks_like_rules(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => {
            v.get("Resources").is_none()
                && (v.get("metricFilters").is_some() || v.get("MetricAlarms").is_some())
        }
        Err(_) => {
            text.trim_start().starts_with('{')
                && !text.contains("\"Resources\"")
                && (text.contains("\"metricFilters\"") || text.contains("\"MetricAlarms\""))
        }
    }
}

/// A rules file as written: unknown members are errors at their line and column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesDoc {
    #[serde(default)]
    include: Vec<String>,
    #[serde(default, rename = "metricFilters")]
    metric_filters: Vec<MetricFilterDef>,
    #[serde(default, rename = "MetricAlarms")]
    metric_alarms: Vec<StrictAlarm>,
}

/// An alarm of a rules file: `PutMetricAlarm`'s members (an unknown one is an error, at its
/// position), and the read-only ones `describe-alarms` adds (ignored). Each member's type is
/// checked as it is read, so that a wrong one is reported at its position.
struct StrictAlarm(AlarmDef);

impl<'de> Deserialize<'de> for StrictAlarm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StrictAlarm;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an alarm (a table of PutMetricAlarm members)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StrictAlarm, A::Error> {
                use serde::de::Error as _;
                let known = [crate::alarm::ALARM_PROPERTIES, MORE_ALARM_MEMBERS].concat();
                let mut members = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if DESCRIBE_ALARM_MEMBERS.contains(&key.as_str()) {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        continue;
                    }
                    if !known.contains(&key.as_str()) {
                        return Err(A::Error::custom(format!(
                            "unknown field `{key}`, expected one of {}",
                            known
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    let value: serde_json::Value = map.next_value()?;
                    // This member alone, with the two required ones filled in.
                    let mut probe = serde_json::Map::new();
                    probe.insert("AlarmName".into(), "a".into());
                    probe.insert("EvaluationPeriods".into(), 1.into());
                    probe.insert("ComparisonOperator".into(), "GreaterThanThreshold".into());
                    probe.insert(key.clone(), value.clone());
                    if let Err(e) =
                        serde_json::from_value::<AlarmDef>(serde_json::Value::Object(probe))
                    {
                        return Err(A::Error::custom(format!("`{key}`: {e}")));
                    }
                    members.insert(key, value);
                }
                serde_json::from_value(serde_json::Value::Object(members))
                    .map(StrictAlarm)
                    .map_err(A::Error::custom)
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A TOML rules file's document, with the position of its first error.
#[cfg(feature = "toml")]
fn parse_toml(text: &str, at: &dyn Fn(u32, u32) -> SourceLocation) -> Result<RulesDoc, RulesError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_column(text, span.start))
            .unwrap_or((0, 0));
        let message = e.message().trim_end().to_owned();
        let kind = data_error_kind(&message).unwrap_or(RulesErrorKind::InvalidToml);
        RulesError::new(kind, at(line, column), suggest(message))
    })
}

/// Built without the `toml` feature: a TOML rules file is refused, saying why.
#[cfg(not(feature = "toml"))]
fn parse_toml(_: &str, at: &dyn Fn(u32, u32) -> SourceLocation) -> Result<RulesDoc, RulesError> {
    Err(RulesError::new(
        RulesErrorKind::InvalidToml,
        at(0, 0),
        "a TOML rules file: this build of trailmatch-cloudtrail has no `toml` feature; write the rules in JSON",
    ))
}

/// The topic the CIS pack's alarms notify.
pub const CIS_TOPIC: &str = "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:cis-alarms";

/// The byte offset of the first character of `pattern` as written in the file, searching from
/// `from`: verbatim (TOML literal strings, multi-line strings), or JSON-escaped.
fn locate(text: &str, pattern: &str, json: bool, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let found = if json {
        let encoded = serde_json::to_string(pattern).ok()?;
        let inner = encoded.get(1..encoded.len().saturating_sub(1))?;
        rest.find(inner)
    } else {
        rest.find(pattern).or_else(|| {
            // A basic TOML string: escaped as JSON escapes it, for the common characters.
            let encoded = serde_json::to_string(pattern).ok()?;
            rest.find(encoded.get(1..encoded.len().saturating_sub(1))?)
        })
    }?;
    Some(from + found)
}

/// The byte offset of the value of the first `AlarmName` from `from` on whose value is `name`
/// (a JSON or TOML string, in double or single quotes).
fn locate_alarm(text: &str, name: &str, from: usize) -> Option<usize> {
    let quoted = serde_json::to_string(name).ok()?;
    let literal = format!("'{name}'");
    let mut at = from;
    loop {
        let key = at + text.get(at..)?.find("AlarmName")?;
        let after = key + "AlarmName".len();
        let rest = text.get(after..)?;
        let value = rest.strip_prefix('"').unwrap_or(rest).trim_start();
        let value = value.strip_prefix([':', '=']).map_or("", str::trim_start);
        if value.starts_with(&quoted) || value.starts_with(&literal) {
            return Some(after + (rest.len() - value.len()));
        }
        at = after;
    }
}

/// The byte offset just past the character at `offset` (the end of `text` at its end).
fn next_char(text: &str, offset: usize) -> usize {
    text.get(offset..)
        .and_then(|rest| rest.chars().next())
        .map_or(text.len(), |c| offset.saturating_add(c.len_utf8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cis_pack_is_valid() {
        let rules = RuleSet::cis();
        assert_eq!(rules.metric_filters.len(), 15);
        assert_eq!(rules.alarms.len(), 15);
        for (filter, alarm) in rules.metric_filters.iter().zip(&rules.alarms) {
            alarm.validate().unwrap();
            let t = &filter.metric_transformations[0];
            assert_eq!(alarm.metric_name.as_deref(), Some(t.metric_name.as_str()));
            assert_eq!(alarm.namespace.as_deref(), Some("CISBenchmark"));
            trailmatch::MetricFilter::from_transformations(
                trailmatch::Pattern::new(&filter.filter_pattern).unwrap(),
                filter.metric_transformations.clone(),
            )
            .unwrap();
        }
        assert_eq!(
            rules.alarms[0].alarm_name,
            "CIS-5.1-unauthorized_api_calls_alarm"
        );
        assert_eq!(
            rules.metric_filters[0].filter_name,
            "CIS-5.1-unauthorized_api_calls_metric"
        );
    }

    const TOML: &str = r#"# rules
include = ["cis"]

[[metricFilters]]
filterName = "errors"
filterPattern = '{ $.errorCode = "*" }'
[[metricFilters.metricTransformations]]
metricName = "Errors"
metricNamespace = "Security"
metricValue = "1"
defaultValue = 0

[[MetricAlarms]]
AlarmName = "errors"
MetricName = "Errors"
Namespace = "Security"
Statistic = "Sum"
Period = 60
EvaluationPeriods = 3
DatapointsToAlarm = 2
Threshold = 10
ComparisonOperator = "GreaterThanThreshold"
TreatMissingData = "notBreaching"
AlarmActions = ["arn:aws:sns:us-east-1:111122223333:ops"]
StateValue = "OK"
"#;

    #[test]
    fn toml_rules_file() {
        let rules = RuleSet::parse(TOML, "r.toml").unwrap();
        assert_eq!(rules.metric_filters.len(), 16);
        assert_eq!(rules.alarms.len(), 16);
        let mine = &rules.metric_filters[15];
        assert_eq!(mine.filter_name, "errors");
        assert_eq!(mine.metric_transformations[0].default_value, Some(0.0));
        let at = mine.location.as_ref().unwrap();
        assert_eq!((at.file.as_str(), at.line, at.column), ("r.toml", 6, 18));
        let alarm = &rules.alarms[15];
        assert_eq!(alarm.datapoints_to_alarm, Some(2));
        assert_eq!(alarm.treat_missing_data.as_deref(), Some("notBreaching"));
    }

    #[test]
    fn json_rules_file_from_describe_output() {
        let json = r#"{
  "metricFilters": [
    {"filterName": "f", "filterPattern": "{ $.eventName = \"StopLogging\" }",
     "logGroupName": "CloudTrail", "creationTime": 1700000000000,
     "metricTransformations": [{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]}
  ],
  "MetricAlarms": [
    {"AlarmName": "a", "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:a", "MetricName": "M",
     "Namespace": "N", "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0,
     "ComparisonOperator": "GreaterThanOrEqualToThreshold", "StateValue": "OK", "Dimensions": []}
  ]
}"#;
        let rules = RuleSet::parse(json, "r.json").unwrap();
        assert_eq!(
            rules.metric_filters[0].log_group_name.as_deref(),
            Some("CloudTrail")
        );
        let at = rules.metric_filters[0].location.as_ref().unwrap();
        assert_eq!((at.line, at.column), (3, 43));
        assert_eq!(rules.alarms[0].alarm_name, "a");
    }

    #[test]
    fn errors_say_what_and_where() {
        let err = RuleSet::parse("[[metricFilters]]\nfilterName = \n", "bad.toml").unwrap_err();
        assert_eq!((err.code(), err.location.line), ("invalid-toml", 2));
        let err =
            RuleSet::parse(&TOML.replace("Threshold = 10", "Treshold = 10"), "t.toml").unwrap_err();
        assert_eq!(err.code(), "unknown-member");
        assert!(err.message().contains("`Treshold`"), "{err}");
        assert!(err.message().contains("did you mean `Threshold`"), "{err}");
        // TOML places an alarm's errors at its table.
        assert_eq!(err.location.line, 13, "{err}");
        let err =
            RuleSet::parse(&TOML.replace("defaultValue", "defaultvalue"), "t.toml").unwrap_err();
        assert_eq!(err.code(), "unknown-member", "{err}");
        let err =
            RuleSet::parse(&TOML.replace("Period = 60", "Period = 45"), "t.toml").unwrap_err();
        assert_eq!(err.code(), "invalid-alarm");
        assert!(err.message().contains("MetricAlarms[0] (errors)"), "{err}");
        assert_eq!(err.location.line, 14, "{err}");
        let err = RuleSet::parse("include = [\"nist\"]", "t.toml").unwrap_err();
        assert_eq!(err.code(), "unknown-pack");
        assert_eq!((err.location.line, err.location.column), (1, 12));
        let err = RuleSet::parse("metricFilter = []", "t.toml").unwrap_err();
        assert!(
            err.message().contains("did you mean `metricFilters`"),
            "{err}"
        );
        let err = RuleSet::parse("{\"metricFilters\": 3}", "t.json").unwrap_err();
        assert_eq!(err.code(), "wrong-type", "{err}");
        assert!(RuleSet::parse("{", "t.json").is_err());
        let err = RuleSet::load(std::path::Path::new("/nonexistent/rules.toml")).unwrap_err();
        assert_eq!(err.code(), "unreadable");
    }

    const JSON: &str = r#"{
  "metricFilters": [
    {"filterName": "a", "filterPattern": "{ $.eventName = \"StopLogging\" }",
     "metricTransformations": [{"metricName": "A", "metricNamespace": "N", "metricValue": "1"}]},
    {"filterName": "b", "filterPattern": "{ $.eventName = \"DeleteTrail\" }",
     "metricTransformations": [{"metricName": "B", "metricNamespace": "N", "metricValue": "1"}]}
  ],
  "MetricAlarms": [
    {"AlarmName": "a", "MetricName": "A", "Namespace": "N", "Statistic": "Sum",
     "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0,
     "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
  ]
}"#;

    fn json_error(text: &str) -> RulesError {
        RuleSet::parse(text, "r.json").unwrap_err()
    }

    /// Issue 19, point 4: every mistake in a JSON rules file gets its own code and its line
    /// and column, as in TOML.
    #[test]
    fn json_rules_errors_say_what_and_where() {
        assert_eq!(RuleSet::parse(JSON, "r.json").unwrap().alarms.len(), 1);
        // A trailing comma: a syntax error at the `]`.
        let err = json_error(&JSON.replace("\"1\"}]}\n  ],", "\"1\"}]},\n  ],"));
        assert_eq!(err.code(), "invalid-json", "{err}");
        assert_eq!(err.location.line, 7, "{err}");
        // A misspelt member of the second of two filters: unknown, at its line, with the
        // expected names and a suggestion.
        let err = json_error(&JSON.replace(
            "{\"filterName\": \"b\", \"filterPattern\"",
            "{\"filterName\": \"b\", \"filterPatern\"",
        ));
        assert_eq!(err.code(), "unknown-member", "{err}");
        assert_eq!(err.location.line, 5, "{err}");
        assert!(err.message().contains("`filterPatern`"), "{err}");
        assert!(err.message().contains("expected one of"), "{err}");
        assert!(
            err.message().contains("did you mean `filterPattern`"),
            "{err}"
        );
        let err = json_error(&JSON.replace("\"Statistic\"", "\"Statistc\""));
        assert_eq!(err.code(), "unknown-member", "{err}");
        assert_eq!(err.location.line, 9, "{err}");
        assert!(err.message().contains("did you mean `Statistic`"), "{err}");
        // A number written as a string.
        let err = json_error(&JSON.replace("\"Period\": 300", "\"Period\": \"60\""));
        assert_eq!(err.code(), "wrong-type", "{err}");
        assert_eq!(err.location.line, 10, "{err}");
        assert!(err.message().contains("`Period`"), "{err}");
        let err = json_error(&JSON.replace("\"metricValue\": \"1\"}]},", "\"metricValue\": 1}]},"));
        assert_eq!(err.code(), "wrong-type", "{err}");
        assert_eq!(err.location.line, 4, "{err}");
        // A missing member.
        let err = json_error(&JSON.replace("\"EvaluationPeriods\": 1, ", ""));
        assert_eq!(err.code(), "missing-member", "{err}");
        // Rendering: file:line:column: error[code]: message.
        assert!(err.to_string().starts_with("r.json:11:"), "{err}");
    }

    /// Two filters with the same pattern are each placed at their own line, not both at the
    /// first one's.
    #[test]
    fn filters_sharing_a_pattern_are_each_located_at_their_own_line() {
        let toml = "[[metricFilters]]\nfilterName = \"a\"\nfilterPattern = \"{ $.x = }\"\n\
                    metricTransformations = []\n\n[[metricFilters]]\nfilterName = \"b\"\n\
                    filterPattern = \"{ $.x = }\"\nmetricTransformations = []\n";
        let rules = RuleSet::parse(toml, "dup.toml").unwrap();
        let lines: Vec<_> = rules
            .metric_filters
            .iter()
            .map(|f| f.location.as_ref().map(|l| (l.line, l.column)))
            .collect();
        assert_eq!(lines, [Some((3, 18)), Some((8, 18))]);
        let json = r#"{"metricFilters": [
 {"filterName": "a", "filterPattern": "é", "metricTransformations": []},
 {"filterName": "b", "filterPattern": "é", "metricTransformations": []}]}"#;
        let rules = RuleSet::parse(json, "dup.json").unwrap();
        let lines: Vec<_> = rules
            .metric_filters
            .iter()
            .map(|f| f.location.as_ref().map(|l| l.line))
            .collect();
        assert_eq!(lines, [Some(2), Some(3)]);
    }

    /// A byte-order mark is accepted (JSON and TOML); an empty rules file is an error.
    #[test]
    fn bom_accepted_and_empty_files_refused() {
        let rules = RuleSet::parse(&format!("\u{feff}{JSON}"), "r.json").unwrap();
        assert_eq!(rules.metric_filters.len(), 2);
        assert_eq!(
            rules.metric_filters[1].location.as_ref().map(|l| l.line),
            Some(5)
        );
        let rules = RuleSet::parse(&format!("\u{feff}{TOML}"), "r.toml").unwrap();
        assert_eq!(rules.alarms.len(), 16);
        // A BOM with no `.json` name: still recognised as JSON.
        assert!(RuleSet::parse(&format!("\u{feff}{JSON}"), "rules").is_ok());
        for empty in ["", "\n# nothing\n", "{}", "\u{feff}", "metricFilters = []"] {
            let name = if empty.starts_with('{') {
                "e.json"
            } else {
                "e.toml"
            };
            let err = RuleSet::parse(empty, name).unwrap_err();
            assert_eq!(err.code(), "empty-rules", "{empty:?}: {err}");
        }
    }

    /// Names from the file are escaped when the error is rendered.
    #[test]
    fn rendered_errors_escape_control_characters() {
        let err = json_error("{\"metricFilters\": [], \"\\u001b]0;owned\\u0007\": 1}");
        assert_eq!(err.code(), "unknown-member");
        let text = err.to_string();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("\\u{1b}]0;owned\\u{7}"), "{text}");
    }
}
