"""The HTTP API through Flask's test client, on the seed corpus (see ../shared/API.md).

Expectations are computed from the seed files themselves (frontmatter read with PyYAML,
text searched with regular expressions), not from searchsvc, wherever that is practical.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc import create_app
from searchsvc.indexing.build import build_index
from tests.conftest import SEEDS, error_of, write_article

ALL_SEEDS = 34
FACETS = ("tags", "category", "author", "tickers", "year")
TSMC = {
    "tsmc-arizona-expansion-tariff-threats",
    "taiwan-semiconductor-2nm-wafer-price-increase",
    "asian-chip-stocks-rally-new-year",
}
ALIBABA = {
    "alibaba-cloud-ai-growth-accelerates",
    "nvidia-h20-export-controls-china-chip-sales",  # says "Alibaba" only
    "tech-stocks-tumble-tariff-shock",  # says "NYSE:BABA" only
}
UNDATED = "no-frontmatter-quantum-computing-note"


# --- an oracle over the seed files, independent of searchsvc -----------------------------


@cache
def seed_meta() -> dict[str, dict[str, Any]]:
    """slug -> frontmatter fields as the seed site writes them, plus the body."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(SEEDS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta: dict[str, Any] = {}
        body = text
        if text.startswith("---\n"):
            front, body = text[4:].split("\n---\n", 1)
            meta = yaml.safe_load(front)
        tags = meta.get("tags") or []
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.split(",") if t.strip()]
        slug = meta.get("slug", path.stem)
        out[slug] = {
            "title": meta.get("title", ""),
            "excerpt": meta.get("excerpt", ""),
            "published_at": meta.get("publishedAt"),
            "author": meta.get("author"),
            "category": meta.get("category"),
            "tags": list(tags),
            "keywords": list(meta.get("keywords") or []),
            "body": body,
        }
    return out


def oracle(**conditions: Any) -> set[str]:
    """Slugs whose frontmatter satisfies every condition (case-insensitive, OR in a list)."""

    def ok(meta: dict[str, Any]) -> bool:
        for key, wanted in conditions.items():
            wanted = {w.casefold() for w in ([wanted] if isinstance(wanted, str) else wanted)}
            have = meta[key] if isinstance(meta[key], list) else [meta[key]]
            if not wanted & {str(h).casefold() for h in have if h}:
                return False
        return True

    return {slug for slug, meta in seed_meta().items() if ok(meta)}


def dated(start: str | None = None, end: str | None = None) -> set[str]:
    """Slugs published in [start, end] (inclusive; undated articles never match)."""
    return {
        slug
        for slug, meta in seed_meta().items()
        if meta["published_at"]
        and (start is None or meta["published_at"] >= start)
        and (end is None or meta["published_at"] <= end)
    }


def grep(pattern: str) -> set[str]:
    """Slugs whose searched text (title, excerpt, tags, keywords, category, author, body)
    matches pattern."""
    found = set()
    for slug, meta in seed_meta().items():
        fields = [meta["title"], meta["excerpt"], *meta["tags"], *meta["keywords"]]
        fields += [meta["category"] or "", meta["author"] or "", meta["body"]]
        text = "\n".join(fields)
        if re.search(pattern, text, re.IGNORECASE):
            found.add(slug)
    return found


# --- helpers ------------------------------------------------------------------------------


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    assert response.content_type == "application/json"
    data: dict[str, Any] = response.get_json()
    return data


def found(client: FlaskClient, **params: Any) -> set[str]:
    """Every matching slug (the whole result set fits on one page of 50)."""
    data = search(client, per_page=50, **params)
    assert data["total"] <= 50
    slugs = [hit["slug"] for hit in data["hits"]]
    assert len(slugs) == len(set(slugs)) == data["total"]
    return set(slugs)


def get_error(client: FlaskClient, path: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """GET path: (status, body), the body checked to be the one error shape."""
    response = client.get(path, query_string=params)
    assert response.content_type == "application/json"
    error_of(response)
    return response.status_code, response.get_json()


def plain(highlight: str) -> str:
    """A highlight as text: marks dropped, entities decoded."""
    return html.unescape(highlight.replace("<mark>", "").replace("</mark>", ""))


# --- q, match, relaxation -------------------------------------------------------------------


def test_empty_query_is_every_article(client: FlaskClient) -> None:
    assert len(list(SEEDS.glob("*.md"))) == ALL_SEEDS == len(seed_meta())
    data = search(client)
    assert data["query"] == ""
    assert data["total"] == ALL_SEEDS
    assert (data["page"], data["per_page"]) == (1, 10)
    assert len(data["hits"]) == 10
    assert data["relaxed"] is False
    assert isinstance(data["took_ms"], int | float)
    assert set(data["facets"]) == set(FACETS)
    assert found(client) == set(seed_meta())
    assert found(client, q="   ") == set(seed_meta())


def test_hit_shape(client: FlaskClient) -> None:
    hit = search(client, q="nvidia earnings")["hits"][0]
    assert hit["slug"] == "nvidia-record-earnings-data-center-demand"
    meta = seed_meta()[hit["slug"]]
    for key in ("title", "excerpt", "published_at", "author", "category", "tags", "keywords"):
        assert hit[key] == meta[key], key
    assert hit["url"] is None
    assert {"symbol": "NVDA", "name": "NVIDIA", "role": "primary"} in hit["tickers"]
    assert all(set(t) == {"symbol", "name", "role"} for t in hit["tickers"])
    assert isinstance(hit["score"], float) and hit["score"] > 0
    assert set(hit["highlights"]) == {"title", "body"}


@pytest.mark.parametrize(
    ("q", "pattern"),
    [
        ("tariffs", r"\btariffs?\b"),
        ("earnings", r"\bearn(ings?|s)?\b"),  # stemmed: "earn" and "earns" match too
        ('"data center"', r"\bdata\s+centers?\b"),
        ('"export controls"', r"\bexport\s+controls?\b"),
        ("Herrera", r"\bHerrera\b"),
    ],
)
def test_words_and_phrases_find_exactly_the_articles_containing_them(
    client: FlaskClient, q: str, pattern: str
) -> None:
    assert found(client, q=q) == grep(pattern)


def test_seed_word_counts_match_the_brief(client: FlaskClient) -> None:
    assert len(grep(r"\bearnings\b")) == 12
    assert search(client, q="tariffs")["total"] == 8
    assert search(client, q='"data center"')["total"] == 8
    assert search(client, q='"export controls"')["total"] == 3


@pytest.mark.parametrize("q", ["nvidia earnings", "tesla xiaomi", "cloud security", "apple frost"])
def test_match_any_is_the_union_and_all_the_intersection(client: FlaskClient, q: str) -> None:
    first, second = q.split()
    one, two = found(client, q=first), found(client, q=second)
    every = found(client, q=q)
    some = found(client, q=q, match="any")
    assert every == one & two
    assert some == one | two
    assert every <= some
    if every:  # articles with every word rank first
        top = search(client, q=q, match="any")["hits"][0]["slug"]
        assert top in every


def test_a_nonsense_word_is_dropped_and_the_response_says_relaxed(client: FlaskClient) -> None:
    nvidia = found(client, q="nvidia")
    data = search(client, q="nvidia xqzvbnm", per_page=50)
    assert data["relaxed"] is True
    assert data["dropped"] == ["xqzvbnm"]
    assert {h["slug"] for h in data["hits"]} == nvidia
    assert search(client, q="nvidia")["relaxed"] is False
    # relaxation keeps the filters
    semis = found(client, q="nvidia xqzvbnm", category="Semiconductors")
    assert semis == nvidia & oracle(category="Semiconductors")
    # match=any never needs relaxing
    data = search(client, q="nvidia xqzvbnm", match="any", per_page=50)
    assert data["relaxed"] is False
    assert {h["slug"] for h in data["hits"]} == nvidia


@pytest.mark.parametrize(
    ("q", "dropped", "same_as"),
    [
        ("nvidia earnings xqzvbnm", "xqzvbnm", "nvidia earnings"),
        ("xqzvbnm tariffs", "xqzvbnm", "tariffs"),
        ("frost xiaomi", "xiaomi", "frost"),  # no article has both: the commoner word goes
    ],
)
def test_relaxation_drops_the_least_important_word(
    client: FlaskClient, q: str, dropped: str, same_as: str
) -> None:
    data = search(client, q=q, per_page=50)
    assert data["relaxed"] is True
    assert len(data["dropped"]) == 1 and dropped in data["dropped"][0]
    assert {h["slug"] for h in data["hits"]} == found(client, q=same_as)


def test_a_dropped_company_word_is_reported_as_typed(client: FlaskClient) -> None:
    data = search(client, q="tesla frost")
    assert data["relaxed"] is True
    assert data["dropped"] == ["tesla"]


def test_only_nonsense_words_match_nothing(client: FlaskClient) -> None:
    data = search(client, q="xqzvbnm qqqzzzk")
    assert (data["total"], data["hits"], data["relaxed"]) == (0, [], False)


def test_no_match_has_empty_hits_and_a_suggestion(client: FlaskClient) -> None:
    data = search(client, q="zzqqxx")
    assert (data["total"], data["hits"]) == (0, [])
    assert "suggestion" in data and data["suggestion"] is None
    assert all(values == [] for values in data["facets"].values())
    typo = search(client, q="nvidai", typos="0")  # with typos it is searched as nvidia
    assert (typo["total"], typo["hits"]) == (0, [])
    assert typo["suggestion"] == "nvidia"
    assert search(client, q=typo["suggestion"])["total"] == 10


# --- page, per_page and parameter validation ------------------------------------------------


def test_pages_partition_the_results(client: FlaskClient) -> None:
    whole = [h["slug"] for h in search(client, per_page=50)["hits"]]
    paged = [h["slug"] for page in (1, 2, 3, 4) for h in search(client, page=page)["hits"]]
    assert paged == whole
    assert len(whole) == ALL_SEEDS
    last = search(client, page=7, per_page=5)
    assert (last["total"], len(last["hits"]), last["page"], last["per_page"]) == (34, 4, 7, 5)
    beyond = search(client, page=5)
    assert (beyond["total"], beyond["hits"]) == (ALL_SEEDS, [])


@pytest.mark.parametrize(
    "params",
    [
        {"page": 200, "per_page": 50},  # exactly 10,000
        {"page": 1000},
        {"per_page": 1},
        {"per_page": 50},
        {"page": "", "per_page": ""},  # empty = default
    ],
)
def test_page_bounds_accepted(client: FlaskClient, params: dict[str, Any]) -> None:
    assert search(client, **params)["total"] == ALL_SEEDS


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "x"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 51}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"page": 201, "per_page": 50}, "10000"),
        ({"page": 1001}, "10000"),
        ({"page": "99999999999999999999"}, "10000"),
        ({"match": "some"}, "match"),
        ({"sort": "random"}, "sort"),
        ({"from": "2025-13-01"}, "from"),
        ({"from": "2025-02-30"}, "from"),
        ({"year": "25"}, "year"),
        ({"year": ["2025", "last year"]}, "year"),
        ({"to": "2025/10/01"}, "to"),
        ({"to": "yesterday"}, "to"),
        ({"facets": "bogus"}, "bogus"),
        ({"facets": "tags,colour"}, "colour"),
        ({"q": "a" * 513}, "512"),
    ],
)
def test_bad_parameters_are_400(client: FlaskClient, params: dict[str, Any], mentions: str) -> None:
    status, body = get_error(client, "/api/search", **params)
    assert status == 400
    assert body["error"]["code"] == "bad_parameter"
    assert mentions in body["error"]["message"].replace(",", "")


def test_q_of_512_characters_is_accepted(client: FlaskClient) -> None:
    assert search(client, q="a" * 512)["total"] == 0
    assert search(client, q=("nvidia " * 74)[:512])["total"] == 10


# --- sort ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", "tariffs", "nvidia OR earnings"])
def test_sort_orders(client: FlaskClient, q: str) -> None:
    sorts = ("relevance", "newest", "oldest")
    by = {s: search(client, q=q, sort=s, per_page=50)["hits"] for s in sorts}
    assert len({frozenset(h["slug"] for h in hits) for hits in by.values()}) == 1

    scores = [h["score"] for h in by["relevance"]]
    assert scores == sorted(scores, reverse=True)
    for name, reverse in (("newest", True), ("oldest", False)):
        dates = [h["published_at"] for h in by[name]]
        known = [d for d in dates if d is not None]
        assert dates[: len(known)] == known, "undated articles come last"
        assert known == sorted(known, reverse=reverse)
    if not q:
        assert by["newest"][0]["slug"] == "ai-agents-new-enterprise-attack-surface"
        assert by["oldest"][0]["slug"] == "sap-cloud-migration-deadline-it-departments"
        assert by["oldest"][-1]["slug"] == UNDATED


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "Semiconductors"}, lambda: oracle(category="Semiconductors")),
        ({"category": "SEMICONDUCTORS"}, lambda: oracle(category="Semiconductors")),
        (
            {"category": ["Markets", "cybersecurity"]},
            lambda: oracle(category=["Markets", "Cybersecurity"]),
        ),
        ({"author": "elena vassallo"}, lambda: oracle(author="Elena Vassallo")),
        ({"author": "TOMÁS HERRERA"}, lambda: oracle(author="Tomás Herrera")),
        (
            {"author": ["David Chen", "Priya Raman"]},
            lambda: oracle(author=["David Chen", "Priya Raman"]),
        ),
        ({"tag": "earnings"}, lambda: oracle(tags="Earnings")),
        ({"tag": ["Earnings", "TARIFFS"]}, lambda: oracle(tags=["Earnings", "Tariffs"])),
        (
            {"category": "Semiconductors", "author": "Elena Vassallo"},
            lambda: oracle(category="Semiconductors", author="Elena Vassallo"),
        ),
        (
            {"tag": ["Earnings", "Tariffs"], "category": ["Markets", "Semiconductors"]},
            lambda: oracle(tags=["Earnings", "Tariffs"], category=["Markets", "Semiconductors"]),
        ),
        ({"tag": "no such tag"}, set),
        ({"ticker": "TSM"}, lambda: TSMC),
        ({"ticker": "tsm"}, lambda: TSMC),
        ({"ticker": "2330.TW"}, lambda: TSMC),
        ({"ticker": "Taiwan Semiconductor"}, lambda: TSMC),
        ({"ticker": "TSMC"}, lambda: TSMC),
        ({"ticker": "Alibaba"}, lambda: ALIBABA),
        ({"ticker": "BABA"}, lambda: ALIBABA),
        ({"ticker": "9988.HK"}, lambda: ALIBABA),
        ({"ticker": ["TSM", "BABA"]}, lambda: TSMC | ALIBABA),
        ({"ticker": "TSM", "category": "Markets"}, lambda: TSMC & oracle(category="Markets")),
        # Apple the company where an article gives evidence ("Apple's iPhones", "Google,
        # Apple and Microsoft"); "Apple" in the orchard article is fruit
        (
            {"ticker": "AAPL"},
            lambda: {
                "credential-stuffing-wave-retail-accounts",
                "taiwan-semiconductor-2nm-wafer-price-increase",
                "foxconn-ai-server-revenue-record",
                "xiaomi-ecosystem-phones-homes-cars",
            },
        ),
        ({"from": "2025-10-01", "to": "2025-10-31"}, lambda: dated("2025-10-01", "2025-10-31")),
        (
            {"from": "2025-10-08", "to": "2025-10-08"},
            lambda: {"apple-harvest-prices-orchards-late-frost"},
        ),
        ({"from": "2026-10-07"}, lambda: dated("2026-10-07")),
        # the year facet's own filter: OR within it, AND with the rest
        ({"year": "2025"}, lambda: dated("2025-01-01", "2025-12-31")),
        ({"year": ["2025", "2026"]}, lambda: dated("2025-01-01", "2026-12-31")),
        ({"year": "1999"}, set),
        (
            {"year": "2025", "category": "Semiconductors"},
            lambda: dated("2025-01-01", "2025-12-31") & oracle(category="Semiconductors"),
        ),
        ({"to": "2025-02-26"}, lambda: dated(None, "2025-02-26")),
        ({"from": "2026-01-01", "to": "2025-01-01"}, set),
        (
            {"q": "earnings", "category": "Semiconductors", "from": "2025-07-01"},
            lambda: (
                grep(r"\bearn(ings?|s)?\b")
                & oracle(category="Semiconductors")
                & dated("2025-07-01")
            ),
        ),
    ],
)
def test_filters(client: FlaskClient, params: dict[str, Any], expected: Any) -> None:
    want = expected()
    assert found(client, **params) == want
    assert search(client, **params)["total"] == len(want)


def test_hand_counted_totals(client: FlaskClient) -> None:
    assert len(oracle(category="Semiconductors")) == 8
    assert search(client, category="Semiconductors")["total"] == 8
    assert search(client, author="Marco Grima")["total"] == 7
    assert search(client, tag="Earnings")["total"] == 7
    assert search(client, category="Semiconductors", author="Elena Vassallo")["total"] == 2
    assert search(client, colour="red")["total"] == ALL_SEEDS  # unknown parameters: ignored
    assert search(client, **{"from": "2025-01-01", "to": "2025-12-31"})["total"] == 22
    assert search(client, ticker="NVDA")["total"] == 10


def test_ticker_resolution_matches_the_article_fields(client: FlaskClient) -> None:
    """ticker=Alibaba finds an article that never writes BABA, by its extracted ticker."""
    body = seed_meta()["nvidia-h20-export-controls-china-chip-sales"]["body"]
    assert "Alibaba" in body and "BABA" not in body
    article = client.get("/api/articles/nvidia-h20-export-controls-china-chip-sales").get_json()
    assert {"BABA"} <= {t["symbol"] for t in article["tickers"]}


# --- facets ------------------------------------------------------------------------------


FILTER_OF = {
    "tags": "tag",
    "category": "category",
    "author": "author",
    "tickers": "ticker",
    "year": "year",
}


def facet_values(hit: dict[str, Any], facet: str) -> list[str]:
    if facet == "tickers":
        return [t["symbol"] for t in hit["tickers"]]
    if facet == "year":
        return [hit["published_at"][:4]] if hit["published_at"] else []
    if facet == "tags":
        return list(hit["tags"])
    if facet == "category":
        return list(hit["categories"])
    return list(hit["authors"])


def counted(client: FlaskClient, facet: str, params: dict[str, Any]) -> Counter[str]:
    """The facet's counts by hand: the request without the facet's own filter, counted."""
    own = FILTER_OF.get(facet)
    rest = {k: v for k, v in params.items() if k != own}
    data = search(client, per_page=50, **rest)
    assert data["total"] <= 50
    return Counter(v for hit in data["hits"] for v in facet_values(hit, facet))


def check_facets(client: FlaskClient, params: dict[str, Any]) -> dict[str, Any]:
    data = search(client, **params)
    for facet in FACETS:
        values = data["facets"][facet]
        counts = [v["count"] for v in values]
        assert counts == sorted(counts, reverse=True), facet
        assert len(values) <= 20
        expected = counted(client, facet, params)
        shown = {v["value"]: v["count"] for v in values}
        assert shown == {k: expected[k] for k in shown}, facet
        assert len(shown) == min(20, len(expected)), facet
        # any value left out is no more frequent than the least frequent one shown
        assert all(c <= counts[-1] for k, c in expected.items() if k not in shown), facet
    return data


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "nvidia"},
        {"tag": "Earnings"},
        {"tag": ["Earnings", "Tariffs"], "category": "Semiconductors"},
        {"q": "ai", "author": "Marco Grima"},
        {"ticker": "TSM", "from": "2025-06-01"},
        {"category": "Markets", "ticker": "NVDA"},
        {"author": ["David Chen", "Priya Raman"], "tag": "earnings", "to": "2025-12-31"},
        {"year": "2025", "tag": "Earnings"},
        {"year": ["2025", "2026"], "q": "nvidia", "category": "Semiconductors"},
    ],
)
def test_facet_counts_are_exact_and_disjunctive(
    client: FlaskClient, params: dict[str, Any]
) -> None:
    check_facets(client, params)


def test_ticking_a_tag_keeps_the_tags_facet_and_shrinks_the_others(client: FlaskClient) -> None:
    before = search(client)["facets"]
    after = search(client, tag="Earnings")["facets"]
    assert after["tags"] == before["tags"]
    for facet in ("category", "author", "tickers", "year"):
        assert sum(v["count"] for v in after[facet]) < sum(v["count"] for v in before[facet])
    assert sum(v["count"] for v in after["category"]) == 7
    # the category facet over every article, counted from the frontmatter
    by_hand = Counter(m["category"] for m in seed_meta().values() if m["category"])
    assert {v["value"]: v["count"] for v in before["category"]} == dict(by_hand)
    years = Counter(m["published_at"][:4] for m in seed_meta().values() if m["published_at"])
    assert {v["value"]: v["count"] for v in before["year"]} == dict(years)


def test_facet_lists_are_capped_at_20_most_frequent_first(client: FlaskClient) -> None:
    facets = search(client)["facets"]
    distinct_tags = {t for m in seed_meta().values() for t in m["tags"]}
    assert len(distinct_tags) > 20
    assert len(facets["tags"]) == 20
    assert facets["tags"][0] == {"value": "Earnings", "count": 7}
    assert len(facets["category"]) == 6
    assert len(facets["author"]) == 5


def test_tickers_facet_carries_company_names(client: FlaskClient) -> None:
    facets = search(client)["facets"]
    labels = {v["value"]: v["label"] for v in facets["tickers"]}
    assert labels["NVDA"] == "NVIDIA"
    assert labels["TSM"] == "Taiwan Semiconductor Manufacturing"
    assert labels["BABA"] == "Alibaba Group"
    assert all(isinstance(v["label"], str) and v["label"] for v in facets["tickers"])
    assert all(set(v) == {"value", "count"} for f in FACETS if f != "tickers" for v in facets[f])


@pytest.mark.parametrize(
    ("facets", "keys"),
    [
        ("tags,year", {"tags", "year"}),
        (" category , author ", {"category", "author"}),
        ("tickers", {"tickers"}),
        ("", set()),
        (",".join(FACETS), set(FACETS)),
    ],
)
def test_facets_parameter_selects(client: FlaskClient, facets: str, keys: set[str]) -> None:
    assert set(search(client, facets=facets)["facets"]) == keys


# --- highlights ----------------------------------------------------------------------------


HOSTILE = """\
---
slug: hostile-widgets
title: "Widgets <script>alert(1)</script> & Gadgets"
excerpt: "Fish & chips <b>bold</b> excerpt."
publishedAt: "2025-05-01"
author: Test Author
category: Testing
tags: [Widgets]
---

Intro paragraph about nothing in particular, padding the text so that the passage has
to be cut somewhere along the way before the match appears later in the body.

The widgets `<script>alert(1)</script>` are sold by Smith & Sons for less than 5 < 6
dollars. More text follows after that sentence about widgets, and even more words keep
going here so that the passage needs cutting at the end as well, because it is long,
long, long, long enough to exceed three hundred characters in total length overall.
"""


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    root = tmp_path_factory.mktemp("hostile")
    write_article(root / "content", "hostile.md", HOSTILE)
    build_index(root / "content", root / "index", workers=1)
    app = create_app({"INDEX_DIR": root / "index", "CONTENT_DIR": root / "content"})
    yield app.test_client()


@pytest.mark.parametrize("q", ["widgets", "alert", "script", "smith sons", "fish", "gadgets"])
def test_highlights_are_html_safe(hostile_client: FlaskClient, q: str) -> None:
    data = search(hostile_client, q=q)
    assert data["total"] == 1
    highlights = data["hits"][0]["highlights"]
    for text in highlights.values():
        assert "<script" not in text
        assert set(re.findall(r"<[^>]*>", text)) <= {"<mark>", "</mark>"}
    assert any("<mark>" in text for text in highlights.values())
    title = highlights["title"]
    assert plain(title) == "Widgets <script>alert(1)</script> & Gadgets"
    assert "&lt;" in title and "&amp;" in title


def test_highlights_escape_the_body_and_the_excerpt(hostile_client: FlaskClient) -> None:
    body = search(hostile_client, q="smith")["hits"][0]["highlights"]["body"]
    assert "<mark>Smith</mark> &amp; Sons" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "5 &lt; 6" in body
    excerpt = search(hostile_client, q="fish")["hits"][0]["highlights"]["body"]
    assert excerpt == "<mark>Fish</mark> &amp; chips &lt;b&gt;bold&lt;/b&gt; excerpt."
    title = search(hostile_client, q="alert")["hits"][0]["highlights"]["title"]
    assert title == "Widgets &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; &amp; Gadgets"


def body_text(client: FlaskClient, slug: str) -> str:
    return " ".join(client.get(f"/api/articles/{slug}").get_json()["body_text"].split())


def passage_checks(body: str, highlight: str) -> str:
    """Check a body passage's shape; returns its text without `…`."""
    assert "<mark>" in highlight
    text = plain(highlight)
    cut_before, cut_after = text.startswith("… "), text.endswith(" …")
    inner = text.removeprefix("… ").removesuffix(" …")
    start = body.find(inner)
    assert start >= 0, "the passage is a piece of the body"
    end = start + len(inner)
    assert cut_before == (start > 0) and cut_after == (end < len(body)), "… exactly where cut"
    assert start == 0 or body[start - 1] == " ", "starts at a whole word"
    assert end == len(body) or body[end] == " ", "ends at a whole word"
    return inner


@pytest.mark.parametrize("q", ["earnings", "tariffs", "export controls", "hbm", "arizona"])
def test_body_highlight_is_a_short_passage_of_whole_words(client: FlaskClient, q: str) -> None:
    checked = 0
    for hit in search(client, q=q, per_page=50)["hits"]:
        highlight = hit["highlights"]["body"]
        body = body_text(client, hit["slug"])
        if plain(highlight).removeprefix("… ").removesuffix(" …") not in body:
            # no text match in the body: the excerpt (marked where it matches) stands in
            assert plain(highlight) == hit["excerpt"]
            continue
        inner = passage_checks(body, highlight)
        assert 150 <= len(inner) <= 300, (hit["slug"], len(inner), inner)
        checked += 1
    assert checked >= 2


def test_body_highlight_near_the_end_of_the_body_is_still_about_160_chars(
    client: FlaskClient,
) -> None:
    hits = search(client, q="demand", category="Semiconductors", per_page=50)["hits"]
    hit = next(h for h in hits if h["slug"] == "broadcom-earnings-custom-ai-chips")
    body = body_text(client, hit["slug"])
    assert len(passage_checks(body, hit["highlights"]["body"])) >= 150


def test_title_highlight_marks_the_matching_words(client: FlaskClient) -> None:
    for hit in search(client, q="nvidia", per_page=50)["hits"]:
        title = hit["highlights"]["title"]
        assert plain(title) == hit["title"]
        marked = re.findall(r"<mark>(.*?)</mark>", title)
        assert [m.lower() for m in marked] == re.findall(r"nvidia(?:'s)?", hit["title"].lower())
    title = search(client, q='"data center" demand')["hits"][0]["highlights"]["title"]
    assert "<mark>Data</mark> <mark>Center</mark> <mark>Demand</mark>" in title


def test_without_a_text_match_the_body_highlight_is_the_excerpt(client: FlaskClient) -> None:
    for hit in search(client, category="Markets")["hits"]:
        assert hit["highlights"]["body"] == html.escape(hit["excerpt"], quote=False)
        assert hit["highlights"]["title"] == html.escape(hit["title"], quote=False)


# --- query language through the API ------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"export controls"', lambda c: grep(r"\bexport\s+controls?\b")),
        (
            "tariffs -tsmc",
            lambda c: found(c, q="tariffs") - {"tsmc-arizona-expansion-tariff-threats"},
        ),
        ("-nvidia", lambda c: set(seed_meta()) - found(c, q="nvidia")),
        ("tesla OR xiaomi", lambda c: found(c, q="tesla") | found(c, q="xiaomi")),
        (
            "(tesla OR xiaomi) -byd",
            lambda c: found(c, q="tesla OR xiaomi") - {"byd-tesla-ev-price-war"},
        ),
        ("semicond*", lambda c: grep(r"\bsemicond\w*")),
        ("hyperscal*", lambda c: grep(r"\bhyperscal\w*")),
        (
            "title:nvidia",
            lambda c: {s for s, m in seed_meta().items() if "nvidia" in m["title"].lower()},
        ),
        (
            "tag:tariffs",
            lambda c: {
                s for s, m in seed_meta().items() if any("tariff" in t.lower() for t in m["tags"])
            },
        ),
        ("category:cybersecurity", lambda c: oracle(category="Cybersecurity")),
        ("author:grima", lambda c: oracle(author="Marco Grima")),
        ('author:"marco grima"', lambda c: oracle(author="Marco Grima")),
        ("author:tomas", lambda c: oracle(author="Tomás Herrera")),  # accent-insensitive
        ("ticker:NVDA", lambda c: found(c, ticker="NVDA")),
        ("ticker:nvda earnings", lambda c: found(c, ticker="NVDA") & found(c, q="earnings")),
        ("published:2025-10-01..2025-10-31", lambda c: dated("2025-10-01", "2025-10-31")),
        ("published:2025-10", lambda c: dated("2025-10-01", "2025-10-31")),
        ("published:2026", lambda c: dated("2026-01-01", "2026-12-31")),
        ("published:..2025-03-05", lambda c: dated(None, "2025-03-05")),
        (
            "nvidia published:2025",
            lambda c: found(c, q="nvidia") & dated("2025-01-01", "2025-12-31"),
        ),
        ("Zürich", lambda c: {"nestle-ai-demand-forecasting-zurich-cafe"}),
        ("zurich CAFE", lambda c: {"nestle-ai-demand-forecasting-zurich-cafe"}),
        ("NESTLÉ", lambda c: {"nestle-ai-demand-forecasting-zurich-cafe"}),
    ],
)
def test_query_language(client: FlaskClient, q: str, expected: Any) -> None:
    want = expected(client)
    assert want, "a row that expects nothing tests nothing"
    assert found(client, q=q) == want
    assert found(client, q=q, strict=1) == want


@pytest.mark.parametrize(
    "q",
    [
        "Taiwan Semiconductor",
        '"Taiwan Semiconductor"',
        "taiwan semiconductor",
        "TSMC",
        "tsmc",
        "TSM",
        "2330.TW",
        "ticker:TSM",
        "ticker:2330.tw",
        "ticker:TSMC",
    ],
)
def test_any_name_of_a_company_finds_the_same_articles(client: FlaskClient, q: str) -> None:
    # each form is written in exactly one seed article
    assert grep(r"\bTSMC\b") == {"tsmc-arizona-expansion-tariff-threats"}
    assert grep(r"Taiwan Semiconductor") == {"taiwan-semiconductor-2nm-wafer-price-increase"}
    assert grep(r"2330\.TW") == {"asian-chip-stocks-rally-new-year"}
    assert found(client, q=q) == TSMC


@pytest.mark.parametrize("q", ["ticker:BABA", "BABA", "Alibaba", "NYSE:BABA", "9988.HK"])
def test_alibaba_by_any_name(client: FlaskClient, q: str) -> None:
    assert found(client, q=q) == ALIBABA


@pytest.mark.parametrize("q", ["$NVDA", "NVDA", "nvda", "Nvidia", "NASDAQ:NVDA"])
def test_nvidia_by_any_name(client: FlaskClient, q: str) -> None:
    assert found(client, q=q) == found(client, ticker="NVDA")


@pytest.mark.parametrize(
    ("q", "expected"), [('ticker:"nvda"', "NVDA"), ('ticker:"Taiwan Semiconductor"', "TSM")]
)
def test_ticker_field_with_a_quoted_value(client: FlaskClient, q: str, expected: str) -> None:
    response = client.get("/api/search", query_string={"q": q, "per_page": 50})
    assert response.status_code == 200
    assert {h["slug"] for h in response.get_json()["hits"]} == found(client, ticker=expected)


# --- lenient and strict parsing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "same_as", "position"),
    [
        ('"data center', "data center", 0),
        ('nvidia "data center', "nvidia data center", 7),
        ("(nvidia OR amd", "nvidia OR amd", 0),
        ("nvidia)", "nvidia", 6),
        ("nvidia -", "nvidia", 7),
        ("- tariffs", "tariffs", 0),
        ("tariffs OR", "tariffs", 8),
        ("OR tariffs", "tariffs", 0),
        ("tariffs OR OR apple", "tariffs OR apple", 11),
        ("title:", "title", 6),
        ("earnings author:", "earnings author", 16),
        ("published:2025-13-01", "published 2025-13-01", 10),
        ("published:2026..2025", "published 2026..2025", 10),
        ("()", "", 0),
        ("((((", "", None),
        ("))))", "", 0),
        ("OR", "", 0),
        ("AND", "", 0),
        ("OR AND OR", "", 0),
        ("- - -", "", 0),
        ('"', "", 0),
        ('tag:"', "tag", 4),
        ("(" * 40 + "nvidia", "nvidia", 32),
    ],
)
def test_unreadable_syntax_is_searched_as_words_and_strict_says_where(
    client: FlaskClient, q: str, same_as: str, position: int | None
) -> None:
    lenient = search(client, q=q, per_page=50)
    assert lenient["total"] == search(client, q=same_as)["total"]
    status, body = get_error(client, "/api/search", q=q, strict=1)
    assert status == 400
    assert body["error"]["code"] == "bad_query"
    where = re.search(r"at position (\d+)", body["error"]["message"])
    assert where is not None, body
    if position is not None:
        assert int(where.group(1)) == position
    assert 0 <= int(where.group(1)) <= len(q)


@pytest.mark.parametrize(
    "q",
    [
        ":",
        "nvidia:",
        "*",
        "**",
        "-*",
        '""',
        "&<>",
        "'",
        "\\",
        "%",
        "%ff",
        "\x00",
        "x\ty\nz",
        "日本語 テスト",
        "🙂🙂",
        "İstanbul ß straße",
        "e\u0301",
        "-(-(-(nvidia)))",
        "ticker:$$$",
        "ticker:.",
        "published:9999-12-31..",
        "nvidia -nvidia",
        "a" * 512,
        ("(nvidia OR " * 60)[:512],
        ('"' * 512),
        ("-" * 512),
        (": " * 256),
    ],
)
def test_nasty_queries_never_fail(client: FlaskClient, q: str) -> None:
    for strict in ("", "1"):
        response = client.get("/api/search", query_string={"q": q, "strict": strict})
        assert response.status_code in (200, 400), (q, response.get_json())
        if response.status_code == 400:
            assert strict and response.get_json()["error"]["code"] == "bad_query"
        else:
            assert response.get_json()["total"] >= 0


def test_readable_queries_pass_strict(client: FlaskClient) -> None:
    for q in ("nvidia OR amd", '"data center"', "-tariffs", "title:nvidia", "(a OR b) c"):
        assert client.get("/api/search", query_string={"q": q, "strict": 1}).status_code == 200


QUERY_TOKENS = st.sampled_from(
    ['"', "(", ")", "-", ":", "*", " ", " OR ", " AND ", "..", "title:", "tag:", "author:"]
    + ["category:", "published:", "2025", "-10", "TSMC", "Taiwan", "Semiconductor", "$NVDA"]
    + ["2330.TW", "NYSE:", "BABA", "nvidia", "earnings", "the", "é", "🙂", "\x00", "AT&T"]
    + ["ticker:", 'ticker:"', "Alibaba"]
)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    q=st.one_of(
        st.text(max_size=512),
        st.lists(QUERY_TOKENS, max_size=40).map("".join).filter(lambda s: len(s) <= 512),
    ),
    strict=st.booleans(),
    match=st.sampled_from(["all", "any"]),
)
def test_no_query_is_a_server_error(client: FlaskClient, q: str, strict: bool, match: str) -> None:
    params = {"q": q, "match": match, "strict": int(strict)}
    response = client.get("/api/search", query_string=params)
    assert response.status_code < 500, (q, response.get_json())
    assert response.status_code == 200 or response.get_json()["error"]["code"] == "bad_query"


# --- /api/articles/<slug> and /healthz -------------------------------------------------------


def test_article_has_every_field(client: FlaskClient) -> None:
    slug = "tsmc-arizona-expansion-tariff-threats"
    response = client.get(f"/api/articles/{slug}")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    doc = response.get_json()
    meta = seed_meta()[slug]
    for key in ("title", "excerpt", "published_at", "author", "category", "tags", "keywords"):
        assert doc[key] == meta[key], key
    assert doc["slug"] == slug
    assert doc["authors"] == [meta["author"]] and doc["categories"] == [meta["category"]]
    for key in ("updated_at", "featured", "image", "url"):
        assert key in doc
    assert doc["featured"] is True
    assert doc["image"].startswith("https://")
    assert doc["source_path"] == f"{slug}.md"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", doc["indexed_at"])
    tsm = next(t for t in doc["tickers"] if t["symbol"] == "TSM")
    assert tsm["name"] == "Taiwan Semiconductor Manufacturing"
    assert tsm["matched"] == ["TSMC"]
    assert "TSMC is going much bigger in the desert." in doc["body_text"]


def test_article_without_frontmatter(client: FlaskClient) -> None:
    doc = client.get(f"/api/articles/{UNDATED}").get_json()
    assert doc["title"] == "Quantum Computing Stocks: A Short Note"
    assert doc["published_at"] is None and doc["author"] is None and doc["tags"] == []
    assert doc["source_path"] == f"{UNDATED}.md"
    assert {t["symbol"] for t in doc["tickers"]} >= {"GOOGL", "IBM", "MSFT"}


@pytest.mark.parametrize("slug", ["no-such-article", "nvidia", "a/b/c", "%ff", "..", " "])
def test_unknown_article_is_404(client: FlaskClient, slug: str) -> None:
    status, body = get_error(client, f"/api/articles/{slug}")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    data = response.get_json()
    assert data["status"] == "ok"
    assert data["documents"] == ALL_SEEDS
    assert isinstance(data["index_generation"], int) and data["index_generation"] >= 1
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", data["indexed_at"])
    assert data["last_reindex_at"] == data["indexed_at"]
    assert data["last_reindex_errors"] == 0


def test_healthz_tells_the_last_run_even_without_a_new_generation(
    content_dir: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    client = create_app({"INDEX_DIR": index, "CONTENT_DIR": content_dir}).test_client()
    before = client.get("/healthz").get_json()
    write_article(content_dir, "bad.md", "---\ntitle: [unclosed\n---\n")
    build_index(content_dir, index)  # nothing indexed: one error, no new commit
    after = client.get("/healthz").get_json()
    assert after["index_generation"] == before["index_generation"]
    assert (before["last_reindex_errors"], after["last_reindex_errors"]) == (0, 1)


def test_healthz_is_503_when_the_live_index_is_damaged(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    live = next(index.glob("live-*"))
    for toc in live.glob("*.toc"):
        toc.unlink()
    response = (
        create_app({"INDEX_DIR": index, "CONTENT_DIR": content_dir}).test_client().get("/healthz")
    )
    assert response.status_code == 503
    assert "cannot open index" in response.get_json()["error"]


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_healthz_is_503_without_an_index(tmp_path: Path, make: str) -> None:
    index_dir = tmp_path / "index"
    if make == "empty":
        index_dir.mkdir()
    app = create_app({"INDEX_DIR": index_dir, "CONTENT_DIR": SEEDS})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.content_type == "application/json"
    assert response.get_json()["status"] != "ok"
    assert not index_dir.exists() or list(index_dir.iterdir()) == []


# --- every error has the one shape --------------------------------------------------------------


@pytest.fixture
def error_app(app: Flask) -> Flask:
    @app.get("/test-only/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    return app


BIG = b"x" * (1024 * 1024 + 1)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("get", "/api/search", {"query_string": {"page": "x"}}, 400, "bad_parameter"),
        ("get", "/api/search", {"query_string": {"q": "a" * 513}}, 400, "bad_parameter"),
        ("get", "/api/search", {"query_string": {"q": '"x', "strict": 1}}, 400, "bad_query"),
        ("get", "/api/articles/no-such-slug", {}, 404, "not_found"),
        ("get", "/no/such/route", {}, 404, "not_found"),
        # POST /api/search is a search now (its JSON body), so another method answers 405
        ("put", "/api/search", {}, 405, "method_not_allowed"),
        ("delete", "/api/articles/nvidia", {}, 405, "method_not_allowed"),
        ("put", "/healthz", {}, 405, "method_not_allowed"),
        ("post", "/api/search", {"data": BIG}, 413, "payload_too_large"),
        ("post", "/healthz", {"data": BIG}, 413, "payload_too_large"),
        ("post", "/no/such/route", {"data": BIG}, 413, "payload_too_large"),
        ("get", "/test-only/boom", {}, 500, "internal_error"),
        ("get", "/api/search@missing-index", {}, 503, "index_unavailable"),
    ],
)
def test_every_error_is_the_one_json_shape(
    error_app: Flask,
    tmp_path: Path,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    app = error_app
    if path.endswith("@missing-index"):
        path = path.removesuffix("@missing-index")
        app = create_app({"INDEX_DIR": tmp_path / "nothing", "CONTENT_DIR": SEEDS})
    response = getattr(app.test_client(), method)(path, **kwargs)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert "Traceback" not in error_of(response, status, code)["message"]


def test_405_says_which_methods_are_allowed(client: FlaskClient) -> None:
    response = client.put("/api/search")  # POST is a search now (issue 9)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


def test_500_does_not_leak_the_exception(error_app: Flask) -> None:
    body = error_app.test_client().get("/test-only/boom").get_json()
    assert "boom" not in body["error"]["message"]


# --- POST /api/search: the same search, parameters in a JSON body (issue 9) --------------


@pytest.mark.parametrize(
    ("body", "query_string"),
    [
        ({"q": "nvidia earnings"}, {"q": "nvidia earnings"}),
        ({"q": "chips", "tag": ["TSMC", "HBM"]}, [("q", "chips"), ("tag", "TSMC"), ("tag", "HBM")]),
        ({"q": "tariffs", "page": 2, "per_page": 3}, {"q": "tariffs", "page": 2, "per_page": 3}),
        ({"q": "ai", "facets": ["tags", "year"]}, {"q": "ai", "facets": "tags,year"}),
        ({"q": '"unclosed', "strict": False}, {"q": '"unclosed'}),
        (
            {"q": "", "sort": "newest", "from": "2025-01-01"},
            {"sort": "newest", "from": "2025-01-01"},
        ),
    ],
)
def test_post_search_answers_as_get_does(
    client: FlaskClient, body: dict[str, Any], query_string: Any
) -> None:
    posted = client.post("/api/search", json=body).get_json()
    got = client.get("/api/search", query_string=query_string).get_json()
    for answer in (posted, got):
        answer.pop("took_ms")
    assert posted == got


@pytest.mark.parametrize(
    ("data", "code", "mentions"),
    [
        (b"[1, 2]", "bad_parameter", "JSON object"),
        (b"not json", "bad_parameter", "not valid JSON"),
        (b'{"q": {"nested": 1}}', "bad_parameter", "q must be"),
        (b'{"q": null}', "bad_parameter", "q must be"),
        (b'{"tag": [["a"]]}', "bad_parameter", "tag must be"),
        (b'{"qq": "typo"}', "bad_parameter", "unknown parameter 'qq'"),
        (b'{"page": "two"}', "bad_parameter", "page must be a whole number"),
        (b'{"per_page": 51}', "bad_parameter", "per_page"),
        (b'{"q": "' + b"x" * 513 + b'"}', "bad_parameter", "513 characters"),
        (b'{"q": "\\"open", "strict": true}', "bad_query", "cannot read"),
    ],
)
def test_post_search_rejects_bad_bodies(
    client: FlaskClient, data: bytes, code: str, mentions: str
) -> None:
    response = client.post("/api/search", data=data, content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and mentions in error["message"]


def test_every_response_says_nosniff(client: FlaskClient) -> None:
    for path in ("/api/search?q=x", "/healthz", "/api/articles/none", "/nope", "/api/articles//x"):
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff", path


def test_double_slashes_are_a_404_not_a_redirect(client: FlaskClient) -> None:
    response = client.get("/api/articles//tsmc-arizona-expansion-tariff-threats")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_chunked_body_over_the_limit_is_413(client: FlaskClient) -> None:
    response = client.post(
        "/api/search", data=b" " * (2 * 1024 * 1024), headers={"Transfer-Encoding": "chunked"}
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "error",
    [
        "gunicorn.http.errors.NoMoreData",  # the client hung up mid-body
        "gunicorn.http.errors.InvalidChunkSize",  # broken chunked encoding
        "builtins.ConnectionResetError",
    ],
)
def test_a_body_the_client_cut_short_is_a_400_without_traceback(
    app: Flask, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    import importlib

    module, name = error.rsplit(".", 1)
    kind = getattr(importlib.import_module(module), name)

    @app.post("/test-only/read")
    def read() -> str:
        raise kind("x")

    response = app.test_client().post("/test-only/read", data=b"{}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(("setting", "total_is_zero"), [("0", True), ("auto", False)])
def test_the_typos_setting_is_the_default_of_a_request(
    seed_index: Path, setting: str, total_is_zero: bool
) -> None:
    app = create_app({"INDEX_DIR": seed_index, "TYPOS": setting, "QUERY_LOG": False})
    client = app.test_client()
    assert (search(client, q="nvdia")["total"] == 0) == total_is_zero
    assert search(client, q="nvdia", typos="auto")["total"] > 0  # a request says otherwise
