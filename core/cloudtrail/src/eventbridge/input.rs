//! What a target receives for a matching event: the event itself, a constant (`Input`), a part
//! of it (`InputPath`) or a text made from a template (`InputTransformer`).
//!
//! Sources:
//!
//! - [Amazon EventBridge input transformation](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html)
//!   (EventBridge User Guide): the JSON path syntax EventBridge supports (dot notation,
//!   dashes, underscores, alphanumeric characters, array indices, wildcards, forward slashes),
//!   the predefined variables, the examples (each is a test of this module), and the common
//!   issues: "for strings, quotes are required", "if you specify a variable to match a JSON path
//!   that doesn't exist in the event, that variable isn't created and won't appear in the
//!   output", "EventBridge doesn't escape values extracted by Input Path, when populating the
//!   Input Template";
//! - [InputTransformer](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html)
//!   and [Target](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html)
//!   (EventBridge API Reference): a template "surrounded by curly braces" is a JSON template, in
//!   which a placeholder cannot be an object key; at most 100 variables; `InputTemplate` up to
//!   8192 characters, `Input` up to 8192, `InputPath` up to 256; `Input`, `InputPath` and
//!   `InputTransformer` are mutually exclusive.
//!
//! How a variable is written into the template:
//!
//! - in a JSON template, outside a string, a variable is its JSON value (a string with its
//!   quotes: `"instance": <instance>` gives `"instance": "i-0123456789"`);
//! - inside a string of a JSON template, and anywhere in a template that is not JSON, a string
//!   variable is its characters, unescaped (so a value holding a quote breaks the JSON, as the
//!   guide warns), and any other value its JSON text.
//!
//! Decisions where the guide says nothing precise, taken here so that the target always gets
//! valid JSON from a valid JSON template: a variable whose path is not in the event ("isn't
//! created and won't appear") is written as `null` outside strings and as nothing inside them
//! and in text templates; the template's own text (spaces, line breaks) is kept as written
//! (the guide's examples keep `"instance" : …` with its space, though its "common issues" say
//! the JSON passed to the target is minified).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::raw::{self, Kind};

/// The most variables an `InputPathsMap` may hold.
pub const MAX_VARIABLES: usize = 100;
/// The longest `InputTemplate` and `Input`, in characters.
pub const MAX_TEMPLATE: usize = 8192;
/// The longest `InputPath` (and JSON path of `InputPathsMap`), in characters.
pub const MAX_PATH: usize = 256;

/// The predefined variables of a template.
pub const RESERVED: [&str; 5] = [
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
];

/// An `InputTransformer` as `PutTargets` takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InputTransformer {
    /// Variable name → JSON path into the event (`"instance": "$.detail.instance-id"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub input_paths_map: BTreeMap<String, String>,
    /// The template, with `<variable>` placeholders.
    pub input_template: String,
}

/// What the target's rule is, for the predefined variables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleContext<'a> {
    /// `<aws.events.rule-name>`.
    pub rule_name: &'a str,
    /// `<aws.events.rule-arn>`.
    pub rule_arn: &'a str,
    /// `<aws.events.event.ingestion-time>`: when EventBridge received the event (ISO 8601).
    pub ingestion_time: &'a str,
}

/// A JSON path of the syntax EventBridge supports: `$`, then `.name` (any characters but `.`,
/// `[` and `]`), `.*`, `[n]` or `[*]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    Wildcard,
}

impl JsonPath {
    /// Parses a path; an error says what is wrong with it.
    ///
    /// ```
    /// use trailmatch_cloudtrail::eventbridge::JsonPath;
    /// assert!(JsonPath::parse("$.detail.requestParameters.bucketName").is_ok());
    /// assert!(JsonPath::parse("$.resources[0]").is_ok());
    /// assert!(JsonPath::parse("$.detail['eventName']").is_err());
    /// ```
    pub fn parse(path: &str) -> Result<JsonPath, InputError> {
        let bad = |why: &str| {
            InputError::new(
                InputErrorKind::InvalidJsonPath,
                path,
                format!(
                    "{} is not a JSON path EventBridge supports: {why}",
                    raw::quote(path)
                ),
            )
        };
        if path.chars().count() > MAX_PATH {
            return Err(bad(&format!("longer than {MAX_PATH} characters")));
        }
        let Some(mut rest) = path.strip_prefix('$') else {
            return Err(bad("it must start with `$`"));
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[', ']']).unwrap_or(after.len());
                let name = after.get(..end).unwrap_or_default();
                let tail = after.get(end..).unwrap_or_default();
                if name.is_empty() {
                    return Err(bad("an empty name after `.`"));
                }
                steps.push(if name == "*" {
                    Step::Wildcard
                } else {
                    Step::Key(name.to_owned())
                });
                rest = tail;
            } else if let Some(after) = rest.strip_prefix('[') {
                let Some((inside, tail)) = after.split_once(']') else {
                    return Err(bad("an unclosed `[`"));
                };
                steps.push(if inside == "*" {
                    Step::Wildcard
                } else if !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_digit()) {
                    Step::Index(inside.parse().map_err(|_| bad("an index too large"))?)
                } else {
                    return Err(bad(
                        "brackets take an index or `*` (names use dot notation)",
                    ));
                });
                rest = tail;
            } else {
                return Err(bad("expected `.` or `[`"));
            }
        }
        Ok(JsonPath { steps })
    }

    /// The values the path selects in the JSON text `json`, in document order; one at most
    /// unless the path has a wildcard.
    fn select<'a>(&self, json: &'a RawValue) -> Vec<&'a RawValue> {
        let mut current = vec![json];
        for step in &self.steps {
            let mut next = Vec::new();
            for value in current {
                match (step, raw::kind(value)) {
                    (Step::Key(key), Kind::Object) => {
                        next.extend(raw::member(value.get(), key));
                    }
                    (Step::Index(i), Kind::Array) => {
                        next.extend(raw::items(value.get()).and_then(|v| v.get(*i).copied()));
                    }
                    (Step::Wildcard, Kind::Object) => next.extend(
                        raw::members(value.get())
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(_, v)| v),
                    ),
                    (Step::Wildcard, Kind::Array) => {
                        next.extend(raw::items(value.get()).unwrap_or_default());
                    }
                    _ => {}
                }
            }
            current = next;
        }
        current
    }

    fn has_wildcard(&self) -> bool {
        self.steps.contains(&Step::Wildcard)
    }

    /// What the path selects in the event's JSON text, as JSON text (a wildcard's matches as
    /// an array), or `None` when nothing is there.
    ///
    /// ```
    /// use trailmatch_cloudtrail::eventbridge::JsonPath;
    /// let event = r#"{"detail": {"n": 1.50, "tags": [{"k": "a"}, {"k": "b"}]}}"#;
    /// let get = |p: &str| JsonPath::parse(p).unwrap().extract(event).unwrap();
    /// assert_eq!(get("$.detail.n").as_deref(), Some("1.50"));
    /// assert_eq!(get("$.detail.tags[1].k").as_deref(), Some("\"b\""));
    /// assert_eq!(get("$.detail.tags[*].k").as_deref(), Some("[\"a\",\"b\"]"));
    /// assert_eq!(get("$.detail.missing"), None);
    /// ```
    pub fn extract(&self, json: &str) -> Result<Option<String>, InputError> {
        let value = parse_event(json)?;
        Ok(self.extract_raw(value).map(|v| v.json.into_owned()))
    }

    fn extract_raw<'a>(&self, event: &'a RawValue) -> Option<Variable<'a>> {
        let found = self.select(event);
        if self.has_wildcard() {
            if found.is_empty() {
                return None;
            }
            let texts: Vec<&str> = found.iter().map(|v| v.get()).collect();
            let json = format!("[{}]", texts.join(","));
            return Some(Variable {
                content: Cow::Owned(json.clone()),
                json: Cow::Owned(json),
            });
        }
        found.first().copied().map(Variable::of)
    }
}

/// A variable's value: as JSON, and as text inside a string.
#[derive(Clone, Debug)]
struct Variable<'a> {
    json: Cow<'a, str>,
    content: Cow<'a, str>,
}

impl<'a> Variable<'a> {
    fn of(value: &'a RawValue) -> Variable<'a> {
        let content = match raw::string(value) {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(value.get()),
        };
        Variable {
            json: Cow::Borrowed(value.get()),
            content,
        }
    }

    fn text(text: &str) -> Variable<'static> {
        Variable {
            json: Cow::Owned(raw::quote(text)),
            content: Cow::Owned(text.to_owned()),
        }
    }
}

fn parse_event(event: &str) -> Result<&RawValue, InputError> {
    serde_json::from_str::<&RawValue>(event).map_err(|e| {
        InputError::new(
            InputErrorKind::InvalidEvent,
            "",
            format!("the event is not JSON: {e}"),
        )
    })
}

impl InputTransformer {
    /// Checks the transformer as `PutTargets` would: at most [`MAX_VARIABLES`] variables, names of
    /// letters, digits, `_` and `-` that are not predefined, paths EventBridge supports, a
    /// template of 1 to [`MAX_TEMPLATE`] characters, and a JSON template that is JSON once its
    /// placeholders are filled in and uses no placeholder as a key.
    pub fn validate(&self) -> Result<(), InputError> {
        if self.input_paths_map.len() > MAX_VARIABLES {
            return Err(InputError::new(
                InputErrorKind::TooManyVariables,
                "InputPathsMap",
                format!(
                    "{} variables, at most {MAX_VARIABLES} are allowed",
                    self.input_paths_map.len()
                ),
            ));
        }
        for (name, path) in &self.input_paths_map {
            if RESERVED.contains(&name.as_str()) {
                return Err(InputError::new(
                    InputErrorKind::ReservedVariable,
                    format!("InputPathsMap.{name}"),
                    format!("{name} is a predefined variable and cannot be defined"),
                ));
            }
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
            if !valid {
                return Err(InputError::new(
                    InputErrorKind::InvalidVariableName,
                    format!("InputPathsMap.{name}"),
                    format!(
                        "variable {} must be letters, digits, `_` and `-`",
                        raw::quote(name)
                    ),
                ));
            }
            JsonPath::parse(path).map_err(|e| InputError {
                field: format!("InputPathsMap.{name}"),
                ..e
            })?;
        }
        let n = self.input_template.chars().count();
        if n == 0 || n > MAX_TEMPLATE {
            return Err(InputError::new(
                InputErrorKind::TooLong,
                "InputTemplate",
                format!("expected 1 to {MAX_TEMPLATE} characters, found {n}"),
            ));
        }
        if is_json_template(&self.input_template) {
            let filled = render(&self.input_template, |name| {
                self.is_variable(name).then_some(None)
            })?;
            serde_json::from_str::<&RawValue>(&filled).map_err(|e| {
                InputError::new(
                    InputErrorKind::InvalidTemplate,
                    "InputTemplate",
                    format!(
                        "a template in braces must be JSON once its placeholders are filled in: {e}"
                    ),
                )
            })?;
        }
        Ok(())
    }

    fn is_variable(&self, name: &str) -> bool {
        self.input_paths_map.contains_key(name) || RESERVED.contains(&name)
    }

    /// The text the target receives for `event` (the event's JSON text): the template with its
    /// placeholders filled in (see the [module](self)).
    pub fn apply(&self, event: &str, context: &RuleContext<'_>) -> Result<String, InputError> {
        self.validate()?;
        let root = parse_event(event)?;
        let mut values: BTreeMap<&str, Option<Variable<'_>>> = BTreeMap::new();
        for (name, path) in &self.input_paths_map {
            let path = JsonPath::parse(path)?;
            values.insert(name.as_str(), path.extract_raw(root));
        }
        let without_detail = event_without_detail(root);
        let reserved = |name: &str| match name {
            "aws.events.rule-arn" => Some(Variable::text(context.rule_arn)),
            "aws.events.rule-name" => Some(Variable::text(context.rule_name)),
            "aws.events.event.ingestion-time" => Some(Variable::text(context.ingestion_time)),
            "aws.events.event" => Some(Variable {
                json: Cow::Borrowed(without_detail.as_str()),
                content: Cow::Borrowed(without_detail.as_str()),
            }),
            "aws.events.event.json" => Some(Variable::of(root)),
            _ => None,
        };
        render(&self.input_template, |name| {
            if RESERVED.contains(&name) {
                Some(reserved(name))
            } else {
                values.get(name).cloned()
            }
        })
    }
}

/// The event without its `detail` member (`<aws.events.event>`), compact.
fn event_without_detail(event: &RawValue) -> String {
    let members = raw::members(event.get()).unwrap_or_default();
    let kept: Vec<String> = members
        .iter()
        .filter(|(k, _)| k != "detail")
        .map(|(k, v)| format!("{}:{}", raw::quote(k), v.get()))
        .collect();
    format!("{{{}}}", kept.join(","))
}

/// Whether a template is a JSON template: "surrounded by curly braces".
fn is_json_template(template: &str) -> bool {
    let t = template.trim();
    t.starts_with('{') && t.ends_with('}')
}

/// Fills in `template`'s placeholders. `lookup(name)` is `None` for a name that is no
/// variable (the `<…>` is then text), `Some(None)` for a variable without a value.
fn render<'v>(
    template: &str,
    lookup: impl Fn(&str) -> Option<Option<Variable<'v>>>,
) -> Result<String, InputError> {
    let json = is_json_template(template);
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        if json && in_string && c == '\\' {
            // An escape: the backslash and the character it escapes, as written.
            let escaped = rest.get(len..).and_then(|r| r.chars().next());
            let end = len + escaped.map_or(0, char::len_utf8);
            out.push_str(rest.get(..end).unwrap_or(rest));
            rest = rest.get(end..).unwrap_or_default();
            continue;
        }
        if json && c == '"' {
            in_string = !in_string;
        }
        if c == '<' {
            let after = rest.get(1..).unwrap_or_default();
            if let Some(close) = after.find('>') {
                let name = after.get(..close).unwrap_or_default();
                if let Some(value) = lookup(name) {
                    let tail = after.get(close + 1..).unwrap_or_default();
                    let key = if in_string {
                        tail.strip_prefix('"')
                            .is_some_and(|t| t.trim_start().starts_with(':'))
                    } else {
                        tail.trim_start().starts_with(':')
                    };
                    if json && key {
                        return Err(InputError::new(
                            InputErrorKind::InvalidTemplate,
                            "InputTemplate",
                            format!(
                                "<{name}> is used as an object key, which a JSON template does not allow"
                            ),
                        ));
                    }
                    match (value, json && !in_string) {
                        (Some(v), true) => out.push_str(&v.json),
                        (Some(v), false) => out.push_str(&v.content),
                        (None, true) => out.push_str("null"),
                        (None, false) => {}
                    }
                    rest = tail;
                    continue;
                }
            }
        }
        out.push(c);
        rest = rest.get(len..).unwrap_or_default();
    }
    Ok(out)
}

/// What a target receives for `event` (the event's JSON text, as [`wrap`](super::wrap) makes
/// it): the event itself without `Input`, `InputPath` or `InputTransformer`; the `Input`
/// constant; what `InputPath` selects (as JSON; an error when it selects nothing); or the
/// transformer's text.
pub fn target_input(
    target: &super::TargetDef,
    event: &str,
    context: &RuleContext<'_>,
) -> Result<String, InputError> {
    target.validate_input()?;
    if let Some(input) = &target.input {
        return Ok(input.clone());
    }
    if let Some(path) = &target.input_path {
        let path_text = path;
        let path = JsonPath::parse(path)?;
        return path.extract(event)?.ok_or_else(|| {
            InputError::new(
                InputErrorKind::PathNotFound,
                "InputPath",
                format!("{} selects nothing in the event", raw::quote(path_text)),
            )
        });
    }
    if let Some(transformer) = &target.input_transformer {
        return transformer.apply(event, context);
    }
    parse_event(event)?;
    Ok(event.to_owned())
}

/// What was wrong with a target's input settings or with applying them. The codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// A path EventBridge does not support: `$.detail['eventName']`, `detail.eventName`.
    InvalidJsonPath,
    /// `InputPath` selects nothing in the event: `$.detail.nothing`.
    PathNotFound,
    /// More than one of `Input`, `InputPath`, `InputTransformer`.
    ConflictingInputs,
    /// `Input` that is not JSON: `"Input": "hello"`.
    InvalidInput,
    /// More than 100 variables in `InputPathsMap`.
    TooManyVariables,
    /// A variable name with a character other than letters, digits, `_` and `-`: `"my var"`.
    InvalidVariableName,
    /// A variable named like a predefined one: `"aws.events.rule-name"`.
    ReservedVariable,
    /// A JSON template that is not JSON once filled in (`{"a": <v>,}`), or that uses a
    /// placeholder as a key (`{<v>: 1}`).
    InvalidTemplate,
    /// A text longer (or shorter) than allowed: an empty `InputTemplate`.
    TooLong,
    /// The event given is not JSON.
    InvalidEvent,
}

impl InputErrorKind {
    /// The stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            InputErrorKind::InvalidJsonPath => "invalid-json-path",
            InputErrorKind::PathNotFound => "path-not-found",
            InputErrorKind::ConflictingInputs => "conflicting-inputs",
            InputErrorKind::InvalidInput => "invalid-input",
            InputErrorKind::TooManyVariables => "too-many-variables",
            InputErrorKind::InvalidVariableName => "invalid-variable-name",
            InputErrorKind::ReservedVariable => "reserved-variable",
            InputErrorKind::InvalidTemplate => "invalid-template",
            InputErrorKind::TooLong => "too-long",
            InputErrorKind::InvalidEvent => "invalid-event",
        }
    }
}

/// A target input refused: what ([`InputErrorKind`]), which member (`InputTemplate`,
/// `InputPathsMap.instance`) or path, and why.
pub type InputError = crate::error::FieldError<InputErrorKind>;

impl crate::error::ErrorKind for InputErrorKind {
    fn code(self) -> &'static str {
        InputErrorKind::code(self)
    }
}

#[cfg(test)]
mod tests;
