"""Build and update the index: full builds (full.py) and incremental runs (by content
hash, here), both under the one writer lock, both ending in a ReindexReport.

Incremental: the index's own `fingerprint` lexicon says which path holds which hash and
slug; files whose bytes changed are re-read, vanished files are deleted, and everything
lands in one Whoosh commit, so readers see all of a run or none of it. A changed file
that cannot be read keeps its last good version in the index, and the report says so.
A run may be limited to named paths (`--paths`, `--since`, the watcher, the reindex
webhook); files that failed or lost their slug earlier are looked at again by every run,
so any sequence of runs ends where a full build of the same files would.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from searchsvc.entities.dictionary import CompanyDictionary, companies_for
from searchsvc.indexing.documents import make_documents
from searchsvc.indexing.full import full_build
from searchsvc.indexing.layout import (
    LAST_REPORT,
    Manifest,
    Stamps,
    cached_fingerprints,
    clean_up_after_crashes,
    fingerprints_of,
    read_manifest,
    read_pending,
    read_stamps,
    save_fingerprints,
    slug_owners,
    write_json_atomically,
    write_pending,
    write_stamps,
    writer_lock,
    writer_options,
)
from searchsvc.indexing.report import ReindexReport, kept_warnings, now_iso
from searchsvc.indexing.schema import SCHEMA_VERSION, Fingerprint
from searchsvc.indexing.segments import save_missing_arrays
from searchsvc.ingest.scan import (
    SourceFile,
    claim_slugs,
    content_relative,
    scan_content,
)

PARALLEL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves


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
            report = full_build(
                content_dir,
                index_dir,
                manifest,
                companies_file,
                workers,
                dictionary,
                reason,
                PARALLEL_MIN_FILES,
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
        warnings=kept_warnings(batch.warnings, losers),
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
