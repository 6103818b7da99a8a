"""What `searchsvc serve` prepares before gunicorn forks: the folder the workers' metrics
are added up in, the rate-limit file they share, and their removal at exit."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from searchsvc.server import METRICS_DIR_ENV, RATE_LIMIT_FILE_ENV, ops_hooks, prepare_run_dir


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
