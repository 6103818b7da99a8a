"""Run the app under gunicorn (the production WSGI server), without a config file."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
RATE_LIMIT_FILE_ENV = "SEARCHSVC_RATE_LIMIT_FILE"


def prepare_run_dir() -> Path:
    """Before the workers start (and import prometheus_client): a new temporary folder for
    this server run, removed at exit, and in the environment the workers inherit:

    - PROMETHEUS_MULTIPROC_DIR, where every worker writes its metrics: ``metrics/`` in it,
      or the folder already named, emptied of an earlier run's counts;
    - SEARCHSVC_RATE_LIMIT_FILE, the counts every worker's rate limits share, unless set."""
    run_dir = Path(tempfile.mkdtemp(prefix="searchsvc-run-"))
    given = os.environ.get(METRICS_DIR_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        folder = run_dir / "metrics"
        folder.mkdir()
        os.environ[METRICS_DIR_ENV] = str(folder)
    if not os.environ.get(RATE_LIMIT_FILE_ENV):
        os.environ[RATE_LIMIT_FILE_ENV] = str(run_dir / "ratelimit.sqlite3")
    return run_dir


def _worker_exited(server: Any, worker: Any) -> None:
    # gunicorn's child_exit hook, in the arbiter: drop the dead worker's live gauges
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def ops_hooks() -> dict[str, Any]:
    """gunicorn options for metrics and rate limits shared by the workers (see
    searchsvc/metrics.py and searchsvc/ratelimit.py)."""
    run_dir = prepare_run_dir()

    def on_exit(server: Any) -> None:
        shutil.rmtree(run_dir, ignore_errors=True)

    return {"child_exit": _worker_exited, "on_exit": on_exit}


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
    from searchsvc.accesslog import configure_serve_logging

    configure_serve_logging()  # searchsvc's access lines replace gunicorn's access log
    ops = ops_hooks()
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "sync",
            # A sync worker busy with POST /admin/reindex sends no heartbeat; a full rebuild
            # of ~50,000 articles takes about 90 s on 2 cores. Searches answer in ms.
            "timeout": 120,
            "graceful_timeout": 10,
            **ops,
        }
    ).run()
