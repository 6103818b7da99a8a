"""The token gate in front of every /admin/ URL.

Auth lives in one place, `guard`, run before *every* request whose URL is under /admin, so
no admin endpoint can forget it. It is an app-level hook rather than a blueprint's
`before_request` on purpose: Flask only runs a blueprint's own hooks once a URL has been
routed to one of its views, so an unknown /admin/ URL (404) or a wrong method (405) would
skip them and tell an anonymous caller which endpoints exist. Here every /admin/ URL
answers alike until the caller is authenticated:

- admin off (no SEARCHSVC_ADMIN_TOKEN): 404 `admin_disabled`, whatever the URL;
- no/malformed `Authorization: Bearer …` or a wrong token: 401 `unauthorized` with
  `WWW-Authenticate: Bearer realm="searchsvc admin"`;
- otherwise routing proceeds as usual (404/405/the view).

One exception, `PUBLIC_PATHS`: the admin page's shell (`GET /admin/`) and its two static
files load without the token, because a browser navigation cannot send a bearer header.
They hold no data (the page asks for the token, then calls the JSON endpoints with it), and
only GET/HEAD of those exact paths pass, and only while admin is enabled; everything else
under /admin, every JSON endpoint included, still needs the token.

Every admin response, errors included, carries `Cache-Control: no-store` and no validator
(`ETag`, `Last-Modified`): nothing is stored, so nothing is revalidated.

A new endpoint only needs to be in a blueprint mounted under /admin (see
searchsvc/admin/__init__.py) to be protected.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, request

from searchsvc.errors import AdminDisabled, Unauthorized

PREFIX = "/admin"
REALM = "searchsvc admin"
# served without the token (admin enabled, GET/HEAD only): the page shell and its assets,
# see searchsvc/admin/page.py. Exact paths, no patterns: adding one is a security decision.
# "/admin" only redirects to "/admin/".
PUBLIC_PATHS = frozenset(
    {PREFIX, PREFIX + "/", PREFIX + "/static/admin.js", PREFIX + "/static/admin.css"}
)
PUBLIC_METHODS = frozenset({"GET", "HEAD"})
DISABLED = "admin endpoints are disabled; set SEARCHSVC_ADMIN_TOKEN to enable"


def is_admin_request() -> bool:
    """True for any URL under /admin, routed or not (every admin blueprint is mounted there)."""
    path = request.path
    return path == PREFIX or path.startswith(PREFIX + "/")


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


def require_admin() -> None:
    """AdminDisabled while admin is off, Unauthorized without the token; else nothing."""
    token = admin_token()
    if token is None:
        raise AdminDisabled(DISABLED)
    check_bearer(token)


def guard() -> None:
    """The before-request hook: every /admin/ URL but PUBLIC_PATHS needs the token."""
    if not is_admin_request():
        return
    token = admin_token()
    if token is None:
        raise AdminDisabled(DISABLED)
    if request.method in PUBLIC_METHODS and request.path in PUBLIC_PATHS:
        return  # the page shell and its static files: no data, see PUBLIC_PATHS
    check_bearer(token)


def no_store(response: Response) -> Response:
    """The after-request hook: no admin response is cached."""
    # after_request hooks also run for responses made by error handlers (401/404/405/500)
    if is_admin_request():
        response.headers["Cache-Control"] = "no-store"
        # the page's static files come with send_file's validators
        response.headers.remove("ETag")
        response.headers.remove("Last-Modified")
    return response


def init_app(app: Flask) -> None:
    """Put the gate in front of every request of ``app``. Call after ops.ratelimit.init_app
    (a locked-out address gets 429 before its token is looked at)."""
    app.before_request(guard)
    app.after_request(no_store)
