"""The reference engine: SQLite FTS5 doing the search box's whole job for one request.

Per query it ranks with bm25() (column weights title 5, tags 3, keywords 3, excerpt 2,
body 1), counts the exact total, highlights the title with highlight() and cuts a body
snippet with snippet(), and counts five disjunctive facets with GROUP BY over ordinary
tables joined on the matched rowids. The matched rowids and their scores are written once
per query to a temporary table that the total, the page of hits and the facets all read.
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from searchsvc.entities import TickerMention
from searchsvc.ingest.articles import Article
from searchsvc.query.results import FacetValue

FACETS = ("tags", "category", "author", "tickers", "year")
# facet -> link table holding (id, value); "year" is a column of doc.
_FACET_TABLES = {
    "tags": "doc_tag",
    "category": "doc_category",
    "author": "doc_author",
    "tickers": "doc_ticker",
}
_BM25 = "bm25(fts, 5.0, 2.0, 1.0, 3.0, 3.0)"  # column order: title excerpt body tags keywords
_OPEN, _CLOSE = "\x02", "\x03"  # placeholders swapped for <mark> after escaping
_ORDER = {
    "relevance": "hit.score, hit.id",  # bm25() is lower for better matches
    "newest": "doc.published_at DESC, hit.id",
    "oldest": "doc.published_at IS NULL, doc.published_at, hit.id",
}
SNIPPET_TOKENS = 34  # about 200 characters of English
FACET_LIMIT = 20

_SCHEMA = """
CREATE TABLE doc(id INTEGER PRIMARY KEY, slug TEXT NOT NULL, title TEXT, excerpt TEXT,
  url TEXT, published_at TEXT, day TEXT, year TEXT, author TEXT, category TEXT,
  tags TEXT, keywords TEXT, tickers TEXT);
CREATE TABLE doc_tag(id INTEGER NOT NULL, value TEXT NOT NULL);
CREATE TABLE doc_category(id INTEGER NOT NULL, value TEXT NOT NULL);
CREATE TABLE doc_author(id INTEGER NOT NULL, value TEXT NOT NULL);
CREATE TABLE doc_ticker(id INTEGER NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(title, excerpt, body, tags, keywords,
  tokenize = 'porter unicode61 remove_diacritics 2');
"""
_INDEXES = """
CREATE INDEX doc_day ON doc(day);
CREATE INDEX doc_tag_v ON doc_tag(value, id);
CREATE INDEX doc_tag_i ON doc_tag(id, value);
CREATE INDEX doc_category_v ON doc_category(value, id);
CREATE INDEX doc_category_i ON doc_category(id, value);
CREATE INDEX doc_author_v ON doc_author(value, id);
CREATE INDEX doc_author_i ON doc_author(id, value);
CREATE INDEX doc_ticker_v ON doc_ticker(value, id);
CREATE INDEX doc_ticker_i ON doc_ticker(id, value);
INSERT INTO fts(fts) VALUES ('optimize');
ANALYZE;
"""


class RefQuery(Protocol):
    """What a reference searches for: a benchmarks.querymix.BenchQuery, or the same logical
    query as it comes over HTTP (benchmarks/fts5_http.py)."""

    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def categories(self) -> tuple[str, ...]: ...
    @property
    def date_from(self) -> str | None: ...
    @property
    def date_to(self) -> str | None: ...
    @property
    def sort(self) -> str: ...
    def fts5_match(self) -> str: ...


@dataclass(frozen=True)
class RefHit:
    slug: str
    title: str
    excerpt: str
    url: str | None
    published_at: str | None
    author: str | None
    category: str | None
    tags: list[str]
    keywords: list[str]
    tickers: list[dict[str, str]]
    score: float
    highlights: dict[str, str]


@dataclass(frozen=True)
class RefResults:
    total: int
    hits: list[RefHit]
    facets: dict[str, list[FacetValue]]


def _marked(text: str) -> str:
    """HTML-escape ``text`` and turn the highlight placeholders into <mark> tags."""
    return html.escape(text, quote=False).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _cut(text: str, limit: int = 200) -> str:
    """``text`` shortened to whole words within ``limit`` characters, with … when cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


class Fts5Reference:
    """An FTS5 database in ``path`` plus the per-query search logic."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("PRAGMA temp_store = MEMORY")
        self.conn.execute("PRAGMA cache_size = -65536")

    def close(self) -> None:
        self.conn.close()

    def build(
        self, articles: Sequence[Article], tickers: Sequence[tuple[TickerMention, ...]]
    ) -> None:
        """Index ``articles`` (with their extracted ``tickers``, same order) from scratch."""
        c = self.conn
        c.executescript(_SCHEMA)
        c.execute("BEGIN")
        for rowid, (a, mentions) in enumerate(zip(articles, tickers, strict=True), start=1):
            day = a.published_at[:10] if a.published_at else None
            ticker_json = [{"symbol": m.symbol, "name": m.name} for m in mentions]
            c.execute(
                "INSERT INTO doc VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rowid,
                    a.slug,
                    a.title,
                    a.excerpt,
                    a.url,
                    a.published_at,
                    day,
                    day[:4] if day else None,
                    a.authors[0] if a.authors else None,
                    a.categories[0] if a.categories else None,
                    json.dumps(a.tags),
                    json.dumps(a.keywords),
                    json.dumps(ticker_json),
                ),
            )
            c.execute(
                "INSERT INTO fts(rowid, title, excerpt, body, tags, keywords) VALUES (?,?,?,?,?,?)",
                (
                    rowid,
                    a.title,
                    a.excerpt,
                    a.body_text,
                    " ; ".join(a.tags),
                    " ; ".join(a.keywords),
                ),
            )
            for table, values in (
                ("doc_tag", a.tags),
                ("doc_category", a.categories),
                ("doc_author", a.authors),
            ):
                c.executemany(
                    f"INSERT INTO {table} VALUES (?, ?)",
                    [(rowid, v) for v in dict.fromkeys(values)],
                )
            c.executemany(
                "INSERT INTO doc_ticker VALUES (?, ?, ?)",
                [(rowid, m.symbol, m.name) for m in mentions],
            )
        c.execute("COMMIT")
        c.executescript(_INDEXES)
        self.prepare_search()

    def prepare_search(self) -> None:
        """Make this connection ready to search a built database (its own temporary table)."""
        self.conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hit(id INTEGER PRIMARY KEY, score REAL NOT NULL)"
        )

    def search(self, query: RefQuery, page: int = 1, per_page: int = 10) -> RefResults:
        """Run ``query``: exact total, one page of highlighted hits, five disjunctive facets."""
        c = self.conn
        match = query.fts5_match()
        c.execute("DELETE FROM temp.hit")
        if match:
            c.execute(
                f"INSERT INTO temp.hit SELECT rowid, {_BM25} FROM fts WHERE fts MATCH ?", (match,)
            )
        else:
            c.execute("INSERT INTO temp.hit SELECT id, 0.0 FROM doc")
        filters = self._filters(query)
        where, params = _where(filters, skip=None)
        needs_doc = "published" in filters or query.sort != "relevance"
        join = " JOIN doc ON doc.id = hit.id" if needs_doc else ""
        total = c.execute(f"SELECT COUNT(*) FROM hit{join}{where}", params).fetchone()[0]
        order = _ORDER[query.sort]
        page_rows = c.execute(
            f"SELECT hit.id, hit.score FROM hit{join}{where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        ).fetchall()
        hits = self._hits(page_rows, match)
        facets = {facet: self._facet(facet, filters) for facet in FACETS}
        return RefResults(total=total, hits=hits, facets=facets)

    @staticmethod
    def _filters(query: RefQuery) -> dict[str, tuple[str, list[str]]]:
        """facet -> (SQL condition on hit/doc, parameters).

        The date range is keyed "published", not "year": it is no facet's own filter, so it
        narrows every facet's counts, the year facet's included (as searchsvc does).
        """
        out: dict[str, tuple[str, list[str]]] = {}
        for facet, values in (("tags", query.tags), ("category", query.categories)):
            if values:
                marks = ",".join("?" * len(values))
                table = _FACET_TABLES[facet]
                out[facet] = (
                    f"hit.id IN (SELECT id FROM {table} WHERE value IN ({marks}))",
                    [*values],
                )
        conds, params = [], []
        if query.date_from:
            conds.append("doc.day >= ?")
            params.append(query.date_from)
        if query.date_to:
            conds.append("doc.day <= ?")
            params.append(query.date_to)
        if conds:
            out["published"] = (" AND ".join(conds), params)
        return out

    def _hits(self, rows: list[tuple[int, float]], match: str) -> list[RefHit]:
        """Full hit objects for one page: stored fields, title highlight, body snippet."""
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        docs = {
            row[0]: row
            for row in self.conn.execute(
                "SELECT id, slug, title, excerpt, url, published_at, author, category, tags,"
                f" keywords, tickers FROM doc WHERE id IN ({marks})",
                ids,
            )
        }
        marked: dict[int, tuple[str, str]] = {}
        if match:
            for rowid in ids:
                marked[rowid] = self.conn.execute(
                    f"SELECT highlight(fts, 0, ?, ?), snippet(fts, 2, ?, ?, '…', {SNIPPET_TOKENS})"
                    " FROM fts WHERE fts MATCH ? AND rowid = ?",
                    (_OPEN, _CLOSE, _OPEN, _CLOSE, match, rowid),
                ).fetchone()
        hits = []
        for rowid, score in rows:
            d = docs[rowid]
            title_hl, body_hl = marked.get(rowid, (d[2], ""))
            body = _marked(body_hl) if _OPEN in body_hl else html.escape(_cut(d[3]), quote=False)
            hits.append(
                RefHit(
                    slug=d[1],
                    title=d[2],
                    excerpt=d[3],
                    url=d[4],
                    published_at=d[5],
                    author=d[6],
                    category=d[7],
                    tags=json.loads(d[8]),
                    keywords=json.loads(d[9]),
                    tickers=json.loads(d[10]),
                    score=-score,
                    highlights={"title": _marked(title_hl), "body": body},
                )
            )
        return hits

    def _facet(self, facet: str, filters: dict[str, tuple[str, list[str]]]) -> list[FacetValue]:
        """Counts of ``facet`` over the matches, applying every filter but the facet's own."""
        extra = ["doc.year IS NOT NULL"] if facet == "year" else []
        where, params = _where(filters, skip=facet, extra=extra)
        if facet == "year":
            sql = (
                f"SELECT doc.year, COUNT(*) AS n, NULL FROM hit JOIN doc ON doc.id = hit.id{where}"
            )
            sql += " GROUP BY doc.year"
        else:
            table = _FACET_TABLES[facet]
            label = "MIN(v.label)" if facet == "tickers" else "NULL"
            doc_join = " JOIN doc ON doc.id = hit.id" if "published" in filters else ""
            sql = (
                f"SELECT v.value, COUNT(*) AS n, {label} FROM hit JOIN {table} v ON v.id = hit.id"
                f"{doc_join}{where} GROUP BY v.value"
            )
        sql += f" ORDER BY n DESC, 1 LIMIT {FACET_LIMIT}"
        return [FacetValue(v, n, lbl) for v, n, lbl in self.conn.execute(sql, params)]


def _where(
    filters: dict[str, tuple[str, list[str]]], skip: str | None, extra: Sequence[str] = ()
) -> tuple[str, list[str]]:
    """A WHERE clause ANDing every filter except ``skip``'s (plus ``extra``), and its parameters."""
    conds = [cond for facet, (cond, _) in filters.items() if facet != skip] + list(extra)
    params = [p for facet, (_, ps) in filters.items() if facet != skip for p in ps]
    return (" WHERE " + " AND ".join(conds) if conds else ""), params
