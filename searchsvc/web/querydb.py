"""The query log's SQLite file: its table, how an entry becomes a row, and connections
for the writers (web/querylog.py, one per process) and the reader (admin/queries.py).

    index/querylog.sqlite3   (+ -wal, -shm)   one row per search; no IP, user agent or cookie
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DB_NAME = "querylog.sqlite3"
BUSY_MS = 5_000
FILTER_KEYS = ("tags", "categories", "authors", "tickers")

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


def normalize(q: str) -> str:
    """The form queries are grouped by: casefolded, runs of whitespace made one space."""
    return " ".join(q.casefold().split())


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def row_of(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    """One entry (see querylog.entry_for) as the values of INSERT."""
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


def connect(path: Path) -> sqlite3.Connection:
    """A writer's connection: creates the file and table if need be (autocommit mode;
    callers BEGIN IMMEDIATE ... COMMIT themselves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")  # durable enough for a log, in WAL mode
        conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}COMMIT;")
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    # SQLite answers "database is locked" at once, without its busy handler, when another
    # connection is switching the same new file to WAL: two workers' first searches.
    deadline = time.monotonic() + BUSY_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


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
