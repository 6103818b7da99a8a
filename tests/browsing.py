"""Driving Debian's Chromium with Playwright, for the tests of the admin page and the
search page: the browser, a watched tab, and the skip when either is missing.

The browser is /usr/bin/chromium (`.ci/run` installs it); Playwright never downloads one.
A watched tab collects script errors, console errors (a CSP violation is one) and failed
loads; `watched_tab` asserts there were none and leaves a screenshot in the test's
temporary folder ("failed.png" when the test failed, else "end.png")."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]

try:
    import playwright.sync_api  # noqa: F401

    HAVE_PLAYWRIGHT = True
except ImportError:
    HAVE_PLAYWRIGHT = False

MISSING = [
    what
    for what, there in [
        ("the playwright package (pip install -e '.[test]')", HAVE_PLAYWRIGHT),
        (f"Debian's chromium at {CHROMIUM} (apt-get install chromium)", CHROMIUM.is_file()),
    ]
    if not there
]
browser_test = pytest.mark.skipif(
    bool(MISSING),
    reason=f"browser tests need {' and '.join(MISSING)}; .ci/run installs both",
)


def skip_without_browser() -> None:
    if MISSING:
        pytest.skip(f"no browser to drive: needs {' and '.join(MISSING)}")


@contextmanager
def chromium(home: Path) -> Iterator[Browser]:
    """Headless Chromium with its profile and caches under ``home``."""
    from playwright.sync_api import sync_playwright

    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home), XDG_CACHE_HOME=str(home))
    with sync_playwright() as pw:
        # launch() gives every run a new empty profile (--user-data-dir in the temp folder)
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS, env=env
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def watched_tab(
    browser: Browser,
    base_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    *,
    allowed_status: Callable[[Response], bool] = lambda response: False,
    **context_options: Any,
) -> Iterator[Page]:
    """A tab in a fresh context (empty storage) that fails the test on any script error,
    console error or failed load (``allowed_status`` excuses a response); a screenshot
    when it ends."""
    options = {"viewport": {"width": 1280, "height": 900}, **context_options}
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        # failed loads are checked by URL below; any other console error is a problem (a
        # CSP violation, a script error)
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and not allowed_status(response):
            if not response.url.endswith("/favicon.ico"):  # the browser's own request
                problems.append(f"{response.status} {response.url}")

    tab.on("console", on_console)
    tab.on("response", on_response)
    failed_before = request.session.testsfailed
    try:
        yield tab
        assert problems == []  # no script errors, no CSP violations, no failed loads
    finally:
        failed = request.session.testsfailed > failed_before
        shot = tmp_path / ("failed.png" if failed else "end.png")
        try:
            tab.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        finally:
            context.close()
