//! The compiled engine against the reference evaluator on generated patterns and events.
//!
//! Patterns are drawn from the grammar over the keys and values of the real CloudTrail records
//! in `corpus/cloudtrail/` (so that they match often), events are those records and mutations of
//! them (values changed, keys removed or repeated, escapes, numbers as strings, truncation, a text
//! prefix). For every generated set, `PatternSet::test` must give exactly what each pattern's
//! reference evaluator gives, extracted values included.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;
use trailmatch::{Pattern, PatternSet};
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
        0u8..16,
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
                    format!("{sel} = %{}%", if re.is_empty() { "a".into() } else { re })
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

fn check(patterns: &[String], events: &[String]) -> Result<(), TestCaseError> {
    let compiled: Vec<Pattern> = patterns
        .iter()
        .filter_map(|p| Pattern::new(p).ok())
        .collect();
    let texts: Vec<&str> = compiled.iter().map(Pattern::as_str).collect();
    let set = PatternSet::new(&texts).map_err(|e| TestCaseError::fail(e.to_string()))?;
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
            ids,
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
        for (i, p) in compiled.iter().enumerate() {
            let one = p.test(e);
            let reference = p.reference().test(e);
            prop_assert_eq!(one, reference, "pattern {} on event {}", i, e);
        }
    }
    Ok(())
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
