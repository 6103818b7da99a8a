"""A SearchRequest turned into a Plan: the query's masks and scores, one mask per filter,
and what the response says about them (relaxation, limits). search.py makes results of
it; explain.py shows how it was made.

parse -> company expansion -> the top-level parts evaluated (scoring.Evaluator) ->
match=all or match=any, relaxed when nothing matches -> filters as masks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.entities.tickers import find_companies
from searchsvc.errors import BadQuery
from searchsvc.indexing.schema import FACET_FIELDS
from searchsvc.query.expansion import (
    CompanyFinder,
    SynonymExpansion,
    expand_companies,
    expand_synonyms,
    resolve_tickers,
)
from searchsvc.query.forgiving import forgiving_words
from searchsvc.query.generation import Generation
from searchsvc.query.matches import Matched
from searchsvc.query.querylang import QuerySyntaxError, parse
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import Limit
from searchsvc.query.scoring import Evaluator
from searchsvc.query.synonyms import Synonyms
from searchsvc.query.tree import And, MatchAll, Node, Not, Or, Ticker, Word, to_text
from searchsvc.query.typos import Correction


@dataclass(frozen=True)
class Plan:
    """A request turned into masks: the text match and one mask per active filter."""

    text: Matched
    filters: dict[str, np.ndarray]  # keyed by the facet each filter belongs to
    highlight_terms: set[str]
    highlight_symbols: set[str]
    relaxed: bool
    dropped: tuple[str, ...]
    limits: list[Limit]
    # how the text match was made (for /admin/explain): the expanded tree, its top-level
    # parts and those kept after relaxation, the exclusions, and the evaluator (whose trace
    # has the shares of the traced documents)
    tree: Node
    parts: list[tuple[Node, Matched]]
    kept: list[tuple[Node, Matched]]
    excluded: Matched | None
    evaluator: Evaluator
    coverage: np.ndarray | None  # match=any's factor per document, when it applies
    # per document, how many of the kept parts it matches only through a correction or a
    # completion (the first key of a relevance ordering); None when every match is exact
    inexact: np.ndarray | None
    corrections: tuple[Correction, ...]
    synonyms: tuple[SynonymExpansion, ...]


def parse_query(request: SearchRequest, companies: CompanyDictionary, q: str | None = None) -> Node:
    """The reader's query (or ``q`` in its place) as an expanded tree (companies also
    match their tickers)."""
    try:
        tree = parse(request.q if q is None else q, strict=request.strict)
    except QuerySyntaxError as exc:
        raise BadQuery(f"cannot read the query: {exc}") from exc
    return expand_companies(tree, _finder(companies))


def _finder(companies: CompanyDictionary) -> CompanyFinder:
    return lambda text: find_companies(text, companies)


def plan_request(
    gen: Generation,
    request: SearchRequest,
    companies: CompanyDictionary,
    traced: list[int] | None = None,
    q: str | None = None,
    synonyms: Synonyms | None = None,
) -> Plan:
    """The request's masks and scores, relaxed when match=all finds nothing; with ``q``,
    for that query text instead of request.q (our own text, such as a suggestion: not
    validated as a reader's). With ``traced`` documents, the evaluator keeps their score
    shares (see scoring.Evaluator)."""
    tree = parse_query(request, companies, q)
    expansions: list[SynonymExpansion] = []
    if synonyms is not None:  # words with synonyms also match them
        tree, expansions = expand_synonyms(tree, synonyms)
    text_q = request.q if q is None else q
    added = frozenset(id(n) for e in expansions for n in e.alternatives)
    forgiving = forgiving_words(tree, text_q, request.typos, request.prefix, added)
    evaluator = Evaluator(gen, traced, forgiving, request.typos)
    filters = _filters(gen, request, companies)
    positives, negatives = split(tree)
    parts: list[tuple[Node, Matched]] = []
    for node in positives:
        result = evaluator.evaluate(node)
        if result is not None:  # stop words constrain nothing
            parts.append((node, result))
    excluded = evaluator.combine([evaluator.evaluate(n) for n in negatives], all_=True)
    base = evaluator.everything() if excluded is None else excluded

    # match=any: more of the words first, by the share of parts matched as typed (a word
    # matched only through a correction or a completion does not count)
    coverage = None
    if request.match == "any" and len(parts) > 1:
        coverage = np.zeros(evaluator.size, np.float32)
        for _, m in parts:
            coverage += m.exact_mask()
        coverage /= np.float32(len(parts))

    def matched(kept: list[tuple[Node, Matched]], all_: bool) -> Matched:
        text = evaluator.combine([m for _, m in kept], all_=all_) or evaluator.everything()
        if not all_ and coverage is not None:
            evaluator.scale(text, coverage)
        return Matched(text.mask & base.mask, text.scores, text.trace)

    text = matched(parts, all_=request.match == "all")
    relaxed = False
    dropped: list[str] = []
    kept = list(parts)
    if request.match == "all" and len(parts) > 1 and not apply_filters(text.mask, filters).any():
        # Drop the least important word until something matches: words matching nothing
        # first, then the most common ones (they say least about what the reader wants).
        ranked = sorted(parts, key=lambda p: (int(p[1].mask.sum()) > 0, -int(p[1].mask.sum())))
        victims = _victims(ranked, base.mask, filters)
        if victims:
            gone = {id(v) for v in victims}
            kept = [p for p in parts if id(p) not in gone]
            text, relaxed = matched(kept, all_=True), True
            dropped = [_describe(node) for node, _ in victims]
    inexact = None  # match=any orders by coverage instead
    if request.match == "all" and any(m.exact is not None for _, m in kept):
        inexact = np.zeros(evaluator.size, np.int8)
        for _, m in kept:
            if m.exact is not None:
                inexact += m.mask & ~m.exact
    return Plan(
        text=text,
        filters=filters,
        highlight_terms=evaluator.highlight_terms,
        highlight_symbols=evaluator.highlight_symbols,
        relaxed=relaxed,
        dropped=tuple(dropped) if relaxed else (),
        limits=evaluator.limits(),
        tree=tree,
        parts=parts,
        kept=kept,
        excluded=excluded,
        evaluator=evaluator,
        coverage=coverage,
        inexact=inexact,
        corrections=tuple(evaluator.corrections),
        synonyms=tuple(expansions),
    )


def apply_filters(
    mask: np.ndarray, filters: Mapping[str, np.ndarray], without: str | None = None
) -> np.ndarray:
    """The documents of ``mask`` that pass every filter: the matches of a request. With
    ``without``, every filter but that facet's own (facets are disjunctive)."""
    passing = mask.copy()
    for name, f in filters.items():
        if name != without:
            passing &= f
    return passing


def _victims(
    ranked: list[tuple[Node, Matched]], base: np.ndarray, filters: dict[str, np.ndarray]
) -> list[tuple[Node, Matched]]:
    """The fewest parts, taken from the front of ``ranked``, whose removal leaves parts
    that match a document together (inside base and the filters); [] when none does.

    What the parts after the first k have in common only grows with k, so one pass from
    the end finds the smallest k: linear in the number of parts, not quadratic."""
    common = apply_filters(base, filters)
    smallest = None
    for k in range(len(ranked) - 1, 0, -1):  # keep ranked[k:], drop ranked[:k]
        common &= ranked[k][1].mask
        if not common.any():
            break
        smallest = k
    return ranked[:smallest] if smallest is not None else []


def split(tree: Node) -> tuple[list[Node], list[Node]]:
    """Top-level required parts and exclusions of a tree."""
    children = tree.children if isinstance(tree, And) else (tree,)
    positives: list[Node] = [c for c in children if not isinstance(c, Not | MatchAll)]
    negatives: list[Node] = [c for c in children if isinstance(c, Not)]
    return positives, negatives


def _describe(node: Node) -> str:
    """A dropped query part, as the reader wrote it."""
    if isinstance(node, Word):
        return node.text
    if isinstance(node, Ticker):
        return node.label
    if isinstance(node, Or):  # a company expanded to Or(its words, Ticker)
        tickers = [c for c in node.children if isinstance(c, Ticker)]
        if tickers:
            return tickers[0].label
    return to_text(node)


def _filters(
    gen: Generation, request: SearchRequest, companies: CompanyDictionary
) -> dict[str, np.ndarray]:
    """One mask per active filter, keyed by the facet it belongs to."""
    size = gen.doc_count_all
    filters: dict[str, np.ndarray] = {}
    wanted = {
        "tags": request.tags,
        "category": request.categories,
        "author": request.authors,
        "year": request.years,
    }
    for facet, values in wanted.items():
        if values:
            filters[facet] = gen.columns[FACET_FIELDS[facet]].mask_for(values, size)
    if request.tickers:
        find = _finder(companies)
        symbols = tuple(s for t in request.tickers for s in resolve_tickers(t, find))
        filters["tickers"] = gen.columns["tickers"].mask_for(symbols, size)
    if request.date_from or request.date_to:
        filters["published"] = gen.published_between(request.date_from, request.date_to)
    return filters


def order_hits(
    gen: Generation,
    sort: str,
    mask: np.ndarray,
    scores: np.ndarray,
    inexact: np.ndarray | None = None,
) -> np.ndarray:
    """Matching docnums in result order (ties: newer first, then by slug, so the order does
    not depend on where a document sits in the index after incremental updates). By
    relevance, articles matching more of the words as typed come first (``inexact``:
    Meilisearch's typo rule), then by score."""
    docs = np.flatnonzero(mask)
    published = gen.published_seconds[docs]
    slugs = gen.slug_rank[docs]
    if sort == "newest":
        keys: tuple[np.ndarray, ...] = (slugs, -scores[docs], -published)
    elif sort == "oldest":
        # undated articles last
        keys = (slugs, -scores[docs], np.where(np.isinf(published), np.inf, published))
    else:
        keys = (slugs, -published, -scores[docs])
        if inexact is not None:
            keys = (*keys, inexact[docs])
    ordered: np.ndarray = docs[np.lexsort(keys)]
    return ordered
