//! A streaming JSON scanner (RFC 8259) over a [`Source`]: it checks one value at a time without
//! building it, with an explicit stack bounded by the nesting limit (deeper levels are only
//! counted), so no input can overflow the call stack or the memory.
//!
//! Problems come in two strengths. A *lexical* problem (invalid UTF-8, a bad escape or control
//! character in a string, a malformed number or literal such as `NaN`) leaves the structure
//! readable: the scanner notes the first one, steps over the bad token and goes on to the end of
//! the value, so the caller can skip just that value. A *structural* problem (a missing comma, a
//! trailing comma, a line break inside a string, the end of the input) is [`Fatal`]: where the
//! value ends can no longer be known. The rules are those of core's strict reader (`json.rs`).

use super::SkipKind;
use super::source::{Fatal, Problem, Sink, Source};

/// What kind of value a scan found (from its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Object,
    Array,
    String,
    Number,
    Literal,
    /// A bare word that is no JSON value (`NaN`, `undefined`, …).
    Invalid,
}

impl Shape {
    /// "an array", "a string", … for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Shape::Object => "an object",
            Shape::Array => "an array",
            Shape::String => "a string",
            Shape::Number => "a number",
            Shape::Literal => "a literal (true, false or null)",
            Shape::Invalid => "not a JSON value",
        }
    }
}

/// A value scanned to its end, with the first lexical problem met on the way.
#[derive(Debug)]
pub(crate) struct Scanned {
    pub(crate) shape: Shape,
    pub(crate) problem: Option<Problem>,
}

/// Keeps the first problem only.
pub(crate) fn note(slot: &mut Option<Problem>, problem: Option<Problem>) {
    if slot.is_none() {
        *slot = problem;
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that continue a bare word: what a mistyped number or literal is made of.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_')
}

/// How a byte looks in a message: `'x'` when printable ASCII, else `byte 0xNN`.
pub(crate) fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", char::from(b))
    } else {
        format!("byte 0x{b:02X}")
    }
}

fn hex4(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.get(..4)?;
    digits
        .iter()
        .try_fold(0u32, |n, &b| Some(n * 16 + char::from(b).to_digit(16)?))
}

/// States of the number grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Num {
    Start,
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
    Bad,
}

impl Num {
    fn step(self, b: u8) -> Num {
        match (self, b) {
            (Num::Start, b'-') => Num::Minus,
            (Num::Start | Num::Minus, b'0') => Num::Zero,
            (Num::Start | Num::Minus, b'1'..=b'9') => Num::Int,
            (Num::Int, b'0'..=b'9') => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
            (Num::Exp, b'+' | b'-') => Num::ExpSign,
            (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => Num::ExpDigits,
            _ => Num::Bad,
        }
    }

    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits)
    }
}

impl Source<'_> {
    fn problem(&self, kind: SkipKind, reason: impl Into<String>) -> Problem {
        Problem {
            kind,
            at: self.offset(),
            reason: reason.into(),
        }
    }

    /// A structural problem at the next byte.
    pub(crate) fn fatal(&self, reason: impl Into<String>) -> Fatal {
        Fatal::Syntax(self.problem(SkipKind::InvalidJson, reason))
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    pub(crate) fn skip_ws(&mut self) -> Result<(), Fatal> {
        loop {
            self.fill(1)?;
            let n = self.avail().iter().take_while(|&&b| is_ws(b)).count();
            if n == 0 {
                break;
            }
            self.advance(n);
        }
        if self.guard_lines && self.at_line_start() && self.avail().first() == Some(&b'{') {
            return Err(
                self.fatal("a line that starts with '{' inside a value (a record cut short?)")
            );
        }
        Ok(())
    }

    /// Skips spaces, tabs and carriage returns, not line feeds.
    pub(crate) fn skip_blanks(&mut self) -> Result<(), Fatal> {
        loop {
            self.fill(1)?;
            let n = self
                .avail()
                .iter()
                .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\r'))
                .count();
            if n == 0 {
                return Ok(());
            }
            self.advance(n);
        }
    }

    /// Consumes through the next line feed (or to the end of the input), and returns how many
    /// bytes came before it, without a carriage return right before it (as a line's text is
    /// measured).
    pub(crate) fn skip_line(&mut self) -> Result<u64, Fatal> {
        let (mut skipped, mut carriage_return) = (0, false);
        loop {
            self.fill(1)?;
            let avail = self.avail();
            let (n, feed) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, 1),
                None => (avail.len(), 0),
            };
            if let Some(before) = n.checked_sub(1).and_then(|i| avail.get(i)) {
                carriage_return = *before == b'\r';
            }
            skipped += n as u64;
            self.advance(n + feed);
            if feed == 1 || n == 0 {
                return Ok(skipped - u64::from(carriage_return));
            }
        }
    }

    /// Consumes a run of bare-word bytes.
    fn skip_word(&mut self) -> Result<(), Fatal> {
        loop {
            self.fill(1)?;
            let n = self.avail().iter().take_while(|&&b| is_word(b)).count();
            if n == 0 {
                return Ok(());
            }
            self.advance(n);
        }
    }

    /// Consumes `byte` (after whitespace) or fails with `reason`.
    pub(crate) fn expect(&mut self, byte: u8, reason: &str) -> Result<(), Fatal> {
        self.skip_ws()?;
        match self.peek()? {
            Some(b) if b == byte => {
                self.advance(1);
                Ok(())
            }
            Some(b) => Err(self.fatal(format!("{reason}, found {}", show_byte(b)))),
            None => Err(self.fatal(format!("{reason}, found the end of the input"))),
        }
    }

    /// Scans `"key" :` and decodes the key into `key` (cleared first). Whitespace around it is
    /// consumed, and so is the whitespace after the colon.
    pub(crate) fn key(&mut self, mut key: Option<&mut Sink>) -> Result<Option<Problem>, Fatal> {
        if let Some(key) = key.as_deref_mut() {
            key.clear();
        }
        self.skip_ws()?;
        match self.peek()? {
            Some(b'"') => {}
            Some(b) => {
                return Err(self.fatal(format!("expected a string key, found {}", show_byte(b))));
            }
            None => return Err(self.fatal("expected a string key, found the end of the input")),
        }
        let problem = self.string(key)?;
        self.expect(b':', "expected ':' after the key")?;
        self.skip_ws()?;
        Ok(problem)
    }

    /// Scans a string starting at its opening quote; decodes its content into `out` if given
    /// (lone surrogate escapes become U+FFFD).
    pub(crate) fn string(&mut self, out: Option<&mut Sink>) -> Result<Option<Problem>, Fatal> {
        self.advance(1);
        self.string_rest(out)
    }

    /// Scans the rest of a string whose opening quote was consumed, through the closing quote.
    pub(crate) fn string_rest(
        &mut self,
        mut out: Option<&mut Sink>,
    ) -> Result<Option<Problem>, Fatal> {
        let mut problem = None;
        loop {
            self.fill(1)?;
            let avail = self.avail();
            if avail.is_empty() {
                return Err(self.fatal("unterminated string"));
            }
            let run = avail
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b))
                .unwrap_or(avail.len());
            if run > 0 {
                if let Some(out) = out.as_deref_mut() {
                    out.push(avail.get(..run).unwrap_or_default());
                }
                self.advance(run);
                continue;
            }
            let Some(&b) = avail.first() else { continue };
            match b {
                b'"' => {
                    self.advance(1);
                    return Ok(problem);
                }
                b'\\' => {
                    let found = self.escape(out.as_deref_mut())?;
                    note(&mut problem, found);
                }
                b'\n' => return Err(self.fatal("line break inside a string")),
                0x00..=0x1F => {
                    note(
                        &mut problem,
                        Some(self.problem(
                            SkipKind::InvalidJson,
                            format!("control character U+{b:04X} in a string"),
                        )),
                    );
                    self.advance(1);
                }
                _ => {
                    let found = self.utf8(out.as_deref_mut())?;
                    note(&mut problem, found);
                }
            }
        }
    }

    /// One UTF-8 sequence starting at a byte >= 0x80; an invalid byte is stepped over alone.
    fn utf8(&mut self, out: Option<&mut Sink>) -> Result<Option<Problem>, Fatal> {
        let lead = self.avail().first().copied().unwrap_or(0);
        let len = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 1,
        };
        self.fill(len)?;
        let valid = self
            .avail()
            .get(..len)
            .filter(|seq| len > 1 && std::str::from_utf8(seq).is_ok());
        if let Some(seq) = valid {
            if let Some(out) = out {
                out.push(seq);
            }
            self.advance(len);
            return Ok(None);
        }
        let problem = self.problem(
            SkipKind::InvalidUtf8,
            format!("byte 0x{lead:02X} does not start a valid UTF-8 sequence"),
        );
        self.advance(1);
        Ok(Some(problem))
    }

    /// An escape starting at its backslash.
    fn escape(&mut self, out: Option<&mut Sink>) -> Result<Option<Problem>, Fatal> {
        self.fill(2)?;
        let simple = match self.avail().get(1).copied() {
            None => return Err(self.fatal("unterminated string")),
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0C,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => return self.unicode_escape(out),
            Some(other) => {
                let problem = self.problem(
                    SkipKind::InvalidJson,
                    format!("invalid escape: a backslash before {}", show_byte(other)),
                );
                // Step over the backslash only: the next byte is read as ordinary text.
                self.advance(1);
                return Ok(Some(problem));
            }
        };
        if let Some(out) = out {
            out.push(&[simple]);
        }
        self.advance(2);
        Ok(None)
    }

    /// `\uXXXX`, and a following low surrogate when it makes a pair.
    fn unicode_escape(&mut self, out: Option<&mut Sink>) -> Result<Option<Problem>, Fatal> {
        self.fill(12)?;
        let avail = self.avail();
        let Some(unit) = avail.get(2..6).and_then(hex4) else {
            let problem = self.problem(
                SkipKind::InvalidJson,
                "invalid \\u escape (four hex digits expected)",
            );
            self.advance(2);
            return Ok(Some(problem));
        };
        let low = match avail.get(6..8) {
            Some(b"\\u") if (0xD800..=0xDBFF).contains(&unit) => avail
                .get(8..12)
                .and_then(hex4)
                .filter(|low| (0xDC00..=0xDFFF).contains(low)),
            _ => None,
        };
        let (code, len) = match low {
            Some(low) => (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), 12),
            None => (unit, 6),
        };
        if let Some(out) = out {
            let c = char::from_u32(code).unwrap_or('\u{FFFD}');
            out.push(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
        self.advance(len);
        Ok(None)
    }

    /// A number (or a bare word in its place, a lexical problem). Its text goes to `out`.
    pub(crate) fn number(&mut self, mut out: Option<&mut Sink>) -> Result<Option<Problem>, Fatal> {
        let start = self.problem(SkipKind::InvalidJson, "invalid number");
        let mut state = Num::Start;
        loop {
            self.fill(1)?;
            let avail = self.avail();
            let n = avail.iter().take_while(|&&b| is_word(b)).count();
            if n == 0 {
                break;
            }
            let run = avail.get(..n).unwrap_or_default();
            state = run.iter().fold(state, |s, &b| s.step(b));
            if let Some(out) = out.as_deref_mut() {
                out.push(run);
            }
            self.advance(n);
        }
        Ok((!state.complete()).then_some(start))
    }

    /// `true`, `false` or `null`; anything else made of word bytes is a lexical problem.
    fn literal(&mut self) -> Result<(Shape, Option<Problem>), Fatal> {
        let start = self.problem(SkipKind::InvalidJson, "invalid literal");
        self.fill(6)?;
        let avail = self.avail();
        for word in [&b"true"[..], b"false", b"null"] {
            if avail.starts_with(word) && !avail.get(word.len()).is_some_and(|&b| is_word(b)) {
                self.advance(word.len());
                return Ok((Shape::Literal, None));
            }
        }
        self.skip_word()?;
        Ok((Shape::Invalid, Some(start)))
    }

    /// Scans one complete value, nested at most `budget` containers deep (deeper levels are
    /// counted and noted as a problem). Returns right after the value's last byte.
    pub(crate) fn value(&mut self, budget: usize) -> Result<Scanned, Fatal> {
        // Open containers within the budget; beyond it only a count (whose kinds are unknown,
        // so any closing bracket closes and a key is accepted wherever one could be).
        let mut stack: Vec<u8> = Vec::new();
        let mut deeper: u64 = 0;
        let mut problem = None;
        let mut shape = None;
        // After a comma inside counted levels: a string there may be a key.
        let mut maybe_key = false;
        'value: loop {
            self.skip_ws()?;
            let at = self.offset();
            let Some(b) = self.peek()? else {
                return Err(self.fatal("unexpected end of input, expected a value"));
            };
            match b {
                b'{' | b'[' => {
                    self.advance(1);
                    shape.get_or_insert(if b == b'{' {
                        Shape::Object
                    } else {
                        Shape::Array
                    });
                    if stack.len() as u64 + deeper >= budget as u64 {
                        note(
                            &mut problem,
                            Some(Problem {
                                kind: SkipKind::NestingTooDeep,
                                at,
                                reason: format!("more than {budget} nested arrays and objects"),
                            }),
                        );
                        deeper += 1;
                    } else {
                        stack.push(b);
                    }
                    self.skip_ws()?;
                    let close = if b == b'{' { b'}' } else { b']' };
                    if self.peek()? == Some(close) {
                        self.advance(1);
                        if deeper > 0 {
                            deeper -= 1;
                        } else {
                            stack.pop();
                        }
                    } else {
                        if b == b'{' {
                            note(&mut problem, self.key(None)?);
                        }
                        maybe_key = false;
                        continue 'value;
                    }
                }
                b'"' => {
                    shape.get_or_insert(Shape::String);
                    note(&mut problem, self.string(None)?);
                    if maybe_key {
                        maybe_key = false;
                        self.skip_ws()?;
                        if self.peek()? == Some(b':') {
                            self.advance(1);
                            continue 'value;
                        }
                    }
                }
                b'-' | b'0'..=b'9' => {
                    shape.get_or_insert(Shape::Number);
                    note(&mut problem, self.number(None)?);
                }
                b't' | b'f' | b'n' => {
                    let (found, literal_problem) = self.literal()?;
                    shape.get_or_insert(found);
                    note(&mut problem, literal_problem);
                }
                _ if is_word(b) => {
                    shape.get_or_insert(Shape::Invalid);
                    note(
                        &mut problem,
                        Some(Problem {
                            kind: SkipKind::InvalidJson,
                            at,
                            reason: "invalid literal".to_owned(),
                        }),
                    );
                    self.skip_word()?;
                }
                _ => return Err(self.fatal(format!("expected a value, found {}", show_byte(b)))),
            }
            maybe_key = false;
            // A value is complete: close containers for as long as their brackets follow.
            loop {
                if stack.is_empty() && deeper == 0 {
                    return Ok(Scanned {
                        shape: shape.unwrap_or(Shape::Invalid),
                        problem,
                    });
                }
                self.skip_ws()?;
                let Some(b) = self.peek()? else {
                    return Err(self.fatal("unexpected end of input inside an array or object"));
                };
                if deeper > 0 {
                    match b {
                        b',' => {
                            self.advance(1);
                            maybe_key = true;
                            continue 'value;
                        }
                        b']' | b'}' => {
                            self.advance(1);
                            deeper -= 1;
                        }
                        _ => {
                            return Err(self.fatal(format!(
                                "expected ',' or a closing bracket, found {}",
                                show_byte(b)
                            )));
                        }
                    }
                    continue;
                }
                let object = stack.last() == Some(&b'{');
                match b {
                    b',' => {
                        self.advance(1);
                        if object {
                            note(&mut problem, self.key(None)?);
                        }
                        continue 'value;
                    }
                    b'}' if object => {
                        self.advance(1);
                        stack.pop();
                    }
                    b']' if !object => {
                        self.advance(1);
                        stack.pop();
                    }
                    _ if object => {
                        return Err(
                            self.fatal(format!("expected ',' or '}}', found {}", show_byte(b)))
                        );
                    }
                    _ => {
                        return Err(
                            self.fatal(format!("expected ',' or ']', found {}", show_byte(b)))
                        );
                    }
                }
            }
        }
    }
}
