//! The Rust engine's throughput on the events and patterns `bench.py` measures from Python:
//! `PatternSet::matches` over every event, timed in-process (reading the files is not timed).
//!
//! ```text
//! cargo run --release -p trailmatch-python --example throughput -- PATTERNS EVENTS [SECONDS [into]]
//! ```
//!
//! PATTERNS and EVENTS hold one pattern and one event per line. It repeats the whole pass until
//! SECONDS (default 2) of CPU time have been spent and prints one JSON line. With `into`, it
//! calls `PatternSet::matches_into` with one vector kept for every event instead (no vector
//! allocated per event: what `match_many` does inside, and the fastest a Rust caller can ask):
//! `{"events": …, "seconds": …, "events_per_second": …, "clock": …, "matches": …}`.
//!
//! The time is the process's CPU time (`/proc/self/schedstat`, Linux), so that other work on a
//! shared machine does not count; where that file is missing it is wall-clock time, and `clock`
//! says which (`cpu` or `wall`). `bench.py` measures Python's side with `time.process_time`.

use std::time::Instant;

use trailmatch::PatternSet;

fn lines(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    text.lines().map(str::to_owned).collect()
}

/// CPU time of this (single-threaded) process in seconds, if the system tells.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [patterns, events, rest @ ..] = args.as_slice() else {
        eprintln!("usage: throughput PATTERNS EVENTS [SECONDS [into]]");
        std::process::exit(2);
    };
    let budget = rest
        .first()
        .map_or(2.0, |s| s.parse::<f64>().expect("SECONDS is a number"));
    let into = match rest.get(1).map(String::as_str) {
        None => false,
        Some("into") => true,
        Some(other) => panic!("the fourth argument is `into`, not {other:?}"),
    };
    let set = PatternSet::new(lines(patterns)).unwrap_or_else(|e| panic!("{e}"));
    let events = lines(events);

    // One untimed pass, then whole passes until the budget is spent.
    let mut matches: usize = events.iter().map(|e| set.matches(e).len()).sum();
    let wall = Instant::now();
    let (clock, now): (&str, Box<dyn Fn() -> f64>) = match cpu_seconds() {
        Some(_) => ("cpu", Box::new(|| cpu_seconds().unwrap_or_default())),
        None => ("wall", Box::new(move || wall.elapsed().as_secs_f64())),
    };
    let start = now();
    let mut done = 0usize;
    let mut out = Vec::new();
    while now() - start < budget {
        matches = 0;
        if into {
            for event in &events {
                set.matches_into(std::hint::black_box(event), &mut out);
                matches += std::hint::black_box(&out).len();
            }
        } else {
            for event in &events {
                matches += std::hint::black_box(set.matches(std::hint::black_box(event))).len();
            }
        }
        done += events.len();
    }
    let seconds = now() - start;
    println!(
        "{{\"events\": {done}, \"seconds\": {seconds:.6}, \"events_per_second\": {:.1}, \"clock\": \"{clock}\", \"matches\": {matches}}}",
        done as f64 / seconds
    );
}
