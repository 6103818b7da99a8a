"""Files -> `Article`: reading Markdown articles with YAML frontmatter, their dates,
slugs and bodies, and finding them in a content folder or a git history."""

from searchsvc.ingest.articles import Article, ArticleError, parse_article, read_article
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
