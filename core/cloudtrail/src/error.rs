//! The shape of the application's errors: a kind with a stable code, the field (member, path)
//! at fault and a message, kept as data and rendered at the edge as `field: message [code]`
//! (`message [code]` when no field is at fault). `alarm::AlarmError`, the first of them, keeps its
//! own type: it renders an empty field as `: message [code]`, which its tests pin.

use std::fmt;

/// A kind of [`FieldError`]: each has a stable kebab-case code.
pub trait ErrorKind: Copy + fmt::Debug {
    /// The stable kebab-case code.
    fn code(self) -> &'static str;
}

/// An error of the application: what ([`FieldError::kind`]), which field, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError<K> {
    pub(crate) kind: K,
    pub(crate) field: String,
    pub(crate) message: String,
}

impl<K: ErrorKind> FieldError<K> {
    pub(crate) fn new(kind: K, field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            kind,
            field: field.into(),
            message: message.into(),
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> K {
        self.kind
    }

    /// The stable kebab-case code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The field at fault, in its source's spelling (`eventSource`, `InputPathsMap.instance`);
    /// empty for the input as a whole.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What was found and what was expected.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl<K: ErrorKind> fmt::Display for FieldError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{} [{}]", self.message, self.code())
        } else {
            write!(f, "{}: {} [{}]", self.field, self.message, self.code())
        }
    }
}

impl<K: ErrorKind> std::error::Error for FieldError<K> {}
