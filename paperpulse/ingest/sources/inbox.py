"""The inbox: JSON Lines files anyone drops into a folder, ingested as micro-batches (the streaming path).

Dropping a file: write it under a name starting with "." or ending in ".tmp" or ".part" (or in another
folder on the same filesystem), then rename it to its final name: a rename is atomic, so a half-written
file is never read. Files whose names do not end in ".jsonl" are rejected whole.

One paper per line: {"title": ..., "abstract": ..., "arxiv_id" (or "id"): optional,
"listed_date": optional YYYY-MM-DD (default: the day it is ingested), anything else: kept in extra}.
A line of the arXiv metadata snapshot is such a line. Blank lines are skipped.

After its records are loaded, a file moves to processed/, or to rejected/ with <name>.reason.txt when
no line of it was a usable paper. A file with some bad lines is processed, with the reasons beside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from paperpulse.ingest.records import invalid_reason, paper_id_for
from paperpulse.ingest.sources import Payload, Rejected, Source
from paperpulse.ingest.sources.arxiv import split_id, unwrap
from paperpulse.settings import Settings

NAME = "inbox"
NOT_READY_SUFFIXES = (".tmp", ".part")


def default_day(settings: Settings) -> date:
    return datetime.now(UTC).date()


def is_ready(path: Path) -> bool:
    name = path.name
    return not name.startswith(".") and not name.endswith(NOT_READY_SUFFIXES) and path.is_file()


def ready_files(settings: Settings) -> list[Path]:
    """Files fully written into the inbox, oldest first."""
    if not settings.inbox_dir.is_dir():
        return []
    found = []
    for path in settings.inbox_dir.iterdir():
        try:
            if is_ready(path):
                found.append((path.stat().st_mtime_ns, path.name, path))
        except FileNotFoundError:
            continue  # moved away meanwhile
    return [path for _, _, path in sorted(found)]


def read(path: Path) -> Payload:
    return Payload(path.name, path.read_bytes())


def fetch(day: date, settings: Settings) -> Iterator[Payload]:
    """Every file ready now, whatever the day: the inbox is not organised by interval."""
    for path in ready_files(settings):
        try:
            yield read(path)
        except FileNotFoundError:
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
    try:
        text = payload.body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        yield Rejected(f"{name}: not UTF-8 text ({e})", payload.body.decode("utf-8", errors="replace"))
        return
    # Split on newlines only: str.splitlines also splits on U+2028, which JSON strings may hold.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield record(json.loads(line), day)
        except json.JSONDecodeError as e:
            yield Rejected(f"{name} line {number}: not JSON ({e})", line)
        except ValueError as e:
            yield Rejected(f"{name} line {number}: {e}", line)


def _free(folder: Path, name: str) -> Path:
    """folder/name, or folder/<stem>.<n><suffix> when a file of that name is already there."""
    folder.mkdir(parents=True, exist_ok=True)
    target, stem, suffix = folder / name, Path(name).stem, Path(name).suffix
    n = 1
    while target.exists() or target.with_name(f"{target.name}.reason.txt").exists():
        target, n = folder / f"{stem}.{n}{suffix}", n + 1
    return target


def _move(path: Path, folder: Path, reason: str | None) -> Path:
    target = _free(folder, path.name)
    if reason:
        target.with_name(f"{target.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
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
