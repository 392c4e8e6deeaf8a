//! The conformance suite: every case file under `tests/cases` run against every evaluator, and the
//! third-party corpus under `tests/corpus`. Each test collects all its failures and prints them
//! together, with the case names, before failing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use trailmatch::reference::{Evaluator, Event};
use trailmatch::{Dialect, Extracted, Pattern, PatternSet};
use trailmatch_conformance::{
    CaseFile, ExpectedFailures, RealPattern, Report, cases_dir, check_names, cloudtrail_events,
    corpus_dir, guarded, load_case_files, read_jsonl, run_case, run_event_case, run_metric_case,
    run_set_case, run_test_event_pattern_case, run_test_metric_filter_case,
};

#[test]
fn cases() {
    let mut report = Report::default();
    let files = load_case_files(&cases_dir(), &mut report);
    check_names(&files, &mut report);
    for (_, file) in &files {
        for c in &file.case {
            run_case(&mut report, c);
        }
        for c in &file.metric_case {
            run_metric_case(&mut report, c);
        }
        for c in &file.test_metric_filter {
            run_test_metric_filter_case(&mut report, c);
        }
        for c in &file.set_case {
            run_set_case(&mut report, c);
        }
        for c in &file.event_case {
            run_event_case(&mut report, c);
        }
        for c in &file.test_event_pattern {
            run_test_event_pattern_case(&mut report, c);
        }
    }
    report.finish("conformance");
}

/// The codes of `ErrorKind::code`, read from core's source so that a new kind needs a case.
fn core_error_codes() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src/error.rs");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let Some(body) = text
        .split_once("pub fn code(&self)")
        .and_then(|(_, rest)| rest.split_once("pub fn message(&self)"))
        .map(|(body, _)| body)
    else {
        return Vec::new();
    };
    body.lines()
        .filter_map(|line| line.split_once("=> \"")?.1.split_once('"'))
        .map(|(code, _)| code.to_owned())
        .collect()
}

/// Every error kind has a case in `errors.toml` (or, for event patterns, `eventbridge-errors.toml`),
/// and every error case there pins its span and its rendering (or says what is wrong with the
/// rendering).
#[test]
fn every_error_kind_has_a_pinned_case() {
    let mut report = Report::default();
    let files = load_case_files(&cases_dir(), &mut report);
    let errors: Vec<&CaseFile> = files
        .iter()
        .filter(|(name, _)| name == "errors.toml" || name == "eventbridge-errors.toml")
        .map(|(_, f)| f)
        .collect();
    report.check("errors.toml", errors.len() == 2, || {
        "errors.toml or eventbridge-errors.toml is missing".into()
    });
    let error_cases: Vec<_> = errors.iter().flat_map(|f| f.error_cases()).collect();
    for (name, want) in &error_cases {
        report.cases += 1;
        report.check(name, want.span.is_some(), || {
            "an error case in errors.toml pins `span`".into()
        });
        report.check(
            name,
            want.rendered.is_some() != want.rendering_issue.is_some(),
            || {
                "an error case in errors.toml has `rendered`, or `rendering_issue` saying what is \
                 wrong with the rendering"
                    .into()
            },
        );
    }
    let covered: BTreeSet<&str> = error_cases.iter().map(|(_, want)| want.code).collect();
    let codes = core_error_codes();
    report.check("ErrorKind", codes.len() > 30, || {
        format!("could not read the codes from core/src/error.rs (found {codes:?})")
    });
    for code in &codes {
        report.check(code, covered.contains(code.as_str()), || {
            "no error case in errors.toml".into()
        });
    }
    for code in covered {
        report.check(code, codes.iter().any(|c| c == code), || {
            "errors.toml expects a code core does not have".into()
        });
    }
    report.finish("error kinds");
}

/// Every real-world pattern parses, or fails with the code `real-patterns-expected.toml` gives it.
#[test]
fn real_patterns_parse_or_fail_as_expected() {
    run("real patterns", real_patterns);
}

/// Runs a test body that may stop early on unreadable input, then reports.
fn run(title: &str, body: fn(&mut Report) -> Result<(), String>) {
    let mut report = Report::default();
    if let Err(e) = body(&mut report) {
        report.fail(title, e);
    }
    report.finish(title);
}

fn real_patterns(report: &mut Report) -> Result<(), String> {
    let patterns: Vec<RealPattern> = read_jsonl(&corpus_dir().join("real-patterns.jsonl"))?;
    let expected_path = corpus_dir().join("real-patterns-expected.toml");
    let expected: ExpectedFailures = std::fs::read_to_string(&expected_path)
        .map_err(|e| format!("{}: {e}", expected_path.display()))
        .and_then(|t| {
            toml::from_str(&t).map_err(|e| format!("{}: {e}", expected_path.display()))
        })?;
    let mut listed: BTreeMap<&str, &str> = BTreeMap::new();
    for f in &expected.failure {
        let fresh = listed.insert(&f.pattern, &f.code).is_none();
        report.check(&f.pattern, fresh && !f.why.trim().is_empty(), || {
            "listed twice, or without a `why`".into()
        });
    }
    report.check("real-patterns.jsonl", !patterns.is_empty(), || {
        "no patterns".into()
    });
    let mut rejected = 0;
    for p in &patterns {
        report.cases += 1;
        let label = format!("{:?} ({})", p.pattern, p.source);
        match (Pattern::new(&p.pattern), listed.get(p.pattern.as_str())) {
            (Ok(_), None) => report.checks += 1,
            (Ok(_), Some(code)) => report.fail(
                &label,
                format!("parses, but is listed as failing with {code}"),
            ),
            (Err(e), Some(code)) => {
                rejected += 1;
                report.check(&label, e.code() == *code, || {
                    format!("fails with {}, listed as {code}:\n{e}", e.code())
                });
            }
            (Err(e), None) => report.fail(&label, format!("fails and is not listed:\n{e}")),
        }
    }
    let known: BTreeSet<&str> = patterns.iter().map(|p| p.pattern.as_str()).collect();
    for pattern in listed.keys() {
        report.check(pattern, known.contains(pattern), || {
            "listed in real-patterns-expected.toml but not in real-patterns.jsonl".into()
        });
    }
    println!(
        "real patterns: {} parse, {rejected} rejected as expected",
        patterns.len() - rejected
    );
    Ok(())
}

/// Every parsing real pattern against every CloudTrail record: `Pattern`, one `PatternSet` of all
/// of them and the reference evaluator must agree, and nothing may panic.
#[test]
fn cloudtrail_corpus_agreement() {
    run("cloudtrail corpus", cloudtrail_agreement);
}

fn cloudtrail_agreement(report: &mut Report) -> Result<(), String> {
    let patterns: Vec<RealPattern> = read_jsonl(&corpus_dir().join("real-patterns.jsonl"))?;
    let events = cloudtrail_events()?;
    let texts: Vec<&str> = patterns
        .iter()
        .map(|p| p.pattern.as_str())
        .filter(|p| Pattern::new(p).is_ok())
        .collect();
    // `Pattern::test` parses the event again on every call, which costs most of this test's time;
    // so `Pattern` is asked once per distinct syntax tree (patterns with the same canonical form,
    // such as whitespace variants, have the same tree). The reference and the set see them all.
    let mut trees = BTreeSet::new();
    let compiled: Vec<Option<Pattern>> = texts
        .iter()
        .filter_map(|p| Pattern::new(p).ok())
        .map(|p| trees.insert(p.to_string()).then_some(p))
        .collect();
    let references: Vec<Evaluator> = texts
        .iter()
        .filter_map(|p| {
            let ast = trailmatch::parse(p).ok()?;
            Evaluator::new(ast, p, Dialect::default()).ok()
        })
        .collect();
    report.check(
        "corpus",
        !texts.is_empty()
            && !events.is_empty()
            && references.len() == texts.len()
            && compiled.len() == texts.len(),
        || "no patterns or no events, or the reference rejects a pattern Pattern accepts".into(),
    );
    let set = PatternSet::new(&texts).map_err(|e| format!("PatternSet::new: {e}"))?;

    // Threads take the events one at a time; each checks into its own report.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let (events, texts, compiled, references, set) =
        (&events, &texts, &compiled, &references, &set);
    let next = &next;
    let shares: Vec<(Report, usize, BTreeSet<usize>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut r = Report::default();
                    let mut matched = 0;
                    let mut matching = BTreeSet::new();
                    while let Some((label, event)) =
                        events.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        r.cases += 1;
                        guarded(&mut r, label, |r| {
                            let found = agree(r, label, event, texts, compiled, references, set);
                            matched += found.len();
                            matching.extend(found);
                        });
                    }
                    (r, matched, matching)
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    let mut matched = 0;
    let mut matched_patterns = BTreeSet::new();
    for (mut r, n, matching) in shares {
        report.cases += r.cases;
        report.checks += r.checks;
        report.failures.append(&mut r.failures);
        matched += n;
        matched_patterns.extend(matching);
    }
    println!(
        "cloudtrail corpus: {} patterns ({} distinct trees) x {} events = {} pairs, {matched} \
         match; {} patterns match at least one event",
        texts.len(),
        trees.len(),
        events.len(),
        texts.len() * events.len(),
        matched_patterns.len()
    );
    Ok(())
}

/// Checks one event against every pattern through the three evaluators; returns the indices of the
/// patterns that match it.
fn agree(
    r: &mut Report,
    label: &str,
    event: &str,
    texts: &[&str],
    compiled: &[Option<Pattern>],
    references: &[Evaluator],
    set: &PatternSet,
) -> Vec<usize> {
    let shared = Event::new(event);
    let reference: Vec<(usize, Extracted)> = references
        .iter()
        .enumerate()
        .filter_map(|(i, e)| Some((i, e.test_event(&shared)?)))
        .collect();
    let mut expected = reference.iter().peekable();
    for (i, p) in compiled.iter().enumerate() {
        let want = expected.next_if(|(j, _)| *j == i).map(|(_, x)| x);
        if let Some(p) = p {
            r.check(label, p.test(event).as_ref() == want, || {
                format!("Pattern and the reference disagree on {:?}", texts[i])
            });
        }
    }
    r.equal(label, "PatternSet::test", &set.test(event), &reference);
    let indices: Vec<usize> = reference.iter().map(|(i, _)| *i).collect();
    r.equal(label, "PatternSet::matches", &set.matches(event), &indices);
    indices
}

/// A case's `dialect` table is read through `Dialect::set`: every switch name can be written,
/// and a name that is no switch, or a value of the wrong kind, fails to load naming it.
#[test]
fn case_dialects_are_read_by_switch_name() {
    let case = |dialect: &str| {
        format!(
            "[[case]]\nname = \"x\"\npattern = \"a\"\nevent = \"a\"\nmatches = true\n\
             dialect = {{ {dialect} }}\n"
        )
    };
    let read = |dialect: &str| toml::from_str::<CaseFile>(&case(dialect));
    for (name, value) in Dialect::default().switches() {
        let flipped = match value {
            trailmatch::SwitchValue::Bool(b) => (!b).to_string(),
            trailmatch::SwitchValue::Number(n) => (n + 1).to_string(),
        };
        let file = read(&format!("{name} = {flipped}")).expect("a switch name loads");
        let dialect = file.case[0].dialect.dialect();
        assert_eq!(dialect.get(name).map(|v| v.to_string()), Some(flipped));
        assert_ne!(dialect, Dialect::default(), "{name}");
    }
    let unknown = read("absorb_trailing = false").unwrap_err().to_string();
    assert!(
        unknown.contains("unknown dialect switch 'absorb_trailing'"),
        "{unknown}"
    );
    let wrong = read("event_number_base = true").unwrap_err().to_string();
    assert!(wrong.contains("takes a number"), "{wrong}");
}

/// CloudTrail-shaped event patterns (and every event pattern of the case files) against every
/// CloudTrail record of the corpus in a minimal EventBridge envelope: `EventPattern` and the
/// reference evaluator must agree, and nothing may panic.
#[test]
fn eventbridge_cloudtrail_corpus_agreement() {
    run("eventbridge cloudtrail corpus", eventbridge_agreement);
}

fn eventbridge_agreement(report: &mut Report) -> Result<(), String> {
    use trailmatch::event::reference;
    let mut patterns: BTreeSet<String> = [
        r#"{"detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventSource": ["iam.amazonaws.com"]}}"#,
        r#"{"detail": {"eventName": [{"prefix": "Delete"}], "errorCode": [{"exists": false}]}}"#,
        r#"{"detail": {"errorCode": [{"wildcard": "*UnauthorizedOperation"}, {"prefix": "AccessDenied"}]}}"#,
        r#"{"detail": {"userIdentity": {"type": ["Root"], "invokedBy": [{"exists": false}]}, "eventType": [{"anything-but": "AwsServiceEvent"}]}}"#,
        r#"{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/8"}, {"cidr": "192.168.0.0/16"}]}}"#,
        r#"{"detail": {"sourceIPAddress": [{"anything-but": {"suffix": ".amazonaws.com"}}]}}"#,
        r#"{"detail": {"eventName": [{"equals-ignore-case": "consolelogin"}], "responseElements": {"ConsoleLogin": ["Failure"]}}}"#,
        r#"{"detail": {"additionalEventData": {"MFAUsed": [{"anything-but": "Yes"}]}}}"#,
        r#"{"detail": {"resources": {"type": [{"prefix": "AWS::S3"}], "ARN": [{"wildcard": "arn:aws:s3:::*"}]}}}"#,
        r#"{"detail": {"$or": [{"eventName": ["StopLogging", "DeleteTrail"]}, {"eventSource": ["kms.amazonaws.com"], "eventName": [{"prefix": "ScheduleKeyDeletion"}]}]}}"#,
        r#"{"detail": {"readOnly": [false], "eventVersion": [{"numeric": [">=", 1.05]}]}}"#,
        r#"{"detail": {"requestParameters": {"ipPermissions": {"items": {"ipRanges": {"items": {"cidrIp": ["0.0.0.0/0"]}}}}}}}"#,
        r#"{"detail": {"userIdentity": {"sessionContext": {"sessionIssuer": {"type": ["Role"]}, "attributes": {"mfaAuthenticated": ["false"]}}}}}"#,
        r#"{"detail": {"recipientAccountId": [{"anything-but": ["111122223333"]}], "userIdentity": {"accountId": [{"exists": true}]}}}"#,
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    let mut files_report = Report::default();
    for (_, file) in load_case_files(&cases_dir(), &mut files_report) {
        patterns.extend(file.event_case.iter().map(|c| c.pattern.clone()));
    }
    let compiled: Vec<(trailmatch::EventPattern, Vec<trailmatch::event::ast::Rule>)> = patterns
        .iter()
        .filter_map(|p| {
            let pattern = trailmatch::EventPattern::new(p).ok()?;
            let rules = pattern.ast().rules();
            Some((pattern, rules))
        })
        .collect();
    let events = cloudtrail_events()?;
    report.check("corpus", compiled.len() > 100 && !events.is_empty(), || {
        format!("{} patterns, {} events", compiled.len(), events.len())
    });
    let mut matched = 0;
    for (label, record) in &events {
        let service = serde_json::from_str::<serde_json::Value>(record)
            .ok()
            .and_then(|v| v["eventSource"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let service = service.split('.').next().unwrap_or_default();
        let event = format!(
            r#"{{"version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.{service}", "account": "111122223333", "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": {record}}}"#
        );
        let Some(fields) = reference::flatten(&event) else {
            report.fail(label, "the wrapped record is not a JSON object");
            continue;
        };
        report.cases += 1;
        guarded(report, label, |r| {
            for (pattern, rules) in &compiled {
                let want = rules
                    .iter()
                    .any(|rule| reference::rule_matches(rule, &fields));
                let got = pattern.matches(&event);
                matched += usize::from(got);
                r.check(label, got == want, || {
                    format!(
                        "{}: EventPattern says {got}, the reference {want}",
                        pattern.as_str()
                    )
                });
            }
        });
    }
    println!(
        "eventbridge cloudtrail corpus: {} patterns x {} events, {matched} matches",
        compiled.len(),
        events.len()
    );
    Ok(())
}
