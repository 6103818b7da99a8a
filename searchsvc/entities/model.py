"""The records of the company dictionary and of what extraction finds in an article."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormerName:
    """A name or symbol a company went by before ``until`` (ISO date, "YYYY-MM-DD").

    ``until`` is the first day under the new name or symbol: Facebook's "FB" has
    ``until="2022-06-09"``, the day "META" started trading. One of ``name`` and ``symbol``
    may be None (a rename that kept the symbol, a new symbol under the same name).
    """

    name: str | None  # e.g. "Facebook"
    symbol: str | None  # e.g. "FB"
    until: str  # e.g. "2022-06-09"


@dataclass(frozen=True)
class Company:
    """One company of the dictionary, under its canonical symbol."""

    symbol: str  # canonical symbol, e.g. "TSM"
    name: str  # display name, e.g. "Taiwan Semiconductor Manufacturing"
    exchange: str  # exchange of the canonical listing, e.g. "NYSE"
    aliases: tuple[str, ...]  # names as written in text, e.g. ("TSMC", "Taiwan Semiconductor")
    listings: tuple[str, ...]  # other symbols of the same company, e.g. ("2330.TW",)
    ambiguous: tuple[str, ...]  # aliases/symbols that are ordinary words ("Apple", "META")
    former: tuple[FormerName, ...] = ()  # earlier names and symbols, oldest first


@dataclass(frozen=True)
class TickerMention:
    """A company found in one article: where, how often, and as which names."""

    symbol: str  # canonical symbol
    name: str  # company display name
    places: frozenset[str]  # subset of {"title", "frontmatter", "body"}
    count: int  # occurrences over all places
    matched: tuple[str, ...]  # distinct surface forms as written, e.g. ("Nvidia", "$NVDA")
    role: str = "mentioned"  # "primary" (what the article is about) or "mentioned"; see tickers
