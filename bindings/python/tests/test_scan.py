"""trailmatch.scan, lint and cis_check: the CloudTrail pipeline and the rule checks, answering as
the command line's JSON does."""

from __future__ import annotations

import gzip
import json
import struct
from datetime import datetime
from pathlib import Path

import pytest

import trailmatch
from conftest import ROOT

SAMPLE = ROOT / "bindings" / "cli" / "examples" / "sample"
FIXTURES = ROOT / "bindings" / "cli" / "tests" / "fixtures" / "iac"


def test_scan_the_bundled_sample_with_the_cis_pack() -> None:
    report = trailmatch.scan([SAMPLE])
    assert report["records"]["read"] == 4852
    assert report["records"]["skipped"] == 0
    fired = {a["name"]: a for a in report["alarms"] if any(t["to"] == "ALARM" for t in a["transitions"])}
    assert sorted(fired) == [
        "CIS-5.1-unauthorized_api_calls_alarm",
        "CIS-5.2-no_mfa_console_signin_alarm",
        "CIS-5.3-root_usage_alarm",
        "CIS-5.5-cloudtrail_cfg_changes_alarm",
    ]
    unauthorized = fired["CIS-5.1-unauthorized_api_calls_alarm"]
    assert unauthorized["transitions"][0]["time"] == "2026-11-23T09:15:00.000Z"
    # Each transition to ALARM notifies the pack's SNS topic, in CloudWatch's message shape.
    (message,) = unauthorized["notifications"]
    assert message["Type"] == "Notification"
    assert message["TopicArn"] == "arn:aws:sns:us-east-1:111122223333:cis-alarms"
    assert json.loads(message["Message"])["NewStateValue"] == "ALARM"
    kinds = [(a["insightDetails"]["insightType"], a["insightDetails"]["state"]) for a in report["anomalies"]]
    assert ("ApiCallRateInsight", "Start") in kinds


def test_scan_with_eventbridge_rules_lists_what_each_target_receives() -> None:
    report = trailmatch.scan([SAMPLE], rules=["cis-eventbridge"], insights=False)
    rules = {r["name"]: r for r in report["event_rules"]["rules"]}
    assert len(rules) == 15
    stop = rules["CIS-5.5-cloudtrail_cfg_changes"]
    assert (stop["state"], stop["matches"]) == ("ENABLED", 1)
    (event,) = stop["events"]
    (target,) = event["targets"]
    assert target["arn"] == "arn:aws:sns:us-east-1:111122223333:cis-alarms"
    message = json.loads(target["message"])
    assert (message["source"], message["detail"]["eventName"]) == ("aws.cloudtrail", "StopLogging")
    # The metric-filter pack finds the same records.
    filters = trailmatch.scan([SAMPLE], insights=False)
    assert report["records"] == filters["records"]
    assert "event_rules" not in filters


def test_scan_counts_what_it_skips(tmp_path: Path) -> None:
    good = '{"eventTime":"2026-11-23T10:00:00Z","eventName":"StopLogging"}'
    (tmp_path / "a.jsonl").write_text(f"{good}\n{{broken\n{good}\n", encoding="utf-8")
    # Only the gzip trailer is cut: the record is decoded, then the truncation reported.
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(f'{{"Records":[{good}]}}'.encode())[:-8])
    report = trailmatch.scan([tmp_path], insights=False)
    records = report["records"]
    assert (records["read"], records["matched"], records["skipped"]) == (3, 3, 2)
    assert sorted(s["code"] for s in report["skipped"]) == ["invalid-json", "truncated-gzip"]
    assert report["anomalies"] == []


def test_scan_rules_from_a_template_warn_about_what_they_cannot_resolve() -> None:
    with pytest.warns(UserWarning, match="unresolved-reference"):
        report = trailmatch.scan([SAMPLE], rules=[str(FIXTURES / "cloudformation" / "cis-baseline.yaml")], insights=False)
    assert len(report["rules"]) == 9


def test_scan_rules_errors_are_typed(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[[metricFilters]]\nfilterName = \"x\"\nfilterPattern = '{ $.a = }'\n"
        'metricTransformations = [{ metricName = "M", metricNamespace = "N", metricValue = "1" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(trailmatch.RulesError) as caught:
        trailmatch.scan([SAMPLE], rules=[str(rules)])
    assert caught.value.code == "syntax"
    assert (caught.value.line, caught.value.column) == (3, 18)  # where the pattern starts
    assert caught.value.file == str(rules)
    rules.write_text('include = ["nist"]\n', encoding="utf-8")
    with pytest.raises(trailmatch.RulesError) as caught:
        trailmatch.scan([SAMPLE], rules=[str(rules)])
    assert caught.value.code == "unknown-pack"
    with pytest.raises(TypeError):
        trailmatch.scan(str(SAMPLE))


def test_scan_takes_one_rules_name_or_path_alone() -> None:
    """As trailmatch.spark takes them: "cis" is the pack, not the files "c", "i" and "s"."""
    alone = trailmatch.scan([SAMPLE], rules="cis", insights=False)
    listed = trailmatch.scan([SAMPLE], rules=["cis"], insights=False)
    assert alone == listed
    assert alone["records"]["matched"] > 0
    template = FIXTURES / "cloudformation" / "cis-baseline.yaml"
    with pytest.warns(UserWarning):
        by_path = trailmatch.scan([SAMPLE], rules=template, insights=False)
    assert by_path["rules"]


def test_lint_points_into_the_files() -> None:
    found = trailmatch.lint([FIXTURES / "lint"])
    errors = [d for d in found if d["severity"] == "error"]
    assert {(Path(d["file"]).name, d["line"], d["column"], d["code"]) for d in errors} >= {
        ("main.tf", 11, 25, "unquoted-blank")
    }
    assert any(d["code"] == "hyphenated-term" for d in found)


def test_lint_checks_event_patterns_as_the_command_does() -> None:
    found = trailmatch.lint([FIXTURES / "eventbridge"])
    assert [(Path(d["file"]).name, d["line"], d["column"], d["code"]) for d in found] == [
        ("rules.yaml", 10, 19, "event-pattern-structure"),
        ("rules.yaml", 18, 58, "event-pattern-operator"),
        ("main.tf", 5, 41, "event-pattern-structure"),
    ]
    assert found[0]["filter"] == "root-usage"
    assert found[0]["message"].startswith("Event pattern is not valid. Reason: ")


def test_cis_check_decides_on_logic() -> None:
    controls = {c["id"]: c for c in trailmatch.cis_check([FIXTURES / "cloudformation" / "cis-baseline.yaml"])}
    assert controls["5.1"]["status"] == "covered"
    not_covered = controls["5.7"]
    assert not_covered["status"] == "not-covered"
    event = json.dumps(not_covered["counterexample"])
    reference = next(r for r in trailmatch.scan([SAMPLE], insights=False)["rules"] if r["name"].startswith("CIS-5.7-"))
    assert trailmatch.Pattern(reference["pattern"]).matches(event)


def test_missing_paths_raise_and_fifos_in_a_directory_are_skipped(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    for call in (
        lambda: trailmatch.scan([missing], insights=False),
        lambda: trailmatch.lint([missing]),
        lambda: trailmatch.cis_check([missing]),
    ):
        with pytest.raises(FileNotFoundError, match="nonexistent"):
            call()
    good = '{"eventTime":"2026-11-23T10:00:00Z","eventName":"StopLogging"}'
    (tmp_path / "a.jsonl").write_text(f"{good}\n", encoding="utf-8")
    import os

    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.txt")
        # The FIFO is reported, never opened (opening it would wait for a writer forever).
        report = trailmatch.scan([tmp_path], insights=False)
        assert report["records"]["read"] == 1
        assert [s["code"] for s in report["skipped"]] == ["not-a-file"]
        trailmatch.lint([tmp_path])


def test_standard_input_is_refused_by_name(tmp_path: Path) -> None:
    # "-" would read the Python process's own standard input.
    with pytest.raises(ValueError, match="`-` \\(standard input\\)"):
        trailmatch.scan(["-"], insights=False)
    (tmp_path / "a.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="standard input"):
        trailmatch.scan([tmp_path / "a.jsonl", "-"], insights=False)


def test_notifications_that_cannot_be_published_are_reported_not_dropped(tmp_path: Path) -> None:
    # No recipientAccountId: the CIS pack's topic keeps ${AWS::AccountId} and is not a valid ARN.
    event = '{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","readOnly":false}'
    (tmp_path / "a.jsonl").write_text(f"{event}\n", encoding="utf-8")
    report = trailmatch.scan([tmp_path / "a.jsonl"], insights=False)
    fired = [a for a in report["alarms"] if any(t["to"] == "ALARM" for t in a["transitions"])]
    assert fired
    for alarm in fired:
        assert alarm["notifications"] == []
        (failed,) = alarm["undeliverable"]
        assert failed["code"] == "invalid-topic-arn"
        assert "${AWS::AccountId}" in failed["topic"]
        assert failed["time"].startswith("2026-11-23T")
        assert failed["reason"]
    quiet = [a for a in report["alarms"] if a not in fired]
    assert all(a["notifications"] == [] and a["undeliverable"] == [] for a in quiet)


def test_scan_selects_files_by_their_place_in_the_s3_layout(tmp_path: Path) -> None:
    day = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2026" / "11" / "23"
    day.mkdir(parents=True)
    for f in SAMPLE.iterdir():
        (day / f.name).write_bytes(f.read_bytes())
    other = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "eu-west-1" / "2026" / "11" / "24"
    other.mkdir(parents=True)
    first = sorted(SAMPLE.iterdir())[0]
    (other / "a.json.gz").write_bytes(first.read_bytes())
    (tmp_path / "notes.jsonl").write_text('{"eventName":"Outside"}\n')

    everything = trailmatch.scan([tmp_path])
    assert everything["records"]["read"] == 4852 + 85 + 1
    stats: dict[str, int] = {}
    selected = trailmatch.scan([tmp_path], regions=["us-east-1"], start="2026-11-23", stats=stats)
    assert stats == {"left_out": 1, "outside_layout": 1, "dirs_left_out": 1}
    assert selected == trailmatch.scan([day])
    # The day after the end's day is read too; an end on the 23rd leaves the 24th's file in.
    stats = {}
    kept = trailmatch.scan([tmp_path], accounts=["111122223333"], end=datetime(2026, 11, 23, 12), stats=stats)
    assert kept["records"]["read"] == 4852 + 85
    # Records after the end are read and counted as filtered.
    assert kept["records"]["filtered"] > 0
    assert kept["range"]["to"] < "2026-11-23T12:00:00Z"
    assert stats == {"left_out": 1, "outside_layout": 1, "dirs_left_out": 0}
    stats = {}
    early = trailmatch.scan([tmp_path], end="2026-11-22T00:00:00Z", stats=stats)
    # Neither Region's day is entered: both are after the day after the end's day. A time
    # alone reads the file outside the layout, whose record has no time: in no window, it is
    # filtered.
    assert stats == {"left_out": 0, "outside_layout": 0, "dirs_left_out": 2}
    assert early == trailmatch.scan([tmp_path / "notes.jsonl"], end="2026-11-22T00:00:00Z")
    assert early["records"]["read"] == 1 and early["records"]["filtered"] == 1

    with pytest.raises(ValueError, match="`us-east1` is no Region code"):
        trailmatch.scan([tmp_path], regions=["us-east1"])
    with pytest.raises(ValueError, match="`11112222333` is no account id"):
        trailmatch.scan([tmp_path], accounts=["11112222333"])
    with pytest.raises(ValueError, match="start must be before end"):
        trailmatch.scan([tmp_path], start="2026-11-24", end="2026-11-23")
    with pytest.raises(ValueError, match="start: `yesterday` is not an ISO 8601 time"):
        trailmatch.scan([tmp_path], start="yesterday")
    with pytest.raises(TypeError, match="regions must be a list"):
        trailmatch.scan([tmp_path], regions="us-east-1")


def test_spark_plan_matches_only_what_its_scan_counts_in_the_time_window() -> None:
    pa = pytest.importorskip("pyarrow")
    from trailmatch import _trailmatch

    def root_login(time: str) -> str:
        return json.dumps(
            {"eventTime": time, "eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn", "userIdentity": {"type": "Root"}}
        )

    records = [root_login("2026-11-23T10:30:00Z"), root_login("2026-11-23T12:30:00Z")]
    ten, eleven = 1795428000000, 1795431600000  # 2026-11-23T10:00Z, 11:00Z
    plan, _ = _trailmatch._spark_plan(["cis"], False, None, None, ten, eleven)
    compiled = _trailmatch._SparkPlan(plan)
    log = json.dumps({"Records": [json.loads(r) for r in records]}).encode()
    report = json.loads(compiled.finish([compiled.tally(["log.json"], pa.array([log], pa.binary()))[0]])[0])
    assert report["records"]["read"] == 2 and report["records"]["filtered"] == 1
    matches = compiled.match_records(pa.array(records))
    rules = matches["rule"].to_pylist()
    assert rules == ["CIS-5.3-root_usage_metric"], rules
    assert [r["name"] for r in report["rules"] if r["matches"]] == rules

    # Exported lines without an eventTime: the scan places each by its delivery time, and
    # match_records does too, given the records' times as read() gives them.
    untimed = json.dumps({"eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn", "userIdentity": {"type": "Root"}})
    export = f"2026-11-23T10:30:00.000Z {untimed}\n2026-11-23T12:30:00.000Z {untimed}\n".encode()
    report = json.loads(compiled.finish([compiled.tally(["export.log"], pa.array([export], pa.binary()))[0]])[0])
    assert report["records"]["read"] == 2 and report["records"]["filtered"] == 1, report["records"]
    read = compiled.read(["export.log"], pa.array([export], pa.binary()))
    times = read["eventTime"].cast(pa.int64()).to_pylist()
    assert times == [1795429800000, 1795437000000], times
    matches = compiled.match_records(read["json"], struct.pack("<2q", *times))
    assert matches["record"].to_pylist() == [0], matches["record"]
    assert matches["minute"].cast(pa.int64()).to_pylist() == [1795429800000]
    assert [r["name"] for r in report["rules"] if r["matches"]] == matches["rule"].to_pylist()
    # Without them (or with none, the smallest int64), neither line has a time: in no window.
    assert compiled.match_records(read["json"])["record"].to_pylist() == []
    none = struct.pack("<2q", -(2**63), -(2**63))
    assert compiled.match_records(read["json"], none)["record"].to_pylist() == []
    with pytest.raises(ValueError, match=r"times: 8 bytes for 2 records \(8 a record\)"):
        compiled.match_records(read["json"], struct.pack("<q", 0))
