"""HTTP caching of the public blueprints (searchsvc/web/caching.py): Cache-Control, weak
ETags that stand for everything an answer depends on, and 304 without running the view."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient

from searchsvc import create_app
from searchsvc.indexing.build import build_index
from searchsvc.web import caching, popular
from searchsvc.web.popular import MIN_SEARCHES
from searchsvc.web.querydb import DB_NAME
from searchsvc.web.querylog import log_of
from searchsvc.web.service import SearchService
from tests.conftest import AUTH, SEEDS, TOKEN, Server, article_text, error_of, write_article
from tests.web.test_querylog import rows

ARTICLE = "tsmc-arizona-expansion-tariff-threats"
WEAK_ETAG = re.compile(r'W/"\d+-[0-9a-f]{24}"')


def make_app(index_dir: Path, **config: Any) -> Flask:
    return create_app({"INDEX_DIR": index_dir, "CONTENT_DIR": SEEDS, "TESTING": True} | config)


@pytest.fixture(scope="module")
def client(seed_index: Path) -> Iterator[FlaskClient]:
    """Admin on, no query log (other tests' searches must not become popular here)."""
    app = make_app(seed_index, ADMIN_TOKEN=TOKEN, QUERY_LOG=False)
    yield app.test_client()
    app.extensions["searchsvc"].handle.close()


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The q of every search the service runs, in order."""
    ran: list[str] = []
    real = SearchService.search

    def counted(self: SearchService, request: Any) -> Any:
        ran.append(request.q)
        return real(self, request)

    monkeypatch.setattr(SearchService, "search", counted)
    return ran


@pytest.fixture
def site(seed_site: tuple[Path, Path]) -> Iterator[tuple[Flask, Path]]:
    """An app over a writable copy of the seed site, with its own query log, that looks for
    a new generation on every request: (app, content folder)."""
    content, index_dir = seed_site
    app = create_app({"INDEX_DIR": index_dir, "CONTENT_DIR": content, "REFRESH_SECONDS": 0})
    yield app, content
    log = log_of(app)
    assert log is not None and log.close()
    app.extensions["searchsvc"].handle.close()


def etag(client: FlaskClient, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    tag = response.headers["ETag"]
    assert WEAK_ETAG.fullmatch(tag), tag
    return tag


# --- what a cached answer carries -----------------------------------------------------


@pytest.mark.parametrize(
    ("url", "max_age"),
    [
        ("/api/search?q=nvidia+earnings", 30),
        ("/api/search", 30),  # every article
        ("/api/search?q=chips&tag=HBM&tag=TSMC&sort=newest&page=1", 30),
        ("/api/suggest?q=nvi", 30),
        (f"/api/articles/{ARTICLE}", 60),
    ],
)
def test_a_public_get_has_a_stable_weak_etag_and_a_max_age(
    client: FlaskClient, url: str, max_age: int
) -> None:
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.headers["Cache-Control"] == f"public, max-age={max_age}"
    assert WEAK_ETAG.fullmatch(first.headers["ETag"])
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "Vary" not in first.headers  # without CORS nothing but the URL changes an answer


def test_head_has_the_headers_of_get_and_no_body(client: FlaskClient) -> None:
    url = "/api/search?q=tariffs"
    got, head = client.get(url), client.head(url)
    assert head.status_code == 200 and head.get_data() == b""
    for name in ("ETag", "Cache-Control", "Content-Type"):
        assert head.headers[name] == got.headers[name]


@pytest.mark.parametrize(
    ("url", "other", "same"),
    [
        ("/api/search?q=nvidia", "/api/search?q=nvidia+earnings", False),
        ("/api/search?q=nvidia", "/api/search?q=nvidia&page=2", False),
        ("/api/search?q=nvidia", "/api/search?q=nvidia&typos=0", False),
        ("/api/search?q=chips&tag=HBM", "/api/search?q=chips&tag=TSMC", False),
        ("/api/search?q=nvi", "/api/suggest?q=nvi", False),
        (f"/api/articles/{ARTICLE}", "/api/articles/alibaba-cloud-ai-growth-accelerates", False),
        # the order of names does not change an answer, nor its tag
        ("/api/search?q=chips&sort=newest", "/api/search?sort=newest&q=chips", True),
        ("/api/search?q=a&tag=x&sort=newest", "/api/search?tag=x&sort=newest&q=a", True),
    ],
)
def test_the_etag_tells_answers_apart(
    client: FlaskClient, url: str, other: str, same: bool
) -> None:
    assert (etag(client, url) == etag(client, other)) is same


def test_a_new_generation_changes_the_etag(site: tuple[Flask, Path]) -> None:
    app, content = site
    client = app.test_client()
    url = "/api/search?q=zeppelin"
    before = etag(client, url)
    assert client.get(url).get_json()["total"] == 0
    write_article(content, "zeppelin.md", article_text("Airships return.", title="Zeppelin"))
    build_index(content, app.config["INDEX_DIR"])
    after = etag(client, url)
    assert after != before
    assert client.get(url).get_json()["total"] == 1
    # a conditional request with the old tag gets the new answer
    response = client.get(url, headers={"If-None-Match": before})
    assert response.status_code == 200 and response.get_json()["total"] == 1


def test_reloaded_synonyms_change_the_etag(seed_index: Path, tmp_path: Path) -> None:
    rules = tmp_path / "synonyms.txt"
    rules.write_text("hbm, high bandwidth memory\n", encoding="utf-8")
    app = make_app(seed_index, SYNONYMS_FILE=rules, QUERY_LOG=False)
    app.extensions["searchsvc"].synonyms.check_interval = 0  # look at the file every time
    client = app.test_client()
    url = "/api/search?q=airship"
    before = etag(client, url)
    rules.write_text("hbm, high bandwidth memory\nairship, zeppelin\n", encoding="utf-8")
    assert etag(client, url) != before  # same generation, other rules
    app.extensions["searchsvc"].handle.close()


@pytest.mark.parametrize(
    ("setting", "changes"),
    [
        ({"TYPOS": "0"}, True),  # the typos a request gets when it does not say
        ({"ARTICLE_URL": "https://example.com/{slug}"}, True),
        ({"RATE_LIMIT": "1000/second"}, False),  # how the service runs, not what it says
        ({"REFRESH_SECONDS": 5}, False),
    ],
)
def test_settings_that_change_answers_change_the_etag(
    client: FlaskClient, seed_index: Path, setting: dict[str, Any], changes: bool
) -> None:
    app = make_app(seed_index, ADMIN_TOKEN=TOKEN, QUERY_LOG=False, **setting)
    url = "/api/search?q=nvdia"
    assert (etag(app.test_client(), url) != etag(client, url)) is changes
    app.extensions["searchsvc"].handle.close()


def test_suggestions_change_with_popular_searches_and_searches_do_not(
    site: tuple[Flask, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(popular, "REFRESH_SECONDS", 0)  # re-read the log on every request
    app, _ = site
    client = app.test_client()
    suggest, search = "/api/suggest?q=export", "/api/search?q=chips"
    before = etag(client, suggest), etag(client, search)
    for _ in range(MIN_SEARCHES):
        assert client.get("/api/search?q=export+controls").status_code == 200
    log = log_of(app)
    assert log is not None and log.flush()
    kinds = [s["kind"] for s in client.get(suggest).get_json()["suggestions"]]
    assert "query" in kinds  # now a popular search
    assert etag(client, suggest) != before[0]
    assert etag(client, search) == before[1]


# --- If-None-Match ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "{tag}",
        "{strong}",  # weak comparison: the same opaque tag, sent without W/
        '"0-000000000000000000000000", {tag}',  # one of a list
        'W/"elsewhere",{tag} , "x"',
        "*",
    ],
)
def test_a_matching_if_none_match_is_304_without_a_search(
    client: FlaskClient, searches: list[str], header: str
) -> None:
    url = "/api/search?q=semiconductor+tariffs"
    tag = etag(client, url)
    assert searches == ["semiconductor tariffs"]
    value = header.format(tag=tag, strong=tag.removeprefix("W/"))
    response = client.get(url, headers={"If-None-Match": value})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert response.headers["ETag"] == tag
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert searches == ["semiconductor tariffs"]  # the 304 ran no search


@pytest.mark.parametrize(
    "url", ["/api/suggest?q=nvi", f"/api/articles/{ARTICLE}", "/api/search?q=x&q=y"]
)
def test_every_cached_endpoint_answers_304(client: FlaskClient, url: str) -> None:
    tag = etag(client, url)
    for method in ("GET", "HEAD"):
        response = client.open(url, method=method, headers={"If-None-Match": tag})
        assert response.status_code == 304 and response.get_data() == b""


def test_a_304_is_not_in_the_query_log(site: tuple[Flask, Path]) -> None:
    app, _ = site
    client = app.test_client()
    url = "/api/search?q=nvidia"
    tag = etag(client, url)
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    log = log_of(app)
    assert log is not None and log.flush()
    assert [row["q"] for row in rows(app.config["INDEX_DIR"] / DB_NAME)] == ["nvidia"]


@pytest.mark.parametrize("header", ['W/"1-000000000000000000000000"', '"nothing"', ""])
def test_a_tag_that_does_not_match_gets_the_answer(
    client: FlaskClient, searches: list[str], header: str
) -> None:
    response = client.get("/api/search?q=nvidia", headers={"If-None-Match": header})
    assert response.status_code == 200 and response.get_json()["total"] > 0
    assert searches == ["nvidia"]


# --- what is never cached -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "headers", "status"),
    [
        ("POST", "/api/search", {}, 200),
        ("GET", "/api/search?page=0", {}, 400),
        ("GET", "/api/search?q=" + "x" * 513, {}, 400),
        ("GET", "/api/articles/no-such-article", {}, 404),
        ("GET", "/api/suggest?limit=-1", {}, 400),
        ("GET", "/healthz", {}, 200),
        ("GET", "/admin/stats", AUTH, 200),
        ("GET", "/admin/stats", {}, 401),
        ("GET", "/admin/", {}, 200),  # the admin page's shell
        ("GET", "/admin/static/admin.js", {}, 200),  # send_file gives validators: dropped
        ("GET", "/metrics", AUTH, 200),
    ],
)
def test_never_cached_and_never_an_etag(
    client: FlaskClient, method: str, url: str, headers: dict[str, str], status: int
) -> None:
    kwargs: dict[str, Any] = {"json": {"q": "nvidia"}} if method == "POST" else {}
    with client.open(url, method=method, headers=headers, **kwargs) as response:
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers
        assert "Last-Modified" not in response.headers


def test_if_none_match_star_does_not_skip_a_post(client: FlaskClient, searches: list[str]) -> None:
    response = client.post("/api/search", json={"q": "nvidia"}, headers={"If-None-Match": "*"})
    assert response.status_code == 200 and searches == ["nvidia"]


def test_without_an_index_there_is_no_etag(tmp_path: Path) -> None:
    response = make_app(tmp_path / "none").test_client().get("/api/search?q=nvidia")
    error_of(response, 503, "index_unavailable")
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_a_generation_that_changes_during_the_request_gives_no_etag(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching, "_current_generation", lambda: -1)  # moved on meanwhile
    response = client.get("/api/search?q=nvidia")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert "ETag" not in response.headers


# --- another blueprint opts in ---------------------------------------------------------------


def test_a_blueprint_opts_in_with_one_call(seed_index: Path) -> None:
    bp = Blueprint("extra", __name__)

    @bp.get("/extra/page")
    def page() -> str:
        return "a page"

    @bp.get("/extra/live")
    def live() -> str:
        return "right now"

    caching.init_blueprint(bp, max_age=300, endpoints={"live": None})
    app = make_app(seed_index, QUERY_LOG=False)
    app.register_blueprint(bp)
    client = app.test_client()
    response = client.get("/extra/page")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    tag = response.headers["ETag"]
    assert WEAK_ETAG.fullmatch(tag)
    assert client.get("/extra/page", headers={"If-None-Match": tag}).status_code == 304
    # an endpoint mapped to None is the view's business: nothing added, no 304
    left = client.get("/extra/live", headers={"If-None-Match": "*"})
    assert left.status_code == 200
    assert "ETag" not in left.headers and "Cache-Control" not in left.headers
    app.extensions["searchsvc"].handle.close()


def test_naming_an_endpoint_the_blueprint_lacks_fails_at_registration(seed_index: Path) -> None:
    bp = Blueprint("typo", __name__)

    @bp.get("/typo/health")
    def health() -> str:
        return "ok"

    caching.init_blueprint(bp, max_age=30, endpoints={"helth": None})
    app = make_app(seed_index, QUERY_LOG=False)
    with pytest.raises(ValueError, match="no endpoint helth"):
        app.register_blueprint(bp)
    app.extensions["searchsvc"].handle.close()


# --- through a real server -------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_every_worker_gives_one_etag_and_a_304(seed_server: Server) -> None:
    """gunicorn's workers are separate processes: the tag is the same whichever answers."""
    parts = urlsplit(seed_server.base)
    assert parts.hostname is not None and parts.port is not None
    url = "/api/search?q=nvidia+earnings"

    def get(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:  # a new connection each time: either worker may answer
            conn.request("GET", url, headers=headers)
            reply = conn.getresponse()
            return reply.status, dict(reply.getheaders()), reply.read()
        finally:
            conn.close()

    tags = {get({})[1]["ETag"] for _ in range(8)}
    assert len(tags) == 1
    status, headers, body = get({"If-None-Match": tags.pop()})
    assert (status, body) == (304, b"")
    assert headers["Cache-Control"] == "public, max-age=30"
