"""A second reference engine: tantivy (through tantivy-py) doing the search box's whole job.

The same articles and the same logical queries as fts5ref.py: BM25 over title, excerpt,
body, tags and keywords with the boosts title 5, tags 3, keywords 3, excerpt 2, body 1
(tantivy scores each field with its own BM25 statistics and sums the boosted scores, as its
own query parser does for several default fields), the exact total, one page of hits
by relevance or newest first, the title and a ~200-character body passage highlighted by
tantivy's SnippetGenerator (turned into HTML-escaped text with <mark>), tag, category and
date filters, and five facets counted over all matches with tantivy's terms aggregation.

Facets are disjunctive as in fts5ref.py: a facet's counts apply every filter except that
facet's own, the date range narrows all five. tantivy-py has no disjunctive facet count of
its own, so the facets that share a query are counted by one ``aggregate`` call, and a facet
whose own filter is set (tags, category) gets one more call over the query without that
filter. tantivy is optional: import this module only when ``import tantivy`` works.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tantivy

from benchmarks.fts5ref import FACET_LIMIT, FACETS, RefHit, RefResults, _cut
from benchmarks.querymix import BenchQuery, Clause, Term
from searchsvc.entities import TickerMention
from searchsvc.ingest.articles import Article
from searchsvc.query.results import FacetValue

ANALYZER = "en_fold"  # simple tokenizer, lower case, ASCII folding, English (Porter) stemmer
BOOSTS = {"title": 5.0, "excerpt": 2.0, "body": 1.0, "tags": 3.0, "keywords": 3.0}
# facet -> the raw (untokenized) fast field its values are counted and filtered on
FACET_FIELDS = {
    "tags": "f_tag",
    "category": "f_category",
    "author": "f_author",
    "tickers": "f_ticker",
    "year": "f_year",
}
SNIPPET_CHARS = 200
TITLE_CHARS = 10_000  # the whole title is one fragment
# a prefix is searched as a regex over the term dictionary (exact total); for highlighting,
# its most frequent expansions in the title and in the body, as many as tantivy's own
# phrase-prefix query expands (50)
PREFIX_EXPANSIONS = 50
WRITER_HEAP = 256_000_000
_MISSING_NEWEST, _MISSING_OLDEST = -1, 99_999_999_999_999  # undated articles sort last


def _analyzer() -> Any:
    """The text analyzer of the searched fields, about FTS5's `porter unicode61
    remove_diacritics 2`."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _schema() -> Any:
    sb = tantivy.SchemaBuilder()
    for name in BOOSTS:
        # title and body are stored for the snippet generator
        sb.add_text_field(name, stored=name in ("title", "body"), tokenizer_name=ANALYZER)
    for field in FACET_FIELDS.values():
        sb.add_text_field(field, fast=True, tokenizer_name="raw")
    sb.add_integer_field("day", indexed=True, fast=True)  # yyyymmdd, for the date range
    sb.add_integer_field("newest", fast=True)  # published_at as digits, for sort=newest
    sb.add_integer_field("oldest", fast=True)
    sb.add_bytes_field("meta", stored=True)  # the hit's other fields as JSON
    return sb.build()


def _timestamp(published_at: str | None) -> int | None:
    """``2025-02-03T10:20:30Z`` -> 20250203102030 (sorts as the ISO string does)."""
    if not published_at:
        return None
    digits = re.sub(r"\D", "", published_at)[:14]
    return int(digits.ljust(14, "0")) if digits else None


class TantivyReference:
    """A tantivy index in ``path`` plus the per-query search logic."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path))
        self.analyzer = _analyzer()
        self.index.register_tokenizer(ANALYZER, self.analyzer)
        self.labels: dict[str, str] = {}  # ticker symbol -> company name (the MIN, as fts5)
        self.searcher: Any = None
        self.segments = 0

    def close(self) -> None:
        self.searcher = None

    def build(
        self,
        articles: Sequence[Article],
        tickers: Sequence[tuple[TickerMention, ...]],
        threads: int = 1,
    ) -> None:
        """Index ``articles`` (with their extracted ``tickers``, same order) from scratch."""
        writer = self.index.writer(WRITER_HEAP, threads)
        writer.delete_all_documents()
        labels: dict[str, str] = {}
        for a, mentions in zip(articles, tickers, strict=True):
            doc = tantivy.Document()
            doc.add_text("title", a.title)
            doc.add_text("excerpt", a.excerpt)
            doc.add_text("body", a.body_text)
            doc.add_text("tags", " ; ".join(a.tags))
            doc.add_text("keywords", " ; ".join(a.keywords))
            for facet, values in (
                ("tags", a.tags),
                ("category", a.categories),
                ("author", a.authors),
                ("tickers", [m.symbol for m in mentions]),
            ):
                for value in dict.fromkeys(values):
                    doc.add_text(FACET_FIELDS[facet], value)
            for m in mentions:
                labels[m.symbol] = min(labels.get(m.symbol, m.name), m.name)
            stamp = _timestamp(a.published_at)
            if a.published_at and stamp is not None:
                doc.add_text(FACET_FIELDS["year"], a.published_at[:4])
                doc.add_integer("day", stamp // 1_000_000)
            doc.add_integer("newest", _MISSING_NEWEST if stamp is None else stamp)
            doc.add_integer("oldest", _MISSING_OLDEST if stamp is None else stamp)
            meta = {
                "slug": a.slug,
                "excerpt": a.excerpt,
                "url": a.url,
                "published_at": a.published_at,
                "author": a.authors[0] if a.authors else None,
                "category": a.categories[0] if a.categories else None,
                "tags": list(a.tags),
                "keywords": list(a.keywords),
                "tickers": [{"symbol": m.symbol, "name": m.name} for m in mentions],
            }
            doc.add_bytes("meta", json.dumps(meta).encode("utf-8"))
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        self.labels = labels
        self.index.reload()
        self.searcher = self.index.searcher()
        self.segments = int(self.searcher.num_segments)

    # -- queries ---------------------------------------------------------------------------

    def _tokens(self, text: str) -> list[str]:
        return list(self.analyzer.analyze(text))

    def _fields(self, make: Any) -> Any:
        """``make(field)`` for each searched field, boosted, any of them matching."""
        subs = [
            (tantivy.Occur.Should, tantivy.Query.boost_query(make(f), b)) for f, b in BOOSTS.items()
        ]
        return tantivy.Query.boolean_query(subs)

    def _term(self, term: Term, highlight: bool) -> Any:
        tokens = self._tokens(term.text)
        if not tokens:
            return tantivy.Query.empty_query()
        if term.prefix:
            stem = tokens[-1]
            if highlight:  # the expansions the snippet generator can mark
                return tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, self._expansions(f, stem)) for f in ("title", "body")]
                )
            return self._fields(lambda f: tantivy.Query.regex_query(self.schema, f, stem + ".*"))
        if len(tokens) == 1:
            return self._fields(lambda f: tantivy.Query.term_query(self.schema, f, tokens[0]))
        return self._fields(lambda f: tantivy.Query.phrase_query(self.schema, f, tokens))

    def _expansions(self, field: str, stem: str) -> Any:
        found = self.searcher.terms_with_prefix(field, stem, limit=PREFIX_EXPANSIONS)
        return tantivy.Query.term_set_query(self.schema, field, [w for w, _ in found] or [stem])

    def _clause(self, clause: Clause, highlight: bool) -> Any:
        alts = [self._term(t, highlight) for t in clause.alternatives]
        if len(alts) == 1:
            return alts[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in alts])

    def text_query(self, query: BenchQuery, highlight: bool = False) -> Any | None:
        """The query's text as a tantivy query (None = every article). ``highlight``: the
        query the snippet generator is given (prefixes as their expansions)."""
        subs = []
        for clause in query.clauses:
            if clause.negated and highlight:
                continue
            occur = tantivy.Occur.MustNot if clause.negated else tantivy.Occur.Must
            subs.append((occur, self._clause(clause, highlight)))
        if not subs:
            return None
        if all(occur == tantivy.Occur.MustNot for occur, _ in subs):
            subs.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        if len(subs) == 1 and subs[0][0] == tantivy.Occur.Must:
            return subs[0][1]
        return tantivy.Query.boolean_query(subs)

    def _filters(self, query: BenchQuery) -> dict[str, Any]:
        """facet -> a filter query that does not score; the date range is keyed "published"
        (no facet's own filter: it narrows every facet's counts, the year facet's too)."""
        out: dict[str, Any] = {}
        for facet, values in (("tags", query.tags), ("category", query.categories)):
            if values:
                q = tantivy.Query.term_set_query(self.schema, FACET_FIELDS[facet], list(values))
                out[facet] = tantivy.Query.const_score_query(q, 0.0)
        if query.date_from or query.date_to:
            low = int(query.date_from.replace("-", "")) if query.date_from else None
            high = int(query.date_to.replace("-", "")) if query.date_to else None
            q = tantivy.Query.range_query(self.schema, "day", tantivy.FieldType.Integer, low, high)
            out["published"] = tantivy.Query.const_score_query(q, 0.0)
        return out

    @staticmethod
    def _combine(text: Any | None, filters: dict[str, Any], skip: str | None = None) -> Any:
        subs = [(tantivy.Occur.Must, text)] if text is not None else []
        subs += [(tantivy.Occur.Must, q) for facet, q in filters.items() if facet != skip]
        if not subs:
            return tantivy.Query.all_query()
        if len(subs) == 1:
            return subs[0][1]
        return tantivy.Query.boolean_query(subs)

    def search(self, query: BenchQuery, page: int = 1, per_page: int = 10) -> RefResults:
        """Run ``query``: exact total, one page of highlighted hits, five disjunctive facets."""
        s = self.searcher
        text = self.text_query(query)
        filters = self._filters(query)
        full = self._combine(text, filters)
        offset = (page - 1) * per_page
        if query.sort == "relevance":
            result = s.search(full, per_page, count=True, offset=offset)
        else:
            field, order = (
                ("newest", tantivy.Order.Desc)
                if query.sort == "newest"
                else ("oldest", tantivy.Order.Asc)
            )
            result = s.search(
                full, per_page, count=True, order_by_field=field, offset=offset, order=order
            )
        scored = query.sort == "relevance"
        hits = self._hits(result.hits, query if text is not None else None, scored)
        return RefResults(total=int(result.count), hits=hits, facets=self._facets(text, filters))

    def _hits(self, rows: list[Any], query: BenchQuery | None, scored: bool) -> list[RefHit]:
        """Full hit objects for one page: stored fields, title highlight, body snippet."""
        if not rows:
            return []
        s = self.searcher
        title_gen = body_gen = None
        if query is not None:
            marks = self.text_query(query, highlight=True)
            if marks is not None:
                title_gen = tantivy.SnippetGenerator.create(s, marks, self.schema, "title")
                title_gen.set_max_num_chars(TITLE_CHARS)
                body_gen = tantivy.SnippetGenerator.create(s, marks, self.schema, "body")
                body_gen.set_max_num_chars(SNIPPET_CHARS)
        hits = []
        for key, address in rows:
            doc = s.doc(address)
            meta = json.loads(doc.get_first("meta"))
            title = doc.get_first("title") or ""
            title_hl = html.escape(title, quote=False)
            body_hl = html.escape(_cut(meta["excerpt"] or ""), quote=False)
            if title_gen is not None and body_gen is not None:
                title_hl = _marked(title_gen.snippet_from_doc(doc), title) or title_hl
                body = doc.get_first("body") or ""
                snippet = body_gen.snippet_from_doc(doc)
                marked = _cut_marks(_marked(snippet), snippet, len(body.strip().encode("utf-8")))
                body_hl = marked or body_hl
            hits.append(
                RefHit(
                    slug=meta["slug"],
                    title=title,
                    excerpt=meta["excerpt"],
                    url=meta["url"],
                    published_at=meta["published_at"],
                    author=meta["author"],
                    category=meta["category"],
                    tags=meta["tags"],
                    keywords=meta["keywords"],
                    tickers=meta["tickers"],
                    score=float(key) if scored else 0.0,
                    highlights={"title": title_hl, "body": body_hl},
                )
            )
        return hits

    def _facets(self, text: Any | None, filters: dict[str, Any]) -> dict[str, list[FacetValue]]:
        """Five facets over the matches, each applying every filter but its own: the facets
        without a filter of their own in one aggregation, each other one in its own."""
        groups: dict[str | None, list[str]] = {}
        for facet in FACETS:
            groups.setdefault(facet if facet in filters else None, []).append(facet)
        terms: dict[str, Any] = {"size": FACET_LIMIT}
        if self.segments > 1:  # exact counts of the top values whatever the segments hold
            terms["segment_size"] = 1_000_000
        out: dict[str, list[FacetValue]] = {}
        for skip, facets in groups.items():
            agg = {f: {"terms": {"field": FACET_FIELDS[f], **terms}} for f in facets}
            result = self.searcher.aggregate(self._combine(text, filters, skip), agg)
            for facet in facets:
                buckets = sorted(
                    result[facet]["buckets"], key=lambda b: (-int(b["doc_count"]), str(b["key"]))
                )
                out[facet] = [
                    FacetValue(
                        str(b["key"]),
                        int(b["doc_count"]),
                        self.labels.get(str(b["key"])) if facet == "tickers" else None,
                    )
                    for b in buckets
                ]
        return {facet: out[facet] for facet in FACETS}


def _marked(snippet: Any, text: str | None = None) -> str:
    """A snippet as HTML-escaped text with <mark> around its highlighted ranges ("" when
    nothing in it is highlighted). Given the field's ``text``, the whole text is marked
    (a title); otherwise the fragment. tantivy gives the ranges as UTF-8 byte
    offsets into the fragment, and the fragment's place in the (stripped) field text."""
    ranges = snippet.highlighted()
    if not ranges:
        return ""
    where = snippet.fragment_range()
    if text is not None:
        raw, shift = text.strip().encode("utf-8"), where.start
    else:
        raw, shift = snippet.fragment().encode("utf-8"), 0
    parts, at = [], 0
    for r in ranges:
        start, end = r.start + shift, r.end + shift
        parts.append(html.escape(raw[at:start].decode("utf-8", "replace"), quote=False))
        word = html.escape(raw[start:end].decode("utf-8", "replace"), quote=False)
        parts.append(f"<mark>{word}</mark>")
        at = end
    parts.append(html.escape(raw[at:].decode("utf-8", "replace"), quote=False))
    return "".join(parts)


def _cut_marks(marked: str, snippet: Any, size: int) -> str:
    """``marked`` (a body fragment) with … on each side where the fragment cuts the text of
    ``size`` UTF-8 bytes."""
    if not marked:
        return ""
    where = snippet.fragment_range()
    return ("… " if where.start > 0 else "") + marked + (" …" if where.end < size else "")
