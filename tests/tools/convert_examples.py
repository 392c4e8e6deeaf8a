#!/usr/bin/env python3
"""Converts the specification's examples (examples.jsonl) into conformance case files.

Run once from anywhere; the output is committed and the suite never reads the source file:

    python3 tests/tools/convert_examples.py [path/to/examples.jsonl]

The default source is /work/shared/spec/examples.jsonl. Every row becomes one `[[case]]` in
tests/cases/spec-<kind>.toml (term, regex, json, delimited, invalid), named
`spec/<kind>/<line>-<slug>` where <line> is the row's 1-based line in the source. Rows of kind
`invalid` become error cases: the script asks the library for each pattern's error (through the
`diagnose` example of this package) and checks the answer against REVIEWED below, where every
code and span was checked by hand against the AWS error text of the row. A disagreement stops the
conversion, so a change in the library cannot slip into the case files unreviewed.

Python 3 standard library only.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
WORKSPACE = TESTS.parent
DEFAULT_SOURCE = Path("/work/shared/spec/examples.jsonl")
KINDS = ["term", "regex", "json", "delimited", "invalid"]
FILE_OF_KIND = {
    "term": "spec-terms.toml",
    "regex": "spec-regex.toml",
    "json": "spec-json.toml",
    "delimited": "spec-delimited.toml",
    "invalid": "spec-invalid.toml",
}

# pattern -> (error code, [span start, span end]) for the rows of kind `invalid`, each checked
# against the row's `error` text (the AWS message or the spec's description of it).
REVIEWED = {
    # "character outside the regex alphabet": the `!`.
    "%something!%": ("regex-character", [10, 11]),
    # "parentheses not supported in regex": the `(`.
    "%(alpha|beta)%": ("regex-character", [1, 2]),
    # "more than one wildcard selector in one property selector": the whole selector.
    '{ $.a[*].b[*] = "x" }': ("selector-wildcards", [2, 13]),
    # "more than three wildcard selectors in a pattern": the fourth one, `$.c[*]`.
    '{ $.a[*] = "x" && $.* = "y" && $.b[*] = "z" && $.c[*] = "w" }': (
        "too-many-wildcard-selectors",
        [47, 53],
    ),
    # "EXISTS is documented as unsupported": the keyword.
    "{ $.x EXISTS }": ("exists-unsupported", [6, 12]),
    # "If a filter pattern starts with '{' it must end with '}'": the opening brace.
    '{$.kubernetes.namespace_name="abc"': ("unclosed-brace", [0, 1]),
    # "selector must start with $": the bare name.
    '{ status = "401" }': ("selector-without-root", [2, 8]),
    # "Invalid character(s) in term '$.\"'": the quoted text.
    '{ $."sc-status" = 5* }': ("invalid-character", [2, 5]),
    # "Invalid character(s) in term" (for `$."`).
    '{ $."detail-type" = "x" }': ("invalid-character", [2, 5]),
    # "Invalid character(s) in term ':'".
    "?Status: timeout": ("invalid-character", [7, 8]),
    # "Invalid character(s) in term ','".
    '{ $.message = "error-response", $.path = "/authenticate" }': ("invalid-character", [30, 31]),
    # "Invalid character(s) in term '('".
    "PlayerSpawnedInWorld (reason: JoinMultiplayer": ("invalid-character", [21, 22]),
}


def toml_string(s):
    """A TOML basic string. JSON string escapes are valid TOML escapes; DEL must be escaped too."""
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def slug(pattern):
    s = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-")
    return s[:40].rstrip("-") or "blank"


def diagnose(patterns):
    """The library's verdict on each pattern: {pattern: (code, span)}."""
    lines = "".join(json.dumps(p) + "\n" for p in patterns)
    run = subprocess.run(
        ["cargo", "run", "-q", "-p", "trailmatch-conformance", "--example", "diagnose"],
        cwd=WORKSPACE,
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    return {a["pattern"]: (a["code"], a["span"]) for a in answers}


def case_lines(name, row, error=None):
    out = ["[[case]]", f"name = {toml_string(name)}", f"pattern = {toml_string(row['pattern'])}"]
    if error is None:
        out.append(f"event = {toml_string(row['event'])}")
        out.append(f"matches = {'true' if row['matches'] else 'false'}")
        if row["matches"]:
            pairs = ", ".join(
                f"{toml_string(k)} = {toml_string(v)}" for k, v in row["extracted"].items()
            )
            out.append(f"extracted = {{ {pairs} }}" if pairs else "extracted = {}")
    else:
        code, span = error
        out.append(f"error = {toml_string(code)}")
        out.append(f"span = [{span[0]}, {span[1]}]")
    for key in ["source", "confidence", "basis"]:
        out.append(f"{key} = {toml_string(row[key])}")
    notes = row.get("notes")
    if error is not None:
        aws = f"AWS: {row['error']}"
        notes = f"{notes}; {aws}" if notes else aws
    if notes:
        out.append(f"notes = {toml_string(notes)}")
    return out


def check_row(line, row):
    kind = row["kind"]
    if kind not in KINDS:
        sys.exit(f"line {line}: unknown kind {kind!r}")
    if kind == "invalid":
        return
    if row["matches"] != isinstance(row["extracted"], dict):
        sys.exit(f"line {line}: `extracted` must be an object exactly when `matches` is true")
    for k, v in (row["extracted"] or {}).items():
        if not isinstance(v, str):
            sys.exit(f"line {line}: extracted value {k!r} is not a string")


def main():
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    rows = [
        (n, json.loads(text))
        for n, text in enumerate(source.read_text(encoding="utf-8").splitlines(), 1)
        if text.strip()
    ]
    for line, row in rows:
        check_row(line, row)

    invalid = [row["pattern"] for _, row in rows if row["kind"] == "invalid"]
    answers = diagnose(invalid)
    for pattern in invalid:
        got = answers.get(pattern)
        want = REVIEWED.get(pattern)
        if want is None:
            sys.exit(f"invalid pattern {pattern!r} is not reviewed; the library says {got}")
        if got is None or got[0] != want[0] or got[1] != list(want[1]):
            sys.exit(f"invalid pattern {pattern!r}: reviewed {want}, the library says {got}")

    files = {kind: [] for kind in KINDS}
    for line, row in rows:
        kind = row["kind"]
        name = f"spec/{kind}/{line:03d}-{slug(row['pattern'])}"
        error = REVIEWED[row["pattern"]] if kind == "invalid" else None
        files[kind].append(case_lines(name, row, error))

    cases_dir = TESTS / "cases"
    cases_dir.mkdir(exist_ok=True)
    header = [
        "# Generated by tests/tools/convert_examples.py from the specification's examples.jsonl",
        "# (one case per row, named after the row's line). Do not edit: change the script and run it",
        "# again. The format is described in tests/README.md.",
    ]
    for kind in KINDS:
        blocks = ["\n".join(lines) for lines in files[kind]]
        text = "\n".join(header) + "\n\n" + "\n\n".join(blocks) + "\n"
        (cases_dir / FILE_OF_KIND[kind]).write_text(text, encoding="utf-8")
        print(f"{FILE_OF_KIND[kind]}: {len(blocks)} cases")
    print(f"{len(rows)} rows converted")


if __name__ == "__main__":
    main()
