"""bench.py runs (a few events, no Rust figure): it does not rot between the times it is quoted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench  # noqa: E402


def test_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    done = bench.main(["--events", "300", "--seconds", "0.01", "--rounds", "1", "--no-rust"])
    assert [w.name for w in done] == ["cis-14 x cloudtrail", "vpc-flow-6 x flow-log lines", "terms-6 x app log lines"]
    for w in done:
        assert w.results["match_many"] > 0
        assert w.results["match_many (bytes events)"] > 0
        assert w.results["match_buffers"] > 0
        assert w.results["match_buffers (copied buffer)"] > 0
    assert "moto EventMessageFilter" in done[2].results
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        assert all(w.results["match_arrow"] > 0 for w in done)
    assert [w.name for w in bench.main(["--events", "50", "--seconds", "0.01", "--rounds", "1", "--no-rust", "--only", "vpc"])] == [
        "vpc-flow-6 x flow-log lines"
    ]
    out = capsys.readouterr().out
    assert "moto and trailmatch disagree on 0 of 300 events" in out
