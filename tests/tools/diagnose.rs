//! Reads filter patterns, one JSON string per line on stdin, and prints for each a JSON object
//! with what `Pattern::new` says about it: `{"pattern", "code", "span", "rendered"}` (`code`,
//! `span` and `rendered` are `null` when the pattern is accepted).
//!
//! `tests/tools/convert_examples.py` runs it to find the error code of each invalid example:
//!
//! ```text
//! echo '"%(a|b)%"' | cargo run -q -p trailmatch-conformance --example diagnose
//! ```

use std::io::{self, BufRead, Write};

use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let pattern: String = serde_json::from_str(&line)?;
        let report = match trailmatch::Pattern::new(&pattern) {
            Ok(_) => {
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
