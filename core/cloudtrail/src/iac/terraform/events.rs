//! EventBridge in Terraform: `aws_cloudwatch_event_rule`
//! ([docs](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_event_rule):
//! `name`, `event_pattern`, `state`, `is_enabled`, `description`, `event_bus_name`,
//! `schedule_expression`, `role_arn`) and `aws_cloudwatch_event_target`
//! ([docs](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_event_target):
//! `rule`, `arn`, `target_id`, `event_bus_name`, `input`, `input_path`, an `input_transformer`
//! block with `input_paths` and `input_template`).
//!
//! A target joins its rule through its `rule` argument: a reference
//! `aws_cloudwatch_event_rule.NAME[KEY].name` (or `.id`) names the rule resource (and instance)
//! itself; any other value is resolved and compared with the rules' names on the same event bus.
//! A rule without `name` is given a name made of its resource name and instance key (Terraform
//! would make one up), a target without `target_id` one made of its own. An `arn` that cannot be
//! resolved (`aws_sns_topic.alerts.arn`) is kept as Terraform interpolation text
//! (`${aws_sns_topic.alerts.arn}`) and reported.
//!
//! The pattern is the `event_pattern` string: a heredoc or quoted string as written (white space
//! around it trimmed), or `jsonencode(…)` of an object as Terraform writes it ([`json_encode`]),
//! every byte keeping its position in the file.

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::Block;
use serde_json::{Map, Value as Json};

use super::{Instance, Loader, Module, Unresolved, Val, label, module_files, start};
use crate::eventbridge::{EventRuleDef, RuleState, TargetDef};
use crate::iac::text::SourceText;
use crate::iac::{FoundEventRule, FoundEventRules, Problem, Subject};

const RULE: &str = "aws_cloudwatch_event_rule";
const TARGET: &str = "aws_cloudwatch_event_target";

/// Reads one Terraform file's EventBridge rules on its own.
pub fn read_event_rules(file: &str, text: &str) -> FoundEventRules {
    read_event_rules_module(&[(file.to_owned(), text.to_owned())])
}

/// Reads the EventBridge rules of one module (the `.tf` files of a directory), each rule with
/// the targets that name it, and those of the modules it calls with a local `source` (read from
/// disk, [`module_files`]).
pub fn read_event_rules_module(files: &[(String, String)]) -> FoundEventRules {
    read_event_rules_module_with(files, &module_files)
}

/// [`read_event_rules_module`], finding the modules it calls with `load` (see
/// [`super::read_module_with`]).
pub fn read_event_rules_module_with(
    files: &[(String, String)],
    load: Loader<'_>,
) -> FoundEventRules {
    super::read_root(files, load, |module, problems| {
        let mut found = FoundEventRules {
            problems,
            ..FoundEventRules::default()
        };
        module.event_rules(&mut found);
        found
    })
}

/// `value` as `jsonencode` writes it: objects with their keys sorted, no white space, strings
/// escaped as Go's `encoding/json` escapes them (`<`, `>`, `&`, U+2028 and U+2029 as `\u…`),
/// whole numbers as integers. String characters keep their file positions; punctuation is at
/// `at`, the call.
pub(super) fn json_encode(value: &Val, at: usize) -> SourceText {
    match value {
        Val::Null => SourceText::whole("null", at),
        Val::Bool(b) => SourceText::whole(if *b { "true" } else { "false" }, at),
        Val::Num(v, text) => {
            let written = if text.text.parse::<i64>().is_ok() {
                text.text.clone()
            } else if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{v:.0}")
            } else {
                serde_json::Number::from_f64(*v)
                    .map_or_else(|| "null".to_owned(), |n| n.to_string())
            };
            SourceText::whole(&written, text.offset(0, at))
        }
        Val::Str(text) => go_string(text, at),
        Val::List(items) => {
            let mut out = SourceText::whole("[", at);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(&SourceText::whole(",", at));
                }
                out.push(&json_encode(item, at));
            }
            out.push(&SourceText::whole("]", at));
            out
        }
        Val::Obj(entries) => {
            let mut sorted: Vec<&(String, Val)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            sorted.dedup_by(|a, b| a.0 == b.0);
            let mut out = SourceText::whole("{", at);
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(&SourceText::whole(",", at));
                }
                out.push(&go_string(&SourceText::whole(key, at), at));
                out.push(&SourceText::whole(":", at));
                out.push(&json_encode(item, at));
            }
            out.push(&SourceText::whole("}", at));
            out
        }
    }
}

/// A JSON string literal as Go writes it, each byte at its character's position.
fn go_string(text: &SourceText, at: usize) -> SourceText {
    let mut out = SourceText::whole("\"", text.offset(0, at));
    for (i, c) in text.text.char_indices() {
        let here = text.offset(i, at);
        let escaped = match c {
            '<' => "\\u003c".to_owned(),
            '>' => "\\u003e".to_owned(),
            '&' => "\\u0026".to_owned(),
            '\u{2028}' => "\\u2028".to_owned(),
            '\u{2029}' => "\\u2029".to_owned(),
            _ => {
                let mut buf = [0u8; 4];
                let encoded = serde_json::to_string(c.encode_utf8(&mut buf)).unwrap_or_default();
                encoded
                    .get(1..encoded.len().saturating_sub(1))
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        out.push(&SourceText::whole(&escaped, here));
    }
    let last = text.offset(text.text.len().saturating_sub(1), at);
    out.push(&SourceText::whole("\"", last));
    out
}

/// A name EventBridge accepts made of a Terraform address part: characters other than letters,
/// digits, `.`, `-`, `_` dropped or made `-`, at most 64.
fn generated_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            out.push(c);
        } else if !out.ends_with('-') && !matches!(c, '"' | ']') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(64).collect()
}

/// A rule read, with what a target joins it by.
struct Read {
    address: String,
    bus: String,
    found: FoundEventRule,
}

impl Module<'_> {
    fn report_event(&self, found: &mut FoundEventRules, e: Unresolved, context: &str) {
        found.problems.push(Problem {
            location: self.located(e.global),
            code: e.code,
            message: format!("{context}: {}", e.message),
            incomplete: false,
            metric: None,
            subject: Subject::EventRule,
        });
    }

    fn text_or_report(
        &self,
        found: &mut FoundEventRules,
        f: usize,
        block: &Block,
        key: &str,
        instance: &Instance,
        address: &str,
    ) -> Option<SourceText> {
        match self.text_attr(f, &block.body, key, instance) {
            Some(Ok(text)) => Some(text),
            Some(Err(e)) => {
                self.report_event(found, e, &format!("{address}: {key}"));
                None
            }
            None => None,
        }
    }

    fn event_rules(&self, found: &mut FoundEventRules) {
        self.module_event_rules(found);
        let mut problems = Vec::new();
        self.each_call(&mut problems, &mut |child| child.event_rules(found));
        found.problems.extend(problems);
    }

    /// The rules of this module's own resources (a target joins a rule of its module).
    fn module_event_rules(&self, found: &mut FoundEventRules) {
        let mut rules: Vec<Read> = Vec::new();
        for &(f, block) in &self.resources {
            if block.labels.first().map(label) != Some(RULE) {
                continue;
            }
            let name = block.labels.get(1).map(label).unwrap_or_default();
            let instances = match self.instances(f, block) {
                Ok(i) => i,
                Err(e) => {
                    self.report_event(found, e, &format!("{}{RULE}.{name}", self.prefix));
                    continue;
                }
            };
            for instance in instances {
                let address = format!("{}{RULE}.{name}{}", self.prefix, instance.suffix);
                let rule = self.event_rule(found, f, block, &instance, name, &address);
                rules.push(rule);
            }
        }
        for &(f, block) in &self.resources {
            if block.labels.first().map(label) != Some(TARGET) {
                continue;
            }
            let name = block.labels.get(1).map(label).unwrap_or_default();
            let instances = match self.instances(f, block) {
                Ok(i) => i,
                Err(e) => {
                    self.report_event(found, e, &format!("{}{TARGET}.{name}", self.prefix));
                    continue;
                }
            };
            for instance in instances {
                let address = format!("{}{TARGET}.{name}{}", self.prefix, instance.suffix);
                self.event_target(found, &mut rules, f, block, &instance, &address);
            }
        }
        found.rules.extend(rules.into_iter().map(|r| r.found));
    }

    fn event_rule(
        &self,
        found: &mut FoundEventRules,
        f: usize,
        block: &Block,
        instance: &Instance,
        label_name: &str,
        address: &str,
    ) -> Read {
        let block_at = start(block.span());
        let text = |found: &mut FoundEventRules, key: &str| {
            self.text_or_report(found, f, block, key, instance, address)
                .map(|t| t.text)
        };
        let name_at = block
            .body
            .get_attribute("name")
            .map_or(block_at, |a| start(a.value.span()));
        let name = text(found, "name").unwrap_or_else(|| {
            generated_name(&format!("{}{label_name}{}", self.prefix, instance.suffix))
        });
        let mut rule = EventRuleDef {
            name,
            location: Some(self.location(f, name_at)),
            ..EventRuleDef::default()
        };
        let mut positions = None;
        if let Some(attr) = block.body.get_attribute("event_pattern") {
            let pattern_at = start(attr.value.span());
            match self.text_attr(f, &block.body, "event_pattern", instance) {
                Some(Ok(pattern)) => {
                    let pattern = pattern.trimmed();
                    let p = self.positions(&pattern, f, pattern_at);
                    rule.pattern_location = Some(p.locate(0));
                    positions = Some(p);
                    rule.event_pattern = Some(pattern.text);
                }
                Some(Err(e)) => {
                    self.report_event(found, e, &format!("{address}: event_pattern"));
                    if let Some(p) = found.problems.last_mut() {
                        p.incomplete = true;
                    }
                }
                None => {}
            }
        }
        match text(found, "state") {
            Some(state) => match RuleState::from_name(&state) {
                Some(s) => rule.state = s,
                None => found.problems.push(Problem {
                    location: self.location(f, block_at),
                    code: "invalid-resource",
                    message: format!(
                        "{address}: state '{state}' is none of ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
                    ),
                    incomplete: false,
                    metric: None,
                    subject: Subject::EventRule,
                }),
            },
            // The deprecated `is_enabled = false`.
            None => {
                if let Some(Ok((Val::Bool(false), _))) =
                    self.attr(f, &block.body, "is_enabled", instance)
                {
                    rule.state = RuleState::Disabled;
                }
            }
        }
        rule.description = text(found, "description");
        rule.event_bus_name = text(found, "event_bus_name");
        rule.schedule_expression = text(found, "schedule_expression");
        rule.role_arn = text(found, "role_arn");
        Read {
            address: address.to_owned(),
            bus: rule
                .event_bus_name
                .clone()
                .unwrap_or_else(|| "default".into()),
            found: FoundEventRule {
                logical_name: address.to_owned(),
                location: self.location(f, block_at),
                rule,
                pattern_positions: positions,
            },
        }
    }

    /// The rule resource a target's `rule` names by reference:
    /// `aws_cloudwatch_event_rule.NAME[KEY].name` (or `.id`, `.arn`).
    fn rule_address(
        &self,
        f: usize,
        expr: &Expression,
        instance: &Instance,
    ) -> Option<Result<String, Unresolved>> {
        let Expression::Traversal(t) = expr else {
            return None;
        };
        let Expression::Variable(root) = &t.expr else {
            return None;
        };
        if root.value().as_str() != RULE {
            return None;
        }
        let mut ops = t.operators.iter().map(|o| o.value());
        let Some(TraversalOperator::GetAttr(name)) = ops.next() else {
            return None;
        };
        let mut address = format!("{}{RULE}.{}", self.prefix, name.value().as_str());
        for op in ops {
            match op {
                TraversalOperator::Index(e) => match self.eval(f, e, instance, 0) {
                    Ok(Val::Str(s)) => address.push_str(&format!("[{:?}]", s.text)),
                    Ok(Val::Num(n, _)) => address.push_str(&format!("[{n}]")),
                    Ok(_) => return None,
                    Err(e) => return Some(Err(e)),
                },
                TraversalOperator::LegacyIndex(n) => address.push_str(&format!("[{}]", n.value())),
                TraversalOperator::GetAttr(_) => break,
                _ => return None,
            }
        }
        Some(Ok(address))
    }

    fn event_target(
        &self,
        found: &mut FoundEventRules,
        rules: &mut [Read],
        f: usize,
        block: &Block,
        instance: &Instance,
        address: &str,
    ) {
        let block_at = start(block.span());
        let text = |found: &mut FoundEventRules, key: &str| {
            self.text_or_report(found, f, block, key, instance, address)
                .map(|t| t.text)
        };
        let bus = text(found, "event_bus_name").unwrap_or_else(|| "default".into());
        let Some(rule_attr) = block.body.get_attribute("rule") else {
            found.problems.push(Problem {
                location: self.location(f, block_at),
                code: "invalid-resource",
                message: format!("{address}: no rule"),
                incomplete: true,
                metric: None,
                subject: Subject::EventRule,
            });
            return;
        };
        let rule_at = start(rule_attr.value.span());
        let index = match self.rule_address(f, &rule_attr.value, instance) {
            Some(Ok(rule_address)) => rules.iter().position(|r| r.address == rule_address),
            Some(Err(e)) => {
                self.report_event(found, e, &format!("{address}: rule"));
                return;
            }
            None => match text(found, "rule") {
                Some(name) => rules
                    .iter()
                    .position(|r| r.found.rule.name == name && r.bus == bus),
                None => return,
            },
        };
        let Some(index) = index else {
            found.problems.push(Problem {
                location: self.location(f, rule_at),
                code: "unresolved-reference",
                message: format!(
                    "{address}: rule: no aws_cloudwatch_event_rule here is the one named"
                ),
                incomplete: true,
                metric: None,
                subject: Subject::EventRule,
            });
            return;
        };
        let mut out = Map::new();
        let id = text(found, "target_id").unwrap_or_else(|| {
            let label_name = block.labels.get(1).map(label).unwrap_or_default();
            generated_name(&format!("{}{label_name}{}", self.prefix, instance.suffix))
        });
        out.insert("Id".into(), Json::String(id));
        let arn = match self.text_attr(f, &block.body, "arn", instance) {
            Some(Ok(t)) => t.text,
            Some(Err(e)) => {
                self.report_event(found, e, &format!("{address}: arn"));
                let raw = block
                    .body
                    .get_attribute("arn")
                    .and_then(|a| a.value.span())
                    .and_then(|span| self.files.get(f).and_then(|file| file.text.get(span)))
                    .unwrap_or("unresolved");
                format!("${{{}}}", raw.trim())
            }
            None => String::new(),
        };
        out.insert("Arn".into(), Json::String(arn));
        if let Some(input) = text(found, "input") {
            out.insert("Input".into(), Json::String(input));
        }
        if let Some(path) = text(found, "input_path") {
            out.insert("InputPath".into(), Json::String(path));
        }
        if let Some(transformer) = block.body.get_blocks("input_transformer").next() {
            let mut t = Map::new();
            match self.text_attr(f, &transformer.body, "input_template", instance) {
                Some(Ok(template)) => {
                    t.insert("InputTemplate".into(), Json::String(template.text));
                }
                Some(Err(e)) => self.report_event(found, e, &format!("{address}: input_template")),
                None => {}
            }
            match self.attr(f, &transformer.body, "input_paths", instance) {
                Some(Ok((Val::Obj(entries), _))) => {
                    let map = entries
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_json()))
                        .collect();
                    t.insert("InputPathsMap".into(), Json::Object(map));
                }
                Some(Ok((other, at))) => found.problems.push(Problem {
                    location: self.location(f, at),
                    code: "invalid-resource",
                    message: format!("{address}: input_paths is {}, not a map", other.kind()),
                    incomplete: false,
                    metric: None,
                    subject: Subject::EventRule,
                }),
                Some(Err(e)) => self.report_event(found, e, &format!("{address}: input_paths")),
                None => {}
            }
            out.insert("InputTransformer".into(), Json::Object(t));
        }
        match serde_json::from_value::<TargetDef>(Json::Object(out)) {
            Ok(target) => {
                if let Some(rule) = rules.get_mut(index) {
                    rule.found.rule.targets.push(target);
                }
            }
            Err(e) => found.problems.push(Problem {
                location: self.location(f, block_at),
                code: "invalid-resource",
                message: format!("{address}: {e}"),
                incomplete: false,
                metric: None,
                subject: Subject::EventRule,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = r#"
variable "topic" {
  default = "arn:aws:sns:us-east-1:111122223333:alerts"
}

resource "aws_cloudwatch_event_rule" "root" {
  name  = "root-activity"
  state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
  event_pattern = jsonencode({
    source        = ["aws.signin"]
    "detail-type" = ["AWS Console Sign In via CloudTrail"]
    detail = {
      userIdentity = { type = ["Root"] }
      n            = [{ numeric = [">", 1.5, "<=", 10] }]
    }
  })
}

resource "aws_cloudwatch_event_target" "root_sns" {
  rule = aws_cloudwatch_event_rule.root.name
  arn  = var.topic
  input_transformer {
    input_paths = {
      who = "$.detail.userIdentity.arn"
    }
    input_template = "\"<who> signed in\""
  }
}

resource "aws_cloudwatch_event_rule" "trail" {
  for_each   = toset(["a", "b"])
  is_enabled = false
  event_pattern = <<-EOT
    {"detail": {"eventName": ["StopLogging"]}}
  EOT
}

resource "aws_cloudwatch_event_target" "trail" {
  for_each = toset(["a", "b"])
  rule     = aws_cloudwatch_event_rule.trail[each.key].name
  arn      = aws_sns_topic.alerts.arn
}

resource "aws_cloudwatch_event_target" "by_name" {
  rule      = "root-activity"
  target_id = "second"
  arn       = "arn:aws:sqs:us-east-1:111122223333:q"
  input     = "{\"constant\": true}"
}

resource "aws_cloudwatch_event_target" "lost" {
  rule = "no-such-rule"
  arn  = "x"
}
"#;

    #[test]
    fn rules_targets_and_patterns() {
        let found = read_event_rules("main.tf", MAIN);
        assert_eq!(found.rules.len(), 3);
        let root = &found.rules[0];
        assert_eq!(root.logical_name, "aws_cloudwatch_event_rule.root");
        assert_eq!(root.rule.name, "root-activity");
        assert_eq!(
            root.rule.state,
            RuleState::EnabledWithAllCloudTrailManagementEvents
        );
        let pattern = root.rule.event_pattern.as_deref().unwrap();
        assert_eq!(
            pattern,
            r#"{"detail":{"n":[{"numeric":["\u003e",1.5,"\u003c=",10]}],"userIdentity":{"type":["Root"]}},"detail-type":["AWS Console Sign In via CloudTrail"],"source":["aws.signin"]}"#
        );
        let positions = root.pattern_positions.as_ref().unwrap();
        let at = positions.locate(pattern.find("Root").unwrap());
        assert_eq!((at.line, at.column), (13, 33));
        let targets = &root.rule.targets;
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].id, "root_sns");
        assert_eq!(targets[0].arn, "arn:aws:sns:us-east-1:111122223333:alerts");
        assert_eq!(
            targets[0]
                .input_transformer
                .as_ref()
                .unwrap()
                .input_template,
            "\"<who> signed in\""
        );
        assert_eq!(targets[1].id, "second");
        assert_eq!(targets[1].input.as_deref(), Some("{\"constant\": true}"));
        for (rule, key) in found.rules[1..].iter().zip(["a", "b"]) {
            assert_eq!(
                rule.logical_name,
                format!("aws_cloudwatch_event_rule.trail[\"{key}\"]")
            );
            assert_eq!(rule.rule.name, format!("trail-{key}"));
            assert_eq!(rule.rule.state, RuleState::Disabled);
            assert_eq!(
                rule.rule.event_pattern.as_deref(),
                Some(r#"{"detail": {"eventName": ["StopLogging"]}}"#)
            );
            assert_eq!(
                rule.rule.pattern_location.as_ref().map(|l| l.line),
                Some(34)
            );
            assert_eq!(rule.rule.targets.len(), 1);
            assert_eq!(rule.rule.targets[0].arn, "${aws_sns_topic.alerts.arn}");
        }
        let codes: Vec<_> = found
            .problems
            .iter()
            .map(|p| (p.code, p.location.line))
            .collect();
        assert_eq!(
            codes,
            [
                ("unresolved-reference", 41),
                ("unresolved-reference", 41),
                ("unresolved-reference", 52)
            ]
        );
    }

    #[test]
    fn targets_join_counted_rules_by_index_and_id() {
        let tf = r#"
resource "aws_cloudwatch_event_rule" "r" {
  count         = 2
  name          = "rule-${count.index}"
  event_pattern = jsonencode({ source = ["aws.s3"] })
}

resource "aws_cloudwatch_event_target" "t" {
  count = 2
  rule  = aws_cloudwatch_event_rule.r[count.index].id
  arn   = "arn:aws:sns:us-east-1:111122223333:t${count.index}"
}
"#;
        let found = read_event_rules("c.tf", tf);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let got: Vec<(&str, Vec<&str>)> = found
            .rules
            .iter()
            .map(|r| {
                (
                    r.rule.name.as_str(),
                    r.rule.targets.iter().map(|t| t.arn.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("rule-0", vec!["arn:aws:sns:us-east-1:111122223333:t0"]),
                ("rule-1", vec!["arn:aws:sns:us-east-1:111122223333:t1"]),
            ]
        );
        assert_eq!(found.rules[1].rule.targets[0].id, "t-1");
    }

    #[test]
    fn jsonencode_writes_what_terraform_writes() {
        let at = 0;
        let value = Val::Obj(vec![
            ("b".into(), Val::Num(2.0, SourceText::whole("2.0", 0))),
            ("a".into(), Val::Str(SourceText::whole("x<y & \"z\"", 0))),
            ("c".into(), Val::List(vec![Val::Null, Val::Bool(true)])),
            ("d".into(), Val::Num(1.25, SourceText::whole("1.25", 0))),
        ]);
        assert_eq!(
            json_encode(&value, at).text,
            r#"{"a":"x\u003cy \u0026 \"z\"","b":2,"c":[null,true],"d":1.25}"#
        );
    }

    #[test]
    fn generated_names_are_valid_rule_names() {
        assert_eq!(generated_name("trail[\"a b\"]"), "trail-a-b");
        assert_eq!(generated_name("x[0]"), "x-0");
        assert_eq!(generated_name(&"y".repeat(80)).len(), 64);
    }
}
