//! The parser never panics, and every error it returns is well formed.
//!
//! Input: any bytes, read as text (invalid UTF-8 becomes U+FFFD, as a caller decoding bytes
//! lossily would give it). The text is parsed with two dialects that between them give every
//! `Dialect` switch both of its values (the parser reads only `split_hyphenated_terms` today).
//! On success the tree's span lies inside the text; on failure the error's span lies inside the
//! text on character boundaries, its code and message are not empty, and it renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch::{Dialect, Origin, parse_with};

#[path = "dialects.rs"]
mod dialects;

fn dialects() -> [Dialect; 2] {
    [Dialect::default(), dialects::flipped()]
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for dialect in dialects() {
        match parse_with(&text, &dialect) {
            Ok(ast) => {
                let span = ast.span();
                assert!(
                    span.start <= span.end && span.end <= text.len(),
                    "{span:?} in {text:?}"
                );
            }
            Err(e) => {
                let span = e.span();
                assert!(span.start <= span.end, "{span:?} in {text:?}");
                assert!(span.end <= text.len(), "{span:?} in {text:?}");
                assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                assert_eq!(e.text(), text.as_ref());
                assert_eq!(e.origin(), Origin::FilterPattern);
                assert!(!e.code().is_empty());
                assert!(!e.message().trim().is_empty(), "{e:?}");
                let (line, column) = e.line_column();
                assert!(line >= 1 && column >= 1);
                let rendered = e.to_string();
                assert!(
                    rendered.starts_with(&format!("error[{}]: ", e.code())),
                    "{rendered}"
                );
            }
        }
    }
});
