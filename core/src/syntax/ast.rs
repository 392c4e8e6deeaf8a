//! The syntax tree of a filter pattern. Every node carries the byte [`Span`] of the text it was
//! parsed from; [`Ast::clear_spans`] zeroes them so that trees parsed from different spellings of
//! the same pattern compare equal.
//!
//! The tree is semantic: bare and quoted strings are both [`Value::Str`], redundant parentheses
//! around a condition disappear, and `a && b && c` is one [`Expr::And`] with three operands. A
//! parenthesised operand of the same operator (`(a && b) && c`) stays nested, so printing and
//! parsing again gives back the same tree.

use crate::error::Span;

/// A parsed filter pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    /// The empty or whitespace-only pattern: every event matches.
    MatchAll(Span),
    /// Terms over the raw text: `ERROR -WARN ?"a b" %regex%`.
    Terms(TermPattern),
    /// Conditions on a JSON event: `{ $.a = 1 && $.b NOT EXISTS }`.
    Json(JsonPattern),
    /// Fields of a space-delimited event: `[ip, user, ..., status=4*]`.
    Delimited(DelimitedPattern),
}

/// Which of the languages a pattern is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// Empty or whitespace-only pattern.
    MatchAll,
    /// Term pattern without regex terms.
    Terms,
    /// Term pattern made of, or including, `%regex%` terms.
    Regex,
    /// `{ … }` JSON pattern.
    Json,
    /// `[ … ]` space-delimited pattern.
    Delimited,
}

impl PatternKind {
    /// Lower-case name, as the CLI and bindings print it.
    pub fn as_str(self) -> &'static str {
        match self {
            PatternKind::MatchAll => "match-all",
            PatternKind::Terms => "terms",
            PatternKind::Regex => "regex",
            PatternKind::Json => "json",
            PatternKind::Delimited => "delimited",
        }
    }
}

impl std::fmt::Display for PatternKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Ast {
    /// The kind of pattern.
    pub fn kind(&self) -> PatternKind {
        match self {
            Ast::MatchAll(_) => PatternKind::MatchAll,
            Ast::Terms(t) if t.terms.iter().any(|t| matches!(t.text, TermText::Regex(_))) => {
                PatternKind::Regex
            }
            Ast::Terms(_) => PatternKind::Terms,
            Ast::Json(_) => PatternKind::Json,
            Ast::Delimited(_) => PatternKind::Delimited,
        }
    }

    /// The span of the whole pattern (without surrounding blanks).
    pub fn span(&self) -> Span {
        match self {
            Ast::MatchAll(s) => *s,
            Ast::Terms(t) => t.span,
            Ast::Json(j) => j.span,
            Ast::Delimited(d) => d.span,
        }
    }

    /// Sets every span in the tree to `0..0`.
    pub fn clear_spans(&mut self) {
        match self {
            Ast::MatchAll(s) => *s = Span::default(),
            Ast::Terms(t) => {
                t.span = Span::default();
                for term in &mut t.terms {
                    term.span = Span::default();
                    if let TermText::Regex(r) = &mut term.text {
                        r.span = Span::default();
                    }
                }
            }
            Ast::Json(j) => {
                j.span = Span::default();
                j.expr.clear_spans();
            }
            Ast::Delimited(d) => {
                d.span = Span::default();
                for field in &mut d.fields {
                    field.span = Span::default();
                    if let FieldKind::Condition { expr, .. } = &mut field.kind {
                        expr.clear_spans();
                    }
                }
            }
        }
    }
}

/// A term pattern: whitespace-separated terms.
#[derive(Clone, Debug, PartialEq)]
pub struct TermPattern {
    /// The terms, in order.
    pub terms: Vec<Term>,
    /// The whole pattern.
    pub span: Span,
}

/// One term of a term pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// Required, `?` optional or `-` excluded.
    pub modifier: Modifier,
    /// What the term looks for.
    pub text: TermText,
    /// The term including its modifier.
    pub span: Span,
}

/// How a term takes part in the match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// Must occur.
    Required,
    /// `?term`: at least one optional term must occur, when every term is optional.
    Optional,
    /// `-term`: must not occur.
    Excluded,
}

/// What a term looks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TermText {
    /// A bare word, matched as a case-sensitive substring.
    Word(String),
    /// A double-quoted phrase (escapes decoded), matched as a case-sensitive substring.
    Quoted(String),
    /// A `%regex%`, searched for anywhere in the event.
    Regex(Regex),
}

impl TermText {
    /// The literal searched for, for words and phrases.
    pub fn literal(&self) -> Option<&str> {
        match self {
            TermText::Word(s) | TermText::Quoted(s) => Some(s),
            TermText::Regex(_) => None,
        }
    }
}

/// A `%regex%` as written between the percent signs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Regex {
    /// The regex source, without the percent signs.
    pub source: String,
    /// The regex including its percent signs.
    pub span: Span,
}

/// A JSON pattern: `{ expr }`.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPattern {
    /// The condition tree.
    pub expr: Expr,
    /// The whole pattern, braces included.
    pub span: Span,
}

/// A boolean combination of conditions.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// All operands hold (`&&`); at least two operands.
    And(Vec<Expr>, Span),
    /// At least one operand holds (`||`); at least two operands.
    Or(Vec<Expr>, Span),
    /// A single condition.
    Cond(Condition),
}

impl Expr {
    /// The span of the expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::And(_, s) | Expr::Or(_, s) => *s,
            Expr::Cond(c) => c.span,
        }
    }

    /// Visits every condition, left to right.
    pub fn conditions(&self) -> Vec<&Condition> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::And(xs, _) | Expr::Or(xs, _) => stack.extend(xs.iter().rev()),
                Expr::Cond(c) => out.push(c),
            }
        }
        out
    }

    fn clear_spans(&mut self) {
        match self {
            Expr::And(xs, s) | Expr::Or(xs, s) => {
                *s = Span::default();
                xs.iter_mut().for_each(Expr::clear_spans);
            }
            Expr::Cond(c) => {
                c.span = Span::default();
                c.selector.span = Span::default();
                c.test.clear_spans();
            }
        }
    }
}

/// `selector test`: one comparison on a JSON event.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// Which node(s) of the event.
    pub selector: Selector,
    /// What must hold for them.
    pub test: Test,
    /// The whole condition.
    pub span: Span,
}

/// What a condition checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `op value`.
    Compare(Comparison),
    /// `IS NULL`.
    IsNull,
    /// `IS TRUE`.
    IsTrue,
    /// `IS FALSE`.
    IsFalse,
    /// `NOT EXISTS`.
    NotExists,
}

impl Test {
    fn clear_spans(&mut self) {
        if let Test::Compare(c) = self {
            c.clear_spans();
        }
    }
}

/// A comparison operator and its right-hand side.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The operator.
    pub op: Op,
    /// The right-hand side.
    pub value: Value,
    /// The value's span.
    pub value_span: Span,
}

impl Comparison {
    fn clear_spans(&mut self) {
        self.value_span = Span::default();
        if let Value::Regex(r) = &mut self.value {
            r.span = Span::default();
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// True for `<`, `<=`, `>`, `>=`.
    pub fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// The right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A quoted or bare string; `*` as first and/or last character is a wildcard.
    Str(String),
    /// A number literal.
    Number(Number),
    /// A `%regex%`.
    Regex(Regex),
}

/// A number literal as written (`400`, `-5`, `+1000`, `55.5`, `1e-3`) and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    /// The literal as written.
    pub text: String,
    /// Its value as a double.
    pub value: f64,
}

/// A JSON property selector: `$.a.b[0][*].*` or `$.['key.with.dots']`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Selector {
    /// Steps from the root.
    pub steps: Vec<Step>,
    /// The selector as written.
    pub span: Span,
}

impl Selector {
    /// Number of wildcard steps.
    pub fn wildcards(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, Step::AnyMember | Step::AnyIndex))
            .count()
    }
}

/// One step of a selector.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// `.name` or `.['name']`.
    Member(String),
    /// `[n]`.
    Index(usize),
    /// `.*`: every member of an object.
    AnyMember,
    /// `[*]`: every element of an array.
    AnyIndex,
}

/// A space-delimited pattern: `[field, field, …]`.
#[derive(Clone, Debug, PartialEq)]
pub struct DelimitedPattern {
    /// The fields, in order (empty for `[]`).
    pub fields: Vec<Field>,
    /// The whole pattern, brackets included.
    pub span: Span,
}

impl DelimitedPattern {
    /// Index of the `...` field, if any.
    pub fn ellipsis(&self) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| matches!(f.kind, FieldKind::Ellipsis))
    }
}

/// One field of a space-delimited pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// What the field is.
    pub kind: FieldKind,
    /// The field as written.
    pub span: Span,
}

/// What a field of a space-delimited pattern is.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// Nothing between two commas: binds one event field, extracted by position.
    Empty,
    /// `...`: any number of event fields.
    Ellipsis,
    /// `name`: binds one event field, extracted as `$name`.
    Named(String),
    /// `name op value [&&|| name op value …]`.
    Condition {
        /// The field name every condition uses.
        name: String,
        /// The conditions.
        expr: FieldExpr,
    },
}

impl FieldKind {
    /// The field's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        match self {
            FieldKind::Named(n) | FieldKind::Condition { name: n, .. } => Some(n),
            FieldKind::Empty | FieldKind::Ellipsis => None,
        }
    }
}

/// Conditions on one field of a space-delimited pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldExpr {
    /// All hold; at least two operands.
    And(Vec<FieldExpr>),
    /// At least one holds; at least two operands.
    Or(Vec<FieldExpr>),
    /// `name op value` (the name is the field's).
    Cond(Comparison),
}

impl FieldExpr {
    fn clear_spans(&mut self) {
        match self {
            FieldExpr::And(xs) | FieldExpr::Or(xs) => {
                xs.iter_mut().for_each(FieldExpr::clear_spans)
            }
            FieldExpr::Cond(c) => c.clear_spans(),
        }
    }

    /// Every comparison, left to right.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        match self {
            FieldExpr::And(xs) | FieldExpr::Or(xs) => {
                xs.iter().flat_map(FieldExpr::comparisons).collect()
            }
            FieldExpr::Cond(c) => vec![c],
        }
    }
}
