"""Landing: what a source returned, written unchanged before anything parses it.

Layout under <home>/landing/<source>/:

- `<YYYY-MM-DD>/`: one day as first fetched, its payload files and a `_COMPLETE` marker holding
  when it landed. A day is fetched into `<YYYY-MM-DD>.partial/` and renamed when every page is in,
  so a failed fetch never leaves a half-landed day (a failed attempt removes its `.partial`; one left by
  a killed process is removed by the next attempt).
  A landed day is never fetched again.
- `<YYYY-MM-DD>/refetch-<run day>/`: the same day asked again by the run of a later day (Hugging
  Face upvotes grow), landed the same way.
- `inbox/<YYYY-MM-DD>/<stem>-<sha12><suffix>`: each inbox file by itself, named by its content.

`paperpulse prune` removes the payload files of a day landed and loaded long ago, and keeps its marker (so it
is never fetched again) with a `_PRUNED` file naming what it removed (paperpulse/retention.py).
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from paperpulse.files import NAME_MAX, atomic_write, fit_name, fsync
from paperpulse.ingest import sources
from paperpulse.ingest.records import EARLIEST_DAY, day_problem
from paperpulse.ingest.sources import Payload, Source
from paperpulse.settings import Settings

COMPLETE = "_COMPLETE"
PRUNED = "_PRUNED"  # when prune removed the folder's payload files, then their names, a line each
PARTIAL = ".partial"
REFETCH = "refetch-"


def interval_dir(settings: Settings, source: str, day: date) -> Path:
    return settings.landing_dir / source / day.isoformat()


def refetch_dir(settings: Settings, source: str, day: date, run_day: date) -> Path:
    """Where the run of `run_day` lands `day` asked again."""
    return interval_dir(settings, source, day) / f"{REFETCH}{run_day.isoformat()}"


def refetches_by(settings: Settings, source: str, run_day: date) -> list[Path]:
    """The complete refetches the run of `run_day` landed, whichever days they are of."""
    pattern = f"*/{REFETCH}{run_day.isoformat()}"
    return sorted(p for p in (settings.landing_dir / source).glob(pattern) if is_complete(p))


def is_complete(folder: Path) -> bool:
    return (folder / COMPLETE).is_file()


def is_landed(settings: Settings, source: str, day: date) -> bool:
    return is_complete(interval_dir(settings, source, day))


def landed_at(folder: Path) -> datetime:
    """When a landed folder completed (UTC, naive): the time its marker holds, else the marker's mtime
    (markers written before they held a time are empty)."""
    marker = folder / COMPLETE
    try:
        return datetime.fromisoformat(marker.read_text().strip()).astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        return datetime.fromtimestamp(marker.stat().st_mtime, UTC).replace(tzinfo=None)


def check_settled(source: Source, day: date, settings: Settings) -> None:
    """Refuse to fetch a day that is still filling up, or outside the stretch of history a source holds:
    it would land incomplete or empty and never be fetched again."""
    if source.settle_days and day > source.default_day(settings):
        raise ValueError(
            f"{source.name} {day} has not settled yet (a day is complete {source.settle_days} day(s) "
            f"later); the latest settled day is {source.default_day(settings)}"
        )
    if source.first_day is not None:
        first, last = source.first_day(settings), source.default_day(settings)
        if not first <= day <= last:
            raise ValueError(f"{source.name} holds the days {first} to {last}; {day} is outside them")


def check_day(source: Source, day: date, settings: Settings) -> None:
    """Refuse a day no run may cover, whatever the source: one no paper can be listed on (after tomorrow,
    before arXiv: it would become every mart's "today" or first day), or one that has not settled yet."""
    problem = day_problem(day)
    if problem:
        raise ValueError(
            f"{source.name} {day} is {problem}; a run covers a day from {EARLIEST_DAY} to tomorrow (UTC)"
        )
    check_settled(source, day, settings)


def land(settings: Settings, source: str, day: date, folder: Path | None = None) -> tuple[list[Path], bool]:
    """Fetch and land one source day unless it already landed; returns its files and whether this
    call fetched them. `folder` lands the day somewhere else than its interval folder (a refetch)."""
    folder = folder or interval_dir(settings, source, day)
    if is_complete(folder):
        return landed_files(folder), False
    fetcher = sources.get(source)
    check_settled(fetcher, day, settings)
    partial = folder.with_name(folder.name + PARTIAL)
    shutil.rmtree(partial, ignore_errors=True)  # left by a process killed while fetching
    partial.mkdir(parents=True)
    try:
        for payload in fetcher.fetch(day, settings):
            atomic_write(partial / payload.name, payload.body)
        atomic_write(partial / COMPLETE, f"{datetime.now(UTC).isoformat()}\n".encode())
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # the next attempt starts the day again
        raise
    if folder.exists():
        shutil.rmtree(folder)  # pages of a landing that never completed, from before .partial/ existed
    partial.rename(folder)
    fsync(folder.parent)
    return landed_files(folder), True


# A landed inbox file is named <stem>-<sha12><suffix>, and written as .<that>.tmp first: a long name is
# cut short to leave room for both.
INBOX_NAME_ROOM = NAME_MAX - len("-123456789abc") - len("..tmp")


def land_inbox_file(settings: Settings, name: str, body: bytes, day: date) -> Path:
    """Land one inbox file's bytes under a name made from its content; landing it twice is a no-op."""
    fitted = Path(fit_name(name, INBOX_NAME_ROOM))
    digest = hashlib.sha256(body).hexdigest()[:12]
    target = interval_dir(settings, "inbox", day) / f"{fitted.stem}-{digest}{fitted.suffix}"
    if not target.exists():
        atomic_write(target, body)
    return target


def landed_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def pruned_files(folder: Path) -> list[str]:
    """The payload files prune removed from a landed folder."""
    marker = folder / PRUNED
    return marker.read_text(encoding="utf-8").split("\n")[1:-1] if marker.is_file() else []


def read_payload(path: Path) -> Payload:
    return Payload(path.name, path.read_bytes())
