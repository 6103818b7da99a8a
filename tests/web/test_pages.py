"""The search page (/ and /search) and /widget.js through the Flask test client: the page
without JavaScript, as a crawler or a reader with scripts off sees it. The page in a real
browser is tests/web/test_pages_browser.py."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient

from searchsvc import create_app
from searchsvc.indexing.build import build_index
from searchsvc.web.pages import CONTENT_SECURITY_POLICY
from searchsvc.web.popular import MIN_SEARCHES
from searchsvc.web.querydb import DB_NAME
from searchsvc.web.querylog import log_of
from tests.conftest import SEEDS, article_text, write_article

HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>"
PAGE_WEIGHT_LIMIT = 60 * 1024  # issue 13: HTML + JS + CSS, uncompressed


@pytest.fixture(scope="module")
def client(seed_index: Path) -> FlaskClient:
    app = create_app({"INDEX_DIR": seed_index, "QUERY_LOG": False, "TESTING": True})
    return app.test_client()


def soup_of(client: FlaskClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def api(client: FlaskClient, query: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/search?{query}").get_json()
    return body


def shown_slugs(soup: BeautifulSoup) -> list[str]:
    return [a["href"].rsplit("/", 1)[-1] for a in soup.select(".hit-title a")]


def checkboxes(soup: BeautifulSoup, param: str) -> dict[str, tuple[bool, str]]:
    """value -> (ticked, count shown) of one facet's checkboxes."""
    out = {}
    for box in soup.select(f"fieldset.facet[data-param={param}] input[type=checkbox]"):
        assert box["name"] == param
        label = box.find_parent("label")
        assert isinstance(label, Tag)
        count = label.select_one(".count")
        out[str(box["value"])] = (box.has_attr("checked"), count.text if count else "")
    return out


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=nvidia",
        "q=nvdia",  # a typo: the same corrections as the API
        "q=chips&category=Semiconductors",
        "q=&sort=newest&page=2",
        "q=ai&tag=AI+Agents&tag=Prompt+Injection&match=any",
        "ticker=TSM&year=2025",
        "q=tariffs&from=2025-01-01&to=2025-12-31",
    ],
)
def test_the_page_shows_what_the_api_finds(client: FlaskClient, query: str) -> None:
    for path in ("/", "/search"):
        soup = soup_of(client, f"{path}?{query}")
        data = api(client, query)
        assert shown_slugs(soup) == [h["slug"] for h in data["hits"]]
        status = soup.select_one(".status")
        assert status is not None
        total = f"{data['total']:,} result" if data["total"] else "No results"
        assert status.text.strip().startswith(total)
        for name, param in [("tags", "tag"), ("tickers", "ticker"), ("year", "year")]:
            shown = checkboxes(soup, param)
            assert {v: c for v, (_, c) in shown.items() if c} == {
                str(v["value"]): str(v["count"]) for v in data["facets"][name]
            }
            # a ticked value the facet does not list stays on the page, ticked, uncounted
            assert all(on for on, c in shown.values() if not c)
        corrections = soup.select_one(".corrections")
        assert (corrections is not None) == bool(data["corrections"])


def test_the_form_is_every_parameter_of_the_api(client: FlaskClient) -> None:
    soup = soup_of(
        client, "/search?q=chips&tag=HBM&tag=TSMC&sort=newest&from=2025-01-01&per_page=5"
    )
    form = soup.select_one("form#search-form")
    assert form is not None and form["method"] == "get" and form["action"] == "/search"
    q = form.select_one("input#q")
    assert q is not None and q["name"] == "q" and q["value"] == "chips"
    assert soup.select_one("label[for=q]") is not None
    selected = form.select_one("select[name=sort] option[selected]")
    assert selected is not None and selected["value"] == "newest"
    start = form.select_one("input[name=from]")
    assert start is not None and start["value"] == "2025-01-01"
    ticked = {v for v, (on, _) in checkboxes(soup, "tag").items() if on}
    assert ticked == {"HBM", "TSMC"}
    # no control for per_page: a hidden input keeps it when the reader searches again
    hidden = {(i["name"], i["value"]) for i in form.select("input[type=hidden]")}
    assert hidden == {("per_page", "5")}


def test_facet_counts_are_disjunctive(client: FlaskClient) -> None:
    one = checkboxes(soup_of(client, "/?tag=Earnings"), "tag")
    everything = checkboxes(soup_of(client, "/"), "tag")
    assert one == {v: (v == "Earnings", c) for v, (_, c) in everything.items()}
    category = checkboxes(soup_of(client, "/?tag=Earnings"), "category")
    assert sum(int(c) for _, c in category.values()) == 7


def test_pages_link_to_each_other(client: FlaskClient) -> None:
    soup = soup_of(client, "/search?q=&tag=")
    nav = soup.select_one("nav.pagination")
    assert nav is not None
    assert [x.text for x in nav.select("li > *")] == ["Previous", "1", "2", "3", "4", "Next"]
    assert nav.select_one("[aria-current=page]").text == "1"  # type: ignore[union-attr]
    link = nav.select_one("a[rel=next]")
    assert link is not None
    assert parse_qsl(urlsplit(str(link["href"])).query) == [("page", "2")]
    second = soup_of(client, str(link["href"]))
    hits = second.select_one("ol.hits")
    assert hits is not None and hits["start"] == "11"
    assert shown_slugs(second) == [h["slug"] for h in api(client, "page=2")["hits"]]


def test_nothing_found_offers_a_way_on(client: FlaskClient) -> None:
    soup = soup_of(client, "/search?q=zzqqxxv&tag=Earnings")
    empty = soup.select_one(".empty")
    assert empty is not None and "No articles match" in empty.text
    clear = empty.select_one("a.clear")
    assert clear is not None and clear["href"] == "/search?q=zzqqxxv"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=x", "page must be a whole number"),
        ("per_page=500", "per_page must be between 1 and 50"),
        ("sort=random", "sort must be one of"),
        ("year=25", "year must be a year"),
        ("q=" + "a" * 513, "at most 512"),
    ],
)
def test_a_bad_parameter_is_a_page_that_says_so(
    client: FlaskClient, query: str, message: str
) -> None:
    soup = soup_of(client, f"/search?{query}", status=400)
    error = soup.select_one("#results .error[role=alert]")
    assert error is not None and message in error.text
    assert soup.select_one("form#search-form") is not None  # the reader can search again


def test_the_page_is_safe_by_its_headers_and_has_no_inline_code(client: FlaskClient) -> None:
    response = client.get("/search?q=nvidia")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in CONTENT_SECURITY_POLICY.split(";")
    )
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    scripts = soup.find_all("script")
    assert scripts and all(s.get("src") and not s.text.strip() for s in scripts)
    assert not soup.find_all("style")
    for tag in soup.find_all(True):
        assert "style" not in tag.attrs
        assert not [a for a in tag.attrs if a.startswith("on")], tag.name


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    root = tmp_path_factory.mktemp("hostile")
    content = root / "content"
    write_article(
        content,
        "hostile.md",
        article_text(
            f"Body text about chips {HOSTILE} and more chips.",
            slug="hostile",
            title=f"Chips {HOSTILE}",
            excerpt=HOSTILE,
            category=HOSTILE,
            tags=[HOSTILE, "chips"],
            publishedAt="2025-05-05",
        ),
    )
    build_index(content, root / "index")
    app = create_app({"INDEX_DIR": root / "index", "QUERY_LOG": False, "TESTING": True})
    return app.test_client()


@pytest.mark.parametrize("url", ["/search?q=chips", "/", f"/search?tag={HOSTILE}"])
def test_article_text_is_escaped_everywhere_on_the_page(
    hostile_client: FlaskClient, url: str
) -> None:
    response = hostile_client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<img" not in html and "<script>alert" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("img")
    assert all(s.get("src") for s in soup.find_all("script"))  # none the article brought
    assert HOSTILE in soup.select_one(".hit-title").text  # type: ignore[union-attr]
    assert HOSTILE in checkboxes(soup, "tag")


def test_the_site_settings_show(seed_index: Path) -> None:
    app = create_app(
        {
            "INDEX_DIR": seed_index,
            "QUERY_LOG": False,
            "SITE_NAME": "Limit Break <IT>",
            "SITE_URL": "https://limitbreakit.com/",
            "ARTICLE_URL": "https://limitbreakit.com/articles/{slug}",
        }
    )
    soup = soup_of(app.test_client(), "/search?q=nvidia")
    home = soup.select_one("a.site-name")
    assert home is not None and home.text == "Limit Break <IT>"
    assert home["href"] == "https://limitbreakit.com/"
    assert soup.title is not None and soup.title.text == "nvidia · Limit Break <IT>"
    links = [a["href"] for a in soup.select(".hit-title a")]
    assert links and all(str(h).startswith("https://limitbreakit.com/articles/") for h in links)
    body = soup.select_one("body")
    assert (
        body is not None and body["data-article-url"] == "https://limitbreakit.com/articles/{slug}"
    )


def test_without_settings_results_link_to_the_article_api(client: FlaskClient) -> None:
    soup = soup_of(client, "/search?q=nvidia")
    assert soup.select_one("a.site-name") is None  # no SEARCHSVC_SITE_URL: no link
    for link in soup.select(".hit-title a"):
        assert client.get(str(link["href"])).status_code == 200


@pytest.fixture
def logged_index(seed_index: Path, tmp_path: Path) -> Path:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, ignore=shutil.ignore_patterns(f"{DB_NAME}*"))
    return index


def closed(app: Flask) -> None:
    log = log_of(app)
    assert log is not None and log.close()


def test_an_empty_result_offers_popular_searches(logged_index: Path) -> None:
    logging = create_app({"INDEX_DIR": logged_index, "TESTING": True})
    for _ in range(MIN_SEARCHES):
        response = logging.test_client().get("/search?q=export+controls")
        assert response.status_code == 200  # a page's search is logged as the API's is
    closed(logging)
    # popular searches are re-read every minute: a new process sees them at once
    app = create_app({"INDEX_DIR": logged_index, "TESTING": True})
    client = app.test_client()
    soup = soup_of(client, "/search?q=zzqqxxv")
    popular = [(a.text, a["href"]) for a in soup.select(".empty .popular a")]
    assert popular == [("export controls", "/search?q=export+controls")]
    # a search that found something shows results, not the empty state
    assert soup_of(client, "/search?q=nvidia").select_one(".empty") is None
    closed(app)


def page_weight(client: FlaskClient, url: str) -> int:
    response = client.get(url)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assets = [s["src"] for s in soup.find_all("script")]
    assets += [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    total = len(response.get_data())
    for asset in assets:
        with client.get(str(asset)) as loaded:
            assert loaded.status_code == 200, asset
            total += len(loaded.get_data())
    return total


@pytest.mark.parametrize("url", ["/", "/search?q=ai", "/search?q=nvidia&tag=NVIDIA"])
def test_the_page_weighs_at_most_60_kb(client: FlaskClient, url: str) -> None:
    weight = page_weight(client, url)
    print(f"{url}: {weight:,} bytes")
    assert weight <= PAGE_WEIGHT_LIMIT


def test_the_widget_script_and_its_assets_are_served(client: FlaskClient) -> None:
    with client.get("/widget.js") as script:
        assert script.status_code == 200
        assert script.mimetype == "text/javascript"
        text = script.get_data(as_text=True)
    assert text.startswith("// searchsvc's drop-in widget")
    for asset in ("assets/widget.css", "assets/dom.js"):
        assert asset in text
        with client.get(f"/{asset}") as loaded:
            assert loaded.status_code == 200


@pytest.mark.parametrize("name", ["search.js", "dom.js", "widget.js"])
def test_scripts_never_write_html(name: str) -> None:
    text = (SEEDS.parent / "searchsvc" / "web" / "static" / name).read_text()
    source = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)  # the code, not its comments
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    assert "document.write" not in source and "eval(" not in source


@pytest.mark.parametrize("url", ["/", "/search?q=nvidia&tag=NVIDIA"])
def test_a_page_is_cached_like_the_search_it_shows(client: FlaskClient, url: str) -> None:
    first = client.get(url)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"] == "public, max-age=30"
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(url + ("&" if "?" in url else "?") + "page=2").headers["ETag"] != tag


def test_a_bad_page_request_is_not_stored(client: FlaskClient) -> None:
    response = client.get("/search?page=x")
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers


@pytest.mark.parametrize("url", ["/widget.js", "/assets/search.css", "/assets/dom.js"])
def test_assets_are_reused_for_5_minutes_then_revalidated(client: FlaskClient, url: str) -> None:
    with client.get(url) as first:
        assert first.headers["Cache-Control"] == "public, max-age=300"
        tag = first.headers["ETag"]
    with client.get(url, headers={"If-None-Match": tag}) as again:
        assert again.status_code == 304
