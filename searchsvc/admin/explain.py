"""GET /admin/explain: what the engine did with a query, and why an article is (not) a hit;
GET /admin/synonyms: the synonym rules in force.

Under /admin, so the admin gate (searchsvc.admin.auth) protects it like every admin URL."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from searchsvc.admin import schemas
from searchsvc.query.explain import EXPLAIN_HITS, explain
from searchsvc.web.api import search_request_from_args
from searchsvc.web.args import SEARCH, read_args
from searchsvc.web.service import service
from searchsvc.web.spec import Operation, Param, Reply, describe

bp = Blueprint("admin_explain", __name__, url_prefix="/admin")
MAX_EXPLAIN_HITS = 50
EXPLAIN_PARAMS = (
    Param(
        "hits",
        "How many of the top hits get a score breakdown.",
        type="integer",
        default=EXPLAIN_HITS,
        minimum=0,
        maximum=MAX_EXPLAIN_HITS,
    ),
    Param("slug", "An article to explain: whether it matched, its rank, and what kept it out."),
)


@bp.get("/explain")
@describe(
    Operation(
        "Explain a search",
        Reply("What the engine did with the query.", schemas.EXPLAIN, name="Explanation"),
        description="The query as parsed and expanded, each word's analysis, every expansion "
        "and why, the filters, and per top hit a score breakdown whose values add up to "
        "its score; with slug, why that article is (not) a hit.",
        params=(*SEARCH, *EXPLAIN_PARAMS),
        errors=(503,),
        admin=True,
        tag="admin",
    )
)
def explain_view() -> dict[str, Any]:
    """`q` and every /api/search parameter, plus `slug` (why not) and `hits` (how many)."""
    v = read_args(request.args, EXPLAIN_PARAMS)
    hits, slug = v["hits"], v["slug"]
    svc = service()
    return explain(
        svc.handle,
        search_request_from_args(),
        svc.companies,
        slug=slug,
        hits=hits,
        synonyms=svc.synonyms.current(),
    )


@bp.get("/synonyms")
@describe(
    Operation(
        "The synonym rules in force",
        Reply("The rules, and the file they came from.", schemas.SYNONYMS),
        description="The rules in force, the file they came from, and the last reload's "
        "error, if any (the previous rules stay in force until the file reads well).",
        admin=True,
        tag="admin",
    )
)
def synonyms_view() -> dict[str, Any]:
    """The rules in force, the file they came from, and the last reload's error, if any
    (the previous rules stay in force until the file reads well)."""
    file = service().synonyms
    body = file.current().to_json()
    body["path"] = str(file.path) if file.path is not None else None
    body["reload_error"] = file.last_error
    return body
