"""HTTP caching of the public blueprints: ``Cache-Control``, a weak ``ETag``, and 304 for a
matching ``If-None-Match`` without running the view.

A blueprint opts in with one call, after its routes (the endpoint names are checked when the
blueprint is registered)::

    caching.init_blueprint(bp, max_age=30)                      # every endpoint alike
    caching.init_blueprint(bp, max_age=30, also=popular_fingerprint,
                           endpoints={"article": Cached(60), "healthz": None})

Then a GET or HEAD answered 200 carries ``Cache-Control: public, max-age=N`` and
``ETag: W/"<generation>-<digest>"``. The digest is computed before the view runs, from all
that an answer depends on:

- the index generation (its number and live folder: a rebuilt index starts a new folder);
- the request: its path and query string (parameters sorted by name, the values of a
  repeated parameter in their order);
- the synonym rules in force (reloaded from their file without a new generation);
- the process: searchsvc's version and the digest of its files (a deploy without a new
  version number still changes every tag), the company dictionary, and every setting but
  those that cannot change an answer (NOT_IN_ANSWERS);
- ``also``: what else an endpoint's answer depends on (``/api/suggest``: popular searches).

A request whose ``If-None-Match`` matches, by the weak comparison of RFC 9110 13.1.2 (one tag,
a list, or ``*``), gets ``304 Not Modified`` with no body and the same ETag and Cache-Control:
no search is run and nothing reaches the query log. The tags are weak because two bodies of
one answer differ in ``took_ms``. A generation that changes while the view runs leaves the
answer without an ETag (it may come from either generation). Without an index there is no
ETag either: the view answers as it would.

Never stored (``Cache-Control: no-store``, no ETag): other methods (POST, OPTIONS), errors
(4xx, 5xx) and anything but 200 and 304. An endpoint mapped to None is left to its view
(``/healthz`` says ``no-store`` itself: a load balancer must see this instant's health).

The hooks are the blueprint's own, so they run after every app-level hook: rate limits and
the admin gate have answered first (see create_app). Other blueprints are not touched:
``/admin/`` and ``/metrics`` keep their ``no-store``. ``Vary`` is not set here, since the
answers vary with the URL alone; cors.py adds ``Origin`` when CORS is on. The app does not
compress (``Accept-Encoding``): a proxy that does adds that to ``Vary`` itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from werkzeug.datastructures import MultiDict

from searchsvc.errors import IndexNotFound
from searchsvc.settings import SETTINGS
from searchsvc.web.service import service

EXTENSION = "searchsvc_caching"
CACHED_METHODS = frozenset({"GET", "HEAD"})
NO_STORE = "no-store"
# settings that change how the service runs, never what it answers (a new setting counts)
NOT_IN_ANSWERS = frozenset(
    {
        "ADMIN_TOKEN",
        "CORS_ORIGINS",  # headers only, and Vary: Origin says so
        "REFRESH_SECONDS",
        "QUERY_LOG_MAX_ROWS",
        "RATE_LIMIT",
        "RATE_LIMIT_FILE",
        "AUTH_FAILURE_LIMIT",
        "PROXY_HOPS",
    }
)
PACKAGE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Cached:
    """How one endpoint's 200 answers to GET and HEAD are cached."""

    max_age: int  # seconds a browser or shared cache may reuse an answer without asking
    also: Callable[[], str] | None = None  # what else the answer depends on, as text


def init_blueprint(
    bp: Blueprint,
    max_age: int,
    *,
    also: Callable[[], str] | None = None,
    endpoints: Mapping[str, Cached | None] | None = None,
) -> None:
    """Cache the answers of ``bp``'s endpoints for ``max_age`` seconds (with ``also``), but
    those named in ``endpoints`` (without the blueprint's prefix): their own Cached, or None
    to leave them to the view. Call once per blueprint, after its routes."""
    default = Cached(max_age, also)
    own = dict(endpoints or {})

    def policy() -> Cached | None:
        name = (request.endpoint or "").rpartition(".")[2]
        return own.get(name, default)

    @bp.record
    def _check_names(state: BlueprintSetupState) -> None:
        unknown = [n for n in own if f"{state.name}.{n}" not in state.app.view_functions]
        if unknown:
            raise ValueError(
                f"caching.init_blueprint({bp.name!r}): no endpoint {', '.join(unknown)} "
                "(call it after the blueprint's routes)"
            )

    @bp.before_request
    def _answer_from_cache() -> Response | None:
        cached = policy()
        if cached is None or request.method not in CACHED_METHODS:
            return None
        tag = etag_for(cached)
        g.searchsvc_etag = tag
        if tag is not None and request.if_none_match.contains_weak(tag[1]):
            return not_modified()
        return None

    @bp.after_request
    def _cache_headers(response: Response) -> Response:
        cached = policy()
        if cached is not None:
            cache_headers(response, cached)
        return response


def cache_headers(response: Response, cached: Cached) -> None:
    """The headers of one answer of a cached endpoint (the after-request hook)."""
    tag: tuple[int, str] | None = g.pop("searchsvc_etag", None)
    cacheable = request.method in CACHED_METHODS and response.status_code in (200, 304)
    if not cacheable:
        response.headers["Cache-Control"] = NO_STORE
        del response.headers["ETag"]
        return
    response.headers["Cache-Control"] = f"public, max-age={cached.max_age}"
    if tag is None or tag[0] != _current_generation():
        del response.headers["ETag"]  # also one a view made (send_file's): only ours count
    else:
        response.set_etag(tag[1], weak=True)


def not_modified() -> Response:
    """A 304: no body, no Content-Type; the after-request hook adds ETag and Cache-Control."""
    response = Response(status=304)
    del response.headers["Content-Type"]
    return response


def etag_for(cached: Cached) -> tuple[int, str] | None:
    """(generation, opaque tag) of this request's answer; None without an index."""
    searchsvc = service()
    try:
        gen = searchsvc.handle.current()
    except IndexNotFound:
        return None
    parts = [
        process_fingerprint(current_app),
        str(gen.number),
        gen.live_dir.name,
        searchsvc.synonyms.current().fingerprint,
        request.path,
        canonical_query(request.args),
        cached.also() if cached.also is not None else "",
    ]
    digest = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=12).hexdigest()
    return gen.number, f"{gen.number}-{digest}"


def canonical_query(args: MultiDict[str, str]) -> str:
    """The query string with its parameters sorted by name (repeated values keep their
    order: ``tag=a&tag=b`` lists facets as given), so that the order of names does not
    make two tags for one answer."""
    return urlencode(sorted(args.items(multi=True), key=lambda pair: pair[0]))


def _current_generation() -> int | None:
    try:
        return service().handle.current().number
    except IndexNotFound:
        return None


def process_fingerprint(app: Flask) -> str:
    """What this process answers with, beyond the index and the request: the code, the
    settings and the company dictionary. The same in every worker of one server."""
    found: str | None = app.extensions.get(EXTENSION)
    if found is None:
        settings = [
            f"{s.name}={app.config.get(s.name)!r}" for s in SETTINGS if s.name not in NOT_IN_ANSWERS
        ]
        parts = [code_fingerprint(), service().companies.fingerprint, *settings]
        found = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=12).hexdigest()
        app.extensions[EXTENSION] = found
    return found


@cache
def code_fingerprint() -> str:
    """searchsvc's version and a digest of its files (code, templates, scripts, data)."""
    try:
        version = metadata.version("searchsvc")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        version = "unknown"
    digest = hashlib.blake2b(version.encode("utf-8"), digest_size=12)
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()
