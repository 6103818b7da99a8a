"""What `searchsvc serve` prepares before gunicorn forks: the folder the workers' metrics
are added up in, the rate-limit file they share, and their removal at exit."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest

from searchsvc import create_app
from searchsvc.server import (
    METRICS_DIR_ENV,
    RATE_LIMIT_FILE_ENV,
    _Gunicorn,
    ops_hooks,
    prepare_run_dir,
    worker_exit,
)
from searchsvc.web.querydb import DB_NAME
from searchsvc.web.querylog import close_app, log_of
from tests.conftest import SEEDS


@pytest.fixture(autouse=True)
def _own_temp_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(METRICS_DIR_ENV, raising=False)
    monkeypatch.delenv(RATE_LIMIT_FILE_ENV, raising=False)


def test_unset_variables_get_folders_of_the_run() -> None:
    run_dir = prepare_run_dir()
    assert Path(os.environ[METRICS_DIR_ENV]) == run_dir / "metrics"
    assert (run_dir / "metrics").is_dir()
    assert Path(os.environ[RATE_LIMIT_FILE_ENV]) == run_dir / "ratelimit.sqlite3"


def test_named_folders_are_kept_and_emptied_of_old_counts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    metrics = tmp_path / "prom"
    metrics.mkdir()
    (metrics / "counter_123.db").write_bytes(b"old")
    (metrics / "notes.txt").write_text("not ours")
    monkeypatch.setenv(METRICS_DIR_ENV, str(metrics))
    monkeypatch.setenv(RATE_LIMIT_FILE_ENV, str(tmp_path / "limits.sqlite3"))
    prepare_run_dir()
    assert os.environ[METRICS_DIR_ENV] == str(metrics)
    assert os.environ[RATE_LIMIT_FILE_ENV] == str(tmp_path / "limits.sqlite3")
    assert sorted(p.name for p in metrics.iterdir()) == ["notes.txt"]


def test_the_run_folder_is_removed_at_exit() -> None:
    hooks = ops_hooks()
    run_dir = Path(os.environ[RATE_LIMIT_FILE_ENV]).parent
    (run_dir / "ratelimit.sqlite3").write_bytes(b"")
    assert callable(hooks["child_exit"])
    hooks["on_exit"](None)
    assert not run_dir.exists()


def test_a_worker_that_exits_writes_its_query_log(seed_index: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir, ignore=shutil.ignore_patterns(f"{DB_NAME}*"))
    app = create_app({"INDEX_DIR": index_dir, "CONTENT_DIR": SEEDS, "TESTING": True})
    querylog = log_of(app)
    assert querylog is not None
    for i in range(20):
        querylog.record({"q": f"q{i}", "ts": 1.0})
    worker_exit(None, SimpleNamespace(wsgi=app))  # as gunicorn calls it in the worker
    with closing(sqlite3.connect(index_dir / DB_NAME)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM queries").fetchone() == (20,)
    querylog.record({"q": "after exit"})
    assert querylog.flush() and querylog.written == 20
    worker_exit(None, SimpleNamespace())  # a worker whose app never loaded


def test_each_worker_builds_its_app_from_the_settings_serve_gives(
    seed_index: Path, tmp_path: Path
) -> None:
    before = dict(os.environ)
    given = {"CONTENT_DIR": tmp_path / "content", "INDEX_DIR": seed_index}
    app = _Gunicorn({"workers": 1}, given).load()  # what gunicorn calls in each worker
    try:
        assert app.config["CONTENT_DIR"] == tmp_path / "content"
        assert app.config["INDEX_DIR"] == seed_index
    finally:
        close_app(app)
    assert dict(os.environ) == before
