"""searchsvc: full-text search over a site's Markdown articles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The WSGI app: settings -> index handle -> blueprints -> error handlers."""
    # Imported here so that library users (indexer, CLI) do not pay for Flask.
    from flask import Flask

    from searchsvc import admin, web
    from searchsvc.ops import accesslog, metrics, ratelimit
    from searchsvc.settings import SETTINGS, load_settings
    from searchsvc.web import querylog
    from searchsvc.web.service import SearchService

    # no app-wide /static/: searchsvc/admin/static/ belongs to the admin page (admin/page.py)
    app = Flask(__name__, static_folder=None)
    app.config.update(load_settings(test_config))
    # every other key as given, Flask's own too (TESTING, SECRET_KEY, ...); settings were
    # read above, where None means "not set"
    settings = {setting.name for setting in SETTINGS}
    app.config.update({k: v for k, v in (test_config or {}).items() if k not in settings})
    app.json.sort_keys = False  # type: ignore[attr-defined]
    SearchService.init_app(app)
    querylog.init_app(app)
    # Hooks run in the order they are registered. Rate limits first: a locked-out address
    # is refused before any token check. Then the admin gate, before web's body limits:
    # an anonymous /admin/ caller learns nothing but 401, whatever it sent.
    ratelimit.init_app(app)
    metrics.init_app(app)
    accesslog.init_app(app)
    admin.init_app(app)
    web.init_app(app)
    return app
