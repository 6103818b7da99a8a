"""How long callers wait on background work that is stuck: the timings the tests left out.

Run from the repository root:  python -m benchmarks.waits [--repeat 20] [--check]

tests/web/test_querylog.py and tests/admin/test_reindex.py check what happens (a search
answers while the query log's writer is stuck, a full queue drops entries, a reindex
that finds the writer lock taken answers 409); this measures how long each took, on this
machine, against the bounds those tests used to assert. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.engines import log, save_json
from searchsvc import create_app
from searchsvc.indexing import build, layout
from searchsvc.indexing.build import build_index
from searchsvc.web.querylog import EXTENSION, QueryLog

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "waits-bench-token"
LOCK_WAIT = 0.2  # seconds the indexer waits for the writer lock here (2 s by default)
# name: (what is timed, target in seconds: the bound the test asserted)
TARGETS = {
    "search, query-log writer stuck": 5.0,
    "10 records into a full queue": 1.0,
    "409 while the writer lock is held": 5.0,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.waits", description=__doc__.split("\n")[0]
    )
    p.add_argument("--repeat", type=int, default=20, help="timed runs of each (20)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    return p.parse_args(argv)


@contextmanager
def stuck_writer(found: QueryLog) -> Iterator[threading.Event]:
    """found's writer waits inside its next write until the block ends; yields the event
    set when it is in there."""
    entered, release = threading.Event(), threading.Event()
    write = found._write_batch

    def slow_write(conn: sqlite3.Connection, entries: list[Any]) -> None:
        entered.set()
        release.wait(30)
        write(conn, entries)

    found._write_batch = slow_write  # type: ignore[method-assign]
    try:
        yield entered
    finally:
        release.set()
        found.flush()
        found._write_batch = write  # type: ignore[method-assign]


def search_while_stuck(work: Path, repeat: int) -> list[float]:
    app = create_app({"INDEX_DIR": work / "index", "CONTENT_DIR": ROOT / "seeds"})
    client = app.test_client()
    found: QueryLog = app.extensions[EXTENSION]
    assert client.get("/api/search?q=warm").status_code == 200 and found.flush()
    seconds = []
    for _ in range(repeat):
        with stuck_writer(found) as entered:
            assert client.get("/api/search?q=writer").status_code == 200  # the writer's entry
            assert entered.wait(10)
            started = time.perf_counter()
            assert client.get("/api/search?q=nvidia").status_code == 200
            seconds.append(time.perf_counter() - started)
    found.close()
    return seconds


def records_into_full_queue(work: Path, repeat: int) -> list[float]:
    seconds = []
    for i in range(repeat):
        found = QueryLog(work / f"full-{i}.sqlite3", queue_size=3)
        with stuck_writer(found) as entered:
            found.record({"ts": time.time(), "q": "first", "total": 1, "took_ms": 1.0})
            assert entered.wait(10)
            started = time.perf_counter()
            for n in range(10):
                found.record({"ts": time.time(), "q": f"q{n}", "total": 1, "took_ms": 1.0})
            seconds.append(time.perf_counter() - started)
            assert found.dropped == 7
        found.close()
    return seconds


def reindex_while_locked(work: Path, repeat: int) -> list[float]:
    index_dir = work / "index"
    app = create_app(
        {
            "INDEX_DIR": index_dir,
            "CONTENT_DIR": work / "content",
            "ADMIN_TOKEN": TOKEN,
            "QUERY_LOG": False,
        }
    )
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    waiting_lock = partial(layout.writer_lock, wait_seconds=LOCK_WAIT)
    seconds = []
    real_lock = build.writer_lock
    build.writer_lock = waiting_lock  # type: ignore[assignment]
    try:
        for _ in range(repeat):
            with layout.writer_lock(index_dir, wait_seconds=0.1):
                started = time.perf_counter()
                response = client.post("/admin/reindex", headers=auth, json=["missing.md"])
                seconds.append(time.perf_counter() - started)
            assert response.status_code == 409, response.get_json()
    finally:
        build.writer_lock = real_lock  # type: ignore[assignment]
    return seconds


def summary(seconds: list[float], target: float) -> dict[str, Any]:
    return {
        "n": len(seconds),
        "p50_ms": round(statistics.median(seconds) * 1000, 3),
        "max_ms": round(max(seconds) * 1000, 3),
        "target_ms": target * 1000,
        "met": max(seconds) < target,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchsvc-waits-") as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "seeds", work / "content")
        log("indexing seeds/")
        build_index(work / "content", work / "index", workers=1)
        runs: dict[str, Callable[[Path, int], list[float]]] = {
            "search, query-log writer stuck": search_while_stuck,
            "10 records into a full queue": records_into_full_queue,
            "409 while the writer lock is held": reindex_while_locked,
        }
        results = {}
        for name, run in runs.items():
            log(name)
            results[name] = summary(run(work, args.repeat), TARGETS[name])
    print(f"waits over {args.repeat} runs each (the lock wait is {LOCK_WAIT:g} s)")
    for name, r in results.items():
        mark = "ok" if r["met"] else "MISSED"
        print(
            f"  {name:<36} p50 {r['p50_ms']:9.3f} ms  max {r['max_ms']:9.3f} ms"
            f"  target < {r['target_ms']:g} ms  {mark}"
        )
    save_json(args.json, {"waits": results})
    if args.check and not all(r["met"] for r in results.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
