//! The `quamina` baselines are only fair if they answer the same question: on the bench events,
//! the EventBridge translations must select exactly the events the filter patterns select.

use std::collections::BTreeSet;

use quamina::{Quamina, QuaminaBuilder};
use trailmatch::PatternSet;
use trailmatch_benches::generate::CloudTrail;
use trailmatch_benches::{cis_patterns, cloudtrail_events, sets};

fn events() -> Vec<String> {
    let mut events = CloudTrail::new(1).events(1000);
    events.extend(cloudtrail_events().iter().map(|e| e.to_string()));
    events
}

/// Per event, the indices each side matches; asserts they agree and returns how many matched.
fn agree(set: &PatternSet, quamina: &Quamina<usize>, events: &[String]) -> usize {
    let mut matched = 0;
    for event in events {
        let ours: BTreeSet<usize> = set.matches(event).into_iter().collect();
        let theirs: BTreeSet<usize> = quamina
            .matches_for_event(event.as_bytes())
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(ours, theirs, "event {event}");
        matched += usize::from(!ours.is_empty());
    }
    matched
}

fn quamina_of(patterns: impl IntoIterator<Item = (usize, String)>) -> Quamina<usize> {
    // The default budget (10 MB per field automaton) is too small for 10,000 event names.
    let mut q: Quamina<usize> = QuaminaBuilder::new()
        .with_arena_byte_budget(1 << 30)
        .build()
        .expect("a quamina");
    for (i, p) in patterns {
        q.add_pattern(i, &p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    q
}

#[test]
fn cis_translations_agree() {
    let set = PatternSet::new(cis_patterns()).unwrap();
    let q = quamina_of(sets::cis_eventbridge());
    let matched = agree(&set, &q, &events());
    assert!(matched > 20, "{matched} events matched");
}

#[test]
fn the_selective_filter_translation_agrees() {
    let set = PatternSet::new([sets::SELECTIVE]).unwrap();
    let q = quamina_of(sets::selective_eventbridge());
    let matched = agree(&set, &q, &events());
    assert!(matched > 20, "{matched} events matched");
}

#[test]
fn exact_and_wildcard_translations_agree() {
    let events = events();
    // The smaller sets are the first patterns of these.
    let set = PatternSet::new(sets::exact(1000)).unwrap();
    let q = quamina_of(sets::exact_eventbridge(1000).into_iter().enumerate());
    assert!(agree(&set, &q, &events) > 0);
    let set = PatternSet::new(sets::wildcard(1000)).unwrap();
    let q = quamina_of(sets::wildcard_eventbridge(1000).into_iter().enumerate());
    assert!(agree(&set, &q, &events) > 0);
}

/// trailmatch's own event-pattern engine selects, event by event, what quamina and the filter
/// patterns select: the `eventbridge/` bench compares like with like.
#[test]
fn event_pattern_sets_agree_with_quamina() {
    let events = events();
    let cases = [
        (sets::cis_eventbridge_joined(), sets::cis_eventbridge()),
        (
            sets::exact_eventbridge(1000),
            sets::exact_eventbridge(1000)
                .into_iter()
                .enumerate()
                .collect(),
        ),
        (
            sets::wildcard_eventbridge(100),
            sets::wildcard_eventbridge(100)
                .into_iter()
                .enumerate()
                .collect(),
        ),
        (
            sets::anything_but_eventbridge(100),
            sets::anything_but_eventbridge(100)
                .into_iter()
                .enumerate()
                .collect(),
        ),
    ];
    for (ours, theirs) in cases {
        let set = trailmatch::EventPatternSet::new(&ours).unwrap();
        let q = quamina_of(theirs);
        let mut matched = 0;
        for event in &events {
            let mine: BTreeSet<usize> = set.matches(event).into_iter().collect();
            let quamina: BTreeSet<usize> = q
                .matches_for_event(event.as_bytes())
                .unwrap()
                .into_iter()
                .collect();
            assert_eq!(mine, quamina, "event {event}");
            matched += usize::from(!mine.is_empty());
        }
        assert!(matched > 0);
    }
}
