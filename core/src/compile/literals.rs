//! Which of many literals occur in a text, with one SIMD-accelerated multi-literal search.
//!
//! Literals are searched with Aho-Corasick's packed SIMD searcher (Teddy) directly, in chunks of
//! 64 (Teddy's limit; the automaton's own heuristics would use Teddy only for up to 16), as long
//! as that takes at most four passes. More literals use one automaton (a DFA when it fits the
//! byte budget) in a single overlapping pass, which reports every occurrence by itself. The
//! packed searchers serve only leftmost searches, which report one literal per start position and
//! skip overlaps. To still learn every literal that occurs, the search runs
//! leftmost-longest and restarts one byte after each match's start: every literal occurrence
//! starts at some position, and at that position either it or a longer literal it is a prefix of
//! is reported. Each literal therefore carries the list of the other literals that are its
//! prefixes.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind, Span, packed};

/// Literals searched for together.
///
/// [`LiteralSet::is_simd`] tells whether the search runs on Teddy (at most 256 literals).
#[derive(Clone, Debug)]
pub(crate) struct LiteralSet {
    searcher: Searcher,
    /// Literal → the other literals that are its proper prefixes.
    prefixes: Vec<Vec<u32>>,
}

impl LiteralSet {
    /// Builds the set; `None` when the automaton would exceed `max_bytes`. Literals must be
    /// non-empty; literal `i` is reported as `i`.
    pub(crate) fn new(literals: &[String], max_bytes: usize) -> Option<LiteralSet> {
        let chunks: Option<Vec<(u32, packed::Searcher)>> = if literals.len() <= 4 * TEDDY_LIMIT {
            literals
                .chunks(TEDDY_LIMIT)
                .enumerate()
                .map(|(n, chunk)| {
                    let searcher = packed::Config::new()
                        .match_kind(packed::MatchKind::LeftmostLongest)
                        .builder()
                        .extend(chunk)
                        .build()?;
                    Some(((n * TEDDY_LIMIT) as u32, searcher))
                })
                .collect()
        } else {
            None
        };
        let chunks =
            chunks.filter(|c| c.iter().map(|(_, s)| s.memory_usage()).sum::<usize>() <= max_bytes);
        let searcher = match chunks {
            Some(chunks) => Searcher::Packed(chunks),
            None => {
                // A DFA takes one table lookup per byte where an NFA follows failure links;
                // within the byte budget it is the faster overlapping search by far.
                let build = |kind| {
                    AhoCorasickBuilder::new()
                        .match_kind(MatchKind::Standard)
                        .kind(kind)
                        .build(literals)
                        .ok()
                        .filter(|a| a.memory_usage() <= max_bytes)
                };
                let automaton = build(Some(AhoCorasickKind::DFA)).or_else(|| build(None))?;
                Searcher::Automaton(automaton)
            }
        };
        let ids: HashMap<&str, u32> = literals
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i as u32))
            .collect();
        let prefixes = literals
            .iter()
            .map(|l| {
                l.char_indices()
                    .skip(1)
                    .filter_map(|(end, _)| l.get(..end).and_then(|p| ids.get(p)).copied())
                    .collect()
            })
            .collect();
        Some(LiteralSet { searcher, prefixes })
    }

    /// Calls `found` with every literal that occurs in `text` (some more than once); returns
    /// whether any does.
    pub(crate) fn each_found(&self, text: &str, mut found: impl FnMut(u32)) -> bool {
        let mut any = false;
        let mut report = |id: u32| {
            any = true;
            found(id);
            for &p in self.prefixes.get(id as usize).into_iter().flatten() {
                found(p);
            }
        };
        match &self.searcher {
            Searcher::Packed(chunks) => {
                for (first, s) in chunks {
                    let mut at = 0;
                    while let Some(m) = (at < text.len())
                        .then(|| s.find_in(text, Span::from(at..text.len())))
                        .flatten()
                    {
                        report(first + m.pattern().as_u32());
                        at = m.start() + 1;
                    }
                }
            }
            Searcher::Automaton(a) => {
                for m in a.find_overlapping_iter(text) {
                    report(m.pattern().as_u32());
                }
            }
        }
        any
    }
}

/// Teddy searches at most this many literals at once.
const TEDDY_LIMIT: usize = 64;

impl LiteralSet {
    /// True when the search runs on Teddy, at SIMD speed.
    pub(crate) fn is_simd(&self) -> bool {
        matches!(self.searcher, Searcher::Packed(_))
    }
}

#[derive(Clone, Debug)]
enum Searcher {
    /// Chunks of at most [`TEDDY_LIMIT`] literals, each with the id of its first literal.
    Packed(Vec<(u32, packed::Searcher)>),
    Automaton(AhoCorasick),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(literals: &[&str], text: &str) -> Vec<&'static str> {
        let owned: Vec<String> = literals.iter().map(|s| s.to_string()).collect();
        let set = LiteralSet::new(&owned, usize::MAX).unwrap();
        assert!(matches!(set.searcher, Searcher::Packed(_)));
        let mut ids = Vec::new();
        set.each_found(text, |i| ids.push(i));
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|i| literals[i as usize].to_string().leak() as &str)
            .collect()
    }

    #[test]
    fn overlapping_nested_and_same_start_literals_are_all_found() {
        assert_eq!(found(&["ABC", "CD"], "xABCDx"), ["ABC", "CD"]);
        assert_eq!(
            found(&["Access", "AccessDenied", "Denied"], "AccessDenied"),
            ["Access", "AccessDenied", "Denied"]
        );
        assert_eq!(found(&["aa"], "aaa"), ["aa"]);
        assert_eq!(found(&["é", "éx"], "aéx"), ["é", "éx"]);
        assert!(found(&["zz"], "abc").is_empty());
    }

    #[test]
    fn more_literals_than_the_packed_searcher_takes() {
        let literals: Vec<String> = (0..300).map(|i| format!("lit{i:03}x")).collect();
        let chunked = LiteralSet::new(&literals[..200], usize::MAX).unwrap();
        assert!(matches!(&chunked.searcher, Searcher::Packed(c) if c.len() == 4));
        let mut ids = Vec::new();
        chunked.each_found("lit000x lit199x lit100x", |i| ids.push(i));
        ids.sort_unstable();
        assert_eq!(ids, [0, 100, 199]);
        let set = LiteralSet::new(&literals, usize::MAX).unwrap();
        assert!(matches!(set.searcher, Searcher::Automaton(_)));
        let mut ids = Vec::new();
        set.each_found("a lit007x b lit299x", |i| ids.push(i));
        assert_eq!(ids, [7, 299]);
    }
}
