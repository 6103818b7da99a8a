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
