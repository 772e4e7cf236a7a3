"""Files written so that a reader, or a crash, never sees half of one: write beside, flush, rename."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync(path: Path) -> None:
    """Flush a file's or a folder's entry to disk (a folder: the renames done in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write (by any library); on success it is flushed and renamed
    over `path`, on failure removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        fsync(tmp)
        os.replace(tmp, path)
        fsync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path, body: bytes | str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(body.encode() if isinstance(body, str) else body)
