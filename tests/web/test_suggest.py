"""GET /api/suggest: a search box's dropdown, from names, tags, past searches and titles."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from searchsvc import create_app
from searchsvc.entities.dictionary import default_companies
from searchsvc.query.handle import IndexHandle
from searchsvc.query.suggestions import Entry, SuggestionIndex, mark_prefixes, suggest
from searchsvc.web.popular import MIN_SEARCHES, read_popular
from searchsvc.web.querydb import DB_NAME
from searchsvc.web.querylog import log_of
from tests.conftest import error_of


@pytest.fixture(scope="module")
def client(seed_index: Path) -> FlaskClient:
    """No query log: other tests' searches must not become popular searches here."""
    app = create_app({"INDEX_DIR": seed_index, "QUERY_LOG": False, "TESTING": True})
    return app.test_client()


def suggestions(client: FlaskClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/suggest", query_string=params)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["query"] == params.get("q", "")
    return list(body["suggestions"])


@pytest.mark.parametrize(
    ("q", "kind", "text"),
    [
        ("nvid", "company", "NVIDIA"),
        ("alib", "company", "Alibaba Group"),
        ("tsm", "company", "Taiwan Semiconductor Manufacturing"),  # by its symbol
        ("semicond", "category", "Semiconductors"),
        ("hb", "tag", "HBM"),
        ("credential st", "title", "Credential Stuffing Wave Targets Online Retail Accounts"),
    ],
)
def test_each_kind_is_suggested(client: FlaskClient, q: str, kind: str, text: str) -> None:
    found = [(s["kind"], s["text"]) for s in suggestions(client, q=q)]
    assert (kind, text) in found, found


def test_a_company_has_its_symbol_and_a_title_its_slug(client: FlaskClient) -> None:
    items = suggestions(client, q="nvidia")
    company = next(s for s in items if s["kind"] == "company")
    assert company["symbol"] == "NVDA"
    title = next(s for s in items if s["kind"] == "title")
    assert title["slug"] and client.get(f"/api/articles/{title['slug']}").status_code == 200


def test_the_typed_part_is_marked(client: FlaskClient) -> None:
    company = suggestions(client, q="nvid")[0]
    assert company["highlighted"] == "<mark>NVID</mark>IA"


@pytest.mark.parametrize(("q", "meant"), [("softbnak", "SoftBank Group"), ("nvdia ", "NVIDIA")])
def test_suggestions_forgive_typos(client: FlaskClient, q: str, meant: str) -> None:
    assert meant in [s["text"] for s in suggestions(client, q=q)]


def test_limit_and_empty_queries(client: FlaskClient) -> None:
    assert len(suggestions(client, q="a", limit=3)) <= 3
    assert suggestions(client, q="") == []
    assert suggestions(client, q="zzqqxxv") == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a", "limit": "0"},
        {"q": "a", "limit": "21"},
        {"q": "x" * 513},
        {"q": "a", "typos": "3"},
    ],
)
def test_bad_parameters_are_400(client: FlaskClient, params: dict[str, str]) -> None:
    error_of(client.get("/api/suggest", query_string=params), 400, "bad_parameter")


def test_only_companies_found_in_some_article_are_suggested(seed_handle: IndexHandle) -> None:
    with seed_handle.lease() as gen:
        texts = [s.text for s in suggest(gen, "microsof", default_companies())]
        assert "Microsoft" in texts  # the seeds mention it
        assert not any(s.kind == "company" for s in suggest(gen, "exxon", default_companies()))


# --- popular past searches ------------------------------------------------------------------------


@pytest.fixture
def logged_app(seed_index: Path, tmp_path: Path) -> Iterator[Flask]:
    """An app with a query log of its own (a private copy of the seed index)."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, ignore=shutil.ignore_patterns(f"{DB_NAME}*"))
    app = create_app({"INDEX_DIR": index, "TESTING": True})
    yield app
    log = log_of(app)
    assert log is not None and log.close()


def test_popular_searches_that_found_something_are_suggested(logged_app: Flask) -> None:
    client = logged_app.test_client()
    for _ in range(MIN_SEARCHES):
        client.get("/api/search", query_string={"q": "export controls"})
        client.get("/api/search", query_string={"q": "zzqqxxv qqzzkkw"})  # found nothing
    client.get("/api/search", query_string={"q": "export tariffs"})  # asked once: not offered
    for _ in range(MIN_SEARCHES):  # on the way to "export controls", as one types
        client.get("/api/search", query_string={"q": "export con"})
    log = log_of(logged_app)
    assert log is not None and log.flush()
    popular = read_popular(log.path, time.time() - 3600)
    assert popular == [("export controls", MIN_SEARCHES)]
    items = suggestions(client, q="expo")
    assert items[0] == {
        "text": "export controls",
        "kind": "query",
        "highlighted": "<mark>expo</mark>rt controls",
    }


# --- the parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "prefixes", "marked"),
    [
        ("NVIDIA Earnings", ["nvid"], "<mark>NVID</mark>IA Earnings"),
        ("Data Center Deal", ["data", "cen"], "<mark>Data</mark> <mark>Cen</mark>ter Deal"),
        ("Nestlé <b>café</b>", ["cafe"], "Nestlé &lt;b&gt;<mark>café</mark>&lt;/b&gt;"),
        ("AT&T", ["at"], "<mark>AT</mark>&amp;T"),
        ("no match", ["zz"], "no match"),
    ],
)
def test_mark_prefixes_escapes_and_marks(text: str, prefixes: list[str], marked: str) -> None:
    assert mark_prefixes(text, prefixes) == marked


def test_the_index_finds_every_prefix_most_used_first() -> None:
    index = SuggestionIndex(
        [
            Entry("Data Center", "tag", 5),
            Entry("Data Privacy", "tag", 9),
            Entry("The Coca-Cola Company", "company", 3, "KO"),
        ]
    )
    assert [e.text for e in index.matching(["data"], 10)] == ["Data Privacy", "Data Center"]
    assert [e.text for e in index.matching(["data", "ce"], 10)] == ["Data Center"]
    assert index.matching(["the"], 10) == []  # a stop word finds nothing by itself
    assert [e.text for e in index.matching(["data"], 1)] == ["Data Privacy"]
