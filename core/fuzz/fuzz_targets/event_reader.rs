//! Any bytes as one event: a fixed, varied pattern set compiled into a `PatternSet` answers exactly
//! as each pattern's reference evaluator does, and nothing panics, whatever the event holds
//! (invalid JSON, nesting deeper than the reader's limit, numbers beyond `f64`, duplicate keys,
//! escapes, NUL bytes, blanks of every kind).
//!
//! Input: any bytes; invalid UTF-8 becomes U+FFFD (the matchers take `&str`, so a caller holding
//! bytes decodes them first). The set holds the hand-written patterns below, which exercise every
//! construct the compiled engine treats on its own (the selector trie, exact strings, globs,
//! regexes, numbers, `IS`, `NOT EXISTS`, wildcard selectors, terms, delimited fields, match-all),
//! and every real-world pattern of `tests/corpus/real-patterns.jsonl` that parses. It is compiled
//! once with the default dialect and once with every switch flipped.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use trailmatch::reference::Event;
use trailmatch::{Dialect, Pattern, PatternSet};

const PATTERNS: &[&str] = &[
    "",
    r#"{ $.eventName = "ConsoleLogin" }"#,
    r#"{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" }"#,
    r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }"#,
    "{ $.a = 1 }",
    "{ $.a != 0 }",
    "{ $.a > 1e400 }",
    "{ $.a >= 1e400 }",
    "{ $.a < -1e400 }",
    "{ $.a <= -0.5 }",
    "{ $.a = 123456789012345678901234567890 }",
    "{ $.a = 1e308 || $.a > 1.7976931348623157e308 }",
    r#"{ $.a = "" }"#,
    r#"{ $.a = "x*" || $.a = "*y" || $.a = "*mid*" }"#,
    "{ $.a = * }",
    r#"{ $.a = "a\"b" || $.a = "x/y" || $.a = "tab	here" }"#,
    r#"{ $.a = "é*" || $.b = "\\" }"#,
    "{ $.a = %^[0-9]+$% }",
    "{ $.a != %x% }",
    "{ $.a IS NULL }",
    "{ $.a IS TRUE || $.b IS FALSE }",
    "{ $.a NOT EXISTS }",
    r#"{ ($.a = 1 || $.b = 2) && $.c != "q" }"#,
    r#"{ $.a.b[0] = "x" && $.a.b[1] > 2 }"#,
    r#"{ $.a[*] = "y*" }"#,
    r#"{ $.* = "z" }"#,
    "{ $.x.* > 5 }",
    r#"{ $.['a.b'] = "dot" }"#,
    "{ $.a.b.c.d.e.f = 6 }",
    "{ $.a[0][0][0] IS NULL }",
    r#"{ $.a = "true" || $.a = "null" }"#,
    "{ $.a = 0x10 }",
    "ERROR",
    r#""quoted phrase""#,
    "?WARN ?ERROR",
    "ERROR -DEBUG",
    "%[0-9]{3}%",
    "request-id",
    r#"" ""#,
    "\u{0}",
    "[ip, user, username, timestamp, request, status_code=4*, bytes]",
    "[a, ..., b = 5]",
    "[a = %x%, b]",
    "[]",
    "[w1=ERROR && w1!=x, w2]",
    "[..., last > 100]",
    "[a, b > 1e400 || b < -1e400]",
];

const REAL: &str = include_str!("../../../tests/corpus/real-patterns.jsonl");

/// The patterns of the set: the hand-written ones (all must parse) and the real ones that parse.
fn patterns(dialect: Dialect) -> Vec<Pattern> {
    let mut out: Vec<Pattern> = PATTERNS
        .iter()
        .filter_map(|p| match Pattern::with_dialect(p, dialect) {
            Ok(p) => Some(p),
            // `{ $.a = 0x10 }` is the one hand-written pattern meant to fail (not a number).
            Err(_) if *p == "{ $.a = 0x10 }" => None,
            Err(e) => panic!("hand-written pattern {p:?} does not compile:\n{e}"),
        })
        .collect();
    for line in REAL.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("real-patterns.jsonl");
        let text = record["pattern"].as_str().expect("a pattern string");
        out.extend(Pattern::with_dialect(text, dialect).ok());
    }
    out
}

struct Fixture {
    patterns: Vec<Pattern>,
    set: PatternSet,
}

fn fixture(dialect: Dialect) -> Fixture {
    let patterns = patterns(dialect);
    let set = PatternSet::with_dialect(patterns.iter().map(Pattern::as_str), dialect)
        .expect("the fixed set compiles");
    Fixture { patterns, set }
}

#[path = "dialects.rs"]
mod dialects;

static FIXTURES: LazyLock<[Fixture; 2]> =
    LazyLock::new(|| [fixture(Dialect::default()), fixture(dialects::flipped())]);

fuzz_target!(|data: &[u8]| {
    let event = String::from_utf8_lossy(data);
    for f in FIXTURES.iter() {
        let shared = Event::new(&event);
        let want: Vec<_> = f
            .patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, p.reference().test_event(&shared)?)))
            .collect();
        let got = f.set.test(&event);
        if got != want {
            let name = |i: &usize| f.patterns[*i].as_str();
            let got: Vec<_> = got.iter().map(|(i, _)| name(i)).collect();
            let want: Vec<_> = want.iter().map(|(i, _)| name(i)).collect();
            panic!("event {event:?}\nset matches {got:#?}\nreference matches {want:#?}");
        }
    }
});
