//! How many records name each value of a field (`recipientAccountId`, `awsRegion`), for the
//! value most records name: the account and Region a scan's notifications and report name.

use std::collections::{BTreeMap, HashMap};

use crate::LogHasher;

/// The votes of one field. A value of twelve digits (an account id: the accounts of an
/// organization's trail may number hundreds of thousands, and a scan counts every one) is kept
/// as a number packed with its count into one word, a ninth of the memory of a string, its
/// allocation and its count.
#[derive(Clone, Debug, Default)]
pub(crate) struct Votes {
    digits: Digits,
    other: HashMap<Box<str>, u64, LogHasher>,
}

impl Votes {
    /// Twelve ASCII digits, as a number (they print back with `{:012}`).
    fn digits(key: &str) -> Option<u64> {
        if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) {
            key.parse().ok()
        } else {
            None
        }
    }

    /// Adds `n` records naming `key`.
    pub(crate) fn add(&mut self, key: &str, n: u64) {
        match Votes::digits(key) {
            Some(number) => self.digits.add(number, n),
            None => {
                let count = match self.other.get_mut(key) {
                    Some(count) => count,
                    None => self.other.entry(key.into()).or_insert(0),
                };
                *count = count.saturating_add(n);
            }
        }
    }

    /// Adds `other`'s records (its keys are moved, not copied).
    pub(crate) fn absorb(&mut self, other: Votes) {
        self.digits.absorb(other.digits);
        for (key, n) in other.other {
            let count = self.other.entry(key).or_insert(0);
            *count = count.saturating_add(n);
        }
    }

    /// The value most records name (the first in order on a tie).
    pub(crate) fn most(&self) -> Option<String> {
        // Twelve-digit values compare as their numbers do.
        let mut digits: Option<(u64, u64)> = None;
        for (number, n) in self.digits.iter() {
            if digits.is_none_or(|(k, m)| n > m || (n == m && number < k)) {
                digits = Some((number, n));
            }
        }
        let mut best: Option<(String, u64)> = digits.map(|(k, n)| (format!("{k:012}"), n));
        for (key, &n) in &self.other {
            if best
                .as_ref()
                .is_none_or(|(k, m)| n > *m || (n == *m && **key < **k))
            {
                best = Some((key.to_string(), n));
            }
        }
        best.map(|(k, _)| k)
    }

    /// Every value with its count, in order.
    pub(crate) fn to_map(&self) -> BTreeMap<String, u64> {
        let digits = self.digits.iter().map(|(k, n)| (format!("{k:012}"), n));
        let other = self.other.iter().map(|(k, n)| (k.to_string(), *n));
        digits.chain(other).collect()
    }

    /// The votes of [`Votes::to_map`]'s map.
    pub(crate) fn from_map(map: BTreeMap<String, u64>) -> Votes {
        let mut votes = Votes::default();
        for (key, n) in map {
            votes.add(&key, n);
        }
        votes
    }
}

/// Numbers below 2<sup>40</sup> (twelve digits: below 10<sup>12</sup>) and how many records
/// named each: one word each, `number << COUNT_BITS | count`, in a vector sorted by number (8
/// bytes a number: a hash table took 9 a slot at up to 7/8 full, and twice that, old table and
/// new, while it doubled: the peak of a scan of a million accounts). Numbers come in through a
/// short unsorted list, where a run of one number (records come in runs of one account) is one
/// entry, and the list is sorted and merged into the vector in place when it fills. A count
/// stops at [`COUNT_MAX`] in its word and goes on in `beyond`.
#[derive(Clone, Debug, Default)]
struct Digits {
    /// Words in the order of their numbers, each number once.
    sorted: Vec<u64>,
    /// Numbers and counts not yet in `sorted`, in the order they came.
    pending: Vec<(u64, u64)>,
    beyond: HashMap<u64, u64, LogHasher>,
}

const COUNT_BITS: u32 = 24;
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;
/// The pending list is merged once it holds this many numbers, or an eighth of the sorted
/// ones if more (a merge may move the whole vector); in tests after a few, so that the tests'
/// few votes are merged many times.
const PENDING_MIN: usize = if cfg!(test) { 3 } else { 4096 };

impl Digits {
    /// Adds `n` records naming `number` (below 2<sup>40</sup>).
    fn add(&mut self, number: u64, n: u64) {
        debug_assert!(number < 1 << (64 - COUNT_BITS));
        if let Some(last) = self.pending.last_mut().filter(|last| last.0 == number) {
            last.1 = last.1.saturating_add(n);
            return;
        }
        self.pending.push((number, n));
        self.merge_if_full();
    }

    /// Adds `other`'s counts: its pending numbers join these unsorted (a batch's votes are
    /// sorted once, where they are merged).
    fn absorb(&mut self, mut other: Digits) {
        if other.sorted.is_empty() {
            // Nothing was merged there (so nothing went beyond a word either).
            self.pending.append(&mut other.pending);
        } else {
            self.pending.extend(other.iter());
        }
        self.merge_if_full();
    }

    fn merge_if_full(&mut self) {
        if self.pending.len() >= PENDING_MIN.max(self.sorted.len() / 8) {
            self.merge();
        }
    }

    /// Adds `n` to the count of `word`'s number.
    fn add_to_word(beyond: &mut HashMap<u64, u64, LogHasher>, word: &mut u64, n: u64) {
        let number = *word >> COUNT_BITS;
        let count = (*word & COUNT_MAX).saturating_add(n);
        *word = number << COUNT_BITS | count.min(COUNT_MAX);
        if let Some(more) = count.checked_sub(COUNT_MAX).filter(|&more| more > 0) {
            let beyond = beyond.entry(number).or_insert(0);
            *beyond = beyond.saturating_add(more);
        }
    }

    /// Sorts the pending numbers into `sorted`: one walk over both lists adds the counts of the
    /// numbers already there, one walk from the back merges the others in place (both in order
    /// through memory; a pending list holds at least an eighth as many numbers as the vector,
    /// or 4,096).
    fn merge(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        coalesce(&mut pending);
        let mut new = Vec::with_capacity(pending.len());
        let mut i = 0;
        for (number, n) in pending.drain(..) {
            while self
                .sorted
                .get(i)
                .is_some_and(|&w| w >> COUNT_BITS < number)
            {
                i += 1;
            }
            match self.sorted.get_mut(i) {
                Some(word) if *word >> COUNT_BITS == number => {
                    Digits::add_to_word(&mut self.beyond, word, n);
                }
                _ => {
                    let mut word = number << COUNT_BITS;
                    Digits::add_to_word(&mut self.beyond, &mut word, n);
                    new.push(word);
                }
            }
        }
        self.pending = pending;
        if new.is_empty() {
            return;
        }
        // The numbers differ, so words compare as their numbers do.
        let mut old = self.sorted.len();
        self.sorted.resize(old + new.len(), 0);
        let mut at = self.sorted.len();
        while let Some(&word) = new.last() {
            at -= 1;
            let before = old.checked_sub(1).and_then(|j| self.sorted.get(j).copied());
            let take = match before {
                Some(mine) if mine > word => {
                    old -= 1;
                    mine
                }
                _ => {
                    new.pop();
                    word
                }
            };
            if let Some(slot) = self.sorted.get_mut(at) {
                *slot = take;
            }
        }
    }

    /// Each number and how many records named it, in the order of the numbers.
    fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let mut pending = self.pending.clone();
        coalesce(&mut pending);
        let mut pending = pending.into_iter().peekable();
        let mut sorted = self.sorted.iter().peekable();
        std::iter::from_fn(move || {
            let from_sorted = |word: u64| {
                let number = word >> COUNT_BITS;
                let mut count = word & COUNT_MAX;
                if count == COUNT_MAX {
                    // Only a full word has more beside it.
                    let beyond = self.beyond.get(&number).copied().unwrap_or(0);
                    count = count.saturating_add(beyond);
                }
                (number, count)
            };
            match (sorted.peek(), pending.peek()) {
                (Some(&&word), Some(&(number, n))) => {
                    let here = word >> COUNT_BITS;
                    if here < number {
                        sorted.next();
                        Some(from_sorted(word))
                    } else if here > number {
                        pending.next()
                    } else {
                        sorted.next();
                        pending.next();
                        let (number, count) = from_sorted(word);
                        Some((number, count.saturating_add(n)))
                    }
                }
                (Some(&&word), None) => {
                    sorted.next();
                    Some(from_sorted(word))
                }
                (None, _) => pending.next(),
            }
        })
    }
}

/// Sorts numbers and counts by number, each number once with its counts added.
fn coalesce(pending: &mut Vec<(u64, u64)>) {
    pending.sort_unstable_by_key(|&(number, _)| number);
    pending.dedup_by(|(number, n), (kept, total)| {
        let same = number == kept;
        if same {
            *total = total.saturating_add(*n);
        }
        same
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twelve-digit values are kept as numbers and come back as written (leading zeros
    /// included); the most named value and the tie-break (the first in order) are those of the
    /// strings, whichever map holds them.
    #[test]
    fn votes_count_and_order_values_as_strings() {
        let mut votes = Votes::default();
        for (key, n) in [
            ("017622104382", 2),
            ("123456789012", 1),
            ("us-east-1", 2),
            ("0176221043820", 2),
            ("01762210438", 1),
            ("12345678901x", 1),
        ] {
            votes.add(key, n);
        }
        // "017622104382" < "0176221043820" < "us-east-1": all named twice.
        assert_eq!(votes.most().as_deref(), Some("017622104382"));
        votes.add("0176221043820", 0);
        let mut other = Votes::default();
        other.add("123456789012", 2);
        votes.absorb(other);
        assert_eq!(votes.most().as_deref(), Some("123456789012"));
        let map = votes.to_map();
        assert_eq!(
            map.iter()
                .map(|(k, n)| (k.as_str(), *n))
                .collect::<Vec<_>>(),
            [
                ("01762210438", 1),
                ("017622104382", 2),
                ("0176221043820", 2),
                ("123456789012", 3),
                ("12345678901x", 1),
                ("us-east-1", 2),
            ]
        );
        assert_eq!(Votes::from_map(map.clone()).to_map(), map);
        assert_eq!(votes.digits.iter().count(), 2);
        assert_eq!(Votes::default().most(), None);
        let mut tie = Votes::default();
        tie.add("1", 2);
        tie.add("017622104382", 2);
        assert_eq!(tie.most().as_deref(), Some("017622104382"));
        tie.add("0", 2);
        assert_eq!(tie.most().as_deref(), Some("0"));
    }

    /// A count past what its word holds goes on beside it, exactly, for the largest number of
    /// twelve digits too; counts saturate at `u64::MAX` as they did in a map.
    #[test]
    fn counts_past_a_word_go_on_exactly() {
        let mut votes = Votes::default();
        votes.add("999999999999", COUNT_MAX - 1);
        votes.add("999999999999", 1);
        assert!(votes.digits.beyond.is_empty());
        votes.add("999999999999", 5);
        votes.add("000000000000", COUNT_MAX + 7);
        votes.add("123456789012", COUNT_MAX + 1);
        let mut other = Votes::default();
        other.add("999999999999", COUNT_MAX * 3);
        votes.absorb(other);
        let map = votes.to_map();
        assert_eq!(map["999999999999"], COUNT_MAX * 4 + 5);
        assert_eq!(map["000000000000"], COUNT_MAX + 7);
        assert_eq!(map["123456789012"], COUNT_MAX + 1);
        assert_eq!(votes.most().as_deref(), Some("999999999999"));
        votes.add("000000000000", u64::MAX);
        votes.add("000000000000", 1);
        assert_eq!(votes.to_map()["000000000000"], u64::MAX);
        assert_eq!(Votes::from_map(votes.to_map()).to_map(), votes.to_map());
    }

    proptest::proptest! {
        /// Votes added in any order and split between two tallies merged, with counts near a
        /// word's limit and near `u64::MAX`, count as a map of strings does (saturating).
        #[test]
        fn votes_count_as_a_map_of_strings(
            adds in proptest::collection::vec((key(), count()), 0..40),
            split in 0usize..40,
        ) {
            let mut expected: BTreeMap<String, u64> = BTreeMap::new();
            let (mut a, mut b) = (Votes::default(), Votes::default());
            for (i, (key, n)) in adds.iter().enumerate() {
                let total = expected.entry(key.clone()).or_insert(0);
                *total = total.saturating_add(*n);
                if i < split { a.add(key, *n) } else { b.add(key, *n) }
            }
            a.absorb(b);
            proptest::prop_assert_eq!(a.to_map(), expected.clone());
            let most = expected
                .iter()
                .max_by(|x, y| x.1.cmp(y.1).then_with(|| y.0.cmp(x.0)))
                .map(|(k, _)| k.clone());
            proptest::prop_assert_eq!(a.most(), most);
        }
    }

    /// A few keys (so that they repeat): twelve digits, the extremes among them, and others.
    fn key() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            Just("000000000000".to_owned()),
            Just("999999999999".to_owned()),
            (0u64..4).prop_map(|i| format!("{:012}", i * 123_456_789)),
            Just("us-east-1".to_owned()),
            Just("12345678901".to_owned()),
        ]
    }

    fn count() -> impl proptest::strategy::Strategy<Value = u64> {
        use proptest::prelude::*;
        prop_oneof![
            0u64..5,
            (COUNT_MAX - 3)..(COUNT_MAX + 3),
            (u64::MAX - 3)..=u64::MAX,
        ]
    }

    /// Many numbers, each named a different number of times, count as a map of strings does.
    #[test]
    fn many_numbers_count_as_strings_do() {
        let mut votes = Votes::default();
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for i in 0..20_000u64 {
            let key = format!("{:012}", i.wrapping_mul(0x9E37_79B9) % 1_000_000_000_000);
            let n = i % 7;
            votes.add(&key, n);
            *expected.entry(key).or_insert(0) += n;
        }
        assert_eq!(votes.to_map(), expected);
    }
}
