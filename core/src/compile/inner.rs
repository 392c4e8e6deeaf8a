//! A term regex of bounded length with a literal in it (`%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%`,
//! `%[0-9a-f]{8}-[0-9a-f]{4}%`, `%arn:aws:iam::\d{12}:role/%`), answered from the places that
//! literal occurs.
//!
//! The regex is a concatenation `P L S` where every match of `L S` starts with the literal `l`:
//! it matches somewhere in a text exactly when, at some occurrence of `l` at `p`, `P` matches a
//! text ending at `p` and `L S` one starting there. Both are asked of small DFAs, anchored at
//! `p` and stopping at their first match state: `P` reversed, read backwards from `p`, and `L S`
//! forwards. The literal is found with `memchr`/`memmem`; the DFAs read only the few bytes
//! around it (where the literal starts the regex, `P` is empty and only `L S` is asked). On the
//! `regex` bench's events this is four times faster than stepping a DFA through every run of
//! digits ([`SkipDfa`](super::skip::SkipDfa)), which is kept for regexes whose literal is a byte
//! every record is full of (`\d{2}:\d{2}`: a `:` after every key), and a little faster than the
//! meta regex's lazy DFA run from each occurrence of a literal prefix.
//!
//! Exact for regexes without look-around, which alone are split: a text matched by `P L S` is
//! one matched by `P` followed by one matched by `L S`, and nothing else. Bounded: `P` and
//! `L S` both match texts of at most [`MAX_SIDE`] bytes, so each occurrence costs at most that
//! many steps of each DFA, whatever the text.

use memchr::memmem;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};

use crate::compile::step::StepDfa;

/// The longest text either side may match: the most DFA steps an occurrence of the literal
/// costs on each side.
const MAX_SIDE: usize = 32;

/// A regex answered at the occurrences of an inner literal.
#[derive(Clone, Debug)]
pub(crate) struct InnerDfa {
    literal: memmem::Finder<'static>,
    /// `P`, reversed (`None` when the literal starts the regex).
    before: Option<StepDfa>,
    /// `L S`.
    from: StepDfa,
}

impl InnerDfa {
    /// The regex `source` split at its first literal that is worth searching for, within
    /// `nfa_bytes` and `dfa_bytes` for each side's NFA and DFA; `None` when the regex has a
    /// look-around assertion, is not a concatenation, has no such literal, a side may match more
    /// than [`MAX_SIDE`] bytes, or a DFA is too large.
    ///
    /// A literal is worth it when it is one literal every match of its part starts with, of two
    /// bytes or more (one `memmem`), or one byte that is neither a letter nor a digit nor part
    /// of JSON's syntax (`.`, `-`, `/`, `@`: a `:` or `"` occurs a few times in every key).
    pub(crate) fn new(source: &str, nfa_bytes: usize, dfa_bytes: usize) -> Option<InnerDfa> {
        let hir = regex_syntax::parse(source).ok()?;
        if !hir.properties().look_set().is_empty() {
            return None;
        }
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let short = |hir: &Hir| {
            hir.properties()
                .maximum_len()
                .is_some_and(|n| n <= MAX_SIDE)
        };
        for at in 0..parts.len() {
            let (before, from) = parts.split_at(at);
            let Some(literal) = from.first().and_then(inner_literal) else {
                continue;
            };
            let before = Hir::concat(before.to_vec());
            let from = Hir::concat(from.to_vec());
            if !short(&before) || !short(&from) {
                continue;
            }
            let before = match at {
                0 => None,
                _ => Some(StepDfa::anchored(&before, true, nfa_bytes, dfa_bytes)?),
            };
            return Some(InnerDfa {
                literal: memmem::Finder::new(&literal).into_owned(),
                before,
                from: StepDfa::anchored(&from, false, nfa_bytes, dfa_bytes)?,
            });
        }
        None
    }

    /// Whether the regex matches somewhere in `text`; `None` when a DFA gives up (at a quit
    /// byte: they have none, so never in fact), for the caller to ask the regex.
    pub(crate) fn is_match(&self, text: &str) -> Option<bool> {
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(found) = bytes.get(at..).and_then(|rest| self.literal.find(rest)) {
            let p = at + found;
            let (head, tail) = bytes.split_at_checked(p)?;
            let before = match &self.before {
                Some(side) => side.matches(head.iter().rev())?,
                None => true,
            };
            if before && self.from.matches(tail.iter())? {
                return Some(true);
            }
            // Occurrences may overlap (`aa` in `aaa`): the next one may start one byte on.
            at = p + 1;
        }
        Some(false)
    }
}

/// The literal every match of `part` starts with, if it is worth searching for (see
/// [`InnerDfa::new`]).
fn inner_literal(part: &Hir) -> Option<Vec<u8>> {
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(part);
    let [literal] = seq.literals()? else {
        return None;
    };
    match literal.as_bytes() {
        [] => None,
        [byte] if byte.is_ascii_alphanumeric() || b"\"\\:,{}[] \t\r\n".contains(byte) => None,
        bytes => Some(bytes.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::meta;

    fn built(source: &str) -> Option<InnerDfa> {
        InnerDfa::new(source, 1 << 20, 1 << 20)
    }

    /// Split where an inner literal is worth it and both sides are short; not otherwise.
    #[test]
    fn built_only_where_it_helps() {
        for source in [
            r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
            r"[0-9a-f]{8}-[0-9a-f]{4}",
            r"[0-9]{2}ms",
            r"[a-z]?/x",
            r"\.[0-9]", // a literal first: nothing before it
            r"arn:aws:iam::[0-9]{12}:role/",
        ] {
            assert!(built(source).is_some(), "{source}");
        }
        for source in [
            r"[0-9]{2}:[0-9]{2}",   // a byte every key is followed by
            r"[0-9]{2}x[0-9]",      // a letter
            r"[0-9]+\.[0-9]",       // a side with no bound
            r"[0-9]{40}\.[0-9]",    // a side longer than MAX_SIDE
            r"[0-9]{2}\b\.[0-9]",   // a look-around
            r"[0-9]{2}(\.|-)[0-9]", // no one literal
            r"ab[0-9]+",            // a literal first, but no bound after it
            r"[0-9]{2}",            // not a concatenation
        ] {
            assert!(built(source).is_none(), "{source}");
        }
    }

    /// Occurrences of the literal that overlap, one at the very start or end, several that
    /// fail before one that matches.
    #[test]
    fn answers_as_the_regex() {
        let cases = [
            (
                r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
                "v1.05 and 3.207.86.202",
                true,
            ),
            (
                r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
                "1.2.3. 1.2.x.4 1234.5.6",
                false,
            ),
            (
                r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
                "1234.5.6.7",
                true,
            ),
            (r"[a-c]{0,2}aab", "xaaab", true),
            (r"[a-c]{0,2}aab", "xaaac", false),
            (r"x?\.\.", "...", true),
            (r"x?\.\.", ".", false),
            (r"[0-9]\.", ".5.", true),
            (r"[0-9]\.", ".5", false),
            (r"[xz]?aa[bc]", "aaab", true),
            (r"[xz]?aa[bc]", "aaaa", false),
        ];
        for (source, text, want) in cases {
            let inner = built(source).unwrap();
            assert_eq!(inner.is_match(text), Some(want), "{source} on {text:?}");
        }
    }

    proptest! {
        /// Against the meta regex, on texts of the regexes' own bytes and any others.
        #[test]
        fn agrees_with_the_regex(
            which in 0usize..7,
            text in "[0-9a-f.\\-x/ ]{0,40}|\\PC{0,30}|[0-9.aé€]{0,60}",
        ) {
            let source = [
                r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
                r"[0-9a-f]{8}-[0-9a-f]{4}",
                r"[0-9]?\.\.?[0-9]",
                r"(?:ab|a)?--x?",
                r"x{0,3}/é?[0-9]",
                r"[^.]{2}\.[^.]",
                r"[xz]?aa[bc]",
            ][which];
            let inner = built(source).unwrap();
            let re = meta::Regex::new(source).unwrap();
            prop_assert_eq!(inner.is_match(&text), Some(re.is_match(&text)));
        }
    }
}
