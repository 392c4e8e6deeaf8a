//! `AWS::Events::Rule` resources
//! ([reference](https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-rule.html)):
//! `Name`, `EventPattern` (an object in the template, or a string holding one), `State`,
//! `Description`, `EventBusName`, `ScheduleExpression`, `RoleArn` and `Targets` (`Id`, `Arn`,
//! `Input`, `InputPath`, `InputTransformer`), resolved with the template's intrinsic functions
//! as far as the template allows.
//!
//! An `EventPattern` written as YAML or JSON is written out as compact JSON, keys in the order
//! written, numbers as written when they are JSON numbers; every byte of that text keeps the
//! file position of what produced it (a key or value its characters, punctuation the start of
//! its object or array), so that a linter can point into the pattern. A target `Arn` that is a
//! reference the template cannot resolve (`!Ref Topic`, `!GetAtt Topic.TopicArn`) is written
//! `${Topic}` and reported.

use serde_json::{Map, Value as Json};

use super::syntax_problem;
use super::{Node, Template, Unresolved, Val, parse_yaml, plain_scalar, unresolved, untag};
use crate::eventbridge::{EventRuleDef, RuleState, TargetDef};
use crate::iac::text::{LineIndex, SourceText};
use crate::iac::{FilterPositions, FoundEventRule, FoundEventRules, Problem, Subject};

/// Reads the `AWS::Events::Rule` resources of a CloudFormation template (JSON or YAML).
pub fn read_event_rules(file: &str, text: &str) -> FoundEventRules {
    let index = LineIndex::new(text);
    let mut found = FoundEventRules::default();
    // Keys given twice are reported by the reader of metric filters, which `lint` runs on
    // every template.
    let root = match parse_yaml(text) {
        Ok((root, _)) => root,
        Err((at, message)) => {
            found
                .problems
                .push(syntax_problem(&index, file, at, message));
            return found;
        }
    };
    let template = Template::new(file, text, &index, &root);
    let Some(resources) = root.get("Resources") else {
        // About the file as a whole, which the reader of metric filters reports too (as a
        // warning): not a problem of any rule.
        found.problems.push(Problem {
            location: template.location(root.start()),
            code: "not-a-template",
            message: "not a CloudFormation template: no Resources section".into(),
            incomplete: false,
            metric: None,
            subject: Subject::File,
        });
        return found;
    };
    for (key, resource) in resources.entries() {
        let Some(name) = key.as_str() else { continue };
        if resource.get("Type").and_then(Node::as_str) != Some("AWS::Events::Rule") {
            continue;
        }
        // As metric filters: a rule whose condition is false is not read.
        let (created, problem) = template.created(name, resource, Subject::EventRule);
        found.problems.extend(problem);
        if !created {
            continue;
        }
        template.event_rule(&mut found, name, key.start(), resource.get("Properties"));
    }
    found
}

/// A single-member mapping `Ref` or `Fn::…`: an intrinsic function in its long form.
fn is_intrinsic(entries: &[(Node, Node)]) -> bool {
    match entries {
        [(key, _)] => key
            .as_str()
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::")),
        _ => false,
    }
}

/// `text` as a JSON string literal, each byte at the position of the character it encodes.
fn json_string(text: &SourceText, fallback: usize) -> SourceText {
    let first = text.offset(0, fallback);
    let mut out = SourceText::whole("\"", first);
    for (i, c) in text.text.char_indices() {
        let mut buf = [0u8; 4];
        let encoded = serde_json::to_string(c.encode_utf8(&mut buf)).unwrap_or_default();
        let inner = encoded
            .get(1..encoded.len().saturating_sub(1))
            .unwrap_or_default();
        out.push(&SourceText::whole(inner, text.offset(i, fallback)));
    }
    let last = text.offset(text.text.len().saturating_sub(1), fallback);
    out.push(&SourceText::whole("\"", last));
    out
}

/// A resolved scalar as JSON: a plain YAML scalar under the core schema (a JSON number kept as
/// written), a quoted one as a string.
fn scalar_json(text: &SourceText, plain: bool, fallback: usize) -> SourceText {
    let at = text.offset(0, fallback);
    if !plain {
        return json_string(text, fallback);
    }
    match plain_scalar(&text.text) {
        Json::String(_) => json_string(text, fallback),
        Json::Number(n) => {
            if serde_json::from_str::<serde_json::Number>(&text.text).is_ok() {
                text.clone()
            } else {
                SourceText::whole(&n.to_string(), at)
            }
        }
        other => SourceText::whole(&other.to_string(), at),
    }
}

/// A resolved value as JSON, punctuation at `at`.
fn val_json(value: &Val, at: usize) -> SourceText {
    match value {
        Val::Scalar { text, plain } => scalar_json(text, *plain, at),
        Val::List(items) => {
            let mut out = SourceText::whole("[", at);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(&SourceText::whole(",", at));
                }
                out.push(&val_json(item, at));
            }
            out.push(&SourceText::whole("]", at));
            out
        }
        Val::Map(entries) => {
            let mut out = SourceText::whole("{", at);
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(&SourceText::whole(",", at));
                }
                out.push(&json_string(&SourceText::whole(key, at), at));
                out.push(&SourceText::whole(":", at));
                out.push(&val_json(item, at));
            }
            out.push(&SourceText::whole("}", at));
            out
        }
    }
}

impl Template<'_> {
    fn report_event(&self, found: &mut FoundEventRules, e: Unresolved, logical: &str, what: &str) {
        found.problems.push(Problem {
            location: self.location(e.at),
            code: e.code,
            message: format!("event rule {logical}: {what}: {}", e.message),
            incomplete: false,
            metric: None,
            subject: Subject::EventRule,
        });
    }

    /// The text of `key` of `node`, reported when it cannot be resolved.
    fn event_text(
        &self,
        found: &mut FoundEventRules,
        node: Option<&Node>,
        key: &str,
        logical: &str,
    ) -> Option<SourceText> {
        let value = node?.get(key)?;
        match self
            .eval(value, 0)
            .and_then(|v| v.into_text(value.start(), key))
        {
            Ok(text) => Some(text),
            Err(e) => {
                self.report_event(found, e, logical, key);
                None
            }
        }
    }

    /// The JSON text of an event pattern node with the position of every byte.
    fn pattern_json(&self, node: &Node, depth: usize) -> Result<SourceText, Unresolved> {
        if depth > super::MAX_DEPTH {
            return Err(unresolved(
                node.start(),
                "unresolved-reference",
                "the pattern nests too deep".into(),
            ));
        }
        match node {
            Node::Map {
                entries,
                tag: None,
                start,
            } if !is_intrinsic(entries) => {
                let mut out = SourceText::whole("{", *start);
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(&SourceText::whole(",", key.start()));
                    }
                    let key_text = self
                        .eval(key, depth + 1)?
                        .into_text(key.start(), "a pattern key")?;
                    out.push(&json_string(&key_text, key.start()));
                    out.push(&SourceText::whole(":", value.start()));
                    out.push(&self.pattern_json(value, depth + 1)?);
                }
                out.push(&SourceText::whole("}", *start));
                Ok(out)
            }
            Node::Seq {
                items,
                tag: None,
                start,
            } => {
                let mut out = SourceText::whole("[", *start);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(&SourceText::whole(",", item.start()));
                    }
                    out.push(&self.pattern_json(item, depth + 1)?);
                }
                out.push(&SourceText::whole("]", *start));
                Ok(out)
            }
            _ => Ok(val_json(&self.eval(node, depth + 1)?, node.start())),
        }
    }

    /// The pattern's text: a mapping written out as JSON, a string as it is.
    fn event_pattern(&self, node: &Node) -> Result<SourceText, Unresolved> {
        match node {
            Node::Map {
                entries, tag: None, ..
            } if !is_intrinsic(entries) => self.pattern_json(node, 0),
            _ => match self.eval(node, 0)? {
                Val::Scalar { text, .. } => Ok(text),
                other => Ok(val_json(&other, node.start())),
            },
        }
    }

    fn event_rule(
        &self,
        found: &mut FoundEventRules,
        logical: &str,
        at: usize,
        properties: Option<&Node>,
    ) {
        let name_node = properties.and_then(|p| p.get("Name"));
        let name = self.event_text(found, properties, "Name", logical);
        let location = self.location(name_node.map_or(at, Node::start));
        let mut rule = EventRuleDef {
            name: name.map_or_else(|| logical.to_owned(), |t| t.text),
            location: Some(location),
            ..EventRuleDef::default()
        };
        let mut positions = None;
        if let Some(node) = properties.and_then(|p| p.get("EventPattern")) {
            match self.event_pattern(node) {
                Ok(pattern) => {
                    let p =
                        FilterPositions::from_text(self.file, self.index, &pattern, node.start());
                    rule.pattern_location = Some(p.locate(0));
                    rule.event_pattern = Some(pattern.text);
                    positions = Some(p);
                }
                Err(e) => {
                    self.report_event(found, e, logical, "EventPattern");
                    found
                        .problems
                        .last_mut()
                        .into_iter()
                        .for_each(|p| p.incomplete = true);
                }
            }
        }
        if let Some(state) = self.event_text(found, properties, "State", logical) {
            match RuleState::from_name(&state.text) {
                Some(s) => rule.state = s,
                None => self.report_event(
                    found,
                    unresolved(
                        state.offset(0, at),
                        "invalid-resource",
                        format!(
                            "'{}' is none of ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                            state.text
                        ),
                    ),
                    logical,
                    "State",
                ),
            }
        }
        rule.description = self
            .event_text(found, properties, "Description", logical)
            .map(|t| t.text);
        rule.event_bus_name = self
            .event_text(found, properties, "EventBusName", logical)
            .map(|t| t.text);
        rule.schedule_expression = self
            .event_text(found, properties, "ScheduleExpression", logical)
            .map(|t| t.text);
        rule.role_arn = self
            .event_text(found, properties, "RoleArn", logical)
            .map(|t| t.text);
        match properties.and_then(|p| p.get("Targets")) {
            Some(Node::Seq { items, .. }) => {
                for item in items {
                    if let Some(target) = self.event_target(found, item, logical) {
                        rule.targets.push(target);
                    }
                }
            }
            Some(other) => self.report_event(
                found,
                unresolved(
                    other.start(),
                    "invalid-resource",
                    "Targets must be a list".into(),
                ),
                logical,
                "Targets",
            ),
            None => {}
        }
        found.rules.push(FoundEventRule {
            logical_name: logical.to_owned(),
            location: self.location(at),
            rule,
            pattern_positions: positions,
        });
    }

    fn event_target(
        &self,
        found: &mut FoundEventRules,
        item: &Node,
        logical: &str,
    ) -> Option<TargetDef> {
        let mut out = Map::new();
        for key in ["Id", "Input", "InputPath"] {
            if let Some(t) = self.event_text(found, Some(item), key, logical) {
                out.insert(key.into(), Json::String(t.text));
            }
        }
        if let Some(arn) = item.get("Arn") {
            let text = match self
                .eval(arn, 0)
                .and_then(|v| v.into_text(arn.start(), "Arn"))
            {
                Ok(t) => t.text,
                Err(e) => {
                    self.report_event(found, e, logical, "Targets: Arn");
                    // What it refers to, in `${…}` as the CIS pack writes what it cannot know.
                    let what = match arn.tag() {
                        Some("Ref" | "GetAtt") => super::describe(&untag(arn)),
                        _ => match arn.entries() {
                            [(k, v)]
                                if k.as_str() == Some("Ref")
                                    || k.as_str() == Some("Fn::GetAtt") =>
                            {
                                super::describe(v)
                            }
                            _ => "unresolved".to_owned(),
                        },
                    };
                    format!("${{{what}}}")
                }
            };
            out.insert("Arn".into(), Json::String(text));
        }
        if let Some(node) = item.get("InputTransformer") {
            let mut transformer = Map::new();
            if let Some(t) = self.event_text(found, Some(node), "InputTemplate", logical) {
                transformer.insert("InputTemplate".into(), Json::String(t.text));
            }
            if let Some(paths) = node.get("InputPathsMap") {
                match self.eval(paths, 0) {
                    Ok(Val::Map(entries)) => {
                        let map = entries
                            .iter()
                            .map(|(k, v)| (k.clone(), v.to_json()))
                            .collect();
                        transformer.insert("InputPathsMap".into(), Json::Object(map));
                    }
                    Ok(_) => self.report_event(
                        found,
                        unresolved(
                            paths.start(),
                            "invalid-resource",
                            "InputPathsMap must be a mapping".into(),
                        ),
                        logical,
                        "Targets: InputTransformer",
                    ),
                    Err(e) => self.report_event(found, e, logical, "Targets: InputPathsMap"),
                }
            }
            out.insert("InputTransformer".into(), Json::Object(transformer));
        }
        match serde_json::from_value::<TargetDef>(Json::Object(out)) {
            Ok(target) => Some(target),
            Err(e) => {
                self.report_event(
                    found,
                    unresolved(item.start(), "invalid-resource", e.to_string()),
                    logical,
                    "Targets",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"Parameters:
  Topic:
    Type: String
    Default: arn:aws:sns:us-east-1:111122223333:alerts
Resources:
  TrailChanges:
    Type: AWS::Events::Rule
    Properties:
      Name: trail-changes
      State: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
      EventPattern:
        source: [aws.cloudtrail]
        detail-type: ["AWS API Call via CloudTrail"]
        detail:
          eventName: [StopLogging, DeleteTrail]
          n: [{numeric: [">", 1.50]}]
          gone: [{exists: false}]
      Targets:
        - Id: sns
          Arn: !Ref Topic
          InputTransformer:
            InputPathsMap:
              who: $.detail.userIdentity.arn
            InputTemplate: '"<who> changed a trail"'
  AsString:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: '{"source": ["aws.signin"]}'
      Targets:
        - Id: t
          Arn: !GetAtt Queue.Arn
  Other:
    Type: AWS::SNS::Topic
"#;

    #[test]
    fn rules_with_patterns_targets_and_positions() {
        let found = read_event_rules("t.yaml", YAML);
        assert_eq!(found.rules.len(), 2);
        let first = &found.rules[0];
        assert_eq!(first.logical_name, "TrailChanges");
        let rule = &first.rule;
        assert_eq!(rule.name, "trail-changes");
        assert_eq!(
            rule.state,
            RuleState::EnabledWithAllCloudTrailManagementEvents
        );
        let pattern = rule.event_pattern.as_deref().unwrap();
        assert_eq!(
            pattern,
            r#"{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["StopLogging","DeleteTrail"],"n":[{"numeric":[">",1.50]}],"gone":[{"exists":false}]}}"#
        );
        // `DeleteTrail` points at its place in the YAML.
        let positions = first.pattern_positions.as_ref().unwrap();
        let at = positions.locate(pattern.find("DeleteTrail").unwrap());
        assert_eq!((at.line, at.column), (15, 36));
        let at = positions.locate(pattern.find("1.50").unwrap());
        assert_eq!((at.line, at.column), (16, 31));
        assert_eq!(rule.targets.len(), 1);
        assert_eq!(
            rule.targets[0].arn,
            "arn:aws:sns:us-east-1:111122223333:alerts"
        );
        assert_eq!(
            rule.targets[0]
                .input_transformer
                .as_ref()
                .unwrap()
                .input_paths_map["who"],
            "$.detail.userIdentity.arn"
        );
        let second = &found.rules[1];
        assert_eq!(second.rule.name, "AsString");
        assert_eq!(
            second.rule.event_pattern.as_deref(),
            Some(r#"{"source": ["aws.signin"]}"#)
        );
        let at = second.rule.pattern_location.as_ref().unwrap();
        assert_eq!((at.line, at.column), (28, 22));
        assert_eq!(second.rule.targets[0].arn, "${Queue.Arn}");
        let codes: Vec<_> = found
            .problems
            .iter()
            .map(|p| (p.code, p.location.line))
            .collect();
        assert_eq!(codes, [("unresolved-reference", 31)]);
    }

    #[test]
    fn json_templates_and_problems() {
        let json = r#"{"Resources": {"R": {"Type": "AWS::Events::Rule", "Properties": {
  "EventPattern": {"detail": {"eventName": ["A\"B"]}}, "State": "ON"}}}}"#;
        let found = read_event_rules("t.json", json);
        let rule = &found.rules[0].rule;
        assert_eq!(
            rule.event_pattern.as_deref(),
            Some(r#"{"detail":{"eventName":["A\"B"]}}"#)
        );
        assert_eq!(rule.state, RuleState::Enabled);
        assert_eq!(found.problems[0].code, "invalid-resource");
        assert_eq!(found.problems[0].location.line, 2);
        let broken = read_event_rules("b.yaml", "Resources:\n  R: [\n");
        assert_eq!(broken.problems[0].code, "syntax");
        let other = read_event_rules("x.yaml", "name: ci\n");
        assert_eq!(other.problems[0].code, "not-a-template");
        // About the file, which the reader of metric filters reports: not a rule's problem.
        assert_eq!(other.problems[0].subject, Subject::File);
    }
}
