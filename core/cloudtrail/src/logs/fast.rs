//! The fast path: a one-pass check of a JSON object that lies wholly in a slice (a read
//! buffer), with no per-token bookkeeping. It answers only what is cheap to know for sure: the
//! object is valid and ends at a given byte, or more bytes are needed, or it cannot tell. In the
//! last case the caller reads the same bytes again with the detailed scanner of `lex.rs`, which
//! finds the problem, its kind and its place; so this check never needs to say what is wrong,
//! only to accept nothing that the detailed scanner would reject.
//!
//! What it accepts is exactly RFC 8259 as `lex.rs` reads it (no trailing commas, no `NaN`, only
//! the escapes of section 7, no control characters in strings; `\uXXXX` with any four hex
//! digits, lone surrogates included), with three more reasons to give up: nesting deeper than
//! the limit (or than [`MAX_DEPTH`]), a line feed anywhere when the object must lie on one line
//! (JSON Lines, where a line starting with `{` inside a value is a fault), and, for a top-level
//! object, a key that may make it a container rather than a record (`Records`, …, or any key
//! with an escape). UTF-8 inside strings is not checked here: the caller checks the whole
//! object's text at once when it makes it a `String`, and outside strings only ASCII passes.

use trailmatch::json::plain_run_end;

/// What [`object`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// A valid object, ending right before this offset.
    Valid(usize),
    /// Valid so far, but the slice ends before the object does.
    Incomplete,
    /// Something this check does not vouch for: the detailed scanner must decide.
    Unsure,
}

/// The deepest nesting this check follows (a bit per level says object or array).
pub(crate) const MAX_DEPTH: usize = 512;

/// How an object is to be checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// Deepest nesting accepted, the object itself being level 1.
    pub(crate) max_depth: usize,
    /// A line feed anywhere makes the check give up (JSON Lines).
    pub(crate) one_line: bool,
    /// The object is at the top level: give up on a key that may make it a container.
    pub(crate) top_level: bool,
}

/// Top-level keys that make an object a container of records, or a digest file (see
/// `Stream::members`), when their value has the right type.
pub(crate) const CONTAINER_KEYS: [&[u8]; 5] =
    [b"Records", b"logEvents", b"events", b"awslogs", b"logFiles"];

/// Whether `key` (as written, without its quotes) is one of [`CONTAINER_KEYS`].
#[inline]
pub(crate) fn is_container_key(key: &[u8]) -> bool {
    (6..=9).contains(&key.len()) && CONTAINER_KEYS.contains(&key)
}

type Step = Result<usize, Check>;

/// Checks the object that starts at `bytes[0]` (which must be `{`).
pub(crate) fn object(bytes: &[u8], rules: Rules) -> Check {
    match walk(bytes, rules) {
        Ok(end) => Check::Valid(end),
        Err(check) => check,
    }
}

fn walk(bytes: &[u8], rules: Rules) -> Step {
    if bytes.first() != Some(&b'{') {
        return Err(Check::Unsure);
    }
    let limit = rules.max_depth.min(MAX_DEPTH);
    // Bit `d` set: the container at depth `d + 1` is an object.
    let mut objects = [0u64; MAX_DEPTH / 64];
    let mut depth = 0usize;
    let mut i = 0usize;
    let in_object = |objects: &[u64; MAX_DEPTH / 64], depth: usize| {
        let d = depth.wrapping_sub(1);
        objects
            .get(d / 64)
            .is_some_and(|word| word >> (d % 64) & 1 == 1)
    };
    'value: loop {
        // At a value, whitespace skipped.
        match bytes.get(i).copied() {
            None => return Err(Check::Incomplete),
            Some(open @ (b'{' | b'[')) => {
                if depth >= limit {
                    return Err(Check::Unsure);
                }
                if let Some(word) = objects.get_mut(depth / 64) {
                    let bit = 1u64 << (depth % 64);
                    if open == b'{' {
                        *word |= bit;
                    } else {
                        *word &= !bit;
                    }
                }
                depth += 1;
                i = ws(bytes, i + 1, rules.one_line)?;
                let close = if open == b'{' { b'}' } else { b']' };
                match bytes.get(i).copied() {
                    None => return Err(Check::Incomplete),
                    Some(b) if b == close => {
                        i += 1;
                        depth -= 1;
                    }
                    Some(_) if open == b'{' => {
                        i = key(bytes, i, rules, depth)?;
                        continue 'value;
                    }
                    Some(_) => continue 'value,
                }
            }
            Some(b'"') => i = string(bytes, i + 1, true)?,
            Some(b'-' | b'0'..=b'9') => i = number(bytes, i)?,
            Some(b't') => i = literal(bytes, i, b"true")?,
            Some(b'f') => i = literal(bytes, i, b"false")?,
            Some(b'n') => i = literal(bytes, i, b"null")?,
            Some(_) => return Err(Check::Unsure),
        }
        // A value is complete: close containers for as long as their brackets follow.
        loop {
            if depth == 0 {
                return Ok(i);
            }
            i = ws(bytes, i, rules.one_line)?;
            let object = in_object(&objects, depth);
            match bytes.get(i).copied() {
                None => return Err(Check::Incomplete),
                Some(b',') => {
                    i = ws(bytes, i + 1, rules.one_line)?;
                    if object {
                        i = key(bytes, i, rules, depth)?;
                    }
                    continue 'value;
                }
                Some(b'}') if object => {
                    i += 1;
                    depth -= 1;
                }
                Some(b']') if !object => {
                    i += 1;
                    depth -= 1;
                }
                Some(_) => return Err(Check::Unsure),
            }
        }
    }
}

/// Skips whitespace from `i`; a line feed gives up when `one_line`.
#[inline(always)]
fn ws(bytes: &[u8], i: usize, one_line: bool) -> Step {
    // Compact JSON has none: one comparison.
    match bytes.get(i) {
        Some(&b) if b > b' ' => Ok(i),
        _ => more_ws(bytes, i, one_line),
    }
}

fn more_ws(bytes: &[u8], mut i: usize, one_line: bool) -> Step {
    loop {
        match bytes.get(i).copied() {
            Some(b' ' | b'\t' | b'\r') => i += 1,
            Some(b'\n') if !one_line => i += 1,
            Some(b'\n') => return Err(Check::Unsure),
            Some(_) => return Ok(i),
            None => return Err(Check::Incomplete),
        }
    }
}

/// `"key" :` and the whitespace after it, from the opening quote at `i`, in an object at
/// `depth` (1: the top-level object).
fn key(bytes: &[u8], i: usize, rules: Rules, depth: usize) -> Step {
    match bytes.get(i) {
        Some(b'"') => {}
        Some(_) => return Err(Check::Unsure),
        None => return Err(Check::Incomplete),
    }
    let end = if rules.top_level && depth == 1 {
        // An escape may spell a container key.
        let end = string(bytes, i + 1, false)?;
        let text = bytes.get(i + 1..end - 1).unwrap_or_default();
        if is_container_key(text) {
            return Err(Check::Unsure);
        }
        end
    } else {
        string(bytes, i + 1, true)?
    };
    let i = ws(bytes, end, rules.one_line)?;
    match bytes.get(i) {
        Some(b':') => ws(bytes, i + 1, rules.one_line),
        Some(_) => Err(Check::Unsure),
        None => Err(Check::Incomplete),
    }
}

/// The rest of a string from `i`, right after its opening quote; returns the offset after the
/// closing quote. Without `escapes`, a backslash gives up.
#[inline(always)]
fn string(bytes: &[u8], mut i: usize, escapes: bool) -> Step {
    loop {
        // To the next quote, backslash or control character.
        i = plain_run_end(bytes, i);
        match bytes.get(i).copied() {
            None => return Err(Check::Incomplete),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') if escapes => i = escape(bytes, i)?,
            // A backslash without `escapes`, or a control character (the run ends at nothing
            // else).
            Some(_) => return Err(Check::Unsure),
        }
    }
}

/// An escape at the backslash at `i`; returns the offset after it.
fn escape(bytes: &[u8], i: usize) -> Step {
    match bytes.get(i + 1).copied() {
        None => Err(Check::Incomplete),
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
        Some(b'u') => {
            let Some(digits) = bytes.get(i + 2..i + 6) else {
                return Err(Check::Incomplete);
            };
            if digits.iter().all(u8::is_ascii_hexdigit) {
                Ok(i + 6)
            } else {
                Err(Check::Unsure)
            }
        }
        Some(_) => Err(Check::Unsure),
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` from `i`. What follows is checked by the
/// caller (only whitespace, `,`, `]` or `}` may), so `01` or `1.5.2` is not accepted.
fn number(bytes: &[u8], mut i: usize) -> Step {
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i).copied() {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(bytes, i + 1)?,
        Some(_) => return Err(Check::Unsure),
        None => return Err(Check::Incomplete),
    }
    if bytes.get(i) == Some(&b'.') {
        i = some_digits(bytes, i + 1)?;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = some_digits(bytes, i)?;
    }
    match bytes.get(i) {
        Some(_) => Ok(i),
        None => Err(Check::Incomplete),
    }
}

/// Zero or more digits from `i`.
fn digits(bytes: &[u8], i: usize) -> Step {
    let rest = bytes.get(i..).unwrap_or_default();
    let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == rest.len() {
        return Err(Check::Incomplete);
    }
    Ok(i + n)
}

/// One or more digits from `i`.
fn some_digits(bytes: &[u8], i: usize) -> Step {
    match bytes.get(i) {
        Some(b'0'..=b'9') => digits(bytes, i + 1),
        Some(_) => Err(Check::Unsure),
        None => Err(Check::Incomplete),
    }
}

/// `word` (`true`, `false` or `null`) at `i`. What follows is checked by the caller, so
/// `truex` is not accepted.
fn literal(bytes: &[u8], i: usize, word: &[u8]) -> Step {
    match bytes.get(i..i + word.len()) {
        Some(found) if found == word => Ok(i + word.len()),
        Some(_) => Err(Check::Unsure),
        None => Err(Check::Incomplete),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: Rules = Rules {
        max_depth: 512,
        one_line: true,
        top_level: true,
    };
    const ELEMENT: Rules = Rules {
        max_depth: 512,
        one_line: false,
        top_level: false,
    };

    #[test]
    fn valid_objects_end_where_they_end() {
        let cases = [
            r#"{}"#,
            r#"{"a":1}"#,
            r#"{ "a" : [ 1 , -0.5e+3 , true , false , null , "x" , { } , [ ] ] }"#,
            r#"{"a":"\"\\\/\b\f\n\r\t\u00e9\uD800 \u00E9"}"#,
            "{\"caf\u{e9}\":\"\u{1F600} long enough to take the eight-byte loop\"}",
            r#"{"a":0,"b":-0,"c":10.25E-2,"d":1e9}"#,
        ];
        for case in cases {
            let text = format!("{case} trailing");
            assert_eq!(
                object(text.as_bytes(), LINE),
                Check::Valid(case.len()),
                "{case}"
            );
        }
    }

    #[test]
    fn faults_are_never_valid() {
        let cases: [&[u8]; 22] = [
            br#"{"a":1,}"#,
            br#"{"a":[1,]}"#,
            br#"{,"a":1}"#,
            br#"{"a" 1}"#,
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":.5}"#,
            br#"{"a":+1}"#,
            br#"{"a":1e}"#,
            br#"{"a":-}"#,
            br#"{"a":NaN}"#,
            br#"{"a":truex}"#,
            br#"{"a":nul }"#,
            br#"{"a":"\x"}"#,
            br#"{"a":"\u12G4"}"#,
            b"{\"a\":\"tab\there\"}",
            b"{\"a\":\"\x00\"}",
            br#"{"a":[1}"#,
            br#"{"a":{1:2}}"#,
            br#"{"a":1]"#,
            b"{\"a\":\xff}",
            b"{\"a\":1}}",
        ];
        for case in cases {
            let mut text = case.to_vec();
            text.extend(b"    ");
            let expected = if case == b"{\"a\":1}}" {
                // Valid up to the first closing brace; the rest is the caller's.
                Check::Valid(7)
            } else {
                Check::Unsure
            };
            assert_eq!(
                object(&text, ELEMENT),
                expected,
                "{}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn cut_objects_are_incomplete() {
        let whole = r#"{"a":[1,-2.5e3,true,"x\u00e9\n"],"b":{"c":null}}"#;
        for cut in 1..whole.len() {
            let part = whole.get(..cut).unwrap();
            assert_eq!(
                object(part.as_bytes(), ELEMENT),
                Check::Incomplete,
                "{part}"
            );
        }
        assert_eq!(object(whole.as_bytes(), ELEMENT), Check::Valid(whole.len()));
    }

    #[test]
    fn line_feeds_depth_and_container_keys() {
        let multi = "{\"a\":\n1}";
        assert_eq!(object(multi.as_bytes(), LINE), Check::Unsure);
        assert_eq!(object(multi.as_bytes(), ELEMENT), Check::Valid(multi.len()));
        let nested = br#"{"a":{"b":[]}}"#;
        for (max_depth, expected) in [(3, Check::Valid(nested.len())), (2, Check::Unsure)] {
            let rules = Rules {
                max_depth,
                ..ELEMENT
            };
            assert_eq!(object(nested, rules), expected, "{max_depth}");
        }
        for key in CONTAINER_KEYS {
            let text = format!("{{\"x\":1,\"{}\":2}}", String::from_utf8_lossy(key));
            assert_eq!(object(text.as_bytes(), LINE), Check::Unsure, "{text}");
            assert_eq!(
                object(text.as_bytes(), ELEMENT),
                Check::Valid(text.len()),
                "{text}"
            );
        }
        // Deeper than the top level, or escaped: only top-level keys matter, and an escape
        // may spell one.
        let deep = br#"{"x":{"Records":[]}}"#;
        assert_eq!(object(deep, LINE), Check::Valid(deep.len()));
        assert_eq!(object(br#"{"Recor\u0064s":[]}"#, LINE), Check::Unsure);
        // Past the bit stack, whatever the limit.
        let deepest = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let text = format!("{{\"a\":{deepest}}}");
        let rules = Rules {
            max_depth: usize::MAX,
            ..ELEMENT
        };
        assert_eq!(object(text.as_bytes(), rules), Check::Unsure);
    }
}
