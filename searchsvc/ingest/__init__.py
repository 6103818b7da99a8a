"""Files -> `Article`: reading Markdown articles with YAML frontmatter, their dates,
slugs and bodies, and finding them in a content folder or a git history."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from searchsvc.ingest.articles import parse_article, read_article
    from searchsvc.ingest.model import Article, ArticleError
    from searchsvc.ingest.scan import iter_article_paths, load_article, load_corpus

__all__ = [
    "Article",
    "ArticleError",
    "iter_article_paths",
    "load_article",
    "load_corpus",
    "parse_article",
    "read_article",
]

# Imported when first used (PEP 562): the read side needs ingest.model only, not the
# Markdown and HTML parsers behind parse_article.
_HOME = {
    "Article": "searchsvc.ingest.model",
    "ArticleError": "searchsvc.ingest.model",
    "parse_article": "searchsvc.ingest.articles",
    "read_article": "searchsvc.ingest.articles",
    "iter_article_paths": "searchsvc.ingest.scan",
    "load_article": "searchsvc.ingest.scan",
    "load_corpus": "searchsvc.ingest.scan",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
