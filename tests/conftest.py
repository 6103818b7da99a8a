"""Shared fixtures: the seed corpus indexed once per session, apps over it, temp folders."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from searchsvc import create_app
from searchsvc.indexing.build import build_index
from searchsvc.query.handle import IndexHandle

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _no_searchsvc_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's SEARCHSVC_* settings."""
    for name in (
        "CONTENT_DIR",
        "INDEX_DIR",
        "ADMIN_TOKEN",
        "COMPANIES_FILE",
        "REFRESH_SECONDS",
        "QUERY_LOG",
        "QUERY_LOG_MAX_ROWS",
        "RATE_LIMIT",
        "RATE_LIMIT_FILE",
        "AUTH_FAILURE_LIMIT",
        "PROXY_HOPS",
    ):
        monkeypatch.delenv(f"SEARCHSVC_{name}", raising=False)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of seeds/, built once per test session (read-only for tests)."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index(SEEDS, index_dir, workers=1)
    return index_dir


@pytest.fixture(scope="session")
def seed_handle(seed_index: Path) -> Iterator[IndexHandle]:
    handle = IndexHandle.open(seed_index)
    yield handle
    handle.close()


@pytest.fixture
def app(seed_index: Path) -> Flask:
    return create_app({"INDEX_DIR": seed_index, "CONTENT_DIR": SEEDS, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of seeds/ for tests that edit content."""
    target = tmp_path / "content"
    shutil.copytree(SEEDS, target)
    return target


def write_article(folder: Path, name: str, text: str) -> Path:
    """Write one article file (parents created) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
