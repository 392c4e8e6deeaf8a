//! AWS's regex dialect in Rust's regex syntax.
//!
//! AWS's dialect is a subset of Rust's syntax (no groups, no flags), with two differences: `\d`,
//! `\w` and `\s` are ASCII classes, and `{,n}` means "at most n". Rust's classes are Unicode
//! classes in Unicode mode, so they are rewritten to the ASCII classes `[[:digit:]]`,
//! `[[:word:]]` and `[[:space:]]` (inside a bracket class, without the outer brackets), and
//! `{,n}` becomes `{0,n}`. A word boundary, `\b` or `\B` (not in AWS's list, but read by Java's
//! engine), is the one between ASCII word characters and others, as `\w` is: `(?-u:\b)`.
//! Everything else is passed through.

use std::ops::Range;

/// Rewrites AWS regex syntax into Rust regex syntax.
pub(crate) fn translate(source: &str) -> String {
    translate_mapped(source).0
}

/// [`translate`], and for each byte of its output the offset in `source` of what it was
/// written for, then `source.len()` for the end: where an error in the output is in `source`.
fn translate_mapped(source: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(source.len() + 16);
    let mut map = Vec::with_capacity(source.len() + 17);
    let mut in_class = false;
    let mut class_start = false;
    let mut chars = source.char_indices().map(|(at, c)| (c, at)).peekable();
    while let Some((c, at)) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let Some((e, _)) = chars.next() else {
                    out.push('\\');
                    map.resize(out.len(), at);
                    break;
                };
                let class = match e {
                    'd' => Some("digit"),
                    'D' => Some("^digit"),
                    'w' => Some("word"),
                    'W' => Some("^word"),
                    's' => Some("space"),
                    'S' => Some("^space"),
                    _ => None,
                };
                match class {
                    Some(name) if in_class => out.push_str(&format!("[:{name}:]")),
                    Some(name) => out.push_str(&format!("[[:{name}:]]")),
                    None if !in_class && matches!(e, 'b' | 'B') => {
                        out.push_str("(?-u:\\");
                        out.push(e);
                        out.push(')');
                    }
                    None => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.next_if(|&(c, _)| c == '^').is_some() {
                    out.push('^');
                }
            }
            // `]` right after `[` or `[^` is a literal, as in Java and Rust.
            ']' if in_class && !at_class_start => {
                in_class = false;
                out.push(']');
            }
            // Rust reads `[` inside a class as a nested class; AWS (Java) as a literal.
            '[' => out.push_str("\\["),
            // AWS allows `{,n}` for "at most n"; Rust spells it `{0,n}`.
            '{' if !in_class && chars.peek().is_some_and(|&(c, _)| c == ',') => {
                out.push_str("{0");
            }
            c => out.push(c),
        }
        map.resize(out.len(), at);
    }
    map.push(source.len());
    (out, map)
}

/// Checks that a regex is well formed, without compiling it; the error is the regex parser's
/// one-line reason and the bytes of `source` it is about (all of them where it names none).
pub(crate) fn check(source: &str) -> Result<(), (String, Range<usize>)> {
    let (translated, map) = translate_mapped(source);
    regex_syntax::Parser::new()
        .parse(&translated)
        .map(drop)
        .map_err(|e| {
            let span = match &e {
                regex_syntax::Error::Parse(e) => Some(*e.span()),
                regex_syntax::Error::Translate(e) => Some(*e.span()),
                _ => None,
            };
            let at = |offset: usize| map.get(offset).copied().unwrap_or(source.len());
            // Where the source text that gave output byte `last` ends: where the next begins.
            let end_of = |last: usize| {
                let from = at(last);
                map.get(last + 1..)
                    .and_then(|rest| rest.iter().copied().find(|&o| o != from))
                    .unwrap_or(source.len())
            };
            let range = span.map_or(0..source.len(), |span| {
                // The span's last byte (its first, for an empty span).
                let last = span.end.offset.saturating_sub(1).max(span.start.offset);
                at(span.start.offset)..end_of(last)
            });
            (syntax_detail(&e.to_string()), range)
        })
}

/// The last line of the regex crate's multi-line message ("error: unclosed character class").
pub(crate) fn syntax_detail(message: &str) -> String {
    let last = message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message);
    last.trim().trim_start_matches("error: ").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_perl_classes_to_ascii() {
        assert_eq!(translate(r"\d{1,3}"), "[[:digit:]]{1,3}");
        assert_eq!(translate(r"[\w.]"), "[[:word:].]");
        assert_eq!(translate(r"\S+\x3A"), r"[[:^space:]]+\x3A");
        assert_eq!(translate(r"[]]"), "[]]");
        assert_eq!(translate(r"[^]a]"), "[^]a]");
        assert_eq!(translate(r"[a[]"), r"[a\[]");
        assert_eq!(translate(r"\[.\]"), r"\[.\]");
        assert_eq!(translate(r"a{,2}b{3,}c{1,2}[{,]"), r"a{0,2}b{3,}c{1,2}[{,]");
        assert_eq!(translate(r"\{,2}"), r"\{,2}");
    }

    #[test]
    fn malformed_regexes_are_found_without_compiling() {
        assert!(check(r"\d{1,3}\.[a-z]+$").is_ok());
        let fault = |regex: &str| {
            let (detail, at) = check(regex).unwrap_err();
            (detail, regex.get(at).unwrap_or("?").to_owned())
        };
        assert_eq!(
            fault("[abc"),
            ("unclosed character class".into(), "[".into())
        );
        assert_eq!(
            fault("abcdefgh{2,1}"),
            (
                "invalid repetition count range, the start must be <= the end".into(),
                "{2,1}".into()
            )
        );
        // Behind a rewritten class, the place is still the source's.
        assert_eq!(fault(r"\d\w[\s]x{3,2}").1, "{3,2}");
        assert_eq!(fault(r"\d+\Q").1, r"\Q");
        assert_eq!(fault(r"a{,2}{4,3}").1, "{4,3}");
    }

    #[test]
    fn ascii_classes_do_not_match_unicode() {
        let re = ::regex::Regex::new(&translate(r"^\d\w\s$")).unwrap();
        assert!(re.is_match("1a "));
        assert!(!re.is_match("١a "), "Arabic-Indic digit is not \\d");
        assert!(!re.is_match("1é "), "é is not \\w");
        assert!(!re.is_match("1a\u{00a0}"), "no-break space is not \\s");
    }

    /// A word boundary is where `\w` (ASCII) meets `\W`: between `a` and `é` too.
    #[test]
    fn word_boundaries_are_ascii_as_word_characters_are() {
        assert_eq!(translate(r"a\b\W"), r"a(?-u:\b)[[:^word:]]");
        assert_eq!(translate(r"\Bx"), r"(?-u:\B)x");
        let boundary = ::regex::Regex::new(&translate(r"a\b")).unwrap();
        assert!(boundary.is_match("aé"));
        assert!(boundary.is_match("a b"));
        assert!(!boundary.is_match("ab"));
        let inside = ::regex::Regex::new(&translate(r"a\B")).unwrap();
        assert!(inside.is_match("ab"));
        assert!(!inside.is_match("aé"));
    }
}
