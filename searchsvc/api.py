"""The public JSON API: /api/search, /api/articles/<slug>, /healthz."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from searchsvc.errors import BadParameter, IndexNotFound
from searchsvc.layout import read_last_report
from searchsvc.querylog import record_search
from searchsvc.schema import FACET_FIELDS
from searchsvc.search import SearchRequest, results_to_json
from searchsvc.service import service

bp = Blueprint("api", __name__)


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number, not {raw!r}") from None


def _values(name: str) -> tuple[str, ...]:
    """A repeatable filter: ?tag=a&tag=b (empty values ignored)."""
    return tuple(v.strip() for v in request.args.getlist(name) if v.strip())


def search_request_from_args() -> SearchRequest:
    """Validate the query string once, at the edge."""
    facets_arg = request.args.get("facets")
    facets = (
        tuple(FACET_FIELDS)
        if facets_arg is None
        else tuple(f.strip() for f in facets_arg.split(",") if f.strip())
    )
    return SearchRequest(
        q=request.args.get("q", ""),
        match=request.args.get("match", "all"),
        page=_int_arg("page", 1),
        per_page=_int_arg("per_page", 10),
        sort=request.args.get("sort", "relevance"),
        tags=_values("tag"),
        categories=_values("category"),
        authors=_values("author"),
        tickers=_values("ticker"),
        date_from=request.args.get("from") or None,
        date_to=request.args.get("to") or None,
        facets=facets,
        strict=request.args.get("strict", "").lower() in ("1", "true", "yes"),
    )


@bp.get("/api/search")
def search() -> dict[str, Any]:
    results = service().search(search_request_from_args())
    record_search(results)  # queued for a background writer; never waits, never raises
    return results_to_json(results)


@bp.get("/api/articles/<path:slug>")
def article(slug: str) -> dict[str, Any]:
    with service().lease() as gen:
        doc = dict(gen.stored(gen.article_docnum(slug)))
    doc["body_text"] = doc.pop("body")
    doc["author"] = doc["authors"][0] if doc["authors"] else None
    doc["category"] = doc["categories"][0] if doc["categories"] else None
    return doc


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    try:
        with service().lease() as gen:
            # read now: a run with nothing to change makes no new generation
            report = read_last_report(gen.index_dir) or {}
            return {
                "status": "ok",
                "documents": gen.doc_count,
                "index_generation": gen.number,
                "indexed_at": gen.indexed_at,
                "last_reindex_at": report.get("finished_at"),
                "last_reindex_errors": len(report.get("errors", [])),
            }, 200
    except IndexNotFound as exc:
        return {"status": "unavailable", "error": exc.message}, 503
