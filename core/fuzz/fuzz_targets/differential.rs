//! The check `engine_vs_reference` and `dialect_vs_reference` share.

use trailmatch::{Dialect, Pattern, PatternSet};

/// Input: pattern lines, a NUL byte, event lines (no NUL: the event `{}`). Every pattern that
/// compiles under `dialect` goes into one `PatternSet`; for every event, the set's answer
/// (indices and extracted values) must equal what each pattern's reference evaluator says, and
/// so must each `Pattern` on its own.
pub fn check(data: &[u8], dialect: Dialect) {
    let text = String::from_utf8_lossy(data);
    let (patterns, events) = text.split_once('\0').unwrap_or((&text, "{}"));
    let compiled: Vec<Pattern> = patterns
        .lines()
        .filter_map(|p| Pattern::with_dialect(p, dialect).ok())
        .collect();
    let texts: Vec<&str> = compiled.iter().map(Pattern::as_str).collect();
    let Ok(set) = PatternSet::with_dialect(&texts, dialect) else {
        return;
    };
    for event in events.split('\n') {
        let want: Vec<_> = compiled
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, p.reference().test(event)?)))
            .collect();
        assert_eq!(set.test(event), want, "patterns {texts:?} event {event:?}");
        assert_eq!(
            set.is_match(event),
            !want.is_empty(),
            "is_match: patterns {texts:?} event {event:?}"
        );
        for p in &compiled {
            let reference = p.reference().test(event);
            assert_eq!(
                p.is_match(event),
                reference.is_some(),
                "is_match: pattern {p} event {event:?}"
            );
            assert_eq!(p.test(event), reference, "pattern {p} event {event:?}");
        }
    }
}
