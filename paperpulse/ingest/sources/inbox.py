"""The inbox: JSON Lines files anyone drops into a folder, ingested as micro-batches (the streaming path).

Dropping a file: write it under a name starting with "." or ending in ".tmp" or ".part" (or in another
folder on the same filesystem), then rename it to its final name: a rename is atomic, so a half-written
file is never read. A file still named so after `inbox_grace` seconds is reported by every run (it
waits for a rename that may never come). Files whose names do not end in ".jsonl" are rejected whole,
and so are files that cannot be read: a symbolic link (never followed), anything but a regular file, a
file the pipeline may not read.

One paper per line: {"title": ..., "abstract": ..., "arxiv_id" (or "id"): optional,
"listed_date": optional YYYY-MM-DD (default: the day it is ingested), anything else: kept in extra}.
A line of the arXiv metadata snapshot is such a line. Blank lines are skipped; each line is decoded by
itself, so a bad byte costs only its line. A record carries its line number (`line`).

After its records are loaded, a file moves to processed/, or to rejected/ with <name>.reason.txt when
no line of it was a usable paper. A file with some bad lines is processed, with the reasons beside it.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from paperpulse.files import NAME_MAX, fit_name
from paperpulse.ingest.records import invalid_reason, paper_id_for
from paperpulse.ingest.sources import Payload, Rejected, Source
from paperpulse.ingest.sources.arxiv import split_id, unwrap
from paperpulse.settings import Settings

NAME = "inbox"
NOT_READY_SUFFIXES = (".tmp", ".part")
REASON_SUFFIX = ".reason.txt"
log = logging.getLogger(__name__)


class CannotLand(Exception):
    """A file in the inbox that cannot be read as itself (a link, not a regular file, unreadable): it is
    rejected alone, with this reason."""


def default_day(settings: Settings) -> date:
    return datetime.now(UTC).date()


def is_finished(name: str) -> bool:
    """Named as a finished file (not `.x`, `x.tmp` or `x.part`)."""
    return not name.startswith(".") and not name.endswith(NOT_READY_SUFFIXES)


def _entries(settings: Settings) -> Iterator[tuple[Path, os.stat_result]]:
    """What the inbox holds but folders (processed/, rejected/), each with its own lstat: a link is
    never followed, not even to look at what it points to."""
    if not settings.inbox_dir.is_dir():
        return
    for path in settings.inbox_dir.iterdir():
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue  # moved away meanwhile
        if not stat.S_ISDIR(status.st_mode):
            yield path, status


def ready_files(settings: Settings) -> list[Path]:
    """Files fully written into the inbox, oldest first (links and other non-files too: taking them
    rejects them)."""
    found = [(s.st_mtime_ns, p.name, p) for p, s in _entries(settings) if is_finished(p.name)]
    return [path for _, _, path in sorted(found)]


def overdue_files(settings: Settings) -> list[str]:
    """Names of the files still named as unfinished `settings.inbox_grace` seconds after they last
    changed: each run reports them, since a rename they wait for may never come."""
    cutoff = time.time() - settings.inbox_grace
    return sorted(p.name for p, s in _entries(settings) if not is_finished(p.name) and s.st_mtime < cutoff)


def read(path: Path) -> Payload:
    """The file's bytes, from the file itself: never through a symbolic link, never from anything but a
    regular file (a FIFO would block, a device never ends). CannotLand says why not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as error:
        if path.is_symlink():
            raise CannotLand(f"a symbolic link (to {os.readlink(path)}), never followed") from None
        raise CannotLand(f"cannot be read: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise CannotLand("not a regular file")
        try:
            return Payload(path.name, file.read())
        except OSError as error:
            raise CannotLand(f"cannot be read: {error.strerror or error}") from None


def fetch(day: date, settings: Settings) -> Iterator[Payload]:
    """Every file ready now, whatever the day: the inbox is not organised by interval."""
    for path in ready_files(settings):
        try:
            yield read(path)
        except (FileNotFoundError, CannotLand):
            continue


def record(line: object, day: date) -> dict:
    """One line's object as a paper record; ValueError says what is wrong with it."""
    if not isinstance(line, dict):
        raise ValueError(f"a line is a JSON object, not {type(line).__name__}")
    fields = dict(line)
    title, abstract = fields.pop("title", None), fields.pop("abstract", None)
    for name, value in (("title", title), ("abstract", abstract)):
        if not isinstance(value, str):
            raise ValueError(f"missing field {name}" if value is None else f"field {name} is not text")
    raw_id = fields.pop("arxiv_id", None) or fields.pop("id", None)
    fields.pop("id", None)
    arxiv_id, version = None, None
    if raw_id is not None and raw_id != "":
        if not isinstance(raw_id, str):
            raise ValueError(f"arxiv_id {raw_id!r} is not text")
        arxiv_id, version = split_id(raw_id)
    listed = fields.pop("listed_date", None) or day.isoformat()
    try:
        listed = date.fromisoformat(listed).isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"listed_date {listed!r} is not a YYYY-MM-DD date") from None
    title = unwrap(title)
    result = {
        "paper_id": paper_id_for(title, arxiv_id),
        "arxiv_id": arxiv_id,
        "title": title,
        "abstract": unwrap(abstract),
        "source": NAME,
        "listed_date": listed,
        "extra": fields | ({"version": version} if version else {}),
    }
    reason = invalid_reason(result)
    if reason:
        raise ValueError(reason)
    return result


def parse(payload: Payload, day: date, settings: Settings) -> Iterator[dict | Rejected]:
    name = payload.name
    if not name.endswith(".jsonl"):
        yield Rejected(f"{name}: not a .jsonl file", payload.body.decode("utf-8", errors="replace"))
        return
    body = payload.body.removeprefix(codecs.BOM_UTF8)
    # Split on newlines only (a byte that is never part of another UTF-8 character): str.splitlines also
    # splits on U+2028, which JSON strings may hold. Each line is decoded by itself.
    for number, raw in enumerate(body.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield Rejected(
                f"{name} line {number}: not UTF-8 text ({e})", raw.decode("utf-8", errors="replace")
            )
            continue
        if not line.strip():
            continue
        try:
            yield record(json.loads(line), day) | {"line": number}
        except json.JSONDecodeError as e:
            yield Rejected(f"{name} line {number}: not JSON ({e})", line)
        except ValueError as e:
            yield Rejected(f"{name} line {number}: {e}", line)


def _free(folder: Path, name: str) -> Path:
    """folder/name, or folder/<stem>.<n><suffix> when a file of that name is already there (a long name
    cut short, to leave room for the number and the reason file's suffix)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = fit_name(name, NAME_MAX - len(REASON_SUFFIX) - len(".99999"))
    target, stem, suffix = folder / name, Path(name).stem, Path(name).suffix
    n = 1
    while target.is_symlink() or target.exists() or target.with_name(target.name + REASON_SUFFIX).exists():
        target, n = folder / f"{stem}.{n}{suffix}", n + 1
    return target


def _move(path: Path, folder: Path, reason: str | None) -> Path:
    target = _free(folder, path.name)
    if reason:
        target.with_name(target.name + REASON_SUFFIX).write_text(reason + "\n", encoding="utf-8")
    os.replace(path, target)
    return target


def move_to_processed(path: Path, settings: Settings, reason: str | None = None) -> Path:
    return _move(path, settings.inbox_processed_dir, reason)


def move_to_rejected(path: Path, reason: str, settings: Settings) -> Path:
    return _move(path, settings.inbox_rejected_dir, reason)


def settle(path: Path, items: list[dict | Rejected], settings: Settings) -> Path:
    """Move a file out of the inbox once what parse made of it is loaded; returns where it went."""
    reasons = "\n".join(i.reason for i in items if isinstance(i, Rejected))
    if not any(isinstance(i, dict) for i in items):
        return move_to_rejected(path, reasons or f"{path.name}: no papers in the file", settings)
    return move_to_processed(path, settings, reasons or None)


SOURCE = Source(NAME, default_day, fetch, parse, by_day=False)
