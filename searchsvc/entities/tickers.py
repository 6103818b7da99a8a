"""Find companies in an article (case-sensitive, with evidence rules) and in a query.

Article rules, in one pass per text with :attr:`CompanyDictionary.article_pattern`:

* cashtags (``$NVDA``), exchange prefixes (``NASDAQ: NVDA``, ``HKEX: 700``) and listings
  (``9988.HK``, ``2330.TW``) always count, ambiguous symbols included (``NYSE: AI``);
* names and aliases count as written (``Nvidia``, ``Nvidia's``, ``Alibaba’s``); "apple" in
  lower case is not Apple;
* bare symbols count when they are not ambiguous and have two letters or more (``NVDA``);
* an ambiguous symbol in parentheses counts right after a name of its company: ``AT&T (T)``,
  ``Meta’s (META)``;
* an ambiguous name (``Apple``, ``Oracle``, ``Meta``) counts when a corporate suffix follows
  (``Apple Inc.``) or when the same article names the company unambiguously elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from searchsvc.articles import Article
from searchsvc.entities import Company, TickerMention
from searchsvc.entities.dictionary import CompanyDictionary, Surface
from searchsvc.entities.patterns import CORPORATE_SUFFIX, prefixed_symbols

_BLOCKED_BEFORE = frozenset("_&$")
_NAME_TO_PAREN = re.compile(r"(?:['\u2019]s)?[ \t]*")  # "Meta (META)", "Meta’s (META)"


def _joined(prev: str) -> bool:
    """Whether a match starting after ``prev`` would be the inside of a longer word."""
    return prev.isalnum() or prev in _BLOCKED_BEFORE


@dataclass
class _Scan:
    """Hits gathered over one article; strong hits are evidence for weak ones."""

    companies: CompanyDictionary
    strong: set[str] = field(default_factory=set)
    hits: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # symbol -> (place, form)
    known: dict[str, Company] = field(default_factory=dict)

    def hit(self, company: Company, place: str, form: str, strong: bool) -> None:
        self.known[company.symbol] = company
        self.hits.setdefault(company.symbol, []).append((place, form))
        if strong:
            self.strong.add(company.symbol)

    def symbol(self, code: str, place: str, form: str) -> Company | None:
        company = self.companies.lookup(code)
        if company is not None:
            self.hit(company, place, form, True)
        return company

    def feed(self, text: str, place: str) -> None:
        """Scan one text (a title, an excerpt, a tag, a body)."""
        last_end = -1  # where the last name ended, and the companies it named
        last_names: tuple[str, ...] = ()
        surfaces = self.companies.surfaces
        for m in self.companies.article_pattern.finditer(text):
            start, found = m.start(), m.group()
            first = found[0]
            if first == "(":
                code = found[1:-1]
                company = self.companies.lookup(code)
                if company is None:
                    continue
                after_name = company.symbol in last_names and _NAME_TO_PAREN.fullmatch(
                    text, last_end, start
                )
                if after_name or not self.companies.needs_context(code):
                    self.hit(company, place, code, True)
                continue
            if start and _joined(text[start - 1]):
                continue
            if first == "$":
                self.symbol(found[1:], place, found)
            elif ":" in found:
                exchange, _, code = found.partition(":")
                for candidate in prefixed_symbols(exchange, code.strip()):
                    if self.symbol(candidate, place, found):
                        break
            else:
                entries: tuple[Surface, ...] = surfaces.get(found, ())
                end = m.end()
                suffix = CORPORATE_SUFFIX.match(text, end)
                if suffix:
                    end = suffix.end()
                    if any(s.ambiguous for s in entries):
                        found = text[start:end]
                for company, ambiguous in entries:
                    self.hit(company, place, found, not ambiguous or suffix is not None)
                last_end, last_names = end, tuple(s.company.symbol for s in entries)

    def mentions(self) -> tuple[TickerMention, ...]:
        """Mentions with enough evidence, most mentioned first."""
        result = []
        for symbol in self.strong:
            hits = self.hits[symbol]
            company = self.known[symbol]
            result.append(
                TickerMention(
                    symbol=symbol,
                    name=company.name,
                    places=frozenset(place for place, _ in hits),
                    count=len(hits),
                    matched=tuple(dict.fromkeys(form for _, form in hits)),
                )
            )
        result.sort(key=lambda t: (-t.count, t.symbol))
        return tuple(result)


def extract_tickers(article: Article, companies: CompanyDictionary) -> tuple[TickerMention, ...]:
    """Companies mentioned in the title, excerpt, tags, keywords and body of ``article``."""
    scan = _Scan(companies)
    scan.feed(article.title, "title")
    for text in (article.excerpt, *article.tags, *article.keywords):
        scan.feed(text, "frontmatter")
    scan.feed(article.body_text, "body")
    return scan.mentions()


def find_companies(text: str, companies: CompanyDictionary) -> list[tuple[int, int, Company]]:
    """Character spans of company names and symbols in a reader's query, case-insensitively.

    Ambiguous names count ("apple" on a finance site means the company); ambiguous
    symbols only as cashtags or after an exchange prefix ("ai chips" finds nothing).
    """
    found: list[tuple[int, int, Company]] = []
    for m in companies.query_pattern.finditer(text):
        start, end, match = m.start(), m.end(), m.group()
        if match[0] == "(":  # a code in parentheses is read like the bare code
            start, end, match = start + 1, end - 1, match[1:-1]
        elif start and _joined(text[start - 1]):
            continue
        if match[0] == "$":
            candidates: list[Company | None] = [companies.lookup(match[1:])]
        elif ":" in match:
            exchange, _, code = match.partition(":")
            symbols = prefixed_symbols(exchange, code.strip().upper())
            candidates = [next(filter(None, map(companies.lookup, symbols)), None)]
        else:
            candidates = list(companies.folded.get(match.lower(), ()))
        found.extend((start, end, c) for c in candidates if c is not None)
    return found
