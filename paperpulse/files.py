"""Files written so that a reader, or a crash, never sees half of one: write beside, flush, rename."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NAME_MAX = 255  # bytes in one file name, on Linux and most filesystems


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


def fit_name(name: str, room: int = NAME_MAX) -> str:
    """`name` in at most `room` bytes of UTF-8: its stem cut short, its suffix kept (`.jsonl`)."""
    if len(name.encode()) <= room:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix.encode()) <= room // 2 else ""
    stem = name.removesuffix(suffix) if suffix else name
    return stem.encode()[: room - len(suffix.encode())].decode("utf-8", errors="ignore") + suffix
