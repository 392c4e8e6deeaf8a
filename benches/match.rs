//! Criterion benches. Ids are `<stage>/<input>/<variant>`: the stage is what is measured (a
//! pattern family, or `parse` and `compile`), the input the events (`cloudtrail-200`: the real
//! records; `cloudtrail-gen-1k`: 1,000 events generated from them with a fixed seed;
//! `flow-logs-gen-10k`: VPC flow-log records likewise), the variant who does the work. Every group
//! has its baselines measured in the same run and reports elements (events, or patterns for
//! `parse`) and bytes per second (`compile`: patterns only), so the variants of a group compare
//! directly:
//!
//! * `serde_json-parse`: `serde_json::from_slice::<Value>` of each event, nothing else;
//! * `set-N`: `PatternSet::matches` with N patterns;
//! * `reference-N`: the reference evaluator, one `Evaluator` per pattern, looping over the
//!   patterns for each event (the event parsed once and shared, as `reference::Event` allows);
//! * `quamina-N`: the `quamina` crate with the equivalent EventBridge patterns (`sets.rs` says
//!   how each is translated; `tests/eventbridge.rs` checks that both select the same events).
//!
//! ```text
//! cargo bench -p trailmatch-benches                 # measure everything (about 4 minutes)
//! cargo bench -p trailmatch-benches -- --test       # run each bench once (CI)
//! cargo bench -p trailmatch-benches -- exact/       # one stage
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use quamina::{Quamina, QuaminaBuilder};
use trailmatch::reference::{self, Evaluator};
use trailmatch::{Dialect, EventPatternSet, Pattern, PatternSet};
use trailmatch_benches::generate::{CloudTrail, FlowLogs};
use trailmatch_benches::{SINGLE_PATTERN, cis_patterns, cloudtrail_events, sets};

/// The seed of every generated input: change it and all the figures change.
const SEED: u64 = 20_240_801;

/// `parse/cis-14/…`: the 14 CIS patterns, per pattern; `parse/counted-class/…`: regexes whose
/// DFA is exponential in a counted repetition (`%1\d{21,}% d`, found by the fuzzer, took 0.7 s
/// to compile while regex-automata built a full DFA up to the 64 MiB automaton limit).
///
/// * `serde_json-string`: baseline, decoding each pattern written as a JSON string literal (a
///   lexer-only pass over the same bytes; it says nothing about parsing difficulty, it only gives
///   the numbers a scale).
/// * `parse`: `trailmatch::parse` (text to validated AST).
/// * `pattern-new`: `Pattern::new` (parse, validate and compile).
fn parse(c: &mut Criterion) {
    parse_group(c, "parse/cis-14", &cis_patterns());
    let counted = [
        r"%1\d{21,}% d",
        r"%a\w{20}%",
        r#"{ $.requestID = %1\d{21,}% }"#,
    ];
    parse_group(c, "parse/counted-class", &counted);
}

fn parse_group(c: &mut Criterion, name: &str, patterns: &[&str]) {
    let as_json: Vec<String> = patterns
        .iter()
        .map(|p| serde_json::to_string(p).expect("a string serialises"))
        .collect();

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::ElementsAndBytes {
        elements: patterns.len() as u64,
        bytes: patterns.iter().map(|p| p.len() as u64).sum(),
    });
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
            for p in patterns {
                black_box(trailmatch::parse(black_box(p)).expect("bench pattern parses"));
            }
        })
    });
    group.bench_function("pattern-new", |b| {
        b.iter(|| {
            for p in patterns {
                black_box(Pattern::new(black_box(p)).expect("bench pattern compiles"));
            }
        })
    });
    group.finish();
}

/// `compile/exact-N/…`: building a set of N `{ $.eventName = "EventI" }` patterns, for N = 1,000
/// and 100,000 (per pattern: a set of 100,000 should cost what one of 1,000 does; until
/// 2026-12-06 the prefilter's list of a key's values was searched for each value added, and
/// `set-new` of 100,000 took 0.89 s).
///
/// * `parse`: baseline, `trailmatch::parse` of each pattern (what any user of the patterns pays).
/// * `set-new`: `PatternSet::new` (parse, validate, compile into one program), and dropping the
///   set (criterion's `iter` drops each output within the time).
///
/// `compile/event-N/…`: the same for N EventBridge patterns of three paths, `{"source":
/// ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName":
/// ["EventI"]}}`: `parse` (`parse_event_pattern` of each), `set-new` (`EventPatternSet::new`),
/// and `quamina-add`, the `quamina` crate adding each pattern to a new matcher (for reference).
fn compile(c: &mut Criterion) {
    for n in [1_000, 100_000] {
        let patterns: Vec<String> = (0..n)
            .map(|i| format!("{{ $.eventName = \"Event{i}\" }}"))
            .collect();
        let mut group = compile_group(c, &format!("compile/exact-{n}"), n);
        group.bench_function("parse", |b| {
            b.iter(|| {
                for p in &patterns {
                    black_box(trailmatch::parse(black_box(p)).expect("bench pattern parses"));
                }
            })
        });
        group.bench_function("set-new", |b| {
            b.iter(|| black_box(PatternSet::new(black_box(&patterns)).expect("bench set compiles")))
        });
        group.finish();
    }
    for n in [1_000, 100_000] {
        let patterns: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "{{\"source\":[\"aws.iam\"],\"detail-type\":[\"AWS API Call via CloudTrail\"],\
                     \"detail\":{{\"eventName\":[\"Event{i}\"]}}}}"
                )
            })
            .collect();
        let mut group = compile_group(c, &format!("compile/event-{n}"), n);
        group.bench_function("parse", |b| {
            b.iter(|| {
                for p in &patterns {
                    black_box(
                        trailmatch::parse_event_pattern(black_box(p))
                            .expect("bench pattern parses"),
                    );
                }
            })
        });
        group.bench_function("set-new", |b| {
            b.iter(|| {
                black_box(EventPatternSet::new(black_box(&patterns)).expect("bench set compiles"))
            })
        });
        group.bench_function("quamina-add", |b| {
            b.iter(|| {
                let mut q: Quamina<usize> = QuaminaBuilder::new()
                    .with_arena_byte_budget(1 << 30)
                    .build()
                    .expect("a quamina");
                for (id, p) in patterns.iter().enumerate() {
                    q.add_pattern(id, black_box(p)).expect("quamina takes it");
                }
                black_box(q)
            })
        });
        group.finish();
    }
}

/// A `compile` group over `n` patterns: patterns a second, flat sampling of 10 (an iteration
/// builds a whole set, up to a second).
fn compile_group<'c>(c: &'c mut Criterion, name: &str, n: usize) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group
}

/// A group over `events` with both throughputs and flat sampling (one iteration is a whole pass
/// over the events, milliseconds to a second).
fn group<'a, S: AsRef<str>>(
    c: &'a mut Criterion,
    name: &str,
    events: &[S],
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::ElementsAndBytes {
        elements: events.len() as u64,
        bytes: events.iter().map(|e| e.as_ref().len() as u64).sum(),
    });
    group.sampling_mode(SamplingMode::Flat);
    group
}

fn bench_serde_json<S: AsRef<str>>(group: &mut BenchmarkGroup<'_, WallTime>, events: &[S]) {
    group.bench_function("serde_json-parse", |b| {
        b.iter(|| {
            for event in events {
                let value: serde_json::Value =
                    serde_json::from_slice(black_box(event.as_ref().as_bytes()))
                        .expect("event is JSON");
                black_box(value);
            }
        })
    });
}

fn bench_set<S: AsRef<str>>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    patterns: &[String],
    events: &[S],
) {
    let set = PatternSet::new(patterns).expect("bench patterns compile");
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for event in events {
                hits += set.matches(black_box(event.as_ref())).len();
            }
            black_box(hits)
        })
    });
}

fn bench_reference<S: AsRef<str>>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    patterns: &[String],
    events: &[S],
) {
    let evaluators: Vec<Evaluator> = patterns
        .iter()
        .map(|p| {
            let ast = trailmatch::parse(p).expect("bench pattern parses");
            Evaluator::new(ast, p, Dialect::default()).expect("bench pattern compiles")
        })
        .collect();
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for event in events {
                let event = reference::Event::new(black_box(event.as_ref()));
                for evaluator in &evaluators {
                    hits += usize::from(evaluator.test_event(&event).is_some());
                }
            }
            black_box(hits)
        })
    });
}

fn bench_quamina<S: AsRef<str>>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    patterns: impl IntoIterator<Item = (usize, String)>,
    events: &[S],
) {
    // The default budget (10 MB per field automaton) is too small for 10,000 event names.
    let mut q: Quamina<usize> = QuaminaBuilder::new()
        .with_arena_byte_budget(1 << 30)
        .build()
        .expect("a quamina");
    for (id, pattern) in patterns {
        q.add_pattern(id, &pattern)
            .unwrap_or_else(|e| panic!("quamina rejects {pattern}: {e}"));
    }
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for event in events {
                hits += q
                    .matches_for_event(black_box(event.as_ref().as_bytes()))
                    .expect("event is JSON")
                    .len();
            }
            black_box(hits)
        })
    });
}

fn generated() -> Vec<String> {
    CloudTrail::new(SEED).events(1000)
}

/// `match/cloudtrail-200/…`: the 200 real records, per event.
///
/// * `pattern-1`: one CIS pattern (5.1, unauthorized API calls), `Pattern::matches`.
/// * `set-14`, `reference-14`, `quamina-14`: the 14 CIS patterns.
fn match_real(c: &mut Criterion) {
    let events = cloudtrail_events();
    let cis: Vec<String> = cis_patterns().iter().map(|p| p.to_string()).collect();
    let single = Pattern::new(&cis[SINGLE_PATTERN]).expect("CIS pattern compiles");
    let mut group = group(c, "match/cloudtrail-200", &events);
    bench_serde_json(&mut group, &events);
    group.bench_function("pattern-1", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for event in &events {
                hits += usize::from(single.matches(black_box(event)));
            }
            black_box(hits)
        })
    });
    bench_set(&mut group, "set-14", &cis, &events);
    bench_reference(&mut group, "reference-14", &cis, &events);
    bench_quamina(&mut group, "quamina-14", sets::cis_eventbridge(), &events);
    group.finish();
}

/// `cis/cloudtrail-gen-1k/…`: the 14 CIS patterns on generated events (target: `set-14` at
/// least 5 times faster than `serde_json-parse`, and faster than `quamina-14`).
fn cis(c: &mut Criterion) {
    let events = generated();
    let cis: Vec<String> = cis_patterns().iter().map(|p| p.to_string()).collect();
    let mut group = group(c, "cis/cloudtrail-gen-1k", &events);
    bench_serde_json(&mut group, &events);
    bench_set(&mut group, "set-14", &cis, &events);
    bench_reference(&mut group, "reference-14", &cis, &events);
    bench_quamina(&mut group, "quamina-14", sets::cis_eventbridge(), &events);
    group.finish();
}

/// `eventbridge/cloudtrail-gen-1k/…`: EventBridge event patterns, trailmatch's
/// `EventPatternSet` (`set-…`) against the `quamina` crate (`quamina-…`) on the same patterns and
/// events: the 14 CIS filters as event patterns, 1,000 exact `eventName` rules, 100 wildcard
/// rules, 100 `anything-but` rules (target: `set-14` 2.5 times faster than `quamina-14`). The
/// set runs event patterns compiled into the program filter patterns compile to
/// (`core/src/compile/event.rs`).
fn eventbridge(c: &mut Criterion) {
    let events = generated();
    let mut group = group(c, "eventbridge/cloudtrail-gen-1k", &events);
    group.sample_size(10);
    bench_serde_json(&mut group, &events);
    let indexed = |patterns: Vec<String>| -> Vec<(usize, String)> {
        patterns.into_iter().enumerate().collect()
    };
    // quamina has no `$or`: CIS 5.1 is two of its patterns with one id.
    let sets_of = [
        (
            "14",
            sets::cis_eventbridge_joined(),
            sets::cis_eventbridge(),
        ),
        (
            "exact-1000",
            sets::exact_eventbridge(1000),
            indexed(sets::exact_eventbridge(1000)),
        ),
        (
            "wildcard-100",
            sets::wildcard_eventbridge(100),
            indexed(sets::wildcard_eventbridge(100)),
        ),
        (
            "anything-but-100",
            sets::anything_but_eventbridge(100),
            indexed(sets::anything_but_eventbridge(100)),
        ),
    ];
    for (name, patterns, theirs) in sets_of {
        let set = EventPatternSet::new(&patterns).expect("bench event patterns compile");
        group.bench_function(format!("set-{name}"), |b| {
            b.iter(|| {
                let mut hits = 0usize;
                for event in &events {
                    hits += set.matches(black_box(event)).len();
                }
                black_box(hits)
            })
        });
        bench_quamina(&mut group, &format!("quamina-{name}"), theirs, &events);
    }
    group.finish();
}

/// `scan/cloudtrail-gen-1k/…`: the `trailmatch scan` pipeline on the generated events, per
/// event (`Scanner::record` for each, then `finish`: metrics, alarms, anomalies).
///
/// * `serde_json-parse`: baseline, as everywhere.
/// * `classify`: reading the fields the pipeline needs (time, category, service, identity, …).
/// * `set-15`: the 15 CIS 7.0 patterns as a `PatternSet`, matching only.
/// * `scanner-cis`: the CIS pack (15 filters with their alarms), without anomaly detection.
/// * `scanner-cis-insights`: the same with Insights-style anomaly detection.
fn scan(c: &mut Criterion) {
    use trailmatch_cloudtrail::classify::classify;
    use trailmatch_cloudtrail::rules::RuleSet;
    use trailmatch_cloudtrail::scan::{ScanOptions, Scanner};

    let events = generated();
    let rules = RuleSet::cis();
    let patterns: Vec<String> = rules
        .metric_filters
        .iter()
        .map(|f| f.filter_pattern.clone())
        .collect();
    let mut group = group(c, "scan/cloudtrail-gen-1k", &events);
    bench_serde_json(&mut group, &events);
    group.bench_function("classify", |b| {
        b.iter(|| {
            for event in &events {
                black_box(classify(black_box(event)).expect("a CloudTrail record"));
            }
        })
    });
    bench_set(&mut group, "set-15", &patterns, &events);
    for (name, options) in [
        ("scanner-cis", ScanOptions::default()),
        ("scanner-cis-insights", ScanOptions::with_insights()),
    ] {
        // Compiling the rules is setup, not timed: the scan is `record` for each event, then
        // `finish`.
        group.bench_function(name, |b| {
            b.iter_batched(
                || Scanner::new(&rules, options.clone()).expect("the CIS pack compiles"),
                |mut scanner| {
                    for event in &events {
                        black_box(scanner.record(black_box(event), None, &"bench"));
                    }
                    black_box(scanner.finish())
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// `exact/cloudtrail-gen-1k/…`: 1 to 10,000 `{ $.eventName = "…" }` patterns (target: 10,000
/// within 1.5 times the time of 10). No `reference-10000`: it is what `set-10000` does today.
/// `same-matches-10000`: the 10 patterns of `set-10` and 9,990 that match no event
/// ([`sets::exact_same_matches`]): the cost of the number of patterns alone, where from `set-10`
/// to `set-10000` the share of events that match also grows from 23% to all.
fn exact(c: &mut Criterion) {
    let events = generated();
    let mut group = group(c, "exact/cloudtrail-gen-1k", &events);
    group.sample_size(10);
    bench_serde_json(&mut group, &events);
    for n in [1, 10, 100, 1000, 10_000] {
        bench_set(&mut group, &format!("set-{n}"), &sets::exact(n), &events);
    }
    let same = sets::exact_same_matches(10_000);
    bench_set(&mut group, "same-matches-10000", &same, &events);
    for n in [1, 10, 100, 1000] {
        bench_reference(
            &mut group,
            &format!("reference-{n}"),
            &sets::exact(n),
            &events,
        );
    }
    for n in [1, 10, 100, 1000, 10_000] {
        let patterns = sets::exact_eventbridge(n).into_iter().enumerate();
        bench_quamina(&mut group, &format!("quamina-{n}"), patterns, &events);
    }
    group.finish();
}

/// `wildcard/cloudtrail-gen-1k/…`: 100 and 1,000 prefix / suffix / contains globs.
fn wildcard(c: &mut Criterion) {
    let events = generated();
    let mut group = group(c, "wildcard/cloudtrail-gen-1k", &events);
    group.sample_size(10);
    bench_serde_json(&mut group, &events);
    for n in [100, 1000] {
        bench_set(&mut group, &format!("set-{n}"), &sets::wildcard(n), &events);
        bench_reference(
            &mut group,
            &format!("reference-{n}"),
            &sets::wildcard(n),
            &events,
        );
        let patterns = sets::wildcard_eventbridge(n).into_iter().enumerate();
        bench_quamina(&mut group, &format!("quamina-{n}"), patterns, &events);
    }
    group.finish();
}

/// `terms/cloudtrail-gen-1k/…`: 10 and 1,000 term patterns (target: 1,000 within 2 times the
/// time of 10). EventBridge has no term patterns: no `quamina` variant. `same-matches-1000`: the
/// 10 patterns of `set-10` and 990 of the same shapes over made-up names
/// ([`sets::terms_same_matches`]), where `set-1000`'s names occur in the events and match 7
/// times as often as `set-10`'s.
fn terms(c: &mut Criterion) {
    let events = generated();
    let mut group = group(c, "terms/cloudtrail-gen-1k", &events);
    bench_serde_json(&mut group, &events);
    for n in [10, 1000] {
        bench_set(&mut group, &format!("set-{n}"), &sets::terms(n), &events);
        bench_reference(
            &mut group,
            &format!("reference-{n}"),
            &sets::terms(n),
            &events,
        );
    }
    let same = sets::terms_same_matches(1000);
    bench_set(&mut group, "same-matches-1000", &same, &events);
    group.finish();
}

/// `regex/cloudtrail-gen-1k/…`: 16 regex patterns (terms and JSON values). EventBridge has no
/// equivalent of CloudWatch's regexes: no `quamina` variant.
fn regex(c: &mut Criterion) {
    let events = generated();
    let patterns = sets::regex();
    let mut group = group(c, "regex/cloudtrail-gen-1k", &events);
    bench_serde_json(&mut group, &events);
    let name = format!("set-{}", patterns.len());
    bench_set(&mut group, &name, &patterns, &events);
    let name = format!("reference-{}", patterns.len());
    bench_reference(&mut group, &name, &patterns, &events);
    group.finish();
}

/// `vpc/flow-logs-gen-10k/…`: space-delimited patterns on VPC flow-log records. The baseline
/// `split-fields` only splits each record at its spaces; there is no JSON and no `quamina`.
fn vpc(c: &mut Criterion) {
    let events = FlowLogs::new(SEED).records(10_000);
    let mut group = group(c, "vpc/flow-logs-gen-10k", &events);
    group.bench_function("split-fields", |b| {
        b.iter(|| {
            let mut fields = 0usize;
            for event in &events {
                fields += black_box(event.as_str()).split(' ').count();
            }
            black_box(fields)
        })
    });
    bench_set(&mut group, "set-6", &sets::vpc(6), &events);
    bench_set(&mut group, "set-100", &sets::vpc(100), &events);
    bench_reference(&mut group, "reference-100", &sets::vpc(100), &events);
    group.finish();
}

/// `read/cloudtrail-gen-1k/…`: reading log files with `trailmatch_cloudtrail::logs`, per
/// record (the input is held in memory, so the figures are the reader's, not the disk's).
///
/// * `serde_json-ignored`: baseline, `serde_json::from_slice::<IgnoredAny>` of each record: a
///   syntax check that builds nothing, the least a strict reader must do.
/// * `reader-jsonl`: `read_stream` over the records as JSON Lines, counting records.
/// * `reader-records`: the same over the records as one `{"Records":[…]}` document (an S3 log
///   file, not gzipped).
fn read(c: &mut Criterion) {
    use trailmatch_cloudtrail::logs::{Item, Options, read_stream};

    let events = generated();
    let jsonl = events.iter().fold(String::new(), |mut text, event| {
        text.push_str(event);
        text.push('\n');
        text
    });
    let records = format!("{{\"Records\":[{}]}}", events.join(","));
    let count = |bytes: &[u8]| {
        read_stream("bench", bytes, Options::default())
            .filter(|item| matches!(item, Item::Record(_)))
            .count()
    };
    assert_eq!(count(jsonl.as_bytes()), events.len());
    assert_eq!(count(records.as_bytes()), events.len());
    let mut group = group(c, "read/cloudtrail-gen-1k", &events);
    group.bench_function("serde_json-ignored", |b| {
        b.iter(|| {
            for event in &events {
                let value: serde::de::IgnoredAny =
                    serde_json::from_slice(black_box(event.as_bytes())).expect("event is JSON");
                black_box(value);
            }
        })
    });
    group.bench_function("reader-jsonl", |b| {
        b.iter(|| black_box(count(black_box(jsonl.as_bytes()))))
    });
    group.bench_function("reader-records", |b| {
        b.iter(|| black_box(count(black_box(records.as_bytes()))))
    });
    group.finish();
}

/// `read/page-cache-128MiB/…`: the kernel's copy of a file in the page cache into memory, 128
/// MiB (more than the processor's caches hold, as with a log file) read 1 MiB at a time, by
/// where the bytes land: `aligned`, each at an address equal to its
/// offset in the file modulo 64 (where `trailmatch_cloudtrail`'s readers put them since
/// 15621fd); `16-off`, 16 bytes past that (where they landed before, at the start of a buffer
/// from `malloc`); `8-off`. `read` copies with `rep movsb`, whose speed depends on that when the
/// bytes come from memory (from the cache, 8 MiB ran at 26 GiB/s all three ways).
fn page_cache(c: &mut Criterion) {
    use std::io::{Read, Seek, SeekFrom};

    const MIB: usize = 1 << 20;
    let path = std::env::temp_dir().join(format!("trailmatch-bench-{}", std::process::id()));
    std::fs::write(&path, vec![b'x'; 128 * MIB]).expect("a file in the temporary directory");
    let mut file = std::fs::File::open(&path).expect("the file just written");
    let mut buf = vec![0u8; MIB + 128];
    let aligned = (64 - buf.as_ptr().addr() % 64) % 64;
    let mut group = c.benchmark_group("read/page-cache-128MiB");
    group.throughput(Throughput::Bytes(128 * MIB as u64));
    for (name, off) in [("aligned", 0), ("16-off", 16), ("8-off", 8)] {
        let dest = &mut buf[aligned + off..][..MIB];
        group.bench_function(name, |b| {
            b.iter(|| {
                file.seek(SeekFrom::Start(0)).expect("seek");
                for _ in 0..128 {
                    file.read_exact(dest).expect("128 MiB to read");
                }
                black_box(&dest[..64]);
            })
        });
    }
    group.finish();
    drop(file);
    let _ = std::fs::remove_file(&path);
}

/// Short runs: the machine has 2 cores and the whole suite should finish in about 4 minutes.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse, compile, match_real, cis, eventbridge, scan, exact, wildcard, terms, regex, vpc, read, page_cache
}
criterion_main!(benches);
