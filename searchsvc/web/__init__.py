"""The public HTTP surface: /api/*, /healthz, the JSON error shape, request guards,
the service that owns the index handle, and the query log it records to."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The public blueprints, the one JSON error shape, and the guards every exchange gets."""
    from searchsvc.web import api, errors, guards

    app.register_blueprint(api.bp)
    errors.init_app(app)
    guards.init_app(app)
