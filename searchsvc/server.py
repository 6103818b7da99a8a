"""Run the app under gunicorn (the production WSGI server), without a config file."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25.1 otherwise opens a control socket at a fixed path under
            # $HOME (or $XDG_RUNTIME_DIR), shared by every server on the machine
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from searchsvc import create_app
        from searchsvc.service import SearchService

        app = create_app()
        service: SearchService = app.extensions["searchsvc"]
        # in each worker, before it takes requests; admin on means it may reindex
        service.warm_up(indexing=bool(app.config.get("ADMIN_TOKEN")))
        return app


def run_gunicorn(host: str, port: int, workers: int) -> None:
    """Serve until interrupted; each worker opens the index itself."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "sync",
            # A sync worker busy with POST /admin/reindex sends no heartbeat; a full rebuild
            # of ~50,000 articles takes about 90 s on 2 cores. Searches answer in ms.
            "timeout": 120,
            "graceful_timeout": 10,
            "accesslog": "-",
        }
    ).run()
