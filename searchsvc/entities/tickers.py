"""Find companies in an article (case-sensitive, with evidence rules) and in a query.

Article rules, in one pass per text with :attr:`CompanyDictionary.article_finder`:

* markup always counts, ambiguous symbols included: cashtags (``$NVDA``), exchange prefixes
  (``NASDAQ: NVDA``, ``HKEX: 700``, ``(AU:BHP)``) and listings (``9988.HK``, ``2330.TW``);
* names and aliases count as written (``Nvidia``, ``Nvidia's``, ``Alibaba’s``); "apple" in
  lower case is not Apple. A name does not count inside a longer word (``Clark-Gartner``,
  the ``3M`` of ``$56.3M``), inside a fund's, trust's or index's name (``Blackstone
  Mortgage Trust``, ``Nasdaq Composite``), or after a lone capitalised word or a title that
  makes it a person's or another company's name (``CEO Dennis Woodside``, ``Mr. Cooper``,
  ``People's Bank of China``);
* a bare symbol counts when it has three characters or more, is neither an ordinary word
  nor a common acronym, and does not start another name (``NVDA`` counts; ``ET``, ``PM``,
  ``CEO``, ``USB`` need evidence; ``LPL Financial`` is not LG Display's ``LPL``);
* a ``(CODE)`` counts when it is a symbol and follows no other company's name (``Hero
  MotoCorp (HMC)`` is not Honda); an ambiguous one (``(T)``, ``(IT)``) only right after a
  name of its company: ``AT&T (T)``, ``Meta’s (META)``;
* names that are ordinary words (``Apple``, ``Oracle``, ``Meta``, ``3M``), and single words
  or symbols the same article also writes in lower case (``Visa`` next to "visa"), need
  evidence: a corporate suffix (``Apple Inc.``), a possessive (``Apple's``), a company word
  around them (``Apple CEO``, ``Target shares``, ``Shell said``, ``shares of Oracle``,
  ``Hertz Global Holdings``), a place in a list next to a company named with evidence
  (``Microsoft and Apple``), or the same company named with evidence anywhere in the
  article. Names spelled like acronyms (``Q2``, ``MSCI``) take only a corporate suffix or
  markup as evidence.

Each company found records its places, count and forms, and a role (:func:`ticker_role`).
An excerpt that the body contains word for word is not read twice.
Markup that names no company of the dictionary: :mod:`searchsvc.entities.unknown`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from searchsvc.entities.context import (
    BLOCKED_BEFORE,
    joined,
    other_name_before,
    proper_word_before,
)
from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.entities.finder import Found
from searchsvc.entities.model import Company, TickerMention
from searchsvc.entities.patterns import (
    COMMON_ACRONYMS,
    CONTEXT_AFTER,
    CONTEXT_BEFORE,
    CORPORATE_SUFFIX,
    LIST_GAP,
    NAME_CONTINUES,
    OTHER_ENTITY,
    PHOTO_CREDIT_BEFORE,
    POSSESSIVE,
    QUANTITY,
    prefixed_symbols,
)
from searchsvc.ingest.model import Article
from searchsvc.lazy import gc_paused

_NAME_TO_PAREN = re.compile(r"(?:['\u2019]s)?[ \t]*")  # "Meta (META)", "Meta’s (META)"
_TITLE_WORD = re.compile(r"[A-Z][a-z]+")  # "Visa", "Target": also ordinary words in lower case
PRIMARY_MIN_COUNT = 3  # mentions, and
PRIMARY_MIN_SHARE = 0.3  # share of all company mentions in the article


@dataclass(frozen=True)
class _Literal:
    """How one literal of the dictionary may name one company."""

    company: Company
    name: bool  # an alias or former name (else a symbol or listing)
    weak: bool  # needs evidence whatever the article says
    lower: str  # when the article has this lower-case word, it needs evidence too ("" never)
    soft: bool  # context, a possessive or a list is evidence enough (not for "Q2", "MSCI")


@lru_cache(maxsize=4)
def _literals(companies: CompanyDictionary) -> dict[str, tuple[_Literal, ...]]:
    """The dictionary's literals with their evidence needs, built once per dictionary."""
    with gc_paused():  # 16k entries, no cycles (see searchsvc.lazy)
        return _literal_table(companies)


def _literal_table(companies: CompanyDictionary) -> dict[str, tuple[_Literal, ...]]:
    table: dict[str, tuple[_Literal, ...]] = {}
    for text, surfaces in companies.surfaces.items():
        plain = text.replace("\u2019", "'")
        entries = []
        for company, ambiguous in surfaces:
            former = {old.name for old in getattr(company, "former", ()) if old.name}
            acronym = text in COMMON_ACRONYMS
            if plain in company.aliases or plain in former:
                weak = ambiguous or acronym or QUANTITY.fullmatch(text) is not None
                lower = text.lower() if _TITLE_WORD.fullmatch(text) else ""
                entries.append(_Literal(company, True, weak, lower, not acronym))
            else:
                weak = ambiguous or acronym or len(text) <= 2
                lower = text.lower() if text.isalpha() else ""
                entries.append(_Literal(company, False, weak, lower, False))
        table[text] = tuple(entries)
    return table


@dataclass
class _Hit:
    symbol: str
    place: str
    form: str
    strong: bool


@dataclass
class _Span:
    """One match in one text, for the list rule."""

    start: int
    end: int
    hits: list[_Hit]
    promotable: bool  # a name of one company that needs evidence

    @property
    def strong(self) -> bool:
        return any(hit.strong for hit in self.hits)


@dataclass
class _Scan:
    """Hits gathered over one article; strong hits are evidence for weak ones."""

    companies: CompanyDictionary
    prose: str  # title, excerpt and body (not tags or keywords), for the lower-case rule
    literals: dict[str, tuple[_Literal, ...]]
    hits: dict[str, list[_Hit]] = field(default_factory=dict)
    known: dict[str, Company] = field(default_factory=dict)
    tagged: set[str] = field(default_factory=set)  # named in tags or keywords
    lower_seen: dict[str, bool] = field(default_factory=dict)

    def hit(self, company: Company, place: str, form: str, strong: bool) -> _Hit:
        self.known[company.symbol] = company
        found = _Hit(company.symbol, place, form, strong)
        self.hits.setdefault(company.symbol, []).append(found)
        return found

    def written_lower(self, word: str) -> bool:
        """Whether the article writes ``word`` (lower case) as a word of its own."""
        seen = self.lower_seen.get(word)
        if seen is None:
            pattern = r"(?<![\w\-])" + re.escape(word) + r"(?![\w\-])"
            seen = self.lower_seen[word] = re.search(pattern, self.prose) is not None
        return seen

    def symbol(self, code: str, place: str, form: str) -> _Hit | None:
        company = self.companies.lookup(code)
        return None if company is None else self.hit(company, place, form, True)

    def feed(self, text: str, place: str, tagged: bool = False) -> None:
        """Scan one text (a title, an excerpt, a tag, a body)."""
        last_end = -1  # where the last name ended, and the companies it named
        last_names: tuple[str, ...] = ()
        spans: list[_Span] = []
        for m in self.companies.article_finder.finditer(text):
            start, found = m.start, m.text
            first = found[0]
            hits: list[_Hit] = []
            if ":" in found:  # "NYSE: BABA", "(AU:BHP)"
                if first != "(" and joined(text, start):
                    continue
                exchange, _, code = found.strip("()").partition(":")
                for candidate in prefixed_symbols(exchange, code.strip()):
                    if hit := self.symbol(candidate, place, found):
                        hits.append(hit)
                        break
            elif first == "(":
                code = found[1:-1]
                company = self.companies.lookup(code)
                if company is None:
                    continue
                after_name = company.symbol in last_names and _NAME_TO_PAREN.fullmatch(
                    text, last_end, start
                )
                plain = not (len(code) < 2 or code in company.ambiguous or code in COMMON_ACRONYMS)
                if after_name or (plain and not other_name_before(text, start, company)):
                    hits.append(self.hit(company, place, code, True))
            elif first == "$":
                if joined(text, start):
                    continue
                if hit := self.symbol(found[1:], place, found):
                    hits.append(hit)
            else:
                if joined(text, start):
                    continue
                span = self.literal(text, place, m)
                if span is not None:
                    spans.append(span)
                    last_end, last_names = span.end, tuple(h.symbol for h in span.hits)
                continue
            if hits:
                spans.append(_Span(start, m.end, hits, False))
        if tagged:
            self.tagged.update(hit.symbol for span in spans for hit in span.hits)
        _promote_lists(text, spans)

    def literal(self, text: str, place: str, m: Found) -> _Span | None:
        """A name, alias or symbol of the dictionary as written; None when it does not count."""
        start, end, found = m
        entries = self.literals.get(found, ())
        suffix = CORPORATE_SUFFIX.match(text, end)
        if suffix is None and OTHER_ENTITY.match(text, end):
            return None  # "Blackstone Mortgage Trust", "Nasdaq Composite"
        if any(e.name for e in entries):
            if place != "title" and proper_word_before(text, start, end, self.companies):
                return None  # "CEO Dennis Woodside", "Portland General Electric"
            if PHOTO_CREDIT_BEFORE.search(text, max(0, start - 80), start):
                return None  # "Thanmano/iStock via Getty Images": a picture's credit
        elif NAME_CONTINUES.match(text, end):
            return None  # "LPL Financial": a symbol starting another company's name
        context = (
            POSSESSIVE.match(text, end) is not None
            or CONTEXT_AFTER.match(text, end) is not None
            or CONTEXT_BEFORE.search(text, max(0, start - 30), start) is not None
        )
        if suffix:
            end = suffix.end()
            if any(e.weak for e in entries):
                found = text[start:end]
        hits = []
        promotable = False
        for e in entries:
            weak = e.weak or bool(e.lower and self.written_lower(e.lower))
            soft = e.soft and context and len(entries) == 1
            evidence = e.name and (suffix is not None or soft)
            hits.append(self.hit(e.company, place, found, not weak or evidence))
            promotable |= e.soft and e.name and weak and not evidence and len(entries) == 1
        return _Span(start, end, hits, promotable)

    def mentions(self) -> tuple[TickerMention, ...]:
        """Mentions with enough evidence, most mentioned first, each with its role."""
        result = []
        for symbol, hits in self.hits.items():
            if not any(hit.strong for hit in hits):
                continue
            company = self.known[symbol]
            result.append(
                TickerMention(
                    symbol=symbol,
                    name=company.name,
                    places=frozenset(hit.place for hit in hits),
                    count=len(hits),
                    matched=tuple(dict.fromkeys(hit.form for hit in hits)),
                )
            )
        total = sum(mention.count for mention in result)
        result = [
            replace(m, role=ticker_role(m, total, tagged=m.symbol in self.tagged)) for m in result
        ]
        result.sort(key=lambda t: (-t.count, t.symbol))
        return tuple(result)


def _promote_lists(text: str, spans: list[_Span]) -> None:
    """A name that needs evidence counts in a list next to one with evidence.

    "Apple, Microsoft and Meta": Microsoft has evidence, so Meta has, so Apple has.
    """
    changed = True
    while changed:
        changed = False
        for i, span in enumerate(spans):
            if not span.promotable or span.strong:
                continue
            before = spans[i - 1] if i else None
            after = spans[i + 1] if i + 1 < len(spans) else None
            if (before and before.strong and LIST_GAP.fullmatch(text, before.end, span.start)) or (
                after and after.strong and LIST_GAP.fullmatch(text, span.end, after.start)
            ):
                for hit in span.hits:
                    hit.strong = True
                changed = True


def ticker_role(mention: TickerMention, article_total: int, *, tagged: bool = False) -> str:
    """``"primary"`` when the article is about the company, else ``"mentioned"``.

    Primary: named in the title, or in the tags or keywords (``tagged``), or at least
    :data:`PRIMARY_MIN_COUNT` times and at least :data:`PRIMARY_MIN_SHARE` of the
    ``article_total`` mentions of all companies in the article (one subject, or two in a
    merger story; not one of forty names in an earnings calendar).
    """
    if "title" in mention.places or tagged:
        return "primary"
    share = mention.count / article_total if article_total else 0.0
    if mention.count >= PRIMARY_MIN_COUNT and share >= PRIMARY_MIN_SHARE:
        return "primary"
    return "mentioned"


def article_texts(article: Article) -> list[tuple[str, str, bool]]:
    """(text, place, tagged) of an article, title first.

    An excerpt the body contains word for word (the first paragraph, when the frontmatter
    has none) is left out: it would count the same mentions twice.
    """
    excerpt = article.excerpt if article.excerpt not in article.body_text else ""
    return [
        (article.title, "title", False),
        (excerpt, "frontmatter", False),
        *((tag, "frontmatter", True) for tag in (*article.tags, *article.keywords)),
        (article.body_text, "body", False),
    ]


def extract_tickers(article: Article, companies: CompanyDictionary) -> tuple[TickerMention, ...]:
    """Companies mentioned in the title, excerpt, tags, keywords and body of ``article``."""
    texts = article_texts(article)
    prose = "\n".join((article.title, article.excerpt, article.body_text))  # keywords: lower case
    scan = _Scan(companies, prose, _literals(companies))
    for text, place, tagged in texts:
        scan.feed(text, place, tagged)
    return scan.mentions()


def find_companies(text: str, companies: CompanyDictionary) -> list[tuple[int, int, Company]]:
    """Character spans of company names and symbols in a reader's query, case-insensitively.

    Ambiguous names count ("apple" on a finance site means the company); ambiguous
    symbols only as cashtags or after an exchange prefix ("ai chips" finds nothing).
    """
    found: list[tuple[int, int, Company]] = []
    for start, end, match in companies.query_finder.finditer(text):
        if match[0] == "(" and ":" not in match:  # "(nvda)" is read like the bare code
            start, end, match = start + 1, end - 1, match[1:-1]
        elif match[0] == "(":  # "(au:bhp)"
            match = match[1:-1]
        elif start and (text[start - 1].isalnum() or text[start - 1] in BLOCKED_BEFORE):
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
