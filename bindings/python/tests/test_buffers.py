"""Events without Python strings: bytes-like events (``bytes``, ``bytearray``, ``memoryview``, any
buffer of bytes) for every matching method, and the columnar calls ``PatternSet.match_buffers``
(Arrow's string layout through the buffer protocol) and ``PatternSet.match_arrow`` (pyarrow
arrays; those tests are skipped when pyarrow is not installed)."""

from __future__ import annotations

import array
import itertools
import mmap
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

import trailmatch
from conftest import load_tables

SET = trailmatch.PatternSet(["ERROR", '{ $.user.name = "zoë" }', "-DEBUG", "[a, b = 2*]"])
EVENTS = ["ERROR 1", '{"user": {"name": "zoë"}}', "DEBUG ERROR", "a 20", "", "zoë ERROR", "x"]


def layout(events: Sequence[str | None], code: str = "i") -> tuple[bytes, array.array[int], bytes]:
    """``events`` in Arrow's string layout: data, offsets (``code``: 'i' int32, 'q' int64) and the
    validity bitmap (None is a null)."""
    encoded = [(e or "").encode() for e in events]
    offsets = array.array(code, [0])
    offsets.extend(itertools.accumulate(len(e) for e in encoded))
    bits = bytearray((len(events) + 7) // 8)
    for i, e in enumerate(events):
        if e is not None:
            bits[i // 8] |= 1 << (i % 8)
    return b"".join(encoded), offsets, bytes(bits)


def per_event(answer: tuple[memoryview, memoryview]) -> list[tuple[int, ...]]:
    offsets, indices = answer
    assert offsets.format == "i" and indices.format == "i"
    return [tuple(indices[a:b]) for a, b in zip(offsets, offsets[1:])]


# ---- bytes-like events ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [bytes, bytearray, lambda b: memoryview(b), lambda b: memoryview(bytearray(b))])
def test_bytes_like_events_answer_as_str(kind: Any) -> None:
    p = trailmatch.Pattern('{ $.user.name = "zoë" }')
    event = '{"user": {"name": "zoë"}}'
    assert p.matches(kind(event.encode()))
    assert p.test(kind(event.encode())) == {}
    assert SET.matches(kind(event.encode())) == SET.matches(event)
    assert SET.is_match(kind(b"ERROR"))
    assert SET.match_many([kind(e.encode()) for e in EVENTS]) == SET.match_many(EVENTS)


def test_other_buffers_of_bytes_are_events(tmp_path: Any) -> None:
    path = tmp_path / "event"
    path.write_bytes(b"ERROR in a file")
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert SET.matches(mapped) == [0, 2]
    # A multi-dimensional, C-contiguous view of bytes is read as its bytes.
    assert SET.matches(memoryview(b"ERRORS").cast("B", (2, 3))) == [0, 2]
    assert SET.matches(array.array("B", b"ERROR")) == [0, 2]


def test_buffers_of_wider_items_are_not_events() -> None:
    with pytest.raises(TypeError, match="format 'i'"):
        SET.matches(array.array("i", [1, 2]))
    with pytest.raises(ValueError, match="not C-contiguous"):
        SET.matches(memoryview(b"ERROR x")[::2])
    with pytest.raises(TypeError, match="an event is a str, bytes"):
        SET.matches(12)  # type: ignore[arg-type]


def test_one_bytes_like_object_is_not_a_batch() -> None:
    for single in [bytearray(b"ERROR"), memoryview(b"ERROR")]:
        with pytest.raises(TypeError, match="iterable of events"):
            SET.match_many(single)  # type: ignore[arg-type]


def test_a_bytes_event_is_not_copied_nor_kept() -> None:
    import sys

    event = b"ERROR " + b"x" * 100
    before = sys.getrefcount(event)
    assert SET.match_many([event] * 10_000)[0] == (0, 2)
    assert sys.getrefcount(event) == before


# ---- UTF-8 errors name the event -----------------------------------------------------------------


def test_invalid_utf8_names_the_event_and_the_byte() -> None:
    events: list[trailmatch.Event] = ["ok", b"fine", bytearray(b"caf\xc3"), b"\xff"]
    with pytest.raises(UnicodeDecodeError) as raised:
        SET.match_many(events)
    e = raised.value
    assert isinstance(e, ValueError)
    assert (e.index, e.start, e.end, e.object) == (2, 3, 4, b"caf\xc3")  # type: ignore[attr-defined]
    assert e.reason == "unexpected end of data, in event 2"
    assert str(e) == "'utf-8' codec can't decode byte 0xc3 in position 3: unexpected end of data, in event 2"


def test_invalid_utf8_reasons_are_pythons() -> None:
    for bad in [b"ab\x80", b"\xc3(", b"\xe2\x82", b"\xf5\x80"]:
        with pytest.raises(UnicodeDecodeError) as ours:
            SET.matches(bad)
        with pytest.raises(UnicodeDecodeError) as pythons:
            bad.decode("utf-8")
        assert (ours.value.start, ours.value.end, ours.value.reason) == (
            pythons.value.start,
            pythons.value.end,
            pythons.value.reason,
        )
        assert not hasattr(ours.value, "index")


def test_invalid_utf8_past_the_first_batch() -> None:
    events: list[bytes] = [b"ok"] * 10_000 + [b"\xff"]
    with pytest.raises(UnicodeDecodeError) as raised:
        SET.match_many(iter(events))
    assert raised.value.index == 10_000  # type: ignore[attr-defined]


def test_the_first_bad_event_is_the_one_raised() -> None:
    with pytest.raises(UnicodeDecodeError):
        SET.match_many(["ok", b"\xff", 12])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not int"):
        SET.match_many(["ok", 12, b"\xff"])  # type: ignore[list-item]


def test_test_metric_filter_names_the_message() -> None:
    with pytest.raises(UnicodeDecodeError) as raised:
        trailmatch.test_metric_filter(filterPattern="ERROR", logEventMessages=["ERROR", b"\xff"])
    assert raised.value.index == 1  # type: ignore[attr-defined]


# ---- match_many's batching -----------------------------------------------------------------------


def generator(n: int) -> Iterator[str]:
    for i in range(n):
        yield EVENTS[i % len(EVENTS)]


@pytest.mark.parametrize("n", [0, 1, 4095, 4096, 4097, 9000])
def test_match_many_over_lists_tuples_and_iterators(n: int) -> None:
    events = list(generator(n))
    expected = [tuple(SET.matches(e)) for e in events]
    assert SET.match_many(events) == expected
    assert SET.match_many(tuple(events)) == expected
    assert SET.match_many(generator(n)) == expected
    assert SET.match_many(e.encode() for e in events) == expected


def test_match_many_batches_by_bytes_too() -> None:
    big = b"ERROR " + b"x" * (3 << 20)  # three of these fill a batch of 8 MiB
    events = [big, b"DEBUG", big, big, b"x", big, big]
    assert SET.match_many(events) == [tuple(SET.matches(e)) for e in events]


# ---- match_buffers -------------------------------------------------------------------------------


def test_match_buffers_answers_as_match_many() -> None:
    data, offsets, _ = layout(EVENTS)
    assert per_event(SET.match_buffers(data, offsets)) == SET.match_many(EVENTS)
    assert per_event(SET.match_buffers(data, array.array("q", offsets), large=True)) == SET.match_many(EVENTS)
    # Any buffer: raw bytes of the offsets, memoryviews, a bytearray for data (copied).
    assert per_event(SET.match_buffers(bytearray(data), offsets.tobytes())) == SET.match_many(EVENTS)
    assert per_event(SET.match_buffers(memoryview(data), memoryview(offsets))) == SET.match_many(EVENTS)


def test_match_buffers_answer_is_the_list_layout() -> None:
    offsets, indices = SET.match_buffers(*layout(["ERROR", "DEBUG", "x ERROR"])[:2])
    assert offsets.tolist() == [0, 2, 2, 4]
    assert indices.tolist() == [0, 2, 0, 2]
    assert bytes(offsets) == array.array("i", [0, 2, 2, 4]).tobytes()
    named = trailmatch.PatternSet({"errors": "ERROR", "quiet": "-DEBUG"})
    _, indices = named.match_buffers(*layout(["ERROR"])[:2])
    assert [(named.names or [])[i] for i in indices] == ["errors", "quiet"]


def test_match_buffers_offset_length_and_nulls() -> None:
    events = ["ERROR a", None, "DEBUG", "b ERROR", None, "zoë"]
    data, offsets, validity = layout(events)
    answers = [tuple(SET.matches(e)) if e is not None else () for e in events]
    assert per_event(SET.match_buffers(data, offsets, validity=validity)) == answers
    # A null matches nothing, not even the patterns every text matches ("-DEBUG").
    assert per_event(SET.match_buffers(data, offsets, validity=b"\x00")) == [()] * 6
    # A slice of the array: offset and length, offsets need not start at 0.
    for offset in range(7):
        for length in range(7 - offset):
            got = SET.match_buffers(data, offsets, validity=validity, offset=offset, length=length)
            assert per_event(got) == answers[offset : offset + length], (offset, length)
    assert per_event(SET.match_buffers(data, offsets, offset=4)) == [(2,), tuple(SET.matches("zoë"))]
    assert per_event(SET.match_buffers(data, offsets, validity=None)) == [
        tuple(SET.matches(e or "")) for e in events
    ]


def test_match_buffers_empty() -> None:
    assert per_event(SET.match_buffers(b"", array.array("i", [0]))) == []
    assert per_event(SET.match_buffers(b"", array.array("i", [0, 0]))) == [tuple(SET.matches(""))]
    assert per_event(SET.match_buffers(b"abc", array.array("i", [1, 2, 3]), length=0)) == []
    offsets, indices = trailmatch.PatternSet([]).match_buffers(b"ab", array.array("i", [0, 1, 2]))
    assert offsets.tolist() == [0, 0, 0] and indices.tolist() == []


@pytest.mark.parametrize(
    ("offsets", "kwargs", "error", "message"),
    [
        ([0, 3, 2], {}, ValueError, r"offsets\[2\] = 2 is less than offsets\[1\] = 3: offsets never decrease"),
        ([0, 3, 99], {}, ValueError, r"offsets\[2\] = 99 is past the end of data \(7 bytes\)"),
        ([-1, 3], {}, ValueError, r"offsets\[0\] = -1 is negative"),
        ([0, 3, 2], {"offset": 1, "length": 1}, ValueError, r"offsets\[2\] = 2 is less than offsets\[1\] = 3"),
        ([0, 3], {"length": 2}, ValueError, r"2 events from offset 0 need 3 int32 offsets; the buffer holds 2"),
        ([0, 3], {"offset": 2}, ValueError, r"2 offsets, none for the event at offset 2"),
        ([], {}, ValueError, r"0 offsets, none for the event at offset 0"),
        ([0, 3], {"offset": 2**64 - 1}, ValueError, r"2 offsets, none for the event at offset 18446744073709551615"),
        ([0, 3], {"offset": 2**64 - 1, "length": 1}, ValueError, r"1 events from offset 18446744073709551615 need 18446744073709551617"),
        ([0, 3], {"offset": -1}, OverflowError, "negative"),
    ],
)
def test_match_buffers_checks_offsets(offsets: list[int], kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        SET.match_buffers(b"ERROR x", array.array("i", offsets), **kwargs)


def test_match_buffers_checks_buffers() -> None:
    data, offsets, _ = layout(["ERROR", "x"])
    with pytest.raises(ValueError, match=r"offsets: 15 bytes are not a whole number of int32 offsets \(large=True"):
        SET.match_buffers(data, offsets.tobytes() + b"\0\0\0")
    with pytest.raises(TypeError, match=r"offsets: a C-contiguous buffer of bytes or of 32-bit signed integers is expected, not one of format 'q' \(large=True for int64 offsets\)"):
        SET.match_buffers(data, array.array("q", offsets))
    with pytest.raises(TypeError, match=r"format 'i' \(large=False for int32 offsets\)"):
        SET.match_buffers(data, offsets, large=True)
    with pytest.raises(TypeError, match="not one of format 'I'$"):
        SET.match_buffers(data, array.array("I", offsets))
    with pytest.raises(TypeError, match="data: a bytes-like object"):
        SET.match_buffers("ERROR x", offsets)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="offsets: a bytes-like object"):
        SET.match_buffers(data, [0, 5, 6])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="data: a buffer of bytes is expected, not one of format 'i'"):
        SET.match_buffers(array.array("i", [1, 2]), offsets)
    with pytest.raises(ValueError, match="data: the buffer is not C-contiguous"):
        SET.match_buffers(memoryview(b"EERRRROORR  xx")[::2], offsets)
    # Offsets of the right format in a strided view: the layout is what is wrong.
    strided = memoryview(array.array("i", [0, 9, 5, 9, 6, 9]))[::2]
    with pytest.raises(TypeError, match=r"offsets: .* not a strided view of them \(copy it first"):
        SET.match_buffers(data, strided)
    with pytest.raises(ValueError, match=r"validity: 1 bytes hold 8 bits; 3 events from offset 7 need 10"):
        SET.match_buffers(b"abcdefghij", array.array("i", range(11)), offset=7, validity=b"\xff")


def test_match_buffers_utf8_errors_name_the_event_and_its_bytes() -> None:
    data = "ok zoë".encode()
    # Offsets that cut "ë" in two: each half is not UTF-8.
    with pytest.raises(UnicodeDecodeError) as raised:
        SET.match_buffers(data, array.array("i", [0, 3, 6, 7]))
    e = raised.value
    assert (e.index, e.start, e.end, e.object) == (1, 2, 3, b"zo\xc3")  # type: ignore[attr-defined]
    assert str(e).endswith("unexpected end of data, in event 1 (bytes 3..6 of data)")
    # The event numbers count from `offset`; a null's bytes are not read.
    with pytest.raises(UnicodeDecodeError) as raised:
        SET.match_buffers(data, array.array("i", [0, 3, 6, 7]), offset=2)
    assert raised.value.index == 0 and raised.value.reason.endswith("in event 0 (bytes 6..7 of data)")  # type: ignore[attr-defined]
    assert per_event(SET.match_buffers(data, array.array("i", [0, 3, 6, 7]), validity=b"\x01")) == [(2,), (), ()]


def test_match_buffers_large_batches_copied_or_not() -> None:
    events = [f"{['ERROR', 'DEBUG', 'x'][i % 3]} {i} " + "é" * (i % 700) for i in range(30_000)]
    expected = SET.match_many(events)
    data, offsets, _ = layout(events)
    assert len(data) > 4 << 20  # more than one group of copied bytes
    assert per_event(SET.match_buffers(data, offsets)) == expected
    assert per_event(SET.match_buffers(memoryview(bytearray(data)), offsets)) == expected
    big, big_offsets, _ = layout(["ERROR " + "x" * (2 << 20), "DEBUG", "y" * (1 << 20)])
    assert per_event(SET.match_buffers(bytearray(big), big_offsets)) == [(0, 2), (), (2,)]


# ---- agreement on the conformance events ---------------------------------------------------------


def test_columnar_calls_agree_with_match_many_on_the_conformance_events() -> None:
    cases = [c for c in load_tables("case") if "error" not in c and "dialect" not in c]
    patterns = sorted({c["pattern"] for c in cases})
    events: list[str] = sorted({c["event"] for c in cases})
    s = trailmatch.PatternSet(patterns)
    expected = s.match_many(events)
    assert sum(map(len, expected)) > 300
    assert s.match_many([e.encode() for e in events]) == expected
    data, offsets, _ = layout(events)
    assert per_event(s.match_buffers(data, offsets)) == expected
    assert per_event(s.match_buffers(bytearray(data), array.array("q", offsets), large=True)) == expected
    try:
        import pyarrow
    except ImportError:
        return
    assert [tuple(x) for x in s.match_arrow(pyarrow.array(events)).to_pylist()] == expected


# ---- match_arrow ---------------------------------------------------------------------------------


def test_match_arrow_string_types() -> None:
    pa = pytest.importorskip("pyarrow")
    events = ["ERROR a", None, "DEBUG", "zoë ERROR", ""]
    expected = [SET.matches(e) if e is not None else [] for e in events]
    for kind in [pa.string(), pa.large_string(), pa.binary(), pa.large_binary()]:
        arr = pa.array(events, type=kind)
        got = SET.match_arrow(arr)
        assert got.type == pa.list_(pa.int32())
        assert got.to_pylist() == expected, kind
        assert SET.match_arrow(arr.slice(1, 3)).to_pylist() == expected[1:4]
    chunked = pa.chunked_array([pa.array(events), pa.array(["x"]), pa.array([], pa.string())])
    result = SET.match_arrow(chunked)
    assert isinstance(result, pa.ChunkedArray) and result.num_chunks == 3
    assert result.to_pylist() == expected + [SET.matches("x")]
    assert SET.match_arrow(pa.chunked_array([], pa.string())).to_pylist() == []
    assert SET.match_arrow(pa.array([], pa.string())).to_pylist() == []
    assert SET.match_arrow(pa.array([None, None], pa.string())).to_pylist() == [[], []]


def test_match_arrow_names() -> None:
    pa = pytest.importorskip("pyarrow")
    pc = pytest.importorskip("pyarrow.compute")
    rules = trailmatch.PatternSet({"errors": "ERROR", "quiet": "-DEBUG"})
    got = rules.match_arrow(pa.array(["ERROR x", "DEBUG", None]))
    assert got.type == pa.list_(pa.string())
    assert got.to_pylist() == [["errors", "quiet"], [], []]
    # What a Spark mapInArrow function does with it: the matching records, with their rules.
    batch = pa.record_batch({"raw": ["ERROR x", "DEBUG", "fine"], "n": [1, 2, 3]})
    rules_column = rules.match_arrow(batch.column("raw"))
    matched = batch.append_column("rules", rules_column).filter(pc.greater(pc.list_value_length(rules_column), 0))
    assert matched.to_pydict() == {"raw": ["ERROR x", "fine"], "n": [1, 3], "rules": [["errors", "quiet"], ["quiet"]]}


def test_match_arrow_errors() -> None:
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(TypeError, match="not int64"):
        SET.match_arrow(pa.array([1, 2]))
    with pytest.raises(TypeError, match=r"not string_view \(cast it first"):
        SET.match_arrow(pa.array(["x"], type=pa.string_view()))
    with pytest.raises(UnicodeDecodeError) as raised:
        SET.match_arrow(pa.chunked_array([pa.array([b"ok"]), pa.array([b"fine", b"\xff"])]))
    assert raised.value.index == 2  # type: ignore[attr-defined]
    # What is no pyarrow array at all is a TypeError too, not a missing attribute.
    with pytest.raises(TypeError, match="match_arrow takes a pyarrow array .* not list"):
        SET.match_arrow(["x"])


def test_match_arrow_large_batch() -> None:
    pa = pytest.importorskip("pyarrow")
    events = [f"{['ERROR', 'DEBUG', 'x'][i % 3]} {i}" for i in range(100_000)]
    assert [tuple(x) for x in SET.match_arrow(pa.array(events)).to_pylist()] == SET.match_many(events)
