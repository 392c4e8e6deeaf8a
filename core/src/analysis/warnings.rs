//! Warnings about valid patterns and metric transformations: what is almost certainly not what
//! was meant.

use crate::analysis::coverage::contradictions;
use crate::syntax::ast::{Ast, Modifier, TermText};
use crate::{MetricTransformation, Pattern, Span};

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

/// The warnings about a valid pattern.
///
/// ```
/// let pattern = trailmatch::Pattern::new("ERROR request-id")?;
/// let warnings = trailmatch::analysis::pattern_warnings(&pattern);
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

/// The warnings about a transformation that [`MetricFilter::new`](crate::MetricFilter::new) accepts: a `metricValue` or
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
}
