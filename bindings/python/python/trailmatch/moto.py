"""moto's CloudWatch Logs and EventBridge mocks, answering with trailmatch.

moto (https://github.com/getmoto/moto) matches every event for any filter pattern it does not
understand (JSON, space-delimited, ``?``, ``-`` and regex patterns) and has no ``TestMetricFilter``.
After :func:`patch`, its logs backend uses trailmatch for:

* ``FilterLogEvents`` (and live tail): only the events that match, as AWS answers; an invalid
  pattern raises ``InvalidParameterException``;
* ``TestMetricFilter``: AWS's answer, with ``extractedValues``;
* ``PutMetricFilter``: the pattern and the metric transformation are validated as AWS validates
  them (``InvalidParameterException`` with AWS's message);
* ``PutSubscriptionFilter``: the pattern is validated, and ``PutLogEvents`` delivers to each
  subscription's destination only the events its pattern matches (nothing when none does).

and its EventBridge mock uses it for event patterns:

* ``TestEventPattern`` (moto has none): EventBridge's ``{"Result": ...}``, and
  ``InvalidEventPatternException`` with EventBridge's reason for an invalid pattern or event;
* ``PutRule``: the pattern is validated as EventBridge validates it;
* ``PutEvents``: each rule's targets get the events its pattern matches with EventBridge's
  semantics (moto's own matcher knows part of the language).

Use it around ``mock_aws``::

    import trailmatch.moto
    from moto import mock_aws

    with trailmatch.moto.patch(), mock_aws():
        ...

or call ``trailmatch.moto.patch()`` once (``unpatch()`` undoes it), or use the ``trailmatch_moto``
pytest fixture, which this package registers as a pytest plugin. moto is imported only when
:func:`patch` runs; ``pip install "trailmatch[moto]"`` brings it.
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
from types import TracebackType
from typing import Any, Callable, Optional, Type

import trailmatch

__all__ = ["Patch", "is_patched", "patch", "unpatch"]

_lock = threading.RLock()
_depth = 0
_MISSING = object()
# (owner, attribute, what it was before: the original attribute or _MISSING)
_saved: list[tuple[Any, str, Any]] = []


_compiled: dict[str, trailmatch.Pattern] = {}


def _compile(pattern: str) -> trailmatch.Pattern:
    """trailmatch.Pattern(pattern), from a small cache (moto builds a filter per event)."""
    compiled = _compiled.get(pattern)
    if compiled is None:
        if len(_compiled) >= 1024:
            _compiled.clear()
        compiled = _compiled[pattern] = trailmatch.Pattern(pattern)
    return compiled


def _invalid_parameter(error: trailmatch.PatternError) -> Exception:
    from moto.logs.exceptions import InvalidParameterException

    return InvalidParameterException(msg=error.message)


def _pattern(text: Optional[str]) -> trailmatch.Pattern:
    """The compiled pattern (no pattern: match everything), or moto's InvalidParameterException."""
    try:
        return _compile(text or "")
    except trailmatch.PatternError as e:
        raise _invalid_parameter(e) from e


class _EventMessageFilter:
    """Stands in for ``moto.logs.utils.EventMessageFilter``."""

    def __init__(self, pattern: Optional[str]):
        self._pattern = _pattern(pattern)

    def matches(self, message: str) -> bool:
        return self._pattern.matches(message)


def _wrap_filter_log_events(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def filter_log_events(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(original).bind(self, *args, **kwargs)
        _pattern(bound.arguments.get("filter_pattern"))
        return original(self, *args, **kwargs)

    return filter_log_events


def _wrap_put_metric_filter(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_metric_filter(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(original).bind(self, *args, **kwargs)
        pattern = _pattern(bound.arguments.get("filter_pattern"))
        transformations: Any = bound.arguments.get("metric_transformations")
        try:
            trailmatch.MetricFilter(pattern, transformations)
        except trailmatch.PatternError as e:
            raise _invalid_parameter(e) from e
        return original(self, *args, **kwargs)

    return put_metric_filter


def _wrap_put_subscription_filter(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_subscription_filter(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(original).bind(self, *args, **kwargs)
        _pattern(bound.arguments.get("filter_pattern"))
        return original(self, *args, **kwargs)

    return put_subscription_filter


def _wrap_send_log_events(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def _send_log_events(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(original).bind(self, *args, **kwargs)
        subscription = self.log_group.subscription_filters.get(bound.arguments["filter_name"])
        if subscription is not None:
            pattern = _pattern(subscription.filter_pattern)
            events = [e for e in bound.arguments["log_events"] if pattern.matches(e["message"])]
            if not events:
                return None
            bound.arguments["log_events"] = events
        return original(*bound.args, **bound.kwargs)

    return _send_log_events


def _backend_test_metric_filter(
    self: Any, filter_pattern: str, log_event_messages: list[str]
) -> dict[str, Any]:
    try:
        return trailmatch.test_metric_filter(
            filterPattern=filter_pattern, logEventMessages=log_event_messages
        )
    except trailmatch.PatternError as e:
        raise _invalid_parameter(e) from e


def _response_test_metric_filter(self: Any) -> str:
    answer = self.logs_backend.test_metric_filter(
        self._get_param("filterPattern"), self._get_param("logEventMessages")
    )
    return json.dumps(answer)


# ---- EventBridge ---------------------------------------------------------------------------------

_event_patterns: dict[str, trailmatch.EventPattern] = {}


def _event_pattern(text: str) -> trailmatch.EventPattern:
    """trailmatch.EventPattern(text), from a small cache, or moto's InvalidEventPatternException
    with EventBridge's reason."""
    compiled = _event_patterns.get(text)
    if compiled is None:
        try:
            compiled = trailmatch.EventPattern(text)
        except trailmatch.PatternError as e:
            raise _invalid_event_pattern(e) from e
        if len(_event_patterns) >= 1024:
            _event_patterns.clear()
        _event_patterns[text] = compiled
    return compiled


def _invalid_event_pattern(error: trailmatch.PatternError) -> Exception:
    from moto.core.exceptions import JsonRESTError
    from moto.events.exceptions import InvalidEventPatternException

    prefix = "Event pattern is not valid. Reason: "
    if error.message.startswith(prefix):
        return InvalidEventPatternException(reason=error.message[len(prefix) :])
    # The event of a TestEventPattern request ("Parameter Event is not valid.").
    return JsonRESTError("InvalidEventPatternException", error.message)


def _wrap_matches_event(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def matches_event(self: Any, event: Any) -> bool:
        raw = getattr(self, "_raw_pattern", None)
        if not raw:
            return bool(original(self, event))
        return _event_pattern(raw).matches(event)

    return matches_event


def _wrap_parse(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def parse(self: Any) -> Any:
        if self.pattern:
            _event_pattern(self.pattern)
        return original(self)

    return parse


def _response_test_event_pattern(self: Any) -> str:
    pattern = self._get_param("EventPattern")
    event = self._get_param("Event")
    try:
        answer = trailmatch.test_event_pattern(EventPattern=pattern, Event=event)
    except trailmatch.PatternError as e:
        raise _invalid_event_pattern(e) from e
    return json.dumps(answer)


def _event_seams() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    from moto.events import models, responses

    for owner, name in [
        (models.EventPattern, "matches_event"),
        (models.EventPatternParser, "parse"),
        (responses.EventsHandler, "test_event_pattern"),
    ]:
        if getattr(owner, name, None) is None:
            raise RuntimeError(
                f"trailmatch.moto does not know this moto version: {owner.__name__}.{name} is gone"
            )
    return [
        (models.EventPattern, "matches_event", _wrap_matches_event),
        (models.EventPatternParser, "parse", _wrap_parse),
        (responses.EventsHandler, "test_event_pattern", lambda _: _response_test_event_pattern),
    ]


def _seams() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    """(owner, attribute, how to make the replacement from the current attribute)."""
    try:
        from moto.logs import models, responses
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            'trailmatch.moto needs moto: pip install "trailmatch[moto]" (or moto[logs])'
        ) from e

    needs = {
        (models.LogsBackend, "filter_log_events"): {"filter_pattern"},
        (models.LogsBackend, "put_metric_filter"): {"filter_pattern", "metric_transformations"},
        (models.LogsBackend, "put_subscription_filter"): {"filter_pattern"},
        (models.LogStream, "_send_log_events"): {"filter_name", "log_events"},
    }
    for (owner, name), params in needs.items():
        method = getattr(owner, name, None)
        found = set(inspect.signature(method).parameters) if method is not None else set()
        if not params <= found:
            raise RuntimeError(
                f"trailmatch.moto does not know this moto version: "
                f"{owner.__name__}.{name} has no parameters {sorted(params - found)}"
            )
    if not hasattr(models, "EventMessageFilter"):
        raise RuntimeError(
            "trailmatch.moto does not know this moto version: "
            "moto.logs.models.EventMessageFilter is gone"
        )
    return [
        (models, "EventMessageFilter", lambda _: _EventMessageFilter),
        (models.LogsBackend, "filter_log_events", _wrap_filter_log_events),
        (models.LogsBackend, "put_metric_filter", _wrap_put_metric_filter),
        (models.LogsBackend, "put_subscription_filter", _wrap_put_subscription_filter),
        (models.LogStream, "_send_log_events", _wrap_send_log_events),
        (models.LogsBackend, "test_metric_filter", lambda _: _backend_test_metric_filter),
        (responses.LogsResponse, "test_metric_filter", lambda _: _response_test_metric_filter),
        *_event_seams(),
    ]


def _apply() -> None:
    seams = _seams()  # checks every seam before changing anything
    for owner, name, replacement in seams:
        before = vars(owner).get(name, _MISSING)
        _saved.append((owner, name, before))
        setattr(owner, name, replacement(getattr(owner, name, None)))


def _restore() -> None:
    while _saved:
        owner, name, before = _saved.pop()
        if before is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, before)


class Patch:
    """What :func:`patch` returns: use it as a context manager to undo the patch on exit."""

    def __init__(self) -> None:
        self._active = True

    def __enter__(self) -> Patch:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Releases this patch; moto is restored when no other patch is active."""
        global _depth
        with _lock:
            if not self._active:
                return
            self._active = False
            if _depth > 0:
                _depth -= 1
                if _depth == 0:
                    _restore()


def patch() -> Patch:
    """Makes moto's CloudWatch Logs mock use trailmatch (see the module's documentation).

    Patches nest: moto is restored when every :class:`Patch` is closed, or by :func:`unpatch`.
    Raises ImportError without moto, and RuntimeError for a moto whose logs backend trailmatch
    does not know (then nothing is changed).
    """
    global _depth
    with _lock:
        if _depth == 0:
            _apply()
        _depth += 1
    return Patch()


def unpatch() -> None:
    """Restores moto, whatever patches are active."""
    global _depth
    with _lock:
        _depth = 0
        _restore()


def is_patched() -> bool:
    """True while moto's logs backend uses trailmatch."""
    return _depth > 0
