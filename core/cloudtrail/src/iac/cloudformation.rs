//! CloudFormation templates, JSON or YAML: `AWS::Logs::MetricFilter` and
//! `AWS::CloudWatch::Alarm` resources, and `AWS::Events::Rule` ([`read_event_rules`]).
//!
//! Both forms are read with `saphyr-parser` (JSON is YAML 1.2), which gives every node its
//! position and keeps YAML tags, so the short forms (`!Ref`, `!Sub`, `!Join`, `!GetAtt`, …) and
//! the long forms (`{"Ref": …}`, `{"Fn::Sub": …}`) are both recognised. Intrinsic functions are
//! evaluated only as far as the template itself allows
//! ([intrinsic function reference](https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html)):
//!
//! - `Ref` to a parameter gives its `Default` (a `CommaDelimitedList` default is split on
//!   commas); `Ref` to an `AWS::Logs::MetricFilter` with a literal `FilterName` gives that name;
//! - `Fn::Sub` substitutes its own variables, then parameters with a default, and keeps
//!   `${!Literal}` as `${Literal}`;
//! - `Fn::Join`, `Fn::Select` and `Fn::FindInMap` (with its `DefaultValue` under the
//!   `AWS::LanguageExtensions` transform) work on values resolved that way.
//!
//! Pseudo parameters (`AWS::Region`, …), `Fn::GetAtt`, `Fn::If`, `Fn::ImportValue` and the
//! other functions, parameters without a default and YAML aliases are reported as problems at
//! their location.

mod events;

use std::collections::{BTreeMap, HashMap};

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};
use serde_json::{Map, Value as Json};

use super::text::{Escapes, LineIndex, SourceText, align};
use super::{
    CONDITIONAL_RESOURCE, DUPLICATE_KEY, FilterPositions, Found, FoundAlarm, NOT_CREATED, Problem,
    Subject,
};
use crate::rules::{MetricFilterDef, SourceLocation};
use trailmatch::MetricTransformation;

pub use events::read_event_rules;

/// The problem of a template that is not valid YAML (or JSON): at `at`, what the parser said.
pub(crate) fn syntax_problem(index: &LineIndex, file: &str, at: usize, message: String) -> Problem {
    Problem {
        location: index.location(file, at),
        code: "syntax",
        message,
        incomplete: true,
        metric: None,
        subject: Subject::File,
    }
}

/// Reads a CloudFormation template (JSON or YAML); `file` is the name locations are reported
/// with.
pub fn read(file: &str, text: &str) -> Found {
    let index = LineIndex::new(text);
    let mut found = Found::default();
    let (root, duplicates) = match parse_yaml(text) {
        Ok(parsed) => parsed,
        Err((at, message)) => {
            found
                .problems
                .push(syntax_problem(&index, file, at, message));
            return found;
        }
    };
    // About a template: another YAML file (a CI workflow) gets `not-a-template` alone.
    let is_template =
        root.get("Resources").is_some() || root.get("AWSTemplateFormatVersion").is_some();
    for d in duplicates.into_iter().filter(|_| is_template) {
        let later = index.location(file, d.later);
        found.problems.push(Problem {
            location: index.location(file, d.earlier),
            code: DUPLICATE_KEY,
            message: format!(
                "duplicate key '{}': CloudFormation keeps the later one (line {}, column {}), \
                 and this one is not read",
                d.key, later.line, later.column
            ),
            incomplete: false,
            metric: None,
            subject: Subject::File,
        });
    }
    let template = Template::new(file, text, &index, &root);
    template.read(&mut found);
    found
}

// ---- the YAML tree -----------------------------------------------------------------------------

/// A YAML node with its byte offsets in the file.
#[derive(Clone, Debug)]
enum Node {
    Scalar {
        value: String,
        style: ScalarStyle,
        tag: Option<String>,
        /// Where the node starts (its tag, if any).
        start: usize,
        /// Where its text starts and ends (inside quotes, after a block header).
        content: (usize, usize),
    },
    Seq {
        items: Vec<Node>,
        tag: Option<String>,
        start: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        tag: Option<String>,
        start: usize,
    },
    Alias {
        start: usize,
    },
}

impl Node {
    fn start(&self) -> usize {
        match self {
            Node::Scalar { start, .. }
            | Node::Seq { start, .. }
            | Node::Map { start, .. }
            | Node::Alias { start } => *start,
        }
    }

    /// The local tag's name (`Ref` for `!Ref`).
    fn tag(&self) -> Option<&str> {
        match self {
            Node::Scalar { tag, .. } | Node::Seq { tag, .. } | Node::Map { tag, .. } => {
                tag.as_deref()
            }
            Node::Alias { .. } => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar {
                value, tag: None, ..
            } => Some(value),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map { entries, .. } => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn entries(&self) -> &[(Node, Node)] {
        match self {
            Node::Map { entries, .. } => entries,
            _ => &[],
        }
    }
}

/// Character index → byte offset.
struct Chars(Vec<usize>);

impl Chars {
    fn new(text: &str) -> Chars {
        Chars(
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect(),
        )
    }

    fn byte(&self, char_index: usize) -> usize {
        self.0
            .get(char_index)
            .or_else(|| self.0.last())
            .copied()
            .unwrap_or(0)
    }
}

enum Open {
    Seq(Vec<Node>, Option<String>, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Option<String>, usize),
}

/// How deep collections may nest in a template (a CloudFormation template needs a dozen levels;
/// the parser itself refuses flow collections nested some 256 deep).
const MAX_NESTING: usize = 256;

/// A key given twice in one mapping: where each starts.
#[derive(Debug)]
struct Duplicate {
    key: String,
    earlier: usize,
    later: usize,
}

/// A template's text as the YAML parser reads it. JSON writes a character beyond the BMP in a
/// string as a UTF-16 surrogate pair (`\ud83d\udea8`, as Python's `json.dumps` does), which
/// YAML's `\u` cannot (a surrogate is no character): in a JSON text, each pair is given to the
/// parser as YAML's `\U0001f6a8`, two bytes shorter, and the parser's offsets are mapped back.
struct ForParser<'t> {
    text: std::borrow::Cow<'t, str>,
    /// Where each shortened escape ends in `text`, in order.
    shortened: Vec<usize>,
}

impl<'t> ForParser<'t> {
    fn of(text: &'t str) -> ForParser<'t> {
        let mut out = ForParser {
            text: std::borrow::Cow::Borrowed(text),
            shortened: Vec::new(),
        };
        // Only a text that is JSON (YAML's flow style also starts with `{`, and a `"` in its
        // single-quoted or plain scalars starts no string).
        let json = || {
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok()
        };
        if !text.contains("\\u") || !json() {
            return out;
        }
        let surrogate = |at: usize, range: std::ops::Range<u32>| {
            text.get(at..at + 6)
                .filter(|e| e.starts_with("\\u"))
                .and_then(|e| u32::from_str_radix(e.get(2..)?, 16).ok())
                .filter(|v| range.contains(v))
        };
        let mut new = String::with_capacity(text.len());
        let (mut copied, mut at, mut in_string) = (0, 0, false);
        let bytes = text.as_bytes();
        while let Some(&b) = bytes.get(at) {
            match b {
                b'"' => in_string = !in_string,
                b'\\' if in_string => {
                    let pair = surrogate(at, 0xD800..0xDC00).zip(surrogate(at + 6, 0xDC00..0xE000));
                    if let Some((high, low)) = pair {
                        let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        new.push_str(text.get(copied..at).unwrap_or_default());
                        new.push_str(&format!("\\U{c:08x}"));
                        out.shortened.push(new.len());
                        at += 12;
                        copied = at;
                        continue;
                    }
                    at += 1;
                }
                _ => {}
            }
            at += 1;
        }
        if !out.shortened.is_empty() {
            new.push_str(text.get(copied..).unwrap_or_default());
            out.text = std::borrow::Cow::Owned(new);
        }
        out
    }

    /// The offset in the template's text of `at`, an offset in the parser's.
    fn original(&self, at: usize) -> usize {
        at + 2 * self.shortened.partition_point(|&end| end <= at)
    }
}

/// Parses the first document into a tree, each mapping's keys once ([`last_wins`]), and the
/// keys dropped so; an error gives its byte offset and message.
fn parse_yaml(text: &str) -> Result<(Node, Vec<Duplicate>), (usize, String)> {
    let input = ForParser::of(text);
    let text = input.text.as_ref();
    let chars = Chars::new(text);
    // Offsets in the template's text.
    let byte = |index: usize| input.original(chars.byte(index));
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    let mut duplicates = Vec::new();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let at = byte(e.marker().index());
            (at, format!("invalid YAML or JSON: {}", e.info()))
        })?;
        let start = byte(span.start.index());
        let node = match event {
            Event::Scalar(value, style, _, tag) => {
                let tag = local_tag(tag.as_deref());
                let (from, to) = content_range(text, &chars, span, style, tag.is_some());
                let content = (input.original(from), input.original(to));
                Node::Scalar {
                    value: value.into_owned(),
                    style,
                    tag,
                    start,
                    content,
                }
            }
            Event::Alias(_) => Node::Alias { start },
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_NESTING => {
                // Block collections have no depth limit in the parser (flow ones do), and a tree
                // this deep would take the reader's stack.
                return Err((
                    start,
                    format!("the YAML nests more than {MAX_NESTING} collections deep"),
                ));
            }
            Event::SequenceStart(_, tag) => {
                stack.push(Open::Seq(Vec::new(), local_tag(tag.as_deref()), start));
                continue;
            }
            Event::MappingStart(_, tag) => {
                stack.push(Open::Map(
                    Vec::new(),
                    None,
                    local_tag(tag.as_deref()),
                    start,
                ));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Open::Seq(items, tag, start)) => Node::Seq { items, tag, start },
                _ => return Err((start, "unbalanced YAML sequence".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map(entries, _, tag, start)) => Node::Map {
                    entries: last_wins(entries, &mut duplicates),
                    tag,
                    start,
                },
                _ => return Err((start, "unbalanced YAML mapping".into())),
            },
            Event::DocumentEnd => {
                // A template is one document: a second one is an error, as it is to YAML
                // loaders that load one ("expected a single document in the stream"), not
                // silently left out.
                if let Some(Ok((Event::DocumentStart(_), span))) = parser.next_event() {
                    let at = byte(span.start.index());
                    return Err((
                        at,
                        "a second YAML document starts here: a template is one document".into(),
                    ));
                }
                break;
            }
            _ => continue,
        };
        match stack.last_mut() {
            Some(Open::Seq(items, ..)) => items.push(node),
            Some(Open::Map(entries, key, ..)) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
            None => root = Some(node),
        }
    }
    let root = root.ok_or((0, "the file holds no YAML or JSON document".into()))?;
    Ok((root, duplicates))
}

/// A mapping's entries with each key where it was last given. CloudFormation reads a template
/// with a key given twice (a copied resource, two `Properties`), JSON or YAML, and keeps the
/// later value, so an earlier one is never deployed; it goes to `duplicates` instead. Keys are
/// compared as plain strings (`Name` and `"Name"` are one key); other keys are kept.
fn last_wins(entries: Vec<(Node, Node)>, duplicates: &mut Vec<Duplicate>) -> Vec<(Node, Node)> {
    let mut last: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, (key, _)) in entries.iter().enumerate() {
        if let Some(k) = key.as_str() {
            last.insert(k, i);
        }
    }
    if last.len() == entries.iter().filter(|(k, _)| k.as_str().is_some()).count() {
        return entries;
    }
    let later: Vec<Option<usize>> = entries
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let l = *last.get(key.as_str()?)?;
            (l != i).then(|| entries.get(l).map_or(0, |(k, _)| k.start()))
        })
        .collect();
    entries
        .into_iter()
        .zip(later)
        .filter_map(|((key, value), later)| match later {
            Some(later) => {
                duplicates.push(Duplicate {
                    key: key.as_str().unwrap_or_default().to_owned(),
                    earlier: key.start(),
                    later,
                });
                None
            }
            None => Some((key, value)),
        })
        .collect()
}

fn local_tag(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
    tag.filter(|t| t.handle == "!").map(|t| t.suffix.clone())
}

/// Where a scalar's text starts and ends in the file: after its tag, opening quote or block
/// header line.
fn content_range(
    text: &str,
    chars: &Chars,
    span: YamlSpan,
    style: ScalarStyle,
    tagged: bool,
) -> (usize, usize) {
    let mut start = chars.byte(span.start.index());
    let end = chars.byte(span.end.index()).max(start);
    let rest = |at: usize| text.get(at..end).unwrap_or_default();
    if tagged && rest(start).starts_with('!') {
        let tag_len = rest(start)
            .find(char::is_whitespace)
            .unwrap_or(rest(start).len());
        start += tag_len;
        start += rest(start).len() - rest(start).trim_start().len();
    }
    match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => start += 1,
        // The span of an untagged block scalar starts at its text; a tagged one's at the tag,
        // then the header (`|`, `>-`, …) comes before the text.
        ScalarStyle::Literal | ScalarStyle::Folded if rest(start).starts_with(['|', '>']) => {
            start += rest(start).find('\n').map_or(0, |i| i + 1);
        }
        _ => {}
    }
    (start.min(end), end)
}

// ---- values ------------------------------------------------------------------------------------

/// A resolved value.
#[derive(Clone, Debug)]
enum Val {
    /// A scalar; `plain` when it was written without quotes (then `300` is a number).
    Scalar {
        text: SourceText,
        plain: bool,
    },
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
}

/// Why a value could not be resolved.
#[derive(Clone, Debug)]
struct Unresolved {
    at: usize,
    code: &'static str,
    message: String,
}

fn unresolved(at: usize, code: &'static str, message: String) -> Unresolved {
    Unresolved { at, code, message }
}

impl Val {
    fn into_text(self, at: usize, what: &str) -> Result<SourceText, Unresolved> {
        match self {
            Val::Scalar { text, .. } => Ok(text),
            _ => Err(unresolved(
                at,
                "invalid-resource",
                format!("{what} must be a string"),
            )),
        }
    }

    fn to_json(&self) -> Json {
        match self {
            Val::Scalar { text, plain: true } => plain_scalar(&text.text),
            Val::Scalar { text, .. } => Json::String(text.text.clone()),
            Val::List(items) => Json::Array(items.iter().map(Val::to_json).collect()),
            Val::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A plain YAML scalar under the core schema: null, a boolean, a number or a string.
fn plain_scalar(text: &str) -> Json {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Json::Null,
        "true" | "True" | "TRUE" => Json::Bool(true),
        "false" | "False" | "FALSE" => Json::Bool(false),
        _ => number_json(text).unwrap_or_else(|| Json::String(text.to_owned())),
    }
}

fn number_json(text: &str) -> Option<Json> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Json::from(i));
    }
    let v = trailmatch::number::parse(text)?;
    serde_json::Number::from_f64(v).map(Json::Number)
}

const INTRINSICS: &[&str] = &[
    "Ref",
    "Sub",
    "Join",
    "Select",
    "FindInMap",
    "GetAtt",
    "If",
    "ImportValue",
    "Base64",
    "Cidr",
    "GetAZs",
    "Split",
    "Transform",
    "ToJsonString",
    "Length",
    "And",
    "Equals",
    "Not",
    "Or",
    "Condition",
];

struct Template<'a> {
    file: &'a str,
    text: &'a str,
    index: &'a LineIndex<'a>,
    root: &'a Node,
    /// Every condition of the Conditions section, by name, evaluated once (the first time a
    /// resource asks): see [`Template::evaluate_conditions`].
    conditions: std::cell::OnceCell<HashMap<String, Result<bool, Unresolved>>>,
}

/// Resolving more than this many nested references means a cycle.
const MAX_DEPTH: usize = 32;

impl<'a> Template<'a> {
    fn new(file: &'a str, text: &'a str, index: &'a LineIndex<'a>, root: &'a Node) -> Self {
        Template {
            file,
            text,
            index,
            root,
            conditions: Default::default(),
        }
    }
}

impl Template<'_> {
    fn location(&self, at: usize) -> SourceLocation {
        self.index.location(self.file, at)
    }

    fn read(&self, found: &mut Found) {
        let is_template = self.root.get("Resources").is_some()
            || self.root.get("AWSTemplateFormatVersion").is_some();
        if !is_template {
            found.problem(
                self.location(self.root.start()),
                "not-a-template",
                "not a CloudFormation template: no Resources section".into(),
                Subject::File,
            );
            return;
        }
        let Some(resources) = self.root.get("Resources") else {
            return;
        };
        // An alias where a resource, its type or its properties belong: what it stands for is
        // not read, and said so (a missing FilterPattern would be a false error, a missing Type
        // a silence).
        let alias = |found: &mut Found, node: &Node, what: &str| {
            let Node::Alias { start } = node else {
                return false;
            };
            let message = format!("{what}: YAML aliases are not supported: not read");
            let e = unresolved(*start, "unsupported-expression", message);
            self.report(found, e, Subject::Filter, true);
            true
        };
        if alias(found, resources, "Resources") {
            return;
        }
        for (key, resource) in resources.entries() {
            let Some(name) = key.as_str() else { continue };
            // (A whole resource, or a type, aliased might be a filter or an alarm.)
            let typed = resource.get("Type");
            let aliased =
                [(Some(resource), ""), (typed, ".Type")]
                    .into_iter()
                    .any(|(node, part)| {
                        node.is_some_and(|node| alias(found, node, &format!("{name}{part}")))
                    });
            if aliased {
                continue;
            }
            if name.starts_with("Fn::ForEach::") {
                // AWS::LanguageExtensions' loop makes resources from a template of them: not
                // expanded here, so what it makes is not read, and said so.
                let e = unresolved(
                    key.start(),
                    "unsupported-intrinsic",
                    format!(
                        "{name}: Fn::ForEach is not expanded: the metric filters and alarms it \
                         makes are not read"
                    ),
                );
                self.report(found, e, Subject::Filter, true);
                continue;
            }
            let kind = resource.get("Type").and_then(Node::as_str);
            if !matches!(
                kind,
                Some("AWS::Logs::MetricFilter" | "AWS::CloudWatch::Alarm")
            ) {
                continue;
            }
            let subject = if kind == Some("AWS::Logs::MetricFilter") {
                Subject::Filter
            } else {
                Subject::Alarm
            };
            let (created, problem) = self.created(name, resource, subject);
            found.problems.extend(problem);
            if !created {
                continue;
            }
            let properties = resource.get("Properties");
            if properties.is_some_and(|p| alias(found, p, &format!("{name}.Properties"))) {
                continue;
            }
            match kind {
                Some("AWS::Logs::MetricFilter") => {
                    self.metric_filter(found, name, key.start(), properties);
                }
                _ => self.alarm(found, name, key.start(), properties),
            }
        }
    }

    fn report(&self, found: &mut Found, e: Unresolved, subject: Subject, incomplete: bool) {
        found.problems.push(Problem {
            location: self.location(e.at),
            code: e.code,
            message: e.message,
            incomplete,
            metric: None,
            subject,
        });
    }

    fn metric_filter(&self, found: &mut Found, name: &str, at: usize, properties: Option<&Node>) {
        let Some(pattern_node) = properties.and_then(|p| p.get("FilterPattern")) else {
            let e = unresolved(
                at,
                "invalid-resource",
                format!("metric filter {name} has no FilterPattern"),
            );
            return self.report(found, e, Subject::Filter, true);
        };
        let pattern = match self
            .eval(pattern_node, 0)
            .and_then(|v| v.into_text(pattern_node.start(), "FilterPattern"))
        {
            Ok(p) => p,
            Err(e) => {
                let e = Unresolved {
                    message: format!("metric filter {name}: FilterPattern: {}", e.message),
                    ..e
                };
                self.report(found, e, Subject::Filter, true);
                // The metric, when it can be read: no alarm on it, and the filter cannot
                // matter to `cis-check`.
                let metric = match properties.and_then(|p| p.get("MetricTransformations")) {
                    Some(Node::Seq { items, .. }) => items
                        .iter()
                        .find_map(|item| self.transformation(item).ok())
                        .map(|t| (t.metric_name, t.metric_namespace)),
                    _ => None,
                };
                if let Some(problem) = found.problems.last_mut() {
                    problem.metric = metric;
                }
                return;
            }
        };
        let text_of = |key: &str| -> Option<Result<String, Unresolved>> {
            let node = properties?.get(key)?;
            Some(
                self.eval(node, 0)
                    .and_then(|v| v.into_text(node.start(), key))
                    .map(|t| t.text),
            )
        };
        let filter_name = match text_of("FilterName") {
            Some(Ok(n)) => n,
            Some(Err(e)) => {
                self.report(found, e, Subject::Filter, false);
                name.to_owned()
            }
            None => name.to_owned(),
        };
        let log_group_name = match text_of("LogGroupName") {
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => {
                self.report(found, e, Subject::Filter, false);
                None
            }
            None => None,
        };
        let apply = properties
            .and_then(|p| p.get("ApplyOnTransformedLogs"))
            .and_then(|n| self.eval(n, 0).ok())
            .is_some_and(|v| v.to_json() == Json::Bool(true));
        let mut transformations = Vec::new();
        let mut transformation_at = None;
        match properties.and_then(|p| p.get("MetricTransformations")) {
            Some(node @ Node::Seq { items, .. }) => {
                for item in items {
                    transformation_at.get_or_insert(item.start());
                    if let Node::Alias { start } = item {
                        let e = unresolved(
                            *start,
                            "unsupported-expression",
                            format!(
                                "metric filter {name}: MetricTransformations: YAML aliases are \
                                 not supported"
                            ),
                        );
                        self.report(found, e, Subject::Filter, true);
                        continue;
                    }
                    match self.transformation(item) {
                        Ok(t) => transformations.push(t),
                        Err(e) => {
                            let e = Unresolved {
                                message: format!(
                                    "metric filter {name}: MetricTransformations: {}",
                                    e.message
                                ),
                                ..e
                            };
                            self.report(found, e, Subject::Filter, true);
                        }
                    }
                }
                if items.is_empty() {
                    transformation_at = Some(node.start());
                    // PutMetricFilter takes one transformation (`[]`: "Member must have length
                    // greater than or equal to 1").
                    let e = unresolved(
                        node.start(),
                        "invalid-resource",
                        format!(
                            "metric filter {name}: MetricTransformations is empty: \
                             PutMetricFilter takes one"
                        ),
                    );
                    self.report(found, e, Subject::Filter, true);
                }
            }
            Some(other) => {
                let e = unresolved(
                    other.start(),
                    "invalid-resource",
                    format!("metric filter {name}: MetricTransformations must be a list"),
                );
                self.report(found, e, Subject::Filter, true);
            }
            None => {
                let e = unresolved(
                    at,
                    "invalid-resource",
                    format!("metric filter {name} has no MetricTransformations"),
                );
                self.report(found, e, Subject::Filter, true);
            }
        }
        let filter = MetricFilterDef {
            filter_name,
            filter_pattern: pattern.text.clone(),
            log_group_name,
            metric_transformations: transformations,
            apply_on_transformed_logs: apply,
            creation_time: None,
            location: None,
        };
        let mut positions =
            FilterPositions::from_text(self.file, self.index, &pattern, pattern_node.start());
        positions.transformation = transformation_at.map(|a| self.location(a));
        if let Some(Node::Seq { items, .. }) =
            properties.and_then(|p| p.get("MetricTransformations"))
        {
            for key in [
                "MetricName",
                "MetricNamespace",
                "MetricValue",
                "DefaultValue",
                "Dimensions",
                "Unit",
            ] {
                if let Some(node) = items.first().and_then(|item| item.get(key)) {
                    positions
                        .members
                        .push((key.to_owned(), self.location(node.start())));
                }
            }
        }
        found.add_filter(filter, positions);
    }

    fn transformation(&self, item: &Node) -> Result<MetricTransformation, Unresolved> {
        let required = |key: &str| -> Result<String, Unresolved> {
            let node = item.get(key).ok_or_else(|| {
                unresolved(
                    item.start(),
                    "invalid-resource",
                    format!("{key} is missing"),
                )
            })?;
            Ok(self.eval(node, 0)?.into_text(node.start(), key)?.text)
        };
        let optional = |key: &str| -> Result<Option<String>, Unresolved> {
            match item.get(key) {
                Some(node) => Ok(Some(self.eval(node, 0)?.into_text(node.start(), key)?.text)),
                None => Ok(None),
            }
        };
        let default_value = match optional("DefaultValue")? {
            Some(text) => Some(trailmatch::number::parse(&text).ok_or_else(|| {
                unresolved(
                    item.get("DefaultValue").map_or(item.start(), Node::start),
                    "invalid-resource",
                    format!("DefaultValue '{text}' is not a number"),
                )
            })?),
            None => None,
        };
        let mut dimensions = BTreeMap::new();
        if let Some(node) = item.get("Dimensions") {
            match self.eval(node, 0)? {
                Val::List(items) => {
                    for d in items {
                        let (Some(k), Some(v)) = (field(&d, "Key"), field(&d, "Value")) else {
                            return Err(unresolved(
                                node.start(),
                                "invalid-resource",
                                "each of Dimensions needs a Key and a Value".into(),
                            ));
                        };
                        dimensions.insert(k, v);
                    }
                }
                _ => {
                    return Err(unresolved(
                        node.start(),
                        "invalid-resource",
                        "Dimensions must be a list".into(),
                    ));
                }
            }
        }
        Ok(MetricTransformation {
            metric_name: required("MetricName")?,
            metric_namespace: required("MetricNamespace")?,
            metric_value: required("MetricValue")?,
            default_value,
            dimensions,
            unit: optional("Unit")?,
        })
    }

    fn alarm(&self, found: &mut Found, name: &str, at: usize, properties: Option<&Node>) {
        let mut out = Map::new();
        for (key, value) in properties.map(Node::entries).unwrap_or_default() {
            let Some(key) = key.as_str() else { continue };
            if key == "Metrics" {
                found.problems.push(Problem {
                    location: self.location(value.start()),
                    code: "unsupported-property",
                    message: format!(
                        "alarm {name}: Metrics (metric math) is not read; the alarm is not attached to any filter"
                    ),
                    incomplete: true,
                    metric: None,
                    subject: Subject::Alarm,
                });
                continue;
            }
            if !crate::alarm::ALARM_PROPERTIES.contains(&key) {
                continue;
            }
            match self.eval(value, 0) {
                Ok(v) => {
                    out.insert(key.to_owned(), super::coerce(key, v.to_json()));
                }
                Err(e) => {
                    // What decides which filters the alarm watches: not knowing it, no filter
                    // is taken to be watched by it (`Found::alarms_of`), and a control not
                    // covered is undecided.
                    let incomplete =
                        matches!(key, "MetricName" | "Namespace" | "Unit" | "Dimensions");
                    if matches!(key, "Unit" | "Dimensions") {
                        out.insert(key.to_owned(), Json::Null);
                    }
                    let e = Unresolved {
                        message: format!("alarm {name}: {key}: {}", e.message),
                        ..e
                    };
                    self.report(found, e, Subject::Alarm, incomplete);
                }
            }
        }
        // Without `AlarmName` (or when it cannot be resolved) CloudFormation names the alarm
        // itself, from the stack name, the logical id and a suffix: the logical id stands for it.
        out.entry("AlarmName")
            .or_insert_with(|| Json::from(name.to_owned()));
        found.alarms.push(FoundAlarm {
            location: self.location(at),
            logical_name: name.to_owned(),
            properties: Json::Object(out),
        });
    }

    // ---- intrinsic functions -------------------------------------------------------------------

    fn eval(&self, node: &Node, depth: usize) -> Result<Val, Unresolved> {
        if depth > MAX_DEPTH {
            return Err(unresolved(
                node.start(),
                "unresolved-reference",
                "references nest too deep (a cycle?)".into(),
            ));
        }
        if let Some(tag) = node.tag() {
            return self.intrinsic(tag, node, node.start(), depth);
        }
        match node {
            Node::Scalar {
                value,
                style,
                content,
                start,
                ..
            } => {
                if value.contains("{{resolve:") {
                    return Err(unresolved(
                        *start,
                        "unresolved-reference",
                        "a dynamic reference ({{resolve:…}}): CloudFormation reads its value from \
                         Systems Manager or Secrets Manager when the stack is deployed"
                            .into(),
                    ));
                }
                let escapes = match style {
                    ScalarStyle::DoubleQuoted => Escapes::YamlDouble,
                    ScalarStyle::SingleQuoted => Escapes::YamlSingle,
                    _ => Escapes::None,
                };
                Ok(Val::Scalar {
                    text: align(value, self.text, content.0, content.1, escapes),
                    plain: *style == ScalarStyle::Plain,
                })
            }
            Node::Seq { items, .. } => Ok(Val::List(
                items
                    .iter()
                    .map(|i| self.eval(i, depth + 1))
                    .collect::<Result<_, _>>()?,
            )),
            Node::Map { entries, .. } => {
                if let [(key, arg)] = entries.as_slice() {
                    let function = key.as_str().and_then(|k| {
                        k.strip_prefix("Fn::")
                            .or((k == "Ref").then_some(k))
                            .filter(|f| INTRINSICS.contains(f) || k.starts_with("Fn::"))
                    });
                    if let Some(function) = function {
                        return self.intrinsic(function, arg, key.start(), depth);
                    }
                }
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = self
                        .eval(k, depth + 1)?
                        .into_text(k.start(), "a mapping key")?;
                    out.push((key.text, self.eval(v, depth + 1)?));
                }
                Ok(Val::Map(out))
            }
            Node::Alias { start } => Err(unresolved(
                *start,
                "unsupported-expression",
                "YAML aliases are not supported".into(),
            )),
        }
    }

    /// `function` applied to `arg` (for a short-form tag, `arg` is the tagged node itself).
    fn intrinsic(
        &self,
        function: &str,
        arg: &Node,
        at: usize,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let untagged = untag(arg);
        let items = || arguments(&untagged, function, at);
        match function {
            "Ref" => {
                let name = untagged
                    .as_str()
                    .ok_or_else(|| unresolved(at, "invalid-resource", "Ref takes a name".into()))?;
                self.reference(name, at, depth)
            }
            "Sub" => match &untagged {
                Node::Seq { items, .. } => match items.as_slice() {
                    [template, vars] => {
                        let text = self.eval(template, depth + 1)?.into_text(at, "Fn::Sub")?;
                        self.sub(&text, Some(vars), at, depth)
                    }
                    _ => Err(unresolved(
                        at,
                        "invalid-resource",
                        "Fn::Sub takes a string or [string, {variables}]".into(),
                    )),
                },
                other => {
                    let text = self.eval(other, depth + 1)?.into_text(at, "Fn::Sub")?;
                    self.sub(&text, None, at, depth)
                }
            },
            "Join" => {
                let [delimiter, list] = items()? else {
                    return Err(unresolved(
                        at,
                        "invalid-resource",
                        "Fn::Join takes [delimiter, [values]]".into(),
                    ));
                };
                let delimiter = self
                    .eval(delimiter, depth + 1)?
                    .into_text(at, "the delimiter")?;
                let Val::List(values) = self.eval(list, depth + 1)? else {
                    return Err(unresolved(
                        list.start(),
                        "invalid-resource",
                        "Fn::Join's values must be a list".into(),
                    ));
                };
                let mut out = SourceText::default();
                for (n, v) in values.into_iter().enumerate() {
                    if n > 0 {
                        out.push(&delimiter);
                    }
                    out.push(&v.into_text(list.start(), "each value of Fn::Join")?);
                }
                Ok(Val::Scalar {
                    text: out,
                    plain: false,
                })
            }
            "Select" => {
                let [index, list] = items()? else {
                    return Err(unresolved(
                        at,
                        "invalid-resource",
                        "Fn::Select takes [index, [values]]".into(),
                    ));
                };
                let index = self.eval(index, depth + 1)?.into_text(at, "the index")?;
                let Val::List(values) = self.eval(list, depth + 1)? else {
                    return Err(unresolved(
                        list.start(),
                        "invalid-resource",
                        "Fn::Select's values must be a list".into(),
                    ));
                };
                index
                    .text
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| values.into_iter().nth(i))
                    .ok_or_else(|| {
                        unresolved(
                            at,
                            "invalid-resource",
                            format!("Fn::Select: no value at index {}", index.text),
                        )
                    })
            }
            "FindInMap" => {
                let (map, first, second, default) = match items()? {
                    [map, first, second] => (map, first, second, None),
                    // AWS::LanguageExtensions: `[map, key, key, {DefaultValue: value}]`, the
                    // value when the keys find no entry.
                    [map, first, second, options] if self.language_extensions() => {
                        let default = untag(options).get("DefaultValue").cloned();
                        if default.is_none() {
                            return Err(unresolved(
                                options.start(),
                                "invalid-resource",
                                "Fn::FindInMap's fourth item is {DefaultValue: value}".into(),
                            ));
                        }
                        (map, first, second, default)
                    }
                    [_, _, _, options] => {
                        return Err(unresolved(
                            options.start(),
                            "invalid-resource",
                            "Fn::FindInMap takes a DefaultValue only in a template with \
                             Transform: AWS::LanguageExtensions"
                                .into(),
                        ));
                    }
                    _ => {
                        return Err(unresolved(
                            at,
                            "invalid-resource",
                            "Fn::FindInMap takes [map, key, key]".into(),
                        ));
                    }
                };
                let mut keys = Vec::new();
                for k in [map, first, second] {
                    keys.push(self.eval(k, depth + 1)?.into_text(k.start(), "a key")?.text);
                }
                let [map_name, keys @ ..] = keys.as_slice() else {
                    return Err(unresolved(at, "invalid-resource", "no map name".into()));
                };
                // The map must exist, with a DefaultValue too; its keys may not.
                let map = self
                    .root
                    .get("Mappings")
                    .ok_or_else(|| {
                        unresolved(at, "unresolved-reference", "no Mappings section".into())
                    })?
                    .get(map_name)
                    .ok_or_else(|| {
                        unresolved(
                            at,
                            "unresolved-reference",
                            format!("Fn::FindInMap: no map '{map_name}' in Mappings"),
                        )
                    })?;
                let found = keys.iter().try_fold(map, |node, key| {
                    node.get(key).ok_or_else(|| {
                        unresolved(
                            at,
                            "unresolved-reference",
                            format!("Fn::FindInMap: no entry '{key}' in Mappings"),
                        )
                    })
                });
                match (found, default) {
                    (Ok(node), _) => self.eval(node, depth + 1),
                    (Err(_), Some(default)) => self.eval(&default, depth + 1),
                    (Err(e), None) => Err(e),
                }
            }
            "GetAtt" => Err(unresolved(
                at,
                "unresolved-reference",
                format!(
                    "Fn::GetAtt {} is known only once the stack is deployed",
                    describe(&untagged)
                ),
            )),
            other => Err(unresolved(
                at,
                "unsupported-intrinsic",
                format!("Fn::{other} is not evaluated"),
            )),
        }
    }

    /// Whether resource `name` is created, by its `Condition` (if any) with the parameters'
    /// defaults, and the problem that says so: `not-created` when the condition is false (the
    /// resource is not read), `conditional-resource` when it cannot be told (read as if it
    /// held). The same for every reader of resources.
    fn created(&self, name: &str, resource: &Node, subject: Subject) -> (bool, Option<Problem>) {
        let Some(condition) = resource.get("Condition") else {
            return (true, None);
        };
        let label = condition.as_str().unwrap_or("?");
        let (created, code, message) = match self.resource_condition(condition) {
            Ok(true) => return (true, None),
            Ok(false) => (
                false,
                NOT_CREATED,
                format!(
                    "{name} is not created: its condition '{label}' is false with the \
                     parameters' defaults, so it is not read"
                ),
            ),
            Err(e) => (
                true,
                CONDITIONAL_RESOURCE,
                format!(
                    "{name} exists only when its condition '{label}' holds, which is not known \
                     ({}); it is read as if it did",
                    e.message
                ),
            ),
        };
        let problem = Problem {
            location: self.location(condition.start()),
            code,
            message,
            incomplete: false,
            metric: None,
            subject,
        };
        (created, Some(problem))
    }

    /// Whether a resource's `Condition` holds with the parameters' defaults.
    fn resource_condition(&self, condition: &Node) -> Result<bool, Unresolved> {
        let name = condition.as_str().ok_or_else(|| {
            unresolved(
                condition.start(),
                "invalid-resource",
                "a resource's Condition is a condition's name".into(),
            )
        })?;
        self.condition(name, condition.start())
    }

    /// The condition named `name` (of the Conditions section).
    fn condition(&self, name: &str, at: usize) -> Result<bool, Unresolved> {
        let conditions = self.conditions.get_or_init(|| self.evaluate_conditions());
        conditions.get(name).cloned().unwrap_or_else(|| {
            Err(unresolved(
                at,
                "unresolved-reference",
                format!("no condition named {name}"),
            ))
        })
    }

    /// Every condition of the Conditions section, each evaluated once, after the conditions it
    /// refers to (so that no evaluation goes through another). CloudFormation refuses a
    /// template whose conditions refer to each other in a cycle: then none is known, whatever
    /// a condition's other terms would decide.
    fn evaluate_conditions(&self) -> HashMap<String, Result<bool, Unresolved>> {
        let section = self.root.get("Conditions");
        let entries: Vec<(&str, &Node)> = section
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
            .collect();
        let index: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, i))
            .collect();
        // A reference to a condition the section does not hold: CloudFormation refuses the
        // template, as it refuses a cycle.
        let mut missing = None;
        let refers: Vec<Vec<usize>> = entries
            .iter()
            .map(|(_, node)| {
                let mut names = Vec::new();
                condition_references(node, &mut names);
                for name in &names {
                    if !index.contains_key(name) {
                        missing.get_or_insert(*name);
                    }
                }
                names.iter().filter_map(|n| index.get(n).copied()).collect()
            })
            .collect();
        // Depth first, without recursion: each condition after those it refers to.
        let (mut state, mut order, mut cyclic) = (vec![0u8; entries.len()], Vec::new(), false);
        for first in 0..entries.len() {
            if state.get(first) != Some(&0) {
                continue;
            }
            let mut stack = vec![(first, 0usize)];
            if let Some(s) = state.get_mut(first) {
                *s = 1;
            }
            while let Some((node, next)) = stack.last_mut() {
                let node = *node;
                match refers.get(node).and_then(|r| r.get(*next)).copied() {
                    Some(child) => {
                        *next += 1;
                        match state.get(child) {
                            Some(0) => {
                                if let Some(s) = state.get_mut(child) {
                                    *s = 1;
                                }
                                stack.push((child, 0));
                            }
                            Some(1) => cyclic = true,
                            _ => {}
                        }
                    }
                    None => {
                        if let Some(s) = state.get_mut(node) {
                            *s = 2;
                        }
                        order.push(node);
                        stack.pop();
                    }
                }
            }
        }
        let mut known: HashMap<String, Result<bool, Unresolved>> = HashMap::new();
        for i in order {
            let Some((name, node)) = entries.get(i) else {
                continue;
            };
            let refused = match missing {
                _ if cyclic => Some(
                    "the template's conditions refer to each other in a cycle, which \
                     CloudFormation refuses"
                        .to_owned(),
                ),
                Some(name) => Some(format!(
                    "a condition refers to {name}, which the Conditions section does not hold: \
                     CloudFormation refuses the template"
                )),
                None => None,
            };
            let value = if let Some(why) = refused {
                Err(unresolved(node.start(), "unresolved-reference", why))
            } else {
                self.truth_with(node, 0, &known)
            };
            known.insert((*name).to_owned(), value);
        }
        known
    }

    /// Whether a condition holds: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` or `Condition`
    /// (long or short form), on values resolved as [`Template::eval`] resolves them. `Fn::And`
    /// is false when one of its conditions is, whatever the others, and `Fn::Or` true when one
    /// is; otherwise a condition that cannot be told makes the whole one unknown (the error).
    fn truth_with(
        &self,
        node: &Node,
        depth: usize,
        known: &HashMap<String, Result<bool, Unresolved>>,
    ) -> Result<bool, Unresolved> {
        let at = node.start();
        if depth > MAX_DEPTH {
            return Err(unresolved(
                at,
                "unresolved-reference",
                format!("a condition nests more than {MAX_DEPTH} functions deep"),
            ));
        }
        let (function, arg) = condition_form(node).unwrap_or(("", node));
        let items = || arguments(arg, function, at);
        // Fn::And (`all`) or Fn::Or (`!all`) of 2 to 10 conditions.
        let combine = |all: bool| {
            let items = items()?;
            if !(2..=10).contains(&items.len()) {
                return Err(unresolved(
                    at,
                    "invalid-resource",
                    format!("Fn::{function} takes 2 to 10 conditions"),
                ));
            }
            let mut unknown = None;
            for item in items {
                match self.truth_with(item, depth + 1, known) {
                    Ok(holds) if holds != all => return Ok(!all),
                    Ok(_) => {}
                    Err(e) => unknown = unknown.or(Some(e)),
                }
            }
            unknown.map_or(Ok(all), Err)
        };
        match function {
            "Equals" => {
                let [a, b] = items()? else {
                    return Err(unresolved(
                        at,
                        "invalid-resource",
                        "Fn::Equals takes [value, value]".into(),
                    ));
                };
                let (a, b) = (self.eval(a, depth + 1)?, self.eval(b, depth + 1)?);
                Ok(match (a, b) {
                    (Val::Scalar { text: a, .. }, Val::Scalar { text: b, .. }) => a.text == b.text,
                    (a, b) => a.to_json() == b.to_json(),
                })
            }
            "And" => combine(true),
            "Or" => combine(false),
            "Not" => match items()? {
                [condition] => self
                    .truth_with(condition, depth + 1, known)
                    .map(|holds| !holds),
                _ => Err(unresolved(
                    at,
                    "invalid-resource",
                    "Fn::Not takes [condition]".into(),
                )),
            },
            "Condition" => {
                let Node::Scalar { value: name, .. } = arg else {
                    return Err(unresolved(
                        at,
                        "invalid-resource",
                        "Condition takes a name".into(),
                    ));
                };
                known.get(name).cloned().unwrap_or_else(|| {
                    Err(unresolved(
                        at,
                        "unresolved-reference",
                        format!("no condition named {name}"),
                    ))
                })
            }
            _ => Err(unresolved(
                at,
                "invalid-resource",
                "a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition".into(),
            )),
        }
    }

    /// Whether the template names the AWS::LanguageExtensions transform (alone or in a list).
    fn language_extensions(&self) -> bool {
        const NAME: &str = "AWS::LanguageExtensions";
        match self.root.get("Transform").map(untag) {
            Some(Node::Seq { items, .. }) => items.iter().any(|t| t.as_str() == Some(NAME)),
            Some(t) => t.as_str() == Some(NAME),
            None => false,
        }
    }

    /// `Ref name`: a parameter's default, or a metric filter's literal name.
    fn reference(&self, name: &str, at: usize, depth: usize) -> Result<Val, Unresolved> {
        if let Some(parameter) = self.root.get("Parameters").and_then(|p| p.get(name)) {
            let Some(default) = parameter.get("Default") else {
                return Err(unresolved(
                    at,
                    "unresolved-reference",
                    format!("parameter {name} has no Default, so its value is not in the template"),
                ));
            };
            let kind = parameter.get("Type").and_then(Node::as_str);
            if kind.is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value<")) {
                return Err(unresolved(
                    at,
                    "unresolved-reference",
                    format!(
                        "parameter {name} is read from Systems Manager Parameter Store when the \
                         stack is deployed: its Default is the name of the stored parameter, \
                         not its value"
                    ),
                ));
            }
            let value = self.eval(default, depth + 1)?;
            let list = parameter
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t == "CommaDelimitedList");
            return match value {
                Val::Scalar { text, .. } if list => Ok(Val::List(split_commas(&text))),
                v => Ok(v),
            };
        }
        if name.starts_with("AWS::") {
            return Err(unresolved(
                at,
                "unresolved-reference",
                format!("the pseudo parameter {name} is known only once the stack is deployed"),
            ));
        }
        if let Some(resource) = self.root.get("Resources").and_then(|r| r.get(name)) {
            let kind = resource.get("Type").and_then(Node::as_str);
            let filter_name = resource.get("Properties").and_then(|p| p.get("FilterName"));
            if let (Some("AWS::Logs::MetricFilter"), Some(n)) = (kind, filter_name) {
                return self.eval(n, depth + 1);
            }
            return Err(unresolved(
                at,
                "unresolved-reference",
                format!(
                    "Ref {name}: the resource's physical id is known only once the stack is deployed"
                ),
            ));
        }
        Err(unresolved(
            at,
            "unresolved-reference",
            format!("Ref {name}: no parameter or resource has this name"),
        ))
    }

    /// `Fn::Sub`: `${Name}` from `vars`, then parameters; `${!Literal}` stays `${Literal}`.
    fn sub(
        &self,
        template: &SourceText,
        vars: Option<&Node>,
        at: usize,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let t = &template.text;
        let mut out = SourceText::default();
        let mut i = 0;
        let piece = |from: usize, to: usize| SourceText {
            text: t.get(from..to).unwrap_or_default().to_owned(),
            at: template.at.get(from..to).unwrap_or_default().to_vec(),
        };
        while let Some(open) = t.get(i..).and_then(|s| s.find("${")).map(|o| o + i) {
            out.push(&piece(i, open));
            let Some(close) = t.get(open..).and_then(|s| s.find('}')).map(|c| c + open) else {
                i = open;
                break;
            };
            let name = t.get(open + 2..close).unwrap_or_default();
            let here = template.offset(open, at);
            if name.starts_with('!') {
                out.push(&piece(open, open + 2));
                out.push(&piece(open + 3, close + 1));
            } else {
                let name = name.trim();
                let value = match vars.and_then(|v| untag(v).get(name).cloned()) {
                    Some(node) => self.eval(&node, depth + 1)?,
                    None if name.contains('.') => {
                        return Err(unresolved(
                            here,
                            "unresolved-reference",
                            format!(
                                "${{{name}}} is an attribute known only once the stack is deployed"
                            ),
                        ));
                    }
                    None => self.reference(name, here, depth + 1)?,
                };
                out.push(&value.into_text(here, name)?);
            }
            i = close + 1;
        }
        out.push(&piece(i, t.len()));
        Ok(Val::Scalar {
            text: out,
            plain: false,
        })
    }
}

/// A condition's function and its argument, as CloudFormation takes them: a short form
/// (`!Equals [a, b]`, `!Condition name`: the node itself, whose tag the readers of its
/// argument pass over) or a long one (`{"Fn::Equals": [a, b]}`, `{"Condition": name}`).
fn condition_form(node: &Node) -> Option<(&str, &Node)> {
    if let Some(tag) = node.tag() {
        return Some((tag, node));
    }
    let Node::Map { entries, .. } = node else {
        return None;
    };
    let [(key, arg)] = entries.as_slice() else {
        return None;
    };
    match key.as_str()? {
        "Condition" => Some(("Condition", arg)),
        key => Some((key.strip_prefix("Fn::").filter(|f| *f != "Condition")?, arg)),
    }
}

/// The names of the conditions a condition refers to: its own `Condition`, and those of the
/// conditions `Fn::And`, `Fn::Or` and `Fn::Not` take (not what `Fn::Equals` compares).
fn condition_references<'n>(node: &'n Node, out: &mut Vec<&'n str>) {
    match condition_form(node) {
        Some(("Condition", Node::Scalar { value, .. })) => out.push(value),
        Some(("And" | "Or" | "Not", Node::Seq { items, .. })) => {
            for item in items {
                condition_references(item, out);
            }
        }
        _ => {}
    }
}

/// The list a function `Fn::{function}` (at `at`) takes as its argument.
fn arguments<'n>(arg: &'n Node, function: &str, at: usize) -> Result<&'n [Node], Unresolved> {
    match arg {
        Node::Seq { items, .. } => Ok(items.as_slice()),
        _ => Err(unresolved(
            at,
            "invalid-resource",
            format!("Fn::{function} takes a list"),
        )),
    }
}

/// The node without its short-form tag (the argument of `!Ref X` is the scalar `X`).
fn untag(node: &Node) -> Node {
    let mut node = node.clone();
    match &mut node {
        Node::Scalar { tag, .. } | Node::Seq { tag, .. } | Node::Map { tag, .. } => *tag = None,
        Node::Alias { .. } => {}
    }
    node
}

fn describe(node: &Node) -> String {
    match node {
        Node::Scalar { value, .. } => value.clone(),
        Node::Seq { items, .. } => items
            .iter()
            .filter_map(Node::as_str)
            .collect::<Vec<_>>()
            .join("."),
        _ => "…".into(),
    }
}

fn split_commas(text: &SourceText) -> Vec<Val> {
    let mut out = Vec::new();
    let mut from = 0;
    for (i, _) in text
        .text
        .match_indices(',')
        .chain(std::iter::once((text.text.len(), "")))
    {
        out.push(Val::Scalar {
            text: SourceText {
                text: text.text.get(from..i).unwrap_or_default().to_owned(),
                at: text.at.get(from..i).unwrap_or_default().to_vec(),
            },
            plain: false,
        });
        from = i + 1;
    }
    out
}

fn field(v: &Val, key: &str) -> Option<String> {
    match v {
        Val::Map(entries) => entries.iter().rev().find_map(|(k, v)| match v {
            Val::Scalar { text, .. } if k == key => Some(text.text.clone()),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each problem's code, line and whether it left rules out.
    fn codes(found: &Found) -> Vec<(&'static str, u32, bool)> {
        found
            .problems
            .iter()
            .map(|p| (p.code, p.location.line, p.incomplete))
            .collect()
    }

    #[test]
    fn short_and_long_forms_resolve_from_defaults() {
        let yaml = r#"
Parameters:
  Source:
    Type: String
    Default: kms.amazonaws.com
  Namespace:
    Type: String
    Default: CISBenchmark
Mappings:
  Names:
    cmk: {metric: DisableOrDeleteCMK}
Resources:
  Cmk:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref AWS::NoValueHere
      FilterPattern: !Sub '{ ($.eventSource = ${Source}) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }'
      MetricTransformations:
        - MetricName: !FindInMap [Names, cmk, metric]
          MetricNamespace: {"Ref": "Namespace"}
          MetricValue: 1
  CmkAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Join ["-", [cis, !Ref Namespace, cmk]]
      MetricName: !FindInMap [Names, cmk, metric]
      Namespace: !Ref Namespace
      Statistic: Sum
      Period: "300"
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      AlarmActions: [!GetAtt Topic.TopicArn]
"#;
        let found = read("t.yaml", yaml);
        assert_eq!(found.filters.len(), 1);
        let f = &found.filters[0];
        assert_eq!(
            f.filter_pattern,
            "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"
        );
        let t = &f.metric_transformations[0];
        assert_eq!(
            (
                t.metric_name.as_str(),
                t.metric_namespace.as_str(),
                t.metric_value.as_str()
            ),
            ("DisableOrDeleteCMK", "CISBenchmark", "1")
        );
        assert_eq!(f.location.as_ref().unwrap().line, 17);
        assert_eq!(f.location.as_ref().unwrap().column, 28);
        // The substituted text points at the parameter's default.
        let at = f.filter_pattern.find("kms").unwrap();
        let loc = found.positions[0].locate(at);
        assert_eq!((loc.line, loc.column), (5, 14));
        let alarm = &found.alarms[0];
        assert_eq!(alarm.properties["AlarmName"], "cis-CISBenchmark-cmk");
        assert_eq!(alarm.properties["Period"], 300);
        assert_eq!(alarm.metric(), Some(("DisableOrDeleteCMK", "CISBenchmark")));
        assert_eq!(found.alarms_of(0).len(), 1);
        assert_eq!(
            codes(&found),
            [
                ("unresolved-reference", 16, false),
                ("unresolved-reference", 33, false)
            ]
        );
    }

    #[test]
    fn json_templates_and_escapes() {
        let json = "{\"Resources\": {\"F\": {\"Type\": \"AWS::Logs::MetricFilter\", \"Properties\": {\n  \"FilterPattern\": \"{ $.errorMessage = \\\"Failed authentication\\\" && $.x = a:b }\",\n  \"MetricTransformations\": [{\"MetricName\": \"m\", \"MetricNamespace\": \"n\", \"MetricValue\": \"1\"}]}}}}";
        let found = read("t.json", json);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let f = &found.filters[0];
        let colon = f.filter_pattern.find("a:b").unwrap() + 1;
        let loc = found.positions[0].locate(colon);
        // Line 2: `  "FilterPattern": "{ $.errorMessage = \"Failed authentication\" && $.x = a:b }"`
        let line = json.lines().nth(1).unwrap();
        assert_eq!(loc.line, 2);
        assert_eq!(
            line.chars().nth(loc.column as usize - 1),
            Some(':'),
            "{loc}"
        );
        // JSON's surrogate pairs (json.dumps writes 🚨 so), before and inside the pattern, on
        // one line: read as the character, and the positions after them still exact.
        let dumped = r#"{"Description": "Alerts \ud83d\udea8", "Resources": {"F": {"Type": "AWS::Logs::MetricFilter", "Properties": {"FilterPattern": "{ $.a = \"\ud83d\udea8\" && $.x = a:b }", "MetricTransformations": [{"MetricName": "m", "MetricNamespace": "n", "MetricValue": "1"}]}}}}"#;
        let found = read("t.json", dumped);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let f = &found.filters[0];
        assert_eq!(f.filter_pattern, "{ $.a = \"\u{1f6a8}\" && $.x = a:b }");
        let colon = f.filter_pattern.find("a:b").unwrap() + 1;
        let loc = found.positions[0].locate(colon);
        assert_eq!(
            (loc.line, dumped.chars().nth(loc.column as usize - 1)),
            (1, Some(':')),
            "{loc}"
        );
        // YAML's flow style starts with `{` too: a `"` in a single-quoted scalar starts no
        // string, and `\u` there is no escape.
        let flow = r#"{Resources: {F: {Type: AWS::Logs::MetricFilter, Properties: {FilterPattern: '"\ud83d\udea8" x', MetricTransformations: [{MetricName: m, MetricNamespace: n, MetricValue: '1'}]}}}}"#;
        let found = read("t.yaml", flow);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(found.filters[0].filter_pattern, r#""\ud83d\udea8" x"#);
        // (A YAML text is read as YAML, whose `\u` is one character: a surrogate is an error.)
        let yaml = "Description: \"\\ud83d\\udea8\"\n";
        assert_eq!(read("t.yaml", yaml).problems[0].code, "syntax");
    }

    /// An alias where a resource, its type, its properties or a transformation belong is said
    /// not read (they gave false "no FilterPattern" and "MetricName is missing" errors, or
    /// nothing).
    #[test]
    fn aliases_in_resources_are_said_not_read() {
        let yaml = "Resources:\n  F:\n    Type: &t AWS::Logs::MetricFilter\n    Properties: &props\n      LogGroupName: lg\n      FilterPattern: x\n      MetricTransformations:\n        - &mt {MetricName: M, MetricNamespace: N, MetricValue: '1'}\n  G:\n    Type: AWS::Logs::MetricFilter\n    Properties: *props\n  H:\n    Type: *t\n    Properties: {FilterPattern: y, LogGroupName: lg, MetricTransformations: [*mt]}\n  I: *props\n  J:\n    Type: AWS::Logs::MetricFilter\n    Properties: {FilterPattern: z, LogGroupName: lg, MetricTransformations: [*mt]}\n";
        let found = read("t.yaml", yaml);
        let names: Vec<&str> = found
            .filters
            .iter()
            .map(|f| f.filter_name.as_str())
            .collect();
        assert_eq!(names, ["F", "J"]);
        // The properties of a resource of another type, aliased: nothing to say.
        let topics = "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties: &topic {TopicName: t}\n  B:\n    Type: AWS::SNS::Topic\n    Properties: *topic\n";
        assert!(read("s.yaml", topics).problems.is_empty());
        let said: Vec<(u32, String)> = found
            .problems
            .iter()
            .map(|p| (p.location.line, p.message.clone()))
            .collect();
        assert_eq!(
            said,
            [
                (
                    11,
                    "G.Properties: YAML aliases are not supported: not read".to_owned()
                ),
                (
                    13,
                    "H.Type: YAML aliases are not supported: not read".to_owned()
                ),
                (15, "I: YAML aliases are not supported: not read".to_owned()),
                (
                    18,
                    "metric filter J: MetricTransformations: YAML aliases are not supported"
                        .to_owned()
                ),
            ]
        );
        assert!(
            found
                .problems
                .iter()
                .all(|p| p.code == "unsupported-expression" && p.incomplete)
        );
    }

    /// `MetricTransformations: []` is refused, as PutMetricFilter refuses it.
    #[test]
    fn an_empty_transformation_list_is_an_error() {
        let yaml = "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      FilterPattern: x\n      LogGroupName: lg\n      MetricTransformations: []\n";
        let found = read("t.yaml", yaml);
        let p = &found.problems[0];
        assert_eq!(
            (p.code, p.location.line, p.location.column),
            ("invalid-resource", 7, 30)
        );
        assert_eq!(
            p.message,
            "metric filter F: MetricTransformations is empty: PutMetricFilter takes one"
        );
    }

    /// A resource loop of AWS::LanguageExtensions is not expanded, and said so: what it makes
    /// might be what covers a control.
    #[test]
    fn for_each_loops_are_said_not_read() {
        let yaml = "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Filters:\n    - Name\n    - [Trail]\n    - ${Name}Filter:\n        Type: AWS::Logs::MetricFilter\n        Properties: {FilterPattern: '{ $.a = b c }', LogGroupName: lg, MetricTransformations: [{MetricName: M, MetricNamespace: N, MetricValue: '1'}]}\n";
        let found = read("t.yaml", yaml);
        assert!(found.filters.is_empty());
        let p = &found.problems[0];
        assert_eq!(
            (p.code, p.incomplete, p.location.line),
            ("unsupported-intrinsic", true, 3)
        );
        assert!(
            p.message
                .starts_with("Fn::ForEach::Filters: Fn::ForEach is not expanded"),
            "{p:?}"
        );
    }

    #[test]
    fn unresolvable_patterns_are_problems_not_guesses() {
        let yaml = "Parameters:\n  P: {Type: String}\nResources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      FilterPattern: !Ref P\n      MetricTransformations: []\n";
        let found = read("t.yaml", yaml);
        assert!(found.filters.is_empty());
        let p = &found.problems[0];
        assert_eq!(
            (p.code, p.location.line, p.location.column),
            ("unresolved-reference", 7, 22)
        );
        assert!(p.incomplete);
        let broken = read("b.yaml", "Resources:\n  F: [\n");
        assert_eq!(broken.problems[0].code, "syntax");
        let other = read("x.yaml", "name: ci\non: push\n");
        assert_eq!(other.problems[0].code, "not-a-template");
    }

    /// Block collections nested past [`MAX_NESTING`] are refused where the nesting goes too
    /// deep (150,000 levels took the reader's stack), and a second YAML document is refused
    /// where it starts, not left out.
    #[test]
    fn deep_nesting_and_second_documents_are_syntax_errors() {
        let deep = format!("Resources:\n  X:\n    {}x\n", "- ".repeat(150_000));
        let found = read("deep.yaml", &deep);
        assert_eq!(found.problems.len(), 1);
        let problem = &found.problems[0];
        assert_eq!(problem.code, "syntax");
        assert!(problem.message.contains("more than 256"), "{problem}");
        assert_eq!((problem.location.line, problem.location.column), (3, 513));
        let nested = format!("Resources:\n  X:\n    {}x\n", "- ".repeat(MAX_NESTING - 2));
        assert!(read("ok.yaml", &nested).problems.is_empty());
        let two = "Resources: {}\n---\nResources:\n  F: {Type: AWS::Logs::MetricFilter}\n";
        let found = read("two.yaml", two);
        assert_eq!(found.problems[0].code, "syntax");
        assert_eq!(found.problems[0].location.line, 2);
        // Document markers around one document are fine.
        assert!(
            read("one.yaml", "---\nResources: {}\n...\n")
                .problems
                .is_empty()
        );
    }

    /// CloudFormation deploys the later of two equal keys (JSON or YAML): the earlier is not
    /// read, and a warning says so where it is.
    #[test]
    fn the_later_of_two_equal_keys_is_read() {
        let filter = |name: &str, pattern: &str| {
            format!(
                "  {name}:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: trail\n      FilterPattern: '{pattern}'\n      MetricTransformations: [{{MetricName: m, MetricNamespace: n, MetricValue: '1'}}]\n"
            )
        };
        let yaml = format!(
            "Resources:\n{}{}{}",
            filter("Root", "{ $.a = "),
            filter("Other", "{ $.b = 2 }"),
            filter("\"Root\"", "{ $.a = 1 }")
        );
        let found = read("t.yaml", &yaml);
        let patterns: Vec<&str> = found
            .filters
            .iter()
            .map(|f| &f.filter_pattern[..])
            .collect();
        assert_eq!(patterns, ["{ $.b = 2 }", "{ $.a = 1 }"]);
        assert_eq!(codes(&found), [(DUPLICATE_KEY, 2, false)]);
        assert!(
            found.problems[0].message.contains("'Root'")
                && found.problems[0].message.contains("(line 14, column 3)"),
            "{}",
            found.problems[0]
        );
        let json = r#"{"Resources": {"F": {"Type": "AWS::Logs::MetricFilter", "Properties": {
            "FilterPattern": "{ $.a = ", "LogGroupName": "t", "FilterPattern": "{ $.a = 1 }",
            "MetricTransformations": [{"MetricName": "m", "MetricNamespace": "n", "MetricValue": "1"}]}}}}"#;
        let found = read("t.json", json);
        assert_eq!(found.filters.len(), 1);
        assert_eq!(found.filters[0].filter_pattern, "{ $.a = 1 }");
        assert_eq!(codes(&found), [(DUPLICATE_KEY, 2, false)]);
        assert_eq!(found.problems[0].location.column, 13);
        // The EventBridge reader reads the same keys and leaves the warning to this one.
        let rules = read_event_rules("t.json", json);
        assert!(rules.problems.is_empty() && rules.rules.is_empty());
        // Another YAML file is not a template, whatever its keys.
        let found = read(
            "compose.yml",
            "services: {}
services: {}
",
        );
        assert_eq!(codes(&found), [("not-a-template", 1, false)]);
    }

    /// With AWS::LanguageExtensions, Fn::FindInMap's DefaultValue is the value when the keys
    /// find no entry (the map itself must exist); without the transform it is refused.
    #[test]
    fn find_in_map_default_values() {
        let template = |transform: &str, keys: &str| {
            format!(
                "{transform}Mappings:\n  Patterns:\n    Root:\n      Pattern: '{{ $.a = 1 }}'\nResources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: trail\n      FilterPattern: !FindInMap [{keys}, {{DefaultValue: '{{ $.b = 2 }}'}}]\n      MetricTransformations: [{{MetricName: m, MetricNamespace: n, MetricValue: '1'}}]\n"
            )
        };
        let pattern = |transform: &str, keys: &str| {
            let found = read("t.yaml", &template(transform, keys));
            found
                .filters
                .first()
                .map(|f| f.filter_pattern.clone())
                .ok_or_else(|| codes(&found))
        };
        let transform = "Transform: AWS::LanguageExtensions\n";
        let listed = "Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\n";
        assert_eq!(
            pattern(transform, "Patterns, Root, Pattern").unwrap(),
            "{ $.a = 1 }"
        );
        assert_eq!(
            pattern(transform, "Patterns, Other, Pattern").unwrap(),
            "{ $.b = 2 }"
        );
        assert_eq!(
            pattern(listed, "Patterns, Root, Other").unwrap(),
            "{ $.b = 2 }"
        );
        assert_eq!(
            pattern(transform, "Missing, Root, Pattern").unwrap_err(),
            [("unresolved-reference", 11, true)]
        );
        assert_eq!(
            pattern("", "Patterns, Root, Pattern").unwrap_err(),
            [("invalid-resource", 10, true)]
        );
    }

    /// A resource whose condition is false with the parameters' defaults is not created, so not
    /// read; one whose condition cannot be told is read as if it held.
    #[test]
    fn resource_conditions_are_evaluated_from_defaults() {
        let yaml = |condition: &str| {
            format!(
                "Parameters:\n  Create:\n    Type: String\n    Default: 'false'\n  Env:\n    Type: String\n    Default: prod\n  Bucket:\n    Type: String\nConditions:\n  Creating: !Equals [!Ref Create, 'true']\n  Prod: {{\"Fn::Equals\": [{{Ref: Env}}, prod]}}\n  Tested: {condition}\nResources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Condition: Tested\n    Properties:\n      LogGroupName: trail\n      FilterPattern: '{{ $.a = 1 }}'\n      MetricTransformations: [{{MetricName: m, MetricNamespace: n, MetricValue: '1'}}]\n  R:\n    Type: AWS::Events::Rule\n    Condition: Tested\n    Properties:\n      EventPattern: {{source: [aws.s3]}}\n"
            )
        };
        let read_with = |condition: &str| {
            let text = yaml(condition);
            (read("t.yaml", &text), read_event_rules("t.yaml", &text))
        };
        for (condition, created) in [
            ("!Condition Prod", true),
            ("!Condition Creating", false),
            ("!Not [!Condition Creating]", true),
            ("!And [!Condition Prod, !Condition Creating]", false),
            ("!Or [!Condition Creating, !Condition Prod]", true),
            ("{\"Fn::Not\": [{Condition: Prod}]}", false),
            ("!Equals [!Ref Env, !Join ['', [pr, od]]]", true),
            // One false condition decides Fn::And, one true Fn::Or, whatever the others.
            (
                "!And [!Condition Creating, !Equals [!Ref AWS::Region, us-east-1]]",
                false,
            ),
            ("!Or [!Equals [!Ref Bucket, x], !Condition Prod]", true),
            // A map key named Condition inside a value is not a reference.
            (
                "!Equals [!Sub ['${Condition}', {Condition: Tested}], Tested]",
                true,
            ),
            ("!Equals [{Condition: Tested}, {Condition: Other}]", false),
        ] {
            let (found, rules) = read_with(condition);
            assert_eq!(found.filters.len(), usize::from(created), "{condition}");
            assert_eq!(rules.rules.len(), usize::from(created), "{condition}");
            if created {
                assert!(
                    found.problems.is_empty(),
                    "{condition}: {:?}",
                    found.problems
                );
            } else {
                assert_eq!(codes(&found), [(NOT_CREATED, 17, false)], "{condition}");
                assert_eq!(rules.problems[0].code, NOT_CREATED);
                assert!(
                    found.problems[0]
                        .message
                        .contains("condition 'Tested' is false")
                );
            }
        }
        // Unknown: a pseudo parameter, a parameter without a default, a missing condition, a
        // cycle, forms CloudFormation refuses.
        for condition in [
            "!Equals [!Ref AWS::Region, us-east-1]",
            "!Or [!Condition Creating, !Equals [!Ref Bucket, x]]",
            "!Condition Missing",
            "!Condition Tested",
            "!And [!Condition Prod]",
            // CloudFormation refuses a reference to a condition it does not hold, whatever
            // the other terms decide.
            "!And [!Condition Missing, !Equals [a, b]]",
            "{Equals: [a, a]}",
            "{\"Fn::Condition\": Prod}",
        ] {
            let (found, rules) = read_with(condition);
            assert_eq!(found.filters.len(), 1, "{condition}");
            assert_eq!(rules.rules.len(), 1, "{condition}");
            assert_eq!(
                codes(&found),
                [("conditional-resource", 17, false)],
                "{condition}"
            );
            assert!(
                found.problems[0].message.contains("not known"),
                "{condition}"
            );
        }
        // Functions nested past MAX_DEPTH inside one condition: unknown, and said so.
        let deep = format!("{}!Equals [a, b]{}", "!Not [".repeat(40), "]".repeat(40));
        let (found, _) = read_with(&deep);
        assert_eq!(found.filters.len(), 1);
        assert!(
            found.problems[0]
                .message
                .contains("nests more than 32 functions deep"),
            "{}",
            found.problems[0]
        );
        // Conditions are evaluated once each: a long chain, and ten levels of ten references
        // each, take no time and are told.
        let chain = |n: usize, link: &dyn Fn(usize) -> String| {
            let mut conditions = "  C0: !Equals [a, b]\n".to_owned();
            for i in 1..=n {
                conditions.push_str(&format!("  C{i}: {}\n", link(i)));
            }
            format!(
                "Conditions:\n{conditions}Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Condition: C{n}\n    Properties: {{}}\n"
            )
        };
        let long = chain(100, &|i| format!("!Not [!Not [!Condition C{}]]", i - 1));
        assert_eq!(read("t.yaml", &long).problems[0].code, NOT_CREATED);
        // 10,000 links are told one at a time, in the order written or the other way round.
        let ordered = chain(10_000, &|i| format!("!Condition C{}", i - 1));
        assert_eq!(read("t.yaml", &ordered).problems[0].code, NOT_CREATED);
        let reversed = format!(
            "Conditions:\n{}  C0: !Equals [a, b]\nResources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Condition: C10000\n    Properties: {{}}\n",
            (1..=10_000)
                .rev()
                .map(|i| format!("  C{i}: !Condition C{}\n", i - 1))
                .collect::<String>()
        );
        assert_eq!(read("t.yaml", &reversed).problems[0].code, NOT_CREATED);
        // A cycle anywhere makes every condition unknown, whichever resource asks first.
        for order in [["FA", "FB"], ["FB", "FA"]] {
            let resource = |name: &str| {
                format!(
                    "  {name}:\n    Type: AWS::Logs::MetricFilter\n    Condition: {}\n    Properties: {{}}\n",
                    &name[1..]
                )
            };
            // B's first term decides it, and A's second term decides A: the cycle is still one.
            let yaml = format!(
                "Conditions:\n  A: !Not [!Condition B]\n  B: !Or [!Equals [a, a], !Condition A]\n  C: !Equals [a, b]\nResources:\n{}{}",
                resource(order[0]),
                resource(order[1])
            );
            let found = read("t.yaml", &yaml);
            let codes: Vec<&str> = found.problems.iter().map(|p| p.code).collect();
            // (Each resource is also invalid: it has no properties.)
            assert_eq!(
                codes,
                [CONDITIONAL_RESOURCE, "invalid-resource"].repeat(2),
                "{order:?}"
            );
            assert!(found.problems[0].message.contains("cycle"));
        }
        let wide = chain(10, &|i| {
            let refs = vec![format!("!Condition C{}", i - 1); 10].join(", ");
            format!("!Or [{refs}]")
        });
        assert_eq!(read("t.yaml", &wide).problems[0].code, NOT_CREATED);
    }

    /// Values CloudFormation reads from Systems Manager at deploy time are unresolved, not
    /// patterns: a dynamic reference, and a parameter of an SSM parameter type (whose default
    /// is the stored parameter's name).
    #[test]
    fn values_from_systems_manager_are_unresolved() {
        let yaml = "Parameters:\n  P:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /cis/root\nResources:\n  A:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      FilterPattern: !Ref P\n      MetricTransformations: [{MetricName: m, MetricNamespace: n, MetricValue: '1'}]\n  B:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      FilterPattern: '{{resolve:ssm:/cis/root}}'\n      MetricTransformations: [{MetricName: m, MetricNamespace: n, MetricValue: '1'}]\n";
        let found = read("t.yaml", yaml);
        assert!(found.filters.is_empty());
        assert_eq!(
            codes(&found),
            [
                ("unresolved-reference", 9, true),
                ("unresolved-reference", 14, true)
            ]
        );
        assert!(found.problems[0].message.contains("Parameter Store"));
        assert!(found.problems[1].message.contains("dynamic reference"));
        // The metric is known: a filter no alarm watches covers nothing.
        assert_eq!(found.problems[0].metric, Some(("m".into(), "n".into())));
    }
}
