//! JSON patterns: `{ $.a.b[0] = "x" && ($.c > 1 || $.d NOT EXISTS) }`.

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{map, value};
use nom::sequence::{delimited, preceded};

use super::ast::{Comparison, Condition, Expr, JsonPattern, Selector, Step, Test};
use super::lex::{comparison_value, op, word, ws};
use super::{Cx, MAX_NESTING, MAX_WILDCARD_SELECTORS, PResult, consumed, expected, fail};
use crate::error::{Error, ErrorKind};

/// Parses a JSON pattern; `i` starts at its `{` and ends with its `}` (plus blanks).
pub(super) fn parse(cx: &Cx<'_>, i: &str) -> Result<JsonPattern, Error> {
    let (rest, expr) = pattern(cx, i).map_err(|e| cx.convert(e))?;
    let conditions = expr.conditions();
    cx.check_regex_quota(super::regexes(conditions.iter().filter_map(
        |c| match &c.test {
            Test::Compare(cmp) => Some(&cmp.value),
            _ => None,
        },
    )))?;
    let wild: Vec<&Selector> = conditions
        .iter()
        .map(|c| &c.selector)
        .filter(|s| s.wildcards() > 0)
        .collect();
    if let Some(fourth) = wild.get(MAX_WILDCARD_SELECTORS) {
        let kind = ErrorKind::TooManyWildcardSelectors {
            count: wild.len(),
            max: MAX_WILDCARD_SELECTORS,
        };
        return Err(cx.error(kind, fourth.span));
    }
    Ok(JsonPattern {
        expr,
        span: cx.span(i, rest),
    })
}

fn pattern<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Expr> {
    let (r, _) = char('{').parse(i)?;
    let (r, _) = ws(r)?;
    let (r, expr) = or_expr(cx, r, 0)?;
    let (r, _) = ws(r)?;
    let r = match r.strip_prefix('}') {
        Some(r) => r,
        None if r.starts_with(')') => return fail(r, 1, ErrorKind::UnbalancedParentheses),
        None => return after_condition(r, 0),
    };
    let (rest, _) = ws(r)?;
    if !rest.is_empty() {
        return expected(rest, "the end of the pattern after '}'");
    }
    Ok((r, expr))
}

/// The error for whatever follows a complete condition where `&&`, `||`, `)` or `}` must be.
fn after_condition<T>(i: &str, depth: usize) -> PResult<'_, T> {
    if i.starts_with(',') {
        return fail(i, 1, ErrorKind::InvalidCharacter { text: ",".into() });
    }
    let closers = if depth > 0 {
        "'&&', '||' or ')'"
    } else {
        "'&&', '||' or '}'"
    };
    expected(i, closers)
}

fn or_expr<'a>(cx: &Cx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let (mut rest, first) = and_expr(cx, i, depth)?;
    let mut operands = vec![first];
    while let Ok((r, _)) = preceded(ws, tag::<_, _, super::PErr>("||")).parse(rest) {
        let (r, _) = ws(r)?;
        let (r, e) = and_expr(cx, r, depth)?;
        operands.push(e);
        rest = r;
    }
    Ok((rest, combine(operands, Expr::Or, cx, i, rest)))
}

fn and_expr<'a>(cx: &Cx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let (mut rest, first) = unary(cx, i, depth)?;
    let mut operands = vec![first];
    while let Ok((r, _)) = preceded(ws, tag::<_, _, super::PErr>("&&")).parse(rest) {
        let (r, _) = ws(r)?;
        let (r, e) = unary(cx, r, depth)?;
        operands.push(e);
        rest = r;
    }
    Ok((rest, combine(operands, Expr::And, cx, i, rest)))
}

fn combine(
    mut operands: Vec<Expr>,
    make: fn(Vec<Expr>, crate::Span) -> Expr,
    cx: &Cx<'_>,
    from: &str,
    to: &str,
) -> Expr {
    if operands.len() == 1 {
        if let Some(only) = operands.pop() {
            return only;
        }
    }
    make(operands, cx.span(from, to))
}

/// A parenthesised expression or a condition.
fn unary<'a>(cx: &Cx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let Some(inner) = i.strip_prefix('(') else {
        return map(|i| condition(cx, i), Expr::Cond).parse(i);
    };
    if depth >= MAX_NESTING {
        return fail(i, 1, ErrorKind::NestingTooDeep { max: MAX_NESTING });
    }
    let (r, _) = ws(inner)?;
    let (r, expr) = or_expr(cx, r, depth + 1)?;
    let (r, _) = ws(r)?;
    match r.strip_prefix(')') {
        Some(r) => Ok((r, expr)),
        None if r.starts_with('}') || r.is_empty() => fail(i, 1, ErrorKind::UnbalancedParentheses),
        None => after_condition(r, depth + 1),
    }
}

/// `selector test`.
fn condition<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Condition> {
    let (r, selector) = selector(cx, i)?;
    let (r, _) = ws(r)?;
    let (r, test) = test(cx, r)?;
    Ok((
        r,
        Condition {
            selector,
            test,
            span: cx.span(i, r),
        },
    ))
}

/// Characters of a bare member name.
fn member_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `$.a.b[0][*].*` or `$.['key.with.dots']`.
pub(super) fn selector<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Selector> {
    let Some(after_root) = i.strip_prefix("$.") else {
        if let Some(name) = i.strip_prefix('$') {
            let written = consumed(name, name.trim_start_matches(member_char));
            let len = written.len();
            let detail = match written {
                "" => "selectors start with '$.'".to_owned(),
                name => format!("'${name}' lacks the '.' after '$': write '$.{name}'"),
            };
            return fail(i, len + 1, invalid_selector(&detail));
        }
        let (_, w) = take_while1::<_, _, super::PErr>(|c: char| member_char(c) || c == '.')
            .parse(i)
            .map_err(|_| expected_selector(i))?;
        return fail(
            i,
            w.len(),
            ErrorKind::SelectorWithoutRoot {
                found: w.to_owned(),
            },
        );
    };
    let mut steps = Vec::new();
    let (mut rest, first) = member_step(after_root, i)?;
    steps.push(first);
    loop {
        let step = if let Some(r) = rest.strip_prefix('.') {
            member_step(r, rest)
        } else if rest.starts_with('[') {
            index_step(rest)
        } else {
            break;
        };
        let (r, s) = step?;
        steps.push(s);
        rest = r;
    }
    let selector = Selector {
        steps,
        span: cx.span(i, rest),
    };
    if selector.wildcards() > 1 {
        return fail(i, i.len() - rest.len(), ErrorKind::SelectorWildcards);
    }
    if let Some(c) = rest.chars().next() {
        if !c.is_whitespace() && !"=!<>)}&|".contains(c) {
            return fail(
                rest,
                c.len_utf8(),
                ErrorKind::MemberCharacter { text: c.into() },
            );
        }
    }
    Ok((rest, selector))
}

fn expected_selector(i: &str) -> nom::Err<super::PErr> {
    match expected::<()>(i, "a property selector such as $.eventName") {
        Err(e) => e,
        Ok(_) => nom::Err::Failure(super::PErr {
            at: i.len(),
            len: 0,
            kind: None,
        }),
    }
}

fn invalid_selector(detail: &str) -> ErrorKind {
    ErrorKind::InvalidSelector {
        detail: detail.into(),
    }
}

/// What follows a `.`: a name, `*` or `['key']`. `dot` starts at the `.` (for error spans).
fn member_step<'a>(i: &'a str, dot: &'a str) -> PResult<'a, Step> {
    if i.starts_with('"') {
        // AWS quotes the selector up to the quote: `$."` at the root, `."` further on.
        let text = format!("{}\"", consumed(dot, i));
        return fail(dot, text.len(), ErrorKind::InvalidCharacter { text });
    }
    if i.starts_with('[') {
        return bracket_key(i);
    }
    let parsed: PResult<'a, Step> = alt((
        value(Step::AnyMember, char('*')),
        map(take_while1(member_char), |s: &str| {
            Step::Member(s.to_owned())
        }),
    ))
    .parse(i);
    parsed.or_else(|_| match i.chars().next() {
        Some(c) if !c.is_whitespace() && !"=!<>)}&|.[".contains(c) => fail(
            i,
            c.len_utf8(),
            ErrorKind::MemberCharacter { text: c.into() },
        ),
        _ => fail(
            dot,
            dot.len() - i.len(),
            invalid_selector("expected a member name after '.'"),
        ),
    })
}

/// `['key']`: any characters but `'`.
fn bracket_key(i: &str) -> PResult<'_, Step> {
    let key = delimited(
        tag("['"),
        nom::bytes::complete::take_while(|c| c != '\''),
        tag("']"),
    );
    map(key, |k: &str| Step::Member(k.to_owned()))
        .parse(i)
        .or_else(|_: nom::Err<super::PErr>| {
            fail(i, 1, invalid_selector("a bracketed key is written ['key']"))
        })
}

/// The largest array index a selector may name, the same on every platform (a `u32`'s: no event
/// of at most 256 KB holds an array that long).
pub(crate) const MAX_INDEX: u32 = u32::MAX;

/// `[n]`, `[*]` or `['key']` after a member. An index beyond [`MAX_INDEX`] is an error, not
/// clamped to one that names another element.
fn index_step(i: &str) -> PResult<'_, Step> {
    if i.starts_with("['") {
        return bracket_key(i);
    }
    if let Some(digits) = i
        .strip_prefix('[')
        .map(|r| r.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
        .filter(|d| !d.is_empty() && d.parse::<u32>().is_err())
    {
        return fail(
            i,
            digits.len() + 2,
            invalid_selector(&format!(
                "the array index {digits} is too large (at most {MAX_INDEX})"
            )),
        );
    }
    let parsed: PResult<'_, Step> = delimited(
        char('['),
        alt((
            value(Step::AnyIndex, char('*')),
            map(digit1, |d: &str| {
                Step::Index(d.parse().unwrap_or(usize::MAX))
            }),
        )),
        char(']'),
    )
    .parse(i);
    parsed.or_else(|_| {
        let len = i.find(']').map_or(1, |e| e + 1);
        fail(
            i,
            len,
            invalid_selector("an array index is written [0] or [*]"),
        )
    })
}

/// `op value`, `IS NULL|TRUE|FALSE` or `NOT EXISTS`.
fn test<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Test> {
    if let Ok((r, op)) = op(i) {
        let (r, _) = ws(r)?;
        let (rest, (value, value_span)) = comparison_value(cx, op, r)?;
        return Ok((
            rest,
            Test::Compare(Comparison {
                op,
                value,
                value_span,
            }),
        ));
    }
    let (r, kw) = word(i)?;
    let (r2, _) = ws(r)?;
    let (rest, next) = word(r2)?;
    let upper = (kw.to_ascii_uppercase(), next.to_ascii_uppercase());
    // Unsupported forms are reported as such whatever their case; supported keywords must be
    // upper case.
    let test = match (upper.0.as_str(), upper.1.as_str()) {
        ("IS", "NULL") => Test::IsNull,
        ("IS", "TRUE") => Test::IsTrue,
        ("IS", "FALSE") => Test::IsFalse,
        ("NOT", "EXISTS") => Test::NotExists,
        ("IS", "NOT") => return fail(i, i.len() - rest.len(), ErrorKind::IsNotUnsupported),
        ("EXISTS", _) => return fail(i, kw.len(), ErrorKind::ExistsUnsupported),
        ("IS", _) => return expected(r2, "NULL, TRUE or FALSE after IS"),
        ("NOT", _) => return expected(r2, "EXISTS after NOT"),
        _ => {
            return expected(
                i,
                "an operator (=, !=, <, <=, >, >=), IS NULL, IS TRUE, IS FALSE or NOT EXISTS",
            );
        }
    };
    if kw != upper.0 || next != upper.1 {
        return lowercase(i, rest);
    }
    Ok((rest, test))
}

/// The lower-case keyword error for the keywords between `from` and `to`.
fn lowercase<'a, T>(from: &'a str, to: &'a str) -> PResult<'a, T> {
    let written = consumed(from, to);
    let words: Vec<&str> = written.split_whitespace().collect();
    let kind = ErrorKind::LowercaseKeyword {
        found: words.join(" "),
        expected: words.join(" ").to_ascii_uppercase(),
    };
    fail(from, written.len(), kind)
}
