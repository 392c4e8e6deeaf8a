"""``python -m trailmatch.spark scan PATH…``: ``trailmatch scan --format json`` on Spark, for
``spark-submit`` and AWS Glue jobs (prints the report as JSON on standard output)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional


def _split(text: Optional[str]) -> List[str]:
    return [v for v in (text or "").split(",") if v]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trailmatch.spark",
        description="trailmatch on Apache Spark: scan CloudTrail logs (s3://, s3a://, file: or local paths)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="scan logs as `trailmatch scan --format json` does")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories (Hadoop paths or URLs)")
    scan.add_argument("--rules", action="append", metavar="RULES", help="`cis` (default), a rules file, a template…; repeatable")
    scan.add_argument("--no-insights", action="store_true", help="no Insights-style anomaly detection")
    scan.add_argument("--account-id", help="the account alarm notifications name")
    scan.add_argument("--region", help="the region alarm notifications name")
    scan.add_argument("--accounts", help="read only these accounts' files (comma-separated)")
    scan.add_argument("--regions", help="read only these Regions' files (comma-separated)")
    scan.add_argument("--start", help="read only files from this day on (ISO 8601)")
    scan.add_argument("--end", help="read only files up to this time (ISO 8601, exclusive; the day after too)")
    scan.add_argument("--master", help="the Spark master when not set by spark-submit (e.g. local[2])")
    scan.add_argument("--output", help="write the JSON report to this local file instead of standard output")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession  # type: ignore[import-not-found, import-untyped, unused-ignore]

    from trailmatch import RulesError
    from trailmatch import spark as tm_spark

    builder = SparkSession.builder.appName("trailmatch scan")
    if args.master:
        builder = builder.master(args.master)
    session = builder.getOrCreate()
    try:
        report = tm_spark.scan(
            session,
            args.paths,
            args.rules or ["cis"],
            insights=not args.no_insights,
            account_id=args.account_id,
            region=args.region,
            accounts=_split(args.accounts),
            regions=_split(args.regions),
            start=args.start,
            end=args.end,
            raw=True,
        )
    except (RulesError, FileNotFoundError, ValueError) as e:
        print(f"trailmatch.spark: error: {e}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
