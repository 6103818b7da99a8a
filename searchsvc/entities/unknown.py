"""Ticker markup that names no company of the dictionary (`searchsvc unknowns`, the
indexer's report): what the dictionary should learn next."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from searchsvc.entities.context import NAME_BEFORE, joined
from searchsvc.entities.dictionary import CompanyDictionary, normalize_symbol
from searchsvc.entities.patterns import (
    COMMON_ACRONYMS,
    EXCHANGE_SUFFIXES,
    LISTING_CODE,
    LISTING_HEAD,
    LISTING_SUFFIX,
    markup_pattern,
    prefixed_symbols,
)
from searchsvc.entities.tickers import article_texts
from searchsvc.ingest.model import Article


@dataclass(frozen=True)
class UnknownSymbol:
    """Ticker markup in one article that names no company of the dictionary."""

    symbol: str  # as the dictionary would spell it: "ACME", "1234.HK", "FTAL.TA"
    count: int  # occurrences in the article
    forms: tuple[str, ...]  # distinct forms as written: "$ACME", "NYSE: ACME", "(ACME)"


_UNKNOWN_CODE = re.compile(r"[A-Z]{2,5}(?:\.[A-Z])?")  # "(ACME)", "(BRK.B)"
_WORD = re.compile(r"[^\W\d_][\w'\u2019]*")
_SMALL_WORDS = frozenset("of the and for de da la & in on".split())


def _spells_acronym(code: str, words: list[str]) -> bool:
    """Whether ``code`` abbreviates the words before it: "Gross Domestic Product (GDP)".

    The code must split into prefixes of two or more successive words, the last piece from
    the last word, small words skipped: "Osaka Exchange (OSE)" is an acronym, "Coca-Cola
    (KO)", "Lixte (LIXT)" and "Steel Authority of India (SAIL)" are not.
    """
    upper = [w.upper() for w in words]

    def fits(i: int, j: int, pieces: int) -> bool:
        if j == len(upper):
            return False
        word = upper[j]
        for k in range(1, min(len(word), len(code) - i) + 1):
            if word[:k] != code[i : i + k]:
                break
            if i + k == len(code) and j == len(upper) - 1 and pieces >= 1:
                return True
            if i + k < len(code) and fits(i + k, j + 1, pieces + 1):
                return True
        skippable = not pieces or words[j].lower() in _SMALL_WORDS
        return skippable and j < len(upper) - 1 and fits(i, j + 1, pieces)

    return fits(0, 0, 0)


def _paren_is_ticker(code: str, text: str, start: int) -> bool:
    """Whether "(CODE)" at ``start`` reads as a ticker right after a company's name."""
    if not _UNKNOWN_CODE.fullmatch(code):
        return False
    if not NAME_BEFORE.search(text, max(0, start - 60), start):
        return False
    words = _WORD.findall(text[max(0, start - 100) : start].replace("-", " "))[-8:]
    if len(words) >= 2 and all(w.isupper() for w in words[-3:]):
        return False  # shouting: "OPERATING INCOME (LOSS)"
    return not _spells_acronym(code, words)


def find_unknown_symbols(
    article: Article, companies: CompanyDictionary
) -> tuple[UnknownSymbol, ...]:
    """Cashtags, exchange-prefixed codes, listing codes and "Name (SYM)" naming no company.

    Only ticker markup is read, never a bare upper-case word, so ``CEO``, ``USA`` or ``GDP``
    in prose are not listed; common acronyms are not listed even as markup (``$USD``,
    ``(ETF)``), nor a parenthesised code that abbreviates the words before it
    (``Gross Domestic Product (GDP)``) or follows no capitalised name. Most frequent first.
    """
    counts: Counter[str] = Counter()
    forms: dict[str, dict[str, None]] = {}
    for text, _, _ in article_texts(article):
        for symbol, form in _unknown_markup(text, companies):
            counts[symbol] += 1
            forms.setdefault(symbol, {})[form] = None
    return tuple(
        UnknownSymbol(symbol, n, tuple(forms[symbol]))
        for symbol, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _unknown_markup(text: str, companies: CompanyDictionary) -> list[tuple[str, str]]:
    """(symbol, form as written) of each piece of markup in ``text`` that no company has."""
    found: list[tuple[str, str]] = []
    for m in markup_pattern().finditer(text):
        form, start = m.group(), m.start()
        if ":" in form:  # "NYSE: ACME", "(AU:ACM)"
            if form[0] != "(" and joined(text, start):
                continue
            exchange, _, code = form.strip("()").partition(":")
            code = code.strip()
            candidates = prefixed_symbols(exchange, code)
        elif form[0] == "$":
            if joined(text, start):
                continue
            code = form[1:]
            candidates = [code]
        else:  # "(ACME)"
            code = form[1:-1]
            candidates = [code] if _paren_is_ticker(code, text, start) else []
        if candidates and code not in COMMON_ACRONYMS and code not in EXCHANGE_SUFFIXES:
            if not any(companies.lookup(c) for c in candidates):
                found.append((candidates[0], form))
    for m in LISTING_SUFFIX.finditer(text):
        head = LISTING_HEAD.search(text, max(0, m.start() - 6), m.start())
        if head is None:
            continue
        form = head.group() + m.group()
        if LISTING_CODE.fullmatch(form) and companies.lookup(form) is None:
            found.append((normalize_symbol(form), form))
    return found
