"""Settings: one registry, environment overrides, and documentation kept honest."""

from __future__ import annotations

from pathlib import Path

import pytest
from limits import parse_many

from searchsvc.settings import RATE_LIMIT_SETTINGS, SETTINGS, BadSetting, load_settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented_in_readme(setting: object) -> None:
    env = setting.env  # type: ignore[attr-defined]
    row = next((line for line in README.splitlines() if line.startswith(f"| `{env}`")), None)
    assert row is not None, f"{env} is missing from README's configuration table"
    assert setting.help in row  # type: ignore[attr-defined]


def test_defaults_environment_then_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings()["INDEX_DIR"] == Path("index")
    assert load_settings()["ADMIN_TOKEN"] is None
    monkeypatch.setenv("SEARCHSVC_INDEX_DIR", "/srv/ix")
    monkeypatch.setenv("SEARCHSVC_REFRESH_SECONDS", "2")
    assert load_settings()["INDEX_DIR"] == Path("/srv/ix")
    assert load_settings()["REFRESH_SECONDS"] == 2.0
    assert load_settings({"INDEX_DIR": "/tmp/other"})["INDEX_DIR"] == Path("/tmp/other")
    assert load_settings({"INDEX_DIR": None})["INDEX_DIR"] == Path("/srv/ix")  # None = not given


@pytest.mark.parametrize("name", RATE_LIMIT_SETTINGS)
def test_rate_limit_defaults_read_as_rate_limits(name: str) -> None:
    # load_settings takes a default as it is, without importing limits: it must parse.
    default = next(s.default for s in SETTINGS if s.name == name)
    if default is not None:
        items = parse_many(str(default))
        assert items and all(item.amount >= 1 for item in items)
    assert load_settings()[name] == default


@pytest.mark.parametrize("value", ["20/second", " 5/minute;100/hour "])
def test_a_rate_limit_that_is_set_is_checked(value: str) -> None:
    assert load_settings({"RATE_LIMIT": value})["RATE_LIMIT"] == value.strip()
    with pytest.raises(BadSetting):
        load_settings({"RATE_LIMIT": value.replace("/", " every ")})


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        (None, ()),
        ("", ()),
        (" , ", ()),  # blanks only: off
        ("https://example.com", ("https://example.com",)),
        (
            " https://example.com , http://localhost:3000 ",
            ("https://example.com", "http://localhost:3000"),
        ),
        ("https://example.com,https://example.com", ("https://example.com",)),  # once
        ("*", ("*",)),
        ("http://127.0.0.1:8080", ("http://127.0.0.1:8080",)),
        ("http://[::1]:3000", ("http://[::1]:3000",)),
        ("https://xn--bcher-kva.example", ("https://xn--bcher-kva.example",)),  # punycode
        (["https://a.example", "https://b.example"], ("https://a.example", "https://b.example")),
    ],
)
def test_cors_origins_read_as_a_comma_list(value: object, origins: tuple[str, ...]) -> None:
    assert load_settings({"CORS_ORIGINS": value})["CORS_ORIGINS"] == origins


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com/",  # a trailing slash is a path: no browser sends it
        "https://example.com/search",
        "example.com",  # no scheme
        "//example.com",
        "https://",
        "https://*.example.com",  # no patterns
        "https://example.com:0",
        "https://example.com:65536",
        "https://example.com:port",
        "https://exa mple.com",
        "https://example..com",
        "https://example.com?x=1",
        "null",  # what sandboxed pages and files send: any of them would be allowed
        "https://example.com;https://other.example",  # commas separate
    ],
)
def test_a_bad_cors_origin_is_a_bad_setting_that_names_it(value: str) -> None:
    with pytest.raises(BadSetting, match="SEARCHSVC_CORS_ORIGINS") as raised:
        load_settings({"CORS_ORIGINS": value})
    assert "scheme://host[:port]" in raised.value.message
