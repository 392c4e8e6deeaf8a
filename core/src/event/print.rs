//! The canonical form of an event pattern (`Display` on [`EventPatternAst`]): compact JSON, members
//! in the order written (duplicates kept), each operator in one spelling. It parses back to a
//! pattern that prints the same and matches the same events.

use std::fmt::{self, Write};

use super::ast::{
    AnythingBut, EventPatternAst, FieldValue, Matcher, MatcherKind, Member, NumericRange, Object,
};
use super::value;

impl fmt::Display for EventPatternAst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        object(f, &self.root)
    }
}

/// One value or operator in its canonical spelling, as it stands in its array.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        matcher(f, self)
    }
}

/// A JSON string.
fn string(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// A comparable number: the shortest decimal of its double, which is exactly that double.
fn number(f: &mut impl Write, x: f64) -> fmt::Result {
    write!(f, "{x:e}")
}

fn object(f: &mut fmt::Formatter<'_>, o: &Object) -> fmt::Result {
    f.write_char('{')?;
    for (i, member) in o.members.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        match member {
            Member::Field { key, value, .. } => {
                string(f, key)?;
                f.write_char(':')?;
                match value {
                    FieldValue::Object(inner) => object(f, inner)?,
                    FieldValue::Matchers { matchers, .. } => {
                        f.write_char('[')?;
                        for (j, m) in matchers.iter().enumerate() {
                            if j > 0 {
                                f.write_char(',')?;
                            }
                            matcher(f, m)?;
                        }
                        f.write_char(']')?;
                    }
                }
            }
            Member::Or { alternatives, .. } => {
                f.write_str("\"$or\":[")?;
                for (j, alt) in alternatives.iter().enumerate() {
                    if j > 0 {
                        f.write_char(',')?;
                    }
                    object(f, alt)?;
                }
                f.write_char(']')?;
            }
        }
    }
    f.write_char('}')
}

/// `{"op":value}`.
fn op(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    value: impl FnOnce(&mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    f.write_char('{')?;
    string(f, name)?;
    f.write_char(':')?;
    value(f)?;
    f.write_char('}')
}

/// One string, or a list of them.
fn strings<'s>(
    f: &mut fmt::Formatter<'_>,
    values: impl ExactSizeIterator<Item = &'s str>,
) -> fmt::Result {
    let one = values.len() == 1;
    if !one {
        f.write_char('[')?;
    }
    for (i, s) in values.enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        string(f, s)?;
    }
    if !one {
        f.write_char(']')?;
    }
    Ok(())
}

fn matcher(f: &mut fmt::Formatter<'_>, m: &Matcher) -> fmt::Result {
    use MatcherKind as M;
    match &m.kind {
        // A string that is an IP address would be read back as an address: `exactly` keeps it text.
        M::Exact(s) if value::parse_ip(s).is_some() => op(f, "exactly", |f| string(f, s)),
        M::Exact(s) | M::ExactIp { text: s, .. } => string(f, s),
        M::Number { text, .. } => f.write_str(text),
        M::Null => f.write_str("null"),
        M::Bool(b) => write!(f, "{b}"),
        M::Prefix(s) => op(f, "prefix", |f| string(f, s)),
        M::Suffix(s) => op(f, "suffix", |f| string(f, s)),
        M::PrefixIgnoreCase(x) => op(f, "prefix", |f| {
            op(f, "equals-ignore-case", |f| string(f, &x.text))
        }),
        M::SuffixIgnoreCase(x) => op(f, "suffix", |f| {
            op(f, "equals-ignore-case", |f| string(f, &x.text))
        }),
        M::EqualsIgnoreCase(x) => op(f, "equals-ignore-case", |f| string(f, &x.text)),
        M::Wildcard(g) => op(f, "wildcard", |f| string(f, &g.text)),
        M::Cidr { text, .. } => op(f, "cidr", |f| string(f, text)),
        M::Exists(b) => op(f, "exists", |f| write!(f, "{b}")),
        M::Numeric(range) => op(f, "numeric", |f| {
            f.write_char('[')?;
            match *range {
                NumericRange::Equals(x) => {
                    f.write_str("\"=\",")?;
                    number(f, x)?;
                }
                NumericRange::Between { lower, upper } => {
                    if let Some((x, included)) = lower {
                        f.write_str(if included { "\">=\"," } else { "\">\"," })?;
                        number(f, x)?;
                    }
                    if let Some((y, included)) = upper {
                        if lower.is_some() {
                            f.write_char(',')?;
                        }
                        f.write_str(if included { "\"<=\"," } else { "\"<\"," })?;
                        number(f, y)?;
                    }
                }
            }
            f.write_char(']')
        }),
        M::AnythingBut(but) => op(f, "anything-but", |f| match but {
            AnythingBut::Strings(xs) => strings(f, xs.iter().map(String::as_str)),
            AnythingBut::Numbers(ns) => {
                let one = ns.len() == 1;
                if !one {
                    f.write_char('[')?;
                }
                for (i, (text, _)) in ns.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    f.write_str(text)?;
                }
                if !one {
                    f.write_char(']')?;
                }
                Ok(())
            }
            AnythingBut::Prefixes(xs) => {
                op(f, "prefix", |f| strings(f, xs.iter().map(String::as_str)))
            }
            AnythingBut::Suffixes(xs) => {
                op(f, "suffix", |f| strings(f, xs.iter().map(String::as_str)))
            }
            AnythingBut::IgnoreCase(xs) => op(f, "equals-ignore-case", |f| {
                strings(f, xs.iter().map(|x| x.text.as_str()))
            }),
            AnythingBut::Wildcards(xs) => op(f, "wildcard", |f| {
                strings(f, xs.iter().map(|g| g.text.as_str()))
            }),
        }),
    }
}
