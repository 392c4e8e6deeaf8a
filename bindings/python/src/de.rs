//! Python objects read through serde, so that core's `Deserialize` types (a metric
//! transformation) decide which keys and values they accept: this only walks the object.
//!
//! `None` is a unit (and an absent `Option`), `bool`, `int`, `float` and `str` are themselves
//! and a mapping is a map; nothing else is needed yet. Floats pass as they are (a NaN
//! `defaultValue` reaches core's validation, as with boto3 it reaches AWS's).

use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyMapping, PyString};
use serde::de::{self, DeserializeSeed, Deserializer, Expected, Unexpected, Visitor};
use serde::forward_to_deserialize_any;

use crate::convert::type_name;

/// Why a Python object does not deserialise; see `error::transformation_error`.
#[derive(Debug)]
pub(crate) enum DeError {
    /// A key the type does not have, with the keys it has.
    UnknownKey {
        key: String,
        expected: &'static [&'static str],
    },
    /// A key the type needs.
    MissingKey(&'static str),
    /// A value of the wrong type at `path` (keys, outermost first).
    Type {
        path: Vec<String>,
        expected: String,
        found: String,
    },
    /// Anything else serde says.
    Message(String),
    /// A Python exception raised while reading the object.
    Python(PyErr),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::UnknownKey { key, expected } => {
                write!(
                    f,
                    "unknown key '{key}'; the keys are {}",
                    expected.join(", ")
                )
            }
            DeError::MissingKey(key) => write!(f, "missing key '{key}'"),
            DeError::Type {
                path,
                expected,
                found,
            } => write!(f, "'{}' is {expected}, not {found}", path.join(".")),
            DeError::Message(message) => f.write_str(message),
            DeError::Python(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> DeError {
        DeError::Message(message.to_string())
    }

    fn invalid_type(found: Unexpected<'_>, expected: &dyn Expected) -> DeError {
        DeError::Type {
            path: Vec::new(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    fn unknown_field(key: &str, expected: &'static [&'static str]) -> DeError {
        DeError::UnknownKey {
            key: key.to_owned(),
            expected,
        }
    }

    fn missing_field(key: &'static str) -> DeError {
        DeError::MissingKey(key)
    }
}

impl From<PyErr> for DeError {
    fn from(error: PyErr) -> DeError {
        DeError::Python(error)
    }
}

/// A Python object as a serde `Deserializer`.
pub(crate) struct PyDeserializer<'a, 'py>(pub(crate) &'a Bound<'py, PyAny>);

impl<'de> Deserializer<'de> for PyDeserializer<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.0;
        visit(value, visitor).map_err(|error| match error {
            // A type error about this value (not one within it) names its Python type.
            DeError::Type { path, expected, .. } if path.is_empty() => DeError::Type {
                path,
                expected,
                found: type_name(value),
            },
            other => other,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.0.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// Hands `value` to `visitor` as what it is in Python.
fn visit<'de, V: Visitor<'de>>(value: &Bound<'_, PyAny>, visitor: V) -> Result<V::Value, DeError> {
    if value.is_none() {
        return visitor.visit_unit();
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return visitor.visit_bool(flag.is_true());
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(n) = value.extract::<i64>() {
            return visitor.visit_i64(n);
        }
        if let Ok(n) = value.extract::<u64>() {
            return visitor.visit_u64(n);
        }
        return Err(de::Error::invalid_type(
            Unexpected::Other("an integer out of range"),
            &visitor,
        ));
    }
    if let Ok(number) = value.cast::<PyFloat>() {
        return visitor.visit_f64(number.value());
    }
    if value.is_instance_of::<PyString>() {
        return visitor.visit_string(value.extract()?);
    }
    if let Ok(mapping) = value.cast::<PyMapping>() {
        let items = mapping
            .items()?
            .iter()
            .map(|item| item.extract())
            .collect::<PyResult<Vec<_>>>()?;
        return visitor.visit_map(MapAccess {
            items: items.into_iter(),
            key: None,
            value: None,
        });
    }
    let found = type_name(value);
    Err(de::Error::invalid_type(Unexpected::Other(&found), &visitor))
}

/// Puts `key` in front of the path of a type error from within a map.
fn within(key: String, error: DeError) -> DeError {
    match error {
        DeError::Type {
            mut path,
            expected,
            found,
        } => {
            path.insert(0, key);
            DeError::Type {
                path,
                expected,
                found,
            }
        }
        other => other,
    }
}

struct MapAccess<'py> {
    items: std::vec::IntoIter<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    /// The key last read, as the path of errors in its value shows it.
    key: Option<String>,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        let shown = key.str().map_or_else(|_| "?".to_owned(), |s| s.to_string());
        let read = seed
            .deserialize(PyDeserializer(&key))
            .map_err(|e| match e {
                DeError::Type { .. } => DeError::Type {
                    path: vec![shown.clone()],
                    expected: "a str key".to_owned(),
                    found: type_name(&key),
                },
                other => other,
            })?;
        self.key = Some(shown);
        self.value = Some(value);
        Ok(Some(read))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| DeError::Message("a map value without its key".to_owned()))?;
        let key = self.key.take().unwrap_or_default();
        seed.deserialize(PyDeserializer(&value))
            .map_err(|e| within(key, e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}
