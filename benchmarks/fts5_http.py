"""The FTS5 reference's job as JSON over HTTP, served by gunicorn as `searchsvc serve` is.

    python -m benchmarks.fts5_http --db FTS5.sqlite3 --port 8001 --workers 2

``GET /search`` takes the logical query already written as an FTS5 MATCH expression
(``match``; empty means every article) and the filters with the contract's names (``tag``
and ``category``, repeatable, ``from``, ``to``), ``sort``, ``page`` and ``per_page``, and
answers what ``Fts5Reference.search`` computes, in the shape of searchsvc's /api/search:
``total``, ``hits`` (stored fields, score, highlights) and the five ``facets``.
``GET /healthz`` answers ``{"status": "ok", "documents": N}``.

The database is built beforehand (benchmarks/http_bench.py builds it); each request thread
opens its own connection to it. The gunicorn settings are those of `searchsvc serve`: its
worker class (gunicorn's threaded worker, idle connections on the poller), its threads per
worker, its keep-alive time and request line limit. The app is plain WSGI: no framework,
no query log, metrics, ETag or rate limit.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import parse_qs

from benchmarks.fts5ref import FACETS, Fts5Reference

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class MatchQuery:
    """A logical query as it comes over HTTP: its MATCH expression, filters and sort."""

    match: str
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"

    def fts5_match(self) -> str:
        return self.match


class Fts5App:
    """The WSGI app over the database in ``path``, one connection per request thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()

    def reference(self) -> Fts5Reference:
        ref: Fts5Reference | None = getattr(self.local, "ref", None)
        if ref is None:
            ref = Fts5Reference(self.path)
            ref.prepare_search()
            self.local.ref = ref
        return ref

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            documents = self.reference().conn.execute("SELECT COUNT(*) FROM doc").fetchone()[0]
            return _json(start_response, "200 OK", {"status": "ok", "documents": documents})
        if path != "/search":
            return _json(start_response, "404 Not Found", {"error": {"code": "not_found"}})
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            page = int(_one(params, "page") or 1)
            per_page = int(_one(params, "per_page") or 10)
            sort = _one(params, "sort") or "relevance"
            if not (page >= 1 and 1 <= per_page <= 50 and sort in ("relevance", "newest")):
                raise ValueError("bad page, per_page or sort")
        except ValueError as error:
            body = {"error": {"code": "bad_request", "message": str(error)}}
            return _json(start_response, "400 Bad Request", body)
        query = MatchQuery(
            match=_one(params, "match") or "",
            tags=tuple(params.get("tag", ())),
            categories=tuple(params.get("category", ())),
            date_from=_one(params, "from"),
            date_to=_one(params, "to"),
            sort=sort,
        )
        start = perf_counter()
        results = self.reference().search(query, page=page, per_page=per_page)
        body = {
            "query": query.match,
            "total": results.total,
            "page": page,
            "per_page": per_page,
            "took_ms": round((perf_counter() - start) * 1000.0, 2),
            "hits": [asdict(hit) for hit in results.hits],
            "facets": {name: [_facet_value(v) for v in results.facets[name]] for name in FACETS},
        }
        return _json(start_response, "200 OK", body)


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _facet_value(value: Any) -> dict[str, Any]:
    out = {"value": value.value, "count": value.count}
    if value.label is not None:
        out["label"] = value.label
    return out


def _json(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(len(data))),
    ]
    start_response(status, headers)
    return [data]


def serve(db: Path, host: str, port: int, workers: int) -> None:
    """gunicorn with `searchsvc serve`'s settings over ``db``, until stopped."""
    from gunicorn.app.base import BaseApplication

    from searchsvc.server import (
        KEEPALIVE_SECONDS,
        REQUEST_LINE_LIMIT,
        THREADS,
        SearchsvcWorker,
    )

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": SearchsvcWorker,
        "threads": THREADS,
        "keepalive": KEEPALIVE_SECONDS,
        "limit_request_line": REQUEST_LINE_LIMIT,
        "timeout": 120,
        "graceful_timeout": 10,
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return Fts5App(db)

    Server().run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a built FTS5 reference database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.db.is_file():
        parser.error(f"no database at {args.db}")
    serve(args.db, args.host, args.port, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
