//! EventBridge event patterns in the compiled program, many at once: an `EventPatternSet` of the
//! patterns that compile, and a `PatternSet` holding them after the filter patterns, answer every
//! event as the patterns' reference evaluators do (the set's prefilter, shared paths, triggered
//! rules and array-consistency check against the slow, obvious reading).
//!
//! Input: pattern lines (a line starting with `F ` is a filter pattern, any other an event
//! pattern), a NUL byte, event lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch::{EventPattern, EventPatternSet, Pattern, PatternSet, PatternSource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (patterns, events) = text.split_once('\0').unwrap_or((text, ""));
    let mut filters: Vec<Pattern> = Vec::new();
    let mut compiled: Vec<EventPattern> = Vec::new();
    for line in patterns.lines() {
        match line.strip_prefix("F ") {
            Some(filter) => filters.extend(Pattern::new(filter).ok()),
            None => compiled.extend(EventPattern::new(line).ok()),
        }
    }
    let texts: Vec<&str> = compiled.iter().map(EventPattern::as_str).collect();
    let set = EventPatternSet::new(&texts).expect("patterns that compile alone compile together");
    let sources = filters
        .iter()
        .map(|p| PatternSource::Filter(p.as_str()))
        .chain(texts.iter().map(|t| PatternSource::Event(*t)));
    let mixed = PatternSet::builder()
        .build_sources(sources)
        .expect("patterns that compile alone compile together");
    let references: Vec<_> = compiled.iter().map(EventPattern::reference).collect();
    for event in events.lines() {
        let want: Vec<usize> = references
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(event))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(set.matches(event), want, "{texts:?} on {event:?}");
        assert_eq!(set.is_match(event), !want.is_empty(), "{texts:?} on {event:?}");
        let mut want_mixed: Vec<usize> = filters
            .iter()
            .enumerate()
            .filter(|(_, p)| p.reference().test(event).is_some())
            .map(|(i, _)| i)
            .collect();
        want_mixed.extend(want.iter().map(|i| i + filters.len()));
        assert_eq!(mixed.matches(event), want_mixed, "mixed set on {event:?}");
    }
});
