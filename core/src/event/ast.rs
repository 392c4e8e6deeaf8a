//! The syntax tree of an event pattern: the pattern's objects, fields and `$or`s as written, each
//! key and value with its byte span in the pattern's JSON, and the flat rules EventBridge matches
//! (every `$or` expanded, keys joined into dotted paths).

use super::value::{Folded, Glob, IpRange};
use crate::error::Span;

/// A parsed and validated event pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct EventPatternAst {
    /// The top-level object.
    pub root: Object,
}

/// A JSON object of the pattern: fields (and `$or`s) in the order written.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// Its members, duplicates included.
    pub members: Vec<Member>,
    /// From `{` to `}`.
    pub span: Span,
}

/// One member of a pattern object.
#[derive(Clone, Debug, PartialEq)]
pub enum Member {
    /// `"key": { … }` or `"key": [ … ]`.
    Field {
        /// The key, unescaped.
        key: String,
        /// The key's span, quotes included.
        key_span: Span,
        /// What the key holds.
        value: FieldValue,
    },
    /// `"$or": [ { … }, { … } ]`.
    Or {
        /// The span of `"$or"`.
        key_span: Span,
        /// The alternatives, at least two.
        alternatives: Vec<Object>,
        /// From `[` to `]`.
        span: Span,
    },
}

/// What a field of the pattern holds.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A nested object: the event's field must be an object with these members.
    Object(Object),
    /// An array of values and operators, any of which may match.
    Matchers {
        /// The values and operators, at least one.
        matchers: Vec<Matcher>,
        /// From `[` to `]`.
        span: Span,
    },
}

/// One element of a field's array, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    /// What it matches.
    pub kind: MatcherKind,
    /// The element's span: the literal, or the operator object from `{` to `}`.
    pub span: Span,
}

/// What an element of a field's array matches.
#[derive(Clone, Debug, PartialEq)]
pub enum MatcherKind {
    /// A string, exactly (`"aws.ec2"`, or `{"exactly": "…"}`).
    Exact(String),
    /// A string that is an IP address literal: the same address, however written
    /// (event-ruler's `CIDR.ipToRangeIfPossible`).
    ExactIp {
        /// The string as written.
        text: String,
        /// The address.
        range: IpRange,
    },
    /// A number: equal as a number when both are comparable numbers, else the same text.
    Number {
        /// The number as written.
        text: String,
        /// Its value, when event-ruler can compare it.
        value: Option<f64>,
    },
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// `{"prefix": "…"}`.
    Prefix(String),
    /// `{"prefix": {"equals-ignore-case": "…"}}`.
    PrefixIgnoreCase(Folded),
    /// `{"suffix": "…"}`.
    Suffix(String),
    /// `{"suffix": {"equals-ignore-case": "…"}}`.
    SuffixIgnoreCase(Folded),
    /// `{"equals-ignore-case": "…"}`.
    EqualsIgnoreCase(Folded),
    /// `{"wildcard": "…"}`.
    Wildcard(Glob),
    /// `{"anything-but": …}`.
    AnythingBut(AnythingBut),
    /// `{"numeric": [ … ]}`.
    Numeric(NumericRange),
    /// `{"cidr": "…"}`.
    Cidr {
        /// The block as written.
        text: String,
        /// Its addresses.
        range: IpRange,
    },
    /// `{"exists": true}` or `{"exists": false}`.
    Exists(bool),
}

/// What `anything-but` excludes.
#[derive(Clone, Debug, PartialEq)]
pub enum AnythingBut {
    /// Strings (`"anything-but": "x"` or a list of strings).
    Strings(Vec<String>),
    /// Numbers, with their values (`"anything-but": 123` or a list of numbers).
    Numbers(Vec<(String, f64)>),
    /// `{"anything-but": {"prefix": …}}`.
    Prefixes(Vec<String>),
    /// `{"anything-but": {"suffix": …}}`.
    Suffixes(Vec<String>),
    /// `{"anything-but": {"equals-ignore-case": …}}`.
    IgnoreCase(Vec<Folded>),
    /// `{"anything-but": {"wildcard": …}}`.
    Wildcards(Vec<Glob>),
}

/// The comparisons of a `numeric` operator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumericRange {
    /// `["=", x]`.
    Equals(f64),
    /// `[">", x]`, `[">=", x, "<", y]`, `["<=", y]`, …: each bound with whether it is included.
    Between {
        /// The lower bound and whether it is included.
        lower: Option<(f64, bool)>,
        /// The upper bound and whether it is included.
        upper: Option<(f64, bool)>,
    },
}

impl NumericRange {
    /// True when `v` satisfies the comparisons.
    pub(crate) fn contains(&self, v: f64) -> bool {
        match *self {
            NumericRange::Equals(x) => v == x,
            NumericRange::Between { lower, upper } => {
                lower.is_none_or(|(x, incl)| if incl { v >= x } else { v > x })
                    && upper.is_none_or(|(y, incl)| if incl { v <= y } else { v < y })
            }
        }
    }
}

/// One flat rule: fields by dotted path, each with the matchers of its array. An event matches the
/// pattern when it matches one of the pattern's rules.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Rule {
    /// Dotted paths (`detail.state`) with the field's matchers, each path once, in the order of
    /// the paths' bytes. A path written twice keeps its last array (event-ruler's default
    /// `withOverriding`). A list, not a tree: a rule has a few paths, and a set of 100,000
    /// patterns expands into as many rules.
    pub fields: Vec<(String, FieldRule)>,
}

/// The matchers of one path of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRule {
    /// The span of the last key of the path.
    pub key_span: Span,
    /// The array's values and operators.
    pub matchers: Vec<Matcher>,
}

impl Rule {
    /// Puts the fields in the order of their paths, each path once: the last array given for it
    /// (event-ruler's default `withOverriding`). The expansion appends; this sorts once, in
    /// O(k log k) for k fields, where keeping the list sorted as it grew cost O(k²).
    fn normalize(&mut self) {
        // A stable sort keeps a path's arrays in the order given; each one seen after another
        // of its path takes its place, and the later one is dropped.
        self.fields.sort_by(|a, b| a.0.cmp(&b.0));
        self.fields.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
    }

    /// The fields in the order event-ruler visits them: by path, compared as Java compares
    /// strings (UTF-16 code units).
    pub fn ordered(&self) -> Vec<(&str, &FieldRule)> {
        let mut fields: Vec<(&str, &FieldRule)> =
            self.fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
        // A rule of `rules()` has its fields in the order of their bytes, which is the order of
        // their characters; UTF-16's differs only in putting characters past U+FFFF before those
        // from U+E000 to U+FFFF, and both have lead bytes from 0xEE.
        let byte_ordered = fields.is_sorted_by(|a, b| a.0 < b.0);
        if !byte_ordered || fields.iter().any(|(k, _)| k.bytes().any(|b| b >= 0xEE)) {
            fields.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
        }
        fields
    }
}

impl EventPatternAst {
    /// How many rules the pattern expands to (saturating), without expanding it.
    pub fn rule_count(&self) -> usize {
        object_count(&self.root)
    }

    /// The flat rules, `$or`s expanded as event-ruler's `JsonRuleCompiler` expands them. Call
    /// [`EventPatternAst::rule_count`] first: the expansion's size is that count.
    pub fn rules(&self) -> Vec<Rule> {
        let mut rules = Vec::new();
        expand(&self.root, "", &mut rules);
        for rule in &mut rules {
            rule.normalize();
        }
        rules
    }

    /// Every matcher with the dotted path it applies to, in pattern order.
    pub fn matchers(&self) -> Vec<(String, &Matcher)> {
        self.matchers_where(|_| true)
    }

    /// [`EventPatternAst::matchers`], only those `keep` keeps (no path is made for the others).
    pub(crate) fn matchers_where(
        &self,
        keep: impl Fn(&MatcherKind) -> bool,
    ) -> Vec<(String, &Matcher)> {
        let mut out = Vec::new();
        collect(&self.root, "", &keep, &mut out);
        out
    }
}

fn collect<'a>(
    object: &'a Object,
    prefix: &str,
    keep: &impl Fn(&MatcherKind) -> bool,
    out: &mut Vec<(String, &'a Matcher)>,
) {
    for member in &object.members {
        match member {
            Member::Field {
                key,
                value: FieldValue::Object(inner),
                ..
            } => collect(inner, &join(prefix, key), keep, out),
            Member::Field {
                key,
                value: FieldValue::Matchers { matchers, .. },
                ..
            } => {
                let mut kept = matchers.iter().filter(|m| keep(&m.kind)).peekable();
                if kept.peek().is_some() {
                    let path = join(prefix, key);
                    out.extend(kept.map(|m| (path.clone(), m)));
                }
            }
            Member::Or { alternatives, .. } => {
                for alt in alternatives {
                    collect(alt, prefix, keep, out);
                }
            }
        }
    }
}

/// `prefix.key`, or `key` at the top (event-ruler's `Path.extendedName`).
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        return key.to_owned();
    }
    let mut path = String::with_capacity(prefix.len() + 1 + key.len());
    path.push_str(prefix);
    path.push('.');
    path.push_str(key);
    path
}

/// The number of rules `object` adds up to, given one rule so far.
fn object_count(object: &Object) -> usize {
    object
        .members
        .iter()
        .fold(1usize, |count, member| match member {
            Member::Field {
                value: FieldValue::Object(inner),
                ..
            } => count.saturating_mul(object_count(inner)),
            Member::Field { .. } => count,
            Member::Or { alternatives, .. } => count.saturating_mul(
                alternatives
                    .iter()
                    .fold(0usize, |sum, alt| sum.saturating_add(object_count(alt))),
            ),
        })
}

/// event-ruler's `parseObject` / `parseIntoOrRelationship` / `writeRules` over the tree: the list
/// of rules so far, each member added to every rule, an `$or` replacing the list by one copy per
/// alternative.
fn expand(object: &Object, prefix: &str, rules: &mut Vec<Rule>) {
    for member in &object.members {
        match member {
            Member::Field {
                key,
                value,
                key_span,
            } => {
                let path = join(prefix, key);
                match value {
                    FieldValue::Object(inner) => expand(inner, &path, rules),
                    FieldValue::Matchers { matchers, .. } => {
                        if rules.is_empty() {
                            rules.push(Rule::default());
                        }
                        for rule in rules.iter_mut() {
                            let field = FieldRule {
                                key_span: *key_span,
                                matchers: matchers.clone(),
                            };
                            rule.fields.push((path.clone(), field));
                        }
                    }
                }
            }
            Member::Or { alternatives, .. } => {
                let current = std::mem::take(rules);
                for alt in alternatives {
                    let mut copies = current.clone();
                    if copies.is_empty() {
                        copies.push(Rule::default());
                    }
                    expand(alt, prefix, &mut copies);
                    rules.append(&mut copies);
                }
            }
        }
    }
}
