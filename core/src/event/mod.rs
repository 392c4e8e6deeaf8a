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
//! spans; [`reference`](mod@reference) is the slow, obvious evaluator; [`EventPattern`] matches with an
//! interpreter that reads only the parts of the event its rules name; `Display` on the AST prints
//! the canonical form (compact JSON, one spelling per operator). Every decision taken where
//! the EventBridge user guide is silent is listed, with its source, in SYNTAX.md ("EventBridge
//! event patterns").

pub mod ast;
mod matcher;
mod print;
pub mod reference;
mod request;
mod syntax;
pub mod value;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use ast::EventPatternAst;
use ast::{AnythingBut, MatcherKind};
pub use request::TestEventPatternRequest;
use value::{Glob, GlobItem};

use crate::error::{Error, ErrorKind, Origin, Span};
use crate::json::{self, Json};

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

/// Many event patterns matched together: each event is parsed once for all of them, and tried
/// only on the patterns it can match as far as an index of their exact strings tells (a pattern
/// whose every rule names one of some strings at a path, such as `{"eventName": ["A", "B"]}`,
/// is tried only on events holding one of them there). The patterns are not yet compiled into
/// one program, as filter patterns are in a [`PatternSet`](crate::PatternSet): each candidate's
/// rules still run on their own.
///
/// ```
/// use trailmatch::EventPatternSet;
///
/// let set = EventPatternSet::new([r#"{"source": ["aws.s3"]}"#, r#"{"detail": {"x": [1]}}"#])?;
/// assert_eq!(set.matches(r#"{"source": "aws.s3", "detail": {"x": 1}}"#), [0, 1]);
/// assert!(!set.is_match(r#"{"source": "aws.ec2"}"#));
/// # Ok::<(), trailmatch::SetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct EventPatternSet {
    patterns: Vec<EventPattern>,
    index: KeyIndex,
}

/// The patterns that require one of some strings at a path (an exact-string field in every
/// rule), by path and string: an event is tried only on the patterns whose strings it holds,
/// and on the others.
#[derive(Clone, Debug, Default)]
struct KeyIndex {
    /// Path → its index in `by_value`.
    paths: HashMap<String, usize>,
    /// Every path of `paths` and their dotted prefixes.
    reach: HashSet<String>,
    /// Per path: string → the patterns that accept it there.
    by_value: Vec<HashMap<String, Vec<usize>>>,
    /// Patterns with no such path: tried on every event.
    always: Vec<usize>,
}

impl KeyIndex {
    fn new(patterns: &[EventPattern]) -> KeyIndex {
        let mut index = KeyIndex::default();
        for (i, p) in patterns.iter().enumerate() {
            let Some((path, strings)) = p.matcher.required_strings() else {
                index.always.push(i);
                continue;
            };
            let next = index.paths.len();
            let slot = *index.paths.entry(path.to_owned()).or_insert(next);
            if slot == next {
                index.by_value.push(HashMap::new());
                matcher::prefixes(path, &mut index.reach);
            }
            if let Some(values) = index.by_value.get_mut(slot) {
                for s in strings {
                    let list = values.entry(s.to_owned()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        index
    }

    /// The patterns worth trying on `doc`, in order, without repeats.
    fn candidates(&self, doc: &Json) -> Vec<usize> {
        let mut out = self.always.clone();
        if !self.paths.is_empty() {
            let mut found: Vec<Vec<&str>> = vec![Vec::new(); self.by_value.len()];
            matcher::strings_at(doc, "", &self.reach, &self.paths, &mut found);
            for (values, strings) in self.by_value.iter().zip(&found) {
                for s in strings {
                    out.extend(values.get(*s).into_iter().flatten());
                }
            }
            out.sort_unstable();
            out.dedup();
        }
        out
    }
}

impl EventPatternSet {
    /// Compiles every pattern; the error names the first one that is invalid.
    pub fn new<I, S>(patterns: I) -> Result<EventPatternSet, crate::SetError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns = patterns
            .into_iter()
            .enumerate()
            .map(|(index, p)| {
                EventPattern::new(p.as_ref()).map_err(|error| crate::SetError {
                    index: Some(index),
                    error,
                })
            })
            .collect::<Result<Vec<EventPattern>, _>>()?;
        let index = KeyIndex::new(&patterns);
        Ok(EventPatternSet { patterns, index })
    }

    /// Indices (in input order) of the patterns that match `event`.
    pub fn matches(&self, event: &str) -> Vec<usize> {
        let Some(doc) = matcher::parse_object(event) else {
            return Vec::new();
        };
        let mut candidates = self.index.candidates(&doc);
        candidates.retain(|&i| {
            self.patterns
                .get(i)
                .is_some_and(|p| p.matcher.matches_doc(&doc))
        });
        candidates
    }

    /// True when at least one pattern matches `event`.
    pub fn is_match(&self, event: &str) -> bool {
        let Some(doc) = matcher::parse_object(event) else {
            return false;
        };
        self.index.candidates(&doc).into_iter().any(|i| {
            self.patterns
                .get(i)
                .is_some_and(|p| p.matcher.matches_doc(&doc))
        })
    }

    /// The number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True for a set of no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns, in input order.
    pub fn patterns(&self) -> &[EventPattern] {
        &self.patterns
    }
}

/// A compiled EventBridge event pattern. Immutable, `Send + Sync` and cheap to share.
#[derive(Clone, Debug)]
pub struct EventPattern {
    text: String,
    ast: EventPatternAst,
    matcher: matcher::Matcher,
}

impl EventPattern {
    /// Parses, validates and compiles `pattern` with the default limits.
    pub fn new(pattern: &str) -> Result<EventPattern, Error> {
        EventPattern::with_limits(pattern, EventPatternLimits::default())
    }

    /// Parses, validates and compiles `pattern` with `limits`.
    pub fn with_limits(pattern: &str, limits: EventPatternLimits) -> Result<EventPattern, Error> {
        let ast = syntax::parse(pattern, &limits)?;
        let matcher = matcher::Matcher::new(&ast);
        Ok(EventPattern {
            text: pattern.to_owned(),
            ast,
            matcher,
        })
    }

    /// True when `event` (a JSON object) matches. Text that is not a JSON object matches nothing.
    pub fn matches(&self, event: &str) -> bool {
        self.matcher.matches(event)
    }

    /// Same as [`EventPattern::matches`] (the filter-pattern API has both names).
    pub fn is_match(&self, event: &str) -> bool {
        self.matches(event)
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The syntax tree.
    pub fn ast(&self) -> &EventPatternAst {
        &self.ast
    }

    /// Which values and operators of the pattern hold for `event`, in pattern order, each with
    /// its span in the pattern (see [`reference::explain`]: each judged on its own); `None` when
    /// `event` is not a JSON object.
    ///
    /// ```
    /// use trailmatch::EventPattern;
    ///
    /// let pattern = EventPattern::new(r#"{"source": ["aws.ec2"], "detail": {"state": ["running"]}}"#)?;
    /// let outcomes = pattern.explain(r#"{"source": "aws.ec2", "detail": {"state": "stopped"}}"#).unwrap();
    /// let held: Vec<(&str, bool)> = outcomes.iter().map(|o| (o.condition.as_str(), o.holds)).collect();
    /// assert_eq!(held, [(r#""source": ["aws.ec2"]"#, true), (r#""detail.state": ["running"]"#, false)]);
    /// assert_eq!(&pattern.as_str()[outcomes[1].span.start..outcomes[1].span.end], r#""running""#);
    /// # Ok::<(), trailmatch::Error>(())
    /// ```
    pub fn explain(&self, event: &str) -> Option<Vec<crate::reference::ConditionOutcome>> {
        reference::explain(&self.ast, event)
    }

    /// The reference evaluator of the same pattern (for tests).
    pub fn reference(&self) -> reference::Evaluator {
        reference::Evaluator::new(&self.ast)
    }
}

impl fmt::Display for EventPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for EventPattern {
    type Err = Error;

    fn from_str(s: &str) -> Result<EventPattern, Error> {
        EventPattern::new(s)
    }
}

/// The answer of `TestEventPattern`: `{"Result": true}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEventPatternResponse {
    /// Whether the event matches the pattern.
    #[serde(rename = "Result")]
    pub result: bool,
}

/// The fields `TestEventPattern` requires of its event. The API reference also lists
/// `resources`, which EventBridge does not require (see SYNTAX.md).
pub const TEST_EVENT_REQUIRED_FIELDS: [&str; 6] =
    ["id", "account", "source", "time", "region", "detail-type"];

/// Answers a `TestEventPattern` request: the pattern's errors first (origin `EventPattern`), then
/// the event's (`Parameter Event is not valid.`, origin `Event`), then `{"Result": …}`.
pub fn test_event_pattern(
    event_pattern: &str,
    event: &str,
) -> Result<TestEventPatternResponse, Error> {
    let pattern = EventPattern::new(event_pattern)?;
    let invalid = |reason: String| {
        let kind = ErrorKind::InvalidEvent { reason };
        Error::new(kind, Origin::Event, event, Span::new(0, event.len()))
    };
    let doc = match json::parse(event) {
        Ok(doc @ Json::Object(_)) => doc,
        Ok(_) => return Err(invalid("the event must be a JSON object".into())),
        Err(e) => {
            return Err(invalid(format!(
                "the event is not JSON: {} at byte {}",
                e.reason, e.offset
            )));
        }
    };
    if let Some(missing) = TEST_EVENT_REQUIRED_FIELDS
        .iter()
        .find(|f| doc.get(f).is_none())
    {
        return Err(invalid(format!(
            "the event has no \"{missing}\" field; TestEventPattern requires id, account, \
             source, time, region and detail-type"
        )));
    }
    Ok(TestEventPatternResponse {
        result: pattern.matches(event),
    })
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
    for (path, m) in ast.matchers() {
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
