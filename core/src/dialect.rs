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
//!   a number literal are rejected at parse time; `=`, `<`, `<=`, `>`, `>=` with a number literal
//!   never match a value that is not numeric; `!=` with a number literal on text that is not a
//!   number is the negation of `=` (see [`Dialect::ne_number_matches_text`]), and false on
//!   booleans, `null`, objects and arrays.
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
    /// numerically with a number literal (`true`), or is treated as text that is not a number
    /// (`false`): then `=`, `<`, `<=`, `>`, `>=` with a number literal never match it, while `!=`
    /// follows [`Dialect::ne_number_matches_text`] (on by default, so `{ $.a != 7 }` matches
    /// `"a": "7"`). Comparisons only: a metric value is read from a numeric string either way.
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
    /// `{ $.s != 222 }` on `"s": "111.111.111.111"`, `[a != 222]` on the field `abc`: `!=` with
    /// a number literal holds for text that is not a number, as the negation of `=` (`true`, as
    /// AWS answered in recorded `TestMetricFilter` runs), or never holds there (`false`, the
    /// earlier reading that a number literal never matches a non-numeric value). Booleans,
    /// `null`, objects and arrays never satisfy it either way.
    pub ne_number_matches_text: bool,
    /// `" {$.a = 1} "`: blanks before the `{` or `[` and after the `}` or `]` of a JSON or
    /// space-delimited pattern are ignored (`true`, the earlier reading) or rejected with
    /// `blank-around-brackets` (`false`, as AWS refused such a pattern in a recorded run). A
    /// pattern of blanks only, and blanks around a term pattern, are accepted either way.
    pub allow_blanks_around_brackets: bool,
}

impl Default for Dialect {
    fn default() -> Dialect {
        Dialect {
            absorb_trailing_fields: true,
            numeric_string_coercion: true,
            event_number_base: 1,
            quoted_space_matches_all: false,
            split_hyphenated_terms: true,
            ne_number_matches_text: true,
            allow_blanks_around_brackets: false,
        }
    }
}

/// The value of one [`Dialect`] switch: most switches are on or off; `event_number_base` is a
/// number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SwitchValue {
    /// An on/off switch.
    Bool(bool),
    /// A numeric switch.
    Number(u32),
}

impl From<bool> for SwitchValue {
    fn from(b: bool) -> SwitchValue {
        SwitchValue::Bool(b)
    }
}

impl From<u32> for SwitchValue {
    fn from(n: u32) -> SwitchValue {
        SwitchValue::Number(n)
    }
}

impl SwitchValue {
    /// `"a boolean"` or `"a number"`: what kind of value this is, for messages.
    pub fn kind(self) -> &'static str {
        match self {
            SwitchValue::Bool(_) => "a boolean",
            SwitchValue::Number(_) => "a number",
        }
    }
}

impl std::fmt::Display for SwitchValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SwitchValue::Bool(b) => b.fmt(f),
            SwitchValue::Number(n) => n.fmt(f),
        }
    }
}

/// The type of a switch's field, converted from a [`SwitchValue`] of its kind.
trait SwitchField: Into<SwitchValue> + Sized {
    fn from_value(value: SwitchValue) -> Option<Self>;
}

impl SwitchField for bool {
    fn from_value(value: SwitchValue) -> Option<bool> {
        match value {
            SwitchValue::Bool(b) => Some(b),
            SwitchValue::Number(_) => None,
        }
    }
}

impl SwitchField for u32 {
    fn from_value(value: SwitchValue) -> Option<u32> {
        match value {
            SwitchValue::Number(n) => Some(n),
            SwitchValue::Bool(_) => None,
        }
    }
}

/// Why [`Dialect::set`] refused a switch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SwitchError {
    /// No switch has this name.
    Unknown {
        /// The name given.
        name: String,
    },
    /// The switch takes the other kind of value (a number for a boolean switch, or the reverse).
    WrongKind {
        /// The switch.
        name: &'static str,
        /// `"a boolean"` or `"a number"`: what it takes.
        expected: &'static str,
        /// The value given.
        found: SwitchValue,
    },
}

impl std::fmt::Display for SwitchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SwitchError::Unknown { name } => write!(
                f,
                "unknown dialect switch '{name}'; the switches are {}",
                Dialect::SWITCHES.join(", ")
            ),
            SwitchError::WrongKind {
                name,
                expected,
                found,
            } => write!(
                f,
                "dialect switch '{name}' takes {expected}, not {} ({found})",
                found.kind()
            ),
        }
    }
}

impl std::error::Error for SwitchError {}

/// The one table of switches: each field of [`Dialect`] with its name. Bindings, case files and
/// tests set and read switches by name through the methods it defines, so that no other place
/// spells a switch's name. `Dialect::switches` destructures a `Dialect` without `..`, so a field
/// missing from this table does not compile.
macro_rules! switch_table {
    ($($field:ident),* $(,)?) => {
        impl Dialect {
            /// The names of the switches, in declaration order.
            pub const SWITCHES: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The value of the switch `name`; `None` when no switch has that name.
            pub fn get(&self, name: &str) -> Option<SwitchValue> {
                match name {
                    $(stringify!($field) => Some(self.$field.into()),)*
                    _ => None,
                }
            }

            /// Sets the switch `name` to `value` (a `bool`, a `u32` or a [`SwitchValue`]). Fails,
            /// changing nothing, for an unknown name or a value of the wrong kind.
            ///
            /// ```
            /// let mut d = trailmatch::Dialect::default();
            /// d.set("absorb_trailing_fields", false)?;
            /// d.set("event_number_base", 0u32)?;
            /// assert!(!d.absorb_trailing_fields);
            /// assert!(d.set("absorb_trailing_field", false).is_err());
            /// # Ok::<(), trailmatch::SwitchError>(())
            /// ```
            pub fn set(
                &mut self,
                name: &str,
                value: impl Into<SwitchValue>,
            ) -> Result<(), SwitchError> {
                let value = value.into();
                match name {
                    $(stringify!($field) => {
                        self.$field = SwitchField::from_value(value).ok_or_else(|| {
                            SwitchError::WrongKind {
                                name: stringify!($field),
                                expected: SwitchValue::from(self.$field).kind(),
                                found: value,
                            }
                        })?;
                        Ok(())
                    })*
                    _ => Err(SwitchError::Unknown { name: name.to_owned() }),
                }
            }

            /// Every switch with its value, in declaration order.
            pub fn switches(&self) -> impl ExactSizeIterator<Item = (&'static str, SwitchValue)> {
                let Dialect { $($field),* } = *self;
                [$((stringify!($field), SwitchValue::from($field))),*].into_iter()
            }
        }
    };
}

switch_table!(
    absorb_trailing_fields,
    numeric_string_coercion,
    event_number_base,
    quoted_space_matches_all,
    split_hyphenated_terms,
    ne_number_matches_text,
    allow_blanks_around_brackets,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_field_once_in_declaration_order() {
        let d = Dialect::default();
        let names: Vec<&str> = d.switches().map(|(name, _)| name).collect();
        assert_eq!(names, Dialect::SWITCHES);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        // The fields, by a destructuring that does not compile when one is added.
        let Dialect {
            absorb_trailing_fields: _,
            numeric_string_coercion: _,
            event_number_base: _,
            quoted_space_matches_all: _,
            split_hyphenated_terms: _,
            ne_number_matches_text: _,
            allow_blanks_around_brackets: _,
        } = d;
        assert_eq!(Dialect::SWITCHES.len(), 7);
    }

    #[test]
    fn every_switch_round_trips_through_set_and_get() {
        for &name in Dialect::SWITCHES {
            let default = Dialect::default();
            let before = default.get(name).expect("a listed switch has a value");
            let other = match before {
                SwitchValue::Bool(b) => SwitchValue::Bool(!b),
                SwitchValue::Number(n) => SwitchValue::Number(n + 7),
            };
            let mut d = default;
            d.set(name, other).expect("a listed switch can be set");
            assert_eq!(d.get(name), Some(other), "{name}");
            assert_ne!(d, default, "{name} changes the dialect");
            // Every other switch keeps its value.
            for ((n, v), (_, v0)) in d.switches().zip(default.switches()) {
                assert_eq!(v == v0, n != name, "{n} after setting {name}");
            }
            d.set(name, before).expect("and set back");
            assert_eq!(d, default, "{name}");
        }
    }

    #[test]
    fn set_names_the_unknown_switch_and_lists_the_valid_ones() {
        let mut d = Dialect::default();
        let e = d.set("absorb_trailing_field", true).unwrap_err();
        assert_eq!(
            e,
            SwitchError::Unknown {
                name: "absorb_trailing_field".into()
            }
        );
        let text = e.to_string();
        assert!(text.contains("'absorb_trailing_field'"), "{text}");
        for name in Dialect::SWITCHES {
            assert!(text.contains(name), "{text} lists {name}");
        }
        assert_eq!(d.get("absorb_trailing_field"), None);
        assert_eq!(d, Dialect::default());
    }

    #[test]
    fn set_refuses_a_value_of_the_wrong_kind() {
        let mut d = Dialect::default();
        let e = d.set("event_number_base", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "dialect switch 'event_number_base' takes a number, not a boolean (true)"
        );
        let e = d.set("absorb_trailing_fields", 0u32).unwrap_err();
        assert!(matches!(
            e,
            SwitchError::WrongKind {
                name: "absorb_trailing_fields",
                expected: "a boolean",
                ..
            }
        ));
        assert_eq!(d, Dialect::default());
    }
}
