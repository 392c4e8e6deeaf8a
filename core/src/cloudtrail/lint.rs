//! `trailmatch lint`: every filter pattern and metric transformation found in templates,
//! Terraform, rules files or pattern lists, validated as `PutMetricFilter` validates them, with
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

use std::fmt;

use serde::Serialize;

use crate::cloudtrail::coverage::contradictions;
use crate::cloudtrail::iac::{FilterPositions, Found, Subject};
use crate::cloudtrail::rules::SourceLocation;
use crate::error::Snippet;
use crate::syntax::ast::{Ast, Modifier, TermText};
use crate::{Error, MetricFilter, MetricTransformation, Pattern, Span};

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
        write!(
            f,
            "{}: {}[{}]: {}",
            self.location,
            self.severity.as_str(),
            self.code,
            self.message
        )?;
        if !self.snippet.is_empty() {
            write!(f, "\n{}", self.snippet)?;
        }
        Ok(())
    }
}

/// A warning about a valid pattern: what, where in the pattern, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The warning's code.
    pub code: &'static str,
    /// The one-line message.
    pub message: String,
    /// The byte span in the pattern.
    pub span: Span,
    /// What to do about it.
    pub help: Option<String>,
}

/// Lints everything `found` holds: each filter's pattern and transformation, and the problems
/// its readers met about files and filters. Findings come in file, line and column order.
///
/// ```
/// use trailmatch::cloudtrail::iac;
/// use trailmatch::cloudtrail::lint::{lint, Severity};
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
        if problem.subject == Subject::Alarm || problem.code == "conditional-resource" {
            continue;
        }
        let severity = match problem.code {
            "syntax" | "unreadable" | "invalid-resource" => Severity::Error,
            _ => Severity::Warning,
        };
        out.push(Diagnostic {
            severity,
            code: problem.code.to_owned(),
            message: problem.message.clone(),
            location: problem.location.clone(),
            filter: None,
            help: None,
            snippet: String::new(),
        });
    }
    for (i, filter) in found.filters.iter().enumerate() {
        let fallback = FilterPositions::verbatim(
            &filter.location.clone().unwrap_or_default(),
            &filter.filter_pattern,
        );
        let positions = found.positions_of(i).unwrap_or(&fallback);
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
            out.push(from_error(&e, at, name));
            continue;
        }
        for t in &filter.metric_transformations {
            for w in transformation_warnings(&pattern, t) {
                out.push(Diagnostic {
                    severity: Severity::Warning,
                    code: w.code.to_owned(),
                    message: w.message,
                    location: at.clone(),
                    filter: name.clone(),
                    help: w.help,
                    snippet: String::new(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.location.file, a.location.line, a.location.column).cmp(&(
            &b.location.file,
            b.location.line,
            b.location.column,
        ))
    });
    out
}

fn from_error(e: &Error, location: SourceLocation, filter: Option<String>) -> Diagnostic {
    let rendered = e.to_string();
    Diagnostic {
        severity: Severity::Error,
        code: e.code().to_owned(),
        message: e.message(),
        location,
        filter,
        help: e.help(),
        snippet: rendered
            .split_once('\n')
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_default(),
    }
}

/// The warnings about a valid pattern.
///
/// ```
/// let pattern = trailmatch::Pattern::new("ERROR request-id")?;
/// let warnings = trailmatch::cloudtrail::lint::pattern_warnings(&pattern);
/// assert_eq!(warnings[0].code, "hyphenated-term");
/// assert_eq!(&pattern.as_str()[warnings[0].span.start..warnings[0].span.end], "-id");
/// # Ok::<(), trailmatch::Error>(())
/// ```
pub fn pattern_warnings(pattern: &Pattern) -> Vec<Warning> {
    let mut out = Vec::new();
    match pattern.ast() {
        Ast::Terms(t) => {
            let mut previous: Option<&crate::syntax::ast::Term> = None;
            for term in &t.terms {
                if let Some(prev) = previous {
                    let joined = term.modifier == Modifier::Excluded
                        && prev.span.end == term.span.start
                        && matches!(prev.text, TermText::Word(_));
                    if joined {
                        let word = pattern
                            .as_str()
                            .get(prev.span.start..term.span.end)
                            .unwrap_or_default();
                        out.push(Warning {
                            code: "hyphenated-term",
                            message: format!(
                                "the '-' inside '{word}' starts an excluded term: this pattern looks for '{}' in events without '{}'",
                                prev.text.literal().unwrap_or_default(),
                                term.text.literal().unwrap_or_default()
                            ),
                            span: term.span,
                            help: Some(format!("to search for the hyphenated text, quote it: \"{word}\"")),
                        });
                    }
                }
                previous = Some(term);
            }
            let optional = t.terms.iter().filter(|t| t.modifier == Modifier::Optional);
            if t.terms.iter().any(|t| t.modifier != Modifier::Optional) {
                for term in optional {
                    out.push(Warning {
                        code: "ignored-optional-term",
                        message: format!(
                            "'{}' is ignored: optional terms count only when every term of the pattern is optional",
                            pattern.as_str().get(term.span.start..term.span.end).unwrap_or_default()
                        ),
                        span: term.span,
                        help: Some(
                            "remove the '?' to require the term, or make every term optional to match any of them"
                                .into(),
                        ),
                    });
                }
            }
        }
        Ast::Json(j) => {
            let (list, never) = contradictions(&j.expr);
            for c in &list {
                let Some(first) = c.conditions.first() else {
                    continue;
                };
                let texts: Vec<String> = c.conditions.iter().map(|c| format!("'{c}'")).collect();
                let message = if texts.len() == 1 {
                    format!("{} can never be true", texts.join(""))
                } else {
                    format!("{} can never be true together", texts.join(" and "))
                };
                out.push(Warning {
                    code: "never-true",
                    message,
                    span: first.span,
                    help: Some(
                        "a selector has one value per event: check the operators, and whether '||' was meant (&& binds tighter than ||)"
                            .into(),
                    ),
                });
            }
            if never {
                out.push(Warning {
                    code: "never-true",
                    message: "this pattern can never match: every alternative has conditions that contradict each other".into(),
                    span: j.span,
                    help: None,
                });
            }
        }
        Ast::MatchAll(_) | Ast::Delimited(_) => {}
    }
    out.sort_by_key(|w| w.span.start);
    out
}

/// The warnings about a transformation that [`MetricFilter::new`] accepts: a `metricValue` or
/// dimension that reads a field the pattern never mentions. The spans are empty.
pub fn transformation_warnings(pattern: &Pattern, t: &MetricTransformation) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut check = |code: &'static str, what: String, reference: &str| {
        if !mentions(pattern.ast(), reference) {
            out.push(Warning {
                code,
                message: format!(
                    "{what} reads {reference}, which the pattern never mentions: matching events without it add no datapoint"
                ),
                span: Span::default(),
                help: Some(match pattern.ast() {
                    Ast::Json(_) => format!("add '&& {reference} = *' to the pattern if every counted event has it"),
                    _ => format!("name the field {} in the pattern", reference.trim_start_matches('$')),
                }),
            });
        }
    };
    if t.metric_value.starts_with('$') {
        check("unused-metric-value", "metricValue".into(), &t.metric_value);
    }
    for (name, value) in &t.dimensions {
        check("unused-dimension", format!("dimension '{name}'"), value);
    }
    out
}

/// Whether a field reference (`$.a.b`, `$name`, `$3`) names something the pattern mentions.
fn mentions(ast: &Ast, reference: &str) -> bool {
    match ast {
        Ast::Json(j) => {
            let Some(selector) = crate::syntax::parse_selector(reference) else {
                return true;
            };
            j.expr
                .conditions()
                .iter()
                .any(|c| c.selector.steps == selector.steps)
        }
        Ast::Delimited(d) => {
            let name = reference.trim_start_matches('$');
            if let Ok(n) = name.parse::<usize>() {
                return d.ellipsis().is_some() || (n >= 1 && n <= d.fields.len());
            }
            d.fields.iter().any(|f| f.kind.name() == Some(name))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::iac::{self, FileKind};
    use std::collections::BTreeMap;

    fn codes(pattern: &str) -> Vec<(&'static str, String)> {
        let p = Pattern::new(pattern).unwrap();
        pattern_warnings(&p)
            .into_iter()
            .map(|w| (w.code, pattern[w.span.start..w.span.end].to_owned()))
            .collect()
    }

    #[test]
    fn warnings_about_valid_patterns() {
        assert_eq!(
            codes("ERROR request-id"),
            [("hyphenated-term", "-id".to_owned())]
        );
        assert!(codes("ERROR -id").is_empty());
        assert!(codes("\"request-id\"").is_empty());
        assert_eq!(
            codes("?ERROR ?WARN Exception"),
            [
                ("ignored-optional-term", "?ERROR".to_owned()),
                ("ignored-optional-term", "?WARN".to_owned())
            ]
        );
        assert!(codes("?ERROR ?WARN").is_empty());
        let c = codes(r#"{ $.eventName = "ConsoleLogin" && $.eventName = "GetObject" }"#);
        assert_eq!(
            c,
            [("never-true", r#"$.eventName = "ConsoleLogin""#.to_owned())]
        );
        let c = codes(r#"{ ($.a = 1 && $.a = 2) || ($.b = "x" && $.b NOT EXISTS) }"#);
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c[0].1.starts_with('{'), "the whole pattern first: {c:?}");
        // `||` where `&&` was meant is fine; `&&` binding tighter leaves a dead alternative.
        assert!(codes("{ $.a = 1 || $.a = 2 }").is_empty());
        let c = codes("{ $.a = 1 || $.b = 2 && $.b = 3 }");
        assert_eq!(c, [("never-true", "$.b = 2".to_owned())]);
        assert!(codes(crate::cloudtrail::cis::CONTROLS[0].pattern).is_empty());
    }

    #[test]
    fn unused_metric_values_and_dimensions() {
        let t = |value: &str, dims: &[(&str, &str)]| MetricTransformation {
            metric_name: "m".into(),
            metric_namespace: "n".into(),
            metric_value: value.into(),
            default_value: None,
            dimensions: dims
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            unit: None,
        };
        let json = Pattern::new("{ $.latency > 0 && $.status = * }").unwrap();
        assert!(transformation_warnings(&json, &t("$.latency", &[("S", "$.status")])).is_empty());
        let w = transformation_warnings(&json, &t("$.size", &[("R", "$.region")]));
        let got: Vec<&str> = w.iter().map(|w| w.code).collect();
        assert_eq!(got, ["unused-metric-value", "unused-dimension"]);
        let delimited = Pattern::new("[ip, user, status, bytes]").unwrap();
        assert!(transformation_warnings(&delimited, &t("$bytes", &[])).is_empty());
        assert!(transformation_warnings(&delimited, &t("$4", &[])).is_empty());
        assert_eq!(transformation_warnings(&delimited, &t("$5", &[])).len(), 1);
        assert_eq!(
            transformation_warnings(&delimited, &t("$size", &[])).len(),
            1
        );
        assert!(transformation_warnings(&delimited, &t("1", &[])).is_empty());
    }

    #[test]
    fn errors_point_into_the_file() {
        let yaml = "Resources:\n  Bad:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: trail\n      FilterPattern: |\n        { $.eventName = ConsoleLogin &&\n          $.errorMessage = Failed authentication }\n      MetricTransformations:\n        - {MetricName: m, MetricNamespace: n, MetricValue: length}\n";
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
        assert_eq!(d[0].location.to_string(), "t.yaml:10:11");
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
