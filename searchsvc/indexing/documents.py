"""Files -> Whoosh documents: parse each file, extract its tickers and unknown symbols,
and map it to a document. A file that fails is an error in the batch, never an exception,
so one bad file (or a bug of ours that it triggers) cannot stop a build."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.entities.tickers import extract_tickers
from searchsvc.entities.unknown import find_unknown_symbols
from searchsvc.indexing.report import FileWarning
from searchsvc.indexing.schema import Fingerprint, to_document
from searchsvc.ingest.articles import ArticleError, read_article
from searchsvc.ingest.scan import SourceFile

log = logging.getLogger("searchsvc")


@dataclass
class DocumentBatch:
    """Documents ready to add, with the errors met while making them."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)
    warnings: list[FileWarning] = field(default_factory=list)


def make_documents(
    sources: Iterable[SourceFile], companies: CompanyDictionary, indexed_at: str
) -> DocumentBatch:
    """Parse, extract and map files to documents; failures become errors, never exceptions.

    Even a failure that is our bug (an exception from extraction, say) is one file's error:
    it must not stop the rest of the corpus from being indexed."""
    batch = DocumentBatch()
    for source in sources:
        if source.error is not None or source.data is None:
            batch.errors.append(source.error or ArticleError(source.source_path, "unreadable"))
            continue
        try:
            article, warnings = read_article(source.data, source.source_path, source.content_hash)
            document = to_document(
                article,
                extract_tickers(article, companies),
                find_unknown_symbols(article, companies),
                indexed_at,
            )
        except ArticleError as exc:
            batch.errors.append(exc)
            continue
        except Exception as exc:
            log.exception("could not index %s", source.source_path)
            reason = f"could not be indexed ({exc.__class__.__name__}: {exc})"[:300]
            batch.errors.append(ArticleError(source.source_path, reason))
            continue
        batch.warnings.extend(FileWarning(article.source_path, w) for w in warnings)
        batch.documents.append(document)
        batch.fingerprints.append(
            Fingerprint(article.source_path, article.content_hash, article.slug)
        )
    return batch
