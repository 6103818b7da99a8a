"""SearchRequest: one validated search, the boundary between callers and the engine."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from searchsvc.errors import BadParameter
from searchsvc.indexing.schema import FACET_FIELDS

MAX_QUERY_LENGTH = 512
MAX_PER_PAGE = 50
MAX_RESULT_WINDOW = 10_000
SORTS = ("relevance", "newest", "oldest")
MATCHES = ("all", "any")
TYPOS = ("auto", "0", "1", "2")  # auto: words of 5+ letters may have 1 typo, 9+ letters 2
PREFIXES = ("last", "none")  # last: the last word also matches as a prefix while typing
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class SearchRequest:
    """A validated search; construct it with `SearchRequest.build` from untrusted input."""

    q: str = ""
    match: str = "all"
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    years: tuple[str, ...] = ()  # the year facet's values: `year=2025&year=2024`
    date_from: str | None = None
    date_to: str | None = None
    facets: tuple[str, ...] = tuple(FACET_FIELDS)
    strict: bool = False
    typos: str = "auto"
    prefix: str = "last"

    def __post_init__(self) -> None:
        if len(self.q) > MAX_QUERY_LENGTH:
            raise BadParameter(f"q is {len(self.q)} characters; at most {MAX_QUERY_LENGTH}")
        if self.match not in MATCHES:
            raise BadParameter(f"match must be one of {', '.join(MATCHES)}, not {self.match!r}")
        if self.sort not in SORTS:
            raise BadParameter(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        if self.typos not in TYPOS:
            raise BadParameter(f"typos must be one of {', '.join(TYPOS)}, not {self.typos!r}")
        if self.prefix not in PREFIXES:
            raise BadParameter(f"prefix must be one of {', '.join(PREFIXES)}, not {self.prefix!r}")
        if self.page < 1:
            raise BadParameter("page must be 1 or more")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise BadParameter(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise BadParameter(f"page * per_page must be at most {MAX_RESULT_WINDOW}")
        for name, value in (("from", self.date_from), ("to", self.date_to)):
            if value is not None and not _valid_date(value):
                raise BadParameter(f"{name} must be a date YYYY-MM-DD, not {value!r}")
        bad_years = [y for y in self.years if not YEAR.match(y)]
        if bad_years:
            raise BadParameter(f"year must be a year YYYY, not {bad_years[0]!r}")
        unknown = [f for f in self.facets if f not in FACET_FIELDS]
        if unknown:
            raise BadParameter(
                f"unknown facet {unknown[0]!r}; facets are {', '.join(FACET_FIELDS)}"
            )


def _valid_date(value: str) -> bool:
    if not DATE.match(value):
        return False
    try:
        np.datetime64(value, "D")
    except ValueError:
        return False
    return True
