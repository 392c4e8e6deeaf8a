"""Amazon CloudWatch Logs filter patterns, outside AWS.

trailmatch parses the whole filter-pattern language (terms, ``%regex%``, JSON ``{ }`` and
space-delimited ``[ ]`` patterns) with AWS's rules, matches events with AWS's semantics and
answers ``TestMetricFilter`` as the AWS API does (and ``EventPattern`` / ``test_event_pattern`` do
the same for EventBridge event patterns)::

    >>> import trailmatch
    >>> p = trailmatch.Pattern('{ $.errorCode = "AccessDenied*" }')
    >>> p.matches({"errorCode": "AccessDenied"})
    True

Events are ``str``, UTF-8 ``bytes`` (or ``bytearray``, ``memoryview``, any buffer of bytes) or
``dict`` (serialised once as compact JSON). ``PatternSet.match_buffers`` and
``PatternSet.match_arrow`` match a whole Arrow string array without making a Python object per
event.
``trailmatch.moto.patch()`` makes moto's CloudWatch Logs mock use trailmatch.

``scan`` runs CloudTrail logs through metric filters, CloudWatch alarms and Insights-style anomaly
detection (``trailmatch scan``); ``lint`` and ``cis_check`` check the metric filters kept in
CloudFormation, Terraform and rules files (``trailmatch lint``, ``trailmatch cis-check``).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Tuple, TypedDict, Union

from trailmatch import _trailmatch
from trailmatch._trailmatch import (
    EventPattern,
    MetricFilter,
    Pattern,
    PatternError,
    PatternSet,
    RulesError,
    __version__,
)

__all__ = [
    "DialectOptions",
    "Event",
    "EventPattern",
    "MetricFilter",
    "Pattern",
    "PatternError",
    "PatternKind",
    "PatternSet",
    "RulesError",
    "__version__",
    "cis_check",
    "lint",
    "scan",
    "test_event_pattern",
    "test_metric_filter",
]

#: A file or directory.
Path = Union[str, "os.PathLike[str]"]

#: What the matching methods accept as an event: text (read in place, in its UTF-8 form), UTF-8
#: bytes (``bytes`` are borrowed; ``bytearray``, ``memoryview`` and any other buffer of bytes are
#: copied once), or a JSON object.
if TYPE_CHECKING:
    from typing_extensions import Buffer

    Event = Union[str, Buffer, Dict[str, Any]]
else:
    Event = Union[str, bytes, bytearray, memoryview, Dict[str, Any]]

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
    ne_number_matches_text: bool
    allow_blanks_around_brackets: bool


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


def test_event_pattern(*, EventPattern: str, Event: Union[str, Dict[str, Any]]) -> Dict[str, bool]:
    """Answers a ``TestEventPattern`` request as EventBridge does, with boto3's response shape
    ``{"Result": True}``. ``Event`` is JSON text or a dict; as the API, it must have ``id``,
    ``account``, ``source``, ``time``, ``region`` and ``detail-type``.

    Raises PatternError for an invalid pattern (``origin`` 'EventPattern') or event (``origin``
    'Event').
    """
    return _trailmatch.test_event_pattern(EventPattern=EventPattern, Event=Event)


# pytest collects functions named test_* from test modules that import them; these are not tests.
test_metric_filter.__test__ = False  # type: ignore[attr-defined]
test_event_pattern.__test__ = False  # type: ignore[attr-defined]


def scan(
    paths: Sequence[Path],
    *,
    rules: Union[Path, Sequence[Path]] = ("cis",),
    insights: bool = True,
    account_id: Optional[str] = None,
    region: Optional[str] = None,
    accounts: Optional[Sequence[str]] = None,
    regions: Optional[Sequence[str]] = None,
    start: Union[str, datetime, None] = None,
    end: Union[str, datetime, None] = None,
    stats: Optional[Dict[str, int]] = None,
) -> Dict[str, Any]:
    """Runs CloudTrail logs through metric filters, alarms and anomaly detection, as
    ``trailmatch scan --format json`` does, and returns that report as a dict: ``records``
    (``read``, ``matched``, ``unmatched``, ``filtered``, ``skipped``, ``untimed``), ``skipped``
    (by code, with examples), ``range``, ``rules`` (``name``, ``pattern``, ``matches``,
    ``metric``), ``alarms`` (``name``, ``metric``, ``state``, ``transitions`` and, here, the SNS
    ``notifications`` CloudWatch would have published, as dicts, and ``undeliverable``: those
    that cannot be published because their topic ARN is not valid, e.g. the CIS pack's
    ``${AWS::AccountId}`` with no account known, as dicts with ``topic``, ``time``, ``code``
    (``"invalid-topic-arn"``) and ``reason``) and ``anomalies`` (CloudTrail Insights records).

    ``paths`` are log files or directories (S3 log files, CloudWatch Logs subscription payloads
    and exports, JSON Lines; gzip and base64 recognised); ``"-"`` (standard input, for the
    command line) raises ValueError. ``rules`` (one, or a list) are ``"cis"`` (the built-in
    CIS AWS Foundations monitoring controls), ``"cis-eventbridge"`` (the same controls as
    EventBridge rules), rules files, EventBridge rules files, CloudFormation templates, Terraform
    files or directories of them; what their readers cannot resolve is reported with
    ``warnings.warn``. Raises RulesError for rules that cannot be used. With EventBridge rules,
    ``event_rules`` holds ``not_wrapped`` and ``rules`` (``name``, ``state``, ``event_pattern``,
    ``matches``, ``not_delivered`` by reason, and ``events``: the first 100 matches with what
    each target receives).

    With ``accounts``, ``regions``, ``start`` or ``end`` (as ``trailmatch scan --accounts`` …
    and :func:`trailmatch.spark.scan` take them), only the files whose place in CloudTrail's S3
    layout, ``AWSLogs/[o-…/]<account>/CloudTrail/<region>/YYYY/MM/DD/``, is selected are read
    (the day after ``end``'s day too: a file holds records of up to about 15 minutes before its
    delivery), and records whose ``eventTime`` (or an export line's delivery time) is outside
    ``[start, end)``, or that have no time, are counted as ``filtered``; ``start`` and ``end``
    are ISO 8601 texts or datetimes (UTC when naive). Files outside the layout (a CloudWatch
    Logs export) are read under ``start`` and ``end`` alone, and left out under ``accounts`` or
    ``regions``, which their paths cannot show. Directories whose place in the layout is out of
    the selection (an account, a Region, a year, a month or a day; an account's directories but
    ``CloudTrail``) are not entered. ``stats``, when given, is filled with ``left_out`` (the
    files not read), ``outside_layout`` (those of them outside the layout) and
    ``dirs_left_out`` (the directories not entered).
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("paths must be a list of paths, not a single path")
    if stats is not None and not isinstance(stats, dict):
        raise TypeError(f"stats must be a dict (filled with the counts), not {type(stats).__name__}")
    # One rules name or path alone, as trailmatch.spark takes it, is not a list of its letters.
    specs = [rules] if isinstance(rules, (str, os.PathLike)) else list(rules)
    selection = None
    if accounts or regions or start is not None or end is not None:
        for name, value in (("accounts", accounts), ("regions", regions)):
            if isinstance(value, (str, bytes)):
                raise TypeError(f"{name} must be a list, not a single string")
        selection = (list(accounts or []), list(regions or []), _millis(start, "start"), _millis(end, "end"))
    report_json, problems, notifications = _trailmatch._scan(
        [os.fspath(p) for p in paths],
        [os.fspath(r) for r in specs],
        insights,
        account_id,
        region,
        selection,
        stats,
    )
    for problem in problems:
        warnings.warn(problem, stacklevel=2)
    return _with_notifications(report_json, notifications)


def _millis(value: Union[str, datetime, None], what: str) -> Optional[int]:
    """An ISO 8601 text or a datetime (UTC when naive) as ms since the epoch."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as e:
            raise ValueError(f"{what}: `{value}` is not an ISO 8601 time ({e})") from None
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be an ISO 8601 text or a datetime, not {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)


def _with_notifications(
    report_json: str, notifications: List[Tuple[str, List[str], List[str]]]
) -> Dict[str, Any]:
    """The report with each alarm's SNS notifications and undeliverable ones parsed into it."""
    report: Dict[str, Any] = json.loads(report_json)
    for alarm, (name, messages, errors) in zip(report["alarms"], notifications):
        assert alarm["name"] == name
        alarm["notifications"] = [json.loads(m) for m in messages]
        alarm["undeliverable"] = [json.loads(e) for e in errors]
    return report


def lint(paths: Sequence[Path]) -> List[Dict[str, Any]]:
    """Checks the metric filters of CloudFormation templates, Terraform files, rules files and
    pattern files (directories are walked), as ``trailmatch lint`` does: one dict per finding,
    with ``file``, ``line``, ``column``, ``severity`` (``"error"`` or ``"warning"``), ``code``,
    ``message``, ``filter`` and ``help``."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("paths must be a list of paths, not a single path")
    found: List[Dict[str, Any]] = json.loads(_trailmatch._lint([os.fspath(p) for p in paths]))
    return found


def cis_check(paths: Sequence[Path]) -> List[Dict[str, Any]]:
    """Which CIS AWS Foundations monitoring controls the alarmed metric filters under ``paths``
    cover, decided on the patterns' logic, as ``trailmatch cis-check`` does: one dict per control
    with ``id``, ``title``, ``status`` (``"covered"``, ``"not-covered"`` or ``"undecided"``),
    ``filters``, ``counterexample`` (an event, or None) and ``reason``."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("paths must be a list of paths, not a single path")
    controls: List[Dict[str, Any]] = json.loads(
        _trailmatch._cis_check([os.fspath(p) for p in paths])
    )
    return controls
