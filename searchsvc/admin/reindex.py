"""Token-protected admin endpoints under /admin/.

Auth lives in one place, `_guard`, run before *every* request whose URL is under
/admin (or that routes to this blueprint), so no admin endpoint can forget it. It is an
app-level hook rather than `bp.before_request` on purpose: Flask only runs a
blueprint's own hooks once a URL has been routed to one of its views, so an unknown
/admin/ URL (404) or a wrong method (405) would skip them and tell an anonymous caller
which endpoints exist. Here every /admin/ URL answers alike until the caller is
authenticated:

- admin off (no SEARCHSVC_ADMIN_TOKEN): 404 `admin_disabled`, whatever the URL;
- no/malformed `Authorization: Bearer …` or a wrong token: 401 `unauthorized` with
  `WWW-Authenticate: Bearer realm="searchsvc admin"`;
- otherwise routing proceeds as usual (404/405/the view).

One exception, `PUBLIC_PATHS`: the admin page's shell (`GET /admin/`) and its two static
files load without the token, because a browser navigation cannot send a bearer header.
They hold no data (the page asks for the token, then calls the JSON endpoints with it), and
only GET/HEAD of those exact paths pass, and only while admin is enabled; everything else
under /admin, every JSON endpoint included, still needs the token.

Every admin response, errors included, carries `Cache-Control: no-store`.

New endpoints only need `@bp.get(...)`/`@bp.post(...)` here (or any blueprint mounted
under /admin) to be protected.
"""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import PureWindowsPath
from typing import Any

from flask import Blueprint, Response, current_app, request

from searchsvc.errors import AdminDisabled, BadParameter, SearchsvcError, Unauthorized
from searchsvc.web.service import service

PREFIX = "/admin"
REALM = "searchsvc admin"
MAX_PATHS = 10_000
# served without the token (admin enabled, GET/HEAD only): the page shell and its assets,
# see searchsvc/admin/page.py. Exact paths, no patterns: adding one is a security decision.
# "/admin" only redirects to "/admin/".
PUBLIC_PATHS = frozenset(
    {PREFIX, PREFIX + "/", PREFIX + "/static/admin.js", PREFIX + "/static/admin.css"}
)
PUBLIC_METHODS = frozenset({"GET", "HEAD"})

bp = Blueprint("admin", __name__, url_prefix=PREFIX)
log = logging.getLogger("searchsvc")


# --- auth: one gate for every /admin/ URL ------------------------------------------------


def is_admin_request() -> bool:
    """True for any URL under /admin (routed or not) and any view of this blueprint."""
    path = request.path
    return bp.name in request.blueprints or path == PREFIX or path.startswith(PREFIX + "/")


def admin_token() -> str | None:
    """The configured token, or None when admin is off (unset, empty or blank)."""
    token = current_app.config.get("ADMIN_TOKEN")
    return token if isinstance(token, str) and token.strip() else None


def _header_bytes(value: str) -> bytes:
    # WSGI hands headers over as latin-1 decoded text: encoding back gives the bytes sent.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def check_bearer(token: str) -> None:
    """Raise Unauthorized unless the request carries `Authorization: Bearer <token>`."""
    challenge = f'Bearer realm="{REALM}"'
    header = request.headers.get("Authorization", "")
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        what = "missing" if not header.strip() else "malformed"
        raise Unauthorized(
            f"admin endpoints need an 'Authorization: Bearer TOKEN' header ({what})",
            challenge=challenge,
        )
    if not hmac.compare_digest(_header_bytes(parts[1]), token.encode("utf-8")):
        raise Unauthorized("invalid admin token", challenge=f'{challenge}, error="invalid_token"')


@bp.before_app_request
def _guard() -> None:
    if not is_admin_request():
        return
    token = admin_token()
    if token is None:
        raise AdminDisabled("admin endpoints are disabled; set SEARCHSVC_ADMIN_TOKEN to enable")
    if request.method in PUBLIC_METHODS and request.path in PUBLIC_PATHS:
        return  # the page shell and its static files: no data, see PUBLIC_PATHS
    check_bearer(token)


@bp.after_app_request
def _no_store(response: Response) -> Response:
    # after_request hooks also run for responses made by error handlers (401/404/405/500)
    if is_admin_request():
        response.headers["Cache-Control"] = "no-store"
    return response


# --- POST /admin/reindex -----------------------------------------------------------------


def _shown(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_path(index: int, path: object) -> str:
    where = f"paths[{index}]"
    if not isinstance(path, str):
        raise BadParameter(f"{where} must be a string, not {type(path).__name__}")
    if not path.strip():
        raise BadParameter(f"{where} is empty")
    if "\x00" in path:
        raise BadParameter(f"{where} contains a NUL character")
    if path.startswith(("/", "\\")) or PureWindowsPath(path).drive:
        raise BadParameter(f"{where} must be relative to the content folder, not {_shown(path)}")
    if ".." in path.replace("\\", "/").split("/"):
        raise BadParameter(f"{where} must not contain a '..' component: {_shown(path)}")
    return path


def _check_paths(paths: object) -> list[str]:
    if not isinstance(paths, list):
        raise BadParameter(f"paths must be a list of strings, not {type(paths).__name__}")
    if len(paths) > MAX_PATHS:
        raise BadParameter(
            f"at most {MAX_PATHS} paths per request, got {len(paths)}; "
            "send several requests or omit paths to check the whole folder"
        )
    checked = [_check_path(i, p) for i, p in enumerate(paths)]
    return list(dict.fromkeys(checked))  # duplicates are harmless; drop them


def reindex_options() -> tuple[list[str] | None, bool]:
    """(paths or None for the whole folder, full) from the optional JSON body."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None, False
    if not request.is_json:
        raise BadParameter(
            "the body must be JSON (Content-Type: application/json): a list of paths "
            'or {"paths": [...], "full": false}'
        )
    try:
        body: Any = json.loads(raw)
    except ValueError as exc:  # also UnicodeDecodeError
        raise BadParameter(f"the body is not valid JSON: {exc}") from None
    if isinstance(body, list):
        return _check_paths(body), False
    if not isinstance(body, dict):
        raise BadParameter(
            'the body must be a list of paths or an object {"paths": [...], "full": false}, '
            f"not {type(body).__name__}"
        )
    unknown = sorted(set(body) - {"paths", "full"})
    if unknown:
        raise BadParameter(f"unknown field(s) {', '.join(map(repr, unknown))}; use paths, full")
    full = body.get("full", False)
    if not isinstance(full, bool):
        raise BadParameter(f"full must be true or false, not {_shown(full)}")
    paths = body.get("paths")
    if paths is None:
        return None, full
    if full:
        raise BadParameter(
            "full rebuilds every file, so it cannot be limited to paths; send one or the other"
        )
    return _check_paths(paths), False


@bp.post("/reindex")
def reindex() -> dict[str, Any]:
    from searchsvc.indexing.build import build_index  # the indexer is only needed here
    from searchsvc.indexing.report import format_report

    paths, full = reindex_options()
    config = current_app.config
    try:
        report = build_index(
            config["CONTENT_DIR"],
            config["INDEX_DIR"],
            companies_file=config["COMPANIES_FILE"],
            paths=paths,
            full=full,
        )
    except (FileNotFoundError, NotADirectoryError) as exc:  # the content folder itself
        raise SearchsvcError(f"cannot reindex: {exc}") from exc
    # this worker's next search sees the new generation now, not at its next check
    service().handle.invalidate()
    data = report.to_json()
    log.info(
        "admin reindex (%s): %s",
        "full" if data["full"] else f"{len(paths)} paths" if paths is not None else "incremental",
        format_report(report),
    )
    return data
