"""The content folder: which files are articles, reading them safely, and the corpus
they make.

The walk skips hidden files and folders and never follows a link to a folder; a file
that is a link is read only when it leads to a file inside the content folder. Of two
files with the same slug, the first path in sorted order keeps it (claim_slugs), in a
full build, an incremental run and load_corpus alike.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from searchsvc.ingest.articles import (
    MAX_ARTICLE_BYTES,
    Article,
    ArticleError,
    file_hash,
    parse_article,
    too_large,
)

ARTICLE_SUFFIXES = (".md", ".markdown")
# A file changed this close to when it was read may change again within one tick of a
# coarse file-system clock without its times moving: its stamp is not trusted (git's
# "racily clean" entries).
RACY_NS = 2_000_000_000


def is_article_path(relative: str) -> bool:
    """Whether a content-relative, "/"-separated path names an article file: a .md or
    .markdown file, no hidden file or folder on the way (the rule iter_article_paths walks by)."""
    parts = relative.split("/")
    return all(part and not part.startswith(".") for part in parts) and parts[-1].lower().endswith(
        ARTICLE_SUFFIXES
    )


def iter_article_paths(content_dir: Path) -> list[Path]:
    """Every .md/.markdown file under content_dir, hidden files and folders skipped, sorted."""
    return _walk(content_dir)[0]


def scan_article_paths(content_dir: Path) -> tuple[list[Path], list[ArticleError]]:
    """iter_article_paths, with what the walk could not enter: folders it could not list
    and symbolic links to folders (never followed), each as an error to report."""
    return _walk(content_dir)


def load_corpus(content_dir: Path) -> tuple[list[Article], list[ArticleError]]:
    """Load every article; bad files and duplicate slugs become errors, never exceptions.

    Articles come in walk order; a slug goes to the first of its files in path order
    (claim_slugs). Raises FileNotFoundError/NotADirectoryError only when content_dir
    itself is not a folder.
    """
    paths, errors = _walk(content_dir)
    articles: list[Article] = []
    for path in paths:
        try:
            articles.append(load_article(path, content_dir))
        except ArticleError as error:
            errors.append(error)
    losers, slug_errors = claim_slugs(articles)
    errors.extend(slug_errors)
    errors.sort(key=lambda error: error.path)
    return [a for a in articles if a.source_path not in losers], errors


def load_article(path: Path, content_dir: Path) -> Article:
    """Read and parse one file; raises only ArticleError."""
    return parse_article(read_article_bytes(path, content_dir), _relative(path, content_dir))


def read_article_bytes(path: Path, content_dir: Path) -> bytes:
    """A file's bytes, for hashing and parse_article; type and size are checked first.

    Raises ArticleError (not a regular file, too large, unreadable) with the same reasons
    load_article gives.
    """
    source_path = _relative(path, content_dir)
    try:
        # A link may point anywhere (ln -s /etc/passwd x.md): only what lies inside the
        # content folder is ever read.
        if _links_out_of(path, content_dir):
            raise ArticleError(source_path, "symlink out of the content folder")
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise ArticleError(source_path, "not a regular file")
        if status.st_size > MAX_ARTICLE_BYTES:
            raise ArticleError(source_path, too_large(status.st_size))
        with path.open("rb") as file:
            return file.read(MAX_ARTICLE_BYTES + 1)  # parse_article rejects a file that grew
    except OSError as error:
        raise ArticleError(source_path, f"unreadable ({error.strerror or error})") from None


def file_stamp(status: os.stat_result) -> str:
    """What the file system tells of a file without reading it, as one text compared whole:
    size, modification and change times (ns) and inode. While it stays as it was when the
    file was hashed, the file's bytes are taken to be the same: a write moves the change
    time even when the modification time is put back, and a file replaced by another has a
    new inode. (Text, not a tuple of ints: 100,000 are read and compared per run.)"""
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}"


class SourceFile(NamedTuple):
    """One content file as read from disk, before it is parsed.

    Three states: read (data set), unreadable (error set), or unchanged and not read
    (neither set: its stamp matched the one taken when it was last hashed, content_hash
    is that hash). A named tuple, not a dataclass: a run makes one per file (100k), and a
    tuple is built in a third of the time."""

    source_path: str  # relative, "/"-separated
    data: bytes | None  # None when the file could not be read (error set) or was not read
    content_hash: str
    error: ArticleError | None = None
    # the stamp taken before reading, when the file is a regular file (not a link) that
    # had settled (unchanged for RACY_NS); what a later scan may compare instead of reading
    stamp: str | None = None


def read_source(path: Path, content_dir: Path) -> SourceFile:
    """A content file's bytes and hash (type and size are checked before reading)."""
    return _read_source(path, path.relative_to(content_dir).as_posix(), content_dir)


def _read_source(path: Path, rel: str, content_dir: Path) -> SourceFile:
    if any(ch in rel for ch in "\t\n\r"):  # the index keeps path, hash and slug tab-separated
        return SourceFile(
            rel, None, "", ArticleError(rel, "file name contains a tab or line break")
        )
    stamp = _settled_stamp(path)
    try:
        data = read_article_bytes(path, content_dir)
    except ArticleError as exc:
        # no hash: a file that fails to read is retried on every run until it reads
        return SourceFile(exc.path, None, "", exc)
    return SourceFile(rel, data, file_hash(data), stamp=stamp)


def _settled_stamp(path: Path) -> str | None:
    """The stamp of a regular file (not a link) whose times are older than RACY_NS."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    recent = time.time_ns() - RACY_NS
    if not stat.S_ISREG(status.st_mode) or max(status.st_mtime_ns, status.st_ctime_ns) >= recent:
        return None
    return file_stamp(status)


def scan_content(
    content_dir: Path,
    paths: set[str] | None = None,
    known: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, SourceFile]:
    """The article files of content_dir (or of those content-relative paths that exist).

    A file named in ``known`` (path -> stamp and hash) whose stamp is unchanged is not read:
    it comes back unread, with that hash. Every other file is read and hashed. What the
    folder walk could not enter (unreadable folders, links to folders) comes back as
    unreadable sources, so that it is reported with the files."""
    if paths is None:
        found, walk_errors = _walk_relative(content_dir)
    else:
        found = [p for p in sorted(paths) if _walkable_file(content_dir, p)]
        walk_errors = []
    known = known or {}
    root = os.fspath(content_dir)
    sources: dict[str, SourceFile] = {}
    for rel in sorted(found):
        # inline, not a function: this is the whole cost of a run with nothing to do
        stamp_and_hash = known.get(rel)
        if stamp_and_hash is not None:
            try:
                status = os.lstat(f"{root}/{rel}")
            except OSError:
                pass
            else:
                if stat.S_ISREG(status.st_mode) and file_stamp(status) == stamp_and_hash[0]:
                    sources[rel] = SourceFile(rel, None, stamp_and_hash[1], None, stamp_and_hash[0])
                    continue
        source = _read_source(content_dir / rel, rel, content_dir)
        sources[source.source_path] = source
    for error in walk_errors:
        sources.setdefault(error.path, SourceFile(error.path, None, "", error))
    return sources


def _walkable_file(content_dir: Path, relative: str) -> bool:
    """Whether the folder walk would find this file: it exists and no folder on the way
    is a symbolic link (the walk does not follow those)."""
    path = content_dir / relative
    folders = [content_dir / part for part in Path(relative).parents if part != Path(".")]
    return path.is_file() and not any(folder.is_symlink() for folder in folders)


def content_relative(paths: Iterable[str | Path], content_dir: Path) -> set[str]:
    """Paths as the index names them ("news/a.md"): relative to content_dir, "/"-separated.

    Absolute paths must lie inside content_dir; paths that cannot name an article (another
    suffix, a hidden file, outside the folder) are dropped."""
    if isinstance(paths, str | Path):
        paths = [paths]  # one path, not its characters
    root = content_dir.resolve()
    result: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(root)
            except ValueError:
                try:
                    path = path.relative_to(content_dir)
                except ValueError:
                    continue
        relative = path.as_posix()
        if ".." not in path.parts and is_article_path(relative):
            result.add(relative)
    return result


class SlugClaim(Protocol):
    """A file that gives a slug: an Article, or the index's fingerprint of one."""

    @property
    def source_path(self) -> str: ...

    @property
    def slug(self) -> str: ...


def claim_slugs(claims: Iterable[SlugClaim]) -> tuple[set[str], list[ArticleError]]:
    """Decide duplicate slugs: of the files that give one slug, the first path in sorted
    order keeps it. Returns the paths that lose their slug, with an error for each."""
    ordered = sorted(claims, key=lambda claim: claim.source_path)
    owner: dict[str, str] = {}
    for claim in ordered:
        owner.setdefault(claim.slug, claim.source_path)
    losers: set[str] = set()
    errors: list[ArticleError] = []
    for claim in ordered:
        first = owner[claim.slug]
        if first != claim.source_path:
            losers.add(claim.source_path)
            reason = f"duplicate slug '{claim.slug}' (already used by {first})"
            errors.append(ArticleError(claim.source_path, reason))
    return losers, errors


def _links_out_of(path: Path, content_dir: Path) -> bool:
    """Whether path, through a symbolic link on the way, names a file outside content_dir.

    Only the steps inside the content folder are checked for links (one lstat each), so a
    content folder that itself lives behind a link is fine."""
    try:
        steps = [path, *(content_dir / p for p in path.relative_to(content_dir).parents)]
    except ValueError:
        steps = [path]
    if not any(step.is_symlink() for step in steps if step != content_dir):
        return False
    try:
        target = path.resolve()
    except RuntimeError:  # a loop of links (Python 3.11 raises this, not OSError)
        raise ArticleError(_relative(path, content_dir), "unreadable (symlink loop)") from None
    return not target.is_relative_to(content_dir.resolve())


def _relative(path: Path, content_dir: Path) -> str:
    try:
        return path.relative_to(content_dir).as_posix()
    except ValueError:
        return path.as_posix()


def _walk(content_dir: Path) -> tuple[list[Path], list[ArticleError]]:
    """_walk_relative, as paths under content_dir in path order (folder by folder, as
    sorted Paths are)."""
    relatives, errors = _walk_relative(content_dir)
    return [content_dir / rel for rel in sorted(relatives, key=_path_order)], errors


def _walk_relative(content_dir: Path) -> tuple[list[str], list[ArticleError]]:
    """Article paths under content_dir, content-relative and "/"-separated (in walk
    order), and the folders the walk did not enter: those it could not list and symbolic
    links to folders (never followed: they may lead out of the content folder, or in a
    loop)."""
    if not content_dir.is_dir():
        if content_dir.exists():
            raise NotADirectoryError(f"content folder is not a folder: {content_dir}")
        raise FileNotFoundError(f"content folder not found: {content_dir}")
    errors: list[ArticleError] = []

    def unreadable_folder(error: OSError) -> None:
        where = _relative(Path(error.filename or content_dir), content_dir)
        errors.append(ArticleError(where, f"unreadable folder ({error.strerror or error})"))

    relatives: list[str] = []
    for root, folders, files in os.walk(content_dir, onerror=unreadable_folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in folders:
            if os.path.islink(os.path.join(root, name)):
                where = _relative(Path(root, name), content_dir)
                errors.append(ArticleError(where, "symlink to a folder (not followed)"))
        folder = _relative(Path(root), content_dir)
        prefix = "" if folder == "." else folder + "/"
        relatives.extend(
            prefix + name
            for name in files
            if not name.startswith(".") and name.lower().endswith(ARTICLE_SUFFIXES)
        )
    return relatives, errors


def _path_order(relative: str) -> list[str]:
    """Sort key of a "/"-separated path that orders as Paths do: folder by folder."""
    return relative.split("/")
