"""The public JSON API: /api/search, /api/articles/<slug>, /healthz."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request
from werkzeug.datastructures import MultiDict

from searchsvc.errors import BadParameter, IndexNotFound
from searchsvc.indexing.layout import read_last_report
from searchsvc.indexing.schema import FACET_FIELDS
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import results_to_json
from searchsvc.web.querylog import record_search
from searchsvc.web.service import service

bp = Blueprint("api", __name__)


SEARCH_PARAMETERS = (
    *("q", "match", "page", "per_page", "sort", "tag", "category", "author", "ticker"),
    *("from", "to", "facets", "strict", "typos", "prefix"),
)


def _int_arg(args: MultiDict[str, str], name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number, not {raw!r}") from None


def _values(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    """A repeatable filter: ?tag=a&tag=b (empty values ignored)."""
    return tuple(v.strip() for v in args.getlist(name) if v.strip())


def search_request_from_args(args: MultiDict[str, str] | None = None) -> SearchRequest:
    """Validate the search parameters once, at the edge (the query string by default)."""
    args = request.args if args is None else args
    facets_arg = args.get("facets")
    facets = (
        tuple(FACET_FIELDS)
        if facets_arg is None
        else tuple(f.strip() for f in facets_arg.split(",") if f.strip())
    )
    return SearchRequest(
        q=args.get("q", ""),
        match=args.get("match", "all"),
        page=_int_arg(args, "page", 1),
        per_page=_int_arg(args, "per_page", 10),
        sort=args.get("sort", "relevance"),
        tags=_values(args, "tag"),
        categories=_values(args, "category"),
        authors=_values(args, "author"),
        tickers=_values(args, "ticker"),
        date_from=args.get("from") or None,
        date_to=args.get("to") or None,
        facets=facets,
        strict=args.get("strict", "").lower() in ("1", "true", "yes"),
    )


def search_args_from_json(body: Any) -> MultiDict[str, str]:
    """A POST /api/search body as the query string it stands for: an object whose values
    are strings, numbers, booleans or (for repeatable ones and facets) lists of those."""
    if not isinstance(body, dict):
        raise BadParameter("the body must be a JSON object of search parameters")
    args: MultiDict[str, str] = MultiDict()
    for name, value in body.items():
        if name not in SEARCH_PARAMETERS:
            raise BadParameter(f"unknown parameter {name!r}")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, bool):
                args.add(name, "true" if item else "false")
            elif isinstance(item, str | int | float):
                args.add(name, str(item))
            else:
                raise BadParameter(f"{name} must be a string, a number or a list of them")
    if isinstance(body.get("facets"), list):  # a list of facets is the comma list in a URL
        args.setlist("facets", [",".join(args.getlist("facets"))])
    return args


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
