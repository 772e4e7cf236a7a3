"""Landing: what a source returned, written unchanged before anything parses it.

Layout: <home>/landing/<source>/<YYYY-MM-DD>/<payload files> plus a _COMPLETE marker written last.
A landed interval is never fetched again; a half-landed one (no marker) is fetched again.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from extract import sources
from extract.sources import Payload
from paperpulse.config import Settings

COMPLETE = "_COMPLETE"


def interval_dir(settings: Settings, source: str, day: date) -> Path:
    return settings.landing_dir / source / day.isoformat()


def write_atomically(path: Path, body: bytes) -> None:
    """Write to a temporary name, flush to disk, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def is_landed(settings: Settings, source: str, day: date) -> bool:
    return (interval_dir(settings, source, day) / COMPLETE).exists()


def land(settings: Settings, source: str, day: date) -> tuple[list[Path], bool]:
    """Fetch and land one source interval unless it already landed; returns its files and
    whether this call fetched them."""
    folder = interval_dir(settings, source, day)
    fetched = not is_landed(settings, source, day)
    if fetched:
        for payload in sources.get(source).fetch(day, settings):
            write_atomically(folder / payload.name, payload.body)
        write_atomically(folder / COMPLETE, b"")
    return landed_files(folder), fetched


def landed_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "_")))


def read_payload(path: Path) -> Payload:
    return Payload(path.name, path.read_bytes())
