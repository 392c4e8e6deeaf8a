//! Hostile and odd inputs against core's public API: each test states the expected behaviour
//! (from the project's decisions in `core/src/dialect.rs` and `SYNTAX.md`, or from the limits in
//! the README's "Limits" table) and checks it on `Pattern`, on a `PatternSet` and on the
//! reference evaluator, which must agree. Nothing here may panic, overflow the stack or abort.

use trailmatch::{EventPatternSet, Extracted, Limits, Pattern, PatternSet};

/// What `pattern` says about `event`: the extracted values on a match. `Pattern`, a one-pattern
/// `PatternSet` and the reference evaluator must give the same answer.
fn verdict(pattern: &str, event: &str) -> Option<Extracted> {
    let p = Pattern::new(pattern).unwrap_or_else(|e| panic!("{pattern:?}:\n{e}"));
    let set = PatternSet::new([pattern]).unwrap();
    let single = p.test(event);
    let short = |s: &str| s.chars().take(80).collect::<String>();
    assert_eq!(
        p.reference().test(event),
        single,
        "reference and Pattern disagree on {pattern:?} for {:?}",
        short(event)
    );
    let in_set = set.test(event).into_iter().find(|(i, _)| *i == 0);
    assert_eq!(
        in_set.map(|(_, e)| e),
        single,
        "PatternSet and Pattern disagree on {pattern:?} for {:?}",
        short(event)
    );
    single
}

fn matches(pattern: &str, event: &str) -> bool {
    verdict(pattern, event).is_some()
}

/// The value `key` a match extracts (panics when `pattern` does not match).
fn extracted(pattern: &str, event: &str, key: &str) -> String {
    let values = verdict(pattern, event).unwrap_or_else(|| panic!("{pattern:?} must match"));
    values
        .get(key)
        .unwrap_or_else(|| panic!("no {key}"))
        .to_owned()
}

/// The error code `pattern` is rejected with, and the error's byte span.
fn rejected(pattern: &str) -> (&'static str, usize, usize) {
    let e = Pattern::new(pattern).expect_err("must be rejected");
    assert!(!e.message().is_empty());
    drop(e.to_string());
    (e.code(), e.span().start, e.span().end)
}

// ---- JSON nesting ------------------------------------------------------------------------------

/// 100,000 levels of arrays or objects: far beyond the JSON reader's 512, so the event is not
/// JSON (README "Limits"; `dialect.rs`: an event that is not one JSON object matches no JSON
/// pattern, `NOT EXISTS` included). Term and space-delimited patterns read it as text: it has no
/// blank, so an event starting with `{` is one field, and one starting with `[` is a bracketed
/// field up to the first `]` followed by a field of the remaining `]` (SYNTAX.md, space-delimited
/// events). No evaluator recurses per level, so nothing overflows the stack (the test runs on a
/// test thread's default 2 MiB stack).
#[test]
fn json_event_nested_100000_deep_is_not_json_and_overflows_nothing() {
    const DEPTH: usize = 100_000;
    let arrays = format!("{{\"a\":{}{}}}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let objects = format!("{}1{}", "{\"a\":".repeat(DEPTH), "}".repeat(DEPTH));
    let bare = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    for event in [&arrays, &objects, &bare] {
        assert!(!matches("{ $.a NOT EXISTS }", event));
        assert!(!matches("{ $.b NOT EXISTS }", event));
        assert!(!matches("{ $.a[0] IS NULL }", event));
        assert!(!matches(r#"{ $.a = "*" || $.a.a = 1 }"#, event));
        assert_eq!(extracted("[whole]", event, "$whole"), *event);
    }
    assert!(!matches("[a, b]", &arrays));
    assert!(!matches("[a, b]", &objects));
    assert_eq!(extracted("[a, b]", &bare, "$a"), "[".repeat(DEPTH - 1));
    assert_eq!(extracted("[a, b]", &bare, "$b"), "]".repeat(DEPTH - 1));
    // Terms: the text `a` occurs in the first two, not in the bare arrays.
    assert!(matches("a", &arrays));
    assert!(matches("a", &objects));
    assert!(!matches("a", &bare));
    assert!(matches(r#""]]]]]""#, &bare));
    // All kinds together in one set.
    let set = PatternSet::new(["{ $.a NOT EXISTS }", "a", "[whole]", r#""]]]}""#]).unwrap();
    assert_eq!(set.matches(&arrays), [1, 2, 3]);
    assert_eq!(set.matches(&objects), [1, 2]);
    assert_eq!(set.matches(&bare), [2]);
}

/// The depth limit itself: 512 nested containers are JSON, 513 are not.
#[test]
fn json_event_nesting_limit_is_512_containers() {
    let event = |depth: usize| {
        // The root object and `depth - 1` arrays.
        format!(
            r#"{{"b":1,"a":{}{}}}"#,
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    assert!(matches("{ $.b = 1 }", &event(512)));
    assert!(matches("{ $.c NOT EXISTS }", &event(512)));
    assert!(!matches("{ $.b = 1 }", &event(513)));
    assert!(!matches("{ $.c NOT EXISTS }", &event(513)));
}

// ---- size ----------------------------------------------------------------------------------------

/// A 10 MB single-line event: the matchers have no event size limit (the 256 KB CloudWatch event
/// limit is for the log readers to apply) and answer as for a short event, in time linear in the
/// event's length.
#[test]
fn ten_megabyte_single_line_event() {
    let pad = "x".repeat(10 << 20);
    let json = format!(r#"{{"pad":"{pad}","eventName":"ConsoleLogin","n":[1,2,3]}}"#);
    assert!(json.len() > 10_000_000);
    assert!(matches(r#"{ $.eventName = "ConsoleLogin" }"#, &json));
    assert!(matches("{ $.n[2] = 3 && $.pad = * }", &json));
    assert!(!matches(r#"{ $.eventName = "Other" }"#, &json));
    let text = format!("{pad} NEEDLE");
    assert!(matches("NEEDLE", &text));
    assert!(!matches("NEEDLE -NEEDLE", &text));
    assert!(matches("%NEEDLE$%", &text));
    // Space-delimited: the last field absorbs the 10 MB rest of the line verbatim.
    let line = format!("GET {text}");
    assert_eq!(extracted("[verb, rest]", &line, "$rest"), text);
    assert!(!matches("[verb=POST, rest]", &line));
}

/// A literal that occurs at every position of an event (a 256 KB run of `x` against patterns
/// needing `xx`): the literal search reports every occurrence, so the work is linear in the
/// event's length, and the answers are those of the reference evaluator.
#[test]
fn literal_repeated_at_every_position() {
    let pad = "x".repeat(256 << 10);
    let json = format!(r#"{{"pad":"{pad}"}}"#);
    assert!(matches("{ $.pad = *xx }", &json));
    assert!(!matches("{ $.pad = *xy }", &json));
    assert!(matches("xx", &pad));
    assert!(!matches("xx -xxx", &pad));
    let set = PatternSet::new(["xx", "xxx -xxxx", "{ $.pad = xx* }", "y"]).unwrap();
    assert_eq!(set.matches(&pad), [0]);
    assert_eq!(set.matches(&json), [0, 2]);
}

/// Hundreds of term patterns sharing a long stem, over an event that repeats the stem's letter:
/// each position of the event starts a literal, and looking the literals up at each would cost
/// as much as they are long (this test took 30 times as long before the search went on with an
/// automaton past a budget of work per byte; `literals.rs`
/// `a_dense_text_goes_on_with_the_automaton`).
#[test]
fn long_shared_stems_over_a_run_of_their_letter() {
    let stem = "a".repeat(200);
    let patterns: Vec<String> = (0..300).map(|i| format!("{stem}{i:03}")).collect();
    let set = PatternSet::new(&patterns).unwrap();
    let event = format!("{}042 {stem}299", "a".repeat(256 << 10));
    assert_eq!(set.matches(&event), [42, 299]);
    assert_eq!(set.matches(&"a".repeat(256 << 10)), [] as [usize; 0]);
}

/// A set of many exact values and an event repeating their key with a value written with an
/// escape, which may be any of the values: the prefilter lets such an event (or line) through
/// with one hit, not one per value at every occurrence, and the scan, stopped by the repeated
/// key, evaluates the patterns on one parse of the event. Before: `grep -c` with 10,000 such
/// patterns took 36 s on one 250 KB line of this kind (14,000 × 10,000 hits, then 10,000
/// parses of the line), and more than two minutes with 100,000; this test took 43 s instead of
/// 0.6 s (debug build).
#[test]
fn an_event_repeating_a_key_with_an_escaped_value_against_many_values() {
    let patterns: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{ $.eventName = "Event{i}" }}"#))
        .collect();
    let set = PatternSet::new(&patterns).unwrap();
    let repeated = vec![r#""eventName":"\"x""#; 2_000].join(",");
    let none = format!("{{{repeated}}}");
    // The last of a repeated key is its value.
    let last_wins = format!(r#"{{{repeated},"eventName":"Event42"}}"#);
    assert_eq!(set.matches(&none), [] as [usize; 0]);
    assert_eq!(set.matches(&last_wins), [42]);
    // `grep`'s filter of a block of lines: both may match, so both are looked at.
    let filter = set.line_filter(&[]).unwrap();
    let block = format!("{none}\n{last_wins}\n{{\"eventName\":\"Other\"}}\n");
    let mut lines = Vec::new();
    filter.lines(block.as_bytes(), &mut lines);
    let lines: Vec<&str> = lines.into_iter().map(|(r, _)| &block[r]).collect();
    assert_eq!(lines, [none.as_str(), last_wins.as_str()]);
    // An event pattern's key followed by arrays, each of which may hold any value.
    let events: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"eventName":["Event{i}"]}}"#))
        .collect();
    let set = EventPatternSet::new(&events).unwrap();
    let arrays = vec![r#""eventName":["x"]"#; 2_000].join(",");
    assert_eq!(set.matches(&format!("{{{arrays}}}")), [] as [usize; 0]);
    let arrays_last = format!(r#"{{{arrays},"eventName":["y","Event7"]}}"#);
    assert_eq!(set.matches(&arrays_last), [7]);
}

// ---- numbers -------------------------------------------------------------------------------------

/// Numbers beyond `f64`. Decision (`dialect.rs`, SYNTAX.md 7.2 "Number precision"): numbers compare
/// as IEEE-754 doubles, the text rounded to the nearest double. Hence: beyond ±1.8e308 a number is
/// ±infinity, so `1e400` equals every other overflowing number (`1e999`) and is greater than every
/// finite one; below 2.5e-324 it is zero; digits beyond the 17th significant one are lost, so
/// `...890` equals `...891`. A string or glob compares with the number's text as written (row 9),
/// and a JSON string that is wholly a number compares numerically (row 8).
#[test]
fn numbers_beyond_f64_compare_as_rounded_doubles() {
    let big = r#"{"a": 1e400}"#;
    let neg = r#"{"a": -1e400}"#;
    let long = r#"{"a": 123456789012345678901234567890}"#;
    let tiny = r#"{"a": 1e-400}"#;

    assert!(matches("{ $.a = 1e400 }", big));
    assert!(matches("{ $.a = 1e999 }", big));
    assert!(matches("{ $.a > 1.7976931348623157e308 }", big));
    assert!(!matches("{ $.a < 0 }", big));
    assert!(!matches("{ $.a > 1e400 }", big));
    assert!(matches("{ $.a >= 1e400 }", big));
    assert!(!matches("{ $.a = -1e400 }", big));

    assert!(matches("{ $.a = -1e400 }", neg));
    assert!(matches("{ $.a < -1.7976931348623157e308 }", neg));
    assert!(!matches("{ $.a > -1e308 }", neg));
    assert!(!matches("{ $.a = 1e400 }", neg));

    assert!(matches("{ $.a = 123456789012345678901234567890 }", long));
    assert!(matches("{ $.a = 123456789012345678901234567891 }", long));
    assert!(matches("{ $.a = 1.2345678901234568e29 }", long));
    assert!(!matches("{ $.a > 123456789012345678901234567000 }", long));
    assert!(matches("{ $.a > 123456789012345600000000000000 }", long));
    assert!(matches("{ $.a < 1e400 }", long));

    assert!(matches("{ $.a = 0 }", tiny));
    assert!(!matches("{ $.a > 0 }", tiny));
    assert!(matches("{ $.a = 0 }", r#"{"a": -0}"#));

    // Text as written, for strings, globs and regexes.
    assert!(matches(r#"{ $.a = "1e400" }"#, big));
    assert!(!matches(r#"{ $.a = "Infinity" }"#, big));
    assert!(matches("{ $.a = 1234* }", long));
    assert!(matches("{ $.a = %890$% }", long));
    // A numeric string compares numerically.
    assert!(matches("{ $.a > 0 }", r#"{"a": "1e400"}"#));
    // Space-delimited fields and values parse the same way.
    assert!(matches("[k, v > 1e308]", "x 1e400"));
    assert!(matches("[k, v < 0]", "x -1e400"));
    assert!(matches(
        "[k, v = 123456789012345678901234567891]",
        &format!("x {}", "123456789012345678901234567890")
    ));
    // In one set with the rest.
    let set = PatternSet::new(["{ $.a > 1e308 }", "{ $.a < -1e308 }", "{ $.a = 0 }"]).unwrap();
    assert_eq!(set.matches(big), [0]);
    assert_eq!(set.matches(neg), [1]);
    assert_eq!(set.matches(tiny), [2]);
    assert_eq!(set.matches(long), Vec::<usize>::new());
}

// ---- duplicate keys ------------------------------------------------------------------------------

/// Duplicate keys: the last one counts (`dialect.rs`, SYNTAX.md 7.2), for named members, nested
/// objects (the earlier object is replaced whole) and `.*`.
#[test]
fn duplicate_keys_the_last_one_counts() {
    let flat = r#"{"a": 1, "a": 2}"#;
    assert!(matches("{ $.a = 2 }", flat));
    assert!(!matches("{ $.a = 1 }", flat));
    assert!(!matches("{ $.* = 1 }", flat));
    assert!(matches("{ $.* = 2 }", flat));
    let nested = r#"{"b": {"c": 1}, "x": 0, "b": {"d": 2}}"#;
    assert!(!matches("{ $.b.c = 1 }", nested));
    assert!(matches("{ $.b.c NOT EXISTS }", nested));
    assert!(matches("{ $.b.d = 2 }", nested));
    let typed = r#"{"a": "text", "a": null}"#;
    assert!(matches("{ $.a IS NULL }", typed));
    assert!(!matches(r#"{ $.a = "text" }"#, typed));
    let set =
        PatternSet::new(["{ $.a = 1 }", "{ $.a = 2 }", "{ $.* = 1 }", "{ $.* = 2 }"]).unwrap();
    assert_eq!(set.matches(flat), [1, 3]);
}

// ---- invalid UTF-8, NUL, BOM, CRLF -----------------------------------------------------------------

/// Invalid UTF-8: core's API takes text only (`&str` patterns and events, `AsRef<str>` messages);
/// no entry point takes bytes, so invalid UTF-8 cannot reach it. A caller holding bytes decodes
/// them; decoded lossily, each invalid sequence becomes U+FFFD, an ordinary character: a term or
/// quoted value may hold it, a regex may not (regexes are ASCII only).
#[test]
fn invalid_utf8_reaches_core_only_as_replacement_characters() {
    let event = String::from_utf8_lossy(b"\xffERROR\xfe at \xc3");
    assert_eq!(event, "\u{fffd}ERROR\u{fffd} at \u{fffd}");
    assert!(matches("ERROR", &event));
    assert!(matches("\u{fffd}ERROR\u{fffd}", &event));
    assert_eq!(extracted("[a, b, c]", &event, "$c"), "\u{fffd}");
    let json = String::from_utf8_lossy(b"{\"a\": \"\xff\xfe\", \"\xc0\": 1}");
    assert!(matches("{ $.a = \"\u{fffd}\u{fffd}\" }", &json));
    assert!(matches("{ $.['\u{fffd}'] = 1 }", &json));
    let pattern = String::from_utf8_lossy(b"{ $.a = \"\xff*\" }");
    assert!(matches(&pattern, &json));
    let (code, start, end) = rejected(&String::from_utf8_lossy(b"%ab\xffc%"));
    assert_eq!((code, start, end), ("regex-non-ascii", 3, 6));
}

/// NUL is an ordinary character everywhere except inside a JSON string, where RFC 8259 requires
/// control characters to be escaped: a raw NUL there makes the event not JSON. It is not a blank
/// for space-delimited events. In error messages, the source line shows control characters as
/// spaces.
#[test]
fn nul_bytes_in_patterns_and_events() {
    assert!(matches("a\0b", "xa\0by"));
    assert!(!matches("a\0b", "ab"));
    assert!(matches("\"\0\"", "x\0y"));
    assert!(matches("{ $.a = \"x\0y\" }", r#"{"a": "x\u0000y"}"#));
    assert!(!matches("{ $.a = \"x\0y\" }", "{\"a\": \"x\0y\"}"));
    assert!(!matches("{ $.a NOT EXISTS }", "{\"b\": 1}\0"));
    assert!(matches("{ $.['\0'] = 1 }", r#"{"\u0000": 1}"#));
    assert_eq!(extracted("[a, b]", "x\0y z", "$a"), "x\0y");
    let e = Pattern::new("{ $.a = 1 \0 }").expect_err("NUL is not an operator");
    assert_eq!((e.code(), e.span().start, e.span().end), ("syntax", 10, 11));
    let source_line = e.to_string().lines().nth(3).unwrap_or_default().to_owned();
    assert_eq!(source_line, "1 | { $.a = 1   }");
}

/// A byte-order mark (U+FEFF) is not a blank (it is not Unicode White_Space, and RFC 8259 lets a
/// reader reject it): before a JSON event it is a text prefix, so no JSON pattern matches
/// (`dialect.rs`: an event with a text prefix is not JSON); term and space-delimited patterns see
/// it as the first character. Before a pattern it is the first character of a term, `{` after it
/// being an invalid character in a term.
#[test]
fn byte_order_mark_is_a_character() {
    let event = "\u{feff}{\"eventName\": \"ConsoleLogin\"}";
    assert!(!matches(r#"{ $.eventName = "ConsoleLogin" }"#, event));
    assert!(!matches("{ $.x NOT EXISTS }", event));
    assert!(matches("ConsoleLogin", event));
    assert_eq!(
        extracted("[first, second]", event, "$first"),
        "\u{feff}{\"eventName\":"
    );
    assert_eq!(rejected("\u{feff}{ $.a = 1 }"), ("invalid-character", 3, 4));
    assert!(matches("\u{feff}", event));
}

/// CR and LF: JSON whitespace in an event, blanks between space-delimited fields, blanks in a
/// pattern; a term pattern sees them as characters. The last space-delimited field absorbs the
/// rest of the line verbatim, line end included (dialect row 1): the matchers take the event as
/// given, and stripping line ends is the reader's job.
#[test]
fn crlf_line_ends() {
    assert!(matches("{ $.a = 1 }", "{\"a\":1}\r\n"));
    assert!(matches("{ $.a = 1 }", "{\"a\":\r\n1}"));
    assert!(matches("ERROR", "ERROR\r\n"));
    assert!(matches("\"ERROR\r\"", "ERROR\r\n"));
    assert_eq!(extracted("[a, b]", "x y\r\n", "$b"), "y");
    assert_eq!(extracted("[a, b]", "x y z\r\n", "$b"), "y z\r\n");
    assert_eq!(extracted("[a, ..., b]", "x y z\r\n", "$b"), "z");
    let p = Pattern::new("{ $.a = 1 &&\r\n  $.b = 2 }").unwrap();
    assert_eq!(p.to_string(), "{ $.a = 1 && $.b = 2 }");
    let e = Pattern::new("{ $.a = 1 &&\r\n  $.b = }").expect_err("missing value");
    assert_eq!(e.line_column(), (2, 9));
    assert_eq!(e.code(), "syntax");
}

// ---- many patterns -------------------------------------------------------------------------------

/// 10,000 glob patterns on one selector: exactly the default `max_wildcards_per_selector`, so they
/// compile (within the default 64 MiB automaton limit) and each event finds exactly its pattern.
/// One more is over the limit: `wildcard-complexity`. With a small automaton limit the same set
/// fails with `automaton-too-large`. Never a panic or an abort.
#[test]
fn ten_thousand_wildcard_patterns() {
    const N: usize = 10_000;
    assert_eq!(Limits::default().max_wildcards_per_selector, N);
    let patterns: Vec<String> = (0..=N)
        .map(|i| format!(r#"{{ $.a = "*<{i:05}>*" }}"#))
        .collect();
    let set = PatternSet::new(&patterns[..N]).expect("10,000 globs are within the limits");
    assert_eq!(set.len(), N);
    assert_eq!(set.matches(r#"{"a": "..<00042>.."}"#), [42]);
    assert_eq!(set.matches(r#"{"a": "<09999><00000>"}"#), [0, 9999]);
    assert_eq!(set.matches(r#"{"a": "<10000>"}"#), Vec::<usize>::new());

    let over = PatternSet::new(&patterns).expect_err("10,001 globs on one selector");
    assert_eq!(over.error.code(), "wildcard-complexity");
    assert_eq!(over.index, None);

    let mut small = Limits::default();
    small.max_automaton_bytes = 1 << 16;
    let tight = PatternSet::builder()
        .limits(small)
        .build(&patterns[..N])
        .expect_err("64 KiB cannot hold 10,000 globs");
    assert_eq!(tight.error.code(), "automaton-too-large");
}

/// More patterns than the default `max_patterns` (100,000): `too-many-patterns`, reported before
/// anything is compiled, and without reading past the limit (an endless iterator ends).
#[test]
fn more_patterns_than_the_default_limit() {
    let max = Limits::default().max_patterns;
    assert_eq!(max, 100_000);
    let e = PatternSet::new(std::iter::repeat_n("ERROR", max + 1)).expect_err("over the limit");
    assert_eq!((e.error.code(), e.index), ("too-many-patterns", None));
    assert!(e.to_string().contains("more than 100000 in one set"));
    let endless = PatternSet::new(std::iter::repeat("ERROR")).expect_err("over the limit");
    assert_eq!(endless.to_string(), e.to_string());
}

// ---- deep and long patterns ------------------------------------------------------------------------

/// Parentheses nested 10,000 deep: the pattern is over the 1024-character limit, which is checked
/// before anything is parsed, so nothing recurses: `pattern-too-long`, spanning from the 1025th
/// character to the end. Within the length limit, nesting is limited to 64 levels:
/// `nesting-too-deep` at the 65th `(`. Terms and space-delimited patterns have no parentheses:
/// `(` is an invalid character in a term, and where a space-delimited value must be it is a
/// syntax error ("expected a value").
#[test]
fn parentheses_nested_10000_deep() {
    let deep = |n: usize| format!("{{ {}$.a = 1{} }}", "(".repeat(n), ")".repeat(n));
    let text = deep(10_000);
    assert_eq!(rejected(&text), ("pattern-too-long", 1024, text.len()));
    let unclosed = format!("{{ {} }}", "(".repeat(10_000));
    assert_eq!(
        rejected(&unclosed),
        ("pattern-too-long", 1024, unclosed.len())
    );

    assert!(matches(&deep(64), r#"{"a": 1}"#));
    assert_eq!(rejected(&deep(65)), ("nesting-too-deep", 2 + 64, 2 + 65));
    assert_eq!(rejected(&"(".repeat(1000)), ("invalid-character", 0, 1));
    assert_eq!(rejected("[a = (1)]"), ("syntax", 5, 6));

    let e = PatternSet::new(["ERROR", &deep(65)]).expect_err("the second is too deep");
    assert_eq!((e.error.code(), e.index), ("nesting-too-deep", Some(1)));
}

/// A 1 MB pattern: `pattern-too-long` (AWS's 1024 characters), counting characters, not bytes.
#[test]
fn one_megabyte_pattern() {
    let text = "a".repeat(1 << 20);
    assert_eq!(rejected(&text), ("pattern-too-long", 1024, 1 << 20));
    let e = Pattern::new(&text).expect_err("too long");
    assert!(e.message().contains("1024"));
    assert!(e.help().unwrap_or_default().contains("1048576 characters"));
    let json = format!(r#"{{ $.a = "{}" }}"#, "é".repeat(1 << 19));
    assert_eq!(rejected(&json).0, "pattern-too-long");
    // 1024 two-byte characters are within the limit.
    let at_limit = "é".repeat(1024);
    assert!(matches(&at_limit, &format!("x{at_limit}x")));
    let e = PatternSet::new(["ERROR", "WARN", &text]).expect_err("the third is too long");
    assert_eq!((e.error.code(), e.index), ("pattern-too-long", Some(2)));
}

// ---- the README's table ----------------------------------------------------------------------------

/// Every row of the README's "Limits" table names at least one test, and every test it names
/// exists: a case of `tests/cases/errors.toml`, or a test function of the Rust file named.
#[test]
fn readme_limits_table_names_existing_tests() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let read = |path: &str| {
        std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let readme = read("README.md");
    let section = readme
        .split("\n## Limits\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Limits section");
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| limit ") && !l.starts_with("|---"))
        .collect();
    assert!(rows.len() >= 10, "{rows:?}");
    let mut problems = Vec::new();
    for row in rows {
        let tested_in = row
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .unwrap_or_default();
        let mut named = 0;
        for group in tested_in.split(';') {
            let ticked: Vec<&str> = group.split('`').skip(1).step_by(2).collect();
            let Some((file, names)) = ticked.split_first() else {
                continue;
            };
            let (path, needle): (String, fn(&str) -> String) = match *file {
                "errors.toml" => ("tests/cases/errors.toml".into(), |n| {
                    format!("name = \"{n}\"")
                }),
                "adversarial.rs" => ("tests/adversarial.rs".into(), |n| format!("fn {n}(")),
                other => (other.to_owned(), |n| format!("fn {n}(")),
            };
            let text = read(&path);
            for name in names {
                named += 1;
                if !text.contains(&needle(name)) {
                    problems.push(format!("{path} has no test {name}"));
                }
            }
        }
        if named == 0 {
            problems.push(format!("no test named in row {row}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
