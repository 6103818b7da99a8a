"""The query log: every successful search, kept in SQLite beside the index.

    index/querylog.sqlite3   (+ -wal, -shm)   one row per search; no IP, user agent or cookie

A request only builds a small dict and puts it on a bounded in-memory queue
(`QueryLog.record`); when the queue is full the entry is dropped and counted, so a slow
disk never slows a search. A daemon thread per process writes what is queued in batches,
one transaction per batch. Several gunicorn workers write the same file, each with its own
connection (WAL mode, busy timeout; SQLite's locking orders them). The table keeps at most
QUERY_LOG_MAX_ROWS rows: every so often the writer deletes the oldest beyond the cap.

The log belongs to its app (``app.extensions``), nothing to this module: whatever ends a
process calls `close_app` to write what is still queued (searchsvc serve's gunicorn
`worker_exit` hook, wsgi.py at exit, tests).

Fork safety: the writer thread is started lazily, on the first record in the current
process (and stops again after a while with nothing to write), and a log used in a process
other than the one that made it starts afresh there, so a log created before gunicorn forks
its workers works in each of them.

The file itself (table, rows, connections) is querydb.py's; `GET /admin/queries`
(searchsvc/admin/queries.py) reads what this module writes.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app

from searchsvc.web.querydb import DB_NAME, INSERT, connect, prune, row_of

if TYPE_CHECKING:
    from flask import Flask

    from searchsvc.query.results import SearchResults

EXTENSION = "searchsvc_querylog"
DEFAULT_MAX_ROWS = 100_000
QUEUE_SIZE = 10_000
BATCH_SIZE = 1_000
PRUNE_EVERY = 500  # inserts (per process) between two deletes of rows beyond the cap
IDLE_SECONDS = 5.0  # the writer thread closes its connection and ends after this long idle

log = logging.getLogger("searchsvc")

_STOP = object()  # put on the queue by close(): the writer ends after what came before it


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


# --- writing --------------------------------------------------------------------------------


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
                rows.append(row_of(entry))
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


def init_app(app: Flask) -> QueryLog:
    """Attach a query log built from app.config (QUERY_LOG, QUERY_LOG_MAX_ROWS, INDEX_DIR)."""
    querylog = QueryLog.from_config(app.config)
    querylog.init_app(app)
    return querylog


def log_of(app: Flask) -> QueryLog | None:
    """The query log of ``app``, None when it has none (see init_app)."""
    found: QueryLog | None = app.extensions.get(EXTENSION)
    return found


def close_app(app: Flask, timeout: float = 2.0) -> bool:
    """Write what ``app``'s log still holds and stop its writer, for the code that ends the
    process; False on timeout. Later records are ignored."""
    querylog = log_of(app)
    return True if querylog is None else querylog.close(timeout)


def record_search(results: SearchResults) -> None:
    """The /api/search hook: queue this search in the current app's log, if it has one."""
    querylog = log_of(current_app)
    if querylog is not None and querylog.enabled:
        querylog.record(entry_for(results))
