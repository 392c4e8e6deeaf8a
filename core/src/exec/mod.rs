//! The public matchers: [`Pattern`] and [`PatternSet`] run the compiled program of
//! [`crate::compile`] (`engine.rs`: one pass over the event that reads only the fields some
//! pattern needs, `scan.rs`: the JSON and space-delimited event scanners it uses). The reference
//! evaluator of [`crate::reference`] gives the same answers the slow, obvious way and is kept as
//! the oracle of the tests.

mod engine;
mod event;
pub(crate) mod event_pattern;
mod lines;
mod scan;

use std::fmt;

use crate::compile::program::{Limits, Program, Source, compile, compile_sources};
use crate::dialect::Dialect;
use crate::error::{Error, ErrorKind, Origin, Span};
use crate::event::EventPatternAst;
use crate::extracted::Extracted;
use crate::json::TopMembers;
use crate::reference::Evaluator;

use crate::syntax::ast::{Ast, PatternKind};
pub use engine::Candidates;
pub use lines::LineFilter;

/// A compiled filter pattern. Immutable, `Send + Sync` and cheap to share behind an `Arc`.
///
/// `Display` prints the canonical form; [`Pattern::as_str`] gives the text as written.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: String,
    evaluator: Evaluator,
    program: Program,
}

impl Pattern {
    /// Parses, validates and compiles a pattern with the default [`Dialect`].
    pub fn new(pattern: &str) -> Result<Pattern, Error> {
        Pattern::with_dialect(pattern, Dialect::default())
    }

    /// Parses, validates and compiles a pattern with `dialect`.
    pub fn with_dialect(pattern: &str, dialect: Dialect) -> Result<Pattern, Error> {
        PatternBuilder::new().dialect(dialect).build(pattern)
    }

    /// Options for compiling a pattern: dialect and limits.
    pub fn builder() -> PatternBuilder {
        PatternBuilder::new()
    }

    /// True when `event` matches.
    pub fn is_match(&self, event: &str) -> bool {
        let evaluator = |_| Some(&self.evaluator);
        self.program
            .is_match(event, self.evaluator.dialect(), &evaluator, false)
    }

    /// True when `event` matches: the same as [`Pattern::is_match`].
    pub fn matches(&self, event: &str) -> bool {
        self.is_match(event)
    }

    /// The values a match extracts (TestMetricFilter's `extractedValues`), or `None` when
    /// `event` does not match.
    pub fn test(&self, event: &str) -> Option<Extracted> {
        let evaluator = |_| Some(&self.evaluator);
        let mut hits = self
            .program
            .run(event, self.evaluator.dialect(), &evaluator, false);
        hits.pop().map(|(_, extracted)| extracted)
    }

    /// For a JSON pattern, each condition with whether it holds for `event` (an empty list when
    /// the event is not a JSON object); `None` for other kinds of pattern.
    pub fn explain(&self, event: &str) -> Option<Vec<crate::reference::ConditionOutcome>> {
        self.evaluator.explain(event)
    }

    /// Which language the pattern is written in.
    pub fn kind(&self) -> PatternKind {
        self.evaluator.ast().kind()
    }

    /// The syntax tree.
    pub fn ast(&self) -> &Ast {
        self.evaluator.ast()
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The dialect it was compiled with.
    pub fn dialect(&self) -> &Dialect {
        self.evaluator.dialect()
    }

    /// The reference evaluator of this pattern.
    pub fn reference(&self) -> &Evaluator {
        &self.evaluator
    }
}

impl fmt::Display for Pattern {
    /// The canonical form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.evaluator.ast().fmt(f)
    }
}

/// Options for compiling one [`Pattern`]: the dialect and the [`Limits`] on what it compiles to
/// (for patterns from untrusted sources, such as a web page's input). `Limits::max_patterns`
/// does not apply to one pattern.
///
/// ```
/// use trailmatch::{Dialect, Limits, PatternBuilder};
///
/// let mut limits = Limits::default();
/// limits.max_automaton_bytes = 1000;
/// let pattern = PatternBuilder::new()
///     .dialect(Dialect::default())
///     .limits(limits)
///     .build("{ $.eventName = Delete* }")?;
/// assert!(pattern.is_match(r#"{"eventName":"DeleteBucket"}"#));
/// let too_large = PatternBuilder::new().limits(limits).build("{ $.a = %[a-z]{50}x% }");
/// assert_eq!(too_large.unwrap_err().code(), "automaton-too-large");
/// # Ok::<(), trailmatch::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct PatternBuilder {
    dialect: Dialect,
    limits: Limits,
}

impl PatternBuilder {
    /// The defaults: [`Dialect::default`] and [`Limits::default`].
    pub fn new() -> PatternBuilder {
        PatternBuilder::default()
    }

    /// Compile with `dialect`.
    pub fn dialect(mut self, dialect: Dialect) -> PatternBuilder {
        self.dialect = dialect;
        self
    }

    /// Compile within `limits`.
    pub fn limits(mut self, limits: Limits) -> PatternBuilder {
        self.limits = limits;
        self
    }

    /// Parses, validates and compiles `pattern`.
    pub fn build(&self, pattern: &str) -> Result<Pattern, Error> {
        let ast = crate::syntax::parse_with(pattern, &self.dialect)?;
        // The evaluator first, as in a set: a regex over its own limit is refused as
        // regex-too-large at its place, before the program's automata are built from it.
        let evaluator = Evaluator::new(ast, pattern, self.dialect)?;
        let program =
            compile(&[evaluator.ast()], &self.dialect, &self.limits).map_err(|(_, e)| e)?;
        Ok(Pattern {
            text: pattern.to_owned(),
            evaluator,
            program,
        })
    }
}

/// Many patterns compiled into one program, asked together which of them match an event.
/// Immutable and `Send + Sync`; its cost per event grows with what the event contains, not with
/// the number of patterns.
#[derive(Clone, Debug)]
pub struct PatternSet {
    patterns: Vec<Pattern0>,
    dialect: Dialect,
    program: Program,
    /// The limits it was compiled within, for [`PatternSet::to_patterns`].
    limits: Limits,
}

/// A pattern of a set: its text and its reference evaluator or syntax tree (the set's program
/// does the matching).
#[derive(Clone, Debug)]
struct Pattern0 {
    text: String,
    kind: Kind0,
}

#[derive(Clone, Debug)]
enum Kind0 {
    Filter(Evaluator),
    Event(EventPatternAst),
}

impl Pattern0 {
    fn evaluator(&self) -> Option<&Evaluator> {
        match &self.kind {
            Kind0::Filter(e) => Some(e),
            Kind0::Event(_) => None,
        }
    }

    fn source(&self) -> Source<'_> {
        match &self.kind {
            Kind0::Filter(e) => Source::Filter(e.ast()),
            Kind0::Event(ast) => Source::Event(ast),
        }
    }
}

/// A pattern of a set and its language, for [`PatternSetBuilder::build_sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternSource<S> {
    /// A CloudWatch Logs filter pattern.
    Filter(S),
    /// An EventBridge event pattern (checked with the default [`crate::EventPatternLimits`]).
    Event(S),
}

/// Why a set did not compile: the error, and the index of the pattern it is about (none when it
/// is about the set as a whole, such as a limit on its size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetError {
    /// 0-based position of the pattern in the input, when one pattern is at fault.
    pub index: Option<usize>,
    /// Why it was rejected.
    pub error: Error,
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(index) = self.index {
            writeln!(f, "pattern {index} of the set:")?;
        }
        self.error.fmt(f)
    }
}

impl std::error::Error for SetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Options for compiling a [`PatternSet`]: the dialect and the limits.
#[derive(Clone, Debug, Default)]
pub struct PatternSetBuilder {
    dialect: Dialect,
    limits: Limits,
}

impl PatternSetBuilder {
    /// The defaults: [`Dialect::default`] and [`Limits::default`].
    pub fn new() -> PatternSetBuilder {
        PatternSetBuilder::default()
    }

    /// Compile with `dialect`.
    pub fn dialect(mut self, dialect: Dialect) -> PatternSetBuilder {
        self.dialect = dialect;
        self
    }

    /// Compile within `limits`.
    pub fn limits(mut self, limits: Limits) -> PatternSetBuilder {
        self.limits = limits;
        self
    }

    /// Compiles `patterns` into one set.
    pub fn build<I, S>(&self, patterns: I) -> Result<PatternSet, SetError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.build_sources(patterns.into_iter().map(PatternSource::Filter))
    }

    /// Compiles filter patterns and EventBridge event patterns into one set: one pass over an
    /// event serves both kinds (an event pattern matches JSON objects only, as
    /// [`crate::EventPattern`] does).
    ///
    /// ```
    /// use trailmatch::{PatternSet, PatternSource};
    ///
    /// let set = PatternSet::builder().build_sources([
    ///     PatternSource::Filter(r#"{ $.eventName = "ConsoleLogin" }"#),
    ///     PatternSource::Event(r#"{"eventName": ["ConsoleLogin"], "errorMessage": [{"exists": true}]}"#),
    /// ])?;
    /// assert_eq!(set.matches(r#"{"eventName": "ConsoleLogin"}"#), [0]);
    /// assert_eq!(set.matches(r#"{"eventName": "ConsoleLogin", "errorMessage": "Failed"}"#), [0, 1]);
    /// # Ok::<(), trailmatch::SetError>(())
    /// ```
    pub fn build_sources<I, S>(&self, patterns: I) -> Result<PatternSet, SetError>
    where
        I: IntoIterator<Item = PatternSource<S>>,
        S: AsRef<str>,
    {
        let mut parsed = Vec::new();
        let event_limits = crate::EventPatternLimits::default();
        for (index, p) in patterns.into_iter().enumerate() {
            if parsed.len() >= self.limits.max_patterns {
                let count = index + 1;
                let kind = ErrorKind::TooManyPatterns {
                    count,
                    max: self.limits.max_patterns,
                };
                let error = Error::new(kind, Origin::FilterPattern, "", Span::default());
                return Err(SetError { index: None, error });
            }
            let set_error = |error| SetError {
                index: Some(index),
                error,
            };
            let (text, kind) = match &p {
                PatternSource::Filter(text) => {
                    let text = text.as_ref();
                    let ast = crate::syntax::parse_with(text, &self.dialect).map_err(set_error)?;
                    let evaluator = Evaluator::new(ast, text, self.dialect).map_err(set_error)?;
                    (text, Kind0::Filter(evaluator))
                }
                PatternSource::Event(text) => {
                    let text = text.as_ref();
                    let ast = crate::event::parse_event_pattern_with(text, &event_limits)
                        .map_err(set_error)?;
                    (text, Kind0::Event(ast))
                }
            };
            parsed.push(Pattern0 {
                text: text.to_owned(),
                kind,
            });
        }
        let inputs: Vec<Source<'_>> = parsed.iter().map(Pattern0::source).collect();
        let program = compile_sources(&inputs, &self.dialect, &self.limits)
            .map_err(|(index, error)| SetError { index, error })?;
        Ok(PatternSet {
            patterns: parsed,
            dialect: self.dialect,
            program,
            limits: self.limits,
        })
    }
}

impl PatternSet {
    /// Compiles every pattern with the default [`Dialect`] and [`Limits`].
    pub fn new<I, S>(patterns: I) -> Result<PatternSet, SetError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        PatternSetBuilder::new().build(patterns)
    }

    /// Compiles every pattern with `dialect`.
    pub fn with_dialect<I, S>(patterns: I, dialect: Dialect) -> Result<PatternSet, SetError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        PatternSetBuilder::new().dialect(dialect).build(patterns)
    }

    /// Options for compiling a set: dialect and limits.
    pub fn builder() -> PatternSetBuilder {
        PatternSetBuilder::new()
    }

    /// Indices (in input order) of the patterns that match `event`.
    pub fn matches(&self, event: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.matches_into(event, &mut out);
        out
    }

    /// [`PatternSet::matches`] into `out` (cleared first): a caller that matches many events
    /// with one vector allocates no new vector for their answers once it has grown.
    ///
    /// ```
    /// use trailmatch::PatternSet;
    ///
    /// let set = PatternSet::new(["ERROR", "timeout", "{ $.level = \"ERROR\" }"]).unwrap();
    /// let mut out = Vec::new();
    /// set.matches_into("ERROR: timeout", &mut out);
    /// assert_eq!(out, [0, 1]);
    /// set.matches_into(r#"{"level":"ERROR"}"#, &mut out);
    /// assert_eq!(out, [0, 2]);
    /// set.matches_into("fine", &mut out);
    /// assert!(out.is_empty());
    /// ```
    pub fn matches_into(&self, event: &str, out: &mut Vec<usize>) {
        self.matching(event, false, out);
    }

    /// [`PatternSet::matches_into`], or with `reported`, [`PatternSet::matches_reported_into`].
    fn matching(&self, event: &str, reported: bool, out: &mut Vec<usize>) {
        let evaluator = |p: u32| self.patterns.get(p as usize).and_then(Pattern0::evaluator);
        self.program
            .matching(event, &self.dialect, &evaluator, reported, out);
    }

    /// Each matching pattern's index with the values it extracts.
    pub fn test(&self, event: &str) -> Vec<(usize, Extracted)> {
        let evaluator = |p: u32| self.patterns.get(p as usize).and_then(Pattern0::evaluator);
        self.program.run(event, &self.dialect, &evaluator, false)
    }

    /// False when no pattern of the set can match `event`, found by the set's prefilter alone
    /// (a search for the texts every match needs, without reading the JSON); true says nothing.
    /// A reader that reads every record anyway can ask this first, and find the top-level
    /// members of only the records that pass for [`PatternSet::test_members`].
    pub fn may_match(&self, event: &str) -> bool {
        self.program.may_match(event)
    }

    /// [`PatternSet::test`] of an event whose reader has checked it and found its top-level
    /// members: the same answer, reading only the values of the members some pattern reaches
    /// (a record's `requestParameters` and `responseElements`, say, are passed over unread).
    /// The prefilter is not run again: this is for events [`PatternSet::may_match`] passed (of
    /// another, the answer is the same, found more slowly).
    ///
    /// The caller vouches for `event`: it is one valid JSON object (RFC 8259: no control
    /// character in a string, the escapes of section 7 with any four hex digits after `\u`,
    /// at most 512 nested levels, only blanks after it), and `members` lists its top-level
    /// members in order, each key without escapes ([`TopMembers::push`]). Of another text the
    /// answer is unspecified (but never a panic). `trailmatch-cloudtrail`'s classification reads
    /// every record this way and hands over what it found.
    ///
    /// ```
    /// use trailmatch::{PatternSet, json::TopMembers};
    ///
    /// let set = PatternSet::new([r#"{ $.eventName = "StopLogging" }"#])?;
    /// let record = r#"{"eventName":"StopLogging","requestParameters":{"name":"trail"}}"#;
    /// // What the reader found: each key (its bytes between the quotes), where its value starts.
    /// let mut members = TopMembers::default();
    /// members.push(2, 11, 13);
    /// members.push(28, 45, 47);
    /// assert!(set.may_match(record));
    /// assert_eq!(set.test_members(record, &members), set.test(record));
    /// # Ok::<(), trailmatch::SetError>(())
    /// ```
    pub fn test_members(&self, event: &str, members: &TopMembers) -> Vec<(usize, Extracted)> {
        let evaluator = |p: u32| self.patterns.get(p as usize).and_then(Pattern0::evaluator);
        self.program
            .run_members(event, members, None, &self.dialect, &evaluator)
    }

    /// [`PatternSet::may_match`], telling in `candidates` which patterns may match `event` (in
    /// a set of JSON filter patterns alone; of other sets, and of an event with an escape that
    /// may spell what a pattern needs otherwise, any pattern may), for
    /// [`PatternSet::test_candidates`].
    pub fn candidates(&self, event: &str, candidates: &mut Candidates) -> bool {
        self.program.candidates(event, candidates)
    }

    /// [`PatternSet::test_members`] of an event whose `candidates` [`PatternSet::candidates`]
    /// found: the same answer, reading only the members the candidate patterns select. (With
    /// candidates found for another event, the answer is unspecified, but never a panic.)
    ///
    /// ```
    /// use trailmatch::{Candidates, PatternSet, json::TopMembers};
    ///
    /// let set = PatternSet::new([
    ///     r#"{ $.eventName = "StopLogging" }"#,
    ///     r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }"#,
    /// ])?;
    /// let record = r#"{"eventName":"StopLogging","userIdentity":{"type":"IAMUser"}}"#;
    /// let mut candidates = Candidates::default();
    /// // Only the first pattern's texts occur: `userIdentity` is left unread.
    /// assert!(set.candidates(record, &mut candidates));
    /// let mut members = TopMembers::default();
    /// members.push(2, 11, 13);
    /// members.push(28, 40, 42);
    /// let hits = set.test_candidates(record, &members, &candidates);
    /// assert_eq!(hits.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0]);
    /// # Ok::<(), trailmatch::SetError>(())
    /// ```
    pub fn test_candidates(
        &self,
        event: &str,
        members: &TopMembers,
        candidates: &Candidates,
    ) -> Vec<(usize, Extracted)> {
        let evaluator = |p: u32| self.patterns.get(p as usize).and_then(Pattern0::evaluator);
        self.program
            .run_members(event, members, Some(candidates), &self.dialect, &evaluator)
    }

    /// True when at least one pattern matches `event`: what `!matches(event).is_empty()` says,
    /// but it stops at the first pattern found to match and builds no list.
    pub fn is_match(&self, event: &str) -> bool {
        let evaluator = |p: u32| self.patterns.get(p as usize).and_then(Pattern0::evaluator);
        self.program
            .is_match(event, &self.dialect, &evaluator, false)
    }

    /// [`PatternSet::matches`] for an event on a line that a [`LineFilter`] of this set
    /// reported: the same answer, without looking again for what the filter looked for (the
    /// texts every match needs). On any other event the answer is still the same, only slower.
    pub fn matches_reported(&self, event: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.matches_reported_into(event, &mut out);
        out
    }

    /// [`PatternSet::matches_reported`] into `out` (cleared first; see
    /// [`PatternSet::matches_into`]).
    pub fn matches_reported_into(&self, event: &str, out: &mut Vec<usize>) {
        self.matching(event, true, out);
    }

    /// [`PatternSet::test`] for an event on a line that a [`LineFilter`] of this set reported
    /// (see [`PatternSet::matches_reported`]).
    pub fn test_reported(&self, event: &str) -> Vec<(usize, Extracted)> {
        let evaluator = |p: u32| self.patterns.get(p as usize).and_then(Pattern0::evaluator);
        self.program.run(event, &self.dialect, &evaluator, true)
    }

    /// [`PatternSet::is_match`] for an event on a line that a [`LineFilter`] of this set
    /// reported (see [`PatternSet::matches_reported`]).
    pub fn is_match_reported(&self, event: &str) -> bool {
        let evaluator = |p: u32| self.patterns.get(p as usize).and_then(Pattern0::evaluator);
        self.program
            .is_match(event, &self.dialect, &evaluator, true)
    }

    /// The pattern texts, in input order.
    pub fn patterns(&self) -> impl ExactSizeIterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }

    /// A filter that finds, in a block of many lines, those an event of which the set may
    /// match, with one search of the whole block; it also finds the lines holding any of
    /// `markers` (texts a reader must look at, such as `"Records"`). `None` when some pattern
    /// may match an event without any text the prefilter can search for (`{ $.x NOT EXISTS }`),
    /// or when the texts to search for are too many for one SIMD search (more than a few
    /// hundred): the caller then reads every line.
    ///
    /// ```
    /// use trailmatch::PatternSet;
    ///
    /// let set = PatternSet::new([r#"{ $.errorCode = "AccessDenied*" }"#]).unwrap();
    /// let filter = set.line_filter(&[]).unwrap();
    /// let block = "{\"eventName\":\"GetObject\"}\n{\"errorCode\":\"AccessDenied\"}\n";
    /// let mut lines = Vec::new();
    /// filter.lines(block.as_bytes(), &mut lines);
    /// assert_eq!(lines, [(26..54, false)]);
    /// assert!(set.is_match(&block[26..54]));
    /// ```
    pub fn line_filter(&self, markers: &[&str]) -> Option<LineFilter> {
        LineFilter::new(&self.program, markers)
    }

    /// Each pattern as a [`Pattern`] of its own, in input order: from what the set already
    /// parsed and validated (nothing is parsed again), each compiled alone within the set's
    /// limits. The set itself compiles them only together, so this costs about what building
    /// the set did: callers keep the answer.
    ///
    /// # Errors
    /// When a pattern alone goes over a limit that the set as a whole did not (a pattern alone
    /// may get a prefilter automaton that the set has no use for), and for an event pattern of a
    /// set built by [`PatternSetBuilder::build_sources`], which is no filter pattern: its error
    /// is the one the filter-pattern parser gives for its text.
    pub fn to_patterns(&self) -> Result<Vec<Pattern>, SetError> {
        self.patterns
            .iter()
            .enumerate()
            .map(|(index, p)| {
                let Kind0::Filter(evaluator) = &p.kind else {
                    let error = match crate::syntax::parse_with(&p.text, &self.dialect) {
                        Err(error) => error,
                        // An event pattern is a JSON object: the filter parser wants `$` after
                        // its `{` and refuses it.
                        Ok(_) => Error::new(
                            ErrorKind::Expected {
                                expected: "a filter pattern".into(),
                                found: "an EventBridge event pattern".into(),
                            },
                            Origin::FilterPattern,
                            &p.text,
                            Span::new(0, p.text.len()),
                        ),
                    };
                    return Err(SetError {
                        index: Some(index),
                        error,
                    });
                };
                let program = compile(&[evaluator.ast()], &self.dialect, &self.limits).map_err(
                    |(_, error)| SetError {
                        index: Some(index),
                        error,
                    },
                )?;
                Ok(Pattern {
                    text: p.text.clone(),
                    evaluator: evaluator.clone(),
                    program,
                })
            })
            .collect()
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True for a set of no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    /// The top-level members of a compact object whose top-level keys are `keys`, each met once
    /// as `"key":` (what a reader that checked the text would hand over).
    fn members_of(json: &str, keys: &[&str]) -> TopMembers {
        let mut found: Vec<(usize, usize, usize)> = keys
            .iter()
            .map(|k| {
                let at = json.find(&format!("\"{k}\":")).unwrap() + 1;
                (at, at + k.len(), at + k.len() + 2)
            })
            .collect();
        found.sort_unstable();
        let mut members = TopMembers::default();
        for (key_start, key_end, value_start) in found {
            members.push(key_start, key_end, value_start);
        }
        members
    }

    /// Where candidates may not restrict, they do not: a text a pattern needs spelt with an
    /// escape, a set with an event pattern (whose paths are no filter selector's), and a
    /// `Candidates` never filled. Where they do, only the candidates' members are read, with the
    /// whole event's answer.
    #[test]
    fn candidates_restrict_only_where_they_may() {
        let filters = PatternSet::new([
            r#"{ $.eventName = "Stop*" }"#,
            r#"{ $.userIdentity.type = "Root" && $.errorCode NOT EXISTS }"#,
        ])
        .unwrap();
        let escaped = r#"{"eventName":"GetObject","userIdentity":{"type":"R\u006fot"}}"#;
        let members = members_of(escaped, &["eventName", "userIdentity"]);
        let mut candidates = Candidates::default();
        assert!(filters.candidates(escaped, &mut candidates));
        assert!(candidates.all, "an escape may hide `Root`");
        assert_eq!(filters.test(escaped).len(), 1);
        assert_eq!(
            filters.test_candidates(escaped, &members, &candidates),
            filters.test(escaped)
        );
        // Without the escape, only the first pattern's text occurs: the second is no candidate
        // and `userIdentity` is not read (its `NOT EXISTS` neighbour is not evaluated either).
        let plain = r#"{"eventName":"StopLogging","userIdentity":{"type":"IAMUser"}}"#;
        let members = members_of(plain, &["eventName", "userIdentity"]);
        assert!(filters.candidates(plain, &mut candidates));
        assert!(!candidates.all);
        assert!(candidates.patterns.contains(0) && !candidates.patterns.contains(1));
        assert_eq!(
            filters.test_candidates(plain, &members, &candidates),
            filters.test(plain)
        );
        // A fresh `Candidates` restricts nothing.
        assert_eq!(
            filters.test_candidates(
                escaped,
                &members_of(escaped, &["eventName", "userIdentity"]),
                &Candidates::default()
            ),
            filters.test(escaped)
        );

        let mixed = PatternSet::builder()
            .build_sources([
                PatternSource::Filter(r#"{ $.eventName = "GetObject" }"#),
                PatternSource::Event(r#"{"userIdentity": {"type": ["Root"]}}"#),
            ])
            .unwrap();
        let record = r#"{"eventName":"GetObject","userIdentity":{"type":"Root"}}"#;
        let members = members_of(record, &["eventName", "userIdentity"]);
        assert!(mixed.candidates(record, &mut candidates));
        assert!(
            candidates.all,
            "an event pattern reads what no selector names"
        );
        assert_eq!(mixed.test(record).len(), 2);
        assert_eq!(
            mixed.test_candidates(record, &members, &candidates),
            mixed.test(record)
        );
    }

    #[test]
    fn matchers_are_send_and_sync() {
        assert_send_sync::<Pattern>();
        assert_send_sync::<PatternSet>();
        assert_send_sync::<Error>();
    }

    #[test]
    fn set_reports_the_failing_index() {
        let err = PatternSet::new(["ERROR", "{ $.a = 1", "WARN"]).unwrap_err();
        assert_eq!(err.index, Some(1));
        assert_eq!(err.error.code(), "unclosed-brace");
    }

    /// The prefilter rejects events without its literals, but never one where a JSON escape
    /// could spell a literal differently.
    #[test]
    fn prefilter_never_rejects_a_literal_hidden_behind_an_escape() {
        let set = PatternSet::new([
            r#"{ $.eventName = "ConsoleLogin" }"#,
            r#"{ $.path = "a/b*" }"#,
        ])
        .unwrap();
        assert!(set.program.prefilter.is_some());
        assert_eq!(set.matches(r#"{"eventName":"ConsoleLogin"}"#), [0]);
        assert_eq!(set.matches(r#"{"eventName":"\u0043onsoleLogin"}"#), [0]);
        assert_eq!(set.matches(r#"{"path":"a\/bc"}"#), [1]);
        assert!(set.matches(r#"{"eventName":"GetObject"}"#).is_empty());
        assert!(set.matches(r#"{"eventName":"Console\nLogin"}"#).is_empty());
    }

    /// Values no selector reaches into are skipped by a loop of their own: the same syntax and
    /// the same depth limit as where selectors look, objects and arrays mixed.
    #[test]
    fn skipped_values_keep_the_syntax_and_the_depth_limit() {
        let pattern = Pattern::new("{ $.a = 1 }").unwrap();
        let nested = |n: usize| {
            let open: String = (0..n)
                .map(|i| if i % 2 == 0 { "[" } else { "{\"k\":" })
                .collect();
            let close: String = (0..n)
                .rev()
                .map(|i| if i % 2 == 0 { "]" } else { "}" })
                .collect();
            format!(r#"{{"a":1,"b":{open}0{close}}}"#)
        };
        for n in [1, 2, 509, 510, 511, 512, 600] {
            let event = nested(n);
            let want = pattern.reference().test(&event).is_some();
            assert_eq!(pattern.is_match(&event), want, "depth {n}");
        }
        assert!(pattern.is_match(&nested(400)));
        assert!(!pattern.is_match(&nested(600)));
        for bad in [
            r#"{"a":1,"b":[1,]}"#,
            r#"{"a":1,"b":{"k" 1}}"#,
            r#"{"a":1,"b":{"k":1,}}"#,
            r#"{"a":1,"b":[1 2]}"#,
            r#"{"a":1,"b":{1:2}}"#,
            r#"{"a":1,"b":"\x"}"#,
            r#"{"a":1,"b":[tru]}"#,
            r#"{"a":1,"b":{"k":[}]}"#,
            r#"{"a":1,"b":01}"#,
        ] {
            assert!(!pattern.is_match(bad), "{bad}");
            assert!(pattern.reference().test(bad).is_none(), "{bad}");
        }
        assert!(pattern.is_match(r#"{"a":1,"b":[{},[],{"k":[1,{"x":null}]},"s\n",-1.5e3,true]}"#));
    }

    /// A key repeated where a selector looks is answered by the reference reader: the last wins.
    #[test]
    fn repeated_keys_on_a_selector_path_follow_the_last_one() {
        let set = PatternSet::new(["{ $.a.b = 1 }", "{ $.a.b = 2 }", "{ $.* = 3 }"]).unwrap();
        assert_eq!(set.matches(r#"{"a":{"b":1},"a":{"b":2}}"#), [1]);
        assert_eq!(set.matches(r#"{"a":{"b":2},"a":{"b":1}}"#), [0]);
        assert_eq!(set.matches(r#"{"x":1,"x":3}"#), [2]);
        assert!(
            set.matches(r#"{"x":3,"x":1}"#).is_empty(),
            "under .* too, the last one wins"
        );
        assert!(
            set.matches(r#"{"a":{"b":1}} trailing"#).is_empty(),
            "not one JSON value"
        );
    }

    /// `PatternSet::is_match` says what `!matches(..).is_empty()` says, for every kind of
    /// pattern, the match-all ones, the prefilter and the duplicate-key fallback.
    #[test]
    fn set_is_match_agrees_with_matches() {
        let sets = [
            vec!["ERROR", r#"{ $.level = "ERROR" }"#, "[level=ERROR, msg]"],
            vec![r#"{ $.eventName = "ConsoleLogin" }"#, r#"{ $.a.b = 2 }"#],
            vec!["-ERROR", "{ $.a != 5 }"],
            vec!["", "{ $.a = 1 }"],
            vec!["[a, b != 5]", "%^x%"],
        ];
        let events = [
            "ERROR disk full",
            r#"{"level":"ERROR"}"#,
            r#"{"eventName":"ConsoleLogin"}"#,
            r#"{"eventName":"\u0043onsoleLogin"}"#,
            r#"{"a":{"b":1},"a":{"b":2}}"#,
            r#"{"a":"abc"}"#,
            r#"{"a":5}"#,
            "x y 5",
            "x y",
            "INFO ok",
            "",
        ];
        for patterns in &sets {
            let set = PatternSet::new(patterns).unwrap();
            for event in events {
                let all = set.matches(event);
                assert_eq!(
                    set.is_match(event),
                    !all.is_empty(),
                    "{patterns:?} {event:?}"
                );
                for (i, p) in patterns.iter().enumerate() {
                    let single = Pattern::new(p).unwrap();
                    assert_eq!(single.is_match(event), all.contains(&i), "{p:?} {event:?}");
                    assert_eq!(single.is_match(event), single.matches(event));
                }
            }
        }
    }

    /// `Limits` reach a single pattern through `PatternBuilder`, with the limit's own error; the
    /// default builder compiles the same patterns.
    #[test]
    fn pattern_builder_enforces_limits() {
        let globs = r#"{ $.e = "Describe*" || $.e = "*Bucket" || $.e = "*Key*" }"#;
        let tight = Limits {
            max_wildcards_per_selector: 2,
            ..Limits::default()
        };
        let e = PatternBuilder::new()
            .limits(tight)
            .build(globs)
            .unwrap_err();
        assert_eq!(e.code(), "wildcard-complexity");
        assert!(PatternBuilder::new().build(globs).is_ok());
        // A regex counts once, however many globs it is tested as.
        let literals = r#"{ $.e = %^Create|^Delete|^Put% || $.e = "*Key*" }"#;
        assert!(PatternBuilder::new().limits(tight).build(literals).is_ok());
        let three = r#"{ $.e = %^Create|^Delete% || $.e = "*Key*" || $.e = %x$% }"#;
        let e = PatternBuilder::new()
            .limits(tight)
            .build(three)
            .unwrap_err();
        assert_eq!(e.code(), "wildcard-complexity");
        let regex = "{ $.a = %[a-z]{50}x% }";
        let small = Limits {
            max_automaton_bytes: 1000,
            ..Limits::default()
        };
        let e = Pattern::builder().limits(small).build(regex).unwrap_err();
        assert_eq!(e.code(), "automaton-too-large");
        assert!(Pattern::new(regex).is_ok());
        // The dialect reaches the pattern too.
        let lenient = Dialect {
            allow_blanks_around_brackets: true,
            ..Dialect::default()
        };
        let p = PatternBuilder::new()
            .dialect(lenient)
            .build(" [a] ")
            .unwrap();
        assert_eq!(p.dialect(), &lenient);
        assert!(PatternBuilder::new().build(" [a] ").is_err());
    }

    /// The set's patterns on their own: the same texts and dialect, each answering as the set
    /// does for it.
    #[test]
    fn to_patterns_gives_each_pattern_alone() {
        let dialect = Dialect {
            event_number_base: 0,
            ..Dialect::default()
        };
        let set = PatternSet::with_dialect(["ERROR", "{ $.a = 1 }", "[x, y=2]"], dialect).unwrap();
        let alone = set.to_patterns().unwrap();
        let texts: Vec<&str> = alone.iter().map(Pattern::as_str).collect();
        assert_eq!(texts, set.patterns().collect::<Vec<_>>());
        assert!(alone.iter().all(|p| *p.dialect() == dialect));
        for (i, event) in ["ERROR x", r#"{"a":1}"#, "a 2"].into_iter().enumerate() {
            assert_eq!(set.matches(event), [i], "{event}");
            let matching: Vec<bool> = alone.iter().map(|p| p.matches(event)).collect();
            assert_eq!(
                matching,
                (0..3).map(|j| j == i).collect::<Vec<_>>(),
                "{event}"
            );
            assert_eq!(alone[i].test(event), set.test(event).pop().map(|(_, e)| e));
        }
    }

    #[test]
    fn set_answers_like_each_pattern() {
        let set = PatternSet::new([
            "ERROR",
            "{ $.level = \"ERROR\" }",
            "[level=ERROR, msg]",
            "-ERROR",
        ])
        .unwrap();
        assert_eq!(set.matches("ERROR disk full"), vec![0, 2]);
        assert_eq!(set.matches(r#"{"level":"ERROR"}"#), vec![0, 1]);
        assert_eq!(set.matches("INFO ok"), vec![3]);
    }

    /// Random sets of JSON filter patterns (selectors through `*`, indices and quoted keys; globs,
    /// `IS`, `NOT EXISTS`, `!=`, numbers; `||` and `&&`; many values of one key, which the
    /// prefilter then probes) against random objects (repeated keys, arrays, escapes, blanks):
    /// `test_candidates` with the candidates of the same event, found after those of another,
    /// answers what `test` answers, and `candidates` what `may_match` does.
    mod candidates_agree {
        use super::*;
        use proptest::prelude::*;

        fn selector() -> impl Strategy<Value = String> {
            let top = prop::sample::select(vec!["a", "b", "c", "ab", "['x/y']", "k", "*"]);
            let sub = prop::sample::select(vec![
                "", "", "", ".k", ".a", ".*", "[0]", "[*]", "[1].k", ".k.a",
            ]);
            // (One wildcard a selector at most, as CloudWatch Logs allows.)
            (top, sub).prop_map(|(t, s)| match (t, s.contains('*')) {
                ("*", true) => format!("$.k{s}"),
                _ => format!("$.{t}{s}"),
            })
        }

        /// A condition that needs a text (so that the pattern has a prefilter clause).
        fn needs() -> impl Strategy<Value = String> {
            let test = prop::sample::select(vec![
                r#"= "v""#,
                r#"= "v*""#,
                r#"= "*v*""#,
                r#"= "*w""#,
                r#"= "1""#,
                r#"= "x/y""#,
                r#"= "q""#,
                "IS NULL",
                "IS TRUE",
                "IS FALSE",
                r#"= "ww""#,
                r#"= "v1""#,
            ]);
            let one = (selector(), test)
                .prop_map(|(s, t)| format!("{s} {t}"))
                .boxed();
            prop_oneof![
                3 => one.clone(),
                1 => prop::collection::vec(one, 2..4).prop_map(|xs| format!("({})", xs.join(" || "))),
            ]
        }

        /// Any condition, those that hold of what is missing too.
        fn condition() -> impl Strategy<Value = String> {
            let test = prop::sample::select(vec![
                "NOT EXISTS",
                r#"!= "v""#,
                "> 1",
                "= *",
                r#"= "w""#,
                "IS NULL",
            ]);
            prop_oneof![
                1 => (selector(), test).prop_map(|(s, t)| format!("{s} {t}")),
                1 => needs(),
            ]
        }

        fn patterns() -> impl Strategy<Value = Vec<String>> {
            let pattern =
                (needs(), prop::collection::vec(condition(), 0..2)).prop_map(|(n, rest)| {
                    let all: Vec<String> = std::iter::once(n).chain(rest).collect();
                    format!("{{ {} }}", all.join(" && "))
                });
            let probed =
                prop::collection::vec(prop::sample::select(vec!["v", "w", "v1", "q"]), 0..10)
                    .prop_map(|values| {
                        values
                            .into_iter()
                            .map(|v| format!(r#"{{ $.a = "{v}" }}"#))
                            .collect::<Vec<_>>()
                    });
            (prop::collection::vec(pattern, 1..8), probed).prop_map(|(mut a, b)| {
                a.extend(b);
                a
            })
        }

        fn value() -> impl Strategy<Value = String> {
            let leaves = vec![
                r#""v""#,
                r#""vw""#,
                r#""w""#,
                r#""ww""#,
                r#""1""#,
                r#""x/y""#,
                r#""x\/y""#,
                r#""\u0076""#,
                r#""v\"""#,
                r#""q""#,
                r#""v1""#,
                r#""""#,
                "1",
                "5",
                "true",
                "false",
                "null",
            ];
            crate::json::strategies::value(leaves, &["k", "a", "b"], 3, 12, 3)
        }

        /// An object and its top-level members.
        fn event() -> impl Strategy<Value = (String, TopMembers)> {
            let key = prop::sample::select(vec!["a", "b", "c", "ab", "x/y", "k"]);
            prop::collection::vec((key, value(), any::<bool>()), 0..6).prop_map(|members| {
                let mut text = String::from("{");
                let mut top = TopMembers::default();
                for (i, (key, value, blank)) in members.iter().enumerate() {
                    let blank = if *blank { " " } else { "" };
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(blank);
                    let key_start = text.len() + 1;
                    text.push_str(&format!(r#""{key}":{blank}"#));
                    top.push(key_start, key_start + key.len(), text.len());
                    text.push_str(value);
                }
                text.push('}');
                (text, top)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]
            #[test]
            fn candidates_give_the_answers_of_test(patterns in patterns(), (event, members) in event()) {
                // (A set CloudWatch Logs would refuse, over its wildcard limits, is no case.)
                let Ok(set) = PatternSet::new(&patterns) else {
                    return Ok(());
                };
                let whole = set.test(&event);
                let mut candidates = Candidates::default();
                set.candidates(r#"{"a":"v","b":"w"}"#, &mut candidates);
                let passed = set.candidates(&event, &mut candidates);
                prop_assert_eq!(passed, set.may_match(&event));
                if !passed {
                    prop_assert!(whole.is_empty(), "{:?} {}", patterns, event);
                } else {
                    let found = set.test_candidates(&event, &members, &candidates);
                    prop_assert_eq!(found, whole, "{:?} {}", patterns, event);
                }
            }
        }
    }
}
