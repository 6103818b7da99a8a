"""Why a query returns what it returns: the evidence behind /admin/explain.

The search is run twice on one generation: once as readers get it, to find the top hits,
then again with those documents (and the one asked about) traced, so every score comes
with the shares that make it up. The shares are recorded inside the same evaluation that
produces the score (scoring.Evaluator with ``traced``), so they add up to it by
construction: through And, Or, Not, phrases, relaxation and match=any's coverage factor.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from searchsvc.entities.dictionary import CompanyDictionary, default_companies
from searchsvc.indexing.analysis import query_terms
from searchsvc.indexing.replay import explain_analysis
from searchsvc.indexing.schema import (
    MENTIONED_TICKER_WEIGHT_MAX,
    PRIMARY_TICKER_WEIGHT,
    QUERY_FIELDS,
    TEXT_FIELD_BOOSTS,
    TICKER_BOOST,
)
from searchsvc.query.explain_expansions import expansions
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.matches import K1, B, Leaf, Trace
from searchsvc.query.plan import Plan, apply_filters, order_hits, plan_request, split
from searchsvc.query.querylang import parse
from searchsvc.query.request import SearchRequest
from searchsvc.query.scoring import Evaluator
from searchsvc.query.synonyms import Synonyms, default_synonyms
from searchsvc.query.tree import Node, Not, Phrase, Ticker, Word, to_json, to_text, walk

EXPLAIN_HITS = 10
WHY_NOT_FIELDS = tuple(TEXT_FIELD_BOOSTS)


def explain(
    handle: IndexHandle,
    request: SearchRequest,
    companies: CompanyDictionary | None = None,
    slug: str | None = None,
    hits: int = EXPLAIN_HITS,
    synonyms: Synonyms | None = None,
) -> dict[str, Any]:
    """The /admin/explain document for one request (and, with ``slug``, why-not)."""
    if companies is None:  # an empty dictionary is a choice, not a missing one
        companies = default_companies()
    if synonyms is None:
        synonyms = default_synonyms()
    with handle.lease() as gen:
        first = plan_request(gen, request, companies, synonyms=synonyms)
        order = order_hits(
            gen,
            request.sort,
            apply_filters(first.text.mask, first.filters),
            first.text.scores,
            first.inexact,
        )
        top = [int(d) for d in order[:hits]]
        target = gen.docnum_for_slug(slug) if slug else None
        traced = top + ([target] if target is not None else [])
        plan = plan_request(gen, request, companies, traced=traced, synonyms=synonyms)
        trace = plan.evaluator.trace
        assert trace is not None
        parsed = parse(request.q, strict=request.strict)
        result: dict[str, Any] = {
            "query": request.q,
            "generation": gen.number,
            "match": request.match,
            "sort": request.sort,
            "parsed": {"text": to_text(parsed), "tree": to_json(parsed)},
            "expanded": {"text": to_text(plan.tree), "tree": to_json(plan.tree)},
            "terms": _terms(parsed),
            "expansions": expansions(gen, plan, request, companies, synonyms),
            # what the reader's response says in "limits" (did-you-mean's own aside)
            "limits": [asdict(limit) for limit in plan.limits],
            "filters": _filters(request, plan),
            "total": int(apply_filters(plan.text.mask, plan.filters).sum()),
            "scoring": {
                "model": "BM25F: per field, boost * idf * tf * (k1 + 1) / (tf + k1 * "
                "(1 - b + b * field_length / avg_field_length)), summed over fields and terms",
                "k1": K1,
                "b": B,
                "idf": "ln(1 + (N - df + 0.5) / (df + 0.5))",
                "ticker": f"{TICKER_BOOST:g} * idf * weight / (weight + k1); weight "
                f"{PRIMARY_TICKER_WEIGHT} for an article about the company, else its mention "
                f"count up to {MENTIONED_TICKER_WEIGHT_MAX}",
                "documents": gen.doc_count,
            },
            "hits": [
                _explained_hit(gen, plan, trace, docnum, rank)
                for rank, docnum in enumerate(top, start=1)
            ],
        }
        if slug is not None:
            result["why_not"] = _why_not(gen, plan, request, trace, slug, target, order)
        return result


# --- the query ---------------------------------------------------------------------------


def _terms(parsed: Node) -> list[dict[str, Any]]:
    """Each word of the query as the text fields analyse it: token -> normalized -> term."""
    rows = []
    for node in walk(parsed):
        if isinstance(node, Word):
            written, field = node.text, node.field
        elif isinstance(node, Phrase):
            written, field = " ".join(node.words), node.field
        else:
            continue
        row: dict[str, Any] = {"written": written, "field": field, "tokens": []}
        if isinstance(node, Word) and node.prefix:
            row["written"] += "*"
        if field != "ticker":  # a company, not words: see "expansions"
            # the text fields share one analyzer; a fielded word uses its field's
            analysed = QUERY_FIELDS[field][0] if field in QUERY_FIELDS else "body"
            row["tokens"] = [asdict(t) for t in explain_analysis(analysed, written)]
        rows.append(row)
    return rows


def _filters(request: SearchRequest, plan: Plan) -> list[dict[str, Any]]:
    written = {
        "tags": list(request.tags),
        "category": list(request.categories),
        "author": list(request.authors),
        "tickers": list(request.tickers),
        "year": list(request.years),
        "published": [v for v in (request.date_from, request.date_to) if v],
    }
    return [
        {"filter": name, "values": written.get(name, []), "documents": int(mask.sum())}
        for name, mask in plan.filters.items()
    ]


# --- scores ------------------------------------------------------------------------------


def _breakdown(
    gen: Generation, plan: Plan, trace: Trace, factor: float, docnum: int
) -> list[dict[str, Any]]:
    slot = int(trace.slot[docnum])
    shares = plan.text.trace or {}
    rows = []
    for key, values in shares.items():
        value = float(values[slot])
        if value == 0.0:
            continue
        leaf: Leaf = trace.leaves[key]
        ids, weights = gen.postings(leaf.field, leaf.term)
        at = np.flatnonzero(ids == docnum)
        tf = float(weights[at[0]]) if len(at) else 0.0
        row: dict[str, Any] = {
            "kind": leaf.kind,
            "written": leaf.written,
            "field": leaf.field,
            "term": leaf.term,
            "tf": tf,
            "df": leaf.df,
            "idf": round(leaf.idf, 6),
            "boost": leaf.boost,
            "value": value,
        }
        if leaf.kind == "ticker":
            row["tf_is"] = (
                f"ticker weight ({PRIMARY_TICKER_WEIGHT} = the article is about the company)"
            )
        else:
            row["field_length"] = float(gen.lengths[leaf.field][docnum])
            row["avg_field_length"] = round(gen.avg_length[leaf.field], 3)
        if factor != 1.0:
            row["before_factors"] = value / factor if factor else 0.0
        rows.append(row)
    rows.sort(key=lambda r: -r["value"])
    return rows


def _explained_hit(
    gen: Generation,
    plan: Plan,
    trace: Trace,
    docnum: int,
    rank: int,
) -> dict[str, Any]:
    """One hit's score and its breakdown; match=any's coverage is its one other factor."""
    factor = 1.0 if plan.coverage is None else float(plan.coverage[docnum])
    breakdown = _breakdown(gen, plan, trace, factor, docnum)
    hit: dict[str, Any] = {
        "slug": gen.stored(docnum)["slug"],
        "rank": rank,
        "score": float(plan.text.scores[docnum]),
        "breakdown": breakdown,
        "breakdown_sum": float(sum(r["value"] for r in breakdown)),
        "factors": [],
    }
    if plan.coverage is not None:
        hit["factors"].append(
            {
                "name": "match=any coverage",
                "value": factor,
                "why": "share of the query's parts this article matches; every share above "
                "is multiplied by it",
            }
        )
    return hit


# --- why not -----------------------------------------------------------------------------


def _why_not(
    gen: Generation,
    plan: Plan,
    request: SearchRequest,
    trace: Trace,
    slug: str,
    docnum: int | None,
    order: np.ndarray,
) -> dict[str, Any]:
    if docnum is None:
        return {
            "slug": slug,
            "exists": False,
            "matched": False,
            "rank": None,
            "missing_terms": [],
            "excluded_by": [
                {
                    "kind": "not_indexed",
                    "why": f"no article has this slug in generation {gen.number}",
                }
            ],
        }
    matched = bool(apply_filters(plan.text.mask, plan.filters)[docnum])
    positions = np.flatnonzero(order == docnum)
    rank = int(positions[0]) + 1 if len(positions) else None
    result: dict[str, Any] = {
        "slug": slug,
        "exists": True,
        "matched": matched,
        "rank": rank,
        "excluded_by": _excluded_by(gen, plan, request, docnum),
        "missing_terms": _missing_terms(gen, plan, docnum),
    }
    if matched and rank is not None:
        result.update(_explained_hit(gen, plan, trace, docnum, rank))
        result["slug"] = slug
    return result


def _excluded_by(
    gen: Generation, plan: Plan, request: SearchRequest, docnum: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kept = [node for node, _ in plan.kept]
    for node, part in plan.parts:
        if not part.mask[docnum] and node in kept:
            out.append(
                {
                    "kind": "clause",
                    "clause": to_text(node),
                    "why": "every part of the query must match (match=all)"
                    if request.match == "all"
                    else "no part of the query matches (match=any)",
                }
            )
    if request.match == "any" and any(part.mask[docnum] for _, part in plan.kept):
        out = []  # one matching part is enough
    for node in split(plan.tree)[1]:
        assert isinstance(node, Not)
        inner = Evaluator(gen).evaluate(node.child, positive=False)
        if inner is not None and inner.mask[docnum]:
            out.append(
                {"kind": "exclusion", "clause": to_text(node), "why": "the query excludes it"}
            )
    stored = gen.stored(docnum)
    has = {
        "tags": stored.get("tags", []),
        "category": stored.get("categories", []),
        "author": stored.get("authors", []),
        "tickers": [t["symbol"] for t in stored.get("tickers", [])],
        "published": [stored.get("published_at")],
    }
    for name, mask in plan.filters.items():
        if not mask[docnum]:
            out.append(
                {
                    "kind": "filter",
                    "filter": name,
                    "document_has": has.get(name, []),
                    "why": f"the {name} filter does not include this article's value",
                }
            )
    if not gen.alive[docnum]:
        out.append({"kind": "deleted", "why": "the document is deleted in this generation"})
    return out


def _missing_terms(gen: Generation, plan: Plan, docnum: int) -> list[dict[str, Any]]:
    """Query terms (as indexed) that this article has in none of the fields searched."""
    missing: list[dict[str, Any]] = []
    for node in walk(plan.tree):
        if isinstance(node, Ticker):
            column = gen.columns["tickers"].mask_for(node.symbols, gen.doc_count_all)
            if not column[docnum]:
                missing.append({"written": node.label, "ticker": list(node.symbols)})
            continue
        if isinstance(node, Word):
            written, field, terms = node.text, node.field, query_terms(node.text)
        elif isinstance(node, Phrase):
            written, field = " ".join(node.words), node.field
            terms = query_terms(written)
        else:
            continue
        if node.field == "ticker" or (isinstance(node, Word) and node.prefix):
            continue
        fields = QUERY_FIELDS.get(field, WHY_NOT_FIELDS) if field else WHY_NOT_FIELDS
        for term in terms:
            if not any(_has_term(gen, f, term, docnum) for f in fields):
                missing.append({"written": written, "term": term, "fields": list(fields)})
    return missing


def _has_term(gen: Generation, field: str, term: str, docnum: int) -> bool:
    ids, _ = gen.postings(field, term)
    return bool((ids == docnum).any())
