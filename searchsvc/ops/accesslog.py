"""One structured access line per request on the logger ``searchsvc.access``.

Each line is one JSON object:

    {"time": "2025-10-02T12:34:56.789Z", "method": "GET", "path": "/api/search",
     "status": 200, "ms": 2.41, "q_len": 15, "generation": 7}

The path never carries the query string: what readers search for stays out of the log
(only the length of ``q``, when there is one); ``generation`` is the index generation the
request read, when it read one. No client address is logged, as in the query log.

`searchsvc serve` sends these lines, and the other ``searchsvc`` log lines, to stderr
(`configure_serve_logging`, called by server.py) instead of gunicorn's access log, which
would print the full query strings. Under another WSGI server, attach a handler to
``searchsvc.access`` at INFO.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Response, g, has_request_context, request, request_finished, request_started

if TYPE_CHECKING:
    from flask import Flask

    from searchsvc.query.generation import Generation
    from searchsvc.query.handle import IndexHandle
    from searchsvc.web.service import SearchService

LOGGER = "searchsvc.access"
EXTENSION = "searchsvc_accesslog"
HANDLER_NAME = "searchsvc-serve-stderr"

log = logging.getLogger(LOGGER)


def record_generations(handle: IndexHandle) -> None:
    """Make this handle's leases note, in the request they serve, the generation they hand
    out (the access line's ``generation``). Per handle, so per app."""
    handle.on_lease = _note_generation


def _note_generation(generation: Generation) -> None:
    if has_request_context():
        g.searchsvc_generation = generation.number


def access_line(response: Response, started: float | None) -> str:
    fields: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
    }
    if started is not None:
        fields["ms"] = round((time.perf_counter() - started) * 1000, 2)
    q = request.args.get("q")
    if q is not None:
        fields["q_len"] = len(q)
    generation = g.get("searchsvc_generation")
    if generation is not None:
        fields["generation"] = generation
    return json.dumps(fields, ensure_ascii=False)


class AccessLog:
    def started(self, sender: Any, **extra: Any) -> None:
        g.searchsvc_access_start = time.perf_counter()

    def finished(self, sender: Any, response: Response, **extra: Any) -> None:
        if log.isEnabledFor(logging.INFO):
            log.info(access_line(response, g.get("searchsvc_access_start")))


def init_app(app: Flask) -> AccessLog:
    """Log one line per request of ``app``. Call after SearchService.init_app."""
    service: SearchService = app.extensions["searchsvc"]
    record_generations(service.handle)
    found = AccessLog()
    app.extensions[EXTENSION] = found
    request_started.connect(found.started, app)  # held weakly: as long as the app lives
    request_finished.connect(found.finished, app)
    return found


def configure_serve_logging() -> None:
    """For `searchsvc serve`: ``searchsvc`` log lines to stderr with time, process and level;
    access lines as bare JSON, one a line. Idempotent."""
    root = logging.getLogger("searchsvc")
    if any(h.get_name() == HANDLER_NAME for h in root.handlers):
        return
    general = logging.StreamHandler(sys.stderr)
    general.set_name(HANDLER_NAME)
    general.setFormatter(
        logging.Formatter(
            "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "%Y-%m-%d %H:%M:%S %z",
        )
    )
    root.addHandler(general)
    root.setLevel(logging.INFO)
    access = logging.StreamHandler(sys.stderr)
    access.set_name(HANDLER_NAME)
    access.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(access)
    log.propagate = False
    log.setLevel(logging.INFO)
