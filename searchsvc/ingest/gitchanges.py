"""Paths that changed in a git work tree since a revision, for `searchsvc index --since`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from searchsvc.errors import BadParameter


def _git(content_dir: Path, *args: str) -> list[str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(content_dir), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except FileNotFoundError:
        raise BadParameter("--since needs git, and git is not installed") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "git failed"
        raise BadParameter(f"--since: {message}")
    return [line for line in done.stdout.split("\0") if line]


def changed_since(content_dir: Path, revision: str) -> list[str]:
    """Content-relative paths added, changed, deleted or renamed since ``revision``.

    Compares the revision with the work tree (commits since, and uncommitted edits), plus
    untracked files. A rename counts as its old path (deleted) and its new path (added).
    """
    if revision.startswith("-"):
        raise BadParameter(f"--since: {revision!r} is not a revision")
    _git(content_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    diff = _git(content_dir, "diff", "--name-only", "--no-renames", "-z", "--relative", revision)
    untracked = _git(content_dir, "ls-files", "--others", "--exclude-standard", "-z")
    return sorted(set(diff) | set(untracked))
