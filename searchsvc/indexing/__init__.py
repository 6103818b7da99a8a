"""`Article` -> index generations on disk: the analyzers, the schema, the build and
its report, the on-disk layout (generations, manifest, lock), and the watcher that
keeps an index following its content folder."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
