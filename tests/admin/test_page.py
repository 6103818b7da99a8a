"""The admin page (/admin/): the gate's allow-list, its headers, and the page in a browser.

Two halves:

- Flask test-client tests: the shell and its two static files load without the token but
  only while admin is enabled; every JSON endpoint (and every other /admin URL) still
  needs it; the page's security headers; no inline script; package data.
- Browser tests: a real `searchsvc serve` (gunicorn, via the e2e helpers) over a temporary
  copy of seeds/ with SEARCHSVC_ADMIN_TOKEN set, driven by Playwright in Debian's
  Chromium (/usr/bin/chromium; `.ci/run` installs it, Playwright never downloads a
  browser). They skip, saying why, when that browser or the playwright package is
  missing. Each test leaves a full-page screenshot in its tmp_path ("failed.png" when it
  failed, else "end.png").
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from benchmarks.servers import OPENER, fetch
from searchsvc import create_app
from searchsvc.admin.auth import PUBLIC_PATHS
from tests.browsing import browser_test, chromium, skip_without_browser, watched_tab
from tests.conftest import AUTH, ROOT, SEEDS, TOKEN, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PACKAGE = ROOT / "searchsvc" / "admin"
ASSETS = ["/admin/static/admin.js", "/admin/static/admin.css"]
SHELL = ["/admin/", *ASSETS]

TSMC = "tsmc-arizona-expansion-tariff-threats"
NOT_TSMC = "byd-tesla-ev-price-war"
HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>"
HOSTILE_SLUG = "<img src=x onerror=alert(3)>"


def make_app(tmp_path: Path, seed_index: Path | None = None, **config: Any) -> Flask:
    return create_app(
        {
            "CONTENT_DIR": SEEDS,
            "INDEX_DIR": seed_index or tmp_path / "index",
            "TESTING": True,
            **config,
        }
    )


@pytest.fixture
def admin_client(tmp_path: Path, seed_index: Path) -> FlaskClient:
    return make_app(tmp_path, seed_index, ADMIN_TOKEN=TOKEN).test_client()


def csp_directives(value: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


# --- the gate ----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "   "], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize("url", ["/admin", *SHELL])
@pytest.mark.parametrize("headers", [{}, AUTH], ids=["anonymous", "with-token"])
def test_page_is_404_while_admin_is_off(
    tmp_path: Path, token: str | None, url: str, headers: dict[str, str]
) -> None:
    response = make_app(tmp_path, ADMIN_TOKEN=token).test_client().get(url, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "admin_disabled"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"  # the page itself never ran


def test_the_allow_list_is_exactly_the_shell_and_its_assets() -> None:
    assert PUBLIC_PATHS == {"/admin", "/admin/", *ASSETS}


@pytest.mark.parametrize("url", SHELL)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "garbage"}, AUTH],
    ids=["anonymous", "wrong-token", "malformed", "with-token"],
)
def test_shell_and_assets_load_without_the_token(
    admin_client: FlaskClient, url: str, headers: dict[str, str]
) -> None:
    # (`with`: a static file's response holds the file open until it is closed)
    with admin_client.get(url, headers=headers) as response:
        assert response.status_code == 200
        assert response.get_data()
    with admin_client.head(url, headers=headers) as head:
        assert head.status_code == 200
        assert head.get_data() == b""


def test_admin_without_slash_redirects_to_the_page(admin_client: FlaskClient) -> None:
    response = admin_client.get("/admin")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/admin/")


def test_the_app_has_no_static_folder_outside_admin(tmp_path: Path) -> None:
    # searchsvc/admin/static/ belongs to the admin page: not served at /static/ (admin on or off)
    for token in (None, TOKEN):
        client = make_app(tmp_path, ADMIN_TOKEN=token).test_client()
        for url in ("/static/admin.js", "/static/admin.css"):
            assert client.get(url).status_code == 404


JSON_ENDPOINTS = [
    ("GET", "/admin/explain?q=tsmc"),
    ("GET", f"/admin/explain?q=tsmc&slug={TSMC}"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/queries?window=24h&limit=20"),
    ("GET", "/admin/analyze?field=body&text=Tariffs"),
    ("POST", "/admin/analyze?field=body&text=Tariffs"),
    ("GET", f"/admin/documents/{TSMC}"),
    ("POST", "/admin/reindex"),
]
NEAR_THE_ALLOW_LIST = [
    ("POST", "/admin/"),
    ("PUT", "/admin/"),
    ("DELETE", "/admin/"),
    ("OPTIONS", "/admin/"),
    ("POST", "/admin/static/admin.js"),
    ("OPTIONS", "/admin/static/admin.js"),
    ("GET", "/admin/static/"),
    ("GET", "/admin/static/other.js"),
    ("GET", "/admin/static/admin.js/"),
    ("GET", "/admin/static/ADMIN.JS"),
    ("GET", "/admin/static/%2e%2e/stats"),
    ("GET", "/admin//"),
    ("GET", "/admin/index.html"),
    ("GET", "/admin/admin.html"),
    ("GET", "/admin/templates/admin.html"),
]


@pytest.mark.parametrize(("method", "url"), JSON_ENDPOINTS + NEAR_THE_ALLOW_LIST)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["anonymous", "wrong-token", "no-scheme"],
)
def test_everything_else_still_needs_the_token(
    admin_client: FlaskClient, method: str, url: str, headers: dict[str, str]
) -> None:
    response = admin_client.open(url, method=method, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "url", ["/admin/stats", "/admin/queries?window=1h", "/admin/explain?q=tsmc"]
)
def test_json_endpoints_answer_with_the_token(admin_client: FlaskClient, url: str) -> None:
    response = admin_client.get(url, headers=AUTH)
    assert response.status_code == 200
    assert response.is_json


# --- the shell and its headers -----------------------------------------------------------


@pytest.mark.parametrize("url", SHELL)
def test_security_headers(admin_client: FlaskClient, url: str) -> None:
    with admin_client.get(url) as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    csp = csp_directives(headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'none'"]  # forms are handled by script, never submitted
    assert "unsafe" not in headers["Content-Security-Policy"]


def test_shell_is_html_with_no_data_and_no_inline_code(admin_client: FlaskClient) -> None:
    response = admin_client.get("/admin/")
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    # exactly one script, external, from this origin's admin static folder
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
    assert scripts == [(' src="/admin/static/admin.js" defer', "")]
    assert '<link rel="stylesheet" href="/admin/static/admin.css">' in html
    assert not re.search(r"<style\b", html, flags=re.I)
    assert not re.search(r"\sstyle\s*=", html, flags=re.I)
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I)  # no inline event handlers
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html, flags=re.I)  # no CDN
    assert "javascript:" not in html.lower()
    # no data: nothing from the index or the token in the shell
    assert TOKEN not in html
    assert TSMC not in html and "generation" not in html.lower()
    # every input has a label: wrapped in one, or named by for=
    for tag in re.findall(r"<(?:input|select)\b[^>]*>", html):
        name = re.search(r'id="([^"]+)"', tag)
        assert name, tag
        wrapped = re.search(rf'<label[^>]*>[^<]*\s*<(?:input|select)[^>]*id="{name[1]}"', html)
        named = f'for="{name[1]}"' in html
        assert wrapped or named, f"no label for #{name[1]}"


def test_assets_are_served_with_their_types(admin_client: FlaskClient) -> None:
    with admin_client.get("/admin/static/admin.js") as js:
        assert js.mimetype in ("text/javascript", "application/javascript")
        assert b"sessionStorage" in js.get_data()
    with admin_client.get("/admin/static/admin.css") as css:
        assert css.mimetype == "text/css"
        assert b"[hidden]" in css.get_data()


def test_script_never_writes_html() -> None:
    """The page's safety rests on text nodes: the script never parses strings as HTML."""
    source = (PACKAGE / "static" / "admin.js").read_text(encoding="utf-8")
    code = re.sub(r"^\s*//.*$", "", source, flags=re.M)  # comments may name them
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code, sink
    assert "new Function" not in code and 'setTimeout("' not in code
    assert "sessionStorage" in code and "localStorage" not in code
    assert "Authorization: `Bearer ${" in code


def test_page_files_are_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["searchsvc.admin"]
    files = [
        p.relative_to(PACKAGE).as_posix()
        for folder in ("templates", "static")
        for p in (PACKAGE / folder).rglob("*")
        if p.is_file()
    ]
    assert {"templates/admin.html", "static/admin.js", "static/admin.css"} <= set(files)
    for name in files:
        assert any(fnmatch.fnmatch(name, g) for g in globs), f"{name} is not package data"


# --- in a real browser -------------------------------------------------------------------

TOKEN_KEY = "searchsvc.admin.reindex.token"


def admin_get(base: str, path: str, **params: str) -> Any:
    url = f"{base}{path}" + (f"?{urlencode(params)}" if params else "")
    request = urllib.request.Request(url, headers=AUTH)
    with OPENER.open(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`searchsvc serve` with the admin token, over a temp copy of seeds/: its base URL."""
    skip_without_browser()
    with running_server(
        tmp_path_factory.mktemp("admin-page"), {"SEARCHSVC_ADMIN_TOKEN": TOKEN}
    ) as server:
        yield server.base


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with chromium(tmp_path_factory.mktemp("chromium-home")) as launched:
        yield launched


@pytest.fixture
def page(
    browser: Browser, admin_server: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh context (empty sessionStorage) per test; a screenshot when it ends. 401s
    are the page's business (a wrong token)."""
    with watched_tab(
        browser, admin_server, tmp_path, request, allowed_status=lambda r: r.status == 401
    ) as tab:
        yield tab


def stored_token(page: Page) -> Any:
    return page.evaluate(f"sessionStorage.getItem({TOKEN_KEY!r})")


def sign_in(page: Page, token: str = TOKEN) -> None:
    from playwright.sync_api import expect

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Admin token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def explain(page: Page, query: str) -> None:
    page.get_by_label("Query", exact=True).fill(query)
    page.get_by_role("button", name="Explain", exact=True).click()


@browser_test
@pytest.mark.browser
@pytest.mark.e2e
def test_sign_in_keeps_the_token_for_the_tab_until_sign_out(page: Page, admin_server: str) -> None:
    from playwright.sync_api import expect

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    assert stored_token(page) is None

    sign_in(page, "not-the-token")
    expect(page.locator("#signin-message")).to_contain_text("not accepted (401)")
    expect(page.locator("#app")).to_be_hidden()
    assert stored_token(page) is None

    documents = fetch(f"{admin_server}/healthz").body["documents"]
    assert documents == 34
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#stats-documents")).to_have_text(str(documents))
    expect(page.locator("#signin")).to_be_hidden()
    assert stored_token(page) == TOKEN
    expect(page.locator("#stats-result")).to_contain_text("Last reindex")

    page.reload()  # sessionStorage survives a reload of the tab
    expect(page.locator("#stats-documents")).to_have_text(str(documents))
    expect(page.locator("#signin")).to_be_hidden()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#signin-message")).to_have_text("Signed out.")
    expect(page.locator("#app")).to_be_hidden()
    assert stored_token(page) is None
    assert page.locator("#stats-result").inner_text() == ""  # no data left on the page

    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@browser_test
@pytest.mark.browser
@pytest.mark.e2e
def test_a_rejected_token_mid_session_asks_again(page: Page) -> None:
    from playwright.sync_api import expect

    sign_in(page)
    expect(page.locator("#stats-documents")).to_have_text("34")
    page.evaluate(f"sessionStorage.setItem({TOKEN_KEY!r}, 'revoked')")  # as if rotated
    page.get_by_role("button", name="Refresh").first.click()
    expect(page.locator("#signin-message")).to_contain_text("not accepted (401)")
    assert stored_token(page) is None


@browser_test
@pytest.mark.browser
@pytest.mark.e2e
def test_explain_and_why_not(page: Page, admin_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    sign_in(page)
    explain(page, "TSMC tariffs")
    hit = page.locator(f'.hit[data-slug="{TSMC}"]')
    expect(hit).to_be_visible()
    expect(hit.locator(".slug")).to_have_text(TSMC)
    shown_score = hit.locator(".hit-score").inner_text()
    shown_sum = hit.locator(".breakdown-sum").inner_text()
    assert shown_sum == shown_score
    expect(hit.locator("tfoot")).to_contain_text("= score")

    data = admin_get(admin_server, "/admin/explain", q="TSMC tariffs")
    served = next(h for h in data["hits"] if h["slug"] == TSMC)
    assert float(shown_score) == pytest.approx(served["score"], abs=5e-4)
    assert hit.locator("tbody tr").count() == len(served["breakdown"])
    expect(page.locator("#expanded-text")).to_have_text(data["expanded"]["text"])
    terms = page.locator("table.terms")
    expect(terms).to_contain_text("tariffs")
    expect(terms).to_contain_text("tariff")
    expect(page.locator("#explain-result")).to_contain_text("company")  # TSMC -> ticker TSM

    page.get_by_label("Article slug").fill(NOT_TSMC)
    page.get_by_role("button", name="Why not?").click()
    result = page.locator("#whynot-result")
    expect(result).to_contain_text("Does not match the query.")
    why = admin_get(admin_server, "/admin/explain", q="TSMC tariffs", slug=NOT_TSMC)["why_not"]
    clauses = [x["clause"] for x in why["excluded_by"] if x["kind"] == "clause"]
    assert clauses
    for clause in clauses:
        expect(page.locator("#excluded-by")).to_contain_text(clause)
    expect(result).to_contain_text("Missing terms")
    expect(result.locator("table")).to_contain_text("tsmc")

    page.get_by_label("Article slug").fill(TSMC)  # and one that does match
    page.get_by_role("button", name="Why not?").click()
    expect(result).to_contain_text("Matches the query: rank 1")

    page.get_by_label("Article slug").fill(NOT_TSMC)
    page.get_by_role("button", name="Why not?").click()
    expect(result).to_contain_text("Does not match the query.")
    page.screenshot(path=str(tmp_path / "admin-page.png"), full_page=True)


@browser_test
@pytest.mark.browser
@pytest.mark.e2e
def test_explain_shows_corrections_and_synonyms(page: Page) -> None:
    from playwright.sync_api import expect

    sign_in(page)
    explain(page, "nvdia hbm")
    result = page.locator("#explain-result")
    expect(result).to_contain_text("correction")
    expect(result).to_contain_text("nvidia")
    expect(result).to_contain_text("1 typo")
    expect(result).to_contain_text("synonym")
    expect(result).to_contain_text('"high bandwidth memory"')


def wait_for_logged(base: str, queries: list[str], timeout: float = 10.0) -> None:
    """The log is written by a background thread per worker: wait until it has them."""
    deadline = time.monotonic() + timeout
    while True:
        logged = {r["q"] for r in admin_get(base, "/admin/queries", window="1h")["recent"]}
        if set(queries) <= logged:
            return
        assert time.monotonic() < deadline, f"not logged within {timeout}s: {queries}"
        time.sleep(0.1)


@browser_test
@pytest.mark.browser
@pytest.mark.e2e
def test_query_log_shows_the_searches(page: Page, admin_server: str) -> None:
    from playwright.sync_api import expect

    searched = ["nvidia earnings", "qwzxv nothingmatches"]
    for q in searched:
        assert fetch(f"{admin_server}/api/search?{urlencode({'q': q})}").status == 200
    wait_for_logged(admin_server, searched)

    sign_in(page)
    section = page.locator("#queries")
    expect(section.locator("table.recent")).to_contain_text("nvidia earnings")
    expect(section.locator("table.top")).to_contain_text("nvidia earnings")
    expect(section.locator("table.zero")).to_contain_text("qwzxv nothingmatches")
    expect(section.locator("table.zero")).not_to_contain_text("nvidia earnings")
    expect(section.locator("#queries-total")).to_contain_text("searches")

    page.get_by_label("Window").select_option("1h")
    expect(section.locator("table.recent")).to_contain_text("nvidia earnings")
    page.get_by_label("Window").select_option("7d")
    expect(section.locator("table.slow")).to_contain_text("qwzxv nothingmatches")

    # a logged query explains itself in one click
    section.locator("table.top").get_by_role("button", name="nvidia earnings").click()
    expect(page.get_by_label("Query", exact=True)).to_have_value("nvidia earnings")
    expect(page.locator("#hits .hit").first).to_be_visible()


@browser_test
@pytest.mark.browser
@pytest.mark.e2e
def test_hostile_text_is_shown_as_text(page: Page, admin_server: str) -> None:
    from playwright.sync_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    assert fetch(f"{admin_server}/api/search?{urlencode({'q': HOSTILE})}").status == 200
    wait_for_logged(admin_server, [HOSTILE])

    sign_in(page)
    expect(page.locator("#queries table.recent")).to_contain_text(HOSTILE)
    explain(page, HOSTILE)
    expect(page.locator("#explain-result dl.facts")).to_contain_text(HOSTILE)
    expect(page.locator("#parsed-text")).to_contain_text("<img src=x onerror=alert")
    page.get_by_label("Article slug").fill(HOSTILE_SLUG)
    page.get_by_role("button", name="Why not?").click()
    expect(page.locator("#whynot-result")).to_contain_text("No article has this slug.")
    expect(page.locator("#whynot-result .slug")).to_have_text(HOSTILE_SLUG)

    page.wait_for_timeout(200)  # an onerror would fire on the failed image load
    assert dialogs == []
    assert page.locator("img").count() == 0
    assert page.locator("body script").count() == 0
    assert page.evaluate("document.scripts.length") == 1  # admin.js, nothing injected
