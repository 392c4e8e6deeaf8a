//! Events in, dicts out: the conversions every class shares.
//!
//! Events are `str`, UTF-8 `bytes` or other buffers (`bytearray`, `memoryview`, ...), or `dict`
//! (serialised once with `json.dumps`, compact separators); see `Event`.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::ops::Range;
use std::str::Utf8Error;

use pyo3::exceptions::{PyTypeError, PyUnicodeDecodeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMemoryView, PySlice, PyString};
use trailmatch::Extracted;

/// An event's text, held without the interpreter so that matching can release it.
pub(crate) enum Event {
    /// A `str` (or the JSON text of a `dict`), borrowed from Python in its UTF-8 form, not
    /// copied (`PyUnicode_AsUTF8AndSize`, stable from Python 3.10: an ASCII string's own data,
    /// otherwise made once and kept by the string).
    Str(PyBackedStr),
    /// The bytes of a `bytes` (borrowed, not copied), `bytearray` or other buffer (copied), not
    /// yet checked to be UTF-8: batches check them with the interpreter lock released.
    Bytes(PyBackedBytes),
}

impl Event {
    /// The event's text, or the UTF-8 error of its bytes.
    pub(crate) fn text(&self) -> Result<&str, Utf8Error> {
        match self {
            Event::Str(s) => Ok(s),
            Event::Bytes(b) => utf8(b),
        }
    }

    /// The event's text, or a `UnicodeDecodeError` (a `ValueError`) for bytes that are not UTF-8.
    pub(crate) fn text_or_raise(&self, py: Python<'_>) -> PyResult<&str> {
        self.text()
            .map_err(|e| utf8_error(py, self.bytes(), e, None))
    }

    /// The event's text as bytes, for messages.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Event::Str(s) => s.as_bytes(),
            Event::Bytes(b) => b,
        }
    }

    /// The number of bytes of the event's text.
    pub(crate) fn len(&self) -> usize {
        self.bytes().len()
    }
}

/// `bytes` as text when they are UTF-8: checked with SIMD (`simdutf8`, about three times as fast
/// as `std::str::from_utf8` on events, where the check was 8 % of `match_many`'s time), and again
/// by `std` only to locate a fault.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, Utf8Error> {
    simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes))
}

/// `functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`:
/// NaN and the infinities, which JSON cannot write, are a `ValueError` (written as `NaN`, the
/// event would not be JSON, and no JSON pattern would match it).
static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn dumps(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    let dumps = DUMPS.get_or_try_init(py, || {
        let json_dumps = py.import("json")?.getattr("dumps")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("separators", (",", ":"))?;
        kwargs.set_item("ensure_ascii", false)?;
        kwargs.set_item("allow_nan", false)?;
        let partial = py.import("functools")?.getattr("partial")?;
        PyResult::Ok(partial.call((json_dumps,), Some(&kwargs))?.unbind())
    })?;
    Ok(dumps.bind(py))
}

/// Converts one event: a `str`; UTF-8 `bytes` (borrowed), `bytearray`, `memoryview` or any other
/// object with the buffer protocol and one-byte items (copied once); or a `dict`, serialised as
/// compact JSON. The bytes are not checked here: see `Event::text`.
pub(crate) fn event(value: &Bound<'_, PyAny>) -> PyResult<Event> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Event::Str(PyBackedStr::try_from(text.clone())?));
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(Event::Bytes(PyBackedBytes::from(bytes.clone())));
    }
    if value.is_instance_of::<PyDict>() {
        let text = dumps(py)?
            .call1((value,))
            .map_err(|e| {
                told(py, e, "a dict event cannot be written as JSON").unwrap_or_else(|e| e)
            })?
            .cast_into::<PyString>()?;
        return Ok(Event::Str(PyBackedStr::try_from(text)?));
    }
    if let Ok(bytes) = value.cast::<PyByteArray>() {
        return Ok(Event::Bytes(PyBackedBytes::from(bytes.clone())));
    }
    if let Ok(view) = PyMemoryView::from(value) {
        return Ok(Event::Bytes(buffer_bytes(
            &view.into_any(),
            "an event",
            None,
        )?));
    }
    Err(PyTypeError::new_err(format!(
        "an event is a str, bytes, bytearray, memoryview or other buffer of UTF-8, or a dict, \
         not {}",
        type_name(value)
    )))
}

/// A copy of the bytes `range` (all of them for None) of `view`, a `memoryview` of a
/// C-contiguous buffer of one-byte items; `what` names it in errors ("an event", "data"). The
/// copy is one `memcpy` into a `bytes` (the stable ABI of Python 3.10 has no safe access to a
/// buffer's memory without one).
pub(crate) fn buffer_bytes(
    view: &Bound<'_, PyAny>,
    what: &str,
    range: Option<Range<usize>>,
) -> PyResult<PyBackedBytes> {
    let view = byte_view(view, what)?;
    let view = match range {
        None => view,
        Some(range) => view.get_item(PySlice::new(
            view.py(),
            isize::try_from(range.start)?,
            isize::try_from(range.end)?,
            1,
        ))?,
    };
    let bytes = view.call_method0("tobytes")?.cast_into::<PyBytes>()?;
    Ok(PyBackedBytes::from(bytes))
}

/// `view` (a `memoryview`) as a one-dimensional view of its bytes: refused unless it is
/// C-contiguous with one-byte items (`'B'`, `'b'` or `'c'`), so that a buffer of wider
/// numbers is not read as text by mistake.
pub(crate) fn byte_view<'py>(view: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyAny>> {
    if !view.getattr("c_contiguous")?.is_truthy()? {
        return Err(PyValueError::new_err(format!(
            "{what}: the buffer is not C-contiguous"
        )));
    }
    let format: String = view.getattr("format")?.extract()?;
    // A one-byte item has no byte order, so a prefix that gives one (ctypes writes `<B`) is
    // the same format.
    let item = format.trim_start_matches(['@', '=', '<', '>', '!']);
    if !matches!(item, "B" | "b" | "c") {
        return Err(PyTypeError::new_err(format!(
            "{what}: a buffer of bytes is expected, not one of format '{format}'"
        )));
    }
    if format == "B" && view.getattr("ndim")?.extract::<usize>()? == 1 {
        return Ok(view.clone());
    }
    view.call_method1("cast", ("B",))
}

/// A `UnicodeDecodeError` (a `ValueError`) for `bytes` that are not UTF-8, in the words of
/// Python's own codec: `start` and `end` are byte offsets into `bytes` (the exception's `object`).
/// In a batch, `at` is the event's position (the exception's `index`, also named in the message)
/// and, for a buffer of many events, where the event's bytes start in it.
pub(crate) fn utf8_error(
    py: Python<'_>,
    bytes: &[u8],
    error: Utf8Error,
    at: Option<(usize, Option<usize>)>,
) -> PyErr {
    let start = error.valid_up_to();
    let end = error.error_len().map_or(bytes.len(), |n| start + n);
    // CPython's reasons (Objects/unicodeobject.c).
    let mut reason = match (error.error_len(), bytes.get(start)) {
        (None, _) => "unexpected end of data".to_owned(),
        (Some(_), Some(0x80..=0xC1 | 0xF5..=0xFF)) => "invalid start byte".to_owned(),
        (Some(_), _) => "invalid continuation byte".to_owned(),
    };
    if let Some((index, base)) = at {
        reason.push_str(&format!(", in event {index}"));
        if let Some(base) = base {
            reason.push_str(&format!(
                " (bytes {}..{} of data)",
                base,
                base + bytes.len()
            ));
        }
    }
    let build = || -> PyResult<PyErr> {
        let reason = CString::new(reason).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let exception = PyUnicodeDecodeError::new(py, c"utf-8", bytes, start..end, &reason)?;
        if let Some((index, _)) = at {
            exception.setattr("index", index)?;
        }
        Ok(PyErr::from_value(exception.into_any()))
    };
    build().unwrap_or_else(|failure| failure)
}

/// `error`, raised converting the event at `index` of a batch, told where: its `index`
/// attribute is set, as a `UnicodeDecodeError`'s is, and its message starts "in event N: "
/// (a `TypeError` or `ValueError`, the original its cause; another type, whose constructor may
/// take more than a message, gets a note where Python has notes, 3.11 on).
pub(crate) fn at_event(py: Python<'_>, error: PyErr, index: usize) -> PyErr {
    let said = format!("in event {index}");
    let error = match told(py, error, &said) {
        Ok(told) => told,
        Err(error) => {
            let value = error.value(py);
            if value.hasattr("add_note").unwrap_or(false) {
                let _ = value.call_method1("add_note", (said,));
            }
            error
        }
    };
    // Cannot fail on an exception instance; the error is raised as it is either way.
    let _ = error.value(py).setattr("index", index);
    error
}

/// `error` as a new exception of its type with "`context`: " before its message, the original
/// its cause, when it is exactly a `TypeError` or `ValueError` (whose constructors take a
/// message alone); `Err(error)` as it is otherwise.
pub(crate) fn told(py: Python<'_>, error: PyErr, context: &str) -> Result<PyErr, PyErr> {
    let kind = error.get_type(py);
    if !(kind.is(py.get_type::<PyTypeError>()) || kind.is(py.get_type::<PyValueError>())) {
        return Err(error);
    }
    let message = format!("{context}: {}", error.value(py));
    let told = PyErr::from_type(kind, message);
    told.set_cause(py, Some(error));
    Ok(told)
}

/// The name of `value`'s type, for messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// Refuses a lone event where an iterable of them is expected (iterating it would give
/// characters, bytes or keys).
pub(crate) fn refuse_single(value: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    let single = value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
        || value.is_instance_of::<PyMemoryView>()
        || value.is_instance_of::<PyDict>();
    if single {
        return Err(PyTypeError::new_err(format!(
            "{what} takes an iterable of events, not one {}",
            type_name(value)
        )));
    }
    Ok(())
}

/// Extracted values (TestMetricFilter's `extractedValues`) as a dict, in event order.
pub(crate) fn extracted_dict<'py>(
    py: Python<'py>,
    values: &Extracted,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in values.iter() {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

/// A map of strings as a dict.
pub(crate) fn string_map<'py>(
    py: Python<'py>,
    map: &BTreeMap<String, String>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

/// A serialisable core value (a metric transformation, a TestMetricFilter response) as Python
/// objects: structs and maps become dicts in serde's order (the AWS member names stay core's),
/// sequences lists, integers `int` and floats `float`.
pub(crate) fn to_python<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}
