"""Request arguments, read the same way by every blueprint: each parameter as its `Param`
declares it (web/spec.py), with whole numbers, repeated values, comma lists, and a JSON body
that stands for a query string.

`read_args` is what views call: it checks every value against its declaration and raises
BadParameter with the message the API gives. The declarations are also the OpenAPI
document's (web/openapi.py), so the document says what is checked here. `SEARCH` declares
/api/search's parameters, which the search page and /admin/explain take too; SearchRequest
checks the same constants again for the library's other callers (the CLI).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from searchsvc.errors import BadParameter
from searchsvc.indexing.schema import FACET_FIELDS
from searchsvc.query.request import (
    DATE,
    MATCHES,
    MAX_PER_PAGE,
    MAX_QUERY_LENGTH,
    MAX_RESULT_WINDOW,
    PREFIXES,
    SORTS,
    TYPOS,
    YEAR,
)
from searchsvc.web.spec import Param

Args = MultiDict[str, str]
SHOWN = 40  # characters of a bad value a count_arg message repeats
TRUE = ("1", "true", "yes")  # a boolean parameter is on for these (any case), off otherwise


def _filter(name: str, what: str) -> Param:
    return Param(
        name,
        f"Only articles with this {what}; repeat the parameter for any of several (OR). "
        "Different filters combine with AND.",
        repeatable=True,
    )


Q = Param(
    "q",
    'The reader\'s query: words (all must match), "exact phrase", -exclude, OR, prefix*, '
    "title:, tag:, category:, author:, ticker: terms and published:2025-10-01..2025-10-31. "
    "Syntax that cannot be read is searched as plain words (see `strict`). Empty: every "
    "article.",
    default="",
    max_length=MAX_QUERY_LENGTH,
)
TYPOS_PARAM = Param(
    "typos",
    "How many typos a word may have: auto (words of 5+ letters 1, 9+ letters 2), 0, 1 or "
    "2. Default: the server's SEARCHSVC_TYPOS, auto unless set.",
    enum=TYPOS,
)
SEARCH = (
    Q,
    Param(
        "match",
        "all: every word must match, and when nothing does the least important words are "
        "dropped (the response says relaxed: true); any: rank by any of the words.",
        default="all",
        enum=MATCHES,
    ),
    Param(
        "page",
        f"The 1-based page of hits; page * per_page is at most {MAX_RESULT_WINDOW:,}.",
        type="integer",
        default=1,
        minimum=1,
    ),
    Param(
        "per_page", "Hits per page.", type="integer", default=10, minimum=1, maximum=MAX_PER_PAGE
    ),
    Param("sort", "The order of the hits.", default="relevance", enum=SORTS),
    _filter("tag", "tag"),
    _filter("category", "category"),
    _filter("author", "author"),
    _filter("ticker", "company, by ticker symbol or any of its names"),
    Param(
        "year",
        "Only articles published in this year (the year facet's values); repeat for any of "
        "several.",
        repeatable=True,
        pattern=YEAR.pattern,
        invalid="{name} must be a year YYYY, not {value!r}",
    ),
    Param(
        "from",
        "Only articles published on or after this date.",
        pattern=DATE.pattern,
        format="date",
        invalid="{name} must be a date YYYY-MM-DD, not {value!r}",
    ),
    Param(
        "to",
        "Only articles published on or before this date.",
        pattern=DATE.pattern,
        format="date",
        invalid="{name} must be a date YYYY-MM-DD, not {value!r}",
    ),
    Param(
        "facets",
        "The facets to count, a comma list; empty: none.",
        default=tuple(FACET_FIELDS),
        enum=tuple(FACET_FIELDS),
        comma=True,
        invalid="unknown facet {value!r}; facets are {allowed}",
    ),
    Param(
        "strict",
        "1, true or yes: a query whose syntax cannot be read is a 400 whose message says "
        "where it broke, instead of being searched as plain words.",
        type="boolean",
        default=False,
    ),
    TYPOS_PARAM,
    Param(
        "prefix",
        "last: the last word also matches as the start of a word while the reader types (not "
        "when q ends with a space or the word is quoted); none: words match as typed.",
        default="last",
        enum=PREFIXES,
    ),
)
SEARCH_PARAMETERS = tuple(param.name for param in SEARCH)


def read_args(args: Args, params: Iterable[Param]) -> dict[str, Any]:
    """Each parameter by its name, read and checked as declared (see `read_arg`)."""
    return {param.name: read_arg(args, param) for param in params}


def read_arg(args: Args, param: Param) -> Any:
    """One declared parameter of a query string: its default when absent or empty (the
    empty tuple for a repeated one), else its value typed and checked; BadParameter when
    the value breaks the declaration."""
    if param.repeatable:
        return tuple(_checked(param, value) for value in list_arg(args, param.name))
    if param.comma:
        items = comma_arg(args, param.name, param.default)
        return tuple(_checked(param, item) for item in items)
    if param.type == "integer":
        return _integer(args, param)
    raw = args.get(param.name, "")
    if raw == "":
        if param.required:
            raise BadParameter(f"{param.name} is required")
        return param.default
    if param.type == "boolean":
        return raw.lower() in TRUE
    return _checked(param, raw)


def _integer(args: Args, param: Param) -> int:
    low, high = param.minimum, param.maximum
    if param.count and high is not None:
        return count_arg(args, param.name, param.default, high)
    if low is not None and high is not None:
        return int_arg(args, param.name, param.default, between=(low, high))
    value = int_arg(args, param.name, param.default)
    if low is not None and value < low:
        raise BadParameter(f"{param.name} must be {low} or more")
    return value


def _checked(param: Param, value: str) -> str:
    name = param.name
    if param.max_length is not None and len(value) > param.max_length:
        raise BadParameter(f"{name} is {len(value)} characters; at most {param.max_length}")
    if (param.enum is not None and value not in param.enum) or (
        param.pattern is not None and not re.match(param.pattern, value)
    ):
        allowed = ", ".join(param.enum or ())
        message = param.invalid or "{name} must be one of {allowed}, not {value!r}"
        raise BadParameter(message.format(name=name, value=value, allowed=allowed))
    return value


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
            elif isinstance(item, float) and item.is_integer():
                # JSON has one number type: 2.0 is the integer 2 (JSON Schema agrees),
                # as some clients write whole numbers; str() would give "2.0"
                args.add(name, str(int(item)))
            elif isinstance(item, str | int | float):
                args.add(name, str(item))
            else:
                raise BadParameter(f"{name} must be a string, a number or a list of them")
    if isinstance(body.get("facets"), list):  # a list of facets is the comma list in a URL
        args.setlist("facets", [",".join(args.getlist("facets"))])
    return args
