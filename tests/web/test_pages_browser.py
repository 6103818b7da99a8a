"""The search page and the widget in a real browser: Debian's Chromium driven by
Playwright (tests/browsing.py), against a real `searchsvc serve` over a copy of seeds/
plus one hostile article. They skip, saying why, without that browser.

Each test leaves a screenshot in its temporary folder; test_screenshots also saves the
page at desktop and phone widths (README's screenshots are copies of those)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from benchmarks.servers import fetch
from tests.browsing import browser_test, chromium, skip_without_browser, watched_tab
from tests.conftest import SEEDS, article_text, serving, write_article

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
pytestmark = [browser_test, pytest.mark.browser, pytest.mark.e2e]


def hostile_site(root: Path) -> tuple[Path, Path]:
    content, index_dir = root / "content", root / "index"
    shutil.copytree(SEEDS, content)
    write_article(
        content,
        "hostile.md",
        article_text(
            "A hostile article about chip supply <script>alert(2)</script>.",
            slug="hostile-title",
            title=f"Chip supply {HOSTILE_TITLE}",
            tags=["Chip Supply", "<b onmouseover=alert(3)>x</b>"],
            publishedAt="2024-06-01",
        ),
    )
    return content, index_dir


class HostPage:
    """Another origin (a second local port) whose page carries the widget's one tag. The
    service's address is set once it runs (it starts knowing the host's origin)."""

    def __init__(self) -> None:
        self.service = ""
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                page = (
                    "<!doctype html><html><head><title>Another site</title></head><body>"
                    "<h1>Another site</h1><form><input id='q' type='search' "
                    "placeholder='Search'></form><p>The site's own content.</p>"
                    f"<script src='{host.service}/widget.js' data-input='#q' defer></script>"
                    "</body></html>"
                ).encode()
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page if self.path == "/" else b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    skip_without_browser()
    with chromium(tmp_path_factory.mktemp("chromium-home")) as launched:
        yield launched


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[HostPage, HostPage]]:
    """Two other sites: the first in SEARCHSVC_CORS_ORIGINS, the second not."""
    allowed, other = HostPage(), HostPage()
    yield allowed, other
    allowed.close()
    other.close()


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, hosts: tuple[HostPage, HostPage]
) -> Iterator[str]:
    """The served site (seeds plus the hostile article), allowing the first host's origin."""
    skip_without_browser()
    root = tmp_path_factory.mktemp("pages-site")
    content, index_dir = hostile_site(root)
    args = ("--content", str(content), "--index", str(index_dir))
    with serving(root, *args, env={"SEARCHSVC_CORS_ORIGINS": hosts[0].origin}) as (_, base):
        for host in hosts:
            host.service = base
        yield base


@pytest.fixture
def page(
    browser: Browser, site: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    with watched_tab(browser, site, tmp_path, request) as tab:
        dialogs: list[str] = []
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        yield tab
        assert dialogs == []  # no article text ever ran as script


def api(site: str, **params: Any) -> Any:
    return fetch(f"{site}/api/search?{urlencode(params, doseq=True)}").body


def params_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def hit_slugs(page: Page) -> list[str]:
    hrefs = page.locator("#results .hit-title a").evaluate_all("els => els.map(e => e.href)")
    return [h.rsplit("/", 1)[-1] for h in hrefs]


def facet_counts(page: Page, param: str) -> dict[str, str]:
    return dict(
        page.locator(f"fieldset.facet[data-param={param}] label").evaluate_all(
            "labels => labels.map(l => [l.querySelector('input').value,"
            " (l.querySelector('.count') || {}).textContent || ''])"
        )
    )


def wait_for_query(page: Page, text: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#results .status")).to_contain_text(f"for “{text}”")
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")


def test_results_and_suggestions_follow_the_reader_letter_by_letter(page: Page, site: str) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    searches: list[str] = []
    page.on(
        "request",
        lambda r: searches.append(r.url) if "/api/search?" in r.url else None,
    )
    box = page.get_by_role("combobox", name="Search articles")
    box.press_sequentially("nvid", delay=60)
    wait_for_query(page, "nvid")
    assert hit_slugs(page) == [h["slug"] for h in api(site, q="nvid")["hits"]]
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option").first).to_contain_text("NVIDIA")
    # the typed part is marked in each suggestion
    expect(listbox.locator("mark").first).to_have_text("NVID", ignore_case=True)
    box.press_sequentially("ia", delay=60)
    wait_for_query(page, "nvidia")
    assert hit_slugs(page) == [h["slug"] for h in api(site, q="nvidia")["hits"]]
    assert params_of(page) == {"q": ["nvidia"]}  # the URL follows the box
    assert len(searches) < len("nvidia")  # debounced: not one search per letter (or more)


def test_a_suggestion_is_chosen_by_keyboard(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    box = page.get_by_role("combobox", name="Search articles")
    box.press_sequentially("taiwan semi", delay=40)
    listbox = page.get_by_role("listbox", name="Suggestions")
    first = listbox.get_by_role("option").first
    expect(first).to_be_visible()
    wanted = first.locator(".suggestion-text").inner_text()
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", str(first.get_attribute("id")))
    box.press("ArrowUp")  # wraps to the last option
    expect(first).to_have_attribute("aria-selected", "false")
    box.press("ArrowDown")  # and back round to the first
    box.press("ArrowDown")
    box.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value(wanted)
    wait_for_query(page, wanted)
    # Escape closes the list without choosing
    box.fill("")
    box.press_sequentially("tsm", delay=40)
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("tsm")


def test_two_ticked_tags_show_disjunctive_counts_and_back_restores(page: Page, site: str) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    before = facet_counts(page, "tag")
    page.evaluate("window.notReloaded = true")
    page.locator("fieldset.facet[data-param=tag] input[value=Earnings]").check()
    expect(page).to_have_url(f"{site}/search?tag=Earnings")
    expected = api(site, tag="Earnings")
    expect(page.locator("#results .status")).to_contain_text(f"{expected['total']} results")
    # disjunctive: the tags facet still counts every tag as if Earnings were not ticked
    assert facet_counts(page, "tag") == before
    category = {v["value"]: str(v["count"]) for v in expected["facets"]["category"]}
    assert facet_counts(page, "category") == category
    page.locator("fieldset.facet[data-param=tag] input[value=Tariffs]").check()
    both = api(site, tag=["Earnings", "Tariffs"])
    expect(page.locator("#results .status")).to_contain_text(f"{both['total']} results")
    assert params_of(page) == {"tag": ["Earnings", "Tariffs"]}
    assert hit_slugs(page) == [h["slug"] for h in both["hits"]]
    assert facet_counts(page, "tag") == before
    assert page.evaluate("window.notReloaded")  # no reload: only the URL changed

    page.go_back()
    expect(page).to_have_url(f"{site}/search?tag=Earnings")
    expect(page.locator("#results .status")).to_contain_text(f"{expected['total']} results")
    tariffs = page.locator("fieldset.facet[data-param=tag] input[value=Tariffs]")
    expect(tariffs).not_to_be_checked()
    expect(page.locator("fieldset.facet[data-param=tag] input[value=Earnings]")).to_be_checked()
    page.go_back()
    expect(page.locator("fieldset.facet[data-param=tag] input[value=Earnings]")).not_to_be_checked()
    page.go_forward()
    expect(page.locator("fieldset.facet[data-param=tag] input[value=Earnings]")).to_be_checked()


def test_a_result_opens_its_article(page: Page, site: str) -> None:
    page.goto("/search?q=export+controls")
    first = page.locator("#results .hit-title a").first
    slug = api(site, q="export controls")["hits"][0]["slug"]
    first.click()
    page.wait_for_url(f"{site}/api/articles/{slug}")
    assert json.loads(page.locator("body").inner_text())["slug"] == slug


def test_without_javascript_the_form_still_searches_and_filters(
    browser: Browser, site: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    with watched_tab(browser, site, tmp_path, request, java_script_enabled=False) as tab:
        tab.goto("/")
        tab.get_by_role("searchbox").fill("chips")  # no script: a plain search input
        tab.get_by_role("button", name="Search").click()
        tab.wait_for_url(lambda url: "/search?" in url)
        # every control of the form is in the URL (empty dates read as none)
        assert params_of(tab) == {"q": ["chips"], "sort": ["relevance"]}
        data = api(site, q="chips")
        assert hit_slugs(tab) == [h["slug"] for h in data["hits"]]
        tag = data["facets"]["tags"][0]["value"]
        tab.locator(f"fieldset.facet[data-param=tag] input[value='{tag}']").check()
        apply = tab.get_by_role("button", name="Apply filters")
        expect(apply).to_be_visible()  # hidden only when the script runs
        apply.click()
        tab.wait_for_load_state()
        assert params_of(tab)["tag"] == [tag]
        assert hit_slugs(tab) == [h["slug"] for h in api(site, q="chips", tag=tag)["hits"]]
        next_page = tab.locator("nav.pagination a[rel=next]")
        if next_page.count():
            next_page.click()
            assert params_of(tab)["page"] == ["2"]


def test_a_hostile_title_is_shown_as_text(page: Page, site: str) -> None:
    from playwright.sync_api import expect

    page.goto("/search?q=chip+supply")  # rendered by the server
    title = page.locator("#results .hit-title", has_text="Chip supply")
    expect(title).to_contain_text(HOSTILE_TITLE)
    assert page.locator("#results img").count() == 0
    page.get_by_role("combobox", name="Search articles").fill("")
    page.get_by_role("combobox", name="Search articles").press_sequentially(
        "hostile chip", delay=30
    )  # by the script
    wait_for_query(page, "hostile chip")
    expect(page.locator("#results .hit-title").first).to_contain_text(HOSTILE_TITLE)
    assert page.locator("#results img, #facets b").count() == 0
    expect(page.locator("#facets")).to_contain_text("<b onmouseover=alert(3)>x</b>")


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (360, "phone")])
def test_screenshots(
    browser: Browser,
    site: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    width: int,
    name: str,
) -> None:
    with watched_tab(
        browser, site, tmp_path, request, viewport={"width": width, "height": 900}
    ) as tab:
        tab.goto("/search?q=nvdia+earnings")
        tab.locator("#results .hit").first.wait_for()
        # nothing wider than the screen: no sideways scrolling at 360 px
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        shot = tmp_path / f"search-{name}.png"
        tab.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000


def accessibility_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA rules on the page as it is now: one line per problem."""
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize(
    ("url", "typed"),
    [
        ("/search?q=nvdia+earnings&tag=NVIDIA", ""),  # results, a correction, a ticked facet
        ("/search?q=zzqqxxv", ""),  # the empty state
        ("/", "nvid"),  # the suggestions open
    ],
)
def test_the_page_passes_an_accessibility_audit(
    browser: Browser,
    site: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    width: int,
    url: str,
    typed: str,
) -> None:
    from playwright.sync_api import expect

    viewport = {"width": width, "height": 900}
    with watched_tab(browser, site, tmp_path, request, viewport=viewport) as tab:
        tab.goto(url)
        if typed:
            tab.get_by_role("combobox", name="Search articles").press_sequentially(typed)
            expect(tab.get_by_role("listbox", name="Suggestions")).to_be_visible()
        assert accessibility_violations(tab) == []


def test_the_widget_searches_from_an_allowed_site(
    browser: Browser,
    site: str,
    hosts: tuple[HostPage, HostPage],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect

    with watched_tab(browser, hosts[0].origin, tmp_path, request) as tab:
        tab.goto("/")
        box = tab.locator("#q")
        expect(box).to_have_attribute("role", "combobox")  # the widget took the input
        box.press_sequentially("nvid", delay=60)
        panel = tab.locator(".searchsvc-panel")
        expect(panel).to_be_visible()
        options = panel.get_by_role("option")
        expect(options.first).to_contain_text("NVIDIA")
        hits = panel.locator(".searchsvc-hit")
        expect(hits.first).to_be_visible()
        data = api(site, q="nvid", per_page=5)
        assert hits.count() == len(data["hits"])
        every = panel.locator("a.searchsvc-all")
        expect(every).to_have_attribute("href", f"{site}/search?q=nvid")
        expect(every).to_contain_text(f"All {data['total']} results")
        box.press("ArrowDown")
        wanted = options.first.locator(".suggestion-text").inner_text()
        box.press("Enter")
        expect(box).to_have_value(wanted)
        expect(panel.locator(".searchsvc-hit-title").first).to_be_visible()
        box.press("Escape")
        box.press("Escape")
        expect(panel).to_be_hidden()


def test_the_widget_gets_nothing_from_a_site_not_allowed(
    browser: Browser, site: str, hosts: tuple[HostPage, HostPage], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=hosts[1].origin)
    context.set_default_timeout(10_000)
    try:
        tab = context.new_page()
        console: list[str] = []
        tab.on("console", lambda message: console.append(message.text))
        tab.goto("/")
        box = tab.locator("#q")
        expect(box).to_have_attribute("role", "combobox")  # the script itself loads
        box.press_sequentially("nvid", delay=60)
        panel = tab.locator(".searchsvc-panel")
        expect(panel.locator(".searchsvc-error")).to_have_text("The search service did not answer.")
        assert panel.locator(".searchsvc-hit").count() == 0
        assert any("CORS" in text for text in console), console  # the browser refused it
        tab.screenshot(path=str(tmp_path / "end.png"))
    finally:
        context.close()
