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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from searchsvc.ingest.articles import (
    MAX_ARTICLE_BYTES,
    Article,
    ArticleError,
    file_hash,
    parse_article,
    too_large,
)

ARTICLE_SUFFIXES = (".md", ".markdown")


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


@dataclass(frozen=True)
class SourceFile:
    """One content file as read from disk, before it is parsed."""

    source_path: str  # relative, "/"-separated
    data: bytes | None  # None when the file could not be read (error set)
    content_hash: str
    error: ArticleError | None = None


def read_source(path: Path, content_dir: Path) -> SourceFile:
    """A content file's bytes and hash (type and size are checked before reading)."""
    rel = path.relative_to(content_dir).as_posix()
    if any(ch in rel for ch in "\t\n\r"):  # the index keeps path, hash and slug tab-separated
        return SourceFile(
            rel, None, "", ArticleError(rel, "file name contains a tab or line break")
        )
    try:
        data = read_article_bytes(path, content_dir)
    except ArticleError as exc:
        # no hash: a file that fails to read is retried on every run until it reads
        return SourceFile(exc.path, None, "", exc)
    return SourceFile(rel, data, file_hash(data))


def scan_content(content_dir: Path, paths: set[str] | None = None) -> dict[str, SourceFile]:
    """The article files of content_dir (or of those content-relative paths that exist).

    What the folder walk could not enter (unreadable folders, links to folders) comes back
    as unreadable sources, so that it is reported with the files."""
    if paths is None:
        found, walk_errors = scan_article_paths(content_dir)
    else:
        found = [content_dir / p for p in sorted(paths) if _walkable_file(content_dir, p)]
        walk_errors = []
    sources = {s.source_path: s for s in (read_source(p, content_dir) for p in found)}
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
    """Article paths under content_dir (sorted), and the folders the walk did not enter:
    those it could not list and symbolic links to folders (never followed: they may lead
    out of the content folder, or in a loop)."""
    if not content_dir.is_dir():
        if content_dir.exists():
            raise NotADirectoryError(f"content folder is not a folder: {content_dir}")
        raise FileNotFoundError(f"content folder not found: {content_dir}")
    errors: list[ArticleError] = []

    def unreadable_folder(error: OSError) -> None:
        where = _relative(Path(error.filename or content_dir), content_dir)
        errors.append(ArticleError(where, f"unreadable folder ({error.strerror or error})"))

    paths: list[Path] = []
    for root, folders, files in os.walk(content_dir, onerror=unreadable_folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in folders:
            if os.path.islink(os.path.join(root, name)):
                where = _relative(Path(root, name), content_dir)
                errors.append(ArticleError(where, "symlink to a folder (not followed)"))
        paths.extend(
            Path(root, name)
            for name in files
            if not name.startswith(".") and name.lower().endswith(ARTICLE_SUFFIXES)
        )
    return sorted(paths), errors
