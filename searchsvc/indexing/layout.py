"""Where an index lives on disk: the manifest, the fingerprints of what it holds, the
clean-up after a killed run, and the one writer lock.

    index/
      manifest.json     {"schema_version", "live", "generation_base", "dictionary"} - replaced
                        atomically
      live-<stamp>/     the Whoosh index readers open (named by the manifest)
                        (its segments as separate files, each with its .arrays: segments.py)
      build-<stamp>/    a full rebuild in progress, swapped in by rewriting the manifest
      last_report.json  the last reindex report
      fingerprints.tsv  path, hash and slug of every indexed file (for one commit)
      stamps.tsv        path -> file stamp and hash of the content files, as last hashed
      pending.json      paths every run looks at again (failed, or lost their slug)
      writer.lock       held by whoever writes

A full rebuild is built beside the live index and becomes live in one os.replace of the
manifest, so readers never see a half-built index. The generation number readers report
is generation_base + Whoosh's own commit generation, so it only ever grows.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec

from searchsvc.errors import IndexNotFound, ReindexRunning
from searchsvc.files import write_atomically
from searchsvc.indexing.schema import Fingerprint

MANIFEST = "manifest.json"
LAST_REPORT = "last_report.json"
LOCK = "writer.lock"
# Content paths every run looks at again, whatever it was asked to check: files that failed
# to read or parse, and files that lost their slug to another. Either may come good when
# another file changes, and a run over named paths would not otherwise see them.
PENDING = "pending.json"
# path -> (content hash, slug) of every indexed file, as of one commit of one live folder:
# what the index's fingerprint lexicon says, without reading 20,000 postings lists. Only
# trusted when its live folder and generation are the index's; rebuilt from the lexicon
# otherwise (say, after a run killed between its commit and this file).
FINGERPRINTS = "fingerprints.tsv"
# path -> file stamp and content hash of the content files as last hashed, for one content
# folder: a run skips reading a file whose stamp is unchanged and whose hash is the one
# indexed. Any doubt (another folder, a damaged file) and every file is read again.
STAMPS = "stamps.tsv"
STAMPS_HEADER = "searchsvc stamps 2"


def writer_options() -> dict[str, Any]:
    """Options for every Whoosh writer. Uncompressed postings blocks and a larger sort
    buffer: 18% less indexing time, and no zlib on the query path either (measured on
    the news corpus; the index is larger on disk).

    Segments stay as separate files, not one compound file: Whoosh opens a compound
    file's parts as BytesIO copies of its mmap, so every reading process held a private
    copy of the postings (61 MB per process at 5k articles, growing with the corpus).
    Separate files are read through the OS page cache, which all workers share."""
    return {"limitmb": 256, "codec": W3Codec(compression=0), "compound": False}


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    live: str
    generation_base: int
    dictionary: str = ""  # fingerprint of the company dictionary the index was built with


def read_manifest(index_dir: Path) -> Manifest | None:
    """The manifest, or None when no index was ever built here."""
    try:
        data = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexNotFound(f"cannot read {index_dir / MANIFEST}: {exc}") from exc
    return Manifest(
        int(data["schema_version"]),
        str(data["live"]),
        int(data["generation_base"]),
        str(data.get("dictionary", "")),
    )


def write_json_atomically(path: Path, data: dict[str, Any], indent: int | None = 2) -> None:
    """Write JSON so that a reader sees the old file or the new one, never a part."""
    write_atomically(path, json.dumps(data, indent=indent, ensure_ascii=False))


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    write_json_atomically(
        index_dir / MANIFEST,
        {
            "schema_version": manifest.schema_version,
            "live": manifest.live,
            "generation_base": manifest.generation_base,
            "dictionary": manifest.dictionary,
        },
    )


def new_build_dir(index_dir: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = index_dir / f"build-{stamp}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def promote(index_dir: Path, build_dir: Path, manifest: Manifest) -> str:
    """Make build_dir the live index (rename, then one atomic manifest write); its new name."""
    live_dir = index_dir / build_dir.name.replace("build-", "live-", 1)
    os.replace(build_dir, live_dir)
    write_manifest(index_dir, replace(manifest, live=live_dir.name))
    remove_stale_dirs(index_dir, keep=live_dir.name)
    return live_dir.name


def remove_stale_dirs(index_dir: Path, keep: str) -> None:
    """Delete old generations and abandoned builds (open readers keep their files on POSIX)."""
    for child in index_dir.iterdir():
        if child.is_dir() and child.name != keep and child.name.startswith(("live-", "build-")):
            shutil.rmtree(child, ignore_errors=True)


def remove_leftovers(index_dir: Path, keep: str) -> None:
    """Under the writer lock: builds and generations other than ``keep``, and the temporary
    files (ours and Whoosh's) that a killed process never renamed."""
    remove_stale_dirs(index_dir, keep)
    for tmp in index_dir.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    # Whoosh writes a commit's table of contents to "_MAIN_<gen>.toc.<random>", then renames it
    for tmp in (index_dir / keep).glob("_*.toc.*"):
        tmp.unlink(missing_ok=True)


def clean_up_after_crashes(index_dir: Path, manifest: Manifest | None) -> None:
    """What a killed run leaves behind: a half-built index, a half-written JSON file."""
    if manifest is not None:
        remove_leftovers(index_dir, keep=manifest.live)
    elif index_dir.is_dir():
        remove_stale_dirs(index_dir, keep="")  # a first build that was killed


def read_pending(index_dir: Path) -> set[str]:
    try:
        data = json.loads((index_dir / PENDING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {p for p in data.get("paths", []) if isinstance(p, str)}


def write_pending(index_dir: Path, paths: set[str]) -> None:
    write_json_atomically(index_dir / PENDING, {"paths": sorted(paths)})


def read_fingerprints(index_dir: Path, live: str, generation: int) -> list[list[str]] | None:
    """[path, hash, slug] rows saved for exactly this live folder and generation, else None."""
    try:
        lines = (index_dir / FINGERPRINTS).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if lines[0] != f"{live}\t{generation}" or lines[-1] != "":
        return None  # another commit's, or cut short
    rows = [line.split("\t", 2) for line in lines[1:-1]]
    return rows if all(len(row) == 3 for row in rows) else None


def write_fingerprints(
    index_dir: Path, live: str, generation: int, rows: Iterable[Sequence[str]]
) -> None:
    """One line per file: path, hash, slug (tab-separated; none of them holds a tab or a
    newline: paths with those are not indexed, slugs are made of URL-safe characters)."""
    text = "".join(f"{path}\t{content_hash}\t{slug}\n" for path, content_hash, slug in rows)
    write_atomically(index_dir / FINGERPRINTS, f"{live}\t{generation}\n{text}")


Stamps = dict[str, tuple[str, str]]  # path -> (file_stamp, content hash)


def read_stamps(index_dir: Path, content_dir: Path) -> Stamps:
    """The stamps saved for this content folder, or none when in doubt. A damaged row can
    only fail to match a file, which is then read: rows are not checked one by one."""
    try:
        lines = (index_dir / STAMPS).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return {}
    if lines[0] != f"{STAMPS_HEADER}\t{content_dir.resolve()}" or lines[-1] != "":
        return {}  # another folder's, or cut short
    rows = [line.split("\t") for line in lines[1:-1]]
    if not all(len(row) == 3 for row in rows):
        return {}
    return {path: (stamp, content_hash) for path, stamp, content_hash in rows}


def write_stamps(index_dir: Path, content_dir: Path, stamps: Stamps) -> None:
    """Replace the stamps file (atomically): path, stamp and hash per line, by path."""
    text = "".join(f"{path}\t{stamp}\t{h}\n" for path, (stamp, h) in sorted(stamps.items()))
    write_atomically(index_dir / STAMPS, f"{STAMPS_HEADER}\t{content_dir.resolve()}\n{text}")


def indexed_fingerprints(ix: Any) -> dict[str, Fingerprint]:
    """path -> fingerprint of every live document, read from the fingerprint lexicon."""
    result: dict[str, Fingerprint] = {}
    with ix.reader() as reader:
        for segment, _offset in reader.leaf_readers():
            deleted = segment.deleted_docs_set if segment.has_deletions() else frozenset()
            for raw, info in segment.iter_field("fingerprint"):
                # A term of one document names it in its term info: a postings read for
                # each (3.6 s at 100k articles, against 0.7 s) only where there are more.
                if deleted and (
                    info.min_id() in deleted
                    if info.doc_frequency() == 1
                    else not segment.postings("fingerprint", raw).is_active()
                ):
                    continue
                fp = Fingerprint.decode(raw.decode("utf-8"))
                result[fp.source_path] = fp
    return result


def fingerprints_of(searcher: Any, paths: Iterable[str]) -> dict[str, Fingerprint]:
    """path -> fingerprint of those paths that are indexed: a few lookups in the
    fingerprint lexicon (sorted by path), not a read of every file's fingerprint."""
    result: dict[str, Fingerprint] = {}
    for segment, _offset in searcher.reader().leaf_readers():
        deletions = segment.has_deletions()
        for path in paths:
            for raw in segment.expand_prefix("fingerprint", f"{path}\t"):
                if deletions and not segment.postings("fingerprint", raw).is_active():
                    continue  # an earlier version, deleted
                fp = Fingerprint.decode(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
                result[fp.source_path] = fp
    return result


def slug_owners(searcher: Any, slugs: Iterable[str]) -> dict[str, Fingerprint]:
    """slug -> fingerprint of the indexed file that holds it (slugs are unique in an
    index), for those slugs that are taken."""
    result: dict[str, Fingerprint] = {}
    for slug in slugs:
        docnum = searcher.document_number(slug=slug)
        if docnum is not None:
            result[slug] = Fingerprint.of_stored(searcher.stored_fields(docnum)["doc"])
    return result


def cached_fingerprints(ix: Any, index_dir: Path, live: str) -> dict[str, Fingerprint]:
    """indexed_fingerprints, from fingerprints.tsv when it was saved for this very commit."""
    generation = ix.latest_generation()
    rows = read_fingerprints(index_dir, live, generation)
    if rows is not None:
        return {fp.source_path: fp for fp in map(Fingerprint._make, rows)}
    found = indexed_fingerprints(ix)
    save_fingerprints(index_dir, live, generation, found.values())
    return found


def save_fingerprints(
    index_dir: Path, live: str, generation: int, fingerprints: Iterable[Fingerprint]
) -> None:
    """Save fingerprints.tsv for this commit of this live folder."""
    write_fingerprints(index_dir, live, generation, fingerprints)


def read_last_report(index_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((index_dir / LAST_REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


@contextmanager
def writer_lock(index_dir: Path, wait_seconds: float = 2.0) -> Iterator[None]:
    """Hold the one writer lock; a second writer waits briefly, then gets ReindexRunning."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as fh:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ReindexRunning("reindex already running") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
