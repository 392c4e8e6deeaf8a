"""One PatternSet used from many threads at once, and match_many and match_buffers releasing the
interpreter lock."""

from __future__ import annotations

import array
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import trailmatch

PATTERNS = {
    "error": "ERROR",
    "denied": '{ $.errorCode = "AccessDenied*" || $.errorCode = "*UnauthorizedOperation" }',
    "apache-4xx": "[ip, id, user, timestamp, request, status = 4*, size]",
    "regex": "%user[0-9]+%",
    "not-debug": "-DEBUG",
}


def events(seed: int) -> list[object]:
    out: list[object] = []
    for i in range(2_000):
        k = (i + seed) % 5
        if k == 0:
            out.append(f"ERROR user{i} failed")
        elif k == 1:
            out.append({"errorCode": "AccessDenied" if i % 2 else "Throttling", "n": i})
        elif k == 2:
            out.append(f'10.0.0.{i % 255} - bob [10/Oct/2000:13:55:36 -0700] "GET /{i}" {400 + i % 200} {i}'.encode())
        elif k == 3:
            out.append("DEBUG tick")
        else:
            out.append(f"user{i} logged in")
    return out


def test_threads_share_one_pattern_set() -> None:
    shared = trailmatch.PatternSet(PATTERNS)
    inputs = [events(seed) for seed in range(8)]
    expected = [[shared.matches(e) for e in batch] for batch in inputs]  # type: ignore[arg-type]

    def work(seed: int) -> tuple[list[list[str]], list[list[str]]]:
        batch = inputs[seed]
        many = [list(answer) for answer in shared.match_many(batch)]  # type: ignore[arg-type]
        one_by_one = [shared.matches(e) for e in batch]  # type: ignore[arg-type]
        return many, one_by_one

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    for seed, (many, one_by_one) in enumerate(results):
        assert many == expected[seed]
        assert one_by_one == expected[seed]


def test_match_many_releases_the_interpreter_lock() -> None:
    shared = trailmatch.PatternSet(PATTERNS)
    batch = events(0) * 60  # 120,000 events: long enough to be seen running
    started = threading.Event()
    stamps: list[float] = []

    def other_thread() -> None:
        started.wait()
        stamps.append(time.perf_counter())

    t = threading.Thread(target=other_thread)
    t.start()
    started.set()
    begun = time.perf_counter()
    shared.match_many(batch)  # type: ignore[arg-type]
    finished = time.perf_counter()
    t.join()
    # The other thread needs the interpreter lock to take its time stamp. Had match_many held
    # the lock throughout, the stamp would come right at its end; it came early, during the first
    # batch's matching.
    assert stamps
    assert stamps[0] - begun < 0.5 * (finished - begun), (stamps[0] - begun, finished - begun)


def test_match_buffers_releases_the_interpreter_lock() -> None:
    shared = trailmatch.PatternSet(PATTERNS)
    encoded = [e if isinstance(e, bytes) else str(e).encode() for e in events(0)] * 60
    offsets = array.array("i", [0])
    offsets.extend(itertools.accumulate(len(e) for e in encoded))
    data = b"".join(encoded)
    buffers: list[bytes | memoryview] = [data, memoryview(bytearray(data))]  # borrowed; copied
    for buffer in buffers:
        started = threading.Event()
        stamps: list[float] = []

        def other_thread() -> None:
            started.wait()
            stamps.append(time.perf_counter())

        t = threading.Thread(target=other_thread)
        t.start()
        started.set()
        begun = time.perf_counter()
        shared.match_buffers(buffer, offsets)
        finished = time.perf_counter()
        t.join()
        assert stamps
        assert stamps[0] - begun < 0.5 * (finished - begun), (stamps[0] - begun, finished - begun)
