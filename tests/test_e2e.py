"""End to end: `searchsvc serve` as a real process (gunicorn, 2 workers) over real HTTP.

One server for the session (tests/conftest.py's seed_server, shared with test_server), on a
free port of 127.0.0.1, over a temporary copy of seeds/ and an index folder that does not
exist yet (so the first start must build it). The server is stopped with SIGTERM (then
SIGKILL to its process group) in the finalizer.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from benchmarks.servers import fetch
from tests.conftest import Server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # starting gunicorn takes seconds


@pytest.fixture
def server(seed_server: Server) -> Server:
    return seed_server


def test_first_start_builds_the_index_and_gunicorn_serves_it(server: Server) -> None:
    assert (server.index_dir / "manifest.json").is_file()
    reply = fetch(f"{server.base}/healthz")
    assert reply.status == 200
    assert "gunicorn" in reply.headers["Server"].lower()
    assert reply.headers.get_content_type() == "application/json"
    assert reply.body["status"] == "ok"
    assert reply.body["documents"] == 34
    assert reply.body["index_generation"] >= 1
    assert reply.body["indexed_at"]
    log = server.log.read_text()
    assert "No index in" in log and "Indexed 34 articles" in log
    # The first worker may answer before the second has logged its boot (workers start in
    # about a second since the master preloads the app): give the log a moment.
    deadline = time.monotonic() + 10
    while log.count("Booting worker") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        log = server.log.read_text()
    assert log.count("Booting worker") >= 2
    assert "Control socket" not in log  # no socket at a path shared with other servers


def test_search_with_highlights_and_facets(server: Server) -> None:
    query = urlencode({"q": "nvidia earnings", "facets": "tickers,category"})
    reply = fetch(f"{server.base}/api/search?{query}")
    assert reply.status == 200
    assert reply.headers.get_content_type() == "application/json"
    data = reply.body
    assert data["total"] == 4
    assert data["hits"][0]["slug"] == "nvidia-record-earnings-data-center-demand"
    assert "<mark>" in data["hits"][0]["highlights"]["title"]
    assert "<mark>" in data["hits"][0]["highlights"]["body"]
    assert set(data["facets"]) == {"tickers", "category"}
    nvda = next(v for v in data["facets"]["tickers"] if v["value"] == "NVDA")
    assert (nvda["label"], nvda["count"]) == ("NVIDIA", 4)
    # the same request on both workers gives the same answer
    for _ in range(4):
        again = fetch(f"{server.base}/api/search?{query}").body
        assert [h["slug"] for h in again["hits"]] == [h["slug"] for h in data["hits"]]


def test_article_and_errors(server: Server) -> None:
    article = fetch(f"{server.base}/api/articles/tsmc-arizona-expansion-tariff-threats")
    assert article.status == 200
    assert article.body["source_path"] == "tsmc-arizona-expansion-tariff-threats.md"
    assert {"symbol": "TSM"}.items() <= article.body["tickers"][0].items()

    cases = [
        ("GET", "/api/articles/no-such-article", 404, "not_found"),
        ("GET", "/api/search?" + urlencode({"q": '"unclosed', "strict": 1}), 400, "bad_query"),
        ("GET", "/api/search?per_page=51", 400, "bad_parameter"),
        ("PUT", "/api/search", 405, "method_not_allowed"),  # POST is a search (issue 9)
    ]
    for method, path, status, code in cases:
        reply = fetch(server.base + path, method=method)
        assert reply.status == status, path
        assert reply.headers.get_content_type() == "application/json"
        assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code
        assert reply.body["error"]["message"]
    strict = fetch(server.base + "/api/search?" + urlencode({"q": '"unclosed', "strict": 1}))
    assert "position 0" in strict.body["error"]["message"]


def slugs_for(server: Server, **params: str) -> set[str]:
    reply = fetch(f"{server.base}/api/search?{urlencode({'per_page': '50', **params})}")
    assert reply.status == 200
    return {hit["slug"] for hit in reply.body["hits"]}


def test_every_name_of_a_company_finds_the_same_articles(server: Server) -> None:
    tsmc = slugs_for(server, q="TSMC")
    assert len(tsmc) == 3
    for name in ("Taiwan Semiconductor", "TSM", "2330.TW", "ticker:TSM"):
        assert slugs_for(server, q=name) == tsmc, name
    assert slugs_for(server, ticker="2330.TW") == tsmc
    # an article that only says "Alibaba" is found by the symbol
    assert "nvidia-h20-export-controls-china-chip-sales" in slugs_for(server, q="ticker:BABA")
