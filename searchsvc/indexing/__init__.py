"""`Article` -> index generations on disk: the analyzers, the schema, the build and
its report, the on-disk layout (generations, manifest, lock), and the watcher that
keeps an index following its content folder."""

from searchsvc.indexing.build import build_index
from searchsvc.indexing.report import FileWarning, ReindexReport, format_report

__all__ = ["FileWarning", "ReindexReport", "build_index", "format_report"]
