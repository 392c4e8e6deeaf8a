#!/usr/bin/env python3
"""Writes fuzz seeds from the conformance cases: `pattern NUL event` per match case.

Usage: python3 core/fuzz/seed.py  (writes core/fuzz/corpus/engine_vs_reference/, git-ignored)
"""
import glob
import os
import tomllib

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "engine_vs_reference")
os.makedirs(out, exist_ok=True)
n = 0
for path in sorted(glob.glob(os.path.join(here, "..", "..", "tests", "cases", "*.toml"))):
    with open(path, "rb") as f:
        cases = tomllib.load(f).get("case", [])
    for case in cases:
        if case.get("event") is None or "\n" in case["pattern"]:
            continue
        data = (case["pattern"] + "\0" + case["event"].replace("\n", " ")).encode()
        with open(os.path.join(out, f"case{n:04d}"), "wb") as f:
            f.write(data)
        n += 1
print(f"{n} seeds in {out}")
