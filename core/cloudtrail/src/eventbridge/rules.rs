//! EventBridge rules as users write them for `aws events put-rule` and `aws events put-targets`:
//! a JSON file `{"Rules": [{"Name", "EventPattern", "State", "Targets": […]}, …]}`.
//!
//! Members are the API's ([PutRule](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html),
//! [Target](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html)), so
//! `aws events describe-rule` output and `put-targets` input paste in. The event pattern is kept
//! as the JSON text written (an object in the file, or a string holding one, as `put-rule`
//! takes it), checked only to be a JSON object: the pattern language is the engine's.
//! Errors are [`RulesError`]s with the file's line and column, as for metric-filter rules files
//! ([`crate::rules`]).

use std::collections::BTreeSet;
use std::fmt;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::delivery::{Delivery, Reason, RuleState, delivered, delivered_text};
use super::input::{InputError, InputErrorKind, InputTransformer, JsonPath, MAX_TEMPLATE};
use super::raw;
use crate::source::{RulesError, RulesErrorKind, SourceLocation, json_error, line_column};

/// The most targets a rule may have (`PutTargets`).
pub const MAX_TARGETS: usize = 5;

/// One EventBridge rule and its targets. Serializes as itself (snake_case members, the
/// locations left out), for a program to hand checked rules to another (a Spark driver to its
/// tasks); rules files are read with [`EventRuleSet::load`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRuleDef {
    /// `Name`: 1 to 64 letters, digits, `.`, `-`, `_`.
    pub name: String,
    /// `EventPattern`: the JSON text of the pattern object, as written (unparsed).
    pub event_pattern: Option<String>,
    /// `ScheduleExpression` (a scheduled rule has no pattern; kept, not evaluated).
    pub schedule_expression: Option<String>,
    /// `State` (default `ENABLED`).
    pub state: RuleState,
    /// `Description`.
    pub description: Option<String>,
    /// `EventBusName` (default: the default bus, the only one CloudTrail delivers to).
    pub event_bus_name: Option<String>,
    /// `RoleArn`.
    pub role_arn: Option<String>,
    /// `Arn`, as `describe-rule` prints it: the value of `<aws.events.rule-arn>`.
    pub arn: Option<String>,
    /// The targets (`put-targets`), at most [`MAX_TARGETS`].
    pub targets: Vec<TargetDef>,
    /// Where the rule's `Name` value is in its file.
    #[serde(skip)]
    pub location: Option<SourceLocation>,
    /// Where the `EventPattern` value starts in its file (its `{`, or the first character
    /// inside the quotes of a string), for a linter to point into the pattern.
    #[serde(skip)]
    pub pattern_location: Option<SourceLocation>,
}

/// A target as `PutTargets` takes it. Members this crate does not use (`RoleArn`,
/// `DeadLetterConfig`, `RetryPolicy`, the service-specific parameters) are accepted and
/// ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetDef {
    /// `Id`: 1 to 64 letters, digits, `.`, `-`, `_`, unique in the rule.
    pub id: String,
    /// `Arn`: the target (for an SNS target, the topic's ARN).
    pub arn: String,
    /// `Input`: constant JSON text sent instead of the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// `InputPath`: the part of the event sent (`$.detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path: Option<String>,
    /// `InputTransformer`: a template filled from the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_transformer: Option<InputTransformer>,
    #[serde(default, skip_serializing, rename = "RoleArn")]
    role_arn: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "DeadLetterConfig")]
    dead_letter_config: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "RetryPolicy")]
    retry_policy: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "KinesisParameters")]
    kinesis_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "RunCommandParameters")]
    run_command_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "EcsParameters")]
    ecs_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "BatchParameters")]
    batch_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "SqsParameters")]
    sqs_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "HttpParameters")]
    http_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "RedshiftDataParameters")]
    redshift_data_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "SageMakerPipelineParameters")]
    sage_maker_pipeline_parameters: Option<IgnoredAny>,
    #[serde(default, skip_serializing, rename = "AppSyncParameters")]
    app_sync_parameters: Option<IgnoredAny>,
}

impl TargetDef {
    /// A target with this `Id` and `Arn` that receives the whole event.
    pub fn new(id: impl Into<String>, arn: impl Into<String>) -> TargetDef {
        TargetDef {
            id: id.into(),
            arn: arn.into(),
            ..TargetDef::default()
        }
    }

    /// Checks `Input`, `InputPath` and `InputTransformer` as `PutTargets` would: at most one
    /// of them; `Input` JSON of at most 8192 characters; a supported `InputPath`; a valid
    /// transformer ([`InputTransformer::validate`]).
    pub fn validate_input(&self) -> Result<(), InputError> {
        let given = [
            self.input.is_some(),
            self.input_path.is_some(),
            self.input_transformer.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(InputError::new(
                InputErrorKind::ConflictingInputs,
                format!("Targets[{}]", self.id),
                "Input, InputPath and InputTransformer are mutually exclusive",
            ));
        }
        if let Some(input) = &self.input {
            let n = input.chars().count();
            if n > MAX_TEMPLATE {
                return Err(InputError::new(
                    InputErrorKind::TooLong,
                    "Input",
                    format!("at most {MAX_TEMPLATE} characters, found {n}"),
                ));
            }
            serde_json::from_str::<&RawValue>(input).map_err(|e| {
                InputError::new(
                    InputErrorKind::InvalidInput,
                    "Input",
                    format!("Input must be JSON text: {e}"),
                )
            })?;
        }
        if let Some(path) = &self.input_path {
            JsonPath::parse(path)?;
        }
        if let Some(transformer) = &self.input_transformer {
            transformer.validate()?;
        }
        Ok(())
    }
}

/// A set of EventBridge rules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventRuleSet {
    /// The rules, in the order given.
    pub rules: Vec<EventRuleDef>,
}

impl fmt::Display for EventRuleDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.state.name())
    }
}

impl EventRuleDef {
    /// Whether the rule receives the CloudTrail record `record`: [`delivered`] for its state,
    /// and nothing on a custom event bus, since "all CloudTrail events are delivered to the
    /// default event bus only"
    /// ([AWS service events delivered via AWS CloudTrail](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html)).
    /// The default bus is a rule without `EventBusName`, with `default`, or with the ARN of a
    /// bus named `default`.
    ///
    /// ```
    /// use trailmatch_cloudtrail::eventbridge::{EventRuleDef, Reason};
    ///
    /// let record = serde_json::json!({"eventName": "StopLogging", "readOnly": false});
    /// let mut rule = EventRuleDef { name: "r".into(), ..EventRuleDef::default() };
    /// assert!(rule.delivers(&record).delivered);
    /// rule.event_bus_name = Some("security".into());
    /// assert_eq!(rule.delivers(&record).reason, Reason::CustomEventBus);
    /// ```
    pub fn delivers(&self, record: &serde_json::Value) -> Delivery {
        self.custom_bus()
            .unwrap_or_else(|| delivered(record, self.state))
    }

    /// [`EventRuleDef::delivers`] for a record's JSON text.
    pub fn delivers_text(&self, record: &str) -> Delivery {
        self.custom_bus()
            .unwrap_or_else(|| delivered_text(record, self.state))
    }

    /// The answer for a rule on a custom event bus, which receives no CloudTrail event.
    fn custom_bus(&self) -> Option<Delivery> {
        let default_bus = self.event_bus_name.as_deref().is_none_or(|bus| {
            bus == "default" || (bus.starts_with("arn:") && bus.ends_with(":event-bus/default"))
        });
        (!default_bus).then_some(Delivery {
            delivered: false,
            reason: Reason::CustomEventBus,
        })
    }

    /// Checks the rule as `PutRule` and `PutTargets` would (the pattern only as a JSON object):
    /// a `Name` of 1 to 64 letters, digits, `.`, `-`, `_`; a pattern or a schedule; at most
    /// [`MAX_TARGETS`] targets with distinct valid `Id`s, an `Arn`, and inputs
    /// [`TargetDef::validate_input`] accepts. The error is placed at the rule's `location`
    /// (at its pattern's for a pattern that is not an object).
    pub fn validate(&self) -> Result<(), RulesError> {
        let here = self.location.clone().unwrap_or_default();
        let invalid =
            |kind: RulesErrorKind, message: String| RulesError::new(kind, here.clone(), message);
        check_name(&self.name).map_err(|m| invalid(RulesErrorKind::InvalidEventRule, m))?;
        match &self.event_pattern {
            Some(pattern) => check_pattern(pattern).map_err(|m| {
                RulesError::new(
                    RulesErrorKind::InvalidEventPattern,
                    self.pattern_location
                        .clone()
                        .unwrap_or_else(|| here.clone()),
                    format!("rule {}: {m}", self.name),
                )
            })?,
            None if self.schedule_expression.is_none() => {
                return Err(invalid(
                    RulesErrorKind::InvalidEventRule,
                    format!(
                        "rule {} has neither `EventPattern` nor `ScheduleExpression`",
                        self.name
                    ),
                ));
            }
            None => {}
        }
        check_targets(&self.targets).map_err(|m| {
            invalid(
                RulesErrorKind::InvalidTarget,
                format!("rule {}: {m}", self.name),
            )
        })
    }
}

/// A rules file as written (borrowing the file's text, so that the pattern's place is known).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc<'a> {
    #[serde(rename = "Rules", borrow)]
    rules: Vec<RuleDoc<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RuleDoc<'a> {
    #[serde(borrow)]
    name: &'a RawValue,
    #[serde(default, borrow)]
    event_pattern: Option<&'a RawValue>,
    #[serde(default)]
    schedule_expression: Option<String>,
    #[serde(default)]
    state: RuleState,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    role_arn: Option<String>,
    #[serde(default)]
    arn: Option<String>,
    #[serde(default)]
    targets: Vec<TargetDef>,
    #[serde(default)]
    tags: Option<IgnoredAny>,
    #[serde(default)]
    managed_by: Option<IgnoredAny>,
    #[serde(default)]
    created_by: Option<IgnoredAny>,
}

impl EventRuleSet {
    /// Reads an EventBridge rules file (JSON). See [`EventRuleSet::parse`].
    pub fn load(path: &std::path::Path) -> Result<EventRuleSet, RulesError> {
        let (file, text) = crate::source::read_rules_file(path)?;
        EventRuleSet::parse(&text, &file)
    }

    /// Parses an EventBridge rules file's text (`file` names it in locations and errors):
    /// `{"Rules": [rule, …]}`, each rule `PutRule`'s members (`Name`, `EventPattern`, `State`,
    /// `Description`, `EventBusName`, `ScheduleExpression`, `RoleArn`, `Tags`, and `Arn`,
    /// `ManagedBy`, `CreatedBy` as `describe-rule` prints them) and `Targets`, a list of
    /// `PutTargets` targets. Unknown members are errors at their line and column, with a
    /// suggestion for a misspelling; so are a pattern that is not a JSON object, a rule with
    /// neither pattern nor schedule, a name or target `Id` EventBridge refuses, more than
    /// [`MAX_TARGETS`] targets, two targets with one `Id`, and target inputs `PutTargets`
    /// refuses ([`TargetDef::validate_input`]).
    ///
    /// ```
    /// use trailmatch_cloudtrail::eventbridge::{EventRuleSet, RuleState};
    ///
    /// let rules = EventRuleSet::parse(r#"{"Rules": [{
    ///   "Name": "root-activity",
    ///   "EventPattern": {"detail": {"userIdentity": {"type": ["Root"]}}},
    ///   "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
    ///   "Targets": [{"Id": "sns", "Arn": "arn:aws:sns:us-east-1:111122223333:alerts", "InputPath": "$.detail"}]
    /// }]}"#, "rules.json")?;
    /// let rule = &rules.rules[0];
    /// assert_eq!(rule.event_pattern.as_deref(), Some(r#"{"detail": {"userIdentity": {"type": ["Root"]}}}"#));
    /// assert_eq!(rule.state, RuleState::EnabledWithAllCloudTrailManagementEvents);
    /// assert_eq!(rule.pattern_location.as_ref().map(|l| (l.line, l.column)), Some((3, 19)));
    /// # Ok::<(), trailmatch_cloudtrail::rules::RulesError>(())
    /// ```
    pub fn parse(text: &str, file: &str) -> Result<EventRuleSet, RulesError> {
        let at = |line: u32, column: u32| SourceLocation {
            file: file.to_owned(),
            line,
            column,
        };
        let whole = at(0, 0);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(RulesError::new(
                RulesErrorKind::EmptyRules,
                whole,
                "the rules file is empty: expected {\"Rules\": [...]}",
            ));
        }
        let doc: FileDoc<'_> = serde_json::from_str(text).map_err(|e| json_error(&e, at))?;
        if doc.rules.is_empty() {
            return Err(RulesError::new(
                RulesErrorKind::EmptyRules,
                whole,
                "the rules file holds no rule: `Rules` is empty",
            ));
        }
        let locate = |value: &RawValue, inside_quotes: bool| {
            raw::offset_in(text, value.get()).map(|offset| {
                let offset = offset + usize::from(inside_quotes);
                let (line, column) = line_column(text, offset);
                at(line, column)
            })
        };
        let mut out = EventRuleSet::default();
        let mut names = BTreeSet::new();
        for (i, rule) in doc.rules.into_iter().enumerate() {
            let location = locate(rule.name, false);
            let here = location.clone().unwrap_or_else(|| whole.clone());
            let invalid = |kind: RulesErrorKind, message: String| {
                RulesError::new(kind, here.clone(), format!("Rules[{i}]: {message}"))
            };
            let name = raw::string(rule.name).ok_or_else(|| {
                invalid(
                    RulesErrorKind::WrongType,
                    format!("`Name` is {}, not a string", rule.name.get()),
                )
            })?;
            let (event_pattern, pattern_location) = match rule.event_pattern {
                Some(pattern) => {
                    let (text, inside) = pattern_text(pattern).map_err(|m| {
                        RulesError::new(
                            RulesErrorKind::InvalidEventPattern,
                            locate(pattern, false).unwrap_or_else(|| here.clone()),
                            format!("Rules[{i}] ({name}): {m}"),
                        )
                    })?;
                    (Some(text), locate(pattern, inside))
                }
                None => (None, None),
            };
            let _ = (rule.tags, rule.managed_by, rule.created_by);
            let def = EventRuleDef {
                name,
                event_pattern,
                schedule_expression: rule.schedule_expression,
                state: rule.state,
                description: rule.description,
                event_bus_name: rule.event_bus_name,
                role_arn: rule.role_arn,
                arn: rule.arn,
                targets: rule.targets,
                location,
                pattern_location,
            };
            def.validate().map_err(|e| {
                RulesError::new(
                    e.kind(),
                    e.location.clone(),
                    format!("Rules[{i}]: {}", e.message()),
                )
            })?;
            let bus = def.event_bus_name.clone().unwrap_or_default();
            if !names.insert((bus, def.name.clone())) {
                return Err(invalid(
                    RulesErrorKind::InvalidEventRule,
                    format!("a second rule named {} on the same event bus", def.name),
                ));
            }
            out.rules.push(def);
        }
        Ok(out)
    }
}

/// The pattern's JSON text and whether it was written inside a string: an object as written, or
/// the content of a string holding one. Anything else is an error message.
fn pattern_text(pattern: &RawValue) -> Result<(String, bool), String> {
    match raw::kind(pattern) {
        raw::Kind::Object => Ok((pattern.get().to_owned(), false)),
        raw::Kind::String => {
            let text = raw::string(pattern).unwrap_or_default();
            check_pattern(&text)?;
            Ok((text, true))
        }
        _ => Err(format!(
            "`EventPattern` must be a JSON object or a string holding one, found {}",
            pattern.get()
        )),
    }
}

/// Checks that `text` is the JSON text of an object (all an event pattern is checked for here).
pub fn check_pattern(text: &str) -> Result<(), String> {
    let value = serde_json::from_str::<&RawValue>(text)
        .map_err(|e| format!("the event pattern is not JSON: {e}"))?;
    if raw::kind(value) != raw::Kind::Object {
        return Err(format!(
            "an event pattern must be a JSON object, found {}",
            value.get()
        ));
    }
    Ok(())
}

/// `Name` and target `Id`: 1 to 64 of `[.\-_A-Za-z0-9]`.
fn check_name(name: &str) -> Result<(), String> {
    let valid = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{} must be 1 to 64 letters, digits, `.`, `-` and `_`",
            raw::quote(name)
        ))
    }
}

fn check_targets(targets: &[TargetDef]) -> Result<(), String> {
    if targets.len() > MAX_TARGETS {
        return Err(format!(
            "{} targets, at most {MAX_TARGETS} are allowed",
            targets.len()
        ));
    }
    let mut ids = BTreeSet::new();
    for target in targets {
        check_name(&target.id).map_err(|m| format!("target `Id` {m}"))?;
        if !ids.insert(target.id.as_str()) {
            return Err(format!("two targets with `Id` {}", raw::quote(&target.id)));
        }
        if target.arn.is_empty() || target.arn.chars().count() > 1600 {
            return Err(format!(
                "target {}: `Arn` must be 1 to 1600 characters",
                target.id
            ));
        }
        target
            .validate_input()
            .map_err(|e| format!("target {}: {e}", target.id))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
  "Rules": [
    {
      "Name": "console-sign-in-failures",
      "Description": "CIS 5.6",
      "EventPattern": "{\"detail-type\": [\"AWS Console Sign In via CloudTrail\"], \"detail\": {\"errorMessage\": [\"Failed authentication\"]}}",
      "Targets": [{"Id": "sns", "Arn": "arn:aws:sns:us-east-1:111122223333:alerts"}]
    },
    {
      "Name": "trail-changes",
      "State": "DISABLED",
      "EventBusName": "default",
      "EventPattern": {
        "source": ["aws.cloudtrail"],
        "detail": {"eventName": ["StopLogging", "DeleteTrail"], "n": [{"numeric": [">", 1.50]}]}
      },
      "Targets": [{"Id": "sns", "Arn": "arn:aws:sns:us-east-1:111122223333:alerts",
                   "InputTransformer": {"InputPathsMap": {"who": "$.detail.userIdentity.arn"},
                                        "InputTemplate": "\"<who> changed a trail\""},
                   "RetryPolicy": {"MaximumRetryAttempts": 3}}]
    }
  ]
}"#;

    #[test]
    fn rules_file_with_both_pattern_forms() {
        let rules = EventRuleSet::parse(FILE, "eb.json").unwrap();
        assert_eq!(rules.rules.len(), 2);
        let first = &rules.rules[0];
        assert_eq!(first.name, "console-sign-in-failures");
        assert_eq!(first.state, RuleState::Enabled);
        assert_eq!(
            first.event_pattern.as_deref(),
            Some(
                r#"{"detail-type": ["AWS Console Sign In via CloudTrail"], "detail": {"errorMessage": ["Failed authentication"]}}"#
            )
        );
        let at = first.pattern_location.as_ref().unwrap();
        // Inside the quotes of line 6's string.
        assert_eq!((at.file.as_str(), at.line, at.column), ("eb.json", 6, 24));
        let name_at = first.location.as_ref().unwrap();
        assert_eq!((name_at.line, name_at.column), (4, 15));
        let second = &rules.rules[1];
        assert_eq!(second.state, RuleState::Disabled);
        // The object as written: its number and line breaks kept.
        let pattern = second.event_pattern.as_deref().unwrap();
        assert!(pattern.starts_with("{\n        \"source\""), "{pattern}");
        assert!(pattern.contains("1.50"), "{pattern}");
        let at = second.pattern_location.as_ref().unwrap();
        assert_eq!((at.line, at.column), (13, 23));
        let t = &second.targets[0];
        assert_eq!(
            t.input_transformer.as_ref().unwrap().input_template,
            "\"<who> changed a trail\""
        );
    }

    fn err(text: &str) -> RulesError {
        EventRuleSet::parse(text, "eb.json").unwrap_err()
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = err(&FILE.replace("\"EventBusName\"", "\"EventBusNmae\""));
        assert_eq!(e.code(), "unknown-member", "{e}");
        assert_eq!(e.location.line, 12, "{e}");
        assert!(e.message().contains("did you mean `EventBusName`"), "{e}");
        let e = err(&FILE.replace("\"DISABLED\"", "\"OFF\""));
        assert_eq!(e.location.line, 11, "{e}");
        let e = err(&FILE.replace("\"InputPathsMap\"", "\"InputPathMap\""));
        assert_eq!(e.code(), "unknown-member", "{e}");
        let e = err(&FILE.replace("{\\\"detail-type\\\"", "[{\\\"detail-type\\\""));
        assert_eq!(e.code(), "invalid-event-pattern", "{e}");
        assert_eq!(e.location.line, 6, "{e}");
        let e = err(r#"{"Rules": [{"Name": "a", "EventPattern": ["x"]}]}"#);
        assert_eq!(e.code(), "invalid-event-pattern", "{e}");
        let e = err(r#"{"Rules": [{"Name": "a", "EventPattern": "{\"a\": "}]}"#);
        assert_eq!(e.code(), "invalid-event-pattern", "{e}");
        let e = err(r#"{"Rules": [{"Name": "a b", "EventPattern": {}}]}"#);
        assert_eq!(e.code(), "invalid-event-rule", "{e}");
        let e = err(r#"{"Rules": [{"Name": 3, "EventPattern": {}}]}"#);
        assert_eq!(e.code(), "wrong-type", "{e}");
        let e = err(r#"{"Rules": [{"Name": "a"}]}"#);
        assert_eq!(e.code(), "invalid-event-rule", "{e}");
        let e = err(
            r#"{"Rules": [{"Name": "a", "EventPattern": {}}, {"Name": "a", "EventPattern": {}}]}"#,
        );
        assert_eq!(e.code(), "invalid-event-rule", "{e}");
        let e = err(r#"{"Rules": [{"EventPattern": {}}]}"#);
        assert_eq!(e.code(), "missing-member", "{e}");
        let e = err(&FILE.replace(
            "\"Id\": \"sns\", \"Arn\": \"arn:aws:sns:us-east-1:111122223333:alerts\"}",
            "\"Id\": \"sns\", \"Arn\": \"a\", \"Input\": \"{}\", \"InputPath\": \"$\"}",
        ));
        assert_eq!(e.code(), "invalid-target", "{e}");
        assert!(e.message().contains("conflicting-inputs"), "{e}");
        let six: Vec<String> = (0..6)
            .map(|i| format!(r#"{{"Id": "t{i}", "Arn": "arn"}}"#))
            .collect();
        let e = err(&format!(
            r#"{{"Rules": [{{"Name": "a", "EventPattern": {{}}, "Targets": [{}]}}]}}"#,
            six.join(",")
        ));
        assert_eq!(e.code(), "invalid-target", "{e}");
        let e = err(
            r#"{"Rules": [{"Name": "a", "EventPattern": {}, "Targets": [{"Id": "t", "Arn": "x"}, {"Id": "t", "Arn": "y"}]}]}"#,
        );
        assert_eq!(e.code(), "invalid-target", "{e}");
        assert_eq!(err("{\"Rules\": []}").code(), "empty-rules");
        assert_eq!(err("  ").code(), "empty-rules");
        assert_eq!(err("{\"Rules\": [").code(), "invalid-json");
        assert!(
            err("{\"Rules\": [{\"Name\": 1}")
                .to_string()
                .starts_with("eb.json:1:")
        );
    }

    #[test]
    fn rules_on_custom_buses_receive_no_cloudtrail_event() {
        let record = serde_json::json!({"eventName": "DeleteTrail", "readOnly": false});
        let rules = EventRuleSet::parse(
            r#"{"Rules": [
              {"Name": "a", "EventPattern": {}},
              {"Name": "b", "EventPattern": {}, "EventBusName": "default"},
              {"Name": "c", "EventPattern": {}, "EventBusName": "arn:aws:events:us-east-1:111122223333:event-bus/default"},
              {"Name": "d", "EventPattern": {}, "EventBusName": "security"},
              {"Name": "e", "EventPattern": {}, "EventBusName": "arn:aws:events:us-east-1:111122223333:event-bus/security"},
              {"Name": "f", "EventPattern": {}, "State": "DISABLED"}
            ]}"#,
            "b.json",
        )
        .unwrap();
        let got: Vec<(bool, Reason)> = rules
            .rules
            .iter()
            .map(|r| {
                let d = r.delivers(&record);
                (d.delivered, d.reason)
            })
            .collect();
        assert_eq!(
            got,
            [
                (true, Reason::WriteManagementEvent),
                (true, Reason::WriteManagementEvent),
                (true, Reason::WriteManagementEvent),
                (false, Reason::CustomEventBus),
                (false, Reason::CustomEventBus),
                (false, Reason::RuleDisabled),
            ]
        );
    }

    #[test]
    fn scheduled_rules_and_describe_output() {
        let rules = EventRuleSet::parse(
            r#"{"Rules": [{"Name": "nightly", "ScheduleExpression": "rate(1 day)",
               "Arn": "arn:aws:events:us-east-1:111122223333:rule/nightly", "ManagedBy": "x",
               "Tags": [{"Key": "k", "Value": "v"}]}]}"#,
            "d.json",
        )
        .unwrap();
        assert_eq!(rules.rules[0].event_pattern, None);
        assert_eq!(
            rules.rules[0].arn.as_deref(),
            Some("arn:aws:events:us-east-1:111122223333:rule/nightly")
        );
    }
}
