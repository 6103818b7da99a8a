"""The reader's query language: text in, a small immutable syntax tree out.

Grammar (see ../shared/API.md, "Query language"): plain words, "exact phrase", -exclude,
OR, (grouping), prefix*, field terms (title: tag: category: author: ticker:) and
published:YYYY-MM-DD..YYYY-MM-DD. Parsing is lenient by default; strict=True raises
QuerySyntaxError with the position where reading broke.
"""

from __future__ import annotations

from dataclasses import dataclass

FIELDS = ("title", "tag", "category", "author", "ticker")


@dataclass(frozen=True)
class Word:
    text: str  # as the reader typed it (not analysed)
    field: str | None = None  # one of FIELDS, or None for all text fields
    prefix: bool = False  # typed as word*


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]  # as typed, split on whitespace
    field: str | None = None


@dataclass(frozen=True)
class DateRange:
    start: str | None  # "YYYY-MM-DD" inclusive, None = open
    end: str | None  # "YYYY-MM-DD" inclusive, None = open


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class MatchAll:
    """The empty query: every article."""


Node = Word | Phrase | DateRange | Not | And | Or | MatchAll


class QuerySyntaxError(ValueError):
    """Raised only with strict=True: the message says what broke and where."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position
