//! Prints the table of the issue's speed targets from the figures criterion saved:
//!
//! ```text
//! cargo bench -p trailmatch-benches -- --save-baseline NAME
//! cargo run -p trailmatch-benches --bin bench-table -- NAME     # default NAME: new (the last run)
//! ```
//!
//! Reads `target/criterion/<group>/<bench>/<NAME>/estimates.json` (`CARGO_TARGET_DIR` is
//! honoured) and prints one Markdown row per target: the two means, their ratio and whether the
//! target is met. The `trailmatch grep` rows come from `benches/grep-scaling.sh`.

use std::path::PathBuf;
use std::process::ExitCode;

/// (what, group, numerator bench, denominator bench, target on numerator / denominator).
const TARGETS: &[(&str, &str, &str, &str, Target)] = &[
    (
        "14 CIS patterns vs serde_json parse-only",
        "cis_cloudtrail-gen-1k",
        "serde_json-parse",
        "set-14",
        Target::AtLeast(5.0),
    ),
    (
        "14 CIS patterns vs quamina",
        "cis_cloudtrail-gen-1k",
        "quamina-14",
        "set-14",
        Target::Above(1.0),
    ),
    (
        "14 CIS patterns vs serde_json (real records)",
        "match_cloudtrail-200",
        "serde_json-parse",
        "set-14",
        Target::AtLeast(5.0),
    ),
    (
        "14 CIS patterns vs quamina (real records)",
        "match_cloudtrail-200",
        "quamina-14",
        "set-14",
        Target::Above(1.0),
    ),
    (
        "10,000 exact patterns vs 10",
        "exact_cloudtrail-gen-1k",
        "set-10000",
        "set-10",
        Target::AtMost(1.5),
    ),
    (
        "1,000 term patterns vs 10",
        "terms_cloudtrail-gen-1k",
        "set-1000",
        "set-10",
        Target::AtMost(2.0),
    ),
    (
        "16 regexes vs serde_json parse-only",
        "regex_cloudtrail-gen-1k",
        "serde_json-parse",
        "set-16",
        Target::AtLeast(2.0),
    ),
    (
        "14 CIS filters as event patterns vs quamina",
        "eventbridge_cloudtrail-gen-1k",
        "quamina-14",
        "set-14",
        Target::AtLeast(2.5),
    ),
    (
        "100 VPC delimited patterns vs their reference evaluators",
        "vpc_flow-logs-gen-10k",
        "reference-100",
        "set-100",
        Target::AtLeast(3.0),
    ),
];

#[derive(Debug, Clone, Copy)]
enum Target {
    AtLeast(f64),
    Above(f64),
    AtMost(f64),
}

fn main() -> ExitCode {
    let baseline = std::env::args().nth(1).unwrap_or_else(|| "new".to_owned());
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let root = target_dir.join("criterion");
    let mean = |group: &str, bench: &str| -> Option<f64> {
        let path = root
            .join(group)
            .join(bench)
            .join(&baseline)
            .join("estimates.json");
        let text = std::fs::read_to_string(&path).ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        value["mean"]["point_estimate"].as_f64()
    };
    println!("| target | measured | ratio | met |");
    println!("|---|---|---|---|");
    let mut missing = false;
    for (what, group, top, bottom, target) in TARGETS {
        let (Some(a), Some(b)) = (mean(group, top), mean(group, bottom)) else {
            eprintln!(
                "bench-table: no '{baseline}' figures for {group}/{top} and {group}/{bottom}"
            );
            missing = true;
            continue;
        };
        let ratio = a / b;
        let (goal, met) = match *target {
            Target::AtLeast(x) => (format!("≥ {x}×"), ratio >= x),
            Target::Above(x) => (format!("> {x}×"), ratio > x),
            Target::AtMost(x) => (format!("≤ {x}×"), ratio <= x),
        };
        println!(
            "| {what}: {top} / {bottom} {goal} | {} / {} | {ratio:.2}× | {} |",
            human(a),
            human(b),
            if met { "yes" } else { "**no**" }
        );
    }
    if missing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A time in nanoseconds, readable.
fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}
