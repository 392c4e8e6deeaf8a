//! The compiled engine against the reference evaluator on generated patterns and events.
//!
//! Patterns are drawn from the grammar over the keys and values of the real CloudTrail records
//! in `corpus/cloudtrail/` (so that they match often), events are those records and mutations of
//! them (values changed, keys removed or repeated, escapes, numbers as strings, truncation, a text
//! prefix). For every generated set, `PatternSet::test` must give exactly what each pattern's
//! reference evaluator gives, extracted values included. The sets' line filters (the prefilter
//! over a block of lines, as `trailmatch grep` reads files) must report every line that holds
//! an event some pattern matches.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;
use trailmatch::{EventPattern, EventPatternSet, LineFilter, Pattern, PatternSet, PatternSource};
use trailmatch_conformance::cloudtrail_events;

/// Paths (as selectors) and scalar texts seen in the corpus.
struct Vocabulary {
    events: Vec<String>,
    selectors: Vec<String>,
    values: Vec<String>,
    words: Vec<String>,
}

fn vocabulary() -> &'static Vocabulary {
    static V: OnceLock<Vocabulary> = OnceLock::new();
    V.get_or_init(|| {
        let events: Vec<String> = cloudtrail_events()
            .unwrap_or_default()
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        let mut selectors = std::collections::BTreeSet::new();
        let mut values = std::collections::BTreeSet::new();
        for e in events.iter().take(300) {
            if let Ok(v) = serde_json::from_str::<Value>(e) {
                walk(&v, "$".to_owned(), 0, &mut selectors, &mut values);
            }
        }
        let words = values
            .iter()
            .flat_map(|v: &String| {
                v.split(|c: char| !c.is_alphanumeric())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|w| w.len() >= 3)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .take(400)
            .collect();
        Vocabulary {
            events,
            selectors: selectors.into_iter().take(400).collect(),
            values: values
                .into_iter()
                .filter(|v| v.len() < 60)
                .take(600)
                .collect(),
            words,
        }
    })
}

fn walk(
    v: &Value,
    path: String,
    depth: usize,
    selectors: &mut std::collections::BTreeSet<String>,
    values: &mut std::collections::BTreeSet<String>,
) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let step = if k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    format!(".{k}")
                } else if k.contains('\'') {
                    continue;
                } else {
                    format!(".['{k}']")
                };
                let p = format!("{path}{step}");
                if p != "$" {
                    selectors.insert(p.clone());
                }
                walk(child, p, depth + 1, selectors, values);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate().take(2) {
                walk(child, format!("{path}[{i}]"), depth + 1, selectors, values);
            }
            walk(
                &Value::Null,
                format!("{path}[*]"),
                depth + 1,
                selectors,
                values,
            );
        }
        Value::String(s) => {
            values.insert(s.clone());
        }
        Value::Number(n) => {
            values.insert(n.to_string());
        }
        Value::Bool(b) => {
            values.insert(b.to_string());
        }
        Value::Null => {}
    }
}

fn pick(list: &[String], i: usize) -> &str {
    list.get(i % list.len().max(1)).map_or("x", String::as_str)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One JSON condition over the corpus vocabulary.
fn condition() -> impl Strategy<Value = String> {
    (
        any::<usize>(),
        any::<usize>(),
        0u8..20,
        any::<usize>(),
        1usize..9,
    )
        .prop_map(|(s, v, kind, at, len)| {
            let voc = vocabulary();
            let sel = pick(&voc.selectors, s);
            let val = pick(&voc.values, v);
            // A random piece of a real value, for globs and regexes.
            let chars = val.chars().count().max(1);
            let part: String = val.chars().skip(at % chars).take(len).collect();
            match kind {
                0 | 1 => format!("{sel} = {}", quote(val)),
                2 => format!("{sel} != {}", quote(val)),
                3 => format!("{sel} = {}", quote(&format!("{part}*"))),
                4 => format!("{sel} = {}", quote(&format!("*{part}"))),
                5 => format!("{sel} = {}", quote(&format!("*{part}*"))),
                6 => format!("{sel} != {}", quote(&format!("*{part}*"))),
                7 => format!("{sel} = *"),
                8 => format!("{sel} NOT EXISTS"),
                9 => format!("{sel} IS NULL"),
                10 => format!("{sel} IS TRUE"),
                11 => format!("{sel} IS FALSE"),
                12 => format!("{sel} > {}", v % 2000),
                13 => format!("{sel} = {}", v % 3),
                14 => format!("{sel} <= {}.5", v % 100),
                _ => {
                    let re: String = part
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric())
                        .take(6)
                        .collect();
                    let re = if re.is_empty() { "a".into() } else { re };
                    // Anchored and alternated literals (answered without an automaton), and
                    // one that is not a literal.
                    let re = match kind {
                        16 => format!("^{re}"),
                        17 => format!("{re}$"),
                        18 => {
                            let whole: String = val
                                .chars()
                                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                                .collect();
                            format!("^{whole}$|^{re}$")
                        }
                        19 => format!("^{re}|[0-9]{{2}}{re}$|{re}[a-z]"),
                        _ => re,
                    };
                    format!("{sel} = %{re}%")
                }
            }
        })
}

fn json_pattern() -> impl Strategy<Value = String> {
    let leaf = condition().prop_map(|c| c).boxed();
    let expr = leaf.prop_recursive(3, 12, 4, |inner| {
        (proptest::collection::vec(inner, 2..4), any::<bool>())
            .prop_map(|(xs, and)| format!("({})", xs.join(if and { " && " } else { " || " })))
    });
    expr.prop_map(|e| format!("{{ {e} }}"))
}

fn term_pattern() -> impl Strategy<Value = String> {
    // Regex terms: a corpus word (when it needs no escaping), or one of these.
    const REGEXES: [&str; 5] = [
        r"%\d{1,3}\.\d{1,3}\.%",
        r"%[0-9a-f]{8}-%",
        r"%^\{%",
        r"%Describe[A-Z]%",
        r"%(Access|Deny)%",
    ];
    proptest::collection::vec((any::<usize>(), 0u8..8), 1..4).prop_map(|terms| {
        let voc = vocabulary();
        terms
            .into_iter()
            .map(|(w, m)| {
                let word = pick(&voc.words, w);
                match m {
                    0 | 1 => word.to_owned(),
                    2 => format!("?{word}"),
                    3 => format!("-{word}"),
                    4 => quote(word),
                    5 if word.bytes().all(|b| b.is_ascii_alphanumeric()) => format!("%{word}%"),
                    _ => REGEXES[w % REGEXES.len()].to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// A corpus event, possibly mutated.
fn event() -> impl Strategy<Value = String> {
    (any::<usize>(), 0u8..12, any::<usize>(), any::<usize>()).prop_map(|(e, how, a, b)| {
        let voc = vocabulary();
        let text = pick(&voc.events, e).to_owned();
        let value = pick(&voc.values, a);
        let other = pick(&voc.values, b);
        match how {
            0 => text.replacen(&quote(value), &quote(other), 1),
            1 => text.replacen(
                &quote(value),
                &format!(
                    "\"\\u{:04x}{}\"",
                    value.chars().next().map_or(65, |c| c as u32 & 0xffff),
                    value.chars().skip(1).collect::<String>()
                ),
                1,
            ),
            2 => {
                // Repeat the first member at the end (a duplicate key).
                match (text.find('"'), text.find(',')) {
                    (Some(s), Some(c)) if s < c => {
                        format!("{},{}}}", &text[..text.len() - 1], &text[s..c])
                    }
                    _ => text,
                }
            }
            3 => text.replacen(&quote(value), value, 1),
            4 => text[..text.len() / 2].to_owned(),
            5 => format!("prefix {text}"),
            6 => text.replacen(&quote(value), "null", 1),
            7 => text.replacen(&quote(value), "{\"k\":[1,2]}", 1),
            _ => text,
        }
    })
}

/// The events (those on one line) as the lines of one block, indented, with CRLF line ends
/// and blank lines between them: a line the filter does not report matches nothing.
fn check_lines(
    filter: Option<LineFilter>,
    matches: impl Fn(&str) -> bool,
    events: &[String],
) -> Result<(), TestCaseError> {
    let Some(filter) = filter else {
        return Ok(());
    };
    let mut block = String::new();
    let mut lines = Vec::new();
    for (i, e) in events.iter().filter(|e| !e.contains('\n')).enumerate() {
        block.push_str(["", " \t", "\n"][i % 3]);
        let start = block.len();
        block.push_str(e);
        lines.push((start, e));
        block.push_str(["\n", "\r\n", " \n"][i % 3]);
    }
    let mut reported = Vec::new();
    filter.lines(block.as_bytes(), &mut reported);
    for (start, e) in lines {
        let held = reported.iter().any(|(r, _)| r.contains(&start));
        prop_assert!(held || !matches(e), "line not reported: {}", e);
    }
    Ok(())
}

fn check(patterns: &[String], events: &[String]) -> Result<(), TestCaseError> {
    let compiled: Vec<Pattern> = patterns
        .iter()
        .filter_map(|p| Pattern::new(p).ok())
        .collect();
    let texts: Vec<&str> = compiled.iter().map(Pattern::as_str).collect();
    let set = PatternSet::new(&texts).map_err(|e| TestCaseError::fail(e.to_string()))?;
    // One vector for every event's answer: each call clears what the last one left.
    let mut kept = vec![usize::MAX];
    for e in events {
        let want: Vec<(usize, trailmatch::Extracted)> = compiled
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, p.reference().test(e)?)))
            .collect();
        let got = set.test(e);
        prop_assert_eq!(&got, &want, "patterns {:?}\nevent {}", texts, e);
        let ids: Vec<usize> = want.iter().map(|(i, _)| *i).collect();
        prop_assert_eq!(
            set.matches(e),
            ids.clone(),
            "matches of {:?}\non event {}",
            texts,
            e
        );
        let any = set.is_match(e);
        prop_assert_eq!(
            any,
            !want.is_empty(),
            "is_match of {:?}\non event {}",
            texts,
            e
        );
        // Without the prefilter (a line filter looked already), the same answers.
        prop_assert_eq!(set.test_reported(e), got, "test_reported on {}", e);
        prop_assert_eq!(set.matches_reported(e), set.matches(e));
        set.matches_into(e, &mut kept);
        prop_assert_eq!(&kept, &ids, "matches_into on {}", e);
        set.matches_reported_into(e, &mut kept);
        prop_assert_eq!(&kept, &ids, "matches_reported_into on {}", e);
        prop_assert_eq!(set.is_match_reported(e), any);
        for (i, p) in compiled.iter().enumerate() {
            let one = p.test(e);
            let reference = p.reference().test(e);
            prop_assert_eq!(one, reference, "pattern {} on event {}", i, e);
        }
    }
    check_lines(set.line_filter(&[]), |e| set.is_match(e), events)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn json_sets_agree_with_the_reference(
        patterns in proptest::collection::vec(json_pattern(), 1..12),
        events in proptest::collection::vec(event(), 1..8),
    ) {
        check(&patterns, &events)?;
    }

    #[test]
    fn term_sets_agree_with_the_reference(
        patterns in proptest::collection::vec(term_pattern(), 1..12),
        events in proptest::collection::vec(event(), 1..8),
    ) {
        check(&patterns, &events)?;
    }

    #[test]
    fn delimited_sets_agree_with_the_reference(
        patterns in proptest::collection::vec(delimited_pattern(), 1..12),
        events in proptest::collection::vec(delimited_event(), 1..8),
    ) {
        check(&patterns, &events)?;
    }

    #[test]
    fn mixed_sets_agree_with_the_reference(
        json in proptest::collection::vec(json_pattern(), 0..6),
        terms in proptest::collection::vec(term_pattern(), 0..6),
        events in proptest::collection::vec(event(), 1..6),
    ) {
        let mut patterns = json;
        patterns.extend(terms);
        patterns.push("[a, b, ...]".into());
        check(&patterns, &events)?;
    }
}

// ---- space-delimited sets ----------------------------------------------------------------------

/// A field value of a space-delimited line: a word, a number, or a `"…"` / `[…]` group.
fn delimited_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["ACCEPT", "REJECT", "GET", "10.0.1.7", "-", "eni-1a2b"])
            .prop_map(str::to_owned),
        (0u32..70000).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "\"GET /a HTTP/1.1\"",
            "[10/Oct/2000:13:55:36 -0700]",
            "\"\""
        ])
        .prop_map(str::to_owned),
    ]
}

/// A space-delimited line of 0 to 8 fields, blanks of one or more spaces or tabs.
fn delimited_event() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            delimited_value(),
            prop::sample::select(vec![" ", "  ", "\t"]),
        ),
        0..8,
    )
    .prop_map(|fields| {
        fields
            .into_iter()
            .map(|(v, sep)| format!("{v}{sep}"))
            .collect::<String>()
    })
}

/// One condition on a field named `f`.
fn field_condition() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["ACCEPT", "REJECT", "10.0.*", "*1.7", "GET*", "-"])
            .prop_map(|v| format!("f = {v}")),
        prop::sample::select(vec!["ACCEPT", "GET*"]).prop_map(|v| format!("f != {v}")),
        (
            prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
            0u32..70000
        )
            .prop_map(|(op, n)| format!("f {op} {n}")),
        prop::sample::select(vec!["%^[0-9]+$%", "%REJ%", "%^10\\.%"])
            .prop_map(|r| format!("f = {r}")),
    ]
}

/// A space-delimited pattern of 0 to 7 fields: names, empty fields, at most one `...`, and
/// conditions (some joined with `&&` / `||`).
fn delimited_pattern() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        3 => Just("f".to_owned()),
        1 => Just(String::new()),
        1 => Just("...".to_owned()),
        4 => field_condition(),
        1 => (field_condition(), prop::sample::select(vec!["&&", "||"]), field_condition())
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
    ];
    proptest::collection::vec(field, 0..7).prop_map(|fields| {
        let mut seen_ellipsis = false;
        let named: Vec<String> = fields
            .into_iter()
            .enumerate()
            .filter(|(_, f)| f != "..." || !std::mem::replace(&mut seen_ellipsis, true))
            .map(|(i, f)| match f.as_str() {
                "f" => format!("f{i}"),
                _ => f.replace("f ", &format!("f{i} ")),
            })
            .collect();
        format!("[{}]", named.join(", "))
    })
}

// ---- the prefilter's key probes ---------------------------------------------------------------

/// Selectors that CloudTrail rules select values of, and the values the corpus holds there.
fn keyed_values() -> &'static Vec<(&'static str, Vec<String>)> {
    static V: OnceLock<Vec<(&'static str, Vec<String>)>> = OnceLock::new();
    V.get_or_init(|| {
        let selectors = [
            "$.eventName",
            "$.eventSource",
            "$.userIdentity.type",
            "$.awsRegion",
            "$.errorCode",
            "$.userIdentity.sessionContext.sessionIssuer.type",
        ];
        selectors
            .iter()
            .map(|&sel| {
                let mut values = std::collections::BTreeSet::new();
                for e in &vocabulary().events {
                    let Ok(v) = serde_json::from_str::<Value>(e) else {
                        continue;
                    };
                    let mut node = &v;
                    for step in sel.trim_start_matches("$.").split('.') {
                        node = &node[step];
                    }
                    if let Some(s) = node.as_str() {
                        values.insert(s.to_owned());
                    }
                }
                values.insert("x/y".to_owned());
                (sel, values.into_iter().collect())
            })
            .collect()
    })
}

/// A pattern that selects values of one key: one value, or several joined by `||`, perhaps
/// with another condition.
fn keyed_pattern() -> impl Strategy<Value = String> {
    (
        any::<usize>(),
        proptest::collection::vec(any::<usize>(), 1..5),
        0u8..4,
        any::<usize>(),
    )
        .prop_map(|(s, vs, extra, o)| {
            let keyed = keyed_values();
            let (sel, values) = &keyed[s % keyed.len()];
            let ors: Vec<String> = vs
                .iter()
                // A value with a `/`, which an event may write `\/`, one time in four.
                .map(|&v| {
                    format!(
                        "{sel} = {}",
                        quote(if v % 4 == 0 { "x/y" } else { pick(values, v) })
                    )
                })
                .collect();
            let (other_sel, other_values) = &keyed[o % keyed.len()];
            let other = pick(other_values, o);
            match extra {
                0 => format!("{{ {} }}", ors.join(" || ")),
                1 => format!(
                    "{{ ({}) && {other_sel} = {} }}",
                    ors.join(" || "),
                    quote(other)
                ),
                2 => format!(
                    "{{ ({}) && {other_sel} != {} }}",
                    ors.join(" || "),
                    quote(other)
                ),
                _ => format!(
                    "{{ ({}) || {other_sel} = {} }}",
                    ors.join(" || "),
                    quote(other)
                ),
            }
        })
}

/// A corpus event with a selected value moved, respelled or repeated where the key probes look.
fn keyed_event() -> impl Strategy<Value = String> {
    (any::<usize>(), 0u8..9, any::<usize>(), any::<usize>()).prop_map(|(e, how, k, v)| {
        let voc = vocabulary();
        let text = pick(&voc.events, e).to_owned();
        let keyed = keyed_values();
        let (sel, values) = &keyed[k % keyed.len()];
        let key = sel.rsplit('.').next().unwrap_or("eventName");
        let value = pick(values, v);
        let member = format!("\"{key}\":");
        match how {
            // Blanks around the colon.
            0 => text.replacen(&member, &format!("\"{key}\" \t: \n"), 1),
            // The value with an escaped slash or quote, or a \u escape.
            1 => match text.find(&member) {
                Some(at) => {
                    let rest = &text[at + member.len()..];
                    let end = rest.find([',', '}']).unwrap_or(rest.len());
                    format!("{}{member}\"x\\/y\"{}", &text[..at], &rest[end..])
                }
                None => text,
            },
            2 => text.replacen(&format!("{member}\""), &format!("{member}\"\\\""), 1),
            3 => text.replacen(&format!("{member}\""), &format!("{member}\"\\u0041"), 1),
            // A value of the key nested elsewhere, or written as a string value.
            4 => format!(
                "{},\"nested\":{{{member}{}}}}}",
                &text[..text.len() - 1],
                quote(value)
            ),
            5 => format!(
                "{},\"list\":[\"{key}\",{}]}}",
                &text[..text.len() - 1],
                quote(value)
            ),
            // The key's value replaced by another value of it, or by a non-string.
            6 => match text.find(&member) {
                Some(at) => {
                    let rest = &text[at + member.len()..];
                    let end = rest.find([',', '}']).unwrap_or(rest.len());
                    format!("{}{member}{}{}", &text[..at], quote(value), &rest[end..])
                }
                None => text,
            },
            7 => text
                .replacen(&format!("{member}\""), &format!("{member}[\""), 1)
                .replacen("\",", "\"],", 1),
            _ => text,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Sets whose patterns select values of a few keys (the prefilter then looks those values up
    /// with one probe per key, 8 patterns or more per key) agree with the reference on events
    /// with those values respelled, nested, repeated and replaced.
    #[test]
    fn keyed_sets_agree_with_the_reference(
        patterns in proptest::collection::vec(keyed_pattern(), 1..24),
        events in proptest::collection::vec(keyed_event(), 1..8),
    ) {
        check(&patterns, &events)?;
    }
}

// ---- EventBridge event patterns ----------------------------------------------------------------

/// Dotted paths (arrays flattened, as event-ruler names fields) and the leaf values seen at each,
/// in the corpus.
fn event_paths() -> &'static Vec<(String, Vec<Value>)> {
    static P: OnceLock<Vec<(String, Vec<Value>)>> = OnceLock::new();
    P.get_or_init(|| {
        fn leaves(
            v: &Value,
            path: &str,
            depth: usize,
            out: &mut std::collections::BTreeMap<String, Vec<Value>>,
        ) {
            if depth > 6 {
                return;
            }
            match v {
                Value::Object(m) => {
                    for (k, child) in m {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        leaves(child, &p, depth + 1, out);
                    }
                }
                Value::Array(items) => {
                    for item in items.iter().take(3) {
                        leaves(item, path, depth + 1, out);
                    }
                }
                leaf => {
                    let values = out.entry(path.to_owned()).or_default();
                    if values.len() < 8 && !values.contains(leaf) {
                        values.push(leaf.clone());
                    }
                }
            }
        }
        let mut out = std::collections::BTreeMap::new();
        for e in vocabulary().events.iter().take(300) {
            if let Ok(v) = serde_json::from_str::<Value>(e) {
                leaves(&v, "", 0, &mut out);
            }
        }
        out.into_iter().take(500).collect()
    })
}

/// One element of a field's array, over a value seen at the path.
fn event_matcher(value: &Value, kind: u8, cut: usize) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let chars: Vec<char> = text.chars().collect();
    let at = cut % (chars.len() + 1);
    let head: String = chars.iter().take(at).collect();
    let tail: String = chars.iter().skip(at).collect();
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let glob = |s: &str| s.replace('\\', "\\\\").replace('*', "\\*");
    match kind {
        0 | 1 => value.to_string(),
        2 => format!(r#"{{"prefix": {}}}"#, q(&head)),
        3 => format!(r#"{{"suffix": {}}}"#, q(&tail)),
        4 => format!(
            r#"{{"wildcard": {}}}"#,
            q(&format!("{}*{}", glob(&head), glob(&tail)))
        ),
        5 => format!(r#"{{"equals-ignore-case": {}}}"#, q(&text.to_uppercase())),
        6 => format!(
            r#"{{"prefix": {{"equals-ignore-case": {}}}}}"#,
            q(&head.to_lowercase())
        ),
        7 => format!(r#"{{"anything-but": {}}}"#, value),
        8 => format!(r#"{{"anything-but": {{"prefix": {}}}}}"#, q(&head)),
        9 => format!(r#"{{"anything-but": {{"suffix": {}}}}}"#, q(&tail)),
        10 => format!(
            r#"{{"numeric": [">=", {}, "<", {}]}}"#,
            cut % 50,
            50 + cut % 5000
        ),
        11 => r#"{"exists": true}"#.to_owned(),
        12 => r#"{"exists": false}"#.to_owned(),
        13 => r#"{"cidr": "10.0.0.0/8"}"#.to_owned(),
        14 => format!(
            r#"{{"anything-but": {{"wildcard": {}}}}}"#,
            q(&format!("*{}", glob(&tail)))
        ),
        _ => format!(
            r#"{{"suffix": {{"equals-ignore-case": {}}}}}"#,
            q(&tail.to_uppercase())
        ),
    }
}

/// An object of one to three fields over corpus paths, written with dotted keys or nested.
fn event_object() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            any::<usize>(),
            proptest::collection::vec((any::<usize>(), 0u8..16, any::<usize>()), 1..3),
            any::<bool>(),
        ),
        1..4,
    )
    .prop_map(|fields| {
        let paths = event_paths();
        // The paths of the fields after the first are mostly its siblings (the same parent: the
        // same array elements, where there are any).
        let first = fields.first().map_or(0, |(p, _, _)| *p % paths.len());
        let parent = |path: &str| path.rsplit_once('.').map_or("", |(p, _)| p).to_owned();
        let family = parent(&paths[first].0);
        let siblings: Vec<usize> = (0..paths.len())
            .filter(|&i| parent(&paths[i].0) == family)
            .collect();
        let members: Vec<String> = fields
            .into_iter()
            .enumerate()
            .map(|(n, (p, matchers, nest))| {
                let p = if n > 0 && p % 4 != 0 {
                    siblings[p % siblings.len()]
                } else {
                    p
                };
                let (path, values) = &paths[p % paths.len()];
                let list: Vec<String> = matchers
                    .into_iter()
                    .map(|(v, kind, cut)| event_matcher(&values[v % values.len()], kind, cut))
                    .collect();
                let array = format!("[{}]", list.join(", "));
                let keys: Vec<&str> = if nest {
                    path.split('.').collect()
                } else {
                    vec![path.as_str()]
                };
                let mut out = array;
                for k in keys.iter().rev().skip(1) {
                    out = format!(
                        "{{{}: {out}}}",
                        serde_json::to_string(k).unwrap_or_default()
                    );
                }
                let first = keys.last().copied().unwrap_or_default();
                let first = if nest {
                    keys.first().copied().unwrap_or(first)
                } else {
                    first
                };
                format!(
                    "{}: {out}",
                    serde_json::to_string(first).unwrap_or_default()
                )
            })
            .collect();
        format!("{{{}}}", members.join(", "))
    })
}

/// An event pattern: an object, sometimes with an `$or` of two more.
fn event_pattern() -> impl Strategy<Value = String> {
    (
        event_object(),
        proptest::option::weighted(0.3, (event_object(), event_object())),
    )
        .prop_map(|(base, or)| match or {
            None => base,
            Some((x, y)) => format!(
                "{}, \"$or\": [{x}, {y}]}}",
                base.strip_suffix('}').unwrap_or(&base)
            ),
        })
}

/// Every event pattern that compiles: `EventPatternSet`, each `EventPattern` and a `PatternSet`
/// holding them and filter patterns together answer as the reference evaluators do.
fn check_events(
    event_patterns: &[String],
    filters: &[String],
    events: &[String],
) -> Result<(), TestCaseError> {
    let compiled: Vec<EventPattern> = event_patterns
        .iter()
        .filter_map(|p| EventPattern::new(p).ok())
        .collect();
    let texts: Vec<&str> = compiled.iter().map(EventPattern::as_str).collect();
    let filters: Vec<Pattern> = filters
        .iter()
        .filter_map(|p| Pattern::new(p).ok())
        .collect();
    let set = EventPatternSet::new(&texts).map_err(|e| TestCaseError::fail(e.to_string()))?;
    // One vector for every event's answer: each call clears what the last one left.
    let mut kept = vec![usize::MAX];
    let sources: Vec<PatternSource<&str>> = filters
        .iter()
        .map(|p| PatternSource::Filter(p.as_str()))
        .chain(texts.iter().map(|t| PatternSource::Event(*t)))
        .collect();
    let mixed = PatternSet::builder()
        .build_sources(sources)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for e in events {
        let want: Vec<usize> = compiled
            .iter()
            .enumerate()
            .filter(|(_, p)| p.reference().matches(e))
            .map(|(i, _)| i)
            .collect();
        prop_assert_eq!(
            set.matches(e),
            want.clone(),
            "patterns {:?}\nevent {}",
            texts,
            e
        );
        prop_assert_eq!(
            set.is_match(e),
            !want.is_empty(),
            "is_match {:?}\non {}",
            texts,
            e
        );
        prop_assert_eq!(
            set.matches_reported(e),
            want.clone(),
            "matches_reported on {}",
            e
        );
        set.matches_into(e, &mut kept);
        prop_assert_eq!(&kept, &want, "matches_into on {}", e);
        set.matches_reported_into(e, &mut kept);
        prop_assert_eq!(&kept, &want, "matches_reported_into on {}", e);
        prop_assert_eq!(set.is_match_reported(e), !want.is_empty());
        for (i, p) in compiled.iter().enumerate() {
            prop_assert_eq!(
                p.matches(e),
                want.contains(&i),
                "pattern {} on event {}",
                p,
                e
            );
        }
        let mut want_mixed: Vec<usize> = filters
            .iter()
            .enumerate()
            .filter(|(_, p)| p.reference().test(e).is_some())
            .map(|(i, _)| i)
            .collect();
        want_mixed.extend(want.iter().map(|i| i + filters.len()));
        prop_assert_eq!(mixed.matches(e), want_mixed.clone(), "mixed set on {}", e);
        prop_assert_eq!(
            mixed.is_match(e),
            !want_mixed.is_empty(),
            "mixed is_match on {}",
            e
        );
    }
    check_lines(set.line_filter(&[]), |e| set.is_match(e), events)?;
    check_lines(mixed.line_filter(&[]), |e| mixed.is_match(e), events)
}

/// Corpus events, mutated; then the first array of objects doubled (its elements repeated in
/// another order), or its first object with two string members split in two objects, each with
/// one of the two values changed (a pattern naming both matches only across elements, which
/// array consistency forbids).
fn eventbridge_event() -> impl Strategy<Value = String> {
    (event(), any::<bool>()).prop_map(|(text, shuffle)| {
        let Ok(mut v) = serde_json::from_str::<Value>(&text) else {
            return text;
        };
        fn split(v: &mut Value) -> bool {
            match v {
                Value::Array(items) => {
                    let at = items.iter().position(|item| {
                        item.as_object()
                            .is_some_and(|m| m.values().filter(|x| x.is_string()).count() >= 2)
                    });
                    if let Some(at) = at {
                        let one = items.remove(at);
                        let mut two = one.clone();
                        let mut one = one;
                        let keys: Vec<String> = one
                            .as_object()
                            .map(|m| {
                                m.iter()
                                    .filter(|(_, x)| x.is_string())
                                    .map(|(k, _)| k.clone())
                                    .take(2)
                                    .collect()
                            })
                            .unwrap_or_default();
                        if let (Some(a), Some(b)) = (keys.first(), keys.get(1)) {
                            one[a.as_str()] = Value::String("zz".into());
                            two[b.as_str()] = Value::String("zz".into());
                        }
                        items.insert(at, two);
                        items.insert(at, one);
                        return true;
                    }
                    items.iter_mut().any(split)
                }
                Value::Object(m) => m.values_mut().any(split),
                _ => false,
            }
        }
        if !shuffle {
            split(&mut v);
        } else {
            fn double(v: &mut Value) -> bool {
                match v {
                    Value::Array(items) if items.iter().any(Value::is_object) => {
                        let mut more: Vec<Value> = items.iter().rev().cloned().collect();
                        items.append(&mut more);
                        true
                    }
                    Value::Array(items) => items.iter_mut().any(double),
                    Value::Object(m) => m.values_mut().any(double),
                    _ => false,
                }
            }
            double(&mut v);
        }
        v.to_string()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn event_pattern_sets_agree_with_the_reference(
        patterns in proptest::collection::vec(event_pattern(), 1..10),
        events in proptest::collection::vec(prop_oneof![event(), eventbridge_event()], 1..8),
    ) {
        check_events(&patterns, &[], &events)?;
    }

    #[test]
    fn mixed_filter_and_event_sets_agree_with_the_reference(
        patterns in proptest::collection::vec(event_pattern(), 0..5),
        filters in proptest::collection::vec(json_pattern(), 0..5),
        terms in proptest::collection::vec(term_pattern(), 0..3),
        events in proptest::collection::vec(prop_oneof![event(), eventbridge_event()], 1..6),
    ) {
        let mut filters = filters;
        filters.extend(terms);
        check_events(&patterns, &filters, &events)?;
    }
}

/// Small events whose arrays of objects put values of two paths in different elements, and
/// patterns over those paths: where array consistency decides.
fn array_event() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        r#""x""#,
        r#""y""#,
        "1",
        "2.0",
        "null",
        r#""10.0.0.9""#,
    ]);
    let element =
        proptest::collection::vec((prop::sample::select(vec!["a", "b", "c"]), leaf), 0..3)
            .prop_map(|members| {
                let body: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            });
    let array =
        proptest::collection::vec(element, 0..4).prop_map(|xs| format!("[{}]", xs.join(",")));
    (
        array.clone(),
        array,
        prop::sample::select(vec![r#""x""#, "1", "[]"]),
    )
        .prop_map(|(r, s, top)| format!(r#"{{"r":{r},"s":{{"t":{s}}},"a":{top},"r2":[{r}]}}"#))
}

fn array_pattern() -> impl Strategy<Value = String> {
    let path = prop::sample::select(vec![
        "r.a", "r.b", "r.c", "s.t.a", "s.t.b", "a", "r2.a", "r2.b",
    ]);
    let matcher = prop::sample::select(vec![
        r#""x""#,
        r#""y""#,
        "1",
        "2",
        "null",
        r#"{"exists": false}"#,
        r#"{"exists": true}"#,
        r#"{"anything-but": "x"}"#,
        r#"{"prefix": "y"}"#,
        r#"{"numeric": [">", 1]}"#,
        r#"{"cidr": "10.0.0.0/24"}"#,
    ]);
    proptest::collection::vec((path, proptest::collection::vec(matcher, 1..3)), 1..4).prop_map(
        |fields| {
            let body: Vec<String> = fields
                .iter()
                .map(|(p, ms)| format!("\"{p}\": [{}]", ms.join(", ")))
                .collect();
            format!("{{{}}}", body.join(", "))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn event_patterns_keep_array_consistency_as_the_reference(
        patterns in proptest::collection::vec(array_pattern(), 1..8),
        events in proptest::collection::vec(array_event(), 1..8),
    ) {
        check_events(&patterns, &[], &events)?;
    }
}

// ---- term sets of hundreds of patterns ---------------------------------------------------------

/// Stems like CloudTrail event names': the words of hundreds of patterns share a few short
/// prefixes, so that their search runs through the prefixes (more than 256 literals).
const STEMS: [&str; 8] = [
    "Describe", "Get", "List", "Put", "Delete", "Create", "Des", "Ge",
];

/// A stem and a corpus word, whole or cut anywhere from two characters on (so that words are
/// prefixes of others), or now and then a corpus word alone.
fn stem_word() -> impl Strategy<Value = String> {
    (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(s, w, cut)| {
        let word = pick(&vocabulary().words, w);
        if s % 16 == 0 {
            return word.to_owned();
        }
        let whole = format!("{}{word}", STEMS[s % STEMS.len()]);
        if cut % 3 == 0 {
            return whole;
        }
        let chars = whole.chars().count();
        whole
            .chars()
            .take(2 + cut % chars.saturating_sub(1).max(1))
            .collect()
    })
}

fn stem_term() -> impl Strategy<Value = String> {
    (stem_word(), stem_word(), 0u8..10).prop_map(|(word, other, m)| {
        let plain = |w: &str| w.bytes().all(|b| b.is_ascii_alphanumeric());
        match m {
            4 => format!("?{word}"),
            5 => format!("-{word}"),
            6 => quote(&word),
            7 if plain(&word) => format!("%{word}%"),
            8 if plain(&word) && plain(&other) => format!("%{word}|{other}%"),
            _ => word,
        }
    })
}

/// 260 to 450 term patterns, one in four sets with a one-byte word.
fn many_term_patterns() -> impl Strategy<Value = Vec<String>> {
    (
        proptest::collection::vec(
            proptest::collection::vec(stem_term(), 1..4).prop_map(|t| t.join(" ")),
            260..450,
        ),
        0u8..8,
    )
        .prop_map(|(mut patterns, short)| {
            match short {
                0 => patterns.push("a".into()),
                1 => patterns.push("Get -e".into()),
                _ => {}
            }
            patterns
        })
}

/// Corpus events with the patterns' words (whole or cut short) put in somewhere.
fn events_with_words(patterns: &[String]) -> impl Strategy<Value = Vec<String>> + use<> {
    let words: Vec<String> = patterns
        .iter()
        .flat_map(|p| p.split(' '))
        .flat_map(|t| t.trim_matches(|c| "?-%\"".contains(c)).split('|'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let one = (
        event(),
        proptest::collection::vec(
            (any::<prop::sample::Index>(), any::<usize>(), any::<bool>()),
            0..12,
        ),
        any::<usize>(),
    )
        .prop_map(move |(event, picks, at)| {
            let mut put = String::new();
            for (i, cut, whole) in picks {
                let w: &String = i.get(&words);
                let n = if whole {
                    usize::MAX
                } else {
                    cut % (w.chars().count() + 1)
                };
                put.extend(w.chars().take(n));
                if cut % 2 == 0 {
                    put.push(' ');
                }
            }
            let mut at = at % (event.len() + 1);
            while !event.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{put}{}", &event[..at], &event[at..])
        });
    proptest::collection::vec(one, 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn large_term_sets_agree_with_the_reference(
        (patterns, events) in many_term_patterns()
            .prop_flat_map(|p| (events_with_words(&p), Just(p)))
            .prop_map(|(e, p)| (p, e)),
    ) {
        check(&patterns, &events)?;
    }
}
