"""Every setting in one registry: name, environment variable, default and help.

Order of precedence: defaults < environment < explicit overrides (CLI options, tests).
README.md documents each entry; a test keeps the two in step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchsvc.errors import SearchsvcError


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("CONTENT_DIR", "SEARCHSVC_CONTENT_DIR", "seeds", "folder of Markdown articles"),
    Setting("INDEX_DIR", "SEARCHSVC_INDEX_DIR", "index", "folder the index is kept in"),
    Setting(
        "ADMIN_TOKEN",
        "SEARCHSVC_ADMIN_TOKEN",
        None,
        "bearer token for /admin/ endpoints; admin is off when unset",
    ),
    Setting(
        "COMPANIES_FILE",
        "SEARCHSVC_COMPANIES_FILE",
        None,
        "JSON file of extra company entries, merged over the built-in dictionary",
    ),
    Setting(
        "SYNONYMS_FILE",
        "SEARCHSVC_SYNONYMS_FILE",
        None,
        "synonym rules in Solr's format (`a, b` equivalent, `a => b` one way), reloaded "
        "when the file changes; the built-in list when unset",
    ),
    Setting(
        "TYPOS",
        "SEARCHSVC_TYPOS",
        "auto",
        "typos a word may have when a request does not say (`typos`): auto, 0, 1 or 2",
    ),
    Setting(
        "SITE_NAME",
        "SEARCHSVC_SITE_NAME",
        "Search",
        "the site's name, shown at the top of the search page (/) and in its title",
    ),
    Setting(
        "SITE_URL",
        "SEARCHSVC_SITE_URL",
        None,
        "the site's home page, linked from the search page's header; no link when unset",
    ),
    Setting(
        "ARTICLE_URL",
        "SEARCHSVC_ARTICLE_URL",
        None,
        "where a result links when its article has no `url` in its frontmatter: a URL "
        "with {slug}, e.g. https://example.com/articles/{slug}; /api/articles/{slug} when unset",
    ),
    Setting(
        "CORS_ORIGINS",
        "SEARCHSVC_CORS_ORIGINS",
        None,
        "origins whose pages may call /api/* from the browser (CORS), comma-separated "
        "`scheme://host[:port]`, or `*` for any; never /admin/ or /metrics; none when unset",
    ),
    Setting(
        "REFRESH_SECONDS",
        "SEARCHSVC_REFRESH_SECONDS",
        0.25,
        "how often a server process checks for a new index generation",
    ),
    Setting(
        "QUERY_LOG",
        "SEARCHSVC_QUERY_LOG",
        True,
        "record each search (no IP addresses) in querylog.sqlite3 beside the index; "
        "0, false or off disables it",
    ),
    Setting(
        "QUERY_LOG_MAX_ROWS",
        "SEARCHSVC_QUERY_LOG_MAX_ROWS",
        100_000,
        "most searches the query log keeps; older ones are deleted",
    ),
    Setting(
        "RATE_LIMIT",
        "SEARCHSVC_RATE_LIMIT",
        None,
        "requests allowed per client address, counted across all server processes, e.g. "
        "20/second;600/minute; off when unset (/healthz and /metrics are never limited)",
    ),
    Setting(
        "RATE_LIMIT_FILE",
        "SEARCHSVC_RATE_LIMIT_FILE",
        None,
        "SQLite file the rate-limit counts are kept in, shared by every process naming it; "
        "searchsvc serve makes one per server, other servers count per process when unset",
    ),
    Setting(
        "AUTH_FAILURE_LIMIT",
        "SEARCHSVC_AUTH_FAILURE_LIMIT",
        "10/minute",
        "wrong admin tokens (401 on /admin/ and /metrics) allowed per client address; "
        "beyond it every admin request from that address gets 429",
    ),
    Setting(
        "PROXY_HOPS",
        "SEARCHSVC_PROXY_HOPS",
        0,
        "reverse proxies in front of the service whose X-Forwarded-For gives the client "
        "address; 0 uses the connection's address",
    ),
)

RATE_LIMIT_SETTINGS = ("RATE_LIMIT", "AUTH_FAILURE_LIMIT")
# what a browser sends as Origin: scheme://host[:port], the host a DNS name, IPv4 or [IPv6]
ORIGIN = re.compile(
    r"[a-z][a-z0-9+.-]*://"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?",
    re.IGNORECASE,
)
ANY_ORIGIN = "*"


class BadSetting(SearchsvcError):
    """A setting whose value cannot be used: the command stops before serving anything."""

    code = "bad_setting"
    hint = "see the Configuration table in README.md"


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then SEARCHSVC_* environment variables, then overrides (None = unset)."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = os.environ.get(setting.env, setting.default)
        if overrides and overrides.get(setting.name) is not None:
            value = overrides[setting.name]
        try:
            if isinstance(setting.default, bool) and isinstance(value, str):
                value = value.strip().lower() not in ("0", "false", "off", "no")
            elif isinstance(setting.default, int) and not isinstance(value, bool):
                value = int(value)
            if isinstance(setting.default, float) and value is not None:
                value = float(value)
        except (TypeError, ValueError):
            kind = "a number" if isinstance(setting.default, float) else "a whole number"
            raise BadSetting(f"{setting.env} must be {kind}, not {value!r}") from None
        values[setting.name] = value
    for name in ("CONTENT_DIR", "INDEX_DIR", "COMPANIES_FILE", "SYNONYMS_FILE"):
        if values[name]:
            values[name] = Path(values[name])
    if not values["ADMIN_TOKEN"]:
        values["ADMIN_TOKEN"] = None
    for name in RATE_LIMIT_SETTINGS:
        values[name] = check_rate_limits(name, values[name])
    values["CORS_ORIGINS"] = check_origins(values["CORS_ORIGINS"])
    if values["TYPOS"] not in ("auto", "0", "1", "2"):
        raise BadSetting(f"SEARCHSVC_TYPOS must be auto, 0, 1 or 2, not {values['TYPOS']!r}")
    if values["ARTICLE_URL"] is not None and "{slug}" not in str(values["ARTICLE_URL"]):
        raise BadSetting(
            f"SEARCHSVC_ARTICLE_URL must contain {{slug}}, not {values['ARTICLE_URL']!r}"
        )
    if values["PROXY_HOPS"] < 0:
        raise BadSetting(f"SEARCHSVC_PROXY_HOPS must be 0 or more, not {values['PROXY_HOPS']}")
    return values


def check_rate_limits(name: str, value: Any) -> str | None:
    """``value`` with blanks stripped if it reads as rate limits (``20/second;600/minute``),
    None when unset or blank (the default then applies); BadSetting otherwise."""
    default = next(s.default for s in SETTINGS if s.name == name)
    if value is None or not str(value).strip():
        return None if default is None else str(default)
    text = str(value).strip()
    if text == default:  # known to parse (a test checks it): no command need import limits
        return text
    from limits import parse_many  # only when a limit is set: the CLI need not load it

    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items or any(item.amount < 1 for item in items):
        raise BadSetting(
            f"SEARCHSVC_{name} cannot be read as rate limits: {text[:80]!r}; write one or "
            "more AMOUNT/PERIOD separated by ';', e.g. 20/second;600/minute "
            "(periods: second, minute, hour, day; amounts of 1 or more)"
        )
    return text


def check_origins(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The origins of a comma list (or of a list, from tests), blanks and repeats dropped;
    ``()`` when unset; BadSetting for an entry that is neither an origin nor ``*``."""
    if value is None:
        return ()
    entries = value.split(",") if isinstance(value, str) else list(value)
    origins: dict[str, None] = {}
    for entry in (str(e).strip() for e in entries):
        if not entry:
            continue
        match = ORIGIN.fullmatch(entry)
        port = match and match["port"]
        if entry != ANY_ORIGIN and (match is None or (port and not 0 < int(port) < 65536)):
            raise BadSetting(
                f"SEARCHSVC_CORS_ORIGINS: {entry[:80]!r} is not an origin; write "
                "scheme://host[:port] (no path, not even a trailing /) or *, separated by "
                "commas, e.g. https://example.com,https://www.example.com"
            )
        origins[entry] = None
    return tuple(origins)
