"""Did you mean: a corrected query when some words of a request are unknown to the index
and a close indexed word exists. Offered to the reader, never searched silently (what a
search corrects by itself is in typos.py; this also offers words too short for that).

The words within reach come from the segments' typo indexes (indexing/vocabulary.py), as
for typo tolerance: a few binary searches a word, never a walk of the vocabulary."""

from __future__ import annotations

import re

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.indexing.analysis import prefix_form, query_terms
from searchsvc.query.generation import Generation
from searchsvc.query.plan import plan_request
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import Limit, short_list
from searchsvc.query.synonyms import Synonyms
from searchsvc.query.typos import best_guess

# Did-you-mean looks up at most this many unknown words, and none longer than a word can be.
MAX_SUGGEST_WORDS = 5
MAX_SUGGEST_WORD_LENGTH = 30
TEXT_FIELDS = ("title", "body", "tags", "keywords")


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
        best = _closest(gen, word)
        if best is None:
            continue
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


def _closest(gen: Generation, word: str) -> str | None:
    """The indexed word closest to ``word`` (folded; one typo from 4 letters, two from 5),
    then the most used: the word to offer in its place; None when none is in reach."""
    allowed = 1 if len(word) < 5 else 2
    found = list(gen.typo_index().within(word, allowed))
    frequency = {c.term: max(gen.doc_frequency(f, c.term) for f in TEXT_FIELDS) for c in found}
    live = [c for c in found if frequency[c.term]]
    return best_guess(live, frequency, word).word if live else None


def _known(gen: Generation, raw: str) -> bool:
    terms = query_terms(raw)
    return not terms or any(gen.doc_frequency(f, t) > 0 for t in terms for f in TEXT_FIELDS)
