//! Text → [`EventPatternAst`]: a JSON token reader (its tokens read with nom) and, over its
//! tokens, a compiler that follows aws/event-ruler's `JsonRuleCompiler` step by step, so that a
//! pattern is refused at the same token and with the same message as event-ruler refuses it.
//!
//! Like event-ruler (which reads with Jackson's streaming parser), the compiler reads tokens only
//! as far as it needs: a pattern is refused for the first problem in reading order, and text after
//! the pattern's closing `}` is never read.

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit0, one_of};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;

use super::ast::{
    AnythingBut, EventPatternAst, FieldValue, Matcher, MatcherKind, Member, NumericRange, Object,
};
use super::value::{self, Folded, IpRange};
use super::{EventPatternLimits, wildcard_complexity};
use crate::error::{Error, ErrorKind, Origin, Span};

/// Parses and validates an event pattern with `limits`.
pub(crate) fn parse(pattern: &str, limits: &EventPatternLimits) -> Result<EventPatternAst, Error> {
    let error = |kind, span| Error::new(kind, Origin::EventPattern, pattern, span);
    // A pattern of no more bytes than the limit has no more characters either.
    let past_limit = match pattern.len() > limits.max_chars {
        true => pattern.char_indices().nth(limits.max_chars),
        false => None,
    };
    if let Some((cut, _)) = past_limit {
        let kind = ErrorKind::EventPatternTooLong {
            len: pattern.chars().count(),
            max: limits.max_chars,
        };
        return Err(error(kind, Span::new(cut, pattern.len())));
    }
    let mut c = Compiler {
        lexer: Lexer::new(pattern),
        depth: 0,
        max_depth: limits.max_depth,
    };
    let root = c.root().map_err(|(kind, span)| error(kind, span))?;
    let ast = EventPatternAst { root };
    let count = ast.rule_count();
    if count > limits.max_rules {
        let kind = ErrorKind::EventPatternTooManyRules {
            count,
            max: limits.max_rules,
        };
        let span = first_or(&ast.root).unwrap_or(ast.root.span);
        return Err(error(kind, span));
    }
    if let Some((complexity, span)) = wildcard_complexity(&ast, limits.max_wildcard_complexity) {
        let kind = ErrorKind::EventPatternTooComplex {
            complexity,
            max: limits.max_wildcard_complexity,
        };
        return Err(error(kind, span));
    }
    Ok(ast)
}

/// The key span of the first `$or` of `object`, at any depth.
fn first_or(object: &Object) -> Option<Span> {
    object.members.iter().find_map(|m| match m {
        Member::Or { key_span, .. } => Some(*key_span),
        Member::Field {
            value: FieldValue::Object(inner),
            ..
        } => first_or(inner),
        Member::Field { .. } => None,
    })
}

// ---- tokens -------------------------------------------------------------------------------------

/// A JSON token, as Jackson's streaming parser gives them.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    /// A member name.
    Name(String),
    Str(String),
    /// A number as written.
    Num(String),
    True,
    False,
    Null,
    /// Nothing more (after the top-level value).
    End,
}

impl Tok {
    fn is_number(&self) -> bool {
        matches!(self, Tok::Num(_))
    }
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

impl Token {
    /// The token's text as Jackson's `getText()` gives it (for messages).
    fn text(&self) -> String {
        match &self.tok {
            Tok::StartObject => "{".into(),
            Tok::EndObject => "}".into(),
            Tok::StartArray => "[".into(),
            Tok::EndArray => "]".into(),
            Tok::Name(s) | Tok::Str(s) | Tok::Num(s) => s.clone(),
            Tok::True => "true".into(),
            Tok::False => "false".into(),
            Tok::Null => "null".into(),
            Tok::End => "null".into(),
        }
    }
}

/// Where the token reader is inside an object or an array.
#[derive(Clone, Copy, Debug)]
enum Ctx {
    /// In an array; `first` until its first value.
    Array { first: bool },
    /// In an object, before a name (or the `}`); `first` until its first member.
    ObjectName { first: bool },
    /// In an object, after a name and its `:`.
    ObjectValue,
}

/// An error of the token reader or of the compiler: its kind and span.
type Fail = (ErrorKind, Span);

type NomResult<'a, T> = nom::IResult<&'a str, T, nom::error::Error<&'a str>>;

/// A pull reader of JSON tokens.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    stack: Vec<Ctx>,
    /// The top-level value has started.
    started: bool,
    /// Where the current token starts, once known (after any comma).
    token_start: Option<usize>,
    /// Where the current member name ends (at its closing quote).
    name_end: usize,
}

/// JSON's blanks.
fn blanks(i: &str) -> NomResult<'_, &str> {
    take_while(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r')).parse(i)
}

/// A JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number(i: &str) -> NomResult<'_, &str> {
    recognize((
        opt(char('-')),
        alt((tag("0"), recognize(pair(one_of("123456789"), digit0)))),
        opt(pair(char('.'), take_while1(|c: char| c.is_ascii_digit()))),
        opt((
            one_of("eE"),
            opt(one_of("+-")),
            take_while1(|c: char| c.is_ascii_digit()),
        )),
    ))
    .parse(i)
}

/// Jackson's description of a character in its messages: `'x' (code 120)`.
fn described(c: char) -> String {
    if c.is_control() {
        format!("(CTRL-CHAR, code {})", u32::from(c))
    } else {
        format!("'{c}' (code {})", u32::from(c))
    }
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            stack: Vec::new(),
            started: false,
            token_start: None,
            name_end: 0,
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn skip_blanks(&mut self) {
        if let Ok((rest, _)) = blanks(self.rest()) {
            self.pos = self.src.len() - rest.len();
        }
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// A syntax error at the current position, one character wide.
    fn syntax(&self, reason: String) -> Fail {
        let width = self.peek().map_or(0, char::len_utf8);
        (
            ErrorKind::EventPatternSyntax { reason },
            Span::new(self.pos, self.pos + width),
        )
    }

    fn unexpected(&self, expecting: &str) -> Fail {
        match self.peek() {
            Some(c) => self.syntax(format!(
                "Unexpected character ({}): {expecting}",
                described(c)
            )),
            None => self.end_of_input(),
        }
    }

    fn end_of_input(&self) -> Fail {
        let what = match self.stack.last() {
            Some(Ctx::Array { .. }) => "expected close marker for Array",
            Some(_) => "expected close marker for Object",
            None => "expected a value",
        };
        self.syntax(format!("Unexpected end-of-input: {what}"))
    }

    /// The next token.
    fn next(&mut self) -> Result<Token, Fail> {
        self.skip_blanks();
        self.token_start = None;
        let start = self.pos;
        let tok = match self.stack.last().copied() {
            None if self.started => Tok::End,
            None => {
                self.started = true;
                // No token at all (Jackson's `null`): the compiler says it is not an object.
                if self.peek().is_none() {
                    Tok::End
                } else {
                    self.value()?
                }
            }
            Some(Ctx::Array { first }) => {
                if self.peek() == Some(']') && first {
                    self.pos += 1;
                    self.stack.pop();
                    Tok::EndArray
                } else if first {
                    self.set_top(Ctx::Array { first: false });
                    self.value()?
                } else {
                    match self.peek() {
                        Some(']') => {
                            self.pos += 1;
                            self.stack.pop();
                            Tok::EndArray
                        }
                        Some(',') => {
                            self.pos += 1;
                            self.skip_blanks();
                            self.value()?
                        }
                        _ => {
                            return Err(
                                self.unexpected("was expecting comma to separate Array entries")
                            );
                        }
                    }
                }
            }
            Some(Ctx::ObjectName { first }) => match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    self.stack.pop();
                    Tok::EndObject
                }
                Some(',') if !first => {
                    self.pos += 1;
                    self.skip_blanks();
                    self.name()?
                }
                _ if first => self.name()?,
                _ => {
                    return Err(self.unexpected("was expecting comma to separate Object entries"));
                }
            },
            Some(Ctx::ObjectValue) => {
                self.set_top(Ctx::ObjectName { first: false });
                self.value()?
            }
        };
        // The span of a name or value starts at its first character, after any comma.
        let start = self.token_start.unwrap_or(start);
        let end = match tok {
            Tok::Name(_) => self.name_end,
            _ => self.pos,
        };
        Ok(Token {
            tok,
            span: Span::new(start, end),
        })
    }

    fn set_top(&mut self, ctx: Ctx) {
        if let Some(top) = self.stack.last_mut() {
            *top = ctx;
        }
    }

    /// A member name and its `:`.
    fn name(&mut self) -> Result<Tok, Fail> {
        if self.peek() != Some('"') {
            return Err(self.unexpected("was expecting double-quote to start field name"));
        }
        self.token_start = Some(self.pos);
        let name = self.string()?;
        self.name_end = self.pos;
        self.skip_blanks();
        if self.peek() != Some(':') {
            return Err(self.unexpected("was expecting a colon to separate field name and value"));
        }
        self.pos += 1;
        self.set_top(Ctx::ObjectValue);
        Ok(Tok::Name(name))
    }

    /// The start of a value.
    fn value(&mut self) -> Result<Tok, Fail> {
        self.skip_blanks();
        self.token_start = Some(self.pos);
        let rest = self.rest();
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                self.stack.push(Ctx::ObjectName { first: true });
                Ok(Tok::StartObject)
            }
            Some('[') => {
                self.pos += 1;
                self.stack.push(Ctx::Array { first: true });
                Ok(Tok::StartArray)
            }
            Some('"') => self.string().map(Tok::Str),
            Some('-' | '0'..='9') => match number(rest) {
                Ok((after, text)) => {
                    if text.trim_start_matches('-').starts_with('0')
                        && after.starts_with(|c: char| c.is_ascii_digit())
                    {
                        return Err(
                            self.syntax("Invalid numeric value: Leading zeroes not allowed".into())
                        );
                    }
                    self.pos += text.len();
                    Ok(Tok::Num(text.to_owned()))
                }
                Err(_) => Err(self.syntax(format!(
                    "Invalid numeric value: '{}' is not a number",
                    rest.split(|c: char| !c.is_ascii_alphanumeric() && !"+-.".contains(c))
                        .next()
                        .unwrap_or_default()
                ))),
            },
            Some('t' | 'f' | 'n') => {
                let word: &str = rest
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .next()
                    .unwrap_or_default();
                let tok = match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "null" => Tok::Null,
                    _ => {
                        return Err(self.syntax(format!(
                            "Unrecognized token '{word}': was expecting (JSON String, Number, \
                             Array, Object or token 'null', 'true' or 'false')"
                        )));
                    }
                };
                self.pos += word.len();
                Ok(tok)
            }
            Some(_) => Err(self.unexpected(
                "expected a valid value (JSON String, Number, Array, Object or token 'null', \
                 'true' or 'false')",
            )),
            None => Err(self.end_of_input()),
        }
    }

    /// A string from its opening quote.
    fn string(&mut self) -> Result<String, Fail> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.rest();
            // Bytes, not characters: the three are ASCII, and no byte of a longer character is.
            let plain = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            out.push_str(rest.get(..plain).unwrap_or_default());
            self.pos += plain;
            match self.peek() {
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(c) => {
                    return Err(self.syntax(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to \
                         be included in string value",
                        described(c)
                    )));
                }
                None => {
                    return Err(self.syntax(
                        "Unexpected end-of-input: was expecting closing quote for a string value"
                            .into(),
                    ));
                }
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Result<char, Fail> {
        let Some(c) = self.peek() else {
            return Err(self.syntax("Unexpected end-of-input in character escape sequence".into()));
        };
        let simple = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '/' => Some('/'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'u' => None,
            _ => {
                return Err(self.syntax(format!("Unrecognized character escape {}", described(c))));
            }
        };
        if let Some(ch) = simple {
            self.pos += 1;
            return Ok(ch);
        }
        self.pos += 1;
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            // A surrogate pair: the low half must follow as another `\u` escape.
            if !self.rest().starts_with("\\u") {
                return Err(self.syntax("Unpaired surrogate in string value".into()));
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.syntax("Unpaired surrogate in string value".into()));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.syntax("Unpaired surrogate in string value".into()))
    }

    fn hex4(&mut self) -> Result<u32, Fail> {
        let digits = self.rest().get(..4).unwrap_or_default();
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.syntax(
                "Unexpected character in Unicode escape: expected a hex-digit for character \
                 escape sequence"
                    .into(),
            ));
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.syntax("invalid escape".into()))
    }
}

// ---- the compiler -------------------------------------------------------------------------------

/// event-ruler's reserved words, refused as field names inside `$or`
/// (`Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`).
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

struct Compiler<'a> {
    lexer: Lexer<'a>,
    depth: usize,
    max_depth: usize,
}

fn structure(reason: impl Into<String>, span: Span) -> Fail {
    (
        ErrorKind::EventPatternStructure {
            reason: reason.into(),
        },
        span,
    )
}

fn operator(reason: impl Into<String>, span: Span) -> Fail {
    (
        ErrorKind::EventPatternOperator {
            reason: reason.into(),
        },
        span,
    )
}

fn number_error(reason: impl Into<String>, span: Span) -> Fail {
    (
        ErrorKind::EventPatternNumber {
            reason: reason.into(),
        },
        span,
    )
}

/// A number event-ruler can compare, or its `Cannot compare number` refusal.
fn comparable(token: &Token) -> Result<f64, Fail> {
    let text = token.text();
    value::comparable(&text)
        .ok_or_else(|| number_error(format!("Cannot compare number : {text}"), token.span))
}

const ONLY_ONE_KEY: &str = "Only one key allowed in match expression";

impl<'a> Compiler<'a> {
    fn next(&mut self) -> Result<Token, Fail> {
        self.lexer.next()
    }

    /// `doCompile`.
    fn root(&mut self) -> Result<Object, Fail> {
        let t = self.next()?;
        if t.tok != Tok::StartObject {
            let span = if t.tok == Tok::End {
                Span::new(0, self.lexer.src.len())
            } else {
                t.span
            };
            return Err(structure("Filter is not an object", span));
        }
        self.object(t.span.start, false)
    }

    /// `parseObject` and `parseObjectInsideOrRelationship`: the members of an object whose `{`
    /// starts at `start`.
    fn object(&mut self, start: usize, in_or: bool) -> Result<Object, Fail> {
        self.depth += 1;
        if self.depth > self.max_depth {
            let kind = ErrorKind::EventPatternTooDeep {
                max: self.max_depth,
            };
            return Err((kind, Span::new(start, start + 1)));
        }
        let mut members = Vec::new();
        loop {
            let t = self.next()?;
            let key = match t.tok {
                Tok::EndObject => {
                    let span = Span::new(start, t.span.end);
                    if members.is_empty() {
                        return Err(structure("Empty objects are not allowed", span));
                    }
                    self.depth -= 1;
                    // The tree is kept as long as its pattern: no spare room (a set of
                    // 100,000 patterns kept 1.3 KB of it a pattern).
                    members.shrink_to_fit();
                    return Ok(Object { members, span });
                }
                Tok::Name(key) => key,
                // The reader gives only names and `}` inside an object.
                _ => return Err(structure("Expected a field name", t.span)),
            };
            if key == "$or" {
                members.push(self.or(t.span)?);
                continue;
            }
            if in_or && RESERVED_IN_OR.contains(&key.as_str()) {
                return Err(structure(
                    format!("{key} is Ruler reserved fieldName which cannot be used inside $or."),
                    t.span,
                ));
            }
            let v = self.next()?;
            let value = match v.tok {
                Tok::StartObject => FieldValue::Object(self.object(v.span.start, in_or)?),
                Tok::StartArray => self.values(v.span.start)?,
                _ => {
                    return Err(structure(
                        format!("\"{key}\" must be an object or an array"),
                        v.span,
                    ));
                }
            };
            members.push(Member::Field {
                key,
                key_span: t.span,
                value,
            });
        }
    }

    /// `parseIntoOrRelationship`: the array after `"$or"`.
    fn or(&mut self, key_span: Span) -> Result<Member, Fail> {
        let open = self.next()?;
        if open.tok != Tok::StartArray {
            return Err(structure(
                "It must be an Array followed with $or.",
                open.span,
            ));
        }
        let mut alternatives = Vec::new();
        loop {
            let t = self.next()?;
            match t.tok {
                Tok::EndArray => {
                    let span = Span::new(open.span.start, t.span.end);
                    if alternatives.len() < 2 {
                        return Err(structure(
                            "There must have at least 2 Objects in $or relationship.",
                            span,
                        ));
                    }
                    alternatives.shrink_to_fit();
                    return Ok(Member::Or {
                        key_span,
                        alternatives,
                        span,
                    });
                }
                Tok::StartObject => alternatives.push(self.object(t.span.start, true)?),
                _ => {
                    return Err(structure(
                        "Only JSON object is allowed in array of $or relationship.",
                        t.span,
                    ));
                }
            }
        }
    }

    /// `writeRules`: the elements of a field's array, whose `[` starts at `start`.
    fn values(&mut self, start: usize) -> Result<FieldValue, Fail> {
        let mut matchers = Vec::new();
        loop {
            let t = self.next()?;
            let kind = match &t.tok {
                Tok::EndArray => {
                    let span = Span::new(start, t.span.end);
                    if matchers.is_empty() {
                        return Err(structure("Empty arrays are not allowed", span));
                    }
                    matchers.shrink_to_fit();
                    return Ok(FieldValue::Matchers { matchers, span });
                }
                Tok::StartObject => {
                    let (kind, end) = self.match_expression()?;
                    matchers.push(Matcher {
                        kind,
                        span: Span::new(t.span.start, end),
                    });
                    continue;
                }
                Tok::Str(s) => match value::parse_ip(s) {
                    Some(ip) => MatcherKind::ExactIp {
                        text: s.clone(),
                        range: IpRange::single(ip),
                    },
                    None => MatcherKind::Exact(s.clone()),
                },
                Tok::Num(n) => MatcherKind::Number {
                    text: n.clone(),
                    value: value::comparable(n),
                },
                Tok::Null => MatcherKind::Null,
                Tok::True => MatcherKind::Bool(true),
                Tok::False => MatcherKind::Bool(false),
                _ => {
                    return Err(structure(
                        "Match value must be String, number, true, false, or null",
                        t.span,
                    ));
                }
            };
            matchers.push(Matcher { kind, span: t.span });
        }
    }

    /// Expects the `}` closing a one-key operator object; gives its end.
    fn close(&mut self, message: &str) -> Result<usize, Fail> {
        let t = self.next()?;
        if t.tok != Tok::EndObject {
            return Err(operator(message, t.span));
        }
        Ok(t.span.end)
    }

    /// `processMatchExpression`: an operator object, after its `{`; gives the matcher and the end
    /// of the object.
    fn match_expression(&mut self) -> Result<(MatcherKind, usize), Fail> {
        let name = self.next()?;
        let Tok::Name(op) = &name.tok else {
            return Err(operator("Match expression name not found", name.span));
        };
        let op = op.clone();
        match op.as_str() {
            "exactly" => {
                let v = self.next()?;
                let Tok::Str(s) = v.tok else {
                    return Err(operator("exact match pattern must be a string", v.span));
                };
                let end = self.close(ONLY_ONE_KEY)?;
                Ok((MatcherKind::Exact(s), end))
            }
            "prefix" | "suffix" => {
                let prefix = op == "prefix";
                let v = self.next()?;
                match v.tok {
                    Tok::StartObject => self.affix_ignore_case(prefix),
                    Tok::Str(s) => {
                        let end = self.close(ONLY_ONE_KEY)?;
                        let kind = if prefix {
                            MatcherKind::Prefix(s)
                        } else {
                            MatcherKind::Suffix(s)
                        };
                        Ok((kind, end))
                    }
                    _ => Err(operator(
                        format!("{op} match pattern must be a string"),
                        v.span,
                    )),
                }
            }
            "numeric" => {
                let v = self.next()?;
                if v.tok != Tok::StartArray {
                    return Err(operator("Value of numeric must be an array.", v.span));
                }
                let range = self.numeric()?;
                let end = self.close("Too many elements in numeric expression")?;
                Ok((MatcherKind::Numeric(range), end))
            }
            "anything-but" => self.anything_but(),
            "exists" => {
                let v = self.next()?;
                let exists = match v.tok {
                    Tok::True => true,
                    Tok::False => false,
                    _ => {
                        return Err(operator(
                            "exists match pattern must be either true or false.",
                            v.span,
                        ));
                    }
                };
                let end = self.close(ONLY_ONE_KEY)?;
                Ok((MatcherKind::Exists(exists), end))
            }
            "cidr" => {
                let v = self.next()?;
                let Tok::Str(s) = v.tok else {
                    // event-ruler's message, which names prefix.
                    return Err(operator("prefix match pattern must be a string", v.span));
                };
                let range = value::parse_cidr(&s)
                    .map_err(|reason| (ErrorKind::EventPatternCidr { reason }, v.span))?;
                let end = self.close(ONLY_ONE_KEY)?;
                Ok((MatcherKind::Cidr { text: s, range }, end))
            }
            "equals-ignore-case" => {
                let v = self.next()?;
                let Tok::Str(s) = v.tok else {
                    return Err(operator(
                        "equals-ignore-case match pattern must be a string",
                        v.span,
                    ));
                };
                let end = self.close(ONLY_ONE_KEY)?;
                Ok((MatcherKind::EqualsIgnoreCase(Folded::new(&s)), end))
            }
            "wildcard" => {
                let v = self.next()?;
                let Tok::Str(s) = v.tok else {
                    return Err(operator("wildcard match pattern must be a string", v.span));
                };
                let glob = value::parse_wildcard(&s)
                    .map_err(|reason| (ErrorKind::EventPatternWildcard { reason }, v.span))?;
                let end = self.close(ONLY_ONE_KEY)?;
                Ok((MatcherKind::Wildcard(glob), end))
            }
            _ => Err(operator(format!("Unrecognized match type {op}"), name.span)),
        }
    }

    /// `processPrefixEqualsIgnoreCaseExpression` / `processSuffixEqualsIgnoreCaseExpression`,
    /// after the inner `{`.
    fn affix_ignore_case(&mut self, prefix: bool) -> Result<(MatcherKind, usize), Fail> {
        let which = if prefix { "Prefix" } else { "Suffix" };
        let name = self.next()?;
        let Tok::Name(op) = &name.tok else {
            return Err(operator(
                format!("{which} expression name not found"),
                name.span,
            ));
        };
        if op != "equals-ignore-case" {
            let lower = which.to_lowercase();
            return Err(operator(
                format!("Unsupported {lower} pattern: {op}"),
                name.span,
            ));
        }
        let v = self.next()?;
        let Tok::Str(s) = v.tok else {
            return Err(operator(
                "equals-ignore-case match pattern must be a string",
                v.span,
            ));
        };
        self.close(ONLY_ONE_KEY)?;
        let end = self.close(ONLY_ONE_KEY)?;
        let folded = Folded::new(&s);
        let kind = if prefix {
            MatcherKind::PrefixIgnoreCase(folded)
        } else {
            MatcherKind::SuffixIgnoreCase(folded)
        };
        Ok((kind, end))
    }

    /// `processNumericMatchExpression`, after the `[`; its checks in its order.
    fn numeric(&mut self) -> Result<NumericRange, Fail> {
        let op_token = self.next()?;
        let Tok::Str(op) = &op_token.tok else {
            return Err(operator(
                format!("Invalid member in numeric match: {}", op_token.text()),
                op_token.span,
            ));
        };
        let op = op.clone();
        let v = self.next()?;
        if !matches!(op.as_str(), "=" | ">=" | ">" | "<=" | "<") {
            return Err(operator(
                format!("Unrecognized numeric range operator: {op}"),
                op_token.span,
            ));
        }
        let shown = if op == "=" { "equals" } else { op.as_str() };
        if !v.tok.is_number() {
            return Err(operator(
                format!("Value of {shown} must be numeric"),
                v.span,
            ));
        }
        if matches!(op.as_str(), "=" | "<=" | "<") {
            let after = self.next()?;
            if after.tok != Tok::EndArray {
                return Err(operator(
                    "Too many elements in numeric expression",
                    after.span,
                ));
            }
            let x = comparable(&v)?;
            return Ok(if op == "=" {
                NumericRange::Equals(x)
            } else {
                NumericRange::Between {
                    lower: None,
                    upper: Some((x, op == "<=")),
                }
            });
        }
        let t = self.next()?;
        if t.tok == Tok::EndArray {
            let lower = Some((comparable(&v)?, op == ">="));
            return Ok(NumericRange::Between { lower, upper: None });
        }
        // `completeNumericRange`.
        let Tok::Str(top_op) = &t.tok else {
            return Err(operator(
                format!("Bad value in numeric range: {}", t.text()),
                t.span,
            ));
        };
        let top_op = top_op.clone();
        if top_op != "<" && top_op != "<=" {
            return Err(operator(
                format!("Bad numeric range operator: {top_op}"),
                t.span,
            ));
        }
        let top = self.next()?;
        if !top.tok.is_number() {
            return Err(operator(
                format!("Value of {top_op} must be numeric"),
                top.span,
            ));
        }
        let after = self.next()?;
        if after.tok != Tok::EndArray {
            return Err(operator(
                "Too many terms in numeric range expression",
                after.span,
            ));
        }
        let (x, y) = (comparable(&v)?, comparable(&top)?);
        if x >= y {
            return Err(number_error(
                "Bottom must be less than top",
                Span::new(v.span.start, top.span.end),
            ));
        }
        Ok(NumericRange::Between {
            lower: Some((x, op == ">=")),
            upper: Some((y, top_op == "<=")),
        })
    }

    /// The `anything-but` part of `processMatchExpression`, after its name.
    fn anything_but(&mut self) -> Result<(MatcherKind, usize), Fail> {
        let mut v = self.next()?;
        let mut set: Option<String> = None;
        if v.tok == Tok::StartObject {
            let name = self.next()?;
            let Tok::Name(op) = &name.tok else {
                return Err(operator(
                    "Anything-But expression name not found",
                    name.span,
                ));
            };
            if !matches!(
                op.as_str(),
                "equals-ignore-case" | "prefix" | "suffix" | "wildcard"
            ) {
                return Err(operator(
                    format!("Unsupported anything-but pattern: {op}"),
                    name.span,
                ));
            }
            set = Some(op.clone());
            v = self.next()?;
        }
        if !matches!(v.tok, Tok::StartArray | Tok::Str(_) | Tok::Num(_)) {
            return Err(operator(
                "Value of anything-but must be an array or single string/number value.",
                v.span,
            ));
        }
        let kind = match set.as_deref() {
            None => self.plain_anything_but(&v)?,
            Some(op) => self.valued_anything_but(op, &v)?,
        };
        let end = self.close("Too many elements in numeric expression")?;
        let end = if set.is_some() {
            self.close("Too many elements in numeric expression")?
        } else {
            end
        };
        Ok((MatcherKind::AnythingBut(kind), end))
    }

    /// `processAnythingButListMatchExpression` / `processAnythingButMatchExpression`: `v` is the
    /// `[` of a list or the single value.
    fn plain_anything_but(&mut self, v: &Token) -> Result<AnythingBut, Fail> {
        let mut strings = Vec::new();
        let mut numbers = Vec::new();
        let mut add = |t: &Token| -> Result<(), Fail> {
            match &t.tok {
                Tok::Str(s) => strings.push(s.clone()),
                Tok::Num(n) => numbers.push((n.clone(), comparable(t)?)),
                _ => {
                    return Err(operator(
                        "Inside anything but list, start|null|boolean is not supported.",
                        t.span,
                    ));
                }
            }
            Ok(())
        };
        if v.tok != Tok::StartArray {
            add(v)?;
        } else {
            let end = loop {
                let t = self.next()?;
                if t.tok == Tok::EndArray {
                    break t.span.end;
                }
                add(&t)?;
            };
            if strings.is_empty() == numbers.is_empty() {
                return Err(operator(
                    "Inside anything but list, either all values are number or string, mixed \
                     type is not supported",
                    Span::new(v.span.start, end),
                ));
            }
        }
        Ok(if numbers.is_empty() {
            AnythingBut::Strings(strings)
        } else {
            AnythingBut::Numbers(numbers)
        })
    }

    /// `processAnythingButValuesSetMatchExpression` and its single-value form: `v` is the `[` of
    /// a list or the single value.
    fn valued_anything_but(&mut self, op: &str, v: &Token) -> Result<AnythingBut, Fail> {
        let mut values: Vec<(String, Span)> = Vec::new();
        let mut add = |t: &Token| -> Result<(), Fail> {
            let Tok::Str(s) = &t.tok else {
                let message = match op {
                    "equals-ignore-case" => {
                        "Inside anything-but/equals-ignore-case list, number|start|null|boolean \
                         is not supported."
                    }
                    "wildcard" => "wildcard match pattern must be a string",
                    _ => "prefix/suffix match pattern must be a string",
                };
                return Err(operator(message, t.span));
            };
            if (op == "prefix" || op == "suffix") && s.is_empty() {
                return Err(operator("Null prefix/suffix not allowed", t.span));
            }
            values.push((s.clone(), t.span));
            Ok(())
        };
        if v.tok != Tok::StartArray {
            add(v)?;
        } else {
            loop {
                let t = self.next()?;
                if t.tok == Tok::EndArray {
                    break;
                }
                add(&t)?;
            }
        }
        Ok(match op {
            "equals-ignore-case" => {
                AnythingBut::IgnoreCase(values.iter().map(|(s, _)| Folded::new(s)).collect())
            }
            "prefix" => AnythingBut::Prefixes(values.into_iter().map(|(s, _)| s).collect()),
            "suffix" => AnythingBut::Suffixes(values.into_iter().map(|(s, _)| s).collect()),
            _ => AnythingBut::Wildcards(
                values
                    .iter()
                    .map(|(s, span)| {
                        value::parse_wildcard(s)
                            .map_err(|reason| (ErrorKind::EventPatternWildcard { reason }, *span))
                    })
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}
