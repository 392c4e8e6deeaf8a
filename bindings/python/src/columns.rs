//! `PatternSet.match_buffers` and `PatternSet.match_arrow`: many events in one buffer, laid out
//! as an Arrow `StringArray` (or `LargeStringArray`, `BinaryArray`, `LargeBinaryArray`) is: the
//! events' UTF-8 bytes one after the other (`data`), `n + 1` offsets into them (int32, or int64
//! for the large types) and an optional validity bitmap (a null event matches nothing).
//!
//! The buffers are read through the buffer protocol, so no Python object is made per event. The
//! stable ABI of Python 3.10 (the buffer protocol joined it in 3.11) and the workspace's
//! `forbid(unsafe_code)` leave one way to read the memory of a buffer other than `bytes`:
//! `memoryview.tobytes()`, one copy. A `bytes` is borrowed as it is; any other buffer is copied a
//! group of events at a time (`COPY_BYTES`), so that the copy is still in the cache when the
//! group is matched and memory grows by one group, not by the whole buffer. Matching runs with
//! the interpreter lock released.
//!
//! The answer is compact: for event `i`, the indices of its matching patterns are
//! `indices[offsets[i]:offsets[i + 1]]`, two int32 arrays: the layout of an Arrow `ListArray`.

use std::ops::Range;
use std::str::Utf8Error;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyMemoryView, PyString};
use trailmatch::PatternSet;

use crate::convert::{buffer_bytes, byte_view, type_name, utf8, utf8_error};

/// Bytes of events copied (from a buffer other than `bytes`) and matched at a time: the copy
/// stays in the core's 1 MiB share of L2 while the group is matched.
const COPY_BYTES: usize = 512 << 10;

/// One buffer argument: a `bytes` (borrowed whole) or a one-byte `memoryview` of anything else
/// (its ranges copied when read).
enum Source<'py> {
    Bytes(PyBackedBytes),
    View(Bound<'py, PyAny>),
}

/// Bytes read from a `Source`: `bytes` covers the source's bytes from `base` on.
struct Held {
    bytes: PyBackedBytes,
    base: usize,
}

impl Held {
    /// The source's bytes `range`, when this holds them.
    fn get(&self, range: Range<usize>) -> Option<&[u8]> {
        self.bytes
            .get(range.start.checked_sub(self.base)?..range.end.checked_sub(self.base)?)
    }
}

impl<'py> Source<'py> {
    /// `value` as a source of bytes; `what` names the argument in errors. With `width` (the
    /// offsets), a buffer of signed integers of that size is taken too, as its bytes.
    fn new(value: &Bound<'py, PyAny>, what: &str, width: Option<usize>) -> PyResult<Self> {
        if let Ok(bytes) = value.cast::<PyBytes>() {
            return Ok(Source::Bytes(PyBackedBytes::from(bytes.clone())));
        }
        let view = PyMemoryView::from(value)
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "{what}: a bytes-like object (buffer protocol) is expected, not {}",
                    type_name(value)
                ))
            })?
            .into_any();
        let itemsize: usize = view.getattr("itemsize")?.extract()?;
        let Some(width) = width.filter(|_| itemsize != 1) else {
            return Ok(Source::View(byte_view(&view, what)?));
        };
        let format: String = view.getattr("format")?.extract()?;
        let code = format.trim_start_matches(['@', '=', '<']);
        let signed = matches!(code, "i" | "l" | "q" | "n");
        let contiguous = view.getattr("c_contiguous")?.is_truthy()?;
        if itemsize != width || !signed || !contiguous {
            let hint = match (itemsize, width, signed) {
                (8, 4, true) => " (large=True for int64 offsets)",
                (4, 8, true) => " (large=False for int32 offsets)",
                _ => "",
            };
            // The format may be right and the layout not (a strided slice).
            let found = if itemsize == width && signed {
                "a strided view of them (copy it first, e.g. with bytes())".to_owned()
            } else {
                format!("one of format '{format}'{hint}")
            };
            return Err(PyTypeError::new_err(format!(
                "{what}: a C-contiguous buffer of bytes or of {}-bit signed integers is expected, \
                 not {found}",
                width * 8
            )));
        }
        Ok(Source::View(view.call_method1("cast", ("B",))?))
    }

    fn len(&self) -> PyResult<usize> {
        match self {
            Source::Bytes(bytes) => Ok(bytes.len()),
            Source::View(view) => view.len(),
        }
    }

    /// The bytes `range` (within `len()`): the `bytes` itself, or a copy of the range.
    fn read(&self, py: Python<'_>, range: Range<usize>, what: &str) -> PyResult<Held> {
        match self {
            Source::Bytes(bytes) => Ok(Held {
                bytes: bytes.clone_ref(py),
                base: 0,
            }),
            Source::View(view) => Ok(Held {
                base: range.start,
                bytes: buffer_bytes(view, what, Some(range))?,
            }),
        }
    }
}

/// The arguments of `match_buffers`, read.
pub(crate) struct Columns<'py> {
    data: Source<'py>,
    /// Offsets `offset ..= offset + length`, checked: non-negative, never decreasing, within
    /// `data`.
    offsets: Vec<usize>,
    /// For each event, whether it is valid (not null); None when all are.
    valid: Option<Vec<bool>>,
}

impl<'py> Columns<'py> {
    /// Reads and checks the buffers: every offset is checked against `data`'s length here, so
    /// that matching never reads out of bounds; UTF-8 is checked per event while matching.
    pub(crate) fn new(
        data: Option<&Bound<'py, PyAny>>,
        offsets: &Bound<'py, PyAny>,
        validity: Option<&Bound<'py, PyAny>>,
        length: Option<usize>,
        offset: usize,
        large: bool,
    ) -> PyResult<Self> {
        let py = offsets.py();
        let width = if large { 8 } else { 4 };
        let kind = if large { "int64" } else { "int32" };
        let data = match data {
            Some(data) => Source::new(data, "data", None)?,
            None => Source::Bytes(PyBackedBytes::from(PyBytes::new(py, b""))),
        };
        let source = Source::new(offsets, "offsets", Some(width))?;
        let size = source.len()?;
        let entries = size / width;
        let length = match length {
            Some(length) => length,
            None => {
                if size % width != 0 {
                    return Err(PyValueError::new_err(format!(
                        "offsets: {size} bytes are not a whole number of {kind} offsets{}",
                        if large {
                            ""
                        } else {
                            " (large=True for int64 offsets)"
                        }
                    )));
                }
                offset
                    .checked_add(1)
                    .and_then(|o| entries.checked_sub(o))
                    .ok_or_else(|| {
                        PyValueError::new_err(format!(
                            "offsets: {entries} offsets, none for the event at offset {offset}"
                        ))
                    })?
            }
        };
        let needed = offset
            .checked_add(length)
            .and_then(|n| n.checked_add(1))
            .filter(|&n| n <= entries)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "offsets: {length} events from offset {offset} need {} {kind} offsets; \
                     the buffer holds {entries}",
                    offset as u128 + length as u128 + 1
                ))
            })?;
        let raw = source.read(py, offset * width..needed * width, "offsets")?;
        let raw = raw.get(offset * width..needed * width).unwrap_or_default();
        let data_len = data.len()?;
        let mut checked = Vec::with_capacity(length + 1);
        for (i, chunk) in raw.chunks_exact(width).enumerate() {
            let value = if large {
                <[u8; 8]>::try_from(chunk).map_or(0, i64::from_ne_bytes)
            } else {
                <[u8; 4]>::try_from(chunk).map_or(0, |b| i64::from(i32::from_ne_bytes(b)))
            };
            let k = offset + i;
            let Ok(value) = usize::try_from(value) else {
                return Err(PyValueError::new_err(format!(
                    "offsets[{k}] = {value} is negative"
                )));
            };
            if let Some(&previous) = checked.last() {
                if value < previous {
                    return Err(PyValueError::new_err(format!(
                        "offsets[{k}] = {value} is less than offsets[{}] = {previous}: offsets \
                         never decrease",
                        k - 1
                    )));
                }
            }
            if value > data_len {
                return Err(PyValueError::new_err(format!(
                    "offsets[{k}] = {value} is past the end of data ({data_len} bytes)"
                )));
            }
            checked.push(value);
        }
        let valid = match validity {
            None => None,
            Some(validity) if validity.is_none() => None,
            Some(validity) => Some(read_validity(validity, offset, length)?),
        };
        Ok(Columns {
            data,
            offsets: checked,
            valid,
        })
    }

    /// The number of events.
    pub(crate) fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

impl Columns<'_> {
    /// Calls `f` with element `i`'s bytes (`None` for a null), read as `match_columns` reads
    /// events: borrowed from a `bytes`, else copied one element at a time.
    pub(crate) fn with_element<R>(
        &self,
        py: Python<'_>,
        i: usize,
        f: impl FnOnce(Option<&[u8]>) -> R,
    ) -> PyResult<R> {
        if self
            .valid
            .as_deref()
            .is_some_and(|v| !v.get(i).copied().unwrap_or(false))
        {
            return Ok(f(None));
        }
        let at = |i: usize| self.offsets.get(i).copied().unwrap_or_default();
        let range = at(i)..at(i + 1);
        let held = self.data.read(py, range.clone(), "data")?;
        Ok(f(Some(held.get(range).unwrap_or_default())))
    }
}

/// The type of a pyarrow array of strings or binaries (`string`, `large_binary`, …), and whether
/// its offsets are 64-bit (the large types) rather than 32-bit; a `TypeError` naming `what` for
/// another type, or for anything that is no pyarrow array (a list has no `type`).
fn arrow_kind(array: &Bound<'_, PyAny>, what: &str) -> PyResult<(String, bool)> {
    let Ok(kind) = array.getattr("type") else {
        return Err(PyTypeError::new_err(format!(
            "{what} takes a pyarrow array (or chunked array) of strings, not {}",
            crate::convert::type_name(array)
        )));
    };
    let kind = kind.str()?.to_string();
    match kind.as_str() {
        "string" | "utf8" | "binary" => Ok((kind, false)),
        "large_string" | "large_utf8" | "large_binary" => Ok((kind, true)),
        _ => Err(PyTypeError::new_err(format!(
            "{what} takes a pyarrow array of string, large_string, binary or large_binary, not \
             {kind} (cast it first, e.g. array.cast(pyarrow.string()))"
        ))),
    }
}

/// The buffers of a pyarrow `string`, `binary` (or large) array, read as `Columns`; `None` for
/// an empty array without an offsets buffer. `what` names the array in errors.
pub(crate) fn arrow_columns<'py>(
    array: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Option<Columns<'py>>> {
    let (kind, large) = arrow_kind(array, what)?;
    let buffers = array.call_method0("buffers")?.cast_into::<PyList>()?;
    if buffers.len() != 3 {
        return Err(PyValueError::new_err(format!(
            "{what}: a {kind} array has 3 buffers, this one {}",
            buffers.len()
        )));
    }
    let (validity, offsets, data) = (
        buffers.get_item(0)?,
        buffers.get_item(1)?,
        buffers.get_item(2)?,
    );
    if offsets.is_none() {
        return Ok(None);
    }
    let length = array.len()?;
    let offset: usize = array.getattr("offset")?.extract()?;
    Columns::new(
        (!data.is_none()).then_some(&data),
        &offsets,
        Some(&validity),
        Some(length),
        offset,
        large,
    )
    .map(Some)
}

/// The validity bits `offset .. offset + length` of an Arrow bitmap (least significant bit
/// first), one bool per event.
fn read_validity(value: &Bound<'_, PyAny>, offset: usize, length: usize) -> PyResult<Vec<bool>> {
    let source = Source::new(value, "validity", None)?;
    let end = offset + length;
    let needed = end.div_ceil(8);
    let size = source.len()?;
    if size < needed {
        return Err(PyValueError::new_err(format!(
            "validity: {size} bytes hold {} bits; {length} events from offset {offset} need {end}",
            size * 8
        )));
    }
    let first = offset / 8;
    let held = source.read(value.py(), first..needed, "validity")?;
    let bits = held.get(first..needed).unwrap_or_default();
    Ok((offset..end)
        .map(|bit| {
            bits.get(bit / 8 - first)
                .is_some_and(|byte| byte >> (bit % 8) & 1 == 1)
        })
        .collect())
}

/// Why matching stopped.
enum Fault {
    /// The event's bytes (at this position in the call) are not UTF-8.
    Utf8(usize, Utf8Error),
    /// More matches than int32 offsets can count.
    TooMany,
}

/// The answer of `match_buffers`: `offsets` (one more than the events) into `indices`.
pub(crate) struct Matches {
    pub(crate) offsets: Vec<i32>,
    pub(crate) indices: Vec<i32>,
}

/// Matches every event of `columns` against `set`, the interpreter lock released; `first` is
/// the position of the first event in what the caller sees (for errors: chunks of an array).
pub(crate) fn match_columns(
    py: Python<'_>,
    set: &PatternSet,
    columns: &Columns<'_>,
    first: usize,
) -> PyResult<Matches> {
    let n = columns.len();
    let mut matches = Matches {
        offsets: Vec::with_capacity(n + 1),
        indices: Vec::new(),
    };
    matches.offsets.push(0);
    let offsets = &columns.offsets;
    // Offset `i`; `Columns::new` made `n + 1` of them, so none is missing.
    let at = |i: usize| offsets.get(i).copied().unwrap_or_default();
    let mut start = 0;
    while start < n {
        // A group: events up to COPY_BYTES (at least one), copied together from a view; between
        // groups a signal (Ctrl-C) is seen.
        let limit = at(start).saturating_add(COPY_BYTES);
        let mut end = start + 1;
        while end < n && at(end + 1) <= limit {
            end += 1;
        }
        let held = columns.data.read(py, at(start)..at(end), "data")?;
        let valid = columns.valid.as_deref();
        let done = py.detach(|| {
            let mut answer = Vec::new();
            for i in start..end {
                if valid.is_none_or(|v| v.get(i).copied().unwrap_or(false)) {
                    let bytes = held.get(at(i)..at(i + 1)).unwrap_or_default();
                    let text = utf8(bytes).map_err(|e| Fault::Utf8(i, e))?;
                    set.matches_into(text, &mut answer);
                    for &index in &answer {
                        matches
                            .indices
                            .push(i32::try_from(index).map_err(|_| Fault::TooMany)?);
                    }
                }
                let count = i32::try_from(matches.indices.len()).map_err(|_| Fault::TooMany)?;
                matches.offsets.push(count);
            }
            Ok(())
        });
        if let Err(fault) = done {
            return Err(match fault {
                Fault::Utf8(i, e) => {
                    let range = at(i)..at(i + 1);
                    let bytes = held.get(range.clone()).unwrap_or_default();
                    utf8_error(py, bytes, e, Some((first + i, Some(range.start))))
                }
                Fault::TooMany => PyValueError::new_err(
                    "more than 2**31 - 1 matches in one call: match fewer events at a time",
                ),
            });
        }
        start = end;
        py.check_signals()?;
    }
    Ok(matches)
}

/// `values` as a `memoryview` of int32 (format `'i'`) over a new `bytes`.
pub(crate) fn int32_view<'py>(py: Python<'py>, values: &[i32]) -> PyResult<Bound<'py, PyAny>> {
    let bytes = int32_bytes(py, values)?;
    PyMemoryView::from(&bytes)?.call_method1("cast", ("i",))
}

/// `values` as the bytes of an int32 array (native byte order).
pub(crate) fn int32_bytes<'py>(py: Python<'py>, values: &[i32]) -> PyResult<Bound<'py, PyAny>> {
    let bytes = PyBytes::new_with(py, values.len() * 4, |buffer| {
        for (to, value) in buffer.chunks_exact_mut(4).zip(values) {
            to.copy_from_slice(&value.to_ne_bytes());
        }
        Ok(())
    })?;
    Ok(bytes.into_any())
}

/// `match_arrow` for one pyarrow array: a `ListArray` of int32 indices, or of the names (a
/// `pyarrow.string()` child) when `names` (the set's names, as a pyarrow array) is given.
pub(crate) fn match_arrow_array<'py>(
    set: &PatternSet,
    array: &Bound<'py, PyAny>,
    names: Option<&Bound<'py, PyAny>>,
    first: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let py = array.py();
    let pa = py.import("pyarrow")?;
    let (kind, large) = arrow_kind(array, "match_arrow")?;
    let buffers = array.call_method0("buffers")?.cast_into::<PyList>()?;
    if buffers.len() != 3 {
        return Err(PyValueError::new_err(format!(
            "match_arrow: a {kind} array has 3 buffers, this one {}",
            buffers.len()
        )));
    }
    let validity = buffers.get_item(0)?;
    let offsets = buffers.get_item(1)?;
    let data = buffers.get_item(2)?;
    let length = array.len()?;
    let offset: usize = array.getattr("offset")?.extract()?;
    let matches = if offsets.is_none() {
        // pyarrow gives an empty array no offsets buffer.
        Matches {
            offsets: vec![0; length + 1],
            indices: Vec::new(),
        }
    } else {
        let columns = Columns::new(
            (!data.is_none()).then_some(&data),
            &offsets,
            Some(&validity),
            Some(length),
            offset,
            large,
        )?;
        match_columns(py, set, &columns, first)?
    };
    let int32 = pa.call_method0("int32")?;
    let from_buffers = pa.getattr("Array")?.getattr("from_buffers")?;
    let int32_array = |values: &[i32]| -> PyResult<Bound<'py, PyAny>> {
        let buffer = pa.call_method1("py_buffer", (int32_bytes(py, values)?,))?;
        let buffers = PyList::new(py, [py.None().into_bound(py), buffer])?;
        from_buffers.call1((&int32, values.len(), buffers))
    };
    let list_offsets = int32_array(&matches.offsets)?;
    let mut values = int32_array(&matches.indices)?;
    if let Some(names) = names {
        values = names.call_method1("take", (values,))?;
    }
    pa.getattr("ListArray")?
        .call_method1("from_arrays", (list_offsets, values))
}

/// The set's names as a pyarrow string array, for `match_arrow`.
pub(crate) fn names_array<'py>(
    py: Python<'py>,
    names: &[Py<PyString>],
) -> PyResult<Bound<'py, PyAny>> {
    let pa = py.import("pyarrow")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("type", pa.call_method0("string")?)?;
    pa.call_method(
        "array",
        (PyList::new(py, names.iter().map(|n| n.bind(py)))?,),
        Some(&kwargs),
    )
}
