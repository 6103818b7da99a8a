"""The public HTTP surface: /api/*, /healthz, the search page and widget, the OpenAPI
document and its page, the JSON error shape, request guards, HTTP caching and CORS, the
service that owns the index handle, and its query log."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The public blueprints, the one JSON error shape, and the guards every exchange gets.

    Caching needs no call here: its hooks are the blueprints' own (caching.init_blueprint in
    api.py), which Flask runs after every app-level hook, so a rate-limited or refused
    request never reaches them. CORS headers are added to any /api/* answer, errors too."""
    from searchsvc.web import api, apidocs, cors, errors, guards, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(apidocs.bp)
    errors.init_app(app)
    guards.init_app(app)
    cors.init_app(app)
