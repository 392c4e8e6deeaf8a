//! The fast path of [`classify`](super::classify): one pass over the record's text that reads
//! the top-level members classification needs (and `userIdentity.type` / `.arn`), skips every
//! other value without building it, and checks the whole text as it goes.
//!
//! It answers only where it is sure to answer what serde's derive of `Raw` answers: it gives
//! up (`None`, and the caller asks serde) on anything unusual, so that it never has to say what
//! is wrong or decide a case serde would decide otherwise:
//!
//! * text that is not one JSON object (RFC 8259, as serde_json reads it: no trailing commas,
//!   the escapes of section 7, no control characters in strings, `\uXXXX` with any four hex
//!   digits; only whitespace after it);
//! * nesting deeper than [`MAX_DEPTH`] (serde skips any depth, but nothing real is that deep);
//! * a key with an escape (serde decodes it before it compares it with the field names);
//! * a field that occurs twice (serde's derive refuses it; the slow path makes the last one win);
//! * a field of a type other than the one `Raw` reads (a string, `null`; a bool or a string
//!   for the flags; an object or `null` for `userIdentity`): serde refuses it and the slow path
//!   turns it into an absent field, unless the whole text does not make a `serde_json::Value`;
//! * a field's string with an escape (serde decodes it);
//! * a top-level key that may make the text a container of records (`Records`, …: see
//!   `logs::fast::CONTAINER_KEYS`), so that a caller that lends the line without looking for
//!   those keys (`Stream::next_ref_keys_unsearched`) never takes a container for a record.
//!
//! What it reads is the same, field by field, as serde's derive: the property test of
//! `classify` compares the two on generated and damaged records.

use std::borrow::Cow;

use super::Fields;
use crate::logs::fast::is_container_key;
use trailmatch::json::{TopMembers, plain_run_end};

/// The deepest nesting followed below the record (the record itself is not counted).
const MAX_DEPTH: u32 = 128;

/// The members of `Raw`, by bit.
const EVENT_TIME: u16 = 1;
const EVENT_SOURCE: u16 = 1 << 1;
const EVENT_NAME: u16 = 1 << 2;
const EVENT_TYPE: u16 = 1 << 3;
const EVENT_CATEGORY: u16 = 1 << 4;
const MANAGEMENT_EVENT: u16 = 1 << 5;
const READ_ONLY: u16 = 1 << 6;
const ERROR_CODE: u16 = 1 << 7;
const AWS_REGION: u16 = 1 << 8;
const RECIPIENT_ACCOUNT_ID: u16 = 1 << 9;
const USER_AGENT: u16 = 1 << 10;
const USER_IDENTITY: u16 = 1 << 11;

struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// Reads the fields of the record `json`, or `None` when serde must decide (see the module
/// documentation). With `members`, each top-level member's key and the start of its value are
/// added to it as they are met (all of them once the answer is `Some`: the text is then one
/// valid JSON object, what [`PatternSet::test_members`](trailmatch::PatternSet::test_members)
/// asks of it).
pub(super) fn read<'a>(json: &'a str, mut members: Option<&mut TopMembers>) -> Option<Fields<'a>> {
    let mut c = Cursor {
        text: json,
        bytes: json.as_bytes(),
        at: 0,
    };
    let mut fields = Fields::default();
    c.ws();
    c.eat(b'{')?;
    c.ws();
    let mut seen = 0u16;
    if c.peek() == Some(b'}') {
        c.at += 1;
    } else {
        loop {
            // At the key's opening quote.
            let key_at = c.at + 1;
            let key = c.key()?;
            if let Some(members) = members.as_deref_mut() {
                members.push(key_at, key_at + key.len(), c.at);
            }
            let bit = match key {
                b"eventTime" => EVENT_TIME,
                b"eventSource" => EVENT_SOURCE,
                b"eventName" => EVENT_NAME,
                b"eventType" => EVENT_TYPE,
                b"eventCategory" => EVENT_CATEGORY,
                b"managementEvent" => MANAGEMENT_EVENT,
                b"readOnly" => READ_ONLY,
                b"errorCode" => ERROR_CODE,
                b"awsRegion" => AWS_REGION,
                b"recipientAccountId" => RECIPIENT_ACCOUNT_ID,
                b"userAgent" => USER_AGENT,
                b"userIdentity" => USER_IDENTITY,
                // A key that may make the object a container of records rather than a record:
                // the log reader decides what it is.
                key if is_container_key(key) => return None,
                _ => 0,
            };
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match bit {
                0 => c.skip_member_value()?,
                EVENT_TIME => fields.event_time = c.string_field()?,
                EVENT_SOURCE => fields.event_source = c.string_field()?,
                EVENT_NAME => fields.event_name = c.string_field()?,
                EVENT_TYPE => fields.event_type = c.string_field()?,
                EVENT_CATEGORY => fields.event_category = c.string_field()?,
                ERROR_CODE => fields.error_code = c.string_field()?,
                AWS_REGION => fields.aws_region = c.string_field()?,
                RECIPIENT_ACCOUNT_ID => fields.recipient_account_id = c.string_field()?,
                USER_AGENT => fields.user_agent = c.string_field()?,
                MANAGEMENT_EVENT => fields.management_event = c.flag()?,
                READ_ONLY => fields.read_only = c.flag()?,
                _ => c.identity(&mut fields)?,
            }
            c.ws();
            match c.next()? {
                b',' => c.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    c.ws();
    (c.at == c.bytes.len()).then_some(fields)
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// At a quote: the string's content (between the quotes) and whether it has an escape.
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.at;
        // Most strings are one plain run up to their closing quote.
        let end = plain_run_end(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.at = end + 1;
            return Some((start, end, false));
        }
        self.at = end;
        self.string_rest(start)
    }

    /// [`Cursor::string`] from the first byte that ends a plain run and is no closing quote.
    #[cold]
    #[inline(never)]
    fn string_rest(&mut self, start: usize) -> Option<(usize, usize, bool)> {
        let mut escaped = false;
        loop {
            match self.next()? {
                b'"' => return Some((start, self.at - 1, escaped)),
                b'\\' => {
                    escaped = true;
                    match self.next()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            for _ in 0..4 {
                                if !self.next()?.is_ascii_hexdigit() {
                                    return None;
                                }
                            }
                        }
                        _ => return None,
                    }
                }
                b if b < 0x20 => return None,
                _ => {}
            }
            // Up to the next quote, backslash or control character.
            self.at = plain_run_end(self.bytes, self.at);
        }
    }

    /// A member's key and the colon after it; `None` for a key with an escape.
    #[inline(always)]
    fn key(&mut self) -> Option<&'a [u8]> {
        let (start, end, escaped) = self.string()?;
        if escaped {
            return None;
        }
        self.colon()?;
        self.bytes.get(start..end)
    }

    /// The colon after a key and the blanks around it (none in the compact text of logs).
    #[inline(always)]
    fn colon(&mut self) -> Option<()> {
        if self.peek() == Some(b':') {
            self.at += 1;
        } else {
            self.ws();
            self.eat(b':')?;
        }
        self.ws();
        Some(())
    }

    /// A string field's value: a string without escapes, or `null`.
    fn string_field(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => {
                let (start, end, escaped) = self.string()?;
                if escaped {
                    return None;
                }
                self.text.get(start..end).map(|s| Some(Cow::Borrowed(s)))
            }
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// `readOnly` or `managementEvent`, as `super::flag` reads it: `Some(None)` when the value
    /// says neither true nor false.
    fn flag(&mut self) -> Option<Option<bool>> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| Some(true)),
            b'f' => self.literal(b"false").map(|()| Some(false)),
            b'n' => self.literal(b"null").map(|()| None),
            b'"' => {
                let (start, end, escaped) = self.string()?;
                if escaped {
                    return None;
                }
                let s = self.bytes.get(start..end)?;
                Some(if s.eq_ignore_ascii_case(b"true") {
                    Some(true)
                } else if s.eq_ignore_ascii_case(b"false") {
                    Some(false)
                } else {
                    None
                })
            }
            _ => None,
        }
    }

    /// `userIdentity`: `null`, or an object whose `type` and `arn` are read.
    fn identity(&mut self, fields: &mut Fields<'a>) -> Option<()> {
        match self.peek()? {
            b'n' => return self.literal(b"null"),
            b'{' => self.at += 1,
            _ => return None,
        }
        self.ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(());
        }
        let mut seen = 0u8;
        loop {
            let key = self.key()?;
            let bit = match key {
                b"type" => 1,
                b"arn" => 2,
                _ => 0,
            };
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match bit {
                0 => self.skip_member_value()?,
                1 => fields.identity_type = self.string_field()?,
                _ => fields.identity_arn = self.string_field()?,
            }
            self.ws();
            match self.next()? {
                b',' => self.ws(),
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// A number, as RFC 8259 writes it.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.one_or_more_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.one_or_more_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn one_or_more_digits(&mut self) -> Option<()> {
        let from = self.at;
        self.digits();
        (self.at > from).then_some(())
    }

    /// [`Cursor::skip_value`], with a string (most members' value) read inline.
    #[inline(always)]
    fn skip_member_value(&mut self) -> Option<()> {
        if self.peek() == Some(b'"') {
            self.string().map(drop)
        } else {
            self.skip_value()
        }
    }

    /// Skips one value (whitespace before it already skipped), checking it.
    fn skip_value(&mut self) -> Option<()> {
        // Bit `d` of `objects`: the container at depth `d + 1` is an object; `object`: the
        // innermost one is (read from `objects` only when a container closes).
        let mut objects = 0u128;
        let mut depth = 0u32;
        let mut object = false;
        loop {
            // At a value.
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    if depth >= MAX_DEPTH {
                        return None;
                    }
                    self.at += 1;
                    self.ws();
                    if self.peek() == Some(open + 2) {
                        // `}` and `]` follow `{` and `[` two code points on: empty.
                        self.at += 1;
                    } else {
                        object = open == b'{';
                        if object {
                            objects |= 1 << depth;
                            depth += 1;
                            self.member_key()?;
                        } else {
                            objects &= !(1 << depth);
                            depth += 1;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a value: close the containers it ends, or go on to the next value.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.ws();
                match (self.next()?, object) {
                    (b',', true) => {
                        self.ws();
                        self.member_key()?;
                        break;
                    }
                    (b',', false) => {
                        self.ws();
                        break;
                    }
                    (b'}', true) | (b']', false) => {
                        depth -= 1;
                        object = depth > 0 && objects >> (depth - 1) & 1 == 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// A key in a skipped object, its colon and the blanks around them.
    #[inline(always)]
    fn member_key(&mut self) -> Option<()> {
        self.string()?;
        self.colon()
    }
}
