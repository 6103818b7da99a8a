"""The access log: one JSON line per request on `searchsvc.access`, no query values, no
client address, the generation used; no traceback for a client's error."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from searchsvc import create_app
from searchsvc.ops.accesslog import LOGGER, configure_serve_logging
from tests.conftest import SEEDS, TOKEN


@pytest.fixture
def client(seed_index: Path, tmp_path: Path) -> FlaskClient:
    app = create_app(
        {
            "INDEX_DIR": seed_index,
            "CONTENT_DIR": SEEDS,
            "ADMIN_TOKEN": TOKEN,
            "QUERY_LOG": False,
            "RATE_LIMIT": "50/minute",
            "RATE_LIMIT_FILE": tmp_path / "rl.sqlite3",
        }
    )
    return app.test_client()


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER]


def test_one_json_line_per_request_without_query_values(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    client.get("/api/search?q=secret+merger+talks&tag=Confidential&page=1")
    (line,) = access_lines(caplog)
    assert set(line) == {"time", "method", "path", "status", "ms", "q_len", "generation"}
    assert line["method"] == "GET" and line["path"] == "/api/search"
    assert line["status"] == 200 and line["q_len"] == len("secret merger talks")
    assert line["generation"] >= 1 and line["ms"] > 0
    assert line["time"].endswith("Z")
    text = caplog.text.lower()
    assert "secret" not in text and "merger" not in text and "confidential" not in text
    assert "127.0.0.1" not in caplog.text  # no client address


@pytest.mark.parametrize(
    ("path", "status", "has_generation", "has_q"),
    [
        ("/api/articles/tsmc-arizona-expansion-tariff-threats", 200, True, False),
        ("/api/articles/no-such-article", 404, True, False),  # it looked in the index
        ("/healthz", 200, True, False),
        ("/no/such/url", 404, False, False),  # never read the index
        ("/api/search?q=", 200, True, True),
        ("/api/search?page=zero", 400, False, False),  # refused before searching
    ],
)
def test_generation_when_the_request_read_the_index(
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
    path: str,
    status: int,
    has_generation: bool,
    has_q: bool,
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    assert client.get(path).status_code == status
    (line,) = access_lines(caplog)
    assert line["status"] == status
    assert line["path"] == path.split("?")[0]
    assert ("generation" in line) == has_generation
    assert ("q_len" in line) == has_q


def _over_the_limit(client: FlaskClient) -> Any:
    for _ in range(50):
        client.get("/api/search?q=x")
    return client.get("/api/search?q=x")


CLIENT_ERRORS = [
    ("bad parameter", lambda c: c.get("/api/search?per_page=abc"), 400),
    ("bad strict query", lambda c: c.get('/api/search?q="open&strict=1'), 400),
    ("unknown article", lambda c: c.get("/api/articles/none"), 404),
    ("unknown url", lambda c: c.get("/nope"), 404),
    ("wrong method", lambda c: c.delete("/api/search"), 405),
    ("no token", lambda c: c.get("/admin/stats"), 401),
    ("wrong token", lambda c: c.get("/metrics", headers={"Authorization": "Bearer no"}), 401),
    (
        "bad reindex body",
        lambda c: c.post(
            "/admin/reindex",
            data="[",
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ),
        400,
    ),  # noqa: E501
    ("body too large", lambda c: c.post("/api/search", data=b"x" * (2 * 1024 * 1024)), 413),
    ("rate limited", _over_the_limit, 429),
]


@pytest.mark.parametrize(
    ("what", "call", "status"), CLIENT_ERRORS, ids=[e[0] for e in CLIENT_ERRORS]
)
def test_a_client_error_logs_no_traceback(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, what: str, call: Any, status: int
) -> None:
    caplog.set_level(logging.DEBUG)
    assert call(client).status_code == status
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    assert access_lines(caplog)[-1]["status"] == status


def test_an_unexpected_error_logs_its_traceback(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(client.application.extensions["searchsvc"], "search", boom)
    caplog.set_level(logging.INFO)
    assert client.get("/api/search?q=a").status_code == 500
    assert any(r.exc_info for r in caplog.records)
    assert access_lines(caplog)[-1]["status"] == 500


@pytest.fixture
def serve_logging() -> Iterator[None]:
    """configure_serve_logging changes process-wide loggers: put them back afterwards."""
    loggers = [logging.getLogger("searchsvc"), logging.getLogger(LOGGER)]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        lg.handlers[:], lg.level, lg.propagate = handlers, level, propagate


def test_serve_logging_writes_access_lines_as_bare_json_to_stderr(
    client: FlaskClient, serve_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_serve_logging()
    configure_serve_logging()  # idempotent: still one line per request
    client.get("/api/search?q=nvidia")
    logging.getLogger("searchsvc").info("a service line")
    for handler in logging.getLogger(LOGGER).handlers:
        handler.flush()
    err = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["path"] for line in err if line.startswith("{")] == ["/api/search"]
    (service,) = [line for line in err if "a service line" in line]
    assert "[INFO] searchsvc: a service line" in service
