"""Build and update the index: full builds (parallel, beside the live index) and
incremental runs (by content hash), both under the one writer lock, both ending in a
ReindexReport.

Incremental: the index's own `fingerprint` lexicon says which path holds which hash and
slug; files whose bytes changed are re-read, vanished files are deleted, and everything
lands in one Whoosh commit, so readers see all of a run or none of it. A changed file
that cannot be read keeps its last good version in the index, and the report says so.
A run may be limited to named paths (`--paths`, `--since`, the watcher, the reindex
webhook); files that failed or lost their slug earlier are looked at again by every run,
so any sequence of runs ends where a full build of the same files would.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from searchsvc.entities.dictionary import CompanyDictionary, companies_for
from searchsvc.indexing.documents import make_documents
from searchsvc.indexing.layout import (
    LAST_REPORT,
    Manifest,
    Stamps,
    cached_fingerprints,
    clean_up_after_crashes,
    fingerprints_of,
    new_build_dir,
    promote,
    read_manifest,
    read_pending,
    read_stamps,
    save_fingerprints,
    slug_owners,
    write_json_atomically,
    write_pending,
    write_stamps,
    writer_lock,
)
from searchsvc.indexing.report import FileWarning, ReindexReport
from searchsvc.indexing.schema import SCHEMA_VERSION, Fingerprint, build_schema
from searchsvc.indexing.segments import save_missing_arrays, save_new_segment_arrays
from searchsvc.ingest.articles import ArticleError
from searchsvc.ingest.scan import (
    SourceFile,
    claim_slugs,
    content_relative,
    read_source,
    scan_article_paths,
    scan_content,
)

PARALLEL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves


def writer_options() -> dict[str, Any]:
    """Options for every Whoosh writer. Uncompressed postings blocks and a larger sort
    buffer: 18% less indexing time, and no zlib on the query path either (measured on
    the news corpus; the index is larger on disk).

    Segments stay as separate files, not one compound file: Whoosh opens a compound
    file's parts as BytesIO copies of its mmap, so every reading process held a private
    copy of the postings (61 MB per process at 5k articles, growing with the corpus).
    Separate files are read through the OS page cache, which all workers share."""
    return {"limitmb": 256, "codec": W3Codec(compression=0), "compound": False}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_index(
    content_dir: Path,
    index_dir: Path,
    *,
    full: bool = False,
    paths: Iterable[str | Path] | None = None,
    companies_file: Path | None = None,
    workers: int | None = None,
) -> ReindexReport:
    """Bring the index in index_dir up to date with content_dir (incremental unless full).

    With ``paths`` (content-relative or absolute inside content_dir), only those files are
    checked, plus the ones earlier runs could not index; a named path whose file is gone
    is deleted. A full build (asked for, or needed) ignores ``paths``."""
    content_dir, index_dir = Path(content_dir), Path(index_dir)
    if not content_dir.is_dir():
        raise FileNotFoundError(f"content folder {content_dir} does not exist")
    companies = companies_for(companies_file)
    dictionary = companies.fingerprint
    with writer_lock(index_dir):
        manifest = read_manifest(index_dir)
        clean_up_after_crashes(index_dir, manifest)
        reason = full_build_reason(full, manifest, dictionary)
        if reason is not None:
            report = _full_build(
                content_dir, index_dir, manifest, companies_file, workers, dictionary, reason
            )
        else:
            assert manifest is not None
            wanted = None
            if paths is not None:
                wanted = content_relative(paths, content_dir) | read_pending(index_dir)
            report = _incremental(content_dir, index_dir, manifest, companies, wanted)
        write_pending(index_dir, {e.path for e in report.errors})
        write_json_atomically(index_dir / LAST_REPORT, report.to_json())
        return report


def full_build_reason(full: bool, manifest: Manifest | None, dictionary: str) -> str | None:
    """Why this run must rebuild everything, or None for an incremental run.

    Tickers are extracted at index time, so a changed company dictionary makes every
    document stale, not only the files that changed."""
    if full:
        return "requested"
    if manifest is None:
        return "no index yet"
    if manifest.schema_version != SCHEMA_VERSION:
        return f"schema version {manifest.schema_version} -> {SCHEMA_VERSION}"
    if manifest.dictionary != dictionary:
        return "company dictionary changed"
    return None


# --- full build --------------------------------------------------------------------------


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


def _full_build(
    content_dir: Path,
    index_dir: Path,
    manifest: Manifest | None,
    companies_file: Path | None,
    workers: int | None,
    dictionary: str,
    reason: str,
) -> ReindexReport:
    build_dir = new_build_dir(index_dir)
    with _removed_on_failure(build_dir):
        started, started_at = time.perf_counter(), now_iso()
        ix = whoosh_index.create_in(str(build_dir), build_schema())
        found, walk_errors = scan_article_paths(content_dir)
        paths = [p.relative_to(content_dir).as_posix() for p in found]
        workers = workers or min(os.cpu_count() or 1, 4)
        if len(paths) < PARALLEL_MIN_FILES:
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
            warnings=_kept_warnings(warnings, losers),
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


def _kept_warnings(warnings: Iterable[FileWarning], losers: set[str]) -> tuple[FileWarning, ...]:
    """The warnings of files that were indexed (not those that lost their slug), by path."""
    return tuple(sorted((w for w in warnings if w.path not in losers), key=lambda w: w.path))


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


# --- incremental -------------------------------------------------------------------------


def _incremental(
    content_dir: Path,
    index_dir: Path,
    manifest: Manifest,
    companies: CompanyDictionary,
    wanted: set[str] | None,
) -> ReindexReport:
    """One incremental run over every file, or over the ``wanted`` paths only."""
    started, started_at = time.perf_counter(), now_iso()
    ix = whoosh_index.open_dir(str(index_dir / manifest.live))
    # A run over the whole folder needs every file's fingerprint; a run over named paths
    # (a webhook, the watcher: at 100k articles, 0.35 s to read them all) only those of its
    # paths and of the files that hold the slugs it claims (_slug_candidates).
    if wanted is None:
        indexed = cached_fingerprints(ix, index_dir, manifest.live)
    else:
        with ix.searcher() as searcher:
            indexed = fingerprints_of(searcher, wanted)
    # A run over named paths reads them (they are few, and named because they changed) and
    # leaves the stamps alone: a stamp only ever says what one file's bytes were.
    stamps = read_stamps(index_dir, content_dir) if wanted is None else {}
    known = {
        path: (stamp, h)
        for path, (stamp, h) in stamps.items()
        if path in indexed and indexed[path].content_hash == h
    }
    scanned = scan_content(content_dir, wanted, known)
    changed = [
        s
        for p, s in scanned.items()
        if p not in indexed or indexed[p].content_hash != s.content_hash
    ]
    changed_paths = {s.source_path for s in changed}
    checked = indexed.keys() if wanted is None else wanted
    gone = [indexed[p] for p in sorted(checked) if p in indexed and p not in scanned]
    batch = make_documents(changed, companies, started_at)
    failed = {e.path for e in batch.errors}
    # Slugs: unchanged, unchecked and failed-but-indexed files keep theirs; re-decide over
    # the claims that can change.
    kept = [
        fp
        for p, fp in _slug_candidates(ix, indexed, wanted, batch.fingerprints).items()
        if (wanted is not None and p not in wanted)
        or (p in scanned and (p in failed or p not in changed_paths))
    ]
    losers, slug_errors = claim_slugs(kept + batch.fingerprints)
    new_by_path = {
        fp.source_path: (fp, doc)
        for fp, doc in zip(batch.fingerprints, batch.documents, strict=True)
        if fp.source_path not in losers or fp.source_path in indexed  # else nothing to do
    }
    kept_stale = tuple(sorted(indexed[p].slug for p in failed if p in indexed and p not in losers))
    errors = tuple(sorted(batch.errors + slug_errors, key=lambda e: e.path))
    # Before the commit: a run killed after it must still leave these files to retry.
    write_pending(index_dir, read_pending(index_dir) | {e.path for e in errors})
    added, updated, deleted = _apply(ix, indexed, gone, new_by_path, kept, losers)
    if wanted is not None:
        # fingerprints.tsv is now another commit's: the next whole-folder run reads the
        # lexicon once and saves it again
        documents = ix.doc_count()
    elif added or updated or deleted:
        after = dict(indexed)
        for fp in gone:
            del after[fp.source_path]
        for path in losers:
            after.pop(path, None)
        after.update((path, fp) for path, (fp, _) in new_by_path.items() if path not in losers)
        save_fingerprints(index_dir, manifest.live, ix.latest_generation(), after.values())
        documents = len(after)
    else:
        documents = len(indexed)
    if wanted is None:
        _save_stamps(index_dir, content_dir, stamps, scanned)
    return ReindexReport(
        full=False,
        full_reason=None,
        added=added,
        updated=updated,
        deleted=deleted,
        unchanged=len(scanned) - len(changed),
        errors=errors,
        kept_stale=kept_stale,
        warnings=_kept_warnings(batch.warnings, losers),
        documents=documents,
        generation=manifest.generation_base + ix.latest_generation(),
        started_at=started_at,
        finished_at=now_iso(),
        seconds=time.perf_counter() - started,
    )


def _slug_candidates(
    ix: Any,
    indexed: dict[str, Fingerprint],
    wanted: set[str] | None,
    claims: list[Fingerprint],
) -> dict[str, Fingerprint]:
    """The indexed files whose slugs a run must decide again: all of them in a
    whole-folder run; in a run over named paths, those paths and the files that hold a
    slug the run's files claim. No other slug can change hands: every file waiting for a
    slug (failed, or lost it) is one of the named paths (pending.json), and the others
    hold their slugs already, one file each."""
    if wanted is None:
        return indexed
    with ix.searcher() as searcher:
        owners = slug_owners(searcher, {fp.slug for fp in claims})
    return {**indexed, **{fp.source_path: fp for fp in owners.values()}}


def _save_stamps(
    index_dir: Path, content_dir: Path, before: Stamps, scanned: dict[str, SourceFile]
) -> None:
    """Stamps for every file of a whole-folder scan that was read or matched its stamp,
    written unless every file matched one of those read before the run and none is gone."""
    all_matched = all(s.data is None and s.error is None for s in scanned.values())
    if all_matched and len(scanned) == len(before):
        return
    after = {p: (s.stamp, s.content_hash) for p, s in scanned.items() if s.stamp is not None}
    write_stamps(index_dir, content_dir, after)


def _apply(
    ix: Any,
    indexed: dict[str, Fingerprint],
    gone: list[Fingerprint],
    new_by_path: dict[str, tuple[Fingerprint, dict[str, Any]]],
    kept: list[Fingerprint],
    losers: set[str],
) -> tuple[int, int, int]:
    """Write one run's changes in one commit; (added, updated, deleted).

    With nothing to change there is no commit, so readers keep their generation."""
    dropped = [fp for fp in kept if fp.source_path in losers]
    if not gone and not new_by_path and not dropped:
        return 0, 0, 0
    writer = ix.writer(**writer_options())
    added = updated = deleted = 0
    for fp in gone + dropped:
        writer.delete_by_term("fingerprint", fp.encode())
        deleted += 1
    for path, (_fp, document) in new_by_path.items():
        old = indexed.get(path)
        if old is not None:
            writer.delete_by_term("fingerprint", old.encode())
        if path in losers:
            deleted += old is not None
            continue
        writer.add_document(**document)
        added += old is None
        updated += old is not None
    writer.commit()
    save_missing_arrays(ix)
    return added, updated, deleted
