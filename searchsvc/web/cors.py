"""Cross-origin calls to the public API (CORS) from the pages of the origins in
``CORS_ORIGINS`` (SEARCHSVC_CORS_ORIGINS), through Flask-Cors.

None by default: then no response carries a CORS header. Only ``/api/*`` ever does: no
``/admin/``, ``/metrics``, page or ``/healthz`` response carries
``Access-Control-Allow-Origin``, whatever the setting, ``*`` included (an admin token must
never be usable from another site's page, and ``*`` means "any page may read the public API").

- An allowed origin gets ``Access-Control-Allow-Origin`` (its own origin; ``*`` for every
  request when the setting is ``*``) on every /api/* answer, errors (400, 404, 429) and
  304s included, with ``Access-Control-Expose-Headers: ETag, Retry-After``: what a front-end
  reads beyond the headers browsers always show it.
- Preflights (``OPTIONS``) are answered for GET, HEAD and POST with the request headers
  ``Content-Type`` (a JSON ``POST /api/search``) and ``If-None-Match``; browsers keep the
  answer for PREFLIGHT_MAX_AGE seconds. No credentials: the API needs no cookie or token.
- Another origin gets no CORS header at all, so its page cannot read the answer.
- With named origins every /api/* answer says ``Vary: Origin`` (it depends on the Origin
  header, or its absence), so that no cache hands one origin's answer to another. With ``*``
  the headers are the same for every request, and nothing varies.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request
from flask_cors import CORS

from searchsvc.settings import ANY_ORIGIN

API_PATHS = r"/api/.*"  # a regular expression matched at the start of the path
METHODS = ("GET", "HEAD", "POST", "OPTIONS")
ALLOW_HEADERS = ("Content-Type", "If-None-Match")
EXPOSE_HEADERS = ("ETag", "Retry-After")
PREFLIGHT_MAX_AGE = 600  # seconds; Chromium keeps a preflight at most 7200


def init_app(app: Flask) -> None:
    """CORS headers for /api/* when CORS_ORIGINS names origins (create_app's settings)."""
    origins: tuple[str, ...] = app.config.get("CORS_ORIGINS") or ()
    if not origins:
        return
    any_origin = ANY_ORIGIN in origins
    CORS(
        app,
        resources=[API_PATHS],
        # compiled, so that Flask-Cors never reads an origin as a pattern ("[::1]" is one)
        origins="*" if any_origin else [_exactly(origin) for origin in origins],
        send_wildcard=any_origin,
        always_send=any_origin,  # with *, every answer says so, with or without Origin
        methods=METHODS,
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
        supports_credentials=False,
        vary_header=False,  # Flask-Cors says Vary only for some answers: see _vary_on_origin
    )
    if not any_origin:
        app.after_request(_vary_on_origin)


def _exactly(origin: str) -> re.Pattern[str]:
    # origins are case-insensitive (RFC 6454: scheme and host)
    return re.compile(re.escape(origin) + r"\Z", re.IGNORECASE)


def _vary_on_origin(response: Response) -> Response:
    # every /api/* answer, with or without Access-Control-Allow-Origin: a cache that stored
    # one without it must not hand it to an allowed origin, nor one with it to another
    if re.match(API_PATHS, request.path):
        response.vary.add("Origin")
    return response
