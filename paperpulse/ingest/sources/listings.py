"""Listing files: real arXiv listings, one JSON line per listing, one file per month in a folder.

The folder (`PAPERPULSE_LISTINGS_DIR`, default the bundled slice in data/listings/) holds `YYYY-MM.jsonl.gz`
or `YYYY-MM.jsonl` files, each line {"listed_date", "arxiv_id", "title", "authors", "abstract", "lists"},
a month's days in its file. `fetch(day)` returns that day's lines byte-exact (decompressed), so a folder
of history lands, loads and keeps watermarks day by day like a daily source, and `backfill` over it is
the daily code path; a day with no lines lands empty. A line that is not JSON or names no day of its
file's month stays with the line before it (the files are in day order) and is quarantined on that day.

The folder's first and last listed days bound what can be fetched: a day outside them is refused, not
landed empty (a landed day is never fetched again, and the folder may grow). Records are keyed by arXiv
id, so a paper is one row with its arXiv, HF and inbox listings; authors and lists go to `extra`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path

from paperpulse.ingest.records import invalid_reason
from paperpulse.ingest.sources import Payload, Rejected, Source
from paperpulse.ingest.sources.arxiv import split_id, unwrap
from paperpulse.settings import Settings

NAME = "listings"
PAYLOAD = "listings.jsonl"
SUFFIXES = (".jsonl.gz", ".jsonl")


def month_files(folder: Path) -> dict[str, Path]:
    """The folder's month files by month ('2026-05'); ValueError when a month has two."""
    if not folder.is_dir():
        raise ValueError(f"no listings folder at {folder} (set PAPERPULSE_LISTINGS_DIR)")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        suffix = next((s for s in SUFFIXES if path.name.endswith(s)), None)
        if suffix is None or not path.is_file():
            continue
        month = path.name.removesuffix(suffix)
        if month in found:
            raise ValueError(f"two files for {month} in {folder}: {found[month].name} and {path.name}")
        found[month] = path
    if not found:
        raise ValueError(f"no YYYY-MM.jsonl[.gz] listing files in {folder}")
    return found


def _day_of(line: bytes, month: str) -> str | None:
    """The listed day a line names when it is a day of `month`, else None."""
    try:
        listed = json.loads(line).get("listed_date")
        day = date.fromisoformat(listed).isoformat()
    except (ValueError, TypeError, AttributeError):
        return None
    return day if day.startswith(month + "-") else None


@lru_cache(maxsize=2)
def _month(path: Path, stamp: tuple[int, int]) -> dict[str, bytes]:
    """A month file's lines grouped by listed day, each byte-exact (`stamp`: size and mtime, so a changed
    file is read again). A line naming no day of the month goes with the day of the line before it."""
    body = path.read_bytes()
    if path.name.endswith(".gz"):
        body = gzip.decompress(body)
    month = path.name[:7]
    days: dict[str, list[bytes]] = {}
    pending: list[bytes] = []  # bad lines before the first good one: they go with its day
    current = None
    for line in body.splitlines(keepends=True):
        if not line.strip():
            continue
        if not line.endswith(b"\n"):
            line += b"\n"
        day = _day_of(line, month) or current
        if day is None:
            pending.append(line)
            continue
        days.setdefault(day, []).extend([*pending, line])
        pending, current = [], day
    if pending:  # no line of the file names a day: nothing to put them with
        raise ValueError(f"{path}: no line names a day of {month}")
    return {day: b"".join(lines) for day, lines in days.items()}


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _read(path: Path) -> dict[str, bytes]:
    return _month(path, _stamp(path))


@lru_cache
def _days(path: Path, stamp: tuple[int, int]) -> tuple[date, ...]:
    """A month file's listed days, in order (kept apart from the lines: every fetch checks the folder's
    first and last days, which must not push the month being read out of the cache)."""
    return tuple(sorted(date.fromisoformat(day) for day in _month(path, stamp)))


def first_day(settings: Settings) -> date:
    """The first day the folder lists (the earliest day of its first month file)."""
    files = month_files(settings.listings_dir)
    first = files[min(files)]
    return _days(first, _stamp(first))[0]


def default_day(settings: Settings) -> date:
    """The last day the folder lists: a run without a date takes it, a backfill ends there."""
    files = month_files(settings.listings_dir)
    last = files[max(files)]
    return _days(last, _stamp(last))[-1]


def listed_days(settings: Settings) -> list[date]:
    """Every day with lines in the folder, in order (reads every file)."""
    files = month_files(settings.listings_dir).values()
    return [day for path in sorted(files) for day in _days(path, _stamp(path))]


def fetch(day: date, settings: Settings) -> Iterator[Payload]:
    """The day's lines as they are in its month's file; nothing on a day without listings."""
    path = month_files(settings.listings_dir).get(f"{day:%Y-%m}")
    lines = _read(path).get(day.isoformat()) if path else None
    if lines:
        yield Payload(PAYLOAD, lines)


def record(line: object, day: date) -> dict:
    """One line's object as a paper record; ValueError says what is wrong with it."""
    if not isinstance(line, dict):
        raise ValueError(f"a line is a JSON object, not {type(line).__name__}")
    fields = dict(line)
    listed = fields.pop("listed_date", None)
    if listed != day.isoformat():
        raise ValueError(f"listed_date {listed!r} is not the day it was landed under ({day})")
    raw_id = fields.pop("arxiv_id", None)
    if not isinstance(raw_id, str) or not raw_id:
        raise ValueError("missing arxiv_id")
    arxiv_id, version = split_id(raw_id)
    title, abstract = fields.pop("title", None), fields.pop("abstract", None)
    for name, value in (("title", title), ("abstract", abstract)):
        if not isinstance(value, str):
            raise ValueError(f"missing field {name}" if value is None else f"field {name} is not text")
    result = {
        "paper_id": arxiv_id,
        "arxiv_id": arxiv_id,
        "title": unwrap(title),
        "abstract": unwrap(abstract),
        "source": NAME,
        "listed_date": listed,
        "extra": fields | ({"version": version} if version else {}),  # authors, lists
    }
    reason = invalid_reason(result)
    if reason:
        raise ValueError(reason)
    return result


def parse(payload: Payload, day: date, settings: Settings) -> Iterator[dict | Rejected]:
    for number, line in enumerate(payload.body.split(b"\n"), start=1):
        if not line.strip():
            continue
        text = line.decode("utf-8", errors="replace")
        try:
            yield record(json.loads(line), day)
        except json.JSONDecodeError as e:
            yield Rejected(f"{payload.name} line {number}: not JSON ({e})", text)
        except (UnicodeDecodeError, ValueError) as e:
            yield Rejected(f"{payload.name} line {number}: {e}", text)


SOURCE = Source(NAME, default_day, fetch, parse, first_day=first_day)
