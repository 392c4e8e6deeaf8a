//! Text → [`Ast`]: the nom parser for the three pattern languages, AWS's validation rules, and the
//! canonical printer (`Display` on [`Ast`]).
//!
//! The first non-blank character picks the language: none → match everything, `{` → JSON, `[` →
//! space-delimited, anything else → terms. No nom type appears in a public signature: parsers
//! return [`crate::Error`]s carrying byte spans into the pattern.

pub mod ast;
mod delimited;
pub(crate) mod glob;
mod json;
mod lex;
mod print;
pub(crate) mod regex;
mod term;

use crate::dialect::Dialect;
use crate::error::{Error, ErrorKind, Span};
use ast::{Ast, Regex, Value};

pub use crate::aws::MAX_PATTERN_CHARS;
/// The deepest nesting of parentheses the parser accepts.
pub const MAX_NESTING: usize = 64;
/// At most this many regexes in one JSON or space-delimited pattern (AWS quota).
pub const MAX_REGEXES: usize = 2;
/// At most this many selectors with a wildcard in one JSON pattern (AWS quota).
pub const MAX_WILDCARD_SELECTORS: usize = 3;

/// Parses and validates a filter pattern with the default [`Dialect`].
///
/// ```
/// let ast = trailmatch::parse("{ $.eventName = ConsoleLogin }")?;
/// assert_eq!(ast.to_string(), r#"{ $.eventName = "ConsoleLogin" }"#);
/// # Ok::<(), trailmatch::Error>(())
/// ```
pub fn parse(pattern: &str) -> Result<Ast, Error> {
    parse_with(pattern, &Dialect::default())
}

/// Parses and validates a filter pattern.
pub fn parse_with(pattern: &str, dialect: &Dialect) -> Result<Ast, Error> {
    if let Some((cut, _)) = pattern.char_indices().nth(MAX_PATTERN_CHARS) {
        let kind = ErrorKind::PatternTooLong {
            len: pattern.chars().count(),
            max: MAX_PATTERN_CHARS,
            value: pattern.to_owned(),
        };
        return Err(Error::pattern(kind, pattern, Span::new(cut, pattern.len())));
    }
    // From the first non-blank character on; `body` also drops the trailing blanks.
    let from_start = pattern.trim_start();
    let start = pattern.len() - from_start.len();
    let body = from_start.trim_end();
    let cx = Cx {
        src: pattern,
        dialect,
    };
    let end = start + body.len();
    if let Some(open @ ('{' | '[')) = body.chars().next() {
        if !dialect.allow_blanks_around_brackets && (start > 0 || end < pattern.len()) {
            let close = if open == '{' { '}' } else { ']' };
            // The blanks before the bracket, or else those after the pattern.
            let span = if start > 0 {
                Span::new(0, start)
            } else {
                Span::new(end, pattern.len())
            };
            let kind = ErrorKind::BlankAroundBrackets { open, close };
            return Err(cx.error(kind, span));
        }
    }
    match body.chars().next() {
        None => Ok(Ast::MatchAll(Span::new(0, pattern.len()))),
        Some('{') => {
            if !body.ends_with('}') || body.len() == 1 {
                return Err(cx.error(ErrorKind::UnclosedBrace, Span::new(start, start + 1)));
            }
            json::parse(&cx, from_start).map(Ast::Json)
        }
        Some('[') => {
            if !body.ends_with(']') || body.len() == 1 {
                return Err(cx.error(ErrorKind::UnclosedBracket, Span::new(start, start + 1)));
            }
            delimited::parse(&cx, from_start).map(Ast::Delimited)
        }
        Some(_) => term::parse(&cx, from_start).map(Ast::Terms),
    }
}

/// Parses a whole property selector such as `$.a.b[0]` (a `metricValue` or a dimension value).
pub(crate) fn parse_selector(text: &str) -> Option<ast::Selector> {
    let dialect = Dialect::default();
    let cx = Cx {
        src: text,
        dialect: &dialect,
    };
    match json::selector(&cx, text) {
        Ok(("", selector)) => Some(selector),
        _ => None,
    }
}

/// What every parser needs: the whole pattern (to turn remaining input into offsets) and the
/// dialect.
struct Cx<'a> {
    src: &'a str,
    dialect: &'a Dialect,
}

impl<'a> Cx<'a> {
    /// Byte offset of `rest`, a suffix of the pattern.
    fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    /// Span from the start of `from` to the start of `to` (both suffixes of the pattern).
    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.offset(from), self.offset(to))
    }

    fn error(&self, kind: ErrorKind, span: Span) -> Error {
        Error::pattern(kind, self.src, span)
    }

    /// Converts a nom error into a pattern error.
    fn convert(&self, e: nom::Err<PErr>) -> Error {
        match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => {
                // `e.at` is the length of a suffix of the pattern, hence at most its length and
                // at a character boundary.
                let start = self.src.len().saturating_sub(e.at);
                let kind = e.kind.unwrap_or_else(|| ErrorKind::Expected {
                    expected: "a valid pattern".into(),
                    found: lex::found(from(self.src, start)),
                });
                self.error(kind, Span::new(start, start + e.len))
            }
            nom::Err::Incomplete(_) => self.error(
                ErrorKind::Expected {
                    expected: "more input".into(),
                    found: String::new(),
                },
                Span::new(self.src.len(), self.src.len()),
            ),
        }
    }

    /// Checks the AWS regex quota over the regexes of a JSON or space-delimited pattern.
    fn check_regex_quota<'r>(&self, regexes: impl Iterator<Item = &'r Regex>) -> Result<(), Error> {
        let regexes: Vec<&Regex> = regexes.collect();
        if let Some(third) = regexes.get(MAX_REGEXES) {
            let kind = ErrorKind::TooManyRegexes {
                count: regexes.len(),
                max: MAX_REGEXES,
            };
            return Err(self.error(kind, third.span));
        }
        Ok(())
    }
}

/// The regexes among comparison values.
fn regexes<'v>(values: impl Iterator<Item = &'v Value>) -> impl Iterator<Item = &'v Regex> {
    values.filter_map(|v| match v {
        Value::Regex(r) => Some(r),
        _ => None,
    })
}

/// The parsers' error: where (as the length of the input remaining at the error, so that it can
/// be turned into an offset without knowing the whole pattern), how long, and which kind. A kind
/// of `None` is nom's "this alternative does not apply here", which the caller replaces by a
/// specific expectation.
#[derive(Debug)]
struct PErr {
    at: usize,
    len: usize,
    kind: Option<ErrorKind>,
}

impl<'a> nom::error::ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, _: nom::error::ErrorKind) -> Self {
        PErr {
            at: input.len(),
            len: 0,
            kind: None,
        }
    }

    fn append(_: &'a str, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = nom::IResult<&'a str, T, PErr>;

/// The text of `s` from byte `at` on: `&s[at..]` for an `at` found by `char_indices`, `find` or
/// the like (a character boundary inside `s`), and the empty end of `s` for any other `at`.
fn from(s: &str, at: usize) -> &str {
    s.get(at..).unwrap_or_default()
}

/// The part of `whole` before `rest`, a suffix of it (as nom's remaining input is).
fn consumed<'a>(whole: &'a str, rest: &str) -> &'a str {
    whole
        .get(..whole.len().saturating_sub(rest.len()))
        .unwrap_or_default()
}

/// A committed error of `kind` starting at `at`, `len` bytes long.
fn fail<T>(at: &str, len: usize, kind: ErrorKind) -> PResult<'_, T> {
    Err(nom::Err::Failure(PErr {
        at: at.len(),
        len: len.min(at.len()),
        kind: Some(kind),
    }))
}

/// A committed "expected …" error at `at`, spanning the token found there.
fn expected<'a, T>(at: &'a str, what: &str) -> PResult<'a, T> {
    let found = lex::found(at);
    let len = found.len();
    fail(
        at,
        len,
        ErrorKind::Expected {
            expected: what.into(),
            found,
        },
    )
}

#[cfg(test)]
mod tests;
