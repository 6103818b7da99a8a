"""Atomic file replacement: the whole new file or the old one, on disk, no leftovers."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc import files
from searchsvc.files import write_atomically


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("plain text\n", b"plain text\n"),
        ("Zürich – 東京\n", "Zürich – 東京\n".encode()),  # text is written as UTF-8
        (b"\x00\xffbytes as given", b"\x00\xffbytes as given"),
        ("", b""),  # an empty file is still a file
    ],
)
def test_writes_the_data(tmp_path: Path, data: str | bytes, expected: bytes) -> None:
    target = tmp_path / "out.json"
    write_atomically(target, data)
    assert target.read_bytes() == expected
    assert os.listdir(tmp_path) == ["out.json"]


@settings(max_examples=50, deadline=None)
@given(first=st.binary(max_size=2000), second=st.binary(max_size=2000))
def test_replacing_round_trips(
    tmp_path_factory: pytest.TempPathFactory, first: bytes, second: bytes
) -> None:
    folder = tmp_path_factory.mktemp("files")
    target = folder / "data.bin"
    write_atomically(target, first)
    write_atomically(target, second)
    assert target.read_bytes() == second
    assert os.listdir(folder) == ["data.bin"]


def test_fsyncs_the_file_then_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        mode = os.fstat(fd).st_mode
        synced.append("folder" if stat.S_ISDIR(mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomically(tmp_path / "a.txt", "x")
    assert synced == ["file", "folder"]


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    write_atomically(tmp_path / "a.txt", "x")
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize(
    "failing",
    [
        "fsync",  # the disk is full, or gone
        "replace",  # the rename is refused
    ],
)
def test_a_failure_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "manifest.json"
    target.write_text("old", encoding="utf-8")

    def fail(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_the_temporary_file_is_one_the_index_clean_up_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed between write and rename leaves ".<name>.*.tmp" behind, the
    pattern layout.remove_leftovers deletes."""
    temporary: list[Path] = []

    def killed(source: str, _target: str) -> None:
        temporary.append(Path(source))
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "pending.json", "{}")
    assert temporary[0].parent == tmp_path
    assert temporary[0].name.startswith(".pending.json.") and temporary[0].match(".*.tmp")
