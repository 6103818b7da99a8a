"""What every HTTP exchange gets, whatever the route: the contract's headers, URLs taken as
written, and request bodies held to the size limit even when they arrive in chunks."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response

from searchsvc.errors import error_body

MAX_BODY_BYTES = 1024 * 1024
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ChunkedBodyLimit:
    """WSGI middleware: a body sent without Content-Length (chunked) is read here, up to the
    limit; past it the answer is 413, otherwise the app sees the body with its length.

    Werkzeug enforces the limit only on Content-Length; a chunked body was cut at the limit
    and reached the views as truncated (invalid) JSON."""

    def __init__(self, app: WSGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # Transfer-Encoding wins over any Content-Length (RFC 9112, 6.3)
        if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        data = environ["wsgi.input"].read(self.limit + 1)
        if len(data) > self.limit:
            message = f"the request body is larger than {self.limit} bytes"
            response = Response(
                Response.json_module.dumps(error_body("payload_too_large", message)),
                status=413,
                mimetype="application/json",
                headers={"X-Content-Type-Options": "nosniff", "Connection": "close"},
            )
            return response(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    """Install the guards on an app (create_app calls this)."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # "/api/articles//x" is a slug that cannot exist, not a redirect to "/api/articles/x"
    app.url_map.merge_slashes = False
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, MAX_BODY_BYTES)  # type: ignore[method-assign]

    @app.after_request
    def _nosniff(response: Response) -> Response:
        # every response is what its Content-Type says, never sniffed into HTML
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
