use super::*;
use crate::{EventPattern, Origin, test_event_pattern};

fn both(pattern: &str, event: &str) -> bool {
    let p = EventPattern::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    let fast = p.matches(event);
    let slow = p.reference().matches(event);
    assert_eq!(
        fast, slow,
        "matcher and reference disagree on {pattern} / {event}"
    );
    fast
}

/// The indices of the patterns whose reference evaluator matches `event`.
fn reference_matches<P: AsRef<str>>(patterns: &[P], event: &str) -> Vec<usize> {
    patterns
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            EventPattern::new(p.as_ref())
                .unwrap()
                .reference()
                .matches(event)
        })
        .map(|(i, _)| i)
        .collect()
}

fn error(pattern: &str) -> Error {
    match EventPattern::new(pattern) {
        Ok(_) => panic!("{pattern} is accepted"),
        Err(e) => e,
    }
}

/// `explain` judges each value and operator on its own: a field holding the value anywhere (in
/// an array too), `exists: false` on an absent field, and a match of the whole pattern only when
/// every part holds in one `$or` branch.
#[test]
fn explain_says_which_parts_held() {
    let text = r#"{"detail": {"tags": ["prod"], "n": [{"numeric": [">", 10]}], "gone": [{"exists": false}],
        "$or": [{"a": ["x"]}, {"b": [{"prefix": "y"}]}]}}"#;
    let pattern = EventPattern::new(text).unwrap();
    let held = |event: &str| -> Vec<(String, bool)> {
        pattern
            .explain(event)
            .unwrap()
            .into_iter()
            .map(|o| (text[o.span.start..o.span.end].to_owned(), o.holds))
            .collect()
    };
    let event = r#"{"detail": {"tags": ["dev", "prod"], "n": 3, "b": "yes"}}"#;
    assert_eq!(
        held(event),
        [
            (r#""prod""#.to_owned(), true),
            (r#"{"numeric": [">", 10]}"#.to_owned(), false),
            (r#"{"exists": false}"#.to_owned(), true),
            (r#""x""#.to_owned(), false),
            (r#"{"prefix": "y"}"#.to_owned(), true),
        ]
    );
    assert!(!pattern.matches(event));
    let all = r#"{"detail": {"tags": "prod", "n": 11, "a": "x", "gone": null}}"#;
    assert_eq!(
        held(all).iter().map(|(_, h)| *h).collect::<Vec<_>>(),
        [true, true, false, true, false]
    );
    assert_eq!(
        pattern.explain(all).unwrap()[0].condition,
        r#""detail.tags": ["prod"]"#
    );
    assert!(pattern.explain("[1]").is_none());
    assert!(pattern.explain("not json").is_none());
}

#[test]
fn the_guides_first_example() {
    let pattern = r#"{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]}}"#;
    let event = r#"{"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification",
        "detail": {"instance-id": "i-1", "state": "terminated"}}"#;
    assert!(both(pattern, event));
    assert!(!both(pattern, &event.replace("terminated", "running")));
}

#[test]
fn array_consistency() {
    // Both fields from the same element of `a`: matches; from different elements: does not.
    let pattern = r#"{"a": {"b": ["x"], "c": ["y"]}}"#;
    assert!(both(
        pattern,
        r#"{"a": [{"b": "x", "c": "y"}, {"b": "z"}]}"#
    ));
    assert!(!both(
        pattern,
        r#"{"a": [{"b": "x", "c": "z"}, {"b": "z", "c": "y"}]}"#
    ));
    // exists: false is checked in the element chosen for the fields before it (by path).
    let absent = r#"{"a": {"b": ["x"], "c": [{"exists": false}]}}"#;
    assert!(both(absent, r#"{"a": [{"b": "x"}, {"c": "y"}]}"#));
    assert!(!both(absent, r#"{"a": [{"b": "x", "c": "y"}]}"#));
}

#[test]
fn numbers_compare_as_numbers() {
    assert!(both(r#"{"n": [300]}"#, r#"{"n": 3.0e2}"#));
    assert!(both(r#"{"n": [300]}"#, r#"{"n": 300.0}"#));
    assert!(!both(r#"{"n": [300]}"#, r#"{"n": "300"}"#));
    assert!(both(
        r#"{"n": [12345678901234567890]}"#,
        r#"{"n": 12345678901234567890}"#
    ));
    assert!(both(
        r#"{"n": [{"numeric": [">", 0, "<=", 5]}]}"#,
        r#"{"n": 5}"#
    ));
    assert!(!both(
        r#"{"n": [{"numeric": [">", 0, "<=", 5]}]}"#,
        r#"{"n": 0}"#
    ));
}

#[test]
fn duplicate_keys() {
    // In the pattern the last array of a path wins; in the event every value counts.
    let pattern = r#"{"a": [{"prefix": "us-"}], "a": [{"anything-but": "us-east"}]}"#;
    assert!(both(pattern, r#"{"a": "eu-west"}"#));
    assert!(both(r#"{"a": ["x"]}"#, r#"{"a": "y", "a": "x"}"#));
}

#[test]
fn errors_carry_event_ruler_messages_and_spans() {
    let e = error(r#"{"source": "aws.ec2"}"#);
    assert_eq!(e.code(), "event-pattern-structure");
    assert_eq!(
        e.message(),
        "Event pattern is not valid. Reason: \"source\" must be an object or an array"
    );
    assert_eq!(e.span(), Span::new(11, 20));
    assert_eq!(e.origin(), Origin::EventPattern);
    let e = error(r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#);
    assert_eq!(e.code(), "event-pattern-number");
    let e = error(r#"{"a": [{"wildcard": "a**"}]}"#);
    assert_eq!(
        e.message(),
        "Event pattern is not valid. Reason: Consecutive wildcard characters at pos 2"
    );
}

#[test]
fn or_combinations_are_counted_before_expanding() {
    let or = r#""$or": [{"a": ["1"]}, {"b": ["2"]}]"#;
    let nested = (0..11).fold(String::from(r#"{"z": ["0"]}"#), |inner, _| {
        format!(r#"{{{or}, "n": {inner}}}"#)
    });
    let e = error(&nested);
    assert_eq!(e.code(), "event-pattern-too-many-rules");
}

#[test]
fn wildcard_complexity_counts_open_stars() {
    let three = r#"{"a": [{"wildcard": "*1*"}, {"wildcard": "*2*"}, {"wildcard": "*3*"}]}"#;
    assert!(EventPattern::new(three).is_ok());
    let four = r#"{"a": [{"wildcard": "*1*"}, {"wildcard": "*2*"}, {"wildcard": "*3*"}, {"wildcard": "*4*"}]}"#;
    assert_eq!(error(four).code(), "event-pattern-too-complex");
    // Distinct literal prefixes are never open together.
    let many: Vec<String> = (0..20)
        .map(|i| format!(r#"{{"wildcard": "p{i:02}/*"}}"#))
        .collect();
    assert!(EventPattern::new(&format!(r#"{{"a": [{}]}}"#, many.join(","))).is_ok());
}

#[test]
fn the_size_quota_is_2048_characters_by_default() {
    let fill = |n: usize| format!(r#"{{"a": ["{}"]}}"#, "é".repeat(n - 11));
    assert!(EventPattern::new(&fill(2048)).is_ok());
    let e = error(&fill(2049));
    assert_eq!(e.code(), "event-pattern-too-long");
    let raised = EventPatternLimits::default().with_max_chars(4096);
    assert!(EventPattern::with_limits(&fill(4096), raised).is_ok());
    // A megabyte is refused before it is read.
    let huge = "[".repeat(1 << 20);
    assert_eq!(error(&huge).code(), "event-pattern-too-long");
}

#[test]
fn objects_nested_deeper_than_100_are_refused() {
    let nest = |n: usize| format!("{}[1]{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    assert!(EventPattern::new(&nest(100)).is_ok());
    assert_eq!(error(&nest(101)).code(), "event-pattern-too-deep");
}

#[test]
fn test_event_pattern_checks_the_envelope() {
    let event = r#"{"id": "1", "account": "1", "source": "s", "time": "t", "region": "r", "detail-type": "d"}"#;
    let answer = test_event_pattern(r#"{"source": ["s"]}"#, event).unwrap();
    assert!(answer.result);
    let e = test_event_pattern(r#"{"source": ["s"]}"#, r#"{"source": "s"}"#).unwrap_err();
    assert_eq!(e.code(), "invalid-event");
    assert_eq!(e.message(), "Parameter Event is not valid.");
    assert_eq!(e.origin(), Origin::Event);
}

/// Fields in two arrays of 2,000 objects each, and a third field no value satisfies: the matcher
/// does not try the 4,000,000 pairs of elements.
#[test]
fn many_array_elements_do_not_multiply() {
    let items = |key: &str| {
        let one = format!(r#"{{"{key}": 1}}"#);
        format!("[{}]", vec![one; 2000].join(","))
    };
    let event = format!(r#"{{"x": {}, "y": {}, "z": 2}}"#, items("a"), items("b"));
    let p = EventPattern::new(r#"{"x": {"a": [1]}, "y": {"b": [1]}, "z": [1]}"#).unwrap();
    let start = std::time::Instant::now();
    assert!(!p.matches(&event));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let p = EventPattern::new(r#"{"x": {"a": [1]}, "y": {"b": [1]}, "z": [2]}"#).unwrap();
    assert!(p.matches(&event));
    // Every field has matching values, but y.b and y.c never share an element: the walk keeps
    // the element of x (irrelevant to the fields after it) out of what it remembers.
    let items = |n: usize| {
        let mut v: Vec<String> = vec![r#"{"b": 1}"#.to_owned(); n];
        if let Some(first) = v.first_mut() {
            *first = r#"{"c": 1}"#.to_owned();
        }
        format!("[{}]", v.join(","))
    };
    let event = format!(
        r#"{{"x": {}, "y": {}}}"#,
        {
            let one = r#"{"a": 1}"#;
            format!("[{}]", vec![one; 2000].join(","))
        },
        items(2000)
    );
    let p = EventPattern::new(r#"{"x": {"a": [1]}, "y": {"b": [1], "c": [1]}}"#).unwrap();
    let start = std::time::Instant::now();
    assert!(!p.matches(&event));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn canonical_form() {
    let print = |p: &str| EventPattern::new(p).unwrap().ast().to_string();
    assert_eq!(
        print(
            r#"{ "source" : [ "aws.ec2" ], "detail": {"n": [{"numeric": [ ">", 0, "<=", 5e0 ]}]} }"#
        ),
        r#"{"source":["aws.ec2"],"detail":{"n":[{"numeric":[">",0e0,"<=",5e0]}]}}"#
    );
    assert_eq!(
        print(
            r#"{"ip": [{"exactly": "10.0.0.1"}, "10.0.0.2", {"anything-but": {"prefix": ["a", "b"]}}]}"#
        ),
        r#"{"ip":[{"exactly":"10.0.0.1"},"10.0.0.2",{"anything-but":{"prefix":["a","b"]}}]}"#
    );
    assert_eq!(
        print(r#"{"$or": [{"a": [{"wildcard": "x\\*"}]}, {"b": [1.50, null, true]}]}"#),
        r#"{"$or":[{"a":[{"wildcard":"x\\*"}]},{"b":[1.50,null,true]}]}"#
    );
}

#[test]
fn an_event_pattern_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<EventPattern>();
}

mod properties {
    use proptest::prelude::*;

    use crate::EventPattern;

    const KEYS: &[&str] = &["a", "b", "c"];

    /// Event values: leaves of every type, arrays and objects, three levels deep.
    fn event_value() -> impl Strategy<Value = String> {
        let leaves = vec![
            r#""x""#,
            r#""y""#,
            r#""X""#,
            r#""""#,
            r#""10.0.0.1""#,
            r#""xyz""#,
            "0",
            "1",
            "1.0",
            "5",
            "-3",
            "300",
            "1e400",
            "true",
            "false",
            "null",
        ];
        crate::json::strategies::value(leaves, KEYS, 3, 24, 4)
    }

    fn event() -> impl Strategy<Value = String> {
        prop::collection::vec((prop::sample::select(KEYS), event_value()), 0..4)
            .prop_map(|members| crate::json::strategies::object(&members))
    }

    /// The elements of a pattern's arrays: every kind of operator.
    fn matcher() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            r#""x""#,
            r#""y""#,
            r#""""#,
            r#""10.0.0.1""#,
            "1",
            "5.0",
            "300",
            "null",
            "true",
            r#"{"prefix": "x"}"#,
            r#"{"suffix": "z"}"#,
            r#"{"prefix": {"equals-ignore-case": "X"}}"#,
            r#"{"equals-ignore-case": "X"}"#,
            r#"{"wildcard": "*y*"}"#,
            r#"{"anything-but": "x"}"#,
            r#"{"anything-but": [1, 5]}"#,
            r#"{"anything-but": {"prefix": "x"}}"#,
            r#"{"numeric": [">", 0, "<=", 5]}"#,
            r#"{"numeric": ["=", 300]}"#,
            r#"{"exists": true}"#,
            r#"{"exists": false}"#,
            r#"{"cidr": "10.0.0.0/24"}"#,
        ])
        .prop_map(str::to_owned)
    }

    fn object(depth: u32) -> BoxedStrategy<String> {
        let array =
            prop::collection::vec(matcher(), 1..3).prop_map(|m| format!("[{}]", m.join(",")));
        let value = if depth == 0 {
            array.boxed()
        } else {
            prop_oneof![3 => array, 1 => object(depth - 1)].boxed()
        };
        let members = prop::collection::vec((prop::sample::select(KEYS), value), 1..3);
        let or = if depth == 0 {
            Just(None::<(String, String)>).boxed()
        } else {
            prop::option::weighted(0.3, (object(depth - 1), object(depth - 1))).boxed()
        };
        (members, or)
            .prop_map(|(members, or)| {
                let mut body: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                if let Some((x, y)) = or {
                    body.push(format!("\"$or\":[{x},{y}]"));
                }
                format!("{{{}}}", body.join(","))
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The matcher and the reference evaluator agree on generated patterns and events.
        #[test]
        fn matcher_agrees_with_reference(pattern in object(2), event in event()) {
            let p = EventPattern::new(&pattern);
            prop_assume!(p.is_ok());
            let p = p.unwrap();
            prop_assert_eq!(p.matches(&event), p.reference().matches(&event), "{} / {}", pattern, event);
        }

        /// A set answers what each of its patterns' reference evaluators answers.
        #[test]
        fn sets_agree_with_the_reference(
            patterns in proptest::collection::vec(object(2), 1..6),
            event in event(),
        ) {
            let valid: Vec<&String> =
                patterns.iter().filter(|p| EventPattern::new(p).is_ok()).collect();
            prop_assume!(!valid.is_empty());
            let set = crate::EventPatternSet::new(&valid).unwrap();
            let want = super::reference_matches(&valid, &event);
            prop_assert_eq!(set.matches(&event), want.clone(), "{:?} / {}", valid, event);
            prop_assert_eq!(set.is_match(&event), !want.is_empty());
        }

        /// The canonical form of a generated pattern prints back to itself and answers the same.
        #[test]
        fn canonical_form_round_trips(pattern in object(2), event in event()) {
            let p = EventPattern::new(&pattern);
            prop_assume!(p.is_ok());
            let p = p.unwrap();
            let printed = p.ast().to_string();
            let again = EventPattern::new(&printed).unwrap();
            prop_assert_eq!(again.ast().to_string(), printed);
            prop_assert_eq!(again.matches(&event), p.matches(&event));
        }

        /// Any text is a pattern or an error, never a panic.
        #[test]
        fn any_text_is_accepted_or_refused(text in ".{0,64}") {
            let _ = EventPattern::new(&text);
        }

        /// Patterns cut short or with a character changed are refused with a span inside the text.
        #[test]
        fn broken_patterns_give_spans_inside_the_text(pattern in object(1), cut in 0usize..200) {
            let cut = pattern.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(pattern.len());
            let broken = &pattern[..cut];
            if let Err(e) = EventPattern::new(broken) {
                prop_assert!(e.span().end <= broken.len());
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

/// A key that starts with a dot names that key, not a member of the empty key: `{". ": …}` is
/// no `{" ": …}` (the compiled trie once joined them; found by the `event_pattern` fuzz target).
#[test]
fn a_key_with_a_leading_dot_is_that_key() {
    let p = EventPattern::new(r#"{". ":[300]}"#).unwrap();
    for (event, want) in [
        (r#"{". ": 300}"#, true),
        (r#"{". ": 300.0}"#, true),
        (r#"{" ": 300}"#, false),
        (r#"{"": {" ": 300}}"#, false),
        (r#"{"n": 300.0"#, false),
    ] {
        assert_eq!(p.reference().matches(event), want, "{event}");
        assert_eq!(p.matches(event), want, "{event}");
    }
    let again = EventPattern::new(&p.ast().to_string()).unwrap();
    assert!(again.matches(r#"{". ": 300}"#));
}

/// Prefixes and suffixes are compared as written while a path has at most `DIRECT_GLOBS` (16), and
/// searched with the path's regex when it has more: a set answers as the reference does on
/// both sides of that line, with `anything-but` forms among them.
#[test]
fn prefixes_and_suffixes_on_one_path_agree_with_the_reference() {
    let forms = |i: usize| {
        [
            format!(r#"{{"errorCode":[{{"prefix":"Access{i}"}}]}}"#),
            format!(r#"{{"errorCode":[{{"suffix":"{i}Exception"}}]}}"#),
            format!(r#"{{"errorCode":[{{"anything-but":{{"prefix":"Throttl{i}"}}}}]}}"#),
            format!(r#"{{"errorCode":[{{"anything-but":{{"suffix":"{i}Fault"}}}}]}}"#),
            format!(r#"{{"errorCode":[{{"prefix":"Access{i}"}},{{"suffix":"é{i}"}}]}}"#),
        ]
    };
    // For the first affixes (one pattern of each form: five affixes, compared as written) and
    // for later ones (more than eight: the regex).
    let values: Vec<String> = [0, 3]
        .into_iter()
        .flat_map(|i| {
            [
                format!("Access{i}Denied"),
                format!("Access{i}"),
                format!("NoAccess{i}"),
                format!("access{i}Denied"),
                format!("Throttl{i}ing"),
                format!("xThrottl{i}"),
                format!("No{i}Exception"),
                format!("{i}ExceptionX"),
                format!("Bad{i}Fault"),
                format!("{i}Faulty"),
                format!("café{i}"),
                format!("café{i}x"),
            ]
        })
        .chain(["Exception".to_owned(), String::new()])
        .collect();
    for n in [1, 4, 12] {
        let patterns: Vec<String> = (0..n).flat_map(forms).collect();
        let set = crate::EventPatternSet::new(&patterns).unwrap();
        // Every affix as a string of another key, so that no event is ruled out before its
        // `errorCode` is compared.
        let decoys: Vec<String> = (0..n)
            .flat_map(|i| {
                [
                    format!("Access{i}"),
                    format!("{i}Exception"),
                    format!("Throttl{i}"),
                    format!("{i}Fault"),
                    format!("é{i}"),
                ]
            })
            .map(|d| format!("\"{d}\""))
            .collect();
        let decoys = decoys.join(",");
        for value in &values {
            for event in [
                format!(r#"{{"errorCode":"{value}"}}"#),
                format!(r#"{{"other":[{decoys}],"errorCode":"{value}"}}"#),
                format!(r#"{{"errorCode":["x","{value}"]}}"#),
                format!(r#"{{"errorCode":7,"other":"{value}"}}"#),
            ] {
                let want = reference_matches(&patterns, &event);
                assert_eq!(set.matches(&event), want, "{n} / {event}");
            }
        }
    }
}

/// A rule's fields in event-ruler's order: Java compares strings by UTF-16 code units, which
/// puts a character past U+FFFF (a surrogate pair, from 0xD800) before one from U+E000, against
/// their order as characters and as UTF-8 bytes; every other pair of paths keeps its byte order.
#[test]
fn rule_fields_are_ordered_as_java_orders_strings() {
    let ast = parse_event_pattern(
        r#"{"b": ["1"], "\ue000": ["2"], "\ud83d\ude00": ["3"], "a": {"z": ["4"]}, "é": ["5"]}"#,
    )
    .unwrap();
    let rules = ast.rules();
    let order: Vec<&str> = rules[0].ordered().into_iter().map(|(p, _)| p).collect();
    assert_eq!(order, ["a.z", "b", "é", "\u{1f600}", "\u{e000}"]);
    let ascii = parse_event_pattern(r#"{"b": ["1"], "a": {"z": ["4"]}, "a-": ["5"]}"#).unwrap();
    let rules = ascii.rules();
    let order: Vec<&str> = rules[0].ordered().into_iter().map(|(p, _)| p).collect();
    assert_eq!(order, ["a-", "a.z", "b"]);
}

/// A rule of many paths, each written twice and in reverse order: every path once, in byte
/// order, with its last array (the expansion sorts once: kept sorted as it grew, the list cost
/// the square of its length).
#[test]
fn a_rule_of_many_paths_keeps_each_paths_last_array() {
    let n = 20_000;
    let members: Vec<String> = (0..n)
        .rev()
        .map(|i| format!(r#""k{i:05}": ["old"], "k{i:05}": ["new"]"#))
        .collect();
    let pattern = format!("{{{}}}", members.join(", "));
    let limits = EventPatternLimits::default().with_max_chars(pattern.len());
    let rules = parse_event_pattern_with(&pattern, &limits).unwrap().rules();
    assert_eq!(rules.len(), 1);
    let fields = &rules[0].fields;
    assert_eq!(fields.len(), n);
    assert!(fields.is_sorted_by(|a, b| a.0 < b.0));
    assert_eq!(fields.first().map(|(p, _)| p.as_str()), Some("k00000"));
    let new = MatcherKind::Exact("new".into());
    assert!(
        fields
            .iter()
            .all(|(_, f)| f.matchers.len() == 1 && f.matchers[0].kind == new)
    );
}
