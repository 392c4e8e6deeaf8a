//! The Rust engine's throughput on the events and patterns `bench.py` measures from Python:
//! `PatternSet::matches` over every event, timed in-process (reading the files is not timed).
//!
//! ```text
//! cargo run --release -p trailmatch-python --example throughput -- PATTERNS EVENTS [SECONDS]
//! ```
//!
//! PATTERNS and EVENTS hold one pattern and one event per line. It repeats the whole pass until
//! SECONDS (default 2) have gone by and prints one JSON line:
//! `{"events": …, "seconds": …, "events_per_second": …, "matches": …}`.

use std::time::{Duration, Instant};

use trailmatch::PatternSet;

fn lines(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    text.lines().map(str::to_owned).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [patterns, events, rest @ ..] = args.as_slice() else {
        eprintln!("usage: throughput PATTERNS EVENTS [SECONDS]");
        std::process::exit(2);
    };
    let budget = rest
        .first()
        .map_or(2.0, |s| s.parse::<f64>().expect("SECONDS is a number"));
    let set = PatternSet::new(lines(patterns)).unwrap_or_else(|e| panic!("{e}"));
    let events = lines(events);

    // One untimed pass, then whole passes until the budget is spent.
    let mut matches: usize = events.iter().map(|e| set.matches(e).len()).sum();
    let budget = Duration::from_secs_f64(budget);
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < budget {
        matches = 0;
        for event in &events {
            matches += std::hint::black_box(set.matches(std::hint::black_box(event))).len();
        }
        done += events.len();
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"events\": {done}, \"seconds\": {seconds:.6}, \"events_per_second\": {:.1}, \"matches\": {matches}}}",
        done as f64 / seconds
    );
}
