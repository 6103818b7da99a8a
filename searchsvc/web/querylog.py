"""The query log: every successful search, kept in SQLite beside the index.

    index/querylog.sqlite3   (+ -wal, -shm)   one row per search; no IP, user agent or cookie

A request only builds a small dict and puts it on a bounded in-memory queue
(`QueryLog.record`); when the queue is full the entry is dropped and counted, so a slow
disk never slows a search. A daemon thread per process writes what is queued in batches,
one transaction per batch. Several gunicorn workers write the same file, each with its own
connection (WAL mode, busy timeout; SQLite's locking orders them). The table keeps at most
QUERY_LOG_MAX_ROWS rows: every so often the writer deletes the oldest beyond the cap.

Fork safety: the writer thread is started lazily, on the first record in the current
process (and stops again after a while with nothing to write), so a log created before
gunicorn forks its workers works in each of them.

`GET /admin/queries` (this module's blueprint, behind the admin gate like every /admin/
URL) reads recent, top, zero-result and slow searches over a time window.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, request

from searchsvc.errors import BadParameter
from searchsvc.web.args import count_arg

if TYPE_CHECKING:
    from flask import Flask

    from searchsvc.query.results import SearchResults

DB_NAME = "querylog.sqlite3"
EXTENSION = "searchsvc_querylog"
DEFAULT_MAX_ROWS = 100_000
QUEUE_SIZE = 10_000
BATCH_SIZE = 1_000
PRUNE_EVERY = 500  # inserts (per process) between two deletes of rows beyond the cap
IDLE_SECONDS = 5.0  # the writer thread closes its connection and ends after this long idle
BUSY_MS = 5_000
FILTER_KEYS = ("tags", "categories", "authors", "tickers")

log = logging.getLogger("searchsvc")

SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    id         INTEGER PRIMARY KEY,
    ts         TEXT    NOT NULL,  -- UTC, ISO 8601 to the second: 2025-10-02T12:34:56Z
    ts_unix    REAL    NOT NULL,  -- the same instant, for windows
    q          TEXT    NOT NULL,
    q_norm     TEXT    NOT NULL,  -- casefolded, whitespace collapsed: what top() groups by
    match      TEXT    NOT NULL,
    sort       TEXT    NOT NULL,
    page       INTEGER NOT NULL,
    filters    TEXT    NOT NULL,  -- JSON: tags, categories, authors, tickers, from, to
    total      INTEGER NOT NULL,
    took_ms    REAL    NOT NULL,
    relaxed    INTEGER NOT NULL,
    generation INTEGER
);
CREATE INDEX IF NOT EXISTS queries_ts ON queries (ts_unix);
"""
COLUMNS = "ts, ts_unix, q, q_norm, match, sort, page, filters, total, took_ms, relaxed, generation"
INSERT = f"INSERT INTO queries ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

_STOP = object()  # put on the queue by close(): the writer ends after what came before it


def normalize(q: str) -> str:
    """The form queries are grouped by: casefolded, runs of whitespace made one space."""
    return " ".join(q.casefold().split())


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_for(results: SearchResults) -> dict[str, Any]:
    """What record() takes for one search: scalars and the request's (immutable) tuples."""
    r = results.request
    return {
        "ts": time.time(),
        "q": r.q,
        "match": r.match,
        "sort": r.sort,
        "page": r.page,
        "tags": r.tags,
        "categories": r.categories,
        "authors": r.authors,
        "tickers": r.tickers,
        "from": r.date_from,
        "to": r.date_to,
        "total": results.total,
        "took_ms": results.took_ms,
        "relaxed": results.relaxed,
        "generation": results.generation,
    }


def _row(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    ts = float(entry.get("ts") or time.time())
    q = str(entry.get("q") or "")
    filters: dict[str, Any] = {k: [str(v) for v in entry.get(k) or ()] for k in FILTER_KEYS}
    filters["from"] = entry.get("from")
    filters["to"] = entry.get("to")
    generation = entry.get("generation")
    return (
        iso(ts),
        ts,
        q,
        normalize(q),
        str(entry.get("match") or "all"),
        str(entry.get("sort") or "relevance"),
        int(entry.get("page") or 1),
        json.dumps(filters, ensure_ascii=False),
        int(entry.get("total") or 0),
        float(entry.get("took_ms") or 0.0),
        int(bool(entry.get("relaxed"))),
        None if generation is None else int(generation),
    )


# --- connections ----------------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    """A writer's connection: creates the file and table if need be (autocommit mode;
    callers BEGIN IMMEDIATE ... COMMIT themselves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # durable enough for a log, in WAL mode
        conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}COMMIT;")
    except BaseException:
        conn.close()
        raise
    return conn


def open_existing(path: Path) -> sqlite3.Connection | None:
    """A reader's connection to the log, or None when there is none yet (never creates it)."""
    try:
        conn = sqlite3.connect(
            Path(path).resolve().as_uri() + "?mode=rw", uri=True, timeout=BUSY_MS / 1000
        )
    except sqlite3.OperationalError:
        return None
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queries'"
        ).fetchone()
    except BaseException:
        conn.close()
        raise
    if found is None:
        conn.close()
        return None
    return conn


def prune(conn: sqlite3.Connection, max_rows: int) -> int:
    """Delete the oldest rows beyond max_rows; how many went."""
    row = conn.execute(
        "SELECT id FROM queries ORDER BY id DESC LIMIT 1 OFFSET ?", (max_rows,)
    ).fetchone()
    if row is None:
        return 0
    return conn.execute("DELETE FROM queries WHERE id <= ?", (row[0],)).rowcount


# --- reading: pure functions over a connection ----------------------------------------------


def _search_row(row: tuple[Any, ...]) -> dict[str, Any]:
    ts, q, match, sort, page, filters, total, took_ms, relaxed, generation = row
    return {
        "ts": ts,
        "q": q,
        "match": match,
        "sort": sort,
        "page": page,
        "filters": json.loads(filters),
        "total": total,
        "took_ms": took_ms,
        "relaxed": bool(relaxed),
        "generation": generation,
    }


_SEARCH_COLUMNS = "ts, q, match, sort, page, filters, total, took_ms, relaxed, generation"


def count(conn: sqlite3.Connection, since: float | None = None) -> int:
    """Searches logged since the unix time ``since`` (all when None)."""
    row = conn.execute(
        "SELECT COUNT(*) FROM queries WHERE ts_unix >= ?",
        (float("-inf") if since is None else since,),
    ).fetchone()
    return int(row[0])


def recent(
    conn: sqlite3.Connection, limit: int = 20, since: float | None = None
) -> list[dict[str, Any]]:
    """The latest searches, newest first."""
    rows = conn.execute(
        f"SELECT {_SEARCH_COLUMNS} FROM queries WHERE ts_unix >= ? "
        "ORDER BY ts_unix DESC, id DESC LIMIT ?",
        (float("-inf") if since is None else since, limit),
    ).fetchall()
    return [_search_row(r) for r in rows]


def top(conn: sqlite3.Connection, since: float, limit: int = 20) -> list[dict[str, Any]]:
    """The most frequent queries (normalized) since ``since``: count, average total,
    how many of them found nothing, and when last seen."""
    rows = conn.execute(
        "SELECT q_norm, COUNT(*), AVG(total), SUM(total = 0), MAX(ts_unix) FROM queries "
        "WHERE ts_unix >= ? GROUP BY q_norm "
        "ORDER BY COUNT(*) DESC, MAX(ts_unix) DESC, q_norm LIMIT ?",
        (since, limit),
    ).fetchall()
    return [
        {
            "query": q,
            "count": n,
            "avg_total": round(avg, 1),
            "zero_results": zero,
            "last_seen": iso(last),
        }
        for q, n, avg, zero, last in rows
    ]


def zero_results(conn: sqlite3.Connection, since: float, limit: int = 20) -> list[dict[str, Any]]:
    """Queries (normalized) that found nothing since ``since``, most frequent first."""
    rows = conn.execute(
        "SELECT q_norm, COUNT(*), MAX(ts_unix) FROM queries "
        "WHERE ts_unix >= ? AND total = 0 GROUP BY q_norm "
        "ORDER BY COUNT(*) DESC, MAX(ts_unix) DESC, q_norm LIMIT ?",
        (since, limit),
    ).fetchall()
    return [{"query": q, "count": n, "last_seen": iso(last)} for q, n, last in rows]


def slow(conn: sqlite3.Connection, since: float, limit: int = 20) -> list[dict[str, Any]]:
    """The slowest individual searches since ``since``, slowest first."""
    rows = conn.execute(
        f"SELECT {_SEARCH_COLUMNS} FROM queries WHERE ts_unix >= ? "
        "ORDER BY took_ms DESC, id DESC LIMIT ?",
        (since, limit),
    ).fetchall()
    return [_search_row(r) for r in rows]


# --- writing --------------------------------------------------------------------------------

_LIVE: weakref.WeakSet[QueryLog] = weakref.WeakSet()


class QueryLog:
    """One process's writer to the query log at ``path``."""

    def __init__(
        self,
        path: Path,
        *,
        enabled: bool = True,
        max_rows: int = DEFAULT_MAX_ROWS,
        queue_size: int = QUEUE_SIZE,
        batch_size: int = BATCH_SIZE,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"QUERY_LOG_MAX_ROWS must be 1 or more, not {max_rows}")
        self.path = Path(path)
        self.enabled = enabled
        self.max_rows = max_rows
        self.prune_every = max(1, min(PRUNE_EVERY, max_rows // 10))
        self.queue_size = queue_size
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self._closed = False
        self._reset()
        _LIVE.add(self)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QueryLog:
        return cls(
            Path(config["INDEX_DIR"]) / DB_NAME,
            enabled=bool(config.get("QUERY_LOG", True)),
            max_rows=int(config.get("QUERY_LOG_MAX_ROWS") or DEFAULT_MAX_ROWS),
        )

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self

    def _reset(self) -> None:
        """Fresh per-process state: in a forked child the parent's thread does not exist,
        and its queue and lock may have been copied mid-use."""
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Any] = queue.Queue(self.queue_size)
        self._thread: threading.Thread | None = None
        self._since_prune = 0
        self.dropped = 0  # entries refused because the queue was full (this process)
        self.failed = 0  # entries lost to a write error (this process)
        self.written = 0  # entries committed (this process)

    # -- the request path --------------------------------------------------------------------

    def record(self, entry: Mapping[str, Any]) -> None:
        """Queue one search for the writer. Never blocks, never raises."""
        if not self.enabled or self._closed:
            return
        try:
            if self._pid != os.getpid():
                self._reset()
            try:
                self._queue.put_nowait(entry)
            except queue.Full:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 10_000 == 0:
                    log.warning("query log: queue full, %d entries dropped so far", self.dropped)
                return
            with self._lock:
                if self._thread is None:
                    self._start_writer()
        except Exception:  # e.g. "can't start new thread": a search must not fail for it
            log.exception("query log: cannot record a search")

    def _start_writer(self) -> None:
        # under self._lock
        thread = threading.Thread(target=self._run, name="searchsvc-querylog", daemon=True)
        thread.start()
        self._thread = thread

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        q = self._queue
        try:
            while True:
                try:
                    first = q.get(timeout=self.idle_seconds)
                except queue.Empty:
                    with self._lock:
                        if q.empty():  # record() starts a new writer for what comes next
                            self._thread = None
                            return
                    continue
                batch = [first]
                while len(batch) < self.batch_size and batch[-1] is not _STOP:
                    try:
                        batch.append(q.get_nowait())
                    except queue.Empty:
                        break
                stop = batch[-1] is _STOP
                entries = batch[:-1] if stop else batch
                try:
                    if entries:
                        if conn is None:
                            conn = connect(self.path)
                        self._write_batch(conn, entries)
                except Exception as exc:
                    self.failed += len(entries)
                    log.warning("query log: %d entries not written: %s", len(entries), exc)
                    if conn is not None:
                        conn.close()
                        conn = None
                finally:
                    for _ in batch:
                        q.task_done()
                if stop:
                    with self._lock:
                        self._thread = None
                    return
        finally:
            if conn is not None:
                conn.close()

    def _write_batch(self, conn: sqlite3.Connection, entries: list[Mapping[str, Any]]) -> None:
        """One transaction: the batch's rows, and the oldest rows beyond the cap every so
        often."""
        rows = []
        for entry in entries:
            try:
                rows.append(_row(entry))
            except (TypeError, ValueError, AttributeError):
                self.failed += 1
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(INSERT, rows)
            self._since_prune += len(rows)
            if self._since_prune >= self.prune_every:
                prune(conn, self.max_rows)
                self._since_prune = 0
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.written += len(rows)

    # -- tests and shutdown ------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (or failed); False on timeout."""
        if self._pid != os.getpid():
            return True  # nothing was recorded in this process
        q = self._queue
        with self._lock:
            if self._thread is None and not q.empty() and not self._closed:
                self._start_writer()
        deadline = time.monotonic() + timeout
        with q.all_tasks_done:
            while q.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                q.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Stop taking entries, write what is queued, end the writer; False on timeout."""
        self._closed = True
        if self._pid != os.getpid():
            return True
        with self._lock:
            thread = self._thread
        if thread is None:
            return True
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return False
        thread.join(timeout)
        return not thread.is_alive()


def _close_all() -> None:
    for querylog in list(_LIVE):
        querylog.close(timeout=2.0)


def _after_fork_in_child() -> None:
    for querylog in list(_LIVE):
        querylog._reset()


atexit.register(_close_all)
os.register_at_fork(after_in_child=_after_fork_in_child)


def init_app(app: Flask) -> QueryLog:
    """Attach a query log built from app.config (QUERY_LOG, QUERY_LOG_MAX_ROWS, INDEX_DIR)."""
    querylog = QueryLog.from_config(app.config)
    querylog.init_app(app)
    return querylog


def record_search(results: SearchResults) -> None:
    """The /api/search hook: queue this search in the current app's log, if it has one."""
    querylog: QueryLog | None = current_app.extensions.get(EXTENSION)
    if querylog is not None and querylog.enabled:
        querylog.record(entry_for(results))


# --- GET /admin/queries ---------------------------------------------------------------------

bp = Blueprint("admin_queries", __name__, url_prefix="/admin")

UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_WINDOW = 366 * 86400
WINDOW = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")
MAX_LIMIT = 200


def parse_window(raw: str) -> int:
    """Seconds in a window such as 1h, 24h, 7d, 30d (m, h, d, w; at most 366 days)."""
    found = WINDOW.match(raw.strip().lower())
    seconds = int(found[1]) * UNITS[found[2]] if found else 0
    if not 0 < seconds <= MAX_WINDOW:
        raise BadParameter(
            f"window must be a number and a unit (m, h, d or w) such as 1h, 24h, 7d or 30d, "
            f"at most 366d; not {raw[:40]!r}"
        )
    return seconds


@bp.get("/queries")
def queries() -> dict[str, Any]:
    window = request.args.get("window", "") or "24h"
    seconds = parse_window(window)
    limit = count_arg(request.args, "limit", 20, MAX_LIMIT)
    since = time.time() - seconds
    querylog: QueryLog | None = current_app.extensions.get(EXTENSION)
    enabled = querylog is not None and querylog.enabled
    body: dict[str, Any] = {
        "enabled": enabled,
        "window": window,
        "since": iso(since),
        "total_searches": 0,
        "recent": [],
        "top": [],
        "zero_results": [],
        "slow": [],
    }
    if querylog is None or not enabled:
        return body
    conn = open_existing(querylog.path)
    if conn is None:
        return body
    try:
        body["total_searches"] = count(conn, since)
        body["recent"] = recent(conn, limit, since)
        body["top"] = top(conn, since, limit)
        body["zero_results"] = zero_results(conn, since, limit)
        body["slow"] = slow(conn, since, limit)
    finally:
        conn.close()
    return body
