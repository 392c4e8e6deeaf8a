//! The values a match extracts ([`Extracted`]): what the reference evaluator and the compiled
//! engine both produce.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The values a match extracts: TestMetricFilter's `extractedValues`. Keys are `$name` for named
/// fields of a space-delimited pattern and `$n` (1-based event position) for the others; term and
/// JSON patterns extract nothing. Entries keep the order of the event's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Extracted {
    entries: Vec<(String, String)>,
}

impl Extracted {
    pub(crate) fn push(&mut self, key: String, value: &str) {
        self.entries.push((key, value.to_owned()));
    }

    /// The value of `key` (`"$status_code"`, `"$1"`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `(key, value)` pairs in event order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was extracted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Extracted {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Extracted {
            entries: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl Serialize for Extracted {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Extracted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Extracted;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Extracted, A::Error> {
                let mut out = Extracted::default();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.entries.push((k, v));
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Entries)
    }
}
