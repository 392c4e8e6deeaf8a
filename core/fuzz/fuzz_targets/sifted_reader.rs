//! grep's reading of a file with a sieve against its reading without one: the lines the sieve
//! passes over must hold no record a pattern matches, and everything else must come out the
//! same, in the same order.
//!
//! Input: pattern lines (filter patterns; `E ` before an EventBridge event pattern), NUL, then
//! the bytes of a log file. A set whose patterns all compile and that has a sieve is read both
//! ways, at the default record limit and at 64 bytes, from the bytes and from a reader that hands
//! them out a few at a time and then fails (what came before the failure must still be read).
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch::{EventPatternSet, PatternSet};
use trailmatch_cloudtrail::logs::{Item, Next, Options, Sieve, read_stream};

#[path = "../../cloudtrail/src/logs/tests/failing.rs"]
mod failing;
use failing::Failing;

/// A record or skip as the test compares it.
fn shown(next: Next<'_>) -> String {
    match next {
        Next::Line(r) => format!("{}:{} {}", r.line, r.byte, r.json),
        Next::Item(Item::Record(r)) => format!("{} {}", r.location, r.json),
        Next::Item(Item::Skipped(s)) => format!("skip {} [{}] {}", s.location, s.kind, s.message),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (Ok(patterns), file) = (std::str::from_utf8(&data[..nul]), &data[nul + 1..]) else {
        return;
    };
    let lines: Vec<&str> = patterns.lines().filter(|l| !l.is_empty()).collect();
    let events: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("E ")).collect();
    type Matcher = Box<dyn Fn(&str) -> bool>;
    let (sieve, matches): (Sieve, Matcher) = if events.len() == lines.len() && !events.is_empty()
    {
        let Ok(set) = EventPatternSet::new(&events) else {
            return;
        };
        let Some(sieve) = Sieve::for_event_patterns(&set) else {
            return;
        };
        (sieve, Box::new(move |e| set.is_match(e)))
    } else {
        let Ok(set) = PatternSet::new(&lines) else {
            return;
        };
        let Some(sieve) = Sieve::new(&set) else {
            return;
        };
        (sieve, Box::new(move |e| set.is_match(e)))
    };
    for (max_record_bytes, failing) in [(262_144, false), (64, false), (262_144, true)] {
        let options = Options {
            max_record_bytes,
            text_lines: true,
            ..Options::default()
        };
        let mut all = Vec::new();
        let open = || -> Box<dyn std::io::Read + Send + '_> {
            if failing {
                Box::new(Failing(file))
            } else {
                Box::new(file)
            }
        };
        let mut plain = read_stream("f", open(), options);
        while let Some(next) = plain.next_ref() {
            let matched = match &next {
                Next::Line(r) => matches(r.json),
                Next::Item(Item::Record(r)) => matches(&r.json),
                Next::Item(Item::Skipped(_)) => true,
            };
            all.push((shown(next), matched));
        }
        let mut sifted = read_stream("f", open(), options);
        let mut kept = Vec::new();
        while let Some(next) = sifted.next_sifted(&sieve) {
            kept.push(shown(next));
        }
        // What the sieve kept is what the plain reading gave, less some records that match
        // nothing, as many as it says it passed over.
        let mut kept_iter = kept.iter().peekable();
        let mut left_out = 0;
        for (item, matched) in &all {
            if kept_iter.peek() == Some(&item) {
                kept_iter.next();
                continue;
            }
            assert!(!matched, "{item} left out");
            left_out += 1;
        }
        assert_eq!(kept_iter.next(), None);
        assert_eq!(sifted.passed(), left_out);
        assert_eq!(sifted.lines_read(), plain.lines_read());
    }
});
