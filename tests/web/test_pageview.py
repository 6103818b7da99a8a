"""searchsvc/web/pageview.py: what the search page shows, from one /api/search response."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from searchsvc.web.pageview import (
    article_url,
    facet_groups,
    page_links,
    page_view,
    search_url,
)


def args(*pairs: tuple[str, str]) -> MultiDict[str, str]:
    return MultiDict(list(pairs))


def query_of(url: str | None) -> list[tuple[str, str]]:
    assert url is not None
    return parse_qsl(urlsplit(url).query)


@pytest.mark.parametrize(
    ("hit", "template", "expected"),
    [
        ({"slug": "a", "url": "https://site/a"}, None, "https://site/a"),  # its own url wins
        ({"slug": "a", "url": "https://site/a"}, "https://x/{slug}", "https://site/a"),
        ({"slug": "a-b", "url": None}, None, "/api/articles/a-b"),
        ({"slug": "a-b", "url": None}, "https://x.com/p/{slug}/", "https://x.com/p/a-b/"),
        # a slug is a path segment: nothing in it can leave the template's place
        ({"slug": "../a?b#c", "url": None}, "/p/{slug}", "/p/..%2Fa%3Fb%23c"),
        ({"slug": "é", "url": ""}, None, "/api/articles/%C3%A9"),
    ],
)
def test_article_url(hit: dict[str, Any], template: str | None, expected: str) -> None:
    assert article_url(hit, template) == expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], "/search"),
        ([("q", "")], "/search"),  # empty values make no noise in a shared URL
        ([("q", "a b"), ("tag", "x"), ("tag", "y")], "/search?q=a+b&tag=x&tag=y"),
        ([("q", "<&>")], "/search?q=%3C%26%3E"),
    ],
)
def test_search_url(pairs: list[tuple[str, str]], expected: str) -> None:
    assert search_url("/search", pairs) == expected


def labels(total: int, page: int, per_page: int = 10) -> list[str]:
    return [link.label for link in page_links("/search", args(("q", "x")), total, page, per_page)]


@pytest.mark.parametrize(
    ("total", "page", "expected"),
    [
        (0, 1, []),
        (10, 1, []),  # one page: no pagination at all
        (11, 1, ["Previous", "1", "2", "Next"]),
        (35, 2, ["Previous", "1", "2", "3", "4", "Next"]),
        (200, 1, ["Previous", "1", "2", "3", "4", "…", "20", "Next"]),
        (200, 10, ["Previous", "1", "…", "7", "8", "9", "10", "11", "12", "13", "…", "20", "Next"]),
        (200, 20, ["Previous", "1", "…", "17", "18", "19", "20", "Next"]),
        # the result window ends at 10,000: no link to a page the API would refuse
        (50_000, 1, ["Previous", "1", "2", "3", "4", "…", "1000", "Next"]),
    ],
)
def test_page_links(total: int, page: int, expected: list[str]) -> None:
    assert labels(total, page) == expected


def test_page_links_keep_the_request_and_page_1_has_no_page_parameter() -> None:
    links = page_links("/search", args(("q", "chips"), ("tag", "HBM"), ("page", "3")), 50, 3, 10)
    by_label = {link.label: link for link in links}
    assert by_label["3"].url is None  # the current page is not a link
    assert query_of(by_label["4"].url) == [("q", "chips"), ("tag", "HBM"), ("page", "4")]
    assert query_of(by_label["1"].url) == [("q", "chips"), ("tag", "HBM")]
    assert by_label["Previous"].rel == "prev" and by_label["Next"].rel == "next"
    first = page_links("/search", args(("q", "chips")), 50, 1, 10)
    assert first[0].label == "Previous" and first[0].url is None


FACETS = {
    "tags": [{"value": "HBM", "count": 3}, {"value": "TSMC", "count": 1}],
    "tickers": [{"value": "NVDA", "label": "NVIDIA", "count": 2}],
    "year": [{"value": "2025", "count": 4}],
}


def test_facets_are_checkboxes_ticked_from_the_request() -> None:
    groups = {g.name: g for g in facet_groups(FACETS, args(("tag", "hbm"), ("year", "2025")))}
    assert list(groups) == ["tags", "tickers", "year"]  # the page's order; absent ones left out
    tags = groups["tags"]
    assert tags.param == "tag" and tags.title == "Tags"
    assert [(o.value, o.count, o.checked) for o in tags.options] == [
        ("HBM", 3, True),  # ticked case-insensitively, as the filter matches
        ("TSMC", 1, False),
    ]
    assert groups["tickers"].options[0].label == "NVIDIA (NVDA)"
    assert groups["tickers"].param == "ticker"
    assert groups["year"].options[0].checked


def test_a_ticked_value_the_facet_no_longer_lists_stays_shown() -> None:
    groups = {g.name: g for g in facet_groups(FACETS, args(("tag", "Gone"), ("tag", " ")))}
    assert [(o.value, o.count, o.checked) for o in groups["tags"].options][-1] == (
        "Gone",
        None,
        True,
    )
    assert len(groups["tags"].options) == 3  # the blank value is no filter


def response(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "query": "nvdia",
        "total": 0,
        "page": 1,
        "per_page": 10,
        "took_ms": 1.5,
        "relaxed": False,
        "dropped": [],
        "suggestion": None,
        "corrections": [],
        "hits": [],
        "facets": {},
    }
    return {**base, **changes}


def test_the_view_of_an_empty_result_helps() -> None:
    view = page_view(
        response(suggestion="nvidia"),
        args(("q", "nvdia"), ("tag", "HBM"), ("match", "any")),
        path="/search",
        article_template=None,
        popular=["tsmc tariffs"],
    )
    assert view.suggestion is not None
    assert view.suggestion[0] == "nvidia"
    assert query_of(view.suggestion[1]) == [("tag", "HBM"), ("match", "any"), ("q", "nvidia")]
    assert view.popular == (("tsmc tariffs", "/search?q=tsmc+tariffs"),)
    assert view.filtered and view.clear_url == "/search?q=nvdia"
    assert view.hidden == (("match", "any"),)  # kept by the form, which has no control for it


def test_the_view_of_hits_carries_their_links_marks_and_companies() -> None:
    hit = {
        "slug": "s",
        "url": None,
        "title": "T",
        "published_at": "2025-01-02",
        "category": "Markets",
        "tickers": [{"symbol": "NVDA", "name": "NVIDIA", "role": "primary"}],
        "highlights": {"title": "<mark>T</mark>", "body": "a &lt;b&gt;"},
    }
    view = page_view(
        response(
            total=21,
            page=3,
            hits=[hit],
            corrections=[{"from": "nvdia", "to": "nvidia"}],
            relaxed=True,
            dropped=["zzz"],
        ),
        args(("q", "nvdia zzz"), ("page", "3")),
        path="/",
        article_template="https://site/{slug}",
    )
    (shown,) = view.hits
    assert shown.url == "https://site/s"
    assert shown.title_html == "<mark>T</mark>" and shown.passage_html == "a &lt;b&gt;"
    assert shown.companies == (("NVDA", "NVIDIA"),)
    assert view.first == 21
    assert view.corrections == (("nvdia", "nvidia"),)
    assert view.relaxed == ("zzz",)
    assert [p.label for p in view.pages] == ["Previous", "1", "2", "3", "Next"]
    assert all(p.url is None or p.url.startswith("/?") for p in view.pages)
