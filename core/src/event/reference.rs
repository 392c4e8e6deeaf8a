//! The reference evaluator of event patterns: the slow, obvious reading of aws/event-ruler's
//! matching, the oracle [`crate::EventPattern`] is tested against.
//!
//! 1. The event is flattened the way event-ruler's `Event` flattens it: every leaf value (string,
//!    number, `true`, `false`, `null`) becomes a field named by the dotted path of its keys
//!    (arrays add nothing to the name), with its *array membership*: for each array it lies in
//!    through an object or an array element, which element. Empty arrays and objects add no field;
//!    duplicate keys add a field for each value.
//! 2. The pattern is expanded into flat rules (every `$or` expanded), each a map from dotted path
//!    to the array of values and operators.
//! 3. A rule matches when its fields, taken in event-ruler's order (by path), can each be matched
//!    by one of their matchers against an event field of that path, with all the chosen event
//!    fields *array-consistent*: two fields that lie in the same array lie in the same element.
//!    `{"exists": false}` holds when no event field of that path is consistent with the fields
//!    chosen so far (event-ruler's `StructuredFinder` checks absence against the array
//!    memberships gathered by the fields before it).
//!
//! Values are compared by [`leaf_matches`], the one place where each operator's meaning is
//! written down.

use super::ast::{AnythingBut, EventPatternAst, FieldRule, MatcherKind, Rule};
use crate::json::{self, Json};

/// A leaf value of an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Leaf {
    /// A string, unescaped.
    Str(String),
    /// A number, as written.
    Num(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A flattened field of an event: its dotted path, its value and its array membership.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The keys leading to the value, joined with `.`.
    pub path: String,
    /// The value.
    pub value: Leaf,
    /// `(array, element)` for each array the value lies in through an element that is an
    /// object or an array; arrays are numbered in reading order.
    pub membership: Vec<(usize, usize)>,
}

/// Flattens a JSON object event; `None` when the text is not a JSON object.
pub fn flatten(event: &str) -> Option<Vec<Field>> {
    let doc @ Json::Object(_) = json::parse(event).ok()? else {
        return None;
    };
    let mut fields = Vec::new();
    let mut arrays = 0;
    flatten_value(&doc, "", &mut Vec::new(), &mut arrays, &mut fields);
    Some(fields)
}

fn flatten_value(
    value: &Json,
    path: &str,
    membership: &mut Vec<(usize, usize)>,
    arrays: &mut usize,
    out: &mut Vec<Field>,
) {
    let leaf = match value {
        Json::Null => Leaf::Null,
        Json::Bool(b) => Leaf::Bool(*b),
        Json::Number(n) => Leaf::Num(n.clone()),
        Json::String(s) => Leaf::Str(s.clone()),
        Json::Object(members) => {
            for (key, v) in members {
                let inner = super::ast::join(path, key);
                flatten_value(v, &inner, membership, arrays, out);
            }
            return;
        }
        Json::Array(items) => {
            let id = *arrays;
            *arrays += 1;
            for (index, item) in items.iter().enumerate() {
                let nested = matches!(item, Json::Object(_) | Json::Array(_));
                if nested {
                    membership.push((id, index));
                }
                flatten_value(item, path, membership, arrays, out);
                if nested {
                    membership.pop();
                }
            }
            return;
        }
    };
    out.push(Field {
        path: path.to_owned(),
        value: leaf,
        membership: membership.clone(),
    });
}

/// The memberships so far merged with `field`'s, or `None` when they disagree on an array
/// (event-ruler's `ArrayMembership.checkArrayConsistency`).
pub(crate) fn consistent(
    so_far: &[(usize, usize)],
    field: &[(usize, usize)],
) -> Option<Vec<(usize, usize)>> {
    let mut merged = so_far.to_vec();
    for &(array, element) in field {
        match so_far.iter().find(|(a, _)| *a == array) {
            Some(&(_, e)) if e != element => return None,
            Some(_) => {}
            None => merged.push((array, element)),
        }
    }
    Some(merged)
}

/// True when the value `leaf` satisfies `matcher` (every operator but `exists: false`, which is
/// about the absence of a field, is a condition on one value).
pub fn leaf_matches(matcher: &MatcherKind, leaf: &Leaf) -> bool {
    use MatcherKind as M;
    let string = match leaf {
        Leaf::Str(s) => Some(s.as_str()),
        _ => None,
    };
    let number = match leaf {
        Leaf::Num(n) => super::value::comparable(n),
        _ => None,
    };
    match matcher {
        M::Exact(s) => string == Some(s.as_str()),
        M::ExactIp { range, .. } | M::Cidr { range, .. } => {
            string.is_some_and(|s| range.contains_text(s))
        }
        M::Number { text, value } => match leaf {
            Leaf::Num(n) => n == text || (value.is_some() && number == *value),
            _ => false,
        },
        M::Null => *leaf == Leaf::Null,
        M::Bool(b) => *leaf == Leaf::Bool(*b),
        M::Prefix(p) => string.is_some_and(|s| s.starts_with(p.as_str())),
        M::Suffix(p) => string.is_some_and(|s| s.ends_with(p.as_str())),
        M::PrefixIgnoreCase(f) => string.is_some_and(|s| f.prefix_of(s)),
        M::SuffixIgnoreCase(f) => string.is_some_and(|s| f.suffix_of(s)),
        M::EqualsIgnoreCase(f) => string.is_some_and(|s| f.equals(s)),
        M::Wildcard(g) => string.is_some_and(|s| g.matches(s)),
        M::Numeric(range) => number.is_some_and(|v| range.contains(v)),
        M::Exists(exists) => *exists,
        M::AnythingBut(but) => !empty(but) && !excluded(but, string, number),
    }
}

/// True for an empty list of `prefix`, `suffix`, `equals-ignore-case` or `wildcard` values, which
/// event-ruler accepts and adds no state for: such an `anything-but` matches nothing.
fn empty(but: &AnythingBut) -> bool {
    match but {
        AnythingBut::Strings(xs) | AnythingBut::Prefixes(xs) | AnythingBut::Suffixes(xs) => {
            xs.is_empty()
        }
        AnythingBut::Numbers(xs) => xs.is_empty(),
        AnythingBut::IgnoreCase(xs) => xs.is_empty(),
        AnythingBut::Wildcards(xs) => xs.is_empty(),
    }
}

/// True when `anything-but` excludes the value: a string one of its strings (prefixes, …)
/// describe, or a comparable number equal to one of its numbers. Values of other types are never
/// excluded (event-ruler fails an `anything-but` only on an equal value of its own type).
fn excluded(but: &AnythingBut, string: Option<&str>, number: Option<f64>) -> bool {
    match (but, string) {
        (AnythingBut::Numbers(ns), _) => number.is_some_and(|v| ns.iter().any(|(_, n)| *n == v)),
        (_, None) => false,
        (AnythingBut::Strings(xs), Some(s)) => xs.iter().any(|x| x == s),
        (AnythingBut::Prefixes(xs), Some(s)) => xs.iter().any(|x| s.starts_with(x.as_str())),
        (AnythingBut::Suffixes(xs), Some(s)) => xs.iter().any(|x| s.ends_with(x.as_str())),
        (AnythingBut::IgnoreCase(xs), Some(s)) => xs.iter().any(|f| f.equals(s)),
        (AnythingBut::Wildcards(xs), Some(s)) => xs.iter().any(|g| g.matches(s)),
    }
}

/// True when the flattened event matches the rule.
pub fn rule_matches(rule: &Rule, fields: &[Field]) -> bool {
    let ordered = rule.ordered();
    matches_from(&ordered, fields, &[])
}

fn matches_from(rule: &[(&str, &FieldRule)], fields: &[Field], so_far: &[(usize, usize)]) -> bool {
    let Some(((path, field), rest)) = rule.split_first() else {
        return true;
    };
    let candidates: Vec<(&Field, Vec<(usize, usize)>)> = fields
        .iter()
        .filter(|f| f.path == *path)
        .filter_map(|f| Some((f, consistent(so_far, &f.membership)?)))
        .collect();
    field.matchers.iter().any(|m| match &m.kind {
        MatcherKind::Exists(false) => candidates.is_empty() && matches_from(rest, fields, so_far),
        kind => candidates
            .iter()
            .any(|(f, merged)| leaf_matches(kind, &f.value) && matches_from(rest, fields, merged)),
    })
}

/// Each value and operator of `ast`, in pattern order, with whether it holds for `event`: some
/// field of the event at its path has a value it accepts (for `{"exists": false}`: no field is at
/// its path). Each is judged on its own, without the array consistency and the `$or`s that decide
/// whether the whole pattern matches: an answer to "which parts held", not to "does it match".
/// `None` when `event` is not a JSON object.
pub fn explain(
    ast: &EventPatternAst,
    event: &str,
) -> Option<Vec<crate::outcome::ConditionOutcome>> {
    let fields = flatten(event)?;
    let outcomes = ast
        .matchers()
        .into_iter()
        .map(|(path, matcher)| {
            let mut at_path = fields.iter().filter(|f| f.path == path);
            let holds = match &matcher.kind {
                MatcherKind::Exists(false) => at_path.next().is_none(),
                kind => at_path.any(|f| leaf_matches(kind, &f.value)),
            };
            let key = serde_json::to_string(&path).unwrap_or_default();
            crate::outcome::ConditionOutcome {
                span: matcher.span,
                condition: format!("{key}: [{matcher}]"),
                holds,
            }
        })
        .collect();
    Some(outcomes)
}

/// An event pattern evaluated the reference way.
#[derive(Clone, Debug)]
pub struct Evaluator {
    rules: Vec<Rule>,
}

impl Evaluator {
    /// The evaluator of a parsed pattern.
    pub fn new(ast: &EventPatternAst) -> Evaluator {
        Evaluator { rules: ast.rules() }
    }

    /// True when `event`, a JSON object, matches; false for any other text.
    pub fn matches(&self, event: &str) -> bool {
        let Some(fields) = flatten(event) else {
            return false;
        };
        self.rules.iter().any(|r| rule_matches(r, &fields))
    }
}
