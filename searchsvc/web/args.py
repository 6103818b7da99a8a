"""Request arguments, read the same way by every blueprint: whole numbers, repeated values,
comma lists, and a JSON body that stands for a query string.

Each helper raises BadParameter with the message the API gives; a search's own ranges
(page, per_page, sort, ...) are checked once, by SearchRequest.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from searchsvc.errors import BadParameter

Args = MultiDict[str, str]
SEARCH_PARAMETERS = (
    *("q", "match", "page", "per_page", "sort", "tag", "category", "author", "ticker", "year"),
    *("from", "to", "facets", "strict", "typos", "prefix"),
)
SHOWN = 40  # characters of a bad value a count_arg message repeats


def _whole(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def int_arg(args: Args, name: str, default: int, *, between: tuple[int, int] | None = None) -> int:
    """``?name=N`` as an int, ``default`` when absent or empty; with ``between=(lo, hi)``
    the value must lie in that inclusive range."""
    raw = args.get(name, "")
    if raw == "":
        return default
    value = _whole(raw)
    if value is None:
        raise BadParameter(f"{name} must be a whole number, not {raw!r}")
    if between is not None and not between[0] <= value <= between[1]:
        raise BadParameter(f"{name} must be between {between[0]} and {between[1]}")
    return value


def count_arg(args: Args, name: str, default: int, maximum: int) -> int:
    """How many of something (``?limit=N``): a whole number from 1 to ``maximum``, one
    message for every bad value; ``default`` when absent or empty."""
    raw = args.get(name, "")
    if raw == "":
        return default
    value = _whole(raw)
    if value is None or not 1 <= value <= maximum:
        raise BadParameter(
            f"{name} must be a whole number from 1 to {maximum}, not {raw[:SHOWN]!r}"
        )
    return value


def list_arg(args: Args, name: str) -> tuple[str, ...]:
    """A repeatable parameter, ``?tag=a&tag=b``: its values stripped, empty ones ignored."""
    return tuple(v.strip() for v in args.getlist(name) if v.strip())


def comma_arg(args: Args, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma list, ``?facets=tags,year``: its items stripped, empty ones ignored;
    ``default`` only when the parameter is absent (an empty value is the empty list)."""
    raw = args.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def search_args_from_json(body: Any) -> Args:
    """A POST /api/search body as the query string it stands for: an object whose values
    are strings, numbers, booleans or (for repeatable ones and facets) lists of those."""
    if not isinstance(body, dict):
        raise BadParameter("the body must be a JSON object of search parameters")
    args: Args = MultiDict()
    for name, value in body.items():
        if name not in SEARCH_PARAMETERS:
            raise BadParameter(f"unknown parameter {name!r}")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, bool):
                args.add(name, "true" if item else "false")
            elif isinstance(item, str | int | float):
                args.add(name, str(item))
            else:
                raise BadParameter(f"{name} must be a string, a number or a list of them")
    if isinstance(body.get("facets"), list):  # a list of facets is the comma list in a URL
        args.setlist("facets", [",".join(args.getlist("facets"))])
    return args
