"""Every setting in one registry: name, environment variable, default and help.

Order of precedence: defaults < environment < explicit overrides (CLI options, tests).
README.md documents each entry; a test keeps the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
)


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then SEARCHSVC_* environment variables, then overrides (None = unset)."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = os.environ.get(setting.env, setting.default)
        if overrides and overrides.get(setting.name) is not None:
            value = overrides[setting.name]
        if isinstance(setting.default, bool) and isinstance(value, str):
            value = value.strip().lower() not in ("0", "false", "off", "no")
        elif isinstance(setting.default, int) and not isinstance(value, bool):
            value = int(value)
        if isinstance(setting.default, float) and value is not None:
            value = float(value)
        values[setting.name] = value
    for name in ("CONTENT_DIR", "INDEX_DIR", "COMPANIES_FILE"):
        if values[name]:
            values[name] = Path(values[name])
    if not values["ADMIN_TOKEN"]:
        values["ADMIN_TOKEN"] = None
    return values
