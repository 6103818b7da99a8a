"""The Whoosh schema, its version, and the one function that turns an Article into a document.

Three kinds of fields:
- text fields (analysed, scored, searched by words, with positions for phrases): title,
  excerpt, body, tags, keywords, category, author;
- value fields (exact values, for filters, facets and sorting): tag/category/author/ticker
  values, published date, year; plus `tickers`, which is searched too (query expansion);
- bookkeeping: `slug` (unique key), `fingerprint` (path, hash and slug in one term, so the
  incremental indexer reads the whole index's state from one lexicon), `doc` (stored JSON).
"""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import fields as dataclass_fields
from typing import Any, NamedTuple

from whoosh import fields, formats

from searchsvc.entities import TickerMention
from searchsvc.entities.unknown import UnknownSymbol
from searchsvc.indexing.analysis import (
    PlainWordAnalyzer,
    TextAnalyzer,
    ValuesAnalyzer,
    join_values,
    position_marks,
)
from searchsvc.ingest.model import Article

# Bump when the schema, an analyzer or the document mapping changes: a different version
# on disk forces a full rebuild (see indexer.py).
SCHEMA_VERSION = 3  # 3: body_marks

# Field boosts for unfielded words: title > tags/keywords/tickers > excerpt > body.
TEXT_FIELD_BOOSTS: dict[str, float] = {
    "title": 5.0,
    "tags": 3.0,
    "keywords": 3.0,
    "excerpt": 2.0,
    "category": 1.5,
    "author": 1.0,
    "body": 1.0,
}
TICKER_BOOST = 3.0
# facet name (API) -> value field in the index
FACET_FIELDS: dict[str, str] = {
    "tags": "tag_value",
    "category": "category_value",
    "author": "author_value",
    "tickers": "tickers",
    "year": "year",
}
# query-language field -> text fields it searches
QUERY_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "tag": ("tags",),
    "category": ("category",),
    "author": ("author",),
}
# A ticker's weight in the index: an article about the company (role "primary") always
# outranks one that mentions it in passing (see scoring.Evaluator._ticker).
PRIMARY_TICKER_WEIGHT = 10
MENTIONED_TICKER_WEIGHT_MAX = 2
MAX_UNKNOWN_WEIGHT = 100
# The stored document keeps Article.body_text under the index field's name; stored_document,
# article_from_stored and stored_as_article_json are the only code that knows it.
STORED_BODY = "body"
# A body longer than this keeps its position marks (stored as `body_marks`): its highlight
# is then found from the query terms' positions in the index, at a cost that does not grow
# with the body (query/highlight.py): 0.6-0.9 ms a hit, measured on the news corpus, where
# a scan took 0.44 ms at 8-12k characters, 0.8 at 12-20k, 1.2 at 20-40k, 1.9 at 40-100k.
# Shorter bodies are scanned: cheaper below about this length.
MARKED_BODY_CHARS = 12_000
_LIST_FIELDS = ("authors", "categories", "tags", "keywords")


def _values_field(weighted: bool = False) -> fields.FieldType:
    fmt = formats.Frequency() if weighted else formats.Existence()
    return fields.FieldType(format=fmt, analyzer=ValuesAnalyzer(), scorable=False, stored=False)


def build_schema() -> fields.Schema:
    """The index schema; every analyzer is explicit."""
    text = TextAnalyzer()
    return fields.Schema(
        slug=fields.ID(unique=True),
        fingerprint=fields.ID(),
        title=fields.TEXT(analyzer=text, phrase=True),
        excerpt=fields.TEXT(analyzer=text, phrase=True),
        body=fields.TEXT(analyzer=text, phrase=True),
        tags=fields.TEXT(analyzer=text, phrase=True),
        keywords=fields.TEXT(analyzer=text, phrase=True),
        category=fields.TEXT(analyzer=text, phrase=True),
        author=fields.TEXT(analyzer=text, phrase=True),
        # which words exist (and in how many articles): no frequencies, no positions
        spelling=fields.FieldType(
            format=formats.Existence(), analyzer=PlainWordAnalyzer(), scorable=False
        ),
        tag_value=_values_field(),
        category_value=_values_field(),
        author_value=_values_field(),
        tickers=_values_field(weighted=True),
        # ticker-shaped symbols no company matches, weighted by mentions
        unknown_symbols=_values_field(weighted=True),
        published=_values_field(),
        year=_values_field(),
        doc=fields.STORED(),
        body_marks=fields.STORED(),
    )


class Fingerprint(NamedTuple):
    """What the index knows about one source file without reading stored fields.

    A named tuple, not a dataclass: an incremental run reads one per indexed file (100k
    at 100k articles), and a tuple is built three times as fast."""

    source_path: str
    content_hash: str
    slug: str

    def encode(self) -> str:
        return "\t".join((self.source_path, self.content_hash, self.slug))

    @classmethod
    def decode(cls, term: str) -> Fingerprint:
        source_path, content_hash, slug = term.split("\t", 2)
        return cls(source_path, content_hash, slug)

    @classmethod
    def of_stored(cls, doc: dict[str, Any]) -> Fingerprint:
        """The fingerprint of a stored document (stored_document's)."""
        return cls(doc["source_path"], doc["content_hash"], doc["slug"])


def ticker_weight(mention: TickerMention) -> int:
    if mention.role == "primary":
        return PRIMARY_TICKER_WEIGHT
    return max(1, min(mention.count, MENTIONED_TICKER_WEIGHT_MAX))


def ticker_to_json(mention: TickerMention) -> dict[str, Any]:
    return {
        "symbol": mention.symbol,
        "name": mention.name,
        "role": mention.role,
        "places": sorted(mention.places),
        "count": mention.count,
        "matched": list(mention.matched),
    }


def stored_document(
    article: Article,
    tickers: tuple[TickerMention, ...],
    unknown: tuple[UnknownSymbol, ...],
    indexed_at: str,
) -> dict[str, Any]:
    """The stored part: everything a hit or /api/articles/<slug> shows."""
    doc = asdict(article)
    doc[STORED_BODY] = doc.pop("body_text")
    for key in _LIST_FIELDS:
        doc[key] = list(doc[key])
    doc["tickers"] = [ticker_to_json(t) for t in tickers]
    doc["unknown_symbols"] = [
        {"symbol": u.symbol, "count": u.count, "forms": list(u.forms)} for u in unknown
    ]
    doc["indexed_at"] = indexed_at
    return doc


def article_from_stored(doc: dict[str, Any]) -> Article:
    """The Article a stored document was made from: stored_document's inverse."""
    names = {f.name for f in dataclass_fields(Article)}
    data = {k: v for k, v in doc.items() if k in names}
    data["body_text"] = doc[STORED_BODY]
    for key in _LIST_FIELDS:
        data[key] = tuple(data[key])
    return Article(**data)


def stored_as_article_json(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document under Article's own field names (`body_text`), as
    /api/articles/<slug> shows it."""
    data = dict(doc)
    data["body_text"] = data.pop(STORED_BODY)
    return data


def to_document(
    article: Article,
    tickers: tuple[TickerMention, ...],
    unknown: tuple[UnknownSymbol, ...],
    indexed_at: str,
) -> dict[str, Any]:
    """Article + extracted fields -> the Whoosh document (a pure function)."""
    ticker_terms = [t.symbol for t in tickers for _ in range(ticker_weight(t))]
    year = article.published_at[:4] if article.published_at else ""
    # bodies are not repeated here (a quarter of the indexing time): suggestions also
    # draw on body terms that are words in their own right (see spelling.suggest)
    spelling = "\n".join((article.title, article.excerpt, *article.tags, *article.keywords))
    fingerprint = Fingerprint(article.source_path, article.content_hash, article.slug)
    long_body = len(article.body_text) > MARKED_BODY_CHARS
    return {
        "slug": article.slug,
        "fingerprint": fingerprint.encode(),
        "title": article.title,
        "excerpt": article.excerpt,
        "body": article.body_text,
        "tags": "\n".join(article.tags),
        "keywords": "\n".join(article.keywords),
        "category": "\n".join(article.categories),
        "author": "\n".join(article.authors),
        "spelling": spelling,
        "tag_value": join_values(article.tags),
        "category_value": join_values(article.categories),
        "author_value": join_values(article.authors),
        "tickers": join_values(ticker_terms),
        "unknown_symbols": join_values(
            [u.symbol for u in unknown for _ in range(min(u.count, MAX_UNKNOWN_WEIGHT))]
        ),
        "published": article.published_at or "",
        "year": year,
        "doc": stored_document(article, tickers, unknown, indexed_at),
        **({"body_marks": position_marks(article.body_text)} if long_body else {}),
    }
