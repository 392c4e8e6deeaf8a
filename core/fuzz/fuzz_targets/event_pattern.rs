//! EventBridge event patterns: any bytes are a pattern or an error, never a panic; a pattern that
//! compiles answers every event as the reference evaluator does, and its canonical form prints
//! back to itself and answers the same.
//!
//! Input: an event pattern, a NUL byte, event lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch::{EventPattern, EventPatternLimits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, events) = text.split_once('\0').unwrap_or((text, ""));
    let Ok(compiled) = EventPattern::new(pattern) else {
        return;
    };
    let reference = compiled.reference();
    let printed = compiled.ast().to_string();
    let limits = EventPatternLimits::default().with_max_chars(1 << 20);
    let again = EventPattern::with_limits(&printed, limits)
        .unwrap_or_else(|e| panic!("the canonical form {printed:?} of {pattern:?} is refused: {e}"));
    assert_eq!(again.ast().to_string(), printed, "the canonical form prints back to itself");
    for event in events.lines() {
        let want = reference.matches(event);
        assert_eq!(compiled.matches(event), want, "{pattern:?} on {event:?}");
        assert_eq!(again.matches(event), want, "canonical {printed:?} on {event:?}");
    }
});
