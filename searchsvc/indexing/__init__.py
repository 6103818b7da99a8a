"""`Article` -> index generations on disk: the analyzers, the schema, the build and
its report, the on-disk layout (generations, manifest, lock), and the watcher that
keeps an index following its content folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from searchsvc.lazy import lazy_exports

if TYPE_CHECKING:
    from searchsvc.indexing.build import build_index
    from searchsvc.indexing.report import FileWarning, ReindexReport, format_report

__all__ = ["FileWarning", "ReindexReport", "build_index", "format_report"]

# Imported when first used (PEP 562): the read side imports searchsvc.indexing.layout and
# .schema, and a search should not pay for the builder's Markdown and HTML parsers.
_HOME = {
    "build_index": "searchsvc.indexing.build",
    "FileWarning": "searchsvc.indexing.report",
    "ReindexReport": "searchsvc.indexing.report",
    "format_report": "searchsvc.indexing.report",
}

__getattr__ = lazy_exports(__name__, _HOME)
