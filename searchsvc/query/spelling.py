"""Did you mean: a corrected query when some words of a request are unknown to the index
and a close indexed word exists. Offered to the reader, never searched silently."""

from __future__ import annotations

import os
import re

from whoosh.reading import distance as damerau_distance

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.indexing.analysis import prefix_form, query_terms, term_of
from searchsvc.query.generation import Generation
from searchsvc.query.plan import plan_request
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import Limit, short_list
from searchsvc.query.synonyms import Synonyms

# Did-you-mean looks up at most this many unknown words (a fuzzy walk of two lexicons
# each), and none longer than a word can be.
MAX_SUGGEST_WORDS = 5
MAX_SUGGEST_WORD_LENGTH = 30


def suggest(
    gen: Generation,
    request: SearchRequest,
    companies: CompanyDictionary,
    limits: list[Limit] | None = None,
    synonyms: Synonyms | None = None,
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
    plan = plan_request(gen, request, companies, q=corrected, synonyms=synonyms)
    return corrected if plan.text.mask.any() else None


def _known(gen: Generation, raw: str) -> bool:
    terms = query_terms(raw)
    return not terms or any(
        gen.doc_frequency(f, t) > 0 for t in terms for f in ("title", "body", "tags", "keywords")
    )
