//! A small, strict JSON reader (RFC 8259) for the reference evaluator and the engine's scan.
//!
//! Public only for [`plain_run_end`], the inner loop of every reader of JSON strings (the
//! CloudTrail readers of `trailmatch-cloudtrail` use it too), and [`TopMembers`], what such a
//! reader tells [`PatternSet::test_members`](crate::PatternSet::test_members) of a record it
//! has checked; the rest is internal.
//!
//! Unlike `serde_json` (without its global `arbitrary_precision` feature), it keeps
//! every number's exact source text, so filter comparisons can see what was written.
//! Parsing is iterative with an explicit stack, so hostile nesting cannot overflow
//! the call stack; nesting is limited to `MAX_DEPTH` (512) containers. Drop and the derived
//! traits do recurse, but only that deep (a few hundred KiB of stack in a debug build).

/// A JSON value; numbers keep the text they were written with.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number exactly as written in the input, e.g. "1e+3", "-0.5", "502".
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in input order; duplicates are kept.
    Object(Vec<(String, Json)>),
}

/// Why a text is not a JSON document (the byte offset where it went wrong and a short reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub offset: usize,
    pub reason: &'static str,
}

/// The top-level members of one JSON object, as a reader that has checked the whole object
/// found them: each key (between its quotes, without escapes) and where its value starts, byte
/// offsets into the object's text, in order. [`PatternSet::test_members`](crate::PatternSet::test_members)
/// then reads only the values its patterns reach and passes over the rest unread. Kept from one
/// record to the next ([`TopMembers::clear`]), it allocates nothing once grown.
#[derive(Clone, Debug, Default)]
pub struct TopMembers {
    /// Key start, key end, value start.
    members: Vec<(usize, usize, usize)>,
}

impl TopMembers {
    /// No member: ready for the next object.
    pub fn clear(&mut self) {
        self.members.clear();
    }

    /// The next member: its key is `text[key_start..key_end]` (no quotes, no escape), its value
    /// starts at `value_start`.
    #[inline]
    pub fn push(&mut self, key_start: usize, key_end: usize, value_start: usize) {
        self.members.push((key_start, key_end, value_start));
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.members.iter().copied()
    }
}

/// Nesting deeper than this is an error (not a stack overflow).
pub(crate) const MAX_DEPTH: usize = 512;

/// The bytes of `word` (eight bytes of text, the first in its low byte) that end the plain run of
/// a JSON string (`"`, `\\` or a control character), as the high bits of a mask: exact for the
/// lowest such byte (a borrow only flags bytes above it).
#[inline(always)]
fn specials(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The bytes below `floor`, among those without their high bit (`!word & HIGH`: none of the
    // three is above 0x7f).
    let below = |x: u64, floor: u64| x.wrapping_sub(ONES * floor);
    // With its bit 1 flipped, `"` (0x22) is 0x20, and a control character stays below it: both
    // are below 0x21 (and nothing else is).
    (below(word ^ (ONES * 0x02), 0x21) | below(word ^ (ONES * u64::from(b'\\')), 1)) & !word & HIGH
}

/// The position of the first byte of `bytes` from `at` on that ends the plain run of a JSON
/// string: `"`, `\\` or a control character (or `bytes.len()` when none does). Sixteen bytes a
/// step with SSE2 on x86-64, eight-byte words elsewhere and for the last fifteen bytes of a
/// text; inlined into the readers of strings, which call it for every string of an event:
/// strings of events are short, too short for a search function to have started.
///
/// ```
/// use trailmatch::json::plain_run_end;
///
/// let text = br#""eventName":"CreateUser","a\u00e9""#;
/// assert_eq!(plain_run_end(text, 1), 10); // the quote closing `eventName`
/// assert_eq!(plain_run_end(text, 26), 27); // the backslash of the escape
/// assert_eq!(plain_run_end(b"no end", 0), 6);
/// ```
#[inline(always)]
pub fn plain_run_end(bytes: &[u8], at: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    let at = match sse2::plain_run_end(bytes, at) {
        Ok(end) => return end,
        Err(rest) => rest,
    };
    word_run_end(bytes, at)
}

/// [`plain_run_end`] eight bytes a word, then byte by byte.
#[inline(always)]
fn word_run_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let hits = specials(u64::from_le_bytes(*chunk));
        if hits != 0 {
            return at + hits.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return at;
        }
        at += 1;
    }
    at
}

/// [`plain_run_end`] sixteen bytes a step, with SSE2 (part of every x86-64 processor).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };

    /// The end of the plain run from `at`, if it is in the sixteen-byte steps that `bytes`
    /// holds from there; otherwise `Err` of where those steps end (fewer than sixteen bytes are
    /// left after it).
    #[inline(always)]
    pub(super) fn plain_run_end(bytes: &[u8], mut at: usize) -> Result<usize, usize> {
        let quote = set_splat_i8_m128i(b'"' as i8);
        let backslash = set_splat_i8_m128i(b'\\' as i8);
        let control_max = set_splat_i8_m128i(0x1f);
        while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
            let v = load_unaligned_m128i(chunk);
            // A control character is its own minimum with 0x1f.
            let special = cmp_eq_mask_i8_m128i(v, quote)
                | cmp_eq_mask_i8_m128i(v, backslash)
                | cmp_eq_mask_i8_m128i(min_u8_m128i(v, control_max), v);
            let mask = move_mask_i8_m128i(special);
            if mask != 0 {
                return Ok(at + mask.trailing_zeros() as usize);
            }
            at += 16;
        }
        Err(at)
    }
}

/// The position of the first byte of `bytes` that ends the plain run of a JSON string, if one
/// does (see [`plain_run_end`]).
#[cfg(test)]
fn first_special(bytes: &[u8]) -> Option<usize> {
    Some(plain_run_end(bytes, 0)).filter(|&at| at < bytes.len())
}

/// The position of the first byte from `at` on that is no JSON blank (space, tab, LF, CR).
#[inline(always)]
fn blank_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// What is wrong in JSON text: where, and why.
type Lexical = (usize, &'static str);

/// The position after the string whose opening quote is at `at`, checked as [`Parser::string`]
/// checks it (the same escapes are valid), without building it. The plain run up to the closing
/// quote is read inline; anything else is left to [`string_rest`].
#[inline(always)]
fn string_end(bytes: &[u8], at: usize) -> Result<usize, Lexical> {
    let end = plain_run_end(bytes, at + 1);
    if bytes.get(end) == Some(&b'"') {
        Ok(end + 1)
    } else {
        string_rest(bytes, end)
    }
}

/// The rest of [`string_end`] from the first byte that ends a plain run and is no closing quote.
#[cold]
#[inline(never)]
fn string_rest(bytes: &[u8], mut at: usize) -> Result<usize, Lexical> {
    loop {
        match bytes.get(at) {
            Some(b'"') => return Ok(at + 1),
            Some(b'\\') => {
                at += 1;
                match bytes.get(at) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => at += 1,
                    Some(b'u') => at = hex4_end(bytes, at + 1)?,
                    Some(_) => return Err((at, "invalid escape")),
                    None => return Err((at, "unterminated string")),
                }
            }
            Some(_) => return Err((at, "control character in string")),
            None => return Err((at, "unterminated string")),
        }
        // The byte found is ASCII: every position is a char boundary.
        at = plain_run_end(bytes, at);
    }
}

/// The position after the four hex digits of a `\\u` escape starting at `at`.
fn hex4_end(bytes: &[u8], at: usize) -> Result<usize, Lexical> {
    for at in at..at + 4 {
        if !bytes.get(at).is_some_and(u8::is_ascii_hexdigit) {
            return Err((at, "invalid \\u escape"));
        }
    }
    Ok(at + 4)
}

/// The position after the number starting at `at`:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
#[inline]
fn number_end(bytes: &[u8], mut at: usize) -> Result<usize, Lexical> {
    let digits = |mut at: usize, reason: &'static str| {
        if !bytes.get(at).is_some_and(u8::is_ascii_digit) {
            return Err((at, reason));
        }
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        Ok(at)
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    if bytes.get(at) == Some(&b'0') {
        at += 1;
        if bytes.get(at).is_some_and(u8::is_ascii_digit) {
            return Err((at, "leading zeros are not allowed"));
        }
    } else {
        at = digits(at, "expected a digit")?;
    }
    if bytes.get(at) == Some(&b'.') {
        at = digits(at + 1, "expected a digit after '.'")?;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        at = digits(at, "expected a digit in the exponent")?;
    }
    Ok(at)
}

/// The position after `word` (`true`, `false`, `null`) at `at`.
#[inline(always)]
fn word_end(bytes: &[u8], at: usize, word: &'static str) -> Result<usize, Lexical> {
    match bytes.get(at..at + word.len()) {
        Some(w) if w == word.as_bytes() => Ok(at + word.len()),
        _ => Err((at, "invalid literal")),
    }
}

/// The position after the JSON value starting at `at` (after blanks), checked as [`parse`]
/// checks it, with at most `room` containers open in it; `open` holds their closing brackets
/// meanwhile. No tree is built and nothing recurses: for the values a reader skips.
fn value_end(
    bytes: &[u8],
    mut at: usize,
    room: usize,
    open: &mut Vec<u8>,
) -> Result<usize, Lexical> {
    let base = open.len();
    // A member's key and its colon.
    let key_end = |at: usize| {
        let at = blank_end(bytes, at);
        if bytes.get(at) != Some(&b'"') {
            return Err((at, "expected a key"));
        }
        let at = blank_end(bytes, string_end(bytes, at)?);
        if bytes.get(at) != Some(&b':') {
            return Err((at, "expected ':'"));
        }
        Ok(at + 1)
    };
    'value: loop {
        at = blank_end(bytes, at);
        match bytes.get(at) {
            Some(b'"') => at = string_end(bytes, at)?,
            Some(&bracket @ (b'{' | b'[')) => {
                if open.len() - base >= room {
                    return Err((at, "too deeply nested"));
                }
                at = blank_end(bytes, at + 1);
                // `}` and `]` follow `{` and `[` two code points on.
                let close = bracket + 2;
                if bytes.get(at) == Some(&close) {
                    at += 1;
                } else {
                    open.push(close);
                    if close == b'}' {
                        at = key_end(at)?;
                    }
                    continue 'value;
                }
            }
            Some(b'-' | b'0'..=b'9') => at = number_end(bytes, at)?,
            Some(b't') => at = word_end(bytes, at, "true")?,
            Some(b'f') => at = word_end(bytes, at, "false")?,
            Some(b'n') => at = word_end(bytes, at, "null")?,
            _ => return Err((at, "expected a value")),
        }
        // After a value: close what ends here, until a `,` asks for another value.
        while let Some(&close) = open.get(base..).and_then(<[u8]>::last) {
            at = blank_end(bytes, at);
            match bytes.get(at) {
                Some(b',') => {
                    at += 1;
                    if close == b'}' {
                        at = key_end(at)?;
                    }
                    continue 'value;
                }
                Some(&b) if b == close => {
                    at += 1;
                    open.pop();
                }
                _ => return Err((at, "expected ',' or a closing bracket")),
            }
        }
        return Ok(at);
    }
}

/// Parses one complete JSON document (RFC 8259). Leading and trailing JSON whitespace
/// (space, tab, LF, CR) is allowed; anything else after the value is an error.
pub(crate) fn parse(text: &str) -> Result<Json, JsonError> {
    let mut parser = Parser { text, pos: 0 };
    let value = parser.document_value()?;
    parser.skip_ws();
    if parser.pos < text.len() {
        return Err(parser.error("trailing characters after the value"));
    }
    Ok(value)
}

impl Json {
    /// Member lookup on an object: the LAST member with that key wins (as in JavaScript,
    /// serde_json and Jackson). None for non-objects or missing keys.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// An open container on the explicit parse stack.
enum Frame {
    Array(Vec<Json>),
    /// Members so far and the key whose value is being parsed.
    Object(Vec<(String, Json)>, String),
}

/// A cursor over JSON text. Besides building [`Json`] trees, it gives the lexical steps (strings,
/// numbers, literals, blanks) to the engine's scanner, so both read JSON by the same rules.
pub(crate) struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next unread byte; always on a char boundary between tokens.
    pos: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str) -> Parser<'a> {
        Parser { text, pos: 0 }
    }

    /// True when every byte has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// Goes to byte `pos` (the start of a value a [`TopMembers`] gives); past the end, to the
    /// end.
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.text.len());
    }

    /// Consumes the next byte (the caller has peeked it).
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// A string starting at its opening quote: borrowed from the text when it has no escape,
    /// decoded otherwise.
    #[inline]
    pub(crate) fn string_cow(&mut self) -> Result<std::borrow::Cow<'a, str>, JsonError> {
        // Both ends of a plain run are ASCII bytes, hence char boundaries.
        match self.plain_string().and_then(|run| self.text.get(run)) {
            Some(s) => Ok(std::borrow::Cow::Borrowed(s)),
            None => self.string().map(std::borrow::Cow::Owned),
        }
    }

    /// A member's key starting at its opening quote, as bytes: borrowed from the text when it
    /// has no escape, decoded otherwise.
    #[inline]
    pub(crate) fn key_cow(&mut self) -> Result<std::borrow::Cow<'a, [u8]>, JsonError> {
        match self
            .plain_string()
            .and_then(|run| self.text.as_bytes().get(run))
        {
            Some(key) => Ok(std::borrow::Cow::Borrowed(key)),
            None => self
                .string()
                .map(|key| std::borrow::Cow::Owned(key.into_bytes())),
        }
    }

    /// The content of the string starting at its opening quote, read past it, if that string is
    /// one plain run (no escape); otherwise nothing is read.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<std::ops::Range<usize>> {
        let start = self.pos + 1;
        let end = plain_run_end(self.text.as_bytes(), start);
        (self.text.as_bytes().get(end) == Some(&b'"')).then(|| {
            self.pos = end + 1;
            start..end
        })
    }

    /// Reads past a string starting at its opening quote, checked as [`Parser::string`] checks
    /// it, without building it: for the values and keys the engine's scanner skips.
    #[inline]
    pub(crate) fn skip_string(&mut self) -> Result<(), JsonError> {
        self.pos = string_end(self.text.as_bytes(), self.pos).map_err(|e| self.lexical(e))?;
        Ok(())
    }

    /// Reads past one value (after blanks), checked as [`parse`] checks it, with at most `room`
    /// containers open in it (`open` is room for their brackets), without building it.
    pub(crate) fn skip_value(&mut self, room: usize, open: &mut Vec<u8>) -> Result<(), JsonError> {
        self.pos =
            value_end(self.text.as_bytes(), self.pos, room, open).map_err(|e| self.lexical(e))?;
        Ok(())
    }

    fn lexical(&mut self, (at, reason): Lexical) -> JsonError {
        self.pos = at;
        self.error(reason)
    }

    /// Consumes `word` (`true`, `false`, `null`) or fails.
    pub(crate) fn word(&mut self, word: &'static str) -> Result<(), JsonError> {
        self.pos = word_end(self.text.as_bytes(), self.pos, word).map_err(|e| self.lexical(e))?;
        Ok(())
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.pos,
            reason,
        }
    }

    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        self.pos = blank_end(self.text.as_bytes(), self.pos);
    }

    /// Consumes `byte` (after whitespace) or fails with `reason`.
    fn consume(&mut self, byte: u8, reason: &'static str) -> Result<(), JsonError> {
        self.skip_ws();
        if self.peek() != Some(byte) {
            return Err(self.error(reason));
        }
        self.pos += 1;
        Ok(())
    }

    /// Parses a whole value, containers included, without recursion.
    fn document_value(&mut self) -> Result<Json, JsonError> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            // Read the start of a value; open containers are pushed and we come back here.
            self.skip_ws();
            let mut value = match self.peek() {
                Some(open @ (b'[' | b'{')) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.error("nesting too deep"));
                    }
                    self.pos += 1;
                    self.skip_ws();
                    match (open, self.peek()) {
                        (b'[', Some(b']')) => {
                            self.pos += 1;
                            Json::Array(Vec::new())
                        }
                        (b'{', Some(b'}')) => {
                            self.pos += 1;
                            Json::Object(Vec::new())
                        }
                        (b'[', _) => {
                            stack.push(Frame::Array(Vec::new()));
                            continue;
                        }
                        _ => {
                            let key = self.key()?;
                            stack.push(Frame::Object(Vec::new(), key));
                            continue;
                        }
                    }
                }
                Some(b'"') => Json::String(self.string()?),
                Some(b'-' | b'0'..=b'9') => Json::Number(self.number()?.to_owned()),
                Some(b't') => self.literal("true", Json::Bool(true))?,
                Some(b'f') => self.literal("false", Json::Bool(false))?,
                Some(b'n') => self.literal("null", Json::Null)?,
                Some(_) => return Err(self.error("expected a value")),
                None => return Err(self.error("unexpected end of input")),
            };
            // A value is complete: hand it to the innermost container, closing
            // containers for as long as their closing bracket follows.
            loop {
                self.skip_ws();
                match stack.pop() {
                    None => return Ok(value),
                    Some(Frame::Array(mut items)) => {
                        items.push(value);
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                stack.push(Frame::Array(items));
                                break;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                value = Json::Array(items);
                            }
                            _ => return Err(self.error("expected ',' or ']'")),
                        }
                    }
                    Some(Frame::Object(mut members, key)) => {
                        members.push((key, value));
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                let key = self.key()?;
                                stack.push(Frame::Object(members, key));
                                break;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                value = Json::Object(members);
                            }
                            _ => return Err(self.error("expected ',' or '}'")),
                        }
                    }
                }
            }
        }
    }

    /// Parses `"key" :` (with surrounding whitespace) and returns the key.
    fn key(&mut self) -> Result<String, JsonError> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string key"));
        }
        let key = self.string()?;
        self.consume(b':', "expected ':'")?;
        Ok(key)
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, JsonError> {
        self.word(word)?;
        Ok(value)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as written.
    pub(crate) fn number(&mut self) -> Result<&'a str, JsonError> {
        let start = self.pos;
        self.pos = number_end(self.text.as_bytes(), start).map_err(|e| self.lexical(e))?;
        // Both ends are at ASCII bytes, hence char boundaries.
        match self.text.get(start..self.pos) {
            Some(number) => Ok(number),
            None => Err(self.error("invalid number")),
        }
    }

    /// Parses a string starting at its opening quote and returns the unescaped text.
    pub(crate) fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            // Copy the run of ordinary characters; it ends at an ASCII byte or the end.
            let run_start = self.pos;
            self.pos = plain_run_end(self.text.as_bytes(), self.pos);
            match self.text.get(run_start..self.pos) {
                Some(run) => out.push_str(run),
                None => return Err(self.error("invalid string")),
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("control character in string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// Decodes the escape after a backslash. Lone surrogates become U+FFFD.
    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let simple = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let decoded = match unit {
                    0xD800..=0xDBFF => self
                        .low_surrogate()
                        .map(|low| 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)),
                    _ => Some(unit),
                };
                // Lone low surrogates (and lone high ones, via None) are not chars.
                out.push(decoded.and_then(char::from_u32).unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            Some(_) => return Err(self.error("invalid escape")),
            None => return Err(self.error("unterminated string")),
        };
        self.pos += 1;
        out.push(simple);
        Ok(())
    }

    /// Consumes a following `\uDC00`..`\uDFFF` escape if there is one.
    fn low_surrogate(&mut self) -> Option<u32> {
        let rest = self.text.as_bytes().get(self.pos..)?;
        if !rest.starts_with(b"\\u") {
            return None;
        }
        let saved = self.pos;
        self.pos += 2;
        match self.hex4() {
            Ok(low @ 0xDC00..=0xDFFF) => Some(low),
            _ => {
                self.pos = saved; // not a low surrogate: leave it for the caller's loop
                None
            }
        }
    }

    /// Reads exactly four hex digits.
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let start = self.pos;
        self.pos = hex4_end(self.text.as_bytes(), start).map_err(|e| self.lexical(e))?;
        // Four ASCII hex digits: char boundaries, a number below 0x10000.
        let digits = self.text.get(start..self.pos).unwrap_or_default();
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))
    }
}

/// Proptest strategies for JSON texts, shared by the tests of the modules that read events.
#[cfg(test)]
pub(crate) mod strategies {
    use proptest::prelude::*;

    /// JSON values: `leaves` (JSON texts), and arrays and objects (members named from `keys`)
    /// of up to `items` of them, `depth` levels deep, about `size` leaves in all.
    pub(crate) fn value(
        leaves: Vec<&'static str>,
        keys: &'static [&'static str],
        depth: u32,
        size: u32,
        items: usize,
    ) -> impl Strategy<Value = String> {
        let leaf = prop::sample::select(leaves).prop_map(str::to_owned);
        leaf.prop_recursive(depth, size, items as u32, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..items)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((prop::sample::select(keys), inner), 0..items)
                    .prop_map(|members| object(&members)),
            ]
        })
    }

    /// The object of `members`, in order (a key may repeat).
    pub(crate) fn object(members: &[(&str, String)]) -> String {
        let body: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", body.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Json {
        Json::Number(text.to_owned())
    }

    fn s(text: &str) -> Json {
        Json::String(text.to_owned())
    }

    fn reason(text: &str) -> &'static str {
        parse(text).expect_err(text).reason
    }

    #[test]
    fn scalars() {
        assert_eq!(parse("null"), Ok(Json::Null));
        assert_eq!(parse("true"), Ok(Json::Bool(true)));
        assert_eq!(parse(" \t\r\nfalse \n"), Ok(Json::Bool(false)));
        assert_eq!(parse("502"), Ok(num("502")));
        assert_eq!(parse("\"hi\""), Ok(s("hi")));
        assert_eq!(parse("\"\""), Ok(s("")));
        assert_eq!(parse("\"héllo ✓ 😀\u{7f}\""), Ok(s("héllo ✓ 😀\u{7f}")));
    }

    #[test]
    fn nested_values() {
        let doc = r#" { "a" : [1, {"b": null}, [], {}], "c": {"d": [true, "x"]} } "#;
        let expected = Json::Object(vec![
            (
                "a".into(),
                Json::Array(vec![
                    num("1"),
                    Json::Object(vec![("b".into(), Json::Null)]),
                    Json::Array(vec![]),
                    Json::Object(vec![]),
                ]),
            ),
            (
                "c".into(),
                Json::Object(vec![(
                    "d".into(),
                    Json::Array(vec![Json::Bool(true), s("x")]),
                )]),
            ),
        ]);
        assert_eq!(parse(doc), Ok(expected));
        assert_eq!(
            parse("[[[]]]"),
            Ok(Json::Array(vec![Json::Array(vec![Json::Array(vec![])])]))
        );
    }

    #[test]
    fn number_text_preserved() {
        for text in [
            "1e+3",
            "-0",
            "0.50",
            "-0.5",
            "1E-7",
            "0",
            "123456789012345678901234567890",
            "2.5e10",
        ] {
            assert_eq!(parse(text), Ok(num(text)), "{text}");
            let wrapped = format!("[{text}]");
            assert_eq!(
                parse(&wrapped),
                Ok(Json::Array(vec![num(text)])),
                "{wrapped}"
            );
        }
    }

    #[test]
    fn escapes_and_surrogate_pairs() {
        assert_eq!(
            parse(r#""\"\\\/\b\f\n\r\t""#),
            Ok(s("\"\\/\u{8}\u{c}\n\r\t"))
        );
        assert_eq!(parse(r#""\u0041\u00e9\u20AC""#), Ok(s("Aé€")));
        assert_eq!(parse(r#""\u0000""#), Ok(s("\u{0}")));
        assert_eq!(parse(r#""\uD83D\uDE00""#), Ok(s("😀")));
        assert_eq!(parse(r#""a\ud834\udd1eb""#), Ok(s("a𝄞b")));
    }

    #[test]
    fn lone_surrogates_become_replacement_char() {
        assert_eq!(parse(r#""\uD800""#), Ok(s("\u{FFFD}")));
        assert_eq!(parse(r#""\uDC00""#), Ok(s("\u{FFFD}")));
        assert_eq!(parse(r#""x\uD800y""#), Ok(s("x\u{FFFD}y")));
        assert_eq!(parse(r#""\uD800\n""#), Ok(s("\u{FFFD}\n")));
        assert_eq!(parse(r#""\uD800\u0041""#), Ok(s("\u{FFFD}A")));
        assert_eq!(parse(r#""\uD800\uD800\uDC00""#), Ok(s("\u{FFFD}𐀀")));
        assert_eq!(parse(r#""\uDC00\uD800""#), Ok(s("\u{FFFD}\u{FFFD}")));
        assert_eq!(reason(r#""\uD800\u12""#), "invalid \\u escape");
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let doc = parse(r#"{"a": 1, "b": 2, "a": 3}"#).expect("valid");
        assert_eq!(doc.get("a"), Some(&num("3")));
        assert_eq!(doc.get("b"), Some(&num("2")));
        assert_eq!(doc.get("c"), None);
        let Json::Object(members) = &doc else {
            panic!("not an object")
        };
        assert_eq!(members.len(), 3);
        assert_eq!(Json::Array(vec![]).get("a"), None);
        assert_eq!(Json::Null.get("a"), None);
    }

    #[test]
    fn rejections() {
        let cases = [
            ("", "unexpected end of input"),
            ("   ", "unexpected end of input"),
            ("[1,]", "expected a value"),
            ("[1 2]", "expected ',' or ']'"),
            ("{\"a\":1,}", "expected a string key"),
            ("{\"a\" 1}", "expected ':'"),
            ("{\"a\":1 \"b\":2}", "expected ',' or '}'"),
            ("{'a':1}", "expected a string key"),
            ("'a'", "expected a value"),
            ("[1] // c", "trailing characters after the value"),
            ("/* c */ 1", "expected a value"),
            ("NaN", "expected a value"),
            ("Infinity", "expected a value"),
            ("-Infinity", "expected a digit"),
            ("01", "leading zeros are not allowed"),
            ("-01", "leading zeros are not allowed"),
            ("+1", "expected a value"),
            ("1.", "expected a digit after '.'"),
            (".5", "expected a value"),
            ("1e", "expected a digit in the exponent"),
            ("1e+", "expected a digit in the exponent"),
            ("-", "expected a digit"),
            ("tru", "invalid literal"),
            ("nul", "invalid literal"),
            ("True", "expected a value"),
            ("1 2", "trailing characters after the value"),
            ("\u{feff}1", "expected a value"),
            ("1\u{a0}", "trailing characters after the value"),
            ("\"a\u{0}\"", "control character in string"),
            ("\"a\nb\"", "control character in string"),
            ("\"\u{1f}\"", "control character in string"),
            ("\"abc", "unterminated string"),
            ("\"abc\\", "unterminated string"),
            ("\"\\x\"", "invalid escape"),
            ("\"\\u12G4\"", "invalid \\u escape"),
            ("\"\\u12\"", "invalid \\u escape"),
            ("[", "unexpected end of input"),
            ("[1", "expected ',' or ']'"),
            ("{", "expected a string key"),
            ("{\"a\":", "unexpected end of input"),
            ("]", "expected a value"),
        ];
        for (text, why) in cases {
            assert_eq!(reason(text), why, "{text:?}");
        }
        assert_eq!(
            parse("[1,]"),
            Err(JsonError {
                offset: 3,
                reason: "expected a value"
            })
        );
        assert_eq!(parse(" 01").map_err(|e| e.offset), Err(2));
        assert_eq!(parse("\"é\u{1}\"").map_err(|e| e.offset), Err(3));
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            parse(&deep),
            Err(JsonError {
                offset: MAX_DEPTH,
                reason: "nesting too deep"
            })
        );
        let objects = format!(
            "{}1{}",
            "{\"a\":".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(reason(&objects), "nesting too deep");
    }

    #[test]
    fn huge_nesting_on_a_small_stack() {
        let worker = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let open = "[".repeat(100_000);
                assert_eq!(reason(&open), "nesting too deep");
                let objects = "{\"k\":".repeat(100_000);
                assert_eq!(reason(&objects), "nesting too deep");
                let mixed = "[{\"k\":".repeat(50_000);
                assert_eq!(reason(&mixed), "nesting too deep");
                // The deepest accepted values parse and drop on the small stack (drop recurses,
                // bounded by MAX_DEPTH; under 128 KiB in a debug build).
                let max = format!(
                    "{}null{}",
                    "[{\"k\":".repeat(MAX_DEPTH / 2),
                    "}]".repeat(MAX_DEPTH / 2)
                );
                drop(parse(&max).expect("MAX_DEPTH nesting is allowed"));
                let arrays = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
                drop(parse(&arrays).expect("MAX_DEPTH nesting is allowed"));
            })
            .expect("spawn");
        worker.join().expect("no overflow or panic");
    }

    /// The bytes that end a plain run, in every position of a word: `"` and its neighbours in
    /// the flipped-bit test (0x20, 0x21, 0x23), control characters and bytes of a high bit.
    #[test]
    fn specials_find_the_first_special_byte() {
        for (text, first) in [
            (*b"abcdefgh", None),
            (*b"abc\"efgh", Some(3)),
            (*b"\\bcdefgh", Some(0)),
            (*b"abcdefg\x1f", Some(7)),
            (*b"\x80\xff\x7f \x20!\"\x00", Some(6)),
            (*b"\x01\"\"\"\"\"\"\"", Some(0)),
            (*b" !#$\xa2\xdc\x7f\x00", Some(7)),
            (*b"\x21\x23\x20\x5b\x5d\x5c\x22\x22", Some(5)),
        ] {
            let hits = specials(u64::from_le_bytes(text));
            let found = (hits != 0).then(|| hits.trailing_zeros() / 8);
            assert_eq!(found, first, "{text:?}");
        }
    }

    proptest::proptest! {
        /// The search by sixteen-byte steps and by words, and by words alone, end a string where a
        /// byte-by-byte one does.
        #[test]
        fn first_special_agrees_with_a_plain_loop(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![12 => 0x20u8..0x7f, 1 => proptest::prelude::any::<u8>()],
                0..80,
            )
        ) {
            let plain = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            proptest::prop_assert_eq!(first_special(&bytes), plain);
            // The word loop alone (on x86-64 it ends only the last fifteen bytes otherwise).
            let words = Some(word_run_end(&bytes, 0)).filter(|&at| at < bytes.len());
            proptest::prop_assert_eq!(words, plain);
        }

        /// Skipping a string accepts exactly what decoding it accepts, and ends where it ends.
        #[test]
        fn skip_string_agrees_with_string(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-z é]{0,12}",
                    proptest::prelude::Just("\\".to_owned()),
                    "\\\\[\"\\\\/bfnrtux]",
                    "\\\\u[0-9a-fA-FdD]{0,4}",
                    "\\\\u[dD][89abAB][0-9a-f]{2}(\\\\u[dD][c-f][0-9a-f]{2})?",
                    proptest::prelude::Just("\"".to_owned()),
                    proptest::prelude::Just("\t".to_owned()),
                ],
                0..6,
            )
        ) {
            let text = format!("\"{}", parts.concat());
            let mut decode = Parser::new(&text);
            let mut skip = Parser::new(&text);
            let decoded = decode.string();
            let skipped = skip.skip_string();
            proptest::prop_assert_eq!(decoded.is_ok(), skipped.is_ok(), "{:?}", text);
            if decoded.is_ok() {
                proptest::prop_assert_eq!(decode.pos, skip.pos, "{:?}", text);
            }
        }
    }

    #[test]
    fn agrees_with_serde_json() {
        let docs = [
            // valid
            "null",
            "true",
            " false ",
            "0",
            "-0",
            "1e+3",
            "0.50",
            "-12.5E-3",
            "\"\"",
            "\"a\\u00e9\\uD83D\\uDE00\\n\"",
            "[]",
            "{}",
            "[1, [2, [3]], {\"a\": {\"b\": []}}]",
            "{\"a\": 1, \"a\": 2}",
            "\r\n\t[\"x\" , null ]\n",
            "{\"\": \"\\\"\\\\\\/\\b\\f\\r\\t\"}",
            "\"\u{7f}é😀\"",
            "123456789012345678901234567890",
            // invalid
            "",
            " ",
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "{\"a\" 1}",
            "{a: 1}",
            "{'a': 1}",
            "'a'",
            "[1] // c",
            "/* c */ 1",
            "NaN",
            "Infinity",
            "-Infinity",
            "01",
            "+1",
            "1.",
            ".5",
            "1e",
            "-",
            "tru",
            "nulls",
            "1 2",
            "\u{feff}1",
            "\"a\u{1}\"",
            "\"a\tb\"",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "[",
            "]",
            "{\"a\":}",
        ];
        for doc in docs {
            assert_eq!(
                parse(doc).is_ok(),
                serde_json::from_str::<serde_json::Value>(doc).is_ok(),
                "{doc:?}"
            );
        }
    }
}
