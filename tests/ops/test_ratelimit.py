"""Rate limits: the SQLite storage shared by processes, SEARCHSVC_RATE_LIMIT, failed admin
tokens, the client address behind proxies, and settings that cannot be read."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from searchsvc import create_app
from searchsvc.cli import main
from searchsvc.ops.ratelimit import SQLiteStorage, storage_uri
from searchsvc.settings import BadSetting, load_settings
from tests.conftest import SEEDS, TOKEN

DB_NAME = "ratelimit.sqlite3"


def make_app(index: Path, tmp_path: Path, **config: Any) -> Flask:
    """An app over the seed index whose rate-limit counts are in tmp_path: this test's
    alone, shared by every app the test makes (as by the workers of one server)."""
    config.setdefault("RATE_LIMIT_FILE", tmp_path / DB_NAME)
    return create_app({"INDEX_DIR": index, "CONTENT_DIR": SEEDS, "QUERY_LOG": False, **config})


@pytest.fixture
def limited(seed_index: Path, tmp_path: Path) -> FlaskClient:
    return make_app(seed_index, tmp_path, RATE_LIMIT="3/minute", ADMIN_TOKEN=TOKEN).test_client()


# --- the storage ------------------------------------------------------------------------------


def test_storage_counts_in_fixed_windows(tmp_path: Path) -> None:
    storage = SQLiteStorage(storage_uri(tmp_path / DB_NAME))
    assert storage.check()
    assert storage.get("k") == 0
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert time.time() < storage.get_expiry("k") <= time.time() + 1
    time.sleep(1.05)  # the window ended: the count starts over
    assert storage.get("k") == 0
    assert storage.incr("k", 1, amount=2) == 2
    storage.clear("k")
    assert storage.get("k") == 0
    storage.incr("a", 60)
    storage.incr("b", 60)
    assert storage.reset() == 2
    assert (tmp_path / DB_NAME).is_file()


def _hammer(args: tuple[str, int]) -> int:
    uri, attempts = args
    limiter = FixedWindowRateLimiter(SQLiteStorage(uri))
    item = parse("50/minute")
    return sum(limiter.hit(item, "client") for _ in range(attempts))


@pytest.mark.slow  # two fresh interpreters import searchsvc
def test_two_processes_share_one_count(tmp_path: Path) -> None:
    uri = storage_uri(tmp_path / DB_NAME)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        allowed = pool.map(_hammer, [(uri, 40), (uri, 40)])
    # 80 attempts from two processes against one 50/minute limit: exactly 50 get through
    assert sum(allowed) == 50, allowed
    assert SQLiteStorage(uri).get(parse("50/minute").key_for("client")) == 80


def test_storage_made_before_a_fork_works_in_the_child(tmp_path: Path) -> None:
    storage = SQLiteStorage(storage_uri(tmp_path / DB_NAME))
    storage.incr("k", 60)  # this process's connection exists now

    def child() -> None:
        raise SystemExit(storage.incr("k", 60))  # the count it saw is its exit code

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(30)
    assert process.exitcode == 2
    assert storage.get("k") == 2


# --- SEARCHSVC_RATE_LIMIT -----------------------------------------------------------------------


def test_over_the_limit_is_a_json_429_with_retry_after(limited: FlaskClient) -> None:
    for _ in range(3):
        assert limited.get("/api/search?q=nvidia").status_code == 200
    over = limited.get("/api/search?q=nvidia")
    assert over.status_code == 429
    assert over.get_json()["error"]["code"] == "rate_limited"
    assert "3 per 1 minute" in over.get_json()["error"]["message"]
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    # one budget per client across URLs, unknown ones included
    assert limited.get("/api/articles/nope").status_code == 429
    assert limited.get("/no/such/url").status_code == 429
    # another address has its own
    other = limited.get("/api/search?q=nvidia", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_healthz_and_metrics_are_never_limited(limited: FlaskClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for _ in range(10):
        assert limited.get("/healthz").status_code == 200
        assert limited.get("/metrics", headers=auth).status_code == 200
    assert limited.get("/api/search?q=x").status_code == 200  # nothing above counted


def test_unrouted_urls_count_too(limited: FlaskClient) -> None:
    for _ in range(3):
        assert limited.get("/nothing/here").status_code == 404
    assert limited.get("/api/search?q=nvidia").status_code == 429


def test_no_limit_by_default(seed_index: Path, tmp_path: Path) -> None:
    client = make_app(seed_index, tmp_path).test_client()
    assert all(client.get("/api/search?q=nvidia").status_code == 200 for _ in range(30))


def test_without_a_file_each_app_counts_in_memory(seed_index: Path, tmp_path: Path) -> None:
    first, second = (
        make_app(seed_index, tmp_path, RATE_LIMIT="1/minute", RATE_LIMIT_FILE=None).test_client()
        for _ in range(2)
    )
    assert first.get("/api/search?q=a").status_code == 200
    assert first.get("/api/search?q=a").status_code == 429
    assert second.get("/api/search?q=a").status_code == 200
    assert not (tmp_path / DB_NAME).exists() and not (seed_index / DB_NAME).exists()


def test_apps_naming_one_file_share_the_count(seed_index: Path, tmp_path: Path) -> None:
    # two apps stand for two workers: the count is in the file, not in either of them
    first = make_app(seed_index, tmp_path, RATE_LIMIT="4/minute").test_client()
    second = make_app(seed_index, tmp_path, RATE_LIMIT="4/minute").test_client()
    codes = [c.get("/healthz?x").status_code for c in (first, second)]  # exempt, no count
    codes = [c.get("/api/search?q=a").status_code for c in (first, second, first, second)]
    assert codes == [200] * 4
    assert first.get("/api/search?q=a").status_code == 429
    assert second.get("/api/search?q=a").status_code == 429


def test_a_broken_storage_lets_requests_through(
    seed_index: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(seed_index, tmp_path, RATE_LIMIT="1/minute", ADMIN_TOKEN=TOKEN)
    client = app.test_client()
    assert client.get("/api/search?q=a").status_code == 200
    db = tmp_path / DB_NAME
    db.unlink()
    db.mkdir()  # a folder where the file was: every connection (new in a fork) fails
    fresh = make_app(seed_index, tmp_path, RATE_LIMIT="1/minute", ADMIN_TOKEN=TOKEN)
    client = fresh.test_client()
    assert client.get("/api/search?q=a").status_code == 200
    assert client.get("/admin/stats").status_code == 401  # auth failures: storage down
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/admin/stats", headers=right).status_code == 200
    assert "rate limit storage: cannot" in caplog.text
    db.rmdir()


# --- failed admin tokens -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/stats", "/metrics", "/admin/no-such-endpoint"])
def test_failed_tokens_are_limited_even_without_a_rate_limit(
    seed_index: Path, tmp_path: Path, path: str
) -> None:
    client = make_app(seed_index, tmp_path, ADMIN_TOKEN=TOKEN).test_client()
    wrong = {"Authorization": "Bearer guess"}
    assert [client.get(path, headers=wrong).status_code for _ in range(10)] == [401] * 10
    over = client.get(path, headers=wrong)
    assert over.status_code == 429
    assert over.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    # locked out: even the right token waits, so guessing is as slow as the limit
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/admin/stats", headers=right).status_code == 429
    assert client.get("/metrics", headers=right).status_code == 429
    # searches and other addresses are not affected
    assert client.get("/api/search?q=nvidia").status_code == 200
    other = {"REMOTE_ADDR": "10.1.1.1"}
    assert client.get("/admin/stats", headers=right, environ_base=other).status_code == 200


def test_successes_and_disabled_admin_do_not_count(seed_index: Path, tmp_path: Path) -> None:
    client = make_app(seed_index, tmp_path, ADMIN_TOKEN=TOKEN).test_client()
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert all(client.get("/admin/stats", headers=right).status_code == 200 for _ in range(15))
    off = make_app(seed_index, tmp_path).test_client()  # same count file, admin off
    assert all(off.get("/admin/stats").status_code == 404 for _ in range(15))
    assert client.get("/admin/stats").status_code == 401  # nothing above counted


def test_auth_failure_limit_is_a_setting(seed_index: Path, tmp_path: Path) -> None:
    app = make_app(seed_index, tmp_path, ADMIN_TOKEN=TOKEN, AUTH_FAILURE_LIMIT="2/hour")
    client = app.test_client()
    wrong = {"Authorization": "Bearer guess"}
    codes = [client.get("/admin/stats", headers=wrong).status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert int(client.get("/admin/stats").headers["Retry-After"]) > 60


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer two words"}],
)
def test_requests_without_a_token_guess_nothing_and_do_not_count(
    seed_index: Path, tmp_path: Path, headers: dict[str, str]
) -> None:
    app = make_app(seed_index, tmp_path, ADMIN_TOKEN=TOKEN, AUTH_FAILURE_LIMIT="2/hour")
    client = app.test_client()
    assert all(client.get("/admin/stats", headers=headers).status_code == 401 for _ in range(5))
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/admin/stats", headers=right).status_code == 200


# --- the client address behind proxies -----------------------------------------------------------


@pytest.mark.parametrize(
    ("hops", "forwarded", "same_client"),
    [
        (0, ("1.1.1.1", "2.2.2.2"), True),  # X-Forwarded-For ignored: both are the proxy
        (1, ("1.1.1.1", "2.2.2.2"), False),  # one trusted proxy: its X-Forwarded-For counts
        (1, ("6.6.6.6, 1.1.1.1", "7.7.7.7, 1.1.1.1"), True),  # client-made entries ignored
        (2, ("6.6.6.6, 1.1.1.1", "7.7.7.7, 1.1.1.1"), False),
    ],
)
def test_proxy_hops_choose_the_client_address(
    seed_index: Path, tmp_path: Path, hops: int, forwarded: tuple[str, str], same_client: bool
) -> None:
    app = make_app(seed_index, tmp_path, RATE_LIMIT="1/minute", PROXY_HOPS=hops)
    client = app.test_client()
    first = client.get("/api/search?q=a", headers={"X-Forwarded-For": forwarded[0]})
    second = client.get("/api/search?q=a", headers={"X-Forwarded-For": forwarded[1]})
    assert first.status_code == 200
    assert second.status_code == (429 if same_client else 200)


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20/second;600/minute", "20/second;600/minute"),
        ("  10 per minute ", "10 per minute"),
        ("5/2 hours, 100/day", "5/2 hours, 100/day"),
        ("", None),  # blank is unset: off
        (None, None),
    ],
)
def test_rate_limit_values(value: str | None, expected: str | None) -> None:
    assert load_settings({"RATE_LIMIT": value} if value is not None else {})["RATE_LIMIT"] == (
        expected
    )


@pytest.mark.parametrize(
    "value",
    [
        "20/sec0nd",
        "fast",
        "20",
        "0/second",  # would refuse everything
        "10/minute;",  # a dangling separator
        "5/fortnight",
        "-1/second",
    ],
)
def test_unreadable_rate_limits_name_the_setting(value: str) -> None:
    with pytest.raises(BadSetting, match="SEARCHSVC_RATE_LIMIT"):
        load_settings({"RATE_LIMIT": value})
    with pytest.raises(BadSetting, match="SEARCHSVC_AUTH_FAILURE_LIMIT"):
        load_settings({"AUTH_FAILURE_LIMIT": value})


@given(st.text(max_size=40))
def test_any_rate_limit_text_is_read_or_refused_by_name(text: str) -> None:
    try:
        value = load_settings({"RATE_LIMIT": text})["RATE_LIMIT"]
    except BadSetting as exc:
        assert "SEARCHSVC_RATE_LIMIT" in exc.message
    else:
        assert value is None or value == text.strip()


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_unreadable_proxy_hops_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SEARCHSVC_PROXY_HOPS", value)
    with pytest.raises(BadSetting, match="SEARCHSVC_PROXY_HOPS"):
        load_settings()


def test_a_bad_rate_limit_stops_serve_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[object] = []
    monkeypatch.setattr("searchsvc.server.run_gunicorn", lambda *a: started.append(a))
    monkeypatch.setenv("SEARCHSVC_RATE_LIMIT", "20/sec0nd")
    result = CliRunner().invoke(main, ["serve", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "SEARCHSVC_RATE_LIMIT" in result.output and "20/sec0nd" in result.output
    assert "Traceback" not in result.output
    assert started == [] and not (tmp_path / "ix").exists()
