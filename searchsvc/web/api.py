"""The public JSON API: /api/search, /api/suggest, /api/articles/<slug>, /healthz."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, request
from werkzeug.datastructures import MultiDict

from searchsvc.errors import BadParameter, IndexNotFound
from searchsvc.indexing.layout import read_last_report
from searchsvc.indexing.schema import FACET_FIELDS, stored_as_article_json
from searchsvc.query.request import MAX_QUERY_LENGTH, TYPOS, SearchRequest
from searchsvc.query.results import results_to_json
from searchsvc.query.suggestions import DEFAULT_LIMIT, MAX_LIMIT, suggest
from searchsvc.web import caching
from searchsvc.web.args import comma_arg, count_arg, int_arg, list_arg, search_args_from_json
from searchsvc.web.popular import popular_fingerprint, popular_of
from searchsvc.web.querylog import record_search
from searchsvc.web.service import service

bp = Blueprint("api", __name__)
# How long a browser or a CDN may reuse an answer without asking (then If-None-Match makes
# asking cheap). The index follows content within seconds of a publish; a reader may see a
# result list up to 30 s behind, an article's page up to 60 s (edits are rarer than searches).
SEARCH_MAX_AGE = 30
ARTICLE_MAX_AGE = 60


def search_request_from_args(args: MultiDict[str, str] | None = None) -> SearchRequest:
    """Validate the search parameters once, at the edge (the query string by default)."""
    args = request.args if args is None else args
    return SearchRequest(
        q=args.get("q", ""),
        match=args.get("match", "all"),
        page=int_arg(args, "page", 1),
        per_page=int_arg(args, "per_page", 10),
        sort=args.get("sort", "relevance"),
        tags=list_arg(args, "tag"),
        categories=list_arg(args, "category"),
        authors=list_arg(args, "author"),
        tickers=list_arg(args, "ticker"),
        years=list_arg(args, "year"),
        date_from=args.get("from") or None,
        date_to=args.get("to") or None,
        facets=comma_arg(args, "facets", tuple(FACET_FIELDS)),
        strict=args.get("strict", "").lower() in ("1", "true", "yes"),
        typos=args.get("typos") or service().default_typos,
        prefix=args.get("prefix") or "last",
    )


def _search(search_request: SearchRequest) -> dict[str, Any]:
    results = service().search(search_request)
    record_search(results)  # queued for a background writer; never waits, never raises
    return results_to_json(results)


@bp.get("/api/search")
def search() -> dict[str, Any]:
    return _search(search_request_from_args())


@bp.post("/api/search")
def search_post() -> dict[str, Any]:
    """The same search, its parameters in a JSON body: for queries too long for a URL."""
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise BadParameter("the body is not valid JSON") from None
    return _search(search_request_from_args(search_args_from_json(body)))


@bp.get("/api/suggest")
def suggestions() -> dict[str, Any]:
    """Completions for a search box's dropdown (see query/suggestions.py)."""
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY_LENGTH:
        raise BadParameter(f"q is {len(q)} characters; at most {MAX_QUERY_LENGTH}")
    limit = count_arg(request.args, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    typos = request.args.get("typos") or "auto"
    if typos not in TYPOS:
        raise BadParameter(f"typos must be one of {', '.join(TYPOS)}, not {typos!r}")
    searchsvc = service()
    popular = popular_of(current_app).current()
    with searchsvc.lease() as gen:
        found = suggest(gen, q, searchsvc.companies, popular, limit, typos)
    return {"query": q, "suggestions": [s.to_json() for s in found]}


@bp.get("/api/articles/<path:slug>")
def article(slug: str) -> dict[str, Any]:
    with service().lease() as gen:
        doc = stored_as_article_json(gen.stored(gen.article_docnum(slug)))
    doc["author"] = doc["authors"][0] if doc["authors"] else None
    doc["category"] = doc["categories"][0] if doc["categories"] else None
    return doc


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int] | tuple[dict[str, Any], int, dict[str, str]]:
    """The index being served. Never from a cache: a load balancer must see this instant
    (the last reindex is read from disk now, without a new generation to tell it by)."""
    try:
        with service().lease() as gen:
            # read now: a run with nothing to change makes no new generation
            report = read_last_report(gen.index_dir) or {}
            return (
                {
                    "status": "ok",
                    "documents": gen.doc_count,
                    "index_generation": gen.number,
                    "indexed_at": gen.indexed_at,
                    "last_reindex_at": report.get("finished_at"),
                    "last_reindex_errors": len(report.get("errors", [])),
                },
                200,
                {"Cache-Control": "no-store"},
            )
    except IndexNotFound as exc:
        return {"status": "unavailable", "error": exc.message}, 503


caching.init_blueprint(
    bp,
    max_age=SEARCH_MAX_AGE,
    endpoints={
        # completions offer popular past searches too, re-read every 60 s (web/popular.py)
        "suggestions": caching.Cached(SEARCH_MAX_AGE, also=popular_fingerprint),
        "article": caching.Cached(ARTICLE_MAX_AGE),
        "healthz": None,  # healthz says no-store itself
    },
)
