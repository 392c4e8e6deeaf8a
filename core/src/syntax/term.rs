//! Term patterns: `ERROR`, `"quoted phrase"`, `?optional`, `-excluded`, `%regex%`.

use nom::Parser;
use nom::bytes::complete::take_while;

use super::ast::{Modifier, Term, TermPattern, TermText};
use super::lex::{quoted, regex, ws};
use super::{Cx, PResult, fail, from};
use crate::error::{Error, ErrorKind, Span};

/// Characters AWS rejects in an unquoted term with "Invalid character(s) in term".
const INVALID_IN_TERM: &str = ":,()[]{}\\`";

/// Parses a term pattern; `i` starts at its first non-blank character.
pub(super) fn parse(cx: &Cx<'_>, i: &str) -> Result<TermPattern, Error> {
    let start = i;
    let mut terms = Vec::new();
    let mut rest = i;
    loop {
        let (r, _) = ws(rest).map_err(|e| cx.convert(e))?;
        if r.is_empty() {
            break;
        }
        let (r, t) = term(cx, r).map_err(|e| cx.convert(e))?;
        terms.push(t);
        rest = r;
    }
    let begin = cx.offset(start);
    Ok(TermPattern {
        terms,
        span: Span::new(begin, begin + start.trim_end().len()),
    })
}

/// One term with its modifier.
fn term<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Term> {
    let (modifier, body) = if let Some(body) = i.strip_prefix('?') {
        (Modifier::Optional, body)
    } else if let Some(body) = i.strip_prefix('-') {
        (Modifier::Excluded, body)
    } else {
        (Modifier::Required, i)
    };
    let body = if modifier == Modifier::Required {
        body
    } else {
        ws(body)?.0
    };
    let missing = |c: char| fail(i, 1, ErrorKind::MissingTerm { modifier: c });
    let (rest, text) = match body.chars().next() {
        None | Some('?' | '-') if modifier != Modifier::Required => {
            return missing(if modifier == Modifier::Optional {
                '?'
            } else {
                '-'
            });
        }
        Some('"') => {
            let (rest, s) = quoted(body)?;
            (rest, TermText::Quoted(s))
        }
        Some('%') => {
            let (rest, r) = regex(cx, body)?;
            (rest, TermText::Regex(r))
        }
        _ => {
            let split = cx.dialect.split_hyphenated_terms;
            let (rest, w) =
                take_while(|c: char| !c.is_whitespace() && c != '"' && !(split && c == '-'))
                    .parse(body)?;
            if let Some((at, c)) = w.char_indices().find(|&(_, c)| INVALID_IN_TERM.contains(c)) {
                return fail(
                    from(body, at),
                    c.len_utf8(),
                    ErrorKind::InvalidCharacter { text: c.into() },
                );
            }
            (rest, TermText::Word(w.to_owned()))
        }
    };
    Ok((
        rest,
        Term {
            modifier,
            text,
            span: cx.span(i, rest),
        },
    ))
}
