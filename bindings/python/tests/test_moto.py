"""trailmatch.moto end to end: boto3 against moto's mock_aws, with and without the patch."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import trailmatch
import trailmatch.moto

GROUP, STREAM = "/aws/cloudtrail", "trail"

RECORDS = [
    {"eventName": "ConsoleLogin", "errorCode": "AccessDenied", "sourceIPAddress": "203.0.113.7"},
    {"eventName": "GetObject", "userIdentity": {"type": "IAMUser"}},
    {"eventName": "RunInstances", "errorCode": "Client.UnauthorizedOperation"},
    {"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Success"}},
]
LINES = ["ERROR disk full", "WARN disk almost full", "INFO all good", "DEBUG tick"]
CIS_UNAUTHORIZED = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
ONE = {"metricName": "M", "metricNamespace": "CIS", "metricValue": "1"}


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        client.create_log_group(logGroupName=GROUP)
        client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        put(client, GROUP, [json.dumps(r) for r in RECORDS] + LINES)
        yield client


def put(client: Any, group: str, messages: list[str]) -> None:
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
    client.put_log_events(logGroupName=group, logStreamName=STREAM, logEvents=events)


def messages(client: Any, pattern: str, group: str = GROUP) -> list[str]:
    answer = client.filter_log_events(logGroupName=group, filterPattern=pattern)
    return [e["message"] for e in answer["events"]]


def test_without_the_patch_moto_matches_everything(logs: Any) -> None:
    assert not trailmatch.moto.is_patched()
    assert len(messages(logs, CIS_UNAUTHORIZED)) == len(RECORDS) + len(LINES)


def test_json_metric_filter_and_filter_log_events(logs: Any, trailmatch_moto: None) -> None:
    assert trailmatch.moto.is_patched()
    logs.put_metric_filter(
        logGroupName=GROUP,
        filterName="unauthorized-api-calls",
        filterPattern=CIS_UNAUTHORIZED,
        metricTransformations=[{**ONE, "metricName": "UnauthorizedAPICalls"}],
    )
    (described,) = logs.describe_metric_filters(logGroupName=GROUP)["metricFilters"]
    assert described["filterPattern"] == CIS_UNAUTHORIZED
    got = messages(logs, CIS_UNAUTHORIZED)
    assert [json.loads(m) for m in got] == [RECORDS[0], RECORDS[2]]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventName = "ConsoleLogin" && $.errorCode NOT EXISTS }', [json.dumps(RECORDS[3])]),
        ("{ $.userIdentity.type = IAMUser }", [json.dumps(RECORDS[1])]),
        ("?ERROR ?WARN", LINES[:2]),
        ("disk -WARN", LINES[:1]),
        ("[level = INFO, ...]", LINES[2:3]),
        ("%^DEBUG%", LINES[3:]),
        ("", [json.dumps(r) for r in RECORDS] + LINES),
    ],
)
def test_filter_log_events_answers_like_aws(logs: Any, trailmatch_moto: None, pattern: str, expected: list[str]) -> None:
    assert messages(logs, pattern) == expected


def test_invalid_patterns_are_rejected_like_aws(logs: Any, trailmatch_moto: None) -> None:
    invalid = logs.exceptions.InvalidParameterException
    with pytest.raises(invalid, match="Invalid character\\(s\\) in term ':'"):
        logs.filter_log_events(logGroupName=GROUP, filterPattern="?Status: timeout")
    with pytest.raises(invalid, match="must end with '}'"):
        logs.put_metric_filter(logGroupName=GROUP, filterName="f", filterPattern="{ $.a = 1", metricTransformations=[ONE])
    # The transformation is validated too: a term pattern has no fields to take a value from.
    with pytest.raises(invalid, match="term pattern has no fields"):
        logs.put_metric_filter(
            logGroupName=GROUP, filterName="f", filterPattern="ERROR", metricTransformations=[{**ONE, "metricValue": "$.latency"}]
        )
    with pytest.raises(invalid, match="does not support dimensions"):
        logs.put_metric_filter(
            logGroupName=GROUP, filterName="f", filterPattern="ERROR", metricTransformations=[{**ONE, "dimensions": {"D": "$.d"}}]
        )
    assert logs.describe_metric_filters(logGroupName=GROUP)["metricFilters"] == []


def test_test_metric_filter_through_boto3(logs: Any, trailmatch_moto: None) -> None:
    request: dict[str, Any] = {
        "filterPattern": "[ip, id, user, timestamp, request, status_code = 4*, size]",
        "logEventMessages": [
            '127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326',
            '127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /index.html HTTP/1.0" 200 1043',
        ],
    }
    answer = logs.test_metric_filter(**request)
    assert answer["matches"] == trailmatch.test_metric_filter(**request)["matches"]
    assert answer["matches"][0]["extractedValues"]["$status_code"] == "404"
    with pytest.raises(logs.exceptions.InvalidParameterException, match="must end with ']'"):
        logs.test_metric_filter(filterPattern="[a, b", logEventMessages=["x"])


def test_subscription_filters_deliver_only_matching_events(logs: Any, trailmatch_moto: None) -> None:
    logs.create_log_group(logGroupName="denied")
    logs.create_log_stream(logGroupName="denied", logStreamName=STREAM)
    destination = "arn:aws:logs:us-east-1:123456789012:log-group:denied:*"
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_subscription_filter(
            logGroupName=GROUP, filterName="bad", filterPattern="{ $.a = ", destinationArn=destination
        )
    logs.put_subscription_filter(
        logGroupName=GROUP, filterName="denied", filterPattern=CIS_UNAUTHORIZED, destinationArn=destination
    )
    put(logs, GROUP, [json.dumps(r) for r in RECORDS] + LINES)
    assert [json.loads(m) for m in messages(logs, "", group="denied")] == [RECORDS[0], RECORDS[2]]
    put(logs, GROUP, LINES)  # nothing matches: nothing is delivered
    assert len(messages(logs, "", group="denied")) == 2


def test_patch_nests_and_restores_moto() -> None:
    from moto.logs import models, responses

    def current() -> object:
        return vars(models)["EventMessageFilter"]

    original = current()
    assert not hasattr(responses.LogsResponse, "test_metric_filter")
    with trailmatch.moto.patch():
        with trailmatch.moto.patch():
            assert current() is not original
        assert trailmatch.moto.is_patched()
        assert hasattr(responses.LogsResponse, "test_metric_filter")
    assert not trailmatch.moto.is_patched()
    assert current() is original
    assert not hasattr(responses.LogsResponse, "test_metric_filter")
    assert not hasattr(models.LogsBackend, "test_metric_filter")

    trailmatch.moto.patch()
    trailmatch.moto.patch()
    trailmatch.moto.unpatch()
    assert not trailmatch.moto.is_patched()
    assert current() is original


# ---- EventBridge ---------------------------------------------------------------------------------

EB_EVENT = {
    "version": "0",
    "id": "1",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.iam",
    "account": "123456789012",
    "time": "2024-03-01T12:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventName": "DeleteRolePolicy", "errorCode": "AccessDenied"},
}


@pytest.fixture
def events() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("events", region_name="us-east-1")


def test_test_event_pattern_answers_as_eventbridge(events: Any, trailmatch_moto: None) -> None:
    pattern = {"detail": {"errorCode": [{"prefix": "AccessDenied"}]}, "source": [{"anything-but": "aws.s3"}]}
    answer = events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EB_EVENT))
    assert answer["Result"] is True
    other = events.test_event_pattern(EventPattern='{"source": ["aws.s3"]}', Event=json.dumps(EB_EVENT))
    assert other["Result"] is False
    with pytest.raises(events.exceptions.InvalidEventPatternException) as caught:
        events.test_event_pattern(EventPattern='{"source": "aws.s3"}', Event=json.dumps(EB_EVENT))
    assert caught.value.response["Error"]["Message"].startswith("Event pattern is not valid. Reason: ")


def test_put_rule_validates_and_put_events_delivers_what_matches(events: Any, trailmatch_moto: None) -> None:
    with pytest.raises(events.exceptions.InvalidEventPatternException):
        events.put_rule(Name="bad", EventPattern='{"detail": {"n": [{"numeric": [">", "x"]}]}}')
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="denied")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # A wildcard and a suffix: operators moto's own matcher does not know.
    pattern = {"source": ["aws.iam"], "detail": {"eventName": [{"wildcard": "Delete*Policy"}], "errorCode": [{"suffix": "Denied"}]}}
    events.put_rule(Name="denied", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="denied", Targets=[{"Id": "q", "Arn": arn}])
    entries = [
        {"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(EB_EVENT["detail"])},
        {"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps({"eventName": "ListRoles"})},
    ]
    events.put_events(Entries=entries)
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["detail"]["eventName"] for m in received] == ["DeleteRolePolicy"]
