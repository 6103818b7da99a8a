"""SearchRequest -> SearchResults: the one search path behind the CLI and the HTTP API.

query text -> syntax tree -> company expansion -> masks and scores (scoring.py) ->
filters -> exact total, disjunctive facets, sort, page -> stored fields and highlights.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

import numpy as np
from whoosh.reading import distance as damerau_distance

from searchsvc.entities.dictionary import CompanyDictionary, default_companies
from searchsvc.entities.tickers import find_companies
from searchsvc.errors import BadQuery
from searchsvc.indexing.analysis import prefix_form, query_terms, term_of
from searchsvc.indexing.schema import FACET_FIELDS
from searchsvc.query.expansion import CompanyFinder, expand_companies, resolve_tickers
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.highlight import (
    analyzed_part,
    literal_spans,
    mark,
    passage,
    snippet_of,
    term_spans,
)
from searchsvc.query.querylang import (
    And,
    MatchAll,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Ticker,
    Word,
    parse,
    to_text,
)
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import FacetValue, Hit, Limit, SearchResults, short_list
from searchsvc.query.scoring import Evaluator, Matched

FACET_SIZE = 20
# Did-you-mean looks up at most this many unknown words (a fuzzy walk of two lexicons
# each), and none longer than a word can be.
MAX_SUGGEST_WORDS = 5
MAX_SUGGEST_WORD_LENGTH = 30


@dataclass
class _Plan:
    """A request turned into masks: the text match and one mask per active filter."""

    text: Matched
    filters: dict[str, np.ndarray]
    highlight_terms: set[str]
    highlight_symbols: set[str]
    relaxed: bool
    dropped: tuple[str, ...]
    limits: list[Limit] = field(default_factory=list)
    # for /admin/explain: the expanded tree, its parts, and the evaluator (with its trace)
    tree: Node | None = None
    parts: list[tuple[Node, Matched]] = field(default_factory=list)
    kept: list[tuple[Node, Matched]] = field(default_factory=list)
    excluded: Matched | None = None
    evaluator: Evaluator | None = None
    coverage: np.ndarray | None = None  # match=any's factor per document, when it applies


def search(
    handle: IndexHandle, request: SearchRequest, companies: CompanyDictionary | None = None
) -> SearchResults:
    """Run one search on the handle's current generation."""
    started = time.perf_counter()
    if companies is None:  # an empty dictionary is a choice, not a missing one
        companies = default_companies()
    with handle.lease() as gen:
        return _search(gen, request, companies, started)


def _search(
    gen: Generation, request: SearchRequest, companies: CompanyDictionary, started: float
) -> SearchResults:
    plan = _plan(gen, request, companies)
    final = plan.text.mask.copy()
    for mask in plan.filters.values():
        final &= mask
    total = int(final.sum())
    order = _order(gen, request.sort, final, plan.text.scores)
    window = order[(request.page - 1) * request.per_page : request.page * request.per_page]
    hits = [_hit(gen, int(d), float(plan.text.scores[d]), plan) for d in window]
    facets = {
        name: _facet(gen, name, _facet_mask(plan, name), companies) for name in request.facets
    }
    suggestion = None
    limits = list(plan.limits)
    if total == 0 or plan.relaxed:
        suggestion = _suggest(gen, request, companies, limits)
    return SearchResults(
        request=request,
        total=total,
        hits=hits,
        facets=facets,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        relaxed=plan.relaxed,
        suggestion=suggestion,
        generation=gen.number,
        dropped=plan.dropped,
        limits=tuple(limits),
    )


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


def _plan(
    gen: Generation,
    request: SearchRequest,
    companies: CompanyDictionary,
    traced: list[int] | None = None,
    q: str | None = None,
) -> _Plan:
    """The request's masks and scores; with ``q``, for that query text instead of
    request.q (our own text, such as a suggestion: not validated as a reader's)."""
    tree = parse_query(request, companies, q)
    evaluator = Evaluator(gen, traced)
    filters = _filters(gen, request, companies)
    positives, negatives = _split(tree)
    parts: list[tuple[Node, Matched]] = []
    for node in positives:
        result = evaluator.evaluate(node)
        if result is not None:  # stop words constrain nothing
            parts.append((node, result))
    excluded = evaluator.combine([evaluator.evaluate(n) for n in negatives], all_=True)
    base = evaluator.everything() if excluded is None else excluded

    coverage = None  # match=any: more of the words first, by the share of parts matched
    if request.match == "any" and len(parts) > 1:
        coverage = np.zeros(evaluator.size, np.float32)
        for _, m in parts:
            coverage += m.mask
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
    if request.match == "all" and len(parts) > 1 and not _any(text, filters):
        # Drop the least important word until something matches: words matching nothing
        # first, then the most common ones (they say least about what the reader wants).
        ranked = sorted(parts, key=lambda p: (int(p[1].mask.sum()) > 0, -int(p[1].mask.sum())))
        victims = _victims(ranked, base.mask, filters)
        if victims:
            gone = {id(v) for v in victims}
            kept = [p for p in parts if id(p) not in gone]
            text, relaxed = matched(kept, all_=True), True
            dropped = [_describe(node) for node, _ in victims]
    return _Plan(
        text,
        filters,
        evaluator.highlight_terms,
        evaluator.highlight_symbols,
        relaxed,
        tuple(dropped) if relaxed else (),
        evaluator.limits(),
        tree=tree,
        parts=parts,
        kept=kept,
        excluded=excluded,
        evaluator=evaluator,
        coverage=coverage,
    )


def _victims(
    ranked: list[tuple[Node, Matched]], base: np.ndarray, filters: dict[str, np.ndarray]
) -> list[tuple[Node, Matched]]:
    """The fewest parts, taken from the front of ``ranked``, whose removal leaves parts
    that match a document together (inside base and the filters); [] when none does.

    What the parts after the first k have in common only grows with k, so one pass from
    the end finds the smallest k: linear in the number of parts, not quadratic."""
    common = base.copy()
    for f in filters.values():
        common &= f
    smallest = None
    for k in range(len(ranked) - 1, 0, -1):  # keep ranked[k:], drop ranked[:k]
        common &= ranked[k][1].mask
        if not common.any():
            break
        smallest = k
    return ranked[:smallest] if smallest is not None else []


def _any(text: Matched, filters: dict[str, np.ndarray]) -> bool:
    mask = text.mask.copy()
    for f in filters.values():
        mask &= f
    return bool(mask.any())


def _split(tree: Node) -> tuple[list[Node], list[Node]]:
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
    wanted = {"tags": request.tags, "category": request.categories, "author": request.authors}
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


def _facet_mask(plan: _Plan, facet: str) -> np.ndarray:
    """Disjunctive: every filter applies except the facet's own."""
    mask = plan.text.mask.copy()
    for name, f in plan.filters.items():
        if name != facet:
            mask &= f
    return mask


def _facet(
    gen: Generation, name: str, mask: np.ndarray, companies: CompanyDictionary
) -> list[FacetValue]:
    column = gen.columns[FACET_FIELDS[name]]
    counts = column.counts(mask)
    nonzero = np.flatnonzero(counts)
    if not len(nonzero):
        return []
    labels = column.values
    top = sorted(nonzero.tolist(), key=lambda i: (-counts[i], labels[i].casefold()))[:FACET_SIZE]
    if name == "tickers":
        return [
            FacetValue(labels[i], int(counts[i]), _company_name(companies, labels[i])) for i in top
        ]
    return [FacetValue(labels[i], int(counts[i])) for i in top]


def _company_name(companies: CompanyDictionary, symbol: str) -> str:
    company = companies.lookup(symbol)
    return company.name if company is not None else symbol


def _order(gen: Generation, sort: str, mask: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Matching docnums in result order (ties: newer first, then by slug, so the order does
    not depend on where a document sits in the index after incremental updates)."""
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
    ordered: np.ndarray = docs[np.lexsort(keys)]
    return ordered


def _hit(gen: Generation, docnum: int, score: float, plan: _Plan) -> Hit:
    doc = gen.stored(docnum)
    # a company found by another of its names is marked as this article writes it
    names = [
        form
        for ticker in doc["tickers"]
        if ticker["symbol"] in plan.highlight_symbols
        for form in ticker["matched"]
    ]

    def spans(text: str) -> list[tuple[int, int]]:
        part = analyzed_part(text)  # never more of a long article than MAX_ANALYZED_CHARS
        return term_spans(part, plan.highlight_terms) + literal_spans(part, names)

    highlights = {"title": mark(doc["title"], spans(doc["title"]))}
    body_spans = spans(doc["body"])
    if body_spans:
        highlights["body"] = passage(doc["body"], body_spans)
    else:  # no text match in the body: the excerpt stands in, as the contract says
        excerpt_spans = spans(doc["excerpt"])
        highlights["body"] = (
            passage(doc["excerpt"], excerpt_spans) if excerpt_spans else snippet_of(doc["excerpt"])
        )
    return Hit(docnum, round(score, 4), doc, highlights)


def _suggest(
    gen: Generation,
    request: SearchRequest,
    companies: CompanyDictionary,
    limits: list[Limit] | None = None,
) -> str | None:
    """A corrected query when some words are unknown to the index and a close word exists.

    At most MAX_SUGGEST_WORDS unknown words are looked up; when there were more, a Limit
    saying so is added to ``limits``."""
    corrected = request.q
    changed = False
    looked_up = 0
    skipped: list[str] = []
    for raw in re.findall(r"[^\W\d_][\w'’]*", request.q):
        word = prefix_form(raw)
        if not 4 <= len(word) <= MAX_SUGGEST_WORD_LENGTH or _known(gen, raw):
            continue
        if looked_up == MAX_SUGGEST_WORDS:
            skipped.append(raw)
            continue
        looked_up += 1
        # Levenshtein here counts a swap of two letters as two edits, hence 2 from 5 letters;
        # at distance 2 the first two letters must agree, which keeps the lookup fast
        maxdist = 1 if len(word) < 5 else 2
        with gen.reading() as reader:
            spelling = list(reader.terms_within("spelling", word, maxdist, prefix=maxdist))
            body = list(reader.terms_within("body", word, maxdist, prefix=maxdist))
        candidates = {t: gen.doc_frequency("spelling", t) for t in spelling}
        # body terms are stems; one that is its own stem is a word as written ("micron")
        for t in body:
            if t not in candidates and term_of(t) == t:
                candidates[t] = gen.doc_frequency("body", t)
        if not candidates:
            continue
        best = min(
            candidates,
            # closest, then most used, then sharing more of the start (typos come later)
            key=lambda t: (
                damerau_distance(word, t),
                -candidates[t],
                -len(os.path.commonprefix([word, t])),
                t,
            ),
        )
        corrected = re.sub(rf"(?<!\w){re.escape(raw)}(?!\w)", best, corrected, count=1)
        changed = True
    if skipped and limits is not None:
        limits.append(
            Limit(
                "suggestion_words",
                f"spelling is checked for at most {MAX_SUGGEST_WORDS} unknown words: "
                f"{short_list(skipped)} not checked",
            )
        )
    if not changed or corrected == request.q:
        return None
    # the corrected query is our text, not the reader's: it may be a little longer than
    # MAX_QUERY_LENGTH, and is checked by searching it, not by validating it
    plan = _plan(gen, request, companies, q=corrected)
    return corrected if plan.text.mask.any() else None


def _known(gen: Generation, raw: str) -> bool:
    terms = query_terms(raw)
    return not terms or any(
        gen.doc_frequency(f, t) > 0 for t in terms for f in ("title", "body", "tags", "keywords")
    )
