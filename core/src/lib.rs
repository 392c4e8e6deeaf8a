//! # trailmatch
//!
//! Amazon CloudWatch Logs filter patterns outside AWS: the whole language (terms, `%regex%`,
//! JSON `{ }` and space-delimited `[ ]` patterns) parsed with AWS's rules and errors, matched with
//! AWS's semantics, and turned into metric values and `TestMetricFilter` answers.
//!
//! ```
//! use trailmatch::Pattern;
//!
//! let pattern = Pattern::new(r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#)?;
//! assert!(pattern.matches(r#"{"eventName":"GetObject","errorCode":"AccessDenied"}"#));
//! assert!(!pattern.matches(r#"{"eventName":"GetObject"}"#));
//!
//! let apache = Pattern::new("[ip, user, username, timestamp, request, status_code=4*, bytes]")?;
//! let values = apache
//!     .test(r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#)
//!     .expect("matches");
//! assert_eq!(values.get("$status_code"), Some("404"));
//! # Ok::<(), trailmatch::Error>(())
//! ```
//!
//! Layers: [`syntax`] parses text into an [`Ast`] (and prints it back), [`reference`](mod@reference) evaluates an
//! AST the slow, obvious way, [`Pattern`] and [`PatternSet`] are the public matchers, and
//! [`metric`] does what CloudWatch does with a match. [`event`] is the other AWS rule language:
//! EventBridge event patterns ([`EventPattern`], [`test_event_pattern`]).

#![warn(missing_docs)]
// Panics are ruled out by construction in non-test code: no `unwrap`, `expect`, `panic!`,
// `unreachable!`, `todo!`, `unimplemented!`, nor slice, array or string indexing (`get`, iterators
// and patterns instead). Tests may use them.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::string_slice
    )
)]

pub mod analysis;
mod aws;
mod compile;
mod dialect;
pub mod error;
pub mod event;
mod exec;
mod extracted;
pub mod json;
pub mod metric;
pub mod number;
mod outcome;
pub mod reference;
pub mod syntax;

pub use compile::program::Limits;
pub use dialect::{Dialect, SwitchError, SwitchValue};
pub use error::{Error, ErrorKind, Origin, Span};
pub use event::{
    EventPatternLimits, TestEventPatternRequest, is_event_pattern, parse_event_pattern,
    parse_event_pattern_with,
};
pub use exec::event_pattern::{
    EventPattern, EventPatternSet, TEST_EVENT_REQUIRED_FIELDS, TestEventPatternResponse,
    test_event_pattern,
};
pub use exec::{
    Candidates, LineFilter, Pattern, PatternBuilder, PatternSet, PatternSetBuilder, PatternSource,
    SetError,
};
pub use extracted::Extracted;
pub use metric::{
    MetricFilter, MetricTransformation, TestMetricFilterMatch, TestMetricFilterRequest,
    TestMetricFilterResponse, test_metric_filter,
};
pub use syntax::ast::{Ast, PatternKind};
pub use syntax::{MAX_NESTING, MAX_PATTERN_CHARS, parse, parse_with};
