//! `engine_vs_reference` with every dialect switch flipped: the compiled engine must answer
//! exactly as the reference evaluator under the non-default settings too (hyphenated terms kept
//! whole, `" "` matching every event, numeric strings compared as numbers, trailing fields not
//! absorbed), whose code paths the default dialect never takes.
//!
//! Input: as `engine_vs_reference` (pattern lines, a NUL byte, event lines), so the two targets
//! share seeds and corpora.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch::{Dialect, Pattern, PatternSet};

fuzz_target!(|data: &[u8]| {
    let mut dialect = Dialect::default();
    dialect.absorb_trailing_fields = !dialect.absorb_trailing_fields;
    dialect.numeric_string_coercion = !dialect.numeric_string_coercion;
    dialect.quoted_space_matches_all = !dialect.quoted_space_matches_all;
    dialect.split_hyphenated_terms = !dialect.split_hyphenated_terms;
    let text = String::from_utf8_lossy(data);
    let (patterns, events) = text.split_once('\0').unwrap_or((&text, "{}"));
    let compiled: Vec<Pattern> = patterns
        .lines()
        .filter_map(|p| Pattern::with_dialect(p, dialect).ok())
        .collect();
    let texts: Vec<&str> = compiled.iter().map(Pattern::as_str).collect();
    let Ok(set) = PatternSet::with_dialect(&texts, dialect) else { return };
    for event in events.split('\n') {
        let want: Vec<_> = compiled
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, p.reference().test(event)?)))
            .collect();
        assert_eq!(set.test(event), want, "patterns {texts:?} event {event:?}");
        for p in &compiled {
            assert_eq!(p.test(event), p.reference().test(event), "pattern {p} event {event:?}");
        }
    }
});
