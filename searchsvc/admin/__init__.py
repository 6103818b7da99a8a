"""Everything under /admin/: the token gate, the reindex webhook, explain, analyze,
documents and stats, the query-log view, and the admin page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The token gate, then every /admin/ blueprint (all of them behind it)."""
    from searchsvc.admin import analyze, auth, explain, inspection, page, queries, reindex

    auth.init_app(app)
    app.register_blueprint(reindex.bp)
    inspection.init_app(app)
    for blueprint in (analyze.bp, queries.bp, explain.bp, page.bp):
        app.register_blueprint(blueprint)
