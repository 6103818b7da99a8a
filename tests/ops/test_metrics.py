"""GET /metrics through the test client: the admin gate, request counts and latencies by
URL rule, the index and reindex gauges read at scrape time, reindex runs, query-log drops.
(Counts added up across real gunicorn workers: tests/ops/test_ops_e2e.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from searchsvc import create_app
from searchsvc.indexing.layout import writer_lock
from searchsvc.query.handle import IndexHandle
from tests.conftest import AUTH, TOKEN, write_article

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def app(seed_site: tuple[Path, Path]) -> Flask:
    # a copy: POST /admin/reindex and the rate-limit file must not touch the shared index
    content, index_dir = seed_site
    return create_app({"INDEX_DIR": index_dir, "CONTENT_DIR": content, "ADMIN_TOKEN": TOKEN})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_metrics_is_a_404_while_admin_is_off(seed_index: Path, method: str) -> None:
    client = create_app({"INDEX_DIR": seed_index}).test_client()
    response = client.open("/metrics", method=method)
    assert response.status_code == 404
    if method != "HEAD":
        assert response.get_json()["error"]["code"] == "admin_disabled"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic x"}],
)
def test_metrics_needs_the_admin_token(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="searchsvc admin"')
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/metrics", headers=AUTH).headers["Cache-Control"] == "no-store"


def test_requests_are_counted_by_url_rule_and_status(client: FlaskClient) -> None:
    client.get("/api/search?q=nvidia")
    client.get("/api/search?q=tariffs&page=2")
    client.get("/api/search?page=x")  # 400
    client.get("/api/articles/tsmc-arizona-expansion-tariff-threats")
    client.get("/api/articles/no-such-article")  # 404 on a known rule
    client.get("/no/such/url")  # no rule at all
    client.get("/admin/stats")  # 401
    samples = scrape(client)
    requests = "searchsvc_http_requests_total"
    assert value(samples, requests, endpoint="/api/search", status="200") == 2
    assert value(samples, requests, endpoint="/api/search", status="400") == 1
    article = "/api/articles/<path:slug>"  # the rule, not the raw path: no label per slug
    assert value(samples, requests, endpoint=article, status="200") == 1
    assert value(samples, requests, endpoint=article, status="404") == 1
    assert value(samples, requests, endpoint="unrouted", status="404") == 1
    assert value(samples, requests, endpoint="/admin/stats", status="401") == 1
    assert not any("no-such-article" in str(labels) for _, labels in samples)
    latency = "searchsvc_http_request_duration_seconds"
    assert value(samples, latency + "_count", endpoint="/api/search") == 3
    assert value(samples, latency + "_sum", endpoint="/api/search") > 0
    assert value(samples, latency + "_bucket", endpoint="/api/search", le="+Inf") == 3
    # the scrape itself is counted by the next one
    assert value(scrape(client), requests, endpoint="/metrics", status="200") == 1


def test_index_and_last_report_are_read_at_scrape_time(client: FlaskClient) -> None:
    samples = scrape(client)
    assert value(samples, "searchsvc_index_up") == 1
    assert value(samples, "searchsvc_index_documents") == 34
    assert value(samples, "searchsvc_index_generation") >= 1
    assert value(samples, "searchsvc_last_reindex_changes", change="added") == 34
    assert value(samples, "searchsvc_last_reindex_errors") == 0
    assert value(samples, "searchsvc_last_reindex_duration_seconds") > 0
    assert value(samples, "searchsvc_last_reindex_finished_timestamp_seconds") > 1.7e9


def test_no_index_is_index_up_0(tmp_path: Path) -> None:
    client = create_app({"INDEX_DIR": tmp_path / "none", "ADMIN_TOKEN": TOKEN}).test_client()
    samples = scrape(client)
    assert value(samples, "searchsvc_index_up") == 0
    assert ("searchsvc_index_documents", ()) not in samples


def test_reindex_runs_durations_and_errors(
    app: Flask, client: FlaskClient, short_lock_wait: None
) -> None:
    content = app.config["CONTENT_DIR"]
    write_article(content, "new.md", "---\nslug: fresh\ntitle: Fresh\n---\n\nA new article.\n")
    (content / "broken.md").write_bytes(b"---\ntitle: [unclosed\n---\n\nbody\n")
    before = scrape(client)
    assert value(before, "searchsvc_reindex_runs_total", result="ok") == 0  # there from the start
    assert client.post("/admin/reindex", headers=AUTH).status_code == 200
    with writer_lock(app.config["INDEX_DIR"]):  # another reindex holds the lock: 409
        assert client.post("/admin/reindex", headers=AUTH).status_code == 409
    assert client.post("/admin/reindex", headers=AUTH, json={"bogus": 1}).status_code == 400
    samples = scrape(client)
    assert value(samples, "searchsvc_reindex_runs_total", result="ok") == 1
    assert value(samples, "searchsvc_reindex_runs_total", result="busy") == 1
    assert value(samples, "searchsvc_reindex_runs_total", result="error") == 0
    assert value(samples, "searchsvc_reindex_duration_seconds_count") == 1
    assert value(samples, "searchsvc_reindex_file_errors_total") == 1
    # the report on disk: this run (a CLI or watch run would show the same way)
    assert value(samples, "searchsvc_last_reindex_changes", change="added") == 1
    assert value(samples, "searchsvc_last_reindex_errors") == 1
    assert value(samples, "searchsvc_index_documents") == 35


def test_query_log_drops_are_counted_once(client: FlaskClient, app: Flask) -> None:
    querylog = app.extensions["searchsvc_querylog"]
    querylog.dropped += 3  # as record() does when its queue is full
    querylog.failed += 2
    assert value(scrape(client), "searchsvc_querylog_dropped_total") == 3
    querylog.dropped += 1
    samples = scrape(client)
    assert value(samples, "searchsvc_querylog_dropped_total") == 4  # not 3 + 4
    assert value(samples, "searchsvc_querylog_failed_total") == 2


def test_each_app_has_its_own_registry(seed_index: Path) -> None:
    first = create_app({"INDEX_DIR": seed_index, "ADMIN_TOKEN": TOKEN}).test_client()
    second = create_app({"INDEX_DIR": seed_index, "ADMIN_TOKEN": TOKEN}).test_client()
    first.get("/api/search?q=nvidia")
    name = "searchsvc_http_requests_total"
    assert value(scrape(first), name, endpoint="/api/search", status="200") == 1
    assert value(scrape(second), name, endpoint="/api/search", status="200") == 0


def test_creating_an_app_does_not_open_the_index(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the index opens on first use (SearchService.init_app); registering the metrics'
    # index collector used to open it in every create_app()
    opened: list[Path] = []
    real = IndexHandle.current
    monkeypatch.setattr(IndexHandle, "current", lambda self: opened.append(self) or real(self))
    client = create_app({"INDEX_DIR": seed_index, "ADMIN_TOKEN": TOKEN}).test_client()
    assert opened == []
    assert value(scrape(client), "searchsvc_index_up") == 1  # a scrape reads it
    assert opened
