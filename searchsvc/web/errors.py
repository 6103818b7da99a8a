"""The one JSON error shape for every error a Flask app can raise."""

from __future__ import annotations

from typing import Any

from searchsvc.errors import SearchsvcError, error_body


def _client_went_away(exc: Exception) -> bool:
    """Whether reading the request failed because of the client: it hung up or stalled
    mid-body (gunicorn's NoMoreData), or sent broken chunked encoding."""
    try:
        from gunicorn.http.errors import NoMoreData, ParseException
    except ImportError:  # another WSGI server
        return isinstance(exc, ConnectionError)
    return isinstance(exc, NoMoreData | ParseException | ConnectionError)


def init_app(app: Any) -> None:
    """Every error a Flask app can raise leaves as the one JSON shape."""
    import logging

    from flask import request
    from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

    log = logging.getLogger("searchsvc")
    names = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}

    @app.before_request
    def _refuse_large_bodies() -> None:
        # Werkzeug only enforces MAX_CONTENT_LENGTH when a view reads the body; refuse an
        # oversized body on any route (even a 404/405 one) before routing.
        limit = request.max_content_length
        if limit is not None and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()

    @app.errorhandler(SearchsvcError)
    def _ours(exc: SearchsvcError) -> tuple[dict[str, Any], int, dict[str, str]]:
        return exc.to_json(), exc.status, exc.http_headers()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
        status = exc.code or 500
        code = names.get(status, "bad_request" if status < 500 else "internal_error")
        # keep the exception's own headers (a 405 must say Allow:), not its HTML body
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return error_body(code, exc.description or exc.name), status, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[dict[str, Any], int]:
        if _client_went_away(exc):  # the client's doing, not a bug: no traceback
            log.warning("request body not read: %s: %s", exc.__class__.__name__, exc)
            return error_body("bad_request", "the request body was cut short or malformed"), 400
        log.exception("unexpected error")
        return error_body("internal_error", "internal error; see the server log"), 500
