//! The whole-process baselines of `benches/compare.sh`, each reading a file of events (one per
//! line) the way `trailmatch grep -c -j 1` does and printing a count:
//!
//! ```text
//! baselines serde-parse FILE           # serde_json::Value of every line, no matching: the lines parsed
//! baselines quamina cis|selective FILE # the quamina crate, equivalent EventBridge patterns
//! ```
//!
//! `quamina` prints, for each pattern of the set in order, the number of lines it matches (as
//! `trailmatch grep -c` does, without the pattern).
//!
//! `cis` is the 14 CIS patterns (`sets::cis_eventbridge`); `selective` is
//! `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }` as two
//! EventBridge patterns (`sets::selective_eventbridge`). Lines are read into one reused buffer.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;

use quamina::{Quamina, QuaminaBuilder};
use trailmatch_benches::sets;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serde-parse", file] => serde_parse(file),
        ["quamina", set, file] => match *set {
            "cis" => quamina(sets::cis_eventbridge(), file),
            "selective" => quamina(sets::selective_eventbridge(), file),
            other => Err(format!("unknown set {other} (cis or selective)")),
        },
        _ => Err("usage: baselines serde-parse FILE | baselines quamina cis|selective FILE".into()),
    };
    match result {
        Ok(counts) => {
            for count in counts {
                println!("{count}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("baselines: {e}");
            ExitCode::from(2)
        }
    }
}

/// Calls `each` with every line of `path` (without its line ending).
fn each_line(path: &str, mut each: impl FnMut(&[u8])) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut line = Vec::with_capacity(64 * 1024);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
        each(line.strip_suffix(b"\n").unwrap_or(&line));
    }
}

fn serde_parse(path: &str) -> Result<Vec<u64>, String> {
    let mut parsed = 0;
    each_line(path, |line| {
        parsed += u64::from(serde_json::from_slice::<serde_json::Value>(line).is_ok());
    })?;
    Ok(vec![parsed])
}

fn quamina(patterns: Vec<(usize, String)>, path: &str) -> Result<Vec<u64>, String> {
    let ids = patterns.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
    let mut q: Quamina<usize> = QuaminaBuilder::new()
        .build()
        .map_err(|e| format!("quamina: {e}"))?;
    for (i, p) in patterns {
        q.add_pattern(i, &p)
            .map_err(|e| format!("quamina rejects {p}: {e}"))?;
    }
    let mut counts = vec![0u64; ids];
    let mut seen = vec![false; ids];
    each_line(path, |line| {
        // An id matched by two alternatives counts once.
        seen.iter_mut().for_each(|s| *s = false);
        for id in q.matches_for_event(line).unwrap_or_default() {
            if let Some(s) = seen.get_mut(id) {
                *s = true;
            }
        }
        for (count, s) in counts.iter_mut().zip(&seen) {
            *count += u64::from(*s);
        }
    })?;
    Ok(counts)
}
