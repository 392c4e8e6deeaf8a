//! Whatever parses prints in the canonical form, which parses back to the same tree (spans
//! aside) and prints the same again.
//!
//! Input: any bytes, read as text (invalid UTF-8 becomes U+FFFD). Both values of
//! `split_hyphenated_terms` (the one `Dialect` switch the parser reads) are tried; the printed
//! form is parsed with the dialect that parsed the original.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch::{Ast, Dialect, MAX_PATTERN_CHARS, parse_with};

fn stripped(mut ast: Ast) -> Ast {
    ast.clear_spans();
    ast
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for split in [true, false] {
        let mut dialect = Dialect::default();
        dialect.split_hyphenated_terms = split;
        let Ok(ast) = parse_with(&text, &dialect) else {
            continue;
        };
        let printed = ast.to_string();
        // The canonical form quotes bare values and spaces operators, so a pattern near the
        // length limit can print longer than the limit; only the limit can reject that.
        if printed.chars().count() > MAX_PATTERN_CHARS {
            continue;
        }
        let reparsed = match parse_with(&printed, &dialect) {
            Ok(reparsed) => reparsed,
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse:\n{e}"),
        };
        assert_eq!(
            reparsed.to_string(),
            printed,
            "printing is not idempotent for {text:?}"
        );
        assert_eq!(
            stripped(reparsed),
            stripped(ast),
            "{text:?} printed as {printed:?} parses to another tree"
        );
    }
});
