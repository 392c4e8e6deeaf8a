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
use regex_syntax::hir::Hir;

/// A DFA and the state a search of a text from its start begins in.
#[derive(Clone, Debug)]
pub(crate) struct StepDfa {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
}

impl StepDfa {
    /// A DFA of `hir` matching only at the start of a text (read backwards if `reverse`), within
    /// `nfa_bytes` for its NFA and `dfa_bytes` for the DFA. Its start state is that of a search
    /// starting anywhere only if `hir` has no look-around assertion, which the caller ensures.
    pub(crate) fn anchored(
        hir: &Hir,
        reverse: bool,
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
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(dfa_bytes))
                    .determinize_size_limit(Some(dfa_bytes)),
            )
            .build_from_nfa(&nfa)
            .ok()?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .ok()?;
        Some(StepDfa { dfa, start })
    }

    /// Whether the DFA matches a prefix of `bytes` (read in the order given); `None` at a quit
    /// byte, for the caller to ask its regex.
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

    fn built(source: &str, reverse: bool) -> StepDfa {
        let hir = regex_syntax::parse(source).unwrap();
        StepDfa::anchored(&hir, reverse, 1 << 20, 1 << 20).unwrap()
    }

    /// A match is of a prefix of the bytes given, seen one byte late or at their end, read
    /// forwards or (reversed) backwards; the empty match is one too.
    #[test]
    fn matches_a_prefix_of_the_bytes_given() {
        let ab = built("ab", false);
        assert_eq!(ab.matches(b"abc".iter()), Some(true));
        assert_eq!(ab.matches(b"ab".iter()), Some(true));
        assert_eq!(ab.matches(b"a".iter()), Some(false));
        assert_eq!(ab.matches(b"xab".iter()), Some(false));
        let reversed = built("ab", true);
        assert_eq!(reversed.matches(b"xab".iter().rev()), Some(true));
        assert_eq!(reversed.matches(b"abx".iter().rev()), Some(false));
        let empty = built("x?", false);
        assert_eq!(empty.matches(b"".iter()), Some(true));
        assert_eq!(empty.matches(b"y".iter()), Some(true));
    }
}
