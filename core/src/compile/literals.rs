//! Which of many literals occur in a text, with one SIMD-accelerated multi-literal search.
//!
//! Literals are searched with Aho-Corasick's packed SIMD searcher (Teddy) directly, in chunks of
//! 64 (Teddy's limit; the automaton's own heuristics would use Teddy only for up to 16), as long
//! as that takes at most four passes. The packed searchers serve only leftmost searches, which
//! report one literal per start position and skip overlaps. To still learn every literal that
//! occurs, the search runs leftmost-longest and restarts one byte after each match's start: every
//! literal occurrence starts at some position, and at that position either it or a longer literal
//! it is a prefix of is reported. Each literal therefore carries the list of the other literals
//! that are its prefixes.
//!
//! More literals (a thousand term patterns' words) share few short prefixes: 1,400 CloudTrail
//! API names start with 44 distinct three-byte prefixes. Teddy then searches for the prefixes
//! (the longest length at which they fit one searcher, then longer where it has room: see
//! [`prefixes`]), and where one starts, a binary search among the literals sorted finds the
//! greatest that sorts at or before the text there. Every literal that starts the text there is
//! that one or a literal it starts with, and each of those occurs as far as it fits into what the
//! greatest has in common with the text ([`Prefixed::greatest_at`]). Teddy then searches on from
//! the next byte. Every occurrence of a literal starts with its prefix, so Teddy stops there.
//! The literals are looked at only where text resembles one, instead of over every byte (the
//! overlapping automaton over all literals, the last resort, took 20 instructions a byte of a
//! CloudTrail event for 1,400 literals), and without an automaton: Aho-Corasick's DFA over
//! 1,400 literals takes megabytes, and a step along a name found was a cache miss. A text that
//! repeats a long literal's stem starts one at nearly every position, and each stop would then
//! cost as much as the literals are long: once the stops have looked at more than
//! [`DENSE_WORK_PER_BYTE`] bytes a byte of text, the rest of the text goes to that automaton
//! (built then, once per set), which reads each byte once.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;

use aho_corasick::{
    AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind, Span, packed,
};

/// Literals searched for together.
///
/// [`LiteralSet::is_simd`] tells whether the search runs on Teddy (at most 256 literals).
#[derive(Clone, Debug)]
pub(crate) struct LiteralSet {
    searcher: Searcher,
    /// Literal → the other literals that are its proper prefixes or the same text (a packed
    /// search reports one literal per position).
    prefixes: Vec<Vec<u32>>,
}

impl LiteralSet {
    /// Builds the set; `None` when its searcher would exceed `max_bytes`. Literals must be
    /// non-empty; literal `i` is reported as `i`.
    pub(crate) fn new(literals: &[String], max_bytes: usize) -> Option<LiteralSet> {
        let chunks: Option<Vec<(u32, packed::Searcher)>> = if literals.len() <= 4 * TEDDY_LIMIT {
            literals
                .chunks(TEDDY_LIMIT)
                .enumerate()
                .map(|(n, chunk)| Some(((n * TEDDY_LIMIT) as u32, leftmost_longest(chunk)?)))
                .collect()
        } else {
            None
        };
        let chunks =
            chunks.filter(|c| c.iter().map(|(_, s)| s.memory_usage()).sum::<usize>() <= max_bytes);
        let searcher = match chunks {
            Some(chunks) => Searcher::Packed(chunks),
            None => match prefixed(literals, max_bytes) {
                Some(searcher) => searcher,
                None => {
                    let texts: Vec<&[u8]> = literals.iter().map(|l| l.as_bytes()).collect();
                    // A DFA takes one table lookup per byte where an NFA follows failure links;
                    // within the byte budget it is the faster search by far.
                    let automaton = automaton(&texts, Some(AhoCorasickKind::DFA), max_bytes)
                        .or_else(|| automaton(&texts, None, max_bytes))?;
                    Searcher::Automaton(automaton)
                }
            },
        };
        let prefixes = prefix_literals(literals);
        Some(LiteralSet { searcher, prefixes })
    }

    /// Calls `found` with every literal that occurs in `text` and where it starts (an
    /// occurrence may be reported more than once); returns whether any literal occurs.
    pub(crate) fn each_found(&self, text: &[u8], mut found: impl FnMut(u32, usize)) -> bool {
        let mut any = false;
        let mut report = |id: u32, start: usize| {
            any = true;
            found(id, start);
            for &p in self.prefixes.get(id as usize).into_iter().flatten() {
                found(p, start);
            }
        };
        match &self.searcher {
            Searcher::Packed(chunks) => {
                for (first, s) in chunks {
                    for m in each_start(s, text) {
                        report(first + m.pattern().as_u32(), m.start());
                    }
                }
            }
            Searcher::Automaton(a) => {
                for m in a.find_overlapping_iter(text) {
                    report(m.pattern().as_u32(), m.start());
                }
            }
            Searcher::Prefixed(p) => any = p.each_found(&self.prefixes, text, &mut found),
        }
        any
    }
}

/// Literal → the other literals that are its proper prefixes or the same text.
fn prefix_literals(literals: &[String]) -> Vec<Vec<u32>> {
    let mut ids: HashMap<&str, Vec<u32>> = HashMap::new();
    for (i, l) in literals.iter().enumerate() {
        ids.entry(l.as_str()).or_default().push(i as u32);
    }
    literals
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let proper = l.char_indices().skip(1).map(|(end, _)| l.get(..end));
            let same = ids.get(l.as_str()).into_iter().flatten();
            proper
                .filter_map(|p| p.and_then(|p| ids.get(p)))
                .flatten()
                .chain(same.filter(|&&j| j != i as u32))
                .copied()
                .collect()
        })
        .collect()
}

/// The longest a prefix that all literals are cut to may be (longer prefixes are rarer in a
/// text, but more of them are distinct).
const MAX_PREFIX: usize = 4;
/// The shortest: below it, prefixes start at nearly every byte.
const MIN_PREFIX: usize = 2;
/// The longest a prefix may grow to where the packed searcher has room for the longer prefixes
/// ([`prefixes`]).
const MAX_GROWN_PREFIX: usize = 8;

/// The prefixes [`Searcher::Prefixed`] searches for, of the [`sorted`] literals: every literal
/// starts with one of them, and
/// there are at most [`TEDDY_LIMIT`] (grown to [`ONE_BYTE_TEDDY_LIMIT`] at most when a literal
/// is one byte long); `None` when no cut of at least [`MIN_PREFIX`] bytes leaves so few.
///
/// The literals are first cut to the longest length at which they fit (three bytes for 1,400
/// CloudTrail API names). A prefix of three bytes occurs in a text where no literal does
/// (`Add` in every `sourceIPAddress`, `Det` in `tlsDetails`), and each occurrence costs a stop of
/// the search, a look among the literals and a restart. So the prefixes then grow, one byte at a time,
/// while the searcher has room: a prefix is replaced by its one-byte-longer extensions among the
/// literals (`Add` by `AddP`, `AddR`, `AddU`...), the cheapest first (a prefix that only one
/// byte extends grows for free), up to [`MAX_GROWN_PREFIX`] bytes; a prefix that is a whole
/// literal stays. A longer prefix that matches where its shorter one did is checked by the packed
/// searcher itself, which stops only where all of it occurs (on the 1,000 `cloudtrail-gen-1k`
/// events of the `terms` bench, 6.6 stops an event become 1.3).
fn prefixes<'l>(sorted: &[&'l [u8]]) -> Option<Vec<&'l [u8]>> {
    let start = first_cut(sorted)?;
    let mut grown = Grown {
        sorted,
        kept: Vec::new(),
        growing: BinaryHeap::new(),
    };
    for range in groups(sorted, 0..sorted.len(), start) {
        grown.consider(range, start);
    }
    // A one-byte literal is its own one-byte prefix, and Teddy over one-byte prefixes takes 16
    // at most (aho-corasick's limit): then they do not grow past that.
    let room = if sorted.iter().any(|l| l.len() < 2) {
        ONE_BYTE_TEDDY_LIMIT.max(grown.count())
    } else {
        TEDDY_LIMIT
    };
    // The cheapest grows while it fits; the others cost as much or more.
    while grown
        .growing
        .peek()
        .is_some_and(|next| grown.count() + next.cost() <= room)
    {
        let Some(next) = grown.growing.pop() else {
            break;
        };
        for range in next.children {
            grown.consider(range, next.len + 1);
        }
    }
    let Grown { kept, growing, .. } = grown;
    Some(
        kept.into_iter()
            .chain(growing.into_iter().map(|g| g.prefix))
            .collect(),
    )
}

/// `literals` as bytes, sorted, each once: those with the same prefix lie together.
fn sorted(literals: &[String]) -> Vec<&[u8]> {
    let mut sorted: Vec<&[u8]> = literals.iter().map(|l| l.as_bytes()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

/// The longest length from [`MIN_PREFIX`] to [`MAX_PREFIX`] that cuts the `sorted` literals to
/// at most [`TEDDY_LIMIT`] prefixes.
fn first_cut(sorted: &[&[u8]]) -> Option<usize> {
    (MIN_PREFIX..=MAX_PREFIX)
        .rev()
        .find(|&len| groups(sorted, 0..sorted.len(), len).len() <= TEDDY_LIMIT)
}

/// The prefixes of [`prefixes`] as they grow.
struct Grown<'s, 'l> {
    /// The literals, sorted: those with the same prefix lie together, a range of them.
    sorted: &'s [&'l [u8]],
    /// Prefixes that do not grow.
    kept: Vec<&'l [u8]>,
    /// Prefixes that may, the cheapest first.
    growing: BinaryHeap<Growing<'l>>,
}

/// A prefix that may grow, `len` bytes long, and the runs of its literals that share one more
/// byte: growing replaces it by theirs.
#[derive(Debug)]
struct Growing<'l> {
    prefix: &'l [u8],
    len: usize,
    children: Vec<Range<usize>>,
}

impl Growing<'_> {
    /// How many more prefixes growing makes.
    fn cost(&self) -> usize {
        self.children.len().saturating_sub(1)
    }

    /// Ordered for a max-heap to give the cheapest first, then the first in sorted order (the
    /// ranges of two prefixes never overlap).
    fn key(&self) -> (Reverse<usize>, Reverse<usize>) {
        let from = self.children.first().map_or(0, |r| r.start);
        (Reverse(self.cost()), Reverse(from))
    }
}

impl PartialEq for Growing<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Growing<'_> {}

impl PartialOrd for Growing<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Growing<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl<'l> Grown<'_, 'l> {
    /// How many prefixes there are now.
    fn count(&self) -> usize {
        self.kept.len() + self.growing.len()
    }

    /// Adds the prefix of length `len` of the literals `range`.
    fn consider(&mut self, range: Range<usize>, len: usize) {
        let first: &'l [u8] = self.sorted.get(range.start).copied().unwrap_or_default();
        let prefix = cut(first, len);
        // A prefix grows when it is shorter than all of its literals (a literal that is the
        // prefix itself sorts first).
        if len < MAX_GROWN_PREFIX && first.len() > len {
            let children = groups(self.sorted, range, len + 1);
            self.growing.push(Growing {
                prefix,
                len,
                children,
            });
        } else {
            self.kept.push(prefix);
        }
    }
}

/// The first `len` bytes of `literal` (all of it when it is shorter).
fn cut(literal: &[u8], len: usize) -> &[u8] {
    literal.get(..len).unwrap_or(literal)
}

/// The runs of `range` in `sorted` (sorted literals) that have the same first `len` bytes.
fn groups(sorted: &[&[u8]], range: Range<usize>, len: usize) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut last: Option<&[u8]> = None;
    for i in range {
        let prefix = sorted.get(i).map(|l| cut(l, len));
        match out.last_mut() {
            Some(run) if prefix == last => run.end = i + 1,
            _ => out.push(i..i + 1),
        }
        last = prefix;
    }
    out
}

/// A [`Searcher::Prefixed`] for `literals`: the [`prefixes`] they start with, and the literals
/// sorted.
fn prefixed(literals: &[String], max_bytes: usize) -> Option<Searcher> {
    let texts = sorted(literals);
    let prefixes = prefixes(&texts)?;
    let starts = leftmost_longest(&prefixes)?;
    let mut sorted: Vec<Sorted> = texts
        .iter()
        .map(|&literal| Sorted {
            key: key(literal),
            literal: literal.into(),
            id: u32::MAX,
        })
        .collect();
    let mut text_of = Vec::with_capacity(literals.len());
    for (id, literal) in (0..).zip(literals) {
        let text = texts.binary_search(&literal.as_bytes()).ok()?;
        let first = sorted.get_mut(text)?;
        first.id = first.id.min(id);
        text_of.push(text as u32);
    }
    let starting_with = |root: &[u8]| {
        let from = sorted.partition_point(|l| *l.literal < *root);
        let to = sorted.partition_point(|l| *l.literal < *root || l.literal.starts_with(root));
        from..to
    };
    let runs = prefixes
        .iter()
        .map(|p| {
            let root = prefixes
                .iter()
                .filter(|q| p.starts_with(q))
                .min_by_key(|q| q.len());
            starting_with(root.copied().unwrap_or(p))
        })
        .collect();
    let searcher = Prefixed {
        starts,
        runs,
        sorted,
        text_of,
        dense: std::sync::OnceLock::new(),
        max_bytes,
    };
    (searcher.memory_usage() <= max_bytes).then(|| Searcher::Prefixed(Box::new(searcher)))
}

/// The overlapping Aho-Corasick automaton over `literals` (literal `i` is pattern `i`), of
/// `kind` (aho-corasick's choice for None), if it fits in `max_bytes`.
fn automaton(
    literals: &[&[u8]],
    kind: Option<AhoCorasickKind>,
    max_bytes: usize,
) -> Option<AhoCorasick> {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(kind)
        .build(literals)
        .ok()
        .filter(|a| a.memory_usage() <= max_bytes)
}

/// Each position where `searcher` finds a pattern (the longest there), searching on one byte
/// after each.
fn each_start<'a>(
    searcher: &'a packed::Searcher,
    text: &'a [u8],
) -> impl Iterator<Item = aho_corasick::Match> + 'a {
    let mut at = 0;
    std::iter::from_fn(move || {
        let m = (at < text.len()).then(|| searcher.find_in(text, Span::from(at..text.len())))??;
        at = m.start() + 1;
        Some(m)
    })
}

/// The packed searcher (Teddy) of `patterns`, leftmost-longest: at each position the longest
/// pattern that starts there; `None` when it cannot be built (too many patterns, no SIMD).
fn leftmost_longest<P: AsRef<[u8]>>(
    patterns: impl IntoIterator<Item = P>,
) -> Option<packed::Searcher> {
    packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostLongest)
        .builder()
        .extend(patterns)
        .build()
}

/// Teddy searches at most this many literals at once.
const TEDDY_LIMIT: usize = 64;
/// And at most this many when the shortest is one byte long.
const ONE_BYTE_TEDDY_LIMIT: usize = 16;

impl LiteralSet {
    /// True when the search runs on Teddy alone, at SIMD speed (at most 256 literals; the
    /// prefix search of more literals also looks among the literals wherever a prefix occurs).
    pub(crate) fn is_simd(&self) -> bool {
        matches!(self.searcher, Searcher::Packed(_))
    }
}

#[derive(Clone, Debug)]
enum Searcher {
    /// Chunks of at most [`TEDDY_LIMIT`] literals, each with the id of its first literal.
    Packed(Vec<(u32, packed::Searcher)>),
    /// Positions where some literal's prefix starts, and the literals sorted, looked among at
    /// each.
    Prefixed(Box<Prefixed>),
    Automaton(AhoCorasick),
}

/// What [`Searcher::Prefixed`] searches with.
#[derive(Clone, Debug)]
struct Prefixed {
    /// Finds the prefixes.
    starts: packed::Searcher,
    /// Prefix (a pattern of `starts`) → the run of `sorted` that holds every literal that can
    /// occur where the prefix does: those that start with the shortest prefix it starts with.
    runs: Vec<Range<usize>>,
    /// The literals, sorted, each once.
    sorted: Vec<Sorted>,
    /// Literal id → its text, an index of `sorted`.
    text_of: Vec<u32>,
    /// The automaton over the literals, built the first time a text
    /// makes the search look at more than [`DENSE_WORK_PER_BYTE`] bytes a byte; `None` when it
    /// would not fit what is left of the byte budget.
    dense: std::sync::OnceLock<Option<AhoCorasick>>,
    max_bytes: usize,
}

/// How many bytes the stops of the prefixed search may look at, a byte of text searched, before
/// the rest of the text goes to [`Prefixed::dense`] (ordinary text: 2 or 3 where every word is a
/// literal's)...
const DENSE_WORK_PER_BYTE: usize = 8;
/// ...plus this many, so that a short text never builds the automaton.
const DENSE_WORK_SLACK: usize = 4096;

/// A literal of [`Prefixed::sorted`].
#[derive(Clone, Debug)]
struct Sorted {
    /// Its first [`KEY_BYTES`] as one number ([`key`]): most comparisons compare these alone.
    key: u128,
    literal: Box<[u8]>,
    /// The id of one literal of this text (the first).
    id: u32,
}

const KEY_BYTES: usize = 16;

/// The first [`KEY_BYTES`] of `bytes`, big-endian, padded with zeros: where the keys of two byte
/// strings differ, they compare as the strings do (a string that ends first is padded with zeros
/// and sorts first as the shorter string does, unless the other has a zero byte there: then the
/// keys are equal).
fn key(bytes: &[u8]) -> u128 {
    if let Some(first) = bytes.first_chunk::<KEY_BYTES>() {
        return u128::from_be_bytes(*first);
    }
    let mut key = [0; KEY_BYTES];
    for (k, b) in key.iter_mut().zip(bytes) {
        *k = *b;
    }
    u128::from_be_bytes(key)
}

impl Prefixed {
    /// [`LiteralSet::each_found`] with this search; `prefixes` are the set's
    /// ([`prefix_literals`]). Not generic over `found`, so that the search is compiled once.
    fn each_found(
        &self,
        prefixes: &[Vec<u32>],
        text: &[u8],
        found: &mut dyn FnMut(u32, usize),
    ) -> bool {
        let mut any = false;
        // Bytes looked at per stop; over the budget (a text that repeats a long literal's
        // stem, where every position starts one), the rest of the text goes to an automaton,
        // which reads each byte once.
        let mut work = 0usize;
        for m in each_start(&self.starts, text) {
            let start = m.start();
            if work > DENSE_WORK_PER_BYTE * start + DENSE_WORK_SLACK {
                if let Some(dense) = self.automaton() {
                    // The automaton reports every literal itself, prefixes included.
                    let rest = Input::new(text).span(start..text.len());
                    for m in dense.find_overlapping_iter(rest) {
                        any = true;
                        found(m.pattern().as_u32(), m.start());
                    }
                    break;
                }
            }
            let rest = text.get(start..).unwrap_or_default();
            let Some((greatest, common)) = self.greatest_at(m.pattern().as_usize(), rest) else {
                continue;
            };
            // The literals that occur here are `greatest` and those it starts with, as
            // far as they fit into what it has in common with the text.
            let starts_with = prefixes.get(greatest as usize).map_or(&[][..], |s| s);
            work = work.saturating_add(KEY_BYTES + common + starts_with.len());
            for &id in std::iter::once(&greatest).chain(starts_with) {
                if self.len(id) <= common {
                    any = true;
                    found(id, start);
                }
            }
        }
        any
    }

    /// Where `prefix` starts `text`: the greatest literal that sorts before or at `text` among
    /// those that can occur there, and how many bytes it has in common with `text`. Every literal
    /// that starts `text` is it or one it starts with ([`LiteralSet::each_found`]).
    fn greatest_at(&self, prefix: usize, text: &[u8]) -> Option<(u32, usize)> {
        let run = self.sorted.get(self.runs.get(prefix)?.clone())?;
        let key = key(text);
        let before = run.partition_point(|l| match l.key.cmp(&key) {
            std::cmp::Ordering::Equal => *l.literal <= *text,
            order => order.is_lt(),
        });
        let greatest = run.get(before.checked_sub(1)?)?;
        let common = match (greatest.key ^ key).leading_zeros() as usize / 8 {
            KEY_BYTES => greatest
                .literal
                .iter()
                .zip(text)
                .take_while(|(a, b)| a == b)
                .count(),
            common => common,
        };
        Some((
            greatest.id,
            common.min(greatest.literal.len()).min(text.len()),
        ))
    }

    /// See [`Prefixed::dense`].
    fn automaton(&self) -> Option<&AhoCorasick> {
        self.dense
            .get_or_init(|| {
                let budget = self.max_bytes.saturating_sub(self.memory_usage());
                let literals: Vec<&[u8]> = self
                    .text_of
                    .iter()
                    .map(|&text| {
                        let text = self.sorted.get(text as usize);
                        text.map_or(&[][..], |l| &l.literal[..])
                    })
                    .collect();
                automaton(&literals, None, budget)
            })
            .as_ref()
    }

    /// The length of literal `id`.
    fn len(&self, id: u32) -> usize {
        let text = self.text_of.get(id as usize);
        text.and_then(|&t| self.sorted.get(t as usize))
            .map_or(usize::MAX, |l| l.literal.len())
    }

    fn memory_usage(&self) -> usize {
        let literals: usize = self.sorted.iter().map(|l| l.literal.len()).sum();
        self.starts.memory_usage()
            + literals
            + self.sorted.len() * size_of::<Sorted>()
            + self.runs.len() * size_of::<Range<usize>>()
            + self.text_of.len() * size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn found(literals: &[&str], text: &str) -> Vec<&'static str> {
        let owned: Vec<String> = literals.iter().map(|s| s.to_string()).collect();
        let set = LiteralSet::new(&owned, usize::MAX).unwrap();
        assert!(matches!(set.searcher, Searcher::Packed(_)));
        let mut ids = Vec::new();
        set.each_found(text.as_bytes(), |i, _| ids.push(i));
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|i| literals[i as usize].to_string().leak() as &str)
            .collect()
    }

    /// Every occurrence of every literal in `text`: (literal, start), sorted.
    fn occurrences(literals: &[String], text: &str) -> Vec<(u32, usize)> {
        let mut all: Vec<(u32, usize)> = (0..text.len())
            .filter(|&at| text.is_char_boundary(at))
            .flat_map(|at| {
                literals
                    .iter()
                    .enumerate()
                    .filter(move |(_, l)| text[at..].starts_with(l.as_str()))
                    .map(move |(i, _)| (i as u32, at))
            })
            .collect();
        all.sort_unstable();
        all
    }

    /// Each occurrence is reported with where it starts, by each kind of search (the prefilter
    /// reads the value after a key found this way).
    #[test]
    fn every_occurrence_is_reported_where_it_starts() {
        let literals: Vec<String> = ["\"eventName\"", "\"event", "Name", "ame\"", "é"]
            .map(String::from)
            .to_vec();
        let text = r#"{"eventName":"x","a":{"eventName":"é"},"eventNamé":1}"#;
        let want = occurrences(&literals, text);
        assert_eq!(want.iter().filter(|(i, _)| *i == 0).count(), 2);
        let packed = LiteralSet::new(&literals, usize::MAX).unwrap();
        assert!(matches!(packed.searcher, Searcher::Packed(_)));
        let automaton = LiteralSet {
            searcher: Searcher::Automaton(AhoCorasick::new(&literals).unwrap()),
            prefixes: prefix_literals(&literals),
        };
        let prefixed = LiteralSet {
            searcher: prefixed(&literals, usize::MAX).unwrap(),
            prefixes: prefix_literals(&literals),
        };
        for set in [packed, automaton, prefixed] {
            let mut got = Vec::new();
            set.each_found(text.as_bytes(), |i, start| got.push((i, start)));
            got.sort_unstable();
            got.dedup();
            assert_eq!(got, want, "{:?}", set.searcher);
        }
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
        assert_eq!(found(&["ab", "x", "ab", "a"], "zabz"), ["ab", "ab", "a"]);
    }

    #[test]
    fn more_literals_than_the_packed_searcher_takes() {
        let literals: Vec<String> = (0..300).map(|i| format!("lit{i:03}x")).collect();
        let chunked = LiteralSet::new(&literals[..200], usize::MAX).unwrap();
        assert!(matches!(&chunked.searcher, Searcher::Packed(c) if c.len() == 4));
        let mut ids = Vec::new();
        chunked.each_found(b"lit000x lit199x lit100x", |i, _| ids.push(i));
        ids.sort_unstable();
        assert_eq!(ids, [0, 100, 199]);
        let set = LiteralSet::new(&literals, usize::MAX).unwrap();
        assert!(matches!(set.searcher, Searcher::Prefixed(_)));
        let mut ids = Vec::new();
        set.each_found(b"a lit007x b lit299x", |i, _| ids.push(i));
        assert_eq!(ids, [7, 299]);
    }

    /// Every string of `a` and `b` of length 2 to 9 (1,020 literals, overlapping in every way),
    /// searched in texts of `a`, `b` and `c`: exactly the literals the text contains are found.
    #[test]
    fn prefixed_search_finds_what_contains_finds() {
        let mut literals: Vec<String> = Vec::new();
        for len in 2..=9u32 {
            for bits in 0..(1u32 << len) {
                let word = (0..len).map(|i| if bits >> i & 1 == 1 { 'b' } else { 'a' });
                literals.push(word.collect());
            }
        }
        let set = LiteralSet::new(&literals, usize::MAX).unwrap();
        assert!(matches!(set.searcher, Searcher::Prefixed(_)));
        let mut seed = 7u64;
        for n in 0..300 {
            let text: String = (0..n % 40)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    ['a', 'b', 'c', 'a', 'b'][(seed >> 33) as usize % 5]
                })
                .collect();
            let mut ids = Vec::new();
            set.each_found(text.as_bytes(), |i, start| ids.push((i, start)));
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids, occurrences(&literals, &text), "{text}");
        }
    }

    /// The prefixes grow one byte at a time while the searcher has room, the cheapest first;
    /// a prefix that is a whole literal stays.
    #[test]
    fn prefixes_grow_where_the_searcher_has_room() {
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let grown = |literals: &[String]| {
            let mut p: Vec<String> = prefixes(&sorted(literals))
                .unwrap()
                .into_iter()
                .map(|p| String::from_utf8(p.to_vec()).unwrap())
                .collect();
            p.sort();
            p
        };
        let few = owned(&[
            "AddUserToGroup",
            "AddRoleToInstanceProfile",
            "Get",
            "GetRole",
        ]);
        assert_eq!(grown(&few), ["AddRoleT", "AddUserT", "Get", "GetRole"]);
        // 60 names with one three-byte prefix, 10 with two others: cut to three bytes (70
        // four-byte prefixes are too many), then the ten grow; `Des` would cost 59 more.
        let mut many: Vec<String> = ('0'..='9')
            .chain('A'..='Z')
            .chain('a'..='x')
            .map(|c| format!("Des{c}Thing"))
            .collect();
        many.extend((0..10).map(|i| format!("{}{i}Verb", ["Add", "Det"][i % 2])));
        let p = grown(&many);
        assert_eq!(p.len(), 11, "{p:?}");
        assert!(p.contains(&"Des".to_string()), "{p:?}");
        assert!(p.contains(&"Add0Verb".to_string()), "{p:?}");
        for l in &many {
            assert!(p.iter().any(|p| l.starts_with(p.as_str())), "{l}");
        }
        // Past the searcher's room at every cut.
        let distinct: Vec<String> = (0..=TEDDY_LIMIT).map(|i| format!("{i:02}")).collect();
        assert!(prefixes(&sorted(&distinct)).is_none());
    }

    /// Hundreds of literals over few prefixes: nested, overlapping, sharing a start, shorter
    /// than the prefixes, and at the ends of the text, all found where they occur.
    #[test]
    fn many_literals_are_found_through_their_prefixes() {
        let mut literals: Vec<String> = (0..400).map(|i| format!("Get{i}x")).collect();
        literals.extend(["Ge", "Get1", "t1", "xG", "é", "éé", "Geté"].map(String::from));
        let set = LiteralSet::new(&literals, usize::MAX).unwrap();
        assert!(matches!(set.searcher, Searcher::Prefixed(_)));
        let id = |l: &str| literals.iter().position(|x| x == l).unwrap() as u32;
        for (text, want) in [
            ("Get1x", vec!["Ge", "Get1", "Get1x", "t1"]),
            (
                "Get10xGet399x",
                vec!["Ge", "Get1", "Get10x", "Get399x", "t1", "xG"],
            ),
            ("aééGeté", vec!["Ge", "Geté", "é", "éé"]),
            ("zzz", vec![]),
            ("", vec![]),
        ] {
            let mut ids = Vec::new();
            let any = set.each_found(text.as_bytes(), |i, _| ids.push(i));
            ids.sort_unstable();
            ids.dedup();
            let mut want: Vec<u32> = want.into_iter().map(id).collect();
            want.sort_unstable();
            assert_eq!(ids, want, "{text}");
            assert_eq!(any, !want.is_empty(), "{text}");
        }
    }

    // ---- property tests of the search through prefixes (more literals than the packed
    // searcher takes at once)

    /// All literals cut to one length (the prefixes before they grew).
    fn uniform(literals: &[String]) -> Option<Vec<&[u8]>> {
        let sorted = sorted(literals);
        let len = first_cut(&sorted)?;
        let runs = groups(&sorted, 0..sorted.len(), len);
        Some(runs.iter().map(|r| cut(sorted[r.start], len)).collect())
    }

    fn teddy(prefixes: &[&[u8]]) -> bool {
        leftmost_longest(prefixes).is_some()
    }

    /// Letters of one, two and three bytes, and one the literals never use.
    const LETTERS: [&str; 8] = ["a", "b", "c", "A", "é", "€", "-", "x"];

    fn word(letters: usize, len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
        proptest::collection::vec(0..letters, len)
            .prop_map(|cs| cs.into_iter().map(|c| LETTERS[c]).collect())
    }

    /// 257 to 420 literals over a few letters (so that their prefixes collide), of 2 to 12
    /// letters, with a few of 1 to 3 letters and a duplicate; every other one may start with
    /// a stem of up to 24 bytes, `a` and NUL, so that literals share more than their first
    /// [`KEY_BYTES`] bytes and hold zero bytes.
    fn literal_set() -> impl Strategy<Value = Vec<String>> {
        (2usize..=7).prop_flat_map(|letters| {
            (
                proptest::collection::vec(word(letters, 2..=12), 257..420),
                proptest::collection::vec(word(letters, 1..=3), 0..3),
                proptest::collection::vec(prop_oneof!["a", "\0"], 0..=24),
            )
                .prop_map(|(mut literals, short, stem)| {
                    let stem = stem.concat();
                    for literal in literals.iter_mut().step_by(2) {
                        literal.insert_str(0, &stem);
                    }
                    literals.extend(short);
                    literals.extend(literals.first().cloned());
                    literals
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Exactly the occurrences a naive search finds, on random texts and texts that
        /// contain literals.
        #[test]
        fn each_found_finds_every_occurrence(
            literals in literal_set(),
            texts in proptest::collection::vec(
                (
                    proptest::collection::vec(0..LETTERS.len(), 0..120),
                    proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
                ),
                1..6,
            ),
        ) {
            let set = LiteralSet::new(&literals, usize::MAX).unwrap();
            for (letters, picks) in texts {
                let mut text: String = letters.into_iter().map(|c| LETTERS[c]).collect();
                for p in picks {
                    text.push_str(p.get::<String>(&literals));
                    text.push('x');
                }
                let mut got = Vec::new();
                let any = set.each_found(text.as_bytes(), |i, start| got.push((i, start)));
                got.sort_unstable();
                got.dedup();
                let want = occurrences(&literals, &text);
                prop_assert_eq!(any, !want.is_empty());
                prop_assert_eq!(got, want, "{:?}", text);
            }
        }

        /// Every literal starts with a prefix; there are at most TEDDY_LIMIT, all distinct,
        /// the same whatever the literals' order; and they build Teddy where the uniform cut
        /// did.
        #[test]
        fn prefixes_cover_the_literals_and_fit(literals in literal_set()) {
            let Some(p) = prefixes(&sorted(&literals)) else {
                prop_assert!(uniform(&literals).is_none());
                return Ok(());
            };
            prop_assert!(p.len() <= TEDDY_LIMIT, "{} prefixes", p.len());
            let mut distinct = p.clone();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert_eq!(distinct.len(), p.len());
            for l in &literals {
                prop_assert!(p.iter().any(|q| l.as_bytes().starts_with(q)), "{:?}", l);
            }
            let mut reversed = literals.clone();
            reversed.reverse();
            prop_assert_eq!(prefixes(&sorted(&reversed)), Some(p.clone()));
            if uniform(&literals).is_some_and(|u| teddy(&u)) {
                prop_assert!(teddy(&p), "{} prefixes build no Teddy", p.len());
            }
        }
    }

    /// A text that repeats a long literal's stem starts one at every position: past the work
    /// budget the search goes on with the automaton, and finds what a naive search finds.
    #[test]
    fn a_dense_text_goes_on_with_the_automaton() {
        let stem = "a".repeat(100);
        let mut literals: Vec<String> = (0..300).map(|i| format!("{stem}{i:03}")).collect();
        literals.extend([format!("{stem}007"), stem.clone()]);
        let set = LiteralSet::new(&literals, usize::MAX).unwrap();
        let Searcher::Prefixed(p) = &set.searcher else {
            panic!("{:?}", set.searcher);
        };
        let text = format!("{}007{stem}299", "a".repeat(20_000));
        let mut got = Vec::new();
        set.each_found(text.as_bytes(), |i, start| got.push((i, start)));
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, occurrences(&literals, &text));
        assert!(p.dense.get().is_some_and(Option::is_some));
    }

    /// A one-byte literal makes Teddy's masks one byte long, and aho-corasick builds no Teddy
    /// for those over more than 16 patterns: the prefixes must not grow past 16 then (320
    /// literals under `Desc` and `a`: 2 prefixes cut uniformly, 62 grown).
    #[test]
    fn a_one_byte_literal_keeps_the_prefixes_few() {
        let mut literals: Vec<String> = Vec::new();
        for c in ('A'..='Z').chain('a'..='n') {
            for i in 0..8 {
                literals.push(format!("Desc{c}{i}Thing"));
            }
        }
        literals.push("a".into());
        assert!(teddy(&uniform(&literals).unwrap()));
        assert!(teddy(&prefixes(&sorted(&literals)).unwrap()));
        let set = LiteralSet::new(&literals, usize::MAX).unwrap();
        assert!(matches!(set.searcher, Searcher::Prefixed(_)));
    }
}
