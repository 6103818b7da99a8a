"""The "expansions" of /admin/explain: everything a query was searched as beyond its
words (companies, synonyms, prefixes, corrections, completions, relaxation, did-you-mean),
each with the reason it applied. explain.py assembles the rest of the document."""

from __future__ import annotations

from typing import Any

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.indexing.analysis import prefix_form
from searchsvc.query.expansion import MAX_PREFIX_TERMS
from searchsvc.query.generation import Generation
from searchsvc.query.plan import Plan, apply_filters
from searchsvc.query.request import SearchRequest
from searchsvc.query.spelling import suggest
from searchsvc.query.synonyms import Synonyms
from searchsvc.query.tree import Ticker, to_text, walk
from searchsvc.query.typos import GUESS_SHARE, Correction, allowed_typos


def expansions(
    gen: Generation,
    plan: Plan,
    request: SearchRequest,
    companies: CompanyDictionary,
    synonyms: Synonyms,
) -> list[dict[str, Any]]:
    """What the query stood for beyond its words, each with why: companies, synonyms,
    prefixes, corrections, completions, relaxation and did-you-mean."""
    trace = plan.evaluator.trace
    assert trace is not None  # explain plans trace
    out: list[dict[str, Any]] = []
    for used in plan.synonyms:
        out.append(
            {
                "kind": "synonym",
                "written": used.written,
                "also": [to_text(n) for n in used.alternatives],
                "rule": {"line": used.rule.line, "text": used.rule.text, "source": synonyms.source},
                "why": "a synonym rule in force (GET /admin/synonyms) also searches these; "
                "articles found only through them rank below those matching the words as typed",
            }
        )
    for node in walk(plan.tree):
        if isinstance(node, Ticker):
            named = [c for s in node.symbols if (c := companies.lookup(s)) is not None]
            out.append(
                {
                    "kind": "company",
                    "written": node.label,
                    "symbols": list(node.symbols),
                    "companies": [
                        {"symbol": c.symbol, "name": c.name, "aliases": list(c.aliases)}
                        for c in named
                    ],
                    "documents": int(
                        gen.columns["tickers"].mask_for(node.symbols, gen.doc_count_all).sum()
                    ),
                    "why": "a company named by any of its names or symbols also matches the "
                    "articles whose extracted tickers include it",
                }
            )
    for written, by_field in _by_word(trace.prefixes).items():
        out.append(
            {
                "kind": "prefix",
                "written": written,
                "terms": by_field,
                "why": "a word ending in * matches the indexed terms that start with it, "
                f"per field (at most {MAX_PREFIX_TERMS} each)",
            }
        )
    first_of: dict[str, Correction] = {}
    for fix in plan.corrections:
        best = first_of.setdefault(fix.typed, fix)
        out.append({"kind": "correction", **_correction(fix, best, request.typos)})
    for written, by_field in _by_word(plan.evaluator.completions).items():
        out.append(
            {
                "kind": "completion",
                "written": written,
                "terms": by_field,
                "why": "the last word may still be being typed (prefix=last): it also matches "
                "the indexed words it begins, ranked below the word as typed, the frequent "
                "before the rare",
            }
        )
    if plan.relaxed:
        out.append(
            {
                "kind": "relaxation",
                "dropped": list(plan.dropped),
                "why": "no article matched every word, so words were dropped, those matching "
                "nothing first, then the most common (match=all)",
            }
        )
    total = int(apply_filters(plan.text.mask, plan.filters).sum())
    if total == 0 or plan.relaxed:
        suggestion = suggest(gen, request, companies, synonyms=synonyms)
        if suggestion:
            out.append(
                {
                    "kind": "spelling",
                    "suggestion": suggestion,
                    "applied": False,
                    "why": "words unknown to the index have a close indexed word; offered to "
                    "the reader as 'did you mean', never searched silently",
                }
            )
    return out


def _by_word(expanded: list[tuple[str, str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    """(word, field, terms) triples as word -> field -> terms."""
    grouped: dict[str, dict[str, list[str]]] = {}
    for written, field, terms in expanded:
        grouped.setdefault(written, {})[field] = terms
    return grouped


def _correction(fix: Correction, best: Correction, typos: str) -> dict[str, Any]:
    """One word searched for a misspelt one, with why it was chosen (``best`` is the first
    choice for the same typed word)."""
    allowed = allowed_typos(prefix_form(fix.typed), typos)
    typo_count = f"{fix.distance} typo{'s' if fix.distance != 1 else ''} of {allowed} allowed"
    if fix is best:
        why = (
            f"{fix.typed!r} is in no article; {fix.word!r} is the closest indexed word "
            f"({typo_count}), then the most used ({fix.articles} articles)"
        )
    else:
        why = (
            f"as close to {fix.typed!r} as {best.word!r} ({typo_count}) and in "
            f"{fix.articles} articles, at least {GUESS_SHARE:.0%} of {best.word!r}'s: the "
            "reader may have meant either"
        )
    if fix.considered:
        why += f"; also within reach: {', '.join(fix.considered)}"
    return {
        "written": fix.typed,
        "searched": fix.word,
        "term": fix.term,
        "distance": fix.distance,
        "documents": fix.articles,
        "considered": list(fix.considered),
        "why": why + ". Articles found through it rank below those matching the words as typed",
    }
