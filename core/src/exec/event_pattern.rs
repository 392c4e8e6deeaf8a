//! [`EventPattern`] and [`EventPatternSet`]: event patterns ([`crate::event`]) compiled into the
//! program filter patterns compile into, and the `TestEventPattern` answer.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::compile::program::{Limits, Program, Source, compile_sources};
use crate::dialect::Dialect;
use crate::error::{Error, ErrorKind, Origin, Span};
use crate::event::{EventPatternAst, EventPatternLimits, parse_event_pattern_with, reference};
use crate::json::{self, Json};

/// Many event patterns compiled into one program, as filter patterns are in a
/// [`PatternSet`](crate::PatternSet) (which may also hold event patterns: see
/// [`PatternSetBuilder::build_sources`](crate::PatternSetBuilder::build_sources)): one pass over
/// the event reads only the paths some pattern names, a prefilter rejects most events on their raw
/// text first, and a pattern's rules are evaluated only when one of their conditions holds.
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
    patterns: Vec<(String, EventPatternAst)>,
    program: Program,
}

impl EventPatternSet {
    /// Compiles every pattern; the error names the first one that is invalid.
    pub fn new<I, S>(patterns: I) -> Result<EventPatternSet, crate::SetError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let limits = EventPatternLimits::default();
        let patterns = patterns
            .into_iter()
            .enumerate()
            .map(|(index, p)| {
                let text = p.as_ref();
                parse_event_pattern_with(text, &limits)
                    .map(|ast| (text.to_owned(), ast))
                    .map_err(|error| crate::SetError {
                        index: Some(index),
                        error,
                    })
            })
            .collect::<Result<Vec<(String, EventPatternAst)>, _>>()?;
        let sources: Vec<Source<'_>> = patterns.iter().map(|(_, a)| Source::Event(a)).collect();
        let program = compile_sources(&sources, &Dialect::default(), &Limits::default())
            .map_err(|(index, error)| crate::SetError { index, error })?;
        Ok(EventPatternSet { patterns, program })
    }

    /// Indices (in input order) of the patterns that match `event`.
    pub fn matches(&self, event: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.matches_into(event, &mut out);
        out
    }

    /// [`EventPatternSet::matches`] into `out` (cleared first): a caller that matches many
    /// events with one vector allocates no new vector for their answers once it has grown.
    pub fn matches_into(&self, event: &str, out: &mut Vec<usize>) {
        self.program
            .matching(event, &Dialect::default(), &|_| None, false, out);
    }

    /// True when at least one pattern matches `event`.
    pub fn is_match(&self, event: &str) -> bool {
        self.program
            .is_match(event, &Dialect::default(), &|_| None, false)
    }

    /// [`EventPatternSet::matches`] for an event on a line that a
    /// [`LineFilter`](crate::LineFilter) of this set reported: see
    /// [`PatternSet::matches_reported`](crate::PatternSet::matches_reported).
    pub fn matches_reported(&self, event: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.matches_reported_into(event, &mut out);
        out
    }

    /// [`EventPatternSet::matches_reported`] into `out` (cleared first; see
    /// [`EventPatternSet::matches_into`]).
    pub fn matches_reported_into(&self, event: &str, out: &mut Vec<usize>) {
        self.program
            .matching(event, &Dialect::default(), &|_| None, true, out);
    }

    /// [`EventPatternSet::is_match`] for an event on a line that a
    /// [`LineFilter`](crate::LineFilter) of this set reported.
    pub fn is_match_reported(&self, event: &str) -> bool {
        self.program
            .is_match(event, &Dialect::default(), &|_| None, true)
    }

    /// A filter that finds the lines of a block an event of which the set may match: see
    /// [`PatternSet::line_filter`](crate::PatternSet::line_filter).
    pub fn line_filter(&self, markers: &[&str]) -> Option<crate::LineFilter> {
        crate::LineFilter::new(&self.program, markers)
    }

    /// The number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True for a set of no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The pattern texts, in input order.
    pub fn patterns(&self) -> impl ExactSizeIterator<Item = &str> {
        self.patterns.iter().map(|(text, _)| text.as_str())
    }

    /// The syntax trees, in input order.
    pub fn asts(&self) -> impl ExactSizeIterator<Item = &EventPatternAst> {
        self.patterns.iter().map(|(_, ast)| ast)
    }
}

/// A compiled EventBridge event pattern. Immutable, `Send + Sync` and cheap to share.
#[derive(Clone, Debug)]
pub struct EventPattern {
    text: String,
    ast: EventPatternAst,
    program: Program,
}

impl EventPattern {
    /// Parses, validates and compiles `pattern` with the default limits.
    pub fn new(pattern: &str) -> Result<EventPattern, Error> {
        EventPattern::with_limits(pattern, EventPatternLimits::default())
    }

    /// Parses, validates and compiles `pattern` with `limits`.
    pub fn with_limits(pattern: &str, limits: EventPatternLimits) -> Result<EventPattern, Error> {
        let ast = parse_event_pattern_with(pattern, &limits)?;
        let program = compile_sources(
            &[Source::Event(&ast)],
            &Dialect::default(),
            &Limits::default(),
        )
        .map_err(|(_, e)| e)?;
        Ok(EventPattern {
            text: pattern.to_owned(),
            ast,
            program,
        })
    }

    /// True when `event` (a JSON object) matches. Text that is not a JSON object matches nothing.
    pub fn matches(&self, event: &str) -> bool {
        self.program
            .is_match(event, &Dialect::default(), &|_| None, false)
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
