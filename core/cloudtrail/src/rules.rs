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

/// Where a rule was read from: a file and the line and column (1-based, in characters) of the
/// item in it — for a metric filter, of its pattern text.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceLocation {
    /// The file as given.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

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
}

/// Why a rules file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesError {
    /// Where (file, and line and column when known).
    pub location: SourceLocation,
    /// A stable code: `invalid-toml`, `invalid-json`, `unknown-member`, `unknown-pack`,
    /// `invalid-alarm`, `unreadable`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.line == 0 {
            write!(
                f,
                "{}: error[{}]: {}",
                self.location.file, self.code, self.message
            )
        } else {
            write!(
                f,
                "{}: error[{}]: {}",
                self.location, self.code, self.message
            )
        }
    }
}

impl std::error::Error for RulesError {}

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
/// ([`ALARM_PROPERTIES`](super::iac::ALARM_PROPERTIES)).
const MORE_ALARM_MEMBERS: &[&str] = &[
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
    "Tags",
];

/// The top level of a rules file.
const TOP_MEMBERS: &[&str] = &["include", "metricFilters", "MetricAlarms"];

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
    }

    /// Reads a rules file: TOML, or JSON when the name ends in `.json` or the text starts with
    /// `{`. See [`RuleSet::parse`].
    pub fn load(path: &std::path::Path) -> Result<RuleSet, RulesError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            location: SourceLocation {
                file: file.clone(),
                ..SourceLocation::default()
            },
            code: "unreadable",
            message: format!("cannot read the rules file: {e}"),
        })?;
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
        let json = file.ends_with(".json") || text.trim_start().starts_with('{');
        let value: serde_json::Value = if json {
            serde_json::from_str(text).map_err(|e| RulesError {
                location: at(
                    u32::try_from(e.line()).unwrap_or(u32::MAX),
                    u32::try_from(e.column()).unwrap_or(u32::MAX),
                ),
                code: "invalid-json",
                message: e.to_string(),
            })?
        } else {
            toml::from_str(text).map_err(|e| {
                let (line, column) = e
                    .span()
                    .map(|span| line_column(text, span.start))
                    .unwrap_or((0, 0));
                RulesError {
                    location: at(line, column),
                    code: "invalid-toml",
                    message: e.message().to_owned(),
                }
            })?
        };
        let whole = at(0, 0);
        let Some(top) = value.as_object() else {
            return Err(RulesError {
                location: whole,
                code: "invalid-rules",
                message: "expected a table (object) with `metricFilters` and `MetricAlarms`"
                    .to_owned(),
            });
        };
        check_members(top.keys(), TOP_MEMBERS, &[], "the rules file", &whole)?;
        let mut rules = RuleSet::default();
        for pack in top
            .get("include")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            match pack.as_str() {
                Some("cis") => rules.extend(RuleSet::cis()),
                _ => {
                    return Err(RulesError {
                        location: whole,
                        code: "unknown-pack",
                        message: format!(
                            "unknown rule pack {pack} in `include` (expected \"cis\")"
                        ),
                    });
                }
            }
        }
        let mut search_from = 0;
        let items = |key: &str| -> Result<Vec<serde_json::Value>, RulesError> {
            match top.get(key) {
                None => Ok(Vec::new()),
                Some(serde_json::Value::Array(items)) => Ok(items.clone()),
                Some(_) => Err(RulesError {
                    location: at(0, 0),
                    code: "invalid-rules",
                    message: format!("`{key}` must be a list"),
                }),
            }
        };
        for (i, item) in items("metricFilters")?.into_iter().enumerate() {
            let what = format!("metricFilters[{i}]");
            let mut def: MetricFilterDef =
                serde_json::from_value(item).map_err(|e| RulesError {
                    location: whole.clone(),
                    code: if e.to_string().starts_with("unknown field") {
                        "unknown-member"
                    } else {
                        "invalid-metric-filter"
                    },
                    message: format!("{what}: {e}"),
                })?;
            let (offset, location) = locate(text, &def.filter_pattern, json, search_from)
                .map(|offset| {
                    let (line, column) = line_column(text, offset);
                    (offset, at(line, column))
                })
                .unwrap_or((search_from, whole.clone()));
            search_from = offset;
            def.location = Some(location);
            rules.metric_filters.push(def);
        }
        for (i, item) in items("MetricAlarms")?.into_iter().enumerate() {
            let what = format!("MetricAlarms[{i}]");
            if let Some(members) = item.as_object() {
                let known = [super::iac::ALARM_PROPERTIES, MORE_ALARM_MEMBERS].concat();
                check_members(
                    members.keys(),
                    &known,
                    DESCRIBE_ALARM_MEMBERS,
                    &what,
                    &whole,
                )?;
            }
            let def: AlarmDef = serde_json::from_value(item).map_err(|e| RulesError {
                location: whole.clone(),
                code: "invalid-alarm",
                message: format!("{what}: {e}"),
            })?;
            def.validate().map_err(|e| RulesError {
                location: whole.clone(),
                code: "invalid-alarm",
                message: format!(
                    "{what} ({}): {} [{}]",
                    def.alarm_name,
                    e.message(),
                    e.code()
                ),
            })?;
            rules.alarms.push(def);
        }
        Ok(rules)
    }
}

impl RuleSet {
    /// The rules that templates, Terraform or rules files hold (read with
    /// [`iac`](super::iac)): their metric filters, and their alarms as [`AlarmDef`]s, each
    /// validated as `PutMetricAlarm` would. An alarm that is not valid is an error naming its
    /// resource and location. The readers' [`problems`](super::iac::Found::problems) are left
    /// to the caller.
    pub fn from_found(found: &super::iac::Found) -> Result<RuleSet, RulesError> {
        let mut rules = RuleSet {
            metric_filters: found.filters.clone(),
            alarms: Vec::with_capacity(found.alarms.len()),
        };
        for alarm in &found.alarms {
            let invalid = |code, message: String| RulesError {
                location: alarm.location.clone(),
                code,
                message: format!("alarm {}: {message}", alarm.logical_name),
            };
            let def: AlarmDef = serde_json::from_value(alarm.properties.clone())
                .map_err(|e| invalid("invalid-alarm", e.to_string()))?;
            def.validate().map_err(|e| {
                invalid(
                    "invalid-alarm",
                    format!("{}: {} [{}]", e.field(), e.message(), e.code()),
                )
            })?;
            rules.alarms.push(def);
        }
        Ok(rules)
    }
}

impl RuleSet {
    /// The rules named by `specs`, in order: `cis` (the built-in pack, [`RuleSet::cis`]), a
    /// rules file ([`RuleSet::load`]: its errors are errors), or a CloudFormation template, a
    /// Terraform file or a directory of such files ([`iac`](super::iac): what the readers could
    /// not resolve is returned as problems, and the rest is used). With no spec, the CIS pack.
    pub fn from_specs<S: AsRef<str>>(
        specs: &[S],
    ) -> Result<(RuleSet, Vec<super::iac::Problem>), RulesError> {
        use super::iac::{self, FileKind};
        if specs.is_empty() {
            return Ok((RuleSet::cis(), Vec::new()));
        }
        let mut rules = RuleSet::default();
        let mut problems = Vec::new();
        for spec in specs {
            let spec = spec.as_ref();
            if spec == "cis" {
                rules.extend(RuleSet::cis());
                continue;
            }
            let whole = SourceLocation {
                file: spec.to_owned(),
                ..SourceLocation::default()
            };
            let path = std::path::Path::new(spec);
            let (files, skipped) =
                iac::discover_with(path, Default::default()).map_err(|e| RulesError {
                    location: whole.clone(),
                    code: "unreadable",
                    message: format!("cannot read rules from {spec}: {e}"),
                })?;
            if let [(file, FileKind::Rules)] = files.as_slice() {
                rules.extend(RuleSet::load(file)?);
                problems.extend(skipped);
                continue;
            }
            let found = iac::read_all(&files);
            if found.filters.is_empty() && found.alarms.is_empty() {
                let what = if files.is_empty() {
                    "no rules file, CloudFormation template or Terraform file"
                } else {
                    "no metric filter or alarm"
                };
                return Err(RulesError {
                    location: whole,
                    code: "no-rules",
                    message: format!("{spec} holds {what}"),
                });
            }
            rules.extend(RuleSet::from_found(&found)?);
            problems.extend(found.problems);
            problems.extend(skipped);
        }
        Ok((rules, problems))
    }
}

/// The topic the CIS pack's alarms notify.
pub const CIS_TOPIC: &str = "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:cis-alarms";

fn check_members<'a>(
    keys: impl Iterator<Item = &'a String>,
    known: &[&str],
    ignored: &[&str],
    what: &str,
    location: &SourceLocation,
) -> Result<(), RulesError> {
    for key in keys {
        if !known.contains(&key.as_str()) && !ignored.contains(&key.as_str()) {
            let close = known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(key))
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return Err(RulesError {
                location: location.clone(),
                code: "unknown-member",
                message: format!(
                    "{what}: unknown member `{key}`{close}; expected one of {}",
                    known.join(", ")
                ),
            });
        }
    }
    Ok(())
}

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

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, last)| last)
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
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
        assert_eq!((err.code, err.location.line), ("invalid-toml", 2));
        let err =
            RuleSet::parse(&TOML.replace("Threshold = 10", "Treshold = 10"), "t.toml").unwrap_err();
        assert_eq!(err.code, "unknown-member");
        assert!(err.message.contains("`Treshold`"), "{err}");
        let err =
            RuleSet::parse(&TOML.replace("defaultValue", "defaultvalue"), "t.toml").unwrap_err();
        assert_eq!(err.code, "unknown-member", "{err}");
        let err =
            RuleSet::parse(&TOML.replace("Period = 60", "Period = 45"), "t.toml").unwrap_err();
        assert_eq!(err.code, "invalid-alarm");
        assert!(err.message.contains("MetricAlarms[0] (errors)"), "{err}");
        let err = RuleSet::parse("include = [\"nist\"]", "t.toml").unwrap_err();
        assert_eq!(err.code, "unknown-pack");
        let err = RuleSet::parse("metricFilter = []", "t.toml").unwrap_err();
        assert!(
            err.message.contains("did you mean") || err.message.contains("expected one of"),
            "{err}"
        );
        let err = RuleSet::parse("{\"metricFilters\": 3}", "t.json").unwrap_err();
        assert_eq!(err.code, "invalid-rules");
        assert!(RuleSet::parse("{", "t.json").is_err());
        let err = RuleSet::load(std::path::Path::new("/nonexistent/rules.toml")).unwrap_err();
        assert_eq!(err.code, "unreadable");
    }
}
