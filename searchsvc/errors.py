"""Errors as values: each carries a code, a message and its HTTP status.

The API turns any of them into the one JSON shape, `{"error": {"code", "message"}}`;
the CLI prints the message (and hint). Nothing shows a user a traceback.
"""

from __future__ import annotations

from typing import Any


class SearchsvcError(Exception):
    """Base of every error a user may see."""

    code = "internal_error"
    status = 500
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def http_headers(self) -> dict[str, str]:
        """Extra HTTP response headers (a 401 names its auth scheme)."""
        return {}


class BadParameter(SearchsvcError):
    code = "bad_parameter"
    status = 400


class BadQuery(SearchsvcError):
    code = "bad_query"
    status = 400


class NotFound(SearchsvcError):
    code = "not_found"
    status = 404


class AdminDisabled(NotFound):
    code = "admin_disabled"
    hint = "set SEARCHSVC_ADMIN_TOKEN to enable the /admin/ endpoints"


class Unauthorized(SearchsvcError):
    code = "unauthorized"
    status = 401

    def __init__(self, message: str, *, challenge: str) -> None:
        super().__init__(message)
        self.challenge = challenge

    def http_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge}


class ReindexRunning(SearchsvcError):
    code = "reindex_running"
    status = 409
    hint = "another reindex holds the writer lock; try again when it has finished"


class IndexNotFound(SearchsvcError):
    code = "index_unavailable"
    status = 503
    hint = "build it with `searchsvc index --content DIR --index DIR`"


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape, for errors that are not SearchsvcError (HTTP 404/405/500)."""
    return {"error": {"code": code, "message": message}}


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
