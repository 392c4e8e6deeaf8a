//! Every point the CloudWatch Logs documentation leaves open, decided once.
//!
//! The specification this crate follows marks some behaviours as unknown; for each it recommends a
//! default. The ones that a single probe against AWS could overturn are switches on [`Dialect`]
//! (its `Default` is the recommendation); the others are fixed decisions listed here so there is
//! one place to read them all. `SYNTAX.md` at the repository root describes each by example.
//!
//! Fixed decisions (not switchable):
//!
//! - **`?` terms mixed with other terms are ignored** (the user guide's 2024 rule, not the CDK
//!   `anyTermGroup` reading).
//! - **Lower-case keywords** (`is null`, `not exists`) are rejected with `lowercase-keyword`.
//! - **`- term` with a blank after the `-`** is an exclusion, as the 2018 guide spells it
//!   (`"ERROR" - "Exiting"`); the same holds for `? term`.
//! - **`*` in a term** is a literal character; in JSON and space-delimited values a `*` as first
//!   and/or last character is a wildcard and anywhere else a literal character.
//! - **Escapes in quoted text**: `\"` is a quote and `\\` a backslash; any other backslash is kept
//!   with the character after it (`"a\nb"` is the four characters `a`, `\`, `n`, `b`).
//! - **Text right after a closing quote** (`"abc"def`) starts a new term.
//! - **Regexes** may use `:` and spaces (seen accepted by AWS), may be mixed with other terms in a
//!   term pattern, use string anchors (`^`/`$` match at the start/end of the subject only), and `.`
//!   matches any character but a newline.
//! - **Subjects**: a standalone regex searches the whole message; a JSON condition the selected
//!   value's text; a delimited condition the field's text.
//! - **Comparisons against JSON values** (selector resolves to …):
//!   missing → only `NOT EXISTS` holds; `null` → only `IS NULL` holds; object or array → nothing
//!   holds (not even `!=` or `= *`); string → text comparison, or numeric comparison when the value
//!   is a number literal (see [`Dialect::numeric_string_coercion`]); number → numeric comparison
//!   with a number literal, text comparison of the number *as written in the event* with a string,
//!   glob or regex; boolean → `IS TRUE`/`IS FALSE`, and string, glob or regex comparison with its
//!   JSON text (`true`/`false`); ordering operators are false on booleans.
//! - **Numeric operators on non-numbers**: `<`, `<=`, `>`, `>=` with a right-hand side that is not
//!   a number literal are rejected at parse time; a number literal never matches a value that is
//!   not numeric, whatever the operator (`!=` included).
//! - **Numbers** compare as IEEE-754 doubles.
//! - **Wildcard selectors** are existential: the condition holds when any selected node satisfies
//!   it (`!=` included); `NOT EXISTS` holds when the selector selects nothing. `.*` selects the
//!   members of an object, `[*]` the elements of an array.
//! - **Events that are not a JSON object** (a text prefix, an array, malformed JSON) never match a
//!   JSON pattern, `NOT EXISTS` included. Duplicate keys: the last one wins.
//! - **Space-delimited events** are split on runs of blanks (space, tab, CR, LF, VT, FF); a field
//!   starting with `"` runs to the next `"`, one starting with `[` to the next `]` (delimiters not
//!   part of the value); an unterminated group runs to the end of the message.
//! - **Space-delimited patterns**: at most one `...`; field names are case-sensitive; two fields
//!   with the same name are rejected; every condition in a field must name that field.
//! - **JSON values with blanks must be quoted**: `$.errorMessage = Failed authentication` is a
//!   syntax error (the CIS text that has it is a typo of the quoted form).
//! - **Metric values** that are missing or not numeric contribute nothing (no datapoint and no
//!   default value) for that event.
/// The answers to the points AWS's guide leaves open, one switch each (the module
/// documentation above lists every decision); [`Dialect::default`] is AWS's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Dialect {
    /// Space-delimited pattern without `...` and an event with more fields than the pattern: the
    /// last pattern field takes the rest of the line verbatim (`true`, as production Lambda and
    /// CloudFront patterns rely on), or the event does not match (`false`, as the 2020 guide
    /// says).
    pub absorb_trailing_fields: bool,
    /// `{ $.status >= 500 }` on `"status": "502"`: a JSON string that is entirely a number compares
    /// numerically with a number literal (`true`), or never matches a number literal (`false`).
    /// Comparisons only: a metric value is read from a numeric string either way.
    pub numeric_string_coercion: bool,
    /// The `eventNumber` of the first message in a `TestMetricFilter` answer: 1 (current AWS CLI
    /// example) or 0 (2014 API examples).
    pub event_number_base: u32,
    /// The three-character pattern `" "` matches every event (`true`, as the current guide lists
    /// it) or only events containing a space (`false`, the literal reading).
    pub quoted_space_matches_all: bool,
    /// An unquoted `-` inside a word starts an exclusion (`request-id` is `request -id`, `true`,
    /// the reading that explains why such patterns match nothing in AWS), or is part of the word
    /// (`false`).
    pub split_hyphenated_terms: bool,
}

impl Default for Dialect {
    fn default() -> Dialect {
        Dialect {
            absorb_trailing_fields: true,
            numeric_string_coercion: true,
            event_number_base: 1,
            quoted_space_matches_all: false,
            split_hyphenated_terms: true,
        }
    }
}
