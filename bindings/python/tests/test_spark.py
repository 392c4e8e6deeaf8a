"""trailmatch.spark on a real local Spark (pyspark, Java 17): the same reports as
trailmatch.scan on the bundled sample, the shared corpus and a generated S3-layout tree;
partition pruning; records, matches and metrics; a streaming query restarted between three
deliveries of files; bad rules stopped on the driver.

Skipped when pyspark is not importable (the main test venv has no pyspark); tests/run.sh's
Spark step sets TRAILMATCH_SPARK_REQUIRED=1, under which a missing pyspark is an error."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

if os.environ.get("TRAILMATCH_SPARK_REQUIRED") != "1":
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'trailmatch[spark]'); tests/run.sh runs these in its Spark venv")
    pytest.importorskip("pyarrow", reason="pyarrow is not installed (a dependency of trailmatch[spark])")

from pyspark.sql import SparkSession  # noqa: E402

import trailmatch  # noqa: E402
from conftest import readme_example  # noqa: E402
from trailmatch import spark as tm_spark  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "bindings" / "cli" / "examples" / "sample"
CORPUS = ROOT / "tests" / "corpus" / "cloudtrail"
A, B, ORG = "111122223333", "444455556666", "o-aa11bb22cc"


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("trailmatch-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def sample_files() -> List[Path]:
    files = sorted(SAMPLE.glob("*.json.gz"))
    assert len(files) == 24
    return files


@pytest.fixture(scope="session")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's 24 hourly files in CloudTrail's S3 layout: two accounts (one through an
    organization trail's prefix), two Regions, two days; a truncated file on a third day; a
    digest file (outside the layout)."""
    root = tmp_path_factory.mktemp("bucket")
    for i, f in enumerate(sample_files()):
        account = f"{ORG}/{B}" if i % 3 == 2 else A
        region = "us-east-1" if i % 2 == 0 else "eu-west-1"
        day = "2026/11/23" if i < 12 else "2026/11/24"
        at = root / "AWSLogs" / account / "CloudTrail" / region / day
        at.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, at / f.name)
    damaged = root / "AWSLogs" / A / "CloudTrail" / "us-east-1" / "2026" / "11" / "25"
    damaged.mkdir(parents=True)
    whole = sample_files()[0].read_bytes()
    (damaged / f"{A}_CloudTrail_us-east-1_20261125T0000Z_cut.json.gz").write_bytes(whole[: len(whole) // 2])
    digest = root / "AWSLogs" / A / "CloudTrail-Digest" / "us-east-1" / "2026" / "11" / "23"
    digest.mkdir(parents=True)
    (digest / "digest.json.gz").write_bytes(gzip.compress(b'{"awsAccountId":"111122223333","digestStartTime":"2026-11-23T00:00:00Z"}'))
    return root


def test_the_sample_scans_as_trailmatch_scan(spark: SparkSession) -> None:
    stats: Dict[str, int] = {}
    got = tm_spark.scan(spark, str(SAMPLE), stats=stats)
    want = trailmatch.scan([str(SAMPLE)])
    assert got == want
    assert stats["read"] == 24
    assert got["records"]["read"] > 1000 and any(a["transitions"] for a in got["alarms"])
    assert got["anomalies"]


def test_eventbridge_rules_scan_as_trailmatch_scan(spark: SparkSession) -> None:
    got = tm_spark.scan(spark, str(SAMPLE), ["cis", "cis-eventbridge"], insights=False)
    assert got == trailmatch.scan([str(SAMPLE)], rules=["cis", "cis-eventbridge"], insights=False)
    assert any(r["matches"] for r in got["event_rules"]["rules"])


def test_the_corpus_scans_as_trailmatch_scan(spark: SparkSession) -> None:
    got = tm_spark.scan(spark, str(CORPUS), insights=True)
    want = trailmatch.scan([str(CORPUS)], insights=True)
    assert got == want
    assert got["records"]["read"] > 100


def test_an_s3_layout_tree_scans_as_trailmatch_scan(spark: SparkSession, tree: Path) -> None:
    got = tm_spark.scan(spark, str(tree))
    want = trailmatch.scan([str(tree)])
    assert got == want
    # The truncated file is a counted skip, with where it is.
    skipped = {s["code"]: s for s in got["skipped"]}
    assert "truncated-gzip" in skipped, got["skipped"]
    assert "20261125T0000Z_cut" in skipped["truncated-gzip"]["examples"][0]["location"]
    assert got["records"]["skipped"] >= 1
    records = got["records"]
    assert records["read"] == records["matched"] + records["unmatched"] + records["filtered"]


def layout_files(tree: Path) -> List[Path]:
    return [p for p in sorted(tree.rglob("*"), key=lambda p: str(p).split("/")) if p.is_file()]


def test_pruning_reads_only_the_files_in_range(spark: SparkSession, tree: Path) -> None:
    stats: Dict[str, int] = {}
    got = tm_spark.scan(
        spark,
        str(tree),
        accounts=[A],
        regions=["us-east-1"],
        start="2026-11-24T00:00:00Z",
        end="2026-11-25T00:00:00Z",
        stats=stats,
    )
    # Account A (not under the organization prefix), us-east-1, the 24th, and the 25th (the day
    # after the end may hold records from before it): here the truncated file.
    want_files = [
        p
        for p in layout_files(tree)
        if "/CloudTrail/us-east-1/" in str(p)
        and f"/AWSLogs/{A}/" in str(p)
        and ("/2026/11/24/" in str(p) or "/2026/11/25/" in str(p))
    ]
    assert 2 <= len(want_files) < 10
    assert stats["read"] == stats["kept"] == len(want_files)
    # Directories out of the selection are not listed: account B's (under the organization's
    # prefix), eu-west-1, the 23rd, and the digest files' (so none of the files listed is
    # outside the layout); trailmatch.scan leaves out the same ones.
    assert len(layout_files(tree)) == 26
    assert stats["listed"] == len(want_files)
    assert (stats["dirs_left_out"], stats["outside_layout"]) == (4, 0)
    local: Dict[str, int] = {}
    start, end = "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"
    assert got == trailmatch.scan([str(tree)], accounts=[A], regions=["us-east-1"], start=start, end=end, stats=local)
    assert local == {"left_out": 0, "outside_layout": 0, "dirs_left_out": 4}
    # Records outside the window are counted as filtered, as trailmatch.scan counts them.
    assert got == trailmatch.scan([str(p) for p in want_files], start=start, end=end)
    # A directory named is judged as a walk judges it.
    eu = tree / "AWSLogs" / A / "CloudTrail" / "eu-west-1"
    kept, counts = tm_spark.list_files(spark, str(eu), regions=["us-east-1"])
    assert (kept, counts["listed"], counts["dirs_left_out"]) == ([], 0, 1)
    local = {}
    trailmatch.scan([str(eu)], regions=["us-east-1"], stats=local)
    assert local["dirs_left_out"] == 1
    # The selection is checked as trailmatch.scan checks it.
    with pytest.raises(ValueError, match="`us-east1` is no Region code"):
        tm_spark.list_files(spark, str(tree), regions=["us-east1"])


def test_a_file_beside_a_directory_not_listed_is_read_alone(spark: SparkSession, tmp_path: Path) -> None:
    # AWSLogs/A holds a file outside the layout, kept under a time alone, and CloudTrail's
    # digest directory, not listed: only the file is read, as trailmatch.scan reads it.
    account = tmp_path / "AWSLogs" / A
    digest = account / "CloudTrail-Digest" / "us-east-1" / "2026" / "11" / "23"
    digest.mkdir(parents=True)
    (digest / "x.jsonl").write_text('{"eventName":"Hidden","eventTime":"2026-11-23T10:30:00Z"}\n')
    (account / "notes.jsonl").write_text('{"eventName":"Kept","eventTime":"2026-11-23T10:30:00Z"}\n')
    stats: Dict[str, int] = {}
    got = tm_spark.scan(spark, str(tmp_path), start="2026-11-23", stats=stats)
    assert (stats["listed"], stats["kept"], stats["dirs_left_out"]) == (1, 1, 1)
    assert got["records"]["read"] == 1
    assert got == trailmatch.scan([str(tmp_path)], start="2026-11-23")
    rows = tm_spark.read_cloudtrail(spark, str(tmp_path), start="2026-11-23").collect()
    assert [r["eventName"] for r in rows] == ["Kept"]


def test_read_cloudtrail_gives_every_record_and_skip(spark: SparkSession, tree: Path) -> None:
    frame = tm_spark.read_cloudtrail(spark, str(tree))
    report = trailmatch.scan([str(tree)])
    rows = frame.where("json IS NOT NULL").count()
    # Records read, and records the scan could not classify (none here) are rows too.
    assert rows == report["records"]["read"]
    skips = frame.where("skipped IS NOT NULL").collect()
    assert [s["skipped"] for s in skips] == ["truncated-gzip"]
    assert report["records"]["skipped"] == len(skips)
    one = frame.where(f"json IS NOT NULL AND file LIKE '%/{ORG}/{B}/%'").first()
    assert one is not None
    record = json.loads(one["json"])
    assert one["account"] == record.get("recipientAccountId", B)
    assert one["region"] == record.get("awsRegion")
    # The record's text exactly as in the file.
    text = gzip.decompress(Path(one["file"]).read_bytes()).decode()
    assert one["json"] in text and json.loads(one["json"])["eventName"] == one["eventName"]
    assert isinstance(one["eventTime"], datetime)
    pruned = tm_spark.read_cloudtrail(spark, str(tree), accounts=[B], start="2026-11-23T10:00:00Z", end="2026-11-23T12:00:00Z")
    times = [r["eventTime"] for r in pruned.select("eventTime").collect()]
    assert times and all(datetime(2026, 11, 23, 10) <= t.replace(tzinfo=None) < datetime(2026, 11, 23, 12) for t in times)


def test_match_and_metrics_count_what_the_scan_counts(spark: SparkSession) -> None:
    records = tm_spark.read_cloudtrail(spark, str(SAMPLE))
    matches = tm_spark.match(records, "cis")
    per_rule = {r["rule"]: r["count"] for r in matches.groupBy("rule").count().collect()}
    report = trailmatch.scan([str(SAMPLE)])
    want = {r["name"]: r["matches"] for r in report["rules"] if r["matches"]}
    assert per_rule == want and want
    row = matches.first()
    assert row is not None and row["value"] == 1.0 and row["dimensions"] == {}
    points = tm_spark.metrics(records, "cis").collect()
    sums: Dict[str, float] = {}
    for p in points:
        assert p["SampleCount"] == p["Sum"] and p["Minimum"] == p["Maximum"] == 1.0
        sums[p["metric"]] = sums.get(p["metric"], 0) + p["Sum"]
    metric_of = {r["name"]: r["metric"]["name"] for r in report["rules"]}
    assert sums == {metric_of[k]: float(v) for k, v in want.items()}


def test_matches_and_datapoints_are_written_as_parquet(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = tm_spark.scan(spark, str(SAMPLE), insights=False, parquet=str(out))
    matches = spark.read.parquet(str(out / "matches"))
    assert matches.count() == sum(r["matches"] for r in report["rules"]) > 0
    points = spark.read.parquet(str(out / "datapoints"))
    assert points.agg({"Sum": "sum"}).collect()[0][0] == matches.count()


def test_exported_lines_are_placed_in_time_by_their_delivery(spark: SparkSession, tmp_path: Path) -> None:
    # CloudWatch Logs export lines whose records have no eventTime: the scan places each by
    # its delivery time (the line's prefix), and so do its matches and datapoints.
    untimed = json.dumps({"eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn", "userIdentity": {"type": "Root"}})
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = "".join(f"2026-11-23T{h:02d}:30:00.000Z {untimed}\n" for h in (9, 10, 11, 12))
    (logs / "000000.gz").write_bytes(gzip.compress(lines.encode()))  # as CreateExportTask names it
    start, end = "2026-11-23T10:00:00Z", "2026-11-23T12:00:00Z"
    out = tmp_path / "out"
    report = tm_spark.scan(spark, str(logs), insights=False, parquet=str(out), start=start, end=end)
    assert report == trailmatch.scan([str(logs)], insights=False, start=start, end=end)
    assert report["records"]["read"] == 4 and report["records"]["filtered"] == 2
    want = {r["name"]: r["matches"] for r in report["rules"] if r["matches"]}
    assert want == {"CIS-5.3-root_usage_metric": 2}
    matches = spark.read.parquet(str(out / "matches"))
    minutes = sorted(r["minute"].replace(tzinfo=None) for r in matches.collect())
    assert minutes == [datetime(2026, 11, 23, 10, 30), datetime(2026, 11, 23, 11, 30)]
    points = spark.read.parquet(str(out / "datapoints")).collect()
    assert sorted((p["minute"].replace(tzinfo=None), p["Sum"]) for p in points) == [(m, 1.0) for m in minutes]
    # Without a window, every line matches, each in the minute it was delivered.
    every = tm_spark.match(tm_spark.read_cloudtrail(spark, str(logs)), "cis").collect()
    assert sorted(r["minute"].hour for r in every) == [9, 10, 11, 12]


def test_bad_rules_stop_before_any_task(spark: SparkSession, tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"metricFilters": [{"filterName": "Bad", "filterPattern": "{ $.eventName = ", "metricTransformations": [{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]}]}))
    sc = spark.sparkContext
    sc.setJobGroup("bad-rules", "a scan with a bad pattern")
    try:
        with pytest.raises(trailmatch.RulesError) as raised:
            tm_spark.scan(spark, str(SAMPLE), [str(rules)])
        with pytest.raises(trailmatch.RulesError):
            tm_spark.match(tm_spark.read_cloudtrail(spark, str(SAMPLE)), [str(rules)])
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert "rules.json" in str(raised.value) and "Bad" in str(raised.value)
    assert list(sc.statusTracker().getJobIdsForGroup("bad-rules")) == []


def transitions(report: Dict[str, Any]) -> List[Tuple[str, int, str, str]]:
    out = []
    for alarm in report["alarms"]:
        for t in alarm["transitions"]:
            ms = int(datetime.fromisoformat(t["time"].replace("Z", "+00:00")).timestamp() * 1000)
            out.append((alarm["name"], ms, t["from"], t["to"]))
    return sorted(out)


def test_a_restarted_stream_notifies_each_state_change_once(spark: SparkSession, tmp_path: Path) -> None:
    incoming, checkpoint = tmp_path / "incoming", tmp_path / "checkpoint"
    incoming.mkdir()
    received: List[Dict[str, Any]] = []
    files = sample_files()
    for step in (files[:8], files[8:16], files[16:]):
        for f in step:
            shutil.copy(f, incoming / f.name)
        # A new query each time: a restart from the checkpoint.
        query = tm_spark.stream(spark, str(incoming), notify=received.append, checkpoint=str(checkpoint), trigger={"availableNow": True})
        query.awaitTermination()
        assert query.exception() is None
    # A replayed query with nothing new sends nothing.
    before = len(received)
    again = tm_spark.stream(spark, str(incoming), notify=received.append, checkpoint=str(checkpoint), trigger={"availableNow": True})
    again.awaitTermination()
    assert len(received) == before > 0
    progress = tm_spark.stream_finish(str(checkpoint), notify=received.append)
    got = sorted((n["alarm"], n["time_ms"], n["from"], n["to"]) for n in received)
    assert len(set(got)) == len(got), "a state change was notified twice"
    want = trailmatch.scan([str(SAMPLE)], insights=False)
    assert got == transitions(want)
    assert progress["records"]["read"] == want["records"]["read"]


def test_the_command_prints_the_report(spark: SparkSession, capsys: pytest.CaptureFixture[str]) -> None:
    from trailmatch.spark.__main__ import main

    assert main(["scan", str(SAMPLE), "--no-insights"]) == 0
    printed = json.loads(capsys.readouterr().out)
    want = trailmatch.scan([str(SAMPLE)], insights=False)
    for alarm in want["alarms"]:
        del alarm["notifications"], alarm["undeliverable"]
    assert printed == want
    assert main(["scan", str(SAMPLE), "--rules", "/nonexistent/rules.toml"]) == 2


def test_the_readme_map_in_arrow_example_runs_on_spark(spark: SparkSession) -> None:
    """The README's `mapInArrow` function, run by Spark's workers: Spark pickles it with the
    PatternSet it uses (a global of the example), and each worker unpickles a set of its own."""
    namespace = readme_example("mapInArrow")
    raw = ['{"userIdentity": {"type": "Root"}}', '{"errorCode": "AccessDenied"}', "{}", None]
    frame = spark.createDataFrame([(r,) for r in raw], "raw string").repartition(2)
    rows = frame.mapInArrow(namespace["tag"], "raw string, rules array<string>").collect()
    assert sorted((r.raw, list(r.rules)) for r in rows) == [(raw[1], ["denied"]), (raw[0], ["root"])]
