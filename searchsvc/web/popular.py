"""Popular past searches for /api/suggest: from the query log, searches that found
something, asked at least MIN_SEARCHES times in the last WINDOW_DAYS (so no one reader's
own words are offered to others), re-read at most every REFRESH_SECONDS per process.
Queries typed on the way to another ("nvi" before "nvidia") are left out."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

from flask import Flask, current_app

from searchsvc.web.querydb import open_existing
from searchsvc.web.querylog import log_of

MIN_SEARCHES = 3
WINDOW_DAYS = 30
REFRESH_SECONDS = 60.0
MAX_POPULAR = 500
EXTENSION = "searchsvc.popular"


def read_popular(path: Path, since: float, limit: int = MAX_POPULAR) -> list[tuple[str, int]]:
    """(normalized query, searches) of the searches that found results since ``since``,
    asked MIN_SEARCHES times or more, most asked first."""
    conn = open_existing(path)
    if conn is None:
        return []
    try:
        rows = conn.execute(
            "SELECT q_norm, COUNT(*) FROM queries WHERE ts_unix >= ? AND total > 0 "
            "AND q_norm != '' GROUP BY q_norm HAVING COUNT(*) >= ? "
            "ORDER BY COUNT(*) DESC, q_norm LIMIT ?",
            (since, MIN_SEARCHES, limit),
        ).fetchall()
    except sqlite3.Error:
        return []  # a log being rebuilt: no popular searches this time
    finally:
        conn.close()
    return _whole_queries([(q, int(n)) for q, n in rows])


def _whole_queries(popular: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Without the queries that another popular one starts with: a search box that
    searches as the reader types logs "nvi" on the way to "nvidia", and "nvi" is no
    suggestion."""
    ordered = sorted(q for q, _ in popular)
    cut = {a for a, b in zip(ordered, ordered[1:], strict=False) if b.startswith(a)}
    return [(q, n) for q, n in popular if q not in cut]


class PopularSearches:
    """The app's popular searches, refreshed from its query log at most every
    REFRESH_SECONDS (a suggestion must not wait on SQLite)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._popular: list[tuple[str, int]] = []
        self._fingerprint = _fingerprint_of([])

    def current(self) -> list[tuple[str, int]]:
        if self.path is None:
            return []
        with self._lock:
            now = time.monotonic()
            if now - self._read_at >= REFRESH_SECONDS:
                self._popular = read_popular(self.path, time.time() - WINDOW_DAYS * 86400)
                self._fingerprint = _fingerprint_of(self._popular)
                self._read_at = now
            return self._popular

    def fingerprint(self) -> str:
        """Changes whenever current() does: HTTP caching tells suggestions apart by it."""
        self.current()
        return self._fingerprint


def _fingerprint_of(popular: list[tuple[str, int]]) -> str:
    text = "\n".join(f"{count}\t{query}" for query, count in popular)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def popular_of(app: Flask) -> PopularSearches:
    """The app's PopularSearches (made on first use, from its query log when enabled)."""
    found: PopularSearches | None = app.extensions.get(EXTENSION)
    if found is None:
        querylog = log_of(app)
        path = querylog.path if querylog is not None and querylog.enabled else None
        found = app.extensions.setdefault(EXTENSION, PopularSearches(path))
    return found


def popular_fingerprint() -> str:
    """The current app's popular searches, as a digest (``also`` of web/caching.py)."""
    return popular_of(current_app).fingerprint()
