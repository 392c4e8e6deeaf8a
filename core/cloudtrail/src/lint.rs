//! `trailmatch lint`: every filter pattern and metric transformation found in templates,
//! Terraform, rules files or pattern lists, validated as `PutMetricFilter` validates them, and
//! every EventBridge rule's event pattern as `PutRule` validates it ([`lint_event_rules`]), with
//! the file, line and column of the offending character, plus warnings for patterns that are
//! valid but almost certainly wrong.
//!
//! Errors are the [`Error`]s of [`Pattern::new`] and [`MetricFilter::from_transformations`],
//! and the problems a reader met that make a file or a filter unusable. Warnings:
//!
//! | code | what |
//! |---|---|
//! | `hyphenated-term` | an unquoted `-` inside a word starts an excluded term: `request-id` is `request -id` (SYNTAX.md 2.5, `Dialect::split_hyphenated_terms`) |
//! | `ignored-optional-term` | `?term` mixed with other terms is ignored (SYNTAX.md 2.3) |
//! | `never-true` | conditions on one selector that no value satisfies together (`= x && != x`, `> 5 && < 3`, two different constants), or a pattern that can never match |
//! | `unused-metric-value` | `metricValue` reads a field the pattern never mentions, so matching events without it add no datapoint |
//! | `unused-dimension` | the same for a dimension's value |
//! | `unresolved-reference`, `unsupported-intrinsic`, `unsupported-expression`, `not-a-template` | a reader could not resolve a pattern or a transformation, so it was not checked |
//! | `unsupported-file` | a file of a kind no reader reads (Terraform's JSON syntax, `.tf.json`), so what it holds was not checked |
//! | `not-created` | a CloudFormation resource whose `Condition` is false with the parameters' defaults: not created, so not read |
//! | `duplicate-key` | a CloudFormation mapping gives one key twice (two resources of one logical ID, a property twice): CloudFormation keeps the later, so the earlier is not read |

use std::fmt;

use serde::Serialize;

use trailmatch::analysis::{pattern_warnings, transformation_warnings};

use crate::boundary;
use trailmatch::error::Snippet;
use trailmatch::{Error, EventPattern, MetricFilter, Origin, Pattern};

use crate::iac::{FilterPositions, Found, FoundEventRules, Subject};
use crate::rules::SourceLocation;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The pattern or transformation is invalid, or the file cannot be read: AWS would reject it.
    Error,
    /// Valid, but almost certainly not what was meant; or not checked.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable kebab-case code: an [`Error::code`] or one of the warning codes above.
    pub code: String,
    /// The one-line message.
    pub message: String,
    /// Where: the file, and the line and column of the offending character.
    #[serde(flatten)]
    pub location: SourceLocation,
    /// The filter it is about, when it is about one.
    pub filter: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// The offending text with a caret line under it, as [`Error`]'s `Display` renders it
    /// (without its first line); empty when there is no text to show.
    #[serde(skip)]
    pub snippet: String,
}

impl fmt::Display for Diagnostic {
    /// `path:line:column: severity[code]: message`, then the snippet.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message is one line: a line feed or escape sequence from the file is escaped.
        write!(
            f,
            "{}: {}[{}]: {}",
            boundary::terminal(&self.location.to_string()),
            self.severity.as_str(),
            self.code,
            boundary::terminal(&self.message)
        )?;
        if !self.snippet.is_empty() {
            write!(f, "\n{}", boundary::terminal_lines(&self.snippet))?;
        }
        Ok(())
    }
}

/// Lints everything `found` holds: each filter's pattern and transformation, and the problems
/// its readers met about files and filters. Findings come in file, line and column order.
///
/// ```
/// use trailmatch_cloudtrail::iac;
/// use trailmatch_cloudtrail::lint::{lint, Severity};
///
/// let found = iac::patterns::read("p.txt", "{ $.eventName = ConsoleLogin }\n?Status: timeout\n");
/// let findings = lint(&found);
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].severity, Severity::Error);
/// assert_eq!(
///     findings[0].to_string().lines().next(),
///     Some("p.txt:2:8: error[invalid-character]: Invalid character(s) in term ':'")
/// );
/// ```
pub fn lint(found: &Found) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for problem in &found.problems {
        if problem.subject == Subject::Alarm
            || problem.code == crate::iac::CONDITIONAL_RESOURCE
            || problem.code == crate::iac::EVENT_RULES_FILE
        {
            continue;
        }
        let severity = match problem.code {
            "syntax" | "unreadable" | "not-a-file" | "invalid-resource" => Severity::Error,
            crate::iac::UNKNOWN_ARGUMENT | crate::iac::MISSING_ARGUMENT => Severity::Error,
            _ => Severity::Warning,
        };
        out.push(from_problem(problem, severity));
    }
    for (i, filter) in found.filters.iter().enumerate() {
        let fallback = FilterPositions::verbatim(
            &filter.location.clone().unwrap_or_default(),
            &filter.filter_pattern,
        );
        let positions = found.positions_of(i).unwrap_or(&fallback);
        // Where the value of transformation member `member` is written, when the reader knows;
        // else `at`.
        let member_at = |member: &str, at: &SourceLocation| {
            positions
                .members
                .iter()
                .find(|(key, _)| key == member)
                .map_or_else(|| at.clone(), |(_, location)| location.clone())
        };
        let name = Some(filter.filter_name.clone());
        let text = &filter.filter_pattern;
        let pattern = match Pattern::new(text) {
            Ok(p) => p,
            Err(e) => {
                out.push(from_error(&e, positions.locate(e.span().start), name));
                continue;
            }
        };
        for w in pattern_warnings(&pattern) {
            out.push(Diagnostic {
                severity: Severity::Warning,
                code: w.code.to_owned(),
                message: w.message.clone(),
                location: positions.locate(w.span.start),
                filter: name.clone(),
                help: w.help.clone(),
                snippet: Snippet::new("filterPattern", text, w.span, w.help.as_deref()).to_string(),
            });
        }
        if filter.metric_transformations.is_empty() {
            continue; // a pattern list, or a transformation a reader already reported
        }
        let at = positions
            .transformation
            .clone()
            .or_else(|| filter.location.clone())
            .unwrap_or_default();
        if let Err(e) = MetricFilter::from_transformations(
            pattern.clone(),
            filter.metric_transformations.clone(),
        ) {
            // At the member's value when the reader knows where it is: the member the error
            // names (a name or namespace with `:`, a unit), else the one its code is about.
            let member = match (e.origin(), e.code()) {
                (Origin::MetricName, _) => "MetricName",
                (Origin::MetricNamespace, _) => "MetricNamespace",
                (Origin::Unit, _) | (_, "invalid-unit") => "Unit",
                (Origin::DefaultValue, _) | (_, "invalid-default-value") => "DefaultValue",
                (Origin::MetricValue, _)
                | (_, "invalid-metric-value" | "invalid-field-reference") => "MetricValue",
                (Origin::Dimensions, _)
                | (_, "invalid-dimension" | "too-many-dimensions" | "dimensions-not-supported") => {
                    "Dimensions"
                }
                _ => "",
            };
            out.push(from_error(&e, member_at(member, &at), name));
            continue;
        }
        for t in &filter.metric_transformations {
            for w in transformation_warnings(&pattern, t) {
                let member = match w.code {
                    "unused-dimension" => "Dimensions",
                    "unused-metric-value" => "MetricValue",
                    _ => "",
                };
                out.push(Diagnostic {
                    severity: Severity::Warning,
                    code: w.code.to_owned(),
                    message: w.message,
                    location: member_at(member, &at),
                    filter: name.clone(),
                    help: w.help,
                    snippet: String::new(),
                });
            }
        }
    }
    sort(&mut out);
    out
}

/// Lints the EventBridge rules `found` holds: each rule's event pattern, validated as `PutRule`
/// validates it ([`EventPattern::new`]: EventBridge's messages, at the file's line and column of
/// the offending character), and the problems met reading the rules and their targets (those
/// about a file as a whole are [`lint`]'s). Findings come in file, line and column order; the
/// `filter` of each is the rule's name.
///
/// ```
/// use trailmatch_cloudtrail::iac::{self, FileKind};
/// use trailmatch_cloudtrail::lint::lint_event_rules;
///
/// let yaml = "Resources:\n  Root:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern:\n        source: aws.signin\n";
/// let found = iac::read_event_rules(FileKind::CloudFormation, "t.yaml", yaml);
/// let findings = lint_event_rules(&found);
/// assert_eq!(
///     findings[0].to_string().lines().next(),
///     Some("t.yaml:6:17: error[event-pattern-structure]: Event pattern is not valid. Reason: \"source\" must be an object or an array")
/// );
/// ```
pub fn lint_event_rules(found: &FoundEventRules) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for problem in &found.problems {
        if problem.subject != Subject::EventRule || problem.code == crate::iac::CONDITIONAL_RESOURCE
        {
            continue;
        }
        // A rule left out because it is not created is not wrong.
        let severity = if problem.code == crate::iac::NOT_CREATED {
            Severity::Warning
        } else {
            Severity::Error
        };
        out.push(from_problem(problem, severity));
    }
    for found_rule in &found.rules {
        let rule = &found_rule.rule;
        let Some(text) = &rule.event_pattern else {
            continue;
        };
        // A pattern that is not a JSON object is already a reader's problem.
        if crate::eventbridge::check_pattern(text).is_err() {
            continue;
        }
        let Err(e) = EventPattern::new(text) else {
            continue;
        };
        let start = rule
            .pattern_location
            .clone()
            .unwrap_or_else(|| found_rule.location.clone());
        let location = match &found_rule.pattern_positions {
            Some(positions) => positions.locate(e.span().start),
            None => start,
        };
        out.push(from_error(&e, location, Some(rule.name.clone())));
    }
    sort(&mut out);
    out
}

/// Lints everything under `paths` as `trailmatch lint` does (the CLI and the Python module
/// both call this): the metric filters ([`lint`]) and the EventBridge rules
/// ([`lint_event_rules`]) of every file [`crate::iac::load_with_event_rules`] finds, in file, line and
/// column order; also gives the number of files read. A path that does not exist is an error.
pub fn lint_paths(
    paths: &[std::path::PathBuf],
    options: crate::walk::WalkOptions,
) -> std::io::Result<(Vec<Diagnostic>, usize)> {
    let (found, event_rules, files) = crate::iac::load_with_event_rules(paths, options)?;
    let mut out = lint(&found);
    out.extend(lint_event_rules(&event_rules));
    sort(&mut out);
    Ok((out, files))
}

/// Sorts by place, and says each finding once (a value of a `.tfvars` file named on the
/// command line is read with every module, and found wrong in each).
fn sort(out: &mut Vec<Diagnostic>) {
    out.sort_by(|a, b| {
        (&a.location.file, a.location.line, a.location.column).cmp(&(
            &b.location.file,
            b.location.line,
            b.location.column,
        ))
    });
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(out.len());
    for d in out.drain(..) {
        let here = kept
            .iter()
            .rposition(|k| k.location != d.location)
            .map_or(0, |i| i + 1);
        // The same finding for two filters (the same value read by two modules): once.
        let said =
            |k: &Diagnostic| (k.severity, &k.code, &k.message) == (d.severity, &d.code, &d.message);
        if !kept.get(here..).is_some_and(|same| same.iter().any(said)) {
            kept.push(d);
        }
    }
    *out = kept;
}

fn from_problem(problem: &crate::iac::Problem, severity: Severity) -> Diagnostic {
    Diagnostic {
        severity,
        code: problem.code.to_owned(),
        message: problem.message.clone(),
        location: problem.location.clone(),
        filter: None,
        help: None,
        snippet: String::new(),
    }
}

fn from_error(e: &Error, location: SourceLocation, filter: Option<String>) -> Diagnostic {
    let rendered = e.to_string();
    let message = e.message();
    // The snippet is what follows the message (which may itself hold a line feed, from a
    // value of the file).
    let snippet = rendered
        .find(&message)
        .and_then(|at| rendered.get(at + message.len()..))
        .and_then(|rest| rest.strip_prefix('\n'))
        .unwrap_or_default()
        .to_owned();
    Diagnostic {
        severity: Severity::Error,
        code: e.code().to_owned(),
        message,
        location,
        filter,
        help: e.help(),
        snippet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iac::{self, FileKind};

    #[test]
    fn no_cis_pattern_gets_a_warning() {
        // Every CIS pattern can match: no contradiction, no other warning.
        for control in crate::cis::CONTROLS {
            let p = Pattern::new(control.pattern).unwrap();
            let warnings = pattern_warnings(&p);
            assert!(warnings.is_empty(), "{}: {warnings:?}", control.id);
        }
    }

    /// Resources left out because their condition is false are warnings, rules or filters.
    #[test]
    fn resources_not_created_are_warnings() {
        let yaml = "Conditions:\n  Never: !Equals [a, b]\nResources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Condition: Never\n    Properties: {}\n  R:\n    Type: AWS::Events::Rule\n    Condition: Never\n    Properties: {}\n";
        let filters = lint(&iac::read(FileKind::CloudFormation, "t.yaml", yaml));
        let rules = lint_event_rules(&iac::read_event_rules(
            FileKind::CloudFormation,
            "t.yaml",
            yaml,
        ));
        for d in filters.iter().chain(&rules) {
            assert_eq!(
                (d.severity, d.code.as_str()),
                (Severity::Warning, iac::NOT_CREATED)
            );
        }
        assert_eq!((filters.len(), rules.len()), (1, 1));
    }

    #[test]
    fn errors_point_into_the_file() {
        let yaml = "Resources:\n  Bad:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: trail\n      FilterPattern: |-\n        { $.eventName = ConsoleLogin &&\n          $.errorMessage = Failed authentication }\n      MetricTransformations:\n        - {MetricName: m, MetricNamespace: n, MetricValue: length}\n";
        let found = iac::read(FileKind::CloudFormation, "t.yaml", yaml);
        let d = lint(&found);
        let heads: Vec<String> = d
            .iter()
            .map(|d| d.to_string().lines().next().unwrap().to_owned())
            .collect();
        assert_eq!(
            heads,
            [
                "t.yaml:8:28: error[unquoted-blank]: the value 'Failed authentication' contains blanks, so it must be double-quoted"
            ]
        );
        assert!(
            d[0].snippet.contains("--> filterPattern:2:20"),
            "{}",
            d[0].snippet
        );
        // Fixed, the transformation's error is next.
        let fixed = yaml.replace("= Failed authentication", "= \"Failed authentication\"");
        let d = lint(&iac::read(FileKind::CloudFormation, "t.yaml", &fixed));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "invalid-metric-value");
        // At the MetricValue itself.
        assert_eq!(d[0].location.to_string(), "t.yaml:10:60");
    }

    /// Issue 19, point 10: a transformation's error points at the member's value (`Unit`),
    /// and a value with a line feed is printed once, escaped, on the message's line.
    #[test]
    fn transformation_errors_point_at_the_member_and_print_once() {
        let yaml = "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: trail\n      FilterPattern: '{ $.a = 1 }'\n      MetricTransformations:\n        - MetricName: M\n          MetricNamespace: N\n          MetricValue: \"1\"\n          Unit: Apples\n";
        let d = lint(&iac::read(FileKind::CloudFormation, "t.yaml", yaml));
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].code.as_str(), d[0].location.to_string()),
            ("invalid-unit", "t.yaml:11:17".to_owned())
        );
        let yaml = yaml
            .replace("MetricValue: \"1\"", "MetricValue: \"$.a\\nb\"")
            .replace("          Unit: Apples\n", "");
        let d = lint(&iac::read(FileKind::CloudFormation, "t.yaml", &yaml));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].location.to_string(), "t.yaml:10:24");
        let text = d[0].to_string();
        assert_eq!(
            text.matches("is not a property selector").count(),
            1,
            "{text}"
        );
        assert!(
            text.lines().next().unwrap().contains("'$.a\\u{a}b' is not"),
            "{text}"
        );
    }

    #[test]
    fn a_literal_block_keeping_its_line_break_is_refused_as_aws_refuses_it() {
        // CloudFormation sends the value as written; `|` keeps the final line break after '}'.
        let yaml = "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: trail\n      FilterPattern: |\n        { $.eventName = ConsoleLogin }\n      MetricTransformations:\n        - {MetricName: m, MetricNamespace: n, MetricValue: '1'}\n";
        let d = lint(&iac::read(FileKind::CloudFormation, "t.yaml", yaml));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "blank-around-brackets");
        assert_eq!(d[0].location.to_string(), "t.yaml:7:39");
        let fixed = yaml.replace("FilterPattern: |", "FilterPattern: |-");
        assert!(lint(&iac::read(FileKind::CloudFormation, "t.yaml", &fixed)).is_empty());
    }

    #[test]
    fn a_warnings_snippet_is_rendered_like_an_errors() {
        // The same renderer as `Error`'s: the caret under the hyphen after two wide characters.
        let d = lint(&iac::read(FileKind::Patterns, "p.txt", "東京 request-id\n"));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "hyphenated-term");
        assert_eq!(
            d[0].to_string(),
            "p.txt:1:11: warning[hyphenated-term]: the '-' inside 'request-id' starts an excluded \
             term: this pattern looks for 'request' in events without 'id'\n \
             --> filterPattern:1:11\n  |\n1 | 東京 request-id\n  |             ^^^\n  \
             = help: to search for the hyphenated text, quote it: \"request-id\""
        );
    }
}
