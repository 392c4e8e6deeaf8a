"""The README's Python example runs, and says what it gives."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import ROOT, readme_example


def test_readme_python_example(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the example's paths are relative to the repository
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert blocks, "README.md has no Python example"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    rules = namespace["rules"]
    assert rules.matches("WARN disk almost full") == ["warnings", "quiet"]
    assert rules.match_many(["ERROR x", "DEBUG y"]) == [("errors", "warnings", "quiet"), ()]
    assert rules.match_many([b"ERROR x", bytearray(b"DEBUG y")]) == [("errors", "warnings", "quiet"), ()]
    assert namespace["offsets"].tolist() == [0, 3, 3] and namespace["indices"].tolist() == [0, 1, 2]
    assert namespace["denied"].matches({"source": "aws.iam", "detail": {"errorCode": "AccessDenied"}})
    assert namespace["latency"].apply({"latency": 120, "service": "api"}) == {"value": 120.0, "dimensions": {"Service": "api"}}
    assert namespace["report"]["records"]["read"] == 4852
    assert any(f["severity"] == "error" for f in namespace["findings"])
    assert {c["id"] for c in namespace["controls"]} >= {"5.1", "5.15"}
    assert capsys.readouterr().out.startswith("error[invalid-character]: Invalid character(s) in term ':'")


def test_readme_spark_example() -> None:
    pa = pytest.importorskip("pyarrow")
    namespace = readme_example("mapInArrow")
    raw = ['{"userIdentity": {"type": "Root"}}', '{"errorCode": "AccessDenied"}', "{}", None]
    out = list(namespace["tag"]([pa.record_batch({"raw": pa.array(raw, pa.string())})]))
    assert [b.to_pydict() for b in out] == [{"raw": raw[:2], "rules": [["root"], ["denied"]]}]
