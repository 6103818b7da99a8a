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

    from searchsvc.admin import explain as admin_explain
    from searchsvc.admin import inspection as admin_inspect
    from searchsvc.admin import page as admin_page
    from searchsvc.admin import reindex as admin
    from searchsvc.ops.accesslog import init_app as init_access_log
    from searchsvc.ops.metrics import init_app as init_metrics
    from searchsvc.ops.ratelimit import init_app as init_rate_limits
    from searchsvc.settings import SETTINGS, load_settings
    from searchsvc.web import api, errors, querylog
    from searchsvc.web import guards as http_guards
    from searchsvc.web.service import SearchService

    # no app-wide /static/: searchsvc/admin/static/ belongs to the admin page (admin_page.py)
    app = Flask(__name__, static_folder=None)
    app.config.update(load_settings(test_config))
    # every other key as given, Flask's own too (TESTING, SECRET_KEY, ...); settings were
    # read above, where None means "not set"
    settings = {setting.name for setting in SETTINGS}
    app.config.update({k: v for k, v in (test_config or {}).items() if k not in settings})
    app.json.sort_keys = False  # type: ignore[attr-defined]
    SearchService.init_app(app)
    querylog.init_app(app)
    # before the blueprints: a locked-out address is refused before any token check
    init_rate_limits(app)
    init_metrics(app)
    init_access_log(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_inspect.bp)
    app.register_blueprint(querylog.bp)
    app.register_blueprint(admin_explain.bp)
    app.register_blueprint(admin_page.bp)
    errors.init_app(app)
    http_guards.init_app(app)
    return app
