"""Admin auth (every /admin/ URL) and POST /admin/reindex, through Flask's test client.

Reindex tests run over a small content folder of their own in tmp_path, indexed once
before each test; the app checks for new generations only once an hour
(REFRESH_SECONDS), so a search that sees a reindex at once proves the endpoint told the
index handle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from searchsvc import create_app
from searchsvc.indexing import build, layout
from searchsvc.indexing.build import build_index
from tests.conftest import AUTH, TOKEN, article_text, error_of, write_article

CHALLENGE = 'Bearer realm="searchsvc admin"'
REPORT_KEYS = {
    "full",
    "full_reason",
    "added",
    "updated",
    "deleted",
    "unchanged",
    "errors",
    "warnings",  # issue 9: files indexed with something forgiven (frontmatter)
    "kept_stale",
    "documents",
    "generation",
    "started_at",
    "finished_at",
    "seconds",
}


def article(slug: str, title: str, body: str) -> str:
    return article_text(body, slug=slug, title=title, publishedAt="2025-10-01")


CORPUS = {
    "alpha.md": article("alpha", "Alpha harvest", "Farmers report a record wheat harvest."),
    "beta.md": article("beta", "Beta bridges", "The city opens two new suspension bridges."),
    "news/gamma.md": article("gamma", "Gamma gardens", "Rooftop gardens spread downtown."),
}


# --- auth --------------------------------------------------------------------------------


def make_app(tmp_path: Path, **config: Any) -> Flask:
    """An app over an empty (never built) index: auth never needs one."""
    return create_app(
        {
            "CONTENT_DIR": tmp_path / "content",
            "INDEX_DIR": tmp_path / "index",
            "TESTING": True,
            **config,
        }
    )


ADMIN_URLS = [
    ("POST", "/admin/reindex"),
    ("GET", "/admin/reindex"),  # a wrong method must not reveal the route either
    # GET/HEAD /admin and /admin/ are the admin page's shell: see tests/admin/test_page.py
    ("POST", "/admin"),
    ("POST", "/admin/"),
    ("GET", "/admin/static/not-the-page.js"),
    ("GET", "/admin/no-such-endpoint"),
    ("DELETE", "/admin/stats?verbose=1"),
    ("OPTIONS", "/admin/reindex"),
]


@pytest.mark.parametrize("token", [None, "", "   "], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize(("method", "url"), ADMIN_URLS)
@pytest.mark.parametrize(
    "headers", [{}, AUTH, {"Authorization": "Bearer "}], ids=["none", "auth", "bare"]
)
def test_admin_disabled_is_404_for_every_admin_url(
    tmp_path: Path, token: str | None, method: str, url: str, headers: dict[str, str]
) -> None:
    client = make_app(tmp_path, ADMIN_TOKEN=token).test_client()
    response = client.open(url, method=method, headers=headers)
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "admin_disabled"
    assert "SEARCHSVC_ADMIN_TOKEN" in error["message"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "WWW-Authenticate" not in response.headers
    assert "Allow" not in response.headers
    assert not (tmp_path / "index").exists()  # nothing ran


@pytest.mark.parametrize(
    ("header", "challenge"),
    [
        (None, CHALLENGE),
        ("", CHALLENGE),
        (TOKEN, CHALLENGE),  # no scheme
        (f"Basic {TOKEN}", CHALLENGE),
        (f"Token {TOKEN}", CHALLENGE),
        ("Bearer", CHALLENGE),
        ("Bearer ", CHALLENGE),
        (f"Bearer {TOKEN} extra", CHALLENGE),
        (f"Bearer{TOKEN}", CHALLENGE),
        ("Bearer wrong-token", f'{CHALLENGE}, error="invalid_token"'),
        (f"Bearer {TOKEN[:-1]}", f'{CHALLENGE}, error="invalid_token"'),  # a prefix
        (f"Bearer {TOKEN}x", f'{CHALLENGE}, error="invalid_token"'),
        (f"Bearer {TOKEN.upper()}", f'{CHALLENGE}, error="invalid_token"'),
    ],
)
@pytest.mark.parametrize(("method", "url"), ADMIN_URLS)
def test_admin_without_a_valid_token_is_401(
    tmp_path: Path, header: str | None, challenge: str, method: str, url: str
) -> None:
    client = make_app(tmp_path, ADMIN_TOKEN=TOKEN).test_client()
    headers = {} if header is None else {"Authorization": header}
    response = client.open(url, method=method, headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == challenge
    assert response.headers["Cache-Control"] == "no-store"
    assert "Allow" not in response.headers
    assert TOKEN not in response.get_data(as_text=True)
    assert not (tmp_path / "index").exists()  # POST /admin/reindex did not run


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER   {TOKEN}  "],
    ids=["canonical", "lowercase-scheme", "extra-spaces"],
)
@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("GET", "/admin/no-such-endpoint", 404, "not_found"),
        ("GET", "/admin/reindex", 405, "method_not_allowed"),
        ("PUT", "/admin/reindex", 405, "method_not_allowed"),
    ],
)
def test_admin_with_the_token_routes_as_usual(
    tmp_path: Path, header: str, method: str, url: str, status: int, code: str
) -> None:
    client = make_app(tmp_path, ADMIN_TOKEN=TOKEN).test_client()
    response = client.open(url, method=method, headers={"Authorization": header})
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert response.headers["Cache-Control"] == "no-store"
    assert "WWW-Authenticate" not in response.headers
    if status == 405:
        assert "POST" in response.headers["Allow"]


def test_non_ascii_token_compares_the_bytes_sent(tmp_path: Path) -> None:
    token = "tøken-ü"
    client = make_app(tmp_path, ADMIN_TOKEN=token).test_client()
    # a WSGI server hands the header's UTF-8 bytes over decoded as latin-1
    sent = token.encode("utf-8").decode("latin-1")
    ok = client.get("/admin/nope", headers={"Authorization": f"Bearer {sent}"})
    assert ok.status_code == 404  # past auth
    wrong = client.get("/admin/nope", headers={"Authorization": "Bearer tøken-u"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize("url", ["/administrator", "/adminreindex", "/api/admin"])
def test_urls_merely_starting_with_admin_are_not_admin(
    tmp_path: Path, token: str | None, url: str
) -> None:
    response = make_app(tmp_path, ADMIN_TOKEN=token).test_client().get(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert "Cache-Control" not in response.headers


def test_public_api_needs_no_token_and_keeps_its_caching(tmp_path: Path) -> None:
    response = make_app(tmp_path, ADMIN_TOKEN=TOKEN).test_client().get("/healthz")
    assert response.status_code == 503  # no index built: but not 401
    assert "Cache-Control" not in response.headers


# --- POST /admin/reindex -----------------------------------------------------------------


@dataclass
class Site:
    content: Path
    index: Path
    app: Flask
    client: FlaskClient

    def reindex(self, body: Any = None, **kwargs: Any) -> TestResponse:
        if body is not None:
            kwargs["json"] = body
        return self.client.post("/admin/reindex", headers=AUTH, **kwargs)

    def ok(self, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        response = self.reindex(body, **kwargs)
        assert response.status_code == 200, response.get_json()
        assert response.headers["Cache-Control"] == "no-store"
        report: dict[str, Any] = response.get_json()
        assert set(report) == REPORT_KEYS
        return report

    def search(self, q: str) -> dict[str, Any]:
        response = self.client.get("/api/search", query_string={"q": q})
        assert response.status_code == 200
        data: dict[str, Any] = response.get_json()
        return data

    def slugs(self, q: str) -> set[str]:
        return {hit["slug"] for hit in self.search(q)["hits"]}

    def generation(self) -> int:
        number: int = self.client.get("/healthz").get_json()["index_generation"]
        return number


@pytest.fixture
def site(tmp_path: Path) -> Site:
    content, index = tmp_path / "content", tmp_path / "index"
    for name, text in CORPUS.items():
        write_article(content, name, text)
    build_index(content, index, workers=1)
    app = create_app(
        {
            "CONTENT_DIR": content,
            "INDEX_DIR": index,
            "ADMIN_TOKEN": TOKEN,
            "REFRESH_SECONDS": 3600,  # only an explicit invalidate shows a new generation
            "TESTING": True,
        }
    )
    return Site(content, index, app, app.test_client())


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"data": b""},
        {"data": b"", "content_type": "text/plain"},
        {"data": b"  \n", "content_type": "application/json"},
        {"json": {}},
        {"json": {"full": False}},
        {"json": {"paths": None}},
    ],
    ids=[
        "no-body",
        "empty",
        "empty-text",
        "blank-json",
        "empty-object",
        "full-false",
        "paths-null",
    ],
)
def test_reindex_without_paths_checks_the_whole_folder(site: Site, kwargs: dict[str, Any]) -> None:
    unchanged = site.ok(**kwargs)
    assert unchanged["full"] is False
    assert (unchanged["added"], unchanged["updated"], unchanged["deleted"]) == (0, 0, 0)
    assert unchanged["unchanged"] == len(CORPUS)
    write_article(site.content, "deep/er/delta.md", article("delta", "Delta", "Quiet rivers."))
    (site.content / "beta.md").unlink()
    report = site.ok(**kwargs)
    assert (report["added"], report["updated"], report["deleted"]) == (1, 0, 1)
    assert report["documents"] == len(CORPUS)


@pytest.mark.parametrize("as_object", [False, True], ids=["list", "object"])
def test_reindex_named_paths_checks_only_those(site: Site, as_object: bool) -> None:
    assert site.slugs("harvest") == {"alpha"}
    write_article(site.content, "news/delta.md", article("delta", "Delta", "Glaciers retreat."))
    write_article(site.content, "alpha.md", article("alpha", "Alpha", "Orchards bloom early."))
    (site.content / "beta.md").unlink()
    # changed too, but not named: this run leaves it alone
    write_article(site.content, "news/gamma.md", article("gamma", "Gamma", "Volcano erupts."))
    paths = ["news/delta.md", "alpha.md", "beta.md", "./alpha.md", "missing/never.md"]
    report = site.ok({"paths": paths, "full": False} if as_object else paths)
    assert report["full"] is False
    assert (report["added"], report["updated"], report["deleted"]) == (1, 1, 1)
    assert report["errors"] == []
    assert report["documents"] == 3
    assert site.slugs("glaciers") == {"delta"}
    assert site.slugs("orchards") == {"alpha"}
    assert site.slugs("harvest") == set()
    assert site.slugs("bridges") == set()
    assert site.slugs("rooftop") == {"gamma"}  # the old text: gamma was not named
    assert site.slugs("volcano") == set()
    # the whole-folder run then picks it up
    assert site.ok()["updated"] == 1
    assert site.slugs("volcano") == {"gamma"}


def test_reindex_empty_path_list_checks_nothing(site: Site) -> None:
    (site.content / "beta.md").unlink()
    report = site.ok([])
    assert (report["added"], report["updated"], report["deleted"]) == (0, 0, 0)
    assert site.slugs("bridges") == {"beta"}


def test_reindex_reports_a_named_bad_file(site: Site) -> None:
    (site.content / "alpha.md").write_bytes(b"---\ntitle: [unclosed\n---\nbody\n")
    report = site.ok(["alpha.md"])
    assert [e["path"] for e in report["errors"]] == ["alpha.md"]
    assert report["kept_stale"] == ["alpha"]
    assert site.slugs("harvest") == {"alpha"}  # the last good version stays


def test_reindex_full(site: Site) -> None:
    before = site.generation()
    report = site.ok({"full": True})
    assert report["full"] is True
    assert report["full_reason"] == "requested"
    assert report["documents"] == len(CORPUS)
    assert report["generation"] > before
    assert site.generation() == report["generation"]


def test_search_after_reindex_sees_the_new_generation(site: Site) -> None:
    first = site.search("lighthouse")
    assert first["total"] == 0
    write_article(site.content, "epsilon.md", article("epsilon", "Epsilon", "A lighthouse."))
    report = site.ok(["epsilon.md"])
    assert report["generation"] > first["generation"]
    second = site.search("lighthouse")
    assert [hit["slug"] for hit in second["hits"]] == ["epsilon"]
    assert second["generation"] == report["generation"]
    (site.content / "epsilon.md").unlink()
    third_report = site.ok(["epsilon.md"])
    third = site.search("lighthouse")
    assert third["total"] == 0
    assert third["generation"] == third_report["generation"] > second["generation"]


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("text-plain", {"data": b'["alpha.md"]', "content_type": "text/plain"}, "must be JSON"),
    ("form", {"data": {"paths": "alpha.md"}}, "must be JSON"),
    ("no-type", {"data": b'["alpha.md"]'}, "must be JSON"),
    ("broken-json", {"data": b'["alpha.md"', "content_type": "application/json"}, "valid JSON"),
    ("not-utf8", {"data": b'["\xff.md"]', "content_type": "application/json"}, "valid JSON"),
    ("string", {"json": "alpha.md"}, "list of paths or an object"),
    ("null", {"data": b"null", "content_type": "application/json"}, "list of paths or an object"),
    ("number", {"json": 42}, "list of paths or an object"),
    ("number-path", {"json": [1]}, "paths[0] must be a string"),
    ("null-path", {"json": ["alpha.md", None]}, "paths[1] must be a string"),
    ("nested-list", {"json": [["alpha.md"]]}, "paths[0] must be a string"),
    ("empty-path", {"json": [""]}, "paths[0] is empty"),
    ("absolute", {"json": ["/etc/alpha.md"]}, "paths[0] must be relative"),
    ("unc", {"json": ["\\\\server\\share\\alpha.md"]}, "must be relative"),
    ("drive", {"json": ["C:/content/alpha.md"]}, "must be relative"),
    ("dotdot", {"json": ["../alpha.md"]}, "'..'"),
    ("inner-dotdot", {"json": ["alpha.md", "news/../../x.md"]}, "paths[1] must not contain"),
    ("backslash-dotdot", {"json": ["news\\..\\..\\x.md"]}, "'..'"),
    ("nul", {"json": ["alpha\x00.md"]}, "NUL"),
    ("too-many", {"json": [f"a{i}.md" for i in range(10_001)]}, "at most 10000 paths"),
    ("paths-string", {"json": {"paths": "alpha.md"}}, "paths must be a list"),
    ("full-string", {"json": {"full": "yes"}}, "full must be true or false"),
    ("full-int", {"json": {"full": 1}}, "full must be true or false"),
    ("full-null", {"json": {"full": None}}, "full must be true or false"),
    ("unknown-key", {"json": {"ful": True}}, "unknown field(s) 'ful'"),
    ("full-and-paths", {"json": {"paths": ["alpha.md"], "full": True}}, "one or the other"),
]


@pytest.mark.parametrize(
    ("kwargs", "message"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
)
def test_reindex_bad_body_is_400(site: Site, kwargs: dict[str, Any], message: str) -> None:
    before = (site.index / layout.LAST_REPORT).read_text(encoding="utf-8")
    (site.content / "beta.md").unlink()
    response = site.client.post("/admin/reindex", headers=AUTH, **kwargs)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_parameter"
    assert message in error["message"]
    assert response.headers["Cache-Control"] == "no-store"
    assert (site.index / layout.LAST_REPORT).read_text(encoding="utf-8") == before  # no run
    assert site.slugs("bridges") == {"beta"}


def test_reindex_accepts_exactly_10000_paths(site: Site) -> None:
    report = site.ok([f"missing/{i}.md" for i in range(10_000)])
    assert (report["added"], report["deleted"]) == (0, 0)


def test_reindex_while_another_holds_the_writer_lock_is_409(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the indexer waits 2 s for the lock by default; 0.2 s keeps this test quick
    monkeypatch.setattr(build, "writer_lock", partial(layout.writer_lock, wait_seconds=0.2))
    with layout.writer_lock(site.index, wait_seconds=0.1):
        started = time.monotonic()
        response = site.reindex(["alpha.md"])
        waited = time.monotonic() - started
    assert response.status_code == 409
    assert error_of(response)["code"] == "reindex_running"
    assert response.headers["Cache-Control"] == "no-store"
    assert waited >= 0.2  # it waited for the lock (how long in all: benchmarks/waits.py)
    assert site.reindex().status_code == 200  # released: the next run goes through


def test_reindex_of_a_missing_content_folder_says_so(site: Site) -> None:
    site.app.config["CONTENT_DIR"] = site.content / "nowhere"
    response = site.reindex()
    assert response.status_code == 500
    assert "nowhere" in error_of(response)["message"]
