"""EventBridge event patterns from Python: EventPattern and test_event_pattern (boto3's shapes)."""

from __future__ import annotations

import json

import pytest

import trailmatch

EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.iam",
    "account": "111122223333",
    "time": "2024-03-01T12:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventName": "DeleteRolePolicy", "errorCode": "AccessDenied", "sourceIPAddress": "10.1.2.3"},
}


def test_event_pattern_matches_str_bytes_and_dicts() -> None:
    pattern = trailmatch.EventPattern(
        '{"source": ["aws.iam"], "detail": {"errorCode": [{"prefix": "AccessDenied"}],'
        ' "sourceIPAddress": [{"cidr": "10.0.0.0/8"}]}}'
    )
    text = json.dumps(EVENT)
    assert pattern.matches(EVENT)
    assert pattern.matches(text)
    assert pattern.matches(text.encode())
    assert not pattern.matches({**EVENT, "source": "aws.s3"})
    assert pattern.rule_count == 1
    assert str(pattern) == pattern.pattern
    assert repr(pattern).startswith("EventPattern(")
    # repr is Python that gives the pattern back, whatever its text holds.
    for text in [pattern.pattern, '{"a": ["e\u0301", "\\"quoted\\"", "\u00e9\\n"]}']:
        again = eval(repr(trailmatch.EventPattern(text)), {"EventPattern": trailmatch.EventPattern})
        assert again.pattern == text


def test_or_expands_to_rules() -> None:
    pattern = trailmatch.EventPattern('{"$or": [{"source": ["aws.s3"]}, {"detail": {"eventName": [{"wildcard": "Delete*Policy"}]}}]}')
    assert pattern.rule_count == 2
    assert pattern.matches(EVENT)


def test_test_event_pattern_answers_as_boto3() -> None:
    yes = trailmatch.test_event_pattern(EventPattern='{"source": ["aws.iam"]}', Event=json.dumps(EVENT))
    assert yes == {"Result": True}
    no = trailmatch.test_event_pattern(EventPattern='{"source": [{"anything-but": "aws.iam"}]}', Event=EVENT)
    assert no == {"Result": False}


def test_invalid_patterns_raise_pattern_error_with_eventbridge_s_message() -> None:
    with pytest.raises(trailmatch.PatternError) as caught:
        trailmatch.EventPattern('{"source": "aws.iam"}')
    error = caught.value
    assert error.message.startswith("Event pattern is not valid.")
    assert error.code.startswith("event-pattern-")
    assert error.origin == "EventPattern"
    assert error.text[error.start : error.end] == '"aws.iam"'
    assert "^" in str(error)


def test_events_missing_required_fields_are_refused() -> None:
    event = {k: v for k, v in EVENT.items() if k != "time"}
    with pytest.raises(trailmatch.PatternError) as caught:
        trailmatch.test_event_pattern(EventPattern='{"source": ["aws.iam"]}', Event=event)
    assert caught.value.message == "Parameter Event is not valid."
    assert caught.value.origin == "Event"
    with pytest.raises(TypeError):
        trailmatch.test_event_pattern(EventPattern='{"source": ["aws.iam"]}', Event=42)  # type: ignore[arg-type]
