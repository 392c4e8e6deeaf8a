"""Amazon CloudWatch Logs filter patterns, outside AWS.

trailmatch parses the whole filter-pattern language (terms, ``%regex%``, JSON ``{ }`` and
space-delimited ``[ ]`` patterns) with AWS's rules, matches events with AWS's semantics and
answers ``TestMetricFilter`` as the AWS API does::

    >>> import trailmatch
    >>> p = trailmatch.Pattern('{ $.errorCode = "AccessDenied*" }')
    >>> p.matches({"errorCode": "AccessDenied"})
    True

Events are ``str``, ``bytes`` (UTF-8) or ``dict`` (serialised once as compact JSON).
``trailmatch.moto.patch()`` makes moto's CloudWatch Logs mock use trailmatch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

from trailmatch import _trailmatch
from trailmatch._trailmatch import MetricFilter, Pattern, PatternError, PatternSet, __version__

__all__ = [
    "DialectOptions",
    "Event",
    "MetricFilter",
    "Pattern",
    "PatternError",
    "PatternKind",
    "PatternSet",
    "__version__",
    "test_metric_filter",
]

#: What the matching methods accept as an event: text, UTF-8 bytes, or a JSON object.
Event = Union[str, bytes, Dict[str, Any]]

#: ``Pattern.kind``: which language a pattern is written in.
PatternKind = Union[
    Literal["match-all"], Literal["terms"], Literal["regex"], Literal["json"], Literal["delimited"]
]


class DialectOptions(TypedDict, total=False):
    """The switches of ``trailmatch::Dialect`` (SYNTAX.md): where AWS's documentation is silent or
    contradicts itself. Leave them out for the recommended defaults."""

    absorb_trailing_fields: bool
    numeric_string_coercion: bool
    event_number_base: int
    quoted_space_matches_all: bool
    split_hyphenated_terms: bool


def test_metric_filter(
    *,
    filterPattern: str,
    logEventMessages: Iterable[Event],
    dialect: Optional[DialectOptions] = None,
) -> Dict[str, List[Dict[str, Any]]]:
    """Answers a ``TestMetricFilter`` request as AWS does, with boto3's response shape::

        {"matches": [{"eventNumber": 1, "eventMessage": "...", "extractedValues": {...}}]}

    Raises PatternError for an invalid pattern, or for no, more than 50 or empty messages.
    """
    return _trailmatch.test_metric_filter(
        filterPattern=filterPattern, logEventMessages=logEventMessages, dialect=dialect
    )


# pytest collects functions named test_* from test modules that import them; this is not a test.
test_metric_filter.__test__ = False  # type: ignore[attr-defined]
