"""Typo'd and half-typed variants of judged queries, and how much of the clean queries'
relevance the engine keeps for them (typo tolerance and search-as-you-type).

- ``typo_variant``: one typo in every long word (5+ letters), the kind readers make:
  two neighbouring letters swapped, a letter dropped, a letter doubled, a key next to the
  right one on a QWERTY keyboard. The first letter is never touched, and each typo is
  one edit (Damerau distance 1), which the engine forgives from 5 letters. Words typed as
  symbols or syntax are left alone: numbers and words with digits, capitals of up to 5
  letters (NVDA, BABA, HBM), cashtags, quoted phrases, field terms (``ticker:nvda``),
  exclusions, prefixes (``semic*``), operators and hyphenated words.
- ``typing_variant``: the query as it reads while the reader types its last word, cut to
  4 letters (a word of 6+) or 3 (a word of 5); None when there is nothing to cut.

Both are deterministic: the kind and place of a typo come from a checksum of the word,
the kind moving on by one for each further long word of a query.

A variant carries the judgments of the query it was made from (relevance/README.md,
"Judging": a typo query is judged as what the reader meant). ``measure_forgiveness``
runs the clean queries and their variants through ``evaluate`` with the engine's default
request options (``typos=auto``, ``prefix=last``), and the clean queries once more with
``typos=0``, ``prefix=none`` so that a cost of forgiveness to clean queries shows.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.errors import SearchsvcError
from searchsvc.quality.relevance import (
    PRECISION,
    BadJudgments,
    Judgments,
    K,
    Metrics,
    RelevanceRun,
    evaluate,
    mean_metrics,
    query_metrics,
)
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search

TYPO_MIN_LETTERS = 5  # typos=auto forgives one typo from 5 letters (two from 9)
TICKER_MAX_LETTERS = 5  # capitals this short are a symbol (NVDA, BABA), typed as written
TYPING_LONG_WORD = 6  # a last word of 6+ letters is cut to 4 letters, a shorter one to 3
TYPO_KINDS = ("transposition", "dropped", "doubled", "neighbour")
QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# the keys left and right of each letter: the slips of a finger along its row
NEIGHBOUR_KEYS = {
    key: row[max(i - 1, 0) : i] + row[i + 1 : i + 2]
    for row in QWERTY_ROWS
    for i, key in enumerate(row)
}
STRICT_OPTIONS = {"typos": "0", "prefix": "none"}  # nothing forgiven: the clean reference

# a quoted phrase (to its closing quote, or the end of the query) or a run of other text
_PIECE = re.compile(r'"[^"]*"?|[^\s"]+')
_LETTERS = r"[^\W\d_]+"
# a word the engine may correct: letters, with inner apostrophes (don't, Nvidia's), in
# grouping parentheses
_PLAIN_WORD = re.compile(rf"(\(*)({_LETTERS}(?:['’]{_LETTERS})*)(\)*)")
# a last word the reader may be typing: letters joined by hyphens or apostrophes
_TYPED_WORD = re.compile(rf"(\(*)({_LETTERS}(?:[-'’]{_LETTERS})*)")


def _letter_count(word: str) -> int:
    return sum(c.isalpha() for c in word)


def _is_symbol(word: str) -> bool:
    """A word in capitals short enough to be a ticker (NVDA), which readers type exactly."""
    return word.isupper() and _letter_count(word) <= TICKER_MAX_LETTERS


# --- typos -----------------------------------------------------------------------------------


def _typo_spots(kind: str, word: str) -> list[int]:
    """Where a typo of this kind can go: never at the first letter, only on letters."""
    spots = range(1, len(word))
    if kind == "transposition":  # swap word[i] and word[i + 1]
        return [
            i
            for i in range(1, len(word) - 1)
            if word[i].isalpha() and word[i + 1].isalpha() and word[i] != word[i + 1]
        ]
    if kind == "dropped":  # left with 4 letters, a 5-letter word would get no typo forgiven
        if _letter_count(word) <= TYPO_MIN_LETTERS:
            return []
        return [i for i in spots if word[i].isalpha()]
    if kind == "doubled":
        return [i for i in spots if word[i].isalpha()]
    return [i for i in spots if word[i].lower() in NEIGHBOUR_KEYS]  # neighbour


def _with_typo(kind: str, word: str, i: int, seed: int) -> str:
    if kind == "transposition":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "dropped":
        return word[:i] + word[i + 1 :]
    if kind == "doubled":
        return word[: i + 1] + word[i:]
    keys = NEIGHBOUR_KEYS[word[i].lower()]
    key = keys[seed % len(keys)]
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1 :]


def misspell(word: str, turn: int = 0) -> tuple[str, str]:
    """``word`` with one typo, and the typo's kind (one of TYPO_KINDS). The kind and its
    place come from a checksum of the word; ``turn`` moves the kind on (the second long
    word of a query gets the next kind). A kind with no place in the word (a 5-letter
    word has no dropped letter) passes to the next. A word without letters after its
    first is returned unchanged, with the kind "none"."""
    seed = zlib.crc32(word.casefold().encode("utf-8", "surrogatepass"))
    for step in range(len(TYPO_KINDS)):
        kind = TYPO_KINDS[(seed + turn + step) % len(TYPO_KINDS)]
        spots = _typo_spots(kind, word)
        if spots:
            spot = spots[(seed // len(TYPO_KINDS)) % len(spots)]
            return _with_typo(kind, word, spot, seed), kind
    return word, "none"


def typo_variant(query: str) -> str:
    """The query with one typo in each word of 5+ letters (see the module's docstring for
    what is left alone); the rest of the text, spaces included, as written."""
    turn = 0

    def one_typo(piece: re.Match[str]) -> str:
        nonlocal turn
        plain = _PLAIN_WORD.fullmatch(piece.group())
        if plain is None:
            return piece.group()
        opening, word, closing = plain.groups()
        if _letter_count(word) < TYPO_MIN_LETTERS or _is_symbol(word):
            return piece.group()
        typo, _ = misspell(word, turn)
        turn += 1
        return opening + typo + closing

    return _PIECE.sub(one_typo, query)


# --- typing ----------------------------------------------------------------------------------


def typing_variant(query: str) -> str | None:
    """The query while its last word is being typed: that word cut to its first 4 letters
    (6+ letters) or 3 (5 letters). None when the last word is 4 letters or shorter, or is
    not a word being typed (a quoted phrase, a field term, a ticker in capitals, a number,
    an exclusion, a prefix, a closed group)."""
    pieces = list(_PIECE.finditer(query))
    if not pieces:
        return None
    last = pieces[-1]
    typed = _TYPED_WORD.fullmatch(last.group())
    if typed is None:
        return None
    opening, word = typed.groups()
    letters = _letter_count(word)
    if letters <= 4 or _is_symbol(word):
        return None
    cut = word[: 4 if letters >= TYPING_LONG_WORD else 3]
    if not cut.isalpha():  # a hyphen within the first letters ("e-commerce")
        return None
    return query[: last.start() + len(opening)] + cut


# --- judged variants -------------------------------------------------------------------------

VARIANT_KINDS: dict[str, Callable[[str], str | None]] = {
    "typos": typo_variant,
    "typing": typing_variant,
}


def variant_queries(judgments: Judgments, make: Callable[[str], str | None]) -> dict[str, str]:
    """variant -> the judged query it was made from, in the judgments' order. A query with
    no variant, or one equal to itself, is left out; when two queries make the same
    variant, the first keeps it."""
    made: dict[str, str] = {}
    for query in judgments.queries:
        variant = make(query)
        if variant is not None and variant != query and variant not in made:
            made[variant] = query
    return made


def variant_judgments(judgments: Judgments, make: Callable[[str], str | None]) -> Judgments:
    """The same grades under the variant queries ``make`` gives (see variant_queries);
    each variant keeps its query's line, so errors still point into the judgments file."""
    made = variant_queries(judgments, make)
    return Judgments(
        queries={variant: dict(judgments.queries[query]) for variant, query in made.items()},
        source=judgments.source,
        lines={v: judgments.lines[q] for v, q in made.items() if q in judgments.lines},
    )


# --- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantResult:
    """One variant: its judged query's metrics and its own, with the default options."""

    query: str  # as judged
    variant: str
    clean: Metrics | None  # None: the query has no relevant judgment, so is not scored
    metrics: Metrics | None
    total: int  # the variant's results; 0 is a variant that found nothing
    hits: tuple[str, ...]  # the variant's first K slugs


def _mean_ndcg(values: list[Metrics | None]) -> float | None:
    mean = mean_metrics(values)
    return None if mean is None else mean.ndcg


@dataclass(frozen=True)
class KindResult:
    """The variants of one kind ("typos", "typing")."""

    kind: str
    queries: tuple[VariantResult, ...]

    @property
    def variants(self) -> int:
        return len(self.queries)

    @property
    def scored(self) -> tuple[VariantResult, ...]:
        """The variants whose query is scored: the means are over these."""
        return tuple(q for q in self.queries if q.clean is not None)

    @property
    def clean_ndcg(self) -> float | None:
        """Mean nDCG@K of the judged queries these variants were made from."""
        return _mean_ndcg([q.clean for q in self.scored])

    @property
    def variant_ndcg(self) -> float | None:
        """Mean nDCG@K of the variants, over the same queries as clean_ndcg."""
        return _mean_ndcg([q.metrics for q in self.scored])

    @property
    def share(self) -> float | None:
        """variant_ndcg / clean_ndcg: how much of the clean relevance the variants keep."""
        clean, variant = self.clean_ndcg, self.variant_ndcg
        return None if not clean or variant is None else variant / clean

    @property
    def no_results(self) -> tuple[str, ...]:
        """The variants that found nothing."""
        return tuple(q.variant for q in self.queries if q.total == 0)

    @property
    def no_result_share(self) -> float | None:
        return len(self.no_results) / self.variants if self.variants else None

    def to_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, PRECISION)

        return {
            "variants": self.variants,
            "scored": len(self.scored),
            "clean_ndcg": rounded(self.clean_ndcg),
            "variant_ndcg": rounded(self.variant_ndcg),
            "share": rounded(self.share),
            "no_results": len(self.no_results),
            "no_result_share": rounded(self.no_result_share),
            "queries": [
                {
                    "query": q.query,
                    "variant": q.variant,
                    "clean_ndcg": rounded(q.clean.ndcg if q.clean else None),
                    "variant_ndcg": rounded(q.metrics.ndcg if q.metrics else None),
                    "total": q.total,
                    "hits": list(q.hits),
                }
                for q in self.queries
            ],
        }


@dataclass(frozen=True)
class Forgiveness:
    """The clean queries with the default options and with nothing forgiven, and each
    kind of variant with the default options."""

    clean: RelevanceRun  # typos=auto, prefix=last
    strict: Mapping[str, Metrics | None]  # query -> metrics with STRICT_OPTIONS
    kinds: tuple[KindResult, ...]

    def kind(self, name: str) -> KindResult:
        return next(k for k in self.kinds if k.kind == name)

    @property
    def clean_ndcg(self) -> float | None:
        return _mean_ndcg([q.metrics for q in self.clean.queries])

    @property
    def strict_ndcg(self) -> float | None:
        return _mean_ndcg(list(self.strict.values()))

    def worse_than_strict(self) -> tuple[tuple[str, float, float], ...]:
        """(query, nDCG with nothing forgiven, nDCG with the defaults) for each clean query
        that the default options rank worse."""
        worse = []
        for q in self.clean.queries:
            before = self.strict.get(q.query)
            if q.metrics is not None and before is not None:
                if round(q.metrics.ndcg, PRECISION) < round(before.ndcg, PRECISION):
                    worse.append((q.query, before.ndcg, q.metrics.ndcg))
        return tuple(worse)

    def to_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, PRECISION)

        return {
            "k": self.clean.k,
            "judgments": self.clean.judgments,
            "clean_ndcg": rounded(self.clean_ndcg),
            "strict_ndcg": rounded(self.strict_ndcg),
            "strict_options": STRICT_OPTIONS,
            "worse_than_strict": [
                {"query": q, "strict_ndcg": rounded(s), "ndcg": rounded(d)}
                for q, s, d in self.worse_than_strict()
            ],
            "kinds": {k.kind: k.to_json() for k in self.kinds},
        }


def metrics_with_options(
    handle: IndexHandle,
    judgments: Judgments,
    companies: CompanyDictionary | None = None,
    *,
    typos: str,
    prefix: str,
    k: int = K,
) -> dict[str, Metrics | None]:
    """query -> metrics of its first k hits searched with these ``typos`` and ``prefix``
    request options, otherwise as ``evaluate`` searches (match=all)."""
    out: dict[str, Metrics | None] = {}
    for query, judged in judgments.queries.items():
        try:
            request = SearchRequest(q=query, per_page=k, facets=(), typos=typos, prefix=prefix)
            found = search(handle, request, companies)
        except SearchsvcError as exc:
            line = judgments.lines.get(query)
            where = f"{judgments.source}:{line}" if line else judgments.source
            raise BadJudgments(f"{where}: query {query!r}: {exc.message}") from exc
        out[query] = query_metrics([hit.doc["slug"] for hit in found.hits], judged, k)
    return out


def measure_forgiveness(
    handle: IndexHandle,
    judgments: Judgments,
    companies: CompanyDictionary | None = None,
    kinds: Mapping[str, Callable[[str], str | None]] = VARIANT_KINDS,
) -> Forgiveness:
    """Clean queries and each kind of variant through ``evaluate`` (default options:
    typos=auto, prefix=last), and the clean queries with nothing forgiven."""
    clean = evaluate(handle, judgments, companies)
    by_query = clean.by_query()
    results = []
    for kind, make in kinds.items():
        made = variant_queries(judgments, make)
        run = evaluate(handle, variant_judgments(judgments, make), companies)
        results.append(
            KindResult(
                kind,
                tuple(
                    VariantResult(
                        query=made[r.query],
                        variant=r.query,
                        clean=by_query[made[r.query]].metrics,
                        metrics=r.metrics,
                        total=r.total,
                        hits=r.hits,
                    )
                    for r in run.queries
                ),
            )
        )
    strict = metrics_with_options(handle, judgments, companies, **STRICT_OPTIONS, k=clean.k)
    return Forgiveness(clean, strict, tuple(results))
