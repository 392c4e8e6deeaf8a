"""The Python API: conversions, errors and their str indices, sets, metric filters."""

from __future__ import annotations

import _thread
import array
import copy
import ctypes
import itertools
import pickle
import re
import signal
import threading
import types
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import trailmatch
from conftest import ROOT, str_index

CLOUDTRAIL = {"eventName": "GetObject", "errorCode": "AccessDenied", "userIdentity": {"type": "IAMUser"}}


def test_version_comes_from_cargo() -> None:
    cargo = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE)
    assert version is not None
    assert trailmatch.__version__ == version.group(1)


def test_public_names() -> None:
    assert set(trailmatch.__all__) <= set(dir(trailmatch))
    assert trailmatch.Pattern.__module__ == "trailmatch"
    assert issubclass(trailmatch.PatternError, ValueError)


# ---- Pattern -------------------------------------------------------------------------------------


def test_pattern_basics() -> None:
    p = trailmatch.Pattern('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }')
    assert p.kind == "json"
    assert p.matches(CLOUDTRAIL)
    assert not p.matches({"eventName": "GetObject"})
    assert p.test(CLOUDTRAIL) == {}
    assert p.test("{}") is None
    assert str(p) == '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" }'
    assert p.pattern.startswith("{ ($.errorCode")
    assert repr(p) == f"Pattern({p.pattern!r})"


@pytest.mark.parametrize(
    ("text", "kind"),
    [("", "match-all"), ("ERROR", "terms"), ("%ERR(OR)?%", "regex"), ("{ $.a = 1 }", "json"), ("[a, b]", "delimited")],
)
def test_kinds(text: str, kind: str) -> None:
    try:
        assert trailmatch.Pattern(text).kind == kind
    except trailmatch.PatternError:
        assert kind == "regex"  # grouping is not part of AWS's regex syntax
        assert trailmatch.Pattern("%ERROR?%").kind == "regex"


def test_delimited_extraction() -> None:
    apache = trailmatch.Pattern("[ip, user, username, timestamp, request, status_code = 4*, bytes]")
    line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
    values = apache.test(line)
    assert values is not None
    assert values["$request"] == "GET /index.html HTTP/1.0"
    assert list(values) == ["$ip", "$user", "$username", "$timestamp", "$request", "$status_code", "$bytes"]


def test_equality_and_hash_by_canonical_form() -> None:
    a = trailmatch.Pattern("{ ($.a = 1) }")
    b = trailmatch.Pattern("{$.a=1}")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != trailmatch.Pattern("{ $.a = 2 }")
    assert a != "{ $.a = 1 }"
    # Same text, different dialects: they may answer differently, so they differ.
    assert trailmatch.Pattern("[a, b]") != trailmatch.Pattern("[a, b]", dialect={"absorb_trailing_fields": False})


def test_pickle_keeps_text_and_dialect() -> None:
    p = trailmatch.Pattern("[a, b]", dialect={"absorb_trailing_fields": False})
    q = pickle.loads(pickle.dumps(p))
    assert q == p and q.pattern == p.pattern and q.dialect == p.dialect
    assert repr(q) == "Pattern('[a, b]', dialect={'absorb_trailing_fields': False})"


def test_explain() -> None:
    p = trailmatch.Pattern('{ $.é = "x" || $.b > 1 }'.replace("é", "a"))
    outcomes = p.explain({"a": "y", "b": 2})
    assert outcomes is not None
    assert [(o["condition"], o["holds"]) for o in outcomes] == [('$.a = "x"', False), ("$.b > 1", True)]
    first = outcomes[0]
    assert p.pattern[first["start"] : first["end"]] == '$.a = "x"'
    assert p.explain("not json") == []
    assert trailmatch.Pattern("ERROR").explain("ERROR") is None


def test_explain_spans_are_str_indices() -> None:
    p = trailmatch.Pattern('{ $.a = "日本語" && $.b = "ü" }')
    outcomes = p.explain({"a": "日本語", "b": "u"})
    assert outcomes is not None
    assert [p.pattern[o["start"] : o["end"]] for o in outcomes] == ['$.a = "日本語"', '$.b = "ü"']
    assert [o["holds"] for o in outcomes] == [True, False]


def test_dialect() -> None:
    assert trailmatch.Pattern("[a, b]").matches("x y z")
    strict = trailmatch.Pattern("[a, b]", dialect={"absorb_trailing_fields": False})
    assert not strict.matches("x y z")
    assert strict.dialect["absorb_trailing_fields"] is False
    assert trailmatch.Pattern("x").dialect == {
        "absorb_trailing_fields": True,
        "numeric_string_coercion": True,
        "event_number_base": 1,
        "quoted_space_matches_all": False,
        "split_hyphenated_terms": True,
        "ne_number_matches_text": True,
        "allow_blanks_around_brackets": False,
    }
    with pytest.raises(ValueError, match="unknown dialect switch 'absorb'"):
        trailmatch.Pattern("x", dialect={"absorb": True})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dialect switch absorb_trailing_fields: "):
        trailmatch.Pattern("x", dialect={"absorb_trailing_fields": "yes"})  # type: ignore[arg-type]
    # A value out of range names its switch too, with the exception Python gives for it.
    with pytest.raises(OverflowError, match="dialect switch event_number_base: "):
        trailmatch.Pattern("x", dialect={"event_number_base": -1})
    with pytest.raises(TypeError):
        trailmatch.Pattern("x", dialect=["absorb_trailing_fields"])  # type: ignore[arg-type]


# ---- events --------------------------------------------------------------------------------------


def test_events_str_bytes_dict() -> None:
    p = trailmatch.Pattern('{ $.user.name = "zoë" }')
    assert p.matches('{"user": {"name": "zoë"}}')
    assert p.matches('{"user": {"name": "zoë"}}'.encode())
    assert p.matches({"user": {"name": "zoë"}})
    # A dict is serialised compactly and without \u escapes, so term patterns see its text.
    assert trailmatch.Pattern('"\\"name\\":\\"zoë\\""').matches({"name": "zoë"})


def test_invalid_utf8_is_a_clear_error() -> None:
    p = trailmatch.Pattern("ERROR")
    with pytest.raises(UnicodeDecodeError) as raised:
        p.matches(b"ERROR \xff")
    assert raised.value.start == 6
    assert isinstance(raised.value, ValueError)
    with pytest.raises(UnicodeDecodeError):
        trailmatch.PatternSet(["ERROR"]).match_many(["ok", b"\xc3("])


@pytest.mark.parametrize("event", [1, None, ["ERROR"], 2.5])
def test_other_events_are_type_errors(event: object) -> None:
    with pytest.raises(TypeError, match="an event is a str, bytes"):
        trailmatch.Pattern("ERROR").matches(event)  # type: ignore[arg-type]


def test_unserialisable_dict() -> None:
    with pytest.raises(TypeError):
        trailmatch.Pattern("{ $.a = 1 }").matches({"a": object()})


# ---- errors --------------------------------------------------------------------------------------


def test_error_attributes() -> None:
    with pytest.raises(trailmatch.PatternError) as raised:
        trailmatch.Pattern("?Status: timeout")
    e = raised.value
    assert (e.code, e.start, e.end, e.line, e.column) == ("invalid-character", 7, 8, 1, 8)
    assert e.message == "Invalid character(s) in term ':'"
    assert e.help == "text with characters other than letters, digits and '_' must be double-quoted"
    assert (e.origin, e.text, e.index, e.name) == ("filterPattern", "?Status: timeout", None, None)
    assert str(e) == (
        "error[invalid-character]: Invalid character(s) in term ':'\n"
        " --> filterPattern:1:8\n"
        "  |\n"
        "1 | ?Status: timeout\n"
        "  |        ^\n"
        "  = help: text with characters other than letters, digits and '_' must be double-quoted"
    )


@pytest.mark.parametrize(
    ("pattern", "code", "fault"),
    [
        ('{ $.a = "naïve" && $.b > abc }', "numeric-operator-needs-number", "abc"),
        ("%café%", "regex-non-ascii", "é"),
        ("[prénom, prénom]", "duplicate-field-name", "prénom"),
        ('"日本語 abc', "unterminated-string", '"日本語 abc'),
        ('{ $.emoji = "😀" || $.x = 😀x }', "invalid-character", "😀"),
        ("ÉRREUR -", "missing-term", "-"),
        ("{ $.a = \"ü\" &&\n  $.b = }", "syntax", "}"),
    ],
)
def test_error_indices_with_non_ascii_patterns(pattern: str, code: str, fault: str) -> None:
    with pytest.raises(trailmatch.PatternError) as raised:
        trailmatch.Pattern(pattern)
    e = raised.value
    assert e.code == code
    assert e.text == pattern
    # str indices, not UTF-8 byte offsets: slicing the pattern gives the faulty text.
    assert pattern[e.start : e.end] == fault
    assert pattern.rindex(fault) == e.start or pattern.index(fault) == e.start
    line_start = pattern.rfind("\n", 0, e.start) + 1
    assert e.line == pattern.count("\n", 0, e.start) + 1
    assert e.column == e.start - line_start + 1
    # The carets sit under the fault in a terminal: placed and sized by display width (two
    # columns for wide characters such as CJK and emoji).
    lines = str(e).splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("|") and "^" in line)
    source, carets = lines[at - 1].split(" | ", 1)[1], lines[at].split(" | ", 1)[1]
    head = source[: e.column - 1]
    assert carets == " " * columns(head) + "^" * max(1, columns(fault.split("\n")[0]))


def columns(text: str) -> int:
    """Terminal columns of text: wide (W, F) characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text
    )


def test_set_errors_carry_the_index_and_name() -> None:
    with pytest.raises(trailmatch.PatternError) as raised:
        trailmatch.PatternSet(["ERROR", "WARN", "{ $.é = 1 }"])
    assert (raised.value.index, raised.value.name, raised.value.code) == (2, None, "invalid-character")
    assert str(raised.value).startswith("pattern 2 of the set:\nerror[invalid-character]")
    with pytest.raises(trailmatch.PatternError) as named:
        trailmatch.PatternSet({"ok": "ERROR", "broken": "[a, a]"})
    assert (named.value.index, named.value.name, named.value.code) == (1, "broken", "duplicate-field-name")
    assert "[a, a]"[named.value.start : named.value.end] == "a"


def test_set_wide_errors_have_no_index() -> None:
    with pytest.raises(trailmatch.PatternError) as raised:
        trailmatch.PatternSet(["x"] * 100_001)
    e = raised.value
    assert (e.code, e.index, e.name) == ("too-many-patterns", None, None)
    assert str(e).startswith("error[too-many-patterns]: too many patterns: more than 100000 in one set")


def test_endless_iterables_are_read_up_to_the_limit() -> None:
    """Patterns and test messages are read up to one past their limit, where they are refused:
    an endless iterable ends in the error, not in memory running out."""
    with pytest.raises(trailmatch.PatternError, match="more than 100000 in one set"):
        trailmatch.PatternSet(itertools.repeat("ERROR"))
    with pytest.raises(trailmatch.PatternError, match="less than or equal to 50") as raised:
        trailmatch.test_metric_filter(filterPattern="x", logEventMessages=itertools.repeat("x"))
    assert "more than 50 messages" in str(raised.value)


def test_sets_say_which_pattern_is_not_a_str() -> None:
    with pytest.raises(TypeError, match=r"^pattern 2: a pattern is a str, not int$"):
        trailmatch.PatternSet(["ERROR", "WARN", 5])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^pattern 'b': a pattern is a str, not NoneType$"):
        trailmatch.PatternSet({"a": "ERROR", "b": None})
    with pytest.raises(TypeError, match=r"^pattern names are str, not int: 7$"):
        trailmatch.PatternSet({"a": "ERROR", 7: "WARN"})  # type: ignore[dict-item]
    for one in (b"ERROR", bytearray(b"ERROR")):
        with pytest.raises(TypeError, match=f"not one {type(one).__name__}$"):
            trailmatch.PatternSet(one)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^dialect: switch names are str, not int$"):
        trailmatch.PatternSet(["x"], dialect={1: True})  # type: ignore[call-overload]
    ok = {"metricName": "m", "metricNamespace": "n", "metricValue": "1"}
    with pytest.raises(ValueError, match=r"^metric_transformation\[1\]: metric transformation: missing field"):
        trailmatch.MetricFilter("ERROR", [ok, {"metricName": "m"}])


def test_sets_filters_and_event_patterns_pickle() -> None:
    """Each compiled object pickles (as Spark ships a function's globals to its workers) and
    copies, as its text and options, and answers the same once unpickled."""
    named = trailmatch.PatternSet({"root": '{ $.userIdentity.type = "Root" }', "short": "[a, b]"}, dialect={"absorb_trailing_fields": False})
    listed = trailmatch.PatternSet(["ERROR", '{ $.errorCode = "AccessDenied*" }'])
    event = trailmatch.EventPattern('{"detail": {"x": [1]}}')
    metric = trailmatch.MetricFilter("[ip, n]", {"metricName": "m", "metricNamespace": "n", "metricValue": "$n"})
    for obj in (named, listed, event, metric):
        for again in (pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy.deepcopy(obj)):
            assert type(again) is type(obj) and repr(again) == repr(obj)
    again = pickle.loads(pickle.dumps(named))
    assert again.names == ["root", "short"] and again.dialect == named.dialect
    # The dialect travels: with trailing fields not absorbed, `[a, b]` needs exactly two fields.
    assert again.matches("x y z") == named.matches("x y z") == []
    assert again.matches('{"userIdentity": {"type": "Root"}}') == ["root"]
    assert pickle.loads(pickle.dumps(listed)).matches('ERROR {"errorCode": "AccessDeniedX"}') == [0]
    assert pickle.loads(pickle.dumps(event)).matches({"detail": {"x": 1}})
    assert pickle.loads(pickle.dumps(metric)).apply("1.2.3.4 7") == {"value": 7.0, "dimensions": {}}


def test_dict_events_json_cannot_write_are_refused() -> None:
    """NaN and the infinities have no JSON: a dict holding one is refused, naming the event,
    where written as ``NaN`` it would silently match no JSON pattern."""
    p = trailmatch.Pattern("{ $.a = 1 }")
    with pytest.raises(ValueError, match="^a dict event cannot be written as JSON: Out of range float"):
        p.matches({"a": 1, "b": float("nan")})
    with pytest.raises(ValueError, match="^in event 1: a dict event cannot be written as JSON") as raised:
        trailmatch.PatternSet(["{ $.a = 1 }"]).match_many([{"a": 1}, {"a": 1, "b": float("-inf")}])
    assert raised.value.index == 1  # type: ignore[attr-defined]
    assert isinstance(raised.value.__cause__, ValueError)
    assert p.matches({"a": 1, "b": 1e308})


def test_buffers_of_bytes_in_any_byte_order_are_events() -> None:
    """ctypes gives its byte arrays the formats ``<B`` and ``<c``: bytes all the same."""
    s = trailmatch.PatternSet(["ERROR"])
    unsigned = (ctypes.c_ubyte * 5).from_buffer_copy(b"ERROR")
    assert memoryview(unsigned).format == "<B"
    assert s.matches(unsigned) == [0]
    assert s.matches(ctypes.create_string_buffer(b"ERROR", 5)) == [0]
    offsets, indices = s.match_buffers(unsigned, array.array("i", [0, 5]))
    assert (offsets.tolist(), indices.tolist()) == ([0, 1], [0])
    with pytest.raises(TypeError, match="not one of format '<i'"):
        s.matches((ctypes.c_int32 * 1)())


def test_a_signal_is_seen_between_batches() -> None:
    """Ctrl-C during ``match_many`` over a list is raised between batches: the Python handler
    runs from within the call, not once every event is converted and matched (the last event,
    a dict, would then be serialised first, through Python code the handler would interrupt).
    (``match_buffers`` checks between its groups the same way; it runs no Python code that
    would tell the two apart.)"""
    s = trailmatch.PatternSet(["ERROR", "%E+R%"])
    interrupted: list[str] = []

    def handler(signum: int, frame: Any) -> None:
        interrupted.append(frame.f_code.co_name if frame is not None else "?")
        raise KeyboardInterrupt

    class Last(dict):  # type: ignore[type-arg]
        """json.dumps reads a dict subclass through ``items()``: Python code."""

        def items(self) -> Any:
            return super().items()

    events: list[Any] = [*(f"ERROR {i} " * 4 for i in range(2_000_000)), Last(a=1)]

    def many() -> object:
        return s.match_many(events)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        threading.Timer(0.05, _thread.interrupt_main).start()
        with pytest.raises(KeyboardInterrupt):
            many()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert interrupted == ["many"]


def test_pattern_error_is_catchable_as_value_error() -> None:
    with pytest.raises(ValueError):
        trailmatch.Pattern("{")


# ---- PatternSet ----------------------------------------------------------------------------------


def test_pattern_set_from_list() -> None:
    s = trailmatch.PatternSet(["ERROR", "?WARN ?ERROR", "-DEBUG"])
    assert len(s) == 3 and s.names is None
    assert s.matches("WARN disk almost full") == [1, 2]
    assert s.is_match("DEBUG x") is False
    assert s.test("ERROR x") == {0: {}, 1: {}, 2: {}}
    assert [str(p) for p in s.patterns] == [str(trailmatch.Pattern(t)) for t in ["ERROR", "?WARN ?ERROR", "-DEBUG"]]
    assert repr(s) == "PatternSet(['ERROR', '?WARN ?ERROR', '-DEBUG'])"


def test_pattern_set_from_dict() -> None:
    s = trailmatch.PatternSet({"denied": '{ $.errorCode = "AccessDenied*" }', "apache-4xx": "[ip, id, user, ts, req, status = 4*, size]"})
    assert s.names == ["denied", "apache-4xx"]
    assert s.matches(CLOUDTRAIL) == ["denied"]
    assert s.test('1.2.3.4 - bob [x] "GET /" 404 12') == {
        "apache-4xx": {"$ip": "1.2.3.4", "$id": "-", "$user": "bob", "$ts": "x", "$req": "GET /", "$status": "404", "$size": "12"}
    }
    assert s.match_many([CLOUDTRAIL, "nothing"]) == [("denied",), ()]


def test_pattern_set_patterns_are_the_sets_own() -> None:
    dialect: trailmatch.DialectOptions = {"event_number_base": 0}
    s = trailmatch.PatternSet({"e": "ERROR", "j": "{ $.a = 1 }"}, dialect=dialect)
    first, second = s.patterns, s.patterns
    # The same objects on every ask (made once from what the set holds), in a fresh list.
    assert all(a is b for a, b in zip(first, second)) and first is not second
    assert [p.pattern for p in first] == ["ERROR", "{ $.a = 1 }"]
    assert all(p.dialect == s.dialect for p in first)
    assert first == [trailmatch.Pattern(t, dialect=dialect) for t in ["ERROR", "{ $.a = 1 }"]]
    events: list[trailmatch.Event] = ["ERROR x", {"a": 1}, "nothing"]
    for event in events:
        assert [name for name, p in zip(s.names or [], first) if p.matches(event)] == s.matches(event)


def test_pattern_set_input_checks() -> None:
    with pytest.raises(TypeError, match="not one str"):
        trailmatch.PatternSet("ERROR")
    with pytest.raises(TypeError, match="a pattern is a str"):
        trailmatch.PatternSet([1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="pattern names are str"):
        trailmatch.PatternSet({1: "ERROR"})  # type: ignore[dict-item]
    assert trailmatch.PatternSet([]).match_many(["x"]) == [()]


def test_match_many_takes_any_iterable() -> None:
    s = trailmatch.PatternSet(["ERROR", "{ $.level = \"ERROR\" }"])
    events = (f"ERROR {i}" if i % 3 == 0 else {"level": "ERROR"} if i % 3 == 1 else b"fine" for i in range(10_000))
    answers = s.match_many(events)
    assert len(answers) == 10_000  # more than one batch
    assert answers[:3] == [(0,), (0, 1), ()]
    assert answers[9_999] == (0,)
    # Equal answers are one shared (immutable) tuple.
    assert answers[0] is answers[3] is answers[9_999]
    assert s.match_many([]) == []
    with pytest.raises(TypeError, match="iterable of events"):
        s.match_many("ERROR")
    with pytest.raises(TypeError, match="iterable of events"):
        s.match_many({"level": "ERROR"})


def test_a_batch_says_which_event_it_could_not_read() -> None:
    """Any event that cannot be read, not only bytes that are not UTF-8, is named by its
    position: an ``index`` attribute, and "in event N: " before the message of a TypeError or
    ValueError (on any Python) or, where Python has notes, a note for other errors."""
    s = trailmatch.PatternSet(["x"])
    bad: list[Any] = ["x", "y", 5]
    many: list[Any] = [f"e{i}" for i in range(9_000)] + [None]  # past the first batch
    cases: list[tuple[Callable[[], object], type[Exception], int]] = [
        (lambda: s.match_many(bad), TypeError, 2),
        (lambda: s.match_many(["x", "a\ud800"]), UnicodeEncodeError, 1),
        (lambda: s.match_many(many), TypeError, 9_000),
        (lambda: trailmatch.test_metric_filter(filterPattern="x", logEventMessages=["x", "y\ud800"]), UnicodeEncodeError, 1),
    ]
    for call, kind, index in cases:
        with pytest.raises(kind) as caught:
            call()
        assert caught.value.index == index  # type: ignore[attr-defined]
        if kind is TypeError:
            assert str(caught.value).startswith(f"in event {index}: an event is a str")
        elif hasattr(caught.value, "add_note"):
            assert f"in event {index}" in caught.value.__notes__
    # An iterator's own exception is raised as it is: it says where it is itself.
    def failing() -> Iterator[str]:
        yield "x"
        raise LookupError("mine")

    with pytest.raises(LookupError) as caught:
        s.match_many(failing())
    assert not hasattr(caught.value, "index")


def test_match_many_agrees_with_matches() -> None:
    s = trailmatch.PatternSet(["ERROR", "-ERROR", "[a, b = 2*]", "%^x+$%", "{ $.n > 3 }"])
    events = ["ERROR 1", "x y", "xxx", '{"n": 4}', "a 20", "", '{"n": "5"}']
    assert s.match_many(events) == [tuple(s.matches(e)) for e in events]


def test_subclasses_of_str_and_bytes_are_events_too() -> None:
    class Text(str):
        pass

    class Raw(bytes):
        pass

    s = trailmatch.PatternSet(["ERROR", "{ $.level = \"ERROR\" }"])
    events = ["ERROR x", '{"level":"ERROR"}', "fine"]
    expected = [tuple(s.matches(e)) for e in events]
    assert expected == [(0,), (0, 1), ()]
    assert s.match_many([Text(e) for e in events]) == expected
    assert s.match_many([Raw(e.encode()) for e in events]) == expected
    assert [tuple(s.matches(Text(e))) for e in events] == expected
    assert [tuple(s.matches(Raw(e.encode()))) for e in events] == expected


def test_match_many_numbers_many_distinct_answers_rightly() -> None:
    # 14 words: event i holds the words of the bits of i * 7919 mod 2**14, so that the first
    # 6,000 answers all differ and past 4,096 of them each gets its own tuple; then answers met
    # before, each one twice in a row, answers of their own the same way, and the first answers
    # again in turn (A, B, C, A, B, C: the first one is met again after others).
    s = trailmatch.PatternSet([f"w{k}" for k in range(14)])
    codes = [(i * 7919) % (1 << 14) for i in range(6000)]
    codes += [c for c in codes[100:200] + codes[5000:5100] for _ in range(2)]
    codes += codes[0:3] * 2
    events = [" ".join(f"w{k}" for k in range(14) if c >> k & 1) or "none" for c in codes]
    expected = [tuple(s.matches(e)) for e in events]
    assert len(set(expected)) > 4096
    assert s.match_many(events) == expected
    assert s.match_many(e.encode() for e in events) == expected


# ---- MetricFilter ----------------------------------------------------------------------------------


def test_metric_filter() -> None:
    f = trailmatch.MetricFilter(
        "{ $.latency > 0 }",
        {"metricName": "Latency", "metricNamespace": "App", "metricValue": "$.latency", "dimensions": {"Service": "$.service"}, "unit": "Milliseconds"},
    )
    assert f.apply({"latency": 120, "service": "api"}) == {"value": 120.0, "dimensions": {"Service": "api"}}
    assert f.apply({"latency": 0}) is None
    assert f.pattern == trailmatch.Pattern("{ $.latency > 0 }")
    assert f.metric_transformation["unit"] == "Milliseconds"
    assert repr(f).startswith("MetricFilter(Pattern('{ $.latency > 0 }'), {'metricName': 'Latency'")


def test_metric_filter_takes_put_metric_filters_list() -> None:
    t = {"metricName": "E", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0}
    assert trailmatch.MetricFilter(trailmatch.Pattern("ERROR"), [t]).apply("ERROR") == {"value": 1.0, "dimensions": {}}
    with pytest.raises(trailmatch.PatternError) as raised:
        trailmatch.MetricFilter("ERROR", [t, t])
    assert raised.value.code == "too-many-transformations"
    assert raised.value.origin == "metricTransformations"


def test_metric_filter_errors() -> None:
    with pytest.raises(trailmatch.PatternError) as raised:
        trailmatch.MetricFilter("ERROR", {"metricName": "E", "metricNamespace": "App", "metricValue": "1", "dimensions": {"S": "$.s"}})
    assert raised.value.code == "dimensions-not-supported"
    assert raised.value.message == "The specified filter pattern does not support dimensions"
    with pytest.raises(trailmatch.PatternError) as named:
        trailmatch.MetricFilter("ERROR", {"metricName": "é:x", "metricNamespace": "App", "metricValue": "1"})
    e = named.value
    assert (e.code, e.origin, e.text, e.start, e.end) == ("invalid-metric-name", "metricName", "é:x", 1, 2)
    with pytest.raises(trailmatch.PatternError) as nan:
        trailmatch.MetricFilter("ERROR", {"metricName": "E", "metricNamespace": "App", "metricValue": "1", "defaultValue": float("nan")})
    assert nan.value.code == "invalid-default-value"
    with pytest.raises(trailmatch.PatternError) as pattern:
        trailmatch.MetricFilter("{ $.a = ", {"metricName": "E", "metricNamespace": "App", "metricValue": "1"})
    assert pattern.value.origin == "filterPattern"


def test_metric_transformation_shape_errors() -> None:
    with pytest.raises(ValueError, match="^metric transformation 'metric_name': unknown field `metric_name`, expected one of"):
        trailmatch.MetricFilter("ERROR", {"metric_name": "E"})
    with pytest.raises(ValueError, match="^metric transformation: missing field `metricValue`$"):
        trailmatch.MetricFilter("ERROR", {"metricName": "E", "metricNamespace": "App"})
    with pytest.raises(TypeError, match="^metric transformation 'metricValue': unexpected type: 'int' object is not an instance of 'str'$"):
        trailmatch.MetricFilter("ERROR", {"metricName": "E", "metricNamespace": "App", "metricValue": 1})
    with pytest.raises(TypeError):
        trailmatch.MetricFilter(42, {"metricName": "E", "metricNamespace": "App", "metricValue": "1"})  # type: ignore[arg-type]


def test_metric_transformation_is_read_by_core_s_serde_type() -> None:
    t = {"metricName": "E", "metricNamespace": "App", "metricValue": "$.n"}
    keys = "`metricName`, `metricNamespace`, `metricValue`, `defaultValue`, `dimensions`, `unit`"
    with pytest.raises(ValueError, match=f"^metric transformation 'Unit': unknown field `Unit`, expected one of {keys}$"):
        trailmatch.MetricFilter("{ $.n > 0 }", {**t, "Unit": "Count"})
    # The message names the key at fault, within dimensions too, and a key that is not a str.
    with pytest.raises(TypeError, match="^metric transformation 'dimensions.S': unexpected type: 'int' object is not an instance of 'str'$"):
        trailmatch.MetricFilter("{ $.n > 0 }", {**t, "dimensions": {"S": 3}})
    with pytest.raises(TypeError, match="^metric transformation key 'dimensions.3': unexpected type: 'int' object is not an instance of 'str'$"):
        trailmatch.MetricFilter("{ $.n > 0 }", {**t, "dimensions": {"S": "$.s", 3: "$.s"}})
    with pytest.raises(TypeError, match="^metric transformation key '5': dict keys must have type str$"):
        trailmatch.MetricFilter("{ $.n > 0 }", {**t, 5: "x"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="^metric transformation 'dimensions': unexpected type: 'list' object is not an instance of 'Mapping'$"):
        trailmatch.MetricFilter("{ $.n > 0 }", {**t, "dimensions": ["S"]})
    with pytest.raises(TypeError, match="^metric transformation 'defaultValue': must be real number, not str$"):
        trailmatch.MetricFilter("{ $.n > 0 }", {**t, "defaultValue": "2"})
    # A bool is no number here, although float(True) is 1.0.
    with pytest.raises(TypeError, match="^metric transformation 'defaultValue': expected a number, not bool$"):
        trailmatch.MetricFilter("{ $.n > 0 }", {**t, "defaultValue": True})
    with pytest.raises(TypeError, match=r"^metric_transformation\[0\]: a metric transformation is a dict, not str$"):
        trailmatch.MetricFilter("{ $.n > 0 }", ["metricName"])  # type: ignore[list-item]
    # None is an absent optional member; an int defaultValue is a number; any mapping will do.
    f = trailmatch.MetricFilter("{ $.n > 0 }", types.MappingProxyType({**t, "defaultValue": 2, "unit": None}))
    assert f.metric_transformation == {**t, "defaultValue": 2.0}
    assert type(f.metric_transformation["defaultValue"]) is float
    assert f.apply({"n": 5}) == {"value": 5.0, "dimensions": {}}


def test_metric_transformation_round_trips_in_serde_s_order() -> None:
    t = {"unit": "Count", "dimensions": {"b": "$.b", "a": "$.a"}, "metricValue": "$.n", "metricNamespace": "App", "metricName": "E"}
    got = trailmatch.MetricFilter("{ $.n > 0 }", t).metric_transformation
    assert list(got) == ["metricName", "metricNamespace", "metricValue", "dimensions", "unit"]
    assert list(got["dimensions"]) == ["a", "b"]
    assert type(got["dimensions"]) is dict


# ---- test_metric_filter ----------------------------------------------------------------------------


def test_test_metric_filter_shape() -> None:
    answer = trailmatch.test_metric_filter(
        filterPattern="[ip, id, user, timestamp, request, status_code = 404, size]",
        logEventMessages=['127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326', "nope"],
    )
    assert list(answer) == ["matches"]
    (match,) = answer["matches"]
    assert list(match) == ["eventNumber", "eventMessage", "extractedValues"]
    assert match["eventNumber"] == 1
    assert type(match["eventNumber"]) is int
    assert match["extractedValues"]["$status_code"] == "404"


def test_test_metric_filter_errors() -> None:
    with pytest.raises(trailmatch.PatternError) as raised:
        trailmatch.test_metric_filter(filterPattern="x", logEventMessages=["x"] * 51)
    assert raised.value.code == "invalid-log-event-messages"
    assert raised.value.origin == "logEventMessages"
    with pytest.raises(trailmatch.PatternError) as empty:
        trailmatch.test_metric_filter(filterPattern="x", logEventMessages=["naïve message, long", ""])
    e = empty.value
    assert e.text[e.start : e.end] == '""'
    assert e.start == str_index(e.text, e.text.encode().index(b'""'))
    with pytest.raises(TypeError):
        trailmatch.test_metric_filter(filterPattern="x", logEventMessages="x")
    with pytest.raises(TypeError):
        trailmatch.test_metric_filter("x", ["x"])  # type: ignore[call-arg]


def test_test_metric_filter_is_not_collected_by_pytest() -> None:
    assert getattr(trailmatch.test_metric_filter, "__test__", True) is False


def test_package_ships_its_typing() -> None:
    package = Path(trailmatch.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_trailmatch.pyi").exists()
