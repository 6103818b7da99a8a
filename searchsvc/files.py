"""Replacing a file so that a reader, or the next boot after a power cut, finds the old
version or the new one, never a part of either."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace path with data (text is written as UTF-8).

    The data goes to a temporary file in the same folder, which is fsynced and renamed over
    path; the folder is fsynced last, so that the rename itself is on disk. A failure
    leaves path as it was and no temporary file behind."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # ".<name>.<pid>.<random>.tmp": hidden, and matched by the index's crash clean-up
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # os.open rather than mkstemp: the new file gets the usual 0o666 & ~umask, not 0o600
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename, a new file) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
