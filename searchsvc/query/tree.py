"""The query's syntax tree: immutable nodes, and the tree as query text, as JSON, and node
by node. querylang.py parses text into it; expansion and scoring read it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DATE_FIELD = "published"


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


@dataclass(frozen=True)
class Ticker:
    """Documents whose extracted tickers include one of these canonical symbols.

    The parser never produces it: query expansion does, from `ticker:` terms and from
    company names or symbols written as plain words (see expansion.expand_companies).
    """

    symbols: tuple[str, ...]
    label: str  # what the reader wrote


Node = Word | Phrase | DateRange | Not | And | Or | MatchAll | Ticker


def to_text(node: Node) -> str:
    """Render a tree as query syntax; parse(to_text(t), strict=True) == t for parsed t."""
    if isinstance(node, MatchAll):
        return ""
    if isinstance(node, Ticker):
        return " OR ".join(f"ticker:{symbol}" for symbol in node.symbols)
    if isinstance(node, Word):
        return _field_prefix(node.field) + node.text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return _field_prefix(node.field) + '"' + " ".join(node.words) + '"'
    if isinstance(node, DateRange):
        if node.start is not None and node.start == node.end:
            return f"{DATE_FIELD}:{node.start}"
        return f"{DATE_FIELD}:{node.start or ''}..{node.end or ''}"
    if isinstance(node, Not):
        inner = to_text(node.child)
        return "-" + (f"({inner})" if isinstance(node.child, And | Or | Not) else inner)
    if isinstance(node, And):
        visible = _visible(node)
        if len(visible) == 1:
            return to_text(visible[0])
        return " ".join(_operand_text(child) for child in visible)
    return " OR ".join(_operand_text(child) for child in node.children)


def to_json(node: Node) -> dict[str, Any]:
    """A tree as JSON: {"type": ...} with the node's fields and its children."""
    if isinstance(node, Word):
        return {"type": "word", "text": node.text, "field": node.field, "prefix": node.prefix}
    if isinstance(node, Phrase):
        return {"type": "phrase", "words": list(node.words), "field": node.field}
    if isinstance(node, DateRange):
        return {"type": "date_range", "from": node.start, "to": node.end}
    if isinstance(node, Ticker):
        return {"type": "ticker", "symbols": list(node.symbols), "written": node.label}
    if isinstance(node, Not):
        return {"type": "not", "child": to_json(node.child)}
    if isinstance(node, And | Or):
        kind = "and" if isinstance(node, And) else "or"
        return {"type": kind, "children": [to_json(c) for c in node.children]}
    return {"type": "match_all"}


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, each before its children, children left to right."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from walk(child)


def _field_prefix(field: str | None) -> str:
    return f"{field}:" if field else ""


def _visible(node: And) -> list[Node]:
    return [child for child in node.children if not isinstance(child, MatchAll)]


def _operand_text(node: Node) -> str:
    """Text of an And/Or operand, parenthesised when it is itself a compound."""
    compound = isinstance(node, Or) or (isinstance(node, And) and len(_visible(node)) > 1)
    return f"({to_text(node)})" if compound else to_text(node)
