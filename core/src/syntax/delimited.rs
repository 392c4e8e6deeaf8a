//! Space-delimited patterns: `[ip, user, ..., status_code = 4* && status_code != 403, bytes]`.

use nom::Parser;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::char;
use nom::sequence::preceded;

use super::ast::{Comparison, DelimitedPattern, Field, FieldExpr, FieldKind};
use super::lex::{comparison_value, op, ws};
use super::{Cx, PErr, PResult, expected, fail};
use crate::error::{Error, ErrorKind};

/// Parses a space-delimited pattern; `i` starts at its `[` and ends with its `]` (plus blanks).
pub(super) fn parse(cx: &Cx<'_>, i: &str) -> Result<DelimitedPattern, Error> {
    let (rest, fields) = pattern(cx, i).map_err(|e| cx.convert(e))?;
    let ellipses: Vec<&Field> = fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Ellipsis))
        .collect();
    if let Some(second) = ellipses.get(1) {
        return Err(cx.error(ErrorKind::MultipleEllipses, second.span));
    }
    for (n, field) in fields.iter().enumerate() {
        let Some(name) = field.kind.name() else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_digit()) {
            let kind = ErrorKind::NumericFieldName {
                name: name.to_owned(),
            };
            return Err(cx.error(kind, field.span));
        }
        if fields.iter().take(n).any(|f| f.kind.name() == Some(name)) {
            let kind = ErrorKind::DuplicateFieldName {
                name: name.to_owned(),
            };
            return Err(cx.error(kind, field.span));
        }
    }
    let values = fields.iter().flat_map(|f| match &f.kind {
        FieldKind::Condition { expr, .. } => expr.comparisons(),
        _ => Vec::new(),
    });
    cx.check_regex_quota(super::regexes(values.map(|c| &c.value)))?;
    Ok(DelimitedPattern {
        fields,
        span: cx.span(i, rest),
    })
}

fn pattern<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Vec<Field>> {
    let (r, _) = char('[').parse(i)?;
    let (mut r, _) = ws(r)?;
    let mut fields = Vec::new();
    if let Some(rest) = r.strip_prefix(']') {
        return end(rest, fields);
    }
    loop {
        let (after, f) = field(cx, r)?;
        fields.push(f);
        let (after, _) = ws(after)?;
        if let Some(next) = after.strip_prefix(',') {
            r = ws(next)?.0;
        } else if let Some(rest) = after.strip_prefix(']') {
            return end(rest, fields);
        } else {
            return expected(after, "',' or ']' after a field");
        }
    }
}

/// Only blanks may follow the closing `]` (the caller checked the pattern ends with one).
fn end(rest: &str, fields: Vec<Field>) -> PResult<'_, Vec<Field>> {
    let (after, _) = ws(rest)?;
    if !after.is_empty() {
        return expected(after, "the end of the pattern after ']'");
    }
    Ok((rest, fields))
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// One field: empty, `...`, `name`, or conditions on `name`.
fn field<'a>(cx: &Cx<'_>, i: &'a str) -> PResult<'a, Field> {
    if i.starts_with(',') || i.starts_with(']') {
        return Ok((
            i,
            Field {
                kind: FieldKind::Empty,
                span: cx.span(i, i),
            },
        ));
    }
    if let Ok((r, _)) = tag::<_, _, PErr>("...").parse(i) {
        return Ok((
            r,
            Field {
                kind: FieldKind::Ellipsis,
                span: cx.span(i, r),
            },
        ));
    }
    let (after_name, name) =
        take_while1(name_char)
            .parse(i)
            .or_else(|_: nom::Err<PErr>| match i.chars().next() {
                Some(c) if !"=!<>".contains(c) => fail(
                    i,
                    c.len_utf8(),
                    ErrorKind::InvalidCharacter { text: c.into() },
                ),
                _ => expected(i, "a field name, '...', ',' or ']'"),
            })?;
    let (r, _) = ws(after_name)?;
    if r.starts_with(',') || r.starts_with(']') || r.is_empty() {
        let kind = FieldKind::Named(name.to_owned());
        return Ok((
            after_name,
            Field {
                kind,
                span: cx.span(i, after_name),
            },
        ));
    }
    let (rest, expr) = or_expr(cx, i, name)?;
    let kind = FieldKind::Condition {
        name: name.to_owned(),
        expr,
    };
    Ok((
        rest,
        Field {
            kind,
            span: cx.span(i, rest),
        },
    ))
}

fn or_expr<'a>(cx: &Cx<'_>, i: &'a str, field: &str) -> PResult<'a, FieldExpr> {
    let (mut rest, first) = and_expr(cx, i, field)?;
    let mut operands = vec![first];
    while let Ok((r, _)) = preceded(ws, tag::<_, _, PErr>("||")).parse(rest) {
        let (r, e) = and_expr(cx, ws(r)?.0, field)?;
        operands.push(e);
        rest = r;
    }
    Ok((rest, one_or(operands, FieldExpr::Or)))
}

fn and_expr<'a>(cx: &Cx<'_>, i: &'a str, field: &str) -> PResult<'a, FieldExpr> {
    let (mut rest, first) = condition(cx, i, field)?;
    let mut operands = vec![first];
    while let Ok((r, _)) = preceded(ws, tag::<_, _, PErr>("&&")).parse(rest) {
        let (r, e) = condition(cx, ws(r)?.0, field)?;
        operands.push(e);
        rest = r;
    }
    Ok((rest, one_or(operands, FieldExpr::And)))
}

fn one_or(mut operands: Vec<FieldExpr>, make: fn(Vec<FieldExpr>) -> FieldExpr) -> FieldExpr {
    match operands.len() {
        1 => operands.pop().unwrap_or_else(|| make(Vec::new())),
        _ => make(operands),
    }
}

/// `name op value`, where `name` must be the field's.
fn condition<'a>(cx: &Cx<'_>, i: &'a str, field: &str) -> PResult<'a, FieldExpr> {
    let (r, name) = take_while1(name_char)
        .parse(i)
        .or_else(|_: nom::Err<PErr>| expected(i, "a condition such as name = value"))?;
    if name != field {
        let kind = ErrorKind::CrossFieldCondition {
            field: field.to_owned(),
            other: name.to_owned(),
        };
        return fail(i, name.len(), kind);
    }
    let (r, _) = ws(r)?;
    let (r, op) = op(r).or_else(|_| {
        if let Some(c @ ('(' | ':')) = r.chars().next() {
            return fail(r, 1, ErrorKind::InvalidCharacter { text: c.into() });
        }
        expected(r, "an operator (=, !=, <, <=, >, >=), ',' or ']'")
    })?;
    let (r, _) = ws(r)?;
    let (rest, (value, value_span)) = comparison_value(cx, op, r)?;
    Ok((
        rest,
        FieldExpr::Cond(Comparison {
            op,
            value,
            value_span,
        }),
    ))
}
