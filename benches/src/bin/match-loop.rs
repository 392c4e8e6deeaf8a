//! A small driver for instruction counts (`valgrind --tool=callgrind`): builds one pattern set of
//! the benches, generates the `cloudtrail-gen-1k` events of `match.rs` (same seed), and runs
//! `PatternSet::matches` over them. Counts are repeatable where wall times on a shared machine
//! are not:
//!
//! ```text
//! match-loop KIND N [ROUNDS]     # KIND: exact, wildcard, terms, regex, cis, exact-same-matches,
//!                                # terms-same-matches (`sets`); ROUNDS: default 1
//! valgrind --tool=callgrind --toggle-collect='*match_loop*rounds*' target/release/match-loop exact 10000
//! ```
//!
//! Only `rounds` is counted with `--toggle-collect`: building the set and the events is not.
//! It prints the number of (event, pattern) matches, which must not change with an optimisation.

use std::hint::black_box;
use std::process::ExitCode;

use trailmatch::PatternSet;
use trailmatch_benches::generate::CloudTrail;
use trailmatch_benches::{cis_patterns, sets};

/// The seed of `match.rs`.
const SEED: u64 = 20_240_801;

#[inline(never)]
fn rounds(set: &PatternSet, events: &[String], rounds: usize) -> usize {
    let mut hits = 0usize;
    for _ in 0..rounds {
        for event in events {
            hits += set.matches(black_box(event.as_str())).len();
        }
    }
    hits
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let n = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(10);
    let count = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1);
    let kind = args.get(1).map(String::as_str).unwrap_or_default();
    if let Some(largest) = sets::largest(kind).filter(|&largest| n > largest) {
        eprintln!("match-loop: {kind} {n}: at most {largest} (the names run out)");
        return ExitCode::from(2);
    }
    let patterns: Vec<String> = match args.get(1).map(String::as_str) {
        Some("exact") => sets::exact(n),
        Some("wildcard") => sets::wildcard(n),
        Some("terms") => sets::terms(n),
        Some("exact-same-matches") => sets::exact_same_matches(n),
        Some("terms-same-matches") => sets::terms_same_matches(n),
        Some("regex") => sets::regex(),
        Some("cis") => cis_patterns().into_iter().map(str::to_owned).collect(),
        _ => {
            eprintln!(
                "usage: match-loop exact|wildcard|terms|regex|cis|exact-same-matches|terms-same-matches N [ROUNDS]"
            );
            return ExitCode::from(2);
        }
    };
    let set = match PatternSet::new(&patterns) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let events = CloudTrail::new(SEED).events(1000);
    println!("{}", rounds(&set, &events, count));
    ExitCode::SUCCESS
}
