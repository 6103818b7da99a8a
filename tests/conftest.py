"""Shared helpers: the seed corpus indexed once per session, apps over it (with the admin
token or without), the one error shape, articles to write, and real servers.

Markers (registered in pyproject.toml): `e2e` for tests through a real server process,
`browser` for Playwright in Chromium, `slow` for tests that take seconds on a quiet
machine. `pytest -m "not slow and not browser"` is the fast run while working.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis.configuration import set_hypothesis_home_dir
from werkzeug.test import TestResponse

from benchmarks.servers import Process, ServerFailed, start_server
from searchsvc import create_app
from searchsvc.indexing import build, layout
from searchsvc.indexing.build import build_index
from searchsvc.ingest import scan
from searchsvc.ingest.articles import Article
from searchsvc.query.handle import IndexHandle

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
# the admin token of every test app and server that enables /admin/ (SEARCHSVC_ADMIN_TOKEN)
TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# Hypothesis keeps no example database (a failing example is printed; pin it with
# @example), and its caches (the Unicode tables, 4-5 s to build) go to the system's
# temporary folder, kept from run to run, instead of .hypothesis/ in the working copy.
# No deadline: how long an example takes is the machine's business (benchmarks measure
# time, tests do not), and on 2 busy cores the first example of a test that compiles the
# company dictionary or opens an index runs past Hypothesis's 200 ms default.
hypothesis.settings.register_profile("searchsvc", database=None, deadline=None)
hypothesis.settings.load_profile("searchsvc")


def pytest_configure(config: pytest.Config) -> None:
    home = Path(tempfile.gettempdir()) / "searchsvc-hypothesis"
    home.mkdir(exist_ok=True)
    set_hypothesis_home_dir(str(home))


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
        "CORS_ORIGINS",
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


@pytest.fixture(scope="module")
def admin(seed_index: Path) -> Iterator[FlaskClient]:
    """A client of an app over the seed index with admin enabled (send AUTH), one per
    module: Hypothesis tests cannot use function-scoped fixtures. (Each wrong token counts
    towards SEARCHSVC_AUTH_FAILURE_LIMIT: tests that send many make an app of their own.)"""
    app = create_app(
        {"INDEX_DIR": seed_index, "CONTENT_DIR": SEEDS, "TESTING": True, "ADMIN_TOKEN": TOKEN}
    )
    yield app.test_client()
    app.extensions["searchsvc"].handle.close()


def error_of(response: TestResponse, status: int | None = None, code: str | None = None) -> Any:
    """The one error shape, checked (and the status and code, when given): JSON
    `{"error": {"code", "message"}}` with a message. Returns the inner object."""
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json", response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The indexer waits 0.1 s for a writer lock another holds, not its 2 s: a test that
    holds the lock gets its ReindexRunning (or 409) without waiting for nothing."""
    monkeypatch.setattr(build, "writer_lock", partial(layout.writer_lock, wait_seconds=0.1))


@pytest.fixture
def seed_site(seed_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of seeds/ and of the session's index of it: (content, index), as
    build_index(content, index) leaves them, copied in milliseconds instead of built."""
    content, index_dir = tmp_path / "content", tmp_path / "index"
    shutil.copytree(SEEDS, content)
    # apps over the session's index write their query log beside it: not part of the copy
    shutil.copytree(seed_index, index_dir, ignore=shutil.ignore_patterns("querylog.sqlite3*"))
    return content, index_dir


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of seeds/ for tests that edit content."""
    target = tmp_path / "content"
    shutil.copytree(SEEDS, target)
    return target


# --- articles ------------------------------------------------------------------------------


def write_article(folder: Path, name: str, text: str | bytes) -> Path:
    """Write one article file (parents created; text as UTF-8, bytes as they are) and
    return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def article_text(body: str = "Some body text.", **frontmatter: str | list[str]) -> str:
    """A Markdown article: the keyword arguments as YAML frontmatter, in their order (each
    value written as JSON, which YAML reads: any text is safe, non-ASCII as escapes, lists
    are lists), then the body. Without keyword arguments, no frontmatter at all."""
    if not frontmatter:
        return f"{body}\n"
    lines = [f"{key}: {json.dumps(value)}" for key, value in frontmatter.items()]
    return "---\n" + "\n".join(lines) + f"\n---\n\n{body}\n"


def make_article(slug: str = "a", body_text: str = "", **fields: Any) -> Article:
    """An Article as the indexer would get it, without a file: empty fields but those given."""
    values: dict[str, Any] = {
        "title": "",
        "excerpt": "",
        "published_at": None,
        "updated_at": None,
        "authors": (),
        "categories": (),
        "tags": (),
        "keywords": (),
        "featured": None,
        "image": None,
        "url": None,
        "source_path": f"{slug}.md",
        "content_hash": "0" * 64,
    }
    values.update(fields)
    return Article(slug=slug, body_text=body_text, **values)


# --- real servers ----------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    index_dir: Path
    log: Path


def start_serving(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[Process, str]:
    """`searchsvc serve ARGS` (gunicorn, 2 workers, started by benchmarks/servers.py) in
    root, with no SEARCHSVC_* setting but env, healthy: (its process, its base URL). The
    test fails with the server's log if it does not start. Stop it with process.stop()."""
    try:
        return start_server(root, *args, env=env)
    except ServerFailed as error:
        pytest.fail(str(error))


@contextmanager
def serving(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[Process, str]]:
    """start_serving(), stopped at the end of the block (SIGTERM, then SIGKILL)."""
    process, base = start_serving(root, *args, env=env)
    try:
        yield process, base
    finally:
        process.stop()


@pytest.fixture(scope="session")
def seed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `searchsvc serve` over a copy of seeds/, with the admin token, its index built
    by its first start, for the e2e tests that do not change its content (test_e2e,
    test_server): one server start fewer per run."""
    env = {"SEARCHSVC_ADMIN_TOKEN": TOKEN}
    with running_server(tmp_path_factory.mktemp("seed-server"), env) as server:
        yield server


@contextmanager
def running_server(root: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A served temporary copy of seeds/ in root, indexed on start, stopped at the end."""
    content, index_dir = root / "content", root / "index"
    shutil.copytree(SEEDS, content)
    args = ("--content", str(content), "--index", str(index_dir))
    with serving(root, *args, env=env) as (process, base):
        yield Server(base, index_dir, process.log_path)


# --- file stamps --------------------------------------------------------------------------


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Files count as settled at once (not only RACY_NS after a change), and every read of
    a file's bytes is listed here."""
    monkeypatch.setattr(scan, "RACY_NS", 0)
    read: list[Path] = []
    real_read = scan.read_article_bytes

    def listing_read(path: Path, content_dir: Path) -> bytes:
        read.append(path)
        return real_read(path, content_dir)

    monkeypatch.setattr(scan, "read_article_bytes", listing_read)
    return read
