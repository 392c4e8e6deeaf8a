//! The `same-matches` sets only say what the number of patterns costs if they match what the
//! small set matches: checked here on the events the benches generate.

use trailmatch::PatternSet;
use trailmatch_benches::generate::CloudTrail;
use trailmatch_benches::sets;

/// The seed of `match.rs` and `match-loop`.
const SEED: u64 = 20_240_801;

/// Per event, the patterns of `patterns` that match it.
fn answers(patterns: &[String], events: &[String]) -> Vec<Vec<usize>> {
    let set = PatternSet::new(patterns).unwrap();
    events.iter().map(|e| set.matches(e)).collect()
}

#[test]
fn exact_same_matches_adds_patterns_that_match_nothing() {
    let events = CloudTrail::new(SEED).events(1000);
    let small = sets::exact(10);
    let same = sets::exact_same_matches(10_000);
    assert_eq!(same.len(), 10_000);
    assert_eq!(&same[..10], &small[..]);
    let distinct: std::collections::HashSet<&String> = same.iter().collect();
    assert_eq!(distinct.len(), same.len(), "a pattern is repeated");
    let expected = answers(&small, &events);
    assert_eq!(answers(&same, &events), expected);
    let matched = expected.iter().filter(|a| !a.is_empty()).count();
    assert!((150..350).contains(&matched), "{matched} of 1000 events");
    // Where the whole set `exact(10_000)` matches every event.
    let full = answers(&sets::exact(10_000), &events);
    assert!(full.iter().all(|a| !a.is_empty()));
}

#[test]
fn same_matches_sets_have_as_many_patterns_as_asked() {
    for n in [0, 1, 9, 10, 11, 100] {
        assert_eq!(sets::exact_same_matches(n).len(), n);
        assert_eq!(sets::terms_same_matches(n).len(), n);
    }
}

#[test]
fn terms_same_matches_adds_patterns_that_nearly_never_match() {
    let events = CloudTrail::new(SEED).events(1000);
    let small = sets::terms(10);
    let same = sets::terms_same_matches(1000);
    assert_eq!(same.len(), 1000);
    assert_eq!(&same[..10], &small[..]);
    let expected = answers(&small, &events);
    let got = answers(&same, &events);
    let count = |a: &[Vec<usize>]| a.iter().map(Vec::len).sum::<usize>();
    // The first ten patterns answer as in `terms(10)`; the 990 others add a few matches (a
    // made-up name inside some event's text), against thousands more for `terms(1000)`.
    for (g, e) in got.iter().zip(&expected) {
        let first: Vec<usize> = g.iter().copied().filter(|&p| p < 10).collect();
        assert_eq!(&first, e);
    }
    let extra = count(&got) - count(&expected);
    let full = count(&answers(&sets::terms(1000), &events));
    assert!(
        extra * 20 < count(&expected),
        "{extra} more matches than terms(10)'s {}",
        count(&expected)
    );
    assert!(full > 5 * count(&expected), "terms(1000): {full}");
}
