//! `Pattern` and `PatternSet`, wrapping the core types; `PatternSet.match_many` converts events
//! in batches and matches each batch with the interpreter lock released.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt::Display;
use std::hash::{Hash, Hasher};
use std::str::Utf8Error;
use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyIterator, PyList, PyMapping, PyString, PyTuple};
use trailmatch::{Dialect, Pattern, PatternSet};
use trailmatch_cloudtrail::LogHasher;

use crate::columns::{self, Columns, int32_view, match_arrow_array, match_columns};
use crate::convert::{self, Event, extracted_dict, refuse_single, type_name, utf8_error};
use crate::dialect::dialect_dict;
use crate::error::{char_index, core_error, set_error};

// ---- Pattern -----------------------------------------------------------------------------------

/// A compiled CloudWatch Logs filter pattern.
///
/// `str()` is the canonical form; patterns are equal (and hash alike) when their canonical forms
/// and dialects are.
#[pyclass(name = "Pattern", module = "trailmatch", frozen)]
pub(crate) struct PyPattern {
    pub(crate) inner: Arc<Pattern>,
    canonical: String,
}

impl PyPattern {
    pub(crate) fn wrap(pattern: Pattern) -> PyPattern {
        PyPattern {
            canonical: pattern.to_string(),
            inner: Arc::new(pattern),
        }
    }
}

#[pymethods]
impl PyPattern {
    #[new]
    #[pyo3(signature = (pattern, *, dialect = None))]
    fn new(py: Python<'_>, pattern: &str, dialect: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let dialect = crate::dialect::dialect(dialect)?;
        Pattern::with_dialect(pattern, dialect)
            .map(PyPattern::wrap)
            .map_err(|e| core_error(py, &e))
    }

    /// True when `event` matches.
    fn matches(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        let event = convert::event(event)?;
        Ok(self.inner.matches(event.text_or_raise(py)?))
    }

    /// The values a match extracts (TestMetricFilter's `extractedValues`), or None when `event`
    /// does not match.
    fn test<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let event = convert::event(event)?;
        self.inner
            .test(event.text_or_raise(py)?)
            .map(|values| extracted_dict(py, &values))
            .transpose()
    }

    /// For a JSON pattern, each condition with whether it holds for `event` (`condition`,
    /// `holds`, and `start`/`end` in the pattern); None for other kinds of pattern.
    fn explain<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        let event = convert::event(event)?;
        let Some(outcomes) = self.inner.explain(event.text_or_raise(py)?) else {
            return Ok(None);
        };
        let text = self.inner.as_str();
        let list = PyList::empty(py);
        for outcome in outcomes {
            let item = PyDict::new(py);
            item.set_item("condition", outcome.condition)?;
            item.set_item("holds", outcome.holds)?;
            item.set_item("start", char_index(text, outcome.span.start))?;
            item.set_item("end", char_index(text, outcome.span.end))?;
            list.append(item)?;
        }
        Ok(Some(list))
    }

    /// Which language the pattern is written in: 'match-all', 'terms', 'regex', 'json' or
    /// 'delimited'.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind().as_str()
    }

    /// The pattern as written.
    #[getter]
    fn pattern(&self) -> &str {
        self.inner.as_str()
    }

    /// The dialect switches it was compiled with.
    #[getter]
    fn dialect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dialect_dict(py, self.inner.dialect(), false)
    }

    fn __str__(&self) -> &str {
        &self.canonical
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let text = PyString::new(py, self.inner.as_str()).repr()?;
        let changes = dialect_dict(py, self.inner.dialect(), true)?;
        if changes.is_empty() {
            Ok(format!("Pattern({text})"))
        } else {
            Ok(format!("Pattern({text}, dialect={})", changes.repr()?))
        }
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.canonical == other.canonical && self.inner.dialect() == other.inner.dialect()
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.canonical.hash(&mut hasher);
        hasher.finish()
    }

    fn __getnewargs_ex__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyTuple>, Bound<'py, PyDict>)> {
        let args = PyTuple::new(py, [self.inner.as_str()])?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("dialect", dialect_dict(py, self.inner.dialect(), true)?)?;
        Ok((args, kwargs))
    }
}

// ---- PatternSet --------------------------------------------------------------------------------

/// Events converted per batch of `match_many` before the interpreter lock is released.
const BATCH_EVENTS: usize = 4096;
/// ... or this many bytes of events, whichever comes first.
const BATCH_BYTES: usize = 8 << 20;
/// Distinct answers `match_many` shares between events, at most.
const MAX_SHARED_ANSWERS: usize = 4096;

/// Many patterns asked together which of them match an event. Built from a list (answers are
/// indices) or a dict of name → pattern (answers are names).
#[pyclass(name = "PatternSet", module = "trailmatch", frozen)]
pub(crate) struct PyPatternSet {
    inner: Arc<PatternSet>,
    names: Option<Vec<Py<PyString>>>,
    dialect: Dialect,
    /// The set's patterns as `Pattern` objects, made on the first ask of `patterns`.
    patterns: PyOnceLock<Vec<Py<PyPattern>>>,
}

impl PyPatternSet {
    /// The answer for these pattern indices: the indices themselves, or the names.
    fn keys<'py>(&self, py: Python<'py>, indices: &[usize]) -> PyResult<Bound<'py, PyList>> {
        match &self.names {
            None => PyList::new(py, indices),
            Some(names) => PyList::new(py, indices.iter().map(|&i| names[i].bind(py))),
        }
    }

    fn key<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        match &self.names {
            None => Ok(index.into_pyobject(py)?.into_any()),
            Some(names) => Ok(names[index].bind(py).clone().into_any()),
        }
    }
}

/// The events of `match_many` taken `BATCH_EVENTS` at a time into a list: a slice of a list or
/// tuple, else `list(itertools.islice(iterator, BATCH_EVENTS))`. Taking the references in one
/// tight loop of CPython's lets the processor fetch many events' first cache lines at once; one
/// at a time, the wait for each was a tenth of `match_many`'s time on CloudTrail records.
struct Chunks<'py> {
    source: ChunkSource<'py>,
    /// Whether the last chunk taken was the last one.
    done: bool,
}

enum ChunkSource<'py> {
    /// A list or tuple, and the position of the next chunk in it.
    Sequence(Bound<'py, PyAny>, usize),
    /// `itertools.islice` and the iterator.
    Iterator(Bound<'py, PyAny>, Bound<'py, PyIterator>),
}

impl<'py> Chunks<'py> {
    fn new(events: &Bound<'py, PyAny>) -> PyResult<Self> {
        let source = if events.is_exact_instance_of::<PyList>()
            || events.is_exact_instance_of::<PyTuple>()
        {
            ChunkSource::Sequence(events.clone(), 0)
        } else {
            let islice = events.py().import("itertools")?.getattr("islice")?;
            ChunkSource::Iterator(islice, events.try_iter()?)
        };
        Ok(Chunks {
            source,
            done: false,
        })
    }

    /// The next at most `BATCH_EVENTS` events (none once `done`).
    fn next(&mut self) -> PyResult<Bound<'py, PyAny>> {
        let chunk = match &mut self.source {
            ChunkSource::Sequence(sequence, at) => {
                let chunk = match sequence.cast::<PyList>() {
                    Ok(list) => list.get_slice(*at, *at + BATCH_EVENTS).into_any(),
                    Err(_) => sequence
                        .cast::<PyTuple>()?
                        .get_slice(*at, *at + BATCH_EVENTS)
                        .into_any(),
                };
                *at += chunk.len()?;
                chunk
            }
            ChunkSource::Iterator(islice, iterator) => {
                let items = islice.call1((&*iterator, BATCH_EVENTS))?;
                iterator.py().get_type::<PyList>().call1((items,))?
            }
        };
        self.done = chunk.len()? < BATCH_EVENTS;
        Ok(chunk)
    }
}

/// One event's answer (indices of the matching patterns) as a key of `match_many`'s table.
/// Compared element by element: the answers are short, and the `memcmp` call of `Vec`'s `==`
/// showed up as a third of `match_many`'s own time.
#[derive(Clone, Default)]
struct Answer(Vec<usize>);

impl Hash for Answer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Answer {
    fn eq(&self, other: &Answer) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(x, y)| x == y)
    }
}

impl Eq for Answer {}

/// `match_many`'s distinct answers, numbered while matching (without the interpreter) so that
/// building the result is one lookup per event.
#[derive(Default)]
struct Answers {
    /// Keyed (`LogHasher`): the answers are what the log makes of the patterns.
    ids: HashMap<Answer, usize, LogHasher>,
    /// Answers numbered since their tuples were last made, in the order of their numbers.
    fresh: Vec<Vec<usize>>,
    /// The previous event's answer and its number (neighbours often share one).
    last: Option<(Answer, usize)>,
    /// The answer being numbered ([`Answers::slot`] has it filled; kept from one event to the
    /// next: numbering an answer met before allocates nothing).
    next: Answer,
}

/// One event's answer: the number of a shared one, or (past `MAX_SHARED_ANSWERS`) its own.
enum Slot {
    Shared(usize),
    Alone(Vec<usize>),
}

impl Answers {
    /// The slot of the answer that `fill` writes into the kept vector (`PatternSet::matches_into`,
    /// which clears it first).
    fn slot(&mut self, fill: impl FnOnce(&mut Vec<usize>)) -> Slot {
        fill(&mut self.next.0);
        if let Some((previous, id)) = &self.last {
            if *previous == self.next {
                return Slot::Shared(*id);
            }
        }
        let id = match self.ids.get(&self.next) {
            Some(&id) => id,
            None if self.ids.len() >= MAX_SHARED_ANSWERS => {
                return Slot::Alone(std::mem::take(&mut self.next.0));
            }
            None => {
                let id = self.ids.len();
                self.ids.insert(self.next.clone(), id);
                self.fresh.push(self.next.0.clone());
                id
            }
        };
        let last = self.last.get_or_insert_with(Default::default);
        std::mem::swap(&mut last.0, &mut self.next);
        last.1 = id;
        Slot::Shared(id)
    }
}

#[pymethods]
impl PyPatternSet {
    #[new]
    #[pyo3(signature = (patterns, *, dialect = None))]
    fn new(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        dialect: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let dialect = crate::dialect::dialect(dialect)?;
        // (Iterated, a str gives characters and bytes give numbers.)
        if patterns.is_instance_of::<PyString>()
            || patterns.is_instance_of::<PyBytes>()
            || patterns.is_instance_of::<PyByteArray>()
        {
            return Err(PyTypeError::new_err(format!(
                "PatternSet takes a list of patterns or a dict of name -> pattern, not one {}",
                type_name(patterns)
            )));
        }
        // `at` names the pattern: its position, or its name in quotes.
        let pattern_text = |value: &Bound<'_, PyAny>, at: &dyn Display| -> PyResult<PyBackedStr> {
            value.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "pattern {at}: a pattern is a str, not {}",
                    type_name(value)
                ))
            })
        };
        let mut texts = Vec::new();
        let mut names = None;
        if let Ok(mapping) = patterns.cast::<PyMapping>() {
            let mut keys = Vec::new();
            for item in mapping.items()?.iter() {
                let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
                let key = key.cast_into::<PyString>().map_err(|e| {
                    let key = e.into_inner();
                    let shown = key
                        .repr()
                        .map_or_else(|_| "?".to_owned(), |r| r.to_string());
                    PyTypeError::new_err(format!(
                        "pattern names are str, not {}: {shown}",
                        type_name(&key)
                    ))
                })?;
                texts.push(pattern_text(&value, &key.repr()?)?);
                keys.push(key.unbind());
            }
            names = Some(keys);
        } else {
            // Read up to one past the limit, where the set is refused: an endless iterable ends.
            let most = trailmatch::Limits::default().max_patterns + 1;
            for (index, value) in patterns.try_iter()?.take(most).enumerate() {
                texts.push(pattern_text(&value?, &index)?);
            }
        }
        let compiled = py.detach(|| PatternSet::with_dialect(texts.iter().map(|t| &**t), dialect));
        match compiled {
            Ok(set) => Ok(PyPatternSet {
                inner: Arc::new(set),
                names,
                dialect,
                patterns: PyOnceLock::new(),
            }),
            Err(e) => Err(set_error(py, &e, names.as_deref())),
        }
    }

    /// The indices (or names) of the patterns that match `event`, in the set's order.
    fn matches<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let event = convert::event(event)?;
        self.keys(py, &self.inner.matches(event.text_or_raise(py)?))
    }

    /// Each matching pattern's index (or name) with the values it extracts.
    fn test<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let event = convert::event(event)?;
        let dict = PyDict::new(py);
        for (index, values) in self.inner.test(event.text_or_raise(py)?) {
            dict.set_item(self.key(py, index)?, extracted_dict(py, &values)?)?;
        }
        Ok(dict)
    }

    /// True when at least one pattern matches `event`.
    fn is_match(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        let event = convert::event(event)?;
        Ok(self.inner.is_match(event.text_or_raise(py)?))
    }

    /// `matches` for each event of an iterable: a list with one tuple per event. The events are
    /// converted in batches, and each batch is matched with the interpreter lock released. Equal
    /// answers are one shared tuple (most events get one of a few answers), which keeps the cost
    /// of building the result small.
    fn match_many<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        refuse_single(events, "match_many")?;
        let answers = PyList::empty(py);
        // The distinct answers, numbered without the interpreter, and their tuples.
        let mut table = Answers::default();
        let mut tuples: Vec<Bound<'py, PyTuple>> = Vec::new();
        let mut chunks = Chunks::new(events)?;
        let mut batch: Vec<Event> = Vec::with_capacity(BATCH_EVENTS);
        // The position of the batch's first event in `events`.
        let mut first = 0;
        // What is left of the last chunk when a batch ended before it (at BATCH_BYTES).
        let mut pending: Option<Bound<'py, PyIterator>> = None;
        loop {
            batch.clear();
            let mut bytes = 0;
            let mut items = match pending.take() {
                Some(items) => items,
                None => chunks.next()?.try_iter()?,
            };
            // An event that cannot be converted ends the batch before it; its error is raised
            // after the batch is matched, unless an earlier event's bytes are not UTF-8.
            let mut failure = None;
            for value in items.by_ref() {
                let at = first + batch.len();
                let event = value.and_then(|value| {
                    convert::event(&value).map_err(|e| convert::at_event(py, e, at))
                });
                match event {
                    Ok(event) => {
                        bytes += event.len();
                        batch.push(event);
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
                if bytes >= BATCH_BYTES {
                    pending = Some(items);
                    break;
                }
            }
            let exhausted = pending.is_none() && chunks.done;
            let set = &self.inner;
            let slots: Result<Vec<Slot>, (usize, Utf8Error)> = py.detach(|| {
                batch
                    .iter()
                    .enumerate()
                    .map(|(i, e)| match e.text() {
                        Ok(text) => Ok(table.slot(|answer| set.matches_into(text, answer))),
                        Err(e) => Err((i, e)),
                    })
                    .collect()
            });
            let slots = slots.map_err(|(i, e)| {
                let bytes = batch.get(i).map_or(&[][..], Event::bytes);
                utf8_error(py, bytes, e, Some((first + i, None)))
            })?;
            if let Some(failure) = failure {
                return Err(failure);
            }
            first += batch.len();
            for answer in table.fresh.drain(..) {
                tuples.push(PyTuple::new(py, self.keys(py, &answer)?)?);
            }
            for slot in slots {
                match slot {
                    Slot::Shared(id) => answers.append(tuples.get(id).ok_or_else(|| {
                        PyRuntimeError::new_err("match_many: an answer was lost")
                    })?)?,
                    Slot::Alone(indices) => {
                        answers.append(PyTuple::new(py, self.keys(py, &indices)?)?)?
                    }
                }
            }
            if exhausted {
                return Ok(answers);
            }
            // Between batches, a signal (Ctrl-C) is seen.
            py.check_signals()?;
        }
    }

    /// `matches` for many events laid out as an Arrow string array: `data` holds the events'
    /// UTF-8 bytes, `offsets` their `length + 1` int32 offsets (int64 with `large=True`) from
    /// entry `offset` on, `validity` an optional bitmap (a null event matches nothing). Every
    /// argument is a buffer (`bytes`, `memoryview`, `pyarrow.Buffer`, a NumPy array, ...).
    /// Returns `(offsets, indices)`, two int32 `memoryview`s: event `i`'s matching patterns are
    /// `indices[offsets[i]:offsets[i + 1]]`, in the set's order (indices into `names` for a set
    /// built from a dict). The interpreter lock is released while matching. Errors number events
    /// as the array does, from `offset` (event 0 is the one at `offsets[offset]`), and name an
    /// offset by its place in `offsets`.
    #[pyo3(signature = (data, offsets, *, length = None, offset = 0, validity = None, large = false))]
    #[allow(clippy::too_many_arguments)]
    fn match_buffers<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        offsets: &Bound<'py, PyAny>,
        length: Option<usize>,
        offset: usize,
        validity: Option<&Bound<'py, PyAny>>,
        large: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let columns = Columns::new(Some(data), offsets, validity, length, offset, large)?;
        let matches = match_columns(py, &self.inner, &columns, 0)?;
        Ok((
            int32_view(py, &matches.offsets)?,
            int32_view(py, &matches.indices)?,
        ))
    }

    /// `match_buffers` for a pyarrow `string`, `large_string`, `binary` or `large_binary`
    /// array (or chunked array): a `pyarrow.ListArray` with each event's matching pattern
    /// indices (int32), or names (strings) for a set built from a dict; a null event gets an
    /// empty list. pyarrow is not a dependency: the array is read through its buffers.
    fn match_arrow<'py>(
        &self,
        py: Python<'py>,
        array: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let names = match &self.names {
            Some(names) => Some(columns::names_array(py, names)?),
            None => None,
        };
        if !array.hasattr("chunks")? {
            return match_arrow_array(&self.inner, array, names.as_ref(), 0);
        }
        let mut first = 0;
        let mut chunks = Vec::new();
        for chunk in array.getattr("chunks")?.try_iter()? {
            let chunk = chunk?;
            chunks.push(match_arrow_array(
                &self.inner,
                &chunk,
                names.as_ref(),
                first,
            )?);
            first += chunk.len()?;
        }
        let pa = py.import("pyarrow")?;
        let child = if names.is_some() {
            pa.call_method0("string")?
        } else {
            pa.call_method0("int32")?
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("type", pa.call_method1("list_", (child,))?)?;
        pa.call_method("chunked_array", (chunks,), Some(&kwargs))
    }

    /// The names given to the patterns, or None for a set built from a list.
    #[getter]
    fn names<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        self.names
            .as_ref()
            .map(|names| PyList::new(py, names.iter().map(|n| n.bind(py))))
            .transpose()
    }

    /// The patterns, in the set's order: made on the first ask from what the set parsed, then
    /// the same objects on every ask.
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let patterns = self.patterns.get_or_try_init(py, || {
            let alone = py
                .detach(|| self.inner.to_patterns())
                .map_err(|e| set_error(py, &e, self.names.as_deref()))?;
            alone
                .into_iter()
                .map(|pattern| Py::new(py, PyPattern::wrap(pattern)))
                .collect::<PyResult<Vec<_>>>()
        })?;
        PyList::new(py, patterns.iter().map(|p| p.bind(py)))
    }

    /// The dialect switches the patterns were compiled with.
    #[getter]
    fn dialect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dialect_dict(py, &self.dialect, false)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Pickled as its patterns (the names with them) and dialect, compiled again when
    /// unpickled: a set in a function Spark ships to its workers travels so.
    fn __getnewargs_ex__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyTuple>, Bound<'py, PyDict>)> {
        let texts = self.inner.patterns();
        let patterns = match &self.names {
            None => PyList::new(py, texts)?.into_any(),
            Some(names) => {
                let dict = PyDict::new(py);
                for (name, text) in names.iter().zip(texts) {
                    dict.set_item(name.bind(py), text)?;
                }
                dict.into_any()
            }
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("dialect", dialect_dict(py, &self.dialect, true)?)?;
        Ok((PyTuple::new(py, [patterns])?, kwargs))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let texts = self.inner.patterns();
        let listing = match &self.names {
            None => PyList::new(py, texts)?.repr()?,
            Some(names) => {
                let dict = PyDict::new(py);
                for (name, text) in names.iter().zip(texts) {
                    dict.set_item(name.bind(py), text)?;
                }
                dict.repr()?
            }
        };
        let changes = dialect_dict(py, &self.dialect, true)?;
        if changes.is_empty() {
            Ok(format!("PatternSet({listing})"))
        } else {
            Ok(format!(
                "PatternSet({listing}, dialect={})",
                changes.repr()?
            ))
        }
    }
}
