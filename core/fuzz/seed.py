#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (git-ignored) from the repository's test data.

Usage: python3 core/fuzz/seed.py [--out DIR]
(writes DIR/<target>/ for every target below; DIR defaults to core/fuzz/corpus, git-ignored)

* engine_vs_reference: `pattern NUL event` for every conformance case with an event, plus sets
  large enough for the engine's automata (over 16 globs on one selector, many term regexes).
* parse, roundtrip: every pattern of the conformance cases (`tests/cases/*.toml`, rejected ones
  included) and of the real-world corpus (`tests/corpus/real-patterns.jsonl`), plus a few
  adversarial ones (deep parentheses, a pattern at and over the length limit, NUL, BOM, CRLF).
* event_reader: every event and message of the conformance cases, every CloudTrail record of
  `tests/corpus/cloudtrail/*.jsonl`, plus adversarial events (nesting at and beyond the JSON
  reader's depth limit, numbers beyond f64, duplicate keys, BOM, CRLF, NUL, escapes).

Seeds are named by the SHA-1 of their content, as libFuzzer names what it adds, so running the
script again adds nothing twice.
"""
import argparse
import glob
import hashlib
import json
import os
import tomllib

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=os.path.join(here, "corpus"), help="corpus root directory")
args = parser.parse_args()


def cases():
    """Every table entry of every case file."""
    for path in sorted(glob.glob(os.path.join(root, "tests", "cases", "*.toml"))):
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        for table in doc.values():
            yield from table


def real_patterns():
    with open(os.path.join(root, "tests", "corpus", "real-patterns.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)["pattern"]


def cloudtrail_records():
    for path in sorted(glob.glob(os.path.join(root, "tests", "corpus", "cloudtrail", "*.jsonl"))):
        with open(path, "rb") as f:
            for line in f:
                line = line.rstrip(b"\r\n")
                if line:
                    yield line


def write(target, seeds):
    out = os.path.join(args.out, target)
    os.makedirs(out, exist_ok=True)
    names = set()
    for seed in seeds:
        data = seed.encode() if isinstance(seed, str) else seed
        name = hashlib.sha1(data).hexdigest()
        names.add(name)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(names):5} seeds in {out}")


def engine_vs_reference():
    for case in cases():
        event = case.get("event")
        if event is None or "\n" in case["pattern"]:
            continue
        yield case["pattern"] + "\0" + event.replace("\n", " ")
    # Sets large enough for the engine's automata: over 16 globs on one selector go into a
    # regex automaton, term regexes into one multi-regex; one case of each is not enough.
    names = ["GetObject", "PutObject", "DeleteBucket", "ConsoleLogin", "AssumeRole", "StopLogging",
             "CreateUser", "AttachRolePolicy", "PutBucketPolicy", "DescribeInstances"]
    # 20 prefix, suffix and contains globs (the kinds tested one by one up to 16), then globs
    # with inner stars (always regexes).
    globs = [n[:3] + "*" for n in names[:7]] + ["*" + n[-5:] for n in names[3:10]]
    globs += ["*" + n[2:6] + "*" for n in names[:6]]
    starred = ["Stop*Logging", "G*t*t", "*o*o*", "Describe*s", "Put*Policy", "*"]
    json_events = ['{"eventName": "%s", "n": %d}' % (n, i) for i, n in enumerate(names)]
    json_events.append('{"eventName": ["GetObject", "x"], "n": "1e400"}')
    json_events.append('{"other": 1}')
    lines = "\n".join
    yield lines('{ $.eventName = "%s" }' % g for g in globs) + "\0" + lines(json_events)
    yield "{ " + " || ".join('$.eventName = "%s"' % g for g in globs) + " }\0" + lines(json_events)
    mixed = ['{ $.eventName = "%s" }' % g for g in globs[:12] + starred]
    mixed += ["{ $.eventName = %%^%s%% }" % n[:4] for n in names[:6]]
    mixed += ['{ $.eventName != "%s" }' % g for g in globs[12:]]
    mixed += ["{ $.n = %d || $.n > 7 || $.n = 1e400 }" % i for i in range(3)]
    yield lines(mixed) + "\0" + lines(json_events)
    text_events = ["ERROR GetObject denied", "WARN PutObject 503", "INFO ok", "ERROR  ", " ",
                   "AccessDenied for AssumeRole", "errorCode=Throttling"]
    terms = ["%%%s%%" % n[:5] for n in names] + ['" "', "?ERROR ?WARN", "ERROR -denied",
                                                 '"AccessDenied"', "%[0-9]{3}%", "%^INFO%"]
    yield lines(terms) + "\0" + lines(text_events)
    # Events with JSON escapes: the engine reads strings raw where it can and must decode where
    # a pattern's text could hide behind an escape (`\u`, surrogate pairs, lone surrogates).
    escaped = [r'{"eventName": "Get\u004fbject", "a": "\ud83d\ude00", "b": "x\"y\\z", "c": "\u00e9t\u00e9"}',
               r'{"eventName": "\u0047etObject", "a": "\ud800", "b": "\/x", "c": "\udc00\u0041"}',
               r'{"eventName": "Get\u004Fbject", "a": "\ud83d\u0041", "n": "\u0031"}']
    escape_patterns = ['{ $.eventName = "GetObject" }', '{ $.eventName = "Get*" }',
                       '{ $.eventName = "*Object" || $.eventName = %^G% }', '{ $.a = "😀" }',
                       '{ $.b = "x\\"y\\\\z" }', '{ $.c = "été" || $.c = "\ufffdA" }', '{ $.b = "/x" }',
                       '{ $.n = 1 }', "GetObject", '"Get\\u004fbject"', "%Object%", "été"]
    yield lines(escape_patterns) + "\0" + lines(escaped)


def event_patterns():
    """`pattern NUL event` for every event-pattern case with an event; the error cases alone."""
    for path in sorted(glob.glob(os.path.join(root, "tests", "cases", "eventbridge-*.toml"))):
        with open(path, "rb") as f:
            for case in tomllib.load(f).get("event_case", []):
                event = case.get("event", "")
                yield case["pattern"] + "\0" + event.replace("\n", " ")


def event_pattern_sets():
    """Event-pattern cases five at a time (and a filter pattern), `patterns NUL events`."""
    cases = []
    for path in sorted(glob.glob(os.path.join(root, "tests", "cases", "eventbridge-*.toml"))):
        with open(path, "rb") as f:
            cases.extend(c for c in tomllib.load(f).get("event_case", []) if "event" in c)
    for i in range(0, len(cases), 5):
        group = cases[i : i + 5]
        patterns = [c["pattern"].replace("\n", " ") for c in group]
        events = [c["event"].replace("\n", " ") for c in group]
        yield "\n".join(["F { $.source = \"aws.*\" }"] + patterns) + "\0" + "\n".join(events)


def patterns():
    for case in cases():
        if "pattern" in case:
            yield case["pattern"]
        yield from case.get("patterns", [])
    yield from real_patterns()
    # Adversarial: nesting at and over the parser's limit (64), the length limit (1024).
    yield "{ " + "(" * 64 + "$.a = 1" + ")" * 64 + " }"
    yield "{ " + "(" * 65 + "$.a = 1" + ")" * 65 + " }"
    yield "{ " + "(" * 2000 + " }"
    yield "ERROR " * 170 + "ABCD"  # 1024 characters
    yield "é" * 1025
    yield "{ $.a = \"x\0y\" }"
    yield "\ufeff{ $.a = 1 }"
    yield "{ $.a = 1 &&\r\n  $.b = 2 }"
    yield "[a,\r\nb = 1e400]"
    yield "{ $.a = 123456789012345678901234567890 || $.b < -1e400 }"


def events():
    for case in cases():
        if isinstance(case.get("event"), str):
            yield case["event"]
        yield from (m for m in case.get("messages", []) if isinstance(m, str))
    yield from cloudtrail_records()
    # Adversarial: the JSON reader accepts 512 levels of nesting and rejects 513.
    for depth in (511, 512, 513, 600):
        yield '{"a":' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
        yield '{"a":' + '{"a":' * (depth - 1) + "1" + "}" * depth
    yield "[" * 4000
    for n in ("1e400", "-1e400", "123456789012345678901234567890", "1e-400", "-0", "4.9e-324",
              "1.7976931348623157e308", "1" * 400):
        yield '{"a": %s, "b": [%s], "x": {"y": %s}}' % (n, n, n)
        yield "ip user - - [ts] \"GET /\" 404 " + n
    yield '{"a": 1, "a": 2}'
    yield '{"a": "x", "b": {"c": 1, "c": null}, "a": 5}'
    yield b"\xef\xbb\xbf" + b'{"eventName": "ConsoleLogin"}'
    yield b'{"eventName":\r\n "ConsoleLogin"}\r\n'
    yield b'{"a": "x\x00y", "\x00": 1}'
    yield b"ERROR \x00 DEBUG\r\n"
    yield b'{"a": "\\u0041\\/\\"\\\\", "b": "\\ud83d\\ude00\\udc00"}'
    yield b'{"a": "\xff\xfe invalid utf-8"}'


def log_files():
    """Log files as CloudTrail and CloudWatch Logs deliver them (core/cloudtrail/src/logs), made
    from a few real records: S3 Records files plain and gzipped, JSON Lines, subscription
    payloads decoded, gzipped and base64-encoded, Lambda's awslogs envelope, exports, and
    damaged versions of each (cut, truncated gzip, bad base64)."""
    import base64
    import gzip
    import json as js

    records = [r.decode("utf-8") for r in list(cloudtrail_records())[:6]]
    objects = [js.loads(r) for r in records]
    files = []
    records_file = js.dumps({"Records": objects}).encode()
    files.append(records_file)
    files.append(js.dumps({"Records": objects}, indent=2).encode())
    files.append("\n".join(records).encode() + b"\n")
    payload = js.dumps({
        "messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "CloudTrail",
        "logStream": "s", "subscriptionFilters": ["f"],
        "logEvents": [{"id": str(i), "timestamp": 1600000000000 + i, "message": r}
                      for i, r in enumerate(records)],
    }).encode()
    files.append(payload)
    files.append(js.dumps({"messageType": "CONTROL_MESSAGE", "logEvents": []}).encode())
    files.append(js.dumps({"events": [{"timestamp": 1, "message": r} for r in records]}).encode())
    files.append("".join(f"2020-09-14T00:44:23.000Z {r}\n" for r in records).encode())
    for body in (records_file, payload):
        zipped = gzip.compress(body, mtime=0)
        files.append(zipped)
        files.append(zipped[:-9])
        files.append(zipped + zipped)
        encoded = base64.b64encode(zipped)
        files.append(encoded)
        files.append(js.dumps({"awslogs": {"data": encoded.decode()}}).encode())
        files.append(encoded[:-3] + b"*==")
    files.append(records_file[: len(records_file) // 2])
    files.append(b"\xef\xbb\xbf" + "\r\n".join(records).encode())
    files.append(b"[" * 2000)
    return files


def sifted_files():
    """Pattern sets (CIS-style filter patterns, a term, event patterns) with the log files, and
    JSON Lines mixing records with the lines a sieve must not pass over: containers, documents
    over several lines, export lines, escapes, invalid UTF-8, long and blank lines."""
    sets = [
        b'{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        b"{ $.eventName = ConsoleLogin }\n{ $.userIdentity.type = Root }\nERROR",
        b'E {"eventName":["ListBuckets","GetObject"]}\nE {"eventSource":[{"prefix":"s3"}]}',
    ]
    records = list(cloudtrail_records())[:6]
    mixed = b"\n".join(records[:2] + [
        b'{"Records":[' + records[2] + b"]}",
        b"{",
        records[3] + b"}",
        b"2020-09-14T00:44:23.000Z " + records[4],
        b'{"a":"\\u0041ccessDenied","x\\\\s":{"b":1}',
        b'{"errorCode":"AccessDenied\xff"}',
        b"",
        b"ERROR disk full",
        b" " * 100 + records[5] + b"\r",
    ]) + b"\n"
    for patterns in sets:
        for body in log_files() + [mixed]:
            yield patterns + b"\0" + body


def range_files():
    """The log files of log_reader, each cut into ranges of 1, 7, 64 and 4,096 bytes, at both
    record limits (the first two bytes of an input choose them)."""
    for body in log_files():
        for size in (0, 6, 63, 255):
            for limit in (0, 1):
                yield bytes([size, limit]) + body


write("engine_vs_reference", engine_vs_reference())
write("dialect_vs_reference", engine_vs_reference())
write("parse", patterns())
write("roundtrip", patterns())
write("event_reader", events())
write("log_reader", log_files())
write("sifted_reader", sifted_files())
write("range_reader", range_files())
write("event_pattern", event_patterns())
write("event_pattern_set", event_pattern_sets())
