"""The README's Python example runs, and says what it gives."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import ROOT


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
    assert namespace["latency"].apply({"latency": 120, "service": "api"}) == {"value": 120.0, "dimensions": {"Service": "api"}}
    assert namespace["report"]["records"]["read"] == 4852
    assert any(f["severity"] == "error" for f in namespace["findings"])
    assert {c["id"] for c in namespace["controls"]} >= {"5.1", "5.15"}
    assert capsys.readouterr().out.startswith("error[invalid-character]: Invalid character(s) in term ':'")
