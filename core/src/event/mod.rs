//! EventBridge event patterns: the JSON rule language of EventBridge rules (`PutRule`'s
//! `EventPattern`), parsed with EventBridge's validation and matched with its semantics, and the
//! `TestEventPattern` answer.
//!
//! ```
//! use trailmatch::EventPattern;
//!
//! let pattern = EventPattern::new(r#"{
//!   "source": ["aws.ec2"],
//!   "detail": { "state": [{ "anything-but": "initializing" }] }
//! }"#)?;
//! assert!(pattern.matches(r#"{"source": "aws.ec2", "detail": {"state": "running"}}"#));
//! assert!(!pattern.matches(r#"{"source": "aws.ec2", "detail": {"state": "initializing"}}"#));
//!
//! let answer = trailmatch::test_event_pattern(
//!     r#"{"detail-type": [{"prefix": "AWS API Call"}]}"#,
//!     r#"{"id": "1", "account": "111122223333", "source": "aws.s3", "time": "2024-01-01T00:00:00Z",
//!         "region": "us-east-1", "detail-type": "AWS API Call via CloudTrail", "detail": {}}"#,
//! )?;
//! assert_eq!(serde_json::to_string(&answer).unwrap(), r#"{"Result":true}"#);
//! # Ok::<(), trailmatch::Error>(())
//! ```
//!
//! Layers: [`syntax`](self) reads the pattern's JSON token by token (the tokens with nom) and
//! checks it as aws/event-ruler's `JsonRuleCompiler` does, into an [`EventPatternAst`] with byte
//! spans; [`reference`](mod@reference) is the slow, obvious evaluator;
//! [`EventPattern`](crate::EventPattern) and [`EventPatternSet`](crate::EventPatternSet) run the
//! program filter patterns compile to (`compile/event.rs` lowers event patterns into it), which
//! reads only the parts of the event the rules name, with `matcher` deciding only where array
//! consistency can change the answer; `Display` on the AST prints the canonical form (compact
//! JSON, one spelling per operator). Every decision taken where the EventBridge user guide is
//! silent is listed, with its source, in SYNTAX.md ("EventBridge event patterns").

pub mod ast;
pub(crate) mod matcher;
mod print;
pub mod reference;
mod request;
mod syntax;
pub mod value;

use std::collections::{BTreeMap, BTreeSet, HashSet};

pub use ast::EventPatternAst;
use ast::{AnythingBut, MatcherKind};
pub use request::TestEventPatternRequest;
use value::{Glob, GlobItem};

use crate::error::{Error, Span};

/// The limits an event pattern is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventPatternLimits {
    /// The event pattern size quota, in characters: 2048 by default, which AWS raises on request
    /// up to 4096.
    pub max_chars: usize,
    /// The most rule combinations the `$or`s of a pattern may make (EventBridge: 1000).
    pub max_rules: usize,
    /// The most wildcard states the `wildcard` and `anything-but` `wildcard` values of one field
    /// may keep open at once for some value (see SYNTAX.md; 6 by default).
    pub max_wildcard_complexity: usize,
    /// The deepest nesting of objects trailmatch reads (100; EventBridge's own limit is the size
    /// quota).
    pub max_depth: usize,
}

impl Default for EventPatternLimits {
    fn default() -> EventPatternLimits {
        EventPatternLimits {
            max_chars: MAX_EVENT_PATTERN_CHARS,
            max_rules: 1000,
            max_wildcard_complexity: 6,
            max_depth: 100,
        }
    }
}

impl EventPatternLimits {
    /// The default limits with another size quota (AWS allows up to 4096).
    pub fn with_max_chars(mut self, max_chars: usize) -> EventPatternLimits {
        self.max_chars = max_chars;
        self
    }

    /// The default limits with another wildcard complexity limit.
    pub fn with_max_wildcard_complexity(mut self, max: usize) -> EventPatternLimits {
        self.max_wildcard_complexity = max;
        self
    }
}

/// The default event pattern size quota, in characters.
pub const MAX_EVENT_PATTERN_CHARS: usize = 2048;

/// Parses and validates an event pattern with the default limits.
///
/// ```
/// let ast = trailmatch::parse_event_pattern(r#"{"source": ["aws.ec2"]}"#)?;
/// assert_eq!(ast.rules().len(), 1);
/// let e = trailmatch::parse_event_pattern(r#"{"source": "aws.ec2"}"#).unwrap_err();
/// assert_eq!(e.code(), "event-pattern-structure");
/// # Ok::<(), trailmatch::Error>(())
/// ```
pub fn parse_event_pattern(pattern: &str) -> Result<EventPatternAst, Error> {
    syntax::parse(pattern, &EventPatternLimits::default())
}

/// True when `text` reads as an event pattern rather than a filter pattern: a JSON object whose
/// first member starts with a quoted key, or the empty object. A JSON filter pattern's first
/// condition starts with `$`, `(` or `!`, and every other filter pattern does not start with
/// `{`; so the two languages never claim the same text, and a half-written pattern is judged by
/// the language its first characters choose (its errors are that language's).
///
/// ```
/// use trailmatch::is_event_pattern;
///
/// assert!(is_event_pattern(r#"{"source": ["aws.ec2"]}"#));
/// assert!(is_event_pattern(r#" { "detail": "#));
/// assert!(is_event_pattern("{}"));
/// assert!(!is_event_pattern(r#"{ $.eventName = "ConsoleLogin" }"#));
/// assert!(!is_event_pattern(r#"{ ($.a = 1) || ($.b = 2) }"#));
/// assert!(!is_event_pattern("ERROR"));
/// ```
pub fn is_event_pattern(text: &str) -> bool {
    let Some(inside) = text.trim_start().strip_prefix('{') else {
        return false;
    };
    matches!(inside.trim_start().as_bytes().first(), Some(b'"' | b'}'))
}

/// Parses and validates an event pattern with `limits`.
pub fn parse_event_pattern_with(
    pattern: &str,
    limits: &EventPatternLimits,
) -> Result<EventPatternAst, Error> {
    syntax::parse(pattern, limits)
}

// ---- wildcard complexity ------------------------------------------------------------------------

/// The wildcard complexity of each field, when above `max`: the number of wildcard states one value
/// can keep open at once (at least that many: the count stops once above `max`), and the span of
/// the field's last wildcard.
///
/// A state is open when the value read so far has reached a `*` of a glob (a `*` stays open once
/// reached). The count runs over the sets of glob positions values reach, breadth first over the
/// bytes that move some glob and one other byte, stopping above `max` or after
/// [`MAX_COMPLEXITY_SETS`] sets (past that, the count found so far is kept).
pub(crate) fn wildcard_complexity(ast: &EventPatternAst, max: usize) -> Option<(usize, Span)> {
    let mut by_path: BTreeMap<String, (Vec<&Glob>, Span)> = BTreeMap::new();
    let globbing = |kind: &MatcherKind| {
        matches!(
            kind,
            MatcherKind::Wildcard(_) | MatcherKind::AnythingBut(AnythingBut::Wildcards(_))
        )
    };
    for (path, m) in ast.matchers_where(globbing) {
        let globs: Vec<&Glob> = match &m.kind {
            MatcherKind::Wildcard(g) => vec![g],
            MatcherKind::AnythingBut(AnythingBut::Wildcards(gs)) => gs.iter().collect(),
            _ => continue,
        };
        let entry = by_path.entry(path).or_insert_with(|| (Vec::new(), m.span));
        for g in globs {
            // A glob without `*` never opens a state.
            if g.items.contains(&GlobItem::Star) && !entry.0.iter().any(|h| h.text == g.text) {
                entry.0.push(g);
            }
        }
        entry.1 = m.span;
    }
    by_path.into_values().find_map(|(globs, span)| {
        let complexity = open_stars(&globs, max);
        (complexity > max).then_some((complexity, span))
    })
}

/// Past this many sets of positions, the wildcard complexity count stops.
const MAX_COMPLEXITY_SETS: usize = 2_000;

/// The most `*` of `globs` one value keeps open at once, or a count above `max`.
fn open_stars(globs: &[&Glob], max: usize) -> usize {
    // The state: for each glob, its sorted positions (empty once it can no longer match).
    type State = Vec<Vec<usize>>;
    let closure = |g: &Glob, positions: BTreeSet<usize>| -> Vec<usize> {
        g.closure(positions).into_iter().collect()
    };
    let score = |state: &State| -> usize {
        globs
            .iter()
            .zip(state)
            .map(|(g, set)| {
                set.iter()
                    .filter(|&&i| g.items.get(i) == Some(&GlobItem::Star))
                    .count()
            })
            .sum()
    };
    let named: BTreeSet<u8> = globs
        .iter()
        .flat_map(|g| g.items.iter())
        .filter_map(|item| match item {
            GlobItem::Byte(b) => Some(*b),
            GlobItem::Star => None,
        })
        .collect();
    // A byte no glob names: it moves every open `*` and nothing else.
    let other = (0..=255u8).find(|b| !named.contains(b));
    let start: State = globs
        .iter()
        .map(|g| closure(g, BTreeSet::from([0])))
        .collect();
    let mut best = score(&start);
    let mut seen: HashSet<State> = HashSet::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(state) = queue.pop_front() {
        if best > max || seen.len() >= MAX_COMPLEXITY_SETS {
            break;
        }
        if !seen.insert(state.clone()) {
            continue;
        }
        // The bytes that move some glob from this state, and one other.
        let mut bytes: BTreeSet<u8> = globs
            .iter()
            .zip(&state)
            .flat_map(|(g, set)| {
                set.iter().filter_map(|&i| match g.items.get(i) {
                    Some(GlobItem::Byte(b)) => Some(*b),
                    _ => None,
                })
            })
            .collect();
        bytes.extend(other);
        for b in bytes {
            let next: State = globs
                .iter()
                .zip(&state)
                .map(|(g, set)| {
                    let moved: BTreeSet<usize> = set
                        .iter()
                        .filter_map(|&i| match g.items.get(i) {
                            Some(GlobItem::Star) => Some(i),
                            Some(GlobItem::Byte(x)) if *x == b => Some(i + 1),
                            _ => None,
                        })
                        .collect();
                    if moved.is_empty() {
                        Vec::new()
                    } else {
                        closure(g, moved)
                    }
                })
                .collect();
            best = best.max(score(&next));
            if !seen.contains(&next) {
                queue.push_back(next);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests;
