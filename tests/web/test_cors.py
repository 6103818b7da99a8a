"""CORS for /api/* (searchsvc/web/cors.py): the origins of SEARCHSVC_CORS_ORIGINS may read
the public API from their pages, errors included; nothing else ever gets a CORS header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from searchsvc import create_app
from searchsvc.settings import BadSetting
from tests.conftest import AUTH, SEEDS, TOKEN, error_of

SITE = "https://news.example.com"
OTHER = "https://evil.example.net"
ARTICLE = "tsmc-arizona-expansion-tariff-threats"


def make_app(index_dir: Path, origins: str | None, **config: Any) -> Flask:
    return create_app(
        {
            "INDEX_DIR": index_dir,
            "CONTENT_DIR": SEEDS,
            "TESTING": True,
            "ADMIN_TOKEN": TOKEN,
            "QUERY_LOG": False,
            "CORS_ORIGINS": origins,
        }
        | config
    )


@pytest.fixture(scope="module")
def apps(seed_index: Path) -> Iterator[dict[str, FlaskClient]]:
    """Clients of apps with CORS for two named origins, for any origin, and off."""
    made = {
        "named": make_app(seed_index, f"{SITE}, http://localhost:3000"),
        "any": make_app(seed_index, "*"),
        "off": make_app(seed_index, None),
    }
    yield {name: app.test_client() for name, app in made.items()}
    for app in made.values():
        app.extensions["searchsvc"].handle.close()


def cors_headers(response: TestResponse) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def preflight(client: FlaskClient, url: str, origin: str) -> TestResponse:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    return client.options(url, headers=headers)


def vary(response: TestResponse) -> set[str]:
    return {v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()}


# --- an allowed origin ------------------------------------------------------------------------

API_CALLS = [
    ("GET", "/api/search?q=nvidia", 200),
    ("GET", "/api/suggest?q=nvi", 200),
    ("GET", f"/api/articles/{ARTICLE}", 200),
    ("POST", "/api/search", 200),
    ("GET", "/api/search?page=0", 400),  # a bad parameter: the page can read why
    ("GET", "/api/articles/no-such-article", 404),
    ("GET", "/api/no-such-endpoint", 404),
]


@pytest.mark.parametrize(("method", "url", "status"), API_CALLS)
def test_an_allowed_origin_reads_every_api_answer(
    apps: dict[str, FlaskClient], method: str, url: str, status: int
) -> None:
    kwargs: dict[str, Any] = {"json": {"q": "nvidia"}} if method == "POST" else {}
    response = apps["named"].open(url, method=method, headers={"Origin": SITE}, **kwargs)
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Retry-After"} <= exposed
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in vary(response)


def test_a_rate_limited_answer_is_readable(seed_index: Path) -> None:
    app = make_app(seed_index, SITE, RATE_LIMIT="1/minute")
    client = app.test_client()
    assert client.get("/api/search?q=a", headers={"Origin": SITE}).status_code == 200
    response = client.get("/api/search?q=a", headers={"Origin": SITE})
    error_of(response, 429, "rate_limited")
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
    assert response.headers["Retry-After"]
    app.extensions["searchsvc"].handle.close()


def test_a_304_keeps_its_cors_headers(apps: dict[str, FlaskClient]) -> None:
    client, url = apps["named"], "/api/search?q=tariffs"
    tag = client.get(url, headers={"Origin": SITE}).headers["ETag"]
    response = client.get(url, headers={"Origin": SITE, "If-None-Match": tag})
    assert response.status_code == 304
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in vary(response)


@pytest.mark.parametrize("url", ["/api/search", "/api/search?q=x"])
def test_a_preflight_for_a_json_post_is_answered(apps: dict[str, FlaskClient], url: str) -> None:
    response = preflight(apps["named"], url, SITE)
    assert response.status_code == 200
    headers = cors_headers(response)
    assert headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert int(headers["Access-Control-Max-Age"]) > 0


def test_the_second_origin_is_allowed_too(apps: dict[str, FlaskClient]) -> None:
    response = apps["named"].get("/api/search?q=x", headers={"Origin": "http://localhost:3000"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


# --- any other origin, and no Origin at all ------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        OTHER,
        "https://news.example.com.evil.example.net",  # the allowed one as a prefix
        "http://news.example.com",  # another scheme is another origin
        "https://news.example.com:8443",  # and so is another port
        "null",  # a sandboxed page or a file
    ],
)
def test_another_origin_gets_no_cors_header(apps: dict[str, FlaskClient], origin: str) -> None:
    client = apps["named"]
    for response in (
        client.get("/api/search?q=nvidia", headers={"Origin": origin}),
        client.get("/api/search?page=0", headers={"Origin": origin}),
        preflight(client, "/api/search", origin),
    ):
        assert cors_headers(response) == {}
        assert "Origin" in vary(response)  # a cache must not hand it to an allowed origin


def test_a_request_without_origin_gets_no_cors_header_but_varies(
    apps: dict[str, FlaskClient],
) -> None:
    response = apps["named"].get("/api/search?q=nvidia")
    assert cors_headers(response) == {}
    assert "Origin" in vary(response)


@pytest.mark.parametrize("origin", [SITE, OTHER, None])
def test_any_origin_reads_the_api_with_a_wildcard(
    apps: dict[str, FlaskClient], origin: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}
    for response in (
        apps["any"].get("/api/search?q=nvidia", headers=headers),
        apps["any"].get("/api/search?page=0", headers=headers),
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Origin" not in vary(response)  # the same headers for every request
    if origin:
        assert preflight(apps["any"], "/api/search", origin).headers[
            "Access-Control-Allow-Origin"
        ] == ("*")


def test_off_by_default_no_cors_header_anywhere(apps: dict[str, FlaskClient]) -> None:
    client = apps["off"]
    for response in (
        client.get("/api/search?q=nvidia", headers={"Origin": SITE}),
        client.get("/api/search?page=0", headers={"Origin": SITE}),
        preflight(client, "/api/search", SITE),
    ):
        assert cors_headers(response) == {}
        assert "Vary" not in response.headers


# --- never outside /api/ -----------------------------------------------------------------------

ELSEWHERE = [
    ("GET", "/admin/stats", AUTH),
    ("GET", "/admin/stats", {}),  # 401
    ("GET", "/admin/", {}),  # the admin page's shell
    ("GET", "/admin/explain?q=nvidia", AUTH),
    ("POST", "/admin/reindex", {}),
    ("OPTIONS", "/admin/reindex", {"Access-Control-Request-Method": "POST"}),
    ("GET", "/admin/no-such-page", AUTH),
    ("GET", "/metrics", AUTH),
    ("GET", "/metrics", {}),
    ("GET", "/healthz", {}),
    ("GET", "/", {}),
    ("GET", "/search?q=nvidia", {}),
]


@pytest.mark.parametrize("setting", ["named", "any"])
@pytest.mark.parametrize(("method", "url", "headers"), ELSEWHERE)
def test_admin_metrics_and_pages_never_get_a_cors_header(
    apps: dict[str, FlaskClient], setting: str, method: str, url: str, headers: dict[str, str]
) -> None:
    response = apps[setting].open(url, method=method, headers=headers | {"Origin": SITE})
    assert cors_headers(response) == {}, (response.status_code, dict(response.headers))
    assert "Origin" not in vary(response)


# --- the setting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["https://example.com/", "example.com", "https://*.example.com"])
def test_a_bad_origin_stops_the_app_naming_the_setting(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(BadSetting, match="SEARCHSVC_CORS_ORIGINS"):
        make_app(seed_index, value)
    monkeypatch.setenv("SEARCHSVC_CORS_ORIGINS", value)
    with pytest.raises(BadSetting, match="SEARCHSVC_CORS_ORIGINS"):
        make_app(seed_index, None)


def test_an_origin_is_matched_as_written_never_as_a_pattern(seed_index: Path) -> None:
    app = make_app(seed_index, "http://[::1]:3000")
    client = app.test_client()
    allowed = client.get("/api/search?q=x", headers={"Origin": "http://[::1]:3000"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://[::1]:3000"
    # as a regular expression, "[::1]" would match one ":" or "1"
    assert cors_headers(client.get("/api/search?q=x", headers={"Origin": "http://1:3000"})) == {}
    app.extensions["searchsvc"].handle.close()


def test_the_environment_turns_cors_on(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHSVC_CORS_ORIGINS", f"{OTHER},{SITE}")
    app = make_app(seed_index, None)
    response = app.test_client().get("/api/search?q=x", headers={"Origin": SITE})
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    app.extensions["searchsvc"].handle.close()
