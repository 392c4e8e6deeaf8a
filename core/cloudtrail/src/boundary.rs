//! Where text from logs and rules files leaves the program: one check or escape per boundary.
//!
//! CloudTrail fields such as `userAgent`, `errorMessage` or `recipientAccountId` are written by
//! whoever makes the API call, and rules files by whoever commits them. None of that text may
//! steer what it reaches:
//!
//! - a **terminal** ([`terminal`], [`terminal_lines`]): control characters (C0, DEL, C1) and the
//!   Unicode bidirectional and zero-width format characters are written as `\u{1b}`, the way
//!   Rust's `{:?}` writes them, so that no escape sequence, carriage return or line feed from a
//!   record can set a window title, clear the screen or forge a report line;
//! - an **HTTP header** ([`header_value`]): only visible ASCII and spaces, so that a value can
//!   neither end the header nor start another one;
//! - an **ARN** built from a record's account and region ([`is_account_id`], [`is_region`]) or
//!   taken from a rules file ([`check_sns_topic_arn`]): checked against AWS's syntax before it
//!   is used.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is written escaped on a terminal: a control character (C0, DEL, C1), or a
/// Unicode format character that reorders or hides text (bidirectional embeddings, overrides
/// and isolates, the zero-width characters, the BOM).
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}')
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) && !keep(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` as it may be written on a terminal as one value: every control or format character,
/// line feeds and carriage returns included, written as `\u{…}` (ESC is `\u{1b}`, LF `\u{a}`).
/// Text without such characters is returned as is.
///
/// ```
/// use trailmatch_cloudtrail::boundary::terminal;
///
/// assert_eq!(terminal("\u{1b}]0;owned\u{7}\r\nX"), "\\u{1b}]0;owned\\u{7}\\u{d}\\u{a}X");
/// assert_eq!(terminal("111122223333"), "111122223333");
/// ```
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// As [`terminal`], but line feeds are kept: for a whole message of several lines that the
/// program rendered itself (a diagnostic with a caret line), whose values were already escaped.
pub fn terminal_lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n')
}

/// Why a value cannot be an HTTP header's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderError {
    /// The offending character.
    pub character: char,
    /// Its byte offset in the value.
    pub offset: usize,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the character {:?} at byte {} cannot be sent in an HTTP header",
            self.character, self.offset
        )
    }
}

impl std::error::Error for HeaderError {}

/// `value` when it can be an HTTP header's value as is: visible ASCII and spaces only (no CR,
/// LF, NUL, tab or other control character, nothing beyond ASCII), so that it can neither end
/// its header line nor add a header or a request.
///
/// ```
/// use trailmatch_cloudtrail::boundary::header_value;
///
/// assert!(header_value("arn:aws:sns:us-east-1:111122223333:t").is_ok());
/// assert_eq!(header_value("a\r\nX-From-Log: yes").unwrap_err().offset, 1);
/// ```
pub fn header_value(value: &str) -> Result<&str, HeaderError> {
    match value
        .char_indices()
        .find(|&(_, c)| !(c == ' ' || c.is_ascii_graphic()))
    {
        Some((offset, character)) => Err(HeaderError { character, offset }),
        None => Ok(value),
    }
}

/// An AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS region code: a lowercase area of two to four letters, one to three lowercase words
/// of at most sixteen letters and a number of one or two digits, joined by `-` (`us-east-1`,
/// `us-gov-west-1`, `us-isob-east-1`, `eusc-de-east-1`).
pub fn is_region(text: &str) -> bool {
    // Scan checks every record's region: one pass over the bytes, no allocation.
    let bytes = text.as_bytes();
    let run = |at: usize, class: fn(&u8) -> bool| {
        bytes
            .get(at..)
            .map_or(0, |rest| rest.iter().take_while(|b| class(b)).count())
    };
    let area = run(0, u8::is_ascii_lowercase);
    if !(2..=4).contains(&area) || bytes.get(area) != Some(&b'-') {
        return false;
    }
    let mut at = area + 1;
    let mut words = 0;
    loop {
        let word = run(at, u8::is_ascii_lowercase);
        if word == 0 {
            break;
        }
        words += 1;
        if words > 3 || word > 16 || bytes.get(at + word) != Some(&b'-') {
            return false;
        }
        at += word + 1;
    }
    let number = run(at, u8::is_ascii_digit);
    words >= 1 && (1..=2).contains(&number) && at + number == bytes.len()
}

/// The ARN partitions.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Checks an SNS topic ARN, `arn:PARTITION:sns:REGION:ACCOUNT:NAME`: a known partition, a
/// region ([`is_region`]), an account id ([`is_account_id`]) and a topic name of 1 to 256
/// letters, digits, `-` and `_` (with `.fifo` at the end of a FIFO topic). The error says which
/// part is wrong (with the offending text escaped for a terminal).
///
/// ```
/// use trailmatch_cloudtrail::boundary::check_sns_topic_arn;
///
/// assert!(check_sns_topic_arn("arn:aws:sns:eu-west-1:111122223333:cis-alarms").is_ok());
/// let e = check_sns_topic_arn("arn:aws:sns:eu-west-1:1111\r\nX: y:t").unwrap_err();
/// assert!(e.contains("account"), "{e}");
/// ```
pub fn check_sns_topic_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_word, partition, service, region, account, name] = parts.as_slice() else {
        return Err(format!(
            "`{}` is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
            terminal(arn)
        ));
    };
    let name_ok = {
        let stem = name.strip_suffix(".fifo").unwrap_or(name);
        (1..=256).contains(&name.len())
            && !stem.is_empty()
            && stem
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let wrong = if *arn_word != "arn" || *service != "sns" {
        "it is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)".to_owned()
    } else if !PARTITIONS.contains(partition) {
        format!(
            "its partition `{}` is not an AWS partition",
            terminal(partition)
        )
    } else if !is_region(region) {
        format!(
            "its region `{}` is not an AWS region code",
            terminal(region)
        )
    } else if !is_account_id(account) {
        format!(
            "its account `{}` is not a 12-digit account id",
            terminal(account)
        )
    } else if !name_ok {
        format!(
            "its topic name `{}` is not 1 to 256 letters, digits, `-` and `_`",
            terminal(name)
        )
    } else {
        return Ok(());
    };
    Err(format!("`{}`: {wrong}", terminal(arn)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_every_control_and_format_character() {
        assert_eq!(terminal("plain text · ünïcode"), "plain text · ünïcode");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            terminal("\u{1b}]0;owned\u{7}\u{1b}[2J"),
            "\\u{1b}]0;owned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(terminal("a\r\nb\tc\0"), "a\\u{d}\\u{a}b\\u{9}c\\u{0}");
        assert_eq!(terminal("\u{7f}\u{9b}"), "\\u{7f}\\u{9b}");
        assert_eq!(terminal("x\u{202e}y\u{feff}"), "x\\u{202e}y\\u{feff}");
        assert_eq!(terminal_lines("a\nb\r\u{1b}"), "a\nb\\u{d}\\u{1b}");
    }

    #[test]
    fn header_values() {
        assert!(header_value("").is_ok());
        assert!(header_value("text/plain; charset=UTF-8").is_ok());
        for bad in ["a\rb", "a\nb", "a\0b", "a\u{1b}b", "a\tb", "a\u{7f}", "é"] {
            assert!(header_value(bad).is_err(), "{bad:?}");
        }
        let e = header_value("ok\r\n\r\nGET /smuggled HTTP/1.1").unwrap_err();
        assert_eq!((e.character, e.offset), ('\r', 2));
    }

    #[test]
    fn accounts_and_regions() {
        assert!(is_account_id("111122223333"));
        for bad in [
            "",
            "11112222333",
            "1111222233334",
            "11112222333x",
            "111122223333\r\n",
            "１１１１２２２２３３３３",
        ] {
            assert!(!is_account_id(bad), "{bad:?}");
        }
        for good in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-5",
            "us-gov-west-1",
            "us-isob-east-1",
            "cn-northwest-1",
            "eusc-de-east-1",
        ] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-EAST-1",
            "us-east-100",
            "u-east-1",
            "us--1",
            "us-east-1\n",
            "us-east-1 ",
            "us-a-b-c-d-1",
            "us-abcdefghijklmnopq-1",
            "us-east-1-",
            "-us-east-1",
        ] {
            assert!(!is_region(bad), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The region check answers as the rule in its documentation, written over the parts
        /// between dashes: on any text, on text made of the characters that matter, and on
        /// text shaped like a region.
        #[test]
        fn regions_are_checked_as_documented(text in "\\PC{0,12}|[a-eA1-3 \u{e9}\n-]{0,14}|[a-z]{2,4}(-[a-z]{1,17}){0,4}-[0-9]{1,3}") {
            let parts: Vec<&str> = text.split('-').collect();
            let lower = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
            let want = match parts.as_slice() {
                [area, words @ .., number] => {
                    (2..=4).contains(&area.len())
                        && lower(area)
                        && (1..=3).contains(&words.len())
                        && words.iter().all(|w| lower(w) && w.len() <= 16)
                        && (1..=2).contains(&number.len())
                        && number.bytes().all(|b| b.is_ascii_digit())
                }
                _ => false,
            };
            proptest::prop_assert_eq!(is_region(&text), want, "{:?}", text);
        }
    }

    #[test]
    fn sns_topic_arns() {
        for good in [
            "arn:aws:sns:us-east-1:111122223333:cis-alarms",
            "arn:aws-us-gov:sns:us-gov-west-1:111122223333:a_b",
            "arn:aws:sns:us-east-1:111122223333:orders.fifo",
        ] {
            assert_eq!(check_sns_topic_arn(good), Ok(()), "{good}");
        }
        for (bad, part) in [
            ("arn:aws:sqs:us-east-1:111122223333:q", "not an SNS"),
            ("arn:aws:sns:us-east-1:111122223333", "not an SNS"),
            ("arn:evil:sns:us-east-1:111122223333:t", "partition"),
            ("arn:aws:sns:${AWS::Region}:111122223333:t", "region"),
            (
                "arn:aws:sns:us-east-1:111122223333\r\nX-From-Log: yes:t",
                "account",
            ),
            (
                "arn:aws:sns:us-east-1:111122223333:t\r\n\r\nGET /smuggled HTTP/1.1",
                "topic name",
            ),
            ("arn:aws:sns:us-east-1:111122223333:.fifo", "topic name"),
        ] {
            let e = check_sns_topic_arn(bad).unwrap_err();
            assert!(e.contains(part), "{bad:?}: {e}");
            assert!(!e.contains(['\r', '\n']), "{e:?}");
        }
    }
}
