//! The reference evaluator: walks the syntax tree over a fully parsed event, the slow and obvious
//! way. It is the oracle every faster matcher is tested against, so it favours plainness over
//! speed: a JSON event becomes a tree, a delimited event a list of fields, and each rule of the
//! specification is one small function here.

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::compile::regex as aws_regex;
use crate::dialect::Dialect;
use crate::error::Error;
use crate::extracted::Extracted;
use crate::json::{self, Json};
use crate::number;
pub use crate::outcome::ConditionOutcome;
use crate::syntax::ast::{
    Ast, Comparison, Condition, DelimitedPattern, Expr, FieldExpr, FieldKind, Modifier, Op,
    Selector, Step, TermPattern, TermText, Test, Value,
};
use crate::syntax::glob::glob_match;

/// A pattern ready to evaluate: its tree, its dialect and its compiled regexes.
#[derive(Clone, Debug)]
pub struct Evaluator {
    ast: Ast,
    dialect: Dialect,
    regexes: HashMap<String, ::regex::Regex>,
}

impl Evaluator {
    /// Compiles the regexes of `ast`, which was parsed from `pattern` (for error spans).
    pub fn new(ast: Ast, pattern: &str, dialect: Dialect) -> Result<Evaluator, Error> {
        let mut regexes = HashMap::new();
        for r in regexes_of(&ast) {
            if !regexes.contains_key(&r.source) {
                regexes.insert(r.source.clone(), aws_regex::compile(r, pattern)?);
            }
        }
        Ok(Evaluator {
            ast,
            dialect,
            regexes,
        })
    }

    /// The syntax tree.
    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    /// The dialect it evaluates with.
    pub fn dialect(&self) -> &Dialect {
        &self.dialect
    }

    /// The extracted values when `event` matches, `None` when it does not.
    pub fn test(&self, event: &str) -> Option<Extracted> {
        self.test_event(&Event::new(event))
    }

    /// As [`Evaluator::test`], on an event whose parsed forms are shared between patterns.
    pub fn test_event(&self, event: &Event<'_>) -> Option<Extracted> {
        match &self.ast {
            Ast::MatchAll(_) => Some(Extracted::default()),
            Ast::Terms(t) => self.terms(t, event.text).then(Extracted::default),
            Ast::Json(j) => {
                let doc @ Json::Object(_) = event.json()? else {
                    return None;
                };
                self.expr(&j.expr, doc).then(Extracted::default)
            }
            Ast::Delimited(d) => self.delimited(d, event),
        }
    }

    /// Whether the regex written `source` matches `subject`. `new` compiled every regex of the
    /// tree and the tree never changes afterwards, so every regex of the tree is found.
    fn regex_matches(&self, source: &str, subject: &str) -> bool {
        self.regexes
            .get(source)
            .is_some_and(|re| re.is_match(subject))
    }

    // ---- terms -----------------------------------------------------------------------------

    fn terms(&self, pattern: &TermPattern, text: &str) -> bool {
        let terms = &pattern.terms;
        if self.dialect.quoted_space_matches_all
            && terms.len() == 1
            && terms
                .iter()
                .all(|t| t.modifier == Modifier::Required && t.text == TermText::Quoted(" ".into()))
        {
            return true;
        }
        let found = |t: &TermText| match t {
            TermText::Word(s) | TermText::Quoted(s) => text.contains(s.as_str()),
            TermText::Regex(r) => self.regex_matches(&r.source, text),
        };
        if terms.iter().all(|t| t.modifier == Modifier::Optional) {
            return terms.iter().any(|t| found(&t.text));
        }
        // Optional terms mixed with others are ignored (the 2024 user-guide rule).
        terms.iter().all(|t| match t.modifier {
            Modifier::Required => found(&t.text),
            Modifier::Excluded => !found(&t.text),
            Modifier::Optional => true,
        })
    }

    // ---- JSON ------------------------------------------------------------------------------

    fn expr(&self, expr: &Expr, doc: &Json) -> bool {
        match expr {
            Expr::And(xs, _) => xs.iter().all(|x| self.expr(x, doc)),
            Expr::Or(xs, _) => xs.iter().any(|x| self.expr(x, doc)),
            Expr::Cond(c) => self.condition(c, doc),
        }
    }

    fn condition(&self, c: &Condition, doc: &Json) -> bool {
        let nodes = select(doc, &c.selector);
        match &c.test {
            Test::NotExists => nodes.is_empty(),
            Test::IsNull => nodes.iter().any(|n| matches!(n, Json::Null)),
            Test::IsTrue => nodes.iter().any(|n| matches!(n, Json::Bool(true))),
            Test::IsFalse => nodes.iter().any(|n| matches!(n, Json::Bool(false))),
            Test::Compare(cmp) => nodes.iter().any(|n| self.compare_node(n, cmp)),
        }
    }

    /// Why a JSON pattern does or does not match `event`: each condition, in pattern order, with
    /// whether it holds. `None` for other kinds of pattern; an empty list when the event is not a
    /// JSON object (then nothing holds).
    pub fn explain(&self, event: &str) -> Option<Vec<ConditionOutcome>> {
        let Ast::Json(j) = &self.ast else { return None };
        let doc = match json::parse(event) {
            Ok(doc @ Json::Object(_)) => doc,
            _ => return Some(Vec::new()),
        };
        let outcomes = j.expr.conditions().into_iter().map(|c| ConditionOutcome {
            span: c.span,
            condition: c.to_string(),
            holds: self.condition(c, &doc),
        });
        Some(outcomes.collect())
    }

    /// One selected node against `op value`.
    fn compare_node(&self, node: &Json, cmp: &Comparison) -> bool {
        match (node, &cmp.value) {
            (Json::Null | Json::Array(_) | Json::Object(_), _) => false,
            (Json::String(s), Value::Number(n)) => {
                let x = if self.dialect.numeric_string_coercion {
                    number::parse(s)
                } else {
                    None
                };
                self.compare_number(x, cmp.op, n.value)
            }
            (Json::Number(text), Value::Number(n)) => {
                number::parse(text).is_some_and(|x| compare_numbers(cmp.op, x, n.value))
            }
            (Json::Bool(_), Value::Number(_)) => false,
            (Json::String(s), _) => self.compare_text(s, cmp),
            (Json::Number(text), _) => self.compare_text(text, cmp),
            (Json::Bool(b), _) => self.compare_text(if *b { "true" } else { "false" }, cmp),
        }
    }

    /// Text read as the number `x` (`None` when it is not a number) against `op n`: a numeric
    /// comparison, or for text that is not a number only `!=`, as the negation of `=`, when the
    /// dialect says so.
    fn compare_number(&self, x: Option<f64>, op: Op, n: f64) -> bool {
        match x {
            Some(x) => compare_numbers(op, x, n),
            None => op == Op::Ne && self.dialect.ne_number_matches_text,
        }
    }

    /// Text against `op value`: globs, regexes, and number literals (numeric comparison when the
    /// text is a number; otherwise see [`Evaluator::compare_number`]).
    fn compare_text(&self, text: &str, cmp: &Comparison) -> bool {
        let hit = match &cmp.value {
            Value::Str(glob) => glob_match(glob, text),
            Value::Regex(r) => self.regex_matches(&r.source, text),
            Value::Number(n) => return self.compare_number(number::parse(text), cmp.op, n.value),
        };
        match cmp.op {
            Op::Eq => hit,
            Op::Ne => !hit,
            // The parser allows ordering operators with number literals only.
            _ => false,
        }
    }

    // ---- space-delimited -------------------------------------------------------------------

    fn delimited(&self, pattern: &DelimitedPattern, event: &Event<'_>) -> Option<Extracted> {
        let bound = bind(
            pattern,
            event.text,
            event.fields(),
            self.dialect.absorb_trailing_fields,
        )?;
        let mut out = Extracted::default();
        for b in bound {
            match b.field {
                Some(FieldKind::Named(name)) => out.push(format!("${name}"), b.text),
                Some(FieldKind::Condition { name, expr }) => {
                    if !self.field_expr(expr, b.text) {
                        return None;
                    }
                    out.push(format!("${name}"), b.text);
                }
                _ => out.push(format!("${}", b.position), b.text),
            }
        }
        Some(out)
    }

    /// Whether a space-delimited pattern matches, without building its extracted values: every
    /// condition field against the event field it binds. The compiled set asks this of each
    /// delimited pattern and builds the values ([`Evaluator::test_event`]) only on a match.
    pub(crate) fn delimited_holds(&self, event: &Event<'_>) -> bool {
        let Ast::Delimited(pattern) = &self.ast else {
            return self.test_event(event).is_some();
        };
        let absorb = self.dialect.absorb_trailing_fields;
        let complete = bind_each(pattern, event.text, event.fields(), absorb, |b| {
            match b.field {
                Some(FieldKind::Condition { expr, .. }) => self.field_expr(expr, b.text),
                _ => true,
            }
        });
        complete == Some(true)
    }

    fn field_expr(&self, expr: &FieldExpr, text: &str) -> bool {
        match expr {
            FieldExpr::And(xs) => xs.iter().all(|x| self.field_expr(x, text)),
            FieldExpr::Or(xs) => xs.iter().any(|x| self.field_expr(x, text)),
            FieldExpr::Cond(cmp) => self.compare_text(text, cmp),
        }
    }
}

/// The regexes of a pattern, in order.
pub(crate) fn regexes_of(ast: &Ast) -> Vec<&crate::syntax::ast::Regex> {
    fn from_value(v: &Value) -> Option<&crate::syntax::ast::Regex> {
        match v {
            Value::Regex(r) => Some(r),
            _ => None,
        }
    }
    match ast {
        Ast::MatchAll(_) => Vec::new(),
        Ast::Terms(t) => t
            .terms
            .iter()
            .filter_map(|t| match &t.text {
                TermText::Regex(r) => Some(r),
                _ => None,
            })
            .collect(),
        Ast::Json(j) => j
            .expr
            .conditions()
            .into_iter()
            .filter_map(|c| match &c.test {
                Test::Compare(cmp) => from_value(&cmp.value),
                _ => None,
            })
            .collect(),
        Ast::Delimited(d) => d
            .fields
            .iter()
            .flat_map(|f| match &f.kind {
                FieldKind::Condition { expr, .. } => expr.comparisons(),
                _ => Vec::new(),
            })
            .filter_map(|c| from_value(&c.value))
            .collect(),
    }
}

/// An event as the reference evaluator reads it; the JSON tree and the delimited fields are
/// built on first use, once for all the patterns that look at the event.
#[derive(Debug)]
pub struct Event<'a> {
    text: &'a str,
    json: OnceCell<Option<Json>>,
    fields: OnceCell<Vec<EventField<'a>>>,
}

impl<'a> Event<'a> {
    /// Wraps the raw event text.
    pub fn new(text: &'a str) -> Event<'a> {
        Event {
            text,
            json: OnceCell::new(),
            fields: OnceCell::new(),
        }
    }

    /// The raw text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    fn json(&self) -> Option<&Json> {
        self.json
            .get_or_init(|| json::parse(self.text).ok())
            .as_ref()
    }

    fn fields(&self) -> &[EventField<'a>] {
        self.fields.get_or_init(|| split_fields(self.text))
    }
}

// ---- selectors ---------------------------------------------------------------------------------

/// The nodes a selector picks out of a document (none when the path is missing).
pub(crate) fn select<'j>(doc: &'j Json, selector: &Selector) -> Vec<&'j Json> {
    let mut nodes = vec![doc];
    for step in &selector.steps {
        nodes = nodes
            .into_iter()
            .flat_map(|node| -> Vec<&'j Json> {
                match (step, node) {
                    (Step::Member(key), Json::Object(_)) => node.get(key).into_iter().collect(),
                    (Step::AnyMember, Json::Object(members)) => {
                        // Duplicate keys: only the last one counts. Each key's last position,
                        // found in one pass (an object may have very many members).
                        let last: HashMap<&str, usize> = members
                            .iter()
                            .enumerate()
                            .map(|(n, (k, _))| (k.as_str(), n))
                            .collect();
                        members
                            .iter()
                            .enumerate()
                            .filter(|(n, (k, _))| last.get(k.as_str()) == Some(n))
                            .map(|(_, (_, v))| v)
                            .collect()
                    }
                    (Step::Index(i), Json::Array(items)) => items.get(*i).into_iter().collect(),
                    (Step::AnyIndex, Json::Array(items)) => items.iter().collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
    }
    nodes
}

/// The first node a selector picks out of `event`, when `event` is a JSON object.
pub(crate) fn select_in_event<F, T>(event: &str, selector: &Selector, read: F) -> Option<T>
where
    F: Fn(&Json) -> Option<T>,
{
    let doc @ Json::Object(_) = &json::parse(event).ok()? else {
        return None;
    };
    select(doc, selector).into_iter().find_map(read)
}

// ---- values ------------------------------------------------------------------------------------

fn compare_numbers(op: Op, a: f64, b: f64) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Ne => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
    }
}

// ---- space-delimited events --------------------------------------------------------------------

/// One field of a space-delimited event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EventField<'a> {
    /// The value, without `"…"` or `[…]` delimiters.
    pub(crate) text: &'a str,
    /// Byte offset where the field (its opening delimiter, if any) starts.
    pub(crate) start: usize,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `text` split after its first `n` bytes, when that is a character boundary (blanks and the
/// delimiters are ASCII, so every split below is).
fn split_bytes(text: &str, n: usize) -> (&str, &str) {
    text.split_at_checked(n).unwrap_or((text, ""))
}

/// `text` without its leading blanks.
fn skip_blanks(text: &str) -> &str {
    split_bytes(text, text.bytes().take_while(|&b| is_blank(b)).count()).1
}

/// Splits an event into fields: runs of blanks separate them; a field that starts with `"` runs
/// to the next `"`, one that starts with `[` to the next `]`, and an unterminated one to the end.
pub(crate) fn split_fields(text: &str) -> Vec<EventField<'_>> {
    let mut fields = Vec::new();
    let mut rest = skip_blanks(text);
    while let Some(&first) = rest.as_bytes().first() {
        let start = text.len() - rest.len();
        let close = match first {
            b'"' => Some('"'),
            b'[' => Some(']'),
            _ => None,
        };
        let (value, after) = match close {
            Some(close) => {
                let body = split_bytes(rest, 1).1;
                body.split_once(close).unwrap_or((body, ""))
            }
            None => {
                let len = rest.bytes().position(is_blank).unwrap_or(rest.len());
                split_bytes(rest, len)
            }
        };
        fields.push(EventField { text: value, start });
        rest = skip_blanks(after);
    }
    fields
}

/// An event field bound to a pattern field (or to none, under `...` or with `[]`).
pub(crate) struct Bound<'p, 'e> {
    pub(crate) field: Option<&'p FieldKind>,
    pub(crate) text: &'e str,
    /// 1-based position of the event field.
    pub(crate) position: usize,
}

/// Binds event fields to pattern fields; `None` when the event has too few fields (or too many,
/// when the dialect does not let the last field absorb the rest).
pub(crate) fn bind<'p, 'e>(
    pattern: &'p DelimitedPattern,
    text: &'e str,
    fields: &[EventField<'e>],
    absorb: bool,
) -> Option<Vec<Bound<'p, 'e>>> {
    let mut out = Vec::with_capacity(fields.len());
    bind_each(pattern, text, fields, absorb, |b| {
        out.push(b);
        true
    })?;
    Some(out)
}

/// [`bind`] without the list: hands each binding, in order, to `each`, which returns `false` to
/// stop there. `None` when the event has the wrong number of fields, else whether every binding
/// was handed over.
pub(crate) fn bind_each<'p, 'e>(
    pattern: &'p DelimitedPattern,
    text: &'e str,
    fields: &[EventField<'e>],
    absorb: bool,
    mut each: impl FnMut(Bound<'p, 'e>) -> bool,
) -> Option<bool> {
    let p = &pattern.fields;
    let m = fields.len();
    match pattern.ellipsis() {
        None if p.is_empty() => {
            for (n, f) in fields.iter().enumerate() {
                let unbound = Bound {
                    field: None,
                    text: f.text,
                    position: n + 1,
                };
                if !each(unbound) {
                    return Some(false);
                }
            }
        }
        None => {
            if m < p.len() || (m > p.len() && !absorb) {
                return None;
            }
            // `m >= p.len()`: every pattern field has an event field.
            let last = p.len() - 1;
            for (n, (field, event_field)) in p.iter().zip(fields).enumerate() {
                let value = if n == last && m > p.len() {
                    // The rest of the line from this field on (fields start at a boundary).
                    text.get(event_field.start..).unwrap_or(event_field.text)
                } else {
                    event_field.text
                };
                let bound = Bound {
                    field: Some(&field.kind),
                    text: value,
                    position: n + 1,
                };
                if !each(bound) {
                    return Some(false);
                }
            }
        }
        Some(e) => {
            // `e` is the position of the `...` field: the fields before it and after it.
            let Some((before, [_, after @ ..])) = p.split_at_checked(e) else {
                return None;
            };
            if m < before.len() + after.len() {
                return None;
            }
            let tail = m - after.len();
            for (n, f) in fields.iter().enumerate() {
                let field = if n < before.len() {
                    before.get(n)
                } else if n >= tail {
                    after.get(n - tail)
                } else {
                    None
                };
                let bound = Bound {
                    field: field.map(|f| &f.kind),
                    text: f.text,
                    position: n + 1,
                };
                if !each(bound) {
                    return Some(false);
                }
            }
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, event: &str) -> bool {
        let ast = crate::syntax::parse(pattern).expect("valid pattern");
        Evaluator::new(ast, pattern, Dialect::default())
            .expect("compiles")
            .test(event)
            .is_some()
    }

    /// The table of section 4.5 of the specification: each operator against each kind of node.
    #[test]
    fn json_node_kinds_against_every_operator() {
        let event =
            r#"{"s":"abc","n":502,"ns":"502","t":true,"f":false,"z":null,"o":{"k":1},"a":[1,2]}"#;
        const F: bool = false;
        const T: bool = true;
        #[rustfmt::skip]
        let rows: &[(&str, [bool; 9])] = &[
            // selector: missing, null, object, array, string, number, numeric string, true, false
            ("= *",        [F, F, F, F, T, T, T, T, T]),
            ("!= \"x\"",   [F, F, F, F, T, T, T, T, T]),
            ("= 502",      [F, F, F, F, F, T, T, F, F]),
            ("!= 502",     [F, F, F, F, T, F, F, F, F]),
            ("!= 7",       [F, F, F, F, T, T, T, F, F]),
            ("< 1000",     [F, F, F, F, F, T, T, F, F]),
            ("IS NULL",    [F, T, F, F, F, F, F, F, F]),
            ("IS TRUE",    [F, F, F, F, F, F, F, T, F]),
            ("IS FALSE",   [F, F, F, F, F, F, F, F, T]),
            ("NOT EXISTS", [T, F, F, F, F, F, F, F, F]),
            ("= 5*",       [F, F, F, F, F, T, T, F, F]),
            ("= %^5%",     [F, F, F, F, F, T, T, F, F]),
            ("= \"true\"",  [F, F, F, F, F, F, F, T, F]),
        ];
        let selectors = [
            "$.missing",
            "$.z",
            "$.o",
            "$.a",
            "$.s",
            "$.n",
            "$.ns",
            "$.t",
            "$.f",
        ];
        for (test, expected) in rows {
            for (selector, want) in selectors.iter().zip(expected) {
                let pattern = format!("{{ {selector} {test} }}");
                assert_eq!(matches(&pattern, event), *want, "{pattern}");
            }
        }
    }

    #[test]
    fn explain_lists_each_condition() {
        let pattern = r#"{ ($.a = 1) && ($.b NOT EXISTS || $.c = "x") }"#;
        let ast = crate::syntax::parse(pattern).unwrap();
        let e = Evaluator::new(ast, pattern, Dialect::default()).unwrap();
        let outcomes = e.explain(r#"{"a": 1, "b": 2, "c": "y"}"#).unwrap();
        let got: Vec<(&str, bool)> = outcomes
            .iter()
            .map(|o| (o.condition.as_str(), o.holds))
            .collect();
        assert_eq!(
            got,
            [
                ("$.a = 1", true),
                ("$.b NOT EXISTS", false),
                ("$.c = \"x\"", false)
            ]
        );
        assert_eq!(
            &pattern[outcomes[1].span.start..outcomes[1].span.end],
            "$.b NOT EXISTS"
        );
        assert_eq!(e.explain("not json"), Some(Vec::new()));
    }

    #[test]
    fn non_objects_never_match_json_patterns() {
        for event in ["[1]", "\"x\"", "prefix {\"x\":1}", "{\"x\":1", ""] {
            assert!(!matches("{ $.y NOT EXISTS }", event), "{event}");
        }
        assert!(matches("{ $.y NOT EXISTS }", " {\"x\":1}\n"));
    }

    #[test]
    fn wildcards_are_existential() {
        assert!(matches("{ $.a[*] != 1 }", r#"{"a":[1,2]}"#));
        assert!(!matches("{ $.a[*] != 1 }", r#"{"a":[1,1]}"#));
        assert!(matches("{ $.* = \"x\" }", r#"{"a":{"b":"x"},"c":"x"}"#));
        assert!(
            !matches("{ $.a.* = 1 }", r#"{"a":[1]}"#),
            ".* selects object members only"
        );
        assert!(
            !matches("{ $.a[*] = 1 }", r#"{"a":{"k":1}}"#),
            "[*] selects array elements only"
        );
        assert!(matches("{ $.a[*] NOT EXISTS }", r#"{"a":[]}"#));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        assert!(matches("{ $.a = 2 }", r#"{"a":1,"a":2}"#));
        assert!(!matches("{ $.* = 1 }", r#"{"a":1,"a":2}"#));
    }

    #[test]
    fn globs_only_at_the_ends() {
        for (glob, text, want) in [
            ("*", "", true),
            ("abc*", "abcdef", true),
            ("*def", "abcdef", true),
            ("*cd*", "abcdef", true),
            ("a*f", "abcdef", false),
            ("a*f", "a*f", true),
            ("**", "x", true),
            ("", "", true),
            ("", "x", false),
        ] {
            assert_eq!(glob_match(glob, text), want, "{glob} {text}");
        }
    }

    #[test]
    fn event_fields() {
        let text = "a  \"b c\"\t[d e] \"unterminated f";
        let fields: Vec<&str> = split_fields(text).iter().map(|f| f.text).collect();
        assert_eq!(fields, ["a", "b c", "d e", "unterminated f"]);
        assert!(split_fields(" \t\n").is_empty());
    }
}
