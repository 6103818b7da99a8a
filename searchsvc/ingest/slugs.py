"""The slug rule (../shared/API.md): what /api/articles/<slug> can serve, and the slug of
an article that names none."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

MAX_SLUG_LENGTH = 200
# letters, digits, "-", "_", "." and "/" (the contract's rule); see slug_problem
_SLUG_CHARS_RE = re.compile(r"[\w./-]+")
_NOT_SLUG_RE = re.compile(r"[^\w.-]+")
_SLUG_DOTS_RE = re.compile(r"\.{2,}")


def slug_problem(slug: str) -> str | None:
    """Why a slug cannot be served at /api/articles/<slug>, or None when it can.

    The contract's rule: at most 200 characters of letters, digits, "-", "_", "." and "/",
    no "..", no leading "/". Also refused: empty parts ("a//b", a trailing "/") and "."
    parts, which URLs normalise away, so no link could reach the article."""
    if len(slug) > MAX_SLUG_LENGTH:
        return f"longer than {MAX_SLUG_LENGTH} characters"
    if not _SLUG_CHARS_RE.fullmatch(slug):
        bad = next((c for c in slug if not _SLUG_CHARS_RE.fullmatch(c)), "")
        return f"character {bad!r} is not allowed" if bad else "empty"
    if slug.startswith("/"):
        return "starts with '/'"
    if ".." in slug:
        return "contains '..'"
    if any(part in ("", ".") for part in slug.split("/")):
        return "has an empty or '.' part between slashes"
    return None


def file_name_slug(source_path: str) -> str:
    """The slug of an article without a `slug:` key: its file name without extension,
    made to follow the slug rule. Real file names hold commas and the like
    ("tagreuters.com,2025-02-07newsml_ACSD.en.md"): such runs become "-". A `slug:`
    written in the frontmatter is taken as the author wrote it, or refused."""
    stem = PurePosixPath(source_path).stem
    slug = _SLUG_DOTS_RE.sub(".", _NOT_SLUG_RE.sub("-", stem)).strip("-")
    return slug[:MAX_SLUG_LENGTH] or "-"
