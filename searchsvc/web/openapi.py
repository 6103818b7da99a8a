"""The OpenAPI 3.1 document of every endpoint, assembled from the app's URL map and the
`Operation` each view carries (web/spec.py); GET /api/openapi.json serves it (apidocs.py).

Why declarations of our own rather than apiflask, flask-smorest or spectree: those
validate requests with marshmallow or pydantic, whose errors have shapes and messages of
their own (422 with `{"detail": ...}`, `{"errors": {"query": ...}}` or pydantic's list),
while the API promises `{"error": {"code", "message"}}` with its messages, which tests
assert; keeping those means rewriting every message and keeping the checks SearchRequest
makes for the CLI twice. They also cost more per request (a /api/search through the test
client, 2,000 requests interleaved with the same search validated by web/args.py, medians
of two runs: apiflask +0.18/+0.25 ms, flask-smorest +0.39/+0.56 ms, spectree +0.43/+0.51
ms; validation alone 97-105 us for the marshmallow pair, 47-52 us for spectree, 27-38 us
for web/args.py with SearchRequest before the declarations, 38-46 us with them). Here the
declarations are read by the validators and
written into this document, so neither can drift from the other; apispec (pure Python,
no dependencies) assembles it: named components, string references, path parameters.

Every route is in the document but for `EXEMPT` (each with its reason); HEAD and OPTIONS,
which Flask adds to every route, are left out. tests/web/test_openapi.py checks both.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from flask import Flask
from werkzeug.routing import Rule

from searchsvc.web.spec import Operation, Param, Reply, Schema, obj, operations_of, param_schema

OPENAPI_VERSION = "3.1.0"
SECURITY = "adminToken"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")  # <path:slug> or <slug>
# endpoints left out of the document, and why; a new route must be described or listed here
EXEMPT = {
    "pages.static": "the search page's scripts, stylesheet and icon (GET /), under /assets/",
    "admin_page.static": "admin.js and admin.css: the files of the admin page (GET /admin/)",
}
# status -> (shared response, its error codes, what it means)
ERRORS: dict[int, tuple[str, tuple[str, ...], str]] = {
    400: (
        "BadRequest",
        ("bad_parameter", "bad_query", "bad_request"),
        "A parameter or the body breaks its declaration (bad_parameter), a query cannot be "
        "read with strict=1 (bad_query), or the body was cut short (bad_request).",
    ),
    401: (
        "Unauthorized",
        ("unauthorized",),
        "No admin token, or a wrong one; WWW-Authenticate names the scheme.",
    ),
    404: ("NotFound", ("not_found", "admin_disabled"), "No such thing, or admin is off."),
    409: ("Conflict", ("reindex_running",), "Another reindex holds the writer lock."),
    413: ("PayloadTooLarge", ("payload_too_large",), "The body is over 1 MiB."),
    414: (
        "UriTooLong",
        ("uri_too_long",),
        "The request line is over 8,190 bytes (answered by `searchsvc serve` itself); "
        "send a long search as POST /api/search.",
    ),
    429: (
        "TooManyRequests",
        ("rate_limited",),
        "Over SEARCHSVC_RATE_LIMIT, or too many wrong admin tokens from this address; "
        "Retry-After says in how many seconds to try again.",
    ),
    500: ("InternalError", ("internal_error",), "An unexpected error; the server logs it."),
    503: ("Unavailable", ("index_unavailable",), "The index cannot be opened."),
}
HEADERS = {
    401: {"WWW-Authenticate": 'Bearer realm="searchsvc admin" (and error="invalid_token")'},
    429: {"Retry-After": "seconds until the limit's window ends"},
}
ERROR = obj(
    {
        "error": obj(
            {"code": {"type": "string"}, "message": {"type": "string", "minLength": 1}},
            additionalProperties=False,
        )
    },
    additionalProperties=False,
    description="The one error shape: every error, whatever its status",
)
DESCRIPTION = """\
Full-text search over a site's Markdown articles.

Every error is JSON, `{"error": {"code": "...", "message": "..."}}`, with its status,
including those `searchsvc serve` answers before the app sees a request (400 bad_request,
403 forbidden, 414 uri_too_long, 417, 431 headers_too_large, 501). The admin endpoints
(and /metrics) need `Authorization: Bearer TOKEN` (SEARCHSVC_ADMIN_TOKEN); while that is
unset they answer 404. With SEARCHSVC_RATE_LIMIT set, a client over it gets 429.
"""


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s described routes."""
    try:
        release = version("searchsvc")
    except PackageNotFoundError:  # run from a source tree that is not installed
        release = "0"
    spec = APISpec(
        title="searchsvc",
        version=release,
        openapi_version=OPENAPI_VERSION,
        info={"description": DESCRIPTION},
    )
    spec.components.schema("Error", ERROR)
    for status, (name, codes, description) in ERRORS.items():
        spec.components.response(name, _error_response(status, codes, description))
    spec.components.security_scheme(
        SECURITY, {"type": "http", "scheme": "bearer", "description": "SEARCHSVC_ADMIN_TOKEN"}
    )
    named: dict[str, Schema] = {}
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()  # operationIds, unique though one view may serve several URLs
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in EXEMPT:
            continue
        described = operations_of(app.view_functions[rule.endpoint])
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            op = described.get(method.lower())
            if op is not None:
                path = openapi_path(rule)
                item = paths.setdefault(path, {})
                item[method.lower()] = _operation(spec, named, op, rule, path)
                item[method.lower()]["operationId"] = _unique(
                    f"{method.lower()}_{rule.endpoint.replace('.', '_')}", path, used
                )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def openapi_path(rule: Rule) -> str:
    """A Werkzeug rule as an OpenAPI path: ``/api/articles/<path:slug>`` -> ``{slug}``."""
    return VARIABLE.sub(r"{\1}", rule.rule)


def _operation(
    spec: APISpec, named: dict[str, Schema], op: Operation, rule: Rule, path: str
) -> dict[str, Any]:
    declared = {p.name for p in op.params if p.location == "path"}
    if declared != set(rule.arguments):
        raise ValueError(f"{path}: path parameters {sorted(rule.arguments)} must be declared")
    out: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        out["description"] = op.description
    if op.params:
        out["parameters"] = [_parameter(p) for p in op.params]
    if op.body is not None:
        out["requestBody"] = {
            "description": op.body.description,
            "required": op.body.required,
            "content": {media: {"schema": s} for media, s in op.body.content().items()},
        }
    responses: dict[str, Any] = {str(op.status): _reply(spec, named, op.ok)}
    responses.update({str(s): _reply(spec, named, r) for s, r in op.replies.items()})
    # an answer of the operation's own (an HTML page's 400) stands for the shared error
    errors = sorted(error_statuses(op) - set(op.replies) - {op.status})
    responses.update({str(s): ERRORS[s][0] for s in errors})
    out["responses"] = responses
    if op.admin:
        out["security"] = [{SECURITY: []}]
    return out


def _unique(name: str, path: str, used: set[str]) -> str:
    if name in used:
        name += "_" + (re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "root")
    used.add(name)
    return name


def error_statuses(op: Operation) -> set[int]:
    """The error statuses ``op`` can answer: its own, and those of its kind."""
    statuses = {500, *op.errors}
    queried = any(p.location == "query" for p in op.params)
    if queried or op.body is not None:
        statuses.add(400)
    if queried and op.method == "GET":
        statuses.add(414)
    if op.body is not None:
        statuses.add(413)
    if op.admin:
        statuses.update((401, 404, 429))  # 404 while admin is off; 429 after wrong tokens
    if op.rate_limited:
        statuses.add(429)
    return statuses


def _parameter(param: Param) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": param.name,
        "in": param.location,
        "description": param.description,
        "required": param.required or param.location == "path",
        "schema": param_schema(param),
    }
    if param.location == "query" and not param.required:
        out["allowEmptyValue"] = True  # an empty value is the default (web/args.py)
    if param.comma:
        out.update(style="form", explode=False)
    if param.example is not None:
        out["example"] = param.example
    return out


def _reply(spec: APISpec, named: dict[str, Schema], reply: Reply) -> dict[str, Any]:
    schema: Schema | str | None = reply.schema
    if reply.name is not None and reply.schema is not None:
        if reply.name not in named:
            spec.components.schema(reply.name, reply.schema)
            named[reply.name] = reply.schema
        elif named[reply.name] != reply.schema:
            raise ValueError(f"two schemas are named {reply.name}")
        schema = reply.name  # apispec makes it a $ref
    out: dict[str, Any] = {"description": reply.description}
    if schema is not None:
        out["content"] = {reply.media_type: {"schema": schema}}
    return out


def _error_response(status: int, codes: tuple[str, ...], description: str) -> dict[str, Any]:
    # the shared shape, with the codes this status comes with
    codes_only = {"properties": {"error": {"properties": {"code": {"enum": list(codes)}}}}}
    schema = {"allOf": [{"$ref": "#/components/schemas/Error"}, codes_only]}
    out: dict[str, Any] = {
        "description": f"{description} Codes: {', '.join(codes)}.",
        "content": {"application/json": {"schema": schema}},
    }
    if status in HEADERS:
        out["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in HEADERS[status].items()
        }
    return out
