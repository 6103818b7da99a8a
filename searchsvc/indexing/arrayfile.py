"""The file layout of what the indexer saves beside each segment (segments.py's arrays,
vocabulary.py's typo index): a magic line, a JSON header saying where each array starts
("places"), then the arrays, aligned, so that readers memory-map them as NumPy views."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

HEADER_SIZE = struct.Struct("<Q")
ALIGN = 16


def aligned(size: int) -> int:
    """size rounded up to ALIGN."""
    return -(-size // ALIGN) * ALIGN


def write_arrays_file(
    path: Path, magic: bytes, header: dict[str, Any], blobs: list[np.ndarray]
) -> None:
    """Write ``magic``, a JSON header (``header`` and where each blob starts, as "places")
    and the blobs, aligned, to path atomically: a reader finds the whole file or none.
    """
    places, offset = [], 0
    for blob in blobs:
        places.append(offset)
        offset += aligned(blob.nbytes)
    encoded = json.dumps({**header, "places": places}, ensure_ascii=False).encode("utf-8")
    start = aligned(len(magic) + HEADER_SIZE.size + len(encoded))
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as out:
        out.write(magic + HEADER_SIZE.pack(len(encoded)) + encoded)
        for place, blob in zip(places, blobs, strict=True):
            out.seek(start + place)
            out.write(blob.tobytes())
        out.truncate(start + offset)
    os.replace(temporary, path)


def read_header(mapped: Any, magic: bytes) -> tuple[dict[str, Any], int] | None:
    """The header of a file written by write_arrays_file, and where its arrays start;
    None when it does not start with ``magic``."""
    if mapped[: len(magic)] != magic:
        return None
    (size,) = HEADER_SIZE.unpack_from(mapped, len(magic))
    at = len(magic) + HEADER_SIZE.size
    header: dict[str, Any] = json.loads(bytes(mapped[at : at + size]).decode("utf-8"))
    return header, aligned(at + size)
