"""The query log: what /api/search records, off the request path, and GET /admin/queries.

Apps here run over a copy of the session's seed index in tmp_path, so the log they write
(INDEX_DIR/querylog.sqlite3) is theirs alone. Each test closes the logs it opened.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from searchsvc import create_app
from searchsvc.admin import queries
from searchsvc.settings import load_settings
from searchsvc.web import querydb, querylog
from searchsvc.web.querydb import DB_NAME, connect
from searchsvc.web.querylog import EXTENSION, QueryLog
from tests.conftest import AUTH, SEEDS, TOKEN

COLUMNS = {
    "id",
    "ts",
    "ts_unix",
    "q",
    "q_norm",
    "match",
    "sort",
    "page",
    "filters",
    "total",
    "took_ms",
    "relaxed",
    "generation",
}
BODY_KEYS = {
    "enabled",
    "window",
    "since",
    "total_searches",
    "recent",
    "top",
    "zero_results",
    "slow",
}
NO_FILTERS = {"tags": [], "categories": [], "authors": [], "tickers": [], "from": None, "to": None}


@pytest.fixture(autouse=True)
def _no_query_log_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QUERY_LOG", "QUERY_LOG_MAX_ROWS"):
        monkeypatch.delenv(f"SEARCHSVC_{name}", raising=False)


@pytest.fixture
def index_dir(seed_index: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index (without any query log other tests wrote)."""
    target = tmp_path / "index"
    shutil.copytree(seed_index, target, ignore=shutil.ignore_patterns(f"{DB_NAME}*"))
    return target


@pytest.fixture
def make_app(index_dir: Path) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        settings = {
            "INDEX_DIR": index_dir,
            "CONTENT_DIR": SEEDS,
            "ADMIN_TOKEN": TOKEN,
            "TESTING": True,
            **config,
        }
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        assert app.extensions[EXTENSION].close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def new_log(tmp_path: Path) -> Iterator[Callable[..., QueryLog]]:
    logs: list[QueryLog] = []

    def make(path: Path | None = None, **options: Any) -> QueryLog:
        found = QueryLog(path or tmp_path / DB_NAME, **options)
        logs.append(found)
        return found

    yield make
    for found in logs:
        found.close()


def log_of(app: Flask) -> QueryLog:
    found: QueryLog = app.extensions[EXTENSION]
    return found


def rows(path: Path) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM queries ORDER BY id")]


def entry(q: str, *, ago: float = 0.0, total: int = 5, took_ms: float = 1.0) -> dict[str, Any]:
    return {"ts": time.time() - ago, "q": q, "total": total, "took_ms": took_ms}


# --- what a search records --------------------------------------------------------------


RECORDED = [
    ("nvidia", {"q": "nvidia"}, {}),
    (
        "every field and filter",
        {
            "q": "  Chip   Stocks ",
            "match": "any",
            "sort": "newest",
            "page": "2",
            "per_page": "5",
            "tag": ["TSMC", "Chips"],
            "category": "Markets",
            "author": "Jane Doe",
            "ticker": "NVDA",
            "from": "2025-01-01",
            "to": "2025-12-31",
        },
        {
            "match": "any",
            "sort": "newest",
            "page": 2,
            "q_norm": "chip stocks",
            "filters": {
                "tags": ["TSMC", "Chips"],
                "categories": ["Markets"],
                "authors": ["Jane Doe"],
                "tickers": ["NVDA"],
                "from": "2025-01-01",
                "to": "2025-12-31",
            },
        },
    ),
    ("empty query browses", {}, {"q": "", "q_norm": ""}),
    ("nothing found", {"q": "zzqxvbnm"}, {"total": 0}),
]


@pytest.mark.parametrize(("name", "args", "expected"), RECORDED, ids=[r[0] for r in RECORDED])
def test_a_search_is_recorded_with_its_fields(
    app: Flask, index_dir: Path, name: str, args: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = app.test_client().get("/api/search", query_string=args)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert log_of(app).flush()
    [row] = rows(index_dir / DB_NAME)
    assert set(row) == COLUMNS
    want = {
        "q": args.get("q", ""),
        "q_norm": args.get("q", "").strip().casefold(),
        "match": "all",
        "sort": "relevance",
        "page": 1,
        "filters": NO_FILTERS,
        "total": body["total"],
        "took_ms": body["took_ms"],
        "relaxed": int(body["relaxed"]),
        "generation": body["generation"],
    } | expected
    got = {k: json.loads(v) if k == "filters" else v for k, v in row.items() if k in want}
    assert got == want
    assert abs(row["ts_unix"] - time.time()) < 60
    assert row["ts"] == querydb.iso(row["ts_unix"])
    assert row["ts"].endswith("Z") and len(row["ts"]) == len("2025-10-02T12:34:56Z")


@pytest.mark.parametrize(
    "args",
    [{"page": "0"}, {"sort": "sideways"}, {"from": "2025-13-01"}, {"q": "x" * 513}],
    ids=["page", "sort", "from", "long-q"],
)
def test_a_failed_search_is_not_recorded(app: Flask, index_dir: Path, args: dict[str, str]) -> None:
    assert app.test_client().get("/api/search", query_string=args).status_code == 400
    assert log_of(app).flush()
    assert not (index_dir / DB_NAME).exists()


def test_no_ip_address_user_agent_or_cookie_is_stored(app: Flask, index_dir: Path) -> None:
    client = app.test_client()
    client.set_cookie("session", "cookie-value-8c1f")
    response = client.get(
        "/api/search?q=nvidia",
        headers={
            "User-Agent": "agent-string-77e2",
            "X-Forwarded-For": "198.51.100.23",
            "X-Real-IP": "198.51.100.24",
            "Referer": "https://referrer.example/secret-page",
        },
        environ_base={"REMOTE_ADDR": "203.0.113.99"},
    )
    assert response.status_code == 200
    assert log_of(app).flush()
    with closing(sqlite3.connect(index_dir / DB_NAME)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        columns = {r[1] for r in conn.execute("PRAGMA table_info(queries)")}
        dump = "\n".join(conn.iterdump())
    assert tables == ["queries"]
    assert columns == COLUMNS
    assert "nvidia" in dump
    for secret in ("198.51.100.", "203.0.113.", "agent-string", "cookie-value", "referrer"):
        assert secret not in dump


# --- off the request path ---------------------------------------------------------------


def blocked_writer(monkeypatch: pytest.MonkeyPatch, found: QueryLog) -> tuple[Any, Any]:
    """Make found's writer wait inside its first write until `release` is set."""
    entered, release = threading.Event(), threading.Event()
    write = found._write_batch

    def slow_write(conn: sqlite3.Connection, entries: list[Any]) -> None:
        entered.set()
        release.wait(30)
        write(conn, entries)

    monkeypatch.setattr(found, "_write_batch", slow_write)
    return entered, release


def test_a_search_does_not_wait_for_the_writer(
    app: Flask, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    assert client.get("/api/search?q=warm").status_code == 200  # index opened, log created
    assert log_of(app).flush()
    entered, release = blocked_writer(monkeypatch, log_of(app))
    response = client.get("/api/search?q=nvidia")
    assert response.status_code == 200
    assert entered.wait(10)  # the writer holds the entry ...
    assert not release.is_set()  # ... and is still stuck, yet the search has answered
    # (how long that search took: python -m benchmarks.waits)
    assert [r["q"] for r in rows(index_dir / DB_NAME)] == ["warm"]
    release.set()
    assert log_of(app).flush()
    assert [r["q"] for r in rows(index_dir / DB_NAME)] == ["warm", "nvidia"]


def test_a_full_queue_drops_entries_instead_of_blocking(
    new_log: Callable[..., QueryLog], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    found = new_log(queue_size=3)
    entered, release = blocked_writer(monkeypatch, found)
    found.record(entry("first"))
    assert entered.wait(10)  # the writer took "first" off the queue and is stuck
    for i in range(10):
        found.record(entry(f"q{i}"))  # (how long these take: python -m benchmarks.waits)
    assert found.dropped == 7
    release.set()
    assert found.flush()
    assert [r["q"] for r in rows(tmp_path / DB_NAME)] == ["first", "q0", "q1", "q2"]


def test_the_writer_survives_bad_entries_and_write_errors(
    new_log: Callable[..., QueryLog], tmp_path: Path
) -> None:
    found = new_log()
    found.record({"q": "bad", "page": "not a number"})
    found.record(entry("good"))
    assert found.flush()
    assert [r["q"] for r in rows(tmp_path / DB_NAME)] == ["good"]
    assert (found.failed, found.written) == (1, 1)

    (tmp_path / "a-file").write_text("x")
    broken = new_log(tmp_path / "a-file" / DB_NAME)  # its folder cannot be made
    broken.record(entry("lost"))
    assert broken.flush()
    assert broken.failed == 1
    broken.record(entry("lost too"))  # the writer is still there, still not raising
    assert broken.flush()
    assert broken.failed == 2


def test_an_idle_writer_stops_and_the_next_search_starts_another(
    new_log: Callable[..., QueryLog], tmp_path: Path
) -> None:
    found = new_log(idle_seconds=0.02)
    for round_ in range(3):
        found.record(entry(f"round {round_}"))
        assert found.flush()
        deadline = time.monotonic() + 5
        while found._thread is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert found._thread is None
    assert [r["q"] for r in rows(tmp_path / DB_NAME)] == ["round 0", "round 1", "round 2"]


def test_close_writes_what_is_queued_then_ignores_records(
    new_log: Callable[..., QueryLog], tmp_path: Path
) -> None:
    found = new_log()
    for i in range(100):
        found.record(entry(f"q{i}"))
    assert found.close()
    found.record(entry("after close"))
    assert found.flush()
    assert len(rows(tmp_path / DB_NAME)) == 100


def test_a_new_process_gets_its_own_queue_and_writer(
    new_log: Callable[..., QueryLog], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    found = new_log()
    found.record(entry("parent"))
    assert found.flush()
    old_queue = found._queue
    monkeypatch.setattr(querylog.os, "getpid", lambda: -1)  # as in a forked worker
    found.record(entry("child"))
    assert found._queue is not old_queue and found._pid == -1
    assert found.flush()
    assert [r["q"] for r in rows(tmp_path / DB_NAME)] == ["parent", "child"]


# --- owned by the app ------------------------------------------------------------------

REGISTRATIONS = """
import atexit, os
import flask, queue, sqlite3, threading  # what the module needs; their own hooks are not its
calls = []
atexit.register = lambda *args, **kwargs: calls.append("atexit")
os.register_at_fork = lambda **kwargs: calls.append("register_at_fork")
import searchsvc.web.querylog
print(calls)
"""


def test_importing_the_module_registers_no_process_hooks() -> None:
    """The logs belong to their apps: no registry, atexit or fork hook at import time."""
    found = subprocess.run(
        [sys.executable, "-c", REGISTRATIONS], capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"


def test_two_apps_keep_separate_logs_and_close_alone(
    make_app: Callable[..., Flask], seed_index: Path, index_dir: Path, tmp_path: Path
) -> None:
    other_dir = tmp_path / "other-index"
    shutil.copytree(seed_index, other_dir, ignore=shutil.ignore_patterns(f"{DB_NAME}*"))
    first, second = make_app(), make_app(INDEX_DIR=other_dir)
    assert log_of(first) is not log_of(second)
    assert first.test_client().get("/api/search?q=nvidia").status_code == 200
    assert second.test_client().get("/api/search?q=tsmc").status_code == 200
    assert log_of(first).flush() and log_of(second).flush()
    assert [r["q"] for r in rows(index_dir / DB_NAME)] == ["nvidia"]
    assert [r["q"] for r in rows(other_dir / DB_NAME)] == ["tsmc"]

    assert querylog.close_app(first)  # as a process's end does: the other app is not touched
    assert first.test_client().get("/api/search?q=after").status_code == 200
    assert second.test_client().get("/api/search?q=still").status_code == 200
    assert log_of(first).flush() and log_of(second).flush()
    assert [r["q"] for r in rows(index_dir / DB_NAME)] == ["nvidia"]
    assert [r["q"] for r in rows(other_dir / DB_NAME)] == ["tsmc", "still"]


def test_close_app_writes_what_is_queued(make_app: Callable[..., Flask], index_dir: Path) -> None:
    app = make_app()
    for i in range(50):
        log_of(app).record(entry(f"q{i}"))
    assert querylog.close_app(app)
    assert len(rows(index_dir / DB_NAME)) == 50
    assert querylog.close_app(Flask("no-query-log"))  # an app without a log: nothing to do


# --- bounded size -----------------------------------------------------------------------


@pytest.mark.parametrize(("max_rows", "searches"), [(1, 5), (10, 10), (50, 300), (1000, 2500)])
def test_the_log_keeps_at_most_max_rows(
    new_log: Callable[..., QueryLog], tmp_path: Path, max_rows: int, searches: int
) -> None:
    found = new_log(max_rows=max_rows, batch_size=7)
    for i in range(searches):
        found.record(entry(f"q{i}"))
    assert found.flush()
    kept = [r["q"] for r in rows(tmp_path / DB_NAME)]
    # pruned every prune_every inserts: never more than that over the cap
    assert min(searches, max_rows) <= len(kept) < max_rows + found.prune_every
    assert kept == [f"q{i}" for i in range(searches - len(kept), searches)]  # the newest
    with closing(querydb.connect(tmp_path / DB_NAME)) as conn:
        querydb.prune(conn, max_rows)
    assert len(rows(tmp_path / DB_NAME)) == min(searches, max_rows)


def test_the_cap_comes_from_settings(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHSVC_QUERY_LOG_MAX_ROWS", "250")
    assert log_of(make_app()).max_rows == 250
    assert log_of(make_app(QUERY_LOG_MAX_ROWS=20)).max_rows == 20
    assert log_of(make_app(QUERY_LOG_MAX_ROWS=20)).prune_every == 2
    assert load_settings()["QUERY_LOG_MAX_ROWS"] == 250
    monkeypatch.delenv("SEARCHSVC_QUERY_LOG_MAX_ROWS")
    assert load_settings()["QUERY_LOG_MAX_ROWS"] == 100_000


# --- several writers --------------------------------------------------------------------


def test_writers_opening_a_new_file_at_once_all_connect(tmp_path: Path) -> None:
    # two workers' first searches: one switching the new file to WAL made the other's
    # switch fail at once with "database is locked" (in about one round in twelve)
    for trial in range(40):
        path = tmp_path / f"{trial}.sqlite3"
        errors: list[Exception] = []

        def open_writer(path: Path = path, errors: list[Exception] = errors) -> None:
            try:
                connect(path).close()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_writer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []


def test_two_workers_writing_one_file_lose_nothing(
    new_log: Callable[..., QueryLog], tmp_path: Path
) -> None:
    workers = [new_log(batch_size=5), new_log(batch_size=5)]  # one file, two writers

    def search(worker: QueryLog, thread: int) -> None:
        for i in range(300):
            worker.record(entry(f"w{id(worker)}-t{thread}-{i}"))

    threads = [
        threading.Thread(target=search, args=(worker, t)) for worker in workers for t in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(worker.flush(30) for worker in workers)
    assert sum(w.dropped for w in workers) == sum(w.failed for w in workers) == 0
    qs = [r["q"] for r in rows(tmp_path / DB_NAME)]
    assert len(qs) == len(set(qs)) == 4 * 300


# Forked from a fresh process, as gunicorn forks from its single-threaded master: forking
# pytest itself would copy whatever locks the threads of earlier tests held at that instant
# (a child of the CI run once hung on one, and its log timed out).
FORKING_MASTER = """
import os, sys, time
from pathlib import Path
from searchsvc.web.querylog import QueryLog

found = QueryLog(Path(sys.argv[1]))  # made before the fork, as by create_app when preloading
children = []
for worker in range(3):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for i in range(200):
                found.record({"ts": time.time(), "q": f"worker {worker} search {i}"})
            code = 0 if found.close(20) and found.written == 200 else 2
        finally:
            os._exit(code)
    children.append(pid)
found.record({"ts": time.time(), "q": "master"})
statuses = [os.waitpid(pid, 0)[1] for pid in children]
print(statuses, found.close(20))
"""


def test_forked_workers_each_write_to_the_shared_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FORKING_MASTER, str(tmp_path / DB_NAME)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "[0, 0, 0] True"), done.stderr
    qs = [r["q"] for r in rows(tmp_path / DB_NAME)]
    assert len(qs) == len(set(qs)) == 3 * 200 + 1


# --- disabled ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "enabled"),
    [
        ("0", False),
        ("false", False),
        ("off", False),
        (" OFF ", False),
        ("no", False),
        ("1", True),
        ("true", True),
        ("on", True),
        (None, True),
    ],
)
def test_query_log_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, enabled: bool
) -> None:
    if value is not None:
        monkeypatch.setenv("SEARCHSVC_QUERY_LOG", value)
    assert load_settings()["QUERY_LOG"] is enabled
    assert load_settings({"QUERY_LOG": False})["QUERY_LOG"] is False


@pytest.mark.parametrize("how", ["env", "config"])
def test_a_disabled_log_writes_nothing(
    make_app: Callable[..., Flask], index_dir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "env":
        monkeypatch.setenv("SEARCHSVC_QUERY_LOG", "off")
        app = make_app()
    else:
        app = make_app(QUERY_LOG=False)
    client = app.test_client()
    for q in ("nvidia", "tsmc", "zzqxvbnm"):
        assert client.get("/api/search", query_string={"q": q}).status_code == 200
    assert log_of(app).flush()
    assert not list(index_dir.glob(f"{DB_NAME}*"))
    body = client.get("/admin/queries", headers=AUTH).get_json()
    assert set(body) == BODY_KEYS
    assert body["enabled"] is False
    assert body["total_searches"] == 0
    assert body["recent"] == body["top"] == body["zero_results"] == body["slow"] == []


def test_an_empty_log_answers_and_is_not_created_by_reading(app: Flask, index_dir: Path) -> None:
    response = app.test_client().get("/admin/queries", headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == BODY_KEYS and body["enabled"] is True
    assert (body["window"], body["total_searches"]) == ("24h", 0)
    assert body["recent"] == body["top"] == body["zero_results"] == body["slow"] == []
    assert not list(index_dir.glob(f"{DB_NAME}*"))


# --- GET /admin/queries -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong"}, 401, "unauthorized"),
        ({"Authorization": TOKEN}, 401, "unauthorized"),
        (AUTH, 200, None),
    ],
    ids=["none", "wrong", "malformed", "valid"],
)
def test_admin_queries_needs_the_token(
    app: Flask, headers: dict[str, str], status: int, code: str | None
) -> None:
    response = app.test_client().get("/admin/queries", headers=headers)
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"
    if code:
        assert response.get_json() == {
            "error": {"code": code, "message": response.json["error"]["message"]}
        }
        assert "WWW-Authenticate" in response.headers


def test_admin_queries_is_off_without_an_admin_token(make_app: Callable[..., Flask]) -> None:
    response = make_app(ADMIN_TOKEN=None).test_client().get("/admin/queries")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "admin_disabled"


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ({}, 200),
        ({"window": "1h"}, 200),
        ({"window": "24h"}, 200),
        ({"window": "7d"}, 200),
        ({"window": "30d"}, 200),
        ({"window": "90m"}, 200),
        ({"window": "2w"}, 200),
        ({"window": "366d"}, 200),
        ({"window": ""}, 200),
        ({"limit": "1"}, 200),
        ({"limit": "200"}, 200),
        ({"window": "0h"}, 400),
        ({"window": "24"}, 400),
        ({"window": "h"}, 400),
        ({"window": "5y"}, 400),
        ({"window": "-1d"}, 400),
        ({"window": "1.5h"}, 400),
        ({"window": "367d"}, 400),
        ({"window": "9999999d"}, 400),
        ({"window": "yesterday"}, 400),
        ({"limit": "0"}, 400),
        ({"limit": "201"}, 400),
        ({"limit": "-3"}, 400),
        ({"limit": "ten"}, 400),
        ({"limit": "2.5"}, 400),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else str(v),
)
def test_admin_queries_parameters(app: Flask, args: dict[str, str], status: int) -> None:
    response = app.test_client().get("/admin/queries", query_string=args, headers=AUTH)
    assert response.status_code == status
    body = response.get_json()
    if status == 400:
        assert body["error"]["code"] == "bad_parameter"
        assert list(args)[0] in body["error"]["message"]
    else:
        assert set(body) == BODY_KEYS
        assert body["window"] == (args.get("window") or "24h")


WINDOWED = [  # (query, hours ago)
    ("just now", 0.0),
    ("half an hour ago", 0.5),
    ("three hours ago", 3),
    ("two days ago", 48),
    ("ten days ago", 240),
    ("sixty days ago", 1440),
]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("1h", ["just now", "half an hour ago"]),
        ("24h", ["just now", "half an hour ago", "three hours ago"]),
        ("7d", ["just now", "half an hour ago", "three hours ago", "two days ago"]),
        ("30d", [q for q, _ in WINDOWED[:-1]]),
        ("90d", [q for q, _ in WINDOWED]),
    ],
)
def test_the_window_picks_the_searches(app: Flask, window: str, expected: list[str]) -> None:
    for q, hours in WINDOWED:
        log_of(app).record(entry(q, ago=hours * 3600, took_ms=hours))
    assert log_of(app).flush()
    body = app.test_client().get(f"/admin/queries?window={window}", headers=AUTH).get_json()
    assert body["total_searches"] == len(expected)
    assert [r["q"] for r in body["recent"]] == expected  # newest first
    assert sorted(r["query"] for r in body["top"]) == sorted(expected)
    assert [r["q"] for r in body["slow"]] == expected[::-1]  # took_ms grows with age here
    since = body["since"]
    assert all(r["ts"] >= since for r in body["recent"])


SEARCHES = [  # q, total, took_ms, minutes ago
    ("NVIDIA earnings", 12, 3.0, 50),
    ("nvidia   Earnings", 10, 4.0, 40),
    ("nvidia earnings ", 8, 2.0, 5),
    ("tsmc", 0, 1.0, 30),
    ("TSMC", 0, 9.0, 20),
    ("tsmc", 6, 1.5, 10),
    ("qqq zero", 0, 250.0, 15),
    ("alibaba", 3, 7.0, 1),
]


@pytest.fixture
def searches(new_log: Callable[..., QueryLog], tmp_path: Path) -> Iterator[sqlite3.Connection]:
    found = new_log()
    for q, total, took_ms, minutes in SEARCHES:
        found.record(entry(q, total=total, took_ms=took_ms, ago=minutes * 60))
    assert found.flush()
    with closing(sqlite3.connect(tmp_path / DB_NAME)) as conn:
        yield conn


def test_top_groups_normalized_queries_most_frequent_first(searches: sqlite3.Connection) -> None:
    since = time.time() - 3600
    top = queries.top(searches, since, 10)
    assert [(r["query"], r["count"], r["avg_total"], r["zero_results"]) for r in top] == [
        ("nvidia earnings", 3, 10.0, 0),
        ("tsmc", 3, 2.0, 2),  # ties broken by the latest search: nvidia's was 5 min ago
        ("alibaba", 1, 3.0, 0),
        ("qqq zero", 1, 0.0, 1),
    ]
    assert [r["query"] for r in queries.top(searches, since, 2)] == ["nvidia earnings", "tsmc"]
    assert [r["query"] for r in queries.top(searches, time.time() - 12 * 60, 10)] == [
        "alibaba",
        "nvidia earnings",
        "tsmc",
    ]


def test_zero_results_groups_queries_that_found_nothing(searches: sqlite3.Connection) -> None:
    since = time.time() - 3600
    assert [(r["query"], r["count"]) for r in queries.zero_results(searches, since, 10)] == [
        ("tsmc", 2),
        ("qqq zero", 1),
    ]
    assert queries.zero_results(searches, time.time() - 60, 10) == []


def test_slow_lists_the_slowest_single_searches(searches: sqlite3.Connection) -> None:
    slow = queries.slow(searches, time.time() - 3600, 3)
    assert [(r["q"], r["took_ms"]) for r in slow] == [
        ("qqq zero", 250.0),
        ("TSMC", 9.0),
        ("alibaba", 7.0),
    ]
    assert slow[0]["filters"] == NO_FILTERS and slow[0]["total"] == 0


def test_recent_lists_the_latest_searches(searches: sqlite3.Connection) -> None:
    assert [r["q"] for r in queries.recent(searches, 3)] == [
        "alibaba",
        "nvidia earnings ",
        "tsmc",
    ]
    assert queries.count(searches) == len(SEARCHES)
    assert queries.count(searches, time.time() - 12 * 60) == 3


def test_admin_queries_end_to_end(app: Flask) -> None:
    client = app.test_client()
    for q in ("NVIDIA", "nvidia", "zzqxvbnm", "Zzqxvbnm", "tsmc"):
        assert client.get("/api/search", query_string={"q": q}).status_code == 200
    assert log_of(app).flush()
    body = client.get("/admin/queries?limit=2", headers=AUTH).get_json()
    assert body["enabled"] is True and body["total_searches"] == 5
    assert [r["q"] for r in body["recent"]] == ["tsmc", "Zzqxvbnm"]
    assert [(r["query"], r["count"]) for r in body["top"]] == [("zzqxvbnm", 2), ("nvidia", 2)]
    assert body["top"][1]["avg_total"] > 0 and body["top"][1]["zero_results"] == 0
    assert [(r["query"], r["count"]) for r in body["zero_results"]] == [("zzqxvbnm", 2)]
    assert len(body["slow"]) == 2
    assert body["slow"][0]["took_ms"] >= body["slow"][1]["took_ms"]
