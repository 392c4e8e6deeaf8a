//! AWS filter-pattern regexes on Rust's `regex` crate, from the Rust syntax that
//! [`crate::syntax::regex::translate`] gives them. Matching is case-sensitive, `^`/`$` anchor at
//! the ends of the subject and `.` matches anything but `\n`.

use crate::error::{Error, ErrorKind};
use crate::syntax::ast::Regex;
use crate::syntax::regex::{syntax_detail, translate};

/// Compiled regexes may not exceed this size (bytes of the compiled program).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles a regex of `pattern`; errors point at the regex.
pub(crate) fn compile(regex: &Regex, pattern: &str) -> Result<::regex::Regex, Error> {
    ::regex::RegexBuilder::new(&translate(&regex.source))
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let kind = match e {
                ::regex::Error::CompiledTooBig(_) => ErrorKind::RegexTooLarge,
                other => ErrorKind::RegexSyntax {
                    detail: syntax_detail(&other.to_string()),
                },
            };
            Error::pattern(kind, pattern, regex.span)
        })
}
