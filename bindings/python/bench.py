"""How fast trailmatch matches from Python, and against what.

    python bindings/python/bench.py                  # about a minute
    python bindings/python/bench.py --events 2000 --seconds 0.2 --rounds 1 --no-rust   # a quick look

For each workload (a set of patterns and a list of events) it prints events per CPU second (the
process's CPU time, so that other work on a shared machine counts little) for:

* ``match_many``: ``PatternSet.match_many(events)``, the interpreter lock released;
* ``match_many (bytes events)``: the same events as UTF-8 ``bytes`` (borrowed, not copied);
* ``match_buffers``: ``PatternSet.match_buffers(data, offsets)``, all events in one ``bytes`` with
  int32 offsets (Arrow's string layout), answered as two int32 arrays;
* ``match_buffers (copied buffer)``: the same from a ``memoryview`` of a ``bytearray``, which is
  copied a group of events at a time (only ``bytes`` can be borrowed);
* ``match_arrow``: ``PatternSet.match_arrow(pyarrow_array)``, answered as a ``pyarrow.ListArray``
  (when pyarrow is installed);
* ``match_many (dict events)``: the same events given as dicts (each serialised once), where the
  events are JSON;
* ``python loop, set.matches``: ``[s.matches(e) for e in events]``, one call per event;
* ``python loop, Pattern.matches``: one call per event and pattern;
* ``moto EventMessageFilter``: moto's own term matcher (``moto.logs.utils``), where it applies
  (terms and quoted phrases), with its filters built once; it also counts how often moto and
  trailmatch disagree;
* ``rust PatternSet::matches``: the Rust engine on the same patterns and events, in-process, from
  ``cargo run --release -p trailmatch-python --example throughput`` (needs cargo; ``--no-rust``
  skips it), a new vector of answers per event;
* ``rust PatternSet::matches_into``: the same with one vector kept for every event (``into``), as
  ``match_many`` does inside: the fastest a Rust caller can ask, and the stricter baseline.

The workloads are the benches' fixtures (``benches/data``: the 14 CIS CloudTrail patterns on 200
real CloudTrail records, the VPC flow-log patterns on flow-log lines) and application log lines
with term patterns, each repeated to ``--events`` events; with cargo (not ``--no-rust``), also the
14 CIS patterns on ``--events`` distinct CloudTrail events generated as the Rust benches generate
them (``cargo run --release -p trailmatch-benches --bin gen-events -- --events N``). Each variant
is measured ``--rounds`` times, round-robin, and its best figure kept. Each figure is followed by
how many times slower than the Rust engine it is (``rust / figure``).

    python bindings/python/bench.py --only generated --events 20000 --rounds 5   # the 1.3x target
"""

from __future__ import annotations

import argparse
import array
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import trailmatch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "benches" / "data"


@dataclass
class Workload:
    name: str
    patterns: list[str]
    events: list[str]
    json_events: bool = False
    moto_applies: bool = False
    results: dict[str, float] = field(default_factory=dict)


def repeat(lines: list[str], n: int) -> list[str]:
    """``n`` events taken in turn from ``lines``, each its own object, as the lines read from a
    log are (a few hundred objects repeated would stay in the processor's caches, where the Rust
    figure's ``n`` strings and the ``bytes`` variant's ``n`` objects do not)."""
    return [lines[i % len(lines)].encode("utf-8").decode("utf-8") for i in range(n)]


def app_log_lines(n: int) -> list[str]:
    levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"]
    what = [
        "request {i} served in {ms}ms",
        "request {i} failed: timeout after {ms}ms",
        "cache miss for key user:{i}",
        "disk usage at {pct}% on /var/lib/data",
        "connection reset by peer while reading request {i}",
    ]
    return [
        f"2024-05-0{1 + i % 9}T12:{i % 60:02d}:{(i * 7) % 60:02d}Z {levels[i % len(levels)]} "
        f"[worker-{i % 8}] " + what[(i // 3) % len(what)].format(i=i, ms=(i * 37) % 5000, pct=i % 100)
        for i in range(n)
    ]


def generated_events(n: int) -> Optional[list[str]]:
    """``n`` CloudTrail events from the benches' generator (``benches/src/generate.rs``)."""
    command = [
        os.environ.get("CARGO", "cargo"),
        "run", "--release", "--quiet", "-p", "trailmatch-benches", "--bin", "gen-events", "--", "--events", str(n),
    ]  # fmt: skip
    try:
        out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"  (generated events unavailable: {e})", file=sys.stderr)
        return None
    return [e for e in out.stdout.splitlines() if e.strip()]


def columns(events: list[str]) -> tuple[bytes, "array.array[int]"]:
    """The events in Arrow's string layout: their UTF-8 bytes one after the other, and n + 1
    int32 offsets."""
    encoded = [e.encode("utf-8") for e in events]
    offsets = array.array("i", [0])
    offsets.extend(itertools.accumulate(len(e) for e in encoded))
    return b"".join(encoded), offsets


GENERATED = "cis-14 x generated cloudtrail"


def workloads(n: int, generated: bool = False, only: str = "") -> list[Workload]:
    cis = [p for p in (DATA / "cis-patterns.txt").read_text(encoding="utf-8").splitlines() if p.strip()]
    cloudtrail = [e for e in (DATA / "cloudtrail-200.jsonl").read_text(encoding="utf-8").splitlines() if e.strip()]
    vpc_patterns = [p for p in (DATA / "vpc-flow-patterns.txt").read_text(encoding="utf-8").splitlines() if p.strip()]
    vpc_lines = [e for e in (DATA / "vpc-flow-logs.log").read_text(encoding="utf-8").splitlines() if e.strip()]
    terms = ["ERROR", "WARN", "timeout", '"connection reset"', "request failed", "ERROR timeout"]
    chosen = [
        Workload("cis-14 x cloudtrail", cis, repeat(cloudtrail, n), json_events=True),
        Workload("vpc-flow-6 x flow-log lines", vpc_patterns, repeat(vpc_lines, n)),
        Workload("terms-6 x app log lines", terms, app_log_lines(n), moto_applies=True),
    ]
    if generated and only in GENERATED:
        events = generated_events(n)
        if events:
            chosen.append(Workload(GENERATED, cis, events, json_events=True))
    return [w for w in chosen if only in w.name]


def rate(run: Callable[[], object], count: int, seconds: float) -> float:
    """Events per CPU second of ``run`` (which handles ``count`` events), over at least ``seconds``
    of this process's CPU time: other work on a shared machine does not count."""
    run()  # warm up
    done, start = 0, time.process_time()
    while True:
        run()
        done += count
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return done / elapsed


def rust_rate(w: Workload, seconds: float, into: bool = False) -> Optional[float]:
    with tempfile.TemporaryDirectory() as tmp:
        patterns, events = Path(tmp, "patterns.txt"), Path(tmp, "events.txt")
        patterns.write_text("\n".join(w.patterns) + "\n", encoding="utf-8")
        events.write_text("\n".join(w.events) + "\n", encoding="utf-8")
        command = [
            os.environ.get("CARGO", "cargo"),
            "run", "--release", "--quiet", "-p", "trailmatch-python", "--example", "throughput", "--",
            str(patterns), str(events), str(seconds), *(["into"] if into else []),
        ]  # fmt: skip
        try:
            out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"  (rust figure unavailable: {e})", file=sys.stderr)
            return None
        answer = json.loads(out.stdout.strip().splitlines()[-1])
        if answer["clock"] != "cpu":
            print("  (rust figure in wall-clock time: no /proc/self/schedstat)", file=sys.stderr)
        figure: float = answer["events_per_second"]
        return figure


def measure(w: Workload, seconds: float, rounds: int, rust: bool) -> None:
    """Each variant ``rounds`` times, round-robin, keeping each one's best figure: on a shared
    machine the best of a few runs is the one least disturbed by the rest."""
    s = trailmatch.PatternSet(w.patterns)
    singles = [trailmatch.Pattern(p) for p in w.patterns]
    events, n = w.events, len(w.events)
    variants: dict[str, Callable[[], Optional[float]]] = {
        "match_many": lambda: rate(lambda: s.match_many(events), n, seconds),
    }
    as_bytes = [e.encode("utf-8") for e in events]
    variants["match_many (bytes events)"] = lambda: rate(lambda: s.match_many(as_bytes), n, seconds)
    data, offsets = columns(events)
    variants["match_buffers"] = lambda: rate(lambda: s.match_buffers(data, offsets), n, seconds)
    copied = memoryview(bytearray(data))
    variants["match_buffers (copied buffer)"] = lambda: rate(lambda: s.match_buffers(copied, offsets), n, seconds)
    try:
        import pyarrow
    except ImportError:
        pass
    else:
        strings = pyarrow.array(events, type=pyarrow.string())
        variants["match_arrow"] = lambda: rate(lambda: s.match_arrow(strings), n, seconds)
    if w.json_events:
        dicts: list[Any] = [json.loads(e) for e in events]
        variants["match_many (dict events)"] = lambda: rate(lambda: s.match_many(dicts), n, seconds)
    variants["python loop, set.matches"] = lambda: rate(lambda: [s.matches(e) for e in events], n, seconds)
    variants["python loop, Pattern.matches"] = lambda: rate(
        lambda: [[i for i, p in enumerate(singles) if p.matches(e)] for e in events], n, seconds
    )
    if w.moto_applies:
        try:
            from moto.logs.utils import EventMessageFilter
        except ImportError:
            print("  (moto not installed: no moto figure)", file=sys.stderr)
        else:
            filters = [EventMessageFilter(p) for p in w.patterns]

            def moto_answers() -> list[list[int]]:
                return [[i for i, f in enumerate(filters) if f.matches(e)] for e in events]

            variants["moto EventMessageFilter"] = lambda: rate(moto_answers, n, seconds)
            ours = s.match_many(events)
            disagree = sum(tuple(a) != b for a, b in zip(moto_answers(), ours))
            print(f"  moto and trailmatch disagree on {disagree} of {n} events")
    if rust:
        variants["rust PatternSet::matches"] = lambda: rust_rate(w, seconds)
        variants["rust PatternSet::matches_into"] = lambda: rust_rate(w, seconds, into=True)
    for _ in range(rounds):
        for name, run in variants.items():
            figure = run()
            if figure is not None:
                w.results[name] = max(figure, w.results.get(name, 0.0))


def report(w: Workload) -> None:
    print(f"\n{w.name}: {len(w.patterns)} patterns, {len(w.events)} events")
    base = w.results.get("match_many")
    rust = w.results.get("rust PatternSet::matches")
    for name, value in w.results.items():
        relative = f"{value / base:6.2f}x match_many" if base else ""
        slower = f"  rust / this {rust / value:5.2f}" if rust else ""
        print(f"  {name:<32} {value:>14,.0f} events/s  {relative}{slower}")
    into = w.results.get("rust PatternSet::matches_into")
    if rust and base:
        stricter = f" ({base / into:.0%} of matches_into's)" if into else ""
        print(f"  match_many reaches {base / rust:.0%} of the Rust engine's throughput{stricter}")


def main(argv: Optional[Sequence[str]] = None) -> list[Workload]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="events per workload (default 20000)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement (default 1)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per variant, best kept (default 3)")
    parser.add_argument("--no-rust", action="store_true", help="skip the Rust engine's figure and the generated events (no cargo)")
    parser.add_argument("--only", default="", help="only the workloads whose name holds this text")
    args = parser.parse_args(argv)
    print(f"trailmatch {trailmatch.__version__}, Python {sys.version.split()[0]}")
    done = []
    for w in workloads(args.events, generated=not args.no_rust, only=args.only):
        measure(w, args.seconds, args.rounds, rust=not args.no_rust)
        report(w)
        done.append(w)
    return done


if __name__ == "__main__":
    main()
