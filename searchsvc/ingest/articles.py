"""Parse one Markdown file's bytes into a frozen :class:`Article` (finding and reading
the files of a content folder is scan.py's job).

Frontmatter keys differ between sites (the seed site, Hugo, Jekyll); each field is read
from the first key present, case-insensitively, as ``../shared/API.md`` specifies.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from datetime import date

from searchsvc.ingest.dates import parse_date
from searchsvc.ingest.frontmatter_reader import FrontmatterError, split_frontmatter
from searchsvc.ingest.markdown import render_body
from searchsvc.ingest.model import Article, ArticleError
from searchsvc.ingest.slugs import file_name_slug, slug_problem

MAX_ARTICLE_BYTES = 5 * 1024 * 1024

_MB = 1024 * 1024
_Strings = tuple[str, ...]
_TRUE = frozenset({"true", "yes", "on", "1", "y"})
_FALSE = frozenset({"false", "no", "off", "0", "n"})
_SLUG_SEPARATORS_RE = re.compile(r"[-_]+")


def file_hash(data: bytes) -> str:
    """An article file's content hash: the SHA-256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def parse_article(data: bytes, source_path: str) -> Article:
    """Parse a file's bytes into an Article; raises only ArticleError."""
    return read_article(data, source_path)[0]


def read_article(
    data: bytes, source_path: str, content_hash: str | None = None
) -> tuple[Article, tuple[str, ...]]:
    """parse_article, with what had to be forgiven to read the file (warnings for the
    reindex report: "frontmatter is not strict YAML: ..."); raises only ArticleError.

    content_hash is file_hash(data) when the caller has it already (the indexer hashes
    every file to see whether it changed, before parsing any)."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(source_path, too_large(len(data)))
    if b"\x00" in data:
        raise ArticleError(source_path, "binary file (NUL byte)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 (invalid byte 0x{data[error.start]:02x} at offset {error.start})"
        raise ArticleError(source_path, reason) from None
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ArticleError(source_path, "empty file")
    try:
        meta, body_source, warnings = split_frontmatter(text)
    except FrontmatterError as error:
        raise ArticleError(source_path, error.reason) from None
    body = render_body(body_source)

    def first(*keys: str) -> object:
        return next((meta[key] for key in keys if not _is_blank(meta.get(key))), None)

    slug = _text(meta.get("slug")) or file_name_slug(source_path)
    if (problem := slug_problem(slug)) is not None:
        raise ArticleError(source_path, f"bad slug {slug[:80]!r}: {problem}")
    title = _text(first("title", "metatitle")) or body.first_heading
    if not title and not body.text:
        raise ArticleError(source_path, "no title or text")
    return Article(
        slug=slug,
        title=title or slug,
        excerpt=_text(first("excerpt", "summary", "description", "metadescription"))
        or body.first_paragraph
        or "",
        body_text=body.text,
        published_at=_first_date(meta, "publishedat", "date", "pubdate", "published"),
        updated_at=_first_date(meta, "updatedat", "lastmod", "updated", "modified"),
        authors=_values(first("author", "authors")),
        categories=_categories(meta),
        tags=_values(meta.get("tags"), split_commas=True),
        keywords=_unique(map(_keyword_words, _values(meta.get("keywords"), split_commas=True))),
        featured=_flag(meta.get("featured")),
        image=_link(meta.get("image")),
        url=_link(meta.get("url")),
        source_path=source_path,
        content_hash=content_hash or file_hash(data),
    ), warnings


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | tuple | dict) and not value)


def _text(value: object) -> str | None:
    """A scalar as one line of text; containers and blanks give None."""
    if isinstance(value, str | int | float | date):
        return " ".join(str(value).split()) or None
    return None


def _name(value: object) -> str | None:
    """A list item's text: a scalar, or the "name" of a mapping such as an author."""
    if isinstance(value, dict):
        return next((_text(v) for k, v in value.items() if str(k).lower() == "name"), None)
    return _text(value)


def _values(value: object, split_commas: bool = False, split_spaces: bool = False) -> _Strings:
    """One value or a list as distinct, stripped strings, first spelling kept."""
    if isinstance(value, str) and (split_commas or split_spaces):
        items: list[object] = list(value.split(",") if split_commas else value.split())
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    return _unique(text for item in items if (text := _name(item)))


def _unique(texts: Iterable[str]) -> _Strings:
    """Distinct texts, compared case-insensitively; the first spelling is kept."""
    seen: set[str] = set()
    result: list[str] = []
    for text in texts:
        if text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return tuple(result)


def _categories(meta: dict[str, object]) -> tuple[str, ...]:
    """`category` is one name; a `categories` string is comma- or (Jekyll) space-separated."""
    if not _is_blank(meta.get("category")):
        return _values(meta["category"])
    categories = meta.get("categories")
    if isinstance(categories, str) and "," not in categories:
        return _values(categories, split_spaces=True)
    return _values(categories, split_commas=True)


def _keyword_words(keyword: str) -> str:
    """Read a slug-like keyword as words: "ai-investment-rally" -> "ai investment rally"."""
    if ("-" in keyword or "_" in keyword) and " " not in keyword:
        return " ".join(_SLUG_SEPARATORS_RE.sub(" ", keyword).split()) or keyword
    return keyword


def _first_date(meta: dict[str, object], *keys: str) -> str | None:
    """The first of keys that holds a readable date."""
    return next((d for key in keys if (d := parse_date(meta.get(key))) is not None), None)


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    return True if text in _TRUE else False if text in _FALSE else None


def _link(value: object) -> str | None:
    """A URL or path as given; a mapping (`image: {src: ...}`) gives its src/url/path."""
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        value = next((lowered[k] for k in ("src", "url", "path") if k in lowered), None)
    return _text(value)


def too_large(size: int) -> str:
    """Why a file of size bytes is refused (rounded up: never "5.0 MB > 5 MB")."""
    megabytes = math.ceil(size * 10 / _MB) / 10
    return f"too large ({megabytes:.1f} MB > {MAX_ARTICLE_BYTES // _MB} MB)"
