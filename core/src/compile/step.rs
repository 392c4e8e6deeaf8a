//! A dense DFA stepped by hand from a start state computed once, asked only whether it reaches a
//! match state.
//!
//! regex-automata's search functions set a search up at every call (the input's bounds, the
//! start state from the bytes around it, a prefilter, acceleration), which on texts of a few
//! dozen bytes costs more than the steps themselves: on the `regex` bench, asking the sides of
//! an [`InnerDfa`](super::inner::InnerDfa) through `try_search_fwd`/`try_search_rev` took 17%
//! more time than stepping them here. A search here always starts at the start of the text it is
//! given, so its start state is known when the DFA is built.

use regex_automata::dfa::Automaton;
use regex_automata::dfa::{StartKind, dense};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::{Hir, Look};

/// A DFA and the state a search of a text from its start begins in.
#[derive(Clone, Debug)]
pub(crate) struct StepDfa {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
}

impl StepDfa {
    /// A DFA of `hir` matching only at the start of a text (read backwards if `reverse`), within
    /// `nfa_bytes` for its NFA and `dfa_bytes` for the DFA. Its start state is that of a search
    /// starting anywhere only if `hir` has no look-around assertion.
    pub(crate) fn anchored(
        hir: &Hir,
        reverse: bool,
        nfa_bytes: usize,
        dfa_bytes: usize,
    ) -> Option<StepDfa> {
        StepDfa::build(hir, reverse, Anchored::Yes, nfa_bytes, dfa_bytes)
    }

    /// A DFA of `hir` matching anywhere in a whole text, within the same limits (anchored when
    /// every match of `hir` starts at the start of the text: it then stops at the first byte
    /// that no match can go on with). `None` for an ASCII word boundary: it can match the empty
    /// text inside a character (`(?-u:\B)` between the bytes of `é`), which the meta regex does
    /// not report (`utf8_empty`) and a DFA would. (The AWS dialect cannot write one: it has no
    /// flags.)
    pub(crate) fn search(hir: &Hir, nfa_bytes: usize, dfa_bytes: usize) -> Option<StepDfa> {
        if hir.properties().look_set().contains_word_ascii() {
            return None;
        }
        let anchored = match hir.properties().look_set_prefix().contains(Look::Start) {
            true => Anchored::Yes,
            false => Anchored::No,
        };
        StepDfa::build(hir, false, anchored, nfa_bytes, dfa_bytes)
    }

    fn build(
        hir: &Hir,
        reverse: bool,
        anchored: Anchored,
        nfa_bytes: usize,
        dfa_bytes: usize,
    ) -> Option<StepDfa> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .reverse(reverse)
                    .nfa_size_limit(Some(nfa_bytes))
                    .which_captures(WhichCaptures::None),
            )
            .build_from_hir(hir)
            .ok()?;
        let kind = match anchored {
            Anchored::No => StartKind::Unanchored,
            _ => StartKind::Anchored,
        };
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(kind)
                    // Quit at a non-ASCII byte rather than refuse a Unicode `\b`.
                    .unicode_word_boundary(true)
                    .dfa_size_limit(Some(dfa_bytes))
                    .determinize_size_limit(Some(dfa_bytes)),
            )
            .build_from_nfa(&nfa)
            .ok()?;
        // No byte before: the start of a text.
        let start = dfa
            .start_state(&start::Config::new().anchored(anchored))
            .ok()?;
        Some(StepDfa { dfa, start })
    }

    /// Whether the DFA reaches a match state on `bytes` (read in the order given, as a whole
    /// text); `None` at a quit byte (a Unicode word boundary before a non-ASCII byte), for the
    /// caller to ask its regex.
    #[inline]
    pub(crate) fn matches<'a>(&self, bytes: impl Iterator<Item = &'a u8>) -> Option<bool> {
        let mut sid = self.start;
        for &byte in bytes {
            sid = match step(&self.dfa, sid, byte) {
                Ok(next) => next,
                Err(answer) => return answer,
            };
        }
        Some(at_end(&self.dfa, sid))
    }
}

/// The state of `dfa` after `byte` from `sid`, or what a search that only asks whether there is
/// a match answers there: `Some(true)` in a match state, `Some(false)` in the dead state, `None`
/// at a quit byte. A match is seen one byte late, as regex-automata's DFAs report them.
#[inline]
pub(crate) fn step(
    dfa: &dense::DFA<Vec<u32>>,
    sid: StateID,
    byte: u8,
) -> Result<StateID, Option<bool>> {
    let next = dfa.next_state(sid, byte);
    if dfa.is_special_state(next) {
        if dfa.is_match_state(next) {
            return Err(Some(true));
        }
        if dfa.is_dead_state(next) {
            return Err(Some(false));
        }
        if dfa.is_quit_state(next) {
            return Err(None);
        }
    }
    Ok(next)
}

/// Whether a match ends at the end of the text, `sid` being the state after its last byte.
#[inline]
pub(crate) fn at_end(dfa: &dense::DFA<Vec<u32>>, sid: StateID) -> bool {
    dfa.is_match_state(dfa.next_eoi_state(sid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::meta;

    const REGEXES: [&str; 8] = [
        r"^Describe[A-Z][a-z]+s$",
        r":assumed-role/[A-Za-z0-9_-]+/",
        r"^a|b$",
        r"[0-9]{2}x?$",
        r"\bab",
        r"\Bab\b",
        r"é+.",
        r"",
    ];

    proptest! {
        /// A search from the start of a whole text answers as the meta regex, anchored at the
        /// start or not, with `$` and word boundaries (a Unicode one gives up before a
        /// non-ASCII byte, and only there).
        #[test]
        fn search_agrees_with_the_regex(
            which in 0..REGEXES.len(),
            text in "[a-zA-Z0-9:/_\\- ]{0,30}|Describe[A-Z][a-z]{0,6}s?|\\PC{0,12}|[abxé0-9 ]{0,12}",
        ) {
            let source = REGEXES[which];
            let dfa = StepDfa::search(&regex_syntax::parse(source).unwrap(), 1 << 20, 1 << 20).unwrap();
            let want = meta::Regex::new(source).unwrap().is_match(&text);
            match dfa.matches(text.as_bytes().iter()) {
                Some(got) => prop_assert_eq!(got, want),
                None => prop_assert!((which == 4 || which == 5) && !text.is_ascii()),
            }
        }
    }

    /// An ASCII word boundary is left to the meta regex: it would match inside a character.
    #[test]
    fn ascii_word_boundaries_are_left_to_the_regex() {
        let hir = regex_syntax::parse(r"(?-u:\B)").unwrap();
        assert!(StepDfa::search(&hir, 1 << 20, 1 << 20).is_none());
        assert!(!meta::Regex::new(r"(?-u:\B)").unwrap().is_match("aéa"));
    }

    /// A regex anchored at the start is searched anchored: it stops at the first byte no match
    /// goes on with, where an unanchored DFA would read the whole text.
    #[test]
    fn anchored_at_the_start_stops_early() {
        let hir = regex_syntax::parse("^ab").unwrap();
        let dfa = StepDfa::search(&hir, 1 << 20, 1 << 20).unwrap();
        let mut read = 0;
        let text = b"xb and then a long text with ab in it";
        let bytes = text.iter().inspect(|_| read += 1);
        assert_eq!(dfa.matches(bytes), Some(false));
        assert_eq!(read, 1);
        assert_eq!(dfa.matches(b"abc".iter()), Some(true));
    }
}
