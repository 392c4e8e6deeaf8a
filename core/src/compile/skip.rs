//! A term regex with no literal to search for (`%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%`), run on
//! its DFA with its start state passed over at SIMD speed.
//!
//! Searched anywhere in an event, such a regex spends most bytes in its DFA's start state: only
//! a few bytes (the digits) leave it. regex-automata passes over a state quickly only when at
//! most three bytes leave it (`memchr3`); ten digits, and its lazy or full DFA takes a table
//! lookup for every byte of the event. Here the bytes that leave the start state are found as
//! a few ranges of bytes, and the DFA is stepped only from one of those on: on the `regex`
//! bench's events 15% of the bytes are digits, in runs of two or three.
//!
//! Exact by construction: every byte passed over leads from the start state back to it (the
//! skip stops at each byte that does not), and the rest is regex-automata's own DFA, asked only
//! whether it reaches a match state.

use regex_automata::dfa::Automaton;
use regex_automata::dfa::{StartKind, dense};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};

use crate::compile::step::{at_end, step};

/// At most this many ranges of bytes may leave the start state (each costs two SIMD operations
/// a step).
const MAX_RANGES: usize = 3;

/// The most NFA states a regex may have to be given a DFA here: regex-automata's own limit for
/// building a full DFA (`meta::Config::dfa_state_limit`), which bounds the time spent
/// determinizing a DFA that may then exceed its size limit.
const MAX_STATES: usize = 30;

/// A regex answered with its DFA, skipping the bytes that keep it in its start state.
#[derive(Clone, Debug)]
pub(crate) struct SkipDfa {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
    /// The bytes that leave the start state, as inclusive ranges.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    ranges: sse2::Ranges,
    /// The same, byte by byte.
    leaves: [bool; 256],
}

impl SkipDfa {
    /// The skipping DFA of `source` (for [`SkipDfa::is_match`] anywhere in a text), within
    /// `dfa_bytes` for its DFA and `nfa_bytes` for the NFA it is built from; `None` when it has
    /// no use: the regex has a look-around assertion (its start state depends on the byte
    /// before), matches the empty text, has more than [`MAX_STATES`] NFA states, its start state
    /// is one regex-automata accelerates itself, more than [`MAX_RANGES`] ranges of bytes leave
    /// it, or the DFA is too large.
    pub(crate) fn new(source: &str, nfa_bytes: usize, dfa_bytes: usize) -> Option<SkipDfa> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(nfa_bytes))
                    .which_captures(WhichCaptures::None),
            )
            .build(source)
            .ok()?;
        if !nfa.look_set_any().is_empty() || nfa.has_empty() || nfa.states().len() > MAX_STATES {
            return None;
        }
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Unanchored)
                    .dfa_size_limit(Some(dfa_bytes))
                    .determinize_size_limit(Some(dfa_bytes)),
            )
            .build_from_nfa(&nfa)
            .ok()?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .ok()?;
        if dfa.is_special_state(start) {
            return None;
        }
        let leaves: [bool; 256] = std::array::from_fn(|b| dfa.next_state(start, b as u8) != start);
        let ranges = byte_ranges(&leaves);
        if ranges.is_empty() || ranges.len() > MAX_RANGES {
            return None;
        }
        Some(SkipDfa {
            dfa,
            start,
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            ranges: sse2::Ranges::new(&ranges),
            leaves,
        })
    }

    /// Whether the regex matches somewhere in `text`; `None` when the DFA gives up (at a quit
    /// byte: it has none, so never in fact), for the caller to ask the regex.
    pub(crate) fn is_match(&self, text: &str) -> Option<bool> {
        let bytes = text.as_bytes();
        let dfa = &self.dfa;
        let mut sid = self.start;
        let mut at = 0;
        loop {
            if sid == self.start {
                at = self.leave_at(bytes, at);
            }
            let Some(&byte) = bytes.get(at) else {
                break;
            };
            sid = match step(dfa, sid, byte) {
                Ok(next) => next,
                Err(answer) => return answer,
            };
            at += 1;
        }
        Some(at_end(dfa, sid))
    }

    /// Whether `byte` leaves the start state.
    #[inline]
    fn leaves(&self, byte: u8) -> bool {
        self.leaves.get(usize::from(byte)) == Some(&true)
    }

    /// The position of the first byte from `at` on that leaves the start state (or the end).
    #[inline]
    fn leave_at(&self, bytes: &[u8], at: usize) -> usize {
        // Runs of such bytes are often a byte or two apart (`12:34:56`).
        if bytes.get(at).is_some_and(|&b| self.leaves(b)) {
            return at;
        }
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        let at = match self.ranges.first_in(bytes, at) {
            Ok(found) => return found,
            Err(rest) => rest,
        };
        let rest = bytes.get(at..).unwrap_or_default();
        rest.iter()
            .position(|&b| self.leaves(b))
            .map_or(bytes.len(), |i| at + i)
    }
}

/// The bytes `set` holds, as inclusive ranges in order.
fn byte_ranges(set: &[bool; 256]) -> Vec<(u8, u8)> {
    let mut ranges: Vec<(u8, u8)> = Vec::new();
    for byte in (0..=u8::MAX).filter(|&b| set.get(usize::from(b)) == Some(&true)) {
        match ranges.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(byte) => *hi = byte,
            _ => ranges.push((byte, byte)),
        }
    }
    ranges
}

/// [`SkipDfa::leave_at`] sixteen bytes a step, with SSE2 (part of every x86-64 processor).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, load_unaligned_m128i, m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i, sub_i8_m128i,
    };

    /// Inclusive ranges of bytes, each as its first byte and its width less one in every lane:
    /// a byte is in `lo..=hi` when `byte - lo` (wrapping) is at most `hi - lo`, that is, its
    /// own minimum with `hi - lo`.
    #[derive(Clone, Debug)]
    pub(super) struct Ranges(Vec<(m128i, m128i)>);

    impl Ranges {
        pub(super) fn new(ranges: &[(u8, u8)]) -> Ranges {
            let lane = |b: u8| set_splat_i8_m128i(i8::from_ne_bytes([b]));
            Ranges(
                ranges
                    .iter()
                    .map(|&(lo, hi)| (lane(lo), lane(hi.wrapping_sub(lo))))
                    .collect(),
            )
        }

        /// The first byte from `at` on in one of the ranges, if it is in the sixteen-byte
        /// steps that `bytes` holds from there; otherwise `Err` of where those steps end (fewer
        /// than sixteen bytes are left after it).
        #[inline]
        pub(super) fn first_in(&self, bytes: &[u8], mut at: usize) -> Result<usize, usize> {
            while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
                let v = load_unaligned_m128i(chunk);
                let mut mask = 0;
                for &(lo, width) in &self.0 {
                    let d = sub_i8_m128i(v, lo);
                    mask |= move_mask_i8_m128i(cmp_eq_mask_i8_m128i(min_u8_m128i(d, width), d));
                }
                if mask != 0 {
                    return Ok(at + mask.trailing_zeros() as usize);
                }
                at += 16;
            }
            Err(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::meta;

    fn both(source: &str) -> (Option<SkipDfa>, meta::Regex) {
        let meta = meta::Regex::new(source).unwrap();
        (SkipDfa::new(source, 1 << 20, 40 << 10), meta)
    }

    #[test]
    fn built_only_where_it_helps() {
        // Ten digits leave the start state: one range.
        let (ip, _) = both(r"(?-u:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})");
        assert_eq!(byte_ranges(&ip.unwrap().leaves), [(b'0', b'9')]);
        let (hex, _) = both(r"(?-u:[0-9a-fA-F]{8}-)");
        assert_eq!(
            byte_ranges(&hex.unwrap().leaves),
            [(b'0', b'9'), (b'A', b'F'), (b'a', b'f')]
        );
        // Three bytes or fewer: regex-automata accelerates the start state itself.
        assert!(both("(?-u:x[0-9]+)").0.is_none());
        // Look-around, a match at the start, too many ranges.
        assert!(both(r"(?-u:\b[0-9]+)").0.is_none());
        assert!(both("(?-u:^[0-9]+)").0.is_none());
        assert!(both("(?-u:[0-9]*)").0.is_none());
        assert!(both("(?-u:[0-9a-zA-Z_-]{4})").0.is_none());
        // Too many NFA states to be worth determinizing (a DFA of 32 states would fit).
        assert!(both("(?-u:[0-9]{30}x)").0.is_none());
        assert!(both("(?-u:[0-9]{3}x)").0.is_some());
    }

    #[test]
    fn answers_as_the_regex() {
        let (ip, meta) = both(r"(?-u:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})");
        let ip = ip.unwrap();
        for (text, want) in [
            ("", false),
            ("10.0.0.1", true),
            ("ip 10.0.0", false),
            (r#"{"sourceIPAddress":"192.0.2.44","x":1}"#, true),
            ("1.2.3.", false),
            ("a 1.2.3.4 b", true),
            ("1234.567.1.2", true),
            ("1234.5678.1.2", false),
            ("version 2.13.0 of 4.5", false),
            // Sixteen-byte steps, then the last bytes one by one.
            (
                "nothing to see here at all, not one digit; then 1.2.3.4",
                true,
            ),
            (
                "nothing to see here at all, not one digit; then 1.2.3",
                false,
            ),
        ] {
            assert_eq!(ip.is_match(text), Some(want), "{text}");
            assert_eq!(meta.is_match(text), want, "{text}");
        }
    }

    proptest! {
        /// Against the meta regex, on ASCII, on text with characters of two to four bytes and
        /// controls in runs longer than a step, for regexes left by bytes of both halves
        /// (`.`: 0x00 to 0x09, 0x0b to 0x7f, 0xc2 to 0xf4).
        #[test]
        fn agrees_with_the_regex(
            which in 0usize..9,
            text in "[0-9a-fA-F.x\\- ]{0,40}|[\\x00-\\x7f]{0,80}|\\PC{0,30}|[0-9 x\\téaα€😀K\\x00-\\x1f]{0,60}",
        ) {
            let source = [
                r"(?-u:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})",
                r"(?-u:[0-9a-fA-F]{8}-)",
                r"(?-u:[0-9]{2}x)",
                r"[0-9]+\.[0-9]",
                ".x",
                "[[:^digit:]]{3}",
                "[éa-c]x",
                r"[\x00-\x1f]{2}",
                "[[:space:]][[:digit:]]",
            ][which];
            let (skip, meta) = both(source);
            let skip = skip.unwrap();
            prop_assert_eq!(skip.is_match(&text), Some(meta.is_match(&text)));
        }
    }
}
