"""Atomic file writes, the one way every file under archive/, reports/ and citations.yaml is written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, text: str, durable: bool = False) -> None:
    """Temp file in the same folder + rename: readers never see half a file, and an
    interrupted write leaves the old one. ``durable`` adds fsync (power-loss safety) at a
    cost per file: used for hand-kept files, not for the thousands of history files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            # bytes straight to the descriptor: a text wrapper per file (encoding lookup,
            # isatty probe) was most of the cost of writing thousands of history files
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
