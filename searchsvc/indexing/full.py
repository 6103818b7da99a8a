"""A full build: every file parsed in worker processes, each worker writing its own
segment of a new index beside the live one, which then becomes live in one step (the
manifest), so readers never see a half-built index."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from searchsvc.entities.dictionary import companies_for
from searchsvc.indexing.documents import make_documents
from searchsvc.indexing.layout import (
    Manifest,
    new_build_dir,
    promote,
    save_fingerprints,
    write_stamps,
    writer_options,
)
from searchsvc.indexing.report import FileWarning, ReindexReport, kept_warnings, now_iso
from searchsvc.indexing.schema import SCHEMA_VERSION, Fingerprint, build_schema
from searchsvc.indexing.segments import save_new_segment_arrays
from searchsvc.ingest.articles import ArticleError
from searchsvc.ingest.scan import claim_slugs, read_source, scan_article_paths

# What a shard worker sends back: the segment, then (path, hash, slug), (path, reason) of
# each error, (path, message) of each warning, and (path, stamp, hash) of each settled
# file. Plain values only: an exception class that does not survive pickling would break
# the whole process pool (BrokenProcessPool).
ShardResult = tuple[
    Any,
    list[tuple[str, str, str]],
    list[tuple[str, str]],
    list[tuple[str, str]],
    list[tuple[str, str, str]],
]


def _index_shard(
    build_dir: str, content_dir: str, paths: list[str], indexed_at: str, companies_file: str | None
) -> ShardResult:
    """Worker: index some files into a new segment of the (unlocked) build index."""
    companies = companies_for(Path(companies_file) if companies_file else None)
    base = Path(content_dir)
    sources = [read_source(base / p, base) for p in paths]
    batch = make_documents(sources, companies, indexed_at)
    ix = whoosh_index.open_dir(build_dir)
    writer = SegmentWriter(ix, _lk=False, **writer_options())  # the parent holds the lock
    for document in batch.documents:
        writer.add_document(**document)
    if batch.documents:
        segment = writer._finalize_segment()
        save_new_segment_arrays(ix, segment)
    else:  # a shard of bad files only: nothing to add, and no files left open
        writer.cancel()
        segment = None
    return (
        segment,
        [(fp.source_path, fp.content_hash, fp.slug) for fp in batch.fingerprints],
        [(e.path, e.reason) for e in batch.errors],
        [(w.path, w.message) for w in batch.warnings],
        [(s.source_path, s.stamp, s.content_hash) for s in sources if s.stamp is not None],
    )


def full_build(
    content_dir: Path,
    index_dir: Path,
    manifest: Manifest | None,
    companies_file: Path | None,
    workers: int | None,
    dictionary: str,
    reason: str,
    parallel_min_files: int,
) -> ReindexReport:
    """Build every file into a new index beside the live one, in worker processes (fewer
    than parallel_min_files files: in this one), then make it live in one step."""
    build_dir = new_build_dir(index_dir)
    with _removed_on_failure(build_dir):
        started, started_at = time.perf_counter(), now_iso()
        ix = whoosh_index.create_in(str(build_dir), build_schema())
        found, walk_errors = scan_article_paths(content_dir)
        paths = [p.relative_to(content_dir).as_posix() for p in found]
        workers = workers or min(os.cpu_count() or 1, 4)
        if len(paths) < parallel_min_files:
            workers = 1
        shards = [paths[i::workers] for i in range(workers)]
        args = (str(build_dir), str(content_dir))
        extra = str(companies_file) if companies_file else None
        if workers == 1:
            results = [_index_shard(*args, shards[0], started_at, extra)]
        else:
            context = _worker_context(companies_file)
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = [pool.submit(_index_shard, *args, s, started_at, extra) for s in shards]
                results = [f.result() for f in futures]
        segments = [result[0] for result in results if result[0] is not None]
        fingerprints = [Fingerprint(*fp) for result in results for fp in result[1]]
        errors = [ArticleError(*e) for result in results for e in result[2]] + walk_errors
        warnings = [FileWarning(*w) for result in results for w in result[3]]
        stamps = {path: (stamp, h) for result in results for path, stamp, h in result[4]}
        writer = ix.writer(**writer_options())
        writer.commit(mergetype=lambda _writer, existing: list(existing) + segments)
        losers, slug_errors = claim_slugs(fingerprints)
        if losers:
            writer = ix.writer(**writer_options())
            for fp in fingerprints:
                if fp.source_path in losers:
                    writer.delete_by_term("fingerprint", fp.encode())
            writer.commit()
        errors.extend(slug_errors)
        previous_generation = 0
        if manifest is not None:
            previous_generation = manifest.generation_base + _latest_generation(index_dir, manifest)
        base = previous_generation + 1 - ix.latest_generation()
        live = promote(index_dir, build_dir, Manifest(SCHEMA_VERSION, "", base, dictionary))
        indexed = (fp for fp in fingerprints if fp.source_path not in losers)
        save_fingerprints(index_dir, live, ix.latest_generation(), indexed)
        write_stamps(index_dir, content_dir, stamps)
        return ReindexReport(
            full=True,
            full_reason=reason,
            added=len(fingerprints) - len(losers),
            updated=0,
            deleted=0,
            unchanged=0,
            errors=tuple(sorted(errors, key=lambda e: e.path)),
            kept_stale=(),
            warnings=kept_warnings(warnings, losers),
            documents=len(fingerprints) - len(losers),
            generation=previous_generation + 1,
            started_at=started_at,
            finished_at=now_iso(),
            seconds=time.perf_counter() - started,
        )


@contextmanager
def _removed_on_failure(build_dir: Path) -> Iterator[None]:
    """Nothing half-built stays behind when a build fails (a kill -9 leaves it to the
    next run's clean-up instead)."""
    try:
        yield
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise


def _worker_context(companies_file: Path | None) -> BaseContext:
    """fork when this process has one thread (the CLI): workers then inherit the loaded
    modules and the company dictionary with its finder (~0.4 s each otherwise). spawn when
    there are threads (a server), since forking a threaded process is unsafe."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        if companies_file is None:  # the built-in dictionary is shared: build it once
            _ = companies_for(None).article_finder
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _latest_generation(index_dir: Path, manifest: Manifest) -> int:
    try:
        return int(whoosh_index.open_dir(str(index_dir / manifest.live)).latest_generation())
    except Exception:  # a damaged live index: the rebuild replaces it anyway
        return 0
