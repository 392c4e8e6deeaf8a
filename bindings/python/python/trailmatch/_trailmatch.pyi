"""The native module of trailmatch (Rust, pyo3). Import ``trailmatch`` instead."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar, final, overload

from _typeshed import ReadableBuffer

from trailmatch import DialectOptions, Event, PatternKind

__all__ = [
    "EventPattern",
    "MetricFilter",
    "Pattern",
    "PatternError",
    "PatternSet",
    "RulesError",
    "__version__",
    "_cis_check",
    "_lint",
    "_SparkFollower",
    "_SparkPlan",
    "_scan",
    "_spark_plan",
    "_trail_keys",
    "_holds_dirs",
    "test_event_pattern",
    "test_metric_filter",
]
__version__: str

_K = TypeVar("_K", int, str)

class RulesError(ValueError):
    """Rules that trailmatch.scan cannot use: an unreadable or invalid rules file, template or
    Terraform file, or an invalid metric filter or alarm in one."""

    code: str
    """Stable kebab-case identifier."""
    message: str
    """What is wrong (str() gives the same)."""
    file: str
    """The file, or empty when unknown."""
    line: int
    """1-based line, 0 when unknown."""
    column: int
    """1-based column, 0 when unknown."""

def _scan(
    paths: list[str],
    rules: list[str],
    insights: bool,
    account_id: str | None = None,
    region: str | None = None,
    selection: tuple[list[str], list[str], int | None, int | None] | None = None,
    stats: dict[str, int] | None = None,
) -> tuple[str, list[str], list[tuple[str, list[str], list[str]]]]: ...
def _lint(paths: list[str]) -> str: ...
def _spark_plan(
    rules: list[str],
    insights: bool,
    account_id: str | None = None,
    region: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> tuple[str, list[str]]: ...
def _trail_keys(
    paths: list[str],
    accounts: list[str] = ...,
    regions: list[str] = ...,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> list[tuple[tuple[str | None, str, str, tuple[int, int, int]] | None, bool]]: ...
def _holds_dirs(
    paths: list[str],
    accounts: list[str] = ...,
    regions: list[str] = ...,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> list[bool]: ...
@final
class _SparkPlan:
    def __new__(cls, plan: str) -> _SparkPlan: ...
    def tally(self, names: list[str], contents: Any) -> list[bytes]: ...
    def merge(self, tallies: list[bytes]) -> bytes: ...
    def finish(
        self, tallies: list[bytes]
    ) -> tuple[str, list[str], list[tuple[str, list[str], list[str]]]]: ...
    def read(self, names: list[str], contents: Any) -> dict[str, Any]: ...
    def match_records(self, json: Any, times: bytes | None = None) -> dict[str, Any]: ...

@final
class _SparkFollower:
    def __new__(cls, plan: str, lateness_ms: int) -> _SparkFollower: ...
    def add_tallies(self, tallies: list[bytes], now_ms: int) -> None: ...
    def outbox(self) -> list[str]: ...
    def delivered(self, n: int) -> None: ...
    def finish(self) -> None: ...
    def progress(self) -> str: ...
    def state(self) -> str: ...
    def restore(self, state: str) -> None: ...

def _cis_check(paths: list[str]) -> str: ...

class PatternError(ValueError):
    """A filter pattern, metric transformation or TestMetricFilter request that trailmatch
    rejects. ``str()`` is the rendering with a caret under the fault."""

    code: str
    """Stable kebab-case identifier, the same in Rust, Python and JavaScript."""
    message: str
    """The one-line message, in AWS's wording where AWS has one."""
    help: str | None
    """What to do about it, when there is something useful to say."""
    origin: str
    """The request member the error points into: 'filterPattern', 'metricValue', ..."""
    text: str
    """The text the error points into (the pattern, for pattern errors)."""
    start: int
    """Index in ``text`` (a str index, not a byte offset) where the fault starts."""
    end: int
    """Index in ``text`` one past the fault."""
    line: int
    """1-based line of ``start``."""
    column: int
    """1-based column (in characters) of ``start``."""
    index: int | None
    """Position of the failing pattern in a PatternSet, else None."""
    name: str | None
    """Name of the failing pattern in a PatternSet built from a dict, else None."""

@final
class Pattern:
    """A compiled CloudWatch Logs filter pattern. ``str()`` is the canonical form; patterns are
    equal, and hash alike, when their canonical forms (and dialects) are."""

    def __new__(cls, pattern: str, *, dialect: DialectOptions | None = None) -> Pattern: ...
    def matches(self, event: Event) -> bool:
        """True when ``event`` matches."""
    def test(self, event: Event) -> dict[str, str] | None:
        """The values a match extracts (TestMetricFilter's ``extractedValues``), or None when
        ``event`` does not match."""
    def explain(self, event: Event) -> list[dict[str, Any]] | None:
        """For a JSON pattern, each condition (``condition``, ``holds``, ``start``, ``end``);
        None for other kinds of pattern."""
    @property
    def kind(self) -> PatternKind:
        """Which language the pattern is written in."""
    @property
    def pattern(self) -> str:
        """The pattern as written."""
    @property
    def dialect(self) -> DialectOptions:
        """The dialect switches it was compiled with."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, Any]]: ...

@final
class PatternSet(Generic[_K]):
    """Many patterns, asked together which of them match an event. Built from a list (answers
    are indices) or a dict of name -> pattern (answers are names)."""

    @overload
    def __new__(  # type: ignore[overload-overlap]
        cls, patterns: Mapping[str, str], *, dialect: DialectOptions | None = None
    ) -> PatternSet[str]: ...
    @overload
    def __new__(
        cls, patterns: Iterable[str], *, dialect: DialectOptions | None = None
    ) -> PatternSet[int]: ...
    def matches(self, event: Event) -> list[_K]:
        """The indices (or names) of the patterns that match ``event``, in the set's order."""
    def test(self, event: Event) -> dict[_K, dict[str, str]]:
        """Each matching pattern's index (or name) with the values it extracts."""
    def is_match(self, event: Event) -> bool:
        """True when at least one pattern matches ``event``."""
    def match_many(self, events: Iterable[Event]) -> list[tuple[_K, ...]]:
        """``matches`` for each event, as one tuple per event (equal answers are one shared
        tuple), with the interpreter lock released while matching. ``str`` events are read in
        place and ``bytes`` events borrowed, neither copied; bytes that are not UTF-8 raise
        ``UnicodeDecodeError`` with ``index``, the event's position."""
    def match_buffers(
        self,
        data: ReadableBuffer,
        offsets: ReadableBuffer,
        *,
        length: int | None = None,
        offset: int = 0,
        validity: ReadableBuffer | None = None,
        large: bool = False,
    ) -> tuple[memoryview, memoryview]:
        """``matches`` for the events of an Arrow string array's buffers: ``data`` (UTF-8),
        ``offsets`` (int32, int64 with ``large=True``; ``length + 1`` from entry ``offset``) and an
        optional ``validity`` bitmap (a null matches nothing). Returns ``(offsets, indices)``, two
        int32 memoryviews: event ``i``'s matching pattern indices are
        ``indices[offsets[i]:offsets[i + 1]]``. The interpreter lock is released while matching.
        Errors number events as the array does, from ``offset`` (event 0 is the one at
        ``offsets[offset]``), and name an offset by its place in ``offsets``."""
    def match_arrow(self, array: Any) -> Any:
        """``match_buffers`` for a pyarrow ``string``, ``large_string``, ``binary`` or
        ``large_binary`` array or chunked array: a ``pyarrow.ListArray`` (``ChunkedArray``) of each
        event's matching pattern indices (int32), or names (strings) for a set built from a dict;
        a null gets an empty list."""
    @property
    def names(self) -> list[str] | None:
        """The names given to the patterns, or None for a set built from a list."""
    @property
    def patterns(self) -> list[Pattern]:
        """The patterns, in the set's order."""
    @property
    def dialect(self) -> DialectOptions:
        """The dialect switches the patterns were compiled with."""
    def __len__(self) -> int: ...
    def __getnewargs_ex__(self) -> tuple[tuple[list[str] | dict[str, str]], dict[str, Any]]: ...

@final
class MetricFilter:
    """A filter pattern with its metric transformation, validated as ``PutMetricFilter``
    validates them."""

    def __new__(
        cls,
        pattern: str | Pattern,
        metric_transformation: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    ) -> MetricFilter: ...
    def apply(self, event: Event) -> dict[str, Any] | None:
        """What a matching event adds to the metric: ``{"value": float, "dimensions": {...}}``,
        or None when it does not match or its metric value is missing or not a number."""
    @property
    def pattern(self) -> Pattern:
        """The filter pattern."""
    @property
    def metric_transformation(self) -> dict[str, Any]:
        """The metric transformation, in boto3's shape."""
    def __getnewargs__(self) -> tuple[Pattern, dict[str, Any]]: ...

@final
class EventPattern:
    """A compiled EventBridge event pattern, validated as ``PutRule`` validates it (invalid
    patterns raise PatternError with EventBridge's message). ``str()`` is the pattern as
    written."""

    def __new__(cls, pattern: str) -> EventPattern: ...
    def matches(self, event: Event) -> bool:
        """True when ``event`` matches."""
    @property
    def pattern(self) -> str:
        """The pattern as written."""
    @property
    def rule_count(self) -> int:
        """How many rules the pattern's ``$or``s expand to."""
    def __getnewargs__(self) -> tuple[str]: ...

def test_event_pattern(*, EventPattern: str, Event: str | dict[str, Any]) -> dict[str, bool]:
    """Answers a ``TestEventPattern`` request as EventBridge does: ``{"Result": bool}``."""

def test_metric_filter(
    *,
    filterPattern: str,
    logEventMessages: Iterable[Event],
    dialect: DialectOptions | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Answers a ``TestMetricFilter`` request as AWS does, with boto3's response shape."""
