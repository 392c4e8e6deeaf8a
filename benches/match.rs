//! Criterion benches. Ids are `<stage>/<input>/<variant>`; every group has a baseline variant and
//! reports throughput in elements (patterns for `parse`, events for `match`), so variants of a group
//! compare directly.
//!
//! ```text
//! cargo bench -p trailmatch-benches                 # measure (about a minute)
//! cargo bench -p trailmatch-benches -- --test       # run each bench once (CI)
//! cargo bench -p trailmatch-benches -- match/       # one stage
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use trailmatch::{Pattern, PatternSet};
use trailmatch_benches::{SINGLE_PATTERN, cis_patterns, cloudtrail_events};

/// `parse/cis-14/…`: the 14 CIS patterns, per pattern.
///
/// * `serde_json-string`: baseline, decoding each pattern written as a JSON string literal (a
///   lexer-only pass over the same bytes; it says nothing about parsing difficulty, it only gives
///   the numbers a scale).
/// * `parse`: `trailmatch::parse` (text to validated AST).
/// * `pattern-new`: `Pattern::new` (parse, validate and compile).
fn parse(c: &mut Criterion) {
    let patterns = cis_patterns();
    let as_json: Vec<String> = patterns
        .iter()
        .map(|p| serde_json::to_string(p).expect("a string serialises"))
        .collect();

    let mut group = c.benchmark_group("parse/cis-14");
    group.throughput(Throughput::Elements(patterns.len() as u64));
    group.bench_function("serde_json-string", |b| {
        b.iter(|| {
            for json in &as_json {
                let s: String = serde_json::from_str(black_box(json)).expect("valid JSON string");
                black_box(s);
            }
        })
    });
    group.bench_function("parse", |b| {
        b.iter(|| {
            for p in &patterns {
                black_box(trailmatch::parse(black_box(p)).expect("CIS pattern parses"));
            }
        })
    });
    group.bench_function("pattern-new", |b| {
        b.iter(|| {
            for p in &patterns {
                black_box(Pattern::new(black_box(p)).expect("CIS pattern compiles"));
            }
        })
    });
    group.finish();
}

/// `match/cloudtrail-200/…`: 200 CloudTrail records, per event.
///
/// * `serde_json-parse`: baseline, `serde_json::from_str::<Value>` of each event, the least any
///   JSON-pattern matcher that builds a tree has to do.
/// * `pattern-1`: one CIS pattern (5.1, unauthorized API calls), `Pattern::matches`.
/// * `set-14`: the 14 CIS patterns as one `PatternSet`, `PatternSet::matches`.
/// * `reference-14`: the same 14 patterns as separate `Pattern`s, `matches` one after another
///   (what a caller without `PatternSet` would do).
fn match_events(c: &mut Criterion) {
    let events = cloudtrail_events();
    let texts = cis_patterns();
    let single = Pattern::new(texts[SINGLE_PATTERN]).expect("CIS pattern compiles");
    let set = PatternSet::new(&texts).expect("CIS patterns compile");
    let patterns: Vec<Pattern> = texts
        .iter()
        .map(|p| Pattern::new(p).expect("CIS pattern compiles"))
        .collect();

    let mut group = c.benchmark_group("match/cloudtrail-200");
    group.throughput(Throughput::Elements(events.len() as u64));
    // One iteration is 1-15 ms (200 events); linear sampling would need more than the 3 s budget.
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("serde_json-parse", |b| {
        b.iter(|| {
            for event in &events {
                let value: serde_json::Value =
                    serde_json::from_str(black_box(event)).expect("event is JSON");
                black_box(value);
            }
        })
    });
    group.bench_function("pattern-1", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for event in &events {
                hits += usize::from(single.matches(black_box(event)));
            }
            black_box(hits)
        })
    });
    group.bench_function("set-14", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for event in &events {
                hits += set.matches(black_box(event)).len();
            }
            black_box(hits)
        })
    });
    group.bench_function("reference-14", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for event in &events {
                for pattern in &patterns {
                    hits += usize::from(pattern.matches(black_box(event)));
                }
            }
            black_box(hits)
        })
    });
    group.finish();
}

/// Short runs: the machine has 2 cores and the whole suite should finish in about a minute.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse, match_events
}
criterion_main!(benches);
