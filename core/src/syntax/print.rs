//! The canonical form of a pattern: `Display` on [`Ast`]. Parsing the printed text gives back the
//! same tree (spans aside). Strings are always double-quoted, operators have one blank on each
//! side, and parentheses appear only where the tree needs them.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::{
    Ast, Comparison, Condition, DelimitedPattern, Expr, Field, FieldExpr, FieldKind, Modifier,
    Selector, Step, Term, TermText, Test, Value,
};
use super::lex::write_quoted;

impl Display for Ast {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Ast::MatchAll(_) => Ok(()),
            Ast::Terms(t) => {
                for (n, term) in t.terms.iter().enumerate() {
                    if n > 0 {
                        f.write_char(' ')?;
                    }
                    term.fmt(f)?;
                }
                Ok(())
            }
            Ast::Json(j) => write!(f, "{{ {} }}", j.expr),
            Ast::Delimited(d) => d.fmt(f),
        }
    }
}

impl Display for Term {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.modifier {
            Modifier::Required => {}
            Modifier::Optional => f.write_char('?')?,
            Modifier::Excluded => f.write_char('-')?,
        }
        match &self.text {
            TermText::Word(w) => f.write_str(w),
            TermText::Quoted(q) => write_quoted(f, q),
            TermText::Regex(r) => write!(f, "%{}%", r.source),
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Cond(c) => c.fmt(f),
            // `&&` binds tighter than `||`: only a nested `&&` or `||` needs parentheses.
            Expr::And(xs, _) => join(f, xs, " && ", |x| !matches!(x, Expr::Cond(_))),
            Expr::Or(xs, _) => join(f, xs, " || ", |x| matches!(x, Expr::Or(..))),
        }
    }
}

fn join<T: Display>(
    f: &mut Formatter<'_>,
    xs: &[T],
    sep: &str,
    needs_parens: impl Fn(&T) -> bool,
) -> fmt::Result {
    for (n, x) in xs.iter().enumerate() {
        if n > 0 {
            f.write_str(sep)?;
        }
        if needs_parens(x) {
            write!(f, "({x})")?
        } else {
            x.fmt(f)?
        }
    }
    Ok(())
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.selector)?;
        match &self.test {
            Test::Compare(c) => c.fmt(f),
            Test::IsNull => f.write_str("IS NULL"),
            Test::IsTrue => f.write_str("IS TRUE"),
            Test::IsFalse => f.write_str("IS FALSE"),
            Test::NotExists => f.write_str("NOT EXISTS"),
        }
    }
}

impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.as_str(), self.value)
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write_quoted(f, s),
            Value::Number(n) => f.write_str(&n.text),
            Value::Regex(r) => write!(f, "%{}%", r.source),
        }
    }
}

impl Display for Selector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('$')?;
        for step in &self.steps {
            match step {
                Step::Member(m)
                    if !m.is_empty()
                        && m.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    write!(f, ".{m}")?
                }
                Step::Member(m) => write!(f, ".['{m}']")?,
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::AnyMember => f.write_str(".*")?,
                Step::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl Display for DelimitedPattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('[')?;
        join(f, &self.fields, ", ", |_| false)?;
        f.write_char(']')
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FieldKind::Empty => Ok(()),
            FieldKind::Ellipsis => f.write_str("..."),
            FieldKind::Named(n) => f.write_str(n),
            FieldKind::Condition { name, expr } => write_field_expr(f, name, expr),
        }
    }
}

/// Space-delimited conditions have no parentheses: the parser never nests `||` under `&&`, or an
/// operator under itself, so none are needed.
fn write_field_expr(f: &mut Formatter<'_>, name: &str, expr: &FieldExpr) -> fmt::Result {
    let (xs, sep) = match expr {
        FieldExpr::Cond(c) => return write!(f, "{name} {c}"),
        FieldExpr::And(xs) => (xs, " && "),
        FieldExpr::Or(xs) => (xs, " || "),
    };
    for (n, x) in xs.iter().enumerate() {
        if n > 0 {
            f.write_str(sep)?;
        }
        write_field_expr(f, name, x)?;
    }
    Ok(())
}
