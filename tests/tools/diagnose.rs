//! Reads filter patterns, one JSON string per line on stdin, and prints for each a JSON object
//! with what `Pattern::new` says about it: `{"pattern", "code", "span", "rendered"}` (`code`,
//! `span` and `rendered` are `null` when the pattern is accepted).
//!
//! `tests/tools/convert_examples.py` runs it to find the error code of each invalid example:
//!
//! ```text
//! echo '"%(a|b)%"' | cargo run -q -p trailmatch-conformance --example diagnose
//! ```
//!
//! With `--event-pattern`, the lines are EventBridge event patterns, read by `EventPattern::new`;
//! with `--test-event-pattern`, they are pairs of lines (an event pattern, then an event) given to
//! `test_event_pattern`.

use std::io::{self, BufRead, Write};

use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let event = std::env::args().any(|a| a == "--event-pattern");
    let test_event = std::env::args().any(|a| a == "--test-event-pattern");
    let mut lines = io::stdin().lock().lines();
    while let Some(line) = lines.next() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let pattern: String = serde_json::from_str(&line)?;
        let checked = if test_event {
            let event: String = match lines.next() {
                Some(line) => serde_json::from_str(&line?)?,
                None => String::new(),
            };
            trailmatch::test_event_pattern(&pattern, &event).map(|_| ())
        } else if event {
            trailmatch::EventPattern::new(&pattern).map(|_| ())
        } else {
            trailmatch::Pattern::new(&pattern).map(|_| ())
        };
        let report = match checked {
            Ok(()) => {
                json!({ "pattern": pattern, "code": Value::Null, "span": Value::Null, "rendered": Value::Null })
            }
            Err(e) => json!({
                "pattern": pattern,
                "code": e.code(),
                "span": [e.span().start, e.span().end],
                "rendered": e.to_string(),
            }),
        };
        writeln!(out, "{report}")?;
    }
    Ok(())
}
