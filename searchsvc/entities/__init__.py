"""Entities found in articles and queries: companies and their tickers, tags, keywords."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    """One company of the dictionary, under its canonical symbol."""

    symbol: str  # canonical symbol, e.g. "TSM"
    name: str  # display name, e.g. "Taiwan Semiconductor Manufacturing"
    exchange: str  # exchange of the canonical listing, e.g. "NYSE"
    aliases: tuple[str, ...]  # names as written in text, e.g. ("TSMC", "Taiwan Semiconductor")
    listings: tuple[str, ...]  # other symbols of the same company, e.g. ("2330.TW",)
    ambiguous: tuple[str, ...]  # aliases/symbols that are ordinary words ("Apple", "META")


@dataclass(frozen=True)
class TickerMention:
    """A company found in one article: where, how often, and as which names."""

    symbol: str  # canonical symbol
    name: str  # company display name
    places: frozenset[str]  # subset of {"title", "frontmatter", "body"}
    count: int  # occurrences over all places
    matched: tuple[str, ...]  # distinct surface forms as written, e.g. ("Nvidia", "$NVDA")


# Re-exported for callers; imported last because these modules use the dataclasses above.
from searchsvc.entities.dictionary import (  # noqa: E402
    CompanyDataError,
    CompanyDictionary,
    default_companies,
    load_companies,
)
from searchsvc.entities.tickers import extract_tickers, find_companies  # noqa: E402

__all__ = [
    "Company",
    "CompanyDataError",
    "CompanyDictionary",
    "TickerMention",
    "default_companies",
    "extract_tickers",
    "find_companies",
    "load_companies",
]
