//! `trailmatch._trailmatch`, the native half of the Python package `trailmatch`.
//!
//! The binding converts arguments and results and maps errors; every rule about the filter-pattern
//! language stays in the `trailmatch` crate. Python sees:
//!
//! * `Pattern`, `PatternSet`, `MetricFilter` and `test_metric_filter`, wrapping the core types;
//! * `PatternError(ValueError)`, built by `pattern_error`, the one place where a core error
//!   becomes a Python exception (byte spans become `str` indices there);
//! * `_scan`, `_lint` and `_cis_check`, the CloudTrail pipeline and the rule checks, answering
//!   with the JSON the command line prints (the pure-Python wrappers parse it), and
//!   `RulesError(ValueError)` for rules that cannot be used.
//!
//! Events are `str`, `bytes` (UTF-8) or `dict` (serialised once with `json.dumps`, compact
//! separators); see `Event`.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyUnicodeDecodeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyMapping, PyString, PyTuple};
use trailmatch::metric::{MetricFilter, MetricTransformation, test_metric_filter_with};
use trailmatch::{Dialect, Error, Extracted, Pattern, PatternSet, SetError};
use trailmatch_cloudtrail::rules::SourceLocation;

create_exception!(
    trailmatch,
    PatternError,
    PyValueError,
    "A filter pattern, metric transformation or TestMetricFilter request that trailmatch rejects.\n\n\
     Attributes: code (stable kebab-case identifier), message, help (or None), origin (the request \
     member: 'filterPattern', 'metricValue', ...), text (the text the error points into), start and \
     end (str indices into text), line and column (1-based), index and name (the pattern's position \
     and name in a PatternSet, else None). str() is the rendering with a caret under the fault."
);

create_exception!(
    trailmatch,
    RulesError,
    PyValueError,
    "Rules that trailmatch.scan cannot use: an unreadable or invalid rules file, template or \
     Terraform file, or an invalid metric filter or alarm in one.\n\n\
     Attributes: code (stable kebab-case identifier), message, file, line and column (1-based; 0 \
     when unknown). str() is the rendering."
);

// ---- errors ------------------------------------------------------------------------------------

/// The number of characters (Python `str` indices) before byte `at` of `text`.
fn char_index(text: &str, at: usize) -> usize {
    text.get(..at).map_or(at, |before| before.chars().count())
}

/// Maps a core error to a `PatternError`: the one place core errors become Python exceptions.
/// `rendered` is `str()` of the exception; `index` and `name` say which pattern of a set failed.
fn pattern_error(
    py: Python<'_>,
    error: &Error,
    rendered: String,
    index: Option<usize>,
    name: Option<Bound<'_, PyAny>>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exception = py.get_type::<PatternError>().call1((rendered,))?;
        let text = error.text();
        let span = error.span();
        let (line, column) = error.line_column();
        exception.setattr("code", error.code())?;
        exception.setattr("message", error.message())?;
        exception.setattr("help", error.help())?;
        exception.setattr("origin", error.origin().as_str())?;
        exception.setattr("text", text)?;
        exception.setattr("start", char_index(text, span.start))?;
        exception.setattr("end", char_index(text, span.end))?;
        exception.setattr("line", line)?;
        exception.setattr("column", column)?;
        exception.setattr("index", index)?;
        exception.setattr("name", name)?;
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|failure| failure)
}

fn core_error(py: Python<'_>, error: &Error) -> PyErr {
    pattern_error(py, error, error.to_string(), None, None)
}

fn set_error(py: Python<'_>, error: &SetError, names: Option<&[Py<PyString>]>) -> PyErr {
    let name = error
        .index
        .and_then(|i| names?.get(i))
        .map(|n| n.bind(py).clone().into_any());
    pattern_error(py, &error.error, error.to_string(), error.index, name)
}

// ---- events ------------------------------------------------------------------------------------

/// An event's text, held without the interpreter so that matching can release it.
enum Event {
    /// A `str` (or the JSON text of a `dict`), borrowed from Python.
    Str(PyBackedStr),
    /// The text of a `bytes` event.
    Owned(String),
}

impl Event {
    fn as_str(&self) -> &str {
        match self {
            Event::Str(s) => s,
            Event::Owned(s) => s,
        }
    }
}

/// `functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)`.
static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn dumps(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    let dumps = DUMPS.get_or_try_init(py, || {
        let json_dumps = py.import("json")?.getattr("dumps")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("separators", (",", ":"))?;
        kwargs.set_item("ensure_ascii", false)?;
        let partial = py.import("functools")?.getattr("partial")?;
        PyResult::Ok(partial.call((json_dumps,), Some(&kwargs))?.unbind())
    })?;
    Ok(dumps.bind(py))
}

/// Converts one event: `str`, UTF-8 `bytes`, or a `dict` serialised as compact JSON.
fn event(value: &Bound<'_, PyAny>) -> PyResult<Event> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Event::Str(PyBackedStr::try_from(text.clone())?));
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        return match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Event::Owned(text.to_owned())),
            Err(e) => Err(PyUnicodeDecodeError::new_err_from_utf8(py, bytes, e)),
        };
    }
    if value.is_instance_of::<PyDict>() {
        let text = dumps(py)?.call1((value,))?.cast_into::<PyString>()?;
        return Ok(Event::Str(PyBackedStr::try_from(text)?));
    }
    Err(PyTypeError::new_err(format!(
        "an event is a str, bytes (UTF-8) or dict, not {}",
        type_name(value)
    )))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// Refuses a lone event where an iterable of them is expected (iterating it would give
/// characters, bytes or keys).
fn refuse_single(value: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    let single = value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyDict>();
    if single {
        return Err(PyTypeError::new_err(format!(
            "{what} takes an iterable of events, not one {}",
            type_name(value)
        )));
    }
    Ok(())
}

// ---- dialects ----------------------------------------------------------------------------------

/// The names of `Dialect`'s switches, in declaration order.
const SWITCHES: [&str; 5] = [
    "absorb_trailing_fields",
    "numeric_string_coercion",
    "event_number_base",
    "quoted_space_matches_all",
    "split_hyphenated_terms",
];

/// `Dialect::default()` with the switches a mapping sets (`None`: the default).
fn dialect(spec: Option<&Bound<'_, PyAny>>) -> PyResult<Dialect> {
    let mut d = Dialect::default();
    let Some(spec) = spec.filter(|s| !s.is_none()) else {
        return Ok(d);
    };
    let spec = spec.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "dialect is a mapping of switch names to values, not {}",
            type_name(spec)
        ))
    })?;
    for item in spec.items()?.iter() {
        let (key, value): (String, Bound<'_, PyAny>) = item.extract()?;
        match key.as_str() {
            "absorb_trailing_fields" => d.absorb_trailing_fields = value.extract()?,
            "numeric_string_coercion" => d.numeric_string_coercion = value.extract()?,
            "event_number_base" => d.event_number_base = value.extract()?,
            "quoted_space_matches_all" => d.quoted_space_matches_all = value.extract()?,
            "split_hyphenated_terms" => d.split_hyphenated_terms = value.extract()?,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown dialect switch '{other}'; the switches are {}",
                    SWITCHES.join(", ")
                )));
            }
        }
    }
    Ok(d)
}

/// A dialect as a dict: every switch, or only those that differ from the default.
fn dialect_dict<'py>(py: Python<'py>, d: &Dialect, changes: bool) -> PyResult<Bound<'py, PyDict>> {
    let default = Dialect::default();
    let dict = PyDict::new(py);
    let put = |name: &str, value: Bound<'py, PyAny>, same: bool| {
        if !(changes && same) {
            dict.set_item(name, value)?;
        }
        PyResult::Ok(())
    };
    let flag = |b: bool| b.into_pyobject(py).map(|b| b.to_owned().into_any());
    put(
        SWITCHES[0],
        flag(d.absorb_trailing_fields)?,
        d.absorb_trailing_fields == default.absorb_trailing_fields,
    )?;
    put(
        SWITCHES[1],
        flag(d.numeric_string_coercion)?,
        d.numeric_string_coercion == default.numeric_string_coercion,
    )?;
    put(
        SWITCHES[2],
        d.event_number_base.into_pyobject(py)?.into_any(),
        d.event_number_base == default.event_number_base,
    )?;
    put(
        SWITCHES[3],
        flag(d.quoted_space_matches_all)?,
        d.quoted_space_matches_all == default.quoted_space_matches_all,
    )?;
    put(
        SWITCHES[4],
        flag(d.split_hyphenated_terms)?,
        d.split_hyphenated_terms == default.split_hyphenated_terms,
    )?;
    Ok(dict)
}

// ---- results -----------------------------------------------------------------------------------

fn extracted_dict<'py>(py: Python<'py>, values: &Extracted) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in values.iter() {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

fn string_map<'py>(
    py: Python<'py>,
    map: &BTreeMap<String, String>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

// ---- Pattern -----------------------------------------------------------------------------------

/// A compiled CloudWatch Logs filter pattern.
///
/// `str()` is the canonical form; patterns are equal (and hash alike) when their canonical forms
/// and dialects are.
#[pyclass(name = "Pattern", module = "trailmatch", frozen)]
struct PyPattern {
    inner: Arc<Pattern>,
    canonical: String,
}

impl PyPattern {
    fn wrap(pattern: Pattern) -> PyPattern {
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
        let dialect = self::dialect(dialect)?;
        Pattern::with_dialect(pattern, dialect)
            .map(PyPattern::wrap)
            .map_err(|e| core_error(py, &e))
    }

    /// True when `event` matches.
    fn matches(&self, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        let event = self::event(event)?;
        Ok(self.inner.matches(event.as_str()))
    }

    /// The values a match extracts (TestMetricFilter's `extractedValues`), or None when `event`
    /// does not match.
    fn test<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let event = self::event(event)?;
        self.inner
            .test(event.as_str())
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
        let event = self::event(event)?;
        let Some(outcomes) = self.inner.explain(event.as_str()) else {
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

/// A small fast hasher (the Fx hash) for `match_many`'s table of answers: short lists of indices,
/// hashed once per event, where SipHash's cost shows.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Events converted per batch of `match_many` before the interpreter lock is released.
const BATCH_EVENTS: usize = 4096;
/// ... or this many bytes of events, whichever comes first.
const BATCH_BYTES: usize = 8 << 20;
/// Distinct answers `match_many` shares between events, at most.
const MAX_SHARED_ANSWERS: usize = 4096;

/// Many patterns asked together which of them match an event. Built from a list (answers are
/// indices) or a dict of name → pattern (answers are names).
#[pyclass(name = "PatternSet", module = "trailmatch", frozen)]
struct PyPatternSet {
    inner: Arc<PatternSet>,
    names: Option<Vec<Py<PyString>>>,
    dialect: Dialect,
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

/// One event's answer (indices of the matching patterns) as a key of `match_many`'s table.
/// Compared element by element: the answers are short, and the `memcmp` call of `Vec`'s `==`
/// showed up as a third of `match_many`'s own time.
#[derive(Clone)]
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

#[pymethods]
impl PyPatternSet {
    #[new]
    #[pyo3(signature = (patterns, *, dialect = None))]
    fn new(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        dialect: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let dialect = self::dialect(dialect)?;
        if patterns.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "PatternSet takes a list of patterns or a dict of name -> pattern, not one str",
            ));
        }
        let pattern_text = |value: &Bound<'_, PyAny>| -> PyResult<PyBackedStr> {
            value.extract().map_err(|_| {
                PyTypeError::new_err(format!("a pattern is a str, not {}", type_name(value)))
            })
        };
        let mut texts = Vec::new();
        let mut names = None;
        if let Ok(mapping) = patterns.cast::<PyMapping>() {
            let mut keys = Vec::new();
            for item in mapping.items()?.iter() {
                let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
                let key = key.cast_into::<PyString>().map_err(|e| {
                    PyTypeError::new_err(format!(
                        "pattern names are str, not {}",
                        type_name(&e.into_inner())
                    ))
                })?;
                keys.push(key.unbind());
                texts.push(pattern_text(&value)?);
            }
            names = Some(keys);
        } else {
            for value in patterns.try_iter()? {
                texts.push(pattern_text(&value?)?);
            }
        }
        let compiled = py.detach(|| PatternSet::with_dialect(texts.iter().map(|t| &**t), dialect));
        match compiled {
            Ok(set) => Ok(PyPatternSet {
                inner: Arc::new(set),
                names,
                dialect,
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
        let event = self::event(event)?;
        self.keys(py, &self.inner.matches(event.as_str()))
    }

    /// Each matching pattern's index (or name) with the values it extracts.
    fn test<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let event = self::event(event)?;
        let dict = PyDict::new(py);
        for (index, values) in self.inner.test(event.as_str()) {
            dict.set_item(self.key(py, index)?, extracted_dict(py, &values)?)?;
        }
        Ok(dict)
    }

    /// True when at least one pattern matches `event`.
    fn is_match(&self, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        let event = self::event(event)?;
        Ok(self.inner.is_match(event.as_str()))
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
        let mut shared: HashMap<Answer, Bound<'py, PyTuple>, BuildHasherDefault<FxHasher>> =
            HashMap::default();
        let mut last: Option<(Answer, Bound<'py, PyTuple>)> = None;
        let mut events = events.try_iter()?;
        let mut batch: Vec<Event> = Vec::with_capacity(BATCH_EVENTS);
        loop {
            batch.clear();
            let mut bytes = 0;
            let mut exhausted = true;
            for value in events.by_ref() {
                let event = self::event(&value?)?;
                bytes += event.as_str().len();
                batch.push(event);
                if batch.len() == BATCH_EVENTS || bytes >= BATCH_BYTES {
                    exhausted = false;
                    break;
                }
            }
            let set = &self.inner;
            let results: Vec<Vec<usize>> =
                py.detach(|| batch.iter().map(|e| set.matches(e.as_str())).collect());
            for result in results {
                let result = Answer(result);
                // The previous event's answer, a known answer, or a new one.
                let tuple = match &last {
                    Some((previous, tuple)) if *previous == result => tuple.clone(),
                    _ => match shared.get(&result) {
                        Some(tuple) => tuple.clone(),
                        None => {
                            let tuple = PyTuple::new(py, self.keys(py, &result.0)?)?;
                            if shared.len() < MAX_SHARED_ANSWERS {
                                shared.insert(result.clone(), tuple.clone());
                            }
                            tuple
                        }
                    },
                };
                answers.append(&tuple)?;
                last = Some((result, tuple));
            }
            if exhausted {
                return Ok(answers);
            }
        }
    }

    /// The names given to the patterns, or None for a set built from a list.
    #[getter]
    fn names<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        self.names
            .as_ref()
            .map(|names| PyList::new(py, names.iter().map(|n| n.bind(py))))
            .transpose()
    }

    /// The patterns, in the set's order.
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let patterns = self
            .inner
            .patterns()
            .map(|text| {
                let pattern =
                    Pattern::with_dialect(text, self.dialect).map_err(|e| core_error(py, &e))?;
                Py::new(py, PyPattern::wrap(pattern))
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, patterns)
    }

    /// The dialect switches the patterns were compiled with.
    #[getter]
    fn dialect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dialect_dict(py, &self.dialect, false)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
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

// ---- MetricFilter ------------------------------------------------------------------------------

const TRANSFORMATION_KEYS: [&str; 6] = [
    "metricName",
    "metricNamespace",
    "metricValue",
    "defaultValue",
    "dimensions",
    "unit",
];

/// A `PutMetricFilter` metric transformation from its boto3 dict.
fn transformation(value: &Bound<'_, PyAny>) -> PyResult<MetricTransformation> {
    let dict = value.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "a metric transformation is a dict (metricName, metricNamespace, metricValue, ...), not {}",
            type_name(value)
        ))
    })?;
    for key in dict.keys()?.iter() {
        let key: String = key.extract()?;
        if !TRANSFORMATION_KEYS.contains(&key.as_str()) {
            return Err(PyValueError::new_err(format!(
                "unknown metric transformation key '{key}'; the keys are {}",
                TRANSFORMATION_KEYS.join(", ")
            )));
        }
    }
    let get = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        if dict.contains(key)? {
            Ok(Some(dict.get_item(key)?).filter(|v| !v.is_none()))
        } else {
            Ok(None)
        }
    };
    let required = |key: &str| -> PyResult<String> {
        match get(key)? {
            Some(v) => v.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "metric transformation '{key}' is a str, not {}",
                    type_name(&v)
                ))
            }),
            None => Err(PyValueError::new_err(format!(
                "the metric transformation lacks '{key}'"
            ))),
        }
    };
    Ok(MetricTransformation {
        metric_name: required("metricName")?,
        metric_namespace: required("metricNamespace")?,
        metric_value: required("metricValue")?,
        default_value: get("defaultValue")?.map(|v| v.extract()).transpose()?,
        dimensions: get("dimensions")?
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or_default(),
        unit: get("unit")?.map(|v| v.extract()).transpose()?,
    })
}

fn transformation_dict<'py>(
    py: Python<'py>,
    t: &MetricTransformation,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("metricName", &t.metric_name)?;
    dict.set_item("metricNamespace", &t.metric_namespace)?;
    dict.set_item("metricValue", &t.metric_value)?;
    if let Some(v) = t.default_value {
        dict.set_item("defaultValue", v)?;
    }
    if !t.dimensions.is_empty() {
        dict.set_item("dimensions", string_map(py, &t.dimensions)?)?;
    }
    if let Some(unit) = &t.unit {
        dict.set_item("unit", unit)?;
    }
    Ok(dict)
}

/// A filter pattern with its metric transformation, validated as `PutMetricFilter` validates
/// them.
#[pyclass(name = "MetricFilter", module = "trailmatch", frozen)]
struct PyMetricFilter {
    inner: MetricFilter,
    pattern: Py<PyPattern>,
}

#[pymethods]
impl PyMetricFilter {
    #[new]
    fn new(
        py: Python<'_>,
        pattern: &Bound<'_, PyAny>,
        metric_transformation: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let pattern: Py<PyPattern> = if let Ok(p) = pattern.cast::<PyPattern>() {
            p.clone().unbind()
        } else if let Ok(text) = pattern.extract::<PyBackedStr>() {
            let compiled = Pattern::new(&text).map_err(|e| core_error(py, &e))?;
            Py::new(py, PyPattern::wrap(compiled))?
        } else {
            return Err(PyTypeError::new_err(format!(
                "pattern is a str or a Pattern, not {}",
                type_name(pattern)
            )));
        };
        let core = pattern.get().inner.as_ref().clone();
        let filter = if metric_transformation.is_instance_of::<PyList>()
            || metric_transformation.is_instance_of::<PyTuple>()
        {
            let list = metric_transformation
                .try_iter()?
                .map(|t| transformation(&t?))
                .collect::<PyResult<Vec<_>>>()?;
            MetricFilter::from_transformations(core, list)
        } else {
            MetricFilter::new(core, transformation(metric_transformation)?)
        };
        let inner = filter.map_err(|e| core_error(py, &e))?;
        Ok(PyMetricFilter { inner, pattern })
    }

    /// What a matching event adds to the metric: `{"value": float, "dimensions": {...}}`, or None
    /// when it does not match or its metric value is missing or not a number.
    fn apply<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let event = self::event(event)?;
        let Some(datum) = self.inner.apply(event.as_str()) else {
            return Ok(None);
        };
        let dict = PyDict::new(py);
        dict.set_item("value", datum.value)?;
        dict.set_item("dimensions", string_map(py, &datum.dimensions)?)?;
        Ok(Some(dict))
    }

    /// The filter pattern.
    #[getter]
    fn pattern(&self, py: Python<'_>) -> Py<PyPattern> {
        self.pattern.clone_ref(py)
    }

    /// The metric transformation, in boto3's shape.
    #[getter]
    fn metric_transformation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        transformation_dict(py, self.inner.transformation())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let pattern = self.pattern.bind(py).repr()?;
        let t = transformation_dict(py, self.inner.transformation())?.repr()?;
        Ok(format!("MetricFilter({pattern}, {t})"))
    }
}

// ---- TestMetricFilter --------------------------------------------------------------------------

/// Answers a `TestMetricFilter` request as AWS does, in boto3's response shape:
/// `{"matches": [{"eventNumber": 1, "eventMessage": "...", "extractedValues": {...}}]}`.
#[pyfunction]
#[pyo3(signature = (*, filterPattern, logEventMessages, dialect = None))]
#[allow(non_snake_case)]
fn test_metric_filter<'py>(
    py: Python<'py>,
    filterPattern: &str,
    logEventMessages: &Bound<'py, PyAny>,
    dialect: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let dialect = self::dialect(dialect)?;
    refuse_single(logEventMessages, "logEventMessages")?;
    let messages = logEventMessages
        .try_iter()?
        .map(|m| event(&m?))
        .collect::<PyResult<Vec<_>>>()?;
    let texts: Vec<&str> = messages.iter().map(Event::as_str).collect();
    let answer = py
        .detach(|| test_metric_filter_with(filterPattern, &texts, dialect))
        .map_err(|e| core_error(py, &e))?;
    let matches = PyList::empty(py);
    for m in &answer.matches {
        let item = PyDict::new(py);
        item.set_item("eventNumber", m.event_number)?;
        item.set_item("eventMessage", &m.event_message)?;
        item.set_item("extractedValues", extracted_dict(py, &m.extracted_values)?)?;
        matches.append(item)?;
    }
    let response = PyDict::new(py);
    response.set_item("matches", matches)?;
    Ok(response)
}

// ---- CloudTrail: scan, lint, cis-check ---------------------------------------------------------

fn rules_error(
    py: Python<'_>,
    text: String,
    code: &str,
    location: Option<&SourceLocation>,
) -> PyErr {
    let err = RulesError::new_err(text.clone());
    let value = err.value(py);
    let (file, line, column) = location.map_or((String::new(), 0, 0), |l| {
        (l.file.clone(), l.line, l.column)
    });
    let set = || -> PyResult<()> {
        value.setattr("code", code)?;
        value.setattr("message", text)?;
        value.setattr("file", file)?;
        value.setattr("line", line)?;
        value.setattr("column", column)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Scans CloudTrail logs: returns the report as the JSON `trailmatch scan --format json`
/// prints, the readers' warnings, and each alarm's SNS notifications (JSON texts).
#[pyfunction]
#[pyo3(signature = (paths, rules, insights, account_id = None, region = None))]
#[allow(clippy::type_complexity)]
fn _scan(
    py: Python<'_>,
    paths: Vec<std::path::PathBuf>,
    rules: Vec<String>,
    insights: bool,
    account_id: Option<String>,
    region: Option<String>,
) -> PyResult<(String, Vec<String>, Vec<(String, Vec<String>)>)> {
    use trailmatch_cloudtrail::logs::{self, Input, Reader};
    use trailmatch_cloudtrail::rules::RuleSet;
    use trailmatch_cloudtrail::scan::{ScanOptions, Scanner};
    // A path that does not exist raises FileNotFoundError (OSError) naming it.
    trailmatch_cloudtrail::walk::require(&paths)?;
    let (set, problems) = RuleSet::from_specs(&rules)
        .map_err(|e| rules_error(py, e.to_string(), e.code, Some(&e.location)))?;
    let options = ScanOptions {
        account_id,
        region,
        ..if insights {
            ScanOptions::with_insights()
        } else {
            ScanOptions::default()
        }
    };
    let mut scanner = Scanner::new(&set, options)
        .map_err(|e| rules_error(py, e.to_string(), &e.code, e.location.as_ref()))?;
    let report = py.detach(move || {
        let inputs = paths.into_iter().map(Input::from_arg).collect();
        for item in Reader::new(inputs, logs::Options::default()) {
            scanner.read(item);
        }
        scanner.finish()
    });
    let json = serde_json::to_string(&report).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let warnings = problems
        .iter()
        .map(|p| format!("{}: warning[{}]: {}", p.location, p.code, p.message))
        .collect();
    let notifications = report
        .alarms
        .iter()
        .map(|a| (a.name.clone(), a.notifications().collect()))
        .collect();
    Ok((json, warnings, notifications))
}

/// The files under `paths` that the template, Terraform and rules readers understand, read.
fn found(paths: &[std::path::PathBuf]) -> PyResult<trailmatch_cloudtrail::iac::Found> {
    use trailmatch_cloudtrail::iac;
    let mut files = Vec::new();
    // A path that does not exist raises FileNotFoundError (OSError) naming it.
    trailmatch_cloudtrail::walk::require(paths)?;
    let mut skipped = Vec::new();
    for path in paths {
        let (listed, problems) = iac::discover_with(path, Default::default()).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("cannot read {}: {e}", path.display()))
        })?;
        files.extend(listed);
        skipped.extend(problems);
    }
    let mut found = iac::read_all(&files);
    found.problems.extend(skipped);
    Ok(found)
}

/// Lints the metric filters of templates, Terraform, rules and pattern files: the findings as
/// the JSON array of `trailmatch lint --format json`'s `diagnostics`.
#[pyfunction]
fn _lint(py: Python<'_>, paths: Vec<std::path::PathBuf>) -> PyResult<String> {
    let found = found(&paths)?;
    let diagnostics = py.detach(|| trailmatch_cloudtrail::lint::lint(&found));
    serde_json::to_string(&diagnostics).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Which CIS monitoring controls the alarmed metric filters under `paths` cover: the JSON
/// array of `trailmatch cis-check --format json`'s `controls`.
#[pyfunction]
fn _cis_check(py: Python<'_>, paths: Vec<std::path::PathBuf>) -> PyResult<String> {
    let found = found(&paths)?;
    let controls = py.detach(|| trailmatch_cloudtrail::coverage::cis_check(&found));
    serde_json::to_string(&controls).map_err(|e| PyValueError::new_err(e.to_string()))
}

// ---- the module --------------------------------------------------------------------------------

/// Amazon CloudWatch Logs filter patterns, outside AWS (the native module; import `trailmatch`).
#[pymodule]
fn _trailmatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PatternError", py.get_type::<PatternError>())?;
    m.add("RulesError", py.get_type::<RulesError>())?;
    m.add_class::<PyPattern>()?;
    m.add_class::<PyPatternSet>()?;
    m.add_class::<PyMetricFilter>()?;
    m.add_function(wrap_pyfunction!(test_metric_filter, m)?)?;
    m.add_function(wrap_pyfunction!(_scan, m)?)?;
    m.add_function(wrap_pyfunction!(_lint, m)?)?;
    m.add_function(wrap_pyfunction!(_cis_check, m)?)?;
    Ok(())
}
