"""The shared conformance files (tests/cases/*.toml), run through the Python API.

Each ``[[case]]`` runs through ``Pattern`` (str and bytes events), a one-pattern ``PatternSet``
(``match_many`` and ``match_buffers``, with a null after the event) and the canonical form; each error case checks the code, the span (converted from bytes to str
indices) and the rendering. ``[[metric_case]]`` runs through ``MetricFilter`` and
``[[test_metric_filter]]`` through ``trailmatch.test_metric_filter``. Cases with a ``dialect``
pass it as the ``dialect=`` keyword, so none is skipped. ``[[event_case]]`` runs through
``EventPattern`` (str and bytes events) and ``[[test_event_pattern]]`` through
``trailmatch.test_event_pattern``.
"""

from __future__ import annotations

import array
import json
from typing import Any

import pytest

import trailmatch
from conftest import load_tables, str_index

CASES = load_tables("case")
METRIC_CASES = load_tables("metric_case")
TMF_CASES = load_tables("test_metric_filter")
EVENT_CASES = load_tables("event_case")
TEP_CASES = load_tables("test_event_pattern")


def test_the_case_files_are_there() -> None:
    # Guards against a run that silently parametrizes nothing.
    assert len(CASES) > 300
    assert METRIC_CASES and TMF_CASES
    assert len(EVENT_CASES) > 200 and TEP_CASES
    names = [c["name"] for c in CASES + METRIC_CASES + TMF_CASES + EVENT_CASES + TEP_CASES]
    assert len(names) == len(set(names))


def check_error(error: trailmatch.PatternError, case: dict[str, Any], text: str) -> None:
    assert error.code == case["error"]
    assert error.text == text
    assert error.origin == case.get("origin", "filterPattern")
    if "span" in case:
        start, end = case["span"]
        assert (error.start, error.end) == (str_index(text, start), str_index(text, end))
    if "rendered" in case:
        assert str(error) == case["rendered"].removesuffix("\n")
    head = str(error).split("\n", 1)[0]
    assert error.message
    if error.code == "pattern-too-long":
        # The message repeats the whole pattern, as AWS's does; the rendering cuts it with '…'.
        # Line breaks of the value are shown as spaces.
        message = error.message.replace("\n", " ")
        before, cut, after = head.removeprefix(f"error[{error.code}]: ").partition("…")
        assert cut and message.startswith(before) and message.endswith(after)
        assert len(error.message) > len(head)
    else:
        assert head == f"error[{error.code}]: {error.message}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    pattern, dialect = case["pattern"], case.get("dialect")
    if "error" in case:
        with pytest.raises(trailmatch.PatternError) as raised:
            trailmatch.Pattern(pattern, dialect=dialect)
        check_error(raised.value, case, pattern)
        assert raised.value.index is None
        with pytest.raises(trailmatch.PatternError) as in_set:
            trailmatch.PatternSet([pattern], dialect=dialect)
        assert in_set.value.index == 0 and in_set.value.name is None
        assert in_set.value.code == case["error"]
        assert (in_set.value.start, in_set.value.end) == (raised.value.start, raised.value.end)
        assert str(in_set.value) == f"pattern 0 of the set:\n{raised.value}"
        return

    event, matches = case["event"], case["matches"]
    compiled = trailmatch.Pattern(pattern, dialect=dialect)
    got = compiled.test(event)
    assert (got is not None) == matches
    if matches and "extracted" in case:
        assert got == case["extracted"]
    assert compiled.matches(event) == matches
    assert compiled.matches(event.encode("utf-8")) == matches
    assert compiled.test(event.encode("utf-8")) == got

    one = trailmatch.PatternSet([pattern], dialect=dialect)
    assert one.matches(event) == ([0] if matches else [])
    assert one.test(event) == ({0: got} if got is not None else {})
    assert one.match_many([event, event.encode("utf-8")]) == [tuple(one.matches(event))] * 2
    data = event.encode("utf-8")
    offsets, indices = one.match_buffers(data, array.array("i", [0, len(data), len(data)]), validity=b"\x01")
    assert (offsets.tolist(), indices.tolist()) == (([0, 1, 1], [0]) if matches else ([0, 0, 0], []))
    named = trailmatch.PatternSet({"p": pattern}, dialect=dialect)
    assert named.matches(event) == (["p"] if matches else [])

    canonical = str(compiled)
    again = trailmatch.Pattern(canonical, dialect=dialect)
    assert str(again) == canonical
    assert again == compiled and hash(again) == hash(compiled)
    assert again.test(event) == got


@pytest.mark.parametrize("case", METRIC_CASES, ids=[c["name"] for c in METRIC_CASES])
def test_metric_case(case: dict[str, Any]) -> None:
    pattern = trailmatch.Pattern(case["pattern"], dialect=case.get("dialect"))
    transformation = case["transformations"] if "transformations" in case else case["transformation"]
    if "error" in case:
        with pytest.raises(trailmatch.PatternError) as raised:
            trailmatch.MetricFilter(pattern, transformation)
        check_error(raised.value, case, raised.value.text)
        return
    metric_filter = trailmatch.MetricFilter(pattern, transformation)
    assert metric_filter.pattern == pattern
    if "event" not in case:
        return
    datum = metric_filter.apply(case["event"])
    if "value" not in case:
        assert datum is None
        return
    assert datum is not None
    assert datum["value"] == case["value"]
    if "dimensions" in case:
        assert datum["dimensions"] == case["dimensions"]


@pytest.mark.parametrize("case", TMF_CASES, ids=[c["name"] for c in TMF_CASES])
def test_test_metric_filter_case(case: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        "filterPattern": case["pattern"],
        "logEventMessages": case["messages"],
        "dialect": case.get("dialect"),
    }
    if "error" in case:
        with pytest.raises(trailmatch.PatternError) as raised:
            trailmatch.test_metric_filter(**kwargs)
        check_error(raised.value, case, raised.value.text)
        return
    answer = trailmatch.test_metric_filter(**kwargs)
    assert answer == json.loads(case["response"])
    # Compared as text too: the keys come in AWS's order.
    assert json.dumps(answer, separators=(",", ":"), ensure_ascii=False) == case["response"]


@pytest.mark.parametrize("case", EVENT_CASES, ids=[c["name"] for c in EVENT_CASES])
def test_event_case(case: dict[str, Any]) -> None:
    pattern = case["pattern"]
    if "error" in case:
        with pytest.raises(trailmatch.PatternError) as raised:
            trailmatch.EventPattern(pattern)
        check_error(raised.value, {"origin": "EventPattern", **case}, pattern)
        return
    compiled = trailmatch.EventPattern(pattern)
    event, matches = case["event"], case["matches"]
    assert compiled.matches(event) is matches
    assert compiled.matches(event.encode("utf-8")) is matches


@pytest.mark.parametrize("case", TEP_CASES, ids=[c["name"] for c in TEP_CASES])
def test_test_event_pattern_case(case: dict[str, Any]) -> None:
    kwargs = {"EventPattern": case["pattern"], "Event": case["event"]}
    if "error" in case:
        with pytest.raises(trailmatch.PatternError) as raised:
            trailmatch.test_event_pattern(**kwargs)
        check_error(raised.value, case, raised.value.text)
        return
    answer = trailmatch.test_event_pattern(**kwargs)
    assert json.dumps(answer, separators=(",", ":")) == case["response"]
