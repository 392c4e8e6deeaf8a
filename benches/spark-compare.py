#!/usr/bin/env python3
"""trailmatch on Spark against `trailmatch scan -j 2` and against plain Spark SQL (issue 16).

Not a timed test: a benchmark to rerun. It writes a CloudTrail tree in S3 layout (the bundled
sample's 24 hourly `.json.gz` files copied COPIES times under several accounts, Regions and
days), then measures, on the same files:

  1. `trailmatch scan -j 2 --format json` (the release binary: target/release/trailmatch);
  2. `trailmatch.spark.scan` on a local[2] SparkSession (the session started beforehand: the
     job alone is timed, its listing of the files included);
  3. plain Spark: `spark.read.json` (schema inference included, as a user would run it) and a
     SQL count of one CIS filter (5.5, CloudTrail configuration changes) — a count, not a scan
     (no alarms, no anomalies, no accounting), and not the same answer on free-form fields.

and prints records per second per core of each (2 cores each) and the ratios.

    bindings/python/.venv-spark/bin/python benches/spark-compare.py [--copies 40] [--runs 3]

Needs pyspark and trailmatch (the wheel) in the interpreter running it, Java 17, and the
release binary (`cargo build --release -p trailmatch-cli`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "bindings" / "cli" / "examples" / "sample"
CORES = 2


def tree(root: Path, copies: int) -> int:
    files = sorted(SAMPLE.glob("*.json.gz"))
    n = 0
    for c in range(copies):
        account = f"{111122223333 + c % 5:012d}"
        prefix = f"o-aa11bb22cc/{account}" if c % 5 == 4 else account
        region = ["us-east-1", "eu-west-1", "ap-south-1"][c % 3]
        day = f"2026/11/{10 + c // 3 % 20:02d}"
        at = root / "AWSLogs" / prefix / "CloudTrail" / region / day / f"copy{c}"
        at.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copy(f, at / f.name)
            n += 1
    return n


def best(runs: int, f) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=40, help="copies of the 24-file sample (default 40)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the best is kept (default 3)")
    parser.add_argument("--binary", default=str(ROOT / "target" / "release" / "trailmatch"))
    args = parser.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from trailmatch import spark as tm_spark

    work = Path(tempfile.mkdtemp(prefix="trailmatch-spark-bench-"))
    try:
        files = tree(work, args.copies)
        size = sum(p.stat().st_size for p in work.rglob("*") if p.is_file())

        out = subprocess.run([args.binary, "scan", "-j", str(CORES), "--format", "json", str(work)], check=False, capture_output=True, text=True)
        if out.returncode not in (0, 1):
            print(out.stderr, file=sys.stderr)
            return 1
        want = json.loads(out.stdout)
        records = want["records"]["read"]
        cli = best(args.runs, lambda: subprocess.run([args.binary, "scan", "-j", str(CORES), "--format", "json", str(work)], check=False, capture_output=True))

        spark = (
            SparkSession.builder.master(f"local[{CORES}]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", str(CORES))
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        got = tm_spark.scan(spark, str(work), raw=True)
        assert got["records"] == want["records"], (got["records"], want["records"])
        assert [r["matches"] for r in got["rules"]] == [r["matches"] for r in want["rules"]]
        on_spark = best(args.runs, lambda: tm_spark.scan(spark, str(work), raw=True))

        cis_5_5 = "eventName IN ('CreateTrail','UpdateTrail','DeleteTrail','StartLogging','StopLogging')"

        def plain() -> int:
            frame = spark.read.option("recursiveFileLookup", "true").json(str(work))
            frame.select("Records").selectExpr("explode(Records) AS r").select("r.*").createOrReplaceTempView("ct")
            return int(spark.sql(f"SELECT count(*) FROM ct WHERE {cis_5_5}").collect()[0][0])

        count = plain()
        want_count = next(r["matches"] for r in want["rules"] if r["name"].startswith("CIS-5.5"))
        sql = best(args.runs, plain)
        spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rate = lambda seconds: records / seconds / CORES  # noqa: E731
    print(f"{files} files, {size / 1e6:.1f} MB gzip, {records} records; best of {args.runs} runs; {CORES} cores each")
    print(f"  trailmatch scan -j {CORES}:          {cli:7.2f} s  {rate(cli):10.0f} records/s/core")
    print(f"  trailmatch.spark.scan local[{CORES}]: {on_spark:7.2f} s  {rate(on_spark):10.0f} records/s/core")
    print(f"  spark.read.json + SQL count (CIS 5.5: {count}, scan: {want_count}): {sql:7.2f} s  {rate(sql):10.0f} records/s/core")
    print(f"  spark scan / trailmatch scan:  {cli / on_spark:.2f}x the rate")
    print(f"  spark scan / read.json + SQL:  {sql / on_spark:.2f}x the rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
