"""The public JSON API: /api/search, /api/suggest, /api/articles/<slug>, /healthz.

Each view's parameters and answers are declared beside it (`@describe`, web/spec.py): the
arguments are read by those declarations (web/args.py), and the OpenAPI document is made
of them (web/openapi.py)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, request
from werkzeug.datastructures import MultiDict

from searchsvc.errors import BadParameter, IndexNotFound
from searchsvc.indexing.layout import read_last_report
from searchsvc.indexing.schema import stored_as_article_json
from searchsvc.query.request import MAX_QUERY_LENGTH, TYPOS, SearchRequest
from searchsvc.query.results import results_to_json
from searchsvc.query.suggestions import DEFAULT_LIMIT, MAX_LIMIT, suggest
from searchsvc.web import caching, schemas
from searchsvc.web.args import SEARCH, read_args, search_args_from_json
from searchsvc.web.popular import popular_fingerprint, popular_of
from searchsvc.web.querylog import record_search
from searchsvc.web.service import service
from searchsvc.web.spec import Body, Operation, Param, Reply, body_schema, describe

bp = Blueprint("api", __name__)
# How long a browser or a CDN may reuse an answer without asking (then If-None-Match makes
# asking cheap). The index follows content within seconds of a publish; a reader may see a
# result list up to 30 s behind, an article's page up to 60 s (edits are rarer than searches).
SEARCH_MAX_AGE = 30
ARTICLE_MAX_AGE = 60

SEARCH_REPLY = Reply("The page of hits.", schemas.SEARCH_RESULTS, name="SearchResults")
SEARCH_BODY = Body(
    "The parameters of GET /api/search as one JSON object; a repeatable parameter takes "
    "a string or a list, facets a list or a comma list.",
    body_schema(SEARCH),
)
SUGGEST = (
    Param(
        "q",
        "What the reader has typed so far.",
        default="",
        max_length=MAX_QUERY_LENGTH,
    ),
    Param(
        "limit",
        "How many suggestions at most.",
        type="integer",
        default=DEFAULT_LIMIT,
        minimum=1,
        maximum=MAX_LIMIT,
        count=True,
    ),
    Param("typos", "Typos a word may have, as for /api/search.", default="auto", enum=TYPOS),
)
SLUG = Param(
    "slug",
    "The article's slug: letters, digits, -, _, . and /, at most 200 characters.",
    location="path",
    required=True,
)


def search_request_from_args(args: MultiDict[str, str] | None = None) -> SearchRequest:
    """Validate the search parameters once, at the edge (the query string by default)."""
    v = read_args(request.args if args is None else args, SEARCH)
    return SearchRequest(
        q=v["q"],
        match=v["match"],
        page=v["page"],
        per_page=v["per_page"],
        sort=v["sort"],
        tags=v["tag"],
        categories=v["category"],
        authors=v["author"],
        tickers=v["ticker"],
        years=v["year"],
        date_from=v["from"],
        date_to=v["to"],
        facets=v["facets"],
        strict=v["strict"],
        typos=v["typos"] or service().default_typos,
        prefix=v["prefix"],
    )


def _search(search_request: SearchRequest) -> dict[str, Any]:
    results = service().search(search_request)
    record_search(results)  # queued for a background writer; never waits, never raises
    return results_to_json(results)


@bp.get("/api/search")
@describe(
    Operation(
        "Search the articles",
        SEARCH_REPLY,
        description="Ranked hits with highlights, the exact total and disjunctive facet "
        "counts. A query that matches nothing has total 0 and, where one exists, a "
        "suggestion.",
        params=SEARCH,
        errors=(503,),
    )
)
def search() -> dict[str, Any]:
    return _search(search_request_from_args())


@bp.post("/api/search")
@describe(
    Operation(
        "Search, the parameters in a JSON body",
        SEARCH_REPLY,
        method="POST",
        description="For queries too long for a URL: the same search as GET /api/search.",
        body=SEARCH_BODY,
        errors=(503,),
    )
)
def search_post() -> dict[str, Any]:
    """The same search, its parameters in a JSON body: for queries too long for a URL."""
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise BadParameter("the body is not valid JSON") from None
    return _search(search_request_from_args(search_args_from_json(body)))


@bp.get("/api/suggest")
@describe(
    Operation(
        "Completions for a search box",
        Reply("Suggestions, best first.", schemas.SUGGESTIONS, name="Suggestions"),
        description="Companies, tags, categories, popular past searches and article titles "
        "that complete what the reader typed, typo-tolerant; the typed part in <mark>.",
        params=SUGGEST,
        errors=(503,),
    )
)
def suggestions() -> dict[str, Any]:
    """Completions for a search box's dropdown (see query/suggestions.py)."""
    v = read_args(request.args, SUGGEST)
    searchsvc = service()
    popular = popular_of(current_app).current()
    with searchsvc.lease() as gen:
        found = suggest(gen, v["q"], searchsvc.companies, popular, v["limit"], v["typos"])
    return {"query": v["q"], "suggestions": [s.to_json() for s in found]}


@bp.get("/api/articles/<path:slug>")
@describe(
    Operation(
        "One article",
        Reply("The article as indexed.", schemas.ARTICLE, name="Article"),
        description="Every field of the article, its tickers with the names that matched, "
        "its source path and when it was indexed.",
        params=(SLUG,),
        errors=(404, 503),
        tag="articles",
    )
)
def article(slug: str) -> dict[str, Any]:
    with service().lease() as gen:
        doc = stored_as_article_json(gen.stored(gen.article_docnum(slug)))
    doc["author"] = doc["authors"][0] if doc["authors"] else None
    doc["category"] = doc["categories"][0] if doc["categories"] else None
    return doc


@bp.get("/healthz")
@describe(
    Operation(
        "Health of the service",
        Reply("The index being served.", schemas.HEALTH),
        description="Never rate-limited: for load balancers.",
        replies={503: Reply("The index cannot be opened.", schemas.UNHEALTHY)},
        rate_limited=False,
        tag="operations",
    )
)
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
