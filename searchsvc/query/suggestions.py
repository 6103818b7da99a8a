"""Completions for a search box's dropdown (GET /api/suggest) while the reader types.

Drawn from what the index holds: companies (names and symbols from the dictionary, only
those found in some article), tags and categories, each with its article count, built
once per generation into a sorted word list; popular past searches (given by the caller,
from its query log); and article titles, found through the title field's postings.

Every typed word is a prefix of some word of a suggestion (order free, case- and
accent-insensitive). A finished word (not the last) unknown to the index is read with
its typo corrected, as search does; so is the last word when nothing starts with it.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.indexing.analysis import (
    STOP_WORDS,
    WORD_PATTERN,
    fold_in_place,
    prefix_form,
    query_terms,
)
from searchsvc.query.generation import Generation
from searchsvc.query.typos import allowed_typos, best_guess

KINDS = ("query", "company", "tag", "category", "title")
DEFAULT_LIMIT = 8
MAX_LIMIT = 20
MAX_TYPED_WORDS = 8  # words of q looked at: a dropdown does not need more
TITLE_PREFIX_TERMS = 16  # title terms the last word may begin, the most frequent
MIN_TITLE_PREFIX = 2  # a query of one letter suggests names only


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # one of KINDS
    highlighted: str  # text, HTML-escaped, with the typed part of each word in <mark>
    slug: str | None = None  # titles
    symbol: str | None = None  # companies
    count: int = 0  # articles (or past searches, for a query)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"text": self.text, "kind": self.kind}
        if self.slug is not None:
            out["slug"] = self.slug
        if self.symbol is not None:
            out["symbol"] = self.symbol
        out["highlighted"] = self.highlighted
        return out


@dataclass(frozen=True)
class Entry:
    text: str
    kind: str
    count: int
    symbol: str | None = None
    keys: tuple[str, ...] = ()  # folded words it is found by (its text's, and aliases')


@lru_cache(maxsize=8192)
def words_of(text: str) -> tuple[str, ...]:
    """The folded words of a text, as typed prefixes are compared with them (memoised:
    every request compares the same popular searches)."""
    return tuple(w for w in (prefix_form(m) for m in WORD_PATTERN.findall(text)) if w)


def keys_of(text: str) -> set[str]:
    """The words an entry is found by: its words but the stop words ("The Coca-Cola
    Company" is not a suggestion for "the")."""
    return {w for w in words_of(text) if w not in STOP_WORDS}


class SuggestionIndex:
    """A generation's companies, tags and categories, by the words they contain."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        # most articles first: the order suggestions of one kind are offered in
        self.entries = sorted(entries, key=lambda e: (-e.count, KINDS.index(e.kind), e.text))
        pairs = sorted(
            (key, i) for i, e in enumerate(self.entries) for key in (e.keys or keys_of(e.text))
        )
        self._keys = [k for k, _ in pairs]
        self._owners = np.array([i for _, i in pairs], dtype=np.int32)

    def starting(self, prefix: str) -> np.ndarray:
        """The entries with a word starting with prefix (sorted ids: most used first)."""
        lo = bisect.bisect_left(self._keys, prefix)
        hi = bisect.bisect_left(self._keys, prefix + "\uffff")
        return np.unique(self._owners[lo:hi])

    def matching(self, prefixes: Sequence[str], limit: int) -> list[Entry]:
        """The ``limit`` most used entries having, for every prefix, a word that starts
        with it."""
        found: np.ndarray | None = None
        for prefix in prefixes:
            ids = self.starting(prefix)
            found = ids if found is None else np.intersect1d(found, ids, assume_unique=True)
            if not len(found):
                return []
        return [self.entries[i] for i in (found if found is not None else [])[:limit]]


def build_suggestion_index(gen: Generation, companies: CompanyDictionary) -> SuggestionIndex:
    """The entries of one generation: the companies, tags and categories of live articles."""
    entries: list[Entry] = []
    for kind, field in (("tag", "tag_value"), ("category", "category_value")):
        column = gen.columns[field]
        counts = column.counts(gen.alive)
        entries += [
            Entry(v, kind, int(counts[i])) for i, v in enumerate(column.values) if counts[i]
        ]
    tickers = gen.columns["tickers"]
    counts = tickers.counts(gen.alive)
    for i, symbol in enumerate(tickers.values):
        company = companies.lookup(symbol)
        if company is None or not counts[i]:
            continue
        keys = {symbol.casefold(), *keys_of(company.name)}
        for alias in company.aliases:
            keys.update(keys_of(alias))
        entries.append(Entry(company.name, "company", int(counts[i]), symbol, tuple(sorted(keys))))
    return SuggestionIndex(entries)


def suggest(
    gen: Generation,
    q: str,
    companies: CompanyDictionary,
    popular: Sequence[tuple[str, int]] = (),
    limit: int = DEFAULT_LIMIT,
    typos: str = "auto",
) -> list[Suggestion]:
    """Up to ``limit`` suggestions for what the reader has typed so far: popular past
    searches, companies, tags and categories, then article titles."""
    typed = words_of(q)[:MAX_TYPED_WORDS]
    if not typed:
        return []
    index = gen.derived(
        f"suggestions-{id(companies)}", lambda g: build_suggestion_index(g, companies)
    )
    finished = q != q.rstrip()  # a space after the last word: it is complete
    prefixes = [_known_or_corrected(gen, w, typos) for w in typed[:-1]]
    last = typed[-1]
    prefixes.append(_known_or_corrected(gen, last, typos) if finished else last)
    named = _queries(popular, prefixes) + index.matching(prefixes, limit)
    if not named and not finished and not len(index.starting(last)):
        prefixes[-1] = _known_or_corrected(gen, last, typos)
        named = _queries(popular, prefixes) + index.matching(prefixes, limit)
    titles: list[tuple[str, str]] = []
    if len(typed) > 1 or len(last) >= MIN_TITLE_PREFIX or finished:  # one letter: names only
        whole = prefixes if finished else prefixes[:-1]
        titles = _titles(gen, whole, None if finished else prefixes[-1], limit)
    return _dropdown(named, titles, prefixes, limit)


def _dropdown(
    named: list[Entry], titles: list[tuple[str, str]], prefixes: Sequence[str], limit: int
) -> list[Suggestion]:
    """Names first (one of each text, whatever its kind), leaving room for a few titles: a
    reader may be looking for one article."""
    room = limit - min(len(titles), limit // 2)
    out: list[Suggestion] = []
    seen: set[str] = set()
    for entry in named:
        if len(out) == room:
            break
        if entry.text.casefold() in seen:
            continue
        seen.add(entry.text.casefold())
        marked = mark_prefixes(entry.text, prefixes)
        out.append(
            Suggestion(entry.text, entry.kind, marked, symbol=entry.symbol, count=entry.count)
        )
    for slug, title in titles[: limit - len(out)]:
        out.append(Suggestion(title, "title", mark_prefixes(title, prefixes), slug=slug))
    return out


def mark_prefixes(text: str, prefixes: Sequence[str]) -> str:
    """text, HTML-escaped, with the start of each word that a typed prefix begins in
    <mark> (the longest such prefix)."""
    folded = fold_in_place(text)
    out: list[str] = []
    at = 0
    for match in WORD_PATTERN.finditer(folded):
        word = match.group()
        length = max((len(p) for p in prefixes if p and word.startswith(p)), default=0)
        if not length:
            continue
        start = match.start()
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start : start + length])}</mark>")
        at = start + length
    out.append(html.escape(text[at:]))
    return "".join(out)


def _known_or_corrected(gen: Generation, word: str, typos: str) -> str:
    """A finished word as typed when the index knows it (or it cannot be corrected), else
    its correction (typos.py)."""
    terms = query_terms(word)
    if not terms or any(gen.doc_frequency(f, terms[0]) for f in ("title", "body", "tags")):
        return word
    allowed = allowed_typos(word, typos)
    if not allowed:
        return word
    found = list(gen.typo_index().within(word, allowed))
    frequency = {c.term: gen.doc_frequency("body", c.term) for c in found}
    live = [c for c in found if frequency[c.term]]
    return best_guess(live, frequency, word).word if live else word


def _queries(popular: Sequence[tuple[str, int]], prefixes: Sequence[str]) -> list[Entry]:
    """Past searches every prefix begins a word of, most frequent first."""
    out = []
    for text, count in popular:
        words = words_of(text)
        if all(any(w.startswith(p) for w in words) for p in prefixes):
            out.append(Entry(text, "query", count))
    return out


def _titles(
    gen: Generation, finished: Sequence[str], last: str | None, limit: int
) -> list[tuple[str, str]]:
    """(slug, title) of the articles whose title has every finished word and a word the
    last one begins: the shortest titles first (the closest to what was typed), then the
    newest. Masks only: no score is computed for titles that are not shown."""
    mask = gen.alive.copy()
    wanted: list[set[str]] = [set(query_terms(w)) for w in finished]
    if last is not None:
        wanted.append(
            {*gen.expand_prefix("title", last, TITLE_PREFIX_TERMS).terms, *query_terms(last)}
        )
    for terms in wanted:
        if not terms:
            continue
        has = np.zeros(gen.doc_count_all, bool)
        for term in terms:
            has[gen.postings("title", term)[0]] = True
        mask &= has
        if not mask.any():
            return []
    docs = np.flatnonzero(mask)
    lengths = gen.lengths["title"][docs]
    if len(docs) > limit:  # the limit shortest, then ordered
        keep = np.argpartition(lengths, limit - 1)[:limit]
        docs, lengths = docs[keep], lengths[keep]
    best = docs[np.lexsort((gen.slug_rank[docs], -gen.published_seconds[docs], lengths))]
    titles = []
    for docnum in best[:limit]:
        doc = gen.stored(int(docnum))
        titles.append((doc["slug"], doc["title"]))
    return titles
