//! Tokens shared by the three languages: blanks, double-quoted strings, `%regex%`, bare words,
//! numbers and operators.

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while};
use nom::combinator::value;

use super::ast::{Number, Op, Regex, Value};
use super::{Cx, PResult, consumed, fail, from};
use crate::error::ErrorKind;
use crate::number;

/// Skips blanks (any Unicode white space, newlines included).
pub(super) fn ws(i: &str) -> PResult<'_, &str> {
    take_while(char::is_whitespace).parse(i)
}

/// A short description of what stands at `i`, for "expected …, found …" messages: the next word
/// or the next character; empty at the end.
pub(super) fn found(i: &str) -> String {
    let word: String = i
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    if !word.is_empty() {
        return word;
    }
    i.chars().next().map(String::from).unwrap_or_default()
}

/// A double-quoted string; `\"` and `\\` are escapes, any other backslash stays as written.
/// Returns the decoded text.
pub(super) fn quoted(i: &str) -> PResult<'_, String> {
    let Some(body) = i.strip_prefix('"') else {
        return Err(nom::Err::Error(PErr0::at(i)));
    };
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok((chars.as_str(), out)),
            '\\' => match chars.clone().next() {
                Some(e @ ('"' | '\\')) => {
                    chars.next();
                    out.push(e);
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    fail(i, i.len(), ErrorKind::UnterminatedString)
}

/// Writes `text` as a double-quoted string that [`quoted`] reads back as `text`.
pub(super) fn write_quoted(f: &mut std::fmt::Formatter<'_>, text: &str) -> std::fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// True for the characters AWS allows in a regex (S2 of the spec, plus `:` and space, which AWS
/// accepts in practice).
fn regex_char_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_#=@/;,-: ^$?[]{}|\\*+.".contains(c)
}

/// A `%regex%`, validated against AWS's regex alphabet.
pub(super) fn regex<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Regex> {
    let Some(body) = i.strip_prefix('%') else {
        return Err(nom::Err::Error(PErr0::at(i)));
    };
    let Some((source, rest)) = body.split_once('%') else {
        return fail(i, i.len(), ErrorKind::UnterminatedRegex);
    };
    if source.is_empty() {
        return fail(i, 2, ErrorKind::EmptyRegex);
    }
    for (at, ch) in source.char_indices() {
        let kind = if !ch.is_ascii() {
            ErrorKind::RegexNonAscii { ch }
        } else if !regex_char_allowed(ch) {
            ErrorKind::RegexCharacter { ch }
        } else {
            continue;
        };
        return fail(from(body, at), ch.len_utf8(), kind);
    }
    if let Err((detail, at)) = super::regex::check(source) {
        // At the fault where the regex parser names it (the regex is ASCII: bytes are
        // characters).
        let kind = ErrorKind::RegexSyntax { detail };
        return fail(from(body, at.start), at.len().max(1), kind);
    }
    Ok((
        rest,
        Regex {
            source: source.to_owned(),
            span: cx.span(i, rest),
        },
    ))
}

/// A comparison operator.
pub(super) fn op(i: &str) -> PResult<'_, Op> {
    alt((
        value(Op::Ne, tag("!=")),
        value(Op::Le, tag("<=")),
        value(Op::Ge, tag(">=")),
        value(Op::Eq, tag("=")),
        value(Op::Lt, tag("<")),
        value(Op::Gt, tag(">")),
    ))
    .parse(i)
}

/// Characters that end a bare value.
fn ends_bare_value(c: char) -> bool {
    c.is_whitespace() || "()&|{},[]\"=!<>".contains(c)
}

/// True for the characters a bare (unquoted) string value may contain.
fn bare_value_char(c: char) -> bool {
    c.is_alphanumeric() || "_.*-".contains(c)
}

/// The right-hand side of a comparison: a quoted string, a `%regex%`, a number or a bare word.
/// Checks that the operator suits the value.
pub(super) fn comparison_value<'a>(
    cx: &Cx<'_>,
    op: Op,
    i: &'a str,
) -> PResult<'a, (Value, crate::error::Span)> {
    let (rest, value) = if i.starts_with('"') {
        let (rest, s) = quoted(i)?;
        (rest, Value::Str(s))
    } else if i.starts_with('%') {
        let (rest, r) = regex(cx, i)?;
        if op != Op::Eq && op != Op::Ne {
            return fail(
                i,
                i.len() - rest.len(),
                ErrorKind::RegexOperator {
                    op: op.as_str().into(),
                },
            );
        }
        (rest, Value::Regex(r))
    } else {
        let (rest, word) = take_while(|c| !ends_bare_value(c)).parse(i)?;
        if word.is_empty() {
            return super::expected(i, "a value (a string, a number, * or a %regex%)");
        }
        if let Some(end) = more_words(rest) {
            let value = consumed(i, end).to_owned();
            return fail(i, value.len(), ErrorKind::UnquotedBlank { value });
        }
        if let Some(value) = number::parse(word) {
            (
                rest,
                Value::Number(Number {
                    text: word.to_owned(),
                    value,
                }),
            )
        } else if let Some((at, c)) = word.char_indices().find(|&(_, c)| !bare_value_char(c)) {
            return fail(
                from(i, at),
                c.len_utf8(),
                ErrorKind::InvalidCharacter { text: c.into() },
            );
        } else {
            (rest, Value::Str(word.to_owned()))
        }
    };
    if op.is_ordering() && !matches!(value, Value::Number(_)) {
        let len = i.len() - rest.len();
        return fail(
            i,
            len,
            ErrorKind::NumericOperatorNeedsNumber {
                op: op.as_str().into(),
            },
        );
    }
    Ok((rest, (value, cx.span(i, rest))))
}

/// When a bare value is followed by more bare words (`Failed authentication`), the input after
/// the last of them. `AND` and `OR` are not taken as words of a value: they are mistaken
/// operators, reported as such by the caller.
fn more_words(mut rest: &str) -> Option<&str> {
    let mut end = None;
    loop {
        let after_blank = rest.trim_start();
        if after_blank.len() == rest.len() {
            return end;
        }
        let after_word = after_blank.trim_start_matches(bare_value_char);
        let word = consumed(after_blank, after_word);
        if word.is_empty() || ["AND", "OR"].contains(&word.to_ascii_uppercase().as_str()) {
            return end;
        }
        rest = after_word;
        end = Some(rest);
    }
}

/// A run of ASCII letters (a keyword candidate).
pub(super) fn word(i: &str) -> PResult<'_, &str> {
    take_while(|c: char| c.is_ascii_alphabetic()).parse(i)
}

/// A recoverable nom error at `i` (no kind: "does not apply here").
struct PErr0;

impl PErr0 {
    fn at(i: &str) -> super::PErr {
        super::PErr {
            at: i.len(),
            len: 0,
            kind: None,
        }
    }
}
