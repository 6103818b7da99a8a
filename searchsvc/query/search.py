"""SearchRequest -> SearchResults: the one search path behind the CLI and the HTTP API.

the request's Plan (plan.py: masks and scores of the query, one mask per filter) ->
exact total, disjunctive facets, sort, page -> stored fields and highlights, and a
did-you-mean (spelling.py) when nothing or only a relaxed query matched.
"""

from __future__ import annotations

import time

import numpy as np

from searchsvc.entities.dictionary import CompanyDictionary, default_companies
from searchsvc.indexing.analysis import query_terms
from searchsvc.indexing.schema import FACET_FIELDS
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.highlight import (
    analyzed_part,
    literal_spans,
    mark,
    passage,
    positional_spans,
    snippet_of,
    term_spans,
)
from searchsvc.query.plan import Plan, apply_filters, order_hits, plan_request
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import FacetValue, Hit, SearchResults
from searchsvc.query.spelling import suggest
from searchsvc.query.synonyms import Synonyms, default_synonyms

FACET_SIZE = 20


def search(
    handle: IndexHandle,
    request: SearchRequest,
    companies: CompanyDictionary | None = None,
    synonyms: Synonyms | None = None,
) -> SearchResults:
    """Run one search on the handle's current generation (with the built-in company
    dictionary and synonyms unless others are given)."""
    started = time.perf_counter()
    if companies is None:  # an empty dictionary is a choice, not a missing one
        companies = default_companies()
    if synonyms is None:
        synonyms = default_synonyms()
    with handle.lease() as gen:
        return _search(gen, request, companies, synonyms, started)


def _search(
    gen: Generation,
    request: SearchRequest,
    companies: CompanyDictionary,
    synonyms: Synonyms,
    started: float,
) -> SearchResults:
    plan = plan_request(gen, request, companies, synonyms=synonyms)
    final = apply_filters(plan.text.mask, plan.filters)
    total = int(final.sum())
    order = order_hits(gen, request.sort, final, plan.text.scores, plan.inexact)
    window = order[(request.page - 1) * request.per_page : request.page * request.per_page]
    hits = [_hit(gen, int(d), float(plan.text.scores[d]), plan) for d in window]
    facets = {
        # disjunctive: a facet counts as if its own filter were off
        name: _facet(
            gen, name, apply_filters(plan.text.mask, plan.filters, without=name), companies
        )
        for name in request.facets
    }
    suggestion = None
    limits = list(plan.limits)
    if total == 0 or plan.relaxed:
        suggestion = suggest(gen, request, companies, limits, synonyms)
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
        corrections=plan.corrections,
    )


def _facet(
    gen: Generation, name: str, mask: np.ndarray, companies: CompanyDictionary
) -> list[FacetValue]:
    column = gen.columns[FACET_FIELDS[name]]
    counts = column.counts(mask)
    labels = column.values
    top = column.top(counts, FACET_SIZE)
    if name == "tickers":
        return [
            FacetValue(labels[i], int(counts[i]), _company_name(companies, labels[i])) for i in top
        ]
    return [FacetValue(labels[i], int(counts[i])) for i in top]


def _company_name(companies: CompanyDictionary, symbol: str) -> str:
    company = companies.lookup(symbol)
    return company.name if company is not None else symbol


def _hit(gen: Generation, docnum: int, score: float, plan: Plan) -> Hit:
    stored = gen.stored_fields(docnum)
    doc = stored["doc"]
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
    marks = stored.get("body_marks")
    if marks is not None:  # a long body: its matches from the index, no scan
        names_terms = {term for name in names for term in query_terms(name)}
        positions = gen.term_positions("body", docnum, {*plan.highlight_terms, *names_terms})
        body_marks = memoryview(marks).cast("I")
        body_spans = positional_spans(
            doc["body"], body_marks, positions, plan.highlight_terms, names
        )
    else:
        body_spans = spans(doc["body"])
    if body_spans:
        highlights["body"] = passage(doc["body"], body_spans)
    else:  # no text match in the body: the excerpt stands in, as the contract says
        excerpt_spans = spans(doc["excerpt"])
        highlights["body"] = (
            passage(doc["excerpt"], excerpt_spans) if excerpt_spans else snippet_of(doc["excerpt"])
        )
    return Hit(docnum, round(score, 4), doc, highlights)
