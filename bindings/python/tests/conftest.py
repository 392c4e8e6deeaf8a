"""Shared helpers: where the conformance case files are, and byte spans as str indices."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the tests run on 3.11+
    import tomli as tomllib

# bindings/python/tests -> the repository root. TRAILMATCH_CASES overrides the case directory.
ROOT = Path(__file__).resolve().parents[3]
CASES = Path(os.environ.get("TRAILMATCH_CASES", ROOT / "tests" / "cases"))


def case_files() -> list[Path]:
    files = sorted(CASES.glob("*.toml"))
    if not files:
        raise RuntimeError(f"no conformance case files in {CASES}")
    return files


def load_tables(table: str) -> list[dict[str, Any]]:
    """Every entry of ``[[table]]`` in the case files, each with its file name as ``_file``."""
    entries = []
    for path in case_files():
        with path.open("rb") as f:
            for entry in tomllib.load(f).get(table, []):
                entry["_file"] = path.name
                entries.append(entry)
    return entries


def readme_example(marker: str) -> dict[str, Any]:
    """The names the README's one Python example that holds ``marker`` defines, run."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, re.DOTALL) if marker in b]
    assert len(blocks) == 1, f"README.md has no one Python example with {marker!r}"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    return namespace


def str_index(text: str, byte_offset: int) -> int:
    """The str index of a byte offset into ``text``'s UTF-8 encoding."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8"))
