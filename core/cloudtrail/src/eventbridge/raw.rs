//! JSON read without rewriting it: the members of an object and the items of an array as the
//! text they were written with (serde_json's `RawValue`), so that what is copied from a record
//! or an event — a `detail`, a value an input path selects — keeps its numbers, key order and
//! escapes byte for byte.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The members of one JSON object, in the order written, each value as its text.
#[derive(Debug)]
pub(crate) struct Members<'a>(pub(crate) Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(Members(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// The members of the object `text` is (white space around it allowed), or serde's error.
pub(crate) fn members(text: &str) -> Result<Vec<(String, &RawValue)>, serde_json::Error> {
    serde_json::from_str::<Members<'_>>(text).map(|m| m.0)
}

/// The first member named `key` of the object `text` is, when `text` is an object that has it.
pub(crate) fn member<'a>(text: &'a str, key: &str) -> Option<&'a RawValue> {
    members(text)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The items of the array `text` is, when it is one.
pub(crate) fn items(text: &str) -> Option<Vec<&RawValue>> {
    serde_json::from_str::<Vec<&RawValue>>(text).ok()
}

/// What a value's text starts with, for its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    /// A number, `true`, `false` or `null`.
    Scalar,
}

/// The kind of a value by its first character (the text of a `RawValue` has no white space
/// around it).
pub(crate) fn kind(raw: &RawValue) -> Kind {
    match raw.get().as_bytes().first() {
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b'"') => Kind::String,
        _ => Kind::Scalar,
    }
}

/// The content of a JSON string value (escapes decoded), or `None` for another kind.
pub(crate) fn string(raw: &RawValue) -> Option<String> {
    if kind(raw) != Kind::String {
        return None;
    }
    serde_json::from_str::<String>(raw.get()).ok()
}

/// The byte offset of `part` in `whole`, when `part` is a slice of it (as the text of a
/// `RawValue` borrowed from `whole` is).
pub(crate) fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = whole.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    let offset = at.checked_sub(start)?;
    (offset.checked_add(part.len())? <= whole.len()).then_some(offset)
}

/// `text` as a JSON string literal.
pub(crate) fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_order_and_text() {
        let text = r#" {"b": 1.0e2, "a": {"x" : [1, 2]}, "c": "\u00e9"} "#;
        let got: Vec<(String, &str)> = members(text)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.get()))
            .collect();
        assert_eq!(
            got,
            [
                ("b".to_owned(), "1.0e2"),
                ("a".to_owned(), r#"{"x" : [1, 2]}"#),
                ("c".to_owned(), r#""\u00e9""#)
            ]
        );
        let found = members(text).unwrap();
        assert_eq!(kind(found[1].1), Kind::Object);
        assert_eq!(string(found[2].1).as_deref(), Some("é"));
        assert!(members("[1]").is_err());
        assert!(members("{\"a\": 1} x").is_err());
        let a = member(text, "a").unwrap();
        assert_eq!(offset_in(text, a.get()), text.find("{\"x\""));
        assert_eq!(string(member(text, "c").unwrap()).as_deref(), Some("é"));
        assert_eq!(items("[1, {}]").map(|v| v.len()), Some(2));
        assert_eq!(offset_in("abc", "abc x"), None);
    }
}
