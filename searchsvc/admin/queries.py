"""GET /admin/queries: recent, top, zero-result and slow searches over a time window,
read from the query log (searchsvc/web/querylog.py) with pure functions over a connection.

Under /admin, so the admin gate (searchsvc.admin.auth) protects it like every admin URL.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from typing import Any

from flask import Blueprint, current_app, request

from searchsvc.admin import schemas
from searchsvc.errors import BadParameter
from searchsvc.web.args import read_args
from searchsvc.web.querydb import iso, open_existing
from searchsvc.web.querylog import log_of
from searchsvc.web.spec import Operation, Param, Reply, describe

bp = Blueprint("admin_queries", __name__, url_prefix="/admin")

UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_WINDOW = 366 * 86400
WINDOW = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")
MAX_LIMIT = 200
PARAMS = (
    Param(
        "window",
        "How far back: a number and a unit, m, h, d or w (1h, 24h, 7d, 30d), at most 366d.",
        default="24h",
        example="7d",
    ),
    Param(
        "limit",
        "Rows at most in each list.",
        type="integer",
        default=20,
        minimum=1,
        maximum=MAX_LIMIT,
        count=True,
    ),
)


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
@describe(
    Operation(
        "What readers searched for",
        Reply("Recent, top, zero-result and slow searches.", schemas.QUERIES),
        description="From the query log (no IP addresses); empty lists when the log is off.",
        params=PARAMS,
        admin=True,
        tag="admin",
    )
)
def queries() -> dict[str, Any]:
    v = read_args(request.args, PARAMS)
    window, limit = v["window"], v["limit"]
    seconds = parse_window(window)
    since = time.time() - seconds
    querylog = log_of(current_app)
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
