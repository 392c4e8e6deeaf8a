//! The dialect the targets test besides the default one.

use trailmatch::Dialect;

/// Every `Dialect` switch set to the value the default does not have, so that the default and
/// this between them give each switch both of its values.
pub fn flipped() -> Dialect {
    let default = Dialect::default();
    let mut flipped = Dialect::default();
    flipped.absorb_trailing_fields = !default.absorb_trailing_fields;
    flipped.numeric_string_coercion = !default.numeric_string_coercion;
    flipped.event_number_base = 1 - default.event_number_base.min(1);
    flipped.quoted_space_matches_all = !default.quoted_space_matches_all;
    flipped.split_hyphenated_terms = !default.split_hyphenated_terms;
    flipped
}
