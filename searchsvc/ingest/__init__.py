"""Files -> `Article`: reading Markdown articles with YAML frontmatter, their dates,
slugs and bodies, and finding them in a content folder or a git history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from searchsvc.lazy import lazy_exports

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

__getattr__ = lazy_exports(__name__, _HOME)
