//! Sets of minutes: the minutes that had records, the minutes a filter matched in (for its
//! default value). A scan over a year of records holds half a million of them; as a compressed
//! bitmap (roaring) a year of minutes takes some 70 KB, where a hash set takes 4 to 9 MB, and
//! minutes far apart take about two bytes each.

use roaring::RoaringTreemap;
use serde::{Deserialize, Deserializer, de::Error as _};

use crate::time::{MINUTE_MS, minute_floor};

/// A set of minutes, each given as its first instant in milliseconds since the epoch (what
/// [`time::minute_floor`](crate::time::minute_floor) gives, `i64::MIN` included).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Minutes(RoaringTreemap);

/// The bitmap's number of a minute: its index from the epoch, its sign bit flipped so that the
/// numbers keep the minutes' order. `i64::MIN` (where `minute_floor` saturates) has the index of
/// the minute before it, which no other instant has.
fn number(minute: i64) -> u64 {
    debug_assert!(minute % MINUTE_MS == 0 || minute == i64::MIN);
    (minute.div_euclid(MINUTE_MS) as u64) ^ (1 << 63)
}

/// The minute of a bitmap's [`number`].
fn minute(number: u64) -> i64 {
    ((number ^ (1 << 63)) as i64).saturating_mul(MINUTE_MS)
}

impl Minutes {
    /// Adds `minute`; whether it was not in the set. (Records come mostly in time order: a
    /// minute after the last one is appended without a search.)
    pub(crate) fn insert(&mut self, minute: i64) -> bool {
        let n = number(minute);
        self.0.push(n) || self.0.insert(n)
    }

    pub(crate) fn contains(&self, minute: i64) -> bool {
        self.0.contains(number(minute))
    }

    /// Adds every minute of `other`: one by one when they are few beside these (a batch's
    /// minutes added to a scan's: the union of two sorted arrays of minutes rebuilds this set's
    /// array whole, while a minute inserted lands mostly at its end), else as a union.
    pub(crate) fn extend(&mut self, other: &Minutes) {
        if other.0.len().saturating_mul(16) < self.0.len() {
            for n in &other.0 {
                self.0.insert(n);
            }
        } else {
            self.0 |= &other.0;
        }
    }

    /// The minutes, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.iter().map(minute)
    }

    /// The minutes not in `other`, in order.
    pub(crate) fn without(&self, other: &Minutes) -> Vec<i64> {
        (&self.0 - &other.0).iter().map(minute).collect()
    }

    /// Keeps the minutes `keep` is true of.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(i64) -> bool) {
        let dropped: Vec<u64> = self.0.iter().filter(|&n| !keep(minute(n))).collect();
        for n in dropped {
            self.0.remove(n);
        }
    }
}

/// Reads a list of minutes a scan wrote (a tally's, a follow state's), each of which must be a
/// minute as [`Minutes`] holds them: another number is an error naming it, where the reader is.
pub(crate) fn deserialize_minutes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<i64>, D::Error> {
    let minutes = Vec::<i64>::deserialize(deserializer)?;
    check(&minutes).map_err(D::Error::custom)?;
    Ok(minutes)
}

/// [`deserialize_minutes`] of each list of a list (one per metric filter, `null` for those with
/// no default value).
pub(crate) fn deserialize_minute_lists<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Option<Vec<i64>>>, D::Error> {
    let lists = Vec::<Option<Vec<i64>>>::deserialize(deserializer)?;
    for list in lists.iter().flatten() {
        check(list).map_err(D::Error::custom)?;
    }
    Ok(lists)
}

/// Every number of `minutes` is the first millisecond of its minute (or `i64::MIN`, where
/// [`minute_floor`] saturates).
fn check(minutes: &[i64]) -> Result<(), String> {
    match minutes.iter().find(|&&m| minute_floor(m) != m) {
        Some(m) => Err(format!(
            "{m} is not a minute (the first millisecond of one, a multiple of 60000)"
        )),
        None => Ok(()),
    }
}

impl FromIterator<i64> for Minutes {
    fn from_iter<I: IntoIterator<Item = i64>>(minutes: I) -> Minutes {
        let mut set = Minutes::default();
        for m in minutes {
            set.insert(m);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every minute `minute_floor` can give, the extreme ones included, comes back as it went
    /// in and in order; set operations agree with a `BTreeSet`'s.
    #[test]
    fn minutes_come_back_exactly_and_in_order() {
        let instants = [
            i64::MIN,
            i64::MIN + 1,
            i64::MIN + MINUTE_MS,
            i64::MIN + 2 * MINUTE_MS + 17,
            -62_135_596_800_000,
            -MINUTE_MS - 1,
            -1,
            0,
            1,
            59_999,
            60_000,
            1_709_251_200_000,
            1_709_251_260_001,
            253_402_300_799_999,
            i64::MAX - MINUTE_MS,
            i64::MAX,
        ];
        let floors: BTreeSet<i64> = instants.iter().map(|&t| minute_floor(t)).collect();
        let set: Minutes = floors.iter().copied().collect();
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            Vec::from_iter(floors.clone())
        );
        for &m in &floors {
            assert!(set.contains(m), "{m}");
        }
        assert!(!set.contains(120_000));
        let mut odd: Minutes = floors.iter().copied().step_by(2).collect();
        let rest: Vec<i64> = floors.iter().copied().skip(1).step_by(2).collect();
        assert_eq!(set.without(&odd), rest);
        odd.extend(&set);
        assert_eq!(odd, set);
        let mut early = set.clone();
        early.retain(|m| m <= 0);
        let want: Vec<i64> = floors.iter().copied().filter(|&m| m <= 0).collect();
        assert_eq!(early.iter().collect::<Vec<_>>(), want);
        let mut fresh = Minutes::default();
        assert!(fresh.insert(i64::MIN));
        assert!(!fresh.insert(i64::MIN));
        assert!(!fresh.contains(minute_floor(i64::MIN + MINUTE_MS)));
    }

    /// A list of minutes read from a file holds minutes only: another number is refused by
    /// name, `i64::MIN` is one.
    #[test]
    fn lists_read_hold_minutes_only() {
        #[derive(serde::Deserialize)]
        struct Saved {
            #[serde(deserialize_with = "deserialize_minutes")]
            minutes: Vec<i64>,
            #[serde(deserialize_with = "deserialize_minute_lists")]
            lists: Vec<Option<Vec<i64>>>,
        }
        let read = |text: &str| serde_json::from_str::<Saved>(text).map(|s| (s.minutes, s.lists));
        let good = format!(
            r#"{{"minutes": [{}, 0, 120000], "lists": [null, [-60000]]}}"#,
            i64::MIN
        );
        assert_eq!(
            read(&good).unwrap(),
            (vec![i64::MIN, 0, 120_000], vec![None, Some(vec![-60_000])])
        );
        let error = read(r#"{"minutes": [60000, 60001], "lists": []}"#).unwrap_err();
        assert!(
            error.to_string().starts_with("60001 is not a minute"),
            "{error}"
        );
        let error = read(r#"{"minutes": [], "lists": [null, [7]]}"#).unwrap_err();
        assert!(
            error.to_string().starts_with("7 is not a minute"),
            "{error}"
        );
        assert!(error.line() == 1 && error.column() > 0, "{error}");
    }

    proptest::proptest! {
        /// Minutes of any instants, near the ends of `i64` too, behave as a `BTreeSet` of them:
        /// the same members in the same order, the same difference, union (of many, and of a
        /// few beside many) and retain.
        #[test]
        fn minutes_behave_as_a_set_of_them(
            a in proptest::collection::vec(instant(), 0..60),
            b in proptest::collection::vec(instant(), 0..60),
            few in proptest::collection::vec(instant(), 0..4),
            cut in instant(),
        ) {
            let floors = |v: &[i64]| -> BTreeSet<i64> { v.iter().map(|&t| minute_floor(t)).collect() };
            let (fa, fb) = (floors(&a), floors(&b));
            let (mut sa, sb): (Minutes, Minutes) =
                (fa.iter().copied().collect(), fb.iter().copied().collect());
            proptest::prop_assert_eq!(sa.iter().collect::<Vec<_>>(), Vec::from_iter(fa.clone()));
            proptest::prop_assert_eq!(sa.without(&sb), Vec::from_iter(fa.difference(&fb).copied()));
            for &m in fa.iter().chain(&fb) {
                proptest::prop_assert_eq!(sa.contains(m), fa.contains(&m));
            }
            sa.extend(&sb);
            let union: BTreeSet<i64> = fa.union(&fb).copied().collect();
            proptest::prop_assert_eq!(sa.iter().collect::<Vec<_>>(), Vec::from_iter(union.clone()));
            // A few minutes beside many are inserted one by one.
            let few = floors(&few);
            sa.extend(&few.iter().copied().collect());
            let union: BTreeSet<i64> = union.union(&few).copied().collect();
            proptest::prop_assert_eq!(sa.iter().collect::<Vec<_>>(), Vec::from_iter(union.clone()));
            sa.retain(|m| m >= cut);
            let kept: Vec<i64> = union.into_iter().filter(|&m| m >= cut).collect();
            proptest::prop_assert_eq!(sa.iter().collect::<Vec<_>>(), kept);
        }
    }

    /// Instants anywhere in `i64`, a quarter of them within a few minutes of either end and a
    /// quarter around the epoch.
    fn instant() -> impl proptest::strategy::Strategy<Value = i64> {
        use proptest::prelude::*;
        prop_oneof![
            any::<i64>(),
            (0..600_000i64).prop_map(|d| i64::MIN + d),
            (0..600_000i64).prop_map(|d| i64::MAX - d),
            -600_000..600_000i64,
        ]
    }
}
