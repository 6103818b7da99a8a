"""Evaluate a query tree against one Generation: which documents match, and their scores.

Everything is NumPy over whole-index arrays: a node yields a boolean mask over document
numbers and a float32 score array. Text scoring is BM25F as Whoosh defines it (BM25 per
field, weighted by the field's boost, summed); a ticker scores by its weight in the index
(see indexing.schema.ticker_weight), saturating like a term's frequency. Phrases are
checked against stored positions by Whoosh itself, only on the documents that contain all
their words. Prefixes are expanded by expansion.Prefixes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from searchsvc.indexing.analysis import prefix_form, query_terms, term_of
from searchsvc.indexing.schema import QUERY_FIELDS, TEXT_FIELD_BOOSTS, TICKER_BOOST
from searchsvc.query.expansion import MIN_PREFIX_LENGTH, Prefixes
from searchsvc.query.forgiving import Forgiving
from searchsvc.query.generation import Generation
from searchsvc.query.matches import K1, Leaf, Matched, Trace, bm25, idf
from searchsvc.query.results import Limit, short_list
from searchsvc.query.tree import And, DateRange, MatchAll, Node, Not, Or, Phrase, Ticker, Word
from searchsvc.query.typos import Correction, allowed_typos, best_guesses

# Phrases are matched by reading each term's positions in every article that has it (the
# costliest read there is, about 3 us a posting): at most this many postings per query,
# counted once per field and term; a phrase that would need more is searched as its
# words, all of them but anywhere.
MAX_PHRASE_POSTINGS = 60_000
# A last word this short completes only to this many terms per field, the most frequent:
# "ai" could be the start of thousands of words, and few of them are what a reader means.
SHORT_PREFIX_LENGTH = 2
SHORT_PREFIX_TERMS = 8
# Longer ones to this many, the most frequent: every term costs a postings read the first
# time a generation meets it, and the 17th most frequent completion of "stra" adds little
# a reader typing it wants (`word*`, asked for, still gets MAX_PREFIX_TERMS).
COMPLETION_TERMS = 16
# The order in which a response lists the limits of its query
LIMIT_ORDER = (
    *("prefix_too_short", "prefix_words", "phrase_postings", "prefix_terms", "typo_words"),
)
# Misspelt words looked up per query (each a few dozen binary searches); later ones are
# searched as typed
MAX_CORRECTED_WORDS = 8


class Evaluator:
    """Evaluates nodes on one generation; remembers terms for highlighting.

    With ``traced`` document numbers it also keeps, for those documents only, each leaf's
    share of the score (``Matched.trace``, ``self.trace.leaves``): what /admin/explain
    shows. Without, no tracing work is done."""

    def __init__(
        self,
        gen: Generation,
        traced: Sequence[int] | None = None,
        forgiving: Forgiving | None = None,
        typos: str = "0",
    ) -> None:
        self.gen = gen
        self.forgiving = forgiving or Forgiving(frozenset(), None)
        self.typos = typos
        self.corrections: list[Correction] = []
        self.typo_lookups = 0
        self.uncorrected: list[str] = []  # over MAX_CORRECTED_WORDS: searched as typed
        self.completions: list[tuple[str, str, list[str]]] = []  # word, field, terms
        self.size = gen.doc_count_all
        self.highlight_terms: set[str] = set()
        self.highlight_symbols: set[str] = set()  # companies matched by ticker
        self.trace: Trace | None = None
        self.prefixes = Prefixes(gen)  # which terms each prefix stands for, within limits
        self.phrase_reads: set[tuple[str, str]] = set()  # (field, term) positions read
        self.phrase_postings = 0  # what those reads cost, in postings
        self.unphrased: list[str] = []  # phrases searched as words (over the budget)
        if traced is not None:
            docnums = np.asarray(list(dict.fromkeys(traced)), dtype=np.int64)
            slot = np.full(self.size, -1, dtype=np.int64)
            slot[docnums] = np.arange(len(docnums))
            self.trace = Trace(docnums, slot)

    def limits(self) -> list[Limit]:
        """The limits that changed what the evaluated nodes searched for."""
        out = self.prefixes.limits()
        if self.uncorrected:
            out.append(
                Limit(
                    "typo_words",
                    f"typos are looked up for at most {MAX_CORRECTED_WORDS} words per query: "
                    f"{short_list(self.uncorrected)} searched as typed",
                )
            )
        if self.unphrased:
            out.append(
                Limit(
                    "phrase_postings",
                    f"phrases of words this common cost too much to match together: "
                    f"{short_list(self.unphrased)} searched as words",
                )
            )
        return sorted(out, key=lambda limit: LIMIT_ORDER.index(limit.code))

    def _traced(self) -> dict[int, np.ndarray] | None:
        return None if self.trace is None else {}

    def empty(self) -> Matched:
        return Matched(np.zeros(self.size, bool), np.zeros(self.size, np.float32), self._traced())

    def everything(self) -> Matched:
        return Matched(self.gen.alive.copy(), np.zeros(self.size, np.float32), self._traced())

    def _leaf(self, result: Matched, leaf: Leaf, ids: np.ndarray, values: np.ndarray) -> None:
        """Record one leaf's contributions to ``result`` (callers check that it traces)."""
        if self.trace is None or result.trace is None or not len(ids):
            return
        self.trace.leaves.append(leaf)
        result.trace[len(self.trace.leaves) - 1] = self.trace.shares(ids, values)

    def scale(self, result: Matched, factor: np.ndarray) -> None:
        """Multiply scores (and their traced shares) by a per-document factor."""
        result.scores *= factor
        if self.trace is not None and result.trace is not None:
            at = factor[self.trace.docnums].astype(np.float32)
            for key in result.trace:
                result.trace[key] = result.trace[key] * at

    def evaluate(self, node: Node, positive: bool = True) -> Matched | None:
        """The node's matches; None for a node that constrains nothing (a stop word).
        What a synonym added matches inexactly (it ranks below the words as typed)."""
        result = self._evaluate(node, positive)
        if result is not None and id(node) in self.forgiving.synonyms:
            result.exact = np.zeros(self.size, bool)
        return result

    def _evaluate(self, node: Node, positive: bool) -> Matched | None:
        if isinstance(node, MatchAll):
            return self.everything()
        if isinstance(node, Word):
            return self._word(node, positive)
        if isinstance(node, Phrase):
            return self._phrase(node, positive)
        if isinstance(node, Ticker):
            if positive:
                self.highlight_symbols.update(node.symbols)
            return self._ticker(node)
        if isinstance(node, DateRange):
            return self._dates(node)
        if isinstance(node, Not):
            inner = self.evaluate(node.child, positive=not positive)
            if inner is None:
                return None
            # excluded as typed: a correction or completion never widens an exclusion
            return Matched(
                self.gen.alive & ~inner.exact_mask(),
                np.zeros(self.size, np.float32),
                self._traced(),
            )
        if isinstance(node, And):
            return self.combine([self.evaluate(c, positive) for c in node.children], all_=True)
        if isinstance(node, Or):
            return self.combine([self.evaluate(c, positive) for c in node.children], all_=False)
        raise TypeError(f"unknown query node {node!r}")

    def combine(self, parts: list[Matched | None], all_: bool) -> Matched | None:
        present = [p for p in parts if p is not None]
        if not present:
            return None
        mask = present[0].mask.copy()
        scores = present[0].scores.copy()
        for part in present[1:]:
            if all_:
                mask &= part.mask
            else:
                mask |= part.mask
            scores += part.scores
        scores[~mask] = 0.0
        trace = None
        if self.trace is not None:
            keep = mask[self.trace.docnums].astype(np.float32)
            trace = {k: v * keep for p in present if p.trace for k, v in p.trace.items()}
        exact = None
        if any(p.exact is not None for p in present):
            exact = present[0].exact_mask().copy()
            for part in present[1:]:
                if all_:
                    exact &= part.exact_mask()
                else:
                    exact |= part.exact_mask()
        return Matched(mask, scores, trace, exact)

    def _fields(self, word_field: str | None) -> dict[str, float]:
        if word_field is None:
            return TEXT_FIELD_BOOSTS
        return {f: TEXT_FIELD_BOOSTS[f] for f in QUERY_FIELDS[word_field]}

    def _term_any_field(
        self, term: str, fields: dict[str, float], written: str, kind: str = "term"
    ) -> Matched:
        result = self.empty()
        for field_name, boost in fields.items():
            ids, contributions = bm25(self.gen, field_name, term, boost)
            result.mask[ids] = True
            np.add.at(result.scores, ids, contributions)
            if self.trace is not None:  # /admin/explain only: nothing extra on a search
                df = len(ids)
                leaf = Leaf(kind, field_name, term, boost, df, idf(self.gen, df), written)
                self._leaf(result, leaf, ids, contributions)
        return result

    def _complete(self, node: Word, term: str, fields: dict[str, float], exact: Matched) -> Matched:
        """The last word as typed, or any indexed word it begins (the reader may still be
        typing it). Completions rank below the word as typed (Matched.exact), and, by
        sharing the idf of the most frequent one and a weight growing with their own
        frequency, a frequent completion ranks above a rare one.

        The word as typed counts as a whole word only when articles write it so (it is in
        the `spelling` vocabulary) or it is its own stem: "amaz" is the stem of "amazing",
        but a reader who typed it is as likely on the way to "amazon", so there its stem
        is one more completion."""
        prefix = prefix_form(node.text)
        if len(prefix) < MIN_PREFIX_LENGTH:
            return exact
        whole = term == prefix or self.gen.doc_frequency("spelling", prefix) > 0
        limit = SHORT_PREFIX_TERMS if len(prefix) <= SHORT_PREFIX_LENGTH else COMPLETION_TERMS
        parts: list[Matched | None] = [exact] if whole else []
        for field_name, boost in fields.items():
            terms = [
                t
                for t in self.gen.expand_prefix(field_name, prefix, limit).terms
                if t != term or not whole
            ]
            if not whole and term not in terms and self.gen.doc_frequency(field_name, term):
                terms.append(term)
            if not terms:
                continue
            frequency = {t: self.gen.doc_frequency(field_name, t) for t in terms}
            top = max(frequency.values())
            shared = idf(self.gen, top)
            self.completions.append((node.text, field_name, terms))
            for t in terms:
                weight = boost * shared * math.log1p(frequency[t]) / math.log1p(top)
                ids, contributions = bm25(self.gen, field_name, t, boost, weight)
                part = self.empty()
                part.mask[ids] = True
                np.add.at(part.scores, ids, contributions)
                if self.trace is not None:
                    leaf = Leaf("completion", field_name, t, boost, len(ids), shared, node.text)
                    self._leaf(part, leaf, ids, contributions)
                parts.append(part)
                self.highlight_terms.add(t)
        if whole and len(parts) == 1:
            return exact
        completed = self.combine(parts, all_=False) or exact
        completed.exact = exact.mask.copy() if whole else np.zeros(self.size, bool)
        return completed

    def _correct(self, node: Word, fields: dict[str, float]) -> Matched | None:
        """The word searched under the closest indexed spelling (typos.py), when the index
        does not know it and one is within the typos it may have; None otherwise."""
        typed = prefix_form(node.text)
        allowed = allowed_typos(typed, self.typos)
        if not allowed:
            return None
        if self.typo_lookups == MAX_CORRECTED_WORDS:
            self.uncorrected.append(node.text)
            return None
        self.typo_lookups += 1
        index = self.gen.typo_index()
        stem = term_of(node.text)
        found = list(index.within(typed, allowed))
        if stem and stem != typed:
            found += index.within(stem, allowed)
        frequency = {c.term: self._articles_with(c.term, fields) for c in found}
        live = [c for c in found if frequency[c.term]]
        if not live:
            return None
        guesses = best_guesses(live, frequency, typed)
        chosen = {g.term for g in guesses}
        others = tuple(dict.fromkeys(c.word for c in live if c.term not in chosen))
        parts: list[Matched | None] = []
        for guess in guesses:
            self.corrections.append(
                Correction(
                    node.text, guess.word, guess.term, guess.distance, frequency[guess.term], others
                )
            )
            self.highlight_terms.add(guess.term)
            parts.append(self._term_any_field(guess.term, fields, node.text, kind="correction"))
        result = self.combine(parts, all_=False)
        assert result is not None
        result.exact = np.zeros(self.size, bool)
        return result

    def _articles_with(self, term: str, fields: dict[str, float]) -> int:
        """How many articles have the term in one of the fields, at least (the largest
        field's count: exact enough to rank candidates, and no postings merged)."""
        return max(self.gen.doc_frequency(f, term) for f in fields)

    def _word(self, node: Word, positive: bool) -> Matched | None:
        if node.field == "ticker":
            raise ValueError("ticker: words are resolved before evaluation")
        fields = self._fields(node.field)
        if node.prefix:
            prefix = prefix_form(node.text)
            if not prefix:
                return None
            expanded = self.prefixes.expand(node, prefix, fields)
            if expanded is None:
                return self._word(Word(node.text, node.field), positive)
            written = f"{node.text}*"
            parts: list[Matched | None] = []
            for field_name, terms in expanded.items():
                if self.trace is not None and positive:
                    self.trace.prefixes.append((written, field_name, terms))
                one_field = {field_name: fields[field_name]}
                for term in terms:
                    parts.append(self._term_any_field(term, one_field, written))
                    if positive:
                        self.highlight_terms.add(term)
            return self.combine(parts, all_=False) or self.empty()
        terms = query_terms(node.text)
        if not terms:
            return None
        if len(terms) > 1:  # "e-commerce", "U.S.-China": the parts, adjacent
            return self._phrase(Phrase(tuple(node.text.split()), node.field), positive)
        if positive:
            self.highlight_terms.add(terms[0])
        result = self._term_any_field(terms[0], fields, node.text)
        if not positive:
            return result
        if id(node) == self.forgiving.completing:
            result = self._complete(node, terms[0], fields, result)
        if id(node) in self.forgiving.correctable and not (result.mask & self.gen.alive).any():
            corrected = self._correct(node, fields)
            if corrected is not None:
                return corrected
        return result

    def _phrase(self, node: Phrase, positive: bool) -> Matched | None:
        terms = query_terms(" ".join(node.words))
        if not terms:
            return None
        if len(terms) == 1:
            return self._word(Word(" ".join(node.words), node.field), positive)
        written = '"' + " ".join(node.words) + '"'
        fields = self._fields(node.field)
        meeting = {f: b for f, b in fields.items() if self._all_meet(f, terms)}
        reads = {(f, t) for f in meeting for t in terms} - self.phrase_reads
        cost = sum(len(self.gen.postings(f, t)[0]) for f, t in reads)
        if positive:
            self.highlight_terms.update(terms)
        if self.phrase_postings + cost > MAX_PHRASE_POSTINGS:
            self.unphrased.append(written)
            parts = [self._term_any_field(t, fields, written) for t in dict.fromkeys(terms)]
            return self.combine(list(parts), all_=True)
        self.phrase_reads |= reads
        self.phrase_postings += cost
        result = self.empty()
        for field_name, boost in meeting.items():
            in_field = self.gen.phrase_docs(field_name, terms)
            if not in_field.any():
                continue
            scores = np.zeros(self.size, np.float32)
            for term in terms:
                ids, contributions = bm25(self.gen, field_name, term, boost)
                np.add.at(scores, ids, contributions)
                if self.trace is not None:
                    found = in_field[ids]  # only where the whole phrase is in this field
                    df = len(ids)
                    leaf = Leaf(
                        "phrase term", field_name, term, boost, df, idf(self.gen, df), written
                    )
                    self._leaf(result, leaf, ids[found], contributions[found])
            result.mask |= in_field
            result.scores += np.where(in_field, scores, 0.0).astype(np.float32)
        return result

    def _all_meet(self, field_name: str, terms: list[str]) -> bool:
        """Whether some article has every one of terms in the field (from the postings:
        where none has, a phrase needs no positions read)."""
        common = self.gen.postings(field_name, terms[0])[0]
        for term in terms[1:]:
            if not len(common):
                break
            common = np.intersect1d(common, self.gen.postings(field_name, term)[0], True)
        return bool(len(common))

    def _ticker(self, node: Ticker) -> Matched:
        result = self.empty()
        for symbol in node.symbols:
            ids, mentions = self.gen.postings("tickers", symbol)
            if not len(ids):
                continue
            ticker_idf = idf(self.gen, len(ids))
            result.mask[ids] = True
            # saturating in the number of mentions: an article about a company outranks a mention
            contributions = (TICKER_BOOST * ticker_idf * mentions / (mentions + K1)).astype(
                np.float32
            )
            np.add.at(result.scores, ids, contributions)
            if self.trace is not None:
                df = len(ids)
                leaf = Leaf("ticker", "tickers", symbol, TICKER_BOOST, df, ticker_idf, node.label)
                self._leaf(result, leaf, ids, contributions)
        return result

    def _dates(self, node: DateRange) -> Matched:
        mask = self.gen.published_between(node.start, node.end)
        return Matched(mask, np.zeros(self.size, np.float32), self._traced())
