"""GET /admin/explain: what the engine did with a query, and why an article is (not) a hit;
GET /admin/synonyms: the synonym rules in force.

Under /admin, so the admin gate (searchsvc.admin.auth) protects it like every admin URL."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from searchsvc.query.explain import EXPLAIN_HITS, explain
from searchsvc.web.api import search_request_from_args
from searchsvc.web.args import int_arg
from searchsvc.web.service import service

bp = Blueprint("admin_explain", __name__, url_prefix="/admin")
MAX_EXPLAIN_HITS = 50


@bp.get("/explain")
def explain_view() -> dict[str, Any]:
    """`q` and every /api/search parameter, plus `slug` (why not) and `hits` (how many)."""
    hits = int_arg(request.args, "hits", EXPLAIN_HITS, between=(0, MAX_EXPLAIN_HITS))
    slug = request.args.get("slug") or None
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
def synonyms_view() -> dict[str, Any]:
    """The rules in force, the file they came from, and the last reload's error, if any
    (the previous rules stay in force until the file reads well)."""
    file = service().synonyms
    body = file.current().to_json()
    body["path"] = str(file.path) if file.path is not None else None
    body["reload_error"] = file.last_error
    return body
